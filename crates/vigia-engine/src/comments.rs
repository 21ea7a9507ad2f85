//! Comments and acknowledgements.
//!
//! A comment belongs to a host or service and has a kind (Livestatus `entry_type`): user 1,
//! downtime 2, flapping 3, acknowledgement 4. Ids only grow and survive restarts (retention).
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, NotificationKind};
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
        self.comments.push(Comment {
            id,
            item,
            kind,
            author: author.to_string(),
            text: text.to_string(),
            entry_time: self.now,
            persistent,
            expire_time: 0,
        });
        id
    }

    /// Deletes one comment; false when there is no such id.
    pub fn delete_comment(&mut self, id: u64) -> bool {
        let before = self.comments.len();
        self.comments.retain(|c| c.id != id);
        before != self.comments.len()
    }

    /// Deletes every comment of an item.
    pub fn delete_all_comments(&mut self, item: Item) {
        self.comments.retain(|c| c.item != item);
    }

    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// Acknowledges the current problem of an item (refused when it has none, as Nagios does).
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
        if !self.status(item).is_problem() {
            return Err("there is no problem to acknowledge".into());
        }
        let now = self.now;
        self.status_mut(item).acknowledgement = Some(Acknowledgement {
            sticky,
            notify,
            persistent,
            author: author.to_string(),
            comment: comment.to_string(),
            time: now,
            end_time,
        });
        self.add_comment(item, CommentKind::Acknowledgement, persistent, author, comment);
        if notify {
            self.notify(item, NotificationKind::Acknowledgement, Some((author, comment)));
        }
        Ok(())
    }

    /// Removes an acknowledgement and the comments it added.
    pub fn remove_acknowledgement(&mut self, item: Item) {
        self.status_mut(item).acknowledgement = None;
        self.comments
            .retain(|c| !(c.item == item && c.kind == CommentKind::Acknowledgement));
    }
}
