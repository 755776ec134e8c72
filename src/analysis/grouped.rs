//! Revenue, units, lines, distinct orders and distinct customers per group (all lines, region
//! or category) and month, from one pass over integer-coded lines.
//!
//! The EDA tables and trends ask this of a million lines several times. As polars group-bys
//! each is a hash of every line plus a hash set per group for each distinct count (and the TUI
//! runs a dozen of them while the segments fit). Here the lines
//! already carry dense codes (customers, products, orders), so a group is an array index,
//! distinct orders are counted as runs (an order's lines are one run when its code never
//! descends) and distinct customers as bits. Where the data lacks the codes, [`Keys::build`]
//! says so and the callers keep their polars queries (tests compare the two).

use anyhow::Result;
use polars::prelude::*;

use crate::data::frame::{UNKNOWN, texts};
use crate::data::{Dataset, ORDER_CODE};

/// What the lines are grouped by (besides the month).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    All,
    Region,
    Category,
}

/// Each coded value's group, and the groups' names (sorted); the group `labels.len()` is
/// "(unknown)" (no value, or a code past the table).
struct Groups {
    of: Vec<u32>,
    labels: Vec<String>,
}

impl Groups {
    fn get(&self, code: u32) -> u32 {
        self.of
            .get(code as usize)
            .copied()
            .unwrap_or(self.labels.len() as u32)
    }
}

/// Category names (sorted) and, for each, its buyers' customer codes as bits.
pub type CategorySets = (Vec<String>, Vec<Vec<u64>>);

/// Bits of distinct customers kept at most (cells × customers): 32 MB.
const MAX_BITS: usize = 1 << 28;

/// A missing customer.
const NONE: u32 = u32::MAX;

/// The lines' columns as plain slices and vectors, ready for [`Keys::grouped`]. Orders,
/// amounts, units and products are the lines' own columns (checked contiguous and complete
/// when built), not copies.
pub struct Keys {
    /// `order_code`, `amount`, `quantity`, `unit_price` and (where every line has one)
    /// `product_code`.
    lines: DataFrame,
    /// year × 12 + month − 1.
    month: Vec<i32>,
    /// 0 (Monday) to 6.
    weekday: Vec<u8>,
    /// 0 to 23.
    hour: Vec<u8>,
    customer: Vec<u32>,
    customers: usize,
    region: Option<Groups>,
    category: Option<Groups>,
}

/// Codes of `values` into their sorted distinct non-missing values (missing: past the end).
fn groups(values: &Column) -> Result<Groups> {
    let df = DataFrame::new(
        values.len(),
        vec![values.cast(&DataType::String)?.with_name("v".into())],
    )?;
    let labels = df
        .clone()
        .lazy()
        .drop_nulls(None)
        .unique(None, UniqueKeepStrategy::Any)
        .sort(["v"], SortMultipleOptions::default())
        .with_row_index("code", None)
        .collect()?;
    let args = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let coded = df
        .lazy()
        .join(labels.clone().lazy(), [col("v")], [col("v")], args)
        .select([col("code").cast(DataType::UInt32)])
        .collect()?;
    anyhow::ensure!(coded.height() == values.len(), "grouping changed the rows");
    let unknown = labels.height() as u32;
    Ok(Groups {
        of: coded
            .column("code")?
            .u32()?
            .iter()
            .map(|c| c.unwrap_or(unknown))
            .collect(),
        labels: texts(&labels, "v")?,
    })
}

/// `year × 12 + month − 1` of microseconds since 1970 (the lines' naive datetimes).
fn month_index(us: i64) -> i32 {
    use chrono::Datelike;
    const DAY_US: i64 = 86_400_000_000;
    // Days from 0001-01-01 (day 1) to 1970-01-01.
    const EPOCH_CE: i64 = 719_163;
    let days = us.div_euclid(DAY_US) + EPOCH_CE;
    i32::try_from(days)
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .map_or(0, |d| d.year() * 12 + d.month0() as i32)
}

fn u32s(df: &DataFrame, name: &str, missing: u32) -> Result<Vec<u32>> {
    Ok(df
        .column(name)?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(missing))
        .collect())
}

