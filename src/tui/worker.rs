//! Slow work off the UI thread. Each job is a plain function (tests call them directly); the
//! Worker runs them on background threads and sends the results back as Actions.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, OnceLock};

use crate::analysis::customers::CustomerIndex;
use crate::analysis::features::{CustomerFeatures, ScalerKind, customer_features};
use crate::analysis::grouped::Keys;
use crate::analysis::segment::{self, Algo, SegmentParams, Segmentation};
use crate::analysis::{eda, migrate, trends};
use crate::data::{DataSource, Dataset};

use super::action::{Action, Effect, FeaturesReady, SegResult};

fn msg(e: anyhow::Error) -> String {
    crate::error::first_line(&e)
}

pub fn eda_job(ds: &Dataset) -> Action {
    Action::EdaReady(eda::table_overview(ds).map(Arc::new).map_err(msg))
}

pub fn trends_job(ds: &Dataset) -> Action {
    Action::TrendsReady(trends::trends(ds).map(Arc::new).map_err(msg))
}

/// The EDA tables, then the trends, of materialized lines, sharing the lines' keys.
fn tables_and_trends(ds: &Dataset, out: &Sender<Action>) {
    let keys = match Keys::build(ds) {
        Ok(keys) => keys,
        Err(e) => {
            let _ = out.send(Action::EdaReady(Err(msg(e))));
            let _ = out.send(trends_job(ds));
            return;
        }
    };
    let eda = eda::table_overview_with(ds, keys.as_ref());
    let _ = out.send(Action::EdaReady(eda.map(Arc::new).map_err(msg)));
    let trends = trends::trends_with(ds, keys.as_ref());
    let _ = out.send(Action::TrendsReady(trends.map(Arc::new).map_err(msg)));
}

pub fn index_job(ds: &Dataset) -> Action {
    Action::IndexReady(CustomerIndex::build(ds).map(Arc::new).map_err(msg))
}

/// The default feature set's name: the card's lookalikes and the first segments use it.
const DEFAULT_FEATURES: &str = "rfm+";

pub fn features_job(ds: &Dataset) -> Result<FeaturesReady, String> {
    features_and_matrix(ds).map(|(ready, _)| ready)
}

/// Features, plus the default set's scaled matrix (the segment loop keeps it, so start-up
/// scales it once).
fn features_and_matrix(ds: &Dataset) -> Result<(FeaturesReady, Scaled), String> {
    let f = customer_features(ds).map_err(msg)?;
    // Lookalikes on the card use the default feature set, scaled as the segments are (without
    // the clustering's limits), until the first segmentation brings the set in use.
    let scaled = f
        .scaled(DEFAULT_FEATURES, ScalerKind::Robust)
        .map_err(msg)?;
    let ready = FeaturesReady {
        similarity: Arc::new(scaled.0.apply(&f.raw_matrix(&scaled.0.features))),
        features: Arc::new(f),
    };
    Ok((ready, scaled))
}

use crate::analysis::service::{Scaled, Service};

fn params(k: usize, algo: Algo, features: &str, scaler: ScalerKind) -> SegmentParams {
    SegmentParams {
        k,
        algo,
        seed: segment::DEFAULT_SEED,
        features: features.to_string(),
        scaler,
    }
}

/// Runs one effect to completion (the Segments, Sweep and Migration effects).
pub fn run_effect(ds: &Dataset, f: &CustomerFeatures, effect: &Effect) -> Option<Action> {
    match effect {
        Effect::Segments {
            generation,
            k,
            algo,
            features,
            scaler,
        } => {
            let result = Service::new(f)
                .fit_scored(&params(*k, *algo, features, *scaler))
                .map_err(msg);
            Some(segments_ready(*generation, features, result))
        }
        Effect::Sweep {
            key,
            algo,
            features,
            scaler,
        } => Some(sweep_job(f, key, &params(2, *algo, features, *scaler))),
        Effect::Migration {
            key,
            k,
            algo,
            features,
            scaler,
        } => Some(migration_job(
            ds,
            key,
            &params(*k, *algo, features, *scaler),
        )),
        Effect::Value => Some(Action::ValueReady(
            crate::analysis::value::ValueReport::build(ds, f)
                .map(|v| Arc::new(v.compact()))
                .map_err(msg),
        )),
        Effect::SegmentViews { key, result } => Some(Action::SegmentViewsReady {
            key: key.clone(),
            result: crate::analysis::projection::views(&result.0.seg)
                .map(Arc::new)
                .map_err(msg),
        }),
        Effect::Drill { key, filters } => Some(drill_job(ds, key, filters)),
        Effect::ExportCsv(_) | Effect::Copy { .. } | Effect::Slice(_) | Effect::Quit => None,
    }
}

