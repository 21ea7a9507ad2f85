//! The broker's Livestatus server, on TCP and on a Unix socket (`DATA/livestatus.sock`): each
//! request is answered from a snapshot of the
//! broker's status, taken under the read lock and released before the query runs, so that
//! clients never hold up the intake of broks. The language itself is `vigia-livestatus`.
//!
//! Served now: the hosts, services, status, comments, downtimes and columns tables. A
//! `COMMAND` is handed to a receiver, which delivers it exactly once to the scheduler owning
//! its object, through fail-overs too.
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener};
use vigia_livestatus::request::MAX_REQUEST_BYTES;
use vigia_livestatus::table::col;
use vigia_livestatus::{answer, parse, Answer, ColumnDef, ColumnType, LqlError, Method, Table, Value};
use vigia_proto::{CommentView, DowntimeView, ItemView};

use super::{lock, read, Broker};

/// A client silent this long between requests is let go: it cannot pin a task for ever.
const IDLE: Duration = Duration::from_secs(300);

/// Listens on `addr` and on `DATA/livestatus.sock` until the task is aborted (a new
/// assignment moves or stops it).
pub async fn serve(broker: Arc<Broker>, addr: String) {
    let name = broker.state.name();
    // The address may still be held by the broker that ran this work before (a spare giving it
    // back is released about when this one is assigned): try again until it is free.
    let mut warned = false;
    let tcp = loop {
        match TcpListener::bind(&addr).await {
            Ok(l) => break l,
            Err(e) => {
                if !warned {
                    tracing::warn!(
                        "broker {name}: cannot serve Livestatus on {addr} yet: {e} (trying again every second)"
                    );
                    warned = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let tcp = Some(tcp);
    let path = broker.data.join("livestatus.sock");
    // A socket file left by a previous process would refuse the bind.
    let _ = std::fs::remove_file(&path);
    let unix = match UnixListener::bind(&path) {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::error!("broker {name}: cannot serve Livestatus on {}: {e}", path.display());
            None
        }
    };
    tracing::info!("broker {name}: Livestatus on {addr} and {}", path.display());
    loop {
        tokio::select! {
            accepted = async { tcp.as_ref()?.accept().await.ok() }, if tcp.is_some() => match accepted {
                Some((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(broker.clone(), stream));
                }
                // Out of descriptors or the like: do not spin.
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            },
            accepted = async { unix.as_ref()?.accept().await.ok() }, if unix.is_some() => match accepted {
                Some((stream, _)) => {
                    tokio::spawn(connection(broker.clone(), stream));
                }
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            },
            else => return,
        }
    }
}

/// Requests one after another (`KeepAlive: on`), each ending at an empty line or EOF.
async fn connection<S: AsyncRead + AsyncWrite + Send + 'static>(broker: Arc<Broker>, stream: S) {
    if let Err(e) = requests(broker, stream).await {
        tracing::debug!("livestatus connection: {e}");
    }
}

async fn requests<S: AsyncRead + AsyncWrite + Send + 'static>(broker: Arc<Broker>, stream: S) -> std::io::Result<()> {
    let (reader, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);
    loop {
        let mut text = String::new();
        let mut eof = false;
        loop {
            let mut line = String::new();
            let n = match tokio::time::timeout(IDLE, reader.read_line(&mut line)).await {
                Ok(r) => r?,
                Err(_) => return Ok(()),
            };
            if n == 0 {
                eof = true;
                break;
            }
            if line.trim_end_matches(['\r', '\n']).is_empty() {
                if text.is_empty() {
                    continue;
                }
                break;
            }
            text.push_str(&line);
            if text.len() > MAX_REQUEST_BYTES {
                let e = LqlError::new(413, format!("Request is larger than {MAX_REQUEST_BYTES} bytes"));
                writer.write_all(&Answer::error(&e).bytes(true)).await?;
                return Ok(());
            }
        }
        if text.is_empty() {
            return Ok(());
        }
        let (bytes, keep) = match parse(&text) {
            Ok(req) => {
                let reply = match &req.method {
                    Method::Get(table) => {
                        let broker = broker.clone();
                        let table = table.clone();
                        let req = req.clone();
                        // Building and scanning a table of 100,000 rows is CPU work.
                        tokio::task::spawn_blocking(move || get(&broker, &table, &req))
                            .await
                            .unwrap_or_else(|e| Answer::error(&LqlError::new(500, format!("query failed: {e}"))))
                    }
                    Method::Command(line) => command(&broker, line).await,
                    Method::LogRotate => Answer {
                        code: 200,
                        body: Vec::new(),
                    },
                };
                (reply.bytes(req.fixed16), req.keepalive)
            }
            Err(e) => (Answer::error(&e).bytes(true), false),
        };
        writer.write_all(&bytes).await?;
        writer.flush().await?;
        if !keep || eof {
            writer.shutdown().await?;
            return Ok(());
        }
    }
}

/// Hands a command to the first receiver that takes it. No body on success, as naemon.
async fn command(broker: &Broker, line: &str) -> Answer {
    let receivers = lock(&broker.receivers).clone();
    let secret = broker.state.outgoing_secret();
    let body = vigia_proto::CommandsRequest {
        commands: vec![line.to_string()],
    };
    let mut last = String::from("no receiver is assigned to this broker's realm");
    for url in receivers {
        let link = crate::link::Link::new(url.clone(), secret.clone());
        match link
            .post::<_, vigia_proto::CommandsAccepted>(vigia_proto::paths::API_COMMANDS, &body, Duration::from_secs(10))
            .await
        {
            Ok(_) => {
                return Answer {
                    code: 200,
                    body: Vec::new(),
                }
            }
            Err(e) => last = format!("{url}: {e}"),
        }
    }
    Answer::error(&LqlError::new(452, format!("The command was not taken: {last}")))
}

/// Answers a `GET` from a snapshot of the status: only the table asked for is built (a
/// `GET status` must not copy 100,000 services).
fn get(broker: &Broker, table: &str, req: &vigia_livestatus::Request) -> Answer {
    let built = match table {
        "hosts" => hosts_table(&read(&broker.status).hosts()),
        "services" => services_table(&read(&broker.status).services_of(one_host(req))),
        "comments" => comments_table(&read(&broker.status).comments()),
        "downtimes" => downtimes_table(&read(&broker.status).downtimes()),
        "status" => {
            let status = read(&broker.status);
            let summaries = status.summaries();
            let started = summaries
                .iter()
                .filter_map(|s| s.program.as_ref().map(|p| p.started))
                .min()
                .unwrap_or(0);
            let hosts = summaries.iter().map(|s| s.hosts).sum();
            let services = summaries.iter().map(|s| s.services).sum();
            drop(status);
            status_table(hosts, services, started)
        }
        "log" => log_table(&broker.data, req),
        "columns" => {
            let empty = [
                hosts_table(&[]),
                services_table(&[]),
                status_table(0, 0, 0),
                comments_table(&[]),
                downtimes_table(&[]),
                vigia_livestatus::log::table(Vec::new()),
            ];
            Table::columns_of(&empty.iter().collect::<Vec<_>>())
        }
        _ => return Answer::error(&LqlError::new(404, format!("Table '{table}' does not exist."))),
    };
    answer(req, &built)
}

/// The monitoring log: `DATA/vigia.log` and the archives (`archives/vigia-YYYY-MM-DD.log`, one
/// local day each) whose day meets the request's `Filter: time` range, so that a query about
/// yesterday reads yesterday's file, not a year of them.
fn log_table(data: &std::path::Path, req: &vigia_livestatus::Request) -> Table {
    let (from, to) = vigia_livestatus::log::time_range(&req.filters);
    let tz = jiff::tz::TimeZone::system();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(data.join("archives"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let day = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("vigia-")?.strip_suffix(".log"))
                .and_then(|d| d.parse::<jiff::civil::Date>().ok());
            let Some(day) = day else { return false };
            let start = tz
                .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
                .map_or(i64::MIN, |t| t.as_second());
            // A day lasts at most 25 hours (a change of time).
            start <= to && start.saturating_add(25 * 3600) >= from
        })
        .collect();
    files.sort();
    files.push(data.join("vigia.log"));
    let mut lines = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        lines.extend(text.lines().enumerate().map(|(n, l)| (n + 1, l.to_string())));
    }
    vigia_livestatus::log::table(lines)
}

