//! The HTML of every page (maud: every text is escaped, so a plugin that prints `<script>` is
//! shown, never run). A page is a live part, which the script fetches again when the broker's
//! status changes, and a still part (forms), which it never touches.
use maud::{html, Markup, DOCTYPE};

use super::actions::ACTIONS;
use super::view::{Detail, ListPage, ListQuery, Obj, Overview};

/// Who is looking, for the header and forms.
pub struct Viewer<'a> {
    pub user: &'a str,
    pub csrf: &'a str,
    pub admin: bool,
}

/// A part running on a spare, for the banner.
pub struct Standing {
    pub home: String,
    pub runner: String,
}

pub struct Page {
    pub title: String,
    /// The navigation entry to mark.
    pub nav: &'static str,
    pub live: Markup,
    pub still: Markup,
}

/// A time as the local date and time (the browser's zone is not known: the broker's).
pub fn when(t: i64) -> String {
    if t <= 0 {
        return "never".into();
    }
    jiff::Timestamp::from_second(t)
        .map(|ts| {
            jiff::tz::TimeZone::system()
                .to_datetime(ts)
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| t.to_string())
}

/// A duration as `3d 4h`, `5m 2s`.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

fn state_badge(o: &Obj) -> Markup {
    html! { span class={"state " (o.state_class())} { (o.state_name()) } }
}

fn object_link(o: &Obj) -> Markup {
    match &o.service {
        Some(s) => html! {
            a href={"/host?name=" (enc(&o.host))} { (o.host) } " / "
            a href={"/service?host=" (enc(&o.host)) "&service=" (enc(s))} { (s) }
        },
        None => html! { a href={"/host?name=" (enc(&o.host))} { (o.host) } },
    }
}

/// URL-encodes a query value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn flags(o: &Obj) -> Markup {
    html! {
        @if let Some(a) = o.ack() { span class="flag" title={"acknowledged by " (a.author) ": " (a.comment)} { "ACK" } " " }
        @if o.status.downtime_depth > 0 { span class="flag" title="in a scheduled downtime" { "DOWNTIME" } " " }
        @if o.host_state != 0 { span class="flag" title="its host is not up" { "HOST DOWN" } " " }
        @if o.status.is_flapping { span class="flag" title="flapping" { "FLAPPING" } " " }
        @if !o.status.switches.active_checks { span class="flag" title="active checks disabled" { "CHECKS OFF" } " " }
        @if !o.status.switches.notifications { span class="flag" title="notifications disabled" { "NOTIF OFF" } }
    }
}

/// Every page's head: the style, and the live-update script on the pages that have a live part.
fn head(title: &str, live: bool) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Vigia" }
            link rel="stylesheet" href="/static/vigia.css";
            @if live { script src="/static/vigia.js" defer {} }
        }
    }
}

pub fn layout(page: &Page, viewer: &Viewer<'_>, standing: &[Standing], flash: Option<&str>) -> Markup {
    let nav = [
        ("overview", "/", "Overview"),
        ("hosts", "/hosts", "Hosts"),
        ("services", "/services", "Services"),
        ("log", "/log", "Log"),
        ("cluster", "/cluster", "Cluster"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&page.title, true))
            body {
                a class="skip" href="#main" { "Skip to content" }
                header {
                    strong class="brand" { "Vigia" }
                    nav aria-label="main" {
                        @for (key, href, label) in nav {
                            @if key == page.nav {
                                a href=(href) aria-current="page" { (label) }
                            } @else {
                                a href=(href) { (label) }
                            }
                        }
                    }
                    form method="post" action="/logout" class="logout" {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        span class="user" { (viewer.user) @if viewer.admin { " (admin)" } }
                        button type="submit" { "Log out" }
                    }
                }
                main id="main" {
                    @if let Some(f) = flash { p class="flash" role="status" { (f) } }
                    div id="live" data-live {
                        (banner(standing))
                        (page.live)
                    }
                    (page.still)
                }
            }
        }
    }
}

pub fn banner(standing: &[Standing]) -> Markup {
    html! {
        @for s in standing {
            p class="banner" role="alert" {
                "Fail-over: the part of scheduler " strong { (s.home) } " is running on the spare " strong { (s.runner) } "."
            }
        }
    }
}

