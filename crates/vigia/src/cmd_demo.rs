//! `vigia demo ha`: the seed's "Test" section in one command. It lays out a master and a spare of
//! one role on a loopback address, starts every daemon as a child process, kills the master with
//! SIGKILL, measures the spare's take-over as an operator would see it (at the broker), restarts
//! the master and measures the give-back. Children are killed on every exit path: they run in
//! their own process group (Ctrl-C reaches only this process, which stops them), get SIGKILL if
//! this process dies (`PR_SET_PDEATHSIG`), and a guard stops them when the demo returns or fails.
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use vigia_config::model::Role;
use vigia_daemons::link::Link;
use vigia_proto::endpoint::{self, Endpoint};
use vigia_proto::{ArbiterStatus, ItemView};

#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub demo: Demo,
}

#[derive(clap::Subcommand)]
pub enum Demo {
    /// High availability: kill -9 a master, watch its spare take over, restart it, watch the
    /// spare give the work back. Everything runs on one loopback address and is stopped at the end.
    Ha(HaArgs),
}

#[derive(clap::Args)]
pub struct HaArgs {
    /// Folder for the configuration and every daemon's files and log (kept); default: a
    /// temporary folder, removed at the end unless something failed.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Loopback address every daemon listens on, with the standard ports (spare: 7778–7783).
    #[arg(long, default_value = "127.0.8.1")]
    pub address: String,
    /// How many times to kill the master and bring it back.
    #[arg(long, default_value_t = 1)]
    pub cycles: u32,
    /// The role given a spare and whose master is killed.
    #[arg(long, value_enum, default_value_t = DemoRole::Scheduler)]
    pub role: DemoRole,
    /// Monitored hosts (each with 5 services).
    #[arg(long, default_value_t = 20)]
    pub hosts: usize,
    /// Print the figures as JSON on stdout (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoRole {
    Scheduler,
    Poller,
    Reactionner,
    Broker,
    Receiver,
}

impl DemoRole {
    fn role(self) -> Role {
        match self {
            DemoRole::Scheduler => Role::Scheduler,
            DemoRole::Poller => Role::Poller,
            DemoRole::Reactionner => Role::Reactionner,
            DemoRole::Broker => Role::Broker,
            DemoRole::Receiver => Role::Receiver,
        }
    }

    /// The spare's port: the standard one + 10, as in the HA integration tests.
    fn spare_port(self) -> u16 {
        self.role().default_port() + 10
    }
}

const SERVICES_PER_HOST: usize = 5;
/// Seconds between two checks of a host or service (`interval_length=1`).
const CHECK_INTERVAL: u32 = 5;
/// Every wait has this limit: generous, the demo may run on a loaded 2-core machine.
const DEADLINE: Duration = Duration::from_secs(90);
/// How long SIGTERM gets before SIGKILL.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);
const HTTP_TIMEOUT: Duration = Duration::from_secs(2);

/// The signal that asked the demo to stop, 0 while none did.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    INTERRUPTED.store(sig, Ordering::SeqCst);
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT (Ctrl-C)",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// Ctrl-C, SIGTERM and SIGHUP only raise a flag: every wait checks it and returns an error, and
/// the error path stops the daemons like the normal one.
fn catch_signals() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(sig, handler);
        }
    }
}

fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One daemon of the demo, a child process of this one.
struct Daemon {
    role: Role,
    name: String,
    listen: String,
    data: PathBuf,
    child: Option<Child>,
}

impl Daemon {
    fn log_path(&self) -> PathBuf {
        self.data.with_extension("log")
    }

    fn url(&self) -> String {
        format!("http://{}", self.listen)
    }

