//! Nagios 4 as the oracle of the state machine, through passive results: each scenario below
//! feeds the same `PROCESS_SERVICE_CHECK_RESULT` / `PROCESS_HOST_CHECK_RESULT` lines to a real
//! Nagios 4 (`/usr/sbin/nagios4`, a process of its own reading its command FIFO, in a temporary
//! folder) and to `vigia simulate` (one result a minute), with the same `nagios.cfg`, and compares,
//! result by result, the `SERVICE ALERT:`, `HOST ALERT:`, `SERVICE NOTIFICATION:` and
//! `HOST NOTIFICATION:` lines without their timestamps.
//!
//! Nagios is fed one result at a time: after each result the test writes a marker command
//! (`CHANGE_CUSTOM_HOST_VAR;oracle-marker;_MARK;N`) and waits, with a deadline, until Nagios has
//! logged it. Nagios applies a passive result synchronously when it reads the command, so the lines
//! logged before marker N are exactly what result N did.
//!
//! The configuration is explicit (attempts, intervals, notification options, flap detection and
//! freshness off, `passive_host_checks_are_soft=1`) so that Nagios's and Alignak's different
//! defaults do not come into play. The remaining intended differences (Vigia follows Alignak) are
//! normalised on both sides, and each one is named in [`normalise`]:
//! - Nagios writes a `NOTIFICATION` line before the `ALERT` line of the same result; Alignak logs
//!   the alert first. Lines of one result are compared as ALERT lines then NOTIFICATION lines.
//! - A host recovery: Nagios resets a host's attempt to 1 before logging it (`HOST ALERT:
//!   h;UP;HARD;1;…`, `h;UP;SOFT;1;…`); Alignak (`SchedulingItem.consume_result`, shared by hosts
//!   and services) logs the attempt the problem ended with (`UP;HARD;2`; a SOFT recovery counts
//!   one more attempt: `UP;SOFT;2`), as both do for services (`OK;HARD;3`, `OK;SOFT;2`). The
//!   attempt of host `UP` alerts is not compared.
//! - `passive_host_checks_are_soft`: Nagios's default 0 makes every passive host result HARD;
//!   Alignak ignores the option (passive host results go through SOFT attempts). The test sets 1.
//! - `is_volatile` with `max_check_attempts` > 1: Alignak makes the first problem HARD at once
//!   (attempt 1), Nagios retries SOFT first (SOFT 1, 2, then HARD 3 notified at every result).
//!   The volatile scenario uses `max_check_attempts 1`, where they agree. (Vigia today behaves
//!   like Nagios there, not like Alignak: an open question for `monitoring-semantics.md`.)
//!
//! Nagios runs in real time (the whole scenario takes about a second) and `vigia simulate` puts a
//! minute between results, so nothing that depends on elapsed time (re-notifications, first
//! notification delays, freshness) is compared here: the golden scenarios cover those.
//! `VIGIA_ORACLE_SHOW=1` prints both sides of every result.
//!
//! The suite's `tools/test.sh` installs Debian's `nagios4-core`; where `/usr/sbin/nagios4` is
//! missing this test says so loudly and skips.
use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const NAGIOS: &str = "/usr/sbin/nagios4";
/// `vigia simulate` starts here (Monday 2024-01-01 00:00 UTC) and applies result N at N+1 minutes.
const START: i64 = 1_704_067_200;
const STEP: i64 = 60;
const DEADLINE: Duration = Duration::from_secs(20);

