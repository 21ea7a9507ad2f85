//! Pollers and reactionners: the same daemon, pulling a different class of actions. For each
//! scheduler of its assignment a satellite long-polls due actions (never more than its free
//! capacity), runs them with the executor, and posts the results back, keeping each one until
//! the scheduler acknowledged it: a scheduler that was down gets them when it is back.
//!
//! Unlike Alignak (architecture notes §7.12), a scheduler that does not answer costs its own
//! link's tasks only: other schedulers are served meanwhile. A reactionner writes nothing
//! itself: the notification command does.
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use tokio::sync::{watch, Mutex, Notify};
use tokio::task::JoinHandle;
use vigia_config::model::Role;
use vigia_engine::{Action, ActionKind, CheckResult, Item};
use vigia_exec::{ExecConfig, ExecResult, Executor, Request, TagFilter};
use vigia_proto::{
    endpoint, paths, ActionClass, AssignAck, Assignment, FetchRequest, ResultBatch, SchedulerLink, Work,
};

use crate::daemon::{self, ApiError, DaemonOptions, DaemonState};
use crate::link::{Link, LinkError};
use crate::scheduler::action_timeout;

/// How long a fetch waits at the scheduler for due actions.
const FETCH_WAIT: Duration = Duration::from_millis(1000);
/// Results per POST.
const RESULT_BATCH: usize = 1000;
const RESULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a reactionner keeps posting results to a scheduler it no longer works for.
const FLUSH_PATIENCE: Duration = Duration::from_secs(600);
/// Between attempts on a scheduler that does not answer (grows up to the max).
const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// Between attempts on a scheduler that answers but has no assignment yet.
const RETRY_UNASSIGNED: Duration = Duration::from_millis(50);

/// Runs a poller or reactionner until SIGTERM or SIGINT.
pub async fn run(options: DaemonOptions) -> anyhow::Result<()> {
    run_until(options, daemon::stop_signal()).await
}

/// Runs a poller or reactionner until `shutdown` resolves (tests stop it this way).
pub async fn run_until(
    options: DaemonOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let class = match options.role {
        Role::Poller => ActionClass::Checks,
        Role::Reactionner => ActionClass::Reactions,
        other => anyhow::bail!("a satellite is a poller or a reactionner, not a {}", other.name()),
    };
    let _lock = crate::data_lock::lock(&options.data, options.role, &options.name)?;
    let state = DaemonState::new(options);
    let sat = Arc::new(Satellite {
        state: state.clone(),
        class,
        inner: Mutex::new(Inner::default()),
    });
    let router = Router::new()
        .route(paths::ASSIGN, post(assign))
        .route(paths::RELEASE, post(release))
        .with_state(sat.clone());
    let served = daemon::serve(state, router, shutdown).await;
    sat.stop().await;
    served
}

struct Satellite {
    state: Arc<DaemonState>,
    class: ActionClass,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    pool: Option<Arc<Pool>>,
    links: HashMap<String, LinkTasks>,
}

/// The executor and its capacity, shared by every scheduler link.
struct Pool {
    executor: Executor,
    tags: Vec<String>,
    max: usize,
    /// Actions fetched or being fetched and not finished.
    in_hand: AtomicUsize,
    /// Scheduler links sharing the capacity.
    links: AtomicUsize,
    freed: Notify,
}

impl Pool {
    fn new(max: usize, tags: Vec<String>, worker: &str) -> Pool {
        let max = max.max(1);
        let mut config = ExecConfig {
            max_concurrent: max,
            tags: TagFilter::new(tags.iter().cloned()),
            ..ExecConfig::default()
        };
        // Plugins can tell which worker runs them (and tests can check routing).
        config.env.insert("VIGIA_WORKER".to_string(), worker.to_string());
        Pool {
            executor: Executor::new(config),
            tags,
            max,
            in_hand: AtomicUsize::new(0),
            links: AtomicUsize::new(1),
            freed: Notify::new(),
        }
    }

    /// Reserves up to the free capacity, and at most a fair share of the whole: a long-poll
    /// holds its reservation while it waits, so one scheduler's link taking everything would
    /// starve the others' (a satellite serving two schedulers). 0 when full.
    fn reserve(&self) -> usize {
        let share = (self.max / self.links.load(Ordering::Acquire).max(1)).max(1);
        let mut got = 0;
        let _ = self.in_hand.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            got = self.max.saturating_sub(used).min(share);
            (got > 0).then_some(used + got)
        });
        got
    }

    fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let _ = self
            .in_hand
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| Some(used.saturating_sub(n)));
        self.freed.notify_waiters();
    }
}

