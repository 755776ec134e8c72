//! Customer lookup: fuzzy search by id or name, a card (recency, frequency, monetary,
//! segment, monthly spend, top categories, latest purchases) and lookalikes to follow.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use super::{block, fit, human, note, ready};
use crate::analysis::customers::CustomerIndex;
use crate::humanize;
use crate::tui::app::{App, Card};
use crate::tui::theme::Theme;

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(index) = ready(f, area, &app.index, "the customer index", theme) else {
        return;
    };
    let l = &app.lookup;
    let [left, right] =
        Layout::horizontal([Constraint::Length(30), Constraint::Min(0)]).areas(area);
    search_box(f, left, app, index, theme);
    let Some(card) = &l.card else {
        let hint = if app.features.ready().is_none() {
            "Computing customer features…"
        } else {
            "Press / and type part of an id or a name; Enter opens the customer."
        };
        return note(f, right, hint, theme.muted);
    };
    let title = format!("{}  {}", card.id, card.name.clone().unwrap_or_default());
    let b = block(&title, theme);
    let inner = b.inner(right);
    f.render_widget(b, right);
    let [facts, spark, lower] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(0),
    ])
    .areas(inner);
    card_facts(f, facts, app, index, card, theme);
    monthly_spend(f, spark, card, theme);
    // Side by side where the lookalikes' columns fit beside the purchases; else stacked, so
    // each lookalike keeps its name, segment, recency, orders and spend.
    let [recent, alike] = if lower.width >= 110 {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(lower)
    } else {
        let purchases = (card.latest.len() as u16 + 3).min(lower.height / 2);
        Layout::vertical([Constraint::Length(purchases), Constraint::Min(0)]).areas(lower)
    };
    latest_purchases(f, recent, card, theme);
    lookalikes(f, alike, app, card, theme);
}

/// The search field, the match count and the list of matches.
fn search_box(f: &mut Frame, left: Rect, app: &App, index: &CustomerIndex, theme: &Theme) {
    let l = &app.lookup;
    let search = block("Search id or name", theme).border_style(if l.editing {
        theme.accent
    } else {
        theme.border
    });
    let inner = search.inner(left);
    f.render_widget(search, left);
    let [q, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(inner);
    let query = if l.editing {
        format!("/ {}_", fit(&l.query, 24))
    } else if l.query.is_empty() {
        "press / to search".to_string()
    } else {
        format!("/ {}", fit(&l.query, 24))
    };
    f.render_widget(
        Paragraph::new(vec![
            Line::from(Span::styled(query, theme.warn)),
            Line::from(Span::styled(
                format!("{} of {}", l.matches.len(), index.ids.len()),
                theme.muted,
            )),
        ]),
        q,
    );
    let height = list.height as usize;
    let offset = l.row.saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = l
        .matches
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(n, &i)| {
            let style = if n == l.row && (l.editing || l.path.is_empty()) {
                theme.selected
            } else if l.path.last() == Some(&i) {
                theme.accent
            } else {
                theme.text
            };
            Line::from(Span::styled(
                fit(&index.labels[i], list.width as usize),
                style,
            ))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), list);
}

/// Recency, orders and spend, the segment, and the path through lookalikes.
fn card_facts(
    f: &mut Frame,
    facts: Rect,
    app: &App,
    index: &CustomerIndex,
    card: &Card,
    theme: &Theme,
) {
    let l = &app.lookup;
    let trail: Vec<String> = l
        .path
        .iter()
        .filter_map(|&i| index.ids.get(i).cloned())
        .collect();
    let mut seg = match &card.segment {
        Some((id, persona)) => format!("segment {id} · {persona}"),
        None => "segment: computing…".to_string(),
    };
    if let Some(v) = &card.value {
        seg.push_str(&format!("  │ RFM {} {}", v.rfm, v.segment));
        if let (Some(alive), Some(clv)) = (v.p_alive, v.clv) {
            seg.push_str(&format!(
                " │ alive {:.0}% │ CLV {}",
                alive * 100.0,
                human(clv)
            ));
        }
    }
    f.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled("last bought ", theme.muted),
                Span::styled(
                    format!(
                        "{}d ago  ",
                        humanize::count(card.recency_days.round() as i64)
                    ),
                    theme.text,
                ),
                Span::styled(humanize::number(card.frequency), theme.text),
                Span::styled(" orders  ", theme.muted),
                Span::styled(humanize::money(card.monetary), theme.text),
                Span::styled(" spent", theme.muted),
            ]),
            Line::from(Span::styled(fit(&seg, facts.width as usize), theme.accent)),
            Line::from(Span::styled(
                fit(
                    &format!("path: {}", trail.join(" › ")),
                    facts.width as usize,
                ),
                theme.muted,
            )),
        ]),
        facts,
    );
}

