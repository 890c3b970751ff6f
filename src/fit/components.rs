//! Each economics term predicted on its own: sales hours, support hours, complaints, unpaid
//! invoices on the burden side; revenue, cost of goods, commissions, referrals on the return
//! side. A manager planning the team's hours needs the hours, not only their cost; and seeing
//! which parts of the burden the features predict (and which they do not) says what to trust.
//!
//! Every part is fitted with the same model columns, the same rows (and recency weights) and
//! the same penalty as its side's linear fit. Ridge is linear in the outcome, so the parts'
//! coefficients add up to the side's linear coefficients: on a linear scale the components add
//! up by construction, and scoring only spreads what floors (or a log scale) change over them
//! (`model::equation::Components`). The sums are built once more with the parts as targets; the
//! side fits' own sums are untouched, so adding components changed no bit of the model.

use ndarray::Array1;

use crate::economics::Economics;
use crate::error::{Error, Result};
use crate::fit::design::{params, Design};
use crate::fit::history::History;
use crate::fit::ridge::{Frame, Gram};
use crate::model::file::{ComponentFit, ComponentSign, Components, Metrics};
use crate::stats::{mean_sd, ErrorSums};

/// What the side fits were learnt from, shared with the components.
pub(super) struct Inputs<'a> {
    pub design: &'a Design,
    pub frame: &'a Frame,
    pub history: &'a History,
    /// The outcomes as the fit saw them, after the caps (`fit::outliers`).
    pub targets: &'a [[f64; 2]],
    pub folds: &'a [u8],
    /// The penalty each side's linear fit chose.
    pub penalties: [f64; 2],
    /// The side fits' sums per fold (one per fold: their number is the folds'), whose design
    /// block the parts' sums share.
    pub fold_grams: &'a [Gram],
}

