//! DESIGN.md layout 3: a customer-level table (one row per customer, numeric feature columns),
//! e.g. aggregated upstream by Spark or DuckDB when the raw log is too large for one machine.
//! Segments and lookalikes run on it directly; it has no transactions for EDA or trends.

use anyhow::Result;
use polars::prelude::*;

use super::clean::text_expr;
use super::frame;
use super::read::RawFile;
use super::report::LoadReport;
use super::roles::{Role, RoleMap};
use crate::bail_input;

/// A table of customers: `customer_id` then one f64 column per numeric feature, sorted by id;
/// `attributes` holds `customer_id` and, where present, `customer_name` and `region`.
#[derive(Clone)]
pub struct CustomerTable {
    pub features: DataFrame,
    pub attributes: DataFrame,
}

impl CustomerTable {
    /// The feature columns, in order.
    pub fn feature_names(&self) -> Vec<String> {
        self.features
            .get_column_names()
            .iter()
            .skip(1)
            .map(|s| s.to_string())
            .collect()
    }
}

/// Whether a file without a date column is a customer table: it names customers, and each
/// customer appears once.
pub fn looks_like_table(raw: &RawFile, roles: &RoleMap) -> Result<bool> {
    let (Some(id), None) = (roles.get(Role::Customer), roles.get(Role::Date)) else {
        return Ok(false);
    };
    let probe = raw
        .df
        .clone()
        .lazy()
        .select([
            col(id).drop_nulls().n_unique().alias("distinct"),
            col(id).drop_nulls().len().alias("rows"),
        ])
        .collect()?;
    Ok(frame::first_count(&probe, "distinct")? == frame::first_count(&probe, "rows")?)
}

/// The roles a customer table keeps beside its features, as attributes.
const ATTRIBUTE_ROLES: [Role; 2] = [Role::CustomerName, Role::Region];

/// Reads a customer table: every column other than the id, name and region that holds only
/// numbers becomes a feature; rows with a missing or non-finite feature are dropped and counted.
pub fn load_table(raw: RawFile, roles: &RoleMap, report: &mut LoadReport) -> Result<CustomerTable> {
    let file = raw.name.as_str();
    report.rows_read += raw.df.height();
    let (features, ignored) = numeric_columns(&raw, roles)?;
    if features.is_empty() {
        bail_input!(
            "{file}: a customer table (no date column) needs numeric feature columns, and none of {} holds only numbers; for a transaction log name the date column with --map date=COLUMN",
            raw.headers().join(", ")
        );
    }
    if !ignored.is_empty() {
        report.notes.push(format!(
            "{file}: customer table; columns left out of the features (not all numbers): {}",
            ignored.join(", ")
        ));
    }
    let kept = usable_rows(raw.df, raw.padded, roles, &features, report)?;
    if kept.height() == 0 {
        bail_input!(
            "{file}: no customer row has every feature as a finite number ({} rows read)",
            report.rows_read
        );
    }
    report.purchase_lines = 0;
    split_table(kept, roles, &features)
}

/// A cell read as a number (null where its text is not one).
fn number(c: &str, padded: bool) -> Expr {
    text_expr(c, padded).cast(DataType::Float64)
}

