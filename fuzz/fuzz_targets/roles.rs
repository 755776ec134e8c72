//! Arbitrary header lines and --map values: role detection must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segscope::data::roles::{RoleMap, parse_override};

fuzz_target!(|text: &str| {
    let (header, map) = text.split_once('\n').unwrap_or((text, ""));
    let headers: Vec<String> = header.split(',').map(str::to_string).collect();
    let overrides: Vec<_> = map.lines().filter_map(|l| parse_override(l).ok()).collect();
    let roles = RoleMap::detect(&headers, &overrides);
    for (_, column) in roles.iter() {
        assert!(headers.iter().any(|h| h == column), "a role points at a header that exists");
    }
});
