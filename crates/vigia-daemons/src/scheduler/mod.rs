//! The scheduler daemon: runs one configuration part in a [`vigia_engine::Engine`], hands due
//! actions to pollers and reactionners, takes their results, numbers broks for brokers, applies
//! external commands, and keeps its state in a retention file.
//!
//! Unlike Alignak (architecture notes §7):
//! - a check handed to a worker that does not return it within its timeout plus a margin is
//!   handed out again (Alignak waits `time_to_orphanage`, 5 minutes, §7.11);
//! - every broker follows one numbered brok stream from its own position, so several brokers
//!   each get every brok, and a restarted broker (unknown position or running id) gets the full
//!   status first (§7.9, §7.10);
//! - retention is saved every few seconds when something changed, and on stop (§7.7);
//! - work from an older assignment generation is refused with 409, so a satellite that missed
//!   a reload cannot feed a scheduler with actions of a configuration it no longer runs.
//!
//! Concurrency: one `tokio::sync::Mutex` around the engine, the action queue and the brok ring.
//! Every engine call is short except building an engine (done outside the lock) and swapping
//! one in (done under the lock on a blocking thread, so the old engine's last results are in
//! the snapshot the new one starts from).
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use tokio::sync::{watch, Mutex, Notify};
use vigia_config::model::{Config, HostId};
use vigia_engine::brok::{Brok, BrokBody};
use vigia_engine::{Action, ActionKind, CheckResult, Engine, Item};
use vigia_proto::{
    paths, ActionClass, AssignAck, Assignment, BrokBatch, BrokRequest, CommandBatch, CommandOutcome, CommandsApplied,
    FetchRequest, FetchResponse, Release, Released, ResultAck, ResultBatch, Stale, StandbyAck, StandbyLink,
    StandbySync, Work, CONFIRM_WAIT,
};

use crate::daemon::{self, ApiError, DaemonOptions, DaemonState};
use crate::retention::RetentionStore;
use crate::standby::{StandbyStore, Standbys, Step};

/// Broks kept for brokers that fall behind; one further back gets the full status again.
pub const BROK_RING_CAPACITY: usize = 100_000;
/// Longest long-poll, whatever a client asks: clients use HTTP timeouts above it.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// Checks without their own timeout (Nagios `service_check_timeout`).
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(60);
/// Notifications and event handlers without their own timeout.
pub const DEFAULT_REACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Added to an action's timeout before it is handed out again: the worker kills the plugin at
/// the timeout, then needs a moment to post the result.
pub const RETURN_MARGIN: Duration = Duration::from_secs(20);
/// How often changed state is written to the retention file.
pub const SAVE_EVERY: Duration = Duration::from_secs(5);
/// The scheduling loop looks at the clock at least this often (re-queues, clock jumps).
const TICK: Duration = Duration::from_secs(1);
/// A scheduler whose loop did not turn for this long (frozen by SIGSTOP, a VM pause, a swap
/// storm) may have been replaced: the arbiter needs at least `max_check_attempts` timeouts
/// (3 s by default) to declare it dead. Until an arbiter confirms its assignment it hands
/// out no notification and no event handler.
pub const LEASE: Duration = Duration::from_secs(2);
const MAX_FETCH: usize = 10_000;
const DEFAULT_BROK_BATCH: usize = 10_000;
const MAX_BROK_BATCH: usize = 100_000;
/// Bodies can hold a whole configuration (assignments) or many results.
const BODY_LIMIT: usize = 1 << 30;

/// Runs a scheduler until SIGTERM or SIGINT.
pub async fn run(options: DaemonOptions) -> anyhow::Result<()> {
    run_until(options, daemon::stop_signal()).await
}

/// Runs a scheduler until `shutdown` resolves (tests stop it this way), then saves its state.
pub async fn run_until(
    options: DaemonOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let Err(e) = std::fs::create_dir_all(&options.data) {
        anyhow::bail!("cannot create data folder {}: {e}", options.data.display());
    }
    let store = match RetentionStore::open(&options.data.join("retention.redb")) {
        Ok(s) => Some(Arc::new(s)),
        Err(e) => {
            tracing::error!("{e}: running without retention (state will not survive a restart)");
            None
        }
    };
    let state = DaemonState::new(options);
    let (stop_tx, stop_rx) = watch::channel(false);
    let sched = Arc::new(Scheduler {
        state: state.clone(),
        core: Arc::new(Mutex::new(Core::new())),
        signals: Signals::default(),
        store,
        installing: Mutex::new(()),
        installs: AtomicU64::new(0),
        stop: stop_rx.clone(),
        copies: StandbyStore::default(),
        standbys: Mutex::new(Standbys::default()),
        streaming: AtomicBool::new(false),
        synced: watch::Sender::new(BTreeMap::new()),
        last_turn: AtomicU64::new(0),
        epoch: Instant::now(),
    });
    let scheduling = tokio::spawn(scheduling_loop(sched.clone(), stop_rx.clone()));
    let syncing = tokio::spawn(sync_loop(sched.clone(), stop_rx.clone()));
    let saving = tokio::spawn(retention_loop(sched.clone(), stop_rx));
    let stop_all = stop_tx.clone();
    let shutdown = async move {
        shutdown.await;
        let _ = stop_all.send(true);
    };
    let served = daemon::serve(state, router(sched.clone()), shutdown).await;
    let _ = stop_tx.send(true);
    let _ = scheduling.await;
    let _ = saving.await;
    let _ = syncing.await;
    if sched.save_if_changed().await {
        tracing::info!("scheduler {}: state saved", sched.state.name());
    }
    served
}

fn router(sched: Arc<Scheduler>) -> Router {
    Router::new()
        .route(paths::ASSIGN, post(assign))
        .route(paths::FETCH, post(fetch))
        .route(paths::RESULTS, post(results))
        .route(paths::BROKS, post(broks))
        .route(paths::COMMANDS, post(commands))
        .route(paths::STANDBY, post(standby).get(standby_copies))
        .route(paths::RELEASE, post(release))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(sched)
}

/// The timeout an action runs under (its command's, else the default of its class); the
/// scheduler waits that plus [`RETURN_MARGIN`] before handing it out again.
pub fn action_timeout(action: &Action) -> Duration {
    let default = match action.kind {
        ActionKind::Check => DEFAULT_CHECK_TIMEOUT,
        _ => DEFAULT_REACTION_TIMEOUT,
    };
    action
        .timeout
        .filter(|t| *t > 0)
        .map_or(default, |t| Duration::from_secs(u64::from(t)))
}

/// Which workers run an action: pollers take checks, reactionners the rest.
pub fn class_of(kind: &ActionKind) -> ActionClass {
    match kind {
        ActionKind::Check => ActionClass::Checks,
        ActionKind::Notification { .. } | ActionKind::EventHandler => ActionClass::Reactions,
    }
}

/// Whether a worker serving `tags` takes an action tagged `tag` ("None" = untagged; a worker
/// that names no tag serves untagged actions).
pub fn serves(tags: &[String], tag: Option<&str>) -> bool {
    let tag = tag.unwrap_or("None");
    if tags.is_empty() {
        return tag == "None";
    }
    tags.iter().any(|t| t == tag)
}

// ---------------------------------------------------------------------------------------------
// Action queue

/// Due actions not yet handed out, and actions with a worker, by wire id.
///
/// Wire ids are the engine's action ids with a per-engine prefix in the top 24 bits: a reload
/// builds a new engine whose ids start again at 1, and a result for the old engine's action 5
/// must not be taken for the new engine's action 5.
pub struct ActionQueue {
    prefix: u64,
    entries: HashMap<u64, Entry>,
    /// Wire ids in hand-out order, per class (checks, reactions). Ids of finished or handed
    /// actions are skipped lazily.
    ready: [VecDeque<u64>; 2],
    /// Checks waiting for their moment within their due second (epoch milliseconds, wire id).
    held: std::collections::BinaryHeap<std::cmp::Reverse<(u64, u64)>>,
    margin: Duration,
}

