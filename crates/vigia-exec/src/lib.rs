//! Plugin execution (see issue: plugin execution).
