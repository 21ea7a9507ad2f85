//! Alignak's internal commands, answered in-process: `_internal_host_up`, `_echo`,
//! `_internal_host_check;STATES;OUTPUT` and `_internal_service_check;STATES;OUTPUT`. They let a
//! configuration be tried without real plugins and cost no process.
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::output;
use crate::perfdata;
use crate::request::{ExecResult, Request};

/// Whether `command_line` is one of the internal commands (and so needs no process slot).
pub fn is_internal(command_line: &str) -> bool {
    let line = command_line.trim();
    line == "_internal_host_up"
        || line == "_echo"
        || line.starts_with("_echo ")
        || line.starts_with("_internal_host_check")
        || line.starts_with("_internal_service_check")
        || line.starts_with("bp_rule")
}

/// Answers an internal command; `None` when `request` is not one.
pub fn run(request: &Request) -> Option<ExecResult> {
    let line = request.command_line.trim();
    let current = request.current.clone().unwrap_or_default();
    let (state, text) = if line == "_internal_host_up" {
        (0, "Host assumed to be UP".to_owned())
    } else if line == "_echo" || line.starts_with("_echo ") {
        // Alignak's `_echo` repeats the item's state and output; text after it replaces the output.
        let rest = line["_echo".len()..].trim();
        (
            current.state,
            if rest.is_empty() {
                current.output
            } else {
                rest.to_owned()
            },
        )
    } else if let Some(args) = line.strip_prefix("_internal_host_check") {
        forced(args, "Host", 4, &current)
    } else if let Some(args) = line.strip_prefix("_internal_service_check") {
        forced(args, "Service", 3, &current)
    } else if line.starts_with("bp_rule") {
        (
            3,
            "(Business rules are evaluated by the scheduler, not by a worker)".to_owned(),
        )
    } else {
        return None;
    };
    let parts = output::split(&text);
    let metrics = perfdata::parse(&parts.perfdata);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    Some(ExecResult {
        state,
        exit_code: None,
        signal: None,
        timed_out: false,
        output: parts.output,
        long_output: parts.long_output,
        perfdata: parts.perfdata,
        metrics,
        truncated: false,
        via_shell: false,
        internal: true,
        pid: None,
        start_time: now,
        end_time: now,
        execution_time: 0.0,
    })
}

/// `;STATES;OUTPUT` of a forced-state check. STATES is one code or up to five comma-separated
/// ones picked at random with Alignak's weights; `%d` in OUTPUT is the chosen state. A SOFT item
/// keeps its state so the new one can go HARD, as in Alignak. Host checks may force 4
/// (UNREACHABLE).
fn forced(args: &str, what: &str, highest: u8, current: &crate::request::CurrentState) -> (u8, String) {
    let mut fields = args.split(';');
    let malformed = || (3, format!("Malformed {} internal check", what.to_lowercase()));
    if fields.next().is_some_and(|f| !f.trim().is_empty()) {
        return malformed(); // `_internal_host_checkX;…`: not ours.
    }
    let Some(states) = fields.next() else {
        return malformed();
    };
    let state = if current.soft {
        current.state
    } else {
        let choices: Vec<&str> = states.split(',').map(str::trim).take(5).collect();
        match pick(&choices).parse::<u8>() {
            Ok(s) if s <= highest => s,
            _ => return malformed(),
        }
    };
    let text: Vec<&str> = fields.collect();
    let text = text.join(";");
    if text.is_empty() {
        (state, format!("{what} internal check result: {state}"))
    } else {
        (state, text.replace("%d", &state.to_string()))
    }
}

fn pick<'a>(choices: &[&'a str]) -> &'a str {
    let weights: &[f64] = match choices.len() {
        2 => &[0.8, 0.2],
        3 => &[0.7, 0.2, 0.1],
        4 => &[0.6, 0.2, 0.1, 0.1],
        5 => &[0.4, 0.2, 0.2, 0.1, 0.1],
        _ => return choices.first().copied().unwrap_or(""),
    };
    let mut roll = random_unit();
    for (choice, weight) in choices.iter().zip(weights) {
        if roll < *weight {
            return choice;
        }
        roll -= weight;
    }
    choices.last().copied().unwrap_or("")
}

/// A uniform number in [0, 1): std's randomly keyed hasher over a counter; no RNG crate needed for
/// a demo feature.
fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::CurrentState;

    fn answer(line: &str) -> ExecResult {
        run(&Request::new(line)).unwrap()
    }

    #[test]
    fn host_up() {
        let r = answer("_internal_host_up");
        assert_eq!(
            (r.state, r.output.as_str(), r.internal, r.pid),
            (0, "Host assumed to be UP", true, None)
        );
    }

    #[test]
    fn echo() {
        let r = answer("_echo hello | x=1");
        assert_eq!((r.state, r.output.as_str(), r.perfdata.as_str()), (0, "hello", "x=1"));
        let cur = CurrentState {
            state: 2,
            output: "was bad".into(),
            soft: false,
        };
        let r = run(&Request::new("_echo").current(cur)).unwrap();
        assert_eq!((r.state, r.output.as_str()), (2, "was bad"));
    }

    #[test]
    fn forced_states() {
        let r = answer("_internal_host_check;1;I am always Down");
        assert_eq!((r.state, r.output.as_str()), (1, "I am always Down"));
        let r = answer("_internal_host_check;4;");
        assert_eq!((r.state, r.output.as_str()), (4, "Host internal check result: 4"));
        let r = answer("_internal_service_check;2;%d is the state");
        assert_eq!((r.state, r.output.as_str()), (2, "2 is the state"));
        let r = answer("_internal_host_check");
        assert_eq!((r.state, r.output.as_str()), (3, "Malformed host internal check"));
        let r = answer("_internal_service_check;x;y");
        assert_eq!(r.state, 3);
        let r = answer("_internal_service_check;4;y");
        assert_eq!(r.state, 3, "services have no state 4");
        for _ in 0..50 {
            let r = answer("_internal_host_check;0,2;flip");
            assert!(r.state == 0 || r.state == 2);
        }
        let soft = CurrentState {
            state: 1,
            output: String::new(),
            soft: true,
        };
        let r = run(&Request::new("_internal_host_check;0;up").current(soft)).unwrap();
        assert_eq!(r.state, 1);
    }

    #[test]
    fn not_internal() {
        assert!(run(&Request::new("/bin/true")).is_none());
        assert!(run(&Request::new("_echoes")).is_none());
        assert!(!is_internal("/bin/_echo"));
        assert!(is_internal("_echo"));
        assert!(is_internal("bp_rule!a,b"));
    }
}
