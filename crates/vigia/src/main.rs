//! `vigia`: one binary for every Vigia role and tool.
use clap::{Parser, Subcommand};

mod cmd_check_config;
mod cmd_exec;
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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::CheckConfig(args) => cmd_check_config::run(args),
        Command::Exec(args) => cmd_exec::run(args),
        Command::Simulate(args) => cmd_simulate::run(args),
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
