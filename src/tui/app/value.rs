//! The Value pane's state and keys: which view (RFM, lifetime value, cohorts), how the RFM
//! grid is shaded, the cohort rows' scroll.

use super::*;

/// The Value pane's views, in the order Left/Right step through them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValueTab {
    #[default]
    Rfm,
    Clv,
    Cohorts,
}

pub const VALUE_TABS: [(ValueTab, &str); 3] = [
    (ValueTab::Rfm, "RFM"),
    (ValueTab::Clv, "Lifetime value"),
    (ValueTab::Cohorts, "Cohorts"),
];

#[derive(Clone, Debug, Default)]
pub struct ValueView {
    pub tab: ValueTab,
    /// The R×F grid shaded by mean net spend instead of customers (`s`).
    pub by_spend: bool,
    /// First cohort row shown.
    pub offset: usize,
}

impl App {
    pub(super) fn value_command(&mut self, c: Command) {
        let rows = self.value.ready().map_or(0, |v| v.cohorts.cohorts.len());
        let v = &mut self.value_view;
        let at = VALUE_TABS.iter().position(|t| t.0 == v.tab).unwrap_or(0);
        match c {
            Command::Left => v.tab = VALUE_TABS[(at + VALUE_TABS.len() - 1) % VALUE_TABS.len()].0,
            Command::Right => v.tab = VALUE_TABS[(at + 1) % VALUE_TABS.len()].0,
            Command::Sort => v.by_spend = !v.by_spend,
            Command::Down => v.offset = (v.offset + 1).min(rows.saturating_sub(1)),
            Command::Up => v.offset = v.offset.saturating_sub(1),
            Command::PageDown => v.offset = (v.offset + 10).min(rows.saturating_sub(1)),
            Command::PageUp => v.offset = v.offset.saturating_sub(10),
            Command::Top => v.offset = 0,
            Command::Bottom => v.offset = rows.saturating_sub(1),
            _ => {}
        }
    }

    /// The table the Value pane's view shows, for `e`.
    pub(super) fn value_table(&self) -> Option<Table> {
        use crate::analysis::value::{cohorts, tables};
        let v = self.value.ready()?;
        Some(match self.value_view.tab {
            ValueTab::Rfm => tables::rfm_segments_table(&v.rfm),
            ValueTab::Clv => tables::value_groups_table(
                "clv_by_rfm",
                "Lifetime value per RFM segment",
                v.clv_by_rfm(),
            ),
            ValueTab::Cohorts => cohorts::table(&v.cohorts, cohorts::CohortMetric::Customers),
        })
    }
}
