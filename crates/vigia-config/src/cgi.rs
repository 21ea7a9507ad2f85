//! Nagios's `cgi.cfg`, read when it sits beside the main configuration file: who may see and
//! act on everything in the web UI (`authorized_for_all_hosts` and friends). Everyone else sees
//! and acts on what they are a contact of.
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostics, Location};

/// The user lists of `cgi.cfg` (`*` stands for every logged-in user).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAccess {
    /// Where it was read from (empty: no `cgi.cfg`).
    pub file: String,
    pub all_hosts: Vec<String>,
    pub all_services: Vec<String>,
    pub all_host_commands: Vec<String>,
    pub all_service_commands: Vec<String>,
    /// The cluster page (Nagios's process information).
    pub system_information: Vec<String>,
    /// Users who may look but never act.
    pub read_only: Vec<String>,
}

impl WebAccess {
    /// Whether `user` is in `list` (by name or through `*`).
    pub fn names(list: &[String], user: &str) -> bool {
        list.iter().any(|u| u == "*" || u == user)
    }
}

/// The user lists Vigia acts on.
const LISTS: &[&str] = &[
    "authorized_for_all_hosts",
    "authorized_for_all_services",
    "authorized_for_all_host_commands",
    "authorized_for_all_service_commands",
    "authorized_for_system_information",
    "authorized_for_read_only",
];

/// The settings that only matter to Nagios's CGIs: read without effect.
const CGI_ONLY: &[&str] = &[
    "main_config_file",
    "physical_html_path",
    "url_html_path",
    "show_context_help",
    "use_pending_states",
    "refresh_rate",
    "result_limit",
    "escape_html_tags",
    "action_url_target",
    "notes_url_target",
    "lock_author_names",
    "navbar_search_for_addresses",
    "navbar_search_for_aliases",
    "ping_syntax",
    "default_statusmap_layout",
    "default_statuswrl_layout",
    "host_unreachable_sound",
    "host_down_sound",
    "service_critical_sound",
    "service_warning_sound",
    "service_unknown_sound",
    "normal_sound",
    "enable_page_tour",
    "authorized_for_configuration_information",
    "authorized_contactgroup_for_all_hosts",
    "authorized_contactgroup_for_all_services",
    "authorized_contactgroup_for_all_host_commands",
    "authorized_contactgroup_for_all_service_commands",
    "authorized_contactgroup_for_system_information",
    "authorized_contactgroup_for_system_commands",
    "authorized_contactgroup_for_configuration_information",
    "authorized_contactgroup_for_read_only",
    "authorized_for_system_commands",
    "default_user_name",
    "use_ssl_authentication",
    "tac_cgi_hard_only",
];

/// Reads `cgi.cfg` in `dir`, if there is one; unknown keys and settings Vigia does not act on
/// are warned with file:line.
pub fn read(dir: &Path, diags: &mut Diagnostics) -> WebAccess {
    let path = dir.join("cgi.cfg");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return WebAccess::default();
    };
    parse(&path, &text, diags)
}

pub fn parse(path: &Path, text: &str, diags: &mut Diagnostics) -> WebAccess {
    let mut access = WebAccess {
        file: path.display().to_string(),
        ..WebAccess::default()
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let at = Some(Location::new(path, n as u32 + 1));
        let Some((key, value)) = line.split_once('=') else {
            diags.warning(at, format!("not a `name=value` line: {line}"));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let users = || {
            value
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        match key {
            "authorized_for_all_hosts" => access.all_hosts = users(),
            "authorized_for_all_services" => access.all_services = users(),
            "authorized_for_all_host_commands" => access.all_host_commands = users(),
            "authorized_for_all_service_commands" => access.all_service_commands = users(),
            "authorized_for_system_information" => access.system_information = users(),
            "authorized_for_read_only" => access.read_only = users(),
            "use_authentication" => {
                if value == "0" {
                    diags.warning(
                        at,
                        "use_authentication=0 has no effect: Vigia's web UI always asks for a user and password",
                    );
                }
            }
            k if CGI_ONLY.contains(&k) => {
                diags.warning(at, format!("{k} has no effect in Vigia's web UI"));
            }
            k => {
                let known = LISTS.iter().chain(CGI_ONLY).chain(&["use_authentication"]).copied();
                diags.warning(
                    at,
                    format!(
                        "unknown cgi.cfg setting {k}: ignored{}",
                        crate::effect::did_you_mean(k, known)
                    ),
                )
            }
        }
    }
    access
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_read_and_the_rest_is_warned_with_its_line() {
        let mut diags = Diagnostics::default();
        let text = "# Nagios\nmain_config_file=/etc/nagios4/nagios.cfg\nuse_authentication=1\n\
                    authorized_for_all_hosts=nagiosadmin, ops\nauthorized_for_all_service_commands=*\n\
                    authorized_for_read_only=guest\nfoo_bar=1\nauthorized_fro_all_hosts=x\n";
        let a = parse(Path::new("/etc/cgi.cfg"), text, &mut diags);
        assert_eq!(a.all_hosts, ["nagiosadmin", "ops"]);
        assert!(WebAccess::names(&a.all_service_commands, "anyone"));
        assert!(WebAccess::names(&a.read_only, "guest"));
        assert!(!WebAccess::names(&a.all_services, "nagiosadmin"));
        let warnings: Vec<String> = diags.warnings().map(|d| d.to_string()).collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("cgi.cfg:2") && w.contains("main_config_file")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("cgi.cfg:7") && w.contains("foo_bar")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("cgi.cfg:8") && w.contains("did you mean 'authorized_for_all_hosts'")),
            "{warnings:?}"
        );
        assert_eq!(warnings.len(), 3, "{warnings:?}");
    }
}
