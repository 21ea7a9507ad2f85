//! Network partitions, with real Linux network namespaces: side A holds the arbiter, the spare
//! scheduler, a poller, a reactionner, the broker and the receiver; side B the master scheduler,
//! a second poller and a second reactionner. Each daemon has its own address; the test cuts the
//! link between the sides (the veth of B on the bridge goes down), waits, and heals it.
//!
//! What must hold (issues 15 and 19): the spare takes the part over during the cut; the master,
//! cut off from every arbiter, goes on checking and logging but holds its notifications (no
//! notification number sent twice while the cut is shorter than `isolated_notification_hold`);
//! after the heal, everything the master logged reaches the broker's log exactly once, after a
//! line naming it, and the broker reports how long both ran the part and what each sent. With
//! `isolated_notification_hold 0` (fencing off: Vigia before this work, and Alignak) the same cut
//! sends notifications twice, which shows the window is real; with a short hold, the duplicates
//! start only once the hold is over: the remaining window, measured.
//!
//! Needs root (network namespaces); `tools/test.sh` runs as root, as CI does.
mod cluster;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use cluster::{wait_for, Cluster, DEADLINE};

/// The two sides and the bridge between them (removed when dropped).
struct Net {
    a: String,
    b: String,
    bridge: String,
    /// B's veth end on the bridge: down is the cut.
    b_port: String,
    subnet: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Net {
    /// Sides `a` and `b` on 10.231.`id`.0/24 (the test process reaches both through the bridge
    /// at .254), with the given host numbers on each side. None when this machine cannot make
    /// namespaces (not root): said, and the test fails under CI.
    fn new(id: u8, a_hosts: &[u8], b_hosts: &[u8]) -> Option<Net> {
        let tag = format!("vgp{id}");
        let net = Net {
            a: format!("{tag}a"),
            b: format!("{tag}b"),
            bridge: format!("{tag}br"),
            b_port: format!("{tag}b-h"),
            subnet: format!("10.231.{id}"),
        };
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            assert!(
                std::env::var_os("CI").is_none(),
                "network namespaces are needed: run the tests as root (tools/test.sh does)"
            );
            eprintln!("SKIPPED: network namespaces need root; run the tests as root (tools/test.sh does)");
            return None;
        }
        net.remove();
        if let Err(e) = net.make(a_hosts, b_hosts) {
            net.remove();
            panic!("cannot make the network namespaces: {e}");
        }
        Some(net)
    }

    fn make(&self, a_hosts: &[u8], b_hosts: &[u8]) -> Result<(), String> {
        ip(&["netns", "add", &self.a])?;
        ip(&["netns", "add", &self.b])?;
        ip(&["link", "add", &self.bridge, "type", "bridge"])?;
        ip(&["addr", "add", &format!("{}.254/24", self.subnet), "dev", &self.bridge])?;
        ip(&["link", "set", &self.bridge, "up"])?;
        for (ns, hosts) in [(&self.a, a_hosts), (&self.b, b_hosts)] {
            let (port, inner) = (format!("{ns}-h"), format!("{ns}-n"));
            ip(&["link", "add", &port, "type", "veth", "peer", "name", &inner])?;
            ip(&["link", "set", &port, "master", &self.bridge])?;
            ip(&["link", "set", &port, "up"])?;
            ip(&["link", "set", &inner, "netns", ns])?;
            ip(&["netns", "exec", ns, "ip", "link", "set", "lo", "up"])?;
            ip(&["netns", "exec", ns, "ip", "link", "set", &inner, "up"])?;
            for h in hosts {
                let addr = format!("{}.{h}/24", self.subnet);
                ip(&["netns", "exec", ns, "ip", "addr", "add", &addr, "dev", &inner])?;
            }
        }
        Ok(())
    }

