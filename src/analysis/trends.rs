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

/// Every series over the same months.
#[derive(Clone, Debug, PartialEq)]
pub struct Trends {
    pub months: Vec<String>,
    pub overall: Series,
    pub by_region: Vec<Series>,
    pub by_category: Vec<Series>,
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
    let series = |data: &BTreeMap<(String, String), [f64; 3]>| -> Vec<Series> {
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
    };
    let overall = series(&overall).into_iter().next().unwrap_or(Series {
        name: "all".into(),
        revenue: vec![],
        orders: vec![],
        active_customers: vec![],
    });
    let by_region = if ds.present.region {
        series(&monthly(ds, keys, Some("region"))?)
    } else {
        vec![]
    };
    let by_category = if ds.present.category {
        series(&monthly(ds, keys, Some("category"))?)
    } else {
        vec![]
    };
    Ok(Trends {
        months,
        overall,
        by_region,
        by_category,
    })
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
