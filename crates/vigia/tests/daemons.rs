//! The six daemons as real processes on loopback: checks, passive results, notifications,
//! distribution over schedulers and realms, tags, restarts, reload, the shared secret.
//! Each test has its own 127.0.5.x address and the standard ports.
mod cluster;

use std::time::Duration;

use cluster::{base_objects, field, wait_for, Cluster, DEADLINE};

fn state(s: &serde_json::Value) -> String {
    field(s, "state").as_str().unwrap_or("").to_string()
}

fn state_type(s: &serde_json::Value) -> String {
    field(s, "state_type")
        .as_str()
        .map(str::to_uppercase)
        .unwrap_or_default()
}

#[test]
fn active_check_flows_to_the_broker_log_and_status() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let objects = format!(
        "{}define host {{\n use host-tpl\n host_name web1\n address 127.0.0.1\n}}\n\
         define service {{\n use svc-tpl\n host_name web1\n service_description http\n check_command dummy!2!down hard\n}}\n",
        base_objects(notify.path())
    );
    let mut c = Cluster::new("127.0.5.1", &objects);
    c.start_all();
    let svc = wait_for("web1/http CRITICAL HARD at the broker", DEADLINE, || {
        c.service("broker-master", "web1", "http")
            .filter(|s| state(s) == "CRITICAL" && state_type(s) == "HARD")
    });
    assert!(
        field(&svc, "output").as_str().unwrap_or("").contains("down hard"),
        "{svc}"
    );
    let log = c.daemon("broker-master").data.join("vigia.log");
    wait_for("SERVICE ALERT lines in the broker's vigia.log", DEADLINE, || {
        let text = std::fs::read_to_string(&log).ok()?;
        (text.contains("SERVICE ALERT: web1;http;CRITICAL;SOFT;1;")
            && text.contains("SERVICE ALERT: web1;http;CRITICAL;HARD;2;"))
        .then_some(())
    });
    // The reactionner ran the notification command, which wrote the line.
    let line = wait_for("the notification written by the reactionner", DEADLINE, || {
        std::fs::read_to_string(notify.path())
            .ok()
            .filter(|t| t.contains("PROBLEM;web1;http;CRITICAL;1"))
    });
    assert_eq!(
        line.lines().filter(|l| l.starts_with("PROBLEM;web1;http")).count(),
        1,
        "notified once: {line}"
    );
}

/// Host db1 with one passive-only service, `backup`, HARD at the first result.
fn passive_backup_service(notify: &std::path::Path) -> String {
    format!(
        "{}define host {{\n use host-tpl\n host_name db1\n}}\n\
         define service {{\n use svc-tpl\n host_name db1\n service_description backup\n active_checks_enabled 0\n passive_checks_enabled 1\n max_check_attempts 1\n check_command dummy!0!fresh\n}}\n",
        base_objects(notify)
    )
}

/// Waits until the receiver has its assignment (it routes by host).
fn receiver_assigned(c: &Cluster) {
    wait_for("the receiver assigned", DEADLINE, || {
        let id = c.get_json(&format!("{}/v1/identity", c.url("receiver-master")))?;
        (!field(&id, "assignment").is_null()).then_some(())
    });
}

#[test]
fn passive_result_through_the_command_fifo_reaches_the_broker() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let objects = passive_backup_service(notify.path());
    let mut c = Cluster::new("127.0.5.2", &objects);
    c.start_all();
    let fifo = c.daemon("receiver-master").data.join("vigia.cmd");
    wait_for("the receiver's command FIFO", DEADLINE, || fifo.exists().then_some(()));
    receiver_assigned(&c);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let line = format!("[{now}] PROCESS_SERVICE_CHECK_RESULT;db1;backup;1;WARNING - backup is 26h old\n");
    // Opening a FIFO for writing blocks until the reader is there: do it off the test thread.
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).expect("open fifo");
        f.write_all(line.as_bytes()).expect("write fifo");
    });
    let svc = wait_for("db1/backup WARNING at the broker", DEADLINE, || {
        c.service("broker-master", "db1", "backup")
            .filter(|s| state(s) == "WARNING")
    });
    let _ = writer.join();
    assert!(
        field(&svc, "output").as_str().unwrap_or("").contains("26h old"),
        "{svc}"
    );
}

