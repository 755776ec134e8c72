//! Data never drives the terminal: escape sequences, bells, C1 controls and bidi overrides in
//! names come out replaced (text, CSV) or escaped (JSON) in every headless format.

mod common;

use common::*;

/// Any character the app counts as unsafe, other than the output's own line breaks.
fn has_raw_control(s: &str) -> bool {
    s.chars()
        .any(|c| c != '\n' && segscope::report::is_unsafe(c))
}

#[test]
fn hostile_names_are_harmless_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "hostile.csv",
        "customer_id,date,amount,product_name,region\n\
         c1,2024-01-01,5,\"Red \u{1b}[31mALERT\u{1b}[0m \u{1b}]0;title\u{7}\",\"Nor\u{202e}th\"\n\
         c2,2024-01-02,6,\"Tab\there \u{9b}2J zero\u{200b}width\",South\n"
            .as_bytes(),
    );
    let p = f.to_str().unwrap();
    for format in ["text", "csv", "json"] {
        let o = run(&["eda", p, "--format", format]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("ALERT"),
            "{format}: the rest of the name survives"
        );
        assert!(
            !has_raw_control(&out),
            "{format} output carries a raw control character"
        );
    }
    let eda = json(&["eda", p, "--format", "json"]);
    let names: Vec<&str> = table(&eda, "top_products_by_revenue")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Red \u{1b}[31mALERT\u{1b}[0m \u{1b}]0;title\u{7}"),
        "JSON keeps the exact text, escaped: {names:?}"
    );
}
