//! Realms and daemon links, with the realm and daemons Alignak implies when none is defined.
use std::collections::BTreeMap;

use super::{extra, Builder, Names, Resolved};
use crate::inherit::FlatObject;
use crate::kind::ObjectKind;
use crate::model::*;
use crate::values::{self, Reader};

/// Properties read into typed fields; the others go to `extra`.
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
    "isolated_notification_hold",
    "modules",
];

impl<'r, 'a> Builder<'r, 'a> {
    /// The realms (their tree is checked by the split), with the implied `All` when none is
    /// defined.
    pub(super) fn realms(&mut self, known: &mut Resolved<'r, 'a>) -> Vec<Realm> {
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
        for (i, realm) in realms.iter().enumerate() {
            let name: &'r str = self.arena.alloc(realm.name.clone());
            known.realm_names.ids.insert(name, i as u32);
        }
        realms
    }

    /// The daemon links defined, then an implied master for each role nobody defined, as
    /// Alignak does.
    pub(super) fn daemons(&mut self, known: &Resolved<'r, 'a>, realms: &[Realm], hosts: &[Host]) -> Vec<DaemonLink> {
        let mut daemons = Vec::new();
        // A daemon that names no realm is in the default one (Alignak), not the first read.
        let default_realm = realms.iter().position(|r| r.default).unwrap_or(0) as u32;
        for role in Role::ALL {
            let objs = self.real(role.kind());
            let (_, kept) = self.names(role.kind(), &objs);
            for obj in kept {
                daemons.push(self.daemon(obj, role, &known.realm_names, default_realm));
            }
        }
        for role in Role::ALL {
            if !daemons.iter().any(|d: &DaemonLink| d.role == role) {
                daemons.push(implied_daemon(role, RealmId(default_realm)));
            }
        }
        self.launch_missing_daemons(&mut daemons, realms, hosts, default_realm);
        daemons
    }

    /// Alignak's `launch_missing_daemons=1`: a realm with hosts and no scheduler or poller of
    /// its own gets one (`ROLE-REALM` on 127.0.0.1, ports from `daemons_initial_port`, 7800),
    /// with a warning; without it the split refuses such a realm.
    fn launch_missing_daemons(
        &mut self,
        daemons: &mut Vec<DaemonLink>,
        realms: &[Realm],
        hosts: &[Host],
        default_realm: u32,
    ) {
        let global = |key: &str| {
            self.tree
                .globals
                .iter()
                .rev()
                .find(|s| s.key == key)
                .map(|s| s.value.clone())
        };
        if !global("launch_missing_daemons").is_some_and(|v| values::parse_bool(&v).unwrap_or(false)) {
            return;
        }
        let mut port = global("daemons_initial_port")
            .and_then(|v| v.trim().parse::<u16>().ok())
            .unwrap_or(7800);
        let with_hosts: std::collections::BTreeSet<u32> =
            hosts.iter().map(|h| h.realm.map_or(default_realm, |r| r.0)).collect();
        for r in with_hosts {
            for role in [Role::Scheduler, Role::Poller] {
                // A scheduler of its own; a poller of its own or of a realm above it that
                // manages its sub-realms.
                let below = |top: u32| {
                    let mut stack = vec![top];
                    let mut seen = std::collections::BTreeSet::new();
                    while let Some(x) = stack.pop() {
                        if x == r {
                            return true;
                        }
                        if seen.insert(x) {
                            stack.extend(
                                realms
                                    .get(x as usize)
                                    .into_iter()
                                    .flat_map(|x| x.members.iter().map(|m| m.0)),
                            );
                        }
                    }
                    false
                };
                let served = daemons.iter().any(|d| {
                    d.role == role
                        && !d.spare
                        && (d.realm.0 == r || (role != Role::Scheduler && d.manage_sub_realms && below(d.realm.0)))
                });
                if served {
                    continue;
                }
                let realm_name = realms.get(r as usize).map_or("?", |x| x.name.as_str()).to_string();
                let mut d = implied_daemon(role, RealmId(r));
                d.name = format!("{}-{realm_name}", role.name());
                d.port = port;
                port = port.saturating_add(1);
                self.diags.warning(
                    None,
                    format!(
                        "{} added for realm '{realm_name}' on {}:{} (launch_missing_daemons, as Alignak does)",
                        d.name, d.address, d.port
                    ),
                );
                daemons.push(d);
            }
        }
    }