/// Where in its due second a check starts: the engine schedules in whole seconds, and starting
/// every check of a second at once makes the last of a burst wait for all the others (p99
/// latency of a second's worth of spawns). Spread by the golden ratio over the item's index:
/// stable for an item, even over many.
fn offset_in_second(item: Item) -> f64 {
    let index = match item {
        Item::Host(h) => u64::from(h.0) * 2,
        Item::Service(s) => u64::from(s.0) * 2 + 1,
    };
    (index as f64 * 0.618_033_988_749_895).fract()
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

struct Entry {
    /// With the wire id.
    action: Action,
    engine_id: u64,
    class: ActionClass,
    handed: Option<Handed>,
}

struct Handed {
    worker: String,
    deadline: Instant,
}

/// An action whose result came back.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The id the engine knows it by.
    pub engine_id: u64,
    pub item: Item,
    pub class: ActionClass,
    pub kind: ActionKind,
    pub command_line: String,
    pub worker: Option<String>,
}

/// An action handed out again because its worker did not return it in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Requeued {
    pub wire_id: u64,
    pub class: ActionClass,
    pub worker: String,
}

const ID_BITS: u32 = 40;
const ID_MASK: u64 = (1 << ID_BITS) - 1;

fn class_index(class: ActionClass) -> usize {
    match class {
        ActionClass::Checks => 0,
        ActionClass::Reactions => 1,
    }
}

impl ActionQueue {
    pub fn new(margin: Duration) -> ActionQueue {
        ActionQueue {
            prefix: 1,
            entries: HashMap::new(),
            ready: [VecDeque::new(), VecDeque::new()],
            held: std::collections::BinaryHeap::new(),
            margin,
        }
    }

    /// A new engine runs from now on: its checks are its own (the old engine's are forgotten:
    /// the new engine schedules again whatever was in flight), while notifications and event
    /// handlers already decided are still run.
    pub fn new_engine(&mut self, prefix: u64) {
        self.prefix = (prefix & 0xFF_FFFF).max(1);
        self.entries.retain(|_, e| e.class == ActionClass::Reactions);
        self.ready[0].clear();
        self.held.clear();
    }

    /// Queues an action from the engine.
    pub fn push(&mut self, mut action: Action) {
        let engine_id = action.id;
        let wire = (self.prefix << ID_BITS) | (engine_id & ID_MASK);
        action.id = wire;
        let class = class_of(&action.kind);
        if class == ActionClass::Checks && action.due > 0.0 {
            // Planned within its second; latency counts from this moment.
            action.due = action.due.floor() + offset_in_second(action.item);
            let at = (action.due * 1000.0) as u64;
            if at > wall_ms() {
                self.held.push(std::cmp::Reverse((at, wire)));
            } else {
                self.ready[0].push_back(wire);
            }
        } else {
            self.ready[class_index(class)].push_back(wire);
        }
        self.entries.insert(
            wire,
            Entry {
                action,
                engine_id,
                class,
                handed: None,
            },
        );
    }

    /// Hands out up to `max` ready actions of `class` whose tag `tags` serves, oldest first.
    pub fn take(&mut self, class: ActionClass, tags: &[String], max: usize, worker: &str, now: Instant) -> Vec<Action> {
        if class == ActionClass::Checks {
            let wall = wall_ms();
            while let Some(std::cmp::Reverse((at, wire))) = self.held.peek().copied() {
                if at > wall {
                    break;
                }
                self.held.pop();
                self.ready[0].push_back(wire);
            }
        }
        let mut out = Vec::new();
        let ready = &mut self.ready[class_index(class)];
        let mut skipped = Vec::new();
        while out.len() < max {
            let Some(id) = ready.pop_front() else { break };
            let Some(entry) = self.entries.get_mut(&id) else {
                continue;
            };
            if entry.handed.is_some() {
                continue;
            }
            if !serves(tags, entry.action.tag.as_deref()) {
                skipped.push(id);
                continue;
            }
            let deadline = now + action_timeout(&entry.action) + self.margin;
            entry.handed = Some(Handed {
                worker: worker.to_string(),
                deadline,
            });
            out.push(entry.action.clone());
        }
        // Actions for other tags keep their place at the front.
        for id in skipped.into_iter().rev() {
            ready.push_front(id);
        }
        out
    }

    /// The result for `wire_id` came back: the action is done (whoever had it). `None` for an
    /// id this queue does not hold (already done, or from an engine since replaced).
    pub fn finish(&mut self, wire_id: u64) -> Option<Finished> {
        let e = self.entries.remove(&wire_id)?;
        Some(Finished {
            engine_id: e.engine_id,
            item: e.action.item,
            class: e.class,
            kind: e.action.kind,
            command_line: e.action.command_line,
            worker: e.handed.map(|h| h.worker),
        })
    }

    /// Hands out again every action whose worker is past its deadline (front of the queue:
    /// they are the most overdue).
    pub fn requeue_expired(&mut self, now: Instant) -> Vec<Requeued> {
        let mut out = Vec::new();
        for (id, e) in self.entries.iter_mut() {
            if e.handed.as_ref().is_some_and(|h| h.deadline <= now) {
                if let Some(h) = e.handed.take() {
                    out.push(Requeued {
                        wire_id: *id,
                        class: e.class,
                        worker: h.worker,
                    });
                }
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.wire_id));
        for r in &out {
            self.ready[class_index(r.class)].push_front(r.wire_id);
        }
        out.reverse();
        out
    }

    /// Actions waiting for a worker, of a class.
    /// Whether `wire_id` was numbered by another engine (another scheduler's, or this
    /// process's before a new assignment).
    pub fn is_foreign(&self, wire_id: u64) -> bool {
        wire_id >> ID_BITS != self.prefix
    }

    /// This queue's check for `item`, handed out or not, taken as answered by a result another
    /// scheduler's check produced (see `results`).
    pub fn adopt(&mut self, item: Item) -> Option<Finished> {
        let wire = self
            .entries
            .iter()
            .find(|(_, e)| e.class == ActionClass::Checks && e.action.item == item)
            .map(|(id, _)| *id)?;
        self.finish(wire)
    }

    /// How long until the next held check may start (`None`: none held).
    pub fn next_held(&self) -> Option<Duration> {
        self.held
            .peek()
            .map(|std::cmp::Reverse((at, _))| Duration::from_millis(at.saturating_sub(wall_ms())))
    }

    pub fn ready_count(&self, class: ActionClass) -> usize {
        self.entries
            .values()
            .filter(|e| e.class == class && e.handed.is_none())
            .count()
    }

    /// Actions with a worker.
    pub fn in_flight(&self) -> usize {
        self.entries.values().filter(|e| e.handed.is_some()).count()
    }
}

// ---------------------------------------------------------------------------------------------
// Brok ring

/// The recent broks, renumbered in the scheduler's own sequence (an engine's numbering starts
/// over when a reload replaces it; the scheduler's does not).
///
/// A broker at position `after` can follow incrementally when `valid_from <= after <= last`;
/// otherwise (new broker, restarted scheduler, broker too far behind, engine replaced) it gets
/// the initial status, numbered so that it ends at `last`: its next position is then valid.
pub struct BrokRing {
    broks: VecDeque<Brok>,
    capacity: usize,
    last: u64,
    valid_from: u64,
}

