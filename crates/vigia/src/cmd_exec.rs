//! `vigia exec`: debug a plugin as a poller runs it.
//!
//! The command line goes through the same executor a poller uses: the same direct-or-shell
//! decision, environment (only `PATH` and `--env` variables), timeout and kill of the process
//! group, output cap and parsing. The exit code is the plugin's state.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use vigia_exec::{state_name, ActionKind, ExecConfig, ExecResult, Executor, Request};

#[derive(clap::Args)]
pub struct ExecArgs {
    /// Seconds before the plugin's process group is killed (decimals allowed).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub timeout: f64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run the command line N times and print the rate instead of one result.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub repeat: usize,
    /// With --repeat: how many runs are in flight at once.
    #[arg(long, value_name = "P", default_value_t = 1)]
    pub parallel: usize,
    /// Add a variable to the plugin's environment (repeatable).
    #[arg(long = "env", value_name = "VAR=VALUE")]
    pub env: Vec<String>,
    /// The plugin's working directory.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Run it as a host check (messages say "Host check").
    #[arg(long)]
    pub host_check: bool,
    /// Host name, for messages.
    #[arg(long)]
    pub host: Option<String>,
    /// Service description, for messages.
    #[arg(long)]
    pub service: Option<String>,
    /// State of a timed-out check (Alignak's `timeout_exit_status`).
    #[arg(long, value_name = "STATE", default_value_t = vigia_exec::DEFAULT_TIMEOUT_EXIT_STATUS)]
    pub timeout_exit_status: u8,
    /// Bytes of output kept (Alignak's `max_plugins_output_length`).
    #[arg(long, value_name = "BYTES", default_value_t = vigia_exec::DEFAULT_MAX_OUTPUT)]
    pub max_output: usize,
    /// The command line. One argument is taken as written in a command definition (quotes,
    /// pipes…); several are quoted and joined, so `-- check_dummy 0 "two words"` works too.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND_LINE"
    )]
    pub command: Vec<String>,
}

pub fn run(args: ExecArgs) -> anyhow::Result<u8> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        anyhow::bail!("--timeout must be a positive number of seconds");
    }
    if args.timeout_exit_status > 3 {
        anyhow::bail!("--timeout-exit-status must be 0, 1, 2 or 3");
    }
    let mut env = BTreeMap::new();
    for pair in &args.env {
        let (name, value) = pair
            .split_once('=')
            .with_context(|| format!("--env {pair}: expected VAR=VALUE"))?;
        env.insert(name.to_owned(), value.to_owned());
    }
    let line = command_line(&args.command);
    let mut request = Request::new(line).timeout(Duration::from_secs_f64(args.timeout));
    request.env = env;
    request.cwd = args.cwd.clone();
    request.host = args.host.clone();
    request.service = args.service.clone();
    if args.host_check {
        request.kind = ActionKind::HostCheck;
    }
    let config = ExecConfig {
        max_concurrent: args.parallel.max(1),
        timeout_exit_status: args.timeout_exit_status,
        max_plugins_output_length: args.max_output,
        ..ExecConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("starting the runtime")?;
    let executor = Executor::new(config);

    if args.repeat > 1 {
        return repeat(&runtime, &executor, request, args.repeat, args.json);
    }
    let result = runtime.block_on(executor.run(request));
    if args.json {
        let mut value = serde_json::to_value(&result)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("state_name".into(), state_name(result.state).into());
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_result(&result);
    }
    Ok(result.state)
}

/// One argument: a command line as written. Several: an argv, quoted so it splits back the same.
fn command_line(args: &[String]) -> String {
    match args {
        [one] => one.clone(),
        many => many.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "),
    }
}

fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '%' | '+' | '=' | ':' | ',' | '.' | '/' | '-')
        });
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

