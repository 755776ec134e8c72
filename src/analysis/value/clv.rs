//! Lifetime value: BG/NBD (Fader, Hardie & Lee 2005) for how often and how long customers
//! buy, Gamma-Gamma (Fader & Hardie 2013) for how much, both fitted by maximum likelihood with
//! the definitions of Python's lifetimes 0.11, so figures can be checked against it.

use std::collections::HashMap;

use anyhow::Result;
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use serde::Serialize;
use statrs::function::gamma::{digamma, ln_gamma};

use super::purchases::{Day, PurchaseDays};
use crate::bail_input;

/// lifetimes' summary per customer, in days: purchases on one day merge into one.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub ids: Vec<String>,
    /// Repeat purchase days (purchase days − 1).
    pub frequency: Vec<f64>,
    /// First to last purchase day.
    pub recency: Vec<f64>,
    /// First purchase day to the end of calibration.
    pub t: Vec<f64>,
    /// Mean value of the repeat purchase days (0 with none).
    pub monetary: Vec<f64>,
    /// Each customer's row in the [`PurchaseDays`] it came from.
    pub rows: Vec<usize>,
}

/// Summarises the purchase days up to `until` (inclusive); customers whose first purchase is
/// later are not in the calibration and are left out.
pub fn summarise(p: &PurchaseDays, until: Day) -> Summary {
    let mut s = Summary::default();
    for i in 0..p.len() {
        let (days, spend) = p.of(i);
        let n = days.partition_point(|&d| d <= until);
        if n == 0 {
            continue;
        }
        let x = (n - 1) as f64;
        s.ids.push(p.ids[i].clone());
        s.frequency.push(x);
        s.recency.push((days[n - 1] - days[0]) as f64);
        s.t.push((until - days[0]) as f64);
        s.monetary.push(if n > 1 {
            spend[1..n].iter().sum::<f64>() / x
        } else {
            0.0
        });
        s.rows.push(i);
    }
    s
}

/// BG/NBD parameters, time in days.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    /// Sum over customers at the fitted parameters.
    pub log_likelihood: f64,
}

/// Gamma-Gamma parameters, money in the data's unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub v: f64,
    /// Customers it was fitted on (repeat buyers with a positive mean spend).
    pub customers: usize,
}

/// The fewest customers, and repeat buyers, a fit is tried on: below this the parameters
/// say more about chance than about customers.
pub const MIN_CUSTOMERS: usize = 20;
pub const MIN_REPEAT_BUYERS: usize = 10;

/// Groups above which the BG/NBD likelihood is summed on every core.
const PARALLEL_GROUPS: usize = 20_000;

/// Customers grouped by (x, t_x, T): daily data repeats them often, and the likelihood is a
/// weighted sum over the groups.
#[derive(Clone, Debug)]
pub struct BgNbdData {
    x: Vec<f64>,
    tx: Vec<f64>,
    t: Vec<f64>,
    weight: Vec<f64>,
    /// Index into `distinct_x` per group: the gamma-function terms depend on x alone.
    x_index: Vec<usize>,
    distinct_x: Vec<f64>,
    total: f64,
}

impl BgNbdData {
    /// Times are multiplied by `scale` (lifetimes fits on T scaled to at most 10).
    pub fn new(s: &Summary, scale: f64) -> BgNbdData {
        let mut groups: HashMap<(u64, u64, u64), usize> = HashMap::new();
        let mut d = BgNbdData {
            x: Vec::new(),
            tx: Vec::new(),
            t: Vec::new(),
            weight: Vec::new(),
            x_index: Vec::new(),
            distinct_x: Vec::new(),
            total: s.frequency.len() as f64,
        };
        let mut x_rows: HashMap<u64, usize> = HashMap::new();
        for i in 0..s.frequency.len() {
            let (x, tx, t) = (s.frequency[i], s.recency[i], s.t[i]);
            let key = (x.to_bits(), tx.to_bits(), t.to_bits());
            let g = *groups.entry(key).or_insert_with(|| {
                let xi = *x_rows.entry(x.to_bits()).or_insert_with(|| {
                    d.distinct_x.push(x);
                    d.distinct_x.len() - 1
                });
                d.x.push(x);
                d.tx.push(tx * scale);
                d.t.push(t * scale);
                d.weight.push(0.0);
                d.x_index.push(xi);
                d.x.len() - 1
            });
            d.weight[g] += 1.0;
        }
        d
    }

