//! When a part moves to another scheduler, what the one it left logged must still reach the
//! monitoring log, exactly once. A scheduler replaced while it was cut off (a partition) goes on
//! checking and logging; the broker keeps pulling it (a *drain*, from where the broker was in
//! its sequence) until it no longer runs that assignment and has nothing more, then writes what
//! it got after a `VIGIA HA:` line naming that scheduler and generation, and reports how long
//! the two ran the part at once and how many notifications each sent meanwhile.
//!
//! Lines already written are not written again when a scheduler sends them once more (its
//! initial status after it got the part back starts with the lines the broker had not
//! acknowledged): the broker remembers the recent lines of each scheduler run (running id).
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigia_engine::brok::BrokBody;
use vigia_proto::{BrokRequest, Overlap};

use super::{lock, pull, Broker, MAX_BROKS, WAIT_MS};
use crate::link::Link;

/// Lines remembered per scheduler run: more than one brok pull carries.
const RECENT_LINES: usize = 4 * MAX_BROKS;
/// Scheduler runs remembered.
const RECENT_RUNS: usize = 16;
/// Notification times remembered per part (for the overlap reports).
const RECENT_NOTIFICATIONS: usize = 100_000;
/// How long a puller waits for the drain of the scheduler the part came back to.
pub const DRAIN_FIRST: Duration = Duration::from_secs(10);
/// Between two attempts on a replaced scheduler that does not answer: it is drained soon after
/// a partition heals, before it gets the part back if it can.
const DRAIN_RETRY: Duration = Duration::from_secs(1);
/// A replaced scheduler that never answers again (it died for good) is given up after this.
const DRAIN_PATIENCE: Duration = Duration::from_secs(24 * 3600);

/// What the broker remembers of the lines it wrote, for exactly-once and overlap reports.
#[derive(Default)]
pub struct Written {
    /// Per scheduler run (running id), its recent lines (oldest first).
    recent: HashMap<String, VecDeque<String>>,
    runs: VecDeque<String>,
    /// Per part, when each notification line written was sent and by which scheduler.
    notifications: HashMap<String, VecDeque<(i64, String)>>,
    /// Per part, the runners being drained.
    draining: HashMap<String, Vec<String>>,
    /// Per part, the overlaps found.
    overlaps: HashMap<String, Vec<Overlap>>,
}

/// `[1700000000] SERVICE NOTIFICATION: …` or `HOST NOTIFICATION: …`: a notification sent.
fn is_notification(line: &str) -> bool {
    let body = line.split_once("] ").map_or(line, |(_, b)| b);
    body.starts_with("SERVICE NOTIFICATION: ") || body.starts_with("HOST NOTIFICATION: ")
}

/// `[…] VIGIA HA: NOTIFICATION NOT SENT: …`: a notification logged when decided, then held
/// and dropped by a scheduler that learnt it had been replaced.
fn is_withheld(line: &str) -> bool {
    line.contains("] VIGIA HA: NOTIFICATION NOT SENT: ")
}

/// The time of a `[SECONDS] …` line.
fn time_of(line: &str) -> Option<i64> {
    line.strip_prefix('[')?.split_once(']')?.0.parse().ok()
}

impl Written {
    /// Keeps the lines of scheduler run `running_id` not written yet (in order), and
    /// remembers them; `part` is the part they belong to, `runner` the scheduler that ran it.
    /// Only lines `resent` (those an initial status starts with) can have been written before:
    /// a line in a batch that follows the sequence is new, even if the same text came before.
    pub fn admit(
        &mut self,
        running_id: &str,
        part: &str,
        runner: &str,
        lines: Vec<String>,
        resent: bool,
    ) -> Vec<String> {
        if lines.is_empty() {
            return lines;
        }
        if !self.recent.contains_key(running_id) {
            self.runs.push_back(running_id.to_string());
            if self.runs.len() > RECENT_RUNS {
                if let Some(old) = self.runs.pop_front() {
                    self.recent.remove(&old);
                }
            }
        }
        let recent = self.recent.entry(running_id.to_string()).or_default();
        let mut fresh = Vec::with_capacity(lines.len());
        for line in lines {
            if let Some(i) = recent.iter().rposition(|l| resent && *l == line) {
                // Sent again: written once already. Forget it so that a true twin (the same
                // line twice in one second) is still written the second time.
                recent.remove(i);
                continue;
            }
            fresh.push(line);
        }
        recent.extend(fresh.iter().cloned());
        while recent.len() > RECENT_LINES {
            recent.pop_front();
        }
        let sent = self.notifications.entry(part.to_string()).or_default();
        for line in fresh.iter().filter(|l| is_notification(l)) {
            sent.push_back((time_of(line).unwrap_or(0), runner.to_string()));
        }
        while sent.len() > RECENT_NOTIFICATIONS {
            sent.pop_front();
        }
        fresh
    }

