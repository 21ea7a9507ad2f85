//! A table as its server defines it: columns computed from typed rows (a host and its status,
//! a service and its host, …), of which a request gets only the cells it names. A table of
//! 100,000 services has some 150 columns with the `host_` ones; computing all of them for a
//! query that shows four would cost more than the query.
//!
//! [`select`] builds the [`Table`] a request runs on: first the columns its filters read, over
//! every row; then the other columns it names, over the rows the filters kept only.
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use crate::filter::FilterSpec;
use crate::request::{LqlError, Request, StatSpec};
use crate::table::{col, ColumnDef, Table};
use crate::value::{ColumnType, Value};

/// How a cell is read from a row.
pub type Getter<'s, R> = Arc<dyn Fn(&R) -> Value + Send + Sync + 's>;

/// A table's columns over rows of type `R`.
pub struct Schema<'s, R> {
    pub name: &'static str,
    pub columns: Vec<(ColumnDef, Getter<'s, R>)>,
}

impl<'s, R: 's> Schema<'s, R> {
    pub fn new(name: &'static str) -> Self {
        Schema {
            name,
            columns: Vec::new(),
        }
    }

    /// One more column.
    pub fn col(
        mut self,
        name: &'static str,
        ty: ColumnType,
        description: &'static str,
        get: impl Fn(&R) -> Value + Send + Sync + 's,
    ) -> Self {
        self.columns.push((col(name, ty, description), Arc::new(get)));
        self
    }

    /// Every column of `inner`, named with `prefix` (`host_` on the services table), read from
    /// the row `via` reaches.
    pub fn join<S: 's>(mut self, prefix: &str, inner: &Schema<'s, S>, via: fn(&R) -> &S) -> Self {
        for (def, get) in &inner.columns {
            let get = get.clone();
            let name = format!("{prefix}{}", def.name);
            if self.columns.iter().any(|(d, _)| d.name == name) {
                continue;
            }
            self.columns.push((
                ColumnDef {
                    name: name.into(),
                    ty: def.ty,
                    description: def.description.clone(),
                },
                Arc::new(move |r: &R| get(via(r))),
            ));
        }
        self
    }

    pub fn defs(&self) -> Vec<ColumnDef> {
        self.columns.iter().map(|(d, _)| d.clone()).collect()
    }

    fn index(&self, name: &str) -> Result<usize, LqlError> {
        self.columns
            .iter()
            .position(|(d, _)| d.name == name)
            .ok_or_else(|| LqlError::new(450, format!("Table '{}' has no column '{name}'", self.name)))
    }
}

/// What a request may change in the cells beyond choosing them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Select {
    /// `Localtime:`: seconds added to every time cell (the client's clock minus ours, in steps
    /// of 30 minutes), so that its filters compare in its own time too.
    pub time_offset: i64,
    /// `Timelimit:`: the building of the table stops here with 413.
    pub deadline: Option<Instant>,
}

/// The table `req` runs on: the columns it names (all of them when it names none and has no
/// stats), and only the rows its filters keep, the filters themselves kept for the query to
/// apply again (which changes nothing).
pub fn select<R>(schema: &Schema<'_, R>, rows: &[R], req: &Request, opts: Select) -> Result<Table, LqlError> {
    let wanted = wanted(req);
    let columns: Vec<usize> = match wanted {
        None => (0..schema.columns.len()).collect(),
        Some(names) => names.iter().map(|n| schema.index(n)).collect::<Result<_, _>>()?,
    };
    let mut keep: Vec<usize> = (0..rows.len()).collect();
    if !req.filters.is_empty() {
        let mut names = BTreeSet::new();
        for f in &req.filters {
            filter_columns(f, &mut names);
        }
        let filter_columns: Vec<usize> = names.iter().map(|n| schema.index(n)).collect::<Result<_, _>>()?;
        let pre = build(schema, rows, &filter_columns, &keep, opts)?;
        let filters: Vec<_> = req.filters.iter().map(|f| f.compile(&pre)).collect::<Result<_, _>>()?;
        keep = pre
            .rows
            .iter()
            .zip(keep)
            .filter(|(r, _)| filters.iter().all(|f| f.accepts(r)))
            .map(|(_, i)| i)
            .collect();
    }
    build(schema, rows, &columns, &keep, opts)
}

