//! Statistics on plain numbers, shared by training and reporting: quantiles, error sums,
//! means, prediction intervals (here) and how well a ranking captures value (`evaluation`).

pub mod evaluation;

/// Linear-interpolation quantile (numpy's default) of already sorted values. It reads only the
/// order statistics at [`quantile_positions`], so values where just those are in place (see
/// [`select_positions`]) do as well as sorted ones.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let (lo, frac) = position(sorted.len(), p);
    let at = sorted[lo];
    // An order statistic itself is returned as it is (−0, an infinity): the same number as
    // `quantile_select` finds, bit for bit.
    if frac == 0.0 || lo + 1 == sorted.len() {
        return Some(at);
    }
    Some(at + (sorted[lo + 1] - at) * frac)
}

/// Where quantile `p` of `n` values (n ≥ 1) falls: the order statistic below it and the share of
/// the way to the next.
fn position(n: usize, p: f64) -> (usize, f64) {
    let pos = p.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    (lo, pos - lo as f64)
}

/// The order statistics (0-based ranks) that [`quantile_sorted`] reads for quantile `p` of `n`
/// values: the one below it and the next, when there is one.
pub fn quantile_positions(n: usize, p: f64) -> impl Iterator<Item = usize> {
    let lo = if n == 0 { 0 } else { position(n, p).0 };
    lo..(lo + 2).min(n)
}

/// Puts the order statistic of every rank in `positions` (ascending, no repeats, all below
/// `values.len()`) where a sort would put it, by nested selection: O(n log k) for k ranks, where
/// a sort is O(n log n). Training reads a dozen and a half of them for every numeric column.
pub fn select_positions(values: &mut [f64], positions: &[usize]) {
    fn nested(values: &mut [f64], base: usize, positions: &[usize]) {
        if positions.is_empty() {
            return;
        }
        let mid = positions.len() / 2;
        let k = positions[mid] - base;
        let (below, _, above) = values.select_nth_unstable_by(k, f64::total_cmp);
        nested(below, base, &positions[..mid]);
        nested(above, base + k + 1, &positions[mid + 1..]);
    }
    nested(values, 0, positions);
}

/// An unsigned integer that orders numbers as `f64::total_cmp` does: `a.total_cmp(&b)` is
/// `order_key(a).cmp(&order_key(b))`. Negative numbers have every bit turned over (the more
/// negative, the smaller), the rest only their sign bit.
#[inline]
pub fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

/// Sorts `items` by `key`, ascending and stable (items with equal keys keep their order), by a
/// least-significant-digit radix sort (the held-out Gini ranks a million customers twice). A
/// pass whose digit is the same in every key is skipped, so keys that vary in few bits take few
/// passes.
pub fn radix_sort_by_key<T: Copy + Default>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    const PASSES: usize = 64_usize.div_ceil(BITS as usize);
    let n = items.len();
    if n < 256 {
        items.sort_by_key(|item| key(item));
        return;
    }
    let mut counts = vec![[0usize; BUCKETS]; PASSES];
    for item in items.iter() {
        let k = key(item);
        for (pass, count) in counts.iter_mut().enumerate() {
            count[(k >> (pass as u32 * BITS)) as usize & (BUCKETS - 1)] += 1;
        }
    }
    let mut other = vec![T::default(); n];
    for (pass, count) in counts.iter_mut().enumerate() {
        if count.contains(&n) {
            continue;
        }
        let mut start = 0;
        for c in count.iter_mut() {
            (*c, start) = (start, start + *c);
        }
        let shift = pass as u32 * BITS;
        for item in items.iter() {
            let bucket = &mut count[(key(item) >> shift) as usize & (BUCKETS - 1)];
            other[*bucket] = *item;
            *bucket += 1;
        }
        std::mem::swap(items, &mut other);
    }
}

