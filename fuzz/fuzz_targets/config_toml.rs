//! Arbitrary text as a config file and as a theme file: never a panic, errors name a line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(e) = segscope::tui::config::parse("fuzz.toml", text) {
        assert!(e.to_string().starts_with("fuzz.toml:"), "{e}");
    }
    if let Err(e) = segscope::tui::theme::Theme::parse("fuzz.toml", text, false) {
        assert!(e.to_string().starts_with("fuzz.toml:"), "{e}");
    }
});
