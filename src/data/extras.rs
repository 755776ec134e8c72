//! Extra columns: the columns of a transaction file that map to no role (payment type,
//! installments, profit, discount, channel…). Each is classified once from its values, the
//! same way by `inspect` and by the load, into a number (summed per customer and per order),
//! a text with few values (spend shares per value), or left out with the reason, so no
//! column becomes a feature by guesswork.

use polars::prelude::*;
use serde::Serialize;

use super::formats::{dates, numbers};

/// Text columns with at most this many distinct values give one spend share per value.
pub const MAX_LEVELS: usize = 20;

/// Values sampled to decide a text column's kind (as the numeric roles sample theirs).
const SAMPLE: usize = 5000;

/// The share of sampled values that must read as numbers for a text column to be numeric.
const NUMERIC_SHARE: f64 = 0.98;

/// Words in a header that make a column an identifier or a code, never a quantity.
const ID_WORDS: &[&str] = &[
    "id", "ids", "code", "zip", "postal", "postcode", "phone", "email", "sku", "ean", "upc",
    "uuid", "guid", "ref",
];

/// One extra column and what features it gives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExtraColumn {
    /// The header as the file writes it.
    pub column: String,
    /// Its feature-name stem: the header normalised like every feature name (lower case,
    /// runs of other characters as one `_`).
    pub name: String,
    #[serde(flatten)]
    pub kind: ExtraKind,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExtraKind {
    /// Numbers (after the numeric roles' number parsing): `NAME_total`, `NAME_per_order`.
    Number,
    /// A text with at most [`MAX_LEVELS`] values (sorted): `NAME=VALUE` spend shares.
    Levels { values: Vec<String> },
    /// Not made into features, and why.
    LeftOut { why: String },
}

/// Suffix of the per-customer sum of a numeric extra column.
pub const TOTAL_SUFFIX: &str = "_total";
/// Suffix of the per-customer mean order sum of a numeric extra column.
pub const PER_ORDER_SUFFIX: &str = "_per_order";

impl ExtraColumn {
    /// The column's name in loaded frames (beside the roles' canonical names).
    pub fn key(&self) -> String {
        format!("extra:{}", self.name)
    }

    /// The features it gives, in order.
    pub fn feature_names(&self) -> Vec<String> {
        match &self.kind {
            ExtraKind::Number => vec![
                format!("{}{TOTAL_SUFFIX}", self.name),
                format!("{}{PER_ORDER_SUFFIX}", self.name),
            ],
            ExtraKind::Levels { values } => values
                .iter()
                .map(|v| level_feature(&self.name, v))
                .collect(),
            ExtraKind::LeftOut { .. } => vec![],
        }
    }

    /// How `inspect` and the load's note describe it.
    pub fn describe(&self) -> String {
        match &self.kind {
            ExtraKind::Number => format!("number: features {}", self.feature_names().join(", ")),
            ExtraKind::Levels { values } => format!(
                "text with {} values: spend shares {}",
                values.len(),
                self.feature_names().join(", ")
            ),
            ExtraKind::LeftOut { why } => format!("left out: {why}"),
        }
    }
}

/// The feature of one value of a text column: `payment_type=credit_card`.
pub fn level_feature(stem: &str, value: &str) -> String {
    format!("{stem}={}", slug(value))
}

/// Whether a feature is the amount-like sum of a numeric extra column: skewed like spend, so
/// it gets the same sign-preserving log1p.
pub fn is_extra_amount(feature: &str) -> bool {
    !feature.contains('=')
        && (feature.ends_with(TOTAL_SUFFIX) || feature.ends_with(PER_ORDER_SUFFIX))
}

/// A name made safe and uniform for a feature (the rule of every category, region and extra
/// feature name): ASCII lower case, letters and digits, other runs as one `_`.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// The extra columns of a file: its `headers` that no role in `roles` took, classified.
pub fn of_file(
    df: &DataFrame,
    headers: &[String],
    roles: &super::roles::RoleMap,
    semicolon: bool,
) -> Vec<ExtraColumn> {
    let taken: Vec<&str> = roles.iter().map(|(_, c)| c).collect();
    let free: Vec<String> = headers
        .iter()
        .filter(|h| !taken.contains(&h.as_str()))
        .cloned()
        .collect();
    classify_all(df, &free, semicolon)
}

