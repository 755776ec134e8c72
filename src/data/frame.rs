//! The one bridge from polars columns to Rust vectors, for loading and analysis alike: small
//! aggregated frames come out of polars here and are shaped into tables and matrices in Rust.

use anyhow::Result;
use polars::prelude::*;

/// Whether `column` holds no missing value and each value is greater than the one before
/// (a file sorted by id): then its values are distinct, and their order is the sorted one.
pub fn strictly_ascending(df: &DataFrame, column: &str) -> Result<bool> {
    let out = df
        .clone()
        .lazy()
        .select([col(column)
            .gt(col(column).shift(lit(1)))
            .fill_null(lit(true))
            .all(true)
            .and(col(column).null_count().eq(lit(0)))
            .alias("ascending")])
        .collect()?;
    Ok(out.column("ascending")?.bool()?.get(0) == Some(true))
}

/// What a missing text cell reads as.
pub const UNKNOWN: &str = "(unknown)";

/// Text cells (missing ones as "(unknown)").
pub fn texts(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    let c = df.column(name)?.cast(&DataType::String)?;
    Ok(c.str()?
        .iter()
        .map(|v| v.unwrap_or(UNKNOWN).to_string())
        .collect())
}

/// Text cells, keeping missing ones as None.
pub fn opt_texts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    column_opt_texts(df.column(name)?)
}

/// [`opt_texts`] of a column already in hand.
pub fn column_opt_texts(c: &Column) -> Result<Vec<Option<String>>> {
    let c = c.cast(&DataType::String)?;
    Ok(c.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

/// Numbers as f64 (missing as 0).
pub fn nums(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().map(|v| v.unwrap_or(0.0)).collect())
}

/// Counts as u64 (missing as 0).
pub fn counts(df: &DataFrame, name: &str) -> Result<Vec<u64>> {
    let c = df.column(name)?.cast(&DataType::UInt64)?;
    Ok(c.u64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// Integers (dates as microseconds), keeping missing ones as None.
pub fn i64s(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}

/// The first value of a column as a count (a one-row aggregate of sums).
pub fn first_count(df: &DataFrame, name: &str) -> Result<usize> {
    Ok(counts(df, name)?.first().copied().unwrap_or(0) as usize)
}

/// The first number of a column (a one-row aggregate).
pub fn scalar(df: &DataFrame, name: &str) -> Result<f64> {
    Ok(nums(df, name)?.first().copied().unwrap_or(0.0))
}