pub fn login(error: Option<&str>, next: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head("Log in", false))
            body {
                main id="main" class="login" {
                    h1 { "Vigia" }
                    @if let Some(e) = error { p class="flash error" role="alert" { (e) } }
                    form method="post" action="/login" {
                        input type="hidden" name="next" value=(next);
                        label { "User" input name="user" autocomplete="username" required autofocus; }
                        label { "Password" input name="password" type="password" autocomplete="current-password" required; }
                        button type="submit" { "Log in" }
                    }
                }
            }
        }
    }
}

fn counts_table(o: &Overview) -> Markup {
    let h = o.counts.hosts;
    let s = o.counts.services;
    html! {
        section class="counts" aria-label="counts" {
            div {
                h2 { "Hosts" }
                a class="count ok" href="/hosts?state=up" { span { (h[0]) } " UP" }
                a class="count critical" href="/hosts?state=down" { span { (h[1]) } " DOWN" }
                a class="count unknown" href="/hosts?state=unreachable" { span { (h[2]) } " UNREACHABLE" }
                a class="count pending" href="/hosts?state=pending" { span { (h[3]) } " PENDING" }
            }
            div {
                h2 { "Services" }
                a class="count ok" href="/services?state=ok" { span { (s[0]) } " OK" }
                a class="count warning" href="/services?state=warning" { span { (s[1]) } " WARNING" }
                a class="count critical" href="/services?state=critical" { span { (s[2]) } " CRITICAL" }
                a class="count unknown" href="/services?state=unknown" { span { (s[3]) } " UNKNOWN" }
                a class="count pending" href="/services?state=pending" { span { (s[4]) } " PENDING" }
            }
        }
    }
}

fn problem_table(id: &str, rows: &[Obj], now: i64, selectable: bool) -> Markup {
    html! {
        table id=(id) {
            thead { tr {
                @if selectable { th { span class="sr" { "Select" } } }
                th { "State" } th { "Object" } th { "Duration" } th { "Attempt" } th { "Output" } th { "" }
            } }
            tbody {
                @for o in rows {
                    tr class={"row " (o.state_class())} data-target=(o.target()) {
                        @if selectable {
                            td { @if o.can_act { input type="checkbox" name="target" value=(o.target()) form="bulk" aria-label={"select " (o.target())}; } }
                        }
                        td { (state_badge(o)) }
                        td { (object_link(o)) }
                        td { (duration(now - o.status.last_state_change)) }
                        td { (o.status.attempt) "/" (o.max_attempts) @if !o.hard() { " soft" } }
                        td class="output" { (o.status.output) }
                        td { (flags(o)) }
                    }
                }
            }
        }
    }
}

pub fn overview(o: &Overview, now: i64, viewer: &Viewer<'_>) -> Page {
    Page {
        title: "Overview".into(),
        nav: "overview",
        live: html! {
            h1 { "Overview" }
            (counts_table(o))
            section aria-labelledby="unhandled-h" {
                h2 id="unhandled-h" { "Unhandled problems (" (o.unhandled.len()) ")" }
                @if o.unhandled.is_empty() { p class="quiet" { "No unhandled problem." } }
                @else { (problem_table("unhandled", &o.unhandled, now, true)) }
            }
            section aria-labelledby="handled-h" {
                h2 id="handled-h" { "Handled (" (o.handled.len()) ")" }
                @if o.handled.is_empty() { p class="quiet" { "Nothing acknowledged or in a downtime." } }
                @else { (problem_table("handled", &o.handled, now, true)) }
            }
        },
        still: bulk_form(viewer, "/"),
    }
}

/// The actions on the selected rows of a list (checkboxes with `form="bulk"`).
fn bulk_form(viewer: &Viewer<'_>, back: &str) -> Markup {
    html! {
        details class="actions" {
            summary { "Act on the selected objects" }
            (action_form(viewer, "bulk", &[], back))
        }
    }
}

