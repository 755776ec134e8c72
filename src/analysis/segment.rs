//! Segments: K-means or a Gaussian mixture (linfa) on the scaled features, ordered by a stable
//! rule, profiled on the raw features and named by documented persona rules.

use anyhow::Result;
use linfa::prelude::*;
use linfa_clustering::GaussianMixtureModel;
use ndarray::{Array2, Array3, Axis};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

use super::features::{CustomerFeatures, ScalerKind, Transform};
use super::metrics::{self, Metrics};
use crate::bail_input;

/// The clustering algorithm of `--algo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    Kmeans,
    Gmm,
}

impl Algo {
    pub fn name(self) -> &'static str {
        match self {
            Algo::Kmeans => "kmeans",
            Algo::Gmm => "gmm",
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
    /// 1 is the segment with the highest mean net spend.
    pub id: usize,
    pub persona: String,
    pub size: usize,
    pub share: f64,
    pub revenue: f64,
    pub revenue_share: f64,
    pub mean: Vec<(String, f64)>,
    pub median: Vec<(String, f64)>,
    pub top_category: Option<String>,
    pub top_region: Option<String>,
}

/// A fitted segmentation.
#[derive(Clone, Debug)]
pub struct Segmentation {
    pub k: usize,
    pub algo: Algo,
    pub seed: u64,
    pub transform: Transform,
    pub ids: Vec<String>,
    /// The scaled matrix that was clustered (rows follow `ids`).
    pub matrix: Array2<f64>,
    /// 0-based segment of each row, in the stable order (0 is shown as segment 1).
    pub labels: Vec<usize>,
    /// Segment centres in the scaled space, in the stable order.
    pub centroids: Array2<f64>,
    pub gmm: Option<GmmParts>,
    pub metrics: Metrics,
    pub profiles: Vec<Profile>,
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
        bail_input!("only {n_customers} customer(s) with purchases: segments need at least 3");
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
    let data = DatasetBase::from(x.clone());
    match algo {
        Algo::Kmeans => {
            let fit = super::kmeans::fit(x, k, seed, kmeans_runs(x.nrows()));
            Ok((fit.labels, None))
        }
        Algo::Gmm => {
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

/// Fits a segmentation of the customers in `f`, with its quality metrics.
pub fn fit(f: &CustomerFeatures, p: &SegmentParams) -> Result<Segmentation> {
    let mut s = fit_unscored(f, p)?;
    score(&mut s);
    Ok(s)
}

/// Fills in the quality metrics of a segmentation from [`fit_unscored`].
pub fn score(s: &mut Segmentation) {
    let _t = crate::timing::phase("metrics");
    s.metrics = metrics::evaluate(&s.matrix, &s.labels, s.seed);
}

/// Whether [`score`] has run (an unscored segmentation carries NaN metrics).
pub fn is_scored(s: &Segmentation) -> bool {
    !s.metrics.silhouette.is_nan()
}

/// Fits a segmentation with profiles but without metrics (NaN until [`score`]): the TUI shows
/// the profile first, and the silhouette when it is ready.
pub fn fit_unscored(f: &CustomerFeatures, p: &SegmentParams) -> Result<Segmentation> {
    check_k(p.k, f.len())?;
    let (transform, x) = f.scaled(&p.features, p.scaler)?;
    fit_unscored_scaled(f, p, transform, x)
}

/// [`fit_unscored`] on a matrix already scaled for `p.features` and `p.scaler` (the TUI keeps
/// it between K changes).
pub fn fit_unscored_scaled(
    f: &CustomerFeatures,
    p: &SegmentParams,
    transform: Transform,
    x: Array2<f64>,
) -> Result<Segmentation> {
    check_k(p.k, f.len())?;
    check_distinct(&x, p.k, &p.features)?;
    let names = transform.features.clone();
    let (labels, gmm) = {
        let _t = crate::timing::phase("fit");
        fit_labels(&x, p.k, p.algo, p.seed)?
    };
    let monetary = f
        .column("monetary")
        .map(|j| f.raw.column(j).to_vec())
        // A customer table without spend: segments are then ordered by size.
        .unwrap_or_else(|| vec![0.0; f.len()]);
    let (labels, order) = stable_order(&labels, &monetary);
    if order.len() >= 2 && order.len() < p.k {
        bail_input!(
            "--k {}: the fit found only {} segments that hold customers; choose --k {} or fewer",
            p.k,
            order.len(),
            order.len()
        );
    }
    if order.len() < 2 {
        bail_input!(
            "--k {}: the customers' {} features do not separate into segments (all customers look the same); try --features all",
            p.k,
            p.features
        );
    }
    let gmm = gmm.map(|g| GmmParts {
        weights: order.iter().map(|&o| g.weights[o]).collect(),
        means: order.iter().map(|&o| g.means[o].clone()).collect(),
        precisions: order.iter().map(|&o| g.precisions[o].clone()).collect(),
    });
    let (centroids, _) = metrics::cluster_means(&x, &labels);
    let metrics = Metrics {
        silhouette: f64::NAN,
        silhouette_sample: 0,
        davies_bouldin: f64::NAN,
        calinski_harabasz: f64::NAN,
        inertia: f64::NAN,
    };
    let profiles = {
        let _t = crate::timing::phase("profiles");
        profile(f, &names, &labels)
    };
    Ok(Segmentation {
        k: centroids.nrows(),
        algo: p.algo,
        seed: p.seed,
        transform,
        ids: f.ids.clone(),
        matrix: x,
        labels,
        centroids,
        gmm,
        metrics,
        profiles,
    })
}

/// Raw features shown in every profile (besides the clustered ones): personas read them.
const PROFILE_FEATURES: &[&str] = &[
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "avg_unit_price",
    "tenure_days",
    "total_quantity",
];

/// The median, as [`super::features::quantile`] at 0.5 gives it (by selection, not a sort).
fn median(mut v: Vec<f64>) -> f64 {
    super::features::quantile_unsorted(&mut v, 0.5)
}

/// Per-segment profiles and persona names.
pub fn profile(f: &CustomerFeatures, clustered: &[String], labels: &[usize]) -> Vec<Profile> {
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut shown: Vec<String> = PROFILE_FEATURES
        .iter()
        .filter(|n| f.column(n).is_some())
        .map(|s| s.to_string())
        .collect();
    for c in clustered {
        if !shown.contains(c) {
            shown.push(c.clone());
        }
    }
    // Each raw column copied once, not once per segment.
    let columns: std::collections::HashMap<&str, Vec<f64>> = shown
        .iter()
        .map(String::as_str)
        .chain(PROFILE_FEATURES.iter().copied())
        .filter_map(|name| f.column(name).map(|j| (name, f.raw.column(j).to_vec())))
        .collect();
    let empty: Vec<f64> = Vec::new();
    let col = |name: &str| columns.get(name).unwrap_or(&empty);
    let monetary = col("monetary");
    let total_revenue: f64 = monetary.iter().sum();
    let n = labels.len() as f64;
    let overall: Vec<(String, f64)> = super::par_map(PROFILE_FEATURES.len(), |j| {
        let name = PROFILE_FEATURES[j];
        (name.to_string(), median(col(name).clone()))
    });
    let overall_of = |name: &str| {
        overall
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0.0, |(_, v)| *v)
    };

    let one = |seg: usize| -> (Profile, Vec<&'static str>) {
        let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == seg).collect();
        let values = |name: &str| -> Vec<f64> {
            let c = col(name);
            rows.iter().map(|&i| c[i]).collect()
        };
        let mean: Vec<(String, f64)> = shown
            .iter()
            .map(|name| {
                let v = values(name);
                (name.clone(), v.iter().sum::<f64>() / v.len().max(1) as f64)
            })
            .collect();
        let med: Vec<(String, f64)> = shown
            .iter()
            .map(|name| (name.clone(), median(values(name))))
            .collect();
        let revenue: f64 = rows.iter().filter_map(|&i| monetary.get(i)).sum::<f64>() + 0.0;
        let top_category = f.categories.as_ref().and_then(|(names, spend)| {
            let sums = spend.select(Axis(0), &rows).sum_axis(Axis(0));
            let best =
                (0..names.len()).max_by(|&a, &b| sums[a].total_cmp(&sums[b]).then(b.cmp(&a)))?;
            (sums[best] > 0.0).then(|| names[best].clone())
        });
        let top_region = f.region.as_ref().and_then(|regions| {
            let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
            for &i in &rows {
                *counts.entry(regions[i].as_str()).or_default() += 1;
            }
            counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                .map(|(r, _)| r.to_string())
        });
        let m = |name: &str| med.iter().find(|(n, _)| n == name).map_or(0.0, |(_, v)| *v);
        let candidates = persona_candidates(&|name| m(name), &overall_of);
        let profile = Profile {
            id: seg + 1,
            persona: String::new(),
            size: rows.len(),
            share: rows.len() as f64 / n,
            revenue,
            revenue_share: if total_revenue != 0.0 {
                revenue / total_revenue
            } else {
                0.0
            },
            mean,
            median: med,
            top_category,
            top_region,
        };
        (profile, candidates)
    };
    // Segments are independent: one thread each (at a million customers the profiles would
    // otherwise take a visible share of a run).
    let (mut profiles, candidates): (Vec<Profile>, Vec<Vec<&'static str>>) =
        super::par_map(k, one).into_iter().unzip();
    // The persona rules read recency, frequency and spend; a customer table without them gets
    // plain names rather than guesses.
    let rules_apply = ["recency_days", "frequency", "monetary"]
        .iter()
        .all(|n| f.column(n).is_some());
    for (p, name) in profiles.iter_mut().zip(unique_personas(&candidates)) {
        p.persona = if rules_apply {
            name
        } else {
            format!("Segment {}", p.id)
        };
    }
    profiles
}

fn roman(n: usize) -> String {
    match n {
        1 => "I".into(),
        2 => "II".into(),
        3 => "III".into(),
        4 => "IV".into(),
        5 => "V".into(),
        6 => "VI".into(),
        7 => "VII".into(),
        8 => "VIII".into(),
        9 => "IX".into(),
        _ => n.to_string(),
    }
}

/// The persona rules, in priority order. `seg` gives the segment's median of a raw feature,
/// `all` the median over every customer. Returns every rule the segment meets, best first,
/// always ending with "Regular".
///
/// 1. "One-time": median frequency is 1.
/// 2. "Lapsed": median recency at least twice the overall median and at least 90 days.
/// 3. "High-value frequent": median net spend at least 1.5 times the overall median and median
///    frequency at least the overall median.
/// 4. "Big-ticket": median average order value at least 1.5 times the overall median.
/// 5. "Bargain hunters": median average unit price at most 0.75 times the overall median.
/// 6. "Recent engaged": median recency at most half the overall median and median frequency
///    at least the overall median.
/// 7. "Loyal": median tenure at least 1.5 times the overall median.
/// 8. "Occasional": median frequency below the overall median.
/// 9. "Regular" always.
pub fn persona_candidates(
    seg: &dyn Fn(&str) -> f64,
    all: &dyn Fn(&str) -> f64,
) -> Vec<&'static str> {
    let rules: [(&str, bool); 8] = [
        ("One-time", seg("frequency") <= 1.0),
        (
            "Lapsed",
            seg("recency_days") >= 2.0 * all("recency_days") && seg("recency_days") >= 90.0,
        ),
        (
            "High-value frequent",
            seg("monetary") >= 1.5 * all("monetary") && seg("frequency") >= all("frequency"),
        ),
        (
            "Big-ticket",
            seg("avg_order_value") >= 1.5 * all("avg_order_value"),
        ),
        (
            "Bargain hunters",
            seg("avg_unit_price") <= 0.75 * all("avg_unit_price"),
        ),
        (
            "Recent engaged",
            seg("recency_days") <= 0.5 * all("recency_days")
                && seg("frequency") >= all("frequency"),
        ),
        (
            "Loyal",
            seg("tenure_days") >= 1.5 * all("tenure_days") && all("tenure_days") > 0.0,
        ),
        ("Occasional", seg("frequency") < all("frequency")),
    ];
    let mut out: Vec<&str> = rules.iter().filter(|r| r.1).map(|r| r.0).collect();
    out.push("Regular");
    out
}

/// Gives each segment (in id order, so the highest spenders choose first) the first persona
/// it meets that no earlier segment took; when all are taken, the first one numbered (" II").
pub fn unique_personas(candidates: &[Vec<&'static str>]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for c in candidates {
        let name = match c.iter().find(|n| !taken.iter().any(|t| t == *n)) {
            Some(n) => n.to_string(),
            None => {
                let base = c.first().copied().unwrap_or("Regular");
                (2..)
                    .map(|i| format!("{base} {}", roman(i)))
                    .find(|n| !taken.contains(n))
                    .unwrap_or_default()
            }
        };
        taken.push(name.clone());
        out.push(name);
    }
    out
}

/// One row of a K sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepRow {
    pub k: usize,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// Metrics for every K in `k_min..=k_max` and the suggested K with the reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sweep {
    pub algo: Algo,
    pub features: Vec<String>,
    pub rows: Vec<SweepRow>,
    pub suggested_k: usize,
    pub reason: String,
}

/// Runs the sweep; the suggestion is the K with the highest silhouette (ties: smaller K),
/// which scikit-learn users read the same way.
pub fn sweep(f: &CustomerFeatures, p: &SegmentParams, k_min: usize, k_max: usize) -> Result<Sweep> {
    if k_min < 2 || k_min > k_max {
        bail_input!("--k-min {k_min} --k-max {k_max}: need 2 <= k-min <= k-max");
    }
    check_k(k_max, f.len()).map_err(|_| {
        crate::error::input(format!(
            "--k-max {k_max}: must be below the number of customers ({})",
            f.len()
        ))
    })?;
    let (transform, x) = f.scaled(&p.features, p.scaler)?;
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
        rows.push(SweepRow {
            k,
            metrics: metrics::evaluate(&x, &labels, p.seed),
        });
    }
    let best = rows
        .iter()
        .max_by(|a, b| {
            a.metrics
                .silhouette
                .total_cmp(&b.metrics.silhouette)
                .then(b.k.cmp(&a.k))
        })
        .map_or(k_min, |r| r.k);
    let row = rows.iter().find(|r| r.k == best);
    let reason = match row {
        Some(r) => format!(
            "highest silhouette ({:.3}) of K = {k_min}..{k_max}; Davies-Bouldin there is {:.3}",
            r.metrics.silhouette, r.metrics.davies_bouldin
        ),
        None => String::new(),
    };
    Ok(Sweep {
        algo: p.algo,
        features: names,
        rows,
        suggested_k: best,
        reason,
    })
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

/// The profile of every segment as a [`Table`] (the same table text, CSV, JSON and the TUI show).
pub fn profile_table(s: &Segmentation) -> super::Table {
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
        columns.push(format!("median_{f}"));
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
            Value::Num(p.share),
            Value::money(p.revenue),
            Value::Num(p.revenue_share),
            p.top_category.as_ref().map_or(Value::Null, Value::text),
            p.top_region.as_ref().map_or(Value::Null, Value::text),
        ];
        for (m, d) in p.mean.iter().zip(&p.median) {
            row.push(Value::Num(m.1));
            row.push(Value::Num(d.1));
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
        let other = match algo {
            Algo::Kmeans => Algo::Gmm,
            Algo::Gmm => Algo::Kmeans,
        };
        fit_labels(&self.x, k, other, seed).ok().map(|(l, _)| l)
    }