impl BrokRing {
    pub fn new(capacity: usize) -> BrokRing {
        BrokRing {
            broks: VecDeque::new(),
            capacity: capacity.max(1),
            last: 0,
            valid_from: 0,
        }
    }

    pub fn push(&mut self, mut brok: Brok) {
        self.last += 1;
        brok.seq = self.last;
        self.broks.push_back(brok);
        if self.broks.len() > self.capacity {
            if let Some(old) = self.broks.pop_front() {
                // A broker at `old.seq - 1` missed it; one at `old.seq` did not.
                self.valid_from = old.seq;
            }
        }
    }

    /// The object ids of earlier broks mean nothing any more (a new engine): every broker
    /// starts over. `reserve` sequence numbers are skipped so that an initial status of up to
    /// that many broks can end at `last` without going below 1.
    pub fn new_epoch(&mut self, reserve: u64) {
        self.broks.clear();
        self.last += 1 + reserve;
        self.valid_from = self.last;
    }

    pub fn last(&self) -> u64 {
        self.last
    }

    /// The broks held after `after` (all of them from 0).
    pub fn since(&self, after: u64) -> impl Iterator<Item = &Brok> {
        self.broks.iter().filter(move |b| b.seq > after)
    }

    /// Whether a broker at `after` can be answered with what follows it.
    pub fn can_follow(&self, after: u64) -> bool {
        after != 0 && after >= self.valid_from && after <= self.last
    }

    /// Up to `max` broks after `after` (which [`BrokRing::can_follow`]).
    pub fn after(&self, after: u64, max: usize) -> Vec<Brok> {
        let Some(front) = self.broks.front() else {
            return Vec::new();
        };
        let start = (after + 1).saturating_sub(front.seq) as usize;
        if start >= self.broks.len() {
            return Vec::new();
        }
        let end = start.saturating_add(max).min(self.broks.len());
        self.broks.range(start..end).cloned().collect()
    }

