//! High availability on real processes: a master and a spare scheduler, kill -9 and SIGSTOP of
//! the master, fail-over to the spare with every state kept, fail-back when the master returns,
//! and no notification sent twice or skipped across the hand-overs. Each test has its own
//! 127.0.6.x address; the tests run one at a time (they measure times).
mod cluster;

use std::io::{Read, Write};

use std::sync::Mutex;
use std::time::{Duration, Instant};

use cluster::{base_objects, field, now, wait_for, Cluster, DEADLINE};

/// One HA test at a time: their timings must not suffer from each other's load.
static SERIAL: Mutex<()> = Mutex::new(());

/// One daemon of each role, plus a spare scheduler on another port of the same address.
fn ha_daemons(ip: &str) -> String {
    let mut s = cluster::daemons_cfg(ip);
    s += &format!(
        "define scheduler {{\n scheduler_name scheduler-spare\n address {ip}\n port 7778\n spare 1\n realm All\n}}\n"
    );
    s
}

fn arbiter_status(c: &Cluster) -> Option<serde_json::Value> {
    c.get_json(&format!("{}/v1/status", c.url("arbiter-master")))
}

fn daemon_status(status: &serde_json::Value, name: &str) -> serde_json::Value {
    field(status, "daemons")
        .as_array()
        .and_then(|a| a.iter().find(|d| field(d, "name") == name).cloned())
        .unwrap_or(serde_json::Value::Null)
}

fn services(c: &Cluster) -> Vec<serde_json::Value> {
    c.get_json(&format!("{}/api/v1/services", c.url("broker-master")))
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

fn objects(notify: &std::path::Path, flip: &std::path::Path, hosts: usize) -> String {
    let mut o = base_objects(notify);
    for h in 0..hosts {
        o += &format!("define host {{\n use host-tpl\n host_name h{h}\n check_interval 5\n}}\n");
        for s in 0..5 {
            o += &format!(
                "define service {{\n use svc-tpl\n host_name h{h}\n service_description s{s}\n check_command dummy!0!fine\n check_interval 5\n}}\n"
            );
        }
    }
    // Passive only, never HARD: each CRITICAL result adds one attempt, so the attempt number
    // counts the results applied.
    o += "define service {\n use svc-tpl\n host_name h0\n service_description counter\n check_command dummy!0!idle\n active_checks_enabled 0\n passive_checks_enabled 1\n max_check_attempts 5000\n}\n";
    o += "define service {\n use svc-tpl\n host_name h0\n service_description broken\n check_command dummy!2!broken\n max_check_attempts 1\n check_interval 5\n}\n";
    o += &format!(
        "define service {{\n use svc-tpl\n host_name h0\n service_description flip\n check_command file_state!{}\n max_check_attempts 1\n check_interval 1\n}}\n",
        flip.display()
    );
    o
}

/// Checked, or the passive-only `counter` (checked only when results come).
fn checked(s: &serde_json::Value) -> bool {
    field(s, "has_been_checked") == true || field(s, "service_description") == "counter"
}

fn notifications(path: &std::path::Path, service: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&format!(";h0;{service};")))
        .map(str::to_string)
        .collect()
}

/// Starts the cluster and waits until every service has been checked and the spare holds the
/// master's state.
fn started(ip: &str, hosts: usize) -> (Cluster, tempfile::NamedTempFile, tempfile::NamedTempFile) {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let flip = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(flip.path(), "0").expect("flip");
    let mut c = Cluster::with_daemons(ip, &ha_daemons(ip), &objects(notify.path(), flip.path(), hosts));
    c.start_all();
    let expected = hosts * 5 + 3;
    wait_for("every service checked at the broker", DEADLINE * 2, || {
        let all = services(&c);
        (all.len() == expected && all.iter().all(checked)).then_some(())
    });
    wait_for("the spare holds the master's state", DEADLINE, || {
        let copies = c.get_json(&format!("{}/v1/standby", c.url("scheduler-spare")))?;
        (copies.as_array()?.first()?.get(0)? == "scheduler-master").then_some(())
    });
    (c, notify, flip)
}

/// The state an operator left: an acknowledgement, a downtime and a comment on `broken`.
fn operator_actions(c: &Cluster) {
    let t = now();
    assert!(c.command(&[
        "ACKNOWLEDGE_SVC_PROBLEM;h0;broken;2;1;1;admin;looking at it".to_string(),
        format!(
            "SCHEDULE_SVC_DOWNTIME;h0;s1;{t};{};1;0;3600;admin;maintenance",
            t + 3600
        ),
        "ADD_SVC_COMMENT;h0;s2;1;admin;disk replaced".to_string(),
    ]));
    wait_for("the operator's actions at the broker", DEADLINE, || {
        operator_state_ok(c).then_some(())
    });
}

