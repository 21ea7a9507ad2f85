//! Host and service dependencies: masters and dependents by name or hostgroup, the Nagios
//! same-host rule, and dependency loops.
use rustc_hash::FxHashMap;

use super::{Builder, Resolved};
use crate::diag::Location;
use crate::kind::ObjectKind;
use crate::model::*;
use crate::values::Reader;

impl<'r, 'a> Builder<'r, 'a> {
    /// Host and service dependencies, each expanded to (master, dependent) pairs, then checked
    /// for loops.
    pub(super) fn dependencies(
        &mut self,
        known: &Resolved<'r, 'a>,
        hosts: &[Host],
        services: &[Service],
        servicegroups: &[Group<ServiceId>],
    ) -> (Vec<HostDependency>, Vec<ServiceDependency>) {
        let hostdependencies = self.host_dependencies(known);
        let servicedependencies = self.service_dependencies(known, hosts, services, servicegroups);
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
        (hostdependencies, servicedependencies)
    }

    fn host_dependencies(&mut self, known: &Resolved<'r, 'a>) -> Vec<HostDependency> {
        let mut out = Vec::new();
        for obj in self.real(ObjectKind::Hostdependency) {
            let r = Reader::new(obj);
            let masters = self.target_hosts(obj, "host_name", "hostgroup_name", known);
            let dependents = self.target_hosts(obj, "dependent_host_name", "dependent_hostgroup_name", known);
            let loc = self.obj_loc(obj);
            if masters.is_empty() || dependents.is_empty() {
                self.error_at(
                    loc.clone(),
                    "hostdependency names no master or no dependent host".into(),
                );
            }
            let period = self
                .one_ref(obj, "dependency_period", &known.timeperiod_names, "timeperiod")
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

    /// Service dependencies. Masters: `service_description` (names, `*`, `!name`) on the
    /// `host_name`/`hostgroup_name` hosts, and the members of `servicegroup_name`. Dependents:
    /// the members of `dependent_servicegroup_name`, else `dependent_service_description` on
    /// the dependent hosts, which are the master's own host when none is named (Nagios); a
    /// master named by description only, without hosts, is taken on each dependent's host.
    fn service_dependencies(
        &mut self,
        known: &Resolved<'r, 'a>,
        hosts: &[Host],
        services: &[Service],
        servicegroups: &[Group<ServiceId>],
    ) -> Vec<ServiceDependency> {
        let index = &known.service_index;
        let group_members = |name: &str| -> Option<Vec<u32>> {
            servicegroups
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.members.iter().map(|s| s.0).collect())
        };
        let mut out = Vec::new();
        for obj in self.real(ObjectKind::Servicedependency) {
            let r = Reader::new(obj);
            let loc = self.obj_loc(obj);
            let group = |s: &mut Self, key: &str| -> Option<Vec<u32>> {
                let name = obj.value(key).map(str::trim).filter(|n| !n.is_empty())?;
                let members = group_members(name);
                if members.is_none() {
                    s.error_at(loc.clone(), format!("unknown servicegroup '{name}'"));
                }
                Some(members.unwrap_or_default())
            };
            let master_group = group(self, "servicegroup_name");
            let dependent_group = group(self, "dependent_servicegroup_name");
            let masters_h = self.target_hosts(obj, "host_name", "hostgroup_name", known);
            let master_descs = obj.value("service_description").unwrap_or("");
            let dependent_hosts_named =
                obj.value("dependent_host_name").is_some() || obj.value("dependent_hostgroup_name").is_some();
            // (host, service) of every dependent, and per dependent the masters it waits on.
            let dependents: Vec<u32> = match &dependent_group {
                Some(members) => members.clone(),
                None => {
                    if obj.value("dependent_service_description").is_none() {
                        self.error_at(
                            loc.clone(),
                            "servicedependency has no 'dependent_service_description'".into(),
                        );
                        continue;
                    }
                    let dep_descs = obj.value("dependent_service_description").unwrap_or("");
                    let dependent_hosts = if dependent_hosts_named {
                        self.target_hosts(obj, "dependent_host_name", "dependent_hostgroup_name", known)
                    } else {
                        masters_h.clone()
                    };
                    dependent_hosts
                        .iter()
                        .flat_map(|h| self.services_on(*h, dep_descs, hosts, index, &loc))
                        .collect()
                }
            };
            // Without named dependent hosts, a dependent waits on the masters of its own host.
            let same_host = !dependent_hosts_named;
            let mut masters_of_host: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
            let mut all_masters: Vec<u32> = master_group.clone().unwrap_or_default();
            for &m in &all_masters {
                masters_of_host.entry(services[m as usize].host.0).or_default().push(m);
            }
            if !master_descs.trim().is_empty() {
                let master_hosts: Vec<u32> = if masters_h.is_empty() && dependent_group.is_some() {
                    let mut hs: Vec<u32> = dependents.iter().map(|d| services[*d as usize].host.0).collect();
                    hs.sort_unstable();
                    hs.dedup();
                    hs
                } else {
                    masters_h.clone()
                };
                for h in master_hosts {
                    let found = self.services_on(h, master_descs, hosts, index, &loc);
                    masters_of_host.entry(h).or_default().extend(found.iter().copied());
                    all_masters.extend(found);
                }
            }
            let period = self
                .one_ref(obj, "dependency_period", &known.timeperiod_names, "timeperiod")
                .map(TimeperiodId);
            for d in dependents {
                let dh = services[d as usize].host.0;
                let masters: &[u32] = if same_host {
                    masters_of_host.get(&dh).map(Vec::as_slice).unwrap_or(&[])
                } else {
                    &all_masters
                };
                for &m in masters {
                    out.push(ServiceDependency {
                        master: ServiceId(m),
                        dependent: ServiceId(d),
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
}

#[cfg(test)]
mod tests {
    use super::super::tests::{errors, ok, service};

    #[test]
    fn dependents_from_a_servicegroup_wait_on_the_master_of_their_own_host() {
        let c = ok("define host {\n host_name a\n}\ndefine host {\n host_name b\n}\n\
            define service {\n host_name a,b\n service_description master\n check_command c\n}\n\
            define service {\n host_name a,b\n service_description web\n check_command c\n servicegroups front\n}\n\
            define service {\n host_name a,b\n service_description dns\n check_command c\n}\n\
            define servicegroup {\n servicegroup_name front\n}\n\
            define servicedependency {\n service_description master\n dependent_servicegroup_name front\n notification_failure_criteria c\n}\n\
            define servicedependency {\n host_name a\n service_description *,!master,!web\n dependent_service_description master\n}\n");
        let id = |h: &str, d: &str| {
            let s = service(&c, h, d);
            c.services.iter().position(|x| std::ptr::eq(x, s)).expect("service") as u32
        };
        let pairs: Vec<(u32, u32)> = c
            .servicedependencies
            .iter()
            .map(|d| (d.master.0, d.dependent.0))
            .collect();
        assert!(pairs.contains(&(id("a", "master"), id("a", "web"))), "{pairs:?}");
        assert!(pairs.contains(&(id("b", "master"), id("b", "web"))), "{pairs:?}");
        // `*,!master,!web` on a: dns only.
        assert!(pairs.contains(&(id("a", "dns"), id("a", "master"))), "{pairs:?}");
        assert_eq!(pairs.len(), 3, "{pairs:?}");
        let errs = errors(
            "define host {\n host_name a\n}\n\
            define service {\n host_name a\n service_description x\n check_command c\n}\n\
            define servicedependency {\n host_name a\n service_description x\n dependent_servicegroup_name nosuch\n}\n",
        );
        assert!(
            errs.iter().any(|e| e.contains("unknown servicegroup 'nosuch'")),
            "{errs:?}"
        );
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
}
