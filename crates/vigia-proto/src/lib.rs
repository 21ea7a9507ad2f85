//! Vigia's inter-daemon protocol: every message the daemons exchange, typed and versioned, and
//! the HTTP API they serve to people and tools ([`api`], [`status`]): one wire vocabulary.
//!
//! Transport: HTTP/1.1 with JSON bodies (exceptions: the scheduler state stream,
//! [`StandbySync`], in postcard, and part images, [`PartImage`]). Every inter-daemon path starts
//! with [`PREFIX`] (`/v1`): once released, a daemon that changes a message's meaning bumps
//! [`PROTOCOL_VERSION`] and serves the new path, so two versions can run side by side during an
//! upgrade (until the first release, `/v1` still changes: every daemon of a cluster must run the
//! same build). The API for people and tools is under `/api/v1`. When the configuration sets a
//! shared secret, every request carries it in [`SECRET_HEADER`]; a request without it gets 401
//! and changes nothing.
//!
//! Every path is a constant in [`paths`]; every endpoint is a type in [`endpoint`] that pairs
//! its path and method with its request and response ([`endpoint::Endpoint`]).
//!
//! | endpoint | method and path | request | response |
//! |---|---|---|---|
//! | **arbiter → every daemon** | | | |
//! | [`endpoint::Identity`] | `GET /v1/identity` | — | [`Identity`] |
//! | [`endpoint::Assign`] | `POST /v1/assign` | [`Assignment`] | [`AssignAck`] (409: [`Stale`]) |
//! | [`endpoint::Release`] | `POST /v1/release` | [`Release`] | [`Released`] |
//! | [`endpoint::Parts`] (scheduler) | `POST /v1/parts` | [`PartImage`] (binary) | [`PartHeld`] |
//! | **poller / reactionner → scheduler** | | | |
//! | [`endpoint::Fetch`] | `POST /v1/actions` | [`FetchRequest`] | [`FetchResponse`] |
//! | [`endpoint::Results`] | `POST /v1/results` | [`ResultBatch`] | [`ResultAck`] |
//! | **broker → scheduler** | | | |
//! | [`endpoint::Broks`] | `POST /v1/broks` | [`BrokRequest`] | [`BrokBatch`] |
//! | **receiver → scheduler** | | | |
//! | [`endpoint::Commands`] | `POST /v1/commands` | [`CommandBatch`] | [`CommandsApplied`] |
//! | **scheduler → scheduler, arbiter → arbiter, scheduler → arbiter** | | | |
//! | [`endpoint::Standby`] | `POST /v1/standby` | [`StandbySync`] (postcard) | [`StandbyAck`] |
//! | [`endpoint::StandbyCopies`] | `GET /v1/standby` | — | `[(home, seq, changes)]` |
//! | [`endpoint::ArbiterHeartbeat`] | `POST /v1/arbiter/heartbeat` | [`ArbiterHeartbeat`] | [`ArbiterHeartbeat`] |
//! | [`endpoint::Validate`] | `POST /v1/validate` | [`ValidateRequest`] | [`Validity`] |
//! | **arbiter, for `vigia status` and operators** | | | |
//! | [`endpoint::Status`] | `GET /v1/status` | — | [`ArbiterStatus`] |
//! | [`endpoint::Reload`] | `POST /v1/reload` (and `/reload`) | — | [`ReloadOutcome`] |
//! | **broker status API** | | | |
//! | [`endpoint::Hosts`], [`endpoint::Services`], [`endpoint::Problems`] | `GET /api/v1/hosts`, `…/services`, `…/problems` | [`StatusFilter`] (query) | `[`[`ItemView`]`]` |
//! | [`endpoint::Downtimes`] | `GET /api/v1/downtimes` | [`StatusFilter`] (query) | `[`[`DowntimeView`]`]` |
//! | [`endpoint::Comments`] | `GET /api/v1/comments` | [`StatusFilter`] (query) | `[`[`CommentView`]`]` |
//! | [`endpoint::Schedulers`] | `GET /api/v1/schedulers` | — | `[`[`SchedulerSummary`]`]` |
//! | [`endpoint::Ha`] | `GET /api/v1/ha` | — | `[`[`HaNote`]`]` |
//! | **receiver API** | | | |
//! | [`endpoint::SubmitCommands`] | `POST /api/v1/commands` | [`CommandsRequest`] or text lines; [`CommandsQuery`] (query) | [`CommandsAccepted`] |
//! | [`endpoint::Queue`] | `GET /api/v1/queue` | — | [`QueueStatus`] |
//!
//! Any error answer (4xx, 5xx) carries an [`ErrorBody`].
use serde::{Deserialize, Serialize};
use vigia_config::model::Role;

