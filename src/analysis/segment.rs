//! Segments: K-means, a Gaussian mixture (linfa) or Ward's hierarchical clustering (kodama) on
//! the scaled, limited features, ordered by a stable rule, profiled on the raw features,
//! explained and named by documented persona rules. Net returners are never clustered: they
//! are a fixed group of their own.

use super::features::names;
use anyhow::Result;
use linfa::prelude::*;
use linfa_clustering::GaussianMixtureModel;
use ndarray::{Array2, Array3, Axis};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

use super::explain::{self, Distinctive, Warning};
use super::features::{CustomerFeatures, MONETARY, ScalerKind, Transform};
use super::metrics::{self, Metrics};
use super::persona;
use crate::bail_input;

/// The clustering algorithm of `--algo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    Kmeans,
    Gmm,
    /// Agglomerative clustering with Ward linkage (scikit-learn's AgglomerativeClustering).
    Ward,
}

impl Algo {
    pub fn name(self) -> &'static str {
        match self {
            Algo::Kmeans => "kmeans",
            Algo::Gmm => "gmm",
            Algo::Ward => "ward",
        }
    }

    /// The next algorithm of the TUI's toggle: K-means → mixture → Ward → K-means.
    pub fn next(self) -> Algo {
        match self {
            Algo::Kmeans => Algo::Gmm,
            Algo::Gmm => Algo::Ward,
            Algo::Ward => Algo::Kmeans,
        }
    }

    /// The algorithm the agreement index compares with: K-means for the others, the mixture
    /// for K-means.
    pub fn other(self) -> Algo {
        match self {
            Algo::Kmeans => Algo::Gmm,
            Algo::Gmm | Algo::Ward => Algo::Kmeans,
        }
    }
}

/// What to fit.
#[derive(Clone, Debug)]
pub struct SegmentParams {
    pub k: usize,
    pub algo: Algo,
    pub seed: u64,
    /// `--features`: a set name or a comma list.
    pub features: String,
    pub scaler: ScalerKind,
}

/// The default seed: the same command gives the same labels every run.
pub const DEFAULT_SEED: u64 = 42;
/// K-means restarts, each from greedy k-means++ seeds. Twenty, not scikit-learn's ten: on
/// blobs with more K than clusters, n_init=10 lands over 1% above its own best optimum in 9 of 20
/// random states (tests/golden/metrics), and twenty keeps ours within 1% of it.
pub const KMEANS_RUNS: usize = 20;
/// Above this many customers, K-means restarts [`KMEANS_RUNS_LARGE`] times: with that many rows
/// a restart's optimum varies far less, and each costs more.
pub const KMEANS_LARGE: usize = 20_000;
/// scikit-learn's `n_init`, used above [`KMEANS_LARGE`] customers.
pub const KMEANS_RUNS_LARGE: usize = 10;

/// The persona of the fixed group of customers whose net spend is at most zero.
pub const NET_RETURNERS: &str = "Net returners";

/// Restarts for a matrix of `n` rows.
pub fn kmeans_runs(n: usize) -> usize {
    if n > KMEANS_LARGE {
        KMEANS_RUNS_LARGE
    } else {
        KMEANS_RUNS
    }
}

/// A Gaussian mixture's parameters, enough to assign new rows (model.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GmmParts {
    pub weights: Vec<f64>,
    pub means: Vec<Vec<f64>>,
    /// One precision matrix (inverse covariance) per component.
    pub precisions: Vec<Vec<Vec<f64>>>,
}

/// One segment's profile on the raw (unscaled) features.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Profile {
    /// 1 is the segment with the highest mean net spend; the net returners come last.
    pub id: usize,
    pub persona: String,
    /// The rule that named it, with the values that fired it.
    pub rule: String,
    /// The fixed group of net returners, not a cluster.
    pub fixed: bool,
    pub size: usize,
    /// Share of every customer who bought (net returners included).
    pub share: f64,
    pub revenue: f64,
    pub revenue_share: f64,
    pub mean: Vec<(String, f64)>,
    pub median: Vec<(String, f64)>,
    /// The shown features, most distinctive first.
    pub distinctive: Vec<Distinctive>,
    pub top_category: Option<String>,
    pub top_region: Option<String>,
}

/// A fitted segmentation.
#[derive(Clone, Debug)]
pub struct Segmentation {
    /// Clustered segments (the net returners' group not counted).
    pub k: usize,
    pub algo: Algo,
    pub seed: u64,
    pub transform: Transform,
    pub ids: Vec<String>,
    /// The scaled, limited matrix (rows follow `ids`); the clustered rows are those whose
    /// label is below `k`.
    pub matrix: Array2<f64>,
    /// The same features scaled but not limited: the space lookalikes are measured in.
    pub similarity: Array2<f64>,
    /// 0-based segment of each row, in the stable order (0 is shown as segment 1); `k` for a
    /// net returner.
    pub labels: Vec<usize>,
    /// Customers in the net returners' group.
    pub net_returners: usize,
    /// Whether customers with net spend ≤ 0 are set apart (transaction data with spend), so
    /// `assign` does the same on other data.
    pub net_rule: bool,
    /// Segment centres in the scaled space, in the stable order (clustered segments only).
    pub centroids: Array2<f64>,
    pub gmm: Option<GmmParts>,
    /// Ward above [`super::ward::WARD_MAX_ROWS`] customers: the rows its tree was built on.
    pub tree_rows: Option<usize>,
    pub metrics: Metrics,
    /// The clustered segments, then the net returners' group when there is one.
    pub profiles: Vec<Profile>,
    pub warnings: Vec<Warning>,
}

