//! Every command and flag, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

/// Customer analytics in the terminal: what sells where and when, which kinds of customers
/// exist, and who looks like whom.
#[derive(Debug, Parser)]
#[command(name = "segscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Dataset to open: a folder (Customers.csv, Products.csv, Transactions.csv) or one
    /// transaction log (.csv, .csv.gz, .parquet). Defaults to the bundled sample.
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// How to read a dataset.
#[derive(Debug, Args, Clone, Default)]
pub struct LoadArgs {
    /// Map a role to a column: --map customer="Customer ID". Roles: customer_id,
    /// customer_name, order_id, date, quantity, unit_price, amount, product_id, product_name,
    /// category, region, signup_date. Repeatable.
    #[arg(long = "map", value_name = "ROLE=COLUMN", global = true)]
    pub map: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every EDA table.
    Eda(EdaArgs),
    /// Generate a synthetic dataset in the eCommerce Transactions layout.
    Sample(SampleArgs),
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