pub use vigia_engine::brok::Brok;
pub use vigia_engine::{Action, CheckResult};

pub mod api;
pub mod endpoint;
pub mod part;
pub mod status;
pub use api::{
    CommandsAccepted, CommandsQuery, CommandsRequest, CommentView, DowntimeView, ItemView, NotApplied, Overlap,
    Program, QueueStatus, SchedulerSummary, StatusFilter,
};
pub use endpoint::Endpoint;
pub use part::{DecodedPart, PartImage, PART_CONTENT_TYPE};
pub use status::{ArbiterStatus, DaemonStatus, HaEvent, ReloadOutcome};

pub const PROTOCOL_VERSION: u32 = 1;
pub const PREFIX: &str = "/v1";
/// Header carrying the shared secret (configuration `vigia_secret`).
pub const SECRET_HEADER: &str = "x-vigia-secret";

pub mod paths {
    pub const IDENTITY: &str = "/v1/identity";
    pub const ASSIGN: &str = "/v1/assign";
    pub const FETCH: &str = "/v1/actions";
    pub const RESULTS: &str = "/v1/results";
    pub const BROKS: &str = "/v1/broks";
    pub const COMMANDS: &str = "/v1/commands";
    pub const STOP: &str = "/v1/stop";
    /// arbiter → daemon: stop the work and wait (a spare giving the work back, a stale master).
    pub const RELEASE: &str = "/v1/release";
    /// active scheduler → waiting spare scheduler: the state to take over with.
    pub const STANDBY: &str = "/v1/standby";
    /// master arbiter → spare arbiter (and back in the answer): who leads, with what.
    pub const ARBITER_HEARTBEAT: &str = "/v1/arbiter/heartbeat";
    /// scheduler → arbiter, after a freeze: do I still run this part?
    pub const VALIDATE: &str = "/v1/validate";
    /// arbiter → scheduler: a part image ([`crate::PartImage`]), before the assignment that
    /// names it (or, for a spare, before the take-over): answered with [`crate::PartHeld`].
    pub const PARTS: &str = "/v1/parts";
    /// arbiter → master scheduler taking its part back: the spare's final state
    /// ([`crate::Handover`], postcard), before the assignment that says it follows.
    pub const HANDOVER: &str = "/v1/handover";
    /// The arbiter's view of every daemon ([`crate::ArbiterStatus`]).
    pub const STATUS: &str = "/v1/status";
    /// Reloads the arbiter's configuration ([`crate::ReloadOutcome`]).
    pub const RELOAD: &str = "/v1/reload";
    /// [`RELOAD`] under its unversioned name.
    pub const RELOAD_UNVERSIONED: &str = "/reload";

    /// Broker status API ([`crate::api`]).
    pub const API_HOSTS: &str = "/api/v1/hosts";
    pub const API_SERVICES: &str = "/api/v1/services";
    pub const API_PROBLEMS: &str = "/api/v1/problems";
    pub const API_DOWNTIMES: &str = "/api/v1/downtimes";
    pub const API_COMMENTS: &str = "/api/v1/comments";
    pub const API_SCHEDULERS: &str = "/api/v1/schedulers";
    pub const API_HA: &str = "/api/v1/ha";
    /// Receiver API: external commands from people and tools, and the queue.
    pub const API_COMMANDS: &str = "/api/v1/commands";
    pub const API_QUEUE: &str = "/api/v1/queue";
}

