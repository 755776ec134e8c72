//! Cohort retention: customers grouped by the month of their first purchase, and how many of
//! each cohort buy again in each following month.

use chrono::Datelike;

use super::purchases::{Day, PurchaseDays, date_of};
use crate::analysis::{Table, Value};

/// A calendar month as a number: year · 12 + month − 1.
pub type Month = i32;

pub fn month_of(day: Day) -> Month {
    let d = date_of(day);
    d.year() * 12 + d.month0() as i32
}

/// `YYYY-MM`.
pub fn month_text(m: Month) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// One cohort: its size, and per month since its first (index 0 = the first month) the
/// customers active and their spend.
#[derive(Clone, Debug, PartialEq)]
pub struct Cohort {
    pub month: Month,
    pub customers: usize,
    pub active: Vec<usize>,
    pub revenue: Vec<f64>,
}

impl Cohort {
    /// The share of the cohort active in each month since its first.
    pub fn shares(&self) -> Vec<f64> {
        self.active
            .iter()
            .map(|&a| a as f64 / self.customers as f64)
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cohorts {
    /// Oldest first; every month from the first cohort's to the last purchase's has a row
    /// (empty months have 0 customers and are left out).
    pub cohorts: Vec<Cohort>,
    pub last_day: Day,
    pub last_month: Month,
    /// The data ends before the last month does: its cells count fewer days.
    pub last_month_partial: bool,
}

impl Cohorts {
    /// Months since the first cohort's month, the width of the table.
    pub fn width(&self) -> usize {
        self.cohorts
            .iter()
            .map(|c| c.active.len())
            .max()
            .unwrap_or(0)
    }
}

/// Counts, for every customer, their first month and each month they bought in.
pub fn cohorts(p: &PurchaseDays) -> Cohorts {
    let last_month = month_of(p.last_day);
    let mut by_month: std::collections::BTreeMap<Month, Cohort> = Default::default();
    for i in 0..p.len() {
        let (days, spend) = p.of(i);
        let Some(&first) = days.first() else { continue };
        let start = month_of(first);
        let span = (last_month - start + 1).max(1) as usize;
        let c = by_month.entry(start).or_insert_with(|| Cohort {
            month: start,
            customers: 0,
            active: vec![0; span],
            revenue: vec![0.0; span],
        });
        c.customers += 1;
        let mut seen = Month::MIN;
        for (&d, &s) in days.iter().zip(spend) {
            let k = (month_of(d) - start) as usize;
            c.revenue[k] += s;
            if month_of(d) != seen {
                c.active[k] += 1;
                seen = month_of(d);
            }
        }
    }
    let last = date_of(p.last_day);
    let next_month_first = if last.month() == 12 {
        chrono::NaiveDate::from_ymd_opt(last.year() + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(last.year(), last.month() + 1, 1)
    };
    let last_month_partial = next_month_first.is_some_and(|n| last.succ_opt() != Some(n));
    Cohorts {
        cohorts: by_month.into_values().collect(),
        last_day: p.last_day,
        last_month,
        last_month_partial,
    }
}

/// What a cohort cell holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CohortMetric {
    /// The share of the cohort that bought in the month.
    Customers,
    /// What the cohort spent in the month.
    Revenue,
}

/// The retention matrix as one table (`cohort, customers, m0, m1, …`); a month after the
/// data's end is empty.
pub fn table(c: &Cohorts, metric: CohortMetric) -> Table {
    let width = c.width();
    let names: Vec<String> = (0..width).map(|k| format!("m{k}")).collect();
    let mut columns = vec!["cohort", "customers"];
    columns.extend(names.iter().map(String::as_str));
    let what = match metric {
        CohortMetric::Customers => {
            "share of each first-purchase month's customers who bought in each month since (m0 = 100%)"
        }
        CohortMetric::Revenue => {
            "what each first-purchase month's customers spent in each month since"
        }
    };
    let partial = if c.last_month_partial {
        format!(
            "; each row's last month, {}, is partial: the data ends {}",
            month_text(c.last_month),
            super::purchases::day_text(c.last_day)
        )
    } else {
        String::new()
    };
    let mut t = Table::new(
        "cohorts",
        &format!("Cohort retention: {what}{partial}"),
        &columns,
    );
    for cohort in &c.cohorts {
        let mut row = vec![
            Value::text(month_text(cohort.month)),
            Value::count(cohort.customers),
        ];
        let cells: Vec<Value> = match metric {
            CohortMetric::Customers => cohort.shares().into_iter().map(Value::Num).collect(),
            CohortMetric::Revenue => cohort.revenue.iter().map(|&r| Value::money(r)).collect(),
        };
        row.extend(cells);
        row.resize(width + 2, Value::Null);
        t.push(row);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::value::purchases::parse_day;

    fn days(ids: &[(&str, &[&str])]) -> PurchaseDays {
        let mut p = PurchaseDays::default();
        for (id, ds) in ids {
            p.ids.push(id.to_string());
            p.starts.push(p.days.len());
            for d in *ds {
                p.days.push(parse_day("t", d).unwrap());
                p.spend.push(10.0);
            }
        }
        p.starts.push(p.days.len());
        p.last_day = p.days.iter().copied().max().unwrap();
        p
    }

    #[test]
    fn a_customer_counts_once_a_month_and_the_partial_month_is_found() {
        let p = days(&[
            ("a", &["2024-01-05", "2024-01-20", "2024-03-02"]),
            ("b", &["2024-01-31"]),
            ("c", &["2024-02-10", "2024-03-15"]),
        ]);
        let c = cohorts(&p);
        assert_eq!(c.cohorts.len(), 2);
        let jan = &c.cohorts[0];
        assert_eq!((jan.customers, jan.active.clone()), (2, vec![2, 0, 1]));
        assert_eq!(jan.revenue, vec![30.0, 0.0, 10.0]);
        assert_eq!(c.cohorts[1].active, vec![1, 1]);
        assert!(c.last_month_partial);
        let t = table(&c, CohortMetric::Customers);
        assert_eq!(t.columns, ["cohort", "customers", "m0", "m1", "m2"]);
        assert_eq!(t.rows[1][4], Value::Null);
        assert!(t.title.contains("2024-03, is partial"), "{}", t.title);
        let full = days(&[("a", &["2024-01-05", "2024-02-29"])]);
        assert!(!cohorts(&full).last_month_partial);
    }
}
