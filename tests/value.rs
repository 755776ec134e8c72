//! Customer value against independent computations: R rfm's scoring rules and lifetimes'
//! BG/NBD and Gamma-Gamma, values made once by tests/golden/value/make_golden.py (pandas and
//! lifetimes 0.11.3); these tests need no Python.

mod common;

use std::path::{Path, PathBuf};

use common::{json, refused, run, stderr, stdout};
use segscope::analysis::value::clv::{BgNbd, GammaGamma, Projection, value_of};
use serde_json::Value as J;

fn golden() -> J {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/value/expected.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn fixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/value/rfm_ties.csv")
        .display()
        .to_string()
}

fn f(v: &J) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

/// Every customer's measures, scores, code and segment as the golden has them.
fn assert_rfm_customers(got: &J, want: &J, with_segment: bool) {
    let rows = got["customers"].as_array().unwrap();
    let want = want.as_object().unwrap();
    assert_eq!(rows.len(), want.len(), "one row per customer who bought");
    for row in rows {
        let id = row["customer"].as_str().unwrap();
        let w = &want[id];
        for k in ["recency_days", "frequency", "monetary"] {
            assert!(
                close(f(&row[k]), f(&w[k]), 1e-9),
                "{id} {k}: {} vs {}",
                row[k],
                w[k]
            );
        }
        for k in ["r", "f", "m", "rfm"] {
            assert_eq!(row[k], w[k], "{id} {k}");
        }
        if with_segment {
            assert_eq!(row["segment"], w["segment"], "{id} segment");
        }
    }
}

fn assert_thresholds(got: &J, want: &J) {
    for k in ["recency", "frequency", "monetary"] {
        let (g, w) = (got[k].as_array().unwrap(), want[k].as_array().unwrap());
        assert_eq!(g.len(), w.len(), "{k}");
        for (a, b) in g.iter().zip(w) {
            for j in 0..2 {
                assert!(close(f(&a[j]), f(&b[j]), 1e-12), "{k}: {a} vs {b}");
            }
        }
    }
}

fn assert_rfm_segments(got: &J, want: &J) {
    let (g, w) = (got.as_array().unwrap(), want.as_array().unwrap());
    let names = |v: &[J]| v.iter().map(|s| s["segment"].clone()).collect::<Vec<_>>();
    assert_eq!(names(g), names(w), "segments in rule order, Others last");
    for (a, b) in g.iter().zip(w) {
        assert_eq!(a["customers"], b["customers"]);
        for k in [
            "orders",
            "revenue",
            "aov",
            "customer_share",
            "revenue_share",
        ] {
            assert!(
                close(f(&a[k]), f(&b[k]), 1e-9),
                "{} {k}: {} vs {}",
                a["segment"],
                a[k],
                b[k]
            );
        }
    }
}

#[test]
fn rfm_scores_ties_and_repeated_quantiles_as_r_rfm_defines_them() {
    let g = golden();
    let want = &g["rfm"]["bins"]["5"];
    let got = json(&["rfm", &fixture(), "--format", "json"]);
    assert_eq!(got["bins"], 5);
    assert_thresholds(&got["thresholds"], &want["thresholds"]);
    assert_rfm_customers(&got, &want["customers"], true);
    assert_rfm_segments(&got["segments"], &want["segments"]);
    // The fixture's frequency quintiles repeat: two scores are empty, and said so.
    let freq = got["thresholds"]["frequency"].as_array().unwrap();
    assert!(
        freq.iter().filter(|t| t[0] == t[1]).count() >= 2,
        "{freq:?}"
    );
    let text = stdout(&run(&["rfm", &fixture()]));
    assert!(text.contains("(empty)"), "{text}");
    assert!(
        text.contains("no customer can be named New Customers, Promising"),
        "{text}"
    );
}

