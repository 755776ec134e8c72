//! The slice bar: `F` opens it, "region=Europe, from=2023-01-01" narrows every pane to that
//! slice (recomputed on new worker threads), an empty bar or `X` goes back to the data the app
//! opened with. The same filters as the headless `--where`, `--from` and `--to`.

use super::*;
use crate::data::filter::Filters;

impl App {
    /// `F`: the bar, holding the slice in effect so it can be edited.
    pub(super) fn open_slice_bar(&mut self) {
        self.slice_bar = Some(self.slice_text.clone());
    }

    /// A key typed into the bar.
    pub(super) fn slice_input(&mut self, c: Option<char>) {
        if let Some(bar) = &mut self.slice_bar {
            match c {
                Some(ch) => bar.push(ch),
                None => {
                    bar.pop();
                }
            }
        }
    }

    /// Enter in the bar: the filters it spells, asked of the worker (or a message saying what
    /// to write instead); Esc closes it unchanged.
    pub(super) fn slice_command(&mut self, c: Command) -> Vec<Effect> {
        match c {
            Command::Back => self.slice_bar = None,
            Command::Enter => {
                let text = self.slice_bar.take().unwrap_or_default();
                return self.ask_slice(&text);
            }
            _ => {}
        }
        vec![]
    }

    /// `X`: back to the whole data the app opened with.
    pub(super) fn clear_slice(&mut self) -> Vec<Effect> {
        if self.slice_text.is_empty() {
            self.status = Some("no slice to clear".into());
            return vec![];
        }
        self.ask_slice("")
    }

    fn ask_slice(&mut self, text: &str) -> Vec<Effect> {
        match parse_slice(text) {
            Ok(filters) => {
                self.slice_pending = Some(text.trim().to_string());
                self.status = Some(if filters.is_empty() {
                    "back to the whole data…".to_string()
                } else {
                    format!("slicing to {}…", filters.describe())
                });
                vec![Effect::Slice(filters)]
            }
            Err(e) => {
                self.status = Some(e);
                vec![]
            }
        }
    }

    /// A fresh app for the slice the worker made: every pane recomputes, the place on screen
    /// (pane, size, keys) stays.
    pub fn sliced(&self, description: Option<String>) -> App {
        let mut app = App::new(&self.dataset, self.keymap.clone());
        app.pane = self.pane;
        app.size = self.size;
        app.slice = match (&self.base_slice, description) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => b.or(a.clone()),
        };
        app.base_slice = self.base_slice.clone();
        app.slice_text = self.slice_pending.clone().unwrap_or_default();
        app
    }

    /// The worker could not make the slice: said, and the data on screen stays.
    pub fn slice_failed(&mut self, message: String) {
        self.slice_pending = None;
        self.status = Some(format!("cannot slice: {message}"));
    }
}

/// "region=Europe, category=Books, from=2023-01-01, to=2023-06-30" as filters; an empty text is
/// no filter.
pub fn parse_slice(text: &str) -> Result<Filters, String> {
    let (mut from, mut to, mut wheres) = (None, None, Vec::new());
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!(
                "{part:?}: write KEY=VALUE, e.g. region=Europe, from=2023-01-01, to=2023-06-30"
            ));
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "from" => from = Some(value.trim().to_string()),
            "to" => to = Some(value.trim().to_string()),
            _ => wheres.push(part.to_string()),
        }
    }
    Filters::parse(from.as_deref(), to.as_deref(), &wheres)
        .map_err(|e| crate::error::first_line(&e))
}
