//! Arbitrary text in a date column: parsing must never panic (errors are fine).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let cells: Vec<String> = text.lines().take(50).map(|l| l.replace(['"', ','], " ")).collect();
    let mut csv = String::from("customer_id,date,amount\n");
    for (i, c) in cells.iter().enumerate() {
        csv.push_str(&format!("c{i},{c},{}\n", i + 1));
    }
    let _ = segscope::data::load_bytes("dates.csv", csv.into_bytes(), &segscope::data::LoadOptions::default());
});
