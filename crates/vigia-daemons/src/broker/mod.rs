//! The broker: pulls broks from every scheduler it is assigned, keeps the live status of every
//! host and service, writes the Nagios-format monitoring log, and serves the status as JSON.
//!
//! One task per scheduler long-polls `POST /v1/broks` with the last sequence number applied;
//! a scheduler (or broker) restart, or a sequence the scheduler no longer has, yields an initial
//! status that replaces what the broker knew of it (see [`status`]), preceded by the monitoring
//! log lines it has not had (the scheduler remembers, per broker name, how far each one got).
//! Nothing is kept on disk but the log: a restarted broker rebuilds the whole status from the
//! initial broks, and its log goes on without a gap or a line written twice.
//!
//! HTTP API (besides the inter-daemon `/v1/assign` and `/v1/identity`): `GET /api/v1/hosts`,
//! `/api/v1/services`, `/api/v1/problems` (hard, not OK, neither acknowledged nor in a
//! downtime), `/api/v1/downtimes`, `/api/v1/comments` (all with an optional `?host_name=`
//! filter) and `/api/v1/schedulers` (how each link is doing). The status answers are 503 until a
//! scheduler has given a complete status, so that an empty list always means "nothing there".
mod handoff;
pub mod log;
pub mod status;

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use vigia_proto::{
    endpoint, paths, AssignAck, Assignment, BrokBatch, BrokRequest, BrokerWork, CommentView, DowntimeView, ItemView,
    SchedulerLink, SchedulerSummary, StatusFilter, Work,
};

use crate::daemon::{self, ApiError, DaemonOptions, DaemonState};
use crate::link::{Link, LinkError};
use log::{local_today, MonitoringLog};
pub use status::StatusStore;

mod livestatus;
pub mod web;

/// How long a scheduler may hold a brok request open when it has nothing new.
pub const WAIT_MS: u64 = 1000;
/// Broks asked for per request (the initial status may come in several batches).
pub const MAX_BROKS: usize = 10_000;
/// Beyond the long-poll wait: time for a large initial status to be serialized and sent.
const REQUEST_SLACK: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Answers in a row with a hole in the sequence before asking for a full status instead.
const MAX_GAPS: u32 = 3;

/// Runs a broker until SIGTERM or SIGINT.
pub async fn run(options: DaemonOptions) -> anyhow::Result<()> {
    run_until(options, daemon::stop_signal()).await
}

/// Runs a broker until `shutdown` resolves (tests run several daemons in one process), then
/// stops pulling and flushes the log.
pub async fn run_until(
    options: DaemonOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let _lock = crate::data_lock::lock(&options.data, options.role, &options.name)?;
    let state = DaemonState::new(options.clone());
    let status = Arc::new(RwLock::new(StatusStore::new()));
    let log = LogWriter::start(&options.data, status.clone())?;
    let broker = Arc::new(Broker {
        state: state.clone(),
        status,
        log: Mutex::new(Some(log)),
        pullers: Mutex::new(BTreeMap::new()),
        written: Mutex::new(handoff::Written::default()),
        ha: Mutex::new(HaLog::open(&options.data)),
        livestatus: Mutex::new(None),
        data: options.data.clone(),
        receivers: Mutex::new(Vec::new()),
        parts: crate::part_store::PartStore::default(),
        images: Mutex::new(BTreeMap::new()),
        changed: tokio::sync::watch::channel(0).0,
        counters: livestatus::Counters::default(),
        web: web::Web::new(web::auth::Sessions::new(
            state.secrets().sent().as_deref(),
            options.security.web_users.clone(),
        )?),
    });
    let public = web::router(broker.clone());
    let result = daemon::serve_with_public(state, router(broker.clone()), public, shutdown).await;
    broker.stop().await;
    result
}

/// Where Livestatus is served: the address, and whether over TLS.
type LivestatusAt = (String, bool);