/// Fits every term of `economics` on its own, with cross-validated figures.
pub(super) fn fit(inputs: &Inputs, economics: &Economics) -> Result<Components> {
    let Inputs {
        design,
        frame,
        history,
        targets,
        folds,
        penalties,
        fold_grams: side_grams,
    } = *inputs;
    let k = side_grams.len();
    let nt = history.terms_per_row;
    let n_return = economics.lifetime_return.len();
    let n = history.rows();
    let side = |c: usize| usize::from(c >= n_return);

    // A customer whose outcome was capped counts each of that side's terms scaled alike, so
    // the terms still add up to what the side's fit learnt from. Without caps (the usual
    // case) the history's own terms are used, not a copy: 8 bytes per term and customer.
    let capped = history.targets.iter().zip(targets).any(|(a, b)| a != b);
    let terms: std::borrow::Cow<[f64]> = if capped {
        let mut terms = history.terms.clone();
        for (i, row) in terms.chunks_exact_mut(nt).enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                let (read, capped) = (history.targets[i][side(c)], targets[i][side(c)]);
                if read != capped && read != 0.0 {
                    *v *= capped / read;
                }
            }
        }
        std::borrow::Cow::Owned(terms)
    } else {
        std::borrow::Cow::Borrowed(&history.terms)
    };
    // Each term's figures, in passes over the terms as they lie (row by row): the fit's mean
    // and spread (recency-weighted when the fit is), the mean of every customer counted once as
    // the side's reported figures count them, and the signs the term takes.
    let moments = crate::stats::column_mean_sds(&terms, nt, design.weights.as_deref());
    let (mut sums, mut below, mut above) = (vec![-0.0; nt], vec![false; nt], vec![false; nt]);
    for row in terms.chunks_exact(nt) {
        for (c, &v) in row.iter().enumerate() {
            sums[c] += v;
            below[c] |= v < 0.0;
            above[c] |= v > 0.0;
        }
    }
    let y_mean: Array1<f64> = moments.iter().map(|m| m.0).collect();
    let y_sd: Array1<f64> = moments.iter().map(|m| m.1).collect();
    let means: Vec<f64> = sums.iter().map(|s| s / n.max(1) as f64).collect();
    let signs: Vec<ComponentSign> = (0..nt)
        .map(|c| ComponentSign::from_signs(below[c], above[c]))
        .collect();
    // The side fits' standardisation of the model columns, so the parts' solutions are on the
    // same columns and add up.
    let parts_frame =
        Frame::from_moments(frame.x_shift.clone(), frame.x_scale.clone(), y_mean, y_sd);
    let rows: Vec<&[f64]> = terms.chunks_exact(nt).collect();
    let fold_grams = design.fold_grams_beside(&parts_frame, &rows, folds, side_grams);
    let total = fold_grams
        .iter()
        .skip(1)
        .fold(fold_grams[0].clone(), |acc, g| acc.merged(g));
    let training: Vec<Gram> = fold_grams.iter().map(|g| total.minus(g)).collect();

    let name = |c: usize| -> &str {
        if c < n_return {
            &economics.lifetime_return[c].name
        } else {
            &economics.service_burden[c - n_return].name
        }
    };
    let solve = |gram: &Gram, c: usize| -> Result<(f64, Vec<f64>)> {
        let sol = params(penalties[side(c)])?
            .solve(gram, c)
            .map_err(|e| Error::Data(format!("cannot fit the component \"{}\": {e}", name(c))))?;
        let (intercept, coef) = sol.unscale(&parts_frame, c);
        Ok((intercept, coef.to_vec()))
    };
    let full: Vec<(f64, Vec<f64>)> = (0..nt).map(|c| solve(&total, c)).collect::<Result<_>>()?;
    // fold_fits[f][c]: part c trained without fold f, and that training's mean of it.
    let fold_fits: Vec<Vec<(f64, Vec<f64>, f64)>> = training
        .iter()
        .map(|g| {
            (0..nt)
                .map(|c| {
                    let (a, b) = solve(g, c)?;
                    Ok((a, b, g.target_mean(&parts_frame, c)))
                })
                .collect::<Result<_>>()
        })
        .collect::<Result<_>>()?;

    // Held-out errors, sign held as scoring holds it, every customer counted once. Every
    // part's prediction of a row comes from one walk over it (`Design::dots`).
    let slopes: Vec<Vec<&[f64]>> = fold_fits
        .iter()
        .map(|fits| fits.iter().map(|(_, b, _)| b.as_slice()).collect())
        .collect();
    let parts = design.in_parts(|range| {
        let mut sums = vec![vec![(ErrorSums::default(), ErrorSums::default()); nt]; k];
        let mut dots = vec![0.0; nt];
        for i in range {
            let f = folds[i] as usize;
            design.dots(i, &slopes[f], &mut dots);
            for c in 0..nt {
                let (a, _, mean) = &fold_fits[f][c];
                let predicted = a + dots[c];
                let actual = terms[i * nt + c];
                sums[f][c].0.add(actual, signs[c].hold(predicted));
                sums[f][c].1.add(actual, *mean);
            }
        }
        sums
    });
    let mut sums = vec![vec![(ErrorSums::default(), ErrorSums::default()); nt]; k];
    for part in parts {
        for (fold, part_fold) in sums.iter_mut().zip(part) {
            for (s, t) in fold.iter_mut().zip(part_fold) {
                s.0.merge(&t.0);
                s.1.merge(&t.1);
            }
        }
    }

    let mut fits: Vec<ComponentFit> = full
        .into_iter()
        .enumerate()
        .map(|(c, (intercept, coefficients))| ComponentFit {
            term: name(c).to_string(),
            intercept,
            coefficients,
            mean: means[c],
            sign: signs[c],
            validation: pooled(sums.iter().map(|fold| fold[c])),
        })
        .collect();
    let service_burden = fits.split_off(n_return);
    Ok(Components {
        lifetime_return: fits,
        service_burden,
    })
}

/// Pooled held-out figures from each fold's (model, mean-only) error sums: R² and its spread
/// across folds, MAE and RMSE over all held-out rows, beside the mean-only baseline's.
pub(super) fn pooled(folds: impl Iterator<Item = (ErrorSums, ErrorSums)>) -> Metrics {
    let (mut model, mut mean) = (ErrorSums::default(), ErrorSums::default());
    let mut per_fold = Vec::new();
    let mut count = 0;
    for (m, b) in folds {
        model.merge(&m);
        mean.merge(&b);
        per_fold.extend(m.r2());
        count += 1;
    }
    Metrics {
        r2_sd: (per_fold.len() == count && count > 1).then(|| mean_sd(&per_fold).1),
        ..Metrics::of(&model, &mean)
    }
}
