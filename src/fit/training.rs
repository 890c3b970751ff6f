//! Fitting the two money models (lifetime return, service burden) on a history, with k-fold
//! cross-validation. The data is passed over three times in memory: once for column moments,
//! once to build each fold's sums `AᵀA` (see `ridge`), once to measure held-out errors with the
//! chosen penalties. The penalty search itself touches only the sums.
//!
//! With `model.half_life_days`, every customer counts its recency weight (`fit::recency`) in
//! those sums (the column moments, each fold's `AᵀA`, the log-link iterations) and in the
//! held-out errors that choose the penalty and the scale, so the fit leans on recent customers
//! at no extra cost. The reported cross-validated metrics, the interval and the decisions still
//! count every customer once: they say how the model did on the history as it was.

use ndarray::Array1;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::config::{Config, Penalty, Transform};
use crate::economics::Decisions;
use crate::error::{Error, Result};
use crate::fit::design::{params, Design};
use crate::fit::glm::{self, Coefficients, PassSums};
use crate::fit::history::History;
use crate::fit::recency::{Recency, RecencySummary};
use crate::fit::ridge::{Frame, Gram, ManySums, RidgeValidParams, Solution};
use crate::fit::schema::SchemaNotes;
use crate::model::equation::from_log_shifted;
use crate::model::file::{Link, Metrics, PenaltyTrial, ScaleChoice, TargetFit, Validation};
use crate::model::schema::Schema;
use crate::stats::{ErrorSums, Interval};

/// Penalties tried when `model.penalty = "auto"` (per row, on standardised columns).
pub const PENALTY_GRID: [f64; 12] = [
    0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0,
];

