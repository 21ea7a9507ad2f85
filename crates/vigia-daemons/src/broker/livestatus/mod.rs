//! The broker's Livestatus server, on TCP and on a Unix socket (`DATA/livestatus.sock`): each
//! request is answered from a snapshot of the
//! broker's status, taken under the read lock and released before the query runs, so that
//! clients never hold up the intake of broks. The language itself is `vigia-livestatus`.
//!
//! Every naemon table but statehist: status, hosts, services, hostgroups, servicegroups,
//! contacts, contactgroups, commands, timeperiods, comments, downtimes, log, columns,
//! hostsbygroup, servicesbygroup, servicesbyhostgroup. The status comes from the broks, the
//! configuration from the part images the arbiter sends the broker ([`rows`], [`tables`]).
//! `AuthUser` limits the object tables to what the contact is a contact of (directly or
//! through a group; a host's contact sees its services), `Wait*` holds a reply until its
//! object meets a condition, `Timelimit` aborts a long query, `Localtime` shifts times.
//!
//! A `COMMAND` is handed to a receiver, which delivers it exactly once to the scheduler owning
//! its object, through fail-overs too.
pub(crate) mod rows;
mod tables;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener};
use vigia_livestatus::filter::{FilterSpec, Op, OpKind};
use vigia_livestatus::request::MAX_REQUEST_BYTES;
use vigia_livestatus::{answer, parse, select, Answer, LqlError, Method, Request, Schema, Select, Table};

use super::{lock, read, Broker};
use rows::{Clock, Parts};

/// How long a reply may take to be written: a client that stops reading is let go then, and
/// with it the reply it pinned.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest a `Wait` may hold a reply (`WaitTimeout: 0` means no limit in naemon).
const MAX_WAIT: Duration = Duration::from_secs(300);

/// Requests and connections served, for the `status` table.
#[derive(Debug, Default)]
pub struct Counters {
    requests: AtomicU64,
    connections: AtomicU64,
}

/// A client silent this long between requests is let go: it cannot pin a task for ever.
const IDLE: Duration = Duration::from_secs(300);

/// Listens on `addr` (over TLS with `tls`, with the broker's own certificate) and on
/// `DATA/livestatus.sock` until the task is aborted (a new assignment moves or stops it).
pub async fn serve(broker: Arc<Broker>, addr: String, tls: bool) {
    let name = broker.state.name();
    let acceptor = if tls {
        let config = match &broker.state.options.security.tls {
            Some(files) => crate::tls::server_config(files),
            None => Err(anyhow::anyhow!(
                "livestatus_tls 1 needs the broker's certificate (use_ssl 1, server_cert, server_key, ca_cert)"
            )),
        };
        match config {
            Ok(c) => Some(tokio_rustls::TlsAcceptor::from(c)),
            Err(e) => {
                // Never plain text where TLS was asked for.
                tracing::error!("broker {name}: no Livestatus on {addr}: {e:#}");
                return;
            }
        }
    } else {
        None
    };
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
    tracing::info!(
        "broker {name}: Livestatus on {addr}{} and {}",
        if tls { " (TLS)" } else { "" },
        path.display()
    );
    loop {
        tokio::select! {
            accepted = async { tcp.as_ref()?.accept().await.ok() }, if tcp.is_some() => match accepted {
                Some((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    broker.counters.connections.fetch_add(1, Ordering::Relaxed);
                    match &acceptor {
                        None => {
                            tokio::spawn(connection(broker.clone(), stream));
                        }
                        Some(acceptor) => {
                            let (broker, acceptor) = (broker.clone(), acceptor.clone());
                            tokio::spawn(async move {
                                match tokio::time::timeout(crate::server::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                    Ok(Ok(tls)) => connection(broker, tls).await,
                                    Ok(Err(e)) => tracing::info!("livestatus {peer}: TLS handshake refused: {e}"),
                                    Err(_) => tracing::info!("livestatus {peer}: no TLS handshake in time"),
                                }
                            });
                        }
                    }
                }
                // Out of descriptors or the like: do not spin.
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            },
            accepted = async { unix.as_ref()?.accept().await.ok() }, if unix.is_some() => match accepted {
                Some((stream, _)) => {
                    broker.counters.connections.fetch_add(1, Ordering::Relaxed);
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
                write(&mut writer, &Answer::error(&e).bytes(true)).await?;
                return Ok(());
            }
        }
        if text.is_empty() {
            return Ok(());
        }
        broker.counters.requests.fetch_add(1, Ordering::Relaxed);
        let (bytes, keep) = match parse(&text) {
            Ok(req) => {
                let reply = match &req.method {
                    Method::Get(table) => {
                        if req.wait.is_set() {
                            wait(&broker, table, &req).await;
                        }
                        let broker = broker.clone();
                        let table = table.clone();
                        let req = req.clone();
                        // Building and scanning a table of 100,000 rows is CPU work.
                        tokio::task::spawn_blocking(move || get(&broker, &table, &req))
                            .await
                            .unwrap_or_else(|e| Answer::error(&LqlError::new(500, format!("query failed: {e}"))))
                    }
                    Method::Command(line) => command(&broker, line).await,
                    // Vigia's log is rotated at local midnight by the broker itself (archives
                    // in DATA/archives); there is nothing to do at a client's request.
                    Method::LogRotate => Answer {
                        code: 200,
                        body: Vec::new(),
                    },
                };
                // naemon keeps the connection open after a COMMAND (Nagstamon sends several).
                let keep = req.keepalive || matches!(req.method, Method::Command(_));
                (reply.bytes(req.fixed16), keep)
            }
            Err(e) => (Answer::error(&e).bytes(true), false),
        };
        write(&mut writer, &bytes).await?;
        if !keep || eof {
            writer.shutdown().await?;
            return Ok(());
        }
    }
}

/// Writes a reply, giving up after [`WRITE_TIMEOUT`].
async fn write<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    let written = async {
        writer.write_all(bytes).await?;
        writer.flush().await
    };
    tokio::time::timeout(WRITE_TIMEOUT, written).await.unwrap_or_else(|_| {
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the client stopped reading",
        ))
    })
}

