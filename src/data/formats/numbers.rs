//! Numbers as real exports write them: decimal commas, thousands separators, currency symbols
//! and codes, parentheses for negatives. A column's convention is decided once from its values
//! ([`infer`]), then every value is read the same way ([`parse`]).

use serde::Serialize;

/// How one column writes its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NumberFormat {
    /// The decimal mark: '.' or ','.
    pub decimal: char,
    /// The thousands separator, if values use one (',', '.', ' ' or '\'').
    pub grouping: Option<char>,
    /// Some values carry a currency symbol or code ("$", "£", "€", "USD").
    pub currency: bool,
    /// Some values are negative in parentheses: "(12.00)".
    pub parentheses: bool,
}

impl NumberFormat {
    /// Plain numbers, as a CSV parser reads them.
    pub const PLAIN: NumberFormat = NumberFormat {
        decimal: '.',
        grouping: None,
        currency: false,
        parentheses: false,
    };

    /// Whether values need more than a plain number parse.
    pub fn is_plain(&self) -> bool {
        *self == NumberFormat::PLAIN
    }

    /// What the conversion does, for the LoadReport and `inspect`.
    pub fn describe(&self) -> String {
        let mut parts = vec![if self.decimal == ',' {
            "decimal comma".to_string()
        } else {
            "decimal point".to_string()
        }];
        match self.grouping {
            Some(' ') => parts.push("space as thousands separator".into()),
            Some(g) => parts.push(format!("'{g}' as thousands separator")),
            None => {}
        }
        if self.currency {
            parts.push("currency symbols/codes removed".into());
        }
        if self.parentheses {
            parts.push("(x) read as -x".into());
        }
        parts.join(", ")
    }
}

/// Symbols that may lead or trail an amount.
const SYMBOLS: &[char] = &['$', '£', '€', '¥', '₹', '₩', '₽', '¢'];

/// Spaces that may separate thousands or a currency from the number.
fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\t'
}

/// A value split into sign, and the digits with their separators, currency and parentheses
/// removed; `None` when something other than a number is left.
struct Core<'a> {
    negative: bool,
    currency: bool,
    parentheses: bool,
    digits: &'a str,
}

/// Strips a currency symbol or three-letter code from either end of `s`.
fn strip_currency(s: &str) -> (&str, bool) {
    let s = s.trim_matches(is_space);
    if let Some(rest) = s.strip_prefix(SYMBOLS) {
        return (rest.trim_matches(is_space), true);
    }
    if let Some(rest) = s.strip_suffix(SYMBOLS) {
        return (rest.trim_matches(is_space), true);
    }
    let code = |t: &str| t.len() == 3 && t.bytes().all(|b| b.is_ascii_uppercase());
    if s.len() > 3 && s.is_char_boundary(3) && code(&s[..3]) {
        return (s[3..].trim_matches(is_space), true);
    }
    if s.len() > 3 && s.is_char_boundary(s.len() - 3) && code(&s[s.len() - 3..]) {
        return (s[..s.len() - 3].trim_matches(is_space), true);
    }
    (s, false)
}

fn core(value: &str) -> Option<Core<'_>> {
    let mut s = value.trim_matches(is_space);
    let mut parentheses = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        parentheses = true;
        s = inner;
    }
    let (mut s, mut currency) = strip_currency(s);
    let mut negative = parentheses;
    for sign in ['-', '+'] {
        if let Some(rest) = s.strip_prefix(sign) {
            negative ^= sign == '-';
            s = rest.trim_matches(is_space);
            // "-$12.00": the symbol may follow the sign.
            let (rest, c) = strip_currency(s);
            s = rest;
            currency |= c;
            break;
        }
    }
    let ok = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && s.chars().last().is_some_and(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '\'') || is_space(c));
    ok.then_some(Core {
        negative,
        currency,
        parentheses,
        digits: s,
    })
}

/// Reads `value` in format `f`; `None` when it is not a number written that way.
pub fn parse(value: &str, f: NumberFormat) -> Option<f64> {
    if f.is_plain() {
        return value.trim().parse::<f64>().ok();
    }
    let c = core(value)?;
    let mut clean = String::with_capacity(c.digits.len() + 1);
    if c.negative {
        clean.push('-');
    }
    let mut seen_decimal = false;
    let mut group_len: Option<usize> = None;
    let mut run = 0usize;
    for ch in c.digits.chars() {
        if ch.is_ascii_digit() {
            clean.push(ch);
            run += 1;
        } else if ch == f.decimal && !seen_decimal {
            if group_len.is_some() && run != 3 {
                return None;
            }
            seen_decimal = true;
            clean.push('.');
            run = 0;
        } else if Some(ch) == f.grouping || (f.grouping == Some(' ') && is_space(ch)) {
            // Groups of three after the first, never after the decimal mark.
            if seen_decimal || run == 0 || group_len.is_some() && run != 3 || run > 3 {
                return None;
            }
            group_len = Some(3);
            run = 0;
        } else {
            return None;
        }
    }
    if group_len.is_some() && !seen_decimal && run != 3 {
        return None;
    }
    clean.parse::<f64>().ok()
}

