//! From a finished run to a check result, with Nagios's and Alignak's rules: stderr when stdout is
//! empty, output capped, a code outside 0–3 is UNKNOWN with Nagios's "out of bounds" message, a
//! timeout is `timeout_exit_status` with "(Service check timed out after N.NN seconds)".
//!
//! Where a message replaces the plugin's output, what the plugin printed moves to the long output
//! (Nagios drops it; it is what a user needs to see why the plugin failed) and perfdata is dropped
//! (Nagios does too: it may be half-written).
use std::time::UNIX_EPOCH;

use crate::executor::ExecConfig;
use crate::output;
use crate::perfdata;
use crate::request::{ActionKind, ExecResult, Request};
use crate::spawn::{Ending, RawRun};

/// Nagios's text when a plugin printed nothing at all.
pub const NO_OUTPUT: &str = "(No output returned from plugin)";

pub(crate) fn finish(run: RawRun, request: &Request, config: &ExecConfig) -> ExecResult {
    let stdout = text(run.stdout.bytes());
    let stderr = text(run.stderr.bytes());
    // Alignak: stderr stands in for an empty (blank) stdout.
    let (mut text, truncated) = if stdout.trim().is_empty() {
        (stderr.clone(), run.stderr.truncated())
    } else {
        (stdout.clone(), run.stdout.truncated())
    };

    let (mut state, exit_code, signal, message) = match &run.ending {
        Ending::Exited(code) if (0..=3).contains(code) => {
            // Alignak: `sh -c` bailing out on a syntax error looks like exit 2; it is UNKNOWN.
            if run.via_shell && is_shell_syntax_error(&stderr) {
                text = format!("{stdout}{stderr}");
                (3, Some(*code), None, None)
            } else {
                (*code as u8, Some(*code), None, None)
            }
        }
        Ending::Exited(code) => (3, Some(*code), None, Some(out_of_bounds(*code, request))),
        Ending::NotStarted { code, reason } => {
            text = reason.clone();
            (3, Some(*code), None, Some(out_of_bounds(*code, request)))
        }
        Ending::Signaled(sig) => (
            3,
            None,
            Some(*sig),
            Some(format!("({} did not exit properly)", subject(request.kind))),
        ),
        Ending::TimedOut { after, signal } => (
            config.timeout_exit_status,
            None,
            *signal,
            Some(format!(
                "({} timed out after {:.2} seconds)",
                subject(request.kind),
                after.as_secs_f64()
            )),
        ),
        Ending::Failed(reason) => (3, None, None, Some(format!("({reason})"))),
    };
    if state > 3 {
        state = 3;
    }

    let (output, long_output, perfdata) = match message {
        Some(message) => (message, text.trim().to_owned(), String::new()),
        None => {
            let parts = output::split(&text);
            let output = if parts.output.is_empty() && parts.long_output.is_empty() {
                NO_OUTPUT.to_owned()
            } else {
                parts.output
            };
            (output, parts.long_output, parts.perfdata)
        }
    };
    let metrics = perfdata::parse(&perfdata);
    let start_time = epoch(run.started);
    let execution_time = run.elapsed.as_secs_f64();
    ExecResult {
        state,
        exit_code,
        signal,
        timed_out: matches!(run.ending, Ending::TimedOut { .. }),
        output,
        long_output,
        perfdata,
        metrics,
        truncated,
        via_shell: run.via_shell,
        internal: false,
        pid: run.pid,
        start_time,
        end_time: start_time + execution_time,
        execution_time,
    }
}

/// UTF-8 text of captured bytes; a multi-byte character cut by the cap is dropped, not turned into
/// a replacement character.
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) if e.error_len().is_none() => String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Alignak's patterns for bash and dash reporting a syntax error in `sh -c`.
fn is_shell_syntax_error(stderr: &str) -> bool {
    stderr.contains("sh: -c: line 0: unexpected EOF")
        || (stderr.contains("sh: -c: ") && stderr.contains(": Syntax"))
        || stderr.contains("Syntax error: Unterminated quoted string")
}

/// `(Return code of 127 for service 'disk' on host 'web1' is out of bounds - plugin may be
/// missing)`: Nagios 3's wording (which Alignak users know), with Nagios 4's naming of the item.
fn out_of_bounds(code: i32, request: &Request) -> String {
    let item = match (request.kind, &request.host, &request.service) {
        (ActionKind::ServiceCheck, Some(h), Some(s)) => format!(" for service '{s}' on host '{h}'"),
        (ActionKind::HostCheck, Some(h), _) => format!(" for host '{h}'"),
        _ => String::new(),
    };
    let hint = match code {
        126 => " - plugin may not be executable",
        127 => " - plugin may be missing",
        _ => "",
    };
    format!("(Return code of {code}{item} is out of bounds{hint})")
}

