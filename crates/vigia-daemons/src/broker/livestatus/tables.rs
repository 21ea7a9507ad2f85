//! The tables' columns, with naemon-livestatus's names and types, over the rows of [`rows`].
//! Hosts and services share their status and configuration columns ([`monitored`]); the
//! services table has every host column again with `host_`, the by-group tables every group
//! column with `hostgroup_` or `servicegroup_`.
use vigia_config::model::Contact;
use vigia_config::timeperiod::Timeperiod;
use vigia_config::Config;
use vigia_engine::status::Status;
use vigia_livestatus::{ColumnType as T, Schema, Value};

use super::rows::{Clock, GroupRow, HostRow, Monitoring, ServiceRow};

fn int(i: impl Into<i64>) -> Value {
    Value::Int(i.into())
}

fn flag(b: bool) -> Value {
    Value::Int(b as i64)
}

fn text(s: impl Into<String>) -> Value {
    Value::Str(s.into())
}

fn list(items: Vec<String>) -> Value {
    Value::List(items.into_iter().map(Value::Str).collect())
}

fn ids(items: Vec<u64>) -> Value {
    Value::List(items.into_iter().map(|i| Value::Int(i as i64)).collect())
}

/// naemon's order of badness for services: OK < WARNING < UNKNOWN < CRITICAL.
pub fn service_worse(a: u8, b: u8) -> bool {
    let rank = |s: u8| match s {
        0 => 0,
        1 => 1,
        3 => 2,
        _ => 3,
    };
    rank(a) > rank(b)
}

/// naemon's order of badness for hosts: UP < UNREACHABLE < DOWN.
pub fn host_worse(a: u8, b: u8) -> bool {
    let rank = |s: u8| match s {
        0 => 0,
        2 => 1,
        _ => 2,
    };
    rank(a) > rank(b)
}

fn worst(states: impl Iterator<Item = u8>, worse: fn(u8, u8) -> bool) -> Value {
    int(states.fold(0, |w, s| if worse(s, w) { s } else { w }))
}

fn hard_state(s: &Status) -> u8 {
    match s.state_type {
        vigia_engine::StateType::Hard => s.state,
        vigia_engine::StateType::Soft => s.last_hard_state,
    }
}

/// `num_<prefix>_ok|warn|crit|unknown|pending` of a list of service states.
fn count_services<'s, R: 's>(
    schema: Schema<'s, R>,
    prefix: &'static [&'static str; 6],
    states: fn(&R) -> Vec<(u8, bool)>,
) -> Schema<'s, R> {
    schema
        .col(prefix[0], T::Int, "How many services", move |r| {
            int(states(r).len() as i64)
        })
        .col(prefix[1], T::Int, "How many services are OK", move |r| {
            int(states(r).iter().filter(|(s, c)| *c && *s == 0).count() as i64)
        })
        .col(prefix[2], T::Int, "How many services are WARNING", move |r| {
            int(states(r).iter().filter(|(s, c)| *c && *s == 1).count() as i64)
        })
        .col(prefix[3], T::Int, "How many services are CRITICAL", move |r| {
            int(states(r).iter().filter(|(s, c)| *c && *s == 2).count() as i64)
        })
        .col(prefix[4], T::Int, "How many services are UNKNOWN", move |r| {
            int(states(r).iter().filter(|(s, c)| *c && *s == 3).count() as i64)
        })
        .col(prefix[5], T::Int, "How many services are not checked yet", move |r| {
            int(states(r).iter().filter(|(_, c)| !*c).count() as i64)
        })
}

const NUM_SERVICES: [&str; 6] = [
    "num_services",
    "num_services_ok",
    "num_services_warn",
    "num_services_crit",
    "num_services_unknown",
    "num_services_pending",
];

