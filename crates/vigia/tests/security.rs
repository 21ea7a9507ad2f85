//! Secure by default (issue 13), on real processes: `vigia run` makes the cluster's secret and
//! its daemons refuse requests without it; a daemon refuses to listen beyond loopback with
//! nothing to authenticate clients; a whole cluster over mutual TLS (certificates from
//! `vigia certs`) runs checks and fails over, and refuses plain HTTP and another CA's
//! certificate; random request bodies get 4xx, never 5xx; slow-loris clients hold no one up.
mod cluster;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cluster::{base_objects, wait_for, DEADLINE};

const VIGIA: &str = env!("CARGO_BIN_EXE_vigia");

/// `vigia run` in its own process group, stopped (SIGTERM to the group) when dropped.
struct Run {
    child: Child,
}

impl Run {
    fn start(etc: &Path, data: &Path, log: &Path) -> Run {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(log).expect("log");
        let child = Command::new(VIGIA)
            .arg("run")
            .arg(etc)
            .arg("--data")
            .arg(data)
            .env_remove("VIGIA_SECRET")
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("vigia run");
        Run { child }
    }

    fn pid_of(&self, pattern: &str) -> Option<i32> {
        let out = Command::new("pgrep")
            .args(["-g", &self.child.id().to_string(), "-f", pattern])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).lines().next()?.trim().parse().ok()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let group = -(self.child.id() as i32);
        unsafe {
            libc::kill(group, libc::SIGTERM);
        }
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        unsafe {
            libc::kill(group, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// One Livestatus request, read to EOF.
fn livestatus(addr: &str, lql: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(format!("{lql}\n\n").as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// `curl` with `args`: (exit code, HTTP status or "000", body).
fn curl(args: &[&str]) -> (i32, String) {
    let out = Command::new("curl")
        .args(["-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(args)
        .output()
        .expect("curl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

fn objects(notify: &Path) -> String {
    format!(
        "{}define host {{\n use host-tpl\n host_name h1\n address 127.0.0.1\n}}\n\
         define service {{\n use svc-tpl\n host_name h1\n service_description ok\n check_command dummy!0!fine\n}}\n",
        base_objects(notify)
    )
}

fn daemons(ip: &str, extra: &str, spare_scheduler: bool) -> String {
    let mut s = String::new();
    for (role, port) in [
        ("arbiter", 7770),
        ("scheduler", 7768),
        ("poller", 7771),
        ("reactionner", 7769),
        ("broker", 7772),
        ("receiver", 7773),
    ] {
        let live = if role == "broker" {
            " livestatus_port 16600\n"
        } else {
            ""
        };
        s += &format!(
            "define {role} {{\n {role}_name {role}-master\n address {ip}\n port {port}\n realm All\n manage_sub_realms 1\n{live}{}}}\n",
            extra.replace("NAME", &format!("{role}-master"))
        );
    }
    if spare_scheduler {
        s += &format!(
            "define scheduler {{\n scheduler_name scheduler-spare\n address {ip}\n port 7868\n realm All\n spare 1\n{}}}\n",
            extra.replace("NAME", "scheduler-spare")
        );
    }
    s
}

fn write_etc(dir: &Path, daemons: &str, objects: &str) -> std::path::PathBuf {
    let etc = dir.join("etc");
    std::fs::create_dir_all(&etc).expect("etc");
    std::fs::write(
        etc.join("vigia.cfg"),
        "cfg_file=daemons.cfg\ncfg_file=objects.cfg\ninterval_length=1\nmax_host_check_spread=0\nmax_service_check_spread=0\n",
    )
    .expect("main");
    std::fs::write(etc.join("daemons.cfg"), daemons).expect("daemons");
    std::fs::write(etc.join("objects.cfg"), objects).expect("objects");
    etc
}

#[test]
fn vigia_run_makes_a_secret_and_its_daemons_refuse_requests_without_it() {
    let ip = "127.0.13.1";
    let dir = tempfile::tempdir().expect("tmp");
    let notify = dir.path().join("notify");
    let etc = write_etc(dir.path(), &daemons(ip, "", false), &objects(&notify));
    let data = dir.path().join("data");
    let _run = Run::start(&etc, &data, &dir.path().join("run.log"));
    let live = format!("{ip}:16600");
    wait_for("the service checked, over Livestatus", DEADLINE, || {
        let out = livestatus(&live, "GET services\nColumns: state has_been_checked")?;
        (out.trim() == "0;1").then_some(())
    });
    // The secret: made at the first start, readable by its owner only.
    let secret_file = data.join("secret");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&secret_file)
        .expect("DATA/secret")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let secret = std::fs::read_to_string(&secret_file)
        .expect("secret")
        .trim()
        .to_string();
    assert_eq!(secret.len(), 64);
    let assign = format!("http://{ip}:7768/v1/assign");
    let json = ["-X", "POST", "-H", "content-type: application/json", "-d", "{}"];
    // No secret, a wrong one: 401, before the body is even read.
    assert_eq!(curl(&[&json[..], &[assign.as_str()]].concat()).1, "401");
    let wrong = "x-vigia-secret: wrong";
    assert_eq!(curl(&[&json[..], &["-H", wrong, assign.as_str()]].concat()).1, "401");
    // The right secret and a malformed assignment: a 4xx with its reason, nothing assigned.
    let right = format!("x-vigia-secret: {secret}");
    let code = curl(&[&json[..], &["-H", right.as_str(), assign.as_str()]].concat()).1;
    assert!(code.starts_with('4'), "{code}");
    // Every daemon's API, the people's too, wants the secret.
    for url in [
        format!("http://{ip}:7772/api/v1/services"),
        format!("http://{ip}:7773/v1/identity"),
        format!("http://{ip}:7770/v1/status"),
    ] {
        assert_eq!(curl(&[url.as_str()]).1, "401", "{url}");
        assert_eq!(curl(&["-H", right.as_str(), url.as_str()]).1, "200", "{url}");
    }
    // `vigia status` finds the secret `vigia run` made (run from the folder holding vigia-data).
    let out = Command::new(VIGIA)
        .args(["status", "--arbiter", &format!("{ip}:7770"), "--secret-file"])
        .arg(&secret_file)
        .output()
        .expect("vigia status");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("scheduler-master"));
    // Random bodies on every POST endpoint, with the secret: answered, never a 5xx.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xff) as u8
            })
            .collect()
    };
    let bodies: Vec<Vec<u8>> = (0..6)
        .map(|i| match i {
            0 => b"{\"generation\": \"x\"}".to_vec(),
            1 => b"[1,2,3]".to_vec(),
            2 => b"{".to_vec(),
            3 => b"null".to_vec(),
            _ => random(200),
        })
        .collect();
    for (port, path) in [
        (7768, "/v1/assign"),
        (7768, "/v1/actions"),
        (7768, "/v1/results"),
        (7768, "/v1/broks"),
        (7768, "/v1/standby"),
        (7768, "/v1/parts"),
        (7768, "/v1/release"),
        (7772, "/v1/assign"),
        (7772, "/v1/parts"),
        (7773, "/v1/assign"),
        (7771, "/v1/assign"),
        (7768, "/v1/commands"),
        (7773, "/api/v1/commands"),
        (7770, "/v1/arbiter/heartbeat"),
    ] {
        for body in &bodies {
            let file = dir.path().join("body");
            std::fs::write(&file, body).expect("body");
            let url = format!("http://{ip}:{port}{path}");
            let at = format!("@{}", file.display());
            let (rc, code) = curl(&[
                "-X",
                "POST",
                "-H",
                "content-type: application/json",
                "-H",
                right.as_str(),
                "--data-binary",
                at.as_str(),
                url.as_str(),
            ]);
            assert!(
                rc == 0 && !code.starts_with('5') && code != "000",
                "{url}: {code} (curl {rc})"
            );
        }
    }
    // Slow-loris: 600 connections from another address sending half a header; clients from
    // here are still answered at once, and the slow ones are let go after the header timeout.
    let script = format!(
        "import socket, time\nsocks = []\nfor i in range(600):\n    try:\n        s = socket.socket(); s.bind(('127.0.13.9', 0)); s.connect(('{ip}', 7772))\n        s.sendall(b'GET /v1/identity HTTP/1.1\\r\\nHost: x\\r\\n'); socks.append(s)\n    except OSError:\n        pass\n\
         print(len(socks), flush=True)\ntime.sleep(14)\nclosed = 0\nfor s in socks:\n    s.settimeout(0.01)\n    try:\n        closed += s.recv(1) == b''\n    except socket.timeout:\n        pass\n    except OSError:\n        closed += 1\nprint(closed, flush=True)\n"
    );
    let mut loris = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut out = std::io::BufReader::new(loris.stdout.take().expect("stdout"));
    let mut first = String::new();
    let _ = std::io::BufRead::read_line(&mut out, &mut first);
    let t = Instant::now();
    let url = format!("http://{ip}:7772/v1/identity");
    assert_eq!(curl(&["-H", right.as_str(), url.as_str()]).1, "200");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("python");
    let mut errors = String::new();
    if let Some(mut e) = loris.stderr.take() {
        let _ = e.read_to_string(&mut errors);
    }
    let _ = loris.wait();
    let opened: usize = first.trim().parse().unwrap_or(0);
    let closed: usize = rest.split_whitespace().last().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(
        opened >= 500,
        "{opened} slow connections opened: {first:?} {rest} {errors}"
    );
    assert_eq!(closed, opened, "every slow connection closed by the header timeout");
}

#[test]
fn a_daemon_does_not_listen_beyond_loopback_unauthenticated() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = Command::new(VIGIA)
        .args(["scheduler", "--listen", "0.0.0.0:17968", "--data"])
        .arg(dir.path().join("s"))
        .env_remove("VIGIA_SECRET")
        .output()
        .expect("vigia scheduler");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:17968") && err.contains("--secret-file"),
        "{err}"
    );
    // With --insecure it starts, and says so.
    let mut child = Command::new(VIGIA)
        .args(["scheduler", "--listen", "0.0.0.0:17968", "--insecure", "--data"])
        .arg(dir.path().join("s2"))
        .env_remove("VIGIA_SECRET")
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigia scheduler");
    wait_for("the insecure scheduler answering", DEADLINE, || {
        (curl(&["http://127.0.0.1:17968/v1/identity"]).1 == "200").then_some(())
    });
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    assert!(String::from_utf8_lossy(&out.stderr).contains("INSECURE"));
}

#[test]
fn a_cluster_over_mutual_tls_runs_checks_fails_over_and_refuses_strangers() {
    let ip = "127.0.13.2";
    let dir = tempfile::tempdir().expect("tmp");
    let certs = dir.path().join("certs");
    let run = |args: &[&str]| {
        let out = Command::new(VIGIA).args(args).output().expect("vigia certs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let c = certs.to_str().expect("utf-8");
    run(&["certs", "init", c]);
    for name in [
        "arbiter-master",
        "scheduler-master",
        "scheduler-spare",
        "poller-master",
        "reactionner-master",
        "broker-master",
        "receiver-master",
        "admin",
    ] {
        run(&["certs", "issue", name, "--dir", c, "--host", ip]);
    }
    let other = dir.path().join("other");
    let o = other.to_str().expect("utf-8");
    run(&["certs", "init", o]);
    run(&["certs", "issue", "intruder", "--dir", o, "--host", ip]);
    let tls = format!(
        " use_ssl 1\n ca_cert {c}/ca.pem\n server_cert {c}/NAME.pem\n server_key {c}/NAME-key.pem\n client_auth 1\n"
    );
    let notify = dir.path().join("notify");
    let etc = write_etc(dir.path(), &daemons(ip, &tls, true), &objects(&notify));
    let data = dir.path().join("data");
    let cluster = Run::start(&etc, &data, &dir.path().join("run.log"));
    let live = format!("{ip}:16600");
    let checked_since = |t: u64| {
        livestatus(
            &live,
            &format!("GET services\nColumns: state\nFilter: last_check >= {t}"),
        )
        .is_some_and(|o| o.trim() == "0")
    };
    wait_for("checks over TLS", DEADLINE * 2, || {
        checked_since(cluster::now() - 2).then_some(())
    });
    let secret = std::fs::read_to_string(data.join("secret"))
        .expect("secret")
        .trim()
        .to_string();
    let right = format!("x-vigia-secret: {secret}");
    let url = format!("https://{ip}:7768/v1/identity");
    let ca = format!("{c}/ca.pem");
    // Our CA's client certificate and the secret: answered.
    let (cert, key) = (format!("{c}/admin.pem"), format!("{c}/admin-key.pem"));
    assert_eq!(
        curl(&["--cacert", &ca, "--cert", &cert, "--key", &key, "-H", &right, &url]).1,
        "200"
    );
    // No client certificate, another CA's, or plain HTTP: no answer.
    assert_eq!(curl(&["--cacert", &ca, "-H", &right, &url]).1, "000");
    let (icert, ikey) = (format!("{o}/intruder.pem"), format!("{o}/intruder-key.pem"));
    assert_eq!(
        curl(&["--cacert", &ca, "--cert", &icert, "--key", &ikey, "-H", &right, &url]).1,
        "000"
    );
    assert_eq!(curl(&["-H", &right, &format!("http://{ip}:7768/v1/identity")]).1, "000");
    // kill -9 of the master scheduler: its spare runs the checks, over TLS too.
    let pid = cluster
        .pid_of("scheduler --listen 127.0.13.2:7768")
        .expect("the master scheduler");
    let killed = cluster::now();
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let t = Instant::now();
    wait_for("checks through the spare over TLS", DEADLINE * 2, || {
        checked_since(killed + 2).then_some(())
    });
    eprintln!(
        "kill -9 → checks through the spare, over mutual TLS: {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