/// The host a request's top-level `Filter: host_name = NAME` keeps (all its filters are ANDed,
/// so the others only narrow that host's services further).
fn one_host(req: &vigia_livestatus::Request) -> Option<&str> {
    req.filters.iter().find_map(|f| match f {
        vigia_livestatus::filter::FilterSpec::Compare { column, op, value }
            if column == "host_name" && !op.negate && op.kind == vigia_livestatus::filter::OpKind::Equal =>
        {
            Some(value.as_str())
        }
        _ => None,
    })
}

/// The status columns hosts and services share, in this order.
const STATE_COLUMNS: &[ColumnDef] = &[
    col(
        "state",
        ColumnType::Int,
        "The current state (host 0 UP, 1 DOWN, 2 UNREACHABLE; service 0 OK … 3 UNKNOWN)",
    ),
    col("state_type", ColumnType::Int, "0 soft, 1 hard"),
    col("has_been_checked", ColumnType::Int, "Whether it has been checked (0/1)"),
    col(
        "plugin_output",
        ColumnType::String,
        "The first line of the last check's output",
    ),
    col(
        "long_plugin_output",
        ColumnType::String,
        "The other lines of the last check's output",
    ),
    col("perf_data", ColumnType::String, "The last check's performance data"),
    col("last_check", ColumnType::Time, "When it was last checked"),
    col("next_check", ColumnType::Time, "When it is next checked"),
    col("last_state_change", ColumnType::Time, "When its state last changed"),
    col(
        "last_hard_state_change",
        ColumnType::Time,
        "When its hard state last changed",
    ),
    col(
        "current_attempt",
        ColumnType::Int,
        "The check attempt of the current state",
    ),
    col(
        "acknowledged",
        ColumnType::Int,
        "Whether its problem is acknowledged (0/1)",
    ),
    col(
        "scheduled_downtime_depth",
        ColumnType::Int,
        "How many downtimes it is in",
    ),
    col("is_flapping", ColumnType::Int, "Whether it is flapping (0/1)"),
    col(
        "percent_state_change",
        ColumnType::Float,
        "The flap detection's state change",
    ),
    col(
        "current_notification_number",
        ColumnType::Int,
        "The number of the last notification",
    ),
    col("last_notification", ColumnType::Time, "When it last notified"),
    col("notifications_enabled", ColumnType::Int, "Whether it notifies (0/1)"),
    col(
        "active_checks_enabled",
        ColumnType::Int,
        "Whether it is actively checked (0/1)",
    ),
    col(
        "accept_passive_checks",
        ColumnType::Int,
        "Whether it takes passive results (0/1)",
    ),
    col("latency", ColumnType::Float, "The last check's latency (s)"),
    col("execution_time", ColumnType::Float, "The last check's duration (s)"),
];

