//! From flattened definitions to the typed [`Config`]: names become ids, lists of names with `*`
//! and `!exclusions` become member sets, services are attached to their hosts, groups get their
//! members from both sides, and every reference is checked.
//!
//! One file per object family, as Naemon keeps one per object type. [`Builder::build`] calls the
//! families in the order their references need; each records in [`Resolved`] what later ones
//! look up. Diagnostics are reported in that order too, so the order is part of the output.
mod commands;
mod contacts;
mod daemons;
mod dependencies;
mod escalations;
mod groups;
mod hosts;
mod monitored;
mod others;
mod periods;
mod services;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use typed_arena::Arena;

use crate::diag::{Diagnostics, Location};
use crate::dialect::{Dialect, Duplicate};
use crate::inherit::FlatObject;
use crate::kind::ObjectKind;
use crate::model::*;
use crate::source::SourceTree;
use crate::values;

use commands::CommandTable;
pub use commands::INTERNAL_COMMANDS;

type Flat<'a> = FxHashMap<ObjectKind, Vec<FlatObject<'a>>>;

/// Values many objects write the same way, stored once: at a million services, one copy of
/// `check_ping!100,20%!500,60%` instead of a million.
#[derive(Default)]
struct Shared {
    texts: FxHashMap<Box<str>, Arc<str>>,
    contacts: FxHashMap<Box<str>, Arc<[ContactId]>>,
    contact_groups: FxHashMap<Box<str>, Arc<[ContactgroupId]>>,
}

impl Shared {
    fn text(&mut self, s: &str) -> Arc<str> {
        if let Some(t) = self.texts.get(s) {
            return t.clone();
        }
        let t: Arc<str> = Arc::from(s);
        self.texts.insert(s.into(), t.clone());
        t
    }
}

/// (host, description) → index of the service.
type ServiceIndex<'r> = FxHashMap<(u32, &'r str), u32>;

/// (file, line) of a property: turned into a [`Location`] only when something is reported.
type At = (u32, u32);

fn at_of(obj: &FlatObject<'_>, key: &str) -> At {
    obj.get(key).map_or((obj.file, obj.line), |p| (p.file, p.line))
}

/// Name → index of the real objects of one type.
#[derive(Default)]
struct Names<'r> {
    ids: FxHashMap<&'r str, u32>,
    order: Vec<&'r str>,
}

impl<'r> Names<'r> {
    fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
}

/// What the families resolved so far and later ones refer to, filled in [`Builder::build`]'s
/// order: a family reads only what the ones before it recorded.
#[derive(Default)]
struct Resolved<'r, 'a> {
    timeperiod_names: Names<'r>,
    commands: CommandTable,
    /// Every realm, the implied one included. Only single names are looked up: no `order`.
    realm_names: Names<'r>,
    notificationway_names: Names<'r>,
    contact_names: Names<'r>,
    contactgroup_names: Names<'r>,
    host_names: Names<'r>,
    /// The host definitions by [`HostId`]: services read their host's properties.
    host_objs: Vec<&'r FlatObject<'a>>,
    hostgroup_names: Names<'r>,
    /// Host groups with their members flattened: services, dependencies and escalations name
    /// hosts through them.
    hostgroups: Vec<Group<HostId>>,
    service_index: ServiceIndex<'r>,
}

pub struct Builder<'r, 'a> {
    tree: &'r SourceTree,
    flat: &'r Flat<'a>,
    /// Strings made while resolving (`duplicate_foreach` rewrites), borrowed like written ones.
    arena: &'r Arena<String>,
    shared: Shared,
    /// Typed defaults + template layer, per (type, template layer address, length).
    bases: FxHashMap<(ObjectKind, usize, usize), Monitored>,
    diags: &'r mut Diagnostics,
    reported: HashSet<(Location, String)>,
    /// Whose defaults and rules apply where Nagios and Alignak differ.
    dialect: Dialect,
}

impl<'r, 'a> Builder<'r, 'a> {
    pub fn new(
        tree: &'r SourceTree,
        flat: &'r Flat<'a>,
        arena: &'r Arena<String>,
        dialect: Dialect,
        diags: &'r mut Diagnostics,
    ) -> Self {
        Builder {
            dialect,
            tree,
            flat,
            arena,
            shared: Shared::default(),
            bases: FxHashMap::default(),
            diags,
            reported: HashSet::new(),
        }
    }

