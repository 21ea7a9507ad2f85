//! Modified attributes (Nagios `modified_attributes`): configuration values an operator changed
//! at run time by command — check intervals, max attempts, custom variables. The configuration
//! is shared and never changed, so the new values live beside it, only for the few items that
//! have any, and are retained across restarts. (On/off switches live in
//! [`crate::status::Switches`].)
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::status::Item;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    /// Minutes (units of `interval_length`), as `check_interval`.
    pub check_interval: Option<f64>,
    pub retry_interval: Option<f64>,
    pub max_check_attempts: Option<u32>,
    /// Custom variables by upper-case name without the leading `_`.
    pub customs: BTreeMap<String, String>,
}

impl Engine {
    /// `check_interval` now (configured, or changed by `CHANGE_NORMAL_*_CHECK_INTERVAL`).
    pub(crate) fn check_interval(&self, item: Item) -> f64 {
        self.override_of(item)
            .and_then(|o| o.check_interval)
            .unwrap_or_else(|| self.monitored(item).check_interval)
    }

    /// `retry_interval` now.
    pub(crate) fn retry_interval(&self, item: Item) -> f64 {
        self.override_of(item)
            .and_then(|o| o.retry_interval)
            .unwrap_or_else(|| self.monitored(item).retry_interval)
    }

    /// `max_check_attempts` now (at least 1).
    pub(crate) fn max_check_attempts(&self, item: Item) -> u32 {
        self.override_of(item)
            .and_then(|o| o.max_check_attempts)
            .unwrap_or(self.monitored(item).max_check_attempts)
            .max(1)
    }

    /// A custom variable's value now (`name` upper-case, without `_`).
    pub(crate) fn custom_var(&self, item: Item, name: &str) -> Option<&str> {
        if let Some(v) = self.override_of(item).and_then(|o| o.customs.get(name)) {
            return Some(v.as_str());
        }
        self.monitored(item).details().customs.get(name).map(String::as_str)
    }

    /// What commands changed on an item, if anything.
    pub fn overrides(&self, item: Item) -> Option<&Overrides> {
        self.override_of(item)
    }

    fn override_of(&self, item: Item) -> Option<&Overrides> {
        if self.overrides.is_empty() {
            return None;
        }
        self.overrides.get(&item)
    }

    /// Changes an item's overrides and records the change for retention and brokers.
    pub(crate) fn change_overrides(&mut self, item: Item, change: impl FnOnce(&mut Overrides)) {
        let o = self.overrides.entry(item).or_default();
        change(o);
        let value = o.clone();
        // The status itself did not change, but brokers see the new values with it.
        self.status_mut(item);
        self.record_overrides(item, Some(value));
    }
}
