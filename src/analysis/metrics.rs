//! Cluster quality, as scikit-learn defines it (silhouette_score, davies_bouldin_score,
//! calinski_harabasz_score, KMeans.inertia_, adjusted_rand_score). linfa's silhouette scores a
//! singleton cluster 1 where scikit-learn scores it 0, so all of them are written here once.

use ndarray::{Array2, ArrayView1, Axis};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

/// Above this many rows the silhouette is computed on a seeded sample of this size (the
/// notebook's `silhouette_score(..., sample_size=10_000)`).
pub const SILHOUETTE_EXACT_MAX: usize = 10_000;

fn dist(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

fn n_labels(labels: &[usize]) -> usize {
    labels.iter().copied().max().map_or(0, |m| m + 1)
}

/// Mean silhouette coefficient over all rows (exact, O(n²)). Rows in a cluster of one score 0.
/// Rows are regrouped by cluster into columns, and each pair's distance is computed once: row
/// p measures the rows after it in one vectorised pass per cluster, adds the distances into
/// its own sum for that cluster, and adds each into the later row's sum for p's cluster.
/// Rows are split over the cores by equal numbers of pairs.
pub fn silhouette(x: &Array2<f64>, labels: &[usize]) -> f64 {
    let n = x.nrows();
    let clusters = ClusterColumns::of(x, labels);
    let sums = clusters.distance_sums();
    clusters.coefficient_sum(&sums) / n.max(1) as f64
}

/// The rows regrouped by cluster, column-major, for [`silhouette`].
struct ClusterColumns {
    n: usize,
    d: usize,
    k: usize,
    /// Feature f of the p-th row in cluster order at `f * n + p`.
    cols: Vec<f64>,
    /// Cluster c's rows are positions `starts[c]..starts[c + 1]`.
    starts: Vec<usize>,
}

impl ClusterColumns {
    fn of(x: &Array2<f64>, labels: &[usize]) -> ClusterColumns {
        let (n, d) = x.dim();
        let k = n_labels(labels);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| labels[i]);
        let mut starts = vec![0usize; k + 1];
        for &l in labels {
            starts[l + 1] += 1;
        }
        for c in 0..k {
            starts[c + 1] += starts[c];
        }
        // Column-major, rows in cluster order.
        let mut cols = vec![0.0; n * d];
        for f in 0..d {
            for (slot, &i) in cols[f * n..(f + 1) * n].iter_mut().zip(&order) {
                *slot = x[[i, f]];
            }
        }
        ClusterColumns {
            n,
            d,
            k,
            cols,
            starts,
        }
    }

    /// The cluster of the row at position `p`.
    fn cluster_of(&self, p: usize) -> usize {
        self.starts.partition_point(|&s| s <= p) - 1
    }

    fn size(&self, c: usize) -> usize {
        self.starts[c + 1] - self.starts[c]
    }

    /// `sums[c * n + p]`: the summed distance from the row at position `p` to the rows of
    /// cluster c, each pair measured once, on all cores (the threads' parts added in thread
    /// order).
    fn distance_sums(&self) -> Vec<f64> {
        let (n, k) = (self.n, self.k);
        let threads = crate::parallel::threads().min(n.max(1));
        // Row p has n − p − 1 later rows: thread t starts where the pairs left are (T − t) / T.
        let bounds: Vec<usize> = (0..=threads)
            .map(|t| {
                let left = 1.0 - t as f64 / threads as f64;
                ((n as f64) * (1.0 - left.sqrt())).round() as usize
            })
            .collect();
        let parts: Vec<Vec<f64>> =
            crate::parallel::map(threads, |t| self.later_pair_sums(bounds[t], bounds[t + 1]));
        let mut sums = vec![0.0; k * n];
        for part in &parts {
            for (t, v) in sums.iter_mut().zip(part) {
                *t += v;
            }
        }
        sums
    }

    /// One thread's part of [`ClusterColumns::distance_sums`]: the pairs of rows `lo..hi`
    /// with the rows after them, added into both rows' sums.
    fn later_pair_sums(&self, lo: usize, hi: usize) -> Vec<f64> {
        let ClusterColumns {
            n,
            d,
            k,
            ref cols,
            ref starts,
        } = *self;
        let mut sums = vec![0.0; k * n];
        let mut point = vec![0.0; d];
        let mut dist = vec![0.0; n];
        for p in lo..hi {
            for (f, v) in point.iter_mut().enumerate() {
                *v = cols[f * n + p];
            }
            let own = self.cluster_of(p);
            for c in 0..k {
                let (a, b) = (starts[c].max(p + 1), starts[c + 1]);
                if a >= b {
                    continue;
                }
                sums[c * n + p] += distances(cols, n, a, b, &point, &mut dist[a..b]);
                for (t, &dq) in sums[own * n + a..own * n + b].iter_mut().zip(&dist[a..b]) {
                    *t += dq;
                }
            }
        }
        sums
    }

    /// The silhouette coefficients of every row, summed in row order (rows in clusters of one
    /// add nothing). A fold from +0.0: `Sum` for f64 starts at -0.0, and no rows must score 0.
    fn coefficient_sum(&self, sums: &[f64]) -> f64 {
        (0..self.n).fold(0.0, |total, p| total + self.coefficient(sums, p))
    }

    /// The silhouette coefficient of the row at position `p` (0 in a cluster of one).
    fn coefficient(&self, sums: &[f64], p: usize) -> f64 {
        let (n, k) = (self.n, self.k);
        let own = self.cluster_of(p);
        if self.size(own) <= 1 {
            return 0.0;
        }
        let a = sums[own * n + p] / (self.size(own) - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && self.size(c) > 0)
            .map(|c| sums[c * n + p] / self.size(c) as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 && b.is_finite() {
            (b - a) / m
        } else {
            0.0
        }
    }
}

/// Each cluster's silhouette coefficients (in no particular order), from the same pass as
/// [`silhouette`]: their mean over all rows is the silhouette. For the silhouette plot.
pub fn silhouettes_by_cluster(x: &Array2<f64>, labels: &[usize]) -> Vec<Vec<f64>> {
    let clusters = ClusterColumns::of(x, labels);
    let sums = clusters.distance_sums();
    (0..clusters.k)
        .map(|c| {
            (clusters.starts[c]..clusters.starts[c + 1])
                .map(|p| clusters.coefficient(&sums, p))
                .collect()
        })
        .collect()
}

/// Distances from `point` to rows `lo..hi` of the column-major `cols` (n rows), written to
/// `out` (one per row), and their sum. Rows go in blocks of [`LANES`] whose squared distances
/// stay in registers across the features; the blocks' roots add into [`LANES`] running sums
/// (one chain of dependent adds would bound the loop). The same order with or without AVX2,
/// so the same bits.
#[inline(always)]
fn distances_body(
    cols: &[f64],
    n: usize,
    lo: usize,
    hi: usize,
    point: &[f64],
    out: &mut [f64],
) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let mut i = lo;
    while i + LANES <= hi {
        let mut acc = [0.0f64; LANES];
        for (f, &pf) in point.iter().enumerate() {
            let block = &cols[f * n + i..f * n + i + LANES];
            for (a, &v) in acc.iter_mut().zip(block) {
                let diff = v - pf;
                *a += diff * diff;
            }
        }
        let slot = &mut out[i - lo..i - lo + LANES];
        for ((l, a), o) in lanes.iter_mut().zip(acc).zip(slot) {
            let r = a.sqrt();
            *o = r;
            *l += r;
        }
        i += LANES;
    }
    let mut tail = 0.0;
    for r in i..hi {
        let mut acc = 0.0;
        for (f, &pf) in point.iter().enumerate() {
            let diff = cols[f * n + r] - pf;
            acc += diff * diff;
        }
        let root = acc.sqrt();
        out[r - lo] = root;
        tail += root;
    }
    lanes.iter().sum::<f64>() + tail
}

