//! The rows Livestatus tables are made of: each object's status (from the broks) joined with
//! its configuration (from its part's image) by the ids the part gives both, so that no name
//! is looked up per row. A part whose image has not come yet still shows its objects' status,
//! with empty configuration columns.
//!
//! Built per request from a [`Snapshot`]: [`Parts`] (per scheduler, status by id), then
//! [`HostRow`]s borrowing it, then [`ServiceRow`]s borrowing those, then group rows.
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use vigia_config::model::{ContactId, Host, Monitored, Service};
use vigia_config::Config;
use vigia_engine::comments::Comment;
use vigia_engine::downtime::Downtime;
use vigia_engine::status::{Item, Status};

use crate::broker::status::{HostSnapshot, ServiceSnapshot, Snapshot};

/// What every row may need besides its object: the time, the local time zone (for the
/// `in_*_period` columns).
pub struct Clock {
    pub now: i64,
    pub tz: jiff::tz::TimeZone,
}

impl Clock {
    /// Whether now is inside `period` of `config` (no period: always, as Nagios takes it).
    pub fn inside(&self, config: &Config, period: Option<vigia_config::model::TimeperiodId>) -> bool {
        period.is_none_or(|p| {
            jiff::Timestamp::from_second(self.now).is_ok_and(|t| config.timeperiods.is_inside(p.index(), t, &self.tz))
        })
    }
}

/// A timeperiod's name ("" for none).
pub fn period_name(config: &Config, period: Option<vigia_config::model::TimeperiodId>) -> String {
    period.map_or(String::new(), |p| config.timeperiods.periods[p.index()].name.clone())
}

/// One scheduler's objects: status by id, its part's configuration, comments and downtimes.
pub struct PartData<'a> {
    /// Its place in [`Parts::parts`].
    pub n: usize,
    pub scheduler: &'a str,
    /// `None` until the part's image came (or if it does not match the status).
    pub config: Option<&'a Config>,
    pub clock: &'a Clock,
    /// Sorted by id (the status store keeps them so): looked up by binary search.
    hosts: &'a [HostSnapshot],
    services: &'a [ServiceSnapshot],
    /// Per host id, the hosts that name it as parent: made when a `childs` column asks.
    children: OnceLock<Vec<Vec<u32>>>,
    pub comments: Vec<&'a Comment>,
    pub downtimes: Vec<&'a Downtime>,
    annotations: HashMap<Item, (Vec<u64>, Vec<u64>)>,
}

impl<'a> PartData<'a> {
    fn host(&self, id: u32) -> Option<(&'a str, &'a Status)> {
        let i = self.hosts.binary_search_by_key(&id, |h| h.0).ok()?;
        let (_, name, status) = &self.hosts[i];
        Some((name, status))
    }

    fn service(&self, id: u32) -> Option<(&'a str, &'a str, &'a Status)> {
        let i = self.services.binary_search_by_key(&id, |s| s.0).ok()?;
        let (_, host, description, status) = &self.services[i];
        Some((host, description, status))
    }

    fn children(&self) -> &[Vec<u32>] {
        self.children.get_or_init(|| {
            let Some(c) = self.config else { return Vec::new() };
            let mut children = vec![Vec::new(); c.hosts.len()];
            for (i, h) in c.hosts.iter().enumerate() {
                for p in &h.parents {
                    if let Some(list) = children.get_mut(p.index()) {
                        list.push(i as u32);
                    }
                }
            }
            children
        })
    }
}

pub struct Parts<'a> {
    pub parts: Vec<PartData<'a>>,
}

