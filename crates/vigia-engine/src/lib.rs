//! The monitoring engine: given one configuration part, decide when to check what, turn results
//! into states, and decide whom to notify. Pure and deterministic: no sockets, threads or sleeps;
//! time is passed in.
pub mod brok;
pub mod business;
mod checks;
pub mod commands;
pub mod comments;
mod context;
mod dependencies;
pub mod downtime;
pub mod engine;
pub mod external;
mod flapping;
mod freshness;
pub mod log;
pub mod macros;
pub mod modattr;
mod notifications;
pub mod output;
pub mod retention;
pub mod simulate;
pub mod status;

pub use brok::{Brok, BrokBody};
pub use commands::CommandError;
pub use engine::{Action, ActionKind, CheckResult, Engine, Globals, NotificationKind};
pub use retention::RetentionChange;
pub use status::{Item, StateType, Status};
