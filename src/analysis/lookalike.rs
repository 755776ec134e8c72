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

/// Rows scored against four queries at a time, per block of this many rows.
const BLOCK: usize = 256;

/// Scores of rows `lo..lo + out[0].len()` against up to four queries: `cols` is column-major
/// (`cols[f * rows + j]`), `queries[q]` one query vector each.
#[inline(always)]
fn score_block_body(cols: &[f64], rows: usize, lo: usize, queries: &[&[f64]], out: &mut [[f64; BLOCK]; 4]) {
    let m = (rows - lo).min(BLOCK);
    for (q, query) in queries.iter().enumerate() {
        let o = &mut out[q][..m];
        o.iter_mut().for_each(|v| *v = 0.0);
        for (f, &qf) in query.iter().enumerate() {
            let col = &cols[f * rows + lo..f * rows + lo + m];
            for (s, &v) in o.iter_mut().zip(col) {
                *s += v * qf;
            }
        }
    }
}

crate::simd_dispatch!(fn score_block(cols: &[f64], rows: usize, lo: usize, queries: &[&[f64]], out: &mut [[f64; BLOCK]; 4]) => score_block_body);

/// Top-`n` lookalikes of every row (itself excluded), on all cores. Memory is O(rows · n): rows
/// are scored in blocks against four queries at a time, never as a rows × rows matrix.
pub fn all_top_n(unit: &Array2<f64>, n: usize, min_score: f64) -> Vec<Vec<Match>> {
    let (rows, d) = unit.dim();
    let mut cols = Vec::with_capacity(rows * d);
    for f in 0..d {
        cols.extend(unit.column(f).iter().copied());
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .max(1);
    // Interleaved chunks of queries so each thread gets a fair share.
    let chunk = rows.div_ceil(threads * 8).max(4);
    let starts: Vec<usize> = (0..rows).step_by(chunk).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, Vec<Vec<Match>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (cols, starts, next) = (&cols, &starts, &next);
                s.spawn(move || {
                    let mut done = Vec::new();
                    let mut out = [[0.0f64; BLOCK]; 4];
                    loop {
                        let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&start) = starts.get(c) else { break };
                        let end = (start + chunk).min(rows);
                        let mut part = Vec::with_capacity(end - start);
                        for q0 in (start..end).step_by(4) {
                            let qs: Vec<usize> = (q0..(q0 + 4).min(end)).collect();
                            let vectors: Vec<Vec<f64>> =
                                qs.iter().map(|&i| unit.row(i).to_vec()).collect();
                            let queries: Vec<&[f64]> = vectors.iter().map(Vec::as_slice).collect();
                            let mut tops: Vec<TopN> = qs.iter().map(|_| TopN::new(n)).collect();
                            for lo in (0..rows).step_by(BLOCK) {
                                score_block(cols, rows, lo, &queries, &mut out);
                                let m = (rows - lo).min(BLOCK);
                                for (q, top) in tops.iter_mut().enumerate() {
                                    let floor = top.floor(min_score);
                                    for (t, &score) in out[q][..m].iter().enumerate() {
                                        let j = lo + t;
                                        if score >= floor && j != qs[q] {
                                            top.offer(Match { index: j, score });
                                        }
                                    }
                                }
                            }
                            part.extend(tops.into_iter().map(|t| t.best));
                        }
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