    fn start(&mut self, exe: &Path, etc: &Path) -> anyhow::Result<()> {
        let mut cmd = Command::new(exe);
        cmd.arg(self.role.name());
        if self.role == Role::Arbiter {
            cmd.arg("--config").arg(etc);
        }
        cmd.arg("--listen").arg(&self.listen).arg("--data").arg(&self.data);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .with_context(|| format!("creating {}", self.log_path().display()))?;
        let err = log.try_clone().context("duplicating a log file handle")?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .process_group(0);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        // SAFETY: prctl is async-signal-safe; the child dies with the thread that spawned it
        // (this process's main thread), so nothing survives a `kill -9` of the demo.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {} ({})", self.name, exe.display()))?;
        self.child = Some(child);
        Ok(())
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn sigkill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The last lines of its log, for an error message.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }
}

/// Every daemon of the demo; dropping it stops them (SIGTERM, then SIGKILL after a deadline).
struct Installation {
    root: PathBuf,
    etc: PathBuf,
    exe: PathBuf,
    daemons: Vec<Daemon>,
    rt: tokio::runtime::Runtime,
    secret: Option<String>,
    quiet: bool,
}

impl Installation {
    fn daemon(&self, name: &str) -> &Daemon {
        self.daemons
            .iter()
            .find(|d| d.name == name)
            .expect("the demo names only its own daemons")
    }

    fn daemon_mut(&mut self, name: &str) -> &mut Daemon {
        self.daemons
            .iter_mut()
            .find(|d| d.name == name)
            .expect("the demo names only its own daemons")
    }

    fn call<E: Endpoint>(&self, name: &str, request: &E::Request) -> Option<E::Response>
    where
        E::Request: serde::Serialize,
        E::Response: serde::de::DeserializeOwned,
    {
        let link = Link::new(self.daemon(name).url(), self.secret.clone());
        self.rt.block_on(link.call::<E>(request, HTTP_TIMEOUT)).ok()
    }

    fn arbiter_status(&self) -> Option<ArbiterStatus> {
        self.call::<endpoint::Status>("arbiter", &())
    }

    fn services(&self, broker: &str) -> Vec<ItemView> {
        self.call::<endpoint::Services>(broker, &Default::default())
            .unwrap_or_default()
    }

    /// Whether `name` runs work and the other daemon named does not, as the arbiter sees it.
    fn runs_instead_of(&self, name: &str, other: &str) -> bool {
        self.arbiter_status().is_some_and(|st| {
            let assigned = |n: &str| st.daemons.iter().any(|d| d.name == n && d.assigned);
            assigned(name) && !assigned(other)
        })
    }