fn operator_state_ok(c: &Cluster) -> bool {
    let all = services(c);
    let get = |name: &str| {
        all.iter()
            .find(|s| field(s, "host_name") == "h0" && field(s, "service_description") == name)
    };
    let acked = get("broken").is_some_and(|s| field(s, "acknowledged") == true);
    let downtime = get("s1").is_some_and(|s| field(s, "in_downtime") == true);
    let comment = c
        .get_json(&format!("{}/api/v1/comments", c.url("broker-master")))
        .and_then(|v| v.as_array().cloned())
        .is_some_and(|cs| cs.iter().any(|x| x.to_string().contains("disk replaced")));
    acked && downtime && comment
}

/// Seconds from `since` until the broker shows a check run after it (by whoever runs the part).
fn until_checks_run(c: &Cluster, since: Instant, after_epoch: u64, what: &str) -> f64 {
    wait_for(what, DEADLINE, || {
        services(c)
            .iter()
            .any(|s| field(s, "last_check").as_u64().is_some_and(|t| t > after_epoch))
            .then(|| since.elapsed().as_secs_f64())
    })
}

fn active_scheduler(c: &Cluster) -> Option<String> {
    let st = arbiter_status(c)?;
    let master = daemon_status(&st, "scheduler-master");
    let spare = daemon_status(&st, "scheduler-spare");
    match (field(&master, "assigned") == true, field(&spare, "assigned") == true) {
        (true, false) => Some("scheduler-master".into()),
        (false, true) => Some("scheduler-spare".into()),
        _ => None,
    }
}

