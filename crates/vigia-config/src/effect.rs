//! What Vigia does with each setting it reads: the one table that says, for every known
//! main-file directive (`nagios.cfg`, `alignak.cfg`, `alignak.ini`) and every object property
//! or object type Vigia reads but does not act on, why — so that no setting is silently
//! ignored. `check-config` warns once per place for each of them ("has no effect in Vigia"),
//! and an unknown name gets the closest known one ("did you mean …").
//!
//! Object properties the schema knows and this table does not list are acted on. Keep the
//! table true: when a setting starts to be acted on, move it to [`Effect::Acted`] (main file)
//! or drop its row (objects).
use std::collections::HashSet;
use std::sync::OnceLock;

use crate::diag::{Diagnostics, Location};
use crate::dialect::Dialect;
use crate::kind::ObjectKind;
use crate::schema;
use crate::source::SourceTree;

/// What Vigia does with a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Vigia acts on it.
    Acted,
    /// Read and accepted, no effect: why, and what to use instead.
    Inert(&'static str),
}

// Why a main-file directive has no effect (one reason per family of directives).
const STATE_FILES: &str = "each Vigia daemon keeps its status and retention in its data folder";
const RETENTION: &str = "the scheduler always keeps states across restarts, in its data folder";
const LOGS: &str = "the broker writes the monitoring log (vigia.log) in its data folder";
const DEBUG: &str = "daemons log to stderr; set RUST_LOG for more";
const PERFDATA: &str = "performance data is not processed yet";
const COMMANDS: &str =
    "the receiver always accepts external commands; give it a FIFO with `vigia receiver --command-file`";
const BROKER_MODULES: &str = "Vigia loads no event-broker modules: its broker serves the data (HTTP API, Livestatus)";
const OBSESS: &str = "obsessive-compulsive commands are not run: spare schedulers follow the state stream";
const TIMEOUTS: &str = "a command's own `timeout` applies, else Vigia's 60 s";
const TUNING: &str = "Vigia's schedulers and pollers need no such tuning";
const FRESHNESS: &str = "freshness is checked per object (`check_freshness`, `freshness_threshold`)";
const FLAP_THRESHOLDS: &str = "set `low_flap_threshold`/`high_flap_threshold` on hosts and services";
const PROCESS: &str = "a Vigia daemon takes its process settings on its command line";
const NOT_BUILT: &str = "not implemented yet";
const NAGIOS_ONLY: &str = "a Nagios feature Vigia does not have";
const ALIGNAK_ONLY: &str = "an Alignak feature Vigia does not have";
const SHINKEN_ONLY: &str = "a Shinken setting Vigia does not have";
const INCLUDES: &str = "Vigia reads cfg_file and cfg_dir only: use those";
const NO_DH: &str = "rustls chooses the key exchange: no Diffie-Hellman parameters file is needed";
const ADMIN_MACROS: &str = "Vigia has no $ADMINEMAIL$/$ADMINPAGER$ macros: use a custom variable";

use Effect::{Acted, Inert};

