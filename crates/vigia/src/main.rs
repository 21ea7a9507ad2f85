//! `vigia`: one binary for every Vigia role and tool.
use clap::{Parser, Subcommand};
use vigia_config::model::Role;

mod children;
mod cmd_certs;
mod cmd_check_config;
mod cmd_daemons;
mod cmd_demo;
mod cmd_exec;
mod cmd_passwd;
mod cmd_simulate;

#[derive(Parser)]
#[command(
    name = "vigia",
    version,
    about = "Distributed, Nagios-compatible monitoring with high availability"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load, resolve and validate a configuration; print what it holds and every problem.
    CheckConfig(cmd_check_config::CheckConfigArgs),
    /// Run the monitoring engine on a virtual clock and print what it logs and notifies.
    Simulate(cmd_simulate::SimulateArgs),
    /// Run one command line exactly as a poller would and print the result.
    Exec(cmd_exec::ExecArgs),
    /// Every daemon of a configuration on this machine: the arbiter here, the others as child
    /// processes (default: the embedded `etc/vigia`). Ctrl-C stops them all.
    Run(cmd_daemons::RunArgs),
    /// Every daemon as the arbiter sees it: role, master/spare, alive, work, generation.
    Status(cmd_daemons::StatusArgs),
    /// Demonstrations on this machine: `vigia demo ha` kills a master and times its spare.
    Demo(cmd_demo::DemoArgs),
    /// A certificate authority for the daemons' TLS: `vigia certs init DIR`, `vigia certs
    /// issue NAME --dir DIR --host ADDRESS`.
    Certs(cmd_certs::CertsArgs),
    /// A web UI password: `vigia passwd NAME --file DATA/web-users [--admin]`, or the
    /// `_VIGIA_PASSWORD` line for a contact's definition.
    Passwd(cmd_passwd::PasswdArgs),
    /// The arbiter: loads the configuration, dispatches it, watches the other daemons.
    Arbiter(cmd_daemons::ArbiterArgs),
    /// A scheduler: runs the monitoring engine on the part the arbiter assigns.
    Scheduler(cmd_daemons::SatelliteArgs),
    /// A poller: runs checks for its schedulers.
    Poller(cmd_daemons::SatelliteArgs),
    /// A reactionner: runs notifications and event handlers for its schedulers.
    Reactionner(cmd_daemons::SatelliteArgs),
    /// A broker: monitoring log and status of every scheduler it follows.
    Broker(cmd_daemons::SatelliteArgs),
    /// A receiver: external commands and passive results (HTTP, command FIFO, spool folder).
    Receiver(cmd_daemons::SatelliteArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Run(_)
            | Command::Arbiter(_)
            | Command::Scheduler(_)
            | Command::Poller(_)
            | Command::Reactionner(_)
            | Command::Broker(_)
            | Command::Receiver(_)
    ) {
        release_freed_memory_at_once();
    } else {
        // A report piped into `head` ends quietly when the reader goes, as Unix tools do
        // (Rust ignores SIGPIPE, which made `println!` panic). Daemons keep ignoring it.
        // SAFETY: setting a signal's disposition to its default, before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let code = match cli.command {
        Command::CheckConfig(args) => cmd_check_config::run(args),
        Command::Exec(args) => cmd_exec::run(args),
        Command::Simulate(args) => cmd_simulate::run(args),
        Command::Run(args) => cmd_daemons::run_all(args),
        Command::Status(args) => cmd_daemons::status(args),
        Command::Demo(args) => cmd_demo::run(args),
        Command::Certs(args) => cmd_certs::run(args),
        Command::Passwd(args) => cmd_passwd::run(args),
        Command::Arbiter(args) => cmd_daemons::run_arbiter(args),
        Command::Scheduler(args) => cmd_daemons::run_satellite(Role::Scheduler, args),
        Command::Poller(args) => cmd_daemons::run_satellite(Role::Poller, args),
        Command::Reactionner(args) => cmd_daemons::run_satellite(Role::Reactionner, args),
        Command::Broker(args) => cmd_daemons::run_satellite(Role::Broker, args),
        Command::Receiver(args) => cmd_daemons::run_satellite(Role::Receiver, args),
    };
    match code {
        Ok(code) => std::process::ExitCode::from(code),
        Err(err) => {
            eprintln!("vigia: {err:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The embedded default configuration: `etc/vigia` beside the binary's source tree, or the one
/// installed next to the binary (`../etc/vigia`), or `./etc/vigia`.
pub fn default_config_dir() -> std::path::PathBuf {
    let candidates = [
        std::path::PathBuf::from("etc/vigia"),
        std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../etc/vigia")),
    ];
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("../etc/vigia")));
    candidates
        .into_iter()
        .chain(beside_binary)
        .find(|p| p.is_dir())
        .unwrap_or_else(|| std::path::PathBuf::from("etc/vigia"))
}

/// mimalloc: a configuration of a million services is millions of small allocations, and the
/// daemons allocate per check; it is markedly faster than glibc's allocator for both (see
/// BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (same number in its v2 and v3 headers).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A daemon gives freed pages back to the system when it frees them. mimalloc purges them only
/// after a delay, and only when the thread that freed them allocates again: a tokio thread that
/// built a scheduler's initial status or a snapshot and then idled kept them, so a scheduler of
/// 25,000 services stayed near its peak (~85 MB instead of ~68 MB settled; BENCHMARKS.md, Scale).
fn release_freed_memory_at_once() {
    // SAFETY: setting an option is allowed at any time; it affects later purges only.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}
