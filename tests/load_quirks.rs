//! Loading real-world logs: every layout, every quirk counted, on fixtures written here.

mod common;

use common::*;
use std::io::Write;

/// An Online Retail log carrying every quirk; expected counts are worked out row by row below.
const UCI: &[u8] =
    b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n\
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom\n\
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom\n\
536366,22633,HAND WARMER,6,12/1/2010 8:28,1.85,13047.0,United Kingdom\n\
C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527.0,United Kingdom\n\
536380,22633,HAND WARMER,-2,12/1/2010 9:45,1.85,13047.0,United Kingdom\n\
536381,22139,RETROSPOT TEA SET,3,12/2/2010 10:03,4.95,,United Kingdom\n\
536382,22139,RETROSPOT TEA SET,2,12/2/2010 10:05,4.95,,France\n\
536383,23166,CAF\xc9 MUG,4,12/3/2010 11:00,0.00,12583.0,France\n\
A563185,B,Adjust bad debt,1,1/5/2011 14:50,-11062.06,,United Kingdom\n\
536384,22752,SET 7 BABUSHKA,2,1/10/2011 16:00,7.65,12583.0,France\n\
536385,22752,CAF\xc9 SET,1,2011-01-11 09:30:00,7.65,12583,France\n\
536386,85123A,WHITE HANGING HEART,1,1/12/2011 12:00,2.55,17850,United Kingdom\n\
536387,22752,SET 7 BABUSHKA,1,2011-01-13,7.65,13047.0,United Kingdom\n\
536388,22752,SET 7 BABUSHKA,1,,7.65,13047.0,United Kingdom\n\
536389,22752,SET 7 BABUSHKA,1,13/45/2011 99:99,7.65,13047.0,United Kingdom\n\
536390,22752,SET 7 BABUSHKA,two,1/13/2011 10:00,7.65,13047.0,United Kingdom\n\
536391,22752,SET 7 BABUSHKA,0,1/13/2011 10:00,7.65,13047.0,United Kingdom\n";

// Rows: 18 read; 1 exact duplicate; 2 returns (C536379, and 536380 with quantity -2);
// 2 non-positive prices (536383 at 0.00, A563185 at -11062.06); 1 missing date (536388),
// 1 unparseable date (536389), 1 non-numeric quantity (536390), 1 zero quantity (536391).
// Purchases left: 536365 x2, 536366, 536381, 536382, 536384, 536385, 536386, 536387 = 9, of
// which 2 have no customer id. Dates mix M/D/YYYY H:MM, ISO with time and ISO without.
// Float ids after de-duplication: 17850.0 x2, 13047.0 x7, 14527.0, 12583.0 x2 = 12.