/// A segmentation (with its agreement index once scored) as the app receives it.
fn segments_ready(
    generation: u64,
    features: &str,
    result: Result<(Segmentation, Option<(f64, usize)>), String>,
) -> Action {
    Action::SegmentsReady {
        generation,
        result: result.map(|(seg, agreement)| {
            Arc::new(SegResult {
                seg,
                agreement,
                features_spec: features.to_string(),
            })
        }),
    }
}

/// The K sweep from 2 to at most 10 (and fewer than the customers), on `p`'s features.
fn sweep_job(f: &CustomerFeatures, key: &str, p: &SegmentParams) -> Action {
    let max = f.len().saturating_sub(1).min(10);
    let result = segment::sweep(f, p, 2, max.max(2))
        .map(Arc::new)
        .map_err(msg);
    Action::SweepReady {
        key: key.to_string(),
        result,
    }
}

/// The migration between the segments at the chosen split and at the end of the data.
fn migration_job(ds: &Dataset, key: &str, p: &SegmentParams) -> Action {
    let result = migrate::choose_split(ds, None)
        .and_then(|split| migrate::migrate(ds, p, split))
        .map(Arc::new)
        .map_err(msg);
    Action::MigrationReady {
        key: key.to_string(),
        result,
    }
}

/// The EDA tables of one slice of the data, for a drill-down.
fn drill_job(ds: &Dataset, key: &str, filters: &crate::data::filter::Filters) -> Action {
    let result = ds
        .clone()
        .filtered(filters)
        .and_then(|slice| eda::table_overview(&slice))
        .map(Arc::new)
        .map_err(msg);
    Action::DrillReady {
        key: key.to_string(),
        result,
    }
}

/// RFM and cohorts as soon as they are made, then the same with the lifetime-value fit (the
/// slow part), so the Value pane fills in without waiting for the optimiser.
/// `done` opens when the job is over, however it ends.
fn value_in_two_steps(ds: &Dataset, f: &CustomerFeatures, out: &Sender<Action>, done: OpenOnDrop) {
    use crate::analysis::value::ValueReport;
    let (first, days) = match ValueReport::first(ds, f) {
        Ok(x) => x,
        Err(e) => {
            let _ = out.send(Action::ValueReady(Err(msg(e))));
            return;
        }
    };
    // Compact before the fit: the full RFM vectors need not be held through it.
    let first = first.compact();
    let _ = out.send(Action::ValueReady(Ok(Arc::new(first.clone()))));
    let whole = first.with_clv(&days, &f.ids).compact();
    let _ = out.send(Action::ValueReady(Ok(Arc::new(whole))));
    drop(days);
    release_free_memory();
    drop(done);
}

/// What the worker starts from: a dataset already loaded, or one to load in the background
/// (so the first frame does not wait for it).
pub enum Start {
    Loaded(Box<Dataset>),
    Load(DataSource, Box<crate::data::LoadOptions>),
}

/// Returns memory malloc holds but no one uses to the system (glibc; elsewhere a no-op).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only releases free memory; it is safe from any thread.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Background threads for one dataset.
pub struct Worker {
    segments: Sender<Effect>,
    ds: Arc<OnceLock<Dataset>>,
    features: Arc<OnceLock<Arc<CustomerFeatures>>>,
    out: Sender<Action>,
    gate: Gate,
    /// Opened once the Value pane's work is done: the K sweep waits for it too, so the two
    /// jobs' working memory is never held at once (the sweep has no one waiting on it).
    value_gate: Gate,
    /// Opened when the tables, trends and lookup index are made: the Value pane's job waits
    /// for it, for the same reason.
    tables_done: Gate,
}

