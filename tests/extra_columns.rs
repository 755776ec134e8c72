//! Features from the data's own extra columns (installments, payment type, discount) against
//! pandas: the fixture and the expected values were made once by
//! tests/golden/extra/make_golden.py; these tests need no Python.

mod common;

use std::path::Path;

use common::{json, refused, run, stderr, stdout, write};
use segscope::analysis::features::customer_features;
use segscope::data::{DataSource, LoadOptions, load};
use serde_json::Value;

const FIXTURE: &str = "tests/fixtures/extra/payments.csv";

/// `segscope segment FIXTURE --k K --features FEATURES --format json`.
fn segment_json(k: usize, features: &str) -> Value {
    json(&[
        "segment",
        FIXTURE,
        "--k",
        &k.to_string(),
        "--features",
        features,
        "--format",
        "json",
    ])
}

fn golden() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/extra/expected.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn extra_features_equal_pandas_on_the_fixture() {
    let ds = load(&DataSource::Path(FIXTURE.into()), &LoadOptions::default()).unwrap();
    let f = customer_features(&ds).unwrap();
    let want = golden();
    let ids: Vec<&str> = want["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(f.ids, ids);
    let expected = want["features"].as_object().unwrap();
    let mut names: Vec<&str> = expected.keys().map(String::as_str).collect();
    names.sort();
    let mut extra: Vec<&str> = f.extra.iter().map(String::as_str).collect();
    extra.sort();
    assert_eq!(extra, names, "exactly pandas' extra features");
    for (name, per) in expected {
        let j = f.column(name).unwrap();
        for (i, id) in f.ids.iter().enumerate() {
            let w = per[id].as_f64().unwrap();
            let got = f.raw[[i, j]];
            assert!(
                (got - w).abs() <= 1e-9 * w.abs().max(1.0),
                "{id} {name}: {got} vs pandas {w}"
            );
        }
    }
    // Row ID (an id) and review (906 distinct texts) give no feature, and a note says so.
    let notes = ds.report.notes.join("\n");
    assert!(notes.contains("left out: Row ID"), "{notes}");
    assert!(notes.contains("review (906 distinct values"), "{notes}");
    assert!(
        notes.contains("installments (number)") && notes.contains("payment_type (4 values)"),
        "{notes}"
    );
}

#[test]
fn a_segment_on_installments_is_explained_by_them() {
    let res = segment_json(5, "rfm,installments_per_order");
    assert_eq!(
        res["features"],
        serde_json::json!([
            "recency_days",
            "frequency",
            "monetary",
            "installments_per_order"
        ])
    );
    let segments = res["segments"].as_array().unwrap();
    let by_installments = segments.iter().find(|s| {
        s["distinctive"][0]["feature"] == "installments_per_order"
            && s["distinctive"][0]["ratio"].as_f64().unwrap() > 3.0
    });
    assert!(
        by_installments.is_some(),
        "a segment set apart first by installments: {segments:?}"
    );
    // --dump-matrix carries the extra column as clustered.
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("m.csv");
    let o = run(&[
        "segment",
        FIXTURE,
        "--k",
        "5",
        "--features",
        "rfm,installments_per_order",
        "--dump-matrix",
        dump.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let matrix = std::fs::read_to_string(&dump).unwrap();
    assert!(
        matrix
            .lines()
            .next()
            .unwrap()
            .ends_with("monetary,installments_per_order"),
        "{}",
        matrix.lines().next().unwrap()
    );
    assert_eq!(matrix.lines().count(), 241);
    // Profiles carry every extra feature, clustered on or not.
    let median = segments[0]["median"].as_object().unwrap();
    for name in [
        "installments_per_order",
        "discount_total",
        "payment_type=boleto",
    ] {
        assert!(median.contains_key(name), "{name} in {median:?}");
    }
}

#[test]
fn extra_features_are_named_in_any_case_and_by_the_set_extra() {
    let res = segment_json(3, "rfm,Installments_Per_Order,payment_type=Credit_Card");
    assert_eq!(
        res["features"],
        serde_json::json!([
            "recency_days",
            "frequency",
            "monetary",
            "installments_per_order",
            "payment_type=credit_card"
        ])
    );
    let res = segment_json(3, "extra");
    let features = res["features"].as_array().unwrap();
    assert_eq!(features.len(), 8, "{features:?}");
    // Amounts get the sign-preserving log1p, shares none.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let o = run(&[
        "export",
        FIXTURE,
        "--k",
        "3",
        "--features",
        "extra",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let model: Value =
        serde_json::from_slice(&std::fs::read(out.join("model.json")).unwrap()).unwrap();
    let t = &model["transform"];
    for (name, log) in t["features"]
        .as_array()
        .unwrap()
        .iter()
        .zip(t["log1p"].as_array().unwrap())
    {
        let name = name.as_str().unwrap();
        assert_eq!(log.as_bool().unwrap(), !name.contains('='), "{name}");
    }
}

#[test]
fn a_feature_that_does_not_exist_lists_the_extra_ones() {
    refused(
        &[
            "segment",
            FIXTURE,
            "--k",
            "3",
            "--features",
            "rfm,installment_per_order",
        ],
        &[
            "installment_per_order",
            "extra features are",
            "installments_per_order",
            "payment_type=voucher",
        ],
    );
    refused(
        &["segment", "--k", "3", "--features", "extra"],
        &["--features extra", "no extra columns", "inspect"],
    );
}

#[test]
fn inspect_lists_the_extra_columns_and_what_each_gives() {
    let text = stdout(&run(&["inspect", FIXTURE]));
    assert!(
        text.contains(
            "extra: installments: number: features installments_total, installments_per_order"
        ),
        "{text}"
    );
    assert!(text.contains("extra: review: left out"), "{text}");
    let res = json(&["inspect", FIXTURE, "--format", "json"]);
    let extras = res["files"][0]["extras"].as_array().unwrap();
    let payment = extras
        .iter()
        .find(|x| x["column"] == "payment_type")
        .unwrap();
    assert_eq!(payment["kind"], "levels");
    assert_eq!(payment["values"].as_array().unwrap().len(), 4);
    let discount = extras.iter().find(|x| x["column"] == "discount").unwrap();
    assert_eq!(discount["kind"], "number");
    assert_eq!(
        discount["features"],
        serde_json::json!(["discount_total", "discount_per_order"])
    );
}

#[test]
fn the_bundled_sample_and_the_zeotap_folder_have_no_extra_features() {
    let ds = load(&DataSource::Bundled, &LoadOptions::default()).unwrap();
    assert!(ds.extras.is_empty());
    let f = customer_features(&ds).unwrap();
    assert!(f.extra.is_empty());
    if let Some(z) = common::zeotap_or_skip("zeotap extras") {
        let ds = load(&DataSource::Path(z), &LoadOptions::default()).unwrap();
        assert!(ds.extras.is_empty(), "{:?}", ds.extras);
    }
}

#[test]
fn a_folder_whose_transactions_carry_a_channel_gets_its_spend_shares() {
    // The bundled sample's transactions with a channel per line: the folder path (customer
    // codes, the dense pass) must give what a plain sum over the file gives.
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    for f in ["Customers.csv", "Products.csv"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let text = std::fs::read_to_string(src.join("Transactions.csv")).unwrap();
    let mut out = String::new();
    let mut web: std::collections::HashMap<String, (f64, f64)> = Default::default();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out += &format!("{line},Channel\n");
            continue;
        }
        let channel = if i % 3 == 0 { "web" } else { "store" };
        out += &format!("{line},{channel}\n");
        let f: Vec<&str> = line.split(',').collect();
        let amount: f64 = f[5].parse().unwrap();
        let e = web.entry(f[1].to_string()).or_default();
        e.1 += amount;
        if channel == "web" {
            e.0 += amount;
        }
    }
    write(dir.path(), "Transactions.csv", out.as_bytes());
    let ds = load(
        &DataSource::Path(dir.path().to_path_buf()),
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(ds.coded_customers().is_some(), "the folder's coded path");
    let f = customer_features(&ds).unwrap();
    assert_eq!(f.extra, ["channel=store", "channel=web"]);
    let j = f.column("channel=web").unwrap();
    let mut checked = 0;
    for (i, id) in f.ids.iter().enumerate() {
        let (w, all) = web[id];
        assert!((f.raw[[i, j]] - w / all).abs() < 1e-9, "{id}");
        checked += 1;
    }
    assert!(checked > 100);
    // Everything else is as without the column.
    let plain =
        customer_features(&load(&DataSource::Bundled, &LoadOptions::default()).unwrap()).unwrap();
    assert_eq!(plain.ids, f.ids);
    for (j, name) in plain.names.iter().enumerate() {
        let k = f.column(name).unwrap();
        assert_eq!(plain.raw.column(j), f.raw.column(k), "{name}");
    }
}

#[test]
fn assign_refuses_data_without_an_extra_column_the_model_needs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let o = run(&[
        "export",
        FIXTURE,
        "--k",
        "3",
        "--features",
        "rfm,installments_per_order",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let model = out.join("model.json");
    // The same log without its installments column.
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(';').collect();
    let drop = header.iter().position(|h| *h == "installments").unwrap();
    let without: String = text
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(';').collect();
            f.remove(drop);
            f.join(";") + "\n"
        })
        .collect();
    let data = write(dir.path(), "no_installments.csv", without.as_bytes());
    refused(
        &[
            "assign",
            data.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--out",
            dir.path().join("a.csv").to_str().unwrap(),
        ],
        &[
            "extra column(s) installments",
            "installments_per_order",
            "inspect",
        ],
    );
    assert!(!dir.path().join("a.csv").exists(), "nothing written");
    // With the column it labels every customer.
    let o = run(&[
        "assign",
        FIXTURE,
        "--model",
        model.to_str().unwrap(),
        "--out",
        dir.path().join("b.csv").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}