/// The words of a header: split at non-alphanumerics and at lower-to-upper case changes
/// ("OrderLineID" → order, line, id), lower case.
fn words(header: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in header.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Classifies the columns of `df` named in `columns` (those no role took). `semicolon`: the
/// file is `;`-delimited (a lone ",ddd" is then a decimal comma). Stems that two headers
/// share get a numbered suffix, so every feature name stays unique.
pub fn classify_all(df: &DataFrame, columns: &[String], semicolon: bool) -> Vec<ExtraColumn> {
    let mut out: Vec<ExtraColumn> = Vec::new();
    for c in columns {
        let Ok(values) = df.column(c) else { continue };
        let mut name = slug(c);
        if name.is_empty() {
            name = "column".into();
        }
        let base = name.clone();
        let mut n = 2;
        while out.iter().any(|e| e.name == name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        out.push(ExtraColumn {
            column: c.clone(),
            name,
            kind: classify(c, values, semicolon),
        });
    }
    out
}

/// What one extra column can give, from its header and its values.
pub fn classify(header: &str, values: &Column, semicolon: bool) -> ExtraKind {
    let left_out = |why: String| ExtraKind::LeftOut { why };
    if words(header).iter().any(|w| ID_WORDS.contains(&w.as_str())) {
        return left_out("an identifier or code by its name".into());
    }
    let present = values.len() - values.null_count();
    if present == 0 {
        return left_out("empty".into());
    }
    let dtype = values.dtype();
    if dtype.is_integer() {
        let distinct = values.n_unique().unwrap_or(0) - usize::from(values.null_count() > 0);
        if distinct == present && present > MAX_LEVELS {
            return left_out("every value is different: an identifier".into());
        }
        return ExtraKind::Number;
    }
    if dtype.is_float() {
        return ExtraKind::Number;
    }
    if dtype.is_temporal() {
        return left_out("a date or time".into());
    }
    let text = match values.cast(&DataType::String) {
        Ok(t) => t,
        Err(_) => return left_out(format!("values of type {dtype}")),
    };
    let Ok(text) = text.str() else {
        return left_out(format!("values of type {dtype}"));
    };
    classify_text(text, semicolon)
}

/// A text column's kind: numbers written as text, dates, or at most [`MAX_LEVELS`] values.
fn classify_text(text: &StringChunked, semicolon: bool) -> ExtraKind {
    let left_out = |why: String| ExtraKind::LeftOut { why };
    let sample = sample_of(text);
    if sample.is_empty() {
        return left_out("empty".into());
    }
    if let Some(kind) = numeric_kind(&sample, semicolon) {
        return kind;
    }
    if looks_like_dates(&sample) {
        return left_out("a date or time".into());
    }
    levels_of(text)
}

/// The trimmed values of a text column as levels, unless there are too many or two would be
/// the same feature name.
fn levels_of(text: &StringChunked) -> ExtraKind {
    let left_out = |why: String| ExtraKind::LeftOut { why };
    let trimmed: StringChunked = text
        .iter()
        .map(|v| v.map(str::trim).filter(|v| !v.is_empty()))
        .collect();
    let distinct = trimmed.n_unique().unwrap_or(0) - usize::from(trimmed.null_count() > 0);
    if distinct > MAX_LEVELS {
        return left_out(format!(
            "{distinct} distinct values (shares are made for at most {MAX_LEVELS})"
        ));
    }
    let mut levels: Vec<String> = trimmed
        .unique()
        .map(|u| u.iter().flatten().map(str::to_string).collect())
        .unwrap_or_default();
    levels.sort();
    // Two values that read as one feature name ("Credit card", "credit_card") would be one
    // column twice: refused rather than merged quietly.
    let mut stems: Vec<String> = levels.iter().map(|v| slug(v)).collect();
    stems.sort();
    if let Some(w) = stems.windows(2).find(|w| w[0] == w[1]) {
        return left_out(format!(
            "two values read as the same feature name {:?}; make them distinct",
            w[0]
        ));
    }
    ExtraKind::Levels { values: levels }
}

/// Up to [`SAMPLE`] non-empty trimmed values, spread over the column.
fn sample_of(text: &StringChunked) -> Vec<&str> {
    let step = (text.len() / SAMPLE).max(1);
    (0..text.len())
        .step_by(step)
        .filter_map(|i| text.get(i))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// A number column (as the numeric roles read numbers), a column with mixed decimal marks
/// (left out, naming them), or neither.
fn numeric_kind(sample: &[&str], semicolon: bool) -> Option<ExtraKind> {
    match numbers::infer(sample.iter().copied(), semicolon) {
        Ok(f) => {
            let read = sample
                .iter()
                .filter(|v| numbers::parse(v, f).is_some())
                .count();
            (read as f64 >= NUMERIC_SHARE * sample.len() as f64).then_some(ExtraKind::Number)
        }
        Err(m) => Some(ExtraKind::LeftOut {
            why: format!(
                "mixes decimal points and decimal commas ({:?} and {:?})",
                m.point, m.comma
            ),
        }),
    }
}

/// Whether most sampled values read as dates in one known format.
fn looks_like_dates(sample: &[&str]) -> bool {
    let head: Vec<&str> = sample.iter().copied().take(200).collect();
    match dates::infer(&head) {
        dates::Decision::Formats(f) => !f.is_empty(),
        dates::Decision::Ambiguous { .. } | dates::Decision::Conflict { .. } => true,
        dates::Decision::Unknown => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(header: &str, values: &[&str]) -> ExtraKind {
        let c = Column::new("c".into(), values);
        classify(header, &c, false)
    }

    #[test]
    fn header_words_split_at_case_changes_and_punctuation() {
        assert_eq!(words("OrderLineID"), ["order", "line", "id"]);
        assert_eq!(words("Postal Code"), ["postal", "code"]);
        assert_eq!(words("payment_installments"), ["payment", "installments"]);
        assert_eq!(words("Paid"), ["paid"]);
    }

    #[test]
    fn numbers_levels_and_left_out_columns_are_told_apart() {
        assert_eq!(
            kind("Installments", &["1", "3", "10", "2"]),
            ExtraKind::Number
        );
        assert_eq!(kind("Discount", &["0,2", "1.234,5"]), ExtraKind::Number);
        assert_eq!(
            kind("Payment Type", &["card", " voucher", "card", "boleto"]),
            ExtraKind::Levels {
                values: vec!["boleto".into(), "card".into(), "voucher".into()]
            }
        );
        assert!(matches!(
            kind("Row ID", &["1", "2"]),
            ExtraKind::LeftOut { .. }
        ));
        assert!(matches!(
            kind("Ship Date", &["2024-01-03", "2024-02-11"]),
            ExtraKind::LeftOut { .. }
        ));
        let many: Vec<String> = (0..30).map(|i| format!("note {i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        match kind("Comment", &many) {
            ExtraKind::LeftOut { why } => assert!(why.contains("30 distinct"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            kind("Mode", &["Credit card", "credit_card"]),
            ExtraKind::LeftOut { .. }
        ));
    }

    #[test]
    fn an_integer_column_of_distinct_values_is_an_identifier() {
        let c = Column::new("c".into(), (0..50i64).collect::<Vec<_>>());
        assert!(matches!(
            classify("Line", &c, false),
            ExtraKind::LeftOut { .. }
        ));
        let c = Column::new("c".into(), (0..50i64).map(|i| i % 7).collect::<Vec<_>>());
        assert_eq!(classify("Installments", &c, false), ExtraKind::Number);
    }

    #[test]
    fn stems_are_unique_and_features_named_from_them() {
        let df = df!("Profit" => [1.0, 2.0], "profit " => [3.0, 4.0], "Segment" => ["Home Office", "Consumer"]).unwrap();
        let cols: Vec<String> = ["Profit", "profit ", "Segment"].map(String::from).to_vec();
        let x = classify_all(&df, &cols, false);
        assert_eq!(x[0].feature_names(), ["profit_total", "profit_per_order"]);
        assert_eq!(x[1].name, "profit_2");
        assert_eq!(
            x[2].feature_names(),
            ["segment=consumer", "segment=home_office"]
        );
        assert!(is_extra_amount("profit_total") && !is_extra_amount("segment=x_total"));
    }
}