    /// The layout of issue 19: side A the arbiter, the spare scheduler, a reactionner, a poller,
    /// the broker and the receiver; side B the master scheduler, a reactionner and a poller.
    fn issue_19(id: u8) -> Option<Net> {
        Net::new(
            id,
            &[ARBITER, SPARE, REACTIONNER_A, POLLER_A, BROKER, RECEIVER],
            &[MASTER, REACTIONNER_B, POLLER_B],
        )
    }

    fn addr(&self, host: u8) -> String {
        format!("{}.{host}", self.subnet)
    }

    fn cut(&self) {
        ip(&["link", "set", &self.b_port, "down"]).expect("cut");
    }

    fn heal(&self) {
        ip(&["link", "set", &self.b_port, "up"]).expect("heal");
    }

    fn remove(&self) {
        for ns in [&self.a, &self.b] {
            let _ = ip(&["netns", "del", ns]);
            let _ = ip(&["link", "del", &format!("{ns}-h")]);
        }
        let _ = ip(&["link", "del", &self.bridge]);
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Host numbers: side A, side B.
const ARBITER: u8 = 1;
const SPARE: u8 = 2;
const REACTIONNER_A: u8 = 3;
const POLLER_A: u8 = 4;
const BROKER: u8 = 5;
const RECEIVER: u8 = 6;
const MASTER: u8 = 11;
const REACTIONNER_B: u8 = 12;
const POLLER_B: u8 = 13;

const SECRET: &str = "partition-test-cluster-secret-0123456789";

/// Seconds between two notifications of the problem.
const RENOTIFY: u64 = 3;

fn daemons(net: &Net, hold: Option<u32>) -> String {
    let hold = hold.map_or(String::new(), |h| format!(" isolated_notification_hold {h}\n"));
    let one = |role: &str, name: &str, host: u8, port: u16, extra: &str| {
        format!(
            "define {role} {{\n {role}_name {name}\n address {}\n port {port}\n realm All\n manage_sub_realms 1\n{extra}}}\n",
            net.addr(host)
        )
    };
    [
        one("arbiter", "arbiter-master", ARBITER, 7770, ""),
        one("scheduler", "scheduler-master", MASTER, 7768, &hold),
        one(
            "scheduler",
            "scheduler-spare",
            SPARE,
            7768,
            &format!(" spare 1\n{hold}"),
        ),
        one("poller", "poller-a", POLLER_A, 7771, ""),
        one("poller", "poller-b", POLLER_B, 7771, ""),
        one("reactionner", "reactionner-a", REACTIONNER_A, 7769, ""),
        one("reactionner", "reactionner-b", REACTIONNER_B, 7769, ""),
        one("broker", "broker-master", BROKER, 7772, ""),
        one("receiver", "receiver-master", RECEIVER, 7773, ""),
    ]
    .concat()
}

/// One service always CRITICAL, notified every [`RENOTIFY`] seconds; each notification appends
/// `TYPE;HOST;SERVICE;NUMBER;REACTIONNER` to `notified`.
fn objects(notified: &std::path::Path) -> String {
    format!(
        "define realm {{\n realm_name All\n default 1\n}}\n\
define timeperiod {{\n timeperiod_name 24x7\n sunday 00:00-24:00\n monday 00:00-24:00\n tuesday 00:00-24:00\n wednesday 00:00-24:00\n thursday 00:00-24:00\n friday 00:00-24:00\n saturday 00:00-24:00\n}}\n\
define command {{\n command_name dummy\n command_line /usr/lib/nagios/plugins/check_dummy $ARG1$ \"$ARG2$\"\n}}\n\
define command {{\n command_name notify-log\n command_line /bin/sh -c 'echo \"$NOTIFICATIONTYPE$\\;$HOSTNAME$\\;$SERVICEDESC$\\;$NOTIFICATIONNUMBER$\\;$${{VIGIA_WORKER}}\" >> {file}'\n}}\n\
define contact {{\n contact_name admin\n host_notification_period 24x7\n service_notification_period 24x7\n host_notification_options d,r\n service_notification_options w,c,r\n host_notification_commands notify-log\n service_notification_commands notify-log\n}}\n\
define host {{\n host_name web\n check_command dummy!0!up\n max_check_attempts 1\n check_interval 1\n retry_interval 1\n check_period 24x7\n notification_period 24x7\n contacts admin\n}}\n\
define service {{\n host_name web\n service_description always-critical\n check_command dummy!2!down\n max_check_attempts 1\n check_interval 1\n retry_interval 1\n check_period 24x7\n notification_period 24x7\n notification_interval {RENOTIFY}\n contacts admin\n}}\n",
        file = notified.display()
    )
}

/// The notifications the reactionners ran: (number, reactionner) in order.
fn notified(cluster: &Cluster) -> Vec<(u64, String)> {
    std::fs::read_to_string(cluster.path("notified"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            (f.len() == 5 && f[0] == "PROBLEM").then(|| (f[3].parse().unwrap_or(0), f[4].to_string()))
        })
        .collect()
}

/// Notification numbers run more than once, with how many times.
fn duplicates(sent: &[(u64, String)]) -> BTreeMap<u64, usize> {
    let mut n: BTreeMap<u64, usize> = BTreeMap::new();
    for (number, _) in sent {
        *n.entry(*number).or_default() += 1;
    }
    n.retain(|_, c| *c > 1);
    n
}

fn broker_log(cluster: &Cluster) -> String {
    std::fs::read_to_string(cluster.path("broker-master").join("vigia.log")).unwrap_or_default()
}

/// Notification lines in the monitoring log, less those it says were not sent.
fn logged_as_sent(log: &str) -> usize {
    let sent = log.lines().filter(|l| l.contains("] SERVICE NOTIFICATION: ")).count();
    let withheld = log.lines().filter(|l| l.contains("NOTIFICATION NOT SENT: ")).count();
    sent.saturating_sub(withheld)
}

fn schedulers(cluster: &Cluster) -> Vec<serde_json::Value> {
    cluster
        .get_json(&format!("{}/api/v1/schedulers", cluster.url("broker-master")))
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

fn arbiter_status(cluster: &Cluster) -> Option<serde_json::Value> {
    cluster.get_json(&format!("{}/v1/status", cluster.url("arbiter-master")))
}

/// Whether the arbiter has `name` alive and running work of its own (not standing in).
fn runs_own_part(cluster: &Cluster, name: &str) -> bool {
    arbiter_status(cluster).is_some_and(|s| {
        s["daemons"].as_array().is_some_and(|ds| {
            ds.iter().any(|d| {
                d["name"] == name && d["alive"] == true && d["assigned"] == true && d["standing_in_for"].is_null()
            })
        })
    })
}

fn spare_stands_in(cluster: &Cluster) -> bool {
    arbiter_status(cluster).is_some_and(|s| {
        s["daemons"].as_array().is_some_and(|ds| {
            ds.iter()
                .any(|d| d["name"] == "scheduler-spare" && d["standing_in_for"] == "scheduler-master")
        })
    })
}

/// What one partition run measured.
struct Outcome {
    before_cut: Vec<(u64, String)>,
    sent: Vec<(u64, String)>,
    log: String,
    overlap: serde_json::Value,
    take_over: Duration,
}

/// Starts the cluster, lets it notify, cuts B off for `cut`, heals, waits for the master to
/// run its part again and for the broker to have drained it, and collects what happened.
fn partition_run(cluster: &mut Cluster, net: &Net, cut: Duration) -> Outcome {
    // Beyond loopback, daemons want a secret.
    cluster.secret = Some(SECRET.to_string());
    for d in &mut cluster.daemons {
        let host: u8 = d
            .listen
            .split(':')
            .next()
            .and_then(|a| a.rsplit('.').next())
            .and_then(|h| h.parse().ok())
            .unwrap_or(0);
        d.netns = Some(if host >= 10 { net.b.clone() } else { net.a.clone() });
    }
    cluster.start_all();
    wait_for("two notifications before the cut", DEADLINE, || {
        (notified(cluster).len() >= 2).then_some(())
    });
    wait_for("the broker following the master", DEADLINE, || {
        schedulers(cluster)
            .iter()
            .any(|s| s["name"] == "scheduler-master" && s["ready"] == true)
            .then_some(())
    });
    // The control: no cut so far, so nothing twice and no overlap.
    let before_cut = notified(cluster);
    assert!(
        duplicates(&before_cut).is_empty(),
        "duplicates before any cut: {before_cut:?}"
    );
    assert!(
        schedulers(cluster)
            .iter()
            .all(|s| s["overlaps"].as_array().is_none_or(|o| o.is_empty())),
        "an overlap reported before any cut"
    );
    let cut_at = Instant::now();
    net.cut();
    wait_for("the spare taking the part over", DEADLINE, || {
        spare_stands_in(cluster).then_some(())
    });
    let take_over = cut_at.elapsed();
    if let Some(rest) = cut.checked_sub(cut_at.elapsed()) {
        // The partition lasts this long: the scenario, not a wait for a condition.
        std::thread::sleep(rest);
    }
    net.heal();
    wait_for("the master running its part again", DEADLINE * 2, || {
        runs_own_part(cluster, "scheduler-master").then_some(())
    });
    let overlap = wait_for("the broker's report of the overlap", DEADLINE * 2, || {
        schedulers(cluster)
            .into_iter()
            .find(|s| s["name"] == "scheduler-master")
            .filter(|s| s["draining"].as_array().is_some_and(|d| d.is_empty()))
            .and_then(|s| s["overlaps"].as_array().and_then(|o| o.first().cloned()))
    });
    // What the reactionners ran and what the log says was sent agree (a notification decided
    // just now may still be on its way: wait until they match).
    let (sent, log) = wait_for(
        "the monitoring log to account for every notification run",
        DEADLINE,
        || {
            let sent = notified(cluster);
            let log = broker_log(cluster);
            (logged_as_sent(&log) == sent.len()).then_some((sent, log))
        },
    );
    Outcome {
        before_cut,
        sent,
        log,
        overlap,
        take_over,
    }
}

fn report(what: &str, o: &Outcome) {
    let dups = duplicates(&o.sent);
    eprintln!(
        "{what}: take-over {:.1} s after the cut; {} notification(s) run ({} before the cut), {} number(s) sent twice {:?}; overlap {}",
        o.take_over.as_secs_f64(),
        o.sent.len(),
        o.before_cut.len(),
        dups.len(),
        dups.keys().collect::<Vec<_>>(),
        o.overlap
    );
}

/// The lines the broker wrote for the master after the take-over: after a `VIGIA HA:` line
/// naming it.
fn late_lines_of_master(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("VIGIA HA: ") && l.contains("logged by scheduler scheduler-master"))
        .filter_map(|l| l.split("VIGIA HA: ").nth(1)?.split(' ').next()?.parse::<usize>().ok())
        .sum()
}

#[test]
fn a_partitioned_master_holds_its_notifications_and_its_log_reaches_the_broker() {
    let Some(net) = Net::issue_19(1) else {
        return;
    };
    let mut cluster = Cluster::with_daemons(&net.addr(ARBITER), &daemons(&net, None), "");
    std::fs::write(cluster.etc().join("objects.cfg"), objects(&cluster.path("notified"))).expect("objects");
    let cut = Duration::from_secs(24);
    let o = partition_run(&mut cluster, &net, cut);
    report("fencing on (default hold)", &o);
    // The spare notified during the cut; the master held, so no number went out twice.
    assert!(duplicates(&o.sent).is_empty(), "notifications sent twice: {:?}", o.sent);
    assert!(
        o.sent.iter().any(|(_, r)| r == "reactionner-a") && o.sent.len() > o.before_cut.len() + 2,
        "the spare notified during the cut: {:?}",
        o.sent
    );
    // The master's log reached the broker: what it decided and held, and that it did not send it.
    assert!(
        late_lines_of_master(&o.log) > 0,
        "no late lines of the master:\n{}",
        o.log
    );
    assert!(
        o.log.contains("NOTIFICATION NOT SENT: admin;web;always-critical;"),
        "{}",
        o.log
    );
    assert_eq!(o.overlap["replaced"], "scheduler-master");
    assert_eq!(o.overlap["runner"], "scheduler-spare");
    assert_eq!(o.overlap["replaced_notifications"], 0, "{}", o.overlap);
    assert!(
        o.overlap["runner_notifications"].as_u64().unwrap_or(0) > 0,
        "{}",
        o.overlap
    );
    assert!(
        o.log
            .contains("VIGIA HA: part scheduler-master ran on two schedulers at once"),
        "{}",
        o.log
    );
    // `vigia status` says it too.
    let secret_file = cluster.path("secret");
    std::fs::write(&secret_file, SECRET).expect("secret file");
    let out = Command::new(cluster::VIGIA)
        .args(["status", "--arbiter", &cluster.url("arbiter-master"), "--secret-file"])
        .arg(&secret_file)
        .output()
        .expect("vigia status");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("scheduler-master and scheduler-spare ran part scheduler-master at once"),
        "{text}"
    );
}

#[test]
fn without_fencing_the_same_cut_notifies_twice_and_the_log_says_so() {
    let Some(net) = Net::issue_19(2) else {
        return;
    };
    let mut cluster = Cluster::with_daemons(&net.addr(ARBITER), &daemons(&net, Some(0)), "");
    std::fs::write(cluster.etc().join("objects.cfg"), objects(&cluster.path("notified"))).expect("objects");
    let o = partition_run(&mut cluster, &net, Duration::from_secs(24));
    report("fencing off (isolated_notification_hold 0)", &o);
    let dups = duplicates(&o.sent);
    assert!(!dups.is_empty(), "the window did not show: {:?}", o.sent);
    assert!(o.sent.iter().any(|(_, r)| r == "reactionner-b"), "{:?}", o.sent);
    // The monitoring log tells the truth all the same: every notification run is in it once
    // (checked by partition_run), and the overlap counts the master's.
    assert!(
        o.overlap["replaced_notifications"].as_u64().unwrap_or(0) > 0,
        "{}",
        o.overlap
    );
    assert!(late_lines_of_master(&o.log) > 0, "{}", o.log);
}

#[test]
fn a_cut_longer_than_the_hold_notifies_twice_from_the_end_of_the_hold() {
    let Some(net) = Net::issue_19(3) else {
        return;
    };
    let hold = 12;
    let mut cluster = Cluster::with_daemons(&net.addr(ARBITER), &daemons(&net, Some(hold)), "");
    std::fs::write(cluster.etc().join("objects.cfg"), objects(&cluster.path("notified"))).expect("objects");
    let cut = Duration::from_secs(30);
    let o = partition_run(&mut cluster, &net, cut);
    report(
        &format!("isolated_notification_hold {hold}, cut {} s", cut.as_secs()),
        &o,
    );
    // Once the hold is over the master notifies on, unconfirmed (an arbiter outage must not
    // silence it longer), the held notifications first: from then on, what it decided during
    // the cut is sent twice. That is the window left without etcd, and what the log says.
    let master = cluster.daemon("scheduler-master").log();
    assert!(master.contains("notifying on unconfirmed"), "{master}");
    let dups = duplicates(&o.sent);
    assert!(!dups.is_empty(), "no duplicates after the hold: {:?}", o.sent);
    assert!(
        dups.len() as u64 <= cut.as_secs() / RENOTIFY + 1,
        "{} duplicates, more than the cut allows: {:?}",
        dups.len(),
        o.sent
    );
    assert!(
        o.overlap["replaced_notifications"].as_u64().unwrap_or(0) > 0,
        "{}",
        o.overlap
    );
}
