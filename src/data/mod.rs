//! Loading only: files -> polars frames with canonical column names, plus a [`LoadReport`].

pub mod clean;
mod codes;
pub mod extras;
pub mod filter;
pub mod formats;
pub mod frame;
pub mod inspect;
pub mod layout;
mod names;
pub mod read;
pub mod report;
pub mod roles;
mod sheet;
pub mod table;

use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;

pub use layout::Layout;
pub use report::{LoadFact, LoadReport};
pub use roles::{Role, RoleMap, RoleOverride};

use crate::bail_input;
pub use clean::ORDER_CODE;
use clean::{CleanLines, clean_lines, columns_with_dots, date_expr, id_expr, text_expr};
use read::{RawFile, ReadAs, read_bytes, read_path};

/// How to read a dataset: the flags every command and the app share.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--map role=column`.
    pub overrides: Vec<RoleOverride>,
    /// `--date-format FMT`: every date column is read with it.
    pub date_format: Option<String>,
    /// `--columns A,B,…`: names for a header-less log's columns (or new names for its own).
    pub columns: Option<Vec<String>>,
    /// `--sheet NAME`: the spreadsheet's sheet to read (default the first).
    pub sheet: Option<String>,
    /// `--allow-partial`: load even when fewer than half the rows are kept.
    pub allow_partial: bool,
    /// `--not-products CODE,…`: product codes that are fees or adjustments.
    pub not_products: Vec<String>,
    /// `--price-tiers A,B`: the price tiers' cut points (default: terciles).
    pub price_tiers: Option<(f64, f64)>,
    /// `--from`, `--to`, `--where`: the slice every command works on.
    pub filters: filter::Filters,
}

impl LoadOptions {
    /// How a transaction log (or part file) is read.
    fn log(&self) -> ReadAs<'_> {
        ReadAs {
            overrides: &self.overrides,
            columns: self.columns.as_deref(),
            sheet: self.sheet.as_deref(),
        }
    }

    /// How the files of a folder are read (`--columns` and `--sheet` name a log's).
    fn folder_file(&self) -> ReadAs<'_> {
        ReadAs {
            overrides: &self.overrides,
            columns: None,
            sheet: None,
        }
    }
}

/// Where a dataset comes from: a path, or the sample compiled into the binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    Path(PathBuf),
    Bundled,
    /// `-`: one transaction log on standard input.
    Stdin,
}

impl DataSource {
    /// `None` means the bundled sample, so `segscope` works from any folder.
    pub fn from_arg(arg: Option<&Path>) -> DataSource {
        match arg {
            None => DataSource::Bundled,
            Some(p) if p == Path::new("-") => DataSource::Stdin,
            Some(p) => DataSource::Path(p.to_path_buf()),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            DataSource::Path(p) => p.display().to_string(),
            DataSource::Bundled => "bundled sample (data/sample)".to_string(),
            DataSource::Stdin => "standard input".to_string(),
        }
    }
}

/// The bundled sample, compiled in so the binary needs nothing beside it.
mod bundled {
    pub const CUSTOMERS: &[u8] = include_bytes!("../../data/sample/Customers.csv");
    pub const PRODUCTS: &[u8] = include_bytes!("../../data/sample/Products.csv");
    pub const TRANSACTIONS: &[u8] = include_bytes!("../../data/sample/Transactions.csv");
}

/// Which optional roles the loaded lines carry; tables that need a missing one are skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Present {
    pub product: bool,
    pub product_name: bool,
    pub category: bool,
    pub region: bool,
    /// Dates carry a time of day.
    pub time: bool,
    pub signup: bool,
    pub customer_name: bool,
    /// Lines carry `customer_code`, an integer per customer id (missing where the id is).
    pub customer_code: bool,
}

impl Present {
    /// The column that tells customers apart fastest: the integer code where there is one.
    pub fn customer_key(&self) -> &'static str {
        if self.customer_code {
            "customer_code"
        } else {
            "customer_id"
        }
    }
}

/// Whether row i of `table` holds `customer_code` i (the customer and id tables of a folder),
/// so a code looks its row up directly.
pub fn codes_are_rows(table: &DataFrame) -> Result<bool> {
    let Ok(codes) = table.column("customer_code") else {
        return Ok(false);
    };
    Ok(codes
        .cast(&DataType::UInt32)?
        .u32()?
        .iter()
        .enumerate()
        .all(|(i, c)| c == Some(i as u32)))
}

