//! Dates as real exports write them. A column's format is decided from its values ([`infer`]),
//! never from its first one: day-first against month-first is settled by a value above 12,
//! and when no value settles it the column is refused with both readings named.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};

/// How the text of one date column is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// A chrono format string.
    Text {
        fmt: String,
        /// The format has no time of day.
        date_only: bool,
        /// The format carries a UTC offset ("+02:00", "Z"): read and converted to UTC.
        offset: bool,
    },
    /// Unix epoch seconds.
    EpochSeconds,
    /// Unix epoch milliseconds.
    EpochMillis,
    /// Excel's serial day numbers (days since 1899-12-30, the fraction is the time).
    ExcelSerial,
}

impl DateFormat {
    /// A format given by `--date-format` (a chrono format, or epoch-s, epoch-ms, excel).
    pub fn from_flag(fmt: &str) -> DateFormat {
        match fmt {
            "epoch-s" | "epoch" | "unix" => DateFormat::EpochSeconds,
            "epoch-ms" => DateFormat::EpochMillis,
            "excel" => DateFormat::ExcelSerial,
            _ => text(fmt),
        }
    }

    /// How the format is named in messages and `inspect`.
    pub fn name(&self) -> String {
        match self {
            DateFormat::Text { fmt, .. } => fmt.clone(),
            DateFormat::EpochSeconds => "Unix epoch seconds".into(),
            DateFormat::EpochMillis => "Unix epoch milliseconds".into(),
            DateFormat::ExcelSerial => "Excel serial dates".into(),
        }
    }
}

fn text(fmt: &str) -> DateFormat {
    let date_only = !["%H", "%I", "%M", "%S", "%T", "%R", "%s"]
        .iter()
        .any(|t| fmt.contains(t));
    let offset =
        fmt.contains("%z") || fmt.contains("%:z") || fmt.contains("%#z") || fmt.ends_with('Z');
    DateFormat::Text {
        fmt: fmt.to_string(),
        date_only,
        offset,
    }
}

/// Reads one value in format `f` (UTC for values with an offset). Two-digit years follow
/// POSIX: 69-99 are 1969-1999, 00-68 are 2000-2068 (chrono puts 69 in 2069).
pub fn parse(value: &str, f: &DateFormat) -> Option<NaiveDateTime> {
    let d = parse_chrono(value, f)?;
    match f {
        DateFormat::Text { fmt, .. } if fmt.contains("%y") && d.year() == 2069 => d.with_year(1969),
        _ => Some(d),
    }
}

fn parse_chrono(value: &str, f: &DateFormat) -> Option<NaiveDateTime> {
    let v = value.trim();
    match f {
        DateFormat::Text {
            fmt,
            date_only: true,
            ..
        } => NaiveDate::parse_from_str(v, fmt)
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
        DateFormat::Text {
            fmt, offset: true, ..
        } => {
            if let Some(naive) = fmt.strip_suffix('Z') {
                let v = v.strip_suffix('Z').or_else(|| v.strip_suffix('z'))?;
                NaiveDateTime::parse_from_str(v, naive).ok()
            } else {
                DateTime::parse_from_str(v, fmt).ok().map(|d| d.naive_utc())
            }
        }
        DateFormat::Text { fmt, .. } => NaiveDateTime::parse_from_str(v, fmt).ok(),
        DateFormat::EpochSeconds => epoch(v.parse::<i64>().ok()?, 1),
        DateFormat::EpochMillis => epoch(v.parse::<i64>().ok()?, 1000),
        DateFormat::ExcelSerial => excel(v.parse::<f64>().ok()?),
    }
}

fn epoch(n: i64, per_second: i64) -> Option<NaiveDateTime> {
    let secs = n.div_euclid(per_second);
    let nanos = (n.rem_euclid(per_second) * (1_000_000_000 / per_second)) as u32;
    DateTime::from_timestamp(secs, nanos).map(|d| d.naive_utc())
}

/// An Excel serial number as a date and time (the 1900 date system, which counts a
/// 29 February 1900 that never was: serials from 61 on are days since 1899-12-30).
pub fn excel(serial: f64) -> Option<NaiveDateTime> {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let ms = (serial * 86_400_000.0).round() as i64;
    base.checked_add_signed(chrono::TimeDelta::milliseconds(ms))
}

