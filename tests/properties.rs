//! Properties of the maths that must hold for any data (proptest).

use ndarray::Array2;
use proptest::prelude::*;
use segscope::analysis::features::CustomerFeatures;
use segscope::analysis::features::{ScalerKind, Transform};
use segscope::analysis::lookalike::{Metric, Space, all_top_n, top_n, unit_rows};
use segscope::analysis::metrics;
use segscope::analysis::segment::{self, Algo, SegmentParams, fit_labels, lloyd_trace};

/// A matrix of n rows and d columns with values in [-50, 50], and labels 0..k covering all k.
fn labelled() -> impl Strategy<Value = (Array2<f64>, Vec<usize>)> {
    (6usize..40, 1usize..4, 2usize..5).prop_flat_map(|(n, d, k)| {
        (
            prop::collection::vec(-50.0f64..50.0, n * d),
            prop::collection::vec(0..k, n),
        )
            .prop_map(move |(v, mut l)| {
                for (i, label) in l.iter_mut().enumerate().take(k) {
                    *label = i;
                }
                (Array2::from_shape_vec((n, d), v).unwrap(), l)
            })
    })
}

/// `x` with its first `repeats` rows appended again (exact ties for the lookalike searches).
fn with_repeats(x: &Array2<f64>, repeats: usize) -> Array2<f64> {
    let mut rows: Vec<f64> = x.iter().copied().collect();
    let d = x.ncols();
    for r in 0..repeats.min(x.nrows()) {
        rows.extend(x.row(r).iter().copied());
    }
    Array2::from_shape_vec((rows.len() / d, d), rows).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The pruned all-customer search returns exactly what scoring every row gives, ties
    /// (repeated rows) included.
    #[test]
    fn all_top_n_equals_brute_force(
        (x, _) in labelled(),
        repeats in 0usize..6,
        n in 1usize..5,
        min_score in prop::sample::select(vec![-1.0, 0.0, 0.5]),
    ) {
        let x = with_repeats(&x, repeats);
        let u = unit_rows(&x);
        let fast = all_top_n(&u, n, min_score);
        for (i, got) in fast.iter().enumerate() {
            let want = top_n(&u, u.row(i), n, min_score, &|j| j == i);
            prop_assert_eq!(got, &want, "row {}", i);
        }
    }

    /// The same for the Euclidean score (the kernel ranks by a dot product with appended
    /// norms, then scores exactly).
    #[test]
    fn euclidean_all_top_equals_brute_force(
        (x, _) in labelled(),
        repeats in 0usize..6,
        n in 1usize..5,
        min_score in prop::sample::select(vec![0.0, 0.02, 0.1]),
    ) {
        let x = with_repeats(&x, repeats);
        let space = Space::new(&x, Metric::Euclidean);
        let fast = space.all_top(n, min_score);
        for (i, got) in fast.iter().enumerate() {
            let want = space.top_of(i, n, min_score);
            prop_assert_eq!(got, &want, "row {}", i);
            for m in got {
                let d: f64 = x.row(i).iter().zip(x.row(m.index)).map(|(a, b)| (a - b).powi(2)).sum();
                prop_assert!(close(m.score, 1.0 / (1.0 + d.sqrt())));
            }
        }
    }

    #[test]
    fn silhouette_in_range_and_davies_bouldin_non_negative((x, l) in labelled()) {
        let s = metrics::silhouette(&x, &l);
        prop_assert!((-1.0..=1.0).contains(&s), "silhouette {}", s);
        prop_assert!(metrics::davies_bouldin(&x, &l) >= 0.0);
        prop_assert!(metrics::calinski_harabasz(&x, &l) >= 0.0);
    }

    #[test]
    fn metrics_ignore_row_order_and_label_names((x, l) in labelled(), seed in 0u64..1000) {
        let n = x.nrows();
        let mut order: Vec<usize> = (0..n).collect();
        // A deterministic shuffle from the seed.
        for i in (1..n).rev() {
            order.swap(i, (seed as usize * 31 + i * 17) % (i + 1));
        }
        let permuted = x.select(ndarray::Axis(0), &order);
        let permuted_labels: Vec<usize> = order.iter().map(|&i| l[i]).collect();
        let k = l.iter().max().unwrap() + 1;
        let renamed: Vec<usize> = l.iter().map(|&v| k - 1 - v).collect();
        let all = |x: &Array2<f64>, l: &[usize]| [metrics::silhouette(x, l), metrics::davies_bouldin(x, l), metrics::calinski_harabasz(x, l)];
        let base = all(&x, &l);
        for other in [all(&permuted, &permuted_labels), all(&x, &renamed)] {
            for (a, b) in base.iter().zip(other) {
                prop_assert!(close(*a, b), "{} vs {}", a, b);
            }
        }
        prop_assert!(close(metrics::adjusted_rand(&l, &renamed), 1.0));
    }

    #[test]
    fn kmeans_fills_every_cluster_and_inertia_never_rises((x, _) in labelled(), k in 2usize..5, seed in 0u64..50) {
        // Distinct rows only, at least k of them.
        let mut rows: Vec<Vec<f64>> = x.outer_iter().map(|r| r.to_vec()).collect();
        rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
        rows.dedup();
        prop_assume!(rows.len() > k);
        let x = Array2::from_shape_vec((rows.len(), x.ncols()), rows.concat()).unwrap();
        let (labels, _) = fit_labels(&x, k, Algo::Kmeans, seed).unwrap();
        let (_, sizes) = metrics::cluster_means(&x, &labels);
        prop_assert_eq!(sizes.len(), k);
        prop_assert!(sizes.iter().all(|&s| s > 0), "sizes {:?}", sizes);
        let trace = lloyd_trace(&x, k, seed, 8).unwrap();
        for w in trace.windows(2) {
            prop_assert!(w[1] <= w[0] * (1.0 + 1e-12) + 1e-9, "inertia rose: {:?}", trace);
        }
    }

    #[test]
    fn cosine_is_symmetric_with_self_similarity_one((x, _) in labelled()) {
        let u = unit_rows(&x);
        for i in 0..u.nrows() {
            let norm = x.row(i).dot(&x.row(i));
            if norm > 0.0 {
                prop_assert!((u.row(i).dot(&u.row(i)) - 1.0).abs() < 1e-12);
            }
            for j in 0..u.nrows() {
                prop_assert_eq!(u.row(i).dot(&u.row(j)).to_bits(), u.row(j).dot(&u.row(i)).to_bits());
                prop_assert!(u.row(i).dot(&u.row(j)) <= 1.0 + 1e-12);
            }
        }
    }

    #[test]
    fn robust_scaling_ignores_a_shift((x, _) in labelled(), shift in -1000.0f64..1000.0) {
        // Columns without log1p: recency_days, tenure_days, return_rate.
        let names: Vec<String> = ["recency_days", "tenure_days", "return_rate"].iter().take(x.ncols()).map(|s| s.to_string()).collect();
        let a = Transform::fit(&names, &x, ScalerKind::Robust).apply(&x);
        let shifted = &x + shift;
        let b = Transform::fit(&names, &shifted, ScalerKind::Robust).apply(&shifted);
        for (p, q) in a.iter().zip(b.iter()) {
            prop_assert!((p - q).abs() <= 1e-9 * (1.0 + shift.abs()), "{} vs {}", p, q);
        }
    }
}

