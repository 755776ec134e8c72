//! The TUI's state driven by Actions, without a terminal.

mod common;

use common::tui::*;
use crossterm::event::KeyCode;
use segscope::analysis::Value;
use segscope::tui::action::{Action, Effect};
use segscope::tui::app::{App, Pane};
use segscope::tui::config;

#[test]
fn panes_switch_by_tab_digits_and_back() {
    let mut app = loaded();
    assert_eq!(app.pane, Pane::Overview);
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    assert_eq!(app.pane, Pane::Trends);
    press(&mut app, &[code(KeyCode::BackTab)]);
    assert_eq!(app.pane, Pane::Eda);
    press(&mut app, &[key('5')]);
    assert_eq!(app.pane, Pane::Lookup);
    press(&mut app, &[key('4')]);
    assert_eq!(app.pane, Pane::Segments);
    // In Segments a digit 2-9 is K; 1 still goes home.
    press(&mut app, &[key('3')]);
    assert_eq!(app.pane, Pane::Segments);
    assert_eq!(app.seg.k, 3);
    press(&mut app, &[key('1')]);
    assert_eq!(app.pane, Pane::Overview);
}

#[test]
fn k_rerun_keeps_the_last_result_until_the_new_one_and_ignores_stale_ones() {
    let mut app = loaded();
    press(&mut app, &[key('4')]);
    let before = app.seg.result.clone().unwrap();
    assert_eq!(before.seg.k, 4);
    // '+' asks the worker for K=5 and does not wait for it.
    let fx = app.update(key('+'));
    let generation = app.seg.generation;
    assert_eq!(
        fx,
        vec![Effect::Segments {
            generation,
            k: 5,
            algo: before.seg.algo,
            features: "rfm+".into(),
            scaler: segscope::analysis::features::ScalerKind::Robust,
        }]
    );
    assert_eq!(app.seg.pending, Some(generation));
    assert_eq!(
        app.seg.result.as_ref().unwrap().seg.k,
        4,
        "the old profile stays on screen meanwhile"
    );
    assert!(
        render(&app, 80, 24).contains("computing K = 5"),
        "a visible progress indicator"
    );
    // Keys keep working while it computes.
    press(&mut app, &[code(KeyCode::Tab)]);
    assert_eq!(app.pane, Pane::Lookup);
    press(&mut app, &[code(KeyCode::BackTab)]);
    assert_eq!(app.pane, Pane::Segments);
    // Another '+' supersedes it: the K=5 answer arrives late and is ignored.
    let fx2 = app.update(key('+'));
    let f = app.features.ready().unwrap().features.clone();
    let late = segscope::tui::worker::run_effect(sample(), &f, &fx[0]).unwrap();
    app.update(late);
    assert_eq!(app.seg.result.as_ref().unwrap().seg.k, 4);
    settle(&mut app, fx2);
    assert_eq!(app.seg.result.as_ref().unwrap().seg.k, 6);
    assert_eq!(app.seg.pending, None);
    assert_ne!(
        app.seg.result.as_ref().unwrap().seg.profiles,
        before.seg.profiles
    );
}

#[test]
fn algorithm_and_feature_set_switch_and_segments_list_their_customers() {
    let mut app = loaded();
    press(&mut app, &[key('4'), key('a')]);
    assert_eq!(app.seg.result.as_ref().unwrap().seg.algo.name(), "gmm");
    press(&mut app, &[key('f')]);
    assert_eq!(app.seg.result.as_ref().unwrap().features_spec, "rfm");
    assert_eq!(
        app.seg.result.as_ref().unwrap().seg.transform.features,
        vec!["recency_days", "frequency", "monetary"]
    );
    press(&mut app, &[key('a'), code(KeyCode::Enter)]);
    let members = app.members(0);
    assert_eq!(app.seg.members, Some(0));
    assert_eq!(
        members.len(),
        app.seg.result.as_ref().unwrap().seg.profiles[0].size
    );
    press(&mut app, &[code(KeyCode::Down), code(KeyCode::Enter)]);
    assert_eq!(app.pane, Pane::Lookup);
    let card = app.lookup.card.clone().unwrap();
    assert_eq!(
        card.id,
        app.seg.result.as_ref().unwrap().seg.ids[members[1]]
    );
    assert_eq!(card.segment.as_ref().unwrap().0, 1);
}

