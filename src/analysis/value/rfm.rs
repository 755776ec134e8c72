//! RFM scores and named RFM segments, by R rfm 0.3's definitions (`rfm_table_order` and
//! `rfm_segment`), so figures can be checked against that package.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::analysis::features::{CustomerFeatures, names};
use crate::bail_input;

/// The rules compiled in: R rfm's widely used defaults.
pub const DEFAULT_RULES: &str = include_str!("rfm_rules.toml");

/// Customers no rule matches.
pub const OTHERS: &str = "Others";

/// One named segment: inclusive score ranges.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Rule {
    pub name: String,
    pub r: [u8; 2],
    pub f: [u8; 2],
    pub m: [u8; 2],
}

impl Rule {
    fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        let within = |v: u8, [lo, hi]: [u8; 2]| lo <= v && v <= hi;
        within(r, self.r) && within(f, self.f) && within(m, self.m)
    }

    /// The rule as people read it: "R4–5 F4–5 M4–5".
    pub fn describe(&self) -> String {
        let range = |l: char, [lo, hi]: [u8; 2]| {
            if lo == hi {
                format!("{l}{lo}")
            } else {
                format!("{l}{lo}–{hi}")
            }
        };
        format!(
            "{} {} {}",
            range('R', self.r),
            range('F', self.f),
            range('M', self.m)
        )
    }
}

/// The rules file: the bins they are written for and the rules, first match wins.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub bins: u8,
    #[serde(rename = "segment")]
    pub rules: Vec<Rule>,
}

impl Rules {
    pub fn defaults() -> Rules {
        Rules::parse(DEFAULT_RULES, "the default rules").expect("the compiled-in rules parse")
    }

    /// Reads `--rules FILE`.
    pub fn load(path: &Path) -> Result<Rules> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => bail_input!("--rules {}: cannot read it ({e})", path.display()),
        };
        Rules::parse(&text, &format!("--rules {}", path.display()))
    }

    /// Parses and checks a rules file; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Rules> {
        let rules: Rules = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => bail_input!(
                "{source}: not a rules file ({}); it needs `bins = N` and [[segment]] tables with name, r, f, m, as in the default rules (segscope rfm --help)",
                e.message()
            ),
        };
        if !(2..=9).contains(&rules.bins) {
            bail_input!("{source}: bins = {}; give 2 to 9", rules.bins);
        }
        if rules.rules.is_empty() {
            bail_input!("{source}: no [[segment]]; give at least one rule");
        }
        for rule in &rules.rules {
            for (axis, [lo, hi]) in [('r', rule.r), ('f', rule.f), ('m', rule.m)] {
                if lo < 1 || hi > rules.bins || lo > hi {
                    bail_input!(
                        "{source}: segment {:?}: {axis} = [{lo}, {hi}]; give a range low ≤ high within 1..{}",
                        rule.name,
                        rules.bins
                    );
                }
            }
            if rule.name.trim().is_empty() || rule.name == OTHERS {
                bail_input!(
                    "{source}: a segment is named {:?}; give each rule a name other than {OTHERS:?} (the name of customers no rule matches)",
                    rule.name
                );
            }
        }
        Ok(rules)
    }

    /// The first rule matching the scores (its index), `None` for "Others".
    pub fn name_of(&self, r: u8, f: u8, m: u8) -> Option<usize> {
        self.rules.iter().position(|rule| rule.matches(r, f, m))
    }

    /// Rules no score can reach because earlier rules cover every cell of theirs: said
    /// beside the results, so an empty segment is not read as "no such customers".
    pub fn shadowed(&self) -> Vec<usize> {
        let n = self.bins;
        (0..self.rules.len())
            .filter(|&i| {
                let rule = &self.rules[i];
                !cells(n).any(|(r, f, m)| rule.matches(r, f, m) && self.name_of(r, f, m) == Some(i))
            })
            .collect()
    }
}

fn cells(n: u8) -> impl Iterator<Item = (u8, u8, u8)> {
    (1..=n).flat_map(move |r| (1..=n).flat_map(move |f| (1..=n).map(move |m| (r, f, m))))
}

/// The score intervals of one measure: [lower, upper) per bin, lowest values first.
pub type Thresholds = Vec<[f64; 2]>;