    /// Notifications `runner` sent for `part` between `from` and `to` (inclusive).
    fn sent_by(&self, part: &str, runner: &str, from: i64, to: i64) -> u64 {
        self.notifications.get(part).map_or(0, |n| {
            n.iter().filter(|(t, r)| r == runner && (from..=to).contains(t)).count() as u64
        })
    }

    pub fn overlaps(&self, part: &str) -> Vec<Overlap> {
        self.overlaps.get(part).cloned().unwrap_or_default()
    }

    pub fn draining(&self, part: &str) -> Vec<String> {
        self.draining.get(part).cloned().unwrap_or_default()
    }
}

/// The scheduler a part moved away from, and where the broker was in its sequence.
pub struct Drain {
    pub part: String,
    pub replaced: String,
    pub generation: u64,
    pub link: Link,
    pub running_id: String,
    pub after: u64,
    /// The scheduler that runs the part now.
    pub runner: String,
    /// When the part moved (Unix seconds).
    pub since: i64,
}

/// Pulls a replaced scheduler until it has nothing more of the assignment it was replaced in,
/// writing its log lines after a line that says whose they are.
pub async fn drain(broker: Arc<Broker>, d: Drain) {
    let started = Instant::now();
    lock(&broker.written)
        .draining
        .entry(d.part.clone())
        .or_default()
        .push(d.replaced.clone());
    let mut after = d.after;
    let mut backoff = Duration::from_millis(250);
    let mut late_lines = 0u64;
    let mut last_time: Option<i64> = None;
    // Notifications it decided after the move, and those it then said it did not send.
    let (mut decided, mut withheld) = (0u64, 0u64);
    let outcome = loop {
        if started.elapsed() > DRAIN_PATIENCE {
            break "it did not answer for a day: given up";
        }
        let request = BrokRequest {
            broker: broker.state.name(),
            running_id: d.running_id.clone(),
            after,
            wait_ms: WAIT_MS,
            max: MAX_BROKS,
        };
        let batch = match pull(&d.link, &request).await {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!("broker: draining {} ({}): {e}", d.replaced, d.part);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(DRAIN_RETRY);
                continue;
            }
        };
        backoff = Duration::from_millis(250);
        if batch.running_id != d.running_id {
            break "it restarted meanwhile: what it logged before is gone";
        }
        let empty = batch.broks.is_empty();
        let initial = batch.initial;
        let mut lines = Vec::new();
        for b in batch.broks {
            if initial && matches!(b.body, BrokBody::InitialBegin { .. }) {
                // It runs a new assignment: only the lines before its status are the old run's.
                break;
            }
            after = after.max(b.seq);
            if b.time > d.since {
                last_time = Some(last_time.map_or(b.time, |t| t.max(b.time)));
            }
            if let BrokBody::Log { line } = b.body {
                lines.push(line);
            }
        }
        let fresh = lock(&broker.written).admit(&d.running_id, &d.part, &d.replaced, lines, initial);
        if !fresh.is_empty() {
            let after_move = |l: &&String| time_of(l).is_some_and(|t| t > d.since);
            decided += fresh.iter().filter(after_move).filter(|l| is_notification(l)).count() as u64;
            withheld += fresh.iter().filter(after_move).filter(|l| is_withheld(l)).count() as u64;
            late_lines += fresh.len() as u64;
            let mut out = vec![format!(
                "[{}] VIGIA HA: {} line(s) logged by scheduler {} (generation {}) for part {} after {} took it over at {}:",
                super::daemon::now(),
                fresh.len(),
                d.replaced,
                d.generation,
                d.part,
                d.runner,
                d.since
            )];
            out.extend(fresh);
            broker.log_lines(out);
        }
        if initial {
            break "it runs a new assignment now";
        }
        if empty && batch.generation != d.generation {
            break "drained";
        }
        if empty {
            // Still running that assignment (not released yet): ask again, without hammering.
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let mut written = lock(&broker.written);
    if let Some(list) = written.draining.get_mut(&d.part) {
        list.retain(|r| *r != d.replaced);
    }
    let Some(to) = last_time else {
        tracing::info!(
            "broker {}: scheduler {} ({}) did nothing after {} took the part over ({outcome})",
            broker.state.name(),
            d.replaced,
            d.part,
            d.runner
        );
        return;
    };
    let overlap = Overlap {
        replaced: d.replaced.clone(),
        replaced_generation: d.generation,
        runner: d.runner.clone(),
        from: d.since,
        to,
        replaced_notifications: decided.saturating_sub(withheld),
        runner_notifications: written.sent_by(&d.part, &d.runner, d.since, to),
        late_lines,
    };
    let line = format!(
        "[{}] VIGIA HA: part {} ran on two schedulers at once for {} s ({} to {}): {} (replaced, generation {}) sent {} notification(s), {} sent {} ({outcome})",
        super::daemon::now(),
        d.part,
        to - d.since,
        d.since,
        to,
        d.replaced,
        d.generation,
        overlap.replaced_notifications,
        d.runner,
        overlap.runner_notifications
    );
    tracing::warn!("broker {}: {line}", broker.state.name());
    written.overlaps.entry(d.part.clone()).or_default().push(overlap);
    drop(written);
    broker.log_lines(vec![line]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_sent_again_are_written_once() {
        let mut w = Written::default();
        let first = w.admit("r1", "p", "s1", vec!["[1] A".into(), "[2] B".into()], false);
        assert_eq!(first, ["[1] A", "[2] B"]);
        // An initial status repeats what was not acknowledged, then goes on.
        let again = w.admit("r1", "p", "s1", vec!["[2] B".into(), "[3] C".into()], true);
        assert_eq!(again, ["[3] C"]);
        // Another run's identical line is its own.
        assert_eq!(w.admit("r2", "p", "s2", vec!["[3] C".into()], true), ["[3] C"]);
        // Following the sequence, the same text again is a new line.
        assert_eq!(w.admit("r1", "p", "s1", vec!["[3] C".into()], false), ["[3] C"]);
    }

    #[test]
    fn a_true_twin_is_written_twice() {
        let mut w = Written::default();
        assert_eq!(w.admit("r1", "p", "s1", vec!["[1] A".into()], false), ["[1] A"]);
        // Sent once more (dropped), then the same line really happens again, resent too.
        assert!(w.admit("r1", "p", "s1", vec!["[1] A".into()], true).is_empty());
        assert_eq!(w.admit("r1", "p", "s1", vec!["[1] A".into()], true), ["[1] A"]);
    }

    #[test]
    fn notifications_are_counted_per_runner_and_time() {
        let mut w = Written::default();
        w.admit(
            "r1",
            "p",
            "spare",
            vec![
                "[10] SERVICE NOTIFICATION: admin;h;s;CRITICAL;notify;out".into(),
                "[20] HOST NOTIFICATION: admin;h;DOWN;notify;out".into(),
                "[25] SERVICE ALERT: h;s;CRITICAL;HARD;1;out".into(),
                "[40] SERVICE NOTIFICATION: admin;h;s;CRITICAL;notify;out".into(),
            ],
            false,
        );
        assert_eq!(w.sent_by("p", "spare", 10, 30), 2);
        assert_eq!(w.sent_by("p", "master", 0, 100), 0);
        assert_eq!(w.sent_by("other", "spare", 0, 100), 0);
    }

    #[test]
    fn times_and_kinds_of_lines() {
        assert_eq!(time_of("[1700000000] SERVICE ALERT: x"), Some(1_700_000_000));
        assert_eq!(time_of("no time"), None);
        assert!(is_notification("[1] HOST NOTIFICATION: a;h;DOWN;c;o"));
        assert!(!is_notification("[1] VIGIA HA: NOTIFICATION NOT SENT: a;h;s;1: x"));
        assert!(is_withheld("[1] VIGIA HA: NOTIFICATION NOT SENT: a;h;s;1: x"));
    }
}
