//! Every property each object type knows, with its type and default: the table that validation,
//! defaults and "unknown property" warnings all read, so they cannot disagree.
//!
//! Drawn from Alignak 2.1 (`alignak/objects/*.py` property tables), plus Nagios 4 properties Alignak
//! lacks and the legacy Shinken daemon-link settings (`timeout`, `data_timeout`, `check_interval`).
//! The daemon links also know Alignak's TLS settings (`ca_cert`, `server_cert`, `server_key`,
//! `server_dh`, with `use_ssl` and `hard_ssl_name_check`), which TLS between daemons will read.
//! What Vigia does with each property is in [`crate::effect`].
//! `default: None` marks a required property. Generated once, then maintained by hand.
use crate::kind::ObjectKind;

/// How a property value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropType {
    Bool,
    Int,
    Float,
    Char,
    Str,
    List,
    Dict,
    IntList,
}

/// One known property of an object type.
#[derive(Clone, Copy, Debug)]
pub struct PropDef {
    pub name: &'static str,
    pub ty: PropType,
    /// `None`: the object must set it.
    pub default: Option<&'static str>,
}

const fn p(name: &'static str, ty: PropType, default: Option<&'static str>) -> PropDef {
    PropDef { name, ty, default }
}

use PropType::*;

pub static HOST: &[PropDef] = &[
    p("2d_coords", Str, Some("")),
    p("3d_coords", Str, Some("")),
    p("action_url", Str, Some("")),
    p("active_checks_enabled", Bool, Some("1")),
    p("address", Str, Some("")),
    p("address6", Str, Some("")),
    p("alias", Str, Some("")),
    p("business_impact", Int, Some("2")),
    p("business_impact_modulations", List, Some("")),
    p("business_rule_downtime_as_ack", Bool, Some("0")),
    p("business_rule_host_notification_options", List, Some("")),
    p("business_rule_output_template", Str, Some("")),
    p("business_rule_service_notification_options", List, Some("")),
    p("business_rule_smart_notifications", Bool, Some("0")),
    p("check_command", Str, Some("")),
    p("check_freshness", Bool, Some("0")),
    p("check_interval", Float, Some("0")),
    p("check_period", Str, Some("")),
    p("checkmodulations", List, Some("")),
    p("contact_groups", List, Some("")),
    p("contacts", List, Some("")),
    p("custom_views", List, Some("")),
    p("definition_order", Int, Some("100")),
    p("display_name", Str, Some("")),
    p("escalations", List, Some("")),
    p("event_handler", Str, Some("")),
    p("event_handler_enabled", Bool, Some("0")),
    p("failure_prediction_enabled", Bool, Some("0")),
    p("failure_prediction_options", List, Some("")),
    p("first_notification_delay", Float, Some("0")),
    p("flap_detection_enabled", Bool, Some("1")),
    p("flap_detection_options", List, Some("o,d,x")),
    p("freshness_state", Char, Some("x")),
    p("freshness_threshold", Int, Some("0")),
    p("high_flap_threshold", Int, Some("50")),
    p("host_name", Str, None),
    p("hostgroups", List, Some("")),
    p("hourly_value", Int, Some("0")),
    p("icon_image", Str, Some("")),
    p("icon_image_alt", Str, Some("")),
    p("icon_set", Str, Some("")),
    p("importance", Int, Some("0")),
    p("initial_state", Char, Some("o")),
    p("labels", List, Some("")),
    p("low_flap_threshold", Int, Some("25")),
    p("macromodulations", List, Some("")),
    p("maintenance_period", Str, Some("")),
    p("max_check_attempts", Int, Some("1")),
    p("name", Str, Some("")),
    p("notes", Str, Some("")),
    p("notes_url", Str, Some("")),
    p("notification_interval", Float, Some("60")),
    p("notification_options", List, Some("d,x,r,f")),
    p("notification_period", Str, Some("")),
    p("notifications_enabled", Bool, Some("1")),
    p("obsess", Bool, Some("1")),
    p("obsess_over_host", Bool, Some("1")),
    p("parallelize_check", Bool, Some("1")),
    p("parents", List, Some("")),
    p("passive_checks_enabled", Bool, Some("1")),
    p("poller_tag", Str, Some("None")),
    p("process_perf_data", Bool, Some("1")),
    p("reactionner_tag", Str, Some("None")),
    p("realm", Str, Some("")),
    p("register", Bool, Some("1")),
    p("resultmodulations", List, Some("")),
    p("retain_nonstatus_information", Bool, Some("1")),
    p("retain_status_information", Bool, Some("1")),
    p("retry_interval", Float, Some("0")),
    p("service_excludes", List, Some("")),
    p("service_includes", List, Some("")),
    p("service_overrides", List, Some("")),
    p("snapshot_command", Str, Some("")),
    p("snapshot_criteria", List, Some("d,x")),
    p("snapshot_enabled", Bool, Some("0")),
    p("snapshot_interval", Int, Some("5")),
    p("snapshot_period", Str, Some("")),
    p("stalking_options", List, Some("")),
    p("statusmap_image", Str, Some("")),
    p("time_to_orphanage", Int, Some("300")),
    p("trending_policies", List, Some("")),
    p("use", List, Some("")),
    p("vrml_image", Str, Some("")),
];