    /// The adjusted Rand index between `labels` (one per row of the whole matrix) on the
    /// sampled rows and `theirs`, with the number of rows compared.
    pub fn agreement(&self, labels: &[usize], theirs: &[usize]) -> (f64, usize) {
        let ours: Vec<usize> = self.rows.iter().map(|&i| labels[i]).collect();
        (metrics::adjusted_rand(&ours, theirs), self.rows.len())
    }
}

/// Agreement (adjusted Rand index) between this segmentation and the other algorithm at the
/// same K on the same matrix, with the number of rows compared: above [`AGREEMENT_SAMPLE`]
/// customers the other algorithm is fitted on a seeded sample. `None` when it cannot fit.
pub fn agreement_with_other(s: &Segmentation) -> Option<(f64, usize)> {
    let sample = AgreementSample::draw(&s.matrix, s.seed);
    let theirs = sample.fit_other(s.k, s.algo, s.seed)?;
    Some(sample.agreement(&s.labels, &theirs))
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
    fn persona_rules_in_order() {
        let all = |n: &str| match n {
            "frequency" => 3.0,
            "recency_days" => 60.0,
            "monetary" => 500.0,
            "avg_order_value" => 150.0,
            "avg_unit_price" => 100.0,
            "tenure_days" => 400.0,
            _ => 0.0,
        };
        let seg = |f: f64, r: f64, m: f64, aov: f64, p: f64| {
            move |n: &str| match n {
                "frequency" => f,
                "recency_days" => r,
                "monetary" => m,
                "avg_order_value" => aov,
                "avg_unit_price" => p,
                "tenure_days" => 400.0,
                _ => 0.0,
            }
        };
        let first = |s: &dyn Fn(&str) -> f64| persona_candidates(s, &all)[0];
        assert_eq!(first(&seg(1.0, 10.0, 5000.0, 500.0, 10.0)), "One-time");
        assert_eq!(first(&seg(4.0, 200.0, 5000.0, 150.0, 100.0)), "Lapsed");
        assert_eq!(
            first(&seg(8.0, 20.0, 800.0, 150.0, 100.0)),
            "High-value frequent"
        );
        assert_eq!(first(&seg(3.0, 60.0, 600.0, 300.0, 100.0)), "Big-ticket");
        assert_eq!(
            first(&seg(3.0, 60.0, 400.0, 150.0, 60.0)),
            "Bargain hunters"
        );
        assert_eq!(
            first(&seg(3.0, 20.0, 400.0, 150.0, 100.0)),
            "Recent engaged"
        );
        assert_eq!(first(&seg(2.0, 60.0, 400.0, 150.0, 100.0)), "Occasional");
        assert_eq!(first(&seg(3.0, 60.0, 500.0, 150.0, 100.0)), "Regular");
        assert_eq!(
            persona_candidates(&seg(8.0, 20.0, 800.0, 150.0, 60.0), &all),
            vec![
                "High-value frequent",
                "Bargain hunters",
                "Recent engaged",
                "Regular"
            ]
        );
    }

    #[test]
    fn personas_are_unique_and_fall_back_to_the_next_rule() {
        let names = unique_personas(&[
            vec!["Lapsed", "Regular"],
            vec!["Lapsed", "Occasional", "Regular"],
            vec!["Regular"],
            vec!["Regular"],
        ]);
        assert_eq!(names, vec!["Lapsed", "Occasional", "Regular", "Regular II"]);
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