    /// The mean negative log-likelihood and its gradient in log-parameters
    /// (ln r, ln alpha, ln a, ln b).
    pub fn cost_and_gradient(&self, log_params: &[f64]) -> (f64, [f64; 4]) {
        let terms = self.terms(log_params);
        // Large data is summed in one range per core (the same ranges every call, so the
        // optimiser sees one function).
        let n = self.x.len();
        let parts = if n < PARALLEL_GROUPS {
            1
        } else {
            crate::parallel::threads()
        };
        let (mut ll, mut g) = (0.0, [0.0; 4]);
        for (l, gs) in crate::parallel::map(parts, |p| {
            self.range_sums(&terms, p * n / parts..(p + 1) * n / parts)
        }) {
            ll += l;
            for i in 0..4 {
                g[i] += gs[i];
            }
        }
        (-ll / self.total, g.map(|v| -v / self.total))
    }

    /// What [`Self::range_sums`] reads at `log_params` besides the groups: the parameters,
    /// the gamma terms of each distinct purchase count, and those of no count.
    fn terms(&self, log_params: &[f64]) -> BgNbdTerms {
        let [r, alpha, a, b] = [0, 1, 2, 3].map(|i| log_params[i].exp());
        let per_x: Vec<[f64; 4]> = self
            .distinct_x
            .iter()
            .map(|&x| {
                [
                    ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x),
                    digamma(r + x),
                    digamma(b + x),
                    digamma(a + b + x),
                ]
            })
            .collect();
        let constant = -ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) - ln_gamma(b);
        let (dg_r, dg_ab, dg_b) = (digamma(r), digamma(a + b), digamma(b));
        BgNbdTerms {
            params: [r, alpha, a, b],
            per_x,
            constant,
            dg_r,
            dg_ab,
            dg_b,
        }
    }

    /// The weighted log-likelihood and its gradient in log-parameters over the groups in
    /// `range`; the per-group kernel is kept in one loop.
    fn range_sums(&self, terms: &BgNbdTerms, range: std::ops::Range<usize>) -> (f64, [f64; 4]) {
        let [r, alpha, a, b] = terms.params;
        let (per_x, constant) = (&terms.per_x, terms.constant);
        let (dg_r, dg_ab, dg_b) = (terms.dg_r, terms.dg_ab, terms.dg_b);
        let (mut ll, mut g) = (0.0, [0.0; 4]);
        for k in range {
            let (x, tx, t, w) = (self.x[k], self.tx[k], self.t[k], self.weight[k]);
            let [lg, dg_rx, dg_bx, dg_abx] = per_x[self.x_index[k]];
            let a3 = -(r + x) * (alpha + t).ln();
            let (lse, w3, w4) = if x > 0.0 {
                let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + tx).ln();
                let hi = a3.max(a4);
                let lse = hi + ((a3 - hi).exp() + (a4 - hi).exp()).ln();
                (lse, (a3 - lse).exp(), (a4 - lse).exp())
            } else {
                (a3, 1.0, 0.0)
            };
            ll += w * (constant + lg + lse);
            let d_r = dg_rx - dg_r + alpha.ln()
                - w3 * (alpha + t).ln()
                - if x > 0.0 { w4 * (alpha + tx).ln() } else { 0.0 };
            let d_alpha = r / alpha
                - w3 * (r + x) / (alpha + t)
                - if x > 0.0 {
                    w4 * (r + x) / (alpha + tx)
                } else {
                    0.0
                };
            let d_a = dg_ab - dg_abx + w4 / a;
            let d_b =
                dg_ab + dg_bx - dg_b - dg_abx - if x > 0.0 { w4 / (b + x - 1.0) } else { 0.0 };
            g[0] += w * d_r * r;
            g[1] += w * d_alpha * alpha;
            g[2] += w * d_a * a;
            g[3] += w * d_b * b;
        }
        (ll, g)
    }
}