/// The lines' columns the keys are made of, in one chunk each: `customer_code`, the order
/// code, `date` (microseconds), the numbers and, with a product file, `product_code`. `None`
/// where an order, date or number is missing, or the order codes descend (orders not runs).
fn coded_lines(ds: &Dataset) -> Result<Option<DataFrame>> {
    let mut select = vec![
        col("customer_code"),
        col(ORDER_CODE),
        col("date").cast(DataType::Int64),
        col("amount"),
        col("quantity"),
        col("unit_price"),
    ];
    if ds.products.is_some() && ds.present.product {
        select.push(col("product_code"));
    }
    let mut lines = ds.lines.clone().select(select).collect()?;
    lines.rechunk_mut();
    let missing = |c: &str| lines.column(c).map(|c| c.null_count() > 0);
    for c in [ORDER_CODE, "date", "amount", "quantity", "unit_price"] {
        if missing(c)? {
            return Ok(None);
        }
    }
    let order = lines.column(ORDER_CODE)?.u32()?.cont_slice()?;
    if order.windows(2).any(|w| w[1] < w[0]) {
        return Ok(None);
    }
    Ok(Some(lines))
}

/// Each line's month (year × 12 + month − 1), weekday (0 for Monday) and hour.
struct DateParts {
    month: Vec<i32>,
    weekday: Vec<u8>,
    hour: Vec<u8>,
}

impl DateParts {
    /// The parts of `dates` (microseconds, none missing). Dates come in runs of a day: each
    /// day's month and weekday are worked out once.
    fn of(dates: &Int64Chunked) -> DateParts {
        const DAY_US: i64 = 86_400_000_000;
        const HOUR_US: i64 = 3_600_000_000;
        let n = dates.len();
        let (mut month, mut weekday, mut hour) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut last = (i64::MIN, 0, 0);
        for us in dates.into_no_null_iter() {
            let day = us.div_euclid(DAY_US);
            if day != last.0 {
                // 1970-01-01 was a Thursday (3 with Monday as 0).
                last = (day, month_index(us), (day + 3).rem_euclid(7) as u8);
            }
            month.push(last.1);
            weekday.push(last.2);
            hour.push((us.rem_euclid(DAY_US) / HOUR_US) as u8);
        }
        DateParts {
            month,
            weekday,
            hour,
        }
    }
}

/// The line columns [`Keys::grouped`] adds up, as [`Keys::build`] checked them.
#[derive(Clone, Copy)]
struct LineSums<'a> {
    order: &'a [u32],
    amount: &'a [f64],
    quantity: &'a [f64],
}

/// How [`Keys::grouped`] lays out its cells: `group × months + month`, `words` words of
/// customer bits each.
struct CellLayout {
    per_month: bool,
    /// The first month (year × 12 + month − 1), with `per_month`.
    first: i32,
    months: usize,
    cells: usize,
    words: usize,
}

/// What [`Keys::grouped`] adds up per cell, and the bits of its distinct customers.
struct CellSums {
    revenue: Vec<f64>,
    units: Vec<f64>,
    lines: Vec<u64>,
    orders: Vec<u64>,
    bits: Vec<u64>,
}

impl CellSums {
    /// One row per cell with lines; `group` from `labels` ("all" without), `month` as yyyymm.
    fn frame(&self, layout: &CellLayout, labels: Option<&[String]>) -> Result<DataFrame> {
        let &CellLayout {
            per_month,
            first,
            months,
            cells,
            words,
        } = layout;
        let kept: Vec<usize> = (0..cells).filter(|&c| self.lines[c] > 0).collect();
        let label = |c: usize| match labels {
            None => "all".to_string(),
            Some(labels) => labels
                .get(c / months)
                .cloned()
                .unwrap_or_else(|| UNKNOWN.to_string()),
        };
        let month_key = |c: usize| {
            let m = first + (c % months) as i32;
            i64::from(m.div_euclid(12)) * 100 + i64::from(m.rem_euclid(12)) + 1
        };
        let pick_f = |v: &[f64]| kept.iter().map(|&c| v[c]).collect::<Vec<f64>>();
        let pick_u = |v: &[u64]| kept.iter().map(|&c| v[c]).collect::<Vec<u64>>();
        let distinct: Vec<u64> = kept
            .iter()
            .map(|&c| {
                self.bits[c * words..(c + 1) * words]
                    .iter()
                    .map(|w| u64::from(w.count_ones()))
                    .sum()
            })
            .collect();
        let mut columns = vec![Column::new(
            "group".into(),
            kept.iter().map(|&c| label(c)).collect::<Vec<_>>(),
        )];
        if per_month {
            columns.push(Column::new(
                "month".into(),
                kept.iter().map(|&c| month_key(c)).collect::<Vec<_>>(),
            ));
        }
        columns.extend([
            Column::new("revenue".into(), pick_f(&self.revenue)),
            Column::new("quantity".into(), pick_f(&self.units)),
            Column::new("transactions".into(), pick_u(&self.lines)),
            Column::new("orders".into(), pick_u(&self.orders)),
            Column::new("customers".into(), distinct),
        ]);
        Ok(DataFrame::new(kept.len(), columns)?)
    }
}