/// What one arbiter tells the other: sent by the master every second, answered by the spare
/// with its own. The higher `arbiter_generation` leads; the active one's `runners` (home
/// daemon → daemon running its work) are what the other adopts when it takes the lead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArbiterHeartbeat {
    pub name: String,
    pub active: bool,
    pub arbiter_generation: u64,
    pub assignment_generation: u64,
    pub config_hash: String,
    pub runners: std::collections::BTreeMap<String, String>,
}

/// Who a daemon is, and whether it has work: the arbiter's health check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub protocol: u32,
    pub role: Role,
    pub name: String,
    /// `START.RANDOM`: changes at every start, so a restart is seen even when it was quick.
    pub running_id: String,
    pub version: String,
    pub started: i64,
    /// The assignment the daemon runs, if any.
    pub assignment: Option<AssignmentSummary>,
    /// The highest arbiter generation this daemon has obeyed.
    pub arbiter_generation: u64,
    /// A scheduler's part images (ids), so the arbiter sends only those it lacks.
    #[serde(default)]
    pub parts: Vec<String>,
    /// A scheduler's live standby copies, by home scheduler: a returning master that follows
    /// the spare running its part is given it back once its copy is live.
    #[serde(default)]
    pub live: Vec<String>,
}

/// A scheduler took a hand-over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverHeld {
    pub home: String,
    pub generation: u64,
}

/// A scheduler took a part image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartHeld {
    pub id: String,
    pub hosts: usize,
    pub services: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSummary {
    pub generation: u64,
    pub config_hash: String,
}

/// What the arbiter asks a daemon to do.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Assignment {
    /// Name and generation of the arbiter that sends it; a daemon refuses an arbiter older than
    /// the newest it has obeyed.
    pub arbiter: String,
    pub arbiter_generation: u64,
    /// Only grows, per daemon: work from an older generation is stale.
    pub generation: u64,
    /// The daemon's name in the configuration.
    pub name: String,
    /// Hash of the whole configuration (the arbiter's), for `vigia status`.
    pub config_hash: String,
    pub work: Work,
}

/// A daemon's work, by role.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Work {
    Scheduler(SchedulerWork),
    Poller(SatelliteWork),
    Reactionner(SatelliteWork),
    Broker(BrokerWork),
    Receiver(ReceiverWork),
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SchedulerWork {
    /// The id of the part image to run ([`PartImage`]), sent before to [`paths::PARTS`]: a
    /// scheduler that lacks it refuses the assignment with 412 and the arbiter sends it.
    pub image: String,
    pub part_hash: String,
    /// The scheduler this part belongs to in the configuration (the master); a spare that
    /// takes it over runs it under this name for every other daemon.
    #[serde(default)]
    pub home: String,
    /// Waiting spares of the realm: the active scheduler keeps each of them in sync.
    #[serde(default)]
    pub standbys: Vec<StandbyLink>,
    /// The state a giving-back spare handed over was sent to [`paths::HANDOVER`] for this
    /// generation: run from it (it supersedes any other copy); a scheduler that does not hold
    /// it refuses the assignment with 412 and the arbiter sends it again.
    #[serde(default)]
    pub handover: bool,
    /// A give-back by the state stream: the spare's final step is in this scheduler's standby
    /// copy of `home`; run from it. A scheduler without that copy (it restarted since) refuses
    /// with 412, and the arbiter gives the part to the spare again.
    #[serde(default)]
    pub from_copy: bool,
    /// Why this daemon runs the part now (take-over, give-back), for the monitoring log.
    #[serde(default)]
    pub reason: Option<String>,
    /// Every arbiter (`http://ADDRESS:PORT`): where a scheduler that was frozen longer than
    /// its lease asks whether it still runs this part before it notifies again.
    #[serde(default)]
    pub arbiters: Vec<String>,
    /// When this scheduler must stop handing out notifications for lack of arbiter contact.
    #[serde(default)]
    pub fencing: Fencing,
}

/// A running scheduler cut off from every arbiter may have been replaced: the arbiter declares
/// it dead after `timeout × max_check_attempts` seconds without an answer and gives its part to
/// a spare. So after `silence_ms` without hearing from an arbiter (less than that, and more
/// than the arbiter's interval between two checks of it) the scheduler keeps checking and
/// logging but holds notifications and event handlers until an arbiter confirms it still runs
/// the part, or until `hold_s` passed (an arbiter outage must not silence monitoring for
/// longer). `silence_ms` 0: no such fencing (a scheduler alone, or `isolated_notification_hold 0`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fencing {
    pub silence_ms: u64,
    pub hold_s: u64,
}

