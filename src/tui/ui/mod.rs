//! Drawing: one pure module per pane, reading the App and never changing it. Every string from
//! the data goes through [`clean`], so names cannot carry escape sequences to the terminal.

mod eda;
mod help;
mod lookup;
mod overview;
mod segment_views;
mod segments;
pub mod trends;
mod value;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::action::Command;
use super::app::{App, MIN_HEIGHT, MIN_WIDTH, PANES, Pane, Slot};
use super::theme::Theme;

/// Data text made safe for the terminal (control, bidi and zero-width characters replaced).
pub fn clean(s: &str) -> String {
    crate::report::sanitize(s)
}

/// Shortens to `width` characters with an ellipsis.
pub fn fit(s: &str, width: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= width {
        s
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// Compact numbers for narrow columns (1234567 -> 1.23M), as [`crate::humanize::compact`].
pub fn human(x: f64) -> String {
    crate::humanize::compact(x)
}

pub fn block<'a>(title: &str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(format!(" {} ", clean(title)), theme.title))
}

/// A message in the middle of an area (waiting, failed, empty).
pub fn note(f: &mut Frame, area: Rect, text: &str, style: Style) {
    let p = Paragraph::new(clean(text))
        .style(style)
        .wrap(Wrap { trim: true });
    f.render_widget(p, area);
}

/// A row of choices with the chosen one highlighted (tabs, groups, metrics).
pub fn choices<'a>(
    labels: impl IntoIterator<Item = String>,
    chosen: usize,
    theme: &Theme,
) -> Vec<Span<'a>> {
    labels
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            Span::styled(
                format!(" {l} "),
                if i == chosen {
                    theme.selected
                } else {
                    theme.muted
                },
            )
        })
        .collect()
}

/// The value of a worker slot, or a note saying it is being computed or why it failed.
pub fn ready<'a, T>(
    f: &mut Frame,
    area: Rect,
    slot: &'a Slot<T>,
    what: &str,
    theme: &Theme,
) -> Option<&'a T> {
    match slot {
        Slot::Ready(t) => Some(t),
        Slot::Waiting => {
            note(f, area, &format!("Computing {what}…"), theme.muted);
            None
        }
        Slot::Failed(e) => {
            note(f, area, &format!("Cannot compute {what}: {e}"), theme.bad);
            None
        }
    }
}

fn too_small(f: &mut Frame, area: Rect, theme: &Theme) {
    let text = vec![
        Line::from(Span::styled("Terminal too small", theme.bad)),
        Line::from(format!(
            "segscope needs {MIN_WIDTH}x{MIN_HEIGHT}; this is {}x{}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window, or press q to quit."),
    ];
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn tabs(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let chosen = PANES.iter().position(|p| p.0 == app.pane).unwrap_or(0);
    let mut spans = choices(
        PANES
            .iter()
            .enumerate()
            .map(|(i, (_, name))| format!("{} {name}", i + 1)),
        chosen,
        theme,
    );
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = (area.width as usize).saturating_sub(used + 1);
    let name = match &app.slice {
        Some(s) => format!("[{s}] {}", app.dataset),
        None => app.dataset.clone(),
    };
    spans.push(Span::styled(format!(" {}", fit(&name, room)), theme.accent));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The status line's hints of each pane, as commands: the keys come from the live keymap, so
/// a config that rebinds a key shows its own key here.
fn hints(pane: Pane) -> &'static [(&'static [Command], &'static str)] {
    use Command as C;
    match pane {
        Pane::Overview => &[
            (&[C::NextPane], "panes"),
            (&[C::Slice, C::ClearSlice], "slice/whole"),
            (&[C::Help], "help"),
            (&[C::Quit], "quit"),
        ],
        Pane::Eda => &[
            (&[C::Enter], "open/drill"),
            (&[C::Sort], "sort"),
            (&[C::Search], "filter"),
            (&[C::Copy, C::CopyTable], "copy row/table"),
            (&[C::Export], "export"),
            (&[C::Back], "back"),
            (&[C::Help], "help"),
        ],
        Pane::Trends => &[
            (&[C::Left, C::Right], "group"),
            (&[C::Up, C::Down], "metric"),
            (&[C::MonthPrev, C::MonthNext], "month"),
            (&[C::PageUp, C::PageDown], "scroll"),
            (&[C::CopyTable], "copy"),
            (&[C::Help], "help"),
        ],
        Pane::Segments => &[
            (&[C::KUp, C::KDown], "K"),
            (&[C::ToggleAlgo], "algo"),
            (&[C::CycleFeatures], "features"),
            (&[C::CycleScaler], "scaler"),
            (&[C::Enter], "members"),
            (&[C::Migration], "migration"),
            (&[C::CycleView], "view"),
            (&[C::Compare], "compare"),
            (&[C::Copy], "copy"),
            (&[C::Help], "help"),
        ],
        Pane::Lookup => &[
            (&[C::Search], "search"),
            (&[C::Enter], "open"),
            (&[C::Back], "back"),
            (&[C::Copy], "copy id"),
            (&[C::Export], "export"),
            (&[C::Help], "help"),
        ],
        Pane::Value => &[
            (&[C::Left, C::Right], "view"),
            (&[C::Sort], "shade"),
            (&[C::Up, C::Down], "scroll"),
            (&[C::Export], "export"),
            (&[C::Help], "help"),
        ],
    }
}

/// "Enter open  s sort  …" from the keymap; a command with no key is left out.
fn hint_line(app: &App) -> String {
    hints(app.pane)
        .iter()
        .filter_map(|(commands, what)| {
            let keys: Vec<String> = commands
                .iter()
                .filter_map(|c| app.keymap.first_key(*c))
                .collect();
            (!keys.is_empty()).then(|| format!("{} {what}", keys.join("/")))
        })
        .collect::<Vec<_>>()
        .join("  ")
}

fn status(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let text = if let Some(bar) = &app.slice_bar {
        let hint = "  e.g. region=Europe, category=Books, from=2023-01-01, to=2023-06-30 · Enter applies, empty clears, Esc cancels";
        Span::styled(
            fit(&format!("slice: {bar}_{hint}"), area.width as usize),
            theme.warn,
        )
    } else if let Some(s) = &app.status {
        Span::styled(clean(s), theme.good)
    } else {
        Span::styled(fit(&hint_line(app), area.width as usize), theme.muted)
    };
    f.render_widget(Paragraph::new(Line::from(text)), area);
}

/// Draws the whole screen from the state.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, theme);
        return;
    }
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    tabs(f, top, app, theme);
    match app.pane {
        Pane::Overview => overview::draw(f, body, app, theme),
        Pane::Eda => eda::draw(f, body, app, theme),
        Pane::Trends => trends::draw(f, body, app, theme),
        Pane::Segments => segments::draw(f, body, app, theme),
        Pane::Lookup => lookup::draw(f, body, app, theme),
        Pane::Value => value::draw(f, body, app, theme),
    }
    status(f, bottom, app, theme);
    if app.help {
        help::draw(f, area, app, theme);
    }
}
