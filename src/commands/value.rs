//! The customer-value commands: `rfm`, `clv` and `cohorts`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::{emit, json_bytes, table_csv};
use crate::analysis::Table;
use crate::analysis::features::{ScalerKind, customer_features};
use crate::analysis::segment::{Algo, DEFAULT_SEED, SegmentParams};
use crate::analysis::service::Service;
use crate::analysis::value::clv::{self, Clv, HoldoutRow, Projection};
use crate::analysis::value::cohorts;
use crate::analysis::value::purchases::{self, Day, PurchaseDays, day_text, parse_day};
use crate::analysis::value::rfm::{self, Rfm, Rules, SegmentSummary, Thresholds};
use crate::analysis::value::tables::{
    CLV_COLUMNS, RFM_COLUMNS, clv_customers_table, clv_parameters_table, holdout_table,
    rfm_customers_table, rfm_segments_table, rfm_thresholds_table, value_groups_table,
};
use crate::analysis::value::{ValueGroup, rfm_value_groups_of, value_groups};
use crate::bail_input;
use crate::cli::{ClvArgs, CohortsArgs, LoadArgs, RfmArgs, ValueOut};
use crate::data::Dataset;
use crate::output::check_targets;
use crate::report::{self, Format, write_text_table};

/// Loads as every command does, timed as the "load" phase (bench/ measures the value
/// commands beyond it).
fn load(data: Option<&Path>, load_args: &LoadArgs) -> Result<Dataset> {
    let _t = crate::timing::phase("load");
    super::load(data, load_args)
}

/// Refuses `--out` onto anything but a new file (or a regular one with `--force`) before any
/// work is done.
fn check_out(o: &ValueOut) -> Result<()> {
    match &o.out {
        Some(path) => check_targets(&[path], o.force),
        None => Ok(()),
    }
}

fn text_bytes(tables: &[Table], notes: &[String]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for t in tables {
        write_text_table(&mut out, t)?;
    }
    for n in notes {
        out.extend_from_slice(report::sanitize(n).as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

// --- rfm -----------------------------------------------------------------------------------

/// The rules `--rules` names, or the defaults.
pub fn rules_of(path: Option<&Path>) -> Result<Rules> {
    match path {
        Some(p) => Rules::load(p),
        None => Ok(Rules::defaults()),
    }
}

/// RFM of a loaded dataset with the given bins and rules.
pub fn rfm_of(ds: &Dataset, bins: Option<u8>, rules: Rules) -> Result<Rfm> {
    let features = customer_features(ds)?;
    let bins = bins.unwrap_or(rules.bins);
    rfm::rfm(&features, bins, rules)
}

#[derive(Serialize)]
struct RfmThresholdsJson<'a> {
    recency: &'a Thresholds,
    frequency: &'a Thresholds,
    monetary: &'a Thresholds,
}

#[derive(Serialize)]
struct RfmCustomerJson<'a> {
    customer: &'a str,
    recency_days: f64,
    frequency: f64,
    monetary: f64,
    r: u8,
    f: u8,
    m: u8,
    rfm: u16,
    segment: &'a str,
}

#[derive(Serialize)]
struct RfmRuleJson<'a> {
    segment: &'a str,
    rule: String,
    /// Earlier rules cover every score of this one: no customer can be named by it.
    unreachable: bool,
}

#[derive(Serialize)]
struct RfmJson<'a> {
    bins: u8,
    thresholds: RfmThresholdsJson<'a>,
    rules: Vec<RfmRuleJson<'a>>,
    customers: Vec<RfmCustomerJson<'a>>,
    segments: &'a [SegmentSummary],
}

