//! Monitoring log lines: every format the engine writes, in one place, so that tools reading
//! Nagios logs (log parsers, Livestatus' `log` table, Thruk) read Vigia's.
//!
//! Each function returns the body of a line; the engine puts `[epoch] ` in front. Formats follow
//! Nagios 4 (`logging.c`, `notifications.c`) and Alignak (`objects/host.py`, `service.py`,
//! `external_command.py`); where they differ, Alignak wins, except for the notification line
//! (see [`notification`]).
use std::fmt;

use crate::engine::NotificationKind;
use crate::status::StateType;

/// What a line is about: a host, or a service of a host. Displays as `host` or `host;service`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject<'a> {
    pub host: &'a str,
    pub service: Option<&'a str>,
}

impl<'a> Subject<'a> {
    pub fn host(host: &'a str) -> Self {
        Subject { host, service: None }
    }

    pub fn service(host: &'a str, service: &'a str) -> Self {
        Subject {
            host,
            service: Some(service),
        }
    }

    /// `HOST` or `SERVICE`, the first word of most lines.
    fn kind(self) -> &'static str {
        if self.service.is_some() {
            "SERVICE"
        } else {
            "HOST"
        }
    }

    /// `Host` or `Service`, in the free text of flapping and downtime lines.
    fn word(self) -> &'static str {
        if self.service.is_some() {
            "Service"
        } else {
            "Host"
        }
    }
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.service {
            Some(s) => write!(f, "{};{s}", self.host),
            None => f.write_str(self.host),
        }
    }
}

/// `SERVICE ALERT: host;svc;STATE;TYPE;attempt;output` (host: `HOST ALERT: host;STATE;…`).
pub fn alert(s: Subject<'_>, state: &str, state_type: StateType, attempt: u32, output: &str) -> String {
    format!(
        "{} ALERT: {s};{state};{};{attempt};{output}",
        s.kind(),
        state_type.name()
    )
}

/// `CURRENT SERVICE STATE: host;svc;STATE;TYPE;attempt;output`: the state dump written at start
/// (with `log_initial_states`) and at each log rotation, so that a log file alone tells the state
/// of everything.
pub fn current_state(s: Subject<'_>, state: &str, state_type: StateType, attempt: u32, output: &str) -> String {
    format!(
        "CURRENT {} STATE: {s};{state};{};{attempt};{output}",
        s.kind(),
        state_type.name()
    )
}

/// The state field of a notification line: the state itself for PROBLEM and RECOVERY,
/// `ACKNOWLEDGEMENT (CRITICAL)`, `FLAPPINGSTART (OK)`, `CUSTOM (WARNING)`, … for the others.
pub fn notification_state(kind: NotificationKind, state: &str) -> String {
    match kind {
        NotificationKind::Problem | NotificationKind::Recovery => state.to_string(),
        other => format!("{} ({state})", other.name()),
    }
}

/// `SERVICE NOTIFICATION: contact;host;svc;STATE;command;output`, with `;author;comment` after
/// ACKNOWLEDGEMENT and CUSTOM ones.
///
/// Nagios's format, which log readers expect. Alignak inserts the notification number before
/// the command (`contact;host;svc;STATE;number;command;output`); Vigia keeps Nagios's here, the
/// one deliberate departure from Alignak in this module.
pub fn notification(
    contact: &str,
    s: Subject<'_>,
    kind: NotificationKind,
    state: &str,
    command: &str,
    output: &str,
    author_comment: Option<(&str, &str)>,
) -> String {
    let what = notification_state(kind, state);
    let mut line = format!("{} NOTIFICATION: {contact};{s};{what};{command};{output}", s.kind());
    if let (NotificationKind::Acknowledgement | NotificationKind::Custom, Some((author, comment))) =
        (kind, author_comment)
    {
        line.push(';');
        line.push_str(author);
        line.push(';');
        line.push_str(comment);
    }
    line
}

/// `SERVICE EVENT HANDLER: host;svc;STATE;TYPE;attempt;command`.
pub fn event_handler(s: Subject<'_>, state: &str, state_type: StateType, attempt: u32, command: &str) -> String {
    format!(
        "{} EVENT HANDLER: {s};{state};{};{attempt};{command}",
        s.kind(),
        state_type.name()
    )
}

