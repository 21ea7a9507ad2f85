//! `vigia`: one binary for every Vigia role and tool.
use clap::{Parser, Subcommand};

mod cmd_exec;

#[derive(Parser)]
#[command(name = "vigia", version, about = "Distributed, Nagios-compatible monitoring with high availability")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one command line exactly as a poller would and print the result.
    Exec(cmd_exec::ExecArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Exec(args) => cmd_exec::run(args),
    };
    match code {
        Ok(code) => std::process::ExitCode::from(code),
        Err(err) => {
            eprintln!("vigia: {err:#}");
            std::process::ExitCode::from(2)
        }
    }
}
