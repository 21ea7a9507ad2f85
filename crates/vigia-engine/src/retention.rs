//! Retention: every dynamic state of an engine as one versioned document, keyed by object names
//! so that it survives a configuration change (objects that no longer exist are dropped, new ones
//! start fresh). Restoring a snapshot into a new engine reproduces states, attempts,
//! acknowledgements, comments, downtimes, notification numbers and next check times exactly.
use serde::{Deserialize, Serialize};

use crate::comments::Comment;
use crate::downtime::Downtime;
use crate::engine::{Due, Engine};
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
}

/// An item by its names: host, and service description for a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The engine's dynamic state, for the objects of its part.
    pub fn snapshot(&self) -> Retention {
        let c = &self.config;
        let hosts = (0..c.hosts.len())
            .filter(|&h| self.owned[h])
            .map(|h| (c.hosts[h].name.clone(), self.hosts[h].clone()))
            .collect();
        let services = (0..c.services.len())
            .filter(|&s| self.owned[c.services[s].host.index()])
            .map(|s| {
                let svc = &c.services[s];
                (
                    c.hosts[svc.host.index()].name.clone(),
                    svc.description.to_string(),
                    self.services[s].clone(),
                )
            })
            .collect();
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
        }
    }

    fn item_name_of(&self, item: Item) -> ItemName {
        let (host, service) = self.item_name(item);
        ItemName { host, service }
    }

    fn item_of(&self, name: &ItemName) -> Option<Item> {
        let c = &self.config;
        let h = c.hosts.iter().position(|x| x.name == name.host)?;
        match &name.service {
            None => Some(Item::Host(vigia_config::model::HostId(h as u32))),
            Some(desc) => c.hosts[h]
                .services
                .iter()
                .find(|s| &*c.services[s.index()].description == desc.as_str())
                .map(|s| Item::Service(*s)),
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
        self.comments = r
            .comments
            .into_iter()
            .filter_map(|(name, mut cm)| {
                cm.item = self.item_of(&name)?;
                Some(cm)
            })
            .collect();
        self.downtimes = r
            .downtimes
            .into_iter()
            .filter_map(|(name, mut d)| {
                d.item = self.item_of(&name)?;
                Some(d)
            })
            .collect();
        self.next_comment_id = self.next_comment_id.max(r.next_comment_id);
        self.next_downtime_id = self.next_downtime_id.max(r.next_downtime_id);
        // The schedule follows the restored times.
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
        Ok(report)
    }
}