/// Every main-file directive Nagios 4, naemon, Alignak 2 or Vigia knows (Nagios 4's
/// `read_main_config_file`, naemon's, Alignak's `Config.properties`), with what Vigia does with
/// it. Looked up by a linear scan: a main file has tens of lines.
static MAIN: &[(&str, Effect)] = &[
    // Read by the loader.
    ("cfg_file", Acted),
    ("cfg_dir", Acted),
    ("resource_file", Acted),
    ("interval_length", Acted),
    ("launch_missing_daemons", Acted),
    ("daemons_initial_port", Acted),
    // Read by the engine.
    ("global_host_event_handler", Acted),
    ("global_service_event_handler", Acted),
    ("enable_notifications", Acted),
    ("enable_event_handlers", Acted),
    ("enable_flap_detection", Acted),
    ("execute_service_checks", Acted),
    ("execute_host_checks", Acted),
    ("accept_passive_service_checks", Acted),
    ("accept_passive_host_checks", Acted),
    ("log_service_retries", Acted),
    ("log_host_retries", Acted),
    ("log_passive_checks", Acted),
    ("log_external_commands", Acted),
    ("log_initial_states", Acted),
    ("illegal_macro_output_chars", Acted),
    ("max_plugins_output_length", Acted),
    ("max_host_check_spread", Acted),
    ("max_service_check_spread", Acted),
    // Read by the arbiter.
    ("vigia_secret", Acted),
    // TLS between daemons (an ini's [DEFAULT] gives them to every daemon).
    ("use_ssl", Acted),
    ("ca_cert", Acted),
    ("server_cert", Acted),
    ("server_key", Acted),
    ("server_dh", Inert(NO_DH)),
    ("hard_ssl_name_check", Acted),
    // Files Nagios writes.
    ("status_file", Inert(STATE_FILES)),
    ("status_update_interval", Inert(STATE_FILES)),
    ("object_cache_file", Inert(STATE_FILES)),
    ("precached_object_file", Inert(STATE_FILES)),
    ("temp_file", Inert(STATE_FILES)),
    ("temp_path", Inert(STATE_FILES)),
    ("lock_file", Inert(STATE_FILES)),
    ("query_socket", Inert(STATE_FILES)),
    ("check_result_path", Inert(STATE_FILES)),
    ("max_check_result_file_age", Inert(STATE_FILES)),
    ("state_retention_file", Inert(RETENTION)),
    ("state_retention_dir", Inert(RETENTION)),
    ("retain_state_information", Inert(RETENTION)),
    ("retention_update_interval", Inert(RETENTION)),
    ("retention_scheduling_horizon", Inert(RETENTION)),
    ("retained_scheduling_randomize_window", Inert(RETENTION)),
    ("use_retained_program_state", Inert(RETENTION)),
    ("use_retained_scheduling_info", Inert(RETENTION)),
    ("retained_host_attribute_mask", Inert(RETENTION)),
    ("retained_service_attribute_mask", Inert(RETENTION)),
    ("retained_process_host_attribute_mask", Inert(RETENTION)),
    ("retained_process_service_attribute_mask", Inert(RETENTION)),
    ("retained_contact_host_attribute_mask", Inert(RETENTION)),
    ("retained_contact_service_attribute_mask", Inert(RETENTION)),
    // Logs.
    ("log_file", Inert(LOGS)),
    ("log_archive_path", Inert(LOGS)),
    ("log_rotation_method", Inert(LOGS)),
    ("use_syslog", Inert(LOGS)),
    ("log_notifications", Inert(LOGS)),
    ("log_event_handlers", Inert(LOGS)),
    ("log_current_states", Inert(LOGS)),
    ("log_global_notifications", Inert(LOGS)),
    ("enable_notification_suppression_reason_logging", Inert(LOGS)),
    ("log_alerts", Inert(LOGS)),
    ("log_acknowledgements", Inert(LOGS)),
    ("log_downtimes", Inert(LOGS)),
    ("log_snapshots", Inert(LOGS)),
    ("log_flappings", Inert(LOGS)),
    ("log_active_checks", Inert(LOGS)),
    ("log_alignak_checks", Inert(LOGS)),
    ("log_filename", Inert(LOGS)),
    ("log_level", Inert(LOGS)),
    ("log_format", Inert(LOGS)),
    ("log_date", Inert(LOGS)),
    ("log_rotation_when", Inert(LOGS)),
    ("log_rotation_interval", Inert(LOGS)),
    ("log_rotation_count", Inert(LOGS)),
    ("events_date_format", Inert(LOGS)),
    ("events_log_count", Inert(LOGS)),
    ("date_format", Inert(LOGS)),
    ("debug_file", Inert(DEBUG)),
    ("debug_level", Inert(DEBUG)),
    ("debug_verbosity", Inert(DEBUG)),
    ("max_debug_file_size", Inert(DEBUG)),
    // Performance data.
    ("process_performance_data", Inert(PERFDATA)),
    ("perfdata_timeout", Inert(PERFDATA)),
    ("host_perfdata_command", Inert(PERFDATA)),
    ("service_perfdata_command", Inert(PERFDATA)),
    ("host_perfdata_file", Inert(PERFDATA)),
    ("service_perfdata_file", Inert(PERFDATA)),
    ("host_perfdata_file_template", Inert(PERFDATA)),
    ("service_perfdata_file_template", Inert(PERFDATA)),
    ("host_perfdata_file_mode", Inert(PERFDATA)),
    ("service_perfdata_file_mode", Inert(PERFDATA)),
    ("host_perfdata_file_processing_interval", Inert(PERFDATA)),
    ("service_perfdata_file_processing_interval", Inert(PERFDATA)),
    ("host_perfdata_file_processing_command", Inert(PERFDATA)),
    ("service_perfdata_file_processing_command", Inert(PERFDATA)),
    ("host_perfdata_process_empty_results", Inert(PERFDATA)),
    ("service_perfdata_process_empty_results", Inert(PERFDATA)),
    // External commands.
    ("command_file", Inert(COMMANDS)),
    ("check_external_commands", Inert(COMMANDS)),
    ("command_check_interval", Inert(COMMANDS)),
    ("external_command_buffer_slots", Inert(COMMANDS)),
    // Event broker.
    ("broker_module", Inert(BROKER_MODULES)),
    ("event_broker_options", Inert(BROKER_MODULES)),
    // Obsession.
    ("obsess_over_services", Inert(OBSESS)),
    ("obsess_over_hosts", Inert(OBSESS)),
    ("ocsp_command", Inert(OBSESS)),
    ("ochp_command", Inert(OBSESS)),
    ("ocsp_timeout", Inert(OBSESS)),
    ("ochp_timeout", Inert(OBSESS)),
    // Timeouts.
    ("service_check_timeout", Inert(TIMEOUTS)),
    ("service_check_timeout_state", Inert(TIMEOUTS)),
    ("host_check_timeout", Inert(TIMEOUTS)),
    ("event_handler_timeout", Inert(TIMEOUTS)),
    ("notification_timeout", Inert(TIMEOUTS)),
    ("timeout_exit_status", Inert(TIMEOUTS)),
    // Scheduling and process tuning.
    ("sleep_time", Inert(TUNING)),
    ("service_inter_check_delay_method", Inert(TUNING)),
    ("host_inter_check_delay_method", Inert(TUNING)),
    ("service_interleave_factor", Inert(TUNING)),
    ("max_concurrent_checks", Inert(TUNING)),
    ("check_result_reaper_frequency", Inert(TUNING)),
    ("service_reaper_frequency", Inert(TUNING)),
    ("max_check_result_reaper_time", Inert(TUNING)),
    ("auto_reschedule_checks", Inert(TUNING)),
    ("auto_rescheduling_interval", Inert(TUNING)),
    ("auto_rescheduling_window", Inert(TUNING)),
    ("use_large_installation_tweaks", Inert(TUNING)),
    ("free_child_process_memory", Inert(TUNING)),
    ("child_processes_fork_twice", Inert(TUNING)),
    ("check_workers", Inert(TUNING)),
    ("loadctl_options", Inert(TUNING)),
    ("cached_host_check_horizon", Inert(TUNING)),
    ("cached_service_check_horizon", Inert(TUNING)),
    ("enable_predictive_host_dependency_checks", Inert(TUNING)),
    ("enable_predictive_service_dependency_checks", Inert(TUNING)),
    ("time_change_threshold", Inert(TUNING)),
    ("daemon_dumps_core", Inert(TUNING)),
    ("runners_timeout", Inert(TUNING)),
    ("daemon_thread_pool_size", Inert(TUNING)),
    ("clean_objects", Inert(TUNING)),
    ("cleaning_queues_interval", Inert(TUNING)),
    ("check_service_freshness", Inert(FRESHNESS)),
    ("check_host_freshness", Inert(FRESHNESS)),
    ("service_freshness_check_interval", Inert(FRESHNESS)),
    ("freshness_check_interval", Inert(FRESHNESS)),
    ("host_freshness_check_interval", Inert(FRESHNESS)),
    ("additional_freshness_latency", Inert(FRESHNESS)),
    ("low_service_flap_threshold", Inert(FLAP_THRESHOLDS)),
    ("high_service_flap_threshold", Inert(FLAP_THRESHOLDS)),
    ("low_host_flap_threshold", Inert(FLAP_THRESHOLDS)),
    ("high_host_flap_threshold", Inert(FLAP_THRESHOLDS)),
    ("flap_history", Inert(FLAP_THRESHOLDS)),
    // Behaviours Vigia does not have.
    ("soft_state_dependencies", Inert(NOT_BUILT)),
    ("translate_passive_host_checks", Inert(NOT_BUILT)),
    ("passive_host_checks_are_soft", Inert(NOT_BUILT)),
    ("use_aggressive_host_checking", Inert(NOT_BUILT)),
    ("use_agressive_host_checking", Inert(NOT_BUILT)),
    ("check_for_orphaned_services", Inert(NOT_BUILT)),
    ("check_for_orphaned_hosts", Inert(NOT_BUILT)),
    ("allow_empty_hostgroup_assignment", Inert(NOT_BUILT)),
    ("allow_circular_dependencies", Inert(NOT_BUILT)),
    ("use_regexp_matching", Inert(NOT_BUILT)),
    ("use_true_regexp_matching", Inert(NOT_BUILT)),
    ("illegal_object_name_chars", Inert(NOT_BUILT)),
    ("enable_environment_macros", Inert(NOT_BUILT)),
    ("enable_failure_prediction", Inert(NOT_BUILT)),
    ("host_down_disable_service_checks", Inert(NOT_BUILT)),
    ("service_skip_check_dependency_status", Inert(NOT_BUILT)),
    ("service_skip_check_parent_status", Inert(NOT_BUILT)),
    ("service_skip_check_host_down_status", Inert(NOT_BUILT)),
    ("host_skip_check_dependency_status", Inert(NOT_BUILT)),
    ("service_parents_disable_service_checks", Inert(NOT_BUILT)),
    ("global_host_notification_handler", Inert(NOT_BUILT)),
    ("global_service_notification_handler", Inert(NOT_BUILT)),
    ("accept_passive_unknown_check_results", Inert(NOT_BUILT)),
    ("no_event_handlers_during_downtimes", Inert(NOT_BUILT)),
    ("enable_problem_impacts_states_change", Inert(NOT_BUILT)),
    (
        "use_timezone",
        Inert("timeperiods use the daemon's local time zone (TZ)"),
    ),
    ("admin_email", Inert(ADMIN_MACROS)),
    ("admin_pager", Inert(ADMIN_MACROS)),
    ("include_file", Inert(INCLUDES)),
    ("include_dir", Inert(INCLUDES)),
    // Nagios's process and CGI settings.
    ("nagios_user", Inert(PROCESS)),
    ("nagios_group", Inert(PROCESS)),
    ("naemon_user", Inert(PROCESS)),
    ("naemon_group", Inert(PROCESS)),
    ("config_rel_path", Inert(NAGIOS_ONLY)),
    ("website_url", Inert(NAGIOS_ONLY)),
    ("check_for_updates", Inert(NAGIOS_ONLY)),
    ("bare_update_check", Inert(NAGIOS_ONLY)),
    ("bare_update_checks", Inert(NAGIOS_ONLY)),
    ("enable_embedded_perl", Inert(NAGIOS_ONLY)),
    ("use_embedded_perl_implicitly", Inert(NAGIOS_ONLY)),
    ("p1_file", Inert(NAGIOS_ONLY)),
    ("auth_file", Inert(NAGIOS_ONLY)),
    // Alignak's arbiter, daemon process and runtime settings.
    ("alignak_name", Inert(ALIGNAK_ONLY)),
    ("alignak_env", Inert(ALIGNAK_ONLY)),
    ("config_name", Inert(ALIGNAK_ONLY)),
    ("instance_id", Inert(ALIGNAK_ONLY)),
    ("env_variables_prefix", Inert(ALIGNAK_ONLY)),
    ("forced_realms_hostgroups", Inert(ALIGNAK_ONLY)),
    ("packs_dir", Inert(ALIGNAK_ONLY)),
    ("config_base_dir", Inert(ALIGNAK_ONLY)),
    ("config_files", Inert(ALIGNAK_ONLY)),
    ("main_config_file", Inert(ALIGNAK_ONLY)),
    ("resource_macros_names", Inert(ALIGNAK_ONLY)),
    ("program_start", Inert(ALIGNAK_ONLY)),
    ("last_alive", Inert(ALIGNAK_ONLY)),
    ("last_log_rotation", Inert(ALIGNAK_ONLY)),
    ("last_command_check", Inert(ALIGNAK_ONLY)),
    ("pid", Inert(ALIGNAK_ONLY)),
    ("is_running", Inert(ALIGNAK_ONLY)),
    ("modified_attributes", Inert(ALIGNAK_ONLY)),
    ("modified_host_attributes", Inert(ALIGNAK_ONLY)),
    ("modified_service_attributes", Inert(ALIGNAK_ONLY)),
    ("daemon_mode", Inert(PROCESS)),
    ("daemons_arguments", Inert(PROCESS)),
    ("daemons_check_period", Inert(PROCESS)),
    ("daemons_dispatch_timeout", Inert(PROCESS)),
    ("daemons_failure_kill", Inert(PROCESS)),
    ("daemons_log_folder", Inert(PROCESS)),
    ("daemons_new_conf_timeout", Inert(PROCESS)),
    ("daemons_start_timeout", Inert(PROCESS)),
    ("daemons_stop_timeout", Inert(PROCESS)),
    ("daemons_script_location", Inert(PROCESS)),
    ("bindir", Inert(PROCESS)),
    ("etcdir", Inert(PROCESS)),
    ("logdir", Inert(PROCESS)),
    ("vardir", Inert(PROCESS)),
    ("workdir", Inert(PROCESS)),
    ("user", Inert(PROCESS)),
    ("group", Inert(PROCESS)),
    ("create_directories", Inert(PROCESS)),
    ("pid_filename", Inert(PROCESS)),
    ("logger_configuration", Inert(PROCESS)),
    ("debug", Inert(PROCESS)),
    ("do_replace", Inert(PROCESS)),
    ("is_daemon", Inert(PROCESS)),
    ("idontcareaboutsecurity", Inert(PROCESS)),
    ("log_cherrypy", Inert(PROCESS)),
    ("thread_pool_size", Inert(PROCESS)),
    ("alignak_monitor", Inert(ALIGNAK_ONLY)),
    ("alignak_monitor_period", Inert(ALIGNAK_ONLY)),
    ("alignak_monitor_username", Inert(ALIGNAK_ONLY)),
    ("alignak_monitor_password", Inert(ALIGNAK_ONLY)),
    ("graphite_enabled", Inert(ALIGNAK_ONLY)),
    ("statsd_enabled", Inert(ALIGNAK_ONLY)),
    ("statsd_host", Inert(ALIGNAK_ONLY)),
    ("statsd_port", Inert(ALIGNAK_ONLY)),
    ("statsd_prefix", Inert(ALIGNAK_ONLY)),
    ("alignak_user", Inert(PROCESS)),
    ("alignak_group", Inert(PROCESS)),
    ("failure_prediction_enabled", Inert(NAGIOS_ONLY)),
    // Shinken's, which Alignak still reads.
    ("daemon_enabled", Inert(SHINKEN_ONLY)),
    ("disable_old_nagios_parameters_whining", Inert(SHINKEN_ONLY)),
    ("http_backend", Inert(SHINKEN_ONLY)),
    ("local_log", Inert(SHINKEN_ONLY)),
    ("modules_dir", Inert(SHINKEN_ONLY)),
    ("pack_distribution_file", Inert(SHINKEN_ONLY)),
    ("shinken_user", Inert(PROCESS)),
    ("shinken_group", Inert(PROCESS)),
];

