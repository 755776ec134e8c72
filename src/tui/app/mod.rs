//! The app's state and how each Action changes it. No drawing and no slow work here: slow work
//! is requested as an [`Effect`] and comes back as an Action.

use crate::analysis::features::names;
use std::collections::BTreeMap;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

use super::action::{Action, Command, Effect, FeaturesReady, SegResult, Shared};
use super::keymap::{Key, Keymap};
use crate::analysis::customers::{CustomerIndex, Purchase};
use crate::analysis::eda::Eda;
use crate::analysis::features::ScalerKind;
use crate::analysis::lookalike;
use crate::analysis::migrate::Migration;
use crate::analysis::projection::SegmentViews;
use crate::analysis::segment::{Algo, Sweep};
use crate::analysis::trends::{Series, Trends};
use crate::analysis::{Table, Value};

/// The six panes, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Overview,
    Eda,
    Trends,
    Segments,
    Lookup,
    Value,
}

pub const PANES: [(Pane, &str); 6] = [
    (Pane::Overview, "Overview"),
    (Pane::Eda, "EDA"),
    (Pane::Trends, "Trends"),
    (Pane::Segments, "Segments"),
    (Pane::Lookup, "Customer lookup"),
    (Pane::Value, "Value"),
];

/// Feature sets the Segments pane cycles through; the last only where the data has extra
/// columns ([`App::feature_sets_here`]).
pub const FEATURE_SETS: [&str; 4] = ["rfm+", "rfm", "all", "rfm,extra"];
/// Smallest terminal the layout is drawn for; below it a "too small" message.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Something computed on the worker: not yet there, there, or failed with a reason.
#[derive(Clone, Debug)]
pub enum Slot<T> {
    Waiting,
    Ready(T),
    Failed(String),
}

impl<T> Slot<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Slot::Ready(t) => Some(t),
            _ => None,
        }
    }

    fn from(r: Result<T, String>) -> Slot<T> {
        match r {
            Ok(t) => Slot::Ready(t),
            Err(e) => Slot::Failed(e),
        }
    }
}

mod copy;
mod eda;
mod export;
mod lookup;
mod segments;
mod slice;
mod trends;
mod value;

pub use eda::{Drill, EdaView};
pub use lookup::{Card, LookupView};
pub use segments::{SegView, SegmentsView};
pub use trends::TrendsView;
pub use value::{VALUE_TABS, ValueTab, ValueView};

/// The whole app state.
pub struct App {
    pub pane: Pane,
    pub dataset: String,
    /// The slice on screen ("region=Europe"): the one the app was opened on (`--where` …), then
    /// the slice bar's.
    pub slice: Option<String>,
    /// The slice the app was opened on.
    pub base_slice: Option<String>,
    /// The slice bar while it is open (its text), and the text of the slice in effect.
    pub slice_bar: Option<String>,
    pub slice_text: String,
    /// The bar's text of a slice the worker is making.
    pub slice_pending: Option<String>,
    pub keymap: Keymap,
    pub eda: Slot<Arc<Eda>>,
    pub trends: Slot<Arc<Trends>>,
    pub index: Slot<Arc<CustomerIndex>>,
    pub features: Slot<FeaturesReady>,
    /// RFM, lifetime value and cohorts (the Value pane and the card).
    pub value: Slot<Arc<crate::analysis::value::ValueReport>>,
    /// The load report, once the dataset has loaded in the background.
    pub load: Slot<Arc<crate::data::LoadReport>>,
    /// Why the app had to close (a failed load), and whether it was bad input.
    pub fatal: Option<(String, bool)>,
    pub eda_view: EdaView,
    pub trends_view: TrendsView,
    pub seg: SegView,
    pub lookup: LookupView,
    pub value_view: ValueView,
    pub help: bool,
    pub status: Option<String>,
    pub quit: bool,
    pub size: (u16, u16),
    /// Bumped by every change of state: the runner redraws only when it moved.
    pub revision: u64,
}

impl App {
    /// How many of [`FEATURE_SETS`] this data offers: "rfm,extra" only with extra features.
    pub fn feature_sets_here(&self) -> usize {
        match &self.features {
            Slot::Ready(f) if !f.features.extra.is_empty() => FEATURE_SETS.len(),
            _ => FEATURE_SETS.len() - 1,
        }
    }

