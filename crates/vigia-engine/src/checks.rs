//! Checks: when to run them, and what a result does to a host's or service's state.
//!
//! Rules (Nagios "State Types", "Host Checks"; Alignak `SchedulingItem.consume_result`):
//! - A problem found in a HARD OK state starts at attempt 1 and is retried every
//!   `retry_interval` until `max_check_attempts`, where it becomes HARD.
//! - A recovery from SOFT is a SOFT recovery, from HARD a HARD one; the attempt goes back to 1.
//! - A service whose host is not UP goes HARD at once (Nagios rule).
//! - Host exit code 0 is UP, 1, 2 and 3 are DOWN (Alignak; Nagios treats 1 as UP unless
//!   aggressive host checking); a DOWN host whose parents are all DOWN or UNREACHABLE is
//!   UNREACHABLE.
//! - `is_volatile`: every problem result is a new HARD state change.
use jiff::Timestamp;
use vigia_config::model::{HostId, TimeperiodId};

use crate::engine::{subject, Action, ActionKind, CheckResult, Due, Engine};
use crate::output::capped;
use crate::status::{host_state, service_state, state_letter, state_name, Item, StateType};

impl Engine {
    /// First checks, spread evenly over `max_host_check_spread` / `max_service_check_spread`
    /// minutes (Alignak default 5) or the check interval when shorter, so that a restart does
    /// not run every check at once.
    pub(crate) fn schedule_initial_checks(&mut self, seed: u64) {
        let spread = |key: &str| -> i64 {
            self.config
                .globals
                .get(key)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(5)
                .max(0)
                * 60
        };
        let host_spread = spread("max_host_check_spread");
        let service_spread = spread("max_service_check_spread");
        let items: Vec<(Item, i64)> = (0..self.config.hosts.len())
            .map(|h| (Item::Host(HostId(h as u32)), host_spread))
            .chain(
                (0..self.config.services.len())
                    .map(|s| (Item::Service(vigia_config::model::ServiceId(s as u32)), service_spread)),
            )
            .filter(|(item, _)| self.owns(*item) && self.schedulable(*item))
            .collect();
        let count = items.len().max(1) as i64;
        for (i, (item, spread)) in items.into_iter().enumerate() {
            let interval = self.interval_seconds(item, false);
            // Spread over the configured window, never later than one interval.
            let window = spread.min(interval).max(1);
            let offset = ((i as i64 * window) / count + (seed % window as u64) as i64) % window;
            let at = self.next_in_period(item, self.now + offset);
            self.set_next_check(item, at);
        }
    }

    /// An item gets active checks when it has a command and a positive interval.
    pub(crate) fn schedulable(&self, item: Item) -> bool {
        self.monitored(item).check_command.is_some() && self.check_interval(item) > 0.0
    }

    /// `check_interval` (or `retry_interval`) in seconds, as commands may have changed them.
    pub(crate) fn interval_seconds(&self, item: Item, retry: bool) -> i64 {
        let retry_minutes = if retry { self.retry_interval(item) } else { 0.0 };
        let minutes = if retry_minutes > 0.0 {
            retry_minutes
        } else {
            self.check_interval(item)
        };
        ((minutes * self.config.interval_length as f64).round() as i64).max(1)
    }

    pub(crate) fn in_period(&self, period: Option<TimeperiodId>, at: i64) -> bool {
        match (period, Timestamp::from_second(at)) {
            (None, _) => true,
            (Some(p), Ok(t)) => self.config.timeperiods.is_inside(p.index(), t, &self.tz),
            (Some(_), Err(_)) => false,
        }
    }

    /// The first time ≥ `at` inside the item's `check_period` (`at` itself when it has none, or
    /// a day later when the period is never valid, so the item is looked at again).
    pub(crate) fn next_in_period(&self, item: Item, at: i64) -> i64 {
        let Some(period) = self.monitored(item).check_period else {
            return at;
        };
        let Ok(t) = Timestamp::from_second(at) else { return at };
        match self.config.timeperiods.next_valid(period.index(), t, &self.tz) {
            Some(next) => next.as_second().max(at),
            None => at + 86_400,
        }
    }

    pub(crate) fn set_next_check(&mut self, item: Item, at: i64) {
        self.status_mut(item).next_check = at;
        self.push_schedule(at, Due::Check(item));
    }

