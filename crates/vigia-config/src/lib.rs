//! Vigia's configuration engine: read Nagios, Shinken and Alignak configurations, resolve them as
//! those systems do, reject bad ones with `file:line`, and cut them into the parts the arbiter
//! dispatches. Pure: no sockets, no global state, no clock; the file system is read only by
//! [`source`].
//!
//! Pipeline: [`source`] reads the tree (parsing with [`grammar`] and [`ini`]) → [`values`] checks
//! every written property against [`schema`] and what Vigia does with it ([`effect`]) → [`inherit`] applies templates → [`resolve`] turns
//! names into typed ids ([`model`]) → [`split`] cuts the hosts into realm parts.
use std::collections::BTreeMap;
use std::path::Path;

pub mod cache;
pub mod cgi;
pub mod diag;
pub mod dialect;
pub mod duplicate;
pub mod effect;
pub mod grammar;
pub mod inherit;
pub mod ini;
pub mod kind;
pub mod model;
pub mod parallel;
pub mod part;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod split;
pub mod timeperiod;
pub mod values;

pub use diag::{Diagnostic, Diagnostics, Location, Severity};
pub use dialect::Dialect;
pub use kind::ObjectKind;
pub use model::Config;

/// Why a configuration was refused: every problem found, errors and warnings, in one list.
#[derive(Debug, thiserror::Error)]
#[error("configuration has {} error(s)", .diagnostics.errors().count())]
pub struct LoadError {
    pub diagnostics: Diagnostics,
    /// The dialect it was read with, and why.
    pub dialect: (Dialect, String),
}

/// How to load: the dialect to read with (`None`: the one the entry point implies, see
/// [`Dialect::of_entry`]).
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub dialect: Option<Dialect>,
}

/// Loads, resolves, validates and splits the configuration at `path` (a main `.cfg`, an
/// `alignak.ini`, or a folder holding one). All or nothing: any error means no configuration.
pub fn load(path: &Path) -> Result<Config, LoadError> {
    load_with(path, &LoadOptions::default())
}

/// [`load`], with options.
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Config, LoadError> {
    let (config, diags) = load_all(path, options);
    finish(config, diags)
}

/// Every stage run whatever the earlier ones found, so that one run reports every problem:
/// the configuration as far as it resolved (with the dialect it was read with), and every
/// diagnostic. Later checks (the engine's business rules) add theirs, then [`finish`].
pub fn load_all(path: &Path, options: &LoadOptions) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut tree = source::read_tree(path, &mut diags);
    let (dialect, why) = match options.dialect {
        Some(d) => (d, "asked for".to_string()),
        None => Dialect::of_entry(&tree.main, tree.globals.iter().map(|s| s.key.as_str())),
    };
    // Definitions as written are needed only until templates are applied: freeing them before
    // the typed objects are built keeps the peak memory of a large configuration down.
    let objects: Vec<_> = tree
        .files
        .iter_mut()
        .map(|f| std::mem::take(&mut f.parsed.objects))
        .collect();
    effect::check_main(&tree, dialect, &mut diags);
    values::check_written(&tree, &objects, dialect, &mut diags);
    let arena = typed_arena::Arena::new();
    let flat = inherit::flatten(&tree, &objects, &arena, dialect, &mut diags);
    drop(objects);
    let mut globals = BTreeMap::new();
    for s in &tree.globals {
        globals.insert(s.key.clone(), s.value.clone());
    }
    let resources: BTreeMap<String, String> = tree
        .resources
        .iter()
        .map(|s| (s.key.clone(), s.value.clone()))
        .collect();
    let mut config = resolve::Builder::new(&tree, &flat, &arena, dialect, &mut diags).build(globals, resources);
    drop(flat);
    split::cut(&mut config, &mut diags);
    config.dialect = dialect;
    config.dialect_why = why;
    if let Some(dir) = tree.main.parent() {
        config.web_access = cgi::read(dir, &mut diags);
    }
    (config, diags)
}

/// All or nothing: any error refuses the configuration; else it keeps its warnings.
pub fn finish(mut config: Config, diags: Diagnostics) -> Result<Config, LoadError> {
    if diags.has_errors() {
        return Err(LoadError {
            diagnostics: diags,
            dialect: config.dialect_and_reason(),
        });
    }
    config.warnings = diags.items;
    Ok(config)
}

impl Config {
    /// How many objects of each type, in the order `check-config` prints them.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let count = |role| self.daemons.iter().filter(|d| d.role == role).count();
        let other = |kind| self.others.iter().filter(|o| o.kind == kind).count();
        let esc = |host: bool| {
            self.escalations
                .iter()
                .filter(|e| matches!(e.target, model::EscalationTarget::Host(_)) == host)
                .count()
        };
        vec![
            ("hosts", self.hosts.len()),
            ("services", self.services.len()),
            ("commands", self.commands.len()),
            ("timeperiods", self.timeperiods.periods.len()),
            ("contacts", self.contacts.len()),
            ("contactgroups", self.contactgroups.len()),
            ("hostgroups", self.hostgroups.len()),
            ("servicegroups", self.servicegroups.len()),
            ("notificationways", self.notificationways.len()),
            ("hostdependencies", self.hostdependencies.len()),
            ("servicedependencies", self.servicedependencies.len()),
            ("host escalations", esc(true)),
            ("service escalations", esc(false)),
            ("realms", self.realms.len()),
            ("arbiters", count(model::Role::Arbiter)),
            ("schedulers", count(model::Role::Scheduler)),
            ("pollers", count(model::Role::Poller)),
            ("reactionners", count(model::Role::Reactionner)),
            ("brokers", count(model::Role::Broker)),
            ("receivers", count(model::Role::Receiver)),
            ("modules", other(ObjectKind::Module)),
            ("businessimpactmodulations", other(ObjectKind::Businessimpactmodulation)),
            ("resultmodulations", other(ObjectKind::Resultmodulation)),
            ("checkmodulations", other(ObjectKind::Checkmodulation)),
            ("macromodulations", other(ObjectKind::Macromodulation)),
        ]
    }

    /// The resolved objects in Nagios's object-cache format (what `objects.precache` holds), so
    /// a configuration can be compared with Nagios 4's own resolution of it.
    pub fn object_cache(&self) -> String {
        cache::write(self)
    }
}