impl Keys {
    /// `None` unless the lines carry customer and order codes, every order is one run of
    /// lines, and no date or number is missing.
    pub fn build(ds: &Dataset) -> Result<Option<Keys>> {
        let _t = crate::timing::phase("grouped: keys");
        let Some(ids) = ds.coded_customers() else {
            return Ok(None);
        };
        let Some(lines) = coded_lines(ds)? else {
            return Ok(None);
        };
        let n = lines.height();
        let DateParts {
            month,
            weekday,
            hour,
        } = DateParts::of(lines.column("date")?.i64()?);
        let region = match (&ds.customer_lookups, ds.present.region) {
            (Some(c), true) => match c.column("region") {
                Ok(values) => Some(groups(values)?),
                Err(_) => None,
            },
            _ => None,
        };
        // Categories by product code: only where the lines look them up in the product file.
        let category = match ds.category_by_product() {
            Some(values) => Some(groups(values)?),
            None => None,
        };
        let customer = u32s(&lines, "customer_code", NONE)?;
        // Products by code where every line has one (else products are named by their ids).
        let mut kept = vec![ORDER_CODE, "amount", "quantity", "unit_price"];
        if matches!(lines.column("product_code"), Ok(c) if c.null_count() == 0) {
            kept.push("product_code");
        }
        let keys = Keys {
            lines: lines.select(kept)?,
            month,
            weekday,
            hour,
            customer,
            customers: ids.height(),
            region,
            category,
        };
        // Every slice the methods read is there (contiguous, complete) or the keys are not.
        if keys.amount()?.len() != n
            || keys.quantity()?.len() != n
            || keys.unit_price()?.len() != n
            || keys.order()?.len() != n
        {
            return Ok(None);
        }
        Ok(Some(keys))
    }

    fn order(&self) -> Result<&[u32]> {
        Ok(self.lines.column(ORDER_CODE)?.u32()?.cont_slice()?)
    }

    fn amount(&self) -> Result<&[f64]> {
        Ok(self.lines.column("amount")?.f64()?.cont_slice()?)
    }

    fn quantity(&self) -> Result<&[f64]> {
        Ok(self.lines.column("quantity")?.f64()?.cont_slice()?)
    }

    fn unit_price(&self) -> Result<&[f64]> {
        Ok(self.lines.column("unit_price")?.f64()?.cont_slice()?)
    }

    /// Lines and revenue below `low`, up to `high` (inclusive), and above, by unit price.
    pub fn price_tiers(&self, low: f64, high: f64) -> Result<[(u64, f64); 3]> {
        let mut out = [(0u64, 0.0); 3];
        for (&p, &a) in self.unit_price()?.iter().zip(self.amount()?) {
            let tier = if p < low {
                0
            } else if p <= high {
                1
            } else {
                2
            };
            out[tier].0 += 1;
            out[tier].1 += a;
        }
        Ok(out)
    }

    /// Each line's product code, where every line has one.
    fn product(&self) -> Result<Option<&[u32]>> {
        match self.lines.column("product_code") {
            Ok(c) => Ok(Some(c.u32()?.cont_slice()?)),
            Err(_) => Ok(None),
        }
    }

