//! External commands applied through `Engine::command`, on a virtual clock: what each one
//! changes, what it logs, and how it fails.
use std::sync::Arc;

use vigia_config::model::HostId;
use vigia_engine::{ActionKind, CheckResult, CommandError, Engine, Item, StateType};

const START: i64 = 1_704_067_200; // Monday 2024-01-01 00:00 UTC

const CONFIG: &str = "define timeperiod {\n timeperiod_name 24x7\n monday 00:00-24:00\n tuesday 00:00-24:00\n}\n\
define command {\n command_name check\n command_line /bin/check -p $_SERVICEPORT$\n}\n\
define command {\n command_name notify\n command_line /bin/echo $NOTIFICATIONTYPE$ $NOTIFICATIONNUMBER$ $NOTIFICATIONAUTHOR$ $NOTIFICATIONCOMMENT$\n}\n\
define contact {\n contact_name admin\n service_notification_commands notify\n host_notification_commands notify\n}\n\
define hostgroup {\n hostgroup_name web\n}\n\
define servicegroup {\n servicegroup_name front\n}\n\
define host {\n host_name h1\n hostgroups web\n check_command check\n check_interval 5\n max_check_attempts 1\n contacts admin\n}\n\
define host {\n host_name h2\n hostgroups web\n check_command check\n check_interval 5\n max_check_attempts 1\n contacts admin\n}\n\
define service {\n host_name h1\n service_description http\n servicegroups front\n check_command check\n check_interval 5\n retry_interval 1\n max_check_attempts 2\n notification_interval 30\n contacts admin\n _PORT 80\n}\n\
define service {\n host_name h1\n service_description passive\n check_command check\n active_checks_enabled 0\n check_interval 5\n max_check_attempts 3\n notification_interval 30\n contacts admin\n}\n\
define service {\n host_name h2\n service_description http\n servicegroups front\n check_command check\n check_interval 5\n max_check_attempts 2\n contacts admin\n}\n";

fn config(extra_main: &str) -> vigia_config::Config {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("objects.cfg"), CONFIG).expect("write");
    let main = dir.path().join("main.cfg");
    std::fs::write(&main, format!("cfg_file=objects.cfg\n{extra_main}")).expect("write");
    vigia_config::load(&main).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics.items))
}

fn engine_with(extra_main: &str, part: Option<&[HostId]>) -> Engine {
    Engine::new(Arc::new(config(extra_main)), part, START, jiff::tz::TimeZone::UTC, 0)
}

fn engine() -> Engine {
    engine_with("", None)
}

fn item(e: &Engine, host: &str, service: &str) -> Item {
    Item::Service(e.find_service(host, service).expect("service"))
}