pub static SERVICE: &[PropDef] = &[
    p("action_url", Str, Some("")),
    p("active_checks_enabled", Bool, Some("1")),
    p("aggregation", Str, Some("")),
    p("alias", Str, Some("")),
    p("business_impact", Int, Some("2")),
    p("business_impact_modulations", List, Some("")),
    p("business_rule_downtime_as_ack", Bool, Some("0")),
    p("business_rule_host_notification_options", List, Some("")),
    p("business_rule_output_template", Str, Some("")),
    p("business_rule_service_notification_options", List, Some("")),
    p("business_rule_smart_notifications", Bool, Some("0")),
    p("check_command", Str, None),
    p("check_freshness", Bool, Some("0")),
    p("check_interval", Float, Some("0")),
    p("check_period", Str, Some("")),
    p("checkmodulations", List, Some("")),
    p("contact_groups", List, Some("")),
    p("contacts", List, Some("")),
    p("custom_views", List, Some("")),
    p("default_value", Str, Some("")),
    p("definition_order", Int, Some("100")),
    p("display_name", Str, Some("")),
    p("duplicate_foreach", Str, Some("")),
    p("escalations", List, Some("")),
    p("event_handler", Str, Some("")),
    p("event_handler_enabled", Bool, Some("0")),
    p("failure_prediction_enabled", Bool, Some("0")),
    p("failure_prediction_options", List, Some("")),
    p("first_notification_delay", Float, Some("0")),
    p("flap_detection_enabled", Bool, Some("1")),
    p("flap_detection_options", List, Some("o,w,c,u,x")),
    p("freshness_state", Char, Some("x")),
    p("freshness_threshold", Int, Some("0")),
    p("high_flap_threshold", Int, Some("50")),
    p("host_dependency_enabled", Bool, Some("1")),
    p("host_name", Str, Some("")),
    p("hostgroup_name", Str, Some("")),
    p("hourly_value", Int, Some("0")),
    p("icon_image", Str, Some("")),
    p("icon_image_alt", Str, Some("")),
    p("icon_set", Str, Some("")),
    p("importance", Int, Some("0")),
    p("initial_state", Char, Some("o")),
    p("is_volatile", Bool, Some("0")),
    p("labels", List, Some("")),
    p("low_flap_threshold", Int, Some("25")),
    p("macromodulations", List, Some("")),
    p("maintenance_period", Str, Some("")),
    p("max_check_attempts", Int, Some("1")),
    p("merge_host_contacts", Bool, Some("0")),
    p("name", Str, Some("")),
    p("notes", Str, Some("")),
    p("notes_url", Str, Some("")),
    p("notification_interval", Float, Some("60")),
    p("notification_options", List, Some("w,u,c,r,f,s,x")),
    p("notification_period", Str, Some("")),
    p("notifications_enabled", Bool, Some("1")),
    p("obsess", Bool, Some("1")),
    p("obsess_over_service", Bool, Some("1")),
    p("parallelize_check", Bool, Some("1")),
    p("passive_checks_enabled", Bool, Some("1")),
    p("poller_tag", Str, Some("None")),
    p("process_perf_data", Bool, Some("1")),
    p("reactionner_tag", Str, Some("None")),
    p("register", Bool, Some("1")),
    p("resultmodulations", List, Some("")),
    p("retain_nonstatus_information", Bool, Some("1")),
    p("retain_status_information", Bool, Some("1")),
    p("retry_interval", Float, Some("0")),
    p("service_dependencies", List, Some("")),
    p("service_description", Str, None),
    p("servicegroups", List, Some("")),
    p("snapshot_command", Str, Some("")),
    p("snapshot_criteria", List, Some("w,c,u,x")),
    p("snapshot_enabled", Bool, Some("0")),
    p("snapshot_interval", Int, Some("5")),
    p("snapshot_period", Str, Some("")),
    p("stalking_options", List, Some("")),
    p("time_to_orphanage", Int, Some("300")),
    p("trending_policies", List, Some("")),
    p("use", List, Some("")),
];

pub static COMMAND: &[PropDef] = &[
    p("command_line", Str, None),
    p("command_name", Str, None),
    p("definition_order", Int, Some("100")),
    p("enable_environment_macros", Bool, Some("0")),
    p("module_type", Str, Some("fork")),
    p("name", Str, Some("")),
    p("poller_tag", Str, Some("None")),
    p("reactionner_tag", Str, Some("None")),
    p("register", Bool, Some("1")),
    p("timeout", Int, Some("-1")),
    p("use", List, Some("")),
];

