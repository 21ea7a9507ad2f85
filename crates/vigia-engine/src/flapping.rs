//! Flap detection (Alignak `SchedulingItem.update_flapping`): the last 20 results, each marked
//! changed or not; the i-th oldest change weighs `0.8 + i × 0.4 / 20`, so recent changes count
//! more; the percent state change is their sum over 20. Flapping starts above the high
//! threshold and stops below the low one, judged only once the history is full, and only on the
//! states `flap_detection_options` names.
use crate::engine::{subject, Engine, NotificationKind};
use crate::status::{state_letter, Item, FLAP_HISTORY};

impl Engine {
    /// Records one result's state and starts or stops flapping.
    pub(crate) fn update_flapping(&mut self, item: Item, changed: bool) {
        let m = self.monitored(item);
        let (low, high, options) = (m.low_flap_threshold, m.high_flap_threshold, m.flap_detection_options);
        let letter = state_letter(item, self.status(item).state);
        if !(options.is_empty() || options.contains(letter) || letter == 'u' && options.contains('x')) {
            return;
        }
        let enabled = self.globals.flap_detection && self.status(item).switches.flap_detection;
        let config = std::sync::Arc::clone(&self.config);
        let st = self.status_mut(item);
        let mask = (1u32 << FLAP_HISTORY) - 1;
        st.flap_history = ((st.flap_history << 1) | u32::from(changed)) & mask;
        st.flap_samples = st.flap_samples.saturating_add(1).min(FLAP_HISTORY);
        if st.flap_samples < FLAP_HISTORY {
            return;
        }
        let n = f64::from(FLAP_HISTORY);
        // Bit k is the (20 - k)-th oldest entry.
        let sum: f64 = (0..FLAP_HISTORY)
            .filter(|k| st.flap_history & (1 << k) != 0)
            .map(|k| 0.8 + f64::from(FLAP_HISTORY - k) * 0.4 / n)
            .sum();
        st.percent_state_change = sum / n * 100.0;
        let percent = st.percent_state_change;
        if !enabled {
            return;
        }
        if !st.is_flapping && percent >= high {
            st.is_flapping = true;
            self.log(crate::log::flapping_started(subject(&config, item), percent, high));
            self.notify(item, NotificationKind::FlappingStart, None);
        } else if st.is_flapping && percent < low {
            st.is_flapping = false;
            self.log(crate::log::flapping_stopped(subject(&config, item), percent, low));
            self.notify(item, NotificationKind::FlappingStop, None);
        }
    }

    /// Flap detection turned off for an item (or globally): it stops flapping at once and
    /// forgets its history, silently (Alignak; Nagios logs `FLAPPING ALERT … DISABLED` and
    /// notifies FLAPPINGDISABLED).
    pub(crate) fn forget_flapping(&mut self, item: Item) {
        let st = self.status(item);
        if !st.is_flapping && st.flap_samples == 0 {
            return;
        }
        let st = self.status_mut(item);
        st.is_flapping = false;
        st.flap_history = 0;
        st.flap_samples = 0;
        st.percent_state_change = 0.0;
    }
}
