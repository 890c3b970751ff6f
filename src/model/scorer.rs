//! Scoring leads with a model.
//!
//! A model is two linear equations on the schema's columns, one for lifetime return and one for
//! service burden. Every prediction is explained relative to the average past customer: the
//! baseline is the mean prediction over the history, and each feature contributes
//! `Σ coefficient × (value − mean)` over its columns, so baseline + contributions = prediction,
//! exactly, for each target and for their difference, the net value.

use rustc_hash::FxHashMap as HashMap;

use crate::economics::Recommendation;
use crate::error::Result;
use crate::io::features::FeatureColumns;
use crate::io::table::Source;
use crate::model::file::Model;
use crate::model::schema::{Feature, MISSING_LEVEL, OTHER_LEVEL};
use crate::model::warning::{plain, Warning};

/// One feature's part of a lead's score, in money.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Contribution {
    pub lifetime_return: f64,
    pub service_burden: f64,
}

impl Contribution {
    pub fn net(&self) -> f64 {
        self.lifetime_return - self.service_burden
    }
}

/// A scored lead. `contributions[f]` belongs to feature `f`. Burden cannot be negative, nor can
/// return when every return term is a non-negative amount; when the linear model predicts below
/// zero the value is shown as zero and `floor` carries what was added, so baseline +
/// contributions + floor still equals what is shown.
#[derive(Debug, Clone, Default)]
pub struct Scored {
    pub lifetime_return: f64,
    pub service_burden: f64,
    pub contributions: Vec<Contribution>,
    pub floor: Contribution,
    /// How each feature's value reads in a reason: `12`, `retail`, and where the model used
    /// something else, what: `aerospace (as (other))`, `80,666 (as 704.15)`, `(missing) (as 35)`.
    pub shown: Vec<String>,
    pub warnings: Vec<Warning>,
    /// Where each feature's value falls in the training distribution (a level, an unseen
    /// value, a numeric bin), for drift; `None` when blank.
    pub bins: Vec<Option<u32>>,
}

impl Scored {
    pub fn net(&self) -> f64 {
        self.lifetime_return - self.service_burden
    }

    /// The size of the account the interval's width follows: what flows in and out.
    pub fn size(&self) -> f64 {
        self.lifetime_return.abs() + self.service_burden
    }
}

/// Per-feature parts of the equations, precomputed so a lead costs one lookup per feature.
enum FeatureScorer {
    Categorical {
        /// Each level's contribution and its index (its drift bin).
        levels: HashMap<String, (Contribution, u32)>,
        pooled: Vec<String>,
        /// What an unseen value scores as: `(other)` if training pooled rare values, else the
        /// reference level.
        fallback: (String, Contribution),
        /// What a blank scores as: its own level, or `(other)` if it was pooled in training.
        missing: Option<(String, Contribution)>,
    },
    Numeric {
        /// Coefficients per unit of the transformed value, and the transformed mean.
        slope: Contribution,
        mean: f64,
    },
}

/// Turns target `t`'s contributions from log units into money. On ln(1 + y) the features' effects
/// multiply, so there is no unique additive split; the logarithmic-mean Divisia index gives one
/// that is exact and symmetric: each feature gets the money change in proportion to its share of
/// the change in logs, `(P − B) · c / Σc` (`(B + 1) · c` in the limit Σc → 0).
fn to_money(contributions: &mut [Contribution], t: usize, at_mean: f64, correction: f64) {
    let get = |c: &Contribution| {
        if t == 0 {
            c.lifetime_return
        } else {
            c.service_burden
        }
    };
    let total: f64 = contributions.iter().map(get).sum();
    let base = crate::fit::training::from_log(at_mean, correction);
    let prediction = crate::fit::training::from_log(at_mean + total, correction);
    let per_log_unit = if total.abs() > 1e-12 {
        (prediction - base) / total
    } else {
        base + 1.0
    };
    for c in contributions {
        let money = get(c) * per_log_unit;
        if t == 0 {
            c.lifetime_return = money;
        } else {
            c.service_burden = money;
        }
    }
}

/// Appends " (as X)": the level or value the model used instead of the lead's own.
fn push_as(shown: &mut String, used: &str) {
    shown.push_str(" (as ");
    shown.push_str(used);
    shown.push(')');
}

/// Scores leads with one model.
pub struct Scorer<'m> {
    model: &'m Model,
    features: Vec<FeatureScorer>,
    baseline: [f64; 2],
    log_scales: [Option<(f64, f64)>; 2],
    return_never_negative: bool,
}

