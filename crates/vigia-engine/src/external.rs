//! External commands (Nagios "External Commands", Alignak `external_command.py`): the text
//! `[epoch] NAME;arg1;arg2…` parsed into a typed [`Command`], every argument checked. Parsing
//! knows nothing of the configuration: names stay names, and [`crate::Engine::command`] resolves
//! and applies them.
//!
//! As Alignak: the timestamp may be missing (`NAME;args`, the engine's time is used) or written
//! without brackets; names are case-insensitive. The last free-text argument (output, comment,
//! value) takes the rest of the line, `;` included, so plugin output with `;` in its
//! performance data survives.
use std::fmt;

/// A parsed command line.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalCommand {
    /// The `[epoch]` in front, when there was one.
    pub timestamp: Option<i64>,
    /// `NAME;args` as received (name upper-cased), for the `EXTERNAL COMMAND` log line.
    pub text: String,
    pub command: Command,
}

/// A host or a service, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    Host(String),
    Service { host: String, service: String },
}

/// What a command applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    One(Object),
    /// Every service of a host (`*_HOST_SVC_*`).
    HostServices(String),
    /// Every host of a hostgroup (`*_HOSTGROUP_HOST_*`).
    HostgroupHosts(String),
    /// Every service of every host of a hostgroup (`*_HOSTGROUP_SVC_*`).
    HostgroupServices(String),
    /// Every service of a servicegroup (`*_SERVICEGROUP_SVC_*`).
    ServicegroupServices(String),
    /// The host of every service of a servicegroup (`*_SERVICEGROUP_HOST_*`).
    ServicegroupHosts(String),
}

/// A per-object switch (Nagios modified attribute).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    ActiveChecks,
    PassiveChecks,
    Notifications,
    EventHandler,
    FlapDetection,
}

/// A program-wide switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalSwitch {
    Notifications,
    EventHandlers,
    FlapDetection,
    ExecuteServiceChecks,
    ExecuteHostChecks,
    AcceptPassiveServiceChecks,
    AcceptPassiveHostChecks,
}

/// Whether a downtime or comment id names a host's or a service's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Host,
    Service,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `PROCESS_SERVICE_CHECK_RESULT;host;svc;code;output`, `PROCESS_HOST_CHECK_RESULT;host;code;output`.
    ProcessCheckResult {
        object: Object,
        code: i32,
        output: String,
    },
    /// `ACKNOWLEDGE_{SVC,HOST}_PROBLEM[_EXPIRE]`; `end_time` 0 when it does not expire.
    Acknowledge {
        object: Object,
        sticky: u8,
        notify: bool,
        persistent: bool,
        end_time: i64,
        author: String,
        comment: String,
    },
    RemoveAcknowledgement(Object),
    /// `SCHEDULE_*_DOWNTIME;…;start;end;fixed;trigger_id;duration;author;comment`.
    ScheduleDowntime {
        scope: Scope,
        start: i64,
        end: i64,
        fixed: bool,
        trigger_id: u64,
        duration: i64,
        author: String,
        comment: String,
    },
    DeleteDowntime {
        kind: Kind,
        id: u64,
    },
    DeleteAllDowntimes(Object),
    AddComment {
        object: Object,
        persistent: bool,
        author: String,
        comment: String,
    },
    DeleteComment {
        kind: Kind,
        id: u64,
    },
    DeleteAllComments(Object),
    SetSwitch {
        scope: Scope,
        switch: Switch,
        enabled: bool,
    },
    SetGlobal {
        switch: GlobalSwitch,
        enabled: bool,
    },
    /// `SCHEDULE_[FORCED_]{SVC,HOST}_CHECK`, `SCHEDULE_[FORCED_]HOST_SVC_CHECKS`.
    ScheduleCheck {
        scope: Scope,
        at: i64,
        forced: bool,
    },
    /// `SEND_CUSTOM_{SVC,HOST}_NOTIFICATION;…;options;author;comment`.
    SendCustomNotification {
        object: Object,
        options: u32,
        author: String,
        comment: String,
    },
    /// `CHANGE_CUSTOM_{SVC,HOST}_VAR;…;name;value` (name upper-cased, without `_`).
    ChangeCustomVar {
        object: Object,
        name: String,
        value: String,
    },
    /// `CHANGE_{NORMAL,RETRY}_{SVC,HOST}_CHECK_INTERVAL;…;minutes`.
    ChangeCheckInterval {
        object: Object,
        retry: bool,
        minutes: f64,
    },
    /// `CHANGE_MAX_{SVC,HOST}_CHECK_ATTEMPTS;…;attempts`.
    ChangeMaxCheckAttempts {
        object: Object,
        attempts: u32,
    },
    /// Program commands a daemon handles, not the engine (`RESTART_PROGRAM`, …).
    Daemon(String),
}

