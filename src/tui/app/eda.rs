//! The EDA pane's state and keys: the table list, sorting, filtering.

use super::*;
use crate::data::filter::{Dimension, Filters};
use chrono::NaiveDate;

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
    /// Rows drilled into, outermost first (Enter on a region, a category, a product, a
    /// month); Backspace climbs back.
    pub drill: Vec<Drill>,
}

/// One step down: what was chosen, the filters of the whole path, and the EDA of that slice.
#[derive(Clone, Debug)]
pub struct Drill {
    /// "Europe", "2023-03", "Books": what the header's path shows.
    pub label: String,
    pub filters: Filters,
    /// The table that was open, reopened when the slice's tables arrive.
    pub table: String,
    pub result: Slot<Arc<Eda>>,
}

impl EdaView {
    /// "Europe › Books", the path of the drill.
    pub fn drill_path(&self) -> String {
        self.drill
            .iter()
            .map(|d| d.label.as_str())
            .collect::<Vec<_>>()
            .join(" › ")
    }
}

impl App {
    /// The EDA the pane shows: the innermost drill's slice, else the whole data's.
    pub fn eda_shown(&self) -> &Slot<Arc<Eda>> {
        self.eda_view.drill.last().map_or(&self.eda, |d| &d.result)
    }

    /// The current EDA table and the rows shown (filtered, then sorted), as indices.
    pub fn eda_rows(&self) -> Option<(&Table, Vec<usize>)> {
        let eda = self.eda_shown().ready()?;
        let t = eda.tables.get(self.eda_view.table)?;
        let needle = self.eda_view.filter.to_lowercase();
        let mut rows: Vec<usize> = (0..t.rows.len())
            .filter(|&i| {
                needle.is_empty()
                    || t.rows[i].iter().any(|v| {
                        v.display().to_lowercase().contains(&needle)
                            || crate::humanize::cell(v).to_lowercase().contains(&needle)
                    })
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

    /// Enter on a row: the slice of that region, category, product or month, computed on the
    /// worker; the path grows by one.
    fn drill_down(&mut self) -> Vec<Effect> {
        let Some((table, rows)) = self.eda_rows() else {
            return vec![];
        };
        let Some(&r) = rows.get(self.eda_view.row) else {
            return vec![];
        };
        let Some((label, step)) = drill_step(table, &table.rows[r]) else {
            self.status = Some(format!("rows of {} do not drill down", table.name));
            return vec![];
        };
        let table_name = table.name.clone();
        let mut filters = self
            .eda_view
            .drill
            .last()
            .map_or_else(Filters::default, |d| d.filters.clone());
        match step {
            Step::Where(dim, value) => {
                if filters.wheres.iter().any(|(d, _)| *d == dim) {
                    self.status = Some(format!("already within one {}", dim.name()));
                    return vec![];
                }
                filters.wheres.push((dim, value));
            }
            Step::Month(from, to) => {
                if filters.from.is_some() || filters.to.is_some() {
                    self.status = Some("already within one month".into());
                    return vec![];
                }
                (filters.from, filters.to) = (Some(from), Some(to));
            }
        }
        let v = &mut self.eda_view;
        v.drill.push(Drill {
            label,
            filters: filters.clone(),
            table: table_name,
            result: Slot::Waiting,
        });
        (v.row, v.col, v.sort) = (0, 0, None);
        v.filter.clear();
        vec![Effect::Drill {
            key: v.drill_path(),
            filters,
        }]
    }

    /// The slice's tables arrived: shown if that drill is still on the path.
    pub(super) fn drilled(&mut self, key: String, result: Result<Arc<Eda>, String>) {
        let v = &mut self.eda_view;
        let path = v.drill_path();
        let Some(d) = v.drill.last_mut() else { return };
        if path != key {
            return;
        }
        if let Ok(eda) = &result {
            v.table = eda
                .tables
                .iter()
                .position(|t| t.name == d.table)
                .unwrap_or(0);
        }
        d.result = Slot::from(result);
    }

    pub(super) fn eda_command(&mut self, c: Command) -> Vec<Effect> {
        if self.eda_view.in_list {
            self.table_list_keys(c);
            return vec![];
        }
        match c {
            Command::Enter if !self.eda_view.editing => return self.drill_down(),
            Command::Back => self.eda_back(),
            c => self.table_keys(c),
        }
        vec![]
    }

    /// The table list: choosing a table starts it fresh (first row, no sort or filter).
    fn table_list_keys(&mut self, c: Command) {
        let n_tables = self.eda_shown().ready().map_or(0, |e| e.tables.len());
        let v = &mut self.eda_view;
        let last = n_tables.saturating_sub(1);
        match c {
            Command::Up => v.table = v.table.saturating_sub(1),
            Command::Down => v.table = (v.table + 1).min(last),
            Command::Top => v.table = 0,
            Command::Bottom => v.table = last,
            Command::Enter | Command::Right => v.in_list = false,
            _ => return,
        }
        if v.in_list {
            (v.row, v.col, v.sort) = (0, 0, None);
            v.filter.clear();
        }
    }

    /// Moving and sorting in the open table.
    fn table_keys(&mut self, c: Command) {
        let (n_rows, n_cols) = self
            .eda_rows()
            .map_or((0, 0), |(t, r)| (r.len(), t.columns.len()));
        let page = self.page();
        let v = &mut self.eda_view;
        let last = n_rows.saturating_sub(1);
        match c {
            Command::Up => v.row = v.row.saturating_sub(1),
            Command::Down => v.row = (v.row + 1).min(last),
            Command::PageUp => v.row = v.row.saturating_sub(page),
            Command::PageDown => v.row = (v.row + page).min(last),
            Command::Top => v.row = 0,
            Command::Bottom => v.row = last,
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
            _ => {}
        }
    }

    /// Back: ends the filter's editing, then clears it, then climbs out of a drill, then
    /// returns to the table list.
    fn eda_back(&mut self) {
        let v = &mut self.eda_view;
        if v.editing {
            v.editing = false;
        } else if !v.filter.is_empty() {
            v.filter.clear();
        } else if let Some(d) = v.drill.pop() {
            let shown = v.drill.last().map_or(&self.eda, |d| &d.result);
            v.table = shown
                .ready()
                .and_then(|e| e.tables.iter().position(|t| t.name == d.table))
                .unwrap_or(0);
            (v.row, v.col, v.sort) = (0, 0, None);
        } else {
            v.in_list = true;
        }
    }

    pub(super) fn input(&mut self, c: Option<char>) {
        if self.slice_bar.is_some() {
            self.slice_input(c);
        } else if self.pane == Pane::Eda && self.eda_view.editing {
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

/// What a drill step filters on.
enum Step {
    Where(Dimension, String),
    /// The first and last day of a month.
    Month(NaiveDate, NaiveDate),
}

/// The step a row of `table` drills into, and its label: a region's, category's or product's
/// row, or a month of the monthly table.
fn drill_step(table: &Table, row: &[Value]) -> Option<(String, Step)> {
    let text = |column: &str| -> Option<String> {
        match &row[table.column(column)?] {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    };
    let name = table.name.as_str();
    if matches!(name, "by_region" | "category_share_by_region") {
        let v = text("region")?;
        return Some((v.clone(), Step::Where(Dimension::Region, v)));
    }
    if name == "category_totals" {
        let v = text("category")?;
        return Some((v.clone(), Step::Where(Dimension::Category, v)));
    }
    if name.starts_with("top_products") {
        let v = text("product")?;
        return Some((v.clone(), Step::Where(Dimension::Product, v)));
    }
    if name == "monthly" {
        let m = text("month")?;
        let first = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok()?;
        let next = first.checked_add_months(chrono::Months::new(1))?;
        return Some((m, Step::Month(first, next.pred_opt()?)));
    }
    None
}