impl<'m> Scorer<'m> {
    pub fn new(model: &'m Model) -> Scorer<'m> {
        let cols = &model.columns;
        let features = model
            .schema
            .features
            .iter()
            .map(|f| match f {
                Feature::Categorical(c) => {
                    let own: Vec<usize> = c.levels.iter().filter_map(|l| l.column).collect();
                    let base = Contribution {
                        lifetime_return: -own
                            .iter()
                            .map(|&j| cols[j].return_coefficient * cols[j].mean)
                            .sum::<f64>(),
                        service_burden: -own
                            .iter()
                            .map(|&j| cols[j].burden_coefficient * cols[j].mean)
                            .sum::<f64>(),
                    };
                    let level = |column: Option<usize>| match column {
                        Some(j) => Contribution {
                            lifetime_return: base.lifetime_return + cols[j].return_coefficient,
                            service_burden: base.service_burden + cols[j].burden_coefficient,
                        },
                        None => base,
                    };
                    let levels: HashMap<String, (Contribution, u32)> = c
                        .levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.value.clone(), (level(l.column), i as u32)))
                        .collect();
                    let fallback_name = if levels.contains_key(OTHER_LEVEL) {
                        OTHER_LEVEL.to_string()
                    } else {
                        c.reference.clone()
                    };
                    let fallback = (fallback_name.clone(), levels[&fallback_name].0);
                    let missing = match levels.get(MISSING_LEVEL) {
                        Some(c) => Some((MISSING_LEVEL.to_string(), c.0)),
                        None => c
                            .pooled
                            .iter()
                            .any(|p| p == MISSING_LEVEL)
                            .then(|| (OTHER_LEVEL.to_string(), levels[OTHER_LEVEL].0)),
                    };
                    FeatureScorer::Categorical {
                        levels,
                        pooled: c.pooled.clone(),
                        fallback,
                        missing,
                    }
                }
                Feature::Numeric(n) => FeatureScorer::Numeric {
                    slope: Contribution {
                        lifetime_return: cols[n.column].return_coefficient,
                        service_burden: cols[n.column].burden_coefficient,
                    },
                    mean: cols[n.column].mean,
                },
            })
            .collect();
        Scorer {
            model,
            features,
            baseline: model.baselines(),
            log_scales: model.log_scales(),
            return_never_negative: model.economics.return_never_negative(),
        }
    }

    pub fn model(&self) -> &Model {
        self.model
    }

    pub fn baseline(&self) -> [f64; 2] {
        self.baseline
    }

    /// What to do with a lead whose printed net value is `net`. A lead the model knows too
    /// little about (more than half of its features missing or never seen) is not sent to
    /// `contact` on guesses: it becomes `qualify`, with a warning saying why.
    pub fn recommend(&self, scored: &mut Scored, net: f64) -> Recommendation {
        let rec = self.model.decisions.recommend(net);
        let features = self.model.schema.features.len();
        let guessed = scored.warnings.iter().filter(|w| w.is_guess()).count();
        if rec == Recommendation::Contact && guessed * 2 > features {
            scored
                .warnings
                .push(Warning::TooLittleKnown { guessed, features });
            return Recommendation::Qualify;
        }
        rec
    }

    /// The model's interval for a scored lead's net value, if it has one.
    pub fn interval(&self, scored: &Scored) -> Option<(f64, f64)> {
        self.model
            .interval
            .map(|i| i.around(scored.net(), scored.size()))
    }

    /// Scores one lead row into `out`, reusing its buffers.
    pub fn score(
        &self,
        input: &Source,
        cols: &FeatureColumns,
        record: &csv::ByteRecord,
        out: &mut Scored,
    ) -> Result<()> {
        let n = self.features.len();
        out.contributions.resize(n, Contribution::default());
        out.shown.resize(n, String::new());
        out.bins.resize(n, None);
        out.warnings.clear();
        for (f, (scorer, feature)) in self
            .features
            .iter()
            .zip(&self.model.schema.features)
            .enumerate()
        {
            let shown = &mut out.shown[f];
            shown.clear();
            out.contributions[f] = match (scorer, feature) {
                (
                    FeatureScorer::Categorical {
                        levels,
                        pooled,
                        fallback,
                        missing,
                    },
                    _,
                ) => match cols.category(record, f) {
                    None => {
                        out.bins[f] = None;
                        shown.push_str(MISSING_LEVEL);
                        match missing {
                            Some((as_level, c)) => {
                                if as_level != MISSING_LEVEL {
                                    push_as(shown, as_level);
                                }
                                *c
                            }
                            None => {
                                push_as(shown, &fallback.0);
                                out.warnings.push(Warning::MissingCategory {
                                    feature: feature.name().to_string(),
                                    scored_as: fallback.0.clone(),
                                });
                                fallback.1
                            }
                        }
                    }
                    Some(value) => {
                        shown.push_str(&value);
                        match levels.get(value.as_ref()) {
                            Some((c, bin)) => {
                                out.bins[f] = Some(*bin);
                                *c
                            }
                            None if pooled.iter().any(|p| p == value.as_ref()) => {
                                push_as(shown, OTHER_LEVEL);
                                let (c, bin) = levels[OTHER_LEVEL];
                                out.bins[f] = Some(bin);
                                c
                            }
                            None => {
                                // Unseen values have a drift bin of their own, after the levels.
                                out.bins[f] = Some(levels.len() as u32);
                                push_as(shown, &fallback.0);
                                out.warnings.push(Warning::Unseen {
                                    feature: feature.name().to_string(),
                                    value: value.into_owned(),
                                    scored_as: fallback.0.clone(),
                                });
                                fallback.1
                            }
                        }
                    }
                },
                (FeatureScorer::Numeric { slope, mean, .. }, Feature::Numeric(spec)) => {
                    let raw = match cols.number(input, record, f)? {
                        Some(v) => {
                            out.bins[f] = Some(spec.edges.partition_point(|e| *e < v) as u32);
                            crate::economics::push_plain(shown, v);
                            let (lo, hi) = spec.range();
                            if v < lo || v > hi {
                                let used = match spec.clamp {
                                    Some((lo, hi)) => v.clamp(lo, hi),
                                    None => v,
                                };
                                if used != v {
                                    shown.push_str(" (as ");
                                    crate::economics::push_plain(shown, used);
                                    shown.push(')');
                                }
                                out.warnings.push(Warning::OutOfRange {
                                    feature: spec.name.clone(),
                                    value: v,
                                    above: v > hi,
                                    used,
                                });
                            }
                            v
                        }
                        None => {
                            out.bins[f] = None;
                            shown.push_str(MISSING_LEVEL);
                            push_as(shown, &plain(spec.median));
                            out.warnings.push(Warning::Imputed {
                                feature: spec.name.clone(),
                                median: spec.median,
                            });
                            spec.median
                        }
                    };
                    let d = spec.transform(raw) - mean;
                    Contribution {
                        lifetime_return: slope.lifetime_return * d,
                        service_burden: slope.service_burden * d,
                    }
                }
                (FeatureScorer::Numeric { .. }, Feature::Categorical(_)) => {
                    unreachable!("scorer built from this schema")
                }
            };
        }
        for (t, scale) in self.log_scales.iter().enumerate() {
            if let Some((at_mean, correction)) = scale {
                to_money(&mut out.contributions, t, *at_mean, *correction);
            }
        }
        let mut ret = self.baseline[0];
        let mut burden = self.baseline[1];
        for c in &out.contributions {
            ret += c.lifetime_return;
            burden += c.service_burden;
        }
        // The floors are their own, visible part of the explanation.
        let lift = |v: f64, applies: bool| if applies && v < 0.0 { -v } else { 0.0 };
        out.floor = Contribution {
            lifetime_return: lift(ret, self.return_never_negative),
            service_burden: lift(burden, true),
        };
        out.lifetime_return = ret + out.floor.lifetime_return;
        out.service_burden = burden + out.floor.service_burden;
        Ok(())
    }

    /// The 3 biggest drivers of the net value, biggest first: `lead_source=referral +4,210`.
    pub fn reasons(&self, scored: &Scored, buf: &mut String) {
        buf.clear();
        let mut idx: [(f64, usize); 3] = [(0.0, usize::MAX); 3];
        let n = scored.contributions.len();
        // Items past the features are the floors: raising return to zero adds to the net value,
        // raising burden to zero takes from it.
        let floors = [scored.floor.lifetime_return, -scored.floor.service_burden];
        for f in 0..n + 2 {
            let v = if f < n {
                scored.contributions[f].net()
            } else {
                floors[f - n]
            };
            let mag = v.abs();
            if mag == 0.0 {
                continue;
            }
            if let Some(pos) = idx.iter().position(|(m, i)| *i == usize::MAX || mag > *m) {
                idx[pos..].rotate_right(1);
                idx[pos] = (mag, f);
            }
        }
        for &(_, f) in idx.iter().filter(|(_, f)| *f != usize::MAX) {
            if !buf.is_empty() {
                buf.push_str("; ");
            }
            if f >= n {
                buf.push_str(["return floored at 0 ", "burden floored at 0 "][f - n]);
                crate::economics::push_signed_whole(buf, floors[f - n]);
            } else {
                buf.push_str(self.model.schema.features[f].name());
                buf.push('=');
                buf.push_str(&scored.shown[f]);
                buf.push(' ');
                buf.push_str(&crate::economics::signed_whole(
                    scored.contributions[f].net(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_contributions_in_money_add_up_to_the_prediction() {
        let mut parts = vec![
            Contribution {
                lifetime_return: 0.0,
                service_burden: 0.3,
            },
            Contribution {
                lifetime_return: 0.0,
                service_burden: -0.1,
            },
            Contribution {
                lifetime_return: 0.0,
                service_burden: 0.55,
            },
        ];
        let (at_mean, correction) = (7.0, 1.1);
        to_money(&mut parts, 1, at_mean, correction);
        let base = crate::fit::training::from_log(at_mean, correction);
        let want = crate::fit::training::from_log(at_mean + 0.75, correction);
        let got = base + parts.iter().map(|c| c.service_burden).sum::<f64>();
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        // Shares follow the log effects: the biggest log effect gets the most money.
        assert!(parts[2].service_burden > parts[0].service_burden && parts[1].service_burden < 0.0);
        // No change in logs, no money either way.
        let mut none = vec![Contribution::default(); 2];
        to_money(&mut none, 0, 3.0, 1.0);
        assert_eq!(none, vec![Contribution::default(); 2]);
    }
}
