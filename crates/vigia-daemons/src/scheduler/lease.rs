//! The lease: a scheduler frozen for longer than [`LEASE`] may have been replaced meanwhile, so
//! it holds notifications and event handlers until an arbiter tells it what to do. Only the
//! decisions live here; the shell reads the clock and asks the arbiters.
use std::time::Duration;

use vigia_proto::Validity;

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

/// What a scheduler does after a freeze, from the first leading arbiter's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseVerdict {
    /// Notify again: the arbiter confirms the part (`confirmed`), or no arbiter answers (an
    /// arbiter outage must never silence monitoring).
    NotifyOn { confirmed: bool },
    /// Keep holding: a new assignment is on its way.
    Hold,
    /// Replaced while frozen: whatever this engine decided must not run.
    Stop,
}

/// The verdict for an arbiter's answer (`None`: no arbiter answered).
pub fn decide(answer: Option<Validity>) -> LeaseVerdict {
    match answer {
        Some(Validity::Current) => LeaseVerdict::NotifyOn { confirmed: true },
        Some(Validity::Pending) => LeaseVerdict::Hold,
        Some(Validity::Stale) | Some(Validity::NotLeading) => LeaseVerdict::Stop,
        None => LeaseVerdict::NotifyOn { confirmed: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_confirmation_notifies_on() {
        assert_eq!(
            decide(Some(Validity::Current)),
            LeaseVerdict::NotifyOn { confirmed: true }
        );
    }

    #[test]
    fn no_answer_notifies_on_unconfirmed() {
        assert_eq!(decide(None), LeaseVerdict::NotifyOn { confirmed: false });
    }

    #[test]
    fn a_coming_assignment_holds() {
        assert_eq!(decide(Some(Validity::Pending)), LeaseVerdict::Hold);
    }

    #[test]
    fn a_replaced_scheduler_stops() {
        assert_eq!(decide(Some(Validity::Stale)), LeaseVerdict::Stop);
        assert_eq!(decide(Some(Validity::NotLeading)), LeaseVerdict::Stop);
    }
}