#[test]
fn eda_sorts_filters_and_exports_what_is_shown() {
    let mut app = loaded();
    press(
        &mut app,
        &[key('2'), code(KeyCode::Down), code(KeyCode::Enter)],
    );
    let (t, rows) = app.eda_rows().unwrap();
    assert_eq!(t.name, "by_region");
    assert_eq!(rows.len(), 4);
    // Sort by revenue (column 1) ascending, then descending.
    press(&mut app, &[code(KeyCode::Right), key('s')]);
    let (t, rows) = app.eda_rows().unwrap();
    let revenue: Vec<f64> = rows
        .iter()
        .map(|&r| t.rows[r][1].as_f64().unwrap())
        .collect();
    assert!(revenue.windows(2).all(|w| w[0] <= w[1]), "{revenue:?}");
    press(&mut app, &[key('s')]);
    let (t, rows) = app.eda_rows().unwrap();
    assert_eq!(t.rows[rows[0]][0], Value::text("North America"));
    // Filter rows by a typed search.
    press(&mut app, &[key('/')]);
    typed(&mut app, "asia");
    press(&mut app, &[code(KeyCode::Enter)]);
    let shown = app.visible_table().unwrap();
    assert_eq!(shown.rows.len(), 1);
    assert_eq!(shown.rows[0][0], Value::text("Asia"));
    assert!(matches!(app.update(key('e')).as_slice(), [Effect::ExportCsv(t)] if t.rows.len() == 1));
    // Esc clears the filter, then returns to the list.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.eda_rows().unwrap().1.len(), 4);
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.eda_view.in_list);
}

#[test]
fn lookup_searches_opens_follows_lookalikes_and_goes_back() {
    let mut app = loaded();
    press(&mut app, &[key('5'), key('/')]);
    typed(&mut app, "Mia Silva");
    let index = app.index.ready().unwrap().clone();
    let first = app.lookup.matches[0];
    assert!(
        index.labels[first].contains("Mia Silva"),
        "{}",
        index.labels[first]
    );
    assert!(app.lookup.matches.len() < index.ids.len());
    press(&mut app, &[code(KeyCode::Enter)]);
    let card = app.lookup.card.clone().unwrap();
    assert_eq!(card.index, first);
    assert_eq!(card.lookalikes.len(), 40, "more than a tall screen shows");
    assert!(
        card.lookalikes.iter().all(|(i, _)| *i != first),
        "never itself"
    );
    assert!(
        card.lookalikes
            .windows(2)
            .all(|w| w[0].1.score >= w[1].1.score)
    );
    assert_eq!(card.latest.len(), 5.min(index.purchases(first).len()));
    assert_eq!(
        card.monthly_spend.iter().sum::<f64>().round(),
        index
            .purchases(first)
            .iter()
            .map(|p| p.amount)
            .sum::<f64>()
            .round()
    );
    press(&mut app, &[code(KeyCode::Down), code(KeyCode::Enter)]);
    assert_eq!(app.lookup.path, vec![first, card.lookalikes[1].0]);
    assert_eq!(
        app.lookup.card.as_ref().unwrap().id,
        card.lookalikes[1].1.customer
    );
    press(&mut app, &[code(KeyCode::Backspace)]);
    assert_eq!(app.lookup.card.as_ref().unwrap().index, first);
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.lookup.card.is_none());
    // Not typing now: q quits.
    assert_eq!(app.update(key('q')), vec![Effect::Quit]);
}

#[test]
fn help_overlay_holds_keys_and_unbound_keys_do_not_redraw() {
    let mut app = loaded();
    press(&mut app, &[key('4'), key('?')]);
    assert!(app.help);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Help: Segments") && screen.contains("K up / down"),
        "{screen}"
    );
    press(&mut app, &[key('+')]);
    assert_eq!(
        app.seg.k, 4,
        "keys other than close are held while help is open"
    );
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(!app.help);
    let rev = app.revision;
    press(&mut app, &[key('Z')]);
    assert_eq!(
        app.revision, rev,
        "an unbound key changes nothing, so nothing is redrawn"
    );
    press(&mut app, &[code(KeyCode::Down)]);
    assert!(app.revision > rev);
}