    fn say(&self, line: &str) {
        if self.quiet {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }

    /// Polls `cond` until it gives a value; fails on Ctrl-C, on `DEADLINE`, or when a daemon that
    /// should run has exited (with the end of its log).
    fn wait<T>(&mut self, what: &str, mut cond: impl FnMut(&Self) -> Option<T>) -> anyhow::Result<T> {
        let start = Instant::now();
        loop {
            if let Some(v) = cond(self) {
                return Ok(v);
            }
            let sig = INTERRUPTED.load(Ordering::SeqCst);
            anyhow::ensure!(sig == 0, "stopped by {} while waiting for {what}", signal_name(sig));
            for d in &mut self.daemons {
                if let Some(Ok(Some(status))) = d.child.as_mut().map(Child::try_wait) {
                    d.child = None;
                    anyhow::bail!(
                        "{} exited ({status}) while waiting for {what}; end of {}:\n{}",
                        d.name,
                        d.log_path().display(),
                        d.log_tail()
                    );
                }
            }
            anyhow::ensure!(
                start.elapsed() < DEADLINE,
                "timed out after {} s waiting for {what} (daemon logs: {}/*.log)",
                DEADLINE.as_secs(),
                self.root.display()
            );
            std::thread::sleep(POLL);
        }
    }

    /// SIGTERM to the arbiter first (so it does not fail anything over while the others stop),
    /// then to every other daemon; SIGKILL to whatever is left after `STOP_DEADLINE`.
    /// Returns how many needed SIGKILL.
    fn stop_all(&mut self) -> usize {
        let mut killed = 0;
        for arbiter_first in [true, false] {
            let mut children: Vec<&mut Child> = self
                .daemons
                .iter_mut()
                .filter(|d| (d.role == Role::Arbiter) == arbiter_first)
                .filter_map(|d| d.child.as_mut())
                .collect();
            killed += crate::children::stop(&mut children, STOP_DEADLINE);
        }
        for d in &mut self.daemons {
            d.child = None;
        }
        killed
    }
}

impl Drop for Installation {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// The figures of one kill/return cycle.
#[derive(serde::Serialize)]
struct Cycle {
    /// From SIGKILL of the master to the arbiter showing the spare assigned.
    assigned_s: f64,
    /// From SIGKILL of the master to the first sign of the spare working (see `Evidence`).
    failover_s: f64,
    failover_reason: String,
    /// From the master's restart to the arbiter showing it assigned and the spare waiting.
    failback_s: f64,
    failback_reason: String,
}

#[derive(serde::Serialize)]
struct Stats {
    median_s: f64,
    max_s: f64,
}

fn stats(mut values: Vec<f64>) -> Stats {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median_s = match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    };
    Stats {
        median_s,
        max_s: values.last().copied().unwrap_or(0.0),
    }
}

#[derive(serde::Serialize)]
struct Report {
    role: &'static str,
    address: String,
    hosts: usize,
    services: usize,
    check_interval_s: u32,
    /// What `failover_s` measures for this role.
    failover_measures: &'static str,
    cycles: Vec<Cycle>,
    failover: Stats,
    failback: Stats,
}

/// What shows that the spare works, per role: checks are visible at a broker for the roles on the
/// checks' path; a reactionner or receiver does nothing visible without a problem or a
/// command, so for them the arbiter's assignment is the figure.
fn evidence(role: DemoRole) -> &'static str {
    match role {
        DemoRole::Scheduler | DemoRole::Poller => "first check run after the kill, seen at the broker",
        DemoRole::Broker => "first check run after the kill, seen at the spare broker",
        DemoRole::Reactionner | DemoRole::Receiver => "spare assigned by the arbiter",
    }
}

fn daemons_cfg(ip: &str, role: DemoRole) -> String {
    let mut s = String::new();
    for r in Role::ALL {
        let name = r.name();
        s += &format!(
            "define {name} {{\n {name}_name {name}-master\n address {ip}\n port {}\n spare 0\n realm All\n manage_sub_realms 1\n}}\n",
            r.default_port()
        );
    }
    let name = role.role().name();
    s += &format!(
        "define {name} {{\n {name}_name {name}-spare\n address {ip}\n port {}\n spare 1\n realm All\n manage_sub_realms 1\n}}\n",
        role.spare_port()
    );
    s
}

