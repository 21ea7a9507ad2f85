//! The engine's answers to macros: what `$HOSTSTATE$`, `$SERVICEOUTPUT$`, `$CONTACTEMAIL$`, …
//! are for one host or service (and contact, for a notification), and the command lines built
//! from them.
use std::borrow::Cow;

use vigia_config::model::{CommandCall, ContactId};

use crate::engine::{Engine, NotificationKind};
use crate::macros::{self, Expander, MacroSource};
use crate::status::{state_name, Item};

/// Notification facts a notification's command line may use.
#[derive(Clone, Copy)]
pub(crate) struct NotificationFacts<'a> {
    pub contact: ContactId,
    pub kind: NotificationKind,
    pub number: u32,
    pub author_comment: Option<(&'a str, &'a str)>,
}

/// Macro values of one item at the engine's current time.
pub(crate) struct ItemMacros<'e> {
    engine: &'e Engine,
    item: Item,
    notification: Option<NotificationFacts<'e>>,
}

impl<'e> ItemMacros<'e> {
    fn host_value(&self, host: vigia_config::model::HostId, name: &str) -> Option<Cow<'e, str>> {
        let e = self.engine;
        let h = &e.config.hosts[host.index()];
        let st = &e.hosts[host.index()];
        let item = Item::Host(host);
        let v: Cow<'e, str> = match name {
            "HOSTNAME" => Cow::Borrowed(h.name.as_str()),
            "HOSTALIAS" => Cow::Borrowed(h.alias.as_str()),
            "HOSTDISPLAYNAME" => {
                let d = &h.common.details().display_name;
                Cow::Owned(if d.is_empty() { h.name.clone() } else { d.clone() })
            }
            "HOSTADDRESS" => Cow::Borrowed(h.address.as_str()),
            "HOSTSTATE" => Cow::Borrowed(state_name(item, st.state)),
            "HOSTSTATEID" => Cow::Owned(st.state.to_string()),
            "LASTHOSTSTATE" => Cow::Borrowed(state_name(item, st.last_state)),
            "LASTHOSTSTATEID" => Cow::Owned(st.last_state.to_string()),
            "HOSTSTATETYPE" => Cow::Borrowed(st.state_type.name()),
            "HOSTATTEMPT" => Cow::Owned(st.attempt.to_string()),
            "MAXHOSTATTEMPTS" => Cow::Owned(h.common.max_check_attempts.to_string()),
            "HOSTOUTPUT" => Cow::Borrowed(st.output.as_str()),
            "LONGHOSTOUTPUT" => Cow::Borrowed(st.long_output.as_str()),
            "HOSTPERFDATA" => Cow::Borrowed(st.perf_data.as_str()),
            "HOSTLATENCY" => Cow::Owned(format!("{:.3}", st.latency)),
            "HOSTEXECUTIONTIME" => Cow::Owned(format!("{:.3}", st.execution_time)),
            "LASTHOSTCHECK" => Cow::Owned(st.last_check.to_string()),
            "LASTHOSTSTATECHANGE" => Cow::Owned(st.last_state_change.to_string()),
            "HOSTDOWNTIME" => Cow::Owned(st.downtime_depth.to_string()),
            "HOSTPERCENTCHANGE" => Cow::Owned(format!("{:.2}", st.percent_state_change)),
            "HOSTNOTIFICATIONNUMBER" => Cow::Owned(st.notification_number.to_string()),
            "HOSTPROBLEMID" | "HOSTEVENTID" => Cow::Borrowed("0"),
            "HOSTGROUPNAMES" => Cow::Owned(
                h.hostgroups
                    .iter()
                    .map(|g| e.config.hostgroups[g.index()].name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            "HOSTGROUPNAME" => Cow::Borrowed(
                h.hostgroups
                    .first()
                    .map_or("", |g| e.config.hostgroups[g.index()].name.as_str()),
            ),
            "HOSTACKAUTHOR" => Cow::Owned(
                st.acknowledgement
                    .as_ref()
                    .map(|a| a.author.clone())
                    .unwrap_or_default(),
            ),
            "HOSTACKCOMMENT" => Cow::Owned(
                st.acknowledgement
                    .as_ref()
                    .map(|a| a.comment.clone())
                    .unwrap_or_default(),
            ),
            "HOSTCHECKCOMMAND" => Cow::Owned(
                h.common
                    .check_command
                    .as_ref()
                    .map(|c| c.raw.to_string())
                    .unwrap_or_default(),
            ),
            _ => {
                let custom = name.strip_prefix("_HOST")?;
                return e.custom_var(item, custom).map(Cow::Borrowed);
            }
        };
        Some(v)
    }

