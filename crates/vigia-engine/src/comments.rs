//! Comments and acknowledgements.
//!
//! A comment belongs to a host or service and has a kind (Livestatus `entry_type`): user 1,
//! downtime 2, flapping 3, acknowledgement 4. Ids only grow and survive restarts (retention).
//!
//! Acknowledgements follow Alignak (`SchedulingItem.acknowledge_problem`): refused on an OK/UP
//! object; a new one replaces the previous one and its comment; `sticky` 2 keeps it until the
//! object recovers, other values until any state change; an end time makes it expire
//! (`*_PROBLEM_EXPIRE`); acknowledging a host also acknowledges its services in a problem state
//! (Alignak; Nagios acknowledges the host only). The log says `ACKNOWLEDGE ALERT … STARTED` and
//! `… EXPIRED` (Alignak only).
use serde::{Deserialize, Serialize};

use crate::brok::BrokBody;
use crate::engine::{subject, Due, Engine, NotificationKind};
use crate::retention::RetentionChange;
use crate::status::{Acknowledgement, Item};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommentKind {
    User = 1,
    Downtime = 2,
    Flapping = 3,
    Acknowledgement = 4,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: u64,
    pub item: Item,
    pub kind: CommentKind,
    pub author: String,
    pub text: String,
    pub entry_time: i64,
    pub persistent: bool,
    /// 0: never expires.
    pub expire_time: i64,
}

impl Engine {
    /// Adds a comment; returns its id.
    pub fn add_comment(&mut self, item: Item, kind: CommentKind, persistent: bool, author: &str, text: &str) -> u64 {
        self.next_comment_id += 1;
        let id = self.next_comment_id;
        let comment = Comment {
            id,
            item,
            kind,
            author: author.to_string(),
            text: text.to_string(),
            entry_time: self.now,
            persistent,
            expire_time: 0,
        };
        if self.track.broks_enabled {
            self.push_brok(BrokBody::CommentAdded {
                comment: comment.clone(),
            });
        }
        self.record_retention(|e| RetentionChange::CommentAdded {
            item: e.item_name_of(item),
            comment: comment.clone(),
        });
        self.comments.push(comment);
        id
    }

    /// Deletes one comment; false when there is no such id.
    pub fn delete_comment(&mut self, id: u64) -> bool {
        let before = self.comments.len();
        self.comments.retain(|c| c.id != id);
        let deleted = before != self.comments.len();
        if deleted {
            self.comment_deleted(id);
        }
        deleted
    }

    /// Deletes every comment of an item.
    pub fn delete_all_comments(&mut self, item: Item) {
        self.delete_comments_where(|c| c.item == item);
    }

    fn delete_comments_where(&mut self, doomed: impl Fn(&Comment) -> bool) {
        let ids: Vec<u64> = self.comments.iter().filter(|c| doomed(c)).map(|c| c.id).collect();
        if ids.is_empty() {
            return;
        }
        self.comments.retain(|c| !doomed(c));
        for id in ids {
            self.comment_deleted(id);
        }
    }

    fn comment_deleted(&mut self, id: u64) {
        self.push_brok(BrokBody::CommentDeleted { id });
        self.record_retention(|_| RetentionChange::CommentDeleted { id });
    }

    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// Acknowledges the current problem of an item (refused when it has none, as Nagios and
    /// Alignak do). For a host, its services in a problem state are acknowledged too (Alignak).
    #[allow(clippy::too_many_arguments)]
    pub fn acknowledge(
        &mut self,
        item: Item,
        sticky: u8,
        notify: bool,
        persistent: bool,
        author: &str,
        comment: &str,
        end_time: i64,
    ) -> Result<(), String> {
        let acked = self.acknowledge_one(item, sticky, notify, persistent, author, comment, end_time);
        if let Item::Host(h) = item {
            let services = self.config.hosts[h.index()].services.clone();
            for s in services {
                let s = Item::Service(s);
                if self.owns(s) && self.status(s).is_problem() {
                    self.acknowledge_one(s, sticky, notify, persistent, author, comment, end_time)?;
                }
            }
        }
        acked
    }

    #[allow(clippy::too_many_arguments)]
    fn acknowledge_one(
        &mut self,
        item: Item,
        sticky: u8,
        notify: bool,
        persistent: bool,
        author: &str,
        comment: &str,
        end_time: i64,
    ) -> Result<(), String> {
        if !self.status(item).is_problem() {
            return Err("there is no problem to acknowledge".into());
        }
        // A new acknowledgement replaces the previous one and its comment.
        self.delete_comments_where(|c| c.item == item && c.kind == CommentKind::Acknowledgement);
        let now = self.now;
        let ack = Acknowledgement {
            sticky,
            notify,
            persistent,
            author: author.to_string(),
            comment: comment.to_string(),
            time: now,
            end_time,
        };
        self.push_brok(BrokBody::AcknowledgeRaised {
            item,
            acknowledgement: ack.clone(),
        });
        self.status_mut(item).acknowledgement = Some(ack);
        self.add_comment(item, CommentKind::Acknowledgement, persistent, author, comment);
        let config = std::sync::Arc::clone(&self.config);
        self.log(crate::log::acknowledge(subject(&config, item), true));
        if end_time > 0 {
            self.push_schedule(end_time.max(now), Due::AckExpire(item));
        }
        if notify {
            self.notify(item, NotificationKind::Acknowledgement, Some((author, comment)));
        }
        self.business_member_changed(item);
        Ok(())
    }

    /// Removes an acknowledgement and the comments it added (logged as expired, as Alignak
    /// does for every removal).
    pub fn remove_acknowledgement(&mut self, item: Item) {
        if self.status(item).acknowledgement.is_none() {
            return;
        }
        self.status_mut(item).acknowledgement = None;
        self.delete_comments_where(|c| c.item == item && c.kind == CommentKind::Acknowledgement);
        self.push_brok(BrokBody::AcknowledgeExpired { item });
        let config = std::sync::Arc::clone(&self.config);
        self.log(crate::log::acknowledge(subject(&config, item), false));
        self.business_member_changed(item);
    }

    /// An acknowledgement's end time came (stale entries, for a since replaced or removed
    /// acknowledgement, do nothing).
    pub(crate) fn expire_acknowledgement(&mut self, item: Item, at: i64) {
        let due = self.status(item).acknowledgement.as_ref().map(|a| a.end_time);
        if due.is_some_and(|end| end > 0 && end <= at) {
            self.remove_acknowledgement(item);
        }
    }
}
