//! K-means as scikit-learn runs it (greedy k-means++ seeds, Lloyd's iterations, its stopping
//! rule and empty-cluster relocation), on a column-major copy of the matrix so the distance
//! loops vectorise, with the restarts spread over the cores.
//!
//! Why not linfa's `KMeans`: its generic row-wise Lloyd loop was over half of a whole `segment`
//! run on 100k customers (compare `cargo bench --bench kernels` and `SEGSCOPE_TIMINGS=1` with
//! an older build). The GMM stays linfa's.

use ndarray::Array2;
use rand::Rng;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;

/// Rows per thread at least in [`nearest`] (fewer are not worth a thread).
const BLOCK: usize = 256;
/// scikit-learn's `max_iter`.
pub const MAX_ITERATIONS: usize = 300;

/// A matrix stored column by column (`data[f * n + i]` is feature `f` of row `i`).
pub struct Columns {
    pub n: usize,
    pub d: usize,
    data: Vec<f64>,
}

impl Columns {
    pub fn new(x: &Array2<f64>) -> Columns {
        let (n, d) = x.dim();
        let mut data = Vec::with_capacity(n * d);
        for f in 0..d {
            data.extend(x.column(f).iter().copied());
        }
        Columns { n, d, data }
    }

    fn col(&self, f: usize) -> &[f64] {
        &self.data[f * self.n..(f + 1) * self.n]
    }

    fn row(&self, i: usize) -> Vec<f64> {
        (0..self.d).map(|f| self.data[f * self.n + i]).collect()
    }
}

/// One Lloyd run's result.
#[derive(Clone, Debug)]
pub struct Fit {
    pub labels: Vec<usize>,
    /// Row-major K × d.
    pub centres: Vec<f64>,
    pub inertia: f64,
    pub iterations: usize,
}

/// Squared distance of every row to one point, into `out`.
#[inline(always)]
fn sq_dist_to_body(x: &Columns, point: &[f64], out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = 0.0);
    for (f, &p) in point.iter().enumerate() {
        for (o, &v) in out.iter_mut().zip(x.col(f)) {
            let diff = v - p;
            *o += diff * diff;
        }
    }
}

crate::simd_dispatch!(fn sq_dist_to(x: &Columns, point: &[f64], out: &mut [f64]) => sq_dist_to_body);

/// Nearest centre (lowest index on ties) and its squared distance for rows `lo..hi`. Rows go
/// in blocks of [`LANES`] whose distances to a centre stay in registers across the features
/// (summing into memory was a store per row, centre and feature); each row's sum still runs
/// over the features in order, so the result is the same bits.
#[inline(always)]
fn nearest_range_body(
    x: &Columns,
    centres: &[f64],
    k: usize,
    lo: usize,
    labels: &mut [usize],
    dists: &mut [f64],
) {
    let d = x.d;
    let n = labels.len();
    let cols: Vec<&[f64]> = (0..d).map(|f| &x.col(f)[lo..lo + n]).collect();
    let mut i = 0;
    while i + LANES <= n {
        let mut best = [f64::INFINITY; LANES];
        let mut best_c = [0.0f64; LANES];
        for c in 0..k {
            let mut acc = [0.0f64; LANES];
            for (col, &cf) in cols.iter().zip(&centres[c * d..(c + 1) * d]) {
                for (a, &v) in acc.iter_mut().zip(&col[i..i + LANES]) {
                    let diff = v - cf;
                    *a += diff * diff;
                }
            }
            let cc = c as f64;
            // Branch-free minimum (labels here are f64 so the select vectorises).
            for ((b, l), &v) in best.iter_mut().zip(best_c.iter_mut()).zip(&acc) {
                let better = v < *b;
                *b = if better { v } else { *b };
                *l = if better { cc } else { *l };
            }
        }
        dists[i..i + LANES].copy_from_slice(&best);
        for (l, &c) in labels[i..i + LANES].iter_mut().zip(&best_c) {
            *l = c as usize;
        }
        i += LANES;
    }
    for r in i..n {
        let (mut best, mut best_c) = (f64::INFINITY, 0);
        for c in 0..k {
            let mut acc = 0.0;
            for (col, &cf) in cols.iter().zip(&centres[c * d..(c + 1) * d]) {
                let diff = col[r] - cf;
                acc += diff * diff;
            }
            if acc < best {
                (best, best_c) = (acc, c);
            }
        }
        dists[r] = best;
        labels[r] = best_c;
    }
}

/// Rows per register block in [`nearest_range`].
const LANES: usize = 16;

crate::simd_dispatch!(fn nearest_range(x: &Columns, centres: &[f64], k: usize, lo: usize, labels: &mut [usize], dists: &mut [f64]) => nearest_range_body);

