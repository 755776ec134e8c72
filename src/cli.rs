//! Every command and flag, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::analysis::features::ScalerKind;
use crate::analysis::lookalike::Metric;
use crate::analysis::segment::Algo;
use crate::analysis::value::cohorts::CohortMetric;
use crate::report::Format;

/// Customer analytics in the terminal: what sells where and when, which kinds of customers
/// exist, and who looks like whom.
#[derive(Debug, Parser)]
#[command(name = "segscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Dataset to open: a folder (Customers.csv, Products.csv, Transactions.csv), one
    /// transaction log (.csv, .csv.gz, .txt, .parquet, .xlsx), a folder of part files, or -
    /// for standard input. Defaults to the bundled sample.
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Colour theme: default, light, high-contrast, monochrome, or a .toml theme file.
    #[arg(long)]
    pub theme: Option<String>,
    /// Config file (theme and key bindings); default ~/.config/segscope/config.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Mouse support in the app (wheel scrolls, clicks pick a pane or an EDA table); off by
    /// default so the terminal's text selection keeps working (or `mouse = true` in the config).
    #[arg(long)]
    pub mouse: bool,
}

/// How to read a dataset.
#[derive(Debug, Args, Clone, Default)]
pub struct LoadArgs {
    /// Map a role to a column: --map customer="Customer ID". Roles: customer_id,
    /// customer_name, order_id, date, quantity, unit_price, amount, product_id, product_name,
    /// category, region, signup_date. Repeatable.
    #[arg(long = "map", value_name = "ROLE=COLUMN", global = true)]
    pub map: Vec<String>,
    /// Read every date column with this format (chrono syntax, e.g. %d/%m/%y), or epoch-s,
    /// epoch-ms, excel. Default: decided per column from its values.
    #[arg(long, value_name = "FMT", global = true)]
    pub date_format: Option<String>,
    /// Names for a header-less log's columns (or new names for its own), comma-separated.
    #[arg(long, value_name = "NAME,NAME,…", global = true, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// The spreadsheet's sheet to read (default: the first).
    #[arg(long, value_name = "NAME", global = true)]
    pub sheet: Option<String>,
    /// Load even when fewer than half the rows would be kept.
    #[arg(long, global = true)]
    pub allow_partial: bool,
    /// Product codes that are fees or adjustments, not products (left out of product
    /// tables), comma-separated; added to those found by their shape.
    #[arg(long, value_name = "CODE,CODE,…", global = true, value_delimiter = ',')]
    pub not_products: Vec<String>,
    /// Price tier cut points A,B (unit price < A, A to B, > B); default: the data's terciles.
    #[arg(
        long,
        value_name = "A,B",
        global = true,
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    pub price_tiers: Option<Vec<f64>>,
    /// Only purchases on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", global = true)]
    pub from: Option<String>,
    /// Only purchases on or before this day (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE", global = true)]
    pub to: Option<String>,
    /// Only lines with this region (or country) or category: --where region=Germany. Repeat
    /// for several values of one (any of them) or for both (each must hold).
    #[arg(long = "where", value_name = "DIM=VALUE", global = true)]
    pub wheres: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show how a dataset will be read (layout, delimiter, encoding, header, each column's
    /// role, type, format and sample values) before a full load: run it first on a new file.
    Inspect(InspectArgs),
    /// Print every EDA table.
    Eda(EdaArgs),
    /// Segment customers at one K and profile the segments.
    #[command(after_help = FEATURES_HELP)]
    Segment(SegmentArgs),
    /// Cluster-quality metrics for a range of K, and a suggested K.
    #[command(after_help = FEATURES_HELP)]
    Sweep(SweepArgs),
    /// Customers most similar to one customer, to every customer, or to a segment.
    #[command(after_help = FEATURES_HELP)]
    Lookalike(LookalikeArgs),
    /// How customers moved between segments across a split date.
    #[command(after_help = FEATURES_HELP)]
    Migrate(MigrateArgs),
    /// Write segments, summary, lookalikes, features and the model to a folder (for CRM/BI).
    #[command(after_help = FEATURES_HELP)]
    Export(ExportArgs),
    /// Label a dataset's customers with a model saved by export.
    Assign(AssignArgs),
    /// RFM scores (R rfm's definitions) and named RFM segments (Champions … Lost).
    Rfm(RfmArgs),
    /// Lifetime value: BG/NBD and Gamma-Gamma fitted by maximum likelihood (lifetimes'
    /// definitions), P(alive), expected purchases and spend, CLV over a horizon.
    Clv(ClvArgs),
    /// Cohort retention: customers by month of first purchase, active in each later month.
    Cohorts(CohortsArgs),
    /// Generate a synthetic dataset in the eCommerce Transactions layout.
    Sample(SampleArgs),
    /// Print a shell completion script: segscope completions bash > ~/.local/share/bash-completion/completions/segscope
    Completions(CompletionsArgs),
    /// Print the man page (roff): segscope man > ~/.local/share/man/man1/segscope.1
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The feature sets, listed under each modelling command's --help.
pub const FEATURES_HELP: &str = "Feature sets (--features):
  rfm    recency_days, frequency, monetary
  rfm+   rfm + avg_order_value, tenure_days, distinct_categories (with categories),
         return_rate (with returns); the default
  all    rfm+ + total_quantity, avg_unit_price, share_<category>, region_<region>
  or a comma list of feature names, e.g. --features recency_days,monetary,share_books
Skewed amounts (frequency, monetary, avg_order_value, total_quantity, avg_unit_price) get
log1p before scaling.";

/// How a model is fitted: shared by segment, sweep, lookalike, migrate and export.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Feature set (rfm, rfm+, all) or a comma list of feature names.
    #[arg(long, default_value = "rfm+")]
    pub features: String,
    /// Scaling after log1p: robust (median and IQR, falling back to the MAD and the standard
    /// deviation where the IQR is 0) or standard, each then limited to the 1st..99th
    /// percentile of every feature; none clusters the raw values.
    #[arg(long, value_enum, default_value = "robust")]
    pub scaler: ScalerKind,
    /// Clustering algorithm.
    #[arg(long, value_enum, default_value = "kmeans")]
    pub algo: Algo,
    /// Random seed: the same seed gives the same labels.
    #[arg(long, default_value_t = crate::analysis::segment::DEFAULT_SEED)]
    pub seed: u64,
    /// Write the exact matrix used (CustomerID + one column per feature) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub dump_matrix: Option<PathBuf>,
    /// Replace existing output files (--out, --dump-matrix); only regular files are ever
    /// replaced, never a link or a device.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// Dataset (folder or transaction file); defaults to the bundled sample.
    pub data: Option<PathBuf>,
    /// Number of segments.
    #[arg(long)]
    pub k: usize,
    #[command(flatten)]
    pub model: ModelArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write customer_segments.csv and segment_summary.csv into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    pub data: Option<PathBuf>,
    #[arg(long, default_value_t = 2)]
    pub k_min: usize,
    #[arg(long, default_value_t = 10)]
    pub k_max: usize,
    #[command(flatten)]
    pub model: ModelArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["customer", "all", "segment"])))]
