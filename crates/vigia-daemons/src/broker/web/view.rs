//! What the pages show, taken from the broker's status joined with the parts' configuration
//! (the rows Livestatus serves), filtered by the user's rights.
//!
//! Lists filter and sort over borrowed rows and copy only the page they show: 100,000 services
//! cost the snapshot (shared pointers) and one pass, not 100,000 copies.
use std::sync::Arc;

use vigia_config::Config;
use vigia_engine::status::{Acknowledgement, Item, StateType, Status};

use super::auth::Rights;
use crate::broker::livestatus::rows::{self, Clock, HostRow, Monitoring, Parts, ServiceRow};
use crate::broker::{read, Broker};

/// One host or service as a page shows it.
#[derive(Clone, Debug)]
pub struct Obj {
    pub host: String,
    /// `None` for a host.
    pub service: Option<String>,
    pub status: Status,
    pub max_attempts: u32,
    /// A service's host state (0 for a host itself).
    pub host_state: u8,
    /// The scheduler whose part holds it (its home).
    pub scheduler: String,
    /// The user may act on it.
    pub can_act: bool,
}

impl Obj {
    pub fn is_host(&self) -> bool {
        self.service.is_none()
    }

    pub fn state_name(&self) -> &'static str {
        state_name(self.is_host(), self.status.state, self.status.has_been_checked)
    }

    /// The CSS class of its state (`ok`, `warning`, `critical`, `unknown`, `pending`).
    pub fn state_class(&self) -> &'static str {
        state_class(self.is_host(), self.status.state, self.status.has_been_checked)
    }

    /// Acknowledged, in a downtime, or (a service) its host is not up: someone knows.
    pub fn handled(&self) -> bool {
        self.status.acknowledgement.is_some() || self.status.downtime_depth > 0 || self.host_state != 0
    }

    /// Higher is worse: a host down, then critical, unknown, warning, unreachable.
    pub fn severity(&self) -> u8 {
        match (self.is_host(), self.status.state) {
            (true, 1) => 5,
            (false, 2) => 4,
            (false, 3) => 3,
            (false, 1) => 2,
            (true, 2) => 1,
            _ => 0,
        }
    }

    pub fn hard(&self) -> bool {
        self.status.state_type == StateType::Hard
    }

    pub fn ack(&self) -> Option<&Acknowledgement> {
        self.status.acknowledgement.as_ref()
    }

    /// `host` or `host;service`: how a form names it.
    pub fn target(&self) -> String {
        match &self.service {
            Some(s) => format!("{};{s}", self.host),
            None => self.host.clone(),
        }
    }
}

pub fn state_name(host: bool, state: u8, checked: bool) -> &'static str {
    if !checked {
        return "PENDING";
    }
    match (host, state) {
        (true, 0) => "UP",
        (true, 1) => "DOWN",
        (true, _) => "UNREACHABLE",
        (false, 0) => "OK",
        (false, 1) => "WARNING",
        (false, 2) => "CRITICAL",
        (false, _) => "UNKNOWN",
    }
}

pub fn state_class(host: bool, state: u8, checked: bool) -> &'static str {
    if !checked {
        return "pending";
    }
    match (host, state) {
        (_, 0) => "ok",
        (true, 1) | (false, 2) => "critical",
        (true, _) | (false, 3) => "unknown",
        (false, _) => "warning",
    }
}

/// The broker's status and configuration at one moment, for one request.
pub struct Gathered {
    snapshot: crate::broker::status::Snapshot,
    configs: Vec<Option<Arc<Config>>>,
    clock: Clock,
}

impl Gathered {
    /// Everything, or one host and its services (`scope`).
    pub fn new(broker: &Broker, scope: Option<&str>) -> Gathered {
        let snapshot = read(&broker.status).snapshot(scope);
        let configs = snapshot
            .schedulers
            .iter()
            .map(|s| broker.part_config(&s.name))
            .collect();
        Gathered {
            snapshot,
            configs,
            clock: Clock {
                now: crate::daemon::now(),
                tz: jiff::tz::TimeZone::system(),
            },
        }
    }

