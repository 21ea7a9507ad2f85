//! Engine benchmarks (not tests): passive results per second with 100k services loaded, engine
//! memory per service, and `simulate` speed. Run: `cargo bench -p vigia-engine --bench engine`
//! (sizes: `VIGIA_BENCH_HOSTS`, default 10000 hosts × 10 services).
use std::sync::Arc;
use std::time::Instant;

use vigia_engine::{CheckResult, Engine, Item};

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

fn main() {
    let hosts: usize = std::env::var("VIGIA_BENCH_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
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
    let before = rss_kb();
    let config =
        vigia_config::load(&dir.join("nagios.cfg")).unwrap_or_else(|e| panic!("{:?}", e.diagnostics.items.first()));
    let after_config = rss_kb();
    let services = config.services.len();
    let start = 1_704_067_200;
    let mut engine = Engine::new(Arc::new(config), None, start, jiff::tz::TimeZone::UTC, 0);
    let after_engine = rss_kb();
    println!(
        "{services} services: configuration {:.0} B/service, engine state {:.0} B/service, total {:.0} B/service",
        (after_config - before) as f64 * 1024.0 / services as f64,
        (after_engine - after_config) as f64 * 1024.0 / services as f64,
        (after_engine - before) as f64 * 1024.0 / services as f64
    );
    // Passive results with typical 60-byte outputs, cycling states so that alerts happen.
    let outputs: Vec<String> = (0..4)
        .map(|c| {
            format!(
                "{} - {:<50}|time=0.{c}s;1;2",
                ["OK", "WARNING", "CRITICAL", "UNKNOWN"][c],
                "passive result"
            )
        })
        .collect();
    let n = 2_000_000usize;
    let t = Instant::now();
    for i in 0..n {
        let s = i % services;
        let code = ((i / services) % 4) as i32;
        engine.submit(CheckResult {
            action: 0,
            item: Item::Service(vigia_config::model::ServiceId(s as u32)),
            exit_code: if i % 97 == 0 { code } else { 0 },
            output: outputs[if i % 97 == 0 { code as usize } else { 0 }].clone(),
            start: start as f64,
            end: start as f64,
        });
        if i % 100_000 == 0 {
            engine.drain_log();
            engine.advance(start);
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "passive results: {n} in {secs:.2} s = {:.0}/s (one core)",
        n as f64 / secs
    );
    // A simulated day at 5-minute checks.
    let config =
        vigia_config::load(&dir.join("nagios.cfg")).unwrap_or_else(|e| panic!("{:?}", e.diagnostics.items.first()));
    let mut engine = Engine::new(Arc::new(config), None, start, jiff::tz::TimeZone::UTC, 0);
    let t = Instant::now();
    let mut out = Vec::new();
    vigia_engine::simulate::run(&mut engine, &[], 86_400, &mut out).expect("simulate");
    println!(
        "simulate 24 h of {services} services at 5-min interval: {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
