//! Monthly time series for sparklines: overall, per region and per category.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use crate::data::ORDER_CODE;

use super::eda::{grouped, month_key, month_labels, month_range};
use super::grouped::{By, Keys};
use crate::data::Dataset;
use crate::data::frame::nums;

/// One monthly series (months without sales are zeros, so the x axis is even).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub revenue: Vec<f64>,
    pub orders: Vec<f64>,
    pub active_customers: Vec<f64>,
}

/// A first or last month the data covers only in part (Online Retail's 1-9 December): drawn
/// apart and left out of min and max, so it does not read as a collapse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialMonth {
    /// Index into [`Trends::months`].
    pub index: usize,
    /// Days of the month the data covers, and the days the month has.
    pub days: u32,
    pub of: u32,
}

/// Every series over the same months.
#[derive(Clone, Debug, PartialEq)]
pub struct Trends {
    pub months: Vec<String>,
    pub overall: Series,
    pub by_region: Vec<Series>,
    pub by_category: Vec<Series>,
    /// The first and last months, where the data covers fewer of their days than they have.
    pub partial: Vec<PartialMonth>,
}

impl Trends {
    /// Whether month `i` is a partial first or last month.
    pub fn is_partial(&self, i: usize) -> bool {
        self.partial.iter().any(|p| p.index == i)
    }

    /// The smallest and largest of `data` over the full months (NaN, NaN when none is full).
    pub fn full_range(&self, data: &[f64]) -> (f64, f64) {
        data.iter()
            .enumerate()
            .filter(|(i, _)| !self.is_partial(*i))
            .fold((f64::NAN, f64::NAN), |(lo, hi), (_, &x)| {
                (lo.min(x), hi.max(x))
            })
    }
}

/// Builds the trends; region and category series only where the data has those columns.
pub fn trends(ds: &Dataset) -> Result<Trends> {
    ds.require_transactions("trends")?;
    // Many queries follow: join the lines once (free when the caller already did).
    let ds = &ds.materialized()?;
    trends_with(ds, Keys::build(ds)?.as_ref())
}

/// [`trends`] of materialized lines with their [`Keys`] (where they have them): the TUI
/// builds the keys once for the tables and the trends.
pub fn trends_with(ds: &Dataset, keys: Option<&Keys>) -> Result<Trends> {
    ds.require_transactions("trends")?;
    let overall = monthly(ds, keys, None)?;
    let months: Vec<String> = {
        let keys: Vec<&String> = overall.keys().map(|(_, m)| m).collect();
        match (keys.first(), keys.last()) {
            (Some(a), Some(b)) => month_range(a, b),
            _ => Vec::new(),
        }
    };
    let overall = series(&overall, &months)
        .into_iter()
        .next()
        .unwrap_or(Series {
            name: "all".into(),
            revenue: vec![],
            orders: vec![],
            active_customers: vec![],
        });
    let by = |present: bool, group: &str| -> Result<Vec<Series>> {
        Ok(if present {
            series(&monthly(ds, keys, Some(group))?, &months)
        } else {
            vec![]
        })
    };
    let by_region = by(ds.present.region, "region")?;
    let by_category = by(ds.present.category, "category")?;
    let partial = partial_months(ds, months.len())?;
    Ok(Trends {
        months,
        overall,
        by_region,
        by_category,
        partial,
    })
}

