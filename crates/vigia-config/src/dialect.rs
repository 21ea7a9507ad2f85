//! Which system's rules a configuration is read with. A `nagios.cfg` is a Nagios 4 (or naemon)
//! configuration and gets Nagios's defaults: read with Alignak's, its services would never be
//! checked (`check_interval 0`). An `alignak.ini` or an Alignak main `.cfg` gets Alignak's.
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::kind::ObjectKind;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Nagios 4 and naemon.
    Nagios,
    /// Alignak 2 (and Shinken): Vigia's own layout.
    #[default]
    Alignak,
}

/// Main-file directives only Nagios and naemon use: a main `.cfg` setting one of them is a
/// Nagios one whatever its name. Not those Alignak also reads (and whines about) in a main
/// file it was given, such as `object_cache_file` or `status_file` (Alignak's own tests feed
/// it those).
const NAGIOS_ONLY_DIRECTIVES: &[&str] = &[
    "check_result_path",
    "precached_object_file",
    "temp_path",
    "nagios_user",
    "nagios_group",
    "naemon_user",
    "naemon_group",
    "check_result_reaper_frequency",
];

/// Main files named after their system.
const NAGIOS_MAIN_NAMES: &[&str] = &["nagios.cfg", "naemon.cfg"];
const ALIGNAK_MAIN_NAMES: &[&str] = &["alignak.cfg", "shinken.cfg", "vigia.cfg"];

/// Defaults where Nagios 4 differs from Alignak 2 (whose defaults are the schema's), as
/// `nagios4 -vp` writes them for objects that do not set them.
const NAGIOS_DEFAULTS: &[(ObjectKind, &str, &str)] = &[
    (ObjectKind::Host, "check_interval", "5"),
    (ObjectKind::Host, "retry_interval", "1"),
    (ObjectKind::Host, "notification_interval", "30"),
    (ObjectKind::Host, "event_handler_enabled", "1"),
    (ObjectKind::Host, "notification_options", "d,u,r,f,s"),
    (ObjectKind::Service, "check_interval", "5"),
    (ObjectKind::Service, "retry_interval", "1"),
    (ObjectKind::Service, "notification_interval", "30"),
    (ObjectKind::Service, "event_handler_enabled", "1"),
    (ObjectKind::Service, "notification_options", "w,u,c,r,f,s"),
    (ObjectKind::Contact, "can_submit_commands", "1"),
];

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Nagios => "nagios",
            Dialect::Alignak => "alignak",
        }
    }

    /// Parses a `--dialect` value (`nagios`, `naemon`, `alignak`, `shinken`).
    pub fn parse(value: &str) -> Result<Dialect, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "nagios" | "naemon" => Ok(Dialect::Nagios),
            "alignak" | "shinken" | "vigia" => Ok(Dialect::Alignak),
            other => Err(format!("unknown dialect '{other}' (expected nagios or alignak)")),
        }
    }

    /// The dialect an entry point implies, and why: an `.ini` is Alignak's; a main file named
    /// after its system is that system's; a main `.cfg` that sets a directive only Nagios
    /// knows is Nagios's; anything else (a folder, an objects file) is read as Alignak's.
    pub fn of_entry<'k>(main: &Path, directives: impl IntoIterator<Item = &'k str>) -> (Dialect, String) {
        let file = main
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if main.extension().is_some_and(|e| e == "ini") {
            return (Dialect::Alignak, format!("the entry point {file} is an Alignak ini"));
        }
        if NAGIOS_MAIN_NAMES.contains(&file.as_str()) {
            return (Dialect::Nagios, format!("the entry point is {file}"));
        }
        if ALIGNAK_MAIN_NAMES.contains(&file.as_str()) {
            return (Dialect::Alignak, format!("the entry point is {file}"));
        }
        if let Some(d) = directives
            .into_iter()
            .find(|d| NAGIOS_ONLY_DIRECTIVES.contains(&d.to_ascii_lowercase().as_str()))
        {
            return (
                Dialect::Nagios,
                format!("{file} sets {d}, a directive only Nagios and naemon know"),
            );
        }
        (
            Dialect::Alignak,
            "no Nagios main file: Alignak's rules, Vigia's own".to_string(),
        )
    }

    /// The default of `key` for `kind` in this dialect, where it is not the schema's.
    pub fn default_of(self, kind: ObjectKind, key: &str) -> Option<&'static str> {
        match self {
            Dialect::Alignak => None,
            Dialect::Nagios => NAGIOS_DEFAULTS
                .iter()
                .find(|(k, name, _)| *k == kind && *name == key)
                .map(|(_, _, v)| *v),
        }
    }
}

/// What Alignak does with a second definition of a name, from the `definition_order` of the
/// one kept so far and of the new one: the lower order wins; when equal, the last one, and the
/// user is warned (Alignak's `manage_conflict`). Nagios refuses the second definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duplicate {
    KeepFirst,
    UseLast,
    UseLastWarned,
}

