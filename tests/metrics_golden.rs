//! Cluster metrics, K-means and scalers against scikit-learn on checked-in matrices
//! (tests/golden/metrics, made by make_golden.py; no Python needed here).

use ndarray::Array2;
use segscope::analysis::features::{ScalerKind, Transform};
use segscope::analysis::metrics;
use segscope::analysis::segment::{Algo, fit_labels};
use serde_json::Value;

fn golden() -> Value {
    serde_json::from_str(include_str!("golden/metrics/expected.json")).unwrap()
}

/// Reads x0..x{d-1},label.
fn matrix(name: &str) -> (Array2<f64>, Vec<usize>) {
    let path = format!(
        "{}/tests/golden/metrics/{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        rows.push(
            f[..f.len() - 1]
                .iter()
                .map(|v| v.parse::<f64>().unwrap())
                .collect::<Vec<_>>(),
        );
        labels.push(f[f.len() - 1].parse::<usize>().unwrap());
    }
    let d = rows[0].len();
    (
        Array2::from_shape_vec((rows.len(), d), rows.concat()).unwrap(),
        labels,
    )
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn silhouette_davies_bouldin_calinski_harabasz_equal_scikit_learn() {
    let g = golden();
    for name in ["m1", "m2", "m3"] {
        let (x, labels) = matrix(name);
        let e = &g["cases"][name];
        let s = metrics::silhouette(&x, &labels);
        let db = metrics::davies_bouldin(&x, &labels);
        let ch = metrics::calinski_harabasz(&x, &labels);
        assert!(
            rel(s, e["silhouette"].as_f64().unwrap()) < 1e-9,
            "{name} silhouette {s} vs {}",
            e["silhouette"]
        );
        assert!(
            rel(db, e["davies_bouldin"].as_f64().unwrap()) < 1e-9,
            "{name} DB {db} vs {}",
            e["davies_bouldin"]
        );
        assert!(
            rel(ch, e["calinski_harabasz"].as_f64().unwrap()) < 1e-9,
            "{name} CH {ch} vs {}",
            e["calinski_harabasz"]
        );
    }
}

#[test]
fn kmeans_inertia_within_one_percent_of_scikit_learn_n_init_10() {
    let g = golden();
    for name in ["m1", "m2", "m3"] {
        let (x, _) = matrix(name);
        for k in 2..=5 {
            let labels = fit_labels(&x, k, Algo::Kmeans, 42).unwrap().0;
            let (means, sizes) = metrics::cluster_means(&x, &labels);
            assert!(
                sizes.iter().all(|&s| s > 0),
                "{name} K={k}: an empty cluster"
            );
            let ours = metrics::inertia(&x, &labels, &means);
            let theirs = g["cases"][name]["kmeans_inertia"][k.to_string()]
                .as_f64()
                .unwrap();
            assert!(
                ours <= theirs * 1.01,
                "{name} K={k}: inertia {ours} vs scikit-learn {theirs}"
            );
        }
    }
}

/// Whether two labelings are the same partition (equal up to renaming the labels).
fn same_partition(a: &[usize], b: &[usize]) -> bool {
    let mut ab = std::collections::HashMap::new();
    let mut ba = std::collections::HashMap::new();
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| *ab.entry(x).or_insert(y) == y && *ba.entry(y).or_insert(x) == x)
}

#[test]
fn ward_labels_equal_scikit_learn_agglomerative_clustering() {
    let g = golden();
    for name in ["m1", "m2", "m3"] {
        let (x, _) = matrix(name);
        for k in 2..=5 {
            let ours = fit_labels(&x, k, Algo::Ward, 42).unwrap().0;
            let theirs: Vec<usize> = g["cases"][name]["ward_labels"][k.to_string()]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert!(
                same_partition(&ours, &theirs),
                "{name} K={k}: Ward partition differs from scikit-learn's"
            );
        }
    }
}

#[test]
fn adjusted_rand_equals_scikit_learn() {
    for case in golden()["ari"].as_array().unwrap() {
        let v = |k: &str| {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect::<Vec<_>>()
        };
        let ours = metrics::adjusted_rand(&v("a"), &v("b"));
        let theirs = case["ari"].as_f64().unwrap();
        assert!((ours - theirs).abs() < 1e-12, "{case}: {ours}");
    }
}

#[test]
fn robust_and_standard_scaling_equal_scikit_learn() {
    let g = golden();
    let (mut x, _) = matrix("m2");
    let scale = g["scalers"]["input_first_column_scale"].as_f64().unwrap();
    x.column_mut(0).mapv_inplace(|v| v.abs() * scale);
    // "monetary" gets log1p; the other names do not.
    let names: Vec<String> = ["monetary", "recency_days", "tenure_days", "return_rate"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (kind, key) in [
        (ScalerKind::Robust, "robust"),
        (ScalerKind::Standard, "standard"),
    ] {
        let ours = Transform::fit(&names, &x, kind).apply(&x);
        let theirs = g["scalers"][key].as_array().unwrap();
        for (i, row) in theirs.iter().enumerate() {
            for (j, v) in row.as_array().unwrap().iter().enumerate() {
                let v = v.as_f64().unwrap();
                assert!(
                    (ours[[i, j]] - v).abs() <= 1e-12 * v.abs().max(1.0),
                    "{key} [{i},{j}]: {} vs {v}",
                    ours[[i, j]]
                );
            }
        }
    }
}