impl Segmentation {
    /// Rows of the clustered customers, `None` when every row is clustered.
    pub fn clustered_rows(&self) -> Option<Vec<usize>> {
        (self.net_returners > 0).then(|| {
            (0..self.labels.len())
                .filter(|&i| self.labels[i] < self.k)
                .collect()
        })
    }

    /// The clustered customers' rows of the matrix and their labels.
    pub fn clustered(
        &self,
    ) -> (
        std::borrow::Cow<'_, Array2<f64>>,
        std::borrow::Cow<'_, [usize]>,
    ) {
        match self.clustered_rows() {
            None => (
                std::borrow::Cow::Borrowed(&self.matrix),
                std::borrow::Cow::Borrowed(&self.labels[..]),
            ),
            Some(rows) => (
                std::borrow::Cow::Owned(self.matrix.select(Axis(0), &rows)),
                std::borrow::Cow::Owned(rows.iter().map(|&i| self.labels[i]).collect()),
            ),
        }
    }

    /// Segments plus the net returners' group: how many groups labels name.
    pub fn groups(&self) -> usize {
        self.profiles.len()
    }
}

/// Refuses a K above the number of distinct feature vectors: K segments need K different
/// customers, and a silent smaller K would mislabel the result. Stops counting at K.
pub fn check_distinct(x: &Array2<f64>, k: usize, features: &str) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for row in x.outer_iter() {
        let bits: Vec<u64> = row.iter().map(|v| (v + 0.0).to_bits()).collect();
        seen.insert(bits);
        if seen.len() >= k {
            return Ok(());
        }
    }
    if seen.len() < 2 {
        // All alike: the fit says so in its own words.
        return Ok(());
    }
    bail_input!(
        "--k {k}: the customers have only {} distinct {features} feature vectors, so at most {} segments (choose --k {} or fewer, or other features: --features all)",
        seen.len(),
        seen.len(),
        seen.len().max(2)
    )
}

/// Checks K against the data before any fitting.
pub fn check_k(k: usize, n_customers: usize) -> Result<()> {
    if n_customers < 3 {
        bail_input!(
            "only {n_customers} customer(s) with purchases and a positive net spend: segments need at least 3"
        );
    }
    if k < 2 || k >= n_customers {
        bail_input!(
            "--k {k}: must be at least 2 and below the number of customers ({n_customers})"
        );
    }
    Ok(())
}

/// Fits the clustering; returns raw 0-based labels (in no particular order) and, for a
/// mixture, its parameters.
pub fn fit_labels(
    x: &Array2<f64>,
    k: usize,
    algo: Algo,
    seed: u64,
) -> Result<(Vec<usize>, Option<GmmParts>)> {
    match algo {
        Algo::Kmeans => {
            let fit = super::kmeans::fit(x, k, seed, kmeans_runs(x.nrows()));
            Ok((fit.labels, None))
        }
        Algo::Ward => Ok((super::ward::fit(x, k, seed).labels, None)),
        Algo::Gmm => {
            let data = DatasetBase::from(x.clone());
            let model = GaussianMixtureModel::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
                .n_runs(3)
                .tolerance(1e-4)
                .max_n_iterations(300)
                .fit(&data)
                .map_err(|e| crate::error::input(format!("--algo gmm at --k {k}: the mixture did not fit ({e}); try a smaller --k or --algo kmeans")))?;
            let labels: ndarray::Array1<usize> = model.predict(x);
            let p: &Array3<f64> = model.precisions();
            let parts = GmmParts {
                weights: model.weights().to_vec(),
                means: model.means().outer_iter().map(|r| r.to_vec()).collect(),
                precisions: p
                    .outer_iter()
                    .map(|m| m.outer_iter().map(|r| r.to_vec()).collect())
                    .collect(),
            };
            Ok((labels.to_vec(), Some(parts)))
        }
    }
}

/// Inertia after each of the first `steps` Lloyd iterations from one greedy k-means++ seeding:
/// a diagnostic of convergence (it must never rise), used by the property tests.
pub fn lloyd_trace(x: &Array2<f64>, k: usize, seed: u64, steps: u64) -> Result<Vec<f64>> {
    Ok(super::kmeans::trace(x, k, seed, steps as usize))
}

/// Relabels clusters so that 0 has the highest mean `key` (ties: larger, then lower old label),
/// dropping empty clusters. Returns the new labels and the old label of each new one.
fn stable_order(labels: &[usize], key: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut sum = vec![0.0; k];
    let mut size = vec![0usize; k];
    for (&l, &v) in labels.iter().zip(key) {
        sum[l] += v;
        size[l] += 1;
    }
    let mut order: Vec<usize> = (0..k).filter(|&c| size[c] > 0).collect();
    let mean = |c: usize| sum[c] / size[c] as f64;
    order.sort_by(|&a, &b| {
        mean(b)
            .total_cmp(&mean(a))
            .then(size[b].cmp(&size[a]))
            .then(a.cmp(&b))
    });
    let mut new_of = vec![usize::MAX; k];
    for (new, &old) in order.iter().enumerate() {
        new_of[old] = new;
    }
    (labels.iter().map(|&l| new_of[l]).collect(), order)
}

