//! Monitoring log lines (being written).
