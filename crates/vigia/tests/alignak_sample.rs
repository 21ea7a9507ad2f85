//! Alignak 2.1.5 as the oracle for its own shipped sample configuration: the `etc/` folder of the
//! PyPI wheel (`alignak-2.1.5.data/data/share/alignak/etc/`) must load in Vigia without error and
//! give the host and service counts the real arbiter reports in verify mode.
//!
//! The wheel is fetched with `pip download` into `target/alignak-sample/` (reused when present,
//! checked against its PyPI sha256) and its `etc/` is extracted with Python's `zipfile` into a
//! temporary folder for each test. Without python3, pip or PyPI the tests print a loud `SKIP:` and
//! pass; CI has PyPI access, so they normally run. `tools/fetch-alignak-sample.sh --verify` fetches
//! the same wheel and reruns the real Alignak arbiter on it to reproduce the numbers below.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

const WHEEL: &str = "alignak-2.1.5-py2.py3-none-any.whl";
/// sha256 of the wheel on PyPI (files there are immutable).
const WHEEL_SHA256: &str = "23712c429694aed91ade738d98f4b0da7871f87d63944b0a3a7f6f1cfec4889b";
/// The sample configuration inside the wheel.
const ETC_IN_WHEEL: &str = "alignak-2.1.5.data/data/share/alignak/etc/";

// What the real Alignak 2.1.5 arbiter reports for this sample. Obtained with the wheel's `etc/`
// copied to /tmp/alignak-etc, its alignak.ini edited only to set `_dist=/tmp/alignak-run`,
// `_dist_ETC=/tmp/alignak-etc` and uncomment `cfg=%(etcdir)s/alignak.cfg` (what `ini_copy` below
// does), then, in a venv with `pip install --no-deps alignak==2.1.5` plus its dependencies
// unpinned (see docs/ecosystem.md §0):
//     alignak-arbiter -V -e /tmp/alignak-etc/alignak.ini        → exit code 0
// whose log says, among the "Checking monitoring configuration..." lines:
//     INFO: [alignak.objects.config] - checking hosts...
//     INFO: [alignak.objects.config]   checked 48
//     INFO: [alignak.objects.config] - checking services...
//     INFO: [alignak.objects.config]   checked 280
// and ends with "Things look okay - No serious problems were detected during the pre-flight
// check" (no ERROR line; only WARNINGs about unmanaged Nagios parameters).
// The 48 hosts: 8 written plainly + 40 cloned from patterned names ("cloned 20 hosts from
// north_host_[0-19-%03d]", "cloned 10 hosts from south_host_[0-9-%03d]", "cloned 10 hosts from
// not_monitored_host_[0-9-%03d]"). The 280 services: the 8 services defined on the host template
// `test-host` × the 35 hosts that use it (host_0..3, host_11, north_host_000..019,
// south_host_000..009).
const ALIGNAK_HOSTS: u64 = 48;
const ALIGNAK_SERVICES: u64 = 280;
/// Other counts from the same log ("checked N" under "- checking <type>...").
const ALIGNAK_OTHER_COUNTS: &[(&str, u64)] = &[
    ("contactgroups", 2),
    ("contacts", 2),
    ("hostgroups", 2),
    ("notificationways", 2),
    ("realms", 1),
    ("servicegroups", 1),
    ("timeperiods", 4),
    ("hostdependencies", 0),
    ("servicedependencies", 0),
];
// Not compared: Alignak's "checked 11" commands are the sample's 6 plus the 5 internal commands
// it always creates (bp_rule, _internal_host_up, _internal_host_check, _echo,
// _internal_service_check, alignak/objects/config.py add_self_defined_objects); Vigia creates an
// internal command only when something uses it.

fn vigia() -> &'static str {
    env!("CARGO_BIN_EXE_vigia")
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/alignak-sample")
}

fn skip(why: &str) {
    eprintln!();
    eprintln!("==================================================================");
    eprintln!("SKIP: Alignak sample test not run: {why}");
    eprintln!("      (needs python3 with pip and access to PyPI)");
    eprintln!("==================================================================");
    eprintln!();
}

/// Serializes the download between the tests of this file (they run in parallel threads).
static FETCH: Mutex<()> = Mutex::new(());