#[test]
fn kill_9_of_the_master_scheduler_moves_its_part_to_the_spare_with_every_state_then_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut c, notify, _flip) = started("127.0.6.1", 200);
    operator_actions(&c);
    let pending_before = services(&c).iter().filter(|s| !checked(s)).count();
    assert_eq!(pending_before, 0);

    // 1,000 numbered passive results through the receiver while the master is killed.
    let sender = {
        let client = c.client();
        let url = format!("{}/api/v1/commands", c.url("receiver-master"));
        std::thread::spawn(move || {
            for batch in 0..100 {
                let body: String = (0..10)
                    .map(|i| {
                        format!(
                            "[{}] PROCESS_SERVICE_CHECK_RESULT;h0;counter;2;result {}\n",
                            now(),
                            batch * 10 + i
                        )
                    })
                    .collect();
                let sent = client.post(&url).header("content-type", "text/plain").body(body).send();
                assert!(
                    sent.is_ok_and(|r| r.status().is_success()),
                    "the receiver refused batch {batch}"
                );
                std::thread::sleep(Duration::from_millis(15));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));

    // kill -9 of the master: its part must run on the spare within 3 s.
    let killed_at = Instant::now();
    let epoch = now();
    c.daemon("scheduler-master").kill();
    let took = until_checks_run(&c, killed_at, epoch, "checks run by the spare after the kill");
    eprintln!("kill -9 → spare running checks: {took:.2} s");
    assert!(
        took <= 3.0,
        "the spare ran checks {took:.2} s after the kill (target ≤ 3 s)\n{}",
        c.logs()
    );
    assert_eq!(active_scheduler(&c).as_deref(), Some("scheduler-spare"), "{}", c.logs());
    // Every state came along: acknowledgement, downtime, comment; nothing back to PENDING.
    wait_for("the operator's actions after the take-over", DEADLINE, || {
        operator_state_ok(&c).then_some(())
    });
    let all = services(&c);
    assert!(all.iter().all(checked), "a service went back to PENDING");
    sender.join().expect("sender");
    // Every result applied exactly once: 1,000 CRITICAL results are attempt 1,000.
    let counter = wait_for("the 1,000th result applied", DEADLINE, || {
        services(&c)
            .into_iter()
            .find(|s| field(s, "service_description") == "counter" && field(s, "output").as_str() == Some("result 999"))
    });
    assert_eq!(
        field(&counter, "attempt").as_u64(),
        Some(1000),
        "lost or doubled results: {counter}"
    );
    let status = arbiter_status(&c).expect("arbiter status");
    let events = field(&status, "events").to_string();
    assert!(
        events.contains("scheduler-spare takes over from scheduler-master"),
        "{events}"
    );
    let log = std::fs::read_to_string(c.daemon("broker-master").data.join("vigia.log")).unwrap_or_default();
    assert!(
        log.contains("VIGIA HA: scheduler: scheduler-spare takes over from scheduler-master"),
        "take-over not in the log:\n{log}"
    );

    // The master returns: the spare gives the part back and waits again.
    let back_at = Instant::now();
    c.daemon("scheduler-master").start();
    wait_for("the master active again and the spare waiting", DEADLINE, || {
        (active_scheduler(&c).as_deref() == Some("scheduler-master")).then_some(())
    });
    eprintln!(
        "master restarted → fail-back complete: {:.2} s",
        back_at.elapsed().as_secs_f64()
    );
    // It took the part back from its own live copy: it followed the spare's state stream, and
    // the spare's final step reached it (no state in the release answer).
    let master_log = c.daemon("scheduler-master").log();
    assert!(
        master_log.contains("taken over from the live copy of the state streamed by scheduler-spare"),
        "{master_log}"
    );
    let spare_log = c.daemon("scheduler-spare").log();
    assert!(
        spare_log.contains("final state streamed to the home scheduler"),
        "{spare_log}"
    );
    let epoch = now();
    until_checks_run(
        &c,
        Instant::now(),
        epoch,
        "checks run by the master after the fail-back",
    );
    wait_for("the operator's actions after the fail-back", DEADLINE, || {
        operator_state_ok(&c).then_some(())
    });
    // `broken` is CRITICAL and notifies once (notification_interval 0): once over all three
    // schedulers' runs.
    let sent = notifications(notify.path(), "broken");
    let count = |kind: &str| sent.iter().filter(|l| l.starts_with(&format!("{kind};"))).count();
    assert_eq!(
        (count("PROBLEM"), count("ACKNOWLEDGEMENT")),
        (1, 1),
        "each sent once, not once per scheduler: {sent:?}"
    );
}

#[test]
fn a_frozen_master_is_replaced_and_sends_nothing_after_it_wakes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut c, notify, flip) = started("127.0.6.2", 20);
    let pid = c.daemon("scheduler-master").pid();
    let stopped_at = Instant::now();
    let epoch = now();
    unsafe {
        libc::kill(pid, libc::SIGSTOP);
    }
    let took = until_checks_run(&c, stopped_at, epoch + 1, "checks run by the spare after SIGSTOP");
    eprintln!("SIGSTOP → spare running checks: {took:.2} s");
    assert!(
        took <= 5.0,
        "the spare ran checks {took:.2} s after SIGSTOP (target ≤ 5 s)\n{}",
        c.logs()
    );
    // A problem while the spare runs the part: the spare notifies it, once.
    std::fs::write(flip.path(), "2").expect("flip");
    let start = Instant::now();
    while notifications(notify.path(), "flip").len() != 1 {
        assert!(
            start.elapsed() < DEADLINE,
            "no PROBLEM for flip from the spare\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The master wakes up: it must not notify (its old state says OK: nothing to send, and
    // whatever it had queued is dropped); the part goes back to it with the spare's state.
    unsafe {
        libc::kill(pid, libc::SIGCONT);
    }
    wait_for("the master active again", DEADLINE, || {
        (active_scheduler(&c).as_deref() == Some("scheduler-master")).then_some(())
    });
    // Once awake it was stopped by the arbiter at once, or saw its own freeze and held its
    // notifications until an arbiter answered: either way nothing stale went out.
    let log = c.daemon("scheduler-master").log();
    assert!(
        log.contains("released (") || log.contains("it may have been replaced"),
        "{log}"
    );
    std::fs::write(flip.path(), "0").expect("flip");
    wait_for("RECOVERY for flip", DEADLINE, || {
        notifications(notify.path(), "flip")
            .iter()
            .any(|l| l.starts_with("RECOVERY"))
            .then_some(())
    });
    // Let any late duplicate show up before counting.
    std::thread::sleep(Duration::from_secs(3));
    let sent = notifications(notify.path(), "flip");
    let kinds: Vec<&str> = sent.iter().map(|l| l.split(';').next().unwrap_or("")).collect();
    assert_eq!(
        kinds,
        ["PROBLEM", "RECOVERY"],
        "no duplicate, none missing: {sent:?}\n{}",
        c.logs()
    );
    assert!(sent[1].ends_with(";1") || sent[1].ends_with(";0"), "{sent:?}");
}

/// Spares for the satellites: poller, reactionner, broker and receiver.
fn satellite_spares(ip: &str) -> String {
    let mut s = cluster::daemons_cfg(ip);
    for (role, port) in [
        ("poller", 7781),
        ("reactionner", 7779),
        ("broker", 7782),
        ("receiver", 7783),
    ] {
        s += &format!(
            "define {role} {{\n {role}_name {role}-spare\n address {ip}\n port {port}\n spare 1\n realm All\n manage_sub_realms 1\n}}\n"
        );
    }
    s
}

fn services_at(c: &Cluster, broker: &str) -> Vec<serde_json::Value> {
    c.get_json(&format!("{}/api/v1/services", c.url(broker)))
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

fn runs(c: &Cluster, name: &str) -> bool {
    arbiter_status(c).is_some_and(|st| field(&daemon_status(&st, name), "assigned") == true)
}

#[test]
fn poller_reactionner_broker_and_receiver_fail_over_to_their_spares_and_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ip = "127.0.6.3";
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let flip = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(flip.path(), "0").expect("flip");
    // The master broker serves Livestatus; its spare, which sets nothing, serves the same port
    // on its own address once it runs the broker's work (here the same address).
    let daemons = satellite_spares(ip).replacen(
        " broker_name broker-master\n",
        " broker_name broker-master\n livestatus_port 16559\n",
        1,
    );
    let mut c = Cluster::with_daemons(ip, &daemons, &objects(notify.path(), flip.path(), 10));
    c.start_all();
    wait_for("every service checked at the broker", DEADLINE * 2, || {
        let all = services_at(&c, "broker-master");
        (all.len() == 53 && all.iter().all(checked)).then_some(())
    });

    // Poller: checks go on through the spare.
    let t = Instant::now();
    let epoch = now();
    c.daemon("poller-master").kill();
    wait_for("poller-spare active", DEADLINE, || {
        runs(&c, "poller-spare").then_some(())
    });
    let took = until_checks_run(&c, t, epoch + 1, "checks run through poller-spare");
    eprintln!("kill -9 poller → checks through the spare: {took:.2} s");

    // Broker: the spare gets the full status from the scheduler.
    let t = Instant::now();
    c.daemon("broker-master").kill();
    wait_for("broker-spare with the full status", DEADLINE, || {
        let all = services_at(&c, "broker-spare");
        (all.len() == 53 && all.iter().all(checked)).then_some(())
    });
    eprintln!(
        "kill -9 broker → spare broker with the full status: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    wait_for("Livestatus from the spare broker", DEADLINE, || {
        let mut s = std::net::TcpStream::connect((ip, 16559)).ok()?;
        s.write_all(b"GET status\nColumns: num_services\n\n").ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        (out.trim() == "53").then_some(())
    });
    // The configuration too: the arbiter sends the spare the part images with its work.
    wait_for("configuration columns from the spare broker", DEADLINE, || {
        let mut s = std::net::TcpStream::connect((ip, 16559)).ok()?;
        s.write_all(b"GET services\nColumns: check_command host_address\nFilter: description = flip\n\n")
            .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        (out.starts_with("file_state!") && !out.trim().ends_with(';')).then_some(())
    });
    let ha = c
        .get_json(&format!("{}/api/v1/ha", c.url("broker-spare")))
        .unwrap_or_default()
        .to_string();
    assert!(ha.contains("poller-spare takes over from poller-master"), "{ha}");

    // Reactionner: a new problem is notified by the spare, once.
    c.daemon("reactionner-master").kill();
    wait_for("reactionner-spare active", DEADLINE, || {
        runs(&c, "reactionner-spare").then_some(())
    });
    std::fs::write(flip.path(), "2").expect("flip");
    wait_for("PROBLEM for flip through reactionner-spare", DEADLINE, || {
        (notifications(notify.path(), "flip").len() == 1).then_some(())
    });

    // Receiver: commands go through the spare.
    c.daemon("receiver-master").kill();
    wait_for("receiver-spare active", DEADLINE, || {
        runs(&c, "receiver-spare").then_some(())
    });
    let accepted = c
        .client()
        .post(format!("{}/api/v1/commands", c.url("receiver-spare")))
        .header("content-type", "text/plain")
        .body(format!(
            "[{}] ACKNOWLEDGE_SVC_PROBLEM;h0;flip;2;1;0;admin;on it\n",
            now()
        ))
        .send()
        .is_ok_and(|r| r.status().is_success());
    assert!(accepted);
    wait_for("the acknowledgement at the spare broker", DEADLINE, || {
        services_at(&c, "broker-spare")
            .iter()
            .any(|s| field(s, "service_description") == "flip" && field(s, "acknowledged") == true)
            .then_some(())
    });

    // Every master returns: each spare gives its work back and waits.
    for name in [
        "poller-master",
        "reactionner-master",
        "broker-master",
        "receiver-master",
    ] {
        c.daemon(name).start();
    }
    wait_for("every master active, every spare waiting", DEADLINE, || {
        let st = arbiter_status(&c)?;
        let masters = [
            "poller-master",
            "reactionner-master",
            "broker-master",
            "receiver-master",
        ]
        .iter()
        .all(|n| field(&daemon_status(&st, n), "assigned") == true);
        let spares = ["poller-spare", "reactionner-spare", "broker-spare", "receiver-spare"]
            .iter()
            .all(|n| field(&daemon_status(&st, n), "assigned") == false);
        (masters && spares).then_some(())
    });
    wait_for("the returned broker with the full status", DEADLINE, || {
        let all = services_at(&c, "broker-master");
        all.iter()
            .any(|s| field(s, "service_description") == "flip" && field(s, "acknowledged") == true)
            .then_some(())
    });
    wait_for("Livestatus from the returned broker", DEADLINE, || {
        let mut s = std::net::TcpStream::connect((ip, 16559)).ok()?;
        s.write_all(b"GET services\nColumns: acknowledged\nFilter: description = flip\n\n")
            .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        (out.trim() == "1").then_some(())
    });
    let sent = notifications(notify.path(), "flip");
    let problems = sent.iter().filter(|l| l.starts_with("PROBLEM;")).count();
    let acks = sent.iter().filter(|l| l.starts_with("ACKNOWLEDGEMENT;")).count();
    assert_eq!((problems, acks), (1, 1), "each notified once: {sent:?}");
}