/// The years a date may fall in: 1900 to next year. Anything else is a misread.
pub fn plausible(d: &NaiveDateTime) -> bool {
    (1900..=next_year()).contains(&d.year())
}

/// Next calendar year, from the system clock.
pub fn next_year() -> i32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    DateTime::from_timestamp(now, 0).map_or(2100, |d| d.year() + 1)
}

/// Day before month, or month before day, for formats with both as numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    DayFirst,
    MonthFirst,
}

struct Candidate {
    format: DateFormat,
    order: Option<Order>,
}

/// Every spelling tried, most specific first within a family.
fn candidates() -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut push = |fmt: String, order: Option<Order>| {
        out.push(Candidate {
            format: text(&fmt),
            order,
        })
    };
    for sep in ["-", "/"] {
        for t in ["T", " "] {
            for tail in [":%S", ":%S%.f", ""] {
                push(format!("%Y{sep}%m{sep}%d{t}%H:%M{tail}"), None);
                if sep == "-" && t == "T" && !tail.is_empty() {
                    push(format!("%Y-%m-%dT%H:%M{tail}%:z"), None);
                    push(format!("%Y-%m-%dT%H:%M{tail}%z"), None);
                    push(format!("%Y-%m-%dT%H:%M{tail}Z"), None);
                }
            }
        }
        push(format!("%Y{sep}%m{sep}%d"), None);
    }
    push("%Y-%m-%d %H:%M:%S%.f%:z".into(), None);
    push("%Y%m%d".into(), None);
    // Numbers for day and month: both orders, two- and four-digit years.
    let times = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p"];
    for sep in ["/", "-", "."] {
        for year in ["%y", "%Y"] {
            for t in times {
                push(format!("%d{sep}%m{sep}{year}{t}"), Some(Order::DayFirst));
                push(format!("%m{sep}%d{sep}{year}{t}"), Some(Order::MonthFirst));
            }
        }
    }
    // Month names ("%B" also reads the three-letter abbreviations).
    for year in ["%y", "%Y"] {
        for t in ["", " %H:%M", " %H:%M:%S"] {
            push(format!("%d-%B-{year}{t}"), None);
            push(format!("%d %B {year}{t}"), None);
            push(format!("%B %d, {year}{t}"), None);
            push(format!("%B %d {year}{t}"), None);
        }
    }
    push("%a, %d %B %Y %H:%M:%S %z".into(), None);
    out
}

/// What a column's values say about their format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The formats to try in this order; values no format reads are bad dates.
    Formats(Vec<DateFormat>),
    /// No value settles day-first against month-first.
    Ambiguous {
        value: String,
        day_first: (DateFormat, NaiveDateTime),
        month_first: (DateFormat, NaiveDateTime),
    },
    /// Some values are only day-first and others only month-first.
    Conflict {
        day_first: String,
        month_first: String,
    },
    /// No known format reads any value.
    Unknown,
}

/// A value's shape: digits as '9', letters as 'a', the rest as themselves (values of one
/// shape are read by the same formats, so candidates are chosen once per shape).
fn shape(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_alphabetic() {
                'a'
            } else {
                c
            }
        })
        .collect()
}

/// Values of a shape that no format read before the shape is given up on.
const SHAPE_RETRIES: usize = 16;

/// Decides a text column's date formats from `values` (trimmed, non-empty, a sample spread
/// over the column). A parse outside [`plausible`] years does not count as a reading.
pub fn infer(values: &[&str]) -> Decision {
    let all = candidates();
    let t = tally(values, &all);
    if !t.any {
        return Decision::Unknown;
    }
    let order = match (t.day_only, t.month_only) {
        (Some(d), Some(m)) => {
            return Decision::Conflict {
                day_first: d.to_string(),
                month_first: m.to_string(),
            };
        }
        (Some(_), None) => Some(Order::DayFirst),
        (None, Some(_)) => Some(Order::MonthFirst),
        (None, None) => {
            if let Some(v) = t.ambiguous {
                return ambiguity(v, &all, &t.hits);
            }
            None
        }
    };
    Decision::Formats(cover(values, &all, &t.hits, order))
}