/// Why a line is not a valid command; says which command and which argument.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty external command")]
    Empty,
    #[error("malformed external command '{0}': expected '[epoch] NAME;arguments'")]
    Malformed(String),
    #[error("malformed timestamp '{0}': expected '[epoch] NAME;arguments'")]
    BadTimestamp(String),
    #[error("unknown external command '{0}'")]
    UnknownCommand(String),
    #[error("{command}: missing argument <{argument}>")]
    Missing { command: String, argument: &'static str },
    #[error("{command}: argument <{argument}> is '{value}', expected {expected}")]
    Invalid {
        command: String,
        argument: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{command}: too many arguments ('{extra}' left over)")]
    TooMany { command: String, extra: String },
}

/// Reads the arguments one by one, naming each in errors.
struct Args<'a> {
    command: &'a str,
    rest: Option<&'a str>,
}

impl<'a> Args<'a> {
    fn next(&mut self, argument: &'static str) -> Result<&'a str, ParseError> {
        let rest = self.rest.ok_or_else(|| ParseError::Missing {
            command: self.command.to_string(),
            argument,
        })?;
        match rest.split_once(';') {
            Some((arg, more)) => {
                self.rest = Some(more);
                Ok(arg.trim())
            }
            None => {
                self.rest = None;
                Ok(rest.trim())
            }
        }
    }

    /// A name that must not be empty.
    fn name(&mut self, argument: &'static str) -> Result<String, ParseError> {
        let v = self.next(argument)?;
        if v.is_empty() {
            return Err(self.invalid(argument, v, "a name"));
        }
        Ok(v.to_string())
    }

    /// Everything left, `;` included (output, comment, value).
    fn text(&mut self, argument: &'static str) -> Result<String, ParseError> {
        let rest = self.rest.take().ok_or_else(|| ParseError::Missing {
            command: self.command.to_string(),
            argument,
        })?;
        Ok(rest.trim_end_matches(['\n', '\r']).trim_start().to_string())
    }

    fn number<T: std::str::FromStr>(
        &mut self,
        argument: &'static str,
        expected: &'static str,
    ) -> Result<T, ParseError> {
        let v = self.next(argument)?;
        v.parse().map_err(|_| self.invalid(argument, v, expected))
    }

    /// Nagios writes 0/1; Alignak also reads true/false, yes/no, on/off.
    fn bool(&mut self, argument: &'static str) -> Result<bool, ParseError> {
        let v = self.next(argument)?;
        match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(self.invalid(argument, v, "0 or 1")),
        }
    }

    fn object(&mut self, service: bool) -> Result<Object, ParseError> {
        let host = self.name("host_name")?;
        if service {
            let service = self.name("service_description")?;
            Ok(Object::Service { host, service })
        } else {
            Ok(Object::Host(host))
        }
    }

    fn invalid(&self, argument: &'static str, value: &str, expected: &'static str) -> ParseError {
        ParseError::Invalid {
            command: self.command.to_string(),
            argument,
            value: value.to_string(),
            expected,
        }
    }

    fn end(self) -> Result<(), ParseError> {
        match self.rest {
            None => Ok(()),
            Some(extra) => Err(ParseError::TooMany {
                command: self.command.to_string(),
                extra: extra.to_string(),
            }),
        }
    }
}

/// Parses one command line. Never panics, whatever the input.
pub fn parse(line: &str) -> Result<ExternalCommand, ParseError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(ParseError::Empty);
    }
    let (timestamp, body) = split_timestamp(line)?;
    let (name, args) = match body.split_once(';') {
        Some((n, a)) => (n.trim(), Some(a)),
        None => (body.trim(), None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(ParseError::Malformed(line.to_string()));
    }
    let name = name.to_ascii_uppercase();
    let text = match args {
        Some(a) => format!("{name};{a}"),
        None => name.clone(),
    };
    let command = parse_command(&name, args)?;
    Ok(ExternalCommand {
        timestamp,
        text,
        command,
    })
}

