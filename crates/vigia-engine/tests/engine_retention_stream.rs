//! Incremental retention: engine A runs a pseudo-random sequence of results and commands; engine
//! B starts from A's snapshot and applies A's retention changes, drained at random moments; in
//! the end both snapshots are equal. Deterministic: the sequence comes from fixed seeds.
use std::sync::Arc;

use vigia_engine::retention::ChangeLog;
use vigia_engine::{ActionKind, CheckResult, Engine, Item, RetentionChange};

const START: i64 = 1_704_067_200;

const CONFIG: &str = "define timeperiod {\n timeperiod_name 24x7\n monday 00:00-24:00\n tuesday 00:00-24:00\n}\n\
define command {\n command_name check\n command_line /bin/check $_SERVICEPORT$\n}\n\
define command {\n command_name notify\n command_line /bin/echo $NOTIFICATIONTYPE$\n}\n\
define contact {\n contact_name admin\n service_notification_commands notify\n host_notification_commands notify\n}\n\
define hostgroup {\n hostgroup_name all\n members h1,h2,h3\n}\n\
define host {\n host_name h1\n check_command check\n check_interval 5\n max_check_attempts 2\n contacts admin\n}\n\
define host {\n host_name h2\n check_command check\n check_interval 5\n contacts admin\n}\n\
define host {\n host_name h3\n check_command check\n check_interval 5\n contacts admin\n}\n\
define service {\n host_name h1,h2,h3\n service_description a\n check_command check\n check_interval 2\n retry_interval 1\n max_check_attempts 3\n notification_interval 10\n contacts admin\n _PORT 80\n}\n\
define service {\n host_name h1,h2,h3\n service_description b\n check_command check\n check_interval 3\n max_check_attempts 1\n is_volatile 1\n contacts admin\n}\n";

fn config() -> Arc<vigia_config::Config> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.cfg");
    std::fs::write(&path, CONFIG).expect("write");
    Arc::new(vigia_config::load(&path).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics.items)))
}

/// xorshift64*: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// One random step on `e`.
fn step(e: &mut Engine, rng: &mut Rng) {
    let hosts = ["h1", "h2", "h3"];
    let services = ["a", "b"];
    let h = rng.pick(&hosts);
    let s = rng.pick(&services);
    let now = e.now();
    let line = match rng.below(16) {
        0..=4 => {
            // Time passes; active checks answered with a random code.
            let until = now + 1 + rng.below(400) as i64;
            while let Some(t) = e.next_event().filter(|t| *t <= until) {
                let mut actions = e.advance(t);
                while !actions.is_empty() {
                    for a in std::mem::take(&mut actions) {
                        if a.kind == ActionKind::Check && rng.below(10) != 0 {
                            let code = [0, 0, 0, 1, 2, 3][rng.below(6) as usize];
                            e.submit(CheckResult {
                                action: a.id,
                                item: a.item,
                                exit_code: code,
                                output: format!("code {code}"),
                                long_output: String::new(),
                                perfdata: format!("t={}", rng.below(100)),
                                start: t as f64,
                                end: t as f64,
                                scheduled: 0.0,
                            });
                        }
                    }
                    actions = e.advance(t);
                }
            }
            e.advance(until);
            return;
        }
        5 | 6 => format!(
            "PROCESS_SERVICE_CHECK_RESULT;{h};{s};{};passive {}",
            rng.below(4),
            rng.below(1000)
        ),
        7 => format!("PROCESS_HOST_CHECK_RESULT;{h};{};host", rng.below(3)),
        8 => {
            let (sticky, notify) = (rng.below(3), rng.below(2));
            if rng.below(2) == 0 {
                format!("ACKNOWLEDGE_SVC_PROBLEM;{h};{s};{sticky};{notify};1;ops;ack")
            } else {
                let end = now + rng.below(900) as i64;
                format!("ACKNOWLEDGE_SVC_PROBLEM_EXPIRE;{h};{s};{sticky};{notify};1;{end};ops;ack")
            }
        }
        9 => {
            let start = now + rng.below(600) as i64 - 100;
            format!(
                "SCHEDULE_SVC_DOWNTIME;{h};{s};{start};{};{};0;{};ops;dt",
                start + 1 + rng.below(1200) as i64,
                rng.below(2),
                rng.below(900)
            )
        }
        10 => match e.downtimes().first().map(|d| d.id) {
            Some(id) => format!(
                "DEL_{}_DOWNTIME;{id}",
                if matches!(e.downtimes()[0].item, Item::Host(_)) {
                    "HOST"
                } else {
                    "SVC"
                }
            ),
            None => format!("SCHEDULE_HOSTGROUP_HOST_DOWNTIME;all;{now};{};1;0;0;ops;all", now + 300),
        },
        11 => format!("ADD_SVC_COMMENT;{h};{s};{};ops;note {}", rng.below(2), rng.below(100)),
        12 => match e.comments().last().map(|c| (c.id, c.item)) {
            Some((id, Item::Service(_))) => format!("DEL_SVC_COMMENT;{id}"),
            Some((id, Item::Host(_))) => format!("DEL_HOST_COMMENT;{id}"),
            None => format!("DEL_ALL_SVC_COMMENTS;{h};{s}"),
        },
        13 => rng
            .pick(&[
                "DISABLE_NOTIFICATIONS",
                "ENABLE_NOTIFICATIONS",
                "DISABLE_FLAP_DETECTION",
                "ENABLE_FLAP_DETECTION",
                "STOP_EXECUTING_SVC_CHECKS",
                "START_EXECUTING_SVC_CHECKS",
            ])
            .to_string(),
        14 => format!(
            "{}_{};{h};{s}",
            rng.pick(&["ENABLE", "DISABLE"]),
            rng.pick(&[
                "SVC_CHECK",
                "SVC_NOTIFICATIONS",
                "PASSIVE_SVC_CHECKS",
                "SVC_FLAP_DETECTION"
            ])
        ),
        _ => match rng.below(4) {
            0 => format!("CHANGE_NORMAL_SVC_CHECK_INTERVAL;{h};{s};{}", 1 + rng.below(5)),
            1 => format!("CHANGE_CUSTOM_SVC_VAR;{h};a;PORT;{}", rng.below(9000)),
            2 => format!("CHANGE_MAX_SVC_CHECK_ATTEMPTS;{h};{s};{}", 1 + rng.below(4)),
            _ => format!("SCHEDULE_FORCED_SVC_CHECK;{h};{s};{}", now + rng.below(60) as i64),
        },
    };
    // Refusals are part of the game (acknowledging an OK service, …).
    let _ = e.command(&line);
    e.drain_log();
}

