//! Every EDA table, each a named [`Table`]. A table that needs a column the dataset lacks is
//! skipped with the reason, never filled with zeros.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use crate::data::ORDER_CODE;

use super::grouped::{By, CategorySets, Keys};
use super::table::{Skipped, Table, Value};
use crate::data::Dataset;
use crate::data::frame::{UNKNOWN, counts, nums, scalar, texts};

/// The ranked tables: they hold every product (or category pair), in rank order; the TUI
/// scrolls through all of them, the text output shows the first [`TEXT_TOP`] (or `--top`).
pub const RANKED: &[&str] = &[
    "top_products_by_revenue",
    "top_products_by_quantity",
    "category_pairs",
];

/// Rows of a ranked table the text output shows by default.
pub const TEXT_TOP: usize = 10;

/// All EDA tables for a dataset, plus the ones skipped and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Eda {
    pub tables: Vec<Table>,
    pub skipped: Vec<Skipped>,
    /// Each weekday's share of revenue (Monday first), as the weekday table has it (for the
    /// TUI; the JSON contract has the table).
    #[serde(skip)]
    pub weekday_shares: Vec<(&'static str, f64)>,
    /// Each hour's share of revenue, `None` when the dates carry no time of day.
    #[serde(skip)]
    pub hour_shares: Option<Vec<(i64, f64)>>,
}

/// Price tiers on unit price: below the first cut, up to the second (inclusive), above it.
/// The cuts are `--price-tiers A,B`, else the terciles of the purchase lines' unit prices
/// (fixed cuts put almost every line of a cheap shop in one tier).
fn price_tier_cuts(ds: &Dataset) -> Result<(f64, f64, &'static str)> {
    if let Some((a, b)) = ds.price_tiers {
        return Ok((a, b, "--price-tiers"));
    }
    let q = |p: f64| {
        col("unit_price")
            .quantile(lit(p), QuantileMethod::Linear)
            .alias(format!("q{}", (p * 100.0) as u32))
    };
    let df = ds
        .lines
        .clone()
        .select([q(1.0 / 3.0), q(2.0 / 3.0)])
        .collect()?;
    Ok((scalar(&df, "q33")?, scalar(&df, "q66")?, "terciles"))
}

/// A price tier's bounds as a label.
fn tier_labels(low: f64, high: f64) -> [String; 3] {
    [
        format!("<{low:.2}"),
        format!("{low:.2}-{high:.2}"),
        format!(">{high:.2}"),
    ]
}

