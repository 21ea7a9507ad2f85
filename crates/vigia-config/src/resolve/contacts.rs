//! Contacts, their notification ways and contact groups.
use std::collections::BTreeMap;

use super::{extra, Builder, Resolved};
use crate::inherit::FlatObject;
use crate::kind::ObjectKind;
use crate::model::*;
use crate::values::Reader;

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

impl<'r, 'a> Builder<'r, 'a> {
    pub(super) fn notificationways(&mut self, known: &mut Resolved<'r, 'a>) -> Vec<Notificationway> {
        let objs = self.real(ObjectKind::Notificationway);
        let (nw_names, nw_objs) = self.names(ObjectKind::Notificationway, &objs);
        let mut notificationways = Vec::with_capacity(nw_objs.len());
        for obj in &nw_objs {
            notificationways.push(Notificationway {
                name: Reader::new(obj).string("notificationway_name"),
                notifications: self.notification_settings(obj, known),
                location: self.obj_loc(obj),
            });
        }
        known.notificationway_names = nw_names;
        notificationways
    }

    /// The contacts, then the contact groups (members from both sides).
    pub(super) fn contacts(&mut self, known: &mut Resolved<'r, 'a>) -> (Vec<Contact>, Vec<Group<ContactId>>) {
        let mut cgs = self.declared_groups(ObjectKind::Contactgroup);
        let objs = self.real(ObjectKind::Contact);
        let (contact_names, contact_objs) = self.names(ObjectKind::Contact, &objs);
        self.implied_groups(&contact_objs, &mut cgs);
        let mut cg_members = cgs.no_members();
        let mut contacts = Vec::with_capacity(contact_objs.len());
        for (i, obj) in contact_objs.iter().enumerate() {
            let r = Reader::new(obj);
            let groups = self.refs(obj, "contactgroups", &cgs.names, "contactgroup");
            for g in &groups {
                cg_members[*g as usize].push(i as u32);
            }
            let notifications = self.notification_settings(obj, known);
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
                notifications,
                notificationways: self
                    .refs(obj, "notificationways", &known.notificationway_names, "notificationway")
                    .into_iter()
                    .map(NotificationwayId)
                    .collect(),
                can_submit_commands: r.bool_or(
                    "can_submit_commands",
                    self.dialect.default_of(ObjectKind::Contact, "can_submit_commands"),
                ),
                is_admin: r.bool("is_admin"),
                customs: customs(obj),
                extra: extra(obj, CONTACT_TYPED),
                location: self.obj_loc(obj),
            });
        }
        let cg_list = self.groups(&cgs, cg_members, &contact_names);
        for (g, group) in cg_list.iter().enumerate() {
            for m in &group.members {
                contacts[*m as usize].contactgroups.push(ContactgroupId(g as u32));
            }
        }
        known.contact_names = contact_names;
        known.contactgroup_names = cgs.names;
        (contacts, cg_list.into_iter().map(|g| g.map(ContactId)).collect())
    }

    /// What a contact and a notification way write alike. Commands are read before periods, as
    /// the order errors are reported in.
    fn notification_settings(&mut self, obj: &FlatObject<'_>, known: &mut Resolved<'r, 'a>) -> NotificationSettings {
        let r = Reader::new(obj);
        let host_cmds = self.command_list(obj, "host_notification_commands", &mut known.commands);
        let svc_cmds = self.command_list(obj, "service_notification_commands", &mut known.commands);
        let host_period = self.one_ref(obj, "host_notification_period", &known.timeperiod_names, "timeperiod");
        let svc_period = self.one_ref(
            obj,
            "service_notification_period",
            &known.timeperiod_names,
            "timeperiod",
        );
        NotificationSettings {
            host: NotificationChannel {
                period: host_period.map(TimeperiodId),
                options: r.letters("host_notification_options"),
                commands: host_cmds,
            },
            service: NotificationChannel {
                period: svc_period.map(TimeperiodId),
                options: r.letters("service_notification_options"),
                commands: svc_cmds,
            },
            min_business_impact: r.int("min_business_impact"),
        }
    }
}

/// `_NAME value` custom variables, names as written without the underscore.
fn customs(obj: &FlatObject<'_>) -> BTreeMap<String, String> {
    obj.props()
        .filter_map(|p| p.key.strip_prefix('_').map(|k| (k.to_string(), p.text().to_string())))
        .collect()
}
