//! Scheduled downtimes (Nagios "Scheduled Downtime", Alignak `downtime.py`): fixed ones run from
//! start to end; flexible ones start when the object enters a HARD problem state inside the
//! window (Alignak `check_for_flexible_downtime`; Nagios starts them on any problem result) and
//! last `duration`; a triggered one starts when its trigger starts. Each one raises the object's
//! `scheduled_downtime_depth` and adds a comment. Only the first to start and the last to end
//! log `DOWNTIME ALERT` and notify DOWNTIMESTART / DOWNTIMEEND. Cancelling one logs CANCELLED,
//! cancels the downtimes it triggered, and notifies nobody (Alignak; Nagios sends
//! DOWNTIMECANCELLED). A host downtime that starts acknowledges the host's problem, sticky
//! (Alignak).
use serde::{Deserialize, Serialize};

use crate::brok::BrokBody;
use crate::comments::CommentKind;
use crate::engine::{subject, Due, Engine, NotificationKind};
use crate::log::DowntimeEvent;
use crate::status::Item;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Downtime {
    pub id: u64,
    pub item: Item,
    pub start: i64,
    pub end: i64,
    pub fixed: bool,
    /// Another downtime whose start starts this one (0: none).
    pub triggered_by: u64,
    /// Seconds, for flexible downtimes.
    pub duration: i64,
    pub author: String,
    pub comment: String,
    pub entry_time: i64,
    /// Running now: it counts in the depth.
    pub active: bool,
    /// When it actually started (flexible and triggered ones start late).
    pub started_at: i64,
    pub comment_id: u64,
}

