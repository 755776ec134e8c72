//! `segscope inspect`: how a dataset will be read, before a full load. Each file's layout,
//! delimiter, encoding and header, and per column its role, type, format and sample values,
//! decided by the same code the load uses, so what it shows is what loading will do.

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use super::clean::{DateHints, date_formats};
use super::extras::{self, ExtraColumn};
use super::formats::{dates::DateFormat, numbers};
use super::layout::{self, Layout};
use super::read::{Dialect, RawFile, ReadAs, read_bytes, read_path};
use super::roles::{Role, RoleMap};
use super::{DataSource, LoadOptions, bundled};

/// What `inspect` shows.
#[derive(Debug, Serialize)]
pub struct Inspection {
    pub dataset: String,
    pub layout: String,
    pub files: Vec<FileInspection>,
}

#[derive(Debug, Serialize)]
pub struct FileInspection {
    pub file: String,
    #[serde(flatten)]
    pub dialect: Dialect,
    /// The decimal mark of the quantity, price and amount columns: "," where any of them
    /// is read with a decimal comma, else ".".
    pub decimal_mark: String,
    /// Rows looked at (the first megabyte of a large text file).
    pub rows_sampled: usize,
    pub columns: Vec<ColumnInspection>,
    /// What a full load would refuse or warn about, with the fix.
    pub problems: Vec<String>,
    /// Choices worth knowing (a role chosen over a competing column).
    pub notes: Vec<String>,
    /// A transaction file's columns that no role took, and the features each gives
    /// (`--features extra`), or why it is left out.
    pub extras: Vec<ExtraInspection>,
}

/// One extra column as the load will use it.
#[derive(Debug, Serialize)]
pub struct ExtraInspection {
    #[serde(flatten)]
    pub column: ExtraColumn,
    pub features: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ColumnInspection {
    pub name: String,
    pub role: Option<String>,
    /// The column this role was chosen over, when two competed.
    pub runner_up: Option<String>,
    /// "text", "integer", "number", "date" or "empty".
    pub kind: String,
    /// How dates or numbers are written, when not plainly.
    pub format: Option<String>,
    pub samples: Vec<String>,
}

/// Bytes of a text file looked at: enough rows to see every role and format.
const INSPECT_BYTES: usize = 1 << 20;

/// Inspects `source` as `opts` would load it.
pub fn inspect(source: &DataSource, opts: &LoadOptions) -> Result<Inspection> {
    let mut files = Vec::new();
    let layout = match source {
        DataSource::Bundled => {
            for (name, bytes) in [
                ("sample/Customers.csv", bundled::CUSTOMERS),
                ("sample/Products.csv", bundled::PRODUCTS),
                ("sample/Transactions.csv", bundled::TRANSACTIONS),
            ] {
                let raw = read_bytes(name, bytes.to_vec(), opts.folder_file())?;
                let transactions = name.ends_with("Transactions.csv");
                files.push(file_inspection(raw, opts, transactions));
            }
            "eCommerce Transactions folder".to_string()
        }
        DataSource::Stdin => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)?;
            files.push(file_inspection(
                read_bytes("standard input", bytes, opts.log())?,
                opts,
                true,
            ));
            "transaction log".to_string()
        }
        DataSource::Path(path) => {
            let layout = layout::detect(path)?;
            inspect_layout(&layout, opts, &mut files)?;
            layout.describe().to_string()
        }
    };
    Ok(Inspection {
        dataset: source.describe(),
        layout,
        files,
    })
}

/// Inspects the files of a detected layout into `files`: a part-file log by its first part.
fn inspect_layout(
    layout: &Layout,
    opts: &LoadOptions,
    files: &mut Vec<FileInspection>,
) -> Result<()> {
    match layout {
        Layout::TransactionsFolder {
            customers,
            products,
            transactions,
        } => {
            for p in [customers, products] {
                files.push(file_inspection(head(p, opts.folder_file())?, opts, false));
            }
            let raw = head(transactions, opts.folder_file())?;
            files.push(file_inspection(raw, opts, true));
        }
        Layout::TransactionLog(p) => files.push(file_inspection(head(p, opts.log())?, opts, true)),
        Layout::PartFiles(parts) => {
            if let Some(first) = parts.first() {
                let mut f = file_inspection(head(&first.path, opts.log())?, opts, true);
                f.dialect.format = format!(
                    "{} part files like this one ({})",
                    parts.len(),
                    f.dialect.format
                );
                files.push(f);
            }
        }
    }
    Ok(())
}

/// The first megabyte of a text file (whole lines), or the whole of any other.
fn head(path: &Path, how: ReadAs) -> Result<RawFile> {
    match super::read::read_head(path, how, INSPECT_BYTES)? {
        Some(raw) => Ok(raw),
        None => read_path(path, how),
    }
}