/// Hands a command to the first receiver that takes it. No body on success, as naemon.
async fn command(broker: &Broker, line: &str) -> Answer {
    let receivers = lock(&broker.receivers).clone();
    let body = vigia_proto::CommandsRequest {
        commands: vec![line.to_string()],
    };
    let mut last = String::from("no receiver is assigned to this broker's realm");
    for link in receivers {
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
            Err(e) => last = format!("{}: {e}", link.base),
        }
    }
    Answer::error(&LqlError::new(452, format!("The command was not taken: {last}")))
}

/// Holds a request with Wait headers until its object meets the conditions, a change comes
/// (no condition: the next one), or the timeout passes; the reply is then built as usual.
async fn wait(broker: &Arc<Broker>, table: &str, req: &Request) {
    let timeout = match req.wait.timeout_ms {
        0 => MAX_WAIT,
        ms => Duration::from_millis(ms).min(MAX_WAIT),
    };
    let until = tokio::time::Instant::now() + timeout;
    let mut changes = broker.changed.subscribe();
    let probe = wait_probe(table, req);
    loop {
        if let Some(probe) = &probe {
            let (b, t, p) = (broker.clone(), table.to_string(), probe.clone());
            let holds = tokio::task::spawn_blocking(move || build(&b, &t, &p).is_ok_and(|t| !t.rows.is_empty()))
                .await
                .unwrap_or(true);
            if holds {
                return;
            }
        }
        match tokio::time::timeout_at(until, changes.changed()).await {
            // A change came: with no condition the wait is over, else look again.
            Ok(Ok(())) if probe.is_none() => return,
            Ok(Ok(())) => {}
            // Timed out, or the broker is stopping.
            _ => return,
        }
    }
}

/// The request that finds the waited-for object if it meets the conditions; `None` when there
/// is no condition (then the wait is for the next change).
fn wait_probe(table: &str, req: &Request) -> Option<Request> {
    if req.wait.conditions.is_empty() {
        return None;
    }
    let equal = |column: &str, value: &str| FilterSpec::Compare {
        column: column.to_string(),
        op: Op {
            negate: false,
            kind: OpKind::Equal,
        },
        value: value.to_string(),
    };
    let mut filters = req.wait.conditions.clone();
    if let Some(object) = &req.wait.object {
        let object = object.trim();
        let (host, service) = match object.split_once(';') {
            Some((h, s)) => (h, Some(s)),
            None => match object.split_once(' ') {
                Some((h, s)) if table.starts_with("services") => (h, Some(s)),
                _ => (object, None),
            },
        };
        match table {
            "hosts" => filters.push(equal("name", host)),
            t if t.starts_with("services") => {
                filters.push(equal("host_name", host));
                if let Some(s) = service {
                    filters.push(equal("description", s));
                }
            }
            _ => filters.push(equal("name", object)),
        }
    }
    let mut probe = req.clone();
    probe.filters = filters;
    probe.stats.clear();
    probe.columns.clear();
    probe.wait = Default::default();
    probe.limit = Some(1);
    // The probe names one column so that only filter columns are built.
    probe.columns.push(if table == "hosts" {
        "name".into()
    } else {
        "host_name".into()
    });
    Some(probe)
}

