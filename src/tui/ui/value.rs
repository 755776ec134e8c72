//! Value: the RFM R×F grid and named segments, lifetime value per RFM segment with the
//! P(alive) and CLV distributions, and the cohort retention heatmap. Shading uses the theme's
//! styles, so it reads in 16 colours and with NO_COLOR.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{block, choices, fit, human, note, ready};
use crate::analysis::value::ValueReport;
use crate::analysis::value::cohorts::{Cohort, Cohorts, month_text};
use crate::analysis::value::purchases::day_text;
use crate::tui::app::{App, VALUE_TABS, ValueTab};
use crate::tui::theme::Theme;

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(v) = ready(f, area, &app.value, "customer value", theme) else {
        return;
    };
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let chosen = VALUE_TABS
        .iter()
        .position(|t| t.0 == app.value_view.tab)
        .unwrap_or(0);
    let mut spans = choices(VALUE_TABS.iter().map(|t| t.1.to_string()), chosen, theme);
    spans.push(Span::styled(
        format!("  {} customers who bought", v.customers),
        theme.muted,
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), head);
    match app.value_view.tab {
        ValueTab::Rfm => rfm(f, body, v, app.value_view.by_spend, theme),
        ValueTab::Clv => lifetime_value(f, body, v, theme),
        ValueTab::Cohorts => cohort_heatmap(f, body, v, app.value_view.offset, theme),
    }
}

/// Five shades, lightest for the least: muted, text, chart, warn, selected.
fn shade(level: usize, theme: &Theme) -> Style {
    [
        theme.muted,
        theme.text,
        theme.chart,
        theme.warn,
        theme.selected,
    ][level.min(4)]
}

/// The shade of `x` in 0..=max: 0 only for nothing at all.
fn level(x: f64, max: f64) -> usize {
    if x <= 0.0 || max <= 0.0 {
        0
    } else {
        1 + ((x / max) * 3.999).floor() as usize
    }
}

fn rfm(f: &mut Frame, area: Rect, v: &ValueReport, by_spend: bool, theme: &Theme) {
    let [grid, table] =
        Layout::horizontal([Constraint::Length(38), Constraint::Min(40)]).areas(area);
    rf_grid(f, grid, v, by_spend, theme);
    rfm_segments(f, table, v, theme);
}

/// Recency score down (R5 = most recent, on top), frequency score across.
fn rf_grid(f: &mut Frame, area: Rect, v: &ValueReport, by_spend: bool, theme: &Theme) {
    let what = if by_spend { "mean spend" } else { "customers" };
    let b = block(&format!("R × F: {what} (s)"), theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let grid = v.rf_grid();
    let n = grid.len();
    let value = |c: &(usize, f64)| if by_spend { c.1 } else { c.0 as f64 };
    let max = grid.iter().flatten().map(value).fold(0.0, f64::max);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "    {}",
            (1..=n)
                .map(|s| format!("{:>6}", format!("F{s}")))
                .collect::<String>()
        ),
        theme.muted,
    ))];
    for r in (1..=n).rev() {
        let mut spans = vec![Span::styled(format!("R{r}  "), theme.muted)];
        for cell in &grid[r - 1] {
            let x = value(cell);
            let text = if cell.0 == 0 {
                "·".to_string()
            } else {
                human(x)
            };
            spans.push(Span::styled(
                format!("{text:>6}"),
                shade(level(x, max), theme),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "R5 bought most recently, F5 most often",
        theme.muted,
    )));
    f.render_widget(Paragraph::new(lines), inner);
}

fn rfm_segments(f: &mut Frame, area: Rect, v: &ValueReport, theme: &Theme) {
    let b = block("RFM segments: customers vs revenue", theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    let name_w = w.saturating_sub(22).clamp(8, 20);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<name_w$} {:>7} {:>6} {:>6}",
            "segment", "cust.", "cust%", "rev%"
        ),
        theme.muted,
    ))];
    for s in &v.rfm.summary {
        let spans = vec![
            Span::styled(format!("{:<name_w$}", fit(&s.segment, name_w)), theme.text),
            Span::styled(format!(" {:>7}", human(s.customers as f64)), theme.text),
            Span::styled(format!(" {:>5.1}%", s.customer_share * 100.0), theme.text),
            Span::styled(
                format!(" {:>5.1}%", s.revenue_share * 100.0),
                if s.revenue_share > s.customer_share {
                    theme.good
                } else {
                    theme.text
                },
            ),
        ];
        lines.push(Line::from(spans));
    }
    if !v.rfm.shadowed.is_empty() {
        let names: Vec<&str> = v
            .rfm
            .shadowed
            .iter()
            .map(|&i| v.rfm.rules.rules[i].name.as_str())
            .collect();
        lines.push(Line::from(Span::styled(
            fit(
                &format!("never reached (earlier rules first): {}", names.join(", ")),
                w,
            ),
            theme.muted,
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn lifetime_value(f: &mut Frame, area: Rect, v: &ValueReport, theme: &Theme) {
    let c = match &v.clv {
        None => {
            note(f, area, "Fitting BG/NBD and Gamma-Gamma…", theme.muted);
            return;
        }
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            note(
                f,
                area,
                &format!("Lifetime value cannot be fitted here: {e}"),
                theme.bad,
            );
            return;
        }
    };
    let [params, rest] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    let b = &c.bgnbd;
    let g = &c.gamma_gamma;
    f.render_widget(
        Paragraph::new(vec![
            Line::from(Span::styled(
                fit(
                    &format!(
                        "BG/NBD r {:.3} α {:.2}d a {:.3} b {:.3} · Gamma-Gamma p {:.2} q {:.2} v {:.2}",
                        b.r, b.alpha, b.a, b.b, g.p, g.q, g.v
                    ),
                    params.width as usize,
                ),
                theme.accent,
            )),
            Line::from(Span::styled(
                fit(
                    &format!(
                        "fitted to {}; next {} days, discounted {}% a month",
                        day_text(c.until),
                        v.projection.horizon_days,
                        v.projection.discount * 100.0
                    ),
                    params.width as usize,
                ),
                theme.muted,
            )),
        ]),
        params,
    );
    let [table, dists] =
        Layout::horizontal([Constraint::Min(40), Constraint::Length(36)]).areas(rest);
    clv_table(f, table, v, theme);
    distributions(f, dists, v, theme);
}

fn clv_table(f: &mut Frame, area: Rect, v: &ValueReport, theme: &Theme) {
    let b = block("CLV per RFM segment", theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    let name_w = w.saturating_sub(24).clamp(8, 20);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<name_w$} {:>6} {:>7} {:>8}",
            "segment", "alive", "CLV", "per cust"
        ),
        theme.muted,
    ))];
    for g in v.clv_by_rfm() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<name_w$}", fit(&g.segment, name_w)), theme.text),
            Span::styled(format!(" {:>5.0}%", g.p_alive * 100.0), theme.text),
            Span::styled(format!(" {:>7}", human(g.clv)), theme.text),
            Span::styled(
                format!(" {:>8}", human(g.clv / g.customers as f64)),
                theme.accent,
            ),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Histograms of P(alive) (tenths) and CLV (quintile edges), as bars of text.
