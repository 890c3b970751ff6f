//! Ridge regression through the normal equations, written as a linfa algorithm
//! (`RidgeParams` → `RidgeValidParams` → `FittedRidge`).
//!
//! Why not linfa-linear: its least squares returns coefficients of order 1e11 on a one-hot design
//! with a redundant column (predictions still look fine, so nothing reveals it), and it has no
//! ridge; linfa-elasticnet's ridge never meets its stopping rule. Here everything a fit needs is
//! in the sums `AᵀA` of the rows `A = [1 | x | y]` in a standardised frame. Those sums add over
//! rows, so k cross-validation folds cost one pass over the data: a fold's training sums are the
//! total minus the fold, and its held-out squared error comes from the fold's own sums.
//!
//! The solve is a Cholesky factorisation of the centred `XᵀX` that drops, in column order, any
//! column whose residual variance after the earlier columns falls below a relative tolerance: a
//! column implied by others (nested categories, a duplicated column) is named, not fitted, so the
//! fit neither fails nor explodes on a rank-deficient design. Without a penalty the fitted values
//! are then exactly those of minimum-norm least squares.

use linfa::dataset::AsSingleTargets;
use linfa::traits::{Fit, PredictInplace};
use linfa::{DatasetBase, ParamGuard};
use ndarray::{s, Array1, Array2, ArrayBase, ArrayView2, Axis, Data, Ix2};

/// Columns whose residual variance, relative to their own, is below this are redundant.
pub const DEFAULT_TOLERANCE: f64 = 1e-9;

#[derive(Debug, thiserror::Error)]
pub enum RidgeError {
    #[error("penalty must be a finite number >= 0, got {0}")]
    InvalidPenalty(f64),
    #[error("redundancy tolerance must be in (0, 1), got {0}")]
    InvalidTolerance(f64),
    #[error("need at least 2 rows to fit, got {0}")]
    NotEnoughRows(usize),
    #[error("the data holds a value that is not a finite number")]
    NotFinite,
    #[error("the penalised system is not positive definite (penalty {0})")]
    NotPositiveDefinite(f64),
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

/// Checked hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidgeValidParams {
    penalty: f64,
    tolerance: f64,
}

/// Unchecked hyperparameters. The penalty is per row, on standardised columns: the objective is
/// `Σ (y − ŷ)² + penalty · n · Σ βⱼ²` with `y` and every column scaled to unit variance and the
/// intercept unpenalised, so the same penalty means the same shrinkage whatever the data's size
/// or units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidgeParams(RidgeValidParams);

impl Default for RidgeParams {
    fn default() -> Self {
        RidgeParams(RidgeValidParams {
            penalty: 0.0,
            tolerance: DEFAULT_TOLERANCE,
        })
    }
}

impl RidgeParams {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn penalty(mut self, penalty: f64) -> Self {
        self.0.penalty = penalty;
        self
    }
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.0.tolerance = tolerance;
        self
    }
}

impl ParamGuard for RidgeParams {
    type Checked = RidgeValidParams;
    type Error = RidgeError;

    fn check_ref(&self) -> Result<&Self::Checked, Self::Error> {
        let p = &self.0;
        if !p.penalty.is_finite() || p.penalty < 0.0 {
            Err(RidgeError::InvalidPenalty(p.penalty))
        } else if !(p.tolerance > 0.0 && p.tolerance < 1.0) {
            Err(RidgeError::InvalidTolerance(p.tolerance))
        } else {
            Ok(&self.0)
        }
    }

    fn check(self) -> Result<Self::Checked, Self::Error> {
        self.check_ref()?;
        Ok(self.0)
    }
}

/// How raw columns map into the standardised frame the sums are kept in:
/// `z = (x − shift) / scale`. Keeping sums of standardised values keeps `AᵀA` well conditioned,
/// so accumulating a million rows loses nothing a QR factorisation would keep.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub x_shift: Array1<f64>,
    pub x_scale: Array1<f64>,
    pub y_shift: Array1<f64>,
    pub y_scale: Array1<f64>,
}

impl Frame {
    /// The frame from column means and standard deviations; constant columns keep scale 1.
    pub fn from_moments(
        x_mean: Array1<f64>,
        x_sd: Array1<f64>,
        y_mean: Array1<f64>,
        y_sd: Array1<f64>,
    ) -> Frame {
        let fix = |sd: Array1<f64>| sd.mapv(|s| if s > 0.0 && s.is_finite() { s } else { 1.0 });
        Frame {
            x_shift: x_mean,
            x_scale: fix(x_sd),
            y_shift: y_mean,
            y_scale: fix(y_sd),
        }
    }

    /// Writes `[1 | z | y']` for one raw row into `out` (length 1 + p + q).
    pub fn standardise_into(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        out[0] = 1.0;
        let p = x.len();
        for j in 0..p {
            out[1 + j] = (x[j] - self.x_shift[j]) / self.x_scale[j];
        }
        for t in 0..y.len() {
            out[1 + p + t] = (y[t] - self.y_shift[t]) / self.y_scale[t];
        }
    }

    /// [`Frame::standardise_into`] for a row that counts `weight` times (recency weighting):
    /// scaled by √weight, so its part of `AᵀA` is `weight · aᵀa`, and every sum the fit is made
    /// of (means, cross-products, squared errors) is weighted alike.
    pub fn standardise_weighted_into(&self, x: &[f64], y: &[f64], weight: f64, out: &mut [f64]) {
        self.standardise_into(x, y, out);
        let root = weight.sqrt();
        for v in out.iter_mut() {
            *v *= root;
        }
    }
}