/// One form for every action: the fields an action does not use are ignored.
fn action_form(viewer: &Viewer<'_>, id: &str, targets: &[String], back: &str) -> Markup {
    html! {
        form id=(id) method="post" action="/action" class="action-form" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="back" value=(back);
            @for t in targets { input type="hidden" name="target" value=(t); }
            label { "Action "
                select name="action" {
                    @for (value, label) in ACTIONS { option value=(value) { (label) } }
                }
            }
            label { "Comment " input name="comment" maxlength="1000"; }
            fieldset {
                legend { "Acknowledgement" }
                label { input type="checkbox" name="sticky" checked; " sticky" }
                label { input type="checkbox" name="notify" checked; " notify" }
                label { input type="checkbox" name="persistent"; " persistent comment" }
            }
            fieldset {
                legend { "Downtime" }
                label { input type="radio" name="kind" value="fixed" checked; " fixed" }
                label { input type="radio" name="kind" value="flexible"; " flexible" }
                label { "minutes " input name="minutes" type="number" min="1" value="60" size="6"; }
            }
            fieldset {
                legend { "Passive result" }
                label { "code "
                    select name="code" {
                        option value="0" { "0 OK / UP" } option value="1" { "1 WARNING / DOWN" }
                        option value="2" { "2 CRITICAL / UNREACHABLE" } option value="3" { "3 UNKNOWN" }
                    }
                }
                label { "output " input name="output" maxlength="4000"; }
            }
            button type="submit" { "Submit" }
        }
    }
}

fn list_filters(kind: &str, q: &ListQuery, page: &ListPage) -> Markup {
    let states: &[&str] = if kind == "hosts" {
        &["", "problems", "unhandled", "up", "down", "unreachable", "pending"]
    } else {
        &[
            "",
            "problems",
            "unhandled",
            "ok",
            "warning",
            "critical",
            "unknown",
            "pending",
        ]
    };
    html! {
        form method="get" action={"/" (kind)} class="filters" role="search" {
            label { "State "
                select name="state" {
                    @for s in states {
                        option value=(s) selected[q.state == *s] { @if s.is_empty() { "all" } @else { (s) } }
                    }
                }
            }
            @if kind == "services" { label { "Host " input name="host" value=(q.host) size="14"; } }
            label { "Group "
                select name="group" {
                    option value="" { "all" }
                    @for g in &page.groups { option value=(g) selected[q.group == *g] { (g) } }
                }
            }
            label { "Search " input name="q" type="search" value=(q.q) placeholder="name or output"; }
            label { "Sort "
                select name="sort" {
                    @for (v, l) in [("name", "name"), ("state", "state"), ("duration", "duration"), ("last_check", "last check")] {
                        option value=(v) selected[q.sort == v] { (l) }
                    }
                }
            }
            label { input type="checkbox" name="desc" value="true" checked[q.desc]; " reverse" }
            button type="submit" { "Filter" }
        }
    }
}

fn pager(kind: &str, q: &ListQuery, page: &ListPage) -> Markup {
    let link = |p: usize| {
        format!(
            "/{kind}?state={}&host={}&group={}&q={}&sort={}&desc={}&page={p}",
            enc(&q.state),
            enc(&q.host),
            enc(&q.group),
            enc(&q.q),
            enc(&q.sort),
            q.desc
        )
    };
    html! {
        nav class="pager" aria-label="pages" {
            (page.total) " objects · page " (page.page) " of " (page.pages) " "
            @if page.page > 1 { a href=(link(page.page - 1)) rel="prev" { "← previous" } " " }
            @if page.page < page.pages { a href=(link(page.page + 1)) rel="next" { "next →" } }
        }
    }
}

pub fn list(kind: &'static str, q: &ListQuery, page: &ListPage, now: i64, viewer: &Viewer<'_>) -> Page {
    let title = if kind == "hosts" { "Hosts" } else { "Services" };
    Page {
        title: title.into(),
        nav: kind,
        live: html! {
            h1 { (title) }
            (pager(kind, q, page))
            (problem_table("list", &page.rows, now, true))
        },
        still: html! {
            (list_filters(kind, q, page))
            (bulk_form(viewer, &format!("/{kind}")))
        },
    }
}

