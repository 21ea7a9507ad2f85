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

use vigia_config::model::Config;
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
/// The same for a step carrying a snapshot: the spare builds its live copy of the whole part
/// before it answers (about 2 s at 250,000 services here); cut short, it would build it again
/// and again.
pub const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(20);
/// A spare that failed is left alone this long (a dead spare must not cost every command a
/// timeout); it gets a snapshot when it answers again.
pub const RETRY_AFTER: Duration = Duration::from_secs(3);

/// What a spare holds for one home scheduler.
pub struct StandbyCopy {
    pub source: String,
    pub source_running_id: String,
    pub part_hash: String,
    pub generation: u64,
    pub seq: u64,
    pub held: Held,
}

/// The state itself: a live engine when the spare holds the part's image (each step applied
/// as it comes, so a take-over costs one snapshot of it, whatever the stream's history), else
/// the last snapshot and the folded changes after it (replayed at take-over, [`merged`]).
pub enum Held {
    Live {
        image: String,
        engine: Box<Engine>,
    },
    Log {
        snapshot: Box<Retention>,
        changes: ChangeLog,
    },
}

impl Held {
    /// A live engine of the part image `image`.
    fn is_live_on(&self, image: &str) -> bool {
        matches!(self, Held::Live { image: i, .. } if i == image)
    }

    /// Changes kept to replay at take-over (none for a live copy).
    fn pending(&self) -> usize {
        match self {
            Held::Live { .. } => 0,
            Held::Log { changes, .. } => changes.len(),
        }
    }
}

/// A mirror of the part's engine: states are written as they come, nothing is scheduled.
fn live(
    config: Arc<Config>,
    image: String,
    snapshot: Retention,
    changes: Vec<RetentionChange>,
) -> Result<Held, String> {
    let mut engine = Engine::new(config, None, snapshot.taken_at, jiff::tz::TimeZone::system(), 0);
    engine.set_retention_tracking(false);
    engine.restore(snapshot)?;
    engine.apply_retention_changes(changes)?;
    Ok(Held::Live {
        image,
        engine: Box::new(engine),
    })
}

/// Where a kept copy comes from (see [`StandbyStore::keep`]).
pub struct StandbyOrigin {
    pub name: String,
    pub running_id: String,
    pub part_hash: String,
    pub generation: u64,
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
    /// (the sender then sends a snapshot). `part` is the part image's configuration when this
    /// spare holds it: a snapshot then starts a live copy (and a log asks for one). CPU work
    /// on a large part: call it off the async threads.
    pub fn apply(&self, sync: StandbySync, part: Option<Arc<Config>>) -> StandbyAck {
        if let Some(snapshot) = sync.snapshot {
            // A document a live engine cannot take (another retention version) is kept as a
            // log: the take-over reports why it cannot be replayed.
            let held = match part {
                Some(config) if snapshot.version == vigia_engine::retention::RETENTION_VERSION => {
                    match live(config, sync.image.clone(), *snapshot, sync.changes) {
                        Ok(held) => held,
                        Err(e) => {
                            tracing::warn!("standby copy of {}: {e}; asking for a snapshot", sync.home);
                            self.lock().remove(&sync.home);
                            return StandbyAck {
                                seq: 0,
                                need_snapshot: true,
                                live: false,
                            };
                        }
                    }
                }
                _ => Held::Log {
                    snapshot,
                    changes: sync.changes.into_iter().collect(),
                },
            };
            let live = matches!(held, Held::Live { .. });
            self.lock().insert(
                sync.home.clone(),
                StandbyCopy {
                    source: sync.source,
                    source_running_id: sync.source_running_id,
                    part_hash: sync.part_hash,
                    generation: sync.generation,
                    seq: sync.seq,
                    held,
                },
            );
            return StandbyAck {
                seq: sync.seq,
                need_snapshot: false,
                live,
            };
        }
        let mut copies = self.lock();
        match copies.get_mut(&sync.home) {
            Some(copy)
                if copy.source_running_id == sync.source_running_id
                    && copy.part_hash == sync.part_hash
                    && copy.seq + 1 == sync.seq =>
            {
                match &mut copy.held {
                    Held::Live { engine, .. } => {
                        if let Err(e) = engine.apply_retention_changes(sync.changes) {
                            // Not followed: the next step brings a snapshot.
                            tracing::warn!("standby copy of {}: {e}", sync.home);
                            copies.remove(&sync.home);
                            return StandbyAck {
                                seq: 0,
                                need_snapshot: true,
                                live: false,
                            };
                        }
                    }
                    Held::Log { snapshot, .. }
                        if part.is_some() && snapshot.version == vigia_engine::retention::RETENTION_VERSION =>
                    {
                        // The part's image arrived after the snapshot: a fresh snapshot starts
                        // a live copy (a take-over then needs no replay).
                        copies.remove(&sync.home);
                        return StandbyAck {
                            seq: 0,
                            need_snapshot: true,
                            live: false,
                        };
                    }
                    Held::Log { changes, .. } => changes.extend(sync.changes),
                }
                copy.seq = sync.seq;
                copy.generation = sync.generation;
                StandbyAck {
                    seq: sync.seq,
                    need_snapshot: false,
                    live: matches!(copy.held, Held::Live { .. }),
                }
            }
            Some(copy) => StandbyAck {
                seq: copy.seq,
                need_snapshot: true,
                live: false,
            },
            None => StandbyAck {
                seq: 0,
                need_snapshot: true,
                live: false,
            },
        }
    }