    fn service_value(&self, service: vigia_config::model::ServiceId, name: &str) -> Option<Cow<'e, str>> {
        let e = self.engine;
        let s = &e.config.services[service.index()];
        let st = &e.services[service.index()];
        let item = Item::Service(service);
        let v: Cow<'e, str> = match name {
            "SERVICEDESC" => Cow::Borrowed(&*s.description),
            "SERVICEDISPLAYNAME" => {
                let d = &s.common.details().display_name;
                Cow::Owned(if d.is_empty() {
                    s.description.to_string()
                } else {
                    d.clone()
                })
            }
            "SERVICESTATE" => Cow::Borrowed(state_name(item, st.state)),
            "SERVICESTATEID" => Cow::Owned(st.state.to_string()),
            "LASTSERVICESTATE" => Cow::Borrowed(state_name(item, st.last_state)),
            "LASTSERVICESTATEID" => Cow::Owned(st.last_state.to_string()),
            "SERVICESTATETYPE" => Cow::Borrowed(st.state_type.name()),
            "SERVICEATTEMPT" => Cow::Owned(st.attempt.to_string()),
            "MAXSERVICEATTEMPTS" => Cow::Owned(s.common.max_check_attempts.to_string()),
            "SERVICEISVOLATILE" => Cow::Borrowed(if s.is_volatile { "1" } else { "0" }),
            "SERVICEOUTPUT" => Cow::Borrowed(st.output.as_str()),
            "LONGSERVICEOUTPUT" => Cow::Borrowed(st.long_output.as_str()),
            "SERVICEPERFDATA" => Cow::Borrowed(st.perf_data.as_str()),
            "SERVICELATENCY" => Cow::Owned(format!("{:.3}", st.latency)),
            "SERVICEEXECUTIONTIME" => Cow::Owned(format!("{:.3}", st.execution_time)),
            "LASTSERVICECHECK" => Cow::Owned(st.last_check.to_string()),
            "LASTSERVICESTATECHANGE" => Cow::Owned(st.last_state_change.to_string()),
            "SERVICEDOWNTIME" => Cow::Owned(st.downtime_depth.to_string()),
            "SERVICEPERCENTCHANGE" => Cow::Owned(format!("{:.2}", st.percent_state_change)),
            "SERVICENOTIFICATIONNUMBER" => Cow::Owned(st.notification_number.to_string()),
            "SERVICEPROBLEMID" | "SERVICEEVENTID" => Cow::Borrowed("0"),
            "SERVICEGROUPNAMES" => Cow::Owned(
                s.servicegroups
                    .iter()
                    .map(|g| e.config.servicegroups[g.index()].name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            "SERVICEACKAUTHOR" => Cow::Owned(
                st.acknowledgement
                    .as_ref()
                    .map(|a| a.author.clone())
                    .unwrap_or_default(),
            ),
            "SERVICEACKCOMMENT" => Cow::Owned(
                st.acknowledgement
                    .as_ref()
                    .map(|a| a.comment.clone())
                    .unwrap_or_default(),
            ),
            "SERVICECHECKCOMMAND" => Cow::Owned(
                s.common
                    .check_command
                    .as_ref()
                    .map(|c| c.raw.to_string())
                    .unwrap_or_default(),
            ),
            _ => {
                let custom = name.strip_prefix("_SERVICE")?;
                return e.custom_var(item, custom).map(Cow::Borrowed);
            }
        };
        Some(v)
    }

    fn contact_value(&self, contact: ContactId, name: &str) -> Option<Cow<'e, str>> {
        let c = &self.engine.config.contacts[contact.index()];
        let v: Cow<'e, str> = match name {
            "CONTACTNAME" => Cow::Borrowed(c.name.as_str()),
            "CONTACTALIAS" => Cow::Borrowed(c.alias.as_str()),
            "CONTACTEMAIL" => Cow::Borrowed(c.email.as_str()),
            "CONTACTPAGER" => Cow::Borrowed(c.pager.as_str()),
            "CONTACTGROUPNAMES" => Cow::Owned(
                c.contactgroups
                    .iter()
                    .map(|g| self.engine.config.contactgroups[g.index()].name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => {
                if let Some(n) = name
                    .strip_prefix("CONTACTADDRESS")
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    return c.addresses.get(n.checked_sub(1)?).map(|a| Cow::Borrowed(a.as_str()));
                }
                let custom = name.strip_prefix("_CONTACT")?;
                return c.customs.get(custom).map(|v| Cow::Borrowed(v.as_str()));
            }
        };
        Some(v)
    }
}

