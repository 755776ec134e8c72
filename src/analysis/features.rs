//! The per-customer feature matrix behind segments and lookalikes, and its transforms
//! (log1p on skewed amounts, then RobustScaler or StandardScaler as scikit-learn defines them).

use anyhow::Result;
use ndarray::{Array1, Array2, Axis};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bail_input;
use crate::data::extras::{ExtraColumn, ExtraKind, is_extra_amount, slug};
use crate::data::frame::{self, i64s, nums as f64s, texts as strs};
use crate::data::{Dataset, ORDER_CODE};

const DAY_US: f64 = 86_400_000_000.0;

/// The one table of feature names: analysis, the faces and model.json spell them from here.
pub mod names {
    pub const RECENCY_DAYS: &str = "recency_days";
    pub const FREQUENCY: &str = "frequency";
    /// Net spend: segments are ordered by it and net returners found by it.
    pub const MONETARY: &str = "monetary";
    pub const AVG_ORDER_VALUE: &str = "avg_order_value";
    pub const TENURE_DAYS: &str = "tenure_days";
    pub const DISTINCT_CATEGORIES: &str = "distinct_categories";
    pub const RETURN_RATE: &str = "return_rate";
    pub const TOTAL_QUANTITY: &str = "total_quantity";
    pub const AVG_UNIT_PRICE: &str = "avg_unit_price";
    /// `share_<category>`: the share of a customer's spend in a category.
    pub const SHARE_PREFIX: &str = "share_";
    /// `region_<region>`: 1 for the customer's region.
    pub const REGION_PREFIX: &str = "region_";
}

pub use names::MONETARY;

/// Features that get log1p (signed for money that can be negative): heavy right tails.
pub const LOG1P: &[&str] = &[
    names::FREQUENCY,
    names::MONETARY,
    names::AVG_ORDER_VALUE,
    names::TOTAL_QUANTITY,
    names::AVG_UNIT_PRICE,
];

/// Whether a feature gets the sign-preserving log1p: the skewed built-in amounts and the
/// sums of numeric extra columns (profit, installments); never shares or indicators.
pub fn wants_log1p(feature: &str) -> bool {
    LOG1P.contains(&feature)
        || (is_extra_amount(feature)
            && !feature.starts_with(names::SHARE_PREFIX)
            && !feature.starts_with(names::REGION_PREFIX))
}

/// The named feature sets of `--features`.
pub const FEATURE_SETS: &[(&str, &str)] = &[
    ("rfm", "recency_days, frequency, monetary"),
    (
        "rfm+",
        "rfm + avg_order_value, tenure_days, distinct_categories (with categories), return_rate (with returns); the default",
    ),
    (
        "all",
        "every feature: rfm+ + total_quantity, avg_unit_price, share_<category>, region_<region>, and the extra ones",
    ),
    (
        "extra",
        "the features of the data's own extra columns: NAME_total and NAME_per_order per number column, NAME=VALUE spend shares per text column of at most 20 values (see inspect)",
    ),
];

/// One row per customer who bought, every feature unscaled.
#[derive(Clone, Debug)]
pub struct CustomerFeatures {
    /// Customer ids, sorted.
    pub ids: Vec<String>,
    /// Feature names, in column order of `raw`.
    pub names: Vec<String>,
    pub raw: Array2<f64>,
    /// Each customer's region, where the data has one.
    pub region: Option<Vec<String>>,
    /// Category names and each customer's spend on each (columns of `spend`).
    pub categories: Option<(Vec<String>, Array2<f64>)>,
    /// The dataset's last purchase date (microseconds): recency and tenure count to it.
    pub reference_us: i64,
    /// The features came ready-made in a customer table, not from transactions.
    pub from_table: bool,
    /// The features of the data's extra columns (the set `extra`), in column order.
    pub extra: Vec<String>,
}

