//! Customer value: RFM scores and named RFM segments, lifetime value (BG/NBD + Gamma-Gamma)
//! and cohort retention, on the definitions of R rfm and Python's lifetimes.

pub mod clv;
pub mod cohorts;
pub mod purchases;
pub mod rfm;
pub mod tables;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;
use serde::Serialize;

use crate::analysis::features::CustomerFeatures;
use crate::data::Dataset;

/// Everything the Value pane and the customer card show, computed once on the worker.
#[derive(Clone, Debug)]
pub struct ValueReport {
    /// Shared: the app shows the report before and after its CLV fit without a copy. After
    /// [`ValueReport::compact`] it keeps its cut points, rules and summary, not its
    /// per-customer vectors.
    pub rfm: Arc<rfm::Rfm>,
    pub cohorts: Arc<cohorts::Cohorts>,
    /// The lifetime-value fit, or why it could not be made (too few repeat buyers, no
    /// convergence): the pane says so instead of showing numbers. `None` while it is being
    /// fitted (the app shows RFM and cohorts first).
    pub clv: Option<Result<clv::Clv, String>>,
    /// The default projection the pane shows.
    pub projection: clv::Projection,
    /// Customers who bought (RFM's rows, the features' rows).
    pub customers: usize,
    /// Per features row: the RFM code and the index of its named segment.
    codes: Vec<u16>,
    segments: Vec<u8>,
    /// Per features row: P(alive) and CLV, where the fit has the customer.
    values: Vec<Option<(f64, f64)>>,
    /// Customers per (R, F) score pair and their mean net spend: `grid[r-1][f-1]`.
    grid: Vec<Vec<(usize, f64)>>,
    /// CLV per RFM segment, made with the fit.
    by_rfm: Vec<ValueGroup>,
    /// Customers by P(alive) in fifths (0–20% first), and CLV at p10, p50, p90 and the max.
    pub alive_fifths: [usize; 5],
    pub clv_percentiles: [f64; 4],
}

/// One customer's value, for the card.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerValue {
    pub rfm: u16,
    pub segment: String,
    pub p_alive: Option<f64>,
    pub clv: Option<f64>,
}

/// The pane's default horizon: a year ahead, discounted 1% a month (lifetimes' default).
pub const DEFAULT_PROJECTION: clv::Projection = clv::Projection {
    horizon_days: 365,
    discount: 0.01,
};

impl ValueReport {
    /// RFM (default rules), cohorts and CLV up to the last purchase day.
    pub fn build(ds: &Dataset, features: &CustomerFeatures) -> Result<ValueReport> {
        let (report, days) = ValueReport::first(ds, features)?;
        Ok(report.with_clv(&days, &features.ids))
    }

    /// RFM and cohorts, the quick part, with the purchase days the CLV fit needs.
    pub fn first(
        ds: &Dataset,
        features: &CustomerFeatures,
    ) -> Result<(ValueReport, purchases::PurchaseDays)> {
        let rfm = rfm::rfm(features, 5, rfm::Rules::defaults())?;
        let days = purchases::purchase_days(ds)?;
        let cohorts = cohorts::cohorts(&days);
        let report = ValueReport {
            customers: rfm.ids.len(),
            codes: (0..rfm.ids.len()).map(|i| rfm.code(i)).collect(),
            segments: rfm.segment.iter().map(|&s| s as u8).collect(),
            grid: rf_grid(&rfm),
            values: Vec::new(),
            rfm: Arc::new(rfm),
            cohorts: Arc::new(cohorts),
            clv: None,
            projection: DEFAULT_PROJECTION,
            by_rfm: Vec::new(),
            alive_fifths: [0; 5],
            clv_percentiles: [0.0; 4],
        };
        Ok((report, days))
    }

    /// The report with its lifetime-value fit (or why there is none); `ids` are the
    /// features' (sorted), whose rows the report's follow.
    pub fn with_clv(mut self, days: &purchases::PurchaseDays, ids: &[String]) -> ValueReport {
        let fitted = clv::clv(days, days.last_day, self.projection)
            .map_err(|e| crate::error::first_line(&e));
        if let Ok(c) = &fitted {
            self.values = vec![None; self.customers];
            for (j, id) in c.summary.ids.iter().enumerate() {
                if let Ok(i) = ids.binary_search(id) {
                    self.values[i] = Some((c.values[j].p_alive, c.values[j].clv));
                }
            }
            self.by_rfm = rfm_value_groups(c, &self.rfm.segment_names, &|id: &str| {
                let row = ids.binary_search_by(|x| x.as_str().cmp(id)).ok()?;
                Some(self.segments[row] as usize)
            });
            for v in &c.values {
                self.alive_fifths[((v.p_alive * 5.0) as usize).min(4)] += 1;
            }
            let mut clvs: Vec<f64> = c.values.iter().map(|v| v.clv).collect();
            clvs.sort_by(f64::total_cmp);
            let n = clvs.len().max(1);
            let at = |q: f64| clvs.get(((q * (n - 1) as f64).round() as usize).min(n - 1));
            self.clv_percentiles = [0.1, 0.5, 0.9, 1.0].map(|q| at(q).copied().unwrap_or(0.0));
        }
        self.clv = Some(fitted);
        self
    }

