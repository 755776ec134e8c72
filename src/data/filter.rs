//! `--from`, `--to` and `--where`: the slice of the data every command and pane works on. A
//! filter applies to the purchase lines and returns alike; a value the data does not have is
//! refused with the values it has, and a filter that leaves nothing says so, rather than
//! printing tables of zeros.

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;

use super::Dataset;
use crate::bail_input;

/// What a filter can select on: the line's region, category or product (its name where the
/// data names products, as the top-product tables list them; else its id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Region,
    Category,
    Product,
}

impl Dimension {
    fn parse(name: &str) -> Option<Dimension> {
        match name.trim().to_ascii_lowercase().as_str() {
            "region" | "country" => Some(Dimension::Region),
            "category" => Some(Dimension::Category),
            "product" => Some(Dimension::Product),
            _ => None,
        }
    }

    /// The word for it in flags and messages.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Region => "region",
            Dimension::Category => "category",
            Dimension::Product => "product",
        }
    }

    /// The lines' column it reads.
    fn column(self, ds: &Dataset) -> &'static str {
        match self {
            Dimension::Product if ds.present.product_name => "product_name",
            Dimension::Product => "product_id",
            other => other.name(),
        }
    }

    fn present(self, ds: &Dataset) -> bool {
        match self {
            Dimension::Region => ds.present.region,
            Dimension::Category => ds.present.category,
            Dimension::Product => ds.present.product,
        }
    }
}

/// The filters of one run: a date range (inclusive) and values per dimension (any of a
/// dimension's values; every dimension given).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub wheres: Vec<(Dimension, String)>,
    /// Only these customers (sorted ids), with what they are ("segment 2 Lapsed"): the TUI's
    /// slice of one segment.
    pub customers: Option<(String, Vec<String>)>,
}

impl Filters {
    /// Reads `--from`, `--to` and each `--where DIM=VALUE`.
    pub fn parse(from: Option<&str>, to: Option<&str>, wheres: &[String]) -> Result<Filters> {
        let day = |flag: &str, text: Option<&str>| -> Result<Option<NaiveDate>> {
            let Some(text) = text else { return Ok(None) };
            match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                Ok(d) => Ok(Some(d)),
                Err(_) => bail_input!(
                    "{flag} {text}: write the date as YYYY-MM-DD, e.g. {flag} 2011-03-01"
                ),
            }
        };
        let (from, to) = (day("--from", from)?, day("--to", to)?);
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            bail_input!("--from {a} --to {b}: the range ends before it starts; swap them");
        }
        let mut out = Vec::new();
        for w in wheres {
            let Some((dim, value)) = w.split_once('=') else {
                bail_input!(
                    "--where {w}: write DIMENSION=VALUE, e.g. --where region=Germany or --where category=Books"
                );
            };
            if dim.trim().eq_ignore_ascii_case("segment") {
                bail_input!(
                    "--where {w}: segments depend on a fit; slice by segment in the app (F, segment=N), or list a segment's customers with segscope segment --out DIR"
                );
            }
            let Some(d) = Dimension::parse(dim) else {
                bail_input!(
                    "--where {w}: {dim:?} is not a filter; filter on region (or country), category or product"
                );
            };
            if value.trim().is_empty() {
                bail_input!(
                    "--where {w}: the value is empty; e.g. --where {}=Germany",
                    d.name()
                );
            }
            out.push((d, value.trim().to_string()));
        }
        Ok(Filters {
            from,
            to,
            wheres: out,
            customers: None,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.wheres.is_empty()
            && self.customers.is_none()
    }

    /// "region=Germany, 2011-01-01 to 2011-06-30" for notes and headers.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .wheres
            .iter()
            .map(|(d, v)| format!("{}={v}", d.name()))
            .collect();
        if let Some((label, _)) = &self.customers {
            parts.push(label.clone());
        }
        match (self.from, self.to) {
            (Some(a), Some(b)) => parts.push(format!("{a} to {b}")),
            (Some(a), None) => parts.push(format!("from {a}")),
            (None, Some(b)) => parts.push(format!("to {b}")),
            (None, None) => {}
        }
        parts.join(", ")
    }
}

/// Midnight of `d`, in the microseconds the lines' dates are held in.
fn micros(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_micros())
}

/// What a filter keeps, as expressions: the lines' condition on what they are (region,
/// category, product, customer), their condition on when, and the lists the customer file is
/// cut by too.
struct Conditions {
    what: Expr,
    when: Expr,
    regions: Option<Expr>,
    customers: Option<Expr>,
}

/// A list of values as one literal for `is_in`.
fn list(values: &[String]) -> Expr {
    lit(Series::new("".into(), values)).implode(false)
}