#[test]
fn the_spare_arbiter_takes_the_lead_fails_over_a_scheduler_and_gives_the_lead_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ip = "127.0.6.4";
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let flip = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(flip.path(), "0").expect("flip");
    let daemons = ha_daemons(ip)
        + &format!("define arbiter {{\n arbiter_name arbiter-spare\n address {ip}\n port 7790\n spare 1\n}}\n");
    let mut c = Cluster::with_daemons(ip, &daemons, &objects(notify.path(), flip.path(), 10));
    c.start_all();
    wait_for("every service checked at the broker", DEADLINE * 2, || {
        let all = services(&c);
        (all.len() == 53 && all.iter().all(checked)).then_some(())
    });
    let spare_status = |c: &Cluster| c.get_json(&format!("{}/v1/status", c.url("arbiter-spare")));
    assert_eq!(
        spare_status(&c).map(|s| field(&s, "active") == true),
        Some(false),
        "the spare arbiter waits"
    );

    // kill -9 of the master arbiter: the spare leads.
    let t = Instant::now();
    c.daemon("arbiter-master").kill();
    wait_for("the spare arbiter leading", DEADLINE, || {
        spare_status(&c).filter(|s| field(s, "active") == true).map(|_| ())
    });
    eprintln!(
        "kill -9 arbiter → spare arbiter leading: {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // A scheduler killed now is still failed over, by the spare arbiter.
    let t = Instant::now();
    let epoch = now();
    c.daemon("scheduler-master").kill();
    let took = until_checks_run(&c, t, epoch, "checks run by the spare scheduler");
    eprintln!("kill -9 scheduler under the spare arbiter → spare scheduler running checks: {took:.2} s");
    let st = spare_status(&c).expect("status");
    assert_eq!(field(&daemon_status(&st, "scheduler-spare"), "assigned"), true, "{st}");

    // The master arbiter returns: it leads again without undoing the fail-over, the spare
    // arbiter waits.
    c.daemon("arbiter-master").start();
    wait_for("the master arbiter leading, the spare waiting", DEADLINE, || {
        let master = arbiter_status(&c)?;
        let spare = spare_status(&c)?;
        (field(&master, "active") == true && field(&spare, "active") == false).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let st = arbiter_status(&c).expect("status");
    assert_eq!(
        field(&daemon_status(&st, "scheduler-spare"), "assigned"),
        true,
        "still running the part: {st}"
    );
    let epoch = now();
    until_checks_run(&c, Instant::now(), epoch, "checks still running");

    // And the master scheduler's return is handled by the master arbiter.
    c.daemon("scheduler-master").start();
    wait_for("the master scheduler active again", DEADLINE, || {
        (active_scheduler(&c).as_deref() == Some("scheduler-master")).then_some(())
    });
}