fn state_cells(i: &ItemView) -> Vec<Value> {
    let flag = |b: bool| Value::Int(b as i64);
    vec![
        Value::Int(i.state_id as i64),
        Value::Int((i.state_type == "HARD") as i64),
        flag(i.has_been_checked),
        Value::Str(i.output.clone()),
        Value::Str(i.long_output.clone()),
        Value::Str(i.perf_data.clone()),
        Value::Int(i.last_check),
        Value::Int(i.next_check),
        Value::Int(i.last_state_change),
        Value::Int(i.last_hard_state_change),
        Value::Int(i.attempt as i64),
        flag(i.acknowledged),
        Value::Int(i.downtime_depth as i64),
        flag(i.is_flapping),
        Value::Float(i.percent_state_change),
        Value::Int(i.notification_number as i64),
        Value::Int(i.last_notification),
        flag(i.notifications_enabled),
        flag(i.active_checks_enabled),
        flag(i.passive_checks_enabled),
        Value::Float(i.latency),
        Value::Float(i.execution_time),
    ]
}

fn hosts_table(hosts: &[ItemView]) -> Table {
    let mut columns = vec![col("name", ColumnType::String, "The host's name")];
    columns.extend_from_slice(STATE_COLUMNS);
    Table {
        name: "hosts".into(),
        columns,
        rows: hosts
            .iter()
            .map(|h| {
                std::iter::once(Value::Str(h.host_name.clone()))
                    .chain(state_cells(h))
                    .collect()
            })
            .collect(),
    }
}