    /// One row per group (and month, with `per_month`) that has lines: `group` (text), `month`
    /// (yyyymm, with `per_month`), `revenue`, `quantity`, `transactions`, `orders`,
    /// `customers` (distinct, lines without a customer not counted). `None` when the lines
    /// don't carry that grouping, or the distinct customers would need too many bits.
    pub fn grouped(&self, by: By, per_month: bool) -> Result<Option<DataFrame>> {
        let _t = crate::timing::phase("grouped: cells");
        let none = Groups {
            of: vec![],
            labels: vec![],
        };
        let (order, amount, quantity, product) = (
            self.order()?,
            self.amount()?,
            self.quantity()?,
            self.product()?,
        );
        let (groups, group_of): (&Groups, Box<dyn Fn(usize) -> u32 + '_>) = match by {
            By::All => (&none, Box::new(|_| 0)),
            By::Region => match &self.region {
                Some(g) => (g, Box::new(move |i| g.get(self.customer[i]))),
                None => return Ok(None),
            },
            By::Category => match (&self.category, product) {
                (Some(g), Some(p)) => (g, Box::new(move |i| g.get(p[i]))),
                _ => return Ok(None),
            },
        };
        let n_groups = groups.labels.len().max(1) + usize::from(by != By::All);
        let Some(layout) = self.layout(n_groups, per_month) else {
            return Ok(None);
        };
        let lines = LineSums {
            order,
            amount,
            quantity,
        };
        let sums = self.cell_sums(&layout, lines, &*group_of);
        let labels = match by {
            By::All => None,
            _ => Some(groups.labels.as_slice()),
        };
        Ok(Some(sums.frame(&layout, labels)?))
    }

    /// The cells of `n_groups` groups (by month with `per_month`), or `None` when their
    /// distinct customers would need more than [`MAX_BITS`].
    fn layout(&self, n_groups: usize, per_month: bool) -> Option<CellLayout> {
        let (first, months) = match (self.month.iter().min(), self.month.iter().max()) {
            (Some(&a), Some(&b)) if per_month => (a, (b - a) as usize + 1),
            _ => (0, 1),
        };
        let cells = n_groups * months;
        let words = self.customers.div_ceil(64);
        if cells.saturating_mul(words * 64) > MAX_BITS {
            return None;
        }
        Some(CellLayout {
            per_month,
            first,
            months,
            cells,
            words,
        })
    }

    /// Every line added into its cell: the group `group_of(line)` gives, and its month.
    fn cell_sums(
        &self,
        layout: &CellLayout,
        lines: LineSums,
        group_of: &dyn Fn(usize) -> u32,
    ) -> CellSums {
        let LineSums {
            order,
            amount,
            quantity,
        } = lines;
        let &CellLayout {
            per_month,
            first,
            months,
            cells,
            words,
        } = layout;
        let mut revenue = vec![0.0; cells];
        let mut units = vec![0.0; cells];
        let mut lines = vec![0u64; cells];
        let mut orders = vec![0u64; cells];
        let mut last_order = vec![u32::MAX; cells];
        let mut bits = vec![0u64; cells * words];
        for i in 0..amount.len() {
            let m = if per_month {
                (self.month[i] - first) as usize
            } else {
                0
            };
            let cell = group_of(i) as usize * months + m;
            revenue[cell] += amount[i];
            units[cell] += quantity[i];
            lines[cell] += 1;
            // Orders are runs: an order seen again in a cell is the one seen last there.
            if last_order[cell] != order[i] {
                last_order[cell] = order[i];
                orders[cell] += 1;
            }
            let c = self.customer[i];
            if c != NONE && (c as usize) < self.customers {
                bits[cell * words + c as usize / 64] |= 1 << (c % 64);
            }
        }
        CellSums {
            revenue,
            units,
            lines,
            orders,
            bits,
        }
    }

    /// Distinct orders of each customer who bought (in code order).
    pub fn orders_per_customer(&self) -> Result<Vec<u64>> {
        let mut orders = vec![0u64; self.customers];
        let mut last = vec![u32::MAX; self.customers];
        for (&c, &o) in self.customer.iter().zip(self.order()?) {
            if let (Some(n), Some(l)) = (orders.get_mut(c as usize), last.get_mut(c as usize))
                && *l != o
            {
                *l = o;
                *n += 1;
            }
        }
        orders.retain(|&n| n > 0);
        Ok(orders)
    }

    /// Revenue of each region and category that sold (columns `region`, `category`,
    /// `revenue`), or `None` without both groupings.
    pub fn region_category_revenue(&self) -> Result<Option<DataFrame>> {
        let (Some(r), Some(g), Some(p)) = (&self.region, &self.category, self.product()?) else {
            return Ok(None);
        };
        let amount = self.amount()?;
        let cats = g.labels.len() + 1;
        let cells = (r.labels.len() + 1) * cats;
        let mut revenue = vec![0.0; cells];
        let mut sold = vec![false; cells];
        for i in 0..amount.len() {
            let cell = r.get(self.customer[i]) as usize * cats + g.get(p[i]) as usize;
            revenue[cell] += amount[i];
            sold[cell] = true;
        }
        let name = |labels: &[String], j: usize| {
            labels
                .get(j)
                .cloned()
                .unwrap_or_else(|| UNKNOWN.to_string())
        };
        let kept: Vec<usize> = (0..cells).filter(|&c| sold[c]).collect();
        Ok(Some(DataFrame::new(
            kept.len(),
            vec![
                Column::new(
                    "region".into(),
                    kept.iter()
                        .map(|&c| name(&r.labels, c / cats))
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "category".into(),
                    kept.iter()
                        .map(|&c| name(&g.labels, c % cats))
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "revenue".into(),
                    kept.iter().map(|&c| revenue[c]).collect::<Vec<_>>(),
                ),
            ],
        )?))
    }

