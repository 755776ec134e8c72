//! Segments: the profile table for the current K, algorithm and features; size and revenue
//! bars; metrics; the K sweep with the current K marked; members and migration views.

use crate::analysis::features::{CustomerFeatures, names};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::segment_views;
use super::{block, fit, human, note};
use crate::analysis::migrate::Migration;
use crate::analysis::segment::{Algo, Profile, Sweep};
use crate::tui::app::{App, SegView, SegmentsView, Slot};
use crate::tui::theme::Theme;

fn algo_name(a: Algo) -> &'static str {
    match a {
        Algo::Kmeans => "K-means",
        Algo::Gmm => "Gaussian mixture",
        Algo::Ward => "Ward",
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let s = &app.seg;
    let warnings = s.result.as_ref().map_or(0, |r| r.seg.warnings.len().min(2));
    let [head, body] =
        Layout::vertical([Constraint::Length(2 + warnings as u16), Constraint::Min(0)]).areas(area);
    header(f, head, app, theme);

    if let Some(e) = &s.error
        && s.result.is_none()
    {
        return note(
            f,
            body,
            &format!("Segments cannot be computed: {e}"),
            theme.bad,
        );
    }
    if s.result.is_none() {
        return note(f, body, "Computing segments…", theme.muted);
    }
    if s.migration {
        return migration(f, body, app, theme);
    }
    let [table_area, lower] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(9)]).areas(body);
    match (s.view, s.members, s.compare) {
        (SegmentsView::Scatter, _, _) => segment_views::scatter(f, table_area, app, theme),
        (SegmentsView::Silhouette, _, _) => segment_views::silhouette(f, table_area, app, theme),
        (_, Some(row), _) => members(f, table_area, app, row, theme),
        (_, None, Some(a)) => segment_views::compare(f, table_area, app, a, theme),
        _ => profiles(f, table_area, app, theme),
    }
    let [why, sweep] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lower);
    explanation(f, why, app, theme);
    sweep_box(f, sweep, app, theme);
}

/// The settings line, the metrics line and up to two warnings.
fn header(f: &mut Frame, head: Rect, app: &App, theme: &Theme) {
    let s = &app.seg;
    let mut head_lines = vec![settings_line(s, theme), Line::from(metrics_span(s, theme))];
    if let Some(r) = &s.result {
        for w in r.seg.warnings.iter().take(2) {
            head_lines.push(Line::from(Span::styled(
                format!(
                    " ⚠ segment {} holds {:.1}%: {} by {} (e.g. {})",
                    w.segment,
                    w.share * 100.0,
                    if w.kind == "small" {
                        "set apart"
                    } else {
                        "the rest set apart"
                    },
                    w.features.join(", "),
                    w.customers.join(", ")
                ),
                theme.warn,
            )));
        }
    }
    f.render_widget(Paragraph::new(head_lines), head);
}

/// K, algorithm, features and scaler, and the K being computed if any.
fn settings_line(s: &SegView, theme: &Theme) -> Line<'static> {
    let mut l1 = vec![
        Span::styled(format!(" K = {} ", s.k), theme.selected),
        Span::styled(
            format!(
                "  {}  features {}  scaler {}",
                algo_name(s.algo),
                s.features_spec(),
                s.scaler.name()
            ),
            theme.accent,
        ),
    ];
    if s.pending.is_some() {
        l1.push(Span::styled(
            format!("   ⟳ computing K = {}…", s.k),
            theme.warn,
        ));
    }
    Line::from(l1)
}

/// The shown fit's metrics, or that they are still being scored.
fn metrics_span(s: &SegView, theme: &Theme) -> Span<'static> {
    match &s.result {
        Some(r) if !crate::analysis::segment::is_scored(&r.seg) => Span::styled(
            format!(
                " K={} {}: ⟳ scoring (silhouette, Davies-Bouldin)…",
                r.seg.k,
                r.seg.algo.name()
            ),
            theme.warn,
        ),
        Some(r) => {
            let m = &r.seg.metrics;
            let sample = if m.silhouette_sample < r.seg.ids.len() {
                format!(" (n={})", m.silhouette_sample)
            } else {
                String::new()
            };
            let ari = r
                .agreement
                .map_or(String::new(), |(a, _)| format!("  ARI {a:.2}"));
            Span::styled(
                format!(
                    " K={} {}: silhouette {:.3}{sample}  DB {:.2}  CH {}  inertia {}{ari}",
                    r.seg.k,
                    r.seg.algo.name(),
                    m.silhouette,
                    m.davies_bouldin,
                    human(m.calinski_harabasz),
                    human(m.inertia)
                ),
                theme.text,
            )
        }
        None => Span::styled(" ", theme.text),
    }
}

