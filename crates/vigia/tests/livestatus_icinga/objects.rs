//! The same objects twice: in Nagios syntax for Vigia, in Icinga 2's DSL for Icinga. Four hosts
//! (gw the parent of web1 and web2, db1 a child of gw and web1), seven services, two host
//! groups, two service groups, three contacts (two in the contact group ops), two commands, two
//! time periods, custom variables on hosts, services and a contact. Nothing is checked actively:
//! the states come from the passive results the test sends to both.
//!
//! Where the two languages cannot say the same thing, Icinga's spelling is chosen so that its
//! Livestatus shows what naemon would: an Icinga host's `alias` and `display_name` are both its
//! `display_name`, so the Nagios hosts set both to the same text; Icinga has no host contacts,
//! only the users of the host's notifications, so each Nagios host's contacts are written as one
//! Notification with the same users and user groups.

/// Vigia's objects (Nagios syntax), without the daemons.
pub const NAGIOS: &str = r#"
define realm {
    realm_name All
    default 1
}
define timeperiod {
    timeperiod_name 24x7
    alias Always
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}
define timeperiod {
    timeperiod_name never
    alias Never
}
define command {
    command_name check_ok
    command_line /usr/lib/nagios/plugins/check_dummy 0 ok
}
define command {
    command_name notify_none
    command_line /bin/true
}
define contactgroup {
    contactgroup_name ops
    alias Operations
}
define contactgroup {
    contactgroup_name watchers
    alias Watchers
}
define contact {
    contact_name admin
    alias Administrator
    email admin@example.com
    pager 555-0100
    can_submit_commands 1
    contactgroups ops
    host_notification_period 24x7
    service_notification_period 24x7
    host_notification_commands notify_none
    service_notification_commands notify_none
    _TEAM core
}
define contact {
    contact_name oncall
    alias On call
    email oncall@example.com
    contactgroups ops
    host_notification_period 24x7
    service_notification_period 24x7
    host_notification_commands notify_none
    service_notification_commands notify_none
}
define contact {
    contact_name viewer
    alias Viewer
    email viewer@example.com
    contactgroups watchers
    host_notification_period never
    service_notification_period never
    host_notifications_enabled 0
    service_notifications_enabled 0
    host_notification_commands notify_none
    service_notification_commands notify_none
}
define hostgroup {
    hostgroup_name webs
    alias Web servers
}
define hostgroup {
    hostgroup_name dbs
    alias Databases
}
define servicegroup {
    servicegroup_name frontend
    alias Frontend
}
define servicegroup {
    servicegroup_name pings
    alias All pings
}
define host {
    name passive-host
    check_command check_ok
    active_checks_enabled 0
    max_check_attempts 1
    check_interval 5
    retry_interval 1
    check_period 24x7
    notification_period 24x7
    register 0
}
define service {
    name passive-svc
    check_command check_ok
    active_checks_enabled 0
    max_check_attempts 1
    check_interval 5
    retry_interval 1
    check_period 24x7
    notification_period 24x7
    register 0
}
define host {
    use passive-host
    host_name gw
    alias Gateway
    display_name Gateway
    address 10.0.0.1
    contacts admin
    notes the way out
    _RACK r1
}
define host {
    use passive-host
    host_name web1
    alias Web 1
    display_name Web 1
    address 10.0.0.11
    parents gw
    hostgroups webs
    contact_groups ops
    _OS linux
    _RACK r2
}
define host {
    use passive-host
    host_name web2
    alias Web 2
    display_name Web 2
    address 10.0.0.12
    parents gw
    hostgroups webs
    contacts admin
    _OS bsd
}
define host {
    use passive-host
    host_name db1
    alias Database 1
    display_name Database 1
    address 10.0.0.21
    parents gw,web1
    hostgroups dbs
    contacts oncall
    _OS linux
}
define service {
    use passive-svc
    host_name gw,web1,web2,db1
    service_description ping
    servicegroups pings
    contacts viewer
    contact_groups watchers
}
define service {
    use passive-svc
    host_name web1
    service_description http
    display_name HTTP
    servicegroups frontend
    contacts admin
    contact_groups ops
    _PORT 80
}
define service {
    use passive-svc
    host_name web2
    service_description http
    display_name HTTP
    servicegroups frontend
    contacts oncall
    _PORT 8080
}
define service {
    use passive-svc
    host_name db1
    service_description mysql
    display_name MySQL
    contact_groups ops
}
"#;