fn print_result(r: &ExecResult) {
    let code = match (r.exit_code, r.signal) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        (None, None) if r.internal => "internal command".to_owned(),
        (None, None) => "no exit code".to_owned(),
    };
    println!(
        "state:          {} ({code}{})",
        state_name(r.state),
        if r.timed_out { ", timed out" } else { "" }
    );
    println!("output:         {}", r.output);
    if !r.long_output.is_empty() {
        println!("long output:");
        for line in r.long_output.lines() {
            println!("  {line}");
        }
    }
    if !r.perfdata.is_empty() {
        println!("perfdata:       {}", r.perfdata);
    }
    for m in &r.metrics {
        let value = m.value.map_or("U".to_owned(), |v| v.to_string());
        let mut line = format!("  {} = {value}{}", m.label, m.uom);
        for (name, t) in [("warn", &m.warn), ("crit", &m.crit)] {
            if let Some(t) = t {
                line.push_str(&format!("  {name} {}", t.raw));
            }
        }
        for (name, v) in [("min", m.min), ("max", m.max)] {
            if let Some(v) = v {
                line.push_str(&format!("  {name} {v}"));
            }
        }
        println!("{line}");
    }
    if r.truncated {
        println!("truncated:      yes (more than the output cap was written)");
    }
    let start = jiff::Timestamp::from_microsecond((r.start_time * 1e6) as i64)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| format!("{:.6}", r.start_time));
    println!("started:        {start}");
    println!("execution time: {:.3} s", r.execution_time);
    let how = match (r.internal, r.via_shell) {
        (true, _) => "in-process (internal command)".to_owned(),
        (false, true) => "through /bin/sh -c".to_owned(),
        (false, false) => "directly (posix_spawn)".to_owned(),
    };
    match r.pid {
        Some(pid) => println!("ran:            {how}, pid {pid}"),
        None => println!("ran:            {how}"),
    }
}

/// Nagios's severity order for "the worst of": OK < WARNING < UNKNOWN < CRITICAL.
fn severity(state: u8) -> u8 {
    match state {
        0 => 0,
        1 => 1,
        3 => 2,
        _ => 3,
    }
}

fn repeat(
    runtime: &tokio::runtime::Runtime,
    executor: &Executor,
    request: Request,
    times: usize,
    json: bool,
) -> anyhow::Result<u8> {
    let start = Instant::now();
    let results = runtime.block_on(executor.run_all((0..times).map(move |_| request.clone())).collect());
    let seconds = start.elapsed().as_secs_f64();
    let rate = results.len() as f64 / seconds;
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    let mut timed_out = 0;
    for r in &results {
        *states.entry(state_name(r.state)).or_default() += 1;
        timed_out += usize::from(r.timed_out);
    }
    let worst = results
        .iter()
        .map(|r| r.state)
        .max_by_key(|s| severity(*s))
        .unwrap_or(3);
    if json {
        let summary = serde_json::json!({
            "runs": results.len(),
            "parallel": executor.config().max_concurrent,
            "seconds": seconds,
            "runs_per_second": rate,
            "states": states,
            "timed_out": timed_out,
            "worst_state": state_name(worst),
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{} runs in {seconds:.3} s with {} in flight: {rate:.0} runs/s",
            results.len(),
            executor.config().max_concurrent
        );
        let counts: Vec<String> = states.iter().map(|(s, n)| format!("{s} {n}")).collect();
        println!(
            "states: {}{}",
            counts.join(", "),
            if timed_out > 0 {
                format!(" ({timed_out} timed out)")
            } else {
                String::new()
            }
        );
        if let Some(first) = results.first() {
            println!("first output: {}", first.output);
        }
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_arguments_split_back_the_same() {
        let args: Vec<String> = ["check_dummy", "0", "two words", "it's", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let line = command_line(&args);
        assert_eq!(
            vigia_exec::cmdline::parse(&line),
            Ok(vigia_exec::cmdline::Invocation::Direct(args))
        );
        assert_eq!(command_line(&["echo a | tr a b".to_owned()]), "echo a | tr a b");
    }
}