/// Runs `python3 -c SCRIPT ARGS…`; `None` when python3 cannot be started.
fn python(script: &str, args: &[&Path]) -> Option<Output> {
    Command::new("python3").arg("-c").arg(script).args(args).output().ok()
}

const SHA256_PY: &str = "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())";

fn sha256(path: &Path) -> Option<String> {
    let out = python(SHA256_PY, &[path])?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The wheel, downloaded into the cache unless already there. `Err` = skip with this reason.
fn wheel() -> Result<PathBuf, String> {
    let _guard = FETCH.lock().unwrap_or_else(|e| e.into_inner());
    let dir = cache_dir();
    let wheel = dir.join(WHEEL);
    if wheel.is_file() {
        match sha256(&wheel) {
            Some(sum) if sum == WHEEL_SHA256 => return Ok(wheel),
            Some(_) => {
                eprintln!("{}: sha256 mismatch, downloading it again", wheel.display());
                std::fs::remove_file(&wheel).expect("removing the bad cached wheel");
            }
            None => return Err("python3 cannot run".into()),
        }
    }
    std::fs::create_dir_all(&dir).expect("creating target/alignak-sample");
    // pip downloads into a fresh folder, then the wheel is renamed into place: a download cut
    // short never leaves a partial wheel in the cache.
    let part = tempfile::tempdir_in(&dir).expect("temporary download folder");
    let out = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args([
            "--disable-pip-version-check",
            "--no-input",
            "--timeout",
            "20",
            "--retries",
            "1",
        ])
        .arg("alignak==2.1.5")
        .arg("-d")
        .arg(part.path())
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => return Err(format!("cannot run python3: {e}")),
    };
    let downloaded = part.path().join(WHEEL);
    if !out.status.success() || !downloaded.is_file() {
        return Err(format!(
            "`python3 -m pip download --no-deps alignak==2.1.5` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let sum = sha256(&downloaded).ok_or("python3 cannot run")?;
    assert_eq!(sum, WHEEL_SHA256, "the wheel from PyPI has an unexpected sha256");
    std::fs::rename(&downloaded, &wheel).expect("moving the wheel into the cache");
    Ok(wheel)
}

const EXTRACT_PY: &str = r#"
import sys, zipfile
wheel, prefix, dest = sys.argv[1], sys.argv[2], sys.argv[3]
n = 0
with zipfile.ZipFile(wheel) as z:
    for m in z.infolist():
        if m.filename.startswith(prefix) and not m.is_dir():
            m.filename = m.filename[len(prefix):]
            z.extract(m, dest)
            n += 1
print(n)
"#;

/// A fresh copy of the sample's `etc/` folder, or `None` after printing a SKIP.
fn sample() -> Option<(tempfile::TempDir, PathBuf)> {
    let wheel = match wheel() {
        Ok(w) => w,
        Err(why) => {
            skip(&why);
            return None;
        }
    };
    let tmp = tempfile::tempdir().expect("temporary folder");
    let etc = tmp.path().join("etc");
    let Some(out) = python(EXTRACT_PY, &[&wheel, Path::new(ETC_IN_WHEEL), &etc]) else {
        skip("python3 cannot run");
        return None;
    };
    assert!(
        out.status.success(),
        "extracting etc/ from the wheel failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    assert!(
        files > 10,
        "only {files} files under {ETC_IN_WHEEL} in {}",
        wheel.display()
    );
    assert!(etc.join("alignak.cfg").is_file() && etc.join("alignak.ini").is_file());
    Some((tmp, etc))
}

/// The sample's alignak.ini edited as for the Alignak run above: etcdir pointing at this copy,
/// `cfg=%(etcdir)s/alignak.cfg` uncommented (the wheel ships it commented out).
fn ini_copy(etc: &Path) -> PathBuf {
    let ini = etc.join("alignak.ini");
    let text = std::fs::read_to_string(&ini).unwrap();
    let mut edits = 0;
    let edited: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("_dist=") {
                edits += 1;
                format!("_dist={}", etc.join("run").display())
            } else if line.starts_with("_dist_ETC=") {
                edits += 1;
                format!("_dist_ETC={}", etc.display())
            } else if line == ";cfg=%(etcdir)s/alignak.cfg" {
                edits += 1;
                "cfg=%(etcdir)s/alignak.cfg".to_string()
            } else {
                line.to_string()
            }
        })
        .collect();
    assert_eq!(edits, 3, "alignak.ini of the sample no longer has the expected lines");
    std::fs::write(&ini, edited.join("\n") + "\n").unwrap();
    ini
}

fn check_config(args: &[&str], path: &Path) -> (Option<i32>, String) {
    let out = Command::new(vigia())
        .arg("check-config")
        .args(args)
        .arg(path)
        .output()
        .expect("running vigia");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn summary(path: &Path) -> (Option<i32>, serde_json::Value) {
    let (code, stdout) = check_config(&["--json"], path);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "`vigia check-config --json {}` printed no JSON ({e}):\n{stdout}",
            path.display()
        )
    });
    (code, json)
}