    /// Revenue, lines and distinct orders for each weekday, Monday first.
    pub fn by_weekday(&self) -> Result<Vec<(f64, u64, u64)>> {
        self.by_part(&self.weekday, 7)
    }

    /// Revenue, lines and distinct orders for each hour of the day, 0 to 23.
    pub fn by_hour(&self) -> Result<Vec<(f64, u64, u64)>> {
        self.by_part(&self.hour, 24)
    }

    fn by_part(&self, part: &[u8], parts: usize) -> Result<Vec<(f64, u64, u64)>> {
        let (order, amount) = (self.order()?, self.amount()?);
        let mut out = vec![(0.0, 0u64, 0u64); parts];
        let mut last = vec![u32::MAX; parts];
        for i in 0..amount.len() {
            let p = usize::from(part[i]).min(parts - 1);
            let cell = &mut out[p];
            cell.0 += amount[i];
            cell.1 += 1;
            if last[p] != order[i] {
                last[p] = order[i];
                cell.2 += 1;
            }
        }
        Ok(out)
    }

    /// Revenue, units and lines of each product code that sold (columns `product_code`,
    /// `revenue`, `quantity`, `transactions`), or `None` unless every line has a code.
    pub fn per_product(&self) -> Result<Option<DataFrame>> {
        let Some(p) = self.product()? else {
            return Ok(None);
        };
        let (amount, quantity) = (self.amount()?, self.quantity()?);
        let n = p.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let (mut revenue, mut units, mut lines) = (vec![0.0; n], vec![0.0; n], vec![0u64; n]);
        for (i, &c) in p.iter().enumerate() {
            revenue[c as usize] += amount[i];
            units[c as usize] += quantity[i];
            lines[c as usize] += 1;
        }
        let kept: Vec<u32> = (0..n as u32).filter(|&c| lines[c as usize] > 0).collect();
        let pick = |v: &[f64]| kept.iter().map(|&c| v[c as usize]).collect::<Vec<f64>>();
        Ok(Some(DataFrame::new(
            kept.len(),
            vec![
                Column::new("product_code".into(), kept.clone()),
                Column::new("revenue".into(), pick(&revenue)),
                Column::new("quantity".into(), pick(&units)),
                Column::new(
                    "transactions".into(),
                    kept.iter().map(|&c| lines[c as usize]).collect::<Vec<_>>(),
                ),
            ],
        )?))
    }

    /// The categories (sorted) and, for each, the set of customer codes that bought it (bits),
    /// or `None` without categories by product.
    pub fn customers_per_category(&self) -> Result<Option<CategorySets>> {
        let (Some(g), Some(p)) = (&self.category, self.product()?) else {
            return Ok(None);
        };
        let words = self.customers.div_ceil(64);
        let mut sets = vec![vec![0u64; words]; g.labels.len()];
        for (&c, &prod) in self.customer.iter().zip(p) {
            if let (Some(set), true) = (sets.get_mut(g.get(prod) as usize), c != NONE)
                && let Some(w) = set.get_mut(c as usize / 64)
            {
                *w |= 1 << (c % 64);
            }
        }
        Ok(Some((g.labels.clone(), sets)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_index_of_dates() {
        let us = |y, m, d| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(23, 59, 59)
                .unwrap()
                .and_utc()
                .timestamp_micros()
        };
        assert_eq!(month_index(us(1970, 1, 1)), 1970 * 12);
        assert_eq!(month_index(us(2024, 2, 29)), 2024 * 12 + 1);
        assert_eq!(month_index(us(1969, 12, 31)), 1969 * 12 + 11);
        assert_eq!(month_index(us(2023, 12, 31)), 2023 * 12 + 11);
    }
}
