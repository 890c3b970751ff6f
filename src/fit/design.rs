//! The history's model columns as the fits read them: row by row (never held as a matrix), each
//! row counting its recency weight, split into parts fixed by the data so the sums are
//! bit-identical on any number of threads. Shared by the side fits (`training`) and the
//! components (`components`).

use ndarray::{Array1, Array2};

use crate::error::{Error, Result};
use crate::fit::ridge::{Frame, Gram, RidgeParams, RidgeValidParams};
use crate::fit::schema::{EncodedHistory, FeatureValues};
use crate::model::schema::Schema;
use crate::stats::{mean_sd, weighted_mean_sd};
use linfa::ParamGuard;

/// Rows per block added to the sums at once.
pub(super) const BLOCK_ROWS: usize = 8192;
/// Parts the rows are split into to build the sums in parallel. Fixed, not the thread count, so
/// the sums (and the model) are bit-identical on any machine.
const PARTS: usize = 4;

pub(super) fn params(penalty: f64) -> Result<RidgeValidParams> {
    RidgeParams::new()
        .penalty(penalty)
        .check()
        .map_err(|e| Error::Data(e.to_string()))
}

/// The history's model columns, read row by row (never held as a matrix), and what each row
/// counts in the sums.
pub(super) struct Design {
    pub(super) encoded: EncodedHistory,
    pub(super) p: usize,
    pub(super) n: usize,
    /// Recency weights, averaging 1; `None`: every row counts once.
    pub(super) weights: Option<Vec<f64>>,
}

impl Design {
    pub(super) fn new(
        schema: &Schema,
        values: &[FeatureValues],
        weights: Option<Vec<f64>>,
    ) -> Design {
        let encoded = schema.encode_history(values);
        debug_assert!(weights.as_ref().is_none_or(|w| w.len() == encoded.rows));
        Design {
            n: encoded.rows,
            p: schema.n_columns(),
            encoded,
            weights,
        }
    }

    pub(super) fn row(&self, i: usize, out: &mut [f64]) {
        self.encoded.row(i, out)
    }

    /// What row `i` counts in the sums: 1 without recency weights. Multiplying by 1 changes no
    /// bit, so the unweighted fit is exactly what it was before weights existed.
    pub(super) fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// The rows' total weight: their number without weights.
    pub(super) fn total_weight(&self) -> f64 {
        self.weights
            .as_ref()
            .map_or(self.n as f64, |w| w.iter().sum())
    }

    /// Runs `work` on the rows split into `PARTS` ranges, on as many threads as there are; the
    /// results come back in row order, so merging them in that order gives the same sums
    /// whatever the thread count.
    pub(super) fn in_parts<T: Send>(
        &self,
        work: impl Fn(std::ops::Range<usize>) -> T + Sync,
    ) -> Vec<T> {
        let parts = PARTS.min(self.n.div_ceil(BLOCK_ROWS).max(1));
        let per = self.n.div_ceil(parts);
        crate::parallel::map_parts(parts, crate::parallel::threads(), |t| {
            work((t * per)..((t + 1) * per).min(self.n))
        })
    }

    /// Column means and standard deviations of the design and the targets (weighted, with
    /// recency weights).
    pub(super) fn frame<const Q: usize>(&self, targets: &[[f64; Q]]) -> Frame {
        let p = self.p;
        let mut x = vec![0.0; p];
        // Shifted sums (by the first row) keep the variance accurate for large-valued columns.
        let mut shift = vec![0.0; p];
        self.row(0, &mut shift);
        let (mut s1, mut s2) = (vec![0.0; p], vec![0.0; p]);
        for i in 0..self.n {
            self.row(i, &mut x);
            let w = self.weight(i);
            for j in 0..p {
                let d = x[j] - shift[j];
                s1[j] += w * d;
                s2[j] += w * d * d;
            }
        }
        let nf = self.total_weight();
        let x_mean: Array1<f64> = (0..p).map(|j| shift[j] + s1[j] / nf).collect();
        let x_sd: Array1<f64> = (0..p)
            .map(|j| ((s2[j] - s1[j] * s1[j] / nf) / nf).max(0.0).sqrt())
            .collect();
        let (mut y_mean, mut y_sd) = (Array1::zeros(Q), Array1::zeros(Q));
        for t in 0..Q {
            let col: Vec<f64> = targets.iter().map(|y| y[t]).collect();
            let (m, sd) = match &self.weights {
                None => mean_sd(&col),
                Some(w) => weighted_mean_sd(&col, w),
            };
            y_mean[t] = m;
            y_sd[t] = sd;
        }
        Frame::from_moments(x_mean, x_sd, y_mean, y_sd)
    }

    /// Each fold's sums, built in parallel over fixed parts of the rows, each row counting its
    /// weight.
    pub(super) fn fold_grams<T: AsRef<[f64]> + Sync>(
        &self,
        frame: &Frame,
        targets: &[T],
        folds: &[u8],
        k: usize,
    ) -> Vec<Gram> {
        let p = self.p;
        let q = targets.first().map_or(0, |t| t.as_ref().len());
        let width = 1 + p + q;
        let partials = self.in_parts(|range| {
            let mut grams = vec![Gram::new(p, q); k];
            let mut blocks = vec![Array2::<f64>::zeros((BLOCK_ROWS, width)); k];
            let mut filled = vec![0usize; k];
            let mut x = vec![0.0; p];
            for i in range {
                let f = folds[i] as usize;
                self.row(i, &mut x);
                let mut row = blocks[f].row_mut(filled[f]);
                let out = row.as_slice_mut().expect("standard layout");
                match &self.weights {
                    None => frame.standardise_into(&x, targets[i].as_ref(), out),
                    Some(w) => frame.standardise_weighted_into(&x, targets[i].as_ref(), w[i], out),
                }
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
        });
        let mut out = partials[0].clone();
        for part in &partials[1..] {
            for f in 0..k {
                out[f] = out[f].merged(&part[f]);
            }
        }
        out
    }
}
