//! The chaos harness: a cluster with a spare for every role (the arbiter too) and two receivers,
//! on loopback addresses, under random failures for a while (`CHAOS_SECONDS`, 120 by default;
//! `bench/chaos/run.sh` runs 30 minutes), seeded (`CHAOS_SEED`, printed) so a run can be
//! replayed. Faults every `CHAOS_EVERY_MIN`–`CHAOS_EVERY_MAX` seconds on a random daemon: kill -9
//! (restarted 1–10 s later), SIGSTOP (SIGCONT 1–10 s later: longer than the fail-over time too),
//! or a restart (SIGTERM, start).
//!
//! Meanwhile: active checks of `CHAOS_HOSTS` hosts × 10 services (a few always CRITICAL,
//! notified every 30 s), a stream of numbered passive results and of numbered commands through
//! the two receivers. The ledger is the state itself: each passive service gets only WARNING
//! results and has `max_check_attempts` far above their number, so its attempt counts the
//! results applied (one lost: one short; one applied twice: one over); each command adds a
//! comment with its number. At the end the harness heals everything, waits for the cluster to
//! settle and prints the table; any loss or duplicate fails the run.
mod cluster;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cluster::{field, now, wait_for, Cluster, DEADLINE};

/// A small, seeded generator (xorshift64*): the same seed replays the same faults.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The first three bytes of the daemons' addresses (`CHAOS_NET`, default 127.0.15): a bench run
/// and the test suite can run side by side.
fn net() -> String {
    std::env::var("CHAOS_NET").unwrap_or_else(|_| "127.0.15".to_string())
}
/// Daemons: (role, name, last address byte, spare).
const DAEMONS: &[(&str, &str, u8, bool)] = &[
    ("arbiter", "arbiter-master", 1, false),
    ("arbiter", "arbiter-spare", 2, true),
    ("scheduler", "scheduler-master", 3, false),
    ("scheduler", "scheduler-spare", 4, true),
    ("poller", "poller-master", 5, false),
    ("poller", "poller-spare", 6, true),
    ("reactionner", "reactionner-master", 7, false),
    ("reactionner", "reactionner-spare", 8, true),
    ("broker", "broker-master", 9, false),
    ("broker", "broker-spare", 10, true),
    ("receiver", "receiver-one", 11, false),
    ("receiver", "receiver-two", 12, false),
];

fn port(role: &str) -> u16 {
    cluster::ROLE_PORTS
        .iter()
        .find(|(r, _)| *r == role)
        .map_or(7770, |(_, p)| *p)
}

fn daemons_cfg() -> String {
    let ip = net();
    DAEMONS
        .iter()
        .map(|(role, name, host, spare)| {
            format!(
                "define {role} {{\n {role}_name {name}\n address {ip}.{host}\n port {}\n spare {}\n realm All\n manage_sub_realms 1\n}}\n",
                port(role),
                u8::from(*spare)
            )
        })
        .collect()
}

/// Services whose attempt counts the passive results applied.
const PASSIVE_HOST: &str = "chaos-passive";
/// Seconds between two notifications of a problem.
const RENOTIFY: u64 = 30;

