//! The headless commands: load, analyse, and write results in the stable JSON/CSV contract.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use ndarray::Array2;
use serde::Serialize;

use crate::analysis::features::{CustomerFeatures, customer_features};
use crate::analysis::lookalike::{self, Match};
use crate::analysis::matches::{self, Context, Lookalike, Segments};
use crate::analysis::metrics::Metrics;
use crate::analysis::migrate;
use crate::analysis::model::Model;
use crate::analysis::segment::{self, Profile, SegmentParams, Segmentation};
use crate::analysis::service::Service;
use crate::analysis::{Table, Value};
use crate::bail_input;
use crate::cli::{
    AssignArgs, ExportArgs, LoadArgs, LookalikeArgs, MigrateArgs, ModelArgs, SegmentArgs, SweepArgs,
};
use crate::data::{self, DataSource, Dataset, roles};
use crate::output::{check_targets, write_files_atomically};
use crate::report::{self, Format, json_safe, write_csv_table, write_text_table};

pub mod value;

/// The reading flags (`--map`, `--date-format`, `--columns`, …), checked.
pub fn load_options(load: &LoadArgs) -> Result<data::LoadOptions> {
    let overrides = load
        .map
        .iter()
        .map(|m| roles::parse_override(m))
        .collect::<Result<Vec<_>>>()?;
    for (i, a) in overrides.iter().enumerate() {
        if let Some(b) = overrides[..i].iter().find(|b| b.role == a.role) {
            bail_input!(
                "--map {}={} and --map {}={}: one column per role; keep one of them",
                b.role.key(),
                b.column,
                a.role.key(),
                a.column
            );
        }
    }
    if let Some(cols) = &load.columns
        && cols.iter().any(|c| c.trim().is_empty())
    {
        bail_input!(
            "--columns: a name is empty; give one name per column, e.g. --columns customer_id,date,quantity,amount"
        );
    }
    if let Some(fmt) = &load.date_format
        && fmt.trim().is_empty()
    {
        bail_input!("--date-format: the format is empty; e.g. --date-format %d/%m/%Y");
    }
    let price_tiers = match load.price_tiers.as_deref() {
        None => None,
        Some([a, b]) if a.is_finite() && b.is_finite() && a < b => Some((*a, *b)),
        Some(_) => bail_input!(
            "--price-tiers: give two increasing cut points A,B (unit price < A, A to B, > B), e.g. --price-tiers 10,50"
        ),
    };
    Ok(data::LoadOptions {
        price_tiers,
        overrides,
        date_format: load.date_format.clone(),
        columns: load.columns.clone(),
        sheet: load.sheet.clone(),
        allow_partial: load.allow_partial,
        not_products: load
            .not_products
            .iter()
            .map(|c| c.trim().to_string())
            .collect(),
        filters: data::filter::Filters::parse(
            load.from.as_deref(),
            load.to.as_deref(),
            &load.wheres,
        )?,
    })
}

/// Loads the dataset named on the command line (or the bundled sample), saying on stderr
/// every reason that dropped more than 1% of its rows.
pub fn load(data: Option<&Path>, load: &LoadArgs) -> Result<Dataset> {
    let opts = load_options(load)?;
    let ds = data::load(&DataSource::from_arg(data), &opts)?;
    for loss in ds.report.losses() {
        report::say(&format!("warning: {}", loss.describe(&ds.name)));
    }
    // A slice is said, so a figure of it is never read as the whole data's.
    if !opts.filters.is_empty()
        && let Some(note) = ds
            .report
            .notes
            .iter()
            .rev()
            .find(|n| n.starts_with("filtered to"))
    {
        report::say(&format!("{}: {note}", ds.name));
    }
    // A customer table has no EDA to show what loading left out: say it here.
    if ds.table.is_some() {
        for note in &ds.report.notes {
            report::say(note);
        }
        if ds.report.bad_numbers > 0 {
            report::say(&format!(
                "{}: {} row(s) without a finite number in every feature left out",
                ds.name, ds.report.bad_numbers
            ));
        }
    }
    Ok(ds)
}

