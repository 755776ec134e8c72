//! Phase timings on stderr when `SEGSCOPE_TIMINGS` is set: how bench/ shows where the time of a
//! run goes without a profiler, and without timed assertions in tests.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SEGSCOPE_TIMINGS").is_some())
}

/// Prints `timing NAME: MS ms` to stderr when dropped (if enabled).
pub struct Phase {
    name: &'static str,
    start: Instant,
}

/// Starts timing a named phase; the guard reports when it goes out of scope.
pub fn phase(name: &'static str) -> Phase {
    Phase {
        name,
        start: Instant::now(),
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if enabled() {
            eprintln!(
                "timing {}: {:.1} ms (peak RSS so far {} MB)",
                self.name,
                self.start.elapsed().as_secs_f64() * 1e3,
                peak_rss_mb()
            );
        }
    }
}

/// The process's peak resident memory so far (Linux; 0 elsewhere).
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