/// Nearest centre of every row, split over `threads` threads.
pub fn nearest(x: &Columns, centres: &[f64], k: usize, threads: usize) -> (Vec<usize>, Vec<f64>) {
    let mut labels = vec![0usize; x.n];
    let mut dists = vec![0.0f64; x.n];
    let chunk = x.n.div_ceil(threads.max(1)).max(BLOCK);
    if chunk >= x.n {
        // One chunk: no thread to spawn (a spawn per Lloyd iteration costs more than the
        // iteration on a restart sample).
        nearest_range(x, centres, k, 0, &mut labels, &mut dists);
        return (labels, dists);
    }
    std::thread::scope(|s| {
        for (t, (lab, dis)) in labels
            .chunks_mut(chunk)
            .zip(dists.chunks_mut(chunk))
            .enumerate()
        {
            s.spawn(move || nearest_range(x, centres, k, t * chunk, lab, dis));
        }
    });
    (labels, dists)
}

pub use crate::parallel::threads;

/// scikit-learn's tolerance: 1e-4 times the mean feature variance, compared with the summed
/// squared centre shift.
pub fn tolerance(x: &Columns) -> f64 {
    if x.n == 0 || x.d == 0 {
        return 0.0;
    }
    let mut total = 0.0;
    for f in 0..x.d {
        let c = x.col(f);
        let mean = c.iter().sum::<f64>() / x.n as f64;
        total += c.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / x.n as f64;
    }
    total / x.d as f64 * 1e-4
}

/// scikit-learn's greedy k-means++ seeding: each new centre is the best (lowest potential) of
/// 2 + ln K candidates drawn with probability proportional to squared distance.
pub fn greedy_kmeans_pp(x: &Columns, k: usize, rng: &mut Xoshiro256Plus) -> Vec<f64> {
    let n = x.n;
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Vec::with_capacity(k * x.d);
    let first = rng.gen_range(0..n);
    centres.extend(x.row(first));
    let mut closest = vec![0.0; n];
    sq_dist_to(x, &x.row(first), &mut closest);
    let mut potential: f64 = closest.iter().sum();
    let mut cumulative = vec![0.0; n];
    let mut candidate_d = vec![0.0; n];
    for _ in 1..k {
        let mut acc = 0.0;
        for (c, &d) in cumulative.iter_mut().zip(&closest) {
            acc += d;
            *c = acc;
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let r = rng.r#gen::<f64>() * potential;
            let candidate = cumulative.partition_point(|&v| v < r).min(n - 1);
            sq_dist_to(x, &x.row(candidate), &mut candidate_d);
            candidate_d
                .iter_mut()
                .zip(&closest)
                .for_each(|(v, &c)| *v = v.min(c));
            let pot: f64 = candidate_d.iter().sum();
            if best.as_ref().is_none_or(|b| pot < b.0) {
                best = Some((pot, candidate, candidate_d.clone()));
            }
        }
        if let Some((pot, candidate, dists)) = best {
            centres.extend(x.row(candidate));
            closest = dists;
            potential = pot;
        }
    }
    centres
}

/// Mean of each cluster's rows; an empty cluster moves to the rows farthest from their centre
/// (scikit-learn's relocation), so K-means never returns fewer clusters than asked for.
fn update_centres(x: &Columns, labels: &[usize], dists: &[f64], k: usize) -> Vec<f64> {
    let d = x.d;
    let mut sums = vec![0.0; k * d];
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    // Four banks of sums, so consecutive rows of one cluster do not wait on each other.
    let mut banks = vec![0.0; 4 * k];
    for f in 0..d {
        banks.iter_mut().for_each(|v| *v = 0.0);
        for (i, (&l, &v)) in labels.iter().zip(x.col(f)).enumerate() {
            banks[(i & 3) * k + l] += v;
        }
        for c in 0..k {
            sums[c * d + f] = banks[c] + banks[k + c] + banks[2 * k + c] + banks[3 * k + c];
        }
    }
    let empty: Vec<usize> = (0..k).filter(|&c| sizes[c] == 0).collect();
    if !empty.is_empty() {
        let mut far: Vec<usize> = (0..x.n).collect();
        far.sort_by(|&a, &b| dists[b].total_cmp(&dists[a]).then(a.cmp(&b)));
        for (&c, &i) in empty.iter().zip(&far) {
            let row = x.row(i);
            sums[c * d..(c + 1) * d].copy_from_slice(&row);
            sizes[c] = 1;
        }
    }
    for c in 0..k {
        if sizes[c] > 0 {
            for f in 0..d {
                sums[c * d + f] /= sizes[c] as f64;
            }
        }
    }
    sums
}

/// Lloyd's iterations from `init` until the labels stop changing, the squared centre shift is
/// at most `tol`, or `max_iter` (scikit-learn's `_kmeans_single_lloyd`). `trace` receives the
/// inertia after each iteration.
pub fn lloyd(
    x: &Columns,
    init: Vec<f64>,
    k: usize,
    max_iter: usize,
    tol: f64,
    threads: usize,
    mut trace: Option<&mut Vec<f64>>,
) -> Fit {
    let mut centres = init;
    let (mut labels, mut dists) = nearest(x, &centres, k, threads);
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        let new_centres = update_centres(x, &labels, &dists, k);
        let shift: f64 = new_centres
            .iter()
            .zip(&centres)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        centres = new_centres;
        let (new_labels, new_dists) = nearest(x, &centres, k, threads);
        let same = new_labels == labels;
        labels = new_labels;
        dists = new_dists;
        if let Some(t) = trace.as_deref_mut() {
            t.push(dists.iter().sum());
        }
        if same || shift <= tol {
            break;
        }
    }
    // The labels and distances always come from the final centres.
    let inertia = dists.iter().sum();
    Fit {
        labels,
        centres,
        inertia,
        iterations,
    }
}

