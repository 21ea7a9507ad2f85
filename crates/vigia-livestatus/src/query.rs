//! Running a `GET` over a table: filter, sort, offset and limit, columns or stats (grouped by
//! the columns when both are given), then the reply in the client's format with its status code.
use std::cmp::Ordering;

use crate::filter::Filter;
use crate::output;
use crate::request::{Aggregate, LqlError, OutputFormat, Request, StatSpec};
use crate::table::Table;
use crate::value::Value;

/// A reply: its status code and body, and whether the connection stays open.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub code: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The bytes to write: with `ResponseHeader: fixed16`, `"%03d %11d\n"` then the body.
    pub fn bytes(&self, fixed16: bool) -> Vec<u8> {
        if !fixed16 {
            return self.body.clone();
        }
        let mut out = format!("{:03} {:11}\n", self.code, self.body.len()).into_bytes();
        out.extend_from_slice(&self.body);
        out
    }

    pub fn error(e: &LqlError) -> Answer {
        Answer {
            code: e.code,
            body: format!("{}\n", e.message).into_bytes(),
        }
    }
}

/// Answers a `GET` over `table` (the caller found the table by name: 404 is its to give).
pub fn answer(req: &Request, table: &Table) -> Answer {
    match run(req, table) {
        Ok(body) => Answer { code: 200, body },
        Err(e) => Answer::error(&e),
    }
}

enum Stat {
    Count(Filter),
    Aggregate(Aggregate, usize),
}

fn run(req: &Request, table: &Table) -> Result<Vec<u8>, LqlError> {
    let filters: Vec<Filter> = req.filters.iter().map(|f| f.compile(table)).collect::<Result<_, _>>()?;
    let column = |name: &str| {
        table
            .column(name)
            .ok_or_else(|| LqlError::new(450, format!("Table '{}' has no column '{name}'", table.name)))
    };
    let columns: Vec<usize> = if req.columns.is_empty() && req.stats.is_empty() {
        (0..table.columns.len()).collect()
    } else {
        req.columns.iter().map(|c| column(c)).collect::<Result<_, _>>()?
    };
    let stats: Vec<Stat> = req
        .stats
        .iter()
        .map(|s| match s {
            StatSpec::Count(f) => f.compile(table).map(Stat::Count),
            StatSpec::Aggregate(a, c) => column(c).map(|i| Stat::Aggregate(*a, i)),
        })
        .collect::<Result<_, _>>()?;
    let sort: Vec<(usize, bool)> = req
        .sort
        .iter()
        .map(|(c, desc)| column(c).map(|i| (i, *desc)))
        .collect::<Result<_, _>>()?;
    let mut rows: Vec<&Vec<Value>> = table
        .rows
        .iter()
        .filter(|r| filters.iter().all(|f| f.accepts(r)))
        .collect();
    if !sort.is_empty() {
        rows.sort_by(|a, b| {
            sort.iter()
                .map(|&(i, desc)| {
                    let o = a[i].compare(&b[i]);
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                })
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
    }
    let total = rows.len();
    let headers: Vec<String>;
    let out_rows: Vec<Vec<Value>> = if stats.is_empty() {
        headers = columns.iter().map(|&i| table.columns[i].name.to_string()).collect();
        rows.into_iter()
            .skip(req.offset)
            .take(req.limit.unwrap_or(usize::MAX))
            .map(|r| columns.iter().map(|&i| r[i].clone()).collect())
            .collect()
    } else {
        headers = columns
            .iter()
            .map(|&i| table.columns[i].name.to_string())
            .chain((1..=stats.len()).map(|n| format!("stats_{n}")))
            .collect();
        grouped_stats(&rows, &columns, &stats)
    };
    let show_headers = req
        .column_headers
        .unwrap_or(req.columns.is_empty() && req.stats.is_empty());
    Ok(match req.output {
        OutputFormat::Csv => output::csv(&headers, &out_rows, show_headers, req.separators),
        OutputFormat::Json => output::json(&headers, &out_rows, show_headers),
        OutputFormat::Python | OutputFormat::Python3 => output::python(&headers, &out_rows, show_headers),
        OutputFormat::WrappedJson => output::wrapped_json(show_headers.then_some(&headers[..]), &out_rows, total),
    })
}

/// One row per distinct value of the group-by columns (one row in all without them), then the
/// stats of its rows, in the order the groups first appear.
fn grouped_stats(rows: &[&Vec<Value>], group_by: &[usize], stats: &[Stat]) -> Vec<Vec<Value>> {
    let mut groups: Vec<(Vec<Value>, Vec<&Vec<Value>>)> = Vec::new();
    if group_by.is_empty() {
        groups.push((Vec::new(), rows.to_vec()));
    } else {
        for r in rows {
            // naemon writes a group's values as text (Column::valueAsString), whatever the
            // column's type: `Columns: state` groups are "0", "1", ...
            let key: Vec<Value> = group_by.iter().map(|&i| Value::Str(r[i].text())).collect();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(r),
                None => groups.push((key, vec![r])),
            }
        }
    }
    groups
        .into_iter()
        .map(|(mut key, members)| {
            key.extend(stats.iter().map(|s| stat_value(s, &members)));
            key
        })
        .collect()
}

fn stat_value(stat: &Stat, rows: &[&Vec<Value>]) -> Value {
    match stat {
        Stat::Count(f) => Value::Int(rows.iter().filter(|r| f.accepts(r)).count() as i64),
        Stat::Aggregate(a, column) => {
            let values: Vec<f64> = rows.iter().filter_map(|r| r[*column].as_f64()).collect();
            let n = values.len() as f64;
            let sum: f64 = values.iter().sum();
            let sum_inv: f64 = values.iter().filter(|v| **v != 0.0).map(|v| 1.0 / v).sum();
            let x = match a {
                Aggregate::Sum => sum,
                Aggregate::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                Aggregate::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Aggregate::Avg => sum / n,
                // The sample deviation (n - 1), 0 for fewer than two values, as naemon's
                // aggregators compute it.
                Aggregate::Std if values.len() < 2 => 0.0,
                Aggregate::Std => {
                    let mean = sum / n;
                    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                }
                Aggregate::SumInv => sum_inv,
                Aggregate::AvgInv => sum_inv / n,
            };
            // Nothing to aggregate: 0, as naemon answers.
            Value::Float(if x.is_finite() { x } else { 0.0 })
        }
    }
}
