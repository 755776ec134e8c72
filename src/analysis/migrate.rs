//! Segment migration: fit on the history before a split date, then assign every customer as of
//! the end with the same model, and count who moved where.

use anyhow::Result;
use chrono::{Months, NaiveDate};
use polars::prelude::*;

use super::features::customer_features;
use super::segment::{self, SegmentParams, Segmentation};
use super::{Table, Value};
use crate::bail_input;
use crate::data::Dataset;

/// The result of `segscope migrate`.
#[derive(Clone, Debug)]
pub struct Migration {
    pub split: NaiveDate,
    pub before: Segmentation,
    /// Every group a customer can be in ("1 Lapsed", …, the net returners last): the rows
    /// before the split (then the customers new after it) and the columns after it.
    pub groups: Vec<String>,
    /// `counts[before][after]`; row `groups.len()` is the customers new after the split.
    pub counts: Vec<Vec<usize>>,
    /// Per row of `counts`: customers who bought nothing after the split.
    pub idle: Vec<usize>,
}

/// The label of the row of customers who first bought after the split.
pub const NEW_AFTER_SPLIT: &str = "(new after split)";

impl Migration {
    /// The label of row `r` of [`Migration::counts`].
    pub fn row_label(&self, r: usize) -> &str {
        self.groups.get(r).map_or(NEW_AFTER_SPLIT, String::as_str)
    }

    /// The counts as a table (text, JSON): one column per group after, the row's total and
    /// its customers who bought nothing after the split.
    pub fn count_table(&self) -> Table {
        let mut t = self.table("migration", "", &["customers", "no_purchase_after_split"]);
        for (r, counts) in self.counts.iter().enumerate() {
            let mut row = vec![Value::text(self.row_label(r))];
            row.extend(counts.iter().map(|&c| Value::count(c)));
            row.push(Value::count(counts.iter().sum()));
            row.push(Value::count(self.idle[r]));
            t.push(row);
        }
        t
    }

    /// The counts as shares of each row.
    pub fn share_table(&self) -> Table {
        let mut t = self.table("migration_shares", " (share of row)", &[]);
        for (r, counts) in self.counts.iter().enumerate() {
            let total: usize = counts.iter().sum();
            let mut row = vec![Value::text(self.row_label(r))];
            row.extend(counts.iter().map(|&c| {
                Value::Share(if total > 0 {
                    c as f64 / total as f64
                } else {
                    0.0
                })
            }));
            t.push(row);
        }
        t
    }

    fn table(&self, name: &str, title: &str, extra: &[&str]) -> Table {
        let mut columns: Vec<String> = vec!["before".into()];
        columns.extend(self.groups.iter().map(|g| format!("after: {g}")));
        columns.extend(extra.iter().map(|c| c.to_string()));
        Table {
            name: name.into(),
            title: format!("Segment migration across {}{title}", self.split),
            columns,
            rows: vec![],
        }
    }
}

fn date_bounds(ds: &Dataset) -> Result<(NaiveDate, NaiveDate)> {
    let df = ds
        .lines
        .clone()
        .select([
            col("date").min().cast(DataType::Int64).alias("a"),
            col("date").max().cast(DataType::Int64).alias("b"),
        ])
        .collect()?;
    let get = |c: &str| -> Result<NaiveDate> {
        let us = df.column(c)?.i64()?.get(0).unwrap_or(0);
        Ok(chrono::DateTime::from_timestamp_micros(us)
            .map(|d| d.date_naive())
            .unwrap_or_default())
    };
    Ok((get("a")?, get("b")?))
}

fn micros(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_micros())
}

/// Parses `--split` (YYYY-MM-DD) or defaults to three months before the last date.
pub fn choose_split(ds: &Dataset, split: Option<&str>) -> Result<NaiveDate> {
    ds.require_transactions("migration")?;
    let (first, last) = date_bounds(ds)?;
    let split = match split {
        Some(s) => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => bail_input!("--split {s:?}: expected a date like 2024-10-01"),
        },
        None => last.checked_sub_months(Months::new(3)).unwrap_or(last),
    };
    if split <= first || split > last {
        bail_input!(
            "--split {split}: must fall after the first purchase ({first}) and on or before the last ({last})"
        );
    }
    Ok(split)
}

fn restrict(ds: &Dataset, before_us: i64) -> Dataset {
    let keep = col("date").cast(DataType::Int64).lt(lit(before_us));
    Dataset {
        lines: ds.lines.clone().filter(keep.clone()),
        returns: ds.returns.clone().filter(keep),
        ..ds.clone()
    }
}

/// Fits on the period before `split` and follows each customer to the end of the data.
pub fn migrate(ds: &Dataset, params: &SegmentParams, split: NaiveDate) -> Result<Migration> {
    let split_us = micros(split);
    let before = fit_before(ds, params, split, split_us)?;
    let after_f = customer_features(ds)?;
    let model = super::model::Model::from_segmentation(&before, &ds.name);
    let (after_labels, _) =
        model.assign(&after_f, std::path::Path::new("(fitted before the split)"))?;
    let active = active_since(ds, split_us)?;

    // Every group a customer can be in: the segments, then the net returners.
    let k = model.group_names().len();
    let personas: Vec<String> = model
        .group_names()
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{} {p}", i + 1))
        .collect();
    let (counts, idle) = count_moves(&before, &after_f.ids, &after_labels, &active, k);
    Ok(Migration {
        split,
        before,
        groups: personas,
        counts,
        idle,
    })
}

/// The segmentation of the customers who bought before `split`.
fn fit_before(
    ds: &Dataset,
    params: &SegmentParams,
    split: NaiveDate,
    split_us: i64,
) -> Result<Segmentation> {
    let before_f = customer_features(&restrict(ds, split_us))?;
    if before_f.len() <= params.k {
        bail_input!(
            "--split {split}: only {} customer(s) bought before it, too few for --k {}; choose a later --split",
            before_f.len(),
            params.k
        );
    }
    segment::fit(&before_f, params)
}

/// Who bought after the split.
fn active_since(ds: &Dataset, split_us: i64) -> Result<std::collections::HashSet<String>> {
    let active = ds
        .lines
        .clone()
        .filter(
            col("date")
                .cast(DataType::Int64)
                .gt_eq(lit(split_us))
                .and(col("customer_id").is_not_null()),
        )
        .select([col("customer_id")])
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    Ok(active
        .column("customer_id")?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect())
}

/// Customers counted by (group before, group after), and those idle since, by group before;
/// a customer new since the split is in row `k`.
fn count_moves(
    before: &Segmentation,
    after_ids: &[String],
    after_labels: &[usize],
    active: &std::collections::HashSet<String>,
    k: usize,
) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut counts = vec![vec![0usize; k]; k + 1];
    let mut idle = vec![0usize; k + 1];
    let before_at: std::collections::HashMap<&str, usize> = before
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), before.labels[i]))
        .collect();
    for (i, id) in after_ids.iter().enumerate() {
        let row = before_at.get(id.as_str()).copied().unwrap_or(k);
        counts[row][after_labels[i]] += 1;
        if !active.contains(id) {
            idle[row] += 1;
        }
    }
    (counts, idle)
}