/// Buckets of the purchase-frequency distribution (distinct orders per customer).
const FREQUENCY_BUCKETS: [(&str, u64, u64); 9] = [
    ("1", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5", 5, 5),
    ("6-10", 6, 10),
    ("11-20", 11, 20),
    ("21-50", 21, 50),
    ("51+", 51, u64::MAX),
];

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Builds every table the dataset allows.
pub fn all_tables(ds: &Dataset) -> Result<Eda> {
    ds.require_transactions("EDA tables")?;
    // Many queries follow: join the lines once (free when the caller already did).
    let ds = &{
        let _t = crate::timing::phase("eda: materialize");
        ds.materialized()?
    };
    all_tables_with(ds, Keys::build(ds)?.as_ref())
}

/// [`all_tables`] of materialized lines with their [`Keys`] (where they have them): the TUI
/// builds the keys once for the tables and the trends.
pub fn all_tables_with(ds: &Dataset, keys: Option<&Keys>) -> Result<Eda> {
    ds.require_transactions("EDA tables")?;
    let mut eda = Eda {
        tables: Vec::new(),
        skipped: Vec::new(),
        weekday_shares: Vec::new(),
        hour_shares: None,
    };
    // Shared by several tables: computed once.
    let freq = orders_per_customer(ds, keys)?;
    let total = total_revenue(ds)?;
    eda.tables.push(overview(ds, &freq)?);
    group_tables(ds, keys, total, &mut eda)?;
    product_tables(ds, keys, &mut eda)?;
    time_tables(ds, keys, &mut eda)?;
    eda.tables.push(price_tiers(ds, keys)?);
    customer_tables(ds, keys, &freq, &mut eda)?;
    Ok(eda)
}

/// Why `table` is skipped: the dataset has no `role` column.
fn missing(table: &str, role: &str) -> Skipped {
    Skipped {
        table: table.to_string(),
        reason: format!("the dataset has no {role} column (name one with --map {role}=COLUMN)"),
    }
}

/// Revenue by region, by category, and each region's category shares.
fn group_tables(ds: &Dataset, keys: Option<&Keys>, total: f64, eda: &mut Eda) -> Result<()> {
    let p = ds.present;
    if p.region {
        eda.tables.push(by_region(ds, keys, total)?);
    } else {
        eda.skipped.push(missing("by_region", "region"));
    }
    if p.category {
        eda.tables.push(category_totals(ds, keys, total)?);
    } else {
        eda.skipped.push(missing("category_totals", "category"));
    }
    if p.category && p.region {
        eda.tables.push(category_share_by_region(ds, keys)?);
    } else {
        eda.skipped.push(missing(
            "category_share_by_region",
            if p.category { "region" } else { "category" },
        ));
    }
    Ok(())
}

/// The top products and the Pareto tables.
fn product_tables(ds: &Dataset, keys: Option<&Keys>, eda: &mut Eda) -> Result<()> {
    let p = ds.present;
    if p.product || p.product_name {
        eda.tables.extend(top_products(ds, keys)?);
    } else {
        eda.skipped
            .push(missing("top_products_by_revenue", "product_id"));
        eda.skipped
            .push(missing("top_products_by_quantity", "product_id"));
    }
    if p.product {
        eda.tables.extend(pareto(ds, keys)?);
    } else {
        eda.skipped.push(missing("pareto", "product_id"));
        eda.skipped.push(missing("pareto_curve", "product_id"));
    }
    Ok(())
}

/// Revenue by month, weekday and (where dates carry a time) hour, with the shares the TUI
/// draws.
fn time_tables(ds: &Dataset, keys: Option<&Keys>, eda: &mut Eda) -> Result<()> {
    eda.tables.push(monthly(ds, keys)?);
    let (table, shares) = weekday(ds, keys)?;
    eda.tables.push(table);
    eda.weekday_shares = shares;
    if ds.present.time {
        let (table, shares) = hour_of_day(ds, keys)?;
        eda.tables.push(table);
        eda.hour_shares = Some(shares);
    } else {
        eda.skipped.push(Skipped {
            table: "hour_of_day".into(),
            reason: "the dates carry no time of day".into(),
        });
    }
    Ok(())
}

/// Signups, purchase frequency, the line correlations and the category pairs.
fn customer_tables(ds: &Dataset, keys: Option<&Keys>, freq: &[u64], eda: &mut Eda) -> Result<()> {
    let p = ds.present;
    if p.signup {
        eda.tables.extend(signups(ds)?);
    } else {
        eda.skipped.push(missing("signups_by_year", "signup_date"));
        eda.skipped.push(missing("signups_by_month", "signup_date"));
    }
    eda.tables.push(purchase_frequency(freq));
    eda.tables.push(correlation(ds)?);
    if p.category {
        eda.tables.push(category_pairs(ds, keys)?);
    } else {
        eda.skipped.push(missing("category_pairs", "category"));
    }
    Ok(())
}

/// [`Keys::grouped`] where the lines allow it, its columns renamed `(from, to)`.
pub(crate) fn grouped(
    keys: Option<&Keys>,
    by: By,
    per_month: bool,
    columns: &[(&str, &str)],
) -> Result<Option<DataFrame>> {
    let Some(df) = keys
        .map(|k| k.grouped(by, per_month))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    let select: Vec<Expr> = columns.iter().map(|(a, b)| col(*a).alias(*b)).collect();
    Ok(Some(df.lazy().select(select).collect()?))
}

fn share(part: f64, whole: f64) -> Value {
    Value::Share(fraction(part, whole))
}

/// Distinct customers, not counting lines without a customer id.
fn n_customers(ds: &Dataset) -> Expr {
    col(ds.present.customer_key()).drop_nulls().n_unique()
}

fn label(c: &str) -> Expr {
    col(c).fill_null(lit(UNKNOWN))
}

/// A month as the integer yyyymm: grouping on it is much cheaper than on formatted text.
pub(crate) fn month_key(column: &str) -> Expr {
    col(column).dt().year().cast(DataType::Int64) * lit(100i64)
        + col(column).dt().month().cast(DataType::Int64)
}

/// The "YYYY-MM" labels of a yyyymm key column.
pub(crate) fn month_labels(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    let keys = df.column(name)?.cast(&DataType::Int64)?;
    Ok(keys
        .i64()?
        .iter()
        .map(|k| {
            k.map_or_else(
                || UNKNOWN.to_string(),
                |k| format!("{:04}-{:02}", k / 100, k % 100),
            )
        })
        .collect())
}

fn date_text(df: &DataFrame, name: &str) -> Result<String> {
    Ok(texts(df, name)?.into_iter().next().unwrap_or_default())
}

/// Total purchase revenue: the denominator of every revenue share.
fn total_revenue(ds: &Dataset) -> Result<f64> {
    let df = ds.lines.clone().select([col("amount").sum()]).collect()?;
    scalar(&df, "amount")
}

/// What the TUI's Overview and EDA panes show for a customer-level table: the overview of the
/// table and of its loading; the transaction tables are listed as skipped, with the reason.
pub fn table_overview(ds: &Dataset) -> Result<Eda> {
    match &ds.table {
        Some(_) => table_overview_with(ds, None),
        None => all_tables(ds),
    }
}

/// [`table_overview`] of materialized lines with their [`Keys`] (see [`all_tables_with`]).
pub fn table_overview_with(ds: &Dataset, keys: Option<&Keys>) -> Result<Eda> {
    let Some(table) = &ds.table else {
        return all_tables_with(ds, keys);
    };
    let mut t = Table::new("overview", "Overview", &["metric", "value"]);
    let mut row = |k: &str, v: Value| t.push(vec![Value::text(k), v]);
    row("dataset", Value::text(&ds.name));
    row("layout", Value::text(&ds.report.layout));
    row("customers", Value::count(table.features.height()));
    row("features", Value::text(table.feature_names().join(", ")));
    load_rows(ds, &mut row);
    let skipped = vec![Skipped {
        table: "every transaction table".into(),
        reason: "a customer-level table has no transactions".into(),
    }];
    Ok(Eda {
        tables: vec![t],
        skipped,
        weekday_shares: Vec::new(),
        hour_shares: None,
    })
}

// --- the tables ----------------------------------------------------------------------------

/// The dataset in numbers: customers, orders, lines, dates, revenue, returns, and what the
/// load did.
fn overview(ds: &Dataset, freq: &[u64]) -> Result<Table> {
    let _t = crate::timing::phase("eda: overview");
    let OverviewSums {
        lines: s,
        returns: r,
        known,
    } = OverviewSums::of(ds)?;
    let one_time = freq.iter().filter(|&&n| n == 1).count();

    let mut t = Table::new("overview", "Overview", &["metric", "value"]);
    let mut row = |k: &str, v: Value| t.push(vec![Value::text(k), v]);
    row("dataset", Value::text(&ds.name));
    row("layout", Value::text(&ds.report.layout));
    if let Some(k) = known {
        // A log's customers are derived from its purchases: add those it names only on
        // returns or dropped lines (a folder's customer file already lists everyone).
        let extra = if ds.products.is_none() {
            ds.report.customers_without_purchases
        } else {
            0
        };
        row(
            "customers",
            Value::Int(scalar(&k, "n")? as i64 + extra as i64),
        );
    }
    let buyers = scalar(&s, "buyers")?;
    let orders = scalar(&s, "orders")?;
    let revenue = scalar(&s, "revenue")?;
    row("customers who bought", Value::Int(buyers as i64));
    if ds.present.product {
        row("products sold", Value::Int(scalar(&s, "products")? as i64));
    }
    row("orders", Value::Int(orders as i64));
    row("transactions", Value::Int(scalar(&s, "lines")? as i64));
    row("units", Value::Num(scalar(&s, "units")?));
    row("first date", Value::text(date_text(&s, "first")?));
    row("last date", Value::text(date_text(&s, "last")?));
    row("revenue", Value::money(revenue));
    row(
        "average order value",
        Value::money(if orders > 0.0 { revenue / orders } else { 0.0 }),
    );
    row("one-time buyers", Value::count(one_time));
    row(
        "one-time buyer share",
        share(one_time as f64, freq.len() as f64),
    );
    row("returned lines", Value::Int(scalar(&r, "n")? as i64));
    row("returned value", Value::money(scalar(&r, "value")?.abs()));
    load_rows(ds, &mut row);
    Ok(t)
}

/// The sums the overview reads, each one row.
struct OverviewSums {
    lines: DataFrame,
    returns: DataFrame,
    /// The customer file's number of customers, where there is one.
    known: Option<DataFrame>,
}

impl OverviewSums {
    fn of(ds: &Dataset) -> Result<OverviewSums> {
        let fmt = if ds.present.time {
            "%Y-%m-%d %H:%M:%S"
        } else {
            "%Y-%m-%d"
        };
        let mut aggs = vec![
            n_customers(ds).alias("buyers"),
            col(ORDER_CODE).n_unique().alias("orders"),
            len().alias("lines"),
            col("date").min().dt().strftime(fmt).alias("first"),
            col("date").max().dt().strftime(fmt).alias("last"),
            col("amount").sum().alias("revenue"),
            col("quantity").sum().alias("units"),
        ];
        if ds.present.product {
            aggs.push(col("product_id").n_unique().alias("products"));
        }
        let s = ds.lines.clone().select(aggs).collect()?;
        let r = ds
            .returns
            .clone()
            .select([len().alias("n"), col("amount").sum().alias("value")])
            .collect()?;
        let known = match &ds.customers {
            Some(c) => Some(c.clone().select([len().alias("n")]).collect()?),
            None => None,
        };
        Ok(OverviewSums {
            lines: s,
            returns: r,
            known,
        })
    }
}

/// The overview's `load: …` rows, one per [`crate::data::LoadFact`].
fn load_rows(ds: &Dataset, row: &mut impl FnMut(&str, Value)) {
    for fact in ds.report.facts(&ds.name) {
        let label = format!("load: {}", fact.label());
        match fact {
            crate::data::LoadFact::Count(_, n) => row(&label, Value::count(n)),
            crate::data::LoadFact::Text(_, t) => row(&label, Value::text(t)),
        }
    }
}

fn by_region(ds: &Dataset, keys: Option<&Keys>, total: f64) -> Result<Table> {
    let _t = crate::timing::phase("eda: by_region");
    let columns = [
        ("group", "region"),
        ("revenue", "revenue"),
        ("orders", "orders"),
        ("customers", "customers"),
        ("transactions", "transactions"),
    ];
    let df = match grouped(keys, By::Region, false, &columns)? {
        Some(df) => df,
        None => ds
            .lines
            .clone()
            .group_by([label("region").alias("region")])
            .agg([
                col("amount").sum().alias("revenue"),
                col(ORDER_CODE).n_unique().alias("orders"),
                n_customers(ds).alias("customers"),
                len().alias("transactions"),
            ])
            .collect()?,
    };
    let (names, revenue) = (texts(&df, "region")?, nums(&df, "revenue")?);
    let (orders, customers, lines) = (
        counts(&df, "orders")?,
        counts(&df, "customers")?,
        counts(&df, "transactions")?,
    );
    let mut idx: Vec<usize> = (0..names.len()).collect();
    idx.sort_by(|&a, &b| {
        revenue[b]
            .total_cmp(&revenue[a])
            .then(names[a].cmp(&names[b]))
    });
    let mut t = Table::new(
        "by_region",
        "Revenue, orders and customers by region",
        &[
            "region",
            "revenue",
            "revenue_share",
            "orders",
            "customers",
            "transactions",
        ],
    );
    for i in idx {
        t.push(vec![
            Value::text(&names[i]),
            Value::money(revenue[i]),
            share(revenue[i], total),
            Value::Int(orders[i] as i64),
            Value::Int(customers[i] as i64),
            Value::Int(lines[i] as i64),
        ]);
    }
    Ok(t)
}

fn category_totals(ds: &Dataset, keys: Option<&Keys>, total: f64) -> Result<Table> {
    let _t = crate::timing::phase("eda: category_totals");
    let columns = [
        ("group", "category"),
        ("quantity", "quantity"),
        ("revenue", "revenue"),
        ("transactions", "transactions"),
    ];
    let df = match grouped(keys, By::Category, false, &columns)? {
        Some(df) => df,
        None => ds
            .lines
            .clone()
            .group_by([label("category").alias("category")])
            .agg([
                col("quantity").sum().alias("quantity"),
                col("amount").sum().alias("revenue"),
                len().alias("transactions"),
            ])
            .collect()?,
    };
    let (names, qty, revenue, lines) = (
        texts(&df, "category")?,
        nums(&df, "quantity")?,
        nums(&df, "revenue")?,
        counts(&df, "transactions")?,
    );
    let mut idx: Vec<usize> = (0..names.len()).collect();
    idx.sort_by(|&a, &b| {
        revenue[b]
            .total_cmp(&revenue[a])
            .then(names[a].cmp(&names[b]))
    });
    let mut t = Table::new(
        "category_totals",
        "Category totals",
        &[
            "category",
            "quantity",
            "revenue",
            "revenue_share",
            "transactions",
        ],
    );
    for i in idx {
        t.push(vec![
            Value::text(&names[i]),
            Value::Num(qty[i]),
            Value::money(revenue[i]),
            share(revenue[i], total),
            Value::Int(lines[i] as i64),
        ]);
    }
    Ok(t)
}

fn category_share_by_region(ds: &Dataset, keys: Option<&Keys>) -> Result<Table> {
    let _t = crate::timing::phase("eda: category_share_by_region");
    let coded = match keys {
        Some(k) => k.region_category_revenue()?,
        None => None,
    };
    let df = match coded {
        Some(df) => df,
        None => ds
            .lines
            .clone()
            .group_by([
                label("region").alias("region"),
                label("category").alias("category"),
            ])
            .agg([col("amount").sum().alias("revenue")])
            .collect()?,
    };
    let (regions, cats, revenue) = (
        texts(&df, "region")?,
        texts(&df, "category")?,
        nums(&df, "revenue")?,
    );
    let mut cell: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut region_total: BTreeMap<String, f64> = BTreeMap::new();
    let mut cat_total: BTreeMap<String, f64> = BTreeMap::new();
    for i in 0..regions.len() {
        cell.insert((regions[i].clone(), cats[i].clone()), revenue[i]);
        *region_total.entry(regions[i].clone()).or_default() += revenue[i];
        *cat_total.entry(cats[i].clone()).or_default() += revenue[i];
    }
    let by_total = |m: &BTreeMap<String, f64>| {
        let mut v: Vec<(String, f64)> = m.iter().map(|(k, x)| (k.clone(), *x)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.into_iter().map(|(k, _)| k).collect::<Vec<_>>()
    };
    let (region_order, cat_order) = (by_total(&region_total), by_total(&cat_total));
    let mut columns = vec!["region".to_string()];
    columns.extend(cat_order.iter().cloned());
    columns.push("region_revenue".into());
    let mut t = Table {
        name: "category_share_by_region".into(),
        title: "Each category's share of revenue within each region".into(),
        columns,
        rows: Vec::new(),
    };
    for r in &region_order {
        let whole = region_total[r];
        let mut row = vec![Value::text(r)];
        for c in &cat_order {
            row.push(share(
                cell.get(&(r.clone(), c.clone())).copied().unwrap_or(0.0),
                whole,
            ));
        }
        row.push(Value::money(whole));
        t.push(row);
    }
    Ok(t)
}

/// Every product ranked by revenue and by quantity (text output shows the top [`TEXT_TOP`]). Products are keyed by name where names exist
/// (an analyst's "product"; several SKUs may share one), the `skus` column says how many.
fn top_products(ds: &Dataset, keys: Option<&Keys>) -> Result<Vec<Table>> {
    let _t = crate::timing::phase("eda: top_products");
    let key = if ds.present.product_name {
        "product_name"
    } else {
        "product_id"
    };
    let fees = non_product_codes(ds);
    let df = product_sums(ds, keys, key, &fees)?;
    let totals = ProductTotals::of(ds, &df, key, &fees)?;
    let columns = totals.columns();
    Ok(vec![
        totals.top(
            "top_products_by_revenue",
            "Top products by revenue, net of returns",
            &columns,
            false,
        ),
        totals.top(
            "top_products_by_quantity",
            "Top products by quantity, net of returns",
            &columns,
            true,
        ),
    ])
}

/// Revenue, quantity, lines (`transactions`), SKUs (with product ids) and category (with
/// categories) per product `key`, fee lines left out.
fn product_sums(
    ds: &Dataset,
    keys: Option<&Keys>,
    key: &str,
    fees: &[String],
) -> Result<DataFrame> {
    // Where every line has a product code and the product file names it: sums per code,
    // then per name over the (small) product table.
    let mut looked_up = vec![key];
    if ds.present.category {
        looked_up.push("category");
    }
    let keys = if fees.is_empty() { keys } else { None };
    let lines = without_fees(ds.lines.clone(), fees);
    let by_code = per_product(ds, keys, &looked_up)?.map(|p| {
        let mut aggs = vec![
            col("revenue").sum(),
            col("quantity").sum(),
            col("transactions").sum(),
            len().alias("skus"),
        ];
        if ds.present.category {
            aggs.push(col("category").drop_nulls().first().alias("category"));
        }
        p.lazy().group_by([label(key).alias("product")]).agg(aggs)
    });
    let mut aggs = vec![
        col("amount").sum().alias("revenue"),
        col("quantity").sum().alias("quantity"),
        len().alias("transactions"),
    ];
    if ds.present.product {
        aggs.push(col("product_id").n_unique().alias("skus"));
    }
    if ds.present.category {
        aggs.push(col("category").drop_nulls().first().alias("category"));
    }
    Ok(match by_code {
        Some(df) => df,
        None => lines.group_by([label(key).alias("product")]).agg(aggs),
    }
    .collect()?)
}

/// Each product's totals net of cancellations and returns, as the top-10 tables rank them.
struct ProductTotals {
    names: Vec<String>,
    revenue: Vec<f64>,
    qty: Vec<f64>,
    returned_value: Vec<f64>,
    any_returned: bool,
    lines: Vec<u64>,
    skus: Option<Vec<u64>>,
    cats: Option<Vec<String>>,
}

impl ProductTotals {
    /// The totals of [`product_sums`]' `df`, less what was returned of each product.
    fn of(ds: &Dataset, df: &DataFrame, key: &str, fees: &[String]) -> Result<ProductTotals> {
        let names = texts(df, "product")?;
        let returned = returned_by(ds, key, fees)?;
        let mut revenue = nums(df, "revenue")?;
        let mut qty = nums(df, "quantity")?;
        // Ranked net of cancellations and returns: a cancelled order does not rank.
        let mut returned_value = vec![0.0; names.len()];
        for (i, name) in names.iter().enumerate() {
            if let Some(&(value, units)) = returned.get(name) {
                revenue[i] -= value;
                qty[i] -= units;
                returned_value[i] = value;
            }
        }
        Ok(ProductTotals {
            any_returned: !returned.is_empty(),
            lines: counts(df, "transactions")?,
            skus: if ds.present.product {
                Some(counts(df, "skus")?)
            } else {
                None
            },
            cats: if ds.present.category {
                Some(texts(df, "category")?)
            } else {
                None
            },
            names,
            revenue,
            qty,
            returned_value,
        })
    }

    /// The tables' columns: `skus`, `category` and `returned_value` where there are any.
    fn columns(&self) -> Vec<&'static str> {
        let mut columns = vec!["rank", "product"];
        if self.skus.is_some() {
            columns.push("skus");
        }
        if self.cats.is_some() {
            columns.push("category");
        }
        columns.extend(["revenue", "quantity", "transactions"]);
        if self.any_returned {
            columns.push("returned_value");
        }
        columns
    }

    /// Every product ranked by revenue (quantity breaking ties), or by quantity with `by_qty`; then by
    /// name.
    fn top(&self, name: &str, title: &str, columns: &[&str], by_qty: bool) -> Table {
        let (names, revenue, qty) = (&self.names, &self.revenue, &self.qty);
        let mut idx: Vec<usize> = (0..names.len()).collect();
        idx.sort_by(|&a, &b| {
            let (pa, pb, sa, sb) = if by_qty {
                (qty[a], qty[b], revenue[a], revenue[b])
            } else {
                (revenue[a], revenue[b], qty[a], qty[b])
            };
            pb.total_cmp(&pa)
                .then(sb.total_cmp(&sa))
                .then(names[a].cmp(&names[b]))
        });
        let mut t = Table::new(name, title, columns);
        for (rank, &i) in idx.iter().enumerate() {
            let mut row = vec![Value::count(rank + 1), Value::text(&names[i])];
            if let Some(s) = &self.skus {
                row.push(Value::Int(s[i] as i64));
            }
            if let Some(c) = &self.cats {
                row.push(Value::text(&c[i]));
            }
            row.extend([
                Value::money(revenue[i]),
                Value::Num(qty[i]),
                Value::Int(self.lines[i] as i64),
            ]);
            if self.any_returned {
                row.push(Value::money(self.returned_value[i]));
            }
            t.push(row);
        }
        t
    }
}

/// Product codes that are fees or adjustments (the LoadReport's), left out of product tables.
fn non_product_codes(ds: &Dataset) -> Vec<String> {
    ds.report
        .non_products
        .iter()
        .map(|n| n.code.clone())
        .collect()
}

/// `lines` without the fee and adjustment lines.
fn without_fees(lines: LazyFrame, fees: &[String]) -> LazyFrame {
    if fees.is_empty() {
        return lines;
    }
    let codes = Series::new("fees".into(), fees);
    lines.filter(
        col("product_id")
            .is_in(lit(codes).implode(false), false)
            .fill_null(lit(false))
            .not(),
    )
}

/// Value and units returned per product `key` (cancellations and returns, as positive sums).
fn returned_by(
    ds: &Dataset,
    key: &str,
    fees: &[String],
) -> Result<std::collections::HashMap<String, (f64, f64)>> {
    let df = without_fees(ds.returns.clone(), fees)
        .group_by([label(key).alias("product")])
        .agg([
            col("amount").abs().sum().alias("value"),
            col("quantity").abs().sum().alias("units"),
        ])
        .collect()?;
    let names = texts(&df, "product")?;
    let (value, units) = (nums(&df, "value")?, nums(&df, "units")?);
    Ok(names
        .into_iter()
        .zip(value.into_iter().zip(units))
        .collect())
}

/// [`Keys::per_product`] with the product file's `columns` beside each code, where every
/// line has a code and the lines look those columns up in the product file.
fn per_product(ds: &Dataset, keys: Option<&Keys>, columns: &[&str]) -> Result<Option<DataFrame>> {
    let (Some(keys), Some(products)) = (keys, &ds.products) else {
        return Ok(None);
    };
    if columns.iter().any(|c| products.column(c).is_err()) {
        return Ok(None);
    }
    let Some(sums) = keys.per_product()? else {
        return Ok(None);
    };
    let lookups: Vec<Expr> = columns
        .iter()
        .map(|c| {
            let values = products
                .column(c)
                .map(|v| v.as_materialized_series().clone());
            values.map(|v| lit(v).gather(col("product_code"), true).alias(*c))
        })
        .collect::<PolarsResult<_>>()?;
    Ok(Some(sums.lazy().with_columns(lookups).collect()?))
}

/// Revenue summed over the products from the biggest down (ties by id): the Pareto tables'
/// cumulative curve.
fn cumulative_revenue(ids: &[String], revenue: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..ids.len()).collect();
    idx.sort_by(|&a, &b| revenue[b].total_cmp(&revenue[a]).then(ids[a].cmp(&ids[b])));
    let mut acc = 0.0;
    idx.iter()
        .map(|&i| {
            acc += revenue[i];
            acc
        })
        .collect()
}

