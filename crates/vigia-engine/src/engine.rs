//! The engine: one configuration part, its states, its schedule, and what it asks others to run.
//!
//! Everything happens through four calls: [`Engine::advance`] moves the clock and hands out due
//! actions, [`Engine::submit`] takes a check result, [`Engine::command`] takes an external
//! command, [`Engine::drain_log`] gives the monitoring log lines produced. What changed is also
//! told as broks ([`Engine::drain_broks`]) for brokers and as retention changes
//! ([`Engine::drain_retention_changes`]) for a standby. No call reads a clock or sleeps, so a day
//! of monitoring can be replayed in a second and every run is reproducible.
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use vigia_config::model::{Config, HostId};

use crate::status::{Item, Status, Switches};

/// Something the engine wants run by a poller or a reactionner.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Action {
    /// Unique within the engine's life: results name the action they answer.
    pub id: u64,
    pub item: Item,
    pub kind: ActionKind,
    /// The command line with every macro resolved.
    pub command_line: String,
    /// Seconds; `None` uses the daemon's default.
    pub timeout: Option<u32>,
    /// Poller or reactionner tag (`None`: untagged).
    pub tag: Option<String>,
    /// When it is meant to start (epoch seconds): the engine's due second; the scheduler
    /// daemon may spread one second's checks over that second, and latency counts from here.
    #[serde(default)]
    pub due: f64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ActionKind {
    Check,
    Notification {
        contact: vigia_config::model::ContactId,
        kind: NotificationKind,
        number: u32,
    },
    EventHandler,
}

/// Nagios notification types (`$NOTIFICATIONTYPE$`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NotificationKind {
    Problem,
    Recovery,
    Acknowledgement,
    FlappingStart,
    FlappingStop,
    FlappingDisabled,
    DowntimeStart,
    DowntimeEnd,
    DowntimeCancelled,
    Custom,
}

impl NotificationKind {
    pub fn name(self) -> &'static str {
        match self {
            NotificationKind::Problem => "PROBLEM",
            NotificationKind::Recovery => "RECOVERY",
            NotificationKind::Acknowledgement => "ACKNOWLEDGEMENT",
            NotificationKind::FlappingStart => "FLAPPINGSTART",
            NotificationKind::FlappingStop => "FLAPPINGSTOP",
            NotificationKind::FlappingDisabled => "FLAPPINGDISABLED",
            NotificationKind::DowntimeStart => "DOWNTIMESTART",
            NotificationKind::DowntimeEnd => "DOWNTIMEEND",
            NotificationKind::DowntimeCancelled => "DOWNTIMECANCELLED",
            NotificationKind::Custom => "CUSTOM",
        }
    }
}

/// What a poller (or the engine's own scripted source) reports for a check.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckResult {
    /// The [`Action::id`] it answers; 0 for a passive result.
    pub action: u64,
    pub item: Item,
    /// Plugin exit code (already mapped for timeouts by the executor).
    pub exit_code: i32,
    /// The plugin output's first line, before any `|` (see [`crate::output::split`]: the
    /// executor cuts an active check's text, the engine a passive result's, by the same rules).
    pub output: String,
    /// The lines after the first, up to a `|`.
    #[serde(default)]
    pub long_output: String,
    /// Performance data: after the first line's `|`, and after the long output's `|`.
    #[serde(default)]
    pub perfdata: String,
    pub start: f64,
    pub end: f64,
    /// When the check was meant to start (its action's `due`); 0: the item's next check
    /// time. Latency is `start` minus this.
    #[serde(default)]
    pub scheduled: f64,
}

/// Global switches (`enable_notifications`, …) as configured, then as changed by commands;
/// retained across restarts like Nagios's program-wide modified attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Globals {
    pub notifications: bool,
    pub event_handlers: bool,
    pub flap_detection: bool,
    pub execute_service_checks: bool,
    pub execute_host_checks: bool,
    pub accept_passive_service_checks: bool,
    pub accept_passive_host_checks: bool,
}

