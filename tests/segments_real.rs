//! Segments and lookalikes on data nobody here prepared: CDNOW's purchase log, and generated
//! logs shaped like UCI Online Retail (heavy-tailed spend, cancellations, net returners, a
//! customer returning goods bought before the log starts). The expected figures come from the
//! files themselves (sums per customer here), never from segscope.

mod common;

use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A seeded generator (SplitMix64): the fixtures are the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Pareto with shape `a`, minimum 1: heavy right tail.
    fn pareto(&mut self, a: f64) -> f64 {
        (1.0 - self.unit()).powf(-1.0 / a)
    }
}

/// A UCI-shaped log: `n` ordinary customers with Pareto order counts and price levels, 8% of
/// orders followed by a cancellation, `n / 100` net returners (a small purchase, then a large
/// return), one customer returning 50 units of goods bought before the log, and three
/// wholesalers ordering 5,000 units every five days. Returns the file and each customer's net
/// spend, summed here from the lines written.
fn retail_log(dir: &Path, n: u64, seed: u64) -> (PathBuf, HashMap<String, f64>) {
    let mut rng = Rng(seed);
    let mut out = String::from(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n",
    );
    let mut net: HashMap<String, f64> = HashMap::new();
    let mut invoice = 500_000u64;
    let mut line =
        |out: &mut String, inv: u64, cancel: bool, q: i64, day: u64, price: f64, c: u64| {
            let (m, d) = month_day(day);
            let (y, m) = if m > 12 { (2011, m - 12) } else { (2010, m) };
            out.push_str(&format!(
                "{}{inv},{code},item {code},{q},{m}/{d}/{y} 10:00,{price:.2},{c},United Kingdom\n",
                if cancel { "C" } else { "" },
                code = 10_000 + (inv % 400),
            ));
            let price = (price * 100.0).round() / 100.0;
            *net.entry(c.to_string()).or_default() += q as f64 * price;
        };
    for c in 12_346..12_346 + n {
        let orders = (rng.pareto(1.3) as u64).clamp(1, 150);
        let level = 1.0 + 8.0 * rng.unit() * rng.unit();
        for _ in 0..orders {
            invoice += 1;
            let day = rng.below(365);
            for _ in 0..1 + rng.below(5) {
                let q = rng.pareto(1.8).min(400.0) as i64;
                line(
                    &mut out,
                    invoice,
                    false,
                    q,
                    day,
                    level * (0.5 + rng.unit()),
                    c,
                );
            }
            if rng.unit() < 0.08 {
                invoice += 1;
                let q = -(1 + rng.below(3) as i64);
                line(&mut out, invoice, true, q, (day + 2).min(364), level, c);
            }
        }
    }
    for c in 20_000..20_000 + (n / 100).max(3) {
        let day = rng.below(300);
        invoice += 1;
        line(&mut out, invoice, false, 2, day, 3.0, c);
        invoice += 1;
        line(
            &mut out,
            invoice,
            true,
            -(20 + rng.below(60) as i64),
            day + 5,
            4.0,
            c,
        );
    }
    invoice += 1;
    line(&mut out, invoice, false, 2, 100, 10.0, 30_000);
    invoice += 1;
    line(&mut out, invoice, true, -50, 101, 10.0, 30_000);
    for c in 40_000..40_006 {
        for day in (0..360).step_by(5) {
            invoice += 1;
            line(&mut out, invoice, false, 5_000, day, 50.0, c);
        }
    }
    let path = dir.join("online_retail.csv");
    std::fs::write(&path, out).unwrap();
    (path, net)
}

/// Day 0 is 2010-12-01; months past December count on (13 = January 2011).
fn month_day(day: u64) -> (u64, u64) {
    let lengths = [31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut m, mut d) = (12u64, day);
    for len in lengths {
        if d < len {
            return (m, d + 1);
        }
        d -= len;
        m += 1;
    }
    (m, d + 1)
}

fn segments(res: &Value) -> &Vec<Value> {
    res["segments"].as_array().unwrap()
}

