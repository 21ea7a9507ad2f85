//! Scale on real processes: 100,000 passive services (10,000 hosts × 10, one objects file,
//! services applied through hostgroups, parents in chains of 50) over two master schedulers,
//! each with a spare, and one of every other role. A master is killed with `kill -9`: its
//! spare must run the part with every acknowledgement, downtime and comment, the broker must
//! show every service again, and every daemon's memory must stay within twice the bounds of
//! issue 10 (correctness, not timing: the figures are in BENCHMARKS.md, from `bench/scale`).
mod cluster;

use std::time::Duration;

use cluster::{field, now, wait_for, Cluster};

const HOSTS: usize = 10_000;
const PER_HOST: usize = 10;
const SERVICES: usize = HOSTS * PER_HOST;
/// Loading and dispatching 100,000 services on a loaded 2-core machine.
const SLOW: Duration = Duration::from_secs(240);
/// What a scheduler needs whatever its part (code, runtime, buffers): issue 10's "fixed amount".
const FIXED_KB: u64 = 64 * 1024;

fn daemons(ip: &str) -> String {
    let mut s = String::new();
    let mut add = |role: &str, name: &str, port: u16, spare: bool| {
        s += &format!(
            "define {role} {{\n {role}_name {name}\n address {ip}\n port {port}\n spare {}\n realm All\n manage_sub_realms 1\n}}\n",
            spare as u8
        );
    };
    add("arbiter", "arbiter-master", 7770, false);
    add("scheduler", "scheduler-1", 7801, false);
    add("scheduler", "scheduler-2", 7802, false);
    add("scheduler", "spare-1", 7901, true);
    add("scheduler", "spare-2", 7902, true);
    add("poller", "poller-master", 7771, false);
    add("reactionner", "reactionner-master", 7769, false);
    add("broker", "broker-master", 7772, false);
    add("receiver", "receiver-master", 7773, false);
    s
}

fn objects(notify: &std::path::Path) -> String {
    let mut o = cluster::base_objects(notify);
    let groups = HOSTS / 1000;
    for g in 0..groups {
        o += &format!("define hostgroup {{\n hostgroup_name g{g}\n}}\n");
    }
    for h in 0..HOSTS {
        let parent = if h % 50 == 0 {
            String::new()
        } else {
            format!(" parents h{}\n", h - 1)
        };
        o += &format!(
            "define host {{\n use host-tpl\n host_name h{h}\n hostgroups g{}\n active_checks_enabled 0\n passive_checks_enabled 1\n{parent}}}\n",
            h / 1000
        );
    }
    let all: Vec<String> = (0..groups).map(|g| format!("g{g}")).collect();
    for s in 0..PER_HOST {
        o += &format!(
            "define service {{\n use svc-tpl\n hostgroup_name {}\n service_description s{s}\n check_command dummy!0!idle\n active_checks_enabled 0\n passive_checks_enabled 1\n}}\n",
            all.join(",")
        );
    }
    o
}

