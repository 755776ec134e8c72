//! What loading did to the data, counted, so the analyst can see what was dropped and why.

use serde::Serialize;

/// One thing loading did: a count of rows with a label, or a sentence.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadFact {
    Count(&'static str, usize),
    Text(&'static str, String),
}

impl LoadFact {
    pub fn label(&self) -> &'static str {
        match self {
            LoadFact::Count(l, _) | LoadFact::Text(l, _) => l,
        }
    }
}

/// Every quirk found while loading, with how many rows it touched.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct LoadReport {
    /// The dataset as given (path, or "bundled sample").
    pub source: String,
    pub layout: String,
    /// Role -> source column, for each file read.
    pub roles: Vec<(String, String, String)>,
    /// Data rows in the transaction file(s), before anything was removed.
    pub rows_read: usize,
    /// Rows that survived as purchase lines.
    pub purchase_lines: usize,
    /// Exact copies of an earlier row: dropped.
    pub duplicate_rows: usize,
    /// Cancellations and returns (invoice "C…" or quantity < 0): kept apart from purchases.
    pub return_lines: usize,
    /// Purchase lines with no customer id: kept for product and time tables, left out of
    /// customer-level ones.
    pub missing_customer: usize,
    /// Ids written as floats ("17850.0"), read as "17850".
    pub float_ids: usize,
    /// Rows with no date: dropped.
    pub missing_date: usize,
    /// Rows whose date does not parse: dropped.
    pub unparseable_date: usize,
    /// Missing, non-numeric, NaN or infinite quantity, unit price or amount: dropped.
    pub bad_numbers: usize,
    /// Quantity 0: dropped.
    pub zero_quantity: usize,
    /// Quantity, price or amount beyond ±1e15 (an export error; sums could overflow): dropped.
    pub out_of_range: usize,
    /// Unit price zero or negative (free items, adjustments): dropped.
    pub nonpositive_price: usize,
    /// Transactions whose product is not in the product file: kept, without name or category.
    pub unknown_product: usize,
    /// Transactions whose customer is not in the customer file: kept, without region.
    pub unknown_customer: usize,
    /// Repeated ids in the customer or product file: the first row of each is used.
    pub duplicate_ids: usize,
    /// Signup dates that are missing or do not parse: left empty.
    pub bad_signup_dates: usize,
    /// Identical lines in a log without an order id: separate purchases, kept.
    pub identical_lines_kept: usize,
    /// Customers a log names only on lines that are not purchases (returns, dropped lines).
    pub customers_without_purchases: usize,
    /// Files whose bytes were not UTF-8 and were read as Latin-1.
    pub latin1_files: Vec<String>,
    /// Columns whose values needed more than a plain read (decimal commas, currency, dates).
    pub conversions: Vec<Conversion>,
    /// How each file was read (file, dialect).
    pub dialects: Vec<(String, super::read::Dialect)>,
    /// Product codes that are fees or adjustments, not products: left out of product tables.
    pub non_products: Vec<NonProduct>,
    /// For each reason that dropped more than 1% of rows: (reason, its first offending value).
    pub first_losses: Vec<(String, String)>,
    /// Other facts worth knowing (derived columns, assumptions).
    pub notes: Vec<String>,
}

/// A column read other than plainly, named so the analyst can check it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Conversion {
    pub file: String,
    pub column: String,
    pub role: String,
    /// What was done: "decimal comma, '.' as thousands separator", "dates read as %d/%m/%y".
    pub what: String,
    /// One value and what it became.
    pub example: Option<String>,
}

impl Conversion {
    pub fn describe(&self) -> String {
        let example = self
            .example
            .as_ref()
            .map_or(String::new(), |e| format!(" ({e})"));
        format!(
            "{}: column {:?} ({}): {}{example}",
            self.file, self.column, self.role, self.what
        )
    }
}

/// A product code that is a fee or an adjustment (postage, bank charges, manual lines).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NonProduct {
    pub code: String,
    pub lines: usize,
    pub revenue: f64,
}

impl Eq for NonProduct {}

/// One reason that dropped more than 1% of the rows: said on stderr and in the Overview.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Loss {
    pub reason: String,
    pub rows: usize,
    pub share: f64,
    pub first_value: Option<String>,
    pub fix: String,
}

impl Loss {
    /// One line: the source, then [`Loss::summary`].
    pub fn describe(&self, source: &str) -> String {
        format!("{source}: {}", self.summary())
    }

    /// Count, share, reason, first value, fix.
    pub fn summary(&self) -> String {
        let first = self
            .first_value
            .as_ref()
            .map_or(String::new(), |v| format!(" (first: {v})"));
        format!(
            "{} of the rows ({:.1}%) dropped: {}{first}; {}",
            self.rows,
            self.share * 100.0,
            self.reason,
            self.fix
        )
    }
}

/// The reasons a loss is said with, named once: cleaning keys each reason's first offending
/// value by them and [`LoadReport::losses`] finds it by them.
pub mod reason {
    pub const BAD_DATE: &str = "unparseable date";
    pub const MISSING_DATE: &str = "missing date";
    pub const BAD_NUMBER: &str = "missing or non-numeric quantity/price/amount";
    pub const ZERO_QUANTITY: &str = "zero quantity";
    pub const OUT_OF_RANGE: &str = "quantity/price/amount beyond ±1e15";
    pub const NONPOSITIVE_PRICE: &str = "zero or negative unit price";
    pub const DUPLICATE: &str = "exact duplicate rows";
}

