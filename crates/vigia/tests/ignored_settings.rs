//! No setting silently ignored (issue 13, item 6): the real `vigia check-config` on a tree that
//! holds every kind of setting Vigia reads but does not act on lists each one with its
//! `file:line`, once, and a misspelled property with the closest known one.
use std::path::Path;
use std::process::Command;

/// Runs `vigia check-config ARGS`; its exit status and every line it printed.
fn check_config(args: &[&Path]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigia"))
        .arg("check-config")
        .args(args)
        .output()
        .expect("vigia check-config runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Asserts one line says `what` at `file:line`, and no other line names the same place with it.
fn listed_once(output: &str, file: &Path, line: u32, what: &str) {
    let place = format!("{}:{line}: warning: ", file.display());
    let hits = output
        .lines()
        .filter(|l| l.starts_with(&place) && l.contains(what))
        .count();
    assert_eq!(hits, 1, "expected one '{place}…{what}' line in:\n{output}");
}

const OBJECTS: &str = "\
define command {
    command_name    check_ok
    command_line    /bin/true
}
define host {
    name                    generic-host
    register                0
    check_command           check_ok
    business_impact         4
    process_perf_data       1
    obsess_over_host        1
}
define host {
    use                     generic-host
    host_name               web-1
    max_check_atempts       3
}
define host {
    use                     generic-host
    host_name               web-2
}
define service {
    host_name               web-1,web-2
    service_description     http
    check_command           check_ok
    stalking_options        o,w
    business_impact_modulations  night
}
define businessimpactmodulation {
    business_impact_modulation_name  night
    business_impact                  1
    modulation_period                24x7
}
define resultmodulation {
    resultmodulation_name   warning-is-ok
    exit_codes_match        1
    exit_code_modulation    0
}
define macromodulation {
    macromodulation_name    m
    modulation_period       24x7
}
define timeperiod {
    timeperiod_name         24x7
    alias                   always
    monday                  00:00-24:00
}
define scheduler {
    scheduler_name          scheduler-master
    address                 127.0.0.1
    port                    7768
    use_ssl                 1
    hard_ssl_name_check     0
    server_cert             /etc/vigia/certs/scheduler.pem
    modules                 retention-file
}
";

#[test]
fn check_config_lists_every_setting_without_effect_with_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let main = d.join("alignak.cfg");
    let objects = d.join("objects.cfg");
    std::fs::write(
        &main,
        "cfg_file=objects.cfg\n\
         interval_length=60\n\
         status_file=/var/lib/nagios/status.dat\n\
         log_file=/var/log/nagios/nagios.log\n\
         broker_module=/usr/lib/ndomod.o config_file=/etc/ndomod.cfg\n\
         host_perfdata_command=process-host-perfdata\n\
         service_perfdata_file=/var/lib/perfdata.log\n\
         foo_bar_unknown=1\n\
         use_ssl=1\n",
    )
    .expect("write main");
    std::fs::write(&objects, OBJECTS).expect("write objects");

    let (valid, out) = check_config(&[&main]);
    assert!(valid, "warnings only:\n{out}");
    // Main-file settings.
    listed_once(&out, &main, 3, "'status_file' has no effect in Vigia (");
    listed_once(&out, &main, 4, "'log_file' has no effect in Vigia (");
    listed_once(&out, &main, 5, "'broker_module' has no effect in Vigia (");
    listed_once(&out, &main, 6, "'host_perfdata_command' has no effect in Vigia (");
    listed_once(&out, &main, 7, "'service_perfdata_file' has no effect in Vigia (");
    listed_once(&out, &main, 8, "unknown setting 'foo_bar_unknown'");
    // Object properties: once at the template however many hosts use it.
    listed_once(&out, &objects, 9, "'business_impact' has no effect in Vigia (");
    listed_once(&out, &objects, 10, "'process_perf_data' has no effect in Vigia (");
    listed_once(&out, &objects, 11, "'obsess_over_host' has no effect in Vigia (");
    listed_once(&out, &objects, 26, "'stalking_options' has no effect in Vigia (");
    listed_once(
        &out,
        &objects,
        27,
        "'business_impact_modulations' has no effect in Vigia (",
    );
    // A typo, with the closest known property.
    listed_once(
        &out,
        &objects,
        16,
        "'max_check_atempts' is not a known host property (did you mean 'max_check_attempts'?)",
    );
    // Object types kept but not acted on: once per definition.
    listed_once(
        &out,
        &objects,
        29,
        "businessimpactmodulation definitions have no effect in Vigia",
    );
    listed_once(
        &out,
        &objects,
        34,
        "resultmodulation definitions have no effect in Vigia",
    );
    listed_once(
        &out,
        &objects,
        39,
        "macromodulation definitions have no effect in Vigia",
    );
    listed_once(&out, &objects, 55, "'modules' has no effect in Vigia (");
    // The TLS settings are being built: accepted without a warning.
    for tls in ["use_ssl", "hard_ssl_name_check", "server_cert"] {
        assert!(!out.contains(&format!("'{tls}'")), "{tls} warned:\n{out}");
    }
    // Settings Vigia acts on are not warned about.
    for used in ["interval_length", "check_command", "cfg_file"] {
        assert!(!out.contains(&format!("'{used}'")), "{used} warned:\n{out}");
    }
}

/// In Nagios's dialect an unknown main-file key stops the load, as Nagios 4 does ("UNKNOWN
/// VARIABLE"), with its place and the closest known key; a setting without effect is still a
/// warning.
#[test]
fn nagios_refuses_an_unknown_main_file_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let main = d.join("nagios.cfg");
    std::fs::write(
        &main,
        "cfg_file=objects.cfg\nstatus_file=/var/status.dat\nfoo_bar_unknown=1\nlog_fiel=/var/log/nagios.log\n",
    )
    .expect("write main");
    std::fs::write(
        d.join("objects.cfg"),
        "define command {\n command_name c\n command_line /bin/true\n}\n\
         define host {\n host_name h\n check_command c\n max_check_attempts 1\n}\n",
    )
    .expect("write objects");
    let (valid, out) = check_config(&[&main]);
    assert!(!valid, "{out}");
    let at = |line: u32| format!("{}:{line}: ", main.display());
    assert!(
        out.contains(&format!("{}warning: 'status_file' has no effect in Vigia", at(2))),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}error: unknown main-file setting 'foo_bar_unknown'", at(3))),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{}error: unknown main-file setting 'log_fiel' (did you mean 'log_file'?)",
            at(4)
        )),
        "{out}"
    );
}
