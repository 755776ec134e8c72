//! Numbers for people: the one formatting every pane and the text output use, so a figure reads
//! the same everywhere ("84.6%" in EDA and Segments alike). CSV and JSON never come through here:
//! they keep full, unformatted values for the programs that read them.

use crate::analysis::Value;

/// Digits grouped by thousands: 1234567 -> "1,234,567".
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A real number with `decimals` places and grouped thousands: 10642110.8 -> "10,642,110.80".
pub fn grouped(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return not_finite(x);
    }
    let fixed = format!("{:.*}", decimals, x.abs());
    let (whole, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let sign = if x < 0.0 && fixed.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    let whole = count(whole.parse::<i64>().unwrap_or(i64::MAX));
    if frac.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac}")
    }
}

/// Money: two decimals, grouped thousands.
pub fn money(x: f64) -> String {
    grouped(x, 2)
}

/// A fraction as a percentage with one decimal: 0.8459 -> "84.6%". Tiny non-zero shares say
/// "<0.1%" so they do not read as nothing.
pub fn share(x: f64) -> String {
    if !x.is_finite() {
        return not_finite(x);
    }
    let pct = x * 100.0;
    if pct != 0.0 && pct.abs() < 0.05 {
        return if pct > 0.0 { "<0.1%" } else { "-<0.1%" }.to_string();
    }
    format!("{}%", grouped(pct, 1))
}

/// Any other real number: whole numbers grouped, others with as many decimals as their size
/// needs to keep about four significant digits (0.01234, 1.234, 123.4, 12,345).
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return not_finite(x);
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return grouped(x, 0);
    }
    let a = x.abs();
    let decimals = if a >= 1000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else if a >= 0.1 {
        3
    } else if a >= 0.001 {
        4
    } else {
        return format!("{x:.2e}");
    };
    trim_zeros(grouped(x, decimals))
}

/// "2.500" -> "2.5": the places [`number`] adds are for small values, not for show.
fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The short form for narrow cells: 1234567 -> "1.23M", 45600 -> "45.6k"; below ten thousand
/// as [`number`] gives them ("8,170", "279.5").
pub fn compact(x: f64) -> String {
    if !x.is_finite() {
        return not_finite(x);
    }
    let a = x.abs();
    if a >= 1e12 {
        format!("{:.2}T", x / 1e12)
    } else if a >= 1e9 {
        format!("{:.2}B", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else {
        number(x)
    }
}

fn not_finite(x: f64) -> String {
    if x.is_nan() {
        "n/a".to_string()
    } else if x > 0.0 {
        "∞".to_string()
    } else {
        "-∞".to_string()
    }
}

/// A cell as people read it.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Int(i) => count(*i),
        Value::Money(x) => money(*x),
        Value::Share(x) => share(*x),
        Value::Num(x) => number(*x),
        Value::Text(s) => s.clone(),
        Value::Null => String::new(),
    }
}

/// A cell in at most `width` characters: the full form when it fits, else the compact one
/// (shares always fit their short form). Text is left to the caller to cut.
pub fn cell_within(v: &Value, width: usize) -> String {
    let full = cell(v);
    if full.chars().count() <= width {
        return full;
    }
    match v {
        Value::Int(i) => compact(*i as f64),
        Value::Money(x) | Value::Num(x) => compact(*x),
        Value::Share(x) => format!("{:.0}%", x * 100.0),
        _ => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(-1234567), "-1,234,567");
        assert_eq!(count(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn money_has_cents_and_groups() {
        assert_eq!(money(10642110.8), "10,642,110.80");
        assert_eq!(money(-0.004), "0.00");
        assert_eq!(money(-1234.5), "-1,234.50");
        assert_eq!(money(0.999), "1.00");
    }

    #[test]
    fn shares_read_as_percentages() {
        assert_eq!(share(0.8459), "84.6%");
        assert_eq!(share(1.0), "100.0%");
        assert_eq!(share(0.0), "0.0%");
        assert_eq!(share(0.0001), "<0.1%");
        assert_eq!(share(f64::NAN), "n/a");
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(number(4310.0), "4,310");
        assert_eq!(number(8170.29), "8,170");
        assert_eq!(number(279.53), "279.5");
        assert_eq!(number(0.12345), "0.123");
        assert_eq!(number(-0.0123), "-0.0123");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(compact(8170.29), "8,170");
        assert_eq!(compact(1_234_567.0), "1.23M");
    }

    #[test]
    fn narrow_cells_get_the_compact_form() {
        assert_eq!(cell_within(&Value::Money(10642110.8), 20), "10,642,110.80");
        assert_eq!(cell_within(&Value::Money(10642110.8), 8), "10.64M");
        assert_eq!(cell_within(&Value::Int(45_600), 5), "45.6k");
        assert_eq!(cell_within(&Value::Share(0.8459), 4), "85%");
    }
}