/// A loaded dataset. Column names are [`Role::key`]s: `customer_id` (text, may be missing),
/// `order_id` (and its integer [`ORDER_CODE`]), `date` (datetime), `quantity`, `unit_price`, `amount` (f64), and where present
/// `product_id`, `product_name`, `category`, `region`.
#[derive(Clone)]
pub struct Dataset {
    pub name: String,
    /// Purchase lines (returns excluded).
    pub lines: LazyFrame,
    /// Cancellations and returns, same columns, negative quantities as given.
    pub returns: LazyFrame,
    /// Zero-price lines of known customers (`customer_id`, `date`): not revenue, but purchase
    /// occasions for lifetime value and cohorts.
    pub free_purchases: DataFrame,
    /// One row per known customer: `customer_id` and where present `customer_name`, `region`,
    /// `signup_date`. From the customer file, or derived from the log.
    pub customers: Option<LazyFrame>,
    pub present: Present,
    pub report: LoadReport,
    /// A customer-level table (DESIGN.md layout 3): features come from it, and `lines` and
    /// `returns` are empty.
    pub table: Option<table::CustomerTable>,
    /// `customer_code` → `customer_id` for every coded customer (when lines carry codes):
    /// per-customer results are grouped by code and named at the end.
    pub customer_ids: Option<DataFrame>,
    /// The product file, row = `product_code` (`product_id` and where present `product_name`,
    /// `category`), when lines carry product codes: per-product facts are looked up by code.
    pub products: Option<DataFrame>,
    /// The customer file's columns the lines look up by `customer_code` (row = code; codes
    /// past its end, customers the file does not know, have none): per-region facts are
    /// grouped by code.
    pub customer_lookups: Option<DataFrame>,
    /// The columns `lines` and `returns` compute by code when read (name, expression):
    /// [`Dataset::materialized`] keeps them lazy, so the lines are never held with a text
    /// per line for every product and customer attribute.
    pub lookups: Vec<(String, Expr)>,
    /// `--price-tiers A,B`, for the price tier table (default: the data's terciles).
    pub price_tiers: Option<(f64, f64)>,
    /// The transaction columns no role took, and what features each gives: the usable ones
    /// are on `lines` and `returns` as [`extras::ExtraColumn::key`].
    pub extras: Vec<extras::ExtraColumn>,
}

impl Dataset {
    /// The `customer_code` → `customer_id` table when the lines carry integer customer codes
    /// (a folder's customer file): per-customer results group by code and are named at the
    /// end. `None` when lines carry the ids themselves.
    pub fn coded_customers(&self) -> Option<&DataFrame> {
        self.customer_ids
            .as_ref()
            .filter(|_| self.present.customer_code)
    }

    /// Whether a customer's code is its row in the id table (and so its row in any
    /// per-customer array indexed by code): then a code finds its customer directly, with no
    /// join.
    pub fn codes_are_rows(&self) -> Result<bool> {
        match self.coded_customers() {
            Some(ids) => codes_are_rows(ids),
            None => Ok(false),
        }
    }

    /// Each product's category, row = `product_code`, where the lines look their category up
    /// by product code (a folder's product file) instead of carrying it.
    pub fn category_by_product(&self) -> Option<&Column> {
        self.products
            .as_ref()
            .filter(|_| self.present.category)
            .and_then(|p| p.column("category").ok())
    }

    /// The same dataset with its lines and returns computed once, for callers that query them
    /// many times (EDA, trends, the TUI).
    pub fn materialized(&self) -> Result<Dataset> {
        let names: Vec<&str> = self.lookups.iter().map(|(n, _)| n.as_str()).collect();
        let exprs: Vec<Expr> = self.lookups.iter().map(|(_, e)| e.clone()).collect();
        let collect = |lf: &LazyFrame| -> Result<LazyFrame> {
            if exprs.is_empty() {
                return Ok(lf.clone().collect()?.lazy());
            }
            let base = lf
                .clone()
                .drop(by_name(names.iter().copied(), true, false))
                .collect()?;
            Ok(base.lazy().with_columns(exprs.clone()))
        };
        Ok(Dataset {
            lines: collect(&self.lines)?,
            returns: collect(&self.returns)?,
            ..self.clone()
        })
    }

    /// Fails, as bad input, for a customer table: `what` needs transactions.
    pub fn require_transactions(&self, what: &str) -> Result<()> {
        if self.table.is_some() {
            bail_input!(
                "{}: a customer-level table (one row per customer, no date column) has no transactions for {what}; segment, sweep, lookalike, export and assign work on it (for a transaction log, name its date column with --map date=COLUMN)",
                self.name
            );
        }
        Ok(())
    }
}

/// The bundled sample, read with the default options.
pub fn load_bundled() -> Result<Dataset> {
    load(&DataSource::Bundled, &LoadOptions::default())
}

/// Loads a dataset from its source, then refuses a load that keeps fewer than half its rows
/// (unless `--allow-partial`): a file read that wrongly is not an answer.
pub fn load(source: &DataSource, opts: &LoadOptions) -> Result<Dataset> {
    let mut ds = load_unchecked(source, opts)?;
    if ds.table.is_none() {
        check_kept(&ds.report, &ds.name, opts)?;
        mark_non_products(&mut ds, opts)?;
    }
    ds.price_tiers = opts.price_tiers;
    ds.filtered(&opts.filters)
}

/// Fewer than half the rows kept: refused, naming the biggest loss and its fix.
fn check_kept(report: &LoadReport, name: &str, opts: &LoadOptions) -> Result<()> {
    if opts.allow_partial || report.kept_share() >= 0.5 {
        return Ok(());
    }
    let worst = report
        .losses()
        .into_iter()
        .max_by_key(|l| l.rows)
        .map_or(String::new(), |l| format!("; {}", l.describe(name)));
    bail_input!(
        "{name}: only {} of {} rows ({:.1}%) would be kept{worst}; fix the reading, or load anyway with --allow-partial",
        report.purchase_lines + report.return_lines,
        report.rows_read,
        report.kept_share() * 100.0
    )
}