/// The two targets, in the order the sums keep them.
pub const TARGETS: [&str; 2] = ["lifetime return", "service burden"];

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
    /// The same customers' predicted return and burden, as shown (floors applied): what the
    /// decisions are made on.
    pub held_out_money: Vec<[f64; 2]>,
    /// Features that alone predict an outcome almost perfectly: likely known only after the
    /// relationship (see `fit::leaks`).
    pub leaks: Vec<crate::fit::leaks::Leak>,
    /// How recency weighting counted the customers; `None` without `model.half_life_days`.
    pub recency: Option<RecencySummary>,
    /// Outcomes far outside the rest, capped for the fit (`model.outcome_cap`), per target.
    pub outcome_caps: Vec<crate::fit::outliers::Capped>,
    /// The mean lifetime return and service burden the fit saw (after the caps): what a model
    /// that knows nothing would predict.
    pub mean_outcomes: [f64; 2],
    /// Each economics term predicted on its own (`fit::components`).
    pub components: crate::model::file::Components,
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
        config.model.max_levels,
        config.model.winsorize,
    )
    .map_err(|e| match e {
        // Said of a column of this history: name the file.
        Error::Data(problem) => Error::file(&history.path, problem),
        e => e,
    })?;
    // The config allows a half-life only with a date column, which the history then read.
    let recency = match (config.model.half_life_days, &history.dates, &config.date) {
        (Some(half_life), Some(dates), Some(column)) => {
            Some(Recency::new(dates, half_life, &history.path, column)?)
        }
        _ => None,
    };
    let design = Design::new(
        &schema,
        &history.values,
        recency.as_ref().map(|r| r.weights.clone()),
    );
    let p = schema.n_columns();

    // The outcomes as the fit sees them: one typo of a few extra digits must not move every
    // coefficient (see `fit::outliers`). Everything below learns and validates on these.
    let mut targets = history.targets.clone();
    let outcome_caps = match config.model.outcome_cap {
        Some(factor) => crate::fit::outliers::cap(&mut targets, factor),
        None => Vec::new(),
    };
    let targets = targets;
    check_magnitudes(history, &schema, &design, &targets)?;
    // Nothing but zeros is nothing to learn: every lead would come out at 0, tier A and
    // "contact", which a reviewer's history of zeroed outcomes did, silently.
    if targets.iter().all(|y| y[0] == 0.0 && y[1] == 0.0) {
        return Err(Error::file(
            &history.path,
            format!(
                "every customer's lifetime return and service burden is 0 ({n} customers), so there is nothing to learn; check that [economics] names the columns holding their money, hours and counts"
            ),
        ));
    }
    let mean_outcomes =
        [0, 1].map(|t| targets.iter().map(|y| y[t]).sum::<f64>() / targets.len() as f64);

    // Money targets, then their logs: ln(1 + y) for the targets that cannot be negative.
    let floor_return = config.economics.return_never_negative();
    let loggable = [
        floor_return && targets.iter().all(|y| y[0] >= 0.0),
        targets.iter().all(|y| y[1] >= 0.0),
    ];
    let try_log = [0, 1].map(|t| loggable[t] && config.model.transform != Transform::Linear);
    // The log link on the money itself, for the same targets, unless a scale is forced.
    let try_glm = [0, 1]
        .map(|t| try_log[t] && matches!(config.model.transform, Transform::Auto | Transform::Glm));
    let ys: Vec<[f64; 4]> = crate::parallel::map_each(&targets, |&[r, b]| {
        [r, b, r.max(0.0).ln_1p(), b.max(0.0).ln_1p()]
    });
    let frame = design.frame(&ys);
    let folds = assign_folds(n, k, config.model.seed);
    let leaks = crate::fit::leaks::find(&schema, &design.encoded, &targets, &folds, k);
    let fold_grams = design.fold_grams(&frame, &ys, &folds, k);
    let total = fold_grams
        .iter()
        .skip(1)
        .fold(fold_grams[0].clone(), |acc, g| acc.merged(g));
    let training_grams: Vec<Gram> = fold_grams.iter().map(|g| total.minus(g)).collect();

    let grid: Vec<f64> = match config.model.penalty {
        Penalty::Auto => PENALTY_GRID.to_vec(),
        Penalty::Fixed(v) => vec![v],
    };
    let mut trials: Vec<PenaltyTrial> = grid
        .iter()
        .map(|&penalty| PenaltyTrial {
            penalty,
            return_rmse: f64::NAN,
            burden_rmse: f64::NAN,
        })
        .collect();
    // The penalty of each of the four columns, by held-out error on its own scale.
    let mut chosen = [0.0; 4];
    for (t, chosen) in chosen.iter_mut().enumerate() {
        if t >= 2 && !try_log[t - 2] {
            continue;
        }
        let mut best = f64::INFINITY;
        for (g, &penalty) in grid.iter().enumerate() {
            let params = params(penalty)?;
            let mut sse = 0.0;
            for (train, held) in training_grams.iter().zip(&fold_grams) {
                let sol = solve(&params, train, t)?;
                sse += held.squared_error(t, sol.intercept, &sol.coef);
            }
            let rmse = (sse / design.total_weight()).sqrt() * frame.y_scale[t];
            match t {
                0 => trials[g].return_rmse = rmse,
                1 => trials[g].burden_rmse = rmse,
                _ => {}
            }
            // Strictly better only: among equals the smaller penalty, the plainer model, wins.
            if rmse < best * (1.0 - 1e-12) {
                best = rmse;
                *chosen = penalty;
            }
        }
    }
    let fit = |gram: &Gram, column: usize| -> Result<(Predictor, Vec<usize>)> {
        let sol = solve(&params(chosen[column])?, gram, column)?;
        let (intercept, coef) = sol.unscale(&frame, column);
        // Back to money from logs: the mean of exp(error) is exp(σ²/2) for normal errors, so
        // exp(prediction) alone would be biased low (the lognormal correction).
        let log_correction = (column >= 2).then(|| {
            let sse = gram.squared_error(column, sol.intercept, &sol.coef);
            let variance = sse / gram.rows() * frame.y_scale[column].powi(2);
            (variance / 2.0).exp()
        });
        Ok((
            Predictor {
                intercept,
                coef,
                log: log_correction.map(|c| (c, 1.0)),
            },
            sol.redundant,
        ))
    };
    // Log-link fits of the money itself, with the penalty the fit on ln(1 + y) chose: the folds'
    // and the full one, iterated together.
    let glm_fits: Vec<Option<LogLinkFits>> = (0..2)
        .map(|t| {
            try_glm[t]
                .then(|| {
                    design.fit_log_link(
                        &frame,
                        &targets,
                        t,
                        &folds,
                        &training_grams,
                        &total,
                        chosen[t + 2],
                    )
                })
                .flatten()
        })
        .collect();

    // Linear, log or log link, per target: whichever predicts held-out money best; among
    // equals the plainer, in that order.
    let mut choice = [ScaleChoice::new(TARGETS[0]), ScaleChoice::new(TARGETS[1])];
    if try_log.iter().any(|&l| l) {
        let mut fold_variants = Vec::with_capacity(k);
        for (f, g) in training_grams.iter().enumerate() {
            let mut v = Vec::with_capacity(6);
            for column in 0..4 {
                v.push(if column >= 2 && !try_log[column - 2] {
                    None
                } else {
                    Some(fit(g, column)?.0)
                });
            }
            for glm in &glm_fits {
                v.push(glm.as_ref().map(|m| m.folds[f].clone()));
            }
            fold_variants.push(v);
        }
        let sums = design.compare_scales(&targets, &folds, &fold_variants, floor_return);
        for t in 0..2 {
            if try_log[t] {
                let (linear_rmse, log_rmse) = (sums[t].rmse(), sums[2 + t].rmse());
                let glm_rmse = glm_fits[t].as_ref().map(|_| sums[4 + t].rmse());
                choice[t].linear_rmse = Some(linear_rmse);
                choice[t].log_rmse = Some(log_rmse);
                choice[t].glm_rmse = glm_rmse;
                choice[t].glm_iterations = glm_fits[t].as_ref().map(|m| m.iterations);
                let mut best = (Transform::Linear, linear_rmse);
                for (scale, rmse) in [(Transform::Log, Some(log_rmse)), (Transform::Glm, glm_rmse)]
                {
                    if let Some(rmse) = rmse {
                        if rmse < best.1 * (1.0 - 1e-9) {
                            best = (scale, rmse);
                        }
                    }
                }
                let pick = match config.model.transform {
                    Transform::Log => Transform::Log,
                    Transform::Glm if glm_rmse.is_some() => Transform::Glm,
                    _ => best.0,
                };
                choice[t].log = pick == Transform::Log;
                choice[t].glm = pick == Transform::Glm;
            }
        }
    }
    for t in 0..2 {
        choice[t].linear_penalty = chosen[t];
        choice[t].log_penalty = try_log[t].then_some(chosen[t + 2]);
        choice[t].forced = config.model.transform != Transform::Auto;
        choice[t].can_be_negative = !loggable[t];
    }
    // The log link shares the log fit's penalty.
    let column_of = |t: usize| {
        if choice[t].log || choice[t].glm {
            t + 2
        } else {
            t
        }
    };
    let glm_chosen = |t: usize| {
        glm_fits[t]
            .as_ref()
            .filter(|_| choice[t].glm)
            .expect("the log link is chosen only when fitted")
    };

    let mut redundant = Vec::new();
    let mut final_predictors = Vec::with_capacity(2);
    let mut fits = Vec::with_capacity(2);
    for t in 0..2 {
        let (predictor, dropped) = if choice[t].glm {
            // The same columns are redundant whatever the weights; the plain fit names them.
            (glm_chosen(t).full.clone(), fit(&total, t)?.1)
        } else {
            fit(&total, column_of(t))?
        };
        redundant = dropped;
        fits.push(TargetFit {
            penalty: chosen[column_of(t)],
            intercept: predictor.intercept,
            coefficients: predictor.coef.to_vec(),
            log_correction: predictor.log.filter(|_| !choice[t].glm).map(|(c, _)| c),
            link: choice[t].glm.then_some(Link::Log),
        });
        final_predictors.push(predictor);
    }
    let fits: [TargetFit; 2] = [fits[0].clone(), fits[1].clone()];
    let final_predictors = [final_predictors[0].clone(), final_predictors[1].clone()];

    // Held-out predictions with the chosen scales and penalties, for MAE and the net value.
    let fold_model = |f: usize, g: &Gram, t: usize| -> Result<Predictor> {
        if choice[t].glm {
            Ok(glm_chosen(t).folds[f].clone())
        } else {
            Ok(fit(g, column_of(t))?.0)
        }
    };
    let fold_models: Vec<[Predictor; 2]> = training_grams
        .iter()
        .enumerate()
        .map(|(f, g)| Ok([fold_model(f, g, 0)?, fold_model(f, g, 1)?]))
        .collect::<Result<_>>()?;
    let fold_means: Vec<[f64; 2]> = training_grams
        .iter()
        .map(|g| [g.target_mean(&frame, 0), g.target_mean(&frame, 1)])
        .collect();
    let HeldOut {
        sums: validation_sums,
        in_sample_net,
        predictions: held_out_net,
        money: held_out_money,
    } = design.held_out(
        &targets,
        &folds,
        &fold_models,
        &fold_means,
        &final_predictors,
        floor_return,
    );
    let metrics = |which: usize| summarise(&validation_sums, which);
    let validation = Validation {
        folds: k,
        seed: config.model.seed,
        lifetime_return: metrics(0),
        service_burden: metrics(1),
        net_value: metrics(2),
        penalty_search: trials,
        scale_choice: choice.to_vec(),
    };
    let decisions = Decisions::resolve(config.decisions, &in_sample_net);
    let interval = Interval::fit(&held_out_net, config.model.interval);
    let held_out = held_out_net;
    let components = crate::fit::components::fit(
        &crate::fit::components::Inputs {
            design: &design,
            frame: &frame,
            history,
            targets: &targets,
            folds: &folds,
            penalties: [chosen[0], chosen[1]],
            fold_grams: &fold_grams,
        },
        &config.economics,
    )?;
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
        held_out_money,
        leaks,
        recency: recency.map(|r| r.summary),
        outcome_caps,
        mean_outcomes,
        components,
    })
}

