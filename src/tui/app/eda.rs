//! The EDA pane's state and keys: the table list, sorting, filtering.

use super::*;

#[derive(Clone, Debug, Default)]
pub struct EdaView {
    pub table: usize,
    /// The table list has focus (else the table itself).
    pub in_list: bool,
    pub row: usize,
    pub col: usize,
    /// Sort column and descending.
    pub sort: Option<(usize, bool)>,
    pub filter: String,
    pub editing: bool,
}

impl App {
    /// The current EDA table and the rows shown (filtered, then sorted), as indices.
    pub fn eda_rows(&self) -> Option<(&Table, Vec<usize>)> {
        let eda = self.eda.ready()?;
        let t = eda.tables.get(self.eda_view.table)?;
        let needle = self.eda_view.filter.to_lowercase();
        let mut rows: Vec<usize> = (0..t.rows.len())
            .filter(|&i| {
                needle.is_empty()
                    || t.rows[i]
                        .iter()
                        .any(|v| v.display().to_lowercase().contains(&needle))
            })
            .collect();
        if let Some((c, desc)) = self.eda_view.sort
            && c < t.columns.len()
        {
            rows.sort_by(|&a, &b| {
                let (x, y) = (&t.rows[a][c], &t.rows[b][c]);
                let o = match (x.as_f64(), y.as_f64()) {
                    (Some(p), Some(q)) => p.total_cmp(&q),
                    _ => x.display().cmp(&y.display()),
                };
                if desc { o.reverse() } else { o }
            });
        }
        Some((t, rows))
    }

    pub(super) fn eda_command(&mut self, c: Command) {
        let n_tables = self.eda.ready().map_or(0, |e| e.tables.len());
        let (n_rows, n_cols) = self
            .eda_rows()
            .map_or((0, 0), |(t, r)| (r.len(), t.columns.len()));
        let page = self.page();
        let v = &mut self.eda_view;
        if v.in_list {
            match c {
                Command::Up => v.table = v.table.saturating_sub(1),
                Command::Down => v.table = (v.table + 1).min(n_tables.saturating_sub(1)),
                Command::Top => v.table = 0,
                Command::Bottom => v.table = n_tables.saturating_sub(1),
                Command::Enter | Command::Right => v.in_list = false,
                _ => {}
            }
            if matches!(
                c,
                Command::Up | Command::Down | Command::Top | Command::Bottom
            ) {
                v.row = 0;
                v.col = 0;
                v.sort = None;
                v.filter.clear();
            }
            return;
        }
        match c {
            Command::Up => v.row = v.row.saturating_sub(1),
            Command::Down => v.row = (v.row + 1).min(n_rows.saturating_sub(1)),
            Command::PageUp => v.row = v.row.saturating_sub(page),
            Command::PageDown => v.row = (v.row + page).min(n_rows.saturating_sub(1)),
            Command::Top => v.row = 0,
            Command::Bottom => v.row = n_rows.saturating_sub(1),
            Command::Left => v.col = v.col.saturating_sub(1),
            Command::Right => v.col = (v.col + 1).min(n_cols.saturating_sub(1)),
            Command::Sort => {
                v.sort = match v.sort {
                    Some((c, false)) if c == v.col => Some((c, true)),
                    Some((c, true)) if c == v.col => None,
                    _ => Some((v.col, false)),
                };
                v.row = 0;
            }
            Command::Enter => v.editing = false,
            Command::Back => {
                if v.editing {
                    v.editing = false;
                } else if !v.filter.is_empty() {
                    v.filter.clear();
                } else {
                    v.in_list = true;
                }
            }
            _ => {}
        }
    }

    pub(super) fn input(&mut self, c: Option<char>) {
        if self.pane == Pane::Eda && self.eda_view.editing {
            match c {
                Some(ch) => self.eda_view.filter.push(ch),
                None => {
                    self.eda_view.filter.pop();
                }
            }
            self.eda_view.row = 0;
        } else if self.pane == Pane::Lookup && self.lookup.editing {
            match c {
                Some(ch) => self.lookup.query.push(ch),
                None => {
                    self.lookup.query.pop();
                }
            }
            self.refresh_matches();
        }
    }
}
