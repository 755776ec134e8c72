//! What loading did to the data, counted, so the analyst can see what was dropped and why.

use serde::Serialize;

/// Every quirk found while loading, with how many rows it touched.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
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
    /// Files whose bytes were not UTF-8 and were read as Latin-1.
    pub latin1_files: Vec<String>,
    /// Other facts worth knowing (derived columns, assumptions).
    pub notes: Vec<String>,
}

impl LoadReport {
    /// Each count with a label saying what happened to those rows, in a stable order.
    pub fn entries(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("rows read", self.rows_read),
            ("purchase lines used", self.purchase_lines),
            ("exact duplicate rows (dropped)", self.duplicate_rows),
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
        ]
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
