//! The customer lookup's state and keys: the search, the card, the path through lookalikes.

use super::*;
use crate::analysis::matches::{Context, Lookalike, Segments};

/// Lookalikes the card holds: more than any screen shows, so the list fills a tall terminal.
const CARD_LOOKALIKES: usize = 40;

/// What the lookup card shows about one customer.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub index: usize,
    pub id: String,
    pub name: Option<String>,
    pub recency_days: f64,
    pub frequency: f64,
    pub monetary: f64,
    /// Segment id and persona, when segments are ready.
    pub segment: Option<(usize, String)>,
    pub months: Vec<String>,
    pub monthly_spend: Vec<f64>,
    pub top_categories: Vec<(String, f64)>,
    pub latest: Vec<Purchase>,
    /// Each lookalike's position in the customer index, with what the list shows of it.
    pub lookalikes: Vec<(usize, Lookalike)>,
    /// RFM code and segment, P(alive) and CLV, once the Value pane's work is done.
    pub value: Option<crate::analysis::value::CustomerValue>,
}

#[derive(Clone, Debug, Default)]
pub struct LookupView {
    pub query: String,
    pub editing: bool,
    pub matches: Vec<usize>,
    pub row: usize,
    /// Customers opened, oldest first; the last is on the card.
    pub path: Vec<usize>,
    pub lookalike_row: usize,
    pub card: Option<Card>,
}

impl App {
    pub(super) fn refresh_matches(&mut self) {
        let Some(index) = self.index.ready() else {
            return;
        };
        let q = self.lookup.query.trim();
        self.lookup.matches = if q.is_empty() {
            (0..index.ids.len()).collect()
        } else {
            let pattern = Pattern::parse(q, CaseMatching::Ignore, Normalization::Smart);
            let mut matcher = Matcher::new(Config::DEFAULT);
            let labels: Vec<(usize, &str)> = index
                .labels
                .iter()
                .map(String::as_str)
                .enumerate()
                .collect();
            let mut hits: Vec<(usize, u32)> = Vec::new();
            let mut buf = Vec::new();
            for (i, label) in labels {
                if let Some(score) =
                    pattern.score(nucleo_matcher::Utf32Str::new(label, &mut buf), &mut matcher)
                {
                    hits.push((i, score));
                }
            }
            hits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            hits.into_iter().map(|h| h.0).collect()
        };
        self.lookup.row = 0;
    }

    /// Opens a customer on the card; `fresh` starts a new path (from a search or a segment).
    pub fn open_customer(&mut self, who: usize, fresh: bool) {
        if fresh {
            self.lookup.path.clear();
        }
        self.lookup.path.push(who);
        self.lookup.editing = false;
        self.lookup.lookalike_row = 0;
        self.pane = Pane::Lookup;
        self.refresh_card();
    }

    pub(super) fn lookup_command(&mut self, c: Command) {
        let l = &mut self.lookup;
        // The match list has the keys while typing or when no customer is open.
        if l.editing || l.path.is_empty() {
            let n = l.matches.len();
            match c {
                Command::Up => l.row = l.row.saturating_sub(1),
                Command::Down => l.row = (l.row + 1).min(n.saturating_sub(1)),
                Command::PageUp => l.row = l.row.saturating_sub(10),
                Command::PageDown => l.row = (l.row + 10).min(n.saturating_sub(1)),
                Command::Top => l.row = 0,
                Command::Bottom => l.row = n.saturating_sub(1),
                Command::Enter => {
                    if let Some(&who) = l.matches.get(l.row) {
                        self.open_customer(who, true);
                    }
                }
                Command::Back => l.editing = false,
                _ => {}
            }
            return;
        }
        let n = l.card.as_ref().map_or(0, |c| c.lookalikes.len());
        match c {
            Command::Up => l.lookalike_row = l.lookalike_row.saturating_sub(1),
            Command::Down => l.lookalike_row = (l.lookalike_row + 1).min(n.saturating_sub(1)),
            Command::Enter => {
                if let Some(&(who, _)) = l
                    .card
                    .as_ref()
                    .and_then(|c| c.lookalikes.get(l.lookalike_row))
                {
                    self.open_customer(who, false);
                }
            }
            Command::Back => {
                l.path.pop();
                l.lookalike_row = 0;
                self.refresh_card();
            }
            _ => {}
        }
    }

    pub(super) fn refresh_card(&mut self) {
        self.lookup.card = self
            .lookup
            .path
            .last()
            .and_then(|&who| self.build_card(who));
    }

    pub(super) fn build_card(&self, who: usize) -> Option<Card> {
        let index = self.index.ready()?;
        let f = self.features.ready()?;
        let id = index.ids.get(who)?.clone();
        let row = f.features.ids.binary_search(&id).ok()?;
        let raw = |name: &str| {
            f.features
                .column(name)
                .map_or(0.0, |j| f.features.raw[[row, j]])
        };
        let segment = self.seg.result.as_ref().and_then(|r| {
            let s = *r.seg.labels.get(row)?;
            Some((s + 1, r.seg.profiles.get(s)?.persona.clone()))
        });
        let months: Vec<String> = match self.trends.ready() {
            Some(t) => t.months.clone(),
            None => vec![],
        };
        // The space of the segmentation on screen (its feature set and scaler), else the
        // default set's.
        let space = self
            .seg
            .result
            .as_ref()
            .map_or(&*f.similarity, |r| &r.seg.similarity);
        let near = lookalike::nearest(space, row, CARD_LOOKALIKES);
        let context = Context {
            features: &f.features,
            names: None,
            segments: self.seg.result.as_ref().map(|r| Segments {
                labels: &r.seg.labels,
                personas: r.seg.profiles.iter().map(|p| p.persona.as_str()).collect(),
            }),
        };
        let lookalikes = context
            .rows(&near)
            .into_iter()
            .filter_map(|mut l| {
                let at = index.position(&l.customer)?;
                l.name = index.names.get(at).cloned().flatten();
                Some((at, l))
            })
            .collect();
        let value = self.value.ready().and_then(|v| v.of_row(row));
        Some(Card {
            index: who,
            value,
            id,
            name: index.names.get(who).cloned().flatten(),
            recency_days: raw(names::RECENCY_DAYS),
            frequency: raw(names::FREQUENCY),
            monetary: raw(names::MONETARY),
            segment,
            monthly_spend: index.monthly_spend(who, &months),
            months,
            top_categories: index.top_categories(who).into_iter().take(3).collect(),
            latest: index.purchases(who).iter().take(5).cloned().collect(),
            lookalikes,
        })
    }
}