/// BG/NBD's terms at one parameter point that every group shares.
struct BgNbdTerms {
    /// r, alpha, a, b.
    params: [f64; 4],
    /// Per distinct purchase count x: ln Γ(r+x) + ln Γ(b+x) − ln Γ(a+b+x), then ψ(r+x),
    /// ψ(b+x), ψ(a+b+x).
    per_x: Vec<[f64; 4]>,
    constant: f64,
    dg_r: f64,
    dg_ab: f64,
    dg_b: f64,
}

/// Gamma-Gamma's data: repeat buyers' repeat-purchase counts and mean spends.
#[derive(Clone, Debug)]
pub struct GammaGammaData {
    x: Vec<f64>,
    ln_x: Vec<f64>,
    m: Vec<f64>,
    ln_m: Vec<f64>,
    x_index: Vec<usize>,
    distinct_x: Vec<f64>,
}

impl GammaGammaData {
    /// Spends are multiplied by `scale` (near 1 on average, for the optimiser's sake).
    pub fn new(x: &[f64], m: &[f64], scale: f64) -> GammaGammaData {
        let mut rows: HashMap<u64, usize> = HashMap::new();
        let mut distinct_x = Vec::new();
        let x_index = x
            .iter()
            .map(|&v| {
                *rows.entry(v.to_bits()).or_insert_with(|| {
                    distinct_x.push(v);
                    distinct_x.len() - 1
                })
            })
            .collect();
        let m: Vec<f64> = m.iter().map(|v| v * scale).collect();
        GammaGammaData {
            ln_x: x.iter().map(|v| v.ln()).collect(),
            ln_m: m.iter().map(|v| v.ln()).collect(),
            x: x.to_vec(),
            m,
            x_index,
            distinct_x,
        }
    }

    /// The mean negative log-likelihood and its gradient in (ln p, ln q, ln v).
    pub fn cost_and_gradient(&self, log_params: &[f64]) -> (f64, [f64; 3]) {
        let [p, q, v] = [0, 1, 2].map(|i| log_params[i].exp());
        let per_x: Vec<[f64; 3]> = self
            .distinct_x
            .iter()
            .map(|&x| {
                [
                    ln_gamma(p * x + q) - ln_gamma(p * x),
                    digamma(p * x + q),
                    digamma(p * x),
                ]
            })
            .collect();
        let (lg_q, dg_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
        let (mut ll, mut g) = (0.0, [0.0; 3]);
        for k in 0..self.x.len() {
            let (x, m) = (self.x[k], self.m[k]);
            let [lg, dg_pxq, dg_px] = per_x[self.x_index[k]];
            let px = p * x;
            let ln_xmv = (x * m + v).ln();
            ll += lg - lg_q + q * ln_v + (px - 1.0) * self.ln_m[k] + px * self.ln_x[k]
                - (px + q) * ln_xmv;
            g[0] += x * (dg_pxq - dg_px + self.ln_m[k] + self.ln_x[k] - ln_xmv) * p;
            g[1] += (dg_pxq - dg_q + ln_v - ln_xmv) * q;
            g[2] += (q / v - (px + q) / (x * m + v)) * v;
        }
        let n = self.x.len() as f64;
        (-ll / n, g.map(|v| -v / n))
    }
}

/// A likelihood argmin minimises: any type with a cost and gradient in log-parameters.
trait Likelihood {
    fn value_and_gradient(&self, p: &[f64]) -> (f64, Vec<f64>);
}

impl Likelihood for BgNbdData {
    fn value_and_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let (c, g) = self.cost_and_gradient(p);
        (c, g.to_vec())
    }
}

impl Likelihood for GammaGammaData {
    fn value_and_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let (c, g) = self.cost_and_gradient(p);
        (c, g.to_vec())
    }
}