/// Loads (if needed) and joins the lines once, then starts the jobs.
fn start_jobs(
    start: Start,
    out: Sender<Action>,
    ds_slot: Arc<OnceLock<Dataset>>,
    features: Arc<OnceLock<Arc<CustomerFeatures>>>,
    rx: Receiver<Effect>,
    gate: Gate,
    tables_done: OpenOnDrop,
) {
    let loaded = match start {
        Start::Loaded(ds) => Ok(*ds),
        Start::Load(source, opts) => {
            let _t = crate::timing::phase("tui load");
            crate::data::load(&source, &opts)
        }
    }
    .and_then(|ds| ds.materialized());
    let ds = match loaded {
        Ok(ds) => ds,
        Err(e) => {
            gate.open();
            let _ = out.send(Action::LoadFailed {
                input: crate::error::is_input(&e),
                message: msg(e),
            });
            return;
        }
    };
    let _ = ds_slot.set(ds.clone());
    let _ = out.send(Action::Loaded(Arc::new(ds.report.clone())));
    // The load's buffers are free now; hand them back, or each malloc arena would keep its
    // own and the jobs' memory would stack on top of the load's peak.
    release_free_memory();
    // Two chains on the two cores: the tables (overview first), the trends and the lookup's
    // index; and features, then segments. Running all the jobs at once finished no sooner
    // and held all their memory at once.
    {
        let (ds, out) = (ds.clone(), out.clone());
        std::thread::spawn(move || {
            tables_and_trends(&ds, &out);
            let _ = out.send(index_job(&ds));
            release_free_memory();
            drop(tables_done);
        });
    }
    segment_loop(ds, out, features, rx, gate);
}

impl Worker {
    /// Starts the background work; results arrive on `out` as Actions.
    pub fn start(start: Start, out: Sender<Action>) -> Worker {
        let features: Arc<OnceLock<Arc<CustomerFeatures>>> = Arc::new(OnceLock::new());
        let ds: Arc<OnceLock<Dataset>> = Arc::new(OnceLock::new());
        let (tx, rx) = channel::<Effect>();
        let (gate, tables_done) = (Gate::default(), Gate::default());
        {
            let (out, ds, features, gate) =
                (out.clone(), ds.clone(), features.clone(), gate.clone());
            let done = OpenOnDrop(tables_done.clone());
            std::thread::spawn(move || start_jobs(start, out, ds, features, rx, gate, done));
        }
        Worker {
            segments: tx,
            ds,
            features,
            out,
            gate,
            value_gate: Gate::default(),
            tables_done,
        }
    }

    /// The dataset the worker loaded, once it has (the slice bar's base).
    pub fn dataset(&self) -> Arc<OnceLock<Dataset>> {
        self.ds.clone()
    }

    /// Hands an effect to the right thread.
    pub fn submit(&self, effect: Effect) {
        match effect {
            Effect::Segments { .. } => {
                let _ = self.segments.send(effect);
            }
            Effect::Value => {
                let (ds, out, slot) = (self.ds.clone(), self.out.clone(), self.features.clone());
                let (gate, done) = (self.gate.clone(), OpenOnDrop(self.value_gate.clone()));
                let tables_done = self.tables_done.clone();
                std::thread::spawn(move || {
                    gate.wait();
                    tables_done.wait();
                    if let (Some(ds), Some(f)) = (ds.get(), slot.get()) {
                        value_in_two_steps(ds, f, &out, done);
                    }
                });
            }
            Effect::Drill { key, filters } => {
                let (ds, out) = (self.ds.clone(), self.out.clone());
                std::thread::spawn(move || {
                    if let Some(ds) = ds.get() {
                        let _ = out.send(drill_job(ds, &key, &filters));
                    }
                });
            }
            Effect::SegmentViews { key, result } => {
                let out = self.out.clone();
                std::thread::spawn(move || {
                    let result = crate::analysis::projection::views(&result.0.seg)
                        .map(Arc::new)
                        .map_err(msg);
                    let _ = out.send(Action::SegmentViewsReady { key, result });
                });
            }
            Effect::Sweep { .. } | Effect::Migration { .. } => {
                let (ds, out, slot) = (self.ds.clone(), self.out.clone(), self.features.clone());
                let gate = self.gate.clone();
                let value_gate =
                    matches!(effect, Effect::Sweep { .. }).then(|| self.value_gate.clone());
                std::thread::spawn(move || {
                    gate.wait();
                    if let Some(g) = value_gate {
                        g.wait();
                    }
                    if let (Some(ds), Some(f)) = (ds.get(), slot.get())
                        && let Some(a) = run_effect(ds, f, &effect)
                    {
                        let _ = out.send(a);
                    }
                });
            }
            Effect::ExportCsv(_) | Effect::Copy { .. } | Effect::Slice(_) | Effect::Quit => {}
        }
    }
}

/// Set once the first segmentation is on screen: the K sweep waits for it, so it does not
/// compete for the cores while the panes fill in.
#[derive(Clone, Default)]
pub struct Gate(Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>);

