//! Real plugins (Debian's monitoring-plugins-basic) and hostile scripts, run exactly as a poller
//! runs them.
mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::*;
use vigia_exec::{ActionKind, ExecConfig, Request};

/// A loopback HTTP/1.0 server answering 200 to every request, for check_tcp and check_http.
fn http_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return, // check_tcp connects and leaves
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ =
                    stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n");
            });
        }
    });
    port
}

#[test]
fn check_dummy_states() {
    let dummy = plugin("check_dummy");
    for (code, name) in [(0, "OK"), (1, "WARNING"), (2, "CRITICAL"), (3, "UNKNOWN")] {
        let r = run(Request::new(format!("{dummy} {code} 'some text'")));
        assert_eq!(r.state, code as u8);
        assert_eq!(r.exit_code, Some(code));
        assert_eq!(r.output, format!("{name}: some text"));
        assert!(!r.via_shell && !r.timed_out && !r.internal);
        assert!(r.execution_time >= 0.0 && r.end_time >= r.start_time);
    }
}

#[test]
fn negate_inverts_the_state() {
    let dummy = plugin("check_dummy");
    let negate = plugin("negate");
    let r = run(Request::new(format!("{negate} {dummy} 2 crit")));
    assert_eq!((r.state, r.output.as_str()), (0, "CRITICAL: crit"));
    let r = run(Request::new(format!("{negate} -s {dummy} 0 fine")));
    assert_eq!((r.state, r.output.as_str()), (2, "CRITICAL: fine"));
}

#[test]
fn check_tcp_and_check_http_on_loopback() {
    let port = http_server();
    let r = run(Request::new(format!("{} -H 127.0.0.1 -p {port}", plugin("check_tcp"))));
    assert_eq!(r.state, 0, "{r:?}");
    assert!(r.output.starts_with("TCP OK"), "{r:?}");
    assert_eq!(r.metrics.len(), 1, "{r:?}");
    assert_eq!((r.metrics[0].label.as_str(), r.metrics[0].uom.as_str()), ("time", "s"));

    let r = run(Request::new(format!(
        "{} -H 127.0.0.1 -p {port} -u /index.html",
        plugin("check_http")
    )));
    assert_eq!(r.state, 0, "{r:?}");
    assert!(r.output.starts_with("HTTP OK: HTTP/1.0 200 OK"), "{r:?}");
    let labels: Vec<&str> = r.metrics.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["time", "size"], "{r:?}");
    assert_eq!(r.metrics[1].value, Some(r.metrics[1].value.unwrap().round()));
}

#[test]
fn check_tcp_on_a_closed_port_is_critical() {
    // Bind then drop: the port is very likely closed right after.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = run(Request::new(format!("{} -H 127.0.0.1 -p {port}", plugin("check_tcp"))));
    assert_eq!(r.state, 2, "{r:?}");
}

#[test]
fn check_file_age_perfdata() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("spool");
    std::fs::write(&file, "abc").unwrap();
    let r = run(Request::new(format!(
        "{} -f {} -w 3600 -c 7200",
        plugin("check_file_age"),
        file.display()
    )));
    assert_eq!(r.state, 0, "{r:?}");
    assert!(r.output.starts_with("FILE_AGE OK"), "{r:?}");
    let age = &r.metrics[0];
    assert_eq!((age.label.as_str(), age.uom.as_str()), ("age", "s"));
    assert_eq!(age.warn.as_ref().unwrap().raw, "3600");
    let size = &r.metrics[1];
    assert_eq!(
        (size.label.as_str(), size.value, size.uom.as_str()),
        ("size", Some(3.0), "B")
    );
}

#[test]
fn timeout_kills_the_plugin_and_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    let plugin = script(
        dir.path(),
        "slow",
        "#!/bin/sh\nsleep 300 &\necho $! > \"$1\"\necho 'still working|t=1'\nsleep 300\n",
    );
    let r = run(Request::new(format!("{} {}", plugin.display(), pidfile.display())).timeout(Duration::from_secs(1)));
    assert!(r.timed_out, "{r:?}");
    assert_eq!(r.state, 2, "timeout_exit_status defaults to CRITICAL");
    assert!(
        r.output.starts_with("(Service check timed out after ") && r.output.ends_with(" seconds)"),
        "{r:?}"
    );
    assert_eq!(r.long_output, "still working|t=1", "partial output kept for diagnosis");
    assert!(r.perfdata.is_empty() && r.metrics.is_empty());
    assert_eq!(r.signal, Some(15), "SIGTERM was enough");
    let child = read_pid(&pidfile);
    eventually("the plugin's child dies with it", || !alive(child));
    assert!(!alive(r.pid.unwrap()));
}