/// The likelihood and the last point it was evaluated at: the line search asks for the cost
/// and then the gradient at the same point, and one evaluation gives both.
struct Problem<'a, L: Likelihood> {
    likelihood: &'a L,
    last: std::sync::Mutex<Option<Evaluated>>,
}

/// A point with its cost and gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

impl<L: Likelihood> Problem<'_, L> {
    fn at(&self, p: &[f64]) -> Result<(f64, Vec<f64>), argmin::core::Error> {
        if let Ok(last) = self.last.lock()
            && let Some((q, c, g)) = last.as_ref()
            && q.as_slice() == p
        {
            return Ok((*c, g.clone()));
        }
        let (c, g) = finite_step(self.likelihood, p)?;
        if let Ok(mut last) = self.last.lock() {
            *last = Some((p.to_vec(), c, g.clone()));
        }
        Ok((c, g))
    }
}

/// A step that leaves the numbers (a cost or gradient that is not finite, or a log-parameter
/// past ±[`BOUNDARY`]·2) ends the run as an error instead of sending the line search round
/// in circles.
fn finite_step<L: Likelihood>(l: &L, p: &[f64]) -> Result<(f64, Vec<f64>), argmin::core::Error> {
    if p.iter().any(|v| !v.is_finite() || v.abs() > 2.0 * BOUNDARY) {
        return Err(argmin::core::Error::msg(
            "a parameter left the range the model is defined on",
        ));
    }
    let (c, g) = l.value_and_gradient(p);
    if !c.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(argmin::core::Error::msg(
            "the likelihood is not a number there",
        ));
    }
    Ok((c, g))
}

impl<L: Likelihood> CostFunction for Problem<'_, L> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.at(p)?.0)
    }
}

impl<L: Likelihood> Gradient for Problem<'_, L> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.at(p)?.1)
    }
}

/// The gradient norm (of the mean log-likelihood, in log-parameters) below which a fit has
/// converged: far below what moves any parameter in its fourth digit.
const CONVERGED_GRADIENT: f64 = 1e-6;

/// |ln parameter| beyond which a fit has run to the edge of the parameter space (a parameter
/// below e^-15 or above e^15, in data scaled to order 1): a degenerate model, not a fit.
const BOUNDARY: f64 = 15.0;