impl CustomerFeatures {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The feature `name` spells: exactly, or in any case (`Profit_total` is `profit_total`,
    /// `Segment=Corporate` is `segment=corporate`), value spelled as in the data or its slug.
    fn named(&self, name: &str) -> Option<&str> {
        if let Some(j) = self.column(name) {
            return Some(&self.names[j]);
        }
        let wanted = match name.split_once('=') {
            Some((stem, value)) => {
                crate::data::extras::level_feature(&crate::data::extras::slug(stem), value)
            }
            None => name.to_lowercase(),
        };
        self.names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&wanted))
            .map(String::as_str)
    }

    /// The refusal of an unknown `--features` name: the sets, and the features there are
    /// (the extra ones apart, since those are the ones a user types from the data).
    fn unknown_feature(&self, name: &str) -> String {
        let built_in: Vec<&str> = self
            .names
            .iter()
            .filter(|n| !self.extra.contains(n))
            .map(String::as_str)
            .collect();
        let extra = if self.extra.is_empty() {
            "no extra features (the data has no usable extra columns)".to_string()
        } else {
            format!("extra features are {}", self.extra.join(", "))
        };
        format!(
            "--features: unknown feature or set {name:?}; sets are rfm, rfm+, all, extra; features here are {}; {extra}",
            built_in.join(", ")
        )
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Resolves `--features`: a set name, or a comma list of set and feature names.
    pub fn select(&self, spec: &str) -> Result<Vec<String>> {
        let has = |n: &str| self.column(n).is_some();
        let rfm = [names::RECENCY_DAYS, names::FREQUENCY, names::MONETARY];
        let plus = [
            names::AVG_ORDER_VALUE,
            names::TENURE_DAYS,
            names::DISTINCT_CATEGORIES,
            names::RETURN_RATE,
        ];
        let mut out: Vec<String> = Vec::new();
        for token in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let names: Vec<String> = match token {
                "rfm" => rfm.iter().map(|s| s.to_string()).collect(),
                "rfm+" | "default" => {
                    let named: Vec<String> = rfm
                        .iter()
                        .chain(plus.iter())
                        .filter(|n| has(n))
                        .map(|s| s.to_string())
                        .collect();
                    // A customer table with other column names: all of its features.
                    if named.is_empty() && self.from_table {
                        self.names.clone()
                    } else {
                        named
                    }
                }
                "all" => self.names.clone(),
                "extra" if self.extra.is_empty() => bail_input!(
                    "--features extra: this data has no extra columns that give features (inspect lists its columns and why each was left out)"
                ),
                "extra" => self.extra.clone(),
                name => match self.named(name) {
                    Some(n) => vec![n.to_string()],
                    None => bail_input!("{}", self.unknown_feature(name)),
                },
            };
            for n in names {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        if out.is_empty() {
            bail_input!("--features {spec:?}: selects no feature");
        }
        Ok(out)
    }

    /// Customers whose net spend is at most zero (they returned as much as they bought, or
    /// more): never clustered, reported as their own group. Only for transaction data: a
    /// customer table's spend column may hold customers who never bought.
    pub fn net_returners(&self) -> Vec<bool> {
        match self.column(MONETARY) {
            Some(j) if !self.from_table => self.raw.column(j).iter().map(|&v| v <= 0.0).collect(),
            _ => vec![false; self.len()],
        }
    }

    /// The matrix a model clusters: the selected features, log1p, scaled, then limited to
    /// each feature's robust range. The scaler and the limits are learnt on the clustered
    /// customers (net returners left out) and applied to every row.
    pub fn scaled(&self, spec: &str, scaler: ScalerKind) -> Result<(Transform, Array2<f64>)> {
        let names = self.select(spec)?;
        let raw = self.raw_matrix(&names);
        check_magnitudes(&self.ids, &names, &raw, "")?;
        let keep: Vec<usize> = self
            .net_returners()
            .iter()
            .enumerate()
            .filter(|(_, r)| !**r)
            .map(|(i, _)| i)
            .collect();
        let transform = if keep.len() == raw.nrows() || keep.is_empty() {
            Transform::fit(&names, &raw, scaler)
        } else {
            Transform::fit(&names, &raw.select(Axis(0), &keep), scaler)
        };
        let x = transform.apply_limited(&raw);
        check_magnitudes(&self.ids, &names, &x, " after scaling")?;
        Ok((transform, x))
    }

    /// The raw columns of `names`, in that order.
    pub fn raw_matrix(&self, names: &[String]) -> Array2<f64> {
        let idx: Vec<usize> = names.iter().filter_map(|n| self.column(n)).collect();
        self.raw.select(Axis(1), &idx)
    }
}

/// Up to this many categories, distinct categories per customer are counted from one
/// indicator column per category (above it, as distinct texts per group).
const MAX_CATEGORY_INDICATORS: usize = 64;

/// `part / whole`, 0 where the whole is not positive (no orders, no spend).
fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// Computes every feature for every customer who bought: per-customer sums from one pass
/// over integer-coded lines ([`dense_aggregates`]) where the data allows it, else from one
/// polars group-by; joined to returns and the customer table.
pub fn customer_features(ds: &Dataset) -> Result<CustomerFeatures> {
    features_with(ds, true)
}

/// [`customer_features`], with `dense` allowing [`dense_aggregates`] (tests compare both).
fn features_with(ds: &Dataset, dense: bool) -> Result<CustomerFeatures> {
    if let Some(t) = &ds.table {
        return table_features(t);
    }
    let lines = feature_lines(ds)?;
    let per = per_customer(ds, &lines, dense)?;
    let _t = crate::timing::phase("features: columns");
    feature_columns(ds, &lines, per)
}

/// The per-customer sums the features are made of, and what they were made from.
struct PerCustomer {
    /// One row per customer, in id order.
    per: DataFrame,
    file: FileColumns,
    /// The dataset's last purchase date (microseconds).
    reference_us: i64,
    /// The categories customers bought, sorted (the `__spend{j}` and `__is{j}` columns).
    category_names: Vec<String>,
    /// Distinct categories are counted from one indicator column per category.
    indicators: bool,
    any_returns: bool,
}

/// The per-customer sums: from [`dense_aggregates`] where `dense` and the codes allow it,
/// else from the group-by joined to returns; then the customer file's columns and the ids.
fn per_customer(ds: &Dataset, lines: &FeatureLines, dense: bool) -> Result<PerCustomer> {
    let t_before = crate::timing::phase("features: reference date and categories");
    let reference_us = reference_date(&lines.lines)?;
    let category_names = bought_categories(ds, lines)?;
    let (aggs, bought, indicators) = aggregations(ds, lines, &category_names);
    let (returns, any_returns) = returns_by_customer(ds, lines.key)?;
    drop(t_before);
    // Where codes are the rows of the id table (a folder's customer file), a code finds its
    // customer directly: the dense pass, and lookups instead of joins below.
    let lookup = ds.codes_are_rows()?;
    let dense = if lines.line_region || !dense || !lookup {
        None
    } else {
        let _t = crate::timing::phase("features: dense aggregates");
        let of_product = lines.by_product.as_ref().map(|(c, _)| c.as_slice());
        dense_aggregates(ds, &bought, &category_names, of_product)?
    };
    let key = lines.key;
    let query = match dense {
        Some(per) => per.lazy(),
        None => bought.group_by([col(key)]).agg(aggs).join(
            returns,
            [col(key)],
            [col(key)],
            JoinArgs::new(JoinType::Left),
        ),
    };
    let (query, file) = with_customer_file(ds, query, key, lookup)?;
    let query = with_customer_ids(ds, query, key, lookup)?;
    let per = sorted_by_customer(ds, query, key, lookup)?;
    Ok(PerCustomer {
        per,
        file,
        reference_us,
        category_names,
        indicators,
        any_returns,
    })
}

/// Every feature column from the per-customer sums, in the order the features are named.
fn feature_columns(
    ds: &Dataset,
    lines: &FeatureLines,
    sums: PerCustomer,
) -> Result<CustomerFeatures> {
    let PerCustomer {
        per,
        file,
        reference_us,
        category_names,
        indicators,
        any_returns,
    } = sums;
    if per.height() == 0 {
        bail_input!(
            "{}: no purchase carries a customer id, so there are no customers to segment",
            ds.name
        );
    }
    let texts = spawn_customer_texts(&per, &file, lines.line_region);
    let mut columns = FeatureColumns::default();
    rfm_columns(&per, reference_us, file.signup, &mut columns)?;
    if ds.present.category {
        columns.push(
            names::DISTINCT_CATEGORIES,
            distinct_categories(&per, category_names.len(), indicators)?,
        );
    }
    if any_returns {
        columns.push(names::RETURN_RATE, return_rates(&per)?);
    }
    columns.push(names::TOTAL_QUANTITY, f64s(&per, names::TOTAL_QUANTITY)?);
    columns.push(names::AVG_UNIT_PRICE, f64s(&per, names::AVG_UNIT_PRICE)?);
    let categories = if ds.present.category {
        Some(category_shares(&per, category_names, &mut columns)?)
    } else {
        None
    };
    let CustomerTexts {
        ids,
        region,
        indicators,
    } = crate::parallel::joined(texts)?;
    for (name, values) in indicators {
        columns.push(&name, values);
    }
    let extra = extra_features(ds, &per, lines.key, &mut columns)?;
    let raw = columns.row_major(per.height());
    Ok(CustomerFeatures {
        ids,
        names: columns.names,
        raw,
        region,
        categories,
        reference_us,
        from_table: false,
        extra,
    })
}

/// [`customer_texts`] on another core beside the numbers (one String per customer each).
fn spawn_customer_texts(
    per: &DataFrame,
    file: &FileColumns,
    line_region: bool,
) -> std::thread::JoinHandle<Result<CustomerTexts>> {
    let region_column = if file.region {
        Some("__region")
    } else if line_region {
        Some("__line_region")
    } else {
        None
    };
    let per = per.clone();
    std::thread::spawn(move || customer_texts(&per, region_column))
}

/// The features of the data's extra columns ([`crate::data::extras`]), one row per row of
/// `per` (matched by `key`), pushed onto `out`; returns their names. A number gives its sum
/// over the customer's purchase lines and the mean over the customer's orders of the order's
/// sum (missing values left out of both, as pandas' sums do); a text gives each value's share
/// of the customer's spend.
fn extra_features(
    ds: &Dataset,
    per: &DataFrame,
    key: &str,
    out: &mut FeatureColumns,
) -> Result<Vec<String>> {
    let usable: Vec<&ExtraColumn> = ds
        .extras
        .iter()
        .filter(|x| !x.feature_names().is_empty())
        .collect();
    if usable.is_empty() {
        return Ok(Vec::new());
    }
    let _t = crate::timing::phase("features: extra columns");
    let aligned = extra_sums(ds, per, key, &usable)?;
    extra_columns(&usable, &aligned, out)
}

/// The aggregations behind the extra features: per customer (`__gross`, `__total{i}`,
/// `__level{i}_{v}`), and per order then per customer (`__order{i}`).
struct ExtraAggregations {
    per_customer: Vec<Expr>,
    order_sums: Vec<Expr>,
    order_means: Vec<Expr>,
}

impl ExtraAggregations {
    fn of(usable: &[&ExtraColumn]) -> ExtraAggregations {
        let mut per_customer = vec![col("amount").sum().alias("__gross")];
        let (mut order_sums, mut order_means) = (Vec::new(), Vec::new());
        for (i, x) in usable.iter().enumerate() {
            let k = x.key();
            match &x.kind {
                ExtraKind::Number => {
                    per_customer.push(col(k.as_str()).sum().alias(format!("__total{i}")));
                    order_sums.push(col(k.as_str()).sum().alias(format!("__order{i}")));
                    order_means.push(col(format!("__order{i}")).mean());
                }
                ExtraKind::Levels { values } => {
                    for (v, value) in values.iter().enumerate() {
                        let is = col(k.as_str())
                            .eq(lit(value.as_str()))
                            .fill_null(lit(false));
                        per_customer.push(
                            when(is)
                                .then(col("amount"))
                                .otherwise(lit(0.0))
                                .sum()
                                .alias(format!("__level{i}_{v}")),
                        );
                    }
                }
                ExtraKind::LeftOut { .. } => {}
            }
        }
        ExtraAggregations {
            per_customer,
            order_sums,
            order_means,
        }
    }
}

/// The extra columns' sums per customer, one row per row of `per` (in its order).
fn extra_sums(
    ds: &Dataset,
    per: &DataFrame,
    key: &str,
    usable: &[&ExtraColumn],
) -> Result<DataFrame> {
    let aggs = ExtraAggregations::of(usable);
    let bought = ds.lines.clone().filter(col(key).is_not_null());
    let left = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let mut sums = bought.clone().group_by([col(key)]).agg(aggs.per_customer);
    if !aggs.order_sums.is_empty() {
        let orders = bought
            .group_by([col(key), col(ORDER_CODE)])
            .agg(aggs.order_sums)
            .group_by([col(key)])
            .agg(aggs.order_means);
        sums = sums.join(orders, [col(key)], [col(key)], left.clone());
    }
    let aligned = per
        .select([key])?
        .lazy()
        .join(sums, [col(key)], [col(key)], left)
        .collect()?;
    if aligned.height() != per.height() {
        anyhow::bail!("extra features: the join changed the number of customers");
    }
    Ok(aligned)
}

/// The extra features from [`extra_sums`], pushed onto `out`; returns their names.
fn extra_columns(
    usable: &[&ExtraColumn],
    aligned: &DataFrame,
    out: &mut FeatureColumns,
) -> Result<Vec<String>> {
    // Missing sums (none expected: every customer in `per` bought) read as 0.
    let zero = |name: &str| f64s(aligned, name);
    let gross = zero("__gross")?;
    let mut names = Vec::new();
    for (i, x) in usable.iter().enumerate() {
        let features = x.feature_names();
        match &x.kind {
            ExtraKind::Number => {
                out.push(&features[0], zero(&format!("__total{i}"))?);
                out.push(&features[1], zero(&format!("__order{i}"))?);
            }
            ExtraKind::Levels { values } => {
                for (v, name) in features.iter().enumerate().take(values.len()) {
                    let spend = zero(&format!("__level{i}_{v}"))?;
                    let shares = spend.iter().zip(&gross).map(|(s, g)| ratio(*s, *g));
                    out.push(name, shares.collect());
                }
            }
            ExtraKind::LeftOut { .. } => {}
        }
        names.extend(features);
    }
    Ok(names)
}

/// The lines features read, collected once, and how they name customers and categories.
struct FeatureLines {
    lines: LazyFrame,
    /// The lines with a customer id.
    bought: LazyFrame,
    /// Where the lines look their category up by product code: each product's category, as
    /// texts and as the series the lookup gathers from.
    by_product: Option<(Vec<Option<String>>, Series)>,
    /// Region comes from the lines (a log), not from a customer file.
    line_region: bool,
    /// The customer column: the integer code where customers are coded (a folder's customer
    /// file; they group and join far faster than text and are named only at the end).
    key: &'static str,
}

/// Collects the columns features read, once for every query below.
fn feature_lines(ds: &Dataset) -> Result<FeatureLines> {
    let mut needed = vec![
        col(ORDER_CODE),
        col("date"),
        col("amount"),
        col("quantity"),
        col("unit_price"),
    ];
    // Lines that look their category up by product code carry the code, not a text per line.
    let by_product = match ds.category_by_product() {
        Some(c) => Some((
            frame::column_opt_texts(c)?,
            c.as_materialized_series().clone(),
        )),
        None => None,
    };
    if by_product.is_some() {
        needed.push(col("product_code"));
    } else if ds.present.category {
        needed.push(col("category"));
    }
    // Region comes from the customer table where it has one (joined per customer, not per
    // line); from the lines only for a log.
    let table_region = match &ds.customers {
        Some(c) => c.clone().collect_schema()?.get("region").is_some(),
        None => false,
    };
    let line_region = ds.present.region && !table_region;
    if line_region {
        needed.push(col("region"));
    }
    let key = ds.present.customer_key();
    needed.push(col(key));
    let t = crate::timing::phase("features: lines");
    let mut lines = ds.lines.clone().select(needed).collect()?.lazy();
    drop(t);
    if let Some((_, categories)) = &by_product {
        // Only computed where a query reads it (the group-by, when the dense pass can't run).
        let category = lit(categories.clone()).gather(col("product_code"), true);
        lines = lines.with_column(category.alias("category"));
    }
    // The filter copies every line, so it runs only when some id is missing.
    let missing = lines
        .clone()
        .select([col(key).null_count().alias("n")])
        .collect()?;
    let bought = if frame::first_count(&missing, "n")? > 0 {
        lines.clone().filter(col(key).is_not_null())
    } else {
        lines.clone()
    };
    Ok(FeatureLines {
        lines,
        bought,
        by_product,
        line_region,
        key,
    })
}

/// The last purchase date (microseconds): recency and tenure count to it.
fn reference_date(lines: &LazyFrame) -> Result<i64> {
    let reference = lines
        .clone()
        .select([col("date").max().cast(DataType::Int64).alias("d")])
        .collect()?;
    Ok(i64s(&reference, "d")?
        .first()
        .copied()
        .flatten()
        .unwrap_or(0))
}

/// The categories customers bought, sorted.
fn bought_categories(ds: &Dataset, l: &FeatureLines) -> Result<Vec<String>> {
    if let Some((of_product, _)) = &l.by_product {
        let bought_products = l
            .bought
            .clone()
            .select([col("product_code").drop_nulls().unique()])
            .collect()?;
        let mut names: Vec<String> = bought_products
            .column("product_code")?
            .u32()?
            .iter()
            .flatten()
            .filter_map(|p| of_product.get(p as usize).cloned().flatten())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    } else if ds.present.category {
        let c = l
            .bought
            .clone()
            .select([col("category")
                .drop_nulls()
                .unique()
                .sort(SortOptions::default())])
            .collect()?;
        strs(&c, "category")
    } else {
        Ok(vec![])
    }
}

/// The group-by's aggregations, the bought lines with the per-category columns they read,
/// and whether distinct categories are counted from one indicator per category.
fn aggregations(
    ds: &Dataset,
    l: &FeatureLines,
    category_names: &[String],
) -> (Vec<Expr>, LazyFrame, bool) {
    let mut aggs = vec![
        col("date").max().cast(DataType::Int64).alias("last"),
        col("date").min().cast(DataType::Int64).alias("first"),
        col(ORDER_CODE).n_unique().alias(names::FREQUENCY),
        col("amount").sum().alias("gross"),
        col("quantity").sum().alias(names::TOTAL_QUANTITY),
        col("unit_price").mean().alias(names::AVG_UNIT_PRICE),
    ];
    // Per category, a line's spend and whether it is of that category, as plain columns
    // before the group-by: plain sums and maxima are the group-by's fast path, where a
    // filtered sum or a count of distinct texts takes a slow path per group.
    let mut per_line: Vec<Expr> = Vec::new();
    let indicators = category_names.len() <= MAX_CATEGORY_INDICATORS;
    if ds.present.category {
        for (j, c) in category_names.iter().enumerate() {
            let is = col("category").eq(lit(c.as_str())).fill_null(lit(false));
            per_line.push(
                when(is.clone())
                    .then(col("amount"))
                    .otherwise(lit(0.0))
                    .alias(format!("__spend{j}")),
            );
            aggs.push(col(format!("__spend{j}")).sum());
            if indicators {
                per_line.push(is.alias(format!("__is{j}")));
                aggs.push(col(format!("__is{j}")).any(true).alias(format!("__is{j}")));
            }
        }
        if !indicators {
            aggs.push(
                col("category")
                    .drop_nulls()
                    .n_unique()
                    .alias(names::DISTINCT_CATEGORIES),
            );
        }
    }
    let bought = if per_line.is_empty() {
        l.bought.clone()
    } else {
        l.bought.clone().with_columns(per_line)
    };
    if l.line_region {
        aggs.push(col("region").drop_nulls().max().alias("__line_region"));
    }
    (aggs, bought, indicators)
}

/// Each customer's returned value (a lazy group-by), and whether anyone returned anything.
fn returns_by_customer(ds: &Dataset, key: &str) -> Result<(LazyFrame, bool)> {
    let returns = ds
        .returns
        .clone()
        .filter(col(key).is_not_null())
        .group_by([col(key)])
        .agg([col("amount").abs().sum().alias("returned")]);
    // A count of lines, not the group-by above.
    let any = ds
        .returns
        .clone()
        .select([col(key).is_not_null().any(true).alias("any")])
        .collect()?;
    Ok((returns, any.column("any")?.bool()?.get(0) == Some(true)))
}

/// What the customer file adds per customer.
struct FileColumns {
    signup: bool,
    region: bool,
}

/// Signup and region from the customer file, where there is one: looked up by code where
/// codes are its rows too, else joined.
fn with_customer_file(
    ds: &Dataset,
    mut query: LazyFrame,
    key: &str,
    lookup: bool,
) -> Result<(LazyFrame, FileColumns)> {
    let Some(customers) = &ds.customers else {
        return Ok((
            query,
            FileColumns {
                signup: false,
                region: false,
            },
        ));
    };
    let schema = customers.clone().collect_schema()?;
    let file = FileColumns {
        signup: schema.get("signup_date").is_some(),
        region: schema.get("region").is_some(),
    };
    let table = if lookup {
        Some(customers.clone().collect()?)
            .filter(|t| crate::data::codes_are_rows(t).unwrap_or(false))
    } else {
        None
    };
    if let Some(table) = table {
        let by_code = |name: &str, alias: &str, dtype: Option<DataType>| -> Result<Expr> {
            let mut values = table.column(name)?.as_materialized_series().clone();
            if let Some(dtype) = dtype {
                values = values.cast(&dtype)?;
            }
            Ok(lit(values).gather(col(key), true).alias(alias))
        };
        let mut exprs = Vec::new();
        if file.signup {
            exprs.push(by_code("signup_date", "__signup", Some(DataType::Int64))?);
        }
        if file.region {
            exprs.push(by_code("region", "__region", None)?);
        }
        if !exprs.is_empty() {
            query = query.with_columns(exprs);
        }
    } else {
        let mut cols = vec![col(key)];
        if file.signup {
            cols.push(col("signup_date").cast(DataType::Int64).alias("__signup"));
        }
        if file.region {
            cols.push(col("region").alias("__region"));
        }
        query = query.join(
            customers.clone().select(cols),
            [col(key)],
            [col(key)],
            JoinArgs::new(JoinType::Left),
        );
    }
    Ok((query, file))
}

/// Coded customers get their ids back: by code where codes are rows, else joined.
fn with_customer_ids(ds: &Dataset, query: LazyFrame, key: &str, lookup: bool) -> Result<LazyFrame> {
    let Some(ids) = ds.coded_customers() else {
        return Ok(query);
    };
    Ok(if lookup {
        let names = ids.column("customer_id")?.as_materialized_series().clone();
        query.with_column(lit(names).gather(col(key), true).alias("customer_id"))
    } else {
        query.join(
            ids.clone().lazy(),
            [col(key)],
            [col(key)],
            JoinArgs::new(JoinType::Left),
        )
    })
}

/// One row per customer, in id order: by code when codes follow the ids (a customer file
/// sorted by id), which is far cheaper than sorting the texts.
fn sorted_by_customer(
    ds: &Dataset,
    query: LazyFrame,
    key: &str,
    lookup: bool,
) -> Result<DataFrame> {
    let _t = crate::timing::phase("features: per customer");
    let by_code = match (ds.coded_customers(), lookup) {
        (Some(ids), true) => frame::strictly_ascending(ids, "customer_id")?,
        _ => false,
    };
    let order = if by_code { key } else { "customer_id" };
    Ok(query
        .sort([order], SortMultipleOptions::default())
        .collect()?)
}

/// Feature columns in the order they are made, with their names.
#[derive(Default)]
struct FeatureColumns {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl FeatureColumns {
    fn push(&mut self, name: &str, values: Vec<f64>) {
        self.names.push(name.to_string());
        self.columns.push(values);
    }

    /// Row-major, as the models read it; filled in row blocks so writes stay in cache.
    fn row_major(&self, n: usize) -> Array2<f64> {
        let d = self.names.len();
        let mut raw = Array2::<f64>::zeros((n, d));
        if let Some(flat) = raw.as_slice_mut() {
            for (block, rows) in flat.chunks_mut(d.max(1) * 1024).enumerate() {
                let base = block * 1024;
                for (j, c) in self.columns.iter().enumerate() {
                    for (r, row) in rows.chunks_mut(d).enumerate() {
                        row[j] = c[base + r];
                    }
                }
            }
        }
        raw
    }
}

/// Recency, frequency, net spend, average order value and tenure (from signup where the
/// customer file has it, else from the first purchase).
fn rfm_columns(
    per: &DataFrame,
    reference_us: i64,
    has_signup: bool,
    out: &mut FeatureColumns,
) -> Result<()> {
    let n = per.height();
    let returned = f64s(per, "returned")?;
    let signup: Vec<Option<i64>> = if has_signup {
        i64s(per, "__signup")?
    } else {
        vec![None; n]
    };
    let last = i64s(per, "last")?;
    let first = i64s(per, "first")?;
    let frequency = f64s(per, names::FREQUENCY)?;
    let gross = f64s(per, "gross")?;
    let days =
        |from: Option<i64>| from.map_or(0.0, |f| ((reference_us - f) as f64 / DAY_US).floor());
    out.push(names::RECENCY_DAYS, last.iter().map(|&l| days(l)).collect());
    out.push(names::FREQUENCY, frequency.clone());
    out.push(
        names::MONETARY,
        (0..n).map(|i| gross[i] - returned[i]).collect(),
    );
    out.push(
        names::AVG_ORDER_VALUE,
        (0..n).map(|i| ratio(gross[i], frequency[i])).collect(),
    );
    out.push(
        names::TENURE_DAYS,
        (0..n).map(|i| days(signup[i].or(first[i]))).collect(),
    );
    Ok(())
}

/// Distinct categories per customer: from the indicator columns, or counted by the group-by.
fn distinct_categories(per: &DataFrame, categories: usize, indicators: bool) -> Result<Vec<f64>> {
    if !indicators {
        return f64s(per, names::DISTINCT_CATEGORIES);
    }
    let mut count = vec![0.0; per.height()];
    for j in 0..categories {
        let is = per.column(&format!("__is{j}"))?.bool()?;
        for (c, v) in count.iter_mut().zip(is.iter()) {
            *c += f64::from(u8::from(v.unwrap_or(false)));
        }
    }
    Ok(count)
}

/// Return rate, bounded in [0, 1]: returned over everything that passed through the till, so
/// returns of goods bought before the log starts cannot make it 57.
fn return_rates(per: &DataFrame) -> Result<Vec<f64>> {
    let returned = f64s(per, "returned")?;
    let gross = f64s(per, "gross")?;
    Ok((0..per.height())
        .map(|i| ratio(returned[i], gross[i] + returned[i]))
        .collect())
}

/// Each customer's spend per category (kept for profiles) and a `share_<category>` column
/// per category.
fn category_shares(
    per: &DataFrame,
    category_names: Vec<String>,
    out: &mut FeatureColumns,
) -> Result<(Vec<String>, Array2<f64>)> {
    let n = per.height();
    let gross = f64s(per, "gross")?;
    let mut m = Array2::<f64>::zeros((n, category_names.len()));
    for (j, c) in category_names.iter().enumerate() {
        let spend = f64s(per, &format!("__spend{j}"))?;
        m.column_mut(j).assign(&Array1::from(spend));
        out.push(
            &format!("{}{}", names::SHARE_PREFIX, slug(c)),
            (0..n).map(|i| ratio(m[[i, j]], gross[i])).collect(),
        );
    }
    Ok((category_names, m))
}

/// What [`customer_texts`] makes.
struct CustomerTexts {
    ids: Vec<String>,
    region: Option<Vec<String>>,
    /// One indicator column per region: its feature name and values.
    indicators: Vec<(String, Vec<f64>)>,
}

/// Customer ids, regions (where `region_column` names them) and their indicator columns,
/// from the per-customer frame of [`customer_features`].
fn customer_texts(per: &DataFrame, region_column: Option<&str>) -> Result<CustomerTexts> {
    let ids = strs(per, "customer_id")?;
    let Some(column) = region_column else {
        return Ok(CustomerTexts {
            ids,
            region: None,
            indicators: Vec::new(),
        });
    };
    // Customers missing from the table, and missing regions, read "(unknown)".
    let regions = strs(per, column)?;
    let distinct: std::collections::BTreeSet<&String> = regions.iter().collect();
    let indicators = distinct
        .into_iter()
        .map(|r| {
            let values = regions
                .iter()
                .map(|x| f64::from(u8::from(x == r)))
                .collect();
            (format!("{}{}", names::REGION_PREFIX, slug(r)), values)
        })
        .collect();
    Ok(CustomerTexts {
        ids,
        region: Some(regions),
        indicators,
    })
}

/// The per-customer aggregates of the group-by in [`customer_features`] (same columns), by
/// adding each line into its customer's slot: customers are dense integer codes, so this is
/// one pass over numeric columns instead of a hash group-by over every customer. `None` when
/// the lines don't allow it: no codes, too many categories, missing values, or orders not in
/// runs, that is an order whose lines are not one run in the file (its code descends), or one
/// order that changes customer (then the distinct orders of a customer are not its runs of
/// lines, and the group-by counts them). Codes must be the rows of the id table
/// ([`codes_are_rows`]).
fn dense_aggregates(
    ds: &Dataset,
    bought: &LazyFrame,
    category_names: &[String],
    of_product: Option<&[Option<String>]>,
) -> Result<Option<DataFrame>> {
    let categories = category_names.len();
    let Some(ids) = ds.coded_customers() else {
        return Ok(None);
    };
    if categories > MAX_CATEGORY_INDICATORS {
        return Ok(None);
    }
    // The caller checked that row i of the id table holds code i (see `codes_are_rows`).
    let slots = ids.height();
    let t = crate::timing::phase("features: line columns");
    let Some(lines) = dense_line_columns(bought, category_names, of_product)? else {
        return Ok(None);
    };
    drop(t);
    let codes = lines.column("customer_code")?.u32()?.cont_slice()?;
    if codes.iter().any(|&c| c as usize >= slots) {
        return Ok(None);
    }
    let pieces = LinePieces::of(
        lines.column("date")?.i64()?,
        [
            lines.column("amount")?.f64()?,
            lines.column("quantity")?.f64()?,
            lines.column("unit_price")?.f64()?,
        ],
    );
    let new_order = lines.column("__new_order")?.u8()?.cont_slice()?;
    let t = crate::timing::phase("features: slots");
    let scatter = LineScatter {
        pieces: &pieces,
        codes,
        new_order,
        index: match categories {
            0 => None,
            _ => Some(lines.column("__category")?.i32()?.cont_slice()?),
        },
        categories,
    };
    // Customers are split by code over two threads; each still takes its lines in file
    // order, so every sum is the one a single pass would give.
    let own = slots.div_ceil(SCATTER_PARTS);
    let parts: Vec<PartSums> = super::par_map(SCATTER_PARTS, |part| scatter.part(part, own));
    let bought_by: Vec<usize> = (0..slots)
        .filter(|&c| slot_of(&parts, c).lines > 0)
        .collect();
    let mut columns = slot_columns(&parts, &bought_by, categories);
    drop(t);
    let _t = crate::timing::phase("features: returns");
    let returned = returned_by_code(ds, slots, &bought_by)?;
    columns.push(Column::new("returned".into(), returned));
    Ok(Some(DataFrame::new(bought_by.len(), columns)?))
}

/// The line columns [`dense_aggregates`] reads (`customer_code`, `date` as microseconds,
/// `amount`, `quantity`, `unit_price`), whether each line starts an order (`__new_order`)
/// and its category's index (`__category`, with categories). `None` where a value is
/// missing or the orders are not runs of lines.
fn dense_line_columns(
    bought: &LazyFrame,
    category_names: &[String],
    of_product: Option<&[Option<String>]>,
) -> Result<Option<DataFrame>> {
    let code = || col("customer_code");
    let previous = |c: Expr| c.shift(lit(1));
    let order = || col(ORDER_CODE);
    let same_order = order().eq(previous(order()));
    let same_customer = code().eq(previous(code()));
    // Orders are runs of lines when no order id is missing, they never descend, and an order
    // never changes customer: then a customer's orders are its runs of lines.
    let not_runs = order()
        .lt(previous(order()))
        .or(same_order.clone().and(same_customer.clone().not()))
        .fill_null(lit(false))
        .or(order().is_null());
    let mut select = vec![
        code(),
        col("date").cast(DataType::Int64),
        col("amount"),
        col("quantity"),
        col("unit_price"),
        same_order
            .and(same_customer)
            .fill_null(lit(false))
            .not()
            .cast(DataType::UInt8)
            .alias("__new_order"),
        not_runs.alias("__not_runs"),
    ];
    select.extend(category_index(category_names, of_product));
    let mut lines = bought.clone().select(select).collect()?;
    if lines.columns().iter().any(|c| c.null_count() > 0)
        || lines.column("__not_runs")?.bool()?.any()
    {
        return Ok(None);
    }
    // The columns computed here come in one piece; the lines' own numbers are read piece by
    // piece where they lie (copying them into one piece would be fresh memory for every line).
    for name in ["customer_code", "__new_order", "__category"] {
        if let Ok(c) = lines.column(name)
            && c.n_chunks() > 1
        {
            let one = c.rechunk();
            lines.with_column(one)?;
        }
    }
    Ok(Some(lines))
}

/// Each line's category as its index in `category_names` (-1 for none), as `__category`:
/// looked up by product where the lines carry product codes. `None` without categories.
fn category_index(
    category_names: &[String],
    of_product: Option<&[Option<String>]>,
) -> Option<Expr> {
    if category_names.is_empty() {
        return None;
    }
    if let Some(of_product) = of_product {
        let index: Vec<i32> = of_product
            .iter()
            .map(|c| {
                c.as_ref()
                    .and_then(|c| category_names.binary_search(c).ok())
                    .map_or(-1, |j| j as i32)
            })
            .collect();
        let index = Series::new("__category".into(), index);
        return Some(
            lit(index)
                .gather(col("product_code"), true)
                .fill_null(lit(-1i32))
                .alias("__category"),
        );
    }
    let index = category_names
        .iter()
        .enumerate()
        .rev()
        .fold(lit(-1i32), |rest, (j, c)| {
            when(col("category").eq(lit(c.as_str())))
                .then(lit(j as i32))
                .otherwise(rest)
        });
    Some(index.alias("__category"))
}

/// The lines as [`LineScatter::part`] reads them: borrowed from the collected columns.
#[derive(Clone, Copy)]
struct LineScatter<'a> {
    pieces: &'a LinePieces<'a>,
    codes: &'a [u32],
    /// 1 where a line starts an order.
    new_order: &'a [u8],
    /// Each line's category index (-1 for none), with categories.
    index: Option<&'a [i32]>,
    categories: usize,
}

/// One part's sums: its customers' slots, and their spend and presence per category (row
/// `code / SCATTER_PARTS`, `categories` cells each).
struct PartSums {
    slot: Vec<Slot>,
    spend: Vec<f64>,
    has: Vec<bool>,
}

/// The sums of customer `c`.
fn slot_of(parts: &[PartSums], c: usize) -> &Slot {
    &parts[c % SCATTER_PARTS].slot[c / SCATTER_PARTS]
}

impl LineScatter<'_> {
    /// The sums of the customers whose code is `part` modulo [`SCATTER_PARTS`] (`own` of
    /// them at most), in one pass over every line in file order. One customer's sums lie
    /// side by side: customers come in no order, so each line is a cache miss, paid once
    /// rather than once per sum.
    fn part(&self, part: usize, own: usize) -> PartSums {
        let LineScatter {
            pieces,
            codes,
            new_order,
            index,
            categories,
        } = *self;
        let mut slot = vec![Slot::default(); own];
        let mut spend = vec![0.0; own * categories];
        let mut has = vec![false; own * categories];
        for piece in &pieces.0 {
            let [amounts, quantities, prices] = piece.numbers;
            for (j, &date) in piece.dates.iter().enumerate() {
                let i = piece.start + j;
                let c = codes[i] as usize;
                if c % SCATTER_PARTS != part {
                    continue;
                }
                if let Some(&ahead) = codes.get(i + PREFETCH_AHEAD) {
                    prefetch(&slot, ahead as usize / SCATTER_PARTS);
                    prefetch(&spend, ahead as usize / SCATTER_PARTS * categories);
                }
                let at = c / SCATTER_PARTS;
                let s = &mut slot[at];
                if s.lines == 0 {
                    (s.first, s.last) = (date, date);
                }
                s.lines += 1;
                s.orders += u32::from(new_order[i]);
                s.first = s.first.min(date);
                s.last = s.last.max(date);
                s.gross += amounts[j];
                s.quantity += quantities[j];
                s.prices += prices[j];
                if let Some(k) = index.and_then(|x| usize::try_from(x[i]).ok()) {
                    spend[at * categories + k] += amounts[j];
                    has[at * categories + k] = true;
                }
            }
        }
        PartSums { slot, spend, has }
    }
}

