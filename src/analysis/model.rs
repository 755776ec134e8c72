//! A saved segmentation (model.json): everything `assign` needs to label other customers the
//! same way (features, transforms and scaler parameters, centres, K, seed, algorithm).

use std::path::Path;

use anyhow::Result;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::features::{CustomerFeatures, Transform, names};
use super::segment::{Algo, GmmParts, Segmentation, assign};
use crate::bail_input;

pub const MODEL_FORMAT: &str = "segscope-model/1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    pub algo: Algo,
    pub k: usize,
    pub seed: u64,
    pub transform: Transform,
    /// Segment centres in the scaled space; row i is segment i + 1.
    pub centroids: Vec<Vec<f64>>,
    /// The mixture's parameters when `algo` is gmm.
    pub gmm: Option<GmmParts>,
    pub personas: Vec<String>,
    /// Customers whose net spend is at most zero go to a group of their own (segment K + 1,
    /// "Net returners") instead of a segment, as they did when the model was fitted.
    #[serde(default)]
    pub net_returners: bool,
    /// Where the model was fitted, for the record.
    pub dataset: String,
}

/// The largest model.json read: centres and mixture parameters for any K and feature set
/// segscope fits are far smaller.
pub const MODEL_MAX_BYTES: u64 = 64 << 20;

impl Model {
    pub fn from_segmentation(s: &Segmentation, dataset: &str) -> Model {
        Model {
            format: MODEL_FORMAT.to_string(),
            algo: s.algo,
            k: s.k,
            seed: s.seed,
            transform: s.transform.clone(),
            centroids: s.centroids.outer_iter().map(|r| r.to_vec()).collect(),
            gmm: s.gmm.clone(),
            personas: s
                .profiles
                .iter()
                .filter(|p| !p.fixed)
                .map(|p| p.persona.clone())
                .collect(),
            net_returners: s.net_rule,
            dataset: dataset.to_string(),
        }
    }

