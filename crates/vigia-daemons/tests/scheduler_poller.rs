//! A scheduler, a poller and a reactionner in one runtime on loopback, given hand-made
//! assignments: a failing check goes CRITICAL SOFT then HARD in the scheduler's broks, and the
//! reactionner runs the notification command (which writes a file). Then the scheduler is
//! stopped and started again on the same data folder: the state comes back from retention.
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use std::sync::Arc;
use vigia_config::model::Role;
use vigia_daemons::daemon::DaemonOptions;
use vigia_daemons::link::{Link, LinkError};
use vigia_engine::brok::{Brok, BrokBody};
use vigia_engine::{Item, StateType};
use vigia_proto::{
    paths, ActionClass, AssignAck, Assignment, BrokBatch, BrokRequest, CommandBatch, CommandsApplied, FetchRequest,
    Handover, HandoverHeld, Identity, PartHeld, PartImage, Release, Released, SatelliteWork, SchedulerLink,
    SchedulerWork, Stale, Work, PART_CONTENT_TYPE, STANDBY_CONTENT_TYPE,
};

/// Generous: the suite runs on a loaded 2-core machine.
const DEADLINE: Duration = Duration::from_secs(90);
const HTTP: Duration = Duration::from_secs(20);

fn objects(notify: &Path) -> String {
    format!(
        "define timeperiod {{\n timeperiod_name 24x7\n sunday 00:00-24:00\n monday 00:00-24:00\n tuesday 00:00-24:00\n wednesday 00:00-24:00\n thursday 00:00-24:00\n friday 00:00-24:00\n saturday 00:00-24:00\n}}\n\
define command {{\n command_name failing\n command_line /bin/sh -c 'echo CRITICAL - it is broken && exit 2'\n}}\n\
define command {{\n command_name notify-file\n command_line /bin/sh -c 'echo \"$NOTIFICATIONTYPE$ $HOSTNAME$ $SERVICEDESC$ $SERVICESTATE$\" >> {notify}'\n}}\n\
define contact {{\n contact_name admin\n host_notification_period 24x7\n service_notification_period 24x7\n host_notification_options d,r\n service_notification_options w,c,r\n host_notification_commands notify-file\n service_notification_commands notify-file\n}}\n\
define host {{\n host_name web1\n max_check_attempts 1\n check_period 24x7\n notification_period 24x7\n contacts admin\n}}\n\
define host {{\n host_name db1\n max_check_attempts 1\n check_period 24x7\n notification_period 24x7\n contacts admin\n}}\n\
define service {{\n host_name web1\n service_description http\n check_command failing\n max_check_attempts 2\n check_interval 1\n retry_interval 1\n check_period 24x7\n notification_period 24x7\n notification_interval 0\n contacts admin\n}}\n\
define service {{\n host_name web1\n service_description backup\n check_command failing\n active_checks_enabled 0\n passive_checks_enabled 1\n max_check_attempts 1\n check_interval 3600\n check_period 24x7\n notification_period 24x7\n notifications_enabled 0\n contacts admin\n}}\n",
        notify = notify.display()
    )
}

fn load(dir: &Path, notify: &Path) -> vigia_config::Config {
    let main = dir.join("main.cfg");
    std::fs::write(
        &main,
        "cfg_file=objects.cfg\ninterval_length=1\nmax_host_check_spread=0\nmax_service_check_spread=0\n",
    )
    .expect("write main.cfg");
    std::fs::write(dir.join("objects.cfg"), objects(notify)).expect("write objects.cfg");
    vigia_config::load(&main).unwrap_or_else(|e| panic!("config: {:#?}", e.diagnostics.items))
}

/// The part of `config` holding `hosts`, as the arbiter ships it: the part's configuration and
/// its image.
fn part_of(config: &vigia_config::Config, hosts: &[&str]) -> (vigia_config::Config, PartImage) {
    let mut part = config.parts[0].clone();
    part.hosts = config
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| hosts.contains(&h.name.as_str()))
        .map(|(i, _)| vigia_config::model::HostId(i as u32))
        .collect();
    part.services = part.hosts.iter().map(|h| config.hosts[h.index()].services.len()).sum();
    let sub = vigia_config::part::part_config(config, &part);
    let image = PartImage::encode(&sub).expect("encode");
    (sub, image)
}

/// A service of a part's configuration, by description.
fn service(config: &vigia_config::Config, description: &str) -> Item {
    config
        .services
        .iter()
        .position(|s| &*s.description == description)
        .map(|i| Item::Service(vigia_config::model::ServiceId(i as u32)))
        .expect("service")
}