#[test]
fn weights_one_and_three_share_hosts_with_packs_whole() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let ip = "127.0.5.3";
    let mut daemons =
        cluster::daemons_cfg(ip).replace("scheduler_name scheduler-master\n", "scheduler_name s1\n weight 1\n");
    daemons +=
        &format!("define scheduler {{\n scheduler_name s3\n address {ip}\n port 7780\n weight 3\n realm All\n}}\n");
    let mut objects = base_objects(notify.path());
    for i in 0..40 {
        // Pairs linked by parents: a pack of two never split.
        let parent = if i % 2 == 1 {
            format!(" parents h{}\n", i - 1)
        } else {
            String::new()
        };
        objects += &format!("define host {{\n use host-tpl\n host_name h{i}\n check_interval 30\n{parent}}}\n");
    }
    let mut c = Cluster::with_daemons(ip, &daemons, &objects);
    c.start_all();
    let hosts = wait_for("40 hosts known by the broker", DEADLINE, || {
        let h = c.hosts("broker-master");
        (h.len() == 40).then_some(h)
    });
    let owner = |name: &str| {
        hosts
            .iter()
            .find(|h| field(h, "host_name").as_str() == Some(name))
            .map(|h| field(h, "scheduler").as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let on_s3 = (0..40).filter(|i| owner(&format!("h{i}")) == "s3").count();
    assert_eq!(on_s3, 30, "weight 3 of 4 gets 3/4 of the hosts");
    for i in (0..40).step_by(2) {
        assert_eq!(
            owner(&format!("h{i}")),
            owner(&format!("h{}", i + 1)),
            "pack h{i}/h{} split",
            i + 1
        );
    }
}

#[test]
fn two_realms_each_with_their_own_poller_and_a_tagged_poller() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let ip = "127.0.5.4";
    let mut daemons = cluster::daemons_cfg(ip);
    daemons += &format!(
        "define scheduler {{\n scheduler_name sched-eu\n address {ip}\n port 7780\n realm Europe\n}}\n\
         define poller {{\n poller_name poller-eu\n address {ip}\n port 7781\n realm Europe\n}}\n\
         define poller {{\n poller_name poller-dmz\n address {ip}\n port 7782\n realm All\n poller_tags dmz\n}}\n"
    );
    // The master poller serves only its own realm here.
    let daemons = daemons.replacen(
        "poller_name poller-master\n address",
        "poller_name poller-master\n manage_sub_realms 0\n address",
        1,
    );
    let objects = format!(
        "{}define realm {{\n realm_name Europe\n}}\n\
         define command {{\n command_name whoami\n command_line /bin/sh -c 'echo ran by $$VIGIA_WORKER'\n}}\n\
         define host {{\n use host-tpl\n host_name paris\n realm Europe\n}}\n\
         define host {{\n use host-tpl\n host_name core\n}}\n\
         define service {{\n use svc-tpl\n host_name paris\n service_description who\n check_command whoami\n}}\n\
         define service {{\n use svc-tpl\n host_name core\n service_description who\n check_command whoami\n}}\n\
         define service {{\n use svc-tpl\n host_name core\n service_description dmz\n check_command whoami\n poller_tag dmz\n}}\n",
        base_objects(notify.path()).replace("realm_name All\n default 1\n", "realm_name All\n default 1\n realm_members Europe\n")
    );
    let mut c = Cluster::with_daemons(ip, &daemons, &objects);
    c.start_all();
    for (host, svc, by) in [
        ("paris", "who", "poller-eu"),
        ("core", "who", "poller-master"),
        ("core", "dmz", "poller-dmz"),
    ] {
        wait_for(&format!("{host}/{svc} checked by poller {by}"), DEADLINE, || {
            c.service("broker-master", host, svc)
                .filter(|s| field(s, "output").as_str().unwrap_or("") == format!("ran by {by}"))
        });
    }
}

