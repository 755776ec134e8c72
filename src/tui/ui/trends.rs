//! Trends: the overall monthly series as a chart with labelled month and value axes and a month
//! cursor; per region and per category one sparkline row each, with the value under the cursor;
//! weekday and hour-of-day bars with readable axes. A partial first or last month is drawn
//! apart, labelled, and left out of min and max.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Chart, Dataset, GraphType, Paragraph, Sparkline,
};

use super::{block, choices, fit, human, note, ready};
use crate::analysis::trends::{Series, Trends};
use crate::humanize;
use crate::tui::app::App;
use crate::tui::theme::Theme;

const GROUPS: [&str; 3] = ["Overall", "Regions", "Categories"];
const METRICS: [&str; 3] = ["Revenue", "Orders", "Active customers"];
/// The metric choices as the header names them (short, to fit 80 columns).
const METRIC_TABS: [&str; 3] = ["Revenue", "Orders", "Active"];

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

/// The chosen metric of a series.
fn metric(s: &Series, m: usize) -> &[f64] {
    [&s.revenue, &s.orders, &s.active_customers][m.min(2)]
}

/// A metric's value as people read it: revenue as money, counts grouped.
fn value_text(x: f64, m: usize) -> String {
    if m == 0 {
        humanize::money(x)
    } else {
        humanize::number(x)
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(trends) = ready(f, area, &app.trends, "the trends", theme) else {
        return;
    };
    let [head, charts, bars] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(8),
    ])
    .areas(area);
    header(f, head, app, trends, theme);
    let series = app.trend_series();
    let cursor = app.trends_cursor().unwrap_or(0);
    if series.is_empty() {
        let what = if app.trends_view.group == 1 {
            "region"
        } else {
            "category"
        };
        note(
            f,
            charts,
            &format!("The dataset has no {what} column."),
            theme.muted,
        );
    } else if app.trends_view.group == 0 {
        monthly_chart(
            f,
            charts,
            trends,
            series[0],
            app.trends_view.metric,
            cursor,
            theme,
        );
    } else {
        group_rows(f, charts, app, trends, &series, cursor, theme);
    }
    let [wd, hr] = Layout::horizontal([Constraint::Length(40), Constraint::Min(0)]).areas(bars);
    if let Some(eda) = app.eda.ready() {
        weekday_bars(f, wd, &eda.weekday_shares, theme);
        hour_bars(f, hr, eda.hour_shares.as_deref(), theme);
    }
}