/// What one value says about the decimal mark.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Evidence {
    /// Only digits: says nothing.
    None,
    Point,
    Comma,
    /// One separator followed by exactly three digits ("1,234"): a thousands group or a
    /// decimal mark.
    Either(char),
}

fn evidence(digits: &str) -> (Evidence, Option<char>) {
    let commas = digits.matches(',').count();
    let points = digits.matches('.').count();
    let spaced = digits.chars().any(is_space);
    let apostrophe = digits.contains('\'');
    let group = if spaced {
        Some(' ')
    } else if apostrophe {
        Some('\'')
    } else {
        None
    };
    let last = |c: char| digits.rfind(c).unwrap_or(0);
    let after = |c: char| digits.len() - last(c) - 1;
    match (commas, points) {
        (0, 0) => (Evidence::None, group),
        (c, p) if c > 0 && p > 0 => {
            if last(',') > last('.') {
                (Evidence::Comma, Some('.'))
            } else {
                (Evidence::Point, Some(','))
            }
        }
        (1, 0) if after(',') == 3 && group.is_none() => (Evidence::Either(','), None),
        (1, 0) => (Evidence::Comma, group),
        (0, 1) if after('.') == 3 && group.is_none() => (Evidence::Either('.'), None),
        (0, 1) => (Evidence::Point, group),
        // Several of one kind: thousands groups.
        (_, 0) => (Evidence::Point, Some(',')),
        (0, _) => (Evidence::Comma, Some('.')),
        _ => (Evidence::None, group),
    }
}

/// Why a column's numbers cannot be read one way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mixed {
    pub point: String,
    pub comma: String,
}

/// Decides how a column writes its numbers from `values` (a sample, non-empty ones).
/// `semicolon`: the file is `;`-delimited, where "1,234" is a decimal comma (European
/// exports); elsewhere a lone ",ddd" is a thousands group. Values that fit no number shape
/// are ignored here (they are counted as non-numeric when read).
pub fn infer<'a>(
    values: impl IntoIterator<Item = &'a str>,
    semicolon: bool,
) -> Result<NumberFormat, Mixed> {
    let mut f = NumberFormat::PLAIN;
    let (mut point, mut comma): (Option<&str>, Option<&str>) = (None, None);
    let mut either: Option<char> = None;
    let mut any_plain_fail = false;
    for v in values {
        if v.trim().parse::<f64>().is_ok() && !v.contains(',') {
            // Plain values still tell "1.234" from "1.5" only together with the others.
            if let Some(c) = core(v) {
                note(&mut f, &mut point, &mut comma, &mut either, v, &c);
            }
            continue;
        }
        any_plain_fail = true;
        if let Some(c) = core(v) {
            f.currency |= c.currency;
            f.parentheses |= c.parentheses;
            note(&mut f, &mut point, &mut comma, &mut either, v, &c);
        }
    }
    if !any_plain_fail {
        return Ok(NumberFormat::PLAIN);
    }
    if let (Some(p), Some(c)) = (point, comma) {
        return Err(Mixed {
            point: p.to_string(),
            comma: c.to_string(),
        });
    }
    f.decimal = if comma.is_some() {
        ','
    } else if point.is_some() {
        '.'
    } else {
        match either {
            Some(_) if semicolon => ',',
            _ => '.',
        }
    };
    if let Some(sep) = either {
        // "1,234" with a decimal point elsewhere: the comma groups thousands.
        if sep != f.decimal && f.grouping.is_none() {
            f.grouping = Some(sep);
        }
    }
    if f.grouping == Some(f.decimal) {
        f.grouping = None;
    }
    Ok(f)
}

