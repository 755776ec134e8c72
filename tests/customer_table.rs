//! DESIGN.md layout 3: a customer-level table. The golden table is docs/customer_table.sql (the
//! README's DuckDB aggregation) run on data/sample by tests/golden/customer_table/make_golden.py:
//! an independent engine computing the same features.

mod common;

use common::{approx, json, refused, run, stderr, write};
use segscope::analysis::features::customer_features;
use segscope::data::{DataSource, load};

const GOLDEN: &str = "tests/golden/customer_table/sample_customers.parquet";

#[test]
fn features_equal_the_duckdb_aggregation_of_the_sample() {
    let folder = customer_features(
        &load(
            &DataSource::Bundled,
            &segscope::data::LoadOptions::default(),
        )
        .unwrap(),
    )
    .unwrap();
    let table_ds = load(
        &DataSource::Path(GOLDEN.into()),
        &segscope::data::LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(table_ds.report.layout, "customer table");
    let table = customer_features(&table_ds).unwrap();
    assert_eq!(table.ids, folder.ids);
    let names = [
        "recency_days",
        "frequency",
        "monetary",
        "avg_order_value",
        "tenure_days",
        "distinct_categories",
    ];
    assert_eq!(table.names, names);
    for name in names {
        let (a, b) = (folder.column(name).unwrap(), table.column(name).unwrap());
        for i in 0..folder.len() {
            let (x, y) = (folder.raw[[i, a]], table.raw[[i, b]]);
            assert!(
                approx(x, y, 1e-9 * x.abs().max(1.0)),
                "{name} of {}: segscope {x}, DuckDB {y}",
                folder.ids[i]
            );
        }
    }
}

#[test]
fn segments_of_the_table_equal_those_of_the_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let from_log = json(&[
        "segment",
        "--k",
        "4",
        "--format",
        "json",
        "--out",
        a.to_str().unwrap(),
    ]);
    let from_table = json(&[
        "segment",
        GOLDEN,
        "--k",
        "4",
        "--format",
        "json",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert_eq!(from_table["n_customers"], 1941);
    assert_eq!(from_log["features"], from_table["features"]);
    for m in ["silhouette", "davies_bouldin", "inertia"] {
        let (x, y) = (
            from_log["metrics"][m].as_f64().unwrap(),
            from_table["metrics"][m].as_f64().unwrap(),
        );
        assert!(approx(x, y, 1e-9), "{m}: {x} vs {y}");
    }
    // The table has no transactions, so its value columns (rfm … clv) are empty, and it knows
    // no customer who never bought: the segments themselves must agree.
    let read = |d: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(d.join("customer_segments.csv"))
            .unwrap()
            .lines()
            .filter(|l| !l.contains(",No purchase,"))
            .map(|l| l.splitn(4, ',').take(3).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(read(&a), read(&b), "every customer in the same segment");
}

#[test]
fn a_csv_table_uses_its_numeric_columns_and_drops_unusable_rows() {
    let dir = tempfile::tempdir().unwrap();
    // c5's spend is not a number: the row is dropped and counted; "tier" is text: left out.
    let mut csv = String::from("customer_id,name,region,spend,visits,tier\n");
    for (i, (s, v)) in [
        (1.0, 1.0),
        (1.5, 2.0),
        (2.0, 1.0),
        (100.0, 30.0),
        (110.0, 31.0),
        (105.0, 29.0),
    ]
    .iter()
    .enumerate()
    {
        csv.push_str(&format!("c{i},Name {i},EU,{s},{v},gold\n"));
    }
    csv.push_str("c9,Bad,EU,NaN,3,gold\n");
    let p = write(dir.path(), "customers.csv", csv.as_bytes());
    let p = p.to_str().unwrap();
    let out = json(&[
        "segment", p, "--k", "2", "--format", "json", "--scaler", "none",
    ]);
    assert_eq!(out["n_customers"], 6);
    assert_eq!(out["features"], serde_json::json!(["spend", "visits"]));
    let sizes: Vec<u64> = out["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["size"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, vec![3, 3], "the big spenders and the rest");
    let personas: Vec<&str> = out["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["persona"].as_str().unwrap())
        .collect();
    assert_eq!(
        personas,
        ["Segment 1", "Segment 2"],
        "no rfm columns, no persona guesses"
    );
    // Inertia by hand (no scaling): cluster means (1.5, 4/3) and (105, 30).
    let small = [(1.0, 1.0), (1.5, 2.0), (2.0, 1.0)];
    let big = [(100.0, 30.0), (110.0, 31.0), (105.0, 29.0)];
    let ss = |pts: &[(f64, f64)], m: (f64, f64)| -> f64 {
        pts.iter()
            .map(|p| (p.0 - m.0).powi(2) + (p.1 - m.1).powi(2))
            .sum()
    };
    let want = ss(&small, (1.5, 4.0 / 3.0)) + ss(&big, (105.0, 30.0));
    let inertia = out["metrics"]["inertia"].as_f64().unwrap();
    assert!(approx(inertia, want, 1e-9), "{inertia} vs {want}");
    let o = run(&["segment", p, "--k", "2"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &stderr(&o);
    assert!(
        text.contains("tier"),
        "the ignored column is reported: {text}"
    );
}

#[test]
fn transaction_only_commands_refuse_a_table_and_repeated_ids_are_not_a_table() {
    refused(&["eda", GOLDEN], &[GOLDEN, "customer-level table", "EDA"]);
    refused(
        &["migrate", GOLDEN, "--k", "3"],
        &[GOLDEN, "customer-level table"],
    );
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "t.csv",
        b"CustomerID,Quantity,Price\nc1,1,2\nc1,2,3\nc2,1,1\n",
    );
    refused(
        &["segment", p.to_str().unwrap(), "--k", "2"],
        &["t.csv", "no date column"],
    );
}

#[test]
fn the_lookup_index_of_a_table_lists_every_customer_without_purchases() {
    let ds = load(
        &DataSource::Path(GOLDEN.into()),
        &segscope::data::LoadOptions::default(),
    )
    .unwrap();
    let index = segscope::analysis::customers::CustomerIndex::build(&ds).unwrap();
    let f = customer_features(&ds).unwrap();
    assert_eq!(
        index.ids, f.ids,
        "the same customers, in the feature rows' order"
    );
    let i = index.position("C0007").expect("a customer of the table");
    assert!(index.purchases(i).is_empty());
    assert_eq!(index.labels[i], "C0007");
}

#[test]
fn the_tui_overview_of_a_table_names_its_customers_and_features() {
    let ds = load(
        &DataSource::Path(GOLDEN.into()),
        &segscope::data::LoadOptions::default(),
    )
    .unwrap();
    let eda = segscope::analysis::eda::table_overview(&ds).unwrap();
    let overview = &eda.tables[0];
    let value = |k: &str| {
        overview
            .rows
            .iter()
            .find(|r| r[0].display() == k)
            .map(|r| r[1].display())
            .unwrap_or_default()
    };
    assert_eq!(value("customers"), "1941");
    assert!(value("features").starts_with("recency_days, frequency, monetary"));
    assert_eq!(eda.skipped.len(), 1, "{:?}", eda.skipped);
}
