//! Nagios 4 as the oracle of configuration resolution: for each case in `tests/nagios_oracle/`,
//! `nagios4 -vp` writes its resolved objects (`objects.precache`) and `vigia check-config
//! --object-cache` writes Vigia's in the same format; the properties that matter for monitoring
//! must agree. The suite's `tools/test.sh` installs Debian's `nagios4-core`; where it cannot be
//! installed this test says so loudly and skips.
//!
//! Intended Alignak differences, not compared: defaults of properties the case does not set
//! (Alignak: `event_handler_enabled 0`, `notification_options` spelled out instead of `a`), and
//! list order (Nagios prints inherited lists reversed); lists are compared as sets.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const NAGIOS: &str = "/usr/sbin/nagios4";

/// Properties compared for hosts and services (sets for the lists).
const COMPARED: &[&str] = &[
    "alias",
    "address",
    "check_command",
    "check_period",
    "notification_period",
    "check_interval",
    "retry_interval",
    "max_check_attempts",
    "notification_interval",
    "first_notification_delay",
    "is_volatile",
    "active_checks_enabled",
    "passive_checks_enabled",
];
const COMPARED_SETS: &[&str] = &["contacts", "contact_groups", "members", "parents", "exclude"];

type Objects = BTreeMap<(String, String), BTreeMap<String, String>>;

/// Parses Nagios's object-cache format into (type, name) → properties.
fn parse_cache(text: &str) -> Objects {
    let mut out = Objects::new();
    let mut current: Option<(String, BTreeMap<String, String>)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("define ") {
            let kind = rest.trim_end_matches('{').trim().to_string();
            current = Some((kind, BTreeMap::new()));
        } else if line.trim() == "}" {
            if let Some((kind, props)) = current.take() {
                let get = |k: &str| props.get(k).cloned().unwrap_or_default();
                let service = |host: &str, description: &str| format!("{};{}", get(host), get(description));
                // A dependency half: notification or execution (Nagios writes them apart).
                let half = if props.contains_key("notification_failure_options") {
                    "notification"
                } else {
                    "execution"
                };
                let name = match kind.as_str() {
                    "service" => service("host_name", "service_description"),
                    "hostdependency" => format!("{}>{}:{half}", get("host_name"), get("dependent_host_name")),
                    "servicedependency" => format!(
                        "{}>{}:{half}",
                        service("host_name", "service_description"),
                        service("dependent_host_name", "dependent_service_description")
                    ),
                    "hostescalation" => format!(
                        "{}:{}-{}",
                        get("host_name"),
                        get("first_notification"),
                        get("last_notification")
                    ),
                    "serviceescalation" => format!(
                        "{}:{}-{}",
                        service("host_name", "service_description"),
                        get("first_notification"),
                        get("last_notification")
                    ),
                    _ => get(&format!("{kind}_name")),
                };
                out.insert((kind, name), props);
            }
        } else if let Some((_, props)) = current.as_mut() {
            let line = line.trim_start_matches('\t');
            let (k, v) = line.split_once('\t').unwrap_or((line, ""));
            props.insert(k.to_string(), v.trim().to_string());
        }
    }
    out
}

fn set(v: &str) -> BTreeSet<&str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

fn compare(case: &str, nagios: &Objects, vigia: &Objects) -> Vec<String> {
    let mut diffs = Vec::new();
    for ((kind, name), n) in nagios {
        if !matches!(
            kind.as_str(),
            "host"
                | "service"
                | "hostgroup"
                | "servicegroup"
                | "contactgroup"
                | "contact"
                | "timeperiod"
                | "hostdependency"
                | "servicedependency"
                | "hostescalation"
                | "serviceescalation"
        ) {
            continue;
        }
        // A dependency half on `n` holds nothing back, and an escalation without first and last
        // notification (-2) never applies: Vigia does not keep them.
        if n.get("execution_failure_options").is_some_and(|o| o == "n")
            || n.get("notification_failure_options").is_some_and(|o| o == "n")
            || n.get("first_notification").is_some_and(|o| o == "-2")
        {
            continue;
        }
        let whole = matches!(
            kind.as_str(),
            "timeperiod" | "hostdependency" | "servicedependency" | "hostescalation" | "serviceescalation"
        );
        let Some(v) = vigia.get(&(kind.clone(), name.clone())) else {
            diffs.push(format!(
                "{case}: {kind} '{name}' resolved by Nagios is missing in Vigia"
            ));
            continue;
        };
        for (key, nv) in n {
            let vv = v.get(key).map(String::as_str).unwrap_or("");
            let same = if COMPARED_SETS.contains(&key.as_str()) || (whole && key.ends_with("_options")) {
                // Escalation options `a` (all) against the dialect's spelled-out default: left
                // to the dialect work (Alignak's default has no `u` for services).
                (key == "escalation_options" && nv == "a") || set(nv) == set(vv)
            } else if whole || COMPARED.contains(&key.as_str()) || key.starts_with('_') {
                nv == vv
            } else {
                true
            };
            if !same {
                diffs.push(format!("{case}: {kind} '{name}' {key}: Nagios '{nv}', Vigia '{vv}'"));
            }
        }
    }
    for (kind, name) in vigia.keys() {
        if matches!(
            kind.as_str(),
            "host"
                | "service"
                | "timeperiod"
                | "hostdependency"
                | "servicedependency"
                | "hostescalation"
                | "serviceescalation"
        ) && !nagios.contains_key(&(kind.clone(), name.clone()))
        {
            diffs.push(format!("{case}: {kind} '{name}' exists in Vigia but not in Nagios"));
        }
    }
    diffs
}