struct Scenario {
    name: &'static str,
    /// Host and service definitions (templates `passive-host` and `passive-service`).
    objects: &'static str,
    /// Commands, without timestamp, in order.
    steps: &'static [&'static str],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "soft_to_hard_then_recovery",
        objects: "define host {\n use passive-host\n host_name h\n}\n\
                  define service {\n use passive-service\n host_name h\n service_description s\n max_check_attempts 3\n}\n",
        steps: &[
            // A SOFT problem that recovers before HARD: SOFT recovery, nothing notified.
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - slow",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - fast again",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - fast again",
            // SOFT 1, 2, HARD 3 with a PROBLEM, then nothing while it lasts, then a HARD recovery.
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - refused",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - refused",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - refused",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - refused",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - back",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - back",
        ],
    },
    Scenario {
        name: "warning_critical_ok_notify_once",
        objects: "define host {\n use passive-host\n host_name h\n}\n\
                  define service {\n use passive-service\n host_name h\n service_description s\n max_check_attempts 2\n notification_interval 0\n}\n",
        steps: &[
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - 85% used",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - 86% used",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - 87% used",
            // HARD WARNING → CRITICAL: a HARD state change, notified again despite interval 0.
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - 97% used",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - 98% used",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - 90% used",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - 40% used",
            // UNKNOWN SOFT 1, then CRITICAL: a state change at the last attempt is HARD.
            "PROCESS_SERVICE_CHECK_RESULT;h;s;3;UNKNOWN - no data",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - 99% used",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - 40% used",
        ],
    },
    Scenario {
        name: "soft_state_change_between_problems",
        objects: "define host {\n use passive-host\n host_name h\n}\n\
                  define service {\n use passive-service\n host_name h\n service_description s\n max_check_attempts 3\n}\n",
        steps: &[
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - a",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - b",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - c",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - d",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - e",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - f",
        ],
    },
    Scenario {
        name: "host_down_up",
        objects: "define host {\n use passive-host\n host_name h\n max_check_attempts 2\n}\n\
                  define service {\n use passive-service\n host_name h\n service_description s\n}\n",
        steps: &[
            "PROCESS_HOST_CHECK_RESULT;h;1;DOWN - no route",
            "PROCESS_HOST_CHECK_RESULT;h;0;UP - pong",
            "PROCESS_HOST_CHECK_RESULT;h;1;DOWN - no route",
            "PROCESS_HOST_CHECK_RESULT;h;1;DOWN - no route",
            "PROCESS_HOST_CHECK_RESULT;h;1;DOWN - still no route",
            // A service problem while its host is DOWN: HARD at once, not notified.
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - unreachable",
            "PROCESS_HOST_CHECK_RESULT;h;0;UP - pong",
            "PROCESS_HOST_CHECK_RESULT;h;0;UP - pong",
        ],
    },
    Scenario {
        name: "volatile_service",
        objects: "define host {\n use passive-host\n host_name h\n}\n\
                  define service {\n use passive-service\n host_name h\n service_description s\n is_volatile 1\n max_check_attempts 1\n}\n",
        steps: &[
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - intrusion",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - intrusion",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;1;WARNING - scan",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - quiet",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;0;OK - quiet",
            "PROCESS_SERVICE_CHECK_RESULT;h;s;2;CRITICAL - intrusion",
        ],
    },
];

/// Objects every scenario shares; `{W}` is the work folder.
const SHARED: &str = "define timeperiod {
 timeperiod_name 24x7
 alias always
 sunday 00:00-24:00
 monday 00:00-24:00
 tuesday 00:00-24:00
 wednesday 00:00-24:00
 thursday 00:00-24:00
 friday 00:00-24:00
 saturday 00:00-24:00
}
define command {
 command_name check_none
 command_line /bin/true
}
define command {
 command_name notify-service
 command_line /bin/echo \"$NOTIFICATIONTYPE$ $HOSTNAME$/$SERVICEDESC$ $SERVICESTATE$\" >> {W}/notifications.txt
}
define command {
 command_name notify-host
 command_line /bin/echo \"$NOTIFICATIONTYPE$ $HOSTNAME$ $HOSTSTATE$\" >> {W}/notifications.txt
}
define contact {
 contact_name admin
 host_notifications_enabled 1
 service_notifications_enabled 1
 host_notification_period 24x7
 service_notification_period 24x7
 host_notification_options d,u,r
 service_notification_options w,u,c,r
 host_notification_commands notify-host
 service_notification_commands notify-service
}
define host {
 name passive-host
 register 0
 check_command check_none
 active_checks_enabled 0
 passive_checks_enabled 1
 check_freshness 0
 check_interval 5
 retry_interval 1
 max_check_attempts 3
 check_period 24x7
 notification_period 24x7
 notification_interval 60
 first_notification_delay 0
 notification_options d,u,r
 notifications_enabled 1
 flap_detection_enabled 0
 event_handler_enabled 0
 contacts admin
}
define service {
 name passive-service
 register 0
 check_command check_none
 active_checks_enabled 0
 passive_checks_enabled 1
 check_freshness 0
 check_interval 5
 retry_interval 1
 max_check_attempts 3
 is_volatile 0
 check_period 24x7
 notification_period 24x7
 notification_interval 60
 first_notification_delay 0
 notification_options w,u,c,r
 notifications_enabled 1
 flap_detection_enabled 0
 event_handler_enabled 0
 contacts admin
}
define host {
 use passive-host
 host_name oracle-marker
 _MARK 0
}
";