/// Group and metric choices, then the date range and any partial months as room allows.
fn header(f: &mut Frame, area: Rect, app: &App, trends: &Trends, theme: &Theme) {
    let v = &app.trends_view;
    let mut spans = choices(GROUPS.iter().map(|g| g.to_string()), v.group, theme);
    spans.push(Span::raw(" "));
    spans.extend(choices(
        METRIC_TABS.iter().map(|m| m.to_string()),
        v.metric,
        theme,
    ));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = (area.width as usize).saturating_sub(used);
    let mut rest = match (trends.months.first(), trends.months.last()) {
        (Some(a), Some(b)) => format!(" {a} … {b}"),
        _ => String::new(),
    };
    if !trends.partial.is_empty() {
        rest.push_str(&format!("  {}", partial_note(trends)));
    }
    spans.push(Span::styled(fit(&rest, room), theme.accent));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// "partial: 2023-12 (2 of 31 days), 2024-12 (28 of 31 days)".
fn partial_note(trends: &Trends) -> String {
    let months: Vec<String> = trends
        .partial
        .iter()
        .map(|p| format!("{} ({} of {} days)", trends.months[p.index], p.days, p.of))
        .collect();
    format!("partial: {}", months.join(", "))
}

/// The points a monthly chart draws: full months (a line), partial months (marks of their
/// own), the cursor's vertical rule, and the value range the axis spans.
struct ChartPoints {
    full: Vec<(f64, f64)>,
    partial: Vec<(f64, f64)>,
    rule: [(f64, f64); 2],
    bottom: f64,
    top: f64,
}

impl ChartPoints {
    fn of(trends: &Trends, data: &[f64], cursor: usize) -> ChartPoints {
        let points = |partial: bool| -> Vec<(f64, f64)> {
            data.iter()
                .enumerate()
                .filter(|(i, _)| trends.is_partial(*i) == partial)
                .map(|(i, &y)| (i as f64, y))
                .collect()
        };
        let top = data.iter().copied().fold(0.0_f64, f64::max).max(1.0) * 1.05;
        let bottom = data.iter().copied().fold(0.0_f64, f64::min);
        let x = cursor.min(data.len().saturating_sub(1)) as f64;
        ChartPoints {
            full: points(false),
            partial: points(true),
            rule: [(x, bottom), (x, top)],
            bottom,
            top,
        }
    }
}

/// The overall series of the chosen metric: full months as a line, partial months as marks of
/// their own, the cursor month as a vertical rule; axes labelled with months and values.
fn monthly_chart(
    f: &mut Frame,
    area: Rect,
    trends: &Trends,
    series: &Series,
    m: usize,
    cursor: usize,
    theme: &Theme,
) {
    let data = metric(series, m);
    let p = ChartPoints::of(trends, data, cursor);
    fn line(points: &[(f64, f64)]) -> Dataset<'_> {
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .data(points)
    }
    let sets = vec![
        line(&p.full).style(theme.chart),
        Dataset::default()
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(theme.warn)
            .data(&p.partial),
        line(&p.rule).style(theme.accent),
    ];
    let mut frame = block(&chart_title(trends, data, m, cursor), theme);
    if !trends.partial.is_empty() {
        frame = frame.title_bottom(Span::styled(
            format!(" • {} ", partial_note(trends)),
            theme.warn,
        ));
    }
    let x_axis = Axis::default()
        .style(theme.muted)
        .bounds([0.0, (data.len().max(2) - 1) as f64])
        .labels(month_labels(&trends.months));
    let y_axis = Axis::default()
        .style(theme.muted)
        .bounds([p.bottom, p.top])
        .labels(value_labels(p.bottom, p.top));
    f.render_widget(
        Chart::new(sets).block(frame).x_axis(x_axis).y_axis(y_axis),
        area,
    );
}

/// "Revenue · 2011-03 1,234,567.00 · min … max … (full months)".
fn chart_title(trends: &Trends, data: &[f64], m: usize, cursor: usize) -> String {
    let at = trends.months.get(cursor).map_or(String::new(), |month| {
        let value = data
            .get(cursor)
            .map_or(String::new(), |&x| value_text(x, m));
        let partial = if trends.is_partial(cursor) {
            " (partial)"
        } else {
            ""
        };
        format!(" · {month} {value}{partial}")
    });
    let (lo, hi) = trends.full_range(data);
    let range = if lo.is_finite() {
        format!(" · min {} max {}", human(lo), human(hi))
    } else {
        String::new()
    };
    format!("{}{at}{range}", METRICS[m.min(2)])
}

/// First, middle and last month on the time axis.
fn month_labels(months: &[String]) -> Vec<Line<'static>> {
    match months.len() {
        0 => vec![],
        1 => vec![Line::from(months[0].clone())],
        2 => vec![Line::from(months[0].clone()), Line::from(months[1].clone())],
        n => vec![
            Line::from(months[0].clone()),
            Line::from(months[n / 2].clone()),
            Line::from(months[n - 1].clone()),
        ],
    }
}

fn value_labels(bottom: f64, top: f64) -> Vec<Line<'static>> {
    let mid = (bottom + top) / 2.0;
    [bottom, mid, top]
        .iter()
        .map(|&v| Line::from(human(v)))
        .collect()
}