/// The group-by's columns (but `returned`) for the customers `bought_by`, from the parts' sums.
fn slot_columns(parts: &[PartSums], bought_by: &[usize], categories: usize) -> Vec<Column> {
    let of_bought = |f: &dyn Fn(&Slot) -> f64| -> Vec<f64> {
        bought_by.iter().map(|&c| f(slot_of(parts, c))).collect()
    };
    let column = |name: &str, f: &dyn Fn(&Slot) -> f64| Column::new(name.into(), of_bought(f));
    // Dates as microseconds (exact in an i64, not in an f64).
    let dates = |name: &str, f: &dyn Fn(&Slot) -> i64| -> Column {
        let v: Vec<i64> = bought_by.iter().map(|&c| f(slot_of(parts, c))).collect();
        Column::new(name.into(), v)
    };
    let mut columns = vec![
        Column::new(
            "customer_code".into(),
            bought_by.iter().map(|&c| c as u32).collect::<Vec<u32>>(),
        ),
        dates("last", &|s| s.last),
        dates("first", &|s| s.first),
        column(names::FREQUENCY, &|s| f64::from(s.orders)),
        column("gross", &|s| s.gross),
        column(names::TOTAL_QUANTITY, &|s| s.quantity),
        column(names::AVG_UNIT_PRICE, &|s| s.prices / f64::from(s.lines)),
    ];
    for j in 0..categories {
        let cell = |c: usize| c / SCATTER_PARTS * categories + j;
        columns.push(Column::new(
            format!("__spend{j}").into(),
            bought_by
                .iter()
                .map(|&c| parts[c % SCATTER_PARTS].spend[cell(c)])
                .collect::<Vec<f64>>(),
        ));
        columns.push(Column::new(
            format!("__is{j}").into(),
            bought_by
                .iter()
                .map(|&c| parts[c % SCATTER_PARTS].has[cell(c)])
                .collect::<Vec<bool>>(),
        ));
    }
    columns
}

