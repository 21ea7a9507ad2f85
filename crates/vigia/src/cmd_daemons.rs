//! The daemon subcommands (`vigia arbiter|scheduler|poller|reactionner|broker|receiver`),
//! `vigia run` (every daemon of a configuration on this machine) and `vigia status`.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use vigia_config::model::{DaemonLink, Role};
use vigia_daemons::arbiter::ArbiterOptions;
use vigia_daemons::daemon::{DaemonOptions, Security};
use vigia_daemons::tls::TlsFiles;
use vigia_proto::{endpoint, ArbiterStatus};

/// Who may call a daemon: the shared secret, TLS, mutual TLS (see README, *Security*).
#[derive(clap::Args, Clone, Default)]
pub struct SecurityArgs {
    /// File holding the shared secret every request must carry, one per line (the first is
    /// sent; all are accepted; read again every 5 s), or set VIGIA_SECRET.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Serve HTTPS with this certificate (PEM; `vigia certs issue`) …
    #[arg(long, requires_all = ["server_key", "ca_cert"])]
    pub server_cert: Option<PathBuf>,
    /// … and this key …
    #[arg(long, requires = "server_cert")]
    pub server_key: Option<PathBuf>,
    /// … trusting, as a client, only this CA (`vigia certs init`).
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
    /// Mutual TLS: answer only clients with a certificate from the CA, and present this
    /// daemon's certificate to the daemons it calls.
    #[arg(long, requires = "server_cert")]
    pub client_auth: bool,
    /// Do not check that a called daemon's certificate names its address (Alignak's
    /// `hard_ssl_name_check 0`); the CA is still checked.
    #[arg(long)]
    pub no_name_check: bool,
    /// Listen beyond loopback with neither a secret nor mutual TLS: anyone who can reach the
    /// daemon can make it run commands. Said at every start.
    #[arg(long)]
    pub insecure: bool,
}

impl SecurityArgs {
    /// The secret's text and the daemon's security settings.
    fn resolve(&self) -> anyhow::Result<(Option<String>, Security)> {
        let secret = match &self.secret_file {
            Some(path) => Some(vigia_daemons::secret::read_file(path)?.to_text()),
            None => std::env::var("VIGIA_SECRET").ok().filter(|s| !s.trim().is_empty()),
        };
        let tls = match (&self.server_cert, &self.server_key, &self.ca_cert) {
            (Some(cert), Some(key), Some(ca)) => Some(TlsFiles {
                ca: ca.clone(),
                cert: cert.clone(),
                key: key.clone(),
                client_auth: self.client_auth,
                name_check: !self.no_name_check,
            }),
            (None, None, _) => None,
            _ => anyhow::bail!("TLS needs --server-cert, --server-key and --ca-cert together"),
        };
        if let Some(files) = &tls {
            // Before any link is made (the arbiter's loops start before its server).
            vigia_daemons::link::use_tls(vigia_daemons::tls::client_config(files)?);
        } else {
            if let Some(ca) = &self.ca_cert {
                // A client of TLS daemons only (e.g. a daemon without its own certificate).
                vigia_daemons::link::use_tls(vigia_daemons::tls::client_trusting(ca)?);
            }
        }
        Ok((
            secret,
            Security {
                secret_file: self.secret_file.clone(),
                tls,
                insecure: self.insecure,
                web_users: None,
            },
        ))
    }

    /// The same flags for a child daemon's command line.
    fn to_args(&self) -> Vec<std::ffi::OsString> {
        let mut out: Vec<std::ffi::OsString> = Vec::new();
        let mut path = |flag: &str, p: &Option<PathBuf>| {
            if let Some(p) = p {
                out.push(flag.into());
                out.push(p.into());
            }
        };
        path("--secret-file", &self.secret_file);
        path("--server-cert", &self.server_cert);
        path("--server-key", &self.server_key);
        path("--ca-cert", &self.ca_cert);
        for (on, flag) in [
            (self.client_auth, "--client-auth"),
            (self.no_name_check, "--no-name-check"),
            (self.insecure, "--insecure"),
        ] {
            if on {
                out.push(flag.into());
            }
        }
        out
    }
}

