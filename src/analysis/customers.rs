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
    /// (first row, rows) of ids[i] in `lines`, or in `rows` where there is one.
    spans: Vec<(usize, usize)>,
    /// Rows of `lines` grouped by customer, each newest first, where `lines` is in file order.
    rows: Option<Vec<IdxSize>>,
    /// `product` and `category` by `product_code`, where `lines` carry the code instead of
    /// the texts (looked up for a card's few rows).
    lookups: Vec<Expr>,
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

/// `customer_id`, then the card's columns: date, product (its name, else its id, else the
/// order's), quantity, amount and, where present, category.
fn card_columns(ds: &Dataset) -> Vec<Expr> {
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
    cols
}

/// Each customer's run of rows in `sorted` (grouped by `key`): `customer_id`, `n` rows from
/// row `at`, in id order.
fn runs_in_id_order(sorted: &DataFrame, key: &str, coded: bool) -> Result<DataFrame> {
    let runs = sorted
        .clone()
        .lazy()
        .group_by_stable([col(key)])
        .agg(if coded {
            vec![col("customer_id").first(), len().alias("n")]
        } else {
            vec![len().alias("n")]
        })
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
    Ok(runs
        .lazy()
        .with_column(lit(Series::new("at".into(), at)))
        .sort(["customer_id"], SortMultipleOptions::default())
        .collect()?)
}

/// The lines' rows grouped by customer code, each customer's newest first: a counting sort.
struct CodeRuns {
    rows: Vec<IdxSize>,
    /// Each code's first position in `rows`.
    start: Vec<usize>,
    /// Each code's number of lines.
    count: Vec<usize>,
}

impl CodeRuns {
    /// The runs of the lines' `slots` codes.
    fn of(ds: &Dataset, slots: usize) -> Result<CodeRuns> {
        let coded = ds
            .lines
            .clone()
            .select([
                col("customer_code"),
                col("date").cast(DataType::Int64).alias("__date"),
            ])
            .collect()?;
        let codes = coded.column("customer_code")?.u32()?;
        let dates: Vec<i64> = coded
            .column("__date")?
            .i64()?
            .iter()
            .map(|d| d.unwrap_or(i64::MIN))
            .collect();
        let mut count = vec![0usize; slots];
        for c in codes.iter().flatten() {
            let Some(n) = count.get_mut(c as usize) else {
                anyhow::bail!("customer code {c} beyond the id table");
            };
            *n += 1;
        }
        let mut start = Vec::with_capacity(slots);
        let mut at = 0usize;
        for n in &count {
            start.push(at);
            at += n;
        }
        let mut rows: Vec<IdxSize> = vec![0; at];
        let mut next = start.clone();
        for (r, c) in codes.iter().enumerate() {
            if let Some(c) = c {
                rows[next[c as usize]] = r as IdxSize;
                next[c as usize] += 1;
            }
        }
        // Newest first; equal dates keep the file's order (a stable sort).
        for (&a, &n) in start.iter().zip(&count) {
            rows[a..a + n].sort_by_key(|&r| std::cmp::Reverse(dates[r as usize]));
        }
        Ok(CodeRuns { rows, start, count })
    }
}

/// The customers of `ids` with lines (`count` per code), in id order: `customer_code`,
/// `customer_id` and, where the customer file has them by code, `customer_name`.
fn buyers_by_code(ds: &Dataset, ids: &DataFrame, count: &[usize]) -> Result<DataFrame> {
    let n_lines = Series::new(
        "__n".into(),
        count.iter().map(|&n| n as u64).collect::<Vec<_>>(),
    );
    let buyers = ids
        .clone()
        .lazy()
        .with_column(
            lit(n_lines)
                .gather(col("customer_code"), false)
                .alias("__n"),
        )
        .filter(col("__n").gt(lit(0u64)))
        .sort(["customer_id"], SortMultipleOptions::default());
    Ok(match names_by_code(ds)? {
        Some(names) => buyers.join(
            names,
            [col("customer_code")],
            [col("customer_code")],
            JoinArgs {
                maintain_order: MaintainOrderJoin::Left,
                ..JoinArgs::new(JoinType::Left)
            },
        ),
        None => buyers,
    }
    .collect()?)
}

