//! Leaks: columns known only after the relationship (months active, tickets raised, a churn
//! date) that slipped into `[features]`. Such a column predicts an outcome almost perfectly in
//! the history, trains without complaint, and fails only when the lead list turns out not to
//! have it. Two guards: a lead list given at training is checked up front for every column
//! scoring will need ([`check_lead_list`]), and every feature is fitted alone against every
//! outcome with the training folds, so one that alone predicts an outcome almost perfectly is
//! named as a likely leak ([`find`]).
//!
//! The single-feature fits are cheap: a numeric feature is a straight line and a categorical one
//! is a mean per level (what a one-hot fit with an intercept gives), both computed from per-fold
//! sums gathered in two passes over the encoded history.

use std::path::Path;

use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::fit::schema::{Cell, EncodedHistory};
use crate::io::table::{find_column, CsvInput, ReadOptions};
use crate::model::schema::{Feature, Schema};

/// A feature alone predicting an outcome with a cross-validated R² above this is a likely leak.
pub const LEAK_R2: f64 = 0.9;
/// A numeric feature correlated with an outcome beyond this (either sign) is a likely leak.
pub const LEAK_CORRELATION: f64 = 0.95;

/// The outcomes each feature is fitted against alone.
pub const OUTCOMES: [&str; 3] = ["lifetime return", "service burden", "net value"];

/// A feature that alone predicts an outcome almost perfectly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leak {
    pub feature: String,
    /// The outcome it predicts best: "lifetime return" or "service burden", or "net value" when
    /// it predicts neither alone.
    pub target: String,
    /// Cross-validated R² of the feature alone (with the training folds).
    pub r2: f64,
    /// Its correlation with the outcome (numeric features only).
    pub correlation: Option<f64>,
}

/// Checks, before anything is fitted, that the lead list at `path` has the lead id column and
/// every feature of `config`: a column the leads lack cannot be known before contact, and would
/// otherwise fail only at `score`.
pub fn check_lead_list(path: &Path, config: &Config, delimiter: Option<u8>) -> Result<()> {
    let input = CsvInput::open(
        path,
        ReadOptions {
            delimiter,
            ..Default::default()
        },
    )?;
    let shown = input.path().to_string();
    let headers = input.headers();
    let with_fix = |e: Error, fix: String| match e {
        Error::File { path, problem } => Error::File {
            path,
            problem: format!("{problem}; {fix}"),
        },
        other => other,
    };
    // As in `score`: the lead id column, else the customer id column.
    if !headers.contains(&config.id) {
        find_column(&shown, headers, &config.lead_id, "the lead id column").map_err(|e| {
            with_fix(
                e,
                "add it to the lead list, or set lead_id under [columns] to the lead list's id column"
                    .into(),
            )
        })?;
    }
    // Every feature the lead list lacks, named at once (the first with a "did you mean").
    let missing: Vec<&str> = config
        .features
        .iter()
        .map(|f| f.name.as_str())
        .filter(|name| !headers.iter().any(|h| h == name))
        .collect();
    if let Some(first) = missing.first() {
        let err = match find_column(&shown, headers, first, "a feature in the config") {
            Err(e) => e,
            Ok(_) => Error::file(&shown, format!("no column \"{first}\"")),
        };
        let fix = if missing.len() == 1 {
            format!(
                "add the column to the lead list, or remove {first} from [features] (a column the leads lack cannot be known before contact)"
            )
        } else {
            format!(
                "also missing: {}; add the columns to the lead list, or remove {} from [features] (a column the leads lack cannot be known before contact)",
                missing[1..].join(", "),
                missing.join(", ")
            )
        };
        return Err(with_fix(err, fix));
    }
    Ok(())
}

/// How one feature enters its single-feature fit.
enum Shape {
    Numeric,
    /// The model column of each non-reference level; a row in none is the reference (group 0).
    Categorical(Vec<usize>),
}

impl Shape {
    fn groups(&self) -> usize {
        match self {
            Shape::Numeric => 0,
            Shape::Categorical(cols) => cols.len() + 1,
        }
    }
}

