//! From flattened definitions to the typed [`Config`]: names become ids, lists of names with `*`
//! and `!exclusions` become member sets, services are attached to their hosts, groups get their
//! members from both sides, and every reference is checked.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use typed_arena::Arena;

use crate::diag::{Diagnostics, Location};
use crate::inherit::{FlatObject, FlatProp};
use crate::kind::ObjectKind;
use crate::model::*;
use crate::source::SourceTree;
use crate::timeperiod::{Timeperiod, Timeperiods};
use crate::values::{self, Reader};

type Flat<'a> = FxHashMap<ObjectKind, Vec<FlatObject<'a>>>;

/// Service properties a service takes from its host when neither it nor its templates set them
/// (Alignak `Services.apply_implicit_inheritance`; Nagios has the first four).
const IMPLIED_FROM_HOST: &[&str] = &[
    "contacts",
    "contact_groups",
    "notification_interval",
    "notification_period",
    "resultmodulations",
    "business_impact_modulations",
    "escalations",
    "poller_tag",
    "reactionner_tag",
    "check_period",
    "business_impact",
    "maintenance_period",
];

/// Checks that need no process: Alignak runs them inside the scheduler or poller.
pub const INTERNAL_COMMANDS: &[&str] = &[
    "_internal_host_up",
    "_echo",
    "_internal_host_check",
    "_internal_service_check",
    "bp_rule",
];

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

/// An integer property that fits 32 bits, else the current value (out-of-range values were
/// reported where written).
fn int32(v: &str, current: i32) -> i32 {
    values::parse_int(v)
        .ok()
        .and_then(|x| i32::try_from(x).ok())
        .unwrap_or(current)
}

/// `poller_tag`/`reactionner_tag`: `None` (the word) means untagged.
fn tag(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && v != "None").then(|| v.to_string())
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
}

/// A service about to be created: its definition, its host, how it was attached, and what a
/// `duplicate_foreach` key rewrites in it.
struct ServiceInstance<'r, 'a> {
    obj: &'r FlatObject<'a>,
    host: u32,
    precedence: u8,
    overrides: Vec<(&'static str, &'r str)>,
}

impl ServiceInstance<'_, '_> {
    fn description(&self) -> &str {
        match self.overrides.iter().find(|(k, _)| *k == "service_description") {
            Some((_, v)) => v,
            None => self.obj.value("service_description").map(str::trim).unwrap_or(""),
        }
    }
}

impl<'r, 'a> Builder<'r, 'a> {
    pub fn new(tree: &'r SourceTree, flat: &'r Flat<'a>, arena: &'r Arena<String>, diags: &'r mut Diagnostics) -> Self {
        Builder {
            tree,
            flat,
            arena,
            shared: Shared::default(),
            bases: FxHashMap::default(),
            diags,
            reported: HashSet::new(),
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
        let mut first: FxHashMap<&'r str, Location> = FxHashMap::default();
        for obj in objs {
            let Some(name) = obj.value(key).map(str::trim).filter(|n| !n.is_empty()) else {
                let loc = self.obj_loc(obj);
                self.error_at(loc, format!("{} has no '{key}'", kind.keyword()));
                continue;
            };
            if let Some(prev) = first.get(name) {
                let loc = self.obj_loc(obj);
                let msg = format!("{} '{name}' is defined twice (first at {prev})", kind.keyword());
                self.error_at(loc, msg);
                continue;
            }
            self.check_required(obj, key, name);
            first.insert(name, self.obj_loc(obj));
            names.ids.insert(name, kept.len() as u32);
            names.order.push(name);
            kept.push(*obj);
        }
        (names, kept)
    }

    /// Groups that members name in their own `hostgroups`/`servicegroups` but that are not
    /// defined. Alignak creates them (`Hostgroups.add_member`); Nagios refuses the
    /// configuration. Vigia follows Alignak, with a warning so the typo is still seen.
    fn implied_groups(
        &mut self,
        members: &[&'r FlatObject<'a>],
        key: &str,
        what: &str,
        names: &mut Names<'r>,
    ) -> Vec<(String, Location)> {
        let mut implied = Vec::new();
        for obj in members {
            let Some(list) = obj.value(key) else { continue };
            for item in values::split_list(list) {
                let name = item.trim_start_matches('!').trim();
                if name.is_empty() || name == "*" || names.get(name).is_some() {
                    continue;
                }
                let at = at_of(obj, key);
                let loc = self.loc(at.0, at.1);
                self.warn_at(
                    loc.clone(),
                    format!("{what} '{name}' is not defined: created with the members that name it (as Alignak does)"),
                );
                let name: &'r str = self.arena.alloc(name.to_string());
                names.ids.insert(name, names.order.len() as u32);
                names.order.push(name);
                implied.push((name.to_string(), loc));
            }
        }
        implied
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

    fn command_call(&mut self, text: &str, at: At, commands: &mut CommandTable) -> Option<CommandCall> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let name = text.split('!').next().unwrap_or("").trim();
        match commands.resolve(name) {
            Some(id) => Some(CommandCall {
                command: id,
                raw: self.shared.text(text),
            }),
            None => {
                self.error_at(self.loc(at.0, at.1), format!("unknown command '{name}'"));
                None
            }
        }
    }

    pub fn build(mut self, tree_globals: BTreeMap<String, String>, resources: BTreeMap<String, String>) -> Config {
        let interval_length = tree_globals
            .get("interval_length")
            .and_then(|v| values::parse_int(v).ok())
            .filter(|v| *v > 0)
            .unwrap_or(60) as u32;

        // Timeperiods.
        let objs = self.real(ObjectKind::Timeperiod);
        let (tp_names, tp_objs) = self.names(ObjectKind::Timeperiod, &objs);
        let mut periods = Vec::with_capacity(tp_objs.len());
        for obj in &tp_objs {
            let r = Reader::new(obj);
            let mut tp = Timeperiod::new(r.str("timeperiod_name"));
            tp.alias = r.string("alias");
            for p in obj.props() {
                if Timeperiod::is_rule_key(p.key) {
                    let line = format!("{} {}", p.key, p.text());
                    if let Err(msg) = tp.add_rule(&line) {
                        let loc = self.loc(p.file, p.line);
                        self.error_at(loc, msg);
                    }
                }
            }
            tp.excludes = self
                .refs(obj, "exclude", &tp_names, "timeperiod")
                .into_iter()
                .map(|i| i as usize)
                .collect();
            periods.push(tp);
        }
        self.check_loops(
            &periods
                .iter()
                .map(|p| p.excludes.iter().map(|&i| i as u32).collect())
                .collect::<Vec<_>>(),
            &tp_objs,
            "timeperiod exclude",
            "timeperiod_name",
        );
        let timeperiods = Timeperiods { periods };

        // Commands.
        let objs = self.real(ObjectKind::Command);
        let (cmd_names, cmd_objs) = self.names(ObjectKind::Command, &objs);
        let mut commands = CommandTable {
            names: HashMap::new(),
            list: Vec::new(),
        };
        for (i, obj) in cmd_objs.iter().enumerate() {
            let r = Reader::new(obj);
            let line = r.string("command_line");
            if line.trim().is_empty() {
                let loc = self.obj_loc(obj);
                self.error_at(loc, format!("command '{}' has no command_line", r.str("command_name")));
            }
            let timeout = r.int("timeout");
            commands.list.push(Command {
                name: r.string("command_name"),
                line,
                poller_tag: r.string("poller_tag"),
                reactionner_tag: r.string("reactionner_tag"),
                module_type: r.string("module_type"),
                timeout: (timeout > 0).then_some(timeout as u32),
                location: self.obj_loc(obj),
            });
            commands
                .names
                .insert(cmd_names.order[i].to_string(), CommandId(i as u32));
        }

        // Realms (the tree is checked by the split).
        let objs = self.real(ObjectKind::Realm);
        let (realm_names, realm_objs) = self.names(ObjectKind::Realm, &objs);
        let mut realms: Vec<Realm> = realm_objs
            .iter()
            .map(|obj| {
                let r = Reader::new(obj);
                Realm {
                    name: r.string("realm_name"),
                    alias: r.string("alias"),
                    members: Vec::new(),
                    default: r.bool("default"),
                    location: Some(self.obj_loc(obj)),
                }
            })
            .collect();
        for (i, obj) in realm_objs.iter().enumerate() {
            let mut members = self.refs(obj, "realm_members", &realm_names, "realm");
            members.extend(self.refs(obj, "members", &realm_names, "realm"));
            for m in members {
                realms[i].members.push(RealmId(m));
            }
            for higher in self.refs(obj, "higher_realms", &realm_names, "realm") {
                realms[higher as usize].members.push(RealmId(i as u32));
            }
        }
        for realm in &mut realms {
            realm.members.sort();
            realm.members.dedup();
        }
        if realms.is_empty() {
            realms.push(Realm {
                name: "All".into(),
                alias: "All".into(),
                members: Vec::new(),
                default: true,
                location: None,
            });
        }
        let mut realm_index: HashMap<String, u32> = realms
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i as u32))
            .collect();
        let realm_lookup = Names {
            ids: realm_index.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
            order: Vec::new(),
        };