/// Answers a `GET`: only the table asked for is built, from a snapshot of the status.
fn get(broker: &Broker, table: &str, req: &Request) -> Answer {
    let started = Instant::now();
    let built = match build(broker, table, req) {
        Ok(t) => t,
        Err(e) => return Answer::error(&e),
    };
    let reply = answer(req, &built);
    match req.timelimit {
        Some(limit) if started.elapsed() > Duration::from_secs(limit) => Answer::error(&LqlError::new(
            413,
            format!("Maximum query time of {limit} seconds exceeded"),
        )),
        _ => reply,
    }
}

/// The rows `req` runs on, of `table`, with only the columns it names (see
/// [`vigia_livestatus::select`]).
fn build(broker: &Broker, table: &str, req: &Request) -> Result<Table, LqlError> {
    let now = jiff::Timestamp::now().as_second();
    let opts = Select {
        time_offset: match req.localtime {
            Some(client) => vigia_livestatus::schema::time_offset(client, now)?,
            None => 0,
        },
        deadline: req.timelimit.map(|s| Instant::now() + Duration::from_secs(s)),
    };
    match table {
        "log" => return log_table(broker, req, opts),
        "columns" => return Ok(columns_table()),
        "status" => {
            let summaries = read(&broker.status).summaries();
            let row = tables::StatusRow {
                started: summaries
                    .iter()
                    .filter_map(|s| s.program.as_ref().map(|p| p.started))
                    .min()
                    .unwrap_or(0),
                hosts: summaries.iter().map(|s| s.hosts).sum(),
                services: summaries.iter().map(|s| s.services).sum(),
                globals: summaries.iter().find_map(|s| s.program.as_ref().map(|p| p.globals)),
                interval_length: summaries
                    .iter()
                    .find_map(|s| broker.part_config(&s.name))
                    .map_or(60, |c| c.interval_length),
                requests: broker.counters.requests.load(Ordering::Relaxed),
                connections: broker.counters.connections.load(Ordering::Relaxed),
            };
            return select_in(tables::status(), &[row], req, opts);
        }
        _ => {}
    }
    // A query about one host (Thruk's host page, a Wait on one object) copies that host only.
    let scope = match table {
        "hosts" => filtered_on(req, "name"),
        "services" => filtered_on(req, "host_name"),
        _ => None,
    };
    let snapshot = read(&broker.status).snapshot(scope);
    let configs: Vec<_> = snapshot
        .schedulers
        .iter()
        .map(|s| broker.part_config(&s.name))
        .collect();
    let clock = Clock {
        now,
        tz: jiff::tz::TimeZone::system(),
    };
    let parts = Parts::new(&snapshot, &configs, &clock);
    let user = req.auth_user.as_deref();
    let sees_host = |h: &rows::HostRow<'_>| user.is_none_or(|u| h.visible_to(u));
    let sees_service = |s: &rows::ServiceRow<'_>| user.is_none_or(|u| s.visible_to(u));
    match table {
        "hosts" => {
            let mut hosts = parts.hosts();
            hosts.retain(|h| sees_host(h));
            select_in(tables::hosts(), &hosts, req, opts)
        }
        "services" => {
            let hosts = parts.hosts();
            let mut services = rows::services(&parts, &hosts, scope);
            services.retain(|s| sees_service(s));
            select_in(tables::services(), &services, req, opts)
        }
        "hostgroups" | "hostsbygroup" | "servicesbyhostgroup" => {
            let hosts = parts.hosts();
            let services = rows::services(&parts, &hosts, None);
            let mut groups = rows::hostgroups(&parts, &hosts);
            match table {
                "hostgroups" => {
                    // naemon's default group_authorization=strict: a group shows when all its
                    // members do.
                    groups.retain(|g| g.members.iter().all(|h| sees_host(h)));
                    select_in(tables::hostgroups(), &groups, req, opts)
                }
                "hostsbygroup" => {
                    let pairs: Vec<_> = groups
                        .iter()
                        .flat_map(|g| g.members.iter().filter(|h| sees_host(h)).map(move |h| (g, *h)))
                        .collect();
                    select_in(tables::hostsbygroup(), &pairs, req, opts)
                }
                _ => {
                    let mut of_host: std::collections::HashMap<(usize, u32), Vec<&rows::ServiceRow<'_>>> =
                        std::collections::HashMap::new();
                    for s in services.iter().filter(|s| sees_service(s)) {
                        of_host.entry((s.host.part.n, s.host.id)).or_default().push(s);
                    }
                    let pairs: Vec<_> = groups
                        .iter()
                        .flat_map(|g| {
                            let of_host = &of_host;
                            g.members.iter().flat_map(move |h| {
                                of_host
                                    .get(&(h.part.n, h.id))
                                    .into_iter()
                                    .flatten()
                                    .map(move |s| (g, *s))
                            })
                        })
                        .collect();
                    select_in(tables::servicesbyhostgroup(), &pairs, req, opts)
                }
            }
        }
        "servicegroups" | "servicesbygroup" => {
            let hosts = parts.hosts();
            let services = rows::services(&parts, &hosts, None);
            let mut groups = rows::servicegroups(&parts, &services);
            if table == "servicegroups" {
                groups.retain(|g| g.members.iter().all(|s| sees_service(s)));
                select_in(tables::servicegroups(), &groups, req, opts)
            } else {
                let pairs: Vec<_> = groups
                    .iter()
                    .flat_map(|g| g.members.iter().filter(|s| sees_service(s)).map(move |s| (g, *s)))
                    .collect();
                select_in(tables::servicesbygroup(), &pairs, req, opts)
            }
        }
        "comments" | "downtimes" => {
            // Under AuthUser, the objects the contact may see (the rows are built only then).
            let visible: Option<std::collections::HashSet<(usize, vigia_engine::status::Item)>> = user.map(|_| {
                use rows::Monitoring;
                let hosts = parts.hosts();
                let services = rows::services(&parts, &hosts, None);
                let seen_hosts = hosts.iter().filter(|h| sees_host(h)).map(|h| (h.part.n, h.item()));
                let seen_services = services
                    .iter()
                    .filter(|s| sees_service(s))
                    .map(|s| (s.host.part.n, s.item()));
                seen_hosts.chain(seen_services).collect()
            });
            let sees = |part: &rows::PartData<'_>, item| visible.as_ref().is_none_or(|v| v.contains(&(part.n, item)));
            if table == "comments" {
                let rows: Vec<_> = parts
                    .parts
                    .iter()
                    .flat_map(|p| p.comments.iter().map(move |c| (p, *c)))
                    .filter(|(p, c)| sees(p, c.item))
                    .collect();
                select_in(tables::comments(), &rows, req, opts)
            } else {
                let rows: Vec<_> = parts
                    .parts
                    .iter()
                    .flat_map(|p| p.downtimes.iter().map(move |d| (p, *d)))
                    .filter(|(p, d)| sees(p, d.item))
                    .collect();
                select_in(tables::downtimes(), &rows, req, opts)
            }
        }
        "contacts" => {
            let config = rows::shared_config(&parts);
            let rows: Vec<_> = config
                .iter()
                .flat_map(|c| {
                    c.contacts.iter().map(|contact| tables::ContactRow {
                        contact,
                        config: c,
                        clock: &clock,
                    })
                })
                .collect();
            select_in(tables::contacts(), &rows, req, opts)
        }
        "contactgroups" => {
            let config = rows::shared_config(&parts);
            let rows: Vec<_> = config
                .iter()
                .flat_map(|c| c.contactgroups.iter().map(move |g| (g, *c)))
                .collect();
            select_in(tables::contactgroups(), &rows, req, opts)
        }
        "commands" => {
            let config = rows::shared_config(&parts);
            let rows: Vec<_> = config.iter().flat_map(|c| c.commands.iter()).collect();
            select_in(tables::commands(), &rows, req, opts)
        }
        "timeperiods" => {
            let config = rows::shared_config(&parts);
            let rows: Vec<_> = config
                .iter()
                .flat_map(|c| {
                    c.timeperiods
                        .periods
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (i, t, *c, &clock))
                })
                .collect();
            select_in(tables::timeperiods(), &rows, req, opts)
        }
        _ => Err(LqlError::new(404, format!("Table '{table}' does not exist."))),
    }
}

