//! A spinner on stderr for headless work that takes more than a second: it names the stage the
//! timing phases are in ("load", "features", "kmeans") and the time so far, so a long run does
//! not look hung. Only when stderr and stdout are terminals (not under a pager); never for the
//! TUI (it owns the screen).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The stage the work is in, as the last [`crate::timing::phase`] named it.
static STAGE: Mutex<&'static str> = Mutex::new("");
static ON: AtomicBool = AtomicBool::new(false);
/// The spinner on screen, so lines printed meanwhile go above it.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `print` with the spinner lifted off the line (a warning printed meanwhile must not be
/// glued to it).
pub fn above(print: impl FnOnce()) {
    let bar = BAR.lock().ok().and_then(|b| b.clone());
    match bar {
        Some(b) => b.suspend(print),
        None => print(),
    }
}

/// Called by each timing phase: the spinner shows the newest.
pub fn stage(name: &'static str) {
    if ON.load(Ordering::Relaxed)
        && let Ok(mut s) = STAGE.lock()
    {
        *s = name;
    }
}

/// The spinner of one run; cleared from the terminal when dropped, before the result or the
/// error is printed.
pub struct Spinner {
    bar: Option<ProgressBar>,
    done: std::sync::Arc<AtomicBool>,
}

/// Starts the spinner when `show` (stderr is a terminal); it appears after a second.
pub fn start(show: bool) -> Spinner {
    let done = std::sync::Arc::new(AtomicBool::new(false));
    if !show {
        return Spinner { bar: None, done };
    }
    ON.store(true, Ordering::Relaxed);
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    if let Ok(mut slot) = BAR.lock() {
        *slot = Some(bar.clone());
    }
    let (b, flag) = (bar.clone(), done.clone());
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        if flag.load(Ordering::Relaxed) {
            return;
        }
        b.set_draw_target(ProgressDrawTarget::stderr());
        while !flag.load(Ordering::Relaxed) {
            let stage = STAGE.lock().map_or("", |s| *s);
            b.set_message(format!(
                "segscope: {}",
                if stage.is_empty() { "working" } else { stage }
            ));
            b.tick();
            std::thread::sleep(Duration::from_millis(120));
        }
    });
    Spinner {
        bar: Some(bar),
        done,
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Ok(mut slot) = BAR.lock() {
            *slot = None;
        }
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        ON.store(false, Ordering::Relaxed);
    }
}