fn rfm_json(r: &Rfm) -> RfmJson<'_> {
    RfmJson {
        bins: r.bins,
        thresholds: RfmThresholdsJson {
            recency: &r.recency_thresholds,
            frequency: &r.frequency_thresholds,
            monetary: &r.monetary_thresholds,
        },
        rules: r
            .rules
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| RfmRuleJson {
                segment: &rule.name,
                rule: rule.describe(),
                unreachable: r.shadowed.contains(&i),
            })
            .collect(),
        customers: (0..r.ids.len())
            .map(|i| RfmCustomerJson {
                customer: &r.ids[i],
                recency_days: r.recency_days[i],
                frequency: r.frequency[i],
                monetary: r.monetary[i],
                r: r.r[i],
                f: r.f[i],
                m: r.m[i],
                rfm: r.code(i),
                segment: r.segment_of(i),
            })
            .collect(),
        segments: &r.summary,
    }
}

/// Says which rules no customer can reach, so an absent segment is not read as "none".
pub fn unreachable_note(r: &Rfm) -> Option<String> {
    if r.shadowed.is_empty() {
        return None;
    }
    let names: Vec<&str> = r
        .shadowed
        .iter()
        .map(|&i| r.rules.rules[i].name.as_str())
        .collect();
    Some(format!(
        "note: no customer can be named {}: earlier rules cover every score of theirs (first match wins, as in R rfm); reorder the rules with --rules FILE to use them",
        names.join(", ")
    ))
}

pub fn run_rfm(a: &RfmArgs, load_args: &LoadArgs) -> Result<()> {
    check_out(&a.output)?;
    let rules = rules_of(a.rules.as_deref())?;
    let ds = load(a.data.as_deref(), load_args)?;
    let r = rfm_of(&ds, a.bins, rules)?;
    let note = unreachable_note(&r);
    let bytes = match a.output.format {
        Format::Json => json_bytes(&rfm_json(&r))?,
        Format::Csv => table_csv(&rfm_customers_table(&r))?,
        Format::Text => {
            let mut notes = vec![format!(
                "{} customers scored in {} bins; --format csv or json lists every customer's scores",
                r.ids.len(),
                r.bins
            )];
            notes.extend(note.clone());
            text_bytes(&[rfm_thresholds_table(&r), rfm_segments_table(&r)], &notes)?
        }
    };
    if a.output.format != Format::Text
        && let Some(n) = &note
    {
        report::say(n);
    }
    emit(a.output.out.as_ref(), a.output.force, &bytes)
}

// --- clv -----------------------------------------------------------------------------------

/// The checked `--until` and `--holdout` days.
fn clv_period(a: &ClvArgs, p: &PurchaseDays) -> Result<(Day, Option<Day>)> {
    let first = p.days.iter().copied().min().unwrap_or(p.last_day);
    let until = match &a.until {
        Some(text) => parse_day("--until", text)?,
        None => {
            if a.holdout.is_some() {
                bail_input!(
                    "--holdout needs --until, the end of calibration: e.g. --until {} --holdout {}",
                    day_text(first + (p.last_day - first) / 2),
                    day_text(p.last_day)
                );
            }
            p.last_day
        }
    };
    if until < first || until > p.last_day {
        bail_input!(
            "--until {}: outside the purchases ({} to {}); give a day in that range (a later day would count every customer as lapsed since)",
            day_text(until),
            day_text(first),
            day_text(p.last_day)
        );
    }
    let holdout = match &a.holdout {
        None => None,
        Some(text) => {
            let h = parse_day("--holdout", text)?;
            if h <= until || h > p.last_day {
                bail_input!(
                    "--holdout {}: give a day after --until {} and no later than the last purchase, {}",
                    day_text(h),
                    day_text(until),
                    day_text(p.last_day)
                );
            }
            Some(h)
        }
    };
    Ok((until, holdout))
}

fn projection_of(a: &ClvArgs) -> Result<Projection> {
    if !(1..=3650).contains(&a.horizon) {
        bail_input!("--horizon {}: give 1 to 3650 days", a.horizon);
    }
    if !(a.discount.is_finite() && (0.0..1.0).contains(&a.discount)) {
        bail_input!(
            "--discount {}: give a monthly rate from 0 up to (not including) 1, e.g. --discount 0.01",
            a.discount
        );
    }
    Ok(Projection {
        horizon_days: a.horizon,
        discount: a.discount,
    })
}

