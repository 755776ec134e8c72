//! Persona names for segments: documented rules over the segment's medians, judged against
//! every clustered customer and against the customers' own purchase rhythm, so they hold on a
//! short, mostly lapsed cohort as well as on a long retail log. README lists every rule.

use super::features::names;

/// A segment's medians (raw features) and purchase rhythm, what the rules read.
pub struct Medians<'a> {
    pub value: &'a dyn Fn(&str) -> Option<f64>,
    /// Median days between orders over the segment's repeat customers (first to last
    /// purchase ÷ (orders − 1)), `None` unless most of them ordered twice or more.
    pub gap: Option<f64>,
}

/// The rule a persona came from, with the values that fired it.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    pub base: &'static str,
    pub rule: String,
}

/// A segment is lapsed when its median recency reaches this many days whatever its rhythm.
pub const LAPSED_DAYS: f64 = 365.0;
/// ...or this many of its typical gaps between orders, and at least [`LAPSED_MIN_DAYS`].
pub const LAPSED_GAPS: f64 = 3.0;
pub const LAPSED_MIN_DAYS: f64 = 90.0;
/// A segment is never "recent" beyond this many days since its last order, whatever its rhythm.
pub const RECENT_MAX_DAYS: f64 = 90.0;
/// A median return rate (returned ÷ everything bought) from which a segment is heavy returners.
pub const HEAVY_RETURN_RATE: f64 = 0.2;

fn days(v: f64) -> String {
    format!("{v:.0} d")
}

fn amount(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The first rule the segment meets, best first:
///
/// 1. "Lapsed": median recency ≥ 365 d, or ≥ 3 × the typical gap between orders (the
///    segment's own where most of its customers ordered twice, else every repeat customer's)
///    and ≥ 90 d.
/// 2. "One-time": median orders 1.
/// 3. "High-value frequent": median net spend ≥ 2 × every customer's median and median
///    orders ≥ theirs and ≥ 2.
/// 4. "Heavy returners": median return rate ≥ 20%.
/// 5. "Big-ticket": median order value ≥ 1.5 × every customer's median.
/// 6. "Bargain hunters": median unit price ≤ 0.75 × every customer's median.
/// 7. "Recent engaged": median orders ≥ every customer's median and ≥ 2, and median recency
///    ≤ 1.5 × the typical gap and ≤ 90 d.
/// 8. "Repeat buyers": median orders ≥ 2 × every customer's median and ≥ 2.
/// 9. "Loyal": median tenure ≥ 1.5 × every customer's median.
/// 10. "Occasional": median orders below every customer's median.
/// 11. "Regular" otherwise.
pub fn name(seg: &Medians, all: &Medians) -> Named {
    let (Some(recency), Some(orders)) = (
        (seg.value)(names::RECENCY_DAYS),
        (seg.value)(names::FREQUENCY),
    ) else {
        return named("Regular", "no recency or order counts to judge by".into());
    };
    let judged = Judged {
        seg: seg.value,
        all: all.value,
        gap: seg.gap.or(all.gap),
        recency,
        orders,
        all_orders: (all.value)(names::FREQUENCY).unwrap_or(orders),
    };
    RULES
        .iter()
        .find_map(|rule| rule(&judged))
        .unwrap_or_else(|| named("Regular", "no other rule fits".into()))
}

fn named(base: &'static str, rule: String) -> Named {
    Named { base, rule }
}

/// What every rule of [`name`] reads: the segment's medians and every customer's, the typical
/// gap between orders (the segment's, else everyone's), and the two medians every segment has.
struct Judged<'a> {
    seg: &'a dyn Fn(&str) -> Option<f64>,
    all: &'a dyn Fn(&str) -> Option<f64>,
    gap: Option<f64>,
    recency: f64,
    orders: f64,
    /// Every customer's median orders (the segment's where unknown).
    all_orders: f64,
}

impl Judged<'_> {
    /// The segment's and every customer's median of `feature`, where both are known.
    fn both(&self, feature: &str) -> Option<(f64, f64)> {
        Some(((self.seg)(feature)?, (self.all)(feature)?))
    }
}

/// The rules of [`name`] after the first check, in order: the first that fires names the
/// segment.
const RULES: [fn(&Judged) -> Option<Named>; 10] = [
    lapsed,
    one_time,
    high_value_frequent,
    heavy_returners,
    big_ticket,
    bargain_hunters,
    recent_engaged,
    repeat_buyers,
    loyal,
    occasional,
];

