//! Files as analysts receive them (issue: real-world files, read right or refused loudly).
//! Every fixture in tests/fixtures/real_files was written by tests/golden/real_files/
//! make_golden.py, which also computed its expected figures with pandas read with explicit
//! parameters (no guessing) into expected.json; these tests compare segscope's EDA overview
//! with them, and check that what cannot be read right is refused with the fix named.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{approx, cdnow_or_skip, json, metric, refused, run, stderr, table};
use serde_json::Value;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real_files")
        .join(name)
        .display()
        .to_string()
}

fn expected() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/real_files/expected.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| v.as_f64().expect("a number") as i64)
}

/// The EDA overview of `eda` against one fixture's expected figures.
fn check_figures(what: &str, eda: &Value, want: &Value) {
    assert_eq!(
        int(metric(eda, "load: rows read")),
        int(&want["rows"]),
        "{what}: rows"
    );
    assert_eq!(
        int(metric(eda, "transactions")),
        int(&want["purchase_lines"]),
        "{what}: purchase lines"
    );
    assert_eq!(
        int(metric(eda, "returned lines")),
        int(&want["returns"]),
        "{what}: returns"
    );
    assert_eq!(
        int(metric(eda, "customers who bought")),
        int(&want["customers_who_bought"]),
        "{what}: customers"
    );
    assert_eq!(
        int(metric(eda, "orders")),
        int(&want["orders"]),
        "{what}: orders"
    );
    let revenue = metric(eda, "revenue").as_f64().unwrap();
    let want_revenue = want["revenue"].as_f64().unwrap();
    assert!(
        approx(revenue, want_revenue, 0.005),
        "{what}: revenue {revenue} vs {want_revenue}"
    );
    for (m, k) in [("first date", "first_date"), ("last date", "last_date")] {
        let got = metric(eda, m).as_str().unwrap();
        let want = want[k].as_str().unwrap();
        assert!(got.starts_with(want), "{what}: {m} {got} vs {want}");
    }
}

