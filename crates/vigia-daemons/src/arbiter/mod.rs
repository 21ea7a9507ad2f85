//! The arbiter: loads and validates the configuration, cuts it into parts, tells every daemon
//! its work, watches them, and re-dispatches on reload.
//!
//! Unlike Alignak's (see the architecture notes, §7):
//! - a daemon that restarted (new running id) or answers without work is sent its assignment
//!   again at the next health check, not forgotten;
//! - a reload is validated first: an invalid configuration changes nothing, and a valid one is
//!   pushed with a higher generation while schedulers keep the state of unchanged objects;
//! - generations only grow, across arbiter restarts too (kept in the data folder).
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use vigia_config::model::{Config, DaemonLink, Role};
use vigia_proto::{ArbiterStatus, DaemonStatus, HaEvent, ReloadOutcome};
use vigia_proto::{AssignAck, Assignment, Identity, PartImage, Work};

mod decide;
mod peer;
mod plan;

use decide::{decide, record_check, GaveBack};
pub use plan::url;
use plan::{designate, encode_images, is_home, plan, PlanInput};

use crate::daemon::{self, ApiError, DaemonOptions, DaemonState};
use crate::link::Link;

/// How an arbiter is started.
#[derive(Clone, Debug)]
pub struct ArbiterOptions {
    pub config: PathBuf,
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub secret: Option<String>,
    pub security: crate::daemon::Security,
    /// Which arbiter of the configuration this is (default: the one whose port and address
    /// match `listen`, else the master).
    pub name: Option<String>,
}

/// Generations kept on disk so they keep growing after a restart.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Counters {
    arbiter_generation: u64,
    assignment_generation: u64,
}

/// The configuration being dispatched and who runs what.
struct Dispatch {
    config: Arc<Config>,
    /// Per part (as `config.parts`), its image: encoded once per load, shared by every send.
    images: Vec<PartImage>,
    /// Per part, the waiting spare scheduler kept in sync with it (see [`designate`]).
    standby_of: Vec<Option<usize>>,
    /// Per daemon, whether it could be a standby when the plan was made.
    spare_ok: Vec<bool>,
    config_hash: String,
    loaded_at: i64,
    /// Per daemon: the daemon that runs its work (itself, or the spare standing in for it).
    runner: Vec<usize>,
    /// Per daemon: the state a giving-back spare handed over, until its master accepts it.
    handover: BTreeMap<usize, Arc<vigia_engine::retention::Retention>>,
    /// Per daemon: a give-back by the state stream not yet accepted by the master.
    gave_back: BTreeMap<usize, GaveBack>,
    /// Per daemon, the homes of which its identity says it keeps a live copy.
    live: Vec<Vec<String>>,
    /// Per daemon whose work moved: why (for the monitoring log).
    reasons: BTreeMap<usize, String>,
    /// Per daemon: the assignment to run, `None` for a waiting spare or an unused daemon.
    assignments: Vec<Option<Assignment>>,
    daemons: Vec<DaemonLink>,
    status: Vec<DaemonStatus>,
    /// When each daemon was last checked.
    checked: Vec<Option<std::time::Instant>>,
    events: Vec<HaEvent>,
    /// When this configuration was loaded: a master never seen alive gets
    /// [`STARTUP_GRACE`] to come up before a spare takes its work.
    started: std::time::Instant,
}

/// How long a master that has not answered yet since the arbiter (re)loaded may take to start
/// before its work goes to a spare (daemons are usually started together).
pub const STARTUP_GRACE: Duration = Duration::from_secs(10);
/// Take-overs and give-backs sent to brokers (the newest).
const MAX_HA_NOTES: usize = 100;

struct Arbiter {
    name: String,
    options: ArbiterOptions,
    counters: Counters,
    dispatch: Dispatch,
    /// Dispatches and watches (a master, or a spare that took the lead); a waiting spare
    /// only listens for the master's heartbeat.
    active: bool,
    spare: bool,
    /// The other arbiters of the configuration.
    peers: Vec<DaemonLink>,
    /// The last heartbeat heard from another arbiter, and when.
    heard: Option<(std::time::Instant, vigia_proto::ArbiterHeartbeat)>,
}

type Shared = Arc<Mutex<Arbiter>>;

fn counters_path(data: &Path) -> PathBuf {
    data.join("arbiter-generations.json")
}

/// The generations saved by the last run (none at first start). A file that is there but
/// cannot be read stops the arbiter: starting again from 0 would make every daemon refuse its
/// assignments as older than what it runs.
fn load_counters(data: &Path) -> anyhow::Result<Counters> {
    let path = counters_path(data);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Counters::default()),
        Err(e) => anyhow::bail!("cannot read the generations file {}: {e}", path.display()),
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "the generations file {} is damaged ({e}): move it aside and restart every daemon \
             (generations start again from 0, which running daemons would refuse)",
            path.display()
        )
    })
}