/// Sums `AᵀA` over rows `A = [1 | z | y']` of a standardised frame. Rows may carry weights
/// (scaled by √w, see [`Frame::standardise_weighted_into`]); `rows()` is then the sum of the
/// weights and every mean and error from the sums is weighted.
#[derive(Debug, Clone, PartialEq)]
pub struct Gram {
    p: usize,
    q: usize,
    g: Array2<f64>,
}

impl Gram {
    pub fn new(p: usize, q: usize) -> Gram {
        Gram {
            p,
            q,
            g: Array2::zeros((1 + p + q, 1 + p + q)),
        }
    }

    /// Adds a block of standardised rows `[1 | z | y']`.
    pub fn add_block(&mut self, block: ArrayView2<f64>) {
        debug_assert_eq!(block.ncols(), 1 + self.p + self.q);
        ndarray::linalg::general_mat_mul(1.0, &block.t(), &block, 1.0, &mut self.g);
    }

    pub fn rows(&self) -> f64 {
        self.g[[0, 0]]
    }

    /// These sums with their design block (intercept and model columns) taken from `other`:
    /// sums over the same rows, with the same weights and the same standardised columns, for
    /// other targets. Sums made by [`SparseSums::add_targets`] lack that block, and standardising
    /// them (`into_gram`) works their target entries out from target entries alone.
    pub fn with_design_of(mut self, other: &Gram) -> Gram {
        debug_assert_eq!(self.p, other.p);
        let d = 1 + self.p;
        self.g
            .slice_mut(s![..d, ..d])
            .assign(&other.g.slice(s![..d, ..d]));
        self
    }

    /// The mean of target `t` over these rows, in raw units.
    pub fn target_mean(&self, frame: &Frame, t: usize) -> f64 {
        frame.y_shift[t] + frame.y_scale[t] * self.g[[0, 1 + self.p + t]] / self.rows()
    }

    pub fn merged(&self, other: &Gram) -> Gram {
        Gram {
            p: self.p,
            q: self.q,
            g: &self.g + &other.g,
        }
    }

    pub fn minus(&self, other: &Gram) -> Gram {
        Gram {
            p: self.p,
            q: self.q,
            g: &self.g - &other.g,
        }
    }

    /// Centred cross-products `(Σ (z−z̄)(z−z̄)ᵀ, Σ (z−z̄)(y−ȳ))` for target `t`, and the means.
    fn centred(&self, t: usize) -> (Array2<f64>, Array1<f64>, Array1<f64>, f64) {
        let p = self.p;
        let n = self.rows();
        let sz = self.g.slice(s![0, 1..=p]).to_owned();
        let mz = &sz / n;
        let yc = 1 + p + t;
        let my = self.g[[0, yc]] / n;
        let zz = self.g.slice(s![1..=p, 1..=p]).to_owned();
        let outer = Array2::from_shape_fn((p, p), |(i, j)| mz[i] * sz[j]);
        let czz = zz - outer;
        let czy = self.g.slice(s![1..=p, yc]).to_owned() - &sz * my;
        (czz, czy, mz, my)
    }

    /// Σ (y' − a − z·b)² over these rows for target `t`, from the sums alone.
    pub fn squared_error(&self, t: usize, intercept: f64, coef: &Array1<f64>) -> f64 {
        let p = self.p;
        let mut theta = Array1::zeros(1 + p);
        theta[0] = intercept;
        theta.slice_mut(s![1..]).assign(coef);
        let a = self.g.slice(s![0..=p, 0..=p]);
        let ay = self.g.slice(s![0..=p, 1 + p + t]);
        let yy = self.g[[1 + p + t, 1 + p + t]];
        (yy - 2.0 * theta.dot(&ay) + theta.dot(&a.dot(&theta))).max(0.0)
    }
}

/// The sums of [`Gram`] built from sparse rows, for a design that is mostly one-hot: a row
/// lists its non-zero entries of `[1 | x | y']` by index (the intercept at 0, model column `j` at
/// `1 + j`, target `t` at `1 + p + t`). Category columns enter raw (0/1) and are standardised
/// once at the end ([`SparseSums::into_gram`]); numeric columns and targets enter standardised,
/// as in [`Frame::standardise_into`]. Adding a row costs the square of its non-zeros (13 to 17
/// on a typical design) instead of the square of every column (37 to 45): a dense product over
/// zeros was most of training's time.
///
/// Standardising indicators at the end subtracts `s·Σx` from `Σx·x`, which loses no accuracy
/// that matters for a 0/1 column (its shift is a share in [0, 1]); the numeric columns, whose
/// shift can dwarf their spread, are standardised before they are summed, as before.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseSums {
    p: usize,
    q: usize,
    dim: usize,
    /// `dim × dim`, row-major; a pair of entries lands above or below the diagonal depending on
    /// the order the row lists them in, and [`SparseSums::into_gram`] folds the two halves.
    r: Vec<f64>,
}

impl SparseSums {
    pub fn new(p: usize, q: usize) -> SparseSums {
        let dim = 1 + p + q;
        SparseSums {
            p,
            q,
            dim,
            r: vec![0.0; dim * dim],
        }
    }

