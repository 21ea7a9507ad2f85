//! The receiver: the entry point for external commands and passive results, routed to the
//! scheduler that owns their host (commands without one, or about groups, go to every
//! scheduler).
//!
//! Three ways in, as with Nagios and Alignak:
//! - `POST /api/v1/commands`: a `text/plain` body of command lines, or JSON
//!   `{"commands": [...]}`; answers 202 with how many were queued, 400 naming the first bad
//!   line (nothing is queued then), 503 before the receiver has an assignment. With
//!   `?wait=SECONDS` (at most 60) it answers 200 only once every command is applied by its
//!   scheduler and held by that scheduler's waiting spares, listing what was not applied and
//!   why, or 202 with `"safe": false` when the wait runs out (the commands stay queued);
//! - the Nagios command file (a named pipe, see [`fifo`]);
//! - the Nagios check-result spool folder `DATA/checkresults/` (see [`spool`]).
//!
//! Every command is first written to the disk queue (see [`queue`]), then delivered by one
//! task per scheduler (`POST /v1/commands`), and removed only once the scheduler says its
//! waiting spares hold it (see `Receiver::deliver_loop`). A
//! scheduler that is down keeps its commands queued until it is back, across receiver restarts
//! too; Alignak's receiver kept them in memory only. A scheduler answering `not_mine` for a
//! command (its host moved) gets it routed again with the current map.
pub mod command;
pub mod fifo;
pub mod queue;
pub mod spool;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::{mpsc, watch, Notify};
use vigia_proto::{
    endpoint, paths, AssignAck, Assignment, CommandBatch, CommandOutcome, CommandsAccepted, CommandsQuery,
    CommandsRequest, NotApplied, QueueStatus, ReceiverWork, Work,
};

use crate::daemon::{self, ApiError, DaemonOptions, DaemonState};
use crate::link::Link;
use command::{parse_line, parse_text, route_all, targets, Line, LineError, Route};
use queue::{Batch, DiskQueue, Target};

/// Commands sent to a scheduler per request (whole queued batches, so about this many).
const MAX_DELIVERY: usize = 1000;
/// Commands applied but not yet on the scheduler's spares, beyond which delivery waits for
/// the spares.
const MAX_PENDING: usize = 100_000;
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often the spool folder is looked at.
const SPOOL_INTERVAL: Duration = Duration::from_secs(1);
/// How long a delivery in progress may take to finish at stop or reassignment.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The longest `?wait`.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// Batches whose not-applied commands are kept for `?wait` answers.
const NOT_APPLIED_KEPT: usize = 10_000;

/// Runs a receiver until SIGTERM or SIGINT. `command_file` defaults to `DATA/vigia.cmd`.
pub async fn run(options: DaemonOptions, command_file: Option<PathBuf>) -> anyhow::Result<()> {
    run_until(options, command_file, daemon::stop_signal()).await
}

/// Runs a receiver until `shutdown` resolves (tests run several daemons in one process).
pub async fn run_until(
    options: DaemonOptions,
    command_file: Option<PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_until_with_clock(options, command_file, std::time::SystemTime::now, shutdown).await
}

