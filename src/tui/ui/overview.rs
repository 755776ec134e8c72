//! Overview: dataset summary, headline figures, and what loading dropped and why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{block, clean, fit, note, ready};
use crate::analysis::Table;
use crate::analysis::eda::Eda;
use crate::data::LoadFact;
use crate::tui::app::{App, Slot};
use crate::tui::theme::Theme;

/// Every reason that dropped more than 1% of the rows, one line each above the boxes, from
/// the typed LoadReport (at most three lines, so the boxes keep their room at 80x24); the
/// rest of the area is returned.
fn loss_banner(f: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Rect {
    let Some(report) = app.load.ready() else {
        return area;
    };
    let losses = report.losses();
    if losses.is_empty() || area.height < 12 {
        return area;
    }
    let shown = losses.len().min(3);
    let [banner, rest] =
        Layout::vertical([Constraint::Length(shown as u16), Constraint::Min(0)]).areas(area);
    let width = banner.width as usize;
    let lines: Vec<Line> = losses
        .iter()
        .take(shown)
        .map(|l| {
            let text = format!("! {}", clean(&l.summary()));
            Line::from(Span::styled(fit(&text, width), theme.warn))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), banner);
    rest
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if matches!((&app.load, &app.eda), (Slot::Waiting, Slot::Waiting)) {
        let text = format!(
            "Loading {}… the panes fill in as results arrive.",
            app.dataset
        );
        return note(f, area, &text, theme.muted);
    }
    let Some(eda) = ready(f, area, &app.eda, "the overview", theme) else {
        return;
    };
    let Some(overview) = eda.tables.iter().find(|t| t.name == "overview") else {
        return note(f, area, "No overview table.", theme.muted);
    };
    let area = loss_banner(f, area, app, theme);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let facts = split_facts(app, overview);
    draw_dataset(f, left, app, facts.own, theme);
    draw_what_loading_did(f, right, eda, &facts.load, facts.zero_checks, theme);
}

/// The overview table's rows, split into the dataset's own facts and the load's.
struct Facts {
    own: Vec<(String, String)>,
    /// The load facts that found something, as (label, value).
    load: Vec<(String, String)>,
    /// The load checks that found nothing.
    zero_checks: usize,
}

/// The overview table ends with one row per load fact; the dataset's own facts come first,
/// and the load facts are read typed from the LoadReport.
fn split_facts(app: &App, overview: &Table) -> Facts {
    let load_facts = app
        .load
        .ready()
        .map(|r| r.facts(&app.dataset))
        .unwrap_or_default();
    let own = overview.rows.len().saturating_sub(load_facts.len());
    let own: Vec<(String, String)> = overview.rows[..own]
        .iter()
        .map(|row| (row[0].display(), crate::humanize::cell(&row[1])))
        .collect();
    let mut load = Vec::new();
    let mut zero_checks = 0;
    for fact in &load_facts {
        match fact {
            LoadFact::Count(_, 0) => zero_checks += 1,
            LoadFact::Count(label, n) => {
                load.push((label.to_string(), crate::humanize::count(*n as i64)))
            }
            LoadFact::Text(label, t) => load.push((label.to_string(), t.clone())),
        }
    }
    Facts {
        own,
        load,
        zero_checks,
    }
}

/// One fact: the label padded to `key_w`, the value in the rest of `width`.
fn fact_line(k: &str, v: &str, width: usize, key_w: usize, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{:<key_w$}", fit(k, key_w)), theme.muted),
        Span::styled(
            format!(" {}", fit(v, width.saturating_sub(key_w + 1))),
            theme.text,
        ),
    ])
}

/// Labels as wide as the longest (up to half the box); values get the rest.
fn key_width(rows: &[(String, String)], width: usize) -> usize {
    rows.iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(8)
        .min(width / 2 + 6)
}

/// The "Dataset" box: the slice first if there is one, then the dataset's own facts.
fn draw_dataset(
    f: &mut Frame,
    area: Rect,
    app: &App,
    mut facts: Vec<(String, String)>,
    theme: &Theme,
) {
    let inner = (area.width as usize).saturating_sub(4);
    if let Some(slice) = &app.slice {
        facts.insert(0, ("slice".to_string(), slice.clone()));
    }
    let kw = key_width(&facts, inner);
    let lines: Vec<Line> = facts
        .iter()
        .map(|(k, v)| fact_line(k, v, inner, kw, theme))
        .collect();
    f.render_widget(Paragraph::new(lines).block(block("Dataset", theme)), area);
}

/// The "What loading did" box: the load facts, how many checks found nothing, and the tables
/// the EDA skipped with why.
fn draw_what_loading_did(
    f: &mut Frame,
    area: Rect,
    eda: &Eda,
    load: &[(String, String)],
    zero_checks: usize,
    theme: &Theme,
) {
    let inner = (area.width as usize).saturating_sub(4);
    let kw = key_width(load, inner);
    let mut lines: Vec<Line> = load
        .iter()
        .map(|(k, v)| fact_line(k, v, inner, kw, theme))
        .collect();
    lines.push(Line::from(Span::styled(
        format!("{zero_checks} other checks found nothing"),
        theme.good,
    )));
    if !eda.skipped.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            "Tables not available:",
            theme.warn,
        )));
        for s in &eda.skipped {
            lines.push(Line::from(Span::styled(
                fit(&format!("{}: {}", s.table, clean(&s.reason)), inner),
                theme.muted,
            )));
        }
    }
    f.render_widget(
        Paragraph::new(lines).block(block("What loading did", theme)),
        area,
    );
}