/// Lists the product codes that are fees or adjustments in the report: those named by
/// `--not-products`, and in a log (where no product file says what a product is) codes with
/// far fewer digits than the usual one ("POST", "M", "BANK CHARGES" among "85123A"s).
fn mark_non_products(ds: &mut Dataset, opts: &LoadOptions) -> Result<()> {
    if !ds.present.product {
        return Ok(());
    }
    let shapes = ds.products.is_none();
    if opts.not_products.is_empty() && !shapes {
        return Ok(());
    }
    let per_code = ds
        .lines
        .clone()
        .group_by([col("product_id")])
        .agg([len().alias("lines"), col("amount").sum().alias("revenue")])
        .sort(["product_id"], SortMultipleOptions::default())
        .collect()?;
    let codes = frame::opt_texts(&per_code, "product_id")?;
    let lines = frame::counts(&per_code, "lines")?;
    let revenue = frame::nums(&per_code, "revenue")?;
    let digits = |c: &str| c.bytes().filter(u8::is_ascii_digit).count();
    let mut counts: Vec<usize> = codes.iter().flatten().map(|c| digits(c)).collect();
    counts.sort_unstable();
    let typical = counts.get(counts.len() / 2).copied().unwrap_or(0);
    let named = |c: &str| {
        opts.not_products
            .iter()
            .any(|n| n.eq_ignore_ascii_case(c.trim()))
    };
    for (i, code) in codes.iter().enumerate() {
        let Some(code) = code else { continue };
        let odd = shapes && typical >= 3 && digits(code) * 2 < typical;
        if named(code) || odd {
            ds.report.non_products.push(report::NonProduct {
                code: code.clone(),
                lines: lines[i] as usize,
                revenue: revenue[i],
            });
        }
    }
    Ok(())
}

fn load_unchecked(source: &DataSource, opts: &LoadOptions) -> Result<Dataset> {
    let report = LoadReport {
        source: source.describe(),
        ..LoadReport::default()
    };
    let name = source.describe();
    match source {
        DataSource::Bundled => load_sample(name, opts, report),
        DataSource::Stdin => load_stdin(name, opts, report),
        DataSource::Path(path) => load_path(path, name, opts, report),
    }
}

/// The bundled sample: an eCommerce Transactions folder compiled in.
fn load_sample(name: String, opts: &LoadOptions, mut report: LoadReport) -> Result<Dataset> {
    report.layout = "eCommerce Transactions folder".into();
    let how = opts.folder_file();
    let c = read_bytes("sample/Customers.csv", bundled::CUSTOMERS.to_vec(), how)?;
    let p = read_bytes("sample/Products.csv", bundled::PRODUCTS.to_vec(), how)?;
    let t = read_bytes(
        "sample/Transactions.csv",
        bundled::TRANSACTIONS.to_vec(),
        how,
    )?;
    load_folder(name, c, p, t, opts, report)
}

/// A transaction log on standard input.
fn load_stdin(name: String, opts: &LoadOptions, mut report: LoadReport) -> Result<Dataset> {
    report.layout = "transaction log".into();
    let mut bytes = Vec::new();
    if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes) {
        bail_input!("standard input: cannot read ({e})");
    }
    load_log(
        name,
        read_bytes("standard input", bytes, opts.log())?,
        opts,
        report,
    )
}

/// A file or folder, read as the layout detected there.
fn load_path(
    path: &Path,
    name: String,
    opts: &LoadOptions,
    mut report: LoadReport,
) -> Result<Dataset> {
    let layout = layout::detect(path)?;
    report.layout = layout.describe().into();
    match layout {
        Layout::TransactionsFolder {
            customers,
            products,
            transactions,
        } => {
            refuse_log_flags(path, opts)?;
            // The small files are read while the transactions are; errors come in
            // the files' order, as if read one after the other.
            let how = opts.folder_file();
            let ((c, p), t) = crate::parallel::beside(
                || (read_path(&customers, how), read_path(&products, how)),
                || read_path(&transactions, how),
            );
            load_folder(name, c?, p?, t?, opts, report)
        }
        Layout::TransactionLog(file) => load_log(name, read_path(&file, opts.log())?, opts, report),
        Layout::PartFiles(parts) => {
            let raw = read_parts(path, &parts, opts)?;
            report.notes.push(format!(
                "{}: {} part files read as one log",
                path.display(),
                parts.len()
            ));
            load_log(name, raw, opts, report)
        }
    }
}

/// `--columns` and `--sheet` name one log's columns and sheet: a folder's three files have
/// their own headers, so the flags would be ignored there; said instead.
fn refuse_log_flags(path: &Path, opts: &LoadOptions) -> Result<()> {
    let flag = match (&opts.columns, &opts.sheet) {
        (Some(_), _) => "--columns",
        (_, Some(_)) => "--sheet",
        _ => return Ok(()),
    };
    bail_input!(
        "{flag}: {} is an eCommerce Transactions folder, whose files name their own columns; {flag} is for one transaction log",
        path.display()
    )
}