fn params(m: &ModelArgs, k: usize) -> SegmentParams {
    SegmentParams {
        k,
        algo: m.algo,
        seed: m.seed,
        features: m.features.clone(),
        scaler: m.scaler,
    }
}

/// CustomerID plus one column per feature, full precision (shortest round-trip decimal).
fn matrix_csv(ids: &[String], names: &[String], x: &Array2<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * (names.len() + 1) * 12);
    let _ = writeln!(out, "CustomerID,{}", names.join(","));
    for (id, row) in ids.iter().zip(x.outer_iter()) {
        let _ = write!(out, "{}", report::csv_field(id));
        for v in row {
            let _ = write!(out, ",{v}");
        }
        let _ = writeln!(out);
    }
    out
}

/// Refuses `--dump-matrix` onto anything but a new file (or a regular one with `--force`)
/// before any work is done.
fn check_dump(m: &ModelArgs) -> Result<()> {
    match &m.dump_matrix {
        Some(path) => check_targets(&[path], m.force),
        None => Ok(()),
    }
}

fn write_dump(m: &ModelArgs, ids: &[String], names: &[String], x: &Array2<f64>) -> Result<()> {
    if let Some(path) = &m.dump_matrix {
        write_files_atomically(&[(path, &matrix_csv(ids, names, x))], m.force)?;
    }
    Ok(())
}

/// The most (customer, lookalike) pairs `lookalike --all` holds: about 0.8 GB.
const MAX_LOOKALIKE_ROWS: usize = 50_000_000;

/// Writes `bytes` to `--out FILE` (atomically, refusing to overwrite) or to standard output.
fn emit(out: Option<&PathBuf>, force: bool, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => write_files_atomically(&[(path, bytes)], force),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
            Ok(())
        }
    }
}

fn json_bytes<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    Ok(format!("{}\n", json_safe(&serde_json::to_string_pretty(v)?)).into_bytes())
}

// --- segment -------------------------------------------------------------------------------

#[derive(Serialize)]
struct SegmentJson<'a> {
    id: usize,
    persona: &'a str,
    /// The persona rule with the values that fired it.
    rule: &'a str,
    /// The fixed group of net returners (not a cluster).
    fixed: bool,
    size: usize,
    share: f64,
    revenue: f64,
    revenue_share: f64,
    top_category: Option<&'a str>,
    top_region: Option<&'a str>,
    mean: BTreeMap<&'a str, f64>,
    median: BTreeMap<&'a str, f64>,
    distinctive: &'a [crate::analysis::explain::Distinctive],
}

#[derive(Serialize)]
struct SegmentOut<'a> {
    k: usize,
    algo: &'static str,
    seed: u64,
    n_customers: usize,
    features: &'a [String],
    scaler: crate::analysis::features::ScalerKind,
    /// Per feature: the statistic its scale is (iqr, mad, std, constant, none).
    scale_from: &'a [crate::analysis::features::ScaleFrom],
    /// Per feature: the [low, high] range its scaled values are limited to.
    limits: BTreeMap<&'a str, [f64; 2]>,
    /// Customers clustered (every customer but the net returners).
    n_clustered: usize,
    /// Customers whose net spend is at most zero: a fixed group, not clustered.
    net_returners: usize,
    /// Ward on more customers than its tree holds: the rows the tree was built on.
    tree_rows: Option<usize>,
    metrics: &'a Metrics,
    /// Adjusted Rand index between K-means and the Gaussian mixture at this K.
    kmeans_gmm_ari: Option<f64>,
    /// Customers the agreement was measured on (a seeded sample above 2,000).
    kmeans_gmm_ari_sample: Option<usize>,
    segments: Vec<SegmentJson<'a>>,
    /// Segments holding under 1% or over 80% of the clustered customers, with what drives them.
    warnings: &'a [crate::analysis::explain::Warning],
}

