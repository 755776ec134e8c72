//! The Trends pane's state and keys: the group, the metric, the scroll.

use super::*;

#[derive(Clone, Debug, Default)]
pub struct TrendsView {
    /// 0 overall, 1 by region, 2 by category.
    pub group: usize,
    /// 0 revenue, 1 orders, 2 active customers.
    pub metric: usize,
    /// First series shown in a group.
    pub offset: usize,
    /// The month under the chart's cursor (None: the last month).
    pub cursor: Option<usize>,
}

impl App {
    /// The series of the chosen group (overall, regions or categories).
    pub fn trend_series(&self) -> Vec<&Series> {
        let Some(t) = self.trends.ready() else {
            return vec![];
        };
        match self.trends_view.group {
            1 => t.by_region.iter().collect(),
            2 => t.by_category.iter().collect(),
            _ => vec![&t.overall],
        }
    }

    /// The month under the cursor: the chosen one, else the last.
    pub fn trends_cursor(&self) -> Option<usize> {
        let months = self.trends.ready()?.months.len();
        let last = months.checked_sub(1)?;
        Some(self.trends_view.cursor.map_or(last, |c| c.min(last)))
    }

    pub(super) fn trends_command(&mut self, c: Command) {
        let n = self.trend_series().len();
        let cursor = self.trends_cursor();
        let last = self
            .trends
            .ready()
            .map_or(0, |t| t.months.len().saturating_sub(1));
        let v = &mut self.trends_view;
        match c {
            Command::Left => {
                v.group = (v.group + 2) % 3;
                v.offset = 0;
            }
            Command::Right => {
                v.group = (v.group + 1) % 3;
                v.offset = 0;
            }
            Command::Up => v.metric = (v.metric + 2) % 3,
            Command::Down => v.metric = (v.metric + 1) % 3,
            Command::PageDown => v.offset = (v.offset + 1).min(n.saturating_sub(1)),
            Command::PageUp => v.offset = v.offset.saturating_sub(1),
            Command::MonthPrev => v.cursor = cursor.map(|c| c.saturating_sub(1)),
            Command::MonthNext => v.cursor = cursor.map(|c| (c + 1).min(last)),
            Command::Top => v.cursor = Some(0),
            Command::Bottom => v.cursor = Some(last),
            _ => {}
        }
    }
}