/// The K sweep: silhouette and inertia per K, the current K marked, the suggested K named.
fn sweep_box(f: &mut Frame, sweep: Rect, app: &App, theme: &Theme) {
    let s = &app.seg;
    let title = match s.sweeps.get(&s.sweep_key()) {
        Some(Slot::Ready(sw)) => {
            format!("K sweep · suggests K = {}", sw.suggested_k)
        }
        _ => "K sweep: silhouette, inertia".to_string(),
    };
    let b = block(&title, theme);
    let inner = b.inner(sweep);
    f.render_widget(b, sweep);
    match s.sweeps.get(&s.sweep_key()) {
        Some(Slot::Ready(sw)) => {
            f.render_widget(Paragraph::new(sweep_lines(sw, s.k, inner, theme)), inner)
        }
        Some(Slot::Failed(e)) => note(f, inner, &format!("sweep failed: {e}"), theme.bad),
        _ => note(f, inner, "computing the sweep…", theme.muted),
    }
}

/// One line per K that fits in `inner`: silhouette and inertia bars, each scaled to its
/// largest, with K = `k` marked.
fn sweep_lines(sw: &Sweep, k: usize, inner: Rect, theme: &Theme) -> Vec<Line<'static>> {
    let max_s = sw
        .rows
        .iter()
        .map(|r| r.metrics.silhouette)
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let max_i = sw
        .rows
        .iter()
        .map(|r| r.metrics.inertia)
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let w = (inner.width as usize).saturating_sub(16) / 2;
    sw.rows
        .iter()
        .take(inner.height as usize)
        .map(|row| {
            let mark = if row.k == k { "▶" } else { " " };
            let style = if row.k == k {
                theme.selected
            } else {
                theme.text
            };
            Line::from(vec![
                Span::styled(format!("{mark}{:>2} ", row.k), style),
                Span::styled(
                    format!(
                        "{:<w$}",
                        "█".repeat(
                            ((row.metrics.silhouette.max(0.0) / max_s) * w as f64).round() as usize
                        )
                    ),
                    theme.chart,
                ),
                Span::styled(format!("{:>5.2} ", row.metrics.silhouette), theme.text),
                Span::styled(
                    format!(
                        "{:<w$}",
                        "▒".repeat(((row.metrics.inertia / max_i) * w as f64).round() as usize)
                    ),
                    theme.muted,
                ),
            ])
        })
        .collect()
}

fn profiles(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(r) = &app.seg.result else { return };
    let wide = area.width >= 120;
    let mut lines = vec![Line::from(Span::styled(
        profiles_heading(wide),
        theme.accent,
    ))];
    for (i, p) in r.seg.profiles.iter().enumerate() {
        let style = if i == app.seg.row {
            theme.selected
        } else {
            theme.text
        };
        lines.push(Line::from(Span::styled(profile_row(p, wide), style)));
    }
    f.render_widget(
        Paragraph::new(lines).block(block("Segments (means per customer)", theme)),
        area,
    );
}

/// The profile table's column names; a wide pane also has revenue and top region.
fn profiles_heading(wide: bool) -> String {
    if wide {
        format!(
            "{:>3}  {:<22} {:>6} {:>6} {:>9} {:>6}  {:<14} {:<14} {:>8} {:>6} {:>9}",
            "seg",
            "persona",
            "size",
            "share",
            "revenue",
            "rev%",
            "top category",
            "top region",
            "recency",
            "freq",
            names::MONETARY
        )
    } else {
        format!(
            "{:>3} {:<23} {:>5} {:>6} {:>6} {:<8} {:>5} {:>5} {:>8}",
            "seg",
            "persona",
            "size",
            "share",
            "rev%",
            "category",
            "rcncy",
            "freq",
            names::MONETARY
        )
    }
}

/// One segment's row of the profile table, in [`profiles_heading`]'s columns.
fn profile_row(p: &Profile, wide: bool) -> String {
    let mean = |n: &str| p.mean.iter().find(|(k, _)| k == n).map_or(0.0, |(_, v)| *v);
    let cat = p.top_category.as_deref().unwrap_or("-");
    if wide {
        format!(
            "{:>3}  {:<22} {:>6} {:>5.1}% {:>9} {:>5.1}%  {:<14} {:<14} {:>8.0} {:>6.1} {:>9}",
            p.id,
            fit(&p.persona, 22),
            p.size,
            p.share * 100.0,
            human(p.revenue),
            p.revenue_share * 100.0,
            fit(cat, 14),
            fit(p.top_region.as_deref().unwrap_or("-"), 14),
            mean(names::RECENCY_DAYS),
            mean(names::FREQUENCY),
            human(mean(names::MONETARY))
        )
    } else {
        format!(
            "{:>3} {:<23} {:>5} {:>5.1}% {:>5.1}% {:<8} {:>5.0} {:>5.1} {:>8}",
            p.id,
            fit(&p.persona, 23),
            p.size,
            p.share * 100.0,
            p.revenue_share * 100.0,
            fit(cat, 8),
            mean(names::RECENCY_DAYS),
            mean(names::FREQUENCY),
            human(mean(names::MONETARY))
        )
    }
}

