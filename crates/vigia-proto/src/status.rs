//! The arbiter's status and reload (`GET /v1/status`, what `vigia status` shows; `POST /v1/reload`).
use serde::{Deserialize, Serialize};
use vigia_config::model::Role;

/// What `GET /v1/status` (and `vigia status`) shows for one daemon.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DaemonStatus {
    pub name: String,
    pub role: Role,
    pub address: String,
    pub port: u16,
    pub spare: bool,
    pub realm: String,
    /// Answered its last health check.
    pub alive: bool,
    /// Runs the assignment it was last sent.
    pub assigned: bool,
    pub generation: u64,
    pub running_id: Option<String>,
    /// Epoch seconds of the last change of `alive` or of the assignment.
    pub since: i64,
    pub last_error: Option<String>,
    /// Failed health checks in a row.
    #[serde(default)]
    pub attempts: u32,
    /// The daemon whose work this one runs, when it stands in for another (a spare that took
    /// over), with the reason.
    #[serde(default)]
    pub standing_in_for: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Where a broker serves Livestatus (`ADDRESS:PORT`), when it runs a broker's work.
    #[serde(default)]
    pub livestatus: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArbiterStatus {
    pub name: String,
    /// A spare arbiter, and whether this arbiter leads now.
    #[serde(default)]
    pub spare: bool,
    #[serde(default)]
    pub active: bool,
    pub arbiter_generation: u64,
    pub config_hash: String,
    pub loaded_at: i64,
    pub daemons: Vec<DaemonStatus>,
    /// Every take-over and give-back since the arbiter started, oldest first.
    #[serde(default)]
    pub events: Vec<HaEvent>,
}

/// A take-over or give-back, as `vigia status` and the broker's log show it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HaEvent {
    pub at: i64,
    pub role: Role,
    /// The daemon whose work moved.
    pub home: String,
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// The answer to a reload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReloadOutcome {
    pub reloaded: bool,
    pub errors: Vec<String>,
    pub config_hash: String,
}