    /// The state to take `home`'s part over with, and where it comes from: a live copy of the
    /// same image gives its snapshot; a log is replayed on its snapshot in a mirror engine of
    /// `config`. The copy stays until [`StandbyStore::forget`] (a failed take-over can retry).
    pub fn take_over_state(&self, home: &str, config: &Arc<Config>) -> Option<(Result<Retention, String>, String)> {
        let copies = self.lock();
        let copy = copies.get(home)?;
        let from = format!("the state streamed by {} (step {})", copy.source, copy.seq);
        let state = match &copy.held {
            // Keyed by names: valid for whatever image the take-over runs.
            Held::Live { engine, .. } => Ok(engine.snapshot()),
            Held::Log { snapshot, changes } => {
                let (snapshot, changes) = ((**snapshot).clone(), changes.clone());
                drop(copies);
                return Some((merged(config.clone(), snapshot, changes), from));
            }
        };
        Some((state, from))
    }

    /// Takes the live copy of `home` out when it runs `image`: the take-over resumes that very
    /// engine ([`Engine::resume`]), with where its state comes from.
    pub fn take_live(&self, home: &str, image: &str) -> Option<(Engine, String)> {
        let mut copies = self.lock();
        if !copies.get(home).is_some_and(|c| c.held.is_live_on(image)) {
            return None;
        }
        let copy = copies.remove(home)?;
        let from = format!(
            "the live copy of the state streamed by {} (step {})",
            copy.source, copy.seq
        );
        match copy.held {
            Held::Live { engine, .. } => Some((*engine, from)),
            Held::Log { .. } => None,
        }
    }

    /// Whether the copy of `home` is live on `image` (take-over at the cost of a snapshot).
    pub fn is_live(&self, home: &str, image: &str) -> bool {
        self.lock().get(home).is_some_and(|c| c.held.is_live_on(image))
    }

    /// Home schedulers of which a live copy is held (what the identity reports).
    pub fn live_homes(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .lock()
            .iter()
            .filter(|(_, c)| matches!(c.held, Held::Live { .. }))
            .map(|(h, _)| h.clone())
            .collect();
        v.sort();
        v
    }

    /// Whether a copy of `home` is held, live or not.
    pub fn has(&self, home: &str) -> bool {
        self.lock().contains_key(home)
    }

