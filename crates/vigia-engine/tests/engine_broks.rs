//! Broks: the initial full status and the incremental events are enough for a broker to rebuild
//! every status, comment and downtime; sequence numbers only grow.
use std::collections::BTreeMap;
use std::sync::Arc;

use vigia_engine::brok::{Brok, BrokBody, BROK_VERSION};
use vigia_engine::comments::Comment;
use vigia_engine::downtime::Downtime;
use vigia_engine::{ActionKind, CheckResult, Engine, Globals, Item, Status};

const START: i64 = 1_704_067_200;

const CONFIG: &str = "define timeperiod {\n timeperiod_name 24x7\n monday 00:00-24:00\n}\n\
define command {\n command_name check\n command_line /bin/true\n}\n\
define command {\n command_name notify\n command_line /bin/echo $NOTIFICATIONTYPE$\n}\n\
define contact {\n contact_name admin\n service_notification_commands notify\n host_notification_commands notify\n}\n\
define host {\n host_name h1\n check_command check\n check_interval 5\n contacts admin\n}\n\
define host {\n host_name h2\n check_command check\n check_interval 5\n contacts admin\n}\n\
define service {\n host_name h1,h2\n service_description s\n check_command check\n check_interval 5\n retry_interval 1\n max_check_attempts 2\n notification_interval 30\n contacts admin\n}\n";

fn engine() -> Engine {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.cfg");
    std::fs::write(&path, CONFIG).expect("write");
    let config = vigia_config::load(&path).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics.items));
    Engine::new(Arc::new(config), None, START, jiff::tz::TimeZone::UTC, 0)
}

/// What a broker keeps, rebuilt from broks only.
#[derive(Default)]
struct Broker {
    statuses: BTreeMap<Item, Status>,
    names: BTreeMap<Item, String>,
    comments: BTreeMap<u64, Comment>,
    downtimes: BTreeMap<u64, Downtime>,
    globals: Option<Globals>,
    log: Vec<String>,
    notifications: usize,
    last_seq: u64,
}

impl Broker {
    fn apply(&mut self, broks: Vec<Brok>) {
        for b in broks {
            assert_eq!(b.version, BROK_VERSION);
            assert!(
                b.seq > self.last_seq,
                "sequence numbers grow: {} after {}",
                b.seq,
                self.last_seq
            );
            self.last_seq = b.seq;
            match b.body {
                BrokBody::InitialBegin { .. } => {
                    self.statuses.clear();
                    self.comments.clear();
                    self.downtimes.clear();
                }
                BrokBody::ProgramStatus { globals, .. } => self.globals = Some(globals),
                BrokBody::InitialHostStatus { id, name, status } => {
                    self.names.insert(Item::Host(id), name);
                    self.statuses.insert(Item::Host(id), status);
                }
                BrokBody::InitialServiceStatus {
                    id,
                    host,
                    description,
                    status,
                } => {
                    self.names.insert(Item::Service(id), format!("{host};{description}"));
                    self.statuses.insert(Item::Service(id), status);
                }
                BrokBody::CheckResult { item, status } | BrokBody::Status { item, status } => {
                    assert!(self.names.contains_key(&item), "known from the initial broks");
                    self.statuses.insert(item, status);
                }
                BrokBody::CommentAdded { comment } => {
                    self.comments.insert(comment.id, comment);
                }
                BrokBody::CommentDeleted { id } => {
                    self.comments.remove(&id);
                }
                BrokBody::DowntimeAdded { downtime } => {
                    self.downtimes.insert(downtime.id, downtime);
                }
                BrokBody::DowntimeStarted { id } => {
                    if let Some(d) = self.downtimes.get_mut(&id) {
                        d.active = true;
                    }
                }
                BrokBody::DowntimeRemoved { id, .. } => {
                    self.downtimes.remove(&id);
                }
                BrokBody::Log { line } => self.log.push(line),
                BrokBody::Notification { .. } => self.notifications += 1,
                _ => {}
            }
        }
    }
}

fn answer_all(e: &mut Engine, until: i64, code: impl Fn(Item) -> i32) {
    while let Some(t) = e.next_event().filter(|t| *t <= until) {
        let mut actions = e.advance(t);
        while !actions.is_empty() {
            for a in std::mem::take(&mut actions) {
                if a.kind == ActionKind::Check {
                    let c = code(a.item);
                    e.submit(CheckResult {
                        action: a.id,
                        item: a.item,
                        exit_code: c,
                        output: format!("code {c}"),
                        long_output: String::new(),
                        perfdata: String::new(),
                        start: t as f64,
                        end: t as f64,
                        scheduled: 0.0,
                    });
                }
            }
            actions = e.advance(t);
        }
    }
    e.advance(until);
}