/// Boolean settings whose value, when it is what Vigia always does, asks for nothing Vigia
/// ignores: `retain_status_information 1` or `obsess_over_services=0` get no warning, the
/// other value does. Shared by main-file directives and object properties (the names do not
/// clash).
static SAME_AS_VIGIA: &[(&str, bool)] = &[
    ("business_rule_downtime_as_ack", false),
    ("business_rule_smart_notifications", false),
    ("check_external_commands", true),
    ("check_host_freshness", true),
    ("check_service_freshness", true),
    ("enable_environment_macros", false),
    ("enable_failure_prediction", false),
    ("failure_prediction_enabled", false),
    ("log_event_handlers", true),
    ("log_notifications", true),
    ("merge_host_contacts", false),
    ("obsess", false),
    ("obsess_over_host", false),
    ("obsess_over_hosts", false),
    ("obsess_over_service", false),
    ("obsess_over_services", false),
    ("parallelize_check", true),
    ("passive", false),
    ("process_perf_data", false),
    ("process_performance_data", false),
    ("retain_nonstatus_information", true),
    ("retain_state_information", true),
    ("retain_status_information", true),
    ("skip_initial_broks", false),
    ("snapshot_enabled", false),
    ("use_regexp_matching", false),
    ("use_retained_program_state", true),
    ("use_syslog", false),
    ("use_true_regexp_matching", false),
];

