//! Plugin execution, shared by pollers (checks) and reactionners (notifications, event handlers).
//!
//! An [`Executor`] runs [`Request`]s (a command line plus its timeout, environment, tags) with a
//! bounded number of processes and hands back [`ExecResult`]s with the Nagios plugin API applied:
//! state, output, long output, perfdata and parsed [`Metric`]s.
//!
//! - [`cmdline`]: run directly when the line is plain words, through `/bin/sh -c` when it has
//!   shell metacharacters.
//! - `pool`: one slot thread per running plugin (up to `max_concurrent`) behind a FIFO queue.
//! - `spawn`: `posix_spawn` (never a `fork()` of a large process), a process group per plugin.
//! - `watch`: output drained and capped, timeout → SIGTERM → SIGKILL of the whole group, the
//!   plugin reaped the moment it exits.
//! - `outcome`: Nagios's and Alignak's rules from exit status to state and message.
//! - [`output`] (the engine's, re-exported), [`perfdata`]: the plugin output format.
//! - [`internal`]: Alignak's in-process commands (`_internal_host_up`, `_echo`, …).
//! - [`tags`]: which actions a worker takes.
pub mod cmdline;
mod executor;
pub mod internal;
mod limits;
mod outcome;
pub mod perfdata;
/// The plugin output rules, shared with the engine (passive results): one copy, in vigia-engine.
pub use vigia_engine::output;
mod pool;
mod request;
mod spawn;
pub mod tags;
mod watch;

pub use executor::{Batch, ExecConfig, Executor};
pub use limits::{DEFAULT_KILL_GRACE, DEFAULT_MAX_OUTPUT, DEFAULT_TIMEOUT, DEFAULT_TIMEOUT_EXIT_STATUS};
pub use outcome::NO_OUTPUT;
pub use perfdata::{Metric, Range, Threshold};
pub use request::{state_name, ActionKind, CurrentState, ExecResult, Request};
pub use tags::{ModuleTypes, TagFilter};