/// Minimises by L-BFGS from all parameters 1 (lifetimes' start); an error, never a NaN,
/// when it does not converge.
fn minimise<L: Likelihood>(likelihood: &L, names: &[&str], model: &str) -> Result<Vec<f64>> {
    let n = names.len();
    let line_search = MoreThuenteLineSearch::new();
    let solver = LBFGS::new(line_search, 10)
        .with_tolerance_grad(1e-12)?
        .with_tolerance_cost(1e-16)?;
    let problem = Problem {
        likelihood,
        last: std::sync::Mutex::new(None),
    };
    let run = Executor::new(problem, solver)
        .configure(|state| state.param(vec![0.0; n]).max_iters(2000))
        .run();
    let best = match &run {
        Ok(result) => result.state().get_best_param().cloned(),
        Err(_) => None,
    };
    let Some(best) = best else {
        bail_input!(
            "{model}: the maximum-likelihood fit broke off ({}): typically a parameter running off to 0 or infinity because these purchases do not pin the model down; give more data or a later --until",
            run.err().map_or(String::new(), |e| e.to_string())
        );
    };
    if let Some(j) = best.iter().position(|v| v.abs() > BOUNDARY) {
        bail_input!(
            "{model}: parameter {} runs off toward {} (log {:.1}): these purchases do not pin the model down (typically too few customers, or too short a history to see any churn); give more data or a later --until",
            names[j],
            if best[j] < 0.0 { "0" } else { "infinity" },
            best[j]
        );
    }
    let (cost, gradient) = likelihood.value_and_gradient(&best);
    let norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    let finite = cost.is_finite() && best.iter().all(|v| v.is_finite());
    if !finite || norm.is_nan() || norm >= CONVERGED_GRADIENT {
        bail_input!(
            "{model}: the maximum-likelihood fit did not converge (gradient norm {norm:.1e} at {}); a parameter near 0 or very large usually means these purchases do not pin the model down (too few customers, or too short a history to see churn): give more data or a later --until",
            names
                .iter()
                .zip(&best)
                .map(|(n, v)| format!("{n} {:.3e}", v.exp()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(best)
}

/// Fits BG/NBD to the summary.
pub fn fit_bgnbd(s: &Summary) -> Result<BgNbd> {
    let n = s.frequency.len();
    let repeat = s.frequency.iter().filter(|&&x| x > 0.0).count();
    if n < MIN_CUSTOMERS || repeat < MIN_REPEAT_BUYERS {
        bail_input!(
            "BG/NBD: {n} customer(s), {repeat} with repeat purchases before the end of calibration; a fit needs at least {MIN_CUSTOMERS} customers and {MIN_REPEAT_BUYERS} repeat buyers (give a later --until or more data)"
        );
    }
    let max_t = s.t.iter().copied().fold(0.0, f64::max);
    let scale = if max_t > 0.0 { 10.0 / max_t } else { 1.0 };
    let data = BgNbdData::new(s, scale);
    let best = minimise(&data, &["r", "alpha", "a", "b"], "BG/NBD")?;
    let [r, alpha, a, b] = [0, 1, 2, 3].map(|i| best[i].exp());
    let mut fitted = BgNbd {
        r,
        alpha: alpha / scale,
        a,
        b,
        log_likelihood: 0.0,
    };
    fitted.log_likelihood = fitted.log_likelihood_of(s);
    if !(fitted.log_likelihood.is_finite()
        && [r, fitted.alpha, a, b]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0))
    {
        bail_input!(
            "BG/NBD: the fit gave parameters that are not finite; the data may not follow the model"
        );
    }
    Ok(fitted)
}

/// Fits Gamma-Gamma to the repeat buyers with a positive mean spend.
pub fn fit_gamma_gamma(s: &Summary) -> Result<GammaGamma> {
    let (x, m): (Vec<f64>, Vec<f64>) = s
        .frequency
        .iter()
        .zip(&s.monetary)
        .filter(|&(&x, &m)| x > 0.0 && m > 0.0)
        .map(|(&x, &m)| (x, m))
        .unzip();
    if x.len() < MIN_REPEAT_BUYERS {
        bail_input!(
            "Gamma-Gamma: {} repeat buyer(s) with a positive spend; the spend model needs at least {MIN_REPEAT_BUYERS} (give a later --until or more data)",
            x.len()
        );
    }
    let mean = m.iter().sum::<f64>() / m.len() as f64;
    let scale = 1.0 / mean;
    let data = GammaGammaData::new(&x, &m, scale);
    let best = minimise(&data, &["p", "q", "v"], "Gamma-Gamma")?;
    let [p, q, v] = [0, 1, 2].map(|i| best[i].exp());
    let fitted = GammaGamma {
        p,
        q,
        v: v / scale,
        customers: x.len(),
    };
    if fitted.q <= 1.0 {
        bail_input!(
            "Gamma-Gamma: q = {:.3} ≤ 1, so the model's mean spend per purchase is infinite; the spends are too heavy-tailed for it (look at the largest mean spends, or leave such customers out)",
            fitted.q
        );
    }
    Ok(fitted)
}

impl BgNbd {
    /// The log-likelihood of a summary at these parameters (summed over customers).
    pub fn log_likelihood_of(&self, s: &Summary) -> f64 {
        let data = BgNbdData::new(s, 1.0);
        let p = [self.r, self.alpha, self.a, self.b].map(f64::ln);
        -data.cost_and_gradient(&p).0 * data.total
    }

    /// P(alive): the chance a customer with this history has not churned (lifetimes'
    /// `conditional_probability_alive`).
    pub fn p_alive(&self, x: f64, tx: f64, t: f64) -> f64 {
        if x == 0.0 {
            return 1.0;
        }
        let log_div = (self.r + x) * ((self.alpha + t) / (self.alpha + tx)).ln()
            + (self.a / (self.b + x - 1.0)).ln();
        1.0 / (1.0 + log_div.exp())
    }

    /// Expected purchases in the next `horizon` days (lifetimes'
    /// `conditional_expected_number_of_purchases_up_to_time`).
    pub fn expected_purchases(&self, horizon: f64, x: f64, tx: f64, t: f64) -> Result<f64> {
        if horizon <= 0.0 {
            return Ok(0.0);
        }
        let BgNbd { r, alpha, a, b, .. } = *self;
        let (aa, bb, cc) = (r + x, b + x, a + b + x - 1.0);
        let z = horizon / (alpha + t + horizon);
        // Euler's transformation keeps the series' terms small however large x is.
        let ln_hyp = hyp2f1(cc - aa, cc - bb, cc, z)?.ln() + (cc - aa - bb) * (1.0 - z).ln();
        let first = (a + b + x - 1.0) / (a - 1.0);
        let second = 1.0 - (ln_hyp + (r + x) * ((alpha + t) / (alpha + horizon + t)).ln()).exp();
        let denominator = 1.0
            + if x > 0.0 {
                (a / (b + x - 1.0)) * ((alpha + t) / (alpha + tx)).powf(r + x)
            } else {
                0.0
            };
        Ok(first * second / denominator)
    }
}

impl GammaGamma {
    /// Expected spend per purchase (lifetimes' `conditional_expected_average_profit`): the
    /// customer's own mean pulled toward the population's, less so the more they bought.
    pub fn expected_spend(&self, x: f64, m: f64) -> f64 {
        let population = self.v * self.p / (self.q - 1.0);
        let weight = self.p * x / (self.p * x + self.q - 1.0);
        (1.0 - weight) * population + weight * m
    }
}

/// Gauss's hypergeometric series 2F1(a, b; c; z) for 0 ≤ z < 1, summed until its terms stop
/// counting; an error if it does not settle.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for k in 0..200_000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            return if sum.is_finite() && sum > 0.0 {
                Ok(sum)
            } else {
                bail_input!(
                    "lifetime value: the expected-purchases series gave {sum} (z = {z}); the fitted model does not suit these customers"
                )
            };
        }
    }
    bail_input!(
        "lifetime value: the expected-purchases series did not settle (z = {z}); give a shorter --horizon"
    )
}