/// As [`run_until`], with the wall clock given: batch numbers must not depend on it (tests
/// start a receiver again with the clock set back).
pub async fn run_until_with_clock(
    options: DaemonOptions,
    command_file: Option<PathBuf>,
    clock: fn() -> std::time::SystemTime,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let data = options.data.clone();
    let _lock = crate::data_lock::lock(&data, options.role, &options.name)?;
    let queue = DiskQueue::open_at(&data.join("queue"), clock())
        .map_err(|e| anyhow::anyhow!("cannot open the command queue in {}: {e}", data.join("queue").display()))?;
    let fifo_path = command_file.unwrap_or_else(|| data.join("vigia.cmd"));
    fifo::ensure(&fifo_path).map_err(|e| anyhow::anyhow!("command file {}: {e}", fifo_path.display()))?;
    let spool_dir = data.join("checkresults");
    std::fs::create_dir_all(&spool_dir)
        .map_err(|e| anyhow::anyhow!("cannot create the spool folder {}: {e}", spool_dir.display()))?;

    let state = DaemonState::new(options);
    let receiver = Arc::new(Receiver {
        state: state.clone(),
        queue: Arc::new(queue),
        work: RwLock::new(None),
        deliverers: Mutex::new(BTreeMap::new()),
        safe: watch::Sender::new(BTreeMap::new()),
        not_applied: Mutex::new(BTreeMap::new()),
        routing: tokio::sync::Mutex::new(()),
    });
    let (tx, rx) = mpsc::channel(64);
    let fifo_reader = tokio::spawn(fifo::read_loop(fifo_path, tx));
    let fifo_handler = tokio::spawn(receiver.clone().handle_fifo(rx));
    let spool = tokio::spawn(receiver.clone().spool_loop(spool_dir));

    let result = daemon::serve(state, router(receiver.clone()), shutdown).await;

    // Stop reading, queue what was read, let deliveries in progress finish.
    fifo_reader.abort();
    let _ = fifo_reader.await;
    if tokio::time::timeout(STOP_GRACE, fifo_handler).await.is_err() {
        tracing::warn!("receiver: command file lines still being queued at stop");
    }
    spool.abort();
    receiver.stop_deliverers().await;
    result
}

/// The receiver's shared state.
pub struct Receiver {
    state: Arc<DaemonState>,
    queue: Arc<DiskQueue>,
    work: RwLock<Option<ReceiverWork>>,
    deliverers: Mutex<BTreeMap<String, Deliverer>>,
    /// Per scheduler (home name), the highest batch number its spares hold, from the answers
    /// to deliveries: what `POST /api/v1/commands?wait=` waits for.
    safe: watch::Sender<BTreeMap<String, u64>>,
    /// Commands a scheduler did not apply, by batch number and place in the batch.
    not_applied: Mutex<BTreeMap<u64, BTreeMap<usize, NotApplied>>>,
    /// Held while the assignment changes and while commands are routed and queued, so that
    /// none is left in the unrouted folder or in the folder of a scheduler just removed.
    routing: tokio::sync::Mutex<()>,
}

/// The task delivering one scheduler's queue.
struct Deliverer {
    /// The scheduler's URL: a new one restarts the deliverer.
    key: String,
    notify: Arc<Notify>,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs blocking file work off the runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(format!("file task failed: {e}"))))
}

/// Groups lines by scheduler, dropping (with a warning) those no scheduler owns: for the pipe
/// and the spool, which have nobody to answer to.
fn route_lenient(lines: &[Line], work: &ReceiverWork, source: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines {
        match targets(&line.route, work) {
            Ok(names) => {
                for name in names {
                    out.entry(name).or_default().push(line.text.clone());
                }
            }
            Err(e) => tracing::warn!("{source}: '{}' dropped: {e}", line.text),
        }
    }
    out
}

/// Moves the batches of `from` (a scheduler no longer assigned, or the unrouted folder) to
/// their current owners.
/// The largest assignment taken (host names of the whole configuration).
const ASSIGNMENT_LIMIT: usize = 256 << 20;

fn reroute(queue: &DiskQueue, from: &Target, work: &ReceiverWork) -> std::io::Result<usize> {
    let mut moved = 0;
    let now = daemon::now();
    for batch in queue.batches(from, usize::MAX)? {
        let mut lines = Vec::new();
        for text in &batch.lines {
            match parse_line(text, now) {
                Ok(l) => lines.push(l),
                Err(e) => tracing::warn!("queued command '{text}' dropped: {e}"),
            }
        }
        let routed = route_lenient(&lines, work, "queued command");
        moved += lines.len();
        queue.push_routed(&routed)?;
        queue.remove(std::slice::from_ref(&batch))?;
    }
    Ok(moved)
}