pub struct LookalikeArgs {
    pub data: Option<PathBuf>,
    /// The customer to find lookalikes for.
    #[arg(long)]
    pub customer: Option<String>,
    /// Lookalikes for every customer.
    #[arg(long)]
    pub all: bool,
    /// Audience expansion: customers outside this segment (1 = highest spend) most like it.
    #[arg(long)]
    pub segment: Option<usize>,
    /// K of the segmentation --segment refers to.
    #[arg(long, default_value_t = 4)]
    pub k: usize,
    /// How many lookalikes (default 3; 20 with --segment).
    #[arg(long)]
    pub top: Option<usize>,
    /// Keep only lookalikes scoring at least this (0 to 1 for euclidean, -1 to 1 for cosine).
    #[arg(long, allow_hyphen_values = true)]
    pub min_score: Option<f64>,
    /// How lookalikes are scored: euclidean (1 / (1 + distance), size counts) or cosine
    /// (direction only).
    #[arg(long, value_enum, default_value = "euclidean")]
    pub metric: Metric,
    #[command(flatten)]
    pub model: ModelArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the result to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    pub data: Option<PathBuf>,
    #[arg(long)]
    pub k: usize,
    /// Split date (YYYY-MM-DD); default: three months before the last purchase.
    #[arg(long)]
    pub split: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    pub data: Option<PathBuf>,
    #[arg(long)]
    pub k: usize,
    /// Folder for customer_segments.csv, segment_summary.csv, Lookalike.csv, features.csv and
    /// model.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// How Lookalike.csv scores lookalikes (see segscope lookalike --help).
    #[arg(long, value_enum, default_value = "euclidean")]
    pub metric: Metric,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// Dataset whose customers to label; defaults to the bundled sample.
    pub data: Option<PathBuf>,
    /// model.json written by segscope export.
    #[arg(long)]
    pub model: PathBuf,
    /// Write CustomerID,segment,persona here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Dataset (folder, transaction file, spreadsheet, folder of part files, or - for stdin).
    pub data: Option<PathBuf>,
    /// Output format (text or json).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct EdaArgs {
    /// Dataset (folder or transaction file); defaults to the bundled sample.
    pub data: Option<PathBuf>,
    /// Output format. CSV puts each table after a "# name" line; use --table for one table.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Print only these tables (by name, e.g. monthly). Repeatable.
    #[arg(long = "table", value_name = "NAME")]
    pub tables: Vec<String>,
    /// Rows of each ranked table (top products, category pairs) the text output shows
    /// (default 10; CSV and JSON have every row).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Number of customers.
    #[arg(long)]
    pub customers: usize,
    /// Number of transactions (default: ten per customer).
    #[arg(long)]
    pub transactions: Option<usize>,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Folder to write Customers.csv, Products.csv and Transactions.csv into.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace existing files in the folder.
    #[arg(long)]
    pub force: bool,
}

