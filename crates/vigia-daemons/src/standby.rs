//! Scheduler high availability: the state stream from the active scheduler of a part to the
//! waiting spares of its realm, so that a spare takes over with every state, attempt,
//! acknowledgement, downtime, comment, notification number and next check time.
//!
//! The stream is the engine's retention document ([`Retention`]) followed by its changes
//! ([`RetentionChange`]), numbered per spare. A spare keeps, per home scheduler, the last
//! snapshot and the changes after it; the active scheduler sends a fresh snapshot whenever the
//! numbering breaks (spare restarted, a step was lost) and every [`SNAPSHOT_EVERY`], so the kept
//! list stays short. At take-over the spare replays the changes on the snapshot in a mirror
//! engine ([`merged`]) and starts its running engine from the result.
//!
//! A spare folds what it keeps ([`ChangeLog`]): an item's newer status replaces the older one,
//! so its copy stays the size of the part however long the stream runs between snapshots.
//!
//! Unlike Alignak, whose spare started from the master's last retention save (hourly, and not
//! found at all when the spare had another name: architecture notes §5.1.8), nothing the active
//! scheduler accepted is missing: after each step the scheduler publishes the command marks the
//! step carried, and a receiver removes a command from its disk queue only once they cover it
//! (what the master applied and its spares never got is delivered again to the spare).
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigia_config::model::{Config, HostId};
use vigia_engine::retention::{ChangeLog, Retention};
use vigia_engine::{Engine, RetentionChange};
use vigia_proto::{paths, StandbyAck, StandbyLink, StandbySync, STANDBY_CONTENT_TYPE};

use crate::link::{Link, LinkError};

/// A fresh snapshot at least this often, so a spare's change list stays short.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(30);
/// How often the active scheduler sends what changed.
pub const SYNC_EVERY: Duration = Duration::from_millis(200);
/// A spare slower than this is skipped for this step (and gets a snapshot next time): a slow
/// spare must not stall monitoring.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(2);
/// A spare that failed is left alone this long (a dead spare must not cost every command a
/// timeout); it gets a snapshot when it answers again.
pub const RETRY_AFTER: Duration = Duration::from_secs(3);

/// What a spare holds for one home scheduler.
#[derive(Clone, Debug)]
pub struct StandbyCopy {
    pub source: String,
    pub source_running_id: String,
    pub part_hash: String,
    pub generation: u64,
    pub seq: u64,
    pub snapshot: Retention,
    pub changes: ChangeLog,
}

/// The spare's side: copies by home scheduler name.
#[derive(Default)]
pub struct StandbyStore {
    copies: std::sync::Mutex<HashMap<String, StandbyCopy>>,
}

impl StandbyStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StandbyCopy>> {
        self.copies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies one step of a stream; a step that does not follow the last one is refused
    /// (the sender then sends a snapshot).
    pub fn apply(&self, sync: StandbySync) -> StandbyAck {
        let mut copies = self.lock();
        if let Some(snapshot) = sync.snapshot {
            copies.insert(
                sync.home.clone(),
                StandbyCopy {
                    source: sync.source,
                    source_running_id: sync.source_running_id,
                    part_hash: sync.part_hash,
                    generation: sync.generation,
                    seq: sync.seq,
                    snapshot: *snapshot,
                    changes: sync.changes.into_iter().collect(),
                },
            );
            return StandbyAck {
                seq: sync.seq,
                need_snapshot: false,
            };
        }
        match copies.get_mut(&sync.home) {
            Some(copy)
                if copy.source_running_id == sync.source_running_id
                    && copy.part_hash == sync.part_hash
                    && copy.seq + 1 == sync.seq =>
            {
                copy.seq = sync.seq;
                copy.generation = sync.generation;
                copy.changes.extend(sync.changes);
                StandbyAck {
                    seq: sync.seq,
                    need_snapshot: false,
                }
            }
            Some(copy) => StandbyAck {
                seq: copy.seq,
                need_snapshot: true,
            },
            None => StandbyAck {
                seq: 0,
                need_snapshot: true,
            },
        }
    }

    /// The copy kept for `home`, if any.
    pub fn get(&self, home: &str) -> Option<StandbyCopy> {
        self.lock().get(home).cloned()
    }

    /// Forgets `home`'s copy (the spare now runs it: its own engine is the state).
    pub fn forget(&self, home: &str) {
        self.lock().remove(home);
    }