/// Icinga's objects (its DSL), with the Livestatus listener on `IP:PORT`.
pub fn icinga(ip: &str, port: u16) -> String {
    format!(
        r#"
object IcingaApplication "app" {{ }}
// The monitoring log Livestatus's log table reads (its default compat_log_path).
object CompatLogger "compatlog" {{ log_dir = LogDir + "/compat" }}
object LivestatusListener "livestatus" {{
  socket_type = "tcp"
  bind_host = "{ip}"
  bind_port = "{port}"
}}
object TimePeriod "24x7" {{
  import "legacy-timeperiod"
  display_name = "Always"
  ranges = {{
    monday = "00:00-24:00"; tuesday = "00:00-24:00"; wednesday = "00:00-24:00"; thursday = "00:00-24:00"
    friday = "00:00-24:00"; saturday = "00:00-24:00"; sunday = "00:00-24:00"
  }}
}}
object TimePeriod "never" {{
  import "legacy-timeperiod"
  display_name = "Never"
  ranges = {{ }}
}}
object CheckCommand "check_ok" {{ command = [ "/usr/lib/nagios/plugins/check_dummy", "0", "ok" ] }}
object NotificationCommand "notify_none" {{ command = [ "/bin/true" ] }}
object UserGroup "ops" {{ display_name = "Operations" }}
object UserGroup "watchers" {{ display_name = "Watchers" }}
object User "admin" {{
  display_name = "Administrator"; email = "admin@example.com"; pager = "555-0100"
  period = "24x7"; groups = [ "ops" ]; vars.TEAM = "core"
}}
object User "oncall" {{ display_name = "On call"; email = "oncall@example.com"; period = "24x7"; groups = [ "ops" ] }}
object User "viewer" {{
  display_name = "Viewer"; email = "viewer@example.com"; period = "never"; enable_notifications = false
  groups = [ "watchers" ]
}}
object HostGroup "webs" {{ display_name = "Web servers" }}
object HostGroup "dbs" {{ display_name = "Databases" }}
object ServiceGroup "frontend" {{ display_name = "Frontend" }}
object ServiceGroup "pings" {{ display_name = "All pings" }}
template Host "passive-host" {{
  check_command = "check_ok"; enable_active_checks = false; max_check_attempts = 1
  check_interval = 5m; retry_interval = 1m; check_period = "24x7"
}}
template Service "passive-svc" {{
  check_command = "check_ok"; enable_active_checks = false; max_check_attempts = 1
  check_interval = 5m; retry_interval = 1m; check_period = "24x7"
}}
object Host "gw" {{
  import "passive-host"; display_name = "Gateway"; address = "10.0.0.1"; notes = "the way out"; vars.RACK = "r1"
}}
object Host "web1" {{
  import "passive-host"; display_name = "Web 1"; address = "10.0.0.11"; groups = [ "webs" ]
  vars.OS = "linux"; vars.RACK = "r2"
}}
object Host "web2" {{
  import "passive-host"; display_name = "Web 2"; address = "10.0.0.12"; groups = [ "webs" ]; vars.OS = "bsd"
}}
object Host "db1" {{
  import "passive-host"; display_name = "Database 1"; address = "10.0.0.21"; groups = [ "dbs" ]; vars.OS = "linux"
}}
object Dependency "web1-gw" {{ parent_host_name = "gw"; child_host_name = "web1" }}
object Dependency "web2-gw" {{ parent_host_name = "gw"; child_host_name = "web2" }}
object Dependency "db1-gw" {{ parent_host_name = "gw"; child_host_name = "db1" }}
object Dependency "db1-web1" {{ parent_host_name = "web1"; child_host_name = "db1" }}
object Service "ping" {{ import "passive-svc"; host_name = "gw"; groups = [ "pings" ] }}
object Service "ping" {{ import "passive-svc"; host_name = "web1"; groups = [ "pings" ] }}
object Service "ping" {{ import "passive-svc"; host_name = "web2"; groups = [ "pings" ] }}
object Service "ping" {{ import "passive-svc"; host_name = "db1"; groups = [ "pings" ] }}
object Service "http" {{
  import "passive-svc"; host_name = "web1"; display_name = "HTTP"; groups = [ "frontend" ]; vars.PORT = "80"
}}
object Service "http" {{
  import "passive-svc"; host_name = "web2"; display_name = "HTTP"; groups = [ "frontend" ]; vars.PORT = "8080"
}}
object Service "mysql" {{ import "passive-svc"; host_name = "db1"; display_name = "MySQL" }}
object Notification "gw" {{ host_name = "gw"; command = "notify_none"; users = [ "admin" ] }}
object Notification "web1" {{ host_name = "web1"; command = "notify_none"; user_groups = [ "ops" ] }}
object Notification "web2" {{ host_name = "web2"; command = "notify_none"; users = [ "admin" ] }}
object Notification "db1" {{ host_name = "db1"; command = "notify_none"; users = [ "oncall" ] }}
object Notification "web1-http" {{
  host_name = "web1"; service_name = "http"; command = "notify_none"; users = [ "admin" ]; user_groups = [ "ops" ]
}}
object Notification "web2-http" {{
  host_name = "web2"; service_name = "http"; command = "notify_none"; users = [ "oncall" ]
}}
// Every service has its contacts written out, contacts and contact groups both: a service
// without them gets its host's in naemon (Nagios's implied inheritance, when the service has
// neither) and in Vigia (Alignak's, property by property), none in Icinga.
apply Notification "ping" to Service {{
  command = "notify_none"; users = [ "viewer" ]; user_groups = [ "watchers" ]; assign where service.name == "ping"
}}
object Notification "db1-mysql" {{
  host_name = "db1"; service_name = "mysql"; command = "notify_none"; user_groups = [ "ops" ]
}}
"#
    )
}