/// Rows per block in [`distances`].
const LANES: usize = 16;

crate::simd_dispatch!(fn distances(cols: &[f64], n: usize, lo: usize, hi: usize, point: &[f64], out: &mut [f64]) -> f64 => distances_body);

/// Rows to use: all `n` up to `max`, else a seeded sample of `max` (sorted, so the same seed
/// always gives the same rows).
pub fn sample_rows(n: usize, max: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    if n > max {
        idx.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
        idx.truncate(max);
        idx.sort_unstable();
    }
    idx
}

/// The silhouette, on a seeded sample of [`SILHOUETTE_EXACT_MAX`] rows when there are more.
/// Returns the score and the number of rows it used.
pub fn silhouette_sampled(x: &Array2<f64>, labels: &[usize], seed: u64) -> (f64, usize) {
    if x.nrows() <= SILHOUETTE_EXACT_MAX {
        return (silhouette(x, labels), x.nrows());
    }
    let idx = sample_rows(x.nrows(), SILHOUETTE_EXACT_MAX, seed);
    let sub = x.select(Axis(0), &idx);
    let sub_labels: Vec<usize> = idx.iter().map(|&i| labels[i]).collect();
    (silhouette(&sub, &sub_labels), idx.len())
}

/// Cluster means (rows) and sizes for `labels`.
pub fn cluster_means(x: &Array2<f64>, labels: &[usize]) -> (Array2<f64>, Vec<usize>) {
    let k = n_labels(labels);
    let mut means = Array2::<f64>::zeros((k, x.ncols()));
    let mut sizes = vec![0usize; k];
    for (row, &l) in x.axis_iter(Axis(0)).zip(labels) {
        let mut m = means.row_mut(l);
        m += &row;
        sizes[l] += 1;
    }
    for (c, mut m) in means.axis_iter_mut(Axis(0)).enumerate() {
        if sizes[c] > 0 {
            m /= sizes[c] as f64;
        }
    }
    (means, sizes)
}