    /// Home schedulers with a copy, and how many changes each holds (for status).
    pub fn summary(&self) -> Vec<(String, u64, usize)> {
        let mut v: Vec<_> = self
            .lock()
            .iter()
            .map(|(h, c)| (h.clone(), c.seq, c.changes.len()))
            .collect();
        v.sort();
        v
    }
}

/// Replays a copy's changes on its snapshot in a mirror engine (same configuration and part)
/// and returns the resulting document: what a running engine restores to take over.
pub fn merged(config: Arc<Config>, hosts: &[HostId], copy: StandbyCopy, now: i64) -> Result<Retention, String> {
    if copy.changes.is_empty() {
        return Ok(copy.snapshot);
    }
    let mut mirror = Engine::new(config, Some(hosts), now, jiff::tz::TimeZone::system(), 0);
    mirror.set_retention_tracking(false);
    mirror.restore(copy.snapshot)?;
    mirror.apply_retention_changes(copy.changes.into_changes())?;
    Ok(mirror.snapshot())
}

/// A [`StandbySync`] by reference: the same encoding, with no copy of the changes (or of the
/// snapshot) per spare: a step after a batch of 10,000 passive results holds 10,000 statuses.
#[derive(serde::Serialize)]
struct StandbySyncRef<'a> {
    home: &'a str,
    source: &'a str,
    source_running_id: &'a str,
    generation: u64,
    part_hash: &'a str,
    seq: u64,
    snapshot: Option<&'a Retention>,
    changes: &'a [RetentionChange],
}

/// One spare as the active scheduler sees it.
struct Follower {
    link: Link,
    name: String,
    seq: u64,
    need_snapshot: bool,
    failed_at: Option<Instant>,
}

/// The active side: the spares to keep in sync and where each one is in the stream.
#[derive(Default)]
pub struct Standbys {
    followers: Vec<Follower>,
    last_snapshot: Option<Instant>,
}

/// What the running engine gives for one step.
pub struct Step {
    pub home: String,
    pub source: String,
    pub source_running_id: String,
    pub generation: u64,
    pub part_hash: String,
    pub changes: Vec<RetentionChange>,
    /// Taken only when some spare needs one (see [`Standbys::wants_snapshot`]).
    pub snapshot: Option<Retention>,
}

impl Standbys {
    /// Follows exactly `links` (kept spares keep their place in the stream).
    pub fn set(&mut self, links: &[StandbyLink], secret: Option<String>) {
        let mut old: HashMap<String, Follower> = self.followers.drain(..).map(|f| (f.link.base.clone(), f)).collect();
        for l in links {
            let f = old.remove(&l.url).unwrap_or_else(|| Follower {
                link: Link::new(l.url.clone(), secret.clone()),
                name: l.name.clone(),
                seq: 0,
                need_snapshot: true,
                failed_at: None,
            });
            self.followers.push(f);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.followers.is_empty()
    }

    /// A new engine runs: every spare starts again from a snapshot.
    pub fn restart(&mut self) {
        for f in &mut self.followers {
            f.need_snapshot = true;
        }
    }

    pub fn wants_snapshot(&self) -> bool {
        self.followers
            .iter()
            .any(|f| f.need_snapshot && f.failed_at.is_none_or(|t| t.elapsed() >= RETRY_AFTER))
            || self.last_snapshot.is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY)
    }

