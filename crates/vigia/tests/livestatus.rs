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
        "{}define host {{\n use host-tpl\n host_name web1\n address 127.0.0.1\n}}\n\
         define host {{\n use host-tpl\n host_name db1\n address 127.0.0.1\n}}\n\
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
