//! Why a segment is what it is: the features that set it apart from every clustered customer,
//! and warnings for segmentations a handful of customers decide.

use ndarray::{Array1, Array2, Axis};
use serde::Serialize;

use super::features::Transform;

/// One feature of a segment against every clustered customer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Distinctive {
    pub feature: String,
    /// The segment's median (raw units).
    pub median: f64,
    /// Every clustered customer's median.
    pub overall_median: f64,
    /// `median / overall_median`; `None` where the overall median is 0.
    pub ratio: Option<f64>,
    /// The gap in robust units: both medians through log1p (where the feature gets it) and
    /// the robust scale of the clustered customers, subtracted.
    pub z: f64,
}

/// Segment medians of `names` against the overall ones, most distinctive first (largest |z|,
/// ties by name). `scale` is a robust transform of those features fitted on the clustered
/// customers.
pub fn distinctive(
    names: &[String],
    medians: &[f64],
    overall: &[f64],
    scale: &Transform,
) -> Vec<Distinctive> {
    let seg = scaled_row(scale, medians);
    let all = scaled_row(scale, overall);
    let mut out: Vec<Distinctive> = names
        .iter()
        .enumerate()
        .map(|(j, n)| Distinctive {
            feature: n.clone(),
            median: medians[j],
            overall_median: overall[j],
            ratio: (overall[j] != 0.0).then(|| medians[j] / overall[j]),
            z: seg[j] - all[j],
        })
        .collect();
    out.sort_by(|a, b| {
        b.z.abs()
            .total_cmp(&a.z.abs())
            .then(a.feature.cmp(&b.feature))
    });
    out
}

/// One row of raw values through `t` (log1p and scaling, no limits).
pub fn scaled_row(t: &Transform, raw: &[f64]) -> Vec<f64> {
    let row = Array2::from_shape_vec((1, raw.len()), raw.to_vec()).unwrap_or_default();
    t.apply(&row).row(0).to_vec()
}

/// Below this share of the clustered customers a segment is flagged as too small to act on.
pub const SMALL_SHARE: f64 = 0.01;
/// Above this share a segment is flagged as swallowing nearly everyone.
pub const DOMINANT_SHARE: f64 = 0.80;

/// A segmentation that a few customers decide, with what decides it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    /// The segment flagged (1-based, as shown).
    pub segment: usize,
    pub share: f64,
    /// "small" (< 1%) or "dominant" (> 80%).
    pub kind: &'static str,
    /// The features that set the segment (small) or the other segments (dominant) apart.
    pub features: Vec<String>,
    /// A few customers furthest out on those features.
    pub customers: Vec<String>,
    pub message: String,
}

/// The clustered customers as [`warnings`] reads them.
pub struct Clustered<'a> {
    /// Scaled, limited rows of the clustered customers.
    pub x: &'a Array2<f64>,
    /// 0-based segment of each row.
    pub labels: &'a [usize],
    /// Customer id of each row.
    pub ids: &'a [&'a str],
    pub features: &'a [String],
}

/// Warnings for segments holding under [`SMALL_SHARE`] or over [`DOMINANT_SHARE`] of the
/// clustered customers. `personas[s]` names segment `s`.
pub fn warnings(c: &Clustered, personas: &[String]) -> Vec<Warning> {
    let n = c.labels.len();
    let k = personas.len();
    if n == 0 || k < 2 {
        return Vec::new();
    }
    let mut sizes = vec![0usize; k];
    for &l in c.labels {
        sizes[l] += 1;
    }
    let mut out = Vec::new();
    for s in 0..k {
        let share = sizes[s] as f64 / n as f64;
        let kind = if share < SMALL_SHARE {
            "small"
        } else if share > DOMINANT_SHARE {
            "dominant"
        } else {
            continue;
        };
        let inside: Vec<usize> = (0..n).filter(|&i| c.labels[i] == s).collect();
        let outside: Vec<usize> = (0..n).filter(|&i| c.labels[i] != s).collect();
        let features = apart_features(c, &inside, &outside);
        let (drivers, who) = if kind == "small" {
            (&inside, "set apart by")
        } else {
            (&outside, "the other segments are set apart by")
        };
        let customers = furthest_out(c, drivers, &features);
        let pct = share * 100.0;
        let advice = if kind == "small" {
            "a segment this small is a few unusual customers, not a market: try a smaller --k, or leave the feature out with --features"
        } else {
            "try --scaler robust, a larger --k or other --features"
        };
        let message = format!(
            "segment {} ({}) holds {pct:.1}% of the clustered customers ({}): {who} {}, furthest out customers {}; {advice}",
            s + 1,
            personas[s],
            sizes[s],
            features.join(", "),
            customers.join(", "),
        );
        out.push(Warning {
            segment: s + 1,
            share,
            kind,
            features,
            customers,
            message,
        });
    }
    out
}