    /// Keeps a released engine as the copy of `home`: a spare that gave a part back by the
    /// stream holds the final state until the master runs it (if the master restarts before,
    /// the part comes back here with nothing lost). The next stream from the part's runner
    /// replaces it with a snapshot.
    pub fn keep(&self, home: &str, source: StandbyOrigin, image: String, mut engine: Engine) {
        engine.set_retention_tracking(false);
        self.lock().insert(
            home.to_string(),
            StandbyCopy {
                source: source.name,
                source_running_id: source.running_id,
                part_hash: source.part_hash,
                generation: source.generation,
                seq: 0,
                held: Held::Live {
                    image,
                    engine: Box::new(engine),
                },
            },
        );
    }

    /// Part images the live copies run (kept by the part store).
    pub fn images(&self) -> Vec<String> {
        self.lock()
            .values()
            .filter_map(|c| match &c.held {
                Held::Live { image, .. } => Some(image.clone()),
                Held::Log { .. } => None,
            })
            .collect()
    }

    /// Forgets `home`'s copy (the spare now runs it: its own engine is the state).
    pub fn forget(&self, home: &str) {
        self.lock().remove(home);
    }

    /// Home schedulers with a copy, and how many changes each holds to replay (for status).
    pub fn summary(&self) -> Vec<(String, u64, usize)> {
        let mut v: Vec<_> = self
            .lock()
            .iter()
            .map(|(h, c)| (h.clone(), c.seq, c.held.pending()))
            .collect();
        v.sort();
        v
    }
}

/// Replays changes on a snapshot in a mirror engine of the part and returns the resulting
/// document: what a running engine restores to take over.
pub fn merged(config: Arc<Config>, snapshot: Retention, changes: ChangeLog) -> Result<Retention, String> {
    if changes.is_empty() {
        return Ok(snapshot);
    }
    let mut mirror = Engine::new(config, None, snapshot.taken_at, jiff::tz::TimeZone::system(), 0);
    mirror.set_retention_tracking(false);
    mirror.restore(snapshot)?;
    mirror.apply_retention_changes(changes.into_changes())?;
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
    image: &'a str,
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
    /// It keeps a live engine: it needs no periodic snapshot.
    live: bool,
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
    pub image: String,
    pub changes: Vec<RetentionChange>,
    /// Taken only when some spare needs one (see [`Standbys::wants_snapshot`]).
    pub snapshot: Option<Retention>,
}

impl Standbys {
    /// Follows exactly `links` (kept spares keep their place in the stream).
    pub fn set(&mut self, links: &[StandbyLink], secret: crate::secret::Secrets) {
        let mut old: HashMap<String, Follower> = self.followers.drain(..).map(|f| (f.link.base.clone(), f)).collect();
        for l in links {
            let f = old.remove(&l.url).unwrap_or_else(|| Follower {
                link: Link::new(l.url.clone(), secret.clone()),
                name: l.name.clone(),
                seq: 0,
                need_snapshot: true,
                failed_at: None,
                live: false,
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

    /// Whether the spare `name` took the last step sent (call right after [`Standbys::sync`]).
    pub fn took_last(&self, name: &str) -> bool {
        self.followers
            .iter()
            .any(|f| f.name == name && !f.need_snapshot && f.failed_at.is_none())
    }

    pub fn wants_snapshot(&self) -> bool {
        self.followers
            .iter()
            .any(|f| f.need_snapshot && f.failed_at.is_none_or(|t| t.elapsed() >= RETRY_AFTER))
            || (self.followers.iter().any(|f| !f.live)
                && self.last_snapshot.is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY))
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
                        image: &step.image,
                        seq,
                        snapshot: step.snapshot.as_ref(),
                        changes: if full { &[] } else { &step.changes },
                    };
                    let bytes = postcard::to_allocvec(&body).map_err(|e| LinkError::Protocol {
                        url: link.base.clone(),
                        detail: format!("encoding a state-stream step: {e}"),
                    })?;
                    let patience = if full { SNAPSHOT_TIMEOUT } else { SYNC_TIMEOUT };
                    link.post_encoded::<StandbyAck>(paths::STANDBY, STANDBY_CONTENT_TYPE, bytes, patience)
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
                    f.live = ack.live;
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
            image: "img".into(),
            seq,
            snapshot: snapshot.then(|| Box::new(empty())),
            changes: vec![RetentionChange::Clock { now: seq as i64 }],
        }
    }

    fn ack(seq: u64, need_snapshot: bool, live: bool) -> StandbyAck {
        StandbyAck {
            seq,
            need_snapshot,
            live,
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
                image: &owned.image,
                seq: owned.seq,
                snapshot: owned.snapshot.as_deref(),
                changes: &owned.changes,
            };
            let bytes = postcard::to_allocvec(&by_ref).expect("encode");
            assert_eq!(bytes, owned.encode().expect("encode"));
            let back = StandbySync::decode(&bytes).expect("decode");
            assert_eq!(back.changes, owned.changes);
            assert_eq!(back.snapshot, owned.snapshot);
            assert_eq!((back.home, back.seq, back.image), (owned.home, owned.seq, owned.image));
            // Not a step: refused, not misread.
            assert!(StandbySync::decode(b"{\"home\": \"s1\"}").is_err());
            assert!(StandbySync::decode(&bytes[..bytes.len() / 2]).is_err());
        }
    }

