//! `vigia simulate`: preview what a configuration will log and notify, on a virtual clock.
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use vigia_engine::simulate;

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The configuration (a main `.cfg`, an `alignak.ini`, or a folder).
    pub config: PathBuf,
    /// The events script: `AT COMMAND_LINE` or `AT RESULT host[;service] CODE OUTPUT` per line.
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// How long to simulate (`90s`, `1h5m`, `2d`).
    #[arg(long, default_value = "1h")]
    pub until: String,
    /// Start time: epoch seconds or a local civil time like `2024-01-01T00:00` (default: Monday
    /// 2024-01-01 00:00 local time, so runs are reproducible).
    #[arg(long)]
    pub start: Option<String>,
    /// Shifts the initial spreading of checks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub fn run(args: SimulateArgs) -> anyhow::Result<u8> {
    let config = match vigia_engine::business::load(&args.config, &vigia_config::LoadOptions::default()) {
        Ok(c) => c,
        Err(e) => {
            for d in &e.diagnostics.items {
                eprintln!("{d}");
            }
            anyhow::bail!("{}: the configuration is not valid", args.config.display());
        }
    };
    let events = match &args.events {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            simulate::parse_events(&text)
                .map_err(|errors| anyhow::anyhow!("{}:\n{}", path.display(), errors.join("\n")))?
        }
        None => Vec::new(),
    };
    let until = simulate::parse_duration(&args.until).map_err(|e| anyhow::anyhow!("--until: {e}"))?;
    let tz = jiff::tz::TimeZone::system();
    let start = start_time(args.start.as_deref(), &tz)?;
    let mut engine = vigia_engine::Engine::new(Arc::new(config), None, start, tz, args.seed);
    let mut out = Vec::new();
    simulate::run(&mut engine, &events, until, &mut out).map_err(|e| anyhow::anyhow!(e))?;
    for line in out {
        println!("{line}");
    }
    Ok(0)
}

fn start_time(text: Option<&str>, tz: &jiff::tz::TimeZone) -> anyhow::Result<i64> {
    let text = text.unwrap_or("2024-01-01T00:00");
    if let Ok(epoch) = text.parse::<i64>() {
        return Ok(epoch);
    }
    let civil: jiff::civil::DateTime = text
        .parse()
        .with_context(|| format!("--start '{text}': expected epoch seconds or YYYY-MM-DDTHH:MM"))?;
    let at = tz.to_timestamp(civil).with_context(|| format!("--start '{text}'"))?;
    Ok(at.as_second())
}