fn kmeans_value_groups(c: &Clv, ds: &Dataset, k: usize) -> Result<Vec<ValueGroup>> {
    let f = customer_features(ds)?;
    let s = Service::new(&f).fit(&SegmentParams {
        k,
        algo: Algo::Kmeans,
        seed: DEFAULT_SEED,
        features: "rfm+".to_string(),
        scaler: ScalerKind::Robust,
    })?;
    let names: Vec<String> = s
        .profiles
        .iter()
        .map(|p| format!("{} {}", p.id, p.persona))
        .collect();
    let of: HashMap<&str, usize> = s
        .ids
        .iter()
        .zip(&s.labels)
        .map(|(id, &l)| (id.as_str(), l))
        .collect();
    Ok(value_groups(c, &names, &|id| {
        of.get(id).and_then(|&l| names.get(l).cloned())
    }))
}

#[derive(Serialize)]
struct ClvCustomerJson<'a> {
    customer: &'a str,
    frequency: f64,
    recency: f64,
    #[serde(rename = "T")]
    t: f64,
    monetary_value: f64,
    p_alive: f64,
    expected_purchases: f64,
    expected_spend: f64,
    clv: f64,
}

#[derive(Serialize)]
struct ClvSegmentsJson<'a> {
    rfm: &'a [ValueGroup],
    #[serde(skip_serializing_if = "Option::is_none")]
    kmeans: Option<&'a [ValueGroup]>,
}

#[derive(Serialize)]
struct ClvJson<'a> {
    until: String,
    horizon_days: u32,
    discount: f64,
    bgnbd: &'a clv::BgNbd,
    gamma_gamma: &'a clv::GammaGamma,
    customers: Vec<ClvCustomerJson<'a>>,
    segments: ClvSegmentsJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holdout: Option<&'a [HoldoutRow]>,
}

fn clv_customers(c: &Clv) -> Vec<ClvCustomerJson<'_>> {
    let s = &c.summary;
    (0..s.ids.len())
        .map(|i| ClvCustomerJson {
            customer: &s.ids[i],
            frequency: s.frequency[i],
            recency: s.recency[i],
            t: s.t[i],
            monetary_value: s.monetary[i],
            p_alive: c.values[i].p_alive,
            expected_purchases: c.values[i].expected_purchases,
            expected_spend: c.values[i].expected_spend,
            clv: c.values[i].clv,
        })
        .collect()
}

pub fn run_clv(a: &ClvArgs, load_args: &LoadArgs) -> Result<()> {
    check_out(&a.output)?;
    let projection = projection_of(a)?;
    let ds = load(a.data.as_deref(), load_args)?;
    let r = clv_results(a, &ds, projection)?;
    let bytes = match a.output.format {
        Format::Json => json_bytes(&ClvJson {
            until: day_text(r.until),
            horizon_days: projection.horizon_days,
            discount: projection.discount,
            bgnbd: &r.c.bgnbd,
            gamma_gamma: &r.c.gamma_gamma,
            customers: clv_customers(&r.c),
            segments: ClvSegmentsJson {
                rfm: &r.by_rfm,
                kmeans: r.by_kmeans.as_deref(),
            },
            holdout: r.holdout.as_deref(),
        })?,
        Format::Csv => table_csv(&clv_customers_table(&r.c))?,
        Format::Text => clv_text(&r, projection)?,
    };
    emit(a.output.out.as_ref(), a.output.force, &bytes)
}

/// What `segscope clv` reports, before it is written in a format.
struct ClvResults {
    c: Clv,
    until: Day,
    holdout_end: Option<Day>,
    by_rfm: Vec<ValueGroup>,
    by_kmeans: Option<Vec<ValueGroup>>,
    holdout: Option<Vec<HoldoutRow>>,
}