    pub fn new(dataset: &str, keymap: Keymap) -> App {
        App {
            pane: Pane::Overview,
            dataset: dataset.to_string(),
            slice: None,
            base_slice: None,
            slice_bar: None,
            slice_text: String::new(),
            slice_pending: None,
            keymap,
            eda: Slot::Waiting,
            trends: Slot::Waiting,
            index: Slot::Waiting,
            features: Slot::Waiting,
            value: Slot::Waiting,
            load: Slot::Waiting,
            fatal: None,
            eda_view: EdaView {
                in_list: true,
                ..Default::default()
            },
            trends_view: TrendsView::default(),
            seg: SegView {
                k: 4,
                algo: Algo::Kmeans,
                scaler: ScalerKind::Robust,
                features: 0,
                generation: 0,
                pending: None,
                result: None,
                error: None,
                row: 0,
                members: None,
                migration: false,
                migrations: BTreeMap::new(),
                sweeps: BTreeMap::new(),
                view: SegmentsView::Profiles,
                views: None,
                compare: None,
            },
            lookup: LookupView::default(),
            value_view: ValueView::default(),
            help: false,
            status: None,
            quit: false,
            size: (80, 24),
            revision: 0,
        }
    }

    /// What the runner compares to decide whether to redraw.
    pub fn redraw_key(&self) -> u64 {
        self.revision
    }

    /// A text field has focus: typed characters go into it.
    pub fn typing(&self) -> bool {
        !self.help
            && (self.slice_bar.is_some()
                || (self.pane == Pane::Eda && self.eda_view.editing)
                || (self.pane == Pane::Lookup && self.lookup.editing))
    }