/// Whether `value` of the setting `key` is what Vigia does anyway (see [`SAME_AS_VIGIA`]).
pub fn same_as_vigia(key: &str, value: &str) -> bool {
    SAME_AS_VIGIA
        .iter()
        .find(|(k, _)| *k == key)
        .is_some_and(|(_, vigia)| crate::values::parse_bool(value) == Ok(*vigia))
}

/// What Vigia does with main-file directive `key`; `None`: no system knows it. Nagios skips
/// every directive starting with `x` (its external-data modules' settings), Alignak's scheduler
/// loop takes `tick_*` ones.
pub fn main_setting(key: &str) -> Option<Effect> {
    if let Some((_, effect)) = MAIN.iter().find(|(k, _)| *k == key) {
        return Some(*effect);
    }
    if key.starts_with("tick_") {
        return Some(Inert(TUNING));
    }
    if key.starts_with('x') {
        return Some(Inert("Nagios's external-data settings: Vigia has no such modules"));
    }
    None
}

// Why an object property has no effect.
const CGI_MAPS: &str = "drawn only by Nagios's CGI maps";
const WEB_UI: &str = "used only by Alignak's web UI";
const MODULATIONS: &str = "modulations are not applied";
const IMPACTS: &str = "business impacts are not used: notifications are not filtered by them";
const SMART_RULES: &str = "business rules' smart notifications are not built";
const LINK_SETTINGS: &str = "the arbiter's health checks use `timeout`, `check_interval` and `max_check_attempts`";
const SATELLITE_POOL: &str = "a Vigia satellite sizes its own process pool";