/// Each of the customers `bought_by`'s returned value, summed by the same codes.
fn returned_by_code(ds: &Dataset, slots: usize, bought_by: &[usize]) -> Result<Vec<f64>> {
    let code = || col("customer_code");
    let returns = ds
        .returns
        .clone()
        .filter(code().is_not_null())
        .select([code(), col("amount").abs()])
        .collect()?;
    let mut returned = vec![0.0; slots];
    let return_codes = returns.column("customer_code")?.u32()?;
    let return_amounts = returns.column("amount")?.f64()?;
    for (c, v) in return_codes.iter().zip(return_amounts.iter()) {
        if let (Some(c), Some(v)) = (c, v)
            && let Some(r) = returned.get_mut(c as usize)
        {
            *r += v;
        }
    }
    Ok(bought_by.iter().map(|&c| returned[c]).collect())
}

/// Threads of [`dense_aggregates`], each summing the customers whose code is its number
/// modulo this.
const SCATTER_PARTS: usize = 2;

/// How many lines ahead [`dense_aggregates`] asks for a customer's sums: customers come in
/// no order, so each line would otherwise wait for memory.
const PREFETCH_AHEAD: usize = 16;

/// Asks the CPU to fetch the cache line of `v[i]` ahead of its use: a hint, which changes no
/// result.
#[inline(always)]
fn prefetch<T>(v: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = v.get(i) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch only hints the cache; the address is a live element of `v`.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(x).cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, i);
}

