//! The resolved configuration in Nagios's object-cache format (`define TYPE {` / `\tkey\tvalue` /
//! `\t}`), as Nagios 4 writes `objects.cache` and `objects.precache`: the user's way to see what
//! inheritance produced, and the test suite's way to compare Vigia's resolution with Nagios's.
use std::fmt::Write;

use crate::model::*;

pub fn write(config: &Config) -> String {
    let mut out = String::with_capacity(256 * (config.hosts.len() + config.services.len()) + 4096);
    let tp = |id: Option<TimeperiodId>| {
        id.and_then(|i| config.timeperiods.periods.get(i.index()))
            .map(|p| p.name.as_str())
    };
    let contacts = |ids: &[ContactId]| join(ids.iter().map(|c| config.contacts[c.index()].name.as_str()));
    let groups = |ids: &[ContactgroupId]| join(ids.iter().map(|g| config.contactgroups[g.index()].name.as_str()));
    for p in &config.timeperiods.periods {
        let mut props = vec![
            ("timeperiod_name".to_string(), p.name.clone()),
            ("alias".to_string(), p.alias.clone()),
        ];
        // As Nagios writes them: weekdays (Sunday first), the exclusions, then the exceptions
        // by kind, each kind in the order written.
        let (weekdays, exceptions): (Vec<_>, Vec<_>) = p.rules.iter().partition(|r| r.is_weekday());
        let mut weekdays: Vec<_> = weekdays
            .into_iter()
            .map(|r| (r.sunday_first_rank(), r.cache_line()))
            .collect();
        weekdays.sort_by_key(|(rank, _)| *rank);
        props.extend(weekdays.into_iter().map(|(_, line)| line));
        let excluded = p.excludes.iter().filter_map(|&i| config.timeperiods.periods.get(i));
        props.push(("exclude".to_string(), join(excluded.map(|e| e.name.as_str()))));
        let mut exceptions: Vec<_> = exceptions.into_iter().enumerate().collect();
        exceptions.sort_by_key(|(i, r)| (r.kind_rank(), *i));
        props.extend(exceptions.into_iter().map(|(_, r)| r.cache_line()));
        block(&mut out, "timeperiod", &props, None);
    }
    for c in &config.commands {
        block(
            &mut out,
            "command",
            &[("command_name", c.name.clone()), ("command_line", c.line.clone())],
            None,
        );
    }
    for g in &config.contactgroups {
        let members = join(g.members.iter().map(|c| config.contacts[c.index()].name.as_str()));
        block(
            &mut out,
            "contactgroup",
            &[
                ("contactgroup_name", g.name.clone()),
                ("alias", g.alias.clone()),
                ("members", members),
            ],
            None,
        );
    }
    for g in &config.hostgroups {
        let members = join(g.members.iter().map(|h| config.hosts[h.index()].name.as_str()));
        block(
            &mut out,
            "hostgroup",
            &[
                ("hostgroup_name", g.name.clone()),
                ("alias", g.alias.clone()),
                ("members", members),
            ],
            None,
        );
    }
    for g in &config.servicegroups {
        let members = join(g.members.iter().flat_map(|s| {
            let svc = &config.services[s.index()];
            [config.hosts[svc.host.index()].name.as_str(), &*svc.description]
        }));
        block(
            &mut out,
            "servicegroup",
            &[
                ("servicegroup_name", g.name.clone()),
                ("alias", g.alias.clone()),
                ("members", members),
            ],
            None,
        );
    }
    for c in &config.contacts {
        let cmds = |calls: &[CommandCall]| join(calls.iter().map(|c| &*c.raw));
        let props = [
            ("contact_name", c.name.clone()),
            ("alias", c.alias.clone()),
            ("email", c.email.clone()),
            ("pager", c.pager.clone()),
            (
                "host_notification_period",
                tp(c.notifications.host.period).unwrap_or("").to_string(),
            ),
            (
                "service_notification_period",
                tp(c.notifications.service.period).unwrap_or("").to_string(),
            ),
            ("host_notification_commands", cmds(&c.notifications.host.commands)),
            ("service_notification_commands", cmds(&c.notifications.service.commands)),
            ("host_notification_options", letters(&c.notifications.host.options)),
            (
                "service_notification_options",
                letters(&c.notifications.service.options),
            ),
            ("host_notifications_enabled", flag(c.host_notifications_enabled)),
            ("service_notifications_enabled", flag(c.service_notifications_enabled)),
            ("can_submit_commands", flag(c.can_submit_commands)),
        ];
        block(&mut out, "contact", &props, Some(&c.customs));
    }
    let common = |m: &Monitored| -> Vec<(&'static str, String)> {
        vec![
            ("check_period", tp(m.check_period).unwrap_or("").to_string()),
            (
                "check_command",
                m.check_command.as_ref().map(|c| c.raw.to_string()).unwrap_or_default(),
            ),
            (
                "event_handler",
                m.details()
                    .event_handler
                    .as_ref()
                    .map(|c| c.raw.to_string())
                    .unwrap_or_default(),
            ),
            ("contacts", contacts(&m.contacts)),
            ("contact_groups", groups(&m.contact_groups)),
            (
                "notification_period",
                tp(m.notification_period).unwrap_or("").to_string(),
            ),
            ("initial_state", m.initial_state.to_string()),
            ("check_interval", format!("{:.6}", m.check_interval)),
            ("retry_interval", format!("{:.6}", m.retry_interval)),
            ("max_check_attempts", m.max_check_attempts.to_string()),
            ("active_checks_enabled", flag(m.active_checks_enabled)),
            ("passive_checks_enabled", flag(m.passive_checks_enabled)),
            ("event_handler_enabled", flag(m.event_handler_enabled)),
            ("flap_detection_enabled", flag(m.flap_detection_enabled)),
            ("freshness_threshold", m.freshness_threshold.to_string()),
            ("check_freshness", flag(m.check_freshness)),
            ("notification_options", letters(&m.notification_options)),
            ("notifications_enabled", flag(m.notifications_enabled)),
            ("notification_interval", format!("{:.6}", m.notification_interval)),
            ("first_notification_delay", format!("{:.6}", m.first_notification_delay)),
            ("stalking_options", letters(&m.stalking_options)),
            ("process_perf_data", flag(m.process_perf_data)),
        ]
    };
    for h in &config.hosts {
        let mut props = vec![
            ("host_name", h.name.clone()),
            ("alias", h.alias.clone()),
            ("address", h.address.clone()),
            (
                "parents",
                join(h.parents.iter().map(|p| config.hosts[p.index()].name.as_str())),
            ),
            (
                "hostgroups",
                join(h.hostgroups.iter().map(|g| config.hostgroups[g.index()].name.as_str())),
            ),
        ];
        props.extend(common(&h.common));
        block(&mut out, "host", &props, Some(&h.common.details().customs));
    }
    for s in &config.services {
        let mut props = vec![
            ("host_name", config.hosts[s.host.index()].name.clone()),
            ("service_description", s.description.to_string()),
            (
                "servicegroups",
                join(
                    s.servicegroups
                        .iter()
                        .map(|g| config.servicegroups[g.index()].name.as_str()),
                ),
            ),
            ("is_volatile", flag(s.is_volatile)),
        ];
        props.extend(common(&s.common));
        block(&mut out, "service", &props, Some(&s.common.details().customs));
    }
    let host_name = |h: HostId| config.hosts[h.index()].name.clone();
    let service_names = |s: ServiceId| {
        let svc = &config.services[s.index()];
        (config.hosts[svc.host.index()].name.clone(), svc.description.to_string())
    };
    // Nagios keeps a dependency's notification and execution halves apart, and drops one
    // with neither (a "lame" dependency).
    let halves = |notification: Letters, execution: Letters| {
        let none = |l: Letters| l.is_empty() || l.iter().eq(['n']);
        let lame = none(notification) && none(execution);
        [
            ("notification_failure_options", notification),
            ("execution_failure_options", execution),
        ]
        .into_iter()
        .filter(move |(_, l)| !lame && !l.is_empty())
    };
    let escalations = |out: &mut String, hosts: bool| {
        for e in config
            .escalations
            .iter()
            .filter(|e| matches!(e.target, EscalationTarget::Host(_)) == hosts)
        {
            // Nagios: no period means the object's notification period; no options means all.
            let (kind, mut props, notification_period) = match e.target {
                EscalationTarget::Host(h) => {
                    let host = &config.hosts[h.index()];
                    (
                        "hostescalation",
                        vec![("host_name", host.name.clone())],
                        host.common.notification_period,
                    )
                }
                EscalationTarget::Service(s) => {
                    let (host, description) = service_names(s);
                    (
                        "serviceescalation",
                        vec![("host_name", host), ("service_description", description)],
                        config.services[s.index()].common.notification_period,
                    )
                }
            };
            let options = if e.escalation_options.is_empty() {
                "a".to_string()
            } else {
                letters(&e.escalation_options)
            };
            props.extend([
                (
                    "first_notification",
                    e.first_notification.map(|n| n.to_string()).unwrap_or_default(),
                ),
                (
                    "last_notification",
                    e.last_notification.map(|n| n.to_string()).unwrap_or_default(),
                ),
                ("notification_interval", format!("{:.6}", e.notification_interval)),
                (
                    "escalation_period",
                    tp(e.escalation_period.or(notification_period))
                        .unwrap_or("")
                        .to_string(),
                ),
                ("escalation_options", options),
                ("contacts", contacts(&e.contacts)),
                ("contact_groups", groups(&e.contact_groups)),
            ]);
            block(out, kind, &props, None);
        }
    };
    // In Nagios's order: service dependencies and escalations, then the hosts'.
    for d in &config.servicedependencies {
        let ((master_host, master), (dependent_host, dependent)) =
            (service_names(d.master), service_names(d.dependent));
        for (key, criteria) in halves(d.notification_failure_criteria, d.execution_failure_criteria) {
            let props = [
                ("host_name", master_host.clone()),
                ("service_description", master.clone()),
                ("dependent_host_name", dependent_host.clone()),
                ("dependent_service_description", dependent.clone()),
                ("dependency_period", tp(d.dependency_period).unwrap_or("").to_string()),
                ("inherits_parent", flag(d.inherits_parent)),
                (key, letters(&criteria)),
            ];
            block(&mut out, "servicedependency", &props, None);
        }
    }
    escalations(&mut out, false);
    for d in &config.hostdependencies {
        for (key, criteria) in halves(d.notification_failure_criteria, d.execution_failure_criteria) {
            let props = [
                ("host_name", host_name(d.master)),
                ("dependent_host_name", host_name(d.dependent)),
                ("dependency_period", tp(d.dependency_period).unwrap_or("").to_string()),
                ("inherits_parent", flag(d.inherits_parent)),
                (key, letters(&criteria)),
            ];
            block(&mut out, "hostdependency", &props, None);
        }
    }
    escalations(&mut out, true);
    out
}

fn block<K: AsRef<str>>(
    out: &mut String,
    kind: &str,
    props: &[(K, String)],
    customs: Option<&std::collections::BTreeMap<String, String>>,
) {
    let _ = writeln!(out, "define {kind} {{");
    for (k, v) in props {
        if !v.is_empty() {
            let _ = writeln!(out, "\t{}\t{v}", k.as_ref());
        }
    }
    for (k, v) in customs.into_iter().flatten() {
        let _ = writeln!(out, "\t_{k}\t{v}");
    }
    out.push_str("\t}\n\n");
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn letters(l: &Letters) -> String {
    l.to_string()
}

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_string()
}