#[test]
fn rfm_with_three_bins_needs_rules_written_for_three() {
    let g = golden();
    refused(
        &["rfm", &fixture(), "--bins", "3"],
        &["--bins 3", "--rules FILE", "bins = 3"],
    );
    let dir = tempfile::tempdir().unwrap();
    let rules = common::write(
        dir.path(),
        "three.toml",
        b"bins = 3\n[[segment]]\nname = \"Best\"\nr = [3, 3]\nf = [3, 3]\nm = [3, 3]\n",
    );
    let got = json(&[
        "rfm",
        &fixture(),
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(got["bins"], 3);
    let want = &g["rfm"]["bins"]["3"];
    assert_thresholds(&got["thresholds"], &want["thresholds"]);
    assert_rfm_customers(&got, &want["customers"], false);
    for c in got["customers"].as_array().unwrap() {
        let best = c["r"] == 3 && c["f"] == 3 && c["m"] == 3;
        assert_eq!(c["segment"] == "Best", best, "{c}");
    }
}

#[test]
fn rfm_on_the_zeotap_folder_gives_every_customer_r_rfms_scores_and_segment() {
    let Some(dir) = common::zeotap_or_skip("rfm_on_the_zeotap_folder") else {
        return;
    };
    let g = golden();
    let want = &g["rfm_zeotap"];
    let got = json(&["rfm", dir.to_str().unwrap(), "--format", "json"]);
    assert_thresholds(&got["thresholds"], &want["thresholds"]);
    assert_rfm_customers(&got, &want["customers"], true);
    assert_rfm_segments(&got["segments"], &want["segments"]);
}

#[test]
fn rfm_csv_lists_every_customer_and_bad_rules_are_refused() {
    let o = run(&["rfm", &fixture(), "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("customer,recency_days,frequency,monetary,r,f,m,rfm,segment")
    );
    assert_eq!(lines.count(), 30);
    let dir = tempfile::tempdir().unwrap();
    let bad = common::write(
        dir.path(),
        "bad.toml",
        b"bins = 5\n[[segment]]\nname = \"Top\"\nr = [5, 4]\nf = [1, 5]\nm = [1, 5]\n",
    );
    refused(
        &["rfm", &fixture(), "--rules", bad.to_str().unwrap()],
        &["bad.toml", "segment \"Top\"", "r = [5, 4]"],
    );
    refused(
        &["rfm", &fixture(), "--rules", "/nonexistent/rules.toml"],
        &["--rules /nonexistent/rules.toml", "cannot read"],
    );
}

/// The CDNOW 1/10 sample, read as its header-less whitespace-separated lines.
fn cdnow_sample(test: &str) -> Option<PathBuf> {
    let master = common::cdnow_or_skip(test)?;
    Some(master.with_file_name("CDNOW_sample.txt"))
}

const SAMPLE_COLUMNS: &str = "customer_id,sample_id,date,quantity,amount";

#[test]
fn clv_on_the_cdnow_sample_reproduces_the_published_fits_and_lifetimes_per_customer() {
    let Some(sample) = cdnow_sample("clv_on_the_cdnow_sample") else {
        return;
    };
    let g = golden();
    let want = &g["clv"];
    let got = json(&[
        "clv",
        sample.to_str().unwrap(),
        "--columns",
        SAMPLE_COLUMNS,
        "--until",
        "1997-09-30",
        "--holdout",
        "1998-06-30",
        "--horizon",
        "360",
        "--format",
        "json",
    ]);
    assert_eq!(got["until"], "1997-09-30");
    // The published fits (SOURCE.md), within 1e-3 relative, and lifetimes' own much closer.
    for (k, published) in [
        ("r", 0.2426),
        ("alpha", 30.8952),
        ("a", 0.7929),
        ("b", 2.4259),
    ] {
        let v = f(&got["bgnbd"][k]);
        assert!(close(v, published, 1e-3), "BG/NBD {k} {v} vs {published}");
        assert!(
            close(v, f(&want["bgnbd"][k]), 1e-4),
            "BG/NBD {k} {v} vs lifetimes"
        );
    }
    for (k, published) in [("p", 6.2496), ("q", 3.7442), ("v", 15.4435)] {
        let v = f(&got["gamma_gamma"][k]);
        assert!(
            close(v, published, 1e-3),
            "Gamma-Gamma {k} {v} vs {published}"
        );
        assert!(
            close(v, f(&want["gamma_gamma"][k]), 1e-4),
            "Gamma-Gamma {k} vs lifetimes"
        );
    }
    assert_eq!(got["gamma_gamma"]["customers"], 946);
    assert!(close(
        f(&got["bgnbd"]["log_likelihood"]),
        f(&want["bgnbd"]["log_likelihood"]),
        1e-7
    ));
    let rows = got["customers"].as_array().unwrap();
    let per = want["customers"].as_object().unwrap();
    assert_eq!(rows.len(), per.len());
    for row in rows {
        let id = row["customer"].as_str().unwrap();
        let w = &per[id];
        for k in ["frequency", "recency", "T", "monetary_value"] {
            assert!(close(f(&row[k]), f(&w[k]), 1e-9), "{id} {k}");
        }
        for (k, wk) in [
            ("p_alive", "p_alive"),
            ("expected_purchases", "expected_purchases_360"),
            ("expected_spend", "expected_spend"),
            ("clv", "clv"),
        ] {
            assert!(
                close(f(&row[k]), f(&w[wk]), 1e-4),
                "{id} {k}: {} vs {}",
                row[k],
                w[wk]
            );
        }
    }
    // The holdout check, by calibration frequency.
    let holdout = got["holdout"].as_array().unwrap();
    for w in want["holdout"].as_array().unwrap() {
        let row = holdout
            .iter()
            .find(|r| r["frequency"] == w["frequency"] && r["or_more"] == false)
            .unwrap_or_else(|| panic!("no holdout row for {}", w["frequency"]));
        assert_eq!(row["customers"], w["customers"]);
        assert!(close(f(&row["actual"]), f(&w["actual"]), 1e-12));
        assert!(close(f(&row["predicted"]), f(&w["predicted"]), 1e-4));
    }
    let rfm = got["segments"]["rfm"].as_array().unwrap();
    let total: f64 = rfm.iter().map(|s| f(&s["customers"])).sum();
    assert_eq!(
        total as usize,
        rows.len(),
        "every customer in one RFM segment"
    );
}

#[test]
fn on_lifetimes_own_parameters_every_customers_value_equals_lifetimes_to_1e6() {
    let g = golden();
    let want = &g["clv"];
    let p = |k: &str| f(&want["bgnbd"][k]);
    let bg = BgNbd {
        r: p("r"),
        alpha: p("alpha"),
        a: p("a"),
        b: p("b"),
        log_likelihood: 0.0,
    };
    let q = |k: &str| f(&want["gamma_gamma"][k]);
    let gg = GammaGamma {
        p: q("p"),
        q: q("q"),
        v: q("v"),
        customers: 0,
    };
    let horizon = |days| Projection {
        horizon_days: days,
        discount: 0.01,
    };
    let customers = want["customers"].as_object().unwrap();
    assert!(customers.len() > 2000);
    for (id, c) in customers {
        let (x, tx, t, m) = (
            f(&c["frequency"]),
            f(&c["recency"]),
            f(&c["T"]),
            f(&c["monetary_value"]),
        );
        let year = value_of(&bg, &gg, horizon(360), x, tx, t, m).unwrap();
        let quarter = value_of(&bg, &gg, horizon(90), x, tx, t, m).unwrap();
        for (name, got, w) in [
            ("p_alive", year.p_alive, &c["p_alive"]),
            (
                "expected_purchases_360",
                year.expected_purchases,
                &c["expected_purchases_360"],
            ),
            (
                "expected_purchases_90",
                quarter.expected_purchases,
                &c["expected_purchases_90"],
            ),
            ("expected_spend", year.expected_spend, &c["expected_spend"]),
            ("clv", year.clv, &c["clv"]),
        ] {
            assert!(close(got, f(w), 1e-6), "{id} {name}: {got} vs {w}");
        }
    }
    // SOURCE.md's published check: frequency 2, recency 30.43 weeks, T 38.86 weeks, 39 weeks.
    let e = bg
        .expected_purchases(39.0 * 7.0, 2.0, 30.43 * 7.0, 38.86 * 7.0)
        .unwrap();
    assert!((e - 1.2259).abs() < 1e-3, "{e}");
}

#[test]
fn clv_refuses_periods_it_cannot_fit_and_never_prints_nan() {
    let fx = fixture();
    refused(
        &["clv", &fx, "--holdout", "2024-06-30"],
        &["--holdout needs --until"],
    );
    refused(
        &["clv", &fx, "--until", "2030-01-01"],
        &["--until 2030-01-01", "outside the purchases"],
    );
    refused(
        &["clv", &fx, "--until", "30/06/2024"],
        &["--until", "YYYY-MM-DD"],
    );
    refused(&["clv", &fx, "--discount", "1.5"], &["--discount 1.5"]);
    // Too early a calibration end leaves too few customers to fit.
    refused(
        &["clv", &fx, "--until", "2024-01-10"],
        &["BG/NBD", "at least 20 customers"],
    );
    // The fixture's 30 customers over six months show no churn: the fit runs to the edge of
    // the parameter space, and that is said instead of printing figures.
    refused(
        &["clv", &fx],
        &["BG/NBD: parameter", "runs off toward 0", "more data"],
    );
    // The bundled sample fits: every figure is a number.
    let got = json(&["clv", "--format", "json"]);
    let customers = got["customers"].as_array().unwrap();
    assert!(customers.len() > 1000);
    for c in customers {
        for k in ["p_alive", "expected_purchases", "expected_spend", "clv"] {
            assert!(c[k].as_f64().is_some_and(f64::is_finite), "{c}");
        }
    }
}

#[test]
fn cohorts_equal_pandas_on_the_bundled_sample() {
    let g = golden();
    let want = &g["cohorts"];
    let got = json(&["cohorts", "--format", "json"]);
    let t = &got["tables"][0];
    assert_eq!(t["name"], "cohorts");
    assert_eq!(t["columns"][0], "cohort");
    assert_eq!(t["columns"][2], "m0");
    let rows = t["rows"].as_array().unwrap();
    let cohorts = want["customers"].as_array().unwrap();
    assert_eq!(rows.len(), cohorts.len());
    for (row, w) in rows.iter().zip(cohorts) {
        assert_eq!(row[0], w["cohort"]);
        assert_eq!(row[1], w["customers"]);
        let shares = w["shares"].as_array().unwrap();
        for (k, s) in shares.iter().enumerate() {
            assert!(close(f(&row[2 + k]), f(s), 1e-12), "{} m{k}", w["cohort"]);
        }
        let row = row.as_array().unwrap();
        assert!(
            row[2 + shares.len()..].iter().all(J::is_null),
            "after the data's end: empty"
        );
    }
    let revenue = json(&["cohorts", "--metric", "revenue", "--format", "json"]);
    let rows = revenue["tables"][0]["rows"].as_array().unwrap();
    for (row, w) in rows.iter().zip(want["revenue"].as_array().unwrap()) {
        for (k, r) in w["revenue"].as_array().unwrap().iter().enumerate() {
            assert!(
                (f(&row[2 + k]) - f(r)).abs() <= 0.005 + 1e-9,
                "{} m{k}",
                w["cohort"]
            );
        }
    }
    assert_eq!(want["last_month_partial"], false);
    assert!(
        !revenue["tables"][0]["title"]
            .as_str()
            .unwrap()
            .contains("partial")
    );
}
