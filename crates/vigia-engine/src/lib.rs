//! The monitoring engine: given one configuration part, decide when to check what, turn results
//! into states, and decide whom to notify. Pure and deterministic: no sockets, threads or sleeps;
//! time is passed in.
pub mod external;
pub mod log;
pub mod macros;
