//! EDA figures on a dataset small enough to check by hand (expected values worked out in the
//! comments), plus the real Zeotap data against pandas.

mod common;

use common::*;
use serde_json::{Value, json};

/// Three customers, three products, five transactions.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "Customers.csv", b"CustomerID,CustomerName,Region,SignupDate\nA,Ann,North,2021-05-01\nB,Bo,South,2022-03-10\nC,Cy,North,2022-11-20\n");
    write(d, "Products.csv", b"ProductID,ProductName,Category,Price\nP1,Pen,Office,5\nP2,Desk,Office,200\nP3,Lamp,Home,300\n");
    write(
        d,
        "Transactions.csv",
        b"TransactionID,CustomerID,ProductID,TransactionDate,Quantity,TotalValue,Price\n\
T1,A,P1,2024-01-01 09:00:00,2,10,5\n\
T2,A,P3,2024-01-03 10:00:00,1,300,300\n\
T3,B,P2,2024-02-07 14:00:00,1,200,200\n\
T4,C,P1,2024-02-09 15:00:00,4,20,5\n\
T5,C,P3,2024-04-06 18:00:00,2,600,300\n",
    );
    dir
}

fn rows<'a>(eda: &'a Value, name: &str) -> &'a Vec<Value> {
    table(eda, name)["rows"].as_array().unwrap()
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

#[test]
fn hand_checked_tables() {
    let dir = fixture();
    let eda = json(&["eda", dir.path().to_str().unwrap(), "--format", "json"]);
    const T: f64 = 1130.0; // 10 + 300 + 200 + 20 + 600
    assert_eq!(metric(&eda, "revenue"), &json!(T));
    assert_eq!(metric(&eda, "orders"), 5);
    assert_eq!(metric(&eda, "one-time buyers"), 1, "only B bought once");
    assert_eq!(metric(&eda, "first date"), "2024-01-01 09:00:00");
    assert_eq!(metric(&eda, "average order value"), &json!(226.0));

    assert_eq!(
        rows(&eda, "by_region"),
        &vec![
            json!(["North", 930.0, 930.0 / T, 4, 2, 4]),
            json!(["South", 200.0, 200.0 / T, 1, 1, 1])
        ]
    );
    assert_eq!(
        rows(&eda, "category_totals"),
        &vec![
            json!(["Home", 3.0, 900.0, 900.0 / T, 2]),
            json!(["Office", 7.0, 230.0, 230.0 / T, 3])
        ]
    );
    let share = table(&eda, "category_share_by_region");
    assert_eq!(
        share["columns"],
        json!(["region", "Home", "Office", "region_revenue"])
    );
    assert_eq!(
        share["rows"],
        json!([
            ["North", 900.0 / 930.0, 30.0 / 930.0, 930.0],
            ["South", 0.0, 1.0, 200.0]
        ])
    );

    assert_eq!(
        rows(&eda, "top_products_by_revenue"),
        &vec![
            json!([1, "Lamp", 1, "Home", 900.0, 3.0, 2]),
            json!([2, "Desk", 1, "Office", 200.0, 1.0, 1]),
            json!([3, "Pen", 1, "Office", 30.0, 6.0, 2])
        ]
    );
    let by_qty: Vec<&str> = rows(&eda, "top_products_by_quantity")
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert_eq!(by_qty, ["Pen", "Lamp", "Desk"]);

    // Sorted 900, 200, 30: 80% of 1130 is 904, reached by the second product.
    assert_eq!(rows(&eda, "pareto")[0], json!([3, 2, 2.0 / 3.0, 900.0 / T]));
    assert_eq!(
        rows(&eda, "pareto_curve").last().unwrap(),
        &json!([1.0, 3, 1.0])
    );

    assert_eq!(
        rows(&eda, "monthly"),
        &vec![
            json!(["2024-01", 310.0, 2, 1, 2]),
            json!(["2024-02", 220.0, 2, 2, 2]),
            json!(["2024-03", 0.0, 0, 0, 0]),
            json!(["2024-04", 600.0, 1, 1, 1])
        ]
    );
    let weekday: Vec<(String, f64)> = rows(&eda, "weekday")
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_f64().unwrap()))
        .collect();
    assert_eq!(weekday[0], ("Monday".into(), 10.0));
    assert_eq!(weekday[2], ("Wednesday".into(), 500.0));
    assert_eq!(weekday[4], ("Friday".into(), 20.0));
    assert_eq!(weekday[5], ("Saturday".into(), 600.0));
    assert_eq!(weekday[6], ("Sunday".into(), 0.0));
    let hours = rows(&eda, "hour_of_day");
    assert_eq!(hours.len(), 24);
    assert_eq!(hours[18], json!([18, 600.0, 600.0 / T, 1, 1]));
    assert_eq!(hours[0], json!([0, 0.0, 0.0, 0, 0]));

    // Unit prices 5, 5, 200, 300, 300: terciles (linear) at 5 + 1/3 * 195 = 70 and
    // 200 + 2/3 * 100 = 266.67.
    assert_eq!(
        rows(&eda, "price_tiers"),
        &vec![
            json!(["<70.00", 2, 0.4, 30.0, 30.0 / T]),
            json!(["70.00-266.67", 1, 0.2, 200.0, 200.0 / T]),
            json!([">266.67", 2, 0.4, 900.0, 900.0 / T])
        ]
    );
    let fixed = json(&[
        "eda",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--price-tiers",
        "250,300",
    ]);
    assert_eq!(
        rows(&fixed, "price_tiers"),
        &vec![
            json!(["<250.00", 3, 0.6, 230.0, 230.0 / T]),
            json!(["250.00-300.00", 2, 0.4, 900.0, 900.0 / T]),
            json!([">300.00", 0, 0.0, 0.0, 0.0])
        ]
    );
    assert_eq!(
        rows(&eda, "signups_by_year"),
        &vec![json!([2021, 1]), json!([2022, 2])]
    );
    let months = rows(&eda, "signups_by_month");
    assert_eq!(months.len(), 19, "2021-05 to 2022-11, gaps included");
    assert_eq!(
        months.iter().map(|r| r[1].as_i64().unwrap()).sum::<i64>(),
        3
    );
    assert_eq!(
        rows(&eda, "purchase_frequency"),
        &vec![json!(["1", 1, 1.0 / 3.0]), json!(["2", 2, 2.0 / 3.0])]
    );
    assert_eq!(
        rows(&eda, "category_pairs"),
        &vec![json!(["Home", "Office", 2, 2.0 / 3.0])]
    );

    let price = [5.0, 300.0, 200.0, 5.0, 300.0];
    let qty = [2.0, 1.0, 1.0, 4.0, 2.0];
    let amount = [10.0, 300.0, 200.0, 20.0, 600.0];
    let corr = rows(&eda, "correlation");
    assert!(approx(
        corr[0][2].as_f64().unwrap(),
        pearson(&price, &qty),
        1e-12
    ));
    assert!(approx(
        corr[0][3].as_f64().unwrap(),
        pearson(&price, &amount),
        1e-12
    ));
    assert!(approx(
        corr[1][3].as_f64().unwrap(),
        pearson(&qty, &amount),
        1e-12
    ));
    assert_eq!(corr[2][3], 1.0);
}

