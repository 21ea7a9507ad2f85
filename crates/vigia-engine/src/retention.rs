//! Retention: every dynamic state of an engine as one versioned document, keyed by object names
//! so that it survives a configuration change (objects that no longer exist are dropped, new ones
//! start fresh). Restoring a snapshot into a new engine reproduces states, attempts,
//! acknowledgements, comments, downtimes, notification numbers and next check times exactly.
//!
//! Between snapshots, [`Engine::drain_retention_changes`] gives what changed as small
//! [`RetentionChange`]s; applied in order to an engine that holds an earlier snapshot
//! ([`Engine::apply_retention_changes`]), they make its snapshot equal to the source's. The HA
//! layer streams them to a standby scheduler.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::comments::Comment;
use crate::downtime::Downtime;
use crate::engine::{Due, Engine, Globals};
use crate::modattr::Overrides;
use crate::status::{Item, Status};

/// Bumped whenever the document's meaning changes; older documents are refused, not misread.
pub const RETENTION_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    pub version: u32,
    pub taken_at: i64,
    pub hosts: Vec<(String, Status)>,
    pub services: Vec<(String, String, Status)>,
    pub comments: Vec<(ItemName, Comment)>,
    pub downtimes: Vec<(ItemName, Downtime)>,
    pub next_comment_id: u64,
    pub next_downtime_id: u64,
    /// Values changed by commands, per item (absent in documents from before they existed).
    #[serde(default)]
    pub overrides: Vec<(ItemName, Overrides)>,
    /// Global switches as commands left them.
    #[serde(default)]
    pub globals: Option<Globals>,
    /// The last command batch applied per source (see [`Engine::command_mark`]).
    #[serde(default)]
    pub command_marks: Vec<(String, u64)>,
}

/// One change since the last drain, keyed by names like the snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionChange {
    /// An item's whole status now (the last one of a drain wins).
    Status {
        item: ItemName,
        status: Status,
    },
    CommentAdded {
        item: ItemName,
        comment: Comment,
    },
    CommentDeleted {
        id: u64,
    },
    /// A new downtime, or a downtime whose state changed (started).
    Downtime {
        item: ItemName,
        downtime: Downtime,
    },
    DowntimeDeleted {
        id: u64,
    },
    Overrides {
        item: ItemName,
        overrides: Option<Overrides>,
    },
    Globals {
        globals: Globals,
    },
    Counters {
        next_comment_id: u64,
        next_downtime_id: u64,
    },
    Clock {
        now: i64,
    },
    CommandMark {
        source: String,
        seq: u64,
    },
    /// Everything at once (after a restore).
    Snapshot {
        snapshot: Box<Retention>,
    },
}

/// What a change replaces: the changes with the same key before it no longer matter (an item's
/// status, its overrides, the counters, the clock, a source's command mark are whole values).
/// Comments and downtimes come and go by id: they have no key and are all kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ChangeKey {
    Status(ItemName),
    Overrides(ItemName),
    Globals,
    Counters,
    Clock,
    Mark(String),
}

fn key_of(change: &RetentionChange) -> Option<ChangeKey> {
    Some(match change {
        RetentionChange::Status { item, .. } => ChangeKey::Status(item.clone()),
        RetentionChange::Overrides { item, .. } => ChangeKey::Overrides(item.clone()),
        RetentionChange::Globals { .. } => ChangeKey::Globals,
        RetentionChange::Counters { .. } => ChangeKey::Counters,
        RetentionChange::Clock { .. } => ChangeKey::Clock,
        RetentionChange::CommandMark { source, .. } => ChangeKey::Mark(source.clone()),
        RetentionChange::CommentAdded { .. }
        | RetentionChange::CommentDeleted { .. }
        | RetentionChange::Downtime { .. }
        | RetentionChange::DowntimeDeleted { .. }
        | RetentionChange::Snapshot { .. } => return None,
    })
}

/// The changes after a snapshot, in order, without those a later change replaced: a spare's
/// copy stays about as big as the part, however long the stream runs between snapshots (an
/// item checked every second would otherwise add a status per second).
#[derive(Clone, Debug, Default)]
pub struct ChangeLog {
    entries: Vec<Option<RetentionChange>>,
    latest: HashMap<ChangeKey, usize>,
    live: usize,
}

