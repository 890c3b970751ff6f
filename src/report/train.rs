//! What `train` reports: the data it learnt from, how well the fits predict out of sample beside
//! a mean-only baseline, what it did to the features, the decisions and interval it derived, its
//! warnings and where the model went. Built once as data; rendered as text for people here, or
//! serialised as JSON (every figure at full precision) for programs.

use std::fmt::Write as _;

use serde::Serialize;

use crate::economics::{signed_whole, Decisions};
use crate::fit::history::History;
use crate::fit::recency::RecencySummary;
use crate::fit::schema::{FeatureValues, NoEffectCause};
use crate::fit::training::Trained;
use crate::io::table::{printable, shown};
use crate::model::file::{Metrics, Validation};
use crate::model::schema::Feature;
use crate::model::warning::number;
use crate::model::Model;
use crate::report::format::{counted, group, listing, pct, r2, whole};
use crate::stats::{quantile_select, Interval};

/// Fewer customers than this per model column (intercept included) is a small history.
const SMALL_HISTORY_PER_COLUMN: usize = 10;

/// Below this cross-validated R², a target is called barely predictable.
const WEAK_R2: f64 = 0.05;

/// Fewer customers left out for a blank outcome than this (or than a tenth) is no warning.
const MANY_LEFT_OUT: usize = 10;

/// How many excluded customers the text names before "and N more".
const EXCLUDED_LISTED: usize = 20;

/// How many pooled values the text names per feature before "and N more".
const POOLED_LISTED: usize = 20;

/// How many clamped customers the text names per feature before "and N more".
const CLAMPED_LISTED: usize = 8;

/// Merged values the text lists, and other spellings per value; the JSON report has them all.
const MERGED_LISTED: usize = 10;
const SPELLINGS_LISTED: usize = 4;

/// Everything `train` has to say.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// The currency every amount is in.
    pub currency: String,
    pub data: DataSummary,
    /// How recency weighting (`model.half_life_days`) counted the customers; absent when off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recency: Option<RecencySummary>,
    /// Cross-validation: folds, seed, per-target metrics with the mean-only baseline, the penalty
    /// search and the scale choice (the same figures as the model file's `validation`).
    pub validation: Validation,
    /// The penalty each target's saved fit uses.
    pub penalties: Penalties,
    /// Targets whose R² moves when predictions below zero are shown as zero.
    pub floored: Vec<Floored>,
    /// Columns of the model (one per numeric feature and per non-base category level).
    pub model_columns: usize,
    /// Columns implied by earlier ones, left out of the fit.
    pub redundant_columns: Vec<String>,
    /// Categories with fewer customers than this are pooled into `(other)`.
    pub min_category_count: usize,
    pub pooled: Vec<Pooled>,
    /// Values typed in more than one way (or named by an alias), merged into one level.
    pub merged: Vec<MergedSpellings>,
    pub clamped: Vec<Clamped>,
    /// Outcomes far outside the rest, capped for the fit (`model.outcome_cap`), per target.
    pub capped_outcomes: Vec<CappedOutcomes>,
    pub imputed: Vec<Imputed>,
    /// Missing-value texts (`NA`, `n/a`, ...) read as blanks in category columns.
    pub blank_texts: Vec<BlankText>,
    pub warnings: Vec<TrainWarning>,
    pub decisions: Decisions,
    /// The net-value interval; `None` when the history is too small to learn one.
    pub interval: Option<IntervalSummary>,
    /// Where the model file was saved.
    pub model_file: String,
    /// The registry version it was saved as, when saved into a models directory.
    pub version: Option<SavedVersion>,
}

/// A model saved as a registry version.
#[derive(Debug, Clone, Serialize)]
pub struct SavedVersion {
    pub version: String,
    pub current: bool,
    /// The version that was current before.
    pub replaced: Option<String>,
}

/// The history trained on.
#[derive(Debug, Clone, Serialize)]
pub struct DataSummary {
    pub file: String,
    pub sha256: String,
    pub rows_read: usize,
    pub rows_used: usize,
    /// Customers left out, in file order.
    pub excluded: Vec<ExcludedRow>,
}

