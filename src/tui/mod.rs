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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, OnceLock};

use anyhow::Result;
use crossterm::event::Event;

use crate::analysis::Table;
use crate::data::Dataset;
use crate::data::filter::Filters;
use action::{Action, Effect, Shared};
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
    crate::output::write_files_atomically(&[(Path::new(&path), &bytes)], false)
        .map_err(|e| crate::error::first_line(&e))?;
    let shown = std::env::current_dir()
        .map(|d| d.join(&path))
        .unwrap_or(path);
    Ok(shown.display().to_string())
}

/// Hands text to the terminal's clipboard with OSC 52: the terminal (or tmux with
/// `set-clipboard on`) stores it, on the analyst's machine even over SSH.
fn copy_to_clipboard(text: &str) -> std::io::Result<()> {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout().lock();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}

/// A sender for worker `generation`: its results reach the app only while it is the newest
/// worker (a slice replaces the worker; the old one's late results are dropped here).
fn worker_channel(tx: &Sender<Action>, newest: &Arc<AtomicU64>, generation: u64) -> Sender<Action> {
    let (wtx, wrx) = channel::<Action>();
    let (tx, newest) = (tx.clone(), newest.clone());
    std::thread::spawn(move || {
        for a in wrx {
            if newest.load(Ordering::Relaxed) == generation && tx.send(a).is_err() {
                return;
            }
        }
    });
    wtx
}

/// Makes the slice bar's dataset from the data the app opened with, off the UI thread.
fn make_slice(base: Arc<OnceLock<Dataset>>, filters: Filters, tx: Sender<Action>) {
    std::thread::spawn(move || {
        let description = (!filters.is_empty()).then(|| filters.describe());
        let result = match base.get() {
            Some(ds) => ds
                .clone()
                .filtered(&filters)
                .map(|d| Shared(Arc::new(d)))
                .map_err(|e| crate::error::first_line(&e)),
            None => Err("the data is still loading; try again in a moment".into()),
        };
        let _ = tx.send(Action::SliceMade {
            result,
            description,
        });
    });
}

fn spawn_input(tx: Sender<Action>) {
    std::thread::spawn(move || {
        while let Ok(ev) = crossterm::event::read() {
            let action = match ev {
                Event::Key(k) => Action::Key(k),
                Event::Resize(w, h) => Action::Resize(w, h),
                Event::Mouse(m) => Action::Mouse(m),
                _ => continue,
            };
            if tx.send(action).is_err() {
                return;
            }
        }
    });
}

/// Every signal that would end the process quits the app instead, so the terminal is
/// restored; SIGTSTP suspends it (the terminal given back first) and SIGCONT resumes it.
fn spawn_signals(tx: Sender<Action>) -> Result<()> {
    use signal_hook::consts::{
        SIGALRM, SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1, SIGUSR2,
    };
    let mut signals = signal_hook::iterator::Signals::new([
        SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTSTP, SIGCONT,
    ])?;
    std::thread::spawn(move || {
        for sig in signals.forever() {
            let action = match sig {
                SIGTSTP => Action::Suspend,
                SIGCONT => Action::Resume,
                _ => Action::Command(action::Command::Quit),
            };
            if tx.send(action).is_err() {
                return;
            }
        }
    });
    Ok(())
}

/// Gives the terminal back (cooked mode, main screen, cursor) and stops the process; when
/// the shell continues it, takes the terminal again. SIGSTOP cannot be caught, so the stop
/// itself is certain.
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
    if MOUSE_ON.load(Ordering::Relaxed) {
        crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture)?;
    }
    ratatui::restore();
    signal_hook::low_level::raise(signal_hook::consts::SIGSTOP)?;
    resume(terminal)
}

/// Takes the terminal again after a stop: raw mode, the alternate screen, and a blank frame,
/// so the next draw repaints every cell. (`Terminal::clear` would ask the terminal for the
/// cursor position, and the input thread would swallow the answer.)
fn resume(terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
    use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, enable_raw_mode};
    enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        Clear(ClearType::All),
        crossterm::cursor::Hide
    )?;
    if MOUSE_ON.load(Ordering::Relaxed) {
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    terminal.draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()))?;
    Ok(())
}

