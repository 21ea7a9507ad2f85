//! The lease: a scheduler that may have been replaced holds notifications and event handlers
//! until an arbiter tells it what to do. Two things make it think so: its loop did not turn for
//! longer than [`LEASE`] (frozen by SIGSTOP, a VM pause, a swap storm), or no arbiter reached it
//! for longer than its [`Fencing`] silence (a partition cut it off). It keeps checking and
//! logging meanwhile. Only the decisions live here; the shell reads the clock and asks the
//! arbiters.
use std::time::Duration;

use vigia_proto::{Fencing, Validity};

/// A scheduler whose loop did not turn for this long (frozen by SIGSTOP, a VM pause, a swap
/// storm) may have been replaced: the arbiter needs at least `max_check_attempts` timeouts
/// (3 s by default) to declare it dead. Until an arbiter confirms its assignment it hands
/// out no notification and no event handler.
pub const LEASE: Duration = Duration::from_secs(2);

/// The time between the last turn of the loop and `now_ms` (milliseconds on one monotonic
/// clock); none when the turn was recorded after `now_ms` was read.
pub fn gap(now_ms: u64, last_turn_ms: u64) -> Duration {
    Duration::from_millis(now_ms.saturating_sub(last_turn_ms))
}

/// Whether a loop that did not turn for `gap` may have been replaced meanwhile.
pub fn past_lease(gap: Duration) -> bool {
    gap > LEASE
}

/// Whether a scheduler that last heard from an arbiter `silence` ago may have been replaced:
/// the arbiter may be about to give its part to a spare (never with fencing off).
pub fn cut_off(fencing: Fencing, silence: Duration) -> bool {
    fencing.silence_ms > 0 && silence > Duration::from_millis(fencing.silence_ms)
}

/// What a scheduler holding notifications does next, from the first leading arbiter's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseVerdict {
    /// Notify again: the arbiter confirms the part (`confirmed`), or no arbiter answered for
    /// the whole hold (an arbiter outage must not silence monitoring for longer).
    NotifyOn { confirmed: bool },
    /// Keep holding: a new assignment is on its way, or no arbiter answers yet.
    Hold,
    /// Replaced meanwhile: whatever this engine decided must not run.
    Stop,
}

/// The verdict for an arbiter's answer (`None`: no arbiter answered), after holding for `held`
/// out of at most `hold`.
pub fn decide(answer: Option<Validity>, held: Duration, hold: Duration) -> LeaseVerdict {
    match answer {
        Some(Validity::Current) => LeaseVerdict::NotifyOn { confirmed: true },
        Some(Validity::Pending) => LeaseVerdict::Hold,
        Some(Validity::Stale) | Some(Validity::NotLeading) => LeaseVerdict::Stop,
        None if held >= hold => LeaseVerdict::NotifyOn { confirmed: false },
        None => LeaseVerdict::Hold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLD: Duration = Duration::from_secs(300);

    #[test]
    fn a_gap_is_the_time_since_the_last_turn() {
        assert_eq!(gap(5_000, 2_000), Duration::from_secs(3));
        assert_eq!(gap(2_000, 2_000), Duration::ZERO);
        assert_eq!(gap(1_000, 2_000), Duration::ZERO, "a turn recorded after now was read");
    }

    #[test]
    fn only_a_gap_longer_than_the_lease_is_past_it() {
        assert!(!past_lease(gap(2_000, 0)), "the lease itself is still within it");
        assert!(past_lease(gap(2_001, 0)));
        assert!(!past_lease(Duration::ZERO));
    }

    #[test]
    fn cut_off_only_past_the_silence_and_never_with_fencing_off() {
        let f = Fencing {
            silence_ms: 2_000,
            hold_s: 300,
        };
        assert!(!cut_off(f, Duration::from_millis(2_000)));
        assert!(cut_off(f, Duration::from_millis(2_001)));
        assert!(!cut_off(Fencing::default(), Duration::from_secs(3_600)));
    }

    #[test]
    fn a_confirmation_notifies_on() {
        assert_eq!(
            decide(Some(Validity::Current), Duration::ZERO, HOLD),
            LeaseVerdict::NotifyOn { confirmed: true }
        );
    }

    #[test]
    fn no_answer_holds_until_the_hold_is_over_then_notifies_unconfirmed() {
        assert_eq!(decide(None, Duration::from_secs(299), HOLD), LeaseVerdict::Hold);
        assert_eq!(decide(None, HOLD, HOLD), LeaseVerdict::NotifyOn { confirmed: false });
        // No hold (no spare could replace it): at once, as before fencing existed.
        assert_eq!(
            decide(None, Duration::ZERO, Duration::ZERO),
            LeaseVerdict::NotifyOn { confirmed: false }
        );
    }

    #[test]
    fn a_coming_assignment_holds_even_past_the_hold() {
        assert_eq!(decide(Some(Validity::Pending), HOLD * 2, HOLD), LeaseVerdict::Hold);
    }

    #[test]
    fn a_replaced_scheduler_stops() {
        assert_eq!(decide(Some(Validity::Stale), Duration::ZERO, HOLD), LeaseVerdict::Stop);
        assert_eq!(decide(Some(Validity::NotLeading), HOLD, HOLD), LeaseVerdict::Stop);
    }
}