fn objects(hosts: u64, passive: u64, interval: u64, notified: &std::path::Path) -> String {
    let mut s = format!(
        "define realm {{\n realm_name All\n default 1\n}}\n\
define timeperiod {{\n timeperiod_name 24x7\n sunday 00:00-24:00\n monday 00:00-24:00\n tuesday 00:00-24:00\n wednesday 00:00-24:00\n thursday 00:00-24:00\n friday 00:00-24:00\n saturday 00:00-24:00\n}}\n\
define command {{\n command_name dummy\n command_line /usr/lib/nagios/plugins/check_dummy $ARG1$ \"$ARG2$\"\n}}\n\
define command {{\n command_name notify-log\n command_line /bin/sh -c 'echo \"$NOTIFICATIONTYPE$\\;$HOSTNAME$\\;$SERVICEDESC$\\;$NOTIFICATIONNUMBER$\\;$${{VIGIA_WORKER}}\" >> {file}'\n}}\n\
define contact {{\n contact_name admin\n host_notification_period 24x7\n service_notification_period 24x7\n host_notification_options d,r\n service_notification_options w,c,r\n host_notification_commands notify-log\n service_notification_commands notify-log\n}}\n\
define host {{\n name chaos-host\n check_command dummy!0!up\n max_check_attempts 1\n check_interval {interval}\n retry_interval {interval}\n check_period 24x7\n notification_period 24x7\n contacts admin\n register 0\n}}\n\
define service {{\n name chaos-service\n max_check_attempts 1\n check_interval {interval}\n retry_interval {interval}\n check_period 24x7\n notification_period 24x7\n notification_interval {RENOTIFY}\n contacts admin\n register 0\n}}\n\
define host {{\n use chaos-host\n host_name {PASSIVE_HOST}\n}}\n",
        file = notified.display()
    );
    for h in 0..hosts {
        s += &format!("define host {{\n use chaos-host\n host_name h{h}\n}}\n");
        for k in 0..10 {
            // One service in a hundred is always CRITICAL: notified every RENOTIFY seconds.
            let code = if (h * 10 + k) % 100 == 7 { 2 } else { 0 };
            s += &format!(
                "define service {{\n use chaos-service\n host_name h{h}\n service_description s{k}\n check_command dummy!{code}!chaos\n}}\n"
            );
        }
    }
    for p in 0..passive {
        s += &format!(
            "define service {{\n use chaos-service\n host_name {PASSIVE_HOST}\n service_description p{p}\n check_command dummy!0!unused\n active_checks_enabled 0\n passive_checks_enabled 1\n check_freshness 0\n max_check_attempts 1000000\n notifications_enabled 0\n}}\n"
        );
    }
    s
}

/// What the senders know they sent: accepted (2xx), and sent without knowing whether it was
/// accepted (the answer never came: it may or may not count).
#[derive(Default)]
struct Ledger {
    accepted: BTreeMap<u64, u64>,
    unsure: BTreeMap<u64, u64>,
    failed: u64,
}

/// Posts one command line to the first receiver that takes it. `Some(true)`: accepted;
/// `Some(false)`: sent, answer unknown; `None`: no receiver took it (nothing sent).
fn post(client: &reqwest::blocking::Client, receivers: &[String], start: usize, line: &str) -> Option<bool> {
    for i in 0..receivers.len() {
        let url = &receivers[(start + i) % receivers.len()];
        let answer = client
            .post(format!("{url}/api/v1/commands"))
            .header("content-type", "text/plain")
            .body(format!("[{}] {line}\n", now()))
            .timeout(Duration::from_secs(5))
            .send();
        match answer {
            Ok(r) if r.status().is_success() => return Some(true),
            // Refused with an answer: not queued, try the other.
            Ok(_) => continue,
            Err(e) if e.is_connect() => continue,
            Err(_) => return Some(false),
        }
    }
    None
}

/// Sends numbered lines (`make(n)` → (ledger key, line)) every `every` until `stop`.
fn sender(
    receivers: Vec<String>,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    every: Duration,
    make: impl Fn(u64) -> (u64, String),
) {
    let client = reqwest::blocking::Client::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Acquire) {
        let (key, line) = make(n);
        match post(&client, &receivers, n as usize, &line) {
            Some(true) => *ledger.lock().expect("ledger").accepted.entry(key).or_default() += 1,
            Some(false) => *ledger.lock().expect("ledger").unsure.entry(key).or_default() += 1,
            None => ledger.lock().expect("ledger").failed += 1,
        }
        n += 1;
        std::thread::sleep(every);
    }
}

/// A fault under way: what to undo, and when.
enum Pending {
    Restart { daemon: usize, at: Instant },
    Resume { daemon: usize, at: Instant },
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) with a child's pid; errors (already gone) are ignored.
    unsafe {
        libc::kill(pid, sig);
    }
}

fn get_json(client: &reqwest::blocking::Client, url: &str) -> Option<serde_json::Value> {
    let r = client.get(url).timeout(Duration::from_secs(10)).send().ok()?;
    r.status().is_success().then_some(())?;
    r.json().ok()
}

/// A list from the broker the arbiter has running the brokers' work now (`GET
/// /api/v1/{what}`): a released broker still answers, with the status it had when released.
/// A broker with nothing does not count when `some` is asked.
fn from_broker(client: &reqwest::blocking::Client, what: &str, some: bool) -> Option<Vec<serde_json::Value>> {
    let status = ["arbiter-master", "arbiter-spare"].iter().find_map(|a| {
        let host = DAEMONS.iter().find(|d| d.1 == *a)?.2;
        let status = get_json(
            client,
            &format!("http://{}.{host}:{}/v1/status", net(), port("arbiter")),
        )?;
        (status["active"] == true).then_some(status)
    })?;
    let active = status["daemons"]
        .as_array()?
        .iter()
        .find(|d| d["role"] == "broker" && d["assigned"] == true && d["alive"] == true)?;
    let url = format!(
        "http://{}:{}/api/v1/{what}",
        active["address"].as_str()?,
        active["port"].as_u64()?
    );
    get_json(client, &url)?
        .as_array()
        .cloned()
        .filter(|list| !some || !list.is_empty())
}

