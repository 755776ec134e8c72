//! Everything a key or a worker result can cause.

use std::sync::Arc;

use ndarray::Array2;

use crate::analysis::customers::CustomerIndex;
use crate::analysis::eda::Eda;
use crate::analysis::features::CustomerFeatures;
use crate::analysis::migrate::Migration;
use crate::analysis::segment::{Segmentation, Sweep};
use crate::analysis::trends::Trends;

/// The bindable commands (names used in the config file's [keys] table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Quit,
    NextPane,
    PrevPane,
    Pane(u8),
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Search,
    Help,
    Export,
    Enter,
    Back,
    KUp,
    KDown,
    /// K = n, in the Segments pane only (its keys are free elsewhere: digits switch panes).
    SetK(u8),
    ToggleAlgo,
    CycleFeatures,
    CycleScaler,
    Sort,
    Migration,
    /// The slice bar: narrow every pane to a region, category, product or dates.
    Slice,
    /// Back to the data the app opened with.
    ClearSlice,
    /// The Segments pane's view: profiles → scatter → silhouette.
    CycleView,
    /// Compare the selected segment with another (or with everyone).
    Compare,
    /// The trends cursor one month back / on.
    MonthPrev,
    MonthNext,
    /// The selected row (or the card's customer id) to the clipboard.
    Copy,
    /// The visible table, as TSV, to the clipboard.
    CopyTable,
}

/// A result handed to the worker as it is: equal when it is the same one (effects compare in
/// tests without comparing every matrix).
#[derive(Clone)]
pub struct Shared<T>(pub Arc<T>);

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared(..)")
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A segmentation plus what the pane shows with it.
#[derive(Clone, Debug)]
pub struct SegResult {
    pub seg: Segmentation,
    /// Adjusted Rand index with the other algorithm, and the rows compared.
    pub agreement: Option<(f64, usize)>,
    pub features_spec: String,
}

/// Features, plus the default feature set scaled for lookalikes (before the first
/// segmentation brings the one in use).
#[derive(Clone, Debug)]
pub struct FeaturesReady {
    pub features: Arc<CustomerFeatures>,
    pub similarity: Arc<Array2<f64>>,
}

/// What can happen to the app.
#[derive(Clone, Debug)]
pub enum Action {
    /// A key press from the terminal (mapped to a Command or typed into a field).
    Key(crossterm::event::KeyEvent),
    Command(Command),
    /// A typed character while a text field has focus.
    Input(char),
    /// Backspace in a text field.
    DeleteChar,
    Resize(u16, u16),
    /// A mouse event (only with `mouse = true` in the config).
    Mouse(crossterm::event::MouseEvent),
    /// The dataset finished loading in the background.
    Loaded(Arc<crate::data::LoadReport>),
    DrillReady {
        key: String,
        result: Result<Arc<Eda>, String>,
    },
    SegmentViewsReady {
        key: String,
        result: Result<Arc<crate::analysis::projection::SegmentViews>, String>,
    },
    /// The slice bar's dataset, made off the UI thread (or why it cannot be), with what it is.
    SliceMade {
        result: Result<Shared<crate::data::Dataset>, String>,
        description: Option<String>,
    },
    /// The clipboard took the text (what was copied) or could not be written.
    Copied(Result<String, String>),
    /// Loading failed: the app closes and the error is printed as by the headless commands
    /// (`input`: bad input, exit code 2).
    LoadFailed {
        message: String,
        input: bool,
    },
    EdaReady(Result<Arc<Eda>, String>),
    TrendsReady(Result<Arc<Trends>, String>),
    IndexReady(Result<Arc<CustomerIndex>, String>),
    FeaturesReady(Result<FeaturesReady, String>),
    SegmentsReady {
        generation: u64,
        result: Result<Arc<SegResult>, String>,
    },
    /// RFM, lifetime value and cohorts, for the Value pane and the card.
    ValueReady(Result<Arc<crate::analysis::value::ValueReport>, String>),
    SweepReady {
        key: String,
        result: Result<Arc<Sweep>, String>,
    },
    MigrationReady {
        key: String,
        result: Result<Arc<Migration>, String>,
    },
    /// A CSV export finished (the path) or failed (the message).
    Exported(Result<String, String>),
    /// Ctrl-Z or SIGTSTP: give the terminal back and stop until resumed (the run loop
    /// handles it; the state does not change).
    Suspend,
    /// SIGCONT: the process runs again (after `fg`): take the terminal back and redraw.
    Resume,
}

/// Slow work the app asks the runner to start; results come back as Actions.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Segments {
        generation: u64,
        k: usize,
        algo: crate::analysis::segment::Algo,
        features: String,
        scaler: crate::analysis::features::ScalerKind,
    },
    Sweep {
        key: String,
        algo: crate::analysis::segment::Algo,
        features: String,
        scaler: crate::analysis::features::ScalerKind,
    },
    Migration {
        key: String,
        k: usize,
        algo: crate::analysis::segment::Algo,
        features: String,
        scaler: crate::analysis::features::ScalerKind,
    },
    ExportCsv(crate::analysis::Table),
    /// Every pane on a slice of the data the app opened with (no filters: all of it).
    Slice(crate::data::filter::Filters),
    /// The scatter and silhouette pictures of the segmentation on screen.
    SegmentViews {
        key: String,
        result: Shared<SegResult>,
    },
    /// The EDA tables of a slice (a drill into a region, category, product or month).
    Drill {
        key: String,
        filters: crate::data::filter::Filters,
    },
    /// Text for the terminal's clipboard (OSC 52), and what it is, for the status line.
    Copy {
        text: String,
        what: String,
    },
    /// RFM, lifetime value and cohorts (once, after the features).
    Value,
    Quit,
}
