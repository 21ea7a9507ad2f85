//! Who runs what: every daemon's assignment from the configuration, the runners of the home
//! daemons' work and the standbys; pure (no I/O, no clock), so that a plan is a function of
//! the arbiter's view.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use vigia_config::model::{Config, DaemonLink, RealmId, Role};
use vigia_proto::{
    Assignment, BrokerWork, Fencing, PartImage, ReceiverWork, SatelliteWork, SchedulerLink, SchedulerWork, StandbyLink,
    Work,
};

use super::decide::GaveBack;

/// How other daemons reach `d`: `https://` when it serves TLS (`use_ssl 1`).
pub fn url(d: &DaemonLink) -> String {
    let tls = d.extra.get("use_ssl").is_some_and(|v| matches!(v.trim(), "1" | "true"));
    format!("{}://{}:{}", if tls { "https" } else { "http" }, d.address, d.port)
}

/// Whether a satellite in `realm` (with `manage_sub_realms`) serves `target`.
pub(super) fn serves(config: &Config, satellite: &DaemonLink, target: RealmId) -> bool {
    satellite.realm == target
        || (satellite.manage_sub_realms && vigia_config::split::is_below(config, target, satellite.realm))
}

/// Daemons that have work of their own: masters (not spares), active, not arbiters.
pub(super) fn is_home(d: &DaemonLink) -> bool {
    !d.spare && d.active && d.role != Role::Arbiter
}

/// Who receives what, for one plan.
pub(super) struct PlanInput<'a> {
    pub(super) config: &'a Config,
    pub(super) images: &'a [PartImage],
    pub(super) standby_of: &'a [Option<usize>],
    pub(super) config_hash: &'a str,
    pub(super) runner: &'a [usize],
    pub(super) handover: &'a BTreeMap<usize, Arc<vigia_engine::retention::Retention>>,
    pub(super) gave_back: &'a BTreeMap<usize, GaveBack>,
    pub(super) reasons: &'a BTreeMap<usize, String>,
    pub(super) arbiter: &'a str,
    pub(super) arbiter_generation: u64,
    pub(super) generation: u64,
    pub(super) ha_events: &'a [vigia_proto::HaNote],
}

/// Where the broker running `home`'s work serves Livestatus: the runner's own
/// `livestatus_host`/`livestatus_port` when it has them, else the home broker's port on the
/// runner's address (a spare that takes over serves at once, at its own address); none
/// without a port.
fn livestatus_address(home: &DaemonLink, runner: &DaemonLink) -> Option<String> {
    fn setting<'d>(d: &'d DaemonLink, key: &str) -> Option<&'d str> {
        d.extra.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
    let port: u16 = setting(runner, "livestatus_port")
        .or_else(|| setting(home, "livestatus_port"))?
        .parse()
        .ok()
        .filter(|p| *p > 0)?;
    let host = setting(runner, "livestatus_host")
        .or_else(|| {
            (runner.name == home.name)
                .then(|| setting(home, "livestatus_host"))
                .flatten()
        })
        .unwrap_or(&runner.address);
    Some(format!("{host}:{port}"))
}

/// How long the arbiter may go without an answer from a daemon before it declares it dead:
/// `timeout × max_check_attempts` (failed checks are repeated back to back).
fn dead_after(d: &DaemonLink) -> Duration {
    Duration::from_secs(u64::from(d.timeout.max(1)) * u64::from(d.max_check_attempts.max(1)))
}

/// How often the arbiter checks a daemon: its `check_interval`, and for a scheduler that fences
/// itself at least three times within the time it is declared dead after (see [`fencing`]).
pub(super) fn check_every(d: &DaemonLink) -> Duration {
    let every = Duration::from_secs(u64::from(d.check_interval.max(1)));
    if d.role == Role::Scheduler && d.isolated_notification_hold > 0 {
        every.min(dead_after(d) / 3)
    } else {
        every
    }
}

