//! The action queue: due actions waiting for a poller or reactionner, and those handed out,
//! until their result comes back or their worker is past its deadline.
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use vigia_engine::{Action, ActionKind, Item};
use vigia_proto::ActionClass;

/// Checks without their own timeout (Nagios `service_check_timeout`).
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(60);
/// Notifications and event handlers without their own timeout.
pub const DEFAULT_REACTION_TIMEOUT: Duration = Duration::from_secs(30);

/// The timeout an action runs under (its command's, else the default of its class); the
/// scheduler waits that plus [`RETURN_MARGIN`](super::RETURN_MARGIN) before handing it out again.
pub fn action_timeout(action: &Action) -> Duration {
    let default = match action.kind {
        ActionKind::Check => DEFAULT_CHECK_TIMEOUT,
        _ => DEFAULT_REACTION_TIMEOUT,
    };
    action
        .timeout
        .filter(|t| *t > 0)
        .map_or(default, |t| Duration::from_secs(u64::from(t)))
}

/// Which workers run an action: pollers take checks, reactionners the rest.
pub fn class_of(kind: &ActionKind) -> ActionClass {
    match kind {
        ActionKind::Check => ActionClass::Checks,
        ActionKind::Notification { .. } | ActionKind::EventHandler => ActionClass::Reactions,
    }
}

/// Whether a worker serving `tags` takes an action tagged `tag` ("None" = untagged; a worker
/// that names no tag serves untagged actions).
pub fn serves(tags: &[String], tag: Option<&str>) -> bool {
    let tag = tag.unwrap_or("None");
    if tags.is_empty() {
        return tag == "None";
    }
    tags.iter().any(|t| t == tag)
}

/// Due actions not yet handed out, and actions with a worker, by wire id.
///
/// Wire ids are the engine's action ids with a per-engine prefix in the top 24 bits: a reload
/// builds a new engine whose ids start again at 1, and a result for the old engine's action 5
/// must not be taken for the new engine's action 5.
pub struct ActionQueue {
    prefix: u64,
    entries: HashMap<u64, Entry>,
    /// Wire ids in hand-out order, per class (checks, reactions). Ids of finished or handed
    /// actions are skipped lazily.
    ready: [VecDeque<u64>; 2],
    /// Checks waiting for their moment within their due second (epoch milliseconds, wire id).
    held: std::collections::BinaryHeap<std::cmp::Reverse<(u64, u64)>>,
    margin: Duration,
    /// The stream step actions pushed now are decided in ([`ActionQueue::stamp`]).
    stamp: u64,
    /// The last stream step the spares hold ([`ActionQueue::synced`]).
    synced: u64,
    /// When each worker last asked for actions.
    last_seen: HashMap<String, Instant>,
}

/// A poller that has not asked for actions for this long is dead or frozen (it asks at least
/// every second, also when full): the checks it holds are handed out again at once rather
/// than at their timeout (a minute), so that the spare poller runs them. A result that comes
/// after all is simply late (the first closes the check).
pub const WORKER_SILENCE: Duration = Duration::from_secs(3);

/// Where in its due second a check starts: the engine schedules in whole seconds, and starting
/// every check of a second at once makes the last of a burst wait for all the others (p99
/// latency of a second's worth of spawns). Spread by the golden ratio over the item's index:
/// stable for an item, even over many.
fn offset_in_second(item: Item) -> f64 {
    let index = match item {
        Item::Host(h) => u64::from(h.0) * 2,
        Item::Service(s) => u64::from(s.0) * 2 + 1,
    };
    (index as f64 * 0.618_033_988_749_895).fract()
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

struct Entry {
    /// With the wire id.
    action: Action,
    engine_id: u64,
    class: ActionClass,
    handed: Option<Handed>,
    /// For a notification or event handler: the step of the state stream that carries its
    /// decision to the spares (see [`ActionQueue::stamp`]).
    step: u64,
}

struct Handed {
    worker: String,
    deadline: Instant,
}

/// An action whose result came back.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The id the engine knows it by.
    pub engine_id: u64,
    pub item: Item,
    pub class: ActionClass,
    pub kind: ActionKind,
    pub command_line: String,
    pub worker: Option<String>,
}

/// An action handed out again because its worker did not return it in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Requeued {
    pub wire_id: u64,
    pub class: ActionClass,
    pub worker: String,
}

const ID_BITS: u32 = 40;
const ID_MASK: u64 = (1 << ID_BITS) - 1;

