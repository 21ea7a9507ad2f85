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
    ) -> (Vec<HostDependency>, Vec<ServiceDependency>) {
        let hostdependencies = self.host_dependencies(known);
        let servicedependencies = self.service_dependencies(known);
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

    fn service_dependencies(&mut self, known: &Resolved<'r, 'a>) -> Vec<ServiceDependency> {
        let host_names = &known.host_names;
        let services = &known.service_index;
        let mut out = Vec::new();
        for obj in self.real(ObjectKind::Servicedependency) {
            let r = Reader::new(obj);
            let loc = self.obj_loc(obj);
            let masters_h = self.target_hosts(obj, "host_name", "hostgroup_name", known);
            // Nagios: no dependent host means the master's own host.
            let same_host =
                obj.value("dependent_host_name").is_none() && obj.value("dependent_hostgroup_name").is_none();
            let dependents_h = if same_host {
                masters_h.clone()
            } else {
                self.target_hosts(obj, "dependent_host_name", "dependent_hostgroup_name", known)
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
                .one_ref(obj, "dependency_period", &known.timeperiod_names, "timeperiod")
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
    use super::super::tests::errors;

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
