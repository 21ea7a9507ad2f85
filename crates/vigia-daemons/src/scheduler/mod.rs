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
//!
//! The pure parts are beside this shell: [`queue`] (actions for workers), [`ring`] (broks for
//! brokers), [`lease`] (what to do after a freeze), [`initial`] (a broker's initial status).
pub mod initial;
pub mod lease;
pub mod queue;
pub mod ring;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use tokio::sync::{watch, Mutex, Notify};
use vigia_config::model::Config;
use vigia_engine::brok::Brok;
use vigia_engine::{ActionKind, CheckResult, Engine};
use vigia_proto::{
    paths, ActionClass, AssignAck, Assignment, BrokBatch, BrokRequest, CommandBatch, CommandOutcome, CommandsApplied,
    Fencing, FetchRequest, FetchResponse, PartHeld, Release, Released, ResultAck, ResultBatch, Stale, StandbyAck,
    StandbyLink, StandbySync, Work, CONFIRM_WAIT,
};

use crate::daemon::{self, ApiError, DaemonOptions, DaemonState};
use crate::part_store::PartStore;
use crate::retention::RetentionStore;
use crate::standby::{StandbyStore, Standbys, Step};
pub use queue::{
    action_timeout, class_of, serves, ActionQueue, Finished, Requeued, DEFAULT_CHECK_TIMEOUT, DEFAULT_REACTION_TIMEOUT,
};
pub use ring::BrokRing;

use lease::LeaseVerdict;
pub use lease::LEASE;

/// Broks kept for brokers that fall behind; one further back gets the full status again.
pub const BROK_RING_CAPACITY: usize = 100_000;
/// Longest long-poll, whatever a client asks: clients use HTTP timeouts above it.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// Added to an action's timeout before it is handed out again: the worker kills the plugin at
/// the timeout, then needs a moment to post the result.
pub const RETURN_MARGIN: Duration = Duration::from_secs(20);
/// How often changed state is written to the retention file.
pub const SAVE_EVERY: Duration = Duration::from_secs(5);
/// The scheduling loop looks at the clock at least this often (re-queues, clock jumps).
const TICK: Duration = Duration::from_secs(1);
const MAX_FETCH: usize = 10_000;
const DEFAULT_BROK_BATCH: usize = 10_000;
const MAX_BROK_BATCH: usize = 100_000;
/// Bodies can hold a whole configuration (assignments) or many results.
const BODY_LIMIT: usize = crate::part_store::MAX_IMAGE_BYTES;

/// Runs a scheduler until SIGTERM or SIGINT.
pub async fn run(options: DaemonOptions) -> anyhow::Result<()> {
    run_until(options, daemon::stop_signal()).await
}

/// Runs a scheduler until `shutdown` resolves (tests stop it this way), then saves its state.
pub async fn run_until(
    options: DaemonOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let _lock = crate::data_lock::lock(&options.data, options.role, &options.name)?;
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
        copies: Arc::new(StandbyStore::default()),
        parts: PartStore::default(),
        handover: std::sync::Mutex::new(None),
        standbys: Mutex::new(Standbys::default()),
        streaming: AtomicBool::new(false),
        synced: watch::Sender::new(BTreeMap::new()),
        last_turn: AtomicU64::new(0),
        epoch: Instant::now(),
        revalidating: AtomicBool::new(false),
        gave_up_at: AtomicU64::new(u64::MAX),
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
        .route(paths::PARTS, post(put_part))
        .route(paths::HANDOVER, post(put_handover))
        .route(paths::RELEASE, post(release))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(sched)
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
    copies: Arc<StandbyStore>,
    /// Part images sent by the arbiter: the one running, those of live standby copies, and
    /// those sent ahead of an assignment.
    parts: PartStore,
    /// A giving-back spare's final state, sent ahead of the assignment that runs from it.
    handover: std::sync::Mutex<Option<vigia_proto::Handover>>,
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
    /// A [`revalidate`] task is running (one at a time).
    revalidating: AtomicBool,
    /// The arbiter contact ([`DaemonState::last_arbiter_contact`]) at which the scheduler last
    /// gave up waiting for a confirmation and notified unconfirmed: it is not fenced again for
    /// lack of contact until an arbiter reached it since.
    gave_up_at: AtomicU64,
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
    /// lease, or cut off from every arbiter, and may have been replaced (see [`lease`]).
    fence: Option<Fence>,
    /// Per broker (by name), the last brok it said it has: a broker that starts over (it
    /// restarted, or it had never pulled) still gets the monitoring log lines it missed.
    brokers_at: HashMap<String, u64>,
    /// Steps of the state stream taken (over every engine this process ran). A notification
    /// or event handler waits until the spares hold the step its decision is in (the queue
    /// knows which they hold): a spare taking over then does not send it again.
    steps: u64,
}