fn run_case(dir: &Path, work: &Path) -> Result<Vec<String>, String> {
    let case = dir.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
    let diffs = run_main(&case, &format!("cfg_dir={}\n", dir.display()), work, true)?;
    Ok(diffs)
}

/// Runs Nagios 4 and Vigia on one main file made of `objects` (its `cfg_*` and other lines)
/// and paths of Nagios's own in `work`; the differences of their resolved objects.
fn run_main(case: &str, objects: &str, work: &Path, needs_services: bool) -> Result<Vec<String>, String> {
    let main = work.join("nagios.cfg");
    let precache = work.join("objects.precache");
    std::fs::write(
        &main,
        format!(
            "{objects}precached_object_file={w}/objects.precache\nobject_cache_file={w}/objects.cache\n\
             lock_file={w}/nagios.lock\nlog_file={w}/nagios.log\ntemp_file={w}/nagios.tmp\n\
             status_file={w}/status.dat\ncheck_result_path={w}\nnagios_user=root\nnagios_group=root\n",
            w = work.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let out = Command::new(NAGIOS)
        .arg("-vp")
        .arg(&main)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{case}: nagios4 -vp refused the case:\n{}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    let vigia_cache = work.join("vigia.cache");
    let out = Command::new(env!("CARGO_BIN_EXE_vigia"))
        .args(["check-config"])
        .arg(&main)
        .arg("--object-cache")
        .arg(&vigia_cache)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{case}: vigia check-config refused the case:\n{}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    let nagios = parse_cache(&std::fs::read_to_string(&precache).map_err(|e| e.to_string())?);
    let vigia = parse_cache(&std::fs::read_to_string(&vigia_cache).map_err(|e| e.to_string())?);
    if needs_services && nagios.keys().filter(|(k, _)| k == "service").count() == 0 {
        return Err(format!(
            "{case}: Nagios resolved no service: the case is not testing anything"
        ));
    }
    Ok(compare(case, &nagios, &vigia))
}

/// The main-file settings that are paths of a running Nagios (replaced by `run_main`'s).
const RUNTIME_PATHS: &[&str] = &[
    "precached_object_file",
    "object_cache_file",
    "lock_file",
    "log_file",
    "temp_file",
    "temp_path",
    "status_file",
    "check_result_path",
    "nagios_user",
    "nagios_group",
    "command_file",
    "state_retention_file",
    "debug_file",
    "query_socket",
    "log_archive_path",
    "p1_file",
    "service_perfdata_file",
    "host_perfdata_file",
];

/// The peers' valid Nagios and naemon configurations (`tests/peer`) resolve as Nagios 4
/// resolves them: their main file's objects and settings, with Nagios's runtime paths in a
/// temporary folder.
#[test]
fn peer_nagios_configurations_resolve_as_nagios_4() {
    if !Path::new(NAGIOS).is_file() {
        eprintln!("SKIP: {NAGIOS} is missing: the Nagios 4 oracle did not run");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peer");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("cases.json")).expect("manifest")).expect("json");
    let mut diffs = Vec::new();
    let mut ran = 0;
    for case in manifest["cases"].as_array().expect("cases") {
        let peer = case["peer"].as_str().unwrap_or("");
        if peer == "alignak" || case["verdict"] != "valid" || case.get("vigia_disagrees").is_some() {
            continue;
        }
        let name = case["name"].as_str().unwrap_or("?");
        let entry = root.join(case["entry"].as_str().expect("entry"));
        let dir = entry.parent().expect("folder");
        let text = std::fs::read_to_string(&entry).expect("main file");
        let mut objects = String::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key.trim() {
                "cfg_file" | "cfg_dir" | "resource_file" => {
                    objects.push_str(&format!("{}={}\n", key.trim(), dir.join(value.trim()).display()))
                }
                k if RUNTIME_PATHS.contains(&k) => {}
                _ => objects.push_str(&format!("{line}\n")),
            }
        }
        let work = tempfile::tempdir().expect("tempdir");
        match run_main(name, &objects, work.path(), false) {
            Ok(d) => diffs.extend(d),
            // naemon accepts configurations without contacts, hosts or services; Nagios 4
            // does not: nothing to compare then.
            Err(e) if peer == "naemon" && e.contains("nagios4 -vp refused") => {
                eprintln!("{name}: not compared (Nagios 4 refuses what naemon accepts)");
                continue;
            }
            Err(e) => diffs.push(e),
        }
        ran += 1;
    }
    eprintln!("peer Nagios and naemon configurations compared with Nagios 4: {ran}");
    assert!(ran >= 10, "only {ran} peer configurations compared");
    assert!(
        diffs.is_empty(),
        "Vigia and Nagios 4 resolve the peers' configurations differently:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn resolved_objects_match_nagios_4() {
    if !Path::new(NAGIOS).is_file() {
        eprintln!(
            "SKIP: {NAGIOS} is missing: the Nagios 4 oracle did not run (apt-get install nagios4-core, or run tools/test.sh as root)"
        );
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/nagios_oracle");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("oracle cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut diffs = Vec::new();
    for case in &cases {
        let work = tempfile::tempdir().expect("tempdir");
        match run_case(case, work.path()) {
            Ok(d) => diffs.extend(d),
            Err(e) => diffs.push(e),
        }
    }
    assert!(
        diffs.is_empty(),
        "Vigia and Nagios 4 resolve differently:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn cache_parser_reads_blocks() {
    let objects = parse_cache("define host {\n\thost_name\th1\n\t_X\ta b\n\t}\ndefine service {\n\thost_name\th1\n\tservice_description\tweb\n\t}\n");
    assert_eq!(objects[&("host".into(), "h1".into())]["_X"], "a b");
    assert!(objects.contains_key(&("service".into(), "h1;web".into())));
}
