//! Small statistics shared by training and reporting: quantiles and fit metrics.

/// Linear-interpolation quantile (numpy's default) of already sorted values.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// The same quantile as `quantile_sorted`, found by selection (linear time) in unsorted values,
/// which it reorders.
pub fn quantile_select(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let pos = p.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    let (_, &mut at, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    if frac == 0.0 || above.is_empty() {
        return Some(at);
    }
    let next = above.iter().copied().fold(f64::INFINITY, f64::min);
    Some(at + (next - at) * frac)
}

/// Quantile of unsorted values; sorts a copy.
pub fn quantile(values: &[f64], p: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, p)
}

/// Running sums for R², MAE and RMSE of predictions against actual values.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorSums {
    pub n: f64,
    pub abs: f64,
    pub sq: f64,
    pub sum_y: f64,
    pub sum_yy: f64,
}

impl ErrorSums {
    pub fn add(&mut self, actual: f64, predicted: f64) {
        let e = actual - predicted;
        self.n += 1.0;
        self.abs += e.abs();
        self.sq += e * e;
        self.sum_y += actual;
        self.sum_yy += actual * actual;
    }

    pub fn merge(&mut self, other: &ErrorSums) {
        self.n += other.n;
        self.abs += other.abs;
        self.sq += other.sq;
        self.sum_y += other.sum_y;
        self.sum_yy += other.sum_yy;
    }

    pub fn mae(&self) -> f64 {
        self.abs / self.n
    }

    pub fn rmse(&self) -> f64 {
        (self.sq / self.n).sqrt()
    }

    /// R² against this set's own mean; `None` when the actual values do not vary.
    pub fn r2(&self) -> Option<f64> {
        let mean = self.sum_y / self.n;
        let sst = self.sum_yy - self.n * mean * mean;
        (sst > 1e-12 * self.sum_yy.max(1e-300)).then(|| 1.0 - self.sq / sst)
    }
}

/// Mean and sample standard deviation.
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert!((quantile(&[4.0, 1.0, 3.0, 2.0], 0.99).unwrap() - 3.97).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[], 0.5), None);
        let data = [9.0, 1.0, 4.0, 7.0, 3.0, 3.0, 10.0, 2.5];
        let mut sorted = data.to_vec();
        sorted.sort_by(f64::total_cmp);
        for p in [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0] {
            let mut v = data.to_vec();
            assert_eq!(
                quantile_select(&mut v, p),
                quantile_sorted(&sorted, p),
                "p = {p}"
            );
        }
    }

    #[test]
    fn error_sums_match_hand_computation() {
        let mut s = ErrorSums::default();
        for (a, p) in [(1.0, 2.0), (3.0, 3.0), (5.0, 4.0)] {
            s.add(a, p);
        }
        assert!((s.mae() - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.rmse() - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((s.r2().unwrap() - (1.0 - 2.0 / 8.0)).abs() < 1e-12);
        let mut flat = ErrorSums::default();
        flat.add(2.0, 2.0);
        flat.add(2.0, 1.0);
        assert_eq!(flat.r2(), None);
    }
}
