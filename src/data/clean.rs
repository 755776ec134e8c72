//! Cleaning real-world logs: every row ends as a purchase, a return, or a counted reason for
//! leaving it out. Nothing is dropped silently.

use anyhow::Result;
use polars::prelude::*;

use super::frame;
use super::read::{Duplicates, RawFile};
use super::report::LoadReport;
use super::roles::{Role, RoleMap};
use crate::bail_input;
use crate::error::first_line;

/// Date spellings tried, most specific first; the ones that fit a sample of the column are used.
const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
];
const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%Y%m%d"];

/// Why a row is not a purchase line (0 means it is one).
mod fate {
    pub const PURCHASE: i32 = 0;
    pub const MISSING_DATE: i32 = 1;
    pub const BAD_DATE: i32 = 2;
    pub const RETURN: i32 = 3;
    pub const BAD_NUMBER: i32 = 4;
    pub const ZERO_QUANTITY: i32 = 5;
    pub const NONPOSITIVE_PRICE: i32 = 6;
}

/// Microseconds in a day: a datetime with a remainder carries a time of day.
const DAY_US: i64 = 86_400_000_000;

/// Purchase lines and returns with canonical column names (see [`Role::key`]).
pub struct CleanLines {
    pub purchases: DataFrame,
    pub returns: DataFrame,
    /// Some purchase carries a time of day (not all midnight).
    pub has_time: bool,
}

/// The lines' integer order column: equal codes for equal order ids, numbered in the order
/// orders first appear. Distinct orders are counted on it (hashing a million text ids is
/// most of an EDA table's time), and an order is a run of lines exactly when its code never
/// descends.
pub const ORDER_CODE: &str = "order_code";

/// Adds [`ORDER_CODE`] where the lines lack it. Order ids in ascending order (the usual log)
/// are coded by counting changes, with no hashing; others by one key-only join.
fn with_order_codes(mut purchases: DataFrame) -> Result<DataFrame> {
    if purchases.column(ORDER_CODE).is_ok() {
        return Ok(purchases);
    }
    let id = || col(Role::Order.key());
    let previous = || id().shift(lit(1));
    // One pass: where each id differs from the one before, and whether any id descends or
    // is missing (then runs are not orders, and the join codes them).
    let runs = purchases
        .clone()
        .lazy()
        .select([
            id().neq(previous())
                .fill_null(lit(true))
                .cast(DataType::UInt8)
                .alias("c"),
            id().lt(previous())
                .fill_null(lit(false))
                .any(true)
                .or(id().null_count().gt(lit(0)))
                .alias("unordered"),
        ])
        .collect()?;
    if runs.column("unordered")?.bool()?.get(0) == Some(false) {
        // A code per run of equal ids: a running count of the lines where the id changes.
        let mut next = 0u32;
        let codes: Vec<u32> = runs
            .column("c")?
            .u8()?
            .into_no_null_iter()
            .map(|c| {
                next += u32::from(c);
                next - 1
            })
            .collect();
        purchases.with_column(Column::new(ORDER_CODE.into(), codes))?;
        return Ok(purchases);
    }
    let dict = purchases
        .select([Role::Order.key()])?
        .lazy()
        .unique_stable(None, UniqueKeepStrategy::First)
        .with_row_index(ORDER_CODE, None);
    let codes = super::codes_for(&purchases, &dict, Role::Order.key(), ORDER_CODE)?;
    purchases.with_column(codes)?;
    Ok(purchases)
}

/// A column as text with surrounding whitespace removed: how every text attribute is read.
/// `padded` is [`RawFile::padded`]: unpadded text is used as it is (trimming copies it).
pub fn text_expr(column: &str, padded: bool) -> Expr {
    let text = col(column).cast(DataType::String);
    if padded {
        text.str().strip_chars(lit(NULL))
    } else {
        text
    }
}