fn subject(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::ServiceCheck => "Service check",
        ActionKind::HostCheck => "Host check",
        ActionKind::EventHandler => "Event handler",
        ActionKind::Notification => "Notification",
    }
}

fn epoch(t: std::time::SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::limits::Capture;

    fn raw(ending: Ending, stdout: &str, stderr: &str) -> RawRun {
        let mut out = Capture::new(64);
        out.push(stdout.as_bytes());
        let mut err = Capture::new(64);
        err.push(stderr.as_bytes());
        RawRun {
            ending,
            stdout: out,
            stderr: err,
            via_shell: false,
            pid: Some(42),
            started: SystemTime::now(),
            elapsed: Duration::from_millis(5),
        }
    }

    fn done(ending: Ending, stdout: &str, stderr: &str, request: &Request) -> ExecResult {
        finish(raw(ending, stdout, stderr), request, &ExecConfig::default())
    }

    #[test]
    fn plain_exit() {
        let r = done(Ending::Exited(1), "WARN - x|a=1\nmore\n", "", &Request::new("x"));
        assert_eq!(
            (r.state, r.exit_code, r.output.as_str(), r.long_output.as_str()),
            (1, Some(1), "WARN - x", "more")
        );
        assert_eq!(r.metrics.len(), 1);
    }

    #[test]
    fn stderr_when_stdout_is_blank_and_nothing_at_all() {
        let r = done(Ending::Exited(2), " \n", "boom", &Request::new("x"));
        assert_eq!(r.output, "boom");
        let r = done(Ending::Exited(0), "", "", &Request::new("x"));
        assert_eq!(r.output, NO_OUTPUT);
    }

    #[test]
    fn capped_output_is_flagged() {
        let head = "0123456789abcdef".repeat(4);
        let r = done(Ending::Exited(0), &format!("{head}XYZ"), "", &Request::new("x"));
        assert_eq!((r.output.as_str(), r.truncated), (head.as_str(), true));
        // A character cut in half by the cap disappears rather than becoming U+FFFD.
        let r = done(Ending::Exited(0), &format!("{}é", &head[..63]), "", &Request::new("x"));
        assert_eq!(r.output, &head[..63]);
    }

    #[test]
    fn out_of_bounds_codes() {
        let svc = Request::new("x").host("web1").service("disk");
        let r = done(Ending::Exited(7), "text|a=1", "", &svc);
        assert_eq!(r.state, 3);
        assert_eq!(
            r.output,
            "(Return code of 7 for service 'disk' on host 'web1' is out of bounds)"
        );
        assert_eq!((r.long_output.as_str(), r.perfdata.as_str()), ("text|a=1", ""));
        let host = Request::new("x").kind(ActionKind::HostCheck).host("web1");
        let r = done(
            Ending::NotStarted {
                code: 127,
                reason: "nope: not found".into(),
            },
            "",
            "",
            &host,
        );
        assert_eq!(
            r.output,
            "(Return code of 127 for host 'web1' is out of bounds - plugin may be missing)"
        );
        assert_eq!(r.long_output, "nope: not found");
        let r = done(Ending::Exited(126), "", "", &Request::new("x"));
        assert_eq!(
            r.output,
            "(Return code of 126 is out of bounds - plugin may not be executable)"
        );
        let r = done(Ending::Exited(-1), "", "", &Request::new("x"));
        assert_eq!(r.state, 3);
    }

    #[test]
    fn timeouts_and_signals() {
        let ending = Ending::TimedOut {
            after: Duration::from_millis(1503),
            signal: Some(15),
        };
        let r = done(ending, "partial", "", &Request::new("x"));
        assert_eq!((r.state, r.timed_out, r.signal), (2, true, Some(15)));
        assert_eq!(r.output, "(Service check timed out after 1.50 seconds)");
        assert_eq!(r.long_output, "partial");
        let r = done(
            Ending::Signaled(11),
            "",
            "",
            &Request::new("x").kind(ActionKind::HostCheck),
        );
        assert_eq!((r.state, r.output.as_str()), (3, "(Host check did not exit properly)"));
    }

    #[test]
    fn shell_syntax_errors_are_unknown() {
        let mut run = raw(
            Ending::Exited(2),
            "",
            "sh: 1: Syntax error: Unterminated quoted string\n",
        );
        run.via_shell = true;
        let r = finish(run, &Request::new("x"), &ExecConfig::default());
        assert_eq!(r.state, 3);
    }
}