/// `[1700000000] NAME…`, `1700000000 NAME…` or `NAME…`.
fn split_timestamp(line: &str) -> Result<(Option<i64>, &str), ParseError> {
    if let Some(rest) = line.strip_prefix('[') {
        let (stamp, body) = rest
            .split_once(']')
            .ok_or_else(|| ParseError::BadTimestamp(line.to_string()))?;
        let stamp: i64 = stamp
            .trim()
            .parse()
            .map_err(|_| ParseError::BadTimestamp(stamp.to_string()))?;
        return Ok((Some(stamp), body.trim_start()));
    }
    let first = line.split(|c: char| c.is_whitespace() || c == ';').next().unwrap_or("");
    if !first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit())
        && line[first.len()..].starts_with(char::is_whitespace)
    {
        let stamp = first.parse().map_err(|_| ParseError::BadTimestamp(first.to_string()))?;
        return Ok((Some(stamp), line[first.len()..].trim_start()));
    }
    Ok((None, line))
}

fn switch_command(name: &str) -> Option<(Scope, Switch, bool)> {
    // (suffix after ENABLE_/DISABLE_, scope builder tag, switch)
    const TABLE: &[(&str, u8, Switch)] = &[
        ("SVC_CHECK", 1, Switch::ActiveChecks),
        ("HOST_CHECK", 0, Switch::ActiveChecks),
        ("HOST_SVC_CHECKS", 2, Switch::ActiveChecks),
        ("HOSTGROUP_HOST_CHECKS", 3, Switch::ActiveChecks),
        ("HOSTGROUP_SVC_CHECKS", 4, Switch::ActiveChecks),
        ("SERVICEGROUP_SVC_CHECKS", 5, Switch::ActiveChecks),
        ("SERVICEGROUP_HOST_CHECKS", 6, Switch::ActiveChecks),
        ("PASSIVE_SVC_CHECKS", 1, Switch::PassiveChecks),
        ("PASSIVE_HOST_CHECKS", 0, Switch::PassiveChecks),
        ("HOSTGROUP_PASSIVE_SVC_CHECKS", 4, Switch::PassiveChecks),
        ("HOSTGROUP_PASSIVE_HOST_CHECKS", 3, Switch::PassiveChecks),
        ("SERVICEGROUP_PASSIVE_SVC_CHECKS", 5, Switch::PassiveChecks),
        ("SERVICEGROUP_PASSIVE_HOST_CHECKS", 6, Switch::PassiveChecks),
        ("SVC_NOTIFICATIONS", 1, Switch::Notifications),
        ("HOST_NOTIFICATIONS", 0, Switch::Notifications),
        ("HOST_SVC_NOTIFICATIONS", 2, Switch::Notifications),
        ("HOSTGROUP_HOST_NOTIFICATIONS", 3, Switch::Notifications),
        ("HOSTGROUP_SVC_NOTIFICATIONS", 4, Switch::Notifications),
        ("SERVICEGROUP_SVC_NOTIFICATIONS", 5, Switch::Notifications),
        ("SERVICEGROUP_HOST_NOTIFICATIONS", 6, Switch::Notifications),
        ("SVC_EVENT_HANDLER", 1, Switch::EventHandler),
        ("HOST_EVENT_HANDLER", 0, Switch::EventHandler),
        ("SVC_FLAP_DETECTION", 1, Switch::FlapDetection),
        ("SERVICE_FLAP_DETECTION", 1, Switch::FlapDetection),
        ("HOST_FLAP_DETECTION", 0, Switch::FlapDetection),
    ];
    let (enabled, suffix) = if let Some(s) = name.strip_prefix("ENABLE_") {
        (true, s)
    } else {
        (false, name.strip_prefix("DISABLE_")?)
    };
    let (_, tag, switch) = TABLE.iter().find(|(s, _, _)| *s == suffix)?;
    // The names are filled in by the caller; the tag says how many and of what.
    let scope = match tag {
        0 => Scope::One(Object::Host(String::new())),
        1 => Scope::One(Object::Service {
            host: String::new(),
            service: String::new(),
        }),
        2 => Scope::HostServices(String::new()),
        3 => Scope::HostgroupHosts(String::new()),
        4 => Scope::HostgroupServices(String::new()),
        5 => Scope::ServicegroupServices(String::new()),
        _ => Scope::ServicegroupHosts(String::new()),
    };
    Some((scope, *switch, enabled))
}