const MONITORED: &[ObjectKind] = &[ObjectKind::Host, ObjectKind::Service];
const HOSTS: &[ObjectKind] = &[ObjectKind::Host];
const SERVICES: &[ObjectKind] = &[ObjectKind::Service];
const CONTACTS: &[ObjectKind] = &[ObjectKind::Contact];
const DAEMONS: &[ObjectKind] = &[
    ObjectKind::Arbiter,
    ObjectKind::Scheduler,
    ObjectKind::Poller,
    ObjectKind::Reactionner,
    ObjectKind::Broker,
    ObjectKind::Receiver,
];
const WORKERS: &[ObjectKind] = &[ObjectKind::Poller, ObjectKind::Reactionner, ObjectKind::Receiver];

/// Object properties the schema knows that Vigia reads but does not act on, sorted by name
/// (binary search: every property written is looked up).
static INERT_PROPS: &[(&str, &[ObjectKind], &str)] = &[
    ("2d_coords", HOSTS, CGI_MAPS),
    ("3d_coords", HOSTS, CGI_MAPS),
    (
        "accept_passive_unknown_check_results",
        &[ObjectKind::Scheduler, ObjectKind::Receiver],
        NOT_BUILT,
    ),
    ("aggregation", SERVICES, WEB_UI),
    ("alignak_launched", DAEMONS, PROCESS),
    ("business_impact", MONITORED, IMPACTS),
    ("business_impact_modulations", MONITORED, MODULATIONS),
    ("business_rule_downtime_as_ack", MONITORED, SMART_RULES),
    ("business_rule_host_notification_options", MONITORED, SMART_RULES),
    ("business_rule_service_notification_options", MONITORED, SMART_RULES),
    ("business_rule_smart_notifications", MONITORED, SMART_RULES),
    ("checkmodulations", MONITORED, MODULATIONS),
    (
        "command_file",
        &[ObjectKind::Receiver],
        "give the receiver its FIFO with `vigia receiver --command-file`",
    ),
    ("custom_views", MONITORED, WEB_UI),
    ("data_timeout", DAEMONS, LINK_SETTINGS),
    (
        "direct_routing",
        &[ObjectKind::Receiver],
        "the receiver always sends a command to the scheduler of its host",
    ),
    (
        "enable_environment_macros",
        &[ObjectKind::Command],
        "plugins get no NAGIOS_* environment variables",
    ),
    ("expert", CONTACTS, WEB_UI),
    ("explode_hostgroup", &[ObjectKind::Servicedependency], NOT_BUILT),
    ("failure_prediction_enabled", MONITORED, NAGIOS_ONLY),
    ("failure_prediction_options", MONITORED, NAGIOS_ONLY),
    ("host", DAEMONS, "a daemon listens where it is started (`--listen`)"),
    ("host_dependency_enabled", SERVICES, NOT_BUILT),
    ("hourly_value", MONITORED, ALIGNAK_ONLY),
    ("icon_set", MONITORED, WEB_UI),
    ("importance", MONITORED, WEB_UI),
    ("labels", MONITORED, WEB_UI),
    ("long_timeout", DAEMONS, LINK_SETTINGS),
    ("macromodulations", MONITORED, MODULATIONS),
    ("maintenance_period", MONITORED, NOT_BUILT),
    (
        "manage_arbiters",
        DAEMONS,
        "Vigia's brokers do not collect the arbiters' events",
    ),
    (
        "max_plugins_output_length",
        WORKERS,
        "the main file's max_plugins_output_length applies",
    ),
    ("max_queue_size", &[ObjectKind::Broker], NOT_BUILT),
    ("max_workers", WORKERS, SATELLITE_POOL),
    ("merge_host_contacts", SERVICES, NOT_BUILT),
    (
        "min_business_impact",
        &[ObjectKind::Contact, ObjectKind::Notificationway],
        IMPACTS,
    ),
    ("min_workers", WORKERS, SATELLITE_POOL),
    ("minimum_importance", CONTACTS, WEB_UI),
    ("minimum_value", CONTACTS, WEB_UI),
    ("modules", DAEMONS, "Vigia loads no Alignak modules"),
    ("obsess", MONITORED, OBSESS),
    ("obsess_over_host", HOSTS, OBSESS),
    ("obsess_over_service", SERVICES, OBSESS),
    ("parallelize_check", MONITORED, "checks always run in parallel"),
    (
        "passive",
        DAEMONS,
        "satellites always fetch their work from the schedulers",
    ),
    (
        "password",
        CONTACTS,
        "Vigia's web UI reads a hashed _VIGIA_PASSWORD custom variable (made by `vigia passwd NAME`), never a password in clear",
    ),
    ("ping_period", DAEMONS, LINK_SETTINGS),
    ("polling_interval", DAEMONS, "satellites ask for work continuously"),
    ("process_perf_data", MONITORED, PERFDATA),
    ("processes_by_worker", WORKERS, SATELLITE_POOL),
    ("resultmodulations", MONITORED, MODULATIONS),
    ("retain_nonstatus_information", MONITORED, RETENTION),
    ("retain_status_information", MONITORED, RETENTION),
    ("satellite_map", DAEMONS, ALIGNAK_ONLY),
    ("server_dh", DAEMONS, NO_DH),
    ("short_timeout", DAEMONS, LINK_SETTINGS),
    (
        "skip_initial_broks",
        &[ObjectKind::Scheduler],
        "a broker always gets the initial status",
    ),
    ("snapshot_command", MONITORED, ALIGNAK_ONLY),
    ("snapshot_criteria", MONITORED, ALIGNAK_ONLY),
    ("snapshot_enabled", MONITORED, ALIGNAK_ONLY),
    ("snapshot_interval", MONITORED, ALIGNAK_ONLY),
    ("snapshot_period", MONITORED, ALIGNAK_ONLY),
    ("spare_check_interval", DAEMONS, LINK_SETTINGS),
    ("spare_max_check_attempts", DAEMONS, LINK_SETTINGS),
    ("stalking_options", MONITORED, NOT_BUILT),
    ("statusmap_image", HOSTS, CGI_MAPS),
    ("time_to_orphanage", MONITORED, NOT_BUILT),
    ("timeout_exit_status", WORKERS, "a timed-out check is CRITICAL"),
    ("trending_policies", MONITORED, ALIGNAK_ONLY),
    (
        "use_timezone",
        DAEMONS,
        "timeperiods use the daemon's local time zone (TZ)",
    ),
    ("vrml_image", HOSTS, CGI_MAPS),
    ("worker_polling_interval", WORKERS, SATELLITE_POOL),
];