#[test]
fn restarted_scheduler_resumes_from_retention_and_restarted_broker_rebuilds_status() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let state_file = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(state_file.path(), "2").expect("write");
    let objects = format!(
        "{}define host {{\n use host-tpl\n host_name app\n}}\n\
         define service {{\n use svc-tpl\n host_name app\n service_description api\n check_command file_state!{}\n check_interval 3600\n retry_interval 1\n}}\n",
        base_objects(notify.path()),
        state_file.path().display()
    );
    let mut c = Cluster::new("127.0.5.5", &objects);
    c.start_all();
    wait_for("app/api CRITICAL HARD", DEADLINE, || {
        c.service("broker-master", "app", "api")
            .filter(|s| state(s) == "CRITICAL" && state_type(s) == "HARD")
    });
    let ack = "ACKNOWLEDGE_SVC_PROBLEM;app;api;2;1;1;admin;looking at it";
    let r = c
        .client()
        .post(format!("{}/api/v1/commands", c.url("receiver-master")))
        .header("content-type", "text/plain")
        .body(ack)
        .send()
        .expect("post command");
    assert!(r.status().is_success(), "{}", r.status());
    wait_for("acknowledged at the broker", DEADLINE, || {
        c.service("broker-master", "app", "api")
            .filter(|s| field(s, "acknowledged").as_bool() == Some(true))
    });
    // The check now would say OK: a scheduler that lost its state would show PENDING/OK.
    std::fs::write(state_file.path(), "0").expect("write");
    c.daemon("scheduler-master").stop();
    c.daemon("scheduler-master").start();
    c.daemon("broker-master").kill();
    c.daemon("broker-master").start();
    let svc = wait_for("app/api back at a restarted broker", DEADLINE, || {
        c.service("broker-master", "app", "api")
    });
    assert_eq!(
        state(&svc),
        "CRITICAL",
        "state kept across the scheduler restart: {svc}"
    );
    assert_eq!(state_type(&svc), "HARD", "{svc}");
    assert_eq!(
        field(&svc, "acknowledged").as_bool(),
        Some(true),
        "acknowledgement kept: {svc}"
    );
    assert_eq!(c.hosts("broker-master").len(), 1);
}

#[test]
fn reload_keeps_the_state_and_schedule_of_unchanged_services() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let objects = format!(
        "{}define host {{\n use host-tpl\n host_name web\n}}\n\
         define service {{\n use svc-tpl\n host_name web\n service_description slow\n check_command dummy!1!slow\n check_interval 3600\n max_check_attempts 1\n}}\n",
        base_objects(notify.path())
    );
    let mut c = Cluster::new("127.0.5.6", &objects);
    c.start_all();
    let before = wait_for("web/slow WARNING", DEADLINE, || {
        c.service("broker-master", "web", "slow")
            .filter(|s| state(s) == "WARNING")
    });
    let next = field(&before, "next_check").clone();
    let added = format!(
        "{objects}define service {{\n use svc-tpl\n host_name web\n service_description new\n check_command dummy!0!fresh\n}}\n"
    );
    std::fs::write(c.etc().join("objects.cfg"), added).expect("rewrite");
    let r = c
        .client()
        .post(format!("{}/v1/reload", c.url("arbiter-master")))
        .send()
        .expect("reload");
    assert!(
        r.status().is_success(),
        "reload: {} {}",
        r.status(),
        r.text().unwrap_or_default()
    );
    wait_for("the new service checked", DEADLINE, || {
        c.service("broker-master", "web", "new").filter(|s| state(s) == "OK")
    });
    let after = c.service("broker-master", "web", "slow").expect("slow still there");
    assert_eq!(state(&after), "WARNING", "state kept: {after}");
    assert_eq!(
        field(&after, "next_check"),
        &next,
        "next check kept (no rescheduling storm): {after}"
    );
    assert_eq!(
        field(&after, "last_check"),
        field(&before, "last_check"),
        "not re-run: {after}"
    );
    // An invalid configuration changes nothing.
    std::fs::write(
        c.etc().join("objects.cfg"),
        "define host {\n host_name broken\n check_command nope\n}\n",
    )
    .expect("w");
    let r = c
        .client()
        .post(format!("{}/v1/reload", c.url("arbiter-master")))
        .send()
        .expect("reload");
    assert_eq!(r.status().as_u16(), 400);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        c.service("broker-master", "web", "new").is_some(),
        "the running configuration stays"
    );
}

