//! The interactive face: a full-screen app over the same engine. State lives in `app`, keys in
//! `keymap`, slow work in `worker`, drawing in `ui` (pure functions of the state).

pub mod action;
pub mod app;
pub mod config;
pub mod keymap;
pub mod theme;
pub mod ui;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};

use anyhow::Result;
use crossterm::event::Event;

use crate::analysis::Table;
use action::{Action, Effect};
use app::App;
use theme::Theme;

/// What the command line says about the TUI.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub theme: Option<String>,
    pub config: Option<PathBuf>,
}

/// True when NO_COLOR is set to anything non-empty (no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Reads the config and theme: both fail (as bad input) before the screen opens.
pub fn prepare(opts: &Options) -> Result<(config::Config, Theme)> {
    let config = config::load(opts.config.as_deref())?;
    let name = opts
        .theme
        .clone()
        .or(config.theme.clone())
        .unwrap_or_else(|| "default".into());
    let theme = Theme::load(&name, no_color())?;
    Ok((config, theme))
}

/// Writes a table to ./segscope-NAME.csv (never over an existing file); returns the path.
fn export(t: &Table) -> Result<String, String> {
    let mut bytes = Vec::new();
    crate::report::write_csv_table(&mut bytes, t).map_err(|e| e.to_string())?;
    let base = format!("segscope-{}", t.name);
    let path = (1..1000)
        .map(|i| {
            if i == 1 {
                PathBuf::from(format!("{base}.csv"))
            } else {
                PathBuf::from(format!("{base}-{i}.csv"))
            }
        })
        .find(|p| !p.exists())
        .ok_or_else(|| "too many exports in this folder".to_string())?;
    crate::output::write_files_atomically(&[(Path::new(&path), &bytes)])
        .map_err(|e| crate::error::first_line(&e))?;
    let shown = std::env::current_dir()
        .map(|d| d.join(&path))
        .unwrap_or(path);
    Ok(shown.display().to_string())
}

fn spawn_input(tx: Sender<Action>) {
    std::thread::spawn(move || {
        while let Ok(ev) = crossterm::event::read() {
            let action = match ev {
                Event::Key(k) => Action::Key(k),
                Event::Resize(w, h) => Action::Resize(w, h),
                _ => continue,
            };
            if tx.send(action).is_err() {
                return;
            }
        }
    });
}

fn spawn_signals(tx: Sender<Action>) -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP])?;
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = tx.send(Action::Command(action::Command::Quit));
        }
    });
    Ok(())
}

/// What a result is called in the timing log (bench/tui_pty.py reads these lines).
fn ready_name(a: &Action) -> Option<&'static str> {
    Some(match a {
        Action::Loaded(_) => "loaded",
        Action::EdaReady(_) => "eda ready",
        Action::TrendsReady(_) => "trends ready",
        Action::IndexReady(_) => "index ready",
        Action::FeaturesReady(_) => "features ready",
        Action::SegmentsReady { .. } => "segments ready",
        _ => return None,
    })
}

/// Runs the app until the user quits (or a signal asks it to). The terminal is restored on
/// every exit path: normal quit, error, panic (ratatui's hook), SIGTERM and SIGHUP. A dataset
/// that fails to load in the background closes the app with the loader's error.
pub fn run(start: worker::Start, name: &str, config: config::Config, theme: Theme) -> Result<()> {
    let (tx, rx) = channel::<Action>();
    spawn_signals(tx.clone())?;
    let worker = worker::Worker::start(start, tx.clone());
    let mut app = App::new(name, config.keymap);
    let mut terminal = ratatui::try_init()?;
    let result = (|| -> Result<()> {
        let size = terminal.size()?;
        app.size = (size.width, size.height);
        spawn_input(tx.clone());
        terminal.draw(|f| ui::draw(f, &app, &theme))?;
        crate::timing::event("tui first frame");
        // Test-only: with SEGSCOPE_TEST_PANIC set, Shift-P panics, to prove a crash restores
        // the terminal (tests/tui_e2e.rs).
        let test_panic = std::env::var_os("SEGSCOPE_TEST_PANIC").is_some();
        // The key that asked for new segments, and when: its frame is logged as a K change.
        let mut k_change: Option<(u64, std::time::Instant)> = None;
        let mut first_segments = true;
        while let Ok(action) = rx.recv() {
            let received = std::time::Instant::now();
            if test_panic
                && matches!(&action, Action::Key(k) if k.code == crossterm::event::KeyCode::Char('P'))
            {
                panic!("panic provoked by SEGSCOPE_TEST_PANIC");
            }
            let is_key = matches!(action, Action::Key(_));
            let mut ready = ready_name(&action);
            let segments_of = match &action {
                Action::SegmentsReady { generation, .. } => Some(*generation),
                _ => None,
            };
            let before = app.redraw_key();
            let effects = app.update(action);
            for e in effects {
                match e {
                    Effect::Quit => return Ok(()),
                    Effect::ExportCsv(t) => {
                        let r = export(&t);
                        app.update(Action::Exported(r));
                    }
                    other => {
                        if let Effect::Segments { generation, .. } = &other
                            && is_key
                        {
                            k_change = Some((*generation, received));
                        }
                        worker.submit(other)
                    }
                }
            }
            if app.quit {
                return Ok(());
            }
            if app.redraw_key() != before {
                terminal.draw(|f| ui::draw(f, &app, &theme))?;
                if crate::timing::enabled() {
                    let ms = received.elapsed().as_secs_f64() * 1e3;
                    if is_key {
                        crate::timing::log(&format!("tui key frame: {ms:.2} ms"));
                    }
                    if let (Some(g), Some((want, at))) = (segments_of, k_change)
                        && g == want
                    {
                        let ms = at.elapsed().as_secs_f64() * 1e3;
                        crate::timing::log(&format!("tui K change frame: {ms:.1} ms"));
                        k_change = None;
                    }
                    if segments_of.is_some() && !std::mem::take(&mut first_segments) {
                        ready = None;
                    }
                    if let Some(r) = ready {
                        crate::timing::event(&format!("tui {r}"));
                    }
                }
            }
        }
        Ok(())
    })();
    ratatui::restore();
    if crate::timing::enabled() {
        crate::timing::log(&format!(
            "tui peak RSS: {} MB",
            crate::timing::peak_rss_mb()
        ));
    }
    result?;
    match app.fatal {
        Some((message, true)) => Err(crate::error::input(message)),
        Some((message, false)) => Err(anyhow::anyhow!(message)),
        None => Ok(()),
    }
}