/// Ctrl-Z: raw mode delivers it as a key, so it is turned into a suspend here.
fn is_suspend_key(a: &Action) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    matches!(a, Action::Key(k) if k.code == KeyCode::Char('z') && k.modifiers.contains(KeyModifiers::CONTROL))
}

/// Mouse reporting is on: every way out turns it off again.
static MOUSE_ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// After ratatui's hook has restored the terminal and printed the panic, the process ends
/// (exit 101): a panic on a worker thread must not leave the app running in cooked mode.
fn end_on_panic() {
    let restore_and_print = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if MOUSE_ON.load(Ordering::Relaxed) {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        }
        restore_and_print(info);
        std::process::exit(101);
    }));
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
        Action::ValueReady(Ok(v)) if v.clv.is_some() => "clv ready",
        Action::ValueReady(_) => "value ready",
        _ => return None,
    })
}

/// The `SEGSCOPE_TIMINGS` observer of the event loop (bench/tui_pty.py reads its lines): when
/// each result first reaches the screen, how long a key takes to its frame, and how long a K
/// change takes to its new profile. Silent unless timings are on.
#[derive(Default)]
struct Probes {
    /// The action being handled: when it arrived, whether it is a key, what result it is.
    at: Option<std::time::Instant>,
    is_key: bool,
    ready: Option<&'static str>,
    segments_of: Option<u64>,
    /// The key that asked for new segments, and when: its frame is logged as a K change.
    k_change: Option<(u64, std::time::Instant)>,
    segments_seen: bool,
}

impl Probes {
    fn received(&mut self, a: &Action) {
        self.at = Some(std::time::Instant::now());
        self.is_key = matches!(a, Action::Key(_));
        self.ready = ready_name(a);
        self.segments_of = match a {
            Action::SegmentsReady { generation, .. } => Some(*generation),
            _ => None,
        };
    }

    fn asked(&mut self, e: &Effect) {
        if let (Effect::Segments { generation, .. }, true, Some(at)) = (e, self.is_key, self.at) {
            self.k_change = Some((*generation, at));
        }
    }

    fn drawn(&mut self) {
        if !crate::timing::enabled() {
            return;
        }
        if let (true, Some(at)) = (self.is_key, self.at) {
            let ms = at.elapsed().as_secs_f64() * 1e3;
            crate::timing::log(&format!("tui key frame: {ms:.2} ms"));
        }
        if let (Some(g), Some((want, at))) = (self.segments_of, self.k_change)
            && g == want
        {
            let ms = at.elapsed().as_secs_f64() * 1e3;
            crate::timing::log(&format!("tui K change frame: {ms:.1} ms"));
            self.k_change = None;
        }
        // Only the first segmentation on screen is a "ready" event.
        if self.segments_of.is_some() && std::mem::replace(&mut self.segments_seen, true) {
            self.ready = None;
        }
        if let Some(r) = self.ready.take() {
            crate::timing::event(&format!("tui {r}"));
        }
    }
}

/// Runs the app until the user quits (or a signal asks it to). The terminal is restored on
/// every exit path: normal quit, error, panic (ratatui's hook, then exit 101), and every
/// signal that ends a process; Ctrl-Z and SIGTSTP suspend with the terminal restored. A dataset
/// that fails to load in the background closes the app with the loader's error.
pub fn run(
    start: worker::Start,
    name: &str,
    slice: Option<String>,
    config: config::Config,
    theme: Theme,
) -> Result<()> {
    let (tx, rx) = channel::<Action>();
    spawn_signals(tx.clone())?;
    let mut app = App::new(name, config.keymap);
    app.base_slice = slice.clone();
    app.slice = slice;
    let mut session = Session::start(start, tx, app);
    crate::guard::save_terminal();
    let mut terminal = ratatui::try_init()?;
    end_on_panic();
    let mouse = config.mouse;
    if mouse {
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
        MOUSE_ON.store(true, Ordering::Relaxed);
    }
    let result = session.event_loop(&mut terminal, &rx, &theme);
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    if crate::timing::enabled() {
        crate::timing::log(&format!(
            "tui peak RSS: {} MB",
            crate::timing::peak_rss_mb()
        ));
    }
    result?;
    match session.app.fatal {
        Some((message, true)) => Err(crate::error::input(message)),
        Some((message, false)) => Err(anyhow::anyhow!(message)),
        None => Ok(()),
    }
}