fn main_cfg(w: &Path) -> String {
    let w = w.display();
    format!(
        "cfg_file={w}/objects.cfg\n\
         log_file={w}/nagios.log\n\
         command_file={w}/nagios.cmd\n\
         check_external_commands=1\n\
         check_result_reaper_frequency=1\n\
         check_result_path={w}/checkresults\n\
         lock_file={w}/nagios.lock\n\
         temp_file={w}/nagios.tmp\n\
         temp_path={w}\n\
         status_file={w}/status.dat\n\
         object_cache_file={w}/objects.cache\n\
         precached_object_file={w}/objects.precache\n\
         query_socket={w}/nagios.qh\n\
         retain_state_information=0\n\
         state_retention_file={w}/retention.dat\n\
         use_syslog=0\n\
         log_rotation_method=n\n\
         nagios_user=root\n\
         nagios_group=root\n\
         interval_length=60\n\
         accept_passive_service_checks=1\n\
         accept_passive_host_checks=1\n\
         passive_host_checks_are_soft=1\n\
         execute_service_checks=0\n\
         execute_host_checks=0\n\
         check_service_freshness=0\n\
         check_host_freshness=0\n\
         enable_notifications=1\n\
         enable_event_handlers=0\n\
         enable_flap_detection=0\n\
         use_aggressive_host_checking=0\n\
         log_notifications=1\n\
         log_service_retries=1\n\
         log_host_retries=1\n\
         log_passive_checks=1\n\
         log_external_commands=1\n"
    )
}

/// Stops Nagios (SIGTERM, then SIGKILL after a deadline) whatever happens to the test.
struct Nagios(Child);