/// `select` over `rows` with `schema`, taken by value: a schema built in a match arm is dropped
/// before the rows it reads.
fn select_in<R>(schema: Schema<'_, R>, rows: &[R], req: &Request, opts: Select) -> Result<Table, LqlError> {
    select(&schema, rows, req, opts)
}

/// The `columns` table: every column of every table.
fn columns_table() -> Table {
    fn defs<R>(s: Schema<'_, R>) -> (&'static str, Vec<vigia_livestatus::ColumnDef>) {
        (s.name, s.defs())
    }
    let all = [
        defs(tables::hosts()),
        defs(tables::services()),
        defs(tables::hostgroups()),
        defs(tables::servicegroups()),
        defs(tables::contacts()),
        defs(tables::contactgroups()),
        defs(tables::commands()),
        defs(tables::timeperiods()),
        defs(tables::comments()),
        defs(tables::downtimes()),
        defs(tables::status()),
        defs(tables::hostsbygroup()),
        defs(tables::servicesbygroup()),
        defs(tables::servicesbyhostgroup()),
        ("log", vigia_livestatus::log::LOG_COLUMNS.to_vec()),
    ];
    let refs: Vec<(&str, &[vigia_livestatus::ColumnDef])> = all.iter().map(|(n, d)| (*n, d.as_slice())).collect();
    Table::columns_of(&refs)
}

