//! Scheduled downtimes (Nagios "Scheduled Downtime"): fixed ones run from start to end;
//! flexible ones start when the object enters a problem state inside the window and last
//! `duration`; a triggered one starts when its trigger starts. Each one raises the object's
//! `scheduled_downtime_depth`, adds a comment, logs `DOWNTIME ALERT` and notifies
//! DOWNTIMESTART / DOWNTIMEEND / DOWNTIMECANCELLED.
use serde::{Deserialize, Serialize};

use crate::comments::CommentKind;
use crate::engine::{Due, Engine, NotificationKind};
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
        let text = format!(
            "This {} has been scheduled for {} downtime from {start} to {end}. Notifications for the {} will not be sent out during that time period.",
            kind_word(item),
            if fixed { "fixed" } else { "flexible" },
            kind_word(item)
        );
        let comment_id = self.add_comment(item, CommentKind::Downtime, false, author, &text);
        self.downtimes.push(Downtime {
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
        });
        if fixed && triggered_by == 0 {
            self.push_schedule(start.max(self.now), Due::DowntimeStart(id));
        } else if !fixed && triggered_by == 0 && self.status(item).is_problem() && start <= self.now {
            // A flexible downtime scheduled during a problem starts at once.
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
        if !fixed {
            self.push_schedule(now + duration, Due::DowntimeEnd(id));
        }
        self.status_mut(item).downtime_depth += 1;
        self.log_downtime(item, "STARTED", "has entered a period of scheduled downtime");
        self.notify(item, NotificationKind::DowntimeStart, None);
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
        self.delete_comment(d.comment_id);
        if d.active {
            self.finish_downtime(
                d.item,
                "STOPPED",
                "has exited from a period of scheduled downtime",
                NotificationKind::DowntimeEnd,
            );
        }
    }

    /// Deletes a downtime (`DEL_SVC_DOWNTIME`); a running one ends as CANCELLED.
    pub fn cancel_downtime(&mut self, id: u64) -> Result<(), String> {
        let pos = self
            .downtimes
            .iter()
            .position(|d| d.id == id)
            .ok_or_else(|| format!("no downtime with id {id}"))?;
        let d = self.downtimes.remove(pos);
        self.delete_comment(d.comment_id);
        if d.active {
            self.finish_downtime(
                d.item,
                "CANCELLED",
                "downtime has been cancelled",
                NotificationKind::DowntimeCancelled,
            );
        }
        Ok(())
    }

    fn finish_downtime(&mut self, item: Item, what: &str, text: &str, kind: NotificationKind) {
        let st = self.status_mut(item);
        st.downtime_depth = st.downtime_depth.saturating_sub(1);
        self.log_downtime(item, what, text);
        self.notify(item, kind, None);
    }

    /// A problem began: flexible downtimes whose window is open start now.
    pub(crate) fn problem_started_for_downtimes(&mut self, item: Item) {
        let now = self.now;
        let ready: Vec<u64> = self
            .downtimes
            .iter()
            .filter(|d| d.item == item && !d.fixed && !d.active && d.triggered_by == 0 && d.start <= now && now < d.end)
            .map(|d| d.id)
            .collect();
        for id in ready {
            self.start_downtime(id);
        }
    }

    fn log_downtime(&mut self, item: Item, what: &str, text: &str) {
        let line = match self.item_name(item) {
            (host, None) => format!("HOST DOWNTIME ALERT: {host};{what}; Host {text}"),
            (host, Some(svc)) => format!("SERVICE DOWNTIME ALERT: {host};{svc};{what}; Service {text}"),
        };
        self.log(line);
    }
}

fn kind_word(item: Item) -> &'static str {
    match item {
        Item::Host(_) => "host",
        Item::Service(_) => "service",
    }
}