fn lapsed(j: &Judged) -> Option<Named> {
    let recency = j.recency;
    if recency >= LAPSED_DAYS {
        return Some(named(
            "Lapsed",
            format!("median recency {} ≥ {}", days(recency), days(LAPSED_DAYS)),
        ));
    }
    let g = j.gap?;
    (recency >= (LAPSED_GAPS * g).max(LAPSED_MIN_DAYS)).then(|| {
        named(
            "Lapsed",
            format!(
                "median recency {} ≥ {LAPSED_GAPS:.0} × typical gap {}",
                days(recency),
                days(g)
            ),
        )
    })
}

fn one_time(j: &Judged) -> Option<Named> {
    (j.orders <= 1.0).then(|| named("One-time", "median orders 1".into()))
}

fn high_value_frequent(j: &Judged) -> Option<Named> {
    let (orders, all_orders) = (j.orders, j.all_orders);
    let (m, am) = j.both(names::MONETARY)?;
    (m >= 2.0 * am && orders >= all_orders.max(2.0)).then(|| {
        named(
            "High-value frequent",
            format!(
                "median net spend {} ≥ 2 × all customers' {}, median orders {orders:.0} ≥ {all_orders:.0}",
                amount(m),
                amount(am)
            ),
        )
    })
}

fn heavy_returners(j: &Judged) -> Option<Named> {
    let r = (j.seg)(names::RETURN_RATE)?;
    (r >= HEAVY_RETURN_RATE).then(|| {
        named(
            "Heavy returners",
            format!(
                "median return rate {:.0}% ≥ {:.0}%",
                r * 100.0,
                HEAVY_RETURN_RATE * 100.0
            ),
        )
    })
}

fn big_ticket(j: &Judged) -> Option<Named> {
    let (v, av) = j.both(names::AVG_ORDER_VALUE)?;
    (v >= 1.5 * av).then(|| {
        named(
            "Big-ticket",
            format!(
                "median order value {} ≥ 1.5 × all customers' {}",
                amount(v),
                amount(av)
            ),
        )
    })
}

fn bargain_hunters(j: &Judged) -> Option<Named> {
    let (p, ap) = j.both(names::AVG_UNIT_PRICE)?;
    (p <= 0.75 * ap).then(|| {
        named(
            "Bargain hunters",
            format!(
                "median unit price {} ≤ 0.75 × all customers' {}",
                amount(p),
                amount(ap)
            ),
        )
    })
}

fn recent_engaged(j: &Judged) -> Option<Named> {
    let (orders, all_orders) = (j.orders, j.all_orders);
    let g = j.gap?;
    (orders >= all_orders.max(2.0) && j.recency <= (1.5 * g).min(RECENT_MAX_DAYS)).then(|| {
        named(
            "Recent engaged",
            format!(
                "median recency {} ≤ 1.5 × typical gap {} and ≤ 90 d, median orders {orders:.0} ≥ {all_orders:.0}",
                days(j.recency),
                days(g)
            ),
        )
    })
}

fn repeat_buyers(j: &Judged) -> Option<Named> {
    let (orders, all_orders) = (j.orders, j.all_orders);
    (orders >= (2.0 * all_orders).max(2.0)).then(|| {
        named(
            "Repeat buyers",
            format!("median orders {orders:.0} ≥ 2 × all customers' {all_orders:.0}"),
        )
    })
}

fn loyal(j: &Judged) -> Option<Named> {
    let (t, at) = j.both(names::TENURE_DAYS)?;
    (at > 0.0 && t >= 1.5 * at).then(|| {
        named(
            "Loyal",
            format!(
                "median tenure {} ≥ 1.5 × all customers' {}",
                days(t),
                days(at)
            ),
        )
    })
}

fn occasional(j: &Judged) -> Option<Named> {
    let (orders, all_orders) = (j.orders, j.all_orders);
    (orders < all_orders).then(|| {
        named(
            "Occasional",
            format!("median orders {orders:.0} < all customers' {all_orders:.0}"),
        )
    })
}

/// The features a rule judges by: a qualifier never repeats or contradicts its name
/// ("Lapsed · recent", "High-value frequent · few orders").
pub fn rule_features(base: &str) -> &'static [&'static str] {
    match base {
        "Lapsed" => &[names::RECENCY_DAYS],
        "One-time" | "Repeat buyers" | "Occasional" => &[names::FREQUENCY],
        "High-value frequent" => &[names::MONETARY, names::FREQUENCY],
        "Heavy returners" => &[names::RETURN_RATE],
        "Big-ticket" => &[names::AVG_ORDER_VALUE],
        "Bargain hunters" => &[names::AVG_UNIT_PRICE],
        "Recent engaged" => &[names::RECENCY_DAYS, names::FREQUENCY],
        "Loyal" => &[names::TENURE_DAYS],
        _ => &[],
    }
}