/// The broker's shared state.
pub struct Broker {
    state: Arc<DaemonState>,
    status: Arc<RwLock<StatusStore>>,
    log: Mutex<Option<LogWriter>>,
    pullers: Mutex<BTreeMap<String, Puller>>,
    /// The recent lines written, per scheduler run: exactly-once across moves of a part.
    written: Mutex<handoff::Written>,
    ha: Mutex<HaLog>,
    /// The Livestatus server: its address and task (moved or stopped by a new assignment).
    livestatus: Mutex<Option<(LivestatusAt, tokio::task::JoinHandle<()>)>>,
    /// The data folder (the monitoring log, Livestatus's Unix socket).
    data: std::path::PathBuf,
    /// Where Livestatus commands go (the assigned receivers), a link each, kept across
    /// commands (and assignments naming the same receiver): over TLS, no handshake per command.
    receivers: Mutex<Vec<Link>>,
    /// The part images of the schedulers followed (sent by the arbiter as to a scheduler):
    /// the objects' configuration Livestatus serves beside their status.
    parts: crate::part_store::PartStore,
    /// Scheduler (home) name → the id of the image of its part, from the assignment.
    images: Mutex<BTreeMap<String, String>>,
    /// Counts the batches of broks applied: what Livestatus's Wait headers wait on.
    changed: tokio::sync::watch::Sender<u64>,
    /// Livestatus requests and connections served (the `status` table's counters).
    counters: livestatus::Counters,
    /// The web UI's sessions and what its cluster page and banner show.
    web: web::Web,
}

/// Take-overs and give-backs: each written once into the monitoring log (the time of the last
/// one written is kept in `DATA/ha-logged`, so a restarted broker does not write them again).
struct HaLog {
    marker: std::path::PathBuf,
    logged_until: i64,
    notes: Vec<vigia_proto::HaNote>,
}

impl HaLog {
    fn open(data: &std::path::Path) -> HaLog {
        let marker = data.join("ha-logged");
        let logged_until = std::fs::read_to_string(&marker)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        HaLog {
            marker,
            logged_until,
            notes: Vec::new(),
        }
    }

    /// The lines not written yet, in order.
    fn take_new(&mut self, notes: Vec<vigia_proto::HaNote>) -> Vec<String> {
        let fresh: Vec<String> = notes
            .iter()
            .filter(|n| n.at > self.logged_until || (n.at == self.logged_until && !self.notes.contains(n)))
            .map(|n| format!("[{}] {}", n.at, n.line))
            .collect();
        if let Some(last) = notes.last() {
            self.logged_until = self.logged_until.max(last.at);
            // Durably: a marker emptied by a crash would write every note again.
            if let Err(e) = crate::durable::write(&self.marker, self.logged_until.to_string().as_bytes()) {
                tracing::warn!("cannot write {}: {e}", self.marker.display());
            }
        }
        self.notes = notes;
        fresh
    }
}

/// The task pulling one scheduler, and what it was started with (restarted when that changes).
struct Puller {
    key: PullerKey,
    handle: tokio::task::JoinHandle<()>,
    /// The scheduler running the part, and its assignment generation.
    runner: String,
    generation: u64,
}

#[derive(Clone, PartialEq, Eq)]
struct PullerKey {
    url: String,
    part_hash: String,
}

/// Locks that survive a panicked holder: one failed task must not take the broker down.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

impl Broker {
    /// Checks an assignment and applies it. The pullers' lock is held from the check to the
    /// end, so that two assignments arriving together are applied in generation order.
    fn assign(self: &Arc<Self>, a: Assignment) -> Result<usize, ApiError> {
        let mut pullers = lock(&self.pullers);
        self.state.accept(&a)?;
        let Work::Broker(work) = a.work else {
            return Err(ApiError(StatusCode::BAD_REQUEST, "not a broker's work".into()));
        };
        let count = work.schedulers.len();
        let lines = lock(&self.ha).take_new(work.ha_events.clone());
        if !lines.is_empty() {
            self.log_lines(lines);
        }
        {
            let secret = self.state.secrets();
            let mut receivers = lock(&self.receivers);
            let old = std::mem::take(&mut *receivers);
            *receivers = Link::keep_or_make(old, &work.receivers, &secret);
        }
        *lock(&self.images) = work
            .schedulers
            .iter()
            .map(|l| (l.name.clone(), l.image.clone()))
            .collect();
        self.prune_parts();
        self.web.assigned(&work, self.state.secrets());
        self.serve_livestatus(work.livestatus.clone(), work.livestatus_tls);
        self.apply_work(&mut pullers, work);
        Ok(count)
    }