/// Sums of a numeric feature `x` against the outcomes `y` (all shifted by their means):
/// n, Σx, Σx², then per outcome Σy, Σxy, Σy².
const NUM: usize = 3 + 3 * 3;
/// Sums of one category level: n, then per outcome Σy, Σy².
const CAT: usize = 1 + 2 * 3;

/// Every feature that alone predicts an outcome almost perfectly, in feature order: one fit per
/// feature and outcome, cross-validated with the training folds (`folds[i]` is row `i`'s fold).
pub fn find(
    schema: &Schema,
    encoded: &EncodedHistory,
    targets: &[[f64; 2]],
    folds: &[u8],
    k: usize,
) -> Vec<Leak> {
    let n = encoded.rows;
    if n < 2 || k < 2 {
        return Vec::new();
    }
    let shapes: Vec<Shape> = schema
        .features
        .iter()
        .map(|f| match f {
            Feature::Numeric(_) => Shape::Numeric,
            Feature::Categorical(c) => {
                Shape::Categorical(c.levels.iter().filter_map(|l| l.column).collect())
            }
        })
        .collect();
    let outcome = |i: usize| {
        let [r, b] = targets[i];
        [r, b, r - b]
    };
    // A level's group: 1 + its place among its feature's columns (0, the reference, has none).
    let mut group_of = vec![0; schema.n_columns()];
    for shape in &shapes {
        if let Shape::Categorical(cols) = shape {
            for (g, &c) in cols.iter().enumerate() {
                group_of[c] = g + 1;
            }
        }
    }
    let number = |j: usize, i: usize| match encoded.cell(j, i) {
        Cell::Number(v) => v,
        Cell::Category(_) => unreachable!("feature {j} is numeric"),
    };

    // Means, to shift by: sums of large amounts then keep their precision. The outcomes'
    // figures are summed here once. Each feature's sums below take the rows in the same order
    // in row order, the features spread over the threads, so every bit is the same on any number
    // of threads.
    let mut y_mean = [0.0; 3];
    for i in 0..n {
        for (m, y) in y_mean.iter_mut().zip(outcome(i)) {
            *m += y / n as f64;
        }
    }
    let mut sst = [0.0; 3];
    for i in 0..n {
        for (t, y) in outcome(i).into_iter().enumerate() {
            let v = y - y_mean[t];
            sst[t] += v * v;
        }
    }
    let centred = |i: usize| {
        let mut y = outcome(i);
        for (t, v) in y.iter_mut().enumerate() {
            *v -= y_mean[t];
        }
        y
    };

    // Per feature, per fold (and per level), the sums of the single-feature fits.
    let sums: Vec<Vec<f64>> =
        crate::parallel::map_parts(shapes.len(), crate::parallel::threads(), |j| {
            let s = &shapes[j];
            match s {
                Shape::Numeric => {
                    let mut x_mean = 0.0;
                    for i in 0..n {
                        x_mean += number(j, i) / n as f64;
                    }
                    let mut sums = vec![0.0; k * NUM];
                    for (i, &f) in folds.iter().enumerate().take(n) {
                        let f = f as usize;
                        let y = centred(i);
                        let v = number(j, i) - x_mean;
                        let a = &mut sums[f * NUM..(f + 1) * NUM];
                        a[0] += 1.0;
                        a[1] += v;
                        a[2] += v * v;
                        for t in 0..3 {
                            a[3 + 3 * t] += y[t];
                            a[4 + 3 * t] += v * y[t];
                            a[5 + 3 * t] += y[t] * y[t];
                        }
                    }
                    sums
                }
                Shape::Categorical(_) => {
                    let mut sums = vec![0.0; k * s.groups() * CAT];
                    for (i, &f) in folds.iter().enumerate().take(n) {
                        let f = f as usize;
                        let y = centred(i);
                        let g = match encoded.cell(j, i) {
                            Cell::Category(c) => c.map_or(0, |c| group_of[c]),
                            Cell::Number(_) => unreachable!("feature {j} is categorical"),
                        };
                        let at = (f * s.groups() + g) * CAT;
                        let a = &mut sums[at..at + CAT];
                        a[0] += 1.0;
                        for t in 0..3 {
                            a[1 + 2 * t] += y[t];
                            a[2 + 2 * t] += y[t] * y[t];
                        }
                    }
                    sums
                }
            }
        });

    let mut leaks = Vec::new();
    for ((feature, shape), sums) in schema.features.iter().zip(&shapes).zip(&sums) {
        let mut best: Option<Leak> = None;
        for t in 0..3 {
            // An outcome that does not vary (no burden terms, say) cannot be predicted.
            if sst[t] <= 1e-12 * (1.0 + y_mean[t].abs()) {
                continue;
            }
            let (sse, correlation) = match shape {
                Shape::Numeric => numeric_fit(sums, k, t),
                Shape::Categorical(_) => (categorical_fit(sums, k, shape.groups(), t), None),
            };
            let r2 = 1.0 - sse / sst[t];
            let leaky =
                r2 > LEAK_R2 || correlation.is_some_and(|c: f64| c.abs() > LEAK_CORRELATION);
            // Net value is return less burden: name it only when neither alone is flagged.
            let better = match &best {
                None => true,
                Some(_) if t == 2 => false,
                Some(b) => r2 > b.r2,
            };
            if leaky && better {
                best = Some(Leak {
                    feature: feature.name().to_string(),
                    target: OUTCOMES[t].to_string(),
                    r2,
                    correlation,
                });
            }
        }
        leaks.extend(best);
    }
    leaks
}

