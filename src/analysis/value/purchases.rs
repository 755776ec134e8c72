//! Each customer's purchase days: the unit lifetime value and cohorts count in. Purchases on
//! the same day merge into one (lifetimes' `summary_data_from_transaction_data` at daily
//! periods); returns are left out, as analysts filter cancellations before fitting.

use anyhow::Result;
use polars::prelude::*;

use crate::bail_input;
use crate::data::Dataset;
use crate::data::frame::{self, nums};

/// Days since 1970-01-01, the calendar unit of every value measure.
pub type Day = i32;

/// Purchase days per customer (in the data's customer order: by code where customers are
/// coded, else by id), days ascending within a customer.
#[derive(Clone, Debug, Default)]
pub struct PurchaseDays {
    pub ids: Vec<String>,
    /// Customer i's days are `days[starts[i]..starts[i + 1]]` (`starts` has one more entry).
    pub starts: Vec<usize>,
    pub days: Vec<Day>,
    /// The value bought on each day (sum of its purchase lines).
    pub spend: Vec<f64>,
    /// The dataset's last purchase day.
    pub last_day: Day,
}

impl PurchaseDays {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Customer i's purchase days and the value bought on each.
    pub fn of(&self, i: usize) -> (&[Day], &[f64]) {
        let (a, b) = (self.starts[i], self.starts[i + 1]);
        (&self.days[a..b], &self.spend[a..b])
    }
}

/// Groups the purchase lines by customer and calendar day. Lines without a customer id are
/// left out (they belong to no one's history); zero-price purchases join as days of no spend.
pub fn purchase_days(ds: &Dataset) -> Result<PurchaseDays> {
    ds.require_transactions("customer value")?;
    let bought = match ds.coded_customers() {
        Some(table) => coded_days(ds, table)?,
        None => id_days(ds)?,
    };
    if bought.days.is_empty() {
        bail_input!(
            "{}: no purchase carries a customer id, so there is no customer history to value",
            ds.name
        );
    }
    Ok(with_free_days(bought, &free_days(ds)?))
}

/// The line's calendar day as a [`Day`].
fn day_expr() -> Expr {
    col("date")
        .cast(DataType::Date)
        .cast(DataType::Int32)
        .alias("day")
}

/// Lines with integer customer codes: one sort of (code, day) packed in a u64, in Rust; a
/// two-key group-by and sort in polars held twice the lines' memory.
fn coded_days(ds: &Dataset, table: &DataFrame) -> Result<PurchaseDays> {
    let df = ds
        .lines
        .clone()
        .select([
            col(ds.present.customer_key())
                .cast(DataType::UInt32)
                .alias("code"),
            day_expr(),
            col("amount"),
        ])
        .collect()?;
    // Packed straight from the columns (no filtered copy of them): the lines are held once
    // more, as the rows to sort; a line without a customer or a day is left out here.
    let codes = df.column("code")?.u32()?;
    let days = df.column("day")?.i32()?;
    let amounts = df.column("amount")?.cast(&DataType::Float64)?;
    let amounts = amounts.f64()?;
    let first = days.min().unwrap_or(0);
    let mut rows: Vec<(u64, f64)> = codes
        .iter()
        .zip(days.iter())
        .zip(amounts.iter())
        .filter_map(|((code, day), amount)| {
            let packed = (u64::from(code?) << 32) | u64::from((day? - first) as u32);
            Some((packed, amount.unwrap_or(0.0)))
        })
        .collect();
    drop(df);
    rows.sort_unstable_by_key(|r| r.0);
    let (mut run_codes, mut out) = (Vec::new(), PurchaseDays::default());
    for (packed, amount) in rows {
        let (code, day) = ((packed >> 32) as u32, (packed as u32) as Day + first);
        if run_codes.last() == Some(&code) && out.days.last() == Some(&day) {
            *out.spend.last_mut().expect("a day") += amount;
            continue;
        }
        if run_codes.last() != Some(&code) {
            run_codes.push(code);
            out.starts.push(out.days.len());
        }
        out.days.push(day);
        out.spend.push(amount);
    }
    out.starts.push(out.days.len());
    out.last_day = out.days.iter().copied().max().unwrap_or(0);
    out.ids = named_codes(table, run_codes.into_iter().map(Some))?;
    Ok(out)
}

