//! Lookalikes: cosine similarity over the scaled feature vectors. All-customer top-N keeps only
//! N matches per customer (memory O(n·N)), never an n × n matrix.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use serde::Serialize;

/// A similar customer: its row and the cosine similarity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Match {
    pub index: usize,
    pub score: f64,
}

/// Rows scaled to unit length; an all-zero row stays zero (similarity 0 with everyone).
pub fn unit_rows(x: &Array2<f64>) -> Array2<f64> {
    let mut u = x.clone();
    for mut row in u.axis_iter_mut(Axis(0)) {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    u
}

/// Unit-length copy of one vector.
pub fn unit(v: ArrayView1<f64>) -> Array1<f64> {
    let norm = v.dot(&v).sqrt();
    if norm > 0.0 {
        v.to_owned() / norm
    } else {
        v.to_owned()
    }
}

/// Keeps the best `n` matches: higher score first, ties by lower row (rows are sorted by id).
struct TopN {
    n: usize,
    best: Vec<Match>,
}

impl TopN {
    fn new(n: usize) -> TopN {
        TopN {
            n,
            best: Vec::with_capacity(n + 1),
        }
    }

    fn better(a: &Match, b: &Match) -> bool {
        a.score > b.score || (a.score == b.score && a.index < b.index)
    }

    fn offer(&mut self, m: Match) {
        if self.n == 0 || (self.best.len() == self.n && !Self::better(&m, &self.best[self.n - 1])) {
            return;
        }
        let pos = self
            .best
            .iter()
            .position(|b| Self::better(&m, b))
            .unwrap_or(self.best.len());
        self.best.insert(pos, m);
        self.best.truncate(self.n);
    }
}

/// The `n` rows of `unit` most similar to `query` (a unit vector), skipping rows `skip` rejects
/// and scores below `min_score`.
pub fn top_n(
    unit: &Array2<f64>,
    query: ArrayView1<f64>,
    n: usize,
    min_score: f64,
    skip: &dyn Fn(usize) -> bool,
) -> Vec<Match> {
    let mut top = TopN::new(n);
    for (i, row) in unit.axis_iter(Axis(0)).enumerate() {
        if skip(i) {
            continue;
        }
        let score = row.dot(&query);
        if score >= min_score {
            top.offer(Match { index: i, score });
        }
    }
    top.best
}

/// Top-`n` lookalikes of every row (itself excluded), on all cores.
pub fn all_top_n(unit: &Array2<f64>, n: usize, min_score: f64) -> Vec<Vec<Match>> {
    let rows = unit.nrows();
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .max(1);
    let chunk = rows.div_ceil(threads).max(1);
    let starts: Vec<usize> = (0..rows).step_by(chunk).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = starts
            .iter()
            .map(|&start| {
                s.spawn(move || {
                    (start..(start + chunk).min(rows))
                        .map(|i| top_n(unit, unit.row(i), n, min_score, &|j| j == i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Audience expansion: rows outside `segment` most similar to that segment's centroid.
pub fn expand(
    x: &Array2<f64>,
    labels: &[usize],
    segment: usize,
    n: usize,
    min_score: f64,
) -> Vec<Match> {
    let members: Vec<usize> = (0..labels.len())
        .filter(|&i| labels[i] == segment)
        .collect();
    if members.is_empty() {
        return Vec::new();
    }
    let centroid = x
        .select(Axis(0), &members)
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(x.ncols()));
    let query = unit(centroid.view());
    top_n(&unit_rows(x), query.view(), n, min_score, &|i| {
        labels[i] == segment
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cosine_top_n_excludes_self_and_breaks_ties_by_row() {
        let x = array![[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, 1.0], [3.0, 0.0]];
        let u = unit_rows(&x);
        let m = top_n(&u, u.row(0), 3, -1.0, &|j| j == 0);
        assert_eq!(
            m.iter().map(|m| m.index).collect::<Vec<_>>(),
            vec![1, 4, 3],
            "1 and 4 tie at 1.0"
        );
        assert!((m[2].score - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        let all = all_top_n(&u, 2, 0.5);
        assert_eq!(all.len(), 5);
        assert_eq!(
            all[2].iter().map(|m| m.index).collect::<Vec<_>>(),
            vec![3],
            "only row 3 scores >= 0.5"
        );
    }

    #[test]
    fn zero_rows_score_zero() {
        let u = unit_rows(&array![[0.0, 0.0], [1.0, 0.0]]);
        assert_eq!(top_n(&u, u.row(1), 1, -1.0, &|j| j == 1)[0].score, 0.0);
    }

    #[test]
    fn expansion_looks_outside_the_segment() {
        let x = array![[1.0, 0.0], [1.0, 0.1], [0.9, 0.2], [0.0, 1.0]];
        let m = expand(&x, &[0, 0, 1, 1], 0, 5, -1.0);
        assert_eq!(m.iter().map(|m| m.index).collect::<Vec<_>>(), vec![2, 3]);
    }
}
