//! What the Segments pane's pictures show: the clustered customers projected on the first two
//! principal components of the clustered matrix (linfa-reduction's PCA), with the segment
//! centres, and each segment's silhouette values sorted. Both on one seeded sample of at most
//! [`MAX_POINTS`] customers: more points than a terminal has cells add nothing to the picture.

use anyhow::{Result, anyhow};
use linfa::prelude::*;
use linfa_reduction::Pca;
use ndarray::{Array2, Axis};

use super::metrics::{sample_rows, silhouettes_by_cluster};
use super::segment::Segmentation;

/// Customers drawn at most (a seeded sample beyond).
pub const MAX_POINTS: usize = 4_000;

/// The customers in two dimensions.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// (first component, second component) of each sampled customer.
    pub points: Vec<(f64, f64)>,
    /// 0-based segment of each point.
    pub labels: Vec<usize>,
    /// Each segment's centre, projected the same way.
    pub centres: Vec<(f64, f64)>,
    /// Share of the variance each component explains.
    pub explained: (f64, f64),
}

/// One segment's silhouette values, largest first, and their mean.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentSilhouette {
    pub segment: usize,
    pub values: Vec<f64>,
    pub mean: f64,
}

/// Both pictures of one segmentation.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentViews {
    /// None when the matrix has fewer than two features (there is no plane to draw).
    pub projection: Option<Projection>,
    pub silhouettes: Vec<SegmentSilhouette>,
    /// Clustered customers, and how many of them the pictures use.
    pub customers: usize,
    pub sampled: usize,
}

/// The pictures of `s`, on its clustered customers (net returners are not clustered).
pub fn views(s: &Segmentation) -> Result<SegmentViews> {
    let _t = crate::timing::phase("segment views");
    let (x, labels) = s.clustered();
    let rows = sample_rows(x.nrows(), MAX_POINTS, s.seed);
    let sub = x.select(Axis(0), &rows);
    let sub_labels: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
    let projection = if sub.ncols() >= 2 && sub.nrows() >= 2 {
        Some(project(&sub, &sub_labels, &s.centroids)?)
    } else {
        None
    };
    Ok(SegmentViews {
        projection,
        silhouettes: silhouettes(&sub, &sub_labels, s.k),
        customers: x.nrows(),
        sampled: rows.len(),
    })
}

/// The PCA of the sample, and the sample and the centres in its plane.
fn project(x: &Array2<f64>, labels: &[usize], centres: &Array2<f64>) -> Result<Projection> {
    let pca = Pca::params(2)
        .fit(&DatasetBase::from(x.to_owned()))
        .map_err(|e| anyhow!("cannot project the segments: {e}"))?;
    let ratio = variance_shares(x, pca.singular_values());
    let pairs = |m: &Array2<f64>| -> Vec<(f64, f64)> {
        let p: Array2<f64> = pca.predict(m);
        p.outer_iter().map(|r| (r[0], r[1])).collect()
    };
    Ok(Projection {
        points: pairs(x),
        labels: labels.to_vec(),
        centres: if centres.ncols() == x.ncols() {
            pairs(centres)
        } else {
            Vec::new()
        },
        explained: (
            ratio.first().copied().unwrap_or(f64::NAN),
            ratio.get(1).copied().unwrap_or(f64::NAN),
        ),
    })
}

/// Each component's share of the total variance, as scikit-learn's `explained_variance_ratio_`
/// means it: σ² over the summed squared deviations of every feature. (linfa's own ratio divides
/// by the kept components' variance only, so two components would always make 100%.)
fn variance_shares(x: &Array2<f64>, sigma: &ndarray::Array1<f64>) -> Vec<f64> {
    let total: f64 = x
        .axis_iter(Axis(1))
        .map(|c| {
            let mean = c.mean().unwrap_or(0.0);
            c.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>()
        })
        .sum();
    sigma
        .iter()
        .map(|s| if total > 0.0 { s * s / total } else { f64::NAN })
        .collect()
}

/// Each of the `k` segments' silhouette values in the sample, sorted largest first.
fn silhouettes(x: &Array2<f64>, labels: &[usize], k: usize) -> Vec<SegmentSilhouette> {
    let mut by_cluster = silhouettes_by_cluster(x, labels);
    by_cluster.resize(k, Vec::new());
    by_cluster
        .into_iter()
        .enumerate()
        .map(|(segment, mut v)| {
            v.sort_by(|a, b| b.total_cmp(a));
            let mean = if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            };
            SegmentSilhouette {
                segment,
                values: v,
                mean,
            }
        })
        .collect()
}
