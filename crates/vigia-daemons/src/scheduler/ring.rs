//! The brok ring: the recent broks in the scheduler's own numbering, which every broker
//! follows from its own position.
use std::collections::VecDeque;

use vigia_engine::brok::Brok;

/// The recent broks, renumbered in the scheduler's own sequence (an engine's numbering starts
/// over when a reload replaces it; the scheduler's does not).
///
/// A broker at position `after` can follow incrementally when `valid_from <= after <= last`;
/// otherwise (new broker, restarted scheduler, broker too far behind, engine replaced) it gets
/// the initial status, numbered so that it ends at `last`: its next position is then valid.
pub struct BrokRing {
    broks: VecDeque<Brok>,
    capacity: usize,
    last: u64,
    valid_from: u64,
}

impl BrokRing {
    pub fn new(capacity: usize) -> BrokRing {
        BrokRing {
            broks: VecDeque::new(),
            capacity: capacity.max(1),
            last: 0,
            valid_from: 0,
        }
    }

    pub fn push(&mut self, mut brok: Brok) {
        self.last += 1;
        brok.seq = self.last;
        self.broks.push_back(brok);
        if self.broks.len() > self.capacity {
            if let Some(old) = self.broks.pop_front() {
                // A broker at `old.seq - 1` missed it; one at `old.seq` did not.
                self.valid_from = self.valid_from.max(old.seq);
            }
        }
    }

    /// The object ids of earlier broks mean nothing any more (a new engine): every broker
    /// starts over. `reserve` sequence numbers are skipped so that an initial status of up to
    /// that many broks can end at `last` without going below 1. The monitoring log lines stay:
    /// a broker's initial status starts with those it has not had (an engine that ran the part
    /// while cut off from the brokers, then got it again).
    pub fn new_epoch(&mut self, reserve: u64) {
        self.broks
            .retain(|b| matches!(b.body, vigia_engine::brok::BrokBody::Log { .. }));
        self.last += 1 + reserve;
        self.valid_from = self.last;
    }

    pub fn last(&self) -> u64 {
        self.last
    }

    /// The broks held after `after` (all of them from 0).
    pub fn since(&self, after: u64) -> impl Iterator<Item = &Brok> {
        self.broks.iter().filter(move |b| b.seq > after)
    }

    /// Whether a broker at `after` can be answered with what follows it.
    pub fn can_follow(&self, after: u64) -> bool {
        after != 0 && after >= self.valid_from && after <= self.last
    }

    /// Up to `max` broks after `after` (which [`BrokRing::can_follow`]).
    pub fn after(&self, after: u64, max: usize) -> Vec<Brok> {
        // Numbers are increasing, not contiguous (log lines kept across an epoch).
        let start = self.broks.partition_point(|b| b.seq <= after);
        if start >= self.broks.len() {
            return Vec::new();
        }
        let end = start.saturating_add(max).min(self.broks.len());
        self.broks.range(start..end).cloned().collect()
    }

    /// Numbers an initial status so that it ends at `last` (the state it describes includes
    /// every brok up to there), strictly increasing.
    pub fn number_initial(&mut self, broks: &mut [Brok]) {
        let n = broks.len() as u64;
        if self.last < n {
            // Only if more was reserved than predicted; costs every broker an initial status.
            self.new_epoch(n);
        }
        let first = self.last + 1 - n;
        for (i, b) in broks.iter_mut().enumerate() {
            b.seq = first + i as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use vigia_engine::brok::{BrokBody, BROK_VERSION};

    use super::*;

    fn brok(n: i64) -> Brok {
        Brok {
            version: BROK_VERSION,
            seq: 0,
            time: n,
            body: BrokBody::Log {
                line: format!("line {n}"),
            },
        }
    }

    #[test]
    fn brok_ring_positions() {
        let mut r = BrokRing::new(3);
        r.new_epoch(2);
        assert_eq!(r.last(), 3);
        assert!(!r.can_follow(0), "0 always starts over");
        assert!(r.can_follow(3));
        for i in 1..=2 {
            r.push(brok(i));
        }
        assert_eq!(r.after(3, 10).iter().map(|b| b.seq).collect::<Vec<_>>(), [4, 5]);
        assert_eq!(r.after(4, 10).iter().map(|b| b.seq).collect::<Vec<_>>(), [5]);
        assert!(r.after(5, 10).is_empty());
        assert_eq!(r.after(3, 1).len(), 1);
        assert!(!r.can_follow(6), "a position from the future starts over");
        // Overflow drops the oldest: a broker that missed it must start over.
        r.push(brok(3));
        r.push(brok(4));
        assert_eq!(r.last(), 7);
        assert!(!r.can_follow(3), "brok 4 was dropped");
        assert!(r.can_follow(4));
        assert_eq!(r.after(4, 10).iter().map(|b| b.seq).collect::<Vec<_>>(), [5, 6, 7]);
        // The initial status ends at `last`, strictly increasing; the next position is valid.
        let mut initial: Vec<Brok> = (0..3).map(brok).collect();
        r.number_initial(&mut initial);
        assert_eq!(initial.iter().map(|b| b.seq).collect::<Vec<_>>(), [5, 6, 7]);
        assert!(r.can_follow(7));
        // A new engine: everyone starts over, even a broker that had everything.
        r.new_epoch(10);
        assert!(!r.can_follow(7));
        assert_eq!(r.last(), 18);
        assert!(r.can_follow(18));
        r.push(brok(9));
        assert_eq!(r.after(18, 10).iter().map(|b| b.seq).collect::<Vec<_>>(), [19]);
    }

    #[test]
    fn log_lines_outlive_an_epoch_and_followers_skip_them() {
        let mut ring = BrokRing::new(100);
        ring.push(brok(1));
        ring.push(Brok {
            body: BrokBody::InitialEnd,
            ..brok(2)
        });
        ring.new_epoch(10);
        assert_eq!(
            ring.since(0).map(|b| b.time).collect::<Vec<_>>(),
            [1],
            "the log line stays"
        );
        assert!(!ring.can_follow(2), "a position of the old epoch cannot follow");
        let at = ring.last();
        ring.push(brok(3));
        ring.push(brok(4));
        assert_eq!(ring.after(at, 10).iter().map(|b| b.time).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(ring.after(at + 1, 10).iter().map(|b| b.time).collect::<Vec<_>>(), [4]);
        // A broker that had the old line gets the new ones only.
        assert_eq!(ring.since(1).map(|b| b.time).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn an_initial_status_larger_than_reserved_still_numbers_from_one() {
        let mut r = BrokRing::new(10);
        r.new_epoch(0);
        let mut initial: Vec<Brok> = (0..5).map(brok).collect();
        r.number_initial(&mut initial);
        assert!(initial[0].seq >= 1);
        assert_eq!(initial.last().map(|b| b.seq), Some(r.last()));
        assert!(r.can_follow(r.last()));
    }
}