fn segment_json(p: &Profile) -> SegmentJson<'_> {
    SegmentJson {
        id: p.id,
        persona: &p.persona,
        rule: &p.rule,
        fixed: p.fixed,
        size: p.size,
        share: p.share,
        revenue: (p.revenue * 100.0).round() / 100.0,
        revenue_share: p.revenue_share,
        top_category: p.top_category.as_deref(),
        top_region: p.top_region.as_deref(),
        mean: p.mean.iter().map(|(n, v)| (n.as_str(), *v)).collect(),
        median: p.median.iter().map(|(n, v)| (n.as_str(), *v)).collect(),
        distinctive: &p.distinctive,
    }
}

fn segment_out(s: &Segmentation, ari: Option<(f64, usize)>) -> SegmentOut<'_> {
    SegmentOut {
        k: s.k,
        algo: s.algo.name(),
        seed: s.seed,
        n_customers: s.ids.len(),
        features: &s.transform.features,
        scaler: s.transform.scaler,
        scale_from: &s.transform.scale_from,
        limits: s
            .transform
            .features
            .iter()
            .map(String::as_str)
            .zip(s.transform.limits.iter().copied())
            .collect(),
        n_clustered: s.ids.len() - s.net_returners,
        net_returners: s.net_returners,
        tree_rows: s.tree_rows,
        metrics: &s.metrics,
        kmeans_gmm_ari: ari.map(|a| a.0),
        kmeans_gmm_ari_sample: ari.map(|a| a.1),
        segments: s.profiles.iter().map(segment_json).collect(),
        warnings: &s.warnings,
    }
}

fn segment_text(s: &Segmentation, ari: Option<(f64, usize)>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_fit_summary(&mut out, s, ari)?;
    writeln!(out)?;
    write_text_table(&mut out, &segment::profile_table_with(s, false))?;
    writeln!(out)?;
    write_segment_rules(&mut out, s)?;
    Ok(out)
}

/// The text report's opening lines: what was fitted, how well it separates, and who was set
/// aside or sampled.
fn write_fit_summary(out: &mut Vec<u8>, s: &Segmentation, ari: Option<(f64, usize)>) -> Result<()> {
    let m = &s.metrics;
    writeln!(
        out,
        "{} customers, {} K = {}, seed {}, features: {} ({} scaling)",
        s.ids.len(),
        s.algo.name(),
        s.k,
        s.seed,
        s.transform.features.join(", "),
        s.transform.scaler.name()
    )?;
    let sample = if m.silhouette_sample < s.ids.len() {
        format!(" (on a sample of {})", m.silhouette_sample)
    } else {
        String::new()
    };
    writeln!(
        out,
        "silhouette {:.4}{sample}  Davies-Bouldin {:.4}  Calinski-Harabasz {:.2}  inertia {:.2}",
        m.silhouette, m.davies_bouldin, m.calinski_harabasz, m.inertia
    )?;
    if let Some((a, rows)) = ari {
        let on = if rows < s.ids.len() {
            format!(" (on a sample of {rows})")
        } else {
            String::new()
        };
        writeln!(
            out,
            "agreement with the other algorithm at this K (adjusted Rand index): {a:.4}{on}"
        )?;
    }
    if s.net_returners > 0 {
        writeln!(
            out,
            "{} net returners (net spend ≤ 0) are not clustered: they are segment {}, \"{}\"",
            s.net_returners,
            s.k + 1,
            segment::NET_RETURNERS
        )?;
    }
    if let Some(rows) = s.tree_rows {
        writeln!(
            out,
            "Ward's tree was built on a seeded sample of {rows} customers; the rest joined the nearest segment centre"
        )?;
    }
    Ok(())
}