#[test]
fn text_and_csv_formats_carry_the_same_tables() {
    let dir = fixture();
    let d = dir.path().to_str().unwrap();
    let text = stdout(&run(&["eda", d]));
    assert!(
        text.contains("== Revenue, orders and customers by region (by_region) =="),
        "{text}"
    );
    assert!(
        text.contains("North    930.00          82.3%       4          2             4\n"),
        "{text}"
    );
    let csv = stdout(&run(&["eda", d, "--format", "csv"]));
    assert!(
        csv.contains(
            "# by_region\nregion,revenue,revenue_share,orders,customers,transactions\nNorth,930,"
        ),
        "{csv}"
    );
    let one = stdout(&run(&["eda", d, "--format", "csv", "--table", "monthly"]));
    assert_eq!(
        one.lines().next(),
        Some("month,revenue,orders,active_customers,transactions")
    );
    assert_eq!(one.lines().count(), 5);
}

/// Every Zeotap figure equals the pandas computation stored in tests/golden/zeotap_eda.json
/// (made by tests/golden/zeotap_eda.py): money to the cent, everything else to 1e-9.
#[test]
fn zeotap_equals_pandas() {
    let Some(data) = zeotap_or_skip("zeotap_equals_pandas") else {
        return;
    };
    let golden: Value = serde_json::from_str(include_str!("golden/zeotap_eda.json")).unwrap();
    let eda = json(&["eda", data.to_str().unwrap(), "--format", "json"]);
    for expected in golden["tables"].as_array().unwrap() {
        let name = expected["name"].as_str().unwrap();
        let money: Vec<&str> = golden["money"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let got = table(&eda, name);
        let erows = expected["rows"].as_array().unwrap();
        if name == "overview" {
            for row in erows {
                let (key, want) = (row[0].as_str().unwrap(), &row[1]);
                check(name, key, metric(&eda, key), want, money.contains(&key));
            }
            continue;
        }
        assert_eq!(got["columns"], expected["columns"], "{name} columns");
        let grows = got["rows"].as_array().unwrap();
        assert_eq!(grows.len(), erows.len(), "{name} row count");
        let columns: Vec<&str> = expected["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for (g, e) in grows.iter().zip(erows) {
            for (i, c) in columns.iter().enumerate() {
                check(name, c, &g[i], &e[i], money.contains(c));
            }
        }
    }
    // The orientation figures from the issue, read off the same output.
    assert_eq!(rows(&eda, "by_region")[0][0], "South America");
    assert!(rows(&eda, "by_region")[0][1].as_f64().unwrap() > 210_000.0);
    assert_eq!(
        rows(&eda, "top_products_by_revenue")[0][1],
        "ActiveWear Smartwatch"
    );
    assert_eq!(
        rows(&eda, "top_products_by_quantity")[0][1],
        "ActiveWear Smartwatch"
    );
    assert_eq!(rows(&eda, "top_products_by_quantity")[0][5], 100.0);
    assert!(approx(
        rows(&eda, "weekday")[2][2].as_f64().unwrap(),
        0.17,
        0.005
    ));
    assert!(approx(
        rows(&eda, "correlation")[0][3].as_f64().unwrap(),
        0.72,
        0.005
    ));
    assert!(approx(
        rows(&eda, "correlation")[1][3].as_f64().unwrap(),
        0.61,
        0.005
    ));
    // The fixed tiers this check was first written for (pandas: 583 of 1,000 lines > 250).
    let fixed = json(&[
        "eda",
        data.to_str().unwrap(),
        "--format",
        "json",
        "--price-tiers",
        "100,250",
    ]);
    assert!(approx(
        rows(&fixed, "price_tiers")[2][2].as_f64().unwrap(),
        0.583,
        1e-9
    ));
}

fn check(table: &str, column: &str, got: &Value, want: &Value, money: bool) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => {
            let tol = if money {
                0.005 + 1e-9
            } else {
                1e-9 * w.abs().max(1.0)
            };
            assert!(
                approx(g, w, tol),
                "{table}.{column}: segscope {g} vs pandas {w}"
            );
        }
        _ => assert_eq!(got, want, "{table}.{column}"),
    }
}
