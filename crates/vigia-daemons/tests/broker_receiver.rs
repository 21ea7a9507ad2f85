//! A real broker and a real receiver against a scripted fake scheduler, in one tokio runtime.
//!
//! The fake is a test double for the peer (the real scheduler is written in parallel): it serves
//! `POST /v1/broks` from a script (an initial status built from its current state, then the
//! broks the test pushes) and records the bodies of `POST /v1/commands`. Every wait is a
//! condition polled until a deadline.
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use tokio::sync::oneshot;
use vigia_config::model::{HostId, Role, ServiceId};
use vigia_daemons::daemon::DaemonOptions;
use vigia_daemons::{broker, receiver};
use vigia_engine::brok::{Brok, BrokBody, BROK_VERSION};
use vigia_engine::status::{Item, StateType, Status, Switches};
use vigia_proto::{
    Assignment, BrokBatch, BrokRequest, BrokerWork, CommandBatch, CommandOutcome, CommandsAccepted, CommandsApplied,
    ItemView, QueueStatus, ReceiverWork, SchedulerLink, Work,
};

const DEADLINE: Duration = Duration::from_secs(20);
const SCHEDULER: &str = "scheduler-1";

// ---------------------------------------------------------------- the fake scheduler

#[derive(Default)]
struct Script {
    running_id: String,
    /// Every brok numbered so far (the initial sets it answered included, as the engine's).
    stream: Vec<Brok>,
    /// The current status of each object, for the next initial set.
    hosts: BTreeMap<u32, (String, Status)>,
    services: BTreeMap<u32, (String, String, Status)>,
    commands: Vec<String>,
    brokers_seen: Vec<String>,
    /// The last batch number applied (the scheduler's command mark for the receiver).
    mark: u64,
    /// Spares that do not take the state stream: `synced` stays where it is.
    spares_stuck: bool,
    synced: u64,
    /// Deliveries with no command (the receiver asking how far the spares are).
    asks: usize,
}

impl Script {
    fn next_seq(&self) -> u64 {
        self.stream.last().map_or(1, |b| b.seq + 1)
    }

    fn push(&mut self, body: BrokBody) {
        let seq = self.next_seq();
        self.stream.push(Brok {
            version: BROK_VERSION,
            seq,
            time: 1_700_000_000,
            body,
        });
    }

    fn initial_set(&mut self) -> Vec<Brok> {
        let first = self.next_seq();
        self.push(BrokBody::InitialBegin {
            hosts: self.hosts.len() as u32,
            services: self.services.len() as u32,
        });
        for (id, (name, status)) in self.hosts.clone() {
            self.push(BrokBody::InitialHostStatus {
                id: HostId(id),
                name,
                status,
            });
        }
        for (id, (host, description, status)) in self.services.clone() {
            self.push(BrokBody::InitialServiceStatus {
                id: ServiceId(id),
                host,
                description,
                status,
            });
        }
        self.push(BrokBody::InitialEnd);
        self.stream.iter().filter(|b| b.seq >= first).cloned().collect()
    }

    fn check_result(&mut self, service: u32, status: Status) {
        if let Some(s) = self.services.get_mut(&service) {
            s.2 = status.clone();
        }
        self.push(BrokBody::CheckResult {
            item: Item::Service(ServiceId(service)),
            status,
        });
    }
}

#[derive(Clone)]
struct Fake {
    script: Arc<Mutex<Script>>,
}

impl Fake {
    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap()
    }

    fn commands(&self) -> Vec<String> {
        self.script().commands.clone()
    }

    /// How many recorded commands contain `needle`.
    fn count(&self, needle: &str) -> usize {
        self.commands().iter().filter(|c| c.contains(needle)).count()
    }
}