/// Held-out squared error of a straight line in one numeric feature for outcome `t`, and the
/// feature's correlation with the outcome over the whole history.
fn numeric_fit(sums: &[f64], k: usize, t: usize) -> (f64, Option<f64>) {
    let total: Vec<f64> = (0..NUM)
        .map(|c| (0..k).map(|f| sums[f * NUM + c]).sum())
        .collect();
    let (sy, sxy, syy) = (3 + 3 * t, 4 + 3 * t, 5 + 3 * t);
    let centred = |a: &[f64]| {
        let n = a[0];
        let sxx = a[2] - a[1] * a[1] / n;
        let sxy_c = a[sxy] - a[1] * a[sy] / n;
        let syy_c = a[syy] - a[sy] * a[sy] / n;
        (sxx, sxy_c, syy_c)
    };
    let mut sse = 0.0;
    for f in 0..k {
        let held = &sums[f * NUM..(f + 1) * NUM];
        let train: Vec<f64> = total.iter().zip(held).map(|(a, b)| a - b).collect();
        let n = train[0];
        if n < 1.0 {
            continue;
        }
        let (sxx, sxy_c, _) = centred(&train);
        let b = if sxx > 1e-12 * train[2].max(1e-300) {
            sxy_c / sxx
        } else {
            0.0
        };
        let a = train[sy] / n - b * train[1] / n;
        // Σ(y − a − b·x)² over the held-out fold, from its sums.
        sse += held[syy] - 2.0 * a * held[sy] - 2.0 * b * held[sxy]
            + held[0] * a * a
            + 2.0 * a * b * held[1]
            + b * b * held[2];
    }
    let (sxx, sxy_c, syy_c) = centred(&total);
    let correlation = (sxx > 0.0 && syy_c > 0.0).then(|| sxy_c / (sxx * syy_c).sqrt());
    (sse.max(0.0), correlation)
}

