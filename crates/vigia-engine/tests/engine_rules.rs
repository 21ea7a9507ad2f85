//! Engine rules through its public API, on a virtual clock: acknowledgements, downtimes,
//! flapping and retention.
use std::sync::Arc;

use vigia_engine::simulate;
use vigia_engine::{ActionKind, CheckResult, Engine, Item, StateType};

const START: i64 = 1_704_067_200; // Monday 2024-01-01 00:00 UTC

const CONFIG: &str = "define timeperiod {\n timeperiod_name 24x7\n monday 00:00-24:00\n tuesday 00:00-24:00\n}\n\
define command {\n command_name check\n command_line /bin/true\n}\n\
define command {\n command_name notify\n command_line /bin/echo $NOTIFICATIONTYPE$ $SERVICESTATE$\n}\n\
define contact {\n contact_name admin\n service_notification_commands notify\n host_notification_commands notify\n}\n\
define host {\n host_name h\n check_command check\n check_interval 5\n max_check_attempts 1\n contacts admin\n}\n\
define service {\n host_name h\n service_description s\n check_command check\n check_interval 5\n retry_interval 1\n max_check_attempts 2\n notification_interval 30\n contacts admin\n}\n";

fn engine() -> Engine {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.cfg");
    std::fs::write(&path, CONFIG).expect("write");
    let config = vigia_config::load(&path).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics.items));
    Engine::new(Arc::new(config), None, START, jiff::tz::TimeZone::UTC, 0)
}

fn service(e: &Engine) -> Item {
    Item::Service(e.config().hosts[0].services[0])
}

