//! Notifications: whether one is due, who gets it, and the command lines run for them.
//!
//! Rules (Nagios "Notifications", Alignak `SchedulingItem.create_notifications`): a PROBLEM on
//! entering a HARD problem state (after `first_notification_delay`), again every
//! `notification_interval` while the problem lasts (0: once), a RECOVERY only when a problem was
//! notified. Every filter must pass: global and object switches, `notification_options`, the
//! `notification_period`, no downtime, no acknowledgement, not flapping, and for a service, its
//! host UP. Escalations replace the contacts for the notification numbers they cover.
use std::collections::BTreeSet;

use vigia_config::model::{
    CommandCall, ContactId, EscalationTarget, Letters, NotificationChannel, NotificationSettings, TimeperiodId,
};

use crate::brok::BrokBody;
use crate::engine::{subject, Action, ActionKind, Due, Engine, NotificationKind};
use crate::status::{host_state, state_name, Item, StateType};

/// One contact's way of being notified: Alignak notification ways, or the contact's own settings.
struct Channel<'c> {
    period: Option<TimeperiodId>,
    options: Letters,
    commands: &'c [CommandCall],
}

impl Engine {
    /// A HARD problem began (or a volatile service reported one).
    pub(crate) fn start_problem(&mut self, item: Item) {
        let delay = self.monitored(item).first_notification_delay;
        let st = self.status(item);
        if st.notification_number == 0 && delay > 0.0 {
            let at = st.last_hard_state_change + (delay * self.config.interval_length as f64) as i64;
            self.status_mut(item).next_notification = at;
            self.push_schedule(at, Due::Notification(item));
            return;
        }
        self.notify_problem(item);
    }

    /// A scheduled re-notification (or delayed first notification) came due. When a check of
    /// the item is with a poller, its result decides: it is looked at again when the result
    /// comes in, so a recovery found at that same moment is not preceded by a stale PROBLEM.
    pub(crate) fn renotify_if_due(&mut self, item: Item, at: i64) {
        let st = self.status(item);
        if st.next_notification != at || !st.is_problem() || st.state_type != StateType::Hard || st.in_flight {
            return;
        }
        self.notify_problem(item);
    }

    fn notify_problem(&mut self, item: Item) {
        let sent = self.notify(item, NotificationKind::Problem, None);
        let interval = self.notification_interval(item);
        let now = self.now;
        let st = self.status_mut(item);
        st.next_notification = 0;
        if sent {
            st.notification_number += 1;
            st.last_notification = now;
        }
        // Re-notify while the problem lasts; a notification held back by a filter (period,
        // acknowledgement, downtime) is looked at again at the same pace.
        if interval > 0 {
            let at = now + interval;
            self.status_mut(item).next_notification = at;
            self.push_schedule(at, Due::Notification(item));
        }
    }

    /// The item recovered from a HARD problem. The RECOVERY carries notification number 0:
    /// Alignak resets the count before sending it (Nagios would send number N+1).
    pub(crate) fn recover(&mut self, item: Item) {
        let notified = self.status(item).notification_number > 0;
        let st = self.status_mut(item);
        st.notification_number = 0;
        st.next_notification = 0;
        if notified {
            self.notify(item, NotificationKind::Recovery, None);
        }
    }

    /// Seconds between PROBLEM notifications: the object's, or the smallest of the escalations
    /// that apply to the next one (Nagios rule); 0 means notify once.
    fn notification_interval(&self, item: Item) -> i64 {
        let number = self.status(item).notification_number;
        let base = self.monitored(item).notification_interval;
        let escalated = self
            .escalations_for(item, number, NotificationKind::Problem)
            .map(|e| self.config.escalations[e].notification_interval)
            .fold(None, |acc: Option<f64>, i| Some(acc.map_or(i, |a| a.min(i))));
        let minutes = escalated.unwrap_or(base);
        (minutes * self.config.interval_length as f64).round() as i64
    }