#[test]
fn config_keys_rebind_commands_and_show_in_help() {
    let c = config::parse(
        "test.toml",
        "[keys]\nquit = [\"x\"]\nhelp = [\"F1\"]\npane_1 = [\"o\"]\n",
    )
    .unwrap();
    let mut app = loaded_with(c.keymap);
    press(&mut app, &[key('3'), key('o')]);
    assert_eq!(app.pane, Pane::Overview);
    press(&mut app, &[code(KeyCode::F(1))]);
    assert!(app.help);
    assert!(render(&app, 80, 24).contains("F1"));
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.update(key('q')).is_empty(), "q is no longer quit");
    assert_eq!(app.update(key('x')), vec![Effect::Quit]);
}

#[test]
fn segments_that_cannot_be_computed_say_why_and_other_panes_work() {
    let dir = tempfile::tempdir().unwrap();
    let f = common::write(
        dir.path(),
        "two.csv",
        b"customer_id,date,amount,category\na,2024-01-01,5,x\nb,2024-01-02,6,y\n",
    );
    let ds = segscope::data::load(
        &segscope::data::DataSource::Path(f),
        &segscope::data::LoadOptions::default(),
    )
    .unwrap();
    let mut app = App::new(&ds.name, Default::default());
    for a in [
        segscope::tui::worker::eda_job(&ds),
        segscope::tui::worker::index_job(&ds),
    ] {
        app.update(a);
    }
    let fx = app.update(Action::FeaturesReady(segscope::tui::worker::features_job(
        &ds,
    )));
    let feats = app.features.ready().unwrap().features.clone();
    for e in fx {
        if let Some(a) = segscope::tui::worker::run_effect(&ds, &feats, &e) {
            app.update(a);
        }
    }
    app.update(key('4'));
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("Segments cannot be computed") && screen.contains("at least 3"),
        "{screen}"
    );
    // The Value pane scores the two customers, and says why their lifetime value cannot be
    // fitted instead of showing numbers (Tab twice: in Segments the digits set K).
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    assert_eq!(app.pane, Pane::Value);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("R × F") && screen.contains("2 customers who bought"),
        "{screen}"
    );
    app.update(code(KeyCode::Right));
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("Lifetime value cannot be fitted here") && screen.contains("at least 20"),
        "{screen}"
    );
    app.update(key('1'));
    app.update(code(KeyCode::Tab));
    assert_eq!(app.pane, Pane::Eda);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Tables") && screen.contains("overview"),
        "{screen}"
    );
}

#[test]
fn the_first_frame_says_it_is_loading_and_a_failed_load_closes_the_app() {
    let mut app = App::new("big.csv", segscope::tui::keymap::Keymap::default());
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Loading big.csv"), "{screen}");
    let fx = app.update(Action::LoadFailed {
        message: "big.csv: no purchase rows left after cleaning".into(),
        input: true,
    });
    assert!(fx.is_empty());
    assert!(app.quit, "the runner stops and prints the error");
    assert_eq!(
        app.fatal,
        Some(("big.csv: no purchase rows left after cleaning".into(), true))
    );
}

