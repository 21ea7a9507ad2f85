//! The daemon subcommands (`vigia arbiter|scheduler|poller|reactionner|broker|receiver`),
//! `vigia run` (every daemon of a configuration on this machine) and `vigia status`.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use vigia_config::model::{DaemonLink, Role};
use vigia_daemons::arbiter::ArbiterOptions;
use vigia_daemons::daemon::DaemonOptions;
use vigia_proto::{endpoint, ArbiterStatus};

/// Options every satellite takes: where to listen, where to keep its files.
#[derive(clap::Args)]
pub struct SatelliteArgs {
    /// Address and port to listen on (default: 0.0.0.0 and the role's standard port).
    #[arg(long)]
    pub listen: Option<String>,
    /// Folder for the daemon's files (retention, logs, queues).
    #[arg(long, default_value = "vigia-data")]
    pub data: PathBuf,
    /// File holding the shared secret every request must carry (or set VIGIA_SECRET).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Receiver only: the Nagios command FIFO (default: DATA/vigia.cmd).
    #[arg(long)]
    pub command_file: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ArbiterArgs {
    /// The configuration: a main `.cfg`, an `alignak.ini`, or a folder (default: `etc/vigia`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    pub listen: Option<String>,
    #[arg(long, default_value = "vigia-data/arbiter")]
    pub data: PathBuf,
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Which arbiter of the configuration this is (default: the one whose address and port
    /// match --listen, else the master).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The configuration (default: the embedded `etc/vigia`).
    pub config: Option<PathBuf>,
    /// Folder under which each daemon gets its own folder.
    #[arg(long, default_value = "vigia-data")]
    pub data: PathBuf,
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// The arbiter to ask.
    #[arg(long, default_value = "127.0.0.1:7770")]
    pub arbiter: String,
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn secret(file: &Option<PathBuf>) -> anyhow::Result<Option<String>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading secret file {}", path.display()))?;
        let text = text.trim().to_string();
        anyhow::ensure!(!text.is_empty(), "secret file {} is empty", path.display());
        return Ok(Some(text));
    }
    Ok(std::env::var("VIGIA_SECRET").ok().filter(|s| !s.is_empty()))
}

fn listen_addr(listen: &Option<String>, role: Role) -> anyhow::Result<SocketAddr> {
    let text = listen
        .clone()
        .unwrap_or_else(|| format!("0.0.0.0:{}", role.default_port()));
    let text = if text.contains(':') {
        text
    } else {
        format!("{text}:{}", role.default_port())
    };
    text.parse()
        .with_context(|| format!("--listen {text}: expected ADDRESS:PORT"))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Logs to stderr; `RUST_LOG` filters (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run_satellite(role: Role, args: SatelliteArgs) -> anyhow::Result<u8> {
    init_tracing();
    let listen = listen_addr(&args.listen, role)?;
    std::fs::create_dir_all(&args.data).with_context(|| format!("creating {}", args.data.display()))?;
    let options = DaemonOptions {
        role,
        name: format!("{}-{listen}", role.name()),
        listen,
        data: args.data,
        secret: secret(&args.secret_file)?,
    };
    runtime()?.block_on(async move {
        match role {
            Role::Scheduler => vigia_daemons::scheduler::run(options).await,
            Role::Poller | Role::Reactionner => vigia_daemons::satellite::run(options).await,
            Role::Broker => vigia_daemons::broker::run(options).await,
            Role::Receiver => vigia_daemons::receiver::run(options, args.command_file).await,
            Role::Arbiter => anyhow::bail!("use `vigia arbiter --config …`"),
        }
    })?;
    Ok(0)
}

pub fn run_arbiter(args: ArbiterArgs) -> anyhow::Result<u8> {
    init_tracing();
    let options = ArbiterOptions {
        config: args.config.unwrap_or_else(crate::default_config_dir),
        listen: listen_addr(&args.listen, Role::Arbiter)?,
        data: args.data,
        secret: secret(&args.secret_file)?,
        name: args.name,
    };
    runtime()?.block_on(vigia_daemons::arbiter::run(options))?;
    Ok(0)
}

fn is_local(address: &str) -> bool {
    address == "localhost"
        || address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// The master arbiter's folder under `vigia run`'s data folder.
const ARBITER_FOLDER: &str = "arbiter";

/// A daemon's own folder under `vigia run`'s data folder: its name, or `ROLE-NAME` when that is
/// taken (names are unique per role only, and `arbiter` is the master arbiter's): two daemons on
/// one folder are refused.
fn daemon_folder(root: &Path, daemons: &[DaemonLink], d: &DaemonLink) -> PathBuf {
    let shared = d.name == ARBITER_FOLDER
        || daemons
            .iter()
            .any(|o| o.role != d.role && o.name == d.name && is_local(&o.address));
    if shared {
        root.join(format!("{}-{}", d.role.name(), d.name))
    } else {
        root.join(&d.name)
    }
}

/// `vigia run`: every daemon of the configuration whose address is on this machine, as child
/// processes, and the arbiter in this process; Ctrl-C stops them all.
pub fn run_all(args: RunArgs) -> anyhow::Result<u8> {
    init_tracing();
    let path = args.config.unwrap_or_else(crate::default_config_dir);
    let config = vigia_daemons::arbiter::load(&path)
        .map_err(|errors| anyhow::anyhow!("invalid configuration {}:\n{}", path.display(), errors.join("\n")))?;
    let secret_value = secret(&args.secret_file)?;
    let exe = std::env::current_exe().context("finding the vigia binary")?;
    let mut children = Vec::new();
    let mut arbiter_listen = None;
    for d in &config.daemons {
        if !is_local(&d.address) {
            tracing::info!("{} {} is on {}: start it there", d.role.name(), d.name, d.address);
            continue;
        }
        if d.role == Role::Arbiter && !d.spare && arbiter_listen.is_none() {
            arbiter_listen = Some((format!("{}:{}", d.address, d.port), d.name.clone()));
            continue;
        }
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg(d.role.name())
            .arg("--listen")
            .arg(format!("{}:{}", d.address, d.port))
            .arg("--data")
            .arg(daemon_folder(&args.data, &config.daemons, d));
        if d.role == Role::Arbiter {
            // A spare arbiter on this machine: same configuration, waits for the master.
            cmd.arg("--config").arg(&path).arg("--name").arg(&d.name);
        }
        if let Some(s) = &secret_value {
            cmd.env("VIGIA_SECRET", s);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {} {}", d.role.name(), d.name))?;
        tracing::info!(
            "started {} {} (pid {}) on {}:{}",
            d.role.name(),
            d.name,
            child.id(),
            d.address,
            d.port
        );
        children.push(child);
    }
    for d in config
        .daemons
        .iter()
        .filter(|d| d.role == Role::Broker && !d.spare && is_local(&d.address))
    {
        println!(
            "monitoring log: {}  status: http://{}:{}/api/v1/services (and /hosts, /problems)",
            daemon_folder(&args.data, &config.daemons, d)
                .join("vigia.log")
                .display(),
            d.address,
            d.port
        );
    }
    for d in config
        .daemons
        .iter()
        .filter(|d| d.role == Role::Receiver && !d.spare && is_local(&d.address))
    {
        println!(
            "external commands: {} (FIFO) or POST http://{}:{}/api/v1/commands",
            daemon_folder(&args.data, &config.daemons, d)
                .join("vigia.cmd")
                .display(),
            d.address,
            d.port
        );
    }
    println!("daemons: vigia status    stop: Ctrl-C");
    drop(config);
    let (listen, name) = arbiter_listen.unzip();
    let options = ArbiterOptions {
        config: path,
        listen: listen_addr(&listen.or(Some("127.0.0.1:7770".into())), Role::Arbiter)?,
        data: args.data.join(ARBITER_FOLDER),
        secret: secret_value,
        name,
    };
    let result = runtime()?.block_on(vigia_daemons::arbiter::run(options));
    // SIGTERM: each daemon saves its state and exits.
    crate::children::stop(&mut children.iter_mut().collect::<Vec<_>>(), Duration::from_secs(10));
    result?;
    Ok(0)
}

/// `vigia status`: every daemon as the arbiter sees it.
pub fn status(args: StatusArgs) -> anyhow::Result<u8> {
    let base = if args.arbiter.starts_with("http") {
        args.arbiter.clone()
    } else {
        format!("http://{}", args.arbiter)
    };
    let link = vigia_daemons::link::Link::new(base, secret(&args.secret_file)?);
    let status: ArbiterStatus = runtime()?
        .block_on(link.call::<endpoint::Status>(&(), Duration::from_secs(5)))
        .context("asking the arbiter")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(0);
    }
    println!(
        "arbiter {} ({}, {}, generation {}), configuration {} loaded at {}",
        status.name,
        if status.spare { "spare" } else { "master" },
        if status.active { "leading" } else { "waiting" },
        status.arbiter_generation,
        status.config_hash,
        when(status.loaded_at)
    );
    println!(
        "{:<12} {:<24} {:<22} {:<7} {:<8} {:<9} {:>5}  since",
        "ROLE", "NAME", "ADDRESS", "MODE", "ALIVE", "WORK", "GEN"
    );
    for d in &status.daemons {
        println!(
            "{:<12} {:<24} {:<22} {:<7} {:<8} {:<9} {:>5}  {}",
            d.role.name(),
            d.name,
            format!("{}:{}", d.address, d.port),
            if d.spare { "spare" } else { "master" },
            if d.alive { "yes" } else { "NO" },
            if d.assigned {
                "active"
            } else if d.role == Role::Arbiter {
                "-"
            } else {
                "waiting"
            },
            d.generation,
            match &d.standing_in_for {
                Some(home) => format!("{}  (runs {home}'s work)", when(d.since)),
                None => when(d.since),
            }
        );
    }
    for d in status.daemons.iter().filter(|d| d.assigned) {
        if let Some(addr) = &d.livestatus {
            println!("Livestatus: {addr} (broker {})", d.name);
        }
    }
    if !status.events.is_empty() {
        println!("\ntake-overs and give-backs (newest last):");
        for e in status.events.iter().rev().take(10).rev() {
            println!("  {}  {}", when(e.at), e.reason);
        }
    }
    Ok(
        if status
            .daemons
            .iter()
            .all(|d| d.alive || d.spare || d.role == Role::Arbiter)
        {
            0
        } else {
            1
        },
    )
}

fn when(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| epoch.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(role: Role, name: &str, address: &str) -> DaemonLink {
        DaemonLink {
            role,
            name: name.into(),
            address: address.into(),
            port: role.default_port(),
            spare: false,
            active: true,
            realm: vigia_config::model::RealmId(0),
            manage_sub_realms: true,
            manage_arbiters: false,
            passive: false,
            weight: 1,
            tags: Vec::new(),
            timeout: 3,
            data_timeout: 120,
            max_check_attempts: 3,
            check_interval: 60,
            polling_interval: 1,
            modules: Vec::new(),
            extra: Default::default(),
            location: None,
        }
    }

    #[test]
    fn every_daemon_run_here_gets_its_own_folder() {
        let daemons = vec![
            link(Role::Scheduler, "main", "127.0.0.1"),
            link(Role::Poller, "main", "127.0.0.1"),
            link(Role::Broker, "broker-master", "127.0.0.1"),
            link(Role::Receiver, "arbiter", "127.0.0.1"),
            link(Role::Reactionner, "remote", "127.0.0.1"),
            link(Role::Poller, "remote", "192.0.2.9"),
        ];
        let root = Path::new("/d");
        let folders: Vec<PathBuf> = daemons.iter().map(|d| daemon_folder(root, &daemons, d)).collect();
        let expected = [
            "/d/scheduler-main",
            "/d/poller-main",
            "/d/broker-master",
            "/d/receiver-arbiter",
            // The other "remote" runs elsewhere.
            "/d/remote",
        ];
        assert_eq!(folders[..5], expected.map(PathBuf::from));
    }
}
