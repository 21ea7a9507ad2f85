//! Macros (being written).