/// Whether candidate `c` reads `v` as a plausible date.
fn reads(v: &str, c: &Candidate) -> bool {
    parse(v, &c.format).filter(plausible).is_some()
}

/// What the sample says about the candidates: how many values each reads, and the first value
/// only a day-first, only a month-first, or either order reads.
struct Tally<'v> {
    hits: Vec<usize>,
    day_only: Option<&'v str>,
    month_only: Option<&'v str>,
    ambiguous: Option<&'v str>,
    /// Some candidate read some value.
    any: bool,
}

/// Tries each value on the candidates that read its shape's first value.
fn tally<'v>(values: &[&'v str], all: &[Candidate]) -> Tally<'v> {
    // Per shape, the candidates that read its first value, and their other-order twins.
    let mut by_shape: std::collections::HashMap<String, Vec<usize>> = Default::default();
    let mut t = Tally {
        hits: vec![0usize; all.len()],
        day_only: None,
        month_only: None,
        ambiguous: None,
        any: false,
    };
    let mut retries: std::collections::HashMap<String, usize> = Default::default();
    for &v in values {
        let key = shape(v);
        // A shape's first value may be no date ("2024-13-01"): the next ones of the shape
        // choose again, a few times.
        let stale = by_shape.get(&key).is_some_and(|t| t.is_empty())
            && retries.get(&key).copied().unwrap_or(0) < SHAPE_RETRIES;
        if stale {
            *retries.entry(key.clone()).or_default() += 1;
            by_shape.remove(&key);
        }
        let tried = by_shape
            .entry(key)
            .or_insert_with(|| reading_with_twins(v, all));
        let (mut day, mut month, mut free) = (false, false, false);
        for &i in tried.iter() {
            if reads(v, &all[i]) {
                t.hits[i] += 1;
                match all[i].order {
                    Some(Order::DayFirst) => day = true,
                    Some(Order::MonthFirst) => month = true,
                    None => free = true,
                }
            }
        }
        t.any |= day || month || free;
        if !free {
            match (day, month) {
                (true, false) => t.day_only = t.day_only.or(Some(v)),
                (false, true) => t.month_only = t.month_only.or(Some(v)),
                (true, true) => t.ambiguous = t.ambiguous.or(Some(v)),
                _ => {}
            }
        }
    }
    t
}

/// The candidates that read `v` and their other-order twins, in candidate order.
fn reading_with_twins(v: &str, all: &[Candidate]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..all.len()).filter(|&i| reads(v, &all[i])).collect();
    let twins: Vec<usize> = idx.iter().filter_map(|&i| twin(all, i)).collect();
    idx.extend(twins);
    idx.sort_unstable();
    idx.dedup();
    idx
}

/// The same format with day and month swapped.
fn twin(all: &[Candidate], i: usize) -> Option<usize> {
    all[i].order?;
    let DateFormat::Text { fmt, .. } = &all[i].format else {
        return None;
    };
    let target = swap(fmt);
    all.iter()
        .position(|c| matches!(&c.format, DateFormat::Text { fmt: f, .. } if *f == target))
}

/// "%d/%m/…" ↔ "%m/%d/…".
fn swap(fmt: &str) -> String {
    if let Some(rest) = fmt.strip_prefix("%d") {
        let sep = &rest[..1];
        let rest = &rest[1..];
        rest.strip_prefix("%m")
            .map_or(fmt.to_string(), |r| format!("%m{sep}%d{r}"))
    } else if let Some(rest) = fmt.strip_prefix("%m") {
        let sep = &rest[..1];
        let rest = &rest[1..];
        rest.strip_prefix("%d")
            .map_or(fmt.to_string(), |r| format!("%d{sep}%m{r}"))
    } else {
        fmt.to_string()
    }
}

fn ambiguity(v: &str, all: &[Candidate], hits: &[usize]) -> Decision {
    let best = |order: Order| {
        (0..all.len())
            .filter(|&i| all[i].order == Some(order) && hits[i] > 0)
            .filter_map(|i| parse(v, &all[i].format).map(|d| (all[i].format.clone(), d, hits[i])))
            .max_by_key(|x| x.2)
            .map(|(f, d, _)| (f, d))
    };
    match (best(Order::DayFirst), best(Order::MonthFirst)) {
        (Some(day_first), Some(month_first)) => Decision::Ambiguous {
            value: v.to_string(),
            day_first,
            month_first,
        },
        _ => Decision::Unknown,
    }
}