/// Ids are text: trimmed, "17850.0" written as "17850", empty as missing. `floats` says the
/// column holds some float-written ids (the regex is skipped otherwise: it is the slow part).
/// Unpadded text has no blank ids (the reader reads empty fields as missing).
pub fn id_expr(column: &str, dtype: &DataType, floats: bool, padded: bool) -> Expr {
    let text = match dtype {
        DataType::Float32 | DataType::Float64 => {
            col(column).cast(DataType::Int64).cast(DataType::String)
        }
        _ => col(column).cast(DataType::String),
    };
    let string = dtype == &DataType::String;
    let padded = padded && string;
    let s = if padded {
        text.str().strip_chars(lit(NULL))
    } else {
        text
    };
    let s = if floats && string {
        s.str().replace(lit(FLOAT_ID), lit("${1}"), false)
    } else {
        s
    };
    if padded || floats {
        when(s.clone().eq(lit("")))
            .then(lit(NULL).cast(DataType::String))
            .otherwise(s)
    } else {
        s
    }
}

/// An integer id written as a float: "17850.0".
const FLOAT_ID: &str = r"^\s*(-?\d+)\.0+\s*$";

/// Which text columns contain a '.' anywhere: only those can hold float-written ids.
pub fn columns_with_dots(df: &DataFrame, columns: &[&str]) -> Result<Vec<bool>> {
    columns
        .iter()
        .map(|c| match df.column(c) {
            Ok(c) if c.dtype() == &DataType::String => {
                Ok(c.str()?.downcast_iter().any(|a| views_have_byte(a, b'.')))
            }
            _ => Ok(false),
        })
        .collect()
}

/// Whether some value of a string array holds `byte`, read off its views: a short value sits
/// in its view, a long one in a data buffer (polars' `contains_literal` runs a regex per
/// value, and this probe runs on every id column of every load: "clean: id probes" in
/// SEGSCOPE_TIMINGS). A missing
/// value's view may be read too: a false "yes" only costs the float-id regex its skip.
fn views_have_byte(array: &<StringType as PolarsDataType>::Array, byte: u8) -> bool {
    let buffers = array.data_buffers();
    array.views().iter().any(|v| {
        let len = v.length as usize;
        if len <= 12 {
            let mut inline = [0u8; 12];
            inline[..4].copy_from_slice(&v.prefix.to_le_bytes());
            inline[4..8].copy_from_slice(&v.buffer_idx.to_le_bytes());
            inline[8..].copy_from_slice(&v.offset.to_le_bytes());
            inline[..len].contains(&byte)
        } else {
            let start = v.offset as usize;
            buffers
                .get(v.buffer_idx as usize)
                .and_then(|b| b.get(start..start + len))
                .is_none_or(|value| memchr::memchr(byte, value).is_some())
        }
    })
}

/// Rows whose id is written as a float ("17850.0").
fn float_id_expr(column: &str, dtype: &DataType) -> Expr {
    match dtype {
        DataType::Float32 | DataType::Float64 => col(column).is_not_null(),
        DataType::String => col(column).str().contains(lit(FLOAT_ID), false),
        _ => lit(false),
    }
}

/// Numbers: text is trimmed and parsed; what does not parse becomes missing (and is counted).
fn number_expr(column: &str, dtype: &DataType) -> Expr {
    match dtype {
        DataType::String => col(column)
            .str()
            .strip_chars(lit(NULL))
            .cast(DataType::Float64),
        _ => col(column).cast(DataType::Float64),
    }
}

fn strptime(expr: Expr, format: &str, date_only: bool) -> Expr {
    let options = StrptimeOptions {
        format: Some(format.into()),
        strict: false,
        exact: true,
        cache: false,
    };
    if date_only {
        expr.str()
            .to_date(options)
            .cast(DataType::Datetime(TimeUnit::Microseconds, None))
    } else {
        expr.str()
            .to_datetime(Some(TimeUnit::Microseconds), None, options, lit("raise"))
    }
}

/// A column's dates as [`date_expr`] reads them.
pub struct Dates {
    pub expr: Expr,
    /// Every value that is there parsed: the dates are missing exactly where the text is.
    pub exact: bool,
    /// The dates already parsed, one per row, when `expr` is them as a literal.
    parsed: Option<Series>,
}

impl Dates {
    /// The dates as an expression on `df` cut into slices: parsed dates become a column of
    /// `df` named `name` (a literal would not follow the slices).
    fn on(self, df: &mut DataFrame, name: &str) -> Result<Expr> {
        match self.parsed {
            Some(parsed) => {
                df.with_column(parsed.with_name(name.into()).into_column())?;
                Ok(col(name))
            }
            None => Ok(self.expr),
        }
    }
}

