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
use vigia_config::model::{Config, DaemonId, DaemonLink, RealmId, Role};
use vigia_proto::{
    AssignAck, Assignment, BrokerWork, Identity, ReceiverWork, SatelliteWork, SchedulerLink, SchedulerWork, Work,
};

use crate::daemon::{self, ApiError, DaemonOptions, DaemonState};
use crate::link::Link;

/// How an arbiter is started.
#[derive(Clone, Debug)]
pub struct ArbiterOptions {
    pub config: PathBuf,
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub secret: Option<String>,
}

/// What `GET /v1/status` (and `vigia status`) shows for one daemon.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DaemonStatus {
    pub name: String,
    pub role: Role,
    pub address: String,
    pub port: u16,
    pub spare: bool,
    pub realm: String,
    /// Answered its last health check.
    pub alive: bool,
    /// Runs the assignment it was last sent.
    pub assigned: bool,
    pub generation: u64,
    pub running_id: Option<String>,
    /// Epoch seconds of the last change of `alive` or of the assignment.
    pub since: i64,
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArbiterStatus {
    pub name: String,
    pub arbiter_generation: u64,
    pub config_hash: String,
    pub loaded_at: i64,
    pub daemons: Vec<DaemonStatus>,
}

/// The answer to a reload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReloadOutcome {
    pub reloaded: bool,
    pub errors: Vec<String>,
    pub config_hash: String,
}

/// Generations kept on disk so they keep growing after a restart.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Counters {
    arbiter_generation: u64,
    assignment_generation: u64,
}

struct Dispatch {
    config_hash: String,
    loaded_at: i64,
    /// Per daemon (index into config.daemons): the assignment to run, `None` for a spare or an
    /// unused daemon.
    assignments: Vec<Option<Assignment>>,
    daemons: Vec<DaemonLink>,
    status: Vec<DaemonStatus>,
}

struct Arbiter {
    name: String,
    options: ArbiterOptions,
    counters: Counters,
    dispatch: Dispatch,
}

type Shared = Arc<Mutex<Arbiter>>;

fn counters_path(data: &Path) -> PathBuf {
    data.join("arbiter-generations.json")
}