/// Each segment's naming rule and most distinctive features, then the warnings.
fn write_segment_rules(out: &mut Vec<u8>, s: &Segmentation) -> Result<()> {
    for p in &s.profiles {
        let apart: Vec<String> = p
            .distinctive
            .iter()
            .take(3)
            .map(|d| {
                format!(
                    "{} {} (all {})",
                    d.feature,
                    short(d.median),
                    short(d.overall_median)
                )
            })
            .collect();
        writeln!(
            out,
            "{} {}: {}; set apart by {}",
            p.id,
            report::visible(&p.persona),
            p.rule,
            apart.join(", ")
        )?;
    }
    for w in &s.warnings {
        writeln!(out, "warning: {}", report::visible(&w.message))?;
    }
    Ok(())
}

/// A figure for a sentence: no more digits than it needs.
fn short(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn table_csv(t: &Table) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_csv_table(&mut out, t)?;
    Ok(out)
}

pub fn run_segment(a: &SegmentArgs, load_args: &LoadArgs) -> Result<()> {
    check_dump(&a.model)?;
    if let Some(dir) = &a.out {
        check_targets(
            &[
                &dir.join("customer_segments.csv"),
                &dir.join("segment_summary.csv"),
            ],
            a.model.force,
        )?;
    }
    // The CRM file's value columns need the dataset; without --out it is let go early.
    let (_, ds, f) = load_with_features(a.data.as_deref(), load_args, a.out.is_some())?;
    let (s, ari) = Service::new(&f).fit_scored(&params(&a.model, a.k))?;
    write_dump(&a.model, &s.ids, &s.transform.features, &s.matrix)?;
    for w in &s.warnings {
        report::say(&format!("warning: {}", w.message));
    }
    if let (Some(dir), Some(ds)) = (&a.out, &ds) {
        let tags = value::crm_tags(ds, &f)?;
        make_dir(dir)?;
        let personas: Vec<String> = s.profiles.iter().map(|p| p.persona.clone()).collect();
        write_files_atomically(
            &[
                (
                    &dir.join("customer_segments.csv"),
                    &value::customer_segments_csv(&s.ids, &s.labels, &personas, &tags),
                ),
                (
                    &dir.join("segment_summary.csv"),
                    &table_csv(&segment::profile_table(&s))?,
                ),
            ],
            a.model.force,
        )?;
    }
    let bytes = match a.format {
        Format::Json => json_bytes(&segment_out(&s, ari))?,
        // The profile table, as segment_summary.csv has it.
        Format::Csv => table_csv(&segment::profile_table(&s))?,
        Format::Text => segment_text(&s, ari)?,
    };
    emit(None, false, &bytes)
}

/// Loads the dataset and builds its customers' features; returns the dataset's name with
/// them, and the dataset itself when `keep` (the CRM files read its purchases again). Else the
/// dataset is let go on another thread: the features hold what the rest needs, and freeing a
/// million lines' columns need not hold up the fit.
fn load_with_features(
    data: Option<&Path>,
    load_args: &LoadArgs,
    keep: bool,
) -> Result<(String, Option<Dataset>, CustomerFeatures)> {
    let ds = {
        let _t = crate::timing::phase("load");
        load(data, load_args)?
    };
    let f = {
        let _t = crate::timing::phase("features");
        customer_features(&ds)?
    };
    let name = ds.name.clone();
    if keep {
        return Ok((name, Some(ds), f));
    }
    std::thread::spawn(move || drop(ds));
    Ok((name, None, f))
}

fn make_dir(dir: &Path) -> Result<()> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        bail_input!("{}: cannot create the output folder ({e})", dir.display());
    }
    Ok(())
}

// --- sweep ---------------------------------------------------------------------------------

