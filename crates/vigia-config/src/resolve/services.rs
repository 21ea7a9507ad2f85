//! Services: every (host, definition) pair a definition creates (hosts, hostgroups, host
//! templates, exclusions), `duplicate_foreach` copies, duplicates by precedence, what a service
//! takes from its host, and service groups.
use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashMap;

use super::{at_of, Builder, Names, Resolved, ServiceIndex};
use crate::dialect::{Dialect, Duplicate};
use crate::inherit::{FlatObject, FlatProp};
use crate::kind::ObjectKind;
use crate::model::*;
use crate::values::{self, Reader};

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

/// A service about to be created: its definition, its host, how it was attached, and what a
/// `duplicate_foreach` key rewrites in it.
struct ServiceInstance<'r, 'a> {
    obj: &'r FlatObject<'a>,
    host: u32,
    precedence: u8,
    overrides: Vec<(&'static str, &'r str)>,
}

impl ServiceInstance<'_, '_> {
    /// A boolean the instance's overrides set, else its definition's.
    fn bool(&self, rd: &Reader<'_, '_>, key: &str) -> bool {
        match self.overrides.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => values::parse_bool(v).unwrap_or(false),
            None => rd.bool(key),
        }
    }

    fn description(&self) -> &str {
        match self.overrides.iter().find(|(k, _)| *k == "service_description") {
            Some((_, v)) => v,
            None => self.obj.value("service_description").map(str::trim).unwrap_or(""),
        }
    }
}

impl<'r, 'a> Builder<'r, 'a> {
    /// The services, attached to their hosts, then the service groups (members from both sides
    /// and from `members host,service` pairs).
    pub(super) fn services(
        &mut self,
        known: &mut Resolved<'r, 'a>,
        defaults: &Monitored,
        hosts: &mut [Host],
    ) -> (Vec<Service>, Vec<Group<ServiceId>>) {
        let host_sides: Vec<HostSide<'r, 'a>> = known.host_objs.iter().map(|&h| HostSide::new(h)).collect();
        let (mut instances, service_index) = self.service_instances(known, &host_sides);
        self.service_overrides(known, &service_index, &mut instances);
        let mut services = Vec::with_capacity(instances.len());
        let mut sgs = self.declared_groups(ObjectKind::Servicegroup);
        let service_objs: Vec<&'r FlatObject<'a>> = instances.iter().map(|i| i.obj).collect();
        self.implied_groups(&service_objs, &mut sgs);
        let mut sg_members = sgs.no_members();
        for inst in &instances {
            let id = services.len() as u32;
            for g in self.refs(inst.obj, "servicegroups", &sgs.names, "servicegroup") {
                sg_members[g as usize].push(id);
            }
            let common = self.monitored(
                inst.obj,
                &inst.overrides,
                &host_sides[inst.host as usize].implied,
                defaults,
                known,
            );
            let rd = Reader::new(inst.obj);
            services.push(Service {
                host: HostId(inst.host),
                description: self.shared.text(inst.description()),
                servicegroups: Vec::new(),
                is_volatile: inst.bool(&rd, "is_volatile"),
                parallelize_check: inst.bool(&rd, "parallelize_check"),
                host_dependency_enabled: inst.bool(&rd, "host_dependency_enabled"),
                common,
            });
            hosts[inst.host as usize].services.push(ServiceId(id));
        }
        // Servicegroup `members host1,svc1,host2,svc2`.
        for (g, obj) in sgs.objs.iter().enumerate() {
            let Some(list) = obj.value("members") else { continue };
            let loc = self.prop_loc(obj, "members");
            let items = values::split_list(list);
            if !items.len().is_multiple_of(2) {
                self.error_at(loc.clone(), "servicegroup members must be pairs of host,service".into());
            }
            for pair in items.chunks(2) {
                let [h, s] = pair else { continue };
                let found = known
                    .host_names
                    .get(h)
                    .and_then(|hid| service_index.get(&(hid, *s)).copied());
                match found {
                    Some(sid) => sg_members[g].push(sid),
                    None => self.error_at(loc.clone(), format!("unknown service '{h},{s}'")),
                }
            }
        }
        let sg_list = self.groups(&sgs, sg_members, &Names::default());
        for (g, group) in sg_list.iter().enumerate() {
            for m in &group.members {
                services[*m as usize].servicegroups.push(ServicegroupId(g as u32));
            }
        }
        known.service_index = service_index;
        (services, sg_list.into_iter().map(|g| g.map(ServiceId)).collect())
    }