/// The words for a feature being high or low in a segment, for qualifiers ("Lapsed · big
/// spenders"). `low_value` is the segment's median, so one order reads "one order".
pub fn qualifier(feature: &str, high: bool, low_value: f64) -> String {
    let pair = |h: &str, l: &str| if high { h.to_string() } else { l.to_string() };
    match feature {
        names::RECENCY_DAYS => pair("long gone", "recent"),
        names::FREQUENCY if !high && low_value <= 1.0 => "one order".into(),
        names::FREQUENCY => pair("frequent", "few orders"),
        names::MONETARY => pair("big spenders", "small spenders"),
        names::AVG_ORDER_VALUE => pair("big baskets", "small baskets"),
        names::TENURE_DAYS => pair("long-standing", "new"),
        names::DISTINCT_CATEGORIES => pair("many categories", "few categories"),
        names::RETURN_RATE => pair("many returns", "few returns"),
        names::TOTAL_QUANTITY => pair("bulk buyers", "few items"),
        names::AVG_UNIT_PRICE => pair("premium", "low prices"),
        f => match (
            f.strip_prefix(names::SHARE_PREFIX),
            f.strip_prefix(names::REGION_PREFIX),
        ) {
            (Some(c), _) => pair(&format!("mostly {c}"), &format!("little {c}")),
            (_, Some(r)) => pair(r, &format!("outside {r}")),
            _ => pair(&format!("high {f}"), &format!("low {f}")),
        },
    }
}

/// How far a segment's median of one feature lies from the others sharing its name.
#[derive(Clone, Debug, PartialEq)]
pub struct Apart {
    pub feature: String,
    /// The segment's scaled median minus the mean of the scaled medians sharing the name.
    pub diff: f64,
    /// The segment's raw median.
    pub median: f64,
}

