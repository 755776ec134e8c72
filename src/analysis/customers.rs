//! Everything the customer lookup shows, indexed once so a card is a slice, not a query.

use anyhow::Result;
use polars::prelude::*;

use crate::data::Dataset;
use crate::data::frame::{nums, opt_texts};

/// One purchase line of a customer.
#[derive(Clone, Debug, PartialEq)]
pub struct Purchase {
    pub date: String,
    pub month: String,
    pub product: String,
    pub category: Option<String>,
    pub quantity: f64,
    pub amount: f64,
}

/// Each buyer's purchases, newest first, plus searchable labels. The purchases stay in one
/// polars frame sorted by customer and date; a card turns its customer's slice into rows.
#[derive(Clone, Debug, Default)]
pub struct CustomerIndex {
    /// Sorted ids (the same order as the feature rows).
    pub ids: Vec<String>,
    /// "id  name" for fuzzy search (the name where the data has one).
    pub labels: Vec<String>,
    pub names: Vec<Option<String>>,
    /// date, product, category (where present), quantity, amount.
    lines: DataFrame,
    /// (first row, rows) of ids[i] in `lines`.
    spans: Vec<(usize, usize)>,
}

/// "id  name" (or the id alone) for the fuzzy search.
fn labels(ids: &[String], names: &[Option<String>]) -> Vec<String> {
    ids.iter()
        .zip(names)
        .map(|(id, n)| match n {
            Some(n) => format!("{id}  {n}"),
            None => id.clone(),
        })
        .collect()
}

impl CustomerIndex {
    pub fn build(ds: &Dataset) -> Result<CustomerIndex> {
        if let Some(t) = &ds.table {
            // A customer table: every customer, no purchases to list.
            let ids = crate::data::frame::texts(&t.features, "customer_id")?;
            let mut index = CustomerIndex {
                spans: vec![(0, 0); ids.len()],
                names: match t.attributes.column("customer_name") {
                    Ok(_) => opt_texts(&t.attributes, "customer_name")?,
                    Err(_) => vec![None; ids.len()],
                },
                ids,
                ..CustomerIndex::default()
            };
            index.labels = labels(&index.ids, &index.names);
            return Ok(index);
        }
        let ds = &ds.materialized()?;
        let product = if ds.present.product_name {
            "product_name"
        } else if ds.present.product {
            "product_id"
        } else {
            "order_id"
        };
        let mut cols = vec![
            col("customer_id"),
            col("date"),
            col(product).cast(DataType::String).alias("product"),
            col("quantity"),
            col("amount"),
        ];
        if ds.present.category {
            cols.push(col("category"));
        }
        // Integer-coded customers sort far faster than their ids; the runs are put in id order
        // afterwards (a customer's rows stay one run either way).
        let key = ds.present.customer_key();
        let coded = ds.present.customer_code;
        if coded {
            cols.push(col(key));
        }
        let sorted = ds
            .lines
            .clone()
            .filter(col("customer_id").is_not_null())
            .select(cols)
            .sort_by_exprs(
                [col(key), col("date")],
                SortMultipleOptions::default()
                    .with_order_descending_multi([false, true])
                    .with_maintain_order(true),
            )
            .collect()?;
        // Each customer's run of rows, in the same (sorted) order.
        let runs = sorted
            .clone()
            .lazy()
            .group_by_stable([col(key)])
            .agg([col("customer_id").first(), len().alias("n")])
            .collect()?;
        // Each run's first row (counts summed in run order), then the runs in id order.
        let mut first = 0u64;
        let at: Vec<u64> = crate::data::frame::counts(&runs, "n")?
            .into_iter()
            .map(|n| {
                first += n;
                first - n
            })
            .collect();
        let runs = runs
            .lazy()
            .with_column(lit(Series::new("at".into(), at)))
            .sort(["customer_id"], SortMultipleOptions::default())
            .collect()?;
        let lines = sorted.drop("customer_id")?;
        let lines = if coded { lines.drop(key)? } else { lines };
        let at = crate::data::frame::counts(&runs, "at")?;
        let n = crate::data::frame::counts(&runs, "n")?;
        let mut index = CustomerIndex {
            ids: crate::data::frame::texts(&runs, "customer_id")?,
            lines,
            spans: at
                .iter()
                .zip(&n)
                .map(|(&a, &n)| (a as usize, n as usize))
                .collect(),
            ..CustomerIndex::default()
        };
        index.names = vec![None; index.ids.len()];
        if let Some(customers) = &ds.customers {
            let schema = customers.clone().collect_schema()?;
            if schema.get("customer_name").is_some() {
                let c = customers
                    .clone()
                    .select([col("customer_id"), col("customer_name")])
                    .collect()?;
                let ids = c.column("customer_id")?.str()?.clone();
                let names = c.column("customer_name")?.cast(&DataType::String)?;
                let names = names.str()?;
                for (id, name) in ids.iter().zip(names.iter()) {
                    if let (Some(id), Some(name)) = (id, name)
                        && let Ok(i) = index.ids.binary_search_by(|x| x.as_str().cmp(id))
                    {
                        index.names[i] = Some(name.to_string());
                    }
                }
            }
        }
        index.labels = labels(&index.ids, &index.names);
        Ok(index)
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.ids.binary_search_by(|x| x.as_str().cmp(id)).ok()
    }

    /// The customer's purchases, newest first (built from the frame when asked for: a card).
    pub fn purchases(&self, i: usize) -> Vec<Purchase> {
        let Some(&(a, len)) = self.spans.get(i).filter(|s| s.1 > 0) else {
            return vec![];
        };
        let b = a + len;
        let rows = || -> Result<Vec<Purchase>> {
            let part = self
                .lines
                .slice(a as i64, b - a)
                .lazy()
                .with_columns([
                    col("date").dt().strftime("%Y-%m-%d").alias("day"),
                    col("date").dt().strftime("%Y-%m").alias("month"),
                ])
                .collect()?;
            let text = |c: &str| opt_texts(&part, c);
            let (day, month, product) = (text("day")?, text("month")?, text("product")?);
            let (qty, amount) = (nums(&part, "quantity")?, nums(&part, "amount")?);
            let category = match part.column("category") {
                Ok(_) => text("category")?,
                Err(_) => vec![None; part.height()],
            };
            Ok((0..part.height())
                .map(|r| Purchase {
                    date: day[r].clone().unwrap_or_default(),
                    month: month[r].clone().unwrap_or_default(),
                    product: product[r].clone().unwrap_or_else(|| "(unknown)".into()),
                    category: category[r].clone(),
                    quantity: qty[r],
                    amount: amount[r],
                })
                .collect())
        };
        rows().unwrap_or_default()
    }

    /// Spend per month over `months` (for the card's sparkline).
    pub fn monthly_spend(&self, i: usize, months: &[String]) -> Vec<f64> {
        let mut out = vec![0.0; months.len()];
        for p in self.purchases(i) {
            if let Ok(m) = months.binary_search(&p.month) {
                out[m] += p.amount;
            }
        }
        out
    }

    /// Spend per category, largest first.
    pub fn top_categories(&self, i: usize) -> Vec<(String, f64)> {
        let mut by: std::collections::BTreeMap<String, f64> = Default::default();
        for p in self.purchases(i) {
            if let Some(c) = &p.category {
                *by.entry(c.clone()).or_default() += p.amount;
            }
        }
        let mut v: Vec<(String, f64)> = by.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}
