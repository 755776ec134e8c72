//! Which of the three dataset layouts a path is.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::bail_input;

/// The shapes of data segscope opens (DESIGN.md, "Datasets the app opens").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A folder with Customers, Products and Transactions files.
    TransactionsFolder {
        customers: PathBuf,
        products: PathBuf,
        transactions: PathBuf,
    },
    /// One transaction log (CSV, CSV.gz or Parquet).
    TransactionLog(PathBuf),
}

impl Layout {
    pub fn describe(&self) -> &'static str {
        match self {
            Layout::TransactionsFolder { .. } => "eCommerce Transactions folder",
            Layout::TransactionLog(_) => "transaction log",
        }
    }
}

const DATA_EXTENSIONS: &[&str] = &["csv", "csv.gz", "parquet", "txt", "tsv", "tsv.gz"];

/// Finds `stem`.csv (or .csv.gz, .parquet) in `dir`, ignoring case.
fn find_in(dir: &Path, stem: &str) -> Result<Option<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => bail_input!("{}: cannot list the folder ({e})", dir.display()),
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            DATA_EXTENSIONS
                .iter()
                .any(|ext| name == format!("{stem}.{ext}"))
        })
        .collect();
    found.sort();
    Ok(found.into_iter().next())
}

/// Decides the layout of `path`, or says what is missing.
pub fn detect(path: &Path) -> Result<Layout> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(_) => bail_input!(
            "{}: no such file or folder; give a dataset folder or a transaction file",
            path.display()
        ),
    };
    if meta.is_file() {
        return Ok(Layout::TransactionLog(path.to_path_buf()));
    }
    let customers = find_in(path, "customers")?;
    let products = find_in(path, "products")?;
    let transactions = find_in(path, "transactions")?;
    match (customers, products, transactions) {
        (Some(customers), Some(products), Some(transactions)) => Ok(Layout::TransactionsFolder {
            customers,
            products,
            transactions,
        }),
        (c, p, t) => {
            let missing: Vec<&str> = [
                (c.is_none(), "Customers.csv"),
                (p.is_none(), "Products.csv"),
                (t.is_none(), "Transactions.csv"),
            ]
            .into_iter()
            .filter(|(m, _)| *m)
            .map(|(_, n)| n)
            .collect();
            bail_input!(
                "{}: folder is missing {}; an eCommerce Transactions folder needs Customers.csv, Products.csv and Transactions.csv (or give one transaction file instead)",
                path.display(),
                missing.join(" and ")
            )
        }
    }
}
