//! Building a fully loaded App without a terminal: the worker's jobs run here synchronously
//! (once per test binary) and their results are replayed into fresh Apps.

use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segscope::data::Dataset;
use segscope::tui::action::{Action, Effect};
use segscope::tui::app::App;
use segscope::tui::keymap::Keymap;
use segscope::tui::theme::Theme;
use segscope::tui::{ui, worker};

pub fn sample() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| segscope::data::load_bundled().expect("bundled sample loads"))
}

/// Runs the effects an action asked for, feeding results back, until nothing is left.
pub fn settle(app: &mut App, effects: Vec<Effect>) {
    let mut queue = effects;
    while let Some(e) = queue.pop() {
        let f = app
            .features
            .ready()
            .expect("features before effects")
            .features
            .clone();
        if let Some(a) = worker::run_effect(sample(), &f, &e) {
            queue.extend(app.update(a));
        }
    }
}

/// The startup results for the bundled sample (EDA, trends, index, features, K=4, sweep).
fn startup() -> &'static Vec<Action> {
    static ACTIONS: OnceLock<Vec<Action>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        let ds = sample();
        let mut app = App::new(&ds.name, Keymap::default());
        let mut log = vec![
            Action::Loaded(std::sync::Arc::new(ds.report.clone())),
            worker::eda_job(ds),
            worker::trends_job(ds),
            worker::index_job(ds),
        ];
        log.push(Action::FeaturesReady(worker::features_job(ds)));
        // FeaturesReady asks for segments at K=4 (generation 1) and the K sweep; a replayed
        // App asks again and gets these answers.
        let effects: Vec<Effect> = log.iter().flat_map(|a| app.update(a.clone())).collect();
        let f = app.features.ready().expect("features").features.clone();
        log.extend(effects.iter().filter_map(|e| worker::run_effect(ds, &f, e)));
        log
    })
}

/// An App with everything computed, on `keymap`.
pub fn loaded_with(keymap: Keymap) -> App {
    let mut app = App::new(&sample().name, keymap);
    for a in startup() {
        app.update(a.clone());
    }
    app
}

pub fn loaded() -> App {
    loaded_with(Keymap::default())
}

pub fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(k: KeyCode) -> Action {
    Action::Key(KeyEvent::new(k, KeyModifiers::NONE))
}

/// Presses keys, running whatever slow work they ask for.
pub fn press(app: &mut App, keys: &[Action]) {
    for k in keys {
        let fx = app.update(k.clone());
        let fx: Vec<Effect> = fx
            .into_iter()
            .filter(|e| !matches!(e, Effect::ExportCsv(_) | Effect::Quit))
            .collect();
        settle(app, fx);
    }
}

pub fn typed(app: &mut App, text: &str) {
    let keys: Vec<Action> = text.chars().map(key).collect();
    press(app, &keys);
}

/// The screen as text.
pub fn render(app: &App, w: u16, h: u16) -> String {
    let theme = Theme::load("default", false).unwrap();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app, &theme)).unwrap();
    t.backend().to_string()
}
