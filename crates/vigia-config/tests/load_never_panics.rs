//! The whole pipeline (parse, inherit, resolve, split) never panics on mutated configurations:
//! a broken file gets diagnostics, not a crash.
use proptest::prelude::*;

const BASE: &str = "define timeperiod {\n timeperiod_name 24x7\n monday 00:00-24:00\n day 1 - 15 / 2 08:00-09:00\n}\n\
define command {\n command_name c\n command_line /bin/true $ARG1$\n}\n\
define contact {\n contact_name admin\n host_notification_period 24x7\n service_notification_period 24x7\n host_notification_commands c\n service_notification_commands c\n}\n\
define host {\n name tpl\n check_command c!1\n max_check_attempts 2\n contacts admin\n register 0\n}\n\
define host {\n use tpl\n host_name h1\n parents h2\n hostgroups g\n}\n\
define host {\n use tpl\n host_name h2\n _X y\n}\n\
define hostgroup {\n hostgroup_name g\n members h2\n}\n\
define service {\n host_name *,!h2\n hostgroup_name g\n service_description s\n check_command c!$HOSTNAME$\n duplicate_foreach _X\n}\n\
define service {\n host_name h1\n service_description bp\n check_command bp_rule!h1,s & h2\n}\n";

fn load(text: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = dir.path().join("main.cfg");
    std::fs::write(&main, text).expect("write");
    match vigia_config::load(&main) {
        Ok(config) => assert_eq!(
            config.parts.iter().map(|p| p.hosts.len()).sum::<usize>(),
            config.hosts.len()
        ),
        Err(e) => assert!(e.diagnostics.has_errors()),
    }
}

#[test]
fn base_configuration_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = dir.path().join("main.cfg");
    std::fs::write(&main, BASE).expect("write");
    let config = vigia_config::load(&main).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics));
    assert_eq!(config.hosts.len(), 2);
    // h1 and h2 are linked by parents and the business rule: one pack, one part.
    assert_eq!(config.parts.len(), 1);
}

/// This file's number of cases, or `PROPTEST_CASES` (bench/fuzz/run.sh runs many more).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(200), ..ProptestConfig::default() })]

    #[test]
    fn mutated_configurations_never_panic(
        cut in 0usize..BASE.len(),
        len in 0usize..40,
        junk in "[{};#\\\\=,!*&|: \n\tA-Za-z0-9_$-]{0,30}",
    ) {
        let end = (cut + len).min(BASE.len());
        let (cut, end) = (BASE.floor_char_boundary(cut), BASE.floor_char_boundary(end));
        let text = format!("{}{}{}", &BASE[..cut], junk, &BASE[end..]);
        load(&text);
    }

    #[test]
    fn timeperiod_rules_never_panic(rule in "[a-z0-9 :,/-]{0,40}") {
        let mut tp = vigia_config::timeperiod::Timeperiod::new("t");
        if tp.add_rule(&rule).is_ok() {
            let set = vigia_config::timeperiod::Timeperiods { periods: vec![tp] };
            let t = jiff::Timestamp::from_second(1_790_000_000).expect("time");
            let _ = set.is_inside(0, t, &jiff::tz::TimeZone::UTC);
            let _ = set.next_valid(0, t, &jiff::tz::TimeZone::UTC);
        }
    }
}