impl MacroSource for ItemMacros<'_> {
    fn value(&self, name: &str) -> Option<Cow<'_, str>> {
        let e = self.engine;
        // Alignak's item macros, used by business rule output templates.
        match name {
            "STATUS" => return Some(Cow::Borrowed(state_name(self.item, e.status(self.item).state))),
            "SHORTSTATUS" => return Some(Cow::Borrowed(short_status(self.item, e.status(self.item).state))),
            "FULLNAME" => {
                return Some(Cow::Owned(match self.item {
                    Item::Host(h) => e.config.hosts[h.index()].name.clone(),
                    Item::Service(s) => {
                        let svc = &e.config.services[s.index()];
                        format!("{}/{}", e.config.hosts[svc.host.index()].name, svc.description)
                    }
                }))
            }
            _ => {}
        }
        let host = match self.item {
            Item::Host(h) => h,
            Item::Service(s) => e.config.services[s.index()].host,
        };
        if let Some(v) = self.host_value(host, name) {
            return Some(v);
        }
        if let Item::Service(s) = self.item {
            if let Some(v) = self.service_value(s, name) {
                return Some(v);
            }
        }
        if let Some(n) = &self.notification {
            if let Some(v) = self.contact_value(n.contact, name) {
                return Some(v);
            }
            match name {
                "NOTIFICATIONTYPE" => return Some(Cow::Borrowed(n.kind.name())),
                "NOTIFICATIONNUMBER" => return Some(Cow::Owned(n.number.to_string())),
                "NOTIFICATIONAUTHOR" | "NOTIFICATIONAUTHORNAME" | "NOTIFICATIONAUTHORALIAS" => {
                    return Some(Cow::Owned(
                        n.author_comment.map(|(a, _)| a.to_string()).unwrap_or_default(),
                    ))
                }
                "NOTIFICATIONCOMMENT" => {
                    return Some(Cow::Owned(
                        n.author_comment.map(|(_, c)| c.to_string()).unwrap_or_default(),
                    ))
                }
                "NOTIFICATIONISESCALATED" => return Some(Cow::Borrowed("0")),
                _ => {}
            }
        }
        let now = e.now;
        let v = match name {
            "TIMET" => now.to_string(),
            "LONGDATETIME" => macros::long_date_time(now, &e.tz),
            "SHORTDATETIME" => macros::short_date_time(now, &e.tz),
            "DATE" => macros::date(now, &e.tz),
            "TIME" => macros::time(now, &e.tz),
            "TOTALHOSTSERVICES" => e.config.hosts[host.index()].services.len().to_string(),
            _ => return None,
        };
        Some(Cow::Owned(v))
    }

    fn on_demand(&self, name: &str, args: &[&str]) -> Option<Cow<'_, str>> {
        let e = self.engine;
        let host = e
            .config
            .hosts
            .iter()
            .position(|h| h.name == args.first().copied().unwrap_or(""))?;
        let host = vigia_config::model::HostId(host as u32);
        match args {
            [_] => self.host_value(host, name),
            [_, svc] => {
                let sid = e.config.hosts[host.index()]
                    .services
                    .iter()
                    .find(|s| &*e.config.services[s.index()].description == *svc)?;
                self.service_value(*sid, name)
            }
            _ => None,
        }
    }
}

/// Alignak `get_short_status`: `O`, `W`, `C`, `U` for services, `U`, `D`, `X` for hosts.
fn short_status(item: Item, state: u8) -> &'static str {
    match item {
        Item::Host(_) => ["U", "D", "X"].get(state as usize).copied().unwrap_or("X"),
        Item::Service(_) => ["O", "W", "C", "U"].get(state as usize).copied().unwrap_or("U"),
    }
}

impl Engine {
    /// Any text with the item's macros resolved (no `$ARGn$`).
    pub(crate) fn expand_for(&self, item: Item, text: &str) -> String {
        let source = ItemMacros {
            engine: self,
            item,
            notification: None,
        };
        Expander {
            args: &[],
            resources: &self.config.resources,
            illegal_output_chars: &self.illegal_output_chars,
            source: &source,
        }
        .expand(text)
    }

    /// A check or event handler command line, macros resolved.
    pub(crate) fn command_line(
        &self,
        item: Item,
        call: &CommandCall,
        notification: Option<NotificationFacts<'_>>,
    ) -> String {
        let command = &self.config.commands[call.command.index()];
        let args: Vec<&str> = call.args().collect();
        let source = ItemMacros {
            engine: self,
            item,
            notification,
        };
        let expander = Expander {
            args: &args,
            resources: &self.config.resources,
            illegal_output_chars: &self.illegal_output_chars,
            source: &source,
        };
        expander.expand(&command.line)
    }

    pub(crate) fn notification_command_line(
        &self,
        item: Item,
        call: &CommandCall,
        contact: ContactId,
        kind: NotificationKind,
        number: u32,
        author_comment: Option<(&str, &str)>,
    ) -> String {
        self.command_line(
            item,
            call,
            Some(NotificationFacts {
                contact,
                kind,
                number,
                author_comment,
            }),
        )
    }
}