    /// Reads and checks a model file (at most [`MODEL_MAX_BYTES`]); every problem names the file.
    pub fn load(path: &Path) -> Result<Model> {
        let name = path.display();
        let text =
            crate::error::read_small_file(path, &format!("--model {name}"), MODEL_MAX_BYTES)?;
        let model: Model = match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(e) => bail_input!(
                "--model {name}: not a segscope model.json ({e}); make one with segscope export"
            ),
        };
        let d = model.transform.features.len();
        let t = &model.transform;
        let shapes_ok = model.format == MODEL_FORMAT
            && model.k >= 2
            && model.centroids.len() == model.k
            && model.centroids.iter().all(|c| c.len() == d)
            && t.log1p.len() == d
            && t.center.len() == d
            && t.scale.len() == d
            && (t.scale_from.is_empty() || t.scale_from.len() == d)
            && (t.limits.is_empty() || t.limits.len() == d)
            && model.personas.len() == model.k
            && model.gmm.as_ref().is_none_or(|g| {
                g.weights.len() == model.k
                    && g.means.len() == model.k
                    && g.precisions.len() == model.k
                    && g.precisions
                        .iter()
                        .all(|p| p.len() == d && p.iter().all(|r| r.len() == d))
            })
            && (model.algo != Algo::Gmm || model.gmm.is_some());
        if !shapes_ok {
            bail_input!(
                "--model {name}: inconsistent model (format {:?}, K, centre or scaler sizes disagree); re-export it",
                model.format
            );
        }
        Ok(model)
    }

    /// The name of every group a label can point at: the segments, then the net returners.
    pub fn group_names(&self) -> Vec<String> {
        let mut names = self.personas.clone();
        if self.net_returners {
            names.push(super::segment::NET_RETURNERS.to_string());
        }
        names
    }

    /// Labels (0-based) for the customers in `f`, with the scaled matrix used; a net
    /// returner gets label K where the model sets them apart.
    pub fn assign(
        &self,
        f: &CustomerFeatures,
        model_path: &Path,
    ) -> Result<(Vec<usize>, Array2<f64>)> {
        self.check_features_present(f, model_path)?;
        let x = self.scaled(f)?;
        let labels = self.nearest_labels(f, &x)?;
        Ok((labels, x))
    }

    /// Refuses data that lacks a feature the model was built on, naming the extra columns
    /// behind them where there are any.
    fn check_features_present(&self, f: &CustomerFeatures, model_path: &Path) -> Result<()> {
        // A share of a category or region nobody in this data bought in or lives in is 0
        // for everyone (a month without one category): only other features are missing.
        // So is a value of an extra text column this data has, but where nobody paid that way.
        let zero_share = |n: &str| {
            n.starts_with(names::SHARE_PREFIX)
                || n.starts_with(names::REGION_PREFIX)
                || n.split_once('=').is_some_and(|(stem, _)| {
                    f.extra.iter().any(|e| e.starts_with(&format!("{stem}=")))
                })
        };
        let missing: Vec<&str> = self
            .transform
            .features
            .iter()
            .filter(|n| f.column(n).is_none() && !zero_share(n))
            .map(String::as_str)
            .collect();
        let columns = extra_columns_of(&missing);
        if !columns.is_empty() {
            bail_input!(
                "--model {}: built on the extra column(s) {} (features {}), which this dataset lacks; load data with those columns (inspect lists a file's extra columns) or export a model without them",
                model_path.display(),
                columns.join(", "),
                missing.join(", ")
            );
        }
        if !missing.is_empty() {
            bail_input!(
                "--model {}: built on feature(s) {} which this dataset lacks (it has {}); export a model from comparable data",
                model_path.display(),
                missing.join(", "),
                f.names.join(", ")
            );
        }
        Ok(())
    }

    /// `f`'s customers on the model's features, scaled as the model was (a share missing
    /// here is 0).
    fn scaled(&self, f: &CustomerFeatures) -> Result<Array2<f64>> {
        let raw = Array2::from_shape_fn((f.len(), self.transform.features.len()), |(i, j)| {
            f.column(&self.transform.features[j])
                .map_or(0.0, |c| f.raw[[i, c]])
        });
        let x = self.transform.apply_limited(&raw);
        super::features::check_magnitudes(
            &f.ids,
            &self.transform.features,
            &x,
            " after the model's scaling",
        )?;
        Ok(x)
    }

    /// Each row of `x`'s segment under the model's centres (or mixture), with the net
    /// returners set apart as label K where the model does that.
    fn nearest_labels(&self, f: &CustomerFeatures, x: &Array2<f64>) -> Result<Vec<usize>> {
        let centroids = Array2::from_shape_vec(
            (self.k, self.transform.features.len()),
            self.centroids.iter().flatten().copied().collect(),
        )?;
        let gmm = if self.algo == Algo::Gmm {
            self.gmm.as_ref()
        } else {
            None
        };
        let mut labels = assign(x, &centroids, gmm);
        if self.net_returners {
            for (l, r) in labels.iter_mut().zip(f.net_returners()) {
                if r {
                    *l = self.k;
                }
            }
        }
        Ok(labels)
    }
}

/// The extra columns (feature-name stems) behind features of `names`: `installments` for
/// `installments_per_order`, `payment_type` for `payment_type=boleto`.
fn extra_columns_of(names: &[&str]) -> Vec<String> {
    use crate::data::extras::{PER_ORDER_SUFFIX, TOTAL_SUFFIX, is_extra_amount};
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let stem = match n.split_once('=') {
            Some((stem, _)) => Some(stem),
            None if is_extra_amount(n) => n
                .strip_suffix(TOTAL_SUFFIX)
                .or_else(|| n.strip_suffix(PER_ORDER_SUFFIX)),
            None => None,
        };
        if let Some(stem) = stem
            && !out.iter().any(|o| o == stem)
        {
            out.push(stem.to_string());
        }
    }
    out
}