/// `SERVICE FLAPPING ALERT: host;svc;STARTED; Service appears to have started flapping (…)`.
pub fn flapping_started(s: Subject<'_>, percent: f64, threshold: f64) -> String {
    format!(
        "{} FLAPPING ALERT: {s};STARTED; {} appears to have started flapping ({percent:.1}% change >= {threshold:.1}% threshold)",
        s.kind(),
        s.word()
    )
}

/// `SERVICE FLAPPING ALERT: host;svc;STOPPED; Service appears to have stopped flapping (…)`.
pub fn flapping_stopped(s: Subject<'_>, percent: f64, threshold: f64) -> String {
    format!(
        "{} FLAPPING ALERT: {s};STOPPED; {} appears to have stopped flapping ({percent:.1}% change < {threshold:.1}% threshold)",
        s.kind(),
        s.word()
    )
}

/// How a downtime period ends or begins, for [`downtime`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DowntimeEvent {
    Started,
    Stopped,
    Cancelled,
}

/// `SERVICE DOWNTIME ALERT: host;svc;STARTED; Service has entered a period of scheduled
/// downtime` (and `STOPPED`, `CANCELLED`, worded as Nagios and Alignak both word them).
pub fn downtime(s: Subject<'_>, event: DowntimeEvent) -> String {
    let (what, text) = match event {
        DowntimeEvent::Started => (
            "STARTED",
            format!("{} has entered a period of scheduled downtime", s.word()),
        ),
        DowntimeEvent::Stopped => (
            "STOPPED",
            format!("{} has exited from a period of scheduled downtime", s.word()),
        ),
        DowntimeEvent::Cancelled => (
            "CANCELLED",
            format!(
                "Scheduled downtime for {} has been cancelled.",
                s.word().to_ascii_lowercase()
            ),
        ),
    };
    format!("{} DOWNTIME ALERT: {s};{what}; {text}", s.kind())
}

/// `SERVICE ACKNOWLEDGE ALERT: host;svc;STARTED; Service problem has been acknowledged`, and
/// `EXPIRED; Service problem acknowledge expired` when it goes (Alignak only: Nagios has no
/// such line).
pub fn acknowledge(s: Subject<'_>, started: bool) -> String {
    if started {
        format!(
            "{} ACKNOWLEDGE ALERT: {s};STARTED; {} problem has been acknowledged",
            s.kind(),
            s.word()
        )
    } else {
        format!(
            "{} ACKNOWLEDGE ALERT: {s};EXPIRED; {} problem acknowledge expired",
            s.kind(),
            s.word()
        )
    }
}

/// `SERVICE COMMENT: host;svc;author;comment` (Alignak, when a user comment is added).
pub fn comment(s: Subject<'_>, author: &str, text: &str) -> String {
    format!("{} COMMENT: {s};{author};{text}", s.kind())
}

/// `EXTERNAL COMMAND: NAME;args`, the command as received without its timestamp (Nagios).
pub fn external_command(name_and_args: &str) -> String {
    format!("EXTERNAL COMMAND: {name_and_args}")
}