/// The line columns [`dense_aggregates`] reads, as runs of lines that each column holds in
/// one piece: where the columns' chunks end differs, a run ends at every such end. Borrowed,
/// never copied.
struct LinePieces<'a>(Vec<LinePiece<'a>>);

/// Lines `start..start + dates.len()`: their dates, and amounts, quantities and unit prices.
struct LinePiece<'a> {
    start: usize,
    dates: &'a [i64],
    numbers: [&'a [f64]; 3],
}

impl<'a> LinePieces<'a> {
    /// The pieces of columns of equal length without missing values.
    fn of(dates: &'a Int64Chunked, numbers: [&'a Float64Chunked; 3]) -> LinePieces<'a> {
        let mut date_chunks = chunks_of(dates);
        let mut number_chunks = numbers.map(chunks_of);
        let mut pieces = Vec::new();
        let mut start = 0;
        loop {
            let len = number_chunks
                .iter_mut()
                .map(Chunks::ready)
                .fold(date_chunks.ready(), usize::min);
            if len == 0 {
                break;
            }
            pieces.push(LinePiece {
                start,
                dates: date_chunks.take(len),
                numbers: [
                    number_chunks[0].take(len),
                    number_chunks[1].take(len),
                    number_chunks[2].take(len),
                ],
            });
            start += len;
        }
        LinePieces(pieces)
    }
}