    pub fn parts(&self) -> Parts<'_> {
        Parts::new(&self.snapshot, &self.configs, &self.clock)
    }
}

/// What a user may see and do with each row.
pub struct Access<'r> {
    pub rights: &'r Rights,
}

impl Access<'_> {
    pub fn host(&self, h: &HostRow<'_>) -> bool {
        self.rights.all_hosts || h.visible_to(&self.rights.user)
    }

    pub fn service(&self, s: &ServiceRow<'_>) -> bool {
        self.rights.all_services || s.visible_to(&self.rights.user)
    }

    pub fn act_host(&self, h: &HostRow<'_>) -> bool {
        self.rights.can_submit && (self.rights.all_host_commands || h.visible_to(&self.rights.user))
    }

    pub fn act_service(&self, s: &ServiceRow<'_>) -> bool {
        self.rights.can_submit && (self.rights.all_service_commands || s.visible_to(&self.rights.user))
    }

    pub fn host_obj(&self, h: &HostRow<'_>) -> Obj {
        Obj {
            host: h.name.to_string(),
            service: None,
            status: h.status.clone(),
            max_attempts: h.common().map_or(1, |c| c.max_check_attempts),
            host_state: 0,
            scheduler: h.part.scheduler.to_string(),
            can_act: self.act_host(h),
        }
    }

    pub fn service_obj(&self, s: &ServiceRow<'_>) -> Obj {
        let host_state = if s.host.status.has_been_checked {
            s.host.status.state
        } else {
            0
        };
        Obj {
            host: s.host.name.to_string(),
            service: Some(s.description.to_string()),
            status: s.status.clone(),
            max_attempts: s.common().map_or(1, |c| c.max_check_attempts),
            host_state,
            scheduler: s.host.part.scheduler.to_string(),
            can_act: self.act_service(s),
        }
    }
}

/// Counts by state, for the overview.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Up, down, unreachable, pending.
    pub hosts: [usize; 4],
    /// Ok, warning, critical, unknown, pending.
    pub services: [usize; 5],
}

pub struct Overview {
    pub counts: Counts,
    /// Not OK and nobody knows: worst first, then longest first.
    pub unhandled: Vec<Obj>,
    /// Acknowledged, in a downtime, or behind a host that is down.
    pub handled: Vec<Obj>,
}

/// The overview a user sees.
pub fn overview(g: &Gathered, rights: &Rights) -> Overview {
    let access = Access { rights };
    let parts = g.parts();
    let hosts = parts.hosts();
    let services = rows::services(&parts, &hosts, None);
    let mut counts = Counts::default();
    let mut problems = Vec::new();
    for h in hosts.iter().filter(|h| access.host(h)) {
        let i = if h.status.has_been_checked {
            (h.status.state as usize).min(2)
        } else {
            3
        };
        counts.hosts[i] += 1;
        if h.status.has_been_checked && h.status.state != 0 {
            problems.push(access.host_obj(h));
        }
    }
    for s in services.iter().filter(|s| access.service(s)) {
        let i = if s.status.has_been_checked {
            (s.status.state as usize).min(3)
        } else {
            4
        };
        counts.services[i] += 1;
        if s.status.has_been_checked && s.status.state != 0 {
            problems.push(access.service_obj(s));
        }
    }
    problems.sort_by(|a, b| {
        b.severity()
            .cmp(&a.severity())
            .then(a.status.last_state_change.cmp(&b.status.last_state_change))
            .then_with(|| (&a.host, &a.service).cmp(&(&b.host, &b.service)))
    });
    let (handled, unhandled) = problems.into_iter().partition(Obj::handled);
    Overview {
        counts,
        unhandled,
        handled,
    }
}