    /// Sends one step to every spare at once. True when every spare has it.
    pub async fn sync(&mut self, step: Step) -> bool {
        let full = step.snapshot.is_some();
        if full {
            self.last_snapshot = Some(Instant::now());
        }
        // Shared by the sends: each one serialises it as it goes.
        let step = Arc::new(step);
        let mut sends = Vec::new();
        for f in &mut self.followers {
            if f.failed_at.is_some_and(|t| t.elapsed() < RETRY_AFTER) {
                // Changes it misses now come with the snapshot it gets when it is back.
                f.need_snapshot = true;
                sends.push(None);
                continue;
            }
            let seq = match (full, f.need_snapshot) {
                // A snapshot (it holds the changes too): the stream starts again.
                (true, _) => 1,
                (false, false) => f.seq + 1,
                // Needs a snapshot but none was taken: skip until the next step.
                (false, true) => {
                    sends.push(None);
                    continue;
                }
            };
            let link = f.link.clone();
            let step = Arc::clone(&step);
            sends.push(Some((
                seq,
                tokio::spawn(async move {
                    let body = StandbySyncRef {
                        home: &step.home,
                        source: &step.source,
                        source_running_id: &step.source_running_id,
                        generation: step.generation,
                        part_hash: &step.part_hash,
                        seq,
                        snapshot: step.snapshot.as_ref(),
                        changes: if full { &[] } else { &step.changes },
                    };
                    let bytes = postcard::to_allocvec(&body).map_err(|e| LinkError::Protocol {
                        url: link.base.clone(),
                        detail: format!("encoding a state-stream step: {e}"),
                    })?;
                    link.post_encoded::<StandbyAck>(paths::STANDBY, STANDBY_CONTENT_TYPE, bytes, SYNC_TIMEOUT)
                        .await
                }),
            )));
        }
        let mut all = true;
        for (f, send) in self.followers.iter_mut().zip(sends) {
            let Some((seq, handle)) = send else {
                all = false;
                continue;
            };
            match handle.await {
                Ok(Ok(ack)) if !ack.need_snapshot && ack.seq == seq => {
                    f.seq = seq;
                    f.need_snapshot = false;
                    f.failed_at = None;
                }
                Ok(Ok(_)) => {
                    f.need_snapshot = true;
                    all = false;
                }
                Ok(Err(e)) => {
                    if !f.need_snapshot {
                        tracing::warn!("standby {} did not take the state stream: {e}", f.name);
                    }
                    f.need_snapshot = true;
                    f.failed_at = Some(Instant::now());
                    all = false;
                }
                Err(_) => {
                    f.need_snapshot = true;
                    all = false;
                }
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Retention {
        Retention {
            version: vigia_engine::retention::RETENTION_VERSION,
            taken_at: 0,
            hosts: Vec::new(),
            services: Vec::new(),
            comments: Vec::new(),
            downtimes: Vec::new(),
            next_comment_id: 1,
            next_downtime_id: 1,
            overrides: Vec::new(),
            globals: None,
            command_marks: Vec::new(),
        }
    }

    fn step(seq: u64, snapshot: bool, run: &str) -> StandbySync {
        StandbySync {
            home: "s1".into(),
            source: "s1".into(),
            source_running_id: run.into(),
            generation: 3,
            part_hash: "p".into(),
            seq,
            snapshot: snapshot.then(|| Box::new(empty())),
            changes: vec![RetentionChange::Clock { now: seq as i64 }],
        }
    }

    #[test]
    fn a_step_by_reference_is_the_same_step() {
        for snapshot in [false, true] {
            let owned = step(7, snapshot, "a");
            let by_ref = StandbySyncRef {
                home: &owned.home,
                source: &owned.source,
                source_running_id: &owned.source_running_id,
                generation: owned.generation,
                part_hash: &owned.part_hash,
                seq: owned.seq,
                snapshot: owned.snapshot.as_deref(),
                changes: &owned.changes,
            };
            let bytes = postcard::to_allocvec(&by_ref).expect("encode");
            assert_eq!(bytes, owned.encode().expect("encode"));
            let back = StandbySync::decode(&bytes).expect("decode");
            assert_eq!(back.changes, owned.changes);
            assert_eq!(back.snapshot, owned.snapshot);
            assert_eq!((back.home, back.seq), (owned.home, owned.seq));
            // Not a step: refused, not misread.
            assert!(StandbySync::decode(b"{\"home\": \"s1\"}").is_err());
            assert!(StandbySync::decode(&bytes[..bytes.len() / 2]).is_err());
        }
    }

    #[test]
    fn a_stream_starts_with_a_snapshot_and_follows_in_order() {
        let store = StandbyStore::default();
        assert_eq!(
            store.apply(step(1, false, "a")),
            StandbyAck {
                seq: 0,
                need_snapshot: true
            }
        );
        assert_eq!(
            store.apply(step(1, true, "a")),
            StandbyAck {
                seq: 1,
                need_snapshot: false
            }
        );
        assert_eq!(
            store.apply(step(2, false, "a")),
            StandbyAck {
                seq: 2,
                need_snapshot: false
            }
        );
        // A gap, or another running id: a snapshot is needed, nothing is applied.
        assert!(store.apply(step(4, false, "a")).need_snapshot);
        assert!(store.apply(step(3, false, "b")).need_snapshot);
        let copy = store.get("s1").expect("copy");
        // The clock of step 2 replaced the one of step 1.
        assert_eq!((copy.seq, copy.changes.len()), (2, 1));
        // A snapshot replaces the list.
        store.apply(step(1, true, "b"));
        assert_eq!(store.get("s1").map(|c| c.changes.len()), Some(1));
    }
}