fn services(client: &reqwest::blocking::Client) -> Option<Vec<serde_json::Value>> {
    from_broker(client, "services", true)
}

fn comments(client: &reqwest::blocking::Client) -> Option<Vec<serde_json::Value>> {
    from_broker(client, "comments", false)
}

#[test]
fn chaos() {
    let seconds = env_u64("CHAOS_SECONDS", 120);
    let seed = env_u64("CHAOS_SEED", now() ^ u64::from(std::process::id()));
    let hosts = env_u64("CHAOS_HOSTS", 50);
    let passive = env_u64("CHAOS_PASSIVE", 20);
    // Active check interval (seconds).
    let interval = env_u64("CHAOS_INTERVAL", 10);
    let (every_min, every_max) = (env_u64("CHAOS_EVERY_MIN", 10), env_u64("CHAOS_EVERY_MAX", 30));
    eprintln!(
        "chaos: seed {seed}, {seconds} s, {hosts} hosts × 10 services checked every {interval} s, {passive} passive services, a fault every {every_min}-{every_max} s"
    );
    let mut rng = Rng(seed.max(1));
    let mut cluster = Cluster::with_daemons(&format!("{}.1", net()), &daemons_cfg(), "");
    std::fs::write(
        cluster.etc().join("objects.cfg"),
        objects(hosts, passive, interval, &cluster.path("notified")),
    )
    .expect("objects");
    cluster.start_all();
    let client = reqwest::blocking::Client::new();
    wait_for("every service checked once", DEADLINE * 2, || {
        services(&client).filter(|s| {
            s.iter()
                .filter(|v| field(v, "host_name") != PASSIVE_HOST)
                .all(|v| field(v, "has_been_checked") == true)
        })
    });

    // The senders.
    let receivers: Vec<String> = DAEMONS
        .iter()
        .filter(|d| d.0 == "receiver")
        .map(|d| format!("http://{}.{}:{}", net(), d.2, port("receiver")))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let results = Arc::new(Mutex::new(Ledger::default()));
    let commands = Arc::new(Mutex::new(Ledger::default()));
    let mut threads = Vec::new();
    {
        let (r, l, s) = (receivers.clone(), results.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            sender(r, l, s, Duration::from_millis(50), move |n| {
                let p = n % passive;
                (
                    p,
                    format!("PROCESS_SERVICE_CHECK_RESULT;{PASSIVE_HOST};p{p};1;chaos result {n}"),
                )
            })
        }));
        let (r, l, s) = (receivers.clone(), commands.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            sender(r, l, s, Duration::from_millis(500), move |n| {
                (
                    n,
                    format!("ADD_SVC_COMMENT;{PASSIVE_HOST};p0;1;chaos;chaos command {n}"),
                )
            })
        }));
    }

    // The faults, and what the services went through meanwhile.
    let start = Instant::now();
    let mut next_fault = start + Duration::from_secs(rng.between(every_min, every_max));
    let mut pending: Vec<Pending> = Vec::new();
    let mut faults: Vec<String> = Vec::new();
    let mut overdue_max = 0i64;
    // Which service, and when.
    let mut overdue_at = String::new();
    let mut overdue_all_down = 0i64;
    let mut last_sample = Instant::now();
    while start.elapsed() < Duration::from_secs(seconds) {
        let now_i = Instant::now();
        let mut i = 0;
        while i < pending.len() {
            match pending[i] {
                Pending::Restart { daemon, at } if at <= now_i => {
                    cluster.daemons[daemon].start();
                    pending.remove(i);
                }
                Pending::Resume { daemon, at } if at <= now_i => {
                    signal(cluster.daemons[daemon].pid(), libc::SIGCONT);
                    pending.remove(i);
                }
                _ => i += 1,
            }
        }
        if now_i >= next_fault {
            // Only a daemon running and not stopped.
            let busy: Vec<usize> = pending
                .iter()
                .map(|p| match p {
                    Pending::Restart { daemon, .. } | Pending::Resume { daemon, .. } => *daemon,
                })
                .collect();
            let candidates: Vec<usize> = (0..cluster.daemons.len()).filter(|d| !busy.contains(d)).collect();
            let d = candidates[rng.between(0, candidates.len() as u64 - 1) as usize];
            let pause = Duration::from_secs(rng.between(1, 10));
            let name = cluster.daemons[d].name.clone();
            let at = start.elapsed().as_secs();
            match rng.between(0, 2) {
                0 => {
                    cluster.daemons[d].kill();
                    pending.push(Pending::Restart {
                        daemon: d,
                        at: now_i + pause,
                    });
                    faults.push(format!("{at:>5} s  kill -9 {name}, back after {} s", pause.as_secs()));
                }
                1 => {
                    signal(cluster.daemons[d].pid(), libc::SIGSTOP);
                    pending.push(Pending::Resume {
                        daemon: d,
                        at: now_i + pause,
                    });
                    faults.push(format!("{at:>5} s  SIGSTOP {name} for {} s", pause.as_secs()));
                }
                _ => {
                    cluster.daemons[d].stop();
                    cluster.daemons[d].start();
                    faults.push(format!("{at:>5} s  restart {name}"));
                }
            }
            next_fault = now_i + Duration::from_secs(rng.between(every_min, every_max));
        }
        if last_sample.elapsed() >= Duration::from_secs(5) {
            last_sample = Instant::now();
            // A role with every daemon down (or stopped) at once: reported apart.
            let down: Vec<&str> = pending
                .iter()
                .map(|p| match p {
                    Pending::Restart { daemon, .. } | Pending::Resume { daemon, .. } => {
                        cluster.daemons[*daemon].role.as_str()
                    }
                })
                .collect();
            let role_down = ["scheduler", "poller", "broker"]
                .iter()
                .any(|r| down.iter().filter(|d| *d == r).count() >= 2);
            if let Some(list) = services(&client) {
                let t = now() as i64;
                let worst = list
                    .iter()
                    .filter(|v| field(v, "host_name") != PASSIVE_HOST)
                    .filter_map(|v| {
                        let late = t - field(v, "last_check").as_i64()? - interval as i64;
                        Some((
                            late,
                            format!("{}/{}", field(v, "host_name"), field(v, "service_description")),
                        ))
                    })
                    .max()
                    .unwrap_or_default();
                if role_down {
                    overdue_all_down = overdue_all_down.max(worst.0);
                } else if worst.0 > overdue_max {
                    overdue_max = worst.0;
                    overdue_at = format!("{} at {} s", worst.1, start.elapsed().as_secs());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    // Heal: every daemon running again, the senders stopped.
    stop.store(true, Ordering::Release);
    for t in threads {
        let _ = t.join();
    }
    for p in pending.drain(..) {
        match p {
            Pending::Restart { daemon, .. } => cluster.daemons[daemon].start(),
            Pending::Resume { daemon, .. } => signal(cluster.daemons[daemon].pid(), libc::SIGCONT),
        }
    }
    let results = results.lock().expect("ledger");
    let commands = commands.lock().expect("ledger");
    let sent_results: u64 = results.accepted.values().sum();
    let unsure_results: u64 = results.unsure.values().sum();
    let sent_commands: u64 = commands.accepted.values().sum();
    let unsure_commands: u64 = commands.unsure.values().sum();

    // Settle: the receivers deliver what they hold; wait until what the broker shows stops
    // moving and covers what was accepted (bounded).
    let settled = Instant::now();
    let mut last: Option<(u64, usize)> = None;
    let mut stable_since = Instant::now();
    let (applied, comment_numbers) = loop {
        let attempts: BTreeMap<u64, u64> = services(&client)
            .unwrap_or_default()
            .iter()
            .filter(|v| field(v, "host_name") == PASSIVE_HOST)
            .filter_map(|v| {
                let p = field(v, "service_description")
                    .as_str()?
                    .strip_prefix('p')?
                    .parse()
                    .ok()?;
                let state = field(v, "state_id").as_u64()?;
                Some((p, if state == 0 { 0 } else { field(v, "attempt").as_u64()? }))
            })
            .collect();
        let numbers: Vec<u64> = comments(&client)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| field(c, "text").as_str()?.strip_prefix("chaos command ")?.parse().ok())
            .collect();
        let key = (attempts.values().sum::<u64>(), numbers.len());
        if last != Some(key) {
            last = Some(key);
            stable_since = Instant::now();
        }
        let covered = key.0 >= sent_results && key.1 as u64 >= sent_commands;
        if (covered && stable_since.elapsed() > Duration::from_secs(10))
            || stable_since.elapsed() > Duration::from_secs(60)
            || settled.elapsed() > Duration::from_secs(300)
        {
            break (attempts, numbers);
        }
        std::thread::sleep(Duration::from_secs(1));
    };

    // The ledger against the state.
    let (mut lost_results, mut twice_results) = (0u64, 0u64);
    for p in 0..passive {
        let sent = results.accepted.get(&p).copied().unwrap_or(0);
        let unsure = results.unsure.get(&p).copied().unwrap_or(0);
        let got = applied.get(&p).copied().unwrap_or(0);
        lost_results += sent.saturating_sub(got);
        twice_results += got.saturating_sub(sent + unsure);
    }
    let mut per_command: BTreeMap<u64, u64> = BTreeMap::new();
    for n in &comment_numbers {
        *per_command.entry(*n).or_default() += 1;
    }
    let lost_commands = commands
        .accepted
        .keys()
        .filter(|n| !per_command.contains_key(n))
        .count();
    let twice_commands = per_command.values().filter(|c| **c > 1).count();
    let mut notifications: BTreeMap<(String, String, u64), u64> = BTreeMap::new();
    for line in std::fs::read_to_string(cluster.path("notified"))
        .unwrap_or_default()
        .lines()
    {
        let f: Vec<&str> = line.split(';').collect();
        if f.len() == 5 && f[0] == "PROBLEM" {
            let number = f[3].parse().unwrap_or(0);
            *notifications.entry((f[1].into(), f[2].into(), number)).or_default() += 1;
        }
    }
    let problems: std::collections::BTreeSet<(&String, &String)> =
        notifications.keys().map(|(h, s, _)| (h, s)).collect();
    let duplicate_notifications: Vec<_> = notifications.iter().filter(|(_, c)| **c > 1).collect();
    let events = get_json(&client, &format!("{}/v1/status", cluster.url("arbiter-master")))
        .or_else(|| get_json(&client, &format!("{}/v1/status", cluster.url("arbiter-spare"))))
        .and_then(|s| s["events"].as_array().cloned())
        .unwrap_or_default();

    eprintln!("\nfaults ({}):", faults.len());
    for f in &faults {
        eprintln!("  {f}");
    }
    eprintln!("\ntake-overs and give-backs ({}):", events.len());
    for e in &events {
        eprintln!(
            "  {}  {} {} -> {}: {}",
            e["at"], e["home"], e["from"], e["to"], e["reason"]
        );
    }
    eprintln!(
        "\n{:<32} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "", "sent", "applied", "lost", "twice", "unsure"
    );
    eprintln!(
        "{:<32} {sent_results:>10} {:>10} {lost_results:>8} {twice_results:>8} {unsure_results:>8}",
        "passive results",
        applied.values().sum::<u64>()
    );
    eprintln!(
        "{:<32} {sent_commands:>10} {:>10} {lost_commands:>8} {twice_commands:>8} {unsure_commands:>8}",
        "commands",
        per_command.len()
    );
    eprintln!(
        "{:<32} {:>10} problems, {} sent, {} numbers sent twice {:?}",
        "notifications",
        problems.len(),
        notifications.values().sum::<u64>(),
        duplicate_notifications.len(),
        duplicate_notifications
    );
    eprintln!(
        "{:<32} {overdue_max} s beyond the interval ({overdue_at}; {overdue_all_down} s while every daemon of a role was down)",
        "longest unchecked"
    );
    eprintln!(
        "{:<32} {} results and {} commands no receiver took",
        "refused at the door", results.failed, commands.failed
    );
    assert_eq!(
        (lost_results, twice_results, lost_commands, twice_commands),
        (0, 0, 0, 0),
        "results or commands lost or applied twice (seed {seed})"
    );
    assert!(
        duplicate_notifications.is_empty(),
        "notifications sent twice (seed {seed}): {duplicate_notifications:?}"
    );
    assert!(!problems.is_empty(), "no notification at all (seed {seed})");
    assert!(
        overdue_max <= 5,
        "a service went unchecked {overdue_max} s beyond its interval (seed {seed})"
    );
}
