//! External commands applied to the engine's states (parsing is [`crate::external`]).
//!
//! Names are resolved first: a command naming an object of the configuration that another
//! scheduler owns fails with [`CommandError::NotOwned`], so that daemons can route it, and
//! nothing is logged here. A command that concerns this engine is logged
//! (`EXTERNAL COMMAND: NAME;args`, with `log_external_commands`; passive results log
//! `PASSIVE … CHECK` instead when `log_passive_checks` is set, as Alignak does) and then applied.
use crate::engine::{subject, CheckResult, Due, Engine};
use crate::external::{self, Command, ExternalCommand, GlobalSwitch, Kind, Object, ParseError, Scope, Switch};
use crate::output;
use crate::status::Item;

/// Why a command was not applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{command}: unknown host '{host}'")]
    UnknownHost { command: String, host: String },
    #[error("{command}: unknown service '{service}' on host '{host}'")]
    UnknownService {
        command: String,
        host: String,
        service: String,
    },
    #[error("{command}: unknown {kind} '{name}'")]
    UnknownGroup {
        command: String,
        kind: &'static str,
        name: String,
    },
    /// The object exists but another scheduler runs it: send the command there.
    #[error("{command}: host '{host}' is scheduled elsewhere")]
    NotOwned { command: String, host: String },
    #[error("{command}: no {what} with id {id}")]
    NoSuchId {
        command: String,
        what: &'static str,
        id: u64,
    },
    /// Understood and logged, but the state does not allow it (e.g. acknowledging an OK
    /// service, a passive result while passive checks are disabled).
    #[error("{command}: {reason}")]
    Refused { command: String, reason: String },
    /// A program command the daemon handles (`RESTART_PROGRAM`, …).
    #[error("{command}: handled by the daemon, not by the scheduling engine")]
    NotForEngine { command: String },
}

impl CommandError {
    /// Whether the command belongs to another scheduler's part.
    pub fn is_not_owned(&self) -> bool {
        matches!(self, CommandError::NotOwned { .. })
    }
}

impl Engine {
    /// Applies one external command line (`[epoch] NAME;args`; without a timestamp, the
    /// engine's time is used).
    pub fn command(&mut self, line: &str) -> Result<(), CommandError> {
        let parsed = external::parse(line)?;
        let result = self.apply_command(&parsed);
        self.flush_status_broks(None);
        result
    }