/// Products (by id) sorted by revenue, the smallest number making 80% of it, and the curve.
fn pareto(ds: &Dataset, keys: Option<&Keys>) -> Result<Vec<Table>> {
    let _t = crate::timing::phase("eda: pareto");
    let fees = non_product_codes(ds);
    let keys = if fees.is_empty() { keys } else { None };
    let df = match per_product(ds, keys, &["product_id"])? {
        Some(p) => p.select(["product_id", "revenue"])?,
        None => without_fees(ds.lines.clone(), &fees)
            .group_by([label("product_id").alias("product_id")])
            .agg([col("amount").sum().alias("revenue")])
            .collect()?,
    };
    let cum = cumulative_revenue(&texts(&df, "product_id")?, &nums(&df, "revenue")?);
    // Summed in sorted order, so the result does not depend on group-by output order.
    let total = cum.last().copied().unwrap_or(0.0);
    let n = cum.len();
    let target = 0.8 * total;
    let n80 = cum
        .iter()
        .position(|&c| c >= target - 1e-9 * total.abs())
        .map_or(n, |p| p + 1);
    let top20 = (n * 2).div_ceil(10);
    let mut summary = Table::new(
        "pareto",
        "Pareto: products making 80% of revenue",
        &[
            "products",
            "products_for_80pct_revenue",
            "share_of_products",
            "revenue_share_top_20pct_products",
        ],
    );
    summary.push(vec![
        Value::count(n),
        Value::count(n80),
        share(n80 as f64, n as f64),
        share(if top20 > 0 { cum[top20 - 1] } else { 0.0 }, total),
    ]);
    let mut curve = Table::new(
        "pareto_curve",
        "Pareto curve: cumulative revenue share by share of products",
        &["product_share", "products", "revenue_share"],
    );
    for step in 1..=20 {
        let k = (n * step).div_ceil(20);
        let k = k.clamp(1, n.max(1));
        curve.push(vec![
            Value::Share(step as f64 / 20.0),
            Value::count(k),
            share(cum.get(k - 1).copied().unwrap_or(0.0), total),
        ]);
    }
    Ok(vec![summary, curve])
}