    /// Keeps the part images of the schedulers followed (and those just sent); tells the
    /// arbiter what is held, so that it sends only what is missing.
    fn prune_parts(&self) {
        let used: Vec<String> = lock(&self.images).values().cloned().collect();
        self.parts.prune(&used, Instant::now());
        self.state.set_parts(self.parts.ids());
    }

    /// The configuration of `scheduler`'s part, once its image came.
    pub(crate) fn part_config(&self, scheduler: &str) -> Option<Arc<vigia_config::Config>> {
        let id = lock(&self.images).get(scheduler).cloned()?;
        self.parts.get(&id)
    }

    /// Starts, moves or stops the Livestatus server to match `addr` (over TLS with `tls`).
    fn serve_livestatus(self: &Arc<Self>, addr: Option<String>, tls: bool) {
        let mut current = lock(&self.livestatus);
        let wanted = addr.map(|a| (a, tls));
        if current.as_ref().map(|(a, _)| a) == wanted.as_ref() {
            return;
        }
        if let Some((_, task)) = current.take() {
            task.abort();
        }
        if let Some((addr, tls)) = wanted {
            let task = tokio::spawn(livestatus::serve(self.clone(), addr.clone(), tls));
            *current = Some(((addr, tls), task));
        }
    }

    /// Starts, restarts or stops the pullers to match the assigned schedulers.
    fn apply_work(self: &Arc<Self>, pullers: &mut BTreeMap<String, Puller>, work: BrokerWork) {
        let secret = self.state.secrets();
        let wanted: BTreeMap<String, SchedulerLink> =
            work.schedulers.into_iter().map(|l| (l.name.clone(), l)).collect();
        pullers.retain(|name, p| {
            let keep = wanted.contains_key(name);
            if !keep {
                tracing::info!("broker {}: scheduler {name} is no longer assigned", self.state.name());
                p.handle.abort();
            }
            keep
        });
        write(&self.status).retain(|name| wanted.contains_key(name));
        for (name, link) in wanted {
            let key = PullerKey {
                url: link.url.clone(),
                part_hash: link.part_hash.clone(),
            };
            if let Some(p) = pullers.get_mut(&name).filter(|p| p.key == key) {
                p.generation = link.generation;
                continue;
            }
            let old = pullers.remove(&name);
            let moved = old.as_ref().is_some_and(|o| o.key.url != key.url);
            let old_hash = old.as_ref().map(|o| o.key.part_hash.clone());
            if let Some(old) = old {
                old.handle.abort();
                if moved {
                    self.drain_replaced(&name, old, &link, &secret);
                }
            }
            {
                let mut status = write(&self.status);
                let view = status.view_mut(&name);
                view.url = link.url.clone();
                if old_hash.is_some_and(|h| h != key.part_hash) {
                    // Another part: whatever the scheduler says, start from a full status.
                    view.restart();
                }
            }
            tracing::info!(
                "broker {}: pulling broks from scheduler {name} at {}",
                self.state.name(),
                link.url
            );
            let handle = tokio::spawn(pull_loop(
                self.clone(),
                name.clone(),
                link.runner.clone(),
                Link::new(&link.url, secret.clone()),
            ));
            pullers.insert(
                name,
                Puller {
                    key,
                    handle,
                    runner: link.runner.clone(),
                    generation: link.generation,
                },
            );
        }
    }

