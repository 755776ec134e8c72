//! Segments and lookalikes through the real binary: the done-when checks on the Zeotap
//! data (metrics against scikit-learn), determinism, round trips and bad input.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

/// The files `export` writes (DESIGN.md's contract, spelled out here on purpose).
const EXPORTED: [&str; 5] = [
    "customer_segments.csv",
    "segment_summary.csv",
    "Lookalike.csv",
    "features.csv",
    "model.json",
];

fn golden() -> Value {
    serde_json::from_str(include_str!("golden/metrics/expected.json")).unwrap()
}

fn read_matrix(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut ids = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ids.push(f[0].to_string());
        rows.push(f[1..].iter().map(|v| v.parse::<f64>().unwrap()).collect());
    }
    (ids, rows)
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// The default lookalike score: 1 / (1 + Euclidean distance).
fn euclidean(a: &[f64], b: &[f64]) -> f64 {
    let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    1.0 / (1.0 + d2.sqrt())
}

/// Brute force: every other customer's Euclidean score, best first, ties by id.
fn brute_top(ids: &[String], rows: &[Vec<f64>], who: usize, top: usize) -> Vec<(String, f64)> {
    brute_top_by(ids, rows, who, top, euclidean)
}

/// Brute force by any score.
fn brute_top_by(
    ids: &[String],
    rows: &[Vec<f64>],
    who: usize,
    top: usize,
    score: fn(&[f64], &[f64]) -> f64,
) -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = (0..ids.len())
        .filter(|&j| j != who)
        .map(|j| (ids[j].clone(), score(&rows[who], &rows[j])))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(top);
    all
}