fn note<'a>(
    f: &mut NumberFormat,
    point: &mut Option<&'a str>,
    comma: &mut Option<&'a str>,
    either: &mut Option<char>,
    v: &'a str,
    c: &Core<'_>,
) {
    let (e, group) = evidence(c.digits);
    match e {
        Evidence::Point => *point = point.or(Some(v)),
        Evidence::Comma => *comma = comma.or(Some(v)),
        Evidence::Either(sep) => *either = either.or(Some(sep)),
        Evidence::None => {}
    }
    if f.grouping.is_none() {
        f.grouping = group;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(values: &[&str], semicolon: bool) -> Vec<Option<f64>> {
        let f = infer(values.iter().copied(), semicolon).unwrap();
        values.iter().map(|v| parse(v, f)).collect()
    }

    #[test]
    fn plain_numbers_stay_plain() {
        let f = infer(["1.5", "2", "-3e2", "1.234"], false).unwrap();
        assert!(f.is_plain());
        assert_eq!(parse(" 1.5 ", f), Some(1.5));
    }

    #[test]
    fn decimal_commas_and_thousands_points() {
        assert_eq!(
            read(&["261,96", "1.234,50", "3"], true),
            [Some(261.96), Some(1234.5), Some(3.0)]
        );
        assert_eq!(
            read(&["261,96", "1.234,50"], false),
            [Some(261.96), Some(1234.5)],
            "the values alone settle a decimal comma"
        );
        assert_eq!(read(&["1,234", "2,5"], true), [Some(1.234), Some(2.5)]);
        assert_eq!(
            read(&["1 234,50", "12,00"], true),
            [Some(1234.5), Some(12.0)]
        );
        assert_eq!(
            read(&["1\u{a0}234,50", "7,25"], true),
            [Some(1234.5), Some(7.25)]
        );
    }

    #[test]
    fn thousands_commas_currency_and_parentheses() {
        assert_eq!(
            read(&["1,234.50", "12.00", "1,000,000"], false),
            [Some(1234.5), Some(12.0), Some(1_000_000.0)]
        );
        let vals = [
            "$1,234.50",
            "£12.00",
            "€3.50",
            "USD 12.00",
            "(12.00)",
            "-$4.00",
            "12 EUR",
        ];
        assert_eq!(
            read(&vals, false),
            [
                Some(1234.5),
                Some(12.0),
                Some(3.5),
                Some(12.0),
                Some(-12.0),
                Some(-4.0),
                Some(12.0)
            ]
        );
        let f = infer(vals.iter().copied(), false).unwrap();
        assert!(f.currency && f.parentheses);
        assert!(f.describe().contains("currency"));
    }

    #[test]
    fn bad_groups_and_text_are_not_numbers() {
        let f = NumberFormat {
            grouping: Some(','),
            ..NumberFormat::PLAIN
        };
        for bad in [
            "1,23.5",
            "12,3456",
            "abc",
            "",
            "1.2.3",
            "(",
            "$",
            "1,,000",
            "1,234.5,6",
        ] {
            assert_eq!(parse(bad, f), None, "{bad}");
        }
    }

    #[test]
    fn mixed_marks_are_refused() {
        let e = infer(["1.5", "2,5"], false).unwrap_err();
        assert_eq!((e.point.as_str(), e.comma.as_str()), ("1.5", "2,5"));
    }

    /// `x` (cents) written with `decimal`, `group` every three digits and a currency.
    fn written(
        cents: i64,
        decimal: char,
        group: Option<char>,
        currency: &str,
        parens: bool,
    ) -> String {
        let (units, rest) = (cents.abs() / 100, cents.abs() % 100);
        let digits = units.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if let Some(g) = group
                && i > 0
                && (digits.len() - i) % 3 == 0
            {
                grouped.push(g);
            }
            grouped.push(c);
        }
        let body = format!("{currency}{grouped}{decimal}{rest:02}");
        match (cents < 0, parens) {
            (true, true) => format!("({body})"),
            (true, false) => format!("-{body}"),
            _ => body,
        }
    }

    proptest::proptest! {
        #[test]
        fn written_amounts_read_back(
            cents in proptest::collection::vec(-10_000_000_000i64..10_000_000_000, 1..20),
            style in 0usize..5,
            currency in proptest::sample::select(vec!["", "$", "€ ", "USD "]),
            parens in proptest::bool::ANY,
        ) {
            let (decimal, group, semicolon) = [
                ('.', None, false),
                ('.', Some(','), false),
                (',', Some('.'), true),
                (',', Some(' '), true),
                (',', None, true),
            ][style];
            let values: Vec<String> =
                cents.iter().map(|&c| written(c, decimal, group, currency, parens)).collect();
            let f = infer(values.iter().map(String::as_str), semicolon).unwrap();
            for (v, &c) in values.iter().zip(&cents) {
                let got = parse(v, f).unwrap_or(f64::NAN);
                proptest::prop_assert!((got - c as f64 / 100.0).abs() < 1e-6, "{v} -> {got} ({f:?})");
            }
        }

        #[test]
        fn any_text_is_a_number_or_not_without_panic(values in proptest::collection::vec(".{0,12}", 0..8)) {
            for semicolon in [false, true] {
                if let Ok(f) = infer(values.iter().map(String::as_str), semicolon) {
                    for v in &values {
                        let _ = parse(v, f);
                    }
                }
            }
        }
    }
}
