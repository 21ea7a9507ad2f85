//! Master and spare arbiters (the seed's "Important": both have the same configuration).
//!
//! The master sends every spare arbiter a heartbeat each second with its generations and who
//! runs what; the spare answers with its own. A spare that hears nothing for the master link's
//! `check_interval × max_check_attempts` seconds (counted from its own start too, so a spare
//! started while the master is down does take over) leads with a higher arbiter generation,
//! starting from the master's last word on who runs what. A master that hears a spare leading
//! takes the lead back with a generation above the spare's and the spare's view of who runs
//! what; the spare, seeing the higher generation, goes back to waiting. Daemons obey only the
//! highest arbiter generation they have seen, so two arbiters never command the same daemon.
//!
//! Unlike Alignak (architecture notes §5.3): the heartbeat is really refreshed (Alignak #194:
//! its spare took over every 300 s), a spare started alone takes over (Shinken #231), and the
//! returning master does not undo the spare's fail-overs.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use vigia_config::model::Role;
use vigia_proto::{endpoint, ArbiterHeartbeat, HaEvent};

use super::{is_home, Shared, STARTUP_GRACE};
use crate::daemon;
use crate::link::Link;

/// How often the master speaks, and how often a spare looks at the silence.
const BEAT: Duration = Duration::from_secs(1);
const LOOK: Duration = Duration::from_millis(250);

impl super::Arbiter {
    /// This arbiter's word: generations and who runs what (only the moved works).
    pub(super) fn heartbeat(&self) -> ArbiterHeartbeat {
        let d = &self.dispatch;
        let runners = (0..d.daemons.len())
            .filter(|&h| is_home(&d.daemons[h]) && d.runner[h] != h)
            .map(|h| (d.daemons[h].name.clone(), d.daemons[d.runner[h]].name.clone()))
            .collect();
        ArbiterHeartbeat {
            name: self.name.clone(),
            active: self.active,
            arbiter_generation: self.counters.arbiter_generation,
            assignment_generation: self.counters.assignment_generation,
            config_hash: d.config_hash.clone(),
            runners,
        }
    }

    /// Takes the lead after `other` (its generations and who runs what): generations above
    /// both, every daemon checked again at once, no start-up grace (the daemons are running).
    pub(super) fn lead_after(&mut self, other: &ArbiterHeartbeat, why: String) -> anyhow::Result<()> {
        self.counters.arbiter_generation = self.counters.arbiter_generation.max(other.arbiter_generation) + 1;
        self.counters.assignment_generation = self.counters.assignment_generation.max(other.assignment_generation);
        let generation = self.next_generation()?;
        self.adopt_runners(&other.runners);
        let d = &mut self.dispatch;
        d.started = Instant::now().checked_sub(STARTUP_GRACE).unwrap_or_else(Instant::now);
        d.checked.iter_mut().for_each(|c| *c = None);
        d.events.push(HaEvent {
            at: daemon::now(),
            role: Role::Arbiter,
            home: other.name.clone(),
            from: other.name.clone(),
            to: self.name.clone(),
            reason: why.clone(),
        });
        self.active = true;
        self.replan(generation);
        tracing::warn!("{why} (arbiter generation {})", self.counters.arbiter_generation);
        Ok(())
    }

    /// Who runs what, by names from another arbiter (names it does not know are ignored).
    fn adopt_runners(&mut self, runners: &BTreeMap<String, String>) {
        let d = &mut self.dispatch;
        let index = |name: &str| d.daemons.iter().position(|x| x.name == name);
        let mut runner: Vec<usize> = (0..d.daemons.len()).collect();
        for (home, by) in runners {
            if let (Some(h), Some(r)) = (index(home), index(by)) {
                runner[h] = r;
            }
        }
        d.runner = runner;
    }
}