fn assert_matches_alignak(path: &Path) {
    let (code, json) = summary(path);
    let shown = serde_json::to_string_pretty(&json).unwrap();
    assert_eq!(
        code,
        Some(0),
        "vigia check-config {} did not exit 0:\n{shown}",
        path.display()
    );
    assert_eq!(json["valid"], true, "{shown}");
    assert_eq!(json["errors"].as_array().map(Vec::len), Some(0), "{shown}");
    let counts = &json["counts"];
    let mut wrong = Vec::new();
    let expected = [("hosts", ALIGNAK_HOSTS), ("services", ALIGNAK_SERVICES)];
    for (what, n) in expected.iter().chain(ALIGNAK_OTHER_COUNTS) {
        if counts[*what].as_u64() != Some(*n) {
            wrong.push(format!("{what}: Alignak 2.1.5 checked {n}, Vigia {}", counts[*what]));
        }
    }
    assert!(
        wrong.is_empty(),
        "vigia check-config {} disagrees with Alignak on the sample:\n  {}\n{shown}",
        path.display(),
        wrong.join("\n  ")
    );
}

#[test]
fn sample_main_cfg_counts_match_alignak() {
    let Some((_tmp, etc)) = sample() else { return };
    assert_matches_alignak(&etc.join("alignak.cfg"));
}

#[test]
fn sample_ini_counts_match_alignak() {
    let Some((_tmp, etc)) = sample() else { return };
    assert_matches_alignak(&ini_copy(&etc));
}

#[test]
fn broken_sample_fails_with_file_and_line() {
    let Some((_tmp, etc)) = sample() else { return };
    // localhost gets a check_command nobody defines, on the line after its address.
    // (Alignak 2.1.5 rejects this copy too: "[host::localhost] check_command 'None' invalid",
    // "Configuration is incorrect, sorry, I bail out", exit code 1.)
    let file = etc.join("arbiter/objects/hosts/localhost.cfg");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let address = lines
        .iter()
        .position(|l| l.split_whitespace().next() == Some("address"))
        .expect("localhost.cfg has an address line");
    lines.insert(address + 1, "   check_command        no_such_command!1");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let bad_line = address + 2; // 1-based

    let (code, json) = summary(&etc.join("alignak.cfg"));
    let shown = serde_json::to_string_pretty(&json).unwrap();
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(json["valid"], false, "{shown}");
    let errors = json["errors"].as_array().expect("errors list");
    let hit = errors.iter().any(|e| {
        e["message"].as_str().is_some_and(|m| m.contains("no_such_command"))
            && e["location"]["file"].as_str().is_some_and(|f| Path::new(f) == file)
            && e["location"]["line"].as_u64() == Some(bad_line as u64)
    });
    assert!(
        hit,
        "no error about no_such_command at {}:{bad_line}:\n{shown}",
        file.display()
    );

    let (code, text) = check_config(&[], &etc.join("alignak.cfg"));
    assert_eq!(code, Some(1), "{text}");
    let at = format!("{}:{bad_line}:", file.display());
    assert!(
        text.lines()
            .any(|l| l.starts_with(&at) && l.contains("no_such_command")),
        "no `{at} … no_such_command` diagnostic in:\n{text}"
    );
}