/// When the runner of `home`'s part fences itself for lack of arbiter contact: at two thirds
/// of the time the arbiter needs to declare it dead, so it stops notifying before a spare can
/// start (checked every third of it, so one late check does not fence it). None when no other
/// scheduler could run the part (nobody to duplicate its notifications) or when the runner's
/// `isolated_notification_hold` is 0.
fn fencing(config: &Config, home: usize, runner: usize) -> Fencing {
    let r = &config.daemons[runner];
    let replaceable = runner != home
        || config
            .daemons
            .iter()
            .enumerate()
            .any(|(i, d)| i != runner && d.role == Role::Scheduler && d.spare && d.active);
    if !replaceable || r.isolated_notification_hold == 0 {
        return Fencing::default();
    }
    Fencing {
        silence_ms: (dead_after(r) * 2 / 3).as_millis() as u64,
        hold_s: u64::from(r.isolated_notification_hold),
    }
}

/// Every daemon's assignment: each home daemon's work goes to its runner. Other daemons see a
/// part under its home scheduler's name, at the address of whoever runs it, so a take-over
/// changes only an address and a generation for them.
pub(super) fn plan(input: &PlanInput) -> Vec<Option<Assignment>> {
    let config = input.config;
    let mut assignments: Vec<Option<Assignment>> = vec![None; config.daemons.len()];
    // Schedulers revalidate with them; brokers' web UI shows their status.
    let arbiters: Vec<String> = config
        .daemons
        .iter()
        .filter(|d| d.role == Role::Arbiter && d.active)
        .map(url)
        .collect();
    let assignment = |runner: usize, work: Work| Assignment {
        arbiter: input.arbiter.to_string(),
        arbiter_generation: input.arbiter_generation,
        generation: input.generation,
        name: config.daemons[runner].name.clone(),
        config_hash: input.config_hash.to_string(),
        work,
    };
    // Schedulers: one part each.
    let mut links: Vec<(RealmId, SchedulerLink)> = Vec::new();
    for (p, part) in config.parts.iter().enumerate() {
        let home = part.scheduler.index();
        let runner = input.runner.get(home).copied().unwrap_or(home);
        let h = &config.daemons[home];
        let standbys = input
            .standby_of
            .get(p)
            .copied()
            .flatten()
            .map(|s| {
                let d = &config.daemons[s];
                StandbyLink {
                    name: d.name.clone(),
                    url: url(d),
                }
            })
            .into_iter()
            .collect();
        let work = SchedulerWork {
            image: input.images.get(p).map(|i| i.id.clone()).unwrap_or_default(),
            part_hash: part.hash.clone(),
            home: h.name.clone(),
            standbys,
            handover: input.handover.contains_key(&home),
            from_copy: runner == home && input.gave_back.contains_key(&home),
            reason: input.reasons.get(&home).cloned(),
            arbiters: arbiters.clone(),
            fencing: fencing(config, home, runner),
        };
        assignments[runner] = Some(assignment(runner, Work::Scheduler(work)));
        links.push((
            part.realm,
            SchedulerLink {
                name: h.name.clone(),
                url: url(&config.daemons[runner]),
                generation: input.generation,
                part_hash: part.hash.clone(),
                image: input.images.get(p).map(|i| i.id.clone()).unwrap_or_default(),
                runner: config.daemons[runner].name.clone(),
            },
        ));
    }
    let schedulers_for = |d: &DaemonLink| -> Vec<SchedulerLink> {
        links
            .iter()
            .filter(|(realm, _)| serves(config, d, *realm))
            .map(|(_, l)| l.clone())
            .collect()
    };
    for (i, d) in config.daemons.iter().enumerate() {
        if !is_home(d) {
            continue;
        }
        let runner = input.runner.get(i).copied().unwrap_or(i);
        let work = match d.role {
            Role::Poller | Role::Reactionner => {
                let w = SatelliteWork {
                    schedulers: schedulers_for(d),
                    tags: if d.tags.is_empty() {
                        vec!["None".to_string()]
                    } else {
                        d.tags.clone()
                    },
                    max_concurrent: d.extra.get("max_concurrent").and_then(|v| v.parse().ok()).unwrap_or(64),
                };
                if d.role == Role::Poller {
                    Work::Poller(w)
                } else {
                    Work::Reactionner(w)
                }
            }
            Role::Broker => Work::Broker(BrokerWork {
                schedulers: schedulers_for(d),
                ha_events: input.ha_events.to_vec(),
                livestatus: livestatus_address(d, &config.daemons[runner]),
                livestatus_tls: [&config.daemons[runner], d]
                    .iter()
                    .find_map(|x| x.extra.get("livestatus_tls"))
                    .is_some_and(|v| matches!(v.trim(), "1" | "true")),
                receivers: config
                    .daemons
                    .iter()
                    .enumerate()
                    .filter(|(i, r)| {
                        r.role == Role::Receiver && is_home(r) && serves(config, &config.daemons[*i], d.realm)
                    })
                    .map(|(i, _)| url(&config.daemons[input.runner.get(i).copied().unwrap_or(i)]))
                    .collect(),
                arbiters: arbiters.clone(),
            }),
            Role::Receiver => {
                let schedulers = schedulers_for(d);
                let mut host_owner = BTreeMap::new();
                for part in &config.parts {
                    let name = &config.daemons[part.scheduler.index()].name;
                    if schedulers.iter().any(|s| &s.name == name) {
                        for h in &part.hosts {
                            host_owner.insert(config.hosts[h.index()].name.clone(), name.clone());
                        }
                    }
                }
                Work::Receiver(ReceiverWork { schedulers, host_owner })
            }
            Role::Scheduler | Role::Arbiter => continue,
        };
        assignments[runner] = Some(assignment(runner, work));
    }
    assignments
}