/// The passive results, acknowledgement, downtime and comment sent to both (after `[now] `):
/// every host and service gets a result, so that neither shows an unchecked object (naemon's
/// unchecked service is OK and Icinga's UNKNOWN, a difference of no interest here).
pub fn commands(now: u64) -> Vec<String> {
    vec![
        "PROCESS_HOST_CHECK_RESULT;gw;0;PING OK - up|rta=1ms".into(),
        "PROCESS_HOST_CHECK_RESULT;web1;0;UP".into(),
        "PROCESS_HOST_CHECK_RESULT;web2;0;UP".into(),
        "PROCESS_HOST_CHECK_RESULT;db1;1;DOWN: unplugged".into(),
        "PROCESS_SERVICE_CHECK_RESULT;gw;ping;0;PING OK|rta=1.5ms;100;200;0".into(),
        "PROCESS_SERVICE_CHECK_RESULT;web1;ping;0;PING OK|rta=2ms".into(),
        "PROCESS_SERVICE_CHECK_RESULT;web1;http;1;HTTP WARNING: slow|time=3.2s;2;5".into(),
        "PROCESS_SERVICE_CHECK_RESULT;web2;ping;0;PING OK|rta=3ms".into(),
        "PROCESS_SERVICE_CHECK_RESULT;web2;http;2;HTTP CRITICAL: refused".into(),
        "PROCESS_SERVICE_CHECK_RESULT;db1;mysql;3;MYSQL UNKNOWN: no socket".into(),
        "PROCESS_SERVICE_CHECK_RESULT;db1;ping;2;PING CRITICAL: timeout".into(),
        "ACKNOWLEDGE_SVC_PROBLEM;web2;http;2;1;1;admin;on it".into(),
        format!(
            "SCHEDULE_SVC_DOWNTIME;db1;mysql;{};{};1;0;7200;admin;maintenance",
            now - 60,
            now + 7200
        ),
        "ADD_SVC_COMMENT;web1;http;1;admin;looks slow".into(),
    ]
}