fn class_index(class: ActionClass) -> usize {
    match class {
        ActionClass::Checks => 0,
        ActionClass::Reactions => 1,
    }
}

impl ActionQueue {
    pub fn new(margin: Duration) -> ActionQueue {
        ActionQueue {
            stamp: 0,
            synced: u64::MAX,
            last_seen: HashMap::new(),
            prefix: 1,
            entries: HashMap::new(),
            ready: [VecDeque::new(), VecDeque::new()],
            held: std::collections::BinaryHeap::new(),
            margin,
        }
    }

    /// A new engine runs from now on: its checks are its own (the old engine's are forgotten:
    /// the new engine schedules again whatever was in flight), while notifications and event
    /// handlers already decided are still run.
    pub fn new_engine(&mut self, prefix: u64) {
        self.prefix = (prefix & 0xFF_FFFF).max(1);
        self.entries.retain(|_, e| e.class == ActionClass::Reactions);
        self.ready[0].clear();
        self.held.clear();
    }

    /// Queues an action from the engine.
    pub fn push(&mut self, mut action: Action) {
        let engine_id = action.id;
        let wire = (self.prefix << ID_BITS) | (engine_id & ID_MASK);
        action.id = wire;
        let class = class_of(&action.kind);
        if class == ActionClass::Checks && action.due > 0.0 {
            // Planned within its second; latency counts from this moment.
            action.due = action.due.floor() + offset_in_second(action.item);
            let at = (action.due * 1000.0) as u64;
            if at > wall_ms() {
                self.held.push(std::cmp::Reverse((at, wire)));
            } else {
                self.ready[0].push_back(wire);
            }
        } else {
            self.ready[class_index(class)].push_back(wire);
        }
        self.entries.insert(
            wire,
            Entry {
                action,
                engine_id,
                class,
                handed: None,
                step: self.stamp,
            },
        );
    }

    /// Actions pushed from now on are decided in the state that stream step `step` carries to
    /// the spares.
    pub fn stamp(&mut self, step: u64) {
        self.stamp = step;
    }

    /// The spares hold every step up to `step` (`u64::MAX`: there are none): notifications and
    /// event handlers decided in a later step wait. A notification handed out before a spare
    /// knows it was decided would be sent again by that spare if it took over now.
    pub fn synced(&mut self, step: u64) {
        self.synced = step;
    }

    /// Whether notifications wait for spares at all (there are some).
    pub fn waits_for_spares(&self) -> bool {
        self.synced != u64::MAX
    }

    /// Hands out up to `max` ready actions of `class` whose tag `tags` serves, oldest first
    /// (notifications and event handlers only once the spares know of them).
    pub fn take(&mut self, class: ActionClass, tags: &[String], max: usize, worker: &str, now: Instant) -> Vec<Action> {
        if class == ActionClass::Checks {
            let wall = wall_ms();
            while let Some(std::cmp::Reverse((at, wire))) = self.held.peek().copied() {
                if at > wall {
                    break;
                }
                self.held.pop();
                self.ready[0].push_back(wire);
            }
        }
        let mut out = Vec::new();
        let ready = &mut self.ready[class_index(class)];
        let mut skipped = Vec::new();
        while out.len() < max {
            let Some(id) = ready.pop_front() else { break };
            let Some(entry) = self.entries.get_mut(&id) else {
                continue;
            };
            if entry.handed.is_some() {
                continue;
            }
            if entry.class == ActionClass::Reactions && entry.step > self.synced {
                // Later ones are from later steps: none is synced either.
                skipped.push(id);
                break;
            }
            if !serves(tags, entry.action.tag.as_deref()) {
                skipped.push(id);
                continue;
            }
            let deadline = now + action_timeout(&entry.action) + self.margin;
            entry.handed = Some(Handed {
                worker: worker.to_string(),
                deadline,
            });
            out.push(entry.action.clone());
        }
        // Actions for other tags keep their place at the front.
        for id in skipped.into_iter().rev() {
            ready.push_front(id);
        }
        out
    }

    /// The result for `wire_id` came back: the action is done (whoever had it). `None` for an
    /// id this queue does not hold (already done, or from an engine since replaced).
    pub fn finish(&mut self, wire_id: u64) -> Option<Finished> {
        let e = self.entries.remove(&wire_id)?;
        Some(Finished {
            engine_id: e.engine_id,
            item: e.action.item,
            class: e.class,
            kind: e.action.kind,
            command_line: e.action.command_line,
            worker: e.handed.map(|h| h.worker),
        })
    }