impl<'a> Parts<'a> {
    /// Joins the snapshot with the configurations (`configs[i]` is the part of
    /// `snapshot.schedulers[i]`, if its image is held).
    pub fn new(snapshot: &'a Snapshot, configs: &'a [Option<std::sync::Arc<Config>>], clock: &'a Clock) -> Parts<'a> {
        let parts = snapshot
            .schedulers
            .iter()
            .zip(configs)
            .enumerate()
            .map(|(n, (s, config))| {
                // The image must be the one the status comes from: same names at the same ids.
                let config = config.as_deref().filter(|c| {
                    s.hosts
                        .iter()
                        .all(|(id, name, _)| c.hosts.get(*id as usize).is_some_and(|h| *h.name == **name))
                        && s.services.iter().all(|(id, _, desc, _)| {
                            c.services.get(*id as usize).is_some_and(|x| *x.description == **desc)
                        })
                });
                let mut annotations: HashMap<Item, (Vec<u64>, Vec<u64>)> = HashMap::new();
                for c in &s.comments {
                    annotations.entry(c.item).or_default().0.push(c.id);
                }
                for d in &s.downtimes {
                    annotations.entry(d.item).or_default().1.push(d.id);
                }
                PartData {
                    n,
                    scheduler: &s.name,
                    config,
                    clock,
                    hosts: &s.hosts,
                    services: &s.services,
                    children: OnceLock::new(),
                    comments: s.comments.iter().collect(),
                    downtimes: s.downtimes.iter().collect(),
                    annotations,
                }
            })
            .collect();
        Parts { parts }
    }

    /// Every host, sorted by name.
    pub fn hosts(&self) -> Vec<HostRow<'_>> {
        let mut rows: Vec<HostRow<'_>> = self
            .parts
            .iter()
            .flat_map(|part| {
                part.hosts.iter().map(move |(id, name, status)| HostRow {
                    part,
                    id: *id,
                    name,
                    status,
                    conf: part.config.map(|c| &c.hosts[*id as usize]),
                })
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(b.name));
        rows
    }
}

/// Where each host row is: `(part number, host id)` → index in `hosts`.
fn host_slots(hosts: &[HostRow<'_>]) -> HashMap<(usize, u32), usize> {
    hosts.iter().enumerate().map(|(i, h)| ((h.part.n, h.id), i)).collect()
}

/// Every service of `hosts` (of the host named `host` only, when given: a query about one
/// host reads its services, not every one), sorted by host then description.
pub fn services<'h>(parts: &'h Parts<'_>, hosts: &'h [HostRow<'h>], host: Option<&str>) -> Vec<ServiceRow<'h>> {
    let mut rows = Vec::new();
    let mut push = |owner: &'h HostRow<'h>, id: u32| {
        let part = owner.part;
        if let Some((_, description, status)) = part.service(id) {
            rows.push(ServiceRow {
                host: owner,
                id,
                description,
                status,
                conf: part.config.map(|c| &c.services[id as usize]),
            });
        }
    };
    match host {
        Some(name) => {
            for h in hosts.iter().filter(|h| h.name == name) {
                match h.conf {
                    Some(conf) => conf.services.iter().for_each(|s| push(h, s.0)),
                    None => h
                        .part
                        .services
                        .iter()
                        .filter(|(_, hn, _, _)| **hn == *name)
                        .for_each(|s| push(h, s.0)),
                }
            }
        }
        None => {
            let slots = host_slots(hosts);
            for part in &parts.parts {
                let by_name: HashMap<&str, u32> = match part.config {
                    Some(_) => HashMap::new(),
                    None => part.hosts.iter().map(|(id, n, _)| (&**n, *id)).collect(),
                };
                for (id, host_name, _, _) in part.services {
                    let host_id = match part.config {
                        Some(c) => Some(c.services[*id as usize].host.0),
                        None => by_name.get(&**host_name).copied(),
                    };
                    if let Some(&i) = host_id.and_then(|h| slots.get(&(part.n, h))) {
                        push(&hosts[i], *id);
                    }
                }
            }
        }
    }
    rows.sort_by(|a, b| (a.host.name, a.description).cmp(&(b.host.name, b.description)));
    rows
}

pub struct HostRow<'a> {
    pub part: &'a PartData<'a>,
    pub id: u32,
    pub name: &'a str,
    pub status: &'a Status,
    pub conf: Option<&'a Host>,
}

pub struct ServiceRow<'a> {
    pub host: &'a HostRow<'a>,
    pub id: u32,
    pub description: &'a str,
    pub status: &'a Status,
    pub conf: Option<&'a Service>,
}

/// What hosts and services share: their status, configuration, part, comments.
pub trait Monitoring {
    fn part(&self) -> &PartData<'_>;
    fn status(&self) -> &Status;
    fn common(&self) -> Option<&Monitored>;
    fn item(&self) -> Item;

    fn config(&self) -> Option<&Config> {
        self.part().config
    }

    /// Contacts, directly or through a contact group (naemon's `contacts` column).
    fn contact_ids(&self) -> Vec<ContactId> {
        let (Some(m), Some(c)) = (self.common(), self.config()) else {
            return Vec::new();
        };
        let mut ids: Vec<ContactId> = m.contacts.to_vec();
        for g in m.contact_groups.iter() {
            ids.extend(c.contactgroups[g.index()].members.iter().copied());
        }
        ids.sort_by_key(|c| c.index());
        ids.dedup();
        ids
    }