    /// Turns a key press into Actions and applies them.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return vec![];
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return self.update(Action::Command(Command::Quit));
        }
        if self.typing() {
            match key.code {
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    return self.update(Action::Input(c));
                }
                KeyCode::Backspace => return self.update(Action::DeleteChar),
                KeyCode::Esc => return self.update(Action::Command(Command::Back)),
                KeyCode::Enter => return self.update(Action::Command(Command::Enter)),
                _ => {}
            }
        }
        // The Segments pane has keys of its own (by default the digits 2-9 set K there).
        let pressed = Key::from_event(&key);
        let cmd = if self.pane == Pane::Segments && !self.help {
            self.keymap.segments_command(&pressed)
        } else {
            self.keymap.command(&pressed)
        };
        match cmd {
            Some(cmd) => self.update(Action::Command(cmd)),
            None => vec![],
        }
    }

    /// Applies one Action; returns the slow work it asks for.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        if !matches!(action, Action::Key(_)) {
            self.revision += 1;
        }
        match action {
            Action::Key(k) => self.handle_key(k),
            Action::Command(c) => self.command(c),
            Action::Input(c) => {
                self.input(Some(c));
                vec![]
            }
            Action::DeleteChar => {
                self.input(None);
                vec![]
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                vec![]
            }
            Action::Mouse(m) => self.mouse(m),
            Action::Suspend | Action::Resume => vec![],
            Action::Exported(r) => {
                self.status = Some(match r {
                    Ok(path) => format!("wrote {path}"),
                    Err(e) => format!("export failed: {e}"),
                });
                vec![]
            }
            Action::Copied(r) => {
                self.status = Some(match r {
                    Ok(what) => format!("copied {what} to the clipboard (OSC 52)"),
                    Err(e) => format!("copy failed: {e}"),
                });
                vec![]
            }
            result => self.receive(result),
        }
    }

    /// A worker's result: stored in its slot; some start the next work.
    fn receive(&mut self, result: Action) -> Vec<Effect> {
        match result {
            Action::Loaded(report) => self.load = Slot::Ready(report),
            Action::LoadFailed { message, input } => {
                self.load = Slot::Failed(message.clone());
                self.fatal = Some((message, input));
                self.quit = true;
            }
            Action::EdaReady(r) => self.eda = Slot::from(r),
            Action::TrendsReady(r) => {
                self.trends = Slot::from(r);
                self.refresh_card();
            }
            Action::IndexReady(r) => {
                self.index = Slot::from(r);
                self.refresh_matches();
            }
            Action::FeaturesReady(r) => return self.features_ready(r),
            Action::SegmentsReady { generation, result } => {
                return self.segments_ready(generation, result);
            }
            Action::DrillReady { key, result } => self.drilled(key, result),
            Action::SegmentViewsReady { key, result }
                if self.seg.views.as_ref().is_some_and(|(k, _)| *k == key) =>
            {
                self.seg.views = Some((key, Slot::from(result)));
            }
            Action::ValueReady(r) => {
                self.value = Slot::from(r);
                self.refresh_card();
            }
            Action::SweepReady { key, result } => {
                self.seg.sweeps.insert(key, Slot::from(result));
            }
            Action::MigrationReady { key, result } => {
                self.seg.migrations.insert(key, Slot::from(result));
            }
            _ => {}
        }
        vec![]
    }

    /// The features start the segments, the sweep and the Value pane's work; without them
    /// those panes say why instead of waiting.
    fn features_ready(&mut self, r: Result<FeaturesReady, String>) -> Vec<Effect> {
        self.features = Slot::from(r);
        if self.features.ready().is_some() {
            let mut fx = self.request_segments();
            fx.extend(self.request_sweep());
            fx.push(Effect::Value);
            return fx;
        }
        if let Slot::Failed(e) = &self.features {
            self.seg.error = Some(e.clone());
            // The Value pane starts from the features too: it would wait forever.
            self.value = Slot::Failed(e.clone());
        }
        vec![]
    }

    fn command(&mut self, c: Command) -> Vec<Effect> {
        if self.help {
            // Any of these close the overlay; everything else is ignored while it is open.
            if matches!(c, Command::Help | Command::Back | Command::Enter) {
                self.help = false;
            } else if c == Command::Quit {
                self.quit = true;
                return vec![Effect::Quit];
            }
            return vec![];
        }
        self.status = None;
        if self.slice_bar.is_some() {
            return self.slice_command(c);
        }
        match c {
            Command::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Command::Help => self.help = true,
            Command::NextPane => self.pane = PANES[(self.pane_index() + 1) % PANES.len()].0,
            Command::PrevPane => {
                self.pane = PANES[(self.pane_index() + PANES.len() - 1) % PANES.len()].0
            }
            Command::Pane(n) if (1..=PANES.len()).contains(&(n as usize)) => {
                self.pane = PANES[n as usize - 1].0
            }
            Command::Export => {
                return match self.visible_table() {
                    Some(t) => vec![Effect::ExportCsv(t)],
                    None => {
                        self.status = Some("nothing to export yet".into());
                        vec![]
                    }
                };
            }
            Command::Slice => self.open_slice_bar(),
            Command::ClearSlice => return self.clear_slice(),
            Command::Copy => return self.copy_selected(),
            Command::CopyTable => return self.copy_table(),
            Command::Search => match self.pane {
                Pane::Eda => {
                    self.eda_view.in_list = false;
                    self.eda_view.editing = true;
                }
                _ => {
                    self.pane = Pane::Lookup;
                    self.lookup.editing = true;
                }
            },
            _ => return self.pane_command(c),
        }
        vec![]
    }

    /// The wheel scrolls like Up/Down; a click on the tab line picks that pane, a click in the
    /// EDA pane's table list picks that table.
    fn mouse(&mut self, m: crossterm::event::MouseEvent) -> Vec<Effect> {
        use crossterm::event::{MouseButton, MouseEventKind};
        match m.kind {
            MouseEventKind::ScrollUp => self.command(Command::Up),
            MouseEventKind::ScrollDown => self.command(Command::Down),
            MouseEventKind::Down(MouseButton::Left) if m.row == 0 => {
                if let Some(p) = pane_at(m.column) {
                    self.pane = p;
                }
                vec![]
            }
            MouseEventKind::Down(MouseButton::Left)
                if self.pane == Pane::Eda && m.column < 26 && m.row >= 2 =>
            {
                let n = self.eda_shown().ready().map_or(0, |e| e.tables.len());
                let i = usize::from(m.row - 2);
                if i < n {
                    self.eda_view.table = i;
                    self.eda_view.in_list = true;
                    (self.eda_view.row, self.eda_view.col, self.eda_view.sort) = (0, 0, None);
                }
                vec![]
            }
            _ => vec![],
        }
    }

    fn pane_index(&self) -> usize {
        PANES.iter().position(|p| p.0 == self.pane).unwrap_or(0)
    }

    fn page(&self) -> usize {
        (self.size.1 as usize).saturating_sub(10).max(1)
    }

    fn pane_command(&mut self, c: Command) -> Vec<Effect> {
        match self.pane {
            Pane::Overview => {}
            Pane::Eda => return self.eda_command(c),
            Pane::Trends => self.trends_command(c),
            Pane::Segments => return self.segments_command(c),
            Pane::Lookup => self.lookup_command(c),
            Pane::Value => self.value_command(c),
        }
        vec![]
    }
}

/// The pane whose tab is drawn at column `x` of the tab line (" 1 Overview  2 EDA  …").
pub fn pane_at(x: u16) -> Option<Pane> {
    let mut start = 0u16;
    for (i, (pane, name)) in PANES.iter().enumerate() {
        let width = format!(" {} {name} ", i + 1).chars().count() as u16;
        if (start..start + width).contains(&x) {
            return Some(*pane);
        }
        start += width;
    }
    None
}