impl ChangeLog {
    pub fn push(&mut self, change: RetentionChange) {
        if matches!(change, RetentionChange::Snapshot { .. }) {
            // Replaces everything before it.
            self.entries.clear();
            self.latest.clear();
            self.live = 0;
        } else if let Some(key) = key_of(&change) {
            if let Some(old) = self.latest.insert(key, self.entries.len()) {
                self.entries[old] = None;
                self.live -= 1;
            }
        }
        self.entries.push(Some(change));
        self.live += 1;
        if self.entries.len() > 2 * self.live + 1024 {
            self.compact();
        }
    }

    fn compact(&mut self) {
        let entries = std::mem::take(&mut self.entries);
        self.latest.clear();
        for change in entries.into_iter().flatten() {
            if let Some(key) = key_of(&change) {
                self.latest.insert(key, self.entries.len());
            }
            self.entries.push(Some(change));
        }
    }

    /// Changes kept.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The kept changes, in order: replayed on the snapshot they give the same state as every
    /// change would.
    pub fn into_changes(self) -> Vec<RetentionChange> {
        self.entries.into_iter().flatten().collect()
    }
}

impl Extend<RetentionChange> for ChangeLog {
    fn extend<I: IntoIterator<Item = RetentionChange>>(&mut self, changes: I) {
        for change in changes {
            self.push(change);
        }
    }
}

impl FromIterator<RetentionChange> for ChangeLog {
    fn from_iter<I: IntoIterator<Item = RetentionChange>>(changes: I) -> Self {
        let mut log = ChangeLog::default();
        log.extend(changes);
        log
    }
}

/// An item by its names: host, and service description for a service.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ItemName {
    pub host: String,
    pub service: Option<String>,
}

/// What a restore did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreReport {
    pub restored: usize,
    /// Retained objects the configuration no longer has.
    pub dropped: usize,
}

impl Engine {
    /// The engine's dynamic state, for the objects of its part. Checks with a poller are saved
    /// as not in flight: their results cannot reach a restored engine.
    pub fn snapshot(&self) -> Retention {
        let c = &self.config;
        let hosts = (0..c.hosts.len())
            .filter(|&h| self.owned[h])
            .map(|h| (c.hosts[h].name.clone(), retained(&self.hosts[h])))
            .collect();
        let services = (0..c.services.len())
            .filter(|&s| self.owned[c.services[s].host.index()])
            .map(|s| {
                let svc = &c.services[s];
                (
                    c.hosts[svc.host.index()].name.clone(),
                    svc.description.to_string(),
                    retained(&self.services[s]),
                )
            })
            .collect();
        let mut overrides: Vec<(ItemName, Overrides)> = self
            .overrides
            .iter()
            .map(|(item, o)| (self.item_name_of(*item), o.clone()))
            .collect();
        overrides.sort_by(|a, b| (&a.0.host, &a.0.service).cmp(&(&b.0.host, &b.0.service)));
        Retention {
            version: RETENTION_VERSION,
            taken_at: self.now,
            hosts,
            services,
            comments: self
                .comments
                .iter()
                .map(|cm| (self.item_name_of(cm.item), cm.clone()))
                .collect(),
            downtimes: self
                .downtimes
                .iter()
                .map(|d| (self.item_name_of(d.item), d.clone()))
                .collect(),
            next_comment_id: self.next_comment_id,
            next_downtime_id: self.next_downtime_id,
            overrides,
            globals: Some(self.globals),
            command_marks: self.command_marks.iter().map(|(s, n)| (s.clone(), *n)).collect(),
        }
    }

    /// The last numbered command batch applied from `source` (0: none). Receivers number the
    /// batches they deliver and deliver again what was not confirmed; a batch at or below the
    /// mark was applied already (by this engine, or by the one it took over from) and must not
    /// be applied twice.
    pub fn command_mark(&self, source: &str) -> u64 {
        self.command_marks.get(source).copied().unwrap_or(0)
    }

    /// Every source's mark.
    pub fn command_marks(&self) -> impl Iterator<Item = (&str, u64)> {
        self.command_marks.iter().map(|(s, n)| (s.as_str(), *n))
    }