/// What the monitoring log records (`log_*` settings): configuration only, never changed by
/// commands. Defaults are Alignak's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogOptions {
    pub service_retries: bool,
    pub host_retries: bool,
    /// `PASSIVE … CHECK` lines instead of `EXTERNAL COMMAND` for passive results (Alignak
    /// default off; Nagios default on).
    pub passive_checks: bool,
    pub external_commands: bool,
    /// `CURRENT … STATE` lines when the engine starts (default off, as in both).
    pub initial_states: bool,
}

/// A due event in the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Due {
    Check(Item),
    /// `SCHEDULE_FORCED_*_CHECK`: runs whatever the switches and periods say.
    ForcedCheck(Item),
    Notification(Item),
    DowntimeStart(u64),
    DowntimeEnd(u64),
    Freshness(Item),
    /// An acknowledgement with an end time (Alignak `*_PROBLEM_EXPIRE`).
    AckExpire(Item),
}

/// The monitoring engine for one configuration part.
pub struct Engine {
    pub(crate) config: Arc<Config>,
    pub(crate) hosts: Vec<Status>,
    pub(crate) services: Vec<Status>,
    /// The hosts this engine owns (its part); others are known but not scheduled.
    pub(crate) owned: Vec<bool>,
    /// (time, rank, sequence, event): at the same second checks go before notifications, so a
    /// notification sees the result of a check due at the same moment.
    pub(crate) schedule: BinaryHeap<Reverse<(i64, u8, u64, Due)>>,
    pub(crate) seq: u64,
    pub(crate) now: i64,
    pub(crate) next_action: u64,
    pub(crate) pending: Vec<Action>,
    pub(crate) log: Vec<String>,
    pub(crate) globals: Globals,
    pub(crate) log_options: LogOptions,
    pub(crate) tz: jiff::tz::TimeZone,
    /// Illegal characters stripped from output macros (`illegal_macro_output_chars`).
    pub(crate) illegal_output_chars: String,
    pub(crate) max_output_length: usize,
    pub(crate) comments: Vec<crate::comments::Comment>,
    pub(crate) next_comment_id: u64,
    pub(crate) downtimes: Vec<crate::downtime::Downtime>,
    pub(crate) next_downtime_id: u64,
    pub(crate) dependencies_of: rustc_hash::FxHashMap<Item, Vec<u32>>,
    /// When this engine started: freshness of never-checked objects counts from here.
    pub(crate) started: i64,
    /// Host indices sorted by name: external commands name hosts, and this costs 4 bytes a host
    /// where a name map would cost a copy of every name.
    pub(crate) host_order: Vec<u32>,
    /// Values changed by commands (intervals, attempts, custom variables); few items have any.
    pub(crate) overrides: rustc_hash::FxHashMap<Item, crate::modattr::Overrides>,
    /// Business rules (`bp_rule!EXPR`) by the item they compute, and who watches whom.
    pub(crate) business: crate::business::Rules,
    /// Broks and retention changes not yet drained.
    pub(crate) track: crate::brok::Tracker,
    /// Per command source (a receiver), the last numbered batch applied: see
    /// [`Engine::command_mark`].
    pub(crate) command_marks: std::collections::BTreeMap<String, u64>,
}