        // Contacts, contact groups, notification ways.
        let objs = self.real(ObjectKind::Notificationway);
        let (nw_names, nw_objs) = self.names(ObjectKind::Notificationway, &objs);
        let mut notificationways = Vec::with_capacity(nw_objs.len());
        for obj in &nw_objs {
            let r = Reader::new(obj);
            let host_cmds = self.command_list(obj, "host_notification_commands", &mut commands);
            let svc_cmds = self.command_list(obj, "service_notification_commands", &mut commands);
            notificationways.push(Notificationway {
                name: r.string("notificationway_name"),
                host_notification_period: self
                    .one_ref(obj, "host_notification_period", &tp_names, "timeperiod")
                    .map(TimeperiodId),
                service_notification_period: self
                    .one_ref(obj, "service_notification_period", &tp_names, "timeperiod")
                    .map(TimeperiodId),
                host_notification_options: r.letters("host_notification_options"),
                service_notification_options: r.letters("service_notification_options"),
                host_notification_commands: host_cmds,
                service_notification_commands: svc_cmds,
                min_business_impact: r.int("min_business_impact"),
                location: self.obj_loc(obj),
            });
        }
        let objs = self.real(ObjectKind::Contactgroup);
        let (cg_names, cg_objs) = self.names(ObjectKind::Contactgroup, &objs);
        let objs = self.real(ObjectKind::Contact);
        let (contact_names, contact_objs) = self.names(ObjectKind::Contact, &objs);
        let mut cg_members: Vec<Vec<u32>> = vec![Vec::new(); cg_objs.len()];
        let mut contacts = Vec::with_capacity(contact_objs.len());
        for (i, obj) in contact_objs.iter().enumerate() {
            let r = Reader::new(obj);
            let groups = self.refs(obj, "contactgroups", &cg_names, "contactgroup");
            for g in &groups {
                cg_members[*g as usize].push(i as u32);
            }
            let host_cmds = self.command_list(obj, "host_notification_commands", &mut commands);
            let svc_cmds = self.command_list(obj, "service_notification_commands", &mut commands);
            contacts.push(Contact {
                name: r.string("contact_name"),
                // Nagios: an alias defaults to the name.
                alias: r.opt("alias").unwrap_or(r.str("contact_name")).to_string(),
                email: r.string("email"),
                pager: r.string("pager"),
                addresses: (1..=6).map(|n| r.string(&format!("address{n}"))).collect(),
                contactgroups: Vec::new(),
                host_notifications_enabled: r.bool("host_notifications_enabled"),
                service_notifications_enabled: r.bool("service_notifications_enabled"),
                host_notification_period: self
                    .one_ref(obj, "host_notification_period", &tp_names, "timeperiod")
                    .map(TimeperiodId),
                service_notification_period: self
                    .one_ref(obj, "service_notification_period", &tp_names, "timeperiod")
                    .map(TimeperiodId),
                host_notification_options: r.letters("host_notification_options"),
                service_notification_options: r.letters("service_notification_options"),
                host_notification_commands: host_cmds,
                service_notification_commands: svc_cmds,
                notificationways: self
                    .refs(obj, "notificationways", &nw_names, "notificationway")
                    .into_iter()
                    .map(NotificationwayId)
                    .collect(),
                can_submit_commands: r.bool("can_submit_commands"),
                is_admin: r.bool("is_admin"),
                min_business_impact: r.int("min_business_impact"),
                customs: customs(obj),
                extra: extra(obj, ObjectKind::Contact, CONTACT_TYPED),
                location: self.obj_loc(obj),
            });
        }
        let cg_list = self.groups(
            &cg_objs,
            &[],
            &contact_names,
            cg_members,
            "contact",
            "contactgroup_members",
            &cg_names,
        );
        for (g, group) in cg_list.iter().enumerate() {
            for m in &group.members {
                contacts[*m as usize].contactgroups.push(ContactgroupId(g as u32));
            }
        }
        let contactgroups: Vec<Group<ContactId>> = cg_list.into_iter().map(|g| g.map(ContactId)).collect();

        // Hosts and host groups.
        let objs = self.real(ObjectKind::Hostgroup);
        let (mut hg_names, hg_objs) = self.names(ObjectKind::Hostgroup, &objs);
        let objs = self.real(ObjectKind::Host);
        let (host_names, host_objs) = self.names(ObjectKind::Host, &objs);
        let hg_implied = self.implied_groups(&host_objs, "hostgroups", "hostgroup", &mut hg_names);
        let mut hg_members: Vec<Vec<u32>> = vec![Vec::new(); hg_names.order.len()];
        let mut hosts = Vec::with_capacity(host_objs.len());
        let mut lookups = Lookups {
            timeperiods: &tp_names,
            contacts: &contact_names,
            contactgroups: &cg_names,
            realms: &realm_lookup,
        };
        let host_defaults = self.monitored_defaults(ObjectKind::Host, &mut commands, &mut lookups);
        let service_defaults = self.monitored_defaults(ObjectKind::Service, &mut commands, &mut lookups);
        for (i, obj) in host_objs.iter().enumerate() {
            let r = Reader::new(obj);
            for g in self.refs(obj, "hostgroups", &hg_names, "hostgroup") {
                hg_members[g as usize].push(i as u32);
            }
            let parents: Vec<HostId> = self
                .refs(obj, "parents", &host_names, "host")
                .into_iter()
                .map(HostId)
                .collect();
            let name = r.string("host_name");
            let address = r.opt("address").map_or_else(|| name.clone(), str::to_string);
            let realm = self.one_ref(obj, "realm", lookups.realms, "realm").map(RealmId);
            let common = self.monitored(obj, &[], &[], &host_defaults, &mut commands, &mut lookups);
            hosts.push(Host {
                alias: r.opt("alias").map_or_else(|| name.clone(), str::to_string),
                name,
                address,
                parents,
                hostgroups: Vec::new(),
                realm,
                services: Vec::new(),
                common,
            });
        }
        let parent_edges: Vec<Vec<u32>> = hosts.iter().map(|h| h.parents.iter().map(|p| p.0).collect()).collect();
        self.check_loops(&parent_edges, &host_objs, "parents", "host_name");
        let hg_list = self.groups(
            &hg_objs,
            &hg_implied,
            &host_names,
            hg_members,
            "host",
            "hostgroup_members",
            &hg_names,
        );
        for (g, group) in hg_list.iter().enumerate() {
            for m in &group.members {
                hosts[*m as usize].hostgroups.push(HostgroupId(g as u32));
            }
        }
        // A host without a realm takes its hostgroup's (Alignak).
        for (g, obj) in hg_objs.iter().enumerate() {
            if let Some(realm) = self.one_ref(obj, "realm", &realm_lookup, "realm") {
                for m in &hg_list[g].members {
                    let host = &mut hosts[*m as usize];
                    host.realm.get_or_insert(RealmId(realm));
                }
            }
        }

        // Services.
        let host_sides: Vec<HostSide<'r, 'a>> = host_objs.iter().map(|h| HostSide::new(h)).collect();
        let (instances, service_index) =
            self.service_instances(&host_objs, &host_sides, &host_names, &hg_names, &hg_list);
        let mut services = Vec::with_capacity(instances.len());
        let objs = self.real(ObjectKind::Servicegroup);
        let (mut sg_names, sg_objs) = self.names(ObjectKind::Servicegroup, &objs);
        let service_objs: Vec<&FlatObject<'_>> = instances.iter().map(|i| i.obj).collect();
        let sg_implied = self.implied_groups(&service_objs, "servicegroups", "servicegroup", &mut sg_names);
        let mut sg_members: Vec<Vec<u32>> = vec![Vec::new(); sg_names.order.len()];
        for inst in &instances {
            let id = services.len() as u32;
            for g in self.refs(inst.obj, "servicegroups", &sg_names, "servicegroup") {
                sg_members[g as usize].push(id);
            }
            let common = self.monitored(
                inst.obj,
                &inst.overrides,
                &host_sides[inst.host as usize].implied,
                &service_defaults,
                &mut commands,
                &mut lookups,
            );
            let rd = Reader::new(inst.obj);
            services.push(Service {
                host: HostId(inst.host),
                description: self.shared.text(inst.description()),
                servicegroups: Vec::new(),
                is_volatile: rd.bool("is_volatile"),
                parallelize_check: rd.bool("parallelize_check"),
                host_dependency_enabled: rd.bool("host_dependency_enabled"),
                common,
            });
            hosts[inst.host as usize].services.push(ServiceId(id));
        }
        // Servicegroup `members host1,svc1,host2,svc2`.
        for (g, obj) in sg_objs.iter().enumerate() {
            let Some(list) = obj.value("members") else { continue };
            let loc = self.prop_loc(obj, "members");
            let items = values::split_list(list);
            if !items.len().is_multiple_of(2) {
                self.error_at(loc.clone(), "servicegroup members must be pairs of host,service".into());
            }
            for pair in items.chunks(2) {
                let [h, s] = pair else { continue };
                let found = host_names.get(h).and_then(|hid| service_index.get(&(hid, *s)).copied());
                match found {
                    Some(sid) => sg_members[g].push(sid),
                    None => self.error_at(loc.clone(), format!("unknown service '{h},{s}'")),
                }
            }
        }
        let sg_list = self.groups(
            &sg_objs,
            &sg_implied,
            &Names::default(),
            sg_members,
            "service",
            "servicegroup_members",
            &sg_names,
        );
        for (g, group) in sg_list.iter().enumerate() {
            for m in &group.members {
                services[*m as usize].servicegroups.push(ServicegroupId(g as u32));
            }
        }