    /// Records that `source`'s batches up to `seq` are applied (marks only grow).
    pub fn set_command_mark(&mut self, source: &str, seq: u64) {
        let mark = self.command_marks.entry(source.to_string()).or_insert(0);
        if seq > *mark {
            *mark = seq;
            if self.track.retention_enabled {
                self.track.retention.push(RetentionChange::CommandMark {
                    source: source.to_string(),
                    seq,
                });
            }
        }
    }

    pub(crate) fn item_name_of(&self, item: Item) -> ItemName {
        let (host, service) = self.item_name(item);
        ItemName { host, service }
    }

    fn item_of(&self, name: &ItemName) -> Option<Item> {
        match &name.service {
            None => self.find_host(&name.host).map(Item::Host),
            Some(desc) => self.find_service(&name.host, desc).map(Item::Service),
        }
    }

    /// Puts a snapshot's states back. Checks that were with a poller are scheduled again at
    /// once (their results are lost with the old process); next check times in the past are
    /// run now, in the future kept.
    pub fn restore(&mut self, r: Retention) -> Result<RestoreReport, String> {
        if r.version != RETENTION_VERSION {
            return Err(format!("retention version {} is not {RETENTION_VERSION}", r.version));
        }
        let mut report = RestoreReport::default();
        let mut restored: Vec<Item> = Vec::new();
        for (host, status) in r.hosts {
            match self.item_of(&ItemName { host, service: None }) {
                Some(item) => {
                    *self.status_mut(item) = status;
                    restored.push(item);
                }
                None => report.dropped += 1,
            }
        }
        for (host, service, status) in r.services {
            match self.item_of(&ItemName {
                host,
                service: Some(service),
            }) {
                Some(item) => {
                    *self.status_mut(item) = status;
                    restored.push(item);
                }
                None => report.dropped += 1,
            }
        }
        report.restored = restored.len();
        self.next_comment_id = self.next_comment_id.max(r.next_comment_id);
        self.next_downtime_id = self.next_downtime_id.max(r.next_downtime_id);
        self.take_annotations(r.comments, r.downtimes, r.overrides, r.globals, r.command_marks);
        self.schedule_restored(restored);
        if self.track.retention_enabled {
            // A standby following this engine starts over from here.
            self.track.dirty_retention.take();
            self.track.retention.clear();
            let snapshot = Box::new(self.snapshot());
            self.track.retention.push(RetentionChange::Snapshot { snapshot });
        }
        Ok(report)
    }

    /// Makes a mirror (a standby's live copy: states written as they came, nothing scheduled)
    /// the running engine from `now`, as [`Engine::new`] then [`Engine::restore`] of its own
    /// snapshot would make it, without the snapshot: taking a part over then costs rebuilding
    /// its schedule, not copying and looking up every object.
    pub fn resume(&mut self, now: i64, seed: u64) -> RestoreReport {
        self.now = self.now.max(now);
        self.started = self.now;
        self.schedule.clear();
        self.pending.clear();
        // Its followers start from a snapshot of the running engine (the scheduler asks one).
        self.track.retention_enabled = true;
        self.track.retention.clear();
        self.track.dirty_retention.take();
        let kept: Vec<(Item, i64)> = self
            .all_items()
            .filter(|i| self.owns(*i))
            .map(|i| (i, self.status(i).next_check))
            .collect();
        // What a new engine schedules (first checks spread, freshness), then the copy's own
        // times win, as in a restore.
        self.schedule_initial_checks(seed);
        self.schedule_freshness();
        for (item, next_check) in &kept {
            self.status_mut(*item).next_check = *next_check;
        }
        let report = RestoreReport {
            restored: kept.len(),
            dropped: 0,
        };
        self.schedule_restored(kept.into_iter().map(|(i, _)| i).collect());
        report
    }

