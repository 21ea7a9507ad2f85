//! The dynamic state of a host or service: what a check result changes.
use serde::{Deserialize, Serialize};
use vigia_config::model::{HostId, ServiceId};

/// A host or a service: the two things that are checked and notified about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Item {
    Host(HostId),
    Service(ServiceId),
}

/// Service states, as plugins return them.
pub mod service_state {
    pub const OK: u8 = 0;
    pub const WARNING: u8 = 1;
    pub const CRITICAL: u8 = 2;
    pub const UNKNOWN: u8 = 3;
}

/// Host states (after the plugin's code is mapped, Alignak rules).
pub mod host_state {
    pub const UP: u8 = 0;
    pub const DOWN: u8 = 1;
    pub const UNREACHABLE: u8 = 2;
}

/// The word Nagios writes for a state.
pub fn state_name(item: Item, state: u8) -> &'static str {
    match item {
        Item::Host(_) => match state {
            host_state::UP => "UP",
            host_state::DOWN => "DOWN",
            _ => "UNREACHABLE",
        },
        Item::Service(_) => match state {
            service_state::OK => "OK",
            service_state::WARNING => "WARNING",
            service_state::CRITICAL => "CRITICAL",
            _ => "UNKNOWN",
        },
    }
}

/// The option letter a state matches in `notification_options`, `escalation_options`, … (host
/// UNREACHABLE is `u` in Nagios; Alignak also accepts `x`).
pub fn state_letter(item: Item, state: u8) -> char {
    match item {
        Item::Host(_) => match state {
            host_state::UP => 'o',
            host_state::DOWN => 'd',
            _ => 'u',
        },
        Item::Service(_) => match state {
            service_state::OK => 'o',
            service_state::WARNING => 'w',
            service_state::CRITICAL => 'c',
            _ => 'u',
        },
    }
}

/// Results remembered for flap detection (Nagios and Alignak: 20).
pub const FLAP_HISTORY: u8 = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateType {
    Soft,
    Hard,
}

impl StateType {
    pub fn name(self) -> &'static str {
        match self {
            StateType::Soft => "SOFT",
            StateType::Hard => "HARD",
        }
    }
}

/// An acknowledgement of a problem.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// 2: until the object is OK again; 0/1: removed at the next state change.
    pub sticky: u8,
    pub notify: bool,
    pub persistent: bool,
    pub author: String,
    pub comment: String,
    pub time: i64,
    /// Alignak: expires at this time (0 = never).
    pub end_time: i64,
}

/// Flags an operator can change at run time (Nagios "modified attributes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switches {
    pub active_checks: bool,
    pub passive_checks: bool,
    pub notifications: bool,
    pub event_handler: bool,
    pub flap_detection: bool,
}

/// Everything a result, a command or time changes about one host or service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub state: u8,
    pub state_type: StateType,
    pub attempt: u32,
    pub last_state: u8,
    pub last_hard_state: u8,
    pub has_been_checked: bool,
    pub last_check: i64,
    /// 0: not scheduled.
    pub next_check: i64,
    pub last_state_change: i64,
    pub last_hard_state_change: i64,
    pub output: String,
    pub long_output: String,
    pub perf_data: String,
    pub latency: f64,
    pub execution_time: f64,
    /// PROBLEM notifications sent for the current problem (`$NOTIFICATIONNUMBER$`).
    pub notification_number: u32,
    pub last_notification: i64,
    /// When the next PROBLEM notification is due (0: none pending).
    pub next_notification: i64,
    pub acknowledgement: Option<Acknowledgement>,
    pub downtime_depth: u32,
    pub is_flapping: bool,
    pub percent_state_change: f64,
    /// The last [`FLAP_HISTORY`] results (bit 0 newest): 1 where the state had changed.
    pub flap_history: u32,
    /// How many results are in `flap_history` (flapping is judged once it is full).
    pub flap_samples: u8,
    /// A check for it is with a poller: not scheduled again until its result comes back.
    pub in_flight: bool,
    pub switches: Switches,
}

impl Status {
    pub fn new(initial_state: u8, switches: Switches) -> Self {
        Status {
            state: initial_state,
            state_type: StateType::Hard,
            attempt: 1,
            last_state: initial_state,
            last_hard_state: initial_state,
            has_been_checked: false,
            last_check: 0,
            next_check: 0,
            last_state_change: 0,
            last_hard_state_change: 0,
            output: String::new(),
            long_output: String::new(),
            perf_data: String::new(),
            latency: 0.0,
            execution_time: 0.0,
            notification_number: 0,
            last_notification: 0,
            next_notification: 0,
            acknowledgement: None,
            downtime_depth: 0,
            is_flapping: false,
            percent_state_change: 0.0,
            flap_history: 0,
            flap_samples: 0,
            in_flight: false,
            switches,
        }
    }

    pub fn is_problem(&self) -> bool {
        self.state != 0
    }
}