/// Reads the names a scope needs.
fn read_scope(args: &mut Args<'_>, shape: Scope) -> Result<Scope, ParseError> {
    Ok(match shape {
        Scope::One(Object::Host(_)) => Scope::One(args.object(false)?),
        Scope::One(Object::Service { .. }) => Scope::One(args.object(true)?),
        Scope::HostServices(_) => Scope::HostServices(args.name("host_name")?),
        Scope::HostgroupHosts(_) => Scope::HostgroupHosts(args.name("hostgroup_name")?),
        Scope::HostgroupServices(_) => Scope::HostgroupServices(args.name("hostgroup_name")?),
        Scope::ServicegroupServices(_) => Scope::ServicegroupServices(args.name("servicegroup_name")?),
        Scope::ServicegroupHosts(_) => Scope::ServicegroupHosts(args.name("servicegroup_name")?),
    })
}

fn global_command(name: &str) -> Option<(GlobalSwitch, bool)> {
    Some(match name {
        "ENABLE_NOTIFICATIONS" => (GlobalSwitch::Notifications, true),
        "DISABLE_NOTIFICATIONS" => (GlobalSwitch::Notifications, false),
        "ENABLE_EVENT_HANDLERS" => (GlobalSwitch::EventHandlers, true),
        "DISABLE_EVENT_HANDLERS" => (GlobalSwitch::EventHandlers, false),
        "ENABLE_FLAP_DETECTION" => (GlobalSwitch::FlapDetection, true),
        "DISABLE_FLAP_DETECTION" => (GlobalSwitch::FlapDetection, false),
        "START_EXECUTING_SVC_CHECKS" => (GlobalSwitch::ExecuteServiceChecks, true),
        "STOP_EXECUTING_SVC_CHECKS" => (GlobalSwitch::ExecuteServiceChecks, false),
        "START_EXECUTING_HOST_CHECKS" => (GlobalSwitch::ExecuteHostChecks, true),
        "STOP_EXECUTING_HOST_CHECKS" => (GlobalSwitch::ExecuteHostChecks, false),
        "START_ACCEPTING_PASSIVE_SVC_CHECKS" => (GlobalSwitch::AcceptPassiveServiceChecks, true),
        "STOP_ACCEPTING_PASSIVE_SVC_CHECKS" => (GlobalSwitch::AcceptPassiveServiceChecks, false),
        "START_ACCEPTING_PASSIVE_HOST_CHECKS" => (GlobalSwitch::AcceptPassiveHostChecks, true),
        "STOP_ACCEPTING_PASSIVE_HOST_CHECKS" => (GlobalSwitch::AcceptPassiveHostChecks, false),
        _ => return None,
    })
}