fn objects_cfg(hosts: usize) -> String {
    let plugin = Path::new("/usr/lib/nagios/plugins/check_dummy");
    let check = if plugin.exists() {
        format!("{} 0 \"demo: all is well\"", plugin.display())
    } else {
        "/bin/true".to_string()
    };
    let mut o = format!(
        "define realm {{\n realm_name All\n default 1\n}}\n\
define timeperiod {{\n timeperiod_name 24x7\n sunday 00:00-24:00\n monday 00:00-24:00\n tuesday 00:00-24:00\n wednesday 00:00-24:00\n thursday 00:00-24:00\n friday 00:00-24:00\n saturday 00:00-24:00\n}}\n\
define command {{\n command_name demo-check\n command_line {check}\n}}\n\
define command {{\n command_name demo-notify\n command_line /bin/true\n}}\n\
define contact {{\n contact_name admin\n host_notification_period 24x7\n service_notification_period 24x7\n host_notification_options d,r\n service_notification_options w,c,r\n host_notification_commands demo-notify\n service_notification_commands demo-notify\n}}\n\
define host {{\n name demo-host\n check_command demo-check\n max_check_attempts 1\n check_interval {CHECK_INTERVAL}\n retry_interval {CHECK_INTERVAL}\n check_period 24x7\n notification_period 24x7\n contacts admin\n register 0\n}}\n\
define service {{\n name demo-service\n check_command demo-check\n max_check_attempts 1\n check_interval {CHECK_INTERVAL}\n retry_interval {CHECK_INTERVAL}\n check_period 24x7\n notification_period 24x7\n contacts admin\n register 0\n}}\n"
    );
    for h in 0..hosts {
        o += &format!("define host {{\n use demo-host\n host_name host-{h:03}\n address 127.0.0.1\n}}\n");
        for s in 0..SERVICES_PER_HOST {
            o += &format!(
                "define service {{\n use demo-service\n host_name host-{h:03}\n service_description service-{s}\n}}\n"
            );
        }
    }
    o
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

pub fn run(args: DemoArgs) -> anyhow::Result<u8> {
    match args.demo {
        Demo::Ha(args) => ha(args),
    }
}

fn ha(args: HaArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(args.cycles >= 1, "--cycles must be at least 1");
    anyhow::ensure!(args.hosts >= 1, "--hosts must be at least 1");
    let ip: std::net::IpAddr = args
        .address
        .parse()
        .with_context(|| format!("--address {}: expected an IP address such as 127.0.8.1", args.address))?;
    anyhow::ensure!(
        ip.is_loopback(),
        "--address {ip}: the demo runs on loopback only (127.x.y.z)"
    );
    catch_signals();
    let (root, temp) = match &args.data {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            (dir.clone(), None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("vigia-demo-")
                .tempdir()
                .context("creating a temporary folder")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let result = ha_in(&args, ip, &root);
    if let (Err(_), Some(t)) = (&result, temp) {
        // Keep the daemons' logs when they explain the failure (not when none started).
        let has_logs = std::fs::read_dir(t.path()).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "log"))
        });
        if has_logs {
            eprintln!("vigia demo ha: daemon logs kept in {}", t.keep().display());
        }
    }
    result
}

