//! Timeperiods.
