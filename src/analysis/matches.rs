//! A lookalike with what an analyst judges it by: name, segment, recency, orders and net spend
//! beside the score, so the list can be read without opening every card. The TUI's card and
//! `segscope lookalike` build the same rows here.

use serde::Serialize;

use super::features::{CustomerFeatures, names};
use super::lookalike::Match;
use super::{Table, Value};

/// One lookalike, typed; faces format it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lookalike {
    /// Row in the features (and in any segmentation of them).
    #[serde(skip)]
    pub row: usize,
    pub customer: String,
    pub name: Option<String>,
    /// 1-based segment and its persona, when a segmentation was given.
    pub segment: Option<usize>,
    pub persona: Option<String>,
    pub recency_days: f64,
    pub orders: f64,
    pub net_spend: f64,
    pub score: f64,
}

/// The segmentation a lookalike's segment is read from: each feature row's 0-based label and
/// the personas by label.
pub struct Segments<'a> {
    pub labels: &'a [usize],
    pub personas: Vec<&'a str>,
}

/// What the rows are read from: the features, the names by feature row (if known) and the
/// segmentation (if any).
pub struct Context<'a> {
    pub features: &'a CustomerFeatures,
    pub names: Option<&'a [Option<String>]>,
    pub segments: Option<Segments<'a>>,
}

impl Context<'_> {
    /// The lookalike rows of `matches`, in their order.
    pub fn rows(&self, matches: &[Match]) -> Vec<Lookalike> {
        let f = self.features;
        let column = |name: &str| f.column(name);
        let (recency, orders, spend) = (
            column(names::RECENCY_DAYS),
            column(names::FREQUENCY),
            column(names::MONETARY),
        );
        let raw = |j: Option<usize>, row: usize| j.map_or(f64::NAN, |j| f.raw[[row, j]]);
        matches
            .iter()
            .map(|m| {
                let label = self.segments.as_ref().and_then(|s| s.labels.get(m.index));
                Lookalike {
                    row: m.index,
                    customer: f.ids[m.index].clone(),
                    name: self.names.and_then(|n| n.get(m.index).cloned().flatten()),
                    segment: label.map(|&l| l + 1),
                    persona: label.and_then(|&l| {
                        let s = self.segments.as_ref()?;
                        s.personas.get(l).map(|p| p.to_string())
                    }),
                    recency_days: raw(recency, m.index),
                    orders: raw(orders, m.index),
                    net_spend: raw(spend, m.index),
                    score: m.score,
                }
            })
            .collect()
    }
}

/// Lookalikes as a table for people: rank, customer, name, segment, recency, orders, net spend
/// and score (name and segment only where the data or the fit has them).
pub fn table(name: &str, title: &str, rows: &[Lookalike]) -> Table {
    let named = rows.iter().any(|r| r.name.is_some());
    let segmented = rows.iter().any(|r| r.segment.is_some());
    let mut columns = vec!["rank", "customer"];
    if named {
        columns.push("name");
    }
    if segmented {
        columns.push("segment");
    }
    columns.extend(["recency_days", "orders", "net_spend", "score"]);
    let mut t = Table::new(name, title, &columns);
    for (r, m) in rows.iter().enumerate() {
        let mut row = vec![Value::count(r + 1), Value::text(&m.customer)];
        if named {
            row.push(m.name.as_ref().map_or(Value::Null, Value::text));
        }
        if segmented {
            row.push(match (m.segment, &m.persona) {
                (Some(s), Some(p)) => Value::text(format!("{s} {p}")),
                (Some(s), None) => Value::count(s),
                _ => Value::Null,
            });
        }
        row.extend([
            Value::Num(m.recency_days),
            Value::Num(m.orders),
            Value::money(m.net_spend),
            Value::Num(m.score),
        ]);
        t.push(row);
    }
    t
}
