//! Drift: does a lead list look like the customers the model learnt from? Per feature, the
//! population stability index of its values against the training distribution (levels, or the
//! training deciles of a number), the share of category values never seen in training, and the
//! share of blanks against training's. A model is only as good as its history is like the leads.

use serde::Serialize;

use crate::model::schema::{Feature, MISSING_LEVEL};
use crate::model::scorer::ScoredLead;
use crate::model::Model;
use crate::stats::evaluation::psi;

/// Below this many leads the shares are too noisy to call a shift.
pub const MIN_LEADS: u64 = 100;
/// A PSI above this is a major shift (the usual rule of thumb: < 0.1 stable, 0.1–0.25 moderate).
pub const PSI_MAJOR: f64 = 0.25;
/// More than this share of category values never seen in training, or of numbers outside the
/// training range, is a shift.
pub const UNSEEN_SHARE: f64 = 0.05;
/// A share of blanks this much above training's is a shift.
pub const MISSING_RISE: f64 = 0.10;

/// Counts of where leads' values fall, per feature; merged across scoring threads.
#[derive(Debug, Clone, Default)]
pub struct Drift {
    counts: Vec<Vec<f64>>,
    missing: Vec<u64>,
    /// Numeric values outside the training range (flagged, and clamped when winsorising).
    out_of_range: Vec<u64>,
    leads: u64,
}

impl Drift {
    pub fn new(model: &Model) -> Drift {
        let counts = model
            .schema
            .features
            .iter()
            .map(|f| match f {
                // Every level, then one bin for values never seen.
                Feature::Categorical(c) => vec![0.0; c.levels.len() + 1],
                Feature::Numeric(n) => vec![0.0; n.edges.len() + 1],
            })
            .collect::<Vec<_>>();
        Drift {
            missing: vec![0; counts.len()],
            out_of_range: vec![0; counts.len()],
            counts,
            leads: 0,
        }
    }

    pub fn add(&mut self, scored: &ScoredLead, model: &Model) {
        self.leads += 1;
        for w in &scored.warnings {
            if let crate::model::warning::Warning::OutOfRange { feature, .. } = w {
                if let Some(f) = model
                    .schema
                    .features
                    .iter()
                    .position(|x| x.name() == feature)
                {
                    self.out_of_range[f] += 1;
                }
            }
        }
        for (f, bin) in scored.bins.iter().enumerate() {
            match bin {
                Some(b) => self.counts[f][*b as usize] += 1.0,
                None => self.missing[f] += 1,
            }
        }
    }

    pub fn merge(&mut self, other: &Drift) {
        if self.counts.is_empty() {
            *self = other.clone();
            return;
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.missing.iter_mut().zip(&other.missing) {
            *a += b;
        }
        for (a, b) in self.out_of_range.iter_mut().zip(&other.out_of_range) {
            *a += b;
        }
        self.leads += other.leads;
    }

    /// One row per feature.
    pub fn table(&self, model: &Model) -> Vec<FeatureDrift> {
        let n = self.leads.max(1) as f64;
        model
            .schema
            .features
            .iter()
            .zip(&self.counts)
            .zip(&self.missing)
            .zip(&self.out_of_range)
            .map(|(((feature, counts), &missing), &outside)| {
                let (reference, training_missing, unseen) = match feature {
                    Feature::Categorical(c) => {
                        // Blanks are compared on their own, so leave the "(missing)" level out.
                        let mut r: Vec<f64> = c
                            .levels
                            .iter()
                            .map(|l| {
                                if l.value == MISSING_LEVEL {
                                    0.0
                                } else {
                                    l.customers as f64
                                }
                            })
                            .collect();
                        r.push(0.0);
                        let present = counts.iter().sum::<f64>();
                        let unseen = (present > 0.0).then(|| counts[counts.len() - 1] / present);
                        (r, c.missing_share, unseen)
                    }
                    Feature::Numeric(x) => (x.shares.clone(), x.missing_share, None),
                };
                let mut lead_counts = counts.clone();
                if let Feature::Categorical(c) = feature {
                    if let Some(i) = c.levels.iter().position(|l| l.value == MISSING_LEVEL) {
                        lead_counts[i] = 0.0;
                    }
                }
                let psi = psi(&reference, &lead_counts);
                let missing_share = missing as f64 / n;
                let out_of_range =
                    matches!(feature, Feature::Numeric(_)).then(|| outside as f64 / n);
                let moved = self.leads >= MIN_LEADS
                    && (psi.is_some_and(|p| p > PSI_MAJOR)
                        || unseen.is_some_and(|u| u > UNSEEN_SHARE)
                        || out_of_range.is_some_and(|o| o > UNSEEN_SHARE)
                        || missing_share > training_missing + MISSING_RISE);
                FeatureDrift {
                    feature: feature.name().to_string(),
                    psi,
                    unseen_share: unseen,
                    out_of_range_share: out_of_range,
                    missing_share,
                    training_missing_share: training_missing,
                    moved,
                }
            })
            .collect()
    }
}

/// How one feature of a lead list compares with training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureDrift {
    pub feature: String,
    pub psi: Option<f64>,
    /// Categories only: the share of values never seen in training.
    pub unseen_share: Option<f64>,
    /// Numbers only: the share of values outside the training range.
    pub out_of_range_share: Option<f64>,
    pub missing_share: f64,
    pub training_missing_share: f64,
    /// Shifted enough to warn about.
    pub moved: bool,
}

impl FeatureDrift {
    /// `industry (PSI 0.41; 8.0% values never seen in training)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = self.psi {
            parts.push(format!("PSI {p:.2}"));
        }
        if let Some(u) = self.unseen_share.filter(|u| *u > 0.0) {
            parts.push(format!("{:.1}% values never seen in training", 100.0 * u));
        }
        if let Some(o) = self.out_of_range_share.filter(|o| *o > UNSEEN_SHARE) {
            parts.push(format!("{:.1}% outside the training range", 100.0 * o));
        }
        if self.missing_share > self.training_missing_share + MISSING_RISE {
            parts.push(format!(
                "{:.1}% blank against {:.1}% in training",
                100.0 * self.missing_share,
                100.0 * self.training_missing_share
            ));
        }
        format!("{} ({})", self.feature, parts.join("; "))
    }
}

/// The warning `score` prints when features moved, or `None`.
pub fn warning(table: &[FeatureDrift], leads_file: &str) -> Option<String> {
    let moved: Vec<String> = table
        .iter()
        .filter(|d| d.moved)
        .map(FeatureDrift::describe)
        .collect();
    (!moved.is_empty()).then(|| {
        format!(
            "warning: these leads differ from the customers the model learnt from in {}: their scores rest on less evidence; see `leadscore evaluate --drift {leads_file}`.",
            moved.join(", ")
        )
    })
}