/// Why the selected segment is what it is: its persona rule with the values that fired it,
/// then the features that set it apart (segment median against every clustered customer's).
fn explanation(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(r) = &app.seg.result else { return };
    let Some(p) = r
        .seg
        .profiles
        .get(app.seg.row.min(r.seg.profiles.len().saturating_sub(1)))
    else {
        return;
    };
    let b = block(&format!("Why segment {}: {}", p.id, p.persona), theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let width = inner.width as usize;
    // The rule without the persona's name (the title has it), over as many lines as it needs.
    let rule = p.rule.split_once(": ").map_or(p.rule.as_str(), |(_, r)| r);
    let mut lines: Vec<Line> = wrap_words(rule, width)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme.text)))
        .collect();
    let room = (inner.height as usize).saturating_sub(lines.len());
    for d in p.distinctive.iter().take(room) {
        let ratio = d
            .ratio
            .map_or(String::new(), |r| format!(" {}×", human_ratio(r)));
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} ", if d.z >= 0.0 { "▲" } else { "▼" }),
                if d.z >= 0.0 { theme.good } else { theme.bad },
            ),
            Span::styled(
                fit(
                    &format!(
                        "{} {} vs {}{ratio}",
                        d.feature,
                        human(d.median),
                        human(d.overall_median)
                    ),
                    width.saturating_sub(2),
                ),
                theme.text,
            ),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// `text` cut into lines of at most `width` characters at spaces (a longer word is cut).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

/// A ratio with two significant figures.
fn human_ratio(r: f64) -> String {
    if r.abs() >= 10.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

fn members(f: &mut Frame, area: Rect, app: &App, row: usize, theme: &Theme) {
    let (Some(r), Some(index), Some(feat)) =
        (&app.seg.result, app.index.ready(), app.features.ready())
    else {
        return;
    };
    let list = app.members(app.seg.row);
    let p = &r.seg.profiles[app.seg.row.min(r.seg.profiles.len() - 1)];
    let b = block(
        &format!(
            "Segment {} {} — {} customers (Enter opens one)",
            p.id,
            p.persona,
            list.len()
        ),
        theme,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let height = inner.height as usize;
    let offset = row.saturating_sub(height.saturating_sub(2));
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<12} {:<24} {:>10} {:>6} {:>8}",
            "customer",
            "name",
            names::MONETARY,
            "freq",
            "recency"
        ),
        theme.accent,
    ))];
    for (n, &i) in list
        .iter()
        .enumerate()
        .skip(offset)
        .take(height.saturating_sub(1))
    {
        let id = &r.seg.ids[i];
        let name = index
            .position(id)
            .and_then(|k| index.names[k].clone())
            .unwrap_or_default();
        let style = if n == row { theme.selected } else { theme.text };
        lines.push(Line::from(Span::styled(
            member_row(id, &name, &feat.features, i),
            style,
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Customer `i`'s row of the members list: id, name, spend, orders and recency.
fn member_row(id: &str, name: &str, features: &CustomerFeatures, i: usize) -> String {
    let col = |name: &str| features.column(name).map_or(0.0, |j| features.raw[[i, j]]);
    format!(
        "{:<12} {:<24} {:>10} {:>6.0} {:>8.0}",
        fit(id, 12),
        fit(name, 24),
        human(col(names::MONETARY)),
        col(names::FREQUENCY),
        col(names::RECENCY_DAYS)
    )
}

fn migration(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let b = block(
        "Migration: segment before the last quarter → segment now",
        theme,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    match app.seg.migrations.get(&app.seg.migration_key()) {
        Some(Slot::Ready(m)) => migration_lines(f, inner, m, theme),
        Some(Slot::Failed(e)) => note(
            f,
            inner,
            &format!("Migration cannot be computed: {e}"),
            theme.bad,
        ),
        _ => note(f, inner, "Computing the migration…", theme.muted),
    }
}

/// The migration counts as fixed-width text: a wide first column with each group before,
/// then one narrow column per group after (its number), the row's total and its customers who
/// bought nothing after the split.
fn migration_lines(f: &mut Frame, area: Rect, m: &Migration, theme: &Theme) {
    let first = 24usize;
    let rest =
        ((area.width as usize).saturating_sub(first) / (m.groups.len() + 2).max(1)).clamp(6, 14);
    let fmt_row = |label: &str, cells: Vec<String>| {
        let mut line = format!("{:<first$}", fit(label, first));
        for c in cells {
            line.push_str(&format!("{:>rest$}", fit(&c, rest - 1)));
        }
        line
    };
    let mut header: Vec<String> = (1..=m.groups.len()).map(|g| format!("→{g}")).collect();
    header.extend(["total".to_string(), "no buy".to_string()]);
    let mut lines = vec![Line::from(Span::styled(
        fmt_row("before", header),
        theme.accent,
    ))];
    for (r, counts) in m.counts.iter().enumerate() {
        let mut cells: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
        cells.push(counts.iter().sum::<usize>().to_string());
        cells.push(m.idle[r].to_string());
        lines.push(Line::from(Span::styled(
            fmt_row(m.row_label(r), cells),
            theme.text,
        )));
    }
    f.render_widget(Paragraph::new(lines), area);
}