/// What Vigia does with property `name` (canonical, known to the schema) of a `kind` object.
pub fn property(kind: ObjectKind, name: &str) -> Effect {
    match INERT_PROPS.binary_search_by(|(n, _, _)| (*n).cmp(name)) {
        Ok(i) if INERT_PROPS[i].1.contains(&kind) => Inert(INERT_PROPS[i].2),
        _ => Acted,
    }
}

/// [`property`] of the property at `index` in `kind`'s schema table ([`schema::position`]):
/// every property written is looked up, a million services' worth, so the answers are
/// computed once per table rather than by comparing names each time.
pub fn property_at(kind: ObjectKind, index: usize) -> Effect {
    static BY_INDEX: OnceLock<Vec<Vec<Effect>>> = OnceLock::new();
    let tables = BY_INDEX.get_or_init(|| {
        ObjectKind::ALL
            .iter()
            .map(|k| schema::props(*k).iter().map(|d| property(*k, d.name)).collect())
            .collect()
    });
    // `ALL` lists the kinds in declaration order (checked by a test).
    tables
        .get(kind as usize)
        .and_then(|t| t.get(index).copied())
        .unwrap_or(Acted)
}

/// Object types Vigia reads, checks and keeps, but does not act on (see `resolve/others.rs`):
/// one warning per definition, none per property.
pub fn object_type(kind: ObjectKind) -> Effect {
    match kind {
        ObjectKind::Businessimpactmodulation
        | ObjectKind::Resultmodulation
        | ObjectKind::Checkmodulation
        | ObjectKind::Macromodulation => Inert(MODULATIONS),
        ObjectKind::Hostextinfo | ObjectKind::Serviceextinfo => {
            Inert("its settings are not merged into the host or service: write notes, notes_url, icon_image there")
        }
        ObjectKind::Module => Inert("Vigia loads no Alignak modules"),
        _ => Acted,
    }
}

/// The known name closest to `word`, when close enough to be a typo: at most two edits
/// (one for short words), or a known name `word` starts or ends (`max_check` →
/// `max_check_attempts`). Ties go to the first candidate.
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let limit = if word.len() <= 4 { 1 } else { 2 };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::damerau_levenshtein(word, c);
        let prefix = word.len() >= 5 && (c.starts_with(word) || word.starts_with(c));
        let score = if d <= limit {
            d
        } else if prefix {
            limit + 1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// " (did you mean 'x'?)" when there is a close known name, else "".
pub fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    closest(word, candidates).map_or_else(String::new, |c| format!(" (did you mean '{c}'?)"))
}