/// Months from the first to the last, gaps included (a month without sales is a real zero).
pub(crate) fn month_range(first: &str, last: &str) -> Vec<String> {
    let parse = |s: &str| -> Option<(i32, u32)> {
        let (y, m) = s.split_once('-')?;
        Some((y.parse().ok()?, m.parse().ok()?))
    };
    let (Some((mut y, mut m)), Some(end)) = (parse(first), parse(last)) else {
        return vec![];
    };
    let mut out = Vec::new();
    while (y, m) <= end {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

/// Revenue, orders, active customers and lines per month, every month from the first to the
/// last (months without sales at 0).
fn monthly(ds: &Dataset, keys: Option<&Keys>) -> Result<Table> {
    let _t = crate::timing::phase("eda: monthly");
    let df = monthly_sums(ds, keys)?;
    let months = month_labels(&df, "month")?;
    let (revenue, orders, active, lines) = (
        nums(&df, "revenue")?,
        counts(&df, "orders")?,
        counts(&df, "active_customers")?,
        counts(&df, "transactions")?,
    );
    let at: BTreeMap<&str, usize> = months
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut t = Table::new(
        "monthly",
        "Monthly revenue, orders and active customers",
        &[
            "month",
            "revenue",
            "orders",
            "active_customers",
            "transactions",
        ],
    );
    let (first, last) = (
        at.keys().next().copied().unwrap_or(""),
        at.keys().last().copied().unwrap_or(""),
    );
    for m in month_range(first, last) {
        let row = match at.get(m.as_str()) {
            Some(&i) => vec![
                Value::text(&m),
                Value::money(revenue[i]),
                Value::Int(orders[i] as i64),
                Value::Int(active[i] as i64),
                Value::Int(lines[i] as i64),
            ],
            None => vec![
                Value::text(&m),
                Value::money(0.0),
                Value::Int(0),
                Value::Int(0),
                Value::Int(0),
            ],
        };
        t.push(row);
    }
    Ok(t)
}

/// The months with sales (`month`), with their `revenue`, `orders`, `active_customers` and
/// `transactions`: from the keys where the lines have them, else a group-by.
fn monthly_sums(ds: &Dataset, keys: Option<&Keys>) -> Result<DataFrame> {
    let columns = [
        ("month", "month"),
        ("revenue", "revenue"),
        ("orders", "orders"),
        ("customers", "active_customers"),
        ("transactions", "transactions"),
    ];
    Ok(match grouped(keys, By::All, true, &columns)? {
        Some(df) => df,
        None => ds
            .lines
            .clone()
            .group_by([month_key("date").alias("month")])
            .agg([
                col("amount").sum().alias("revenue"),
                col(ORDER_CODE).n_unique().alias("orders"),
                n_customers(ds).alias("active_customers"),
                len().alias("transactions"),
            ])
            .collect()?,
    })
}

/// A part of the date the lines are counted by.
#[derive(Clone, Copy)]
enum DatePart {
    /// 1 (Monday) to 7.
    Weekday,
    /// 0 to 23.
    Hour,
}

/// Revenue and counts per value of an integer date part, for every value it takes.
fn by_date_part(
    ds: &Dataset,
    keys: Option<&Keys>,
    part: DatePart,
) -> Result<Vec<(i64, f64, u64, u64)>> {
    let range = match part {
        DatePart::Weekday => 1..=7,
        DatePart::Hour => 0..=23,
    };
    if let Some(keys) = keys {
        let rows = match part {
            DatePart::Weekday => keys.by_weekday()?,
            DatePart::Hour => keys.by_hour()?,
        };
        return Ok(range
            .zip(rows)
            .map(|(p, (revenue, lines, orders))| (p, revenue, lines, orders))
            .collect());
    }
    let part = match part {
        DatePart::Weekday => col("date").dt().weekday(),
        DatePart::Hour => col("date").dt().hour(),
    };
    let df = ds
        .lines
        .clone()
        .group_by([part.cast(DataType::Int64).alias("part")])
        .agg([
            col("amount").sum().alias("revenue"),
            len().alias("transactions"),
            col(ORDER_CODE).n_unique().alias("orders"),
        ])
        .collect()?;
    let parts = df
        .column("part")?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(-1))
        .collect::<Vec<_>>();
    let (revenue, lines, orders) = (
        nums(&df, "revenue")?,
        counts(&df, "transactions")?,
        counts(&df, "orders")?,
    );
    Ok(range
        .map(|p| match parts.iter().position(|&x| x == p) {
            Some(i) => (p, revenue[i], lines[i], orders[i]),
            None => (p, 0.0, 0, 0),
        })
        .collect())
}

/// `part / whole` as a number, 0 for an empty whole (what [`share`] puts in a table).
fn fraction(part: f64, whole: f64) -> f64 {
    if whole == 0.0 { 0.0 } else { part / whole }
}

/// The weekday table, with each weekday's share of revenue for the Trends pane.
fn weekday(ds: &Dataset, keys: Option<&Keys>) -> Result<(Table, Vec<(&'static str, f64)>)> {
    let _t = crate::timing::phase("eda: weekday");
    let rows = by_date_part(ds, keys, DatePart::Weekday)?;
    let total: f64 = rows.iter().map(|r| r.1).sum();
    let mut t = Table::new(
        "weekday",
        "Weekday share of revenue",
        &[
            "weekday",
            "revenue",
            "revenue_share",
            "transactions",
            "orders",
        ],
    );
    let mut shares = Vec::new();
    for (day, revenue, lines, orders) in rows {
        let name = WEEKDAYS[(day - 1) as usize];
        shares.push((name, fraction(revenue, total)));
        t.push(vec![
            Value::text(name),
            Value::money(revenue),
            share(revenue, total),
            Value::Int(lines as i64),
            Value::Int(orders as i64),
        ]);
    }
    Ok((t, shares))
}

/// The hour-of-day table, with each hour's share of revenue for the Trends pane.
fn hour_of_day(ds: &Dataset, keys: Option<&Keys>) -> Result<(Table, Vec<(i64, f64)>)> {
    let _t = crate::timing::phase("eda: hour_of_day");
    let rows = by_date_part(ds, keys, DatePart::Hour)?;
    let total: f64 = rows.iter().map(|r| r.1).sum();
    let mut t = Table::new(
        "hour_of_day",
        "Revenue by hour of day",
        &["hour", "revenue", "revenue_share", "transactions", "orders"],
    );
    let mut shares = Vec::new();
    for (hour, revenue, lines, orders) in rows {
        shares.push((hour, fraction(revenue, total)));
        t.push(vec![
            Value::Int(hour),
            Value::money(revenue),
            share(revenue, total),
            Value::Int(lines as i64),
            Value::Int(orders as i64),
        ]);
    }
    Ok((t, shares))
}

/// Lines and revenue of each price tier, by a polars group-by.
fn price_tiers_by_group(ds: &Dataset, low: f64, high: f64) -> Result<Vec<(u64, f64)>> {
    let p = || col("unit_price");
    let tier = when(p().lt(lit(low)))
        .then(lit(0))
        .when(p().lt_eq(lit(high)))
        .then(lit(1))
        .otherwise(lit(2));
    let df = ds
        .lines
        .clone()
        .group_by([tier.alias("tier")])
        .agg([
            len().alias("transactions"),
            col("amount").sum().alias("revenue"),
        ])
        .collect()?;
    let tiers = df
        .column("tier")?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(-1))
        .collect::<Vec<_>>();
    let (lines, revenue) = (counts(&df, "transactions")?, nums(&df, "revenue")?);
    Ok((0..3)
        .map(|k| match tiers.iter().position(|&x| x == k as i64) {
            Some(i) => (lines[i], revenue[i]),
            None => (0, 0.0),
        })
        .collect())
}

fn price_tiers(ds: &Dataset, keys: Option<&Keys>) -> Result<Table> {
    let _t = crate::timing::phase("eda: price_tiers");
    let (low, high, how) = price_tier_cuts(ds)?;
    let per_tier: Vec<(u64, f64)> = match keys {
        Some(keys) => keys.price_tiers(low, high)?.to_vec(),
        None => price_tiers_by_group(ds, low, high)?,
    };
    let labels = tier_labels(low, high);
    let title = format!("Price tiers on unit price ({how}: {})", labels.join(", "));
    let mut t = Table::new(
        "price_tiers",
        &title,
        &[
            "tier",
            "transactions",
            "transaction_share",
            "revenue",
            "revenue_share",
        ],
    );
    let all_lines = per_tier.iter().map(|t| t.0).sum::<u64>() as f64;
    let all_revenue = per_tier.iter().map(|t| t.1).sum::<f64>();
    for (label, (n, r)) in labels.iter().zip(per_tier) {
        t.push(vec![
            Value::text(label),
            Value::Int(n as i64),
            share(n as f64, all_lines),
            Value::money(r),
            share(r, all_revenue),
        ]);
    }
    Ok(t)
}

fn signups(ds: &Dataset) -> Result<Vec<Table>> {
    let _t = crate::timing::phase("eda: signups");
    let Some(customers) = &ds.customers else {
        return Ok(vec![]);
    };
    let base = customers.clone().filter(col("signup_date").is_not_null());
    let years = base
        .clone()
        .group_by([col("signup_date")
            .dt()
            .year()
            .cast(DataType::Int64)
            .alias("year")])
        .agg([len().alias("signups")])
        .sort(["year"], SortMultipleOptions::default())
        .collect()?;
    let mut by_year = Table::new("signups_by_year", "Signups by year", &["year", "signups"]);
    let ys = years
        .column("year")?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect::<Vec<_>>();
    for (y, n) in ys.iter().zip(counts(&years, "signups")?) {
        by_year.push(vec![Value::Int(*y), Value::Int(n as i64)]);
    }
    let months = base
        .group_by([month_key("signup_date").alias("month")])
        .agg([len().alias("signups")])
        .collect()?;
    let ms = month_labels(&months, "month")?;
    let ns = counts(&months, "signups")?;
    let at: BTreeMap<&str, u64> = ms
        .iter()
        .map(String::as_str)
        .zip(ns.iter().copied())
        .collect();
    let mut by_month = Table::new(
        "signups_by_month",
        "Signups by month",
        &["month", "signups"],
    );
    let (first, last) = (
        at.keys().next().copied().unwrap_or(""),
        at.keys().last().copied().unwrap_or(""),
    );
    for m in month_range(first, last) {
        let n = at.get(m.as_str()).copied().unwrap_or(0);
        by_month.push(vec![Value::text(m), Value::Int(n as i64)]);
    }
    Ok(vec![by_year, by_month])
}

/// Distinct orders of each customer who bought.
fn orders_per_customer(ds: &Dataset, keys: Option<&Keys>) -> Result<Vec<u64>> {
    let _t = crate::timing::phase("eda: orders_per_customer");
    if let Some(keys) = keys {
        return keys.orders_per_customer();
    }
    let df = ds
        .lines
        .clone()
        .filter(col("customer_id").is_not_null())
        .group_by([col(ds.present.customer_key())])
        .agg([col(ORDER_CODE).n_unique().alias("orders")])
        .collect()?;
    counts(&df, "orders")
}

fn purchase_frequency(freq: &[u64]) -> Table {
    let max = freq.iter().copied().max().unwrap_or(0);
    let total = freq.len() as f64;
    let mut t = Table::new(
        "purchase_frequency",
        "Purchase frequency (orders per customer)",
        &["orders", "customers", "share"],
    );
    for (label, lo, hi) in FREQUENCY_BUCKETS {
        if lo > max {
            break;
        }
        let n = freq.iter().filter(|&&f| f >= lo && f <= hi).count();
        t.push(vec![
            Value::text(label),
            Value::count(n),
            share(n as f64, total),
        ]);
    }
    t
}

fn correlation(ds: &Dataset) -> Result<Table> {
    let _t = crate::timing::phase("eda: correlation");
    let vars = ["unit_price", "quantity", "amount"];
    let mut exprs = Vec::new();
    for (i, a) in vars.iter().enumerate() {
        for b in &vars[i + 1..] {
            exprs.push(pearson_corr(col(*a), col(*b)).alias(format!("{a}~{b}")));
        }
    }
    let df = ds.lines.clone().select(exprs).collect()?;
    let mut t = Table::new(
        "correlation",
        "Correlation (Pearson) of unit price, quantity and line revenue",
        &["variable", "unit_price", "quantity", "amount"],
    );
    for a in vars {
        let mut row = vec![Value::text(a)];
        for b in vars {
            let r = if a == b {
                1.0
            } else {
                let name = if vars.iter().position(|v| *v == a) < vars.iter().position(|v| *v == b)
                {
                    format!("{a}~{b}")
                } else {
                    format!("{b}~{a}")
                };
                df.column(&name)?.f64()?.get(0).unwrap_or(f64::NAN)
            };
            row.push(if r.is_nan() {
                Value::Null
            } else {
                Value::Num(r)
            });
        }
        t.push(row);
    }
    Ok(t)
}

/// Most categories for which [`category_pairs_by_code`] keeps one bit set per category.
const MAX_PAIR_CATEGORIES: usize = 256;

/// Customers per pair of categories (columns `category`, `category_b`, `customers`; `category`
/// sorts first), from a set of customer codes per category: a bitwise AND per pair, where the
/// join pairs every category of a customer with every other. `None` without customer codes
/// or with very many categories.
fn category_pairs_by_code(ds: &Dataset, keys: Option<&Keys>) -> Result<Option<DataFrame>> {
    let Some(ids) = ds.coded_customers() else {
        return Ok(None);
    };
    let coded = match keys {
        Some(k) => k.customers_per_category()?,
        None => None,
    };
    let (names, sets) = match coded {
        Some(found) => found,
        None => match customers_per_category(ds, ids.height())? {
            Some(found) => found,
            None => return Ok(None),
        },
    };
    if names.len() > MAX_PAIR_CATEGORIES {
        return Ok(None);
    }
    let (mut a, mut b, mut n) = (vec![], vec![], vec![]);
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            let both: u32 = sets[i]
                .iter()
                .zip(&sets[j])
                .map(|(x, y)| (x & y).count_ones())
                .sum();
            if both > 0 {
                a.push(names[i].clone());
                b.push(names[j].clone());
                n.push(both);
            }
        }
    }
    Ok(Some(DataFrame::new(
        n.len(),
        vec![
            Column::new("category".into(), a),
            Column::new("category_b".into(), b),
            Column::new("customers".into(), n),
        ],
    )?))
}