/// Fits a segmentation of the customers in `f`, with its quality metrics (no agreement index):
/// [`super::service::Service`]'s fit, then [`score`].
pub fn fit(f: &CustomerFeatures, p: &SegmentParams) -> Result<Segmentation> {
    let mut s = super::service::Service::new(f).fit(p)?;
    score(&mut s);
    Ok(s)
}

/// Fills in the quality metrics of a segmentation from [`fit_unscored`], on the clustered
/// customers.
pub fn score(s: &mut Segmentation) {
    let _t = crate::timing::phase("metrics");
    let (x, labels) = s.clustered();
    s.metrics = metrics::evaluate(&x, &labels, s.seed);
}

/// Whether [`score`] has run (an unscored segmentation carries NaN metrics).
pub fn is_scored(s: &Segmentation) -> bool {
    !s.metrics.silhouette.is_nan()
}

/// Fits a segmentation with profiles but without metrics (NaN until [`score`]): the TUI shows
/// the profile first, and the silhouette when it is ready.
pub fn fit_unscored(f: &CustomerFeatures, p: &SegmentParams) -> Result<Segmentation> {
    super::service::Service::new(f).fit(p)
}

/// The rows that are clustered: every customer but the net returners.
fn clustered_rows(f: &CustomerFeatures) -> Vec<usize> {
    f.net_returners()
        .iter()
        .enumerate()
        .filter(|(_, r)| !**r)
        .map(|(i, _)| i)
        .collect()
}

/// [`fit_unscored`] on a matrix already scaled for `p.features` and `p.scaler` (the TUI keeps
/// it between K changes).
pub fn fit_unscored_scaled(
    f: &CustomerFeatures,
    p: &SegmentParams,
    transform: Transform,
    x: Array2<f64>,
) -> Result<Segmentation> {
    let rows = clustered_rows(f);
    let net_returners = f.len() - rows.len();
    check_k(p.k, rows.len())?;
    let xc = if net_returners == 0 {
        std::borrow::Cow::Borrowed(&x)
    } else {
        std::borrow::Cow::Owned(x.select(Axis(0), &rows))
    };
    check_distinct(&xc, p.k, &p.features)?;
    let names = transform.features.clone();
    let (labels, gmm) = fit_in_spend_order(f, p, &rows, &xc)?;
    let (centroids, _) = metrics::cluster_means(&xc, &labels);
    let k = centroids.nrows();
    let all_labels = with_net_returners(&labels, &rows, f.len(), k);
    let profiles = {
        let _t = crate::timing::phase("profiles");
        profile(f, &names, &all_labels, k)
    };
    let warnings = with_scaler_hint(
        p,
        segment_warnings(f, &rows, &names, &xc, &labels, &profiles),
    );
    drop(xc);
    let tree_rows = (p.algo == Algo::Ward && rows.len() > super::ward::WARD_MAX_ROWS)
        .then_some(super::ward::WARD_MAX_ROWS);
    let similarity = transform.apply(&f.raw_matrix(&names));
    Ok(Segmentation {
        k,
        algo: p.algo,
        seed: p.seed,
        transform,
        ids: f.ids.clone(),
        matrix: x,
        similarity,
        labels: all_labels,
        net_returners,
        net_rule: f.column(MONETARY).is_some() && !f.from_table,
        centroids,
        gmm,
        tree_rows,
        metrics: Metrics {
            silhouette: f64::NAN,
            silhouette_sample: 0,
            davies_bouldin: f64::NAN,
            calinski_harabasz: f64::NAN,
            inertia: f64::NAN,
        },
        profiles,
        warnings,
    })
}

/// Fits the clustered rows `xc` and numbers the segments by spend (biggest first), so the same
/// customers get the same segment numbers whatever order the algorithm found them in.
fn fit_in_spend_order(
    f: &CustomerFeatures,
    p: &SegmentParams,
    rows: &[usize],
    xc: &Array2<f64>,
) -> Result<(Vec<usize>, Option<GmmParts>)> {
    let (labels, gmm) = {
        let _t = crate::timing::phase("fit");
        fit_labels(xc, p.k, p.algo, p.seed)?
    };
    let monetary: Vec<f64> = match f.column(MONETARY) {
        Some(j) => rows.iter().map(|&i| f.raw[[i, j]]).collect(),
        // A customer table without spend: segments are then ordered by size.
        None => vec![0.0; rows.len()],
    };
    let (labels, order) = stable_order(&labels, &monetary);
    check_found(p, order.len())?;
    let gmm = gmm.map(|g| GmmParts {
        weights: order.iter().map(|&o| g.weights[o]).collect(),
        means: order.iter().map(|&o| g.means[o].clone()).collect(),
        precisions: order.iter().map(|&o| g.precisions[o].clone()).collect(),
    });
    Ok((labels, gmm))
}

/// Under `--scaler none` every warning also names the scaler that would tame it.
fn with_scaler_hint(p: &SegmentParams, mut warnings: Vec<Warning>) -> Vec<Warning> {
    if p.scaler == ScalerKind::None {
        for w in &mut warnings {
            w.message.push_str(
                "; --scaler none leaves every feature raw and unlimited: try --scaler robust",
            );
        }
    }
    warnings
}

