//! Vigia's Livestatus side by side with Icinga 2's (issue 12): a real Vigia cluster and a real
//! Icinga 2 with the same objects (tests/livestatus_icinga/objects.rs) put into the same states
//! by the same external commands sent over Livestatus, then the same requests to both, covering
//! every table and header. Both must give the same rows with the same JSON types.
//!
//! naemon-livestatus is the reference. Where Icinga departs from it, Vigia follows naemon, and
//! the request says so (livestatus_icinga/cases.rs, `departures`): the reason, and both answers
//! written out, so that a change on either side fails the test too. Every disagreement is
//! listed before the test fails, not just the first; `LIVESTATUS_ICINGA_VERBOSE=1` prints every
//! answer of both.
//!
//! Icinga 2 must be installed (`apt-get install icinga2-bin`; tools/test.sh does): without it
//! the test fails, saying so.
#[path = "livestatus_icinga/cases.rs"]
mod cases;
mod cluster;
#[path = "livestatus_icinga/icinga.rs"]
mod icinga;
#[path = "livestatus_icinga/objects.rs"]
mod objects;
#[path = "livestatus_icinga/wire.rs"]
mod wire;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use cases::{cases, departures, Expect};
use cluster::{daemons_cfg, wait_for, Cluster, DEADLINE};
use wire::{agree, ask, is, normalize, types, Reply};

/// This test's own loopback address: the Vigia daemons on their standard ports, Vigia's
/// Livestatus and Icinga's on two more.
const IP: &str = "127.0.12.1";
const VIGIA: u16 = 16557;
const ICINGA: u16 = 16558;

/// The answer of a server that must answer.
fn answer(port: u16, lql: &str) -> Reply {
    ask(IP, port, lql).unwrap_or_else(|| panic!("no connection to {IP}:{port}"))
}

/// One JSON number, from `[[n]]`.
fn count(port: u16, lql: &str) -> Option<i64> {
    let r = ask(IP, port, lql)?;
    let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
    v.get(0)?.get(0)?.as_f64().map(|f| f as i64)
}

/// Waits until `lql` (a one-number Stats query) gives `want` on both servers.
fn wait_both(what: &str, lql: &str, want: i64) {
    for (name, port) in [("Vigia", VIGIA), ("Icinga", ICINGA)] {
        wait_for(&format!("{name}: {what}"), DEADLINE, || {
            (count(port, &format!("{lql}\nOutputFormat: json")) == Some(want)).then_some(())
        });
    }
}

/// Sends a command to a server as naemon's clients do: `COMMAND [ts] ...` and a blank line on
/// its own connection.
fn command(port: u16, line: &str) {
    let text = format!("COMMAND [{}] {line}\n\n", cluster::now());
    wire::exchange(IP, port, text.as_bytes()).unwrap_or_else(|| panic!("no connection to {IP}:{port} for {line}"));
}

