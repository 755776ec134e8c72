//! EDA: the list of tables, and the chosen one with scrolling, sorting and a filter. The key
//! column (the region, the product) stays put when scrolling right; numbers read as people
//! write them; share columns carry an inline bar.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

use super::{block, fit, ready};
use crate::analysis::{Table, Value};
use crate::humanize;
use crate::tui::app::{App, EdaView};
use crate::tui::theme::Theme;

/// Widest a column grows, so one long name cannot hide the rest.
const MAX_WIDTH: usize = 28;
/// Characters of inline bar beside a share.
const BAR: usize = 6;

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let v = &app.eda_view;
    let what = if v.drill.is_empty() {
        "the EDA tables".to_string()
    } else {
        format!("the tables of {}", v.drill_path())
    };
    let Some(eda) = ready(f, area, app.eda_shown(), &what, theme) else {
        return;
    };
    let [list_area, table_area] =
        Layout::horizontal([Constraint::Length(26), Constraint::Min(0)]).areas(area);
    table_list(f, list_area, &eda.tables, v, theme);
    let Some((table, rows)) = app.eda_rows() else {
        return;
    };
    let title = if v.drill.is_empty() {
        table.title.clone()
    } else {
        format!("{} · {} (Backspace: up)", v.drill_path(), table.title)
    };
    let outer = block(&title, theme).border_style(if v.in_list {
        theme.border
    } else {
        theme.accent
    });
    let inner = outer.inner(table_area);
    f.render_widget(outer, table_area);
    let show_filter = v.editing || !v.filter.is_empty();
    let [grid, filter_line] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(u16::from(show_filter)),
    ])
    .areas(inner);
    let shape = Shape::of(table, &rows);
    let columns = visible_columns(&shape, v.col, grid.width as usize);
    let mut lines = vec![header_line(table, &shape, &columns, v, theme)];
    lines.extend(body_lines(
        table,
        &rows,
        &shape,
        &columns,
        v,
        grid.height,
        theme,
    ));
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "no rows match the filter",
            theme.muted,
        )));
    }
    f.render_widget(Paragraph::new(lines), grid);
    if show_filter {
        filter_bar(f, filter_line, v, rows.len(), table.rows.len(), theme);
    }
}

fn table_list(f: &mut Frame, area: Rect, tables: &[Table], v: &EdaView, theme: &Theme) {
    let items: Vec<ListItem> = tables
        .iter()
        .map(|t| ListItem::new(fit(&t.name, 22)))
        .collect();
    let mut state = ListState::default().with_selected(Some(v.table));
    let list = List::new(items)
        .block(block("Tables", theme).border_style(if v.in_list {
            theme.accent
        } else {
            theme.border
        }))
        .highlight_style(theme.selected);
    f.render_stateful_widget(list, area, &mut state);
}

/// What each column is: its width from the content, whether it is numeric, and for share
/// columns the largest share (the bar's full length).
struct Shape {
    widths: Vec<usize>,
    numeric: Vec<bool>,
    bar_max: Vec<Option<f64>>,
    /// Leading columns that stay on screen when scrolling right: through the first text column
    /// (the region; the rank and the product), when it is one of the first two.
    frozen: usize,
}

impl Shape {
    fn of(table: &Table, rows: &[usize]) -> Shape {
        let n = table.columns.len();
        let sample = || rows.iter().take(200).map(|&r| &table.rows[r]);
        let numeric: Vec<bool> = (0..n)
            .map(|c| sample().all(|row| !matches!(row[c], Value::Text(_))))
            .collect();
        let bar_max: Vec<Option<f64>> = (0..n)
            .map(|c| {
                let shares: Vec<f64> = rows
                    .iter()
                    .filter_map(|&r| match table.rows[r][c] {
                        Value::Share(x) if x.is_finite() => Some(x),
                        _ => None,
                    })
                    .collect();
                let max = shares.iter().copied().fold(0.0_f64, f64::max);
                (!shares.is_empty() && max > 0.0).then_some(max)
            })
            .collect();
        let widths = (0..n)
            .map(|c| {
                let content = sample()
                    .map(|row| humanize::cell(&row[c]).chars().count())
                    .max()
                    .unwrap_or(0);
                let bar = if bar_max[c].is_some() { BAR + 1 } else { 0 };
                (content + bar)
                    .max(table.columns[c].chars().count() + 1)
                    .clamp(3, MAX_WIDTH)
            })
            .collect();
        let frozen = match numeric.iter().position(|&is_number| !is_number) {
            Some(k) if k < 2 && k + 1 < n => k + 1,
            _ => 0,
        };
        Shape {
            widths,
            numeric,
            bar_max,
            frozen,
        }
    }
}