/// The same quantile as `quantile_sorted`, found by selection (linear time) in unsorted values,
/// which it reorders.
pub fn quantile_select(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let (lo, frac) = position(values.len(), p);
    let (_, &mut at, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    if frac == 0.0 || above.is_empty() {
        return Some(at);
    }
    let next = above.iter().copied().fold(f64::INFINITY, f64::min);
    Some(at + (next - at) * frac)
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

    /// [`ErrorSums::add`] for a customer who counts `weight` times (recency weighting); a
    /// weight of 1 adds exactly what `add` does.
    pub fn add_weighted(&mut self, actual: f64, predicted: f64, weight: f64) {
        let e = actual - predicted;
        self.n += weight;
        self.abs += weight * e.abs();
        self.sq += weight * e * e;
        self.sum_y += weight * actual;
        self.sum_yy += weight * actual * actual;
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
    column_mean_sds(values, 1, None)[0]
}

/// [`mean_sd`] of values each counted `weights[i]` times (frequency weights: the variance is
/// divided by Σw − 1). Weights of 1 give exactly what `mean_sd` gives.
pub fn weighted_mean_sd(values: &[f64], weights: &[f64]) -> (f64, f64) {
    debug_assert_eq!(values.len(), weights.len());
    column_mean_sds(values, 1, Some(weights))[0]
}

/// Each column's [`mean_sd`] (with `weights`, [`weighted_mean_sd`]) of a table of `width`
/// columns laid out row by row: every column's sums take the additions a column of its own
/// would, in the same order, side by side in two passes over the rows as they lie, so a
/// table's columns need not be copied out first. The sums of floats start from −0.0, as
/// `Iterator::sum`'s do; the variance divides by n − 1 (Σw − 1 with weights), and is 0 for a
/// single value (Σw ≤ 1).
pub fn column_mean_sds(rows: &[f64], width: usize, weights: Option<&[f64]>) -> Vec<(f64, f64)> {
    let n = rows.len().checked_div(width).unwrap_or(0);
    debug_assert_eq!(n * width, rows.len());
    debug_assert!(weights.is_none_or(|w| w.len() == n));
    if n == 0 {
        return vec![(f64::NAN, f64::NAN); width];
    }
    let mut sums = vec![-0.0; width];
    let total = match weights {
        None => {
            for row in rows.chunks_exact(width) {
                for (s, v) in sums.iter_mut().zip(row) {
                    *s += v;
                }
            }
            n as f64
        }
        Some(weights) => {
            for (row, w) in rows.chunks_exact(width).zip(weights) {
                for (s, v) in sums.iter_mut().zip(row) {
                    *s += w * v;
                }
            }
            weights.iter().sum()
        }
    };
    let means: Vec<f64> = sums.iter().map(|s| s / total).collect();
    let spread = match weights {
        None => n > 1,
        Some(_) => total > 1.0,
    };
    let mut squares = vec![-0.0; width];
    if spread {
        match weights {
            None => {
                for row in rows.chunks_exact(width) {
                    for ((s, v), m) in squares.iter_mut().zip(row).zip(&means) {
                        *s += (v - m).powi(2);
                    }
                }
            }
            Some(weights) => {
                for (row, w) in rows.chunks_exact(width).zip(weights) {
                    for ((s, v), m) in squares.iter_mut().zip(row).zip(&means) {
                        *s += w * (v - m).powi(2);
                    }
                }
            }
        }
    }
    means
        .into_iter()
        .zip(squares)
        .map(|(mean, ss)| {
            let var = if spread {
                match weights {
                    None => ss / (n as f64 - 1.0),
                    Some(_) => ss / (total - 1.0),
                }
            } else {
                0.0
            };
            (mean, var.sqrt())
        })
        .collect()
}

/// A prediction interval learnt from held-out residuals (split-conformal): for a prediction `p`
/// of an account whose predicted size is `s`, the interval is
/// `[p + lower · σ(s), p + upper · σ(s)]` with `σ(s) = scale_base + scale_slope · s`.
/// Money errors grow with the account, so the width follows the size; and they are skewed, so
/// the two sides have their own quantile of the scaled residuals.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    /// The share of outcomes the interval is meant to contain, e.g. 0.8.
    pub level: f64,
    pub scale_base: f64,
    pub scale_slope: f64,
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    /// Fits an interval at `level` from held-out `(predicted, size, actual)` triples: the scale
    /// by least squares of |residual| on size (slope kept ≥ 0, base kept clearly > 0), then the
    /// conformal quantiles of residual / scale, with the finite-sample correction (n + 1).
    pub fn fit(held_out: &[(f64, f64, f64)], level: f64) -> Option<Interval> {
        let n = held_out.len();
        if n < 10 {
            return None;
        }
        let nf = n as f64;
        let (ms, mr) = held_out.iter().fold((0.0, 0.0), |(a, b), &(p, s, y)| {
            (a + s / nf, b + (y - p).abs() / nf)
        });
        let (sxy, sxx) = held_out.iter().fold((0.0, 0.0), |(a, b), &(p, s, y)| {
            (a + (s - ms) * ((y - p).abs() - mr), b + (s - ms).powi(2))
        });
        let mut slope = if sxx > 0.0 { (sxy / sxx).max(0.0) } else { 0.0 };
        let mut base = mr - slope * ms;
        // A scale near zero for small accounts would make their intervals vanish.
        if base < 0.1 * mr {
            base = 0.1 * mr;
            slope = ((mr - base) / ms.max(f64::MIN_POSITIVE)).max(0.0);
        }
        if base <= 0.0 {
            return None;
        }
        let mut scores: Vec<f64> = held_out
            .iter()
            .map(|&(p, s, y)| (y - p) / (base + slope * s))
            .collect();
        let tail = (1.0 - level) / 2.0;
        let rank = |q: f64| ((nf + 1.0) * q).ceil().clamp(1.0, nf) as usize - 1;
        // The two order statistics by selection, as a sort would place them.
        let mut at = |k: usize| *scores.select_nth_unstable_by(k, f64::total_cmp).1;
        let (lower, upper) = (at(rank(tail)), at(rank(1.0 - tail)));
        Some(Interval {
            level,
            scale_base: base,
            scale_slope: slope,
            lower,
            upper,
        })
    }

    /// The interval around `predicted` for an account of predicted size `size`.
    pub fn around(&self, predicted: f64, size: f64) -> (f64, f64) {
        let sigma = self.scale_base + self.scale_slope * size.max(0.0);
        (
            predicted + self.lower * sigma,
            predicted + self.upper * sigma,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn radix_sort_on_order_keys_orders_numbers_as_total_cmp_does() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for n in [0, 1, 255, 256, 5_000] {
            let values: Vec<f64> = (0..n)
                .map(|i| match i % 8 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => rng.random_range(-1e6..1e6),
                    3 => f64::from(rng.random_range(0..40)),
                    4 => rng.random_range(-1e-300..1e-300),
                    5 => [f64::INFINITY, f64::NEG_INFINITY, f64::MIN_POSITIVE][i % 3],
                    6 => [f64::NAN, -f64::NAN][(i / 8) % 2],
                    _ => rng.random_range(0.0..1.0) * 1e12,
                })
                .collect();
            let mut expected = values.clone();
            expected.sort_by(f64::total_cmp);
            let mut keyed: Vec<(u64, f64)> = values.iter().map(|&x| (order_key(x), x)).collect();
            radix_sort_by_key(&mut keyed, |item| item.0);
            let bits = |v: &mut dyn Iterator<Item = f64>| v.map(f64::to_bits).collect::<Vec<_>>();
            assert_eq!(
                bits(&mut keyed.iter().map(|item| item.1)),
                bits(&mut expected.into_iter()),
                "n = {n}"
            );
        }
    }

    #[test]
    fn radix_sort_keeps_the_order_of_equal_keys() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        for n in [10, 300, 4_000] {
            let items: Vec<(u64, usize)> = (0..n).map(|i| (rng.random_range(0..50), i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|item| item.0);
            let mut sorted = items;
            radix_sort_by_key(&mut sorted, |item| item.0);
            assert_eq!(sorted, expected, "n = {n}");
        }
        for x in [-3.5, -0.0, 0.0, 1e-300, 7.0, f64::INFINITY] {
            assert_eq!(order_key(x).cmp(&order_key(2.0)), x.total_cmp(&2.0));
        }
    }

    #[test]
    fn quantiles_of_sorted_values_are_the_selected_ones_bit_for_bit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let mut values: Vec<f64> = (0..1001)
            .map(|i| {
                if i % 5 == 0 {
                    -0.0
                } else {
                    rng.random_range(-50.0..50.0)
                }
            })
            .collect();
        values.push(f64::INFINITY);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let ps = [0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0];
        // Only the ranks the quantiles read put in place, as training does.
        let mut ranks: Vec<usize> = ps
            .iter()
            .flat_map(|&p| quantile_positions(values.len(), p))
            .collect();
        ranks.sort_unstable();
        ranks.dedup();
        let mut placed = values.clone();
        select_positions(&mut placed, &ranks);
        for &k in &ranks {
            assert_eq!(placed[k].to_bits(), sorted[k].to_bits(), "rank {k}");
        }
        for p in ps {
            let mut scratch = values.clone();
            let selected = quantile_select(&mut scratch, p).unwrap();
            assert_eq!(
                quantile_sorted(&sorted, p).unwrap().to_bits(),
                selected.to_bits(),
                "p = {p}"
            );
            assert_eq!(
                quantile_sorted(&placed, p).unwrap().to_bits(),
                selected.to_bits(),
                "p = {p}, ranks in place"
            );
        }
        assert_eq!(quantile_positions(0, 0.5).count(), 0);
        assert_eq!(quantile_positions(1, 0.5).collect::<Vec<_>>(), vec![0]);
        assert_eq!(quantile_positions(5, 1.0).collect::<Vec<_>>(), vec![4]);
    }

    /// Quantile of unsorted values; sorts a copy.
    fn quantile(values: &[f64], p: f64) -> Option<f64> {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        quantile_sorted(&v, p)
    }

    #[test]
    fn weights_of_one_change_no_bit_and_a_weight_of_two_counts_twice() {
        let v = [3.1, -2.0, 7.25, 0.4, 11.0];
        assert_eq!(weighted_mean_sd(&v, &[1.0; 5]), mean_sd(&v));
        let (m, sd) = weighted_mean_sd(&v, &[1.0, 2.0, 1.0, 1.0, 1.0]);
        let (m2, sd2) = mean_sd(&[3.1, -2.0, -2.0, 7.25, 0.4, 11.0]);
        assert!((m - m2).abs() < 1e-12 && (sd - sd2).abs() < 1e-12);

        let [mut plain, mut ones, mut twice, mut double] = [ErrorSums::default(); 4];
        for (a, p) in [(5.0, 3.5), (1.0, 2.0), (-4.0, 0.5)] {
            plain.add(a, p);
            ones.add_weighted(a, p, 1.0);
            twice.add_weighted(a, p, 2.0);
            double.add(a, p);
            double.add(a, p);
        }
        let all = |s: &ErrorSums| [s.n, s.abs, s.sq, s.sum_y, s.sum_yy];
        assert_eq!(all(&plain).map(f64::to_bits), all(&ones).map(f64::to_bits));
        for (a, b) in all(&twice).iter().zip(all(&double)) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

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
    fn intervals_cover_their_level_on_fresh_data_and_widen_with_size() {
        // Residuals proportional to size: y = p + size × u, u uniform on [-1, 1).
        let mut seed = 7u64;
        let mut draw = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut sample = |n: usize| -> Vec<(f64, f64, f64)> {
            (0..n)
                .map(|_| {
                    let size = 100.0 + 900.0 * draw();
                    (0.0, size, size * (2.0 * draw() - 1.0))
                })
                .collect()
        };
        let interval = Interval::fit(&sample(4000), 0.8).unwrap();
        let fresh = sample(4000);
        let inside = fresh
            .iter()
            .filter(|&&(p, s, y)| {
                let (lo, hi) = interval.around(p, s);
                lo <= y && y <= hi
            })
            .count() as f64
            / 4000.0;
        assert!((inside - 0.8).abs() < 0.03, "coverage {inside}");
        let (lo_small, hi_small) = interval.around(0.0, 100.0);
        let (lo_big, hi_big) = interval.around(0.0, 1000.0);
        assert!(hi_big - lo_big > 3.0 * (hi_small - lo_small));
        assert!(Interval::fit(&[(0.0, 1.0, 1.0); 5], 0.8).is_none());
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

    #[test]
    fn column_mean_sds_are_each_columns_mean_sd_bit_for_bit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let bits = |v: &[(f64, f64)]| -> Vec<(u64, u64)> {
            v.iter().map(|(a, b)| (a.to_bits(), b.to_bits())).collect()
        };
        let width = 5;
        for n in [1, 2, 3, 1_000] {
            // Heavy tails, negative zeros (a column of them sums to −0.0, as `sum` makes it),
            // signs of both kinds.
            let rows: Vec<f64> = (0..n * width)
                .map(|i| match i % width {
                    0 => rng.random_range(-1e3..1e3),
                    1 => -0.0,
                    2 => rng.random_range(0.0..1.0f64).powi(8) * 1e9,
                    3 => f64::from(rng.random_range(0..4)),
                    _ => -rng.random_range(0.0..5.0),
                })
                .collect();
            let weights: Vec<f64> = (0..n).map(|_| rng.random_range(0.05..3.0)).collect();
            let column =
                |c: usize| -> Vec<f64> { rows.iter().skip(c).step_by(width).copied().collect() };
            let plain: Vec<(f64, f64)> = (0..width).map(|c| mean_sd(&column(c))).collect();
            let weighted: Vec<(f64, f64)> = (0..width)
                .map(|c| weighted_mean_sd(&column(c), &weights))
                .collect();
            assert_eq!(bits(&column_mean_sds(&rows, width, None)), bits(&plain));
            let got = column_mean_sds(&rows, width, Some(&weights));
            assert_eq!(bits(&got), bits(&weighted));
        }
        assert!(column_mean_sds(&[], 3, None)
            .iter()
            .all(|(m, s)| m.is_nan() && s.is_nan()));
    }
}