/// One sparkline row per region or category, with its full-month min and max and the value
/// of the month under the cursor.
fn group_rows(
    f: &mut Frame,
    area: Rect,
    app: &App,
    trends: &Trends,
    series: &[&Series],
    cursor: usize,
    theme: &Theme,
) {
    let v = &app.trends_view;
    let rows: Vec<&Series> = series.iter().skip(v.offset).copied().collect();
    let per = (area.height / rows.len().max(1) as u16).clamp(3, 8);
    let fit_rows = (area.height / per).max(1) as usize;
    let areas =
        Layout::vertical(vec![Constraint::Length(per); fit_rows.min(rows.len())]).split(area);
    let month = trends.months.get(cursor).cloned().unwrap_or_default();
    for (s, a) in rows.iter().zip(areas.iter()) {
        let data = metric(s, v.metric);
        let (lo, hi) = trends.full_range(data);
        let at = data
            .get(cursor)
            .map_or(String::new(), |&x| value_text(x, v.metric));
        let title = format!(
            "{}  {month} {at}  min {}  max {}",
            fit(&s.name, 24),
            human(if lo.is_finite() { lo } else { 0.0 }),
            human(if hi.is_finite() { hi } else { 0.0 }),
        );
        let [t, sp] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(per - 1)]).areas(*a);
        f.render_widget(
            Paragraph::new(Span::styled(fit(&title, t.width as usize), theme.accent)),
            t,
        );
        f.render_widget(
            Sparkline::default()
                .data(stretch(data, sp.width as usize))
                .style(theme.chart),
            sp,
        );
    }
    if rows.len() > fit_rows {
        let more = format!("{} more: PgDn", rows.len() - fit_rows);
        let r = Rect {
            y: area.y + area.height.saturating_sub(1),
            height: 1,
            ..area
        };
        f.render_widget(
            Paragraph::new(Span::styled(more, theme.muted)).right_aligned(),
            r,
        );
    }
}

/// Shares in tenths of a percent: the bar chart takes whole numbers.
fn permille(share: f64) -> u64 {
    (share * 1000.0).round() as u64
}

fn weekday_bars(f: &mut Frame, area: Rect, shares: &[(&'static str, f64)], theme: &Theme) {
    if shares.is_empty() {
        return;
    }
    let bars: Vec<Bar> = shares
        .iter()
        .map(|(d, s)| {
            Bar::default()
                .label(Line::from(d.chars().take(3).collect::<String>()))
                .value(permille(*s))
                .text_value(format!("{:.0}%", s * 100.0))
        })
        .collect();
    let chart = BarChart::default()
        .block(block("Weekday share of revenue", theme))
        .data(BarGroup::default().bars(&bars))
        .bar_width(4)
        .bar_gap(1)
        .bar_style(theme.chart)
        .value_style(theme.selected);
    f.render_widget(chart, area);
}

/// Hours as bars of equal width with a time axis below (0, 6, 12, 18 under their bars), so
/// two-digit hours are never cut to one digit.
fn hour_bars(f: &mut Frame, area: Rect, hours: Option<&[(i64, f64)]>, theme: &Theme) {
    let b = block("Revenue by hour of day", theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(hours) = hours else {
        return note(f, inner, "The dates carry no time of day.", theme.muted);
    };
    let [plot, axis] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let width = (inner.width / 24).max(1);
    let bars: Vec<Bar> = (0..24i64)
        .map(|h| {
            let share = hours.iter().find(|(x, _)| *x == h).map_or(0.0, |p| p.1);
            Bar::default()
                .value(permille(share))
                .text_value(String::new())
        })
        .collect();
    let chart = BarChart::default()
        .data(BarGroup::default().bars(&bars))
        .bar_width(width)
        .bar_gap(0)
        .bar_style(theme.chart);
    f.render_widget(chart, plot);
    let mut ticks = vec![' '; (24 * width as usize).min(axis.width as usize)];
    for h in [0usize, 6, 12, 18] {
        for (k, ch) in h.to_string().chars().enumerate() {
            if let Some(slot) = ticks.get_mut(h * width as usize + k) {
                *slot = ch;
            }
        }
    }
    let text: String = ticks.into_iter().collect();
    f.render_widget(Paragraph::new(Span::styled(text, theme.muted)), axis);
}