fn build<R>(
    schema: &Schema<'_, R>,
    rows: &[R],
    columns: &[usize],
    keep: &[usize],
    opts: Select,
) -> Result<Table, LqlError> {
    let getters: Vec<(&Getter<'_, R>, bool)> = columns
        .iter()
        .map(|&c| (&schema.columns[c].1, schema.columns[c].0.ty == ColumnType::Time))
        .collect();
    let mut out = Vec::with_capacity(keep.len());
    for (n, &i) in keep.iter().enumerate() {
        if n % 4096 == 4095 {
            if let Some(d) = opts.deadline {
                if Instant::now() > d {
                    return Err(LqlError::new(413, "Maximum query time exceeded (Timelimit)"));
                }
            }
        }
        let Some(row) = rows.get(i) else { continue };
        out.push(
            getters
                .iter()
                .map(|(get, time)| match get(row) {
                    Value::Int(t) if *time && t != 0 => Value::Int(t + opts.time_offset),
                    v => v,
                })
                .collect(),
        );
    }
    Ok(Table {
        name: schema.name.to_string(),
        columns: columns.iter().map(|&c| schema.columns[c].0.clone()).collect(),
        rows: out,
    })
}

/// The columns a request reads, in a stable order; `None`: all of them.
fn wanted(req: &Request) -> Option<Vec<String>> {
    if req.columns.is_empty() && req.stats.is_empty() {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    };
    req.columns.iter().for_each(|c| add(c));
    req.sort.iter().for_each(|(c, _)| add(c));
    let mut from_filters = BTreeSet::new();
    for f in &req.filters {
        filter_columns(f, &mut from_filters);
    }
    for s in &req.stats {
        match s {
            StatSpec::Count(f) => filter_columns(f, &mut from_filters),
            StatSpec::Aggregate(_, c) => {
                from_filters.insert(c.clone());
            }
        }
    }
    from_filters.iter().for_each(|c| add(c));
    Some(names)
}

/// Every column a filter reads.
pub fn filter_columns(f: &FilterSpec, out: &mut BTreeSet<String>) {
    match f {
        FilterSpec::Compare { column, .. } => {
            out.insert(column.clone());
        }
        FilterSpec::And(parts) | FilterSpec::Or(parts) => parts.iter().for_each(|p| filter_columns(p, out)),
        FilterSpec::Not(inner) => filter_columns(inner, out),
    }
}

/// `Localtime: <client epoch>` as naemon takes it: the difference from `now`, rounded to the
/// nearest half hour; 400 from a day apart on.
pub fn time_offset(client: i64, now: i64) -> Result<i64, LqlError> {
    let diff = client - now;
    let offset = ((diff as f64) / 1800.0).round() as i64 * 1800;
    if offset.abs() >= 86_400 {
        return Err(LqlError::new(
            400,
            format!("Invalid Localtime header: the client's clock is {diff} s from the server's"),
        ));
    }
    Ok(offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer;
    use crate::request::parse;

    struct Host {
        name: &'static str,
        state: i64,
        checked: i64,
    }

    struct Service {
        host: Host,
        description: &'static str,
    }

    fn hosts() -> Schema<'static, Host> {
        Schema::new("hosts")
            .col("name", ColumnType::String, "name", |h: &Host| Value::Str(h.name.into()))
            .col("state", ColumnType::Int, "state", |h: &Host| Value::Int(h.state))
            .col("last_check", ColumnType::Time, "checked", |h: &Host| {
                Value::Int(h.checked)
            })
    }

    fn services() -> Schema<'static, Service> {
        Schema::new("services")
            .col("description", ColumnType::String, "description", |s: &Service| {
                Value::Str(s.description.into())
            })
            .join("host_", &hosts(), |s| &s.host)
    }

    fn rows() -> Vec<Service> {
        vec![
            Service {
                host: Host {
                    name: "web1",
                    state: 0,
                    checked: 1000,
                },
                description: "http",
            },
            Service {
                host: Host {
                    name: "db1",
                    state: 1,
                    checked: 0,
                },
                description: "mysql",
            },
        ]
    }

    fn run(lql: &str, opts: Select) -> (u16, String) {
        let req = parse(lql).expect("valid");
        match select(&services(), &rows(), &req, opts) {
            Ok(t) => {
                let a = answer(&req, &t);
                (a.code, String::from_utf8(a.body).expect("utf-8"))
            }
            Err(e) => (e.code, e.message),
        }
    }

    #[test]
    fn only_named_columns_are_built_and_joined_columns_have_the_prefix() {
        let req = parse("GET services\nColumns: description host_name\nFilter: host_state = 1").expect("valid");
        let t = select(&services(), &rows(), &req, Select::default()).expect("table");
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(names, ["description", "host_name", "host_state"]);
        assert_eq!(t.rows.len(), 1, "the filter kept db1's service only");
        assert_eq!(
            run(
                "GET services\nColumns: description host_name\nFilter: host_state = 1",
                Select::default()
            ),
            (200, "mysql;db1\n".into())
        );
    }

    #[test]
    fn unknown_columns_are_450_wherever_they_are_named() {
        for lql in [
            "GET services\nColumns: nope",
            "GET services\nFilter: nope = 1",
            "GET services\nStats: sum nope",
            "GET services\nColumns: description\nSort: nope asc",
        ] {
            assert_eq!(run(lql, Select::default()).0, 450, "{lql}");
        }
    }

    #[test]
    fn localtime_shifts_time_cells_and_filters_alike() {
        let opts = Select {
            time_offset: 3600,
            deadline: None,
        };
        assert_eq!(
            run(
                "GET services\nColumns: description host_last_check\nFilter: host_last_check = 4600",
                opts
            ),
            (200, "http;4600\n".into()),
        );
        // Never checked stays 0, not 0 + offset.
        assert_eq!(
            run(
                "GET services\nColumns: host_last_check\nFilter: description = mysql",
                opts
            ),
            (200, "0\n".into())
        );
        assert_eq!(time_offset(1_000_000 + 3590, 1_000_000), Ok(3600));
        assert_eq!(time_offset(1_000_000 - 800, 1_000_000), Ok(0));
        assert_eq!(time_offset(1_000_000 + 86_400, 1_000_000).map_err(|e| e.code), Err(400));
    }

    #[test]
    fn a_passed_deadline_aborts_with_413() {
        let many: Vec<Service> = (0..10_000).flat_map(|_| rows()).collect();
        let req = parse("GET services\nColumns: description").expect("valid");
        let opts = Select {
            time_offset: 0,
            deadline: Some(Instant::now()),
        };
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(
            select(&services(), &many, &req, opts).map(|_| ()).map_err(|e| e.code),
            Err(413)
        );
    }
}