/// Davies–Bouldin index: mean over clusters of the worst (s_i + s_j) / d(c_i, c_j).
pub fn davies_bouldin(x: &Array2<f64>, labels: &[usize]) -> f64 {
    let (means, sizes) = cluster_means(x, labels);
    let k = means.nrows();
    if k < 2 {
        return 0.0;
    }
    let mut intra = vec![0.0; k];
    for (row, &l) in x.axis_iter(Axis(0)).zip(labels) {
        intra[l] += dist(row, means.row(l));
    }
    for c in 0..k {
        if sizes[c] > 0 {
            intra[c] /= sizes[c] as f64;
        }
    }
    let mut centroid_d = Array2::<f64>::zeros((k, k));
    for i in 0..k {
        for j in 0..k {
            centroid_d[[i, j]] = dist(means.row(i), means.row(j));
        }
    }
    let near_zero = |v: f64| v.abs() <= 1e-8;
    if intra.iter().all(|&v| near_zero(v)) || centroid_d.iter().all(|&v| near_zero(v)) {
        return 0.0;
    }
    let mut total = 0.0;
    for i in 0..k {
        let mut worst = f64::NEG_INFINITY;
        for j in 0..k {
            if i == j {
                continue;
            }
            let d = if centroid_d[[i, j]] == 0.0 {
                f64::INFINITY
            } else {
                centroid_d[[i, j]]
            };
            worst = worst.max((intra[i] + intra[j]) / d);
        }
        total += worst;
    }
    total / k as f64
}

/// Calinski–Harabasz index: between- over within-cluster dispersion, scaled by degrees of freedom.
pub fn calinski_harabasz(x: &Array2<f64>, labels: &[usize]) -> f64 {
    let (means, sizes) = cluster_means(x, labels);
    let (n, k) = (x.nrows() as f64, means.nrows() as f64);
    let overall = x
        .mean_axis(Axis(0))
        .unwrap_or_else(|| ndarray::Array1::zeros(x.ncols()));
    let mut extra = 0.0;
    for (c, m) in means.axis_iter(Axis(0)).enumerate() {
        extra += sizes[c] as f64
            * m.iter()
                .zip(overall.iter())
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>();
    }
    let intra = inertia(x, labels, &means);
    if intra == 0.0 {
        1.0
    } else {
        extra * (n - k) / (intra * (k - 1.0))
    }
}

/// Sum of squared distances from each row to its cluster's centre.
pub fn inertia(x: &Array2<f64>, labels: &[usize], centres: &Array2<f64>) -> f64 {
    x.axis_iter(Axis(0))
        .zip(labels)
        .map(|(row, &l)| {
            row.iter()
                .zip(centres.row(l).iter())
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
        })
        .sum()
}

fn comb2(n: u64) -> f64 {
    (n as f64) * (n as f64 - 1.0) / 2.0
}

/// Adjusted Rand index between two labelings of the same rows (1 = identical partitions).
pub fn adjusted_rand(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len() as u64;
    let (ka, kb) = (n_labels(a), n_labels(b));
    let mut table = vec![0u64; ka * kb];
    let (mut ra, mut rb) = (vec![0u64; ka], vec![0u64; kb]);
    for (&x, &y) in a.iter().zip(b) {
        table[x * kb + y] += 1;
        ra[x] += 1;
        rb[y] += 1;
    }
    let index: f64 = table.iter().map(|&v| comb2(v)).sum();
    let sa: f64 = ra.iter().map(|&v| comb2(v)).sum();
    let sb: f64 = rb.iter().map(|&v| comb2(v)).sum();
    let total = comb2(n);
    if total == 0.0 {
        return 1.0;
    }
    let expected = sa * sb / total;
    let max = (sa + sb) / 2.0;
    if max == expected {
        1.0
    } else {
        (index - expected) / (max - expected)
    }
}

/// The quality figures reported with every segmentation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    pub silhouette: f64,
    /// Rows the silhouette was computed on (all of them up to 10,000).
    pub silhouette_sample: usize,
    pub davies_bouldin: f64,
    pub calinski_harabasz: f64,
    pub inertia: f64,
}

