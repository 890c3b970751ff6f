//! A log-link model fitted on the money itself (Poisson quasi-likelihood), by iteratively
//! reweighted least squares, for amounts that cannot be negative and whose effects multiply.
//!
//! Unlike a fit on ln(1 + y), it predicts the mean of the money directly (money = exp(η), no bias
//! correction, no shift), handles zeros, and never goes below zero, so a floor never hides a fit
//! that is wrong at the bottom.
//!
//! Each iteration is a weighted ridge solve on sums (`ridge::Gram`), so it keeps the one-pass
//! design of the linear fits: a pass over the rows adds `√w · [1 | z | working response]` into
//! one set of sums per model being fitted, with weight `w = μ / m` (`m` the mean of the target,
//! so the weights average about 1 and the ridge penalty means what it means elsewhere: per row,
//! on standardised columns). Several models (the cross-validation folds and the full fit) iterate
//! together, one pass per iteration. A step that raises the penalised deviance is halved. With
//! recency weights (`fit::recency`) a row's IRLS weight and its deviance are multiplied by its
//! own weight, and `Σy` below is the weighted sum.
//!
//! The penalised deviance minimised is `D + λ · Σy · Σ βⱼ²` with `D = 2 Σ [y ln(y/μ) − (y − μ)]`
//! and `β` the slopes on standardised columns, intercept unpenalised.

use ndarray::{Array1, ArrayView1, ArrayView2};

use linfa::ParamGuard;

use crate::fit::ridge::{Gram, RidgeError, RidgeParams};

/// Iterations (weighted solves) at most per fit.
pub const MAX_ITERATIONS: usize = 50;
/// Converged when the penalised deviance changes by less than this share of itself.
pub const TOLERANCE: f64 = 1e-8;
/// Halvings of one step at most before the fit stops where it is.
const MAX_HALVINGS: usize = 20;
/// The smallest mean a row is given, as a share of the target's mean, so a weight is never 0 and
/// a working response never infinite.
const MIN_MEAN_SHARE: f64 = 1e-12;

/// Coefficients on standardised columns: η = intercept + z · coef.
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficients {
    pub intercept: f64,
    pub coef: Array1<f64>,
}

impl Coefficients {
    /// The linear predictor η for one standardised row.
    pub fn eta(&self, z: &[f64]) -> f64 {
        self.intercept + self.coef.iter().zip(z).map(|(b, z)| b * z).sum::<f64>()
    }

    fn halfway_to(&self, other: &Coefficients) -> Coefficients {
        Coefficients {
            intercept: 0.5 * (self.intercept + other.intercept),
            coef: (&self.coef + &other.coef) * 0.5,
        }
    }
}

/// What one pass over a model's training rows gives at its trial coefficients.
#[derive(Debug, Clone)]
pub struct PassSums {
    /// The weighted sums `Σ w [1 | z | working response]ᵀ[...]` (one target column).
    pub gram: Gram,
    /// The Poisson deviance at the trial coefficients.
    pub deviance: f64,
}

/// A finished fit.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLinkFit {
    pub coefficients: Coefficients,
    /// Weighted solves done.
    pub iterations: usize,
    /// False when the iteration cap (or the halving cap) stopped it first.
    pub converged: bool,
    /// Penalised deviance at the coefficients: as computed by a pass, or, when Newton's rule
    /// stopped the fit without a pass to check its last step, as predicted by the last solve.
    pub deviance: f64,
}

/// One row's part of an IRLS pass at linear predictor `eta`, for a target whose mean is `mean`,
/// for a row that counts `weight` times (1 unless recency-weighted): (√(IRLS weight), working
/// response, deviance), both the IRLS weight and the deviance multiplied by `weight`. Callers
/// add `√(IRLS weight) · [1 | z | working response]`. A weight of 1 changes no bit.
pub fn irls_row(eta: f64, y: f64, mean: f64, weight: f64) -> (f64, f64, f64) {
    let (w, working, deviance) = Target::new(mean).row(eta, y, ln_y(y), weight);
    (w.sqrt(), working, deviance)
}

/// ln y for a positive target, 0 for zero (whose deviance term `y ln(y/μ)` is 0): worked out
/// once per row, not once per model a pass fits.
pub fn ln_y(y: f64) -> f64 {
    if y > 0.0 {
        y.ln()
    } else {
        0.0
    }
}

/// What a row's IRLS step needs to know of a model's target: its mean (the weights are
/// `μ / mean`) and the log of the smallest mean a row is given.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    mean: f64,
    ln_floor: f64,
}

