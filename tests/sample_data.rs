//! `segscope sample`: deterministic, and the bundled data/sample is exactly its output with
//! structure an analyst can find.

mod common;

use common::*;
use serde_json::Value;

/// The command that made data/sample (also in README.md).
const SAMPLE_ARGS: [&str; 6] = [
    "--customers",
    "2000",
    "--transactions",
    "20000",
    "--seed",
    "42",
];

fn generate(dir: &std::path::Path, extra: &[&str]) {
    let mut args = vec!["sample", "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn same_seed_gives_byte_identical_files_and_matches_the_bundled_sample() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    generate(a.path(), &SAMPLE_ARGS);
    generate(b.path(), &SAMPLE_ARGS);
    generate(
        c.path(),
        &[
            "--customers",
            "2000",
            "--transactions",
            "20000",
            "--seed",
            "43",
        ],
    );
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    for f in ["Customers.csv", "Products.csv", "Transactions.csv"] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        assert_eq!(
            x,
            std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs between runs"
        );
        assert_eq!(
            x,
            std::fs::read(bundled.join(f)).unwrap(),
            "data/sample/{f} is not the generator's output"
        );
    }
    assert_ne!(
        std::fs::read(a.path().join("Transactions.csv")).unwrap(),
        std::fs::read(c.path().join("Transactions.csv")).unwrap()
    );
}

#[test]
fn force_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &["--customers", "30", "--transactions", "100"]);
    generate(
        dir.path(),
        &["--customers", "40", "--transactions", "120", "--force"],
    );
    let text = std::fs::read_to_string(dir.path().join("Customers.csv")).unwrap();
    assert_eq!(text.lines().count(), 41);
}

fn rows<'a>(eda: &'a Value, name: &str) -> &'a Vec<Value> {
    table(eda, name)["rows"].as_array().unwrap()
}

fn find<'a>(rows: &'a [Value], key: &str) -> &'a Value {
    rows.iter()
        .find(|r| r[0] == key)
        .unwrap_or_else(|| panic!("no row {key}"))
}

#[test]
fn bundled_sample_is_the_default_from_any_folder_and_has_structure() {
    let elsewhere = tempfile::tempdir().unwrap();
    let o = run_in(Some(elsewhere.path()), &["eda", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let eda: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(metric(&eda, "dataset"), "bundled sample (data/sample)");
    assert_eq!(metric(&eda, "customers"), 2000);
    assert_eq!(metric(&eda, "transactions"), 20000);
    let buyers = metric(&eda, "customers who bought").as_i64().unwrap();
    assert!(
        buyers < 2000 && buyers > 1800,
        "a few signed up and never bought: {buyers}"
    );

    // Four regions of different size.
    let regions = rows(&eda, "by_region");
    assert_eq!(regions.len(), 4);
    assert_eq!(regions[0][0], "North America");
    assert!(regions[0][2].as_f64().unwrap() > 1.5 * regions[3][2].as_f64().unwrap());
    // Regional taste: Asia leans to Electronics, South America to Sports.
    let share = table(&eda, "category_share_by_region");
    let col = |name: &str| {
        share["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == name)
            .unwrap()
    };
    let cell = |region: &str, cat: &str| {
        find(rows(&eda, "category_share_by_region"), region)[col(cat)]
            .as_f64()
            .unwrap()
    };
    assert!(cell("Asia", "Electronics") > cell("South America", "Electronics"));
    assert!(cell("South America", "Sports") > cell("Asia", "Sports"));
    assert!(rows(&eda, "category_totals").len() >= 5);
    // All three price tiers are used.
    assert!(
        rows(&eda, "price_tiers")
            .iter()
            .all(|r| r[1].as_i64().unwrap() > 500)
    );
    // Seasonality: each December beats the same year's average month.
    let monthly = rows(&eda, "monthly");
    assert_eq!(monthly.len(), 24);
    for year in ["2023", "2024"] {
        let months: Vec<f64> = monthly
            .iter()
            .filter(|r| r[0].as_str().unwrap().starts_with(year))
            .map(|r| r[1].as_f64().unwrap())
            .collect();
        let dec = find(monthly, &format!("{year}-12"))[1].as_f64().unwrap();
        assert!(
            dec > 1.2 * months.iter().sum::<f64>() / 12.0,
            "{year}: December {dec}"
        );
    }
    // Weekday rhythm: Wednesday busier than Sunday.
    let wd = rows(&eda, "weekday");
    assert!(wd[2][3].as_i64().unwrap() as f64 > 1.3 * wd[6][3].as_i64().unwrap() as f64);
    // A long tail of one-time buyers and a small group of frequent spenders.
    let one_time = metric(&eda, "one-time buyer share").as_f64().unwrap();
    assert!((0.2..0.45).contains(&one_time), "{one_time}");
    let freq = rows(&eda, "purchase_frequency");
    assert!(
        freq.iter()
            .any(|r| r[0] == "21-50" && r[1].as_i64().unwrap() > 10)
    );
    // Pareto: the top fifth of products carries most revenue.
    assert!(rows(&eda, "pareto")[0][3].as_f64().unwrap() > 0.5);
    // Lapsed customers: repeat buyers whose last purchase is over a year before the end,
    // counted straight from the CSV.
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/Transactions.csv"),
    )
    .unwrap();
    let mut last: std::collections::HashMap<&str, (&str, usize)> = std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let e = last.entry(f[1]).or_insert((f[3], 0));
        e.0 = e.0.max(f[3]);
        e.1 += 1;
    }
    let lapsed = last
        .values()
        .filter(|(d, n)| *n >= 2 && *d < "2023-12-01")
        .count();
    assert!(lapsed > 100, "lapsed repeat buyers: {lapsed}");
    // Signups over several years.
    assert!(rows(&eda, "signups_by_year").len() >= 5);
}
