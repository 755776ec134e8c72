//! Lookalikes over the scaled feature vectors: by default a score from the Euclidean distance,
//! so size counts (a $14k customer is not like a $300 one whose mix of features points the same
//! way), or cosine similarity with `--metric cosine`. All-customer top-N keeps only N matches
//! per customer (memory O(n·N)), never an n × n matrix.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use serde::{Deserialize, Serialize};

/// How lookalikes are scored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// 1 / (1 + Euclidean distance in the scaled space): 1 for an identical customer, 0.5 one
    /// robust unit (an interquartile range) away.
    #[default]
    Euclidean,
    /// Cosine similarity of the scaled vectors (-1 to 1): direction only, magnitude ignored.
    Cosine,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::Cosine => "cosine",
        }
    }

    /// The scores this metric gives.
    pub fn range(self) -> (f64, f64) {
        match self {
            Metric::Euclidean => (0.0, 1.0),
            Metric::Cosine => (-1.0, 1.0),
        }
    }
}

/// Rows prepared for one metric: unit rows for cosine; for Euclidean the rows themselves and,
/// for the all-customer kernel, each row with `-|x|²/2` appended, so that the dot product
/// with `[q, 1]` ranks rows by distance to `q`.
pub struct Space {
    pub metric: Metric,
    rows: Array2<f64>,
}

impl Space {
    pub fn new(x: &Array2<f64>, metric: Metric) -> Space {
        match metric {
            Metric::Cosine => Space {
                metric,
                rows: unit_rows(x),
            },
            Metric::Euclidean => Space {
                metric,
                rows: x.clone(),
            },
        }
    }

    /// The score between rows `i` and `j`.
    pub fn score(&self, i: usize, j: usize) -> f64 {
        self.score_to(self.rows.row(i), j)
    }

    fn score_to(&self, q: ArrayView1<f64>, j: usize) -> f64 {
        let row = self.rows.row(j);
        match self.metric {
            // Summed in feature order, as the all-customer kernel does, so both agree to the bit.
            Metric::Cosine => row.iter().zip(q.iter()).map(|(a, b)| a * b).sum(),
            Metric::Euclidean => {
                let d2: f64 = row
                    .iter()
                    .zip(q.iter())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                1.0 / (1.0 + d2.sqrt())
            }
        }
    }

    /// The `n` rows most like row `i` (itself excluded), scores at least `min_score`.
    pub fn top_of(&self, i: usize, n: usize, min_score: f64) -> Vec<Match> {
        self.top_prepared(self.rows.row(i), n, min_score, &|j| j == i)
    }

    /// The `n` rows most like the vector `q` (in the scaled space), skipping rows `skip`
    /// rejects: one exact pass.
    pub fn top_near(
        &self,
        q: ArrayView1<f64>,
        n: usize,
        min_score: f64,
        skip: &dyn Fn(usize) -> bool,
    ) -> Vec<Match> {
        let q = match self.metric {
            Metric::Cosine => unit(q),
            Metric::Euclidean => q.to_owned(),
        };
        self.top_prepared(q.view(), n, min_score, skip)
    }

    /// [`Space::top_near`] for a query already prepared as the rows are (unit for cosine).
    fn top_prepared(
        &self,
        q: ArrayView1<f64>,
        n: usize,
        min_score: f64,
        skip: &dyn Fn(usize) -> bool,
    ) -> Vec<Match> {
        top_scored(0..self.rows.nrows(), n, min_score, skip, |j| {
            self.score_to(q, j)
        })
    }

    /// Top-`n` lookalikes of every row, exact (see [`all_top_n`]).
    pub fn all_top(&self, n: usize, min_score: f64) -> Vec<Vec<Match>> {
        match self.metric {
            Metric::Cosine => all_top_n(&self.rows, n, min_score),
            Metric::Euclidean => {
                let aug = augment(&self.rows);
                let rows = &self.rows;
                let ranked = all_top_n_by(&aug, n, f64::NEG_INFINITY, |i| {
                    let mut q = rows.row(i).to_vec();
                    q.push(1.0);
                    q
                });
                ranked
                    .into_iter()
                    .enumerate()
                    .map(|(i, m)| self.rescore(i, m, min_score))
                    .collect()
            }
        }
    }

    /// Exact scores for the kernel's ranking (which rounds), best first, ties by row.
    fn rescore(&self, i: usize, ranked: Vec<Match>, min_score: f64) -> Vec<Match> {
        let mut out: Vec<Match> = ranked
            .into_iter()
            .map(|m| Match {
                index: m.index,
                score: self.score(i, m.index),
            })
            .filter(|m| m.score >= min_score)
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        out
    }
}

