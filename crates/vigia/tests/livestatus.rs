//! Livestatus served by a real broker of a running cluster, queried by real clients over TCP:
//! a plain socket client (as Thruk's `Monitoring::Livestatus` speaks: json, fixed16,
//! keepalive) and a Python one (as python-mk-livestatus: csv, read to EOF).
mod cluster;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use cluster::{base_objects, daemons_cfg, wait_for, Cluster, DEADLINE};

const IP: &str = "127.0.7.2";
const PORT: u16 = 16557;

/// One request on a fresh connection, read to EOF (the server closes without KeepAlive).
fn query(lql: &str) -> Option<String> {
    let mut s = TcpStream::connect((IP, PORT)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(format!("{lql}\n\n").as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Reads one `fixed16` reply: (code, body).
fn fixed16(r: &mut BufReader<TcpStream>) -> (u16, String) {
    let mut header = String::new();
    r.read_line(&mut header).expect("header");
    assert_eq!(header.len(), 16, "{header:?}");
    let code: u16 = header[..3].parse().expect("code");
    let len: usize = header[4..].trim().parse().expect("length");
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).expect("body");
    (code, String::from_utf8(body).expect("utf-8"))
}

#[test]
fn a_broker_serves_livestatus_to_real_clients() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let objects = format!(
        "{}define host {{\n use host-tpl\n host_name web1\n address 127.0.0.1\n parents db1\n}}\n\
         define host {{\n use host-tpl\n host_name db1\n address 127.0.0.2\n contact_groups oncall\n}}\n\
         define contact {{\n contact_name ops\n alias Operations\n email ops@example.com\n host_notification_period 24x7\n service_notification_period 24x7\n host_notification_options d\n service_notification_options c\n host_notification_commands notify-log\n service_notification_commands notify-log\n _TEAM night\n}}\n\
         define contactgroup {{\n contactgroup_name oncall\n alias On call\n members ops\n}}\n\
         define hostgroup {{\n hostgroup_name databases\n alias Databases\n members db1\n}}\n\
         define hostgroup {{\n hostgroup_name all-hosts\n alias Everything\n members web1,db1\n}}\n\
         define servicegroup {{\n servicegroup_name pings\n alias Pings\n members web1,ping,db1,ping\n}}\n\
         define service {{\n use svc-tpl\n host_name web1\n service_description http\n check_command dummy!2!down\n}}\n\
         define service {{\n use svc-tpl\n host_name web1,db1\n service_description ping\n check_command dummy!0!fine\n}}\n",
        base_objects(notify.path())
    );
    let daemons = daemons_cfg(IP).replace(
        " broker_name broker-master\n",
        &format!(" broker_name broker-master\n livestatus_port {PORT}\n"),
    );
    let mut c = Cluster::with_daemons(IP, &daemons, &objects);
    c.start_all();
    // Every service checked, as Livestatus shows it.
    let rows = wait_for("three checked services over Livestatus", DEADLINE, || {
        let out = query(
            "GET services\nColumns: host_name description state\nFilter: has_been_checked = 1\nFilter: state_type = 1",
        )?;
        let mut rows: Vec<String> = out.lines().map(str::to_string).collect();
        rows.sort();
        (rows.len() == 3).then_some(rows)
    });
    assert_eq!(rows, ["db1;ping;0", "web1;http;2", "web1;ping;0"]);

    // The configuration's tables, from the part image the arbiter sent the broker, joined with
    // the status. The image may come a moment after the first status.
    let json = |lql: &str| -> serde_json::Value {
        let out = query(&format!("{lql}\nOutputFormat: json")).expect("an answer");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{lql}: {e}: {out}"))
    };
    wait_for("the configuration over Livestatus", DEADLINE, || {
        let out = query("GET hostgroups\nColumns: name")?;
        (out == "all-hosts\ndatabases\n").then_some(())
    });
    assert_eq!(
        json("GET hostgroups\nColumns: name alias members num_hosts num_hosts_up num_services num_services_crit worst_service_state"),
        serde_json::json!([
            ["all-hosts", "Everything", ["db1", "web1"], 2, 2, 3, 1, 2],
            ["databases", "Databases", ["db1"], 1, 1, 1, 0, 0]
        ])
    );
    assert_eq!(
        json("GET servicegroups\nColumns: name alias members num_services num_services_ok worst_service_state"),
        serde_json::json!([["pings", "Pings", [["db1", "ping"], ["web1", "ping"]], 2, 2, 0]])
    );
    assert_eq!(
        json("GET contacts\nColumns: name alias email groups custom_variables can_submit_commands\nFilter: name = ops"),
        // can_submit_commands: 0 is Alignak's default (this configuration reads as Alignak's).
        serde_json::json!([["ops", "Operations", "ops@example.com", ["oncall"], {"TEAM": "night"}, 0]])
    );
    assert_eq!(
        json("GET contactgroups\nColumns: name alias members"),
        serde_json::json!([["oncall", "On call", ["ops"]]])
    );
    assert_eq!(
        json("GET commands\nColumns: name line\nFilter: name = dummy"),
        serde_json::json!([["dummy", "/usr/lib/nagios/plugins/check_dummy $ARG1$ \"$ARG2$\""]])
    );
    assert_eq!(
        json("GET timeperiods\nColumns: name in"),
        serde_json::json!([["24x7", 1]])
    );
    assert_eq!(
        json("GET hosts\nColumns: name address parents childs groups contacts contact_groups num_services worst_service_state"),
        serde_json::json!([
            ["db1", "127.0.0.2", [], ["web1"], ["all-hosts", "databases"], ["admin", "ops"], ["oncall"], 1, 0],
            ["web1", "127.0.0.1", ["db1"], [], ["all-hosts"], ["admin"], [], 2, 2]
        ])
    );
    assert_eq!(
        json("GET services\nColumns: host_name description groups host_address host_groups check_command max_check_attempts\nFilter: description = ping"),
        serde_json::json!([
            ["db1", "ping", ["pings"], "127.0.0.2", ["all-hosts", "databases"], "dummy!0!fine", 2],
            ["web1", "ping", ["pings"], "127.0.0.1", ["all-hosts"], "dummy!0!fine", 2]
        ])
    );
    assert_eq!(
        json("GET hostsbygroup\nColumns: hostgroup_name hostgroup_alias name state"),
        serde_json::json!([
            ["all-hosts", "Everything", "db1", 0],
            ["all-hosts", "Everything", "web1", 0],
            ["databases", "Databases", "db1", 0]
        ])
    );
    assert_eq!(
        json("GET servicesbyhostgroup\nColumns: hostgroup_name host_name description\nFilter: hostgroup_name = databases"),
        serde_json::json!([["databases", "db1", "ping"]])
    );
    // Group-by values are written as text, whatever the column's type (naemon's valueAsString).
    assert_eq!(
        json("GET servicesbygroup\nColumns: servicegroup_name host_name description state\nStats: state = 0"),
        serde_json::json!([["pings", "db1", "ping", "0", 1], ["pings", "web1", "ping", "0", 1]])
    );
    // AuthUser: ops is db1's contact through its group, so it sees db1 and its services
    // (naemon's loose service authorization), not web1; a group shows when all its members do.
    assert_eq!(
        json("GET hosts\nColumns: name\nAuthUser: ops"),
        serde_json::json!([["db1"]])
    );
    assert_eq!(
        json("GET services\nColumns: host_name description\nAuthUser: ops"),
        serde_json::json!([["db1", "ping"]])
    );
    assert_eq!(
        json("GET hostgroups\nColumns: name\nAuthUser: ops"),
        serde_json::json!([["databases"]])
    );
    assert_eq!(
        json("GET services\nStats: state >= 0\nAuthUser: admin"),
        serde_json::json!([[3]])
    );
    assert_eq!(
        json("GET services\nStats: state >= 0\nAuthUser: nobody"),
        serde_json::json!([[0]])
    );
    // Every table answers Thruk's client library, each row with every column.
    let tables = [
        "status",
        "hosts",
        "services",
        "hostgroups",
        "servicegroups",
        "contacts",
        "contactgroups",
        "commands",
        "timeperiods",
        "comments",
        "downtimes",
        "log",
        "columns",
        "hostsbygroup",
        "servicesbygroup",
        "servicesbyhostgroup",
    ];
    let perl = format!(
        "use Monitoring::Livestatus;\n\
         my $ml = Monitoring::Livestatus->new(server => '{IP}:{PORT}', keepalive => 1);\n\
         for my $t (qw({})) {{\n\
           my $rows = $ml->selectall_arrayref(\"GET $t\", {{ Slice => {{}} }});\n\
           print \"$t \", scalar(@$rows), \" \", scalar(keys %{{$rows->[0] || {{}}}}), \"\\n\";\n\
         }}\n",
        tables.join(" ")
    );
    let out = std::process::Command::new("perl")
        .args(["-e", &perl])
        .output()
        .expect("perl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let counts = String::from_utf8_lossy(&out.stdout).to_string();
    for t in tables {
        let line = counts
            .lines()
            .find(|l| l.starts_with(&format!("{t} ")))
            .unwrap_or_else(|| panic!("{t}: {counts}"));
        let n: Vec<usize> = line.split(' ').skip(1).map(|x| x.parse().expect("a count")).collect();
        // Tables that must have rows here have every column in them.
        if !["comments", "downtimes"].contains(&t) {
            assert!(n[0] > 0 && n[1] > 0, "{t}: {line}");
        }
    }

    // Thruk's way: json, fixed16, several requests on one connection.
    let stream = TcpStream::connect((IP, PORT)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let keep = "OutputFormat: json\nResponseHeader: fixed16\nKeepAlive: on\n";
    writer
        .write_all(format!("GET hosts\nColumns: name state\nSort: name asc\n{keep}\n").as_bytes())
        .expect("send");
    assert_eq!(fixed16(&mut reader), (200, "[[\"db1\",0],[\"web1\",0]]\n".to_string()));
    writer
        .write_all(format!("GET services\nStats: state = 0\nStats: state = 2\nStats: avg latency\n{keep}\n").as_bytes())
        .expect("send");
    let (code, stats) = fixed16(&mut reader);
    assert_eq!(code, 200);
    assert!(stats.starts_with("[[2,1,"), "{stats}");
    writer
        .write_all(format!("GET nosuch\n{keep}\n").as_bytes())
        .expect("send");
    assert_eq!(
        fixed16(&mut reader),
        (404, "Table 'nosuch' does not exist.\n".to_string())
    );
    writer
        .write_all(format!("GET services\nColumns: nosuch\n{keep}\n").as_bytes())
        .expect("send");
    assert_eq!(fixed16(&mut reader).0, 450);
    writer
        .write_all(format!("GET columns\nColumns: name\nFilter: table = status\n{keep}\n").as_bytes())
        .expect("send");
    let (_, columns) = fixed16(&mut reader);
    assert!(columns.contains("num_services"), "{columns}");

    let status = query("GET status\nColumns: num_hosts num_services").expect("status");
    assert_eq!(status.trim(), "2;3");
    // `vigia status` says where Livestatus is served.
    let arbiter = c
        .get_json(&format!("{}/v1/status", c.url("arbiter-master")))
        .expect("arbiter status");
    let served: Vec<&str> = arbiter["daemons"]
        .as_array()
        .expect("daemons")
        .iter()
        .filter_map(|d| d["livestatus"].as_str())
        .collect();
    assert_eq!(served, [format!("{IP}:{PORT}")]);

    // A client in another language: Python's socket, csv, shutdown(SHUT_WR) then read to EOF,
    // as python-mk-livestatus does.
    let script = format!(
        "import socket\ns = socket.create_connection(('{IP}', {PORT}))\n\
         s.sendall(b'GET services\\nColumns: description plugin_output\\nFilter: state = 2\\n')\n\
         s.shutdown(socket.SHUT_WR)\nout = b''\nwhile True:\n    d = s.recv(4096)\n    if not d: break\n    out += d\nprint(out.decode(), end='')\n"
    );
    match std::process::Command::new("python3").args(["-c", &script]).output() {
        Ok(out) => {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(String::from_utf8_lossy(&out.stdout), "http;CRITICAL: down\n");
        }
        Err(e) => eprintln!("SKIP the Python client: {e}"),
    }
    // Thruk's own client library, Debian's libmonitoring-livestatus-perl (json, fixed16,
    // keepalive, as Thruk sends them).
    let perl = format!(
        "use Monitoring::Livestatus;\n\
         my $ml = Monitoring::Livestatus->new(server => '{IP}:{PORT}', keepalive => 1);\n\
         my $rows = $ml->selectall_arrayref(\"GET services\\nColumns: host_name description state\\nFilter: state = 2\");\n\
         print join(';', @$_), \"\\n\" for @$rows;\n\
         my $stats = $ml->selectrow_arrayref(\"GET services\\nStats: state = 0\\nStats: state = 2\");\n\
         print join(';', @$stats), \"\\n\";\n\
         my $hosts = $ml->selectcol_arrayref(\"GET hosts\\nColumns: name\");\n\
         print join(',', sort @$hosts), \"\\n\";\n"
    );
    match std::process::Command::new("perl").args(["-e", &perl]).output() {
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("Can't locate Monitoring/Livestatus.pm") => {
            eprintln!("SKIP Monitoring::Livestatus: apt-get install libmonitoring-livestatus-perl (tools/test.sh does)")
        }
        Ok(out) => {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(String::from_utf8_lossy(&out.stdout), "web1;http;2\n2;1\ndb1,web1\n");
        }
        Err(e) => eprintln!("SKIP the Perl client: {e}"),
    }
    // The same on the Unix socket in the broker's data folder.
    let socket = c.daemon("broker-master").data.join("livestatus.sock");
    let mut unix = std::os::unix::net::UnixStream::connect(&socket).expect("the Unix socket");
    unix.write_all(b"GET hosts\nColumns: name\nFilter: name = db1\n\n")
        .expect("send");
    let mut out = String::new();
    unix.read_to_string(&mut out).expect("reply");
    assert_eq!(out, "db1\n");
    // A COMMAND goes through a receiver to the scheduler; its effect is then visible.
    let mut s = TcpStream::connect((IP, PORT)).expect("connect");
    s.write_all(
        format!(
            "COMMAND [{}] ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1;1;admin;on it\n\n",
            cluster::now()
        )
        .as_bytes(),
    )
    .expect("send");
    drop(s);
    wait_for("the acknowledgement over Livestatus", DEADLINE, || {
        let out = query("GET services\nColumns: acknowledged\nFilter: description = http")?;
        (out.trim() == "1").then_some(())
    });
    // Nagstamon's way: a COMMAND, then a query on the same connection (naemon keeps it open).
    let stream = TcpStream::connect((IP, PORT)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut w = stream.try_clone().expect("clone");
    w.write_all(
        format!(
            "COMMAND [{}] ADD_SVC_COMMENT;db1;ping;1;ops;looked at\n\nGET hosts\nColumns: name\nFilter: name = db1\n\n",
            cluster::now()
        )
        .as_bytes(),
    )
    .expect("send");
    let mut out = String::new();
    BufReader::new(stream).read_to_string(&mut out).expect("reply");
    assert_eq!(out, "db1\n");
    // Wait headers, as Thruk sends them after a command: the reply waits for the comment.
    let started = std::time::Instant::now();
    let waited = query(
        "GET services\nColumns: comments\nWaitObject: db1;ping\nWaitCondition: comments !=\nWaitTimeout: 30000\nFilter: host_name = db1\nOutputFormat: json",
    )
    .expect("a reply");
    let ids: serde_json::Value = serde_json::from_str(&waited).expect("json");
    assert_eq!(ids[0][0].as_array().map(Vec::len), Some(1), "{waited}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the condition came true before the timeout"
    );
    // A condition that never holds: the reply comes at the timeout, with the current state.
    let started = std::time::Instant::now();
    let out = query("GET hosts\nColumns: name state\nWaitObject: db1\nWaitCondition: state = 2\nWaitTimeout: 1500\nFilter: name = db1")
        .expect("a reply");
    assert_eq!(out, "db1;0\n");
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        json("GET comments\nColumns: author comment host_name service_description is_service entry_type\nFilter: author = ops"),
        serde_json::json!([["ops", "looked at", "db1", "ping", 1, 1]])
    );
    // Localtime: the client's clock two hours ahead shifts every time by 7200 s; a day off is
    // refused.
    let start: i64 = query("GET status\nColumns: program_start")
        .expect("status")
        .trim()
        .parse()
        .expect("time");
    let shifted: i64 = query(&format!(
        "GET status\nColumns: program_start\nLocaltime: {}",
        cluster::now() + 7200
    ))
    .expect("status")
    .trim()
    .parse()
    .expect("time");
    assert_eq!(shifted, start + 7200);
    let far = query(&format!(
        "GET status\nColumns: program_start\nLocaltime: {}",
        cluster::now() + 90_000
    ))
    .expect("an answer");
    assert!(far.starts_with("Invalid Localtime"), "{far}");
    // A client that sent half a request and reads nothing holds up no one else.
    let mut stalled = TcpStream::connect((IP, PORT)).expect("connect");
    stalled.write_all(b"GET hosts\nColumns: name\n").expect("send");
    assert!(query("GET hosts\nColumns: name").is_some_and(|o| o.lines().count() == 2));
    drop(stalled);
    // The log table: this run's alerts, and an archived day read only when asked for.
    let alerts = wait_for("the HARD alert in the log table", DEADLINE, || {
        let out = query(&format!(
            "GET log\nColumns: type host_name service_description state state_type\nFilter: time >= {}\nFilter: class = 1",
            cluster::now() - 600
        ))?;
        out.contains("SERVICE ALERT;web1;http;2;HARD").then_some(out)
    });
    assert!(!alerts.contains("db1"), "{alerts}");
    let archives = c.daemon("broker-master").data.join("archives");
    std::fs::create_dir_all(&archives).expect("archives");
    // 2020-01-01 12:00 UTC is on the archive's day in any time zone.
    std::fs::write(
        archives.join("vigia-2020-01-01.log"),
        "[1577880000] SERVICE ALERT: old;svc;CRITICAL;HARD;1;long ago\n",
    )
    .expect("write");
    let old = query("GET log\nColumns: host_name plugin_output\nFilter: time >= 1577836800\nFilter: time < 1577923200")
        .expect("log");
    assert_eq!(old, "old;long ago\n");
    let recent = query(&format!(
        "GET log\nColumns: host_name\nFilter: time >= {}",
        cluster::now() - 600
    ))
    .expect("log");
    assert!(!recent.contains("old"), "{recent}");
    // A malformed request gets its code and the broker goes on serving.
    let bad = query("GET services\nFilter: state").expect("an answer");
    assert!(bad.starts_with("400"), "{bad}");
    assert!(query("GET hosts\nColumns: name").is_some_and(|o| o.lines().count() == 2));
    drop(c);
}