/// Saves the generations durably: they are used only once this returns.
fn save_counters(data: &Path, counters: &Counters) -> anyhow::Result<()> {
    let path = counters_path(data);
    let bytes = serde_json::to_vec(counters)?;
    crate::durable::write(&path, &bytes)
        .map_err(|e| anyhow::anyhow!("cannot save the generations file {}: {e}", path.display()))
}

/// Loads the configuration; the error lists every problem as `file:line: message`.
pub fn load(path: &Path) -> Result<Config, Vec<String>> {
    vigia_engine::business::load(path, &vigia_config::LoadOptions::default())
        .map_err(|e| e.diagnostics.errors().map(|d| d.to_string()).collect())
}

/// A hash of the whole configuration: the parts' hashes and the daemon layout.
fn config_hash(config: &Config) -> String {
    let mut h = blake3::Hasher::new();
    for p in &config.parts {
        h.update(p.hash.as_bytes());
    }
    for d in &config.daemons {
        h.update(format!("{}:{}:{}:{};", d.name, d.address, d.port, d.spare).as_bytes());
    }
    h.finalize().to_hex()[..16].to_string()
}

fn new_status(config: &Config) -> Vec<DaemonStatus> {
    let now = daemon::now();
    config
        .daemons
        .iter()
        .map(|d| DaemonStatus {
            name: d.name.clone(),
            role: d.role,
            address: d.address.clone(),
            port: d.port,
            spare: d.spare,
            realm: config.realms[d.realm.index()].name.clone(),
            alive: false,
            assigned: false,
            generation: 0,
            running_id: None,
            since: now,
            last_error: None,
            attempts: 0,
            standing_in_for: None,
            reason: None,
            livestatus: None,
        })
        .collect()
}

impl Dispatch {
    fn new(config: Config) -> Result<Dispatch, String> {
        let images = encode_images(&config)?;
        let n = config.daemons.len();
        let spare_ok: Vec<bool> = config
            .daemons
            .iter()
            .map(|d| d.spare && d.role == Role::Scheduler)
            .collect();
        let runner: Vec<usize> = (0..n).collect();
        Ok(Dispatch {
            standby_of: designate(&config, &runner, &spare_ok),
            gave_back: BTreeMap::new(),
            live: vec![Vec::new(); n],
            spare_ok,
            images,
            config_hash: config_hash(&config),
            loaded_at: daemon::now(),
            runner: (0..n).collect(),
            handover: BTreeMap::new(),
            reasons: BTreeMap::new(),
            assignments: vec![None; n],
            daemons: config.daemons.clone(),
            status: new_status(&config),
            checked: vec![None; n],
            events: Vec::new(),
            started: std::time::Instant::now(),
            config: Arc::new(config),
        })
    }

    /// Per daemon, whether it can follow a part as a standby now: a spare scheduler alive or
    /// not yet given up on (never checked, or within [`STARTUP_GRACE`]); a master scheduler
    /// alive while a spare runs its part.
    fn standby_ok(&self) -> Vec<bool> {
        (0..self.daemons.len())
            .map(|i| {
                let st = &self.status[i];
                let dl = &self.daemons[i];
                match (dl.role, dl.spare) {
                    (Role::Scheduler, true) => {
                        st.alive
                            || st.last_error.is_none()
                            || (st.running_id.is_none() && self.started.elapsed() < STARTUP_GRACE)
                    }
                    (Role::Scheduler, false) => st.alive && self.runner.get(i) != Some(&i),
                    _ => false,
                }
            })
            .collect()
    }

    /// The part images daemon `i` must hold: the one it is to run, the one it follows, and a
    /// master's own part while a spare runs it (sent as soon as the master answers again, so
    /// the give-back does not wait for it).
    fn images_for(&self, i: usize) -> Vec<&PartImage> {
        let mut wanted = Vec::new();
        for (p, part) in self.config.parts.iter().enumerate() {
            if part.scheduler.index() == i && self.runner.get(i) != Some(&i) {
                wanted.extend(self.images.get(p));
            }
        }
        if let Some(Some(Assignment {
            work: Work::Scheduler(w),
            ..
        })) = self.assignments.get(i)
        {
            wanted.extend(self.images.iter().find(|im| im.id == w.image));
        }
        for (p, s) in self.standby_of.iter().enumerate() {
            if *s == Some(i) {
                wanted.extend(self.images.get(p));
            }
        }
        // A broker serves the configuration of the parts it follows (Livestatus).
        if let Some(Some(Assignment {
            work: Work::Broker(w), ..
        })) = self.assignments.get(i)
        {
            for link in &w.schedulers {
                wanted.extend(self.images.iter().find(|im| im.id == link.image));
            }
        }
        wanted
    }
}