    /// Notifications and event handlers decided and not handed out yet, oldest first (what a
    /// scheduler holding them would have sent).
    pub fn unsent_reactions(&self) -> Vec<&Action> {
        self.ready[class_index(ActionClass::Reactions)]
            .iter()
            .filter_map(|w| self.entries.get(w))
            .filter(|e| e.handed.is_none())
            .map(|e| &e.action)
            .collect()
    }

    /// `worker` asked for actions just now.
    pub fn seen(&mut self, worker: &str, now: Instant) {
        match self.last_seen.get_mut(worker) {
            Some(t) => *t = now,
            None => {
                self.last_seen.insert(worker.to_string(), now);
            }
        }
    }

    /// Hands out again every action whose worker is past its deadline, and every check held by
    /// a poller silent for [`WORKER_SILENCE`] (front of the queue:
    /// they are the most overdue).
    pub fn requeue_expired(&mut self, now: Instant) -> Vec<Requeued> {
        let mut out = Vec::new();
        let silent = |worker: &str| {
            self.last_seen
                .get(worker)
                .is_some_and(|t| now.saturating_duration_since(*t) > WORKER_SILENCE)
        };
        for (id, e) in self.entries.iter_mut() {
            // Notifications only at their timeout: a frozen reactionner may have run one.
            let gone = |h: &Handed| e.class == ActionClass::Checks && silent(&h.worker);
            if e.handed.as_ref().is_some_and(|h| h.deadline <= now || gone(h)) {
                if let Some(h) = e.handed.take() {
                    out.push(Requeued {
                        wire_id: *id,
                        class: e.class,
                        worker: h.worker,
                    });
                }
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.wire_id));
        for r in &out {
            self.ready[class_index(r.class)].push_front(r.wire_id);
        }
        out.reverse();
        out
    }

    /// Actions waiting for a worker, of a class.
    /// Whether `wire_id` was numbered by another engine (another scheduler's, or this
    /// process's before a new assignment).
    pub fn is_foreign(&self, wire_id: u64) -> bool {
        wire_id >> ID_BITS != self.prefix
    }

    /// This queue's check for `item`, handed out or not, taken as answered by a result another
    /// scheduler's check produced (see `results`).
    pub fn adopt(&mut self, item: Item) -> Option<Finished> {
        let wire = self
            .entries
            .iter()
            .find(|(_, e)| e.class == ActionClass::Checks && e.action.item == item)
            .map(|(id, _)| *id)?;
        self.finish(wire)
    }

    /// How long until the next held check may start (`None`: none held).
    pub fn next_held(&self) -> Option<Duration> {
        self.held
            .peek()
            .map(|std::cmp::Reverse((at, _))| Duration::from_millis(at.saturating_sub(wall_ms())))
    }

    pub fn ready_count(&self, class: ActionClass) -> usize {
        self.entries
            .values()
            .filter(|e| e.class == class && e.handed.is_none())
            .count()
    }