impl Engine {
    /// Schedules a downtime; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn schedule_downtime(
        &mut self,
        item: Item,
        start: i64,
        end: i64,
        fixed: bool,
        triggered_by: u64,
        duration: i64,
        author: &str,
        comment: &str,
    ) -> Result<u64, String> {
        if end <= start {
            return Err(format!("downtime end {end} is not after its start {start}"));
        }
        if triggered_by != 0 && !self.downtimes.iter().any(|d| d.id == triggered_by) {
            return Err(format!("no downtime {triggered_by} to be triggered by"));
        }
        self.next_downtime_id += 1;
        let id = self.next_downtime_id;
        let word = kind_word(item);
        let stamp = |t: i64| crate::macros::short_date_time(t, &self.tz);
        // Alignak's automatic comment, word for word.
        let text = if fixed {
            format!(
                "This {word} has been scheduled for fixed downtime from {} to {}. Notifications for the {word} will not be sent out for this time period.",
                stamp(start),
                stamp(end)
            )
        } else {
            let duration = duration.max(0);
            format!(
                "This {word} has been scheduled for flexible downtime starting between {} and {} and lasting for a period of {} hours and {} minutes. Notifications for the {word} will not be sent out for this time period.",
                stamp(start),
                stamp(end),
                duration / 3600,
                duration % 3600 / 60
            )
        };
        let comment_id = self.add_comment(item, CommentKind::Downtime, false, author, &text);
        let downtime = Downtime {
            id,
            item,
            start,
            end,
            fixed,
            triggered_by,
            duration: duration.max(0),
            author: author.to_string(),
            comment: comment.to_string(),
            entry_time: self.now,
            active: false,
            started_at: 0,
            comment_id,
        };
        self.push_brok(BrokBody::DowntimeAdded {
            downtime: downtime.clone(),
        });
        self.downtimes.push(downtime);
        self.record_downtime(id);
        // The object's status shows its downtimes (comments, and soon the depth).
        self.status_mut(item);
        if fixed && triggered_by == 0 {
            self.push_schedule(start.max(self.now), Due::DowntimeStart(id));
        } else if !fixed
            && triggered_by == 0
            && self.status(item).is_problem()
            && self.status(item).state_type == crate::status::StateType::Hard
            && start <= self.now
        {
            // A flexible downtime scheduled during a HARD problem starts at once.
            self.start_downtime(id);
        }
        self.push_schedule(end, Due::DowntimeEnd(id));
        Ok(id)
    }

    pub fn downtimes(&self) -> &[Downtime] {
        &self.downtimes
    }

    /// A fixed downtime's start came; or a flexible one's problem arrived; or its trigger started.
    pub(crate) fn start_downtime(&mut self, id: u64) {
        let now = self.now;
        let Some(d) = self.downtimes.iter_mut().find(|d| d.id == id && !d.active) else {
            return;
        };
        if now >= d.end && d.fixed {
            return;
        }
        d.active = true;
        d.started_at = now;
        let (item, fixed, duration) = (d.item, d.fixed, d.duration);
        self.record_downtime(id);
        self.push_brok(BrokBody::DowntimeStarted { id });
        if !fixed {
            self.push_schedule(now + duration, Due::DowntimeEnd(id));
        }
        let depth = {
            let st = self.status_mut(item);
            st.downtime_depth += 1;
            st.downtime_depth
        };
        if depth == 1 {
            let config = std::sync::Arc::clone(&self.config);
            self.log(crate::log::downtime(subject(&config, item), DowntimeEvent::Started));
            self.notify(item, NotificationKind::DowntimeStart, None);
            if matches!(item, Item::Host(_)) && self.status(item).is_problem() {
                // Alignak: a host downtime acknowledges the host's problem (and its services').
                let _ = self.acknowledge(
                    item,
                    2,
                    true,
                    false,
                    "Alignak",
                    "Acknowledged because of an host downtime",
                    0,
                );
            }
        }
        self.business_member_changed(item);
        let triggered: Vec<u64> = self
            .downtimes
            .iter()
            .filter(|t| t.triggered_by == id)
            .map(|t| t.id)
            .collect();
        for t in triggered {
            self.start_downtime(t);
        }
    }

    /// The end of a downtime's window (or of a flexible downtime's duration).
    pub(crate) fn end_downtime(&mut self, id: u64) {
        let now = self.now;
        let Some(pos) = self.downtimes.iter().position(|d| d.id == id) else {
            return;
        };
        let d = &self.downtimes[pos];
        let due_end = if d.fixed || !d.active {
            d.end
        } else {
            d.started_at + d.duration
        };
        if now < due_end {
            return; // an earlier schedule entry of a flexible downtime that started late
        }
        let d = self.downtimes.remove(pos);
        self.downtime_removed(&d, false);
        if d.active {
            self.leave_downtime(d.item, DowntimeEvent::Stopped);
        }
    }

    /// Deletes a downtime (`DEL_SVC_DOWNTIME`): a running one ends as CANCELLED, without a
    /// notification (Alignak), and the downtimes it triggered are cancelled with it.
    pub fn cancel_downtime(&mut self, id: u64) -> Result<(), String> {
        let pos = self
            .downtimes
            .iter()
            .position(|d| d.id == id)
            .ok_or_else(|| format!("no downtime with id {id}"))?;
        let d = self.downtimes.remove(pos);
        self.downtime_removed(&d, true);
        if d.active {
            self.leave_downtime(d.item, DowntimeEvent::Cancelled);
        }
        let triggered: Vec<u64> = self
            .downtimes
            .iter()
            .filter(|t| t.triggered_by == id)
            .map(|t| t.id)
            .collect();
        for t in triggered {
            let _ = self.cancel_downtime(t);
        }
        Ok(())
    }

    fn downtime_removed(&mut self, d: &Downtime, cancelled: bool) {
        self.delete_comment(d.comment_id);
        self.push_brok(BrokBody::DowntimeRemoved { id: d.id, cancelled });
        self.record_downtime(d.id);
        self.status_mut(d.item);
    }

    fn leave_downtime(&mut self, item: Item, event: DowntimeEvent) {
        let depth = {
            let st = self.status_mut(item);
            st.downtime_depth = st.downtime_depth.saturating_sub(1);
            st.downtime_depth
        };
        if depth == 0 {
            let config = std::sync::Arc::clone(&self.config);
            self.log(crate::log::downtime(subject(&config, item), event));
            if event == DowntimeEvent::Stopped {
                self.notify(item, NotificationKind::DowntimeEnd, None);
            }
            self.renotify_after_downtime(item);
        }
        self.business_member_changed(item);
    }

    /// A problem that lasts past the end of its downtime is notified with the next check's
    /// result (Alignak `in_scheduled_downtime_during_last_check`; Nagios does the same through
    /// its notification interval check), not a whole notification interval later.
    fn renotify_after_downtime(&mut self, item: Item) {
        let st = self.status(item);
        if !st.is_problem() || st.state_type != crate::status::StateType::Hard || st.next_check == 0 {
            return;
        }
        let at = st.next_check.max(self.now);
        self.status_mut(item).next_notification = at;
        self.push_schedule(at, Due::Notification(item));
    }

    /// A HARD problem began: flexible downtimes whose window is open start now.
    pub(crate) fn problem_started_for_downtimes(&mut self, item: Item) {
        let now = self.now;
        let ready: Vec<u64> = self
            .downtimes
            .iter()
            .filter(|d| {
                d.item == item && !d.fixed && !d.active && d.triggered_by == 0 && d.start <= now && now <= d.end
            })
            .map(|d| d.id)
            .collect();
        for id in ready {
            self.start_downtime(id);
        }
    }
}

fn kind_word(item: Item) -> &'static str {
    match item {
        Item::Host(_) => "host",
        Item::Service(_) => "service",
    }
}