    fn contact_names(&self) -> Vec<String> {
        let Some(c) = self.config() else { return Vec::new() };
        sorted(
            self.contact_ids()
                .iter()
                .map(|id| c.contacts[id.index()].name.clone())
                .collect(),
        )
    }

    fn contact_group_names(&self) -> Vec<String> {
        let (Some(m), Some(c)) = (self.common(), self.config()) else {
            return Vec::new();
        };
        sorted(
            m.contact_groups
                .iter()
                .map(|g| c.contactgroups[g.index()].name.clone())
                .collect(),
        )
    }

    /// The comment and downtime ids about it.
    fn annotations(&self) -> (Vec<u64>, Vec<u64>) {
        self.part().annotations.get(&self.item()).cloned().unwrap_or_default()
    }

    fn period_name(&self, period: Option<vigia_config::model::TimeperiodId>) -> String {
        self.config().map_or(String::new(), |c| period_name(c, period))
    }

    /// Whether now is inside `period` (no period, or no configuration yet: always).
    fn in_period(&self, period: Option<vigia_config::model::TimeperiodId>) -> bool {
        self.config().is_none_or(|c| self.part().clock.inside(c, period))
    }

    fn customs(&self) -> Vec<(String, String)> {
        self.common()
            .and_then(|m| m.details.as_ref())
            .map(|d| d.customs.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    fn extra(&self, key: &str) -> String {
        self.common()
            .and_then(|m| m.details.as_ref())
            .and_then(|d| d.extra.get(key).cloned())
            .unwrap_or_default()
    }

    fn display_name(&self) -> Option<String> {
        self.common()
            .and_then(|m| m.details.as_ref())
            .map(|d| d.display_name.clone())
            .filter(|d| !d.is_empty())
    }

    /// Whether `contact` may see it: one of its contacts, directly or through a group, or a
    /// contact of one of its escalations (as Nagios's CGIs decide).
    fn has_contact(&self, contact: &str) -> bool {
        let Some(c) = self.config() else { return false };
        let named = |id: &ContactId| c.contacts[id.index()].name == contact;
        if self.contact_ids().iter().any(named) {
            return true;
        }
        let target = match self.item() {
            Item::Host(h) => vigia_config::model::EscalationTarget::Host(h),
            Item::Service(s) => vigia_config::model::EscalationTarget::Service(s),
        };
        c.escalations.iter().filter(|e| e.target == target).any(|e| {
            e.contacts.iter().any(named)
                || e.contact_groups
                    .iter()
                    .any(|g| c.contactgroups[g.index()].members.iter().any(named))
        })
    }
}

impl Monitoring for HostRow<'_> {
    fn part(&self) -> &PartData<'_> {
        self.part
    }
    fn status(&self) -> &Status {
        self.status
    }
    fn common(&self) -> Option<&Monitored> {
        self.conf.map(|h| &h.common)
    }
    fn item(&self) -> Item {
        Item::Host(vigia_config::model::HostId(self.id))
    }
}

impl Monitoring for ServiceRow<'_> {
    fn part(&self) -> &PartData<'_> {
        self.host.part
    }
    fn status(&self) -> &Status {
        self.status
    }
    fn common(&self) -> Option<&Monitored> {
        self.conf.map(|s| &s.common)
    }
    fn item(&self) -> Item {
        Item::Service(vigia_config::model::ServiceId(self.id))
    }
}

impl HostRow<'_> {
    /// Its services' names and status, in configuration order.
    pub fn services(&self) -> Vec<(&str, &Status)> {
        let Some(h) = self.conf else { return Vec::new() };
        h.services
            .iter()
            .filter_map(|s| self.part.service(s.0))
            .map(|(_, desc, status)| (desc, status))
            .collect()
    }

    pub fn parent_names(&self) -> Vec<String> {
        let (Some(h), Some(c)) = (self.conf, self.part.config) else {
            return Vec::new();
        };
        h.parents.iter().map(|p| c.hosts[p.index()].name.clone()).collect()
    }

    pub fn child_names(&self) -> Vec<String> {
        let Some(c) = self.part.config else { return Vec::new() };
        self.part
            .children()
            .get(self.id as usize)
            .into_iter()
            .flatten()
            .map(|i| c.hosts[*i as usize].name.clone())
            .collect()
    }

    pub fn group_names(&self) -> Vec<String> {
        let (Some(h), Some(c)) = (self.conf, self.part.config) else {
            return Vec::new();
        };
        sorted(
            h.hostgroups
                .iter()
                .map(|g| c.hostgroups[g.index()].name.clone())
                .collect(),
        )
    }

    /// Under `AuthUser`: a contact of the host.
    pub fn visible_to(&self, contact: &str) -> bool {
        self.has_contact(contact)
    }
}

