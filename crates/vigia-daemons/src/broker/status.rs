//! The broker's live status: every host and service of every scheduler, rebuilt from broks.
//!
//! Per scheduler, the broker remembers the scheduler's running id and the last brok sequence
//! number applied. Broks are applied in sequence order exactly once: a brok at or below the last
//! one is a duplicate (a re-sent batch) and is skipped; a hole in the sequence stops the batch so
//! that the puller asks again from the last brok applied. An initial status (between
//! `InitialBegin` and `InitialEnd`) is built aside and replaces what the broker knew of that
//! scheduler only once complete, so readers never see a half-filled status.
//!
//! Incremental broks name objects by id; the names come from the initial broks. This is why a
//! broker that restarts, or that sees a scheduler restart, always starts again from an initial
//! status (Alignak's broker could wait forever for initial broks, see the architecture notes §7.9).
use std::collections::BTreeMap;
use std::sync::Arc;

use vigia_engine::brok::{BrokBody, BROK_VERSION};
use vigia_engine::comments::Comment;
use vigia_engine::downtime::Downtime;
use vigia_engine::log::{current_state, Subject};
use vigia_engine::status::{state_name, Item, Status};
use vigia_proto::{BrokBatch, CommentView, DowntimeView, ItemView, Program, SchedulerSummary};

/// Hosts, services, downtimes and comments of one scheduler, by the scheduler's ids.
#[derive(Clone, Debug, Default)]
struct Objects {
    hosts: BTreeMap<u32, HostEntry>,
    services: BTreeMap<u32, ServiceEntry>,
    downtimes: BTreeMap<u64, Downtime>,
    comments: BTreeMap<u64, Comment>,
    program: Option<Program>,
}

/// Names and status are shared (`Arc`) so that a [`Snapshot`] copies no text: a check result
/// replaces the status, a change to one field copies it only while a snapshot holds it.
#[derive(Clone, Debug)]
struct HostEntry {
    name: Arc<str>,
    status: Arc<Status>,
}

#[derive(Clone, Debug)]
struct ServiceEntry {
    host: Arc<str>,
    description: Arc<str>,
    status: Arc<Status>,
}

/// Every object's status at one instant, for Livestatus: taken under the read lock in the
/// time of copying pointers, read after the lock is released.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub schedulers: Vec<SchedulerSnapshot>,
}

/// A host: its id, name and status.
pub type HostSnapshot = (u32, Arc<str>, Arc<Status>);

/// A service: its id, host name, description and status.
pub type ServiceSnapshot = (u32, Arc<str>, Arc<str>, Arc<Status>);

/// One scheduler's objects, by the ids of its part (its image's hosts and services).
#[derive(Debug, Default)]
pub struct SchedulerSnapshot {
    pub name: String,
    pub hosts: Vec<HostSnapshot>,
    pub services: Vec<ServiceSnapshot>,
    pub comments: Vec<Comment>,
    pub downtimes: Vec<Downtime>,
    pub program: Option<Program>,
}

/// What the broker knows of one scheduler.
#[derive(Debug, Default)]
pub struct SchedulerView {
    /// The scheduler's running id from its last batch ("" until it answered).
    pub running_id: String,
    /// The last brok sequence number applied (0: none; the next request asks for an initial
    /// status).
    pub last_seq: u64,
    /// An initial status was completed at least once: the view can be served.
    pub ready: bool,
    /// The last request got an answer.
    pub connected: bool,
    pub last_error: Option<String>,
    /// Epoch seconds of the last answer.
    pub last_contact: i64,
    pub url: String,
    objects: Objects,
    /// An initial status being received (between `InitialBegin` and `InitialEnd`).
    staging: Option<Objects>,
    /// Version of the newest unreadable brok already warned about (warn once).
    warned_version: u32,
}

impl SchedulerView {
    /// Where incremental broks go: the initial status being built, if any.
    fn target(&mut self) -> &mut Objects {
        match self.staging {
            Some(ref mut s) => s,
            None => &mut self.objects,
        }
    }

    /// Forgets the position: the next request asks for a full initial status.
    pub fn restart(&mut self) {
        self.running_id.clear();
        self.last_seq = 0;
        self.staging = None;
    }
}