/// Every customer's label: the clustered `rows` keep theirs, the net returners get `k`.
fn with_net_returners(labels: &[usize], rows: &[usize], n: usize, k: usize) -> Vec<usize> {
    if n == rows.len() {
        return labels.to_vec();
    }
    let mut all = vec![k; n];
    for (&i, &l) in rows.iter().zip(labels) {
        all[i] = l;
    }
    all
}

/// Refuses a fit that found fewer segments holding customers than asked for.
fn check_found(p: &SegmentParams, found: usize) -> Result<()> {
    if found >= 2 && found < p.k {
        bail_input!(
            "--k {}: the fit found only {found} segments that hold customers; choose --k {found} or fewer",
            p.k
        );
    }
    if found < 2 {
        bail_input!(
            "--k {}: the customers' {} features do not separate into segments (all customers look the same); try --features all",
            p.k,
            p.features
        );
    }
    Ok(())
}

/// The small- and dominant-segment warnings of a fit, on its clustered rows.
fn segment_warnings(
    f: &CustomerFeatures,
    rows: &[usize],
    names: &[String],
    x: &Array2<f64>,
    labels: &[usize],
    profiles: &[Profile],
) -> Vec<Warning> {
    let ids: Vec<&str> = rows.iter().map(|&i| f.ids[i].as_str()).collect();
    let personas: Vec<String> = profiles
        .iter()
        .filter(|p| !p.fixed)
        .map(|p| p.persona.clone())
        .collect();
    explain::warnings(
        &explain::Clustered {
            x,
            labels,
            ids: &ids,
            features: names,
        },
        &personas,
    )
}

/// Raw features shown in every profile (besides the clustered ones): personas read them.
const PROFILE_FEATURES: &[&str] = &[
    names::RECENCY_DAYS,
    names::FREQUENCY,
    names::MONETARY,
    names::AVG_ORDER_VALUE,
    names::AVG_UNIT_PRICE,
    names::TENURE_DAYS,
    names::TOTAL_QUANTITY,
];

/// Customers the robust scale of explanations is learnt on at most (a seeded sample above).
pub const EXPLAIN_SAMPLE: usize = 20_000;

/// The median, as [`super::features::quantile`] at 0.5 gives it (by selection, not a sort).
fn median(mut v: Vec<f64>) -> f64 {
    super::features::quantile_unsorted(&mut v, 0.5)
}

/// The features a profile shows: [`PROFILE_FEATURES`] the data has, the clustered ones, then
/// the extra ones.
fn shown_features(f: &CustomerFeatures, clustered: &[String]) -> Vec<String> {
    let mut shown: Vec<String> = PROFILE_FEATURES
        .iter()
        .filter(|n| f.column(n).is_some())
        .map(|s| s.to_string())
        .collect();
    // The data's extra features too, clustered on or not: a segment reads as "pays in
    // installments, by boleto" only if its profile shows them.
    for c in clustered.iter().chain(&f.extra) {
        if !shown.contains(c) {
            shown.push(c.clone());
        }
    }
    shown
}

/// Median days between orders over the repeat customers among `rows`: the span from first to
/// last purchase (tenure − recency) over orders − 1. `None` unless at least half of `rows`
/// ordered twice or more (a handful of repeat customers in a one-order segment is not its
/// rhythm).
fn typical_gap(f: &CustomerFeatures, rows: &[usize]) -> Option<f64> {
    let (t, r, o) = (
        f.column(names::TENURE_DAYS)?,
        f.column(names::RECENCY_DAYS)?,
        f.column(names::FREQUENCY)?,
    );
    let gaps: Vec<f64> = rows
        .iter()
        .filter(|&&i| f.raw[[i, o]] >= 2.0)
        .map(|&i| (f.raw[[i, t]] - f.raw[[i, r]]).max(0.0) / (f.raw[[i, o]] - 1.0))
        .collect();
    (!gaps.is_empty() && 2 * gaps.len() >= rows.len()).then(|| median(gaps))
}

/// Median days between orders over every repeat customer among `rows`, however few.
fn repeat_gap(f: &CustomerFeatures, rows: &[usize]) -> Option<f64> {
    let repeat: Vec<usize> = f.column(names::FREQUENCY).map_or(Vec::new(), |o| {
        rows.iter()
            .copied()
            .filter(|&i| f.raw[[i, o]] >= 2.0)
            .collect()
    });
    typical_gap(f, &repeat)
}

/// A group's figures before it is named.
struct Figures {
    profile: Profile,
    /// Medians of the shown features, in their order.
    medians: Vec<f64>,
    gap: Option<f64>,
}

/// Per-segment profiles and persona names; `labels` name `k` clustered segments, and `k`
/// itself marks a net returner.
pub fn profile(
    f: &CustomerFeatures,
    clustered: &[String],
    labels: &[usize],
    k: usize,
) -> Vec<Profile> {
    let shown = shown_features(f, clustered);
    let raw = f.raw_matrix(&shown);
    let groups = labels.iter().copied().max().map_or(0, |m| m + 1).max(k);
    let in_clusters: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] < k).collect();
    let (overall, explain_scale) = typical_of_clustered(&shown, &raw.select(Axis(0), &in_clusters));
    let inputs = FigureInputs {
        f,
        shown: &shown,
        raw: &raw,
        labels,
        k,
        total_revenue: f.column(MONETARY).map_or(0.0, |j| f.raw.column(j).sum()),
        overall: &overall,
        scale: &explain_scale,
    };
    // Segments are independent: one thread each.
    let mut figures: Vec<Figures> = super::par_map(groups, |seg| inputs.figures(seg));
    let all_gap = repeat_gap(f, &in_clusters);
    name_segments(
        f,
        &Named {
            shown: &shown,
            clustered,
            overall: &overall,
            all_gap,
            scale: &explain_scale,
        },
        &mut figures[..k.min(groups)],
    );
    name_net_returners(&mut figures, k);
    figures.into_iter().map(|fig| fig.profile).collect()
}