/// Rows whose values choose a date column's formats: the first this many non-empty values.
const DATE_SAMPLE: usize = 2000;

/// The date expression for a column: formats are chosen on a sample of its values, then
/// tried in that order. Fails (as bad input) when no known format fits any sampled value.
pub fn date_expr(
    df: &DataFrame,
    file: &str,
    column: &str,
    role: Role,
    padded: bool,
) -> Result<Dates> {
    let dtype = df.column(column)?.dtype().clone();
    match dtype {
        DataType::Date | DataType::Datetime(_, _) => {
            return Ok(Dates {
                expr: col(column).cast(DataType::Datetime(TimeUnit::Microseconds, None)),
                exact: true,
                parsed: None,
            });
        }
        DataType::String => {}
        _ => bail_input!(
            "{file}: column {column:?} ({}) holds {dtype} values, not dates; point --map {}=COLUMN at a date column",
            role.key(),
            role.key()
        ),
    }
    let text = text_expr(column, padded);
    // The first values, from the first rows when they hold enough (no pass over the column).
    let sample_of = |rows: &DataFrame| -> PolarsResult<DataFrame> {
        rows.clone()
            .lazy()
            .select([text.clone().alias("v")])
            .drop_nulls(None)
            .filter(col("v").neq(lit("")))
            .limit(DATE_SAMPLE as IdxSize)
            .collect()
    };
    let mut sample = sample_of(&df.slice(0, 10 * DATE_SAMPLE))?;
    if sample.height() < DATE_SAMPLE && df.height() > 10 * DATE_SAMPLE {
        sample = sample_of(df)?;
    }
    if sample.height() == 0 {
        return Ok(Dates {
            expr: lit(NULL).cast(DataType::Datetime(TimeUnit::Microseconds, None)),
            exact: false,
            parsed: None,
        });
    }
    let candidates: Vec<(&str, bool)> = DATETIME_FORMATS
        .iter()
        .map(|f| (*f, false))
        .chain(DATE_FORMATS.iter().map(|f| (*f, true)))
        .collect();
    let tries: Vec<Expr> = candidates
        .iter()
        .enumerate()
        .map(|(i, (f, d))| {
            strptime(col("v"), f, *d)
                .is_not_null()
                .cast(DataType::UInt32)
                .sum()
                .alias(format!("f{i}"))
        })
        .collect();
    let sampled = sample.height();
    let hits = sample.lazy().select(tries).collect()?;
    let mut ranked: Vec<(u32, usize)> = Vec::new();
    for i in 0..candidates.len() {
        let n = hits.column(&format!("f{i}"))?.u32()?.get(0).unwrap_or(0);
        if n > 0 {
            ranked.push((n, i));
        }
    }
    if ranked.is_empty() {
        let first = df
            .column(column)?
            .str()?
            .iter()
            .flatten()
            .next()
            .unwrap_or("")
            .chars()
            .take(40)
            .collect::<String>();
        bail_input!(
            "{file}: column {column:?} ({}) does not parse as dates (first value {first:?}); expected ISO like 2024-03-31 or 2024-03-31 14:05:00, or M/D/YYYY H:MM; point --map {}=COLUMN at the right column",
            role.key(),
            role.key()
        );
    }
    // Most successful first; ties keep the more specific format.
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // Usually the best format fits every value: parse once with it and keep the result,
    // instead of coalescing every candidate format over every row.
    if ranked[0].0 as usize == sampled {
        let (format, date_only) = candidates[ranked[0].1];
        let parsed = in_slices(df, |lines| {
            lines.select([
                text.clone().alias("t"),
                strptime(text.clone(), format, date_only).alias("d"),
            ])
        })?;
        let misses = parsed
            .clone()
            .lazy()
            .select([col("d")
                .is_null()
                .and(col("t").is_not_null())
                .and(col("t").neq(lit("")))
                .cast(DataType::UInt32)
                .sum()
                .alias("n")])
            .collect()?;
        if frame::first_count(&misses, "n")? == 0 {
            let parsed = parsed.column("d")?.as_materialized_series().clone();
            return Ok(Dates {
                expr: lit(parsed.clone()),
                exact: true,
                parsed: Some(parsed),
            });
        }
    }
    let parsers: Vec<Expr> = ranked
        .iter()
        .map(|&(_, i)| strptime(text.clone(), candidates[i].0, candidates[i].1))
        .collect();
    Ok(Dates {
        expr: if parsers.len() == 1 {
            parsers.into_iter().next().unwrap_or(lit(NULL))
        } else {
            coalesce(&parsers)
        },
        exact: false,
        parsed: None,
    })
}