/// The columns other than the id and the attributes, split into the features (some cell
/// filled, every filled cell a number) and the ignored rest, in the file's order. One query
/// counts, per column, the cells with text and those whose text is not a number.
fn numeric_columns(raw: &RawFile, roles: &RoleMap) -> Result<(Vec<String>, Vec<String>)> {
    let id = roles.get(Role::Customer).unwrap_or_default();
    let skip: Vec<&str> = std::iter::once(id)
        .chain(ATTRIBUTE_ROLES.iter().filter_map(|&r| roles.get(r)))
        .collect();
    let padded = raw.padded;
    let text = |c: &str| text_expr(c, padded);
    let candidates: Vec<String> = raw
        .headers()
        .into_iter()
        .filter(|h| !skip.contains(&h.as_str()))
        .collect();
    let mut probes = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let filled = text(c).is_not_null().and(text(c).neq(lit("")));
        probes.push(
            filled
                .clone()
                .cast(DataType::UInt32)
                .sum()
                .alias(format!("n{i}")),
        );
        probes.push(
            filled
                .and(number(c, padded).is_null())
                .cast(DataType::UInt32)
                .sum()
                .alias(format!("bad{i}")),
        );
    }
    let probe = raw.df.clone().lazy().select(probes).collect()?;
    let mut features: Vec<String> = Vec::new();
    let mut ignored: Vec<String> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let filled = frame::first_count(&probe, &format!("n{i}"))?;
        let bad = frame::first_count(&probe, &format!("bad{i}"))?;
        if filled > 0 && bad == 0 {
            features.push(c.clone());
        } else {
            ignored.push(c.clone());
        }
    }
    Ok((features, ignored))
}

/// `customer_id`, the features as numbers and the attributes, for the rows with an id and
/// every feature a finite number, sorted by id; the other rows are counted as bad numbers.
fn usable_rows(
    df: DataFrame,
    padded: bool,
    roles: &RoleMap,
    features: &[String],
    report: &mut LoadReport,
) -> Result<DataFrame> {
    let id = roles.get(Role::Customer).unwrap_or_default();
    let mut select = vec![text_expr(id, padded).alias("customer_id")];
    for f in features {
        select.push(number(f, padded).alias(f.as_str()));
    }
    for role in ATTRIBUTE_ROLES {
        if let Some(c) = roles.get(role) {
            select.push(text_expr(c, padded).alias(role.key()));
        }
    }
    let all = df.lazy().select(select).collect()?;
    let usable = features
        .iter()
        .map(|f| col(f.as_str()).is_finite().fill_null(lit(false)))
        .reduce(|a, b| a.and(b))
        .unwrap_or(lit(true))
        .and(col("customer_id").is_not_null())
        .and(col("customer_id").neq(lit("")));
    let kept = all.lazy().with_column(usable.alias("__usable")).collect()?;
    let bad = kept.height()
        - frame::first_count(
            &kept
                .clone()
                .lazy()
                .select([col("__usable").cast(DataType::UInt32).sum().alias("n")])
                .collect()?,
            "n",
        )?;
    report.bad_numbers += bad;
    Ok(kept
        .lazy()
        .filter(col("__usable"))
        .drop(by_name(["__usable"], true, false))
        .sort(["customer_id"], SortMultipleOptions::default())
        .collect()?)
}

/// The kept rows as the table's two frames: id and features, id and attributes.
fn split_table(kept: DataFrame, roles: &RoleMap, features: &[String]) -> Result<CustomerTable> {
    let mut feature_cols = vec![col("customer_id")];
    feature_cols.extend(features.iter().map(|f| col(f.as_str())));
    let mut attribute_cols = vec![col("customer_id")];
    for role in ATTRIBUTE_ROLES {
        if roles.has(role) {
            attribute_cols.push(col(role.key()));
        }
    }
    Ok(CustomerTable {
        features: kept.clone().lazy().select(feature_cols).collect()?,
        attributes: kept.lazy().select(attribute_cols).collect()?,
    })
}

/// The canonical (empty) transaction columns, for a dataset that has no transactions.
pub fn no_lines() -> DataFrame {
    let schema: Schema = [
        ("customer_id", DataType::String),
        ("order_id", DataType::String),
        ("order_code", DataType::UInt32),
        ("date", DataType::Datetime(TimeUnit::Microseconds, None)),
        ("quantity", DataType::Float64),
        ("unit_price", DataType::Float64),
        ("amount", DataType::Float64),
    ]
    .into_iter()
    .map(|(n, t)| Field::new(n.into(), t))
    .collect();
    DataFrame::empty_with_schema(&schema)
}
