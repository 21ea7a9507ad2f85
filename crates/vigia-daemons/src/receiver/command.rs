//! External command lines as the receiver takes them: checked with the engine's own parser (so
//! a mistake is reported to whoever sent it, not lost in a scheduler's log), stamped with the
//! reception time when they have none, and routed to the scheduler that owns their host.
use std::collections::BTreeMap;

use vigia_engine::external::{self, Command, Object, Scope};
use vigia_proto::ReceiverWork;

/// Where a command goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// To the scheduler that owns this host.
    Host(String),
    /// To every scheduler: program-wide commands, host and service groups (whose members may be
    /// spread over several schedulers), and downtime or comment ids (known only to their
    /// scheduler).
    All,
}

/// A checked command line, `[epoch] NAME;args`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub route: Route,
}

/// A line of a multi-line body that could not be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// 1-based.
    pub line: usize,
    pub error: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.error)
    }
}

/// Checks one command line; `now` stamps a line that has no `[epoch]`, so that a command
/// delivered late (its scheduler was down) still carries the time it was received.
pub fn parse_line(line: &str, now: i64) -> Result<Line, String> {
    let parsed = external::parse(line).map_err(|e| e.to_string())?;
    let route = route_of(&parsed.command);
    let stamp = parsed.timestamp.unwrap_or(now);
    Ok(Line {
        text: format!("[{stamp}] {}", parsed.text),
        route,
    })
}

/// Checks a body of one command a line (blank lines skipped); all or nothing, so a sender can
/// fix the bad line and send the whole body again without duplicates.
pub fn parse_text(body: &str, now: i64) -> Result<Vec<Line>, LineError> {
    let mut out = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(parse_line(line, now).map_err(|error| LineError { line: i + 1, error })?);
    }
    Ok(out)
}

/// The host a command is about, if it names exactly one host.
fn route_of(command: &Command) -> Route {
    fn object(o: &Object) -> Route {
        match o {
            Object::Host(h) | Object::Service { host: h, .. } => Route::Host(h.clone()),
        }
    }
    fn scope(s: &Scope) -> Route {
        match s {
            Scope::One(o) => object(o),
            Scope::HostServices(h) => Route::Host(h.clone()),
            Scope::HostgroupHosts(_)
            | Scope::HostgroupServices(_)
            | Scope::ServicegroupServices(_)
            | Scope::ServicegroupHosts(_) => Route::All,
        }
    }
    #[allow(unreachable_patterns)]
    match command {
        Command::ProcessCheckResult { object: o, .. }
        | Command::Acknowledge { object: o, .. }
        | Command::RemoveAcknowledgement(o)
        | Command::DeleteAllDowntimes(o)
        | Command::AddComment { object: o, .. }
        | Command::DeleteAllComments(o)
        | Command::SendCustomNotification { object: o, .. }
        | Command::ChangeCustomVar { object: o, .. }
        | Command::ChangeCheckInterval { object: o, .. }
        | Command::ChangeMaxCheckAttempts { object: o, .. } => object(o),
        Command::ScheduleDowntime { scope: s, .. }
        | Command::SetSwitch { scope: s, .. }
        | Command::ScheduleCheck { scope: s, .. } => scope(s),
        Command::DeleteDowntime { .. }
        | Command::DeleteComment { .. }
        | Command::SetGlobal { .. }
        | Command::Daemon(_) => Route::All,
        // A command kind added to the engine later: every scheduler decides for itself.
        _ => Route::All,
    }
}

/// The schedulers a command goes to. A host no scheduler owns is an error: Alignak drops such
/// commands with a log line; the receiver says so to the sender instead.
pub fn targets(route: &Route, work: &ReceiverWork) -> Result<Vec<String>, String> {
    match route {
        Route::All => Ok(work.schedulers.iter().map(|s| s.name.clone()).collect()),
        Route::Host(h) => match work.host_owner.get(h) {
            Some(owner) if work.schedulers.iter().any(|s| &s.name == owner) => Ok(vec![owner.clone()]),
            Some(owner) => Err(format!(
                "host '{h}' belongs to scheduler '{owner}', which is not linked"
            )),
            None => Err(format!("no scheduler owns host '{h}'")),
        },
    }
}

