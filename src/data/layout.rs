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
    /// One transaction log (CSV, CSV.gz, Parquet or a spreadsheet).
    TransactionLog(PathBuf),
    /// A folder of part files as Spark or DuckDB write them, read as one log.
    PartFiles(Vec<Part>),
}

/// One part file, with the hive partition values its path carries (`country=UK/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub path: PathBuf,
    pub partitions: Vec<(String, String)>,
}

impl Layout {
    pub fn describe(&self) -> &'static str {
        match self {
            Layout::TransactionsFolder { .. } => "eCommerce Transactions folder",
            Layout::TransactionLog(_) => "transaction log",
            Layout::PartFiles(_) => "folder of part files (one log)",
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
    if found.len() > 1 {
        let names: Vec<String> = found
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect();
        bail_input!(
            "{}: holds {} ({}); keep one of them in the folder",
            dir.display(),
            names.join(" and "),
            "two files for one part of the dataset"
        );
    }
    Ok(found.into_iter().next())
}

/// Decides the layout of `path`, or says what is missing.
pub fn detect(path: &Path) -> Result<Layout> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        // ELOOP: a link that points, in the end, at itself.
        Err(e) if e.raw_os_error() == Some(40) => bail_input!(
            "{}: is a symbolic link loop (links that point at each other); give the real file or folder",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => bail_input!(
            "{}: cannot be read (permission denied); check its permissions",
            path.display()
        ),
        Err(_) => bail_input!(
            "{}: no such file or folder; give a dataset folder or a transaction file",
            path.display()
        ),
    };
    if meta.is_file() {
        return Ok(Layout::TransactionLog(path.to_path_buf()));
    }
    if !meta.is_dir() {
        bail_input!(
            "{}: is not a regular file or a folder (a FIFO, socket or device); save the data to a file first, or pipe it in with segscope … -",
            path.display()
        );
    }
    let customers = find_in(path, "customers")?;
    let products = find_in(path, "products")?;
    let transactions = find_in(path, "transactions")?;
    if customers.is_none() && products.is_none() && transactions.is_none() {
        let parts = part_files(path)?;
        if !parts.is_empty() {
            return Ok(Layout::PartFiles(parts));
        }
    }
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
                "{}: folder is missing {}; an eCommerce Transactions folder needs Customers.csv, Products.csv and Transactions.csv (or give one transaction file, or a folder of part-*.parquet / part-*.csv files)",
                path.display(),
                missing.join(" and ")
            )
        }
    }
}

/// Part files' extensions: one kind per folder.
const PART_EXTENSIONS: &[&str] = &["parquet", "csv", "csv.gz"];

/// The data files under `root` (and its `key=value` partition folders), sorted by path;
/// bookkeeping files Spark and Hadoop leave beside them (`_SUCCESS`, `.crc`, hidden files)
/// are skipped. Empty when the folder holds none. Parts of more than one kind are refused.
pub fn part_files(root: &Path) -> Result<Vec<Part>> {
    let mut found = Vec::new();
    collect_parts(root, &mut Vec::new(), &mut found, 0)?;
    found.sort_by(|a: &Part, b| a.path.cmp(&b.path));
    let kinds: std::collections::BTreeSet<&str> =
        found.iter().filter_map(|p| part_kind(&p.path)).collect();
    if kinds.len() > 1 {
        bail_input!(
            "{}: holds part files of several kinds ({}); point segscope at a folder of one kind",
            root.display(),
            kinds.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(found)
}

fn part_kind(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    PART_EXTENSIONS
        .iter()
        .copied()
        .filter(|ext| name.ends_with(&format!(".{ext}")))
        .max_by_key(|ext| ext.len())
}

fn collect_parts(
    dir: &Path,
    partitions: &mut Vec<(String, String)>,
    found: &mut Vec<Part>,
    depth: usize,
) -> Result<()> {
    if depth > 6 {
        return Ok(());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => bail_input!("{}: cannot list the folder ({e})", dir.display()),
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('_') || name.starts_with('.') || name.ends_with(".crc") {
            continue;
        }
        if path.is_dir() {
            let Some((key, value)) = name.split_once('=') else {
                continue;
            };
            partitions.push((key.to_string(), value.to_string()));
            collect_parts(&path, partitions, found, depth + 1)?;
            partitions.pop();
        } else if part_kind(&path).is_some() {
            found.push(Part {
                path,
                partitions: partitions.clone(),
            });
        }
    }
    Ok(())
}