/// A customer left out of training.
#[derive(Debug, Clone, Serialize)]
pub struct ExcludedRow {
    pub id: String,
    pub line: u64,
    pub column: String,
    pub reason: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Penalties {
    pub lifetime_return: f64,
    pub service_burden: f64,
}

/// A target that cannot be negative, whose predictions below zero are shown as zero.
#[derive(Debug, Clone, Serialize)]
pub struct Floored {
    pub target: String,
    /// The cross-validated R² of the fitted equation alone, then as shown.
    pub unfloored_r2: f64,
    pub r2: f64,
}

/// Rare values of a categorical feature, pooled into `(other)`.
#[derive(Debug, Clone, Serialize)]
pub struct Pooled {
    pub feature: String,
    pub values: Vec<PooledValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PooledValue {
    pub value: String,
    pub customers: u64,
}

impl PooledValue {
    /// Each (value, customers) pair as training noted it.
    fn all(values: &[(String, u64)]) -> Vec<PooledValue> {
        values
            .iter()
            .map(|(value, customers)| PooledValue {
                value: value.clone(),
                customers: *customers,
            })
            .collect()
    }
}

/// Spellings of one category value merged into one: the most common spelling is kept.
#[derive(Debug, Clone, Serialize)]
pub struct MergedSpellings {
    pub feature: String,
    /// The spelling kept, as the model stores it, and its own customers (0 when only aliases of
    /// it were seen).
    pub value: String,
    pub customers: u64,
    /// The other spellings, most common first, with their customers.
    pub spellings: Vec<PooledValue>,
}

/// A numeric feature clamped to its training range for some customers.
#[derive(Debug, Clone, Serialize)]
pub struct Clamped {
    pub feature: String,
    /// The feature holds years or codes, written without thousands separators.
    pub code: bool,
    pub low: f64,
    pub high: f64,
    /// Every clamped customer, most extreme first, with its value before clamping.
    pub customers: Vec<ClampedCustomer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClampedCustomer {
    pub id: String,
    pub value: Option<f64>,
}

/// One target's outcomes far outside the rest, capped for the fit.
#[derive(Debug, Clone, Serialize)]
pub struct CappedOutcomes {
    pub target: String,
    /// `model.outcome_cap`: the bar is this many times the percentile.
    pub factor: f64,
    /// The 99th percentile of the target's non-zero sizes (read at least five customers from the
    /// top).
    pub percentile: f64,
    /// The bar: `factor` × `percentile`.
    pub limit: f64,
    /// Every capped customer, most extreme first.
    pub customers: Vec<CappedCustomer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CappedCustomer {
    pub id: String,
    pub line: u64,
    /// The outcome as the history gave it.
    pub value: f64,
    /// What the fit counted it as: the outcome within the bar furthest on the same side of zero
    /// (0 if none is).
    pub counted: f64,
}

/// How many capped customers the text names per target before "and N more".
const CAPPED_LISTED: usize = 10;

/// A missing-value text read as a blank in a category column, and in how many rows.
#[derive(Debug, Clone, Serialize)]
pub struct BlankText {
    pub feature: String,
    pub text: String,
    pub rows: u64,
}

/// A missing-value text in more than this share of a category column's rows is a warning: it
/// may be a real value (`NA` for North America) that the default list reads as a blank.
const COMMON_BLANK_TEXT: f64 = 0.05;

/// A numeric feature whose blanks were imputed with the training median.
#[derive(Debug, Clone, Serialize)]
pub struct Imputed {
    pub feature: String,
    pub customers: usize,
}

/// Something the user should act on or keep in mind.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrainWarning {
    /// A target the features barely predict: its scores stay near the average customer's.
    WeakTarget { target: String, r2: f64 },
    /// Few customers for the number of model columns.
    SmallHistory {
        customers: usize,
        model_columns: usize,
        customers_per_column: usize,
        safer_per_column: usize,
    },
    /// Many customers left out for a blank outcome: the model learnt only from the rest, which
    /// a blank (or a missing-value text such as "-") that meant 0 would bias.
    ManyLeftOut {
        left_out: usize,
        customers: usize,
        /// The outcome column that left out the most, and how many.
        column: String,
        in_column: usize,
    },
    /// An alias whose value no customer has itself: it renamed whole levels, perhaps by mistake.
    AliasRenames {
        feature: String,
        value: String,
        /// The values read as it, with their customers.
        renamed: Vec<PooledValue>,
    },
    /// A missing-value text common in a category column: perhaps a real value read as blank.
    CommonBlankText {
        feature: String,
        text: String,
        rows: u64,
        rows_read: usize,
    },
    /// Outcomes far outside the rest, counted in the fit as the outcome within the bar (the
    /// customers are in `capped_outcomes`).
    CappedOutcomes { target: String, customers: usize },
    /// A categorical feature with more common values than `model.max_levels`: the least common
    /// of them were pooled into `(other)` too.
    ManyLevels {
        feature: String,
        /// Values with at least `min_category_count` customers.
        common: usize,
        /// Kept as levels: the most common.
        kept: usize,
        /// Customers of the common values pooled for the limit.
        pooled_customers: u64,
    },
    /// A categorical feature left with one level, so it has no effect: every customer has the
    /// same value (`cause` "one_value", the value in `value`), none has a value ("blank"), or
    /// every value has fewer than `min_category_count` customers and all were pooled ("rare").
    NoEffect {
        feature: String,
        cause: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        /// The customers it was learnt from.
        customers: u64,
        min_category_count: usize,
    },
    /// A feature that alone predicts an outcome almost perfectly: probably known only after the
    /// relationship, so leads will not have it (see `fit::leaks`).
    LikelyLeak {
        feature: String,
        target: String,
        /// Cross-validated R² of the feature alone.
        r2: f64,
        /// Its correlation with the outcome (numeric features only).
        #[serde(skip_serializing_if = "Option::is_none")]
        correlation: Option<f64>,
    },
}

/// The net-value interval, with what it gives for the history's own typical and large accounts.
/// An account's size is what flows in and out: its expected return plus its expected burden.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IntervalSummary {
    #[serde(flatten)]
    pub interval: Interval,
    /// Around a prediction of 0 for an account of the median past customer's predicted size.
    pub typical_account: Bounds,
    /// Around a prediction of 0 for an account of the 90th percentile's predicted size.
    pub large_account: Bounds,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Bounds {
    pub size: f64,
    pub low: f64,
    pub high: f64,
}

impl Bounds {
    fn of(interval: &Interval, size: f64) -> Bounds {
        let (low, high) = interval.around(0.0, size);
        Bounds { size, low, high }
    }
}

/// From this size on the report writes a figure in scientific notation (`1e300`): a feature
/// value or an outcome that large is a typo or a unit mix-up, and written out in full (301
/// digits for 1e300) it buries the line it is in without saying more. The history refuses
/// amounts from the same size on, with the same notation.
const SCIENTIFIC_FROM: f64 = 1e15;

/// A feature's value as the report writes it: as [`number`] does (a year or a code with its
/// digits alone), or from [`SCIENTIFIC_FROM`] on as `1e300`.
fn figure(v: f64, code: bool) -> String {
    if v.abs() >= SCIENTIFIC_FROM {
        format!("{v:e}")
    } else {
        number(v, code)
    }
}

/// An amount in whole units as [`whole`] writes it, or from [`SCIENTIFIC_FROM`] on as `2.5e20`:
/// an outcome is a sum of amounts times rates, so it can exceed what any amount may be.
fn amount(v: f64) -> String {
    if v.abs() >= SCIENTIFIC_FROM {
        format!("{v:e}")
    } else {
        whole(v)
    }
}

/// A ratio in plain figures: `12`, `1,200`, `4.5`; `3e20` from [`SCIENTIFIC_FROM`] on, where
/// the count of units it was written as saturated.
fn times(ratio: f64) -> String {
    if ratio >= SCIENTIFIC_FROM {
        format!("{ratio:e}")
    } else if ratio >= 100.0 {
        group(ratio.round() as usize)
    } else {
        format!("{}", (ratio * 10.0).round() / 10.0)
    }
}

/// `v` to two significant figures: 47,316 → 47,000.
fn round_2sf(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let unit = 10f64.powi(v.abs().log10().floor() as i32 - 1);
    (v / unit).round() * unit
}

/// A span of days in plain words: `a year`, `2 years`, `6 weeks`, `200 days`.
fn days_in_words(days: f64) -> String {
    let whole = days.fract() == 0.0;
    let unit = |n: f64, one: &str, many: &str| {
        if n == 1.0 {
            format!("a {one}")
        } else {
            format!("{n} {many}")
        }
    };
    if whole && days % 365.0 == 0.0 {
        unit(days / 365.0, "year", "years")
    } else if whole && days % 7.0 == 0.0 {
        unit(days / 7.0, "week", "weeks")
    } else {
        unit(days, "day", "days")
    }
}

/// The report's line on recency weighting, for someone who never heard of a half-life.
fn recency_line(r: &RecencySummary) -> String {
    let h = r.half_life_days;
    let mut s = format!("Recency: half-life {}; ", unit_days(h));
    if r.newest == r.oldest {
        s.push_str(&format!(
            "every dated customer was won on {}, so all count the same",
            r.newest
        ));
    } else {
        let oldest = if r.oldest_weight < 0.0005 {
            "less than 0.1% as much".to_string()
        } else {
            format!("{} as much", pct(r.oldest_weight))
        };
        s.push_str(&format!(
            "a customer won {} before the newest ({}) counts half as much, the oldest ({}) {oldest}; {} weigh as much as {} equally weighted ones",
            days_in_words(h),
            r.newest,
            r.oldest,
            counted(r.customers, "customer"),
            group(r.effective_customers.round() as usize),
        ));
    }
    match r.undated {
        0 => {}
        1 => s.push_str(" (1 without a date weighs as the oldest)"),
        n => s.push_str(&format!(
            " ({} without a date weigh as the oldest)",
            group(n)
        )),
    }
    s.push('.');
    s
}

/// `365 days`, `1 day`, `182.5 days`.
fn unit_days(days: f64) -> String {
    if days == 1.0 {
        "1 day".into()
    } else {
        format!("{days} days")
    }
}

impl TrainReport {
    /// The report of training `t` on `history` into `model`, saved at `model_file`.
    pub fn new(history: &History, t: &Trained, model: &Model, model_file: &str) -> TrainReport {
        let v = &t.validation;
        let targets = [
            ("lifetime return", &v.lifetime_return),
            ("service burden", &v.service_burden),
            ("net value", &v.net_value),
        ];
        let mut warnings: Vec<TrainWarning> = t
            .leaks
            .iter()
            .map(|l| TrainWarning::LikelyLeak {
                feature: l.feature.clone(),
                target: l.target.clone(),
                r2: l.r2,
                correlation: l.correlation,
            })
            .collect();
        warnings.extend(targets.iter().filter_map(|&(name, m)| {
            m.r2.filter(|&r| r < WEAK_R2)
                .map(|r2| TrainWarning::WeakTarget {
                    target: name.into(),
                    r2,
                })
        }));
        warnings.extend(
            history
                .token_blanks
                .iter()
                .filter(|b| b.rows as f64 > COMMON_BLANK_TEXT * history.rows_read as f64)
                .map(|b| TrainWarning::CommonBlankText {
                    feature: b.feature.clone(),
                    text: b.token.clone(),
                    rows: b.rows,
                    rows_read: history.rows_read,
                }),
        );
        warnings.extend(t.notes.merged.iter().filter(|m| m.customers == 0).map(|m| {
            TrainWarning::AliasRenames {
                feature: m.feature.clone(),
                value: m.value.clone(),
                renamed: PooledValue::all(&m.spellings),
            }
        }));
        let left_out = history.excluded.len();
        if left_out * 10 > history.rows_read && left_out >= MANY_LEFT_OUT {
            let mut by_column: Vec<(&str, usize)> = Vec::new();
            for e in &history.excluded {
                match by_column.iter_mut().find(|(c, _)| *c == e.column) {
                    Some((_, n)) => *n += 1,
                    None => by_column.push((&e.column, 1)),
                }
            }
            // The most first; among equals, the first met.
            let (column, in_column) = by_column
                .iter()
                .copied()
                .rev()
                .max_by_key(|&(_, n)| n)
                .unwrap_or(("", 0));
            warnings.push(TrainWarning::ManyLeftOut {
                left_out,
                customers: history.rows_read,
                column: column.to_string(),
                in_column,
            });
        }
        // Ten customers per estimated effect is the usual floor for a stable linear fit.
        let columns = t.schema.n_columns();
        if history.rows() < SMALL_HISTORY_PER_COLUMN * (columns + 1) {
            warnings.push(TrainWarning::SmallHistory {
                customers: history.rows(),
                model_columns: columns,
                customers_per_column: history.rows() / (columns + 1),
                safer_per_column: SMALL_HISTORY_PER_COLUMN,
            });
        }
        warnings.extend(t.outcome_caps.iter().map(|c| TrainWarning::CappedOutcomes {
            target: crate::fit::training::TARGETS[c.target].into(),
            customers: c.rows.len(),
        }));
        warnings.extend(
            t.notes
                .many_levels
                .iter()
                .map(|m| TrainWarning::ManyLevels {
                    feature: m.feature.clone(),
                    common: m.common,
                    kept: m.kept,
                    pooled_customers: m.pooled_customers,
                }),
        );
        warnings.extend(t.notes.no_effect.iter().map(|n| {
            let (cause, value) = match &n.cause {
                NoEffectCause::OneValue(v) => ("one_value", Some(v.clone())),
                NoEffectCause::Blank => ("blank", None),
                NoEffectCause::Rare => ("rare", None),
            };
            TrainWarning::NoEffect {
                feature: n.feature.clone(),
                cause,
                value,
                customers: n.customers,
                min_category_count: t.min_category_count,
            }
        }));
        let floored = targets[..2]
            .iter()
            .filter_map(|&(name, m)| match (m.r2, m.unfloored_r2) {
                (Some(r2), Some(unfloored_r2)) if (r2 - unfloored_r2).abs() >= 0.0005 => {
                    Some(Floored {
                        target: name.into(),
                        unfloored_r2,
                        r2,
                    })
                }
                _ => None,
            })
            .collect();
        let clamped =
            t.notes
                .clamped
                .iter()
                .filter(|(_, rows, _, _)| !rows.is_empty())
                .map(|(feature, rows, low, high)| {
                    let values =
                        history
                            .values
                            .iter()
                            .zip(&t.schema.features)
                            .find_map(|(v, f)| match v {
                                FeatureValues::Numeric(v) if f.name() == feature => Some(v),
                                _ => None,
                            });
                    let code =
                        t.schema.features.iter().any(
                            |f| matches!(f, Feature::Numeric(n) if n.name == *feature && n.code),
                        );
                    Clamped {
                        feature: feature.clone(),
                        code,
                        low: *low,
                        high: *high,
                        customers: rows
                            .iter()
                            .map(|&i| ClampedCustomer {
                                id: history.ids.get(i).to_string(),
                                value: values.map(|v| v[i]),
                            })
                            .collect(),
                    }
                })
                .collect();
        let capped_outcomes = t
            .outcome_caps
            .iter()
            .map(|c| CappedOutcomes {
                target: crate::fit::training::TARGETS[c.target].into(),
                factor: c.factor,
                percentile: c.percentile,
                limit: c.limit,
                customers: c
                    .rows
                    .iter()
                    .map(|&(i, value, counted)| CappedCustomer {
                        id: history.ids.get(i).to_string(),
                        line: history.lines[i],
                        value,
                        counted,
                    })
                    .collect(),
            })
            .collect();
        TrainReport {
            currency: model.currency.clone(),
            data: DataSummary {
                file: history.path.clone(),
                sha256: history.sha256.clone(),
                rows_read: history.rows_read,
                rows_used: history.rows(),
                excluded: history
                    .excluded
                    .iter()
                    .map(|e| ExcludedRow {
                        id: e.id.clone(),
                        line: e.line,
                        column: e.column.clone(),
                        reason: "blank outcome",
                    })
                    .collect(),
            },
            recency: t.recency.clone(),
            validation: v.clone(),
            penalties: Penalties {
                lifetime_return: t.fits[0].penalty,
                service_burden: t.fits[1].penalty,
            },
            floored,
            model_columns: columns,
            redundant_columns: t
                .redundant
                .iter()
                .map(|&j| t.schema.columns[j].clone())
                .collect(),
            min_category_count: t.min_category_count,
            pooled: t
                .notes
                .pooled
                .iter()
                .map(|(feature, values)| Pooled {
                    feature: feature.clone(),
                    values: PooledValue::all(values),
                })
                .collect(),
            merged: t
                .notes
                .merged
                .iter()
                .map(|m| MergedSpellings {
                    feature: m.feature.clone(),
                    value: m.value.clone(),
                    customers: m.customers,
                    spellings: PooledValue::all(&m.spellings),
                })
                .collect(),
            clamped,
            capped_outcomes,
            blank_texts: history
                .token_blanks
                .iter()
                .map(|b| BlankText {
                    feature: b.feature.clone(),
                    text: b.token.clone(),
                    rows: b.rows,
                })
                .collect(),
            imputed: t
                .notes
                .imputed
                .iter()
                .map(|(feature, customers)| Imputed {
                    feature: feature.clone(),
                    customers: *customers,
                })
                .collect(),
            warnings,
            decisions: model.decisions,
            interval: model.interval.map(|i| {
                // Sizes as the cross-validation predicted them, rounded to two significant
                // figures: the text quotes them as examples, not as measurements. Two order
                // statistics of a million values: selection, not a sort (the same values).
                let mut sizes: Vec<f64> = t.held_out.iter().map(|h| h.1).collect();
                let mut at = |p: f64| round_2sf(quantile_select(&mut sizes, p).unwrap_or(0.0));
                IntervalSummary {
                    interval: i,
                    typical_account: Bounds::of(&i, at(0.5)),
                    large_account: Bounds::of(&i, at(0.9)),
                }
            }),
            model_file: model_file.into(),
            version: None,
        }
    }