/// Per part, the scheduler that keeps a live copy of it. The parts of a realm go round the
/// realm's waiting spares in configuration order, so with one spare per master each spare
/// follows one part (its memory stays that of one master). A part run by a spare is followed
/// by its master once the master is back, so that the give-back costs what a take-over costs.
/// `standby_ok` says which schedulers can (see [`Dispatch::standby_ok`]).
pub(super) fn designate(config: &Config, runner: &[usize], standby_ok: &[bool]) -> Vec<Option<usize>> {
    let runs_something = |i: usize| {
        runner
            .iter()
            .enumerate()
            .any(|(h, r)| *r == i && is_home(&config.daemons[h]))
    };
    let mut turn: BTreeMap<RealmId, usize> = BTreeMap::new();
    config
        .parts
        .iter()
        .map(|part| {
            let home = part.scheduler.index();
            let realm = config.daemons[home].realm;
            let waiting: Vec<usize> = (0..config.daemons.len())
                .filter(|&i| {
                    let d = &config.daemons[i];
                    d.role == Role::Scheduler
                        && d.spare
                        && d.active
                        && d.realm == realm
                        && standby_ok.get(i).copied().unwrap_or(true)
                        && !runs_something(i)
                })
                .collect();
            if runner.get(home).is_some_and(|r| *r != home) {
                return standby_ok.get(home).copied().unwrap_or(false).then_some(home);
            }
            if waiting.is_empty() {
                return None;
            }
            let t = turn.entry(realm).or_insert(0);
            let pick = waiting[*t % waiting.len()];
            *t += 1;
            Some(pick)
        })
        .collect()
}

