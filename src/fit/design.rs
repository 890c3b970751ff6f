//! The history's model columns as the fits read them: row by row (never held as a matrix), each
//! row counting its recency weight, split into parts fixed by the data so the sums are
//! bit-identical on any number of threads. Shared by the side fits (`training`) and the
//! components (`components`).

use ndarray::Array1;

use crate::error::{Error, Result};
use crate::fit::ridge::{Frame, Gram, RidgeParams, RidgeValidParams, SparseSums};
use crate::fit::schema::{Cell, EncodedHistory, FeatureValues};
use crate::model::schema::{Feature, Schema};
use crate::stats::{mean_sd, weighted_mean_sd};
use linfa::ParamGuard;

/// Rows per part at least: a small history is not split.
pub(super) const MIN_PART_ROWS: usize = 8192;
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
    /// The model columns that hold a category's 0/1, which the sparse sums take raw.
    pub(super) indicators: Vec<usize>,
}

/// One row's non-zero entries, in buffers sized once for the widest row: the column indices
/// of the sparse sums (0 the intercept, `1 + j` model column `j`) and their values.
pub(super) struct SparseRow {
    index: Vec<u32>,
    value: Vec<f64>,
    len: usize,
}

impl SparseRow {
    pub(super) fn index(&self) -> &[u32] {
        &self.index[..self.len]
    }

    pub(super) fn value(&self) -> &[f64] {
        &self.value[..self.len]
    }
}

impl Design {
    pub(super) fn new(
        schema: &Schema,
        values: &[FeatureValues],
        weights: Option<Vec<f64>>,
    ) -> Design {
        let encoded = schema.encode_history(values);
        debug_assert!(weights.as_ref().is_none_or(|w| w.len() == encoded.rows));
        let indicators = schema
            .features
            .iter()
            .flat_map(|f| match f {
                Feature::Categorical(c) => c.levels.iter().filter_map(|l| l.column).collect(),
                Feature::Numeric(_) => Vec::new(),
            })
            .collect();
        Design {
            n: encoded.rows,
            p: schema.n_columns(),
            encoded,
            weights,
            indicators,
        }
    }

    /// Row `i` as the sparse sums take it ([`SparseSums::add`]): the intercept, each category
    /// column present (raw 1) and each numeric column standardised by `frame`.
    #[inline]
    pub(super) fn sparse_row(&self, i: usize, frame: &Frame, row: &mut SparseRow) {
        row.index[0] = 0;
        row.value[0] = 1.0;
        row.len =
            self.encoded
                .write_nonzero(i, &mut row.index, &mut row.value, 1, |j, x, category| {
                    // A category's 1 enters raw (standardised in `SparseSums::into_gram`).
                    if category {
                        1.0
                    } else {
                        (x - frame.x_shift[j]) / frame.x_scale[j]
                    }
                });
    }

    /// Room for any row of this design ([`Design::sparse_row`]).
    pub(super) fn sparse_buffer(&self) -> SparseRow {
        let width = 1 + self.encoded.features();
        SparseRow {
            index: vec![0; width],
            value: vec![0.0; width],
            len: 0,
        }
    }

    /// `Σ coefⱼ xⱼ` over row `i`'s model columns for each of several coefficient vectors, in
    /// one walk over the row: each bit for bit the sum over the dense row.
    #[inline]
    pub(super) fn dots(&self, i: usize, coefs: &[&[f64]], out: &mut [f64]) {
        self.encoded.dots(i, coefs, out)
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
        let parts = PARTS.min(self.n.div_ceil(MIN_PART_ROWS).max(1));
        let per = self.n.div_ceil(parts);
        crate::parallel::map_parts(parts, crate::parallel::threads(), |t| {
            work((t * per)..((t + 1) * per).min(self.n))
        })
    }

