//! Broks: what a broker needs to rebuild the whole status (Alignak's name for the scheduler's
//! events). A broker takes [`Engine::initial_broks`] once (every host and service status, the
//! program status, comments and downtimes), then [`Engine::drain_broks`] repeatedly: a brok per
//! check result, per other status change, per acknowledgement, downtime and comment change, per
//! notification and event handler, per log line.
//!
//! Cheap by design: incremental broks name objects by id (the initial broks give the names), a
//! status is copied once per public call that changed it however many times it changed, and
//! nothing is recorded at all when broks are turned off ([`Engine::set_broks_enabled`]).
use serde::{Deserialize, Serialize};
use vigia_config::model::{ContactId, HostId, ServiceId};

use crate::comments::Comment;
use crate::downtime::Downtime;
use crate::engine::{Engine, Globals, NotificationKind};
use crate::status::{Acknowledgement, Item, Status};

/// Bumped whenever a brok's meaning changes, so that a broker can refuse what it cannot read.
pub const BROK_VERSION: u32 = 2;

/// One event, numbered: `seq` only grows, so a broker sees gaps and order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Brok {
    pub version: u32,
    pub seq: u64,
    /// Engine time (epoch seconds) when it happened.
    pub time: i64,
    pub body: BrokBody,
}

/// Externally tagged (`{"check_result": {…}}` in JSON), so that the compact binary form the
/// broker pulls (postcard, which cannot read internally tagged enums) reads it too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BrokBody {
    /// Global switches and start time (initially, and when a command changes a switch).
    ProgramStatus {
        started: i64,
        globals: Globals,
    },
    /// Opens the initial set: everything until [`BrokBody::InitialEnd`] replaces what the broker
    /// knew of this engine.
    InitialBegin {
        hosts: u32,
        services: u32,
    },
    InitialHostStatus {
        id: HostId,
        name: String,
        status: Status,
    },
    InitialServiceStatus {
        id: ServiceId,
        host: String,
        description: String,
        status: Status,
    },
    InitialEnd,
    /// A check result was applied (active or passive): the status after it.
    CheckResult {
        item: Item,
        status: Status,
    },
    /// Any other status change (schedule, switches, acknowledgement, downtime depth, …).
    Status {
        item: Item,
        status: Status,
    },
    AcknowledgeRaised {
        item: Item,
        acknowledgement: Acknowledgement,
    },
    AcknowledgeExpired {
        item: Item,
    },
    DowntimeAdded {
        downtime: Downtime,
    },
    DowntimeStarted {
        id: u64,
    },
    /// The downtime is gone: ended normally, or cancelled (deleted, running or not).
    DowntimeRemoved {
        id: u64,
        cancelled: bool,
    },
    CommentAdded {
        comment: Comment,
    },
    CommentDeleted {
        id: u64,
    },
    Notification {
        item: Item,
        contact: ContactId,
        kind: NotificationKind,
        number: u32,
        command_line: String,
    },
    EventHandler {
        item: Item,
        command_line: String,
    },
    /// One monitoring log line, `[epoch] BODY`.
    Log {
        line: String,
    },
}

/// Items marked changed since the last flush, each once, in the order first marked.
#[derive(Default)]
pub(crate) struct DirtySet {
    bits: Vec<u64>,
    list: Vec<Item>,
    hosts: usize,
}

impl DirtySet {
    fn new(hosts: usize, services: usize) -> Self {
        DirtySet {
            bits: vec![0; (hosts + services).div_ceil(64)],
            list: Vec::new(),
            hosts,
        }
    }

    fn mark(&mut self, item: Item) {
        let i = match item {
            Item::Host(h) => h.index(),
            Item::Service(s) => self.hosts + s.index(),
        };
        if let Some(word) = self.bits.get_mut(i / 64) {
            let bit = 1u64 << (i % 64);
            if *word & bit == 0 {
                *word |= bit;
                self.list.push(item);
            }
        }
    }

    pub(crate) fn take(&mut self) -> Vec<Item> {
        let list = std::mem::take(&mut self.list);
        for item in &list {
            let i = match item {
                Item::Host(h) => h.index(),
                Item::Service(s) => self.hosts + s.index(),
            };
            if let Some(word) = self.bits.get_mut(i / 64) {
                *word &= !(1u64 << (i % 64));
            }
        }
        list
    }
}

/// What the engine records for its two listeners: brokers and a standby.
pub(crate) struct Tracker {
    pub broks_enabled: bool,
    pub retention_enabled: bool,
    pub seq: u64,
    pub broks: Vec<Brok>,
    pub dirty_broks: DirtySet,
    pub dirty_retention: DirtySet,
    pub retention: Vec<crate::retention::RetentionChange>,
}