struct Running {
    engine: Engine,
    /// The part image it runs.
    image: String,
    part_hash: String,
    config_hash: String,
    /// The part's home scheduler (its own name, or the master it stands in for).
    home: String,
    /// Where to ask, after a freeze, whether this scheduler still runs the part.
    arbiters: Vec<String>,
    /// When to hold notifications for lack of arbiter contact, and for how long at most.
    fencing: Fencing,
}

/// Notifications held since `since_ms` (the scheduler's monotonic clock).
#[derive(Clone, Copy)]
struct Fence {
    since_ms: u64,
}

impl Core {
    fn new() -> Core {
        Core {
            fence: None,
            running: None,
            queue: ActionQueue::new(RETURN_MARGIN),
            ring: BrokRing::new(BROK_RING_CAPACITY),
            dirty: false,
            brokers_at: HashMap::new(),
            steps: 0,
        }
    }

    /// Moves the engine to `now`, queues what came due, and passes broks and log lines on.
    fn pump(&mut self, now: i64, signals: &Signals) {
        let Some(run) = self.running.as_mut() else { return };
        let actions = run.engine.advance(now);
        let new_actions = !actions.is_empty();
        // Decided now: carried to the spares by the next step.
        self.queue.stamp(self.steps + 1);
        let mut reactions = false;
        for a in actions {
            reactions |= !matches!(a.kind, ActionKind::Check);
            self.queue.push(a);
        }
        if reactions && self.queue.waits_for_spares() {
            // The spares must hold them before they go: stream now, not at the next tick.
            signals.sync.notify_one();
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
        self.fence = None;
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

    /// Replaces the engine by one for the part `config`, carrying the state over: from the
    /// running engine on a reload, else from the retention file.
    async fn install(self: &Arc<Self>, config: Arc<Config>, part: PartInfo) -> Result<String, ApiError> {
        let PartInfo {
            image,
            part_hash,
            config_hash,
            home,
            handover,
            reason,
            arbiters,
            fencing,
        } = part;
        let home_key = home.clone();
        let started = Instant::now();
        let seed = {
            let h = blake3::hash(part_hash.as_bytes());
            let mut b = [0u8; 8];
            b.copy_from_slice(&h.as_bytes()[..8]);
            u64::from_le_bytes(b)
        };
        let owned_items = (config.hosts.len() + config.services.len()) as u64;
        let hosts_count = config.hosts.len();
        // Where the state comes from, best first: a hand-over from a spare giving the part back;
        // the running engine (a reload); the copy streamed by the part's active scheduler while
        // this one waited (a take-over: a live copy gives its snapshot, a log is replayed); the
        // retention file.
        let has_running = self.core.lock().await.running.as_ref().is_some_and(|r| r.home == home);
        let use_copy = handover.is_none() && !has_running;
        let copies = self.copies.clone();
        let copy_home = home.clone();
        let copy_image = image.clone();
        let installed_image = image.clone();
        // Built outside the lock: the running engine keeps scheduling meanwhile.
        let built = tokio::task::spawn_blocking(move || {
            if use_copy {
                // A live copy of this very image becomes the running engine.
                if let Some((mut engine, from)) = copies.take_live(&copy_home, &copy_image) {
                    let report = engine.resume(daemon::now(), seed);
                    return (engine, None, Some((report, from)));
                }
            }
            let merged = if use_copy {
                copies.take_over_state(&copy_home, &config)
            } else {
                None
            };
            // Changes are streamed to the spares (and drained even when there are none).
            let e = Engine::new(config, None, daemon::now(), jiff::tz::TimeZone::system(), seed);
            (e, merged, None)
        })
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("building the engine: {e}")))?;
        let (engine, merged, resumed) = built;
        let (retained, retained_from, fresh_queue) = if let Some((report, from)) = &resumed {
            (
                None,
                format!("{} objects taken over from {from}", report.restored),
                true,
            )
        } else if let Some(h) = handover {
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
        // The spares' stream starts over with the new engine. Taken before the core, as the
        // sync loop does: after the install it would wait for whatever holds the core then (a
        // broker's initial status of the whole part).
        let mut standbys = self.standbys.lock().await;
        let guard = self.core.clone().lock_owned().await;
        let sched = self.clone();
        let name = self.state.name();
        let resumed_in_place = resumed.is_some();
        let has_spares = !standbys.is_empty();
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
            let mut extra = if resumed_in_place {
                engine.comments().len() as u64 + 2 * engine.downtimes().len() as u64
            } else {
                0
            };
            let mut restored = if resumed_in_place {
                from.clone()
            } else {
                String::from("no retained state")
            };
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
            if fresh_queue {
                // Taking over or taking back: what an earlier engine of this process decided
                // (before it was replaced) must not run now.
                withhold(&mut core, &name);
                core.queue = ActionQueue::new(RETURN_MARGIN);
            }
            core.ring.new_epoch(owned_items + extra + 3);
            core.queue.new_engine(prefix);
            // What the new engine decides waits for the spares' next step (none: nothing to
            // wait for).
            let hold = if has_spares { core.steps } else { u64::MAX };
            core.queue.synced(hold);
            core.running = Some(Running {
                engine,
                image,
                part_hash,
                config_hash,
                home: home.clone(),
                arbiters,
                fencing,
            });
            // A new assignment is the leading arbiter's confirmation.
            core.fence = None;
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
        self.state.set_live(self.copies.live_homes());
        standbys.restart();
        // Nothing of the new engine is known to be on the spares yet.
        self.synced.send_replace(BTreeMap::new());
        drop(standbys);
        self.prune_parts_but(Some(installed_image));
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
        lease::gap(now, last)
    }

    /// The loop has not turned for longer than the lease: this process was frozen just now
    /// (the loop has not seen it yet).
    fn frozen_past_lease(&self) -> bool {
        let now = self.epoch.elapsed().as_millis() as u64;
        lease::past_lease(lease::gap(now, self.last_turn.load(Ordering::Acquire)))
    }

    /// How long since an arbiter last reached this scheduler, when that makes it hold
    /// notifications (cut off, and not already given up on since the last contact).
    fn cut_off(&self, core: &Core) -> Option<Duration> {
        let fencing = core.running.as_ref()?.fencing;
        let contact = self.state.last_arbiter_contact();
        if self.gave_up_at.load(Ordering::Acquire) == contact {
            return None;
        }
        let silence = Duration::from_millis(self.state.clock_ms().saturating_sub(contact));
        lease::cut_off(fencing, silence).then_some(silence)
    }

    /// Whether notifications and event handlers wait: fenced, or about to be (the loop has
    /// not seen the freeze or the silence yet).
    fn holds_reactions(&self, core: &Core) -> bool {
        core.fence.is_some() || self.frozen_past_lease() || self.cut_off(core).is_some()
    }

    async fn set_standbys(&self, links: &[StandbyLink]) {
        let mut standbys = self.standbys.lock().await;
        standbys.set(links, self.state.secrets());
        self.streaming.store(!standbys.is_empty(), Ordering::Release);
    }

    /// Sends what changed since the last step to every spare; true when all have it (or there
    /// is none). One step at a time; the command marks the step carries are then published as
    /// synced (also when a spare failed: a dead spare must not hold receivers' queues forever;
    /// it gets a snapshot when it is back).
    async fn sync_standbys(&self) -> bool {
        let mut standbys = self.standbys.lock().await;
        let (step, marks, number) = {
            let mut guard = self.core.lock().await;
            let core = &mut *guard;
            let Some(run) = core.running.as_mut() else { return true };
            core.steps += 1;
            if standbys.is_empty() {
                // Changes are drained even when nobody follows (they would pile up).
                let (_, marks) = self.next_step(run, false);
                core.queue.synced(u64::MAX);
                drop(guard);
                self.publish_synced(marks);
                return true;
            }
            let (step, marks) = self.next_step(run, standbys.wants_snapshot());
            (step, marks, core.steps)
        };
        let all = standbys.sync(step).await;
        // Also when a spare failed: a dead spare must not hold notifications forever (it gets
        // a snapshot when it is back).
        {
            let mut core = self.core.lock().await;
            core.queue.synced(number);
        }
        self.signals.actions.notify_waiters();
        self.publish_synced(marks);
        all
    }

    /// The next step of the state stream from `run`'s engine (what changed since the last
    /// one, and a snapshot when asked), with the command marks it carries.
    fn next_step(&self, run: &mut Running, snapshot: bool) -> (Step, Vec<(String, u64)>) {
        let changes = run.engine.drain_retention_changes();
        let marks: Vec<(String, u64)> = run.engine.command_marks().map(|(s, n)| (s.to_string(), n)).collect();
        let step = Step {
            home: run.home.clone(),
            source: self.state.name(),
            source_running_id: self.state.running_id.clone(),
            generation: self.state.generation(),
            part_hash: run.part_hash.clone(),
            image: run.image.clone(),
            changes,
            snapshot: snapshot.then(|| run.engine.snapshot()),
        };
        (step, marks)
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

    /// Keeps the part images in use (the running one, the live standby copies') and those
    /// just sent; tells the arbiter what is held.
    async fn prune_parts(&self) {
        let running = self.core.lock().await.running.as_ref().map(|r| r.image.clone());
        self.prune_parts_but(running);
    }

    /// [`Scheduler::prune_parts`] with the running image given (an install knows it, and must
    /// not wait for the core lock a broker's initial status may hold).
    fn prune_parts_but(&self, running: Option<String>) {
        let mut used = self.copies.images();
        used.extend(running);
        self.parts.prune(&used, Instant::now());
        self.state.set_parts(self.parts.ids());
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
        {
            let mut core = sched.core.lock().await;
            let why = if lease::past_lease(gap) {
                Some(format!("did not run for {:.1} s (frozen?)", gap.as_secs_f64()))
            } else {
                sched
                    .cut_off(&core)
                    .map(|s| format!("no arbiter reached it for {:.1} s (cut off?)", s.as_secs_f64()))
            };
            if let Some(why) = why.filter(|_| core.running.is_some() && core.fence.is_none()) {
                core.fence = Some(Fence {
                    since_ms: sched.state.clock_ms(),
                });
                tracing::warn!(
                    "scheduler {}: {why}: it may have been replaced; checking and logging go on, notifications and event handlers wait until an arbiter confirms this scheduler still runs its part",
                    sched.state.name(),
                );
                if !sched.revalidating.swap(true, Ordering::AcqRel) {
                    tokio::spawn(revalidate(sched.clone()));
                }
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

/// While notifications are held: asks the arbiters, every second, whether this scheduler still
/// runs its part. Confirmed: notifications go on. Replaced: the engine stops at once (what it
/// held is logged as not sent) and the scheduler waits. No arbiter answers: keep holding, up to
/// the part's `hold_s`, then notify on unconfirmed (an arbiter outage must not silence
/// monitoring for longer).
async fn revalidate(sched: Arc<Scheduler>) {
    struct Done(Arc<Scheduler>);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.revalidating.store(false, Ordering::Release);
        }
    }
    let _done = Done(sched.clone());
    let name = sched.state.name();
    let mut said_pending = false;
    loop {
        let (arbiters, request, fence, hold) = {
            let core = sched.core.lock().await;
            let (Some(run), Some(fence)) = (core.running.as_ref(), core.fence) else {
                return;
            };
            let request = vigia_proto::ValidateRequest {
                name: name.clone(),
                home: run.home.clone(),
                generation: sched.state.generation(),
            };
            (
                run.arbiters.clone(),
                request,
                fence,
                Duration::from_secs(run.fencing.hold_s),
            )
        };
        let verdict = ask_arbiters(&sched, &arbiters, &request).await;
        if verdict.is_some() {
            sched.state.arbiter_contact();
        }
        let mut core = sched.core.lock().await;
        if core.fence.map(|f| f.since_ms) != Some(fence.since_ms) {
            // Confirmed or replaced meanwhile (an assignment, a release): nothing more to do here.
            if core.fence.is_none() {
                return;
            }
            continue;
        }
        let held = Duration::from_millis(sched.state.clock_ms().saturating_sub(fence.since_ms));
        match lease::decide(verdict, held, hold) {
            LeaseVerdict::NotifyOn { confirmed: true } => {
                core.fence = None;
                tracing::info!(
                    "scheduler {name}: the arbiter confirms this scheduler still runs its part: notifying again (held {:.1} s)",
                    held.as_secs_f64()
                );
                sched.signals.actions.notify_waiters();
                return;
            }
            LeaseVerdict::Hold => {
                if verdict.is_some() && !said_pending {
                    said_pending = true;
                    tracing::info!("scheduler {name}: a new assignment is coming: notifications held until it is here");
                }
            }
            LeaseVerdict::Stop => {
                // Replaced meanwhile: whatever this engine decided must not run.
                let unsent = withhold(&mut core, &name);
                core.stop_running();
                core.collect(&sched.signals);
                tracing::warn!(
                    "scheduler {name}: another scheduler runs this part now: stopped ({unsent} notification(s) and event handler(s) not sent), waiting"
                );
                sched.signals.actions.notify_waiters();
                return;
            }
            LeaseVerdict::NotifyOn { confirmed: false } => {
                core.fence = None;
                sched
                    .gave_up_at
                    .store(sched.state.last_arbiter_contact(), Ordering::Release);
                tracing::warn!(
                    "scheduler {name}: no arbiter answered for {:.0} s: notifying on unconfirmed (another scheduler may be notifying for this part too)",
                    held.as_secs_f64()
                );
                sched.signals.actions.notify_waiters();
                return;
            }
        }
        drop(core);
        let mut stop = sched.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped(&mut stop) => return,
        }
    }
}

/// The first answer of a leading arbiter (none: no arbiter leads or answers).
async fn ask_arbiters(
    sched: &Scheduler,
    arbiters: &[String],
    request: &vigia_proto::ValidateRequest,
) -> Option<vigia_proto::Validity> {
    use vigia_proto::Validity;
    let secret = sched.state.secrets();
    for url in arbiters {
        let link = crate::link::Link::new(url.clone(), secret.clone());
        match link
            .post::<_, Validity>(paths::VALIDATE, request, Duration::from_secs(1))
            .await
        {
            Ok(Validity::NotLeading) | Err(_) => continue,
            Ok(v) => return Some(v),
        }
    }
    None
}

/// A replaced scheduler's held notifications and event handlers will not run: the monitoring
/// log says so for each (the engine logged them when it decided them). Returns how many.
fn withhold(core: &mut Core, scheduler: &str) -> usize {
    let Some(run) = core.running.as_ref() else { return 0 };
    let config = run.engine.config();
    let lines: Vec<String> = core
        .queue
        .unsent_reactions()
        .into_iter()
        .map(|a| {
            let subject = match a.item {
                vigia_engine::Item::Host(h) => config.hosts[h.index()].name.clone(),
                vigia_engine::Item::Service(s) => {
                    let svc = &config.services[s.index()];
                    format!("{};{}", config.hosts[svc.host.index()].name, svc.description)
                }
            };
            match &a.kind {
                ActionKind::Notification { contact, number, .. } => format!(
                    "VIGIA HA: NOTIFICATION NOT SENT: {};{subject};{number}: {scheduler} no longer runs this part",
                    config.contacts[contact.index()].name
                ),
                _ => format!("VIGIA HA: EVENT HANDLER NOT RUN: {subject}: {scheduler} no longer runs this part"),
            }
        })
        .collect();
    let now = daemon::now();
    for line in &lines {
        let line = format!("[{now}] {line}");
        tracing::info!(target: "vigia::monitoring", "{line}");
        core.ring.push(vigia_engine::brok::Brok {
            version: vigia_engine::brok::BROK_VERSION,
            seq: 0,
            time: now,
            body: vigia_engine::brok::BrokBody::Log { line },
        });
    }
    lines.len()
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
        core.running
            .as_ref()
            .is_some_and(|r| r.image == work.image && r.home == home && !work.handover && !work.from_copy)
    };
    if unchanged {
        // Same part image: nothing to rebuild (a rebuild would re-run the checks in flight and
        // send every broker the full status again).
        sched.state.accept(&a)?;
        sched.set_standbys(&work.standbys).await;
        {
            let mut core = sched.core.lock().await;
            // The leading arbiter just confirmed this scheduler's part.
            core.fence = None;
            if let Some(run) = core.running.as_mut() {
                run.arbiters = work.arbiters.clone();
                run.fencing = work.fencing;
                run.config_hash = a.config_hash.clone();
                run.part_hash = work.part_hash.clone();
            }
        }
        return Ok(Json(AssignAck {
            accepted: true,
            message: "already running this part".into(),
        }));
    }
    let Some(config) = sched.parts.get(&work.image) else {
        // Refused before anything changes: the arbiter sends the image, then this again.
        return Err(ApiError(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "part image {} is not here: send it to {} first",
                work.image,
                paths::PARTS
            ),
        ));
    };
    if work.from_copy && !work.handover && !sched.copies.has(&home) {
        return Err(ApiError(
            StatusCode::PRECONDITION_FAILED,
            format!("no standby copy of {home} here to take the part back from (this scheduler restarted since)"),
        ));
    }
    let handover = if work.handover {
        let mut slot = sched.handover.lock().unwrap_or_else(|e| e.into_inner());
        match slot.take() {
            Some(h) if h.home == home && h.generation == a.generation => Some(h.state),
            other => {
                *slot = other;
                return Err(ApiError(
                    StatusCode::PRECONDITION_FAILED,
                    format!(
                        "the state handed over for {home} (generation {}) is not here: send it to {} first",
                        a.generation,
                        paths::HANDOVER
                    ),
                ));
            }
        }
    } else {
        None
    };
    sched.state.accept(&a)?;
    sched.set_standbys(&work.standbys).await;
    let Work::Scheduler(work) = a.work else {
        return Err(ApiError(StatusCode::BAD_REQUEST, "not a scheduler's work".into()));
    };
    let part = PartInfo {
        arbiters: work.arbiters,
        fencing: work.fencing,
        image: work.image,
        part_hash: work.part_hash,
        config_hash: a.config_hash,
        home,
        handover: handover.map(|h| Box::new(Arc::unwrap_or_clone(h))),
        reason: work.reason,
    };
    let message = sched.install(config, part).await?;
    Ok(Json(AssignAck {
        accepted: true,
        message,
    }))
}

/// What identifies the part an engine runs, and where its state may come from.
struct PartInfo {
    arbiters: Vec<String>,
    fencing: Fencing,
    image: String,
    part_hash: String,
    config_hash: String,
    home: String,
    handover: Option<Box<vigia_engine::retention::Retention>>,
    reason: Option<String>,
}

/// The arbiter sends the state a spare handed over, for the assignment that follows.
async fn put_handover(
    State(sched): State<Arc<Scheduler>>,
    body: axum::body::Bytes,
) -> Result<Json<vigia_proto::HandoverHeld>, ApiError> {
    let h = tokio::task::spawn_blocking(move || vigia_proto::Handover::decode(&body))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("decoding a hand-over: {e}")))?
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    let held = vigia_proto::HandoverHeld {
        home: h.home.clone(),
        generation: h.generation,
    };
    *sched.handover.lock().unwrap_or_else(|e| e.into_inner()) = Some(h);
    Ok(Json(held))
}