    /// Indices of the escalations covering notification `number + 1` of `item` now.
    fn escalations_for(&self, item: Item, number: u32, kind: NotificationKind) -> impl Iterator<Item = usize> + '_ {
        let target = match item {
            Item::Host(h) => EscalationTarget::Host(h),
            Item::Service(s) => EscalationTarget::Service(s),
        };
        let next = number + 1;
        let letter = match kind {
            NotificationKind::Recovery => 'r',
            _ => self.current_letter(item),
        };
        let elapsed_units =
            (self.now - self.status(item).last_hard_state_change) as f64 / self.config.interval_length as f64;
        self.config.escalations.iter().enumerate().filter_map(move |(i, e)| {
            if e.target != target {
                return None;
            }
            let by_number = e
                .first_notification
                .is_some_and(|first| next >= first && e.last_notification.is_none_or(|last| last == 0 || next <= last));
            let by_time = e.first_notification_time.is_some_and(|first| {
                elapsed_units >= first
                    && e.last_notification_time
                        .is_none_or(|last| last == 0.0 || elapsed_units <= last)
            });
            let options_ok = e.escalation_options.is_empty() || e.escalation_options.contains(letter);
            ((by_number || by_time) && options_ok && self.in_period(e.escalation_period, self.now)).then_some(i)
        })
    }

    /// Object-level filters, then one notification per contact channel command. Returns whether
    /// anything was sent.
    pub(crate) fn notify(&mut self, item: Item, kind: NotificationKind, author_comment: Option<(&str, &str)>) -> bool {
        self.notify_with(item, kind, author_comment, false, false)
    }

    /// `SEND_CUSTOM_*_NOTIFICATION` (Nagios; Alignak does not implement it): `options` is a
    /// bit mask: 1 broadcast (to every contact, escalated or not), 2 forced (whatever the
    /// filters say), 4 increment the notification number.
    pub(crate) fn notify_custom(&mut self, item: Item, options: u32, author: &str, comment: &str) -> bool {
        if options & 4 != 0 {
            self.status_mut(item).notification_number += 1;
        }
        self.notify_with(
            item,
            NotificationKind::Custom,
            Some((author, comment)),
            options & 2 != 0,
            options & 1 != 0,
        )
    }

    fn notify_with(
        &mut self,
        item: Item,
        kind: NotificationKind,
        author_comment: Option<(&str, &str)>,
        forced: bool,
        broadcast: bool,
    ) -> bool {
        if !forced && !self.notification_allowed(item, kind) {
            return false;
        }
        // `$NOTIFICATIONNUMBER$`: the PROBLEM being sent counts; others carry the current count.
        let number = self.status(item).notification_number + u32::from(kind == NotificationKind::Problem);
        let mut contacts = self.notified_contacts(item, kind);
        if broadcast {
            contacts.extend(self.escalation_contacts(item));
            contacts.sort_unstable();
            contacts.dedup();
        }
        let letter = match kind {
            NotificationKind::Problem => self.current_letter(item),
            NotificationKind::Recovery => 'r',
            NotificationKind::FlappingStart | NotificationKind::FlappingStop | NotificationKind::FlappingDisabled => {
                'f'
            }
            NotificationKind::DowntimeStart | NotificationKind::DowntimeEnd | NotificationKind::DowntimeCancelled => {
                's'
            }
            NotificationKind::Acknowledgement | NotificationKind::Custom => '*',
        };
        let config = std::sync::Arc::clone(&self.config);
        let mut sent = false;
        for contact in contacts {
            let calls: Vec<CommandCall> = self
                .channels(item, contact)
                .into_iter()
                .filter(|ch| letter == '*' || ch.options.contains(letter))
                .filter(|ch| forced || self.in_period(ch.period, self.now))
                .flat_map(|ch| ch.commands.iter().cloned())
                .collect();
            for call in calls {
                let command_line = self.notification_command_line(item, &call, contact, kind, number, author_comment);
                let st = self.status(item);
                let line = crate::log::notification(
                    &config.contacts[contact.index()].name,
                    subject(&config, item),
                    kind,
                    state_name(item, st.state),
                    &config.commands[call.command.index()].name,
                    &st.output,
                    author_comment,
                );
                self.log(line);
                let id = self.new_action_id();
                let tag = self.monitored(item).details().reactionner_tag.clone();
                let timeout = config.commands[call.command.index()].timeout;
                if self.track.broks_enabled {
                    self.push_brok(BrokBody::Notification {
                        item,
                        contact,
                        kind,
                        number,
                        command_line: command_line.clone(),
                    });
                }
                self.pending.push(Action {
                    id,
                    item,
                    kind: ActionKind::Notification { contact, kind, number },
                    command_line,
                    timeout,
                    tag,
                    due: self.now as f64,
                });
                sent = true;
            }
        }
        sent
    }

    /// Alignak's `is_blocking_notifications` for hosts and services, in its order. CUSTOM ones
    /// follow Nagios (Alignak has none): switches, period, and no downtime on the object or its
    /// host.
    fn notification_allowed(&self, item: Item, kind: NotificationKind) -> bool {
        use NotificationKind as K;
        let st = self.status(item);
        let m = self.monitored(item);
        if !self.globals.notifications || !st.switches.notifications || m.notification_options.contains('n') {
            return false;
        }
        if !self.in_period(m.notification_period, self.now) {
            return false;
        }
        let host_status = match item {
            Item::Service(s) => Some(&self.hosts[self.config.services[s.index()].host.index()]),
            Item::Host(_) => None,
        };
        if kind == K::Custom {
            return st.downtime_depth == 0 && host_status.is_none_or(|h| h.downtime_depth == 0);
        }
        let flapping_kind = matches!(kind, K::FlappingStart | K::FlappingStop | K::FlappingDisabled);
        let downtime_kind = matches!(kind, K::DowntimeStart | K::DowntimeEnd | K::DowntimeCancelled);
        let option = match kind {
            K::Problem => Some(self.current_letter(item)),
            K::Recovery => Some('r'),
            _ if flapping_kind => Some('f'),
            _ if downtime_kind => Some('s'),
            _ => None,
        };
        // Alignak writes host UNREACHABLE as `x` as well as Nagios's `u`.
        let unreachable_alias = matches!(item, Item::Host(_)) && st.state == host_state::UNREACHABLE;
        if let Some(letter) = option {
            if !(m.notification_options.contains(letter) || (unreachable_alias && m.notification_options.contains('x')))
            {
                return false;
            }
        }
        if kind == K::Acknowledgement && !st.is_problem() {
            return false;
        }
        let depth = st.downtime_depth;
        match host_status {
            // A service: nothing while its host is in downtime.
            Some(h) if h.downtime_depth > 0 => return false,
            None if flapping_kind && depth > 0 => return false,
            _ => {}
        }
        // In deep downtime, only the end of a downtime is told.
        if depth > 1 && !matches!(kind, K::DowntimeEnd | K::DowntimeCancelled) {
            return false;
        }
        let blocked_in_downtime = match host_status {
            Some(_) => matches!(kind, K::Problem | K::Recovery | K::Acknowledgement) || flapping_kind,
            None => matches!(kind, K::Problem | K::Recovery | K::Acknowledgement),
        };
        if depth > 0 && blocked_in_downtime {
            return false;
        }
        if kind == K::Problem && st.state_type == StateType::Soft {
            return false;
        }
        let ack_passes = match host_status {
            Some(_) => kind == K::Acknowledgement,
            None => kind == K::Acknowledgement || downtime_kind,
        };
        if st.acknowledgement.is_some() && !ack_passes {
            return false;
        }
        if st.is_flapping && !flapping_kind {
            return false;
        }
        if host_status.is_some_and(|h| h.state != host_state::UP) {
            return false;
        }
        let problem_or_recovery = matches!(kind, K::Problem | K::Recovery);
        !(problem_or_recovery && self.dependency_fails(item, crate::dependencies::Criteria::Notification))
    }

    /// Every contact of every escalation of the item (for broadcast custom notifications).
    fn escalation_contacts(&self, item: Item) -> Vec<ContactId> {
        let target = match item {
            Item::Host(h) => EscalationTarget::Host(h),
            Item::Service(s) => EscalationTarget::Service(s),
        };
        let mut out = Vec::new();
        for e in self.config.escalations.iter().filter(|e| e.target == target) {
            out.extend(e.contacts.iter().copied());
            for g in &e.contact_groups {
                out.extend(self.config.contactgroups[g.index()].members.iter().copied());
            }
        }
        out
    }

    /// The object's contacts and its contact groups' members, or the escalations' when one
    /// applies; sorted, each once.
    fn notified_contacts(&self, item: Item, kind: NotificationKind) -> Vec<ContactId> {
        let number = self.status(item).notification_number;
        let escalations: Vec<usize> = self.escalations_for(item, number, kind).collect();
        let mut out = BTreeSet::new();
        let mut add = |contacts: &[ContactId], groups: &[vigia_config::model::ContactgroupId]| {
            out.extend(contacts.iter().copied());
            for g in groups {
                out.extend(self.config.contactgroups[g.index()].members.iter().copied());
            }
        };
        if escalations.is_empty() {
            let m = self.monitored(item);
            add(&m.contacts, &m.contact_groups);
        } else {
            for e in escalations {
                let e = &self.config.escalations[e];
                add(&e.contacts, &e.contact_groups);
            }
        }
        out.into_iter().collect()
    }

    /// A contact's channels for this kind of object.
    fn channels(&self, item: Item, contact: ContactId) -> Vec<Channel<'_>> {
        let c = &self.config.contacts[contact.index()];
        let host = matches!(item, Item::Host(_));
        let enabled = if host {
            c.host_notifications_enabled
        } else {
            c.service_notifications_enabled
        };
        if !enabled {
            return Vec::new();
        }
        fn side(s: &NotificationSettings, host: bool) -> &NotificationChannel {
            if host {
                &s.host
            } else {
                &s.service
            }
        }
        let mut out: Vec<Channel<'_>> = c
            .notificationways
            .iter()
            .map(|way| {
                let ch = side(&self.config.notificationways[way.index()].notifications, host);
                Channel {
                    period: ch.period,
                    options: ch.options,
                    commands: &ch.commands,
                }
            })
            .collect();
        if out.is_empty() {
            let ch = side(&c.notifications, host);
            out.push(Channel {
                period: ch.period,
                options: all_if_empty(ch.options),
                commands: &ch.commands,
            });
        }
        out
    }

    /// Event handlers (global, then the object's) on every SOFT problem, on entering a HARD
    /// state and on recovery.
    pub(crate) fn run_event_handler(&mut self, item: Item, state_type: StateType) {
        if !self.globals.event_handlers || !self.status(item).switches.event_handler {
            return;
        }
        let global_key = match item {
            Item::Host(_) => "global_host_event_handler",
            Item::Service(_) => "global_service_event_handler",
        };
        let mut calls = Vec::new();
        if let Some(text) = self.config.globals.get(global_key).filter(|t| !t.trim().is_empty()) {
            let name = text.split('!').next().unwrap_or("").trim();
            if let Some(id) = self.config.commands.iter().position(|c| c.name == name) {
                calls.push(CommandCall {
                    command: vigia_config::model::CommandId(id as u32),
                    raw: text.as_str().into(),
                });
            }
        }
        if self.monitored(item).event_handler_enabled {
            calls.extend(self.monitored(item).details().event_handler.clone());
        }
        let config = std::sync::Arc::clone(&self.config);
        for call in calls {
            let command_line = self.command_line(item, &call, None);
            let st = self.status(item);
            let line = crate::log::event_handler(
                subject(&config, item),
                state_name(item, st.state),
                state_type,
                st.attempt,
                &config.commands[call.command.index()].name,
            );
            self.log(line);
            if self.track.broks_enabled {
                self.push_brok(BrokBody::EventHandler {
                    item,
                    command_line: command_line.clone(),
                });
            }
            let id = self.new_action_id();
            let timeout = self.config.commands[call.command.index()].timeout;
            let tag = self.monitored(item).details().reactionner_tag.clone();
            self.pending.push(Action {
                id,
                item,
                kind: ActionKind::EventHandler,
                command_line,
                timeout,
                tag,
                due: self.now as f64,
            });
        }
    }
}

/// A contact with no notification options set gets all of them (Alignak default).
fn all_if_empty(l: Letters) -> Letters {
    if l.is_empty() {
        vigia_config::values::letters("d,u,r,f,s,w,c,x")
    } else {
        l
    }
}
