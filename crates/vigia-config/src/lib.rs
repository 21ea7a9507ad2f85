//! Vigia's configuration engine.
pub mod timeperiod;