    /// Schedules what restored states say: next checks and notifications, downtimes to start
    /// and end, acknowledgements to expire; a standby following this engine starts over.
    fn schedule_restored(&mut self, restored: Vec<Item>) {
        let now = self.now;
        for item in restored {
            let st = self.status_mut(item);
            st.in_flight = false;
            let (next_check, next_notification) = (st.next_check, st.next_notification);
            if next_check != 0 {
                self.set_next_check(item, next_check.max(now));
            }
            if next_notification != 0 {
                self.push_schedule(next_notification.max(now), Due::Notification(item));
            }
        }
        let pending: Vec<(u64, bool, i64, i64)> = self
            .downtimes
            .iter()
            .map(|d| {
                let end = if d.active && !d.fixed {
                    d.started_at + d.duration
                } else {
                    d.end
                };
                (d.id, d.active || !d.fixed, d.start, end)
            })
            .collect();
        for (id, started_or_flexible, start, end) in pending {
            if !started_or_flexible {
                self.push_schedule(start.max(now), Due::DowntimeStart(id));
            }
            self.push_schedule(end.max(now), Due::DowntimeEnd(id));
        }
        let expiring: Vec<(Item, i64)> = self
            .all_items()
            .filter_map(|i| {
                let end = self.status(i).acknowledgement.as_ref()?.end_time;
                (end > 0).then_some((i, end))
            })
            .collect();
        for (item, end) in expiring {
            self.push_schedule(end.max(now), Due::AckExpire(item));
        }
    }

    /// Turns the recording of retention changes on or off (on by default; off for
    /// `vigia simulate` and benchmarks, where nobody drains them).
    pub fn set_retention_tracking(&mut self, enabled: bool) {
        self.track.retention_enabled = enabled;
        if !enabled {
            self.track.retention.clear();
            self.track.dirty_retention.take();
        }
    }

    /// What changed since the last call, in order; see the module documentation.
    pub fn drain_retention_changes(&mut self) -> Vec<RetentionChange> {
        let mut out = std::mem::take(&mut self.track.retention);
        for item in self.track.dirty_retention.take() {
            if self.owns(item) {
                out.push(RetentionChange::Status {
                    item: self.item_name_of(item),
                    status: retained(self.status(item)),
                });
            }
        }
        out.push(RetentionChange::Counters {
            next_comment_id: self.next_comment_id,
            next_downtime_id: self.next_downtime_id,
        });
        out.push(RetentionChange::Clock { now: self.now });
        out
    }

    /// Applies changes drained from another engine with the same configuration. States are
    /// written as they are, without scheduling anything: a standby mirrors, it does not run
    /// (to take over, restore its snapshot into a running engine). Changes naming objects this
    /// configuration lacks are skipped and counted in the report's `dropped`.
    pub fn apply_retention_changes(&mut self, changes: Vec<RetentionChange>) -> Result<RestoreReport, String> {
        let mut report = RestoreReport::default();
        for change in changes {
            match change {
                RetentionChange::Status { item, status } => match self.item_of(&item) {
                    Some(i) => {
                        *self.status_mut(i) = status;
                        report.restored += 1;
                    }
                    None => report.dropped += 1,
                },
                RetentionChange::CommentAdded { item, mut comment } => match self.item_of(&item) {
                    Some(i) => {
                        comment.item = i;
                        self.comments.push(comment);
                    }
                    None => report.dropped += 1,
                },
                RetentionChange::CommentDeleted { id } => self.comments.retain(|c| c.id != id),
                RetentionChange::Downtime { item, mut downtime } => match self.item_of(&item) {
                    Some(i) => {
                        downtime.item = i;
                        match self.downtimes.iter_mut().find(|d| d.id == downtime.id) {
                            Some(d) => *d = downtime,
                            None => self.downtimes.push(downtime),
                        }
                    }
                    None => report.dropped += 1,
                },
                RetentionChange::DowntimeDeleted { id } => self.downtimes.retain(|d| d.id != id),
                RetentionChange::Overrides { item, overrides } => match self.item_of(&item) {
                    Some(i) => match overrides {
                        Some(o) => {
                            self.overrides.insert(i, o);
                        }
                        None => {
                            self.overrides.remove(&i);
                        }
                    },
                    None => report.dropped += 1,
                },
                RetentionChange::Globals { globals } => self.globals = globals,
                RetentionChange::Counters {
                    next_comment_id,
                    next_downtime_id,
                } => {
                    self.next_comment_id = next_comment_id;
                    self.next_downtime_id = next_downtime_id;
                }
                RetentionChange::Clock { now } => self.now = self.now.max(now),
                RetentionChange::CommandMark { source, seq } => {
                    let mark = self.command_marks.entry(source).or_insert(0);
                    *mark = (*mark).max(seq);
                }
                RetentionChange::Snapshot { snapshot } => {
                    let r = self.mirror(*snapshot)?;
                    report.restored += r.restored;
                    report.dropped += r.dropped;
                }
            }
        }
        Ok(report)
    }