/// What applying a batch asks of the puller and produced for the log.
#[derive(Debug, Default, PartialEq)]
pub struct Applied {
    /// Monitoring log lines, in order, as the Log broks carried them.
    pub log_lines: Vec<String>,
    /// Broks applied (duplicates and unreadable ones not counted).
    pub applied: usize,
    /// Duplicates skipped.
    pub duplicates: usize,
    /// A hole in the sequence: broks after it were not applied; ask again from `last_seq`.
    pub gap: bool,
    /// The answer cannot continue what the broker knew (new running id without an initial
    /// status): the position was forgotten, ask for an initial status.
    pub resync: bool,
}

/// The status of every scheduler the broker pulls from.
#[derive(Debug, Default)]
pub struct StatusStore {
    schedulers: BTreeMap<String, SchedulerView>,
}

/// One host or service as the status API serves it.
fn item_view(host: &str, service: Option<&str>, status: &Status, scheduler: &str) -> ItemView {
    let item = match service {
        Some(_) => Item::Service(vigia_config::model::ServiceId(0)),
        None => Item::Host(vigia_config::model::HostId(0)),
    };
    ItemView {
        host_name: host.to_string(),
        service_description: service.map(str::to_string),
        state: state_name(item, status.state).to_string(),
        state_id: status.state,
        state_type: status.state_type.name().to_string(),
        attempt: status.attempt,
        has_been_checked: status.has_been_checked,
        output: status.output.clone(),
        long_output: status.long_output.clone(),
        perf_data: status.perf_data.clone(),
        last_check: status.last_check,
        next_check: status.next_check,
        last_state_change: status.last_state_change,
        last_hard_state_change: status.last_hard_state_change,
        latency: status.latency,
        execution_time: status.execution_time,
        acknowledged: status.acknowledgement.is_some(),
        acknowledgement: status.acknowledgement.clone(),
        in_downtime: status.downtime_depth > 0,
        downtime_depth: status.downtime_depth,
        is_flapping: status.is_flapping,
        percent_state_change: status.percent_state_change,
        notification_number: status.notification_number,
        last_notification: status.last_notification,
        active_checks_enabled: status.switches.active_checks,
        passive_checks_enabled: status.switches.passive_checks,
        notifications_enabled: status.switches.notifications,
        scheduler: scheduler.to_string(),
    }
}

impl Objects {
    /// `(host, service)` names of an item, when known.
    fn names(&self, item: Item) -> Option<(&str, Option<&str>)> {
        match item {
            Item::Host(h) => self.hosts.get(&h.0).map(|e| (&*e.name, None)),
            Item::Service(s) => self.services.get(&s.0).map(|e| (&*e.host, Some(&*e.description))),
        }
    }

    fn status_mut(&mut self, item: Item) -> Option<&mut Arc<Status>> {
        match item {
            Item::Host(h) => self.hosts.get_mut(&h.0).map(|e| &mut e.status),
            Item::Service(s) => self.services.get_mut(&s.0).map(|e| &mut e.status),
        }
    }
}

impl StatusStore {
    pub fn new() -> StatusStore {
        StatusStore::default()
    }

    pub fn view(&self, scheduler: &str) -> Option<&SchedulerView> {
        self.schedulers.get(scheduler)
    }

    pub fn view_mut(&mut self, scheduler: &str) -> &mut SchedulerView {
        self.schedulers.entry(scheduler.to_string()).or_default()
    }