#[test]
fn initial_broks_hold_every_status() {
    let mut e = engine();
    let initial = e.initial_broks();
    assert!(matches!(
        initial[0].body,
        BrokBody::InitialBegin { hosts: 2, services: 2 }
    ));
    assert!(matches!(initial[1].body, BrokBody::ProgramStatus { .. }));
    assert!(matches!(initial.last().map(|b| &b.body), Some(BrokBody::InitialEnd)));
    assert_eq!(initial.len(), 2 + 2 + 2 + 1);
    let json = serde_json::to_string(&initial).expect("json");
    let back: Vec<Brok> = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, initial);
    assert!(json.contains("{\"initial_service_status\":{"), "{json}");
    let bytes = postcard::to_allocvec(&initial).expect("postcard");
    let back: Vec<Brok> = postcard::from_bytes(&bytes).expect("postcard parse");
    assert_eq!(back, initial);
    assert!(
        bytes.len() * 3 < json.len(),
        "postcard {} bytes, JSON {}",
        bytes.len(),
        json.len()
    );
}

#[test]
fn a_broker_rebuilds_the_whole_status_from_broks() {
    let mut e = engine();
    let mut broker = Broker::default();
    broker.apply(e.initial_broks());
    let s1 = Item::Service(e.find_service("h1", "s").expect("s"));
    answer_all(&mut e, START + 900, |i| if i == s1 { 2 } else { 0 });
    let broks = e.drain_broks();
    assert!(
        broks
            .iter()
            .any(|b| matches!(&b.body, BrokBody::CheckResult { item, status } if *item == s1 && status.state == 2)),
        "a brok per check result"
    );
    broker.apply(broks);
    e.command("ACKNOWLEDGE_SVC_PROBLEM;h1;s;2;1;1;ops;known").expect("ack");
    e.command("ADD_HOST_COMMENT;h2;1;ops;note").expect("comment");
    e.command(&format!(
        "SCHEDULE_SVC_DOWNTIME;h2;s;{};{};1;0;0;ops;dt",
        START + 1000,
        START + 2000
    ))
    .expect("downtime");
    e.command("DISABLE_NOTIFICATIONS").expect("global");
    let broks = e.drain_broks();
    assert!(broks
        .iter()
        .any(|b| matches!(&b.body, BrokBody::AcknowledgeRaised { item, .. } if *item == s1)));
    assert!(broks
        .iter()
        .any(|b| matches!(&b.body, BrokBody::ProgramStatus { globals, .. } if !globals.notifications)));
    broker.apply(broks);
    answer_all(&mut e, START + 1500, |i| if i == s1 { 2 } else { 0 });
    broker.apply(e.drain_broks());
    assert_eq!(broker.downtimes.values().filter(|d| d.active).count(), 1);
    e.command("ENABLE_NOTIFICATIONS").expect("global");
    answer_all(&mut e, START + 3000, |_| 0);
    broker.apply(e.drain_broks());
    // Everything the engine knows, the broker knows.
    for (item, status) in &broker.statuses {
        assert_eq!(status, e.status(*item), "{}", broker.names[item]);
    }
    assert_eq!(broker.statuses.len(), 4);
    assert_eq!(broker.comments.values().cloned().collect::<Vec<_>>(), e.comments());
    assert_eq!(broker.downtimes.values().cloned().collect::<Vec<_>>(), e.downtimes());
    assert_eq!(broker.globals.map(|g| g.notifications), Some(true));
    assert!(broker.notifications > 0);
    assert!(broker
        .log
        .iter()
        .any(|l| l.ends_with("SERVICE ACKNOWLEDGE ALERT: h1;s;STARTED; Service problem has been acknowledged")));
}

#[test]
fn broks_can_be_turned_off() {
    let mut e = engine();
    e.set_broks_enabled(false);
    answer_all(&mut e, START + 900, |_| 2);
    e.command("ADD_HOST_COMMENT;h2;1;ops;note").expect("comment");
    assert!(e.drain_broks().is_empty());
    // The initial set is there whenever a broker asks.
    assert_eq!(e.initial_broks().len(), 2 + 2 + 2 + 1 + 1);
}