/// The spare's side of a heartbeat: note the master's word, step down when it leads with a
/// higher generation, answer with our own word.
pub(super) async fn on_heartbeat(shared: &Shared, from: ArbiterHeartbeat) -> ArbiterHeartbeat {
    let mut a = shared.lock().await;
    // The answer says what this arbiter did until now (led or not, who runs what): a master
    // taking the lead back needs exactly that, even when it steps this spare down.
    let answer = a.heartbeat();
    if a.active && a.spare && from.arbiter_generation > a.counters.arbiter_generation {
        a.active = false;
        let reason = format!(
            "{} leads again (generation {}): {} waits",
            from.name, from.arbiter_generation, a.name
        );
        tracing::warn!("{reason}");
        let event = HaEvent {
            at: daemon::now(),
            role: Role::Arbiter,
            home: from.name.clone(),
            from: a.name.clone(),
            to: from.name.clone(),
            reason,
        };
        a.dispatch.events.push(event);
    }
    a.heard = Some((Instant::now(), from));
    answer
}

/// The master: a heartbeat to every other arbiter each second; a spare found leading gives
/// the lead back to a higher generation.
pub(super) async fn master_loop(shared: Shared, secret: crate::secret::Secrets, mut links: PeerLinks) {
    loop {
        beat_once(&shared, &secret, &mut links).await;
        tokio::time::sleep(BEAT).await;
    }
}

/// A link per peer arbiter's address, kept from one heartbeat to the next (over TLS, no
/// handshake per beat).
pub(super) type PeerLinks = std::collections::HashMap<String, Link>;

/// One round of heartbeats (also run once before the master's first dispatch, so a returning
/// master does not undo what the spare did meanwhile).
pub(super) async fn beat_once(shared: &Shared, secret: &crate::secret::Secrets, links: &mut PeerLinks) {
    let (word, peers) = {
        let a = shared.lock().await;
        (a.heartbeat(), a.peers.clone())
    };
    links.retain(|url, _| peers.iter().any(|p| super::url(p) == *url));
    for peer in peers {
        let url = super::url(&peer);
        let link = links
            .entry(url)
            .or_insert_with_key(|url| Link::new(url.clone(), secret.clone()))
            .clone();
        let Ok(answer) = link
            .call::<endpoint::ArbiterHeartbeat>(&word, Duration::from_secs(1))
            .await
        else {
            continue;
        };
        let mut a = shared.lock().await;
        if answer.active {
            // While the spare led, its view of who runs what is the truth.
            let why = format!("{} is back and takes the lead from {}", a.name, answer.name);
            if let Err(e) = a.lead_after(&answer, why) {
                tracing::error!("cannot record a new arbiter generation: {e}");
            }
        } else if answer.arbiter_generation >= a.counters.arbiter_generation {
            // A waiting spare numbered higher (it led once): lead above it.
            a.counters.arbiter_generation = answer.arbiter_generation + 1;
            match a.next_generation() {
                Ok(g) => a.replan(g),
                Err(e) => tracing::error!("cannot record a new arbiter generation: {e}"),
            }
        }
    }
}

/// The spare: takes the lead when the master has been silent past `timeout`.
pub(super) async fn spare_loop(shared: Shared, timeout: Duration) {
    let started = Instant::now();
    loop {
        tokio::time::sleep(LOOK).await;
        let mut a = shared.lock().await;
        if a.active {
            continue;
        }
        let silent = a.heard.as_ref().map_or(started.elapsed(), |(t, _)| t.elapsed());
        if silent < timeout {
            continue;
        }
        let master = a
            .heard
            .as_ref()
            .map(|(_, h)| h.clone())
            .unwrap_or_else(|| ArbiterHeartbeat {
                name: a
                    .peers
                    .iter()
                    .find(|p| !p.spare)
                    .map_or_else(|| "the master arbiter".into(), |p| p.name.clone()),
                ..ArbiterHeartbeat::default()
            });
        let why = format!(
            "{} takes over from {} (silent for {:.1} s)",
            a.name,
            master.name,
            silent.as_secs_f64()
        );
        if let Err(e) = a.lead_after(&master, why) {
            tracing::error!("cannot record a new arbiter generation: {e}");
        }
    }
}