/// Fits and projects lifetime value, then groups it by RFM segment (and K-means segment with
/// `--k`) and compares it with the holdout period if there is one.
fn clv_results(a: &ClvArgs, ds: &Dataset, projection: Projection) -> Result<ClvResults> {
    let p = {
        let _t = crate::timing::phase("purchase days");
        purchases::purchase_days(ds)?
    };
    let (until, holdout_end) = clv_period(a, &p)?;
    let c = {
        let _t = crate::timing::phase("clv fit and projection");
        clv::clv(&p, until, projection)?
    };
    let r = {
        let _t = crate::timing::phase("rfm");
        rfm_of(ds, None, Rules::defaults())?
    };
    let by_rfm = rfm_value_groups_of(&c, &r);
    let by_kmeans = match a.k {
        Some(k) => Some(kmeans_value_groups(&c, ds, k)?),
        None => None,
    };
    let holdout = match holdout_end {
        Some(end) => Some(clv::holdout(&c, &p, end)?),
        None => None,
    };
    Ok(ClvResults {
        c,
        until,
        holdout_end,
        by_rfm,
        by_kmeans,
        holdout,
    })
}

/// `segscope clv --format text`: the fitted parameters, value per segment, the holdout.
fn clv_text(r: &ClvResults, projection: Projection) -> Result<Vec<u8>> {
    let horizon = format!(
        "over {} days, discounted {}% a month",
        projection.horizon_days,
        projection.discount * 100.0
    );
    let mut tables = vec![
        clv_parameters_table(&r.c),
        value_groups_table(
            "clv_by_rfm",
            &format!("Lifetime value per RFM segment {horizon}"),
            &r.by_rfm,
        ),
    ];
    if let Some(g) = &r.by_kmeans {
        tables.push(value_groups_table(
            "clv_by_segment",
            &format!("Lifetime value per K-means segment {horizon}"),
            g,
        ));
    }
    if let (Some(rows), Some(end)) = (&r.holdout, r.holdout_end) {
        tables.push(holdout_table(rows, r.until, end));
    }
    text_bytes(
        &tables,
        &[
            "--format csv or json lists every customer's P(alive), expected purchases and CLV"
                .to_string(),
        ],
    )
}

// --- cohorts -------------------------------------------------------------------------------

#[derive(Serialize)]
struct CohortsJson {
    tables: Vec<Table>,
    skipped: Vec<crate::analysis::Skipped>,
}

pub fn run_cohorts(a: &CohortsArgs, load_args: &LoadArgs) -> Result<()> {
    check_out(&a.output)?;
    let ds = load(a.data.as_deref(), load_args)?;
    let p = purchases::purchase_days(&ds)?;
    let c = cohorts::cohorts(&p);
    let t = cohorts::table(&c, a.metric);
    let bytes = match a.output.format {
        Format::Json => json_bytes(&CohortsJson {
            tables: vec![t],
            skipped: Vec::new(),
        })?,
        Format::Csv => table_csv(&t)?,
        Format::Text => text_bytes(&[t], &[])?,
    };
    emit(a.output.out.as_ref(), a.output.force, &bytes)
}

// --- the CRM files' value columns ----------------------------------------------------------

/// What export, assign and `segment --out` add to customer_segments.csv: every customer's
/// RFM code and segment, P(alive) and CLV, and the customers who never bought.
pub struct CrmTags {
    value: Option<crate::analysis::value::ValueReport>,
    /// The features' ids (sorted): a customer's row in them is its row in `value`.
    ids: Vec<String>,
    never_bought: Vec<String>,
}

/// The persona and RFM segment of customers who signed up but never bought.
pub const NO_PURCHASE: &str = "No purchase";

