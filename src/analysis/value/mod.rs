//! Customer value: RFM scores and named RFM segments, lifetime value (BG/NBD + Gamma-Gamma)
//! and cohort retention, on the definitions of R rfm and Python's lifetimes.

pub mod clv;
pub mod cohorts;
pub mod purchases;
pub mod rfm;
pub mod tables;

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;

use crate::analysis::features::CustomerFeatures;
use crate::data::Dataset;

/// Everything the Value pane and the customer card show, computed once on the worker.
#[derive(Clone, Debug)]
pub struct ValueReport {
    pub rfm: rfm::Rfm,
    pub cohorts: cohorts::Cohorts,
    /// The lifetime-value fit, or why it could not be made (too few repeat buyers, no
    /// convergence): the pane says so instead of showing numbers.
    pub clv: Result<clv::Clv, String>,
    /// The default projection the pane shows.
    pub projection: clv::Projection,
    /// Customer id → row in `rfm` and in the CLV summary.
    rfm_row: HashMap<String, usize>,
    clv_row: HashMap<String, usize>,
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
        let rfm = rfm::rfm(features, 5, rfm::Rules::defaults())?;
        let days = purchases::purchase_days(ds)?;
        let cohorts = cohorts::cohorts(&days);
        let clv = clv::clv(&days, days.last_day, DEFAULT_PROJECTION)
            .map_err(|e| crate::error::first_line(&e));
        let rfm_row = rfm.ids.iter().cloned().zip(0..).collect();
        let clv_row = match &clv {
            Ok(c) => c.summary.ids.iter().cloned().zip(0..).collect(),
            Err(_) => HashMap::new(),
        };
        Ok(ValueReport {
            rfm,
            cohorts,
            clv,
            projection: DEFAULT_PROJECTION,
            rfm_row,
            clv_row,
        })
    }

    /// The customer's RFM code and segment, P(alive) and CLV; `None` for a customer who
    /// never bought.
    pub fn of(&self, id: &str) -> Option<CustomerValue> {
        let &i = self.rfm_row.get(id)?;
        let value = match (&self.clv, self.clv_row.get(id)) {
            (Ok(c), Some(&j)) => Some(c.values[j]),
            _ => None,
        };
        Some(CustomerValue {
            rfm: self.rfm.code(i),
            segment: self.rfm.segment_of(i).to_string(),
            p_alive: value.map(|v| v.p_alive),
            clv: value.map(|v| v.clv),
        })
    }

    /// Customers per (R, F) score pair and their mean net spend: `grid[r-1][f-1]`.
    pub fn rf_grid(&self) -> Vec<Vec<(usize, f64)>> {
        let n = self.rfm.bins as usize;
        let mut grid = vec![vec![(0usize, 0.0f64); n]; n];
        for i in 0..self.rfm.ids.len() {
            let cell = &mut grid[self.rfm.r[i] as usize - 1][self.rfm.f[i] as usize - 1];
            cell.0 += 1;
            cell.1 += self.rfm.monetary[i];
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

    /// CLV per RFM segment, in the rules' order (empty when CLV could not be fitted).
    pub fn clv_by_rfm(&self) -> Vec<ValueGroup> {
        match &self.clv {
            Ok(c) => rfm_value_groups(c, &self.rfm),
            Err(_) => Vec::new(),
        }
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

/// The group of customers lifetime value counts (they had purchase days) but RFM does not:
/// every purchase they made was free, so they have no net spend to score.
pub const FREE_ONLY: &str = "Free items only";

/// The projection totalled per RFM segment (customers with only free purchases apart).
pub fn rfm_value_groups(c: &clv::Clv, r: &rfm::Rfm) -> Vec<ValueGroup> {
    let of: HashMap<&str, &str> = r
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), r.segment_of(i)))
        .collect();
    let mut order = r.segment_names.clone();
    order.push(FREE_ONLY.to_string());
    value_groups(c, &order, &|id| {
        Some(of.get(id).copied().unwrap_or(FREE_ONLY).to_string())
    })
}