    /// Numbers an initial status so that it ends at `last` (the state it describes includes
    /// every brok up to there), strictly increasing.
    pub fn number_initial(&mut self, broks: &mut [Brok]) {
        let n = broks.len() as u64;
        if self.last < n {
            // Only if more was reserved than predicted; costs every broker an initial status.
            self.new_epoch(n);
        }
        let first = self.last + 1 - n;
        for (i, b) in broks.iter_mut().enumerate() {
            b.seq = first + i as u64;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The daemon

struct Scheduler {
    state: Arc<DaemonState>,
    core: Arc<Mutex<Core>>,
    signals: Signals,
    store: Option<Arc<RetentionStore>>,
    /// One assignment at a time.
    installing: Mutex<()>,
    installs: AtomicU64,
    stop: watch::Receiver<bool>,
    /// As a waiting spare: the state streamed by the active schedulers of the realm.
    copies: StandbyStore,
    /// As the active scheduler: the spares it keeps in sync.
    standbys: Mutex<Standbys>,
    /// Whether there are spares to keep in sync (read without waiting on a sync in progress).
    streaming: AtomicBool,
    /// Per command source, the highest batch number every spare holds: what a receiver may
    /// delete from its queue (see [`CommandsApplied`]).
    synced: watch::Sender<BTreeMap<String, u64>>,
    /// When the scheduling loop last turned (milliseconds since `epoch`, a monotonic clock that
    /// keeps counting while the process is stopped).
    last_turn: AtomicU64,
    epoch: Instant,
}

#[derive(Default)]
struct Signals {
    /// New actions are ready (wakes fetch long-polls).
    actions: Notify,
    /// New broks (wakes brok long-polls).
    broks: Notify,
    /// Something may have moved the next event earlier (wakes the scheduling loop).
    wake: Notify,
    /// A receiver waits for its commands to reach the spares (wakes the sync loop).
    sync: Notify,
}

struct Core {
    running: Option<Running>,
    queue: ActionQueue,
    ring: BrokRing,
    /// Changed since the last retention save.
    dirty: bool,
    /// Notifications and event handlers held: this scheduler was frozen longer than its
    /// lease and may have been replaced (see [`LEASE`]).
    fenced: bool,
    /// Per broker (by name), the last brok it said it has: a broker that starts over (it
    /// restarted, or it had never pulled) still gets the monitoring log lines it missed.
    brokers_at: HashMap<String, u64>,
}

struct Running {
    engine: Engine,
    part_hash: String,
    config_hash: String,
    /// The part's home scheduler (its own name, or the master it stands in for).
    home: String,
    /// Where to ask, after a freeze, whether this scheduler still runs the part.
    arbiters: Vec<String>,
}

impl Core {
    fn new() -> Core {
        Core {
            fenced: false,
            running: None,
            queue: ActionQueue::new(RETURN_MARGIN),
            ring: BrokRing::new(BROK_RING_CAPACITY),
            dirty: false,
            brokers_at: HashMap::new(),
        }
    }

    /// Moves the engine to `now`, queues what came due, and passes broks and log lines on.
    fn pump(&mut self, now: i64, signals: &Signals) {
        let Some(run) = self.running.as_mut() else { return };
        let actions = run.engine.advance(now);
        let new_actions = !actions.is_empty();
        for a in actions {
            self.queue.push(a);
        }
        if new_actions {
            signals.actions.notify_waiters();
        }
        self.collect(signals);
    }

    /// Broks into the ring, log lines to the monitoring log.
    /// Stops running the part: the engine goes (returned, for its final state) and so does
    /// every action it decided, handed out or not.
    fn stop_running(&mut self) -> Option<Running> {
        self.queue = ActionQueue::new(RETURN_MARGIN);
        self.fenced = false;
        self.running.take()
    }

    fn collect(&mut self, signals: &Signals) {
        let Some(run) = self.running.as_mut() else { return };
        for line in run.engine.drain_log() {
            tracing::info!(target: "vigia::monitoring", "{line}");
        }
        let broks = run.engine.drain_broks();
        if broks.is_empty() {
            return;
        }
        for b in broks {
            self.ring.push(b);
        }
        // Every state change makes a brok: that is what retention must save.
        self.dirty = true;
        signals.broks.notify_waiters();
    }
}

/// A refusal: an API error, or work from an older generation.
enum SchedError {
    Api(ApiError),
    Stale(Stale),
}

impl IntoResponse for SchedError {
    fn into_response(self) -> Response {
        match self {
            SchedError::Api(e) => e.into_response(),
            SchedError::Stale(s) => (StatusCode::CONFLICT, Json(s)).into_response(),
        }
    }
}

impl From<ApiError> for SchedError {
    fn from(e: ApiError) -> Self {
        SchedError::Api(e)
    }
}

fn no_configuration() -> ApiError {
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        "this scheduler has no configuration assigned yet".into(),
    )
}

impl Scheduler {
    fn check_generation(&self, generation: u64) -> Result<(), SchedError> {
        let current = self.state.generation();
        if generation < current {
            return Err(SchedError::Stale(Stale {
                current_generation: current,
                message: format!(
                    "generation {generation} is older than this scheduler's assignment ({current}): wait for the new assignment"
                ),
            }));
        }
        Ok(())
    }

    /// Writes a snapshot when something changed since the last one. True when written.
    async fn save_if_changed(&self) -> bool {
        let Some(store) = self.store.clone() else { return false };
        let snapshot = {
            let mut core = self.core.lock().await;
            if !core.dirty {
                return false;
            }
            let Some(run) = core.running.as_ref() else { return false };
            let s = run.engine.snapshot();
            core.dirty = false;
            s
        };
        let saved = tokio::task::spawn_blocking(move || store.save(&snapshot)).await;
        match saved {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!("saving retention: {e} (will retry)");
                self.core.lock().await.dirty = true;
                false
            }
            Err(e) => {
                tracing::warn!("saving retention: {e} (will retry)");
                self.core.lock().await.dirty = true;
                false
            }
        }
    }

    /// Replaces the engine by one for `config`/`hosts`, carrying the state over: from the
    /// running engine on a reload, else from the retention file.
    async fn install(self: &Arc<Self>, config: Config, hosts: Vec<HostId>, part: PartInfo) -> Result<String, ApiError> {
        let PartInfo {
            part_hash,
            config_hash,
            home,
            handover,
            reason,
            arbiters,
        } = part;
        let home_key = home.clone();
        let started = Instant::now();
        let seed = {
            let h = blake3::hash(part_hash.as_bytes());
            let mut b = [0u8; 8];
            b.copy_from_slice(&h.as_bytes()[..8]);
            u64::from_le_bytes(b)
        };
        let owned_items: u64 = hosts
            .iter()
            .filter_map(|h| config.hosts.get(h.index()))
            .map(|h| 1 + h.services.len() as u64)
            .sum();
        let config = Arc::new(config);
        let build_hosts = hosts.clone();
        // Where the state comes from, best first: a hand-over from a spare giving the part back;
        // the running engine (a reload); the copy streamed by the part's active scheduler while
        // this one waited (a take-over); the retention file.
        let has_running = self.core.lock().await.running.as_ref().is_some_and(|r| r.home == home);
        let copy = if handover.is_none() && !has_running {
            self.copies.get(&home)
        } else {
            None
        };
        let copy_config = config.clone();
        // Built outside the lock: the running engine keeps scheduling meanwhile.
        let built = tokio::task::spawn_blocking(move || {
            // Changes are streamed to the spares (and drained even when there are none).
            let e = Engine::new(
                config,
                Some(&build_hosts),
                daemon::now(),
                jiff::tz::TimeZone::system(),
                seed,
            );
            let merged = copy.map(|c| {
                let from = format!("the state streamed by {} (step {})", c.source, c.seq);
                (
                    crate::standby::merged(copy_config, &build_hosts, c, daemon::now()),
                    from,
                )
            });
            (e, merged)
        })
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("building the engine: {e}")))?;
        let (engine, merged) = built;
        let (retained, retained_from, fresh_queue) = if let Some(h) = handover {
            (Some(*h), "the state handed over by the spare".to_string(), true)
        } else if has_running {
            (None, "the running engine".to_string(), false)
        } else {
            match merged {
                Some((Ok(r), from)) => (Some(r), from, true),
                Some((Err(e), from)) => {
                    tracing::warn!("{from} cannot be replayed: {e}; falling back to the retention file");
                    (self.load_retention().await, "the retention file".to_string(), false)
                }
                None => (self.load_retention().await, "the retention file".to_string(), false),
            }
        };
        let prefix = self.next_prefix();
        let guard = self.core.clone().lock_owned().await;
        let sched = self.clone();
        let name = self.state.name();
        let message = tokio::task::spawn_blocking(move || {
            let mut core = guard;
            let mut engine = engine;
            let now = daemon::now();
            let source = if has_running && retained.is_none() {
                // The old engine's last actions, broks and log lines, then its state.
                core.pump(now, &sched.signals);
                core.running.as_ref().map(|r| r.engine.snapshot())
            } else {
                retained
            };
            let from = retained_from;
            let mut extra = 0u64;
            let mut restored = String::from("no retained state");
            if let Some(snapshot) = source {
                extra = snapshot.comments.len() as u64 + 2 * snapshot.downtimes.len() as u64;
                match engine.restore(snapshot) {
                    Ok(report) => {
                        restored = format!(
                            "{} objects restored from {from}, {} no longer configured",
                            report.restored, report.dropped
                        );
                    }
                    Err(e) => {
                        tracing::warn!("scheduler {name}: state from {from} not restored: {e}; starting fresh");
                        restored = format!("state from {from} not restored: {e}");
                    }
                }
            }
            // The initial status every broker is about to fetch supersedes these.
            let _ = engine.drain_broks();
            for line in engine.drain_log() {
                tracing::info!(target: "vigia::monitoring", "{line}");
            }
            core.ring.new_epoch(owned_items + extra + 3);
            if fresh_queue {
                // Taking over or taking back: what an earlier engine of this process decided
                // (before it was replaced) must not run now.
                core.queue = ActionQueue::new(RETURN_MARGIN);
            }
            core.queue.new_engine(prefix);
            core.running = Some(Running {
                engine,
                part_hash,
                config_hash,
                home: home.clone(),
                arbiters,
            });
            // A new assignment is the leading arbiter's confirmation.
            core.fenced = false;
            core.dirty = true;
            core.pump(now, &sched.signals);
            if let Some(reason) = &reason {
                // Brokers write it into the monitoring log from the arbiter's list of events.
                tracing::info!("scheduler {name}: {reason}");
            }
            sched.signals.broks.notify_waiters();
            sched.signals.wake.notify_one();
            restored
        })
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("installing the engine: {e}")))?;
        // This process runs the part now: its copy is its engine; spares need a new snapshot.
        self.copies.forget(&home_key);
        {
            let mut standbys = self.standbys.lock().await;
            standbys.restart();
            // Nothing of the new engine is known to be on the spares yet.
            self.synced.send_replace(BTreeMap::new());
        }
        let hosts_count = hosts.len();
        tracing::info!(
            "scheduler {}: running {hosts_count} hosts ({message}) in {:.2}s",
            self.state.name(),
            started.elapsed().as_secs_f64()
        );
        Ok(message)
    }

    /// Records a turn of the scheduling loop; returns how long the previous one was ago.
    fn turned(&self) -> Duration {
        let now = self.epoch.elapsed().as_millis() as u64;
        let last = self.last_turn.swap(now, Ordering::AcqRel);
        Duration::from_millis(now.saturating_sub(last))
    }

    /// The loop has not turned for longer than the lease: this process was frozen just now
    /// (the loop has not seen it yet).
    fn frozen_past_lease(&self) -> bool {
        let now = self.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_turn.load(Ordering::Acquire))) > LEASE
    }

    async fn set_standbys(&self, links: &[StandbyLink]) {
        let mut standbys = self.standbys.lock().await;
        standbys.set(links, self.state.outgoing_secret());
        self.streaming.store(!standbys.is_empty(), Ordering::Release);
    }

    /// Sends what changed since the last step to every spare; true when all have it (or there
    /// is none). One step at a time; the command marks the step carries are then published as
    /// synced (also when a spare failed: a dead spare must not hold receivers' queues forever;
    /// it gets a snapshot when it is back).
    async fn sync_standbys(&self) -> bool {
        let mut standbys = self.standbys.lock().await;
        let (step, marks) = {
            let mut core = self.core.lock().await;
            let Some(run) = core.running.as_mut() else { return true };
            let changes = run.engine.drain_retention_changes();
            let marks: Vec<(String, u64)> = run.engine.command_marks().map(|(s, n)| (s.to_string(), n)).collect();
            if standbys.is_empty() {
                drop(core);
                self.publish_synced(marks);
                return true;
            }
            let snapshot = standbys.wants_snapshot().then(|| run.engine.snapshot());
            let step = Step {
                home: run.home.clone(),
                source: self.state.name(),
                source_running_id: self.state.running_id.clone(),
                generation: self.state.generation(),
                part_hash: run.part_hash.clone(),
                changes,
                snapshot,
            };
            (step, marks)
        };
        let all = standbys.sync(step).await;
        self.publish_synced(marks);
        all
    }

    /// Raises the synced marks (they only grow) and wakes the receivers waiting on them.
    fn publish_synced(&self, marks: Vec<(String, u64)>) {
        self.synced.send_if_modified(|synced| {
            let mut raised = false;
            for (source, n) in marks {
                let at = synced.entry(source).or_insert(0);
                if n > *at {
                    *at = n;
                    raised = true;
                }
            }
            raised
        });
    }

    async fn load_retention(&self) -> Option<vigia_engine::retention::Retention> {
        let store = self.store.clone()?;
        match tokio::task::spawn_blocking(move || store.load()).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::warn!("{e}: starting with no retained state");
                None
            }
            Err(e) => {
                tracing::warn!("reading retention: {e}: starting with no retained state");
                None
            }
        }
    }

    /// A wire-id prefix different from the previous engines' (and, with the running id mixed
    /// in, from a previous process's).
    fn next_prefix(&self) -> u64 {
        let n = self.installs.fetch_add(1, Ordering::Relaxed);
        let h = blake3::hash(format!("{}/{n}", self.state.running_id).as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h.as_bytes()[..8]);
        (u64::from_le_bytes(b) & 0xFF_FFFF).max(1)
    }
}

