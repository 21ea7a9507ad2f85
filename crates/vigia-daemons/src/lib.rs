//! The six daemon roles over the network. Each role is a module with a `run` function that
//! serves its HTTP API and runs its loops until asked to stop; the `vigia` binary picks one.
//!
//! - [`daemon`]: what every daemon shares (identity, running id, assignment generation, the
//!   HTTP server with the shared-secret check).
//! - [`link`]: calling another daemon (typed requests, secret, timeouts).
//! - [`secret`], [`tls`], [`server`]: who may call a daemon (the shared secret, TLS and mutual
//!   TLS) and the bounded HTTP server every daemon runs.
//! - [`arbiter`], [`scheduler`], [`satellite`] (poller and reactionner), [`broker`],
//!   [`receiver`]: the roles.
//! - [`retention`]: the scheduler's state on disk (redb).
//! - [`durable`]: writing a file that must survive a crash; [`data_lock`]: one daemon per data
//!   folder.
pub mod arbiter;
pub mod broker;
pub mod daemon;
pub mod data_lock;
pub mod durable;
pub mod link;
pub mod part_store;
pub mod receiver;
pub mod retention;
pub mod satellite;
pub mod scheduler;
pub mod secret;
pub mod server;
pub mod standby;
pub mod tls;