/// Each clustered segment's share of the clustered customers.
fn clustered_shares(res: &Value) -> Vec<f64> {
    let n = res["n_clustered"].as_f64().unwrap();
    segments(res)
        .iter()
        .filter(|s| !s["fixed"].as_bool().unwrap())
        .map(|s| s["size"].as_f64().unwrap() / n)
        .collect()
}

/// The done-when's bar for a default segmentation a marketer can use.
fn assert_usable(res: &Value, what: &str) {
    let shares = clustered_shares(res);
    assert!(
        shares.iter().all(|s| (0.02..=0.70).contains(s)),
        "{what}: shares {shares:?}"
    );
    assert!(
        res["warnings"].as_array().unwrap().is_empty(),
        "{what}: {}",
        res["warnings"]
    );
    let names: Vec<&str> = segments(res)
        .iter()
        .map(|s| s["persona"].as_str().unwrap())
        .collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{what}: {names:?}");
    for s in segments(res) {
        let name = s["persona"].as_str().unwrap();
        assert!(
            !name.split(' ').any(|w| ["II", "III", "IV"].contains(&w)),
            "{what}: {name}"
        );
        let rule = s["rule"].as_str().unwrap();
        assert!(!rule.is_empty(), "{what}: {name} has no rule");
        let d = s["distinctive"].as_array().unwrap();
        assert!(!d.is_empty(), "{what}: {name} has no explanation");
        // Every explanation carries a ratio: a number, or null where the overall median is 0.
        let ratio = d[0].get("ratio").expect("a ratio field");
        assert!(ratio.is_number() || ratio.is_null());
        assert!(d[0]["feature"].is_string() && d[0]["median"].is_number());
    }
}

/// Median net spend of each top-1% spender's five lookalikes, against its own: the ratio
/// (always ≥ 1) for each.
fn lookalike_spend_ratios(data: &str, net: &HashMap<String, f64>) -> Vec<f64> {
    let o = run(&["lookalike", data, "--all", "--top", "5", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lookalikes: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let ids = (1..f.len()).step_by(2).map(|i| f[i].to_string()).collect();
        lookalikes.insert(f[0].to_string(), ids);
    }
    let mut buyers: Vec<(&String, f64)> = net
        .iter()
        .filter(|(id, v)| **v > 0.0 && lookalikes.contains_key(*id))
        .map(|(id, v)| (id, *v))
        .collect();
    buyers.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let top = (buyers.len() / 100).max(1);
    buyers[..top]
        .iter()
        .map(|(id, own)| {
            let mut theirs: Vec<f64> = lookalikes[*id].iter().map(|l| net[l]).collect();
            theirs.sort_by(f64::total_cmp);
            let median = theirs[theirs.len() / 2];
            (median / own).max(own / median)
        })
        .collect()
}

/// Net spend per customer of CDNOW's master file, summed here from its lines.
fn cdnow_spend(path: &Path) -> HashMap<String, f64> {
    let mut net = HashMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let (Some(id), Some(Ok(v))) = (f.first(), f.get(3).map(|v| v.parse::<f64>())) {
            *net.entry(id.to_string()).or_default() += v;
        }
    }
    net
}

#[test]
fn cdnow_default_segments_are_usable_and_lookalikes_match_spend() {
    let Some(p) = cdnow_or_skip("cdnow_default_segments_are_usable_and_lookalikes_match_spend")
    else {
        return;
    };
    let d = p.to_str().unwrap();
    let res = json(&["segment", d, "--k", "4", "--format", "json"]);
    assert_usable(&res, "CDNOW");
    assert_eq!(res["net_returners"], 0, "CDNOW has no returns");
    // A mostly lapsed cohort: lapsed segments are called so, never "Regular".
    let names: Vec<&str> = segments(&res)
        .iter()
        .map(|s| s["persona"].as_str().unwrap())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("Lapsed")), "{names:?}");
    assert!(!names.contains(&"Regular"), "{names:?}");
    for s in segments(&res) {
        let recency = s["median"]["recency_days"].as_f64().unwrap();
        let name = s["persona"].as_str().unwrap();
        if recency >= 365.0 {
            assert!(name.starts_with("Lapsed"), "{name} at {recency} d");
        }
        if name.starts_with("Recent") {
            assert!(recency <= 90.0, "{name} at {recency} d");
        }
    }
    let ratios = lookalike_spend_ratios(d, &cdnow_spend(&p));
    assert_eq!(ratios.len(), 235, "the top 1% of 23,502 buyers");
    assert!(
        ratios.iter().all(|&r| r <= 3.0),
        "lookalikes' median spend beyond 3x: {:?}",
        ratios.iter().filter(|&&r| r > 3.0).collect::<Vec<_>>()
    );
}