fn parse_command(name: &str, args: Option<&str>) -> Result<Command, ParseError> {
    let mut a = Args {
        command: name,
        rest: args,
    };
    if let Some((switch, enabled)) = global_command(name) {
        a.end()?;
        return Ok(Command::SetGlobal { switch, enabled });
    }
    if let Some((shape, switch, enabled)) = switch_command(name) {
        let scope = read_scope(&mut a, shape)?;
        a.end()?;
        return Ok(Command::SetSwitch { scope, switch, enabled });
    }
    let svc = name.contains("_SVC_");
    let command = match name {
        "PROCESS_SERVICE_CHECK_RESULT" | "PROCESS_HOST_CHECK_RESULT" => {
            let object = a.object(name == "PROCESS_SERVICE_CHECK_RESULT")?;
            let code = a.number("return_code", "an integer exit code")?;
            let output = a.text("plugin_output").unwrap_or_default();
            Command::ProcessCheckResult { object, code, output }
        }
        "ACKNOWLEDGE_SVC_PROBLEM"
        | "ACKNOWLEDGE_HOST_PROBLEM"
        | "ACKNOWLEDGE_SVC_PROBLEM_EXPIRE"
        | "ACKNOWLEDGE_HOST_PROBLEM_EXPIRE" => {
            let object = a.object(svc)?;
            let sticky: u8 = a.number("sticky", "0, 1 or 2")?;
            if sticky > 2 {
                return Err(a.invalid("sticky", &sticky.to_string(), "0, 1 or 2"));
            }
            let notify = a.bool("notify")?;
            let persistent = a.bool("persistent")?;
            let end_time = if name.ends_with("_EXPIRE") {
                a.number("end_time", "epoch seconds")?
            } else {
                0
            };
            let author = a.next("author")?.to_string();
            let comment = a.text("comment")?;
            Command::Acknowledge {
                object,
                sticky,
                notify,
                persistent,
                end_time,
                author,
                comment,
            }
        }
        "REMOVE_SVC_ACKNOWLEDGEMENT" | "REMOVE_HOST_ACKNOWLEDGEMENT" => Command::RemoveAcknowledgement(a.object(svc)?),
        "SCHEDULE_SVC_DOWNTIME"
        | "SCHEDULE_HOST_DOWNTIME"
        | "SCHEDULE_HOST_SVC_DOWNTIME"
        | "SCHEDULE_HOSTGROUP_HOST_DOWNTIME"
        | "SCHEDULE_HOSTGROUP_SVC_DOWNTIME"
        | "SCHEDULE_SERVICEGROUP_SVC_DOWNTIME"
        | "SCHEDULE_SERVICEGROUP_HOST_DOWNTIME" => {
            let scope = match name {
                "SCHEDULE_SVC_DOWNTIME" => Scope::One(a.object(true)?),
                "SCHEDULE_HOST_DOWNTIME" => Scope::One(a.object(false)?),
                "SCHEDULE_HOST_SVC_DOWNTIME" => Scope::HostServices(a.name("host_name")?),
                "SCHEDULE_HOSTGROUP_HOST_DOWNTIME" => Scope::HostgroupHosts(a.name("hostgroup_name")?),
                "SCHEDULE_HOSTGROUP_SVC_DOWNTIME" => Scope::HostgroupServices(a.name("hostgroup_name")?),
                "SCHEDULE_SERVICEGROUP_SVC_DOWNTIME" => Scope::ServicegroupServices(a.name("servicegroup_name")?),
                _ => Scope::ServicegroupHosts(a.name("servicegroup_name")?),
            };
            let start: i64 = a.number("start_time", "epoch seconds")?;
            let end: i64 = a.number("end_time", "epoch seconds")?;
            if end <= start {
                return Err(a.invalid("end_time", &end.to_string(), "a time after start_time"));
            }
            let fixed = a.bool("fixed")?;
            let trigger = a.next("trigger_id")?;
            let trigger_id = if trigger.is_empty() {
                0
            } else {
                trigger
                    .parse()
                    .map_err(|_| a.invalid("trigger_id", trigger, "a downtime id or 0"))?
            };
            let duration: i64 = a.number("duration", "seconds")?;
            if duration < 0 {
                return Err(a.invalid("duration", &duration.to_string(), "seconds (0 or more)"));
            }
            let author = a.next("author")?.to_string();
            let comment = a.text("comment")?;
            Command::ScheduleDowntime {
                scope,
                start,
                end,
                fixed,
                trigger_id,
                duration,
                author,
                comment,
            }
        }
        "DEL_SVC_DOWNTIME" | "DEL_HOST_DOWNTIME" => Command::DeleteDowntime {
            kind: if svc { Kind::Service } else { Kind::Host },
            id: a.number("downtime_id", "a downtime id")?,
        },
        "DEL_ALL_SVC_DOWNTIMES" | "DEL_ALL_HOST_DOWNTIMES" => Command::DeleteAllDowntimes(a.object(svc)?),
        "ADD_SVC_COMMENT" | "ADD_HOST_COMMENT" => {
            let object = a.object(svc)?;
            let persistent = a.bool("persistent")?;
            let author = a.next("author")?.to_string();
            let comment = a.text("comment")?;
            Command::AddComment {
                object,
                persistent,
                author,
                comment,
            }
        }
        "DEL_SVC_COMMENT" | "DEL_HOST_COMMENT" => Command::DeleteComment {
            kind: if svc { Kind::Service } else { Kind::Host },
            id: a.number("comment_id", "a comment id")?,
        },
        "DEL_ALL_SVC_COMMENTS" | "DEL_ALL_HOST_COMMENTS" => Command::DeleteAllComments(a.object(svc)?),
        "SCHEDULE_SVC_CHECK"
        | "SCHEDULE_FORCED_SVC_CHECK"
        | "SCHEDULE_HOST_CHECK"
        | "SCHEDULE_FORCED_HOST_CHECK"
        | "SCHEDULE_HOST_SVC_CHECKS"
        | "SCHEDULE_FORCED_HOST_SVC_CHECKS" => {
            let scope = if name.ends_with("HOST_SVC_CHECKS") {
                Scope::HostServices(a.name("host_name")?)
            } else {
                Scope::One(a.object(svc)?)
            };
            let at = a.number("check_time", "epoch seconds")?;
            Command::ScheduleCheck {
                scope,
                at,
                forced: name.contains("FORCED"),
            }
        }
        "SEND_CUSTOM_SVC_NOTIFICATION" | "SEND_CUSTOM_HOST_NOTIFICATION" => {
            let object = a.object(svc)?;
            let options: u32 = a.number("options", "a bit mask (1 broadcast, 2 forced, 4 increment)")?;
            if options > 7 {
                return Err(a.invalid(
                    "options",
                    &options.to_string(),
                    "a bit mask (1 broadcast, 2 forced, 4 increment)",
                ));
            }
            let author = a.next("author")?.to_string();
            let comment = a.text("comment")?;
            Command::SendCustomNotification {
                object,
                options,
                author,
                comment,
            }
        }
        "CHANGE_CUSTOM_SVC_VAR" | "CHANGE_CUSTOM_HOST_VAR" => {
            let object = a.object(svc)?;
            let var = a.name("varname")?;
            let name = var.trim_start_matches('_').to_ascii_uppercase();
            if name.is_empty() {
                return Err(a.invalid("varname", &var, "a custom variable name"));
            }
            let value = a.text("varvalue").unwrap_or_default();
            Command::ChangeCustomVar { object, name, value }
        }
        "CHANGE_NORMAL_SVC_CHECK_INTERVAL"
        | "CHANGE_RETRY_SVC_CHECK_INTERVAL"
        | "CHANGE_NORMAL_HOST_CHECK_INTERVAL"
        | "CHANGE_RETRY_HOST_CHECK_INTERVAL" => {
            let object = a.object(svc)?;
            let minutes: f64 = a.number("check_interval", "a number of interval units")?;
            if !minutes.is_finite() || minutes < 0.0 {
                return Err(a.invalid("check_interval", &minutes.to_string(), "a number 0 or more"));
            }
            Command::ChangeCheckInterval {
                object,
                retry: name.starts_with("CHANGE_RETRY"),
                minutes,
            }
        }
        "CHANGE_MAX_SVC_CHECK_ATTEMPTS" | "CHANGE_MAX_HOST_CHECK_ATTEMPTS" => {
            let object = a.object(svc)?;
            let attempts: u32 = a.number("check_attempts", "a number of attempts (1 or more)")?;
            if attempts == 0 {
                return Err(a.invalid("check_attempts", "0", "a number of attempts (1 or more)"));
            }
            Command::ChangeMaxCheckAttempts { object, attempts }
        }
        "RESTART_PROGRAM"
        | "RELOAD_CONFIG"
        | "SHUTDOWN_PROGRAM"
        | "SAVE_STATE_INFORMATION"
        | "READ_STATE_INFORMATION" => {
            a.rest = None;
            Command::Daemon(name.to_string())
        }
        _ => return Err(ParseError::UnknownCommand(name.to_string())),
    };
    a.end()?;
    Ok(command)
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Host(h) => f.write_str(h),
            Object::Service { host, service } => write!(f, "{host};{service}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(line: &str) -> Command {
        match parse(line) {
            Ok(c) => c.command,
            Err(e) => panic!("{line}: {e}"),
        }
    }

    fn err(line: &str) -> String {
        match parse(line) {
            Ok(c) => panic!("{line} parsed as {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn svc() -> Object {
        Object::Service {
            host: "web1".into(),
            service: "http".into(),
        }
    }

    #[test]
    fn timestamps_optional_and_names_case_insensitive() {
        let c = parse("[1700000000] PROCESS_SERVICE_CHECK_RESULT;web1;http;2;CRIT - x|t=1;2;3").unwrap();
        assert_eq!(c.timestamp, Some(1_700_000_000));
        assert_eq!(c.text, "PROCESS_SERVICE_CHECK_RESULT;web1;http;2;CRIT - x|t=1;2;3");
        assert_eq!(
            c.command,
            Command::ProcessCheckResult {
                object: svc(),
                code: 2,
                output: "CRIT - x|t=1;2;3".into()
            }
        );
        assert_eq!(
            parse("1700000000 enable_notifications").unwrap().timestamp,
            Some(1_700_000_000)
        );
        let c = parse("disable_notifications").unwrap();
        assert_eq!(c.timestamp, None);
        assert_eq!(c.text, "DISABLE_NOTIFICATIONS");
        assert_eq!(
            c.command,
            Command::SetGlobal {
                switch: GlobalSwitch::Notifications,
                enabled: false
            }
        );
    }

    #[test]
    fn acknowledgements() {
        assert_eq!(
            cmd("ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1;1;admin;looking; really"),
            Command::Acknowledge {
                object: svc(),
                sticky: 2,
                notify: true,
                persistent: true,
                end_time: 0,
                author: "admin".into(),
                comment: "looking; really".into()
            }
        );
        assert_eq!(
            cmd("[1] ACKNOWLEDGE_HOST_PROBLEM_EXPIRE;web1;1;0;0;1800000000;ops;x"),
            Command::Acknowledge {
                object: Object::Host("web1".into()),
                sticky: 1,
                notify: false,
                persistent: false,
                end_time: 1_800_000_000,
                author: "ops".into(),
                comment: "x".into()
            }
        );
        assert_eq!(
            err("ACKNOWLEDGE_SVC_PROBLEM;web1;http;3;1;1;admin;x"),
            "ACKNOWLEDGE_SVC_PROBLEM: argument <sticky> is '3', expected 0, 1 or 2"
        );
        assert_eq!(
            err("ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;maybe;1;admin;x"),
            "ACKNOWLEDGE_SVC_PROBLEM: argument <notify> is 'maybe', expected 0 or 1"
        );
        assert_eq!(
            err("ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1"),
            "ACKNOWLEDGE_SVC_PROBLEM: missing argument <persistent>"
        );
        assert_eq!(
            cmd("REMOVE_SVC_ACKNOWLEDGEMENT;web1;http"),
            Command::RemoveAcknowledgement(svc())
        );
    }

    #[test]
    fn downtimes_and_comments() {
        assert_eq!(
            cmd("SCHEDULE_SVC_DOWNTIME;web1;http;100;200;0;0;60;ops;flex"),
            Command::ScheduleDowntime {
                scope: Scope::One(svc()),
                start: 100,
                end: 200,
                fixed: false,
                trigger_id: 0,
                duration: 60,
                author: "ops".into(),
                comment: "flex".into()
            }
        );
        assert!(matches!(
            cmd("SCHEDULE_HOSTGROUP_SVC_DOWNTIME;web;100;200;1;;0;ops;c"),
            Command::ScheduleDowntime { scope: Scope::HostgroupServices(g), fixed: true, .. } if g == "web"
        ));
        assert_eq!(
            err("SCHEDULE_HOST_DOWNTIME;web1;200;100;1;0;0;ops;c"),
            "SCHEDULE_HOST_DOWNTIME: argument <end_time> is '100', expected a time after start_time"
        );
        assert_eq!(
            err("SCHEDULE_HOST_DOWNTIME;web1;soon;300;1;0;0;ops;c"),
            "SCHEDULE_HOST_DOWNTIME: argument <start_time> is 'soon', expected epoch seconds"
        );
        assert_eq!(
            cmd("DEL_SVC_DOWNTIME;12"),
            Command::DeleteDowntime {
                kind: Kind::Service,
                id: 12
            }
        );
        assert_eq!(
            cmd("ADD_HOST_COMMENT;web1;1;ops;hello"),
            Command::AddComment {
                object: Object::Host("web1".into()),
                persistent: true,
                author: "ops".into(),
                comment: "hello".into()
            }
        );
        assert_eq!(cmd("DEL_ALL_SVC_COMMENTS;web1;http"), Command::DeleteAllComments(svc()));
        assert_eq!(
            err("DEL_HOST_COMMENT;12;13"),
            "DEL_HOST_COMMENT: too many arguments ('13' left over)"
        );
    }

    #[test]
    fn switches_checks_and_changes() {
        assert_eq!(
            cmd("DISABLE_SVC_CHECK;web1;http"),
            Command::SetSwitch {
                scope: Scope::One(svc()),
                switch: Switch::ActiveChecks,
                enabled: false
            }
        );
        assert_eq!(
            cmd("ENABLE_SERVICEGROUP_SVC_NOTIFICATIONS;web"),
            Command::SetSwitch {
                scope: Scope::ServicegroupServices("web".into()),
                switch: Switch::Notifications,
                enabled: true
            }
        );
        assert_eq!(
            cmd("SCHEDULE_FORCED_HOST_SVC_CHECKS;web1;1700000000"),
            Command::ScheduleCheck {
                scope: Scope::HostServices("web1".into()),
                at: 1_700_000_000,
                forced: true
            }
        );
        assert_eq!(
            cmd("CHANGE_CUSTOM_SVC_VAR;web1;http;_snmp_community;s3cr;t"),
            Command::ChangeCustomVar {
                object: svc(),
                name: "SNMP_COMMUNITY".into(),
                value: "s3cr;t".into()
            }
        );
        assert_eq!(
            cmd("CHANGE_RETRY_HOST_CHECK_INTERVAL;web1;0.5"),
            Command::ChangeCheckInterval {
                object: Object::Host("web1".into()),
                retry: true,
                minutes: 0.5
            }
        );
        assert_eq!(
            err("CHANGE_NORMAL_SVC_CHECK_INTERVAL;web1;http;-1"),
            "CHANGE_NORMAL_SVC_CHECK_INTERVAL: argument <check_interval> is '-1', expected a number 0 or more"
        );
        assert_eq!(
            cmd("SEND_CUSTOM_SVC_NOTIFICATION;web1;http;3;ops;test"),
            Command::SendCustomNotification {
                object: svc(),
                options: 3,
                author: "ops".into(),
                comment: "test".into()
            }
        );
        assert_eq!(cmd("RESTART_PROGRAM"), Command::Daemon("RESTART_PROGRAM".into()));
    }

    #[test]
    fn malformed_lines_say_what_is_wrong() {
        assert_eq!(err(""), "empty external command");
        assert_eq!(err("   "), "empty external command");
        assert_eq!(err("NOPE;x"), "unknown external command 'NOPE'");
        assert_eq!(
            err("[12x] ENABLE_NOTIFICATIONS"),
            "malformed timestamp '12x': expected '[epoch] NAME;arguments'"
        );
        assert_eq!(
            err("[12 ENABLE_NOTIFICATIONS"),
            "malformed timestamp '[12 ENABLE_NOTIFICATIONS': expected '[epoch] NAME;arguments'"
        );
        assert_eq!(
            err("PROCESS_HOST_CHECK_RESULT;web1;two;out"),
            "PROCESS_HOST_CHECK_RESULT: argument <return_code> is 'two', expected an integer exit code"
        );
        assert_eq!(
            err("PROCESS_SERVICE_CHECK_RESULT;;http;0;out"),
            "PROCESS_SERVICE_CHECK_RESULT: argument <host_name> is '', expected a name"
        );
        assert_eq!(
            err("ENABLE_NOTIFICATIONS;now"),
            "ENABLE_NOTIFICATIONS: too many arguments ('now' left over)"
        );
        assert_eq!(
            err("ENABLE SVC CHECK"),
            "malformed external command 'ENABLE SVC CHECK': expected '[epoch] NAME;arguments'"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in "\\PC*") {
            let _ = parse(&line);
        }

        #[test]
        fn never_panics_on_command_shaped_input(
            name in proptest::sample::select(vec![
                "PROCESS_SERVICE_CHECK_RESULT", "ACKNOWLEDGE_SVC_PROBLEM_EXPIRE", "SCHEDULE_HOSTGROUP_SVC_DOWNTIME",
                "SEND_CUSTOM_HOST_NOTIFICATION", "CHANGE_NORMAL_SVC_CHECK_INTERVAL", "DEL_SVC_DOWNTIME",
                "ENABLE_HOST_SVC_NOTIFICATIONS", "CHANGE_CUSTOM_HOST_VAR",
            ]),
            args in proptest::collection::vec("[^;]{0,12}", 0..12),
            stamp in proptest::option::of(proptest::num::i64::ANY),
        ) {
            let line = match stamp {
                Some(s) => format!("[{s}] {name};{}", args.join(";")),
                None => format!("{name};{}", args.join(";")),
            };
            let _ = parse(&line);
        }
    }
}
