//! Hosts and host groups: parents checked for loops, groups from both sides, and the realm a
//! host takes from its hostgroup.
use super::{At, Builder, Resolved};
use crate::inherit::FlatObject;
use crate::kind::ObjectKind;
use crate::model::*;
use crate::values::Reader;

impl<'r, 'a> Builder<'r, 'a> {
    pub(super) fn hosts(&mut self, known: &mut Resolved<'r, 'a>, defaults: &Monitored) -> Vec<Host> {
        let mut hgs = self.declared_groups(ObjectKind::Hostgroup);
        let objs = self.real(ObjectKind::Host);
        let (host_names, host_objs) = self.names(ObjectKind::Host, &objs);
        self.implied_groups(&host_objs, &mut hgs);
        let mut hg_members = hgs.no_members();
        let mut hosts = Vec::with_capacity(host_objs.len());
        for (i, obj) in host_objs.iter().enumerate() {
            let r = Reader::new(obj);
            for g in self.refs(obj, "hostgroups", &hgs.names, "hostgroup") {
                hg_members[g as usize].push(i as u32);
            }
            let parents: Vec<HostId> = self
                .refs(obj, "parents", &host_names, "host")
                .into_iter()
                .map(HostId)
                .collect();
            let name = r.string("host_name");
            let address = r.opt("address").map_or_else(|| name.clone(), str::to_string);
            let realm = self.one_ref(obj, "realm", &known.realm_names, "realm").map(RealmId);
            let common = self.monitored(obj, &[], &[], defaults, known);
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
        let hg_list = self.groups(&hgs, hg_members, &host_names);
        for (g, group) in hg_list.iter().enumerate() {
            for m in &group.members {
                hosts[*m as usize].hostgroups.push(HostgroupId(g as u32));
            }
        }
        // A host without a realm takes its hostgroup's (Alignak). A host whose own realm, or
        // whose other hostgroup's, is another one keeps the first and is reported.
        let own_realm: Vec<bool> = hosts.iter().map(|h| h.realm.is_some()).collect();
        for (g, obj) in hgs.objs.iter().enumerate() {
            if let Some(realm) = self.one_ref(obj, "realm", &known.realm_names, "realm") {
                for m in &hg_list[g].members {
                    let host = &mut hosts[*m as usize];
                    let kept = *host.realm.get_or_insert(RealmId(realm));
                    if kept.0 != realm {
                        let why = if own_realm[*m as usize] {
                            "its own"
                        } else {
                            "another hostgroup's"
                        };
                        let realm_name = |id: u32| {
                            known
                                .realm_names
                                .ids
                                .iter()
                                .find(|(_, v)| **v == id)
                                .map_or("?", |(k, _)| *k)
                        };
                        let (host_name, kept_name, group_realm) =
                            (host.name.clone(), realm_name(kept.0), realm_name(realm));
                        let loc = self.prop_loc(obj, "realm");
                        self.warn_at(
                            loc,
                            format!(
                                "host '{host_name}' is in realm '{kept_name}' ({why}), not in its hostgroup's realm '{group_realm}'"
                            ),
                        );
                    }
                }
            }
        }
        known.host_names = host_names;
        known.host_objs = host_objs;
        known.hostgroup_names = hgs.names;
        known.hostgroups = hg_list.into_iter().map(|g| g.map(HostId)).collect();
        hosts
    }

    /// The hosts an Alignak hostgroup expression selects: `linux&web`, `(linux|web)&!prod`,
    /// `,` as `|`, `*` for every host. `None` (reported at `at`) when it does not parse or
    /// names an unknown group.
    pub(super) fn hostgroup_expression(&mut self, expr: &str, at: At, known: &Resolved<'r, 'a>) -> Option<Vec<u32>> {
        let tokens: Vec<char> = expr.chars().filter(|c| !c.is_whitespace()).collect();
        let all = known.host_names.order.len();
        let mut pos = 0;
        let result = group_expr(&tokens, &mut pos, all, known);
        let result = match result {
            Ok(set) if pos == tokens.len() => Ok(set),
            Ok(_) => Err(format!("unexpected '{}'", tokens[pos..].iter().collect::<String>())),
            Err(e) => Err(e),
        };
        match result {
            Ok(set) => Some((0..all as u32).filter(|h| set[*h as usize]).collect()),
            Err(e) => {
                self.error_at(self.loc(at.0, at.1), format!("hostgroup expression '{expr}': {e}"));
                None
            }
        }
    }

    /// Hosts named by `host_name`/`hostgroup_name`-style keys of a dependency or escalation.
    pub(super) fn target_hosts(
        &mut self,
        obj: &FlatObject<'_>,
        host_key: &str,
        group_key: &str,
        known: &Resolved<'r, 'a>,
    ) -> Vec<u32> {
        let mut out = self.refs(obj, host_key, &known.host_names, "host");
        for g in self.refs(obj, group_key, &known.hostgroup_names, "hostgroup") {
            out.extend(known.hostgroups[g as usize].members.iter().map(|h| h.0));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// `a|b`, `a,b`: either.
fn group_expr(t: &[char], pos: &mut usize, all: usize, known: &Resolved<'_, '_>) -> Result<Vec<bool>, String> {
    let mut set = group_term(t, pos, all, known)?;
    while *pos < t.len() && (t[*pos] == '|' || t[*pos] == ',') {
        *pos += 1;
        let other = group_term(t, pos, all, known)?;
        set.iter_mut().zip(other).for_each(|(a, b)| *a |= b);
    }
    Ok(set)
}

/// `a&b`: both.
fn group_term(t: &[char], pos: &mut usize, all: usize, known: &Resolved<'_, '_>) -> Result<Vec<bool>, String> {
    let mut set = group_factor(t, pos, all, known)?;
    while *pos < t.len() && t[*pos] == '&' {
        *pos += 1;
        let other = group_factor(t, pos, all, known)?;
        set.iter_mut().zip(other).for_each(|(a, b)| *a &= b);
    }
    Ok(set)
}

/// `!a`, `(…)`, `*`, or a group name.
fn group_factor(t: &[char], pos: &mut usize, all: usize, known: &Resolved<'_, '_>) -> Result<Vec<bool>, String> {
    match t.get(*pos) {
        Some('!') => {
            *pos += 1;
            Ok(group_factor(t, pos, all, known)?.into_iter().map(|b| !b).collect())
        }
        Some('(') => {
            *pos += 1;
            let set = group_expr(t, pos, all, known)?;
            if t.get(*pos) != Some(&')') {
                return Err("missing ')'".into());
            }
            *pos += 1;
            Ok(set)
        }
        Some('*') => {
            *pos += 1;
            Ok(vec![true; all])
        }
        _ => {
            let start = *pos;
            while *pos < t.len() && !matches!(t[*pos], '|' | ',' | '&' | '!' | '(' | ')') {
                *pos += 1;
            }
            let name: String = t[start..*pos].iter().collect();
            if name.is_empty() {
                return Err("a group name is missing".into());
            }
            let g = known
                .hostgroup_names
                .get(&name)
                .ok_or_else(|| format!("unknown hostgroup '{name}'"))?;
            let mut set = vec![false; all];
            for h in &known.hostgroups[g as usize].members {
                set[h.index()] = true;
            }
            Ok(set)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{host, ok};

    #[test]
    fn a_host_in_another_realm_than_its_hostgroup_is_reported() {
        let c = ok("define realm {\n realm_name All\n default 1\n realm_members Europe\n}\ndefine realm {\n realm_name Europe\n}\n\
            define hostgroup {\n hostgroup_name eu\n realm Europe\n}\n\
            define host {\n host_name a\n hostgroups eu\n realm All\n}\n");
        assert_eq!(
            c.realms[host(&c, "a").realm.expect("realm").index()].name,
            "All",
            "its own wins"
        );
        assert!(
            c.warnings.iter().any(|w| w
                .message
                .contains("host 'a' is in realm 'All' (its own), not in its hostgroup's realm 'Europe'")),
            "{:?}",
            c.warnings
        );
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