async fn fake_broks(State(fake): State<Fake>, Json(req): Json<BrokRequest>) -> Json<BrokBatch> {
    let deadline = Instant::now() + Duration::from_millis(req.wait_ms.min(2000));
    loop {
        {
            let mut s = fake.script();
            s.brokers_seen.push(req.broker.clone());
            if req.after == 0 || req.running_id != s.running_id {
                let broks = s.initial_set();
                return Json(BrokBatch {
                    running_id: s.running_id.clone(),
                    generation: 1,
                    initial: true,
                    broks,
                });
            }
            let new: Vec<Brok> = s
                .stream
                .iter()
                .filter(|b| b.seq > req.after)
                .take(req.max)
                .cloned()
                .collect();
            if !new.is_empty() || Instant::now() >= deadline {
                return Json(BrokBatch {
                    running_id: s.running_id.clone(),
                    generation: 1,
                    initial: false,
                    broks: new,
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Applies each numbered batch once, as a scheduler's command marks do; its spares hold what
/// it applied unless the test holds them back.
async fn fake_commands(State(fake): State<Fake>, Json(batch): Json<CommandBatch>) -> Json<CommandsApplied> {
    let mut s = fake.script();
    let n = batch.commands.len();
    if n == 0 {
        s.asks += 1;
    }
    let mark = s.mark;
    let mut outcomes = Vec::with_capacity(n);
    for (line, number) in batch.commands.into_iter().zip(batch.batches) {
        let refused = line.contains("refuse-me");
        if number > mark {
            s.commands.push(line);
            s.mark = s.mark.max(number);
        }
        outcomes.push(CommandOutcome {
            ok: !refused,
            error: refused.then(|| "no such service".to_string()),
            not_mine: false,
        });
    }
    if !s.spares_stuck {
        s.synced = s.mark;
    }
    Json(CommandsApplied {
        outcomes,
        applied: s.mark,
        synced: s.synced,
    })
}

/// Serves the fake on `addr` (port 0: any) until the returned sender is used or dropped.
async fn serve_fake(fake: Fake, addr: SocketAddr) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    let listener = socket.listen(64).unwrap();
    let local = listener.local_addr().unwrap();
    let app = Router::new()
        .route(vigia_proto::paths::BROKS, post(fake_broks))
        .route(vigia_proto::paths::COMMANDS, post(fake_commands))
        .with_state(fake);
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (local, tx, handle)
}

// ---------------------------------------------------------------- helpers

fn switches() -> Switches {
    Switches {
        active_checks: true,
        passive_checks: true,
        notifications: true,
        event_handler: true,
        flap_detection: true,
    }
}

fn status(state: u8, hard: bool, output: &str) -> Status {
    let mut s = Status::new(state, switches());
    s.state_type = if hard { StateType::Hard } else { StateType::Soft };
    s.output = output.to_string();
    s.has_been_checked = true;
    s.last_check = 1_700_000_000;
    s
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn options(role: Role, data: &Path) -> DaemonOptions {
    let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    DaemonOptions {
        role,
        name: format!("{}-{listen}", role.name()),
        listen,
        data: data.to_path_buf(),
        secret: None,
        security: Default::default(),
    }
}

/// Polls `f` until it gives a value; panics with `what` at the deadline.
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Running {
    base: String,
    stop: oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.handle)
            .await
            .expect("daemon stops within 10 s")
            .unwrap()
            .unwrap();
    }
}

async fn wait_up(http: &reqwest::Client, base: &str) {
    eventually(&format!("{base} to answer"), || async {
        let r = http.get(format!("{base}/v1/identity")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
}

async fn start_broker(http: &reqwest::Client, data: &Path) -> Running {
    let o = options(Role::Broker, data);
    let base = format!("http://{}", o.listen);
    let (stop, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(broker::run_until(o, async move {
        let _ = rx.await;
    }));
    wait_up(http, &base).await;
    Running { base, stop, handle }
}

async fn start_receiver(http: &reqwest::Client, data: &Path) -> Running {
    start_receiver_at(http, data, std::time::SystemTime::now).await
}

/// A receiver whose wall clock is `clock`.
async fn start_receiver_at(http: &reqwest::Client, data: &Path, clock: fn() -> std::time::SystemTime) -> Running {
    let o = options(Role::Receiver, data);
    let base = format!("http://{}", o.listen);
    let (stop, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(receiver::run_until_with_clock(o, None, clock, async move {
        let _ = rx.await;
    }));
    wait_up(http, &base).await;
    Running { base, stop, handle }
}

fn link(url: &str) -> SchedulerLink {
    SchedulerLink {
        name: SCHEDULER.into(),
        url: url.into(),
        generation: 1,
        part_hash: "part-1".into(),
        image: String::new(),
        runner: String::new(),
    }
}

async fn assign(http: &reqwest::Client, base: &str, name: &str, work: Work) {
    let a = Assignment {
        arbiter: "arbiter-master".into(),
        arbiter_generation: 1,
        generation: 1,
        name: name.into(),
        config_hash: "hash".into(),
        work,
    };
    let r = http.post(format!("{base}/v1/assign")).json(&a).send().await.unwrap();
    assert!(
        r.status().is_success(),
        "assign: {} {}",
        r.status(),
        r.text().await.unwrap()
    );
}

async fn services(http: &reqwest::Client, base: &str) -> Option<Vec<ItemView>> {
    let r = http.get(format!("{base}/api/v1/services")).send().await.ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

async fn service_state(http: &reqwest::Client, base: &str, desc: &str) -> Option<ItemView> {
    services(http, base)
        .await?
        .into_iter()
        .find(|s| s.service_description.as_deref() == Some(desc))
}

async fn queued(http: &reqwest::Client, base: &str) -> Option<QueueStatus> {
    http.get(format!("{base}/api/v1/queue"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

async fn post_text(http: &reqwest::Client, base: &str, body: &str) -> (u16, String) {
    post_query(http, base, "", body).await
}

/// `POST /api/v1/commands?QUERY` with a text body.
async fn post_query(http: &reqwest::Client, base: &str, query: &str, body: &str) -> (u16, String) {
    let r = http
        .post(format!("{base}/api/v1/commands?{query}"))
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn write_fifo(path: PathBuf, line: String) {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.write_all(line.as_bytes()).unwrap();
    })
    .await
    .unwrap();
}

// ---------------------------------------------------------------- the test

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_and_receiver_against_a_scripted_scheduler() {
    let http = reqwest::Client::new();
    let broker_dir = tempfile::tempdir().unwrap();
    let receiver_dir = tempfile::tempdir().unwrap();

    let fake = Fake {
        script: Arc::new(Mutex::new(Script {
            running_id: "run-1".into(),
            ..Script::default()
        })),
    };
    {
        let mut s = fake.script();
        s.hosts.insert(0, ("web1".into(), status(0, true, "PING OK")));
        s.services
            .insert(0, ("web1".into(), "http".into(), status(0, true, "HTTP OK")));
        s.services
            .insert(1, ("web1".into(), "disk".into(), status(0, true, "DISK OK")));
    }
    let (fake_addr, fake_stop, fake_task) = serve_fake(fake.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let fake_url = format!("http://{fake_addr}");

    // ---- broker: 503 before any status, then the scripted status and log.
    let b = start_broker(&http, broker_dir.path()).await;
    let r = http.get(format!("{}/api/v1/services", b.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.text().await.unwrap().contains("no assignment"));
    assign(
        &http,
        &b.base,
        "broker-master",
        Work::Broker(BrokerWork {
            schedulers: vec![link(&fake_url)],
            ..Default::default()
        }),
    )
    .await;
    let http_ok = eventually("the initial status", || service_state(&http, &b.base, "http")).await;
    assert_eq!(http_ok.state, "OK");
    assert_eq!(http_ok.scheduler, SCHEDULER);
    assert!(fake.script().brokers_seen.iter().all(|n| n == "broker-master"));

    let alert = "[1700000100] SERVICE ALERT: web1;http;CRITICAL;HARD;3;HTTP CRITICAL - timeout";
    let notif = "[1700000100] SERVICE NOTIFICATION: admin;web1;http;CRITICAL;notify-by-email;HTTP CRITICAL - timeout";
    {
        let mut s = fake.script();
        let mut crit = status(2, true, "HTTP CRITICAL - timeout");
        crit.attempt = 3;
        s.check_result(0, crit);
        s.push(BrokBody::Log { line: alert.into() });
        s.push(BrokBody::Log { line: notif.into() });
    }
    let http_crit = eventually("the CRITICAL result", || async {
        service_state(&http, &b.base, "http")
            .await
            .filter(|s| s.state == "CRITICAL")
    })
    .await;
    assert_eq!(http_crit.state_id, 2);
    assert_eq!(http_crit.state_type, "HARD");
    assert_eq!(http_crit.attempt, 3);
    assert_eq!(http_crit.output, "HTTP CRITICAL - timeout");
    assert!(!http_crit.acknowledged && !http_crit.in_downtime);
    let problems: Vec<ItemView> = http
        .get(format!("{}/api/v1/problems", b.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].service_description.as_deref(), Some("http"));
    let log_path = broker_dir.path().join("vigia.log");
    eventually("the log lines in vigia.log", || async {
        let text = std::fs::read_to_string(&log_path).ok()?;
        (text.contains(&format!("{alert}\n")) && text.contains(&format!("{notif}\n"))).then_some(())
    })
    .await;

    // ---- receiver: 503 before the assignment, then HTTP and pipe commands delivered once.
    let r = start_receiver(&http, receiver_dir.path()).await;
    let (code, body) = post_text(&http, &r.base, "DISABLE_NOTIFICATIONS").await;
    assert_eq!(code, 503, "{body}");
    let host_owner = BTreeMap::from([("web1".to_string(), SCHEDULER.to_string())]);
    assign(
        &http,
        &r.base,
        "receiver-master",
        Work::Receiver(ReceiverWork {
            schedulers: vec![link(&fake_url)],
            host_owner: host_owner.clone(),
        }),
    )
    .await;
    let (code, body) = post_text(&http, &r.base, "PROCESS_HOST_CHECK_RESULT;web1;0;ok\nNOT_A_COMMAND;x\n").await;
    assert_eq!(code, 400);
    assert!(body.contains("line 2"), "{body}");
    let (code, body) = post_text(&http, &r.base, "PROCESS_SERVICE_CHECK_RESULT;web1;http;0;OK via http\n").await;
    assert_eq!(code, 202, "{body}");
    assert!(body.contains("\"accepted\":1"), "{body}");
    write_fifo(
        receiver_dir.path().join("vigia.cmd"),
        "[1700000200] ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1;1;ops;via the pipe\n".into(),
    )
    .await;
    eventually("both commands at the scheduler", || async {
        (fake.count("OK via http") >= 1 && fake.count("via the pipe") >= 1).then_some(())
    })
    .await;
    eventually("an empty queue", || async {
        queued(&http, &r.base).await.filter(|q| q.queued.is_empty())
    })
    .await;
    assert_eq!(fake.count("OK via http"), 1, "{:?}", fake.commands());
    assert_eq!(fake.count("via the pipe"), 1, "{:?}", fake.commands());
    assert!(fake.count("NOT_A_COMMAND") == 0 && fake.count(";ok") == 0);
    let http_cmd = fake.commands().into_iter().find(|c| c.contains("OK via http")).unwrap();
    assert!(
        http_cmd.starts_with('[') && http_cmd.contains("] PROCESS_SERVICE_CHECK_RESULT;web1;http;0;"),
        "{http_cmd}"
    );
    assert!(fake
        .commands()
        .contains(&"[1700000200] ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1;1;ops;via the pipe".to_string()));

    // ---- scheduler down: commands stay queued (HTTP, pipe and spool), and arrive once back.
    fake_stop.send(()).unwrap();
    fake_task.await.unwrap();
    let (code, body) = {
        let resp = http
            .post(format!("{}/api/v1/commands", r.base))
            .json(&serde_json::json!({"commands": ["PROCESS_HOST_CHECK_RESULT;web1;1;down while away"]}))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    };
    assert_eq!(code, 202, "{body}");
    write_fifo(
        receiver_dir.path().join("vigia.cmd"),
        "SCHEDULE_FORCED_SVC_CHECK;web1;disk;1700000300\n".into(),
    )
    .await;
    let spool = receiver_dir.path().join("checkresults");
    std::fs::write(
        spool.join("c000001"),
        "### Nagios Service Check Result ###\nhost_name=web1\nservice_description=disk\nreturn_code=1\noutput=DISK WARNING via spool\nfinish_time=1700000301.5\n",
    )
    .unwrap();
    std::fs::write(spool.join("c000001.ok"), "").unwrap();
    eventually("three commands queued for the stopped scheduler", || async {
        queued(&http, &r.base)
            .await
            .filter(|q| q.queued.get(SCHEDULER) == Some(&3))
    })
    .await;
    assert!(!spool.join("c000001").exists() && !spool.join("c000001.ok").exists());
    assert_eq!(
        fake.count("down while away") + fake.count("SCHEDULE_FORCED") + fake.count("via spool"),
        0
    );

    // The scheduler comes back on the same address, restarted: a new running id.
    {
        let mut s = fake.script();
        s.running_id = "run-2".into();
        s.stream.clear();
        let warn = status(1, true, "HTTP WARNING - slow");
        s.services.get_mut(&0).unwrap().2 = warn;
    }
    let (_, fake_stop, fake_task) = serve_fake(fake.clone(), fake_addr).await;
    eventually("the queued commands after the scheduler's return", || async {
        queued(&http, &r.base).await.filter(|q| q.queued.is_empty())
    })
    .await;
    assert_eq!(fake.count("down while away"), 1, "{:?}", fake.commands());
    assert_eq!(fake.count("SCHEDULE_FORCED_SVC_CHECK;web1;disk;1700000300"), 1);
    assert!(fake
        .commands()
        .contains(&"[1700000301] PROCESS_SERVICE_CHECK_RESULT;web1;disk;1;DISK WARNING via spool".to_string()));
    // The broker saw the restart and took the new initial status.
    eventually("the status after the scheduler restart", || async {
        service_state(&http, &b.base, "http")
            .await
            .filter(|s| s.state == "WARNING")
    })
    .await;

    // ---- receiver restart with commands queued for a scheduler that is down.
    fake_stop.send(()).unwrap();
    fake_task.await.unwrap();
    let (code, body) = post_text(
        &http,
        &r.base,
        "[1700000400] PROCESS_HOST_CHECK_RESULT;web1;0;survives restart",
    )
    .await;
    assert_eq!(code, 202, "{body}");
    r.stop().await;
    let r = start_receiver(&http, receiver_dir.path()).await;
    assert_eq!(queued(&http, &r.base).await.unwrap().queued.get(SCHEDULER), Some(&1));
    assign(
        &http,
        &r.base,
        "receiver-master",
        Work::Receiver(ReceiverWork {
            schedulers: vec![link(&fake_url)],
            host_owner,
        }),
    )
    .await;
    let (_, fake_stop, fake_task) = serve_fake(fake.clone(), fake_addr).await;
    eventually("the command queued before the receiver restart", || async {
        (fake.count("survives restart") >= 1).then_some(())
    })
    .await;
    eventually("an empty queue after the restart", || async {
        queued(&http, &r.base).await.filter(|q| q.queued.is_empty())
    })
    .await;
    assert_eq!(fake.count("survives restart"), 1);

    // ---- broker restart: the whole status comes back from the initial broks; the log goes on.
    b.stop().await;
    let b = start_broker(&http, broker_dir.path()).await;
    assign(
        &http,
        &b.base,
        "broker-master",
        Work::Broker(BrokerWork {
            schedulers: vec![link(&fake_url)],
            ..Default::default()
        }),
    )
    .await;
    let all = eventually("the status after the broker restart", || services(&http, &b.base)).await;
    let states: Vec<(String, String)> = all
        .iter()
        .map(|s| (s.service_description.clone().unwrap_or_default(), s.state.clone()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("disk".to_string(), "OK".to_string()),
            ("http".to_string(), "WARNING".to_string())
        ]
    );
    let after = "[1700000500] SERVICE ALERT: web1;http;OK;HARD;1;HTTP OK";
    fake.script().push(BrokBody::Log { line: after.into() });
    eventually("the new log line after the broker restart", || async {
        let text = std::fs::read_to_string(&log_path).ok()?;
        text.contains(after).then_some(text)
    })
    .await;
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(text.matches(alert).count(), 1, "{text}");

    b.stop().await;
    r.stop().await;
    fake_stop.send(()).unwrap();
    fake_task.await.unwrap();
}

/// A batch leaves the receiver's disk queue only once the scheduler says its spares hold it;
/// a scheduler whose engine lost applied batches (a spare that took over without them) gets
/// them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_keeps_a_batch_until_the_spares_hold_it() {
    let http = reqwest::Client::new();
    let receiver_dir = tempfile::tempdir().unwrap();
    let fake = Fake {
        script: Arc::new(Mutex::new(Script {
            running_id: "run-1".into(),
            spares_stuck: true,
            ..Script::default()
        })),
    };
    let (fake_addr, fake_stop, fake_task) = serve_fake(fake.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let r = start_receiver(&http, receiver_dir.path()).await;
    assign(
        &http,
        &r.base,
        "receiver-master",
        Work::Receiver(ReceiverWork {
            schedulers: vec![link(&format!("http://{fake_addr}"))],
            host_owner: BTreeMap::from([("web1".to_string(), SCHEDULER.to_string())]),
        }),
    )
    .await;

    // Applied, not on the spares: still queued while the receiver keeps asking.
    let (code, body) = post_text(&http, &r.base, "PROCESS_HOST_CHECK_RESULT;web1;0;first").await;
    assert_eq!(code, 202, "{body}");
    eventually("the first command applied and asked about twice", || async {
        let s = fake.script();
        (s.commands.len() == 1 && s.asks >= 2).then_some(())
    })
    .await;
    assert_eq!(queued(&http, &r.base).await.unwrap().queued.get(SCHEDULER), Some(&1));
    {
        let s = fake.script();
        assert!(s.synced < s.mark, "synced {} mark {}", s.synced, s.mark);
    }
    // A second command is not held up by the first one's wait.
    let (code, body) = post_text(&http, &r.base, "PROCESS_HOST_CHECK_RESULT;web1;1;second").await;
    assert_eq!(code, 202, "{body}");
    eventually("the second command applied", || async {
        (fake.count("second") == 1).then_some(())
    })
    .await;
    assert_eq!(queued(&http, &r.base).await.unwrap().queued.get(SCHEDULER), Some(&2));
    // Asked to wait for the spares, the receiver says when they do not have it in time.
    let (code, body) = post_query(&http, &r.base, "wait=0.5", "PROCESS_HOST_CHECK_RESULT;web1;0;waited").await;
    assert_eq!(code, 202, "{body}");
    let answer: CommandsAccepted = serde_json::from_str(&body).unwrap();
    assert_eq!((answer.accepted, answer.safe), (1, Some(false)), "{body}");
    for bad in ["wait=0", "wait=-1", "wait=soon"] {
        let (code, body) = post_query(&http, &r.base, bad, "DISABLE_NOTIFICATIONS").await;
        assert_eq!(code, 400, "{bad}: {body}");
    }

    // The engine that applied them is gone (a spare took over without the last step): the
    // batches above what the new engine applied come again, once.
    {
        let mut s = fake.script();
        s.mark = 0;
        s.synced = 0;
        s.spares_stuck = false;
    }
    eventually("the batches delivered again and then removed", || async {
        let q = queued(&http, &r.base).await?;
        (q.queued.is_empty() && fake.count("second") == 2 && fake.count("waited") == 2).then_some(())
    })
    .await;
    assert_eq!(fake.count("first"), 2, "{:?}", fake.commands());

    // Waiting, the answer comes once applied and on the spares, with what was refused.
    let (code, body) = post_query(
        &http,
        &r.base,
        "wait=20",
        "PROCESS_HOST_CHECK_RESULT;web1;0;kept\nPROCESS_HOST_CHECK_RESULT;web1;0;refuse-me",
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let answer: CommandsAccepted = serde_json::from_str(&body).unwrap();
    assert_eq!((answer.accepted, answer.safe), (2, Some(true)), "{body}");
    assert_eq!(answer.not_applied.len(), 1, "{body}");
    assert!(answer.not_applied[0].command.contains("refuse-me"), "{body}");
    assert!(answer.not_applied[0].reason.contains("no such service"), "{body}");
    assert_eq!(fake.count("kept"), 1);

    // The spares keep up: a command is removed as soon as it is delivered.
    let (code, body) = post_text(&http, &r.base, "PROCESS_HOST_CHECK_RESULT;web1;0;third").await;
    assert_eq!(code, 202, "{body}");
    eventually("the third command delivered and removed", || async {
        let q = queued(&http, &r.base).await?;
        (q.queued.is_empty() && fake.count("third") == 1).then_some(())
    })
    .await;
    assert_eq!(fake.count("first"), 2, "{:?}", fake.commands());

    r.stop().await;
    let _ = fake_stop.send(());
    let _ = fake_task.await;
}

/// A receiver restarted with its clock set back a day, its queue empty, still has its commands
/// applied: its batch numbers go on from where they were, not from the clock (numbered from
/// the clock, they were below the scheduler's mark and dropped as already applied).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_restarted_with_the_clock_set_back_still_has_its_commands_applied() {
    let http = reqwest::Client::new();
    let receiver_dir = tempfile::tempdir().unwrap();
    let fake = Fake {
        script: Arc::new(Mutex::new(Script {
            running_id: "run-1".into(),
            ..Script::default()
        })),
    };
    let (fake_addr, fake_stop, fake_task) = serve_fake(fake.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let work = Work::Receiver(ReceiverWork {
        schedulers: vec![link(&format!("http://{fake_addr}"))],
        host_owner: BTreeMap::from([("web1".to_string(), SCHEDULER.to_string())]),
    });
    fn today() -> std::time::SystemTime {
        std::time::UNIX_EPOCH + Duration::from_secs(1_900_000_000)
    }
    fn yesterday() -> std::time::SystemTime {
        today() - Duration::from_secs(86_400)
    }

    for (clock, command) in [(today as fn() -> _, "before"), (yesterday, "after")] {
        let r = start_receiver_at(&http, receiver_dir.path(), clock).await;
        assign(&http, &r.base, "receiver-master", work.clone()).await;
        let line = format!("PROCESS_HOST_CHECK_RESULT;web1;0;{command} the restart");
        let (code, body) = post_text(&http, &r.base, &line).await;
        assert_eq!(code, 202, "{body}");
        eventually(&format!("the command sent {command} the restart delivered"), || async {
            queued(&http, &r.base).await.filter(|q| q.queued.is_empty())
        })
        .await;
        r.stop().await;
    }
    assert_eq!(fake.count("before the restart"), 1, "{:?}", fake.commands());
    assert_eq!(
        fake.count("after the restart"),
        1,
        "dropped as already applied: {:?}",
        fake.commands()
    );
    let mark = fake.script().mark;
    assert!(mark > 1_900_000_000 * 1_000_000, "numbered above the first run: {mark}");

    let _ = fake_stop.send(());
    let _ = fake_task.await;
}

/// Two receivers on one data folder would deliver (and remove) the same queued batches: the
/// second refuses to start, naming the folder, and the first goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_daemon_on_the_same_data_folder_refuses_to_start() {
    let http = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    let r = start_receiver(&http, dir.path()).await;
    let second = receiver::run_until(options(Role::Receiver, dir.path()), None, async {});
    let e = tokio::time::timeout(DEADLINE, second)
        .await
        .expect("refused at once")
        .expect_err("a second receiver on the same folder");
    let text = e.to_string();
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("in use by another Vigia daemon (receiver"), "{text}");
    // Nor does a daemon of another role share it.
    let broker = broker::run_until(options(Role::Broker, dir.path()), async {});
    assert!(tokio::time::timeout(DEADLINE, broker).await.expect("at once").is_err());
    // The first one still answers.
    assert!(queued(&http, &r.base).await.is_some());
    r.stop().await;
    // Once it stopped, the folder is free again.
    let r = start_receiver(&http, dir.path()).await;
    r.stop().await;
}