/// `customer_code` and `customer_name` from the customer file, where it has both: names
/// join by code (on integers, not a search by id per customer).
fn names_by_code(ds: &Dataset) -> Result<Option<LazyFrame>> {
    let Some(c) = &ds.customers else {
        return Ok(None);
    };
    let schema = c.clone().collect_schema()?;
    Ok(["customer_code", "customer_name"]
        .iter()
        .all(|n| schema.get(n).is_some())
        .then(|| {
            c.clone()
                .select([col("customer_code"), col("customer_name")])
        }))
}

/// The columns the index keeps of the lines, and the lookups a card adds: product names and
/// categories by code where the product file has them (a text per line would be most of the
/// index's memory), else the card's columns `cols` as they are.
fn product_lookups(ds: &Dataset, cols: &[Expr]) -> Result<(Vec<Expr>, Vec<Expr>)> {
    let product = if ds.present.product_name {
        "product_name"
    } else {
        "product_id"
    };
    let mut wanted = vec![product];
    if ds.present.category {
        wanted.push("category");
    }
    let by_product = ds
        .products
        .as_ref()
        .filter(|p| ds.present.product && wanted.iter().all(|c| p.column(c).is_ok()));
    let Some(p) = by_product else {
        return Ok((cols.to_vec(), vec![]));
    };
    let lookup = |c: &str, alias: &str| -> Result<Expr> {
        let values = p.column(c)?.as_materialized_series().clone();
        Ok(lit(values)
            .gather(col("product_code"), true)
            .cast(DataType::String)
            .alias(alias))
    };
    let mut lookups = vec![lookup(product, "product")?];
    if ds.present.category {
        lookups.push(lookup("category", "category")?);
    }
    let cols = vec![
        col("date"),
        col("product_code"),
        col("quantity"),
        col("amount"),
    ];
    Ok((cols, lookups))
}

impl CustomerIndex {
    pub fn build(ds: &Dataset) -> Result<CustomerIndex> {
        if let Some(t) = &ds.table {
            return Self::of_table(t);
        }
        let ds = &ds.materialized()?;
        let cols = card_columns(ds);
        if let Some(index) = Self::by_code(ds, &cols[1..])? {
            return if index.labels.is_empty() {
                index.with_names(ds)
            } else {
                Ok(index)
            };
        }
        Self::by_sort(ds, cols)?.with_names(ds)
    }

    /// A customer table: every customer, no purchases to list.
    fn of_table(t: &crate::data::table::CustomerTable) -> Result<CustomerIndex> {
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
        Ok(index)
    }

    /// Where lines carry no customer codes the index can count on: the buying lines sorted by
    /// customer and date, and each customer's run of rows (`cols` are `customer_id`, then the
    /// card's columns). Unnamed: [`CustomerIndex::with_names`] names them.
    fn by_sort(ds: &Dataset, mut cols: Vec<Expr>) -> Result<CustomerIndex> {
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
        let runs = runs_in_id_order(&sorted, key, coded)?;
        let lines = sorted.drop("customer_id")?;
        let lines = if coded { lines.drop(key)? } else { lines };
        let at = crate::data::frame::counts(&runs, "at")?;
        let n = crate::data::frame::counts(&runs, "n")?;
        Ok(CustomerIndex {
            ids: crate::data::frame::texts(&runs, "customer_id")?,
            lines,
            spans: at
                .iter()
                .zip(&n)
                .map(|(&a, &n)| (a as usize, n as usize))
                .collect(),
            ..CustomerIndex::default()
        })
    }

