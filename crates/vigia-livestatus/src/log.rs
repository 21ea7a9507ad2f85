//! The `log` table: the monitoring log's lines (`[epoch] TYPE: fields`) as rows, with the
//! columns naemon-livestatus derives from them, and the classes it gives them (0 info, 1 alert,
//! 2 program, 3 notification, 4 passive check, 5 external command, 6 initial or current state,
//! 7 text).
use crate::filter::{FilterSpec, OpKind};
use crate::table::{col, ColumnDef, Table};
use crate::value::{ColumnType, Value};

pub const LOG_COLUMNS: &[ColumnDef] = &[
    col("time", ColumnType::Time, "When it was logged"),
    col("lineno", ColumnType::Int, "The line's number in its file"),
    col(
        "class",
        ColumnType::Int,
        "0 info, 1 alert, 2 program, 3 notification, 4 passive, 5 command, 6 state, 7 text",
    ),
    col(
        "type",
        ColumnType::String,
        "What comes before the colon (SERVICE ALERT, …)",
    ),
    col("message", ColumnType::String, "The whole line after the time"),
    col("options", ColumnType::String, "What comes after the colon"),
    col("host_name", ColumnType::String, "The host"),
    col("service_description", ColumnType::String, "The service"),
    col("state", ColumnType::Int, "The state (host 0-2, service 0-3)"),
    col("state_type", ColumnType::String, "HARD or SOFT"),
    col("attempt", ColumnType::Int, "The check attempt"),
    col("plugin_output", ColumnType::String, "The check's output"),
    col("contact_name", ColumnType::String, "The contact notified"),
    col(
        "command_name",
        ColumnType::String,
        "The notification or external command",
    ),
    col(
        "comment",
        ColumnType::String,
        "The comment of a downtime or flapping line",
    ),
];

/// One line as a row of [`LOG_COLUMNS`]; `None` for a line without its `[epoch]`.
pub fn row(line: &str, lineno: usize) -> Option<Vec<Value>> {
    let rest = line.strip_prefix('[')?;
    let (time, message) = rest.split_once("] ")?;
    let time: i64 = time.trim().parse().ok()?;
    let (kind, options) = message.split_once(": ").unwrap_or((message, ""));
    let f: Vec<&str> = options.split(';').collect();
    let get = |i: usize| f.get(i).copied().unwrap_or("").to_string();
    let num = |i: usize| f.get(i).and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(0);
    let host_state = |s: &str| match s {
        "DOWN" => 1,
        "UNREACHABLE" => 2,
        _ => 0,
    };
    let svc_state = |s: &str| match s {
        "WARNING" => 1,
        "CRITICAL" => 2,
        "UNKNOWN" => 3,
        _ => 0,
    };
    let mut r = LogFields::default();
    let class = match kind {
        "HOST ALERT" | "CURRENT HOST STATE" | "INITIAL HOST STATE" => {
            r.host = get(0);
            r.state = host_state(f.get(1).copied().unwrap_or(""));
            r.state_type = get(2);
            r.attempt = num(3);
            r.output = f.get(4..).map(|o| o.join(";")).unwrap_or_default();
            if kind == "HOST ALERT" {
                1
            } else {
                6
            }
        }
        "SERVICE ALERT" | "CURRENT SERVICE STATE" | "INITIAL SERVICE STATE" => {
            r.host = get(0);
            r.service = get(1);
            r.state = svc_state(f.get(2).copied().unwrap_or(""));
            r.state_type = get(3);
            r.attempt = num(4);
            r.output = f.get(5..).map(|o| o.join(";")).unwrap_or_default();
            if kind == "SERVICE ALERT" {
                1
            } else {
                6
            }
        }
        "HOST NOTIFICATION" => {
            r.contact = get(0);
            r.host = get(1);
            r.state = host_state(f.get(2).copied().unwrap_or(""));
            r.command = get(3);
            r.output = f.get(4..).map(|o| o.join(";")).unwrap_or_default();
            3
        }
        "SERVICE NOTIFICATION" => {
            r.contact = get(0);
            r.host = get(1);
            r.service = get(2);
            r.state = svc_state(f.get(3).copied().unwrap_or(""));
            r.command = get(4);
            r.output = f.get(5..).map(|o| o.join(";")).unwrap_or_default();
            3
        }
        // naemon reads STARTED/STOPPED/CANCELLED into state_type.
        "HOST DOWNTIME ALERT" | "HOST FLAPPING ALERT" => {
            r.host = get(0);
            r.state_type = get(1);
            r.comment = f.get(2..).map(|o| o.join(";")).unwrap_or_default();
            1
        }
        "SERVICE DOWNTIME ALERT" | "SERVICE FLAPPING ALERT" => {
            r.host = get(0);
            r.service = get(1);
            r.state_type = get(2);
            r.comment = f.get(3..).map(|o| o.join(";")).unwrap_or_default();
            1
        }
        "PASSIVE HOST CHECK" => {
            r.host = get(0);
            r.state = num(1);
            r.output = f.get(2..).map(|o| o.join(";")).unwrap_or_default();
            4
        }
        "PASSIVE SERVICE CHECK" => {
            r.host = get(0);
            r.service = get(1);
            r.state = num(2);
            r.output = f.get(3..).map(|o| o.join(";")).unwrap_or_default();
            4
        }
        "EXTERNAL COMMAND" => {
            r.command = get(0);
            5
        }
        "LOG ROTATION" | "LOG VERSION" => 2,
        _ if message.contains("starting") || message.contains("shutting down") => 2,
        _ => 7,
    };
    Some(vec![
        Value::Int(time),
        Value::Int(lineno as i64),
        Value::Int(class),
        Value::Str(if options.is_empty() {
            String::new()
        } else {
            kind.to_string()
        }),
        Value::Str(message.to_string()),
        Value::Str(options.to_string()),
        Value::Str(r.host),
        Value::Str(r.service),
        Value::Int(r.state),
        Value::Str(r.state_type),
        Value::Int(r.attempt),
        Value::Str(r.output),
        Value::Str(r.contact),
        Value::Str(r.command),
        Value::Str(r.comment),
    ])
}

