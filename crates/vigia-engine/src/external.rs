//! External commands (being written).
