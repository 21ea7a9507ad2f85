//! `vigia check-config`: what `nagios -v` and `alignak-arbiter -V` do, for Vigia.
use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;
use vigia_config::{Config, Diagnostic, LoadError};

#[derive(clap::Args)]
pub struct CheckConfigArgs {
    /// A main `.cfg` file, an `alignak.ini`, or a folder holding one (default: the embedded `etc/vigia`).
    pub path: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the resolved objects, in Nagios object-cache format, to this file.
    #[arg(long, value_name = "FILE")]
    pub object_cache: Option<PathBuf>,
}

pub fn run(args: CheckConfigArgs) -> anyhow::Result<u8> {
    let path = args.path.unwrap_or_else(crate::default_config_dir);
    let started = std::time::Instant::now();
    let result = vigia_config::load(&path);
    let elapsed = started.elapsed();
    match result {
        Ok(config) => {
            if let Some(out) = &args.object_cache {
                std::fs::write(out, config.object_cache()).with_context(|| format!("writing {}", out.display()))?;
            }
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&summary_json(Some(&config), &config.warnings, &[]))?
                );
            } else {
                print_summary(&config);
                print_diagnostics(&config.warnings);
                println!("Configuration is valid ({} ms).", elapsed.as_millis());
            }
            // The process ends here: the OS takes the memory back faster than a million frees.
            std::mem::forget(config);
            Ok(0)
        }
        Err(LoadError { diagnostics, .. }) => {
            let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = diagnostics
                .items
                .into_iter()
                .partition(|d| d.severity == vigia_config::Severity::Error);
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&summary_json(None, &warnings, &errors))?
                );
            } else {
                print_diagnostics(&warnings);
                print_diagnostics(&errors);
                println!(
                    "Configuration is NOT valid: {} error(s), {} warning(s).",
                    errors.len(),
                    warnings.len()
                );
            }
            Ok(1)
        }
    }
}

fn print_summary(config: &Config) {
    for (what, n) in config.counts() {
        println!("Checked {n} {what}.");
    }
    for (r, realm) in config.realms.iter().enumerate() {
        let parts: Vec<_> = config.parts.iter().filter(|p| p.realm.index() == r).collect();
        let hosts: usize = parts.iter().map(|p| p.hosts.len()).sum();
        let default = if realm.default { " (default)" } else { "" };
        println!(
            "Realm {}{default}: {hosts} hosts in {} part(s)",
            realm.name,
            parts.len()
        );
        for part in parts {
            let scheduler = &config.daemons[part.scheduler.index()].name;
            println!(
                "  part for scheduler {scheduler}: {} hosts, {} services, hash {}",
                part.hosts.len(),
                part.services,
                part.hash
            );
        }
    }
}

fn print_diagnostics(items: &[Diagnostic]) {
    for d in items {
        println!("{d}");
    }
}

fn summary_json(config: Option<&Config>, warnings: &[Diagnostic], errors: &[Diagnostic]) -> serde_json::Value {
    let counts: serde_json::Map<String, serde_json::Value> = config
        .map(|c| c.counts().into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
        .unwrap_or_default();
    let realms: Vec<serde_json::Value> = config
        .map(|c| {
            c.realms
                .iter()
                .enumerate()
                .map(|(r, realm)| {
                    let parts: Vec<serde_json::Value> = c
                        .parts
                        .iter()
                        .filter(|p| p.realm.index() == r)
                        .map(|p| {
                            json!({
                                "scheduler": c.daemons[p.scheduler.index()].name,
                                "hosts": p.hosts.len(),
                                "services": p.services,
                                "hash": p.hash,
                            })
                        })
                        .collect();
                    json!({ "name": realm.name, "default": realm.default, "parts": parts })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "valid": config.is_some(),
        "counts": counts,
        "realms": realms,
        "warnings": warnings,
        "errors": errors,
    })
}