/// Resolves when `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|v| *v).await;
}

/// Sleeps until the engine's next event (at most [`TICK`]), then advances it to the wall clock.
async fn scheduling_loop(sched: Arc<Scheduler>, mut stop: watch::Receiver<bool>) {
    let mut last_requeue = Instant::now();
    loop {
        let gap = sched.turned();
        if gap > LEASE {
            let mut core = sched.core.lock().await;
            if core.running.is_some() && !core.fenced {
                core.fenced = true;
                tracing::warn!(
                    "scheduler {}: did not run for {:.1} s (frozen?): holding notifications and event handlers until an arbiter confirms this scheduler still runs its part",
                    sched.state.name(),
                    gap.as_secs_f64()
                );
                tokio::spawn(revalidate(sched.clone()));
            }
        }
        let next = {
            let core = sched.core.lock().await;
            core.running.as_ref().and_then(|r| r.engine.next_event())
        };
        let now = wall_clock();
        let sleep = match next {
            Some(at) => Duration::from_secs_f64((at as f64 - now).clamp(0.0, TICK.as_secs_f64())),
            None => TICK,
        };
        if !sleep.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = sched.signals.wake.notified() => {}
                _ = stopped(&mut stop) => return,
            }
        }
        if *stop.borrow() {
            return;
        }
        let mut core = sched.core.lock().await;
        core.pump(daemon::now(), &sched.signals);
        if last_requeue.elapsed() >= TICK {
            last_requeue = Instant::now();
            let requeued = core.queue.requeue_expired(Instant::now());
            for r in &requeued {
                tracing::warn!(
                    "action {} given to {} was not returned within its timeout: handing it out again",
                    r.wire_id,
                    r.worker
                );
            }
            if !requeued.is_empty() {
                sched.signals.actions.notify_waiters();
            }
        }
    }
}

/// After a freeze: asks the arbiters whether this scheduler still runs its part. Confirmed:
/// notifications go on. Replaced: the engine stops at once and the scheduler waits. No arbiter
/// answers: notifications go on too (an arbiter outage must never silence monitoring).
async fn revalidate(sched: Arc<Scheduler>) {
    use vigia_proto::{ValidateRequest, Validity};
    let (arbiters, request) = {
        let core = sched.core.lock().await;
        let Some(run) = core.running.as_ref() else { return };
        let request = ValidateRequest {
            name: sched.state.name(),
            home: run.home.clone(),
            generation: sched.state.generation(),
        };
        (run.arbiters.clone(), request)
    };
    let secret = sched.state.outgoing_secret();
    let mut verdict = None;
    for url in &arbiters {
        let link = crate::link::Link::new(url.clone(), secret.clone());
        match link
            .post::<_, Validity>(paths::VALIDATE, &request, Duration::from_secs(1))
            .await
        {
            Ok(Validity::NotLeading) | Err(_) => continue,
            Ok(v) => {
                verdict = Some(v);
                break;
            }
        }
    }
    let name = sched.state.name();
    let mut core = sched.core.lock().await;
    match verdict {
        Some(Validity::Current) => {
            core.fenced = false;
            tracing::info!(
                "scheduler {name}: the arbiter confirms this scheduler still runs its part: notifying again"
            );
        }
        Some(Validity::Pending) => {
            tracing::info!("scheduler {name}: a new assignment is coming: notifications held until it is here");
        }
        Some(Validity::Stale) | Some(Validity::NotLeading) => {
            // Replaced while frozen: whatever this engine decided must not run.
            core.stop_running();
            tracing::warn!("scheduler {name}: another scheduler runs this part now: stopped, waiting");
            sched.signals.actions.notify_waiters();
        }
        None => {
            core.fenced = false;
            tracing::warn!(
                "scheduler {name}: no arbiter answers: notifying on (it was not replaced as far as it can tell)"
            );
        }
    }
}

/// Streams the engine's changes to the waiting spares every [`crate::standby::SYNC_EVERY`],
/// or at once when a receiver waits for its commands to be on the spares. Changes accumulate
/// while a step is under way and go in the next one (an item changed ten times is sent once).
async fn sync_loop(sched: Arc<Scheduler>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(crate::standby::SYNC_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = sched.signals.sync.notified() => {}
            _ = stopped(&mut stop) => return,
        }
        sched.sync_standbys().await;
    }
}

async fn retention_loop(sched: Arc<Scheduler>, mut stop: watch::Receiver<bool>) {
    if sched.store.is_none() {
        return;
    }
    let mut tick = tokio::time::interval(SAVE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped(&mut stop) => return,
        }
        sched.save_if_changed().await;
    }
}

fn wall_clock() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn assign(State(sched): State<Arc<Scheduler>>, Json(a): Json<Assignment>) -> Result<Json<AssignAck>, ApiError> {
    let _one_at_a_time = sched.installing.lock().await;
    let Work::Scheduler(work) = &a.work else {
        // `accept` names the role mismatch.
        sched.state.accept(&a)?;
        return Err(ApiError(StatusCode::BAD_REQUEST, "not a scheduler's work".into()));
    };
    let home = if work.home.is_empty() {
        a.name.clone()
    } else {
        work.home.clone()
    };
    let unchanged = {
        let core = sched.core.lock().await;
        core.running.as_ref().is_some_and(|r| {
            r.part_hash == work.part_hash && r.config_hash == a.config_hash && r.home == home && work.handover.is_none()
        })
    };
    if unchanged {
        // Same part, same configuration: nothing to rebuild (a rebuild would re-run the checks
        // in flight and send every broker the full status again).
        sched.state.accept(&a)?;
        sched.set_standbys(&work.standbys).await;
        {
            let mut core = sched.core.lock().await;
            // The leading arbiter just confirmed this scheduler's part.
            core.fenced = false;
            if let Some(run) = core.running.as_mut() {
                run.arbiters = work.arbiters.clone();
            }
        }
        return Ok(Json(AssignAck {
            accepted: true,
            message: "already running this part".into(),
        }));
    }
    let value = work.config.clone();
    let host_ids = work.hosts.clone();
    let parsed = tokio::task::spawn_blocking(move || -> Result<(Config, Vec<HostId>), String> {
        let config: Config = serde_json::from_value(value).map_err(|e| format!("unreadable configuration: {e}"))?;
        if let Some(bad) = host_ids.iter().find(|h| **h as usize >= config.hosts.len()) {
            return Err(format!(
                "host id {bad} is not in the configuration ({} hosts)",
                config.hosts.len()
            ));
        }
        Ok((config, host_ids.into_iter().map(HostId).collect()))
    })
    .await
    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let (config, hosts) = parsed.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    sched.state.accept(&a)?;
    sched.set_standbys(&work.standbys).await;
    let Work::Scheduler(work) = a.work else {
        return Err(ApiError(StatusCode::BAD_REQUEST, "not a scheduler's work".into()));
    };
    let part = PartInfo {
        arbiters: work.arbiters,
        part_hash: work.part_hash,
        config_hash: a.config_hash,
        home,
        handover: work.handover,
        reason: work.reason,
    };
    let message = sched.install(config, hosts, part).await?;
    Ok(Json(AssignAck {
        accepted: true,
        message,
    }))
}

