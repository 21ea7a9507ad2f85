//! The resolved configuration: typed objects that refer to each other by index.
//!
//! Names are kept for display and for the wire, but every reference is a typed id into the
//! owning `Vec` of [`Config`], so the engine never looks a name up on its hot path and a dangling
//! reference cannot exist once loading succeeded.
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Location};
use crate::kind::ObjectKind;
use crate::timeperiod::Timeperiods;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id_type!(
    /// Index into [`Config::hosts`].
    HostId,
    /// Index into [`Config::services`].
    ServiceId,
    /// Index into [`Config::commands`].
    CommandId,
    /// Index into [`Config::timeperiods`].
    TimeperiodId,
    /// Index into [`Config::contacts`].
    ContactId,
    /// Index into [`Config::contactgroups`].
    ContactgroupId,
    /// Index into [`Config::hostgroups`].
    HostgroupId,
    /// Index into [`Config::servicegroups`].
    ServicegroupId,
    /// Index into [`Config::notificationways`].
    NotificationwayId,
    /// Index into [`Config::realms`].
    RealmId,
    /// Index into [`Config::daemons`].
    DaemonId,
);

/// A set of option letters (`d,u,r,f,s`, `w,c`, …): one bit per letter `a`..`z`, so the engine
/// tests an option without a search and an object carries its options in four bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Letters(pub u32);

impl Letters {
    pub fn contains(self, c: char) -> bool {
        c.is_ascii_lowercase() && self.0 & (1 << (c as u32 - 'a' as u32)) != 0
    }

    pub fn insert(&mut self, c: char) {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() {
            self.0 |= 1 << (c as u32 - 'a' as u32);
        }
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The letters in alphabetical order.
    pub fn iter(self) -> impl Iterator<Item = char> {
        ('a'..='z').filter(move |c| self.contains(*c))
    }
}

impl std::fmt::Display for Letters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for c in self.iter() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// `command_name!arg1!arg2` resolved: the command and its `$ARGn$` values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandCall {
    pub command: CommandId,
    /// As written (`name!arg1!arg2`): the arguments are read from it when a check runs.
    /// Shared: the same call written for 10,000 services is one string.
    pub raw: Arc<str>,
}

impl CommandCall {
    /// The `$ARGn$` values, `$ARG1$` first.
    pub fn args(&self) -> impl Iterator<Item = &str> {
        self.raw.split('!').skip(1)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    pub name: String,
    pub line: String,
    pub poller_tag: String,
    pub reactionner_tag: String,
    pub module_type: String,
    /// Seconds; `None` uses the daemon's default.
    pub timeout: Option<u32>,
    pub location: Location,
}

/// What hosts and services share: Alignak's `SchedulingItem`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Monitored {
    pub check_command: Option<CommandCall>,
    pub check_period: Option<TimeperiodId>,
    pub initial_state: char,
    pub max_check_attempts: u32,
    /// In units of `interval_length` seconds.
    pub check_interval: f64,
    pub retry_interval: f64,
    pub active_checks_enabled: bool,
    pub passive_checks_enabled: bool,
    pub check_freshness: bool,
    pub freshness_threshold: i32,
    pub freshness_state: char,
    pub event_handler_enabled: bool,
    pub flap_detection_enabled: bool,
    pub flap_detection_options: Letters,
    pub low_flap_threshold: f64,
    pub high_flap_threshold: f64,
    pub process_perf_data: bool,
    pub retain_status_information: bool,
    pub retain_nonstatus_information: bool,
    /// Shared between objects that name the same list.
    pub contacts: Arc<[ContactId]>,
    pub contact_groups: Arc<[ContactgroupId]>,
    pub notification_interval: f64,
    pub first_notification_delay: f64,
    pub notification_period: Option<TimeperiodId>,
    pub notification_options: Letters,
    pub notifications_enabled: bool,
    pub stalking_options: Letters,
    pub business_impact: i32,
    pub maintenance_period: Option<TimeperiodId>,
    pub time_to_orphanage: i32,
    /// What few objects set, behind one pointer so that a plain service stays small.
    pub details: Option<Box<Details>>,
    pub location: Location,
}