pub fn run_sweep(a: &SweepArgs, load_args: &LoadArgs) -> Result<()> {
    check_dump(&a.model)?;
    if a.format == Format::Csv {
        bail_input!("--format csv: sweep prints text or json");
    }
    let ds = load(a.data.as_deref(), load_args)?;
    let f = customer_features(&ds)?;
    let p = params(&a.model, a.k_min.max(2));
    let sw = segment::sweep(&f, &p, a.k_min, a.k_max)?;
    if a.model.dump_matrix.is_some() {
        let (t, x) = f.scaled(&a.model.features, a.model.scaler)?;
        let x = segment::clustered_matrix(&f, &x);
        let ids = segment::clustered_ids(&f);
        write_dump(&a.model, &ids, &t.features, &x)?;
    }
    let bytes = match a.format {
        Format::Json => json_bytes(&sw)?,
        _ => {
            let mut t = Table::new(
                "sweep",
                &format!(
                    "K sweep ({}; features: {})",
                    sw.algo.name(),
                    sw.features.join(", ")
                ),
                &[
                    "k",
                    "silhouette",
                    "davies_bouldin",
                    "calinski_harabasz",
                    "inertia",
                    "smallest_share",
                ],
            );
            for r in &sw.rows {
                let m = &r.metrics;
                t.push(vec![
                    Value::count(r.k),
                    Value::Num(m.silhouette),
                    Value::Num(m.davies_bouldin),
                    Value::Num(m.calinski_harabasz),
                    Value::Num(m.inertia),
                    Value::Share(r.smallest_share),
                ]);
            }
            let mut out = Vec::new();
            write_text_table(&mut out, &t)?;
            writeln!(out, "suggested K = {}: {}", sw.suggested_k, sw.reason)?;
            out
        }
    };
    emit(None, false, &bytes)
}

// --- lookalike -----------------------------------------------------------------------------

#[derive(Serialize)]
struct LookalikeOut<'a> {
    customer: &'a str,
    lookalikes: &'a [Lookalike],
}

/// Names and, where a segmentation is fitted, segments beside each lookalike: what the text and
/// JSON lists show (Lookalike.csv keeps its columns).
struct Beside<'a> {
    features: &'a CustomerFeatures,
    names: Vec<Option<String>>,
    seg: Option<&'a Segmentation>,
}

impl Beside<'_> {
    fn rows(&self, m: &[Match]) -> Vec<Lookalike> {
        Context {
            features: self.features,
            names: Some(&self.names),
            segments: self.seg.map(|s| Segments {
                labels: &s.labels,
                personas: s.profiles.iter().map(|p| p.persona.as_str()).collect(),
            }),
        }
        .rows(m)
    }
}