#[test]
fn a_k_change_shows_the_profile_first_and_the_metrics_when_scored() {
    use segscope::analysis::segment;
    let mut app = loaded();
    press(&mut app, &[key('4')]);
    let fx = app.update(key('5'));
    let Some(Effect::Segments { generation, .. }) = fx.first().cloned() else {
        panic!("a K change asks for segments: {fx:?}");
    };
    let f = app.features.ready().unwrap().features.clone();
    let params = segment::SegmentParams {
        k: 5,
        algo: segment::Algo::Kmeans,
        seed: segment::DEFAULT_SEED,
        features: "rfm+".into(),
        scaler: segscope::analysis::features::ScalerKind::Robust,
    };
    let unscored = segment::fit_unscored(&f, &params).unwrap();
    assert!(!segment::is_scored(&unscored));
    let result = |seg| {
        Ok(std::sync::Arc::new(segscope::tui::action::SegResult {
            seg,
            agreement: None,
            features_spec: "rfm+".into(),
        }))
    };
    app.update(Action::SegmentsReady {
        generation,
        result: result(unscored.clone()),
    });
    let screen = render(&app, 160, 48);
    assert!(screen.contains("scoring"), "{screen}");
    assert!(screen.contains("seg"), "the profile is drawn: {screen}");
    let mut scored = unscored;
    segment::score(&mut scored);
    let silhouette = scored.metrics.silhouette;
    app.update(Action::SegmentsReady {
        generation,
        result: result(scored),
    });
    let screen = render(&app, 160, 48);
    assert!(!screen.contains("scoring"), "{screen}");
    assert!(
        screen.contains(&format!("silhouette {silhouette:.3}")),
        "{screen}"
    );
}

#[test]
fn the_overview_shows_a_banner_for_each_big_loss() {
    let f = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real_files/bad_dates_some.csv");
    let ds = segscope::data::load(
        &segscope::data::DataSource::Path(f),
        &segscope::data::LoadOptions::default(),
    )
    .unwrap();
    let mut app = App::new(&ds.name, Default::default());
    app.update(Action::Loaded(std::sync::Arc::new(ds.report.clone())));
    app.update(segscope::tui::worker::eda_job(&ds));
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = render(&app, w, h);
        let banner = screen
            .lines()
            .find(|l| l.contains("! 5 of the rows"))
            .unwrap_or_else(|| panic!("no banner at {w}x{h}: {screen}"));
        assert!(banner.contains("unparseable date"), "{banner}");
    }
    // A clean load has none.
    let clean = segscope::data::load_bundled().unwrap();
    let mut app = App::new(&clean.name, Default::default());
    app.update(Action::Loaded(std::sync::Arc::new(clean.report.clone())));
    app.update(segscope::tui::worker::eda_job(&clean));
    assert!(!render(&app, 80, 24).contains("! "));
}

#[test]
fn the_scaler_cycles_and_the_card_lookalikes_follow_the_segments_in_use() {
    use segscope::analysis::features::ScalerKind;
    let mut app = loaded();
    press(&mut app, &[key('4')]);
    let fx = app.update(key('c'));
    assert!(
        matches!(
            fx.first(),
            Some(Effect::Segments {
                scaler: ScalerKind::Standard,
                ..
            })
        ),
        "{fx:?}"
    );
    settle(&mut app, fx);
    assert_eq!(
        app.seg.result.as_ref().unwrap().seg.transform.scaler,
        ScalerKind::Standard
    );
    assert!(render(&app, 80, 24).contains("scaler standard"));
    press(&mut app, &[key('c'), key('c')]);
    assert_eq!(app.seg.scaler, ScalerKind::Robust);
    // The feature set rfm: the card's lookalikes are the nearest customers on rfm alone.
    press(&mut app, &[key('f')]);
    let r = app.seg.result.clone().unwrap();
    assert_eq!(r.features_spec, "rfm");
    let f = app.features.ready().unwrap().features.clone();
    let (t, _) = f.scaled("rfm", ScalerKind::Robust).unwrap();
    let space = t.apply(&f.raw_matrix(&t.features));
    press(
        &mut app,
        &[
            key('5'),
            key('/'),
            key('C'),
            key('0'),
            key('0'),
            key('0'),
            key('1'),
        ],
    );
    press(&mut app, &[code(KeyCode::Enter)]);
    let card = app.lookup.card.clone().unwrap();
    let row = f.ids.binary_search(&card.id).unwrap();
    let want: Vec<String> = segscope::analysis::lookalike::nearest(&space, row, 40)
        .iter()
        .map(|m| f.ids[m.index].clone())
        .collect();
    let got: Vec<String> = card
        .lookalikes
        .iter()
        .map(|l| l.1.customer.clone())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn the_segments_pane_shows_why_and_flags_a_degenerate_segmentation() {
    use segscope::analysis::features::ScalerKind;
    use segscope::analysis::segment::{self, Algo, SegmentParams};
    use segscope::tui::action::SegResult;
    let mut app = loaded();
    press(&mut app, &[key('4')]);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Why segment 1"), "{screen}");
    let p = &app.seg.result.as_ref().unwrap().seg.profiles[0];
    // The panel gives the rule's values (its title has the persona).
    let values = p.rule.split_once(": ").unwrap().1;
    assert!(screen.contains(&values[..20]), "{screen}");
    // Three customers who signed up in 1990, clustered on raw features.
    let mut f = (*app.features.ready().unwrap().features).clone();
    let tenure = f.column("tenure_days").unwrap();
    for i in 0..3 {
        f.raw[[i, tenure]] = 12_000.0;
    }
    let seg = segment::fit(
        &f,
        &SegmentParams {
            k: 4,
            algo: Algo::Kmeans,
            seed: 42,
            features: "rfm+".into(),
            scaler: ScalerKind::None,
        },
    )
    .unwrap();
    assert_eq!(seg.warnings.len(), 1);
    let fx = app.update(key('c'));
    assert!(!fx.is_empty());
    app.update(Action::SegmentsReady {
        generation: app.seg.generation,
        result: Ok(std::sync::Arc::new(SegResult {
            seg,
            agreement: None,
            features_spec: "rfm+".into(),
        })),
    });
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("⚠ segment") && screen.contains("tenure_days"),
        "{screen}"
    );
}

