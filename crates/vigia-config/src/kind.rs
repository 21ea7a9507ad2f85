//! The object types of the Nagios/Alignak grammar (`define TYPE { … }`).
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Host,
    Service,
    Command,
    Timeperiod,
    Contact,
    Contactgroup,
    Hostgroup,
    Servicegroup,
    Hostdependency,
    Servicedependency,
    Hostescalation,
    Serviceescalation,
    Escalation,
    Notificationway,
    Realm,
    Hostextinfo,
    Serviceextinfo,
    Businessimpactmodulation,
    Resultmodulation,
    Checkmodulation,
    Macromodulation,
    Module,
    Arbiter,
    Scheduler,
    Poller,
    Reactionner,
    Broker,
    Receiver,
}

impl ObjectKind {
    pub const ALL: &'static [ObjectKind] = &[
        ObjectKind::Host,
        ObjectKind::Service,
        ObjectKind::Command,
        ObjectKind::Timeperiod,
        ObjectKind::Contact,
        ObjectKind::Contactgroup,
        ObjectKind::Hostgroup,
        ObjectKind::Servicegroup,
        ObjectKind::Hostdependency,
        ObjectKind::Servicedependency,
        ObjectKind::Hostescalation,
        ObjectKind::Serviceescalation,
        ObjectKind::Escalation,
        ObjectKind::Notificationway,
        ObjectKind::Realm,
        ObjectKind::Hostextinfo,
        ObjectKind::Serviceextinfo,
        ObjectKind::Businessimpactmodulation,
        ObjectKind::Resultmodulation,
        ObjectKind::Checkmodulation,
        ObjectKind::Macromodulation,
        ObjectKind::Module,
        ObjectKind::Arbiter,
        ObjectKind::Scheduler,
        ObjectKind::Poller,
        ObjectKind::Reactionner,
        ObjectKind::Broker,
        ObjectKind::Receiver,
    ];

    /// The word after `define`.
    pub fn keyword(self) -> &'static str {
        match self {
            ObjectKind::Host => "host",
            ObjectKind::Service => "service",
            ObjectKind::Command => "command",
            ObjectKind::Timeperiod => "timeperiod",
            ObjectKind::Contact => "contact",
            ObjectKind::Contactgroup => "contactgroup",
            ObjectKind::Hostgroup => "hostgroup",
            ObjectKind::Servicegroup => "servicegroup",
            ObjectKind::Hostdependency => "hostdependency",
            ObjectKind::Servicedependency => "servicedependency",
            ObjectKind::Hostescalation => "hostescalation",
            ObjectKind::Serviceescalation => "serviceescalation",
            ObjectKind::Escalation => "escalation",
            ObjectKind::Notificationway => "notificationway",
            ObjectKind::Realm => "realm",
            ObjectKind::Hostextinfo => "hostextinfo",
            ObjectKind::Serviceextinfo => "serviceextinfo",
            ObjectKind::Businessimpactmodulation => "businessimpactmodulation",
            ObjectKind::Resultmodulation => "resultmodulation",
            ObjectKind::Checkmodulation => "checkmodulation",
            ObjectKind::Macromodulation => "macromodulation",
            ObjectKind::Module => "module",
            ObjectKind::Arbiter => "arbiter",
            ObjectKind::Scheduler => "scheduler",
            ObjectKind::Poller => "poller",
            ObjectKind::Reactionner => "reactionner",
            ObjectKind::Broker => "broker",
            ObjectKind::Receiver => "receiver",
        }
    }

    /// Reads the word after `define` (case-insensitive, as Nagios and Alignak).
    pub fn from_keyword(word: &str) -> Option<ObjectKind> {
        ObjectKind::ALL
            .iter()
            .copied()
            .find(|k| k.keyword().eq_ignore_ascii_case(word))
    }

    /// The property that names a real object of this type, when names are unique per type.
    pub fn name_key(self) -> Option<&'static str> {
        match self {
            ObjectKind::Host => Some("host_name"),
            ObjectKind::Service => None,
            ObjectKind::Command => Some("command_name"),
            ObjectKind::Timeperiod => Some("timeperiod_name"),
            ObjectKind::Contact => Some("contact_name"),
            ObjectKind::Contactgroup => Some("contactgroup_name"),
            ObjectKind::Hostgroup => Some("hostgroup_name"),
            ObjectKind::Servicegroup => Some("servicegroup_name"),
            ObjectKind::Hostdependency => None,
            ObjectKind::Servicedependency => None,
            ObjectKind::Hostescalation => None,
            ObjectKind::Serviceescalation => None,
            ObjectKind::Escalation => Some("escalation_name"),
            ObjectKind::Notificationway => Some("notificationway_name"),
            ObjectKind::Realm => Some("realm_name"),
            ObjectKind::Hostextinfo => None,
            ObjectKind::Serviceextinfo => None,
            ObjectKind::Businessimpactmodulation => Some("business_impact_modulation_name"),
            ObjectKind::Resultmodulation => Some("resultmodulation_name"),
            ObjectKind::Checkmodulation => Some("checkmodulation_name"),
            ObjectKind::Macromodulation => Some("macromodulation_name"),
            ObjectKind::Module => Some("module_alias"),
            ObjectKind::Arbiter => Some("arbiter_name"),
            ObjectKind::Scheduler => Some("scheduler_name"),
            ObjectKind::Poller => Some("poller_name"),
            ObjectKind::Reactionner => Some("reactionner_name"),
            ObjectKind::Broker => Some("broker_name"),
            ObjectKind::Receiver => Some("receiver_name"),
        }
    }

    /// Daemon links: the six roles of a Vigia/Alignak installation.
    pub fn is_daemon(self) -> bool {
        matches!(
            self,
            ObjectKind::Arbiter
                | ObjectKind::Scheduler
                | ObjectKind::Poller
                | ObjectKind::Reactionner
                | ObjectKind::Broker
                | ObjectKind::Receiver
        )
    }
}
