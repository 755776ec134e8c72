//! EDA: the list of tables, and the chosen one with scrolling, sorting and a filter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

use super::{block, fit, ready};
use crate::analysis::Value;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(eda) = ready(f, area, &app.eda, "the EDA tables", theme) else {
        return;
    };
    let v = &app.eda_view;
    let [list_area, table_area] =
        Layout::horizontal([Constraint::Length(26), Constraint::Min(0)]).areas(area);
    let items: Vec<ListItem> = eda
        .tables
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
    f.render_stateful_widget(list, list_area, &mut state);

    let Some((table, rows)) = app.eda_rows() else {
        return;
    };
    let outer = block(&table.title, theme).border_style(if v.in_list {
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

    // Column widths from the content, capped so one wide column cannot hide the rest.
    let widths0: Vec<usize> = (0..table.columns.len())
        .map(|c| {
            let cells = rows
                .iter()
                .take(200)
                .map(|&r| table.rows[r][c].display().chars().count());
            cells
                .chain(std::iter::once(table.columns[c].chars().count() + 1))
                .max()
                .unwrap_or(4)
                .clamp(3, 28)
        })
        .collect();
    // First visible column: as far left as still shows the cursor column.
    let room = grid.width as usize;
    let widths = widths0;
    let mut start = v.col.min(widths.len().saturating_sub(1));
    while start > 0
        && widths[start - 1..=v.col.min(widths.len() - 1)]
            .iter()
            .map(|w| w + 2)
            .sum::<usize>()
            <= room
    {
        start -= 1;
    }
    // Columns that fit; the last one is cut to the room left rather than dropped.
    let mut widths = widths;
    let mut visible = Vec::new();
    let mut used = 0;
    for (c, w) in widths.iter_mut().enumerate().skip(start) {
        let left = room.saturating_sub(used + 2);
        if left < 4 {
            break;
        }
        *w = (*w).min(left);
        visible.push(c);
        used += *w + 2;
    }
    let numeric = |c: usize| {
        rows.iter()
            .take(50)
            .all(|&r| !matches!(table.rows[r][c], Value::Text(_)))
    };
    let cell = |text: &str, c: usize| {
        let w = widths[c];
        let t = fit(text, w);
        if numeric(c) {
            format!("{t:>w$}  ")
        } else {
            format!("{t:<w$}  ")
        }
    };
    let mut lines = Vec::new();
    let header: Vec<Span> = visible
        .iter()
        .map(|&c| {
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
            Span::styled(cell(&format!("{}{arrow}", table.columns[c]), c), style)
        })
        .collect();
    lines.push(Line::from(header));
    let height = (grid.height as usize).saturating_sub(1);
    let offset = v.row.saturating_sub(height.saturating_sub(1));
    for (i, &r) in rows.iter().enumerate().skip(offset).take(height) {
        let style = if i == v.row && !v.in_list {
            theme.selected
        } else {
            theme.text
        };
        let spans: Vec<Span> = visible
            .iter()
            .map(|&c| Span::styled(cell(&table.rows[r][c].display(), c), style))
            .collect();
        lines.push(Line::from(spans));
    }
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "no rows match the filter",
            theme.muted,
        )));
    }
    f.render_widget(Paragraph::new(lines), grid);
    if show_filter {
        let cursor = if v.editing { "_" } else { "" };
        let text = format!(
            "/ {}{cursor}   {} of {} rows",
            fit(&v.filter, 40),
            rows.len(),
            table.rows.len()
        );
        f.render_widget(Paragraph::new(Span::styled(text, theme.warn)), filter_line);
    }
}