/// The broker's schedulers: name → (url, ready, services).
fn at_broker(c: &Cluster) -> Vec<(String, String, bool, u64)> {
    c.get_json(&format!("{}/api/v1/schedulers", c.url("broker-master")))
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|s| {
            (
                field(s, "name").as_str().unwrap_or("").to_string(),
                field(s, "url").as_str().unwrap_or("").to_string(),
                field(s, "ready") == true,
                field(s, "services").as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Peak and current resident memory of a process, in KB.
fn rss_kb(pid: i32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let read = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (read("VmHWM:"), read("VmRSS:"))
}

/// Whether the operator's actions on `host` are at the broker: `s0` acknowledged, `s1` in
/// downtime, a comment on `s2`.
fn actions_shown(c: &Cluster, host: &str) -> bool {
    let list = c
        .get_json(&format!("{}/api/v1/services?host_name={host}", c.url("broker-master")))
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let get = |name: &str| list.iter().find(|s| field(s, "service_description") == name);
    let acked = get("s0").is_some_and(|s| field(s, "acknowledged") == true);
    let downtime = get("s1").is_some_and(|s| field(s, "in_downtime") == true);
    let comment = c
        .get_json(&format!("{}/api/v1/comments?host_name={host}", c.url("broker-master")))
        .and_then(|v| v.as_array().cloned())
        .is_some_and(|cs| cs.iter().any(|x| x.to_string().contains("disk replaced")));
    acked && downtime && comment
}

#[test]
fn a_master_of_50000_services_killed_hands_every_state_to_its_spare_within_memory_bounds() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let ip = "127.0.7.1";
    let mut c = Cluster::with_daemons(ip, &daemons(ip), &objects(notify.path()));

    // What loading alone costs: the arbiter is held to 1.5 times it (here twice that).
    let checked = std::process::Command::new(cluster::VIGIA)
        .arg("check-config")
        .arg(c.etc())
        .output()
        .expect("vigia check-config");
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stdout));
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let check_config_kb = usage.ru_maxrss as u64;

    c.start_all();
    let parts = wait_for("every service at the broker", SLOW, || {
        let s = at_broker(&c);
        (s.len() == 2 && s.iter().all(|x| x.2) && s.iter().map(|x| x.3).sum::<u64>() == SERVICES as u64).then_some(s)
    });
    // Each spare follows one part with a live engine: nothing left to replay.
    for spare in ["spare-1", "spare-2"] {
        wait_for(&format!("{spare} keeps a live copy of a part"), SLOW, || {
            let copies = c.get_json(&format!("{}/v1/standby", c.url(spare)))?;
            let copies = copies.as_array()?.clone();
            (copies.len() == 1 && copies[0].get(2)? == 0).then_some(())
        });
    }

    // Operator actions on a host of each part (packs of 50 go to the two masters in turn; both
    // hosts are checked whichever way they went).
    for host in ["h0", "h50"] {
        assert!(
            c.command(&[format!("PROCESS_SERVICE_CHECK_RESULT;{host};s0;2;CRITICAL - down")]),
            "the result on {host} is applied and on the spares"
        );
        let t = now();
        assert!(c.command(&[
            format!("ACKNOWLEDGE_SVC_PROBLEM;{host};s0;2;1;1;admin;looking at it"),
            format!(
                "SCHEDULE_SVC_DOWNTIME;{host};s1;{t};{};1;0;3600;admin;maintenance",
                t + 3600
            ),
            format!("ADD_SVC_COMMENT;{host};s2;1;admin;disk replaced"),
        ]));
    }
    for host in ["h0", "h50"] {
        wait_for(
            &format!("the actions on {host} at the broker"),
            cluster::DEADLINE,
            || actions_shown(&c, host).then_some(()),
        );
    }

    // Memory before the kill.
    let pid = |c: &mut Cluster, name: &str| c.daemon(name).pid();
    let (_, arbiter_kb) = rss_kb(pid(&mut c, "arbiter-master"));
    let (_, broker_kb) = rss_kb(pid(&mut c, "broker-master"));
    let part_services = |name: &str| parts.iter().find(|p| p.0 == name).map_or(0, |p| p.3);
    let mut masters_kb = Vec::new();
    for (master, spare) in [("scheduler-1", "spare-1"), ("scheduler-2", "spare-2")] {
        let (_, m) = rss_kb(pid(&mut c, master));
        let (_, s) = rss_kb(pid(&mut c, spare));
        eprintln!(
            "{master}: {} services, {} MB; {spare}: {} MB",
            part_services(master),
            m / 1024,
            s / 1024
        );
        assert!(
            m <= 2 * (part_services(master) + FIXED_KB),
            "{master}: {m} KB for {} services (bound: 1 KB per service + {FIXED_KB} KB, doubled)",
            part_services(master)
        );
        masters_kb.push(m);
    }
    for (spare, master_kb) in ["spare-1", "spare-2"].iter().zip(&masters_kb) {
        let (_, s) = rss_kb(pid(&mut c, spare));
        assert!(
            s * 10 <= 2 * 13 * master_kb,
            "{spare}: {s} KB while its master has {master_kb} KB (bound 1.3×, doubled)"
        );
    }
    eprintln!(
        "check-config {} MB; arbiter {} MB; broker {} MB",
        check_config_kb / 1024,
        arbiter_kb / 1024,
        broker_kb / 1024
    );
    assert!(
        arbiter_kb * 10 <= 2 * 15 * check_config_kb,
        "arbiter {arbiter_kb} KB, check-config {check_config_kb} KB (bound 1.5×, doubled)"
    );
    assert!(
        broker_kb * 10 <= 2 * 15 * SERVICES as u64,
        "broker {broker_kb} KB for {SERVICES} services (bound 1.5 KB per service, doubled)"
    );

    // kill -9 of scheduler-1: a spare runs its part, the broker shows all of it from there.
    let before = parts
        .iter()
        .find(|p| p.0 == "scheduler-1")
        .map(|p| p.1.clone())
        .unwrap_or_default();
    c.daemon("scheduler-1").kill();
    let spare_url = wait_for("scheduler-1's part shown at the broker from a spare", SLOW, || {
        let s = at_broker(&c);
        let p = s.iter().find(|x| x.0 == "scheduler-1")?;
        (p.1 != before && p.2 && s.iter().map(|x| x.3).sum::<u64>() == SERVICES as u64).then(|| p.1.clone())
    });
    let spare = if spare_url.ends_with(":7901") {
        "spare-1"
    } else {
        "spare-2"
    };
    for host in ["h0", "h50"] {
        wait_for(&format!("the actions on {host} kept"), cluster::DEADLINE, || {
            actions_shown(&c, host).then_some(())
        });
    }
    // It accepts results: the comment count of a new comment shows it applies commands.
    for host in ["h0", "h50"] {
        assert!(
            c.command(&[format!("ADD_SVC_COMMENT;{host};s3;1;admin;after the kill")]),
            "a command on {host} after the take-over is applied"
        );
    }
    let (_, spare_kb) = rss_kb(pid(&mut c, spare));
    eprintln!("{spare} after the take-over: {} MB", spare_kb / 1024);
    assert!(
        spare_kb * 10 <= 2 * 13 * masters_kb[0],
        "{spare} after the take-over: {spare_kb} KB, its master had {} KB (bound 1.3×, doubled)",
        masters_kb[0]
    );
}