    /// Where lines carry customer codes: the lines stay as they are (in the dataset's own
    /// columns, no sorted copy), and each customer's rows are found by a counting sort on
    /// the codes, not a sort of every line. `cols` are the card's columns.
    fn by_code(ds: &Dataset, cols: &[Expr]) -> Result<Option<CustomerIndex>> {
        let Some(ids) = ds.coded_customers() else {
            return Ok(None);
        };
        let _t = crate::timing::phase("index: by code");
        let runs = CodeRuns::of(ds, ids.height())?;
        let buyers = buyers_by_code(ds, ids, &runs.count)?;
        let spans = crate::data::frame::counts(&buyers, "customer_code")?
            .into_iter()
            .map(|c| (runs.start[c as usize], runs.count[c as usize]))
            .collect();
        let (cols, lookups) = product_lookups(ds, cols)?;
        let ids = crate::data::frame::texts(&buyers, "customer_id")?;
        let (names, labels) = match buyers.column("customer_name") {
            Ok(_) => {
                let names = opt_texts(&buyers, "customer_name")?;
                let labels = labels(&ids, &names);
                (names, labels)
            }
            // Named by `with_names`.
            Err(_) => (vec![], vec![]),
        };
        Ok(Some(CustomerIndex {
            ids,
            names,
            labels,
            lines: ds.lines.clone().select(cols).collect()?,
            lookups,
            spans,
            rows: Some(runs.rows),
        }))
    }

    /// Names from the customer file, and the search labels.
    fn with_names(self, ds: &Dataset) -> Result<CustomerIndex> {
        let _t = crate::timing::phase("index: names");
        let mut index = self;
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
            let part = match &self.rows {
                Some(rows) => self
                    .lines
                    .take(&IdxCa::from_vec("".into(), rows[a..b].to_vec()))?,
                None => self.lines.slice(a as i64, b - a),
            };
            let part = part
                .lazy()
                .with_columns(self.lookups.clone())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_by_code_lists_what_the_sorted_index_lists() {
        let ds = crate::data::load_bundled().unwrap().materialized().unwrap();
        assert!(ds.present.customer_code);
        let by_code = CustomerIndex::build(&ds).unwrap();
        assert!(by_code.rows.is_some(), "the sample's lines carry codes");
        // The same lines without their codes take the sort.
        let mut uncoded = ds.clone();
        uncoded.present.customer_code = false;
        let sorted = CustomerIndex::build(&uncoded).unwrap();
        assert!(sorted.rows.is_none());
        assert_eq!(by_code.ids, sorted.ids);
        assert_eq!(by_code.labels, sorted.labels);
        assert!(by_code.ids.windows(2).all(|w| w[0] < w[1]));
        let mut lines = 0;
        for i in 0..by_code.ids.len() {
            let p = by_code.purchases(i);
            assert!(!p.is_empty());
            assert!(p.windows(2).all(|w| w[0].date >= w[1].date), "newest first");
            assert_eq!(p, sorted.purchases(i), "customer {}", by_code.ids[i]);
            lines += p.len();
        }
        let buying = ds
            .lines
            .clone()
            .filter(col("customer_id").is_not_null())
            .collect()
            .unwrap();
        assert_eq!(lines, buying.height());
    }

    #[test]
    fn a_log_without_codes_is_indexed_by_sorting() {
        let csv = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
                   536365,A,White,6,2010-12-01 08:26,2.55,17850,UK\n\
                   536366,B,Red,2,2010-12-02 08:26,3.5,17851,UK\n\
                   536367,A,White,1,2010-12-03 08:26,2.55,17850,UK\n";
        let ds = crate::data::load_bytes(
            "log.csv",
            csv.as_bytes().to_vec(),
            &crate::data::LoadOptions::default(),
        )
        .unwrap();
        assert!(!ds.present.customer_code);
        let index = CustomerIndex::build(&ds).unwrap();
        assert_eq!(index.ids, ["17850", "17851"]);
        let p = index.purchases(0);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].date.as_str(), p[0].quantity), ("2010-12-03", 1.0));
        assert_eq!((p[1].date.as_str(), p[1].quantity), ("2010-12-01", 6.0));
        assert_eq!(index.purchases(1).len(), 1);
    }
}