/// All metrics for a labelling; inertia against the cluster means.
pub fn evaluate(x: &Array2<f64>, labels: &[usize], seed: u64) -> Metrics {
    let t = crate::timing::phase("metrics: silhouette");
    let (silhouette, silhouette_sample) = silhouette_sampled(x, labels, seed);
    drop(t);
    let _t = crate::timing::phase("metrics: the others");
    let (means, _) = cluster_means(x, labels);
    Metrics {
        silhouette,
        silhouette_sample,
        davies_bouldin: davies_bouldin(x, labels),
        calinski_harabasz: calinski_harabasz(x, labels),
        inertia: inertia(x, labels, &means),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_checked_two_clusters() {
        // Points 0, 1 (cluster 0) and 10, 11 (cluster 1) on a line.
        let x = array![[0.0], [1.0], [10.0], [11.0]];
        let l = [0, 0, 1, 1];
        // Row 0: a = 1, b = (10 + 11) / 2 = 10.5 -> s = 9.5 / 10.5; row 1: a = 1, b = 9.5 -> 8.5 / 9.5.
        let want = (2.0 * (9.5 / 10.5) + 2.0 * (8.5 / 9.5)) / 4.0;
        assert!((silhouette(&x, &l) - want).abs() < 1e-15);
        // Means 0.5 and 10.5; intra 0.5 each; centroid distance 10 -> DB = 1 / 10.
        assert!((davies_bouldin(&x, &l) - 0.1).abs() < 1e-15);
        // extra = 2*25 + 2*25 = 100, intra = 4 * 0.25 = 1 -> CH = 100 * (4 - 2) / (1 * 1).
        assert!((calinski_harabasz(&x, &l) - 200.0).abs() < 1e-12);
        assert_eq!(adjusted_rand(&l, &[1, 1, 0, 0]), 1.0);
    }

    #[test]
    fn singleton_cluster_scores_zero_as_in_scikit_learn() {
        let x = array![[0.0], [1.0], [5.0]];
        let l = [0, 0, 1];
        // Rows 0 and 1 only; row 2 is alone and scores 0.
        let want = ((5.0 - 1.0) / 5.0 + (4.0 - 1.0) / 4.0) / 3.0;
        assert!((silhouette(&x, &l) - want).abs() < 1e-15);
    }

    /// The definition, pair by pair (each distance computed from both ends).
    fn naive_silhouette(x: &Array2<f64>, labels: &[usize]) -> f64 {
        let n = x.nrows();
        let k = n_labels(labels);
        let size = |c: usize| labels.iter().filter(|&&l| l == c).count();
        let mut total = 0.0;
        for i in 0..n {
            let mut sums = vec![0.0; k];
            for j in 0..n {
                if i != j {
                    sums[labels[j]] += dist(x.row(i), x.row(j));
                }
            }
            let own = labels[i];
            if size(own) <= 1 {
                continue;
            }
            let a = sums[own] / (size(own) - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && size(c) > 0)
                .map(|c| sums[c] / size(c) as f64)
                .fold(f64::INFINITY, f64::min);
            if b.is_finite() {
                total += (b - a) / a.max(b);
            }
        }
        total / n as f64
    }

    #[test]
    fn silhouette_by_pairs_computed_once_equals_the_definition() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for (n, d, k) in [(2, 1, 2), (3, 1, 3), (7, 2, 3), (37, 3, 4), (203, 5, 6)] {
            let x = Array2::from_shape_fn((n, d), |_| rand::Rng::r#gen::<f64>(&mut rng));
            // Uneven clusters, one of one row, and a label with no rows (k - 1 unused).
            let labels: Vec<usize> = (0..n)
                .map(|i| {
                    if i == 0 {
                        k - 2
                    } else {
                        (i * i) % (k - 2).max(1)
                    }
                })
                .collect();
            let (fast, slow) = (silhouette(&x, &labels), naive_silhouette(&x, &labels));
            assert!((fast - slow).abs() < 1e-12, "n={n}: {fast} vs {slow}");
        }
    }

    #[test]
    fn large_inputs_are_sampled_the_same_way_every_time() {
        let max = SILHOUETTE_EXACT_MAX;
        assert_eq!(sample_rows(5, max, 1), vec![0, 1, 2, 3, 4]);
        let a = sample_rows(max + 500, max, 7);
        assert_eq!(a.len(), max);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        assert_eq!(a, sample_rows(max + 500, max, 7));
        assert_ne!(a, sample_rows(max + 500, max, 8));
    }

    #[test]
    fn adjusted_rand_of_a_known_pair() {
        // scikit-learn docs: adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) = 0.5714285714285715
        assert!((adjusted_rand(&[0, 0, 1, 2], &[0, 0, 1, 1]) - 0.5714285714285715).abs() < 1e-15);
    }
}
