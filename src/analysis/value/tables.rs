//! The value measures as tables, for the text and CSV output and the app's exports.

use super::ValueGroup;
use super::clv::{Clv, HoldoutRow};
use super::purchases::{Day, day_text};
use super::rfm::{Rfm, Thresholds};
use crate::analysis::{Table, Value};

/// rfm.csv's columns.
pub const RFM_COLUMNS: [&str; 9] = [
    "customer",
    "recency_days",
    "frequency",
    "monetary",
    "r",
    "f",
    "m",
    "rfm",
    "segment",
];

/// clv.csv's columns.
pub const CLV_COLUMNS: [&str; 9] = [
    "customer",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
];

/// The cut points per score: recency's reversed, so each row reads as one score.
pub fn rfm_thresholds_table(r: &Rfm) -> Table {
    let mut t = Table::new(
        "rfm_thresholds",
        "RFM score intervals [low, high): recency in days (most recent scores highest), frequency in orders, monetary in net spend",
        &["score", "recency_days", "frequency", "monetary"],
    );
    let n = r.bins as usize;
    let interval = |th: &Thresholds, i: usize| {
        let [lo, hi] = th[i];
        if lo == hi {
            Value::text("(empty)")
        } else {
            Value::text(format!("{} to {}", short(lo), short(hi)))
        }
    };
    for score in (1..=n).rev() {
        t.push(vec![
            Value::count(score),
            interval(&r.recency_thresholds, n - score),
            interval(&r.frequency_thresholds, score - 1),
            interval(&r.monetary_thresholds, score - 1),
        ]);
    }
    t
}

/// A cut point as people read it: whole numbers bare, others to two decimals.
fn short(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Customers, orders and revenue per named segment.
pub fn rfm_segments_table(r: &Rfm) -> Table {
    let mut t = Table::new(
        "rfm_segments",
        "RFM segments (first matching rule wins): customers and revenue",
        &[
            "segment",
            "rule",
            "customers",
            "orders",
            "revenue",
            "aov",
            "customer_share",
            "revenue_share",
        ],
    );
    for s in &r.summary {
        let rule = r
            .rules
            .rules
            .iter()
            .find(|x| x.name == s.segment)
            .map_or_else(|| "no rule matched".to_string(), |x| x.describe());
        t.push(vec![
            Value::text(&s.segment),
            Value::text(rule),
            Value::count(s.customers),
            Value::Num(s.orders),
            Value::money(s.revenue),
            Value::money(s.aov),
            Value::Share(s.customer_share),
            Value::Share(s.revenue_share),
        ]);
    }
    t
}

/// Every customer's measures, scores, code and segment (full precision: a machine reads it).
pub fn rfm_customers_table(r: &Rfm) -> Table {
    let mut t = Table::new("rfm", "RFM per customer", &RFM_COLUMNS);
    for i in 0..r.ids.len() {
        t.push(vec![
            Value::text(&r.ids[i]),
            Value::Num(r.recency_days[i]),
            Value::Num(r.frequency[i]),
            Value::Num(r.monetary[i]),
            Value::count(r.r[i] as usize),
            Value::count(r.f[i] as usize),
            Value::count(r.m[i] as usize),
            Value::count(r.code(i) as usize),
            Value::text(r.segment_of(i)),
        ]);
    }
    t
}

/// Every customer's summary and projection (full precision).
pub fn clv_customers_table(c: &Clv) -> Table {
    let mut t = Table::new("clv", "Lifetime value per customer", &CLV_COLUMNS);
    let s = &c.summary;
    for (i, v) in c.values.iter().enumerate() {
        t.push(vec![
            Value::text(&s.ids[i]),
            Value::Num(s.frequency[i]),
            Value::Num(s.recency[i]),
            Value::Num(s.t[i]),
            Value::Num(s.monetary[i]),
            Value::Num(v.p_alive),
            Value::Num(v.expected_purchases),
            Value::Num(v.expected_spend),
            Value::Num(v.clv),
        ]);
    }
    t
}

/// The fitted parameters, one row per model.
pub fn clv_parameters_table(c: &Clv) -> Table {
    let mut t = Table::new(
        "clv_models",
        &format!(
            "Models fitted on purchases up to {} (time in days); {} customers, Gamma-Gamma on {} repeat buyers",
            day_text(c.until),
            c.summary.ids.len(),
            c.gamma_gamma.customers
        ),
        &["model", "parameters", "log_likelihood"],
    );
    let b = &c.bgnbd;
    t.push(vec![
        Value::text("BG/NBD"),
        Value::text(format!(
            "r {:.4}  alpha {:.4}  a {:.4}  b {:.4}",
            b.r, b.alpha, b.a, b.b
        )),
        Value::Num(b.log_likelihood),
    ]);
    let g = &c.gamma_gamma;
    t.push(vec![
        Value::text("Gamma-Gamma"),
        Value::text(format!("p {:.4}  q {:.4}  v {:.4}", g.p, g.q, g.v)),
        Value::Null,
    ]);
    t
}

pub fn value_groups_table(name: &str, title: &str, groups: &[ValueGroup]) -> Table {
    let mut t = Table::new(
        name,
        title,
        &[
            "segment",
            "customers",
            "p_alive",
            "expected_purchases",
            "clv",
            "clv_per_customer",
            "clv_share",
        ],
    );
    for g in groups {
        t.push(vec![
            Value::text(&g.segment),
            Value::count(g.customers),
            Value::Num(g.p_alive),
            Value::Num(g.expected_purchases),
            Value::money(g.clv),
            Value::money(g.clv / g.customers as f64),
            Value::Share(g.clv_share),
        ]);
    }
    t
}

pub fn holdout_table(rows: &[HoldoutRow], until: Day, end: Day) -> Table {
    let mut t = Table::new(
        "clv_holdout",
        &format!(
            "Holdout check: mean purchase days {} to {}, actual against BG/NBD's prediction, by repeat purchases before",
            day_text(until + 1),
            day_text(end)
        ),
        &["frequency", "customers", "actual", "predicted"],
    );
    for r in rows {
        let f = if r.or_more {
            format!("{}+", r.frequency)
        } else {
            r.frequency.to_string()
        };
        t.push(vec![
            Value::text(f),
            Value::count(r.customers),
            Value::Num(r.actual),
            Value::Num(r.predicted),
        ]);
    }
    t
}