/// Capacity reserved for a fetch, given back however the fetch ends: answered, failed, or
/// aborted because the link moved to another scheduler (a take-over) while it waited.
struct Reservation {
    pool: Arc<Pool>,
    n: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.pool.release(self.n);
    }
}

/// Gives an action's slot back however its task ends.
struct Slot(Arc<Pool>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.release(1);
    }
}

/// What a link's tasks need; replaced (through a watch channel) by a new assignment.
#[derive(Clone)]
struct LinkConfig {
    link: SchedulerLink,
    client: Link,
    pool: Arc<Pool>,
}

struct LinkTasks {
    url: String,
    config: watch::Sender<LinkConfig>,
    tasks: Vec<JoinHandle<()>>,
    /// Results not yet acknowledged: they follow the part to whoever runs it next.
    pending: Arc<Pending>,
}

impl Drop for LinkTasks {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Results not yet acknowledged by the scheduler.
#[derive(Default)]
struct Pending {
    results: std::sync::Mutex<Vec<CheckResult>>,
    added: Notify,
    /// Actions running whose result is not pushed yet.
    running: AtomicUsize,
}

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CheckResult>> {
        self.results.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, r: CheckResult) {
        self.lock().push(r);
        self.added.notify_one();
    }

    fn peek(&self, max: usize) -> Vec<CheckResult> {
        self.lock().iter().take(max).cloned().collect()
    }

    /// Drops the acknowledged results (every result for those actions).
    fn acknowledge(&self, ids: &[u64]) {
        let ids: std::collections::HashSet<u64> = ids.iter().copied().collect();
        self.lock().retain(|r| !ids.contains(&r.action));
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl Satellite {
    /// Applies a new assignment: same scheduler (name and address) keeps its tasks and its
    /// unacknowledged results, with the new generation; others start or stop.
    async fn apply(self: &Arc<Self>, work: vigia_proto::SatelliteWork) {
        let name = self.state.name();
        let tags = if work.tags.is_empty() {
            vec!["None".to_string()]
        } else {
            work.tags.clone()
        };
        let mut inner = self.inner.lock().await;
        let pool = match &inner.pool {
            Some(p) if p.max == work.max_concurrent.max(1) && p.tags == tags => p.clone(),
            _ => Arc::new(Pool::new(work.max_concurrent, tags, &name)),
        };
        inner.pool = Some(pool.clone());
        pool.links.store(work.schedulers.len().max(1), Ordering::Release);
        let secret = self.state.secrets();
        let mut keep: HashMap<String, LinkTasks> = HashMap::new();
        for link in work.schedulers {
            let config = LinkConfig {
                client: Link::new(link.url.clone(), secret.clone()),
                link: link.clone(),
                pool: pool.clone(),
            };
            match inner.links.remove(&link.name) {
                Some(existing) if existing.url == link.url => {
                    let _ = existing.config.send(config);
                    keep.insert(link.name.clone(), existing);
                }
                Some(moved) => {
                    // The part moved to another scheduler (a take-over or a give-back): the
                    // results of checks the old one handed out go to the new one.
                    tracing::info!(
                        "{} {name}: scheduler {} now runs at {} ({} result(s) follow)",
                        self.state.options.role.name(),
                        link.name,
                        link.url,
                        moved.pending.len()
                    );
                    let pending = moved.pending.clone();
                    drop(moved);
                    keep.insert(link.name.clone(), self.start_link(config, pending));
                }
                None => {
                    tracing::info!(
                        "{} {name}: working for scheduler {} at {}",
                        self.state.options.role.name(),
                        link.name,
                        link.url
                    );
                    keep.insert(link.name.clone(), self.start_link(config, Arc::new(Pending::default())));
                }
            }
        }
        for (gone, tasks) in inner.links.drain() {
            tracing::info!(
                "{} {name}: no longer working for scheduler {gone}",
                self.state.options.role.name()
            );
            self.flush(tasks);
        }
        inner.links = keep;
    }

    fn start_link(self: &Arc<Self>, config: LinkConfig, pending: Arc<Pending>) -> LinkTasks {
        let url = config.link.url.clone();
        let (tx, rx) = watch::channel(config);
        let fetcher = tokio::spawn(fetch_loop(self.clone(), rx.clone(), pending.clone()));
        let sender = tokio::spawn(send_loop(self.clone(), rx, pending.clone()));
        LinkTasks {
            url,
            config: tx,
            pending,
            tasks: vec![fetcher, sender],
        }
    }

    /// Who holds the actions this satellite fetches: its name and this run of it. A restarted
    /// poller is another holder, so the scheduler hands out again what the one before held
    /// (see `WORKER_SILENCE`) instead of waiting for its timeout.
    fn holder(&self) -> String {
        format!("{}@{}", self.state.name(), self.state.running_id)
    }

    /// Stops every link (released, or the daemon stops); the results of notifications and
    /// event handlers already run still go to their scheduler.
    async fn stop(self: &Arc<Self>) {
        let mut inner = self.inner.lock().await;
        for (_, tasks) in inner.links.drain() {
            self.flush(tasks);
        }
    }

    /// A reactionner's link goes: the results of what it ran are still posted to that
    /// scheduler (which takes them whatever the generation), for up to [`FLUSH_PATIENCE`].
    /// Dropped, the scheduler would hand those notifications out again at their timeout, and
    /// they would be sent twice. (A poller's check results need not: a check run again is only
    /// a check.)
    fn flush(&self, tasks: LinkTasks) {
        let unfinished = |p: &Pending| p.len() > 0 || p.running.load(Ordering::Acquire) > 0;
        if self.class != ActionClass::Reactions || !unfinished(&tasks.pending) {
            return;
        }
        let cfg = tasks.config.borrow().clone();
        let pending = tasks.pending.clone();
        let worker = self.state.name();
        drop(tasks);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            while unfinished(&pending) && started.elapsed() < FLUSH_PATIENCE {
                if pending.len() == 0 {
                    // Still running (a notification command outlives its link): its result comes.
                    let _ = tokio::time::timeout(Duration::from_secs(1), pending.added.notified()).await;
                    continue;
                }
                if let Err(e) = post_results(&cfg, &worker, ActionClass::Reactions, &pending).await {
                    tracing::debug!("results for {}: {e}", cfg.link.name);
                    tokio::time::sleep(RETRY_MAX).await;
                }
            }
            if pending.len() > 0 {
                tracing::warn!(
                    "{} result(s) of notifications for scheduler {} could not be posted: it may send them again",
                    pending.len(),
                    cfg.link.name
                );
            }
        });
    }
}