impl Tracker {
    pub(crate) fn new(hosts: usize, services: usize) -> Self {
        Tracker {
            broks_enabled: true,
            retention_enabled: true,
            seq: 0,
            broks: Vec::new(),
            dirty_broks: DirtySet::new(hosts, services),
            dirty_retention: DirtySet::new(hosts, services),
            retention: Vec::new(),
        }
    }

    /// An item's status changed.
    pub(crate) fn touch(&mut self, item: Item) {
        if self.broks_enabled {
            self.dirty_broks.mark(item);
        }
        if self.retention_enabled {
            self.dirty_retention.mark(item);
        }
    }
}

impl Engine {
    /// Turns broks on or off (on by default). Off, nothing is recorded: for `vigia simulate`
    /// and benchmarks, which have no broker.
    pub fn set_broks_enabled(&mut self, enabled: bool) {
        self.track.broks_enabled = enabled;
        if !enabled {
            self.track.broks.clear();
            self.track.dirty_broks.take();
        }
    }

    pub(crate) fn push_brok(&mut self, body: BrokBody) {
        if !self.track.broks_enabled {
            return;
        }
        self.track.seq += 1;
        self.track.broks.push(Brok {
            version: BROK_VERSION,
            seq: self.track.seq,
            time: self.now,
            body,
        });
    }

    /// One status brok per item changed since the last flush; `checked` is the item whose check
    /// result caused the changes, told as a check result.
    pub(crate) fn flush_status_broks(&mut self, checked: Option<Item>) {
        if !self.track.broks_enabled {
            return;
        }
        for item in self.track.dirty_broks.take() {
            let status = self.status(item).clone();
            let body = if Some(item) == checked {
                BrokBody::CheckResult { item, status }
            } else {
                BrokBody::Status { item, status }
            };
            self.push_brok(body);
        }
    }

    /// Broks produced since the last call, in order.
    pub fn drain_broks(&mut self) -> Vec<Brok> {
        self.flush_status_broks(None);
        std::mem::take(&mut self.track.broks)
    }

    /// The full status, for a broker that starts (or restarts) listening: program status, every
    /// owned host and service, then the comments and downtimes, between
    /// [`BrokBody::InitialBegin`] and [`BrokBody::InitialEnd`]. Events still pending (log lines,
    /// notifications…) come first so that none is lost, numbered in the same sequence as
    /// [`Engine::drain_broks`], which carries on from there. Produced even when broks are off.
    pub fn initial_broks(&mut self) -> Vec<Brok> {
        // Status changes not yet told are in the initial statuses.
        self.track.dirty_broks.take();
        let mut pending = std::mem::take(&mut self.track.broks);
        let enabled = self.track.broks_enabled;
        self.track.broks_enabled = true;
        let config = std::sync::Arc::clone(&self.config);
        let owned_hosts: Vec<usize> = (0..config.hosts.len()).filter(|h| self.owned[*h]).collect();
        let owned_services: Vec<usize> = (0..config.services.len())
            .filter(|s| self.owned[config.services[*s].host.index()])
            .collect();
        self.push_brok(BrokBody::InitialBegin {
            hosts: owned_hosts.len() as u32,
            services: owned_services.len() as u32,
        });
        self.push_brok(BrokBody::ProgramStatus {
            started: self.started,
            globals: self.globals,
        });
        for h in owned_hosts {
            self.push_brok(BrokBody::InitialHostStatus {
                id: HostId(h as u32),
                name: config.hosts[h].name.clone(),
                status: self.hosts[h].clone(),
            });
        }
        for s in owned_services {
            let svc = &config.services[s];
            self.push_brok(BrokBody::InitialServiceStatus {
                id: ServiceId(s as u32),
                host: config.hosts[svc.host.index()].name.clone(),
                description: svc.description.to_string(),
                status: self.services[s].clone(),
            });
        }
        for comment in self.comments.clone() {
            self.push_brok(BrokBody::CommentAdded { comment });
        }
        for downtime in self.downtimes.clone() {
            let (id, active) = (downtime.id, downtime.active);
            self.push_brok(BrokBody::DowntimeAdded { downtime });
            if active {
                self.push_brok(BrokBody::DowntimeStarted { id });
            }
        }
        self.push_brok(BrokBody::InitialEnd);
        pending.append(&mut self.track.broks);
        self.track.broks_enabled = enabled;
        pending
    }
}