/// Part files put together as one file: each part's columns as text where the parts
/// disagree on a type, and each hive partition (`country=UK/`) as a column.
fn read_parts(root: &Path, parts: &[layout::Part], opts: &LoadOptions) -> Result<RawFile> {
    let mut frames = Vec::with_capacity(parts.len());
    let mut dialect = None;
    for part in parts {
        let raw = read_path(&part.path, opts.log())?;
        let mut df = raw.df;
        for (key, value) in &part.partitions {
            if df.column(key).is_err() {
                let v = (value != "__HIVE_DEFAULT_PARTITION__").then(|| value.clone());
                df.with_column(Column::new(key.as_str().into(), vec![v; df.height()]))?;
            }
        }
        dialect.get_or_insert(raw.dialect);
        frames.push(df);
    }
    let same = frames.windows(2).all(|w| w[0].schema() == w[1].schema());
    let frames: Vec<DataFrame> = if same {
        frames
    } else {
        frames
            .into_iter()
            .map(|df| {
                let cols: Vec<Column> = df
                    .columns()
                    .iter()
                    .map(|c| c.cast(&DataType::String))
                    .collect::<PolarsResult<_>>()?;
                DataFrame::new(df.height(), cols)
            })
            .collect::<PolarsResult<_>>()?
    };
    let lazy: Vec<LazyFrame> = frames.into_iter().map(|f| f.lazy()).collect();
    let args = UnionArgs {
        diagonal: true,
        ..UnionArgs::default()
    };
    let df = match concat(lazy, args).and_then(|l| l.collect()) {
        Ok(df) => df,
        Err(e) => bail_input!(
            "{}: the part files do not fit together ({})",
            root.display(),
            crate::error::first_line(&e)
        ),
    };
    let mut dialect = dialect.unwrap_or_else(|| read::Dialect {
        format: "parts".into(),
        delimiter: None,
        encoding: None,
        header: "file schema".into(),
        spreadsheet: false,
    });
    dialect.format = format!("{} part files ({})", parts.len(), dialect.format);
    Ok(RawFile::from_frame(
        &root.display().to_string(),
        df,
        dialect,
    ))
}

/// Bytes of each file read by [`precheck`]: enough rows to find every role and date format.
const PRECHECK_BYTES: usize = 1 << 20;

/// A quick trial load on the first megabyte of each file, so the TUI can refuse bad input with
/// a one-line error before it opens the screen and load the whole dataset in the background.
/// `Ok(false)` means the check could not be made (compressed or Parquet files).
pub fn precheck(source: &DataSource, opts: &LoadOptions) -> Result<bool> {
    let DataSource::Path(path) = source else {
        return Ok(false);
    };
    let head = |p: &Path, how: ReadAs| read::read_head(p, how, PRECHECK_BYTES);
    let report = LoadReport::default();
    let name = source.describe();
    match layout::detect(path)? {
        Layout::TransactionsFolder {
            customers,
            products,
            transactions,
        } => {
            let how = opts.folder_file();
            match (
                head(&customers, how)?,
                head(&products, how)?,
                head(&transactions, how)?,
            ) {
                (Some(c), Some(p), Some(t)) => {
                    let ds = load_folder(name, c, p, t, opts, report)?;
                    check_kept(&ds.report, &ds.name, opts).map(|_| true)
                }
                _ => Ok(false),
            }
        }
        Layout::TransactionLog(file) => match head(&file, opts.log())? {
            Some(raw) => {
                let ds = load_log(name, raw, opts, report)?;
                if ds.table.is_none() {
                    check_kept(&ds.report, &ds.name, opts)?;
                }
                Ok(true)
            }
            None => Ok(false),
        },
        Layout::PartFiles(_) => Ok(false),
    }
}

/// Loads one transaction log from bytes already in memory (`name` labels messages).
pub fn load_bytes(name: &str, bytes: Vec<u8>, opts: &LoadOptions) -> Result<Dataset> {
    let report = LoadReport {
        source: name.to_string(),
        layout: "transaction log".into(),
        ..LoadReport::default()
    };
    let mut ds = load_log(
        name.to_string(),
        read_bytes(name, bytes, opts.log())?,
        opts,
        report,
    )?;
    if ds.table.is_none() {
        check_kept(&ds.report, name, opts)?;
        mark_non_products(&mut ds, opts)?;
    }
    ds.price_tiers = opts.price_tiers;
    ds.filtered(&opts.filters)
}

fn note_file(report: &mut LoadReport, raw: &RawFile, roles: &RoleMap) {
    if raw.latin1 {
        report.latin1_files.push(raw.name.clone());
    }
    report
        .dialects
        .push((raw.name.clone(), raw.dialect.clone()));
    report.notes.extend(roles.notes(&raw.name));
    for (role, column) in roles.iter() {
        report
            .roles
            .push((raw.name.clone(), role.key().to_string(), column.to_string()));
    }
}

fn require(raw: &RawFile, roles: &RoleMap, role: Role) -> Result<()> {
    // The column this role would have taken is given to another role by --map.
    let natural = RoleMap::detect(&raw.headers(), &[]);
    if !roles.has(role)
        && let Some(column) = natural.get(role)
        && let Some((other, _)) = roles.iter().find(|(r, c)| *c == column && *r != role)
    {
        bail_input!(
            "{}: column {column:?} would be the {} but --map makes it the {}; give {} another column with --map {}=COLUMN, or map {} elsewhere",
            raw.name,
            role.key(),
            other.key(),
            role.key(),
            role.key(),
            other.key()
        );
    }
    if !roles.has(role) {
        bail_input!(
            "{}: no {} column found (columns: {}); name it with --map {}=COLUMN",
            raw.name,
            role.key(),
            raw.headers().join(", "),
            role.key()
        );
    }
    Ok(())
}

