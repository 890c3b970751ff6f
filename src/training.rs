//! Fitting the two money models (lifetime return, service burden) on a history, with k-fold
//! cross-validation. The data is passed over three times in memory: once for column moments,
//! once to build each fold's sums `AᵀA` (see `ridge`), once to measure held-out errors with the
//! chosen penalties. The penalty search itself touches only the sums.

use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::config::{Config, Penalty};
use crate::economics::Decisions;
use crate::error::{Error, Result};
use crate::features::{EncodedHistory, FeatureValues, Schema, SchemaNotes};
use crate::history::History;
use crate::ridge::{Frame, Gram, RidgeParams, RidgeValidParams, Solution};
use crate::stats::{mean_sd, ErrorSums, Interval};
use linfa::ParamGuard;

/// Penalties tried when `model.penalty = "auto"` (per row, on standardised columns).
pub const PENALTY_GRID: [f64; 12] = [
    0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0,
];

/// The two targets, in the order the sums keep them.
pub const TARGETS: [&str; 2] = ["lifetime return", "service burden"];

/// Rows per block added to the sums at once.
const BLOCK_ROWS: usize = 8192;
/// Parts the rows are split into to build the sums in parallel.
const PARTS: usize = 4;

/// One target's linear model on the schema's columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFit {
    pub penalty: f64,
    pub intercept: f64,
    pub coefficients: Vec<f64>,
}

/// Cross-validated figures for one target, beside a mean-only baseline. R² is pooled over all
/// held-out rows (so a model that predicts the average scores about 0), with its spread across
/// folds; MAE and RMSE are over all held-out rows. Predictions are as users see them, floors at
/// zero included; `linear_r2` is the R² of the linear fit alone, for comparison with other tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    pub r2: Option<f64>,
    pub r2_sd: Option<f64>,
    pub mae: f64,
    pub rmse: f64,
    pub baseline_r2: Option<f64>,
    pub baseline_mae: f64,
    pub baseline_rmse: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_r2: Option<f64>,
}

/// Everything cross-validation measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    pub folds: usize,
    pub seed: u64,
    pub lifetime_return: Metrics,
    pub service_burden: Metrics,
    pub net_value: Metrics,
    /// Cross-validated RMSE in money of each penalty tried, per target.
    pub penalty_search: Vec<PenaltyTrial>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyTrial {
    pub penalty: f64,
    pub return_rmse: f64,
    pub burden_rmse: f64,
}

/// What training produced, before it becomes a model file.
#[derive(Debug)]
pub struct Trained {
    pub schema: Schema,
    /// The rare-category threshold used.
    pub min_category_count: usize,
    pub notes: SchemaNotes,
    pub column_means: Vec<f64>,
    pub fits: [TargetFit; 2],
    pub redundant: Vec<usize>,
    pub validation: Validation,
    pub decisions: Decisions,
    /// The net-value interval, from the held-out residuals; `None` on too small a history.
    pub interval: Option<Interval>,
    /// Each customer's (predicted net, predicted size, actual net) from the fold that held it
    /// out, in history order: what `evaluate` judges the model on.
    pub held_out: Vec<(f64, f64, f64)>,
}