impl Target {
    pub fn new(mean: f64) -> Target {
        Target {
            mean,
            ln_floor: (MIN_MEAN_SHARE * mean).ln(),
        }
    }

    /// (IRLS weight, working response, deviance) of a row with target `y` (`ln_y` = [`ln_y`]`(y)`)
    /// at linear predictor `eta`, weight and deviance multiplied by the row's `weight`. The
    /// deviance's `y ln(y/μ)` is `y (ln y − ln μ)`: no logarithm per model.
    #[inline]
    pub fn row(&self, eta: f64, y: f64, ln_y: f64, weight: f64) -> (f64, f64, f64) {
        // exp overflows past 709; no money amount is that large. The floor keeps every weight
        // above 0 and every working response finite.
        let ln_mu = eta.min(700.0).max(self.ln_floor);
        let mu = ln_mu.exp();
        let working = eta + (y - mu) / mu;
        let y_ln = if y > 0.0 { y * (ln_y - ln_mu) } else { 0.0 };
        let deviance = 2.0 * (y_ln - (y - mu));
        (weight * mu / self.mean, working, weight * deviance)
    }
}

/// Fits several log-link models at once. Model `g` starts from `starts[g]` (the log of its mean
/// with slopes 0 is always safe; a fit on ln(1 + y) is usually closer) and has the sum of the
/// target `sums_y[g]` over its training rows and its mean `means[g]` (the scale of its IRLS
/// weights); `pass` is given each unfinished model's trial coefficients (`None` for finished
/// ones) and returns its sums for those (one pass over the data for all of them).
///
/// A model stops when its penalised deviance no longer moves. A step whose predicted change
/// (from the quadratic model the weighted solve minimises) is already below the tolerance is
/// taken without a pass to check it: Newton's stopping rule, which saves the last pass, whose
/// only use would have been to confirm what the prediction says.
pub fn fit_together(
    penalty: f64,
    starts: Vec<Coefficients>,
    sums_y: &[f64],
    means: &[f64],
    mut pass: impl FnMut(&[Option<Coefficients>]) -> Vec<Option<PassSums>>,
) -> Result<Vec<LogLinkFit>, RidgeError> {
    let params = RidgeParams::new().penalty(penalty).check()?;
    struct State {
        accepted: Option<(Coefficients, f64)>,
        trial: Coefficients,
        iterations: usize,
        halvings: usize,
        done: bool,
        converged: bool,
    }
    let mut states: Vec<State> = starts
        .into_iter()
        .map(|trial| State {
            accepted: None,
            trial,
            iterations: 0,
            halvings: 0,
            done: false,
            converged: false,
        })
        .collect();
    let penalised = |g: usize, c: &Coefficients, deviance: f64| {
        deviance + penalty * sums_y[g] * c.coef.dot(&c.coef)
    };
    while states.iter().any(|s| !s.done) {
        let trials: Vec<Option<Coefficients>> = states
            .iter()
            .map(|s| (!s.done).then(|| s.trial.clone()))
            .collect();
        let sums = pass(&trials);
        for (g, (s, sums)) in states.iter_mut().zip(sums).enumerate() {
            let Some(sums) = sums else { continue };
            if s.done {
                continue;
            }
            let objective = penalised(g, &s.trial, sums.deviance);
            let previous = s.accepted.as_ref().map_or(f64::INFINITY, |(_, d)| *d);
            if objective.is_finite() && objective <= previous * (1.0 + 1e-12) {
                // An improvement (or a standstill): accept it, and stop once it no longer moves.
                let change = (previous - objective).abs();
                s.converged = change <= TOLERANCE * (objective.abs() + 0.1);
                s.accepted = Some((s.trial.clone(), objective));
                s.halvings = 0;
                if s.converged || s.iterations >= MAX_ITERATIONS {
                    s.done = true;
                    continue;
                }
                let sol = params.solve(&sums.gram, 0)?;
                s.iterations += 1;
                let next = Coefficients {
                    intercept: sol.intercept,
                    coef: sol.coef,
                };
                // D(β) ≈ D(β₀) + m·[SE(β) − SE(β₀)] near β₀, SE the weighted squared error of
                // the working response (weights μ/m) that the solve minimised.
                let gram = &sums.gram;
                let se = |c: &Coefficients| gram.squared_error(0, c.intercept, &c.coef);
                let predicted =
                    objective + means[g] * (se(&next) - se(&s.trial)) + penalised(g, &next, 0.0)
                        - penalised(g, &s.trial, 0.0);
                if predicted.is_finite()
                    && (objective - predicted).abs() <= TOLERANCE * (predicted.abs() + 0.1)
                {
                    s.accepted = Some((next.clone(), predicted));
                    s.converged = true;
                    s.done = true;
                }
                s.trial = next;
            } else {
                // The step went too far: halve it back towards the last good fit.
                s.halvings += 1;
                match &s.accepted {
                    Some((good, _)) if s.halvings <= MAX_HALVINGS => {
                        s.trial = good.halfway_to(&s.trial)
                    }
                    _ => s.done = true,
                }
            }
        }
    }
    states
        .into_iter()
        .map(|s| {
            let (coefficients, deviance) = s.accepted.ok_or(RidgeError::NotFinite)?;
            Ok(LogLinkFit {
                coefficients,
                iterations: s.iterations,
                converged: s.converged,
                deviance,
            })
        })
        .collect()
}