/// Loads one transaction log, or a customer table (a file that names customers, once each,
/// and has no date column).
fn load_log(
    name: String,
    raw: RawFile,
    opts: &LoadOptions,
    mut report: LoadReport,
) -> Result<Dataset> {
    let roles = log_roles(&raw, opts, &mut report)?;
    if table::looks_like_table(&raw, &roles)? {
        return table_dataset(name, raw, &roles, report);
    }
    require(&raw, &roles, Role::Date)?;
    note_file(&mut report, &raw, &roles);
    let CleanLines {
        purchases,
        returns,
        free,
        has_time,
        extras,
    } = clean_lines(raw, &roles, opts.date_format.as_deref(), &mut report)?;
    let present = Present {
        product: roles.has(Role::Product),
        product_name: roles.has(Role::ProductName),
        category: roles.has(Role::Category),
        region: roles.has(Role::Region),
        time: has_time,
        signup: roles.has(Role::SignupDate),
        customer_name: roles.has(Role::CustomerName),
        customer_code: false,
    };
    let customers = customers_from_lines(&purchases, &roles);
    Ok(Dataset {
        name,
        lines: purchases.lazy(),
        returns: returns.lazy(),
        free_purchases: free,
        customers: Some(customers),
        present,
        report,
        table: None,
        customer_ids: None,
        products: None,
        customer_lookups: None,
        lookups: vec![],
        price_tiers: None,
        extras,
    })
}

/// A log's roles, with `--map` checked against its header; with no customer id column the
/// customer name column identifies customers (noted). Refused without either.
fn log_roles(raw: &RawFile, opts: &LoadOptions, report: &mut LoadReport) -> Result<RoleMap> {
    let headers = raw.headers();
    roles::check_overrides(&opts.overrides, &[(raw.name.as_str(), headers.as_slice())])?;
    let mut roles = RoleMap::detect(&headers, &opts.overrides);
    if let Some(column) = roles.name_as_id() {
        report.notes.push(format!(
            "{}: no customer id column, so the customer name column {column:?} identifies customers",
            raw.name
        ));
    }
    require(raw, &roles, Role::Customer)?;
    Ok(roles)
}

/// A customer table as a dataset: its features and attributes, and no lines.
fn table_dataset(
    name: String,
    raw: RawFile,
    roles: &RoleMap,
    mut report: LoadReport,
) -> Result<Dataset> {
    report.layout = "customer table".into();
    note_file(&mut report, &raw, roles);
    let t = table::load_table(raw, roles, &mut report)?;
    let present = Present {
        region: roles.has(Role::Region),
        customer_name: roles.has(Role::CustomerName),
        ..Present::default()
    };
    Ok(Dataset {
        name,
        lines: table::no_lines().lazy(),
        returns: table::no_lines().lazy(),
        free_purchases: clean::no_free_purchases(),
        customers: Some(t.attributes.clone().lazy()),
        present,
        report,
        table: Some(t),
        customer_ids: None,
        products: None,
        customer_lookups: None,
        lookups: vec![],
        price_tiers: None,
        extras: vec![],
    })
}

/// A log has no customer file: one row per customer derived from its lines, each attribute
/// the customer's first one given (in date order).
fn customers_from_lines(purchases: &DataFrame, roles: &RoleMap) -> LazyFrame {
    let mut attrs = vec![];
    for role in [Role::CustomerName, Role::Region, Role::SignupDate] {
        if roles.has(role) {
            attrs.push(col(role.key()).drop_nulls().first());
        }
    }
    purchases
        .clone()
        .lazy()
        .filter(col("customer_id").is_not_null())
        .sort(["date"], SortMultipleOptions::default())
        .group_by_stable([col("customer_id")])
        .agg(attrs)
}

/// Each line's code for its `key` from `dict` (columns `key` and `code`, keys unique), in the
/// lines' order: only the key column is joined, and the result is added beside the others
/// (a join of the whole lines would copy every column).
fn codes_for(lines: &DataFrame, dict: &LazyFrame, key: &str, code: &str) -> Result<Column> {
    let args = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let coded = lines
        .select([key])?
        .lazy()
        .join(dict.clone(), [col(key)], [col(key)], args)
        .select([col(code)])
        .collect()?;
    if coded.height() != lines.height() {
        anyhow::bail!("coding {key}: the join changed the number of lines");
    }
    Ok(coded.column(code)?.clone())
}

/// Lines whose id the reference file does not know: an id, and no code for it.
fn unknown_id(code: &str, id: &str) -> Expr {
    col(code).is_null().and(col(id).is_not_null())
}

/// How many `lines` have an [`unknown_id`]: a missing id has no code either, so these are
/// the missing codes beyond the missing ids (null counts are kept with the columns: no pass).
fn count_unknown(lines: &DataFrame, code: &str, id: &str) -> Result<usize> {
    let codes = lines.column(code)?.null_count();
    Ok(codes.saturating_sub(lines.column(id)?.null_count()))
}

