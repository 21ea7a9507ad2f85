//! One LQL request: the method line, then headers, as naemon-livestatus reads them (exact,
//! case-sensitive spelling). A bad request is an [`LqlError`] with the status code a client
//! expects (400 bad header, 404 unknown table, 450 unknown column, 452 invalid request).
use crate::filter::{FilterSpec, Op};

/// The most a request may hold: a client cannot make the broker buffer without end.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code} {message}")]
pub struct LqlError {
    pub code: u16,
    pub message: String,
}

impl LqlError {
    pub fn new(code: u16, message: impl Into<String>) -> LqlError {
        LqlError {
            code,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    Get(String),
    /// `COMMAND [epoch] NAME;args`, as written after `COMMAND `.
    Command(String),
    LogRotate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    Json,
    Python,
    Python3,
    WrappedJson,
}

/// One `Stats:` line: a count of the rows a filter keeps, or an aggregate of a column.
#[derive(Clone, Debug, PartialEq)]
pub enum StatSpec {
    Count(FilterSpec),
    Aggregate(Aggregate, String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Min,
    Max,
    Avg,
    Std,
    SumInv,
    AvgInv,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub method: Method,
    pub columns: Vec<String>,
    /// The filter stack once `And`/`Or`/`Negate` are applied; all of it is ANDed.
    pub filters: Vec<FilterSpec>,
    pub stats: Vec<StatSpec>,
    pub limit: Option<usize>,
    pub offset: usize,
    /// `Sort: col asc|desc` lines, first key first.
    pub sort: Vec<(String, bool)>,
    pub output: OutputFormat,
    /// Dataset, field, list, host/service separators (`Separators: 10 59 44 124`).
    pub separators: [u8; 4],
    /// `ColumnHeaders:` as sent; `None`: naemon's default (on without `Columns:` and stats).
    pub column_headers: Option<bool>,
    pub fixed16: bool,
    pub keepalive: bool,
    pub auth_user: Option<String>,
    pub timelimit: Option<u64>,
    /// `Localtime:` as sent: the client's clock (epoch seconds).
    pub localtime: Option<i64>,
    pub wait: Wait,
}

/// The Wait headers: hold the answer until `object` (a host, or `host service` /
/// `host;service`) meets every `conditions` filter, re-checked on each `trigger` event, at
/// most `timeout_ms` (0: no limit). Thruk sends them after a re-check to show its result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Wait {
    pub object: Option<String>,
    pub conditions: Vec<FilterSpec>,
    pub trigger: Option<String>,
    pub timeout_ms: u64,
}

/// What `WaitTrigger:` may name (naemon's triggers).
pub const WAIT_TRIGGERS: &[&str] = &[
    "all", "check", "state", "log", "downtime", "comment", "command", "program",
];

impl Wait {
    /// The request waits at all (a condition, or a trigger to wait for once).
    pub fn is_set(&self) -> bool {
        !self.conditions.is_empty() || self.trigger.is_some()
    }
}

/// Parses one request (its lines, without the blank line that ends it).
pub fn parse(text: &str) -> Result<Request, LqlError> {
    if text.len() > MAX_REQUEST_BYTES {
        return Err(LqlError::new(
            413,
            format!("Request is larger than {MAX_REQUEST_BYTES} bytes"),
        ));
    }
    let mut lines = text.lines().map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("");
    let method = if let Some(rest) = first.strip_prefix("GET") {
        let table = rest.trim();
        if table.is_empty() {
            return Err(LqlError::new(452, "Invalid GET request, missing tablename"));
        }
        Method::Get(table.to_string())
    } else if let Some(rest) = first.strip_prefix("COMMAND ") {
        Method::Command(rest.trim().to_string())
    } else if first.trim() == "LOGROTATE" {
        Method::LogRotate
    } else {
        return Err(LqlError::new(452, format!("Invalid request method '{first}'")));
    };
    let mut req = Request {
        method,
        columns: Vec::new(),
        filters: Vec::new(),
        stats: Vec::new(),
        limit: None,
        offset: 0,
        sort: Vec::new(),
        output: OutputFormat::Csv,
        separators: [10, 59, 44, 124],
        column_headers: None,
        fixed16: false,
        keepalive: false,
        auth_user: None,
        timelimit: None,
        localtime: None,
        wait: Wait::default(),
    };
    for line in lines.filter(|l| !l.is_empty()) {
        let bad = || LqlError::new(400, format!("Undefined request header '{line}'"));
        let (header, arg) = line.split_once(':').ok_or_else(bad)?;
        let arg = arg.strip_prefix(' ').unwrap_or(arg);
        match header {
            "Columns" => req.columns.extend(arg.split_whitespace().map(str::to_string)),
            "Filter" => req.filters.push(filter_line(arg, line)?),
            "And" | "Or" => combine(&mut req.filters, count(arg, line)?, header == "And", line)?,
            "Negate" => negate(&mut req.filters, line)?,
            "Stats" => req.stats.push(stats_line(arg, line)?),
            "StatsAnd" | "StatsOr" => {
                let n = count(arg, line)?;
                let mut counts = stat_filters(&mut req.stats, n, line)?;
                combine(&mut counts, n, header == "StatsAnd", line)?;
                req.stats.extend(counts.into_iter().map(StatSpec::Count));
            }
            "StatsNegate" => {
                let mut last = stat_filters(&mut req.stats, 1, line)?;
                negate(&mut last, line)?;
                req.stats.extend(last.into_iter().map(StatSpec::Count));
            }
            "Limit" => req.limit = Some(number(arg, line)?),
            "Offset" => req.offset = number(arg, line)?,
            "Sort" | "OrderBy" => {
                let mut words = arg.split_whitespace();
                let column = words
                    .next()
                    .ok_or_else(|| LqlError::new(400, format!("{header}: a column is missing")))?;
                let desc = matches!(words.next(), Some("desc"));
                req.sort.push((column.to_string(), desc));
            }
            "OutputFormat" => {
                req.output = match arg.trim() {
                    "csv" | "CSV" => OutputFormat::Csv,
                    "json" => OutputFormat::Json,
                    "python" => OutputFormat::Python,
                    "python3" => OutputFormat::Python3,
                    "wrapped_json" => OutputFormat::WrappedJson,
                    other => return Err(LqlError::new(400, format!("Invalid output format '{other}'"))),
                }
            }
            "Separators" => {
                let seps: Vec<u8> = arg
                    .split_whitespace()
                    .map(|s| s.parse::<u8>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| LqlError::new(400, format!("Invalid separators '{arg}'")))?;
                let [a, b, c, d] = seps[..] else {
                    return Err(LqlError::new(400, format!("Separators needs four codes, not '{arg}'")));
                };
                req.separators = [a, b, c, d];
            }
            "ColumnHeaders" => req.column_headers = Some(on_off(arg, line)?),
            "ResponseHeader" => {
                req.fixed16 = match arg.trim() {
                    "fixed16" => true,
                    "off" => false,
                    other => return Err(LqlError::new(400, format!("Invalid response header '{other}'"))),
                }
            }
            "KeepAlive" => req.keepalive = on_off(arg, line)?,
            "AuthUser" => req.auth_user = Some(arg.trim().to_string()),
            "Timelimit" => req.timelimit = Some(number(arg, line)? as u64),
            "Localtime" => {
                req.localtime = Some(
                    arg.trim()
                        .parse()
                        .map_err(|_| LqlError::new(400, format!("Expected an epoch in '{line}'")))?,
                )
            }
            "WaitObject" => req.wait.object = Some(arg.trim().to_string()),
            "WaitCondition" => req.wait.conditions.push(filter_line(arg, line)?),
            "WaitConditionAnd" | "WaitConditionOr" => combine(
                &mut req.wait.conditions,
                count(arg, line)?,
                header == "WaitConditionAnd",
                line,
            )?,
            "WaitConditionNegate" => negate(&mut req.wait.conditions, line)?,
            "WaitTrigger" => {
                let t = arg.trim();
                if !WAIT_TRIGGERS.contains(&t) {
                    return Err(LqlError::new(
                        400,
                        format!("Invalid trigger '{t}': one of {}", WAIT_TRIGGERS.join(", ")),
                    ));
                }
                req.wait.trigger = Some(t.to_string());
            }
            "WaitTimeout" => req.wait.timeout_ms = number(arg, line)? as u64,
            // Deprecated; its columns come as `Columns:` with naemon as well.
            "StatsGroupBy" => req.columns.extend(arg.split_whitespace().map(str::to_string)),
            _ => return Err(bad()),
        }
    }
    Ok(req)
}

fn count(arg: &str, line: &str) -> Result<usize, LqlError> {
    number(arg, line)
}

fn number(arg: &str, line: &str) -> Result<usize, LqlError> {
    arg.trim()
        .parse()
        .map_err(|_| LqlError::new(400, format!("Expected a number in '{line}'")))
}

fn on_off(arg: &str, line: &str) -> Result<bool, LqlError> {
    match arg.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(LqlError::new(400, format!("Expected on or off in '{line}'"))),
    }
}

/// `col op value`: the value is the rest of the line, spaces included.
fn filter_line(arg: &str, line: &str) -> Result<FilterSpec, LqlError> {
    let arg = arg.trim_start();
    let (column, rest) = arg
        .split_once(' ')
        .ok_or_else(|| LqlError::new(400, format!("Invalid filter '{line}': expected COLUMN OPERATOR VALUE")))?;
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(' ').unwrap_or((rest, ""));
    let op = Op::parse(op).ok_or_else(|| LqlError::new(400, format!("Invalid operator '{op}' in '{line}'")))?;
    Ok(FilterSpec::Compare {
        column: column.to_string(),
        op,
        value: value.to_string(),
    })
}

fn stats_line(arg: &str, line: &str) -> Result<StatSpec, LqlError> {
    let mut words = arg.split_whitespace();
    let first = words.next().unwrap_or("");
    let aggregate = match first {
        "sum" => Some(Aggregate::Sum),
        "min" => Some(Aggregate::Min),
        "max" => Some(Aggregate::Max),
        "avg" => Some(Aggregate::Avg),
        "std" => Some(Aggregate::Std),
        "suminv" => Some(Aggregate::SumInv),
        "avginv" => Some(Aggregate::AvgInv),
        _ => None,
    };
    match (aggregate, words.next(), words.next()) {
        (Some(a), Some(column), None) => Ok(StatSpec::Aggregate(a, column.to_string())),
        _ => Ok(StatSpec::Count(filter_line(arg, line)?)),
    }
}

/// `And: n` / `Or: n`: the last `n` filters become one.
fn combine(stack: &mut Vec<FilterSpec>, n: usize, and: bool, line: &str) -> Result<(), LqlError> {
    if n > stack.len() {
        return Err(LqlError::new(
            400,
            format!("'{line}': only {} filter(s) on the stack", stack.len()),
        ));
    }
    let parts = stack.split_off(stack.len() - n);
    stack.push(if and {
        FilterSpec::And(parts)
    } else {
        FilterSpec::Or(parts)
    });
    Ok(())
}

fn negate(stack: &mut Vec<FilterSpec>, line: &str) -> Result<(), LqlError> {
    let top = stack
        .pop()
        .ok_or_else(|| LqlError::new(400, format!("'{line}': no filter to negate")))?;
    stack.push(FilterSpec::Not(Box::new(top)));
    Ok(())
}

/// The last `n` stats lines, which must be counts, as filters.
fn stat_filters(stats: &mut Vec<StatSpec>, n: usize, line: &str) -> Result<Vec<FilterSpec>, LqlError> {
    if n > stats.len() {
        return Err(LqlError::new(
            400,
            format!("'{line}': only {} stats on the stack", stats.len()),
        ));
    }
    stats
        .split_off(stats.len() - n)
        .into_iter()
        .map(|s| match s {
            StatSpec::Count(f) => Ok(f),
            StatSpec::Aggregate(..) => Err(LqlError::new(400, format!("'{line}': cannot combine an aggregate"))),
        })
        .collect()
}