fn eda(args: &[&str]) -> Value {
    let mut all = vec!["eda"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    json(&all)
}

#[test]
fn every_readable_fixture_gives_the_figures_pandas_gives() {
    let expected = expected();
    let plain = [
        "superstore_ddmmyy.csv",
        "european_semicolon.csv",
        "thousands_currency.csv",
        "space_thousands.csv",
        "cdnow_like.csv",
        "whitespace.txt",
        "month_short.csv",
        "month_us.csv",
        "month_long.csv",
        "iso_offsets.csv",
        "epoch_seconds.csv",
        "epoch_ms.csv",
        "two_digit_years.csv",
        "bad_dates_some.csv",
        "online_retail.xlsx",
        "parts",
        "csv_parts",
    ];
    for name in plain {
        let got = eda(&[&fixture(name)]);
        check_figures(name, &got, &expected[name]);
    }
    let serials = eda(&[&fixture("online_retail.xlsx"), "--sheet", "Serials"]);
    check_figures(
        "online_retail.xlsx#Serials",
        &serials,
        &expected["online_retail.xlsx#Serials"],
    );
    let other = eda(&[&fixture("online_retail.xlsx"), "--sheet", "Other"]);
    check_figures(
        "online_retail.xlsx#Other",
        &other,
        &expected["online_retail.xlsx#Other"],
    );
    let cols = expected["headerless.csv"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(",");
    let headerless = eda(&[&fixture("headerless.csv"), "--columns", &cols]);
    check_figures("headerless.csv", &headerless, &expected["headerless.csv"]);
    let partial = eda(&[&fixture("bad_dates_most.csv"), "--allow-partial"]);
    let want = &expected["bad_dates_most.csv"]["with_allow_partial"];
    check_figures("bad_dates_most.csv --allow-partial", &partial, want);
    assert_eq!(
        int(metric(&partial, "load: unparseable date (dropped)")),
        int(&want["dropped_bad_date"])
    );
}

#[test]
fn hive_partitions_become_a_column() {
    let got = eda(&[&fixture("parts")]);
    let by_country = &expected()["parts"]["by_country"];
    let rows = table(&got, "by_region")["rows"].as_array().unwrap().clone();
    for (country, revenue) in by_country.as_object().unwrap() {
        let row = rows
            .iter()
            .find(|r| r[0] == country.as_str())
            .expect(country);
        assert!(
            approx(row[1].as_f64().unwrap(), revenue.as_f64().unwrap(), 0.005),
            "{row:?}"
        );
    }
}

#[test]
fn ambiguous_dates_are_refused_with_both_readings_and_the_flag() {
    let e = refused(
        &["eda", &fixture("superstore_ambiguous.csv")],
        &[
            "day-first",
            "month-first",
            "--date-format %d/%m/%y",
            "--date-format %m/%d/%y",
        ],
    );
    assert!(e.contains("Order Date"), "{e}");
    // Told the format, it reads.
    let ok = run(&[
        "eda",
        &fixture("superstore_ambiguous.csv"),
        "--date-format",
        "%d/%m/%y",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn a_header_less_file_is_refused_naming_columns_flag() {
    refused(
        &["eda", &fixture("headerless.csv")],
        &["headerless.csv", "--columns", "4 columns"],
    );
    refused(
        &["eda", &fixture("headerless.csv"), "--columns", "a,b"],
        &["--columns", "2 names", "4 columns"],
    );
}

#[test]
fn a_load_that_keeps_under_half_its_rows_is_refused_and_big_losses_are_said() {
    refused(
        &["eda", &fixture("bad_dates_most.csv")],
        &[
            "bad_dates_most.csv",
            "--allow-partial",
            "unparseable date",
            "--date-format",
        ],
    );
    let o = run(&["eda", &fixture("bad_dates_some.csv"), "--format", "json"]);
    assert!(o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("warning")
            && err.contains("5 of the rows")
            && err.contains("unparseable date"),
        "{err}"
    );
    assert!(
        err.contains("first: date"),
        "the first offending value is named: {err}"
    );
    assert!(err.contains("--date-format"), "the fix is named: {err}");
}

#[test]
fn conversions_are_named_in_the_load_report() {
    let got = eda(&[&fixture("european_semicolon.csv")]);
    let rows = table(&got, "overview")["rows"].as_array().unwrap().clone();
    let conversions: Vec<String> = rows
        .iter()
        .filter(|r| r[0] == "load: conversion")
        .map(|r| r[1].as_str().unwrap().to_string())
        .collect();
    assert!(
        conversions
            .iter()
            .any(|c| c.contains("UnitPrice") && c.contains("decimal comma")),
        "{conversions:?}"
    );
    assert!(
        conversions
            .iter()
            .any(|c| c.contains("InvoiceDate") && c.contains("%d.%m.%Y")),
        "{conversions:?}"
    );
    let money = eda(&[&fixture("thousands_currency.csv")]);
    let rows = table(&money, "overview")["rows"]
        .as_array()
        .unwrap()
        .clone();
    assert!(rows.iter().any(|r| r[0] == "load: conversion"
        && r[1].as_str().unwrap().contains("currency")
        && r[1].as_str().unwrap().contains("(x) read as -x")));
}

#[test]
fn identical_lines_without_an_order_id_are_purchases() {
    let got = eda(&[&fixture("cdnow_like.csv")]);
    assert_eq!(int(metric(&got, "load: exact duplicate rows (dropped)")), 0);
    assert_eq!(
        int(metric(
            &got,
            "load: identical lines without an order id (kept as purchases)"
        )),
        3
    );
    // With an order id, a repeated line is an export error and is dropped.
    let eu = eda(&[&fixture("european_semicolon.csv")]);
    assert_eq!(int(metric(&eu, "load: exact duplicate rows (dropped)")), 2);
}

#[test]
fn standard_input_reads_like_the_file() {
    let mut child = Command::new(common::bin())
        .args(["eda", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(fixture("cdnow_like.csv")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_figures("stdin", &got, &expected()["cdnow_like.csv"]);
}

#[test]
fn inspect_shows_layout_roles_types_and_formats() {
    let got = json(&[
        "inspect",
        &fixture("superstore_ddmmyy.csv"),
        "--format",
        "json",
    ]);
    let file = &got["files"][0];
    assert_eq!(file["delimiter"], ",");
    let col = |name: &str| {
        file["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(col("Order Date")["role"], "date");
    assert_eq!(col("Order Date")["runner_up"], "Ship Date");
    assert_eq!(col("Order Date")["format"], "%d/%m/%y");
    assert_eq!(col("Sales")["role"], "amount");
    assert_eq!(col("Sales")["samples"].as_array().unwrap().len(), 5);
    let eu = json(&[
        "inspect",
        &fixture("european_semicolon.csv"),
        "--format",
        "json",
    ]);
    let f = &eu["files"][0];
    assert_eq!(f["delimiter"], ";");
    assert_eq!(f["decimal_mark"], ",");
    assert_eq!(file["decimal_mark"], ".");
    let price = f["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "UnitPrice")
        .unwrap();
    assert!(
        price["format"].as_str().unwrap().contains("decimal comma"),
        "{price}"
    );
    let ws = json(&["inspect", &fixture("whitespace.txt"), "--format", "json"]);
    assert_eq!(ws["files"][0]["delimiter"], "whitespace");
    let amb = json(&[
        "inspect",
        &fixture("superstore_ambiguous.csv"),
        "--format",
        "json",
    ]);
    let problems = amb["files"][0]["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap().contains("--date-format")),
        "inspect shows the refusal a load would give: {problems:?}"
    );
    let text = run(&["inspect", &fixture("online_retail.xlsx")]);
    assert!(text.status.success(), "{}", stderr(&text));
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(
        out.contains("spreadsheet") && out.contains("InvoiceDate"),
        "{out}"
    );
}

fn cdnow_master() -> Option<PathBuf> {
    cdnow_or_skip("real_files")
}

#[test]
fn the_real_cdnow_master_file_opens_with_no_flags() {
    let Some(p) = cdnow_master() else { return };
    let o = run(&["eda", p.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "no loss above 1%: {}", stderr(&o));
    let got: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(int(metric(&got, "customers")), 23_570);
    assert_eq!(int(metric(&got, "load: rows read")), 69_659);
    assert!(approx(
        metric(&got, "revenue").as_f64().unwrap(),
        2_500_315.63,
        0.005
    ));
    // 255 identical lines are purchases; the 80 lines at $0.00 are the only ones dropped.
    assert_eq!(
        int(metric(
            &got,
            "load: identical lines without an order id (kept as purchases)"
        )),
        255
    );
    assert_eq!(int(metric(&got, "transactions")), 69_659 - 80);
    assert_eq!(metric(&got, "first date").as_str().unwrap(), "1997-01-01");
    assert_eq!(metric(&got, "last date").as_str().unwrap(), "1998-06-30");
}

/// A UCI-shaped log: a huge order cancelled in full, and fee lines (postage, manual) among
/// the products.
const CANCELLED: &str =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom
536366,22633,HAND WARMER,6,12/1/2010 8:28,1.85,13047,United Kingdom
536367,84879,ASSORTED BIRD ORNAMENT,32,12/1/2010 8:34,1.69,13047,United Kingdom
536368,22960,JAM MAKING SET,6,12/1/2010 8:34,4.25,13047,United Kingdom
536369,21756,BATH BUILDING BLOCK,3,12/1/2010 8:35,5.95,13047,United Kingdom
536370,POST,POSTAGE,3,12/1/2010 8:45,18.00,12583,France
536371,22086,PAPER CHAIN KIT,80,12/1/2010 9:00,2.55,13748,United Kingdom
536372,M,Manual,1,12/2/2010 9:01,500.00,13748,United Kingdom
581483,23843,PAPER CRAFT LITTLE BIRDIE,80995,12/9/2011 9:15,2.08,16446,United Kingdom
C581484,23843,PAPER CRAFT LITTLE BIRDIE,-80995,12/9/2011 9:27,2.08,16446,United Kingdom
536373,85123A,WHITE HANGING HEART,12,12/13/2010 9:02,2.55,17850,United Kingdom
";

#[test]
fn a_cancelled_order_does_not_rank_and_fee_codes_are_not_products() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "retail.csv", CANCELLED.as_bytes());
    let got = eda(&[path.to_str().unwrap()]);
    let top = table(&got, "top_products_by_revenue")["rows"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = top.iter().map(|r| r[1].as_str().unwrap()).collect();
    // Net of its cancellation the 80,995-unit order is worth 0: last, not first.
    assert_eq!(names[0], "PAPER CHAIN KIT", "{names:?}");
    assert_eq!(
        *names.last().unwrap(),
        "PAPER CRAFT LITTLE BIRDIE",
        "{names:?}"
    );
    let birdie = top
        .iter()
        .find(|r| r[1] == "PAPER CRAFT LITTLE BIRDIE")
        .unwrap();
    let columns = table(&got, "top_products_by_revenue")["columns"].clone();
    let at = |c: &str| {
        columns
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x == c)
            .unwrap()
    };
    assert!(
        approx(birdie[at("revenue")].as_f64().unwrap(), 0.0, 1e-6),
        "{birdie:?}"
    );
    assert!(approx(
        birdie[at("returned_value")].as_f64().unwrap(),
        168_469.6,
        0.01
    ));
    // POSTAGE and Manual are fees: listed in the load report, in no product table.
    assert!(
        !names.contains(&"POSTAGE") && !names.contains(&"Manual"),
        "{names:?}"
    );
    let rows = table(&got, "overview")["rows"].as_array().unwrap().clone();
    let fees: Vec<&str> = rows
        .iter()
        .filter(|r| r[0] == "load: fee/adjustment code")
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert_eq!(fees, ["M (1 lines, 500.00)", "POST (1 lines, 54.00)"]);
    let pareto = table(&got, "pareto")["rows"][0].clone();
    assert_eq!(
        pareto[0], 7,
        "seven products, the fees left out: {pareto:?}"
    );
    // Named by hand: a code with the usual shape can be a fee too.
    let named = eda(&[path.to_str().unwrap(), "--not-products", "22086"]);
    let top: Vec<String> = table(&named, "top_products_by_revenue")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap().to_string())
        .collect();
    assert!(!top.contains(&"PAPER CHAIN KIT".to_string()), "{top:?}");
}

#[test]
fn a_format_that_misreads_the_year_is_refused_never_data() {
    // "06/02/19" read with a four-digit year is the year 19.
    let e = refused(
        &[
            "eda",
            &fixture("superstore_ddmmyy.csv"),
            "--date-format",
            "%d/%m/%Y",
        ],
        &[
            "Order Date",
            "\"06/02/19\"",
            "%d/%m/%Y",
            "the year 19",
            "--date-format",
        ],
    );
    assert!(e.contains("1900"), "{e}");
}

#[test]
fn a_column_mixing_decimal_points_and_commas_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(
        dir.path(),
        "mixed.csv",
        b"customer_id,date,amount\nc1,2024-01-01,\"1,5\"\nc2,2024-01-02,2.5\nc3,2024-01-03,3\n",
    );
    refused(
        &["eda", path.to_str().unwrap()],
        &[
            "mixed.csv",
            "\"amount\"",
            "\"2.5\"",
            "\"1,5\"",
            "one decimal mark",
        ],
    );
}

#[test]
fn inspect_tells_a_customer_table_and_names_a_header_less_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(
        dir.path(),
        "summary.csv",
        b"ID,frequency,recency,T\n1,2,30.43,38.86\n2,1,1.71,38.86\n3,0,0,38.86\n",
    );
    let got = json(&["inspect", path.to_str().unwrap(), "--format", "json"]);
    let f = &got["files"][0];
    assert!(
        f["format"].as_str().unwrap().contains("customer table"),
        "{f}"
    );
    assert_eq!(f["columns"][0]["role"], "customer_id");
    assert!(f["problems"].as_array().unwrap().is_empty(), "{f}");
    refused(
        &["inspect", &fixture("headerless.csv")],
        &[
            "--columns",
            "perhaps --columns customer_id,date,quantity,amount",
        ],
    );
}

#[test]
fn superstore_names_and_a_customer_name_as_the_id() {
    let dir = tempfile::tempdir().unwrap();
    // Superstore's current export: "Country/Region", Sales as the amount, no unit price.
    let path = common::write(
        dir.path(),
        "store.csv",
        b"Row ID,Order ID,Order Date,Ship Date,Customer Name,Country/Region,Sales,Quantity,Profit\n\
1,CA-1,2019-01-03,2019-01-05,Ann Lee,United States,261.96,2,41.91\n\
2,CA-1,2019-01-03,2019-01-05,Ann Lee,United States,731.94,3,219.58\n\
3,CA-2,2019-02-11,2019-02-15,Bo Chan,Canada,14.62,2,6.87\n",
    );
    let o = run(&["eda", path.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(int(metric(&got, "customers who bought")), 2);
    assert!(approx(
        metric(&got, "revenue").as_f64().unwrap(),
        1008.52,
        0.005
    ));
    let rows = table(&got, "overview")["rows"].as_array().unwrap().clone();
    let notes: Vec<&str> = rows
        .iter()
        .filter(|r| r[0] == "load: note")
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("\"Customer Name\" identifies customers")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("date is \"Order Date\", not \"Ship Date\"")),
        "{notes:?}"
    );
    let regions = table(&got, "by_region")["rows"].as_array().unwrap().clone();
    assert_eq!(regions[0][0], "United States");
}

#[test]
fn flags_for_one_log_are_refused_where_they_would_be_ignored() {
    refused(
        &["eda", &fixture("cdnow_like.csv"), "--sheet", "Other"],
        &["--sheet \"Other\"", "not a spreadsheet"],
    );
    let Some(z) = common::zeotap_or_skip("flags_for_one_log") else {
        return;
    };
    refused(
        &["eda", z.to_str().unwrap(), "--columns", "a,b,c"],
        &["--columns", "folder", "one transaction log"],
    );
}