fn facts(d: &Detail, now: i64) -> Markup {
    let o = &d.obj;
    let s = &o.status;
    html! {
        dl class="facts" {
            dt { "State" } dd { (state_badge(o)) " " (if o.hard() { "HARD" } else { "SOFT" }) " for " (duration(now - s.last_state_change)) " " (flags(o)) }
            dt { "Attempt" } dd { (s.attempt) "/" (o.max_attempts) }
            dt { "Output" } dd class="output" { (s.output) }
            @if !s.long_output.is_empty() { dt { "Long output" } dd { pre class="output" { (s.long_output) } } }
            dt { "Last check" } dd { (view_when(s.last_check)) }
            dt { "Next check" } dd { @if s.next_check > 0 { (view_when(s.next_check)) } @else { "not scheduled" } }
            dt { "Latency / execution" } dd { (format!("{:.3} s / {:.3} s", s.latency, s.execution_time)) }
            dt { "Flapping" } dd { @if s.is_flapping { "yes" } @else { "no" } (format!(" ({:.1} % state change)", s.percent_state_change)) }
            dt { "Checks" } dd { "active " (on_off(s.switches.active_checks)) ", passive " (on_off(s.switches.passive_checks)) }
            dt { "Notifications" } dd { (on_off(s.switches.notifications)) "; " (s.notification_number) " sent for this problem, last " (view_when(s.last_notification)) }
            @if let Some(a) = o.ack() {
                dt { "Acknowledged" } dd { "by " (a.author) " at " (view_when(a.time)) ": " (a.comment) @if a.sticky == 2 { " (sticky)" } }
            }
            @if !d.check_command.is_empty() { dt { "Check command" } dd { code { (d.check_command) } } }
            @if !d.address.is_empty() { dt { "Address" } dd { (d.address) } }
            dt { "Scheduler" } dd { (o.scheduler) @if let Some(r) = &d.runner { " — running on the spare " strong { (r) } } }
            @if !d.groups.is_empty() { dt { "Groups" } dd { (d.groups.join(", ")) } }
            @if !d.contacts.is_empty() { dt { "Contacts" } dd { (d.contacts.join(", ")) } }
            @if !d.parents.is_empty() { dt { @if o.is_host() { "Parents" } @else { "Host" } }
                dd { @for (i, p) in d.parents.iter().enumerate() { @if i > 0 { ", " } a href={"/host?name=" (enc(p))} { (p) } } } }
            @if !d.children.is_empty() { dt { "Children" } dd { (d.children.join(", ")) } }
            @if !d.depends_on.is_empty() { dt { "Depends on" } dd { (d.depends_on.join(", ")) } }
        }
    }
}

fn view_when(t: i64) -> String {
    when(t)
}

fn on_off(b: bool) -> &'static str {
    if b {
        "enabled"
    } else {
        "disabled"
    }
}

/// The plugin's perfdata as a table (read as the pollers read it: `vigia_exec::perfdata`).
fn perf_table(text: &str) -> Markup {
    let perf = vigia_exec::perfdata::parse(text);
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let threshold = |t: &Option<vigia_exec::perfdata::Threshold>| t.as_ref().map(|t| t.raw.clone()).unwrap_or_default();
    html! {
        @if !perf.is_empty() {
            h2 { "Performance data" }
            table class="perf" {
                thead { tr { th { "Label" } th { "Value" } th { "Unit" } th { "Warning" } th { "Critical" } th { "Min" } th { "Max" } } }
                tbody { @for p in &perf { tr {
                    td { (p.label) } td { @if p.value.is_some() { (number(p.value)) } @else { "U" } } td { (p.uom) }
                    td { (threshold(&p.warn)) } td { (threshold(&p.crit)) } td { (number(p.min)) } td { (number(p.max)) }
                } } }
            }
        }
    }
}

fn notes(d: &Detail) -> Markup {
    html! {
        h2 { "Comments" }
        @if d.comments.is_empty() { p class="quiet" { "None." } }
        ul class="comments" { @for c in &d.comments { li { (view_when(c.entry_time)) " " strong { (c.author) } ": " span class="comment" { (c.text) } } } }
        h2 { "Downtimes" }
        @if d.downtimes.is_empty() { p class="quiet" { "None." } }
        ul class="downtimes" { @for n in &d.downtimes {
            @if let Some((start, end, fixed, running)) = n.window {
                li { (view_when(start)) " → " (view_when(end)) @if fixed { " fixed" } @else { " flexible" } @if running { " (running)" } " by " strong { (n.author) } ": " (n.text) }
            }
        } }
    }
}

/// A state change from the monitoring log, for the history.
pub struct Change {
    pub time: i64,
    pub state: String,
    pub class: &'static str,
    pub kind: String,
    pub output: String,
}

