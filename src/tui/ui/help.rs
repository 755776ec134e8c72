//! The help overlay: every binding of the current pane, read from the live keymap (so
//! overrides from the config show), paired where commands go together to fit 80x24.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::block;
use crate::tui::action::Command as C;
use crate::tui::app::{App, PANES, Pane};
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

type Entry = (&'static [C], &'static str);

const EVERYWHERE: &[Entry] = &[
    (&[C::NextPane, C::PrevPane], "next / previous pane"),
    (
        &[
            C::Pane(1),
            C::Pane(2),
            C::Pane(3),
            C::Pane(4),
            C::Pane(5),
            C::Pane(6),
        ],
        "Overview EDA Trends Segments Lookup Value",
    ),
    (&[C::Search], "search a customer (filter rows in EDA)"),
    (&[C::Export], "write the visible table to CSV"),
    (
        &[C::Copy, C::CopyTable],
        "copy the row (or customer id) / the table",
    ),
    (&[C::Help], "this help"),
    (&[C::Quit], "quit"),
];

/// Each pane's own bindings: a table of entries (long as a list is, not as logic).
fn pane_entries(pane: Pane) -> &'static [Entry] {
    match pane {
        Pane::Overview => &[
            (
                &[C::Slice],
                "slice every pane: region=…, category=…, from=…, segment=…",
            ),
            (&[C::ClearSlice], "back to the whole data"),
        ],
        Pane::Eda => &[
            (&[C::Up, C::Down], "choose a table / move down the rows"),
            (&[C::Left, C::Right], "move the column cursor"),
            (&[C::Top, C::Bottom], "first / last row"),
            (&[C::PageUp, C::PageDown], "page up / down"),
            (
                &[C::Enter],
                "open the table; on a region, category, product or month: drill in",
            ),
            (
                &[C::Back],
                "end or clear the filter, up from a drill, back to the list",
            ),
            (
                &[C::Sort],
                "sort by the cursor column (again: reverse, off)",
            ),
        ],
        Pane::Trends => &[
            (&[C::Left, C::Right], "overall / by region / by category"),
            (&[C::Up, C::Down], "revenue / orders / active customers"),
            (&[C::PageUp, C::PageDown], "scroll the series"),
            (&[C::MonthPrev, C::MonthNext], "move the month cursor"),
            (&[C::Top, C::Bottom], "cursor to the first / last month"),
        ],
        Pane::Segments => &[
            (&[C::KUp, C::KDown], "K up / down"),
            (
                &[
                    C::SetK(2),
                    C::SetK(3),
                    C::SetK(4),
                    C::SetK(5),
                    C::SetK(6),
                    C::SetK(7),
                    C::SetK(8),
                    C::SetK(9),
                ],
                "K = 2 ... 9",
            ),
            (&[C::ToggleAlgo], "K-means → Gaussian mixture → Ward"),
            (
                &[C::CycleFeatures],
                "next feature set (rfm+, rfm, all, rfm,extra)",
            ),
            (&[C::CycleScaler], "scaler: robust → standard → none"),
            (&[C::Up, C::Down], "choose a segment or a customer"),
            (&[C::Enter], "list its customers / open one in the lookup"),
            (&[C::Back], "back from the list or the migration view"),
            (&[C::Migration], "migration view (last quarter vs before)"),
            (
                &[C::CycleView],
                "view: profiles → scatter (PCA) → silhouette",
            ),
            (
                &[C::Compare],
                "compare with another segment (itself: everyone)",
            ),
        ],
        Pane::Lookup => &[
            (&[C::Up, C::Down], "choose a match or a lookalike"),
            (&[C::Enter], "open the customer / the lookalike"),
            (&[C::Back], "back along the path taken"),
        ],
        Pane::Value => &[
            (&[C::Left, C::Right], "RFM / lifetime value / cohorts"),
            (&[C::Sort], "shade the R×F grid by customers / mean spend"),
            (&[C::Up, C::Down], "scroll the cohorts"),
            (&[C::PageUp, C::PageDown], "page the cohorts"),
        ],
    }
}

fn keys(km: &Keymap, cmds: &[C]) -> String {
    if cmds.len() > 2 {
        // Panes: the first key of each, "1/2/3/4/5".
        return cmds
            .iter()
            .map(|&c| km.keys_of(c).split(", ").next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
            .join("/");
    }
    cmds.iter()
        .map(|&c| km.keys_of(c))
        .collect::<Vec<_>>()
        .join(" / ")
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let row = |k: String, d: &str| {
        let k: String = k.chars().take(22).collect();
        Line::from(vec![
            Span::styled(format!("{k:>22}  "), theme.accent),
            Span::styled(d.to_string(), theme.text),
        ])
    };
    let mut lines = vec![Line::from(Span::styled("Everywhere", theme.title))];
    lines.extend(EVERYWHERE.iter().map(|(c, d)| row(keys(&app.keymap, c), d)));
    let name = PANES.iter().find(|p| p.0 == app.pane).map_or("", |p| p.1);
    let own = pane_entries(app.pane);
    if !own.is_empty() {
        lines.push(Line::from(Span::styled(format!("In {name}"), theme.title)));
        lines.extend(own.iter().map(|(c, d)| row(keys(&app.keymap, c), d)));
    }
    lines.push(Line::from(Span::styled(
        "? or Esc closes this help",
        theme.muted,
    )));
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = 76.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(lines).block(block(&format!("Help: {name}"), theme)),
        popup,
    );
}
