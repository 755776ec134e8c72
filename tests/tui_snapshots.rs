//! Every pane drawn at 80x24 and 160x48 on the bundled sample (ratatui TestBackend + insta),
//! with the help overlay and the too-small message. Review changes with `cargo insta review`.

mod common;

use common::tui::*;
use crossterm::event::KeyCode;

fn both(name: &str, app: &segscope::tui::app::App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), render(app, 160, 48));
}

#[test]
fn overview() {
    both("overview", &loaded());
}

#[test]
fn eda_list_and_table() {
    let mut app = loaded();
    press(&mut app, &[key('2')]);
    both("eda_list", &app);
    press(
        &mut app,
        &[
            code(KeyCode::Down),
            code(KeyCode::Down),
            code(KeyCode::Enter),
            code(KeyCode::Right),
            key('s'),
            key('s'),
        ],
    );
    both("eda_category_totals_sorted", &app);
}

#[test]
fn trends_overall_and_by_region() {
    let mut app = loaded();
    press(&mut app, &[key('3')]);
    both("trends_overall", &app);
    press(&mut app, &[code(KeyCode::Right)]);
    both("trends_by_region", &app);
}

#[test]
fn segments_profile_members_and_migration() {
    let mut app = loaded();
    press(&mut app, &[key('4')]);
    both("segments_k4", &app);
    press(&mut app, &[code(KeyCode::Enter)]);
    both("segments_members", &app);
    press(&mut app, &[code(KeyCode::Esc), key('m')]);
    both("segments_migration", &app);
}

#[test]
fn lookup_card() {
    let mut app = loaded();
    press(&mut app, &[key('5')]);
    both("lookup_empty", &app);
    press(&mut app, &[key('/')]);
    typed(&mut app, "Mia Silva");
    press(&mut app, &[code(KeyCode::Enter)]);
    both("lookup_card", &app);
}

#[test]
fn help_and_too_small() {
    let mut app = loaded();
    press(&mut app, &[key('4'), key('?')]);
    both("help_segments", &app);
    insta::assert_snapshot!("too_small_60x20", render(&app, 60, 20));
}

#[test]
fn value_rfm_lifetime_value_and_cohorts() {
    let mut app = loaded();
    press(&mut app, &[key('6')]);
    both("value_rfm", &app);
    press(&mut app, &[key('s')]);
    both("value_rfm_by_spend", &app);
    press(&mut app, &[code(KeyCode::Right)]);
    both("value_clv", &app);
    press(&mut app, &[code(KeyCode::Right), code(KeyCode::Down)]);
    both("value_cohorts", &app);
}

#[test]
fn segments_scatter_silhouette_and_compare() {
    let mut app = loaded();
    press(&mut app, &[key('4')]);
    let fx = app.update(key('v'));
    settle(&mut app, fx);
    both("segments_scatter", &app);
    press(&mut app, &[key('v')]);
    both("segments_silhouette", &app);
    press(&mut app, &[key('v'), key('x'), code(KeyCode::Down)]);
    both("segments_compare", &app);
}

#[test]
fn eda_drilled_into_a_region() {
    let mut app = loaded();
    press(
        &mut app,
        &[key('2'), code(KeyCode::Down), code(KeyCode::Enter)],
    );
    let fx = app.update(code(KeyCode::Enter));
    settle(&mut app, fx);
    both("eda_drilled_region", &app);
}

/// In the monochrome theme the scatter tells segments apart by their number alone: no cell
/// carries a colour.
#[test]
fn the_scatter_needs_no_colour() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;
    let mut app = loaded();
    press(&mut app, &[key('4')]);
    let fx = app.update(key('v'));
    settle(&mut app, fx);
    let theme = segscope::tui::theme::Theme::load("monochrome", false).unwrap();
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| segscope::tui::ui::draw(f, &app, &theme))
        .unwrap();
    let buf = t.backend().buffer();
    let mut digits = std::collections::BTreeSet::new();
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a coloured cell {cell:?}"
        );
        if let Some(c) = cell.symbol().chars().next().filter(|c| c.is_ascii_digit()) {
            digits.insert(c);
        }
    }
    assert!(
        ['1', '2', '3', '4'].iter().all(|d| digits.contains(d)),
        "{digits:?}"
    );
}