/// Rows per slice of [`in_slices`] at least (below, one slice).
const SLICE_ROWS_MIN: usize = 100_000;

/// `query` (elementwise steps only) over `df` cut into one slice per core, run side by side:
/// polars runs the expressions of a select in parallel, but each over its whole column on one
/// core (the date parse, and the lines' fates, were the longest single steps of cleaning).
fn in_slices(df: &DataFrame, query: impl Fn(LazyFrame) -> LazyFrame) -> PolarsResult<DataFrame> {
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let parts = threads.min(df.height() / SLICE_ROWS_MIN).max(1);
    if parts == 1 {
        return query(df.clone().lazy()).collect();
    }
    let step = df.height().div_ceil(parts);
    let slices: Vec<LazyFrame> = (0..parts)
        .map(|p| query(df.slice((p * step) as i64, step).lazy()))
        .collect();
    concat(slices, UnionArgs::default())?.collect()
}

/// The rows of `df` (one per line of the file) that repeat no earlier line.
fn without_repeats(df: DataFrame, repeats: &[bool]) -> Result<DataFrame> {
    if !repeats.contains(&true) {
        return Ok(df);
    }
    let keep: BooleanChunked = repeats.iter().map(|r| !r).collect();
    Ok(df.filter(&keep)?)
}

/// Which rows of `df` repeat an earlier row in `columns` (by `__row`, its row number).
fn repeated_rows(df: &DataFrame, columns: Vec<PlSmallStr>) -> Result<Vec<bool>> {
    let mut with_row = columns.clone();
    with_row.push("__row".into());
    let subset: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    let kept =
        df.select(with_row)?
            .unique_stable(Some(&subset), UniqueKeepStrategy::First, None)?;
    let mut repeats = vec![true; df.height()];
    for row in kept.column("__row")?.idx()?.into_no_null_iter() {
        repeats[row as usize] = false;
    }
    Ok(repeats)
}