/// On or after `from`'s midnight and before the midnight after `to`: both days inclusive.
fn dates_between(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Expr {
    let mut when = lit(true);
    if let Some(a) = from {
        when = when.and(col("date").cast(DataType::Int64).gt_eq(lit(micros(a))));
    }
    if let Some(b) = to {
        let after = micros(b + chrono::Duration::days(1));
        when = when.and(col("date").cast(DataType::Int64).lt(lit(after)));
    }
    when
}

impl Dataset {
    /// The dataset cut to `filters`: lines and returns by date, region and category; zero-price
    /// purchase occasions by date and to the customers left. Unchanged without filters.
    pub fn filtered(self, filters: &Filters) -> Result<Dataset> {
        if filters.is_empty() {
            return Ok(self);
        }
        if self.table.is_some() {
            bail_input!(
                "{}: --from, --to and --where filter purchase lines, and this is a customer table; filter the table before loading it",
                self.name
            );
        }
        let _t = crate::timing::phase("load: filters");
        let c = self.conditions(filters)?;
        let both = c.what.clone().and(c.when.clone());
        let total = count(&self.lines)?;
        let mut ds = self;
        ds.lines = ds.lines.filter(both.clone());
        ds.returns = ds.returns.filter(both);
        let kept = count(&ds.lines)?;
        if kept == 0 {
            bail_input!(
                "{}: no purchase lines are left after the filter ({}); widen the dates or pick other values",
                ds.name,
                filters.describe()
            );
        }
        ds.free_purchases = free_purchases_left(&ds, c.when)?;
        if let Some(regions) = c.regions {
            ds.customers = customers_in(ds.customers.take(), "region", regions)?;
        }
        if let Some(ids) = c.customers {
            ds.customers = customers_in(ds.customers.take(), "customer_id", ids)?;
        }
        ds.report.notes.push(format!(
            "filtered to {}: {} of {} purchase lines kept",
            filters.describe(),
            crate::humanize::count(kept as i64),
            crate::humanize::count(total as i64)
        ));
        Ok(ds)
    }

    /// The filters as conditions on this dataset's columns, each value checked against the
    /// values the data has.
    fn conditions(&self, filters: &Filters) -> Result<Conditions> {
        let mut what = lit(true);
        let mut regions = None;
        for dim in [Dimension::Region, Dimension::Category, Dimension::Product] {
            let values = self.checked_values(filters, dim)?;
            if values.is_empty() {
                continue;
            }
            let values = list(&values);
            let column = col(dim.column(self)).cast(DataType::String);
            what = what.and(column.is_in(values.clone(), false));
            if dim == Dimension::Region {
                regions = Some(values);
            }
        }
        let customers = filters.customers.as_ref().map(|(_, ids)| list(ids));
        if let Some(ids) = &customers {
            let id = col("customer_id").cast(DataType::String);
            what = what.and(id.is_in(ids.clone(), false));
        }
        Ok(Conditions {
            what,
            when: dates_between(filters.from, filters.to),
            regions,
            customers,
        })
    }

    /// The values `filters` asks of `dim`, spelled as the data spells them (case aside), or
    /// the refusal that lists the values the data has.
    fn checked_values(&self, filters: &Filters, dim: Dimension) -> Result<Vec<String>> {
        let asked: Vec<&String> = filters
            .wheres
            .iter()
            .filter(|(d, _)| *d == dim)
            .map(|(_, v)| v)
            .collect();
        if asked.is_empty() {
            return Ok(vec![]);
        }
        if !dim.present(self) {
            bail_input!(
                "--where {}=…: {} has no {} column; see segscope inspect, or map one with --map {}=COLUMN",
                dim.name(),
                self.name,
                dim.name(),
                dim.column(self)
            );
        }
        let values = self.values_of(dim)?;
        asked
            .into_iter()
            .map(|v| {
                if values.contains(v) {
                    return Ok(v.clone());
                }
                let same: Vec<&String> = values
                    .iter()
                    .filter(|x| x.eq_ignore_ascii_case(v))
                    .collect();
                if let [one] = same.as_slice() {
                    return Ok((*one).clone());
                }
                let shown: Vec<&str> = values.iter().take(30).map(String::as_str).collect();
                let more = if values.len() > 30 {
                    format!(" and {} more", values.len() - 30)
                } else {
                    String::new()
                };
                bail_input!(
                    "--where {}={v}: no line has that {}; the data has {}{more}",
                    dim.name(),
                    dim.name(),
                    shown.join(", ")
                )
            })
            .collect()
    }
}

impl Dataset {
    /// The values of `dim` the lines have, sorted.
    fn values_of(&self, dim: Dimension) -> Result<Vec<String>> {
        let found = self
            .lines
            .clone()
            .select([col(dim.column(self))
                .drop_nulls()
                .unique()
                .cast(DataType::String)
                .alias("v")])
            .collect()?;
        let mut values: Vec<String> = found
            .column("v")?
            .str()?
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        values.sort();
        Ok(values)
    }
}

fn count(lines: &LazyFrame) -> Result<usize> {
    let n = lines.clone().select([len().alias("n")]).collect()?;
    Ok(n.column("n")?
        .cast(&DataType::UInt64)?
        .u64()?
        .get(0)
        .unwrap_or(0) as usize)
}

/// The customer file's customers whose `column` is one of `values` (a region filter counts the
/// region's customers, not everyone's), where the file has that column.
fn customers_in(
    customers: Option<LazyFrame>,
    column: &str,
    values: Expr,
) -> Result<Option<LazyFrame>> {
    let Some(c) = customers else { return Ok(None) };
    if c.clone().collect_schema()?.get(column).is_none() {
        return Ok(Some(c));
    }
    Ok(Some(c.filter(
        col(column).cast(DataType::String).is_in(values, false),
    )))
}

/// Zero-price purchase occasions in the date range, of customers with a line left.
fn free_purchases_left(ds: &Dataset, dated: Expr) -> Result<DataFrame> {
    let free = ds.free_purchases.clone().lazy().filter(dated);
    let Ok(schema) = ds.lines.clone().collect_schema() else {
        return Ok(free.collect()?);
    };
    if schema.get("customer_id").is_none() || ds.free_purchases.column("customer_id").is_err() {
        return Ok(free.collect()?);
    }
    let buyers = ds
        .lines
        .clone()
        .select([col("customer_id").drop_nulls().unique()]);
    Ok(free
        .join(
            buyers,
            [col("customer_id")],
            [col("customer_id")],
            JoinArgs::new(JoinType::Semi),
        )
        .collect()?)
}