#[test]
fn online_retail_log_with_every_quirk_opens_without_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "online_retail.csv", UCI);
    let eda = json(&["eda", path.to_str().unwrap(), "--format", "json"]);
    let m = |k: &str| {
        metric(&eda, k)
            .as_i64()
            .unwrap_or_else(|| panic!("{k} is a count"))
    };
    assert_eq!(m("load: rows read"), 18);
    assert_eq!(m("load: exact duplicate rows (dropped)"), 1);
    assert_eq!(m("load: cancellations/returns (kept apart)"), 2);
    assert_eq!(m("load: zero or negative unit price (dropped)"), 2);
    assert_eq!(
        m("load: lines without customer id (kept, not in customer tables)"),
        2
    );
    assert_eq!(m("load: ids written as floats (read as integers)"), 12);
    assert_eq!(m("load: purchase lines used"), 9);
    assert_eq!(m("load: missing date (dropped)"), 1);
    assert_eq!(m("load: unparseable date (dropped)"), 1);
    assert_eq!(
        m("load: missing or non-numeric quantity/price/amount (dropped)"),
        1
    );
    assert_eq!(m("load: zero quantity (dropped)"), 1);
    assert_eq!(m("transactions"), 9);
    assert_eq!(m("returned lines"), 2);
    // "17850.0" and "17850" are one customer: 17850, 13047, 12583.
    assert_eq!(m("customers who bought"), 3);
    assert!(approx(
        metric(&eda, "revenue").as_f64().unwrap(),
        15.30 + 20.34 + 11.10 + 14.85 + 9.90 + 15.30 + 7.65 + 2.55 + 7.65,
        1e-9
    ));
    assert_eq!(
        metric(&eda, "load: read as Latin-1 (not UTF-8)")
            .as_str()
            .unwrap(),
        path.to_str().unwrap()
    );

    // Lines without a customer stay in time tables but not in customer counts.
    let monthly = &table(&eda, "monthly")["rows"];
    assert_eq!(monthly[0][0], "2010-12");
    assert!(approx(
        monthly[0][1].as_f64().unwrap(),
        15.30 + 20.34 + 11.10 + 14.85 + 9.90,
        1e-9
    ));
    assert_eq!(monthly[0][3], 2, "active customers in Dec: 17850 and 13047");
    assert_eq!(monthly[1][0], "2011-01");
    assert_eq!(
        monthly[1][3], 3,
        "active customers in Jan: 12583, 17850 and 13047"
    );
    assert!(approx(
        monthly[1][1].as_f64().unwrap(),
        15.30 + 7.65 + 2.55 + 7.65,
        1e-9
    ));

    // Purchase frequency: 17850 -> 2 orders (536365, 536386), 13047 -> 2 (536366, 536387),
    // 12583 -> 2 (536384, 536385).
    let freq = &table(&eda, "purchase_frequency")["rows"];
    assert_eq!(freq[0], serde_json::json!(["1", 0, 0.0]));
    assert_eq!(freq[1], serde_json::json!(["2", 3, 1.0]));

    // Latin-1 text is decoded, not mangled: the product name keeps its accent.
    let top = &table(&eda, "top_products_by_revenue")["rows"];
    assert!(
        top.as_array()
            .unwrap()
            .iter()
            .any(|r| r[1] == "CAF\u{c9} SET"),
        "{top}"
    );
    // Region comes from Country; hours exist in the log.
    assert_eq!(table(&eda, "by_region")["rows"][0][0], "United Kingdom");
    assert!(
        eda["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "hour_of_day")
    );
    // No category in this layout: those tables are skipped with a reason, not zero-filled.
    let skipped = eda["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|s| s["table"] == "category_totals"
            && s["reason"].as_str().unwrap().contains("category"))
    );
}

#[test]
fn online_retail_ii_spelling_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let csv = b"Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n\
489434,85048,LED BALL,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n\
489434,79323P,PINK LIGHTS,12,2009-12-01 07:45:00,6.75,13085.0,United Kingdom\n\
489435,22350,CAT BOWL,12,2009-12-01 07:46:00,2.55,13085.0,United Kingdom\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv).unwrap();
    let path = write(dir.path(), "retail_ii.csv.gz", &gz.finish().unwrap());
    let eda = json(&["eda", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(metric(&eda, "orders"), 2);
    assert_eq!(metric(&eda, "customers who bought"), 1);
    assert!(approx(
        metric(&eda, "revenue").as_f64().unwrap(),
        12.0 * (6.95 + 6.75 + 2.55),
        1e-9
    ));
    let notes: Vec<String> = table(&eda, "overview")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[0] == "load: note")
        .map(|r| r[1].as_str().unwrap().to_string())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("quantity x unit price")),
        "{notes:?}"
    );
}