        // Dependencies and escalations.
        let hostdependencies = self.host_dependencies(&host_names, &hg_names, &hg_list, &tp_names);
        let servicedependencies =
            self.service_dependencies(&host_names, &hg_names, &hg_list, &service_index, &tp_names);
        self.check_dependency_loops(
            hosts.len(),
            hostdependencies
                .iter()
                .map(|d| (d.dependent.0, d.master.0, &d.location)),
            "host dependency",
            |i| hosts[i].name.clone(),
        );
        self.check_dependency_loops(
            services.len(),
            servicedependencies
                .iter()
                .map(|d| (d.dependent.0, d.master.0, &d.location)),
            "service dependency",
            |i| format!("{}/{}", hosts[services[i].host.index()].name, services[i].description),
        );
        let escalations = self.escalations(
            &host_names,
            &hg_names,
            &hg_list,
            &service_index,
            &hosts,
            &services,
            &mut lookups,
        );

        // Daemons: implied masters for roles nobody defined, as Alignak does.
        let mut daemons = Vec::new();
        for role in Role::ALL {
            let objs = self.real(role.kind());
            let (_, kept) = self.names(role.kind(), &objs);
            for obj in kept {
                daemons.push(self.daemon(obj, role, &realm_lookup));
            }
        }
        let default_realm = realms.iter().position(|r| r.default).unwrap_or(0) as u32;
        for role in Role::ALL {
            if !daemons.iter().any(|d: &DaemonLink| d.role == role) {
                daemons.push(implied_daemon(role, RealmId(default_realm), &realms));
            }
        }
        realm_index.clear();