/// Query an arbiter's identity checks carry (`GET /v1/identity?arbiter=NAME`): the scheduler
/// counts them as arbiter contact (see [`Fencing`]); `vigia status` and the web UI do not.
pub const ARBITER_QUERY: &str = "arbiter";

/// A scheduler asks an arbiter whether it still runs `home`'s part (after a freeze).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValidateRequest {
    pub name: String,
    pub home: String,
    pub generation: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// Runs it, with this very assignment: notify on.
    Current,
    /// Runs it, but a newer assignment is on its way (a give-back): hold notifications.
    Pending,
    /// Another scheduler runs it now: stop and wait.
    Stale,
    /// This arbiter does not lead: ask another.
    NotLeading,
}

/// A waiting spare scheduler to keep in sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandbyLink {
    pub name: String,
    pub url: String,
}

/// One step of the state stream from an active scheduler to a waiting spare: a whole snapshot
/// (first, after a gap, and periodically so the spare's log stays short), or the changes since
/// the previous step.
///
/// The one message not in JSON: it is sent every 200 ms with every status that changed, and
/// JSON cost the spare more CPU than the active scheduler spent applying passive results. Its
/// body is [postcard](https://docs.rs/postcard) ([`STANDBY_CONTENT_TYPE`], [`StandbySync::decode`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StandbySync {
    /// The part's home scheduler (what the spare would take over).
    pub home: String,
    /// The active scheduler and its running id: a new one restarts the stream.
    pub source: String,
    pub source_running_id: String,
    pub generation: u64,
    pub part_hash: String,
    /// The part image the source runs: a spare that holds it keeps a live engine of the part.
    pub image: String,
    /// Numbers the steps of one stream, from 1.
    pub seq: u64,
    pub snapshot: Option<Box<vigia_engine::retention::Retention>>,
    #[serde(default)]
    pub changes: Vec<vigia_engine::RetentionChange>,
}

/// A giving-back spare's final state, on its way to the master: in postcard, as the state
/// stream (250,000 services in JSON took seconds to write and read, twice, at each fail-back).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Handover {
    /// The part's home scheduler.
    pub home: String,
    /// The assignment generation it is for.
    pub generation: u64,
    pub state: std::sync::Arc<vigia_engine::retention::Retention>,
}

impl Handover {
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        postcard::to_allocvec(self).map_err(|e| format!("encoding a hand-over: {e}"))
    }

    pub fn decode(bytes: &[u8]) -> Result<Handover, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("unreadable hand-over: {e}"))
    }
}

/// Content type of a [`StandbySync`] body.
pub const STANDBY_CONTENT_TYPE: &str = "application/x-vigia-postcard";