    #[test]
    fn a_stream_starts_with_a_snapshot_and_follows_in_order() {
        let store = StandbyStore::default();
        assert_eq!(store.apply(step(1, false, "a"), None), ack(0, true, false));
        assert_eq!(store.apply(step(1, true, "a"), None), ack(1, false, false));
        assert_eq!(store.apply(step(2, false, "a"), None), ack(2, false, false));
        // A gap, or another running id: a snapshot is needed, nothing is applied.
        assert!(store.apply(step(4, false, "a"), None).need_snapshot);
        assert!(store.apply(step(3, false, "b"), None).need_snapshot);
        // The clock of step 2 replaced the one of step 1.
        assert_eq!(store.summary(), vec![("s1".to_string(), 2, 1)]);
        // A snapshot replaces the list.
        store.apply(step(1, true, "b"), None);
        assert_eq!(store.summary(), vec![("s1".to_string(), 1, 1)]);
    }

    /// A part of three hosts with a service each, as a scheduler gets it.
    fn part() -> Arc<Config> {
        let dir = tempfile::tempdir().expect("tempdir");
        let main = dir.path().join("main.cfg");
        let mut text = String::from(
            "define command {\n command_name c\n command_line /bin/true\n}\n\
             define scheduler {\n scheduler_name s1\n}\ndefine poller {\n poller_name p\n}\n",
        );
        for h in 0..3 {
            text += &format!(
                "define host {{\n host_name h{h}\n check_command c\n max_check_attempts 2\n}}\n\
                 define service {{\n host_name h{h}\n service_description svc\n check_command c\n max_check_attempts 2\n passive_checks_enabled 1\n}}\n"
            );
        }
        std::fs::write(&main, text).expect("write");
        let config = vigia_config::load(&main).expect("valid");
        Arc::new(vigia_config::part::part_config(&config, &config.parts[0]))
    }