/// Final names: a base name that only one segment meets is used as it is; segments sharing a
/// base each get the qualifier of the feature that sets them furthest apart from the others
/// sharing it (`apart(segment, members)` gives each feature's [`Apart`]), leaving out the features the name's rule judges
/// by, and never a number.
pub fn unique_names(
    bases: &[&'static str],
    apart: &dyn Fn(usize, &[usize]) -> Vec<Apart>,
) -> Vec<String> {
    let mut out: Vec<String> = bases.iter().map(|b| b.to_string()).collect();
    for (i, base) in bases.iter().enumerate() {
        let members: Vec<usize> = (0..bases.len()).filter(|&j| bases[j] == *base).collect();
        if members.len() < 2 || members[0] != i {
            continue;
        }
        let mut used: Vec<String> = Vec::new();
        for &m in &members {
            let mut diffs = apart(m, &members);
            diffs.retain(|a| !rule_features(base).contains(&a.feature.as_str()));
            diffs.sort_by(|a, b| {
                b.diff
                    .abs()
                    .total_cmp(&a.diff.abs())
                    .then(a.feature.cmp(&b.feature))
            });
            let word = diffs
                .iter()
                .map(|a| qualifier(&a.feature, a.diff > 0.0, a.median))
                .find(|w| !used.contains(w))
                .unwrap_or_else(|| format!("group {}", used.len() + 1));
            out[m] = format!("{base} · {word}");
            used.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn medians(pairs: &[(&str, f64)], gap: Option<f64>) -> (Vec<(String, f64)>, Option<f64>) {
        (
            pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            gap,
        )
    }

    fn named(seg: &[(&str, f64)], seg_gap: Option<f64>, all: &[(&str, f64)]) -> Named {
        let (s, g) = medians(seg, seg_gap);
        let (a, ag) = medians(all, Some(60.0));
        let sv = |n: &str| s.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
        let av = |n: &str| a.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
        name(
            &Medians { value: &sv, gap: g },
            &Medians {
                value: &av,
                gap: ag,
            },
        )
    }

    const RETAIL: [(&str, f64); 6] = [
        (names::RECENCY_DAYS, 100.0),
        (names::FREQUENCY, 3.0),
        (names::MONETARY, 600.0),
        (names::AVG_ORDER_VALUE, 200.0),
        (names::AVG_UNIT_PRICE, 4.0),
        (names::TENURE_DAYS, 200.0),
    ];

    fn with(changes: &[(&'static str, f64)]) -> Vec<(&'static str, f64)> {
        let mut v: Vec<(&str, f64)> = RETAIL.to_vec();
        for (n, x) in changes {
            match v.iter_mut().find(|(k, _)| k == n) {
                Some(slot) => slot.1 = *x,
                None => v.push((n, *x)),
            }
        }
        v
    }

    #[test]
    fn a_mostly_lapsed_cohort_is_lapsed_by_its_own_rhythm_or_a_year() {
        // CDNOW-like: every segment's median recency is long past any rhythm.
        let all = with(&[(names::RECENCY_DAYS, 480.0), (names::FREQUENCY, 1.0)]);
        let n = named(
            &with(&[
                (names::RECENCY_DAYS, 492.0),
                (names::FREQUENCY, 1.0),
                (names::MONETARY, 19.0),
            ]),
            None,
            &all,
        );
        assert_eq!(n.base, "Lapsed");
        assert_eq!(n.rule, "median recency 492 d ≥ 365 d");
        // 191 days for customers who order every 40 days is lapsed, not recent.
        let n = named(
            &with(&[(names::RECENCY_DAYS, 191.0), (names::FREQUENCY, 6.0)]),
            Some(40.0),
            &all,
        );
        assert_eq!(n.base, "Lapsed");
        assert_eq!(n.rule, "median recency 191 d ≥ 3 × typical gap 40 d");
        // The 90-day floor: 100 days for weekly buyers is lapsed, 80 is not.
        let weekly = with(&[(names::RECENCY_DAYS, 80.0), (names::FREQUENCY, 20.0)]);
        assert_ne!(named(&weekly, Some(7.0), &all).base, "Lapsed");
        let gone = with(&[(names::RECENCY_DAYS, 100.0), (names::FREQUENCY, 20.0)]);
        assert_eq!(named(&gone, Some(7.0), &all).base, "Lapsed");
    }

    #[test]
    fn returns_heavy_segments_are_never_bargain_hunters() {
        let n = named(
            &with(&[(names::RETURN_RATE, 0.35), (names::AVG_UNIT_PRICE, 1.0)]),
            Some(60.0),
            &with(&[(names::RETURN_RATE, 0.0)]),
        );
        assert_eq!(n.base, "Heavy returners");
        assert_eq!(n.rule, "median return rate 35% ≥ 20%");
        let n = named(
            &with(&[(names::RETURN_RATE, 0.05), (names::AVG_UNIT_PRICE, 2.0)]),
            Some(60.0),
            &with(&[(names::RETURN_RATE, 0.0)]),
        );
        assert_eq!(n.base, "Bargain hunters");
    }

    #[test]
    fn each_rule_in_order() {
        let all = &RETAIL;
        let first = |seg: &[(&str, f64)], gap| named(seg, gap, all).base;
        assert_eq!(first(&with(&[(names::FREQUENCY, 1.0)]), None), "One-time");
        assert_eq!(
            first(
                &with(&[(names::MONETARY, 1200.0), (names::FREQUENCY, 4.0)]),
                Some(60.0)
            ),
            "High-value frequent"
        );
        assert_eq!(
            first(
                &with(&[(names::FREQUENCY, 6.0), (names::RECENCY_DAYS, 100.0)]),
                Some(60.0)
            ),
            "Repeat buyers"
        );
        assert_eq!(
            first(&with(&[(names::AVG_ORDER_VALUE, 300.0)]), Some(60.0)),
            "Big-ticket"
        );
        assert_eq!(
            first(&with(&[(names::RECENCY_DAYS, 20.0)]), Some(30.0)),
            "Recent engaged"
        );
        assert_eq!(
            first(&with(&[(names::TENURE_DAYS, 300.0)]), Some(60.0)),
            "Loyal"
        );
        assert_eq!(
            first(&with(&[(names::FREQUENCY, 2.0)]), Some(60.0)),
            "Occasional"
        );
        assert_eq!(first(&RETAIL, Some(60.0)), "Regular");
    }

    #[test]
    fn shared_names_get_what_sets_them_apart_not_numerals() {
        let bases = ["Lapsed", "Regular", "Lapsed", "Lapsed"];
        // Per segment: (feature, scaled median minus the group's mean, raw median).
        let a = |f: &str, diff: f64, median: f64| Apart {
            feature: f.into(),
            diff,
            median,
        };
        let apart = |s: usize, members: &[usize]| -> Vec<Apart> {
            assert_eq!(members, &[0, 2, 3]);
            match s {
                0 => vec![
                    a(names::MONETARY, 2.0, 900.0),
                    a(names::FREQUENCY, 1.0, 5.0),
                ],
                2 => vec![
                    a(names::FREQUENCY, -1.5, 1.0),
                    a(names::MONETARY, -0.5, 20.0),
                ],
                _ => vec![
                    a(names::MONETARY, 1.0, 400.0),
                    // A lapsed segment is never called "long gone" or "recent".
                    a(names::RECENCY_DAYS, 0.9, 500.0),
                    a(names::TENURE_DAYS, 0.4, 700.0),
                ],
            }
        };
        assert_eq!(
            unique_names(&bases, &apart),
            vec![
                "Lapsed · big spenders",
                "Regular",
                "Lapsed · one order",
                // "big spenders" is taken: the next thing that sets it apart.
                "Lapsed · long-standing"
            ]
        );
    }
}