impl Drop for Nagios {
    fn drop(&mut self) {
        let pid = self.0.id() as libc::pid_t;
        // SAFETY: signalling the child this test started, by its id.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes one command into Nagios's FIFO, waiting (with a deadline) until Nagios reads it.
fn send(fifo: &Path, command: &str) -> Result<(), String> {
    let line = format!("[{}] {command}\n", now());
    let deadline = Instant::now() + DEADLINE;
    loop {
        // Non-blocking: fails (ENXIO, ENOENT) while Nagios has not opened its end yet.
        match OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(fifo) {
            Ok(mut f) => {
                return f
                    .write_all(line.as_bytes())
                    .map_err(|e| format!("writing {}: {e}", fifo.display()))
            }
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("Nagios never opened its command file {}: {e}", fifo.display()))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn marker(n: usize) -> String {
    format!("CHANGE_CUSTOM_HOST_VAR;oracle-marker;_MARK;{n}")
}

/// Waits until the log holds `needle`, or fails at the deadline with what the log holds.
fn wait_for_log(log: &Path, needle: &str, nagios: &mut Nagios) -> Result<(), String> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.lines().any(|l| l.ends_with(needle)) {
            return Ok(());
        }
        if let Ok(Some(status)) = nagios.0.try_wait() {
            return Err(format!("Nagios exited ({status}) before logging '{needle}':\n{text}"));
        }
        if Instant::now() >= deadline {
            return Err(format!("Nagios did not log '{needle}' within {DEADLINE:?}:\n{text}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_compared(line: &str) -> bool {
    [
        "SERVICE ALERT: ",
        "HOST ALERT: ",
        "SERVICE NOTIFICATION: ",
        "HOST NOTIFICATION: ",
    ]
    .iter()
    .any(|k| line.starts_with(k))
}

/// `[epoch] text` → (epoch, text).
fn split_stamp(line: &str) -> Option<(i64, &str)> {
    let rest = line.strip_prefix('[')?;
    let (stamp, text) = rest.split_once("] ")?;
    Some((stamp.parse().ok()?, text))
}

/// The intended Alignak differences, applied to the lines of one result on either side.
fn normalise(lines: Vec<String>) -> Vec<String> {
    let mut lines: Vec<String> = lines
        .into_iter()
        .map(|line| {
            // Host recovery attempt: Nagios 1, Alignak the attempt the problem ended with.
            if let Some(rest) = line.strip_prefix("HOST ALERT: ") {
                let fields: Vec<&str> = rest.splitn(5, ';').collect();
                if fields.len() == 5 && fields[1] == "UP" {
                    return format!("HOST ALERT: {};UP;{};<attempt>;{}", fields[0], fields[2], fields[4]);
                }
            }
            line
        })
        .collect();
    // Nagios logs the notification before the alert of the same result; Alignak after.
    lines.sort_by_key(|l| !l.contains(" ALERT: "));
    lines
}

/// Runs the scenario through Nagios: the compared lines of each result, in order.
fn run_nagios(s: &Scenario, work: &Path) -> Result<Vec<Vec<String>>, String> {
    std::fs::create_dir_all(work.join("checkresults")).map_err(|e| e.to_string())?;
    let child = Command::new(NAGIOS)
        .arg(work.join("nagios.cfg"))
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {NAGIOS}: {e}"))?;
    let mut nagios = Nagios(child);
    let fifo = work.join("nagios.cmd");
    let log = work.join("nagios.log");
    for (i, step) in s.steps.iter().enumerate() {
        send(&fifo, step)?;
        send(&fifo, &marker(i))?;
        wait_for_log(&log, &format!("EXTERNAL COMMAND: {}", marker(i)), &mut nagios)?;
    }
    drop(nagios);
    let text = std::fs::read_to_string(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut groups = vec![Vec::new(); s.steps.len()];
    let mut current = 0usize;
    for line in text.lines() {
        let Some((_, text)) = split_stamp(line) else { continue };
        if text.starts_with("EXTERNAL COMMAND: CHANGE_CUSTOM_HOST_VAR;oracle-marker;") {
            current += 1;
            continue;
        }
        if is_compared(text) {
            match groups.get_mut(current) {
                Some(g) => g.push(text.to_string()),
                None => return Err(format!("Nagios logged after the last result: {line}")),
            }
        }
    }
    Ok(groups)
}

/// Runs the scenario through `vigia simulate`: result N at N+1 minutes.
fn run_vigia(s: &Scenario, work: &Path) -> Result<Vec<Vec<String>>, String> {
    let mut events = String::new();
    for (i, step) in s.steps.iter().enumerate() {
        let _ = writeln!(events, "{}s {step}", (i as i64 + 1) * STEP);
    }
    let events_path = work.join("events");
    std::fs::write(&events_path, events).map_err(|e| e.to_string())?;
    let out = Command::new(env!("CARGO_BIN_EXE_vigia"))
        .arg("simulate")
        .arg(work.join("nagios.cfg"))
        .arg("--events")
        .arg(&events_path)
        .arg("--start")
        .arg(START.to_string())
        .arg("--until")
        .arg(format!("{}s", (s.steps.len() as i64 + 1) * STEP - 1))
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
    let mut groups = vec![Vec::new(); s.steps.len()];
    for line in stdout.lines() {
        let Some((at, text)) = split_stamp(line) else { continue };
        if !is_compared(text) {
            continue;
        }
        let step = (at - START) / STEP - 1;
        match usize::try_from(step).ok().and_then(|i| groups.get_mut(i)) {
            Some(g) => g.push(text.to_string()),
            None => return Err(format!("vigia logged outside of the results: {line}")),
        }
    }
    Ok(groups)
}

fn run_scenario(s: &Scenario) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let work = dir.path();
    let objects = format!("{}{}", SHARED.replace("{W}", &work.display().to_string()), s.objects);
    std::fs::write(work.join("objects.cfg"), objects).map_err(|e| e.to_string())?;
    std::fs::write(work.join("nagios.cfg"), main_cfg(work)).map_err(|e| e.to_string())?;
    let nagios = run_nagios(s, work)?;
    let vigia = run_vigia(s, work)?;
    if nagios.iter().all(Vec::is_empty) {
        return Err(format!(
            "{}: Nagios logged no alert: the scenario tests nothing",
            s.name
        ));
    }
    let mut diffs = Vec::new();
    for (i, step) in s.steps.iter().enumerate() {
        let n = normalise(nagios[i].clone());
        let v = normalise(vigia[i].clone());
        if std::env::var_os("VIGIA_ORACLE_SHOW").is_some() {
            eprintln!("{} #{} {step}\n  Nagios {n:?}\n  Vigia  {v:?}", s.name, i + 1);
        }
        if n != v {
            diffs.push(format!(
                "{}: result {} ({step}):\n  Nagios: {n:#?}\n  Vigia:  {v:#?}",
                s.name,
                i + 1
            ));
        }
    }
    Ok(diffs)
}

#[test]
fn passive_results_match_nagios_4() {
    if !Path::new(NAGIOS).is_file() {
        eprintln!(
            "\n*** SKIPPED: {NAGIOS} is missing: the Nagios 4 oracle for passive results did not run \
             (apt-get install nagios4-core, or run tools/test.sh as root) ***\n"
        );
        return;
    }
    let mut diffs = Vec::new();
    for s in SCENARIOS {
        match run_scenario(s) {
            Ok(d) => diffs.extend(d),
            Err(e) => diffs.push(format!("{}: {e}", s.name)),
        }
    }
    assert!(
        diffs.is_empty(),
        "Vigia and Nagios 4 differ on passive results:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn normalising_keeps_what_is_compared() {
    let lines = vec![
        "HOST NOTIFICATION: admin;h;UP;notify-host;UP - pong".to_string(),
        "HOST ALERT: h;UP;HARD;1;UP - pong".to_string(),
    ];
    assert_eq!(
        normalise(lines),
        vec![
            "HOST ALERT: h;UP;HARD;<attempt>;UP - pong".to_string(),
            "HOST NOTIFICATION: admin;h;UP;notify-host;UP - pong".to_string(),
        ]
    );
    let soft = vec!["HOST ALERT: h;DOWN;SOFT;1;x".to_string()];
    assert_eq!(normalise(soft.clone()), soft);
    assert_eq!(
        normalise(vec!["HOST ALERT: h;UP;SOFT;2;x".to_string()]),
        vec!["HOST ALERT: h;UP;SOFT;<attempt>;x".to_string()]
    );
    assert_eq!(split_stamp("[12] HOST ALERT: x"), Some((12, "HOST ALERT: x")));
}