fn ha_in(args: &HaArgs, ip: std::net::IpAddr, root: &Path) -> anyhow::Result<u8> {
    let role = args.role;
    let role_name = role.role().name();
    let master = format!("{role_name}-master");
    let spare = format!("{role_name}-spare");
    let etc = root.join("etc");
    std::fs::create_dir_all(&etc).with_context(|| format!("creating {}", etc.display()))?;
    // Spread of 1 (minute, capped at one check interval): the first checks, and so every later
    // round, are spread evenly over the 5 s. With 0 every check runs in the same second, and the
    // first check after a kill would wait for the next burst: the figure would measure the
    // burst's phase, not the fail-over.
    write(
        &etc.join("vigia.cfg"),
        "cfg_file=daemons.cfg\ncfg_file=objects.cfg\ninterval_length=1\nmax_host_check_spread=1\nmax_service_check_spread=1\n",
    )?;
    write(&etc.join("daemons.cfg"), &daemons_cfg(&ip.to_string(), role))?;
    write(&etc.join("objects.cfg"), &objects_cfg(args.hosts))?;

    let mut daemons = Vec::new();
    // The arbiter last (`Role::ALL` starts with it): it dispatches to daemons already up.
    let mut order = Role::ALL;
    order.rotate_left(1);
    for r in order {
        let mut names = vec![(format!("{}-master", r.name()), r.default_port())];
        if r == role.role() {
            names.push((spare.clone(), role.spare_port()));
        }
        for (name, port) in names {
            daemons.push(Daemon {
                role: r,
                listen: format!("{ip}:{port}"),
                data: root.join(&name),
                name: if r == Role::Arbiter { "arbiter".into() } else { name },
                child: None,
            });
        }
    }
    // A port already taken would show up later as a daemon exiting: say it now.
    for d in &daemons {
        std::net::TcpListener::bind(&d.listen).with_context(|| {
            format!(
                "{} cannot listen on {} (another demo or Vigia running? choose another --address)",
                d.name, d.listen
            )
        })?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut inst = Installation {
        root: root.to_path_buf(),
        etc,
        exe: std::env::current_exe().context("finding the vigia binary")?,
        daemons,
        rt,
        secret: std::env::var("VIGIA_SECRET").ok().filter(|s| !s.is_empty()),
        quiet: args.json,
    };
    let services = args.hosts * SERVICES_PER_HOST;
    inst.say(&format!(
        "vigia demo ha: {role_name} master and spare on {ip}, {} hosts × {SERVICES_PER_HOST} services checked every {CHECK_INTERVAL} s",
        args.hosts
    ));
    inst.say(&format!(
        "folder: {} (each daemon logs to NAME.log; {})",
        root.display(),
        if args.data.is_some() {
            "kept"
        } else {
            "removed at the end unless something fails"
        }
    ));

    let started = Instant::now();
    let (exe, etc) = (inst.exe.clone(), inst.etc.clone());
    for d in &mut inst.daemons {
        d.start(&exe, &etc)?;
    }
    let names: Vec<String> = inst.daemons.iter().map(|d| d.name.clone()).collect();
    inst.say(&format!("started {} daemons: {}", names.len(), names.join(", ")));
    let main_broker = "broker-master".to_string();
    inst.wait("every service checked at the broker", |i| {
        let all = i.services(&main_broker);
        (all.len() == services && all.iter().all(|s| s.has_been_checked)).then_some(())
    })?;
    inst.say(&format!(
        "every service checked at the broker ({services}/{services}) {:.1} s after the start",
        started.elapsed().as_secs_f64()
    ));
    if role == DemoRole::Scheduler {
        wait_for_standby(&mut inst, &spare, &master)?;
        inst.say(&format!("{spare} holds {master}'s state and waits"));
    }

    let mut cycles = Vec::new();
    for n in 1..=args.cycles {
        if args.cycles > 1 {
            inst.say(&format!("cycle {n}/{}", args.cycles));
        }
        cycles.push(cycle(&mut inst, role, &master, &spare)?);
    }

    let failover = stats(cycles.iter().map(|c| c.failover_s).collect());
    let failback = stats(cycles.iter().map(|c| c.failback_s).collect());
    if args.cycles > 1 {
        inst.say(&format!(
            "{} cycles: fail-over median {:.2} s, max {:.2} s; fail-back median {:.2} s, max {:.2} s",
            args.cycles, failover.median_s, failover.max_s, failback.median_s, failback.max_s
        ));
    }
    let stopping = Instant::now();
    let killed = inst.stop_all();
    inst.say(&format!(
        "stopped every daemon in {:.1} s{}",
        stopping.elapsed().as_secs_f64(),
        if killed > 0 {
            format!(" ({killed} needed SIGKILL after {} s)", STOP_DEADLINE.as_secs())
        } else {
            " (SIGTERM)".into()
        }
    ));
    if args.json {
        let report = Report {
            role: role_name,
            address: ip.to_string(),
            hosts: args.hosts,
            services,
            check_interval_s: CHECK_INTERVAL,
            failover_measures: evidence(role),
            cycles,
            failover,
            failback,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(0)
}

/// A scheduler spare takes over with the master's state only once it holds a copy of it.
fn wait_for_standby(inst: &mut Installation, spare: &str, master: &str) -> anyhow::Result<()> {
    let (spare, master) = (spare.to_string(), master.to_string());
    inst.wait(&format!("{spare} to hold {master}'s state"), |i| {
        let copies = i.call::<endpoint::StandbyCopies>(&spare, &())?;
        (copies.first()?.0 == master).then_some(())
    })
}

/// Any service whose last check started after `after` (epoch seconds), at `broker`.
fn checked_after(inst: &Installation, broker: &str, after: i64) -> bool {
    inst.services(broker).iter().any(|s| s.last_check > after)
}

/// Sleeps until 0.9 s into the current second. `last_check` has a resolution of one second, so
/// "a check run after the kill" can only be told as `last_check > the kill's second`: killing
/// near the end of a second makes that at most 0.1 s later than the kill, not up to 1 s.
fn align_to_second_end() {
    let frac = epoch_now().fract();
    let wait = if frac < 0.9 { 0.9 - frac } else { 1.9 - frac };
    std::thread::sleep(Duration::from_secs_f64(wait));
}

fn cycle(inst: &mut Installation, role: DemoRole, master: &str, spare: &str) -> anyhow::Result<Cycle> {
    align_to_second_end();
    let kill_second = epoch_now().floor() as i64;
    let pid = inst.daemon(master).pid();
    let killed_at = Instant::now();
    inst.daemon_mut(master).sigkill();
    inst.say(&format!("kill -9 {master} (pid {pid})"));

    let assigned_s = inst.wait(&format!("{spare} assigned by the arbiter"), |i| {
        i.runs_instead_of(spare, master)
            .then(|| killed_at.elapsed().as_secs_f64())
    })?;
    let failover_reason = last_event(inst, spare, true).unwrap_or_default();
    inst.say(&format!(
        "  arbiter, {assigned_s:.2} s after the kill: {}",
        short(&failover_reason)
    ));
    let failover_s = match role {
        DemoRole::Scheduler | DemoRole::Poller | DemoRole::Broker => {
            let broker = if role == DemoRole::Broker {
                spare
            } else {
                "broker-master"
            }
            .to_string();
            let took = inst.wait(&format!("a check run after the kill, at {broker}"), |i| {
                checked_after(i, &broker, kill_second).then(|| killed_at.elapsed().as_secs_f64())
            })?;
            let by = if role == DemoRole::Poller {
                format!("run through {spare}")
            } else {
                format!("run by {spare}")
            };
            let by = if role == DemoRole::Broker {
                "run".to_string()
            } else {
                by
            };
            inst.say(&format!(
                "  fail-over: first check {by} seen at {broker} {took:.2} s after the kill"
            ));
            took
        }
        DemoRole::Reactionner | DemoRole::Receiver => {
            inst.say(&format!("  fail-over: {spare} active {assigned_s:.2} s after the kill"));
            assigned_s
        }
    };

    let back_at = Instant::now();
    let (exe, etc) = (inst.exe.clone(), inst.etc.clone());
    inst.daemon_mut(master).start(&exe, &etc)?;
    inst.say(&format!("restart {master} (pid {})", inst.daemon(master).pid()));
    let failback_s = inst.wait(&format!("{master} active again and {spare} waiting"), |i| {
        i.runs_instead_of(master, spare)
            .then(|| back_at.elapsed().as_secs_f64())
    })?;
    let failback_reason = last_event(inst, master, false).unwrap_or_default();
    inst.say(&format!("  arbiter: {failback_reason}"));
    inst.say(&format!(
        "  fail-back: {master} active and {spare} waiting {failback_s:.2} s after the restart"
    ));

    // Before the next kill: checks flow through the master again (and, for a scheduler, the
    // spare holds its state again), so every cycle starts from the same steady state.
    if matches!(role, DemoRole::Scheduler | DemoRole::Poller | DemoRole::Broker) {
        let second = epoch_now().floor() as i64;
        inst.wait("checks after the fail-back at broker-master", |i| {
            checked_after(i, "broker-master", second).then_some(())
        })?;
    }
    if role == DemoRole::Scheduler {
        wait_for_standby(inst, spare, master)?;
    }
    Ok(Cycle {
        assigned_s,
        failover_s,
        failover_reason,
        failback_s,
        failback_reason,
    })
}

/// A reason without the HTTP client's repetition of the URL, for a line a person reads (the JSON
/// keeps it whole).
fn short(reason: &str) -> String {
    match reason.find(": error sending request") {
        Some(at) => {
            let rest = &reason[at..];
            let end = rest.find(')').map_or(rest.len(), |i| i + 1);
            format!("{}{}", &reason[..at], &rest[end..])
        }
        None => reason.to_string(),
    }
}

/// The arbiter's newest HA event moving work to `to` (a take-over when `takeover`, else a
/// give-back to the home), as "reason".
fn last_event(inst: &Installation, name: &str, takeover: bool) -> Option<String> {
    let st = inst.arbiter_status()?;
    st.events
        .iter()
        .rev()
        .find(|e| e.to == name && (e.home != name) == takeover)
        .map(|e| e.reason.clone())
}
