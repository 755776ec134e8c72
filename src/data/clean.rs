//! Cleaning real-world logs: every row ends as a purchase, a return, or a counted reason for
//! leaving it out. Nothing is dropped silently.

use anyhow::Result;
use polars::prelude::*;

use super::extras::{self, ExtraColumn, ExtraKind};
use super::formats::dates::{self, DateFormat};
use super::formats::numbers;
use super::frame;
use super::read::{Duplicates, RawFile};
use super::report::{Conversion, LoadReport};
use super::roles::{Role, RoleMap};
use crate::bail_input;
use crate::error::first_line;

/// Why a row is not a purchase line (0 means it is one).
mod fate {
    pub const PURCHASE: i32 = 0;
    pub const MISSING_DATE: i32 = 1;
    pub const BAD_DATE: i32 = 2;
    pub const RETURN: i32 = 3;
    pub const BAD_NUMBER: i32 = 4;
    pub const ZERO_QUANTITY: i32 = 5;
    pub const NONPOSITIVE_PRICE: i32 = 6;
    pub const OUT_OF_RANGE: i32 = 7;
}

/// The largest quantity, price or amount a line may carry: beyond it a value is an export
/// error (a sum of two such lines could overflow), never a sale.
pub const MAX_LINE_VALUE: f64 = 1e15;

/// Microseconds in a day: a datetime with a remainder carries a time of day.
const DAY_US: i64 = 86_400_000_000;

