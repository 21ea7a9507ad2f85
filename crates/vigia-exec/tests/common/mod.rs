//! Helpers shared by the integration tests. No timing assertions anywhere: only deadlines on
//! conditions, so a loaded 2-core machine cannot make a test flaky.
#![allow(dead_code)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vigia_exec::{ExecConfig, ExecResult, Executor, Request};

pub const PLUGINS: &str = "/usr/lib/nagios/plugins";

/// A Debian monitoring plugin; fails loudly when the package is missing.
pub fn plugin(name: &str) -> String {
    let path = format!("{PLUGINS}/{name}");
    assert!(
        Path::new(&path).exists(),
        "{path} is missing: apt-get install monitoring-plugins-basic monitoring-plugins-common (tools/test.sh does it)"
    );
    path
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs one request on a fresh executor with the default configuration.
pub fn run(request: Request) -> ExecResult {
    run_with(ExecConfig::default(), request)
}

pub fn run_with(config: ExecConfig, request: Request) -> ExecResult {
    runtime().block_on(Executor::new(config).run(request))
}

/// Writes an executable script.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Waits until `cond` holds, failing after a generous deadline.
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a process exists and is not a zombie (a zombie has already died; it only waits for
/// its parent, init here, to reap it).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => match stat.rfind(')') {
            Some(i) => !matches!(stat[i + 1..].trim_start().chars().next(), Some('Z') | Some('X')),
            None => false,
        },
        Err(_) => false,
    }
}

/// Reads a pid a script wrote, waiting for the file to be complete.
pub fn read_pid(path: &Path) -> u32 {
    let mut pid = None;
    eventually("the script writes its pid file", || {
        pid = std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok());
        pid.is_some()
    });
    pid.unwrap()
}

/// Our children that are zombies (state Z with our pid as parent).
pub fn our_zombies() -> Vec<u32> {
    let me = std::process::id();
    let mut zombies = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(i) = stat.rfind(')') else { continue };
        let mut fields = stat[i + 1..].split_whitespace();
        let state = fields.next();
        let ppid = fields.next().and_then(|p| p.parse::<u32>().ok());
        if state == Some("Z") && ppid == Some(me) {
            zombies.push(pid);
        }
    }
    zombies
}

pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}