/// Groups lines by target scheduler, in order. All or nothing, as [`parse_text`].
pub fn route_all(lines: &[Line], work: &ReceiverWork) -> Result<BTreeMap<String, Vec<String>>, LineError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let names = targets(&line.route, work).map_err(|error| LineError { line: i + 1, error })?;
        for name in names {
            out.entry(name).or_default().push(line.text.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigia_proto::SchedulerLink;

    fn work() -> ReceiverWork {
        let link = |n: &str| SchedulerLink {
            name: n.into(),
            url: format!("http://{n}"),
            generation: 1,
            part_hash: String::new(),
            image: String::new(),
            runner: String::new(),
        };
        ReceiverWork {
            schedulers: vec![link("s1"), link("s2")],
            host_owner: [("web1", "s1"), ("db1", "s2"), ("lost", "s9")]
                .into_iter()
                .map(|(h, s)| (h.to_string(), s.to_string()))
                .collect(),
        }
    }

    #[test]
    fn timestamp_added_when_missing_and_kept_otherwise() {
        let l = parse_line("process_service_check_result;web1;http;2;CRIT; x|t=1;2", 77).unwrap();
        assert_eq!(l.text, "[77] PROCESS_SERVICE_CHECK_RESULT;web1;http;2;CRIT; x|t=1;2");
        assert_eq!(l.route, Route::Host("web1".into()));
        let l = parse_line("[1700000000] PROCESS_HOST_CHECK_RESULT;db1;1;down", 77).unwrap();
        assert_eq!(l.text, "[1700000000] PROCESS_HOST_CHECK_RESULT;db1;1;down");
        assert_eq!(l.route, Route::Host("db1".into()));
    }

    #[test]
    fn routes_by_host_and_to_all_for_groups_and_globals() {
        let route = |line: &str| parse_line(line, 1).unwrap().route;
        let host = |h: &str| Route::Host(h.into());
        assert_eq!(route("ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1;1;ops;on it"), host("web1"));
        assert_eq!(route("SCHEDULE_HOST_SVC_DOWNTIME;db1;1;2;1;0;0;ops;x"), host("db1"));
        assert_eq!(route("DISABLE_SVC_NOTIFICATIONS;web1;http"), host("web1"));
        assert_eq!(route("SCHEDULE_FORCED_HOST_SVC_CHECKS;db1;5"), host("db1"));
        assert_eq!(
            route("SCHEDULE_HOSTGROUP_HOST_DOWNTIME;linux;1;2;1;0;0;ops;x"),
            Route::All
        );
        assert_eq!(route("ENABLE_SERVICEGROUP_SVC_NOTIFICATIONS;web"), Route::All);
        assert_eq!(route("DISABLE_NOTIFICATIONS"), Route::All);
        assert_eq!(route("DEL_SVC_DOWNTIME;12"), Route::All);
        assert_eq!(route("RESTART_PROGRAM"), Route::All);
        let w = work();
        assert_eq!(targets(&host("web1"), &w).unwrap(), vec!["s1".to_string()]);
        assert_eq!(
            targets(&Route::All, &w).unwrap(),
            vec!["s1".to_string(), "s2".to_string()]
        );
        assert!(targets(&host("nope"), &w)
            .unwrap_err()
            .contains("no scheduler owns host 'nope'"));
        assert!(targets(&host("lost"), &w).unwrap_err().contains("s9"));
    }

    #[test]
    fn multi_line_body_all_or_nothing_with_line_number() {
        let body =
            "PROCESS_HOST_CHECK_RESULT;web1;0;ok\n\n[5] DISABLE_NOTIFICATIONS\r\nPROCESS_HOST_CHECK_RESULT;db1;0;ok\n";
        let lines = parse_text(body, 9).unwrap();
        assert_eq!(lines.len(), 3);
        let routed = route_all(&lines, &work()).unwrap();
        assert_eq!(
            routed["s1"],
            vec![
                "[9] PROCESS_HOST_CHECK_RESULT;web1;0;ok".to_string(),
                "[5] DISABLE_NOTIFICATIONS".to_string()
            ]
        );
        assert_eq!(
            routed["s2"],
            vec![
                "[5] DISABLE_NOTIFICATIONS".to_string(),
                "[9] PROCESS_HOST_CHECK_RESULT;db1;0;ok".to_string()
            ]
        );
        let err = parse_text("DISABLE_NOTIFICATIONS\nACKNOWLEDGE_SVC_PROBLEM;web1\n", 9).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.to_string().starts_with("line 2: "), "{err}");
        let err = parse_text("[x] DISABLE_NOTIFICATIONS", 9).unwrap_err();
        assert_eq!(err.line, 1);
        let err = parse_text("NO_SUCH_COMMAND;a", 9).unwrap_err();
        assert!(err.error.contains("unknown external command"), "{err}");
        let lines = parse_text(
            "PROCESS_HOST_CHECK_RESULT;web1;0;ok\nPROCESS_HOST_CHECK_RESULT;ghost;0;ok",
            1,
        )
        .unwrap();
        assert_eq!(route_all(&lines, &work()).unwrap_err().line, 2);
    }
}