    /// Every (host, definition) pair a service definition creates.
    /// The services a `service_description` list names on host `host`: names, `*` for all,
    /// `!name` to leave one out (Nagios). A name the host lacks is an error at `loc`.
    pub(super) fn services_on(
        &mut self,
        host: u32,
        list: &str,
        hosts: &[Host],
        index: &ServiceIndex<'_>,
        loc: &crate::diag::Location,
    ) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        let mut excluded: Vec<u32> = Vec::new();
        for d in values::split_list(list) {
            if d == "*" {
                out.extend(hosts[host as usize].services.iter().map(|s| s.0));
                continue;
            }
            let (name, exclude) = match d.strip_prefix('!') {
                Some(n) => (n.trim(), true),
                None => (d, false),
            };
            match index.get(&(host, name)) {
                Some(&s) if exclude => excluded.push(s),
                Some(&s) => out.push(s),
                // Leaving out what is not there leaves the list as it is.
                None if exclude => {}
                None => self.error_at(
                    loc.clone(),
                    format!("unknown service '{name}' on host '{}'", hosts[host as usize].name),
                ),
            }
        }
        out.retain(|s| !excluded.contains(s));
        out.dedup();
        out
    }

    /// Alignak's `service_overrides` on a host (`SERVICE,PROPERTY VALUE`, one per line): the
    /// property of that service on that host only. A line that does not parse, names a
    /// service the host does not have, or a property that would move the service
    /// (`host_name`, `service_description`, …) is an error, as in Alignak.
    fn service_overrides(
        &mut self,
        known: &Resolved<'r, 'a>,
        index: &ServiceIndex<'r>,
        instances: &mut [ServiceInstance<'r, 'a>],
    ) {
        const FORBIDDEN: &[&str] = &[
            "host_name",
            "service_description",
            "use",
            "name",
            "register",
            "hostgroup_name",
        ];
        for (h, host) in known.host_objs.iter().enumerate() {
            let lines: Vec<&FlatProp<'a>> = {
                let own: Vec<_> = host
                    .own_props()
                    .iter()
                    .filter(|p| p.key == "service_overrides")
                    .collect();
                if own.is_empty() {
                    host.inherited_props()
                        .iter()
                        .filter(|p| p.key == "service_overrides")
                        .collect()
                } else {
                    own
                }
            };
            for p in lines {
                let loc = self.loc(p.file, p.line);
                let text = p.text().trim();
                let parsed = text
                    .split_once(',')
                    .and_then(|(svc, rest)| {
                        rest.trim_start()
                            .split_once(char::is_whitespace)
                            .map(|(k, v)| (svc.trim(), k, v.trim()))
                    })
                    .filter(|(svc, k, v)| !svc.is_empty() && !k.is_empty() && !v.is_empty());
                let Some((service, key, value)) = parsed else {
                    self.error_at(
                        loc,
                        format!("invalid service override syntax: '{text}' (expected SERVICE,PROPERTY VALUE)"),
                    );
                    continue;
                };
                let Some(&i) = index.get(&(h as u32, service)) else {
                    self.error_at(loc, format!("service override: the host has no service '{service}'"));
                    continue;
                };
                let def = crate::schema::lookup(ObjectKind::Service, key);
                let Some(def) = def.filter(|d| !FORBIDDEN.contains(&d.name)) else {
                    self.error_at(loc, format!("service override: '{key}' cannot be overridden"));
                    continue;
                };
                let overrides = &mut instances[i as usize].overrides;
                overrides.retain(|(k, _)| *k != def.name);
                overrides.push((def.name, value));
            }
        }
    }

    fn service_instances(
        &mut self,
        known: &Resolved<'r, 'a>,
        host_sides: &[HostSide<'r, 'a>],
    ) -> (Vec<ServiceInstance<'r, 'a>>, ServiceIndex<'r>) {
        let host_objs = &known.host_objs;
        let host_names = &known.host_names;
        let hg_names = &known.hostgroup_names;
        let hostgroups = &known.hostgroups;
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
                if let Some(expr) = group_list.filter(|l| l.contains(['&', '|', '('])) {
                    let at = at_of(obj, "hostgroup_name");
                    for h in self.hostgroup_expression(expr, at, known).unwrap_or_default() {
                        targets.push((h, HOSTGROUP));
                    }
                } else if let Some(list) = group_list {
                    for g in self.name_list(list, hg_names, "hostgroup", at_of(obj, "hostgroup_name")) {
                        targets.extend(hostgroups[g as usize].members.iter().map(|h| (h.0, HOSTGROUP)));
                    }
                    for item in values::split_list(list).into_iter().filter(|_| list.contains('!')) {
                        if let Some(g) = item.strip_prefix('!').and_then(|n| hg_names.get(n.trim())) {
                            excluded.extend(hostgroups[g as usize].members.iter().map(|h| h.0));
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
                            // Both peers keep one, with a warning: Nagios the first; Alignak the
                            // lower `definition_order`, the last one when they are equal.
                            let prev = self.obj_loc(out[at].obj);
                            let host_name = host_obj.value("host_name").unwrap_or("");
                            let loc = self.obj_loc(obj);
                            let msg =
                                format!("service '{desc}' on host '{host_name}' is defined twice (also at {prev})");
                            let order = |o: &FlatObject<'_>| Reader::new(o).int("definition_order");
                            match self.dialect {
                                Dialect::Nagios => {
                                    self.warn_at(loc, format!("{msg}: the first is kept, as Nagios does"))
                                }
                                Dialect::Alignak => {
                                    let outcome = Duplicate::alignak(order(out[at].obj), order(obj));
                                    if outcome == Duplicate::UseLastWarned {
                                        self.warn_at(loc, format!("{msg}: the last one is used, as Alignak does"));
                                    }
                                    if outcome != Duplicate::KeepFirst {
                                        out[at] = inst;
                                    }
                                }
                            }
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

#[cfg(test)]
mod tests {
    use super::super::tests::{errors, ok, service, services_of};
    use crate::model::*;

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
    fn hostgroup_expressions_select_hosts() {
        let c = ok("define host {\n host_name a\n hostgroups linux,web\n}\ndefine host {\n host_name b\n hostgroups linux,prod\n}\n\
            define host {\n host_name c\n hostgroups web,prod\n}\ndefine host {\n host_name d\n}\n\
            define hostgroup {\n hostgroup_name linux\n}\ndefine hostgroup {\n hostgroup_name web\n}\ndefine hostgroup {\n hostgroup_name prod\n}\n\
            define service {\n hostgroup_name linux&web\n service_description both\n check_command c\n}\n\
            define service {\n hostgroup_name (linux|web)&!prod\n service_description not_prod\n check_command c\n}\n\
            define service {\n hostgroup_name *&!(linux|web)\n service_description rest\n check_command c\n}\n");
        let on = |h: &str| services_of(&c, h);
        assert_eq!(on("a"), ["both", "not_prod"]);
        assert_eq!(on("b"), Vec::<String>::new());
        assert_eq!(on("c"), Vec::<String>::new());
        assert_eq!(on("d"), ["rest"]);
        let errs = errors(
            "define hostgroup {\n hostgroup_name linux\n}\n\
            define service {\n hostgroup_name linux&(nosuch\n service_description s\n check_command c\n}\n",
        );
        assert!(errs.iter().any(|e| e.contains("hostgroup expression")), "{errs:?}");
    }

    #[test]
    fn service_overrides_set_a_property_of_one_host_s_service() {
        let c = ok("define host {\n name tpl\n register 0\n service_overrides http,retry_interval 9\n}\n\
            define host {\n host_name a\n use tpl\n service_overrides http,check_interval 7\n service_overrides http,is_volatile 1\n}\n\
            define host {\n host_name b\n use tpl\n}\n\
            define service {\n host_name a,b\n service_description http\n check_command c\n check_interval 3\n}\n");
        let (a, b) = (service(&c, "a", "http"), service(&c, "b", "http"));
        assert_eq!(
            (a.common.check_interval, a.is_volatile),
            (7.0, true),
            "both of a's lines apply"
        );
        assert_eq!(a.common.retry_interval, 0.0, "a's own overrides replace the template's");
        assert_eq!(
            (b.common.check_interval, b.common.retry_interval),
            (3.0, 9.0),
            "b takes the template's"
        );
        let errs = errors("define host {\n host_name a\n service_overrides fake value\n service_overrides nosuch,retry_interval 3\n service_overrides http,host_name b\n}\n\
            define service {\n host_name a\n service_description http\n check_command c\n}\n");
        for wanted in [
            "invalid service override syntax: 'fake value'",
            "no service 'nosuch'",
            "'host_name' cannot be overridden",
        ] {
            assert!(errs.iter().any(|e| e.contains(wanted)), "{wanted}: {errs:?}");
        }
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
}