/// Above this share of the rows read, a reason's loss is said out loud.
pub const LOUD_LOSS: f64 = 0.01;

impl LoadReport {
    /// Every reason that dropped more than 1% of the rows read.
    pub fn losses(&self) -> Vec<Loss> {
        let read = self.rows_read.max(1) as f64;
        let first = |reason: &str| {
            self.first_losses
                .iter()
                .find(|(r, _)| r == reason)
                .map(|(_, v)| v.clone())
        };
        [
            (reason::BAD_DATE, self.unparseable_date, "give the format with --date-format FMT, or point --map date=COLUMN at the right column"),
            (reason::MISSING_DATE, self.missing_date, "point --map date=COLUMN at a column that has every date"),
            (reason::BAD_NUMBER, self.bad_numbers, "check the columns with segscope inspect, or point --map quantity=/unit_price=/amount=COLUMN at the right ones"),
            (reason::ZERO_QUANTITY, self.zero_quantity, "check --map quantity=COLUMN"),
            (reason::OUT_OF_RANGE, self.out_of_range, "check the columns with segscope inspect (a misread decimal or thousands mark?)"),
            (reason::NONPOSITIVE_PRICE, self.nonpositive_price, "check --map unit_price=COLUMN or --map amount=COLUMN"),
            (reason::DUPLICATE, self.duplicate_rows, "if repeated lines are real purchases, the order id column is not one: --map order_id=COLUMN"),
        ]
        .into_iter()
        .filter(|(_, n, _)| *n as f64 > LOUD_LOSS * read)
        .map(|(reason, rows, fix)| Loss {
            reason: reason.to_string(),
            rows,
            share: rows as f64 / read,
            first_value: first(reason),
            fix: fix.to_string(),
        })
        .collect()
    }

    /// Rows kept as purchases or returns, out of those read.
    pub fn kept_share(&self) -> f64 {
        if self.rows_read == 0 {
            return 1.0;
        }
        (self.purchase_lines + self.return_lines) as f64 / self.rows_read as f64
    }

    /// Each count with a label saying what happened to those rows, in a stable order.
    pub fn entries(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("rows read", self.rows_read),
            ("purchase lines used", self.purchase_lines),
            ("exact duplicate rows (dropped)", self.duplicate_rows),
            (
                "identical lines without an order id (kept as purchases)",
                self.identical_lines_kept,
            ),
            ("cancellations/returns (kept apart)", self.return_lines),
            (
                "lines without customer id (kept, not in customer tables)",
                self.missing_customer,
            ),
            ("ids written as floats (read as integers)", self.float_ids),
            ("missing date (dropped)", self.missing_date),
            ("unparseable date (dropped)", self.unparseable_date),
            (
                "missing or non-numeric quantity/price/amount (dropped)",
                self.bad_numbers,
            ),
            ("zero quantity (dropped)", self.zero_quantity),
            (
                "quantity/price/amount beyond ±1e15 (dropped)",
                self.out_of_range,
            ),
            (
                "zero or negative unit price (dropped)",
                self.nonpositive_price,
            ),
            (
                "unknown product id (kept, no category)",
                self.unknown_product,
            ),
            (
                "unknown customer id (kept, no region)",
                self.unknown_customer,
            ),
            (
                "repeated ids in customer/product file (first kept)",
                self.duplicate_ids,
            ),
            (
                "missing or unparseable signup date (left empty)",
                self.bad_signup_dates,
            ),
            (
                "customers with no purchase line (returns or dropped lines only)",
                self.customers_without_purchases,
            ),
            (
                "fee/adjustment lines (left out of product tables)",
                self.non_products.iter().map(|n| n.lines).sum(),
            ),
        ]
    }

    /// Everything loading did, typed: the counts of [`LoadReport::entries`], then the files
    /// read as Latin-1, the loud losses, the conversions, the fee codes and the notes. The
    /// overview table (`load: …` rows) and the TUI's "What loading did" both read these.
    pub fn facts(&self, source: &str) -> Vec<LoadFact> {
        let mut out: Vec<LoadFact> = self
            .entries()
            .into_iter()
            .map(|(label, n)| LoadFact::Count(label, n))
            .collect();
        let text = |label: &'static str, t: String| LoadFact::Text(label, t);
        out.extend(
            self.latin1_files
                .iter()
                .map(|f| text("read as Latin-1 (not UTF-8)", f.clone())),
        );
        out.extend(
            self.losses()
                .iter()
                .map(|l| text("warning", l.describe(source))),
        );
        out.extend(
            self.conversions
                .iter()
                .map(|c| text("conversion", c.describe())),
        );
        out.extend(self.non_products.iter().map(|n| {
            text(
                "fee/adjustment code",
                format!("{} ({} lines, {:.2})", n.code, n.lines, n.revenue),
            )
        }));
        out.extend(self.notes.iter().map(|n| text("note", n.clone())));
        out
    }

    /// The non-zero removals in one line, for messages.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .entries()
            .into_iter()
            .skip(2)
            .filter(|(_, n)| *n > 0)
            .map(|(label, n)| format!("{n} {label}"))
            .collect();
        if parts.is_empty() {
            "nothing removed".to_string()
        } else {
            parts.join(", ")
        }
    }
}
