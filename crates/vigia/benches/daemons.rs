//! The six daemons end to end, as real `vigia` processes on loopback, with a generated
//! configuration of HOSTS × SERVICES services (`check_command /bin/true`, `interval_length=1`):
//!
//! - **a: active checks per second** at saturation (every service due every second), counted at
//!   the broker (services whose `last_check` changed between status snapshots taken closer
//!   together than a service's turn), next to the raw spawn floor measured in the same run: a
//!   tight `posix_spawn` + `waitpid` loop of `/bin/true` in this process, as many in flight as
//!   cores (what `vigia-exec`'s `benches/spawn.rs` calls the baseline);
//! - **b: check latency** (due → started, the `latency` the broker shows per service) at loads
//!   below saturation: p50 / p99 / max over every check that ended in the window;
//! - **c: passive results** through the receiver's `POST /api/v1/commands` (big `text/plain`
//!   batches of `PROCESS_SERVICE_CHECK_RESULT` lines), from the first request to the moment the
//!   broker shows the last round applied to every service.
//!
//! `cargo bench -p vigia --bench daemons` (or `bash bench/daemons/run.sh`). Environment:
//! `HOSTS` (1000), `SERVICES` per host (10), `PHASES` (`a,b,c`), `IP` (127.0.213.7; the standard
//! ports), `WINDOW` seconds of measurement (20), `POLLER_SLOTS` (the poller's `max_concurrent`,
//! 64), `LATENCY_INTERVALS` (check intervals in seconds for phase b, `60,30,20`), `PASSIVE_ROUNDS`
//! (results per service in phase c, 30), `PASSIVE_BATCH` (lines per request, 10000),
//! `PASSIVE_CLIENTS` (concurrent posters, 2), `KEEP=1` keeps the daemons' folder, `SPARE=1` adds
//! a waiting spare scheduler (`scheduler-spare`, port 7778) to which the active scheduler streams
//! its state (what the state sync costs: compare runs with and without). `TLS=1` runs every
//! link over mutual TLS: a CA and one certificate per daemon (`vigia certs init` / `issue`, in
//! the daemons' folder), `use_ssl 1`, `ca_cert`, `server_cert`, `server_key`, `client_auth 1` in
//! each daemon's definition and the matching flags on its command line; the bench's own client
//! presents a certificate of its own (`bench`) to the broker and the receiver (what TLS costs:
//! compare runs with `TLS=0`, the default).
//!
//! Every daemon is stopped when the bench ends (SIGTERM, then SIGKILL), also on a panic. Each
//! phase prints the CPU each daemon used during its window and the CPU the rest of the machine
//! used meanwhile (another build, say), from `/proc`.
use std::collections::HashMap;
use std::ffi::CString;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const VIGIA: &str = env!("CARGO_BIN_EXE_vigia");
const ROLES: [(&str, u16); 6] = [
    ("scheduler", 7768),
    ("poller", 7771),
    ("reactionner", 7769),
    ("broker", 7772),
    ("receiver", 7773),
    ("arbiter", 7770),
];
/// The waiting spare scheduler's port (`SPARE=1`).
const SPARE_PORT: u16 = 7778;
/// How long a cluster may take to be ready (configuration loaded, dispatched, first status).
const READY_DEADLINE: Duration = Duration::from_secs(120);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Settings {
    hosts: usize,
    services: usize,
    ip: String,
    window: Duration,
    poller_slots: usize,
    keep: bool,
    spare: bool,
    tls: bool,
}