/// How a lifetime value is projected.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    /// Days ahead.
    pub horizon_days: u32,
    /// Monthly discount rate (lifetimes' `discount_rate`).
    pub discount: f64,
}

/// Days per month in the discounting, as lifetimes counts them at daily periods.
pub const MONTH_DAYS: u32 = 30;

/// One customer's projection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Value {
    pub p_alive: f64,
    pub expected_purchases: f64,
    pub expected_spend: f64,
    pub clv: f64,
}

/// The value of one customer: expected purchases month by month (30 days, the last month cut
/// at the horizon) times expected spend, each month discounted (lifetimes'
/// `customer_lifetime_value`).
pub fn value_of(
    bg: &BgNbd,
    gg: &GammaGamma,
    p: Projection,
    x: f64,
    tx: f64,
    t: f64,
    m: f64,
) -> Result<Value> {
    let spend = gg.expected_spend(x, m);
    let months = p.horizon_days.div_ceil(MONTH_DAYS);
    let (mut clv, mut before) = (0.0, 0.0);
    for month in 1..=months {
        let until = (month * MONTH_DAYS).min(p.horizon_days) as f64;
        let by = bg.expected_purchases(until, x, tx, t)?;
        clv += spend * (by - before) / (1.0 + p.discount).powi(month as i32);
        before = by;
    }
    Ok(Value {
        p_alive: bg.p_alive(x, tx, t),
        expected_purchases: before,
        expected_spend: spend,
        clv,
    })
}