impl ServiceRow<'_> {
    pub fn group_names(&self) -> Vec<String> {
        let (Some(s), Some(c)) = (self.conf, self.host.part.config) else {
            return Vec::new();
        };
        sorted(
            s.servicegroups
                .iter()
                .map(|g| c.servicegroups[g.index()].name.clone())
                .collect(),
        )
    }

    /// Under `AuthUser`: a contact of the service or of its host (naemon's default
    /// `service_authorization=loose`, as Nagios's CGIs decide).
    pub fn visible_to(&self, contact: &str) -> bool {
        self.has_contact(contact) || self.host.has_contact(contact)
    }
}

/// Names in a list column, in name order: the same answer whatever the definition order.
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// A host or service group, merged over the parts (each part knows the members it holds).
pub struct GroupRow<'a, M> {
    pub name: String,
    pub alias: String,
    pub extra: BTreeMap<String, String>,
    pub members: Vec<&'a M>,
}

/// Every host group with its member rows, by name.
pub fn hostgroups<'h>(parts: &Parts<'_>, hosts: &'h [HostRow<'h>]) -> Vec<GroupRow<'h, HostRow<'h>>> {
    merged(
        parts,
        hosts,
        &host_slots(hosts),
        |c| &c.hostgroups,
        |m| m.0,
        |h| h.name.to_string(),
    )
}

/// Every service group with its member rows, by name.
pub fn servicegroups<'s>(parts: &Parts<'_>, services: &'s [ServiceRow<'s>]) -> Vec<GroupRow<'s, ServiceRow<'s>>> {
    let slot: HashMap<(usize, u32), usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.host.part.n, s.id), i))
        .collect();
    merged(
        parts,
        services,
        &slot,
        |c| &c.servicegroups,
        |m| m.0,
        |s| format!("{}\u{0}{}", s.host.name, s.description),
    )
}

/// The groups of every part merged by name (each part knows the members it holds: `slot`
/// finds a member's row from its part and id), members in `key` order.
fn merged<'r, M, I>(
    parts: &Parts<'_>,
    rows: &'r [M],
    slot: &HashMap<(usize, u32), usize>,
    groups_of: fn(&Config) -> &[vigia_config::model::Group<I>],
    id: fn(&I) -> u32,
    key: impl Fn(&M) -> String,
) -> Vec<GroupRow<'r, M>> {
    let mut groups: BTreeMap<String, GroupRow<'r, M>> = BTreeMap::new();
    for part in &parts.parts {
        let Some(c) = part.config else { continue };
        for g in groups_of(c) {
            let row = groups.entry(g.name.clone()).or_insert_with(|| GroupRow {
                name: g.name.clone(),
                alias: g.alias.clone(),
                extra: g.extra.clone(),
                members: Vec::new(),
            });
            row.members.extend(
                g.members
                    .iter()
                    .filter_map(|m| slot.get(&(part.n, id(m))).map(|i| &rows[*i])),
            );
        }
    }
    sorted_members(groups, key)
}

fn sorted_members<'a, M>(
    groups: BTreeMap<String, GroupRow<'a, M>>,
    key: impl Fn(&M) -> String,
) -> Vec<GroupRow<'a, M>> {
    groups
        .into_values()
        .map(|mut g| {
            g.members.sort_by_cached_key(|m| key(m));
            g
        })
        .collect()
}

/// The first part's configuration: what every part holds whole (commands, timeperiods,
/// contacts, contact groups).
pub fn shared_config<'a>(parts: &'a Parts<'_>) -> Option<&'a Config> {
    parts.parts.iter().find_map(|p| p.config)
}

/// The objects a comment or downtime is about: host and service names, and whether
/// `contact` may see it.
pub fn annotation_subject<'p>(part: &'p PartData<'_>, item: Item) -> (&'p str, Option<&'p str>) {
    match item {
        Item::Host(h) => (part.host(h.0).map_or("", |x| x.0), None),
        Item::Service(s) => match part.service(s.0) {
            Some((h, d, _)) => (h, Some(d)),
            None => ("", None),
        },
    }
}