/// The columns hosts and services share: status, check and notification settings, contacts,
/// custom variables, comments and downtimes.
fn monitored<'s, R: Monitoring + 's>(schema: Schema<'s, R>) -> Schema<'s, R> {
    schema
        .col(
            "state",
            T::Int,
            "The current state (host 0 UP, 1 DOWN, 2 UNREACHABLE; service 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
            |r: &R| int(r.status().state),
        )
        .col("state_type", T::Int, "0 soft, 1 hard", |r: &R| {
            flag(r.status().state_type == vigia_engine::StateType::Hard)
        })
        .col("hard_state", T::Int, "The last hard state", |r: &R| {
            int(hard_state(r.status()))
        })
        .col("last_state", T::Int, "The state before the current one", |r: &R| {
            int(r.status().last_state)
        })
        .col(
            "last_hard_state",
            T::Int,
            "The hard state before the current one",
            |r: &R| int(r.status().last_hard_state),
        )
        .col(
            "has_been_checked",
            T::Int,
            "Whether it has been checked (0/1)",
            |r: &R| flag(r.status().has_been_checked),
        )
        .col(
            "plugin_output",
            T::String,
            "The first line of the last check's output",
            |r: &R| text(r.status().output.clone()),
        )
        .col(
            "long_plugin_output",
            T::String,
            "The other lines of the last check's output",
            |r: &R| text(r.status().long_output.clone()),
        )
        .col("perf_data", T::String, "The last check's performance data", |r: &R| {
            text(r.status().perf_data.clone())
        })
        .col("last_check", T::Time, "When it was last checked", |r: &R| {
            int(r.status().last_check)
        })
        .col("next_check", T::Time, "When it is next checked", |r: &R| {
            int(r.status().next_check)
        })
        .col("last_state_change", T::Time, "When its state last changed", |r: &R| {
            int(r.status().last_state_change)
        })
        .col(
            "last_hard_state_change",
            T::Time,
            "When its hard state last changed",
            |r: &R| int(r.status().last_hard_state_change),
        )
        .col(
            "current_attempt",
            T::Int,
            "The check attempt of the current state",
            |r: &R| int(r.status().attempt),
        )
        .col(
            "acknowledged",
            T::Int,
            "Whether its problem is acknowledged (0/1)",
            |r: &R| flag(r.status().acknowledgement.is_some()),
        )
        .col("acknowledgement_type", T::Int, "0 none, 1 normal, 2 sticky", |r: &R| {
            int(r
                .status()
                .acknowledgement
                .as_ref()
                .map_or(0, |a| if a.sticky == 2 { 2 } else { 1 }))
        })
        .col(
            "scheduled_downtime_depth",
            T::Int,
            "How many downtimes it is in",
            |r: &R| int(r.status().downtime_depth),
        )
        .col("is_flapping", T::Int, "Whether it is flapping (0/1)", |r: &R| {
            flag(r.status().is_flapping)
        })
        .col(
            "percent_state_change",
            T::Float,
            "The flap detection's state change (%)",
            |r: &R| Value::Float(r.status().percent_state_change),
        )
        .col(
            "current_notification_number",
            T::Int,
            "The number of the last notification",
            |r: &R| int(r.status().notification_number),
        )
        .col("last_notification", T::Time, "When it last notified", |r: &R| {
            int(r.status().last_notification)
        })
        .col("next_notification", T::Time, "When it notifies next", |r: &R| {
            int(r.status().next_notification)
        })
        .col("notifications_enabled", T::Int, "Whether it notifies (0/1)", |r: &R| {
            flag(r.status().switches.notifications)
        })
        .col(
            "active_checks_enabled",
            T::Int,
            "Whether it is actively checked (0/1)",
            |r: &R| flag(r.status().switches.active_checks),
        )
        .col(
            "checks_enabled",
            T::Int,
            "Whether it is actively checked (0/1)",
            |r: &R| flag(r.status().switches.active_checks),
        )
        .col(
            "accept_passive_checks",
            T::Int,
            "Whether it takes passive results (0/1)",
            |r: &R| flag(r.status().switches.passive_checks),
        )
        .col(
            "event_handler_enabled",
            T::Int,
            "Whether its event handler runs (0/1)",
            |r: &R| flag(r.status().switches.event_handler),
        )
        .col(
            "flap_detection_enabled",
            T::Int,
            "Whether flapping is detected (0/1)",
            |r: &R| flag(r.status().switches.flap_detection),
        )
        .col("is_executing", T::Int, "Whether a check is running (0/1)", |r: &R| {
            flag(r.status().in_flight)
        })
        .col("check_type", T::Int, "0 active, 1 passive", |r: &R| {
            flag(!r.status().switches.active_checks)
        })
        .col("latency", T::Float, "The last check's latency (s)", |r: &R| {
            Value::Float(r.status().latency)
        })
        .col("execution_time", T::Float, "The last check's duration (s)", |r: &R| {
            Value::Float(r.status().execution_time)
        })
        .col(
            "check_command",
            T::String,
            "The check command with its arguments",
            |r: &R| {
                text(
                    r.common()
                        .and_then(|m| m.check_command.as_ref())
                        .map_or(String::new(), |c| c.raw.to_string()),
                )
            },
        )
        .col(
            "event_handler",
            T::String,
            "The event handler with its arguments",
            |r: &R| {
                text(
                    r.common()
                        .and_then(|m| m.details.as_ref())
                        .and_then(|d| d.event_handler.as_ref())
                        .map_or(String::new(), |c| c.raw.to_string()),
                )
            },
        )
        .col("max_check_attempts", T::Int, "Attempts before a hard state", |r: &R| {
            int(r.common().map_or(0, |m| m.max_check_attempts))
        })
        .col("check_interval", T::Float, "Minutes between regular checks", |r: &R| {
            Value::Float(r.common().map_or(0.0, |m| m.check_interval))
        })
        .col(
            "retry_interval",
            T::Float,
            "Minutes between checks of a soft problem",
            |r: &R| Value::Float(r.common().map_or(0.0, |m| m.retry_interval)),
        )
        .col(
            "notification_interval",
            T::Float,
            "Minutes between notifications",
            |r: &R| Value::Float(r.common().map_or(0.0, |m| m.notification_interval)),
        )
        .col(
            "first_notification_delay",
            T::Float,
            "Minutes before the first notification",
            |r: &R| Value::Float(r.common().map_or(0.0, |m| m.first_notification_delay)),
        )
        .col(
            "low_flap_threshold",
            T::Float,
            "Below it, flapping stops (%)",
            |r: &R| Value::Float(r.common().map_or(0.0, |m| m.low_flap_threshold)),
        )
        .col(
            "high_flap_threshold",
            T::Float,
            "Above it, flapping starts (%)",
            |r: &R| Value::Float(r.common().map_or(0.0, |m| m.high_flap_threshold)),
        )
        .col(
            "check_freshness",
            T::Int,
            "Whether freshness is checked (0/1)",
            |r: &R| flag(r.common().is_some_and(|m| m.check_freshness)),
        )
        .col(
            "process_performance_data",
            T::Int,
            "Whether performance data is processed (0/1)",
            |r: &R| flag(r.common().is_some_and(|m| m.process_perf_data)),
        )
        .col("check_period", T::String, "The period it is checked in", |r: &R| {
            text(r.period_name(r.common().and_then(|m| m.check_period)))
        })
        .col(
            "notification_period",
            T::String,
            "The period it notifies in",
            |r: &R| text(r.period_name(r.common().and_then(|m| m.notification_period))),
        )
        .col(
            "in_check_period",
            T::Int,
            "Whether now is in its check period (0/1)",
            |r: &R| flag(r.in_period(r.common().and_then(|m| m.check_period))),
        )
        .col(
            "in_notification_period",
            T::Int,
            "Whether now is in its notification period (0/1)",
            |r: &R| flag(r.in_period(r.common().and_then(|m| m.notification_period))),
        )
        .col(
            "staleness",
            T::Float,
            "Time since the last check, in check intervals",
            |r: &R| {
                let interval = r.common().map_or(0.0, |m| m.check_interval)
                    * r.config().map_or(60.0, |c| c.interval_length as f64);
                let last = r.status().last_check;
                Value::Float(if interval > 0.0 && last > 0 {
                    (r.part().clock.now - last) as f64 / interval
                } else {
                    0.0
                })
            },
        )
        .col(
            "contacts",
            T::List,
            "Its contacts, directly or through a contact group",
            |r: &R| list(r.contact_names()),
        )
        .col("contact_groups", T::List, "Its contact groups", |r: &R| {
            list(r.contact_group_names())
        })
        .col(
            "custom_variable_names",
            T::List,
            "The names of its custom variables",
            |r: &R| list(r.customs().into_iter().map(|(k, _)| k).collect()),
        )
        .col(
            "custom_variable_values",
            T::List,
            "The values of its custom variables",
            |r: &R| list(r.customs().into_iter().map(|(_, v)| v).collect()),
        )
        .col("custom_variables", T::Dict, "Its custom variables", |r: &R| {
            Value::Dict(r.customs())
        })
        .col("comments", T::List, "The ids of its comments", |r: &R| {
            ids(r.annotations().0)
        })
        .col("downtimes", T::List, "The ids of its downtimes", |r: &R| {
            ids(r.annotations().1)
        })
        .col("notes", T::String, "Notes", |r: &R| text(r.extra("notes")))
        .col("notes_url", T::String, "A link to notes", |r: &R| {
            text(r.extra("notes_url"))
        })
        .col("action_url", T::String, "A link to an action", |r: &R| {
            text(r.extra("action_url"))
        })
        .col("icon_image", T::String, "An icon's file name", |r: &R| {
            text(r.extra("icon_image"))
        })
        .col("icon_image_alt", T::String, "The icon's alternative text", |r: &R| {
            text(r.extra("icon_image_alt"))
        })
        .col("scheduler", T::String, "The scheduler that owns it (Vigia)", |r: &R| {
            text(r.part().scheduler)
        })
}

pub fn hosts<'s, 'a: 's>() -> Schema<'s, HostRow<'a>> {
    let schema = Schema::new("hosts")
        .col("name", T::String, "The host's name", |h: &HostRow| text(h.name))
        .col("alias", T::String, "The host's alias", |h: &HostRow| {
            text(h.conf.map_or(h.name, |c| &c.alias))
        })
        .col("address", T::String, "The host's address", |h: &HostRow| {
            text(h.conf.map_or("", |c| &c.address))
        })
        .col(
            "display_name",
            T::String,
            "The name to show (the host's name when not set)",
            |h: &HostRow| text(h.display_name().unwrap_or_else(|| h.name.to_string())),
        )
        .col("parents", T::List, "Its parents", |h: &HostRow| list(h.parent_names()))
        .col("childs", T::List, "The hosts it is the parent of", |h: &HostRow| {
            list(h.child_names())
        })
        .col("groups", T::List, "Its host groups", |h: &HostRow| {
            list(h.group_names())
        })
        .col("services", T::List, "Its services' descriptions", |h: &HostRow| {
            list(h.services().into_iter().map(|(d, _)| d.to_string()).collect())
        })
        .col(
            "services_with_state",
            T::List,
            "Its services: description, state, checked",
            |h: &HostRow| {
                Value::List(
                    h.services()
                        .into_iter()
                        .map(|(d, s)| Value::List(vec![text(d), int(s.state), flag(s.has_been_checked)]))
                        .collect(),
                )
            },
        )
        .col(
            "worst_service_state",
            T::Int,
            "The worst state of its services",
            |h: &HostRow| worst(h.services().into_iter().map(|(_, s)| s.state), service_worse),
        )
        .col(
            "worst_service_hard_state",
            T::Int,
            "The worst hard state of its services",
            |h: &HostRow| worst(h.services().into_iter().map(|(_, s)| hard_state(s)), service_worse),
        );
    let schema = count_services(schema, &NUM_SERVICES, |h: &HostRow| {
        h.services()
            .into_iter()
            .map(|(_, s)| (s.state, s.has_been_checked))
            .collect()
    });
    monitored(schema)
}