pub static TIMEPERIOD: &[PropDef] = &[
    p("alias", Str, Some("")),
    p("definition_order", Int, Some("100")),
    p("exclude", List, Some("")),
    p("name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("timeperiod_name", Str, None),
    p("use", List, Some("")),
];

pub static CONTACT: &[PropDef] = &[
    p("address1", Str, Some("none")),
    p("address2", Str, Some("none")),
    p("address3", Str, Some("none")),
    p("address4", Str, Some("none")),
    p("address5", Str, Some("none")),
    p("address6", Str, Some("none")),
    p("alias", Str, Some("")),
    p("can_submit_commands", Bool, Some("0")),
    p("contact_name", Str, None),
    p("contactgroups", List, Some("")),
    p("definition_order", Int, Some("100")),
    p("email", Str, Some("none")),
    p("expert", Bool, Some("0")),
    p("host_notification_commands", List, Some("")),
    p("host_notification_options", List, Some("")),
    p("host_notification_period", Str, Some("")),
    p("host_notifications_enabled", Bool, Some("1")),
    p("is_admin", Bool, Some("0")),
    p("min_business_impact", Int, Some("0")),
    p("minimum_importance", Int, Some("0")),
    p("minimum_value", Int, Some("0")),
    p("name", Str, Some("")),
    p("notificationways", List, Some("")),
    p("pager", Str, Some("none")),
    p("password", Str, Some("NOPASSWORDSET")),
    p("register", Bool, Some("1")),
    p("retain_nonstatus_information", Bool, Some("1")),
    p("retain_status_information", Bool, Some("1")),
    p("service_notification_commands", List, Some("")),
    p("service_notification_options", List, Some("")),
    p("service_notification_period", Str, Some("")),
    p("service_notifications_enabled", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static CONTACTGROUP: &[PropDef] = &[
    p("alias", Str, Some("")),
    p("contactgroup_members", List, Some("")),
    p("contactgroup_name", Str, None),
    p("definition_order", Int, Some("100")),
    p("members", List, Some("")),
    p("name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static HOSTGROUP: &[PropDef] = &[
    p("action_url", Str, Some("")),
    p("alias", Str, Some("")),
    p("definition_order", Int, Some("100")),
    p("hostgroup_members", List, Some("")),
    p("hostgroup_name", Str, None),
    p("hostgroups", List, Some("")),
    p("members", List, Some("")),
    p("name", Str, Some("")),
    p("notes", Str, Some("")),
    p("notes_url", Str, Some("")),
    p("realm", Str, Some("")),
    p("register", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static SERVICEGROUP: &[PropDef] = &[
    p("action_url", Str, Some("")),
    p("alias", Str, Some("")),
    p("definition_order", Int, Some("100")),
    p("members", List, Some("")),
    p("name", Str, Some("")),
    p("notes", Str, Some("")),
    p("notes_url", Str, Some("")),
    p("register", Bool, Some("1")),
    p("servicegroup_members", List, Some("")),
    p("servicegroup_name", Str, None),
    p("use", List, Some("")),
];

pub static HOSTDEPENDENCY: &[PropDef] = &[
    p("definition_order", Int, Some("100")),
    p("dependency_period", Str, Some("")),
    p("dependent_host_name", Str, Some("")),
    p("dependent_hostgroup_name", Str, Some("")),
    p("execution_failure_criteria", List, Some("n")),
    p("host_name", Str, Some("")),
    p("hostgroup_name", Str, Some("")),
    p("inherits_parent", Bool, Some("0")),
    p("name", Str, Some("")),
    p("notification_failure_criteria", List, Some("n")),
    p("register", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static SERVICEDEPENDENCY: &[PropDef] = &[
    p("definition_order", Int, Some("100")),
    p("dependency_period", Str, Some("")),
    p("dependent_host_name", Str, Some("")),
    p("dependent_hostgroup_name", Str, Some("")),
    p("dependent_service_description", Str, Some("")),
    p("dependent_servicegroup_name", Str, Some("")),
    p("execution_failure_criteria", List, Some("n")),
    p("explode_hostgroup", Bool, Some("0")),
    p("host_name", Str, Some("")),
    p("hostgroup_name", Str, Some("")),
    p("inherits_parent", Bool, Some("0")),
    p("name", Str, Some("")),
    p("notification_failure_criteria", List, Some("n")),
    p("register", Bool, Some("1")),
    p("service_description", Str, None),
    p("servicegroup_name", Str, Some("")),
    p("use", List, Some("")),
];

pub static HOSTESCALATION: &[PropDef] = &[
    p("contact_groups", List, Some("")),
    p("contacts", List, Some("")),
    p("definition_order", Int, Some("100")),
    p("escalation_options", List, Some("d,x,r")),
    p("escalation_period", Str, Some("")),
    p("first_notification", Int, Some("")),
    p("first_notification_time", Float, Some("")),
    p("host_name", Str, Some("")),
    p("hostgroup_name", Str, Some("")),
    p("last_notification", Int, Some("")),
    p("last_notification_time", Float, Some("")),
    p("name", Str, Some("")),
    p("notification_interval", Float, Some("30")),
    p("register", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static SERVICEESCALATION: &[PropDef] = &[
    p("contact_groups", List, Some("")),
    p("contacts", List, Some("")),
    p("definition_order", Int, Some("100")),
    p("escalation_options", List, Some("w,x,c,r")),
    p("escalation_period", Str, Some("")),
    p("first_notification", Int, Some("")),
    p("first_notification_time", Float, Some("")),
    p("host_name", Str, Some("")),
    p("hostgroup_name", Str, Some("")),
    p("last_notification", Int, Some("")),
    p("last_notification_time", Float, Some("")),
    p("name", Str, Some("")),
    p("notification_interval", Float, Some("30")),
    p("register", Bool, Some("1")),
    p("service_description", Str, None),
    p("use", List, Some("")),
];

pub static ESCALATION: &[PropDef] = &[
    p("contact_groups", List, Some("")),
    p("contacts", List, Some("")),
    p("definition_order", Int, Some("100")),
    p("escalation_name", Str, None),
    p("escalation_options", List, Some("d,x,r,w,c")),
    p("escalation_period", Str, Some("")),
    p("first_notification", Int, Some("")),
    p("first_notification_time", Float, Some("")),
    p("host_name", Str, Some("")),
    p("hostgroup_name", Str, Some("")),
    p("last_notification", Int, Some("")),
    p("last_notification_time", Float, Some("")),
    p("name", Str, Some("")),
    p("notification_interval", Float, Some("-1")),
    p("register", Bool, Some("1")),
    p("service_description", Str, Some("")),
    p("use", List, Some("")),
];

pub static NOTIFICATIONWAY: &[PropDef] = &[
    p("definition_order", Int, Some("100")),
    p("host_notification_commands", List, Some("")),
    p("host_notification_options", List, Some("")),
    p("host_notification_period", Str, Some("")),
    p("min_business_impact", Int, Some("0")),
    p("name", Str, Some("")),
    p("notificationway_name", Str, None),
    p("register", Bool, Some("1")),
    p("service_notification_commands", List, Some("")),
    p("service_notification_options", List, Some("")),
    p("service_notification_period", Str, Some("")),
    p("use", List, Some("")),
];

pub static REALM: &[PropDef] = &[
    p("alias", Str, Some("")),
    p("default", Bool, Some("0")),
    p("definition_order", Int, Some("100")),
    p("group_members", List, Some("")),
    p("higher_realms", List, Some("")),
    p("members", List, Some("")),
    p("name", Str, Some("")),
    p("realm_members", List, Some("")),
    p("realm_name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static HOSTEXTINFO: &[PropDef] = &[
    p("2d_coords", Str, Some("")),
    p("3d_coords", Str, Some("")),
    p("definition_order", Int, Some("100")),
    p("host_name", Str, None),
    p("icon_image", Str, Some("")),
    p("icon_image_alt", Str, Some("")),
    p("name", Str, Some("")),
    p("notes", Str, Some("")),
    p("notes_url", Str, Some("")),
    p("register", Bool, Some("1")),
    p("statusmap_image", Str, Some("")),
    p("use", List, Some("")),
    p("vrml_image", Str, Some("")),
];

pub static SERVICEEXTINFO: &[PropDef] = &[
    p("definition_order", Int, Some("100")),
    p("host_name", Str, None),
    p("icon_image", Str, Some("")),
    p("icon_image_alt", Str, Some("")),
    p("name", Str, Some("")),
    p("notes", Str, Some("")),
    p("notes_url", Str, Some("")),
    p("register", Bool, Some("1")),
    p("service_description", Str, None),
    p("use", List, Some("")),
];

pub static BUSINESSIMPACTMODULATION: &[PropDef] = &[
    p("business_impact", Int, None),
    p("business_impact_modulation_name", Str, None),
    p("definition_order", Int, Some("100")),
    p("modulation_period", Str, Some("")),
    p("name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static RESULTMODULATION: &[PropDef] = &[
    p("definition_order", Int, Some("100")),
    p("exit_code_modulation", Int, Some("")),
    p("exit_codes_match", IntList, Some("")),
    p("modulation_period", Str, Some("")),
    p("name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("resultmodulation_name", Str, None),
    p("use", List, Some("")),
];

pub static CHECKMODULATION: &[PropDef] = &[
    p("check_command", Str, None),
    p("check_period", Str, None),
    p("checkmodulation_name", Str, None),
    p("definition_order", Int, Some("100")),
    p("name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static MACROMODULATION: &[PropDef] = &[
    p("definition_order", Int, Some("100")),
    p("macromodulation_name", Str, None),
    p("modulation_period", Str, None),
    p("name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("use", List, Some("")),
];

pub static MODULE: &[PropDef] = &[
    p("daemon", Str, Some("unset")),
    p("definition_order", Int, Some("100")),
    p("enabled", Bool, Some("1")),
    p("log_level", Str, Some("INFO")),
    p("module_alias", Str, None),
    p("module_types", List, Some("")),
    p("modules", List, Some("")),
    p("name", Str, Some("unset")),
    p("python_name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("statsd_enabled", Bool, Some("0")),
    p("statsd_host", Str, Some("localhost")),
    p("statsd_port", Int, Some("8125")),
    p("statsd_prefix", Str, Some("alignak")),
    p("type", Str, Some("unset")),
    p("use", List, Some("")),
];

/// Daemon links: Vigia's health-check defaults differ from Alignak's (`check_interval 60`,
/// `timeout 3`): a check every second with a 1 s timeout, dead after `max_check_attempts` (3)
/// failures in a row or at once when the connection is refused, so a spare takes over in
/// seconds, not minutes. Values written in the configuration are obeyed.
pub static ARBITER: &[PropDef] = &[
    p("active", Bool, Some("1")),
    p("address", Str, Some("127.0.0.1")),
    p("alignak_launched", Bool, Some("0")),
    p("arbiter_name", Str, Some("")),
    p("ca_cert", Str, Some("")),
    p("check_interval", Int, Some("1")),
    p("client_auth", Bool, Some("0")),
    p("data_timeout", Int, Some("120")),
    p("definition_order", Int, Some("100")),
    p("hard_ssl_name_check", Bool, Some("1")),
    p("host", Str, Some("0.0.0.0")),
    p("host_name", Str, Some("vm")),
    p("long_timeout", Int, Some("120")),
    p("manage_arbiters", Bool, Some("0")),
    p("manage_sub_realms", Bool, Some("1")),
    p("max_check_attempts", Int, Some("3")),
    p("modules", List, Some("")),
    p("name", Str, Some("")),
    p("passive", Bool, Some("0")),
    p("ping_period", Int, Some("5")),
    p("polling_interval", Int, Some("5")),
    p("port", Int, Some("7770")),
    p("realm", Str, Some("")),
    p("realm_name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("satellite_map", Dict, Some("{}")),
    p("server_cert", Str, Some("")),
    p("server_dh", Str, Some("")),
    p("server_key", Str, Some("")),
    p("short_timeout", Int, Some("3")),
    p("spare", Bool, Some("0")),
    p("spare_check_interval", Int, Some("5")),
    p("spare_max_check_attempts", Int, Some("3")),
    p("timeout", Int, Some("1")),
    p("type", Str, Some("arbiter")),
    p("use", List, Some("")),
    p("use_ssl", Bool, Some("0")),
    p("use_timezone", Str, Some("NOTSET")),
];

pub static SCHEDULER: &[PropDef] = &[
    p("accept_passive_unknown_check_results", Bool, Some("0")),
    p("active", Bool, Some("1")),
    p("address", Str, Some("127.0.0.1")),
    p("alignak_launched", Bool, Some("0")),
    p("ca_cert", Str, Some("")),
    p("check_interval", Int, Some("1")),
    p("client_auth", Bool, Some("0")),
    p("data_timeout", Int, Some("120")),
    p("definition_order", Int, Some("100")),
    p("hard_ssl_name_check", Bool, Some("1")),
    p("host", Str, Some("0.0.0.0")),
    // Vigia: seconds a scheduler cut off from every arbiter holds notifications (0: never).
    p("isolated_notification_hold", Int, Some("300")),
    p("long_timeout", Int, Some("120")),
    p("manage_arbiters", Bool, Some("0")),
    p("manage_sub_realms", Bool, Some("1")),
    p("max_check_attempts", Int, Some("3")),
    p("modules", List, Some("")),
    p("name", Str, Some("")),
    p("passive", Bool, Some("0")),
    p("ping_period", Int, Some("5")),
    p("polling_interval", Int, Some("5")),
    p("port", Int, Some("7768")),
    p("realm", Str, Some("")),
    p("realm_name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("satellite_map", Dict, Some("{}")),
    p("scheduler_name", Str, Some("")),
    p("server_cert", Str, Some("")),
    p("server_dh", Str, Some("")),
    p("server_key", Str, Some("")),
    p("short_timeout", Int, Some("3")),
    p("skip_initial_broks", Bool, Some("0")),
    p("spare", Bool, Some("0")),
    p("spare_check_interval", Int, Some("5")),
    p("spare_max_check_attempts", Int, Some("3")),
    p("timeout", Int, Some("1")),
    p("type", Str, Some("scheduler")),
    p("use", List, Some("")),
    p("use_ssl", Bool, Some("0")),
    p("use_timezone", Str, Some("NOTSET")),
    p("weight", Int, Some("1")),
];

pub static POLLER: &[PropDef] = &[
    p("active", Bool, Some("1")),
    p("address", Str, Some("127.0.0.1")),
    p("alignak_launched", Bool, Some("0")),
    p("ca_cert", Str, Some("")),
    p("check_interval", Int, Some("1")),
    p("client_auth", Bool, Some("0")),
    p("data_timeout", Int, Some("120")),
    p("definition_order", Int, Some("100")),
    p("hard_ssl_name_check", Bool, Some("1")),
    p("host", Str, Some("0.0.0.0")),
    p("long_timeout", Int, Some("120")),
    p("manage_arbiters", Bool, Some("0")),
    p("manage_sub_realms", Bool, Some("1")),
    p("max_check_attempts", Int, Some("3")),
    p("max_plugins_output_length", Int, Some("8192")),
    p("max_workers", Int, Some("0")),
    p("min_workers", Int, Some("0")),
    p("modules", List, Some("")),
    p("name", Str, Some("")),
    p("passive", Bool, Some("0")),
    p("ping_period", Int, Some("5")),
    p("poller_name", Str, Some("")),
    p("poller_tags", List, Some("None")),
    p("polling_interval", Int, Some("5")),
    p("port", Int, Some("7771")),
    p("processes_by_worker", Int, Some("256")),
    p("realm", Str, Some("")),
    p("realm_name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("satellite_map", Dict, Some("{}")),
    p("server_cert", Str, Some("")),
    p("server_dh", Str, Some("")),
    p("server_key", Str, Some("")),
    p("short_timeout", Int, Some("3")),
    p("spare", Bool, Some("0")),
    p("spare_check_interval", Int, Some("5")),
    p("spare_max_check_attempts", Int, Some("3")),
    p("timeout", Int, Some("1")),
    p("timeout_exit_status", Int, Some("2")),
    p("type", Str, Some("poller")),
    p("use", List, Some("")),
    p("use_ssl", Bool, Some("0")),
    p("use_timezone", Str, Some("NOTSET")),
    p("worker_polling_interval", Int, Some("1")),
];

pub static REACTIONNER: &[PropDef] = &[
    p("active", Bool, Some("1")),
    p("address", Str, Some("127.0.0.1")),
    p("alignak_launched", Bool, Some("0")),
    p("ca_cert", Str, Some("")),
    p("check_interval", Int, Some("1")),
    p("client_auth", Bool, Some("0")),
    p("data_timeout", Int, Some("120")),
    p("definition_order", Int, Some("100")),
    p("hard_ssl_name_check", Bool, Some("1")),
    p("host", Str, Some("0.0.0.0")),
    p("long_timeout", Int, Some("120")),
    p("manage_arbiters", Bool, Some("0")),
    p("manage_sub_realms", Bool, Some("1")),
    p("max_check_attempts", Int, Some("3")),
    p("max_plugins_output_length", Int, Some("8192")),
    p("max_workers", Int, Some("0")),
    p("min_workers", Int, Some("0")),
    p("modules", List, Some("")),
    p("name", Str, Some("")),
    p("passive", Bool, Some("0")),
    p("ping_period", Int, Some("5")),
    p("polling_interval", Int, Some("5")),
    p("port", Int, Some("7769")),
    p("processes_by_worker", Int, Some("256")),
    p("reactionner_name", Str, Some("")),
    p("reactionner_tags", List, Some("None")),
    p("realm", Str, Some("")),
    p("realm_name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("satellite_map", Dict, Some("{}")),
    p("server_cert", Str, Some("")),
    p("server_dh", Str, Some("")),
    p("server_key", Str, Some("")),
    p("short_timeout", Int, Some("3")),
    p("spare", Bool, Some("0")),
    p("spare_check_interval", Int, Some("5")),
    p("spare_max_check_attempts", Int, Some("3")),
    p("timeout", Int, Some("1")),
    p("timeout_exit_status", Int, Some("2")),
    p("type", Str, Some("reactionner")),
    p("use", List, Some("")),
    p("use_ssl", Bool, Some("0")),
    p("use_timezone", Str, Some("NOTSET")),
    p("worker_polling_interval", Int, Some("1")),
];

pub static BROKER: &[PropDef] = &[
    p("active", Bool, Some("1")),
    p("address", Str, Some("127.0.0.1")),
    p("alignak_launched", Bool, Some("0")),
    p("broker_name", Str, Some("")),
    p("ca_cert", Str, Some("")),
    p("check_interval", Int, Some("1")),
    p("client_auth", Bool, Some("0")),
    p("data_timeout", Int, Some("120")),
    p("definition_order", Int, Some("100")),
    p("hard_ssl_name_check", Bool, Some("1")),
    p("host", Str, Some("0.0.0.0")),
    p("livestatus_host", Str, Some("")),
    p("livestatus_port", Int, Some("0")),
    p("livestatus_tls", Bool, Some("0")),
    p("long_timeout", Int, Some("120")),
    p("manage_arbiters", Bool, Some("0")),
    p("manage_sub_realms", Bool, Some("1")),
    p("max_check_attempts", Int, Some("3")),
    p("max_queue_size", Int, Some("0")),
    p("modules", List, Some("")),
    p("name", Str, Some("")),
    p("passive", Bool, Some("0")),
    p("ping_period", Int, Some("5")),
    p("polling_interval", Int, Some("5")),
    p("port", Int, Some("7772")),
    p("realm", Str, Some("")),
    p("realm_name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("satellite_map", Dict, Some("{}")),
    p("server_cert", Str, Some("")),
    p("server_dh", Str, Some("")),
    p("server_key", Str, Some("")),
    p("short_timeout", Int, Some("3")),
    p("spare", Bool, Some("0")),
    p("spare_check_interval", Int, Some("5")),
    p("spare_max_check_attempts", Int, Some("3")),
    p("timeout", Int, Some("1")),
    p("type", Str, Some("broker")),
    p("use", List, Some("")),
    p("use_ssl", Bool, Some("0")),
    p("use_timezone", Str, Some("NOTSET")),
];

pub static RECEIVER: &[PropDef] = &[
    p("accept_passive_unknown_check_results", Bool, Some("0")),
    p("active", Bool, Some("1")),
    p("address", Str, Some("127.0.0.1")),
    p("alignak_launched", Bool, Some("0")),
    p("ca_cert", Str, Some("")),
    p("check_interval", Int, Some("1")),
    p("client_auth", Bool, Some("0")),
    p("command_file", Str, Some("")),
    p("data_timeout", Int, Some("120")),
    p("definition_order", Int, Some("100")),
    p("direct_routing", Bool, Some("1")),
    p("hard_ssl_name_check", Bool, Some("1")),
    p("host", Str, Some("0.0.0.0")),
    p("long_timeout", Int, Some("120")),
    p("manage_arbiters", Bool, Some("0")),
    p("manage_sub_realms", Bool, Some("1")),
    p("max_check_attempts", Int, Some("3")),
    p("max_plugins_output_length", Int, Some("8192")),
    p("max_workers", Int, Some("0")),
    p("min_workers", Int, Some("0")),
    p("modules", List, Some("")),
    p("name", Str, Some("")),
    p("passive", Bool, Some("0")),
    p("ping_period", Int, Some("5")),
    p("polling_interval", Int, Some("5")),
    p("port", Int, Some("7773")),
    p("processes_by_worker", Int, Some("256")),
    p("realm", Str, Some("")),
    p("realm_name", Str, Some("")),
    p("receiver_name", Str, Some("")),
    p("register", Bool, Some("1")),
    p("satellite_map", Dict, Some("{}")),
    p("server_cert", Str, Some("")),
    p("server_dh", Str, Some("")),
    p("server_key", Str, Some("")),
    p("short_timeout", Int, Some("3")),
    p("spare", Bool, Some("0")),
    p("spare_check_interval", Int, Some("5")),
    p("spare_max_check_attempts", Int, Some("3")),
    p("timeout", Int, Some("1")),
    p("timeout_exit_status", Int, Some("2")),
    p("type", Str, Some("receiver")),
    p("use", List, Some("")),
    p("use_ssl", Bool, Some("0")),
    p("use_timezone", Str, Some("NOTSET")),
    p("worker_polling_interval", Int, Some("1")),
];

/// The property table of an object type, sorted by name.
pub fn props(kind: ObjectKind) -> &'static [PropDef] {
    match kind {
        ObjectKind::Host => HOST,
        ObjectKind::Service => SERVICE,
        ObjectKind::Command => COMMAND,
        ObjectKind::Timeperiod => TIMEPERIOD,
        ObjectKind::Contact => CONTACT,
        ObjectKind::Contactgroup => CONTACTGROUP,
        ObjectKind::Hostgroup => HOSTGROUP,
        ObjectKind::Servicegroup => SERVICEGROUP,
        ObjectKind::Hostdependency => HOSTDEPENDENCY,
        ObjectKind::Servicedependency => SERVICEDEPENDENCY,
        ObjectKind::Hostescalation => HOSTESCALATION,
        ObjectKind::Serviceescalation => SERVICEESCALATION,
        ObjectKind::Escalation => ESCALATION,
        ObjectKind::Notificationway => NOTIFICATIONWAY,
        ObjectKind::Realm => REALM,
        ObjectKind::Hostextinfo => HOSTEXTINFO,
        ObjectKind::Serviceextinfo => SERVICEEXTINFO,
        ObjectKind::Businessimpactmodulation => BUSINESSIMPACTMODULATION,
        ObjectKind::Resultmodulation => RESULTMODULATION,
        ObjectKind::Checkmodulation => CHECKMODULATION,
        ObjectKind::Macromodulation => MACROMODULATION,
        ObjectKind::Module => MODULE,
        ObjectKind::Arbiter => ARBITER,
        ObjectKind::Scheduler => SCHEDULER,
        ObjectKind::Poller => POLLER,
        ObjectKind::Reactionner => REACTIONNER,
        ObjectKind::Broker => BROKER,
        ObjectKind::Receiver => RECEIVER,
    }
}

/// The definition of `name` for `kind`, if the type knows it.
/// Nagios 2 names that Nagios 3+, Shinken and Alignak still accept for host and service
/// properties (Alignak `old_properties`).
pub fn canonical(name: &str) -> &str {
    match name {
        "normal_check_interval" => "check_interval",
        "retry_check_interval" => "retry_interval",
        "criticity" => "business_impact",
        _ => name,
    }
}

/// The name `kind` knows `name` by: Nagios 4's synonyms per object type (`description` for
/// `service_description`, `host` for `host_name`, `master_host` in dependencies, …, as its
/// `xodtemplate.c` accepts them), then [`canonical`]'s.
pub fn canonical_for(kind: ObjectKind, name: &str) -> &str {
    use ObjectKind as K;
    let synonym = match (kind, name) {
        (K::Service | K::Serviceescalation | K::Servicedependency, "description") => "service_description",
        (K::Servicedependency, "master_description" | "master_service_description") => "service_description",
        (K::Service, "hosts") => "host_name",
        (K::Service | K::Serviceescalation | K::Hostescalation, "host") => "host_name",
        (K::Servicedependency | K::Hostdependency, "host" | "master_host" | "master_host_name") => "host_name",
        (
            K::Service | K::Serviceescalation | K::Hostescalation | K::Servicedependency | K::Hostdependency,
            "hostgroup" | "hostgroups",
        ) => "hostgroup_name",
        (K::Serviceescalation | K::Servicedependency, "servicegroup" | "servicegroups") => "servicegroup_name",
        (K::Servicedependency, "dependent_servicegroup" | "dependent_servicegroups") => "dependent_servicegroup_name",
        (K::Servicedependency | K::Hostdependency, "dependent_hostgroup" | "dependent_hostgroups") => {
            "dependent_hostgroup_name"
        }
        (K::Servicedependency | K::Hostdependency, "dependent_host") => "dependent_host_name",
        (K::Servicedependency, "dependent_description") => "dependent_service_description",
        (K::Servicedependency | K::Hostdependency, "execution_failure_options") => "execution_failure_criteria",
        (K::Servicedependency | K::Hostdependency, "notification_failure_options") => "notification_failure_criteria",
        (K::Contact, "contact_groups") => "contactgroups",
        (K::Host, "host_groups") => "hostgroups",
        (K::Service, "service_groups") => "servicegroups",
        (K::Host | K::Service, "checks_enabled") => "active_checks_enabled",
        _ => return canonical(name),
    };
    // Only where the type does not know the name itself (Alignak may).
    if props(kind).binary_search_by(|def| def.name.cmp(name)).is_ok() {
        name
    } else {
        synonym
    }
}

pub fn lookup(kind: ObjectKind, name: &str) -> Option<&'static PropDef> {
    position(kind, name).map(|i| &props(kind)[i])
}

/// Where `name` (or the property it is a synonym of) is in `kind`'s table: tables indexed by
/// it ([`crate::effect::property_at`]) answer without comparing names again.
pub fn position(kind: ObjectKind, name: &str) -> Option<usize> {
    let name = canonical_for(kind, name);
    props(kind).binary_search_by(|def| def.name.cmp(name)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nagios_synonyms_name_known_properties() {
        use ObjectKind as K;
        for (kind, alias, canonical) in [
            (K::Service, "description", "service_description"),
            (K::Service, "host", "host_name"),
            (K::Service, "hostgroups", "hostgroup_name"),
            (K::Servicedependency, "master_host_name", "host_name"),
            (
                K::Servicedependency,
                "dependent_description",
                "dependent_service_description",
            ),
            (
                K::Hostdependency,
                "execution_failure_options",
                "execution_failure_criteria",
            ),
            (K::Hostescalation, "hostgroup", "hostgroup_name"),
            (K::Contact, "contact_groups", "contactgroups"),
        ] {
            assert_eq!(canonical_for(kind, alias), canonical, "{kind:?} {alias}");
            assert!(lookup(kind, canonical).is_some(), "{kind:?} knows {canonical}");
        }
        // A name the type knows stays itself.
        assert_eq!(canonical_for(K::Host, "hostgroups"), "hostgroups");
    }

    #[test]
    fn tables_are_sorted_for_binary_search() {
        for kind in ObjectKind::ALL {
            let table = props(*kind);
            assert!(table.windows(2).all(|w| w[0].name < w[1].name), "{kind:?}");
        }
    }

    #[test]
    fn required_properties_follow_alignak() {
        assert!(lookup(ObjectKind::Host, "host_name").is_some_and(|d| d.default.is_none()));
        assert!(lookup(ObjectKind::Service, "check_command").is_some_and(|d| d.default.is_none()));
        assert_eq!(
            lookup(ObjectKind::Service, "max_check_attempts").and_then(|d| d.default),
            Some("1")
        );
        assert_eq!(
            lookup(ObjectKind::Receiver, "port").and_then(|d| d.default),
            Some("7773")
        );
        assert!(lookup(ObjectKind::Host, "no_such_thing").is_none());
    }
}