fn history(changes: &[Change], now: i64) -> Markup {
    // A bar per change, as wide as the time it lasted (the last until now), over the history.
    let start = changes.first().map_or(now, |c| c.time);
    let span = (now - start).max(1) as f64;
    html! {
        h2 { "State history" }
        @if changes.is_empty() { p class="quiet" { "No state change in the monitoring log." } }
        @else {
            div class="timeline" role="img" aria-label="state timeline" {
                @for (i, c) in changes.iter().enumerate() {
                    @let end = changes.get(i + 1).map_or(now, |n| n.time);
                    @let width = ((end - c.time).max(0) as f64 / span * 100.0).max(0.5);
                    span class={"seg " (c.class)} style=(format!("width:{width:.2}%")) title={(view_when(c.time)) " " (c.state)} {}
                }
            }
            table class="history" {
                thead { tr { th { "Time" } th { "State" } th { "Event" } th { "Output" } } }
                tbody { @for c in changes.iter().rev().take(50) {
                    tr { td { (view_when(c.time)) } td { span class={"state " (c.class)} { (c.state) } } td { (c.kind) } td class="output" { (c.output) } }
                } }
            }
        }
    }
}

pub fn detail(d: &Detail, changes: &[Change], notifications: &[String], now: i64, viewer: &Viewer<'_>) -> Page {
    let o = &d.obj;
    let name = match &o.service {
        Some(s) => format!("{} on {}", s, o.host),
        None => o.host.clone(),
    };
    let back = match &o.service {
        Some(s) => format!("/service?host={}&service={}", enc(&o.host), enc(s)),
        None => format!("/host?name={}", enc(&o.host)),
    };
    Page {
        title: name.clone(),
        nav: if o.is_host() { "hosts" } else { "services" },
        live: html! {
            h1 { (if o.is_host() { "Host " } else { "Service " }) (name) }
            @if !d.alias.is_empty() && d.alias != o.host { p class="quiet" { (d.alias) } }
            (facts(d, now))
            (perf_table(&o.status.perf_data))
            (notes(d))
            @if !d.services.is_empty() {
                h2 { "Services" }
                (problem_table("services", &d.services, now, false))
            }
            h2 { "Notifications sent" }
            @if notifications.is_empty() { p class="quiet" { "None in the monitoring log." } }
            ul class="notifications" { @for n in notifications.iter().rev().take(20) { li { (n) } } }
            (history(changes, now))
        },
        still: html! {
            @if o.can_act {
                section class="actions" aria-labelledby="act-h" {
                    h2 id="act-h" { "Actions" }
                    (action_form(viewer, "act", &[o.target()], &back))
                }
            }
        },
    }
}

/// The cluster page's data: the arbiter's view, or why there is none.
pub fn cluster(
    status: Result<&vigia_proto::ArbiterStatus, &str>,
    ha: &[vigia_proto::HaNote],
    schedulers: &[vigia_proto::SchedulerSummary],
    now: i64,
) -> Page {
    Page {
        title: "Cluster".into(),
        nav: "cluster",
        live: html! {
            h1 { "Cluster" }
            @match status {
                Ok(s) => {
                    p { "Arbiter " strong { (s.name) } " · configuration " code { (s.config_hash.get(..12).unwrap_or(&s.config_hash)) } " loaded " (when(s.loaded_at)) " · arbiter generation " (s.arbiter_generation) }
                    table class="daemons" {
                        thead { tr { th { "Daemon" } th { "Role" } th { "Realm" } th { "Master / spare" } th { "Alive" } th { "Runs" } th { "Generation" } th { "Since" } } }
                        tbody { @for d in &s.daemons {
                            // The arbiter that answered is alive, whatever it has of itself.
                            @let alive = d.alive || (d.role == vigia_config::model::Role::Arbiter && d.name == s.name);
                            tr class={ "row " (if alive { "ok" } else { "critical" }) } {
                                td { (d.name) } td { (d.role.name()) } td { (d.realm) }
                                td { @if d.spare { "spare" } @else { "master" } }
                                td { span class={"state " (if alive { "ok" } else { "critical" })} { @if alive { "ALIVE" } @else { "DEAD" } } }
                                td { @if let Some(h) = &d.standing_in_for { "the work of " strong { (h) } @if let Some(r) = &d.reason { " (" (r) ")" } }
                                     @else if d.assigned { "its own work" } @else if d.spare { "waiting" } @else if d.role == vigia_config::model::Role::Arbiter { "the configuration" } @else { "nothing" } }
                                td { (d.generation) }
                                td { (duration(now - d.since)) " ago" }
                            }
                        } }
                    }
                }
                Err(why) => { p class="flash error" { "The arbiter does not answer: " (why) } }
            }
            h2 { "Schedulers this broker follows" }
            table {
                thead { tr { th { "Scheduler" } th { "At" } th { "Connected" } th { "Hosts" } th { "Services" } th { "Last contact" } } }
                tbody { @for s in schedulers { tr { td { (s.name) } td { (s.url) } td { @if s.connected { "yes" } @else { "no" } } td { (s.hosts) } td { (s.services) } td { (when(s.last_contact)) } } } }
            }
            h2 { "Take-overs and give-backs" }
            @if ha.is_empty() { p class="quiet" { "None since the arbiter started." } }
            ol class="ha-timeline" { @for n in ha.iter().rev() { li { time { (when(n.at)) } " " (n.line) } } }
        },
        still: html! {},
    }
}