/// A list page's request (`/hosts`, `/services`).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    /// `ok`, `warning`, `critical`, `unknown`, `up`, `down`, `unreachable`, `pending`, or
    /// `problems` (anything not OK).
    #[serde(default)]
    pub state: String,
    /// Exact host name.
    #[serde(default)]
    pub host: String,
    /// A host group (hosts) or host or service group (services).
    #[serde(default)]
    pub group: String,
    /// Text searched in names and output (case-insensitive).
    #[serde(default)]
    pub q: String,
    /// `name` (default), `state`, `duration`, `last_check`.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub desc: bool,
    /// From 1.
    #[serde(default)]
    pub page: usize,
}

pub const PAGE_SIZE: usize = 100;

pub struct ListPage {
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub rows: Vec<Obj>,
    /// The group names to choose from.
    pub groups: Vec<String>,
}

fn state_matches(wanted: &str, host: bool, status: &Status) -> bool {
    match wanted {
        "" | "all" => true,
        "problems" => status.has_been_checked && status.state != 0,
        "unhandled" => {
            status.has_been_checked
                && status.state != 0
                && status.acknowledgement.is_none()
                && status.downtime_depth == 0
        }
        w => state_name(host, status.state, status.has_been_checked).eq_ignore_ascii_case(w),
    }
}

fn text_matches(q: &str, names: &[&str], output: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let q = q.to_lowercase();
    names.iter().any(|n| n.to_lowercase().contains(&q)) || output.to_lowercase().contains(&q)
}

fn order(sort: &str, a: &Status, b: &Status) -> std::cmp::Ordering {
    match sort {
        "state" => b.state.cmp(&a.state),
        "duration" => a.last_state_change.cmp(&b.last_state_change),
        "last_check" => b.last_check.cmp(&a.last_check),
        _ => std::cmp::Ordering::Equal,
    }
}

/// The page `q` asks for of the sorted rows `kept` (reversed with `desc`): only its rows are
/// copied.
fn one_page<R>(kept: &[&R], q: &ListQuery, obj: impl Fn(&R) -> Obj, groups: Vec<String>) -> ListPage {
    let pages = kept.len().div_ceil(PAGE_SIZE).max(1);
    let page = q.page.clamp(1, pages);
    let skip = (page - 1) * PAGE_SIZE;
    let rows = if q.desc {
        kept.iter().rev().skip(skip).take(PAGE_SIZE).map(|r| obj(r)).collect()
    } else {
        kept.iter().skip(skip).take(PAGE_SIZE).map(|r| obj(r)).collect()
    };
    ListPage {
        total: kept.len(),
        page,
        pages,
        rows,
        groups,
    }
}

/// Whether `h` is in the host group `name` (no copy of any name: run over every row).
fn in_host_group(h: &HostRow<'_>, name: &str) -> bool {
    let (Some(conf), Some(c)) = (h.conf, h.part.config) else {
        return false;
    };
    conf.hostgroups.iter().any(|g| c.hostgroups[g.index()].name == name)
}

fn in_service_group(s: &ServiceRow<'_>, name: &str) -> bool {
    let (Some(conf), Some(c)) = (s.conf, s.host.part.config) else {
        return false;
    };
    conf.servicegroups
        .iter()
        .any(|g| c.servicegroups[g.index()].name == name)
}

