//! The one table type: what EDA produces, what the TUI renders and what `--format` writes.

use serde::Serialize;

/// One cell. Serialised as a bare JSON number, string or null.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    /// Money, rounded to the cent when built.
    Money(f64),
    /// A fraction of a whole (0.25 is a quarter), at full precision; people read it as "25.0%".
    Share(f64),
    /// Any other real number (correlations, averages), at full precision.
    Num(f64),
    Text(String),
    Null,
}

impl Value {
    pub fn money(x: f64) -> Value {
        Value::Money((x * 100.0).round() / 100.0)
    }

    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    pub fn share(x: f64) -> Value {
        Value::Share(x)
    }

    pub fn count(n: usize) -> Value {
        Value::Int(n as i64)
    }

    /// The number inside, if any (for sorting and checks).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Money(x) | Value::Share(x) | Value::Num(x) => Some(*x),
            _ => None,
        }
    }

    /// The cell at full precision (shortest round-trip decimal for reals): what CSV and the
    /// clipboard's TSV carry.
    pub fn full(&self) -> String {
        match self {
            Value::Num(x) | Value::Money(x) | Value::Share(x) => x.to_string(),
            other => other.display(),
        }
    }

    /// The plain reading (filters and text sorting match on it); people see
    /// [`crate::humanize::cell`], CSV and JSON the full value.
    pub fn display(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Money(x) => format!("{x:.2}"),
            Value::Num(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
            Value::Num(x) | Value::Share(x) => format!("{x:.4}"),
            Value::Text(s) => s.clone(),
            Value::Null => String::new(),
        }
    }
}

/// A named result table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    /// Stable machine name (snake_case): scripts select tables by it.
    pub name: String,
    /// A heading for people.
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(name: &str, title: &str, columns: &[&str]) -> Table {
        Table {
            name: name.to_string(),
            title: title.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(
            row.len(),
            self.columns.len(),
            "row width in table {}",
            self.name
        );
        self.rows.push(row);
    }

    /// The index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// A table that could not be built for this dataset, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    pub table: String,
    pub reason: String,
}