/// A monitoring log line for the log page.
pub struct LogLine {
    pub time: i64,
    pub kind: String,
    pub class: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct LogQuery {
    /// `YYYY-MM-DDTHH:MM` local, or empty (the last 24 hours).
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub service: String,
    /// The line type (`SERVICE ALERT`, …), empty for all.
    #[serde(default, rename = "type")]
    pub kind: String,
}

pub const LOG_TYPES: &[&str] = &[
    "HOST ALERT",
    "SERVICE ALERT",
    "HOST NOTIFICATION",
    "SERVICE NOTIFICATION",
    "EXTERNAL COMMAND",
    "PASSIVE SERVICE CHECK",
    "PASSIVE HOST CHECK",
    "HOST DOWNTIME ALERT",
    "SERVICE DOWNTIME ALERT",
    "HOST FLAPPING ALERT",
    "SERVICE FLAPPING ALERT",
    "CURRENT HOST STATE",
    "CURRENT SERVICE STATE",
    "VIGIA HA",
];

pub fn log(q: &LogQuery, lines: &[LogLine], shown_from: i64, shown_to: i64, total: usize) -> Page {
    Page {
        title: "Log".into(),
        nav: "log",
        live: html! {
            h1 { "Monitoring log" }
            p { (total) " lines from " (when(shown_from)) " to " (when(shown_to)) @if total > lines.len() { ", the last " (lines.len()) " shown" } "." }
            table class="log" {
                thead { tr { th { "Time" } th { "Type" } th { "Message" } } }
                tbody { @for l in lines.iter().rev() {
                    tr class={"row " (l.class)} { td { (when(l.time)) } td { (l.kind) } td class="output" { (l.message) } }
                } }
            }
        },
        still: html! {
            form method="get" action="/log" class="filters" role="search" {
                label { "From " input name="from" type="datetime-local" value=(q.from); }
                label { "To " input name="to" type="datetime-local" value=(q.to); }
                label { "Host " input name="host" value=(q.host) size="14"; }
                label { "Service " input name="service" value=(q.service) size="14"; }
                label { "Type "
                    select name="type" {
                        option value="" { "all" }
                        @for t in LOG_TYPES { option value=(t) selected[q.kind == *t] { (t) } }
                    }
                }
                button type="submit" { "Filter" }
            }
        },
    }
}

/// The result of an action, once the scheduler applied it (or why not).
pub fn outcome_flash(applied: usize, refused: &[(String, String)], pending: bool) -> String {
    let mut text = format!("{applied} command(s) applied");
    if pending {
        text = format!("{applied} command(s) queued, not yet confirmed by the scheduler (they will be applied)");
    }
    for (command, why) in refused {
        text.push_str(&format!("; refused: {command}: {why}"));
    }
    text
}

/// The raw HTML of a page with no layout (the login redirect target and errors).
pub fn message(title: &str, text: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" { (head(title, false))
        body { main id="main" { h1 { (title) } p { (text) } p { a href="/" { "Back to the overview" } } } } }
    }
}