/// The worker's segment service, driven as the TUI drives it: the newest of several waiting
/// requests is the only one answered, first with its profile and then scored, and a feature
/// set is scaled once whatever K is asked.
#[test]
fn the_segment_service_answers_the_newest_request_in_two_phases_from_its_cache() {
    use segscope::analysis::features::ScalerKind;
    use segscope::analysis::segment::{Algo, is_scored};
    use segscope::analysis::service::Service;
    let app = loaded();
    let f = app.features.ready().unwrap().features.clone();
    let mut service = Service::new(&f);
    let request = |generation, k, scaler| Effect::Segments {
        generation,
        k,
        algo: Algo::Kmeans,
        features: "rfm+".into(),
        scaler,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let (out, results) = std::sync::mpsc::channel();
    for (g, k) in [(1, 3), (2, 5), (3, 4)] {
        tx.send(request(g, k, ScalerKind::Robust)).unwrap();
    }
    drop(tx);
    let scored = std::cell::Cell::new(0);
    segscope::tui::worker::serve_segments(&mut service, &rx, &out, &mut |_| None, &|| {
        scored.set(scored.get() + 1)
    });
    let got: Vec<Action> = results.try_iter().collect();
    assert_eq!(
        got.len(),
        2,
        "requests 1 and 2 were superseded before they ran"
    );
    for (i, a) in got.iter().enumerate() {
        let Action::SegmentsReady { generation, result } = a else {
            panic!("{a:?}")
        };
        assert_eq!(*generation, 3);
        let r = result.as_ref().unwrap();
        assert_eq!(r.seg.k, 4);
        assert_eq!(is_scored(&r.seg), i == 1, "profile first, then scored");
        assert_eq!(r.agreement.is_some(), i == 1);
    }
    assert_eq!(scored.get(), 1);
    assert_eq!(service.cached(), 1);
    // Another K on the same features fits from the cache; another scaler scales once more.
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(request(4, 6, ScalerKind::Robust)).unwrap();
    tx.send(request(5, 6, ScalerKind::Standard)).unwrap();
    drop(tx);
    // Both wait, so only the standard-scaled one is answered; it is scaled once, beside the
    // robust matrix already kept.
    segscope::tui::worker::serve_segments(&mut service, &rx, &out, &mut |_| None, &|| {});
    assert_eq!(service.cached(), 2);
    let last: Vec<Action> = results.try_iter().collect();
    assert!(
        last.iter()
            .all(|a| matches!(a, Action::SegmentsReady { generation: 5, .. }))
    );
}