/// The host group names (and service group names) of every part, sorted: the list pages'
/// group choice (names only, not the merged groups Livestatus builds with their members).
fn group_names(parts: &Parts<'_>, with_service_groups: bool) -> Vec<String> {
    let mut names: Vec<String> = parts
        .parts
        .iter()
        .filter_map(|p| p.config)
        .flat_map(|c| {
            let services = if with_service_groups { &c.servicegroups[..] } else { &[] };
            c.hostgroups
                .iter()
                .map(|g| g.name.clone())
                .chain(services.iter().map(|g| g.name.clone()))
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

pub fn hosts(g: &Gathered, rights: &Rights, q: &ListQuery) -> ListPage {
    let access = Access { rights };
    let parts = g.parts();
    let hosts = parts.hosts();
    let mut kept: Vec<&HostRow<'_>> = hosts
        .iter()
        .filter(|h| access.host(h))
        .filter(|h| q.host.is_empty() || h.name == q.host)
        .filter(|h| q.group.is_empty() || in_host_group(h, &q.group))
        .filter(|h| state_matches(&q.state, true, h.status))
        .filter(|h| {
            let alias = h.conf.map_or("", |c| c.alias.as_str());
            text_matches(&q.q, &[h.name, alias], &h.status.output)
        })
        .collect();
    kept.sort_by(|a, b| order(&q.sort, a.status, b.status).then(a.name.cmp(b.name)));
    one_page(&kept, q, |h| access.host_obj(h), group_names(&parts, false))
}

pub fn services(g: &Gathered, rights: &Rights, q: &ListQuery) -> ListPage {
    let access = Access { rights };
    let parts = g.parts();
    let hosts = parts.hosts();
    let scope = (!q.host.is_empty()).then_some(q.host.as_str());
    let services = rows::services(&parts, &hosts, scope);
    let mut kept: Vec<&ServiceRow<'_>> = services
        .iter()
        .filter(|s| access.service(s))
        .filter(|s| q.group.is_empty() || in_service_group(s, &q.group) || in_host_group(s.host, &q.group))
        .filter(|s| state_matches(&q.state, false, s.status))
        .filter(|s| text_matches(&q.q, &[s.host.name, s.description], &s.status.output))
        .collect();
    kept.sort_by(|a, b| {
        order(&q.sort, a.status, b.status).then((a.host.name, a.description).cmp(&(b.host.name, b.description)))
    });
    one_page(&kept, q, |s| access.service_obj(s), group_names(&parts, true))
}

/// A comment or downtime line on a detail page.
#[derive(Clone, Debug)]
pub struct Note {
    pub author: String,
    pub text: String,
    pub entry_time: i64,
    /// Downtimes: start, end, fixed, running.
    pub window: Option<(i64, i64, bool, bool)>,
}

/// A host's or service's page.
pub struct Detail {
    pub obj: Obj,
    pub alias: String,
    pub address: String,
    pub check_command: String,
    pub groups: Vec<String>,
    pub parents: Vec<String>,
    pub children: Vec<String>,
    /// What it depends on (`host` or `host;service`).
    pub depends_on: Vec<String>,
    pub contacts: Vec<String>,
    pub comments: Vec<Note>,
    pub downtimes: Vec<Note>,
    /// A host's services.
    pub services: Vec<Obj>,
    /// The spare running its part, while one does (set by the handler from the assignment).
    pub runner: Option<String>,
}

fn notes(part: &rows::PartData<'_>, item: Item) -> (Vec<Note>, Vec<Note>) {
    let comments = part
        .comments
        .iter()
        .filter(|c| c.item == item)
        .map(|c| Note {
            author: c.author.clone(),
            text: c.text.clone(),
            entry_time: c.entry_time,
            window: None,
        })
        .collect();
    let downtimes = part
        .downtimes
        .iter()
        .filter(|d| d.item == item)
        .map(|d| Note {
            author: d.author.clone(),
            text: d.comment.clone(),
            entry_time: d.entry_time,
            window: Some((d.start, d.end, d.fixed, d.active)),
        })
        .collect();
    (comments, downtimes)
}

fn command_name(config: Option<&Config>, m: Option<&vigia_config::model::Monitored>) -> String {
    let (Some(c), Some(call)) = (config, m.and_then(|m| m.check_command.as_ref())) else {
        return String::new();
    };
    c.commands
        .get(call.command.index())
        .map(|cmd| cmd.name.clone())
        .unwrap_or_default()
}

/// A host's page, if the user may see it.
pub fn host(g: &Gathered, rights: &Rights, name: &str) -> Option<Detail> {
    let access = Access { rights };
    let parts = g.parts();
    let hosts = parts.hosts();
    let h = hosts.iter().find(|h| h.name == name && access.host(h))?;
    let services = rows::services(&parts, &hosts, Some(name));
    let config = h.part.config;
    let (comments, downtimes) = notes(h.part, h.item());
    let depends_on = match (config, h.conf) {
        (Some(c), Some(_)) => c
            .hostdependencies
            .iter()
            .filter(|d| d.dependent.0 == h.id)
            .map(|d| c.hosts[d.master.index()].name.clone())
            .collect(),
        _ => Vec::new(),
    };
    Some(Detail {
        obj: access.host_obj(h),
        alias: h.conf.map(|c| c.alias.clone()).unwrap_or_default(),
        address: h.conf.map(|c| c.address.clone()).unwrap_or_default(),
        check_command: command_name(config, h.common()),
        groups: h.group_names(),
        parents: h.parent_names(),
        children: h.child_names(),
        depends_on,
        contacts: contact_names(h),
        comments,
        downtimes,
        services: services
            .iter()
            .filter(|s| access.service(s))
            .map(|s| access.service_obj(s))
            .collect(),
        runner: None,
    })
}

fn contact_names(m: &impl Monitoring) -> Vec<String> {
    let Some(c) = m.config() else { return Vec::new() };
    let mut names: Vec<String> = m
        .contact_ids()
        .iter()
        .map(|id| c.contacts[id.index()].name.clone())
        .collect();
    names.sort();
    names
}

/// A service's page, if the user may see it.
pub fn service(g: &Gathered, rights: &Rights, host: &str, description: &str) -> Option<Detail> {
    let access = Access { rights };
    let parts = g.parts();
    let hosts = parts.hosts();
    let services = rows::services(&parts, &hosts, Some(host));
    let s = services
        .iter()
        .find(|s| s.description == description && access.service(s))?;
    let config = s.host.part.config;
    let (comments, downtimes) = notes(s.host.part, s.item());
    let depends_on = match config {
        Some(c) => c
            .servicedependencies
            .iter()
            .filter(|d| d.dependent.0 == s.id)
            .map(|d| {
                let m = &c.services[d.master.index()];
                format!("{};{}", c.hosts[m.host.index()].name, m.description)
            })
            .collect(),
        None => Vec::new(),
    };
    Some(Detail {
        obj: access.service_obj(s),
        alias: String::new(),
        address: s.host.conf.map(|c| c.address.clone()).unwrap_or_default(),
        check_command: command_name(config, s.common()),
        groups: s.group_names(),
        parents: vec![host.to_string()],
        children: Vec::new(),
        depends_on,
        contacts: contact_names(s),
        comments,
        downtimes,
        services: Vec::new(),
        runner: None,
    })
}

/// Whether the user may act on `target` (`host` or `host;service`), and it exists.
pub fn may_act(g: &Gathered, rights: &Rights, target: &str) -> bool {
    let access = Access { rights };
    let parts = g.parts();
    let hosts = parts.hosts();
    match target.split_once(';') {
        None => hosts.iter().any(|h| h.name == target && access.act_host(h)),
        Some((host, description)) => rows::services(&parts, &hosts, Some(host))
            .iter()
            .any(|s| s.description == description && access.act_service(s)),
    }
}

/// Whether the user may see `host` (and `service`): for log lines.
pub fn visible_names(
    g: &Gathered,
    rights: &Rights,
) -> (
    std::collections::HashSet<String>,
    std::collections::HashSet<(String, String)>,
) {
    let access = Access { rights };
    let parts = g.parts();
    let hosts = parts.hosts();
    let services = rows::services(&parts, &hosts, None);
    (
        hosts
            .iter()
            .filter(|h| access.host(h))
            .map(|h| h.name.to_string())
            .collect(),
        services
            .iter()
            .filter(|s| access.service(s))
            .map(|s| (s.host.name.to_string(), s.description.to_string()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_have_nagios_names_and_pending_before_the_first_check() {
        assert_eq!(state_name(true, 1, true), "DOWN");
        assert_eq!(state_name(false, 2, true), "CRITICAL");
        assert_eq!(state_name(false, 2, false), "PENDING");
        assert_eq!(state_class(true, 2, true), "unknown");
        assert_eq!(state_class(false, 1, true), "warning");
    }
}