/// The `n` rows nearest row `i` of `x` (itself excluded) by the Euclidean score, in one
/// exact pass without copying `x` (the TUI's card).
pub fn nearest(x: &Array2<f64>, i: usize, n: usize) -> Vec<Match> {
    let q = x.row(i);
    let mut top = TopN::new(n);
    for (j, row) in x.axis_iter(Axis(0)).enumerate() {
        if j == i {
            continue;
        }
        let d2: f64 = row
            .iter()
            .zip(q.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        top.offer(Match {
            index: j,
            score: 1.0 / (1.0 + d2.sqrt()),
        });
    }
    top.best
}

/// Each row with `-|x|²/2` appended.
fn augment(x: &Array2<f64>) -> Array2<f64> {
    let (n, d) = x.dim();
    Array2::from_shape_fn((n, d + 1), |(i, j)| {
        if j < d {
            x[[i, j]]
        } else {
            -0.5 * x.row(i).dot(&x.row(i))
        }
    })
}

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

    /// The lowest score that could still enter (the kernel skips everything below it).
    fn floor(&self, min_score: f64) -> f64 {
        // Full: only scores at or above the N-th best can enter.
        if self.n > 0 && self.best.len() == self.n {
            self.best[self.n - 1].score.max(min_score)
        } else {
            min_score
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
    top_scored(unit.axis_iter(Axis(0)), n, min_score, skip, |row| {
        // Summed in feature order, as the all-customer kernel does, so both agree to the bit.
        row.iter().zip(query.iter()).map(|(a, b)| a * b).sum()
    })
}

/// The `n` best of `rows` (row j the j-th) by `score`, skipping rows `skip` rejects and
/// scores below `min_score`: the one exact pass behind [`Space::top_near`] and [`top_n`].
fn top_scored<R>(
    rows: impl Iterator<Item = R>,
    n: usize,
    min_score: f64,
    skip: &dyn Fn(usize) -> bool,
    score: impl Fn(R) -> f64,
) -> Vec<Match> {
    let mut top = TopN::new(n);
    for (j, row) in rows.enumerate() {
        if skip(j) {
            continue;
        }
        let score = score(row);
        if score >= min_score {
            top.offer(Match { index: j, score });
        }
    }
    top.best
}

/// Rows per scoring block.
const BLOCK: usize = 256;
/// Slack on the pruning bound, far above the rounding of a six-term dot product.
const BOUND_SLACK: f64 = 1e-9;

/// Scores of rows `lo..lo + out.len()` of the column-major `cols` (`rows` rows) against one
/// query, each summed in feature order as [`top_n`] does; returns the best of them.
#[inline(always)]
fn score_range_body(cols: &[f64], rows: usize, lo: usize, query: &[f64], out: &mut [f64]) -> f64 {
    let m = out.len();
    let full = m - m % 8;
    for j in (0..full).step_by(8) {
        let mut acc = [0.0f64; 8];
        for (f, &qf) in query.iter().enumerate() {
            let base = f * rows + lo + j;
            let c: &[f64; 8] = cols[base..base + 8].try_into().unwrap_or(&[0.0; 8]);
            for t in 0..8 {
                acc[t] += c[t] * qf;
            }
        }
        out[j..j + 8].copy_from_slice(&acc);
    }
    for (j, o) in out.iter_mut().enumerate().skip(full) {
        let mut acc = 0.0;
        for (f, &qf) in query.iter().enumerate() {
            acc += cols[f * rows + lo + j] * qf;
        }
        *o = acc;
    }
    out.iter()
        .fold(f64::NEG_INFINITY, |a, &v| if v > a { v } else { a })
}

crate::simd_dispatch!(fn score_range(cols: &[f64], rows: usize, lo: usize, query: &[f64], out: &mut [f64]) -> f64 => score_range_body);

/// Rows grouped into tight balls (a few Lloyd iterations at about √n groups), stored column-major
/// in group order, with each group's centre and radius: a query skips every group whose bound
/// `q·centre + radius` (Cauchy–Schwarz, for a unit query) is below its current N-th best.
struct Groups {
    cols: Vec<f64>,
    /// Original row of each stored position.
    row_of: Vec<usize>,
    /// Stored position of each original row.
    pos_of: Vec<usize>,
    starts: Vec<usize>,
    centres: Vec<f64>,
    radii: Vec<f64>,
}

impl Groups {
    fn build(unit: &Array2<f64>) -> Groups {
        let (rows, d) = unit.dim();
        let k = ((rows as f64).sqrt() as usize)
            .clamp(1, 512)
            .min(rows.max(1));
        let x = super::kmeans::Columns::new(unit);
        let init: Vec<f64> = (0..k)
            .flat_map(|g| unit.row(g * rows / k).to_vec())
            .collect();
        let fit = super::kmeans::lloyd(&x, init, k, 4, -1.0, crate::parallel::threads(), None);
        let mut row_of: Vec<usize> = (0..rows).collect();
        row_of.sort_by_key(|&i| fit.labels[i]);
        let mut pos_of = vec![0; rows];
        for (p, &i) in row_of.iter().enumerate() {
            pos_of[i] = p;
        }
        let mut starts = vec![0usize; k + 1];
        for &l in &fit.labels {
            starts[l + 1] += 1;
        }
        for g in 0..k {
            starts[g + 1] += starts[g];
        }
        let mut cols = Vec::with_capacity(rows * d);
        for f in 0..d {
            cols.extend(row_of.iter().map(|&i| unit[[i, f]]));
        }
        let mut centres = vec![0.0; k * d];
        let mut radii = vec![0.0; k];
        for g in 0..k {
            let (lo, hi) = (starts[g], starts[g + 1]);
            if lo == hi {
                continue;
            }
            for f in 0..d {
                centres[g * d + f] =
                    cols[f * rows + lo..f * rows + hi].iter().sum::<f64>() / (hi - lo) as f64;
            }
            radii[g] = (lo..hi)
                .map(|p| {
                    (0..d)
                        .map(|f| (cols[f * rows + p] - centres[g * d + f]).powi(2))
                        .sum::<f64>()
                        .sqrt()
                })
                .fold(0.0, f64::max);
        }
        Groups {
            cols,
            row_of,
            pos_of,
            starts,
            centres,
            radii,
        }
    }

    fn group_of(&self, pos: usize) -> usize {
        self.starts.partition_point(|&s| s <= pos) - 1
    }

    /// Top-`n` of original row `i` (itself excluded).
    fn top(
        &self,
        query: &[f64],
        i: usize,
        n: usize,
        min_score: f64,
        out: &mut [f64],
    ) -> Vec<Match> {
        let rows = self.row_of.len();
        let d = query.len();
        let query_norm = query.iter().map(|v| v * v).sum::<f64>().sqrt();
        let own = self.group_of(self.pos_of[i]);
        let k = self.radii.len();
        let mut top = TopN::new(n);
        for g in std::iter::once(own).chain((0..k).filter(|&g| g != own)) {
            let (lo, hi) = (self.starts[g], self.starts[g + 1]);
            if lo == hi {
                continue;
            }
            let floor = top.floor(min_score);
            let centre = &self.centres[g * d..(g + 1) * d];
            // Cauchy–Schwarz: no row of the group scores above q·centre + |q|·radius.
            let bound: f64 = query.iter().zip(centre).map(|(a, b)| a * b).sum::<f64>()
                + query_norm * self.radii[g];
            if bound + BOUND_SLACK < floor {
                continue;
            }
            let mut start = lo;
            while start < hi {
                let m = (hi - start).min(BLOCK);
                let scores = &mut out[..m];
                let best = score_range(&self.cols, rows, start, query, scores);
                let floor = top.floor(min_score);
                if best >= floor {
                    for (t, &score) in scores.iter().enumerate() {
                        let j = self.row_of[start + t];
                        if score >= floor && j != i {
                            top.offer(Match { index: j, score });
                        }
                    }
                }
                start += m;
            }
        }
        top.best
    }
}

/// Top-`n` lookalikes of every row (itself excluded), on all cores. Exact: groups of rows are
/// only skipped when no row in them can enter a customer's top-N. Memory is O(rows · n), never
/// a rows × rows matrix.
pub fn all_top_n(unit: &Array2<f64>, n: usize, min_score: f64) -> Vec<Vec<Match>> {
    all_top_n_by(unit, n, min_score, |i| unit.row(i).to_vec())
}

/// Top-`n` rows of `rows` by dot product with `query(i)`, for every row `i` (itself
/// excluded): the kernel behind both metrics.
fn all_top_n_by(
    unit: &Array2<f64>,
    n: usize,
    min_score: f64,
    query: impl Fn(usize) -> Vec<f64> + Sync,
) -> Vec<Vec<Match>> {
    let rows = unit.nrows();
    if rows == 0 {
        return vec![];
    }
    let groups = Groups::build(unit);
    let chunk = rows.div_ceil(crate::parallel::threads() * 16).max(1);
    crate::parallel::map_chunked(rows, chunk, |i| {
        let mut out = [0.0f64; BLOCK];
        groups.top(&query(i), i, n, min_score, &mut out)
    })
}

/// Audience expansion: rows outside `segment` most like that segment's centroid, by the
/// space's metric.
pub fn expand(
    space: &Space,
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
    space.top_near(centroid.view(), n, min_score, &|i| labels[i] == segment)
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
        let m = expand(
            &Space::new(&x, Metric::Cosine),
            &x,
            &[0, 0, 1, 1],
            0,
            5,
            -1.0,
        );
        assert_eq!(m.iter().map(|m| m.index).collect::<Vec<_>>(), vec![2, 3]);
    }
}