pub fn train(history: &History, config: &Config) -> Result<Trained> {
    let n = history.rows();
    let k = config.model.folds;
    if n < 2 * k {
        return Err(Error::Data(format!(
            "{}: {n} usable customers is too few for {k}-fold cross-validation (need at least {})",
            history.path,
            2 * k
        )));
    }
    let (schema, notes) = Schema::fit(
        &config.features,
        &history.values,
        config.model.min_category_count_for(n),
        config.model.winsorize,
    )?;
    let design = Design::new(&schema, &history.values);
    let p = schema.n_columns();

    let frame = design.frame(&history.targets);
    let folds = assign_folds(n, k, config.model.seed);
    let fold_grams = design.fold_grams(&frame, &history.targets, &folds, k);
    let total = fold_grams
        .iter()
        .skip(1)
        .fold(fold_grams[0].clone(), |acc, g| acc.merged(g));
    let training_grams: Vec<Gram> = fold_grams.iter().map(|g| total.minus(g)).collect();

    let grid: Vec<f64> = match config.model.penalty {
        Penalty::Auto => PENALTY_GRID.to_vec(),
        Penalty::Fixed(v) => vec![v],
    };
    let mut chosen = [0.0; 2];
    let mut trials: Vec<PenaltyTrial> = grid
        .iter()
        .map(|&penalty| PenaltyTrial {
            penalty,
            return_rmse: f64::NAN,
            burden_rmse: f64::NAN,
        })
        .collect();
    for (t, chosen) in chosen.iter_mut().enumerate() {
        let mut best = f64::INFINITY;
        for (g, &penalty) in grid.iter().enumerate() {
            let params = params(penalty)?;
            let mut sse = 0.0;
            for (train, held) in training_grams.iter().zip(&fold_grams) {
                let sol = solve(&params, train, t)?;
                sse += held.squared_error(t, sol.intercept, &sol.coef);
            }
            let rmse = (sse / n as f64).sqrt() * frame.y_scale[t];
            if t == 0 {
                trials[g].return_rmse = rmse;
            } else {
                trials[g].burden_rmse = rmse;
            }
            // Strictly better only: among equals the smaller penalty, the plainer model, wins.
            if rmse < best * (1.0 - 1e-12) {
                best = rmse;
                *chosen = penalty;
            }
        }
    }

    let mut redundant = Vec::new();
    let fits: Vec<TargetFit> = (0..2)
        .map(|t| {
            let sol = solve(&params(chosen[t])?, &total, t)?;
            redundant = sol.redundant.clone();
            let (intercept, coef) = sol.unscale(&frame, t);
            Ok(TargetFit {
                penalty: chosen[t],
                intercept,
                coefficients: coef.to_vec(),
            })
        })
        .collect::<Result<_>>()?;
    let fits: [TargetFit; 2] = [fits[0].clone(), fits[1].clone()];

    // Held-out predictions with the chosen penalties, for MAE and the net value.
    let fold_models: Vec<[(f64, Array1<f64>); 2]> = training_grams
        .iter()
        .map(|g| {
            let fit = |t: usize| -> Result<(f64, Array1<f64>)> {
                Ok(solve(&params(chosen[t])?, g, t)?.unscale(&frame, t))
            };
            Ok([fit(0)?, fit(1)?])
        })
        .collect::<Result<_>>()?;
    let fold_means: Vec<[f64; 2]> = training_grams
        .iter()
        .map(|g| [g.target_mean(&frame, 0), g.target_mean(&frame, 1)])
        .collect();
    let HeldOut {
        sums: validation_sums,
        in_sample_net,
        predictions: held_out_net,
    } = design.held_out(
        &history.targets,
        &folds,
        &fold_models,
        &fold_means,
        &fits,
        config.economics.return_never_negative(),
    );
    let metrics = |which: usize| summarise(&validation_sums, which);
    let validation = Validation {
        folds: k,
        seed: config.model.seed,
        lifetime_return: metrics(0),
        service_burden: metrics(1),
        net_value: metrics(2),
        penalty_search: trials,
    };
    let decisions = Decisions::resolve(config.decisions, &in_sample_net);
    let interval = Interval::fit(&held_out_net, config.model.interval);
    let held_out = held_out_net;
    debug_assert_eq!(frame.x_shift.len(), p);
    Ok(Trained {
        min_category_count: config.model.min_category_count_for(n),
        schema,
        notes,
        column_means: frame.x_shift.to_vec(),
        fits,
        redundant,
        validation,
        decisions,
        interval,
        held_out,
    })
}

fn params(penalty: f64) -> Result<RidgeValidParams> {
    RidgeParams::new()
        .penalty(penalty)
        .check()
        .map_err(|e| Error::Data(e.to_string()))
}

fn solve(params: &RidgeValidParams, gram: &Gram, t: usize) -> Result<Solution> {
    params
        .solve(gram, t)
        .map_err(|e| Error::Data(format!("cannot fit {}: {e}", TARGETS[t])))
}

/// Assigns each row to one of `k` folds of near-equal size, reproducibly from `seed`.
pub fn assign_folds(n: usize, k: usize, seed: u64) -> Vec<u8> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let mut folds = vec![0u8; n];
    for (pos, &row) in order.iter().enumerate() {
        folds[row as usize] = (pos % k) as u8;
    }
    folds
}

