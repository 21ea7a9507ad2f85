//! A broker's initial status: a broker that starts over gets the whole status again, preceded by
//! the monitoring log lines it has not had. The status replaces what it knew, but a log line
//! missed would be missing from its log for good (the first check's alert, run before the
//! broker's first pull; lines made while a broker restarted).
use vigia_engine::brok::{Brok, BrokBody};

use super::ring::BrokRing;

/// What a broker that starts over is sent.
pub struct Initial {
    /// The log lines after the broker's position, then the status, numbered to end at the
    /// ring's last position (the broker's next position is then valid).
    pub broks: Vec<Brok>,
    /// Broks still pending before the status went to the ring first: brokers that follow the
    /// stream have something new.
    pub streamed: bool,
}

/// Builds the initial status from the engine's `initial_broks` for a broker that last had `had`
/// (0: never seen, it gets every log line the ring holds).
pub fn build(ring: &mut BrokRing, had: u64, mut broks: Vec<Brok>) -> Initial {
    // Anything still pending before the initial set belongs to the stream (normally nothing).
    let begin = broks
        .iter()
        .position(|b| matches!(b.body, BrokBody::InitialBegin { .. }))
        .unwrap_or(0);
    let status = broks.split_off(begin);
    let streamed = !broks.is_empty();
    if streamed {
        for b in broks {
            ring.push(b);
        }
    }
    let mut initial: Vec<Brok> = ring
        .since(had)
        .filter(|b| matches!(b.body, BrokBody::Log { .. }))
        .cloned()
        .collect();
    initial.extend(status);
    ring.number_initial(&mut initial);
    Initial {
        broks: initial,
        streamed,
    }
}

#[cfg(test)]
mod tests {
    use vigia_engine::brok::BROK_VERSION;

    use super::*;

    fn brok(body: BrokBody) -> Brok {
        Brok {
            version: BROK_VERSION,
            seq: 0,
            time: 0,
            body,
        }
    }

    fn log(line: &str) -> Brok {
        brok(BrokBody::Log { line: line.into() })
    }

    fn status() -> Vec<Brok> {
        vec![
            brok(BrokBody::InitialBegin { hosts: 1, services: 0 }),
            brok(BrokBody::InitialEnd),
        ]
    }

    fn lines(broks: &[Brok]) -> Vec<String> {
        broks
            .iter()
            .map(|b| match &b.body {
                BrokBody::Log { line } => line.clone(),
                BrokBody::InitialBegin { .. } => "begin".into(),
                BrokBody::InitialEnd => "end".into(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn the_log_lines_a_broker_missed_come_before_the_status() {
        let mut ring = BrokRing::new(100);
        ring.new_epoch(20);
        ring.push(log("seen"));
        let had = ring.last();
        ring.push(brok(BrokBody::DowntimeStarted { id: 1 }));
        ring.push(log("missed"));
        // A log line still pending in the engine goes to the stream first, then to this broker.
        let mut broks = vec![log("pending")];
        broks.extend(status());
        let initial = build(&mut ring, had, broks);
        assert!(initial.streamed);
        assert_eq!(lines(&initial.broks), ["missed", "pending", "begin", "end"]);
        assert_eq!(ring.last(), had + 3, "the pending line is in the ring");
        let seqs: Vec<u64> = initial.broks.iter().map(|b| b.seq).collect();
        assert_eq!(seqs, [ring.last() - 3, ring.last() - 2, ring.last() - 1, ring.last()]);
        assert!(ring.can_follow(ring.last()));
    }

    #[test]
    fn a_broker_never_seen_gets_every_log_line_held() {
        let mut ring = BrokRing::new(100);
        ring.new_epoch(20);
        ring.push(log("one"));
        ring.push(brok(BrokBody::DowntimeStarted { id: 1 }));
        ring.push(log("two"));
        let last = ring.last();
        let initial = build(&mut ring, 0, status());
        assert!(!initial.streamed);
        assert_eq!(lines(&initial.broks), ["one", "two", "begin", "end"]);
        assert_eq!(ring.last(), last, "nothing pushed");
        assert_eq!(initial.broks.last().map(|b| b.seq), Some(last));
    }
}
