//! The HTTP API daemons serve to people and tools (not to each other): the broker's status
//! (`/api/v1/hosts`, …) and the receiver's command submission (`/api/v1/commands`, `/api/v1/queue`).
//! The arbiter's own status and reload (`/v1/status`, `/v1/reload`) are in [`crate::status`].
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigia_engine::comments::Comment;
use vigia_engine::downtime::Downtime;
use vigia_engine::status::Acknowledgement;
use vigia_engine::Globals;

/// `?host_name=` on the broker's status lists.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct StatusFilter {
    pub host_name: Option<String>,
}

/// The scheduler's program status (start time and global switches).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub started: i64,
    pub globals: Globals,
}

/// One host or service, as `GET /api/v1/hosts|services|problems` serve it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemView {
    pub host_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_description: Option<String>,
    /// `UP`, `DOWN`, `UNREACHABLE`; `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    pub state: String,
    pub state_id: u8,
    /// `HARD` or `SOFT`.
    pub state_type: String,
    pub attempt: u32,
    pub has_been_checked: bool,
    pub output: String,
    pub long_output: String,
    pub perf_data: String,
    pub last_check: i64,
    pub next_check: i64,
    pub last_state_change: i64,
    pub last_hard_state_change: i64,
    pub latency: f64,
    pub execution_time: f64,
    pub acknowledged: bool,
    pub acknowledgement: Option<Acknowledgement>,
    pub in_downtime: bool,
    pub downtime_depth: u32,
    pub is_flapping: bool,
    pub percent_state_change: f64,
    pub notification_number: u32,
    pub last_notification: i64,
    pub active_checks_enabled: bool,
    pub passive_checks_enabled: bool,
    pub notifications_enabled: bool,
    /// The scheduler that owns it.
    pub scheduler: String,
}

impl ItemView {
    /// An unhandled problem: hard, not OK/UP, neither acknowledged nor in a downtime.
    pub fn is_unhandled_problem(&self) -> bool {
        self.state_id != 0 && self.state_type == "HARD" && !self.acknowledged && !self.in_downtime
    }
}

/// A downtime with the names of what it is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DowntimeView {
    pub host_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_description: Option<String>,
    pub scheduler: String,
    #[serde(flatten)]
    pub downtime: Downtime,
}

/// A comment with the names of what it is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommentView {
    pub host_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_description: Option<String>,
    pub scheduler: String,
    #[serde(flatten)]
    pub comment: Comment,
}

/// How one scheduler link is doing, for `GET /api/v1/schedulers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchedulerSummary {
    pub name: String,
    pub url: String,
    pub connected: bool,
    pub ready: bool,
    pub running_id: String,
    pub last_seq: u64,
    pub last_contact: i64,
    pub last_error: Option<String>,
    pub hosts: usize,
    pub services: usize,
    pub program: Option<Program>,
    /// Times two schedulers ran this part at once (a replaced scheduler that went on, cut off
    /// by a partition), as found when the broker drained the replaced one's log.
    #[serde(default)]
    pub overlaps: Vec<Overlap>,
    /// Replaced runners of this part whose monitoring log lines the broker still waits for.
    #[serde(default)]
    pub draining: Vec<String>,
}

/// Two schedulers ran one part at once: `replaced` went on after `runner` took the part over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overlap {
    /// The scheduler that went on running the part after it was replaced.
    pub replaced: String,
    pub replaced_generation: u64,
    /// The scheduler that ran it meanwhile.
    pub runner: String,
    /// From the take-over to the last thing the replaced scheduler did (Unix seconds).
    pub from: i64,
    pub to: i64,
    /// Notifications each sent in that time.
    pub replaced_notifications: u64,
    pub runner_notifications: u64,
    /// Monitoring log lines of the replaced scheduler written after the fact.
    pub late_lines: u64,
}

/// `POST /api/v1/commands` JSON body.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CommandsRequest {
    pub commands: Vec<String>,
}

/// `POST /api/v1/commands` answer: 202 once queued; with `?wait=SECONDS`, 200 once every
/// command is applied by the scheduler owning its host *and* held by that scheduler's waiting
/// spares (so no fail-over can lose it), or 202 with `safe: false` when the wait ran out (the
/// commands stay queued and are delivered all the same).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandsAccepted {
    /// Command lines written to the queue.
    pub accepted: usize,
    /// With `?wait`: whether every command is applied and on the spares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe: Option<bool>,
    /// With `?wait`, once safe: the commands the scheduler refused (or that went to another
    /// scheduler, their host having moved), with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_applied: Vec<NotApplied>,
}

/// A command a scheduler did not apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotApplied {
    pub command: String,
    pub reason: String,
}

/// `POST /api/v1/commands` query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CommandsQuery {
    /// Seconds to wait for the commands to be applied and on the spares (the receiver caps it, at 60 s).
    pub wait: Option<f64>,
}

/// `GET /api/v1/queue`: commands waiting, per scheduler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStatus {
    pub queued: BTreeMap<String, usize>,
}