/// `PASSIVE SERVICE CHECK: host;svc;code;output;long_output;perfdata` (Alignak). Nagios writes
/// only `host;svc;code;output`; Alignak's line starts the same way and adds the long output and
/// performance data.
pub fn passive_check(s: Subject<'_>, code: i32, output: &str, long_output: &str, perf_data: &str) -> String {
    format!(
        "PASSIVE {} CHECK: {s};{code};{output};{long_output};{perf_data}",
        s.kind()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: Subject<'static> = Subject {
        host: "web1",
        service: Some("http"),
    };
    const HOST: Subject<'static> = Subject {
        host: "web1",
        service: None,
    };

    #[test]
    fn alerts_and_states() {
        assert_eq!(
            alert(WEB, "CRITICAL", StateType::Soft, 2, "connection refused"),
            "SERVICE ALERT: web1;http;CRITICAL;SOFT;2;connection refused"
        );
        assert_eq!(
            alert(HOST, "DOWN", StateType::Hard, 3, "no ping"),
            "HOST ALERT: web1;DOWN;HARD;3;no ping"
        );
        assert_eq!(
            current_state(WEB, "OK", StateType::Hard, 1, "fine"),
            "CURRENT SERVICE STATE: web1;http;OK;HARD;1;fine"
        );
        assert_eq!(
            current_state(HOST, "UP", StateType::Hard, 1, "PING OK"),
            "CURRENT HOST STATE: web1;UP;HARD;1;PING OK"
        );
    }

    #[test]
    fn notifications_of_every_kind() {
        let n = |kind, state, ac| notification("admin", WEB, kind, state, "notify-service", "out", ac);
        assert_eq!(
            n(NotificationKind::Problem, "CRITICAL", None),
            "SERVICE NOTIFICATION: admin;web1;http;CRITICAL;notify-service;out"
        );
        assert_eq!(
            n(NotificationKind::Recovery, "OK", None),
            "SERVICE NOTIFICATION: admin;web1;http;OK;notify-service;out"
        );
        assert_eq!(
            n(NotificationKind::Acknowledgement, "CRITICAL", Some(("ops", "looking"))),
            "SERVICE NOTIFICATION: admin;web1;http;ACKNOWLEDGEMENT (CRITICAL);notify-service;out;ops;looking"
        );
        assert_eq!(
            n(NotificationKind::FlappingStart, "CRITICAL", None),
            "SERVICE NOTIFICATION: admin;web1;http;FLAPPINGSTART (CRITICAL);notify-service;out"
        );
        assert_eq!(
            n(NotificationKind::DowntimeStart, "CRITICAL", None),
            "SERVICE NOTIFICATION: admin;web1;http;DOWNTIMESTART (CRITICAL);notify-service;out"
        );
        assert_eq!(
            n(NotificationKind::Custom, "CRITICAL", Some(("ops", "hello"))),
            "SERVICE NOTIFICATION: admin;web1;http;CUSTOM (CRITICAL);notify-service;out;ops;hello"
        );
        assert_eq!(
            notification(
                "admin",
                HOST,
                NotificationKind::DowntimeEnd,
                "UP",
                "notify-host",
                "ok",
                None
            ),
            "HOST NOTIFICATION: admin;web1;DOWNTIMEEND (UP);notify-host;ok"
        );
    }

    #[test]
    fn handlers_flapping_downtimes_acks() {
        assert_eq!(
            event_handler(WEB, "CRITICAL", StateType::Soft, 1, "restart-httpd"),
            "SERVICE EVENT HANDLER: web1;http;CRITICAL;SOFT;1;restart-httpd"
        );
        assert_eq!(
            event_handler(HOST, "DOWN", StateType::Hard, 3, "reboot"),
            "HOST EVENT HANDLER: web1;DOWN;HARD;3;reboot"
        );
        assert_eq!(
            flapping_started(WEB, 52.25, 50.0),
            "SERVICE FLAPPING ALERT: web1;http;STARTED; Service appears to have started flapping (52.2% change >= 50.0% threshold)"
        );
        assert_eq!(
            flapping_stopped(HOST, 4.0, 5.0),
            "HOST FLAPPING ALERT: web1;STOPPED; Host appears to have stopped flapping (4.0% change < 5.0% threshold)"
        );
        assert_eq!(
            downtime(WEB, DowntimeEvent::Started),
            "SERVICE DOWNTIME ALERT: web1;http;STARTED; Service has entered a period of scheduled downtime"
        );
        assert_eq!(
            downtime(HOST, DowntimeEvent::Stopped),
            "HOST DOWNTIME ALERT: web1;STOPPED; Host has exited from a period of scheduled downtime"
        );
        assert_eq!(
            downtime(WEB, DowntimeEvent::Cancelled),
            "SERVICE DOWNTIME ALERT: web1;http;CANCELLED; Scheduled downtime for service has been cancelled."
        );
        assert_eq!(
            acknowledge(WEB, true),
            "SERVICE ACKNOWLEDGE ALERT: web1;http;STARTED; Service problem has been acknowledged"
        );
        assert_eq!(
            acknowledge(HOST, false),
            "HOST ACKNOWLEDGE ALERT: web1;EXPIRED; Host problem acknowledge expired"
        );
    }

    #[test]
    fn commands_comments_and_passive_checks() {
        assert_eq!(
            external_command("ENABLE_NOTIFICATIONS"),
            "EXTERNAL COMMAND: ENABLE_NOTIFICATIONS"
        );
        assert_eq!(comment(WEB, "ops", "note"), "SERVICE COMMENT: web1;http;ops;note");
        assert_eq!(comment(HOST, "ops", "note"), "HOST COMMENT: web1;ops;note");
        assert_eq!(
            passive_check(WEB, 2, "CRIT", "", "t=1"),
            "PASSIVE SERVICE CHECK: web1;http;2;CRIT;;t=1"
        );
        assert_eq!(passive_check(HOST, 0, "UP", "", ""), "PASSIVE HOST CHECK: web1;0;UP;;");
    }
}
