//! Golden scenarios through `vigia simulate`: each folder of `tests/scenarios/` holds a
//! configuration (`main.cfg`), an events script (`events`) and the exact monitoring log and
//! notifications expected (`expected.log`), plus a `README` saying what rule it shows.
//! Set `VIGIA_BLESS=1` to rewrite `expected.log` from the current output (then review the diff).
use std::path::Path;
use std::process::Command;

fn run_scenario(dir: &Path) -> Result<(), String> {
    let until = std::fs::read_to_string(dir.join("until")).unwrap_or_else(|_| "2h".into());
    let out = Command::new(env!("CARGO_BIN_EXE_vigia"))
        .arg("simulate")
        .arg(dir.join("main.cfg"))
        .arg("--events")
        .arg(dir.join("events"))
        .arg("--until")
        .arg(until.trim())
        .env("TZ", "UTC")
        .output()
        .map_err(|e| format!("cannot run vigia: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(format!(
            "vigia simulate failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let expected_path = dir.join("expected.log");
    if std::env::var_os("VIGIA_BLESS").is_some() {
        std::fs::write(&expected_path, &stdout).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expected_path).map_err(|e| format!("{}: {e}", expected_path.display()))?;
    if expected != stdout {
        return Err(format!("--- expected\n{expected}--- got\n{stdout}"));
    }
    Ok(())
}

#[test]
fn golden_scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("scenarios folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("main.cfg").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no scenario found in {}", root.display());
    let mut failures = Vec::new();
    for dir in &dirs {
        if let Err(e) = run_scenario(dir) {
            failures.push(format!("== {}\n{e}", dir.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}