    /// The part `name` moved from `old`'s scheduler to `link`'s: what the old one logged after
    /// the broker's position goes on coming (see [`handoff`]).
    fn drain_replaced(
        self: &Arc<Self>,
        name: &str,
        old: Puller,
        link: &SchedulerLink,
        secret: &crate::secret::Secrets,
    ) {
        let Some((running_id, after)) = read(&self.status)
            .view(name)
            .map(|v| (v.running_id.clone(), v.last_seq))
            .filter(|(r, _)| !r.is_empty())
        else {
            return;
        };
        tracing::info!(
            "broker {}: part {name} moved from {} to {}: following {} until it has sent everything it logged",
            self.state.name(),
            old.runner,
            link.runner,
            old.runner
        );
        tokio::spawn(handoff::drain(
            self.clone(),
            handoff::Drain {
                part: name.to_string(),
                replaced: old.runner,
                generation: old.generation,
                link: Link::new(&old.key.url, secret.clone()),
                running_id,
                after,
                runner: link.runner.clone(),
                since: daemon::now(),
            },
        ));
    }

    /// Hands log lines to the writer thread.
    fn log_lines(&self, lines: Vec<String>) {
        if let Some(log) = lock(&self.log).as_ref() {
            if log.tx.send(lines).is_err() {
                tracing::error!("the monitoring log writer has stopped: lines lost");
            }
        }
    }

    /// Stops pulling broks from every scheduler.
    fn stop_pulling(pullers: &mut BTreeMap<String, Puller>) {
        for (_, p) in std::mem::take(pullers) {
            p.handle.abort();
        }
    }

    async fn stop(&self) {
        Broker::stop_pulling(&mut lock(&self.pullers));
        if let Some((_, task)) = lock(&self.livestatus).take() {
            task.abort();
        }
        let writer = lock(&self.log).take();
        if let Some(writer) = writer {
            drop(writer.tx);
            let _ = tokio::task::spawn_blocking(move || writer.thread.join()).await;
        }
    }
}

/// One pull of broks, in postcard when the scheduler speaks it (JSON otherwise).
async fn pull(link: &Link, request: &BrokRequest) -> Result<BrokBatch, LinkError> {
    let timeout = Duration::from_millis(WAIT_MS) + REQUEST_SLACK;
    let (content_type, bytes) = link
        .call_accepting::<endpoint::Broks>(request, vigia_proto::BROKS_CONTENT_TYPE, timeout)
        .await?;
    let decoded = if content_type.as_deref() == Some(vigia_proto::BROKS_CONTENT_TYPE) {
        BrokBatch::decode(&bytes)
    } else {
        serde_json::from_slice(&bytes).map_err(|e| format!("unreadable broks: {e}"))
    };
    decoded.map_err(|detail| LinkError::Protocol {
        url: link.base.clone(),
        detail,
    })
}

