//! The web UI, served by the broker on its own address next to its API: overview, host and
//! service lists and pages, actions, the cluster (HA) page and the monitoring log.
//!
//! People log in (see [`auth`]); the daemon API's shared secret is not asked for here. Pages
//! are rendered on the server ([`pages`], from [`view`]); a small script ([`JS`]) listens to
//! `/events` (server-sent events, one per change of the broker's status, at most one a second)
//! and fetches the page's live part again. Actions are POSTed forms with a CSRF token, turned
//! into external commands ([`actions`]) and sent through a receiver, which delivers them
//! exactly once to the scheduler owning the host; the answer waits until the scheduler (and
//! its spares) hold them.
pub mod actions;
pub mod auth;
pub mod pages;
pub mod view;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::Markup;

use super::{lock, read, Broker};
use crate::link::Link;
use auth::{Rights, Sessions, COOKIE, SESSION_SECONDS};
use pages::{Page, Standing, Viewer};

const CSS: &str = include_str!("assets/vigia.css");
const JS: &str = include_str!("assets/vigia.js");
/// The short-lived cookie carrying an action's outcome to the next page.
const FLASH: &str = "vigia_flash";
/// How long an action waits for the scheduler to apply it.
const ACTION_WAIT_SECONDS: u64 = 10;

/// The arbiter's status, or why there is none.
type ClusterAnswer = Result<Arc<vigia_proto::ArbiterStatus>, String>;

/// The web UI's own state in the broker.
pub struct Web {
    pub sessions: Sessions,
    logins: auth::LoginGuard,
    /// The arbiters (for the cluster page), kept across assignments naming the same ones.
    arbiters: Mutex<Vec<Link>>,
    /// Per part followed: its home scheduler and the daemon running it.
    runners: Mutex<Vec<(String, String)>>,
    /// The arbiter's last answer, reused for a second (the cluster page's live refreshes).
    cluster: Mutex<Option<(Instant, ClusterAnswer)>>,
}

impl Web {
    pub fn new(sessions: Sessions) -> Web {
        Web {
            sessions,
            logins: auth::LoginGuard::default(),
            arbiters: Mutex::new(Vec::new()),
            runners: Mutex::new(Vec::new()),
            cluster: Mutex::new(None),
        }
    }

    /// A new assignment: who runs each part, where the arbiters are.
    pub fn assigned(&self, work: &vigia_proto::BrokerWork, secrets: crate::secret::Secrets) {
        *lock(&self.runners) = work
            .schedulers
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    if l.runner.is_empty() {
                        l.name.clone()
                    } else {
                        l.runner.clone()
                    },
                )
            })
            .collect();
        let mut arbiters = lock(&self.arbiters);
        let old = std::mem::take(&mut *arbiters);
        *arbiters = Link::keep_or_make(old, &work.arbiters, &secrets);
    }

    /// The spare running `home`'s part, while one does.
    fn runner_of(&self, home: &str) -> Option<String> {
        lock(&self.runners)
            .iter()
            .find(|(h, r)| h == home && r != home)
            .map(|(_, r)| r.clone())
    }

    fn standing(&self) -> Vec<Standing> {
        lock(&self.runners)
            .iter()
            .filter(|(home, runner)| home != runner)
            .map(|(home, runner)| Standing {
                home: home.clone(),
                runner: runner.clone(),
            })
            .collect()
    }
}