/// The fit and every customer's value.
#[derive(Clone, Debug)]
pub struct Clv {
    pub until: Day,
    pub projection: Projection,
    pub bgnbd: BgNbd,
    pub gamma_gamma: GammaGamma,
    pub summary: Summary,
    pub values: Vec<Value>,
}

/// Fits both models on the purchases up to `until` and projects every customer.
pub fn clv(p: &PurchaseDays, until: Day, projection: Projection) -> Result<Clv> {
    let summary = summarise(p, until);
    let bgnbd = {
        let _t = crate::timing::phase("clv: BG/NBD fit");
        fit_bgnbd(&summary)?
    };
    let gamma_gamma = {
        let _t = crate::timing::phase("clv: Gamma-Gamma fit");
        fit_gamma_gamma(&summary)?
    };
    let _t = crate::timing::phase("clv: projection");
    let values = crate::parallel::map_chunked(summary.ids.len(), 4096, |i| {
        value_of(
            &bgnbd,
            &gamma_gamma,
            projection,
            summary.frequency[i],
            summary.recency[i],
            summary.t[i],
            summary.monetary[i],
        )
    })
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    if let Some(i) = values.iter().position(|v| {
        ![v.p_alive, v.expected_purchases, v.expected_spend, v.clv]
            .iter()
            .all(|x| x.is_finite())
    }) {
        bail_input!(
            "lifetime value: customer {:?} gets a value that is not a number; the fitted model does not suit this customer's history",
            summary.ids[i]
        );
    }
    Ok(Clv {
        until,
        projection,
        bgnbd,
        gamma_gamma,
        summary,
        values,
    })
}

/// Predicted against actual purchases in a holdout period, per calibration frequency: the
/// check lifetimes users make.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HoldoutRow {
    /// Repeat purchases in calibration (the last row: this many or more).
    pub frequency: usize,
    pub or_more: bool,
    pub customers: usize,
    pub actual: f64,
    pub predicted: f64,
}

/// The frequencies shown one by one; the rest share the last row.
pub const HOLDOUT_ROWS: usize = 8;