        let hostgroups = hg_list.into_iter().map(|g| g.map(HostId)).collect();
        let servicegroups = sg_list.into_iter().map(|g| g.map(ServiceId)).collect();
        let others = self.others();
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
            dialect: crate::dialect::Dialect::default(),
            dialect_why: String::new(),
            warnings: Vec::new(),
        }
    }

    fn command_list(&mut self, obj: &FlatObject<'_>, key: &str, commands: &mut CommandTable) -> Vec<CommandCall> {
        let Some(list) = obj.value(key) else { return Vec::new() };
        let at = at_of(obj, key);
        values::split_list(list)
            .into_iter()
            .filter_map(|c| self.command_call(c, at, commands))
            .collect()
    }

    /// The part of a host or service definition Alignak calls a scheduling item: the type's
    /// defaults, then one pass over the properties written (the host's for the implied ones).
    fn monitored(
        &mut self,
        obj: &FlatObject<'_>,
        overrides: &[(&'static str, &str)],
        host_implied: &[FlatProp<'_>],
        defaults: &Monitored,
        commands: &mut CommandTable,
        lk: &mut Lookups<'_, '_>,
    ) -> Monitored {
        let own = obj.own_props();
        let inherited = obj.inherited_props();
        // The type's defaults with the template layer applied, computed once per `use` list:
        // 100,000 services of one template convert its properties once. (`null` written in the
        // object itself must un-set a template value: that rare case takes the long way.)
        let mut m = if own.iter().any(|p| p.value == "null") {
            let mut m = defaults.clone();
            for p in inherited
                .iter()
                .filter(|p| p.value != "null" && obj.get(p.key).is_some())
            {
                self.monitored_prop(&mut m, p, commands, lk);
            }
            m
        } else {
            let key = (obj.kind, inherited.as_ptr() as usize, inherited.len());
            match self.bases.get(&key) {
                Some(base) => base.clone(),
                None => {
                    let mut base = defaults.clone();
                    for p in inherited.iter().filter(|p| p.value != "null") {
                        self.monitored_prop(&mut base, p, commands, lk);
                    }
                    self.bases.insert(key, base.clone());
                    base
                }
            }
        };
        m.location = self.obj_loc(obj);
        // Implied inheritance: the host's value stands in for one the service lacks.
        for p in host_implied {
            if obj.get(p.key).is_none_or(|own| own.value.trim().is_empty()) {
                self.monitored_prop(&mut m, p, commands, lk);
            }
        }
        for p in own.iter().filter(|p| p.value != "null") {
            if !overrides.iter().any(|(k, _)| *k == p.key) {
                self.monitored_prop(&mut m, p, commands, lk);
            }
        }
        for (key, value) in overrides {
            let (file, line) = at_of(obj, key);
            self.monitored_prop(&mut m, &FlatProp { key, value, file, line }, commands, lk);
        }
        m
    }

    /// Sets the field of `m` that `p` names, if it is one of the typed ones.
    fn monitored_prop(
        &mut self,
        m: &mut Monitored,
        p: &FlatProp<'_>,
        commands: &mut CommandTable,
        lk: &mut Lookups<'_, '_>,
    ) {
        let v: &str = p.text();
        let at = (p.file, p.line);
        let set_f = |f: &mut f64| {
            if let Ok(x) = values::parse_float(v) {
                *f = x;
            }
        };
        let set_b = |b: &mut bool| {
            if let Ok(x) = values::parse_bool(v) {
                *b = x;
            }
        };
        match p.key {
            "display_name" => m.details_mut().display_name = v.to_string(),
            "check_command" => m.check_command = self.command_call(v, at, commands),
            "event_handler" => m.details_mut().event_handler = self.command_call(v, at, commands),
            "check_period" => m.check_period = self.one_name(v, at, lk.timeperiods, "timeperiod").map(TimeperiodId),
            "notification_period" => {
                m.notification_period = self.one_name(v, at, lk.timeperiods, "timeperiod").map(TimeperiodId)
            }
            "maintenance_period" => {
                m.maintenance_period = self.one_name(v, at, lk.timeperiods, "timeperiod").map(TimeperiodId)
            }
            "contacts" => {
                m.contacts = match self.shared.contacts.get(v) {
                    Some(list) => list.clone(),
                    None => {
                        let list: Arc<[ContactId]> = self
                            .name_list(v, lk.contacts, "contact", at)
                            .into_iter()
                            .map(ContactId)
                            .collect();
                        self.shared.contacts.insert(v.into(), list.clone());
                        list
                    }
                }
            }
            "contact_groups" => {
                m.contact_groups = match self.shared.contact_groups.get(v) {
                    Some(list) => list.clone(),
                    None => {
                        let list: Arc<[ContactgroupId]> = self
                            .name_list(v, lk.contactgroups, "contactgroup", at)
                            .into_iter()
                            .map(ContactgroupId)
                            .collect();
                        self.shared.contact_groups.insert(v.into(), list.clone());
                        list
                    }
                }
            }
            "initial_state" => m.initial_state = v.trim().chars().next().unwrap_or('o'),
            "freshness_state" => m.freshness_state = v.trim().chars().next().unwrap_or('x'),
            "max_check_attempts" => {
                if let Ok(x) = values::parse_int(v) {
                    m.max_check_attempts = x.max(1) as u32;
                }
            }
            "check_interval" => set_f(&mut m.check_interval),
            "retry_interval" => set_f(&mut m.retry_interval),
            "notification_interval" => set_f(&mut m.notification_interval),
            "first_notification_delay" => set_f(&mut m.first_notification_delay),
            "low_flap_threshold" => set_f(&mut m.low_flap_threshold),
            "high_flap_threshold" => set_f(&mut m.high_flap_threshold),
            "active_checks_enabled" => set_b(&mut m.active_checks_enabled),
            "passive_checks_enabled" => set_b(&mut m.passive_checks_enabled),
            "check_freshness" => set_b(&mut m.check_freshness),
            "event_handler_enabled" => set_b(&mut m.event_handler_enabled),
            "flap_detection_enabled" => set_b(&mut m.flap_detection_enabled),
            "process_perf_data" => set_b(&mut m.process_perf_data),
            "retain_status_information" => set_b(&mut m.retain_status_information),
            "retain_nonstatus_information" => set_b(&mut m.retain_nonstatus_information),
            "notifications_enabled" => set_b(&mut m.notifications_enabled),
            "freshness_threshold" => m.freshness_threshold = int32(v, m.freshness_threshold),
            "business_impact" => m.business_impact = int32(v, m.business_impact),
            "time_to_orphanage" => m.time_to_orphanage = int32(v, m.time_to_orphanage),
            "flap_detection_options" => m.flap_detection_options = values::letters(v),
            "notification_options" => m.notification_options = values::letters(v),
            "stalking_options" => m.stalking_options = values::letters(v),
            "poller_tag" => m.details_mut().poller_tag = tag(v),
            "reactionner_tag" => m.details_mut().reactionner_tag = tag(v),
            "escalations" => {
                m.details_mut().escalation_names = values::split_list(v).into_iter().map(str::to_string).collect()
            }
            key if key.starts_with('_') => {
                m.details_mut().customs.insert(key[1..].to_string(), v.to_string());
            }
            // Read elsewhere (names, lists, links): not extra.
            "host_name"
            | "service_description"
            | "hostgroup_name"
            | "alias"
            | "address"
            | "parents"
            | "hostgroups"
            | "servicegroups"
            | "realm"
            | "is_volatile"
            | "parallelize_check"
            | "host_dependency_enabled"
            | "duplicate_foreach"
            | "default_value"
            | "use" => {}
            key => {
                m.details_mut().extra.insert(key.to_string(), v.to_string());
            }
        }
    }

    /// The defaults of a host or service, computed once per load from the schema.
    fn monitored_defaults(
        &mut self,
        kind: ObjectKind,
        commands: &mut CommandTable,
        lk: &mut Lookups<'_, '_>,
    ) -> Monitored {
        let empty = FlatObject::empty(kind);
        let r = Reader::new(&empty);
        let mut m = Monitored {
            check_command: None,
            check_period: None,
            initial_state: 'o',
            max_check_attempts: 1,
            check_interval: 0.0,
            retry_interval: 0.0,
            active_checks_enabled: true,
            passive_checks_enabled: true,
            check_freshness: false,
            freshness_threshold: 0,
            freshness_state: 'x',
            event_handler_enabled: false,
            flap_detection_enabled: true,
            flap_detection_options: Letters::default(),
            low_flap_threshold: 0.0,
            high_flap_threshold: 0.0,
            process_perf_data: true,
            retain_status_information: true,
            retain_nonstatus_information: true,
            contacts: Arc::from([]),
            contact_groups: Arc::from([]),
            notification_interval: 0.0,
            first_notification_delay: 0.0,
            notification_period: None,
            notification_options: Letters::default(),
            notifications_enabled: true,
            stalking_options: Letters::default(),
            business_impact: 0,
            maintenance_period: None,
            time_to_orphanage: 0,
            details: None,
            location: Location::new(std::path::Path::new(""), 0),
        };
        for def in crate::schema::props(kind) {
            if let Some(default) = def.default.filter(|d| !d.is_empty()) {
                let p = FlatProp {
                    key: def.name,
                    value: default,
                    file: 0,
                    line: 0,
                };
                if p.key != "use" && p.key != "register" && p.key != "name" {
                    self.monitored_prop(&mut m, &p, commands, lk);
                }
            }
        }
        let _ = r;
        // Defaults that are not typed fields (notes, icons, …) are not worth a copy per object.
        if let Some(d) = m.details.as_mut() {
            d.extra.clear();
        }
        if m.details.as_deref() == Some(&Details::default()) {
            m.details = None;
        }
        m
    }

    /// Every (host, definition) pair a service definition creates.
    fn service_instances(
        &mut self,
        host_objs: &[&'r FlatObject<'a>],
        host_sides: &[HostSide<'r, 'a>],
        host_names: &Names<'_>,
        hg_names: &Names<'_>,
        hostgroups: &[Group<u32>],
    ) -> (Vec<ServiceInstance<'r, 'a>>, ServiceIndex<'r>) {
        const DIRECT: u8 = 3;
        const HOSTGROUP: u8 = 2;
        const HOST_TEMPLATE: u8 = 1;
        let all = self
            .flat
            .get(&ObjectKind::Service)
            .map(|v| v.as_slice())
            .unwrap_or_default();
        let mut out: Vec<ServiceInstance<'r, 'a>> = Vec::with_capacity(all.len());
        let mut by_key: ServiceIndex<'r> = FxHashMap::with_capacity_and_hasher(all.len(), Default::default());
        // Hosts by template name, for services attached to host templates (Alignak/Shinken packs).
        let mut by_template: HashMap<&str, Vec<u32>> = HashMap::new();
        if all.iter().any(|s| s.template_only && s.get("host_name").is_some()) {
            for (i, h) in host_objs.iter().enumerate() {
                for t in h.ancestry.iter() {
                    by_template.entry(t).or_default().push(i as u32);
                }
            }
        }
        let mut targets: Vec<(u32, u8)> = Vec::new();
        for obj in all {
            targets.clear();
            if obj.template_only {
                let Some(list) = obj.value("host_name") else { continue };
                for t in values::split_list(list) {
                    if let Some(hosts) = by_template.get(t) {
                        targets.extend(hosts.iter().map(|h| (*h, HOST_TEMPLATE)));
                    }
                }
            } else {
                let host_list = obj.value("host_name").filter(|v| !v.trim().is_empty());
                let group_list = obj.value("hostgroup_name").filter(|v| !v.trim().is_empty());
                if host_list.is_none() && group_list.is_none() {
                    let loc = self.obj_loc(obj);
                    self.error_at(loc, "service has neither host_name nor hostgroup_name".into());
                    continue;
                }
                let mut excluded = HashSet::new();
                if let Some(list) = host_list.filter(|l| !l.contains([',', '*', '!'])) {
                    // One host, the usual case: no list to build.
                    match host_names.get(list.trim()) {
                        Some(h) => targets.push((h, DIRECT)),
                        None => {
                            let (file, line) = at_of(obj, "host_name");
                            self.error_at(self.loc(file, line), format!("unknown host '{}'", list.trim()));
                        }
                    }
                } else if let Some(list) = host_list {
                    for h in self.name_list(list, host_names, "host", at_of(obj, "host_name")) {
                        targets.push((h, DIRECT));
                    }
                    for item in values::split_list(list).into_iter().filter(|_| list.contains('!')) {
                        if let Some(n) = item.strip_prefix('!').and_then(|n| host_names.get(n.trim())) {
                            excluded.insert(n);
                        }
                    }
                }
                if let Some(list) = group_list {
                    for g in self.name_list(list, hg_names, "hostgroup", at_of(obj, "hostgroup_name")) {
                        targets.extend(hostgroups[g as usize].members.iter().map(|h| (*h, HOSTGROUP)));
                    }
                    for item in values::split_list(list).into_iter().filter(|_| list.contains('!')) {
                        if let Some(g) = item.strip_prefix('!').and_then(|n| hg_names.get(n.trim())) {
                            excluded.extend(hostgroups[g as usize].members.iter().copied());
                        }
                    }
                }
                if !excluded.is_empty() {
                    targets.retain(|(h, _)| !excluded.contains(h));
                }
            }
            let Some(description) = obj
                .value("service_description")
                .map(str::trim)
                .filter(|d| !d.is_empty())
            else {
                if !obj.template_only {
                    let loc = self.obj_loc(obj);
                    self.error_at(loc, "service has no 'service_description'".into());
                }
                continue;
            };
            for &(host, precedence) in &targets {
                let host_obj = host_objs[host as usize];
                if host_sides[host as usize].excludes(description) {
                    continue;
                }
                let copies = self.duplicates(obj, host_obj, description);
                let plain = copies.is_none();
                for overrides in copies.into_iter().flatten().chain(plain.then(Vec::new)) {
                    let desc: &'r str = overrides
                        .iter()
                        .find(|(k, _)| *k == "service_description")
                        .map_or(description, |(_, v)| v);
                    let key = (host, desc);
                    let inst = ServiceInstance {
                        obj,
                        host,
                        precedence,
                        overrides,
                    };
                    match by_key.get(&key).map(|&at| at as usize) {
                        None => {
                            by_key.insert(key, out.len() as u32);
                            out.push(inst);
                        }
                        Some(at) if out[at].precedence < precedence => out[at] = inst,
                        Some(at) if out[at].precedence == precedence && !std::ptr::eq(out[at].obj, obj) => {
                            let prev = self.obj_loc(out[at].obj);
                            let host_name = host_obj.value("host_name").unwrap_or("");
                            let loc = self.obj_loc(obj);
                            self.error_at(
                                loc,
                                format!("service '{desc}' on host '{host_name}' is defined twice (also at {prev})"),
                            );
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        for inst in &out {
            if inst.obj.get("check_command").is_none() && !inst.overrides.iter().any(|(k, _)| *k == "check_command") {
                let loc = self.obj_loc(inst.obj);
                self.error_at(loc, "service has no 'check_command'".into());
            }
        }
        (out, by_key)
    }

    /// `duplicate_foreach $_HOSTVAR$`: one copy per key of the host's custom variable, with
    /// `$KEY$` and `$VALUE$`/`$VALUEn$` replaced (Alignak `Service.duplicate`). Without it, one
    /// copy with no rewrite.
    fn duplicates(
        &mut self,
        obj: &FlatObject<'_>,
        host: &FlatObject<'_>,
        description: &str,
    ) -> Option<Vec<Vec<(&'static str, &'r str)>>> {
        // `None`: the common case, one copy with nothing rewritten.
        let var = obj
            .value("duplicate_foreach")
            .map(str::trim)
            .filter(|v| !v.is_empty())?;
        let var = var.trim_matches('$').to_ascii_uppercase();
        let var = var.strip_prefix("_HOST").map_or(var.clone(), |v| format!("_{v}"));
        let value = host
            .value(&var)
            .map(str::to_string)
            .or_else(|| obj.value("default_value").map(str::to_string));
        let Some(value) = value else { return Some(Vec::new()) };
        let entries = match crate::duplicate::key_values(&value) {
            Ok(entries) => entries,
            Err(msg) => {
                let loc = self.prop_loc(host, &var);
                self.error_at(loc, format!("{var}: {msg}"));
                return Some(Vec::new());
            }
        };
        let command = obj.value("check_command").unwrap_or("").to_string();
        let copies = entries
            .into_iter()
            .map(|(key, values)| {
                let rewrite = |s: &str| -> &'r str { self.arena.alloc(crate::duplicate::substitute(s, &key, &values)) };
                vec![
                    ("service_description", rewrite(description)),
                    ("check_command", rewrite(&command)),
                ]
            })
            .collect();
        Some(copies)
    }

    /// Groups with members from both sides and nested groups flattened (loops reported).
    /// One call per group kind: the arguments are exactly what differs between the kinds.
    #[allow(clippy::too_many_arguments)]
    fn groups(
        &mut self,
        objs: &[&'r FlatObject<'a>],
        implied: &[(String, Location)],
        member_names: &Names<'_>,
        mut members: Vec<Vec<u32>>,
        member_what: &str,
        nested_key: &str,
        group_names: &Names<'_>,
    ) -> Vec<Group<u32>> {
        let kind = objs.first().map(|o| o.kind);
        let name_key = kind.and_then(|k| k.name_key()).unwrap_or("name");
        let mut nested: Vec<Vec<u32>> = vec![Vec::new(); objs.len() + implied.len()];
        for (g, obj) in objs.iter().enumerate() {
            if member_what != "service" {
                members[g].extend(self.refs(obj, "members", member_names, member_what));
            }
            nested[g] = self.refs(obj, nested_key, group_names, "group");
        }
        self.check_loops(&nested, objs, nested_key, name_key);
        // Depth-first union of nested groups; loops were reported, `visiting` stops them here.
        fn collect(g: usize, nested: &[Vec<u32>], members: &[Vec<u32>], seen: &mut Vec<bool>, out: &mut Vec<u32>) {
            if seen[g] {
                return;
            }
            seen[g] = true;
            out.extend(&members[g]);
            for &sub in &nested[g] {
                collect(sub as usize, nested, members, seen, out);
            }
        }
        let mut out = Vec::with_capacity(objs.len());
        for (g, obj) in objs.iter().enumerate() {
            let mut all = Vec::new();
            let mut seen = vec![false; nested.len()];
            collect(g, &nested, &members, &mut seen, &mut all);
            all.sort_unstable();
            all.dedup();
            let r = Reader::new(obj);
            out.push(Group {
                name: r.string(name_key),
                alias: r.opt("alias").unwrap_or(r.str(name_key)).to_string(),
                members: all,
                extra: extra(obj, obj.kind, GROUP_TYPED),
                location: self.obj_loc(obj),
            });
        }
        for (i, (name, location)) in implied.iter().enumerate() {
            let mut all = members[objs.len() + i].clone();
            all.sort_unstable();
            all.dedup();
            out.push(Group {
                name: name.clone(),
                alias: name.clone(),
                members: all,
                extra: BTreeMap::new(),
                location: location.clone(),
            });
        }
        out
    }

    /// Reports every cycle of `edges` (a graph over `objs`) once, naming its members.
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

    /// A dependency cycle (a waits on b waits on a) would never let either be checked: reported at
    /// the definition that closes it.
    fn check_dependency_loops<'l>(
        &mut self,
        nodes: usize,
        edges: impl Iterator<Item = (u32, u32, &'l Location)>,
        what: &str,
        name: impl Fn(usize) -> String,
    ) {
        let mut out: FxHashMap<u32, Vec<(u32, &'l Location)>> = FxHashMap::default();
        for (from, to, loc) in edges {
            out.entry(from).or_default().push((to, loc));
        }
        if out.is_empty() {
            return;
        }
        let mut state = vec![0u8; nodes];
        let mut starts: Vec<u32> = out.keys().copied().collect();
        starts.sort_unstable();
        for start in starts {
            if state[start as usize] != 0 {
                continue;
            }
            // Iterative depth-first search; the stack holds (node, next edge index).
            let mut stack: Vec<(u32, usize)> = vec![(start, 0)];
            state[start as usize] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let edge = out.get(&node).and_then(|e| e.get(*next)).copied();
                *next += 1;
                match edge {
                    Some((to, loc)) => match state[to as usize] {
                        0 => {
                            state[to as usize] = 1;
                            stack.push((to, 0));
                        }
                        1 => {
                            let from = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                            let mut path: Vec<String> = stack[from..].iter().map(|(n, _)| name(*n as usize)).collect();
                            path.push(name(to as usize));
                            self.error_at(loc.clone(), format!("{what} loop: {}", path.join(" -> ")));
                        }
                        _ => {}
                    },
                    None => {
                        state[node as usize] = 2;
                        stack.pop();
                    }
                }
            }
        }
    }

    /// Hosts named by `host_name`/`hostgroup_name`-style keys of a dependency or escalation.
    fn target_hosts(
        &mut self,
        obj: &FlatObject<'_>,
        host_key: &str,
        group_key: &str,
        host_names: &Names<'_>,
        hg_names: &Names<'_>,
        hostgroups: &[Group<u32>],
    ) -> Vec<u32> {
        let mut out = self.refs(obj, host_key, host_names, "host");
        for g in self.refs(obj, group_key, hg_names, "hostgroup") {
            out.extend(&hostgroups[g as usize].members);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn host_dependencies(
        &mut self,
        host_names: &Names<'_>,
        hg_names: &Names<'_>,
        hostgroups: &[Group<u32>],
        tp_names: &Names<'_>,
    ) -> Vec<HostDependency> {
        let mut out = Vec::new();
        for obj in self.real(ObjectKind::Hostdependency) {
            let r = Reader::new(obj);
            let masters = self.target_hosts(obj, "host_name", "hostgroup_name", host_names, hg_names, hostgroups);
            let dependents = self.target_hosts(
                obj,
                "dependent_host_name",
                "dependent_hostgroup_name",
                host_names,
                hg_names,
                hostgroups,
            );
            let loc = self.obj_loc(obj);
            if masters.is_empty() || dependents.is_empty() {
                self.error_at(
                    loc.clone(),
                    "hostdependency names no master or no dependent host".into(),
                );
            }
            let period = self
                .one_ref(obj, "dependency_period", tp_names, "timeperiod")
                .map(TimeperiodId);
            for &m in &masters {
                for &d in &dependents {
                    out.push(HostDependency {
                        master: HostId(m),
                        dependent: HostId(d),
                        inherits_parent: r.bool("inherits_parent"),
                        execution_failure_criteria: r.letters("execution_failure_criteria"),
                        notification_failure_criteria: r.letters("notification_failure_criteria"),
                        dependency_period: period,
                        location: loc.clone(),
                    });
                }
            }
        }
        out
    }

    fn service_dependencies(
        &mut self,
        host_names: &Names<'_>,
        hg_names: &Names<'_>,
        hostgroups: &[Group<u32>],
        services: &ServiceIndex<'_>,
        tp_names: &Names<'_>,
    ) -> Vec<ServiceDependency> {
        let mut out = Vec::new();
        for obj in self.real(ObjectKind::Servicedependency) {
            let r = Reader::new(obj);
            let loc = self.obj_loc(obj);
            let masters_h = self.target_hosts(obj, "host_name", "hostgroup_name", host_names, hg_names, hostgroups);
            // Nagios: no dependent host means the master's own host.
            let same_host =
                obj.value("dependent_host_name").is_none() && obj.value("dependent_hostgroup_name").is_none();
            let dependents_h = if same_host {
                masters_h.clone()
            } else {
                self.target_hosts(
                    obj,
                    "dependent_host_name",
                    "dependent_hostgroup_name",
                    host_names,
                    hg_names,
                    hostgroups,
                )
            };
            let master_descs: Vec<&str> = r.list("service_description");
            let dep_descs: Vec<&str> = match obj.value("dependent_service_description") {
                Some(_) => r.list("dependent_service_description"),
                None => {
                    self.error_at(
                        loc.clone(),
                        "servicedependency has no 'dependent_service_description'".into(),
                    );
                    continue;
                }
            };
            let period = self
                .one_ref(obj, "dependency_period", tp_names, "timeperiod")
                .map(TimeperiodId);
            let find = |s: &mut Self, host: u32, desc: &str| -> Option<u32> {
                let found = services.get(&(host, desc)).copied();
                if found.is_none() {
                    let name = host_names.order.get(host as usize).copied().unwrap_or("?");
                    s.error_at(loc.clone(), format!("unknown service '{desc}' on host '{name}'"));
                }
                found
            };
            let pairs: Vec<(u32, u32)> = if same_host {
                masters_h.iter().map(|h| (*h, *h)).collect()
            } else {
                masters_h
                    .iter()
                    .flat_map(|m| dependents_h.iter().map(move |d| (*m, *d)))
                    .collect()
            };
            for (mh, dh) in pairs {
                for md in &master_descs {
                    let Some(master) = find(self, mh, md) else { continue };
                    for dd in &dep_descs {
                        let Some(dependent) = find(self, dh, dd) else { continue };
                        out.push(ServiceDependency {
                            master: ServiceId(master),
                            dependent: ServiceId(dependent),
                            inherits_parent: r.bool("inherits_parent"),
                            execution_failure_criteria: r.letters("execution_failure_criteria"),
                            notification_failure_criteria: r.letters("notification_failure_criteria"),
                            dependency_period: period,
                            location: loc.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn escalations(
        &mut self,
        host_names: &Names<'_>,
        hg_names: &Names<'_>,
        hostgroups: &[Group<u32>],
        services: &ServiceIndex<'_>,
        hosts: &[Host],
        service_list: &[Service],
        lk: &mut Lookups<'_, '_>,
    ) -> Vec<Escalation> {
        let mut out = Vec::new();
        let kinds = [
            ObjectKind::Hostescalation,
            ObjectKind::Serviceescalation,
            ObjectKind::Escalation,
        ];
        // Alignak `escalation` objects are applied by name from hosts' and services' `escalations`.
        let objs = self.real(ObjectKind::Escalation);
        let (esc_names, _) = self.names(ObjectKind::Escalation, &objs);
        for kind in kinds {
            for obj in self.real(kind) {
                let loc = self.obj_loc(obj);
                let mut targets: Vec<EscalationTarget> = Vec::new();
                let host_ids = self.target_hosts(obj, "host_name", "hostgroup_name", host_names, hg_names, hostgroups);
                match (kind, obj.value("service_description")) {
                    (ObjectKind::Hostescalation, _) | (ObjectKind::Escalation, None) => {
                        targets.extend(host_ids.iter().map(|h| EscalationTarget::Host(HostId(*h))));
                    }
                    (_, Some(descs)) => {
                        for h in &host_ids {
                            for d in values::split_list(descs) {
                                if d == "*" {
                                    targets.extend(
                                        hosts[*h as usize]
                                            .services
                                            .iter()
                                            .map(|s| EscalationTarget::Service(*s)),
                                    );
                                } else {
                                    match services.get(&(*h, d)) {
                                        Some(s) => targets.push(EscalationTarget::Service(ServiceId(*s))),
                                        None => self.error_at(
                                            loc.clone(),
                                            format!("unknown service '{d}' on host '{}'", hosts[*h as usize].name),
                                        ),
                                    }
                                }
                            }
                        }
                    }
                    (_, None) => {
                        self.error_at(loc.clone(), "serviceescalation has no 'service_description'".into());
                    }
                }
                if kind == ObjectKind::Escalation {
                    let name = obj.value("escalation_name").unwrap_or("");
                    for (i, h) in hosts.iter().enumerate() {
                        if h.common.details().escalation_names.iter().any(|n| n == name) {
                            targets.push(EscalationTarget::Host(HostId(i as u32)));
                        }
                    }
                    for (i, s) in service_list.iter().enumerate() {
                        if s.common.details().escalation_names.iter().any(|n| n == name) {
                            targets.push(EscalationTarget::Service(ServiceId(i as u32)));
                        }
                    }
                }
                if targets.is_empty() && kind != ObjectKind::Escalation {
                    self.warn_at(loc.clone(), format!("{} applies to nothing", kind.keyword()));
                }
                let r = Reader::new(obj);
                let first = obj.value("first_notification").and_then(|v| values::parse_int(v).ok());
                let first_time = obj
                    .value("first_notification_time")
                    .and_then(|v| values::parse_float(v).ok());
                if first.is_none() && first_time.is_none() {
                    self.error_at(
                        loc.clone(),
                        format!("{} needs first_notification or first_notification_time", kind.keyword()),
                    );
                }
                let contacts: Vec<ContactId> = self
                    .refs(obj, "contacts", lk.contacts, "contact")
                    .into_iter()
                    .map(ContactId)
                    .collect();
                let groups: Vec<ContactgroupId> = self
                    .refs(obj, "contact_groups", lk.contactgroups, "contactgroup")
                    .into_iter()
                    .map(ContactgroupId)
                    .collect();
                let period = self
                    .one_ref(obj, "escalation_period", lk.timeperiods, "timeperiod")
                    .map(TimeperiodId);
                for target in targets {
                    // Escalations take contacts, interval and period from their object (Nagios rule).
                    let target_common = match target {
                        EscalationTarget::Host(h) => &hosts[h.index()].common,
                        EscalationTarget::Service(s) => &service_list[s.index()].common,
                    };
                    let (contacts, contact_groups) = if contacts.is_empty() && groups.is_empty() {
                        (target_common.contacts.to_vec(), target_common.contact_groups.to_vec())
                    } else {
                        (contacts.clone(), groups.clone())
                    };
                    let interval = match obj.value("notification_interval") {
                        Some(v) => values::parse_float(v).unwrap_or(target_common.notification_interval),
                        None => target_common.notification_interval,
                    };
                    out.push(Escalation {
                        target,
                        first_notification: first.map(|v| v.max(0) as u32),
                        last_notification: obj
                            .value("last_notification")
                            .and_then(|v| values::parse_int(v).ok())
                            .map(|v| v.max(0) as u32),
                        first_notification_time: first_time,
                        last_notification_time: obj
                            .value("last_notification_time")
                            .and_then(|v| values::parse_float(v).ok()),
                        notification_interval: interval,
                        escalation_period: period.or(target_common.notification_period),
                        escalation_options: r.letters("escalation_options"),
                        contacts,
                        contact_groups,
                        location: loc.clone(),
                    });
                }
            }
        }
        // Hosts and services naming an undefined `escalations` entry.
        for (i, h) in hosts.iter().enumerate() {
            for n in &h.common.details().escalation_names {
                if esc_names.get(n).is_none() {
                    let loc = h.common.location.clone();
                    self.error_at(loc, format!("host '{}': unknown escalation '{n}'", hosts[i].name));
                }
            }
        }
        out
    }

    fn daemon(&mut self, obj: &FlatObject<'_>, role: Role, realms: &Names<'_>) -> DaemonLink {
        let r = Reader::new(obj);
        let name_key = role.kind().name_key().unwrap_or("name");
        let realm = self
            .one_ref(obj, "realm", realms, "realm")
            .unwrap_or_else(|| realms.ids.iter().min_by_key(|(_, v)| **v).map(|(_, v)| *v).unwrap_or(0));
        let port = r.int("port");
        let loc = self.prop_loc(obj, "port");
        let port = match u16::try_from(port) {
            Ok(p) if p > 0 => p,
            _ => {
                self.error_at(loc, format!("port {port} is not a TCP port (1-65535)"));
                role.default_port()
            }
        };
        let tags_key = match role {
            Role::Poller => "poller_tags",
            Role::Reactionner => "reactionner_tags",
            _ => "",
        };
        let tags = if tags_key.is_empty() {
            Vec::new()
        } else {
            r.list(tags_key).into_iter().map(str::to_string).collect()
        };
        DaemonLink {
            role,
            name: r.string(name_key),
            address: r.string("address"),
            port,
            spare: r.bool("spare"),
            active: r.bool("active"),
            realm: RealmId(realm),
            manage_sub_realms: r.bool("manage_sub_realms"),
            manage_arbiters: r.bool("manage_arbiters"),
            passive: r.bool("passive"),
            weight: r.int("weight").max(0) as u32,
            tags,
            timeout: r.int("timeout").max(1) as u32,
            data_timeout: r.int("data_timeout").max(1) as u32,
            max_check_attempts: r.int("max_check_attempts").max(1) as u32,
            check_interval: r.int("check_interval").max(1) as u32,
            polling_interval: r.int("polling_interval").max(1) as u32,
            modules: r.list("modules").into_iter().map(str::to_string).collect(),
            extra: extra(obj, role.kind(), DAEMON_TYPED),
            location: Some(self.obj_loc(obj)),
        }
    }

    /// Types the engine does not interpret yet, kept whole and name-checked.
    fn others(&mut self) -> Vec<OtherObject> {
        let kinds = [
            ObjectKind::Hostextinfo,
            ObjectKind::Serviceextinfo,
            ObjectKind::Businessimpactmodulation,
            ObjectKind::Resultmodulation,
            ObjectKind::Checkmodulation,
            ObjectKind::Macromodulation,
            ObjectKind::Module,
        ];
        let mut out = Vec::new();
        for kind in kinds {
            let objs = self.real(kind);
            let kept = if kind.name_key().is_some() {
                self.names(kind, &objs).1
            } else {
                objs
            };
            for obj in kept {
                let name = kind.name_key().and_then(|k| obj.value(k)).unwrap_or("").to_string();
                out.push(OtherObject {
                    kind,
                    name,
                    props: obj.props().map(|p| (p.key.to_string(), p.text().to_string())).collect(),
                    location: self.obj_loc(obj),
                });
            }
        }
        out
    }
}

/// Command names to ids, including Alignak's internal commands created when first used.
struct CommandTable {
    names: HashMap<String, CommandId>,
    list: Vec<Command>,
}

impl CommandTable {
    fn resolve(&mut self, name: &str) -> Option<CommandId> {
        if let Some(id) = self.names.get(name) {
            return Some(*id);
        }
        let internal = INTERNAL_COMMANDS.iter().find(|c| **c == name)?;
        let id = CommandId(self.list.len() as u32);
        self.list.push(Command {
            name: internal.to_string(),
            line: internal.to_string(),
            poller_tag: "None".into(),
            reactionner_tag: "None".into(),
            module_type: "internal".into(),
            timeout: None,
            location: Location::new(std::path::Path::new("<internal>"), 0),
        });
        self.names.insert(internal.to_string(), id);
        Some(id)
    }
}

struct Lookups<'n, 'r> {
    timeperiods: &'n Names<'r>,
    contacts: &'n Names<'r>,
    contactgroups: &'n Names<'r>,
    realms: &'n Names<'n>,
}

/// What every service of a host reads from it, looked up once per host rather than per service.
struct HostSide<'r, 'a> {
    /// The host's values of [`IMPLIED_FROM_HOST`] properties.
    implied: Vec<FlatProp<'a>>,
    /// Alignak `service_excludes` / `service_includes`.
    excludes: Option<&'r str>,
    includes: Option<&'r str>,
}

impl<'r, 'a> HostSide<'r, 'a> {
    fn new(host: &'r FlatObject<'a>) -> Self {
        HostSide {
            implied: host
                .props()
                .filter(|p| IMPLIED_FROM_HOST.contains(&p.key))
                .cloned()
                .collect(),
            excludes: host.value("service_excludes"),
            includes: host.value("service_includes"),
        }
    }

    fn excludes(&self, description: &str) -> bool {
        let listed = |v: &str| values::split_list(v).contains(&description);
        self.excludes.is_some_and(listed) || self.includes.is_some_and(|v| !listed(v))
    }
}

fn customs(obj: &FlatObject<'_>) -> BTreeMap<String, String> {
    obj.props()
        .filter_map(|p| p.key.strip_prefix('_').map(|k| (k.to_string(), p.text().to_string())))
        .collect()
}

/// Properties read into typed fields; the others (notes, icons, …) go to `extra`.
const CONTACT_TYPED: &[&str] = &[
    "contact_name",
    "alias",
    "email",
    "pager",
    "address1",
    "address2",
    "address3",
    "address4",
    "address5",
    "address6",
    "contactgroups",
    "host_notifications_enabled",
    "service_notifications_enabled",
    "host_notification_period",
    "service_notification_period",
    "host_notification_options",
    "service_notification_options",
    "host_notification_commands",
    "service_notification_commands",
    "notificationways",
    "can_submit_commands",
    "is_admin",
    "min_business_impact",
];
const GROUP_TYPED: &[&str] = &[
    "hostgroup_name",
    "servicegroup_name",
    "contactgroup_name",
    "alias",
    "members",
    "hostgroup_members",
    "servicegroup_members",
    "contactgroup_members",
    "realm",
];
const DAEMON_TYPED: &[&str] = &[
    "arbiter_name",
    "scheduler_name",
    "poller_name",
    "reactionner_name",
    "broker_name",
    "receiver_name",
    "address",
    "port",
    "spare",
    "active",
    "realm",
    "manage_sub_realms",
    "manage_arbiters",
    "passive",
    "weight",
    "poller_tags",
    "reactionner_tags",
    "timeout",
    "data_timeout",
    "max_check_attempts",
    "check_interval",
    "polling_interval",
    "modules",
];

fn extra(obj: &FlatObject<'_>, _kind: ObjectKind, typed: &[&str]) -> BTreeMap<String, String> {
    obj.props()
        .filter(|p| !p.key.starts_with('_') && !typed.contains(&p.key))
        .map(|p| (p.key.to_string(), p.text().to_string()))
        .collect()
}

/// The master Alignak creates for a role nobody defined: on localhost, default port.
fn implied_daemon(role: Role, realm: RealmId, _realms: &[Realm]) -> DaemonLink {
    let get = |key: &str| {
        crate::schema::lookup(role.kind(), key)
            .and_then(|d| d.default)
            .unwrap_or("")
    };
    let int = |key: &str| values::parse_int(get(key)).unwrap_or(0).max(1) as u32;
    DaemonLink {
        role,
        name: format!("{}-master", role.name()),
        address: "127.0.0.1".into(),
        port: role.default_port(),
        spare: false,
        active: true,
        realm,
        manage_sub_realms: true,
        manage_arbiters: false,
        passive: false,
        weight: 1,
        tags: match role {
            Role::Poller | Role::Reactionner => vec!["None".into()],
            _ => Vec::new(),
        },
        timeout: int("timeout"),
        data_timeout: int("data_timeout"),
        max_check_attempts: int("max_check_attempts"),
        check_interval: int("check_interval"),
        polling_interval: int("polling_interval"),
        modules: Vec::new(),
        extra: BTreeMap::new(),
        location: None,
    }
}

impl Group<u32> {
    fn map<T>(self, f: impl Fn(u32) -> T) -> Group<T> {
        Group {
            name: self.name,
            alias: self.alias,
            members: self.members.into_iter().map(f).collect(),
            extra: self.extra,
            location: self.location,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::model::*;
    use crate::{load, Config};

    /// Writes `files` (name, text) into a fresh folder and loads its `main.cfg`.
    fn load_files(files: &[(&str, &str)]) -> Result<Config, Vec<String>> {
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

    const BASE: &str = "define command {\n command_name c\n command_line /bin/true $ARG1$\n}\n\
        define timeperiod {\n timeperiod_name 24x7\n monday 00:00-24:00\n}\n\
        define contact {\n contact_name alice\n}\ndefine contact {\n contact_name bob\n}\n";

    fn ok(objects: &str) -> Config {
        match load_files(&[
            ("main.cfg", "cfg_file=base.cfg\ncfg_file=objects.cfg\n"),
            ("base.cfg", BASE),
            ("objects.cfg", objects),
        ]) {
            Ok(c) => c,
            Err(e) => panic!("{e:#?}"),
        }
    }

    fn errors(objects: &str) -> Vec<String> {
        match load_files(&[
            ("main.cfg", "cfg_file=base.cfg\ncfg_file=objects.cfg\n"),
            ("base.cfg", BASE),
            ("objects.cfg", objects),
        ]) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e,
        }
    }

    fn host<'c>(c: &'c Config, name: &str) -> &'c Host {
        c.hosts
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("no host {name}"))
    }

    fn services_of(c: &Config, host: &str) -> Vec<String> {
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

    fn host_id(c: &Config, name: &str) -> HostId {
        HostId(
            c.hosts
                .iter()
                .position(|h| h.name == name)
                .unwrap_or_else(|| panic!("no host {name}")) as u32,
        )
    }

    fn service<'c>(c: &'c Config, host: &str, desc: &str) -> &'c Service {
        let h = host_id(c, host);
        c.services
            .iter()
            .find(|s| s.host == h && &*s.description == desc)
            .unwrap_or_else(|| panic!("no {host}/{desc}"))
    }

    #[test]
    fn services_on_hostgroups_with_stars_exclusions_and_overrides() {
        let c = ok("define host {\n host_name a\n hostgroups web\n}\ndefine host {\n host_name b\n hostgroups web\n}\n\
            define host {\n host_name z\n}\n\
            define hostgroup {\n hostgroup_name web\n}\n\
            define service {\n hostgroup_name web\n host_name !b\n service_description http\n check_command c!group\n}\n\
            define service {\n host_name a\n service_description http\n check_command c!direct\n}\n\
            define service {\n host_name *,!z\n service_description ping\n check_command c\n}\n");
        assert_eq!(services_of(&c, "a"), ["http", "ping"]);
        assert_eq!(
            services_of(&c, "b"),
            ["ping"],
            "b is excluded from the hostgroup service"
        );
        assert_eq!(services_of(&c, "z"), Vec::<String>::new());
        let http = service(&c, "a", "http");
        assert_eq!(http.common.check_command.as_ref().map(|c| &*c.raw), Some("c!direct"));
        assert_eq!(
            http.common.check_command.as_ref().map(|c| c.args().collect::<Vec<_>>()),
            Some(vec!["direct"])
        );
    }

    #[test]
    fn implied_inheritance_from_host_alignak_list() {
        let c = ok("define host {\n host_name h\n contacts alice\n notification_interval 17\n check_period 24x7\n poller_tag dmz\n}\n\
            define service {\n host_name h\n service_description s\n check_command c\n}\n\
            define service {\n host_name h\n service_description own\n check_command c\n contacts bob\n}\n");
        let s = service(&c, "h", "s");
        assert_eq!(&*s.common.contacts, &[ContactId(0)]);
        assert_eq!(s.common.notification_interval, 17.0);
        assert_eq!(
            s.common.check_period,
            Some(TimeperiodId(0)),
            "Alignak also implies check_period"
        );
        assert_eq!(s.common.details().poller_tag.as_deref(), Some("dmz"));
        assert_eq!(&*service(&c, "h", "own").common.contacts, &[ContactId(1)]);
    }

    #[test]
    fn groups_get_members_from_both_sides_and_nesting() {
        let c = ok("define host {\n host_name a\n hostgroups g1\n}\ndefine host {\n host_name b\n}\ndefine host {\n host_name x\n}\n\
            define hostgroup {\n hostgroup_name g1\n members b\n}\n\
            define hostgroup {\n hostgroup_name all\n hostgroup_members g1\n members x\n}\n\
            define service {\n host_name a,b\n service_description s\n check_command c\n servicegroups sg\n}\n\
            define servicegroup {\n servicegroup_name sg\n}\n\
            define servicegroup {\n servicegroup_name sg2\n members a,s\n servicegroup_members sg\n}\n\
            define contactgroup {\n contactgroup_name admins\n members alice\n}\n\
            define contactgroup {\n contactgroup_name everyone\n contactgroup_members admins\n members bob\n}\n");
        let names = |g: &Group<HostId>| {
            g.members
                .iter()
                .map(|h| c.hosts[h.index()].name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&c.hostgroups[0]), ["a", "b"]);
        assert_eq!(names(&c.hostgroups[1]), ["a", "b", "x"]);
        assert_eq!(host(&c, "a").hostgroups, vec![HostgroupId(0), HostgroupId(1)]);
        assert_eq!(c.servicegroups[0].members.len(), 2);
        assert_eq!(c.servicegroups[1].members.len(), 2, "a,s from members plus nested sg");
        assert_eq!(c.contactgroups[1].members, vec![ContactId(0), ContactId(1)]);
        assert_eq!(c.contacts[0].contactgroups, vec![ContactgroupId(0), ContactgroupId(1)]);
    }

    #[test]
    fn duplicate_foreach_creates_one_service_per_key() {
        let c = ok("define host {\n host_name h\n _disks root$(/)$$(90)$, var$(/var)$$(80)$\n}\n\
            define service {\n host_name h\n service_description Disk $KEY$\n check_command c!$VALUE1$!$VALUE2$\n duplicate_foreach _disks\n}\n");
        assert_eq!(services_of(&c, "h"), ["Disk root", "Disk var"]);
        let raw = service(&c, "h", "Disk var")
            .common
            .check_command
            .as_ref()
            .map(|c| c.raw.clone());
        assert_eq!(raw.as_deref(), Some("c!/var!80"));
    }

    #[test]
    fn services_attached_to_host_templates_apply_to_their_hosts() {
        let c = ok("define host {\n name linux\n register 0\n}\n\
            define host {\n name web\n use linux\n register 0\n}\n\
            define host {\n host_name a\n use web\n}\ndefine host {\n host_name b\n service_excludes Load\n use linux\n}\n\
            define host {\n host_name c\n}\n\
            define service {\n name linux-load\n host_name linux\n service_description Load\n check_command c\n register 0\n}\n");
        assert_eq!(services_of(&c, "a"), ["Load"], "through the template chain");
        assert_eq!(services_of(&c, "b"), Vec::<String>::new(), "service_excludes");
        assert_eq!(services_of(&c, "c"), Vec::<String>::new());
    }

    #[test]
    fn dependencies_and_escalations() {
        let c = ok("define host {\n host_name a\n contacts alice\n notification_interval 30\n}\ndefine host {\n host_name b\n}\n\
            define service {\n host_name a,b\n service_description db\n check_command c\n}\n\
            define service {\n host_name a,b\n service_description web\n check_command c\n}\n\
            define hostdependency {\n host_name a\n dependent_host_name b\n notification_failure_criteria d,u\n}\n\
            define servicedependency {\n host_name a,b\n service_description db\n dependent_service_description web\n execution_failure_criteria c\n}\n\
            define hostescalation {\n host_name a\n first_notification 3\n last_notification 0\n}\n");
        assert_eq!(c.hostdependencies.len(), 1);
        assert_eq!(c.hostdependencies[0].master, host_id(&c, "a"));
        assert_eq!(c.hostdependencies[0].notification_failure_criteria.to_string(), "d,u");
        // Without dependent_host_name: the master's own host (Nagios rule).
        assert_eq!(c.servicedependencies.len(), 2);
        for d in &c.servicedependencies {
            assert_eq!(c.services[d.master.index()].host, c.services[d.dependent.index()].host);
        }
        let e = &c.escalations[0];
        assert_eq!(e.target, EscalationTarget::Host(host_id(&c, "a")));
        assert_eq!(e.contacts, vec![ContactId(0)], "taken from the host");
        assert_eq!(e.notification_interval, 30.0);
        assert_eq!((e.first_notification, e.last_notification), (Some(3), Some(0)));
    }

    #[test]
    fn every_error_is_reported_with_file_and_line() {
        let e = errors(
            "define host {\n host_name a\n parents b\n contacts nobody\n}\n\
            define host {\n host_name b\n parents a\n max_check_attempts three\n}\n\
            define host {\n host_name a\n}\n\
            define service {\n host_name ghost\n service_description s\n check_command c\n}\n\
            define service {\n host_name b\n service_description t\n}\n\
            define service {\n host_name b\n service_description u\n check_command nocmd!1\n}\n\
            define hostgroup {\n hostgroup_name g1\n hostgroup_members g2\n}\n\
            define hostgroup {\n hostgroup_name g2\n hostgroup_members g1\n}\n",
        );
        let has = |needle: &str| assert!(e.iter().any(|m| m.contains(needle)), "missing '{needle}' in {e:#?}");
        has("objects.cfg:4: error: unknown contact 'nobody'");
        has("objects.cfg:9: error: 'max_check_attempts': 'three' is not an integer");
        has("objects.cfg:11: error: host 'a' is defined twice (first at ");
        has("objects.cfg:15: error: unknown host 'ghost'");
        has("objects.cfg:19: error: service has no 'check_command'");
        has("objects.cfg:26: error: unknown command 'nocmd'");
        has("parents loop: a -> b -> a");
        has("hostgroup_members loop");
    }

    #[test]
    fn dependency_loops_and_required_properties() {
        let e = errors(
            "define host {\n host_name a\n}\ndefine host {\n host_name b\n}\n\
            define hostdependency {\n host_name a\n dependent_host_name b\n}\n\
            define hostdependency {\n host_name b\n dependent_host_name a\n}\n\
            define checkmodulation {\n checkmodulation_name cm\n check_period 24x7\n}\n",
        );
        assert!(e.iter().any(|m| m.contains("host dependency loop: ")), "{e:#?}");
        assert!(
            e.iter().any(|m| m
                .contains("objects.cfg:15: error: checkmodulation 'cm' is missing required property 'check_command'")),
            "{e:#?}"
        );
    }

    #[test]
    fn unknown_property_is_a_warning_not_dropped_silently() {
        let c = ok("define host {\n host_name a\n colour blue\n}\n");
        assert!(
            c.warnings.iter().any(|w| w
                .to_string()
                .contains("objects.cfg:3: warning: unknown property 'colour' for host")),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn implied_daemons_and_realm_when_none_defined() {
        let c = ok("define host {\n host_name a\n}\n");
        assert_eq!(c.realms.len(), 1);
        assert!(c.realms[0].default && c.realms[0].name == "All");
        let roles: Vec<(Role, u16, &str)> = c.daemons.iter().map(|d| (d.role, d.port, d.address.as_str())).collect();
        assert_eq!(
            roles,
            [
                (Role::Arbiter, 7770, "127.0.0.1"),
                (Role::Scheduler, 7768, "127.0.0.1"),
                (Role::Poller, 7771, "127.0.0.1"),
                (Role::Reactionner, 7769, "127.0.0.1"),
                (Role::Broker, 7772, "127.0.0.1"),
                (Role::Receiver, 7773, "127.0.0.1"),
            ]
        );
    }

    #[test]
    fn daemon_links_as_in_the_seed() {
        let c = ok("define realm {\n realm_name All\n default 1\n}\n\
            define scheduler {\n scheduler_name scheduler-master\n address 192.0.2.2\n port 7768\n spare 0\n realm All\n}\n\
            define scheduler {\n scheduler_name scheduler-slave\n address 192.0.2.3\n spare 1\n timeout 3\n data_timeout 120\n max_check_attempts 3\n check_interval 60\n}\n\
            define poller {\n poller_name p\n poller_tags None,dmz\n}\n");
        let slave = c.daemons.iter().find(|d| d.name == "scheduler-slave").expect("slave");
        assert!(slave.spare && slave.port == 7768 && slave.address == "192.0.2.3");
        assert_eq!(
            (
                slave.timeout,
                slave.data_timeout,
                slave.max_check_attempts,
                slave.check_interval
            ),
            (3, 120, 3, 60)
        );
        let p = c.daemons.iter().find(|d| d.name == "p").expect("poller");
        assert_eq!(p.tags, ["None", "dmz"]);
        assert_eq!(
            c.daemons.iter().filter(|d| d.role == Role::Scheduler).count(),
            2,
            "no implied scheduler"
        );
    }

    #[test]
    fn alignak_ini_with_daemon_sections_and_cfg_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir_all(d.join("alignak.d")).expect("mkdir");
        std::fs::write(
            d.join("alignak.ini"),
            "[DEFAULT]\n_dist_ETC=.\nworkdir=/tmp\nspare=0\n\n[alignak-configuration]\ncfg=%(_dist_ETC)s/objects.cfg\n$USER1$=/usr/lib/nagios/plugins\ninterval_length=30\n",
        )
        .expect("write");
        std::fs::write(
            d.join("alignak.d/daemons.ini"),
            "[daemon.scheduler-master]\ntype=scheduler\nport=17768\n\n[daemon.scheduler-spare]\ntype=scheduler\nport=17769\nspare=1\n",
        )
        .expect("write");
        std::fs::write(
            d.join("objects.cfg"),
            format!("{BASE}define host {{\n host_name a\n}}\n"),
        )
        .expect("write");
        let c = match load(&d.join("alignak.ini")) {
            Ok(c) => c,
            Err(e) => panic!("{:#?}", e.diagnostics.items),
        };
        assert_eq!(c.hosts.len(), 1);
        assert_eq!(c.interval_length, 30);
        assert_eq!(
            c.resources.get("USER1").map(String::as_str),
            Some("/usr/lib/nagios/plugins")
        );
        let scheds: Vec<(&str, u16, bool)> = c
            .daemons
            .iter()
            .filter(|d| d.role == Role::Scheduler)
            .map(|d| (d.name.as_str(), d.port, d.spare))
            .collect();
        assert_eq!(
            scheds,
            [("scheduler-master", 17768, false), ("scheduler-spare", 17769, true)]
        );
        assert!(
            c.warnings.iter().all(|w| !w.message.contains("workdir")),
            "daemon process settings are not link properties"
        );
        let _ = Path::new("");
    }

    #[test]
    fn generated_names_from_ranges() {
        let c = ok("define host {\n host_name north_[0-2-%03d]\n alias $HOSTNAME$ box\n check_command c\n max_check_attempts 1\n}\n\
            define host {\n host_name web[1-2]\n check_command c\n max_check_attempts 1\n}\n\
            define host {\n host_name plain[x]\n check_command c\n max_check_attempts 1\n}\n\
            define service {\n host_name north_001,web2\n service_description s\n check_command c\n max_check_attempts 1\n}\n");
        let names: Vec<&str> = c.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            ["north_000", "north_001", "north_002", "web1", "web2", "plain[x]"]
        );
        assert_eq!(host(&c, "north_002").alias, "north_002 box");
        assert_eq!(c.services.len(), 2);
    }
}