/// The rarely set part of a host or service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    pub display_name: String,
    /// `None`: untagged, run by any poller.
    pub poller_tag: Option<String>,
    pub reactionner_tag: Option<String>,
    pub event_handler: Option<CommandCall>,
    /// Names of Alignak `escalation` objects (see [`Config::escalations`] for the resolved ones).
    pub escalation_names: Vec<String>,
    /// `_NAME value`, names upper-cased without the underscore.
    pub customs: BTreeMap<String, String>,
    /// Known properties the engine does not interpret (notes, icons, …), kept for the UI.
    pub extra: BTreeMap<String, String>,
}

static NO_DETAILS: std::sync::LazyLock<Details> = std::sync::LazyLock::new(Details::default);

impl Monitored {
    pub fn details(&self) -> &Details {
        self.details.as_deref().unwrap_or(&NO_DETAILS)
    }

    pub fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_with(Default::default)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Host {
    pub name: String,
    pub alias: String,
    pub address: String,
    pub parents: Vec<HostId>,
    pub hostgroups: Vec<HostgroupId>,
    pub realm: Option<RealmId>,
    pub services: Vec<ServiceId>,
    pub common: Monitored,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub host: HostId,
    /// Shared between the services of the same name on different hosts.
    pub description: Arc<str>,
    pub servicegroups: Vec<ServicegroupId>,
    pub is_volatile: bool,
    pub parallelize_check: bool,
    pub host_dependency_enabled: bool,
    pub common: Monitored,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub alias: String,
    pub email: String,
    pub pager: String,
    pub addresses: Vec<String>,
    pub contactgroups: Vec<ContactgroupId>,
    /// Notification ways have no such switches: these gate the contact's ways too.
    pub host_notifications_enabled: bool,
    pub service_notifications_enabled: bool,
    /// Used when the contact has no notification ways.
    pub notifications: NotificationSettings,
    pub notificationways: Vec<NotificationwayId>,
    pub can_submit_commands: bool,
    pub is_admin: bool,
    pub customs: BTreeMap<String, String>,
    pub extra: BTreeMap<String, String>,
    pub location: Location,
}

/// When, for what and how someone is notified about one kind of object (hosts or services):
/// what Nagios writes as `host_notification_*` or `service_notification_*`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationChannel {
    pub period: Option<TimeperiodId>,
    pub options: Letters,
    pub commands: Vec<CommandCall>,
}

/// What a contact and a notification way both say about notifying: a way is a second set of
/// the contact's own settings, so both carry this one type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationSettings {
    pub host: NotificationChannel,
    pub service: NotificationChannel,
    pub min_business_impact: i64,
}

/// Alignak/Shinken notification ways: one contact, several channels with their own filters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notificationway {
    pub name: String,
    pub notifications: NotificationSettings,
    pub location: Location,
}

/// A host, service or contact group, its members from both sides and nested groups flattened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group<Member> {
    pub name: String,
    pub alias: String,
    pub members: Vec<Member>,
    pub extra: BTreeMap<String, String>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostDependency {
    pub master: HostId,
    pub dependent: HostId,
    pub inherits_parent: bool,
    pub execution_failure_criteria: Letters,
    pub notification_failure_criteria: Letters,
    pub dependency_period: Option<TimeperiodId>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceDependency {
    pub master: ServiceId,
    pub dependent: ServiceId,
    pub inherits_parent: bool,
    pub execution_failure_criteria: Letters,
    pub notification_failure_criteria: Letters,
    pub dependency_period: Option<TimeperiodId>,
    pub location: Location,
}

/// What an escalation applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EscalationTarget {
    Host(HostId),
    Service(ServiceId),
}

/// A host, service or Alignak escalation, applied to one object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub target: EscalationTarget,
    pub first_notification: Option<u32>,
    /// 0: no end.
    pub last_notification: Option<u32>,
    /// Alignak: by time since the problem started, in `interval_length` units.
    pub first_notification_time: Option<f64>,
    pub last_notification_time: Option<f64>,
    pub notification_interval: f64,
    pub escalation_period: Option<TimeperiodId>,
    pub escalation_options: Letters,
    pub contacts: Vec<ContactId>,
    pub contact_groups: Vec<ContactgroupId>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Realm {
    pub name: String,
    pub alias: String,
    pub members: Vec<RealmId>,
    pub default: bool,
    pub location: Option<Location>,
}