/// A column's chunks, read front to back in pieces.
struct Chunks<'a, T> {
    chunks: Vec<&'a [T]>,
    at: usize,
}

/// A numeric column's chunks as [`Chunks`].
fn chunks_of<P: PolarsNumericType>(ca: &ChunkedArray<P>) -> Chunks<'_, P::Native> {
    Chunks {
        chunks: ca
            .downcast_iter()
            .map(|a| a.values().as_slice())
            .filter(|s| !s.is_empty())
            .collect(),
        at: 0,
    }
}

impl<'a, T> Chunks<'a, T> {
    /// How many values the current chunk has left (0 at the end).
    fn ready(&mut self) -> usize {
        self.chunks.get(self.at).map_or(0, |c| c.len())
    }

    /// The next `len` values, all from the current chunk (`len` ≤ [`Chunks::ready`]).
    fn take(&mut self, len: usize) -> &'a [T] {
        let chunk = self.chunks[self.at];
        let (head, rest) = chunk.split_at(len);
        if rest.is_empty() {
            self.at += 1;
        } else {
            self.chunks[self.at] = rest;
        }
        head
    }
}

/// One customer's running sums in [`dense_aggregates`].
#[derive(Clone, Default)]
struct Slot {
    lines: u32,
    orders: u32,
    first: i64,
    last: i64,
    gross: f64,
    quantity: f64,
    prices: f64,
}

/// Features read straight from a customer table.
fn table_features(t: &crate::data::table::CustomerTable) -> Result<CustomerFeatures> {
    let ids = strs(&t.features, "customer_id")?;
    let names = t.feature_names();
    let mut raw = Array2::<f64>::zeros((ids.len(), names.len()));
    for (j, n) in names.iter().enumerate() {
        raw.column_mut(j)
            .assign(&Array1::from(f64s(&t.features, n)?));
    }
    let region = match t.attributes.column("region") {
        Ok(_) => Some(strs(&t.attributes, "region")?),
        Err(_) => None,
    };
    Ok(CustomerFeatures {
        ids,
        names,
        raw,
        region,
        categories: None,
        reference_us: 0,
        from_table: true,
        extra: Vec::new(),
    })
}

/// How features are scaled after log1p.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ScalerKind {
    /// (x - median) / IQR, scikit-learn's RobustScaler.
    Robust,
    /// (x - mean) / std (population), scikit-learn's StandardScaler.
    Standard,
    None,
}