/// Purchase lines and returns with canonical column names (see [`Role::key`]).
pub struct CleanLines {
    pub purchases: DataFrame,
    pub returns: DataFrame,
    /// [`FreePurchases`]: the zero-price lines of known customers.
    pub free: DataFrame,
    /// Some purchase carries a time of day (not all midnight).
    pub has_time: bool,
    /// The columns no role took, and what each gives ([`ExtraColumn::key`] on the lines).
    pub extras: Vec<ExtraColumn>,
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

/// How a numeric role's column is read: plainly (the CSV parser's numbers), or, where its
/// values only read with a decimal comma, thousands separators, currency or parentheses, by
/// [`numbers::parse`] into a column `__num_ROLE` of `df`, named in the report.
fn number_column(
    df: &mut DataFrame,
    file: &str,
    column: &str,
    label: &str,
    semicolon: bool,
    report: &mut LoadReport,
) -> Result<Expr> {
    let dtype = df.column(column)?.dtype().clone();
    if dtype != DataType::String {
        return Ok(number_expr(column, &dtype));
    }
    let text = df.column(column)?.str()?.clone();
    let sample = spread_sample(&text, NUMBER_SAMPLE);
    let format = match numbers::infer(sample.iter().copied(), semicolon) {
        Ok(f) => f,
        Err(mixed) => bail_input!(
            "{file}: column {column:?} ({}) mixes decimal points and decimal commas ({:?} and {:?}); export it with one decimal mark",
            label,
            mixed.point,
            mixed.comma
        ),
    };
    if format.is_plain() {
        return Ok(number_expr(column, &dtype));
    }
    let example = sample
        .iter()
        .find(|v| v.trim().parse::<f64>().is_err() && numbers::parse(v, format).is_some())
        .map(|v| (v.to_string(), numbers::parse(v, format).unwrap_or(f64::NAN)));
    let values: Float64Chunked = text
        .iter()
        .map(|v| v.and_then(|v| numbers::parse(v, format)))
        .collect();
    let name = format!("__num_{label}");
    df.with_column(values.with_name(name.as_str().into()).into_column())?;
    report.conversions.push(Conversion {
        file: file.to_string(),
        column: column.to_string(),
        role: label.to_string(),
        what: format.describe(),
        example: example.map(|(v, n)| format!("{v:?} read as {n}")),
    });
    Ok(col(name.as_str()))
}

/// Values sampled for a column's number format.
const NUMBER_SAMPLE: usize = 5000;

/// Up to `n` non-empty values of `text`, trimmed: the first half from its start, the rest
/// spread evenly over the whole column, so a convention that shows only later is seen.
fn spread_sample(text: &StringChunked, n: usize) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .iter()
        .flatten()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .take(n / 2)
        .collect();
    let len = text.len();
    if len > n / 2 {
        let step = (len / (n / 2).max(1)).max(1);
        out.extend(
            (n / 2..len)
                .step_by(step)
                .filter_map(|i| text.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty()),
        );
    }
    out
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

/// Values sampled for a column's date format.
const DATE_SAMPLE: usize = 5000;

/// A column's dates as [`date_expr`] reads them.
pub struct Dates {
    pub expr: Expr,
    /// Every value that is there parsed: the dates are missing exactly where the text is.
    pub exact: bool,
    /// The dates already parsed, one per row.
    parsed: Option<Series>,
    /// The formats used (for the report and `inspect`).
    pub formats: Vec<DateFormat>,
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

/// What decides a date column's reading beyond its values.
#[derive(Clone, Copy, Debug, Default)]
pub struct DateHints<'a> {
    /// `--date-format`.
    pub flag: Option<&'a str>,
    /// The file is a spreadsheet: plain numbers are Excel serial dates.
    pub spreadsheet: bool,
}

/// The formats of a date column, decided from its values (see [`dates::infer`]), or the
/// `--date-format` given. Fails, as bad input, when no value settles day-first against
/// month-first, when no known format fits, or when the column holds no dates.
pub fn date_formats(
    df: &DataFrame,
    file: &str,
    column: &str,
    role: Role,
    hints: DateHints,
) -> Result<Vec<DateFormat>> {
    if let Some(flag) = hints.flag {
        return Ok(vec![DateFormat::from_flag(flag)]);
    }
    let c = df.column(column)?;
    if c.dtype().is_integer() {
        return epoch_format(c, file, column, role);
    }
    let text = c.str()?;
    let sample = spread_sample(text, DATE_SAMPLE);
    if sample.is_empty() {
        return Ok(vec![]);
    }
    let digits = sample.iter().all(|v| v.bytes().all(|b| b.is_ascii_digit()));
    if digits && sample.iter().any(|v| v.len() != 8) {
        let ints: Vec<i64> = sample.iter().filter_map(|v| v.parse().ok()).collect();
        if let Some(f) = dates::infer_epoch(&ints) {
            return Ok(vec![f]);
        }
    }
    // Excel serial numbers (1900-01-01 is 1; 9999-12-31 is 2958465): numbers a spreadsheet
    // shows as dates. YYYYMMDD numbers are far above that range.
    let serial = |v: &&str| {
        v.parse::<f64>()
            .is_ok_and(|x| (1.0..=2_958_465.0).contains(&x))
    };
    if hints.spreadsheet && sample.iter().all(serial) {
        return Ok(vec![DateFormat::ExcelSerial]);
    }
    let mut decision = dates::infer(&sample);
    if matches!(decision, dates::Decision::Ambiguous { .. }) {
        // The sample did not settle the order: every distinct value may.
        let distinct = c.unique()?;
        let all: Vec<&str> = distinct
            .str()?
            .iter()
            .flatten()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        decision = dates::infer(&all);
    }
    decided(decision, file, column, role, sample[0])
}

/// An integer date column: Unix epoch seconds or milliseconds, told by the values' size.
fn epoch_format(c: &Column, file: &str, column: &str, role: Role) -> Result<Vec<DateFormat>> {
    let ints: Vec<i64> = c
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .flatten()
        .take(DATE_SAMPLE)
        .collect();
    match dates::infer_epoch(&ints) {
        Some(f) => Ok(vec![f]),
        None => bail_input!(
            "{file}: column {column:?} ({}) holds integers that are not Unix epoch seconds or milliseconds of the years 1973 to {} (first {:?}); give --date-format or point --map {}=COLUMN at a date column",
            role.key(),
            dates::next_year(),
            ints.first().copied().unwrap_or(0),
            role.key()
        ),
    }
}

/// The formats a decision gives, or the refusal that names both readings, the mixed values
/// or the formats understood, with `--date-format`.
fn decided(
    decision: dates::Decision,
    file: &str,
    column: &str,
    role: Role,
    first: &str,
) -> Result<Vec<DateFormat>> {
    let key = role.key();
    match decision {
        dates::Decision::Formats(f) => Ok(f),
        dates::Decision::Ambiguous {
            value,
            day_first,
            month_first,
        } => bail_input!(
            "{file}: column {column:?} ({key}): no value settles day-first against month-first: {value:?} reads as {} ({}) or {} ({}); give the format with --date-format {} or --date-format {}",
            dates::spoken(&day_first.1),
            day_first.0.name(),
            dates::spoken(&month_first.1),
            month_first.0.name(),
            day_first.0.name(),
            month_first.0.name()
        ),
        dates::Decision::Conflict {
            day_first,
            month_first,
        } => bail_input!(
            "{file}: column {column:?} ({key}) mixes day-first ({day_first:?}) and month-first ({month_first:?}) dates; give the format with --date-format, e.g. --date-format %d/%m/%Y"
        ),
        dates::Decision::Unknown => {
            let first: String = first.chars().take(40).collect();
            bail_input!(
                "{file}: column {column:?} ({key}) does not parse as dates (first value {first:?}); expected ISO like 2024-03-31 14:05:00, D/M/Y or M/D/Y, YYYYMMDD, 01-Dec-2010 or Unix epoch seconds; give the format with --date-format FMT (chrono syntax, e.g. %d.%m.%Y) or point --map {key}=COLUMN at the right column"
            )
        }
    }
}

/// Whether polars' own parser reads `f` as chrono does (numbers only: no month names,
/// two-digit years, 12-hour clocks or offsets), so the fast, sliced parse can be used.
fn polars_reads(f: &DateFormat) -> bool {
    match f {
        DateFormat::Text { fmt, offset, .. } => {
            !offset
                && !["%y", "%B", "%b", "%p", "%I", "%a", "%z"]
                    .iter()
                    .any(|t| fmt.contains(t))
        }
        _ => false,
    }
}

/// The date expression for a column: formats are decided from its values (or given), every
/// row is parsed, and a parse that yields a year outside 1900..next year is refused.
pub fn date_expr(
    df: &DataFrame,
    file: &str,
    column: &str,
    role: Role,
    padded: bool,
    hints: DateHints,
) -> Result<Dates> {
    let dtype = df.column(column)?.dtype().clone();
    match dtype {
        DataType::Date | DataType::Datetime(_, _) => {
            return Ok(Dates {
                expr: col(column).cast(DataType::Datetime(TimeUnit::Microseconds, None)),
                exact: true,
                parsed: None,
                formats: vec![],
            });
        }
        DataType::String => {}
        d if d.is_integer() => {}
        _ => bail_input!(
            "{file}: column {column:?} ({}) holds {dtype} values, not dates; point --map {}=COLUMN at a date column",
            role.key(),
            role.key()
        ),
    }
    let formats = date_formats(df, file, column, role, hints)?;
    if formats.is_empty() {
        return Ok(Dates {
            expr: lit(NULL).cast(DataType::Datetime(TimeUnit::Microseconds, None)),
            exact: false,
            parsed: None,
            formats,
        });
    }
    let parsed = if formats.iter().all(polars_reads) {
        parse_in_polars(df, column, padded, &formats)?
    } else {
        parse_in_rust(df.column(column)?, &formats)?
    };
    check_years(df, file, column, role, &parsed, &formats)?;
    // Empty fields are read as missing, so equal null counts mean every value parsed.
    let exact = parsed.null_count() == df.column(column)?.null_count();
    Ok(Dates {
        expr: lit(parsed.clone()),
        exact,
        parsed: Some(parsed),
        formats,
    })
}

/// Parses every value with the first of `formats` (all ones polars reads) that reads it, by
/// polars' strptime in slices.
fn parse_in_polars(
    df: &DataFrame,
    column: &str,
    padded: bool,
    formats: &[DateFormat],
) -> Result<Series> {
    let text = text_expr(column, padded);
    let parsers: Vec<Expr> = formats
        .iter()
        .filter_map(|f| match f {
            DateFormat::Text { fmt, date_only, .. } => {
                Some(strptime(text.clone(), fmt, *date_only))
            }
            _ => None,
        })
        .collect();
    let expr = if parsers.len() == 1 {
        parsers.into_iter().next().unwrap_or(lit(NULL))
    } else {
        coalesce(&parsers)
    };
    Ok(
        in_slices(df, |lines| lines.select([expr.clone().alias("d")]))?
            .column("d")?
            .as_materialized_series()
            .clone(),
    )
}

/// Parses every value with the first of `formats` that reads it, into microsecond datetimes.
fn parse_in_rust(c: &Column, formats: &[DateFormat]) -> Result<Series> {
    let text = c.cast(&DataType::String)?;
    let values: Int64Chunked = text
        .str()?
        .iter()
        .map(|v| {
            let v = v?;
            formats
                .iter()
                .find_map(|f| dates::parse(v, f))
                .map(|d| d.and_utc().timestamp_micros())
        })
        .collect();
    Ok(values
        .into_series()
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))?)
}