async fn assign(State(sat): State<Arc<Satellite>>, Json(a): Json<Assignment>) -> Result<Json<AssignAck>, ApiError> {
    sat.state.accept(&a)?;
    let work = match a.work {
        Work::Poller(w) | Work::Reactionner(w) => w,
        _ => return Err(ApiError(StatusCode::BAD_REQUEST, "not a satellite's work".into())),
    };
    let n = work.schedulers.len();
    sat.apply(work).await;
    Ok(Json(AssignAck {
        accepted: true,
        message: format!("working for {n} scheduler(s)"),
    }))
}

/// The arbiter takes the work away (a spare giving it back): every scheduler link stops.
async fn release(
    State(sat): State<Arc<Satellite>>,
    Json(r): Json<vigia_proto::Release>,
) -> Result<Json<vigia_proto::Released>, ApiError> {
    sat.state.release(&r)?;
    sat.stop().await;
    tracing::info!(
        "{} {}: released ({}): waiting",
        sat.state.options.role.name(),
        sat.state.name(),
        r.reason
    );
    Ok(Json(vigia_proto::Released::default()))
}

/// Logs a link's failures once per outage, not once per attempt.
struct Health {
    failing: bool,
}

impl Health {
    fn ok(&mut self, what: &str, url: &str) {
        if self.failing {
            tracing::info!("{what} {url}: answering again");
        }
        self.failing = false;
    }

    fn failed(&mut self, what: &str, e: &LinkError) {
        if !self.failing {
            tracing::warn!("{what}: {e} (retrying)");
        } else {
            tracing::debug!("{what}: {e}");
        }
        self.failing = true;
    }
}

/// How long to wait before the next attempt on a scheduler. One that answers 503 (its
/// assignment is on its way: the arbiter re-points the satellites in the same round as it
/// assigns a spare scheduler, and theirs are smaller) is asked again soon: a take-over should
/// not wait a whole back-off for it.
fn retry_after(e: &LinkError, retry: Duration) -> Duration {
    if e.status() == Some(503) {
        retry.min(RETRY_UNASSIGNED)
    } else {
        retry
    }
}

