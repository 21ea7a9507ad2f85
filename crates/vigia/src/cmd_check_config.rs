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
    /// Read with Nagios 4's rules and defaults (`nagios`, also `naemon`) or Alignak 2's
    /// (`alignak`), whatever the entry point implies (a `nagios.cfg` is Nagios's).
    #[arg(long, value_name = "DIALECT", value_parser = vigia_config::Dialect::parse)]
    pub dialect: Option<vigia_config::Dialect>,
}

pub fn run(args: CheckConfigArgs) -> anyhow::Result<u8> {
    // `vigia check-config | head` ends quietly, as any filter does (Rust ignores SIGPIPE and
    // a println! into a closed pipe panics). Only here: the daemons want the error, not death.
    // SAFETY: setting a signal's disposition to its default before any thread writes.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let path = args.path.unwrap_or_else(crate::default_config_dir);
    let started = std::time::Instant::now();
    let options = vigia_config::LoadOptions { dialect: args.dialect };
    let result = vigia_engine::business::load(&path, &options);
    let elapsed = started.elapsed();
    match result {
        Ok(config) => {
            if let Some(out) = &args.object_cache {
                std::fs::write(out, config.object_cache()).with_context(|| format!("writing {}", out.display()))?;
            }
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&summary_json(
                        Some(&config),
                        &config.dialect_and_reason(),
                        &config.warnings,
                        &[]
                    ))?
                );
            } else {
                println!("Read as {}: {}.", config.dialect, config.dialect_why);
                print_summary(&config);
                print_diagnostics(&config.warnings);
                println!("Configuration is valid ({} ms).", elapsed.as_millis());
            }
            // The process ends here: the OS takes the memory back faster than a million frees.
            std::mem::forget(config);
            Ok(0)
        }
        Err(LoadError { diagnostics, dialect }) => {
            let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = diagnostics
                .items
                .into_iter()
                .partition(|d| d.severity == vigia_config::Severity::Error);
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&summary_json(None, &dialect, &warnings, &errors))?
                );
            } else {
                println!("Read as {}: {}.", dialect.0, dialect.1);
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

fn summary_json(
    config: Option<&Config>,
    dialect: &(vigia_config::Dialect, String),
    warnings: &[Diagnostic],
    errors: &[Diagnostic],
) -> serde_json::Value {
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
        "dialect": { "name": dialect.0, "why": dialect.1 },
        "counts": counts,
        "realms": realms,
        "warnings": warnings,
        "errors": errors,
    })
}