/// Refuses dates outside 1900..next year: a misread format, never data.
fn check_years(
    df: &DataFrame,
    file: &str,
    column: &str,
    role: Role,
    parsed: &Series,
    formats: &[DateFormat],
) -> Result<()> {
    let micros = parsed.cast(&DataType::Int64)?;
    let micros = micros.i64()?;
    let low = chrono::NaiveDate::from_ymd_opt(1900, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(i64::MIN, |d| d.and_utc().timestamp_micros());
    let high = chrono::NaiveDate::from_ymd_opt(dates::next_year() + 1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(i64::MAX, |d| d.and_utc().timestamp_micros());
    let (Some(min), Some(max)) = (micros.min(), micros.max()) else {
        return Ok(());
    };
    if min >= low && max < high {
        return Ok(());
    }
    let Some(row) = micros
        .iter()
        .position(|v| v.is_some_and(|v| v < low || v >= high))
    else {
        return Ok(());
    };
    let value = df
        .column(column)?
        .cast(&DataType::String)?
        .str()?
        .get(row)
        .unwrap_or("")
        .trim()
        .to_string();
    let year = chrono::DateTime::from_timestamp_micros(micros.get(row).unwrap_or(0))
        .map_or(0, |d| chrono::Datelike::year(&d));
    let tried: Vec<String> = formats.iter().map(DateFormat::name).collect();
    bail_input!(
        "{file}: column {column:?} ({}): {value:?} read with {} gives the year {year}, outside 1900-{}; give the right format with --date-format FMT (e.g. --date-format %d/%m/%y for 03/01/19)",
        role.key(),
        tried.join(" or "),
        dates::next_year()
    )
}

/// Rows per slice of [`in_slices`] at least (below, one slice).
const SLICE_ROWS_MIN: usize = 100_000;

/// `query` (elementwise steps only) over `df` cut into one slice per core, run side by side:
/// polars runs the expressions of a select in parallel, but each over its whole column on one
/// core (the date parse, and the lines' fates, were the longest single steps of cleaning).
fn in_slices(df: &DataFrame, query: impl Fn(LazyFrame) -> LazyFrame) -> PolarsResult<DataFrame> {
    let parts = crate::parallel::threads()
        .min(df.height() / SLICE_ROWS_MIN)
        .max(1);
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

/// Every line is a purchase.
fn all_purchase_fates(fates: &[Option<i64>]) -> bool {
    fates.iter().all(|f| *f == Some(i64::from(fate::PURCHASE)))
}

/// Names the date formats a column was read with, unless it is plain ISO.
fn note_date_formats(report: &mut LoadReport, file: &str, column: &str, formats: &[DateFormat]) {
    let iso = |f: &DateFormat| matches!(f, DateFormat::Text { fmt, .. } if fmt.starts_with("%Y-%m-%d") && !fmt.contains('z') && !fmt.ends_with('Z'));
    if formats.is_empty() || formats.iter().all(iso) {
        return;
    }
    let names: Vec<String> = formats.iter().map(DateFormat::name).collect();
    report.conversions.push(Conversion {
        file: file.to_string(),
        column: column.to_string(),
        role: Role::Date.key().to_string(),
        what: format!("dates read as {}", names.join(" or ")),
        example: None,
    });
}

/// For each reason that drops more than 1% of the `before` rows, the first offending raw
/// value (`typed` and `df` hold the same rows in the same order).
fn note_first_losses(
    typed: &DataFrame,
    df: &DataFrame,
    roles: &RoleMap,
    before: usize,
    report: &mut LoadReport,
) -> Result<()> {
    let fates = typed.column("__fate")?.i32()?;
    use super::report::reason;
    let counted = [
        (fate::BAD_DATE, reason::BAD_DATE, report.unparseable_date),
        (
            fate::MISSING_DATE,
            reason::MISSING_DATE,
            report.missing_date,
        ),
        (fate::BAD_NUMBER, reason::BAD_NUMBER, report.bad_numbers),
        (
            fate::ZERO_QUANTITY,
            reason::ZERO_QUANTITY,
            report.zero_quantity,
        ),
        (
            fate::NONPOSITIVE_PRICE,
            reason::NONPOSITIVE_PRICE,
            report.nonpositive_price,
        ),
        (
            fate::OUT_OF_RANGE,
            reason::OUT_OF_RANGE,
            report.out_of_range,
        ),
    ];
    for (f, reason, n) in counted {
        if (n as f64) <= super::report::LOUD_LOSS * before as f64 {
            continue;
        }
        let Some(row) = fates.iter().position(|x| x == Some(f)) else {
            continue;
        };
        let shown = first_loss_values(df, roles, f, row);
        report
            .first_losses
            .push((reason.to_string(), shown.join(", ")));
    }
    Ok(())
}

/// The values of line `row` that fate `f` is about (its date, or its numbers), as
/// "role value".
fn first_loss_values(df: &DataFrame, roles: &RoleMap, f: i32, row: usize) -> Vec<String> {
    match f {
        fate::BAD_DATE | fate::MISSING_DATE => vec![Role::Date],
        _ => vec![Role::Quantity, Role::UnitPrice, Role::Amount],
    }
    .into_iter()
    .filter_map(|r| roles.get(r).map(|c| (r, c)))
    .filter_map(|(r, c)| {
        let v = df.column(c).ok()?.get(row).ok()?;
        let text = match v {
            AnyValue::Null => "(empty)".to_string(),
            AnyValue::String(s) => format!("{s:?}"),
            other => other.to_string(),
        };
        Some(format!("{} {text}", r.key()))
    })
    .collect()
}

/// Customers named only on lines that are not purchases (returns, bad numbers, zero
/// quantities or prices): customers of the log all the same, though none bought.
fn customers_without_purchases(typed: &DataFrame) -> Result<usize> {
    let usable = col("__fate")
        .neq(lit(fate::MISSING_DATE))
        .and(col("__fate").neq(lit(fate::BAD_DATE)));
    let ids = typed
        .clone()
        .lazy()
        .filter(usable.and(col("customer_id").is_not_null()))
        .group_by([col("customer_id")])
        .agg([col("__fate")
            .eq(lit(fate::PURCHASE))
            .any(true)
            .alias("bought")])
        .filter(col("bought").not())
        .select([len().alias("n")])
        .collect()?;
    frame::first_count(&ids, "n")
}

/// What every stage of [`clean_lines`] reads about the file.
struct FileFacts<'a> {
    file: &'a str,
    roles: &'a RoleMap,
    schema: Schema,
    hints: DateHints<'a>,
    /// `;`-delimited: a lone ",ddd" is a decimal comma.
    semicolon: bool,
    /// Some values carry padding to trim.
    padded: bool,
    /// Without an order id two identical lines are two purchases: repeats are counted, kept.
    keep_repeats: bool,
}

impl FileFacts<'_> {
    fn dtype(&self, c: &str) -> DataType {
        self.schema.get(c).cloned().unwrap_or(DataType::String)
    }
}

/// The typed columns a cleaning computes per line, and the sums it reports once.
#[derive(Default)]
struct LinePlan {
    select: Vec<Expr>,
    /// Per-file counts (ids written as floats), summed into the report.
    stats: Vec<Expr>,
}

/// Cleans a transaction file into purchases and returns, filling `report`. Its stages:
/// exact copies, the typed columns (ids, texts, dates, numbers, extra columns), each line's
/// fate, the late copies, the counts, and the split into purchases and returns.
/// Takes the raw file by value: its text columns are freed as soon as the typed ones exist.
pub fn clean_lines(
    raw: RawFile,
    roles: &RoleMap,
    date_flag: Option<&str>,
    report: &mut LoadReport,
) -> Result<CleanLines> {
    let RawFile {
        name,
        df: raw_df,
        duplicates,
        padded,
        dialect,
        ..
    } = raw;
    let facts = FileFacts {
        file: name.as_str(),
        roles,
        schema: raw_df.schema().as_ref().clone(),
        hints: DateHints {
            flag: date_flag,
            spreadsheet: dialect.spreadsheet,
        },
        semicolon: dialect.delimiter.as_deref() == Some(";"),
        padded,
        keep_repeats: !roles.has(Role::Order),
    };
    let _t = crate::timing::phase("clean_lines");
    let before = raw_df.height();
    report.rows_read += before;
    let (df, late) = early_copies(raw_df, duplicates, &facts, report)?;
    let mut df = df.with_row_index("__row".into(), None)?;
    let mut plan = LinePlan::default();
    let (missing_date, extras) = plan_columns(&mut df, &facts, &mut plan, report)?;
    let t = crate::timing::phase("clean: typed");
    let typed = typed_lines(&df, &facts, &plan, missing_date)?;
    let (typed, df) = late_copies(typed, df, late, &facts, before, report)?;
    drop(t);
    let t = crate::timing::phase("clean: fates");
    note_unread_extras(&typed, &df, &extras, facts.file, report)?;
    let fates = count_fates(&typed, &df, roles, before, report)?;
    count_float_ids(&df, plan.stats, report)?;
    drop(df);
    drop(t);
    let _t = crate::timing::phase("clean: split");
    split_lines(typed, &fates, extras, facts.file, report)
}

/// Plans the typed columns (ids, texts, dates, money, extra columns) into `plan`; returns
/// the missing-date expression and the extra columns read.
fn plan_columns(
    df: &mut DataFrame,
    facts: &FileFacts,
    plan: &mut LinePlan,
    report: &mut LoadReport,
) -> Result<(Expr, Vec<ExtraColumn>)> {
    let t = crate::timing::phase("clean: id probes");
    let Some(date_col) = facts.roles.get(Role::Date) else {
        bail_input!(
            "{}: no date column found; name it with --map date=COLUMN",
            facts.file
        );
    };
    id_columns(df, facts, plan, report)?;
    text_columns(facts, plan);
    drop(t);
    let _t = crate::timing::phase("clean: dates");
    let missing_date = date_columns(df, facts, date_col, plan, report)?;
    money_columns(df, facts, plan, report)?;
    let extras = extra_columns(df, facts, plan, report)?;
    Ok((missing_date, extras))
}

/// Every line's typed columns and fate, computed in slices.
fn typed_lines(
    df: &DataFrame,
    facts: &FileFacts,
    plan: &LinePlan,
    missing_date: Expr,
) -> Result<DataFrame> {
    let fate = line_fates(df, facts, missing_date)?;
    in_slices(df, |lines| {
        lines.select(plan.select.clone()).with_column(fate.clone())
    })
    .map_err(|e| {
        crate::error::input(format!(
            "{}: cannot read its columns ({})",
            facts.file,
            first_line(&e)
        ))
    })
}

/// Sums the per-file counts of `stats` (ids written as floats) into the report.
fn count_float_ids(df: &DataFrame, stats: Vec<Expr>, report: &mut LoadReport) -> Result<()> {
    if !stats.is_empty() {
        let s = df.clone().lazy().select(stats).collect()?;
        for name in s.get_column_names() {
            report.float_ids += frame::first_count(&s, name)?;
        }
    }
    Ok(())
}

/// Exact copies found before the typed columns: known from the bytes when lines are rows,
/// else by comparing parsed rows. Where the bytes' scan is sure to give a mask, it is waited
/// for only once the typed columns exist (copies change none of the checks before: each asks
/// whether any value is of some kind), so it runs on while the first steps leave a core idle:
/// then it is returned, for [`late_copies`].
fn early_copies(
    raw_df: DataFrame,
    duplicates: Duplicates,
    facts: &FileFacts,
    report: &mut LoadReport,
) -> Result<(DataFrame, Option<Duplicates>)> {
    let before = raw_df.height();
    if duplicates.sure {
        return Ok((raw_df, Some(duplicates)));
    }
    if facts.keep_repeats {
        let mask = match duplicates.wait() {
            Some(mask) => mask,
            None => {
                let names = raw_df.get_column_names().into_iter().cloned().collect();
                repeated_rows(&raw_df.with_row_index("__row".into(), None)?, names)?
            }
        };
        report.identical_lines_kept += mask.iter().filter(|&&r| r).count();
        return Ok((raw_df, None));
    }
    let _t = crate::timing::phase("clean: dedupe");
    let df = match duplicates.wait() {
        Some(mask) => without_repeats(raw_df, &mask)?,
        None => raw_df.unique_stable(None, UniqueKeepStrategy::First, None)?,
    };
    report.duplicate_rows += before - df.height();
    Ok((df, None))
}

/// The customer, order and product ids as text ("17850.0" as "17850"), and the line number
/// as the order where there is no order column.
fn id_columns(
    df: &DataFrame,
    facts: &FileFacts,
    plan: &mut LinePlan,
    report: &mut LoadReport,
) -> Result<()> {
    let id_roles: Vec<(Role, &str)> = [Role::Customer, Role::Order, Role::Product]
        .into_iter()
        .filter_map(|r| facts.roles.get(r).map(|c| (r, c)))
        .collect();
    let id_columns: Vec<&str> = id_roles.iter().map(|(_, c)| *c).collect();
    let dots = columns_with_dots(df, &id_columns)?;
    for (&(role, c), &floats) in id_roles.iter().zip(&dots) {
        let dtype = facts.dtype(c);
        plan.select
            .push(id_expr(c, &dtype, floats, facts.padded).alias(role.key()));
        if floats || dtype.is_float() {
            plan.stats.push(
                float_id_expr(c, &dtype)
                    .fill_null(lit(false))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias(format!("float_{}", role.key())),
            );
        }
    }
    if !facts.roles.has(Role::Order) {
        plan.select
            .push(col("__row").cast(DataType::String).alias(Role::Order.key()));
        plan.select
            .push(col("__row").cast(DataType::UInt32).alias(ORDER_CODE));
        report.notes.push(format!(
            "{}: no order/invoice column, so each line counts as one order",
            facts.file
        ));
    }
    Ok(())
}

/// Product names, categories, regions and customer names, trimmed where padded.
fn text_columns(facts: &FileFacts, plan: &mut LinePlan) {
    for role in [
        Role::ProductName,
        Role::Category,
        Role::Region,
        Role::CustomerName,
    ] {
        if let Some(c) = facts.roles.get(role) {
            plan.select
                .push(text_expr(c, facts.padded).alias(role.key()));
        }
    }
}

/// The purchase and signup dates, read in the formats their values settle; returns what
/// tells a missing date from one that does not parse.
fn date_columns(
    df: &mut DataFrame,
    facts: &FileFacts,
    date_col: &str,
    plan: &mut LinePlan,
    report: &mut LoadReport,
) -> Result<Expr> {
    let (file, padded, hints) = (facts.file, facts.padded, facts.hints);
    if let Some(c) = facts.roles.get(Role::SignupDate) {
        let signup = date_expr(df, file, c, Role::SignupDate, padded, hints)?;
        plan.select.push(
            signup
                .on(df, "__signup_parsed")?
                .alias(Role::SignupDate.key()),
        );
    }
    let dates = date_expr(df, file, date_col, Role::Date, padded, hints)?;
    let exact_dates = dates.exact;
    note_date_formats(report, file, date_col, &dates.formats);
    plan.select
        .push(dates.on(df, "__date_parsed")?.alias(Role::Date.key()));
    // A missing date and one that does not parse are told apart by the text, unless every
    // date there parsed.
    Ok(if exact_dates {
        col(Role::Date.key()).is_null()
    } else {
        plan.select
            .push(text_expr(date_col, padded).alias("__date_raw"));
        col("__date_raw")
            .is_null()
            .or(col("__date_raw").eq(lit("")))
    })
}

/// Quantity, unit price and line amount, each derived from the other two where missing.
fn money_columns(
    df: &mut DataFrame,
    facts: &FileFacts,
    plan: &mut LinePlan,
    report: &mut LoadReport,
) -> Result<()> {
    let (file, roles) = (facts.file, facts.roles);
    let mut number = |role: Role| -> Result<Option<Expr>> {
        match roles.get(role) {
            Some(c) => Ok(Some(number_column(
                df,
                file,
                c,
                role.key(),
                facts.semicolon,
                report,
            )?)),
            None => Ok(None),
        }
    };
    let qty = number(Role::Quantity)?;
    let price = number(Role::UnitPrice)?;
    let amount = number(Role::Amount)?;
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
    plan.select.push(qty.alias(Role::Quantity.key()));
    plan.select.push(price.alias(Role::UnitPrice.key()));
    plan.select.push(amount.alias(Role::Amount.key()));
    Ok(())
}

/// The columns no role took, classified ([`extras::of_file`]); the usable ones join the
/// lines as `extra:NAME` (numbers parsed like the amounts, texts trimmed). Named in a note.
fn extra_columns(
    df: &mut DataFrame,
    facts: &FileFacts,
    plan: &mut LinePlan,
    report: &mut LoadReport,
) -> Result<Vec<ExtraColumn>> {
    let headers: Vec<String> = facts.schema.iter_names().map(|n| n.to_string()).collect();
    let extras = extras::of_file(df, &headers, facts.roles, facts.semicolon);
    if extras.is_empty() {
        return Ok(extras);
    }
    for x in &extras {
        let expr = match x.kind {
            ExtraKind::Number => {
                number_column(df, facts.file, &x.column, &x.key(), facts.semicolon, report)?
            }
            ExtraKind::Levels { .. } => col(x.column.as_str())
                .cast(DataType::String)
                .str()
                .strip_chars(lit(NULL)),
            ExtraKind::LeftOut { .. } => continue,
        };
        plan.select.push(expr.alias(x.key()));
    }
    report.notes.push(extras_note(facts.file, &extras));
    Ok(extras)
}

/// "file: extra columns for --features: Installments (number), Payment (4 values); left
/// out: Notes (350 distinct values…)".
fn extras_note(file: &str, extras: &[ExtraColumn]) -> String {
    let used: Vec<String> = extras
        .iter()
        .filter_map(|x| match &x.kind {
            ExtraKind::Number => Some(format!("{} (number)", x.column)),
            ExtraKind::Levels { values } => Some(format!("{} ({} values)", x.column, values.len())),
            ExtraKind::LeftOut { .. } => None,
        })
        .collect();
    let left: Vec<String> = extras
        .iter()
        .filter_map(|x| match &x.kind {
            ExtraKind::LeftOut { why } => Some(format!("{} ({why})", x.column)),
            _ => None,
        })
        .collect();
    let mut note = format!("{file}: extra columns");
    if !used.is_empty() {
        note += &format!(" for --features (set extra): {}", used.join(", "));
    }
    if !left.is_empty() {
        if !used.is_empty() {
            note += ";";
        }
        note += &format!(" left out: {}", left.join(", "));
    }
    note
}

/// Each line's fate: a purchase, a return, or the first reason it is left out.
fn line_fates(df: &DataFrame, facts: &FileFacts, missing_date: Expr) -> Result<Expr> {
    // Cancelled orders ("C536379") are found by a regex, run only where some order id starts
    // with a C (holds one, when values may be padded): a byte test is many times cheaper.
    let may_cancel = match facts.roles.get(Role::Order) {
        Some(c) if facts.dtype(c) == DataType::String => {
            let has = |letter: &str| {
                if facts.padded {
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
    let cancelled = if may_cancel {
        col(Role::Order.key())
            .str()
            .contains(lit(r"^[Cc]\d"), false)
            .fill_null(lit(false))
    } else {
        lit(false)
    };
    let is_return = cancelled.or(col("quantity").lt(lit(0.0)).fill_null(lit(false)));
    // Missing, unparseable ("N/A"), NaN and infinite values are all unusable numbers.
    let unusable = |c: &str| col(c).is_null().or(col(c).is_finite().not());
    let bad_number = unusable("quantity")
        .or(unusable("unit_price"))
        .or(unusable("amount"));
    let huge = |c: &str| col(c).abs().gt(lit(MAX_LINE_VALUE));
    let too_large = huge("quantity").or(huge("unit_price")).or(huge("amount"));
    Ok(when(missing_date)
        .then(lit(fate::MISSING_DATE))
        .when(col("date").is_null())
        .then(lit(fate::BAD_DATE))
        .when(is_return)
        .then(lit(fate::RETURN))
        .when(bad_number)
        .then(lit(fate::BAD_NUMBER))
        .when(too_large)
        .then(lit(fate::OUT_OF_RANGE))
        .when(col("quantity").eq(lit(0.0)))
        .then(lit(fate::ZERO_QUANTITY))
        .when(col("unit_price").lt_eq(lit(0.0)))
        .then(lit(fate::NONPOSITIVE_PRICE))
        .otherwise(lit(fate::PURCHASE))
        .alias("__fate"))
}

/// The copies [`early_copies`] left to wait for, removed from the typed lines and the raw
/// ones alike. No mask after all (lines and rows differ somewhere): the parsed rows decide.
fn late_copies(
    typed: DataFrame,
    df: DataFrame,
    late: Option<Duplicates>,
    facts: &FileFacts,
    before: usize,
    report: &mut LoadReport,
) -> Result<(DataFrame, DataFrame)> {
    let Some(mask) = late.map(Duplicates::wait) else {
        return Ok((typed, df));
    };
    let _t = crate::timing::phase("clean: dedupe");
    let mask = match mask {
        Some(mask) => mask,
        None => repeated_rows(&df, facts.schema.iter_names().cloned().collect())?,
    };
    if facts.keep_repeats {
        report.identical_lines_kept += mask.iter().filter(|&&r| r).count();
        return Ok((typed, df));
    }
    let (typed, df) = (without_repeats(typed, &mask)?, without_repeats(df, &mask)?);
    report.duplicate_rows += before - typed.height();
    Ok((typed, df))
}

/// Numbers of an extra column that did not read (they count as missing in its sums): said
/// in a note, never silently.
fn note_unread_extras(
    typed: &DataFrame,
    df: &DataFrame,
    extras: &[ExtraColumn],
    file: &str,
    report: &mut LoadReport,
) -> Result<()> {
    for x in extras.iter().filter(|x| x.kind == ExtraKind::Number) {
        let unread = typed.column(&x.key())?.null_count() - df.column(&x.column)?.null_count();
        if unread > 0 {
            report.notes.push(format!(
                "{file}: column {:?}: {unread} values are not numbers; its features leave them out",
                x.column
            ));
        }
    }
    Ok(())
}

/// The lines' fates counted into the report (with the first lines each reason cost, the
/// customers left with no purchase); returns the fates present.
fn count_fates(
    typed: &DataFrame,
    df: &DataFrame,
    roles: &RoleMap,
    before: usize,
    report: &mut LoadReport,
) -> Result<Vec<Option<i64>>> {
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
            fate::OUT_OF_RANGE => report.out_of_range += n,
            _ => {}
        }
    }
    note_first_losses(typed, df, roles, before, report)?;
    if !all_purchase_fates(&fates) {
        report.customers_without_purchases += customers_without_purchases(typed)?;
    }
    Ok(fates)
}

/// Purchases, returns and free lines apart; purchases get their order codes, and the report
/// its last counts.
fn split_lines(
    typed: DataFrame,
    fates: &[Option<i64>],
    extras: Vec<ExtraColumn>,
    file: &str,
    report: &mut LoadReport,
) -> Result<CleanLines> {
    // Clean data (every row a purchase) keeps its columns as they are: no filtered copy.
    let all_purchases = all_purchase_fates(fates);
    let free = if all_purchases {
        no_free_purchases()
    } else {
        free_purchases(&typed)?
    };
    let (purchases, returns) = purchases_and_returns(typed, all_purchases)?;
    if purchases.height() == 0 {
        bail_input!(
            "{file}: no purchase rows left after cleaning ({} read; {})",
            report.rows_read,
            report.summary()
        );
    }
    let purchases = with_order_codes(purchases)?;
    let has_time = count_purchases(&purchases, report)?;
    Ok(CleanLines {
        purchases,
        returns,
        free,
        has_time,
        extras,
    })
}

/// The purchase lines and the return lines, without the cleaning's helper columns.
fn purchases_and_returns(typed: DataFrame, all_purchases: bool) -> Result<(DataFrame, DataFrame)> {
    let drop_helpers = |lf: LazyFrame| lf.drop(by_name(["__fate", "__date_raw"], false, false));
    Ok(if all_purchases {
        let empty = typed.clear();
        (
            drop_helpers(typed.lazy()).collect()?,
            drop_helpers(empty.lazy()).collect()?,
        )
    } else {
        let of = |f: i32| col("__fate").eq(lit(f));
        (
            drop_helpers(typed.clone().lazy().filter(of(fate::PURCHASE))).collect()?,
            drop_helpers(typed.lazy().filter(of(fate::RETURN))).collect()?,
        )
    })
}

/// Counts the purchase lines and those without a customer into the report; returns whether
/// any purchase has a time of day.
fn count_purchases(purchases: &DataFrame, report: &mut LoadReport) -> Result<bool> {
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
    Ok(has_time)
}

/// Zero-price lines with a customer id (free items, promotions: CDNOW has such purchases) are
/// left out of revenue, orders and every EDA table, like other zero-price lines, but they are
/// purchase occasions: lifetime value and cohorts count them (as lifetimes does). Only the
/// customer and the date are kept.
fn free_purchases(typed: &DataFrame) -> Result<DataFrame> {
    Ok(typed
        .clone()
        .lazy()
        .filter(
            col("__fate")
                .eq(lit(fate::NONPOSITIVE_PRICE))
                .and(col("unit_price").eq(lit(0.0)))
                .and(col("amount").eq(lit(0.0)))
                .and(col("quantity").gt(lit(0.0)))
                .and(col("customer_id").is_not_null()),
        )
        .select([col("customer_id"), col("date")])
        .collect()?)
}

/// A [`free_purchases`] frame with no lines.
pub fn no_free_purchases() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new_empty("customer_id".into(), &DataType::String),
        Column::new_empty(
            "date".into(),
            &DataType::Datetime(TimeUnit::Microseconds, None),
        ),
    ])
    .expect("two empty columns")
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
