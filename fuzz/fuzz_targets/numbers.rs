//! Arbitrary text through the number parsers: deciding a column's format from its values and
//! reading each value with it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segscope::data::formats::numbers;

fuzz_target!(|text: &str| {
    let values: Vec<&str> = text.lines().take(64).collect();
    for semicolon in [false, true] {
        if let Ok(f) = numbers::infer(values.iter().copied(), semicolon) {
            for v in &values {
                let _ = numbers::parse(v, f);
            }
        }
    }
});