/// The fewest formats of the chosen order that read every value some format reads, most
/// values first; two-digit-year formats go before four-digit ones ("%Y" would read "19" as
/// the year 19).
fn cover(
    values: &[&str],
    all: &[Candidate],
    hits: &[usize],
    order: Option<Order>,
) -> Vec<DateFormat> {
    let mut ranked: Vec<usize> = (0..all.len())
        .filter(|&i| hits[i] > 0 && (all[i].order.is_none() || all[i].order == order))
        .collect();
    ranked.sort_by_key(|&i| std::cmp::Reverse(hits[i]));
    let mut covered = vec![false; values.len()];
    let mut chosen = Vec::new();
    for i in ranked {
        let mut adds = false;
        for (j, v) in values.iter().enumerate() {
            if !covered[j] && parse(v, &all[i].format).filter(plausible).is_some() {
                covered[j] = true;
                adds = true;
            }
        }
        if adds {
            chosen.push(all[i].format.clone());
        }
    }
    chosen.sort_by_key(|f| !matches!(f, DateFormat::Text { fmt, .. } if fmt.contains("%y")));
    chosen
}

/// For a column of integers: epoch seconds or milliseconds by their size, or `None`.
pub fn infer_epoch(values: &[i64]) -> Option<DateFormat> {
    let (lo, hi) = values
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if values.is_empty() {
        return None;
    }
    // 1973-03-03 .. next year, in seconds or milliseconds.
    let top = NaiveDate::from_ymd_opt(next_year() + 1, 1, 1)?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp();
    if lo >= 100_000_000 && hi < top {
        Some(DateFormat::EpochSeconds)
    } else if lo >= 100_000_000_000 && hi < top * 1000 {
        Some(DateFormat::EpochMillis)
    } else {
        None
    }
}