    /// Drops the schedulers no longer assigned: their hosts are someone else's now.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.schedulers.retain(|name, _| keep(name));
    }

    /// At least one scheduler has given a complete initial status.
    pub fn any_ready(&self) -> bool {
        self.schedulers.values().any(|v| v.ready)
    }

    pub fn scheduler_names(&self) -> Vec<String> {
        self.schedulers.keys().cloned().collect()
    }

    /// Applies one answer of `scheduler` to a `BrokRequest`.
    pub fn apply_batch(&mut self, scheduler: &str, batch: BrokBatch) -> Applied {
        let view = self.view_mut(scheduler);
        let mut out = Applied::default();
        let has_begin = batch
            .broks
            .iter()
            .any(|b| matches!(b.body, BrokBody::InitialBegin { .. }));
        if batch.initial {
            // A new sequence: whatever came before from this scheduler is replaced.
            view.running_id = batch.running_id.clone();
            view.last_seq = 0;
            view.staging = None;
            if !has_begin {
                // Flagged initial without markers: the batch itself is the whole status.
                view.objects = Objects::default();
            }
        } else if view.running_id.is_empty() || batch.running_id != view.running_id {
            // Incremental broks we cannot place (no initial status yet, or the scheduler
            // restarted): ask for an initial status.
            if !batch.broks.is_empty() || !view.running_id.is_empty() {
                tracing::debug!(
                    scheduler,
                    "incremental broks from running id '{}' without an initial status: asking for one",
                    batch.running_id
                );
                view.restart();
                out.resync = true;
            }
            return out;
        }
        let mut broks = batch.broks;
        broks.sort_by_key(|b| b.seq);
        for brok in broks {
            if brok.seq <= view.last_seq {
                out.duplicates += 1;
                continue;
            }
            if view.last_seq != 0 && brok.seq != view.last_seq + 1 {
                tracing::warn!(
                    scheduler,
                    "brok sequence jumps from {} to {}: asking again from {}",
                    view.last_seq,
                    brok.seq,
                    view.last_seq
                );
                out.gap = true;
                break;
            }
            view.last_seq = brok.seq;
            if brok.version > BROK_VERSION {
                if view.warned_version < brok.version {
                    view.warned_version = brok.version;
                    tracing::warn!(
                        scheduler,
                        "brok version {} is newer than this broker's ({BROK_VERSION}): skipped",
                        brok.version
                    );
                }
                continue;
            }
            out.applied += 1;
            apply_body(view, brok.body, &mut out.log_lines);
        }
        if batch.initial && !has_begin {
            view.ready = true;
        }
        out
    }

    /// Every ready scheduler's objects (only the host named `host` and its services, when
    /// given), sorted by id, shared: see [`Snapshot`].
    pub fn snapshot(&self, host: Option<&str>) -> Snapshot {
        let keep = |name: &str| host.is_none_or(|h| h == name);
        Snapshot {
            schedulers: self
                .schedulers
                .iter()
                .filter(|(_, v)| v.ready)
                .map(|(name, v)| SchedulerSnapshot {
                    name: name.clone(),
                    hosts: v
                        .objects
                        .hosts
                        .iter()
                        .filter(|(_, e)| keep(&e.name))
                        .map(|(id, e)| (*id, e.name.clone(), e.status.clone()))
                        .collect(),
                    services: v
                        .objects
                        .services
                        .iter()
                        .filter(|(_, e)| keep(&e.host))
                        .map(|(id, e)| (*id, e.host.clone(), e.description.clone(), e.status.clone()))
                        .collect(),
                    comments: v.objects.comments.values().cloned().collect(),
                    downtimes: v.objects.downtimes.values().cloned().collect(),
                    program: v.objects.program.clone(),
                })
                .collect(),
        }
    }

    /// Every host, sorted by name.
    pub fn hosts(&self) -> Vec<ItemView> {
        let mut out = Vec::new();
        for (name, view) in &self.schedulers {
            for h in view.objects.hosts.values() {
                out.push(item_view(&h.name, None, &h.status, name));
            }
        }
        out.sort_by(|a, b| a.host_name.cmp(&b.host_name));
        out
    }

    /// Every service, sorted by host then description.
    pub fn services(&self) -> Vec<ItemView> {
        self.services_of(None)
    }

    /// The services of `host` only (all with `None`), sorted: a query about one host copies
    /// its services, not every one.
    pub fn services_of(&self, host: Option<&str>) -> Vec<ItemView> {
        let mut out = Vec::new();
        for (name, view) in &self.schedulers {
            for s in view.objects.services.values() {
                if host.is_none_or(|h| h == &*s.host) {
                    out.push(item_view(&s.host, Some(&s.description), &s.status, name));
                }
            }
        }
        out.sort_by(|a, b| (&a.host_name, &a.service_description).cmp(&(&b.host_name, &b.service_description)));
        out
    }

    /// Unhandled problems: hosts first, then services.
    pub fn problems(&self) -> Vec<ItemView> {
        let mut out: Vec<ItemView> = self
            .hosts()
            .into_iter()
            .filter(ItemView::is_unhandled_problem)
            .collect();
        out.extend(self.services().into_iter().filter(ItemView::is_unhandled_problem));
        out
    }

    pub fn downtimes(&self) -> Vec<DowntimeView> {
        let mut out = Vec::new();
        for (name, view) in &self.schedulers {
            for d in view.objects.downtimes.values() {
                let (host, service) = view.objects.names(d.item).unwrap_or(("", None));
                out.push(DowntimeView {
                    host_name: host.to_string(),
                    service_description: service.map(str::to_string),
                    scheduler: name.clone(),
                    downtime: d.clone(),
                });
            }
        }
        out
    }

    pub fn comments(&self) -> Vec<CommentView> {
        let mut out = Vec::new();
        for (name, view) in &self.schedulers {
            for c in view.objects.comments.values() {
                let (host, service) = view.objects.names(c.item).unwrap_or(("", None));
                out.push(CommentView {
                    host_name: host.to_string(),
                    service_description: service.map(str::to_string),
                    scheduler: name.clone(),
                    comment: c.clone(),
                });
            }
        }
        out
    }

    pub fn summaries(&self) -> Vec<SchedulerSummary> {
        self.schedulers
            .iter()
            .map(|(name, v)| SchedulerSummary {
                name: name.clone(),
                url: v.url.clone(),
                connected: v.connected,
                ready: v.ready,
                running_id: v.running_id.clone(),
                last_seq: v.last_seq,
                last_contact: v.last_contact,
                last_error: v.last_error.clone(),
                hosts: v.objects.hosts.len(),
                services: v.objects.services.len(),
                program: v.objects.program.clone(),
                overlaps: Vec::new(),
                draining: Vec::new(),
            })
            .collect()
    }

    /// `[now] CURRENT HOST STATE: …` and `CURRENT SERVICE STATE: …` for every object: written
    /// at the top of each new log file, as Nagios does, so that one file tells every state.
    pub fn current_state_lines(&self, now: i64) -> Vec<String> {
        let mut out = Vec::new();
        for h in self.hosts() {
            out.push(current_line(now, &h));
        }
        for s in self.services() {
            out.push(current_line(now, &s));
        }
        out
    }
}