/// The running app and the worker computing for it; a slice replaces both.
struct Session {
    app: App,
    worker: worker::Worker,
    tx: Sender<Action>,
    /// The newest worker's generation: older workers' results are dropped.
    newest: Arc<AtomicU64>,
    /// The data the app opened with, which the slice bar slices.
    base: Arc<OnceLock<Dataset>>,
}

impl Session {
    fn start(start: worker::Start, tx: Sender<Action>, app: App) -> Session {
        let newest = Arc::new(AtomicU64::new(0));
        let worker = worker::Worker::start(start, worker_channel(&tx, &newest, 0));
        let base = worker.dataset();
        Session {
            app,
            worker,
            tx,
            newest,
            base,
        }
    }

    /// Draws on change until the user quits or the channel closes.
    fn event_loop(
        &mut self,
        terminal: &mut ratatui::DefaultTerminal,
        rx: &std::sync::mpsc::Receiver<Action>,
        theme: &Theme,
    ) -> Result<()> {
        let size = terminal.size()?;
        self.app.size = (size.width, size.height);
        spawn_input(self.tx.clone());
        terminal.draw(|f| ui::draw(f, &self.app, theme))?;
        crate::timing::event("tui first frame");
        // Test-only: with SEGSCOPE_TEST_PANIC set, Shift-P panics, to prove a crash restores
        // the terminal (tests/tui_e2e.rs).
        let test_panic = std::env::var_os("SEGSCOPE_TEST_PANIC").is_some();
        let mut probes = Probes::default();
        while let Ok(action) = rx.recv() {
            probes.received(&action);
            if test_panic
                && matches!(&action, Action::Key(k) if k.code == crossterm::event::KeyCode::Char('P'))
            {
                panic!("panic provoked by SEGSCOPE_TEST_PANIC");
            }
            if self.outside_the_app(&action, terminal)? {
                terminal.draw(|f| ui::draw(f, &self.app, theme))?;
                continue;
            }
            let before = self.app.redraw_key();
            let effects = self.app.update(action);
            if self.apply(effects, &mut probes) {
                return Ok(());
            }
            if self.app.redraw_key() != before {
                terminal.draw(|f| ui::draw(f, &self.app, theme))?;
                probes.drawn();
            }
        }
        Ok(())
    }

    /// Suspend, resume and a new slice: handled here, not by the app; true when handled (the
    /// screen is then drawn afresh).
    fn outside_the_app(
        &mut self,
        action: &Action,
        terminal: &mut ratatui::DefaultTerminal,
    ) -> Result<bool> {
        match action {
            a if is_suspend_key(a) || matches!(a, Action::Suspend) => suspend(terminal)?,
            Action::Resume => resume(terminal)?,
            Action::SliceMade {
                result,
                description,
            } => match result {
                Ok(ds) => self.replace_worker(Dataset::clone(&ds.0), description.clone()),
                Err(e) => self.app.slice_failed(e.clone()),
            },
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The slice's own worker and a fresh app for it; the old worker's late results are
    /// dropped by generation.
    fn replace_worker(&mut self, ds: Dataset, description: Option<String>) {
        let generation = self.newest.fetch_add(1, Ordering::Relaxed) + 1;
        let out = worker_channel(&self.tx, &self.newest, generation);
        self.worker = worker::Worker::start(worker::Start::Loaded(Box::new(ds)), out);
        self.app = self.app.sliced(description);
    }

    /// Runs what the app asked for: files, the clipboard and slices here, the rest on the
    /// worker. True when the app quits.
    fn apply(&mut self, effects: Vec<Effect>, probes: &mut Probes) -> bool {
        for e in effects {
            match e {
                Effect::Quit => return true,
                Effect::ExportCsv(t) => {
                    let r = export(&t);
                    self.app.update(Action::Exported(r));
                }
                Effect::Slice(filters) => make_slice(self.base.clone(), filters, self.tx.clone()),
                Effect::Copy { text, what } => {
                    let r = copy_to_clipboard(&text).map(|()| what);
                    self.app
                        .update(Action::Copied(r.map_err(|e| e.to_string())));
                }
                other => {
                    probes.asked(&other);
                    self.worker.submit(other)
                }
            }
        }
        self.app.quit
    }
}