pub fn services<'s, 'a: 's>() -> Schema<'s, ServiceRow<'a>> {
    let schema = Schema::new("services")
        .col("host_name", T::String, "The service's host", |s: &ServiceRow| {
            text(s.host.name)
        })
        .col(
            "description",
            T::String,
            "The service's description",
            |s: &ServiceRow| text(s.description),
        )
        .col(
            "display_name",
            T::String,
            "The name to show (the description when not set)",
            |s: &ServiceRow| text(s.display_name().unwrap_or_else(|| s.description.to_string())),
        )
        .col("groups", T::List, "Its service groups", |s: &ServiceRow| {
            list(s.group_names())
        })
        .col(
            "is_volatile",
            T::Int,
            "Whether it is volatile (0/1)",
            |s: &ServiceRow| flag(s.conf.is_some_and(|c| c.is_volatile)),
        );
    monitored(schema).join("host_", &hosts(), |s: &ServiceRow<'a>| s.host)
}

fn group_columns<'s, 'a: 's, M: 'a>(name: &'static str) -> Schema<'s, GroupRow<'a, M>> {
    Schema::new(name)
        .col("name", T::String, "The group's name", |g: &GroupRow<M>| {
            text(g.name.clone())
        })
        .col("alias", T::String, "The group's alias", |g: &GroupRow<M>| {
            text(g.alias.clone())
        })
        .col("notes", T::String, "Notes", |g: &GroupRow<M>| {
            text(g.extra.get("notes").cloned().unwrap_or_default())
        })
        .col("notes_url", T::String, "A link to notes", |g: &GroupRow<M>| {
            text(g.extra.get("notes_url").cloned().unwrap_or_default())
        })
        .col("action_url", T::String, "A link to an action", |g: &GroupRow<M>| {
            text(g.extra.get("action_url").cloned().unwrap_or_default())
        })
}

