//! The reply formats: csv with its four separators, json (a list of lists), python (the same as
//! Python literals), wrapped_json (`{"columns", "data", "total_count"}`).
use serde_json::{json, Value as Json};

use crate::value::Value;

/// csv: rows by the dataset separator, fields by the field one, list items by the list one, and
/// the parts of an item that is itself a list (`[host, service]`, `[name, state, checked]`) or
/// of a custom variable (name, value) by the fourth, as naemon writes them (`web1|http`).
pub fn csv(headers: &[String], rows: &[Vec<Value>], show_headers: bool, seps: [u8; 4]) -> Vec<u8> {
    let [dataset, field, list, sub] = seps.map(char::from);
    let joined = |parts: Vec<String>, sep: char| parts.join(&sep.to_string());
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        out.push_str(&cells.join(&field.to_string()));
        out.push(dataset);
    };
    if show_headers {
        line(headers.to_vec());
    }
    for row in rows {
        line(
            row.iter()
                .map(|v| match v {
                    Value::List(items) => joined(
                        items
                            .iter()
                            .map(|i| match i {
                                Value::List(parts) => joined(parts.iter().map(Value::text).collect(), sub),
                                other => other.text(),
                            })
                            .collect(),
                        list,
                    ),
                    Value::Dict(vars) => joined(vars.iter().map(|(k, v)| format!("{k}{sub}{v}")).collect(), list),
                    other => other.text(),
                })
                .collect(),
        );
    }
    out.into_bytes()
}

fn to_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Str(s) => json!(s),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Dict(vars) => Json::Object(vars.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
    }
}

fn table_json(headers: &[String], rows: &[Vec<Value>], show_headers: bool) -> Json {
    let mut all: Vec<Json> = Vec::with_capacity(rows.len() + 1);
    if show_headers {
        all.push(json!(headers));
    }
    all.extend(rows.iter().map(|r| Json::Array(r.iter().map(to_json).collect())));
    Json::Array(all)
}

pub fn json(headers: &[String], rows: &[Vec<Value>], show_headers: bool) -> Vec<u8> {
    let mut out = serde_json::to_vec(&table_json(headers, rows, show_headers)).unwrap_or_default();
    out.push(b'\n');
    out
}

/// JSON is valid Python for these values but for `null`, `true` and `false`, which the
/// tables never produce; strings are written with JSON's escapes, which Python reads.
pub fn python(headers: &[String], rows: &[Vec<Value>], show_headers: bool) -> Vec<u8> {
    json(headers, rows, show_headers)
}

/// `columns` only when column headers are on (naemon: with `ColumnHeaders: on` or no
/// `Columns:`); `total_count` counts the rows before Offset and Limit.
pub fn wrapped_json(headers: Option<&[String]>, rows: &[Vec<Value>], total: usize) -> Vec<u8> {
    let data: Vec<Json> = rows
        .iter()
        .map(|r| Json::Array(r.iter().map(to_json).collect()))
        .collect();
    let mut reply = serde_json::Map::new();
    if let Some(headers) = headers {
        reply.insert("columns".into(), json!(headers));
    }
    reply.insert("data".into(), Json::Array(data));
    reply.insert("total_count".into(), json!(total));
    let mut out = serde_json::to_vec(&Json::Object(reply)).unwrap_or_default();
    out.push(b'\n');
    out
}