/// The intervals R rfm cuts a measure into: from the minimum to the maximum + 1 through the
/// type-7 quantiles at 1/N … (N−1)/N, so equal values always share a score. Repeated
/// quantiles leave empty intervals, whose scores no customer gets.
pub fn thresholds(values: &[f64], bins: u8) -> Thresholds {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = bins as usize;
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let mut breaks = vec![min];
    breaks.extend((1..n).map(|i| type7(&sorted, i as f64 / n as f64)));
    breaks.push(max + 1.0);
    breaks.windows(2).map(|w| [w[0], w[1]]).collect()
}

/// The type-7 quantile exactly as numpy (and so pandas) rounds it: interpolated from the lower
/// neighbour below halfway and from the upper one above, so a value on a cut point lands in the
/// same score as in the reference tools.
fn type7(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let h = (n - 1) as f64 * p;
    let j = h.floor() as usize;
    if j >= n - 1 {
        return sorted[n - 1];
    }
    let (a, b, g) = (sorted[j], sorted[j + 1], h - j as f64);
    if g < 0.5 {
        a + (b - a) * g
    } else {
        b - (b - a) * (1.0 - g)
    }
}

/// The bin (0-based) holding `v`: the last interval [lo, hi) containing it, as R rfm's loop
/// assigns them in order and a later one overwrites.
pub fn bin_of(t: &Thresholds, v: f64) -> usize {
    t.iter()
        .rposition(|&[lo, hi]| lo <= v && v < hi)
        .unwrap_or(if v < t[0][0] { 0 } else { t.len() - 1 })
}

/// Per named segment: what its customers bought.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentSummary {
    pub segment: String,
    pub customers: usize,
    pub orders: f64,
    pub revenue: f64,
    /// Revenue per order.
    pub aov: f64,
    pub customer_share: f64,
    pub revenue_share: f64,
}

/// Every customer's RFM measures, scores and named segment.
#[derive(Clone, Debug)]
pub struct Rfm {
    pub bins: u8,
    pub recency_thresholds: Thresholds,
    pub frequency_thresholds: Thresholds,
    pub monetary_thresholds: Thresholds,
    pub ids: Vec<String>,
    pub recency_days: Vec<f64>,
    pub frequency: Vec<f64>,
    pub monetary: Vec<f64>,
    pub r: Vec<u8>,
    pub f: Vec<u8>,
    pub m: Vec<u8>,
    /// Index into `segment_names` per customer.
    pub segment: Vec<usize>,
    /// The rules' names, then "Others".
    pub segment_names: Vec<String>,
    /// Summaries of the segments that have customers, in rule order, "Others" last.
    pub summary: Vec<SegmentSummary>,
    pub rules: Rules,
    /// Rules earlier rules leave no customer to (indices into `rules.rules`).
    pub shadowed: Vec<usize>,
}

impl Rfm {
    /// 100·R + 10·F + M (for up to 9 bins, the three digits).
    pub fn code(&self, i: usize) -> u16 {
        100 * self.r[i] as u16 + 10 * self.f[i] as u16 + self.m[i] as u16
    }

    pub fn segment_of(&self, i: usize) -> &str {
        &self.segment_names[self.segment[i]]
    }
}

/// One of the three columns RFM reads, or the refusal naming what the table has instead.
fn rfm_column(features: &CustomerFeatures, name: &str) -> Result<Vec<f64>> {
    match features.column(name) {
        Some(j) => Ok(features.raw.column(j).to_vec()),
        None => bail_input!(
            "RFM needs the column {name}; this customer table has {} (name a transaction log's columns with --map, or give the table a {name} column)",
            features.names.join(", ")
        ),
    }
}