fn current_line(now: i64, v: &ItemView) -> String {
    let subject = match &v.service_description {
        Some(s) => Subject::service(&v.host_name, s),
        None => Subject::host(&v.host_name),
    };
    let state_type = if v.state_type == "HARD" {
        vigia_engine::StateType::Hard
    } else {
        vigia_engine::StateType::Soft
    };
    format!(
        "[{now}] {}",
        current_state(subject, &v.state, state_type, v.attempt, &v.output)
    )
}

fn apply_body(view: &mut SchedulerView, body: BrokBody, log: &mut Vec<String>) {
    match body {
        BrokBody::InitialBegin { .. } => view.staging = Some(Objects::default()),
        BrokBody::InitialEnd => {
            if let Some(objects) = view.staging.take() {
                view.objects = objects;
            }
            view.ready = true;
        }
        BrokBody::ProgramStatus { started, globals } => view.target().program = Some(Program { started, globals }),
        BrokBody::InitialHostStatus { id, name, status } => {
            view.target().hosts.insert(
                id.0,
                HostEntry {
                    name: name.into(),
                    status: Arc::new(status),
                },
            );
        }
        BrokBody::InitialServiceStatus {
            id,
            host,
            description,
            status,
        } => {
            view.target().services.insert(
                id.0,
                ServiceEntry {
                    host: host.into(),
                    description: description.into(),
                    status: Arc::new(status),
                },
            );
        }
        BrokBody::CheckResult { item, status } | BrokBody::Status { item, status } => {
            match view.target().status_mut(item) {
                Some(s) => *s = Arc::new(status),
                None => tracing::debug!("status of unknown {item:?}: ignored"),
            }
        }
        BrokBody::AcknowledgeRaised { item, acknowledgement } => {
            if let Some(s) = view.target().status_mut(item) {
                Arc::make_mut(s).acknowledgement = Some(acknowledgement);
            }
        }
        BrokBody::AcknowledgeExpired { item } => {
            if let Some(s) = view.target().status_mut(item) {
                Arc::make_mut(s).acknowledgement = None;
            }
        }
        BrokBody::DowntimeAdded { downtime } => {
            view.target().downtimes.insert(downtime.id, downtime);
        }
        BrokBody::DowntimeStarted { id } => {
            if let Some(d) = view.target().downtimes.get_mut(&id) {
                d.active = true;
            }
        }
        BrokBody::DowntimeRemoved { id, .. } => {
            view.target().downtimes.remove(&id);
        }
        BrokBody::CommentAdded { comment } => {
            view.target().comments.insert(comment.id, comment);
        }
        BrokBody::CommentDeleted { id } => {
            view.target().comments.remove(&id);
        }
        BrokBody::Log { line } => log.push(line),
        // Notifications and event handlers change no status (their effects come as Status
        // broks); unknown kinds from a newer engine are skipped.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigia_config::model::{HostId, ServiceId};
    use vigia_engine::brok::Brok;
    use vigia_engine::status::{Acknowledgement, StateType, Switches};

    fn switches() -> Switches {
        Switches {
            active_checks: true,
            passive_checks: true,
            notifications: true,
            event_handler: true,
            flap_detection: true,
        }
    }

    fn brok(seq: u64, body: BrokBody) -> Brok {
        Brok {
            version: BROK_VERSION,
            seq,
            time: 1_700_000_000,
            body,
        }
    }

    fn status(state: u8, hard: bool, output: &str) -> Status {
        let mut s = Status::new(state, switches());
        s.state_type = if hard { StateType::Hard } else { StateType::Soft };
        s.output = output.to_string();
        s.has_been_checked = true;
        s
    }

    /// Initial set for one host `web1` (id 0) with services `http` (0) and `disk` (1).
    fn initial(first_seq: u64, running_id: &str) -> BrokBatch {
        let s = first_seq;
        BrokBatch {
            running_id: running_id.into(),
            generation: 1,
            initial: true,
            broks: vec![
                brok(s, BrokBody::InitialBegin { hosts: 1, services: 2 }),
                brok(
                    s + 1,
                    BrokBody::InitialHostStatus {
                        id: HostId(0),
                        name: "web1".into(),
                        status: status(0, true, "PING OK"),
                    },
                ),
                brok(
                    s + 2,
                    BrokBody::InitialServiceStatus {
                        id: ServiceId(0),
                        host: "web1".into(),
                        description: "http".into(),
                        status: status(0, true, "HTTP OK"),
                    },
                ),
                brok(
                    s + 3,
                    BrokBody::InitialServiceStatus {
                        id: ServiceId(1),
                        host: "web1".into(),
                        description: "disk".into(),
                        status: status(0, true, "DISK OK"),
                    },
                ),
                brok(s + 4, BrokBody::InitialEnd),
            ],
        }
    }

    fn incremental(running_id: &str, broks: Vec<Brok>) -> BrokBatch {
        BrokBatch {
            running_id: running_id.into(),
            generation: 1,
            initial: false,
            broks,
        }
    }

    fn service(store: &StatusStore, desc: &str) -> Option<ItemView> {
        store
            .services()
            .into_iter()
            .find(|s| s.service_description.as_deref() == Some(desc))
    }

    #[test]
    fn initial_then_incremental_resolves_names() {
        let mut store = StatusStore::new();
        assert!(!store.any_ready());
        let a = store.apply_batch("s1", initial(1, "r1"));
        assert_eq!(a.applied, 5);
        assert!(store.any_ready());
        assert_eq!(store.view("s1").map(|v| v.last_seq), Some(5));
        let a = store.apply_batch(
            "s1",
            incremental(
                "r1",
                vec![
                    brok(
                        6,
                        BrokBody::CheckResult {
                            item: Item::Service(ServiceId(0)),
                            status: status(2, true, "HTTP CRITICAL"),
                        },
                    ),
                    brok(
                        7,
                        BrokBody::Log {
                            line: "[1700000000] SERVICE ALERT: web1;http;CRITICAL;HARD;1;HTTP CRITICAL".into(),
                        },
                    ),
                ],
            ),
        );
        assert_eq!(
            a.log_lines,
            vec!["[1700000000] SERVICE ALERT: web1;http;CRITICAL;HARD;1;HTTP CRITICAL".to_string()]
        );
        let http = service(&store, "http").unwrap();
        assert_eq!(http.host_name, "web1");
        assert_eq!(http.state, "CRITICAL");
        assert_eq!(http.state_id, 2);
        assert_eq!(http.state_type, "HARD");
        assert_eq!(http.output, "HTTP CRITICAL");
        assert_eq!(http.scheduler, "s1");
        assert_eq!(store.hosts().len(), 1);
        assert_eq!(store.hosts()[0].state, "UP");
    }

    #[test]
    fn duplicate_seq_ignored_and_gap_stops() {
        let mut store = StatusStore::new();
        store.apply_batch("s1", initial(1, "r1"));
        let crit = |seq| {
            brok(
                seq,
                BrokBody::Log {
                    line: format!("[1] line {seq}"),
                },
            )
        };
        let a = store.apply_batch("s1", incremental("r1", vec![crit(6), crit(7)]));
        assert_eq!(a.log_lines.len(), 2);
        // The same batch again (the answer was lost and re-sent), plus one new brok.
        let a = store.apply_batch("s1", incremental("r1", vec![crit(6), crit(7), crit(8)]));
        assert_eq!(a.duplicates, 2);
        assert_eq!(a.log_lines, vec!["[1] line 8".to_string()]);
        // A hole: 10 and 11 wait until 9 comes.
        let a = store.apply_batch("s1", incremental("r1", vec![crit(10), crit(11)]));
        assert!(a.gap);
        assert!(a.log_lines.is_empty());
        assert_eq!(store.view("s1").unwrap().last_seq, 8);
        let a = store.apply_batch("s1", incremental("r1", vec![crit(9), crit(10)]));
        assert!(!a.gap);
        assert_eq!(a.log_lines.len(), 2);
    }

    #[test]
    fn initial_replaces_everything_known() {
        let mut store = StatusStore::new();
        store.apply_batch("s1", initial(1, "r1"));
        store.apply_batch(
            "s1",
            incremental(
                "r1",
                vec![brok(
                    6,
                    BrokBody::CheckResult {
                        item: Item::Service(ServiceId(1)),
                        status: status(1, true, "DISK WARNING"),
                    },
                )],
            ),
        );
        assert_eq!(service(&store, "disk").unwrap().state, "WARNING");
        // The scheduler restarted: new running id, sequence from 1 again, one service fewer.
        let mut batch = initial(1, "r2");
        batch
            .broks
            .retain(|b| !matches!(b.body, BrokBody::InitialServiceStatus { id: ServiceId(1), .. }));
        for (i, b) in batch.broks.iter_mut().enumerate() {
            b.seq = i as u64 + 1;
        }
        let a = store.apply_batch("s1", batch);
        assert_eq!(a.duplicates, 0);
        assert!(service(&store, "disk").is_none());
        assert_eq!(service(&store, "http").unwrap().state, "OK");
        assert_eq!(store.view("s1").unwrap().running_id, "r2");
        assert_eq!(store.view("s1").unwrap().last_seq, 4);
    }

    #[test]
    fn initial_split_over_batches_is_swapped_in_at_the_end() {
        let mut store = StatusStore::new();
        store.apply_batch("s1", initial(1, "r1"));
        let mut second = initial(20, "r2");
        let rest = second.broks.split_off(2);
        let a = store.apply_batch("s1", second);
        assert_eq!(a.applied, 2);
        // Until InitialEnd, readers keep the complete old status.
        assert_eq!(store.services().len(), 2);
        assert_eq!(store.hosts()[0].output, "PING OK");
        store.apply_batch("s1", incremental("r2", rest));
        assert_eq!(store.services().len(), 2);
        assert_eq!(store.view("s1").unwrap().last_seq, 24);
    }

    #[test]
    fn incremental_without_initial_asks_for_one() {
        let mut store = StatusStore::new();
        let a = store.apply_batch("s1", incremental("r1", vec![brok(3, BrokBody::InitialEnd)]));
        assert!(a.resync);
        assert!(!store.any_ready());
        store.apply_batch("s1", initial(1, "r1"));
        // Another running id without the initial flag: the scheduler restarted.
        let a = store.apply_batch("s1", incremental("r9", vec![brok(6, BrokBody::InitialEnd)]));
        assert!(a.resync);
        assert_eq!(store.view("s1").unwrap().last_seq, 0);
        assert_eq!(store.view("s1").unwrap().running_id, "");
    }

    #[test]
    fn problems_are_hard_unhandled_non_ok() {
        let mut store = StatusStore::new();
        let mut batch = initial(1, "r1");
        batch.broks.insert(
            4,
            brok(
                0,
                BrokBody::InitialServiceStatus {
                    id: ServiceId(2),
                    host: "web1".into(),
                    description: "load".into(),
                    status: status(2, true, "LOAD CRITICAL"),
                },
            ),
        );
        batch.broks.insert(
            4,
            brok(
                0,
                BrokBody::InitialServiceStatus {
                    id: ServiceId(3),
                    host: "web1".into(),
                    description: "mem".into(),
                    status: status(2, false, "MEM CRITICAL (soft)"),
                },
            ),
        );
        let mut acked = status(1, true, "SWAP WARNING");
        acked.acknowledgement = Some(Acknowledgement {
            sticky: 2,
            notify: false,
            persistent: false,
            author: "ops".into(),
            comment: "known".into(),
            time: 1,
            end_time: 0,
        });
        batch.broks.insert(
            4,
            brok(
                0,
                BrokBody::InitialServiceStatus {
                    id: ServiceId(4),
                    host: "web1".into(),
                    description: "swap".into(),
                    status: acked,
                },
            ),
        );
        let mut down = status(2, true, "NTP CRITICAL");
        down.downtime_depth = 1;
        batch.broks.insert(
            4,
            brok(
                0,
                BrokBody::InitialServiceStatus {
                    id: ServiceId(5),
                    host: "web1".into(),
                    description: "ntp".into(),
                    status: down,
                },
            ),
        );
        batch.broks.insert(
            1,
            brok(
                0,
                BrokBody::InitialHostStatus {
                    id: HostId(1),
                    name: "db1".into(),
                    status: status(1, true, "PING CRITICAL"),
                },
            ),
        );
        for (i, b) in batch.broks.iter_mut().enumerate() {
            b.seq = i as u64 + 1;
        }
        store.apply_batch("s1", batch);
        let problems: Vec<(String, Option<String>)> = store
            .problems()
            .into_iter()
            .map(|p| (p.host_name, p.service_description))
            .collect();
        assert_eq!(
            problems,
            vec![
                ("db1".to_string(), None),
                ("web1".to_string(), Some("load".to_string()))
            ]
        );
        let swap = service(&store, "swap").unwrap();
        assert!(swap.acknowledged);
        assert!(service(&store, "ntp").unwrap().in_downtime);
        // An acknowledgement brok takes `load` out of the problems.
        store.apply_batch(
            "s1",
            incremental(
                "r1",
                vec![brok(
                    store.view("s1").unwrap().last_seq + 1,
                    BrokBody::AcknowledgeRaised {
                        item: Item::Service(ServiceId(2)),
                        acknowledgement: swap.acknowledgement.clone().unwrap(),
                    },
                )],
            ),
        );
        assert_eq!(store.problems().len(), 1);
    }

    #[test]
    fn current_state_lines_for_rotation() {
        let mut store = StatusStore::new();
        store.apply_batch("s1", initial(1, "r1"));
        assert_eq!(
            store.current_state_lines(42),
            vec![
                "[42] CURRENT HOST STATE: web1;UP;HARD;1;PING OK".to_string(),
                "[42] CURRENT SERVICE STATE: web1;disk;OK;HARD;1;DISK OK".to_string(),
                "[42] CURRENT SERVICE STATE: web1;http;OK;HARD;1;HTTP OK".to_string(),
            ]
        );
    }
}
