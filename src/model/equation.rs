//! The scoring equation: one plain description, built once from a model file, of every rule that
//! turns a lead's fields into money. The Rust scorer evaluates it; `explain`, `evaluate` and any
//! code generator read the same description, so nothing else re-derives these rules.
//!
//! For each target `t` (lifetime return, service burden, ...) and each lead:
//!
//! ```text
//! s_t     = Σ_f effect_{f,t}(lead)                  on the target's scale (money, or a log)
//! money_t = baseline_t + Σ_f c_{f,t}                   where c = s in money (see `Scale`)
//! shown_t = max(money_t, 0) if floor_at_zero, else money_t
//! net     = Σ_t sign_t · shown_t
//! ```
//!
//! Every effect is relative to the average past customer (the column means), so an average lead
//! gets 0 from each feature and its prediction is the baseline. A category value the model cannot
//! place (never seen in training, or blank where training never was) gets that 0 too
//! ([`Fallback::Neutral`]).

use crate::economics::Decisions;
use crate::error::Result;
use crate::model::file::{Link, Model, ModelColumn, TargetFit};
use crate::model::schema::{Feature, Matching, MISSING_LEVEL, OTHER_LEVEL};
use crate::stats::Interval;

/// What a target does to the net value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Earned: adds to the net value.
    Return,
    /// Spent: taken from the net value.
    Burden,
}

impl Role {
    pub fn sign(self) -> f64 {
        match self {
            Role::Return => 1.0,
            Role::Burden => -1.0,
        }
    }
}

/// The scale a target was fitted on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    Linear,
    /// In logs: money = exp(s) × `correction` − `shift`. Fitted on ln(1 + y), `shift` is 1 and
    /// `correction` the lognormal bias correction; a log-link fit on the money itself has
    /// `correction` 1 and `shift` 0. `at_mean` is the prediction in logs for the average
    /// customer's profile. Effects in logs are turned into money by the logarithmic-mean
    /// Divisia index, which adds up exactly.
    Log {
        at_mean: f64,
        correction: f64,
        shift: f64,
    },
}

impl Scale {
    /// Money from a prediction `s` on this scale.
    pub fn money(self, s: f64) -> f64 {
        match self {
            Scale::Linear => s,
            Scale::Log {
                correction, shift, ..
            } => from_log_shifted(s, correction, shift),
        }
    }
}

/// One money target of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// `lifetime_return`, `service_burden`: the column name it gets in outputs.
    pub name: &'static str,
    /// How reports name it: `lifetime return`.
    pub label: &'static str,
    /// How a reason names it: `return floored at 0`.
    pub short: &'static str,
    pub role: Role,
    /// The prediction for the average past customer, in money.
    pub baseline: f64,
    pub scale: Scale,
    /// A prediction below zero is shown as zero (the target cannot be negative), and the lift is
    /// its own visible part of the explanation.
    pub floor_at_zero: bool,
}

/// One category level's effect on each target, on the target's scale.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelEffect {
    pub value: String,
    pub effects: Vec<f64>,
}

/// One category level's effect on net value in money (see [`Equation::level_net_effects`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LevelNet {
    pub feature: String,
    pub level: String,
    pub net: f64,
}

/// A numeric feature's effect on net value in money at two values (see
/// [`Equation::numeric_net_effects`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NumericNet {
    pub feature: String,
    pub low: f64,
    pub high: f64,
    pub net_at_low: f64,
    pub net_at_high: f64,
}

/// A level whose effect on net value differs between two models.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LevelChange {
    pub feature: String,
    pub level: String,
    pub before: f64,
    pub after: f64,
}