impl Duplicate {
    pub fn alignak(kept_order: i64, new_order: i64) -> Duplicate {
        match new_order.cmp(&kept_order) {
            std::cmp::Ordering::Greater => Duplicate::KeepFirst,
            std::cmp::Ordering::Less => Duplicate::UseLast,
            std::cmp::Ordering::Equal => Duplicate::UseLastWarned,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_point_decides() {
        let of = |p: &str, d: &[&str]| Dialect::of_entry(Path::new(p), d.iter().copied()).0;
        assert_eq!(of("/etc/nagios4/nagios.cfg", &[]), Dialect::Nagios);
        assert_eq!(of("/etc/naemon/naemon.cfg", &[]), Dialect::Nagios);
        assert_eq!(of("/etc/alignak/alignak.ini", &[]), Dialect::Alignak);
        assert_eq!(of("/etc/alignak/alignak.cfg", &["check_result_path"]), Dialect::Alignak);
        assert_eq!(of("/srv/main.cfg", &["cfg_dir", "check_result_path"]), Dialect::Nagios);
        assert_eq!(of("/srv/main.cfg", &["cfg_dir", "interval_length"]), Dialect::Alignak);
        assert_eq!(of("/srv/objects", &[]), Dialect::Alignak);
    }

    /// Loads `objects` through a main file named `main` (with `directives`); the messages.
    fn load(main: &str, directives: &str, objects: &str) -> Result<crate::Config, Vec<(bool, String)>> {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("objects.cfg"), objects).expect("write");
        std::fs::write(dir.path().join(main), format!("cfg_file=objects.cfg\n{directives}")).expect("write");
        crate::load(&dir.path().join(main)).map_err(|e| {
            e.diagnostics
                .items
                .iter()
                .map(|d| (d.severity == crate::Severity::Error, d.to_string()))
                .collect()
        })
    }

    const HOST: &str = "define command {\n command_name c\n command_line /bin/true\n}\n\
        define host {\n host_name h\n check_command c\n max_check_attempts 1\n max_check_atempts 3\n}\n";

    #[test]
    fn a_misspelled_property_is_an_error_for_nagios_a_warning_for_alignak() {
        let errors = load("nagios.cfg", "", HOST).expect_err("Nagios refuses it");
        assert!(
            errors
                .iter()
                .any(|(e, m)| *e && m.contains("max_check_atempts") && m.contains("objects.cfg:9")),
            "{errors:?}"
        );
        let config = load("alignak.cfg", "", HOST).expect("Alignak warns");
        assert!(config
            .warnings
            .iter()
            .any(|w| w.to_string().contains("max_check_atempts")));
        // A main file with a Nagios-only directive is a Nagios one whatever its name.
        assert!(load("main.cfg", "check_result_path=/tmp\n", HOST).is_err());
    }

    #[test]
    fn nagios_synonyms_are_read_as_their_property() {
        let objects = format!(
            "{HOST}define service {{\n host h\n description web\n check_command c\n max_check_attempts 1\n}}\n\
             define servicedependency {{\n master_host_name h\n master_description web\n dependent_host h\n \
             dependent_description web2\n notification_failure_options c\n}}\n\
             define service {{\n host_name h\n service_description web2\n check_command c\n max_check_attempts 1\n}}\n"
        )
        .replace(" max_check_atempts 3\n", "");
        let config = load("nagios.cfg", "", &objects).expect("valid");
        let names: Vec<&str> = config.services.iter().map(|s| &*s.description).collect();
        assert_eq!(names, ["web", "web2"]);
        assert_eq!(config.servicedependencies.len(), 1);
    }

    #[test]
    fn a_host_defined_twice_is_an_error_for_nagios_the_last_one_for_alignak() {
        let twice = format!("{HOST}define host {{\n host_name h\n check_command c\n max_check_attempts 4\n}}\n")
            .replace(" max_check_atempts 3\n", "");
        let errors = load("nagios.cfg", "", &twice).expect_err("Nagios refuses it");
        assert!(
            errors.iter().any(|(e, m)| *e && m.contains("defined twice")),
            "{errors:?}"
        );
        let config = load("alignak.cfg", "", &twice).expect("Alignak keeps one");
        assert_eq!(config.hosts.len(), 1);
        assert_eq!(config.hosts[0].common.max_check_attempts, 4, "the last one");
        assert!(config
            .warnings
            .iter()
            .any(|w| w.message.contains("the last one is used")));
        // A lower definition_order wins whatever the order.
        let ordered = twice.replace(
            " max_check_attempts 1\n",
            " max_check_attempts 1\n definition_order 5\n",
        );
        let config = load("alignak.cfg", "", &ordered).expect("Alignak keeps one");
        assert_eq!(config.hosts[0].common.max_check_attempts, 1);
    }

    #[test]
    fn a_plus_on_a_single_value_is_an_error_for_alignak() {
        let plus = HOST.replace(" max_check_atempts 3\n", " display_name +web\n _ROLE +db\n");
        let errors = load("alignak.cfg", "", &plus).expect_err("Alignak refuses it");
        for key in ["'display_name'", "'_ROLE'"] {
            assert!(
                errors
                    .iter()
                    .any(|(e, m)| *e && m.contains(key) && m.contains("'+' value")),
                "{key}: {errors:?}"
            );
        }
        assert!(load("nagios.cfg", "", &plus).is_ok(), "Nagios keeps the text");
    }

    #[test]
    fn a_misspelled_day_is_an_error_in_both() {
        let period = "define timeperiod {\n timeperiod_name t\n alias t\n satourday 00:00-24:00\n}\n";
        for main in ["nagios.cfg", "alignak.cfg"] {
            let errors = load(main, "", period).expect_err("refused");
            assert!(
                errors.iter().any(|(e, m)| *e && m.contains("'satourday' is not a day")),
                "{main}: {errors:?}"
            );
        }
    }

    #[test]
    fn nagios_defaults_differ_where_nagios_does() {
        assert_eq!(
            Dialect::Nagios.default_of(ObjectKind::Service, "check_interval"),
            Some("5")
        );
        assert_eq!(Dialect::Alignak.default_of(ObjectKind::Service, "check_interval"), None);
        assert_eq!(Dialect::Nagios.default_of(ObjectKind::Host, "max_check_attempts"), None);
        assert_eq!(Dialect::parse("naemon"), Ok(Dialect::Nagios));
        assert!(Dialect::parse("icinga").is_err());
    }
}
