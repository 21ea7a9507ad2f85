//! What one scheduler is given: its part of the configuration, on its own.
//!
//! A scheduler needs the hosts and services of its part and what they refer to, not the whole
//! configuration: shipping everything to every scheduler made the arbiter's memory and a
//! take-over grow with the cluster, not with the part. [`part_config`] cuts a [`Config`] down to
//! one part, with host and service ids renumbered densely; everything small and shared by every
//! part (commands, timeperiods, contacts, realms, groups as names) is kept whole so that ids of
//! those kinds do not change. Packs (see [`crate::split`]) keep parents, dependencies and
//! business-rule members in one part, so no link leaves it.
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::diag::Location;
use crate::model::{Config, ContactId, ContactgroupId, EscalationTarget, HostId, Monitored, Part, ServiceId};

/// `config` with only the hosts of `part`, their services, and the dependencies, escalations and
/// group memberships among them. Host ids follow `part.hosts` (sorted), service ids follow their
/// hosts; the result's only part is `part` itself, renumbered. No daemon links: a scheduler
/// does not dispatch.
///
/// Locations (file and line) are left out: a scheduler reports nothing by place, and a part
/// must stay the same bytes when a definition of another part moves in its file, or an edit
/// would send every part again.
pub fn part_config(config: &Config, part: &Part) -> Config {
    let nowhere = Location::new(Path::new(""), 0);
    let mut host_map: HashMap<HostId, HostId> = HashMap::with_capacity(part.hosts.len());
    for (i, h) in part.hosts.iter().enumerate() {
        host_map.insert(*h, HostId(i as u32));
    }
    let mut service_map: HashMap<ServiceId, ServiceId> = HashMap::with_capacity(part.services);
    for h in &part.hosts {
        for s in &config.hosts[h.index()].services {
            let next = ServiceId(service_map.len() as u32);
            service_map.insert(*s, next);
        }
    }
    let hosts = part
        .hosts
        .iter()
        .map(|h| {
            let mut host = config.hosts[h.index()].clone();
            host.common.location = nowhere.clone();
            host.parents = host.parents.iter().filter_map(|p| host_map.get(p).copied()).collect();
            host.services = host
                .services
                .iter()
                .filter_map(|s| service_map.get(s).copied())
                .collect();
            host
        })
        .collect();
    let mut services = Vec::with_capacity(service_map.len());
    for h in &part.hosts {
        for s in &config.hosts[h.index()].services {
            let mut service = config.services[s.index()].clone();
            service.common.location = nowhere.clone();
            service.host = host_map[h];
            services.push(service);
        }
    }
    let hostgroups = config
        .hostgroups
        .iter()
        .map(|g| crate::model::Group {
            members: g.members.iter().filter_map(|m| host_map.get(m).copied()).collect(),
            location: nowhere.clone(),
            ..g.clone()
        })
        .collect();
    let servicegroups = config
        .servicegroups
        .iter()
        .map(|g| crate::model::Group {
            members: g.members.iter().filter_map(|m| service_map.get(m).copied()).collect(),
            location: nowhere.clone(),
            ..g.clone()
        })
        .collect();
    let hostdependencies = config
        .hostdependencies
        .iter()
        .filter_map(|d| {
            Some(crate::model::HostDependency {
                master: *host_map.get(&d.master)?,
                dependent: *host_map.get(&d.dependent)?,
                location: nowhere.clone(),
                ..d.clone()
            })
        })
        .collect();
    let servicedependencies = config
        .servicedependencies
        .iter()
        .filter_map(|d| {
            Some(crate::model::ServiceDependency {
                master: *service_map.get(&d.master)?,
                dependent: *service_map.get(&d.dependent)?,
                location: nowhere.clone(),
                ..d.clone()
            })
        })
        .collect();
    let escalations = config
        .escalations
        .iter()
        .filter_map(|e| {
            let target = match e.target {
                EscalationTarget::Host(h) => EscalationTarget::Host(*host_map.get(&h)?),
                EscalationTarget::Service(s) => EscalationTarget::Service(*service_map.get(&s)?),
            };
            Some(crate::model::Escalation {
                target,
                location: nowhere.clone(),
                ..e.clone()
            })
        })
        .collect();
    let only = Part {
        realm: part.realm,
        scheduler: part.scheduler,
        hosts: (0..part.hosts.len() as u32).map(HostId).collect(),
        services: service_map.len(),
        hash: part.hash.clone(),
    };
    Config {
        web_access: config.web_access.clone(),
        globals: config.globals.clone(),
        resources: config.resources.clone(),
        interval_length: config.interval_length,
        commands: config
            .commands
            .iter()
            .map(|c| crate::model::Command {
                location: nowhere.clone(),
                ..c.clone()
            })
            .collect(),
        timeperiods: config.timeperiods.clone(),
        hosts,
        services,
        contacts: config
            .contacts
            .iter()
            .map(|c| crate::model::Contact {
                location: nowhere.clone(),
                ..c.clone()
            })
            .collect(),
        contactgroups: config
            .contactgroups
            .iter()
            .map(|g| crate::model::Group {
                location: nowhere.clone(),
                ..g.clone()
            })
            .collect(),
        hostgroups,
        servicegroups,
        notificationways: config
            .notificationways
            .iter()
            .map(|w| crate::model::Notificationway {
                location: nowhere.clone(),
                ..w.clone()
            })
            .collect(),
        hostdependencies,
        servicedependencies,
        escalations,
        realms: config
            .realms
            .iter()
            .map(|r| crate::model::Realm {
                location: None,
                ..r.clone()
            })
            .collect(),
        daemons: Vec::new(),
        others: config
            .others
            .iter()
            .map(|o| crate::model::OtherObject {
                location: nowhere.clone(),
                ..o.clone()
            })
            .collect(),
        parts: vec![only],
        dialect: config.dialect,
        dialect_why: config.dialect_why.clone(),
        warnings: Vec::new(),
    }
}