/// What identifies the part an engine runs, and where its state may come from.
struct PartInfo {
    arbiters: Vec<String>,
    part_hash: String,
    config_hash: String,
    home: String,
    handover: Option<Box<vigia_engine::retention::Retention>>,
    reason: Option<String>,
}

/// A waiting spare takes one step of an active scheduler's state stream.
async fn standby(State(sched): State<Arc<Scheduler>>, body: axum::body::Bytes) -> Result<Json<StandbyAck>, ApiError> {
    let step = StandbySync::decode(&body).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    let running_it = sched
        .core
        .lock()
        .await
        .running
        .as_ref()
        .is_some_and(|r| r.home == step.home);
    if running_it {
        // Two schedulers active for one part: the arbiter releases the stale one; meanwhile
        // this one's own state wins.
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("{} runs the part of {} itself", sched.state.name(), step.home),
        ));
    }
    Ok(Json(sched.copies.apply(step)))
}

/// What this scheduler holds as a spare: per home scheduler, the stream step and the number of
/// changes kept since the last snapshot.
async fn standby_copies(State(sched): State<Arc<Scheduler>>) -> Json<Vec<(String, u64, usize)>> {
    Json(sched.copies.summary())
}

/// The arbiter takes the work away: the engine stops at once (nothing more is handed out) and
/// its final state goes back in the answer, for the master that resumes the part.
async fn release(State(sched): State<Arc<Scheduler>>, Json(r): Json<Release>) -> Result<Json<Released>, ApiError> {
    let _one_at_a_time = sched.installing.lock().await;
    sched.state.release(&r)?;
    let state = {
        let mut core = sched.core.lock().await;
        core.pump(daemon::now(), &sched.signals);
        core.stop_running().map(|run| Box::new(run.engine.snapshot()))
    };
    // Its copy for the spares is over too: the next active scheduler streams again.
    sched.standbys.lock().await.set(&[], None);
    if state.is_some() {
        tracing::info!("scheduler {}: released ({}): waiting", sched.state.name(), r.reason);
        sched.signals.actions.notify_waiters();
        sched.signals.broks.notify_waiters();
    }
    Ok(Json(Released { state }))
}

async fn fetch(
    State(sched): State<Arc<Scheduler>>,
    Json(req): Json<FetchRequest>,
) -> Result<Json<FetchResponse>, SchedError> {
    sched.check_generation(req.generation)?;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(req.wait_ms).min(MAX_WAIT);
    let max = req.max.min(MAX_FETCH);
    let mut stop = sched.stop.clone();
    let mut wake;
    loop {
        let notified = sched.signals.actions.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut core = sched.core.lock().await;
            if core.running.is_none() {
                return Err(no_configuration().into());
            }
            let held = req.class == ActionClass::Reactions && (core.fenced || sched.frozen_past_lease());
            let actions = if max == 0 || held {
                Vec::new()
            } else {
                core.queue.take(req.class, &req.tags, max, &req.worker, Instant::now())
            };
            // A check held for its moment within the second wakes this poll then.
            wake = match core.queue.next_held() {
                Some(d) if req.class == ActionClass::Checks => deadline.min(tokio::time::Instant::now() + d),
                _ => deadline,
            };
            if !actions.is_empty() || tokio::time::Instant::now() >= deadline || *stop.borrow() {
                return Ok(Json(FetchResponse {
                    generation: sched.state.generation(),
                    actions,
                }));
            }
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(wake) => {}
            _ = stopped(&mut stop) => {}
        }
    }
}

async fn results(
    State(sched): State<Arc<Scheduler>>,
    Json(batch): Json<ResultBatch>,
) -> Result<Json<ResultAck>, SchedError> {
    sched.check_generation(batch.generation)?;
    let mut core = sched.core.lock().await;
    if core.running.is_none() {
        return Err(no_configuration().into());
    }
    let now = daemon::now();
    // The engine's clock first: state changes are stamped with it.
    core.pump(now, &sched.signals);
    let mut accepted = 0;
    for r in batch.results {
        let done = match core.queue.finish(r.action) {
            Some(done) => Some(done),
            // A check another scheduler handed out before this one took the part over (or
            // back): it answers this scheduler's own check of the item, queued or handed out,
            // so the item gets one result, not two.
            None if batch.class == Some(ActionClass::Checks) && core.queue.is_foreign(r.action) => {
                core.queue.adopt(r.item)
            }
            None => None,
        };
        let Some(done) = done else {
            tracing::debug!(
                "result for action {} from {}: unknown or already done, ignored",
                r.action,
                batch.worker
            );
            continue;
        };
        if done.item != r.item {
            tracing::warn!(
                "result for action {} from {} names {:?}, the action was for {:?}: ignored",
                r.action,
                batch.worker,
                r.item,
                done.item
            );
            continue;
        }
        accepted += 1;
        match done.class {
            ActionClass::Checks => {
                if let Some(run) = core.running.as_mut() {
                    run.engine.submit(CheckResult {
                        action: done.engine_id,
                        ..r
                    });
                }
            }
            ActionClass::Reactions => {
                let what = match done.kind {
                    ActionKind::EventHandler => "event handler",
                    _ => "notification",
                };
                if r.exit_code != 0 {
                    tracing::warn!(
                        "{what} command failed (exit state {}) on {}: {} -- {}",
                        r.exit_code,
                        batch.worker,
                        done.command_line,
                        r.output.lines().next().unwrap_or("")
                    );
                } else {
                    tracing::debug!("{what} ran on {}: {}", batch.worker, done.command_line);
                }
            }
        }
    }
    // Notifications and event handlers the results caused.
    core.pump(now, &sched.signals);
    sched.signals.wake.notify_one();
    Ok(Json(ResultAck { accepted }))
}

async fn broks(State(sched): State<Arc<Scheduler>>, Json(req): Json<BrokRequest>) -> Result<Json<BrokBatch>, ApiError> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(req.wait_ms).min(MAX_WAIT);
    let max = if req.max == 0 {
        DEFAULT_BROK_BATCH
    } else {
        req.max.min(MAX_BROK_BATCH)
    };
    let mut stop = sched.stop.clone();
    let running_id = sched.state.running_id.clone();
    loop {
        let notified = sched.signals.broks.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut core = sched.core.lock().await;
            let timed_out = tokio::time::Instant::now() >= deadline || *stop.borrow();
            if core.running.is_some() {
                if req.running_id != running_id || !core.ring.can_follow(req.after) {
                    let broks = initial_status(&mut core, &sched.signals, &req.broker);
                    return Ok(Json(BrokBatch {
                        running_id,
                        generation: sched.state.generation(),
                        initial: true,
                        broks,
                    }));
                }
                let at = core.brokers_at.entry(req.broker.clone()).or_insert(0);
                *at = (*at).max(req.after);
                let broks = core.ring.after(req.after, max);
                if !broks.is_empty() || timed_out {
                    return Ok(Json(BrokBatch {
                        running_id,
                        generation: sched.state.generation(),
                        initial: false,
                        broks,
                    }));
                }
            } else if timed_out {
                return Ok(Json(BrokBatch {
                    running_id,
                    generation: sched.state.generation(),
                    initial: false,
                    broks: Vec::new(),
                }));
            }
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = stopped(&mut stop) => {}
        }
    }
}