/// Above this many rows the restarts run on a seeded sample of this size, and Lloyd's
/// iterations then continue on every row from the best of them. The result is the full data's
/// optimum to within noise (BENCHMARKS.md compares the final inertia with scikit-learn's ten
/// full restarts at 100k and 1M customers), in a fraction of the time.
pub const RESTART_SAMPLE: usize = 12_500;

/// The best (lowest inertia, first on ties) of `runs` restarts from greedy k-means++ seeds
/// drawn in order from `seed`; the restarts run in parallel, so the result does not depend on
/// the number of cores. Above [`RESTART_SAMPLE`] rows, see there.
pub fn fit(x: &Array2<f64>, k: usize, seed: u64, runs: usize) -> Fit {
    if x.nrows() > RESTART_SAMPLE {
        let rows = super::metrics::sample_rows(x.nrows(), RESTART_SAMPLE, seed);
        let sample = x.select(ndarray::Axis(0), &rows);
        let best = {
            let _t = crate::timing::phase("fit: restarts on the sample");
            fit(&sample, k, seed, runs)
        };
        let _t = crate::timing::phase("fit: Lloyd on every row");
        let cols = Columns::new(x);
        let tol = tolerance(&cols);
        let f = lloyd(&cols, best.centres, k, MAX_ITERATIONS, tol, threads(), None);
        if crate::timing::enabled() {
            crate::timing::log(&format!("fit: {} iterations on every row", f.iterations));
        }
        return f;
    }
    let cols = Columns::new(x);
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let inits: Vec<Vec<f64>> = (0..runs.max(1))
        .map(|_| greedy_kmeans_pp(&cols, k, &mut rng))
        .collect();
    let tol = tolerance(&cols);
    let workers = threads().min(inits.len()).max(1);
    let mut fits: Vec<(usize, Fit)> = crate::parallel::map(workers, |w| {
        (w..inits.len())
            .step_by(workers)
            .map(|r| {
                (
                    r,
                    lloyd(&cols, inits[r].clone(), k, MAX_ITERATIONS, tol, 1, None),
                )
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    fits.sort_by_key(|(r, _)| *r);
    fits.into_iter()
        .map(|(_, f)| f)
        .reduce(|best, f| if f.inertia < best.inertia { f } else { best })
        .unwrap_or(Fit {
            labels: vec![0; x.nrows()],
            centres: vec![0.0; k * x.ncols()],
            inertia: 0.0,
            iterations: 0,
        })
}

/// Inertia after each of the first `steps` Lloyd iterations from one seeding (no early stop).
pub fn trace(x: &Array2<f64>, k: usize, seed: u64, steps: usize) -> Vec<f64> {
    let cols = Columns::new(x);
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let init = greedy_kmeans_pp(&cols, k, &mut rng);
    let mut out = Vec::new();
    // A negative tolerance never stops on the shift; equal labels still end the run early,
    // after which the inertia stays where it is.
    lloyd(&cols, init, k, steps, -1.0, 1, Some(&mut out));
    while out.len() < steps {
        let last = out.last().copied().unwrap_or(0.0);
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_obvious_clusters_are_found_and_inertia_is_hand_checked() {
        let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]];
        let f = fit(&x, 2, 1, 4);
        assert_eq!(f.labels[0], f.labels[1]);
        assert_eq!(f.labels[2], f.labels[3]);
        assert_ne!(f.labels[0], f.labels[2]);
        // Each point is 0.5 from its centre: 4 * 0.25.
        assert!((f.inertia - 1.0).abs() < 1e-12, "{}", f.inertia);
    }

    #[test]
    fn nearest_prefers_the_lower_centre_on_ties_and_splits_over_threads() {
        let x = Columns::new(&array![[1.0], [5.0], [9.0]]);
        let centres = [0.0, 2.0, 9.0];
        let (l1, d1) = nearest(&x, &centres, 3, 1);
        let (l3, _) = nearest(&x, &centres, 3, 3);
        assert_eq!(l1, vec![0, 1, 2]);
        assert_eq!(l1, l3);
        assert_eq!(d1, vec![1.0, 9.0, 0.0]);
    }

    #[test]
    fn an_empty_cluster_moves_to_the_farthest_row() {
        let x = Columns::new(&array![[0.0], [1.0], [7.0]]);
        // Every row labelled 0; row 2 is farthest from its centre.
        let c = update_centres(&x, &[0, 0, 0], &[1.0, 0.0, 25.0], 2);
        assert_eq!(c, vec![8.0 / 3.0, 7.0]);
    }
}