    pub fn build(mut self, tree_globals: BTreeMap<String, String>, resources: BTreeMap<String, String>) -> Config {
        let interval_length = tree_globals
            .get("interval_length")
            .and_then(|v| values::parse_int(v).ok())
            .filter(|v| *v > 0)
            .unwrap_or(60) as u32;
        let mut known = Resolved::default();
        let timeperiods = self.timeperiods(&mut known);
        self.commands(&mut known);
        self.check_global_commands(&mut known.commands);
        let realms = self.realms(&mut known);
        let notificationways = self.notificationways(&mut known);
        let (contacts, contactgroups) = self.contacts(&mut known);
        let host_defaults = self.monitored_defaults(ObjectKind::Host, &mut known);
        let service_defaults = self.monitored_defaults(ObjectKind::Service, &mut known);
        let mut hosts = self.hosts(&mut known, &host_defaults);
        let (services, servicegroups) = self.services(&mut known, &service_defaults, &mut hosts);
        let (hostdependencies, servicedependencies) = self.dependencies(&known, &hosts, &services, &servicegroups);
        let escalations = self.escalations(&known, &hosts, &services);
        let daemons = self.daemons(&known, &realms, &hosts);
        let others = self.others(&mut known);
        let Resolved {
            commands, hostgroups, ..
        } = known;
        Config {
            globals: tree_globals,
            resources,
            interval_length,
            commands: commands.list,
            timeperiods,
            hosts,
            services,
            contacts,
            contactgroups,
            hostgroups,
            servicegroups,
            notificationways,
            hostdependencies,
            servicedependencies,
            escalations,
            realms,
            daemons,
            others,
            parts: Vec::new(),
            web_access: Default::default(),
            dialect: self.dialect,
            dialect_why: String::new(),
            warnings: Vec::new(),
        }
    }

    fn loc(&self, file: u32, line: u32) -> Location {
        self.tree.location(file, line)
    }

    fn obj_loc(&self, obj: &FlatObject<'_>) -> Location {
        self.loc(obj.file, obj.line)
    }

    /// One report per place and message: a bad name in a template used by 10,000 hosts is one
    /// mistake, not 10,000.
    fn error_at(&mut self, location: Location, message: String) {
        if self.reported.insert((location.clone(), message.clone())) {
            self.diags.error(Some(location), message);
        }
    }

    fn warn_at(&mut self, location: Location, message: String) {
        if self.reported.insert((location.clone(), message.clone())) {
            self.diags.warning(Some(location), message);
        }
    }

    fn prop_loc(&self, obj: &FlatObject<'_>, key: &str) -> Location {
        match obj.get(key) {
            Some(p) => self.loc(p.file, p.line),
            None => self.obj_loc(obj),
        }
    }

    fn real(&self, kind: ObjectKind) -> Vec<&'r FlatObject<'a>> {
        self.flat
            .get(&kind)
            .map(|v| v.iter().filter(|o| !o.template_only).collect())
            .unwrap_or_default()
    }

    /// Indexes real objects by their name property; reports missing and duplicate names.
    fn names(&mut self, kind: ObjectKind, objs: &[&'r FlatObject<'a>]) -> (Names<'r>, Vec<&'r FlatObject<'a>>) {
        let key = kind.name_key().unwrap_or("name");
        let mut names = Names::default();
        let mut kept = Vec::with_capacity(objs.len());
        let mut first: FxHashMap<&'r str, (Location, u32)> = FxHashMap::default();
        for obj in objs {
            let Some(name) = obj.value(key).map(str::trim).filter(|n| !n.is_empty()) else {
                let loc = self.obj_loc(obj);
                self.error_at(loc, format!("{} has no '{key}'", kind.keyword()));
                continue;
            };
            if let Some((prev, at)) = first.get(name).cloned() {
                // Nagios refuses a second definition. Alignak keeps the one with the lower
                // `definition_order`, the last one when they are equal (with a warning).
                let loc = self.obj_loc(obj);
                let msg = format!("{} '{name}' is defined twice (first at {prev})", kind.keyword());
                if self.dialect == Dialect::Nagios {
                    self.error_at(loc, msg);
                    continue;
                }
                let order = |o: &FlatObject<'_>| values::Reader::new(o).int("definition_order");
                let outcome = Duplicate::alignak(order(kept[at as usize]), order(obj));
                if outcome == Duplicate::UseLastWarned {
                    self.warn_at(loc.clone(), format!("{msg}: the last one is used, as Alignak does"));
                }
                if outcome != Duplicate::KeepFirst {
                    self.check_required(obj, key, name);
                    kept[at as usize] = *obj;
                    first.insert(name, (loc, at));
                }
                continue;
            }
            self.check_required(obj, key, name);
            first.insert(name, (self.obj_loc(obj), kept.len() as u32));
            names.ids.insert(name, kept.len() as u32);
            names.order.push(name);
            kept.push(*obj);
        }
        (names, kept)
    }