    /// The report without its per-customer vectors (RFM's measures and scores, the CLV
    /// histories and values): what the app holds beside everything else. The card reads
    /// a customer through [`ValueReport::of_row`] either way.
    pub fn compact(mut self) -> ValueReport {
        let r = &self.rfm;
        self.rfm = Arc::new(rfm::Rfm {
            bins: r.bins,
            recency_thresholds: r.recency_thresholds.clone(),
            frequency_thresholds: r.frequency_thresholds.clone(),
            monetary_thresholds: r.monetary_thresholds.clone(),
            ids: Vec::new(),
            recency_days: Vec::new(),
            frequency: Vec::new(),
            monetary: Vec::new(),
            r: Vec::new(),
            f: Vec::new(),
            m: Vec::new(),
            segment: Vec::new(),
            segment_names: r.segment_names.clone(),
            summary: r.summary.clone(),
            rules: r.rules.clone(),
            shadowed: r.shadowed.clone(),
        });
        if let Some(Ok(c)) = &mut self.clv {
            c.summary = clv::Summary::default();
            c.values = Vec::new();
        }
        self
    }

    /// The customer's RFM code and segment, P(alive) and CLV, by the customer's row in the
    /// features (ids sorted); `None` past the rows.
    pub fn of_row(&self, row: usize) -> Option<CustomerValue> {
        let value = self.values.get(row).copied().flatten();
        Some(CustomerValue {
            rfm: *self.codes.get(row)?,
            segment: self.rfm.segment_names[*self.segments.get(row)? as usize].clone(),
            p_alive: value.map(|v| v.0),
            clv: value.map(|v| v.1),
        })
    }

    /// Customers per (R, F) score pair and their mean net spend: `grid[r-1][f-1]`.
    pub fn rf_grid(&self) -> &[Vec<(usize, f64)>] {
        &self.grid
    }

    /// CLV per RFM segment, in the rules' order (empty while fitting or when CLV could not
    /// be fitted).
    pub fn clv_by_rfm(&self) -> &[ValueGroup] {
        &self.by_rfm
    }
}

/// Totals of the projection over a grouping of the customers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueGroup {
    pub segment: String,
    pub customers: usize,
    /// Mean P(alive).
    pub p_alive: f64,
    pub expected_purchases: f64,
    pub clv: f64,
    pub clv_share: f64,
}

/// Sums the projection per group (`group_of` names a summary row's group, `None` leaves it
/// out), groups in first-seen order of `order`.
pub fn value_groups(
    c: &clv::Clv,
    order: &[String],
    group_of: &dyn Fn(&str) -> Option<String>,
) -> Vec<ValueGroup> {
    let mut groups: Vec<ValueGroup> = order
        .iter()
        .map(|name| ValueGroup {
            segment: name.clone(),
            customers: 0,
            p_alive: 0.0,
            expected_purchases: 0.0,
            clv: 0.0,
            clv_share: 0.0,
        })
        .collect();
    for (i, id) in c.summary.ids.iter().enumerate() {
        let Some(name) = group_of(id) else { continue };
        let Some(g) = groups.iter_mut().find(|g| g.segment == name) else {
            continue;
        };
        let v = &c.values[i];
        g.customers += 1;
        g.p_alive += v.p_alive;
        g.expected_purchases += v.expected_purchases;
        g.clv += v.clv;
    }
    let total: f64 = groups.iter().map(|g| g.clv).sum();
    groups.retain(|g| g.customers > 0);
    for g in &mut groups {
        g.p_alive /= g.customers as f64;
        g.clv_share = if total != 0.0 { g.clv / total } else { 0.0 };
    }
    groups
}

/// Customers per (R, F) score pair and their mean net spend.
fn rf_grid(r: &rfm::Rfm) -> Vec<Vec<(usize, f64)>> {
    let n = r.bins as usize;
    let mut grid = vec![vec![(0usize, 0.0f64); n]; n];
    for i in 0..r.ids.len() {
        let cell = &mut grid[r.r[i] as usize - 1][r.f[i] as usize - 1];
        cell.0 += 1;
        cell.1 += r.monetary[i];
    }
    for row in &mut grid {
        for cell in row.iter_mut() {
            if cell.0 > 0 {
                cell.1 /= cell.0 as f64;
            }
        }
    }
    grid
}

/// The group of customers lifetime value counts (they had purchase days) but RFM does not:
/// every purchase they made was free, so they have no net spend to score.
pub const FREE_ONLY: &str = "Free items only";

/// The projection totalled per RFM segment (customers with only free purchases apart):
/// `segment_of` gives a customer's index into `names`.
pub fn rfm_value_groups(
    c: &clv::Clv,
    names: &[String],
    segment_of: &dyn Fn(&str) -> Option<usize>,
) -> Vec<ValueGroup> {
    let mut order = names.to_vec();
    order.push(FREE_ONLY.to_string());
    value_groups(c, &order, &|id| {
        Some(
            segment_of(id)
                .map_or(FREE_ONLY, |s| names[s].as_str())
                .to_string(),
        )
    })
}

/// [`rfm_value_groups`] of an RFM scoring with its per-customer rows.
pub fn rfm_value_groups_of(c: &clv::Clv, r: &rfm::Rfm) -> Vec<ValueGroup> {
    let of: HashMap<&str, usize> = r
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), r.segment[i]))
        .collect();
    rfm_value_groups(c, &r.segment_names, &|id| of.get(id).copied())
}