/// Fits one log-link model on an in-memory design (raw columns `x`, non-negative target `y`,
/// each row counted `weights[i]` times, or once): the same iterations training runs on its
/// folds, for tests and small uses. Columns are standardised by their (weighted) mean and
/// standard deviation; the coefficients returned are on raw columns.
pub fn fit_matrix(
    penalty: f64,
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    weights: Option<ArrayView1<f64>>,
) -> Result<(f64, Array1<f64>, LogLinkFit), RidgeError> {
    let (n, p) = x.dim();
    if n < 2 {
        return Err(RidgeError::NotEnoughRows(n));
    }
    let w = weights.map_or_else(|| Array1::ones(n), |w| w.to_owned());
    if w.len() != n || w.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(RidgeError::NotFinite);
    }
    let total = w.sum();
    let mean_x = w.dot(&x) / total;
    let sd_x =
        (w.dot(&(&x - &mean_x).mapv(|d| d * d)) / total)
            .mapv(|v| if v > 0.0 { v.sqrt() } else { 1.0 });
    let sum_y = w.dot(&y);
    let mean_y = sum_y / total;
    if mean_y.is_nan() || mean_y <= 0.0 {
        return Err(RidgeError::NotFinite);
    }
    let z: Vec<Vec<f64>> = x
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(j, v)| (v - mean_x[j]) / sd_x[j])
                .collect()
        })
        .collect();
    let start = Coefficients {
        intercept: mean_y.ln(),
        coef: Array1::zeros(p),
    };
    let fits = fit_together(penalty, vec![start], &[sum_y], &[mean_y], |trials| {
        trials
            .iter()
            .map(|t| {
                t.as_ref().map(|c| {
                    let mut gram = Gram::new(p, 1);
                    let mut block = ndarray::Array2::zeros((n, p + 2));
                    let mut deviance = 0.0;
                    for (i, zi) in z.iter().enumerate() {
                        let (sw, working, d) = irls_row(c.eta(zi), y[i], mean_y, w[i]);
                        deviance += d;
                        block[[i, 0]] = sw;
                        for j in 0..p {
                            block[[i, 1 + j]] = sw * zi[j];
                        }
                        block[[i, 1 + p]] = sw * working;
                    }
                    gram.add_block(block.view());
                    PassSums { gram, deviance }
                })
            })
            .collect()
    })?;
    let fit = fits.into_iter().next().expect("one model");
    let coef = &fit.coefficients.coef / &sd_x;
    let intercept = fit.coefficients.intercept - coef.dot(&mean_x);
    Ok((intercept, coef, fit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use rand::{Rng, SeedableRng};

    #[test]
    fn two_groups_recover_the_closed_form_poisson_fit() {
        // One dummy column: the Poisson MLE is each group's mean, exactly, zeros included.
        let x = array![[0.0], [0.0], [0.0], [0.0], [1.0], [1.0], [1.0]];
        let y = array![0.0, 2.0, 1.0, 5.0, 10.0, 0.0, 20.0];
        let (intercept, coef, fit) = fit_matrix(0.0, x.view(), y.view(), None).unwrap();
        assert!(fit.converged, "{fit:?}");
        assert!(fit.iterations <= 10, "{fit:?}");
        assert!((intercept - 2.0f64.ln()).abs() < 1e-8, "{intercept}");
        assert!((coef[0] - (10.0f64 / 2.0).ln()).abs() < 1e-8, "{coef}");
    }

    #[test]
    fn data_from_known_coefficients_gives_them_back() {
        // y ~ Poisson-like counts with mean exp(1 + 0.8 x₁ − 0.5 x₂), many of them zero.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let n = 20_000;
        let mut x = Array2::zeros((n, 2));
        let mut y = Array1::zeros(n);
        for i in 0..n {
            let (a, b): (f64, f64) = (rng.random_range(-1.5..1.5), rng.random_range(-1.0..2.0));
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            let mu = (1.0 + 0.8 * a - 0.5 * b).exp();
            // Exponential draws with mean μ: non-negative money, mean μ, heavy right tail.
            let u: f64 = rng.random_range(1e-12..1.0);
            y[i] = -mu * u.ln();
        }
        let (intercept, coef, fit) = fit_matrix(0.0, x.view(), y.view(), None).unwrap();
        assert!(fit.converged && fit.iterations < MAX_ITERATIONS, "{fit:?}");
        assert!((intercept - 1.0).abs() < 0.03, "{intercept}");
        assert!((coef[0] - 0.8).abs() < 0.03, "{coef}");
        assert!((coef[1] + 0.5).abs() < 0.03, "{coef}");
        // The score equation of the intercept: fitted means add up to the observed total.
        let fitted: f64 = (0..n)
            .map(|i| (intercept + coef[0] * x[[i, 0]] + coef[1] * x[[i, 1]]).exp())
            .sum();
        assert!(
            (fitted - y.sum()).abs() < 1e-6 * y.sum(),
            "{fitted} vs {}",
            y.sum()
        );
    }

    #[test]
    fn a_penalty_shrinks_the_slopes_but_not_the_total() {
        let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
        let y = array![1.0, 0.0, 3.0, 6.0, 9.0, 30.0];
        let (_, free, _) = fit_matrix(0.0, x.view(), y.view(), None).unwrap();
        let (a, shrunk, fit) = fit_matrix(0.3, x.view(), y.view(), None).unwrap();
        assert!(fit.converged);
        assert!(shrunk[0] > 0.0 && shrunk[0] < free[0], "{shrunk} vs {free}");
        let fitted: f64 = x.column(0).iter().map(|v| (a + shrunk[0] * v).exp()).sum();
        assert!((fitted - y.sum()).abs() < 1e-6 * y.sum());
    }

    #[test]
    fn a_weight_of_two_fits_like_a_row_twice() {
        let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
        let y = array![1.0, 0.0, 3.0, 6.0, 9.0, 30.0];
        let w = array![1.0, 1.0, 2.0, 1.0, 1.0, 1.0];
        let twice_x = array![[0.0], [1.0], [2.0], [2.0], [3.0], [4.0], [5.0]];
        let twice_y = array![1.0, 0.0, 3.0, 3.0, 6.0, 9.0, 30.0];
        for penalty in [0.0, 0.3] {
            let (a, b, _) = fit_matrix(penalty, x.view(), y.view(), Some(w.view())).unwrap();
            let (c, d, _) = fit_matrix(penalty, twice_x.view(), twice_y.view(), None).unwrap();
            assert!(
                (a - c).abs() < 1e-7 && (b[0] - d[0]).abs() < 1e-7,
                "{a} {b} vs {c} {d}"
            );
        }
        let (_, weighted, _) = fit_matrix(0.0, x.view(), y.view(), Some(w.view())).unwrap();
        let (_, plain, _) = fit_matrix(0.0, x.view(), y.view(), None).unwrap();
        assert!((weighted[0] - plain[0]).abs() > 1e-3);
    }

    #[test]
    fn a_weight_of_one_changes_no_bit_of_a_working_row() {
        for (eta, y) in [(0.3, 2.0), (-2.0, 0.0), (5.1, 170.0)] {
            let (sw, working, d) = irls_row(eta, y, 7.0, 1.0);
            let mu = f64::exp(eta);
            assert_eq!(sw, (mu / 7.0).sqrt());
            let (sw2, working2, d2) = irls_row(eta, y, 7.0, 4.0);
            assert_eq!((sw2, working2), (2.0 * sw, working));
            assert!((d2 - 4.0 * d).abs() < 1e-12 * d.abs().max(1.0));
        }
    }

    #[test]
    fn the_working_row_of_a_zero_is_finite() {
        let (sw, working, d) = irls_row(-800.0, 0.0, 10.0, 1.0);
        assert!(sw > 0.0 && working.is_finite() && d.is_finite());
        let (sw, working, d) = irls_row(2.0, 0.0, 10.0, 1.0);
        assert!((sw - (2f64.exp() / 10.0).sqrt()).abs() < 1e-12);
        assert!((working - 1.0).abs() < 1e-12);
        assert!((d - 2.0 * 2f64.exp()).abs() < 1e-12);
    }
}