impl Arbiter {
    /// A new generation for the current plan, persisted before anyone sees it.
    fn next_generation(&mut self) -> anyhow::Result<u64> {
        self.counters.assignment_generation += 1;
        save_counters(&self.options.data, &self.counters)?;
        Ok(self.counters.assignment_generation)
    }

    /// Plans every assignment again with generation `generation`.
    fn replan(&mut self, generation: u64) {
        let d = &self.dispatch;
        let notes: Vec<vigia_proto::HaNote> = d
            .events
            .iter()
            .rev()
            .take(MAX_HA_NOTES)
            .rev()
            .map(|e| vigia_proto::HaNote {
                at: e.at,
                line: format!("VIGIA HA: {}: {}", e.role.name(), e.reason),
            })
            .collect();
        let spare_ok = d.standby_ok();
        let standby_of = designate(&d.config, &d.runner, &spare_ok);
        let assignments = plan(&PlanInput {
            ha_events: &notes,
            config: &d.config,
            images: &d.images,
            standby_of: &standby_of,
            config_hash: &d.config_hash,
            runner: &d.runner,
            handover: &d.handover,
            gave_back: &d.gave_back,
            reasons: &d.reasons,
            arbiter: &self.name,
            arbiter_generation: self.counters.arbiter_generation,
            generation,
        });
        let d = &mut self.dispatch;
        d.standby_of = standby_of;
        d.spare_ok = spare_ok;
        for (i, st) in d.status.iter_mut().enumerate() {
            st.generation = assignments[i].as_ref().map_or(0, |a| a.generation);
            let home = (0..d.runner.len()).find(|h| d.runner[*h] == i && *h != i && is_home(&d.daemons[*h]));
            st.standing_in_for = home.map(|h| d.daemons[h].name.clone());
            st.reason = home.and_then(|h| d.reasons.get(&h).cloned());
            st.livestatus = match &assignments[i] {
                Some(Assignment {
                    work: Work::Broker(w), ..
                }) => w.livestatus.clone(),
                _ => None,
            };
        }
        d.assignments = assignments;
    }

    /// Takes a newly loaded configuration: who runs what starts over (every master its own
    /// work), with a fresh generation; liveness is kept for daemons that are still configured.
    fn redispatch(&mut self, config: Config) -> anyhow::Result<()> {
        let generation = self.next_generation()?;
        let mut next = Dispatch::new(config).map_err(|e| anyhow::anyhow!(e))?;
        for (i, d) in next.daemons.iter().enumerate() {
            if let Some(old) = self
                .dispatch
                .status
                .iter()
                .find(|s| s.name == d.name && s.role == d.role)
            {
                let st = &mut next.status[i];
                st.alive = old.alive;
                st.running_id = old.running_id.clone();
                st.since = old.since;
            }
        }
        next.events = std::mem::take(&mut self.dispatch.events);
        self.dispatch = next;
        self.replan(generation);
        Ok(())
    }
}