/// Checks every main-file directive read (`cfg_file=`, `resource_file=` and `$MACRO$=` aside):
/// one that has no effect is a warning, one no system knows is an error in Nagios's dialect
/// (Nagios 4 stops at "UNKNOWN VARIABLE") and a warning in Alignak's (it takes any key).
/// Alignak ini variables (`_dist=…`, used for `%(_dist)s`) are no settings.
pub fn check_main(tree: &SourceTree, dialect: Dialect, diags: &mut Diagnostics) {
    let ini = tree.main.extension().is_some_and(|e| e == "ini");
    let mut reported: HashSet<(&Location, &str)> = HashSet::new();
    for s in &tree.globals {
        let key = s.key.as_str();
        if ini && key.starts_with('_') {
            continue;
        }
        // An ini's [DEFAULT] entries reach every section: one report per place.
        if !reported.insert((&s.location, key)) {
            continue;
        }
        let at = Some(s.location.clone());
        match main_setting(key) {
            Some(Acted) => {}
            Some(Inert(_)) if same_as_vigia(key, &s.value) => {}
            Some(Inert(why)) => diags.warning(at, format!("'{key}' has no effect in Vigia ({why})")),
            None => {
                let hint = did_you_mean(key, MAIN.iter().map(|(k, _)| *k));
                match dialect {
                    Dialect::Nagios => diags.error(
                        at,
                        format!("unknown main-file setting '{key}'{hint} (Nagios refuses it: UNKNOWN VARIABLE)"),
                    ),
                    Dialect::Alignak => diags.warning(at, format!("unknown setting '{key}'{hint} (ignored)")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_name_known_properties() {
        assert!(INERT_PROPS.windows(2).all(|w| w[0].0 < w[1].0), "INERT_PROPS sorted");
        for (name, kinds, _) in INERT_PROPS {
            for kind in *kinds {
                assert!(schema::lookup(*kind, name).is_some(), "{kind:?} knows {name}");
            }
        }
        assert!(
            SAME_AS_VIGIA.windows(2).all(|w| w[0].0 < w[1].0),
            "SAME_AS_VIGIA sorted"
        );
        for (k, _) in SAME_AS_VIGIA {
            let inert_main = matches!(main_setting(k), Some(Inert(_)));
            let inert_prop = INERT_PROPS.iter().any(|(n, _, _)| n == k);
            assert!(inert_main || inert_prop, "{k} is a setting without effect");
        }
        let mut seen = HashSet::new();
        for (k, _) in MAIN {
            assert!(seen.insert(*k), "{k} twice in MAIN");
        }
    }

    /// The TLS settings are acted on (`vigia run` passes them to each daemon), but
    /// `server_dh`, which rustls does not need.
    #[test]
    fn tls_settings_are_acted_on() {
        for key in [
            "use_ssl",
            "ca_cert",
            "server_cert",
            "server_key",
            "hard_ssl_name_check",
            "client_auth",
        ] {
            for kind in DAEMONS {
                assert!(schema::lookup(*kind, key).is_some(), "{kind:?} knows {key}");
                assert_eq!(property(*kind, key), Acted, "{kind:?} {key}");
            }
        }
        assert_eq!(main_setting("use_ssl"), Some(Acted));
        assert!(matches!(main_setting("server_dh"), Some(Inert(_))));
        assert!(matches!(property(ObjectKind::Scheduler, "server_dh"), Inert(_)));
    }

    #[test]
    fn effects_of_main_settings_and_properties() {
        assert_eq!(main_setting("interval_length"), Some(Acted));
        assert!(matches!(main_setting("status_file"), Some(Inert(_))));
        assert!(matches!(main_setting("broker_module"), Some(Inert(_))));
        assert!(matches!(main_setting("xpddefault_host_perfdata"), Some(Inert(_))));
        assert!(matches!(main_setting("tick_update_retention"), Some(Inert(_))));
        assert_eq!(main_setting("foo_bar_unknown"), None);
        assert!(matches!(property(ObjectKind::Host, "business_impact"), Inert(_)));
        assert!(matches!(property(ObjectKind::Scheduler, "modules"), Inert(_)));
        assert_eq!(property(ObjectKind::Host, "max_check_attempts"), Acted);
        // A name inert for one type is not for another.
        assert_eq!(property(ObjectKind::Command, "host"), Acted);
        assert!(matches!(object_type(ObjectKind::Resultmodulation), Inert(_)));
        // The indexed answers are the named ones.
        for (i, kind) in ObjectKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "ObjectKind::ALL in declaration order");
        }
        for kind in ObjectKind::ALL {
            for (i, def) in schema::props(*kind).iter().enumerate() {
                assert_eq!(
                    property_at(*kind, i),
                    property(*kind, def.name),
                    "{kind:?} {}",
                    def.name
                );
            }
        }
        assert_eq!(object_type(ObjectKind::Host), Acted);
    }

    #[test]
    fn suggestions_for_typos() {
        let host = schema::props(ObjectKind::Host).iter().map(|d| d.name);
        assert_eq!(closest("max_check_atempts", host.clone()), Some("max_check_attempts"));
        assert_eq!(closest("chek_command", host.clone()), Some("check_command"));
        assert_eq!(
            closest("notifcation_options", host.clone()),
            Some("notification_options")
        );
        assert_eq!(
            closest("max_check", host.clone()),
            Some("max_check_attempts"),
            "a prefix"
        );
        assert_eq!(closest("foo_bar_unknown", host), None);
        let main = MAIN.iter().map(|(k, _)| *k);
        assert_eq!(closest("interval_lenght", main.clone()), Some("interval_length"));
        assert_eq!(did_you_mean("log_fiel", main), " (did you mean 'log_file'?)");
    }

    /// Loads `objects` through a main file `main` holding `directives`: every message, or the
    /// configuration's warnings.
    fn load(main: &str, directives: &str, objects: &str) -> (bool, Vec<String>) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("objects.cfg"), objects).expect("write");
        std::fs::write(dir.path().join(main), format!("cfg_file=objects.cfg\n{directives}")).expect("write");
        match crate::load(&dir.path().join(main)) {
            Ok(c) => (true, c.warnings.iter().map(|d| d.to_string()).collect()),
            Err(e) => (false, e.diagnostics.items.iter().map(|d| d.to_string()).collect()),
        }
    }

    const OBJECTS: &str = "define command {\n command_name c\n command_line /bin/true\n}\n\
        define host {\n name tpl\n register 0\n business_impact 4\n}\n";

    /// What Vigia does anyway (checks in parallel, no perfdata) is no warning; the other
    /// value is.
    #[test]
    fn a_property_set_to_what_vigia_does_is_quiet() {
        let objects = format!("{OBJECTS}{}", hosts(1)).replace(
            " check_command c\n",
            " check_command c\n parallelize_check 1\n process_perf_data 0\n retain_status_information 0\n",
        );
        let (valid, warnings) = load("alignak.cfg", "", &objects);
        assert!(valid, "{warnings:?}");
        assert!(
            !warnings
                .iter()
                .any(|w| w.contains("parallelize_check") || w.contains("process_perf_data")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("objects.cfg:16: warning: 'retain_status_information' has no effect")),
            "{warnings:?}"
        );
    }

    fn hosts(n: usize) -> String {
        (0..n)
            .map(|i| format!("define host {{\n use tpl\n host_name h{i}\n check_command c\n}}\n"))
            .collect()
    }

    /// A setting without effect is a warning with its place, in both dialects; an unknown one
    /// a warning for Alignak and an error for Nagios (Nagios 4 stops at "UNKNOWN VARIABLE").
    #[test]
    fn main_file_settings_without_effect_or_unknown() {
        let directives = "status_file=/var/status.dat\nfoo_bar_unknown=1\ninterval_lenght=30\ninterval_length=60\n\
            retain_state_information=1\nuse_syslog=1\n";
        let objects = format!("{OBJECTS}{}", hosts(1));
        let (valid, alignak) = load("alignak.cfg", directives, &objects);
        assert!(valid, "{alignak:?}");
        let has = |msgs: &[String], s: &str| msgs.iter().any(|m| m.contains(s));
        assert!(
            has(
                &alignak,
                "alignak.cfg:2: warning: 'status_file' has no effect in Vigia ("
            ),
            "{alignak:?}"
        );
        assert!(
            has(
                &alignak,
                "alignak.cfg:3: warning: unknown setting 'foo_bar_unknown' (ignored)"
            ),
            "{alignak:?}"
        );
        assert!(
            has(
                &alignak,
                "alignak.cfg:4: warning: unknown setting 'interval_lenght' (did you mean 'interval_length'?)"
            ),
            "{alignak:?}"
        );
        assert!(
            !alignak.iter().any(|m| m.contains(":5:")),
            "interval_length is acted on: {alignak:?}"
        );
        let (valid, nagios) = load("nagios.cfg", directives, &objects);
        assert!(!valid);
        assert!(
            has(
                &nagios,
                "nagios.cfg:3: error: unknown main-file setting 'foo_bar_unknown'"
            ),
            "{nagios:?}"
        );
        assert!(
            has(&nagios, "nagios.cfg:2: warning: 'status_file' has no effect"),
            "{nagios:?}"
        );
        // Nagios skips its external-data settings (`x…`): no effect, no error.
        let (valid, nagios) = load("nagios.cfg", "xpddefault_perfdata=1\n", &objects);
        assert!(valid, "{nagios:?}");
        assert!(has(&nagios, "'xpddefault_perfdata' has no effect"), "{nagios:?}");
    }

    /// A property without effect in a template used by many hosts is one warning, at the
    /// template; a kept-only object type is one warning per definition, none per property.
    #[test]
    fn one_warning_per_place() {
        let objects = format!(
            "{OBJECTS}{}define resultmodulation {{\n resultmodulation_name r\n exit_codes_match 2\n exit_code_modulation 1\n}}\n",
            hosts(50)
        );
        let (valid, warnings) = load("alignak.cfg", "", &objects);
        assert!(valid, "{warnings:?}");
        let impact: Vec<&String> = warnings.iter().filter(|w| w.contains("business_impact")).collect();
        assert_eq!(impact.len(), 1, "{warnings:?}");
        assert!(
            impact[0].contains("objects.cfg:8: warning: 'business_impact' has no effect in Vigia"),
            "{impact:?}"
        );
        let modulation: Vec<&String> = warnings.iter().filter(|w| w.contains("resultmodulation")).collect();
        assert_eq!(modulation.len(), 1, "{warnings:?}");
        assert!(
            modulation[0].contains("resultmodulation definitions have no effect in Vigia"),
            "{modulation:?}"
        );
        assert!(!warnings.iter().any(|w| w.contains("exit_code")), "{warnings:?}");
    }

    #[test]
    fn a_misspelled_property_gets_the_closest_one() {
        let objects =
            format!("{OBJECTS}{}", hosts(1)).replace(" check_command c\n", " check_command c\n max_check_atempts 3\n");
        let (_, alignak) = load("alignak.cfg", "", &objects);
        assert!(
            alignak.iter().any(|m| m.contains(
                "objects.cfg:14: warning: 'max_check_atempts' is not a known host property (did you mean 'max_check_attempts'?); ignored"
            )),
            "{alignak:?}"
        );
        let (valid, nagios) = load("nagios.cfg", "", &objects);
        assert!(!valid);
        assert!(
            nagios
                .iter()
                .any(|m| m.contains("error: 'max_check_atempts' is not a known host property (did you mean")),
            "{nagios:?}"
        );
    }
}