/// A human reading of a date, for messages: "3 January 2019".
pub fn spoken(d: &NaiveDateTime) -> String {
    d.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats(values: &[&str]) -> Vec<String> {
        match infer(values) {
            Decision::Formats(f) => f.iter().map(DateFormat::name).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn day(values: &[&str], f: &str) -> Vec<String> {
        let f = DateFormat::from_flag(f);
        values
            .iter()
            .map(|v| parse(v, &f).map_or("-".into(), |d| d.format("%Y-%m-%d %H:%M:%S").to_string()))
            .collect()
    }

    #[test]
    fn day_first_is_settled_by_a_value_above_twelve_anywhere() {
        let v = ["03/01/19", "04/02/19", "11/12/19", "25/12/19"];
        assert_eq!(formats(&v), ["%d/%m/%y"]);
        assert_eq!(day(&v[..1], "%d/%m/%y"), ["2019-01-03 00:00:00"]);
        let us = ["12/1/2010 8:26", "12/2/2010 9:00", "1/13/2011 10:01"];
        assert_eq!(formats(&us), ["%m/%d/%Y %H:%M"]);
    }

    #[test]
    fn unsettled_order_is_ambiguous_with_both_readings() {
        match infer(&["03/01/19", "04/02/19"]) {
            Decision::Ambiguous {
                value,
                day_first,
                month_first,
            } => {
                assert_eq!(value, "03/01/19");
                assert_eq!(day_first.0.name(), "%d/%m/%y");
                assert_eq!(spoken(&day_first.1), "3 January 2019");
                assert_eq!(spoken(&month_first.1), "1 March 2019");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            infer(&["13/01/19", "01/13/19"]),
            Decision::Conflict { .. }
        ));
    }

    #[test]
    fn iso_offsets_compact_and_month_names() {
        assert_eq!(
            formats(&["2024-03-31 14:05:00", "2024-04-01 09:00:00"]),
            ["%Y-%m-%d %H:%M:%S"]
        );
        let off = ["2024-03-31T14:05:00.123+02:00", "2024-04-01T09:00:00Z"];
        assert_eq!(formats(&off).len(), 2);
        assert_eq!(
            day(&off[..1], "%Y-%m-%dT%H:%M:%S%.f%:z"),
            ["2024-03-31 12:05:00"]
        );
        assert_eq!(
            day(&off[1..], "%Y-%m-%dT%H:%M:%SZ"),
            ["2024-04-01 09:00:00"]
        );
        assert_eq!(formats(&["19970101", "19971231"]), ["%Y%m%d"]);
        assert_eq!(formats(&["01-Dec-2010", "15-Jan-2011"]), ["%d-%B-%Y"]);
        assert_eq!(formats(&["Dec 1, 2010", "Jan 15, 2011"]), ["%B %d, %Y"]);
        assert_eq!(
            formats(&["1 December 2010", "15 January 2011"]),
            ["%d %B %Y"]
        );
        assert_eq!(day(&["Dec 1, 2010"], "%B %d, %Y"), ["2010-12-01 00:00:00"]);
    }

    #[test]
    fn two_digit_years_pivot_and_implausible_years_do_not_count() {
        assert_eq!(
            day(&["3/25/99", "1/5/05", "1/5/68", "1/5/69"], "%m/%d/%y"),
            [
                "1999-03-25 00:00:00",
                "2005-01-05 00:00:00",
                "2068-01-05 00:00:00",
                "1969-01-05 00:00:00"
            ]
        );
        // "%m/%d/%Y" reads "19" as the year 19: not a reading.
        assert_eq!(formats(&["3/25/19", "1/5/19"]), ["%m/%d/%y"]);
        assert!(matches!(infer(&["0001-01-01"]), Decision::Unknown));
        assert!(matches!(infer(&["not a date", "??"]), Decision::Unknown));
    }

    #[test]
    fn epochs_and_excel_serials() {
        assert_eq!(
            infer_epoch(&[1_700_000_000, 1_700_086_400]),
            Some(DateFormat::EpochSeconds)
        );
        assert_eq!(
            infer_epoch(&[1_700_000_000_000]),
            Some(DateFormat::EpochMillis)
        );
        assert_eq!(infer_epoch(&[5, 12]), None);
        assert_eq!(day(&["1700000000"], "epoch-s"), ["2023-11-14 22:13:20"]);
        assert_eq!(
            day(&["1700000000500"], "epoch-ms")[0],
            "2023-11-14 22:13:20"
        );
        assert_eq!(
            excel(40513.35).map(|d| d.format("%Y-%m-%d %H:%M").to_string()),
            Some("2010-12-01 08:24".into())
        );
    }

    proptest::proptest! {
        #[test]
        fn written_dates_read_back_in_either_order(
            // 1920-01-01 plus up to ~104 years: within the plausible 1900..next year.
            days in proptest::collection::vec(0i64..38_000, 1..30),
            day_first in proptest::bool::ANY,
        ) {
            let base = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap();
            let dates: Vec<NaiveDate> = days.iter().map(|&d| base + chrono::TimeDelta::days(d)).collect();
            let fmt = if day_first { "%d/%m/%Y" } else { "%m/%d/%Y" };
            let text: Vec<String> = dates.iter().map(|d| d.format(fmt).to_string()).collect();
            let values: Vec<&str> = text.iter().map(String::as_str).collect();
            let settled = dates.iter().any(|d| d.day() > 12 && d.day() != d.month());
            match infer(&values) {
                Decision::Formats(f) => {
                    proptest::prop_assert!(settled || dates.iter().all(|d| d.day() == d.month()));
                    for (v, d) in values.iter().zip(&dates) {
                        let got = f.iter().find_map(|f| parse(v, f)).map(|t| t.date());
                        proptest::prop_assert_eq!(got, Some(*d), "{} with {:?}", v, f);
                    }
                }
                Decision::Ambiguous { .. } => proptest::prop_assert!(!settled),
                other => proptest::prop_assert!(false, "{:?}", other),
            }
        }

        #[test]
        fn any_text_decides_without_panic(values in proptest::collection::vec(".{0,24}", 0..8)) {
            let v: Vec<&str> = values.iter().map(String::as_str).collect();
            if let Decision::Formats(f) = infer(&v) {
                for x in &v {
                    for f in &f {
                        if let Some(d) = parse(x, f) {
                            let _ = plausible(&d);
                        }
                    }
                }
            }
        }
    }
}
