//! Host, service and contact groups: members from both sides (the group's `members` and the
//! member's own `hostgroups`/`servicegroups`/`contactgroups`), nested groups flattened, and the
//! groups Alignak creates when a member names one nobody defined. Each family resolves its own
//! groups with this; only what differs between the kinds is in [`GroupKind`].
use std::collections::BTreeMap;

use super::{at_of, extra, Builder, Names};
use crate::diag::Location;
use crate::inherit::FlatObject;
use crate::kind::ObjectKind;
use crate::model::Group;
use crate::values::{self, Reader};

/// Properties read into typed fields; the others (notes, icons, …) go to `extra`.
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

/// The groups of one kind as declared: the defined ones first, then the implied ones.
pub(super) struct GroupKind<'r, 'a> {
    kind: ObjectKind,
    pub(super) objs: Vec<&'r FlatObject<'a>>,
    pub(super) names: Names<'r>,
    /// Named by members but not defined: (name, where first named).
    implied: Vec<(String, Location)>,
}

impl GroupKind<'_, '_> {
    /// What a member is called in messages.
    fn member_what(&self) -> &'static str {
        match self.kind {
            ObjectKind::Hostgroup => "host",
            ObjectKind::Servicegroup => "service",
            _ => "contact",
        }
    }

    /// The key a group names its nested groups with.
    fn nested_key(&self) -> &'static str {
        match self.kind {
            ObjectKind::Hostgroup => "hostgroup_members",
            ObjectKind::Servicegroup => "servicegroup_members",
            _ => "contactgroup_members",
        }
    }

    /// The key a member names its groups with.
    fn member_key(&self) -> &'static str {
        match self.kind {
            ObjectKind::Hostgroup => "hostgroups",
            ObjectKind::Servicegroup => "servicegroups",
            _ => "contactgroups",
        }
    }

    /// An empty member list per group, to fill from the members' side.
    pub(super) fn no_members(&self) -> Vec<Vec<u32>> {
        vec![Vec::new(); self.names.order.len()]
    }
}

impl<'r, 'a> Builder<'r, 'a> {
    /// The defined groups of `kind`, named and checked like any object.
    pub(super) fn declared_groups(&mut self, kind: ObjectKind) -> GroupKind<'r, 'a> {
        let objs = self.real(kind);
        let (names, objs) = self.names(kind, &objs);
        GroupKind {
            kind,
            objs,
            names,
            implied: Vec::new(),
        }
    }

    /// Groups that members name in their own `hostgroups`/`servicegroups`/`contactgroups` but
    /// that are not defined. Alignak creates them (`Hostgroups.add_member`), and so does Vigia
    /// in its dialect, with a warning so the typo is still seen; Nagios refuses the
    /// configuration, and so does Vigia in Nagios's.
    pub(super) fn implied_groups(&mut self, members: &[&'r FlatObject<'a>], groups: &mut GroupKind<'r, 'a>) {
        let key = groups.member_key();
        let what = groups.kind.keyword();
        for obj in members {
            let Some(list) = obj.value(key) else { continue };
            for item in values::split_list(list) {
                let name = item.trim_start_matches('!').trim();
                if name.is_empty() || name == "*" || groups.names.get(name).is_some() {
                    continue;
                }
                let at = at_of(obj, key);
                let loc = self.loc(at.0, at.1);
                if self.dialect == crate::dialect::Dialect::Nagios {
                    self.error_at(loc, format!("{what} '{name}' is not defined"));
                    continue;
                }
                self.warn_at(
                    loc.clone(),
                    format!("{what} '{name}' is not defined: created with the members that name it (as Alignak does)"),
                );
                let name: &'r str = self.arena.alloc(name.to_string());
                groups.names.ids.insert(name, groups.names.order.len() as u32);
                groups.names.order.push(name);
                groups.implied.push((name.to_string(), loc));
            }
        }
    }

    /// The groups with their members from both sides (`members` holds what the members' side
    /// named) and nested groups flattened (loops reported).
    pub(super) fn groups(
        &mut self,
        groups: &GroupKind<'r, 'a>,
        mut members: Vec<Vec<u32>>,
        member_names: &Names<'_>,
    ) -> Vec<Group<u32>> {
        let objs = &groups.objs;
        let name_key = groups.kind.name_key().unwrap_or("name");
        let nested_key = groups.nested_key();
        let mut nested: Vec<Vec<u32>> = vec![Vec::new(); objs.len() + groups.implied.len()];
        for (g, obj) in objs.iter().enumerate() {
            // A servicegroup's `members` are host,service pairs: read by the services family.
            if groups.kind != ObjectKind::Servicegroup {
                members[g].extend(self.refs(obj, "members", member_names, groups.member_what()));
            }
            nested[g] = self.refs(obj, nested_key, &groups.names, "group");
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
                extra: extra(obj, GROUP_TYPED),
                location: self.obj_loc(obj),
            });
        }
        for (i, (name, location)) in groups.implied.iter().enumerate() {
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
}

impl Group<u32> {
    /// The members as typed ids, once the group is complete.
    pub(super) fn map<T>(self, f: impl Fn(u32) -> T) -> Group<T> {
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
    use super::super::tests::{host, ok};
    use crate::model::*;

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
}