#[test]
fn timeout_escalates_to_sigkill_and_reaches_shell_children() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    // Ignored SIGTERM is inherited by the children too; only SIGKILL ends them.
    let line = format!(
        "trap '' TERM; sleep 300 & echo $! > {}; while :; do sleep 1; done",
        pidfile.display()
    );
    let config = ExecConfig {
        timeout_exit_status: 3,
        kill_grace: Duration::from_millis(200),
        ..ExecConfig::default()
    };
    let r = run_with(
        config,
        Request::new(line)
            .kind(ActionKind::HostCheck)
            .timeout(Duration::from_millis(500)),
    );
    assert!(r.timed_out && r.via_shell, "{r:?}");
    assert_eq!(r.state, 3, "configured timeout_exit_status");
    assert!(r.output.starts_with("(Host check timed out after "), "{r:?}");
    assert_eq!(r.signal, Some(9));
    let child = read_pid(&pidfile);
    eventually("the shell's child dies with it", || !alive(child));
}

#[test]
fn a_megabyte_of_output_is_capped_without_deadlock() {
    let dir = tempfile::tempdir().unwrap();
    let noisy = script(
        dir.path(),
        "noisy",
        "#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' x\nexit 1\n",
    );
    let r = run(Request::new(noisy.display().to_string()).timeout(Duration::from_secs(120)));
    assert!(!r.timed_out, "{r:?}");
    assert_eq!(r.state, 1);
    assert!(r.truncated);
    assert_eq!(r.output.len(), 8192);
    assert!(r.output.bytes().all(|b| b == b'x'));

    // The same on stderr with nothing on stdout, and a smaller cap.
    let config = ExecConfig {
        max_plugins_output_length: 100,
        ..ExecConfig::default()
    };
    let r = run_with(
        config,
        Request::new("head -c 1048576 /dev/zero | tr '\\0' y >&2").timeout(Duration::from_secs(120)),
    );
    assert_eq!((r.state, r.output.len(), r.truncated), (0, 100, true), "{r:?}");
}

#[test]
fn exit_code_out_of_range_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let seven = script(dir.path(), "seven", "#!/bin/sh\necho 'weird|x=1'\nexit 7\n");
    let r = run(Request::new(seven.display().to_string()).host("web1").service("disk"));
    assert_eq!((r.state, r.exit_code), (3, Some(7)));
    assert_eq!(
        r.output,
        "(Return code of 7 for service 'disk' on host 'web1' is out of bounds)"
    );
    assert_eq!(r.long_output, "weird|x=1");
    assert!(r.metrics.is_empty());
}

#[test]
fn missing_plugin_is_127() {
    for line in [
        "/nonexistent/check_nothing -H x",
        "check_nothing_vigia_test -H x",
        "/nonexistent/check_nothing > /dev/null",
    ] {
        let r = run(Request::new(line));
        assert_eq!((r.state, r.exit_code), (3, Some(127)), "{line}: {r:?}");
        assert_eq!(
            r.output, "(Return code of 127 is out of bounds - plugin may be missing)",
            "{line}"
        );
        assert!(
            r.long_output.contains("not found") || r.long_output.contains("No such file"),
            "{line}: {r:?}"
        );
    }
}

#[test]
fn non_executable_plugin_is_126() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("check_noexec");
    std::fs::write(&path, "#!/bin/sh\necho hi\n").unwrap();
    for line in [path.display().to_string(), format!("{} > /dev/null", path.display())] {
        let r = run(Request::new(line.clone()));
        assert_eq!((r.state, r.exit_code), (3, Some(126)), "{line}: {r:?}");
        assert_eq!(
            r.output,
            "(Return code of 126 is out of bounds - plugin may not be executable)"
        );
    }
    // A directory cannot be executed either.
    let r = run(Request::new(dir.path().display().to_string()));
    assert_eq!(r.exit_code, Some(126), "{r:?}");
}