#[test]
fn a_returns_heavy_log_gets_usable_segments_and_a_net_returners_group() {
    let dir = tempfile::tempdir().unwrap();
    let (log, net) = retail_log(dir.path(), 1500, 7);
    let d = log.to_str().unwrap();
    let res = json(&["segment", d, "--k", "4", "--format", "json"]);
    assert_usable(&res, "generated retail log");
    // Net returners are counted from the lines: net spend at most 0.
    let returners = net.values().filter(|v| **v <= 0.0).count();
    assert!(returners >= 16, "{returners}");
    assert_eq!(res["net_returners"], returners);
    assert_eq!(res["n_clustered"], net.len() - returners);
    let fixed = segments(&res).last().unwrap();
    assert_eq!(fixed["fixed"], true);
    assert_eq!(fixed["persona"], "Net returners");
    assert_eq!(fixed["id"], 5);
    assert_eq!(fixed["size"], returners);
    assert!(
        segments(&res)
            .iter()
            .all(|s| s["persona"] != "Bargain hunters" || s["median"]["return_rate"] == 0.0),
        "returners are never bargain hunters"
    );
    // The bounded return rate: the customer who returned 50 units of goods bought before the
    // log has a rate of at most 1, never 57 (model.json's limits say the same of everyone).
    let out = dir.path().join("export");
    let o = run(&["export", d, "--k", "4", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let seg = std::fs::read_to_string(out.join("customer_segments.csv")).unwrap();
    assert!(seg.contains("\n30000,5,Net returners,"), "net spend -480");
    let model: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap()).unwrap();
    let t = &model["transform"];
    let features = t["features"].as_array().unwrap();
    assert_eq!(t["limits"].as_array().unwrap().len(), features.len());
    assert_eq!(t["scale_from"].as_array().unwrap().len(), features.len());
    assert_eq!(model["net_returners"], true);
    // Every clustered value sits within its feature's limits.
    let matrix = std::fs::read_to_string(out.join("features.csv")).unwrap();
    for line in matrix.lines().skip(1) {
        for (j, v) in line.split(',').skip(1).enumerate() {
            let v: f64 = v.parse().unwrap();
            // serde_json reads floats to within an ulp, not always exactly.
            let [lo, hi] = [0, 1].map(|i| t["limits"][j][i].as_f64().unwrap());
            let slack = 1e-12 * lo.abs().max(hi.abs()).max(1.0);
            assert!(
                lo - slack <= v && v <= hi + slack,
                "{line}: feature {j} {v} outside {lo}..{hi}"
            );
        }
    }
    // assign with the model puts the same customers in the net returners' group.
    let o = run(&[
        "assign",
        "--model",
        out.join("model.json").to_str().unwrap(),
        d,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), seg);
    // Lookalikes of the biggest spenders spend alike.
    let ratios = lookalike_spend_ratios(d, &net);
    assert!(ratios.iter().all(|&r| r <= 3.0), "{ratios:?}");
}

#[test]
fn a_degenerate_segmentation_is_flagged_and_the_sweep_never_suggests_it() {
    // Three customers whose signup dates say 1990: with raw features (--scaler none) their
    // tenure owns a segment; the robust default limits it.
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    for f in ["Products.csv", "Transactions.csv"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let customers = std::fs::read_to_string(src.join("Customers.csv")).unwrap();
    let mut lines: Vec<String> = customers.lines().map(str::to_string).collect();
    for line in lines.iter_mut().skip(1).take(3) {
        let mut f: Vec<&str> = line.split(',').collect();
        *f.last_mut().unwrap() = "1990-01-01";
        *line = f.join(",");
    }
    std::fs::write(dir.path().join("Customers.csv"), lines.join("\n") + "\n").unwrap();
    let d = dir.path().to_str().unwrap();

    let o = run(&[
        "segment", d, "--k", "4", "--scaler", "none", "--format", "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let res: Value = serde_json::from_slice(&o.stdout).unwrap();
    let w = res["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0]["kind"], "small");
    assert_eq!(w[0]["features"][0], "tenure_days");
    let mut who: Vec<&str> = w[0]["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    who.sort();
    assert_eq!(who, vec!["C0001", "C0002", "C0003"]);
    assert!(
        w[0]["message"]
            .as_str()
            .unwrap()
            .contains("--scaler robust")
    );
    assert!(
        stderr(&o).contains("warning: segment"),
        "said on stderr too"
    );
    // The text report and the TUI's pane say it as well (the pane: tests/tui_state.rs).
    let text = stdout(&run(&["segment", d, "--k", "4", "--scaler", "none"]));
    assert!(
        text.contains("warning: segment") && text.contains("tenure_days"),
        "{text}"
    );

    let res = json(&["segment", d, "--k", "4", "--format", "json"]);
    assert!(
        res["warnings"].as_array().unwrap().is_empty(),
        "robust default"
    );

    let sw = json(&[
        "sweep", d, "--k-min", "2", "--k-max", "6", "--scaler", "none", "--format", "json",
    ]);
    let rows = sw["rows"].as_array().unwrap();
    let suggested = sw["suggested_k"].as_u64().unwrap();
    let row = rows.iter().find(|r| r["k"] == suggested).unwrap();
    assert!(row["smallest_share"].as_f64().unwrap() >= 0.01, "{sw}");
    assert!(
        rows.iter()
            .any(|r| r["smallest_share"].as_f64().unwrap() < 0.01),
        "some K does isolate them: {sw}"
    );
    let reason = sw["reason"].as_str().unwrap();
    assert!(
        reason.contains("elbow") && reason.contains("left out"),
        "{reason}"
    );
    assert!(sw["elbow_k"].is_u64());
}

#[test]
fn ward_runs_on_a_sample_above_its_size_and_round_trips_through_assign() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    let o = run(&[
        "export",
        "--k",
        "4",
        "--algo",
        "ward",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // assign puts each customer in the nearest segment centre: the tree's own cut agrees for
    // nearly everyone, not for a customer between two segments.
    let o = run(&[
        "assign",
        "--model",
        out.join("model.json").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let exported = std::fs::read_to_string(out.join("customer_segments.csv")).unwrap();
    let assigned = stdout(&o);
    let same = exported
        .lines()
        .zip(assigned.lines())
        .filter(|(a, b)| a == b)
        .count();
    assert_eq!(exported.lines().count(), assigned.lines().count());
    assert!(
        same as f64 >= 0.9 * exported.lines().count() as f64,
        "{same} of {}",
        exported.lines().count()
    );
    let res = json(&["segment", "--k", "4", "--algo", "ward", "--format", "json"]);
    assert_eq!(res["algo"], "ward");
    assert!(
        res["tree_rows"].is_null(),
        "1,941 customers fit in one tree"
    );
    assert!(res["metrics"]["silhouette"].as_f64().unwrap() > 0.0);

    let (log, _) = retail_log(dir.path(), 5000, 11);
    let text = stdout(&run(&[
        "segment",
        log.to_str().unwrap(),
        "--k",
        "4",
        "--algo",
        "ward",
    ]));
    assert!(
        text.contains("Ward's tree was built on a seeded sample of 4000 customers"),
        "{text}"
    );
}