/// Encodes every part's image, on every core.
pub(super) fn encode_images(config: &Config) -> Result<Vec<PartImage>, String> {
    vigia_config::parallel::map(&config.parts, |part| {
        PartImage::encode(&vigia_config::part::part_config(config, part))
    })
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;
    use super::*;

    #[test]
    fn each_daemon_gets_the_schedulers_of_its_realms() {
        let c = config(TWO_REALMS);
        let d = Dispatch::new(c.clone()).expect("parts encode");
        let assignments = plan_of(&d, 7);
        let work = |name: &str| {
            let i = c.daemons.iter().position(|d| d.name == name).expect("daemon");
            assignments[i].as_ref().map(|a| a.work.clone())
        };
        let names = |links: &[SchedulerLink]| links.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
        match work("p-all") {
            Some(Work::Poller(w)) => assert_eq!(names(&w.schedulers), ["s-all"]),
            other => panic!("{other:?}"),
        }
        match work("p-eu") {
            Some(Work::Poller(w)) => assert_eq!(names(&w.schedulers), ["s-eu"]),
            other => panic!("{other:?}"),
        }
        match work("r") {
            Some(Work::Receiver(w)) => {
                assert_eq!(names(&w.schedulers), ["s-all", "s-eu"]);
                assert_eq!(w.host_owner.get("e").map(String::as_str), Some("s-eu"));
                assert_eq!(w.host_owner.get("a").map(String::as_str), Some("s-all"));
            }
            other => panic!("{other:?}"),
        }
        match work("s-eu") {
            Some(Work::Scheduler(w)) => {
                let p = c
                    .parts
                    .iter()
                    .position(|p| c.daemons[p.scheduler.index()].name == "s-eu")
                    .expect("part");
                assert_eq!(w.image, d.images[p].id);
                let part = vigia_proto::PartImage::decode(&d.images[p].bytes).expect("decodes");
                assert_eq!(part.config.hosts.len(), 1, "only its own host");
            }
            other => panic!("{other:?}"),
        }
        assert!(work("s-spare").is_none(), "a spare waits");
        assert!(assignments
            .iter()
            .flatten()
            .all(|a| a.generation == 7 && a.arbiter_generation == 1));
        match work("s-all") {
            Some(Work::Scheduler(w)) => {
                assert_eq!(w.home, "s-all");
                assert_eq!(
                    names_of(&w.standbys),
                    ["s-spare"],
                    "the realm's waiting spare is kept in sync"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_reload_sends_only_the_parts_that_changed() {
        let c = config(TWO_REALMS);
        let mut d = Dispatch::new(c.clone()).expect("parts encode");
        d.assignments = plan_of(&d, 1);
        let i = |n: &str| c.daemons.iter().position(|x| x.name == n).expect("daemon");
        // Each master is to hold its part; the spare follows s-all's part (same realm).
        let wanted = |d: &Dispatch, n: &str| d.images_for(i(n)).iter().map(|im| im.id.clone()).collect::<Vec<_>>();
        let all_before = wanted(&d, "s-all");
        let eu_before = wanted(&d, "s-eu");
        assert_eq!(all_before.len(), 1);
        assert_eq!(wanted(&d, "s-spare"), all_before, "the spare gets the part it follows");
        // A host added to Europe: only s-eu's image changes, so only s-eu is sent one.
        let grown = format!(
            "{TWO_REALMS}define host {{\n host_name e2\n check_command c\n max_check_attempts 1\n realm Europe\n}}\n"
        );
        let mut d2 = Dispatch::new(config(&grown)).expect("parts encode");
        d2.assignments = plan_of(&d2, 2);
        assert_eq!(wanted(&d2, "s-all"), all_before, "an unchanged part keeps its image");
        assert_ne!(wanted(&d2, "s-eu"), eu_before);
        let held = [all_before.clone(), eu_before.clone()].concat();
        let to_send: Vec<String> = ["s-all", "s-eu", "s-spare"]
            .iter()
            .flat_map(|n| wanted(&d2, n))
            .filter(|id| !held.contains(id))
            .collect();
        assert_eq!(to_send, wanted(&d2, "s-eu"), "only the changed part is sent");
    }
}