    /// Every property the schema marks required (no default) must be set.
    fn check_required(&mut self, obj: &FlatObject<'_>, name_key: &str, name: &str) {
        for def in crate::schema::props(obj.kind) {
            if def.default.is_none() && def.name != name_key && obj.value(def.name).is_none_or(|v| v.trim().is_empty())
            {
                let loc = self.obj_loc(obj);
                let msg = format!(
                    "{} '{name}' is missing required property '{}'",
                    obj.kind.keyword(),
                    def.name
                );
                self.error_at(loc, msg);
            }
        }
    }

    /// Resolves a list of names (`a,b`, `*`, `!c`) to ids; unknown names are errors at `loc`.
    fn name_list(&mut self, list: &str, names: &Names<'_>, what: &str, at: At) -> Vec<u32> {
        // Most lists name one object: no sets needed.
        if !list.contains([',', '*', '!']) {
            let name = list.trim();
            if name.is_empty() {
                return Vec::new();
            }
            return match names.get(name) {
                Some(id) => vec![id],
                None => {
                    self.error_at(self.loc(at.0, at.1), format!("unknown {what} '{name}'"));
                    Vec::new()
                }
            };
        }
        let mut out: Vec<u32> = Vec::new();
        let mut excluded: HashSet<u32> = HashSet::new();
        for item in values::split_list(list) {
            if item == "*" {
                out.extend(0..names.order.len() as u32);
            } else if let Some(name) = item.strip_prefix('!') {
                match names.get(name.trim()) {
                    Some(id) => {
                        excluded.insert(id);
                    }
                    None => self.error_at(self.loc(at.0, at.1), format!("unknown {what} '{}'", name.trim())),
                }
            } else {
                match names.get(item) {
                    Some(id) => out.push(id),
                    None => self.error_at(self.loc(at.0, at.1), format!("unknown {what} '{item}'")),
                }
            }
        }
        let mut seen = HashSet::new();
        out.retain(|id| !excluded.contains(id) && seen.insert(*id));
        out
    }

    fn refs(&mut self, obj: &FlatObject<'_>, key: &str, names: &Names<'_>, what: &str) -> Vec<u32> {
        let Some(list) = obj.value(key) else { return Vec::new() };
        let at = at_of(obj, key);
        self.name_list(list, names, what, at)
    }

    fn one_ref(&mut self, obj: &FlatObject<'_>, key: &str, names: &Names<'_>, what: &str) -> Option<u32> {
        let name = obj.value(key)?;
        self.one_name(name, at_of(obj, key), names, what)
    }

    fn one_name(&mut self, name: &str, at: At, names: &Names<'_>, what: &str) -> Option<u32> {
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        match names.get(name) {
            Some(id) => Some(id),
            None => {
                self.error_at(self.loc(at.0, at.1), format!("unknown {what} '{name}'"));
                None
            }
        }
    }

    /// Reports every cycle of `edges` (a graph over `objs`) once, naming its members: timeperiod
    /// excludes, host parents and nested groups.
    fn check_loops(&mut self, edges: &[Vec<u32>], objs: &[&FlatObject<'_>], what: &str, name_key: &str) {
        let mut state = vec![0u8; edges.len()]; // 0 new, 1 on stack, 2 done
        for start in 0..edges.len() {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&to) = edges[node].get(*next) {
                    *next += 1;
                    let to = to as usize;
                    match state.get(to) {
                        Some(0) => {
                            state[to] = 1;
                            stack.push((to, 0));
                        }
                        Some(1) => {
                            let from = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                            let names: Vec<&str> = stack[from..]
                                .iter()
                                .map(|(n, _)| objs.get(*n).and_then(|o| o.value(name_key)).unwrap_or("?"))
                                .chain(std::iter::once(
                                    objs.get(to).and_then(|o| o.value(name_key)).unwrap_or("?"),
                                ))
                                .collect();
                            if let Some(obj) = objs.get(node) {
                                let loc = self.obj_loc(obj);
                                self.error_at(loc, format!("{what} loop: {}", names.join(" -> ")));
                            }
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    stack.pop();
                }
            }
        }
    }
}

/// The properties not read into typed fields (notes, icons, …), kept for the UI.
fn extra(obj: &FlatObject<'_>, typed: &[&str]) -> BTreeMap<String, String> {
    obj.props()
        .filter(|p| !p.key.starts_with('_') && !typed.contains(&p.key))
        .map(|p| (p.key.to_string(), p.text().to_string()))
        .collect()
}

/// Loading helpers shared by the families' tests.
#[cfg(test)]
mod tests {
    use crate::model::*;
    use crate::{load, Config};