/// The arbiter sends a part image: checked and decoded here, kept for the assignment (or the
/// take-over) that names it. A bad image is refused with 400 and changes nothing.
async fn put_part(State(sched): State<Arc<Scheduler>>, body: axum::body::Bytes) -> Result<Json<PartHeld>, ApiError> {
    let held = sched.parts.receive(body).await?;
    sched.prune_parts().await;
    tracing::info!(
        "scheduler {}: part image {} received ({} hosts, {} services)",
        sched.state.name(),
        held.id,
        held.hosts,
        held.services
    );
    Ok(Json(held))
}

/// A waiting spare takes one step of an active scheduler's state stream.
async fn standby(State(sched): State<Arc<Scheduler>>, body: axum::body::Bytes) -> Result<Json<StandbyAck>, ApiError> {
    let started = Instant::now();
    // A step with a snapshot is the whole part: decoded off the async threads.
    let step = tokio::task::spawn_blocking(move || StandbySync::decode(&body))
        .await
        .map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("decoding a state-stream step: {e}"),
            )
        })?
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
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
    // A snapshot of a part whose image is here starts a live copy.
    let part = sched.parts.get(&step.image);
    let starts_live = part.is_some() && step.snapshot.is_some();
    let (home, source) = (step.home.clone(), step.source.clone());
    let copies = sched.copies.clone();
    let ack = tokio::task::spawn_blocking(move || copies.apply(step, part))
        .await
        .map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("applying a state-stream step: {e}"),
            )
        })?;
    if starts_live && ack.live {
        sched.prune_parts().await;
        tracing::info!(
            "scheduler {}: live copy of {home}'s part started from a snapshot streamed by {source} in {:.2}s",
            sched.state.name(),
            started.elapsed().as_secs_f64()
        );
    }
    sched.state.set_live(sched.copies.live_homes());
    Ok(Json(ack))
}