/// The monitoring log: `DATA/vigia.log` and the archives (`archives/vigia-YYYY-MM-DD.log`, one
/// local day each) whose day meets the request's `Filter: time` range, so that a query about
/// yesterday reads yesterday's file, not a year of them. Under `AuthUser`, the lines about a
/// host or service the contact may not see are left out.
fn log_table(broker: &Broker, req: &Request, opts: Select) -> Result<Table, LqlError> {
    let data = &broker.data;
    let (from, to) = vigia_livestatus::log::time_range(&req.filters);
    let (from, to) = (
        from.saturating_sub(opts.time_offset),
        to.saturating_sub(opts.time_offset),
    );
    let lines = super::log::lines_between(data, from, to);
    let mut table = vigia_livestatus::log::table(lines);
    if let Some(user) = &req.auth_user {
        let visible = visible_names(broker, user);
        let (h, s) = (table.column("host_name"), table.column("service_description"));
        if let (Some(h), Some(s)) = (h, s) {
            table.rows.retain(|r| {
                let host = r[h].text();
                let service = r[s].text();
                host.is_empty()
                    || if service.is_empty() {
                        visible.0.contains(&host)
                    } else {
                        visible.1.contains(&(host, service))
                    }
            });
        }
    }
    if opts.time_offset != 0 {
        if let Some(t) = table.column("time") {
            for r in &mut table.rows {
                if let vigia_livestatus::Value::Int(v) = &mut r[t] {
                    *v += opts.time_offset;
                }
            }
        }
    }
    Ok(table)
}

/// The hosts and services `user` may see, by name: the web UI's rule for a contact with no
/// `cgi.cfg` rights (naemon's `AuthUser`).
fn visible_names(
    broker: &Broker,
    user: &str,
) -> (
    std::collections::HashSet<String>,
    std::collections::HashSet<(String, String)>,
) {
    let rights = super::web::auth::Rights {
        user: user.to_string(),
        ..Default::default()
    };
    super::web::view::visible_names(&super::web::view::Gathered::new(broker, None), &rights)
}

/// The value a request's top-level `Filter: COLUMN = VALUE` keeps (all its filters are ANDed,
/// so the others only narrow what that one keeps).
fn filtered_on<'r>(req: &'r Request, column: &str) -> Option<&'r str> {
    req.filters.iter().find_map(|f| match f {
        FilterSpec::Compare { column: c, op, value } if c == column && !op.negate && op.kind == OpKind::Equal => {
            Some(value.as_str())
        }
        _ => None,
    })
}
