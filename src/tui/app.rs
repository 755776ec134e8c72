//! The app's state and how each Action changes it. No drawing and no slow work here: slow work
//! is requested as an [`Effect`] and comes back as an Action.

use crate::analysis::features::names;
use std::collections::BTreeMap;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

use super::action::{Action, Command, Effect, FeaturesReady, SegResult};
use super::keymap::{Key, Keymap};
use crate::analysis::customers::{CustomerIndex, Purchase};
use crate::analysis::eda::Eda;
use crate::analysis::features::ScalerKind;
use crate::analysis::lookalike;
use crate::analysis::migrate::Migration;
use crate::analysis::segment::{Algo, Sweep};
use crate::analysis::trends::{Series, Trends};
use crate::analysis::{Table, Value};

/// The five panes, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Overview,
    Eda,
    Trends,
    Segments,
    Lookup,
}

pub const PANES: [(Pane, &str); 5] = [
    (Pane::Overview, "Overview"),
    (Pane::Eda, "EDA"),
    (Pane::Trends, "Trends"),
    (Pane::Segments, "Segments"),
    (Pane::Lookup, "Customer lookup"),
];

/// Feature sets the Segments pane cycles through.
pub const FEATURE_SETS: [&str; 3] = ["rfm+", "rfm", "all"];
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

#[derive(Clone, Debug, Default)]
pub struct EdaView {
    pub table: usize,
    /// The table list has focus (else the table itself).
    pub in_list: bool,
    pub row: usize,
    pub col: usize,
    /// Sort column and descending.
    pub sort: Option<(usize, bool)>,
    pub filter: String,
    pub editing: bool,
}

#[derive(Clone, Debug, Default)]
pub struct TrendsView {
    /// 0 overall, 1 by region, 2 by category.
    pub group: usize,
    /// 0 revenue, 1 orders, 2 active customers.
    pub metric: usize,
    /// First series shown in a group.
    pub offset: usize,
}

#[derive(Clone, Debug)]
pub struct SegView {
    pub k: usize,
    pub algo: Algo,
    pub scaler: ScalerKind,
    pub features: usize,
    pub generation: u64,
    /// The generation being computed, if any.
    pub pending: Option<u64>,
    pub result: Option<Arc<SegResult>>,
    pub error: Option<String>,
    pub row: usize,
    /// Members of the selected segment are listed (selected row in that list).
    pub members: Option<usize>,
    pub migration: bool,
    pub migrations: BTreeMap<String, Slot<Arc<Migration>>>,
    pub sweeps: BTreeMap<String, Slot<Arc<Sweep>>>,
}

impl SegView {
    pub fn features_spec(&self) -> &'static str {
        FEATURE_SETS[self.features % FEATURE_SETS.len()]
    }

    pub fn sweep_key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.algo.name(),
            self.features_spec(),
            self.scaler.name()
        )
    }

    pub fn migration_key(&self) -> String {
        format!("{}/{}", self.sweep_key(), self.k)
    }
}

/// What the lookup card shows about one customer.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub index: usize,
    pub id: String,
    pub name: Option<String>,
    pub recency_days: f64,
    pub frequency: f64,
    pub monetary: f64,
    /// Segment id and persona, when segments are ready.
    pub segment: Option<(usize, String)>,
    pub months: Vec<String>,
    pub monthly_spend: Vec<f64>,
    pub top_categories: Vec<(String, f64)>,
    pub latest: Vec<Purchase>,
    /// (customer index, id, score)
    pub lookalikes: Vec<(usize, String, f64)>,
}

#[derive(Clone, Debug, Default)]
pub struct LookupView {
    pub query: String,
    pub editing: bool,
    pub matches: Vec<usize>,
    pub row: usize,
    /// Customers opened, oldest first; the last is on the card.
    pub path: Vec<usize>,
    pub lookalike_row: usize,
    pub card: Option<Card>,
}

/// The whole app state.
pub struct App {
    pub pane: Pane,
    pub dataset: String,
    pub keymap: Keymap,
    pub eda: Slot<Arc<Eda>>,
    pub trends: Slot<Arc<Trends>>,
    pub index: Slot<Arc<CustomerIndex>>,
    pub features: Slot<FeaturesReady>,
    /// The load report, once the dataset has loaded in the background.
    pub load: Slot<Arc<crate::data::LoadReport>>,
    /// Why the app had to close (a failed load), and whether it was bad input.
    pub fatal: Option<(String, bool)>,
    pub eda_view: EdaView,
    pub trends_view: TrendsView,
    pub seg: SegView,
    pub lookup: LookupView,
    pub help: bool,
    pub status: Option<String>,
    pub quit: bool,
    pub size: (u16, u16),
    /// Bumped by every change of state: the runner redraws only when it moved.
    pub revision: u64,
}