    /// Replaces every state by a snapshot's, as is (no scheduling): the start of a mirror.
    fn mirror(&mut self, r: Retention) -> Result<RestoreReport, String> {
        if r.version != RETENTION_VERSION {
            return Err(format!("retention version {} is not {RETENTION_VERSION}", r.version));
        }
        let mut report = RestoreReport::default();
        let items: Vec<(ItemName, Status)> = r
            .hosts
            .into_iter()
            .map(|(host, st)| (ItemName { host, service: None }, st))
            .chain(r.services.into_iter().map(|(host, service, st)| {
                (
                    ItemName {
                        host,
                        service: Some(service),
                    },
                    st,
                )
            }))
            .collect();
        for (name, status) in items {
            match self.item_of(&name) {
                Some(i) => {
                    *self.status_mut(i) = status;
                    report.restored += 1;
                }
                None => report.dropped += 1,
            }
        }
        self.next_comment_id = r.next_comment_id;
        self.next_downtime_id = r.next_downtime_id;
        self.take_annotations(r.comments, r.downtimes, r.overrides, r.globals, r.command_marks);
        self.now = self.now.max(r.taken_at);
        Ok(report)
    }

    /// Comments, downtimes, command overrides, global switches and command marks of a
    /// document, onto this engine's objects by name (what a restore and a mirror share).
    fn take_annotations(
        &mut self,
        comments: Vec<(ItemName, Comment)>,
        downtimes: Vec<(ItemName, Downtime)>,
        overrides: Vec<(ItemName, Overrides)>,
        globals: Option<Globals>,
        command_marks: Vec<(String, u64)>,
    ) {
        self.comments = comments
            .into_iter()
            .filter_map(|(name, mut cm)| {
                cm.item = self.item_of(&name)?;
                Some(cm)
            })
            .collect();
        self.downtimes = downtimes
            .into_iter()
            .filter_map(|(name, mut d)| {
                d.item = self.item_of(&name)?;
                Some(d)
            })
            .collect();
        self.overrides = overrides
            .into_iter()
            .filter_map(|(name, o)| Some((self.item_of(&name)?, o)))
            .collect();
        if let Some(globals) = globals {
            self.globals = globals;
        }
        for (source, seq) in command_marks {
            let mark = self.command_marks.entry(source).or_insert(0);
            *mark = (*mark).max(seq);
        }
    }

    pub(crate) fn record_retention(&mut self, change: impl FnOnce(&Engine) -> RetentionChange) {
        if self.track.retention_enabled {
            let change = change(self);
            self.track.retention.push(change);
        }
    }

    pub(crate) fn record_overrides(&mut self, item: Item, overrides: Option<Overrides>) {
        self.record_retention(|e| RetentionChange::Overrides {
            item: e.item_name_of(item),
            overrides,
        });
    }

    pub(crate) fn record_downtime(&mut self, id: u64) {
        self.record_retention(|e| match e.downtimes.iter().find(|d| d.id == id) {
            Some(d) => RetentionChange::Downtime {
                item: e.item_name_of(d.item),
                downtime: d.clone(),
            },
            None => RetentionChange::DowntimeDeleted { id },
        });
    }

    pub(crate) fn record_globals(&mut self) {
        let globals = self.globals;
        self.record_retention(|_| RetentionChange::Globals { globals });
        self.push_brok(crate::brok::BrokBody::ProgramStatus {
            started: self.started,
            globals,
        });
    }
}

/// A status as retained: never in flight.
fn retained(st: &Status) -> Status {
    let mut st = st.clone();
    st.in_flight = false;
    st
}