fn run_seed(seed: u64) {
    let config = config();
    let mut a = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, seed);
    let mut b = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, seed);
    b.restore(a.snapshot()).expect("restore");
    let start = a.snapshot();
    a.drain_retention_changes();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut shipped = 0usize;
    // What a spare keeps: the same changes, those replaced by a later one left out.
    let mut folded = ChangeLog::default();
    for _ in 0..400 {
        step(&mut a, &mut rng);
        if rng.below(5) == 0 {
            let changes = a.drain_retention_changes();
            // Changes travel between daemons (postcard, the state stream's encoding) and in
            // broks (JSON): through both here.
            let json = serde_json::to_string(&changes).expect("json");
            let changes: Vec<RetentionChange> = serde_json::from_str(&json).expect("parse");
            let bytes = postcard::to_allocvec(&changes).expect("encode");
            let changes: Vec<RetentionChange> = postcard::from_bytes(&bytes).expect("decode");
            shipped += changes.len();
            folded.extend(changes.iter().cloned());
            b.apply_retention_changes(changes).expect("apply");
        }
    }
    let last = a.drain_retention_changes();
    folded.extend(last.iter().cloned());
    b.apply_retention_changes(last).expect("apply");
    assert!(folded.len() < shipped, "seed {seed}: nothing folded");
    let mut c = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, seed);
    c.restore(start).expect("restore");
    c.apply_retention_changes(folded.into_changes()).expect("apply");
    assert_eq!(
        c.snapshot(),
        b.snapshot(),
        "seed {seed}: the folded log replays to another state"
    );
    let (sa, sb) = (a.snapshot(), b.snapshot());
    // The snapshot travels whole in the state stream.
    let bytes = postcard::to_allocvec(&sa).expect("encode");
    assert_eq!(
        postcard::from_bytes::<vigia_engine::retention::Retention>(&bytes).expect("decode"),
        sa
    );
    for (x, y) in sa.hosts.iter().zip(&sb.hosts) {
        assert_eq!(x, y, "seed {seed}");
    }
    assert_eq!(sa.services, sb.services, "seed {seed}");
    assert_eq!(sa.comments, sb.comments, "seed {seed}");
    assert_eq!(sa.downtimes, sb.downtimes, "seed {seed}");
    assert_eq!(sa, sb, "seed {seed}");
    assert!(shipped > 0);
    // Something actually happened.
    assert!(sa.services.iter().any(|(_, _, st)| st.has_been_checked), "seed {seed}");
}

#[test]
fn snapshot_plus_changes_reproduce_the_snapshot() {
    for seed in 1..=24 {
        run_seed(seed);
    }
}