/// Takes the spool folder's finished files into the queue; returns the schedulers that got
/// commands.
pub fn scan_spool(queue: &DiskQueue, dir: &Path, work: &ReceiverWork) -> std::io::Result<BTreeSet<String>> {
    let mut touched = BTreeSet::new();
    for c in spool::candidates(dir, std::time::SystemTime::now())? {
        let bytes = match std::fs::read(&c.path) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("check result file {}: {e}", c.path.display());
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        if !c.has_ok && !spool::looks_complete(&text) {
            continue;
        }
        let source = format!("check result file {}", c.path.display());
        let (results, problems) = spool::parse(&text);
        for p in &problems {
            tracing::warn!("{source}: {p}");
        }
        if results.is_empty() {
            tracing::warn!("{source}: no check result in it: set aside as .bad");
            spool::set_aside(&c)?;
            continue;
        }
        let now = daemon::now();
        let mut lines = Vec::new();
        for r in &results {
            match parse_line(&r.command(now), now) {
                Ok(l) => lines.push(l),
                Err(e) => tracing::warn!("{source}: result for {} dropped: {e}", r.host),
            }
        }
        let routed = route_lenient(&lines, work, &source);
        queue.push_routed(&routed)?;
        touched.extend(routed.into_keys());
        spool::remove(&c)?;
    }
    Ok(touched)
}