/// Adds each line's `customer_code` from the customer file's; ids the file does not know are
/// counted and coded after it (so every id has one code), missing ids stay missing.
fn code_customers(
    mut purchases: DataFrame,
    mut returns: DataFrame,
    cdf: &DataFrame,
    report: &mut LoadReport,
) -> Result<(DataFrame, DataFrame, DataFrame)> {
    let dict = cdf.select(["customer_id", "customer_code"])?;
    let coder = codes::Coder::new(&dict, "customer_id", "customer_code")?;
    for lines in [&mut purchases, &mut returns] {
        let codes = coder.codes(lines)?;
        lines.with_column(codes)?;
    }
    let unknown_purchases = count_unknown(&purchases, "customer_code", "customer_id")?;
    report.unknown_customer += unknown_purchases;
    let known_ids = cdf.select(["customer_code", "customer_id"])?;
    if unknown_purchases + count_unknown(&returns, "customer_code", "customer_id")? == 0 {
        return Ok((purchases, returns, known_ids));
    }
    let extra = ids_not_in_file(&purchases, &returns)?;
    if extra.height() == 0 {
        return Ok((purchases, returns, known_ids));
    }
    let known = cdf.height() as u32;
    let extra = extra.lazy().with_row_index("__extra", None).select([
        col("customer_id"),
        (col("__extra").cast(DataType::UInt32) + lit(known)).alias("__extra"),
    ]);
    for lines in [&mut purchases, &mut returns] {
        code_after_file(lines, &extra)?;
    }
    let all_ids = concat(
        [
            known_ids.lazy(),
            extra
                .clone()
                .select([col("__extra").alias("customer_code"), col("customer_id")]),
        ],
        UnionArgs::default(),
    )?
    .collect()?;
    Ok((purchases, returns, all_ids))
}

/// The customer ids of lines the customer file does not know, each once, sorted.
fn ids_not_in_file(purchases: &DataFrame, returns: &DataFrame) -> Result<DataFrame> {
    let unknown = unknown_id("customer_code", "customer_id");
    Ok(concat(
        [
            purchases
                .clone()
                .lazy()
                .filter(unknown.clone())
                .select([col("customer_id")]),
            returns
                .clone()
                .lazy()
                .filter(unknown.clone())
                .select([col("customer_id")]),
        ],
        UnionArgs::default(),
    )?
    .unique(None, UniqueKeepStrategy::First)
    .sort(["customer_id"], SortMultipleOptions::default())
    .collect()?)
}

/// Fills the `customer_code` the file left missing from `extra`'s codes (numbered after the
/// file's).
fn code_after_file(lines: &mut DataFrame, extra: &LazyFrame) -> Result<()> {
    let codes = codes_for(lines, extra, "customer_id", "__extra")?;
    lines.with_column(codes)?;
    *lines = std::mem::take(lines)
        .lazy()
        .with_column(coalesce(&[col("customer_code"), col("__extra")]).alias("customer_code"))
        .drop(by_name(["__extra"], true, false))
        .collect()?;
    Ok(())
}

/// Keeps the first row of each id, counting the repeats.
fn first_per_id(df: DataFrame, id: &str, report: &mut LoadReport) -> Result<DataFrame> {
    let before = df.height();
    // Ids in strictly ascending order (a file sorted by id) are distinct: nothing to drop,
    // and no hash of every id.
    if frame::strictly_ascending(&df, id)? {
        return Ok(df);
    }
    let df = df
        .lazy()
        .filter(col(id).is_not_null())
        .unique_stable(Some(cols([id])), UniqueKeepStrategy::First)
        .collect()?;
    report.duplicate_ids += before - df.height();
    Ok(df)
}

/// The customer file (id, name, region, signup date; each customer's code is its row) and
/// the product file (id, name, category), read into their canonical columns.
fn reference_files(
    customers: &RawFile,
    croles: &RoleMap,
    products: &RawFile,
    proles: &RoleMap,
    date_flag: Option<&str>,
    report: &mut LoadReport,
) -> Result<(DataFrame, DataFrame)> {
    let _t = crate::timing::phase("customer_file");
    let cdf = customer_file(customers, croles, date_flag, report)?;
    let pdf = product_file(products, proles, report)?;
    Ok((cdf, pdf))
}

/// The customer file: id, name, region, signup date, one row per id, and each customer's
/// integer code (its row).
fn customer_file(
    customers: &RawFile,
    croles: &RoleMap,
    date_flag: Option<&str>,
    report: &mut LoadReport,
) -> Result<DataFrame> {
    let cschema = customers.df.schema().clone();
    let cdt = |c: &str| cschema.get(c).cloned().unwrap_or(DataType::String);
    let cid = croles.get(Role::Customer).unwrap_or_default();
    let cfloats = columns_with_dots(&customers.df, &[cid])?[0];
    let cpad = customers.padded;
    let mut csel = vec![id_expr(cid, &cdt(cid), cfloats, cpad).alias("customer_id")];
    for role in [Role::CustomerName, Role::Region] {
        if let Some(c) = croles.get(role) {
            csel.push(text_expr(c, cpad).alias(role.key()));
        }
    }
    if let Some(c) = croles.get(Role::SignupDate) {
        let hints = clean::DateHints {
            flag: date_flag,
            spreadsheet: customers.dialect.spreadsheet,
        };
        let signup = date_expr(
            &customers.df,
            &customers.name,
            c,
            Role::SignupDate,
            cpad,
            hints,
        )?;
        csel.push(signup.expr.alias("signup_date"));
    }
    let cdf = first_per_id(
        customers.df.clone().lazy().select(csel).collect()?,
        "customer_id",
        report,
    )?;
    if croles.has(Role::SignupDate) {
        report.bad_signup_dates += cdf.column("signup_date")?.null_count();
    }
    // Customers get integer codes: grouping and joining millions of lines on a u32 is far
    // cheaper than on text.
    Ok(cdf.with_row_index("customer_code".into(), None)?)
}