impl StandbySync {
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        postcard::to_allocvec(self).map_err(|e| format!("encoding a state-stream step: {e}"))
    }

    pub fn decode(bytes: &[u8]) -> Result<StandbySync, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("unreadable state-stream step: {e}"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandbyAck {
    /// The last step applied.
    pub seq: u64,
    /// The step did not follow the last one: send a snapshot.
    pub need_snapshot: bool,
    /// The spare keeps a live engine of the part (it holds the part image): it needs no
    /// periodic snapshot, only one after a gap.
    #[serde(default)]
    pub live: bool,
}

/// The arbiter tells a daemon to stop its work and wait.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Release {
    pub arbiter: String,
    pub arbiter_generation: u64,
    /// Assignments older than this are refused from now on.
    pub generation: u64,
    pub reason: String,
    /// A give-back: the part goes back to this home scheduler. Its final state is first
    /// streamed to the standbys (the returning master among them), and goes in the answer
    /// only when the home did not take that step.
    #[serde(default)]
    pub give_back_to: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Released {
    /// A scheduler's final state (what the master resumes from), unless it was `streamed`.
    pub state: Option<Box<vigia_engine::retention::Retention>>,
    /// The home scheduler of a give-back took the final step of the state stream: its copy is
    /// the final state.
    #[serde(default)]
    pub streamed: bool,
}

/// A scheduler a satellite works with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulerLink {
    pub name: String,
    /// `http://ADDRESS:PORT`.
    pub url: String,
    pub generation: u64,
    pub part_hash: String,
    /// The id of the part's image ([`PartImage`]): a broker holds it too, for the objects'
    /// configuration that Livestatus serves (groups, contacts, commands, …).
    #[serde(default)]
    pub image: String,
    /// The daemon running the part (`name` itself, or the spare standing in for it): the web
    /// UI's banner while a part runs on a spare.
    #[serde(default)]
    pub runner: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SatelliteWork {
    pub schedulers: Vec<SchedulerLink>,
    /// Tags served (`None` = untagged work).
    pub tags: Vec<String>,
    pub max_concurrent: usize,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BrokerWork {
    pub schedulers: Vec<SchedulerLink>,
    /// Take-overs and give-backs, oldest first: the broker writes each into the monitoring log
    /// once and shows them in its status.
    #[serde(default)]
    pub ha_events: Vec<HaNote>,
    /// Where to serve Livestatus (`ADDRESS:PORT`, the broker's `livestatus_host` and
    /// `livestatus_port`); none when the port is not set.
    #[serde(default)]
    pub livestatus: Option<String>,
    /// Livestatus over TLS, with the broker's certificate (`livestatus_tls 1`).
    #[serde(default)]
    pub livestatus_tls: bool,
    /// The receivers (`http://ADDRESS:PORT` of whoever runs each): where Livestatus `COMMAND`s
    /// go, so that they take the receivers' exactly-once path to the owning scheduler.
    #[serde(default)]
    pub receivers: Vec<String>,
    /// The arbiters (`http://ADDRESS:PORT`): the web UI's cluster page asks them.
    #[serde(default)]
    pub arbiters: Vec<String>,
}

/// A take-over or give-back as one monitoring log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaNote {
    pub at: i64,
    /// `VIGIA HA: …`, without the timestamp.
    pub line: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReceiverWork {
    pub schedulers: Vec<SchedulerLink>,
    /// Host name → name of the scheduler that owns it (external commands are routed by host).
    pub host_owner: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignAck {
    pub accepted: bool,
    pub message: String,
}

/// Which actions a worker wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionClass {
    /// Host and service checks (pollers).
    Checks,
    /// Notifications and event handlers (reactionners).
    Reactions,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FetchRequest {
    pub worker: String,
    pub class: ActionClass,
    /// Tags served; "None" stands for untagged actions.
    pub tags: Vec<String>,
    pub max: usize,
    /// Long-poll: wait up to this long for an action to come due.
    pub wait_ms: u64,
    /// The assignment generation the worker knows for this scheduler.
    pub generation: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FetchResponse {
    pub generation: u64,
    pub actions: Vec<Action>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResultBatch {
    pub worker: String,
    pub generation: u64,
    pub results: Vec<CheckResult>,
    /// What the worker runs: only check results may answer another scheduler's check of the
    /// same item after the part moved.
    #[serde(default)]
    pub class: Option<ActionClass>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultAck {
    pub accepted: usize,
}

/// Broks after `after` (a sequence number; 0 or an unknown one = start over with the initial
/// status).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BrokRequest {
    pub broker: String,
    pub running_id: String,
    pub after: u64,
    pub wait_ms: u64,
    pub max: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BrokBatch {
    /// The scheduler's running id: a change means its sequence started over.
    pub running_id: String,
    pub generation: u64,
    /// True when `broks` starts with a full initial status that replaces what the broker knew.
    pub initial: bool,
    pub broks: Vec<Brok>,
}

/// Content type of a [`BrokBatch`] in postcard, the form a broker asks for (`Accept`): a check
/// result's status takes about 90 bytes instead of 750 in JSON, which is what a broker pulling a
/// million results spends its time parsing, and what TLS spends its time encrypting. A scheduler
/// asked for anything else answers JSON (readable with curl). The brok version is in the name:
/// postcard does not describe itself, so a broker and a scheduler that differ fall back to JSON.
pub const BROKS_CONTENT_TYPE: &str = "application/x-vigia-broks-v2+postcard";

impl BrokBatch {
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        postcard::to_allocvec(self).map_err(|e| format!("encoding broks: {e}"))
    }

    pub fn decode(bytes: &[u8]) -> Result<BrokBatch, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("unreadable broks: {e}"))
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CommandBatch {
    pub commands: Vec<String>,
    /// Who numbered them (a receiver's name), and per command the number of the batch it
    /// came in (numbers only grow): a scheduler applies each batch once, even when it is
    /// delivered again after a fail-over. Empty: not numbered, always applied.
    ///
    /// A numbered batch with no command asks how far the source's batches are safe: the
    /// scheduler answers once the waiting spares hold everything it applied from the source
    /// (or after [`CONFIRM_WAIT`]).
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub batches: Vec<u64>,
}

/// How long a scheduler holds a confirmation request (an empty numbered [`CommandBatch`]).
pub const CONFIRM_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// `POST /v1/commands` answer: each command's outcome, and how far the source's batches are
/// applied and safe. The scheduler answers as soon as it applied the commands; the receiver
/// keeps a batch in its disk queue until `synced` covers it, and delivers again (to whoever
/// runs the part then) every batch above `synced`: a scheduler that dies before its spares have
/// a command loses nothing, and the command marks apply each batch once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandsApplied {
    pub outcomes: Vec<CommandOutcome>,
    /// The source's highest batch number this scheduler's engine has applied.
    pub applied: u64,
    /// The source's highest batch number every waiting spare holds (with no spare: `applied`).
    pub synced: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// One per command of a delivery, so kept short on the wire: an applied command is `{"ok":true}`.
pub struct CommandOutcome {
    pub ok: bool,
    /// Why it was refused (`None` when applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The command names an object this scheduler does not own: route it elsewhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_mine: bool,
}

/// Refusal of work from an older generation (HTTP 409 body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stale {
    pub current_generation: u64,
    pub message: String,
}

/// An error answer (any 4xx/5xx body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod broks_wire {
    use super::*;

    #[test]
    fn an_applied_command_is_short_on_the_wire_and_a_refusal_says_why() {
        let ok = CommandOutcome {
            ok: true,
            error: None,
            not_mine: false,
        };
        assert_eq!(serde_json::to_string(&ok).expect("json"), r#"{"ok":true}"#);
        let refused = CommandOutcome {
            ok: false,
            error: Some("unknown host".into()),
            not_mine: true,
        };
        let json = serde_json::to_string(&refused).expect("json");
        assert_eq!(serde_json::from_str::<CommandOutcome>(&json).expect("parse"), refused);
        let old_form = r#"{"ok":true,"error":null,"not_mine":false}"#;
        assert_eq!(serde_json::from_str::<CommandOutcome>(old_form).expect("parse"), ok);
    }

    #[test]
    fn the_postcard_content_type_names_the_brok_version() {
        let version = format!("-v{}+", vigia_engine::brok::BROK_VERSION);
        assert!(BROKS_CONTENT_TYPE.contains(&version), "{BROKS_CONTENT_TYPE}");
    }

    #[test]
    fn a_brok_batch_goes_through_postcard_and_garbage_is_an_error() {
        let batch = BrokBatch {
            running_id: "r1".into(),
            generation: 3,
            initial: false,
            broks: vec![vigia_engine::brok::Brok {
                version: vigia_engine::brok::BROK_VERSION,
                seq: 9,
                time: 1_800_000_000,
                body: vigia_engine::brok::BrokBody::Log {
                    line: "[1800000000] SERVICE ALERT: h;s;OK;HARD;1;fine".into(),
                },
            }],
        };
        let bytes = batch.encode().expect("encode");
        let back = BrokBatch::decode(&bytes).expect("decode");
        assert_eq!(back.broks, batch.broks);
        assert_eq!((back.running_id.as_str(), back.generation), ("r1", 3));
        assert!(BrokBatch::decode(b"\xff\xff\xff\xff\xff not postcard").is_err());
    }
}