/// Makes `backup` on web1 CRITICAL and acknowledged through external commands.
async fn backup_critical_and_acknowledged(link: &Link) {
    let now = jiff::Timestamp::now().as_second();
    let commands = CommandBatch {
        commands: vec![
            format!("[{now}] PROCESS_SERVICE_CHECK_RESULT;web1;backup;2;CRITICAL - no backup"),
            format!("[{now}] ACKNOWLEDGE_SVC_PROBLEM;web1;backup;2;1;1;admin;looking at it"),
        ],
        ..Default::default()
    };
    let applied: CommandsApplied = link.post(paths::COMMANDS, &commands, HTTP).await.expect("commands");
    let outcomes = applied.outcomes;
    assert!(outcomes.iter().all(|o| o.ok), "{outcomes:?}");
}

/// Sends a part image, then the assignment that names it: what the arbiter does for a master.
async fn run_part(link: &Link, image: &PartImage, generation: u64) {
    send_part(link, image).await;
    let work = SchedulerWork {
        image: image.id.clone(),
        part_hash: image.id.clone(),
        ..Default::default()
    };
    assign(
        link,
        &assignment("scheduler-test", generation, "conf", Work::Scheduler(work)),
    )
    .await;
}

/// Sends a part image, as the arbiter does before the assignment naming it.
async fn send_part(link: &Link, image: &PartImage) {
    let held: PartHeld = link
        .post_encoded(paths::PARTS, PART_CONTENT_TYPE, image.bytes.to_vec(), HTTP)
        .await
        .expect("part image taken");
    assert_eq!(held.id, image.id);
}

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr")
}

fn options(role: Role, name: &str, listen: SocketAddr, data: &Path) -> DaemonOptions {
    DaemonOptions {
        role,
        name: name.to_string(),
        listen,
        data: data.to_path_buf(),
        secret: None,
        security: Default::default(),
    }
}

/// A daemon running in this runtime, stopped by dropping the sender.
struct Running {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    fn start(options: DaemonOptions) -> Running {
        let url = format!("http://{}", options.listen);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = rx.await;
        };
        let task = match options.role {
            Role::Scheduler => tokio::spawn(vigia_daemons::scheduler::run_until(options, shutdown)),
            _ => tokio::spawn(vigia_daemons::satellite::run_until(options, shutdown)),
        };
        Running {
            url,
            stop: Some(tx),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match tokio::time::timeout(Duration::from_secs(60), &mut self.task).await {
            Ok(Ok(Ok(()))) => {}
            other => panic!("daemon {} did not stop cleanly: {other:?}", self.url),
        }
    }

    fn link(&self) -> Link {
        Link::new(self.url.clone(), None)
    }
}