impl App {
    pub fn new(dataset: &str, keymap: Keymap) -> App {
        App {
            pane: Pane::Overview,
            dataset: dataset.to_string(),
            keymap,
            eda: Slot::Waiting,
            trends: Slot::Waiting,
            index: Slot::Waiting,
            features: Slot::Waiting,
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
            },
            lookup: LookupView::default(),
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
            && ((self.pane == Pane::Eda && self.eda_view.editing)
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
            Action::Suspend | Action::Resume => vec![],
            Action::Loaded(report) => {
                self.load = Slot::Ready(report);
                vec![]
            }
            Action::LoadFailed { message, input } => {
                self.load = Slot::Failed(message.clone());
                self.fatal = Some((message, input));
                self.quit = true;
                vec![]
            }
            Action::EdaReady(r) => {
                self.eda = Slot::from(r);
                vec![]
            }
            Action::TrendsReady(r) => {
                self.trends = Slot::from(r);
                self.refresh_card();
                vec![]
            }
            Action::IndexReady(r) => {
                self.index = Slot::from(r);
                self.refresh_matches();
                vec![]
            }
            Action::FeaturesReady(r) => {
                self.features = Slot::from(r);
                if self.features.ready().is_some() {
                    let mut fx = self.request_segments();
                    fx.extend(self.request_sweep());
                    fx
                } else {
                    if let Slot::Failed(e) = &self.features {
                        self.seg.error = Some(e.clone());
                    }
                    vec![]
                }
            }
            Action::SegmentsReady { generation, result } => {
                if generation == self.seg.generation {
                    self.seg.pending = None;
                    match result {
                        Ok(r) => {
                            self.seg.row = self.seg.row.min(r.seg.groups().saturating_sub(1));
                            self.seg.result = Some(r);
                            self.seg.error = None;
                        }
                        Err(e) => self.seg.error = Some(e),
                    }
                    self.refresh_card();
                }
                vec![]
            }
            Action::SweepReady { key, result } => {
                self.seg.sweeps.insert(key, Slot::from(result));
                vec![]
            }
            Action::MigrationReady { key, result } => {
                self.seg.migrations.insert(key, Slot::from(result));
                vec![]
            }
            Action::Exported(r) => {
                self.status = Some(match r {
                    Ok(path) => format!("wrote {path}"),
                    Err(e) => format!("export failed: {e}"),
                });
                vec![]
            }
        }
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
        match c {
            Command::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Command::Help => self.help = true,
            Command::NextPane => self.pane = PANES[(self.pane_index() + 1) % 5].0,
            Command::PrevPane => self.pane = PANES[(self.pane_index() + 4) % 5].0,
            Command::Pane(n) if (1..=5).contains(&n) => self.pane = PANES[n as usize - 1].0,
            Command::Export => {
                return match self.visible_table() {
                    Some(t) => vec![Effect::ExportCsv(t)],
                    None => {
                        self.status = Some("nothing to export yet".into());
                        vec![]
                    }
                };
            }
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

    fn pane_index(&self) -> usize {
        PANES.iter().position(|p| p.0 == self.pane).unwrap_or(0)
    }

    fn page(&self) -> usize {
        (self.size.1 as usize).saturating_sub(10).max(1)
    }

    fn pane_command(&mut self, c: Command) -> Vec<Effect> {
        match self.pane {
            Pane::Overview => {}
            Pane::Eda => self.eda_command(c),
            Pane::Trends => self.trends_command(c),
            Pane::Segments => return self.segments_command(c),
            Pane::Lookup => self.lookup_command(c),
        }
        vec![]
    }

    // --- EDA -----------------------------------------------------------------------------

    /// The current EDA table and the rows shown (filtered, then sorted), as indices.
    pub fn eda_rows(&self) -> Option<(&Table, Vec<usize>)> {
        let eda = self.eda.ready()?;
        let t = eda.tables.get(self.eda_view.table)?;
        let needle = self.eda_view.filter.to_lowercase();
        let mut rows: Vec<usize> = (0..t.rows.len())
            .filter(|&i| {
                needle.is_empty()
                    || t.rows[i]
                        .iter()
                        .any(|v| v.display().to_lowercase().contains(&needle))
            })
            .collect();
        if let Some((c, desc)) = self.eda_view.sort
            && c < t.columns.len()
        {
            rows.sort_by(|&a, &b| {
                let (x, y) = (&t.rows[a][c], &t.rows[b][c]);
                let o = match (x.as_f64(), y.as_f64()) {
                    (Some(p), Some(q)) => p.total_cmp(&q),
                    _ => x.display().cmp(&y.display()),
                };
                if desc { o.reverse() } else { o }
            });
        }
        Some((t, rows))
    }

    fn eda_command(&mut self, c: Command) {
        let n_tables = self.eda.ready().map_or(0, |e| e.tables.len());
        let (n_rows, n_cols) = self
            .eda_rows()
            .map_or((0, 0), |(t, r)| (r.len(), t.columns.len()));
        let page = self.page();
        let v = &mut self.eda_view;
        if v.in_list {
            match c {
                Command::Up => v.table = v.table.saturating_sub(1),
                Command::Down => v.table = (v.table + 1).min(n_tables.saturating_sub(1)),
                Command::Top => v.table = 0,
                Command::Bottom => v.table = n_tables.saturating_sub(1),
                Command::Enter | Command::Right => v.in_list = false,
                _ => {}
            }
            if matches!(
                c,
                Command::Up | Command::Down | Command::Top | Command::Bottom
            ) {
                v.row = 0;
                v.col = 0;
                v.sort = None;
                v.filter.clear();
            }
            return;
        }
        match c {
            Command::Up => v.row = v.row.saturating_sub(1),
            Command::Down => v.row = (v.row + 1).min(n_rows.saturating_sub(1)),
            Command::PageUp => v.row = v.row.saturating_sub(page),
            Command::PageDown => v.row = (v.row + page).min(n_rows.saturating_sub(1)),
            Command::Top => v.row = 0,
            Command::Bottom => v.row = n_rows.saturating_sub(1),
            Command::Left => v.col = v.col.saturating_sub(1),
            Command::Right => v.col = (v.col + 1).min(n_cols.saturating_sub(1)),
            Command::Sort => {
                v.sort = match v.sort {
                    Some((c, false)) if c == v.col => Some((c, true)),
                    Some((c, true)) if c == v.col => None,
                    _ => Some((v.col, false)),
                };
                v.row = 0;
            }
            Command::Enter => v.editing = false,
            Command::Back => {
                if v.editing {
                    v.editing = false;
                } else if !v.filter.is_empty() {
                    v.filter.clear();
                } else {
                    v.in_list = true;
                }
            }
            _ => {}
        }
    }

    fn input(&mut self, c: Option<char>) {
        if self.pane == Pane::Eda && self.eda_view.editing {
            match c {
                Some(ch) => self.eda_view.filter.push(ch),
                None => {
                    self.eda_view.filter.pop();
                }
            }
            self.eda_view.row = 0;
        } else if self.pane == Pane::Lookup && self.lookup.editing {
            match c {
                Some(ch) => self.lookup.query.push(ch),
                None => {
                    self.lookup.query.pop();
                }
            }
            self.refresh_matches();
        }
    }

    // --- Trends --------------------------------------------------------------------------

    /// The series of the chosen group (overall, regions or categories).
    pub fn trend_series(&self) -> Vec<&Series> {
        let Some(t) = self.trends.ready() else {
            return vec![];
        };
        match self.trends_view.group {
            1 => t.by_region.iter().collect(),
            2 => t.by_category.iter().collect(),
            _ => vec![&t.overall],
        }
    }

    fn trends_command(&mut self, c: Command) {
        let n = self.trend_series().len();
        let v = &mut self.trends_view;
        match c {
            Command::Left => {
                v.group = (v.group + 2) % 3;
                v.offset = 0;
            }
            Command::Right => {
                v.group = (v.group + 1) % 3;
                v.offset = 0;
            }
            Command::Up => v.metric = (v.metric + 2) % 3,
            Command::Down => v.metric = (v.metric + 1) % 3,
            Command::PageDown => v.offset = (v.offset + 1).min(n.saturating_sub(1)),
            Command::PageUp => v.offset = v.offset.saturating_sub(1),
            _ => {}
        }
    }

    // --- Segments ------------------------------------------------------------------------

    fn request_segments(&mut self) -> Vec<Effect> {
        if self.features.ready().is_none() {
            return vec![];
        }
        self.seg.generation += 1;
        self.seg.pending = Some(self.seg.generation);
        self.seg.members = None;
        let mut fx = vec![Effect::Segments {
            generation: self.seg.generation,
            k: self.seg.k,
            algo: self.seg.algo,
            features: self.seg.features_spec().to_string(),
            scaler: self.seg.scaler,
        }];
        if self.seg.migration {
            fx.extend(self.request_migration());
        }
        fx
    }

    fn request_sweep(&mut self) -> Vec<Effect> {
        let key = self.seg.sweep_key();
        if self.seg.sweeps.contains_key(&key) || self.features.ready().is_none() {
            return vec![];
        }
        self.seg.sweeps.insert(key.clone(), Slot::Waiting);
        vec![Effect::Sweep {
            key,
            algo: self.seg.algo,
            features: self.seg.features_spec().to_string(),
            scaler: self.seg.scaler,
        }]
    }

    fn request_migration(&mut self) -> Vec<Effect> {
        let key = self.seg.migration_key();
        if self.seg.migrations.contains_key(&key) {
            return vec![];
        }
        self.seg.migrations.insert(key.clone(), Slot::Waiting);
        vec![Effect::Migration {
            key,
            k: self.seg.k,
            algo: self.seg.algo,
            features: self.seg.features_spec().to_string(),
            scaler: self.seg.scaler,
        }]
    }

    fn set_k(&mut self, k: usize) -> Vec<Effect> {
        let max = self
            .features
            .ready()
            .map_or(10, |f| f.features.len().saturating_sub(1))
            .clamp(2, 20);
        let k = k.clamp(2, max);
        if k == self.seg.k
            && self.seg.result.as_ref().is_some_and(|r| r.seg.k == k)
            && self.seg.pending.is_none()
        {
            return vec![];
        }
        self.seg.k = k;
        self.request_segments()
    }

    /// Customers of segment `s` (0-based), biggest spenders first.
    pub fn members(&self, s: usize) -> Vec<usize> {
        let (Some(r), Some(f)) = (&self.seg.result, self.features.ready()) else {
            return vec![];
        };
        let mut m: Vec<usize> = (0..r.seg.labels.len())
            .filter(|&i| r.seg.labels[i] == s)
            .collect();
        if let Some(j) = f.features.column(names::MONETARY) {
            m.sort_by(|&a, &b| {
                f.features.raw[[b, j]]
                    .total_cmp(&f.features.raw[[a, j]])
                    .then(a.cmp(&b))
            });
        }
        m
    }

    fn segments_command(&mut self, c: Command) -> Vec<Effect> {
        let k = self.seg.result.as_ref().map_or(0, |r| r.seg.groups());
        match c {
            Command::KUp => return self.set_k(self.seg.k + 1),
            Command::SetK(k) => return self.set_k(usize::from(k)),
            Command::KDown => return self.set_k(self.seg.k.saturating_sub(1)),
            Command::ToggleAlgo => {
                self.seg.algo = self.seg.algo.next();
                let mut fx = self.request_segments();
                fx.extend(self.request_sweep());
                return fx;
            }
            Command::CycleScaler => {
                self.seg.scaler = match self.seg.scaler {
                    ScalerKind::Robust => ScalerKind::Standard,
                    ScalerKind::Standard => ScalerKind::None,
                    ScalerKind::None => ScalerKind::Robust,
                };
                let mut fx = self.request_segments();
                fx.extend(self.request_sweep());
                return fx;
            }
            Command::CycleFeatures => {
                self.seg.features = (self.seg.features + 1) % FEATURE_SETS.len();
                let mut fx = self.request_segments();
                fx.extend(self.request_sweep());
                return fx;
            }
            Command::Migration => {
                self.seg.migration = !self.seg.migration;
                if self.seg.migration {
                    return self.request_migration();
                }
            }
            _ => {}
        }
        let page = self.page();
        match self.seg.members {
            Some(row) => {
                let n = self.members(self.seg.row).len();
                match c {
                    Command::Up => self.seg.members = Some(row.saturating_sub(1)),
                    Command::Down => self.seg.members = Some((row + 1).min(n.saturating_sub(1))),
                    Command::PageUp => self.seg.members = Some(row.saturating_sub(page)),
                    Command::PageDown => {
                        self.seg.members = Some((row + page).min(n.saturating_sub(1)))
                    }
                    Command::Top => self.seg.members = Some(0),
                    Command::Bottom => self.seg.members = Some(n.saturating_sub(1)),
                    Command::Back => self.seg.members = None,
                    Command::Enter => {
                        if let Some(&who) = self.members(self.seg.row).get(row) {
                            self.open_customer(who, true);
                        }
                    }
                    _ => {}
                }
            }
            None => match c {
                Command::Up => self.seg.row = self.seg.row.saturating_sub(1),
                Command::Down => self.seg.row = (self.seg.row + 1).min(k.saturating_sub(1)),
                Command::Top => self.seg.row = 0,
                Command::Bottom => self.seg.row = k.saturating_sub(1),
                Command::Enter if k > 0 && !self.seg.migration => self.seg.members = Some(0),
                Command::Back => self.seg.migration = false,
                _ => {}
            },
        }
        vec![]
    }

    // --- Lookup --------------------------------------------------------------------------

    fn refresh_matches(&mut self) {
        let Some(index) = self.index.ready() else {
            return;
        };
        let q = self.lookup.query.trim();
        self.lookup.matches = if q.is_empty() {
            (0..index.ids.len()).collect()
        } else {
            let pattern = Pattern::parse(q, CaseMatching::Ignore, Normalization::Smart);
            let mut matcher = Matcher::new(Config::DEFAULT);
            let labels: Vec<(usize, &str)> = index
                .labels
                .iter()
                .map(String::as_str)
                .enumerate()
                .collect();
            let mut hits: Vec<(usize, u32)> = Vec::new();
            let mut buf = Vec::new();
            for (i, label) in labels {
                if let Some(score) =
                    pattern.score(nucleo_matcher::Utf32Str::new(label, &mut buf), &mut matcher)
                {
                    hits.push((i, score));
                }
            }
            hits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            hits.into_iter().map(|h| h.0).collect()
        };
        self.lookup.row = 0;
    }

    /// Opens a customer on the card; `fresh` starts a new path (from a search or a segment).
    pub fn open_customer(&mut self, who: usize, fresh: bool) {
        if fresh {
            self.lookup.path.clear();
        }
        self.lookup.path.push(who);
        self.lookup.editing = false;
        self.lookup.lookalike_row = 0;
        self.pane = Pane::Lookup;
        self.refresh_card();
    }

    fn lookup_command(&mut self, c: Command) {
        let l = &mut self.lookup;
        // The match list has the keys while typing or when no customer is open.
        if l.editing || l.path.is_empty() {
            let n = l.matches.len();
            match c {
                Command::Up => l.row = l.row.saturating_sub(1),
                Command::Down => l.row = (l.row + 1).min(n.saturating_sub(1)),
                Command::PageUp => l.row = l.row.saturating_sub(10),
                Command::PageDown => l.row = (l.row + 10).min(n.saturating_sub(1)),
                Command::Top => l.row = 0,
                Command::Bottom => l.row = n.saturating_sub(1),
                Command::Enter => {
                    if let Some(&who) = l.matches.get(l.row) {
                        self.open_customer(who, true);
                    }
                }
                Command::Back => l.editing = false,
                _ => {}
            }
            return;
        }
        let n = l.card.as_ref().map_or(0, |c| c.lookalikes.len());
        match c {
            Command::Up => l.lookalike_row = l.lookalike_row.saturating_sub(1),
            Command::Down => l.lookalike_row = (l.lookalike_row + 1).min(n.saturating_sub(1)),
            Command::Enter => {
                if let Some(&(who, _, _)) = l
                    .card
                    .as_ref()
                    .and_then(|c| c.lookalikes.get(l.lookalike_row))
                {
                    self.open_customer(who, false);
                }
            }
            Command::Back => {
                l.path.pop();
                l.lookalike_row = 0;
                self.refresh_card();
            }
            _ => {}
        }
    }

    fn refresh_card(&mut self) {
        self.lookup.card = self
            .lookup
            .path
            .last()
            .and_then(|&who| self.build_card(who));
    }

    fn build_card(&self, who: usize) -> Option<Card> {
        let index = self.index.ready()?;
        let f = self.features.ready()?;
        let id = index.ids.get(who)?.clone();
        let row = f.features.ids.binary_search(&id).ok()?;
        let raw = |name: &str| {
            f.features
                .column(name)
                .map_or(0.0, |j| f.features.raw[[row, j]])
        };
        let segment = self.seg.result.as_ref().and_then(|r| {
            let s = *r.seg.labels.get(row)?;
            Some((s + 1, r.seg.profiles.get(s)?.persona.clone()))
        });
        let months: Vec<String> = match self.trends.ready() {
            Some(t) => t.months.clone(),
            None => vec![],
        };
        // The space of the segmentation on screen (its feature set and scaler), else the
        // default set's.
        let space = self
            .seg
            .result
            .as_ref()
            .map_or(&*f.similarity, |r| &r.seg.similarity);
        let lookalikes = lookalike::nearest(space, row, 5)
            .into_iter()
            .filter_map(|m| {
                let other = f.features.ids.get(m.index)?;
                Some((index.position(other)?, other.clone(), m.score))
            })
            .collect();
        Some(Card {
            index: who,
            id,
            name: index.names.get(who).cloned().flatten(),
            recency_days: raw(names::RECENCY_DAYS),
            frequency: raw(names::FREQUENCY),
            monetary: raw(names::MONETARY),
            segment,
            monthly_spend: index.monthly_spend(who, &months),
            months,
            top_categories: index.top_categories(who).into_iter().take(3).collect(),
            latest: index.purchases(who).iter().take(5).cloned().collect(),
            lookalikes,
        })
    }

    // --- export --------------------------------------------------------------------------

    /// The table on screen, as it is shown (filtered and sorted), for `e`.
    pub fn visible_table(&self) -> Option<Table> {
        match self.pane {
            Pane::Overview => self.eda.ready()?.tables.first().cloned(),
            Pane::Eda => {
                let (t, rows) = self.eda_rows()?;
                Some(Table {
                    rows: rows.iter().map(|&i| t.rows[i].clone()).collect(),
                    ..t.clone()
                })
            }
            Pane::Trends => {
                let t = self.trends.ready()?;
                let series = self.trend_series();
                let mut columns = vec!["month".to_string()];
                columns.extend(series.iter().map(|s| s.name.clone()));
                let metric = ["revenue", "orders", "active_customers"][self.trends_view.metric];
                let mut table = Table {
                    name: format!("monthly_{metric}"),
                    title: format!("Monthly {metric}"),
                    columns,
                    rows: vec![],
                };
                for (i, m) in t.months.iter().enumerate() {
                    let mut row = vec![Value::text(m)];
                    for s in &series {
                        let v =
                            [&s.revenue, &s.orders, &s.active_customers][self.trends_view.metric];
                        row.push(Value::Num(v.get(i).copied().unwrap_or(0.0)));
                    }
                    table.push(row);
                }
                Some(table)
            }
            Pane::Segments => {
                if self.seg.migration {
                    let m = self
                        .seg
                        .migrations
                        .get(&self.seg.migration_key())?
                        .ready()?;
                    return Some(m.count_table());
                }
                let r = self.seg.result.as_ref()?;
                if self.seg.members.is_some() {
                    let index = self.index.ready()?;
                    let mut t = Table::new(
                        "segment_members",
                        "Segment members",
                        &["CustomerID", "name"],
                    );
                    for who in self.members(self.seg.row) {
                        let id = r.seg.ids[who].clone();
                        let name = index
                            .position(&id)
                            .and_then(|i| index.names[i].clone())
                            .unwrap_or_default();
                        t.push(vec![Value::text(id), Value::text(name)]);
                    }
                    return Some(t);
                }
                Some(crate::analysis::segment::profile_table(&r.seg))
            }
            Pane::Lookup => {
                let card = self.lookup.card.as_ref()?;
                let mut t = Table::new(
                    "lookalikes",
                    &format!("Lookalikes of {}", card.id),
                    &["rank", "customer", "score"],
                );
                for (i, (_, id, score)) in card.lookalikes.iter().enumerate() {
                    t.push(vec![
                        Value::count(i + 1),
                        Value::text(id),
                        Value::Num(*score),
                    ]);
                }
                Some(t)
            }
        }
    }
}