    /// Adds a row that counts `weight` times: its non-zero model entries (distinct indices below
    /// the targets', the intercept's 0 among them) and its `q` targets' values.
    #[inline]
    pub fn add(&mut self, index: &[u32], value: &[f64], y: &[f64], weight: f64) {
        debug_assert_eq!(index.len(), value.len());
        let dim = self.dim;
        for (a, (&ia, &va)) in index.iter().zip(value).enumerate() {
            let wa = weight * va;
            let row = &mut self.r[ia as usize * dim..(ia as usize + 1) * dim];
            for (&ib, &vb) in index[a..].iter().zip(&value[a..]) {
                row[ib as usize] += wa * vb;
            }
        }
        self.add_targets(index, value, y, weight);
    }

    /// Adds the pairs of a row ([`SparseSums::add`]) that have a target in them, and none of
    /// those between two model entries: sums over the same rows hold those already
    /// ([`Gram::with_design_of`]). The targets' columns are the last `q`, side by side, so a
    /// model entry's products with them are added to consecutive sums, with no index to look up.
    /// Each pair gets the same addition, `(weight · a) · b`, as in `add`.
    #[inline]
    pub fn add_targets(&mut self, index: &[u32], value: &[f64], y: &[f64], weight: f64) {
        debug_assert_eq!(index.len(), value.len());
        debug_assert_eq!(y.len(), self.q);
        let (dim, first) = (self.dim, 1 + self.p);
        for (&ia, &va) in index.iter().zip(value) {
            let wa = weight * va;
            let row = &mut self.r[ia as usize * dim + first..][..y.len()];
            for (s, &yb) in row.iter_mut().zip(y) {
                *s += wa * yb;
            }
        }
        for (t, &ya) in y.iter().enumerate() {
            let wa = weight * ya;
            let row = &mut self.r[(first + t) * dim + first + t..][..y.len() - t];
            for (s, &yb) in row.iter_mut().zip(&y[t..]) {
                *s += wa * yb;
            }
        }
    }

    /// Adds another part's sums (parts are merged in a fixed order, so the result does not
    /// depend on the thread count).
    pub fn merge(&mut self, other: &SparseSums) {
        for (a, b) in self.r.iter_mut().zip(&other.r) {
            *a += b;
        }
    }

    /// The sums in the standardised frame: each category column `j` of `indicators` becomes
    /// `(x_j − shift_j) / scale_j`, as [`Frame::standardise_into`] would have made it.
    pub fn into_gram(self, frame: &Frame, indicators: &[usize]) -> Gram {
        let dim = self.dim;
        // Fold the halves: S = R + Rᵀ off the diagonal.
        let mut g = Array2::from_shape_fn((dim, dim), |(a, b)| {
            if a == b {
                self.r[a * dim + a]
            } else {
                self.r[a * dim + b] + self.r[b * dim + a]
            }
        });
        // G = M S Mᵀ with M the identity but for row 1 + j: (e_{1+j} − shift_j e_0) / scale_j.
        // Rows first (row 0, the intercept's, is never an indicator), then columns.
        for &j in indicators {
            let (shift, scale) = (frame.x_shift[j], frame.x_scale[j]);
            let a = 1 + j;
            for b in 0..dim {
                g[[a, b]] = (g[[a, b]] - shift * g[[0, b]]) / scale;
            }
        }
        for &j in indicators {
            let (shift, scale) = (frame.x_shift[j], frame.x_scale[j]);
            let b = 1 + j;
            for a in 0..dim {
                g[[a, b]] = (g[[a, b]] - shift * g[[a, 0]]) / scale;
            }
        }
        Gram {
            p: self.p,
            q: self.q,
            g,
        }
    }
}

/// The sums of several models side by side, entry by entry (`r[entry * models + g]`), for a
/// row that enters all of them with different weights (the log link's folds and full fit).
/// One walk over the row's pairs adds to every model, where a walk per model loaded each
/// product and its place once per model; with the default 5 folds (6 models) the walk is a
/// fixed-width loop the compiler turns into vector instructions. Every entry of model `g` gets
/// the additions a sum of its own would get, in the same order, so the bits do not depend on
/// how many models share the walk. A model the row does not enter gets a weight of 0: adding `0 · x` (finite `x`) to a
/// sum that started at +0 changes no bit (no sum of finite terms becomes −0).
#[derive(Debug, Clone)]
pub struct ManySums {
    models: usize,
    sums: SparseSums,
    r: Vec<f64>,
}

impl ManySums {
    pub fn new(p: usize, q: usize, models: usize) -> ManySums {
        let sums = SparseSums::new(p, q);
        let r = vec![0.0; sums.r.len() * models];
        ManySums { models, sums, r }
    }

    /// Adds a row, given by its non-zero entries (distinct indices), to every model `g`:
    /// each pair's product `x_a · x_b` times `weights[g]`, then the row times a last entry
    /// `(at, values[g])` that differs by model (the log link's working response), times
    /// `weights[g] · values[g]`. A product is worked out where it is added: each is used once
    /// per row, by all the models at once.
    #[inline]
    pub fn add_row(
        &mut self,
        index: &[u32],
        value: &[f64],
        weights: &[f64],
        at: u32,
        values: &[f64],
    ) {
        debug_assert!(weights.len() == self.models && values.len() == self.models);
        debug_assert_eq!(index.len(), value.len());
        match self.models {
            6 => self.add_row_of::<6>(index, value, weights, at, values),
            _ => self.add_row_any(index, value, weights, at, values),
        }
    }