/// The product file: id, name, category, one row per id.
fn product_file(
    products: &RawFile,
    proles: &RoleMap,
    report: &mut LoadReport,
) -> Result<DataFrame> {
    let pschema = products.df.schema().clone();
    let pid = proles.get(Role::Product).unwrap_or_default();
    let pfloats = columns_with_dots(&products.df, &[pid])?[0];
    let mut psel = vec![
        id_expr(
            pid,
            &pschema.get(pid).cloned().unwrap_or(DataType::String),
            pfloats,
            products.padded,
        )
        .alias("product_id"),
    ];
    for role in [Role::ProductName, Role::Category] {
        if let Some(c) = proles.get(role) {
            psel.push(text_expr(c, products.padded).alias(role.key()));
        }
    }
    first_per_id(
        products.df.clone().lazy().select(psel).collect()?,
        "product_id",
        report,
    )
}

/// Loads an eCommerce Transactions folder: each file's roles, the reference files beside the
/// cleaned lines, the lines coded by product and customer, then the attributes they look up.
fn load_folder(
    name: String,
    customers: RawFile,
    products: RawFile,
    transactions: RawFile,
    opts: &LoadOptions,
    mut report: LoadReport,
) -> Result<Dataset> {
    let roles = folder_roles(
        [&customers, &products, &transactions],
        &opts.overrides,
        &mut report,
    )?;
    let flag = opts.date_format.as_deref();
    let (cdf, pdf, cleaned) = references_and_lines(
        &customers,
        &products,
        transactions,
        &roles,
        flag,
        &mut report,
    )?;
    let CleanLines {
        purchases,
        returns,
        free,
        has_time,
        extras,
    } = cleaned;
    // Products get integer codes too (their row in the product file); the lines without one
    // are those whose product the file does not know.
    let pdf = pdf.with_row_index("product_code".into(), None)?;
    let coded = code_lines(purchases, returns, &pdf, &cdf, &mut report)?;
    let lookups = Lookups::of(&coded.purchases, &pdf, &cdf);
    let lines = attach(coded.purchases, &lookups.exprs);
    let returns = attach(coded.returns, &lookups.exprs);
    let customer_lookups = if lookups.customer_columns.is_empty() {
        None
    } else {
        Some(cdf.select(lookups.customer_columns)?)
    };
    Ok(Dataset {
        name,
        lines,
        returns,
        free_purchases: free,
        customers: Some(cdf.lazy()),
        present: roles.present(has_time),
        report,
        table: None,
        customer_ids: Some(coded.customer_ids),
        // What the lines look up by product code (not what they carry themselves).
        products: Some(pdf.select(lookups.product_columns)?),
        customer_lookups,
        lookups: lookups.exprs,
        price_tiers: None,
        extras,
    })
}

/// The roles of a folder's three files.
struct FolderRoles {
    customers: RoleMap,
    products: RoleMap,
    transactions: RoleMap,
}

impl FolderRoles {
    /// Which optional roles the folder's lines carry, from whichever file gives them.
    fn present(&self, has_time: bool) -> Present {
        let (c, p, t) = (&self.customers, &self.products, &self.transactions);
        Present {
            product: true,
            product_name: t.has(Role::ProductName) || p.has(Role::ProductName),
            category: t.has(Role::Category) || p.has(Role::Category),
            region: t.has(Role::Region) || c.has(Role::Region),
            time: has_time,
            signup: c.has(Role::SignupDate),
            customer_name: c.has(Role::CustomerName),
            customer_code: true,
        }
    }
}

/// Each file's roles (customers, products, transactions), with `--map` checked against all
/// three headers; a file without its key columns is refused, and each file is noted.
fn folder_roles(
    files: [&RawFile; 3],
    overrides: &[RoleOverride],
    report: &mut LoadReport,
) -> Result<FolderRoles> {
    let [customers, products, transactions] = files;
    let (ch, ph, th) = (
        customers.headers(),
        products.headers(),
        transactions.headers(),
    );
    roles::check_overrides(
        overrides,
        &[
            (customers.name.as_str(), ch.as_slice()),
            (products.name.as_str(), ph.as_slice()),
            (transactions.name.as_str(), th.as_slice()),
        ],
    )?;
    let croles = RoleMap::detect(&ch, overrides);
    let proles = RoleMap::detect(&ph, overrides);
    let troles = RoleMap::detect(&th, overrides);
    require(customers, &croles, Role::Customer)?;
    require(products, &proles, Role::Product)?;
    require(transactions, &troles, Role::Customer)?;
    require(transactions, &troles, Role::Product)?;
    require(transactions, &troles, Role::Date)?;
    for (raw, roles) in [
        (customers, &croles),
        (products, &proles),
        (transactions, &troles),
    ] {
        note_file(report, raw, roles);
    }
    Ok(FolderRoles {
        customers: croles,
        products: proles,
        transactions: troles,
    })
}

