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
    let mut top = TopN::new(n);
    for (i, row) in unit.axis_iter(Axis(0)).enumerate() {
        if skip(i) {
            continue;
        }
        // Summed in feature order, as the all-customer kernel does, so both agree to the bit.
        let score: f64 = row.iter().zip(query.iter()).map(|(a, b)| a * b).sum();
        if score >= min_score {
            top.offer(Match { index: i, score });
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
        let fit = super::kmeans::lloyd(&x, init, k, 4, -1.0, super::kmeans::threads(), None);
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
        unit: &Array2<f64>,
        i: usize,
        n: usize,
        min_score: f64,
        out: &mut [f64],
    ) -> Vec<Match> {
        let rows = self.row_of.len();
        let d = unit.ncols();
        let query: Vec<f64> = unit.row(i).to_vec();
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
            let bound: f64 =
                query.iter().zip(centre).map(|(a, b)| a * b).sum::<f64>() + self.radii[g];
            if bound + BOUND_SLACK < floor {
                continue;
            }
            let mut start = lo;
            while start < hi {
                let m = (hi - start).min(BLOCK);
                let scores = &mut out[..m];
                let best = score_range(&self.cols, rows, start, &query, scores);
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
    let rows = unit.nrows();
    if rows == 0 {
        return vec![];
    }
    let groups = Groups::build(unit);
    let threads = super::kmeans::threads();
    let chunk = rows.div_ceil(threads * 16).max(1);
    let starts: Vec<usize> = (0..rows).step_by(chunk).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, Vec<Vec<Match>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (groups, starts, next) = (&groups, &starts, &next);
                s.spawn(move || {
                    let mut done = Vec::new();
                    let mut out = [0.0f64; BLOCK];
                    loop {
                        let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&start) = starts.get(c) else { break };
                        let end = (start + chunk).min(rows);
                        let part: Vec<Vec<Match>> = (start..end)
                            .map(|i| groups.top(unit, i, n, min_score, &mut out))
                            .collect();
                        done.push((start, part));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    results.sort_by_key(|(start, _)| *start);
    results.into_iter().flat_map(|(_, part)| part).collect()
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
