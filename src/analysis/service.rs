//! One way to fit a segmentation, for the headless commands and the TUI's worker alike:
//! features → scale (cached per feature set and scaler) → fit and profile → score, with the
//! agreement index fitted beside the scoring.

use std::collections::HashMap;

use anyhow::Result;
use ndarray::Array2;

use super::features::{CustomerFeatures, ScalerKind, Transform};
use super::segment::{self, AgreementSample, SegmentParams, Segmentation};

/// A feature set's transform and scaled, limited matrix.
pub type Scaled = (Transform, Array2<f64>);

/// Fits segmentations of one customer set, keeping each feature set's scaled matrix so a K
/// or algorithm change only fits.
pub struct Service<'a> {
    features: &'a CustomerFeatures,
    scaled: HashMap<(String, ScalerKind), Scaled>,
}

/// A scored segmentation with its agreement with another algorithm (the index and the rows
/// compared), `None` where that algorithm cannot fit.
pub type Scored = (Segmentation, Option<(f64, usize)>);

impl<'a> Service<'a> {
    pub fn new(features: &'a CustomerFeatures) -> Service<'a> {
        Service {
            features,
            scaled: HashMap::new(),
        }
    }

    /// Starts with a matrix already scaled (the TUI scales the default set once at start).
    pub fn with_scaled(mut self, features: &str, scaler: ScalerKind, scaled: Scaled) -> Self {
        self.scaled.insert((features.to_string(), scaler), scaled);
        self
    }

    /// How many scaled matrices are kept.
    pub fn cached(&self) -> usize {
        self.scaled.len()
    }

    /// The scaled matrix of `p`'s feature set and scaler, from the cache or made now.
    pub fn scaled(&mut self, p: &SegmentParams) -> Result<Scaled> {
        let key = (p.features.clone(), p.scaler);
        if let Some(s) = self.scaled.get(&key) {
            return Ok(s.clone());
        }
        let s = self.features.scaled(&p.features, p.scaler)?;
        self.scaled.insert(key, s.clone());
        Ok(s)
    }

    /// The fit with its profiles, names and warnings, metrics not yet computed (the TUI shows
    /// this first).
    pub fn fit(&mut self, p: &SegmentParams) -> Result<Segmentation> {
        segment::check_k(p.k, self.features.len())?;
        let (t, x) = self.scaled(p)?;
        segment::fit_unscored_scaled(self.features, p, t, x)
    }

    /// Scores a fit from [`Service::fit`] and measures its agreement with another algorithm
    /// at the same K, the two side by side (the TUI's second phase).
    pub fn score(s: Segmentation) -> Scored {
        let sample = AgreementSample::draw(&s.clustered().0, s.seed);
        let (k, algo, seed) = (s.k, s.algo, s.seed);
        let (theirs, s) = crate::parallel::beside(
            || {
                let _t = crate::timing::phase("agreement");
                sample.fit_other(k, algo, seed)
            },
            || {
                let mut s = s;
                segment::score(&mut s);
                s
            },
        );
        let ari = theirs.map(|t| sample.agreement(&s.clustered().1, &t));
        (s, ari)
    }

    /// Fit, profile and score at once, with the other algorithm's fit on the agreement sample
    /// running beside from the moment the matrix is scaled: what `segment`, `export` and the
    /// TUI's one-shot jobs run.
    pub fn fit_scored(&mut self, p: &SegmentParams) -> Result<Scored> {
        segment::check_k(p.k, self.features.len())?;
        let (t, x) = self.scaled(p)?;
        let sample = AgreementSample::draw(&segment::clustered_matrix(self.features, &x), p.seed);
        let f = self.features;
        let (theirs, fitted) = crate::parallel::beside(
            || {
                let _t = crate::timing::phase("agreement");
                sample.fit_other(p.k, p.algo, p.seed)
            },
            || {
                segment::fit_unscored_scaled(f, p, t, x).map(|mut s| {
                    segment::score(&mut s);
                    s
                })
            },
        );
        let s = fitted?;
        let ari = theirs.map(|t| sample.agreement(&s.clustered().1, &t));
        Ok((s, ari))
    }
}