/// Lookalike.csv: CustomerID, Lookalike1, Score1, … (empty cells where fewer matched).
fn wide_csv(ids: &[String], rows: &[(usize, &[Match])], top: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut header = vec!["CustomerID".to_string()];
    for i in 1..=top {
        header.push(format!("Lookalike{i}"));
        header.push(format!("Score{i}"));
    }
    let _ = writeln!(out, "{}", header.join(","));
    for (who, m) in rows {
        let mut cells = vec![report::csv_field(&ids[*who])];
        for i in 0..top {
            match m.get(i) {
                Some(m) => {
                    cells.push(report::csv_field(&ids[m.index]));
                    cells.push(m.score.to_string());
                }
                None => cells.extend([String::new(), String::new()]),
            }
        }
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

/// Finds a customer id (exactly, then ignoring case) or suggests the closest ones.
fn find_customer(ids: &[String], wanted: &str) -> Result<usize> {
    let w = wanted.trim();
    if let Ok(i) = ids.binary_search_by(|id| id.as_str().cmp(w)) {
        return Ok(i);
    }
    if let Some(i) = ids.iter().position(|id| id.eq_ignore_ascii_case(w)) {
        return Ok(i);
    }
    let mut scored: Vec<(usize, &String)> = ids
        .iter()
        .map(|id| (edit_distance(&id.to_lowercase(), &w.to_lowercase()), id))
        .collect();
    scored.sort();
    let close: Vec<&str> = scored.iter().take(3).map(|(_, id)| id.as_str()).collect();
    bail_input!(
        "--customer {w:?}: no customer with purchases has this id; closest: {}",
        close
            .iter()
            .map(|s| report::sanitize(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            cur[j] = (prev[j] + 1)
                .min(cur[j - 1] + 1)
                .min(prev[j - 1] + usize::from(a[i - 1] != b[j - 1]));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The scaled matrix lookalikes use: the chosen features, log1p and scaling, no clustering.
/// The space lookalikes are measured in: the feature set scaled as the segments are, without
/// the clustering's limits (the biggest spenders then match big spenders, not everyone at the
/// 99th percentile).
fn lookalike_matrix(f: &CustomerFeatures, m: &ModelArgs) -> Result<(Vec<String>, Array2<f64>)> {
    let (t, _) = f.scaled(&m.features, m.scaler)?;
    let x = t.apply(&f.raw_matrix(&t.features));
    Ok((t.features, x))
}

/// `--min-score`, checked against the metric's range (default: its lowest score).
fn min_score(a: &LookalikeArgs) -> Result<f64> {
    let (lo, hi) = a.metric.range();
    match a.min_score {
        None => Ok(lo),
        Some(v) if (lo..=hi).contains(&v) => Ok(v),
        Some(v) => bail_input!(
            "--min-score {v}: a {} score lies between {lo} and {hi}",
            a.metric.name()
        ),
    }
}

pub fn run_lookalike(a: &LookalikeArgs, load_args: &LoadArgs) -> Result<()> {
    check_dump(&a.model)?;
    let min_score = min_score(a)?;
    if a.top == Some(0) {
        bail_input!("--top 0: ask for at least one lookalike");
    }
    if let Some(out) = &a.out {
        check_targets(&[out], a.model.force)?;
    }
    let ds = load(a.data.as_deref(), load_args)?;
    let f = customer_features(&ds)?;
    if f.len() < 2 {
        bail_input!(
            "only {} customer with purchases: lookalikes need at least 2",
            f.len()
        );
    }
    let bytes = match a.segment {
        Some(seg) => audience_expansion(a, &ds, &f, seg, min_score)?,
        None => customer_lookalikes(a, &ds, &f, min_score)?,
    };
    emit(a.out.as_ref(), a.model.force, &bytes)
}

/// `--segment N`: the customers outside segment N most like it, in the segmentation's space.
fn audience_expansion(
    a: &LookalikeArgs,
    ds: &Dataset,
    f: &CustomerFeatures,
    seg: usize,
    min_score: f64,
) -> Result<Vec<u8>> {
    let ids = &f.ids;
    let s = segment::fit(f, &params(&a.model, a.k))?;
    write_dump(&a.model, ids, &s.transform.features, &s.similarity)?;
    if seg == 0 || seg > s.groups() {
        bail_input!(
            "--segment {seg}: segments at --k {} are numbered 1 to {}",
            a.k,
            s.groups()
        );
    }
    let top = a.top.unwrap_or(20).min(ids.len());
    let space = lookalike::Space::new(&s.similarity, a.metric);
    let m = lookalike::expand(&space, &s.similarity, &s.labels, seg - 1, top, min_score);
    let persona = &s.profiles[seg - 1].persona;
    Ok(match a.format {
        Format::Csv => {
            let mut out = b"CustomerID,score\n".to_vec();
            for m in &m {
                let _ = writeln!(out, "{},{}", report::csv_field(&ids[m.index]), m.score);
            }
            out
        }
        format => {
            let beside = Beside {
                features: f,
                names: ds.customer_names(ids)?,
                seg: Some(&s),
            };
            let rows = beside.rows(&m);
            if format == Format::Json {
                json_bytes(&serde_json::json!({
                    "segment": seg,
                    "persona": persona,
                    "k": s.k,
                    "metric": a.metric.name(),
                    "lookalikes": rows,
                }))?
            } else {
                let title = format!("Customers outside segment {seg} ({persona}) most like it");
                let mut out = Vec::new();
                write_text_table(&mut out, &matches::table("expansion", &title, &rows))?;
                out
            }
        }
    })
}

/// `--customer ID` or `--all`: each customer's nearest others in the lookalike space. Text and
/// JSON name each lookalike's segment at `--k` when that fit succeeds (the list stands without).
fn customer_lookalikes(
    a: &LookalikeArgs,
    ds: &Dataset,
    f: &CustomerFeatures,
    min_score: f64,
) -> Result<Vec<u8>> {
    let ids = &f.ids;
    let (names, x) = lookalike_matrix(f, &a.model)?;
    write_dump(&a.model, ids, &names, &x)?;
    let space = lookalike::Space::new(&x, a.metric);
    let top = lookalikes_per_customer(a, ids.len())?;
    let rows: Vec<(usize, Vec<Match>)> = match &a.customer {
        Some(c) => {
            let i = find_customer(ids, c)?;
            vec![(i, space.top_of(i, top, min_score))]
        }
        None => space
            .all_top(top, min_score)
            .into_iter()
            .enumerate()
            .collect(),
    };
    // Every customer's lookalikes: Lookalike.csv's columns, for CRM imports.
    if a.format == Format::Csv && a.customer.is_none() {
        let refs: Vec<(usize, &[Match])> = rows.iter().map(|(i, m)| (*i, m.as_slice())).collect();
        return Ok(wide_csv(ids, &refs, top));
    }
    let fit = segment::fit(f, &params(&a.model, a.k)).ok();
    let beside = Beside {
        features: f,
        names: ds.customer_names(ids)?,
        seg: fit.as_ref(),
    };
    let lists: Vec<(usize, Vec<Lookalike>)> =
        rows.iter().map(|(i, m)| (*i, beside.rows(m))).collect();
    lookalike_lists_bytes(a, ids, &lists)
}

/// `--top` (3 unless given), at most the other customers; refuses an `--all` list too long to
/// hold.
fn lookalikes_per_customer(a: &LookalikeArgs, customers: usize) -> Result<usize> {
    // No customer has more lookalikes than there are other customers.
    let top = a.top.unwrap_or(3).min(customers.saturating_sub(1).max(1));
    if a.all && top.saturating_mul(customers) > MAX_LOOKALIKE_ROWS {
        bail_input!(
            "--all --top {}: {} customers x {top} lookalikes is more than {MAX_LOOKALIKE_ROWS} rows to hold; lower --top (at most {})",
            a.top.unwrap_or(3),
            customers,
            MAX_LOOKALIKE_ROWS / customers.max(1)
        );
    }
    Ok(top)
}

/// The lookalike lists as JSON (one object, or an array with `--all`) or one text table each.
fn lookalike_lists_bytes(
    a: &LookalikeArgs,
    ids: &[String],
    lists: &[(usize, Vec<Lookalike>)],
) -> Result<Vec<u8>> {
    if a.format == Format::Json {
        let out: Vec<LookalikeOut> = lists
            .iter()
            .map(|(i, l)| LookalikeOut {
                customer: &ids[*i],
                lookalikes: l,
            })
            .collect();
        return if a.all {
            json_bytes(&out)
        } else {
            json_bytes(&out[0])
        };
    }
    let mut out = Vec::new();
    for (i, l) in lists {
        let title = format!("Lookalikes of {}", ids[*i]);
        let t = matches::table("lookalikes", &title, l);
        if a.format == Format::Csv {
            write_csv_table(&mut out, &t)?;
        } else {
            write_text_table(&mut out, &t)?;
        }
    }
    Ok(out)
}

// --- migrate -------------------------------------------------------------------------------

pub fn run_migrate(a: &MigrateArgs, load_args: &LoadArgs) -> Result<()> {
    check_dump(&a.model)?;
    if a.format == Format::Csv {
        bail_input!("--format csv: migrate prints text or json");
    }
    let ds = load(a.data.as_deref(), load_args)?;
    let split = migrate::choose_split(&ds, a.split.as_deref())?;
    let m = migrate::migrate(&ds, &params(&a.model, a.k), split)?;
    write_dump(
        &a.model,
        &m.before.ids,
        &m.before.transform.features,
        &m.before.matrix,
    )?;
    let bytes = match a.format {
        Format::Json => json_bytes(&serde_json::json!({
            "split": split.to_string(),
            "k": m.before.k,
            "algo": m.before.algo.name(),
            "features": m.before.transform.features,
            "segments_before": m.before.profiles.iter().map(segment_json).collect::<Vec<_>>(),
            "tables": [m.count_table(), m.share_table()],
        }))?,
        _ => {
            let mut out = Vec::new();
            writeln!(
                out,
                "Fitted on purchases before {split}; every customer assigned as of the last date with the same model.\n"
            )?;
            write_text_table(&mut out, &m.count_table())?;
            write_text_table(&mut out, &m.share_table())?;
            out
        }
    };
    emit(None, false, &bytes)
}

// --- export and assign ---------------------------------------------------------------------

/// The files export writes, in this order.
pub const EXPORT_FILES: [&str; 7] = [
    "customer_segments.csv",
    "segment_summary.csv",
    "Lookalike.csv",
    "features.csv",
    "model.json",
    "rfm.csv",
    "clv.csv",
];

pub fn run_export(a: &ExportArgs, load_args: &LoadArgs) -> Result<()> {
    check_dump(&a.model)?;
    let paths: Vec<PathBuf> = EXPORT_FILES.iter().map(|f| a.out.join(f)).collect();
    check_targets(
        &paths.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        a.model.force,
    )?;
    let ds = load(a.data.as_deref(), load_args)?;
    let f = customer_features(&ds)?;
    let name = ds.name.clone();
    let mut s = Service::new(&f).fit(&params(&a.model, a.k))?;
    write_dump(&a.model, &s.ids, &s.transform.features, &s.matrix)?;
    segment::score(&mut s);
    let tags = value::crm_tags(&ds, &f)?;
    drop(ds);
    let (rfm_csv, clv_csv) = value::value_csvs(&tags)?;
    let personas: Vec<String> = s.profiles.iter().map(|p| p.persona.clone()).collect();
    let space = lookalike::Space::new(&s.similarity, a.metric);
    let all = space.all_top(3, a.metric.range().0);
    let refs: Vec<(usize, &[Match])> = all
        .iter()
        .enumerate()
        .map(|(i, m)| (i, m.as_slice()))
        .collect();
    let model = Model::from_segmentation(&s, &name);
    make_dir(&a.out)?;
    let contents = [
        value::customer_segments_csv(&s.ids, &s.labels, &personas, &tags),
        table_csv(&segment::profile_table(&s))?,
        wide_csv(&s.ids, &refs, 3),
        matrix_csv(&s.ids, &s.transform.features, &s.matrix),
        json_bytes(&model)?,
        rfm_csv,
        clv_csv,
    ];
    let files: Vec<(&Path, &[u8])> = paths
        .iter()
        .map(PathBuf::as_path)
        .zip(contents.iter().map(Vec::as_slice))
        .collect();
    write_files_atomically(&files, a.model.force)?;
    report::say(&format!(
        "wrote {} to {}",
        EXPORT_FILES.join(", "),
        a.out.display()
    ));
    Ok(())
}

pub fn run_assign(a: &AssignArgs, load_args: &LoadArgs) -> Result<()> {
    if let Some(out) = &a.out {
        check_targets(&[out], a.force)?;
    }
    let model = Model::load(&a.model)?;
    let ds = load(a.data.as_deref(), load_args)?;
    let f = customer_features(&ds)?;
    let (labels, _) = model.assign(&f, &a.model)?;
    let tags = value::crm_tags(&ds, &f)?;
    emit(
        a.out.as_ref(),
        a.force,
        &value::customer_segments_csv(&f.ids, &labels, &model.group_names(), &tags),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("c0001", "c0001"), 0);
        assert_eq!(edit_distance("c0001", "c001"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn unknown_customer_suggests_close_ids() {
        let ids: Vec<String> = ["C0001", "C0002", "C0100", "X9"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(find_customer(&ids, "c0002").unwrap(), 1);
        let e = find_customer(&ids, "C0003").unwrap_err().to_string();
        assert!(
            e.contains("C0001") && e.contains("C0002") && !e.contains("X9"),
            "{e}"
        );
    }
}