#[derive(Default)]
struct LogFields {
    host: String,
    service: String,
    state: i64,
    state_type: String,
    attempt: i64,
    output: String,
    contact: String,
    command: String,
    comment: String,
}

/// The `log` table of the given lines (the caller picks the files a query's time range needs).
pub fn table(lines: impl IntoIterator<Item = (usize, String)>) -> Table {
    Table {
        name: "log".into(),
        columns: LOG_COLUMNS.to_vec(),
        rows: lines.into_iter().filter_map(|(n, l)| row(&l, n)).collect(),
    }
}

/// The time range `[from, to]` a request's top-level `Filter: time …` lines allow (all
/// filters are ANDed): the files outside it need not be read.
pub fn time_range(filters: &[FilterSpec]) -> (i64, i64) {
    let (mut from, mut to) = (i64::MIN, i64::MAX);
    for f in filters {
        let FilterSpec::Compare { column, op, value } = f else {
            continue;
        };
        let Ok(t) = value.trim().parse::<i64>() else { continue };
        if column != "time" || op.negate {
            continue;
        }
        match op.kind {
            OpKind::GreaterEqual => from = from.max(t),
            OpKind::Greater => from = from.max(t.saturating_add(1)),
            OpKind::LessEqual => to = to.min(t),
            OpKind::Less => to = to.min(t.saturating_sub(1)),
            OpKind::Equal => {
                from = from.max(t);
                to = to.min(t);
            }
            _ => {}
        }
    }
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_rows_with_naemon_s_columns() {
        let r = row("[1700000000] SERVICE ALERT: web1;http;CRITICAL;HARD;3;down; really", 7).expect("a row");
        assert_eq!(r[0], Value::Int(1700000000));
        assert_eq!(r[2], Value::Int(1), "an alert");
        assert_eq!(r[3], Value::Str("SERVICE ALERT".into()));
        assert_eq!(
            (&r[6], &r[7], &r[8]),
            (&Value::Str("web1".into()), &Value::Str("http".into()), &Value::Int(2))
        );
        assert_eq!(
            r[11],
            Value::Str("down; really".into()),
            "the output keeps its semicolons"
        );
        let n = row("[1] SERVICE NOTIFICATION: admin;web1;http;CRITICAL;notify-log;down", 1).expect("a row");
        assert_eq!(
            (&n[2], &n[12], &n[13]),
            (
                &Value::Int(3),
                &Value::Str("admin".into()),
                &Value::Str("notify-log".into())
            )
        );
        let c = row("[2] EXTERNAL COMMAND: ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1;1;a;b", 1).expect("a row");
        assert_eq!(
            (&c[2], &c[13]),
            (&Value::Int(5), &Value::Str("ACKNOWLEDGE_SVC_PROBLEM".into()))
        );
        let s = row("[3] CURRENT HOST STATE: db1;DOWN;HARD;1;gone", 1).expect("a row");
        assert_eq!((&s[2], &s[8]), (&Value::Int(6), &Value::Int(1)));
        assert_eq!(row("[4] LOG ROTATION: DAILY", 1).expect("a row")[2], Value::Int(2));
        assert_eq!(row("[5] some text", 1).expect("a row")[2], Value::Int(7));
        assert!(row("no time here", 1).is_none());
    }

    #[test]
    fn the_time_range_of_a_request() {
        let req = crate::parse("GET log\nFilter: time >= 100\nFilter: time < 200\nFilter: class = 1").expect("valid");
        assert_eq!(time_range(&req.filters), (100, 199));
        let req = crate::parse("GET log\nFilter: time >= 100\nFilter: time >= 50\nOr: 2").expect("valid");
        assert_eq!(time_range(&req.filters), (i64::MIN, i64::MAX), "an Or says nothing");
    }
}