async fn wait_up(link: &Link) {
    let start = Instant::now();
    loop {
        if link
            .get::<Identity>(paths::IDENTITY, Duration::from_secs(2))
            .await
            .is_ok()
        {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "{} never answered", link.base);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assignment(name: &str, generation: u64, config_hash: &str, work: Work) -> Assignment {
    Assignment {
        arbiter: "test-arbiter".into(),
        arbiter_generation: 1,
        generation,
        name: name.into(),
        config_hash: config_hash.into(),
        work,
    }
}

async fn assign(link: &Link, a: &Assignment) -> AssignAck {
    let ack: AssignAck = link
        .post(paths::ASSIGN, a, Duration::from_secs(60))
        .await
        .expect("assignment accepted");
    assert!(ack.accepted, "{ack:?}");
    ack
}

/// A broker's view of the scheduler, from broks only.
struct Follower {
    link: Link,
    running_id: String,
    after: u64,
    log: Vec<String>,
    /// (state, state type) of the watched service after each check result, in order.
    results: Vec<(u8, StateType)>,
    initial_state: Option<(u8, StateType, bool)>,
    initials: usize,
    polls: u64,
}

impl Follower {
    fn new(link: Link) -> Follower {
        Follower {
            link,
            running_id: String::new(),
            after: 0,
            log: Vec::new(),
            results: Vec::new(),
            initial_state: None,
            initials: 0,
            polls: 0,
        }
    }

    async fn poll(&mut self, watched: Item) {
        let req = BrokRequest {
            broker: "test-broker".into(),
            running_id: self.running_id.clone(),
            after: self.after,
            wait_ms: 500,
            max: 10_000,
        };
        // Every other pull in postcard, as the broker asks: the stream must read the same in both.
        self.polls += 1;
        let batch: BrokBatch = if self.polls.is_multiple_of(2) {
            let (content_type, bytes) = self
                .link
                .call_accepting::<vigia_proto::endpoint::Broks>(&req, vigia_proto::BROKS_CONTENT_TYPE, HTTP)
                .await
                .unwrap_or_else(|e| panic!("broks in postcard: {e}"));
            assert_eq!(content_type.as_deref(), Some(vigia_proto::BROKS_CONTENT_TYPE));
            BrokBatch::decode(&bytes).unwrap_or_else(|e| panic!("{e}"))
        } else {
            match self.link.post(paths::BROKS, &req, HTTP).await {
                Ok(b) => b,
                Err(e) => panic!("broks: {e}"),
            }
        };
        if batch.initial {
            self.initials += 1;
        }
        self.running_id = batch.running_id.clone();
        let mut last = self.after;
        for b in batch.broks {
            if !batch.initial {
                assert_eq!(b.seq, last + 1, "no gap and no duplicate in the stream");
            }
            last = b.seq;
            self.apply(b, watched);
        }
        self.after = last;
    }

    fn apply(&mut self, b: Brok, watched: Item) {
        match b.body {
            BrokBody::Log { line } => self.log.push(line),
            BrokBody::CheckResult { item, status } if item == watched => {
                self.results.push((status.state, status.state_type));
            }
            BrokBody::InitialServiceStatus { id, status, .. } if Item::Service(id) == watched => {
                self.initial_state = Some((status.state, status.state_type, status.acknowledgement.is_some()));
            }
            _ => {}
        }
    }

    /// Polls until `cond` holds.
    async fn until(&mut self, what: &str, watched: Item, cond: impl Fn(&Follower) -> bool) {
        let start = Instant::now();
        while !cond(self) {
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; log so far: {:#?}",
                self.log
            );
            self.poll(watched).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_goes_soft_then_hard_and_the_reactionner_notifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let notify = dir.path().join("notified.txt");
    let config = load(dir.path(), &notify);
    // The scheduler owns web1 only; db1 belongs to another (imaginary) scheduler.
    let (part, image) = part_of(&config, &["web1"]);
    let http = service(&part, "http");

    let sched = Running::start(options(
        Role::Scheduler,
        "scheduler-test",
        free_port(),
        &dir.path().join("sched"),
    ));
    let poller = Running::start(options(
        Role::Poller,
        "poller-test",
        free_port(),
        &dir.path().join("poller"),
    ));
    let react = Running::start(options(
        Role::Reactionner,
        "reactionner-test",
        free_port(),
        &dir.path().join("react"),
    ));
    for d in [&sched, &poller, &react] {
        wait_up(&d.link()).await;
    }

    let part_hash = "part-web1".to_string();
    let work = SchedulerWork {
        image: image.id.clone(),
        part_hash: part_hash.clone(),
        ..Default::default()
    };
    // Named before it is sent: refused, and nothing changes.
    match sched
        .link()
        .post::<_, AssignAck>(
            paths::ASSIGN,
            &assignment("scheduler-test", 1, "conf-1", Work::Scheduler(work.clone())),
            HTTP,
        )
        .await
    {
        Err(LinkError::Refused { status: 412, body, .. }) => assert!(body.contains(&image.id), "{body}"),
        other => panic!("expected 412 for a part image not sent, got {other:?}"),
    }
    // A bad image is refused with what is wrong; the scheduler keeps nothing of it.
    let mut corrupt = image.bytes.to_vec();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    let mut unknown_format = image.bytes.to_vec();
    unknown_format[8] = 99;
    for (bad, why) in [
        (corrupt, "corrupt"),
        (image.bytes[..image.bytes.len() / 2].to_vec(), "truncated"),
        (unknown_format, "format 99 is not supported"),
        (b"{\"config\": {}}".to_vec(), "not a part image"),
    ] {
        match sched
            .link()
            .post_encoded::<PartHeld>(paths::PARTS, PART_CONTENT_TYPE, bad, HTTP)
            .await
        {
            Err(LinkError::Refused { status: 400, body, .. }) => assert!(body.contains(why), "{why}: {body}"),
            other => panic!("expected 400 ({why}), got {other:?}"),
        }
    }
    let id: Identity = sched.link().get(paths::IDENTITY, HTTP).await.expect("identity");
    assert!(id.parts.is_empty() && id.assignment.is_none(), "{id:?}");
    send_part(&sched.link(), &image).await;
    let id: Identity = sched.link().get(paths::IDENTITY, HTTP).await.expect("identity");
    assert_eq!(id.parts, vec![image.id.clone()], "the arbiter sees what is held");
    assign(
        &sched.link(),
        &assignment("scheduler-test", 1, "conf-1", Work::Scheduler(work.clone())),
    )
    .await;
    let link = SchedulerLink {
        name: "scheduler-test".into(),
        url: sched.url.clone(),
        generation: 1,
        part_hash: part_hash.clone(),
        image: String::new(),
        runner: String::new(),
    };
    let sat = |max| SatelliteWork {
        schedulers: vec![link.clone()],
        tags: vec!["None".into()],
        max_concurrent: max,
    };
    assign(
        &poller.link(),
        &assignment("poller-test", 1, "conf-1", Work::Poller(sat(4))),
    )
    .await;
    assign(
        &react.link(),
        &assignment("reactionner-test", 1, "conf-1", Work::Reactionner(sat(2))),
    )
    .await;

    let mut broker = Follower::new(sched.link());
    broker.poll(http).await;
    assert_eq!(broker.initials, 1, "a new broker gets the initial status first");
    broker
        .until("CRITICAL SOFT then HARD", http, |f| {
            let soft = f.results.iter().position(|r| *r == (2, StateType::Soft));
            let hard = f.results.iter().position(|r| *r == (2, StateType::Hard));
            matches!((soft, hard), (Some(s), Some(h)) if s < h)
        })
        .await;
    assert_eq!(
        broker.initials, 1,
        "a broker that follows the sequence is never sent the initial status again"
    );
    broker
        .until("the alert lines", http, |f| {
            f.log
                .iter()
                .any(|l| l.contains("SERVICE ALERT: web1;http;CRITICAL;SOFT;1;CRITICAL - it is broken"))
                && f.log
                    .iter()
                    .any(|l| l.contains("SERVICE ALERT: web1;http;CRITICAL;HARD;2;"))
        })
        .await;

    // The reactionner ran the notification command, which wrote the file.
    let start = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&notify).unwrap_or_default();
        if text.contains("PROBLEM web1 http CRITICAL") {
            break text;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "no notification written; log: {:#?}",
            broker.log
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        text.lines().filter(|l| l.starts_with("PROBLEM web1 http")).count(),
        1,
        "notified once: {text}"
    );

    // External commands: applied to what the scheduler owns, `not_mine` for the rest.
    let now = jiff::Timestamp::now().as_second();
    let batch = CommandBatch {
        commands: vec![
            format!("[{now}] PROCESS_SERVICE_CHECK_RESULT;web1;backup;1;WARNING - backup is old"),
            format!("[{now}] PROCESS_HOST_CHECK_RESULT;db1;1;down"),
            "NO_SUCH_COMMAND;x".into(),
        ],
        ..Default::default()
    };
    let applied: CommandsApplied = sched
        .link()
        .post(paths::COMMANDS, &batch, HTTP)
        .await
        .expect("commands");
    let outcomes = applied.outcomes;
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes[0].ok, "{:?}", outcomes[0]);
    assert!(!outcomes[1].ok && outcomes[1].not_mine, "{:?}", outcomes[1]);
    assert!(!outcomes[2].ok && !outcomes[2].not_mine, "{:?}", outcomes[2]);

    // A reload that leaves the part as it was: the same image, so nothing is rebuilt and the
    // brokers are not sent the whole status again.
    assign(
        &sched.link(),
        &assignment("scheduler-test", 2, "conf-2", Work::Scheduler(work)),
    )
    .await;
    broker.poll(http).await;
    assert_eq!(broker.initials, 1, "an unchanged part is not rebuilt");
    // A reload that changes the part (db1 joins it): a new image, a new engine, the state kept.
    let (bigger, image2) = part_of(&config, &["web1", "db1"]);
    assert_ne!(image2.id, image.id);
    let http = service(&bigger, "http");
    run_part(&sched.link(), &image2, 3).await;
    // A worker still on an older generation is told so (409 + Stale), after a reload.
    let stale_fetch = FetchRequest {
        worker: "old-poller".into(),
        class: ActionClass::Checks,
        tags: vec!["None".into()],
        max: 10,
        wait_ms: 0,
        generation: 1,
    };
    match sched
        .link()
        .post::<_, serde_json::Value>(paths::FETCH, &stale_fetch, HTTP)
        .await
    {
        Err(LinkError::Refused { status: 409, body, .. }) => {
            let stale: Stale = serde_json::from_str(&body).expect("a Stale body");
            assert_eq!(stale.current_generation, 3);
        }
        other => panic!("expected 409 Stale, got {other:?}"),
    }
    // The reload kept the state: the brokers start over with it.
    broker.poll(http).await;
    assert_eq!(broker.initials, 2, "a new engine means a new initial status");
    assert_eq!(
        broker.initial_state.map(|s| (s.0, s.1)),
        Some((2, StateType::Hard)),
        "state kept across the reload"
    );

    react.stop().await;
    poller.stop().await;
    sched.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_scheduler_resumes_from_its_retention_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = load(dir.path(), &dir.path().join("unused.txt"));
    let (part, image) = part_of(&config, &["web1"]);
    let backup = service(&part, "backup");
    let data = dir.path().join("sched");
    let listen = free_port();

    let sched = Running::start(options(Role::Scheduler, "scheduler-test", listen, &data));
    wait_up(&sched.link()).await;
    run_part(&sched.link(), &image, 1).await;
    backup_critical_and_acknowledged(&sched.link()).await;
    sched.stop().await;

    let sched = Running::start(options(Role::Scheduler, "scheduler-test", listen, &data));
    wait_up(&sched.link()).await;
    run_part(&sched.link(), &image, 1).await;
    let mut broker = Follower::new(sched.link());
    broker
        .until("the initial status", backup, |f| f.initial_state.is_some())
        .await;
    assert_eq!(
        broker.initial_state,
        Some((2, StateType::Hard, true)),
        "state and acknowledgement kept"
    );
    sched.stop().await;

    // A damaged retention file is set aside: the scheduler starts fresh instead of failing.
    std::fs::write(data.join("retention.redb"), b"garbage, not a database").expect("damage");
    let sched = Running::start(options(Role::Scheduler, "scheduler-test", listen, &data));
    wait_up(&sched.link()).await;
    run_part(&sched.link(), &image, 1).await;
    let mut broker = Follower::new(sched.link());
    broker
        .until("the initial status", backup, |f| f.initial_state.is_some())
        .await;
    assert_eq!(broker.initial_state.map(|s| s.0), Some(0), "fresh state");

    // A give-back: the running scheduler is released with its state (a result and an ack),
    // and another one is assigned the part with that state handed over (postcard, ahead of the
    // assignment). Without it the assignment is refused; with it the state is the spare's.
    backup_critical_and_acknowledged(&sched.link()).await;
    let release = Release {
        arbiter: "test-arbiter".into(),
        arbiter_generation: 1,
        generation: 2,
        reason: "giving back".into(),
        give_back_to: None,
    };
    let released: Released = sched
        .link()
        .post(paths::RELEASE, &release, HTTP)
        .await
        .expect("released");
    let state = released.state.expect("a released scheduler hands its state over");
    sched.stop().await;
    let master = Running::start(options(
        Role::Scheduler,
        "scheduler-test",
        free_port(),
        &dir.path().join("master"),
    ));
    wait_up(&master.link()).await;
    send_part(&master.link(), &image).await;
    let work = SchedulerWork {
        image: image.id.clone(),
        part_hash: "p".into(),
        handover: true,
        ..Default::default()
    };
    let back = assignment("scheduler-test", 3, "conf", Work::Scheduler(work));
    match master.link().post::<_, AssignAck>(paths::ASSIGN, &back, HTTP).await {
        Err(LinkError::Refused { status: 412, body, .. }) => assert!(body.contains(paths::HANDOVER), "{body}"),
        other => panic!("expected 412 without the hand-over, got {other:?}"),
    }
    let handover = Handover {
        home: "scheduler-test".into(),
        generation: 3,
        state: Arc::from(state),
    };
    let held: HandoverHeld = master
        .link()
        .post_encoded(
            paths::HANDOVER,
            STANDBY_CONTENT_TYPE,
            handover.encode().expect("encode"),
            HTTP,
        )
        .await
        .expect("hand-over taken");
    assert_eq!(held.generation, 3);
    assign(&master.link(), &back).await;
    let mut broker = Follower::new(master.link());
    broker
        .until("the initial status", backup, |f| f.initial_state.is_some())
        .await;
    assert_eq!(
        broker.initial_state,
        Some((2, StateType::Hard, true)),
        "the state handed over: CRITICAL and acknowledged"
    );
    master.stop().await;
}
