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
                self.seg.features = (self.seg.features + 1) % self.feature_sets_here();
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
}