/// Every clustered customer's medians and robust scales: what "typical" means here.
fn typical_of_clustered(shown: &[String], raw_clustered: &Array2<f64>) -> (Vec<f64>, Transform) {
    let overall: Vec<f64> =
        super::par_map(shown.len(), |j| median(raw_clustered.column(j).to_vec()));
    // The robust units explanations are measured in: quartiles settle long before a million
    // rows, so a seeded sample gives them.
    let scale_rows = metrics::sample_rows(raw_clustered.nrows(), EXPLAIN_SAMPLE, DEFAULT_SEED);
    let explain_scale = Transform::fit_scale(
        shown,
        &raw_clustered.select(Axis(0), &scale_rows),
        ScalerKind::Robust,
    )
    .0;
    (overall, explain_scale)
}

/// What one segment's [`Figures`] are measured from.
struct FigureInputs<'a> {
    f: &'a CustomerFeatures,
    shown: &'a [String],
    /// The shown features of every customer.
    raw: &'a Array2<f64>,
    labels: &'a [usize],
    k: usize,
    total_revenue: f64,
    overall: &'a [f64],
    scale: &'a Transform,
}

impl FigureInputs<'_> {
    /// Segment `seg`'s figures, unnamed.
    fn figures(&self, seg: usize) -> Figures {
        let (f, shown, labels) = (self.f, self.shown, self.labels);
        let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == seg).collect();
        let part = self.raw.select(Axis(0), &rows);
        let mean: Vec<(String, f64)> = shown
            .iter()
            .enumerate()
            .map(|(j, name)| {
                (
                    name.clone(),
                    part.column(j).sum() / rows.len().max(1) as f64,
                )
            })
            .collect();
        let medians: Vec<f64> = (0..shown.len())
            .map(|j| median(part.column(j).to_vec()))
            .collect();
        let revenue: f64 = f
            .column(MONETARY)
            .map_or(0.0, |j| rows.iter().map(|&i| f.raw[[i, j]]).sum::<f64>())
            + 0.0;
        let profile = Profile {
            id: seg + 1,
            persona: String::new(),
            rule: String::new(),
            fixed: seg == self.k,
            size: rows.len(),
            share: rows.len() as f64 / labels.len() as f64,
            revenue,
            revenue_share: if self.total_revenue != 0.0 {
                revenue / self.total_revenue
            } else {
                0.0
            },
            mean,
            median: shown.iter().cloned().zip(medians.iter().copied()).collect(),
            distinctive: explain::distinctive(shown, &medians, self.overall, self.scale),
            top_category: top_category(f, &rows),
            top_region: top_region(f, &rows),
        };
        let gap = typical_gap(f, &rows);
        Figures {
            profile,
            medians,
            gap,
        }
    }
}

/// The groups past the `k` clustered ones hold the net returners, named by rule.
fn name_net_returners(figures: &mut [Figures], k: usize) {
    for fig in figures.iter_mut().skip(k) {
        fig.profile.persona = NET_RETURNERS.to_string();
        fig.profile.rule = format!(
            "{NET_RETURNERS}: net spend ≤ 0 (returned as much as they bought, or more); not clustered"
        );
    }
}

/// What naming reads besides each segment's figures.
struct Named<'a> {
    shown: &'a [String],
    /// Qualifiers come from these (the clustered features), so the same clustering gets the
    /// same names whatever other columns the data has.
    clustered: &'a [String],
    overall: &'a [f64],
    all_gap: Option<f64>,
    scale: &'a Transform,
}

/// Names the clustered segments by [`persona::name`], with qualifiers where names repeat. A
/// customer table without recency, orders and spend gets plain names rather than guesses.
fn name_segments(f: &CustomerFeatures, n: &Named, figures: &mut [Figures]) {
    let (shown, overall, all_gap, scale) = (n.shown, n.overall, n.all_gap, n.scale);
    let rules_apply = [names::RECENCY_DAYS, names::FREQUENCY, MONETARY]
        .iter()
        .all(|n| f.column(n).is_some());
    if !rules_apply {
        for fig in figures.iter_mut() {
            fig.profile.persona = format!("Segment {}", fig.profile.id);
            fig.profile.rule = "no recency, orders and spend to name it by".to_string();
        }
        return;
    }
    let lookup = |values: &[f64]| {
        let values = values.to_vec();
        move |name: &str| shown.iter().position(|n| n == name).map(|j| values[j])
    };
    let all_value = lookup(overall);
    let all = persona::Medians {
        value: &all_value,
        gap: all_gap,
    };
    let named: Vec<persona::Named> = figures
        .iter()
        .map(|fig| {
            let value = lookup(&fig.medians);
            persona::name(
                &persona::Medians {
                    value: &value,
                    gap: fig.gap,
                },
                &all,
            )
        })
        .collect();
    let scaled: Vec<Vec<f64>> = figures
        .iter()
        .map(|fig| explain::scaled_row(scale, &fig.medians))
        .collect();
    let apart = |s: usize, members: &[usize]| -> Vec<persona::Apart> {
        (0..shown.len())
            .filter(|&j| n.clustered.contains(&shown[j]))
            .map(|j| {
                let mean =
                    members.iter().map(|&m| scaled[m][j]).sum::<f64>() / members.len() as f64;
                persona::Apart {
                    feature: shown[j].clone(),
                    diff: scaled[s][j] - mean,
                    median: figures[s].medians[j],
                }
            })
            .collect()
    };
    let bases: Vec<&'static str> = named.iter().map(|n| n.base).collect();
    let names = persona::unique_names(&bases, &apart);
    for ((fig, name), rule) in figures.iter_mut().zip(names).zip(named) {
        fig.profile.persona = name;
        fig.profile.rule = format!("{}: {}", rule.base, rule.rule);
    }
}