/// One series per group over every month (zeros where a group sold nothing), biggest revenue
/// first.
fn series(data: &BTreeMap<(String, String), [f64; 3]>, months: &[String]) -> Vec<Series> {
    let mut groups: Vec<String> = data.keys().map(|(g, _)| g.clone()).collect();
    groups.dedup();
    let mut out: Vec<Series> = groups
        .into_iter()
        .map(|g| {
            let pick = |i: usize| {
                months
                    .iter()
                    .map(|m| data.get(&(g.clone(), m.clone())).map_or(0.0, |v| v[i]))
                    .collect()
            };
            Series {
                name: g.clone(),
                revenue: pick(0),
                orders: pick(1),
                active_customers: pick(2),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.revenue
            .iter()
            .sum::<f64>()
            .total_cmp(&a.revenue.iter().sum::<f64>())
            .then(a.name.cmp(&b.name))
    });
    out
}

/// The first and last months the dates cover in part: the days from the first date to its
/// month's end, and from its month's start to the last date. A single month is never partial
/// (there is no full month to compare it with).
fn partial_months(ds: &Dataset, n_months: usize) -> Result<Vec<PartialMonth>> {
    if n_months < 2 {
        return Ok(vec![]);
    }
    let span = ds
        .lines
        .clone()
        .select([
            col("date").min().cast(DataType::Int64).alias("first"),
            col("date").max().cast(DataType::Int64).alias("last"),
        ])
        .collect()?;
    let at = |c: &str| -> Result<Option<chrono::NaiveDate>> {
        let us = crate::data::frame::i64s(&span, c)?
            .first()
            .copied()
            .flatten();
        Ok(us
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map(|d| d.date_naive()))
    };
    let (Some(first), Some(last)) = (at("first")?, at("last")?) else {
        return Ok(vec![]);
    };
    let mut out = Vec::new();
    let first_of = days_in_month(first);
    let first_days = first_of - chrono::Datelike::day(&first) + 1;
    if first_days < first_of {
        out.push(PartialMonth {
            index: 0,
            days: first_days,
            of: first_of,
        });
    }
    let last_of = days_in_month(last);
    let last_days = chrono::Datelike::day(&last);
    if last_days < last_of {
        out.push(PartialMonth {
            index: n_months - 1,
            days: last_days,
            of: last_of,
        });
    }
    Ok(out)
}

fn days_in_month(d: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    chrono::NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|next| next.pred_opt())
        .map_or(31, |end| end.day())
}

/// (group, month) -> [revenue, orders, active customers].
fn monthly(
    ds: &Dataset,
    keys: Option<&Keys>,
    group: Option<&str>,
) -> Result<BTreeMap<(String, String), [f64; 3]>> {
    let _t = crate::timing::phase(match group {
        None => "trends: overall",
        Some("region") => "trends: by region",
        Some(_) => "trends: by category",
    });
    let by = match group {
        None => By::All,
        Some("region") => By::Region,
        Some(_) => By::Category,
    };
    let columns = [
        ("month", "month"),
        ("group", "group"),
        ("revenue", "revenue"),
        ("orders", "orders"),
        ("customers", "active"),
    ];
    let df = match grouped(keys, by, true, &columns)? {
        Some(df) => df,
        None => {
            let mut keys = vec![month_key("date").alias("month")];
            if let Some(g) = group {
                keys.push(col(g).fill_null(lit("(unknown)")).alias("group"));
            }
            ds.lines
                .clone()
                .group_by(keys)
                .agg([
                    col("amount").sum().alias("revenue"),
                    col(ORDER_CODE).n_unique().alias("orders"),
                    col(ds.present.customer_key())
                        .drop_nulls()
                        .n_unique()
                        .alias("active"),
                ])
                .collect()?
        }
    };
    let months = month_labels(&df, "month")?;
    let groups: Vec<String> = match group {
        Some(_) => df
            .column("group")?
            .str()?
            .iter()
            .map(|v| v.unwrap_or("(unknown)").to_string())
            .collect(),
        None => vec!["all".to_string(); df.height()],
    };
    let num = |c: &str| nums(&df, c);
    let (r, o, a) = (num("revenue")?, num("orders")?, num("active")?);
    Ok((0..df.height())
        .map(|i| ((groups[i].clone(), months[i].clone()), [r[i], o[i], a[i]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_lengths_follow_the_calendar() {
        let d = |y, m| chrono::NaiveDate::from_ymd_opt(y, m, 9).unwrap();
        assert_eq!(days_in_month(d(2011, 12)), 31);
        assert_eq!(days_in_month(d(2024, 2)), 29);
        assert_eq!(days_in_month(d(2023, 2)), 28);
        assert_eq!(days_in_month(d(2023, 4)), 30);
    }

    #[test]
    fn series_from_coded_lines_equal_the_group_bys() {
        let ds = crate::data::load_bundled().unwrap().materialized().unwrap();
        let keys = Keys::build(&ds).unwrap().expect("the sample is coded");
        for group in [None, Some("region"), Some("category")] {
            let fast = monthly(&ds, Some(&keys), group).unwrap();
            let slow = monthly(&ds, None, group).unwrap();
            assert_eq!(
                fast.keys().collect::<Vec<_>>(),
                slow.keys().collect::<Vec<_>>()
            );
            assert!(fast.len() >= 12, "{group:?}");
            for (k, a) in &fast {
                let b = slow[k];
                for j in 0..3 {
                    assert!((a[j] - b[j]).abs() <= 1e-9 * b[j].abs().max(1.0), "{k:?}");
                }
            }
        }
    }
}