/// Runs `seconds` of virtual time answering every check with `code`; returns the log.
fn run(e: &mut Engine, seconds: i64, code: i32) -> Vec<String> {
    let s = service(e);
    let mut log = Vec::new();
    let end = e.now() + seconds;
    while let Some(t) = e.next_event().filter(|t| *t <= end) {
        let mut actions = e.advance(t);
        while !actions.is_empty() {
            for a in std::mem::take(&mut actions) {
                if a.kind == ActionKind::Check {
                    let exit_code = if a.item == s { code } else { 0 };
                    e.submit(CheckResult {
                        action: a.id,
                        item: a.item,
                        exit_code,
                        output: format!("code {exit_code}"),
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
        log.extend(e.drain_log());
    }
    e.advance(end);
    log.extend(e.drain_log());
    log
}

fn count(log: &[String], needle: &str) -> usize {
    log.iter().filter(|l| l.contains(needle)).count()
}

#[test]
fn sticky_acknowledgement_survives_warning_to_critical_and_ends_at_recovery() {
    let mut e = engine();
    run(&mut e, 900, 1);
    let s = service(&e);
    assert_eq!(e.status(s).state_type, StateType::Hard);
    e.acknowledge(s, 2, true, false, "ops", "looking", 0).expect("ack");
    let log = run(&mut e, 3600, 2);
    assert!(
        e.status(s).acknowledgement.is_some(),
        "sticky 2 survives WARNING -> CRITICAL"
    );
    assert_eq!(
        count(&log, "SERVICE NOTIFICATION: admin;h;s;CRITICAL"),
        0,
        "acknowledged: no PROBLEM"
    );
    run(&mut e, 900, 0);
    assert!(e.status(s).acknowledgement.is_none());
    assert!(
        e.comments().iter().all(|c| c.item != s),
        "the acknowledgement comment goes with it"
    );
}

#[test]
fn non_sticky_acknowledgement_ends_at_state_change() {
    let mut e = engine();
    run(&mut e, 900, 1);
    let s = service(&e);
    e.acknowledge(s, 1, false, false, "ops", "x", 0).expect("ack");
    run(&mut e, 600, 2);
    assert!(e.status(s).acknowledgement.is_none());
}

#[test]
fn acknowledging_an_ok_service_is_refused() {
    let mut e = engine();
    run(&mut e, 600, 0);
    assert!(e.acknowledge(service(&e), 1, false, false, "a", "b", 0).is_err());
}

#[test]
fn fixed_downtime_suppresses_problems_and_logs_start_and_end() {
    let mut e = engine();
    let s = service(&e);
    let id = e
        .schedule_downtime(s, START, START + 3600, true, 0, 0, "ops", "maintenance")
        .expect("downtime");
    let log = run(&mut e, 7200, 2);
    assert_eq!(count(&log, "SERVICE DOWNTIME ALERT: h;s;STARTED;"), 1, "{log:#?}");
    assert_eq!(count(&log, "SERVICE DOWNTIME ALERT: h;s;STOPPED;"), 1, "{log:#?}");
    let first_problem = log
        .iter()
        .position(|l| l.contains("SERVICE NOTIFICATION: admin;h;s;CRITICAL"))
        .expect("a PROBLEM after the downtime");
    let stopped = log
        .iter()
        .position(|l| l.contains("DOWNTIME ALERT: h;s;STOPPED"))
        .expect("stopped");
    assert!(first_problem > stopped, "no PROBLEM during the downtime: {log:#?}");
    assert!(e.downtimes().iter().all(|d| d.id != id));
    assert_eq!(e.status(s).downtime_depth, 0);
}

#[test]
fn flexible_downtime_starts_with_the_problem_and_lasts_its_duration() {
    let mut e = engine();
    let s = service(&e);
    e.schedule_downtime(s, START, START + 7200, false, 0, 1200, "ops", "flex")
        .expect("downtime");
    let log = run(&mut e, 900, 0);
    assert_eq!(count(&log, "DOWNTIME ALERT"), 0, "no problem, no downtime yet");
    let log = run(&mut e, 2400, 2);
    let started = log.iter().find(|l| l.contains("STARTED")).expect("started");
    let stopped = log.iter().find(|l| l.contains("STOPPED")).expect("stopped");
    let at = |l: &str| l[1..l.find(']').unwrap_or(1)].parse::<i64>().unwrap_or(0);
    assert_eq!(at(stopped) - at(started), 1200, "{log:#?}");
}

#[test]
fn flapping_starts_on_alternating_results_and_suppresses_notifications() {
    let mut e = engine();
    let s = service(&e);
    let mut log = Vec::new();
    for i in 0..30 {
        log.extend(run(&mut e, 300, if i % 2 == 0 { 2 } else { 0 }));
    }
    assert!(e.status(s).is_flapping, "{:.1}%", e.status(s).percent_state_change);
    assert_eq!(count(&log, "SERVICE FLAPPING ALERT: h;s;STARTED;"), 1, "{log:#?}");
    let log = run(&mut e, 6 * 3600, 0);
    assert!(!e.status(s).is_flapping);
    assert_eq!(count(&log, "SERVICE FLAPPING ALERT: h;s;STOPPED;"), 1);
}

#[test]
fn retention_round_trips_exactly_and_resumes_the_schedule() {
    let mut e = engine();
    let s = service(&e);
    run(&mut e, 1200, 2);
    e.acknowledge(s, 2, false, true, "ops", "known", 0).expect("ack");
    e.add_comment(s, vigia_engine::comments::CommentKind::User, true, "ops", "note");
    e.schedule_downtime(s, START + 5000, START + 6000, true, 0, 0, "ops", "later")
        .expect("dt");
    // The acknowledgement's log line is not part of what is compared below.
    e.drain_log();
    let snap = e.snapshot();
    let json = serde_json::to_string(&snap).expect("json");
    let back: vigia_engine::retention::Retention = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, snap);
    let mut fresh = engine();
    fresh.advance(e.now());
    let report = fresh.restore(back).expect("restore");
    assert_eq!(report.restored, 2);
    assert_eq!(fresh.snapshot().hosts, snap.hosts);
    assert_eq!(fresh.snapshot().services, snap.services);
    assert_eq!(fresh.comments(), e.comments());
    assert_eq!(fresh.downtimes(), e.downtimes());
    assert_eq!(fresh.next_event(), e.next_event(), "same next check time");
    let a = run(&mut e, 7200, 2);
    let b = run(&mut fresh, 7200, 2);
    assert_eq!(a, b, "the restored engine behaves exactly like the original");
}

#[test]
fn simulate_parses_and_runs_a_script() {
    let mut e = engine();
    let events = simulate::parse_events("10m RESULT h;s 2 broken\n").expect("events");
    let mut out = Vec::new();
    simulate::run(&mut e, &events, 3600, &mut out).expect("run");
    assert!(
        out.iter()
            .any(|l| l.contains("SERVICE ALERT: h;s;CRITICAL;HARD;2;broken")),
        "{out:#?}"
    );
    assert!(
        out.iter()
            .any(|l| l.contains("RUN NOTIFICATION: admin;/bin/echo PROBLEM CRITICAL")),
        "{out:#?}"
    );
}