fn group_service_states(g: &GroupRow<'_, HostRow<'_>>) -> Vec<(u8, bool)> {
    g.members
        .iter()
        .flat_map(|h| h.services())
        .map(|(_, s)| (s.state, s.has_been_checked))
        .collect()
}

pub fn hostgroups<'s, 'a: 's>() -> Schema<'s, GroupRow<'a, HostRow<'a>>> {
    type G<'x> = GroupRow<'x, HostRow<'x>>;
    let host_count = |want: Option<u8>| {
        move |g: &G| {
            int(g
                .members
                .iter()
                .filter(|h| match want {
                    None => !h.status.has_been_checked,
                    Some(s) => h.status.has_been_checked && h.status.state == s,
                })
                .count() as i64)
        }
    };
    let schema = group_columns::<HostRow<'a>>("hostgroups")
        .col("members", T::List, "Its hosts", |g: &G| {
            list(g.members.iter().map(|h| h.name.to_string()).collect())
        })
        .col(
            "members_with_state",
            T::List,
            "Its hosts: name, state, checked",
            |g: &G| {
                Value::List(
                    g.members
                        .iter()
                        .map(|h| Value::List(vec![text(h.name), int(h.status.state), flag(h.status.has_been_checked)]))
                        .collect(),
                )
            },
        )
        .col("num_hosts", T::Int, "How many hosts", |g: &G| {
            int(g.members.len() as i64)
        })
        .col("num_hosts_up", T::Int, "How many hosts are UP", host_count(Some(0)))
        .col("num_hosts_down", T::Int, "How many hosts are DOWN", host_count(Some(1)))
        .col(
            "num_hosts_unreach",
            T::Int,
            "How many hosts are UNREACHABLE",
            host_count(Some(2)),
        )
        .col(
            "num_hosts_pending",
            T::Int,
            "How many hosts are not checked yet",
            host_count(None),
        )
        .col("worst_host_state", T::Int, "The worst state of its hosts", |g: &G| {
            worst(g.members.iter().map(|h| h.status.state), host_worse)
        })
        .col(
            "worst_service_state",
            T::Int,
            "The worst state of its hosts' services",
            |g: &G| worst(group_service_states(g).into_iter().map(|(s, _)| s), service_worse),
        );
    count_services(schema, &NUM_SERVICES, group_service_states)
}