/// Features of `n` ordinary customers from `v` (uniform draws), shaped like a retail log.
fn customers(v: &[f64], n: usize) -> Vec<[f64; 5]> {
    (0..n)
        .map(|i| {
            let u = |j: usize| v[(i * 5 + j) % v.len()];
            let orders = 1.0 + (u(1) * 12.0).floor();
            let aov = 20.0 + 200.0 * u(2) * u(2);
            [
                (u(0) * 365.0).floor(),
                orders,
                orders * aov,
                aov,
                (u(4) * 700.0).floor(),
            ]
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A few customers far beyond everyone else on a feature (a return rate of 57, a signup in
    /// 1990, a wholesaler) never get a segment to themselves: the limits put them at the edge
    /// of the crowd.
    #[test]
    fn a_few_extreme_customers_never_make_a_segment_of_their_own(
        v in prop::collection::vec(0.0f64..1.0, 1000),
        extremes in 1usize..4,
        feature in 0usize..5,
        factor in prop::sample::select(vec![50.0, 1e3, 1e6]),
        k in 2usize..6,
    ) {
        let n = 300;
        let mut rows = customers(&v, n);
        for e in 0..extremes {
            let mut r = rows[e * 7];
            r[feature] = (r[feature] + 1.0) * factor;
            rows.push(r);
        }
        let names: Vec<String> = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]
            .iter().map(|s| s.to_string()).collect();
        let total = rows.len();
        let f = CustomerFeatures {
            ids: (0..total).map(|i| format!("c{i:04}")).collect(),
            names,
            raw: Array2::from_shape_vec((total, 5), rows.concat()).unwrap(),
            region: None,
            categories: None,
            reference_us: 0,
            from_table: false,
            extra: Vec::new(),
        };
        let s = segment::fit_unscored(&f, &SegmentParams {
            k,
            algo: Algo::Kmeans,
            seed: 42,
            features: "rfm+".into(),
            scaler: ScalerKind::Robust,
        }).unwrap();
        for seg in 0..s.k {
            let members: Vec<usize> = (0..total).filter(|&i| s.labels[i] == seg).collect();
            prop_assert!(
                members.iter().any(|&i| i < n),
                "segment {} holds only the extreme customers {:?}", seg + 1, members
            );
        }
    }
}
