//! Arbitrary bytes as a transaction log: loading and every EDA table must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ds) = segscope::data::load_bytes("fuzz.csv", data.to_vec(), &segscope::data::LoadOptions::default()) {
        let _ = segscope::analysis::eda::all_tables(&ds);
    }
});
