//! Cell values and column types, as the `columns` table names them.
use std::cmp::Ordering;

/// A column's type (`columns` table: int, float, string, list, time, dict).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    Float,
    String,
    List,
    Time,
    Dict,
}

impl ColumnType {
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Int => "int",
            ColumnType::Float => "float",
            ColumnType::String => "string",
            ColumnType::List => "list",
            ColumnType::Time => "time",
            ColumnType::Dict => "dict",
        }
    }
}

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    /// Custom variables: name → value, in name order.
    Dict(Vec<(String, String)>),
}

impl Value {
    /// The cell as a number, for numeric comparisons and aggregates.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The cell as text (a list's elements joined by `,`).
    pub fn text(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Str(s) => s.clone(),
            Value::List(l) => l.iter().map(Value::text).collect::<Vec<_>>().join(","),
            Value::Dict(d) => d.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(","),
        }
    }

    /// Orders two cells of one column: numbers numerically, text lexicographically.
    pub fn compare(&self, other: &Value) -> Ordering {
        match (self.as_f64(), other.as_f64()) {
            (Some(a), Some(b)) if !matches!(self, Value::Str(_)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            _ => self.text().cmp(&other.text()),
        }
    }
}

/// A float as naemon writes it: no trailing zeros beyond what the value needs.
pub fn format_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}
