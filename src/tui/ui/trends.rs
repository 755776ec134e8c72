//! Trends: monthly sparklines (overall, per region, per category) with min, max, last and the
//! date range; weekday and hour-of-day bars.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Sparkline};

use super::{block, choices, fit, human, note, ready};
use crate::tui::app::App;
use crate::tui::theme::Theme;

const GROUPS: [&str; 3] = ["Overall", "Regions", "Categories"];
const METRICS: [&str; 3] = ["Revenue", "Orders", "Active"];

/// Values for a sparkline `width` cells wide: each month repeated to fill the width, or the
/// newest months when there are more than cells.
pub fn stretch(data: &[f64], width: usize) -> Vec<u64> {
    let values: Vec<u64> = data.iter().map(|x| x.max(0.0).round() as u64).collect();
    if values.is_empty() || width == 0 {
        return values;
    }
    if values.len() >= width {
        return values[values.len() - width..].to_vec();
    }
    let times = width / values.len();
    values
        .iter()
        .flat_map(|&v| std::iter::repeat_n(v, times))
        .collect()
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(trends) = ready(f, area, &app.trends, "the trends", theme) else {
        return;
    };
    let v = &app.trends_view;
    let [head, sparks, bars] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(8),
    ])
    .areas(area);
    let mut spans = choices(GROUPS.iter().map(|g| g.to_string()), v.group, theme);
    spans.push(Span::raw("  "));
    spans.extend(choices(
        METRICS.iter().map(|m| m.to_string()),
        v.metric,
        theme,
    ));
    let range = match (trends.months.first(), trends.months.last()) {
        (Some(a), Some(b)) => format!("  {a} … {b}"),
        _ => String::new(),
    };
    spans.push(Span::styled(range, theme.accent));
    f.render_widget(Paragraph::new(Line::from(spans)), head);

    let series = app.trend_series();
    if series.is_empty() {
        let what = if v.group == 1 { "region" } else { "category" };
        note(
            f,
            sparks,
            &format!("The dataset has no {what} column."),
            theme.muted,
        );
    } else {
        // Overall shows all three metrics; a group shows the chosen metric per series.
        let rows: Vec<(String, &Vec<f64>)> = if v.group == 0 {
            let s = series[0];
            vec![
                ("Revenue".into(), &s.revenue),
                ("Orders".into(), &s.orders),
                ("Active customers".into(), &s.active_customers),
            ]
        } else {
            series
                .iter()
                .skip(v.offset)
                .map(|s| {
                    (
                        s.name.clone(),
                        [&s.revenue, &s.orders, &s.active_customers][v.metric],
                    )
                })
                .collect()
        };
        let per = (sparks.height / rows.len().max(1) as u16).clamp(3, 8);
        let fit_rows = (sparks.height / per).max(1) as usize;
        let areas =
            Layout::vertical(vec![Constraint::Length(per); fit_rows.min(rows.len())]).split(sparks);
        for ((name, data), a) in rows.iter().zip(areas.iter()) {
            let (min, max) = data
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                });
            let last = data.last().copied().unwrap_or(0.0);
            let title = format!(
                "{}  min {}  max {}  last {}",
                fit(name, 24),
                human(if min.is_finite() { min } else { 0.0 }),
                human(if max.is_finite() { max } else { 0.0 }),
                human(last)
            );
            let [t, s] =
                Layout::vertical([Constraint::Length(1), Constraint::Length(per - 1)]).areas(*a);
            f.render_widget(Paragraph::new(Span::styled(title, theme.accent)), t);
            f.render_widget(
                Sparkline::default()
                    .data(stretch(data, s.width as usize))
                    .style(theme.chart),
                s,
            );
        }
        if rows.len() > fit_rows {
            let more = format!("{} more: PgDn", rows.len() - fit_rows);
            let r = Rect {
                y: sparks.y + sparks.height.saturating_sub(1),
                height: 1,
                ..sparks
            };
            f.render_widget(
                Paragraph::new(Span::styled(more, theme.muted)).right_aligned(),
                r,
            );
        }
    }

    let [wd, hr] = Layout::horizontal([Constraint::Length(40), Constraint::Min(0)]).areas(bars);
    let Some(eda) = app.eda.ready() else { return };
    // Shares in tenths of a percent: the bar chart takes whole numbers.
    let permille = |share: f64| (share * 1000.0).round() as u64;
    let chart = |title: &str, data: &[(String, u64)], width: u16, gap: u16, values: bool| {
        let bars: Vec<Bar> = data
            .iter()
            .map(|(l, v)| {
                let text = if values {
                    format!("{:.0}%", *v as f64 / 10.0)
                } else {
                    String::new()
                };
                Bar::default()
                    .label(Line::from(l.clone()))
                    .value(*v)
                    .text_value(text)
            })
            .collect();
        BarChart::default()
            .block(block(title, theme))
            .data(BarGroup::default().bars(&bars))
            .bar_width(width)
            .bar_gap(gap)
            .bar_style(theme.chart)
            .value_style(theme.selected)
    };
    if !eda.weekday_shares.is_empty() {
        let data: Vec<(String, u64)> = eda
            .weekday_shares
            .iter()
            .map(|(d, s)| (d.chars().take(2).collect(), permille(*s)))
            .collect();
        f.render_widget(chart("Weekday share of revenue", &data, 4, 1, true), wd);
    }
    match &eda.hour_shares {
        Some(hours) => {
            let data: Vec<(String, u64)> = hours
                .iter()
                .map(|(h, s)| (h.to_string(), permille(*s)))
                .collect();
            f.render_widget(chart("Revenue by hour of day", &data, 1, 0, false), hr)
        }
        None => {
            let b = block("Revenue by hour of day", theme);
            let inner = b.inner(hr);
            f.render_widget(b, hr);
            note(f, inner, "The dates carry no time of day.", theme.muted);
        }
    }
}