/// Levels in both (largest change in money first), only in `after`, only in `before`.
pub fn compare_levels(
    before: &[LevelNet],
    after: &[LevelNet],
) -> (Vec<LevelChange>, Vec<LevelNet>, Vec<LevelNet>) {
    let find = |list: &[LevelNet], l: &LevelNet| {
        list.iter()
            .find(|o| o.feature == l.feature && o.level == l.level)
            .map(|o| o.net)
    };
    let mut moved: Vec<LevelChange> = after
        .iter()
        .filter_map(|l| {
            find(before, l).map(|was| LevelChange {
                feature: l.feature.clone(),
                level: l.level.clone(),
                before: was,
                after: l.net,
            })
        })
        .filter(|m| (m.after - m.before).abs() >= 0.5)
        .collect();
    moved.sort_by(|a, b| {
        (b.after - b.before)
            .abs()
            .total_cmp(&(a.after - a.before).abs())
    });
    let added = after
        .iter()
        .filter(|l| find(before, l).is_none())
        .cloned()
        .collect();
    let dropped = before
        .iter()
        .filter(|l| find(after, l).is_none())
        .cloned()
        .collect();
    (moved, added, dropped)
}

/// What a blank category value scores as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blank {
    /// A level the model learnt for blanks: its own `(missing)`, or `(other)` when blanks were
    /// rare enough to be pooled. Not a guess.
    Level(usize),
    /// Never blank in training: scored as the fallback, with a warning.
    Guess(Fallback),
}

/// What a category value the model knows nothing about scores as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The training mix of the feature, as the average customer had it: an effect of exactly 0
    /// on every target, on the target's scale (so 0 in money too).
    Neutral,
}