fn is_stale(e: &LinkError) -> bool {
    e.status() == Some(409)
}

/// Waits until the assignment changes (the generation refused by the scheduler is not used
/// again). False when the link is gone.
async fn wait_for_new_assignment(rx: &mut watch::Receiver<LinkConfig>, refused: u64) -> bool {
    loop {
        if rx.changed().await.is_err() {
            return false;
        }
        if rx.borrow_and_update().link.generation != refused {
            return true;
        }
    }
}

/// Long-polls one scheduler for actions and starts each one as it comes.
async fn fetch_loop(sat: Arc<Satellite>, mut rx: watch::Receiver<LinkConfig>, pending: Arc<Pending>) {
    let mut retry = RETRY_MIN;
    let mut health = Health { failing: false };
    loop {
        let cfg = rx.borrow_and_update().clone();
        let pool = cfg.pool.clone();
        let freed = pool.freed.notified();
        tokio::pin!(freed);
        freed.as_mut().enable();
        let want = pool.reserve();
        if want == 0 {
            // Full: wait for a slot (or a new assignment); still asking for nothing every
            // second, so that the scheduler knows this worker is alive (see WORKER_SILENCE).
            tokio::select! {
                _ = &mut freed => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {
                    let alive = FetchRequest {
                        worker: sat.holder(),
                        class: sat.class,
                        tags: pool.tags.clone(),
                        max: 0,
                        wait_ms: 0,
                        generation: cfg.link.generation,
                    };
                    let _ = cfg.client.call::<endpoint::Fetch>(&alive, Duration::from_secs(5)).await;
                }
                r = rx.changed() => if r.is_err() { return },
            }
            continue;
        }
        let request = FetchRequest {
            worker: sat.holder(),
            class: sat.class,
            tags: pool.tags.clone(),
            max: want,
            wait_ms: FETCH_WAIT.as_millis() as u64,
            generation: cfg.link.generation,
        };
        let mut reservation = Reservation {
            pool: pool.clone(),
            n: want,
        };
        let what = format!("fetching actions from scheduler {}", cfg.link.name);
        let answer = cfg
            .client
            .call::<endpoint::Fetch>(&request, FETCH_WAIT + Duration::from_secs(10))
            .await;
        match answer {
            Ok(response) => {
                health.ok("scheduler", &cfg.link.url);
                retry = RETRY_MIN;
                if sat.class == ActionClass::Reactions
                    && response.generation != request.generation
                    && !response.actions.is_empty()
                {
                    // Fencing: a notification runs only when the scheduler that decided it runs
                    // the assignment this reactionner knows for the part. Not returned: the
                    // scheduler hands them out again if it still runs the part.
                    tracing::warn!(
                        "reactionner {}: {} action(s) from scheduler {} refused: it runs generation {}, this reactionner's assignment for the part is generation {}",
                        sat.state.name(),
                        response.actions.len(),
                        cfg.link.name,
                        response.generation,
                        request.generation
                    );
                    drop(reservation);
                    continue;
                }
                let got = response.actions.len();
                // What was not used goes back now; each action holds its own slot.
                reservation.n = want.saturating_sub(got);
                drop(reservation);
                if got > want {
                    // More than asked: run them anyway (they were handed to us), counted.
                    pool.in_hand.fetch_add(got - want, Ordering::AcqRel);
                }
                for action in response.actions {
                    let slot = Slot(pool.clone());
                    pending.running.fetch_add(1, Ordering::AcqRel);
                    tokio::spawn(run_action(action, slot, pending.clone()));
                }
            }
            Err(e) if is_stale(&e) => {
                drop(reservation);
                tracing::warn!(
                    "scheduler {} runs a newer assignment than generation {}: stopping work for it until this {} gets its new assignment",
                    cfg.link.name,
                    cfg.link.generation,
                    sat.state.options.role.name()
                );
                if !wait_for_new_assignment(&mut rx, cfg.link.generation).await {
                    return;
                }
            }
            Err(e) => {
                drop(reservation);
                health.failed(&what, &e);
                tokio::select! {
                    _ = tokio::time::sleep(retry_after(&e, retry)) => {}
                    r = rx.changed() => if r.is_err() { return },
                }
                retry = (retry * 2).min(RETRY_MAX);
            }
        }
    }
}