/// The history's model columns, read row by row (never held as a matrix).
struct Design {
    encoded: EncodedHistory,
    p: usize,
    n: usize,
}

impl Design {
    fn new(schema: &Schema, values: &[FeatureValues]) -> Design {
        let encoded = schema.encode_history(values);
        Design {
            n: encoded.rows,
            p: schema.n_columns(),
            encoded,
        }
    }

    fn row(&self, i: usize, out: &mut [f64]) {
        self.encoded.row(i, out)
    }

    /// Column means and standard deviations of the design and the targets.
    fn frame(&self, targets: &[[f64; 2]]) -> Frame {
        let p = self.p;
        let mut x = vec![0.0; p];
        // Shifted sums (by the first row) keep the variance accurate for large-valued columns.
        let mut shift = vec![0.0; p];
        self.row(0, &mut shift);
        let (mut s1, mut s2) = (vec![0.0; p], vec![0.0; p]);
        for i in 0..self.n {
            self.row(i, &mut x);
            for j in 0..p {
                let d = x[j] - shift[j];
                s1[j] += d;
                s2[j] += d * d;
            }
        }
        let nf = self.n as f64;
        let x_mean: Array1<f64> = (0..p).map(|j| shift[j] + s1[j] / nf).collect();
        let x_sd: Array1<f64> = (0..p)
            .map(|j| ((s2[j] - s1[j] * s1[j] / nf) / nf).max(0.0).sqrt())
            .collect();
        let (mut y_mean, mut y_sd) = (Array1::zeros(2), Array1::zeros(2));
        for t in 0..2 {
            let col: Vec<f64> = targets.iter().map(|y| y[t]).collect();
            let (m, sd) = mean_sd(&col);
            y_mean[t] = m;
            y_sd[t] = sd;
        }
        Frame::from_moments(x_mean, x_sd, y_mean, y_sd)
    }

    /// Each fold's sums, built over the rows split between the machine's cores.
    fn fold_grams(&self, frame: &Frame, targets: &[[f64; 2]], folds: &[u8], k: usize) -> Vec<Gram> {
        let p = self.p;
        let width = 1 + p + 2;
        // A fixed number of parts, whatever the machine's cores: floating-point sums then add up
        // in the same order everywhere, so the same data and seed give a bit-identical model.
        let threads = PARTS.min(self.n.div_ceil(BLOCK_ROWS).max(1));
        let per = self.n.div_ceil(threads);
        let partials: Vec<Vec<Gram>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = (t * per)..((t + 1) * per).min(self.n);
                    scope.spawn(move || {
                        let mut grams = vec![Gram::new(p, 2); k];
                        let mut blocks = vec![Array2::<f64>::zeros((BLOCK_ROWS, width)); k];
                        let mut filled = vec![0usize; k];
                        let mut x = vec![0.0; p];
                        for i in range {
                            let f = folds[i] as usize;
                            self.row(i, &mut x);
                            let mut row = blocks[f].row_mut(filled[f]);
                            frame.standardise_into(
                                &x,
                                &targets[i],
                                row.as_slice_mut().expect("standard layout"),
                            );
                            filled[f] += 1;
                            if filled[f] == BLOCK_ROWS {
                                grams[f].add_block(blocks[f].view());
                                filled[f] = 0;
                            }
                        }
                        for f in 0..k {
                            if filled[f] > 0 {
                                grams[f].add_block(blocks[f].slice(ndarray::s![..filled[f], ..]));
                            }
                        }
                        grams
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("worker does not panic"))
                .collect()
        });
        let mut out = partials[0].clone();
        for part in &partials[1..] {
            for f in 0..k {
                out[f] = out[f].merged(&part[f]);
            }
        }
        out
    }

    /// Held-out error sums per fold for return, burden and net (model and baseline), and the
    /// final model's in-sample net value per customer.
    fn held_out(
        &self,
        targets: &[[f64; 2]],
        folds: &[u8],
        models: &[[(f64, Array1<f64>); 2]],
        means: &[[f64; 2]],
        fits: &[TargetFit; 2],
        floor_return: bool,
    ) -> HeldOut {
        // The same floors as scoring, so the errors measure what users will see.
        let floor = |v: f64, applies: bool| if applies { v.max(0.0) } else { v };
        let p = self.p;
        let mut sums = vec![FoldSums::default(); models.len()];
        let mut in_sample = Vec::with_capacity(self.n);
        // Held-out (predicted net, predicted size, actual net), for the intervals.
        let mut held = Vec::with_capacity(self.n);
        let mut x = vec![0.0; p];
        let dot = |b: &[f64], x: &[f64]| b.iter().zip(x).map(|(b, x)| b * x).sum::<f64>();
        for i in 0..self.n {
            self.row(i, &mut x);
            let f = folds[i] as usize;
            let [(ri, rb), (bi, bb)] = &models[f];
            let linear_ret = ri + dot(rb.as_slice().expect("contiguous"), &x);
            let linear_burden = bi + dot(bb.as_slice().expect("contiguous"), &x);
            let ret = floor(linear_ret, floor_return);
            let burden = floor(linear_burden, true);
            let actual = targets[i];
            let s = &mut sums[f];
            s.model[0].add(actual[0], ret);
            s.model[1].add(actual[1], burden);
            s.model[2].add(actual[0] - actual[1], ret - burden);
            s.mean[0].add(actual[0], means[f][0]);
            s.mean[1].add(actual[1], means[f][1]);
            s.mean[2].add(actual[0] - actual[1], means[f][0] - means[f][1]);
            s.linear[0].add(actual[0], linear_ret);
            s.linear[1].add(actual[1], linear_burden);
            held.push((ret - burden, ret.abs() + burden, actual[0] - actual[1]));
            let r = floor(
                fits[0].intercept + dot(&fits[0].coefficients, &x),
                floor_return,
            );
            let b = floor(fits[1].intercept + dot(&fits[1].coefficients, &x), true);
            in_sample.push(r - b);
        }
        HeldOut {
            sums,
            in_sample_net: in_sample,
            predictions: held,
        }
    }
}