pub fn router(broker: Arc<Broker>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/hosts", get(hosts))
        .route("/services", get(services))
        .route("/host", get(host))
        .route("/service", get(service))
        .route("/cluster", get(cluster))
        .route("/log", get(log))
        .route("/action", post(action))
        .route("/events", get(events))
        .route("/static/vigia.css", get(|| async { asset("text/css", CSS) }))
        .route("/static/vigia.js", get(|| async { asset("text/javascript", JS) }))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(broker)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// No framing by other sites, no inline script, no sniffing.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// A logged-in request.
struct Session {
    cookie: String,
    rights: Rights,
    csrf: String,
}

impl Session {
    fn viewer(&self) -> Viewer<'_> {
        Viewer {
            user: &self.rights.user,
            csrf: &self.csrf,
            admin: self.rights.admin,
        }
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A configuration of the cluster (contacts, `cgi.cfg`), from any part followed.
fn any_config(broker: &Broker) -> Option<Arc<vigia_config::Config>> {
    let ids: Vec<String> = lock(&broker.images).values().cloned().collect();
    ids.iter().find_map(|id| broker.parts.get(id))
}

/// The session of a request, or the way to the login page.
fn session(broker: &Broker, headers: &HeaderMap, here: &str) -> Result<Session, Redirect> {
    let found =
        cookie(headers, COOKIE).and_then(|c| broker.web.sessions.check(&c, crate::daemon::now()).map(|s| (c, s)));
    match found {
        Some((cookie, (user, file_admin))) => {
            let config = any_config(broker);
            let rights = Rights::of(&user, config.as_deref(), file_admin);
            let csrf = broker.web.sessions.csrf(&cookie);
            Ok(Session { cookie, rights, csrf })
        }
        None => Err(Redirect::to(&format!("/login?next={}", pages::enc(here)))),
    }
}

/// The whole page, or (`X-Vigia-Live: 1`, the script) its live part only.
fn render(broker: &Broker, headers: &HeaderMap, s: &Session, page: Page) -> Response {
    let standing = broker.web.standing();
    if headers.get("x-vigia-live").is_some() {
        let live = maud::html! { (pages::banner(&standing)) (page.live) };
        return no_store(live.into_response());
    }
    let flash = cookie(headers, FLASH).map(|f| {
        form_urlencoded::parse(format!("f={f}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    });
    let mut response = pages::layout(&page, &s.viewer(), &standing, flash.as_deref()).into_response();
    if flash.is_some() {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("vigia_flash=; Path=/; Max-Age=0; SameSite=Strict; HttpOnly"),
        );
    }
    no_store(response)
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn here(path: &str, query: Option<&str>) -> String {
    match query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    }
}

async fn overview(State(b): State<Arc<Broker>>, headers: HeaderMap) -> Response {
    let s = match session(&b, &headers, "/") {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let g = view::Gathered::new(&b, None);
    let o = view::overview(&g, &s.rights);
    let page = pages::overview(&o, crate::daemon::now(), &s.viewer());
    render(&b, &headers, &s, page)
}

#[derive(serde::Deserialize, Default)]
struct Next {
    #[serde(default)]
    next: String,
}

/// Only a path of this site (no `//host` or `scheme:`): a login link cannot send elsewhere.
fn local_path(p: &str) -> String {
    if p.starts_with('/') && !p.starts_with("//") && !p.contains(['\\', '\r', '\n']) {
        p.to_string()
    } else {
        "/".to_string()
    }
}

async fn login_page(Query(n): Query<Next>) -> Markup {
    pages::login(None, &local_path(&n.next))
}

async fn login(State(b): State<Arc<Broker>>, body: Bytes) -> Response {
    let mut user = String::new();
    let mut password = String::new();
    let mut next = String::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match &*k {
            "user" => user = v.into_owned(),
            "password" => password = v.into_owned(),
            "next" => next = v.into_owned(),
            _ => {}
        }
    }
    let next = local_path(&next);
    let now = crate::daemon::now();
    let wait = b.web.logins.wait(&user, now);
    if wait > 0 {
        tracing::warn!("web UI: {user}: too many failed logins, refused for {wait} s");
        let why = format!("Too many failed logins for this user: try again in {wait} s.");
        return (StatusCode::TOO_MANY_REQUESTS, pages::login(Some(&why), &next)).into_response();
    }
    let tried = user.clone();
    let configs: Vec<Arc<vigia_config::Config>> = any_config(&b).into_iter().collect();
    let users_file = b.web.sessions.users_file.clone();
    // Argon2 takes tens of milliseconds of CPU: off the runtime's threads.
    let checked = tokio::task::spawn_blocking(move || {
        let refs: Vec<&vigia_config::Config> = configs.iter().map(|c| &**c).collect();
        auth::authenticate(users_file.as_deref(), &refs, &user, &password).map(|admin| (user, admin))
    })
    .await
    .ok()
    .flatten();
    match checked {
        Some((user, admin)) => {
            b.web.logins.succeeded(&user);
            let value = b
                .web
                .sessions
                .issue(&user, admin, crate::daemon::now() + SESSION_SECONDS);
            tracing::info!("web UI: {user} logged in");
            let secure = if b.state.options.security.tls.is_some() {
                "; Secure"
            } else {
                ""
            };
            let cookie =
                format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{secure}");
            let mut r = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        None => {
            b.web.logins.failed(&tried, now);
            tracing::info!("web UI: a failed login for {tried}");
            (
                StatusCode::UNAUTHORIZED,
                pages::login(Some("Wrong user or password."), &next),
            )
                .into_response()
        }
    }
}

async fn logout(State(b): State<Arc<Broker>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Ok(s) = session(&b, &headers, "/") {
        let token = form_urlencoded::parse(&body)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned());
        if !token.is_some_and(|t| b.web.sessions.csrf_ok(&s.cookie, &t)) {
            return forbidden("This form is out of date: reload the page and try again.");
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("vigia_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    r
}

fn forbidden(why: &str) -> Response {
    (StatusCode::FORBIDDEN, pages::message("Not allowed", why)).into_response()
}

async fn hosts(
    State(b): State<Arc<Broker>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<view::ListQuery>,
) -> Response {
    let s = match session(&b, &headers, &here("/hosts", uri.query())) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let g = view::Gathered::new(&b, None);
    let list = view::hosts(&g, &s.rights, &q);
    let page = pages::list("hosts", &q, &list, crate::daemon::now(), &s.viewer());
    render(&b, &headers, &s, page)
}

async fn services(
    State(b): State<Arc<Broker>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<view::ListQuery>,
) -> Response {
    let s = match session(&b, &headers, &here("/services", uri.query())) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let scope = (!q.host.is_empty()).then_some(q.host.as_str());
    let g = view::Gathered::new(&b, scope);
    let list = view::services(&g, &s.rights, &q);
    let page = pages::list("services", &q, &list, crate::daemon::now(), &s.viewer());
    render(&b, &headers, &s, page)
}

#[derive(serde::Deserialize)]
struct HostQuery {
    name: String,
}

#[derive(serde::Deserialize)]
struct ServiceQuery {
    host: String,
    service: String,
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        pages::message(
            "Not found",
            &format!("{what} does not exist, or you are not one of its contacts."),
        ),
    )
        .into_response()
}

/// A log row's number cell (time, state).
fn int(v: &vigia_livestatus::Value) -> Option<i64> {
    match v {
        vigia_livestatus::Value::Int(i) => Some(*i),
        _ => None,
    }
}

/// The state changes and notifications of one object from the monitoring log (the last 7
/// days).
fn history_of(b: &Broker, host: &str, service: Option<&str>) -> (Vec<pages::Change>, Vec<String>) {
    let now = crate::daemon::now();
    // Only the lines that name the host are parsed into rows (a week of a big site's log is
    // millions of lines; the ones about one host, a few hundred).
    let lines = super::log::lines_between(&b.data, now - 7 * 86_400, now)
        .into_iter()
        .filter(|(_, l)| l.contains(host));
    let table = vigia_livestatus::log::table(lines);
    let col = |n: &str| table.column(n);
    let (Some(t), Some(k), Some(h), Some(sv), Some(st), Some(out), Some(msg)) = (
        col("time"),
        col("type"),
        col("host_name"),
        col("service_description"),
        col("state"),
        col("plugin_output"),
        col("message"),
    ) else {
        return (Vec::new(), Vec::new());
    };
    let mut changes = Vec::new();
    let mut notifications = Vec::new();
    for r in &table.rows {
        if r[h].text() != host || r[sv].text() != service.unwrap_or("") {
            continue;
        }
        let kind = r[k].text();
        let time = int(&r[t]).unwrap_or(0);
        let state = int(&r[st]).unwrap_or(0) as u8;
        let is_host = service.is_none();
        match kind.as_str() {
            "HOST ALERT"
            | "SERVICE ALERT"
            | "CURRENT HOST STATE"
            | "CURRENT SERVICE STATE"
            | "INITIAL HOST STATE"
            | "INITIAL SERVICE STATE" => {
                if changes
                    .last()
                    .is_some_and(|c: &pages::Change| c.state == view::state_name(is_host, state, true))
                {
                    continue;
                }
                changes.push(pages::Change {
                    time,
                    state: view::state_name(is_host, state, true).to_string(),
                    class: view::state_class(is_host, state, true),
                    kind,
                    output: r[out].text(),
                });
            }
            "HOST NOTIFICATION" | "SERVICE NOTIFICATION" => {
                notifications.push(format!("{} {}", pages::when(time), r[msg].text()));
            }
            _ => {}
        }
    }
    (changes, notifications)
}

async fn host(
    State(b): State<Arc<Broker>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HostQuery>,
) -> Response {
    let s = match session(&b, &headers, &here("/host", uri.query())) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let g = view::Gathered::new(&b, Some(&q.name));
    let d = view::host(&g, &s.rights, &q.name);
    object_page(&b, &headers, &s, d, &q.name, None)
}

async fn service(
    State(b): State<Arc<Broker>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<ServiceQuery>,
) -> Response {
    let s = match session(&b, &headers, &here("/service", uri.query())) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let g = view::Gathered::new(&b, Some(&q.host));
    let d = view::service(&g, &s.rights, &q.host, &q.service);
    object_page(&b, &headers, &s, d, &q.host, Some(&q.service))
}

/// A host's or service's page (404 when missing or not the user's), with its history and the
/// spare running it during a fail-over.
fn object_page(
    b: &Broker,
    headers: &HeaderMap,
    s: &Session,
    detail: Option<view::Detail>,
    host: &str,
    service: Option<&str>,
) -> Response {
    let Some(mut d) = detail else {
        return not_found(&match service {
            Some(svc) => format!("Service {svc} on {host}"),
            None => format!("Host {host}"),
        });
    };
    d.runner = b.web.runner_of(&d.obj.scheduler);
    let (changes, notifications) = history_of(b, host, service);
    let page = pages::detail(&d, &changes, &notifications, crate::daemon::now(), &s.viewer());
    render(b, headers, s, page)
}

/// The arbiter's status: the first arbiter that answers, cached for a second.
async fn arbiter_status(b: &Broker) -> ClusterAnswer {
    if let Some((at, cached)) = lock(&b.web.cluster).as_ref() {
        if at.elapsed() < Duration::from_secs(1) {
            return cached.clone();
        }
    }
    let links = lock(&b.web.arbiters).clone();
    let mut result = Err("no arbiter is known to this broker yet".to_string());
    for link in links {
        match link
            .call::<vigia_proto::endpoint::Status>(&(), Duration::from_secs(2))
            .await
        {
            Ok(s) if s.active || !s.spare => {
                result = Ok(Arc::new(s));
                break;
            }
            Ok(s) => result = Ok(Arc::new(s)),
            Err(e) => {
                if result.is_err() {
                    result = Err(e.to_string());
                }
            }
        }
    }
    *lock(&b.web.cluster) = Some((Instant::now(), result.clone()));
    result
}

async fn cluster(State(b): State<Arc<Broker>>, headers: HeaderMap) -> Response {
    let s = match session(&b, &headers, "/cluster") {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    if !s.rights.system_information && !s.rights.admin {
        // Nagios shows process information to authorized_for_system_information only; the
        // banner on every page still says when a part runs on a spare.
        let page = Page {
            title: "Cluster".into(),
            nav: "cluster",
            live: maud::html! { h1 { "Cluster" } p { "Only administrators (or users in cgi.cfg's authorized_for_system_information) see the cluster." } },
            still: maud::html! {},
        };
        return render(&b, &headers, &s, page);
    }
    let status = arbiter_status(&b).await;
    let ha = lock(&b.ha).notes.clone();
    let schedulers = read(&b.status).summaries();
    let page = pages::cluster(
        status.as_deref().map_err(|e| e.as_str()),
        &ha,
        &schedulers,
        crate::daemon::now(),
    );
    render(&b, &headers, &s, page)
}

/// `YYYY-MM-DDTHH:MM` (a `datetime-local` field) in the broker's zone.
fn local_time(text: &str) -> Option<i64> {
    let dt: jiff::civil::DateTime = text.trim().parse().ok()?;
    jiff::tz::TimeZone::system()
        .to_timestamp(dt)
        .ok()
        .map(|t| t.as_second())
}

/// At most this many lines on the log page (the newest).
const LOG_PAGE_LINES: usize = 1000;

async fn log(
    State(b): State<Arc<Broker>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<pages::LogQuery>,
) -> Response {
    let s = match session(&b, &headers, &here("/log", uri.query())) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let now = crate::daemon::now();
    let from = local_time(&q.from).unwrap_or(now - 86_400);
    let to = local_time(&q.to).unwrap_or(now);
    let g = view::Gathered::new(&b, None);
    let everything = s.rights.all_hosts && s.rights.all_services;
    let visible = (!everything).then(|| view::visible_names(&g, &s.rights));
    let table = vigia_livestatus::log::table(super::log::lines_between(&b.data, from, to));
    let col = |n: &str| table.column(n).unwrap_or(0);
    let (t, k, h, sv, st, msg) = (
        col("time"),
        col("type"),
        col("host_name"),
        col("service_description"),
        col("state"),
        col("options"),
    );
    let mut lines = Vec::new();
    for r in &table.rows {
        let Some(time) = int(&r[t]) else { continue };
        if time < from || time > to {
            continue;
        }
        let (host, service, kind) = (r[h].text(), r[sv].text(), r[k].text());
        if (!q.host.is_empty() && host != q.host)
            || (!q.service.is_empty() && service != q.service)
            || (!q.kind.is_empty() && kind != q.kind)
        {
            continue;
        }
        if let Some((hosts, services)) = &visible {
            let seen = if host.is_empty() {
                s.rights.system_information
            } else if service.is_empty() {
                hosts.contains(&host)
            } else {
                services.contains(&(host.clone(), service.clone()))
            };
            if !seen {
                continue;
            }
        }
        let state = int(&r[st]).unwrap_or(0) as u8;
        let class = if kind.contains("ALERT") || kind.contains("STATE") {
            view::state_class(service.is_empty(), state, true)
        } else {
            ""
        };
        lines.push(pages::LogLine {
            time,
            kind,
            class,
            message: r[msg].text(),
        });
    }
    let total = lines.len();
    let shown: Vec<pages::LogLine> = lines.into_iter().skip(total.saturating_sub(LOG_PAGE_LINES)).collect();
    let page = pages::log(&q, &shown, from, to, total);
    render(&b, &headers, &s, page)
}

fn flash_redirect(back: &str, text: &str) -> Response {
    let mut r = Redirect::to(&local_path(back)).into_response();
    let value: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLASH}={value}; Path=/; Max-Age=60; SameSite=Strict; HttpOnly"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn action(State(b): State<Arc<Broker>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = actions::ActionForm::parse(&body);
    let s = match session(&b, &headers, "/") {
        Ok(s) => s,
        Err(_) => return forbidden("You are not logged in."),
    };
    if !b.web.sessions.csrf_ok(&s.cookie, &form.csrf) {
        return forbidden("This form is out of date or was not sent by this site: reload the page and try again.");
    }
    let back = if form.back.is_empty() {
        "/".to_string()
    } else {
        form.back.clone()
    };
    if form.target.is_empty() {
        return flash_redirect(&back, "Select at least one host or service first.");
    }
    let g = view::Gathered::new(&b, None);
    if let Some(denied) = form.target.iter().find(|t| !view::may_act(&g, &s.rights, t)) {
        tracing::warn!("web UI: {} may not act on {denied}: refused", s.rights.user);
        return forbidden(&format!(
            "You may not act on {denied} (not one of its contacts, or not allowed to submit commands)."
        ));
    }
    drop(g);
    let now = crate::daemon::now();
    let mut commands = Vec::new();
    for t in &form.target {
        match actions::command_line(&form, t, &s.rights.user, now) {
            Ok(line) => commands.push(line),
            Err(why) => return flash_redirect(&back, &format!("Nothing was done: {why}.")),
        }
    }
    let flash = send(&b, commands).await;
    flash_redirect(&back, &flash)
}

/// Sends the commands through the first receiver that takes them and waits until the
/// scheduler applied them; then for the broker to have the result (a change), so that the
/// next page shows it.
async fn send(b: &Broker, commands: Vec<String>) -> String {
    let receivers = lock(&b.receivers).clone();
    let count = commands.len();
    let body = vigia_proto::CommandsRequest { commands };
    let path = format!("{}?wait={ACTION_WAIT_SECONDS}", vigia_proto::paths::API_COMMANDS);
    let mut changes = b.changed.subscribe();
    changes.borrow_and_update();
    let mut last = String::from("no receiver is assigned to this broker's realm");
    for link in receivers {
        match link
            .post::<_, vigia_proto::CommandsAccepted>(&path, &body, Duration::from_secs(ACTION_WAIT_SECONDS + 5))
            .await
        {
            Ok(answer) => {
                let refused: Vec<(String, String)> = answer
                    .not_applied
                    .iter()
                    .map(|n| (n.command.clone(), n.reason.clone()))
                    .collect();
                let pending = answer.safe != Some(true);
                if !pending {
                    let _ = tokio::time::timeout(Duration::from_secs(2), changes.changed()).await;
                }
                return pages::outcome_flash(count - refused.len(), &refused, pending);
            }
            // Never reached: the next receiver may take them. Anything else (a timeout) may
            // have been queued: not sent twice.
            Err(e) if e.is_down() => last = format!("{}: {e}", link.base),
            Err(e) => return format!("The receiver did not confirm the command(s) ({e}); look again before retrying."),
        }
    }
    format!("Nothing was sent: {last}.")
}

/// Server-sent events: `changed` when the broker's status changed (at most one a second),
/// a comment every 15 s to keep proxies from closing the stream.
async fn events(State(b): State<Arc<Broker>>, headers: HeaderMap) -> Response {
    if session(&b, &headers, "/").is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let changes = b.changed.subscribe();
    let stream = futures_util::stream::unfold(changes, |mut changes| async move {
        let started = Instant::now();
        let changed = tokio::time::timeout(Duration::from_secs(15), changes.changed()).await;
        match changed {
            Ok(Err(_)) => None,
            Ok(Ok(())) => {
                // At most one event a second, however many batches came.
                if let Some(rest) = Duration::from_secs(1).checked_sub(started.elapsed()) {
                    tokio::time::sleep(rest).await;
                }
                changes.borrow_and_update();
                let n = *changes.borrow();
                Some((
                    Ok::<_, std::convert::Infallible>(
                        axum::response::sse::Event::default()
                            .event("changed")
                            .data(n.to_string()),
                    ),
                    changes,
                ))
            }
            Err(_) => Some((Ok(axum::response::sse::Event::default().comment("alive")), changes)),
        }
    });
    no_store(axum::response::sse::Sse::new(stream).into_response())
}