/// Held-out squared error of a mean per level of one categorical feature for outcome `t`; a
/// level no training customer had is predicted by the training mean.
fn categorical_fit(sums: &[f64], k: usize, groups: usize, t: usize) -> f64 {
    let at = |f: usize, g: usize, c: usize| sums[(f * groups + g) * CAT + c];
    let (sy, syy) = (1 + 2 * t, 2 + 2 * t);
    let total = |g: usize, c: usize| (0..k).map(|f| at(f, g, c)).sum::<f64>();
    let all = |c: usize| (0..groups).map(|g| total(g, c)).sum::<f64>();
    let (n_all, sy_all) = (all(0), all(sy));
    let mut sse = 0.0;
    for f in 0..k {
        let held_n: f64 = (0..groups).map(|g| at(f, g, 0)).sum();
        let held_sy: f64 = (0..groups).map(|g| at(f, g, sy)).sum();
        let fallback = if n_all - held_n > 0.0 {
            (sy_all - held_sy) / (n_all - held_n)
        } else {
            0.0
        };
        for g in 0..groups {
            let n = at(f, g, 0);
            if n == 0.0 {
                continue;
            }
            let train_n = total(g, 0) - n;
            let mean = if train_n > 0.0 {
                (total(g, sy) - at(f, g, sy)) / train_n
            } else {
                fallback
            };
            sse += at(f, g, syy) - 2.0 * mean * at(f, g, sy) + n * mean * mean;
        }
    }
    sse.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FeatureKind, FeatureSpec};
    use crate::fit::schema::FeatureValues;
    use crate::fit::training::assign_folds;

    fn run(values: Vec<FeatureValues>, specs: Vec<FeatureSpec>, targets: &[[f64; 2]]) -> Vec<Leak> {
        let (schema, _) = Schema::fit(&specs, &values, 1, usize::MAX, None).unwrap();
        let encoded = schema.encode_history(&values);
        let folds = assign_folds(targets.len(), 5, 42);
        find(&schema, &encoded, targets, &folds, 5)
    }

    fn spec(name: &str, kind: FeatureKind) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            kind,
            matching: crate::config::Matching::Normalized,
            aliases: Vec::new(),
        }
    }

    #[test]
    fn a_feature_that_sets_the_outcome_is_a_leak_and_a_noisy_one_is_not() {
        let n = 200;
        // months decides revenue; size only nudges it; region is noise.
        let months: Vec<f64> = (0..n).map(|i| (i % 48) as f64).collect();
        let size: Vec<f64> = (0..n).map(|i| ((i * 7) % 13) as f64).collect();
        let targets: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let wobble = ((i * 31) % 17) as f64;
                [months[i] * 100.0 + size[i] * 5.0 + wobble, 10.0 + wobble]
            })
            .collect();
        let codes: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        let dict = vec![Some("a".into()), Some("b".into()), Some("c".into())];
        let leaks = run(
            vec![
                FeatureValues::Numeric(months),
                FeatureValues::Numeric(size),
                FeatureValues::Categorical { codes, dict },
            ],
            vec![
                spec("months_active", FeatureKind::Numeric { log: false }),
                spec("size", FeatureKind::Numeric { log: false }),
                spec("region", FeatureKind::Categorical),
            ],
            &targets,
        );
        assert_eq!(leaks.len(), 1, "{leaks:?}");
        assert_eq!(leaks[0].feature, "months_active");
        assert_eq!(leaks[0].target, "lifetime return");
        assert!(leaks[0].r2 > 0.99, "{leaks:?}");
        assert!(leaks[0].correlation.unwrap() > 0.99);
    }

    #[test]
    fn a_category_that_sets_the_outcome_is_a_leak() {
        let n = 120;
        let codes: Vec<u32> = (0..n).map(|i| (i % 2) as u32).collect();
        let dict = vec![Some("churned".into()), Some("active".into())];
        let targets: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                [
                    if i % 2 == 0 { 100.0 } else { 5_000.0 } + (i % 5) as f64,
                    0.0,
                ]
            })
            .collect();
        let leaks = run(
            vec![FeatureValues::Categorical { codes, dict }],
            vec![spec("status", FeatureKind::Categorical)],
            &targets,
        );
        assert_eq!(leaks.len(), 1);
        assert_eq!(leaks[0].feature, "status");
        assert!(leaks[0].r2 > 0.99 && leaks[0].correlation.is_none());
    }
}
