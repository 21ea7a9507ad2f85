//! Host and service dependencies (Nagios "Host and Service Dependencies"): while the master is
//! in a state named by `execution_failure_criteria`, the dependent is not checked; while it is in
//! one named by `notification_failure_criteria`, the dependent does not notify. Only inside the
//! `dependency_period`; with `inherits_parent`, the master's own dependencies count too.
use vigia_config::model::Letters;

use crate::engine::Engine;
use crate::status::{state_letter, Item};

/// Which criteria a question is about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Criteria {
    Execution,
    Notification,
}

/// Dependencies by dependent item: indices into the configuration's host or service dependency
/// list. Only items that have some are present, so a large configuration without dependencies
/// pays nothing.
pub(crate) fn index(config: &vigia_config::Config) -> rustc_hash::FxHashMap<Item, Vec<u32>> {
    let mut out: rustc_hash::FxHashMap<Item, Vec<u32>> = rustc_hash::FxHashMap::default();
    for (i, d) in config.hostdependencies.iter().enumerate() {
        out.entry(Item::Host(d.dependent)).or_default().push(i as u32);
    }
    for (i, d) in config.servicedependencies.iter().enumerate() {
        out.entry(Item::Service(d.dependent)).or_default().push(i as u32);
    }
    out
}

impl Engine {
    /// Whether a dependency of `item` fails for `criteria` now.
    pub(crate) fn dependency_fails(&self, item: Item, criteria: Criteria) -> bool {
        self.dependency_fails_depth(item, criteria, 0)
    }

    fn dependency_fails_depth(&self, item: Item, criteria: Criteria, depth: u32) -> bool {
        // Loops are refused at load time; the bound only guards against deep chains.
        if depth > 32 {
            return false;
        }
        let Some(indices) = self.dependencies_of.get(&item) else {
            return false;
        };
        let c = &self.config;
        indices.iter().any(|&i| {
            let (master, letters, inherits, period) = match item {
                Item::Host(_) => {
                    let d = &c.hostdependencies[i as usize];
                    (
                        Item::Host(d.master),
                        pick(criteria, d.execution_failure_criteria, d.notification_failure_criteria),
                        d.inherits_parent,
                        d.dependency_period,
                    )
                }
                Item::Service(_) => {
                    let d = &c.servicedependencies[i as usize];
                    (
                        Item::Service(d.master),
                        pick(criteria, d.execution_failure_criteria, d.notification_failure_criteria),
                        d.inherits_parent,
                        d.dependency_period,
                    )
                }
            };
            if !self.in_period(period, self.now) {
                return false;
            }
            let st = self.status(master);
            let letter = if st.has_been_checked {
                state_letter(master, st.state)
            } else {
                'p'
            };
            let fails =
                letters.contains(letter) || (letter == 'u' && matches!(master, Item::Host(_)) && letters.contains('x'));
            fails || (inherits && self.dependency_fails_depth(master, criteria, depth + 1))
        })
    }
}

fn pick(criteria: Criteria, execution: Letters, notification: Letters) -> Letters {
    match criteria {
        Criteria::Execution => execution,
        Criteria::Notification => notification,
    }
}