/// Runs `seconds` of virtual time answering every active check OK; returns the log.
fn run(e: &mut Engine, seconds: i64) -> Vec<String> {
    let mut log = e.drain_log();
    let end = e.now() + seconds;
    while let Some(t) = e.next_event().filter(|t| *t <= end) {
        let mut actions = e.advance(t);
        while !actions.is_empty() {
            for a in std::mem::take(&mut actions) {
                if a.kind == ActionKind::Check {
                    e.submit(CheckResult {
                        action: a.id,
                        item: a.item,
                        exit_code: 0,
                        output: "fine".into(),
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

/// Answers checks handed out, OK.
fn answer(e: &mut Engine, actions: &[vigia_engine::Action]) {
    for a in actions.iter().filter(|a| a.kind == ActionKind::Check) {
        e.submit(CheckResult {
            action: a.id,
            item: a.item,
            exit_code: 0,
            output: "fine".into(),
            long_output: String::new(),
            perfdata: String::new(),
            start: e.now() as f64,
            end: e.now() as f64,
            scheduled: 0.0,
        });
    }
}

fn cmd(e: &mut Engine, line: &str) -> Vec<String> {
    if let Err(err) = e.command(line) {
        panic!("{line}: {err}");
    }
    e.drain_log()
}

fn bodies(log: &[String]) -> Vec<&str> {
    log.iter()
        .map(|l| l.split_once("] ").map_or(l.as_str(), |(_, b)| b))
        .collect()
}

#[test]
fn passive_results_go_soft_then_hard_and_log_the_command() {
    let mut e = engine();
    let s = item(&e, "h1", "passive");
    let log = cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT - down|t=1;2;3");
    assert_eq!(
        bodies(&log),
        [
            "EXTERNAL COMMAND: PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT - down|t=1;2;3",
            "SERVICE ALERT: h1;passive;CRITICAL;SOFT;1;CRIT - down",
        ]
    );
    assert_eq!(e.status(s).perf_data, "t=1;2;3");
    cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT - down");
    let log = cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT - down");
    assert_eq!(e.status(s).state_type, StateType::Hard);
    assert!(
        log.iter()
            .any(|l| l.ends_with("SERVICE NOTIFICATION: admin;h1;passive;CRITICAL;notify;CRIT - down")),
        "{log:#?}"
    );
}

/// A passive result and an active one with the same plugin text end in the same status: both
/// are cut by `vigia_engine::output::split` (the poller's executor uses it, as
/// `vigia_exec::output`, for active checks; the engine for passive results).
#[test]
fn passive_and_active_results_with_the_same_text_give_the_same_status() {
    let text = "DISK WARNING - /var 85% \\| x | /var=85%;80;90\n/var 85%\n/tmp 10% | /tmp=10%;80;90\n/home=5%";
    let mut e = engine();
    let active = item(&e, "h1", "http");
    let passive = item(&e, "h2", "http");
    let check = (0..=300)
        .find_map(|t| {
            e.advance(START + t)
                .into_iter()
                .find(|a| a.kind == ActionKind::Check && a.item == active)
        })
        .expect("h1;http checked");
    let parts = vigia_engine::output::split(text);
    e.submit(CheckResult {
        action: check.id,
        item: active,
        exit_code: 1,
        output: parts.output,
        long_output: parts.long_output,
        perfdata: parts.perfdata,
        start: e.now() as f64,
        end: e.now() as f64,
        scheduled: 0.0,
    });
    cmd(&mut e, &format!("PROCESS_SERVICE_CHECK_RESULT;h2;http;1;{text}"));
    let fields = |i: Item| {
        let st = e.status(i);
        (
            st.state,
            st.output.clone(),
            st.long_output.clone(),
            st.perf_data.clone(),
        )
    };
    assert_eq!(fields(active), fields(passive));
    assert_eq!(
        fields(passive),
        (
            1,
            "DISK WARNING - /var 85% | x".to_string(),
            "/var 85%\n/tmp 10%".to_string(),
            "/var=85%;80;90 /tmp=10%;80;90 /home=5%".to_string()
        )
    );
}

#[test]
fn log_passive_checks_writes_alignak_passive_lines_instead() {
    let mut e = engine_with("log_passive_checks=1\n", None);
    let log = cmd(
        &mut e,
        "[1704067200] PROCESS_SERVICE_CHECK_RESULT;h1;passive;1;WARN|t=1\nlong",
    );
    assert_eq!(
        bodies(&log),
        [
            "PASSIVE SERVICE CHECK: h1;passive;1;WARN;long;t=1",
            "SERVICE ALERT: h1;passive;WARNING;SOFT;1;WARN",
        ]
    );
    let log = cmd(&mut e, "PROCESS_HOST_CHECK_RESULT;h2;0;PING OK");
    assert_eq!(bodies(&log), ["PASSIVE HOST CHECK: h2;0;PING OK;;"]);
}

#[test]
fn passive_results_refused_when_disabled_or_older_than_the_last_check() {
    let mut e = engine();
    cmd(&mut e, "DISABLE_PASSIVE_SVC_CHECKS;h1;passive");
    let err = e
        .command("PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;x")
        .expect_err("disabled");
    assert!(matches!(err, CommandError::Refused { .. }), "{err}");
    cmd(&mut e, "ENABLE_PASSIVE_SVC_CHECKS;h1;passive");
    cmd(&mut e, "[1704067300] PROCESS_SERVICE_CHECK_RESULT;h1;passive;0;ok");
    let err = e
        .command("[1704067250] PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;late")
        .expect_err("old");
    assert_eq!(
        err.to_string(),
        "PROCESS_SERVICE_CHECK_RESULT: result of 1704067250 is older than the last check (1704067300)"
    );
    cmd(&mut e, "STOP_ACCEPTING_PASSIVE_SVC_CHECKS");
    assert!(e.command("PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;x").is_err());
}

#[test]
fn objects_of_other_parts_and_unknown_ones_are_told_apart() {
    let mut e = engine_with("", Some(&[HostId(0)]));
    let err = e.command("PROCESS_SERVICE_CHECK_RESULT;h2;http;2;x").expect_err("h2");
    assert!(err.is_not_owned(), "{err}");
    assert_eq!(
        err.to_string(),
        "PROCESS_SERVICE_CHECK_RESULT: host 'h2' is scheduled elsewhere"
    );
    assert_eq!(
        e.command("ACKNOWLEDGE_HOST_PROBLEM;nope;1;1;0;a;b")
            .expect_err("unknown")
            .to_string(),
        "ACKNOWLEDGE_HOST_PROBLEM: unknown host 'nope'"
    );
    assert_eq!(
        e.command("DISABLE_SVC_CHECK;h1;nope").expect_err("unknown").to_string(),
        "DISABLE_SVC_CHECK: unknown service 'nope' on host 'h1'"
    );
    assert_eq!(
        e.command("DISABLE_HOSTGROUP_SVC_CHECKS;nope")
            .expect_err("unknown")
            .to_string(),
        "DISABLE_HOSTGROUP_SVC_CHECKS: unknown hostgroup 'nope'"
    );
    // A group command applies to the members this engine owns.
    cmd(&mut e, "DISABLE_SERVICEGROUP_SVC_NOTIFICATIONS;front");
    assert!(!e.status(item(&e, "h1", "http")).switches.notifications);
    assert!(e.status(item(&e, "h2", "http")).switches.notifications, "not ours");
    assert!(e.drain_log().is_empty(), "nothing logged for refused names");
    assert!(matches!(
        e.command("RESTART_PROGRAM"),
        Err(CommandError::NotForEngine { .. })
    ));
    assert!(matches!(e.command("BOGUS;1"), Err(CommandError::Parse(_))));
}

#[test]
fn sticky_acknowledgement_by_command_notifies_and_logs() {
    let mut e = engine();
    let s = item(&e, "h1", "passive");
    for _ in 0..3 {
        cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;1;WARN");
    }
    let log = cmd(&mut e, "ACKNOWLEDGE_SVC_PROBLEM;h1;passive;2;1;1;ops;looking into it");
    assert_eq!(
        bodies(&log),
        [
            "EXTERNAL COMMAND: ACKNOWLEDGE_SVC_PROBLEM;h1;passive;2;1;1;ops;looking into it",
            "SERVICE ACKNOWLEDGE ALERT: h1;passive;STARTED; Service problem has been acknowledged",
            "SERVICE NOTIFICATION: admin;h1;passive;ACKNOWLEDGEMENT (WARNING);notify;WARN;ops;looking into it",
        ]
    );
    let actions = e.advance(START);
    assert!(
        actions
            .iter()
            .any(|a| a.command_line == "/bin/echo ACKNOWLEDGEMENT 1 ops looking into it"),
        "{actions:#?}"
    );
    let log = cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT");
    assert!(
        e.status(s).acknowledgement.is_some(),
        "sticky survives WARNING -> CRITICAL"
    );
    assert!(!log.iter().any(|l| l.contains("NOTIFICATION")), "{log:#?}");
    let log = cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;0;OK");
    assert!(e.status(s).acknowledgement.is_none());
    assert!(
        log.iter()
            .any(|l| l.ends_with("SERVICE ACKNOWLEDGE ALERT: h1;passive;EXPIRED; Service problem acknowledge expired")),
        "{log:#?}"
    );
    // Acknowledging an OK service is refused, but the command was received and logged.
    let err = e
        .command("ACKNOWLEDGE_SVC_PROBLEM;h1;passive;2;1;1;ops;x")
        .expect_err("ok");
    assert!(matches!(err, CommandError::Refused { .. }));
    assert_eq!(e.drain_log().len(), 1);
}

#[test]
fn acknowledgement_with_expiry_and_removal() {
    let mut e = engine();
    let s = item(&e, "h1", "passive");
    for _ in 0..3 {
        cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT");
    }
    cmd(
        &mut e,
        &format!(
            "ACKNOWLEDGE_SVC_PROBLEM_EXPIRE;h1;passive;2;0;0;{};ops;short",
            START + 600
        ),
    );
    assert!(e.status(s).acknowledgement.is_some());
    assert_eq!(e.comments().iter().filter(|c| c.item == s).count(), 1);
    let log = run(&mut e, 601);
    assert!(e.status(s).acknowledgement.is_none(), "{log:#?}");
    assert!(e.comments().iter().all(|c| c.item != s));
    cmd(&mut e, "ACKNOWLEDGE_SVC_PROBLEM;h1;passive;1;0;0;ops;again");
    let log = cmd(&mut e, "REMOVE_SVC_ACKNOWLEDGEMENT;h1;passive");
    assert!(e.status(s).acknowledgement.is_none());
    assert_eq!(log.len(), 2, "{log:#?}");
}

#[test]
fn host_acknowledgement_covers_its_problem_services() {
    let mut e = engine();
    cmd(&mut e, "PROCESS_HOST_CHECK_RESULT;h1;2;down");
    cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT");
    cmd(&mut e, "ACKNOWLEDGE_HOST_PROBLEM;h1;2;0;0;ops;cabling");
    assert!(e.status(Item::Host(HostId(0))).acknowledgement.is_some());
    assert!(
        e.status(item(&e, "h1", "passive")).acknowledgement.is_some(),
        "Alignak acknowledges the host's problem services too"
    );
    assert!(
        e.status(item(&e, "h1", "http")).acknowledgement.is_none(),
        "OK: untouched"
    );
}

#[test]
fn downtimes_by_command_start_stop_and_cancel() {
    let mut e = engine();
    let s = item(&e, "h1", "http");
    let log = cmd(
        &mut e,
        &format!(
            "SCHEDULE_SVC_DOWNTIME;h1;http;{};{};1;0;0;ops;maintenance",
            START + 60,
            START + 3600
        ),
    );
    assert_eq!(log.len(), 1);
    assert_eq!(e.downtimes().len(), 1);
    let id = e.downtimes()[0].id;
    let log = run(&mut e, 120);
    assert!(
        log.iter().any(|l| l
            .ends_with("SERVICE DOWNTIME ALERT: h1;http;STARTED; Service has entered a period of scheduled downtime")),
        "{log:#?}"
    );
    assert_eq!(e.status(s).downtime_depth, 1);
    assert!(matches!(
        e.command("DEL_HOST_DOWNTIME;1"),
        Err(CommandError::NoSuchId { .. })
    ));
    let log = cmd(&mut e, &format!("DEL_SVC_DOWNTIME;{id}"));
    assert_eq!(
        bodies(&log),
        [
            format!("EXTERNAL COMMAND: DEL_SVC_DOWNTIME;{id}").as_str(),
            "SERVICE DOWNTIME ALERT: h1;http;CANCELLED; Scheduled downtime for service has been cancelled.",
        ]
    );
    assert_eq!(e.status(s).downtime_depth, 0);
    assert!(e.downtimes().is_empty());
    assert!(e.comments().is_empty(), "the downtime's comment goes with it");
    // Group forms: every owned service of the hostgroup's hosts.
    cmd(
        &mut e,
        &format!(
            "SCHEDULE_HOSTGROUP_SVC_DOWNTIME;web;{};{};1;0;0;ops;all",
            START + 600,
            START + 700
        ),
    );
    assert_eq!(e.downtimes().len(), 3);
    cmd(
        &mut e,
        &format!(
            "SCHEDULE_HOST_SVC_DOWNTIME;h2;{};{};0;0;300;ops;flex",
            START + 600,
            START + 700
        ),
    );
    assert_eq!(e.downtimes().len(), 4);
    cmd(&mut e, "DEL_ALL_SVC_DOWNTIMES;h1;http");
    assert_eq!(e.downtimes().len(), 3);
}

#[test]
fn comments_by_command() {
    let mut e = engine();
    let s = item(&e, "h1", "http");
    let log = cmd(&mut e, "ADD_SVC_COMMENT;h1;http;1;ops;first; with semicolon");
    assert_eq!(
        bodies(&log),
        [
            "EXTERNAL COMMAND: ADD_SVC_COMMENT;h1;http;1;ops;first; with semicolon",
            "SERVICE COMMENT: h1;http;ops;first; with semicolon",
        ]
    );
    cmd(&mut e, "ADD_SVC_COMMENT;h1;http;0;ops;second");
    cmd(&mut e, "ADD_HOST_COMMENT;h1;0;ops;host note");
    let first = e.comments()[0].clone();
    assert!(first.persistent && first.text == "first; with semicolon" && first.item == s);
    assert!(matches!(
        e.command(&format!("DEL_HOST_COMMENT;{}", first.id)),
        Err(CommandError::NoSuchId { .. })
    ));
    cmd(&mut e, &format!("DEL_SVC_COMMENT;{}", first.id));
    assert_eq!(e.comments().len(), 2);
    cmd(&mut e, "DEL_ALL_SVC_COMMENTS;h1;http");
    assert_eq!(e.comments().len(), 1);
    cmd(&mut e, "DEL_ALL_HOST_COMMENTS;h1");
    assert!(e.comments().is_empty());
}

#[test]
fn switches_and_global_switches() {
    let mut e = engine();
    let s = item(&e, "h1", "passive");
    cmd(&mut e, "DISABLE_SVC_NOTIFICATIONS;h1;passive");
    for _ in 0..3 {
        cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT");
    }
    assert!(!run(&mut e, 10).iter().any(|l| l.contains("NOTIFICATION")));
    cmd(&mut e, "ENABLE_HOST_SVC_NOTIFICATIONS;h1");
    assert!(e.status(s).switches.notifications);
    cmd(&mut e, "DISABLE_NOTIFICATIONS");
    let log = run(&mut e, 3600);
    assert!(!log.iter().any(|l| l.contains("NOTIFICATION")), "{log:#?}");
    cmd(&mut e, "ENABLE_NOTIFICATIONS");
    let log = run(&mut e, 1800);
    assert!(log.iter().any(|l| l.contains("SERVICE NOTIFICATION")), "{log:#?}");
    // Every switch command maps to its switch.
    cmd(&mut e, "DISABLE_SVC_EVENT_HANDLER;h1;passive");
    cmd(&mut e, "DISABLE_SVC_FLAP_DETECTION;h1;passive");
    cmd(&mut e, "DISABLE_HOST_CHECK;h2");
    cmd(&mut e, "DISABLE_HOST_NOTIFICATIONS;h2");
    cmd(&mut e, "DISABLE_HOSTGROUP_SVC_NOTIFICATIONS;web");
    let st = e.status(s).switches;
    assert!(!st.event_handler && !st.flap_detection && !st.notifications);
    let h2 = e.status(Item::Host(HostId(1))).switches;
    assert!(!h2.active_checks && !h2.notifications);
    cmd(&mut e, "STOP_EXECUTING_SVC_CHECKS");
    let actions = e.advance(e.now() + 3600);
    assert!(
        actions.iter().all(|a| matches!(a.item, Item::Host(_))),
        "no service check runs: {actions:#?}"
    );
}

#[test]
fn forced_and_normal_check_scheduling() {
    let mut e = engine();
    let s = item(&e, "h1", "passive");
    run(&mut e, 600);
    // Active checks are disabled on this service: only a forced check runs it.
    cmd(&mut e, &format!("SCHEDULE_SVC_CHECK;h1;passive;{}", START + 700));
    let actions = e.advance(START + 700);
    assert!(actions.iter().all(|a| a.item != s), "{actions:#?}");
    answer(&mut e, &actions);
    cmd(&mut e, &format!("SCHEDULE_FORCED_SVC_CHECK;h1;passive;{}", START + 800));
    let actions = e.advance(START + 799);
    assert!(actions.iter().all(|a| a.item != s));
    answer(&mut e, &actions);
    let actions = e.advance(START + 800);
    assert_eq!(actions.iter().filter(|a| a.item == s).count(), 1, "{actions:#?}");
    answer(&mut e, &actions);
    // A normal check moves the next check earlier only.
    let http = item(&e, "h1", "http");
    let next = e.status(http).next_check;
    cmd(&mut e, &format!("SCHEDULE_SVC_CHECK;h1;http;{}", next + 100));
    assert_eq!(e.status(http).next_check, next);
    cmd(&mut e, &format!("SCHEDULE_SVC_CHECK;h1;http;{}", START + 850));
    assert_eq!(e.status(http).next_check, START + 850);
    cmd(&mut e, &format!("SCHEDULE_FORCED_HOST_SVC_CHECKS;h2;{}", START + 900));
    let actions = e.advance(START + 900);
    assert!(actions.iter().any(|a| a.item == item(&e, "h2", "http")));
}

#[test]
fn intervals_attempts_and_custom_variables_change() {
    let mut e = engine();
    let s = item(&e, "h1", "http");
    cmd(&mut e, "CHANGE_NORMAL_SVC_CHECK_INTERVAL;h1;http;1");
    cmd(&mut e, "CHANGE_CUSTOM_SVC_VAR;h1;http;_PORT;8080");
    let mut runs = Vec::new();
    let end = START + 900;
    while let Some(t) = e.next_event().filter(|t| *t <= end) {
        for a in e.advance(t) {
            if a.item == s {
                runs.push((t, a.command_line.clone()));
            }
            if a.kind == ActionKind::Check {
                e.submit(CheckResult {
                    action: a.id,
                    item: a.item,
                    exit_code: 0,
                    output: "ok".into(),
                    long_output: String::new(),
                    perfdata: String::new(),
                    start: t as f64,
                    end: t as f64,
                    scheduled: 0.0,
                });
            }
        }
    }
    assert!(runs.len() >= 10, "every minute now: {runs:?}");
    assert!(runs.iter().all(|(_, l)| l == "/bin/check -p 8080"), "{runs:?}");
    assert_eq!(e.overrides(s).map(|o| o.check_interval), Some(Some(1.0)));
    let err = e.command("CHANGE_CUSTOM_SVC_VAR;h1;http;NOPE;1").expect_err("no var");
    assert_eq!(
        err.to_string(),
        "CHANGE_CUSTOM_SVC_VAR: no custom variable _NOPE on h1;http"
    );
    // Max attempts: the passive service goes HARD at the first problem.
    cmd(&mut e, "CHANGE_MAX_SVC_CHECK_ATTEMPTS;h1;passive;1");
    cmd(&mut e, "PROCESS_SERVICE_CHECK_RESULT;h1;passive;2;CRIT");
    assert_eq!(e.status(item(&e, "h1", "passive")).state_type, StateType::Hard);
}

#[test]
fn custom_notifications_follow_nagios_options() {
    let mut e = engine();
    let s = item(&e, "h1", "http");
    let log = cmd(&mut e, "SEND_CUSTOM_SVC_NOTIFICATION;h1;http;0;ops;hello");
    assert_eq!(
        bodies(&log)[1],
        "SERVICE NOTIFICATION: admin;h1;http;CUSTOM (OK);notify;;ops;hello"
    );
    cmd(&mut e, "DISABLE_SVC_NOTIFICATIONS;h1;http");
    let log = cmd(&mut e, "SEND_CUSTOM_SVC_NOTIFICATION;h1;http;0;ops;muted");
    assert_eq!(log.len(), 1, "only the command line: {log:#?}");
    // Forced (2) goes through; increment (4) counts.
    let log = cmd(&mut e, "SEND_CUSTOM_SVC_NOTIFICATION;h1;http;6;ops;forced");
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(e.status(s).notification_number, 1);
    let actions = e.advance(e.now());
    assert!(
        actions
            .iter()
            .any(|a| a.command_line == "/bin/echo CUSTOM 1 ops forced"),
        "{actions:#?}"
    );
}

#[test]
fn commands_without_timestamp_use_engine_time_and_flap_detection_can_be_turned_off() {
    let mut e = engine();
    let s = item(&e, "h1", "passive");
    for i in 0..25 {
        e.advance(START + i * 10);
        cmd(
            &mut e,
            &format!(
                "PROCESS_SERVICE_CHECK_RESULT;h1;passive;{};x",
                if i % 2 == 0 { 2 } else { 0 }
            ),
        );
    }
    assert_eq!(e.status(s).last_check, START + 240);
    assert!(e.status(s).is_flapping);
    let log = cmd(&mut e, "DISABLE_FLAP_DETECTION");
    assert_eq!(log.len(), 1, "silent, as Alignak: {log:#?}");
    assert!(!e.status(s).is_flapping);
}