/// Makes equal shared values one allocation again. A decoded configuration has one copy per
/// object of what the loader shared (file names of locations, service descriptions, check
/// command calls, contact lists): on a part of 250,000 services that is tens of megabytes.
pub fn share_repeated(config: &mut Config) {
    let mut seen = Seen::default();
    for h in &mut config.hosts {
        seen.common(&mut h.common);
    }
    for s in &mut config.services {
        Seen::one(&mut seen.strs, &mut s.description);
        seen.common(&mut s.common);
    }
}

/// The values met so far, by kind.
#[derive(Default)]
struct Seen {
    files: HashSet<Arc<Path>>,
    strs: HashSet<Arc<str>>,
    contacts: HashSet<Arc<[ContactId]>>,
    groups: HashSet<Arc<[ContactgroupId]>>,
}

impl Seen {
    fn one<K: ?Sized + Eq + std::hash::Hash>(seen: &mut HashSet<Arc<K>>, value: &mut Arc<K>) {
        match seen.get(&**value) {
            Some(kept) => *value = kept.clone(),
            None => {
                seen.insert(value.clone());
            }
        }
    }

    fn common(&mut self, m: &mut Monitored) {
        Seen::one(&mut self.files, &mut m.location.file);
        if let Some(c) = &mut m.check_command {
            Seen::one(&mut self.strs, &mut c.raw);
        }
        Seen::one(&mut self.contacts, &mut m.contacts);
        Seen::one(&mut self.groups, &mut m.contact_groups);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Config {
        let dir = tempfile::tempdir().expect("tempdir");
        let main = dir.path().join("main.cfg");
        std::fs::write(&main, text).expect("write");
        crate::load(&main).expect("valid configuration")
    }

    /// Two schedulers; a chain a0 → a1 → a2 (one pack) with a dependency and an escalation, and
    /// loose hosts b0..b3; groups span both parts.
    fn two_parts() -> Config {
        let mut text = String::from(
            "define command {\n command_name c\n command_line /bin/true $ARG1$\n}\n\
             define contact {\n contact_name admin\n}\n\
             define scheduler {\n scheduler_name s1\n}\ndefine scheduler {\n scheduler_name s2\n}\n\
             define poller {\n poller_name p\n}\n\
             define hostgroup {\n hostgroup_name all\n members *\n}\n\
             define servicegroup {\n servicegroup_name web\n}\n",
        );
        for (name, parent) in [
            ("a0", ""),
            ("a1", "a0"),
            ("a2", "a1"),
            ("b0", ""),
            ("b1", ""),
            ("b2", ""),
            ("b3", ""),
        ] {
            let parents = if parent.is_empty() {
                String::new()
            } else {
                format!(" parents {parent}\n")
            };
            text += &format!(
                "define host {{\n host_name {name}\n check_command c!x\n max_check_attempts 2\n contacts admin\n{parents}}}\n"
            );
        }
        text += "define service {\n hostgroup_name all\n service_description http\n check_command c!y\n servicegroups web\n max_check_attempts 2\n contacts admin\n}\n\
                 define service {\n host_name a2\n service_description disk\n check_command c\n max_check_attempts 2\n}\n\
                 define servicedependency {\n host_name a0\n service_description http\n dependent_host_name a2\n dependent_service_description disk\n}\n\
                 define serviceescalation {\n host_name a2\n service_description disk\n first_notification 2\n last_notification 0\n contacts admin\n}\n";
        load(&text)
    }

    #[test]
    fn a_part_holds_its_hosts_and_what_links_them_renumbered() {
        let config = two_parts();
        assert_eq!(config.parts.len(), 2);
        let mut seen_hosts = 0;
        for part in &config.parts {
            let sub = part_config(&config, part);
            seen_hosts += sub.hosts.len();
            assert_eq!(sub.parts.len(), 1);
            assert_eq!(sub.parts[0].hosts.len(), part.hosts.len());
            assert_eq!(sub.parts[0].hash, part.hash);
            assert!(sub.daemons.is_empty());
            // Same hosts, same order, same services.
            let names: Vec<&str> = sub.hosts.iter().map(|h| h.name.as_str()).collect();
            let want: Vec<&str> = part
                .hosts
                .iter()
                .map(|h| config.hosts[h.index()].name.as_str())
                .collect();
            assert_eq!(names, want);
            assert_eq!(sub.services.len(), part.services);
            for (i, h) in sub.hosts.iter().enumerate() {
                for s in &h.services {
                    assert_eq!(
                        sub.services[s.index()].host,
                        HostId(i as u32),
                        "service points back to its host"
                    );
                }
                for p in &h.parents {
                    assert!(p.index() < sub.hosts.len());
                }
            }
            // Groups keep their ids, with only this part's members.
            assert_eq!(sub.hostgroups.len(), config.hostgroups.len());
            assert_eq!(sub.hostgroups[0].members.len(), sub.hosts.len());
            assert_eq!(sub.servicegroups[0].members.len(), sub.hosts.len());
            let has_chain = sub.hosts.iter().any(|h| h.name == "a2");
            assert_eq!(sub.servicedependencies.len(), has_chain as usize);
            assert_eq!(sub.escalations.len(), has_chain as usize);
            if has_chain {
                let a2 = sub.hosts.iter().position(|h| h.name == "a2").expect("a2");
                assert_eq!(sub.hosts[a2].parents.len(), 1);
                let d = &sub.servicedependencies[0];
                assert_eq!(sub.hosts[sub.services[d.dependent.index()].host.index()].name, "a2");
                assert_eq!(&*sub.services[d.dependent.index()].description, "disk");
                assert_eq!(sub.hosts[sub.services[d.master.index()].host.index()].name, "a0");
                let EscalationTarget::Service(s) = sub.escalations[0].target else {
                    panic!("a service escalation")
                };
                assert_eq!(&*sub.services[s.index()].description, "disk");
            }
        }
        assert_eq!(seen_hosts, config.hosts.len());
    }

    #[test]
    fn a_part_does_not_depend_on_where_its_objects_are_written() {
        let config = two_parts();
        for part in &config.parts {
            let sub = part_config(&config, part);
            assert!(sub.services.iter().all(|s| s.common.location.line == 0));
            assert!(sub.hosts.iter().all(|h| h.common.location.line == 0));
        }
    }

    #[test]
    fn shared_values_are_one_allocation_again() {
        let config = two_parts();
        let mut sub = part_config(&config, &config.parts[0]);
        // As a decoder leaves them: one allocation per object.
        for s in &mut sub.services {
            s.description = Arc::from(&*s.description);
            s.common.location.file = Arc::from(&*s.common.location.file);
        }
        share_repeated(&mut sub);
        let first = &sub.services[0];
        for s in &sub.services[1..] {
            if s.description == first.description {
                assert!(Arc::ptr_eq(&s.description, &first.description));
            }
            assert!(Arc::ptr_eq(&s.common.location.file, &first.common.location.file));
        }
    }
}
