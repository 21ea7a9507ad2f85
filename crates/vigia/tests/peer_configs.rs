//! The peers' own test configurations as oracles: every case of `tests/peer/cases.json` (copied
//! from the test suites of Alignak, Nagios core and naemon; origins in each peer's `SOURCE.md`)
//! is checked with the real `vigia check-config --json`, and its verdict (and, when valid, its
//! host and service counts) compared with what the peer's own test asserts or what the peer
//! itself reports for it.
//!
//! A case marked `vigia_disagrees` is a known, explained difference: it must still disagree
//! (remove the mark when Vigia is fixed). Any other case must agree.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer")
}

struct Outcome {
    valid: bool,
    hosts: Option<u64>,
    services: Option<u64>,
    first_error: String,
}

fn check(entry: &str) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_vigia"))
        .args(["check-config", "--json", entry])
        .current_dir(peer_dir())
        .output()
        .expect("vigia check-config runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{entry}: check-config --json printed no JSON ({e}); stdout: {stdout}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let valid = json["valid"].as_bool().expect("`valid` is a boolean");
    assert_eq!(valid, out.status.success(), "{entry}: exit status and `valid` disagree");
    Outcome {
        valid,
        hosts: json["counts"]["hosts"].as_u64(),
        services: json["counts"]["services"].as_u64(),
        first_error: json["errors"][0]["message"].as_str().unwrap_or("").to_string(),
    }
}

#[test]
fn peer_configurations_agree_or_are_explained() {
    let manifest = std::fs::read_to_string(peer_dir().join("cases.json")).expect("read cases.json");
    let manifest: Value = serde_json::from_str(&manifest).expect("cases.json is JSON");
    let cases = manifest["cases"].as_array().expect("cases.json has a `cases` array");
    assert!(cases.len() >= 40, "expected 40+ peer cases, found {}", cases.len());

    // Run them on a few threads: each check-config takes milliseconds, the process start dominates.
    let entries: Vec<String> = cases
        .iter()
        .map(|c| c["entry"].as_str().expect("case has an entry").to_string())
        .collect();
    let threads = 4;
    let chunk = entries.len().div_ceil(threads);
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(|e| check(e)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("checker thread"))
            .collect()
    });

    let mut failures = Vec::new();
    let mut per_peer: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (case, got) in cases.iter().zip(&outcomes) {
        let name = case["name"].as_str().expect("case has a name");
        let peer = case["peer"].as_str().expect("case has a peer").to_string();
        let want_valid = match case["verdict"].as_str() {
            Some("valid") => true,
            Some("invalid") => false,
            other => panic!("{name}: verdict must be valid or invalid, not {other:?}"),
        };
        let mut diffs = Vec::new();
        if got.valid != want_valid {
            diffs.push(format!(
                "verdict: peer {}, Vigia {}{}",
                if want_valid { "valid" } else { "invalid" },
                if got.valid { "valid" } else { "invalid" },
                if got.valid {
                    String::new()
                } else {
                    format!(" ({})", got.first_error)
                }
            ));
        } else if want_valid {
            for (what, got) in [("hosts", got.hosts), ("services", got.services)] {
                let want = case[what].as_u64();
                if want.is_some() && want != got {
                    diffs.push(format!("{what}: peer {want:?}, Vigia {got:?}"));
                }
            }
        }
        let entry = per_peer.entry(peer).or_default();
        entry.1 += 1;
        if diffs.is_empty() {
            entry.0 += 1;
        }
        match (case.get("vigia_disagrees").and_then(Value::as_str), diffs.is_empty()) {
            (None, false) => failures.push(format!("{name}: disagrees: {}", diffs.join("; "))),
            (Some(why), true) => failures.push(format!(
                "{name}: now agrees with its peer; remove its `vigia_disagrees` (\"{why}\")"
            )),
            _ => {}
        }
    }

    let (agree, total) = per_peer.values().fold((0, 0), |(a, t), (pa, pt)| (a + pa, t + pt));
    println!("peer configurations: {agree} of {total} agree");
    for (peer, (a, t)) in &per_peer {
        println!("  {peer}: {a} of {t} agree");
    }
    assert!(failures.is_empty(), "peer configurations:\n{}", failures.join("\n"));
}