/// What this scheduler holds as a spare: per home scheduler, the stream step and the number of
/// changes kept since the last snapshot.
async fn standby_copies(State(sched): State<Arc<Scheduler>>) -> Json<Vec<(String, u64, usize)>> {
    Json(sched.copies.summary())
}

/// The arbiter takes the work away: the engine stops at once (nothing more is handed out).
/// On a give-back its final state goes to the returning master as the last step of the state
/// stream (the master follows this scheduler as a standby), and this scheduler keeps the
/// engine as its copy of the part until the master runs it; when the master did not take
/// that step, the final state goes back in the answer instead.
async fn release(State(sched): State<Arc<Scheduler>>, Json(r): Json<Release>) -> Result<Json<Released>, ApiError> {
    let _one_at_a_time = sched.installing.lock().await;
    sched.state.release(&r)?;
    let mut standbys = sched.standbys.lock().await;
    let (run, last) = {
        let mut core = sched.core.lock().await;
        core.pump(daemon::now(), &sched.signals);
        withhold(&mut core, &sched.state.name());
        let mut run = core.stop_running();
        let last = match (run.as_mut(), &r.give_back_to) {
            (Some(run), Some(to)) if run.home == *to && !standbys.is_empty() => {
                Some(sched.next_step(run, standbys.wants_snapshot()))
            }
            _ => None,
        };
        (run, last)
    };
    let mut streamed = false;
    if let (Some((step, marks)), Some(to)) = (last, &r.give_back_to) {
        standbys.sync(step).await;
        streamed = standbys.took_last(to);
        if streamed {
            sched.publish_synced(marks);
        }
    }
    // Its copy for the spares is over too: the next active scheduler streams again.
    standbys.set(&[], Default::default());
    sched.streaming.store(false, Ordering::Release);
    drop(standbys);
    let Some(run) = run else {
        return Ok(Json(Released::default()));
    };
    tracing::info!(
        "scheduler {}: released ({}){}: waiting",
        sched.state.name(),
        r.reason,
        if streamed {
            ", final state streamed to the home scheduler"
        } else {
            ""
        }
    );
    sched.signals.actions.notify_waiters();
    sched.signals.broks.notify_waiters();
    if streamed {
        let origin = crate::standby::StandbyOrigin {
            name: sched.state.name(),
            running_id: sched.state.running_id.clone(),
            part_hash: run.part_hash.clone(),
            generation: sched.state.generation(),
        };
        sched.copies.keep(&run.home, origin, run.image.clone(), run.engine);
        sched.state.set_live(sched.copies.live_homes());
        return Ok(Json(Released {
            state: None,
            streamed: true,
        }));
    }
    let state = tokio::task::spawn_blocking(move || Box::new(run.engine.snapshot()))
        .await
        .map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("taking the final state: {e}"),
            )
        })?;
    Ok(Json(Released {
        state: Some(state),
        streamed: false,
    }))
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
            core.queue.seen(&req.worker, Instant::now());
            // The reactionner's fencing token: notifications and event handlers go only to a
            // worker whose assignment for this part is this scheduler's own. A newer one may
            // know this scheduler was replaced; an older one is about to get the new assignment
            // (an assignment can come while this long-poll waits) and would refuse them.
            let generation = sched.state.generation();
            let held =
                req.class == ActionClass::Reactions && (sched.holds_reactions(&core) || req.generation != generation);
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
                return Ok(Json(FetchResponse { generation, actions }));
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
    // A notification's result only closes the action this scheduler handed out (by its id):
    // taken from a reactionner of any generation, released meanwhile or not. Refused, it
    // would be handed out again and sent twice.
    let reactions = batch.class == Some(ActionClass::Reactions);
    if !reactions {
        sched.check_generation(batch.generation)?;
    }
    let mut core = sched.core.lock().await;
    if core.running.is_none() {
        if reactions {
            return Ok(Json(ResultAck { accepted: 0 }));
        }
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

/// Broks after the broker's position, long-polled; in postcard when the broker asks for it
/// ([`vigia_proto::BROKS_CONTENT_TYPE`]), JSON otherwise.
async fn broks(
    State(sched): State<Arc<Scheduler>>,
    headers: axum::http::HeaderMap,
    Json(req): Json<BrokRequest>,
) -> Result<Response, ApiError> {
    let postcard = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == vigia_proto::BROKS_CONTENT_TYPE));
    let batch = next_broks(&sched, req).await;
    if !postcard {
        return Ok(Json(batch).into_response());
    }
    let bytes = batch
        .encode()
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, vigia_proto::BROKS_CONTENT_TYPE)],
        bytes,
    )
        .into_response())
}