    /// Actions with a worker.
    pub fn in_flight(&self) -> usize {
        self.entries.values().filter(|e| e.handed.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use vigia_config::model::{ContactId, ServiceId};
    use vigia_engine::NotificationKind;

    use super::*;

    fn check(id: u64, svc: u32, tag: Option<&str>, timeout: Option<u32>) -> Action {
        Action {
            id,
            item: Item::Service(ServiceId(svc)),
            kind: ActionKind::Check,
            command_line: format!("check {svc}"),
            timeout,
            tag: tag.map(str::to_string),
            due: 0.0,
        }
    }

    fn notification(id: u64) -> Action {
        Action {
            id,
            item: Item::Service(ServiceId(0)),
            kind: ActionKind::Notification {
                contact: ContactId(0),
                kind: NotificationKind::Problem,
                number: 1,
            },
            command_line: "notify".into(),
            timeout: None,
            tag: None,
            due: 0.0,
        }
    }

    fn untagged() -> Vec<String> {
        vec!["None".to_string()]
    }

    #[test]
    fn checks_of_a_silent_poller_are_handed_out_again_notifications_are_not() {
        let mut q = ActionQueue::new(Duration::from_secs(1));
        q.push(check(1, 1, None, Some(60)));
        q.push(notification(2));
        let t0 = Instant::now();
        q.seen("p", t0);
        q.seen("r", t0);
        assert_eq!(q.take(ActionClass::Checks, &untagged(), 10, "p", t0).len(), 1);
        assert_eq!(q.take(ActionClass::Reactions, &untagged(), 10, "r", t0).len(), 1);
        assert!(q.requeue_expired(t0 + WORKER_SILENCE).is_empty(), "not silent yet");
        // The poller asked again: still alive.
        q.seen("p", t0 + WORKER_SILENCE);
        assert!(q.requeue_expired(t0 + WORKER_SILENCE * 2).is_empty());
        let later = t0 + WORKER_SILENCE * 3;
        let again = q.requeue_expired(later);
        assert_eq!(again.iter().map(|r| r.wire_id).collect::<Vec<_>>().len(), 1);
        assert_eq!(
            again[0].class,
            ActionClass::Checks,
            "the notification waits for its timeout"
        );
        assert_eq!(q.take(ActionClass::Checks, &untagged(), 10, "p2", later).len(), 1);
    }

    #[test]
    fn notifications_wait_for_the_spares_to_hold_their_decision() {
        let mut q = ActionQueue::new(Duration::from_secs(1));
        q.synced(4);
        q.stamp(5);
        q.push(notification(1));
        q.stamp(6);
        q.push(notification(2));
        let now = Instant::now();
        assert!(q.take(ActionClass::Reactions, &untagged(), 10, "r", now).is_empty());
        q.synced(5);
        let first = q.take(ActionClass::Reactions, &untagged(), 10, "r", now);
        assert_eq!(first.len(), 1, "the one decided in step 5");
        q.synced(u64::MAX);
        assert_eq!(q.take(ActionClass::Reactions, &untagged(), 10, "r", now).len(), 1);
        assert_eq!(q.unsent_reactions().len(), 0);
    }

    #[test]
    fn actions_are_handed_out_once_by_class_and_tag() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        q.new_engine(7);
        q.push(check(1, 1, None, None));
        q.push(check(2, 2, Some("dmz"), None));
        q.push(check(3, 3, None, None));
        q.push(notification(4));
        let now = Instant::now();
        let got = q.take(ActionClass::Checks, &untagged(), 10, "p1", now);
        assert_eq!(
            got.iter().map(|a| a.command_line.as_str()).collect::<Vec<_>>(),
            ["check 1", "check 3"]
        );
        assert!(
            got.iter().all(|a| a.id >> ID_BITS == 7),
            "wire ids carry the engine prefix"
        );
        assert!(
            q.take(ActionClass::Checks, &untagged(), 10, "p2", now).is_empty(),
            "handed out once"
        );
        let dmz = q.take(ActionClass::Checks, &["dmz".to_string()], 10, "p3", now);
        assert_eq!(dmz.len(), 1);
        let reactions = q.take(ActionClass::Reactions, &untagged(), 10, "r1", now);
        assert_eq!(reactions.len(), 1);
        assert_eq!(q.in_flight(), 4);
        // A result finishes the action, once; the engine id comes back.
        let done = q.finish(got[0].id).expect("in flight");
        assert_eq!(
            (done.engine_id, done.class, done.worker.as_deref()),
            (1, ActionClass::Checks, Some("p1"))
        );
        assert!(q.finish(got[0].id).is_none(), "a second result for it is ignored");
    }

    #[test]
    fn checks_of_one_second_are_spread_over_it() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        let next_second = (wall_ms() / 1000 + 2) as f64;
        for i in 0..100 {
            let mut a = check(i + 1, i as u32, None, None);
            a.due = next_second;
            q.push(a);
        }
        // Nothing before its moment; each check's moment within its second, and spread.
        assert!(q
            .take(ActionClass::Checks, &untagged(), 100, "p", Instant::now())
            .is_empty());
        let wait = q.next_held().expect("held");
        assert!(
            wait > Duration::from_millis(900) && wait < Duration::from_millis(3000),
            "{wait:?}"
        );
        let moments: Vec<f64> = q.entries.values().map(|e| e.action.due - next_second).collect();
        assert!(moments.iter().all(|m| (0.0..1.0).contains(m)));
        let first_half = moments.iter().filter(|m| **m < 0.5).count();
        assert!((40..=60).contains(&first_half), "{first_half} of 100 in the first half");
        // A check already late goes at once.
        let mut late = check(500, 500, None, None);
        late.due = 1.0;
        q.push(late);
        assert_eq!(
            q.take(ActionClass::Checks, &untagged(), 100, "p", Instant::now()).len(),
            1
        );
    }