/// Checks one daemon, then sends it its assignment when it runs none or an older one, or
/// releases it when it runs work it no longer has (a stale master, a spare giving back).
async fn check_daemon(shared: &Shared, index: usize, link: Link, timeout: Duration) {
    let arbiter = shared.lock().await.name.clone();
    let path = format!(
        "{}?{}={arbiter}",
        vigia_proto::paths::IDENTITY,
        vigia_proto::ARBITER_QUERY
    );
    let result: Result<Identity, _> = link.get(&path, timeout).await;
    let mut resend = None;
    let mut release = None;
    let mut uploads: Vec<PartImage> = Vec::new();
    let mut handover = None;
    {
        let mut a = shared.lock().await;
        let arbiter = a.name.clone();
        let arbiter_generation = a.counters.arbiter_generation;
        let generation = a.counters.assignment_generation;
        let d = &mut a.dispatch;
        if let Ok(id) = &result {
            // What its identity says it holds is not sent again.
            uploads = d
                .images_for(index)
                .into_iter()
                .filter(|im| !id.parts.contains(&im.id))
                .cloned()
                .collect();
        }
        let (Some(st), Some(dl)) = (d.status.get_mut(index), d.daemons.get(index)) else {
            return;
        };
        record_check(st, dl, &result);
        if let (Ok(id), Some(live)) = (&result, d.live.get_mut(index)) {
            live.clone_from(&id.live);
        }
        if let Ok(id) = &result {
            // Only generations are compared: an assignment is copied only when it must be sent.
            let assignment = d.assignments.get(index).and_then(|a| a.as_ref());
            let running = id.assignment.as_ref().map(|s| s.generation);
            st.assigned = assignment.is_some_and(|asg| running == Some(asg.generation));
            match (assignment, running) {
                (Some(asg), r) if r != Some(asg.generation) => {
                    if let Work::Scheduler(w) = &asg.work {
                        let home = d.daemons.iter().position(|x| x.name == w.home);
                        handover = home
                            .filter(|_| w.handover)
                            .and_then(|h| d.handover.get(&h).cloned())
                            .map(|state| vigia_proto::Handover {
                                home: w.home.clone(),
                                generation: asg.generation,
                                state,
                            });
                    }
                    resend = Some(asg.clone())
                }
                (None, Some(_)) => {
                    release = Some(vigia_proto::Release {
                        arbiter,
                        arbiter_generation,
                        generation,
                        reason: format!("{} is not assigned any work in generation {generation}", st.name),
                        give_back_to: None,
                    })
                }
                _ => {}
            }
        }
    }
    if let Some(r) = release {
        match link
            .post::<_, vigia_proto::Released>(vigia_proto::paths::RELEASE, &r, Duration::from_secs(10))
            .await
        {
            Ok(_) => tracing::info!("released: {}", r.reason),
            Err(e) => tracing::warn!("cannot release ({}): {e}", r.reason),
        }
    }
    for image in &uploads {
        // Sent once per image and daemon: the next identity lists it.
        let body = axum::body::Bytes::from_owner(image.bytes.clone());
        match link
            .post_encoded::<vigia_proto::PartHeld>(
                vigia_proto::paths::PARTS,
                vigia_proto::PART_CONTENT_TYPE,
                body,
                Duration::from_secs(60),
            )
            .await
        {
            Ok(held) => tracing::info!(
                "part image {} sent to {} ({} bytes, {} hosts, {} services)",
                held.id,
                link.base,
                image.bytes.len(),
                held.hosts,
                held.services
            ),
            Err(e) => tracing::warn!("cannot send part image {} to {}: {e}", image.id, link.base),
        }
    }
    if let Some(h) = handover {
        let encoded = tokio::task::spawn_blocking(move || h.encode()).await;
        let sent = match encoded {
            Ok(Ok(bytes)) => link
                .post_encoded::<vigia_proto::HandoverHeld>(
                    vigia_proto::paths::HANDOVER,
                    vigia_proto::STANDBY_CONTENT_TYPE,
                    bytes,
                    Duration::from_secs(60),
                )
                .await
                .map_err(|e| e.to_string()),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = sent {
            // The assignment would be refused without it: both go again next round.
            tracing::warn!("cannot send the hand-over to {}: {e}", link.base);
            return;
        }
    }
    if let Some(asg) = resend {
        // A scheduler builds its engine before it answers: give it time. Others are small: a
        // daemon that does not take one quickly gets it again next round.
        let patience = match asg.work {
            Work::Scheduler(_) => Duration::from_secs(60),
            _ => Duration::from_secs(10),
        };
        match link
            .post::<_, AssignAck>(vigia_proto::paths::ASSIGN, &asg, patience)
            .await
        {
            Ok(ack) if ack.accepted => {
                tracing::info!("{} assigned (generation {})", asg.name, asg.generation);
                let mut a = shared.lock().await;
                let d = &mut a.dispatch;
                if let Some(st) = d.status.get_mut(index) {
                    st.assigned = true;
                    st.since = daemon::now();
                }
                // A hand-over is for this assignment only: a later restart of the master
                // resumes from its own state, not from this old copy.
                // So is a give-back by the stream: the master runs from its copy now.
                if let Work::Scheduler(w) = &asg.work {
                    if w.handover || w.from_copy {
                        let home = d.daemons.iter().position(|x| x.name == w.home);
                        if let Some(home) = home {
                            d.handover.remove(&home);
                            d.gave_back.remove(&home);
                        }
                        if let Some(Some(Assignment {
                            work: Work::Scheduler(w),
                            ..
                        })) = d.assignments.get_mut(index)
                        {
                            w.handover = false;
                            w.from_copy = false;
                        }
                    }
                }
            }
            Ok(ack) => tracing::warn!("{} refused its assignment: {}", asg.name, ack.message),
            Err(e) => tracing::warn!("cannot assign {}: {e}", asg.name),
        }
    }
}

/// Applies fail-over and fail-back decisions. A scheduler giving its part back is released
/// first and hands its final state over, so the master resumes exactly where it stopped.
async fn failover(shared: &Shared, secret: &crate::secret::Secrets) {
    let (moves, spares_changed) = {
        let a = shared.lock().await;
        let d = &a.dispatch;
        (decide(d, daemon::now()), d.standby_ok() != d.spare_ok)
    };
    if moves.is_empty() {
        if spares_changed {
            // A spare died or came back: the parts it followed get another standby.
            let mut a = shared.lock().await;
            match a.next_generation() {
                Ok(generation) => {
                    a.replan(generation);
                    a.dispatch.checked.iter_mut().for_each(|c| *c = None);
                }
                Err(e) => tracing::error!("cannot record a new generation: {e}"),
            }
        }
        return;
    }
    let (generation, arbiter, arbiter_generation, givers, planned_on) = {
        let mut a = shared.lock().await;
        let generation = match a.next_generation() {
            Ok(g) => g,
            Err(e) => {
                tracing::error!("cannot record a new generation: {e}; fail-over postponed");
                return;
            }
        };
        let d = &a.dispatch;
        // Spares giving work back, released below without the lock: a slow release must not
        // hold up health checks, heartbeats to a spare arbiter or the status API.
        let givers: Vec<Option<(DaemonLink, String)>> = moves
            .iter()
            .map(|m| {
                let from = &d.daemons[m.from];
                (m.to == m.home && from.spare && d.status[m.from].alive)
                    .then(|| (from.clone(), d.daemons[m.home].name.clone()))
            })
            .collect();
        (
            generation,
            a.name.clone(),
            a.counters.arbiter_generation,
            givers,
            d.config.clone(),
        )
    };
    // The spare stops first; its final state goes to the master as the last step of the state
    // stream the master follows, or else in the answer, sent on with the master's assignment.
    let mut released: Vec<Result<vigia_proto::Released, ()>> = Vec::new();
    for (m, giver) in moves.iter().zip(&givers) {
        let Some((from, home)) = giver else {
            released.push(Ok(vigia_proto::Released::default()));
            continue;
        };
        let release = vigia_proto::Release {
            arbiter: arbiter.clone(),
            arbiter_generation,
            generation,
            reason: m.reason.clone(),
            give_back_to: Some(home.clone()),
        };
        let link = Link::new(url(from), secret.clone());
        released.push(
            match link
                .post::<_, vigia_proto::Released>(vigia_proto::paths::RELEASE, &release, Duration::from_secs(30))
                .await
            {
                Ok(r) => Ok(r),
                Err(e) if e.is_down() => {
                    tracing::warn!("{} is gone while giving back: {e}", from.name);
                    Ok(vigia_proto::Released::default())
                }
                Err(e) => {
                    tracing::warn!("{} did not give its work back ({e}): it keeps it for now", from.name);
                    Err(())
                }
            },
        );
    }
    let mut a = shared.lock().await;
    if !Arc::ptr_eq(&a.dispatch.config, &planned_on) {
        // Reloaded meanwhile: the new configuration starts over with every master.
        return;
    }
    let mut applied = false;
    for (m, outcome) in moves.into_iter().zip(released) {
        let Ok(released) = outcome else { continue };
        let d = &mut a.dispatch;
        // Any move of the part ends a give-back still pending.
        d.gave_back.remove(&m.home);
        if let Some(state) = released.state {
            d.handover.insert(m.home, Arc::from(state));
        } else if released.streamed {
            // Newer than any state handed over before.
            d.handover.remove(&m.home);
            d.gave_back.insert(
                m.home,
                GaveBack {
                    giver: m.from,
                    running_id: d.status[m.home].running_id.clone(),
                },
            );
        }
        tracing::warn!("{}", m.reason);
        d.runner[m.home] = m.to;
        d.reasons.insert(m.home, m.reason.clone());
        d.events.push(HaEvent {
            at: daemon::now(),
            role: d.daemons[m.home].role,
            home: d.daemons[m.home].name.clone(),
            from: d.daemons[m.from].name.clone(),
            to: d.daemons[m.to].name.clone(),
            reason: m.reason,
        });
        d.checked[m.to] = None;
        applied = true;
    }
    if applied {
        a.replan(generation);
        // Everyone hears of the move in the next round, not at their next health check.
        a.dispatch.checked.iter_mut().for_each(|c| *c = None);
    }
}

/// The health loop: each daemon checked every `check_interval` seconds with its `timeout`;
/// after every round, fail-over and fail-back.
async fn watch(shared: Shared, secret: crate::secret::Secrets) {
    let mut links: BTreeMap<String, Link> = BTreeMap::new();
    // Checks still running, by daemon: a slow one (a large assignment) does not hold up the
    // others' checks, nor fail-over, and is not started twice.
    let mut running: BTreeMap<usize, tokio::task::JoinHandle<()>> = BTreeMap::new();
    loop {
        running.retain(|_, h| !h.is_finished());
        if !shared.lock().await.active {
            // A waiting spare arbiter commands nobody.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let targets: Vec<(usize, String, Duration)> = {
            let mut a = shared.lock().await;
            let d = &mut a.dispatch;
            let now = std::time::Instant::now();
            let mut due = Vec::new();
            for (i, dl) in d.daemons.iter().enumerate() {
                if dl.role == Role::Arbiter || !dl.active {
                    continue;
                }
                let every = plan::check_every(dl);
                // An unassigned daemon is looked at as often as possible: it may be waiting
                // for work.
                let waiting_for_work = d.assignments[i].is_some() && !d.status[i].assigned;
                // So is a master back while a spare runs its part: it gets the part back as
                // soon as its identity shows a live copy.
                let coming_back = dl.role == Role::Scheduler && d.runner[i] != i && d.status[i].alive;
                // A daemon that failed a check is checked again at once: a hung master is
                // declared dead after `max_check_attempts` timeouts back to back.
                let suspect = d.status[i].attempts > 0;
                if d.checked[i].is_some_and(|t| now.duration_since(t) < every)
                    && !waiting_for_work
                    && !suspect
                    && !coming_back
                {
                    continue;
                }
                if running.contains_key(&i) {
                    continue;
                }
                d.checked[i] = Some(now);
                due.push((i, url(dl), Duration::from_secs(u64::from(dl.timeout.max(1)))));
            }
            due
        };
        let mut started = Vec::new();
        for (i, base, timeout) in targets {
            let link = links
                .entry(base.clone())
                .or_insert_with(|| Link::new(base, secret.clone()))
                .clone();
            let shared = shared.clone();
            running.insert(
                i,
                tokio::spawn(async move { check_daemon(&shared, i, link, timeout).await }),
            );
            started.push(i);
        }
        // The round's verdicts, as far as they come within the health-check timeout.
        let until = tokio::time::Instant::now() + Duration::from_millis(1500);
        while tokio::time::Instant::now() < until
            && started.iter().any(|i| running.get(i).is_some_and(|h| !h.is_finished()))
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        failover(&shared, &secret).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn reload(shared: &Shared) -> ReloadOutcome {
    let path = shared.lock().await.options.config.clone();
    // Loading is CPU work on a possibly large tree: off the async threads.
    let loaded = tokio::task::spawn_blocking(move || load(&path)).await;
    let loaded = match loaded {
        Ok(r) => r,
        Err(e) => Err(vec![format!("configuration loader failed: {e}")]),
    };
    let mut a = shared.lock().await;
    match loaded {
        Ok(config) => match a.redispatch(config) {
            Ok(()) => {
                tracing::info!("configuration reloaded (hash {})", a.dispatch.config_hash);
                ReloadOutcome {
                    reloaded: true,
                    errors: Vec::new(),
                    config_hash: a.dispatch.config_hash.clone(),
                }
            }
            Err(e) => ReloadOutcome {
                reloaded: false,
                errors: vec![format!("cannot record generations: {e}")],
                config_hash: a.dispatch.config_hash.clone(),
            },
        },
        Err(errors) => {
            tracing::warn!(
                "reload refused: {} error(s); the running configuration stays",
                errors.len()
            );
            ReloadOutcome {
                reloaded: false,
                errors,
                config_hash: a.dispatch.config_hash.clone(),
            }
        }
    }
}

async fn status(shared: &Shared) -> ArbiterStatus {
    let a = shared.lock().await;
    ArbiterStatus {
        name: a.name.clone(),
        spare: a.spare,
        active: a.active,
        arbiter_generation: a.counters.arbiter_generation,
        config_hash: a.dispatch.config_hash.clone(),
        loaded_at: a.dispatch.loaded_at,
        daemons: a.dispatch.status.clone(),
        events: a.dispatch.events.clone(),
    }
}

/// Whether `r.name` still runs `r.home`'s part, as this arbiter planned it.
async fn validate(shared: &Shared, r: &vigia_proto::ValidateRequest) -> vigia_proto::Validity {
    use vigia_proto::Validity;
    let a = shared.lock().await;
    if !a.active {
        return Validity::NotLeading;
    }
    let d = &a.dispatch;
    let index = |name: &str| d.daemons.iter().position(|x| x.name == name);
    let (Some(me), Some(home)) = (index(&r.name), index(&r.home)) else {
        return Validity::Stale;
    };
    if d.runner.get(home) != Some(&me) {
        return Validity::Stale;
    }
    match d.assignments.get(me).and_then(|x| x.as_ref()) {
        Some(asg) if asg.generation == r.generation => Validity::Current,
        Some(_) => Validity::Pending,
        None => Validity::Stale,
    }
}

/// This arbiter's link: `--name`, else the one listening where we listen, else the master.
fn which_arbiter(config: &Config, options: &ArbiterOptions) -> anyhow::Result<Option<DaemonLink>> {
    let arbiters: Vec<&DaemonLink> = config.daemons.iter().filter(|d| d.role == Role::Arbiter).collect();
    if let Some(name) = &options.name {
        return arbiters
            .iter()
            .find(|d| &d.name == name)
            .map(|d| Some((*d).clone()))
            .ok_or_else(|| anyhow::anyhow!("--name {name}: no arbiter of that name in the configuration"));
    }
    let ip = options.listen.ip();
    let here = arbiters.iter().find(|d| {
        d.port == options.listen.port()
            && (ip.is_unspecified()
                || d.address.parse::<std::net::IpAddr>().is_ok_and(|a| a == ip)
                || d.address == "localhost" && ip.is_loopback())
    });
    Ok(here
        .or_else(|| arbiters.iter().find(|d| !d.spare))
        .map(|d| (*d).clone()))
}

/// Runs an arbiter until SIGTERM/SIGINT. Fails at start when the configuration is invalid.
pub async fn run(options: ArbiterOptions) -> anyhow::Result<()> {
    let _lock = crate::data_lock::lock(
        &options.data,
        Role::Arbiter,
        options.name.as_deref().unwrap_or("arbiter"),
    )?;
    let path = options.config.clone();
    let config = tokio::task::spawn_blocking(move || load(&path))
        .await?
        .map_err(|errors| anyhow::anyhow!("invalid configuration:\n{}", errors.join("\n")))?;
    let me = which_arbiter(&config, &options)?;
    let name = me
        .as_ref()
        .map_or_else(|| "arbiter-master".to_string(), |d| d.name.clone());
    let spare = me.as_ref().is_some_and(|d| d.spare);
    let peers: Vec<DaemonLink> = config
        .daemons
        .iter()
        .filter(|d| d.role == Role::Arbiter && d.name != name && d.active)
        .cloned()
        .collect();
    // A spare takes the lead after the master's silence of check_interval × max_check_attempts.
    let master_timeout = peers.iter().find(|p| !p.spare).map_or(Duration::from_secs(3), |m| {
        Duration::from_secs(u64::from(m.check_interval.max(1) * m.max_check_attempts.max(1)))
    });
    let mut counters = load_counters(&options.data)?;
    counters.arbiter_generation += 1;
    // The secret: --secret-file (or VIGIA_SECRET), else the configuration's `vigia_secret`.
    let secret = options
        .secret
        .clone()
        .or_else(|| config.globals.get("vigia_secret").cloned());
    let mut arbiter = Arbiter {
        name: name.clone(),
        options: options.clone(),
        counters,
        dispatch: Dispatch::new(config).map_err(|e| anyhow::anyhow!("cannot encode the parts: {e}"))?,
        active: !spare,
        spare,
        peers,
        heard: None,
    };
    let generation = arbiter.next_generation()?;
    arbiter.replan(generation);
    let shared: Shared = Arc::new(Mutex::new(arbiter));
    let state = DaemonState::new(DaemonOptions {
        role: Role::Arbiter,
        name: name.clone(),
        listen: options.listen,
        data: options.data.clone(),
        secret,
        security: options.security.clone(),
    });
    let secret = state.secrets();

    if spare {
        tracing::info!("arbiter {name}: spare, waiting for the master's heartbeat");
        tokio::spawn(peer::spare_loop(shared.clone(), master_timeout));
    } else {
        // Before the first dispatch: a spare that led meanwhile hands its view over first.
        let mut links = peer::PeerLinks::new();
        peer::beat_once(&shared, &secret, &mut links).await;
        tokio::spawn(peer::master_loop(shared.clone(), secret.clone(), links));
    }
    tokio::spawn(watch(shared.clone(), secret));
    let on_hup = shared.clone();
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            let outcome = reload(&on_hup).await;
            if !outcome.reloaded {
                for e in &outcome.errors {
                    tracing::warn!("{e}");
                }
            }
        }
    });

    let router = axum::Router::new()
        .route(
            vigia_proto::paths::STATUS,
            get(|State(s): State<Shared>| async move { Json(status(&s).await) }),
        )
        .route(vigia_proto::paths::RELOAD, post(reload_handler))
        .route(
            vigia_proto::paths::VALIDATE,
            post(
                |State(s): State<Shared>, Json(r): Json<vigia_proto::ValidateRequest>| async move {
                    Json(validate(&s, &r).await)
                },
            ),
        )
        .route(
            vigia_proto::paths::ARBITER_HEARTBEAT,
            post(
                |State(s): State<Shared>, Json(hb): Json<vigia_proto::ArbiterHeartbeat>| async move {
                    Json(peer::on_heartbeat(&s, hb).await)
                },
            ),
        )
        .route(vigia_proto::paths::RELOAD_UNVERSIONED, post(reload_handler))
        .with_state(shared);
    daemon::serve(state, router, daemon::stop_signal()).await
}

