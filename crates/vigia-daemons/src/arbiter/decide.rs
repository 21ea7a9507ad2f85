//! Health verdicts and the moves they call for (take-over, give-back, a give-back undone);
//! pure, on the arbiter's view of the daemons ([`Dispatch`]).
use vigia_config::model::{DaemonLink, Role};
use vigia_proto::{DaemonStatus, Identity};

use super::plan::is_home;
use super::{Dispatch, STARTUP_GRACE};
use crate::daemon;

/// A give-back by the state stream, until the master runs its part: the spare keeps the final
/// state, and takes the part again if the master restarts before (its copy is then gone).
#[derive(Clone, Debug)]
pub(super) struct GaveBack {
    pub(super) giver: usize,
    /// The master's process when it took the final step.
    pub(super) running_id: Option<String>,
}

/// How long a returning master waits for a live copy of its part before it is given the part
/// back anyway (with the state in the release answer): a copy that cannot be built must not
/// keep the part on the spare for ever.
pub const GIVE_BACK_PATIENCE: i64 = 20;

/// The health verdict on one daemon after a check.
pub(super) fn record_check(
    st: &mut DaemonStatus,
    link: &DaemonLink,
    result: &Result<Identity, crate::link::LinkError>,
) {
    match result {
        Ok(id) => {
            if !st.alive || st.running_id.as_deref() != Some(id.running_id.as_str()) {
                st.since = daemon::now();
                if !st.alive && st.last_error.is_some() {
                    tracing::info!("{} {} answers again", st.role.name(), st.name);
                }
            }
            st.alive = true;
            st.attempts = 0;
            st.running_id = Some(id.running_id.clone());
            st.last_error = None;
        }
        Err(e) => {
            // A refused connection: nobody listens there, dead at once. A timeout or an error
            // answer: one attempt; one slow answer does not condemn a daemon.
            st.attempts = if e.is_down() {
                link.max_check_attempts.max(1)
            } else {
                st.attempts + 1
            };
            st.last_error = Some(e.to_string());
            if st.alive && st.attempts >= link.max_check_attempts.max(1) {
                st.since = daemon::now();
                st.alive = false;
                st.assigned = false;
                tracing::warn!("{} {} is dead: {e}", st.role.name(), st.name);
            }
        }
    }
}

/// A waiting spare that can stand in for `home`: same role and realm, alive, running nothing.
pub(super) fn pick_spare(d: &Dispatch, home: usize) -> Option<usize> {
    let h = &d.daemons[home];
    // The spare that keeps the part's live copy first: it takes over at the cost of a snapshot.
    let designated = d
        .config
        .parts
        .iter()
        .position(|p| p.scheduler.index() == home)
        .and_then(|p| d.standby_of.get(p).copied().flatten());
    let order = designated.into_iter().chain(0..d.daemons.len());
    order.into_iter().find(|&j| {
        let s = &d.daemons[j];
        s.spare
            && s.active
            && s.role == h.role
            && s.realm == h.realm
            && d.status[j].alive
            && !d
                .runner
                .iter()
                .enumerate()
                .any(|(k, r)| *r == j && is_home(&d.daemons[k]))
    })
}

/// One move of a home daemon's work.
pub(super) struct Move {
    pub(super) home: usize,
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) reason: String,
}

/// Fail-over and fail-back decisions from the latest health checks, at `now` (epoch seconds).
pub(super) fn decide(d: &Dispatch, now: i64) -> Vec<Move> {
    let mut moves = Vec::new();
    for h in 0..d.daemons.len() {
        if !is_home(&d.daemons[h]) || !has_work(d, h) {
            continue;
        }
        let r = d.runner[h];
        let home_name = &d.daemons[h].name;
        let dead = |i: usize| {
            !d.status[i].alive
                && d.status[i].last_error.is_some()
                && (d.status[i].running_id.is_some() || d.started.elapsed() >= STARTUP_GRACE)
        };
        if let Some(g) = d.gave_back.get(&h) {
            // Given back by the stream, not yet run by the master: if the master restarted
            // (its copy is gone), the spare that kept the final state takes the part again.
            let st = &d.status[h];
            let restarted = st.running_id != g.running_id || dead(h);
            if r == h && restarted && d.status[g.giver].alive {
                moves.push(Move {
                    home: h,
                    from: h,
                    to: g.giver,
                    reason: format!(
                        "{} runs the part of {home_name} again ({home_name} restarted before it took the part back)",
                        d.daemons[g.giver].name
                    ),
                });
            }
            if r == h {
                continue;
            }
        }
        if r == h {
            if dead(h) {
                if let Some(s) = pick_spare(d, h) {
                    let why = d.status[h].last_error.clone().unwrap_or_default();
                    moves.push(Move {
                        home: h,
                        from: h,
                        to: s,
                        reason: format!(
                            "{} takes over from {home_name} ({home_name} not answering: {why})",
                            d.daemons[s].name
                        ),
                    });
                }
            }
        } else if d.status[h].alive {
            // Once the master follows the spare with a live copy (the give-back then costs a
            // take-over), or after [`GIVE_BACK_PATIENCE`] without one.
            let live = d.live.get(h).is_some_and(|l| l.iter().any(|x| x == home_name));
            let back_for = now - d.status[h].since;
            if !live && back_for < GIVE_BACK_PATIENCE && d.daemons[h].role == Role::Scheduler {
                continue;
            }
            moves.push(Move {
                home: h,
                from: r,
                to: h,
                reason: format!(
                    "{home_name} is back: {} gives its work back and waits",
                    d.daemons[r].name
                ),
            });
        } else if dead(r) {
            let why = d.status[r].last_error.clone().unwrap_or_default();
            if let Some(s) = pick_spare(d, h) {
                moves.push(Move {
                    home: h,
                    from: r,
                    to: s,
                    reason: format!(
                        "{} takes over from {} for {home_name} (not answering: {why})",
                        d.daemons[s].name, d.daemons[r].name
                    ),
                });
            }
        }
    }
    moves
}