impl ScalerKind {
    pub fn name(self) -> &'static str {
        match self {
            ScalerKind::Robust => "robust",
            ScalerKind::Standard => "standard",
            ScalerKind::None => "none",
        }
    }
}

/// Where a feature's scale came from: the scaler's own statistic, or a fallback where that
/// statistic is zero (a column mostly at one value, like a return rate most customers leave
/// at 0, would otherwise stay raw and outweigh every other feature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleFrom {
    /// Interquartile range (RobustScaler).
    Iqr,
    /// Median absolute deviation, where the IQR is zero.
    Mad,
    /// Population standard deviation (StandardScaler, or the robust scaler's last fallback).
    Std,
    /// Every value alike: left unscaled, as scikit-learn does.
    Constant,
    /// `--scaler none`.
    None,
}

/// The robust range each scaled feature is limited to: its 1st and 99th percentiles over the
/// clustered customers. A handful of extreme customers then sit at the edge of the crowd
/// instead of owning a segment centre.
pub const LIMIT_QUANTILES: [f64; 2] = [0.01, 0.99];

/// Everything needed to turn raw features into the clustered matrix again (saved in model.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transform {
    pub features: Vec<String>,
    /// Per feature: log1p applied (sign-preserving) before scaling.
    pub log1p: Vec<bool>,
    pub scaler: ScalerKind,
    pub center: Vec<f64>,
    pub scale: Vec<f64>,
    /// Per feature: which statistic `scale` is.
    #[serde(default)]
    pub scale_from: Vec<ScaleFrom>,
    /// Per feature: the [low, high] range scaled values are limited to ([`LIMIT_QUANTILES`]);
    /// empty when nothing is limited (`--scaler none`, or a model from before limits).
    #[serde(default)]
    pub limits: Vec<[f64; 2]>,
}

/// Sign-preserving log1p: defined for negative net spend too.
pub fn signed_log1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

/// Quantile with linear interpolation between order statistics (numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The largest magnitude a clustered value may have: squared distances between such values
/// (summed over features and customers) stay finite.
pub const MAX_MAGNITUDE: f64 = 1e150;

/// Refuses a matrix with a value that is not finite, or so large that distances overflow: an
/// input error naming the customer and the feature, before anything reaches a model (a sum
/// of amounts like 1.5e308 overflows to infinity).
pub fn check_magnitudes(
    ids: &[String],
    names: &[String],
    x: &Array2<f64>,
    stage: &str,
) -> Result<()> {
    let Some(((i, j), &v)) = x
        .indexed_iter()
        .find(|(_, v)| !v.is_finite() || v.abs() > MAX_MAGNITUDE)
    else {
        return Ok(());
    };
    let id = ids.get(i).map_or("?", String::as_str);
    let name = names.get(j).map_or("?", String::as_str);
    bail_input!(
        "customer {id:?}: feature {name} is {v:e}{stage}, not a number segments can be computed on (beyond ±1e150, or a sum that overflowed); check the amounts of this customer, or leave the feature out with --features"
    )
}

/// [`quantile`] of `v` as if sorted, by selection (linear time; `v` is reordered).
pub fn quantile_unsorted(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len();
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let (_, &mut low, upper) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let high = if lo + 1 < n {
        upper.iter().copied().min_by(f64::total_cmp).unwrap_or(low)
    } else {
        low
    };
    low + (pos - lo as f64) * (high - low)
}

impl Transform {
    /// Learns the transform on `raw` (columns named by `features`): log1p where the feature
    /// is skewed, the scaler's centre and scale (with fallbacks, [`ScaleFrom`]), then the
    /// limits of the scaled columns.
    pub fn fit(features: &[String], raw: &Array2<f64>, scaler: ScalerKind) -> Transform {
        let (mut t, logged) = Transform::fit_scale(features, raw, scaler);
        if scaler != ScalerKind::None && raw.nrows() > 0 {
            let x = t.scale_logged(logged);
            t.limits = super::par_map(features.len(), |j| {
                let mut v = x.column(j).to_vec();
                LIMIT_QUANTILES.map(|q| quantile_unsorted(&mut v, q))
            });
        }
        t
    }

    /// The log1p and scaling of [`Transform::fit`] without limits (explanations measure
    /// distances in it), with the logged columns.
    pub fn fit_scale(
        features: &[String],
        raw: &Array2<f64>,
        scaler: ScalerKind,
    ) -> (Transform, Array2<f64>) {
        let log1p: Vec<bool> = features.iter().map(|f| wants_log1p(f)).collect();
        let logged = apply_log(raw, &log1p);
        let d = features.len();
        // Every column is independent: one thread each.
        let fitted: Vec<(f64, f64, ScaleFrom)> =
            super::par_map(d, |j| center_and_scale(logged.column(j).to_vec(), scaler));
        let t = Transform {
            features: features.to_vec(),
            log1p,
            scaler,
            center: fitted.iter().map(|f| f.0).collect(),
            scale: fitted.iter().map(|f| f.1).collect(),
            scale_from: fitted.iter().map(|f| f.2).collect(),
            limits: Vec::new(),
        };
        (t, logged)
    }

    /// Applies the learnt log1p and scaling to raw rows with the same columns, without the
    /// limits: scikit-learn's scalers exactly, and the space lookalikes are measured in.
    pub fn apply(&self, raw: &Array2<f64>) -> Array2<f64> {
        self.scale_logged(apply_log(raw, &self.log1p))
    }

    /// [`Transform::apply`], then each feature limited to its range: the clustered matrix.
    pub fn apply_limited(&self, raw: &Array2<f64>) -> Array2<f64> {
        let mut x = self.apply(raw);
        self.limit(&mut x);
        x
    }

    /// Limits scaled values to the learnt ranges (no-op without limits).
    pub fn limit(&self, x: &mut Array2<f64>) {
        for (j, mut col) in x.axis_iter_mut(Axis(1)).enumerate() {
            if let Some(&[lo, hi]) = self.limits.get(j) {
                col.mapv_inplace(|v| v.clamp(lo, hi));
            }
        }
    }

    fn scale_logged(&self, mut x: Array2<f64>) -> Array2<f64> {
        for (j, mut col) in x.axis_iter_mut(Axis(1)).enumerate() {
            col.mapv_inplace(|v| (v - self.center[j]) / self.scale[j]);
        }
        x
    }
}

/// One column's centre and scale under `scaler`, with the statistic the scale is. The
/// robust scaler falls back from a zero IQR to the MAD, then to the standard deviation; a
/// column whose values are all alike keeps scale 1 (never a division by zero).
fn center_and_scale(mut v: Vec<f64>, scaler: ScalerKind) -> (f64, f64, ScaleFrom) {
    let usable = |s: f64| s.is_finite() && s > 0.0;
    let std_of = |v: &[f64]| {
        let n = v.len().max(1) as f64;
        let mean = v.iter().sum::<f64>() / n;
        (
            mean,
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt(),
        )
    };
    match scaler {
        ScalerKind::None => (0.0, 1.0, ScaleFrom::None),
        ScalerKind::Standard => {
            let (mean, std) = std_of(&v);
            if usable(std) {
                (mean, std, ScaleFrom::Std)
            } else {
                (mean, 1.0, ScaleFrom::Constant)
            }
        }
        ScalerKind::Robust => {
            let [q1, median, q3] = [0.25, 0.5, 0.75].map(|q| quantile_unsorted(&mut v, q));
            if usable(q3 - q1) {
                return (median, q3 - q1, ScaleFrom::Iqr);
            }
            let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
            let mad = quantile_unsorted(&mut dev, 0.5);
            if usable(mad) {
                return (median, mad, ScaleFrom::Mad);
            }
            let (_, std) = std_of(&v);
            if usable(std) {
                (median, std, ScaleFrom::Std)
            } else {
                (median, 1.0, ScaleFrom::Constant)
            }
        }
    }
}

fn apply_log(raw: &Array2<f64>, log1p: &[bool]) -> Array2<f64> {
    let mut x = raw.clone();
    for (j, mut col) in x.axis_iter_mut(Axis(1)).enumerate() {
        if log1p[j] {
            col.mapv_inplace(signed_log1p);
        }
    }
    x
}