    /// Column means and standard deviations of the design and the targets (weighted, with
    /// recency weights).
    pub(super) fn frame<const Q: usize>(&self, targets: &[[f64; Q]]) -> Frame {
        let p = self.p;
        // Shifted sums (by the first row) keep the variance accurate for large-valued columns.
        let mut shift = vec![0.0; p];
        self.row(0, &mut shift);
        // One task per feature (its columns) and per target, spread over the threads. Each
        // column's sums take the rows in order, as one pass over the dense rows did, so every
        // bit is the same on any number of threads. A column no feature fills stays 0, as the
        // dense rows' zeros left it.
        let features = self.encoded.features();
        enum Moments {
            Columns(Vec<(usize, f64, f64)>),
            Target(f64, f64),
        }
        let shift = &shift;
        let tasks = crate::parallel::map_parts(features + Q, crate::parallel::threads(), |task| {
            if task >= features {
                let t = task - features;
                let col: Vec<f64> = targets.iter().map(|y| y[t]).collect();
                let (m, sd) = match &self.weights {
                    None => mean_sd(&col),
                    Some(w) => weighted_mean_sd(&col, w),
                };
                return Moments::Target(m, sd);
            }
            let columns = self.encoded.columns(task, p);
            let (mut s1, mut s2) = (vec![0.0; columns.len()], vec![0.0; columns.len()]);
            for i in 0..self.n {
                let w = self.weight(i);
                let cell = self.encoded.cell(task, i);
                for (c, &j) in columns.iter().enumerate() {
                    let x = match cell {
                        Cell::Number(v) => v,
                        Cell::Category(level) => f64::from(u8::from(level == Some(j))),
                    };
                    let d = x - shift[j];
                    s1[c] += w * d;
                    s2[c] += w * d * d;
                }
            }
            Moments::Columns(
                columns
                    .into_iter()
                    .zip(s1.into_iter().zip(s2))
                    .map(|(j, (s1, s2))| (j, s1, s2))
                    .collect(),
            )
        });
        let (mut s1, mut s2) = (vec![0.0; p], vec![0.0; p]);
        let (mut y_mean, mut y_sd) = (Array1::zeros(Q), Array1::zeros(Q));
        for (task, moments) in tasks.into_iter().enumerate() {
            match moments {
                Moments::Columns(columns) => {
                    for (j, a, b) in columns {
                        (s1[j], s2[j]) = (a, b);
                    }
                }
                Moments::Target(m, sd) => {
                    y_mean[task - features] = m;
                    y_sd[task - features] = sd;
                }
            }
        }
        let nf = self.total_weight();
        let x_mean: Array1<f64> = (0..p).map(|j| shift[j] + s1[j] / nf).collect();
        let x_sd: Array1<f64> = (0..p)
            .map(|j| ((s2[j] - s1[j] * s1[j] / nf) / nf).max(0.0).sqrt())
            .collect();
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
        self.fold_sums(frame, targets, folds, k, false)
    }

    /// [`Design::fold_grams`] for other targets on the same rows and folds, whose `frame`
    /// standardises the model columns as `beside`'s did: `beside`, the fold grams already made,
    /// gives the design block (the pairs of model columns, 78 of a wide row's 190 with seven
    /// targets), and only the pairs with a target are summed. Every bit is what `fold_grams`
    /// would give.
    pub(super) fn fold_grams_beside<T: AsRef<[f64]> + Sync>(
        &self,
        frame: &Frame,
        targets: &[T],
        folds: &[u8],
        beside: &[Gram],
    ) -> Vec<Gram> {
        self.fold_sums(frame, targets, folds, beside.len(), true)
            .into_iter()
            .zip(beside)
            .map(|(gram, beside)| gram.with_design_of(beside))
            .collect()
    }

    fn fold_sums<T: AsRef<[f64]> + Sync>(
        &self,
        frame: &Frame,
        targets: &[T],
        folds: &[u8],
        k: usize,
        targets_only: bool,
    ) -> Vec<Gram> {
        let p = self.p;
        let q = targets.first().map_or(0, |t| t.as_ref().len());
        let partials = self.in_parts(|range| {
            let mut sums = vec![SparseSums::new(p, q); k];
            let mut row = self.sparse_buffer();
            let mut y = vec![0.0; q];
            for i in range {
                self.sparse_row(i, frame, &mut row);
                let (index, value) = (row.index(), row.value());
                for (t, (y, &v)) in y.iter_mut().zip(targets[i].as_ref()).enumerate() {
                    *y = (v - frame.y_shift[t]) / frame.y_scale[t];
                }
                let sums = &mut sums[folds[i] as usize];
                if targets_only {
                    sums.add_targets(index, value, &y, self.weight(i));
                } else {
                    sums.add(index, value, &y, self.weight(i));
                }
            }
            sums
        });
        self.merge_parts(partials, frame)
    }

    /// Each model's sums from the parts' (merged in row order, so the result does not depend on
    /// the thread count), standardised.
    pub(super) fn merge_parts(&self, parts: Vec<Vec<SparseSums>>, frame: &Frame) -> Vec<Gram> {
        let mut parts = parts.into_iter();
        let mut out = parts.next().expect("at least one part");
        for part in parts {
            for (a, b) in out.iter_mut().zip(&part) {
                a.merge(b);
            }
        }
        out.into_iter()
            .map(|sums| sums.into_gram(frame, &self.indicators))
            .collect()
    }
}