fn load_counters(data: &Path) -> Counters {
    std::fs::read(counters_path(data))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_counters(data: &Path, counters: &Counters) -> anyhow::Result<()> {
    let tmp = data.join("arbiter-generations.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(counters)?)?;
    std::fs::rename(&tmp, counters_path(data))?;
    Ok(())
}

/// Loads the configuration; the error lists every problem as `file:line: message`.
pub fn load(path: &Path) -> Result<Config, Vec<String>> {
    vigia_config::load(path).map_err(|e| e.diagnostics.errors().map(|d| d.to_string()).collect())
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

fn url(d: &DaemonLink) -> String {
    format!("http://{}:{}", d.address, d.port)
}

/// Whether a satellite in `realm` (with `manage_sub_realms`) serves `target`.
fn serves(config: &Config, satellite: &DaemonLink, target: RealmId) -> bool {
    satellite.realm == target
        || (satellite.manage_sub_realms && vigia_config::split::is_below(config, target, satellite.realm))
}

/// Every daemon's work for this configuration, with generation `generation`.
fn plan(config: &Config, arbiter: &str, arbiter_generation: u64, generation: u64, secret: &Option<String>) -> Dispatch {
    let config_hash = config_hash(config);
    let config_json = serde_json::to_value(config).unwrap_or(serde_json::Value::Null);
    let mut assignments: Vec<Option<Assignment>> = vec![None; config.daemons.len()];
    let assignment = |name: &str, work: Work| Assignment {
        arbiter: arbiter.to_string(),
        arbiter_generation,
        generation,
        name: name.to_string(),
        config_hash: config_hash.clone(),
        secret: secret.clone(),
        work,
    };
    // Schedulers: one part each.
    let mut links: Vec<(RealmId, DaemonId, SchedulerLink)> = Vec::new();
    for part in &config.parts {
        let d = &config.daemons[part.scheduler.index()];
        let work = SchedulerWork {
            config: config_json.clone(),
            hosts: part.hosts.iter().map(|h| h.0).collect(),
            part_hash: part.hash.clone(),
        };
        assignments[part.scheduler.index()] = Some(assignment(&d.name, Work::Scheduler(work)));
        links.push((
            part.realm,
            part.scheduler,
            SchedulerLink { name: d.name.clone(), url: url(d), generation, part_hash: part.hash.clone() },
        ));
    }
    let schedulers_for = |d: &DaemonLink| -> Vec<SchedulerLink> {
        links.iter().filter(|(realm, _, _)| serves(config, d, *realm)).map(|(_, _, l)| l.clone()).collect()
    };
    for (i, d) in config.daemons.iter().enumerate() {
        if d.spare || !d.active {
            continue;
        }
        let work = match d.role {
            Role::Poller | Role::Reactionner => {
                let w = SatelliteWork {
                    schedulers: schedulers_for(d),
                    tags: if d.tags.is_empty() { vec!["None".to_string()] } else { d.tags.clone() },
                    max_concurrent: d.extra.get("max_concurrent").and_then(|v| v.parse().ok()).unwrap_or(64),
                };
                if d.role == Role::Poller {
                    Work::Poller(w)
                } else {
                    Work::Reactionner(w)
                }
            }
            Role::Broker => Work::Broker(BrokerWork { schedulers: schedulers_for(d) }),
            Role::Receiver => {
                let schedulers = schedulers_for(d);
                let mut host_owner = BTreeMap::new();
                for part in &config.parts {
                    let name = &config.daemons[part.scheduler.index()].name;
                    if schedulers.iter().any(|s| &s.name == name) {
                        for h in &part.hosts {
                            host_owner.insert(config.hosts[h.index()].name.clone(), name.clone());
                        }
                    }
                }
                Work::Receiver(ReceiverWork { schedulers, host_owner })
            }
            Role::Scheduler | Role::Arbiter => continue,
        };
        assignments[i] = Some(assignment(&d.name, work));
    }
    let now = daemon::now();
    let status = config
        .daemons
        .iter()
        .enumerate()
        .map(|(i, d)| DaemonStatus {
            name: d.name.clone(),
            role: d.role,
            address: d.address.clone(),
            port: d.port,
            spare: d.spare,
            realm: config.realms[d.realm.index()].name.clone(),
            alive: false,
            assigned: false,
            generation: assignments[i].as_ref().map_or(0, |a| a.generation),
            running_id: None,
            since: now,
            last_error: None,
        })
        .collect();
    Dispatch {
        config_hash,
        loaded_at: now,
        assignments,
        daemons: config.daemons.clone(),
        status,
    }
}

impl Arbiter {
    /// Plans a new dispatch for `config` with fresh generations and persists the counters.
    fn redispatch(&mut self, config: &Config) -> anyhow::Result<()> {
        self.counters.assignment_generation += 1;
        save_counters(&self.options.data, &self.counters)?;
        let secret = self.options.secret.clone().or_else(|| config.globals.get("vigia_secret").cloned());
        self.dispatch = plan(config, &self.name, self.counters.arbiter_generation, self.counters.assignment_generation, &secret);
        Ok(())
    }
}

/// Checks one daemon and sends it its assignment when it runs none or an older one.
async fn check_daemon(shared: &Shared, index: usize, link: Link, timeout: Duration) {
    // Only the generation: a scheduler's assignment holds the whole configuration, too big to
    // copy twice a second per daemon (it is cloned below only when it must be sent).
    let (expected, role) = {
        let a = shared.lock().await;
        (
            a.dispatch
                .assignments
                .get(index)
                .and_then(|asg| asg.as_ref().map(|asg| asg.generation)),
            a.dispatch.daemons.get(index).map(|d| d.role),
        )
    };
    if role == Some(Role::Arbiter) {
        return;
    }
    let result: Result<Identity, _> = link.get(vigia_proto::paths::IDENTITY, timeout).await;
    let resend = {
        let mut stale = false;
        let mut a = shared.lock().await;
        let Some(st) = a.dispatch.status.get_mut(index) else { return };
        match &result {
            Ok(id) => {
                if !st.alive || st.running_id.as_deref() != Some(id.running_id.as_str()) {
                    st.since = daemon::now();
                }
                st.alive = true;
                st.running_id = Some(id.running_id.clone());
                st.last_error = None;
                let running = id.assignment.as_ref().map(|s| s.generation);
                st.assigned = expected.is_some() && running == expected;
                stale = expected.is_some() && running != expected;
            }
            Err(e) => {
                if st.alive {
                    st.since = daemon::now();
                    tracing::warn!("{} {} is not answering: {e}", st.role.name(), st.name);
                }
                st.alive = false;
                st.assigned = false;
                st.last_error = Some(e.to_string());
            }
        }
        if stale {
            a.dispatch.assignments.get(index).cloned().flatten()
        } else {
            None
        }
    };
    if let Some(asg) = resend {
        // A whole configuration can be large: give the daemon time to take it.
        match link.post::<_, AssignAck>(vigia_proto::paths::ASSIGN, &asg, Duration::from_secs(60)).await {
            Ok(ack) if ack.accepted => {
                tracing::info!("{} assigned (generation {})", asg.name, asg.generation);
                let mut a = shared.lock().await;
                if let Some(st) = a.dispatch.status.get_mut(index) {
                    st.assigned = true;
                    st.since = daemon::now();
                }
            }
            Ok(ack) => tracing::warn!("{} refused its assignment: {}", asg.name, ack.message),
            Err(e) => tracing::warn!("cannot assign {}: {e}", asg.name),
        }
    }
}

/// The health loop: every daemon checked every `polling_interval` seconds (1 s at most here,
/// so a restarted daemon gets its work back quickly).
async fn watch(shared: Shared, secret: Option<String>) {
    let mut links: BTreeMap<String, Link> = BTreeMap::new();
    loop {
        let targets: Vec<(usize, String, Duration)> = {
            let a = shared.lock().await;
            a.dispatch
                .daemons
                .iter()
                .enumerate()
                .filter(|(_, d)| d.role != Role::Arbiter && d.active)
                .map(|(i, d)| (i, url(d), Duration::from_secs(u64::from(d.timeout.max(1)))))
                .collect()
        };
        let mut checks = Vec::new();
        for (i, base, timeout) in targets {
            let link = links.entry(base.clone()).or_insert_with(|| Link::new(base, secret.clone())).clone();
            let shared = shared.clone();
            checks.push(tokio::spawn(async move { check_daemon(&shared, i, link, timeout).await }));
        }
        for c in checks {
            let _ = c.await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
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
        Ok(config) => match a.redispatch(&config) {
            Ok(()) => {
                tracing::info!("configuration reloaded (hash {})", a.dispatch.config_hash);
                ReloadOutcome { reloaded: true, errors: Vec::new(), config_hash: a.dispatch.config_hash.clone() }
            }
            Err(e) => ReloadOutcome {
                reloaded: false,
                errors: vec![format!("cannot record generations: {e}")],
                config_hash: a.dispatch.config_hash.clone(),
            },
        },
        Err(errors) => {
            tracing::warn!("reload refused: {} error(s); the running configuration stays", errors.len());
            ReloadOutcome { reloaded: false, errors, config_hash: a.dispatch.config_hash.clone() }
        }
    }
}

async fn status(shared: &Shared) -> ArbiterStatus {
    let a = shared.lock().await;
    ArbiterStatus {
        name: a.name.clone(),
        arbiter_generation: a.counters.arbiter_generation,
        config_hash: a.dispatch.config_hash.clone(),
        loaded_at: a.dispatch.loaded_at,
        daemons: a.dispatch.status.clone(),
    }
}

/// Runs an arbiter until SIGTERM/SIGINT. Fails at start when the configuration is invalid.
pub async fn run(options: ArbiterOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.data)
        .map_err(|e| anyhow::anyhow!("cannot create data folder {}: {e}", options.data.display()))?;
    let path = options.config.clone();
    let config = tokio::task::spawn_blocking(move || load(&path))
        .await?
        .map_err(|errors| anyhow::anyhow!("invalid configuration:\n{}", errors.join("\n")))?;
    let name = config
        .daemons
        .iter()
        .find(|d| d.role == Role::Arbiter && !d.spare)
        .map_or_else(|| "arbiter-master".to_string(), |d| d.name.clone());
    let mut counters = load_counters(&options.data);
    counters.arbiter_generation += 1;
    let secret = options.secret.clone().or_else(|| config.globals.get("vigia_secret").cloned());
    let mut arbiter = Arbiter {
        name: name.clone(),
        options: options.clone(),
        counters,
        dispatch: plan(&config, &name, 0, 0, &secret),
    };
    arbiter.redispatch(&config)?;
    drop(config);
    let shared: Shared = Arc::new(Mutex::new(arbiter));
    let state = DaemonState::new(DaemonOptions {
        role: Role::Arbiter,
        name,
        listen: options.listen,
        data: options.data.clone(),
        secret: secret.clone(),
    });

    tokio::spawn(watch(shared.clone(), secret));
    let on_hup = shared.clone();
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else { return };
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
        .route("/v1/status", get(|State(s): State<Shared>| async move { Json(status(&s).await) }))
        .route("/v1/reload", post(reload_handler))
        .route("/reload", post(reload_handler))
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
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("main.cfg"), text).expect("write");
        load(&dir.path().join("main.cfg")).expect("valid")
    }

    const TWO_REALMS: &str = "define command {\n command_name c\n command_line /bin/true\n}\n\
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

    #[test]
    fn each_daemon_gets_the_schedulers_of_its_realms() {
        let c = config(TWO_REALMS);
        let d = plan(&c, "arbiter", 1, 7, &None);
        let work = |name: &str| {
            let i = c.daemons.iter().position(|d| d.name == name).expect("daemon");
            d.assignments[i].as_ref().map(|a| a.work.clone())
        };
        let names = |links: &[SchedulerLink]| links.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
        match work("p-all") {
            Some(Work::Poller(w)) => assert_eq!(names(&w.schedulers), ["s-all"]),
            other => panic!("{other:?}"),
        }
        match work("p-eu") {
            Some(Work::Poller(w)) => assert_eq!(names(&w.schedulers), ["s-eu"]),
            other => panic!("{other:?}"),
        }
        match work("r") {
            Some(Work::Receiver(w)) => {
                assert_eq!(names(&w.schedulers), ["s-all", "s-eu"]);
                assert_eq!(w.host_owner.get("e").map(String::as_str), Some("s-eu"));
                assert_eq!(w.host_owner.get("a").map(String::as_str), Some("s-all"));
            }
            other => panic!("{other:?}"),
        }
        match work("s-eu") {
            Some(Work::Scheduler(w)) => assert_eq!(w.hosts.len(), 1),
            other => panic!("{other:?}"),
        }
        assert!(work("s-spare").is_none(), "a spare waits");
        assert!(d.assignments.iter().flatten().all(|a| a.generation == 7 && a.arbiter_generation == 1));
    }

    #[test]
    fn generations_survive_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        save_counters(dir.path(), &Counters { arbiter_generation: 3, assignment_generation: 9 }).expect("save");
        let c = load_counters(dir.path());
        assert_eq!((c.arbiter_generation, c.assignment_generation), (3, 9));
        assert_eq!(load_counters(&dir.path().join("nothing")).assignment_generation, 0);
    }
}