impl Receiver {
    fn work(&self) -> Option<ReceiverWork> {
        self.work.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn wake(&self, names: impl IntoIterator<Item = String>) {
        let deliverers = lock(&self.deliverers);
        for name in names {
            if let Some(d) = deliverers.get(&name) {
                d.notify.notify_one();
            }
        }
    }

    /// Writes routed commands to the queue, then wakes their deliverers; the batch written
    /// per scheduler.
    async fn enqueue(&self, routed: BTreeMap<String, Vec<String>>) -> std::io::Result<Vec<(String, u64)>> {
        let names: Vec<String> = routed.keys().cloned().collect();
        let queue = self.queue.clone();
        let ids = blocking(move || queue.push_routed(&routed)).await?;
        self.wake(names);
        Ok(ids)
    }

    /// Raises how far `scheduler`'s spares hold this receiver's batches (wakes `?wait`).
    fn raise_safe(&self, scheduler: &str, synced: u64) {
        self.safe.send_if_modified(|safe| {
            let at = safe.entry(scheduler.to_string()).or_insert(0);
            let raised = synced > *at;
            *at = (*at).max(synced);
            raised
        });
    }

    /// Keeps what a scheduler did not apply, by batch, for the `?wait` answers (the oldest
    /// batches go first past [`NOT_APPLIED_KEPT`]).
    fn keep_not_applied(&self, batch: u64, index: usize, command: &str, reason: String) {
        let mut kept = lock(&self.not_applied);
        kept.entry(batch)
            .or_default()
            .entry(index)
            .or_insert_with(|| NotApplied {
                command: command.to_string(),
                reason,
            });
        while kept.len() > NOT_APPLIED_KEPT {
            kept.pop_first();
        }
    }

    /// What was not applied of these batches (taken: each is answered once).
    fn take_not_applied(&self, batches: &[(String, u64)]) -> Vec<NotApplied> {
        let mut kept = lock(&self.not_applied);
        batches
            .iter()
            .filter_map(|(_, id)| kept.remove(id))
            .flat_map(BTreeMap::into_values)
            .collect()
    }

    /// Takes a new assignment: delivery tasks to match the schedulers, and the commands queued
    /// for schedulers that are gone (or before any assignment) routed again.
    async fn assign(self: &Arc<Self>, a: Assignment) -> Result<usize, ApiError> {
        let _routing = self.routing.lock().await;
        self.state.accept(&a)?;
        let Work::Receiver(work) = a.work else {
            return Err(ApiError(StatusCode::BAD_REQUEST, "not a receiver's work".into()));
        };
        *self.work.write().unwrap_or_else(|e| e.into_inner()) = Some(work.clone());
        let secret = self.state.secrets();
        let wanted: BTreeMap<String, String> = work
            .schedulers
            .iter()
            .map(|l| (l.name.clone(), l.url.clone()))
            .collect();
        let stale: Vec<Deliverer> = {
            let mut deliverers = lock(&self.deliverers);
            let names: Vec<String> = deliverers
                .iter()
                .filter(|(name, d)| wanted.get(*name) != Some(&d.key))
                .map(|(name, _)| name.clone())
                .collect();
            names.iter().filter_map(|n| deliverers.remove(n)).collect()
        };
        for d in stale {
            stop_deliverer(d).await;
        }
        // Commands for schedulers no longer assigned, and those received before any
        // assignment, go to the current owners.
        let queue = self.queue.clone();
        let keep: BTreeSet<String> = wanted.keys().cloned().collect();
        let w = work.clone();
        let moved = blocking(move || {
            let mut moved = 0;
            for target in queue.targets()? {
                let orphan = match &target {
                    Target::Scheduler(name) => !keep.contains(name),
                    Target::Unrouted => true,
                };
                if orphan {
                    moved += reroute(&queue, &target, &w)?;
                }
            }
            Ok(moved)
        })
        .await;
        match moved {
            Ok(0) => {}
            Ok(n) => tracing::info!("receiver {}: {n} queued command(s) routed again", a.name),
            Err(e) => tracing::error!("receiver {}: cannot route queued commands again: {e}", a.name),
        }
        let mut deliverers = lock(&self.deliverers);
        for (name, key) in wanted {
            if deliverers.contains_key(&name) {
                continue;
            }
            let notify = Arc::new(Notify::new());
            let (stop, stop_rx) = watch::channel(false);
            let link = Link::new(&key, secret.clone());
            tracing::info!(
                "receiver {}: delivering commands to scheduler {name} at {}",
                a.name,
                key
            );
            let handle = tokio::spawn(self.clone().deliver_loop(name.clone(), link, notify.clone(), stop_rx));
            deliverers.insert(
                name,
                Deliverer {
                    key,
                    notify,
                    stop,
                    handle,
                },
            );
        }
        Ok(work.schedulers.len())
    }

    async fn stop_deliverers(&self) {
        let all = std::mem::take(&mut *lock(&self.deliverers));
        for (_, d) in all {
            stop_deliverer(d).await;
        }
    }

    /// Sends one scheduler its queued commands, oldest first, until stopped.
    ///
    /// The next batch goes as soon as the scheduler applied the previous one; a batch leaves
    /// the disk queue only when an answer says the scheduler's spares hold it (`synced`).
    /// Until then it is *pending*: on a failed delivery, or a scheduler that did not apply it
    /// (its engine was replaced), every pending batch is delivered again, and the scheduler's
    /// command marks apply each batch once. So the spares' copy is not in line with every
    /// batch, and a scheduler that dies before its spares have a command loses nothing.
    async fn deliver_loop(
        self: Arc<Self>,
        name: String,
        link: Link,
        notify: Arc<Notify>,
        mut stop: watch::Receiver<bool>,
    ) {
        let target = Target::Scheduler(name.clone());
        let mut backoff = Duration::from_millis(250);
        let mut failing = false;
        // Applied by the scheduler, not yet known to be on its spares: still on disk.
        let mut pending: Vec<Batch> = Vec::new();
        // Batches up to this number are pending or gone.
        let mut sent_up_to = 0;
        loop {
            if *stop.borrow() {
                return;
            }
            let pending_lines: usize = pending.iter().map(|b| b.lines.len()).sum();
            let batches = if pending_lines >= MAX_PENDING {
                // Enough waits for the spares: ask how far they are before sending more.
                Vec::new()
            } else {
                let queue = self.queue.clone();
                let t = target.clone();
                match blocking(move || queue.batches_after(&t, sent_up_to, MAX_DELIVERY)).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!("receiver: cannot read the queue of scheduler {name}: {e}");
                        Vec::new()
                    }
                }
            };
            if batches.is_empty() && pending.is_empty() {
                tokio::select! {
                    _ = notify.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                continue;
            }
            // No batch: a confirmation request, which the scheduler holds until its spares
            // have what it applied (or `CONFIRM_WAIT`).
            let commands: Vec<String> = batches.iter().flat_map(|b| b.lines.iter().cloned()).collect();
            let numbers: Vec<u64> = batches.iter().flat_map(|b| b.lines.iter().map(|_| b.id)).collect();
            // Not cancelled by a stop: a request cut off after the scheduler applied it would
            // deliver the commands twice.
            let answer = link
                .call::<endpoint::Commands>(
                    &CommandBatch {
                        commands: commands.clone(),
                        source: Some(self.state.name()),
                        batches: numbers.clone(),
                    },
                    DELIVERY_TIMEOUT,
                )
                .await;
            match answer {
                Ok(answer) => {
                    if failing {
                        tracing::info!("receiver: scheduler {name} is back: delivering its queued commands");
                        failing = false;
                    }
                    backoff = Duration::from_millis(250);
                    let asked_only = batches.is_empty();
                    self.handle_outcomes(&name, &commands, &numbers, answer.outcomes).await;
                    self.raise_safe(&name, answer.synced);
                    if let Some(last) = batches.last() {
                        sent_up_to = sent_up_to.max(last.id);
                    }
                    pending.extend(batches);
                    let before = pending.len();
                    let (safe, rest): (Vec<Batch>, Vec<Batch>) =
                        pending.into_iter().partition(|b| b.id <= answer.synced);
                    pending = rest;
                    if pending.iter().any(|b| b.id > answer.applied) {
                        // Not applied by the engine answering (it replaced the one that had
                        // them): delivered again from the oldest.
                        tracing::info!(
                            "receiver: scheduler {name} no longer has {} delivered batch(es): delivering them again",
                            pending.iter().filter(|b| b.id > answer.applied).count()
                        );
                        pending.retain(|b| b.id <= answer.applied);
                        sent_up_to = answer.applied;
                    }
                    if !safe.is_empty() {
                        let queue = self.queue.clone();
                        if let Err(e) = blocking(move || queue.remove(&safe)).await {
                            tracing::error!("receiver: delivered commands for {name} not removed from the queue ({e}): they may be delivered again");
                        }
                    }
                    if asked_only && pending.len() == before {
                        // The spares did not move within the scheduler's wait: do not spin.
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                            _ = stop.changed() => return,
                        }
                    }
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(
                            "receiver: cannot deliver to scheduler {name} ({e}): {} command(s) stay queued",
                            commands.len() + pending_lines
                        );
                        failing = true;
                    }
                    // Whether it applied them is unknown: everything still queued goes again.
                    pending.clear();
                    sent_up_to = 0;
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stop.changed() => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Logs refusals and routes again what the scheduler says is not its own; keeps both for
    /// the `?wait` answers.
    async fn handle_outcomes(&self, name: &str, commands: &[String], numbers: &[u64], outcomes: Vec<CommandOutcome>) {
        if outcomes.len() != commands.len() {
            tracing::warn!(
                "receiver: scheduler {name} answered {} outcome(s) for {} command(s)",
                outcomes.len(),
                commands.len()
            );
        }
        let work = self.work();
        let mut again: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Place of each command in its batch.
        let mut place = (0, 0);
        for ((text, outcome), &batch) in commands.iter().zip(outcomes).zip(numbers) {
            place = if place.0 == batch {
                (batch, place.1 + 1)
            } else {
                (batch, 0)
            };
            if outcome.not_mine {
                let owner = match (parse_line(text, daemon::now()), &work) {
                    (
                        Ok(Line {
                            route: route @ Route::Host(_),
                            ..
                        }),
                        Some(w),
                    ) => targets(&route, w),
                    _ => Err("not a command for one host".to_string()),
                };
                let reason = match owner {
                    Ok(names) if names.iter().all(|n| n != name) => {
                        let reason = format!("its host is now with {}: sent there", names.join(", "));
                        for n in names {
                            again.entry(n).or_default().push(text.clone());
                        }
                        reason
                    }
                    Ok(_) => {
                        tracing::warn!("scheduler {name} says '{text}' is not its own, yet it owns the host: dropped");
                        format!("scheduler {name} does not own its host: dropped")
                    }
                    Err(e) => {
                        tracing::warn!("scheduler {name} says '{text}' is not its own: dropped ({e})");
                        format!("scheduler {name} does not own it: dropped ({e})")
                    }
                };
                self.keep_not_applied(batch, place.1, text, reason);
            } else if !outcome.ok {
                let why = outcome.error.unwrap_or_else(|| "no reason given".into());
                tracing::warn!("scheduler {name} refused '{text}': {why}");
                self.keep_not_applied(batch, place.1, text, format!("refused by scheduler {name}: {why}"));
            }
        }
        if !again.is_empty() {
            if let Err(e) = self.enqueue(again).await.map(drop) {
                tracing::error!("receiver: cannot queue re-routed commands: {e}");
            }
        }
    }

    /// Queues the lines read from the command pipe.
    async fn handle_fifo(self: Arc<Self>, mut rx: mpsc::Receiver<Vec<String>>) {
        while let Some(raw) = rx.recv().await {
            let now = daemon::now();
            let mut lines = Vec::new();
            for text in raw {
                match parse_line(&text, now) {
                    Ok(l) => lines.push(l),
                    Err(e) => tracing::warn!("command file: '{text}' ignored: {e}"),
                }
            }
            if lines.is_empty() {
                continue;
            }
            let _routing = self.routing.lock().await;
            let result = match self.work() {
                Some(work) => self
                    .enqueue(route_lenient(&lines, &work, "command file"))
                    .await
                    .map(drop),
                None => {
                    tracing::info!(
                        "command file: no assignment yet: {} command(s) kept until one comes",
                        lines.len()
                    );
                    let queue = self.queue.clone();
                    let texts: Vec<String> = lines.into_iter().map(|l| l.text).collect();
                    blocking(move || queue.push(&Target::Unrouted, &texts)).await.map(drop)
                }
            };
            if let Err(e) = result {
                tracing::error!("command file: cannot queue commands: {e}");
            }
        }
    }

    /// Looks at the spool folder every second, once assigned.
    async fn spool_loop(self: Arc<Self>, dir: PathBuf) {
        let mut failing = false;
        loop {
            tokio::time::sleep(SPOOL_INTERVAL).await;
            let _routing = self.routing.lock().await;
            let Some(work) = self.work() else { continue };
            let queue = self.queue.clone();
            let d = dir.clone();
            match blocking(move || scan_spool(&queue, &d, &work)).await {
                Ok(touched) => {
                    failing = false;
                    self.wake(touched);
                }
                Err(e) => {
                    if !failing {
                        tracing::error!("check result spool {}: {e}", dir.display());
                        failing = true;
                    }
                }
            }
        }
    }
}

/// Asks a deliverer to stop after its current request; aborts it if that takes too long.
async fn stop_deliverer(d: Deliverer) {
    let _ = d.stop.send(true);
    let mut handle = d.handle;
    if tokio::time::timeout(STOP_GRACE, &mut handle).await.is_err() {
        handle.abort();
    }
}

fn router(receiver: Arc<Receiver>) -> Router {
    Router::new()
        // Its work names the owner of every host: 3.5 MB of JSON at 100,000 hosts, past axum's
        // default 2 MB limit (seen refused with 413 on a 1M-service configuration).
        .route(
            paths::ASSIGN,
            post(assign).layer(DefaultBodyLimit::max(ASSIGNMENT_LIMIT)),
        )
        .route(paths::RELEASE, post(release))
        .route(paths::API_COMMANDS, post(post_commands))
        .route(paths::API_QUEUE, get(queue_status))
        .with_state(receiver)
}

async fn assign(State(r): State<Arc<Receiver>>, Json(a): Json<Assignment>) -> Result<Json<AssignAck>, ApiError> {
    let (name, generation) = (a.name.clone(), a.generation);
    let count = r.assign(a).await?;
    Ok(Json(AssignAck {
        accepted: true,
        message: format!("receiver {name} routes to {count} scheduler(s), generation {generation}"),
    }))
}

/// The arbiter takes the work away (a spare giving it back): it stops delivering; what is
/// queued stays on disk for when it has work again.
async fn release(
    State(r): State<Arc<Receiver>>,
    Json(rel): Json<vigia_proto::Release>,
) -> Result<Json<vigia_proto::Released>, ApiError> {
    let _routing = r.routing.lock().await;
    r.state.release(&rel)?;
    *r.work.write().unwrap_or_else(|e| e.into_inner()) = None;
    r.stop_deliverers().await;
    tracing::info!("receiver {}: released ({}): waiting", r.state.name(), rel.reason);
    Ok(Json(vigia_proto::Released::default()))
}

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, e.to_string())
}