/// The category the rows spent most on.
fn top_category(f: &CustomerFeatures, rows: &[usize]) -> Option<String> {
    f.categories.as_ref().and_then(|(names, spend)| {
        let sums = spend.select(Axis(0), rows).sum_axis(Axis(0));
        let best = (0..names.len()).max_by(|&a, &b| sums[a].total_cmp(&sums[b]).then(b.cmp(&a)))?;
        (sums[best] > 0.0).then(|| names[best].clone())
    })
}

/// The region most of the rows live in.
fn top_region(f: &CustomerFeatures, rows: &[usize]) -> Option<String> {
    f.region.as_ref().and_then(|regions| {
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for &i in rows {
            *counts.entry(regions[i].as_str()).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
            .map(|(r, _)| r.to_string())
    })
}

/// One row of a K sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepRow {
    pub k: usize,
    #[serde(flatten)]
    pub metrics: Metrics,
    /// The smallest segment's share of the clustered customers.
    pub smallest_share: f64,
}

/// Metrics for every K in `k_min..=k_max` and the suggested K with the reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sweep {
    pub algo: Algo,
    pub features: Vec<String>,
    pub rows: Vec<SweepRow>,
    /// The highest silhouette among the K whose smallest segment holds at least 1%.
    pub silhouette_k: Option<usize>,
    /// The elbow: the K with the largest second difference of inertia.
    pub elbow_k: Option<usize>,
    pub suggested_k: usize,
    pub reason: String,
}

/// Runs the sweep on the clustered customers. It suggests the K with the highest silhouette
/// (ties: smaller K) among those whose smallest segment holds at least 1% of the customers,
/// reports the elbow beside it, and says which it suggests and why.
pub fn sweep(f: &CustomerFeatures, p: &SegmentParams, k_min: usize, k_max: usize) -> Result<Sweep> {
    if k_min < 2 || k_min > k_max {
        bail_input!("--k-min {k_min} --k-max {k_max}: need 2 <= k-min <= k-max");
    }
    let rows_kept = clustered_rows(f);
    check_k(k_max, rows_kept.len()).map_err(|_| {
        crate::error::input(format!(
            "--k-max {k_max}: must be below the number of customers with a positive net spend ({})",
            rows_kept.len()
        ))
    })?;
    let (transform, x) = f.scaled(&p.features, p.scaler)?;
    let x = if rows_kept.len() == f.len() {
        x
    } else {
        x.select(Axis(0), &rows_kept)
    };
    let names = transform.features;
    let mut rows = Vec::new();
    for k in k_min..=k_max {
        let (labels, _) = fit_labels(&x, k, p.algo, p.seed)?;
        let (labels, order) = stable_order(&labels, &vec![0.0; labels.len()]);
        if order.len() < 2 {
            bail_input!(
                "the customers' {} features do not separate into segments (all customers look the same); try --features all",
                p.features
            );
        }
        let mut sizes = vec![0usize; order.len()];
        for &l in &labels {
            sizes[l] += 1;
        }
        let smallest = sizes.iter().copied().min().unwrap_or(0) as f64 / labels.len() as f64;
        rows.push(SweepRow {
            k,
            metrics: metrics::evaluate(&x, &labels, p.seed),
            smallest_share: smallest,
        });
    }
    let (silhouette_k, elbow_k, suggested_k, reason) = suggest(&rows, k_min, k_max);
    Ok(Sweep {
        algo: p.algo,
        features: names,
        rows,
        silhouette_k,
        elbow_k,
        suggested_k,
        reason,
    })
}

