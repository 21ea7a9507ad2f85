//! What a worker is asked to run, and what it hands back.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::perfdata::Metric;
use crate::tags::FORK;

/// What the action is for: it picks the wording of timeout and exit-code messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    #[default]
    ServiceCheck,
    HostCheck,
    EventHandler,
    Notification,
}

/// The item's state before this check, for the internal commands that echo it (`_echo`) or keep
/// it while SOFT (`_internal_host_check`), as Alignak does.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CurrentState {
    pub state: u8,
    pub output: String,
    pub soft: bool,
}

/// One command line to run, with everything that shapes its run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The command line with macros already expanded.
    pub command_line: String,
    /// `None`: the executor's default timeout.
    pub timeout: Option<Duration>,
    /// Variables added to the executor's base environment (the child gets nothing else).
    pub env: BTreeMap<String, String>,
    /// `None`: the executor's working directory.
    pub cwd: Option<PathBuf>,
    pub kind: ActionKind,
    /// For messages: `(Return code of 7 for service 'disk' on host 'web1' is out of bounds)`.
    pub host: Option<String>,
    pub service: Option<String>,
    /// `poller_tag` / `reactionner_tag`; `None` for untagged.
    pub tag: Option<String>,
    pub module_type: String,
    pub current: Option<CurrentState>,
}

impl Request {
    /// A service check of `command_line`, untagged, `fork` module, default timeout.
    pub fn new(command_line: impl Into<String>) -> Request {
        Request {
            command_line: command_line.into(),
            timeout: None,
            env: BTreeMap::new(),
            cwd: None,
            kind: ActionKind::ServiceCheck,
            host: None,
            service: None,
            tag: None,
            module_type: FORK.to_owned(),
            current: None,
        }
    }

    pub fn timeout(mut self, timeout: Duration) -> Request {
        self.timeout = Some(timeout);
        self
    }

    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.env.insert(name.into(), value.into());
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Request {
        self.cwd = Some(dir.into());
        self
    }

    pub fn kind(mut self, kind: ActionKind) -> Request {
        self.kind = kind;
        self
    }

    pub fn host(mut self, host: impl Into<String>) -> Request {
        self.host = Some(host.into());
        self
    }

    pub fn service(mut self, service: impl Into<String>) -> Request {
        self.service = Some(service.into());
        self
    }

    pub fn tag(mut self, tag: impl Into<String>) -> Request {
        self.tag = Some(tag.into());
        self
    }

    pub fn module_type(mut self, module_type: impl Into<String>) -> Request {
        self.module_type = module_type.into();
        self
    }

    pub fn current(mut self, current: CurrentState) -> Request {
        self.current = Some(current);
        self
    }
}

/// The outcome of one request, ready for the scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecResult {
    /// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, after mapping timeouts and out-of-range codes.
    pub state: u8,
    /// The code the process exited with; `None` when it was killed by a signal, never started,
    /// or the command was internal.
    pub exit_code: Option<i32>,
    /// The signal that ended the process (ours after a timeout, or any other).
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub output: String,
    pub long_output: String,
    pub perfdata: String,
    pub metrics: Vec<Metric>,
    /// The plugin wrote more than `max_plugins_output_length` bytes; the rest was dropped.
    pub truncated: bool,
    /// Ran through `/bin/sh -c` (shell metacharacters) rather than directly.
    pub via_shell: bool,
    /// Executed in-process (`_internal_host_up`, `_echo`, …).
    pub internal: bool,
    /// The process id, for diagnostics (`None` when nothing was spawned).
    pub pid: Option<u32>,
    /// Epoch seconds, as Alignak's `check_time`.
    pub start_time: f64,
    pub end_time: f64,
    /// Seconds from spawn to reaping.
    pub execution_time: f64,
}

/// The usual name of a service state.
pub fn state_name(state: u8) -> &'static str {
    match state {
        0 => "OK",
        1 => "WARNING",
        2 => "CRITICAL",
        _ => "UNKNOWN",
    }
}