/// Compares, per calibration frequency, the mean purchase days in (until, holdout] with the
/// mean BG/NBD predicts for that span.
pub fn holdout(c: &Clv, p: &PurchaseDays, holdout_end: Day) -> Result<Vec<HoldoutRow>> {
    let span = (holdout_end - c.until) as f64;
    let mut rows: Vec<HoldoutRow> = (0..=HOLDOUT_ROWS)
        .map(|f| HoldoutRow {
            frequency: f,
            or_more: f == HOLDOUT_ROWS,
            customers: 0,
            actual: 0.0,
            predicted: 0.0,
        })
        .collect();
    let s = &c.summary;
    for i in 0..s.ids.len() {
        let (days, _) = p.of(s.rows[i]);
        let actual = days
            .iter()
            .filter(|&&d| d > c.until && d <= holdout_end)
            .count() as f64;
        let predicted = c
            .bgnbd
            .expected_purchases(span, s.frequency[i], s.recency[i], s.t[i])?;
        let row = &mut rows[(s.frequency[i] as usize).min(HOLDOUT_ROWS)];
        row.customers += 1;
        row.actual += actual;
        row.predicted += predicted;
    }
    rows.retain(|r| r.customers > 0);
    for r in &mut rows {
        r.actual /= r.customers as f64;
        r.predicted /= r.customers as f64;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_analytic_gradients_match_finite_differences() {
        let s = Summary {
            ids: (0..6).map(|i| i.to_string()).collect(),
            frequency: vec![0.0, 1.0, 3.0, 0.0, 7.0, 2.0],
            recency: vec![0.0, 30.0, 100.0, 0.0, 200.0, 5.0],
            t: vec![50.0, 120.0, 260.0, 10.0, 270.0, 90.0],
            monetary: vec![0.0, 20.0, 35.5, 0.0, 12.0, 80.0],
            rows: (0..6).collect(),
        };
        assert_gradient(&BgNbdData::new(&s, 0.05), &[-0.3, 0.4, 0.1, 0.7], "BG/NBD");
        let gg = GammaGammaData::new(&[1.0, 3.0, 7.0, 2.0], &[20.0, 35.5, 12.0, 80.0], 0.03);
        assert_gradient(&gg, &[0.5, 0.2, -0.4], "Gamma-Gamma");
    }

    /// Central differences of the cost against the analytic gradient.
    fn assert_gradient(l: &impl Likelihood, p: &[f64], model: &str) {
        let (_, g) = l.value_and_gradient(p);
        for k in 0..p.len() {
            let h = 1e-6;
            let (mut up, mut down) = (p.to_vec(), p.to_vec());
            up[k] += h;
            down[k] -= h;
            let numeric = (l.value_and_gradient(&up).0 - l.value_and_gradient(&down).0) / (2.0 * h);
            assert!(
                (numeric - g[k]).abs() < 1e-6,
                "{model} d{k}: {numeric} vs {}",
                g[k]
            );
        }
    }

    /// A summary of `n` customers with distinct histories (every one its own group).
    fn many(n: usize, from: usize) -> Summary {
        let mut s = Summary::default();
        for i in from..from + n {
            let x = (i % 7) as f64;
            s.ids.push(i.to_string());
            s.frequency.push(x);
            s.recency
                .push(if x > 0.0 { (i % 300) as f64 + x } else { 0.0 });
            s.t.push(400.0 + (i % 5000) as f64 / 10.0);
            s.monetary.push(0.0);
            s.rows.push(i);
        }
        s
    }

    #[test]
    fn the_likelihood_summed_on_every_core_counts_each_customer_once() {
        // Above PARALLEL_GROUPS the sum runs in one range per core; the two halves, each
        // below it and so summed in one range, must add up to the whole.
        let (a, b) = (many(15_000, 0), many(15_000, 15_000));
        let mut whole = a.clone();
        whole.ids.extend(b.ids.iter().cloned());
        whole.frequency.extend(&b.frequency);
        whole.recency.extend(&b.recency);
        whole.t.extend(&b.t);
        whole.monetary.extend(&b.monetary);
        whole.rows.extend(&b.rows);
        let p = [-0.5, 3.0, -0.2, 0.8];
        let cost = |s: &Summary| BgNbdData::new(s, 1.0).cost_and_gradient(&p);
        let ((ca, ga), (cb, gb), (cw, gw)) = (cost(&a), cost(&b), cost(&whole));
        assert!(
            ((ca + cb) / 2.0 - cw).abs() < 1e-12 * cw.abs(),
            "{ca} {cb} {cw}"
        );
        for k in 0..4 {
            assert!(((ga[k] + gb[k]) / 2.0 - gw[k]).abs() < 1e-9, "d{k}");
        }
    }

    #[test]
    fn the_series_agrees_with_closed_forms() {
        // 2F1(1, 1; 2; z) = −ln(1 − z) / z; 2F1(a, b; b; z) = (1 − z)^−a.
        for z in [0.1, 0.5, 0.9, 0.99] {
            let want = -(1.0f64 - z).ln() / z;
            assert!(
                (hyp2f1(1.0, 1.0, 2.0, z).unwrap() / want - 1.0).abs() < 1e-12,
                "z {z}"
            );
            let want = (1.0f64 - z).powf(-0.7);
            assert!(
                (hyp2f1(0.7, 2.5, 2.5, z).unwrap() / want - 1.0).abs() < 1e-12,
                "z {z}"
            );
        }
    }

    #[test]
    fn too_few_customers_is_refused_not_fitted() {
        let s = Summary {
            ids: vec!["a".into(), "b".into()],
            frequency: vec![1.0, 0.0],
            recency: vec![3.0, 0.0],
            t: vec![9.0, 4.0],
            monetary: vec![5.0, 0.0],
            rows: vec![0, 1],
        };
        let e = fit_bgnbd(&s).unwrap_err();
        assert!(e.to_string().contains("at least 20 customers"), "{e}");
    }
}