/// Whether a home daemon has work in this configuration (a scheduler without a part has none).
pub(super) fn has_work(d: &Dispatch, h: usize) -> bool {
    match d.daemons[h].role {
        Role::Scheduler => d.config.parts.iter().any(|p| p.scheduler.index() == h),
        Role::Arbiter => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;
    use super::*;

    #[test]
    fn a_dead_master_goes_to_a_live_spare_of_its_realm_and_comes_back() {
        let c = config(TWO_REALMS);
        let mut d = Dispatch::new(c.clone()).expect("parts encode");
        for n in ["s-all", "s-eu", "s-spare", "p-all", "p-eu"] {
            alive(&mut d, n, true, None);
        }
        assert!(decide(&d, daemon::now()).is_empty(), "all alive: nothing moves");
        alive(&mut d, "s-eu", false, Some("connection refused"));
        // s-spare is in realm All, s-eu in Europe: no spare for s-eu.
        assert!(decide(&d, daemon::now()).is_empty(), "no spare in Europe");
        alive(&mut d, "s-all", false, Some("connection refused"));
        let moves = decide(&d, daemon::now());
        let i = |n: &str| c.daemons.iter().position(|x| x.name == n).expect("daemon");
        assert_eq!(moves.len(), 1);
        assert_eq!((moves[0].home, moves[0].to), (i("s-all"), i("s-spare")));
        assert!(moves[0].reason.contains("connection refused"), "{}", moves[0].reason);
        d.runner[i("s-all")] = i("s-spare");
        assert!(
            decide(&d, daemon::now()).is_empty(),
            "the spare runs it; the master is still dead"
        );
        // Satellites now see the part of s-all at the spare's address.
        let assignments = plan_of(&d, 8);
        match &assignments[i("p-all")].as_ref().map(|a| &a.work) {
            Some(Work::Poller(w)) => {
                assert_eq!(names(&w.schedulers), ["s-all"]);
                assert_eq!(w.schedulers[0].url, "http://127.0.0.1:7003");
            }
            other => panic!("{other:?}"),
        }
        assert!(assignments[i("s-all")].is_none(), "the dead master is assigned nothing");
        match &assignments[i("s-spare")].as_ref().map(|a| &a.work) {
            Some(Work::Scheduler(w)) => assert!(w.home == "s-all" && w.standbys.is_empty()),
            other => panic!("{other:?}"),
        }
        // The master answers again: it follows the spare first, as a standby of its own part.
        alive(&mut d, "s-all", true, None);
        let assignments = plan_of(&d, 9);
        match &assignments[i("s-spare")].as_ref().map(|a| &a.work) {
            Some(Work::Scheduler(w)) => assert_eq!(names_of(&w.standbys), ["s-all"]),
            other => panic!("{other:?}"),
        }
        assert!(
            decide(&d, daemon::now()).is_empty(),
            "no give-back before the master's copy is live"
        );
        // Its copy is live: the work goes back.
        d.live[i("s-all")] = vec!["s-all".into()];
        let moves = decide(&d, daemon::now());
        assert_eq!(moves.len(), 1);
        assert_eq!((moves[0].from, moves[0].to), (i("s-spare"), i("s-all")));
        // No live copy, but back for longer than the patience: the work goes back too.
        d.live[i("s-all")].clear();
        d.status[i("s-all")].since -= GIVE_BACK_PATIENCE;
        assert_eq!(decide(&d, daemon::now()).len(), 1);
    }

    #[test]
    fn a_master_that_restarts_before_taking_its_part_back_leaves_it_to_the_spare() {
        let c = config(TWO_REALMS);
        let mut d = Dispatch::new(c.clone()).expect("parts encode");
        for n in ["s-all", "s-eu", "s-spare", "p-all", "p-eu"] {
            alive(&mut d, n, true, None);
        }
        let i = |n: &str| c.daemons.iter().position(|x| x.name == n).expect("daemon");
        // Given back by the stream: the master is to run from its copy.
        d.gave_back.insert(
            i("s-all"),
            GaveBack {
                giver: i("s-spare"),
                running_id: Some("seen".into()),
            },
        );
        match &plan_of(&d, 3)[i("s-all")].as_ref().map(|a| &a.work) {
            Some(Work::Scheduler(w)) => assert!(w.from_copy && !w.handover),
            other => panic!("{other:?}"),
        }
        assert!(
            decide(&d, daemon::now()).is_empty(),
            "the same master process: wait for it"
        );
        d.status[i("s-all")].running_id = Some("restarted".into());
        let moves = decide(&d, daemon::now());
        assert_eq!(moves.len(), 1);
        assert_eq!((moves[0].from, moves[0].to), (i("s-all"), i("s-spare")));
        assert!(moves[0].reason.contains("restarted"), "{}", moves[0].reason);
    }
}
