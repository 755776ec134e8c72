//! The Segments pane's other views: the customers as a scatter on the first two principal
//! components, each segment's silhouette values, and two segments' profiles side by side.
//! Segments are told apart by their number as the marker (legible in monochrome) and, where
//! the theme has colour, by hue.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{block, fit, note, ready};
use crate::analysis::projection::{Projection, SegmentSilhouette, SegmentViews};
use crate::analysis::segment::{self, Profile};
use crate::humanize;
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// A segment's marker: its number as the profile table shows it (1-based), then letters.
fn marker(segment: usize) -> char {
    const MARKS: &[u8] = b"123456789abcdefghijk";
    MARKS.get(segment).map_or('*', |&b| b as char)
}

/// The pictures of the segmentation on screen, or a note while they are made.
fn views<'a>(f: &mut Frame, area: Rect, app: &'a App, theme: &Theme) -> Option<&'a SegmentViews> {
    match app.segment_views() {
        Some(slot) => ready(f, area, slot, "the segment pictures", theme).map(|v| &**v),
        None => {
            note(f, area, "Computing the segment pictures…", theme.muted);
            None
        }
    }
}

pub fn scatter(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let b = block("Customers on the first two principal components", theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(v) = views(f, inner, app, theme) else {
        return;
    };
    let Some(p) = &v.projection else {
        return note(
            f,
            inner,
            "One feature only: there is no plane to draw. Choose a feature set with more (f).",
            theme.muted,
        );
    };
    let [plot, legend] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(inner);
    let grid = Raster::of(p, plot.width as usize, plot.height as usize);
    let lines: Vec<Line> = grid
        .cells
        .iter()
        .map(|row| {
            Line::from(
                row.iter()
                    .map(|cell| match *cell {
                        Cell::Empty => Span::raw(" "),
                        Cell::Point(s) => Span::styled(marker(s).to_string(), theme.series(s)),
                        Cell::Centre(s) => Span::styled(
                            marker(s).to_string(),
                            theme.series(s).patch(theme.selected),
                        ),
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    f.render_widget(Paragraph::new(lines), plot);
    let text = format!(
        "PC1 {} · PC2 {} of the variance · {} of {} customers · centres reversed{}",
        humanize::share(p.explained.0),
        humanize::share(p.explained.1),
        humanize::count(v.sampled as i64),
        humanize::count(v.customers as i64),
        if grid.outside > 0 {
            format!(
                " · {} beyond the edges",
                humanize::count(grid.outside as i64)
            )
        } else {
            String::new()
        }
    );
    f.render_widget(
        Paragraph::new(Span::styled(fit(&text, legend.width as usize), theme.muted)),
        legend,
    );
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cell {
    Empty,
    /// The segment with most points in the cell.
    Point(usize),
    Centre(usize),
}

/// The projection binned into terminal cells: the middle 98% of each axis fills the plot (an
/// outlier would squash everyone else into one column); points beyond are counted, not drawn.
struct Raster {
    cells: Vec<Vec<Cell>>,
    outside: usize,
}

impl Raster {
    fn of(p: &Projection, width: usize, height: usize) -> Raster {
        let (width, height) = (width.max(1), height.max(1));
        let xs: Vec<f64> = p.points.iter().map(|q| q.0).collect();
        let ys: Vec<f64> = p.points.iter().map(|q| q.1).collect();
        let (x0, x1) = middle(&xs);
        let (y0, y1) = middle(&ys);
        let at = |x: f64, y: f64| -> Option<(usize, usize)> {
            if !(x0..=x1).contains(&x) || !(y0..=y1).contains(&y) {
                return None;
            }
            let c = ((x - x0) / (x1 - x0) * (width - 1) as f64).round() as usize;
            let r = ((y1 - y) / (y1 - y0) * (height - 1) as f64).round() as usize;
            Some((r.min(height - 1), c.min(width - 1)))
        };
        let k = p.labels.iter().copied().max().map_or(0, |m| m + 1);
        let mut counts = vec![vec![vec![0u32; k.max(1)]; width]; height];
        let mut outside = 0;
        for (&(x, y), &l) in p.points.iter().zip(&p.labels) {
            match at(x, y) {
                Some((r, c)) => counts[r][c][l] += 1,
                None => outside += 1,
            }
        }
        let mut cells: Vec<Vec<Cell>> = counts
            .iter()
            .map(|row| {
                row.iter()
                    .map(|n| match n.iter().enumerate().max_by_key(|(_, c)| **c) {
                        Some((s, &c)) if c > 0 => Cell::Point(s),
                        _ => Cell::Empty,
                    })
                    .collect()
            })
            .collect();
        for (s, &(x, y)) in p.centres.iter().enumerate() {
            if let Some((r, c)) = at(x.clamp(x0, x1), y.clamp(y0, y1)) {
                cells[r][c] = Cell::Centre(s);
            }
        }
        Raster { cells, outside }
    }
}

/// The 1st and 99th percentiles of `v`, widened when they meet.
fn middle(v: &[f64]) -> (f64, f64) {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return (-1.0, 1.0);
    }
    s.sort_by(f64::total_cmp);
    let q = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize];
    let (lo, hi) = (q(0.01), q(0.99));
    if hi - lo > 1e-12 {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    }
}

/// Each segment's silhouette values as bars, largest first, in rows shared by size; the
/// segment's mean beside its label. Bars left of the axis are customers closer to another
/// segment than to their own.
pub fn silhouette(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let sample = match app.segment_views().and_then(|s| s.ready()) {
        Some(v) if v.sampled < v.customers => format!(
            " · a sample of {} of {} customers",
            humanize::count(v.sampled as i64),
            humanize::count(v.customers as i64)
        ),
        _ => String::new(),
    };
    let b = block(
        &format!("Silhouette per segment (each bar a slice of customers){sample}"),
        theme,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(v) = views(f, inner, app, theme) else {
        return;
    };
    let total: usize = v.silhouettes.iter().map(|s| s.values.len()).sum();
    if total == 0 {
        return note(f, inner, "No clustered customers to score.", theme.muted);
    }
    let label_w = 20usize;
    let bar_w = (inner.width as usize).saturating_sub(label_w + 1).max(4);
    let rows = silhouette_rows(&v.silhouettes, inner.height as usize, total);
    let lines: Vec<Line> = rows
        .iter()
        .map(|(s, label, value)| {
            let label = fit(label, label_w);
            Line::from(vec![
                Span::styled(format!("{label:<label_w$} "), theme.muted),
                Span::styled(signed_bar(*value, bar_w), theme.series(*s)),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// (segment, label, value) per screen row: each segment gets one row and a share of the rest
/// in proportion to its size, so every segment fits; each row is the median of its slice of
/// sorted values.
fn silhouette_rows(
    segments: &[SegmentSilhouette],
    height: usize,
    total: usize,
) -> Vec<(usize, String, f64)> {
    let shown: Vec<&SegmentSilhouette> = segments.iter().filter(|s| !s.values.is_empty()).collect();
    let rows = rows_by_size(&shown, height, total);
    let mut out = Vec::new();
    for (s, &n) in shown.iter().zip(&rows) {
        for i in 0..n {
            let a = i * s.values.len() / n;
            let b = ((i + 1) * s.values.len() / n).max(a + 1);
            let slice = &s.values[a..b];
            let label = if i == 0 {
                format!(
                    "{} mean {:.2} n={}",
                    s.segment + 1,
                    s.mean,
                    humanize::count(s.values.len() as i64)
                )
            } else {
                String::new()
            };
            out.push((s.segment, label, slice[slice.len() / 2]));
        }
    }
    out
}

/// Screen rows per segment: one each, the rest shared by size (largest remainders first), never
/// more than a segment has customers.
fn rows_by_size(segments: &[&SegmentSilhouette], height: usize, total: usize) -> Vec<usize> {
    let spare = height.saturating_sub(segments.len());
    let exact: Vec<f64> = segments
        .iter()
        .map(|s| (s.values.len() * spare) as f64 / total.max(1) as f64)
        .collect();
    let mut rows: Vec<usize> = exact.iter().map(|e| 1 + e.floor() as usize).collect();
    let mut left = spare.saturating_sub(rows.iter().map(|r| r - 1).sum());
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    for i in order {
        if left == 0 {
            break;
        }
        rows[i] += 1;
        left -= 1;
    }
    rows.iter()
        .zip(segments)
        .map(|(&r, s)| r.min(s.values.len()))
        .collect()
}

/// A bar for a value in [-1, 1]: the axis a quarter of the way in, negatives to its left.
fn signed_bar(x: f64, width: usize) -> String {
    let zero = width / 4;
    let x = if x.is_finite() {
        x.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let mut cells = vec![' '; width];
    if x >= 0.0 {
        let n = (x * (width - zero - 1) as f64).round() as usize;
        for c in cells.iter_mut().skip(zero + 1).take(n) {
            *c = '█';
        }
    } else {
        let n = (-x * zero as f64).round() as usize;
        for c in cells.iter_mut().take(zero).skip(zero - n) {
            *c = '▒';
        }
    }
    cells[zero] = '│';
    cells.into_iter().collect()
}

/// Two segments side by side (or one against everyone): size and revenue shares, then each
/// shown feature's mean, with the ratio of the first to the second.
pub fn compare(f: &mut Frame, area: Rect, app: &App, a: usize, theme: &Theme) {
    let Some(r) = &app.seg.result else { return };
    let profiles = &r.seg.profiles;
    let Some(pa) = profiles.get(a) else { return };
    let b = app.seg.row.min(profiles.len().saturating_sub(1));
    let everyone = segment::everyone(profiles);
    let (pb, b_name) = if b == a {
        (&everyone, "everyone".to_string())
    } else {
        (
            &profiles[b],
            format!("{} {}", profiles[b].id, profiles[b].persona),
        )
    };
    let title = format!(
        "Compare {} {} with {b_name} (Up/Down picks, x ends)",
        pa.id, pa.persona
    );
    let w = (area.width as usize).saturating_sub(2);
    let name_w = w.saturating_sub(3 * 12 + 3).clamp(8, 28);
    let line = |name: &str, x: &str, y: &str, ratio: &str| {
        format!("{:<name_w$} {x:>12} {y:>12} {ratio:>12}", fit(name, name_w))
    };
    let head = line(
        "",
        &fit(&format!("seg {}", pa.id), 12),
        &fit(if b == a { "everyone" } else { &b_name }, 12),
        "ratio",
    );
    let mut lines = vec![Line::from(Span::styled(head, theme.accent))];
    lines.extend(compared(pa, pb).into_iter().map(|(name, x, y, share)| {
        let text = |v: f64| {
            if share {
                humanize::share(v)
            } else {
                humanize::number(v)
            }
        };
        let row = line(&name, &text(x), &text(y), &ratio(x, y));
        Line::from(Span::styled(row, theme.text))
    }));
    f.render_widget(Paragraph::new(lines).block(block(&title, theme)), area);
}

/// (figure, first, second, is a share) for two profiles: their shares of customers and revenue,
/// then each shown feature's mean (NaN where the second lacks it).
fn compared(a: &Profile, b: &Profile) -> Vec<(String, f64, f64, bool)> {
    let mut rows = vec![
        ("share of customers".to_string(), a.share, b.share, true),
        (
            "share of revenue".to_string(),
            a.revenue_share,
            b.revenue_share,
            true,
        ),
    ];
    for (name, x) in &a.mean {
        let y = b
            .mean
            .iter()
            .find(|(n, _)| n == name)
            .map_or(f64::NAN, |m| m.1);
        rows.push((name.clone(), *x, y, false));
    }
    rows
}

/// "3.2×", or "–" where the second is zero or missing.
fn ratio(x: f64, y: f64) -> String {
    if y.abs() < 1e-12 || !x.is_finite() || !y.is_finite() {
        "–".to_string()
    } else {
        format!("{:.2}×", x / y)
    }
}