/// A fitted equation on the model columns, in money: linear, or in logs and transformed back as
/// money = exp(prediction) × correction − shift (ln(1 + y) with its bias correction: shift 1; a
/// log link: correction 1, shift 0).
#[derive(Debug, Clone)]
struct Predictor {
    intercept: f64,
    coef: Array1<f64>,
    /// (correction, shift) when in logs.
    log: Option<(f64, f64)>,
}

impl Predictor {
    /// The slopes, as [`Design::dots`] takes them.
    fn coefficients(&self) -> &[f64] {
        self.coef.as_slice().expect("contiguous")
    }

    /// The prediction in money, before any floor, for a history row whose dot product with the
    /// slopes is `dot` ([`Design::dots`]).
    fn money_of(&self, dot: f64) -> f64 {
        let v = self.intercept + dot;
        match self.log {
            Some((correction, shift)) => from_log_shifted(v, correction, shift),
            None => v,
        }
    }
}

/// One target's log-link fits: each fold's (trained without it) and the full history's.
#[derive(Debug, Clone)]
struct LogLinkFits {
    folds: Vec<Predictor>,
    full: Predictor,
    /// Weighted solves the full fit took.
    iterations: usize,
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

impl Design {
    /// Held-out money errors of every scale, for the targets where logs were tried:
    /// `[linear return, linear burden, log return, log burden, log-link return, log-link
    /// burden]`, floors applied as in scoring, each customer counting its weight.
    fn compare_scales(
        &self,
        targets: &[[f64; 2]],
        folds: &[u8],
        variants: &[Vec<Option<Predictor>>],
        floor_return: bool,
    ) -> [ErrorSums; 6] {
        // Per fold: the columns that have a model, and the models' slopes.
        let models_of: Vec<Vec<(usize, &Predictor)>> = variants
            .iter()
            .map(|fold| {
                fold.iter()
                    .enumerate()
                    .filter_map(|(column, m)| Some((column, m.as_ref()?)))
                    .collect()
            })
            .collect();
        let coefs_of: Vec<Vec<&[f64]>> = models_of
            .iter()
            .map(|models| models.iter().map(|(_, m)| m.coefficients()).collect())
            .collect();
        let parts = self.in_parts(|range| {
            let mut sums = [ErrorSums::default(); 6];
            let mut dots = [0.0; 6];
            for i in range {
                let f = folds[i] as usize;
                self.dots(i, &coefs_of[f], &mut dots);
                for (&(column, m), &dot) in models_of[f].iter().zip(&dots) {
                    let t = column % 2;
                    let floored = t == 1 || floor_return || column >= 2;
                    let v = m.money_of(dot);
                    let v = if floored { v.max(0.0) } else { v };
                    sums[column].add_weighted(targets[i][t], v, self.weight(i));
                }
            }
            sums
        });
        let mut sums = [ErrorSums::default(); 6];
        for part in &parts {
            for (a, b) in sums.iter_mut().zip(part) {
                a.merge(b);
            }
        }
        sums
    }

