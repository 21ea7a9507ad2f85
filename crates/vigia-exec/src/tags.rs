//! Which actions a worker takes: Alignak routes a check to the pollers whose `poller_tags` hold
//! its `poller_tag` (reactionners: `reactionner_tag(s)`), and to the worker module whose type is
//! its `module_type`. An untagged action carries the tag `None`, and a satellite serves `None` by
//! default.
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The tag name Alignak gives untagged actions and untagged satellites.
pub const UNTAGGED: &str = "None";
/// The module type of actions run by the satellite itself (as opposed to e.g. `nrpe_poller`).
pub const FORK: &str = "fork";

/// The tags a worker serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFilter {
    tags: BTreeSet<String>,
}

impl TagFilter {
    pub fn new<I, S>(tags: I) -> TagFilter
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        TagFilter {
            tags: tags.into_iter().map(Into::into).collect(),
        }
    }

    /// Parses Alignak's comma-separated list (`poller_tags None,dmz`); an empty list means `None`.
    pub fn parse(list: &str) -> TagFilter {
        let filter = TagFilter::new(list.split(',').map(str::trim).filter(|t| !t.is_empty()));
        if filter.tags.is_empty() {
            TagFilter::default()
        } else {
            filter
        }
    }

    /// Whether an action with this tag is ours; `None` and `Some("None")` both mean untagged.
    pub fn serves(&self, tag: Option<&str>) -> bool {
        self.tags.contains(tag.unwrap_or(UNTAGGED))
    }

    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(String::as_str)
    }
}

impl Default for TagFilter {
    /// Serves untagged actions only.
    fn default() -> TagFilter {
        TagFilter::new([UNTAGGED])
    }
}

/// The module types a worker runs (`fork` for plain plugins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleTypes {
    types: BTreeSet<String>,
}

impl ModuleTypes {
    pub fn new<I, S>(types: I) -> ModuleTypes
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ModuleTypes {
            types: types.into_iter().map(Into::into).collect(),
        }
    }

    pub fn serves(&self, module_type: &str) -> bool {
        self.types.contains(module_type)
    }
}

impl Default for ModuleTypes {
    fn default() -> ModuleTypes {
        ModuleTypes::new([FORK])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_by_default() {
        let f = TagFilter::default();
        assert!(f.serves(None));
        assert!(f.serves(Some("None")));
        assert!(!f.serves(Some("dmz")));
    }

    #[test]
    fn tagged_worker() {
        let f = TagFilter::parse(" dmz , lan ");
        assert!(f.serves(Some("dmz")) && f.serves(Some("lan")));
        assert!(
            !f.serves(None),
            "a worker with tags serves untagged actions only if it lists None"
        );
        assert!(TagFilter::parse("None,dmz").serves(None));
        assert_eq!(TagFilter::parse(""), TagFilter::default());
        assert_eq!(f.tags().collect::<Vec<_>>(), ["dmz", "lan"]);
    }

    #[test]
    fn module_types() {
        assert!(ModuleTypes::default().serves("fork"));
        assert!(!ModuleTypes::default().serves("nrpe_poller"));
        assert!(ModuleTypes::new(["fork", "nrpe_poller"]).serves("nrpe_poller"));
    }
}