async fn post_commands(
    State(r): State<Arc<Receiver>>,
    Query(query): Query<CommandsQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CommandsAccepted>), ApiError> {
    let wait = match query.wait {
        None => None,
        Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s).min(MAX_WAIT)),
        Some(s) => return Err(bad(format!("wait={s}: expected a number of seconds above 0"))),
    };
    // Routed and queued under the routing lock: an assignment arriving meanwhile cannot leave
    // them in the folder of a scheduler it just removed.
    let routing = r.routing.lock().await;
    let Some(work) = r.work() else {
        return Err(ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "this receiver has no assignment yet: it does not know which scheduler owns which host".into(),
        ));
    };
    let now = daemon::now();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
    let lines = if json {
        let request: CommandsRequest = serde_json::from_slice(&body).map_err(|e| {
            bad(format!(
                "invalid JSON ({e}): expected {{\"commands\": [\"[epoch] NAME;args\", ...]}}"
            ))
        })?;
        let mut lines = Vec::with_capacity(request.commands.len());
        for (i, text) in request.commands.iter().enumerate() {
            let at = |error: String| bad(LineError { line: i + 1, error });
            if text.contains('\n') {
                return Err(at("one command per string".into()));
            }
            lines.push(parse_line(text, now).map_err(at)?);
        }
        lines
    } else {
        let text = std::str::from_utf8(&body).map_err(|_| bad("the body is not UTF-8 text"))?;
        parse_text(text, now).map_err(bad)?
    };
    if lines.is_empty() {
        return Err(bad("no command in the body"));
    }
    let routed = route_all(&lines, &work).map_err(bad)?;
    let batches = r.enqueue(routed).await.map_err(|e| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the commands to the queue: {e}"),
        )
    })?;
    drop(routing);
    let accepted = lines.len();
    let Some(wait) = wait else {
        return Ok((
            StatusCode::ACCEPTED,
            Json(CommandsAccepted {
                accepted,
                safe: None,
                not_applied: Vec::new(),
            }),
        ));
    };
    let mut safe = r.safe.subscribe();
    let held = |by: &BTreeMap<String, u64>| batches.iter().all(|(s, id)| by.get(s).is_some_and(|at| at >= id));
    let done = matches!(tokio::time::timeout(wait, safe.wait_for(held)).await, Ok(Ok(_)));
    let (status, not_applied) = if done {
        (StatusCode::OK, r.take_not_applied(&batches))
    } else {
        (StatusCode::ACCEPTED, Vec::new())
    };
    Ok((
        status,
        Json(CommandsAccepted {
            accepted,
            safe: Some(done),
            not_applied,
        }),
    ))
}

