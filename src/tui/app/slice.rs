//! The slice bar: `F` opens it, "region=Europe, from=2023-01-01" (or "segment=2", the customers
//! of a segment on screen) narrows every pane to that
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
        match parse_slice(text).and_then(|(f, segment)| self.with_segment(f, segment)) {
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

    /// `segment=N`: the customers of segment N of the segmentation on screen.
    fn with_segment(&self, mut f: Filters, segment: Option<usize>) -> Result<Filters, String> {
        let Some(n) = segment else { return Ok(f) };
        let Some(r) = &self.seg.result else {
            return Err(
                "segment=…: the segments are still being computed; try again in a moment".into(),
            );
        };
        let Some(p) = r.seg.profiles.get(n.wrapping_sub(1)) else {
            return Err(format!(
                "segment={n}: segments at K = {} are numbered 1 to {}",
                r.seg.k,
                r.seg.profiles.len()
            ));
        };
        let ids: Vec<String> = r
            .seg
            .labels
            .iter()
            .zip(&r.seg.ids)
            .filter(|(l, _)| **l == n - 1)
            .map(|(_, id)| id.clone())
            .collect();
        f.customers = Some((format!("segment {n} {} (K = {})", p.persona, r.seg.k), ids));
        Ok(f)
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

/// "region=Europe, category=Books, from=2023-01-01, to=2023-06-30, segment=2" as filters and
/// the segment asked for; an empty text is no filter.
pub fn parse_slice(text: &str) -> Result<(Filters, Option<usize>), String> {
    let (mut from, mut to, mut wheres, mut segment) = (None, None, Vec::new(), None);
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!(
                "{part:?}: write KEY=VALUE, e.g. region=Europe, from=2023-01-01, to=2023-06-30"
            ));
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "from" => from = Some(value.trim().to_string()),
            "to" => to = Some(value.trim().to_string()),
            "segment" => match value.trim().parse::<usize>() {
                Ok(n) => segment = Some(n),
                Err(_) => return Err(format!("{part:?}: a segment is its number, e.g. segment=2")),
            },
            _ => wheres.push(part.to_string()),
        }
    }
    let filters = Filters::parse(from.as_deref(), to.as_deref(), &wheres)
        .map_err(|e| crate::error::first_line(&e))?;
    Ok((filters, segment))
}