/// Scores every customer who bought: recency reversed (the most recent get N).
pub fn rfm(features: &CustomerFeatures, bins: u8, rules: Rules) -> Result<Rfm> {
    if bins != rules.bins {
        bail_input!(
            "--bins {bins}: the RFM rules are written for {} bins; give --rules FILE with `bins = {bins}`, or leave --bins out",
            rules.bins
        );
    }
    let column = |name: &str| rfm_column(features, name);
    let (recency_days, frequency, monetary) = (
        column(names::RECENCY_DAYS)?,
        column(names::FREQUENCY)?,
        column(names::MONETARY)?,
    );
    if features.is_empty() {
        bail_input!("no customer bought anything: there is nothing to score");
    }
    let (tr, tf, tm) = (
        thresholds(&recency_days, bins),
        thresholds(&frequency, bins),
        thresholds(&monetary, bins),
    );
    let score = |t: &Thresholds, v: f64| bin_of(t, v) as u8 + 1;
    let r: Vec<u8> = recency_days
        .iter()
        .map(|&v| bins + 1 - score(&tr, v))
        .collect();
    let f: Vec<u8> = frequency.iter().map(|&v| score(&tf, v)).collect();
    let m: Vec<u8> = monetary.iter().map(|&v| score(&tm, v)).collect();
    let others = rules.rules.len();
    let segment: Vec<usize> = (0..r.len())
        .map(|i| rules.name_of(r[i], f[i], m[i]).unwrap_or(others))
        .collect();
    let mut segment_names: Vec<String> = rules.rules.iter().map(|x| x.name.clone()).collect();
    segment_names.push(OTHERS.to_string());
    let summary = summarise(&segment_names, &segment, &frequency, &monetary);
    let shadowed = rules.shadowed();
    Ok(Rfm {
        bins,
        recency_thresholds: tr,
        frequency_thresholds: tf,
        monetary_thresholds: tm,
        ids: features.ids.clone(),
        recency_days,
        frequency,
        monetary,
        r,
        f,
        m,
        segment,
        segment_names,
        summary,
        rules,
        shadowed,
    })
}

/// Customers, orders and revenue per named segment, with their shares.
fn summarise(
    names: &[String],
    segment: &[usize],
    frequency: &[f64],
    monetary: &[f64],
) -> Vec<SegmentSummary> {
    let mut customers = vec![0usize; names.len()];
    let mut orders = vec![0.0; names.len()];
    let mut revenue = vec![0.0; names.len()];
    for (i, &s) in segment.iter().enumerate() {
        customers[s] += 1;
        orders[s] += frequency[i];
        revenue[s] += monetary[i];
    }
    let n = segment.len() as f64;
    let total: f64 = revenue.iter().sum();
    (0..names.len())
        .filter(|&s| customers[s] > 0)
        .map(|s| SegmentSummary {
            segment: names[s].clone(),
            customers: customers[s],
            orders: orders[s],
            revenue: revenue[s],
            aov: if orders[s] > 0.0 {
                revenue[s] / orders[s]
            } else {
                0.0
            },
            customer_share: customers[s] as f64 / n,
            revenue_share: if total != 0.0 {
                revenue[s] / total
            } else {
                0.0
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_a_score_and_repeated_quantiles_leave_a_score_empty() {
        // Quintile cuts of 1,1,1,1,1,1,2,2,3,9 are 1, 1, 1.4, 2.2: the first two intervals
        // are [1, 1), empty, so every 1 scores 3.
        let v = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 9.0];
        let t = thresholds(&v, 5);
        assert_eq!(t.len(), 5);
        assert!(t[0][0] == t[0][1] && t[1][0] == t[1][1], "{t:?}");
        assert_eq!(t[4][1], 10.0);
        let bins: Vec<usize> = v.iter().map(|&x| bin_of(&t, x)).collect();
        assert_eq!(bins, [2, 2, 2, 2, 2, 2, 3, 3, 4, 4]);
    }

    #[test]
    fn default_rules_parse_and_the_first_match_wins() {
        let rules = Rules::defaults();
        assert_eq!(rules.bins, 5);
        assert_eq!(rules.rules.len(), 10);
        assert_eq!(
            rules.rules[rules.name_of(5, 5, 5).unwrap()].name,
            "Champions"
        );
        // R4 F1 M1 is a New Customer by its own rule, but Potential Loyalist comes first.
        assert_eq!(
            rules.rules[rules.name_of(5, 1, 1).unwrap()].name,
            "Potential Loyalist"
        );
        assert_eq!(rules.name_of(1, 3, 1), None);
        let shadowed: Vec<&str> = rules
            .shadowed()
            .iter()
            .map(|&i| rules.rules[i].name.as_str())
            .collect();
        assert_eq!(shadowed, ["New Customers", "Promising", "Can't Lose Them"]);
    }

    #[test]
    fn bad_rules_name_the_segment_and_the_fix() {
        let e = Rules::parse(
            "bins = 5\n[[segment]]\nname = \"X\"\nr = [4, 6]\nf = [1, 5]\nm = [1, 5]\n",
            "--rules r.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("segment \"X\": r = [4, 6]"), "{e}");
        let e = Rules::parse("bins = 5\n", "--rules r.toml").unwrap_err();
        assert!(e.to_string().contains("--rules r.toml"), "{e}");
    }
}