    /// The report as text for people.
    pub fn render(&self) -> String {
        let cur = &self.currency;
        let d = &self.data;
        let v = &self.validation;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Trained on {} of {} customers in {} (sha256 {}).",
            group(d.rows_used),
            group(d.rows_read),
            d.file,
            &d.sha256[..12]
        );
        if !d.excluded.is_empty() {
            let shown: Vec<String> = d
                .excluded
                .iter()
                .take(EXCLUDED_LISTED)
                .map(|e| format!("{} (line {}, {})", e.id, e.line, e.column))
                .collect();
            let _ = writeln!(
                s,
                "Left out {} with a blank outcome: {}.",
                counted(d.excluded.len(), "customer"),
                listing(&shown, d.excluded.len())
            );
        }
        for c in &self.capped_outcomes {
            let shown: Vec<String> = c
                .customers
                .iter()
                .take(CAPPED_LISTED)
                .map(|x| {
                    format!(
                        "{} (line {}, {}: {} × the 99th percentile; counted as {})",
                        x.id,
                        x.line,
                        amount(x.value),
                        times(x.value.abs() / c.percentile),
                        amount(x.counted)
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "warning: {} far outside the rest (beyond {}, which is {} × the 99th percentile of {} sizes, {}), counted in the fit as the outcome within it furthest on the same side of zero, most extreme first: {}. A typo or a unit mix-up in its [economics] columns? Correct the row and retrain; model.outcome_cap sets the factor (false turns the cap off).",
                counted(c.customers.len(), &format!("{} outcome", c.target)),
                amount(c.limit),
                number(c.factor, false),
                c.target,
                amount(c.percentile),
                listing(&shown, c.customers.len())
            );
        }
        if let Some(r) = &self.recency {
            let _ = writeln!(s, "{}", recency_line(r));
        }
        let _ = writeln!(
            s,
            "\nCross-validated on {} folds (seed {}), money in {cur}:\n",
            v.folds, v.seed
        );
        let _ = writeln!(
            s,
            "{:<16} {:>8}  {:>15} {:>12} {:>12}   {:>7} {:>12} {:>12}",
            "target", "penalty", "R² (± sd)", "MAE", "RMSE", "mean R²", "mean MAE", "mean RMSE"
        );
        let row = |s: &mut String, name: &str, penalty: Option<f64>, m: &Metrics| {
            let r2sd = match (m.r2, m.r2_sd) {
                (Some(a), Some(b)) => format!("{a:.3} ± {b:.3}"),
                (Some(a), None) => format!("{a:.3}"),
                _ => "n/a".into(),
            };
            let _ = writeln!(
                s,
                "{:<16} {:>8}  {:>15} {:>12} {:>12}   {:>7} {:>12} {:>12}",
                name,
                penalty.map_or_else(|| "-".into(), |p| format!("{p}")),
                r2sd,
                whole(m.mae),
                whole(m.rmse),
                r2(m.baseline_r2),
                whole(m.baseline_mae),
                whole(m.baseline_rmse),
            );
        };
        let p = &self.penalties;
        row(
            &mut s,
            "lifetime return",
            Some(p.lifetime_return),
            &v.lifetime_return,
        );
        row(
            &mut s,
            "service burden",
            Some(p.service_burden),
            &v.service_burden,
        );
        row(&mut s, "net value", None, &v.net_value);
        if v.penalty_search.len() > 1 {
            // Stars mark each target's linear fit; a log fit's penalty is on the Scale line.
            let fitted = [p.lifetime_return, p.service_burden];
            let linear_penalty = |t: usize| {
                v.scale_choice
                    .get(t)
                    .map_or(fitted[t], |c| c.linear_penalty)
            };
            let _ = writeln!(
                s,
                "\nPenalty search (cross-validated RMSE in {cur} of the linear fits; * = chosen):"
            );
            for trial in &v.penalty_search {
                let mark = |p: f64| if p == trial.penalty { "*" } else { " " };
                let line = format!(
                    "  {:>8}   return {:>12}{}   burden {:>12}{}",
                    trial.penalty,
                    whole(trial.return_rmse),
                    mark(linear_penalty(0)),
                    whole(trial.burden_rmse),
                    mark(linear_penalty(1)),
                );
                let _ = writeln!(s, "{}", line.trim_end());
            }
        }
        if !v.scale_choice.is_empty() {
            let scales: Vec<String> = v
                .scale_choice
                .iter()
                .map(|c| {
                    let how = if c.forced { "set by model.transform" } else { "chosen" };
                    // The log link's error, when it was tried and lost.
                    let glm = c
                        .glm_rmse
                        .map(|g| format!(" and {} with a log link", whole(g)))
                        .unwrap_or_default();
                    match (c.linear_rmse, c.log_rmse, c.glm_rmse) {
                        (Some(linear), Some(log), Some(g)) if c.glm => format!(
                            "{} with a log link (Poisson), {how} (penalty {}, {} iterations; cross-validated RMSE {}, against {} linear and {} on ln(1 + y))",
                            c.target,
                            c.log_penalty.unwrap_or(0.0),
                            c.glm_iterations.unwrap_or(0),
                            whole(g),
                            whole(linear),
                            whole(log)
                        ),
                        (Some(linear), Some(log), _) if c.log => format!(
                            "{} on ln(1 + y), {how} (penalty {}; cross-validated RMSE {}, against {} linear{glm})",
                            c.target,
                            c.log_penalty.unwrap_or(0.0),
                            whole(log),
                            whole(linear)
                        ),
                        (Some(linear), Some(log), _) => format!(
                            "{} linear, {how} (cross-validated RMSE {}, against {} on ln(1 + y){glm})",
                            c.target,
                            whole(linear),
                            whole(log)
                        ),
                        _ if c.can_be_negative => {
                            format!("{} linear (it can be negative, so no log)", c.target)
                        }
                        _ => format!("{} linear, set by model.transform", c.target),
                    }
                })
                .collect();
            let _ = writeln!(
                s,
                "\nScale, by cross-validated error in {cur}: {}.",
                scales.join("; ")
            );
        }
        for w in &self.warnings {
            if let TrainWarning::LikelyLeak {
                feature,
                target,
                r2: r,
                correlation,
            } = w
            {
                let how = match correlation {
                    Some(c) if *r <= crate::fit::leaks::LEAK_R2 => {
                        format!("is correlated with {target} at {c:.2}")
                    }
                    _ => format!("predicts {target} with cross-validated R² {r:.2}"),
                };
                let _ = writeln!(
                    s,
                    "\nwarning: {feature} alone {how}: it may be known only after the relationship (a leak); if leads do not have it, remove it from [features].",
                );
            }
        }
        for w in &self.warnings {
            if let TrainWarning::WeakTarget { target, r2: r } = w {
                let _ = writeln!(
                    s,
                    "\nwarning: {target} is barely predictable from these features (cross-validated R² {}); its scores are close to the average customer's.",
                    r2(Some(*r))
                );
            }
        }
        for f in &self.floored {
            let _ = writeln!(
                s,
                "\nShowing {} as zero where the fit predicts below zero (it cannot be negative) moves its cross-validated R² from {:.3} to {:.3}.",
                f.target, f.unfloored_r2, f.r2
            );
        }

        s.push('\n');
        if self.redundant_columns.is_empty() {
            let _ = writeln!(s, "Redundant columns: none.");
        } else {
            let _ = writeln!(
                s,
                "Redundant columns (implied by earlier columns, so left out of the fit): {}.",
                self.redundant_columns.join(", ")
            );
        }
        for p in &self.pooled {
            let listed: Vec<String> = p
                .values
                .iter()
                .take(POOLED_LISTED)
                .map(|v| format!("{} ({})", printable(&v.value), v.customers))
                .collect();
            let listed = match p.values.len() > POOLED_LISTED {
                true => format!(
                    "{} (all in the JSON report)",
                    listing(&listed, p.values.len())
                ),
                false => listed.join(", "),
            };
            let limited = self.warnings.iter().any(
                |w| matches!(w, TrainWarning::ManyLevels { feature, .. } if *feature == p.feature),
            );
            if limited {
                let _ = writeln!(
                    s,
                    "{} values pooled into (other), the rare ones (fewer than {} customers each) and those beyond model.max_levels: {}.",
                    p.feature, self.min_category_count, listed
                );
            } else {
                let _ = writeln!(
                    s,
                    "Rare {} values (fewer than {} customers each) pooled into (other): {}.",
                    p.feature, self.min_category_count, listed
                );
            }
        }
        for (i, m) in self.merged.iter().enumerate() {
            if i == MERGED_LISTED {
                let _ = writeln!(
                    s,
                    "... and {} more values typed in more than one way (all in the JSON report).",
                    self.merged.len() - MERGED_LISTED
                );
                break;
            }
            let others: Vec<String> = m
                .spellings
                .iter()
                .take(SPELLINGS_LISTED)
                .map(|v| format!("\"{}\"", printable(&v.value)))
                .collect();
            let _ = writeln!(
                s,
                "{}: read {} as \"{}\".",
                m.feature,
                listing(&others, m.spellings.len()),
                printable(&m.value),
            );
        }
        for w in &self.warnings {
            match w {
                TrainWarning::SmallHistory {
                    customers,
                    model_columns,
                    customers_per_column,
                    safer_per_column,
                } => {
                    let _ = writeln!(
                        s,
                        "warning: {} customers is few for {model_columns} model columns (about {customers_per_column} per column; {safer_per_column} or more is safer): the effects are uncertain, so check the cross-validated errors above and prefer fewer features.",
                        group(*customers),
                    );
                }
                TrainWarning::ManyLeftOut {
                    left_out,
                    customers,
                    column,
                    in_column,
                } => {
                    let _ = writeln!(
                        s,
                        "warning: {} of {} customers ({}) were left out for a blank outcome, {} of them for {column}: the model learnt only from the rest. If a blank or a text such as \"-\" means 0 there, write 0 (or take the text out of missing_values) and retrain.",
                        group(*left_out),
                        group(*customers),
                        pct(*left_out as f64 / *customers as f64),
                        group(*in_column),
                    );
                }
                TrainWarning::AliasRenames {
                    feature,
                    value,
                    renamed,
                } => {
                    let listed: Vec<String> = renamed
                        .iter()
                        .map(|r| {
                            format!(
                                "\"{}\" ({})",
                                printable(&r.value),
                                counted(r.customers as usize, "customer")
                            )
                        })
                        .collect();
                    let _ = writeln!(
                        s,
                        "warning: no customer has {feature} \"{}\" itself: an alias read {} as it; if that was not meant, check [features.aliases.{feature}].",
                        printable(value),
                        listed.join(", "),
                    );
                }
                TrainWarning::CommonBlankText {
                    feature,
                    text,
                    rows,
                    rows_read,
                } => {
                    let _ = writeln!(
                        s,
                        "warning: {feature} holds \"{text}\" in {} of {} rows ({}), read as a blank like an empty field; if it is a real value there, take \"{text}\" out of missing_values and retrain.",
                        group(*rows as usize),
                        group(*rows_read),
                        pct(*rows as f64 / *rows_read as f64),
                    );
                }
                TrainWarning::NoEffect {
                    feature,
                    cause,
                    value,
                    customers,
                    min_category_count,
                } => {
                    let _ = match (*cause, value) {
                        ("one_value", Some(value)) => writeln!(
                            s,
                            "warning: {feature} has one value, {}, for all {}, so it cannot tell customers apart and has no effect on the scores; drop it from [features], or train on a history where it varies.",
                            shown(value),
                            counted(*customers as usize, "customer"),
                        ),
                        ("blank", _) => writeln!(
                            s,
                            "warning: {feature} is blank in every row ({}), so it has no effect on the scores; fill it in, or drop it from [features].",
                            counted(*customers as usize, "customer"),
                        ),
                        _ => writeln!(
                            s,
                            "warning: every {feature} value has fewer than {min_category_count} customers, so {feature} has no effect on the scores; lower model.min_category_count or drop it from [features].",
                        ),
                    };
                }
                TrainWarning::ManyLevels {
                    feature,
                    common,
                    kept,
                    pooled_customers,
                } => {
                    let _ = writeln!(
                        s,
                        "warning: {feature} has {} values with at least {} customers each; the {} most common are its levels and the other {} ({}) are pooled into (other), since training time grows with the cube of the levels. Raise model.max_levels (at most {}) to keep more, or group the values into fewer categories.",
                        group(*common),
                        self.min_category_count,
                        group(*kept),
                        group(common - kept),
                        counted(*pooled_customers as usize, "customer"),
                        crate::config::MAX_MAX_LEVELS,
                    );
                }
                // Said with the data it concerns, at the top (from `capped_outcomes`).
                TrainWarning::CappedOutcomes { .. }
                | TrainWarning::WeakTarget { .. }
                | TrainWarning::LikelyLeak { .. } => {}
            }
        }
        for c in &self.clamped {
            let shown: Vec<String> = c
                .customers
                .iter()
                .take(CLAMPED_LISTED)
                .map(|x| match x.value {
                    Some(v) => format!("{} ({})", x.id, figure(v, c.code)),
                    None => x.id.clone(),
                })
                .collect();
            let _ = writeln!(
                s,
                "Clamped {} to the training range [{}, {}] for {} customers, most extreme first: {}.",
                c.feature,
                figure(c.low, c.code),
                figure(c.high, c.code),
                group(c.customers.len()),
                listing(&shown, c.customers.len())
            );
        }
        for i in &self.imputed {
            let _ = writeln!(
                s,
                "Imputed {} with the training median for {} customers.",
                i.feature,
                group(i.customers)
            );
        }
        if !self.blank_texts.is_empty() {
            let listed: Vec<String> = self
                .blank_texts
                .iter()
                .map(|b| {
                    format!(
                        "{} \"{}\" ({})",
                        b.feature,
                        b.text,
                        counted(b.rows as usize, "row")
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "Read as blanks (missing_values) in category columns: {}.",
                listed.join(", ")
            );
        }
        let d = &self.decisions;
        let _ = writeln!(
            s,
            "\nDecisions on expected net value ({cur}): tier A >= {}, B >= {}, C >= {}, D below; contact >= {}, skip < {}, qualify in between.",
            whole(d.tier_a),
            whole(d.tier_b),
            whole(d.tier_c),
            whole(d.contact_at),
            whole(d.skip_below),
        );
        if let Some(i) = &self.interval {
            let (typical, large) = (&i.typical_account, &i.large_account);
            let _ = writeln!(
                s,
                "Each lead gets a net-value interval meant to hold {:.0}% of outcomes, from the cross-validated errors; it widens with the account's size (expected return plus expected burden): {} to {} around the prediction for a typical account ({cur} {}, the median past customer), {} to {} for a large one ({cur} {}, the 90th percentile).",
                i.interval.level * 100.0,
                signed_whole(typical.low),
                signed_whole(typical.high),
                whole(typical.size),
                signed_whole(large.low),
                signed_whole(large.high),
                whole(large.size),
            );
        }
        match &self.version {
            Some(v) => {
                let _ = write!(s, "Model saved as {} ({})", v.version, self.model_file);
                let _ = match (&v.replaced, v.current) {
                    (Some(old), true) => writeln!(s, " and made current, replacing {old}."),
                    (None, true) => writeln!(s, " and made current."),
                    (_, false) => writeln!(s, "."),
                };
            }
            None => {
                let _ = writeln!(s, "Model saved to {}.", self.model_file);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(half_life_days: f64, oldest_weight: f64, undated: usize) -> RecencySummary {
        RecencySummary {
            half_life_days,
            newest: "2026-11-30".into(),
            oldest: "2023-12-01".into(),
            oldest_weight,
            customers: 3_000,
            effective_customers: 1_209.6,
            undated,
        }
    }

    #[test]
    fn recency_is_said_in_plain_words() {
        assert_eq!(
            recency_line(&summary(365.0, 0.1255, 12)),
            "Recency: half-life 365 days; a customer won a year before the newest (2026-11-30) counts half as much, the oldest (2023-12-01) 12.6% as much; 3,000 customers weigh as much as 1,210 equally weighted ones (12 without a date weigh as the oldest)."
        );
        assert_eq!(
            recency_line(&summary(42.0, 1e-8, 1)),
            "Recency: half-life 42 days; a customer won 6 weeks before the newest (2026-11-30) counts half as much, the oldest (2023-12-01) less than 0.1% as much; 3,000 customers weigh as much as 1,210 equally weighted ones (1 without a date weighs as the oldest)."
        );
        let same_day = RecencySummary {
            oldest: "2026-11-30".into(),
            ..summary(182.5, 1.0, 0)
        };
        assert_eq!(
            recency_line(&same_day),
            "Recency: half-life 182.5 days; every dated customer was won on 2026-11-30, so all count the same."
        );
    }

    #[test]
    fn figures_from_1e15_on_are_written_in_scientific_notation() {
        // A clamped value of 1e300 was written as its 301 digits.
        assert_eq!(figure(1e300, false), "1e300");
        assert_eq!(figure(-2.5e15, false), "-2.5e15");
        assert_eq!(figure(1e15, true), "1e15");
        // Below, as before: grouped, or a code's digits alone.
        assert_eq!(figure(12_345_678_901.0, false), "12,345,678,901");
        let below = 999_999_999_999_999.0;
        assert_eq!(figure(below, false), number(below, false));
        assert_eq!(figure(90210.0, true), "90210");
        assert_eq!(figure(1234.567, false), "1,234.57");
        assert_eq!(amount(2.5e20), "2.5e20");
        assert_eq!(amount(-1234.4), "-1,234");
        // A ratio beyond what a count holds was written as usize::MAX.
        assert_eq!(times(3e25), "3e25");
        assert_eq!(times(1234.4), "1,234");
        assert_eq!(times(4.54), "4.5");
    }

    #[test]
    fn spans_read_as_years_weeks_or_days() {
        assert_eq!(days_in_words(365.0), "a year");
        assert_eq!(days_in_words(730.0), "2 years");
        assert_eq!(days_in_words(7.0), "a week");
        assert_eq!(days_in_words(90.0), "90 days");
        assert_eq!(days_in_words(1.0), "a day");
        assert_eq!(days_in_words(10.5), "10.5 days");
    }
}
