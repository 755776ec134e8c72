//! The `e` key: the table on screen, as it is shown.

use super::*;

impl App {
    /// The table on screen, as it is shown (filtered and sorted), for `e`.
    pub fn visible_table(&self) -> Option<Table> {
        match self.pane {
            Pane::Overview => self.eda.ready()?.tables.first().cloned(),
            Pane::Value => self.value_table(),
            Pane::Eda => {
                let (t, rows) = self.eda_rows()?;
                Some(Table {
                    rows: rows.iter().map(|&i| t.rows[i].clone()).collect(),
                    ..t.clone()
                })
            }
            Pane::Trends => {
                let t = self.trends.ready()?;
                let series = self.trend_series();
                let mut columns = vec!["month".to_string()];
                columns.extend(series.iter().map(|s| s.name.clone()));
                let metric = ["revenue", "orders", "active_customers"][self.trends_view.metric];
                let mut table = Table {
                    name: format!("monthly_{metric}"),
                    title: format!("Monthly {metric}"),
                    columns,
                    rows: vec![],
                };
                for (i, m) in t.months.iter().enumerate() {
                    let mut row = vec![Value::text(m)];
                    for s in &series {
                        let v =
                            [&s.revenue, &s.orders, &s.active_customers][self.trends_view.metric];
                        row.push(Value::Num(v.get(i).copied().unwrap_or(0.0)));
                    }
                    table.push(row);
                }
                Some(table)
            }
            Pane::Segments => {
                if self.seg.migration {
                    let m = self
                        .seg
                        .migrations
                        .get(&self.seg.migration_key())?
                        .ready()?;
                    return Some(m.count_table());
                }
                let r = self.seg.result.as_ref()?;
                if self.seg.members.is_some() {
                    return self.members_table(r);
                }
                Some(crate::analysis::segment::profile_table(&r.seg))
            }
            Pane::Lookup => {
                let card = self.lookup.card.as_ref()?;
                let rows: Vec<_> = card.lookalikes.iter().map(|(_, l)| l.clone()).collect();
                let title = format!("Lookalikes of {}", card.id);
                let t = crate::analysis::matches::table("lookalikes", &title, &rows);
                Some(t)
            }
        }
    }

    /// The member list as it is shown: id, name, net spend, orders, recency.
    fn members_table(&self, r: &SegResult) -> Option<Table> {
        let index = self.index.ready()?;
        let f = self.features.ready()?;
        let p = r.seg.profiles.get(self.seg.row)?;
        let mut t = Table::new(
            "segment_members",
            &format!("Segment {} {} members", p.id, p.persona),
            &[
                "CustomerID",
                "name",
                names::MONETARY,
                names::FREQUENCY,
                names::RECENCY_DAYS,
            ],
        );
        let raw = |name: &str, i: usize| {
            f.features
                .column(name)
                .map_or(Value::Null, |j| Value::Num(f.features.raw[[i, j]]))
        };
        for who in self.members(self.seg.row) {
            let id = &r.seg.ids[who];
            let name = index.position(id).and_then(|i| index.names[i].clone());
            t.push(vec![
                Value::text(id),
                name.map_or(Value::Null, Value::text),
                match raw(names::MONETARY, who) {
                    Value::Num(x) => Value::money(x),
                    other => other,
                },
                raw(names::FREQUENCY, who),
                raw(names::RECENCY_DAYS, who),
            ]);
        }
        Some(t)
    }
}