/// Long-polls one scheduler forever (aborted when the assignment changes or at stop).
async fn pull_loop(broker: Arc<Broker>, name: String, runner: String, link: Link) {
    // The part came back to a scheduler still being drained: the drain goes first, so that what
    // that scheduler logged meanwhile is written as its own (see [`handoff`]), not as part of
    // the initial status this puller is about to get. Bounded: a drain that cannot reach it
    // does not keep the part's status away.
    let waiting = Instant::now();
    while waiting.elapsed() < handoff::DRAIN_FIRST && lock(&broker.written).draining(&name).contains(&runner) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut backoff = Duration::from_millis(250);
    let mut failing = false;
    let mut gaps = 0;
    loop {
        let (running_id, after) = {
            let status = read(&broker.status);
            status
                .view(&name)
                .map(|v| (v.running_id.clone(), v.last_seq))
                .unwrap_or_default()
        };
        let request = BrokRequest {
            broker: broker.state.name(),
            running_id,
            after,
            wait_ms: WAIT_MS,
            max: MAX_BROKS,
        };
        let started = Instant::now();
        let answer = pull(&link, &request).await;
        match answer {
            Ok(batch) => {
                let empty = batch.broks.is_empty();
                let (batch_run, resent) = (batch.running_id.clone(), batch.initial);
                let applied = {
                    let mut status = write(&broker.status);
                    if status.view(&name).is_none() {
                        // Unassigned while the request was out: its answer is no one's.
                        return;
                    }
                    let applied = status.apply_batch(&name, batch);
                    let view = status.view_mut(&name);
                    view.connected = true;
                    view.last_error = None;
                    view.last_contact = daemon::now();
                    gaps = if applied.gap { gaps + 1 } else { 0 };
                    if gaps >= MAX_GAPS {
                        // The scheduler no longer has the missing broks: start from a full status.
                        tracing::warn!("broker: scheduler {name} keeps skipping broks: asking for a full status");
                        view.restart();
                        gaps = 0;
                    }
                    applied
                };
                if failing {
                    tracing::info!("broker {}: scheduler {name} answers again", broker.state.name());
                    failing = false;
                }
                backoff = Duration::from_millis(250);
                if applied.applied > 0 {
                    // Livestatus requests with Wait headers look again.
                    broker.changed.send_modify(|n| *n += 1);
                }
                let lines = lock(&broker.written).admit(&batch_run, &name, &runner, applied.log_lines, resent);
                if !lines.is_empty() {
                    broker.log_lines(lines);
                }
                // A peer that answers at once with nothing (no long-poll) is not hammered.
                if applied.resync || (empty && started.elapsed() < Duration::from_millis(100)) {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
            Err(e) => {
                {
                    let mut status = write(&broker.status);
                    if status.view(&name).is_none() {
                        return;
                    }
                    let view = status.view_mut(&name);
                    view.connected = false;
                    view.last_error = Some(e.to_string());
                }
                if !failing {
                    tracing::warn!(
                        "broker {}: cannot get broks from scheduler {name}: {e}",
                        broker.state.name()
                    );
                    failing = true;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// The thread that owns the log file: file writes never block the runtime, and the daily
/// rotation happens even when no line comes.
struct LogWriter {
    tx: mpsc::Sender<Vec<String>>,
    thread: std::thread::JoinHandle<()>,
}

impl LogWriter {
    fn start(data: &std::path::Path, status: Arc<RwLock<StatusStore>>) -> anyhow::Result<LogWriter> {
        let current = {
            let status = status.clone();
            move || read(&status).current_state_lines(daemon::now())
        };
        let mut log = MonitoringLog::open(data, local_today(), daemon::now(), &current)
            .map_err(|e| anyhow::anyhow!("cannot open the monitoring log in {}: {e}", data.display()))?;
        let (tx, rx) = mpsc::channel::<Vec<String>>();
        let thread = std::thread::Builder::new().name("broker-log".into()).spawn(move || {
            loop {
                let result = match rx.recv_timeout(Duration::from_secs(1)) {
                    Ok(mut lines) => {
                        while let Ok(more) = rx.try_recv() {
                            lines.extend(more);
                        }
                        log.write(&lines, local_today(), daemon::now(), &current)
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        log.rotate_if_due(local_today(), daemon::now(), &current).map(|_| ())
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                };
                if let Err(e) = result {
                    tracing::error!("monitoring log {}: {e}", log.path().display());
                }
            }
            if let Err(e) = log.sync() {
                tracing::error!("monitoring log {}: {e}", log.path().display());
            }
        })?;
        Ok(LogWriter { tx, thread })
    }
}

fn router(broker: Arc<Broker>) -> Router {
    Router::new()
        .route(paths::ASSIGN, post(assign))
        .route(paths::RELEASE, post(release))
        .route(
            paths::PARTS,
            post(put_part).layer(axum::extract::DefaultBodyLimit::max(crate::part_store::MAX_IMAGE_BYTES)),
        )
        .route(paths::API_HOSTS, get(hosts))
        .route(paths::API_SERVICES, get(services))
        .route(paths::API_PROBLEMS, get(problems))
        .route(paths::API_DOWNTIMES, get(downtimes))
        .route(paths::API_COMMENTS, get(comments))
        .route(paths::API_SCHEDULERS, get(schedulers))
        .route(paths::API_HA, get(ha_events))
        .with_state(broker)
}

async fn assign(State(broker): State<Arc<Broker>>, Json(a): Json<Assignment>) -> Result<Json<AssignAck>, ApiError> {
    let (name, generation) = (a.name.clone(), a.generation);
    let count = broker.assign(a)?;
    Ok(Json(AssignAck {
        accepted: true,
        message: format!("broker {name} pulls from {count} scheduler(s), generation {generation}"),
    }))
}

/// The arbiter sends the image of a part this broker follows.
async fn put_part(
    State(broker): State<Arc<Broker>>,
    body: axum::body::Bytes,
) -> Result<Json<vigia_proto::PartHeld>, ApiError> {
    let held = broker.parts.receive(body).await?;
    broker.prune_parts();
    tracing::info!(
        "broker {}: part image {} received ({} hosts, {} services)",
        broker.state.name(),
        held.id,
        held.hosts,
        held.services
    );
    Ok(Json(held))
}

/// The arbiter takes the work away (a spare giving it back): it stops pulling broks.
async fn release(
    State(broker): State<Arc<Broker>>,
    Json(r): Json<vigia_proto::Release>,
) -> Result<Json<vigia_proto::Released>, ApiError> {
    let mut pullers = lock(&broker.pullers);
    broker.state.release(&r)?;
    Broker::stop_pulling(&mut pullers);
    // A waiting broker serves no Livestatus: the address goes back to the one that runs.
    broker.serve_livestatus(None, false);
    tracing::info!("broker {}: released ({}): waiting", broker.state.name(), r.reason);
    Ok(Json(vigia_proto::Released::default()))
}

/// Every take-over and give-back the arbiter reported, oldest first.
async fn ha_events(State(broker): State<Arc<Broker>>) -> Json<Vec<vigia_proto::HaNote>> {
    Json(lock(&broker.ha).notes.clone())
}

/// The status lock, once a scheduler has given its status; 503 with why otherwise.
fn ready(broker: &Broker) -> Result<std::sync::RwLockReadGuard<'_, StatusStore>, ApiError> {
    let status = read(&broker.status);
    if status.any_ready() {
        return Ok(status);
    }
    let assigned = lock(&broker.pullers).len();
    let message = if broker.state.generation() == 0 {
        "this broker has no assignment yet: no status to serve".to_string()
    } else {
        format!("no scheduler has sent its status yet ({assigned} assigned): try again shortly")
    };
    Err(ApiError(StatusCode::SERVICE_UNAVAILABLE, message))
}

fn filtered(items: Vec<ItemView>, f: &StatusFilter) -> Vec<ItemView> {
    match &f.host_name {
        Some(h) => items.into_iter().filter(|i| &i.host_name == h).collect(),
        None => items,
    }
}

async fn hosts(State(b): State<Arc<Broker>>, Query(f): Query<StatusFilter>) -> Result<Json<Vec<ItemView>>, ApiError> {
    Ok(Json(filtered(ready(&b)?.hosts(), &f)))
}

async fn services(
    State(b): State<Arc<Broker>>,
    Query(f): Query<StatusFilter>,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    Ok(Json(filtered(ready(&b)?.services(), &f)))
}

async fn problems(
    State(b): State<Arc<Broker>>,
    Query(f): Query<StatusFilter>,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    Ok(Json(filtered(ready(&b)?.problems(), &f)))
}

async fn downtimes(
    State(b): State<Arc<Broker>>,
    Query(f): Query<StatusFilter>,
) -> Result<Json<Vec<DowntimeView>>, ApiError> {
    let mut list = ready(&b)?.downtimes();
    if let Some(h) = &f.host_name {
        list.retain(|d| &d.host_name == h);
    }
    Ok(Json(list))
}

async fn comments(
    State(b): State<Arc<Broker>>,
    Query(f): Query<StatusFilter>,
) -> Result<Json<Vec<CommentView>>, ApiError> {
    let mut list = ready(&b)?.comments();
    if let Some(h) = &f.host_name {
        list.retain(|c| &c.host_name == h);
    }
    Ok(Json(list))
}

/// Always served, also before any status: it says why there is none.
async fn schedulers(State(b): State<Arc<Broker>>) -> Json<Vec<SchedulerSummary>> {
    let mut all = read(&b.status).summaries();
    let written = lock(&b.written);
    for s in &mut all {
        s.overlaps = written.overlaps(&s.name);
        s.draining = written.draining(&s.name);
    }
    Json(all)
}