/// Cleans a transaction file into purchases and returns, filling `report`.
/// Takes the raw file by value: its text columns are freed as soon as the typed ones exist.
pub fn clean_lines(raw: RawFile, roles: &RoleMap, report: &mut LoadReport) -> Result<CleanLines> {
    let RawFile {
        name,
        df: raw_df,
        duplicates,
        padded,
        ..
    } = raw;
    let file = name.as_str();
    let schema = raw_df.schema().clone();
    let dtype = |c: &str| schema.get(c).cloned().unwrap_or(DataType::String);

    let _t = crate::timing::phase("clean_lines");
    let before = raw_df.height();
    report.rows_read += before;
    // Exact copies: known from the bytes when lines are rows, else found by comparing parsed
    // rows. Where the bytes' scan is sure to give a mask, it is waited for only once the
    // typed columns exist (copies change none of the checks before: each asks whether any
    // value is of some kind), so it runs on while the first steps leave a core idle.
    let (df, late) = if duplicates.sure {
        (raw_df, Some(duplicates))
    } else {
        let t = crate::timing::phase("clean: dedupe");
        let df = match duplicates.wait() {
            Some(mask) => without_repeats(raw_df, &mask)?,
            None => raw_df.unique_stable(None, UniqueKeepStrategy::First, None)?,
        };
        report.duplicate_rows += before - df.height();
        drop(t);
        (df, None)
    };
    let mut df = df.with_row_index("__row".into(), None)?;
    let t = crate::timing::phase("clean: id probes");

    let Some(date_col) = roles.get(Role::Date) else {
        bail_input!("{file}: no date column found; name it with --map date=COLUMN");
    };
    let mut select: Vec<Expr> = Vec::new();
    let mut stats: Vec<Expr> = Vec::new();
    let id_roles: Vec<(Role, &str)> = [Role::Customer, Role::Order, Role::Product]
        .into_iter()
        .filter_map(|r| roles.get(r).map(|c| (r, c)))
        .collect();
    let id_columns: Vec<&str> = id_roles.iter().map(|(_, c)| *c).collect();
    let dots = columns_with_dots(&df, &id_columns)?;
    for (&(role, c), &floats) in id_roles.iter().zip(&dots) {
        select.push(id_expr(c, &dtype(c), floats, padded).alias(role.key()));
        let is_float = dtype(c).is_float();
        if floats || is_float {
            stats.push(
                float_id_expr(c, &dtype(c))
                    .fill_null(lit(false))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias(format!("float_{}", role.key())),
            );
        }
    }
    if !roles.has(Role::Order) {
        select.push(col("__row").cast(DataType::String).alias(Role::Order.key()));
        select.push(col("__row").cast(DataType::UInt32).alias(ORDER_CODE));
        report.notes.push(format!(
            "{file}: no order/invoice column, so each line counts as one order"
        ));
    }
    for role in [
        Role::ProductName,
        Role::Category,
        Role::Region,
        Role::CustomerName,
    ] {
        if let Some(c) = roles.get(role) {
            select.push(text_expr(c, padded).alias(role.key()));
        }
    }
    drop(t);
    let t = crate::timing::phase("clean: dates");
    if let Some(c) = roles.get(Role::SignupDate) {
        let signup = date_expr(&df, file, c, Role::SignupDate, padded)?;
        select.push(
            signup
                .on(&mut df, "__signup_parsed")?
                .alias(Role::SignupDate.key()),
        );
    }
    let dates = date_expr(&df, file, date_col, Role::Date, padded)?;
    let exact_dates = dates.exact;
    select.push(dates.on(&mut df, "__date_parsed")?.alias(Role::Date.key()));
    // A missing date and one that does not parse are told apart by the text, unless every
    // date there parsed.
    let missing_date = if exact_dates {
        col(Role::Date.key()).is_null()
    } else {
        select.push(text_expr(date_col, padded).alias("__date_raw"));
        col("__date_raw")
            .is_null()
            .or(col("__date_raw").eq(lit("")))
    };

    let qty = roles.get(Role::Quantity).map(|c| number_expr(c, &dtype(c)));
    let price = roles
        .get(Role::UnitPrice)
        .map(|c| number_expr(c, &dtype(c)));
    let amount = roles.get(Role::Amount).map(|c| number_expr(c, &dtype(c)));
    let (qty, price, amount) = match (qty, price, amount) {
        (q, Some(p), Some(a)) => (q.unwrap_or(lit(1.0)), p, a),
        (Some(q), Some(p), None) => (q.clone(), p.clone(), q * p),
        (Some(q), None, Some(a)) => (
            q.clone(),
            when(q.clone().neq(lit(0.0)))
                .then(a.clone() / q)
                .otherwise(lit(NULL).cast(DataType::Float64)),
            a,
        ),
        (None, None, Some(a)) => (lit(1.0), a.clone(), a),
        (None, Some(p), None) => (lit(1.0), p.clone(), p),
        (_, None, None) => bail_input!(
            "{file}: no unit price or line amount column found; name one with --map unit_price=COLUMN or --map amount=COLUMN"
        ),
    };
    if !roles.has(Role::Quantity) {
        report.notes.push(format!(
            "{file}: no quantity column, so each line counts as one unit"
        ));
    }
    if !roles.has(Role::Amount) {
        report.notes.push(format!(
            "{file}: line amount derived as quantity x unit price"
        ));
    }
    select.push(qty.alias(Role::Quantity.key()));
    select.push(price.alias(Role::UnitPrice.key()));
    select.push(amount.alias(Role::Amount.key()));

    drop(t);
    let t = crate::timing::phase("clean: typed");
    // Cancelled orders ("C536379") are found by a regex, run only where some order id starts
    // with a C (holds one, when values may be padded): a byte test is many times cheaper.
    let may_cancel = match roles.get(Role::Order) {
        Some(c) if dtype(c) == DataType::String => {
            let has = |letter: &str| {
                if padded {
                    col(c).str().contains_literal(lit(letter))
                } else {
                    col(c).str().starts_with(lit(letter))
                }
            };
            let hit = df
                .clone()
                .lazy()
                .select([has("C").or(has("c")).any(true).alias("c")])
                .collect()?;
            hit.column("c")?.bool()?.get(0).unwrap_or(false)
        }
        _ => false,
    };
    let cancelled = match roles.get(Role::Order) {
        Some(_) if may_cancel => col(Role::Order.key())
            .str()
            .contains(lit(r"^[Cc]\d"), false)
            .fill_null(lit(false)),
        _ => lit(false),
    };
    let is_return = cancelled.or(col("quantity").lt(lit(0.0)).fill_null(lit(false)));
    // Missing, unparseable ("N/A"), NaN and infinite values are all unusable numbers.
    let unusable = |c: &str| col(c).is_null().or(col(c).is_finite().not());
    let bad_number = unusable("quantity")
        .or(unusable("unit_price"))
        .or(unusable("amount"));
    let fate = when(missing_date)
        .then(lit(fate::MISSING_DATE))
        .when(col("date").is_null())
        .then(lit(fate::BAD_DATE))
        .when(is_return)
        .then(lit(fate::RETURN))
        .when(bad_number)
        .then(lit(fate::BAD_NUMBER))
        .when(col("quantity").eq(lit(0.0)))
        .then(lit(fate::ZERO_QUANTITY))
        .when(col("unit_price").lt_eq(lit(0.0)))
        .then(lit(fate::NONPOSITIVE_PRICE))
        .otherwise(lit(fate::PURCHASE))
        .alias("__fate");
    let typed = in_slices(&df, |lines| {
        lines.select(select.clone()).with_column(fate.clone())
    })
    .map_err(|e| {
        crate::error::input(format!(
            "{file}: cannot read its columns ({})",
            first_line(&e)
        ))
    })?;
    let (typed, df) = match late.map(Duplicates::wait) {
        None => (typed, df),
        Some(mask) => {
            let t = crate::timing::phase("clean: dedupe");
            // No mask after all (lines and rows differ somewhere): the parsed rows decide.
            let mask = match mask {
                Some(mask) => mask,
                None => repeated_rows(&df, schema.iter_names().cloned().collect())?,
            };
            let (typed, df) = (without_repeats(typed, &mask)?, without_repeats(df, &mask)?);
            report.duplicate_rows += before - typed.height();
            drop(t);
            (typed, df)
        }
    };

    drop(t);
    let t = crate::timing::phase("clean: fates");
    let counts = typed
        .clone()
        .lazy()
        .group_by([col("__fate")])
        .agg([len().alias("n")])
        .collect()?;
    let fates = frame::i64s(&counts, "__fate")?;
    for (f, n) in fates.iter().copied().zip(frame::counts(&counts, "n")?) {
        let n = n as usize;
        match f.unwrap_or(-1) as i32 {
            fate::MISSING_DATE => report.missing_date += n,
            fate::BAD_DATE => report.unparseable_date += n,
            fate::RETURN => report.return_lines += n,
            fate::BAD_NUMBER => report.bad_numbers += n,
            fate::ZERO_QUANTITY => report.zero_quantity += n,
            fate::NONPOSITIVE_PRICE => report.nonpositive_price += n,
            _ => {}
        }
    }
    if !stats.is_empty() {
        let s = df.clone().lazy().select(stats).collect()?;
        for name in s.get_column_names() {
            report.float_ids += frame::first_count(&s, name)?;
        }
    }
    drop(df);
    drop(t);
    let _t = crate::timing::phase("clean: split");

    let drop_helpers = |lf: LazyFrame| lf.drop(by_name(["__fate", "__date_raw"], false, false));
    // Clean data (every row a purchase) keeps its columns as they are: no filtered copy.
    let all_purchases = fates.iter().all(|f| *f == Some(i64::from(fate::PURCHASE)));
    let (purchases, returns) = if all_purchases {
        let empty = typed.clear();
        (
            drop_helpers(typed.lazy()).collect()?,
            drop_helpers(empty.lazy()).collect()?,
        )
    } else {
        (
            drop_helpers(
                typed
                    .clone()
                    .lazy()
                    .filter(col("__fate").eq(lit(fate::PURCHASE))),
            )
            .collect()?,
            drop_helpers(typed.lazy().filter(col("__fate").eq(lit(fate::RETURN)))).collect()?,
        )
    };
    if purchases.height() == 0 {
        bail_input!(
            "{file}: no purchase rows left after cleaning ({} read; {})",
            report.rows_read,
            report.summary()
        );
    }
    let purchases = with_order_codes(purchases)?;
    let stats = purchases
        .clone()
        .lazy()
        .select([
            col("customer_id")
                .is_null()
                .cast(DataType::UInt32)
                .sum()
                .alias("no_customer"),
            (col("date").cast(DataType::Int64) % lit(DAY_US))
                .neq(lit(0))
                .any(true)
                .alias("has_time"),
        ])
        .collect()?;
    report.missing_customer += frame::first_count(&stats, "no_customer")?;
    let has_time = stats.column("has_time")?.bool()?.get(0).unwrap_or(false);
    report.purchase_lines += purchases.height();
    Ok(CleanLines {
        purchases,
        returns,
        has_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_rows_are_found_on_the_named_columns_by_row_number() {
        let df = df!(
            "a" => [Some("1"), Some("2"), Some("1"), None, None, Some("1")],
            "b" => [1.0, 2.0, 1.0, 3.0, 3.0, 9.0],
            "parsed" => [0i64, 1, 2, 3, 4, 5],
        )
        .unwrap()
        .with_row_index("__row".into(), None)
        .unwrap();
        // "parsed" differs on every row but is not one of the file's columns.
        let repeats = repeated_rows(&df, vec!["a".into(), "b".into()]).unwrap();
        assert_eq!(repeats, vec![false, false, true, false, true, false]);
        let kept = without_repeats(df, &repeats).unwrap();
        assert_eq!(kept.height(), 4);
    }

    #[test]
    fn dots_are_found_in_short_and_long_ids_and_after_filters() {
        let long = "a-customer-id-longer-than-twelve";
        let df = df!(
            "none" => [Some("17850"), None, Some(long)],
            "short" => [Some("1"), Some("17850.0"), None],
            "long" => [Some("1"), None, Some("a-customer-id-longer-than-12.0")],
            "edge" => [Some("123456789012"), Some("12345678901."), Some(".")],
            "number" => [1.5, 2.0, 3.0],
        )
        .unwrap();
        let cols = ["none", "short", "long", "edge", "number", "absent"];
        assert_eq!(
            columns_with_dots(&df, &cols).unwrap(),
            vec![false, true, true, true, false, false]
        );
        // Chunks of appended frames, and a slice whose dotted rows were cut off (its views
        // no longer reach them).
        let mut two = df.clone();
        two.vstack_mut(&df).unwrap();
        assert!(columns_with_dots(&two, &cols).unwrap()[1]);
        let sliced = df.slice(0, 1);
        assert_eq!(
            columns_with_dots(&sliced, &cols).unwrap(),
            vec![false, false, false, false, false, false]
        );
    }

    fn codes(ids: &[Option<&str>]) -> Vec<Option<u32>> {
        let df = DataFrame::new(
            ids.len(),
            vec![Column::new(Role::Order.key().into(), ids.to_vec())],
        )
        .unwrap();
        let coded = with_order_codes(df).unwrap();
        coded
            .column(ORDER_CODE)
            .unwrap()
            .u32()
            .unwrap()
            .iter()
            .collect()
    }

    #[test]
    fn order_codes_count_runs_of_ascending_ids_and_join_the_rest() {
        // Ascending: one code per run.
        assert_eq!(
            codes(&[Some("A"), Some("A"), Some("B"), Some("C"), Some("C")]),
            [Some(0), Some(0), Some(1), Some(2), Some(2)]
        );
        // Not ascending: numbered by first appearance, equal ids equal codes.
        assert_eq!(
            codes(&[Some("B"), Some("A"), Some("B"), Some("C")]),
            [Some(0), Some(1), Some(0), Some(2)]
        );
        // A missing id has no code, and the rest keep theirs.
        assert_eq!(
            codes(&[Some("A"), None, Some("B")]),
            [Some(0), None, Some(2)]
        );
    }
}