/// `transactions`: the file holds purchase lines (a log, or a folder's transactions), whose
/// columns without a role are extra columns.
fn file_inspection(raw: RawFile, opts: &LoadOptions, transactions: bool) -> FileInspection {
    let headers = raw.headers();
    let roles = RoleMap::detect(&headers, &opts.overrides);
    let mut problems = Vec::new();
    let table = super::table::looks_like_table(&raw, &roles).unwrap_or(false);
    let hints = DateHints {
        flag: opts.date_format.as_deref(),
        spreadsheet: raw.dialect.spreadsheet,
    };
    let semicolon = raw.dialect.delimiter.as_deref() == Some(";");
    let columns: Vec<ColumnInspection> = headers
        .iter()
        .map(|h| {
            let role = roles.iter().find(|(_, c)| *c == h).map(|(r, _)| r);
            column_inspection(&raw, h, role, &roles, hints, semicolon, &mut problems)
        })
        .collect();
    let decimal_mark = decimal_mark_of(&columns);
    note_missing_roles(&roles, table, &mut problems);
    let mut dialect = raw.dialect.clone();
    if table {
        dialect.format = format!(
            "{} (a customer table: one row per id, no date column)",
            dialect.format
        );
    }
    let extras = if transactions && !table {
        extra_inspection(&raw, &roles, semicolon)
    } else {
        Vec::new()
    };
    FileInspection {
        extras,
        file: raw.name.clone(),
        dialect,
        decimal_mark,
        rows_sampled: raw.df.height(),
        columns,
        problems,
        notes: roles.notes(&raw.name),
    }
}

/// "," when a number role's column reads with a decimal comma, else ".".
fn decimal_mark_of(columns: &[ColumnInspection]) -> String {
    let comma = columns.iter().any(|c| {
        c.role
            .as_deref()
            .is_some_and(|r| NUMBER_ROLES.iter().any(|n| n.key() == r))
            && c.format
                .as_deref()
                .is_some_and(|f| f.starts_with("decimal comma"))
    });
    if comma { "," } else { "." }.to_string()
}

/// A problem for each column the load needs and no header was found for: the customer (an id
/// or a name), and the date unless the file is a customer table.
fn note_missing_roles(roles: &RoleMap, table: bool, problems: &mut Vec<String>) {
    let needed: &[Role] = if table {
        &[Role::Customer]
    } else {
        &[Role::Customer, Role::Date]
    };
    for &role in needed {
        let named = role == Role::Customer && roles.has(Role::CustomerName);
        if !(roles.has(role) || named) {
            problems.push(format!(
                "no {} column found; name it with --map {}=COLUMN",
                role.key(),
                role.key()
            ));
        }
    }
}

/// The extra columns of a transaction file as [`extras::of_file`] decides them on the rows
/// seen (the load decides on every row, so a text's values can be more there).
fn extra_inspection(raw: &RawFile, roles: &RoleMap, semicolon: bool) -> Vec<ExtraInspection> {
    extras::of_file(&raw.df, &raw.headers(), roles, semicolon)
        .into_iter()
        .map(|column| ExtraInspection {
            features: column.feature_names(),
            column,
        })
        .collect()
}

const DATE_ROLES: &[Role] = &[Role::Date, Role::SignupDate];
const NUMBER_ROLES: &[Role] = &[Role::Quantity, Role::UnitPrice, Role::Amount];

fn column_inspection(
    raw: &RawFile,
    name: &str,
    role: Option<Role>,
    roles: &RoleMap,
    hints: DateHints,
    semicolon: bool,
    problems: &mut Vec<String>,
) -> ColumnInspection {
    let column = raw.df.column(name).ok();
    let samples: Vec<String> = column
        .map(|c| {
            (0..c.len())
                .filter_map(|i| c.get(i).ok())
                .filter(|v| !v.is_null())
                .take(5)
                .map(|v| match v {
                    AnyValue::String(s) => crate::report::sanitize(s),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let (kind, format) = match (column, role) {
        (None, _) => ("empty".to_string(), None),
        (Some(_), Some(r)) if DATE_ROLES.contains(&r) => {
            match date_formats(&raw.df, &raw.name, name, r, hints) {
                Ok(f) if f.is_empty() => ("empty".into(), None),
                Ok(f) => (
                    "date".into(),
                    Some(
                        f.iter()
                            .map(DateFormat::name)
                            .collect::<Vec<_>>()
                            .join(" or "),
                    ),
                ),
                Err(e) => {
                    problems.push(e.to_string());
                    ("date".into(), Some("undecided".into()))
                }
            }
        }
        (Some(c), r) => value_kind(c, r.is_some_and(|r| NUMBER_ROLES.contains(&r)), semicolon),
    };
    ColumnInspection {
        name: name.to_string(),
        role: role.map(|r| r.key().to_string()),
        runner_up: role.and_then(|r| roles.runner_up(r)).map(str::to_string),
        kind,
        format,
        samples,
    }
}

/// A column's kind from its values: numbers (with their format), integers, or text.
fn value_kind(c: &Column, numeric_role: bool, semicolon: bool) -> (String, Option<String>) {
    if c.dtype().is_integer() {
        return ("integer".into(), None);
    }
    if c.dtype().is_float() {
        return ("number".into(), None);
    }
    let Ok(text) = c.str() else {
        return (c.dtype().to_string(), None);
    };
    let values: Vec<&str> = text
        .iter()
        .flatten()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .take(5000)
        .collect();
    if values.is_empty() {
        return ("empty".into(), None);
    }
    match numbers::infer(values.iter().copied(), semicolon) {
        Ok(f) if values.iter().all(|v| numbers::parse(v, f).is_some()) => {
            let integer = f.is_plain() && values.iter().all(|v| v.parse::<i64>().is_ok());
            let kind = if integer { "integer" } else { "number" };
            (kind.into(), (!f.is_plain()).then(|| f.describe()))
        }
        Ok(f) if numeric_role => (
            "number".into(),
            Some(format!("{} (some values are not numbers)", f.describe())),
        ),
        Err(m) if numeric_role => (
            "number".into(),
            Some(format!(
                "mixed decimal marks ({:?} and {:?})",
                m.point, m.comma
            )),
        ),
        _ => ("text".into(), None),
    }
}