/// The elbow of the inertia curve: the K with the largest second difference
/// `inertia(K−1) − 2·inertia(K) + inertia(K+1)` (ties: smaller K); `None` under three rows.
pub fn elbow(rows: &[SweepRow]) -> Option<usize> {
    rows.windows(3)
        .map(|w| {
            let d2 = w[0].metrics.inertia - 2.0 * w[1].metrics.inertia + w[2].metrics.inertia;
            (w[1].k, d2)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(k, _)| k)
}

/// The suggestion's note on the K left out for a segment under 1% of the customers.
fn excluded_note(rows: &[SweepRow]) -> String {
    let excluded: Vec<String> = rows
        .iter()
        .filter(|r| r.smallest_share < explain::SMALL_SHARE)
        .map(|r| r.k.to_string())
        .collect();
    if excluded.is_empty() {
        String::new()
    } else {
        format!(
            "; K = {} left out: a segment there holds under 1% of the customers",
            excluded.join(", ")
        )
    }
}

/// The sweep's choice: silhouette among K without a tiny segment, else the elbow, else the
/// K with the largest smallest segment.
fn suggest(
    rows: &[SweepRow],
    k_min: usize,
    k_max: usize,
) -> (Option<usize>, Option<usize>, usize, String) {
    let eligible = rows
        .iter()
        .filter(|r| r.smallest_share >= explain::SMALL_SHARE);
    let by_silhouette = eligible.clone().max_by(|a, b| {
        a.metrics
            .silhouette
            .total_cmp(&b.metrics.silhouette)
            .then(b.k.cmp(&a.k))
    });
    let elbow_k = elbow(rows);
    let excluded_note = excluded_note(rows);
    let elbow_note = match elbow_k {
        Some(e) => format!("the elbow of inertia is at K = {e}"),
        None => "too few K for an elbow".to_string(),
    };
    match by_silhouette {
        Some(r) => (
            Some(r.k),
            elbow_k,
            r.k,
            format!(
                "highest silhouette ({:.3}) of K = {k_min}..{k_max}, Davies-Bouldin there {:.3}; {elbow_note}{excluded_note}",
                r.metrics.silhouette, r.metrics.davies_bouldin
            ),
        ),
        None => {
            let k = rows
                .iter()
                .max_by(|a, b| {
                    a.smallest_share
                        .total_cmp(&b.smallest_share)
                        .then(b.k.cmp(&a.k))
                })
                .map_or(k_min, |r| r.k);
            (
                None,
                elbow_k,
                k,
                format!(
                    "every K = {k_min}..{k_max} has a segment under 1% of the customers, so K = {k} (the one whose smallest segment is largest) only; {elbow_note}: a few extreme customers decide these segmentations, try --scaler robust or other --features"
                ),
            )
        }
    }
}

/// Assigns scaled rows to the nearest centre (K-means) or the most likely component (GMM).
pub fn assign(x: &Array2<f64>, centroids: &Array2<f64>, gmm: Option<&GmmParts>) -> Vec<usize> {
    match gmm {
        None => x
            .axis_iter(Axis(0))
            .map(|row| {
                (0..centroids.nrows())
                    .map(|c| {
                        (
                            c,
                            row.iter()
                                .zip(centroids.row(c))
                                .map(|(a, b)| (a - b) * (a - b))
                                .sum::<f64>(),
                        )
                    })
                    .fold(
                        (0, f64::INFINITY),
                        |best, (c, d)| if d < best.1 { (c, d) } else { best },
                    )
                    .0
            })
            .collect(),
        Some(g) => {
            let logdets: Vec<f64> = g.precisions.iter().map(|p| log_det_spd(p)).collect();
            x.axis_iter(Axis(0))
                .map(|row| {
                    (0..g.weights.len())
                        .map(|c| {
                            let diff: Vec<f64> =
                                row.iter().zip(&g.means[c]).map(|(a, b)| a - b).collect();
                            let p = &g.precisions[c];
                            let quad: f64 = (0..diff.len())
                                .map(|i| {
                                    diff[i]
                                        * (0..diff.len()).map(|j| p[i][j] * diff[j]).sum::<f64>()
                                })
                                .sum();
                            (c, g.weights[c].ln() + 0.5 * logdets[c] - 0.5 * quad)
                        })
                        .fold((0, f64::NEG_INFINITY), |best, (c, lp)| {
                            if lp > best.1 { (c, lp) } else { best }
                        })
                        .0
                })
                .collect()
        }
    }
}

/// log det of a symmetric positive-definite matrix, by Cholesky.
fn log_det_spd(m: &[Vec<f64>]) -> f64 {
    let d = m.len();
    let mut l = vec![vec![0.0; d]; d];
    let mut logdet = 0.0;
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let v = (m[i][i] - s).max(f64::MIN_POSITIVE).sqrt();
                l[i][j] = v;
                logdet += 2.0 * v.ln();
            } else {
                l[i][j] = (m[i][j] - s) / l[j][j];
            }
        }
    }
    logdet
}

/// Every customer as one profile, to compare a segment with (the TUI's compare view): each
/// mean weighted by segment size, which is the mean over everyone since the means are per
/// customer; no medians or distinctive features.
pub fn everyone(profiles: &[Profile]) -> Profile {
    let n: usize = profiles.iter().map(|p| p.size).sum();
    let mean = profiles
        .first()
        .map(|p| {
            p.mean
                .iter()
                .map(|(name, _)| {
                    let sum: f64 = profiles
                        .iter()
                        .filter_map(|q| {
                            let v = q.mean.iter().find(|(m, _)| m == name)?.1;
                            Some(v * q.size as f64)
                        })
                        .sum();
                    (name.clone(), sum / n.max(1) as f64)
                })
                .collect()
        })
        .unwrap_or_default();
    Profile {
        id: 0,
        persona: "everyone".into(),
        rule: String::new(),
        fixed: false,
        size: n,
        share: 1.0,
        revenue: profiles.iter().map(|p| p.revenue).sum(),
        revenue_share: 1.0,
        mean,
        median: vec![],
        distinctive: vec![],
        top_category: None,
        top_region: None,
    }
}