#[test]
fn vigia_answers_livestatus_as_naemon_does_next_to_icinga() {
    let mut icinga = icinga::Icinga::start(&objects::icinga(IP, ICINGA));
    let daemons = daemons_cfg(IP).replace(
        " broker_name broker-master\n",
        &format!(" broker_name broker-master\n livestatus_port {VIGIA}\n"),
    );
    let mut vigia = Cluster::with_daemons(IP, &daemons, objects::NAGIOS);
    vigia.start_all();

    // Both serve every object.
    wait_for("Icinga's Livestatus", DEADLINE, || {
        icinga.check_running();
        (count(ICINGA, "GET services\nStats: state >= 0\nOutputFormat: json") == Some(7)).then_some(())
    });
    wait_both("every service served", "GET services\nStats: state >= 0", 7);

    // The same states on both, by the same commands.
    for line in objects::commands(cluster::now()) {
        command(VIGIA, &line);
        command(ICINGA, &line);
    }
    wait_both("every host checked", "GET hosts\nStats: has_been_checked = 1", 4);
    wait_both("every service checked", "GET services\nStats: has_been_checked = 1", 7);
    wait_both("the service states", "GET services\nStats: state = 2", 2);
    wait_both("the acknowledgement", "GET services\nStats: acknowledged = 1", 1);
    wait_both(
        "the downtime in effect",
        "GET services\nStats: scheduled_downtime_depth = 1",
        1,
    );
    wait_both("the comment", "GET comments\nStats: comment = looks slow", 1);
    // The monitoring log is written apart from the status: wait for its lines too.
    let since = cluster::now() - 3600;
    wait_both(
        "the alerts in the log",
        &format!("GET log\nFilter: time >= {since}\nFilter: type = SERVICE ALERT\nStats: state != 0"),
        4,
    );
    wait_both(
        "the downtime alert in the log",
        &format!("GET log\nFilter: time >= {since}\nStats: type = SERVICE DOWNTIME ALERT"),
        1,
    );

    let mut failures = Vec::new();
    let verbose = std::env::var_os("LIVESTATUS_ICINGA_VERBOSE").is_some();
    for case in cases().into_iter().chain(departures()) {
        let v = answer(VIGIA, &case.lql);
        let i = answer(ICINGA, &case.lql);
        let (ok, note) = match &case.expect {
            Expect::Same => (agree(&v, &i, &case.lql, case.ordered), String::new()),
            Expect::SameTypes => (v.code == i.code && types(&v.body) == types(&i.body), String::new()),
            Expect::SameCount => (
                v.code == i.code
                    && normalize(&v.body, false).as_array().map(Vec::len)
                        == normalize(&i.body, false).as_array().map(Vec::len),
                String::new(),
            ),
            Expect::SamePython => (
                v.code == i.code
                    && wire::python_to_json(&v.body).is_some_and(|a| {
                        Some(normalize(&a, false)) == wire::python_to_json(&i.body).map(|b| normalize(&b, false))
                    }),
                String::new(),
            ),
            Expect::Differs { why, vigia, icinga } => {
                let (vok, iok) = (is(&v, vigia, case.ordered), is(&i, icinga, case.ordered));
                let side = match (vok, iok) {
                    (true, true) => "",
                    (false, true) => "Vigia is not naemon's answer",
                    (true, false) => "Icinga's answer changed",
                    (false, false) => "both changed",
                };
                (
                    vok && iok,
                    format!("\n  expected Vigia (naemon): {vigia}\n  expected Icinga: {icinga}\n  ({why}) {side}"),
                )
            }
        };
        if !ok || verbose {
            let what = format!(
                "{}:\n{}\n  Vigia:  {v}\n  Icinga: {i}{note}",
                if ok { "agree" } else { "DISAGREE" },
                case.lql.replace('\n', "\\n"),
            );
            eprintln!("{what}\n");
            if !ok {
                failures.push(what);
            }
        }
    }
    failures.extend(headers_on_the_wire());
    assert!(
        failures.is_empty(),
        "{} request(s) disagree:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    drop(vigia);
}

/// What a client sees on the wire, compared apart from the rows: the fixed16 header itself,
/// several requests on one KeepAlive connection, and the default (csv, no header, close).
fn headers_on_the_wire() -> Vec<String> {
    let mut failures = Vec::new();
    for (name, port) in [("Vigia", VIGIA), ("Icinga", ICINGA)] {
        // fixed16: "%03d %11d\n", then exactly that many bytes.
        let out = wire::exchange(
            IP,
            port,
            b"GET hosts\nColumns: name\nFilter: name = gw\nResponseHeader: fixed16\n\n",
        )
        .unwrap_or_default();
        if out != b"200           3\ngw\n" {
            failures.push(format!("{name}: fixed16 answer {:?}", String::from_utf8_lossy(&out)));
        }
        // KeepAlive: two requests, two answers, one connection.
        let keep = "ResponseHeader: fixed16\nKeepAlive: on\nOutputFormat: json\n";
        let Ok(mut s) = TcpStream::connect((IP, port)) else {
            failures.push(format!("{name}: no connection for KeepAlive"));
            continue;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
        let mut r = BufReader::new(s.try_clone().expect("clone"));
        let mut replies = Vec::new();
        for lql in [
            "GET hosts\nColumns: name\nFilter: name = db1\n",
            "GET services\nStats: state = 2\n",
        ] {
            if s.write_all(format!("{lql}{keep}\n").as_bytes()).is_err() {
                break;
            }
            let mut header = String::new();
            if r.read_line(&mut header).is_err() || header.len() != 16 {
                break;
            }
            let len: usize = header[4..].trim().parse().unwrap_or(0);
            let mut body = vec![0u8; len];
            if r.read_exact(&mut body).is_err() {
                break;
            }
            replies.push(format!(
                "{} {}",
                &header[..3],
                String::from_utf8_lossy(&body).trim_end()
            ));
        }
        if replies != ["200 [[\"db1\"]]", "200 [[2]]"] {
            failures.push(format!("{name}: KeepAlive answers {replies:?}"));
        }
    }
    failures
}