/// Runs one action and queues its result for sending (counted in `pending.running` by the
/// caller, before it spawned this: a flush never misses it).
async fn run_action(action: Action, slot: Slot, pending: Arc<Pending>) {
    let result = slot.0.executor.run(request_for(&action)).await;
    pending.push(to_check_result(&action, &result));
    pending.running.fetch_sub(1, Ordering::AcqRel);
    drop(slot);
}

/// Posts the next batch of `pending` to `cfg`'s scheduler; acknowledged, they leave `pending`.
async fn post_results(cfg: &LinkConfig, worker: &str, class: ActionClass, pending: &Pending) -> Result<(), LinkError> {
    let batch = pending.peek(RESULT_BATCH);
    let ids: Vec<u64> = batch.iter().map(|r| r.action).collect();
    let body = ResultBatch {
        worker: worker.to_string(),
        generation: cfg.link.generation,
        results: batch,
        class: Some(class),
    };
    cfg.client.call::<endpoint::Results>(&body, RESULT_TIMEOUT).await?;
    pending.acknowledge(&ids);
    Ok(())
}

/// Posts the results of one scheduler until each is acknowledged.
async fn send_loop(sat: Arc<Satellite>, mut rx: watch::Receiver<LinkConfig>, pending: Arc<Pending>) {
    let mut retry = RETRY_MIN;
    let mut health = Health { failing: false };
    loop {
        let cfg = rx.borrow_and_update().clone();
        let count = pending.len().min(RESULT_BATCH);
        if count == 0 {
            tokio::select! {
                _ = pending.added.notified() => {}
                r = rx.changed() => if r.is_err() { return },
            }
            continue;
        }
        let what = format!("sending {count} result(s) to scheduler {}", cfg.link.name);
        match post_results(&cfg, &sat.state.name(), sat.class, &pending).await {
            Ok(()) => {
                health.ok("scheduler", &cfg.link.url);
                retry = RETRY_MIN;
            }
            Err(e) if is_stale(&e) => {
                // Kept: if the new assignment leaves the scheduler's part unchanged, the
                // scheduler still expects them.
                tracing::warn!(
                    "scheduler {} refused {} result(s) of generation {}: holding them until a new assignment",
                    cfg.link.name,
                    pending.len(),
                    cfg.link.generation
                );
                if !wait_for_new_assignment(&mut rx, cfg.link.generation).await {
                    return;
                }
            }
            Err(e) => {
                health.failed(&what, &e);
                tokio::select! {
                    _ = tokio::time::sleep(retry_after(&e, retry)) => {}
                    r = rx.changed() => if r.is_err() { return },
                }
                retry = (retry * 2).min(RETRY_MAX);
            }
        }
    }
}

/// The executor request for an action: its command line, timeout (the action's, else 60 s for
/// checks and 30 s for notifications and event handlers) and tag.
pub fn request_for(action: &Action) -> Request {
    let kind = match (&action.kind, action.item) {
        (ActionKind::Check, Item::Host(_)) => vigia_exec::ActionKind::HostCheck,
        (ActionKind::Check, Item::Service(_)) => vigia_exec::ActionKind::ServiceCheck,
        (ActionKind::Notification { .. }, _) => vigia_exec::ActionKind::Notification,
        (ActionKind::EventHandler, _) => vigia_exec::ActionKind::EventHandler,
    };
    let mut request = Request::new(action.command_line.clone())
        .kind(kind)
        .timeout(action_timeout(action));
    if let Some(tag) = &action.tag {
        request = request.tag(tag.clone());
    }
    request
}

/// The result the scheduler's engine takes: the executor's state (timeouts and out-of-range
/// codes already mapped) and its output, long output and perfdata as it cut them (the engine
/// does not cut them again).
pub fn to_check_result(action: &Action, r: &ExecResult) -> CheckResult {
    CheckResult {
        action: action.id,
        item: action.item,
        exit_code: i32::from(r.state.min(3)),
        output: r.output.clone(),
        long_output: r.long_output.clone(),
        perfdata: r.perfdata.clone(),
        start: r.start_time,
        end: r.end_time,
        scheduled: action.due,
    }
}

#[cfg(test)]
mod tests {
    use vigia_config::model::{ContactId, HostId, ServiceId};
    use vigia_engine::NotificationKind;

    use super::*;