    /// A check came due: run it, or move it when it must not run now.
    pub(crate) fn run_due_check(&mut self, item: Item, at: i64) {
        let st = self.status(item);
        // Stale entry (rescheduled since) or a check already with a poller.
        if st.next_check != at || st.in_flight || !self.owns(item) {
            return;
        }
        let enabled = st.switches.active_checks
            && match item {
                Item::Host(_) => self.globals.execute_host_checks,
                Item::Service(_) => self.globals.execute_service_checks,
            };
        if !enabled {
            // Not run, but kept on the schedule so that enabling checks resumes them.
            let next = self.next_in_period(item, at + self.interval_seconds(item, false));
            self.set_next_check(item, next);
            return;
        }
        if self.dependency_fails(item, crate::dependencies::Criteria::Execution) {
            // Not run while a master fails; looked at again at the normal interval.
            let next = self.next_in_period(item, at + self.interval_seconds(item, false));
            self.set_next_check(item, next);
            return;
        }
        if !self.in_period(self.monitored(item).check_period, at) {
            let next = self.next_in_period(item, at + 1);
            self.set_next_check(item, next);
            return;
        }
        self.launch_check(item);
    }

    /// A forced check came due (`SCHEDULE_FORCED_*_CHECK`): it runs whatever the switches,
    /// periods and dependencies say.
    pub(crate) fn run_forced_check(&mut self, item: Item, at: i64) {
        let st = self.status(item);
        if st.next_check != at || st.in_flight || !self.owns(item) {
            return;
        }
        self.launch_check(item);
    }

    /// Hands a check to the pollers now (a business rule is computed here instead).
    pub(crate) fn launch_check(&mut self, item: Item) {
        if self.business.by_item.contains_key(&item) {
            self.run_business_rule(item);
            return;
        }
        let Some(call) = self.monitored(item).check_command.clone() else {
            return;
        };
        let command = &self.config.commands[call.command.index()];
        let (timeout, tag) = (command.timeout, self.monitored(item).details().poller_tag.clone());
        let tag = tag.or_else(|| (command.poller_tag != "None").then(|| command.poller_tag.clone()));
        let command_line = self.command_line(item, &call, None);
        let id = self.new_action_id();
        let due = self.status(item).next_check.max(self.now) as f64;
        self.status_mut(item).in_flight = true;
        self.pending.push(Action {
            id,
            item,
            kind: ActionKind::Check,
            command_line,
            timeout,
            tag,
            due,
        });
    }

    /// A check result, active (answering an action) or passive (`action == 0`). Results for
    /// objects of another part are ignored.
    pub fn submit(&mut self, result: CheckResult) {
        let item = result.item;
        if !self.owns(item) {
            return;
        }
        let active = result.action != 0;
        self.consume(result);
        if active || self.status(item).next_check == 0 {
            self.reschedule_after_result(item);
        }
        self.flush_status_broks(Some(item));
    }

    /// What a result does to the item, whoever produced it.
    pub(crate) fn consume(&mut self, result: CheckResult) {
        let item = result.item;
        let active = result.action != 0;
        let was_scheduled = self.status(item).next_check;
        let max = self.max_output_length;
        let cap = |text: String| {
            if text.len() <= max {
                text
            } else {
                capped(&text, max).to_string()
            }
        };
        let (output, long_output, perf_data) = (cap(result.output), cap(result.long_output), cap(result.perfdata));
        {
            let now = self.now;
            let st = self.status_mut(item);
            st.in_flight = false;
            st.last_check = if result.end > 0.0 { result.end as i64 } else { now };
            st.execution_time = (result.end - result.start).max(0.0);
            let planned = if result.scheduled > 0.0 {
                result.scheduled
            } else {
                was_scheduled as f64
            };
            st.latency = if active && planned > 0.0 {
                (result.start - planned).max(0.0)
            } else {
                0.0
            };
            st.output = output;
            st.long_output = long_output;
            st.perf_data = perf_data;
            st.has_been_checked = true;
        }
        let new_state = match item {
            Item::Host(h) => self.host_state_from_code(h, result.exit_code),
            Item::Service(_) => match result.exit_code {
                0..=3 => result.exit_code as u8,
                _ => service_state::UNKNOWN,
            },
        };
        self.apply_state(item, new_state);
        // A re-notification that came due while this check was out.
        let due = self.status(item).next_notification;
        if due != 0 && due <= self.now {
            self.renotify_if_due(item, due);
        }
    }

    /// Exit code to host state, with reachability through parents.
    fn host_state_from_code(&self, host: HostId, code: i32) -> u8 {
        if code == 0 {
            return host_state::UP;
        }
        let parents = &self.config.hosts[host.index()].parents;
        let all_parents_down = !parents.is_empty()
            && parents
                .iter()
                .all(|p| self.hosts[p.index()].state != host_state::UP && self.hosts[p.index()].has_been_checked);
        if all_parents_down {
            host_state::UNREACHABLE
        } else {
            host_state::DOWN
        }
    }

    pub(crate) fn reschedule_after_result(&mut self, item: Item) {
        if !self.schedulable(item) {
            return;
        }
        let st = self.status(item);
        let retry = st.is_problem() && st.state_type == StateType::Soft;
        let next = self.next_in_period(item, self.now + self.interval_seconds(item, retry));
        self.set_next_check(item, next);
    }

