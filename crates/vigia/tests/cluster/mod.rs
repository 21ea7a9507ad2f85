//! A Vigia installation on loopback for integration tests: real `vigia` processes, each test on
//! its own 127.0.x.y address with the standard ports, killed when the test ends.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const VIGIA: &str = env!("CARGO_BIN_EXE_vigia");

/// Generous: the suite runs on a loaded 2-core machine.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Waits until `cond` returns `Some`, or panics with `what` after `deadline`.
pub fn wait_for<T>(what: &str, deadline: Duration, mut cond: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = cond() {
            return v;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub struct Daemon {
    pub role: String,
    pub name: String,
    pub listen: String,
    pub data: PathBuf,
    pub child: Option<Child>,
    pub extra: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The network namespace to run in (`ip netns exec`, which execs: the child is vigia).
    pub netns: Option<String>,
}

impl Daemon {
    pub fn start(&mut self) {
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, VIGIA]);
                c
            }
            None => Command::new(VIGIA),
        };
        cmd.arg(&self.role);
        if self.role == "arbiter" {
            cmd.arg("--config");
            cmd.arg(self.data.parent().expect("data parent").join("etc"));
        }
        cmd.arg("--listen").arg(&self.listen).arg("--data").arg(&self.data);
        cmd.args(&self.extra);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let log = std::fs::File::create(self.data.with_extension("log")).expect("daemon log file");
        let err = log.try_clone().expect("clone log");
        cmd.stdout(Stdio::from(log)).stderr(Stdio::from(err));
        cmd.env("RUST_LOG", "info");
        self.child = Some(cmd.spawn().expect("start vigia daemon"));
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM (the daemon saves its state) and wait for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe {
                libc::kill(c.id() as i32, libc::SIGTERM);
            }
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("log")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One installation: a folder with `etc/` (the configuration) and a data folder per daemon.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub ip: String,
    pub daemons: Vec<Daemon>,
    pub secret: Option<String>,
}

/// Every role with its standard port, as the test clusters lay them out.
pub const ROLE_PORTS: [(&str, u16); 6] = [
    ("arbiter", 7770),
    ("scheduler", 7768),
    ("poller", 7771),
    ("reactionner", 7769),
    ("broker", 7772),
    ("receiver", 7773),
];

/// The daemons' part of a configuration: one of each role on `ip`, standard ports.
pub fn daemons_cfg(ip: &str) -> String {
    let mut s = String::new();
    for (role, port) in ROLE_PORTS {
        s += &format!(
            "define {role} {{\n {role}_name {role}-master\n address {ip}\n port {port}\n realm All\n manage_sub_realms 1\n}}\n"
        );
    }
    s
}

/// Objects every test configuration starts from: a realm, a 24x7 period, commands, a contact
/// whose notifications append a line to `NOTIFY_FILE` (`\;`: a bare `;` starts a comment, as in
/// Nagios).
pub fn base_objects(notify_file: &Path) -> String {
    format!(
        "define realm {{\n realm_name All\n default 1\n}}\n\
define timeperiod {{\n timeperiod_name 24x7\n sunday 00:00-24:00\n monday 00:00-24:00\n tuesday 00:00-24:00\n wednesday 00:00-24:00\n thursday 00:00-24:00\n friday 00:00-24:00\n saturday 00:00-24:00\n}}\n\
define command {{\n command_name dummy\n command_line /usr/lib/nagios/plugins/check_dummy $ARG1$ \"$ARG2$\"\n}}\n\
define command {{\n command_name file_state\n command_line /bin/sh -c 'exit $$(cat $ARG1$ 2>/dev/null || echo 0)'\n}}\n\
define command {{\n command_name notify-log\n command_line /bin/sh -c 'echo \"$NOTIFICATIONTYPE$\\;$HOSTNAME$\\;$SERVICEDESC$\\;$SERVICESTATE$\\;$NOTIFICATIONNUMBER$\" >> {notify}'\n}}\n\
define contact {{\n contact_name admin\n host_notification_period 24x7\n service_notification_period 24x7\n host_notification_options d,r\n service_notification_options w,c,r\n host_notification_commands notify-log\n service_notification_commands notify-log\n}}\n\
define host {{\n name host-tpl\n check_command dummy!0!up\n max_check_attempts 1\n check_interval 1\n retry_interval 1\n check_period 24x7\n notification_period 24x7\n contacts admin\n register 0\n}}\n\
define service {{\n name svc-tpl\n max_check_attempts 2\n check_interval 1\n retry_interval 1\n check_period 24x7\n notification_period 24x7\n notification_interval 0\n contacts admin\n register 0\n}}\n",
        notify = notify_file.display()
    )
}

impl Cluster {
    /// Writes the configuration (`interval_length 1`: intervals in seconds) and prepares one
    /// daemon per role; nothing runs yet.
    pub fn new(ip: &str, objects: &str) -> Cluster {
        Self::with_daemons(ip, &daemons_cfg(ip), objects)
    }