    #[test]
    fn a_result_of_another_schedulers_check_answers_this_ones() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        q.new_engine(7);
        q.push(check(3, 1, None, None));
        let ours = (7 << ID_BITS) | 3;
        assert!(!q.is_foreign(ours));
        let theirs = (9 << ID_BITS) | 3;
        assert!(q.is_foreign(theirs));
        let done = q.adopt(Item::Service(ServiceId(1))).expect("our check of the item");
        assert_eq!(done.engine_id, 3);
        assert!(q.adopt(Item::Service(ServiceId(1))).is_none(), "one result per check");
        assert!(q.finish(ours).is_none(), "our own result for it comes too late");
    }

    #[test]
    fn max_limits_a_batch_and_keeps_the_order() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        for i in 1..=5 {
            q.push(check(i, i as u32, None, None));
        }
        let now = Instant::now();
        let a = q.take(ActionClass::Checks, &untagged(), 2, "p", now);
        let b = q.take(ActionClass::Checks, &untagged(), 10, "p", now);
        let names = |v: &[Action]| v.iter().map(|a| a.command_line.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), ["check 1", "check 2"]);
        assert_eq!(names(&b), ["check 3", "check 4", "check 5"]);
    }

    #[test]
    fn unreturned_actions_are_requeued_after_timeout_plus_margin() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        q.push(check(1, 1, None, Some(10)));
        q.push(check(2, 2, None, None));
        let t0 = Instant::now();
        let handed = q.take(ActionClass::Checks, &untagged(), 10, "dead-poller", t0);
        assert_eq!(handed.len(), 2);
        assert!(
            q.requeue_expired(t0 + Duration::from_secs(14)).is_empty(),
            "not before timeout + margin"
        );
        let back = q.requeue_expired(t0 + Duration::from_secs(15));
        assert_eq!(back.len(), 1, "10 s timeout + 5 s margin");
        assert_eq!(
            (back[0].wire_id, back[0].worker.as_str()),
            (handed[0].id, "dead-poller")
        );
        // Another worker gets it, with the same id: whichever result comes first counts.
        let again = q.take(
            ActionClass::Checks,
            &untagged(),
            10,
            "live-poller",
            t0 + Duration::from_secs(15),
        );
        assert_eq!(again.iter().map(|a| a.id).collect::<Vec<_>>(), [handed[0].id]);
        // A late result from the first worker finishes it; the second worker's is then ignored.
        assert!(q.finish(handed[0].id).is_some());
        assert!(q.finish(handed[0].id).is_none());
        // The default check timeout applies to the second one.
        assert!(q
            .requeue_expired(t0 + DEFAULT_CHECK_TIMEOUT + Duration::from_secs(4))
            .is_empty());
        assert_eq!(
            q.requeue_expired(t0 + DEFAULT_CHECK_TIMEOUT + Duration::from_secs(5))
                .len(),
            1
        );
        assert_eq!(q.ready_count(ActionClass::Checks), 1);
    }

    #[test]
    fn a_new_engine_forgets_checks_but_keeps_reactions() {
        let mut q = ActionQueue::new(Duration::from_secs(5));
        q.new_engine(1);
        q.push(check(1, 1, None, None));
        q.push(check(2, 2, None, None));
        q.push(notification(3));
        let handed = q.take(ActionClass::Checks, &untagged(), 1, "p", Instant::now());
        q.new_engine(2);
        assert!(
            q.finish(handed[0].id).is_none(),
            "old engine's check results are ignored"
        );
        assert_eq!(q.ready_count(ActionClass::Checks), 0);
        q.push(check(1, 1, None, None));
        let fresh = q.take(ActionClass::Checks, &untagged(), 10, "p", Instant::now());
        assert_eq!(fresh.len(), 1);
        assert_ne!(fresh[0].id, handed[0].id, "same engine id, different wire id");
        assert_eq!(
            q.take(ActionClass::Reactions, &untagged(), 10, "r", Instant::now())
                .len(),
            1
        );
    }

    #[test]
    fn tags_and_timeouts() {
        assert!(serves(&untagged(), None));
        assert!(serves(&untagged(), Some("None")));
        assert!(!serves(&untagged(), Some("dmz")));
        assert!(serves(&[], None));
        assert!(serves(&["None".into(), "dmz".into()], Some("dmz")));
        assert_eq!(action_timeout(&check(1, 1, None, Some(7))), Duration::from_secs(7));
        assert_eq!(action_timeout(&check(1, 1, None, Some(0))), DEFAULT_CHECK_TIMEOUT);
        assert_eq!(action_timeout(&notification(1)), DEFAULT_REACTION_TIMEOUT);
    }
}