    /// The soft/hard state machine: attempts, state types, alerts, notifications, event
    /// handlers.
    pub(crate) fn apply_state(&mut self, item: Item, new_state: u8) {
        let max_attempts = self.max_check_attempts(item);
        let volatile = matches!(item, Item::Service(s) if self.config.services[s.index()].is_volatile);
        // A service on a host that is not UP goes HARD at once.
        let host_down = match item {
            Item::Service(s) => {
                let h = self.config.services[s.index()].host;
                self.hosts[h.index()].state != host_state::UP
            }
            Item::Host(_) => false,
        };
        let now = self.now;
        let (old_state, old_type, old_attempt) = {
            let st = self.status(item);
            (st.state, st.state_type, st.attempt)
        };
        let (state_type, attempt) = if new_state == 0 {
            (StateType::Hard, 1)
        } else if old_state == 0 && old_type == StateType::Hard {
            if max_attempts == 1 || host_down {
                (StateType::Hard, 1)
            } else {
                (StateType::Soft, 1)
            }
        } else if old_type == StateType::Soft {
            let attempt = (old_attempt + 1).min(max_attempts);
            if attempt >= max_attempts || host_down {
                (StateType::Hard, attempt)
            } else {
                (StateType::Soft, attempt)
            }
        } else {
            (StateType::Hard, old_attempt)
        };
        let state_changed = new_state != old_state;
        let hard_change = state_type == StateType::Hard && (state_changed || old_type == StateType::Soft);
        let soft_change = state_type == StateType::Soft;
        // A recovery from SOFT is logged as SOFT.
        let logged_type = if new_state == 0 && old_type == StateType::Soft {
            StateType::Soft
        } else {
            state_type
        };
        // A recovery is logged, handled and notified with the attempt it ends (a SOFT one counts
        // one more attempt), and only then goes back to 1: `OK;HARD;3`, `OK;SOFT;2` (Nagios 4
        // and Alignak `consume_result` alike).
        let recovering = new_state == 0 && old_state != 0;
        let logged_attempt = match (recovering, old_type) {
            (true, StateType::Soft) => (old_attempt + 1).min(max_attempts),
            (true, StateType::Hard) => old_attempt,
            (false, _) => attempt,
        };
        {
            let st = self.status_mut(item);
            st.last_state = old_state;
            st.state = new_state;
            st.state_type = if new_state == 0 { StateType::Hard } else { state_type };
            st.attempt = logged_attempt;
            if state_changed {
                st.last_state_change = now;
            }
            if hard_change {
                st.last_hard_state = new_state;
                st.last_hard_state_change = now;
            }
        }
        // Non-sticky acknowledgements end at any state change; sticky ones at recovery.
        let ack_ends = self
            .status(item)
            .acknowledgement
            .as_ref()
            .is_some_and(|ack| new_state == 0 || (state_changed && ack.sticky != 2));
        if ack_ends {
            self.remove_acknowledgement(item);
        }
        self.update_flapping(item, state_changed);
        let retry_logged = soft_change && !state_changed && self.log_retries(item);
        if state_changed || retry_logged || (hard_change && old_type == StateType::Soft) || (volatile && new_state != 0)
        {
            self.log_alert(item, logged_type, logged_attempt);
        }
        let event = state_changed || soft_change || hard_change || (volatile && new_state != 0);
        if event {
            self.run_event_handler(item, logged_type);
        }
        let hard_problem = new_state != 0 && (hard_change || (volatile && state_type == StateType::Hard));
        if hard_problem {
            // Alignak starts flexible downtimes on entering a HARD problem, before notifying.
            self.problem_started_for_downtimes(item);
        }
        if hard_change {
            self.business_member_changed(item);
        }
        if hard_problem {
            self.start_problem(item);
        } else if new_state == 0 && state_changed && old_type == StateType::Hard {
            self.recover(item);
        } else if new_state == 0 && state_changed {
            self.status_mut(item).next_notification = 0;
        }
        if recovering {
            self.status_mut(item).attempt = attempt;
        }
    }

    fn log_retries(&self, item: Item) -> bool {
        match item {
            Item::Host(_) => self.log_options.host_retries,
            Item::Service(_) => self.log_options.service_retries,
        }
    }

    fn log_alert(&mut self, item: Item, state_type: StateType, attempt: u32) {
        let config = std::sync::Arc::clone(&self.config);
        let st = self.status(item);
        let line = crate::log::alert(
            subject(&config, item),
            state_name(item, st.state),
            state_type,
            attempt,
            &st.output,
        );
        self.log(line);
    }

    /// `state_letter` of the current state, for option lists.
    pub(crate) fn current_letter(&self, item: Item) -> char {
        state_letter(item, self.status(item).state)
    }
}