#[test]
fn a_restore_on_the_source_is_streamed_whole() {
    let config = config();
    let mut a = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, 0);
    let mut b = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, 0);
    let mut rng = Rng(7);
    for _ in 0..100 {
        step(&mut a, &mut rng);
    }
    let snap = a.snapshot();
    let mut c = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, 0);
    c.advance(a.now());
    c.restore(snap).expect("restore");
    let changes = c.drain_retention_changes();
    assert!(matches!(changes.first(), Some(RetentionChange::Snapshot { .. })));
    b.apply_retention_changes(changes).expect("apply");
    assert_eq!(b.snapshot(), c.snapshot());
}

#[test]
fn command_marks_only_grow_and_follow_snapshots_and_streams() {
    let config = config();
    let mut a = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, 0);
    let mut b = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, 0);
    b.restore(a.snapshot()).expect("restore");
    assert_eq!(a.command_mark("receiver-master"), 0);
    a.set_command_mark("receiver-master", 10);
    a.set_command_mark("receiver-master", 7);
    assert_eq!(a.command_mark("receiver-master"), 10, "marks only grow");
    b.apply_retention_changes(a.drain_retention_changes()).expect("apply");
    assert_eq!(b.command_mark("receiver-master"), 10, "streamed to a standby");
    let mut c = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, 0);
    c.restore(a.snapshot()).expect("restore");
    assert_eq!(c.command_mark("receiver-master"), 10, "kept in the snapshot");
    assert_eq!(c.command_mark("receiver-spare"), 0);
}

/// Runs `e` for `seconds` of engine time, answering each check with a code that depends only
/// on the item and the time; returns what it did: (due second, kind, item, command line).
fn drive(e: &mut Engine, seconds: i64) -> Vec<(i64, String, String, String)> {
    let until = e.now() + seconds;
    let mut done = Vec::new();
    while let Some(t) = e.next_event().filter(|t| *t <= until) {
        let mut actions = e.advance(t);
        while !actions.is_empty() {
            for a in std::mem::take(&mut actions) {
                done.push((
                    t,
                    format!("{:?}", a.kind),
                    format!("{:?}", a.item),
                    a.command_line.clone(),
                ));
                if a.kind == ActionKind::Check {
                    let code = [0, 2, 0, 1][(t as usize / 60 + format!("{:?}", a.item).len()) % 4];
                    e.submit(CheckResult {
                        action: a.id,
                        item: a.item,
                        exit_code: code,
                        output: format!("code {code}"),
                        long_output: String::new(),
                        perfdata: String::new(),
                        start: t as f64,
                        end: t as f64,
                        scheduled: 0.0,
                    });
                }
            }
            actions = e.advance(t);
        }
        e.drain_log();
    }
    done
}

/// A standby's live copy resumed in place runs the part exactly as a new engine restored from
/// the same state: same state, then the same checks and notifications at the same times.
#[test]
fn a_resumed_mirror_runs_as_a_restored_engine() {
    for seed in 1..=12 {
        let config = config();
        let mut a = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, seed);
        // The mirror, as a spare builds it from the first snapshot and the stream.
        let mut mirror = Engine::new(Arc::clone(&config), None, START, jiff::tz::TimeZone::UTC, 0);
        mirror.set_retention_tracking(false);
        mirror.restore(a.snapshot()).expect("restore");
        a.drain_retention_changes();
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for _ in 0..300 {
            step(&mut a, &mut rng);
            if rng.below(4) == 0 {
                mirror
                    .apply_retention_changes(a.drain_retention_changes())
                    .expect("apply");
            }
        }
        mirror
            .apply_retention_changes(a.drain_retention_changes())
            .expect("apply");
        // The source dies; a take-over one minute later.
        let now = a.now() + 60;
        let mut restored = Engine::new(Arc::clone(&config), None, now, jiff::tz::TimeZone::UTC, 99);
        restored.restore(a.snapshot()).expect("restore");
        let report = mirror.resume(now, 99);
        assert_eq!(report.restored, config.hosts.len() + config.services.len());
        assert_eq!(mirror.snapshot(), restored.snapshot(), "seed {seed}: state");
        assert_eq!(mirror.next_event(), restored.next_event(), "seed {seed}: next event");
        let (x, y) = (drive(&mut mirror, 7200), drive(&mut restored, 7200));
        assert!(!x.is_empty(), "seed {seed}: nothing ran");
        assert_eq!(x, y, "seed {seed}: what runs after the take-over");
        assert_eq!(
            mirror.snapshot(),
            restored.snapshot(),
            "seed {seed}: state after two hours"
        );
        // A follower of the resumed engine starts from a snapshot, not from old changes.
        let changes = mirror.drain_retention_changes();
        assert!(!changes.iter().any(|c| matches!(c, RetentionChange::Snapshot { .. })));
    }
}