/// Opens its gate when dropped: on every way out of the job that holds it, a panic included.
pub struct OpenOnDrop(Gate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

impl Gate {
    fn open(&self) {
        if let Ok(mut open) = self.0.0.lock() {
            *open = true;
            self.0.1.notify_all();
        }
    }

    fn wait(&self) {
        if let Ok(mut open) = self.0.0.lock() {
            while !*open {
                match self.0.1.wait(open) {
                    Ok(g) => open = g,
                    Err(_) => return,
                }
            }
        }
    }
}

/// Features first, then segment requests (see [`serve_segments`]); other effects that reach
/// this thread run as they come.
fn segment_loop(
    ds: Dataset,
    out: Sender<Action>,
    slot: Arc<OnceLock<Arc<CustomerFeatures>>>,
    rx: Receiver<Effect>,
    gate: Gate,
) {
    let ready = features_and_matrix(&ds);
    let (ready, matrix) = match ready {
        Ok((ready, matrix)) => {
            let _ = slot.set(ready.features.clone());
            (Ok(ready), Some(matrix))
        }
        Err(e) => (Err(e), None),
    };
    let _ = out.send(Action::FeaturesReady(ready));
    let (Some(f), Some(matrix)) = (slot.get().cloned(), matrix) else {
        gate.open();
        return;
    };
    let mut service = Service::new(&f).with_scaled(DEFAULT_FEATURES, ScalerKind::Robust, matrix);
    serve_segments(
        &mut service,
        &rx,
        &out,
        &mut |job| run_effect(&ds, &f, job),
        &|| gate.open(),
    );
}

/// Answers segment requests until the channel closes, always the newest one (older requests
/// are dropped: the app ignores their results anyway). Each result is sent twice: the profile
/// as soon as the fit is done, then scored with the agreement index, unless a newer request
/// is already waiting. `other` runs any other effect; `scored` is called after each scored
/// result (the K sweep waits for the first).
pub fn serve_segments(
    service: &mut Service,
    rx: &Receiver<Effect>,
    out: &Sender<Action>,
    other: &mut dyn FnMut(&Effect) -> Option<Action>,
    scored: &dyn Fn(),
) {
    let mut next: Option<Effect> = None;
    while let Some(job) = latest_request(next.take(), rx) {
        let Effect::Segments {
            generation,
            k,
            algo,
            features,
            scaler,
        } = &job
        else {
            if let Some(a) = other(&job)
                && out.send(a).is_err()
            {
                return;
            }
            continue;
        };
        let request = SegmentsRequest {
            generation: *generation,
            features,
            params: params(*k, *algo, features, *scaler),
        };
        match fit_then_score(service, rx, out, &request, scored) {
            Served::Done => {}
            Served::Newer(newer) => next = Some(newer),
            Served::Closed => return,
        }
    }
}

/// The request to answer: `next` (the one that cut the last fit short) or else the next to
/// arrive, replaced by the newest already waiting; `None` once the channel closes.
fn latest_request(next: Option<Effect>, rx: &Receiver<Effect>) -> Option<Effect> {
    let mut job = match next {
        Some(j) => j,
        None => rx.recv().ok()?,
    };
    while let Ok(newer) = rx.try_recv() {
        job = newer;
    }
    Some(job)
}

/// One `Effect::Segments` request, its parameters built.
struct SegmentsRequest<'a> {
    generation: u64,
    features: &'a str,
    params: SegmentParams,
}

/// How [`fit_then_score`] ended.
enum Served {
    /// Answered (or the fit failed and said so): wait for the next request.
    Done,
    /// A newer request arrived after the profile was sent: answer it, unscored.
    Newer(Effect),
    /// The app is gone.
    Closed,
}

/// Sends the profile as soon as the fit is done, then the scored result unless a newer
/// request is already waiting.
fn fit_then_score(
    service: &mut Service,
    rx: &Receiver<Effect>,
    out: &Sender<Action>,
    request: &SegmentsRequest,
    scored: &dyn Fn(),
) -> Served {
    let send = |result| out.send(segments_ready(request.generation, request.features, result));
    let seg = match service.fit(&request.params) {
        Ok(seg) => seg,
        Err(e) => {
            let _ = send(Err(msg(e)));
            return Served::Done;
        }
    };
    if send(Ok((seg.clone(), None))).is_err() {
        return Served::Closed;
    }
    if let Ok(newer) = rx.try_recv() {
        return Served::Newer(newer);
    }
    if send(Ok(Service::score(seg))).is_err() {
        return Served::Closed;
    }
    scored();
    Served::Done
}