fn main() {
    let s = Settings {
        hosts: env_or("HOSTS", 1000),
        services: env_or("SERVICES", 10),
        ip: env_or("IP", "127.0.213.7".to_string()),
        window: Duration::from_secs(env_or("WINDOW", 20u64).clamp(4, 600)),
        poller_slots: env_or("POLLER_SLOTS", 64),
        keep: env_or("KEEP", 0u8) == 1,
        spare: env_or("SPARE", 0u8) == 1,
        tls: env_or("TLS", 0u8) == 1,
    };
    assert!(
        s.ip.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()),
        "IP must be a loopback address"
    );
    let phases: String = env_or("PHASES", "a,b,c".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "vigia daemons bench: {} hosts x {} services = {} services, {} cores, poller max_concurrent {}, window {:?}, on {}",
        s.hosts,
        s.services,
        s.hosts * s.services,
        cores,
        s.poller_slots,
        s.window,
        s.ip
    );
    println!("binary: {VIGIA}");
    println!(
        "links: {}",
        if s.tls {
            "mutual TLS (use_ssl 1, client_auth 1; the bench's client too)"
        } else {
            "plain HTTP"
        }
    );
    println!(
        "spare scheduler: {}",
        if s.spare {
            format!(
                "yes (scheduler-spare on {}:{SPARE_PORT}, state stream from the active scheduler)",
                s.ip
            )
        } else {
            "no".to_string()
        }
    );
    for phase in phases.split(',').map(str::trim) {
        match phase {
            "a" => phase_a(&s, cores),
            "b" => phase_b(&s),
            "c" => phase_c(&s),
            "" => {}
            other => eprintln!("unknown phase {other} (a, b, c)"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Phases

fn phase_a(s: &Settings, cores: usize) {
    println!("\n== a: active checks per second at saturation (check_interval 1 s) ==");
    let (base_before, base_before_cpu) = spawn_baseline(cores, Duration::from_secs(5));
    println!("raw posix_spawn+waitpid /bin/true, {cores} in flight: {base_before:.0}/s (before)");
    let (wide, _) = spawn_baseline(s.poller_slots, Duration::from_secs(5));
    println!(
        "raw posix_spawn+waitpid /bin/true, {} in flight (context): {wide:.0}/s",
        s.poller_slots
    );
    let mut c = Cluster::start(s, &ServiceKind::Active { interval: 1 });
    let client = c.client();
    c.wait_ready(&client);
    // Let the first burst (every service due at once) and the queues settle.
    std::thread::sleep(Duration::from_secs(10));
    let usage = Usage::start(&c);
    let seq0 = c.broker_seq(&client);
    let mut prev = c.last_checks(&client);
    let started = Instant::now();
    let mut checks = 0usize;
    let mut max_fraction: f64 = 0.0;
    let step = Duration::from_secs(2);
    while started.elapsed() < s.window {
        std::thread::sleep(step);
        let now = c.last_checks(&client);
        let changed = now
            .iter()
            .filter(|(k, v)| prev.get(*k).is_some_and(|p| p != *v))
            .count();
        max_fraction = max_fraction.max(changed as f64 / now.len().max(1) as f64);
        checks += changed;
        prev = now;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let seq1 = c.broker_seq(&client);
    let rate = checks as f64 / elapsed;
    let (report, used) = usage.stop(&c);
    let spare = c.spare_copies(&client);
    c.stop();
    let (base_after, base_after_cpu) = spawn_baseline(cores, Duration::from_secs(5));
    println!("raw posix_spawn+waitpid /bin/true, {cores} in flight: {base_after:.0}/s (after)");
    let base = (base_before + base_after) / 2.0;
    println!(
        "active checks at the broker: {checks} in {elapsed:.1} s = {rate:.0}/s; broks {:.0}/s; baseline {base:.0}/s; ratio {:.0}% (target >= 70%)",
        (seq1.saturating_sub(seq0)) as f64 / elapsed,
        100.0 * rate / base
    );
    // Per core-second used (daemons, plugins and this driver against the loop and its
    // children): what the machine's other load disturbs least.
    let per_cpu = rate / used.max(1e-9);
    let base_per_cpu = (base_before + base_after) / (base_before_cpu + base_after_cpu).max(1e-9);
    println!(
        "per core-second used: cluster {per_cpu:.0} checks, spawn loop {base_per_cpu:.0} spawns; ratio {:.0}%",
        100.0 * per_cpu / base_per_cpu
    );
    if max_fraction > 0.8 {
        println!("WARNING: up to {:.0}% of the services changed between two snapshots: some may have been checked twice (undercount)", 100.0 * max_fraction);
    }
    println!("{report}");
    if let Some(spare) = spare {
        println!("{spare}");
    }
}

fn phase_b(s: &Settings) {
    let intervals: String = env_or("LATENCY_INTERVALS", "60,30,20".to_string());
    for interval in intervals.split(',').filter_map(|i| i.trim().parse::<u64>().ok()) {
        let load = (s.hosts * s.services) as f64 / interval as f64;
        println!("\n== b: check latency, check_interval {interval} s ({load:.0} checks/s due) ==");
        let mut c = Cluster::start(s, &ServiceKind::Active { interval });
        let client = c.client();
        c.wait_ready(&client);
        // The first checks are spread over one interval: wait for them, then measure.
        std::thread::sleep(Duration::from_secs(interval.min(30) + 5));
        let usage = Usage::start(&c);
        let from = epoch_now();
        let started = Instant::now();
        let mut seen: HashMap<String, (i64, f64)> = HashMap::new();
        let mut samples: Vec<f64> = Vec::new();
        let mut checks = 0usize;
        let mut prev: Option<HashMap<String, i64>> = None;
        // Each service shows the latency of its last check until its next one: a snapshot
        // every half interval sees every check, and few snapshots (each one is a 10,000-item
        // JSON answer to build and parse) disturb the checks being measured less.
        let step = Duration::from_secs((interval / 2).clamp(2, 10));
        while started.elapsed() < s.window.max(2 * step) {
            std::thread::sleep(step);
            let list = c.services(&client);
            let mut now_checks = HashMap::new();
            for v in &list {
                let key = service_key(v);
                let last = v.get("last_check").and_then(Value::as_i64).unwrap_or(0);
                let latency = v.get("latency").and_then(Value::as_f64).unwrap_or(0.0);
                if last > from && seen.get(&key).is_none_or(|(l, _)| *l != last) {
                    samples.push(latency);
                    seen.insert(key.clone(), (last, latency));
                }
                now_checks.insert(key, last);
            }
            if let Some(p) = &prev {
                checks += now_checks
                    .iter()
                    .filter(|(k, v)| p.get(*k).is_some_and(|l| l != *v))
                    .count();
            }
            prev = Some(now_checks);
        }
        let (report, _) = usage.stop(&c);
        c.stop();
        samples.sort_by(f64::total_cmp);
        let q = |p: f64| {
            samples
                .get(((samples.len() as f64 * p) as usize).min(samples.len().saturating_sub(1)))
                .copied()
                .unwrap_or(f64::NAN)
        };
        println!(
            "latency over {} checks: p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms (target p99 <= 200 ms); checks seen {:.0}/s",
            samples.len(),
            1000.0 * q(0.5),
            1000.0 * q(0.9),
            1000.0 * q(0.99),
            1000.0 * samples.last().copied().unwrap_or(f64::NAN),
            checks as f64 / (started.elapsed().as_secs_f64() - step.as_secs_f64()).max(1.0)
        );
        println!("{report}");
    }
}

fn phase_c(s: &Settings) {
    let rounds: usize = env_or("PASSIVE_ROUNDS", 30usize).clamp(1, 1000);
    let batch: usize = env_or("PASSIVE_BATCH", 10_000usize).clamp(1, 1_000_000);
    let clients: usize = env_or("PASSIVE_CLIENTS", 2usize).clamp(1, 16);
    let total = rounds * s.hosts * s.services;
    println!(
        "\n== c: passive results through the receiver: {total} lines ({rounds} per service), {batch} per request, {clients} client(s) =="
    );
    let mut c = Cluster::start(s, &ServiceKind::Passive);
    let client = c.client();
    c.wait_ready(&client);
    let receiver = c.url("receiver");
    wait_until("the receiver's assignment", READY_DEADLINE, || {
        let id: Value = client.get(format!("{receiver}/v1/identity")).send().ok()?.json().ok()?;
        (!id.get("assignment").unwrap_or(&Value::Null).is_null()).then_some(())
    });
    // Every line, in order: round by round, so the last round is the last written.
    let now = epoch_now();
    let mut bodies: Vec<String> = Vec::new();
    let mut body = String::new();
    let mut in_body = 0;
    for round in 1..=rounds {
        for h in 0..s.hosts {
            for v in 0..s.services {
                body.push_str(&format!(
                    "[{now}] PROCESS_SERVICE_CHECK_RESULT;{};{};0;OK - round {round}|r={round}\n",
                    host_name(h),
                    service_name(v)
                ));
                in_body += 1;
                if in_body == batch {
                    bodies.push(std::mem::take(&mut body));
                    in_body = 0;
                }
            }
        }
    }
    if !body.is_empty() {
        bodies.push(body);
    }
    let usage = Usage::start(&c);
    let started = Instant::now();
    // Several clients share the requests (k, k + clients, …), all but the last one; the last
    // (the end of the last round) goes alone once they are all accepted, so it is queued last
    // and applied last: when the broker shows it, everything before has been applied.
    let url = format!("{receiver}/api/v1/commands");
    let post = |poster: &reqwest::blocking::Client, k: usize, i: usize, body: &String| -> usize {
        let sent = Instant::now();
        let r = poster
            .post(&url)
            .header("content-type", "text/plain")
            .body(body.clone())
            .send()
            .expect("POST /api/v1/commands");
        assert_eq!(r.status().as_u16(), 202, "receiver refused a batch: {:?}", r.text());
        let v: Value = r.json().expect("receiver answer");
        if sent.elapsed() > Duration::from_secs(1) {
            eprintln!("client {k}: request {i} took {:.1} s", sent.elapsed().as_secs_f64());
        }
        v.get("accepted").and_then(Value::as_u64).unwrap_or(0) as usize
    };
    let (last, rest) = bodies.split_last().expect("at least one request");
    let mut accepted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|k| {
                let (post, c) = (&post, &c);
                scope.spawn(move || {
                    let poster = c.client();
                    rest.iter()
                        .enumerate()
                        .skip(k)
                        .step_by(clients)
                        .map(|(i, body)| post(&poster, k, i, body))
                        .sum::<usize>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("poster thread")).sum()
    });
    accepted += post(&client, 0, rest.len(), last);
    let posted = started.elapsed().as_secs_f64();
    // Applied: the last line first (cheap to look at), then every service shows the last round.
    let last_host = host_name(s.hosts - 1);
    let final_output = format!("OK - round {rounds}");
    let broker = c.url("broker");
    wait_until(
        "the last passive result at the broker",
        Duration::from_secs(120),
        || {
            let list: Value = client
                .get(format!("{broker}/api/v1/services?host_name={last_host}"))
                .send()
                .ok()?
                .json()
                .ok()?;
            list.as_array()?
                .iter()
                .all(|v| v.get("output").and_then(Value::as_str) == Some(final_output.as_str()))
                .then_some(())
        },
    );
    let applied_last = started.elapsed().as_secs_f64();
    let all = wait_until("every service at the last round", Duration::from_secs(120), || {
        let list = c.services(&client);
        let done = list
            .iter()
            .filter(|v| v.get("output").and_then(Value::as_str) == Some(final_output.as_str()))
            .count();
        (done == s.hosts * s.services).then_some(done)
    });
    let applied = started.elapsed().as_secs_f64();
    let (report, _) = usage.stop(&c);
    let spare = c.spare_copies(&client);
    c.stop();
    println!(
        "accepted {accepted} lines in {posted:.2} s = {:.0}/s; last line at the broker after {applied_last:.2} s; all {all} services at the last round after {applied:.2} s",
        accepted as f64 / posted
    );
    println!(
        "passive results applied: {:.0}/s end to end (target >= 50000/s)",
        accepted as f64 / applied_last
    );
    println!("{report}");
    if let Some(spare) = spare {
        println!("{spare}");
    }
}

// ---------------------------------------------------------------------------------------------
// The raw spawn floor

/// `posix_spawn` + `waitpid` of `/bin/true` (stdout and stderr to /dev/null) in `threads`
/// threads for `duration`: spawns per second, and the cores it used (children included).
fn spawn_baseline(threads: usize, duration: Duration) -> (f64, f64) {
    let program = CString::new("/bin/true").expect("no NUL");
    let env = CString::new("PATH=/usr/bin:/bin").expect("no NUL");
    // SAFETY: a plain open(2) of a constant path.
    let devnull = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
    assert!(devnull >= 0);
    let start = Instant::now();
    let (machine0, me0) = (machine_busy(), proc_ticks(std::process::id() as i32));
    let total: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (program, env) = (&program, &env);
                scope.spawn(move || {
                    let argv = [program.as_ptr() as *mut libc::c_char, std::ptr::null_mut()];
                    let envp = [env.as_ptr() as *mut libc::c_char, std::ptr::null_mut()];
                    let mut n = 0;
                    while start.elapsed() < duration {
                        // SAFETY: argv, envp and the file actions are valid during the calls.
                        unsafe {
                            let mut actions = std::mem::MaybeUninit::<libc::posix_spawn_file_actions_t>::uninit();
                            libc::posix_spawn_file_actions_init(actions.as_mut_ptr());
                            libc::posix_spawn_file_actions_adddup2(actions.as_mut_ptr(), devnull, 1);
                            libc::posix_spawn_file_actions_adddup2(actions.as_mut_ptr(), devnull, 2);
                            let mut pid = 0;
                            let r = libc::posix_spawn(
                                &mut pid,
                                program.as_ptr(),
                                actions.as_ptr(),
                                std::ptr::null(),
                                argv.as_ptr(),
                                envp.as_ptr(),
                            );
                            libc::posix_spawn_file_actions_destroy(actions.as_mut_ptr());
                            assert_eq!(r, 0, "posix_spawn failed");
                            let mut status = 0;
                            libc::waitpid(pid, &mut status, 0);
                        }
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("spawn thread")).sum()
    });
    let secs = start.elapsed().as_secs_f64();
    let rate = total as f64 / secs;
    let me = proc_ticks(std::process::id() as i32);
    let ours = (me.0 + me.1).saturating_sub(me0.0 + me0.1);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let used = ours as f64 / hz / secs;
    println!(
        "  (spawn loop: {used:.2} cores with the children; others on the machine meanwhile {:.2} cores)",
        machine_busy().saturating_sub(machine0).saturating_sub(ours) as f64 / hz / secs
    );
    // SAFETY: our own fd.
    unsafe { libc::close(devnull) };
    (rate, used)
}

// ---------------------------------------------------------------------------------------------
// The cluster

enum ServiceKind {
    /// `/bin/true` every `interval` seconds.
    Active { interval: u64 },
    /// Active checks off: results come through the receiver.
    Passive,
}

fn host_name(h: usize) -> String {
    format!("host-{h:05}")
}

fn service_name(v: usize) -> String {
    format!("svc-{v:03}")
}

fn service_key(v: &Value) -> String {
    format!(
        "{};{}",
        v.get("host_name").and_then(Value::as_str).unwrap_or(""),
        v.get("service_description").and_then(Value::as_str).unwrap_or("")
    )
}

/// Writes `etc/`: the daemons on `ip` with the standard ports, a realm, a 24x7 period, hosts
/// without active checks, HOSTS × SERVICES services; with TLS, each daemon's TLS settings
/// (its certificate in `certs/`, named as the daemon).
fn write_config(dir: &Path, s: &Settings, kind: &ServiceKind) {
    let etc = dir.join("etc");
    std::fs::create_dir_all(&etc).expect("etc");
    std::fs::write(
        etc.join("vigia.cfg"),
        "cfg_file=daemons.cfg\ncfg_file=objects.cfg\ninterval_length=1\n",
    )
    .expect("main file");
    let tls = |name: &str| {
        if !s.tls {
            return String::new();
        }
        let certs = dir.join("certs");
        let file = |f: &str| certs.join(f).display().to_string();
        format!(
            " use_ssl 1\n ca_cert {}\n server_cert {}\n server_key {}\n client_auth 1\n",
            file("ca.pem"),
            file(&format!("{name}.pem")),
            file(&format!("{name}-key.pem"))
        )
    };
    let mut daemons = String::new();
    for (role, port) in ROLES {
        daemons += &format!(
            "define {role} {{\n {role}_name {role}-master\n address {}\n port {port}\n realm All\n manage_sub_realms 1\n{}{}}}\n",
            s.ip,
            if role == "poller" { format!(" max_concurrent {}\n", s.poller_slots) } else { String::new() },
            tls(&format!("{role}-master"))
        );
    }
    if s.spare {
        daemons += &format!(
            "define scheduler {{\n scheduler_name scheduler-spare\n address {}\n port {SPARE_PORT}\n spare 1\n realm All\n{}}}\n",
            s.ip,
            tls("scheduler-spare")
        );
    }
    std::fs::write(etc.join("daemons.cfg"), daemons).expect("daemons.cfg");
    let (interval, active) = match kind {
        ServiceKind::Active { interval } => (*interval, 1),
        ServiceKind::Passive => (60, 0),
    };
    let mut o = String::with_capacity(s.hosts * s.services * 120);
    o += "define realm {\n realm_name All\n default 1\n}\n\
define timeperiod {\n timeperiod_name 24x7\n sunday 00:00-24:00\n monday 00:00-24:00\n tuesday 00:00-24:00\n wednesday 00:00-24:00\n thursday 00:00-24:00\n friday 00:00-24:00\n saturday 00:00-24:00\n}\n\
define command {\n command_name true\n command_line /bin/true\n}\n\
define host {\n name host-tpl\n max_check_attempts 1\n check_interval 0\n check_period 24x7\n notifications_enabled 0\n register 0\n}\n";
    o += &format!(
        "define service {{\n name svc-tpl\n check_command true\n max_check_attempts 1\n check_interval {interval}\n retry_interval {interval}\n check_period 24x7\n notifications_enabled 0\n active_checks_enabled {active}\n passive_checks_enabled 1\n register 0\n}}\n"
    );
    for h in 0..s.hosts {
        o += &format!(
            "define host {{\n use host-tpl\n host_name {}\n address 127.0.0.1\n}}\n",
            host_name(h)
        );
        for v in 0..s.services {
            o += &format!(
                "define service {{\n use svc-tpl\n host_name {}\n service_description {}\n}}\n",
                host_name(h),
                service_name(v)
            );
        }
    }
    std::fs::write(etc.join("objects.cfg"), o).expect("objects.cfg");
}

struct Daemon {
    /// The role for the masters, `scheduler-spare` for the spare.
    label: &'static str,
    listen: String,
    child: Option<Child>,
}

struct Cluster {
    dir: Option<tempfile::TempDir>,
    daemons: Vec<Daemon>,
    /// With TLS: the CA, and the bench's client certificate and key.
    tls: Option<vigia_daemons::tls::TlsFiles>,
}

impl Cluster {
    /// Writes the configuration and starts the satellites, then the arbiter.
    fn start(s: &Settings, kind: &ServiceKind) -> Cluster {
        // The spare first: it is up when the arbiter dispatches, and the masters' roles keep
        // their names (`url`) as the first of each role.
        let mut roles: Vec<(&'static str, &'static str, u16)> = Vec::new();
        if s.spare {
            roles.push(("scheduler", "scheduler-spare", SPARE_PORT));
        }
        roles.extend(ROLES.iter().map(|&(role, port)| (role, role, port)));
        // Another cluster on the same address would answer in our place.
        for &(role, _, port) in &roles {
            let addr = format!("{}:{port}", s.ip);
            if let Err(e) = std::net::TcpListener::bind(&addr) {
                panic!("{addr} (for the {role}) is taken ({e}): stop what uses it, or choose another IP=");
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("vigia-bench-daemons")
            .tempdir()
            .expect("tempdir");
        let tls = s.tls.then(|| make_certs(&dir.path().join("certs"), &s.ip, &roles));
        write_config(dir.path(), s, kind);
        let mut daemons = Vec::new();
        for &(role, label, port) in &roles {
            let listen = format!("{}:{port}", s.ip);
            let data = dir.path().join(if label == role {
                format!("{role}-master")
            } else {
                label.to_string()
            });
            let mut cmd = Command::new(VIGIA);
            cmd.arg(role);
            if role == "arbiter" {
                cmd.arg("--config").arg(dir.path().join("etc"));
            }
            cmd.arg("--listen").arg(&listen).arg("--data").arg(&data);
            if s.tls {
                // What `vigia run` passes for `use_ssl 1`, `client_auth 1`.
                let certs = dir.path().join("certs");
                let name = data.file_name().expect("daemon folder").to_string_lossy().to_string();
                cmd.arg("--ca-cert")
                    .arg(certs.join("ca.pem"))
                    .arg("--server-cert")
                    .arg(certs.join(format!("{name}.pem")))
                    .arg("--server-key")
                    .arg(certs.join(format!("{name}-key.pem")))
                    .arg("--client-auth");
            }
            let log = std::fs::File::create(data.with_extension("log")).expect("log file");
            let err = log.try_clone().expect("log file");
            cmd.stdin(Stdio::null())
                .stdout(Stdio::from(log))
                .stderr(Stdio::from(err));
            cmd.env("RUST_LOG", "warn");
            let child = cmd.spawn().expect("start vigia");
            daemons.push(Daemon {
                label,
                listen,
                child: Some(child),
            });
        }
        let dir = if s.keep {
            println!("daemons' folder kept: {}", dir.path().display());
            let _ = dir.keep();
            None
        } else {
            Some(dir)
        };
        Cluster { dir, daemons, tls }
    }

    fn url(&self, label: &str) -> String {
        let d = self.daemons.iter().find(|d| d.label == label).expect("role");
        format!("{}://{}", if self.tls.is_some() { "https" } else { "http" }, d.listen)
    }

    /// The bench's HTTP client: with TLS, trusting the CA only and presenting its own
    /// certificate. reqwest keeps its connections (and TLS sessions) between requests.
    fn client(&self) -> reqwest::blocking::Client {
        let mut builder = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60));
        if let Some(files) = &self.tls {
            vigia_daemons::tls::install_provider();
            let config = vigia_daemons::tls::client_config(files).expect("the bench's TLS client settings");
            builder = builder.use_preconfigured_tls(config);
        }
        builder.build().expect("HTTP client")
    }

    fn pids(&self) -> Vec<(&'static str, i32)> {
        self.daemons
            .iter()
            .filter_map(|d| d.child.as_ref().map(|c| (d.label, c.id() as i32)))
            .collect()
    }

    /// With a spare: what it holds of the active scheduler's stream (step number, changes kept
    /// since the last snapshot), to show the stream ran.
    fn spare_copies(&self, client: &reqwest::blocking::Client) -> Option<String> {
        if !self.daemons.iter().any(|d| d.label == "scheduler-spare") {
            return None;
        }
        let url = format!("{}/v1/standby", self.url("scheduler-spare"));
        let copies = client
            .get(&url)
            .send()
            .ok()
            .and_then(|r| r.json::<Vec<(String, u64, usize)>>().ok());
        Some(match copies {
            Some(c) if !c.is_empty() => c
                .iter()
                .map(|(home, seq, changes)| {
                    format!("spare holds {home}'s state: stream step {seq}, {changes} changes since the last snapshot")
                })
                .collect::<Vec<_>>()
                .join("; "),
            Some(_) => "WARNING: the spare holds no copy: the state stream did not run".to_string(),
            None => format!("WARNING: GET {url} failed"),
        })
    }

    /// Until the broker has every service.
    fn wait_ready(&mut self, client: &reqwest::blocking::Client) {
        let t = Instant::now();
        let broker = self.url("broker");
        let exited = |c: &mut Cluster| {
            let mut gone = None;
            for d in c.daemons.iter_mut() {
                if d.child.as_mut().is_some_and(|ch| matches!(ch.try_wait(), Ok(Some(_)))) {
                    gone = Some(d.label);
                }
            }
            gone
        };
        let n = wait_until("the broker's status of every service", READY_DEADLINE, || {
            if let Some(role) = exited(self) {
                panic!("the {role} exited: see its log (KEEP=1)");
            }
            let v: Value = client
                .get(format!("{broker}/api/v1/schedulers"))
                .send()
                .ok()?
                .json()
                .ok()?;
            let services: u64 = v.as_array()?.iter().filter_map(|s| s.get("services")?.as_u64()).sum();
            let ready = v
                .as_array()?
                .iter()
                .all(|s| s.get("ready").and_then(Value::as_bool) == Some(true));
            (ready && services > 0).then_some(services)
        });
        println!(
            "cluster ready in {:.1} s: the broker has {n} services",
            t.elapsed().as_secs_f64()
        );
    }

    fn services(&self, client: &reqwest::blocking::Client) -> Vec<Value> {
        let url = format!("{}/api/v1/services", self.url("broker"));
        for _ in 0..5 {
            if let Ok(Ok(Value::Array(list))) = client.get(&url).send().map(|r| r.json::<Value>()) {
                return list;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("GET {url} keeps failing");
    }

    fn last_checks(&self, client: &reqwest::blocking::Client) -> HashMap<String, i64> {
        self.services(client)
            .iter()
            .map(|v| (service_key(v), v.get("last_check").and_then(Value::as_i64).unwrap_or(0)))
            .collect()
    }

    /// The broker's position in the scheduler's brok stream.
    fn broker_seq(&self, client: &reqwest::blocking::Client) -> u64 {
        let url = format!("{}/api/v1/schedulers", self.url("broker"));
        client
            .get(url)
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .and_then(|v| {
                v.as_array()
                    .map(|a| a.iter().filter_map(|s| s.get("last_seq")?.as_u64()).sum())
            })
            .unwrap_or(0)
    }

    /// SIGTERM to every daemon (the arbiter first), then SIGKILL whatever is left after 10 s.
    fn stop(&mut self) {
        for d in self.daemons.iter().rev() {
            if let Some(c) = &d.child {
                // SAFETY: signalling our own child, still unreaped.
                unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for d in &mut self.daemons {
            if let Some(mut c) = d.child.take() {
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = c.try_wait() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        drop(self.dir.take());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A CA in `certs` (`vigia certs init`), a certificate per daemon (named as its folder:
/// `scheduler-master`, `scheduler-spare`, …) and one for the bench's client (`bench`), all for
/// `ip`.
fn make_certs(certs: &Path, ip: &str, roles: &[(&'static str, &'static str, u16)]) -> vigia_daemons::tls::TlsFiles {
    let run = |args: &[&str]| {
        let out = Command::new(VIGIA).args(args).output().expect("vigia certs");
        assert!(
            out.status.success(),
            "vigia {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let c = certs.to_str().expect("a UTF-8 temporary folder");
    run(&["certs", "init", c]);
    let names = roles
        .iter()
        .map(|&(role, label, _)| {
            if label == role {
                format!("{role}-master")
            } else {
                label.to_string()
            }
        })
        .chain(["bench".to_string()]);
    for name in names {
        run(&["certs", "issue", &name, "--dir", c, "--host", ip]);
    }
    vigia_daemons::tls::TlsFiles {
        ca: certs.join("ca.pem"),
        cert: certs.join("bench.pem"),
        key: certs.join("bench-key.pem"),
        client_auth: true,
        name_check: true,
    }
}

fn wait_until<T>(what: &str, deadline: Duration, mut cond: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = cond() {
            return v;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc

/// Clock ticks of a process: its own, and its reaped children's (the plugins, for a poller).
fn proc_ticks(pid: i32) -> (u64, u64) {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return (0, 0);
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let Some(rest) = text.rsplit_once(')').map(|(_, r)| r) else {
        return (0, 0);
    };
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    // rest[0] is the state (field 3): utime is field 14, stime 15, cutime 16, cstime 17.
    let get = |field: usize| f.get(field - 3).copied().unwrap_or(0);
    (get(14) + get(15), get(16) + get(17))
}

/// Busy ticks of the whole machine (every CPU).
fn machine_busy() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return 0;
    };
    let Some(line) = text.lines().next() else { return 0 };
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal
    f.iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum()
}

struct Usage {
    start: Instant,
    machine: u64,
    me: (u64, u64),
    daemons: Vec<(&'static str, (u64, u64))>,
}

impl Usage {
    fn start(c: &Cluster) -> Usage {
        Usage {
            start: Instant::now(),
            machine: machine_busy(),
            me: proc_ticks(std::process::id() as i32),
            daemons: c.pids().into_iter().map(|(r, p)| (r, proc_ticks(p))).collect(),
        }
    }

    /// CPU per daemon (cores) over the window, the bench's own, and the rest of the machine's;
    /// and the cores the daemons, their plugins and the bench used together.
    fn stop(self, c: &Cluster) -> (String, f64) {
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let secs = self.start.elapsed().as_secs_f64();
        let cores = |ticks: u64| ticks as f64 / hz / secs;
        let mut out = String::from("CPU (cores) during the window:");
        let mut ours = 0;
        for ((role, pid), (_, (own0, kids0))) in c.pids().into_iter().zip(&self.daemons) {
            let (own, kids) = proc_ticks(pid);
            let (d_own, d_kids) = (own.saturating_sub(*own0), kids.saturating_sub(*kids0));
            ours += d_own + d_kids;
            if d_kids > 0 {
                out += &format!(" {role} {:.2} (+ plugins {:.2})", cores(d_own), cores(d_kids));
            } else {
                out += &format!(" {role} {:.2}", cores(d_own));
            }
        }
        let me = proc_ticks(std::process::id() as i32);
        let d_me = (me.0 + me.1).saturating_sub(self.me.0 + self.me.1);
        let total = machine_busy().saturating_sub(self.machine);
        out += &format!(
            "; bench driver {:.2}; machine {:.2}, of which others {:.2}",
            cores(d_me),
            cores(total),
            cores(total.saturating_sub(ours + d_me))
        );
        (out, cores(ours + d_me))
    }
}