/// The customer and product files in their canonical columns, and the cleaned transactions.
/// The reference files are prepared while the transactions are cleaned (they don't depend on
/// each other); errors are reported in the files' order, as if one after the other.
fn references_and_lines(
    customers: &RawFile,
    products: &RawFile,
    transactions: RawFile,
    roles: &FolderRoles,
    flag: Option<&str>,
    report: &mut LoadReport,
) -> Result<(DataFrame, DataFrame, CleanLines)> {
    let mut refs_report = LoadReport::default();
    let (refs, cleaned) = crate::parallel::beside(
        || {
            reference_files(
                customers,
                &roles.customers,
                products,
                &roles.products,
                flag,
                &mut refs_report,
            )
        },
        || clean_lines(transactions, &roles.transactions, flag, report),
    );
    let (cdf, pdf) = refs?;
    report.duplicate_ids += refs_report.duplicate_ids;
    report.bad_signup_dates += refs_report.bad_signup_dates;
    Ok((cdf, pdf, cleaned?))
}

/// A folder's lines and returns with their product and customer codes, and every coded
/// customer's id (row = code).
struct CodedLines {
    purchases: DataFrame,
    returns: DataFrame,
    customer_ids: DataFrame,
}

/// Adds each line's `product_code` (from `pdf`) and `customer_code` (from `cdf`), counting
/// the products the file does not know. Both codes are made at the same time (by number, or
/// a join that reads only the key column).
fn code_lines(
    purchases: DataFrame,
    returns: DataFrame,
    pdf: &DataFrame,
    cdf: &DataFrame,
    report: &mut LoadReport,
) -> Result<CodedLines> {
    let product_codes = pdf.select(["product_id", "product_code"])?;
    let (lines_now, returns_now) = (purchases.clone(), returns.clone());
    let (coded_products, coded_customers) = crate::parallel::beside(
        || -> Result<(Column, Column)> {
            let _t = crate::timing::phase("code products");
            let coder = codes::Coder::new(&product_codes, "product_id", "product_code")?;
            Ok((coder.codes(&lines_now)?, coder.codes(&returns_now)?))
        },
        || {
            let _t = crate::timing::phase("code customers");
            code_customers(purchases, returns, cdf, report)
        },
    );
    let (product_lines, product_returns) = coded_products?;
    let (mut purchases, mut returns, customer_ids) = coded_customers?;
    purchases.with_column(product_lines)?;
    returns.with_column(product_returns)?;
    report.unknown_product += count_unknown(&purchases, "product_code", "product_id")?;
    Ok(CodedLines {
        purchases,
        returns,
        customer_ids,
    })
}

/// Product and customer attributes (where the lines lack their own) are looked up by code
/// when a query reads them: projection pushdown drops the lookups a query does not read,
/// and the lines are never held twice. Callers that query many times use `materialized`.
struct Lookups {
    /// (column, the expression that looks it up), for [`Dataset::lookups`].
    exprs: Vec<(String, Expr)>,
    /// The product file's code and id, and the columns looked up from it.
    product_columns: Vec<&'static str>,
    /// The customer file's columns looked up.
    customer_columns: Vec<&'static str>,
}

impl Lookups {
    /// The lookups for the attributes in `pdf` and `cdf` that `purchases` lack.
    fn of(purchases: &DataFrame, pdf: &DataFrame, cdf: &DataFrame) -> Lookups {
        let on_lines = |c: &str| purchases.get_column_names().iter().any(|p| p.as_str() == c);
        let mut exprs: Vec<(String, Expr)> = Vec::new();
        let mut product_columns = vec!["product_code", "product_id"];
        for c in [Role::ProductName.key(), Role::Category.key()] {
            if let (Ok(values), false) = (pdf.column(c), on_lines(c)) {
                product_columns.push(c);
                let values = values.as_materialized_series().clone();
                let lookup = lit(values).gather(col("product_code"), false).alias(c);
                exprs.push((c.to_string(), lookup));
            }
        }
        let mut customer_columns = vec![];
        if let (Ok(values), false) = (cdf.column("region"), on_lines("region")) {
            customer_columns.push("region");
            // Customers the file does not know are coded after its rows: no region.
            let values = values.as_materialized_series().clone();
            let lookup = lit(values)
                .gather(col("customer_code"), true)
                .alias("region");
            exprs.push(("region".to_string(), lookup));
        }
        Lookups {
            exprs,
            product_columns,
            customer_columns,
        }
    }
}

/// The lines, lazy, with the looked-up columns added.
fn attach(lines: DataFrame, lookups: &[(String, Expr)]) -> LazyFrame {
    if lookups.is_empty() {
        lines.lazy()
    } else {
        lines
            .lazy()
            .with_columns(lookups.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>())
    }
}