impl Engine {
    /// An engine for the hosts of `part` (all hosts when `None`), starting at `now` (epoch
    /// seconds), with local time `tz` for timeperiods. First checks are spread over
    /// `max_*_check_spread` minutes, deterministically from `seed`.
    pub fn new(config: Arc<Config>, part: Option<&[HostId]>, now: i64, tz: jiff::tz::TimeZone, seed: u64) -> Engine {
        let flag = |key: &str, default: bool| {
            config
                .globals
                .get(key)
                .map_or(default, |v| vigia_config::values::parse_bool(v).unwrap_or(default))
        };
        let globals = Globals {
            notifications: flag("enable_notifications", true),
            event_handlers: flag("enable_event_handlers", true),
            flap_detection: flag("enable_flap_detection", true),
            execute_service_checks: flag("execute_service_checks", true),
            execute_host_checks: flag("execute_host_checks", true),
            accept_passive_service_checks: flag("accept_passive_service_checks", true),
            accept_passive_host_checks: flag("accept_passive_host_checks", true),
        };
        let log_options = LogOptions {
            service_retries: flag("log_service_retries", true),
            host_retries: flag("log_host_retries", true),
            passive_checks: flag("log_passive_checks", false),
            external_commands: flag("log_external_commands", true),
            initial_states: flag("log_initial_states", false),
        };
        let switches = |m: &vigia_config::model::Monitored| Switches {
            active_checks: m.active_checks_enabled,
            passive_checks: m.passive_checks_enabled,
            notifications: m.notifications_enabled,
            event_handler: m.event_handler_enabled,
            flap_detection: m.flap_detection_enabled,
        };
        let hosts = config
            .hosts
            .iter()
            .map(|h| Status::new(initial_host_state(h.common.initial_state), switches(&h.common)))
            .collect();
        let services = config
            .services
            .iter()
            .map(|s| Status::new(initial_service_state(s.common.initial_state), switches(&s.common)))
            .collect();
        let mut owned = vec![part.is_none(); config.hosts.len()];
        for h in part.into_iter().flatten() {
            if let Some(o) = owned.get_mut(h.index()) {
                *o = true;
            }
        }
        let illegal_output_chars = config
            .globals
            .get("illegal_macro_output_chars")
            .cloned()
            .unwrap_or_default();
        let max_output_length = config
            .globals
            .get("max_plugins_output_length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(8192);
        let mut host_order: Vec<u32> = (0..config.hosts.len() as u32).collect();
        host_order.sort_unstable_by(|a, b| config.hosts[*a as usize].name.cmp(&config.hosts[*b as usize].name));
        let track = crate::brok::Tracker::new(config.hosts.len(), config.services.len());
        let mut engine = Engine {
            config,
            hosts,
            services,
            owned,
            schedule: BinaryHeap::new(),
            seq: 0,
            now,
            next_action: 1,
            pending: Vec::new(),
            log: Vec::new(),
            globals,
            log_options,
            tz,
            illegal_output_chars,
            max_output_length,
            comments: Vec::new(),
            next_comment_id: 0,
            downtimes: Vec::new(),
            next_downtime_id: 0,
            command_marks: std::collections::BTreeMap::new(),
            dependencies_of: rustc_hash::FxHashMap::default(),
            started: now,
            host_order,
            overrides: rustc_hash::FxHashMap::default(),
            business: crate::business::Rules::default(),
            track,
        };
        engine.dependencies_of = crate::dependencies::index(&engine.config);
        engine.business = crate::business::Rules::build(&engine.config);
        engine.schedule_initial_checks(seed);
        engine.schedule_freshness();
        if engine.log_options.initial_states {
            engine.log_current_states();
        }
        engine
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn status(&self, item: Item) -> &Status {
        match item {
            Item::Host(h) => &self.hosts[h.index()],
            Item::Service(s) => &self.services[s.index()],
        }
    }

    /// The one way to change a status: it marks the item changed for broks and retention.
    pub(crate) fn status_mut(&mut self, item: Item) -> &mut Status {
        self.track.touch(item);
        match item {
            Item::Host(h) => &mut self.hosts[h.index()],
            Item::Service(s) => &mut self.services[s.index()],
        }
    }

    /// Whether this engine's part holds the item.
    pub fn owns(&self, item: Item) -> bool {
        let host = match item {
            Item::Host(h) => h,
            Item::Service(s) => self.config.services[s.index()].host,
        };
        self.owned.get(host.index()).copied().unwrap_or(false)
    }

    /// When the next scheduled event is due (checks, notifications), if any.
    pub fn next_event(&self) -> Option<i64> {
        self.schedule.peek().map(|Reverse((t, _, _, _))| *t)
    }

    /// Moves the clock to `now` (never backwards) and returns every action due by then.
    pub fn advance(&mut self, now: i64) -> Vec<Action> {
        self.now = self.now.max(now);
        while let Some(&Reverse((at, _, _, due))) = self.schedule.peek() {
            if at > self.now {
                break;
            }
            self.schedule.pop();
            match due {
                Due::Check(item) => self.run_due_check(item, at),
                Due::ForcedCheck(item) => self.run_forced_check(item, at),
                Due::Notification(item) => self.renotify_if_due(item, at),
                Due::DowntimeStart(id) => self.start_downtime(id),
                Due::DowntimeEnd(id) => self.end_downtime(id),
                Due::Freshness(item) => self.check_freshness(item),
                Due::AckExpire(item) => self.expire_acknowledgement(item, at),
            }
        }
        self.flush_status_broks(None);
        std::mem::take(&mut self.pending)
    }

    /// The monitoring log lines produced since the last call, each `[epoch] BODY`.
    pub fn drain_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    /// Writes one monitoring log line (a body from [`crate::log`]) and tells brokers.
    pub(crate) fn log(&mut self, body: String) {
        let line = format!("[{}] {}", self.now, body);
        if self.track.broks_enabled {
            self.push_brok(crate::brok::BrokBody::Log { line: line.clone() });
        }
        self.log.push(line);
    }

    /// `CURRENT HOST STATE` / `CURRENT SERVICE STATE` for every owned host and service: what a
    /// daemon writes at the top of each new log file (rotation) and, with `log_initial_states`,
    /// at start.
    pub fn log_current_states(&mut self) {
        let config = Arc::clone(&self.config);
        let items: Vec<Item> = self.all_items().filter(|i| self.owns(*i)).collect();
        for item in items {
            let st = self.status(item);
            let line = crate::log::current_state(
                subject(&config, item),
                crate::status::state_name(item, st.state),
                st.state_type,
                st.attempt,
                &st.output,
            );
            self.log(line);
        }
    }

    pub(crate) fn push_schedule(&mut self, at: i64, due: Due) {
        self.seq += 1;
        let rank = match due {
            Due::DowntimeStart(_) | Due::DowntimeEnd(_) | Due::AckExpire(_) => 0,
            Due::Check(_) | Due::ForcedCheck(_) | Due::Freshness(_) => 1,
            Due::Notification(_) => 2,
        };
        self.schedule.push(Reverse((at, rank, self.seq, due)));
    }

    pub(crate) fn new_action_id(&mut self) -> u64 {
        let id = self.next_action;
        self.next_action += 1;
        id
    }

    pub(crate) fn item_name(&self, item: Item) -> (String, Option<String>) {
        match item {
            Item::Host(h) => (self.config.hosts[h.index()].name.clone(), None),
            Item::Service(s) => {
                let svc = &self.config.services[s.index()];
                (
                    self.config.hosts[svc.host.index()].name.clone(),
                    Some(svc.description.to_string()),
                )
            }
        }
    }

    /// A host by name, whether this engine owns it or not.
    pub fn find_host(&self, name: &str) -> Option<HostId> {
        let hosts = &self.config.hosts;
        self.host_order
            .binary_search_by(|i| hosts[*i as usize].name.as_str().cmp(name))
            .ok()
            .map(|pos| HostId(self.host_order[pos]))
    }

    /// A service by host name and description, whether this engine owns it or not.
    pub fn find_service(&self, host: &str, description: &str) -> Option<vigia_config::model::ServiceId> {
        let h = self.find_host(host)?;
        self.config.hosts[h.index()]
            .services
            .iter()
            .copied()
            .find(|s| &*self.config.services[s.index()].description == description)
    }

    pub(crate) fn monitored(&self, item: Item) -> &vigia_config::model::Monitored {
        match item {
            Item::Host(h) => &self.config.hosts[h.index()].common,
            Item::Service(s) => &self.config.services[s.index()].common,
        }
    }
}

/// The names of an item, for log lines.
pub(crate) fn subject(config: &Config, item: Item) -> crate::log::Subject<'_> {
    match item {
        Item::Host(h) => crate::log::Subject::host(&config.hosts[h.index()].name),
        Item::Service(s) => {
            let svc = &config.services[s.index()];
            crate::log::Subject::service(&config.hosts[svc.host.index()].name, &svc.description)
        }
    }
}

fn initial_host_state(c: char) -> u8 {
    match c {
        'd' => 1,
        'u' | 'x' => 2,
        _ => 0,
    }
}

fn initial_service_state(c: char) -> u8 {
    match c {
        'w' => 1,
        'c' => 2,
        'u' | 'x' => 3,
        _ => 0,
    }
}