/// The categories (sorted) and the set of customer codes that bought each, as bits.
fn customers_per_category(ds: &Dataset, customers: usize) -> Result<Option<CategorySets>> {
    let per_category = ds
        .lines
        .clone()
        .filter(
            col("customer_code")
                .is_not_null()
                .and(col("category").is_not_null()),
        )
        .group_by([col("category").cast(DataType::String)])
        .agg([col("customer_code")])
        .sort(["category"], SortMultipleOptions::default())
        .collect()?;
    if per_category.height() > MAX_PAIR_CATEGORIES {
        return Ok(None);
    }
    let words = customers.div_ceil(64);
    let lists = per_category.column("customer_code")?.list()?;
    let mut sets: Vec<Vec<u64>> = Vec::with_capacity(lists.len());
    for i in 0..lists.len() {
        let mut set = vec![0u64; words];
        if let Some(codes) = lists.get_as_series(i) {
            for c in codes.u32()?.into_no_null_iter() {
                let c = c as usize;
                let Some(w) = set.get_mut(c / 64) else {
                    anyhow::bail!("category pairs: customer code {c} beyond the id table");
                };
                *w |= 1 << (c % 64);
            }
        }
        sets.push(set);
    }
    Ok(Some((texts(&per_category, "category")?, sets)))
}

