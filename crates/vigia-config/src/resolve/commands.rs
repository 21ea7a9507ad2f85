//! Command definitions, Alignak's internal commands, and the `name!arg1!arg2` calls that other
//! objects write.
use std::collections::HashMap;

use super::{at_of, At, Builder, Resolved};
use crate::diag::Location;
use crate::inherit::FlatObject;
use crate::kind::ObjectKind;
use crate::model::*;
use crate::values::{self, Reader};

/// Checks that need no process: Alignak runs them inside the scheduler or poller.
pub const INTERNAL_COMMANDS: &[&str] = &[
    "_internal_host_up",
    "_echo",
    "_internal_host_check",
    "_internal_service_check",
    "bp_rule",
];

/// Command names to ids, including Alignak's internal commands created when first used.
#[derive(Default)]
pub(super) struct CommandTable {
    names: HashMap<String, CommandId>,
    pub(super) list: Vec<Command>,
}

impl CommandTable {
    fn resolve(&mut self, name: &str) -> Option<CommandId> {
        if let Some(id) = self.names.get(name) {
            return Some(*id);
        }
        let internal = INTERNAL_COMMANDS.iter().find(|c| **c == name)?;
        let id = CommandId(self.list.len() as u32);
        self.list.push(Command {
            name: internal.to_string(),
            line: internal.to_string(),
            poller_tag: "None".into(),
            reactionner_tag: "None".into(),
            module_type: "internal".into(),
            timeout: None,
            location: Location::new(std::path::Path::new("<internal>"), 0),
        });
        self.names.insert(internal.to_string(), id);
        Some(id)
    }
}

impl<'r, 'a> Builder<'r, 'a> {
    /// The defined commands, in [`CommandId`] order.
    pub(super) fn commands(&mut self, known: &mut Resolved<'r, 'a>) {
        let objs = self.real(ObjectKind::Command);
        let (cmd_names, cmd_objs) = self.names(ObjectKind::Command, &objs);
        let commands = &mut known.commands;
        for (i, obj) in cmd_objs.iter().enumerate() {
            let r = Reader::new(obj);
            let line = r.string("command_line");
            if line.trim().is_empty() {
                let loc = self.obj_loc(obj);
                self.error_at(loc, format!("command '{}' has no command_line", r.str("command_name")));
            }
            let timeout = r.int("timeout");
            commands.list.push(Command {
                name: r.string("command_name"),
                line,
                poller_tag: r.string("poller_tag"),
                reactionner_tag: r.string("reactionner_tag"),
                module_type: r.string("module_type"),
                timeout: (timeout > 0).then_some(timeout as u32),
                location: self.obj_loc(obj),
            });
            commands
                .names
                .insert(cmd_names.order[i].to_string(), CommandId(i as u32));
        }
    }

    /// The commands the main configuration names must exist, as their system checks:
    /// otherwise they would silently never run. Both check the global event handlers; Nagios
    /// its obsessive-compulsive and performance data commands too (Alignak ignores those).
    pub(super) fn check_global_commands(&mut self, commands: &mut CommandTable) {
        const EVENT_HANDLERS: &[&str] = &["global_host_event_handler", "global_service_event_handler"];
        const NAGIOS_ONLY: &[&str] = &[
            "ochp_command",
            "ocsp_command",
            "host_perfdata_command",
            "service_perfdata_command",
        ];
        let checked = |key: &str| {
            EVENT_HANDLERS.contains(&key)
                || (self.dialect == crate::dialect::Dialect::Nagios && NAGIOS_ONLY.contains(&key))
        };
        let named: Vec<(String, String, Location)> = self
            .tree
            .globals
            .iter()
            .filter(|s| checked(s.key.as_str()))
            .map(|s| (s.key.clone(), s.value.clone(), s.location.clone()))
            .collect();
        for (key, value, location) in named {
            let name = value.split('!').next().unwrap_or("").trim();
            if !name.is_empty() && commands.resolve(name).is_none() {
                self.error_at(location, format!("{key}: unknown command '{name}'"));
            }
        }
    }

    pub(super) fn command_call(&mut self, text: &str, at: At, commands: &mut CommandTable) -> Option<CommandCall> {
        // A leading `!` marks a Nagios "important" check command (it already won at inheritance).
        let text = text.trim();
        let text = text.strip_prefix('!').unwrap_or(text).trim_start();
        if text.is_empty() {
            return None;
        }
        let name = text.split('!').next().unwrap_or("").trim();
        match commands.resolve(name) {
            Some(id) => Some(CommandCall {
                command: id,
                raw: self.shared.text(text),
            }),
            None => {
                self.error_at(self.loc(at.0, at.1), format!("unknown command '{name}'"));
                None
            }
        }
    }

    pub(super) fn command_list(
        &mut self,
        obj: &FlatObject<'_>,
        key: &str,
        commands: &mut CommandTable,
    ) -> Vec<CommandCall> {
        let Some(list) = obj.value(key) else { return Vec::new() };
        let at = at_of(obj, key);
        values::split_list(list)
            .into_iter()
            .filter_map(|c| self.command_call(c, at, commands))
            .collect()
    }
}