/// What the held-out pass measured.
struct HeldOut {
    sums: Vec<FoldSums>,
    /// The final model's net value for each customer (for the decision thresholds).
    in_sample_net: Vec<f64>,
    /// Each customer's (predicted net, predicted size, actual net) from the fold that held it
    /// out, in history order.
    predictions: Vec<(f64, f64, f64)>,
}

/// Held-out error sums of one fold: the model as shown (floors applied), the mean-only baseline,
/// for return, burden and net; and the linear fit alone, for return and burden.
#[derive(Debug, Clone, Copy, Default)]
struct FoldSums {
    model: [ErrorSums; 3],
    mean: [ErrorSums; 3],
    linear: [ErrorSums; 2],
}

/// The metrics of target `which` (0 return, 1 burden, 2 net) from every fold's sums.
fn summarise(folds: &[FoldSums], which: usize) -> Metrics {
    let pooled = |pick: &dyn Fn(&FoldSums) -> ErrorSums| {
        let mut all = ErrorSums::default();
        let mut per_fold = Vec::new();
        for f in folds {
            let s = pick(f);
            all.merge(&s);
            per_fold.extend(s.r2());
        }
        let sd = (per_fold.len() == folds.len() && folds.len() > 1).then(|| mean_sd(&per_fold).1);
        (all, sd)
    };
    let (model, r2_sd) = pooled(&|f| f.model[which]);
    let (mean, _) = pooled(&|f| f.mean[which]);
    let linear = (which < 2)
        .then(|| pooled(&|f| f.linear[which]).0.r2())
        .flatten();
    Metrics {
        r2: model.r2(),
        r2_sd,
        mae: model.mae(),
        rmse: model.rmse(),
        baseline_r2: mean.r2(),
        baseline_mae: mean.mae(),
        baseline_rmse: mean.rmse(),
        linear_r2: linear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced_and_reproducible() {
        let a = assign_folds(103, 5, 7);
        assert_eq!(a, assign_folds(103, 5, 7));
        assert_ne!(a, assign_folds(103, 5, 8));
        let mut counts = [0; 5];
        for f in &a {
            counts[*f as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c == 20 || c == 21), "{counts:?}");
    }
}