/// Builds the tags; where a measure cannot be made (a customer table has no transactions, a
/// lifetime-value fit fails) its columns stay empty and stderr says why.
pub fn crm_tags(ds: &Dataset, f: &crate::analysis::features::CustomerFeatures) -> Result<CrmTags> {
    let value = if ds.table.is_some() {
        None
    } else {
        match crate::analysis::value::ValueReport::build(ds, f) {
            Ok(v) => Some(v),
            Err(e) if crate::error::is_input(&e) => {
                report::say(&format!(
                    "note: rfm, rfm_segment, p_alive and clv left empty: {}",
                    crate::error::first_line(&e)
                ));
                None
            }
            Err(e) => return Err(e),
        }
    };
    if let Some(Some(Err(e))) = value.as_ref().map(|v| &v.clv) {
        report::say(&format!("note: p_alive and clv left empty: {e}"));
    }
    Ok(CrmTags {
        value,
        ids: f.ids.clone(),
        never_bought: never_bought(ds, &f.ids)?,
    })
}

/// Customers of the customer file who have no purchase (sorted).
fn never_bought(ds: &Dataset, bought: &[String]) -> Result<Vec<String>> {
    let Some(customers) = &ds.customers else {
        return Ok(Vec::new());
    };
    let known = customers
        .clone()
        .select([polars::prelude::col("customer_id")])
        .collect()?;
    let bought: std::collections::HashSet<&str> = bought.iter().map(String::as_str).collect();
    let mut out: Vec<String> = crate::data::frame::opt_texts(&known, "customer_id")?
        .into_iter()
        .flatten()
        .filter(|id| !bought.contains(id.as_str()))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// customer_segments.csv: `CustomerID,segment,persona,rfm,rfm_segment,p_alive,clv`, one row
/// per customer who bought, then one per customer who never did (segment empty, persona and
/// RFM segment "No purchase"). CLV to the cent and P(alive) to 4 decimals: people read it.
pub fn customer_segments_csv(
    ids: &[String],
    labels: &[usize],
    personas: &[String],
    tags: &CrmTags,
) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::with_capacity((ids.len() + tags.never_bought.len()) * 48);
    let _ = writeln!(
        out,
        "CustomerID,segment,persona,rfm,rfm_segment,p_alive,clv"
    );
    for (id, &l) in ids.iter().zip(labels) {
        let value = match (tags.value.as_ref(), tags.ids.binary_search(id)) {
            (Some(v), Ok(row)) => v.of_row(row),
            _ => None,
        };
        let (rfm, segment, alive, clv) = match value {
            Some(v) => (
                v.rfm.to_string(),
                report::csv_field(&v.segment),
                v.p_alive.map_or(String::new(), |p| format!("{p:.4}")),
                v.clv.map_or(String::new(), |c| format!("{c:.2}")),
            ),
            None => Default::default(),
        };
        let _ = writeln!(
            out,
            "{},{},{},{rfm},{segment},{alive},{clv}",
            report::csv_field(id),
            l + 1,
            report::csv_field(&personas[l]),
        );
    }
    for id in &tags.never_bought {
        let _ = writeln!(
            out,
            "{},,{NO_PURCHASE},,{NO_PURCHASE},,",
            report::csv_field(id)
        );
    }
    out
}

/// rfm.csv and clv.csv for export (clv.csv holds only its header where CLV could not be fitted).
pub fn value_csvs(tags: &CrmTags) -> Result<(Vec<u8>, Vec<u8>)> {
    let Some(v) = &tags.value else {
        return Ok((
            table_csv(&Table::new("rfm", "", &RFM_COLUMNS))?,
            table_csv(&Table::new("clv", "", &CLV_COLUMNS))?,
        ));
    };
    let clv = match &v.clv {
        Some(Ok(c)) => clv_customers_table(c),
        _ => Table::new("clv", "", &CLV_COLUMNS),
    };
    Ok((table_csv(&rfm_customers_table(&v.rfm))?, table_csv(&clv)?))
}
