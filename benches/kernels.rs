//! Criterion benches of the kernels behind the issue #6 targets: feature build, a K-means fit,
//! the silhouette, cosine top-k, and one frame of each pane. `cargo bench --bench kernels`.
//! Data: `segscope sample` at 100k transactions / 10k customers (seed 1), built once per run.

#[path = "../tests/common/tui.rs"]
#[allow(dead_code)]
mod tui_common;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segscope::analysis::features::{CustomerFeatures, ScalerKind, customer_features};
use segscope::analysis::{kmeans, lookalike, metrics, segment};
use segscope::data::{self, DataSource, Dataset};
use segscope::sample::{SampleSpec, generate};
use segscope::tui::app::Pane;
use segscope::tui::theme::Theme;
use segscope::tui::ui;
use std::hint::black_box;

fn dataset() -> (tempfile::TempDir, Dataset) {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = SampleSpec {
        customers: 10_000,
        transactions: 100_000,
        seed: 1,
    };
    generate(spec, dir.path(), true).expect("sample data");
    let ds = data::load(
        &DataSource::Path(dir.path().to_path_buf()),
        &segscope::data::LoadOptions::default(),
    )
    .expect("loads");
    (dir, ds)
}

fn matrix(f: &CustomerFeatures) -> ndarray::Array2<f64> {
    f.scaled("rfm+", ScalerKind::Robust).expect("scales").1
}

fn kernels(c: &mut Criterion) {
    let (_dir, ds) = dataset();
    let f = customer_features(&ds).expect("features");
    let x = matrix(&f);
    let n = x.nrows();
    let mut g = c.benchmark_group("kernels");
    g.sample_size(10);
    g.bench_function(format!("feature build ({n} customers)"), |b| {
        b.iter(|| customer_features(black_box(&ds)).expect("features"))
    });
    g.bench_function(format!("k-means K=4, 10 restarts ({n} rows)"), |b| {
        b.iter(|| kmeans::fit(black_box(&x), 4, 42, 10))
    });
    let labels = segment::fit_labels(&x, 4, segment::Algo::Kmeans, 42)
        .expect("fit")
        .0;
    g.bench_function(format!("silhouette exact ({n} rows)"), |b| {
        b.iter(|| metrics::silhouette(black_box(&x), &labels))
    });
    let unit = lookalike::unit_rows(&x);
    g.bench_function(format!("cosine top-3 of one customer ({n} rows)"), |b| {
        b.iter(|| lookalike::top_n(&unit, unit.row(0), 3, -1.0, &|j| j == 0))
    });
    g.bench_function(format!("cosine top-3 of every customer ({n} rows)"), |b| {
        b.iter(|| lookalike::all_top_n(black_box(&unit), 3, -1.0))
    });
    g.finish();
}

fn frames(c: &mut Criterion) {
    let theme = Theme::load("default", false).expect("theme");
    let mut g = c.benchmark_group("frame 160x48");
    for (pane, name) in [
        (Pane::Overview, "overview"),
        (Pane::Eda, "eda"),
        (Pane::Trends, "trends"),
        (Pane::Segments, "segments"),
        (Pane::Lookup, "lookup"),
    ] {
        let mut app = tui_common::loaded();
        app.pane = pane;
        let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
        g.bench_function(name, |b| {
            b.iter(|| term.draw(|f| ui::draw(f, &app, &theme)).map(|_| ()))
        });
    }
    // The views #16 added, each drawn from state the worker prepared.
    let views: [(&str, &[char]); 4] = [
        ("segments scatter", &['4', 'v']),
        ("segments silhouette", &['4', 'v', 'v']),
        ("segments compare", &['4', 'x']),
        ("eda drilled region", &['2']),
    ];
    for (name, keys) in views {
        let mut app = tui_common::loaded();
        for &k in keys {
            let fx = app.update(tui_common::key(k));
            tui_common::settle(&mut app, fx);
        }
        if name == "eda drilled region" {
            use crossterm::event::KeyCode;
            for k in [KeyCode::Down, KeyCode::Enter, KeyCode::Enter] {
                let fx = app.update(tui_common::code(k));
                tui_common::settle(&mut app, fx);
            }
        }
        let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
        g.bench_function(name, |b| {
            b.iter(|| term.draw(|f| ui::draw(f, &app, &theme)).map(|_| ()))
        });
    }
    g.finish();
}

/// Customer value: the BG/NBD likelihood with its gradient (what every optimiser step
/// evaluates), both fits, RFM scoring and the cohort matrix.
fn value(c: &mut Criterion) {
    use segscope::analysis::value::{clv, cohorts, purchases, rfm};
    let (_dir, ds) = dataset();
    let f = customer_features(&ds).expect("features");
    let days = purchases::purchase_days(&ds).expect("purchase days");
    let summary = clv::summarise(&days, days.last_day);
    let n = summary.ids.len();
    let data = clv::BgNbdData::new(&summary, 0.01);
    let mut g = c.benchmark_group("value");
    g.sample_size(10);
    g.bench_function(
        format!("BG/NBD likelihood and gradient ({n} customers)"),
        |b| b.iter(|| data.cost_and_gradient(black_box(&[-1.0, 1.0, -0.2, 0.9]))),
    );
    g.bench_function(
        format!("BG/NBD + Gamma-Gamma fit and projection ({n} customers)"),
        |b| {
            b.iter(|| {
                clv::clv(
                    black_box(&days),
                    days.last_day,
                    clv::Projection {
                        horizon_days: 365,
                        discount: 0.01,
                    },
                )
            })
        },
    );
    g.bench_function(format!("RFM scores and segments ({n} customers)"), |b| {
        b.iter(|| rfm::rfm(black_box(&f), 5, rfm::Rules::defaults()))
    });
    g.bench_function(format!("cohort matrix ({n} customers)"), |b| {
        b.iter(|| cohorts::cohorts(black_box(&days)))
    });
    g.finish();
}

criterion_group!(benches, kernels, frames, value);
criterion_main!(benches);