    /// Writes `files` (name, text) into a fresh folder and loads its `main.cfg`.
    pub(super) fn load_files(files: &[(&str, &str)]) -> Result<Config, Vec<String>> {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(&path, text).expect("write");
        }
        load(&dir.path().join("main.cfg")).map_err(|e| {
            e.diagnostics
                .items
                .iter()
                .map(|d| {
                    let s = d.to_string();
                    s.strip_prefix(&format!("{}/", dir.path().display()))
                        .unwrap_or(&s)
                        .to_string()
                })
                .collect()
        })
    }

    pub(super) const BASE: &str = "define command {\n command_name c\n command_line /bin/true $ARG1$\n}\n\
        define timeperiod {\n timeperiod_name 24x7\n monday 00:00-24:00\n}\n\
        define contact {\n contact_name alice\n}\ndefine contact {\n contact_name bob\n}\n";

    pub(super) fn ok(objects: &str) -> Config {
        match load_files(&[
            ("main.cfg", "cfg_file=base.cfg\ncfg_file=objects.cfg\n"),
            ("base.cfg", BASE),
            ("objects.cfg", objects),
        ]) {
            Ok(c) => c,
            Err(e) => panic!("{e:#?}"),
        }
    }

    pub(super) fn errors(objects: &str) -> Vec<String> {
        match load_files(&[
            ("main.cfg", "cfg_file=base.cfg\ncfg_file=objects.cfg\n"),
            ("base.cfg", BASE),
            ("objects.cfg", objects),
        ]) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e,
        }
    }

    pub(super) fn host<'c>(c: &'c Config, name: &str) -> &'c Host {
        c.hosts
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("no host {name}"))
    }

    pub(super) fn services_of(c: &Config, host: &str) -> Vec<String> {
        let h = host_id(c, host);
        let mut v: Vec<String> = c
            .services
            .iter()
            .filter(|s| s.host == h)
            .map(|s| s.description.to_string())
            .collect();
        v.sort();
        v
    }

    pub(super) fn host_id(c: &Config, name: &str) -> HostId {
        HostId(
            c.hosts
                .iter()
                .position(|h| h.name == name)
                .unwrap_or_else(|| panic!("no host {name}")) as u32,
        )
    }

    pub(super) fn service<'c>(c: &'c Config, host: &str, desc: &str) -> &'c Service {
        let h = host_id(c, host);
        c.services
            .iter()
            .find(|s| s.host == h && &*s.description == desc)
            .unwrap_or_else(|| panic!("no {host}/{desc}"))
    }

    #[test]
    fn every_error_is_reported_with_file_and_line() {
        let e = errors(
            "define host {\n host_name a\n parents b\n contacts nobody\n definition_order 1\n}\n\
            define host {\n host_name b\n parents a\n max_check_attempts three\n}\n\
            define host {\n host_name a\n}\n\
            define service {\n host_name ghost\n service_description s\n check_command c\n}\n\
            define service {\n host_name b\n service_description t\n}\n\
            define service {\n host_name b\n service_description u\n check_command nocmd!1\n}\n\
            define hostgroup {\n hostgroup_name g1\n hostgroup_members g2\n}\n\
            define hostgroup {\n hostgroup_name g2\n hostgroup_members g1\n}\n",
        );
        let has = |needle: &str| assert!(e.iter().any(|m| m.contains(needle)), "missing '{needle}' in {e:#?}");
        // The first `a` wins by its lower definition_order: its errors are reported.
        has("objects.cfg:4: error: unknown contact 'nobody'");
        has("objects.cfg:10: error: 'max_check_attempts': 'three' is not an integer");
        has("objects.cfg:16: error: unknown host 'ghost'");
        has("objects.cfg:20: error: service has no 'check_command'");
        has("objects.cfg:27: error: unknown command 'nocmd'");
        has("parents loop: a -> b -> a");
        has("hostgroup_members loop");
    }

    #[test]
    fn unknown_property_is_a_warning_not_dropped_silently() {
        let c = ok("define host {\n host_name a\n colour blue\n}\n");
        assert!(
            c.warnings.iter().any(|w| w
                .to_string()
                .contains("objects.cfg:3: warning: 'colour' is not a known host property")),
            "{:?}",
            c.warnings
        );
    }
}