async fn reload_handler(State(s): State<Shared>) -> Result<Json<ReloadOutcome>, ApiError> {
    let outcome = reload(&s).await;
    if outcome.reloaded {
        Ok(Json(outcome))
    } else {
        Err(ApiError(StatusCode::BAD_REQUEST, outcome.errors.join("\n")))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use vigia_proto::{SchedulerLink, StandbyLink};

    pub(super) fn config(text: &str) -> Config {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("main.cfg"), text).expect("write");
        load(&dir.path().join("main.cfg")).expect("valid")
    }

    pub(super) const TWO_REALMS: &str = "define command {\n command_name c\n command_line /bin/true\n}\n\
        define realm {\n realm_name All\n default 1\n realm_members Europe\n}\ndefine realm {\n realm_name Europe\n}\n\
        define scheduler {\n scheduler_name s-all\n address 127.0.0.1\n port 7001\n realm All\n}\n\
        define scheduler {\n scheduler_name s-eu\n address 127.0.0.1\n port 7002\n realm Europe\n}\n\
        define scheduler {\n scheduler_name s-spare\n address 127.0.0.1\n port 7003\n realm All\n spare 1\n}\n\
        define poller {\n poller_name p-all\n realm All\n manage_sub_realms 0\n}\n\
        define poller {\n poller_name p-eu\n realm Europe\n}\n\
        define receiver {\n receiver_name r\n realm All\n manage_sub_realms 1\n}\n\
        define broker {\n broker_name b\n realm All\n manage_sub_realms 1\n}\n\
        define reactionner {\n reactionner_name re\n realm All\n manage_sub_realms 1\n}\n\
        define host {\n host_name a\n check_command c\n max_check_attempts 1\n realm All\n}\n\
        define host {\n host_name e\n check_command c\n max_check_attempts 1\n realm Europe\n}\n";

    /// The plan for `d` as it stands, by arbiter generation 1.
    pub(super) fn plan_of(d: &Dispatch, generation: u64) -> Vec<Option<Assignment>> {
        plan(&PlanInput {
            config: &d.config,
            images: &d.images,
            standby_of: &designate(&d.config, &d.runner, &d.standby_ok()),
            config_hash: &d.config_hash,
            runner: &d.runner,
            handover: &d.handover,
            gave_back: &d.gave_back,
            reasons: &d.reasons,
            arbiter: "arbiter",
            arbiter_generation: 1,
            generation,
            ha_events: &[],
        })
    }

    pub(super) fn names_of(links: &[StandbyLink]) -> Vec<String> {
        links.iter().map(|l| l.name.clone()).collect()
    }

    pub(super) fn alive(d: &mut Dispatch, name: &str, alive: bool, error: Option<&str>) {
        let i = d.daemons.iter().position(|x| x.name == name).expect("daemon");
        d.status[i].alive = alive;
        d.status[i].running_id = Some("seen".into());
        d.status[i].last_error = error.map(str::to_string);
    }

    pub(super) fn names(links: &[SchedulerLink]) -> Vec<String> {
        links.iter().map(|l| l.name.clone()).collect()
    }

    #[test]
    fn generations_survive_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        save_counters(
            dir.path(),
            &Counters {
                arbiter_generation: 3,
                assignment_generation: 9,
            },
        )
        .expect("save");
        let c = load_counters(dir.path()).expect("load");
        assert_eq!((c.arbiter_generation, c.assignment_generation), (3, 9));
        let none = load_counters(&dir.path().join("nothing")).expect("no file: zero");
        assert_eq!(none.assignment_generation, 0);
        assert!(!crate::durable::temp_path(&counters_path(dir.path())).exists());
    }

    #[test]
    fn a_damaged_generations_file_stops_the_arbiter_instead_of_starting_from_zero() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(counters_path(dir.path()), b"").expect("write");
        let e = load_counters(dir.path()).expect_err("refused").to_string();
        assert!(e.contains("arbiter-generations.json") && e.contains("damaged"), "{e}");
    }
}