/// The profile of every segment as a [`Table`] (segment_summary.csv): mean and median of every
/// shown feature.
pub fn profile_table(s: &Segmentation) -> super::Table {
    profile_table_with(s, true)
}

/// The profile table with the medians (`segment_summary.csv`) or without them (what fits a
/// terminal).
pub fn profile_table_with(s: &Segmentation, medians: bool) -> super::Table {
    use super::Value;
    let features: Vec<String> = s
        .profiles
        .first()
        .map(|p| p.mean.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let mut columns = vec![
        "segment",
        "persona",
        "size",
        "share",
        "revenue",
        "revenue_share",
        "top_category",
        "top_region",
    ]
    .into_iter()
    .map(str::to_string)
    .collect::<Vec<_>>();
    for f in &features {
        columns.push(format!("mean_{f}"));
        if medians {
            columns.push(format!("median_{f}"));
        }
    }
    let mut t = super::Table {
        name: "segments".into(),
        title: format!("Segments ({} K = {})", s.algo.name(), s.k),
        columns,
        rows: vec![],
    };
    for p in &s.profiles {
        let mut row = vec![
            Value::Int(p.id as i64),
            Value::text(&p.persona),
            Value::count(p.size),
            Value::Share(p.share),
            Value::money(p.revenue),
            Value::Share(p.revenue_share),
            p.top_category.as_ref().map_or(Value::Null, Value::text),
            p.top_region.as_ref().map_or(Value::Null, Value::text),
        ];
        for (m, d) in p.mean.iter().zip(&p.median) {
            row.push(Value::Num(m.1));
            if medians {
                row.push(Value::Num(d.1));
            }
        }
        t.push(row);
    }
    t
}

/// Rows the agreement is measured on at most: a mixture fit is single-threaded and grows with
/// the rows (`SEGSCOPE_TIMINGS=1` shows its share as "agreement"), and the index settles well
/// before that.
pub const AGREEMENT_SAMPLE: usize = 2_000;

/// The rows the agreement is measured on (all of them up to [`AGREEMENT_SAMPLE`], else a
/// seeded sample) with their matrix rows: drawn from the scaled matrix alone, so the other
/// algorithm can be fitted while this one still runs.
pub struct AgreementSample {
    rows: Vec<usize>,
    x: Array2<f64>,
}

impl AgreementSample {
    pub fn draw(matrix: &Array2<f64>, seed: u64) -> AgreementSample {
        let rows = metrics::sample_rows(matrix.nrows(), AGREEMENT_SAMPLE, seed);
        let x = matrix.select(Axis(0), &rows);
        AgreementSample { rows, x }
    }

    /// The labels of the algorithm other than `algo`, at `k`, on the sample; `None` when it
    /// cannot fit.
    pub fn fit_other(&self, k: usize, algo: Algo, seed: u64) -> Option<Vec<usize>> {
        fit_labels(&self.x, k, algo.other(), seed)
            .ok()
            .map(|(l, _)| l)
    }

    /// The adjusted Rand index between `labels` (one per row of the whole matrix) on the
    /// sampled rows and `theirs`, with the number of rows compared.
    pub fn agreement(&self, labels: &[usize], theirs: &[usize]) -> (f64, usize) {
        let ours: Vec<usize> = self.rows.iter().map(|&i| labels[i]).collect();
        (metrics::adjusted_rand(&ours, theirs), self.rows.len())
    }
}

/// The ids of the clustered customers of `f`.
pub fn clustered_ids(f: &CustomerFeatures) -> Vec<String> {
    clustered_rows(f)
        .into_iter()
        .map(|i| f.ids[i].clone())
        .collect()
}

/// The rows of a scaled matrix of `f` that are clustered (net returners left out).
pub fn clustered_matrix<'a>(
    f: &CustomerFeatures,
    x: &'a Array2<f64>,
) -> std::borrow::Cow<'a, Array2<f64>> {
    let rows = clustered_rows(f);
    if rows.len() == x.nrows() {
        std::borrow::Cow::Borrowed(x)
    } else {
        std::borrow::Cow::Owned(x.select(Axis(0), &rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_order_puts_the_biggest_spenders_first_and_drops_empty_clusters() {
        let (labels, order) = stable_order(&[2, 2, 0, 0, 0], &[100.0, 80.0, 1.0, 2.0, 3.0]);
        assert_eq!(labels, vec![0, 0, 1, 1, 1]);
        assert_eq!(order, vec![2, 0], "cluster 1 was empty");
    }

    #[test]
    fn median_by_selection_equals_the_sorted_quantile() {
        for v in [
            vec![3.0],
            vec![4.0, 1.0],
            vec![5.0, -1.0, 2.5, 2.5, 9.0, 0.0],
            vec![7.0, 3.0, 3.0, 1.0, 8.0],
        ] {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            assert_eq!(median(v), super::super::features::quantile(&sorted, 0.5));
        }
        assert_eq!(median(vec![]), 0.0);
    }

    #[test]
    fn nearest_centroid_assignment() {
        let x = ndarray::array![[0.0, 0.0], [9.0, 9.0], [4.0, 4.0]];
        let c = ndarray::array![[10.0, 10.0], [0.0, 1.0]];
        assert_eq!(assign(&x, &c, None), vec![1, 0, 1]);
    }
}