    pub fn with_daemons(ip: &str, daemons: &str, objects: &str) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc).expect("etc");
        std::fs::write(
            etc.join("vigia.cfg"),
            "cfg_file=daemons.cfg\ncfg_file=objects.cfg\ninterval_length=1\nmax_host_check_spread=0\nmax_service_check_spread=0\n",
        )
        .expect("main");
        std::fs::write(etc.join("daemons.cfg"), daemons).expect("daemons");
        std::fs::write(etc.join("objects.cfg"), objects).expect("objects");
        let mut cluster = Cluster {
            dir,
            ip: ip.to_string(),
            daemons: Vec::new(),
            secret: None,
        };
        for line in daemons.lines() {
            let line = line.trim();
            if let Some(role) = line.strip_prefix("define ").and_then(|r| r.strip_suffix(" {")) {
                cluster.daemons.push(Daemon {
                    role: role.to_string(),
                    name: String::new(),
                    listen: String::new(),
                    data: PathBuf::new(),
                    child: None,
                    extra: Vec::new(),
                    env: Vec::new(),
                    netns: None,
                });
            } else if let Some(d) = cluster.daemons.last_mut() {
                let mut words = line.split_whitespace();
                match (words.next(), words.next()) {
                    (Some(k), Some(v)) if k.ends_with("_name") => d.name = v.to_string(),
                    (Some("address"), Some(v)) => {
                        d.listen = format!("{v}:{}", d.listen.rsplit(':').next().unwrap_or(""))
                    }
                    (Some("port"), Some(v)) => {
                        let addr = d.listen.split(':').next().unwrap_or("").to_string();
                        d.listen = format!("{addr}:{v}");
                    }
                    _ => {}
                }
            }
        }
        let root = cluster.dir.path().to_path_buf();
        for d in &mut cluster.daemons {
            d.data = root.join(&d.name);
        }
        cluster
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn etc(&self) -> PathBuf {
        self.dir.path().join("etc")
    }

    pub fn daemon(&mut self, name: &str) -> &mut Daemon {
        self.daemons
            .iter_mut()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("no daemon {name}"))
    }

    pub fn url(&self, name: &str) -> String {
        let d = self
            .daemons
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("no daemon {name}"));
        format!("http://{}", d.listen)
    }

    /// Starts every daemon (satellites first, the arbiter last).
    pub fn start_all(&mut self) {
        let secret = self.secret.clone();
        for d in self.daemons.iter_mut().filter(|d| d.role != "arbiter") {
            if let Some(s) = &secret {
                d.env.push(("VIGIA_SECRET".into(), s.clone()));
            }
            d.start();
        }
        for d in self.daemons.iter_mut().filter(|d| d.role == "arbiter") {
            if let Some(s) = &secret {
                d.env.push(("VIGIA_SECRET".into(), s.clone()));
            }
            d.start();
        }
        // An arbiter that refuses the configuration exits at once: say why here, not as a
        // time-out later.
        let start = Instant::now();
        for d in self.daemons.iter_mut().filter(|d| d.role == "arbiter") {
            while start.elapsed() < DEADLINE {
                if let Some(Ok(Some(status))) = d.child.as_mut().map(|c| c.try_wait()) {
                    panic!("the arbiter exited ({status}):\n{}", d.log());
                }
                if std::net::TcpStream::connect(&d.listen).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Every daemon's log, for a failure message.
    pub fn logs(&self) -> String {
        self.daemons
            .iter()
            .map(|d| format!("==== {} ====\n{}\n", d.name, d.log()))
            .collect()
    }

    pub fn client(&self) -> reqwest::blocking::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(s) = &self.secret {
            if let Ok(v) = reqwest::header::HeaderValue::from_str(s) {
                headers.insert("x-vigia-secret", v);
            }
        }
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .default_headers(headers)
            .build()
            .expect("client")
    }

    /// `GET url` as JSON; `None` on any failure (daemon not ready yet).
    pub fn get_json(&self, url: &str) -> Option<serde_json::Value> {
        let r = self.client().get(url).send().ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().ok()
    }

    /// The broker's view of one service, once it has one.
    pub fn service(&self, broker: &str, host: &str, service: &str) -> Option<serde_json::Value> {
        let all = self.get_json(&format!("{}/api/v1/services", self.url(broker)))?;
        let list = all
            .as_array()
            .cloned()
            .or_else(|| all.get("services").and_then(|s| s.as_array().cloned()))?;
        list.into_iter().find(|s| {
            s.get("host_name").and_then(|v| v.as_str()) == Some(host)
                && s.get("service_description").and_then(|v| v.as_str()) == Some(service)
        })
    }

    pub fn hosts(&self, broker: &str) -> Vec<serde_json::Value> {
        self.get_json(&format!("{}/api/v1/hosts", self.url(broker)))
            .and_then(|v| {
                v.as_array()
                    .cloned()
                    .or_else(|| v.get("hosts").and_then(|h| h.as_array().cloned()))
            })
            .unwrap_or_default()
    }
}

impl Drop for Cluster {
    /// A failing test shows every daemon's log (the test harness prints it with the failure).
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

/// Seconds since the epoch, for external command timestamps.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Cluster {
    /// Posts Nagios command lines to the receiver `receiver-master` and waits for them to be
    /// applied and on the waiting spare schedulers (`?wait=`); true when the receiver says so
    /// (200, `safe`, every line accepted, none refused).
    pub fn command(&self, lines: &[String]) -> bool {
        let body = lines.iter().map(|l| format!("[{}] {l}\n", now())).collect::<String>();
        let answer = self
            .client()
            .post(format!("{}/api/v1/commands?wait=30", self.url("receiver-master")))
            .header("content-type", "text/plain")
            .body(body)
            .timeout(Duration::from_secs(60))
            .send();
        match answer {
            Ok(r) if r.status().as_u16() == 200 => r.json::<serde_json::Value>().is_ok_and(|v| {
                field(&v, "safe") == true && field(&v, "not_applied").is_null() && field(&v, "accepted") == lines.len()
            }),
            Ok(r) => {
                eprintln!("receiver answered {}: {:?}", r.status(), r.text());
                false
            }
            Err(e) => {
                eprintln!("receiver: {e}");
                false
            }
        }
    }
}

pub fn field<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v.get(key).unwrap_or(&serde_json::Value::Null)
}