pub fn servicegroups<'s, 'a: 's>() -> Schema<'s, GroupRow<'a, ServiceRow<'a>>> {
    type G<'x> = GroupRow<'x, ServiceRow<'x>>;
    let schema = group_columns::<ServiceRow<'a>>("servicegroups")
        .col(
            "members",
            T::List,
            "Its services: host and description each",
            |g: &G| {
                Value::List(
                    g.members
                        .iter()
                        .map(|s| Value::List(vec![text(s.host.name), text(s.description)]))
                        .collect(),
                )
            },
        )
        .col(
            "members_with_state",
            T::List,
            "Its services: host, description, state, checked",
            |g: &G| {
                Value::List(
                    g.members
                        .iter()
                        .map(|s| {
                            Value::List(vec![
                                text(s.host.name),
                                text(s.description),
                                int(s.status.state),
                                flag(s.status.has_been_checked),
                            ])
                        })
                        .collect(),
                )
            },
        )
        .col(
            "worst_service_state",
            T::Int,
            "The worst state of its services",
            |g: &G| worst(g.members.iter().map(|s| s.status.state), service_worse),
        );
    count_services(schema, &NUM_SERVICES, |g: &G| {
        g.members
            .iter()
            .map(|s| (s.status.state, s.status.has_been_checked))
            .collect()
    })
}

