//! Freshness (Alignak `SchedulingItem.do_check_freshness`): an object with `check_freshness`
//! whose last result is older than its threshold is stale; Alignak then sets it to its
//! `freshness_state` with an output saying so (Nagios would run an active check instead).
//! Threshold 0 means automatic: one check interval plus 15 seconds, as Nagios computes it.
use crate::engine::{Due, Engine};
use crate::status::{host_state, service_state, Item};

/// Seconds between freshness sweeps of one object (Nagios `*_freshness_check_interval`: 60).
const FRESHNESS_CHECK_INTERVAL: i64 = 60;

impl Engine {
    pub(crate) fn schedule_freshness(&mut self) {
        let items: Vec<Item> = self
            .all_items()
            .filter(|i| self.owns(*i) && self.monitored(*i).check_freshness)
            .collect();
        for item in items {
            self.push_schedule(self.now + FRESHNESS_CHECK_INTERVAL, Due::Freshness(item));
        }
    }

    /// Every host and service id.
    pub(crate) fn all_items(&self) -> impl Iterator<Item = Item> + '_ {
        (0..self.config.hosts.len() as u32)
            .map(|h| Item::Host(vigia_config::model::HostId(h)))
            .chain((0..self.config.services.len() as u32).map(|s| Item::Service(vigia_config::model::ServiceId(s))))
    }

    pub(crate) fn check_freshness(&mut self, item: Item) {
        self.push_schedule(self.now + FRESHNESS_CHECK_INTERVAL, Due::Freshness(item));
        let st = self.status(item);
        if !st.switches.passive_checks || st.in_flight {
            return;
        }
        let m = self.monitored(item);
        let threshold = if m.freshness_threshold > 0 {
            i64::from(m.freshness_threshold)
        } else {
            self.interval_seconds(item, false) + 15
        };
        // Never checked: counted from the engine's start.
        let since = if st.has_been_checked {
            st.last_check
        } else {
            self.started
        };
        let age = self.now - since;
        if age <= threshold || (st.has_been_checked && st.output.starts_with("Freshness period expired")) {
            return;
        }
        let state = match (item, m.freshness_state) {
            (Item::Host(_), 'o') => host_state::UP,
            (Item::Host(_), 'd') => host_state::DOWN,
            (Item::Host(_), _) => host_state::UNREACHABLE,
            (Item::Service(_), 'o') => service_state::OK,
            (Item::Service(_), 'w') => service_state::WARNING,
            (Item::Service(_), 'c') => service_state::CRITICAL,
            (Item::Service(_), _) => service_state::UNKNOWN,
        };
        let stale_by = age - threshold;
        let (host, svc) = self.item_name(item);
        let (kind, full_name) = match &svc {
            Some(s) => ("service", format!("{host}/{s}")),
            None => ("host", host),
        };
        let (attempt, max) = (st.attempt, m.max_check_attempts);
        let letter = m.freshness_state;
        // Alignak's warning, word for word.
        self.log(format!(
            "Warning: The freshness period of {kind} '{full_name}' is expired by {stale_by}s (threshold={threshold}s + 0s). Attempt: {attempt} / {max}. I'm forcing the state to freshness state ({letter} / HARD)."
        ));
        let now = self.now;
        let stamp = jiff::Timestamp::from_second(now)
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let st = self.status_mut(item);
        st.output = format!("Freshness period expired: {stamp}");
        st.long_output.clear();
        st.perf_data.clear();
        st.last_check = now;
        st.has_been_checked = true;
        self.apply_state(item, state);
    }
}