/// Column means of `x` (the centroid of a set of rows).
pub fn mean_row(x: &Array2<f64>) -> Array1<f64> {
    x.mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(x.ncols()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_pieces_end_wherever_a_column_chunk_ends() {
        // Chunks of 3 + 4 dates, 2 + 5 amounts, 1 + 6 quantities and 7 prices: a piece ends
        // after lines 1, 2 and 3, wherever one of the columns' chunks does.
        let chunked = |parts: &[&[i64]]| {
            let mut ca = Int64Chunked::from_slice("x".into(), parts[0]);
            for p in &parts[1..] {
                ca.append(&Int64Chunked::from_slice("x".into(), p)).unwrap();
            }
            ca
        };
        let dates = chunked(&[&[1, 2, 3], &[4, 5, 6, 7]]);
        let float = |parts: &[&[i64]]| chunked(parts).cast(&DataType::Float64).unwrap();
        let amounts = float(&[&[10, 20], &[30, 40, 50, 60, 70]]);
        let quantities = float(&[&[100], &[200, 300, 400, 500, 600, 700]]);
        let prices = float(&[&[1, 1, 1, 1, 1, 1, 1]]);
        let pieces = LinePieces::of(
            &dates,
            [
                amounts.f64().unwrap(),
                quantities.f64().unwrap(),
                prices.f64().unwrap(),
            ],
        );
        let starts: Vec<usize> = pieces.0.iter().map(|p| p.start).collect();
        assert_eq!(starts, vec![0, 1, 2, 3]);
        let lens: Vec<usize> = pieces.0.iter().map(|p| p.dates.len()).collect();
        assert_eq!(lens, vec![1, 1, 1, 4]);
        // Every line once, in order, with its own values.
        let mut seen = Vec::new();
        for p in &pieces.0 {
            for (j, &d) in p.dates.iter().enumerate() {
                seen.push((d, p.numbers[0][j], p.numbers[1][j]));
            }
        }
        let want: Vec<(i64, f64, f64)> = (1..=7)
            .map(|i| (i, 10.0 * i as f64, 100.0 * i as f64))
            .collect();
        assert_eq!(seen, want);
    }
    use ndarray::array;

    #[test]
    fn dense_aggregates_equal_the_group_by() {
        let ds = crate::data::load_bundled().unwrap();
        let lines = ds.lines.clone().filter(col("customer_code").is_not_null());
        let names = ["Books", "Clothing", "Electronics", "Home Decor", "Sports"].map(String::from);
        assert!(
            dense_aggregates(&ds, &lines, &names, None)
                .unwrap()
                .is_some(),
            "the sample's orders run in ascending order"
        );
        let (dense, grouped) = (
            features_with(&ds, true).unwrap(),
            features_with(&ds, false).unwrap(),
        );
        assert_eq!(dense.ids, grouped.ids);
        assert_eq!(dense.names, grouped.names);
        for (a, b) in dense.raw.iter().zip(grouped.raw.iter()) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
        }
        // Lines out of order: the distinct orders are not runs, so the group-by counts them.
        let shuffled = Dataset {
            lines: ds.lines.clone().reverse(),
            ..ds.clone()
        };
        let lines = shuffled
            .lines
            .clone()
            .filter(col("customer_code").is_not_null());
        assert!(
            dense_aggregates(&shuffled, &lines, &names, None)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn quantiles_by_selection_equal_the_sorted_ones() {
        let mut rng = 7u64;
        for n in [1usize, 2, 3, 4, 5, 10, 101, 1000] {
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    rng = rng
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((rng >> 40) % 50) as f64 / 4.0
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            for q in [0.0, 0.25, 0.5, 0.75, 1.0] {
                let mut work = v.clone();
                assert_eq!(
                    quantile_unsorted(&mut work, q),
                    quantile(&sorted, q),
                    "n {n} q {q}"
                );
            }
        }
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.25), 1.75);
        assert_eq!(quantile(&v, 0.75), 3.25);
    }

    #[test]
    fn robust_scaling_matches_the_definition_and_survives_constant_columns() {
        let raw = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [10.0, 5.0]];
        let names = vec![
            names::RECENCY_DAYS.to_string(),
            names::TENURE_DAYS.to_string(),
        ];
        let t = Transform::fit(&names, &raw, ScalerKind::Robust);
        // median 2.5, q25 1.75, q75 4.75 -> IQR 3
        assert_eq!(t.center[0], 2.5);
        assert_eq!(t.scale[0], 3.0);
        assert_eq!(t.scale[1], 1.0, "a constant column is left unscaled");
        assert_eq!(t.scale_from, vec![ScaleFrom::Iqr, ScaleFrom::Constant]);
        let x = t.apply(&raw);
        assert!(x.iter().all(|v| v.is_finite()));
        assert_eq!(x[[3, 0]], 2.5);
        assert_eq!(x[[0, 1]], 0.0);
    }

    #[test]
    fn a_zero_iqr_falls_back_to_the_standard_deviation_never_raw() {
        // Eight customers with no returns, two with: IQR 0, MAD 0 (most deviations are 0).
        let v = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 5.0];
        let raw = Array2::from_shape_vec((10, 1), v.to_vec()).unwrap();
        let t = Transform::fit(&[names::RETURN_RATE.to_string()], &raw, ScalerKind::Robust);
        // mean 0.6; variance (8 × 0.36 + 0.16 + 19.36) / 10 = 2.24.
        assert_eq!(t.scale_from, vec![ScaleFrom::Std]);
        assert_eq!(t.center[0], 0.0, "still centred on the median");
        assert!((t.scale[0] - 2.24f64.sqrt()).abs() < 1e-15);
        let x = t.apply(&raw);
        assert!((x[[9, 0]] - 5.0 / 2.24f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn the_mad_is_the_scale_when_it_exists_and_the_iqr_does_not() {
        assert_eq!(
            center_and_scale(vec![3.0, 3.0, 3.0], ScalerKind::Robust),
            (3.0, 1.0, ScaleFrom::Constant)
        );
        assert_eq!(
            center_and_scale(vec![1.0, 2.0, 4.0, 8.0, 9.0], ScalerKind::Robust),
            (4.0, 6.0, ScaleFrom::Iqr)
        );
        assert_eq!(
            center_and_scale(vec![1.0, 2.0, 4.0], ScalerKind::None),
            (0.0, 1.0, ScaleFrom::None)
        );
    }

    #[test]
    fn scaled_values_are_limited_to_the_1st_and_99th_percentiles() {
        // 0..=100: median 50, IQR 50; the 1st and 99th percentiles are 1 and 99.
        let raw = Array2::from_shape_fn((101, 1), |(i, _)| i as f64);
        let names = vec![names::RECENCY_DAYS.to_string()];
        let t = Transform::fit(&names, &raw, ScalerKind::Robust);
        assert_eq!(t.limits, vec![[-0.98, 0.98]]);
        let probe = array![[100.0], [1000.0], [-5.0], [60.0]];
        let x = t.apply_limited(&probe);
        assert_eq!(x.column(0).to_vec(), vec![0.98, 0.98, -0.98, 0.2]);
        // Without the limits (the lookalike space) the values stay as scaled.
        assert_eq!(t.apply(&probe)[[1, 0]], 19.0);
        // --scaler none: raw, nothing limited.
        let none = Transform::fit(&names, &raw, ScalerKind::None);
        assert!(none.limits.is_empty());
        assert_eq!(none.apply_limited(&probe)[[1, 0]], 1000.0);
    }

    #[test]
    fn log1p_is_signed_and_only_on_skewed_money() {
        assert_eq!(signed_log1p(-(std::f64::consts::E - 1.0)), -1.0);
        let raw = array![[0.0, 0.0], [std::f64::consts::E - 1.0, 2.0]];
        let names = vec![names::MONETARY.to_string(), names::RECENCY_DAYS.to_string()];
        let t = Transform::fit(&names, &raw, ScalerKind::None);
        assert_eq!(t.log1p, vec![true, false]);
        let x = t.apply(&raw);
        assert!((x[[1, 0]] - 1.0).abs() < 1e-15);
        assert_eq!(x[[1, 1]], 2.0);
    }
}