fn distributions(f: &mut Frame, area: Rect, v: &ValueReport, theme: &Theme) {
    let b = block("P(alive) and CLV", theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let bar_w = (inner.width as usize).saturating_sub(16).max(4);
    let alive = v.alive_fifths;
    let max = *alive.iter().max().unwrap_or(&1) as f64;
    let mut lines = vec![Line::from(Span::styled("P(alive)", theme.muted))];
    for (i, &count) in alive.iter().enumerate().rev() {
        let len = ((count as f64 / max.max(1.0)) * bar_w as f64).round() as usize;
        lines.push(Line::from(vec![
            Span::styled(format!("{:>3}-{:<3}", i * 20, (i + 1) * 20), theme.muted),
            Span::styled("█".repeat(len), theme.chart),
            Span::styled(format!(" {}", human(count as f64)), theme.text),
        ]));
    }
    lines.push(Line::from(Span::styled(
        "one-time buyers: P(alive) 1 by the model",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled("CLV at percentiles", theme.muted)));
    let [p10, p50, p90, top] = v.clv_percentiles;
    lines.push(Line::from(Span::styled(
        format!(
            "p10 {}  p50 {}  p90 {}  max {}",
            human(p10),
            human(p50),
            human(p90),
            human(top)
        ),
        theme.text,
    )));
    f.render_widget(Paragraph::new(lines), inner);
}

/// One row per first-purchase month, one cell per month since: the share still buying.
fn cohort_heatmap(f: &mut Frame, area: Rect, v: &ValueReport, offset: usize, theme: &Theme) {
    let c = &v.cohorts;
    let partial = if c.last_month_partial {
        format!(
            "; each row's last cell ({}) is partial, data ends {}",
            month_text(c.last_month),
            day_text(c.last_day)
        )
    } else {
        String::new()
    };
    let b = block(
        &format!("Retention: % of each cohort buying, by month since{partial}"),
        theme,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let cells = (inner.width as usize).saturating_sub(15) / 4;
    let shown = c.width().min(cells);
    let mut head = format!("{:<7} {:>6}", "cohort", "size");
    for k in 0..shown {
        head.push_str(&format!("{:>4}", format!("m{k}")));
    }
    let mut lines = vec![Line::from(Span::styled(head, theme.muted))];
    let rows = (inner.height as usize).saturating_sub(2);
    for cohort in c.cohorts.iter().skip(offset).take(rows) {
        lines.push(cohort_line(c, cohort, shown, theme));
    }
    let more = if c.width() > shown {
        format!(
            "m0–m{} of m0–m{}; a wider terminal shows more  ",
            shown.saturating_sub(1),
            c.width() - 1
        )
    } else {
        String::new()
    };
    lines.push(Line::from(Span::styled(
        format!(
            "{more}rows {}–{} of {} (↑↓ PgUp PgDn)",
            offset + 1,
            (offset + rows).min(c.cohorts.len()),
            c.cohorts.len()
        ),
        theme.muted,
    )));
    f.render_widget(Paragraph::new(lines), inner);
}

/// One cohort's row: its month and size, then the share buying in each of the first `shown`
/// months since.
fn cohort_line(c: &Cohorts, cohort: &Cohort, shown: usize, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!(
            "{:<7} {:>6}",
            month_text(cohort.month),
            human(cohort.customers as f64)
        ),
        theme.text,
    )];
    let shares = cohort.shares();
    let last = shares.len().saturating_sub(1);
    for (k, s) in shares.iter().enumerate().take(shown) {
        // m0 is 100% by definition, a partial month is low by construction: neither
        // is shaded as a finding.
        let style = if k == 0 || (k == last && c.last_month_partial) {
            theme.muted
        } else {
            shade(level(*s, 0.5_f64.max(*s)), theme)
        };
        spans.push(Span::styled(format!("{:>4.0}", s * 100.0), style));
    }
    Line::from(spans)
}