    #[test]
    fn a_spare_holding_the_image_follows_with_a_live_engine() {
        let config = part();
        let mut source = Engine::new(config.clone(), None, 1_000, jiff::tz::TimeZone::UTC, 1);
        let first = StandbySync {
            snapshot: Some(Box::new(source.snapshot())),
            changes: source.drain_retention_changes(),
            ..step(1, true, "a")
        };
        let store = StandbyStore::default();
        assert_eq!(store.apply(first, Some(config.clone())), ack(1, false, true));
        assert!(store.is_live("s1", "img"));
        assert_eq!(store.images(), vec!["img".to_string()]);
        // Operator actions and results on the active side, streamed step by step.
        for (seq, line) in [
            (2, "[1000] PROCESS_SERVICE_CHECK_RESULT;h1;svc;2;down"),
            (3, "[1000] ACKNOWLEDGE_SVC_PROBLEM;h1;svc;2;1;1;admin;looking"),
            (4, "[1000] ADD_HOST_COMMENT;h2;1;admin;a comment"),
            (5, "[1000] SCHEDULE_HOST_DOWNTIME;h0;1000;90000;1;0;0;admin;works"),
        ] {
            source.command(line).expect("command applies");
            source.advance(1_001);
            let s = StandbySync {
                changes: source.drain_retention_changes(),
                ..step(seq, false, "a")
            };
            assert_eq!(store.apply(s, Some(config.clone())), ack(seq, false, true));
        }
        assert_eq!(
            store.summary(),
            vec![("s1".to_string(), 5, 0)],
            "nothing left to replay"
        );
        let (state, from) = store.take_over_state("s1", &config).expect("a copy");
        let state = state.expect("a state");
        assert!(from.contains("step 5"), "{from}");
        let want = source.snapshot();
        assert_eq!(state.services, want.services);
        assert_eq!(state.hosts, want.hosts);
        assert_eq!(state.comments.len(), want.comments.len());
        assert_eq!(state.downtimes, want.downtimes);
        for text in ["looking", "a comment"] {
            assert!(
                state.comments.iter().any(|(_, c)| c.text == text),
                "comment '{text}' kept: {:?}",
                state.comments
            );
        }
        assert_eq!(state.downtimes.len(), 1, "the downtime kept");
        // Without the image, the same stream is kept as a log and replays to the same state.
        let log = StandbyStore::default();
        let mut again = Engine::new(config.clone(), None, 1_000, jiff::tz::TimeZone::UTC, 1);
        let first = StandbySync {
            snapshot: Some(Box::new(again.snapshot())),
            changes: again.drain_retention_changes(),
            ..step(1, true, "a")
        };
        assert_eq!(log.apply(first, None), ack(1, false, false));
        again
            .command("[1000] PROCESS_SERVICE_CHECK_RESULT;h1;svc;2;down")
            .expect("applies");
        again.advance(1_001);
        let s = StandbySync {
            changes: again.drain_retention_changes(),
            ..step(2, false, "a")
        };
        log.apply(s, None);
        let (state, _) = log.take_over_state("s1", &config).expect("a copy");
        assert_eq!(state.expect("a state").services, again.snapshot().services);
        // The image arrives: the next step asks for a snapshot, which starts a live copy.
        let s = StandbySync {
            changes: again.drain_retention_changes(),
            ..step(3, false, "a")
        };
        assert_eq!(log.apply(s, Some(config.clone())), ack(0, true, false));
        assert!(log.live_homes().is_empty());
        let fresh = StandbySync {
            snapshot: Some(Box::new(again.snapshot())),
            changes: again.drain_retention_changes(),
            ..step(1, true, "a")
        };
        assert_eq!(log.apply(fresh, Some(config.clone())), ack(1, false, true));
        assert_eq!(log.live_homes(), vec!["s1".to_string()]);
    }

    #[test]
    fn a_kept_engine_is_a_live_copy_of_its_final_state() {
        let config = part();
        let mut engine = Engine::new(config.clone(), None, 1_000, jiff::tz::TimeZone::UTC, 1);
        engine
            .command("[1000] ADD_HOST_COMMENT;h1;1;admin;kept")
            .expect("applies");
        let want = engine.snapshot();
        let store = StandbyStore::default();
        assert!(!store.has("s1"));
        let origin = StandbyOrigin {
            name: "spare".into(),
            running_id: "r".into(),
            part_hash: "p".into(),
            generation: 4,
        };
        store.keep("s1", origin, "img".into(), engine);
        assert!(store.has("s1"));
        assert_eq!(store.live_homes(), vec!["s1".to_string()]);
        let (state, from) = store.take_over_state("s1", &config).expect("a copy");
        assert!(from.contains("spare"), "{from}");
        let state = state.expect("a state");
        assert_eq!(state.hosts, want.hosts);
        assert_eq!(state.comments.len(), 1, "the comment kept");
        assert_eq!(state.comments.len(), want.comments.len());
    }
}
