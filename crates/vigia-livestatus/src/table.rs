//! A table: named, typed columns and rows of cells in column order. The broker builds one per
//! request from a consistent snapshot of its status, so a query never holds up the writer.
use std::borrow::Cow;

use crate::value::{ColumnType, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    /// Owned for the columns a join names (`host_state` of `services`).
    pub name: Cow<'static, str>,
    pub ty: ColumnType,
    pub description: Cow<'static, str>,
}

/// A column's definition, in a `const` table.
pub const fn col(name: &'static str, ty: ColumnType, description: &'static str) -> ColumnDef {
    ColumnDef {
        name: Cow::Borrowed(name),
        ty,
        description: Cow::Borrowed(description),
    }
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The `columns` table describing `tables` (name, columns): one row per column (table,
    /// name, type, description), what clients read to discover columns.
    pub fn columns_of(tables: &[(&str, &[ColumnDef])]) -> Table {
        Table {
            name: "columns".into(),
            columns: vec![
                col("table", ColumnType::String, "The name of the table"),
                col("name", ColumnType::String, "The name of the column"),
                col(
                    "type",
                    ColumnType::String,
                    "The data type of the column (int, float, string, list, time, dict)",
                ),
                col("description", ColumnType::String, "A description of the column"),
            ],
            rows: tables
                .iter()
                .flat_map(|(table, columns)| {
                    columns.iter().map(|c| {
                        vec![
                            Value::Str(table.to_string()),
                            Value::Str(c.name.to_string()),
                            Value::Str(c.ty.name().to_string()),
                            Value::Str(c.description.to_string()),
                        ]
                    })
                })
                .collect(),
        }
    }
}