/// The customer's spend per month as a sparkline, with its range.
fn monthly_spend(f: &mut Frame, spark: Rect, card: &Card, theme: &Theme) {
    let [st, sp] = Layout::vertical([Constraint::Length(1), Constraint::Length(2)]).areas(spark);
    let max = card.monthly_spend.iter().copied().fold(0.0, f64::max);
    let range = match (card.months.first(), card.months.last()) {
        (Some(a), Some(b)) => format!("{a} … {b}"),
        _ => String::new(),
    };
    f.render_widget(
        Paragraph::new(Span::styled(
            format!("monthly spend {range}  max {}", human(max)),
            theme.muted,
        )),
        st,
    );
    f.render_widget(
        Sparkline::default()
            .data(super::trends::stretch(
                &card.monthly_spend,
                sp.width as usize,
            ))
            .style(theme.chart),
        sp,
    );
}

/// The top categories and the latest purchases.
fn latest_purchases(f: &mut Frame, recent: Rect, card: &Card, theme: &Theme) {
    let w = recent.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    if !card.top_categories.is_empty() {
        let cats: Vec<String> = card
            .top_categories
            .iter()
            .map(|(c, v)| format!("{} {}", fit(c, 14), human(*v)))
            .collect();
        lines.push(Line::from(Span::styled(
            fit(&format!("top: {}", cats.join(", ")), w),
            theme.text,
        )));
    }
    for p in &card.latest {
        // date (10) + space + name + quantity (4) + amount (9)
        let name_w = w.saturating_sub(10 + 1 + 4 + 9);
        lines.push(Line::from(Span::styled(
            format!(
                "{} {:<name_w$}{:>4}{:>9}",
                p.date,
                fit(&p.product, name_w),
                p.quantity,
                human(p.amount)
            ),
            theme.text,
        )));
    }
    f.render_widget(
        Paragraph::new(lines).block(block("Latest purchases", theme)),
        recent,
    );
}

/// The customer's lookalikes, one line each with what they are judged by: score, id and name,
/// segment, recency, orders and net spend; as many as fit, scrolled to the selected one.
fn lookalikes(f: &mut Frame, alike: Rect, app: &App, card: &Card, theme: &Theme) {
    let l = &app.lookup;
    let w = alike.width.saturating_sub(2) as usize;
    // score 5, segment 3, recency 6, orders 5, spend 9, and the spaces between.
    let who_w = w
        .saturating_sub(5 + 1 + 3 + 1 + 6 + 1 + 5 + 1 + 9 + 1)
        .max(4);
    let line = |score: &str, who: &str, seg: &str, rec: &str, orders: &str, spend: &str| {
        format!(
            "{score:>5} {:<who_w$} {seg:>3} {rec:>6} {orders:>5} {spend:>9}",
            fit(who, who_w)
        )
    };
    let mut lines = vec![Line::from(Span::styled(
        line("score", "customer", "seg", "recent", "ordrs", "spend"),
        theme.accent,
    ))];
    let height = (alike.height as usize).saturating_sub(3);
    let offset = l.lookalike_row.saturating_sub(height.saturating_sub(1));
    for (n, (_, m)) in card.lookalikes.iter().enumerate().skip(offset).take(height) {
        let style = if n == l.lookalike_row && !l.editing {
            theme.selected
        } else {
            theme.text
        };
        let who = match &m.name {
            Some(name) => format!("{} {name}", m.customer),
            None => m.customer.clone(),
        };
        let seg = m.segment.map_or(String::new(), |s| s.to_string());
        lines.push(Line::from(Span::styled(
            line(
                &format!("{:.3}", m.score),
                &who,
                &seg,
                &format!("{}d", humanize::count(m.recency_days.round() as i64)),
                &humanize::number(m.orders),
                &human(m.net_spend),
            ),
            style,
        )));
    }
    f.render_widget(
        Paragraph::new(lines).block(block("Lookalikes (Enter opens)", theme)),
        alike,
    );
}