/// The engine's full status, numbered to end at the ring's last position, after the monitoring
/// log lines `broker` has not had (all those the ring holds, for a broker never seen): the
/// status replaces what a broker knew, but a log line missed is missing from its log for good
/// (the first check's alert, run before the broker's first pull; lines during a broker restart).
fn initial_status(core: &mut Core, signals: &Signals, broker: &str) -> Vec<Brok> {
    // Pending broks go to the ring first, so the initial status covers everything up to `last`.
    core.collect(signals);
    let Some(run) = core.running.as_mut() else {
        return Vec::new();
    };
    let mut broks = run.engine.initial_broks();
    // Anything still pending before the initial set belongs to the stream (normally nothing).
    let begin = broks
        .iter()
        .position(|b| matches!(b.body, BrokBody::InitialBegin { .. }))
        .unwrap_or(0);
    let status = broks.split_off(begin);
    if !broks.is_empty() {
        for b in broks {
            core.ring.push(b);
        }
        signals.broks.notify_waiters();
    }
    let had = core.brokers_at.get(broker).copied().unwrap_or(0);
    let mut initial: Vec<Brok> = core
        .ring
        .since(had)
        .filter(|b| matches!(b.body, BrokBody::Log { .. }))
        .cloned()
        .collect();
    initial.extend(status);
    core.ring.number_initial(&mut initial);
    core.brokers_at.insert(broker.to_string(), core.ring.last());
    initial
}

/// Applies a receiver's commands and answers at once: how far the source's batches are applied
/// and how far the spares hold them (see [`CommandsApplied`]). A numbered batch with no command
/// waits (at most [`CONFIRM_WAIT`]) until the spares hold everything applied from its source.
async fn commands(
    State(sched): State<Arc<Scheduler>>,
    Json(batch): Json<CommandBatch>,
) -> Result<Json<CommandsApplied>, ApiError> {
    let mut core = sched.core.lock().await;
    if core.running.is_none() {
        return Err(no_configuration());
    }
    let now = daemon::now();
    core.pump(now, &sched.signals);
    let mut outcomes = Vec::with_capacity(batch.commands.len());
    let source = batch
        .source
        .as_deref()
        .filter(|_| batch.batches.len() == batch.commands.len());
    let mut applied = 0;
    if let Some(run) = core.running.as_mut() {
        let mark = source.map_or(0, |s| run.engine.command_mark(s));
        let mut applied_up_to = mark;
        for (i, line) in batch.commands.iter().enumerate() {
            let number = source.map_or(0, |_| batch.batches[i]);
            if source.is_some() && number <= mark {
                // Delivered again (the answer was lost, or a fail-over came in between): it
                // was applied already, here or by the scheduler this one took over from.
                outcomes.push(CommandOutcome {
                    ok: true,
                    error: None,
                    not_mine: false,
                });
                continue;
            }
            applied_up_to = applied_up_to.max(number);
            let outcome = match run.engine.command(line) {
                Ok(()) => CommandOutcome {
                    ok: true,
                    error: None,
                    not_mine: false,
                },
                Err(e) => {
                    let not_mine = e.is_not_owned();
                    if !not_mine {
                        tracing::warn!("external command refused: {e}");
                    }
                    CommandOutcome {
                        ok: false,
                        error: Some(e.to_string()),
                        not_mine,
                    }
                }
            };
            outcomes.push(outcome);
        }
        if let Some(s) = source {
            run.engine.set_command_mark(s, applied_up_to);
            applied = run.engine.command_mark(s);
        }
    }
    core.pump(now, &sched.signals);
    sched.signals.wake.notify_one();
    drop(core);
    let Some(source) = source else {
        return Ok(Json(CommandsApplied {
            outcomes,
            applied: 0,
            synced: 0,
        }));
    };
    if !sched.streaming.load(Ordering::Acquire) {
        // No spare: applied is as safe as it gets.
        return Ok(Json(CommandsApplied {
            outcomes,
            applied,
            synced: applied,
        }));
    }
    let synced_now = |m: &BTreeMap<String, u64>| m.get(source).copied().unwrap_or(0);
    if batch.commands.is_empty() {
        let mut synced = sched.synced.subscribe();
        if synced_now(&synced.borrow_and_update()) < applied {
            sched.signals.sync.notify_one();
            let _ = tokio::time::timeout(CONFIRM_WAIT, synced.wait_for(|m| synced_now(m) >= applied)).await;
        }
    }
    let synced = synced_now(&sched.synced.borrow());
    Ok(Json(CommandsApplied {
        outcomes,
        applied,
        synced,
    }))
}

#[cfg(test)]
mod tests {
    use vigia_config::model::{ContactId, ServiceId};
    use vigia_engine::brok::BROK_VERSION;
    use vigia_engine::NotificationKind;

    use super::*;

    fn check(id: u64, svc: u32, tag: Option<&str>, timeout: Option<u32>) -> Action {
        Action {
            id,
            item: Item::Service(ServiceId(svc)),
            kind: ActionKind::Check,
            command_line: format!("check {svc}"),
            timeout,
            tag: tag.map(str::to_string),
            due: 0.0,
        }
    }

    fn notification(id: u64) -> Action {
        Action {
            id,
            item: Item::Service(ServiceId(0)),
            kind: ActionKind::Notification {
                contact: ContactId(0),
                kind: NotificationKind::Problem,
                number: 1,
            },
            command_line: "notify".into(),
            timeout: None,
            tag: None,
            due: 0.0,
        }
    }

    fn untagged() -> Vec<String> {
        vec!["None".to_string()]
    }

