//! One daemon per data folder, on real processes: a second `vigia` daemon started on a folder
//! another one holds exits at once with a message naming the folder and the holder's pid, and
//! the first goes on. Address 127.0.9.1.
mod cluster;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster::{wait_for, Daemon, DEADLINE, VIGIA};

const IP: &str = "127.0.9.1";

fn daemon(role: &str, port: u16, data: PathBuf) -> Daemon {
    Daemon {
        role: role.into(),
        name: format!("{role}-first"),
        listen: format!("{IP}:{port}"),
        data,
        child: None,
        extra: Vec::new(),
        env: Vec::new(),
        netns: None,
    }
}

fn answers(listen: &str) -> bool {
    reqwest::blocking::Client::new()
        .get(format!("http://{listen}/v1/identity"))
        .timeout(Duration::from_secs(5))
        .send()
        .is_ok_and(|r| r.status().is_success())
}

/// Runs `vigia ROLE --listen LISTEN --data DATA` to its end (at most `DEADLINE`): exit code and
/// stderr.
fn run_to_end(role: &str, listen: &str, data: &std::path::Path) -> (Option<i32>, String) {
    let mut child = Command::new(VIGIA)
        .arg(role)
        .arg("--listen")
        .arg(listen)
        .arg("--data")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vigia");
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        if child.try_wait().expect("wait").is_some() {
            let out = child.wait_with_output().expect("output");
            return (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    panic!(
        "the second daemon is still running after {DEADLINE:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_second_daemon_on_the_same_data_folder_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("receiver");
    let mut first = daemon("receiver", 7773, data.clone());
    first.start();
    wait_for("the first receiver to answer", DEADLINE, || {
        answers(&first.listen).then_some(())
    });

    // Another receiver, on another port, on the same folder: it would share the command queue.
    let (code, stderr) = run_to_end("receiver", &format!("{IP}:7774"), &data);
    assert!(code.is_some_and(|c| c != 0), "exit {code:?}:\n{stderr}");
    assert!(
        stderr.contains(&data.display().to_string()) && stderr.contains("in use by another Vigia daemon"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("pid {}", first.pid())),
        "the holder's pid: {stderr}"
    );
    // A daemon of another role is refused too.
    let (code, stderr) = run_to_end("scheduler", &format!("{IP}:7768"), &data);
    assert!(code.is_some_and(|c| c != 0), "exit {code:?}:\n{stderr}");

    // The first one goes on, and its files are its own.
    assert!(
        first.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None))),
        "{}",
        first.log()
    );
    assert!(answers(&first.listen), "{}", first.log());

    // Killed with -9, it leaves no stale lock: a new daemon takes the folder.
    first.kill();
    let mut again = daemon("receiver", 7774, data.clone());
    again.start();
    wait_for("a receiver on the folder after the first died", DEADLINE, || {
        answers(&again.listen).then_some(())
    });
}