    fn daemon(&mut self, obj: &FlatObject<'_>, role: Role, realms: &Names<'_>, default_realm: u32) -> DaemonLink {
        let r = Reader::new(obj);
        let name_key = role.kind().name_key().unwrap_or("name");
        let realm = self.one_ref(obj, "realm", realms, "realm").unwrap_or(default_realm);
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
            isolated_notification_hold: u32::try_from(r.int("isolated_notification_hold").max(0)).unwrap_or(u32::MAX),
            modules: r.list("modules").into_iter().map(str::to_string).collect(),
            extra: extra(obj, DAEMON_TYPED),
            location: Some(self.obj_loc(obj)),
        }
    }
}

/// The master Alignak creates for a role nobody defined: on localhost, default port.
fn implied_daemon(role: Role, realm: RealmId) -> DaemonLink {
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
        isolated_notification_hold: if role == Role::Scheduler {
            values::parse_int(get("isolated_notification_hold")).unwrap_or(0).max(0) as u32
        } else {
            0
        },
        modules: Vec::new(),
        extra: BTreeMap::new(),
        location: None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tests::{ok, BASE};
    use crate::load;
    use crate::model::*;

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
    fn a_daemon_without_realm_is_in_the_default_realm() {
        let c = ok("define realm {\n realm_name Europe\n}\n\
            define realm {\n realm_name All\n default 1\n realm_members Europe\n}\n\
            define scheduler {\n scheduler_name s\n address 127.0.0.1\n port 7768\n}\n\
            define host {\n host_name a\n}\n");
        let s = c.daemons.iter().find(|d| d.name == "s").expect("scheduler");
        assert_eq!(
            c.realms[s.realm.index()].name,
            "All",
            "the default realm, not the first read"
        );
    }

    #[test]
    fn launch_missing_daemons_adds_a_scheduler_to_a_realm_without_one() {
        let text = "define realm {\n realm_name All\n default 1\n realm_members Distant\n}\ndefine realm {\n realm_name Distant\n}\n\
            define scheduler {\n scheduler_name s\n address 127.0.0.1\n port 7768\n realm All\n}\n\
            define poller {\n poller_name p\n address 127.0.0.1\n port 7771\n realm All\n manage_sub_realms 1\n}\n\
            define host {\n host_name far\n realm Distant\n}\n";
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("objects.cfg"), format!("{BASE}{text}")).expect("write");
        std::fs::write(
            dir.path().join("alignak.cfg"),
            "launch_missing_daemons=1\ncfg_file=objects.cfg\n",
        )
        .expect("write");
        let c = load(&dir.path().join("alignak.cfg")).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics.items));
        let added: Vec<(&str, u16)> = c
            .daemons
            .iter()
            .filter(|d| c.realms[d.realm.index()].name == "Distant")
            .map(|d| (d.name.as_str(), d.port))
            .collect();
        assert_eq!(
            added,
            [("scheduler-Distant", 7800)],
            "the poller of All serves Distant already"
        );
        std::fs::write(dir.path().join("alignak.cfg"), "cfg_file=objects.cfg\n").expect("write");
        assert!(load(&dir.path().join("alignak.cfg")).is_err(), "without it, refused");
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
        // A daemon process setting is no link property: one warning where written, as a
        // setting Vigia does not act on.
        let workdir: Vec<String> = c
            .warnings
            .iter()
            .filter(|w| w.message.contains("workdir"))
            .map(|w| w.to_string())
            .collect();
        assert_eq!(workdir.len(), 1, "{workdir:?}");
        assert!(
            workdir[0].contains("alignak.ini:3: warning: 'workdir' has no effect in Vigia"),
            "{workdir:?}"
        );
        let _ = Path::new("");
    }
}