/// `hostsbygroup`: one row per host and group it is in.
pub fn hostsbygroup<'s, 'a: 's>() -> Schema<'s, (&'a GroupRow<'a, HostRow<'a>>, &'a HostRow<'a>)> {
    type R<'x> = (&'x GroupRow<'x, HostRow<'x>>, &'x HostRow<'x>);
    Schema::new("hostsbygroup")
        .join("", &hosts(), |r: &R<'a>| r.1)
        .join("hostgroup_", &hostgroups(), |r: &R<'a>| r.0)
}

/// `servicesbygroup`: one row per service and group it is in.
pub fn servicesbygroup<'s, 'a: 's>() -> Schema<'s, (&'a GroupRow<'a, ServiceRow<'a>>, &'a ServiceRow<'a>)> {
    type R<'x> = (&'x GroupRow<'x, ServiceRow<'x>>, &'x ServiceRow<'x>);
    Schema::new("servicesbygroup")
        .join("", &services(), |r: &R<'a>| r.1)
        .join("servicegroup_", &servicegroups(), |r: &R<'a>| r.0)
}

/// `servicesbyhostgroup`: one row per service and group its host is in.
pub fn servicesbyhostgroup<'s, 'a: 's>() -> Schema<'s, (&'a GroupRow<'a, HostRow<'a>>, &'a ServiceRow<'a>)> {
    type R<'x> = (&'x GroupRow<'x, HostRow<'x>>, &'x ServiceRow<'x>);
    Schema::new("servicesbyhostgroup")
        .join("", &services(), |r: &R<'a>| r.1)
        .join("hostgroup_", &hostgroups(), |r: &R<'a>| r.0)
}

/// Alignak's placeholder for an address not given ("none") as naemon writes an unset one: "".
fn unset_empty(value: &str) -> String {
    if value == "none" {
        String::new()
    } else {
        value.to_string()
    }
}

/// A contact with what its columns need to look up (periods, groups, the time).
pub struct ContactRow<'a> {
    pub contact: &'a Contact,
    pub config: &'a Config,
    pub clock: &'a Clock,
}

impl ContactRow<'_> {
    fn period(&self, p: Option<vigia_config::model::TimeperiodId>) -> String {
        super::rows::period_name(self.config, p)
    }

    fn inside(&self, p: Option<vigia_config::model::TimeperiodId>) -> bool {
        self.clock.inside(self.config, p)
    }
}

pub fn contacts<'s, 'a: 's>() -> Schema<'s, ContactRow<'a>> {
    type C<'x> = ContactRow<'x>;
    let customs =
        |c: &C| -> Vec<(String, String)> { c.contact.customs.iter().map(|(k, v)| (k.clone(), v.clone())).collect() };
    let mut schema = Schema::new("contacts")
        .col("name", T::String, "The contact's name", |c: &C| {
            text(c.contact.name.clone())
        })
        .col("alias", T::String, "The contact's alias", |c: &C| {
            text(c.contact.alias.clone())
        })
        .col("email", T::String, "The e-mail address", |c: &C| {
            text(unset_empty(&c.contact.email))
        })
        .col("pager", T::String, "The pager number", |c: &C| {
            text(unset_empty(&c.contact.pager))
        })
        .col(
            "can_submit_commands",
            T::Int,
            "Whether it may send commands (0/1)",
            |c: &C| flag(c.contact.can_submit_commands),
        )
        .col(
            "host_notifications_enabled",
            T::Int,
            "Whether it is told about hosts (0/1)",
            |c: &C| flag(c.contact.host_notifications_enabled),
        )
        .col(
            "service_notifications_enabled",
            T::Int,
            "Whether it is told about services (0/1)",
            |c: &C| flag(c.contact.service_notifications_enabled),
        )
        .col(
            "host_notification_period",
            T::String,
            "When it is told about hosts",
            |c: &C| text(c.period(c.contact.notifications.host.period)),
        )
        .col(
            "service_notification_period",
            T::String,
            "When it is told about services",
            |c: &C| text(c.period(c.contact.notifications.service.period)),
        )
        .col(
            "in_host_notification_period",
            T::Int,
            "Whether now is in its host notification period (0/1)",
            |c: &C| flag(c.inside(c.contact.notifications.host.period)),
        )
        .col(
            "in_service_notification_period",
            T::Int,
            "Whether now is in its service notification period (0/1)",
            |c: &C| flag(c.inside(c.contact.notifications.service.period)),
        )
        .col("groups", T::List, "Its contact groups", |c: &C| {
            list(
                c.contact
                    .contactgroups
                    .iter()
                    .map(|g| c.config.contactgroups[g.index()].name.clone())
                    .collect(),
            )
        })
        .col(
            "custom_variable_names",
            T::List,
            "The names of its custom variables",
            move |c: &C| list(customs(c).into_iter().map(|(k, _)| k).collect()),
        )
        .col(
            "custom_variable_values",
            T::List,
            "The values of its custom variables",
            move |c: &C| list(customs(c).into_iter().map(|(_, v)| v).collect()),
        )
        .col("custom_variables", T::Dict, "Its custom variables", move |c: &C| {
            Value::Dict(customs(c))
        });
    for (n, name) in ["address1", "address2", "address3", "address4", "address5", "address6"]
        .into_iter()
        .enumerate()
    {
        schema = schema.col(name, T::String, "An extra address", move |c: &C| {
            text(c.contact.addresses.get(n).cloned().unwrap_or_default())
        });
    }
    schema
}

/// A contact group of the shared configuration.
pub type ContactgroupRow<'a> = (
    &'a vigia_config::model::Group<vigia_config::model::ContactId>,
    &'a Config,
);

