//! Phase timings when `SEGSCOPE_TIMINGS` is set: how bench/ shows where the time of a run goes
//! without a profiler, and without timed assertions in tests. `SEGSCOPE_TIMINGS=1` prints to
//! stderr; any other value is a file the lines are appended to (the TUI owns stderr's screen).

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

enum Sink {
    Off,
    Stderr,
    File(Mutex<std::fs::File>),
}

fn sink() -> &'static Sink {
    static SINK: OnceLock<Sink> = OnceLock::new();
    SINK.get_or_init(|| match std::env::var_os("SEGSCOPE_TIMINGS") {
        None => Sink::Off,
        Some(v) if v == "1" => Sink::Stderr,
        Some(path) => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_or(Sink::Off, |f| Sink::File(Mutex::new(f))),
    })
}

/// Whether timings are being recorded (callers skip measuring work otherwise).
pub fn enabled() -> bool {
    !matches!(sink(), Sink::Off)
}

/// The process start, as near as we know it: the first call (main makes it first).
pub fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Records one line.
pub fn log(line: &str) {
    match sink() {
        Sink::Off => {}
        Sink::Stderr => {
            let _ = writeln!(std::io::stderr(), "timing {line}");
        }
        Sink::File(f) => {
            if let Ok(mut f) = f.lock() {
                let _ = writeln!(f, "timing {line}");
            }
        }
    }
}

/// Records an event with the milliseconds since the process started.
pub fn event(name: &str) {
    if enabled() {
        log(&format!(
            "{name}: {:.1} ms since start",
            start().elapsed().as_secs_f64() * 1e3
        ));
    }
}

/// Prints `timing NAME: MS ms` when dropped (if enabled).
pub struct Phase {
    name: &'static str,
    start: Instant,
}

/// Starts timing a named phase; the guard reports when it goes out of scope.
pub fn phase(name: &'static str) -> Phase {
    crate::progress::stage(name);
    Phase {
        name,
        start: Instant::now(),
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if enabled() {
            log(&format!(
                "{}: {:.1} ms (from {:.0} ms; peak RSS so far {} MB)",
                self.name,
                self.start.elapsed().as_secs_f64() * 1e3,
                self.start.duration_since(start()).as_secs_f64() * 1e3,
                peak_rss_mb()
            ));
        }
    }
}

/// The process's peak resident memory so far (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> u64 {
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