#[test]
fn shell_metacharacters_and_quotes() {
    let r = run(Request::new("echo 'hello world' | tr a-z A-Z"));
    assert!(r.via_shell);
    assert_eq!((r.state, r.output.as_str()), (0, "HELLO WORLD"));

    let r = run(Request::new(format!("{} 1 \"two  words\" ", plugin("check_dummy"))));
    assert!(!r.via_shell, "quotes alone need no shell");
    assert_eq!(r.output, "WARNING: two  words");

    let r = run(Request::new("printf '%s\\n' 'line1 \\| piped|a=1' long ; exit 2"));
    assert_eq!(
        (r.state, r.output.as_str(), r.long_output.as_str(), r.perfdata.as_str()),
        (2, "line1 | piped", "long", "a=1")
    );

    let r = run(Request::new("echo $VIGIA_TEST_VAR $(echo sub) `echo tick`").env("VIGIA_TEST_VAR", "from-env"));
    assert_eq!(r.output, "from-env sub tick");

    // Alignak: a shell syntax error is UNKNOWN, with the shell's message.
    let r = run(Request::new("echo 'unterminated ; true"));
    assert_eq!(r.state, 3, "{r:?}");
    assert!(
        r.output.contains("Unterminated") || r.output.contains("unexpected EOF"),
        "{r:?}"
    );
}

#[test]
fn environment_is_exactly_base_plus_request() {
    let config = ExecConfig {
        env: [
            ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
            ("LANG".to_owned(), "C".to_owned()),
        ]
        .into(),
        ..ExecConfig::default()
    };
    let r = run_with(
        config,
        Request::new("env")
            .env("NAGIOS_HOSTNAME", "web1")
            .env("LANG", "fr_FR.UTF-8"),
    );
    let mut lines: Vec<&str> = std::iter::once(r.output.as_str())
        .chain(r.long_output.lines())
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        ["LANG=fr_FR.UTF-8", "NAGIOS_HOSTNAME=web1", "PATH=/usr/bin:/bin"]
    );
}

#[test]
fn working_directory_and_relative_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().canonicalize().unwrap();
    let r = run(Request::new("pwd").cwd(&here));
    assert_eq!(r.output, here.display().to_string());
    script(&here, "check_local", "#!/bin/sh\necho local\n");
    let config = ExecConfig {
        cwd: Some(here.clone()),
        ..ExecConfig::default()
    };
    let r = run_with(config, Request::new("./check_local"));
    assert_eq!((r.state, r.output.as_str()), (0, "local"));
}

#[test]
fn stderr_stands_in_for_empty_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let p = script(dir.path(), "err", "#!/bin/sh\necho 'oops on stderr' >&2\nexit 2\n");
    let r = run(Request::new(p.display().to_string()));
    assert_eq!((r.state, r.output.as_str()), (2, "oops on stderr"));
    let p = script(dir.path(), "silent", "#!/bin/sh\nexit 0\n");
    assert_eq!(run(Request::new(p.display().to_string())).output, vigia_exec::NO_OUTPUT);
}

#[test]
fn script_without_shebang_runs_through_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let p = script(dir.path(), "bare", "echo from a bare script\nexit 1\n");
    let r = run(Request::new(p.display().to_string()));
    assert_eq!(
        (r.state, r.output.as_str(), r.via_shell),
        (1, "from a bare script", true),
        "{r:?}"
    );
}

#[test]
fn killed_by_a_signal_is_unknown() {
    let r = run(Request::new("kill -SEGV $$"));
    assert_eq!((r.state, r.signal, r.exit_code), (3, Some(11), None), "{r:?}");
    assert_eq!(r.output, "(Service check did not exit properly)");
}

#[test]
fn leftover_background_process_does_not_hold_the_result() {
    // The plugin exits at once but leaves a child holding its stdout (no redirection): the result
    // comes back after the short drain, not after the child's 300 s, and is not a timeout.
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("bg.pid");
    let line = format!("sleep 300 & echo $! > {}; echo done", pidfile.display());
    let r = run(Request::new(line).timeout(Duration::from_secs(120)));
    assert_eq!((r.state, r.timed_out, r.output.as_str()), (0, false, "done"), "{r:?}");
    let bg = read_pid(&pidfile);
    // Not ours to kill; clean up.
    kill_pid(bg);
}

fn kill_pid(pid: u32) {
    let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
}