    #[inline]
    fn add_row_of<const M: usize>(
        &mut self,
        index: &[u32],
        value: &[f64],
        weights: &[f64],
        at: u32,
        values: &[f64],
    ) {
        let w: [f64; M] = weights.try_into().expect("one weight per model");
        let v: [f64; M] = values.try_into().expect("one value per model");
        let dim = self.sums.dim;
        // Entry by entry, each entry's M sums as one array: one bounds check per entry.
        let (slots, _) = self.r.as_chunks_mut::<M>();
        for (a, (&ia, &va)) in index.iter().zip(value).enumerate() {
            let row = ia as usize * dim;
            for (&ib, &vb) in index[a..].iter().zip(&value[a..]) {
                let x = va * vb;
                let slot = &mut slots[row + ib as usize];
                for g in 0..M {
                    slot[g] += w[g] * x;
                }
            }
        }
        let column = at as usize;
        let mut wv = [0.0; M];
        for g in 0..M {
            wv[g] = w[g] * v[g];
        }
        for (&i, &x) in index.iter().zip(value) {
            let slot = &mut slots[i as usize * dim + column];
            for g in 0..M {
                slot[g] += wv[g] * x;
            }
        }
        let slot = &mut slots[column * dim + column];
        for g in 0..M {
            slot[g] += wv[g] * v[g];
        }
    }

    fn add_row_any(
        &mut self,
        index: &[u32],
        value: &[f64],
        weights: &[f64],
        at: u32,
        values: &[f64],
    ) {
        let m = self.models;
        let dim = self.sums.dim;
        for (a, (&ia, &va)) in index.iter().zip(value).enumerate() {
            let row = ia as usize * dim;
            for (&ib, &vb) in index[a..].iter().zip(&value[a..]) {
                let x = va * vb;
                let slot = &mut self.r[(row + ib as usize) * m..][..m];
                for (s, &w) in slot.iter_mut().zip(weights) {
                    *s += w * x;
                }
            }
        }
        let column = at as usize;
        for (&i, &x) in index.iter().zip(value) {
            let slot = &mut self.r[(i as usize * dim + column) * m..][..m];
            for ((s, &w), &v) in slot.iter_mut().zip(weights).zip(values) {
                *s += w * v * x;
            }
        }
        let slot = &mut self.r[(column * dim + column) * m..][..m];
        for ((s, &w), &v) in slot.iter_mut().zip(weights).zip(values) {
            *s += w * v * v;
        }
    }

    /// Each model's sums.
    pub fn into_sums(self) -> Vec<SparseSums> {
        let m = self.models;
        (0..m)
            .map(|g| {
                let mut sums = self.sums.clone();
                for (e, s) in sums.r.iter_mut().enumerate() {
                    *s = self.r[e * m + g];
                }
                sums
            })
            .collect()
    }
}

/// A solution in the standardised frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub intercept: f64,
    pub coef: Array1<f64>,
    /// Columns left out because earlier columns imply them (coefficient 0).
    pub redundant: Vec<usize>,
}

impl RidgeValidParams {
    /// Solves for target `t` from sums alone.
    pub fn solve(&self, gram: &Gram, t: usize) -> Result<Solution, RidgeError> {
        let n = gram.rows();
        if n < 2.0 {
            return Err(RidgeError::NotEnoughRows(n as usize));
        }
        if gram.g.iter().any(|v| !v.is_finite()) {
            return Err(RidgeError::NotFinite);
        }
        let (czz, czy, mz, my) = gram.centred(t);
        let kept = independent_columns(&czz, self.tolerance, n);
        let idx: Vec<usize> = (0..gram.p).filter(|&j| kept[j]).collect();
        let k = idx.len();
        let mut m = Array2::zeros((k, k));
        let mut rhs = Array1::zeros(k);
        for (a, &i) in idx.iter().enumerate() {
            rhs[a] = czy[i];
            for (b, &j) in idx.iter().enumerate() {
                m[[a, b]] = czz[[i, j]];
            }
            m[[a, a]] += self.penalty * n;
        }
        let beta_k = cholesky_solve(m, rhs).ok_or(RidgeError::NotPositiveDefinite(self.penalty))?;
        let mut coef = Array1::zeros(gram.p);
        for (a, &i) in idx.iter().enumerate() {
            coef[i] = beta_k[a];
        }
        let intercept = my - mz.dot(&coef);
        Ok(Solution {
            intercept,
            coef,
            redundant: (0..gram.p).filter(|&j| !kept[j]).collect(),
        })
    }
}

impl Solution {
    /// The same model on raw columns and raw target `t`: `y = intercept + Σ coefⱼ xⱼ`.
    pub fn unscale(&self, frame: &Frame, t: usize) -> (f64, Array1<f64>) {
        let sy = frame.y_scale[t];
        let coef = &self.coef * sy / &frame.x_scale;
        let intercept = frame.y_shift[t] + sy * self.intercept - coef.dot(&frame.x_shift);
        (intercept, coef)
    }
}

