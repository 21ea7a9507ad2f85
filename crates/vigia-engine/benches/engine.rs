//! Engine benchmarks (not tests): passive results per second with 100k services loaded, engine
//! memory per service, and `simulate` speed. Run: `cargo bench -p vigia-engine --bench engine`
//! (sizes: `VIGIA_BENCH_HOSTS`, default 10000 hosts × 10 services, for memory and passive
//! results; `VIGIA_BENCH_SIM_HOSTS`, default 1000 hosts × 10 services, for the simulated day).
use std::sync::Arc;
use std::time::Instant;

use vigia_engine::{CheckResult, Engine, Item};

/// As in the `vigia` binary, which runs every daemon.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn size(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The generated configuration of `hosts` hosts × 10 services (made once, kept in the temp dir).
fn config_dir(hosts: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vigia-engine-bench-{hosts}"));
    if !dir.join("nagios.cfg").exists() {
        let status = std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/config/generate.py"))
            .arg(hosts.to_string())
            .arg("10")
            .arg(&dir)
            .status()
            .expect("python3");
        assert!(status.success());
    }
    dir
}

/// Submits `n` passive results with typical 60-byte outputs, cycling states so that alerts
/// happen; returns the seconds taken.
fn feed(engine: &mut Engine, n: usize, services: usize, start: i64, drain: bool) -> f64 {
    let outputs: Vec<vigia_engine::output::PluginOutput> = (0..4)
        .map(|c| {
            vigia_engine::output::split(&format!(
                "{} - {:<50}|time=0.{c}s;1;2",
                ["OK", "WARNING", "CRITICAL", "UNKNOWN"][c],
                "passive result"
            ))
        })
        .collect();
    let t = Instant::now();
    for i in 0..n {
        let s = i % services;
        let code = ((i / services) % 4) as i32;
        engine.submit(CheckResult {
            action: 0,
            item: Item::Service(vigia_config::model::ServiceId(s as u32)),
            exit_code: if i % 97 == 0 { code } else { 0 },
            output: outputs[if i % 97 == 0 { code as usize } else { 0 }].output.clone(),
            long_output: String::new(),
            perfdata: outputs[if i % 97 == 0 { code as usize } else { 0 }].perfdata.clone(),
            start: start as f64,
            end: start as f64,
            scheduled: 0.0,
        });
        if i % 100_000 == 0 {
            engine.drain_log();
            engine.advance(start);
            if drain {
                drop(engine.drain_broks());
                drop(engine.drain_retention_changes());
            }
        }
    }
    engine.drain_log();
    t.elapsed().as_secs_f64()
}

fn main() {
    let dir = config_dir(size("VIGIA_BENCH_HOSTS", 10_000));
    let before = rss_kb();
    let config =
        vigia_config::load(&dir.join("nagios.cfg")).unwrap_or_else(|e| panic!("{:?}", e.diagnostics.items.first()));
    let after_config = rss_kb();
    let services = config.services.len();
    let start = 1_704_067_200;
    let mut engine = Engine::new(Arc::new(config), None, start, jiff::tz::TimeZone::UTC, 0);
    // The state machine alone first: no broker, no standby (as `vigia simulate`).
    engine.set_broks_enabled(false);
    engine.set_retention_tracking(false);
    let after_engine = rss_kb();
    println!(
        "{services} services: configuration {:.0} B/service, engine state {:.0} B/service, total {:.0} B/service",
        (after_config - before) as f64 * 1024.0 / services as f64,
        (after_engine - after_config) as f64 * 1024.0 / services as f64,
        (after_engine - before) as f64 * 1024.0 / services as f64
    );
    let n = 2_000_000usize;
    let secs = feed(&mut engine, n, services, start, false);
    println!(
        "passive results, broks and retention off: {n} in {secs:.2} s = {:.0}/s (one core)",
        n as f64 / secs
    );
    let after_results = rss_kb();
    println!(
        "after the results (every service holds a ~60-byte output and perfdata): total {:.0} B/service",
        (after_results - before) as f64 * 1024.0 / services as f64
    );
    // As a scheduler with a broker and a standby: broks and retention changes recorded, drained
    // (and dropped) every 100,000 results.
    engine.set_broks_enabled(true);
    engine.set_retention_tracking(true);
    let secs = feed(&mut engine, n, services, start, true);
    println!(
        "passive results, broks and retention changes drained every 100k: {n} in {secs:.2} s = {:.0}/s (one core)",
        n as f64 / secs
    );
    drop(engine);
    // A simulated day at 5-minute checks.
    let dir = config_dir(size("VIGIA_BENCH_SIM_HOSTS", 1_000));
    let config =
        vigia_config::load(&dir.join("nagios.cfg")).unwrap_or_else(|e| panic!("{:?}", e.diagnostics.items.first()));
    let services = config.services.len();
    let mut engine = Engine::new(Arc::new(config), None, start, jiff::tz::TimeZone::UTC, 0);
    let t = Instant::now();
    let mut out = Vec::new();
    vigia_engine::simulate::run(&mut engine, &[], 86_400, &mut out).expect("simulate");
    println!(
        "simulate 24 h of {services} services at 5-min interval: {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