    /// Log-link fits of money target `t` (0 return, 1 burden): one per fold, trained on the
    /// other folds (`training_grams` give their means), and one on every row (`total`), by
    /// iteratively reweighted least squares (`glm`). `None` when a mean is not above zero or the
    /// iterations fail; the target then keeps the other scales.
    #[allow(clippy::too_many_arguments)]
    fn fit_log_link(
        &self,
        frame: &Frame,
        targets: &[[f64; 2]],
        t: usize,
        folds: &[u8],
        training_grams: &[Gram],
        total: &Gram,
        penalty: f64,
    ) -> Option<LogLinkFits> {
        let grams: Vec<&Gram> = training_grams.iter().chain([total]).collect();
        let means: Vec<f64> = grams.iter().map(|g| g.target_mean(frame, t)).collect();
        if means.iter().any(|m| !(m.is_finite() && *m > 0.0)) {
            return None;
        }
        let sums_y: Vec<f64> = grams
            .iter()
            .zip(&means)
            .map(|(g, m)| g.rows() * m)
            .collect();
        // Start from the fit on ln(1 + y) with the same penalty, in log units on standardised
        // columns: fewer passes than from the mean, and step-halving guards a poor start.
        let params = params(penalty).ok()?;
        let starts = grams
            .iter()
            .map(|g| {
                let sol = params.solve(g, t + 2).ok()?;
                let scale = frame.y_scale[t + 2];
                Some(Coefficients {
                    intercept: frame.y_shift[t + 2] + scale * sol.intercept,
                    coef: sol.coef * scale,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let fits = glm::fit_together(penalty, starts, &sums_y, &means, |trials| {
            self.log_link_pass(frame, targets, t, folds, &means, trials)
        })
        .ok()?;
        // Back to raw columns: η = a + Σ bⱼ (xⱼ − shiftⱼ) / scaleⱼ.
        let mut predictors: Vec<Predictor> = fits
            .iter()
            .map(|fit| {
                let c = &fit.coefficients;
                let coef = &c.coef / &frame.x_scale;
                Predictor {
                    intercept: c.intercept - coef.dot(&frame.x_shift),
                    coef,
                    log: Some((1.0, 0.0)),
                }
            })
            .collect();
        let full = predictors.pop().expect("the full fit is last");
        Some(LogLinkFits {
            folds: predictors,
            full,
            iterations: fits.last().expect("the full fit is last").iterations,
        })
    }

    /// One pass of the log-link iterations for target `t`: models `0..k` are the folds' (each
    /// leaves its own fold out), model `k` the full fit; finished models (`None`) are skipped.
    /// Each model's weighted sums are built in fixed parts and merged in order, like the plain
    /// sums, so the fit does not depend on the thread count.
    fn log_link_pass(
        &self,
        frame: &Frame,
        targets: &[[f64; 2]],
        t: usize,
        folds: &[u8],
        means: &[f64],
        trials: &[Option<Coefficients>],
    ) -> Vec<Option<PassSums>> {
        let p = self.p;
        let m = trials.len();
        // Each model's η on the sparse row (`Design::sparse_row`): a category's 1 enters raw,
        // so its slope is divided by the column's scale and its shift moves into the offset.
        // The slopes are laid out by column, then by model (`by_column[j * m + g]`; 0 for
        // finished models), so every model's η is summed in one sweep over the row's entries.
        let mut by_column = vec![0.0; p * m];
        let mut offsets = vec![0.0; m];
        let mut indicator = vec![false; p];
        for &j in &self.indicators {
            indicator[j] = true;
        }
        for (g, trial) in trials.iter().enumerate() {
            if let Some(c) = trial {
                offsets[g] = c.intercept;
                for (j, &b) in c.coef.iter().enumerate() {
                    if indicator[j] {
                        let slope = b / frame.x_scale[j];
                        by_column[j * m + g] = slope;
                        offsets[g] -= slope * frame.x_shift[j];
                    } else {
                        by_column[j * m + g] = b;
                    }
                }
            }
        }
        let irls: Vec<glm::Target> = means.iter().map(|&mean| glm::Target::new(mean)).collect();
        let (by_column, offsets, irls) = (&by_column, &offsets, &irls);
        let parts = self.in_parts(|range| {
            let mut sums = ManySums::new(p, 1, m);
            let mut deviance = vec![0.0; m];
            let mut row = self.sparse_buffer();
            let mut eta = vec![0.0; m];
            let (mut weights, mut working) = (vec![0.0; m], vec![0.0; m]);
            for i in range {
                self.sparse_row(i, frame, &mut row);
                let (index, value) = (row.index(), row.value());
                linear_predictors(&mut eta, offsets, by_column, &index[1..], &value[1..]);
                let fold = folds[i] as usize;
                let weight = self.weight(i);
                let y = targets[i][t];
                let ln_y = glm::ln_y(y);
                for (g, trial) in trials.iter().enumerate() {
                    // The model that holds this row out, or one already finished, adds
                    // nothing: a weight of 0 (see `ManySums`).
                    if g == fold || trial.is_none() {
                        (weights[g], working[g]) = (0.0, 0.0);
                        continue;
                    }
                    let (w, r, d) = irls[g].row(eta[g], y, ln_y, weight);
                    deviance[g] += d;
                    (weights[g], working[g]) = (w, r);
                }
                sums.add_row(index, value, &weights, (1 + p) as u32, &working);
            }
            (sums.into_sums(), deviance)
        });
        let mut deviance = vec![0.0; m];
        let mut part_sums = Vec::with_capacity(parts.len());
        for (sums, d) in parts {
            for (total, d) in deviance.iter_mut().zip(d) {
                *total += d;
            }
            part_sums.push(sums);
        }
        let grams = self.merge_parts(part_sums, frame);
        trials
            .iter()
            .zip(grams)
            .zip(deviance)
            .map(|((trial, gram), deviance)| trial.as_ref().map(|_| PassSums { gram, deviance }))
            .collect()
    }

    /// Held-out error sums per fold for return, burden and net (model and baseline), and the
    /// final model's in-sample net value per customer.
    fn held_out(
        &self,
        targets: &[[f64; 2]],
        folds: &[u8],
        models: &[[Predictor; 2]],
        means: &[[f64; 2]],
        fits: &[Predictor; 2],
        floor_return: bool,
    ) -> HeldOut {
        // The same floors as scoring, so the errors measure what users will see.
        let floor = |v: f64, applies: bool| if applies { v.max(0.0) } else { v };
        // Per fold, the four predictions of a row: the fold's return and burden models, then
        // the final ones.
        let coefs: Vec<[&[f64]; 4]> = models
            .iter()
            .map(|[ret, burden]| [ret, burden, &fits[0], &fits[1]].map(Predictor::coefficients))
            .collect();
        let parts = self.in_parts(|range| {
            let mut sums = vec![FoldSums::default(); models.len()];
            let mut in_sample = Vec::with_capacity(range.len());
            // Held-out (predicted net, predicted size, actual net), for the intervals.
            let mut held = Vec::with_capacity(range.len());
            let mut money = Vec::with_capacity(range.len());
            let mut dots = [0.0; 4];
            for i in range {
                let f = folds[i] as usize;
                let [ret_model, burden_model] = &models[f];
                self.dots(i, &coefs[f], &mut dots);
                let fitted_ret = ret_model.money_of(dots[0]);
                let fitted_burden = burden_model.money_of(dots[1]);
                let ret = floor(fitted_ret, floor_return);
                let burden = floor(fitted_burden, true);
                let actual = targets[i];
                let s = &mut sums[f];
                s.model[0].add(actual[0], ret);
                s.model[1].add(actual[1], burden);
                s.model[2].add(actual[0] - actual[1], ret - burden);
                s.mean[0].add(actual[0], means[f][0]);
                s.mean[1].add(actual[1], means[f][1]);
                s.mean[2].add(actual[0] - actual[1], means[f][0] - means[f][1]);
                s.linear[0].add(actual[0], fitted_ret);
                s.linear[1].add(actual[1], fitted_burden);
                held.push((ret - burden, ret.abs() + burden, actual[0] - actual[1]));
                money.push([ret, burden]);
                let r = floor(fits[0].money_of(dots[2]), floor_return);
                let b = floor(fits[1].money_of(dots[3]), true);
                in_sample.push(r - b);
            }
            (sums, in_sample, held, money)
        });
        let mut sums = vec![FoldSums::default(); models.len()];
        let mut in_sample = Vec::with_capacity(self.n);
        let mut held = Vec::with_capacity(self.n);
        let mut money = Vec::with_capacity(self.n);
        for (part_sums, part_in_sample, part_held, part_money) in parts {
            for (a, b) in sums.iter_mut().zip(&part_sums) {
                for t in 0..3 {
                    a.model[t].merge(&b.model[t]);
                    a.mean[t].merge(&b.mean[t]);
                }
                for t in 0..2 {
                    a.linear[t].merge(&b.linear[t]);
                }
            }
            in_sample.extend(part_in_sample);
            held.extend(part_held);
            money.extend(part_money);
        }
        HeldOut {
            sums,
            in_sample_net: in_sample,
            predictions: held,
            money,
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
    /// The same predictions' return and burden, as shown (floors applied).
    money: Vec<[f64; 2]>,
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
    let mut metrics =
        crate::fit::components::pooled(folds.iter().map(|f| (f.model[which], f.mean[which])));
    metrics.unfloored_r2 = (which < 2)
        .then(|| {
            let mut linear = ErrorSums::default();
            for f in folds {
                linear.merge(&f.linear[which]);
            }
            linear.r2()
        })
        .flatten();
    metrics
}

/// The largest size a value the fits sum may have: the sums of a million squares of values
/// below it stay finite (10³⁰⁰ · 10⁶ < 1.8 · 10³⁰⁸).
const MAX_FIT_VALUE: f64 = 1e150;

/// Refuses, naming the customer, a model column value or an outcome so large that the sums of
/// squares the fits are made of would not be finite. Only a value the model takes as it is gets
/// there (`model.winsorize = false`, no log): a typo of `1e160` for employees failed the fit
/// with "the data holds a value that is not a finite number", naming no file, line or column.
fn check_magnitudes(
    history: &History,
    schema: &Schema,
    design: &Design,
    targets: &[[f64; 2]],
) -> Result<()> {
    let too_large = |v: f64| v.is_nan() || v.abs() > MAX_FIT_VALUE;
    for (f, feature) in schema.features.iter().enumerate() {
        let crate::model::schema::Feature::Numeric(numeric) = feature else {
            continue;
        };
        let found = (0..design.n).find(|&i| {
            matches!(design.encoded.cell(f, i), crate::fit::schema::Cell::Number(x) if too_large(x))
        });
        if let Some(i) = found {
            let raw = match &history.values[f] {
                crate::fit::schema::FeatureValues::Numeric(v) => v[i],
                _ => f64::NAN,
            };
            return Err(Error::Field {
                path: history.path.clone(),
                line: history.lines[i],
                column: numeric.name.clone(),
                problem: format!(
                    "{raw:e} is too large to fit (beyond {MAX_FIT_VALUE:e}, its square overflows the fit's sums); check the value, or cap values at the training range with model.winsorize = true, or take its logarithm with features.log"
                ),
            });
        }
    }
    for (t, label) in ["lifetime return", "service burden"].iter().enumerate() {
        if let Some(i) = targets.iter().position(|y| too_large(y[t])) {
            return Err(Error::Row {
                path: history.path.clone(),
                line: history.lines[i],
                problem: format!(
                    "this customer's {label}, {:e}, is too large to fit (beyond {MAX_FIT_VALUE:e}, its square overflows the fit's sums); check its outcome columns",
                    targets[i][t]
                ),
            });
        }
    }
    Ok(())
}

/// Every model's linear predictor on one sparse row: `eta[g] = offsets[g] + Σ slope · value`
/// over the row's model entries (`index` the column plus 1, slopes laid out `by_column[j * m +
/// g]`), each model's additions in the row's order. With the default 5 folds (6 models) the
/// models are a fixed-width array the compiler keeps in vector registers: a loop over a slice of
/// runtime length took as long as the exponentials of the IRLS weights. The bits are the same
/// either way.
#[inline]
fn linear_predictors(
    eta: &mut [f64],
    offsets: &[f64],
    by_column: &[f64],
    index: &[u32],
    value: &[f64],
) {
    let m = eta.len();
    if m == 6 {
        return linear_predictors_of::<6>(eta, offsets, by_column, index, value);
    }
    eta.copy_from_slice(offsets);
    for (&j, &v) in index.iter().zip(value) {
        let slopes = &by_column[(j as usize - 1) * m..][..m];
        for (e, &b) in eta.iter_mut().zip(slopes) {
            *e += b * v;
        }
    }
}

#[inline]
fn linear_predictors_of<const M: usize>(
    eta: &mut [f64],
    offsets: &[f64],
    by_column: &[f64],
    index: &[u32],
    value: &[f64],
) {
    let mut sums: [f64; M] = offsets.try_into().expect("one offset per model");
    let (slopes, _) = by_column.as_chunks::<M>();
    for (&j, &v) in index.iter().zip(value) {
        let slope = &slopes[j as usize - 1];
        for g in 0..M {
            sums[g] += slope[g] * v;
        }
    }
    eta.copy_from_slice(&sums);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six models (the default folds and the full fit) take a fixed-width path, any other count
    /// a general one: both make each model's additions in the row's order, as a sum of its own
    /// would, so every bit is the same.
    #[test]
    fn linear_predictors_are_each_models_own_sum() {
        let (index, value) = ([1u32, 4, 5, 9], [1.0, -0.37, 2.5e-3, 1.0]);
        for m in [1, 4, 6, 7] {
            let by_column: Vec<f64> = (0..10 * m).map(|k| (k as f64 * 0.731).sin()).collect();
            let offsets: Vec<f64> = (0..m).map(|g| g as f64 * -0.25 + 0.1).collect();
            let mut eta = vec![0.0; m];
            linear_predictors(&mut eta, &offsets, &by_column, &index, &value);
            for g in 0..m {
                let mut own = offsets[g];
                for (&j, &v) in index.iter().zip(&value) {
                    own += by_column[(j as usize - 1) * m + g] * v;
                }
                assert_eq!(eta[g].to_bits(), own.to_bits(), "m = {m}, model {g}");
            }
        }
    }

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