/// Which columns of the centred cross-product matrix are linearly independent of the columns
/// before them, to a relative tolerance. A strict Cholesky would accept a pivot of 1e-16 on the
/// dummy trap and return coefficients of 1e5; comparing each pivot with the column's own sum of
/// squares catches it.
fn independent_columns(c: &Array2<f64>, tolerance: f64, n: f64) -> Vec<bool> {
    let p = c.nrows();
    let mut l = Array2::<f64>::zeros((p, p));
    let mut kept = vec![false; p];
    for j in 0..p {
        let own = c[[j, j]];
        let mut d = own;
        for k in 0..j {
            if kept[k] {
                d -= l[[j, k]] * l[[j, k]];
            }
        }
        // Standardised columns have sum of squares ≈ n; far below that the column is constant.
        if own <= 1e-10 * n || d <= tolerance * own {
            continue;
        }
        kept[j] = true;
        let piv = d.sqrt();
        l[[j, j]] = piv;
        for i in j + 1..p {
            let mut v = c[[i, j]];
            for k in 0..j {
                if kept[k] {
                    v -= l[[i, k]] * l[[j, k]];
                }
            }
            l[[i, j]] = v / piv;
        }
    }
    kept
}

/// Solves `m x = b` for symmetric positive definite `m`; `None` if it is not.
fn cholesky_solve(m: Array2<f64>, b: Array1<f64>) -> Option<Array1<f64>> {
    let k = m.nrows();
    let mut l = Array2::<f64>::zeros((k, k));
    for j in 0..k {
        let mut d = m[[j, j]];
        for t in 0..j {
            d -= l[[j, t]] * l[[j, t]];
        }
        // Also catches NaN.
        if d.is_nan() || d <= 0.0 {
            return None;
        }
        let piv = d.sqrt();
        l[[j, j]] = piv;
        for i in j + 1..k {
            let mut v = m[[i, j]];
            for t in 0..j {
                v -= l[[i, t]] * l[[j, t]];
            }
            l[[i, j]] = v / piv;
        }
    }
    let mut y = b;
    for i in 0..k {
        for t in 0..i {
            y[i] -= l[[i, t]] * y[t];
        }
        y[i] /= l[[i, i]];
    }
    for i in (0..k).rev() {
        for t in i + 1..k {
            y[i] -= l[[t, i]] * y[t];
        }
        y[i] /= l[[i, i]];
    }
    Some(y)
}

/// A fitted ridge model on raw columns.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedRidge {
    intercept: f64,
    coef: Array1<f64>,
    redundant: Vec<usize>,
}

impl FittedRidge {
    pub fn intercept(&self) -> f64 {
        self.intercept
    }
    pub fn params(&self) -> &Array1<f64> {
        &self.coef
    }
    /// Columns implied by earlier ones and left out of the fit.
    pub fn redundant(&self) -> &[usize] {
        &self.redundant
    }
}

impl<D: Data<Elem = f64>, T: AsSingleTargets<Elem = f64>> Fit<ArrayBase<D, Ix2>, T, RidgeError>
    for RidgeValidParams
{
    type Object = FittedRidge;

    fn fit(&self, dataset: &DatasetBase<ArrayBase<D, Ix2>, T>) -> Result<FittedRidge, RidgeError> {
        let x = dataset.records();
        let y = dataset.as_single_targets();
        if x.nrows() != y.len() {
            return Err(linfa::Error::MismatchedShapes(x.nrows(), y.len()).into());
        }
        if x.nrows() < 2 {
            return Err(RidgeError::NotEnoughRows(x.nrows()));
        }
        if x.iter().chain(y.iter()).any(|v| !v.is_finite()) {
            return Err(RidgeError::NotFinite);
        }
        let frame = Frame::from_moments(
            x.mean_axis(Axis(0)).expect("rows checked"),
            x.std_axis(Axis(0), 0.0),
            Array1::from_elem(1, y.mean().expect("rows checked")),
            Array1::from_elem(1, y.std(0.0)),
        );
        let p = x.ncols();
        let mut gram = Gram::new(p, 1);
        let mut block = Array2::zeros((x.nrows(), 1 + p + 1));
        for (i, row) in x.rows().into_iter().enumerate() {
            let raw: Vec<f64> = row.to_vec();
            frame.standardise_into(
                &raw,
                &[y[i]],
                block.row_mut(i).as_slice_mut().expect("standard layout"),
            );
        }
        gram.add_block(block.view());
        let sol = self.solve(&gram, 0)?;
        let (intercept, coef) = sol.unscale(&frame, 0);
        Ok(FittedRidge {
            intercept,
            coef,
            redundant: sol.redundant,
        })
    }
}

impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>> for FittedRidge {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<f64>) {
        assert_eq!(
            x.ncols(),
            self.coef.len(),
            "records have the wrong number of columns"
        );
        assert_eq!(x.nrows(), y.len(), "targets have the wrong length");
        *y = x.dot(&self.coef) + self.intercept;
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::traits::Predict;
    use linfa::Dataset;
    use ndarray::array;

    fn fit(x: Array2<f64>, y: Array1<f64>, penalty: f64) -> FittedRidge {
        RidgeParams::new()
            .penalty(penalty)
            .fit(&Dataset::new(x, y))
            .unwrap()
    }

    #[test]
    fn fits_a_line_through_two_dots() {
        let m = fit(array![[0.0], [1.0]], array![1.0, 3.0], 0.0);
        assert!((m.intercept() - 1.0).abs() < 1e-12);
        assert!((m.params()[0] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn recovers_exact_coefficients_without_penalty() {
        let x = array![[1.0, 5.0], [2.0, 3.0], [3.0, 8.0], [4.0, 1.0], [5.0, 7.0]];
        let y = x.column(0).mapv(|a| 3.0 * a) + x.column(1).mapv(|b| -0.5 * b) + 10.0;
        let m = fit(x.clone(), y.clone(), 0.0);
        assert!((m.params()[0] - 3.0).abs() < 1e-10);
        assert!((m.params()[1] + 0.5).abs() < 1e-10);
        assert!((m.intercept() - 10.0).abs() < 1e-10);
        let pred: Array1<f64> = m.predict(&x);
        assert!((pred - y).iter().all(|e| e.abs() < 1e-9));
    }

    #[test]
    fn dummy_trap_is_named_not_exploded() {
        // Three one-hot columns that always sum to 1, beside an intercept.
        let x = array![
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0]
        ];
        let y = array![1.0, 2.0, 4.0, 1.2, 2.2, 3.8];
        let m = fit(x.clone(), y.clone(), 0.0);
        assert_eq!(m.redundant(), &[2]);
        assert!(m.params().iter().all(|c| c.abs() < 10.0));
        let pred: Array1<f64> = m.predict(&x);
        // Group means are the least-squares fit.
        assert!((pred[0] - 1.1).abs() < 1e-12 && (pred[2] - 3.9).abs() < 1e-12);
    }

    #[test]
    fn duplicated_column_is_dropped_and_fit_is_unchanged() {
        let x = array![
            [1.0, 1.0, 2.0],
            [2.0, 2.0, 1.0],
            [3.0, 3.0, 5.0],
            [4.0, 4.0, 3.0]
        ];
        let y = array![2.0, 3.5, 7.0, 8.0];
        let m = fit(x.clone(), y.clone(), 0.0);
        assert_eq!(m.redundant(), &[1]);
        let single = fit(x.select(Axis(1), &[0, 2]), y, 0.0);
        assert!((m.params()[0] - single.params()[0]).abs() < 1e-10);
        assert_eq!(m.params()[1], 0.0);
    }

    #[test]
    fn penalty_shrinks_towards_the_mean() {
        let x = array![[1.0], [2.0], [3.0], [4.0]];
        let y = array![1.0, 2.0, 3.0, 4.0];
        let free = fit(x.clone(), y.clone(), 0.0).params()[0];
        let shrunk = fit(x.clone(), y.clone(), 1.0).params()[0];
        let heavy = fit(x, y, 1e6).params()[0];
        assert!(free > shrunk && shrunk > heavy && heavy > 0.0 && heavy < 1e-5);
        // Standardised penalty λ·n: slope = 1 / (1 + λ) for a perfectly correlated unit-scale pair.
        assert!((shrunk - 0.5).abs() < 1e-12);
    }

    #[test]
    fn fold_sums_give_held_out_error_without_another_pass() {
        let frame = Frame::from_moments(array![0.0], array![1.0], array![0.0], array![1.0]);
        let rows = [(0.0, 1.0), (1.0, 2.9), (2.0, 5.2), (3.0, 7.0), (4.0, 9.1)];
        let mut all = Gram::new(1, 1);
        let mut held = Gram::new(1, 1);
        for (i, &(x, y)) in rows.iter().enumerate() {
            let mut buf = [0.0; 3];
            frame.standardise_into(&[x], &[y], &mut buf);
            let block = Array2::from_shape_vec((1, 3), buf.to_vec()).unwrap();
            all.add_block(block.view());
            if i == 2 {
                held.add_block(block.view());
            }
        }
        let train = all.minus(&held);
        let sol = RidgeParams::new()
            .check()
            .unwrap()
            .solve(&train, 0)
            .unwrap();
        let direct = {
            let e = 5.2 - sol.intercept - sol.coef[0] * 2.0;
            e * e
        };
        assert!((held.squared_error(0, sol.intercept, &sol.coef) - direct).abs() < 1e-12);
    }

    /// The sums of `rows` (x, y, weight) in the unit frame, each added as its own block.
    fn weighted_gram(rows: &[(f64, f64, f64)]) -> Gram {
        let frame = Frame::from_moments(array![0.0], array![1.0], array![0.0], array![1.0]);
        let mut gram = Gram::new(1, 1);
        for &(x, y, w) in rows {
            let mut buf = [0.0; 3];
            frame.standardise_weighted_into(&[x], &[y], w, &mut buf);
            gram.add_block(Array2::from_shape_vec((1, 3), buf.to_vec()).unwrap().view());
        }
        gram
    }

    #[test]
    fn a_weight_of_one_changes_no_bit_of_the_sums() {
        let frame = Frame::from_moments(array![1.5], array![2.0], array![3.0], array![0.7]);
        let rows = [(0.3, 1.0), (1.7, 2.9), (2.2, 5.2), (-3.1, 7.0)];
        let (mut plain, mut weighted) = (Array2::zeros((4, 3)), Array2::zeros((4, 3)));
        for (i, &(x, y)) in rows.iter().enumerate() {
            let out = plain.row_mut(i).into_slice().unwrap();
            frame.standardise_into(&[x], &[y], out);
            let out = weighted.row_mut(i).into_slice().unwrap();
            frame.standardise_weighted_into(&[x], &[y], 1.0, out);
        }
        let (mut a, mut b) = (Gram::new(1, 1), Gram::new(1, 1));
        a.add_block(plain.view());
        b.add_block(weighted.view());
        assert_eq!(a, b);
    }

    #[test]
    fn a_weight_of_two_counts_a_row_twice() {
        let rows = [(0.0, 1.0), (1.0, 2.9), (2.0, 5.2), (3.0, 7.0), (4.0, 9.1)];
        let weighted: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| (x, y, if i == 2 { 2.0 } else { 1.0 }))
            .collect();
        let duplicated: Vec<_> = rows
            .iter()
            .chain([&rows[2]])
            .map(|&(x, y)| (x, y, 1.0))
            .collect();
        let (a, b) = (weighted_gram(&weighted), weighted_gram(&duplicated));
        assert!(
            (&a.g - &b.g).iter().all(|d| d.abs() < 1e-12),
            "{:?}\n{:?}",
            a.g,
            b.g
        );
        assert!((a.rows() - 6.0).abs() < 1e-12);
        let params = RidgeParams::new().penalty(0.1).check().unwrap();
        let (sa, sb) = (params.solve(&a, 0).unwrap(), params.solve(&b, 0).unwrap());
        assert!((sa.intercept - sb.intercept).abs() < 1e-12);
        assert!((sa.coef[0] - sb.coef[0]).abs() < 1e-12);
    }

    #[test]
    fn weights_pull_the_fit_towards_the_heavy_rows() {
        // Two clouds disagree on the slope; the fit follows the one that weighs more.
        let old = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)];
        let new = [(0.0, 0.0), (1.0, -1.0), (2.0, -2.0), (3.0, -3.0)];
        let slope = |w_old: f64, w_new: f64| {
            let rows: Vec<_> = old
                .iter()
                .map(|&(x, y)| (x, y, w_old))
                .chain(new.iter().map(|&(x, y)| (x, y, w_new)))
                .collect();
            let sol = RidgeParams::new()
                .check()
                .unwrap()
                .solve(&weighted_gram(&rows), 0)
                .unwrap();
            sol.coef[0]
        };
        assert!(slope(1.0, 1.0).abs() < 1e-12);
        // Weighted least squares: slope = Σw·xy / Σw·x² (centred) = (w_old − w_new) / (w_old + w_new).
        assert!((slope(0.25, 1.0) + 0.6).abs() < 1e-12);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert!(matches!(
            RidgeParams::new().penalty(-1.0).check(),
            Err(RidgeError::InvalidPenalty(_))
        ));
        assert!(matches!(
            RidgeParams::new().tolerance(0.0).check(),
            Err(RidgeError::InvalidTolerance(_))
        ));
    }

    /// A one-hot design with numbers and two targets, as dense standardised rows and as sparse
    /// rows (categories raw), each row with its own weight; and the sparse rows' target pairs
    /// alone (`add_targets`).
    fn sparse_and_dense(seed: u64) -> (Gram, SparseSums, Frame, Vec<usize>, SparseSums) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        // Columns 0-2: feature A's levels (a fourth is the reference); 3-4: feature B's; 5, 6:
        // numbers with a large shift (as money has).
        let (p, q) = (7, 2);
        let indicators = vec![0, 1, 2, 3, 4];
        let frame = Frame::from_moments(
            Array1::from(vec![0.3, 0.2, 0.25, 0.5, 0.3, 2.0e6, 4.1]),
            Array1::from(vec![0.45, 0.4, 0.43, 0.5, 0.46, 3.0e5, 1.7]),
            Array1::from(vec![5.0e4, 900.0]),
            Array1::from(vec![2.0e4, 300.0]),
        );
        let mut dense = Gram::new(p, q);
        let mut sparse = SparseSums::new(p, q);
        let mut targets_only = SparseSums::new(p, q);
        for _ in 0..500 {
            let a = rng.random_range(0..4usize);
            let b = rng.random_range(0..3usize);
            let numbers = [
                2.0e6 + rng.random_range(-1.0e6..1.0e6),
                rng.random_range(0.0..9.0),
            ];
            let y = [
                rng.random_range(-1.0e5..2.0e5),
                rng.random_range(0.0..3000.0),
            ];
            let w = rng.random_range(0.2..3.0);
            let mut x = vec![0.0; p];
            let (mut index, mut value) = (vec![0u32], vec![1.0]);
            for col in [(a < 3).then_some(a), (b < 2).then_some(3 + b)]
                .into_iter()
                .flatten()
            {
                x[col] = 1.0;
                index.push(1 + col as u32);
                value.push(1.0);
            }
            for (k, &v) in numbers.iter().enumerate() {
                x[5 + k] = v;
                index.push(6 + k as u32);
                value.push((v - frame.x_shift[5 + k]) / frame.x_scale[5 + k]);
            }
            let ys: Vec<f64> = (0..q)
                .map(|t| (y[t] - frame.y_shift[t]) / frame.y_scale[t])
                .collect();
            let mut row = vec![0.0; 1 + p + q];
            frame.standardise_weighted_into(&x, &y, w, &mut row);
            dense.add_block(Array2::from_shape_vec((1, 1 + p + q), row).unwrap().view());
            sparse.add(&index, &value, &ys, w);
            targets_only.add_targets(&index, &value, &ys, w);
        }
        (dense, sparse, frame, indicators, targets_only)
    }

    /// The components' sums leave the design's pairs to the side fits' sums: with that block
    /// taken from them, every bit is what summing every pair gives.
    #[test]
    fn target_pairs_beside_the_design_block_give_every_bit_of_the_full_sums() {
        for seed in 0..5 {
            let (_, sparse, frame, indicators, targets_only) = sparse_and_dense(seed);
            let full = sparse.into_gram(&frame, &indicators);
            let beside = targets_only
                .into_gram(&frame, &indicators)
                .with_design_of(&full);
            let bits = |g: &Gram| g.g.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&beside), bits(&full), "seed {seed}");
        }
    }

    #[test]
    fn sparse_sums_standardised_at_the_end_equal_the_dense_sums() {
        for seed in 0..5 {
            let (dense, sparse, frame, indicators, _) = sparse_and_dense(seed);
            let got = sparse.into_gram(&frame, &indicators);
            let scale = dense.g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (a, b) in got.g.iter().zip(dense.g.iter()) {
                assert!((a - b).abs() <= 1e-10 * scale, "{a} vs {b} (seed {seed})");
            }
            // And the fits agree: what the sums are for.
            let params = RidgeParams::new().penalty(1e-3).check().unwrap();
            for t in 0..2 {
                let (s, d) = (
                    params.solve(&got, t).unwrap(),
                    params.solve(&dense, t).unwrap(),
                );
                for (a, b) in s.coef.iter().zip(d.coef.iter()) {
                    assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-3), "{a} vs {b}");
                }
            }
        }
    }

    /// The log link's sums as they were built before `ManySums`, one model at a time from the
    /// row's products worked out once: every model ever fitted was fitted on these bits.
    fn one_model_at_a_time(
        sums: &mut SparseSums,
        index: &[u32],
        value: &[f64],
        weight: f64,
        at: u32,
        working: f64,
    ) {
        let dim = sums.dim;
        let mut products = Vec::new();
        for (a, (&ia, &va)) in index.iter().zip(value).enumerate() {
            for (&ib, &vb) in index[a..].iter().zip(&value[a..]) {
                products.push((ia as usize * dim + ib as usize, va * vb));
            }
        }
        for (o, v) in products {
            sums.r[o] += weight * v;
        }
        let wv = weight * working;
        let column = at as usize;
        for (&i, &x) in index.iter().zip(value) {
            sums.r[i as usize * dim + column] += wv * x;
        }
        sums.r[column * dim + column] += wv * working;
    }

    #[test]
    fn many_models_side_by_side_get_the_bits_each_would_get_alone() {
        use rand::{Rng, SeedableRng};
        // 6 models take the fixed-width path (the default 5 folds and the full fit), 3 and 7
        // the general one. A weight of 0 stands for a model the row does not enter.
        for models in [6, 3, 7] {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(models as u64);
            let p = 9;
            let mut alone = vec![SparseSums::new(p, 1); models];
            let mut together = ManySums::new(p, 1, models);
            for _ in 0..2_000 {
                let mut index = vec![0u32];
                let mut value = vec![1.0];
                for j in 1..=p as u32 {
                    if rng.random_bool(0.6) {
                        index.push(j);
                        value.push(rng.random_range(-3.0..3.0));
                    }
                }
                let skip = rng.random_range(0..models);
                let mut draw = |range: std::ops::Range<f64>| -> Vec<f64> {
                    (0..models)
                        .map(|g| {
                            if g == skip {
                                0.0
                            } else {
                                rng.random_range(range.clone())
                            }
                        })
                        .collect()
                };
                let weights = draw(0.01..5.0);
                let working = draw(-4.0..4.0);
                for g in (0..models).filter(|&g| g != skip) {
                    let at = 1 + p as u32;
                    one_model_at_a_time(&mut alone[g], &index, &value, weights[g], at, working[g]);
                }
                together.add_row(&index, &value, &weights, 1 + p as u32, &working);
            }
            let together = together.into_sums();
            for (g, (a, b)) in alone.iter().zip(&together).enumerate() {
                let bits = |s: &SparseSums| s.r.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(a), bits(b), "model {g} of {models}");
            }
        }
    }

    #[test]
    fn a_row_with_its_working_response_adds_what_the_row_adds() {
        let index = [0u32, 2, 5, 6];
        let value = [1.0, 1.0, -0.7, 2.5];
        let mut by_row = SparseSums::new(6, 1);
        by_row.add(&index, &value, &[3.25], 0.8);
        for models in [1, 6] {
            let mut many = ManySums::new(6, 1, models);
            many.add_row(&index, &value, &vec![0.8; models], 7, &vec![3.25; models]);
            let frame = Frame::from_moments(
                Array1::from(vec![0.1; 6]),
                Array1::from(vec![0.5; 6]),
                Array1::from(vec![0.0]),
                Array1::from(vec![1.0]),
            );
            let a = by_row.clone().into_gram(&frame, &[1]);
            for b in many.into_sums() {
                let b = b.into_gram(&frame, &[1]);
                for (x, y) in a.g.iter().zip(b.g.iter()) {
                    assert!((x - y).abs() <= 1e-15 * x.abs().max(1.0), "{x} vs {y}");
                }
            }
        }
    }
}