async fn queue_status(State(r): State<Arc<Receiver>>) -> Result<Json<QueueStatus>, ApiError> {
    let queue = r.queue.clone();
    let queued = blocking(move || queue.counts())
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read the queue: {e}")))?;
    Ok(Json(QueueStatus { queued }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigia_proto::SchedulerLink;

    fn work(owner_of_web1: &str) -> ReceiverWork {
        let link = |n: &str| SchedulerLink {
            name: n.into(),
            url: format!("http://{n}"),
            generation: 1,
            part_hash: String::new(),
            image: String::new(),
            runner: String::new(),
        };
        ReceiverWork {
            schedulers: vec![link("s1"), link("s2")],
            host_owner: [("web1", owner_of_web1), ("db1", "s2")]
                .into_iter()
                .map(|(h, s)| (h.to_string(), s.to_string()))
                .collect(),
        }
    }

    fn s(name: &str) -> Target {
        Target::Scheduler(name.into())
    }

    fn queued(q: &DiskQueue, t: &Target) -> Vec<String> {
        q.batches(t, usize::MAX)
            .unwrap()
            .into_iter()
            .flat_map(|b| b.lines)
            .collect()
    }

    #[test]
    fn spool_files_become_routed_commands() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("checkresults");
        std::fs::create_dir_all(&spool).unwrap();
        let q = DiskQueue::open(&dir.path().join("queue")).unwrap();
        std::fs::write(
            spool.join("c123456"),
            "file_time=1700000000\n\nhost_name=web1\nservice_description=http\nreturn_code=2\noutput=CRIT|t=1\n\nhost_name=db1\nreturn_code=0\noutput=UP\n\nhost_name=ghost\nreturn_code=0\noutput=?\n",
        )
        .unwrap();
        std::fs::write(spool.join("c123456.ok"), "").unwrap();
        // Not finished yet: no `.ok` and recent.
        std::fs::write(spool.join("c999999"), "host_name=web1\nreturn_code=0\noutput=later\n").unwrap();
        let touched = scan_spool(&q, &spool, &work("s1")).unwrap();
        assert_eq!(touched, BTreeSet::from(["s1".to_string(), "s2".to_string()]));
        assert_eq!(
            queued(&q, &s("s1")),
            vec!["[1700000000] PROCESS_SERVICE_CHECK_RESULT;web1;http;2;CRIT|t=1".to_string()]
        );
        assert_eq!(
            queued(&q, &s("s2")),
            vec!["[1700000000] PROCESS_HOST_CHECK_RESULT;db1;0;UP".to_string()]
        );
        assert!(!spool.join("c123456").exists());
        assert!(!spool.join("c123456.ok").exists());
        assert!(spool.join("c999999").exists());
        // A file with nothing valid is set aside.
        std::fs::write(spool.join("c000bad"), "garbage\n").unwrap();
        std::fs::write(spool.join("c000bad.ok"), "").unwrap();
        scan_spool(&q, &spool, &work("s1")).unwrap();
        assert!(spool.join("c000bad.bad").exists());
    }

    #[test]
    fn orphaned_and_unrouted_commands_are_routed_again() {
        let dir = tempfile::tempdir().unwrap();
        let q = DiskQueue::open(dir.path()).unwrap();
        q.push(
            &Target::Unrouted,
            &[
                "[5] PROCESS_HOST_CHECK_RESULT;web1;0;ok".into(),
                "[6] DISABLE_NOTIFICATIONS".into(),
            ],
        )
        .unwrap();
        q.push(&s("old"), &["[7] PROCESS_HOST_CHECK_RESULT;db1;1;down".into()])
            .unwrap();
        let w = work("s2");
        assert_eq!(reroute(&q, &Target::Unrouted, &w).unwrap(), 2);
        assert_eq!(reroute(&q, &s("old"), &w).unwrap(), 1);
        assert_eq!(queued(&q, &s("s1")), vec!["[6] DISABLE_NOTIFICATIONS".to_string()]);
        assert_eq!(
            queued(&q, &s("s2")),
            vec![
                "[5] PROCESS_HOST_CHECK_RESULT;web1;0;ok".to_string(),
                "[6] DISABLE_NOTIFICATIONS".to_string(),
                "[7] PROCESS_HOST_CHECK_RESULT;db1;1;down".to_string()
            ]
        );
        assert!(queued(&q, &Target::Unrouted).is_empty());
        assert!(queued(&q, &s("old")).is_empty());
    }
}
