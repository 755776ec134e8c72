//! Agglomerative clustering with Ward linkage, as scikit-learn's AgglomerativeClustering
//! (linkage="ward") defines it: the tree is kodama's (Müllner's algorithms, what scipy runs)
//! on Euclidean distances, cut where K clusters remain.

use ndarray::{Array2, Axis};

use super::metrics;

/// Above this many customers the tree is built on a seeded sample of this many and every
/// customer goes to the nearest segment centre: the linkage holds all pairwise distances
/// (n²/2 numbers, 64 MB here) and takes O(n²) time.
pub const WARD_MAX_ROWS: usize = 4_000;

/// A Ward fit: 0-based labels of every row and the rows the tree was built on (all of them
/// up to [`WARD_MAX_ROWS`]).
pub struct WardFit {
    pub labels: Vec<usize>,
    pub tree_rows: usize,
}

/// Ward clusters of the rows of `x` at `k`, on a seeded sample above [`WARD_MAX_ROWS`].
pub fn fit(x: &Array2<f64>, k: usize, seed: u64) -> WardFit {
    let rows = metrics::sample_rows(x.nrows(), WARD_MAX_ROWS, seed);
    if rows.len() == x.nrows() {
        return WardFit {
            labels: tree_labels(x, k),
            tree_rows: x.nrows(),
        };
    }
    let sample = x.select(Axis(0), &rows);
    let sample_labels = tree_labels(&sample, k);
    let (centres, _) = metrics::cluster_means(&sample, &sample_labels);
    WardFit {
        labels: super::segment::assign(x, &centres, None),
        tree_rows: rows.len(),
    }
}

/// The condensed matrix of Euclidean distances between rows (pairs i < j, row by row).
fn condensed_distances(x: &Array2<f64>) -> Vec<f64> {
    let n = x.nrows();
    let mut d = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        let a = x.row(i);
        for j in i + 1..n {
            let s: f64 = a.iter().zip(x.row(j)).map(|(p, q)| (p - q) * (p - q)).sum();
            d.push(s.sqrt());
        }
    }
    d
}

/// Builds the whole tree and cuts it at `k` clusters: the first n − k merges, followed with
/// a union-find. Labels are numbered by first appearance.
fn tree_labels(x: &Array2<f64>, k: usize) -> Vec<usize> {
    let n = x.nrows();
    if n == 0 {
        return Vec::new();
    }
    let mut d = condensed_distances(x);
    let tree = kodama::linkage(&mut d, n, kodama::Method::Ward);
    // Cluster c < n is row c; merge step s makes cluster n + s.
    let mut parent: Vec<usize> = (0..2 * n).collect();
    fn root(parent: &mut [usize], mut c: usize) -> usize {
        while parent[c] != c {
            parent[c] = parent[parent[c]];
            c = parent[c];
        }
        c
    }
    for (s, step) in tree.steps().iter().take(n.saturating_sub(k)).enumerate() {
        let merged = n + s;
        let (a, b) = (
            root(&mut parent, step.cluster1),
            root(&mut parent, step.cluster2),
        );
        parent[a] = merged;
        parent[b] = merged;
    }
    let mut label_of_root = std::collections::HashMap::new();
    (0..n)
        .map(|i| {
            let r = root(&mut parent, i);
            let next = label_of_root.len();
            *label_of_root.entry(r).or_insert(next)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_far_groups_split_at_k_2() {
        let x = array![
            [0.0, 0.0],
            [0.1, 0.0],
            [10.0, 10.0],
            [10.1, 10.0],
            [0.0, 0.2]
        ];
        let f = fit(&x, 2, 1);
        assert_eq!(f.labels, vec![0, 0, 1, 1, 0]);
        assert_eq!(f.tree_rows, 5);
    }

    #[test]
    fn k_equal_to_rows_gives_singletons() {
        let x = array![[0.0], [1.0], [5.0]];
        let mut l = fit(&x, 3, 1).labels;
        l.sort();
        assert_eq!(l, vec![0, 1, 2]);
    }
}