pub fn contactgroups<'s, 'a: 's>() -> Schema<'s, ContactgroupRow<'a>> {
    Schema::new("contactgroups")
        .col("name", T::String, "The group's name", |g: &ContactgroupRow| {
            text(g.0.name.clone())
        })
        .col("alias", T::String, "The group's alias", |g: &ContactgroupRow| {
            text(g.0.alias.clone())
        })
        .col("members", T::List, "Its contacts", |g: &ContactgroupRow| {
            list(
                g.0.members
                    .iter()
                    .map(|c| g.1.contacts[c.index()].name.clone())
                    .collect(),
            )
        })
}

pub fn commands<'s, 'a: 's>() -> Schema<'s, &'a vigia_config::model::Command> {
    type C<'x> = &'x vigia_config::model::Command;
    Schema::new("commands")
        .col("name", T::String, "The command's name", |c: &C| text(c.name.clone()))
        .col("line", T::String, "Its command line", |c: &C| text(c.line.clone()))
}

/// A timeperiod, its number, and what `in` needs.
pub type TimeperiodRow<'a> = (usize, &'a Timeperiod, &'a Config, &'a Clock);

pub fn timeperiods<'s, 'a: 's>() -> Schema<'s, TimeperiodRow<'a>> {
    Schema::new("timeperiods")
        .col("name", T::String, "The period's name", |t: &TimeperiodRow| {
            text(t.1.name.clone())
        })
        .col("alias", T::String, "The period's alias", |t: &TimeperiodRow| {
            text(t.1.alias.clone())
        })
        .col("in", T::Int, "Whether now is inside it (0/1)", |t: &TimeperiodRow| {
            flag(t.3.inside(t.2, Some(vigia_config::model::TimeperiodId(t.0 as u32))))
        })
}

/// A comment or downtime with the part it is in (for its object's names).
pub type AnnotationRow<'a, A> = (&'a super::rows::PartData<'a>, &'a A);

fn annotation_columns<'s, 'a: 's, A: 'a>(
    name: &'static str,
    of: fn(&A) -> (u64, &str, &str, i64, vigia_engine::status::Item),
) -> Schema<'s, AnnotationRow<'a, A>> {
    type R<'x, A> = AnnotationRow<'x, A>;
    fn subject<'r, A>(
        r: &'r R<'_, A>,
        of: fn(&A) -> (u64, &str, &str, i64, vigia_engine::status::Item),
    ) -> (&'r str, Option<&'r str>) {
        super::rows::annotation_subject(r.0, of(r.1).4)
    }
    Schema::new(name)
        .col("id", T::Int, "The id", move |r: &R<A>| int(of(r.1).0 as i64))
        .col("author", T::String, "Who wrote it", move |r: &R<A>| text(of(r.1).1))
        .col("comment", T::String, "The text", move |r: &R<A>| text(of(r.1).2))
        .col("entry_time", T::Time, "When it was entered", move |r: &R<A>| {
            int(of(r.1).3)
        })
        .col(
            "is_service",
            T::Int,
            "Whether it is about a service (0/1)",
            move |r: &R<A>| flag(matches!(of(r.1).4, vigia_engine::status::Item::Service(_))),
        )
        .col("host_name", T::String, "The host", move |r: &R<A>| {
            text(subject(r, of).0)
        })
        .col(
            "service_description",
            T::String,
            "The service (empty for a host)",
            move |r: &R<A>| text(subject(r, of).1.unwrap_or("")),
        )
}

pub fn comments<'s, 'a: 's>() -> Schema<'s, AnnotationRow<'a, vigia_engine::comments::Comment>> {
    use vigia_engine::comments::Comment;
    type R<'x> = AnnotationRow<'x, Comment>;
    annotation_columns("comments", |c: &Comment| {
        (c.id, &c.author, &c.text, c.entry_time, c.item)
    })
    .col("type", T::Int, "1 host, 2 service", |r: &R| {
        int(if matches!(r.1.item, vigia_engine::status::Item::Service(_)) {
            2
        } else {
            1
        })
    })
    .col(
        "entry_type",
        T::Int,
        "1 user, 2 downtime, 3 flapping, 4 acknowledgement",
        |r: &R| int(r.1.kind as i64),
    )
    .col("persistent", T::Int, "Whether it survives a restart (0/1)", |r: &R| {
        flag(r.1.persistent)
    })
    .col("source", T::Int, "0 internal, 1 external", |r: &R| {
        flag(r.1.kind == vigia_engine::comments::CommentKind::User)
    })
    .col("expires", T::Int, "Whether it expires (0/1)", |r: &R| {
        flag(r.1.expire_time != 0)
    })
    .col("expire_time", T::Time, "When it expires", |r: &R| int(r.1.expire_time))
}