/// Options every satellite takes: where to listen, where to keep its files.
#[derive(clap::Args)]
pub struct SatelliteArgs {
    /// Address and port to listen on (default: 127.0.0.1 and the role's standard port).
    #[arg(long)]
    pub listen: Option<String>,
    /// Folder for the daemon's files (retention, logs, queues).
    #[arg(long, default_value = "vigia-data")]
    pub data: PathBuf,
    #[command(flatten)]
    pub security: SecurityArgs,
    /// Receiver only: the Nagios command FIFO (default: DATA/vigia.cmd).
    #[arg(long)]
    pub command_file: Option<PathBuf>,
    /// Broker only: the web UI's users file (`NAME:HASH[:admin]` per line, `vigia passwd`);
    /// contacts with a `_VIGIA_PASSWORD` log in without it.
    #[arg(long)]
    pub web_users: Option<PathBuf>,
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
    #[command(flatten)]
    pub security: SecurityArgs,
    /// Which arbiter of the configuration this is (default: the one whose address and port
    /// match --listen, else the master).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The configuration (default: the embedded `etc/vigia`).
    pub config: Option<PathBuf>,
    /// Folder under which each daemon gets its own folder, and the cluster its secret
    /// (`DATA/secret`, made at the first start).
    #[arg(long, default_value = "vigia-data")]
    pub data: PathBuf,
    /// The shared secret (default: `DATA/secret`, or VIGIA_SECRET).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Passed on to every daemon (see `vigia scheduler --help`).
    #[arg(long)]
    pub insecure: bool,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// The arbiter to ask (`https://…` when it serves TLS).
    #[arg(long, default_value = "127.0.0.1:7770")]
    pub arbiter: String,
    /// The shared secret (default: VIGIA_SECRET, else `vigia-data/secret` when it exists, the
    /// one `vigia run` made).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// The CA to trust for an `https://` arbiter.
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The secret a client command sends: `--secret-file`, VIGIA_SECRET, or `vigia run`'s
/// `vigia-data/secret` when it exists.
fn client_secret(file: &Option<PathBuf>) -> anyhow::Result<Option<String>> {
    if let Some(path) = file {
        return Ok(Some(vigia_daemons::secret::read_file(path)?.to_text()));
    }
    if let Some(s) = std::env::var("VIGIA_SECRET").ok().filter(|s| !s.trim().is_empty()) {
        return Ok(Some(s));
    }
    let made = PathBuf::from("vigia-data").join(vigia_daemons::secret::GENERATED_FILE);
    if made.exists() {
        return Ok(Some(vigia_daemons::secret::read_file(&made)?.to_text()));
    }
    Ok(None)
}

/// Where a daemon started by hand listens: this machine only unless told otherwise.
fn listen_addr(listen: &Option<String>, role: Role) -> anyhow::Result<SocketAddr> {
    let text = listen
        .clone()
        .unwrap_or_else(|| format!("127.0.0.1:{}", role.default_port()));
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
    let (secret, mut security) = args.security.resolve()?;
    security.web_users = args.web_users.clone();
    let options = DaemonOptions {
        role,
        name: format!("{}-{listen}", role.name()),
        listen,
        data: args.data,
        secret,
        security,
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
    let (secret, security) = args.security.resolve()?;
    let options = ArbiterOptions {
        config: args.config.unwrap_or_else(crate::default_config_dir),
        listen: listen_addr(&args.listen, Role::Arbiter)?,
        data: args.data,
        secret,
        security,
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

/// The web UI's users file in `vigia run`'s data folder.
pub const WEB_USERS_FILE: &str = "web-users";

/// At the first start, a users file with an `admin` whose random password is returned (to be
/// shown once); `None` when the file exists.
fn default_admin(file: &Path) -> anyhow::Result<Option<String>> {
    if file.exists() {
        return Ok(None);
    }
    let random = vigia_daemons::secret::random_bytes()?;
    // 16 characters a person can type: no look-alikes (0/O, 1/l/I).
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    let password: String = random[..16]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    let hash = vigia_daemons::broker::web::auth::hash_password(&password)?;
    vigia_daemons::broker::web::auth::set_user(file, "admin", &hash, true)?;
    Ok(Some(password))
}

/// `vigia run`: every daemon of the configuration whose address is on this machine, as child
/// processes, and the arbiter in this process; Ctrl-C stops them all.
pub fn run_all(args: RunArgs) -> anyhow::Result<u8> {
    init_tracing();
    let path = args.config.unwrap_or_else(crate::default_config_dir);
    let config = vigia_daemons::arbiter::load(&path)
        .map_err(|errors| anyhow::anyhow!("invalid configuration {}:\n{}", path.display(), errors.join("\n")))?;
    // Nothing open by default: the cluster's secret, made at the first start.
    let secret_file = match &args.secret_file {
        Some(f) => Some(f.clone()),
        None if std::env::var("VIGIA_SECRET").is_ok_and(|s| !s.trim().is_empty()) => None,
        None => {
            let f = args.data.join(vigia_daemons::secret::GENERATED_FILE);
            vigia_daemons::secret::read_or_create(&f)?;
            Some(f)
        }
    };
    let web_users = args.data.join(WEB_USERS_FILE);
    let admin_password = default_admin(&web_users)?;
    let config_dir = if path.is_dir() {
        path.clone()
    } else {
        path.parent().map(PathBuf::from).unwrap_or_default()
    };
    let security_of = |d: &vigia_config::model::DaemonLink| -> anyhow::Result<SecurityArgs> {
        let mut s = SecurityArgs {
            secret_file: secret_file.clone(),
            insecure: args.insecure,
            ..Default::default()
        };
        let on = |k: &str| d.extra.get(k).is_some_and(|v| v.trim() == "1" || v.trim() == "true");
        if on("use_ssl") {
            let file = |k: &str| -> anyhow::Result<PathBuf> {
                let v = d
                    .extra
                    .get(k)
                    .with_context(|| format!("{} {}: use_ssl 1 needs {k}", d.role.name(), d.name))?;
                let p = PathBuf::from(v.trim());
                Ok(if p.is_absolute() { p } else { config_dir.join(p) })
            };
            s.ca_cert = Some(file("ca_cert")?);
            s.server_cert = Some(file("server_cert")?);
            s.server_key = Some(file("server_key")?);
            s.client_auth = on("client_auth");
            s.no_name_check = d.extra.get("hard_ssl_name_check").is_some_and(|v| v.trim() == "0");
        }
        Ok(s)
    };
    let exe = std::env::current_exe().context("finding the vigia binary")?;
    let mut children = Vec::new();
    let mut arbiter_listen = None;
    for d in &config.daemons {
        if !is_local(&d.address) {
            tracing::info!("{} {} is on {}: start it there", d.role.name(), d.name, d.address);
            continue;
        }
        if d.role == Role::Arbiter && !d.spare && arbiter_listen.is_none() {
            arbiter_listen = Some((format!("{}:{}", d.address, d.port), d.name.clone(), security_of(d)?));
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
        cmd.args(security_of(d)?.to_args());
        if d.role == Role::Broker {
            cmd.arg("--web-users").arg(&web_users);
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
            "monitoring log: {}  status: {}/api/v1/services (and /hosts, /problems)",
            daemon_folder(&args.data, &config.daemons, d)
                .join("vigia.log")
                .display(),
            vigia_daemons::arbiter::url(d)
        );
    }
    for d in config
        .daemons
        .iter()
        .filter(|d| d.role == Role::Broker && !d.spare && is_local(&d.address))
    {
        println!("web UI: {}/", vigia_daemons::arbiter::url(d));
    }
    match &admin_password {
        Some(p) => println!(
            "web UI login: admin / {p}  (shown once: stored hashed in {}; change it with `vigia passwd admin --file {} --admin`)",
            web_users.display(),
            web_users.display()
        ),
        None => println!("web UI users: {} (vigia passwd NAME --file {})", web_users.display(), web_users.display()),
    }
    for d in config
        .daemons
        .iter()
        .filter(|d| d.role == Role::Receiver && !d.spare && is_local(&d.address))
    {
        println!(
            "external commands: {} (FIFO) or POST {}/api/v1/commands",
            daemon_folder(&args.data, &config.daemons, d)
                .join("vigia.cmd")
                .display(),
            vigia_daemons::arbiter::url(d)
        );
    }
    match &secret_file {
        Some(f) => println!(
            "every HTTP API wants the cluster's secret: -H \"X-Vigia-Secret: $(cat {})\"",
            f.display()
        ),
        None => println!("every HTTP API wants the secret in VIGIA_SECRET (header X-Vigia-Secret)"),
    }
    println!("daemons: vigia status    stop: Ctrl-C");
    drop(config);
    let (listen, name, security) = match arbiter_listen {
        Some((l, n, s)) => (Some(l), Some(n), s),
        None => (
            None,
            None,
            SecurityArgs {
                secret_file: secret_file.clone(),
                insecure: args.insecure,
                ..Default::default()
            },
        ),
    };
    let (secret, security) = security.resolve()?;
    let options = ArbiterOptions {
        config: path,
        listen: listen_addr(&listen.or(Some("127.0.0.1:7770".into())), Role::Arbiter)?,
        data: args.data.join(ARBITER_FOLDER),
        secret,
        security,
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
    if let Some(ca) = &args.ca_cert {
        vigia_daemons::link::use_tls(vigia_daemons::tls::client_trusting(ca)?);
    }
    let link = vigia_daemons::link::Link::new(base, client_secret(&args.secret_file)?);
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
    print_overlaps(&status, &args);
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

/// Parts two schedulers ran at once (a replaced scheduler that went on, cut off by a
/// partition), as each running broker found when it drained the replaced one's log.
fn print_overlaps(status: &ArbiterStatus, args: &StatusArgs) {
    let (Ok(rt), Ok(secret)) = (runtime(), client_secret(&args.secret_file)) else {
        return;
    };
    let mut header = false;
    for b in status
        .daemons
        .iter()
        .filter(|d| d.role == Role::Broker && d.alive && d.assigned)
    {
        let scheme = if args.ca_cert.is_some() { "https" } else { "http" };
        let link = vigia_daemons::link::Link::new(format!("{scheme}://{}:{}", b.address, b.port), secret.clone());
        let Ok(parts) = rt.block_on(link.call::<endpoint::Schedulers>(&(), Duration::from_secs(5))) else {
            continue;
        };
        for part in parts {
            for o in &part.overlaps {
                if !header {
                    println!("\nparts run by two schedulers at once (a partition):");
                    header = true;
                }
                println!(
                    "  {} and {} ran part {} at once for {} s ({} to {}): {} sent {} notification(s), {} sent {} (broker {})",
                    o.replaced,
                    o.runner,
                    part.name,
                    o.to - o.from,
                    when(o.from),
                    when(o.to),
                    o.replaced,
                    o.replaced_notifications,
                    o.runner,
                    o.runner_notifications,
                    b.name
                );
            }
        }
    }
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
            isolated_notification_hold: 0,
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