fn services_table(services: &[ItemView]) -> Table {
    let mut columns = vec![
        col("host_name", ColumnType::String, "The service's host"),
        col("description", ColumnType::String, "The service's description"),
    ];
    columns.extend_from_slice(STATE_COLUMNS);
    Table {
        name: "services".into(),
        columns,
        rows: services
            .iter()
            .map(|s| {
                [
                    Value::Str(s.host_name.clone()),
                    Value::Str(s.service_description.clone().unwrap_or_default()),
                ]
                .into_iter()
                .chain(state_cells(s))
                .collect()
            })
            .collect(),
    }
}

fn status_table(hosts: usize, services: usize, started: i64) -> Table {
    Table {
        name: "status".into(),
        columns: vec![
            col("program_start", ColumnType::Time, "When the monitoring started"),
            col(
                "program_version",
                ColumnType::String,
                "The version of the monitoring core",
            ),
            col(
                "livestatus_version",
                ColumnType::String,
                "The version of the Livestatus server",
            ),
            col("num_hosts", ColumnType::Int, "How many hosts"),
            col("num_services", ColumnType::Int, "How many services"),
        ],
        rows: vec![vec![
            Value::Int(started),
            Value::Str(format!("vigia {}", env!("CARGO_PKG_VERSION"))),
            Value::Str(format!("vigia {}", env!("CARGO_PKG_VERSION"))),
            Value::Int(hosts as i64),
            Value::Int(services as i64),
        ]],
    }
}

fn annotation_columns() -> Vec<ColumnDef> {
    vec![
        col("id", ColumnType::Int, "The id"),
        col("author", ColumnType::String, "Who wrote it"),
        col("comment", ColumnType::String, "The text"),
        col("entry_time", ColumnType::Time, "When it was entered"),
        col("is_service", ColumnType::Int, "Whether it is about a service (0/1)"),
        col("host_name", ColumnType::String, "The host"),
        col(
            "service_description",
            ColumnType::String,
            "The service (empty for a host)",
        ),
    ]
}

fn annotation_cells(id: u64, author: &str, text: &str, entry: i64, host: &str, service: &Option<String>) -> Vec<Value> {
    vec![
        Value::Int(id as i64),
        Value::Str(author.to_string()),
        Value::Str(text.to_string()),
        Value::Int(entry),
        Value::Int(service.is_some() as i64),
        Value::Str(host.to_string()),
        Value::Str(service.clone().unwrap_or_default()),
    ]
}

fn comments_table(comments: &[CommentView]) -> Table {
    Table {
        name: "comments".into(),
        columns: annotation_columns(),
        rows: comments
            .iter()
            .map(|c| {
                annotation_cells(
                    c.comment.id,
                    &c.comment.author,
                    &c.comment.text,
                    c.comment.entry_time,
                    &c.host_name,
                    &c.service_description,
                )
            })
            .collect(),
    }
}

fn downtimes_table(downtimes: &[DowntimeView]) -> Table {
    let mut columns = annotation_columns();
    columns.extend([
        col("start_time", ColumnType::Time, "When it starts"),
        col("end_time", ColumnType::Time, "When it ends"),
        col("fixed", ColumnType::Int, "Fixed (1) or flexible (0)"),
        col("duration", ColumnType::Int, "A flexible downtime's length (s)"),
    ]);
    Table {
        name: "downtimes".into(),
        columns,
        rows: downtimes
            .iter()
            .map(|d| {
                let t = &d.downtime;
                let mut row = annotation_cells(
                    t.id,
                    &t.author,
                    &t.comment,
                    t.entry_time,
                    &d.host_name,
                    &d.service_description,
                );
                row.extend([
                    Value::Int(t.start),
                    Value::Int(t.end),
                    Value::Int(t.fixed as i64),
                    Value::Int(t.duration),
                ]);
                row
            })
            .collect(),
    }
}