/// Where a value command writes and how.
#[derive(Debug, Args, Clone)]
pub struct ValueOut {
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the result to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace --out if it is a regular file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(after_help = RFM_HELP)]
pub struct RfmArgs {
    /// Dataset (folder or transaction file); defaults to the bundled sample.
    pub data: Option<PathBuf>,
    /// Score levels per measure (default: what the rules are written for, 5 by default).
    #[arg(long, value_name = "N")]
    pub bins: Option<u8>,
    /// The named segments' rules (TOML; see below), replacing the defaults.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    #[command(flatten)]
    pub output: ValueOut,
}

/// How RFM scores and segments are defined, under `rfm --help`.
pub const RFM_HELP: &str =
    "Scores (R rfm 0.3's rfm_table_order): each of recency_days, frequency (distinct orders)
and monetary (net spend) is cut at its type-7 quantiles 1/N ... (N-1)/N, intervals [low, high)
from the minimum to the maximum + 1, so equal values share a score; recency is reversed (the
most recent score N). rfm = 100 R + 10 F + M.
Segments: the first rule a customer matches names it, else Others. The default rules:
  Champions R4-5 F4-5 M4-5          Need Attention R2-3 F2-3 M2-3
  Loyal Customers R2-5 F3-5 M3-5    About To Sleep R2-3 F1-2 M1-2
  Potential Loyalist R3-5 F1-3 M1-3 At Risk R1-2 F2-5 M2-5
  New Customers R4-5 F1 M1          Can't Lose Them R1 F4-5 M4-5
  Promising R3-4 F1 M1              Lost R1-2 F1-2 M1-2
A rules file: bins = 5, then per segment
  [[segment]]
  name = \"Champions\"
  r = [4, 5]
  f = [4, 5]
  m = [4, 5]";

#[derive(Debug, Args)]
pub struct ClvArgs {
    /// Dataset (folder or transaction file); defaults to the bundled sample.
    pub data: Option<PathBuf>,
    /// End of the calibration period (YYYY-MM-DD, inclusive); default the last purchase day.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Days ahead the expected purchases and CLV count.
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub horizon: u32,
    /// Monthly discount rate of the CLV (lifetimes' discount_rate).
    #[arg(long, value_name = "RATE", default_value_t = 0.01)]
    pub discount: f64,
    /// Compare predicted with actual purchases from --until to this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub holdout: Option<String>,
    /// Also total the values per K-means segment at this K (default features and seed).
    #[arg(long)]
    pub k: Option<usize>,
    #[command(flatten)]
    pub output: ValueOut,
}

#[derive(Debug, Args)]
pub struct CohortsArgs {
    /// Dataset (folder or transaction file); defaults to the bundled sample.
    pub data: Option<PathBuf>,
    /// What each cell holds: the share of the cohort that bought, or its revenue.
    #[arg(long, value_enum, default_value = "customers")]
    pub metric: CohortMetric,
    #[command(flatten)]
    pub output: ValueOut,
}