    /// Applies a parsed command.
    pub fn apply_command(&mut self, c: &ExternalCommand) -> Result<(), CommandError> {
        let name = c.text.split(';').next().unwrap_or("").to_string();
        let refused = |reason: String| CommandError::Refused {
            command: name.clone(),
            reason,
        };
        match &c.command {
            Command::ProcessCheckResult { object, code, output } => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                self.process_check_result(item, *code, output, c.timestamp)
                    .map_err(refused)
            }
            Command::Acknowledge {
                object,
                sticky,
                notify,
                persistent,
                end_time,
                author,
                comment,
            } => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                self.acknowledge(item, *sticky, *notify, *persistent, author, comment, *end_time)
                    .map_err(refused)
            }
            Command::RemoveAcknowledgement(object) => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                self.remove_acknowledgement(item);
                Ok(())
            }
            Command::ScheduleDowntime {
                scope,
                start,
                end,
                fixed,
                trigger_id,
                duration,
                author,
                comment,
            } => {
                let items = self.resolve_scope(&name, scope)?;
                self.log_command(c);
                for item in items {
                    self.schedule_downtime(item, *start, *end, *fixed, *trigger_id, *duration, author, comment)
                        .map_err(&refused)?;
                }
                Ok(())
            }
            Command::DeleteDowntime { kind, id } => {
                let found = self
                    .downtimes
                    .iter()
                    .any(|d| d.id == *id && kind_matches(*kind, d.item) && self.owns(d.item));
                if !found {
                    return Err(CommandError::NoSuchId {
                        command: name,
                        what: "downtime",
                        id: *id,
                    });
                }
                self.log_command(c);
                self.cancel_downtime(*id).map_err(refused)
            }
            Command::DeleteAllDowntimes(object) => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                let ids: Vec<u64> = self.downtimes.iter().filter(|d| d.item == item).map(|d| d.id).collect();
                for id in ids {
                    // Cancelling one may cancel others it triggered: gone ones are fine.
                    let _ = self.cancel_downtime(id);
                }
                Ok(())
            }
            Command::AddComment {
                object,
                persistent,
                author,
                comment,
            } => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                self.add_comment(item, crate::comments::CommentKind::User, *persistent, author, comment);
                self.status_mut(item);
                let config = std::sync::Arc::clone(&self.config);
                self.log(crate::log::comment(subject(&config, item), author, comment));
                Ok(())
            }
            Command::DeleteComment { kind, id } => {
                let found = self
                    .comments
                    .iter()
                    .any(|cm| cm.id == *id && kind_matches(*kind, cm.item) && self.owns(cm.item));
                if !found {
                    return Err(CommandError::NoSuchId {
                        command: name,
                        what: "comment",
                        id: *id,
                    });
                }
                self.log_command(c);
                self.delete_comment(*id);
                Ok(())
            }
            Command::DeleteAllComments(object) => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                self.delete_all_comments(item);
                Ok(())
            }
            Command::SetSwitch { scope, switch, enabled } => {
                let items = self.resolve_scope(&name, scope)?;
                self.log_command(c);
                for item in items {
                    self.set_switch(item, *switch, *enabled);
                }
                Ok(())
            }
            Command::SetGlobal { switch, enabled } => {
                self.log_command(c);
                self.set_global(*switch, *enabled);
                Ok(())
            }
            Command::ScheduleCheck { scope, at, forced } => {
                let items = self.resolve_scope(&name, scope)?;
                self.log_command(c);
                for item in items {
                    self.schedule_check(item, *at, *forced);
                }
                Ok(())
            }
            Command::SendCustomNotification {
                object,
                options,
                author,
                comment,
            } => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                self.notify_custom(item, *options, author, comment);
                Ok(())
            }
            Command::ChangeCustomVar {
                object,
                name: var,
                value,
            } => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                // Only existing variables change (Nagios and Alignak).
                if self.custom_var(item, var).is_none() {
                    return Err(refused(format!("no custom variable _{var} on {object}")));
                }
                let (var, value) = (var.clone(), value.clone());
                self.change_overrides(item, |o| {
                    o.customs.insert(var, value);
                });
                Ok(())
            }
            Command::ChangeCheckInterval { object, retry, minutes } => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                let was = self.check_interval(item);
                let (retry, minutes) = (*retry, *minutes);
                self.change_overrides(item, |o| {
                    if retry {
                        o.retry_interval = Some(minutes);
                    } else {
                        o.check_interval = Some(minutes);
                    }
                });
                // No regular checks before: one now (Alignak).
                if !retry && was == 0.0 && minutes > 0.0 && self.schedulable(item) && !self.status(item).in_flight {
                    self.set_next_check(item, self.now);
                }
                Ok(())
            }
            Command::ChangeMaxCheckAttempts { object, attempts } => {
                let item = self.resolve(&name, object)?;
                self.log_command(c);
                let attempts = *attempts;
                self.change_overrides(item, |o| o.max_check_attempts = Some(attempts));
                Ok(())
            }
            Command::Daemon(_) => Err(CommandError::NotForEngine { command: name }),
        }
    }

    fn log_command(&mut self, c: &ExternalCommand) {
        let passive = matches!(c.command, Command::ProcessCheckResult { .. });
        if self.log_options.external_commands && !(passive && self.log_options.passive_checks) {
            self.log(crate::log::external_command(&c.text));
        }
    }

    /// A passive result (Alignak `process_service_check_result`): refused when passive checks
    /// are off (globally or for the object) or when it is older than the last check.
    fn process_check_result(&mut self, item: Item, code: i32, output: &str, at: Option<i64>) -> Result<(), String> {
        let accepted = match item {
            Item::Host(_) => self.globals.accept_passive_host_checks,
            Item::Service(_) => self.globals.accept_passive_service_checks,
        };
        if !accepted || !self.status(item).switches.passive_checks {
            return Err("passive checks are disabled".into());
        }
        let at = at.unwrap_or(self.now);
        if at < self.status(item).last_check {
            return Err(format!(
                "result of {at} is older than the last check ({})",
                self.status(item).last_check
            ));
        }
        // Cut by the executor's rules, so a passive result reads as the same active one.
        let out = output::split(output::capped(output, self.max_output_length));
        if self.log_options.passive_checks {
            let config = std::sync::Arc::clone(&self.config);
            self.log(crate::log::passive_check(
                subject(&config, item),
                code,
                &out.output,
                &out.long_output,
                &out.perfdata,
            ));
        }
        self.submit(CheckResult {
            action: 0,
            item,
            exit_code: code,
            output: out.output,
            long_output: out.long_output,
            perfdata: out.perfdata,
            start: at as f64,
            end: at as f64,
            scheduled: 0.0,
        });
        Ok(())
    }

    fn set_switch(&mut self, item: Item, switch: Switch, enabled: bool) {
        let current = self.status(item).switches;
        let was = match switch {
            Switch::ActiveChecks => current.active_checks,
            Switch::PassiveChecks => current.passive_checks,
            Switch::Notifications => current.notifications,
            Switch::EventHandler => current.event_handler,
            Switch::FlapDetection => current.flap_detection,
        };
        if was == enabled {
            return;
        }
        let switches = &mut self.status_mut(item).switches;
        match switch {
            Switch::ActiveChecks => switches.active_checks = enabled,
            Switch::PassiveChecks => switches.passive_checks = enabled,
            Switch::Notifications => switches.notifications = enabled,
            Switch::EventHandler => switches.event_handler = enabled,
            Switch::FlapDetection => switches.flap_detection = enabled,
        }
        if switch == Switch::FlapDetection && !enabled {
            self.forget_flapping(item);
        }
    }

    fn set_global(&mut self, switch: GlobalSwitch, enabled: bool) {
        let g = &mut self.globals;
        let field = match switch {
            GlobalSwitch::Notifications => &mut g.notifications,
            GlobalSwitch::EventHandlers => &mut g.event_handlers,
            GlobalSwitch::FlapDetection => &mut g.flap_detection,
            GlobalSwitch::ExecuteServiceChecks => &mut g.execute_service_checks,
            GlobalSwitch::ExecuteHostChecks => &mut g.execute_host_checks,
            GlobalSwitch::AcceptPassiveServiceChecks => &mut g.accept_passive_service_checks,
            GlobalSwitch::AcceptPassiveHostChecks => &mut g.accept_passive_host_checks,
        };
        if *field == enabled {
            return;
        }
        *field = enabled;
        self.record_globals();
        if switch == GlobalSwitch::FlapDetection && !enabled {
            // Alignak: whatever was flapping stops, silently.
            let flapping: Vec<Item> = self.all_items().filter(|i| self.status(*i).is_flapping).collect();
            for item in flapping {
                self.forget_flapping(item);
            }
        }
    }

    /// `SCHEDULE_[FORCED_]*_CHECK`: a forced check runs at `at` whatever the switches and
    /// periods; a normal one only moves the next check earlier, and runs under the usual rules.
    fn schedule_check(&mut self, item: Item, at: i64, forced: bool) {
        if self.monitored(item).check_command.is_none() {
            return;
        }
        let at = at.max(self.now);
        if forced {
            self.status_mut(item).next_check = at;
            self.push_schedule(at, Due::ForcedCheck(item));
        } else {
            let next = self.status(item).next_check;
            if next == 0 || at < next {
                self.set_next_check(item, at);
            }
        }
    }

    /// An object named by a command, which this engine must own.
    fn resolve(&self, command: &str, object: &Object) -> Result<Item, CommandError> {
        let item = match object {
            Object::Host(host) => self
                .find_host(host)
                .map(Item::Host)
                .ok_or_else(|| CommandError::UnknownHost {
                    command: command.to_string(),
                    host: host.clone(),
                })?,
            Object::Service { host, service } => {
                if self.find_host(host).is_none() {
                    return Err(CommandError::UnknownHost {
                        command: command.to_string(),
                        host: host.clone(),
                    });
                }
                self.find_service(host, service)
                    .map(Item::Service)
                    .ok_or_else(|| CommandError::UnknownService {
                        command: command.to_string(),
                        host: host.clone(),
                        service: service.clone(),
                    })?
            }
        };
        if !self.owns(item) {
            let host = match object {
                Object::Host(h) | Object::Service { host: h, .. } => h.clone(),
            };
            return Err(CommandError::NotOwned {
                command: command.to_string(),
                host,
            });
        }
        Ok(item)
    }

    /// The owned items a scope names. Group members other schedulers own are left to them;
    /// when all are elsewhere, the command is not this engine's ([`CommandError::NotOwned`]).
    fn resolve_scope(&self, command: &str, scope: &Scope) -> Result<Vec<Item>, CommandError> {
        let c = &self.config;
        let unknown_group = |kind: &'static str, name: &str| CommandError::UnknownGroup {
            command: command.to_string(),
            kind,
            name: name.to_string(),
        };
        let all: Vec<Item> = match scope {
            Scope::One(object) => return Ok(vec![self.resolve(command, object)?]),
            Scope::HostServices(host) => {
                let Item::Host(h) = self.resolve(command, &Object::Host(host.clone()))? else {
                    return Ok(Vec::new());
                };
                return Ok(c.hosts[h.index()].services.iter().map(|s| Item::Service(*s)).collect());
            }
            Scope::HostgroupHosts(name) => {
                let g = c
                    .hostgroups
                    .iter()
                    .find(|g| &g.name == name)
                    .ok_or_else(|| unknown_group("hostgroup", name))?;
                g.members.iter().map(|h| Item::Host(*h)).collect()
            }
            Scope::HostgroupServices(name) => {
                let g = c
                    .hostgroups
                    .iter()
                    .find(|g| &g.name == name)
                    .ok_or_else(|| unknown_group("hostgroup", name))?;
                g.members
                    .iter()
                    .flat_map(|h| c.hosts[h.index()].services.iter().map(|s| Item::Service(*s)))
                    .collect()
            }
            Scope::ServicegroupServices(name) => {
                let g = c
                    .servicegroups
                    .iter()
                    .find(|g| &g.name == name)
                    .ok_or_else(|| unknown_group("servicegroup", name))?;
                g.members.iter().map(|s| Item::Service(*s)).collect()
            }
            Scope::ServicegroupHosts(name) => {
                let g = c
                    .servicegroups
                    .iter()
                    .find(|g| &g.name == name)
                    .ok_or_else(|| unknown_group("servicegroup", name))?;
                let mut hosts: Vec<Item> = g
                    .members
                    .iter()
                    .map(|s| Item::Host(c.services[s.index()].host))
                    .collect();
                hosts.sort_unstable();
                hosts.dedup();
                hosts
            }
        };
        let owned: Vec<Item> = all.iter().copied().filter(|i| self.owns(*i)).collect();
        if owned.is_empty() && !all.is_empty() {
            let host = match all[0] {
                Item::Host(h) => c.hosts[h.index()].name.clone(),
                Item::Service(s) => c.hosts[c.services[s.index()].host.index()].name.clone(),
            };
            return Err(CommandError::NotOwned {
                command: command.to_string(),
                host,
            });
        }
        Ok(owned)
    }
}

fn kind_matches(kind: Kind, item: Item) -> bool {
    matches!(
        (kind, item),
        (Kind::Host, Item::Host(_)) | (Kind::Service, Item::Service(_))
    )
}
