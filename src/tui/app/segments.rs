//! The Segments pane's state and keys: K, algorithm, feature set, scaler, members, migration,
//! and the requests they make of the worker.

use super::*;

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
    /// What the pane shows: the profiles, the scatter or the silhouette plot.
    pub view: SegmentsView,
    /// The pictures of the segmentation on screen, by its settings (both phases of one fit
    /// share them).
    pub views: Option<(String, Slot<Arc<SegmentViews>>)>,
    /// The segment picked to compare against (0-based; the segment count means everyone).
    pub compare: Option<usize>,
}

/// The Segments pane's views, cycled by `v`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SegmentsView {
    #[default]
    Profiles,
    Scatter,
    Silhouette,
}

impl SegmentsView {
    pub fn next(self) -> SegmentsView {
        match self {
            SegmentsView::Profiles => SegmentsView::Scatter,
            SegmentsView::Scatter => SegmentsView::Silhouette,
            SegmentsView::Silhouette => SegmentsView::Profiles,
        }
    }
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

impl App {
    pub(super) fn request_segments(&mut self) -> Vec<Effect> {
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

    /// A segmentation arrived: shown if it answers the newest request (older ones are
    /// dropped); the card and the pictures follow it.
    pub(super) fn segments_ready(
        &mut self,
        generation: u64,
        result: Result<Arc<SegResult>, String>,
    ) -> Vec<Effect> {
        if generation != self.seg.generation {
            return vec![];
        }
        self.seg.pending = None;
        match result {
            Ok(r) => {
                self.seg.row = self.seg.row.min(r.seg.groups().saturating_sub(1));
                if self.seg.compare.is_some_and(|c| c >= r.seg.groups()) {
                    self.seg.compare = None;
                }
                self.seg.result = Some(r);
                self.seg.error = None;
            }
            Err(e) => self.seg.error = Some(e),
        }
        self.refresh_card();
        self.request_views()
    }

    /// The pictures for the scatter and silhouette views, once per segmentation.
    pub(super) fn request_views(&mut self) -> Vec<Effect> {
        if self.seg.view == SegmentsView::Profiles {
            return vec![];
        }
        let Some(result) = self.seg.result.clone() else {
            return vec![];
        };
        let key = self.seg.migration_key();
        if self.seg.views.as_ref().is_some_and(|(k, _)| *k == key) {
            return vec![];
        }
        self.seg.views = Some((key.clone(), Slot::Waiting));
        vec![Effect::SegmentViews {
            key,
            result: Shared(result),
        }]
    }

    /// The pictures of the segmentation on screen, if they are for it.
    pub fn segment_views(&self) -> Option<&Slot<Arc<SegmentViews>>> {
        let (key, slot) = self.seg.views.as_ref()?;
        (*key == self.seg.migration_key()).then_some(slot)
    }

    pub(super) fn request_sweep(&mut self) -> Vec<Effect> {
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

    pub(super) fn request_migration(&mut self) -> Vec<Effect> {
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

    pub(super) fn set_k(&mut self, k: usize) -> Vec<Effect> {
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

    pub(super) fn segments_command(&mut self, c: Command) -> Vec<Effect> {
        if let Some(fx) = self.segment_settings(c) {
            return fx;
        }
        match self.seg.members {
            Some(row) => self.member_keys(c, row),
            None => self.segment_row_keys(c),
        }
        vec![]
    }

    /// K, algorithm, scaler, feature set, migration, view and compare: the keys that change
    /// what is computed or shown (None for the others).
    fn segment_settings(&mut self, c: Command) -> Option<Vec<Effect>> {
        let rerun = |app: &mut App| {
            let mut fx = app.request_segments();
            fx.extend(app.request_sweep());
            fx
        };
        Some(match c {
            Command::KUp => self.set_k(self.seg.k + 1),
            Command::SetK(k) => self.set_k(usize::from(k)),
            Command::KDown => self.set_k(self.seg.k.saturating_sub(1)),
            Command::ToggleAlgo => {
                self.seg.algo = self.seg.algo.next();
                rerun(self)
            }
            Command::CycleScaler => {
                self.seg.scaler = match self.seg.scaler {
                    ScalerKind::Robust => ScalerKind::Standard,
                    ScalerKind::Standard => ScalerKind::None,
                    ScalerKind::None => ScalerKind::Robust,
                };
                rerun(self)
            }
            Command::CycleFeatures => {
                self.seg.features = (self.seg.features + 1) % self.feature_sets_here();
                rerun(self)
            }
            Command::Migration => {
                self.seg.migration = !self.seg.migration;
                if self.seg.migration {
                    self.request_migration()
                } else {
                    vec![]
                }
            }
            Command::CycleView => {
                self.seg.view = self.seg.view.next();
                self.seg.members = None;
                self.request_views()
            }
            Command::Compare => {
                self.seg.compare = match self.seg.compare {
                    None => Some(self.seg.row),
                    Some(_) => None,
                };
                vec![]
            }
            _ => return None,
        })
    }

    /// Moving through a segment's member list; Enter opens the customer.
    fn member_keys(&mut self, c: Command, row: usize) {
        let page = self.page();
        let n = self.members(self.seg.row).len();
        let last = n.saturating_sub(1);
        self.seg.members = match c {
            Command::Up => Some(row.saturating_sub(1)),
            Command::Down => Some((row + 1).min(last)),
            Command::PageUp => Some(row.saturating_sub(page)),
            Command::PageDown => Some((row + page).min(last)),
            Command::Top => Some(0),
            Command::Bottom => Some(last),
            Command::Back => None,
            Command::Enter => {
                if let Some(&who) = self.members(self.seg.row).get(row) {
                    self.open_customer(who, true);
                }
                Some(row)
            }
            _ => Some(row),
        };
    }

    /// Moving through the segments; Enter lists the members, Back leaves the migration view
    /// or the comparison.
    fn segment_row_keys(&mut self, c: Command) {
        let k = self.seg.result.as_ref().map_or(0, |r| r.seg.groups());
        match c {
            Command::Up => self.seg.row = self.seg.row.saturating_sub(1),
            Command::Down => self.seg.row = (self.seg.row + 1).min(k.saturating_sub(1)),
            Command::Top => self.seg.row = 0,
            Command::Bottom => self.seg.row = k.saturating_sub(1),
            Command::Enter if k > 0 && !self.seg.migration => self.seg.members = Some(0),
            Command::Back if self.seg.compare.is_some() => self.seg.compare = None,
            Command::Back => self.seg.migration = false,
            _ => {}
        }
    }
}