    #[test]
    fn actions_are_handed_out_once_by_class_and_tag() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        q.new_engine(7);
        q.push(check(1, 1, None, None));
        q.push(check(2, 2, Some("dmz"), None));
        q.push(check(3, 3, None, None));
        q.push(notification(4));
        let now = Instant::now();
        let got = q.take(ActionClass::Checks, &untagged(), 10, "p1", now);
        assert_eq!(
            got.iter().map(|a| a.command_line.as_str()).collect::<Vec<_>>(),
            ["check 1", "check 3"]
        );
        assert!(
            got.iter().all(|a| a.id >> ID_BITS == 7),
            "wire ids carry the engine prefix"
        );
        assert!(
            q.take(ActionClass::Checks, &untagged(), 10, "p2", now).is_empty(),
            "handed out once"
        );
        let dmz = q.take(ActionClass::Checks, &["dmz".to_string()], 10, "p3", now);
        assert_eq!(dmz.len(), 1);
        let reactions = q.take(ActionClass::Reactions, &untagged(), 10, "r1", now);
        assert_eq!(reactions.len(), 1);
        assert_eq!(q.in_flight(), 4);
        // A result finishes the action, once; the engine id comes back.
        let done = q.finish(got[0].id).expect("in flight");
        assert_eq!(
            (done.engine_id, done.class, done.worker.as_deref()),
            (1, ActionClass::Checks, Some("p1"))
        );
        assert!(q.finish(got[0].id).is_none(), "a second result for it is ignored");
    }

    #[test]
    fn checks_of_one_second_are_spread_over_it() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        let next_second = (wall_ms() / 1000 + 2) as f64;
        for i in 0..100 {
            let mut a = check(i + 1, i as u32, None, None);
            a.due = next_second;
            q.push(a);
        }
        // Nothing before its moment; each check's moment within its second, and spread.
        assert!(q
            .take(ActionClass::Checks, &untagged(), 100, "p", Instant::now())
            .is_empty());
        let wait = q.next_held().expect("held");
        assert!(
            wait > Duration::from_millis(900) && wait < Duration::from_millis(3000),
            "{wait:?}"
        );
        let moments: Vec<f64> = q.entries.values().map(|e| e.action.due - next_second).collect();
        assert!(moments.iter().all(|m| (0.0..1.0).contains(m)));
        let first_half = moments.iter().filter(|m| **m < 0.5).count();
        assert!((40..=60).contains(&first_half), "{first_half} of 100 in the first half");
        // A check already late goes at once.
        let mut late = check(500, 500, None, None);
        late.due = 1.0;
        q.push(late);
        assert_eq!(
            q.take(ActionClass::Checks, &untagged(), 100, "p", Instant::now()).len(),
            1
        );
    }

    #[test]
    fn a_result_of_another_schedulers_check_answers_this_ones() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        q.new_engine(7);
        q.push(check(3, 1, None, None));
        let ours = (7 << ID_BITS) | 3;
        assert!(!q.is_foreign(ours));
        let theirs = (9 << ID_BITS) | 3;
        assert!(q.is_foreign(theirs));
        let done = q.adopt(Item::Service(ServiceId(1))).expect("our check of the item");
        assert_eq!(done.engine_id, 3);
        assert!(q.adopt(Item::Service(ServiceId(1))).is_none(), "one result per check");
        assert!(q.finish(ours).is_none(), "our own result for it comes too late");
    }

    #[test]
    fn max_limits_a_batch_and_keeps_the_order() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        for i in 1..=5 {
            q.push(check(i, i as u32, None, None));
        }
        let now = Instant::now();
        let a = q.take(ActionClass::Checks, &untagged(), 2, "p", now);
        let b = q.take(ActionClass::Checks, &untagged(), 10, "p", now);
        let names = |v: &[Action]| v.iter().map(|a| a.command_line.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), ["check 1", "check 2"]);
        assert_eq!(names(&b), ["check 3", "check 4", "check 5"]);
    }

    #[test]
    fn unreturned_actions_are_requeued_after_timeout_plus_margin() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        q.push(check(1, 1, None, Some(10)));
        q.push(check(2, 2, None, None));
        let t0 = Instant::now();
        let handed = q.take(ActionClass::Checks, &untagged(), 10, "dead-poller", t0);
        assert_eq!(handed.len(), 2);
        assert!(
            q.requeue_expired(t0 + Duration::from_secs(14)).is_empty(),
            "not before timeout + margin"
        );
        let back = q.requeue_expired(t0 + Duration::from_secs(15));
        assert_eq!(back.len(), 1, "10 s timeout + 5 s margin");
        assert_eq!(
            (back[0].wire_id, back[0].worker.as_str()),
            (handed[0].id, "dead-poller")
        );
        // Another worker gets it, with the same id: whichever result comes first counts.
        let again = q.take(
            ActionClass::Checks,
            &untagged(),
            10,
            "live-poller",
            t0 + Duration::from_secs(15),
        );
        assert_eq!(again.iter().map(|a| a.id).collect::<Vec<_>>(), [handed[0].id]);
        // A late result from the first worker finishes it; the second worker's is then ignored.
        assert!(q.finish(handed[0].id).is_some());
        assert!(q.finish(handed[0].id).is_none());
        // The default check timeout applies to the second one.
        assert!(q
            .requeue_expired(t0 + DEFAULT_CHECK_TIMEOUT + Duration::from_secs(4))
            .is_empty());
        assert_eq!(
            q.requeue_expired(t0 + DEFAULT_CHECK_TIMEOUT + Duration::from_secs(5))
                .len(),
            1
        );
        assert_eq!(q.ready_count(ActionClass::Checks), 1);
    }

    #[test]
    fn a_new_engine_forgets_checks_but_keeps_reactions() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        q.new_engine(1);
        q.push(check(1, 1, None, None));
        q.push(check(2, 2, None, None));
        q.push(notification(3));
        let handed = q.take(ActionClass::Checks, &untagged(), 1, "p", Instant::now());
        q.new_engine(2);
        assert!(
            q.finish(handed[0].id).is_none(),
            "old engine's check results are ignored"
        );
        assert_eq!(q.ready_count(ActionClass::Checks), 0);
        q.push(check(1, 1, None, None));
        let fresh = q.take(ActionClass::Checks, &untagged(), 10, "p", Instant::now());
        assert_eq!(fresh.len(), 1);
        assert_ne!(fresh[0].id, handed[0].id, "same engine id, different wire id");
        assert_eq!(
            q.take(ActionClass::Reactions, &untagged(), 10, "r", Instant::now())
                .len(),
            1
        );
    }

    fn brok(n: i64) -> Brok {
        Brok {
            version: BROK_VERSION,
            seq: 0,
            time: n,
            body: BrokBody::Log {
                line: format!("line {n}"),
            },
        }
    }

    #[test]
    fn brok_ring_positions() {
        let mut r = BrokRing::new(3);
        r.new_epoch(2);
        assert_eq!(r.last(), 3);
        assert!(!r.can_follow(0), "0 always starts over");
        assert!(r.can_follow(3));
        for i in 1..=2 {
            r.push(brok(i));
        }
        assert_eq!(r.after(3, 10).iter().map(|b| b.seq).collect::<Vec<_>>(), [4, 5]);
        assert_eq!(r.after(4, 10).iter().map(|b| b.seq).collect::<Vec<_>>(), [5]);
        assert!(r.after(5, 10).is_empty());
        assert_eq!(r.after(3, 1).len(), 1);
        assert!(!r.can_follow(6), "a position from the future starts over");
        // Overflow drops the oldest: a broker that missed it must start over.
        r.push(brok(3));
        r.push(brok(4));
        assert_eq!(r.last(), 7);
        assert!(!r.can_follow(3), "brok 4 was dropped");
        assert!(r.can_follow(4));
        assert_eq!(r.after(4, 10).iter().map(|b| b.seq).collect::<Vec<_>>(), [5, 6, 7]);
        // The initial status ends at `last`, strictly increasing; the next position is valid.
        let mut initial: Vec<Brok> = (0..3).map(brok).collect();
        r.number_initial(&mut initial);
        assert_eq!(initial.iter().map(|b| b.seq).collect::<Vec<_>>(), [5, 6, 7]);
        assert!(r.can_follow(7));
        // A new engine: everyone starts over, even a broker that had everything.
        r.new_epoch(10);
        assert!(!r.can_follow(7));
        assert_eq!(r.last(), 18);
        assert!(r.can_follow(18));
        r.push(brok(9));
        assert_eq!(r.after(18, 10).iter().map(|b| b.seq).collect::<Vec<_>>(), [19]);
    }

    #[test]
    fn an_initial_status_larger_than_reserved_still_numbers_from_one() {
        let mut r = BrokRing::new(10);
        r.new_epoch(0);
        let mut initial: Vec<Brok> = (0..5).map(brok).collect();
        r.number_initial(&mut initial);
        assert!(initial[0].seq >= 1);
        assert_eq!(initial.last().map(|b| b.seq), Some(r.last()));
        assert!(r.can_follow(r.last()));
    }

    #[test]
    fn tags_and_timeouts() {
        assert!(serves(&untagged(), None));
        assert!(serves(&untagged(), Some("None")));
        assert!(!serves(&untagged(), Some("dmz")));
        assert!(serves(&[], None));
        assert!(serves(&["None".into(), "dmz".into()], Some("dmz")));
        assert_eq!(action_timeout(&check(1, 1, None, Some(7))), Duration::from_secs(7));
        assert_eq!(action_timeout(&check(1, 1, None, Some(0))), DEFAULT_CHECK_TIMEOUT);
        assert_eq!(action_timeout(&notification(1)), DEFAULT_REACTION_TIMEOUT);
    }
}