#[test]
fn zeotap_export_metrics_equal_scikit_learn_and_assign_round_trips() {
    let Some(data) =
        zeotap_or_skip("zeotap_export_metrics_equal_scikit_learn_and_assign_round_trips")
    else {
        return;
    };
    let d = data.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("export");
    let o = run(&["export", d, "--k", "4", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in EXPORTED {
        assert!(dir.join(f).exists(), "{f} written");
    }
    let g = &golden()["zeotap_export_k4"];
    let seg = json(&["segment", d, "--k", "4", "--format", "json"]);
    for m in ["silhouette", "davies_bouldin", "calinski_harabasz"] {
        let (ours, theirs) = (seg["metrics"][m].as_f64().unwrap(), g[m].as_f64().unwrap());
        assert!(
            (ours - theirs).abs() <= 1e-9 * theirs.abs(),
            "{m}: segscope {ours} vs scikit-learn {theirs}"
        );
    }
    let inertia = seg["metrics"]["inertia"].as_f64().unwrap();
    assert!(
        inertia <= g["kmeans_n_init10_inertia"].as_f64().unwrap() * 1.01,
        "inertia {inertia}"
    );
    assert_eq!(seg["n_customers"], 199);
    assert_eq!(seg["features"], g["features"]);
    assert_eq!(seg["segments"].as_array().unwrap().len(), 4);
    let personas: Vec<&str> = seg["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["persona"].as_str().unwrap())
        .collect();
    let mut unique = personas.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "persona names are unique: {personas:?}");
    // Segment 1 has the highest mean net spend, and so on down.
    let spend: Vec<f64> = seg["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["mean"]["monetary"].as_f64().unwrap())
        .collect();
    assert!(spend.windows(2).all(|w| w[0] >= w[1]), "{spend:?}");
    let shares: f64 = seg["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["share"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-12);

    // Determinism: a second export is byte-identical.
    let again = out.path().join("again");
    assert!(
        run(&["export", d, "--k", "4", "--out", again.to_str().unwrap()])
            .status
            .success()
    );
    for f in EXPORTED {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
    // assign with the saved model reproduces export's labels exactly.
    let model = dir.join("model.json");
    let o = run(&["assign", "--model", model.to_str().unwrap(), d]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        o.stdout,
        std::fs::read(dir.join("customer_segments.csv")).unwrap()
    );
    // Lookalike.csv is the all-customer top 3 in the lookalike space: the same features scaled
    // without the clustering's limits, as `lookalike --dump-matrix` writes it.
    let space = out.path().join("space.csv");
    let o = run(&[
        "lookalike",
        d,
        "--customer",
        "C0001",
        "--dump-matrix",
        space.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (ids, rows) = read_matrix(&space);
    let wide = std::fs::read_to_string(dir.join("Lookalike.csv")).unwrap();
    assert!(wide.starts_with("CustomerID,Lookalike1,Score1,Lookalike2,Score2,Lookalike3,Score3\n"));
    for (n, line) in wide.lines().skip(1).enumerate().step_by(37) {
        let f: Vec<&str> = line.split(',').collect();
        let expect = brute_top(&ids, &rows, n, 3);
        assert_eq!(f[0], ids[n]);
        for (i, (id, score)) in expect.iter().enumerate() {
            assert_eq!(f[1 + 2 * i], id, "{line}");
            assert!(
                (f[2 + 2 * i].parse::<f64>().unwrap() - score).abs() < 1e-12,
                "{line}"
            );
        }
    }
    // Existing output is not overwritten without --force.
    let o = run(&["export", d, "--k", "4", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists") && stderr(&o).contains("--force"));
    assert!(
        run(&[
            "export",
            d,
            "--k",
            "3",
            "--out",
            dir.to_str().unwrap(),
            "--force"
        ])
        .status
        .success()
    );
}

#[test]
fn zeotap_lookalikes_agree_with_brute_force() {
    let Some(data) = zeotap_or_skip("zeotap_lookalikes_agree_with_brute_force") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("M.csv");
    let res = json(&[
        "lookalike",
        data.to_str().unwrap(),
        "--customer",
        "C0001",
        "--top",
        "5",
        "--dump-matrix",
        m.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (ids, rows) = read_matrix(&m);
    let who = ids.iter().position(|i| i == "C0001").unwrap();
    let expect = brute_top(&ids, &rows, who, 5);
    assert_eq!(res["customer"], "C0001");
    let got = res["lookalikes"].as_array().unwrap();
    assert_eq!(got.len(), 5);
    for (g, (id, score)) in got.iter().zip(&expect) {
        assert_eq!(g["customer"], id.as_str());
        assert!((g["score"].as_f64().unwrap() - score).abs() < 1e-12);
    }
    // --min-score keeps only the close ones; the customer itself never appears. The threshold
    // is the tenth best score, so some are kept and some are not.
    let ranked = brute_top(&ids, &rows, who, 199);
    let threshold = ranked[9].1;
    let close = json(&[
        "lookalike",
        data.to_str().unwrap(),
        "--customer",
        "C0001",
        "--top",
        "20",
        "--min-score",
        &threshold.to_string(),
        "--format",
        "json",
    ]);
    let close = close["lookalikes"].as_array().unwrap();
    let want = ranked
        .iter()
        .filter(|(_, s)| *s >= threshold)
        .count()
        .min(20);
    assert!((10..20).contains(&want), "{want}");
    assert_eq!(close.len(), want);
    assert!(
        close
            .iter()
            .all(|m| m["customer"] != "C0001" && m["score"].as_f64().unwrap() >= threshold)
    );
    // --metric cosine keeps the direction-only similarity, on the same matrix.
    let cos = json(&[
        "lookalike",
        data.to_str().unwrap(),
        "--customer",
        "C0001",
        "--top",
        "5",
        "--metric",
        "cosine",
        "--format",
        "json",
    ]);
    let expect = brute_top_by(&ids, &rows, who, 5, cosine);
    for (g, (id, score)) in cos["lookalikes"].as_array().unwrap().iter().zip(&expect) {
        assert_eq!(g["customer"], id.as_str());
        assert!((g["score"].as_f64().unwrap() - score).abs() < 1e-12);
    }
    // A Euclidean score lies in 0..1: --min-score outside it is refused, naming the metric.
    let o = run(&[
        "lookalike",
        data.to_str().unwrap(),
        "--customer",
        "C0001",
        "--min-score",
        "-0.5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a euclidean score lies between 0 and 1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn audience_expansion_and_all_customers_on_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.csv");
    let seg = dir.path().join("seg");
    assert!(
        run(&["segment", "--k", "5", "--out", seg.to_str().unwrap()])
            .status
            .success()
    );
    let res = json(&[
        "lookalike",
        "--segment",
        "1",
        "--k",
        "5",
        "--top",
        "15",
        "--format",
        "json",
        "--dump-matrix",
        m.to_str().unwrap(),
    ]);
    let members: std::collections::HashSet<String> =
        std::fs::read_to_string(seg.join("customer_segments.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(1) == Some("1"))
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
    let (ids, rows) = read_matrix(&m);
    let d = rows[0].len();
    let mut centroid = vec![0.0; d];
    for (id, r) in ids.iter().zip(&rows) {
        if members.contains(id) {
            for j in 0..d {
                centroid[j] += r[j] / members.len() as f64;
            }
        }
    }
    let mut expect: Vec<(String, f64)> = ids
        .iter()
        .zip(&rows)
        .filter(|(id, _)| !members.contains(*id))
        .map(|(id, r)| (id.clone(), euclidean(r, &centroid)))
        .collect();
    expect.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let got = res["lookalikes"].as_array().unwrap();
    assert_eq!(got.len(), 15);
    for (g, (id, score)) in got.iter().zip(&expect) {
        assert_eq!(g["customer"], id.as_str());
        assert!((g["score"].as_f64().unwrap() - score).abs() < 1e-9);
    }
    // --all prints one entry per customer, each excluding itself.
    let all = json(&["lookalike", "--all", "--format", "json"]);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), ids.len());
    assert!(all.iter().all(|e| {
        e["lookalikes"].as_array().unwrap().len() == 3
            && e["lookalikes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["customer"] != e["customer"])
    }));
}

#[test]
fn sweep_suggests_the_best_silhouette_and_migrate_accounts_for_everyone() {
    let sw = json(&["sweep", "--k-min", "2", "--k-max", "6", "--format", "json"]);
    let rows = sw["rows"].as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| r["k"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 3, 4, 5, 6]
    );
    let best = rows
        .iter()
        .max_by(|a, b| {
            a["silhouette"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["silhouette"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(sw["suggested_k"], best["k"]);
    assert!(sw["reason"].as_str().unwrap().contains("silhouette"));

    let mig = json(&["migrate", "--k", "4", "--format", "json"]);
    assert_eq!(
        mig["split"], "2024-09-30",
        "three months before the last purchase (2024-12-31)"
    );
    let counts = &mig["tables"][0];
    let total_col = counts["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "customers")
        .unwrap();
    let total: u64 = counts["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[total_col].as_u64().unwrap())
        .sum();
    let eda = json(&["eda", "--format", "json", "--table", "overview"]);
    assert_eq!(
        total as i64,
        metric(&eda, "customers who bought").as_i64().unwrap(),
        "every buyer is in one row"
    );
    let new_row = counts["rows"].as_array().unwrap().last().unwrap();
    assert_eq!(new_row[0], "(new after split)");
}

#[test]
fn gmm_segments_export_and_assign_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gmm");
    let o = run(&[
        "export",
        "--k",
        "3",
        "--algo",
        "gmm",
        "--features",
        "rfm",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a = run(&[
        "assign",
        "--model",
        out.join("model.json").to_str().unwrap(),
    ]);
    assert!(a.status.success(), "{}", stderr(&a));
    let exported = std::fs::read_to_string(out.join("customer_segments.csv")).unwrap();
    let assigned = String::from_utf8(a.stdout).unwrap();
    let differ = exported
        .lines()
        .zip(assigned.lines())
        .filter(|(x, y)| x != y)
        .count();
    assert_eq!(differ, 0, "assign reproduces the mixture's labels");
}

#[test]
fn bad_input_for_segments_and_lookalikes() {
    refused(&["segment", "--k", "1"], &["--k 1", "at least 2"]);
    refused(
        &["segment", "--k", "5000"],
        &["--k 5000", "number of customers"],
    );
    refused(
        &["segment", "--k", "3", "--features", "rfm,shoe_size"],
        &["--features", "shoe_size", "recency_days"],
    );
    refused(
        &["segment", "--k", "3", "--features", "vibes"],
        &["--features", "vibes"],
    );
    refused(
        &["lookalike", "--customer", "C9999x"],
        &["--customer", "closest"],
    );
    refused(
        &["lookalike", "--segment", "9", "--k", "4"],
        &["--segment 9", "1 to 4"],
    );
    refused(
        &["lookalike", "--customer", "C0001", "--min-score", "1.5"],
        &["--min-score"],
    );
    refused(&["sweep", "--k-min", "5", "--k-max", "3"], &["--k-min 5"]);
    refused(
        &["migrate", "--k", "3", "--split", "1999-01-01"],
        &["--split", "after the first purchase"],
    );
    refused(
        &["migrate", "--k", "3", "--split", "soon"],
        &["--split", "2024-10-01"],
    );

    let dir = tempfile::tempdir().unwrap();
    // Fewer than 3 customers.
    let two = write(
        dir.path(),
        "two.csv",
        b"customer_id,date,amount\na,2024-01-01,5\nb,2024-01-02,6\na,2024-01-03,7\n",
    );
    refused(
        &["segment", two.to_str().unwrap(), "--k", "2"],
        &["only 2 customer", "at least 3"],
    );
    // A model from another feature set, and a malformed one.
    let out = dir.path().join("exp");
    assert!(
        run(&[
            "export",
            "--k",
            "3",
            "--features",
            "all",
            "--out",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    let log = write(dir.path(), "log.csv", b"customer_id,date,amount\na,2024-01-01,5\nb,2024-01-02,6\nc,2024-01-03,7\nd,2024-02-01,9\n");
    let model = out.join("model.json");
    refused(
        &[
            "assign",
            "--model",
            model.to_str().unwrap(),
            log.to_str().unwrap(),
        ],
        // A log without categories lacks distinct_categories; its category shares are 0 for
        // everyone (assign_takes_a_month_without_one_category), so they are not named.
        &[
            "model.json",
            "which this dataset lacks",
            "distinct_categories",
        ],
    );
    let bad = write(
        dir.path(),
        "bad.json",
        b"{\"format\": \"segscope-model/1\", \"k\": ",
    );
    refused(
        &["assign", "--model", bad.to_str().unwrap()],
        &["bad.json", "not a segscope model.json", "line 1"],
    );
    // An output folder that cannot be created: nothing is written anywhere.
    let file = write(dir.path(), "plain", b"x");
    refused(
        &[
            "export",
            "--k",
            "3",
            "--out",
            file.join("sub").to_str().unwrap(),
        ],
        &["plain"],
    );
    // Lookalike --out refuses to overwrite.
    let existing = write(dir.path(), "l.csv", b"keep me");
    refused(
        &[
            "lookalike",
            "--all",
            "--format",
            "csv",
            "--out",
            existing.to_str().unwrap(),
        ],
        &["l.csv", "--force"],
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
}
