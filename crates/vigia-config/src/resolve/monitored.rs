//! What hosts and services share (Alignak's scheduling item): the typed defaults, the template
//! layer computed once per `use` list, and one pass over the properties written.
use std::sync::Arc;

use super::{at_of, Builder, Resolved};
use crate::diag::Location;
use crate::inherit::{FlatObject, FlatProp};
use crate::kind::ObjectKind;
use crate::model::*;
use crate::values;

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

impl<'r, 'a> Builder<'r, 'a> {
    /// The part of a host or service definition Alignak calls a scheduling item: the type's
    /// defaults, then one pass over the properties written (the host's for the implied ones).
    pub(super) fn monitored(
        &mut self,
        obj: &FlatObject<'_>,
        overrides: &[(&'static str, &str)],
        host_implied: &[FlatProp<'_>],
        defaults: &Monitored,
        known: &mut Resolved<'r, 'a>,
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
                self.monitored_prop(&mut m, p, known);
            }
            m
        } else {
            let key = (obj.kind, inherited.as_ptr() as usize, inherited.len());
            match self.bases.get(&key) {
                Some(base) => base.clone(),
                None => {
                    let mut base = defaults.clone();
                    for p in inherited.iter().filter(|p| p.value != "null") {
                        self.monitored_prop(&mut base, p, known);
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
                self.monitored_prop(&mut m, p, known);
            }
        }
        for p in own.iter().filter(|p| p.value != "null") {
            if !overrides.iter().any(|(k, _)| *k == p.key) {
                self.monitored_prop(&mut m, p, known);
            }
        }
        for (key, value) in overrides {
            let (file, line) = at_of(obj, key);
            self.monitored_prop(&mut m, &FlatProp { key, value, file, line }, known);
        }
        m
    }

    /// Sets the field of `m` that `p` names, if it is one of the typed ones.
    fn monitored_prop(&mut self, m: &mut Monitored, p: &FlatProp<'_>, known: &mut Resolved<'r, 'a>) {
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
            "check_command" => m.check_command = self.command_call(v, at, &mut known.commands),
            "event_handler" => m.details_mut().event_handler = self.command_call(v, at, &mut known.commands),
            "check_period" => {
                m.check_period = self
                    .one_name(v, at, &known.timeperiod_names, "timeperiod")
                    .map(TimeperiodId)
            }
            "notification_period" => {
                m.notification_period = self
                    .one_name(v, at, &known.timeperiod_names, "timeperiod")
                    .map(TimeperiodId)
            }
            "maintenance_period" => {
                m.maintenance_period = self
                    .one_name(v, at, &known.timeperiod_names, "timeperiod")
                    .map(TimeperiodId)
            }
            "contacts" => {
                m.contacts = match self.shared.contacts.get(v) {
                    Some(list) => list.clone(),
                    None => {
                        let list: Arc<[ContactId]> = self
                            .name_list(v, &known.contact_names, "contact", at)
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
                            .name_list(v, &known.contactgroup_names, "contactgroup", at)
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
    pub(super) fn monitored_defaults(&mut self, kind: ObjectKind, known: &mut Resolved<'r, 'a>) -> Monitored {
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
            let default = self.dialect.default_of(kind, def.name).or(def.default);
            if let Some(default) = default.filter(|d| !d.is_empty()) {
                let p = FlatProp {
                    key: def.name,
                    value: default,
                    file: 0,
                    line: 0,
                };
                if p.key != "use" && p.key != "register" && p.key != "name" {
                    self.monitored_prop(&mut m, &p, known);
                }
            }
        }
        // Defaults that are not typed fields (notes, icons, …) are not worth a copy per object.
        if let Some(d) = m.details.as_mut() {
            d.extra.clear();
        }
        if m.details.as_deref() == Some(&Details::default()) {
            m.details = None;
        }
        m
    }
}