/// The features on which the means of `a` and `b` differ most (the largest, and any within
/// half of it; at most two).
fn apart_features(c: &Clustered, a: &[usize], b: &[usize]) -> Vec<String> {
    let mean = |rows: &[usize]| -> Array1<f64> {
        c.x.select(Axis(0), rows)
            .mean_axis(Axis(0))
            .unwrap_or_else(|| Array1::zeros(c.x.ncols()))
    };
    let gap = (mean(a) - mean(b)).mapv(f64::abs);
    let mut order: Vec<usize> = (0..gap.len()).collect();
    order.sort_by(|&i, &j| gap[j].total_cmp(&gap[i]).then(i.cmp(&j)));
    let top = order.first().map_or(0.0, |&j| gap[j]);
    order
        .into_iter()
        .take(2)
        .filter(|&j| gap[j] >= 0.5 * top)
        .map(|j| c.features[j].clone())
        .collect()
}

/// Up to three of `rows` with the largest summed |scaled value| on `features`.
fn furthest_out(c: &Clustered, rows: &[usize], features: &[String]) -> Vec<String> {
    let cols: Vec<usize> = features
        .iter()
        .filter_map(|f| c.features.iter().position(|n| n == f))
        .collect();
    let far = |i: usize| cols.iter().map(|&j| c.x[[i, j]].abs()).sum::<f64>();
    let mut r: Vec<usize> = rows.to_vec();
    r.sort_by(|&a, &b| far(b).total_cmp(&far(a)).then(a.cmp(&b)));
    r.into_iter()
        .take(3)
        .map(|i| c.ids[i].to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::features::{ScalerKind, names};
    use ndarray::array;

    #[test]
    fn distinctive_ranks_by_robust_gap_and_gives_ratios() {
        let names = vec![
            names::RECENCY_DAYS.to_string(),
            names::TENURE_DAYS.to_string(),
        ];
        // recency IQR 100, tenure IQR 10.
        let raw = array![
            [0.0, 0.0],
            [100.0, 10.0],
            [200.0, 20.0],
            [300.0, 30.0],
            [400.0, 40.0]
        ];
        let t = Transform::fit(&names, &raw, ScalerKind::Robust);
        let d = distinctive(&names, &[250.0, 40.0], &[200.0, 0.0], &t);
        assert_eq!(d[0].feature, names::TENURE_DAYS);
        assert_eq!(d[0].z, 2.0);
        assert_eq!(d[0].ratio, None, "overall median 0");
        assert_eq!(d[1].z, 0.25);
        assert_eq!(d[1].ratio, Some(1.25));
    }

    #[test]
    fn a_tiny_and_a_dominant_segment_are_named_with_their_drivers() {
        // 200 customers near 0 on both features, 1 far out on the second.
        let mut rows: Vec<[f64; 2]> = (0..200).map(|i| [(i % 7) as f64 * 0.1, 0.0]).collect();
        rows.push([0.0, 9.0]);
        let x = Array2::from_shape_vec((201, 2), rows.concat()).unwrap();
        let mut labels = vec![0usize; 201];
        labels[200] = 1;
        let ids: Vec<String> = (0..201).map(|i| format!("c{i}")).collect();
        let idr: Vec<&str> = ids.iter().map(String::as_str).collect();
        let features = vec![names::MONETARY.to_string(), names::RETURN_RATE.to_string()];
        let w = warnings(
            &Clustered {
                x: &x,
                labels: &labels,
                ids: &idr,
                features: &features,
            },
            &["Regular".into(), "Heavy returners".into()],
        );
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].segment, w[0].kind), (1, "dominant"));
        assert_eq!((w[1].segment, w[1].kind), (2, "small"));
        for w in &w {
            assert_eq!(w.features, vec![names::RETURN_RATE]);
            assert_eq!(w.customers[0], "c200");
        }
        assert!(w[1].message.contains("0.5%"), "{}", w[1].message);
    }
}