/// The six roles of an installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Arbiter,
    Scheduler,
    Poller,
    Reactionner,
    Broker,
    Receiver,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Arbiter,
        Role::Scheduler,
        Role::Poller,
        Role::Reactionner,
        Role::Broker,
        Role::Receiver,
    ];

    pub fn kind(self) -> ObjectKind {
        match self {
            Role::Arbiter => ObjectKind::Arbiter,
            Role::Scheduler => ObjectKind::Scheduler,
            Role::Poller => ObjectKind::Poller,
            Role::Reactionner => ObjectKind::Reactionner,
            Role::Broker => ObjectKind::Broker,
            Role::Receiver => ObjectKind::Receiver,
        }
    }

    pub fn from_kind(kind: ObjectKind) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.kind() == kind)
    }

    pub fn name(self) -> &'static str {
        self.kind().keyword()
    }

    /// Alignak's default ports (the receiver's is 7773, not its link's buggy 7772).
    pub fn default_port(self) -> u16 {
        match self {
            Role::Scheduler => 7768,
            Role::Reactionner => 7769,
            Role::Arbiter => 7770,
            Role::Poller => 7771,
            Role::Broker => 7772,
            Role::Receiver => 7773,
        }
    }
}

/// A daemon link: where a daemon listens and what it serves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaemonLink {
    pub role: Role,
    pub name: String,
    pub address: String,
    pub port: u16,
    pub spare: bool,
    pub active: bool,
    pub realm: RealmId,
    pub manage_sub_realms: bool,
    pub manage_arbiters: bool,
    pub passive: bool,
    pub weight: u32,
    /// Poller or reactionner tags served (`None` = untagged work).
    pub tags: Vec<String>,
    /// Seconds before a ping fails (legacy `timeout`).
    pub timeout: u32,
    pub data_timeout: u32,
    /// Failed pings before the link is declared dead.
    pub max_check_attempts: u32,
    /// Seconds between two health checks.
    pub check_interval: u32,
    pub polling_interval: u32,
    /// A scheduler cut off from every arbiter holds notifications and event handlers this many
    /// seconds at most, waiting to be confirmed (0: never holds; see ARCHITECTURE.md).
    pub isolated_notification_hold: u32,
    pub modules: Vec<String>,
    pub extra: BTreeMap<String, String>,
    /// `None` for the daemons implied when a configuration defines none.
    pub location: Option<Location>,
}

/// An object type the engine does not interpret yet (modulations, modules, ext-info), kept whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OtherObject {
    pub kind: ObjectKind,
    pub name: String,
    pub props: BTreeMap<String, String>,
    pub location: Location,
}

/// One scheduler's share of the configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub realm: RealmId,
    pub scheduler: DaemonId,
    pub hosts: Vec<HostId>,
    pub services: usize,
    /// Stable content hash: the same objects always give the same hash.
    pub hash: String,
}

/// A whole, valid configuration.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Config {
    /// Global parameters as written (`interval_length`, …).
    pub globals: BTreeMap<String, String>,
    /// `$USERn$` and other `$NAME$` macros, by name without dollars.
    pub resources: BTreeMap<String, String>,
    pub interval_length: u32,
    pub commands: Vec<Command>,
    pub timeperiods: Timeperiods,
    pub hosts: Vec<Host>,
    pub services: Vec<Service>,
    pub contacts: Vec<Contact>,
    pub contactgroups: Vec<Group<ContactId>>,
    pub hostgroups: Vec<Group<HostId>>,
    pub servicegroups: Vec<Group<ServiceId>>,
    pub notificationways: Vec<Notificationway>,
    pub hostdependencies: Vec<HostDependency>,
    pub servicedependencies: Vec<ServiceDependency>,
    pub escalations: Vec<Escalation>,
    pub realms: Vec<Realm>,
    pub daemons: Vec<DaemonLink>,
    pub others: Vec<OtherObject>,
    pub parts: Vec<Part>,
    /// `cgi.cfg` beside the main file: who sees and acts on everything in the web UI.
    #[serde(default)]
    pub web_access: crate::cgi::WebAccess,
    /// The rules it was read with ([`crate::dialect`]), and why.
    pub dialect: crate::dialect::Dialect,
    pub dialect_why: String,
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

impl Config {
    /// The dialect and why, as a [`crate::LoadError`] carries them.
    pub fn dialect_and_reason(&self) -> (crate::dialect::Dialect, String) {
        (self.dialect, self.dialect_why.clone())
    }
}