    fn exec(state: u8, output: &str, long: &str, perf: &str) -> ExecResult {
        ExecResult {
            state,
            exit_code: Some(i32::from(state)),
            signal: None,
            timed_out: false,
            output: output.into(),
            long_output: long.into(),
            perfdata: perf.into(),
            metrics: Vec::new(),
            truncated: false,
            via_shell: false,
            internal: false,
            pid: None,
            start_time: 100.5,
            end_time: 101.25,
            execution_time: 0.75,
        }
    }

    fn action(kind: ActionKind, item: Item, timeout: Option<u32>) -> Action {
        Action {
            id: 42,
            item,
            kind,
            command_line: "/bin/true".into(),
            timeout,
            tag: Some("dmz".into()),
            due: 0.0,
        }
    }

    #[test]
    fn result_conversion_keeps_the_three_parts() {
        let a = action(ActionKind::Check, Item::Service(ServiceId(3)), None);
        let r = exec(2, "DISK CRITICAL - /var 99%", "line 2\nline 3", "/var=99%;80;90");
        let c = to_check_result(&a, &r);
        assert_eq!(
            (c.action, c.item, c.exit_code, c.start, c.end),
            (42, a.item, 2, 100.5, 101.25)
        );
        assert_eq!(
            (c.output.as_str(), c.long_output.as_str(), c.perfdata.as_str()),
            ("DISK CRITICAL - /var 99%", "line 2\nline 3", "/var=99%;80;90")
        );
        // A literal pipe stays text: nothing cuts the parts again.
        let c = to_check_result(&a, &exec(0, "a | b", "c | d", ""));
        assert_eq!(
            (c.output.as_str(), c.long_output.as_str(), c.perfdata.as_str()),
            ("a | b", "c | d", "")
        );
    }

    #[test]
    fn requests_carry_kind_timeout_and_tag() {
        let host = request_for(&action(ActionKind::Check, Item::Host(HostId(0)), Some(9)));
        assert_eq!(host.kind, vigia_exec::ActionKind::HostCheck);
        assert_eq!(host.timeout, Some(Duration::from_secs(9)));
        assert_eq!(host.tag.as_deref(), Some("dmz"));
        let svc = request_for(&action(ActionKind::Check, Item::Service(ServiceId(0)), None));
        assert_eq!(
            (svc.kind, svc.timeout),
            (vigia_exec::ActionKind::ServiceCheck, Some(Duration::from_secs(60)))
        );
        let notif = ActionKind::Notification {
            contact: ContactId(0),
            kind: NotificationKind::Problem,
            number: 1,
        };
        let n = request_for(&action(notif, Item::Service(ServiceId(0)), None));
        assert_eq!(
            (n.kind, n.timeout),
            (vigia_exec::ActionKind::Notification, Some(Duration::from_secs(30)))
        );
        let e = request_for(&action(ActionKind::EventHandler, Item::Host(HostId(0)), None));
        assert_eq!(e.kind, vigia_exec::ActionKind::EventHandler);
    }

    #[test]
    fn capacity_is_reserved_and_released() {
        let pool = Pool::new(3, vec!["None".into()], "p");
        assert_eq!(pool.reserve(), 3);
        assert_eq!(pool.reserve(), 0, "full");
        pool.release(2);
        assert_eq!(pool.reserve(), 2);
        // Two schedulers: each link's long-poll holds at most half.
        pool.release(3);
        pool.links.store(2, Ordering::Release);
        assert_eq!((pool.reserve(), pool.reserve(), pool.reserve()), (1, 1, 1));
        pool.release(3);
        drop(Slot(Arc::new(Pool::new(1, vec![], "q"))));
        pool.release(10);
        assert_eq!(pool.in_hand.load(Ordering::Acquire), 0, "never below zero");
    }

    #[test]
    fn pending_results_leave_only_when_acknowledged() {
        let p = Pending::default();
        let a = action(ActionKind::Check, Item::Service(ServiceId(1)), None);
        for id in [1, 2, 3] {
            let mut c = to_check_result(&a, &exec(0, "OK", "", ""));
            c.action = id;
            p.push(c);
        }
        let batch = p.peek(2);
        assert_eq!(batch.iter().map(|r| r.action).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(p.len(), 3, "peeking keeps them");
        p.acknowledge(&[1, 2]);
        assert_eq!(p.peek(10).iter().map(|r| r.action).collect::<Vec<_>>(), [3]);
    }
}
