//! Host, service and Alignak escalations: their targets, and what they take from the object
//! they escalate (contacts, interval, period) when they do not say.
use super::{Builder, Resolved};
use crate::kind::ObjectKind;
use crate::model::*;
use crate::values::{self, Reader};

impl<'r, 'a> Builder<'r, 'a> {
    /// Host, service and Alignak escalations, one per object they apply to.
    pub(super) fn escalations(
        &mut self,
        known: &Resolved<'r, 'a>,
        hosts: &[Host],
        service_list: &[Service],
    ) -> Vec<Escalation> {
        let services = &known.service_index;
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
                let host_ids = self.target_hosts(obj, "host_name", "hostgroup_name", known);
                match (kind, obj.value("service_description")) {
                    (ObjectKind::Hostescalation, _) | (ObjectKind::Escalation, None) => {
                        targets.extend(host_ids.iter().map(|h| EscalationTarget::Host(HostId(*h))));
                    }
                    (_, Some(descs)) => {
                        for h in &host_ids {
                            let found = self.services_on(*h, descs, hosts, services, &loc);
                            targets.extend(found.into_iter().map(|s| EscalationTarget::Service(ServiceId(s))));
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
                    let msg = format!("{} needs first_notification or first_notification_time", kind.keyword());
                    if self.dialect == crate::dialect::Dialect::Nagios && obj.value("last_notification").is_none() {
                        // Nagios takes it (first and last -2) and never applies it.
                        self.warn_at(loc.clone(), format!("{msg}: it never applies, as in Nagios"));
                        continue;
                    }
                    self.error_at(loc.clone(), msg);
                }
                let contacts: Vec<ContactId> = self
                    .refs(obj, "contacts", &known.contact_names, "contact")
                    .into_iter()
                    .map(ContactId)
                    .collect();
                let groups: Vec<ContactgroupId> = self
                    .refs(obj, "contact_groups", &known.contactgroup_names, "contactgroup")
                    .into_iter()
                    .map(ContactgroupId)
                    .collect();
                let period = self
                    .one_ref(obj, "escalation_period", &known.timeperiod_names, "timeperiod")
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
                    // Unset: the object's interval in Alignak; 0 in Nagios (one notification
                    // per escalation level, as `nagios4 -vp` resolves it).
                    let unset = match self.dialect {
                        crate::dialect::Dialect::Nagios => 0.0,
                        crate::dialect::Dialect::Alignak => target_common.notification_interval,
                    };
                    let interval = match obj.value("notification_interval") {
                        Some(v) => values::parse_float(v).unwrap_or(unset),
                        None => unset,
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
}

#[cfg(test)]
mod tests {
    use super::super::tests::{host_id, ok};
    use crate::model::*;

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
}