/// Lines that carry the ids themselves: grouped and sorted by polars.
fn id_days(ds: &Dataset) -> Result<PurchaseDays> {
    let df = ds
        .lines
        .clone()
        .select([col("customer_id"), day_expr(), col("amount")])
        .filter(
            col("customer_id")
                .is_not_null()
                .and(col("day").is_not_null()),
        )
        .group_by([col("customer_id"), col("day")])
        .agg([col("amount").sum().alias("spend")])
        .sort(["customer_id", "day"], SortMultipleOptions::default())
        .collect()?;
    let days: Vec<Day> = df.column("day")?.i32()?.into_no_null_iter().collect();
    let spend = nums(&df, "spend")?;
    let ids = frame::opt_texts(&df, "customer_id")?;
    let starts = run_starts(&ids);
    let named = starts
        .iter()
        .map(|&row| ids[row].clone().unwrap_or_default())
        .collect();
    Ok(PurchaseDays {
        last_day: days.iter().copied().max().unwrap_or(0),
        starts: starts.into_iter().chain([days.len()]).collect(),
        ids: named,
        days,
        spend,
    })
}

/// The days of the dataset's zero-price purchases, per customer id.
fn free_days(ds: &Dataset) -> Result<Vec<(String, Day)>> {
    if ds.free_purchases.height() == 0 {
        return Ok(Vec::new());
    }
    let df = ds
        .free_purchases
        .clone()
        .lazy()
        .select([
            col("customer_id"),
            col("date")
                .cast(DataType::Date)
                .cast(DataType::Int32)
                .alias("day"),
        ])
        .unique(None, UniqueKeepStrategy::First)
        .collect()?;
    let ids = frame::texts(&df, "customer_id")?;
    let days = df.column("day")?.i32()?.iter().map(|d| d.unwrap_or(0));
    Ok(ids.into_iter().zip(days).collect())
}

/// Adds zero-value purchase days: a day the customer already bought on stays one day; a
/// customer who only ever got free items joins with those days.
fn with_free_days(p: PurchaseDays, free: &[(String, Day)]) -> PurchaseDays {
    if free.is_empty() {
        return p;
    }
    let mut extra: std::collections::HashMap<&str, Vec<Day>> = Default::default();
    for (id, day) in free {
        extra.entry(id.as_str()).or_default().push(*day);
    }
    let mut out = PurchaseDays {
        last_day: p.last_day,
        ..PurchaseDays::default()
    };
    let push = |out: &mut PurchaseDays, id: &str, mut days: Vec<(Day, f64)>| {
        days.sort_by_key(|d| d.0);
        days.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                first.1 += later.1;
            }
            same
        });
        out.ids.push(id.to_string());
        out.starts.push(out.days.len());
        for (d, s) in days {
            out.last_day = out.last_day.max(d);
            out.days.push(d);
            out.spend.push(s);
        }
    };
    for i in 0..p.len() {
        let (days, spend) = p.of(i);
        let mut all: Vec<(Day, f64)> = days.iter().copied().zip(spend.iter().copied()).collect();
        if let Some(more) = extra.remove(p.ids[i].as_str()) {
            all.extend(more.into_iter().map(|d| (d, 0.0)));
        }
        push(&mut out, &p.ids[i], all);
    }
    let mut only_free: Vec<(&str, Vec<Day>)> = extra.into_iter().collect();
    only_free.sort();
    for (id, days) in only_free {
        push(&mut out, id, days.into_iter().map(|d| (d, 0.0)).collect());
    }
    out.starts.push(out.days.len());
    out
}

/// The first row of each run of equal keys.
fn run_starts<K: PartialEq>(keys: &[K]) -> Vec<usize> {
    (0..keys.len())
        .filter(|&row| row == 0 || keys[row] != keys[row - 1])
        .collect()
}

/// Each code's customer id, from the dataset's code → id table.
fn named_codes(table: &DataFrame, codes: impl Iterator<Item = Option<u32>>) -> Result<Vec<String>> {
    let code_of = table.column("customer_code")?.cast(&DataType::UInt32)?;
    let names = frame::texts(table, "customer_id")?;
    let row_of: std::collections::HashMap<u32, usize> = code_of
        .u32()?
        .iter()
        .enumerate()
        .filter_map(|(row, c)| c.map(|c| (c, row)))
        .collect();
    Ok(codes
        .map(|c| {
            c.and_then(|c| row_of.get(&c))
                .map_or_else(String::new, |&row| names[row].clone())
        })
        .collect())
}

/// `YYYY-MM-DD` of a day number.
pub fn day_text(day: Day) -> String {
    date_of(day).format("%Y-%m-%d").to_string()
}

pub fn date_of(day: Day) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day as i64)
}

/// The day number of a `YYYY-MM-DD` flag value, or an input error naming the flag.
pub fn parse_day(flag: &str, text: &str) -> Result<Day> {
    match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => {
            Ok((d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as Day)
        }
        Err(_) => bail_input!(
            "{flag} {text:?}: not a date; give it as YYYY-MM-DD, e.g. {flag} 1997-09-30"
        ),
    }
}