pub fn downtimes<'s, 'a: 's>() -> Schema<'s, AnnotationRow<'a, vigia_engine::downtime::Downtime>> {
    use vigia_engine::downtime::Downtime;
    type R<'x> = AnnotationRow<'x, Downtime>;
    annotation_columns("downtimes", |d: &Downtime| {
        (d.id, &d.author, &d.comment, d.entry_time, d.item)
    })
    .col(
        "type",
        T::Int,
        "1 service, 2 host (Nagios's SERVICE_DOWNTIME and HOST_DOWNTIME)",
        |r: &R| {
            int(if matches!(r.1.item, vigia_engine::status::Item::Service(_)) {
                1
            } else {
                2
            })
        },
    )
    .col("start_time", T::Time, "When it starts", |r: &R| int(r.1.start))
    .col("end_time", T::Time, "When it ends", |r: &R| int(r.1.end))
    .col("fixed", T::Int, "Fixed (1) or flexible (0)", |r: &R| flag(r.1.fixed))
    .col("duration", T::Int, "A flexible downtime's length (s)", |r: &R| {
        int(r.1.duration)
    })
    .col(
        "triggered_by",
        T::Int,
        "The downtime that starts this one (0: none)",
        |r: &R| int(r.1.triggered_by as i64),
    )
    .col("is_pending", T::Int, "Whether it has not started yet (0/1)", |r: &R| {
        flag(!r.1.active)
    })
}

/// The one row of the `status` table: what the schedulers' summaries say, without a
/// snapshot of every object (clients poll it often).
pub struct StatusRow {
    pub started: i64,
    pub hosts: usize,
    pub services: usize,
    /// The switches of the first scheduler that said them (all run the same configuration).
    pub globals: Option<vigia_engine::engine::Globals>,
    pub interval_length: u32,
    pub requests: u64,
    pub connections: u64,
}

impl StatusRow {
    fn switch(&self, f: fn(&vigia_engine::engine::Globals) -> bool) -> Value {
        flag(self.globals.as_ref().is_some_and(f))
    }
}

pub fn status<'s>() -> Schema<'s, StatusRow> {
    type R = StatusRow;
    let version = || text(format!("vigia {}", env!("CARGO_PKG_VERSION")));
    Schema::new("status")
        .col("program_start", T::Time, "When the monitoring started", |r: &R| {
            int(r.started)
        })
        .col(
            "program_version",
            T::String,
            "The version of the monitoring core",
            move |_: &R| version(),
        )
        .col(
            "livestatus_version",
            T::String,
            "The version of the Livestatus server",
            move |_: &R| version(),
        )
        .col(
            "nagios_pid",
            T::Int,
            "The process id of the broker answering",
            |_: &R| int(std::process::id() as i64),
        )
        .col("num_hosts", T::Int, "How many hosts", |r: &R| int(r.hosts as i64))
        .col("num_services", T::Int, "How many services", |r: &R| {
            int(r.services as i64)
        })
        .col(
            "enable_notifications",
            T::Int,
            "Whether notifications are sent (0/1)",
            |r: &R| r.switch(|g| g.notifications),
        )
        .col(
            "execute_service_checks",
            T::Int,
            "Whether services are checked (0/1)",
            |r: &R| r.switch(|g| g.execute_service_checks),
        )
        .col(
            "accept_passive_service_checks",
            T::Int,
            "Whether passive service results are taken (0/1)",
            |r: &R| r.switch(|g| g.accept_passive_service_checks),
        )
        .col(
            "execute_host_checks",
            T::Int,
            "Whether hosts are checked (0/1)",
            |r: &R| r.switch(|g| g.execute_host_checks),
        )
        .col(
            "accept_passive_host_checks",
            T::Int,
            "Whether passive host results are taken (0/1)",
            |r: &R| r.switch(|g| g.accept_passive_host_checks),
        )
        .col(
            "enable_event_handlers",
            T::Int,
            "Whether event handlers run (0/1)",
            |r: &R| r.switch(|g| g.event_handlers),
        )
        .col(
            "enable_flap_detection",
            T::Int,
            "Whether flapping is detected (0/1)",
            |r: &R| r.switch(|g| g.flap_detection),
        )
        .col(
            "check_external_commands",
            T::Int,
            "Whether commands are taken (always, through the receivers)",
            |_: &R| int(1),
        )
        .col("interval_length", T::Int, "Seconds in an interval unit", |r: &R| {
            int(r.interval_length)
        })
        .col("requests", T::Int, "Livestatus requests served", |r: &R| {
            int(r.requests as i64)
        })
        .col("connections", T::Int, "Livestatus connections taken", |r: &R| {
            int(r.connections as i64)
        })
}