/// [`category_pairs_by_code`] for any lines: each customer's categories joined to themselves.
fn category_pairs_by_join(ds: &Dataset) -> Result<DataFrame> {
    let key = ds.present.customer_key();
    let cc = ds
        .lines
        .clone()
        .filter(
            col("customer_id")
                .is_not_null()
                .and(col("category").is_not_null()),
        )
        .select([col(key), col("category")])
        .unique(None, UniqueKeepStrategy::Any);
    Ok(cc
        .clone()
        .join(
            cc.clone()
                .select([col(key), col("category").alias("category_b")]),
            [col(key)],
            [col(key)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("category").lt(col("category_b")))
        .group_by([col("category"), col("category_b")])
        .agg([len().alias("customers")])
        .collect()?)
}

fn category_pairs(ds: &Dataset, keys: Option<&Keys>) -> Result<Table> {
    let _t = crate::timing::phase("eda: category_pairs");
    let pairs = match category_pairs_by_code(ds, keys)? {
        Some(pairs) => pairs,
        None => category_pairs_by_join(ds)?,
    };
    let buyers = ds
        .lines
        .clone()
        .select([n_customers(ds).alias("n")])
        .collect()?;
    let buyers = scalar(&buyers, "n")?;
    let (a, b, n) = (
        texts(&pairs, "category")?,
        texts(&pairs, "category_b")?,
        counts(&pairs, "customers")?,
    );
    let mut idx: Vec<usize> = (0..a.len()).collect();
    idx.sort_by(|&x, &y| n[y].cmp(&n[x]).then(a[x].cmp(&a[y])).then(b[x].cmp(&b[y])));
    let mut t = Table::new(
        "category_pairs",
        "Top category pairs bought by the same customer",
        &[
            "category_a",
            "category_b",
            "customers",
            "share_of_customers",
        ],
    );
    for i in idx {
        t.push(vec![
            Value::text(&a[i]),
            Value::text(&b[i]),
            Value::Int(n[i] as i64),
            share(n[i] as f64, buyers),
        ]);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs as (a, b, customers), sorted.
    fn pair_rows(df: &DataFrame) -> Vec<(String, String, u64)> {
        let (a, b, n) = (
            texts(df, "category").unwrap(),
            texts(df, "category_b").unwrap(),
            counts(df, "customers").unwrap(),
        );
        let mut rows: Vec<_> = (0..a.len())
            .map(|i| (a[i].clone(), b[i].clone(), n[i]))
            .collect();
        rows.sort();
        rows
    }

    /// Same rows; numbers equal up to the order of summing.
    fn assert_tables_agree(a: &Table, b: &Table) {
        assert_eq!(a.columns, b.columns);
        assert_eq!(a.rows.len(), b.rows.len(), "{}", a.name);
        for (ra, rb) in a.rows.iter().zip(&b.rows) {
            for (x, y) in ra.iter().zip(rb) {
                match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => {
                        assert!(
                            (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                            "{}: {x} vs {y}",
                            a.name
                        )
                    }
                    _ => assert_eq!(x, y, "{}", a.name),
                }
            }
        }
    }

    #[test]
    fn tables_from_coded_lines_equal_the_group_bys() {
        let ds = crate::data::load_bundled().unwrap().materialized().unwrap();
        let coded = Keys::build(&ds).unwrap().expect("the sample is coded");
        for by in [By::All, By::Region, By::Category] {
            assert!(coded.grouped(by, true).unwrap().is_some());
        }
        let keys = Some(&coded);
        let total = total_revenue(&ds).unwrap();
        assert_tables_agree(
            &by_region(&ds, keys, total).unwrap(),
            &by_region(&ds, None, total).unwrap(),
        );
        assert_tables_agree(
            &category_totals(&ds, keys, total).unwrap(),
            &category_totals(&ds, None, total).unwrap(),
        );
        let (fast, slow) = (monthly(&ds, keys).unwrap(), monthly(&ds, None).unwrap());
        assert!(fast.rows.len() >= 12);
        assert_tables_agree(&fast, &slow);
        for (fast, slow) in [
            (
                weekday(&ds, keys).map(|w| w.0),
                weekday(&ds, None).map(|w| w.0),
            ),
            (
                hour_of_day(&ds, keys).map(|h| h.0),
                hour_of_day(&ds, None).map(|h| h.0),
            ),
            (price_tiers(&ds, keys), price_tiers(&ds, None)),
            (
                category_share_by_region(&ds, keys),
                category_share_by_region(&ds, None),
            ),
        ] {
            assert_tables_agree(&fast.unwrap(), &slow.unwrap());
        }
        for (fast, slow) in [
            (top_products(&ds, keys), top_products(&ds, None)),
            (pareto(&ds, keys), pareto(&ds, None)),
        ] {
            for (a, b) in fast.unwrap().iter().zip(&slow.unwrap()) {
                assert_tables_agree(a, b);
            }
        }
        let mut fast = orders_per_customer(&ds, keys).unwrap();
        let mut slow = orders_per_customer(&ds, None).unwrap();
        fast.sort();
        slow.sort();
        assert_eq!(fast, slow);
        // Orders that are not runs of lines: no distinct counts by runs, the group-bys count.
        let reversed = Dataset {
            lines: ds.lines.clone().reverse(),
            ..ds.clone()
        };
        assert!(Keys::build(&reversed).unwrap().is_none());
    }

    #[test]
    fn category_pairs_by_code_equal_the_join() {
        let ds = crate::data::load_bundled().unwrap().materialized().unwrap();
        let by_code = category_pairs_by_code(&ds, None)
            .unwrap()
            .expect("the sample has codes");
        let keys = Keys::build(&ds).unwrap();
        let by_keys = category_pairs_by_code(&ds, keys.as_ref()).unwrap().unwrap();
        assert_eq!(pair_rows(&by_keys), pair_rows(&by_code));
        let by_join = category_pairs_by_join(&ds).unwrap();
        let rows = pair_rows(&by_code);
        assert_eq!(rows, pair_rows(&by_join));
        // The sample's five categories: every pair is bought by someone.
        assert_eq!(rows.len(), 10);
        assert!(rows.iter().all(|(a, b, n)| a < b && *n > 0));
    }

    #[test]
    fn month_range_fills_gaps_across_years() {
        assert_eq!(
            month_range("2023-11", "2024-02"),
            vec!["2023-11", "2023-12", "2024-01", "2024-02"]
        );
        assert_eq!(month_range("2024-05", "2024-05"), vec!["2024-05"]);
        assert!(month_range("", "").is_empty());
    }
}