#[test]
fn requests_without_the_secret_are_refused() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let objects = format!(
        "{}define host {{\n use host-tpl\n host_name h\n}}\n",
        base_objects(notify.path())
    );
    let mut c = Cluster::new("127.0.5.7", &objects);
    c.secret = Some("s3cr3t-for-tests".into());
    c.start_all();
    // With the secret, things work (the broker learns the host).
    wait_for("host known with the secret", DEADLINE, || {
        (c.hosts("broker-master").len() == 1).then_some(())
    });
    let anonymous = reqwest::blocking::Client::new();
    for (daemon, path) in [
        ("scheduler-master", "/v1/identity"),
        ("poller-master", "/v1/identity"),
        ("broker-master", "/api/v1/hosts"),
        ("arbiter-master", "/v1/status"),
    ] {
        let r = anonymous
            .get(format!("{}{path}", c.url(daemon)))
            .send()
            .expect("request");
        assert_eq!(r.status().as_u16(), 401, "{daemon}{path}");
    }
    let r = anonymous
        .post(format!("{}/api/v1/commands", c.url("receiver-master")))
        .body("DISABLE_NOTIFICATIONS")
        .send()
        .expect("request");
    assert_eq!(r.status().as_u16(), 401);
    let r = anonymous
        .post(format!("{}/v1/assign", c.url("scheduler-master")))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .expect("request");
    assert_eq!(
        r.status().as_u16(),
        401,
        "an unauthenticated assignment changes nothing"
    );
}

/// The monitoring log is the record: lines the scheduler wrote while the broker was down reach
/// the broker's `vigia.log` when it is back, once, and the lines it had are not written again.
#[test]
fn a_restarted_broker_gets_the_log_lines_it_missed_once() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let objects = passive_backup_service(notify.path());
    let mut c = Cluster::new("127.0.5.8", &objects);
    c.start_all();
    let post = |c: &Cluster, code: u8, output: &str| {
        let r = c
            .client()
            .post(format!("{}/api/v1/commands?wait=20", c.url("receiver-master")))
            .header("content-type", "text/plain")
            .body(format!("PROCESS_SERVICE_CHECK_RESULT;db1;backup;{code};{output}"))
            .send()
            .expect("post command");
        assert_eq!(r.status().as_u16(), 200, "{:?}", r.text());
    };
    receiver_assigned(&c);
    post(&c, 1, "WARNING - before");
    let log = c.daemon("broker-master").data.join("vigia.log");
    let count = |needle: &str| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("SERVICE ALERT") && l.contains(needle))
            .count()
    };
    wait_for("the first alert in the broker's log", DEADLINE, || {
        (count("WARNING - before") == 1).then_some(())
    });
    // A broker says what it has by asking for what follows: once a later line is in its log, it
    // has asked past the alert. (The lines of its very last batch before a kill -9 it never
    // acknowledged, and gets again.)
    post(&c, 1, "WARNING - acknowledged");
    let lines = |needle: &str| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    };
    wait_for("a later line in the broker's log", DEADLINE, || {
        (lines("WARNING - acknowledged") >= 1).then_some(())
    });

    c.daemon("broker-master").kill();
    post(&c, 2, "CRITICAL - while the broker was down");
    post(&c, 0, "OK - still down");
    c.daemon("broker-master").start();
    wait_for("the alerts made while the broker was down", DEADLINE, || {
        (count("while the broker was down") == 1 && count("still down") == 1).then_some(())
    });
    post(&c, 1, "WARNING - after");
    wait_for("the alert after the restart", DEADLINE, || {
        (count("WARNING - after") == 1).then_some(())
    });
    assert_eq!(count("WARNING - before"), 1, "written again after the restart");
    assert_eq!(count("while the broker was down"), 1);
    assert_eq!(count("still down"), 1);
}
