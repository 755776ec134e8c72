//! The `y` and `Y` keys: the selected row, the card's customer id or the visible table, handed
//! to the terminal's clipboard (OSC 52, which reaches the analyst's own machine over SSH).

use super::*;

/// Largest text sent: terminals drop longer OSC 52 payloads without a word, so the app refuses
/// and points to the export instead.
pub const MAX_COPY_BYTES: usize = 512 * 1024;

impl App {
    /// `y`: the card's customer id in the lookup (`Y` copies its lookalikes), else the
    /// selected row with its header.
    pub(super) fn copy_selected(&mut self) -> Vec<Effect> {
        if self.pane == Pane::Lookup
            && let Some(card) = &self.lookup.card
        {
            let id = card.id.clone();
            let what = format!("customer id {id}");
            return self.copy(id, what);
        }
        let Some((table, row)) = self.visible_table().zip(self.selected_row()) else {
            let table = self
                .keymap
                .first_key(Command::CopyTable)
                .unwrap_or_default();
            self.status = Some(format!("no row is selected here; {table} copies the table"));
            return vec![];
        };
        let Some(cells) = table.rows.get(row) else {
            self.status = Some("no row is selected here".into());
            return vec![];
        };
        let one = Table {
            rows: vec![cells.clone()],
            ..table
        };
        let what = format!("1 row of {}", one.name);
        self.copy(tsv(&one), what)
    }

    /// `Y`: the visible table (filters and sorting applied) as TSV with a header.
    pub(super) fn copy_table(&mut self) -> Vec<Effect> {
        let Some(t) = self.visible_table() else {
            self.status = Some("nothing to copy yet".into());
            return vec![];
        };
        let what = format!("{} rows of {}", t.rows.len(), t.name);
        self.copy(tsv(&t), what)
    }

    /// The row of [`App::visible_table`] under the cursor, where the pane has one.
    fn selected_row(&self) -> Option<usize> {
        match self.pane {
            Pane::Eda if !self.eda_view.in_list => Some(self.eda_view.row),
            Pane::Segments if !self.seg.migration => Some(self.seg.members.unwrap_or(self.seg.row)),
            _ => None,
        }
    }

    fn copy(&mut self, text: String, what: String) -> Vec<Effect> {
        if text.len() > MAX_COPY_BYTES {
            let export = self.keymap.first_key(Command::Export).unwrap_or_default();
            self.status = Some(format!(
                "{what} is {} bytes, more than a terminal clipboard takes; {export} exports it to CSV",
                text.len()
            ));
            return vec![];
        }
        vec![Effect::Copy { text, what }]
    }
}

/// Tab-separated values with a header: full values as in CSV, tabs and line breaks in text
/// turned to spaces and control characters made visible, so a paste lands one cell per cell.
pub fn tsv(t: &Table) -> String {
    let field = |s: &str| crate::report::visible(&s.replace(['\t', '\n', '\r'], " "));
    let mut out = t
        .columns
        .iter()
        .map(|c| field(c))
        .collect::<Vec<_>>()
        .join("\t");
    out.push('\n');
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|v| field(&v.full())).collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    out
}