/// The columns drawn and their widths: the frozen key first, then from as far left as still
/// shows the cursor column; the last one is cut to the room left rather than dropped.
fn visible_columns(shape: &Shape, cursor: usize, room: usize) -> Vec<(usize, usize)> {
    let n = shape.widths.len();
    if n == 0 {
        return Vec::new();
    }
    let cursor = cursor.min(n - 1);
    // The key columns, when the cursor has moved past them.
    let keys = if cursor >= shape.frozen {
        shape.frozen
    } else {
        0
    };
    let key_width: usize = shape.widths[..keys].iter().map(|w| w + 2).sum();
    let room_after_key = room.saturating_sub(key_width);
    let first = keys;
    let mut start = cursor.max(first);
    while start > first
        && shape.widths[start - 1..=cursor]
            .iter()
            .map(|w| w + 2)
            .sum::<usize>()
            <= room_after_key
    {
        start -= 1;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for c in 0..keys {
        let w = shape.widths[c].min(room.saturating_sub(used + 2));
        out.push((c, w));
        used += w + 2;
    }
    for c in start..n {
        let left = room.saturating_sub(used + 2);
        if left < 4 {
            break;
        }
        let w = shape.widths[c].min(left);
        out.push((c, w));
        used += w + 2;
    }
    out
}

/// One cell padded to its width: numbers right-aligned, text left-aligned.
fn pad(text: &str, width: usize, numeric: bool) -> String {
    let t = fit(text, width);
    if numeric {
        format!("{t:>width$}  ")
    } else {
        format!("{t:<width$}  ")
    }
}

/// A share with its bar: "84.6% ████▌ " in the bar's room, the number first so it reads alone.
fn share_with_bar(x: f64, max: f64, width: usize) -> String {
    let bar_room = BAR.min(width.saturating_sub(6));
    let number = humanize::cell_within(&Value::Share(x), width.saturating_sub(bar_room + 1));
    if bar_room == 0 {
        return number;
    }
    let eighths = ((x / max).clamp(0.0, 1.0) * (bar_room * 8) as f64).round() as usize;
    let mut bar = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        bar.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8 - 1]);
    }
    format!("{number} {bar:<bar_room$}")
}

fn cell_text(value: &Value, c: usize, width: usize, shape: &Shape) -> String {
    match (value, shape.bar_max[c]) {
        (Value::Share(x), Some(max)) => share_with_bar(*x, max, width),
        (Value::Text(s), _) => s.clone(),
        _ => humanize::cell_within(value, width),
    }
}

fn header_line<'a>(
    table: &Table,
    shape: &Shape,
    columns: &[(usize, usize)],
    v: &EdaView,
    theme: &Theme,
) -> Line<'a> {
    let spans: Vec<Span> = columns
        .iter()
        .map(|&(c, w)| {
            let arrow = match v.sort {
                Some((s, false)) if s == c => "▲",
                Some((s, true)) if s == c => "▼",
                _ => "",
            };
            let style = if c == v.col && !v.in_list {
                theme.selected
            } else {
                theme.accent
            };
            let name = format!("{}{arrow}", table.columns[c]);
            Span::styled(pad(&name, w, shape.numeric[c]), style)
        })
        .collect();
    Line::from(spans)
}

fn body_lines<'a>(
    table: &Table,
    rows: &[usize],
    shape: &Shape,
    columns: &[(usize, usize)],
    v: &EdaView,
    height: u16,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let height = (height as usize).saturating_sub(1);
    let offset = v.row.saturating_sub(height.saturating_sub(1));
    rows.iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, &r)| {
            let style: Style = if i == v.row && !v.in_list {
                theme.selected
            } else {
                theme.text
            };
            let spans: Vec<Span> = columns
                .iter()
                .map(|&(c, w)| {
                    let text = cell_text(&table.rows[r][c], c, w, shape);
                    Span::styled(pad(&text, w, shape.numeric[c]), style)
                })
                .collect();
            Line::from(spans)
        })
        .collect()
}

fn filter_bar(f: &mut Frame, area: Rect, v: &EdaView, shown: usize, all: usize, theme: &Theme) {
    let cursor = if v.editing { "_" } else { "" };
    let text = format!(
        "/ {}{cursor}   {} of {} rows",
        fit(&v.filter, 40),
        humanize::count(shown as i64),
        humanize::count(all as i64)
    );
    f.render_widget(Paragraph::new(Span::styled(text, theme.warn)), area);
}