#[test]
fn snake_case_log_with_amount_and_category() {
    let dir = tempfile::tempdir().unwrap();
    let csv =
        b"order_id,customer_id,order_date,quantity,unit_price,amount,product_id,category,region\n\
o1,c1,2024-03-01,2,10.0,20.0,p1,Toys,North\n\
o2,c2,2024-03-02,1,300.0,300.0,p2,Tech,South\n\
o3,c1,2024-04-05,1,150.0,150.0,p3,Tech,North\n";
    let path = write(dir.path(), "orders.csv", csv);
    let eda = json(&["eda", path.to_str().unwrap(), "--format", "json"]);
    assert!(approx(
        metric(&eda, "revenue").as_f64().unwrap(),
        470.0,
        1e-9
    ));
    let cats = &table(&eda, "category_totals")["rows"];
    assert_eq!(cats[0][0], "Tech");
    assert!(approx(cats[0][2].as_f64().unwrap(), 450.0, 1e-9));
    let tiers = &table(&eda, "price_tiers")["rows"];
    assert_eq!(tiers[0][1], 1, "<100: p1");
    assert_eq!(tiers[1][1], 1, "100-250: p3");
    assert_eq!(tiers[2][1], 1, ">250: p2");
    // Dates without time: no hour-of-day table, and the skip says why.
    assert!(
        eda["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["table"] == "hour_of_day")
    );
    let pairs = &table(&eda, "category_pairs")["rows"];
    assert_eq!(
        pairs[0],
        serde_json::json!(["Tech", "Toys", 1, 0.5]),
        "c1 bought both"
    );
}

#[test]
fn parquet_log_opens() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.parquet");
    let mut df = df!(
        "CustomerID" => [17850.0, 17850.0, 13047.0],
        "InvoiceNo" => ["1", "2", "3"],
        "InvoiceDate" => ["2011-01-01 10:00:00", "2011-01-02 11:00:00", "2011-02-01 09:00:00"],
        "Quantity" => [1i64, 2, 3],
        "UnitPrice" => [10.0, 20.0, 30.0],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let eda = json(&["eda", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(metric(&eda, "customers who bought"), 2);
    assert!(approx(
        metric(&eda, "revenue").as_f64().unwrap(),
        10.0 + 40.0 + 90.0,
        1e-9
    ));
    assert_eq!(
        metric(&eda, "load: ids written as floats (read as integers)"),
        3
    );
}

#[test]
fn map_overrides_any_role() {
    let dir = tempfile::tempdir().unwrap();
    let csv = b"buyer,when,paid\nb1,2024-01-01,5\nb2,2024-01-02,7\nb1,2024-02-01,1\n";
    let path = write(dir.path(), "odd.csv", csv);
    let p = path.to_str().unwrap();
    let o = run(&["eda", p]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("odd.csv")
            && err.contains("customer_id")
            && err.contains("buyer, when, paid")
            && err.contains("--map"),
        "{err}"
    );
    let eda = json(&[
        "eda",
        p,
        "--format",
        "json",
        "--map",
        "customer=buyer",
        "--map",
        "date=when",
        "--map",
        "amount=paid",
    ]);
    assert_eq!(metric(&eda, "customers who bought"), 2);
    assert!(approx(
        metric(&eda, "revenue").as_f64().unwrap(),
        13.0,
        1e-9
    ));
    let o = run(&["eda", p, "--map", "customer=nobody"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no column named \"nobody\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn folder_with_bom_crlf_lowercase_names_and_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "customers.csv", b"\xef\xbb\xbfCustomerID,CustomerName,Region,SignupDate\r\nC1,Ann,Asia,2022-01-05\r\nC2,Bob,Europe,2023-06-30\r\nC2,Bob again,Europe,2023-07-01\r\nC3,Cy,Asia,not a date\r\n");
    write(d, "PRODUCTS.CSV", b"\xef\xbb\xbfProductID,ProductName,Category,Price\r\nP1,Lamp,Home,50\r\nP2,Phone,Tech,400\r\n");
    write(d, "Transactions.csv", b"\xef\xbb\xbfTransactionID,CustomerID,ProductID,TransactionDate,Quantity,TotalValue,Price\r\n\
T1,C1,P1,2024-01-03 10:00:00,2,100,50\r\n\
T2,C2,P2,2024-01-04 11:00:00,1,400,400\r\n\
T3,C9,P1,2024-02-05 12:00:00,1,50,50\r\n\
T4,C1,P7,2024-02-06 13:00:00,1,20,20\r\n");
    let eda = json(&["eda", d.to_str().unwrap(), "--format", "json"]);
    assert_eq!(metric(&eda, "customers"), 3, "C2 repeated: first kept");
    assert_eq!(
        metric(
            &eda,
            "load: repeated ids in customer/product file (first kept)"
        ),
        1
    );
    assert_eq!(
        metric(&eda, "load: unknown product id (kept, no category)"),
        1
    );
    assert_eq!(
        metric(&eda, "load: unknown customer id (kept, no region)"),
        1
    );
    assert_eq!(
        metric(
            &eda,
            "load: missing or unparseable signup date (left empty)"
        ),
        1
    );
    assert_eq!(
        metric(&eda, "customers who bought"),
        3,
        "C1, C2 and the unknown C9"
    );
    let regions = &table(&eda, "by_region")["rows"];
    assert_eq!(regions[0][0], "Europe");
    assert!(
        regions
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r[0] == "(unknown)" && r[1] == 50.0)
    );
    assert_eq!(
        table(&eda, "signups_by_year")["rows"],
        serde_json::json!([[2022, 1], [2023, 1]])
    );
}

/// One folder's three files, written with `pad` around every value.
fn padded_folder(dir: &std::path::Path, pad: &str) {
    let p = |cells: &[&str]| -> String {
        cells
            .iter()
            .map(|c| format!("{pad}{c}{pad}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let file = |rows: &[&[&str]]| -> Vec<u8> {
        let mut out = String::new();
        for (i, r) in rows.iter().enumerate() {
            // The header stays as written: padding is about values.
            out += &if i == 0 { r.join(",") } else { p(r) };
            out += "\n";
        }
        out.into_bytes()
    };
    write(
        dir,
        "Customers.csv",
        &file(&[
            &["CustomerID", "CustomerName", "Region", "SignupDate"],
            &["C1", "Ann Lee", "Europe", "2023-01-05"],
            &["C2", "Bo Chan", "Asia", "2023-02-11"],
            &["C3", "Cy Diaz", "Europe", "2023-03-20"],
        ]),
    );
    write(
        dir,
        "Products.csv",
        &file(&[
            &["ProductID", "ProductName", "Category", "Price"],
            &["P1", "Desk Lamp", "Home Decor", "20.00"],
            &["P2", "Novel", "Books", "12.50"],
        ]),
    );
    write(
        dir,
        "Transactions.csv",
        &file(&[
            &[
                "TransactionID",
                "CustomerID",
                "ProductID",
                "TransactionDate",
                "Quantity",
                "TotalValue",
                "Price",
            ],
            &[
                "T1",
                "C1",
                "P1",
                "2024-01-02 10:00:00",
                "2",
                "40.00",
                "20.00",
            ],
            &[
                "T2",
                "C2",
                "P2",
                "2024-01-03 11:30:00",
                "1",
                "12.50",
                "12.50",
            ],
            &[
                "T3",
                "C1",
                "P2",
                "2024-02-04 09:15:00",
                "3",
                "37.50",
                "12.50",
            ],
            &[
                "T4",
                "C3",
                "P1",
                "2024-02-05 16:45:00",
                "1",
                "20.00",
                "20.00",
            ],
            &[
                "T5",
                "C2",
                "P1",
                "2024-03-06 08:05:00",
                "1",
                "20.00",
                "20.00",
            ],
        ]),
    );
}

#[test]
fn padded_values_read_as_unpadded_ones() {
    let (clean, spaced, tabbed) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    padded_folder(clean.path(), "");
    padded_folder(spaced.path(), " ");
    padded_folder(tabbed.path(), "\t");
    let eda =
        |dir: &tempfile::TempDir| json(&["eda", dir.path().to_str().unwrap(), "--format", "json"]);
    let want = eda(&clean);
    assert!(approx(
        metric(&want, "revenue").as_f64().unwrap(),
        130.0,
        1e-9
    ));
    assert_eq!(table(&want, "by_region")["rows"][0][0], "Europe");
    for got in [eda(&spaced), eda(&tabbed)] {
        for name in [
            "overview",
            "by_region",
            "category_totals",
            "monthly",
            "signups_by_year",
        ] {
            let (a, b) = (&table(&want, name)["rows"], &table(&got, name)["rows"]);
            if name == "overview" {
                // The dataset's path differs; every figure must not.
                assert_eq!(a.as_array().unwrap()[1..], b.as_array().unwrap()[1..]);
            } else {
                assert_eq!(a, b, "{name}");
            }
        }
    }
}