impl Fallback {
    /// How explanations and exports name what the value was scored as.
    pub const NEUTRAL_TOKEN: &'static str = "(average)";
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryTerm {
    pub name: String,
    /// Every level the model knows; the reference level's column effects are 0, so its effect is
    /// minus the average of the others.
    pub levels: Vec<LevelEffect>,
    /// Values seen too rarely in training, which score as `(other)`.
    pub pooled: Vec<String>,
    /// The index of `(other)` among the levels, if training pooled rare values.
    pub other: Option<usize>,
    /// What a value never seen in training (nor pooled, nor an alias) scores as.
    pub unseen: Fallback,
    pub blank: Blank,
    /// How a lead's value is matched to the levels, the pooled values and the aliases.
    pub matching: Matching,
    /// Other spellings: (alias, the level or pooled value it stands for).
    pub aliases: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NumericTerm {
    pub name: String,
    /// Enters as ln(1 + x), after clamping.
    pub log: bool,
    /// Blanks are imputed with the training median.
    pub median: f64,
    /// Values are clamped to this range before use, when winsorising was on.
    pub clamp: Option<(f64, f64)>,
    /// Values outside this range are flagged.
    pub range: (f64, f64),
    /// The average customer's transformed value.
    pub mean: f64,
    /// Effect per unit of the transformed value, per target.
    pub slopes: Vec<f64>,
    /// Training decile edges, for drift bins.
    pub edges: Vec<f64>,
    /// A year or a code: its values are written without thousands separators.
    pub code: bool,
}

impl NumericTerm {
    /// The value the equation uses for a raw number: clamped when winsorising.
    pub fn used(&self, raw: f64) -> f64 {
        match self.clamp {
            Some((lo, hi)) => raw.clamp(lo, hi),
            None => raw,
        }
    }

    /// The model-column value of a number already clamped.
    pub fn transform(&self, used: f64) -> f64 {
        if self.log {
            used.ln_1p()
        } else {
            used
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Category(CategoryTerm),
    Numeric(NumericTerm),
}

impl Term {
    pub fn name(&self) -> &str {
        match self {
            Term::Category(c) => &c.name,
            Term::Numeric(n) => &n.name,
        }
    }
}

/// The whole scoring rule of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Equation {
    pub targets: Vec<Target>,
    /// One term per feature, in the model's feature order.
    pub terms: Vec<Term>,
    pub decisions: Decisions,
    pub interval: Option<Interval>,
}

impl Equation {
    /// Reads the equation out of a model file. The model has been validated on load, so every
    /// index it holds is in range.
    pub fn from_model(model: &Model) -> Result<Equation> {
        let fits: [(&TargetFit, Coefficient); 2] = [
            (&model.lifetime_return, |c| c.return_coefficient),
            (&model.service_burden, |c| c.burden_coefficient),
        ];
        let cols = &model.columns;
        let targets = fits
            .iter()
            .zip([
                ("lifetime_return", "lifetime return", "return", Role::Return),
                ("service_burden", "service burden", "burden", Role::Burden),
            ])
            .map(|((fit, coef), (name, label, short, role))| {
                let at_mean = fit.intercept + cols.iter().map(|c| coef(c) * c.mean).sum::<f64>();
                let scale = match (fit.link, fit.log_correction) {
                    // Validated on load: a log link never comes with a correction.
                    (Some(Link::Log), _) => Scale::Log {
                        at_mean,
                        correction: 1.0,
                        shift: 0.0,
                    },
                    (None, Some(correction)) => Scale::Log {
                        at_mean,
                        correction,
                        shift: 1.0,
                    },
                    (None, None) => Scale::Linear,
                };
                let baseline = scale.money(at_mean);
                Target {
                    name,
                    label,
                    short,
                    role,
                    baseline,
                    scale,
                    floor_at_zero: match role {
                        Role::Return => model.economics.return_never_negative(),
                        Role::Burden => true,
                    },
                }
            })
            .collect();
        let coefficients =
            |j: usize| -> Vec<f64> { fits.iter().map(|(_, c)| c(&cols[j])).collect() };
        let terms = model
            .schema
            .features
            .iter()
            .map(|f| match f {
                Feature::Categorical(c) => {
                    let levels: Vec<LevelEffect> = c
                        .levels
                        .iter()
                        .zip(level_effects(c, cols, fits.len(), coefficients))
                        .map(|(l, effects)| LevelEffect {
                            value: l.value.clone(),
                            effects,
                        })
                        .collect();
                    let find = |v: &str| levels.iter().position(|l| l.value == v);
                    let other = find(OTHER_LEVEL);
                    let unseen = Fallback::Neutral;
                    let blank = match (find(MISSING_LEVEL), other) {
                        (Some(i), _) => Blank::Level(i),
                        (None, Some(o)) if c.pooled.iter().any(|p| p == MISSING_LEVEL) => {
                            Blank::Level(o)
                        }
                        _ => Blank::Guess(unseen),
                    };
                    Term::Category(CategoryTerm {
                        name: c.name.clone(),
                        levels,
                        pooled: c.pooled.clone(),
                        other,
                        unseen,
                        blank,
                        matching: c.matching,
                        aliases: c
                            .aliases
                            .iter()
                            .map(|(a, t)| (a.clone(), t.clone()))
                            .collect(),
                    })
                }
                Feature::Numeric(n) => Term::Numeric(NumericTerm {
                    name: n.name.clone(),
                    log: n.log,
                    median: n.median,
                    clamp: n.clamp,
                    range: n.range(),
                    mean: cols[n.column].mean,
                    slopes: coefficients(n.column),
                    edges: n.edges.clone(),
                    code: n.code,
                }),
            })
            .collect();
        Ok(Equation {
            targets,
            terms,
            decisions: model.decisions,
            interval: model.interval,
        })
    }

    /// Each category level's effect on net value, in money, for an otherwise average customer
    /// (every other feature at its training mix): what `models show` and `models diff` list
    /// and a retrain compares. Floors at zero are left out: they belong to a lead, not a level.
    pub fn level_net_effects(&self) -> Vec<LevelNet> {
        let mut out = Vec::new();
        for term in &self.terms {
            let Term::Category(c) = term else { continue };
            for level in &c.levels {
                let net = self
                    .targets
                    .iter()
                    .zip(&level.effects)
                    .map(|(t, &e)| {
                        let money = match t.scale {
                            Scale::Linear => e,
                            Scale::Log { at_mean, .. } => {
                                t.scale.money(at_mean + e) - t.scale.money(at_mean)
                            }
                        };
                        t.role.sign() * money
                    })
                    .sum();
                out.push(LevelNet {
                    feature: c.name.clone(),
                    level: level.value.clone(),
                    net,
                });
            }
        }
        out
    }

    /// Each numeric feature's effect on net value, in money, for an otherwise average customer
    /// at the training's 10th and 90th percentile of it (its range when the model has no
    /// deciles): how much the feature moves a typical lead, in the units `models show` lists.
    pub fn numeric_net_effects(&self) -> Vec<NumericNet> {
        let mut out = Vec::new();
        for term in &self.terms {
            let Term::Numeric(n) = term else { continue };
            let (low, high) = match n.edges.as_slice() {
                [first, .., last] => (*first, *last),
                _ => n.range,
            };
            let at = |x: f64| -> f64 {
                let z = n.transform(n.used(x)) - n.mean;
                self.targets
                    .iter()
                    .zip(&n.slopes)
                    .map(|(t, &slope)| {
                        let e = slope * z;
                        let money = match t.scale {
                            Scale::Linear => e,
                            Scale::Log { at_mean, .. } => {
                                t.scale.money(at_mean + e) - t.scale.money(at_mean)
                            }
                        };
                        t.role.sign() * money
                    })
                    .sum()
            };
            out.push(NumericNet {
                feature: n.name.clone(),
                low,
                high,
                net_at_low: at(low),
                net_at_high: at(high),
            });
        }
        out
    }

    /// Whether any target is fitted on logs, ln(1 + y) or a log link (its baseline is then the
    /// average profile's prediction, not the average prediction).
    pub fn any_log(&self) -> bool {
        self.targets
            .iter()
            .any(|t| matches!(t.scale, Scale::Log { .. }))
    }

    /// The baselines' net value: return's baseline less burden's. With every feature's part
    /// and the floors' it adds up to a lead's net value.
    pub fn baseline_net(&self) -> f64 {
        self.targets
            .iter()
            .map(|t| t.role.sign() * t.baseline)
            .sum()
    }
}

/// Reads one target's coefficient off a model column.
type Coefficient = fn(&ModelColumn) -> f64;

/// Each level's effect on `width` outcomes, relative to the average customer, from
/// `coefficients(j)` (one per outcome) of model column `j`: the reference level (no column)
/// sits at minus the average position of the others.
pub(crate) fn level_effects(
    c: &crate::model::schema::Categorical,
    cols: &[ModelColumn],
    width: usize,
    coefficients: impl Fn(usize) -> Vec<f64>,
) -> Vec<Vec<f64>> {
    // The average customer's position among this feature's columns.
    let mut base = vec![0.0; width];
    for j in c.levels.iter().filter_map(|l| l.column) {
        for (t, b) in coefficients(j).iter().enumerate() {
            base[t] -= b * cols[j].mean;
        }
    }
    c.levels
        .iter()
        .map(|l| match l.column {
            Some(j) => coefficients(j)
                .iter()
                .zip(&base)
                .map(|(b, m)| m + b)
                .collect(),
            None => base.clone(),
        })
        .collect()
}

/// Money from a prediction of ln(1 + y) and its bias correction.
pub fn from_log(log_prediction: f64, correction: f64) -> f64 {
    from_log_shifted(log_prediction, correction, 1.0)
}

/// Money from a prediction in logs: exp(prediction) × `correction` − `shift`.
pub fn from_log_shifted(log_prediction: f64, correction: f64, shift: f64) -> f64 {
    // exp overflows past 709; no money amount is that large.
    log_prediction.min(700.0).exp() * correction - shift
}

/// Turns one target's effects from log units into money, in place. In logs the features'
/// effects multiply, so there is no unique additive split; the logarithmic-mean Divisia index
/// gives one that is exact and symmetric: each feature gets the money change in proportion to its
/// share of the change in logs, `(P − B) · c / Σc` (`(B + shift) · c` in the limit Σc → 0).
/// The target's effects are `effects[offset]`, `effects[offset + stride]`, ... (one per feature);
/// money = exp(log) × `correction` − `shift` (see [`Scale::Log`]).
pub fn log_effects_to_money(
    effects: &mut [f64],
    offset: usize,
    stride: usize,
    at_mean: f64,
    correction: f64,
    shift: f64,
) {
    let total: f64 = effects.iter().skip(offset).step_by(stride).sum();
    let base = from_log_shifted(at_mean, correction, shift);
    let prediction = from_log_shifted(at_mean + total, correction, shift);
    let per_log_unit = if total.abs() > 1e-12 {
        (prediction - base) / total
    } else {
        base + shift
    };
    for c in effects.iter_mut().skip(offset).step_by(stride) {
        *c *= per_log_unit;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_contributions_in_money_add_up_to_the_prediction() {
        let mut parts = [0.3, -0.1, 0.55];
        let (at_mean, correction) = (7.0, 1.1);
        log_effects_to_money(&mut parts, 0, 1, at_mean, correction, 1.0);
        let base = from_log(at_mean, correction);
        let want = from_log(at_mean + 0.75, correction);
        let got = base + parts.iter().sum::<f64>();
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        // Shares follow the log effects: the biggest log effect gets the most money.
        assert!(parts[2] > parts[0] && parts[1] < 0.0);
        // No change in logs, no money either way.
        let mut none = [0.0; 2];
        log_effects_to_money(&mut none, 0, 1, 3.0, 1.0, 1.0);
        assert_eq!(none, [0.0; 2]);
    }

    #[test]
    fn log_link_contributions_in_money_add_up_to_the_prediction() {
        // A log link: money = exp(s), no correction, no shift.
        let mut parts = [0.4, -0.9, 0.25];
        let at_mean = 3.5;
        log_effects_to_money(&mut parts, 0, 1, at_mean, 1.0, 0.0);
        let want = (at_mean - 0.25f64).exp();
        let got = at_mean.exp() + parts.iter().sum::<f64>();
        assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
        assert!(parts[1] < 0.0 && parts[0] > parts[2]);
        // In the limit of no change in logs, a unit of log is worth the baseline itself.
        let mut tiny = [1e-14, 0.0];
        log_effects_to_money(&mut tiny, 0, 1, 2.0, 1.0, 0.0);
        assert!((tiny[0] - 1e-14 * 2f64.exp()).abs() < 1e-20);
    }

    #[test]
    fn a_number_moves_net_value_one_way_below_the_average_customer_and_the_other_above() {
        let text = include_str!("../../models/model.json");
        let model = Model::parse(text, "models/model.json").unwrap();
        let eq = Equation::from_model(&model).unwrap();
        let numbers = eq.numeric_net_effects();
        assert_eq!(numbers.len(), 3);
        for n in &numbers {
            // The average customer sits between the 10th and 90th percentile, where the effect
            // is 0, so the two ends pull opposite ways (or not at all).
            assert!(n.low < n.high, "{n:?}");
            assert!(n.net_at_low * n.net_at_high <= 0.0, "{n:?}");
        }
    }

    #[test]
    fn the_shipped_model_reads_as_an_equation_whose_average_lead_is_the_baseline() {
        let text = include_str!("../../models/model.json");
        let model = Model::parse(text, "models/model.json").unwrap();
        let eq = Equation::from_model(&model).unwrap();
        assert_eq!(eq.targets.len(), 2);
        assert_eq!(eq.terms.len(), model.schema.features.len());
        // Weighted by how many customers had each level, the level effects average to zero on
        // a linear target: the reference level carries minus the others' average.
        for term in &eq.terms {
            if let (Term::Category(c), Feature::Categorical(f)) = (
                term,
                model
                    .schema
                    .features
                    .iter()
                    .find(|f| f.name() == term.name())
                    .unwrap(),
            ) {
                let n: u64 = f.levels.iter().map(|l| l.customers).sum();
                for (t, target) in eq.targets.iter().enumerate() {
                    if target.scale != Scale::Linear {
                        continue;
                    }
                    let avg: f64 = c
                        .levels
                        .iter()
                        .zip(&f.levels)
                        .map(|(l, fl)| l.effects[t] * fl.customers as f64)
                        .sum::<f64>()
                        / n as f64;
                    let scale: f64 = c.levels.iter().map(|l| l.effects[t].abs()).sum::<f64>();
                    assert!(avg.abs() <= 1e-9 * scale.max(1.0), "{} {t}: {avg}", c.name);
                }
            }
        }
    }
}