/// Waits (up to the request's `wait_ms`) for broks after `req.after`, or the initial status
/// when the broker cannot follow.
async fn next_broks(sched: &Arc<Scheduler>, req: BrokRequest) -> BrokBatch {
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
            let follows = req.running_id == running_id && core.ring.can_follow(req.after);
            if core.running.is_some() && !follows {
                let broks = initial_status(&mut core, &sched.signals, &req.broker);
                return BrokBatch {
                    running_id,
                    generation: sched.state.generation(),
                    initial: true,
                    broks,
                };
            }
            // Running, or released or stopped: what it logged while it ran the part still goes
            // to the brokers that follow it (a broker drains a scheduler the part moved from).
            let broks = if follows {
                let at = core.brokers_at.entry(req.broker.clone()).or_insert(0);
                *at = (*at).max(req.after);
                core.ring.after(req.after, max)
            } else {
                Vec::new()
            };
            if !broks.is_empty() || timed_out {
                return BrokBatch {
                    running_id,
                    generation: sched.state.generation(),
                    initial: false,
                    broks,
                };
            }
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = stopped(&mut stop) => {}
        }
    }
}

/// The engine's full status after the monitoring log lines `broker` has not had (see
/// [`initial`]); the broker's position is then the ring's last.
fn initial_status(core: &mut Core, signals: &Signals, broker: &str) -> Vec<Brok> {
    // Pending broks go to the ring first, so the initial status covers everything up to `last`.
    core.collect(signals);
    let Some(run) = core.running.as_mut() else {
        return Vec::new();
    };
    let broks = run.engine.initial_broks();
    let had = core.brokers_at.get(broker).copied().unwrap_or(0);
    let initial = initial::build(&mut core.ring, had, broks);
    if initial.streamed {
        signals.broks.notify_waiters();
    }
    core.brokers_at.insert(broker.to_string(), core.ring.last());
    initial.broks
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
                    // A scheduler is given its part only: a host it does not know is in
                    // another part (the receiver refuses hosts nobody owns before routing).
                    let not_mine =
                        e.is_not_owned() || matches!(e, vigia_engine::commands::CommandError::UnknownHost { .. });
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
