//! How good is a ranking of customers by predicted net value, in the terms a sales team cares
//! about: does it put the valuable customers first (Gini, gains), are its money amounts right on
//! average (calibration), how much profit sits in the best customers and how much the worst ones
//! lose (the whale curve), what following its advice would have earned (captured), do its
//! intervals hold (coverage), and has the lead population drifted away from the history (PSI).
//!
//! Everything here is a pure computation on numbers already in memory: no I/O, no model, no
//! configuration. Empty or degenerate input gives empty results or `None`, never a panic.
//! Ratios whose denominator is a total of zero (shares of a total net value of 0) are `NaN`,
//! which `serde_json` writes as `null`.

use serde::Serialize;

/// One customer (or lead) with its predicted and, when known, actual net value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub predicted: f64,
    pub actual: f64,
}

/// Normalised Gini of the ranking by `predicted`: the Gini of `actual` ordered by predicted
/// divided by the Gini of `actual` ordered by itself (1 = perfect ranking, 0 = random, negative =
/// worse than random).
///
/// This is the formulation of Kaggle's normalised Gini: sort by predicted, highest first, ties in
/// their original order (so a constant prediction scores whatever the input order happens to be,
/// not a flattering tie-break), then compare the cumulative share of `actual` with the cumulative
/// share of the population. Only the order of `predicted` matters, so it measures ranking, not
/// calibration.
///
/// `None` when there are fewer than 2 pairs, the actual values' total is 0 (shares undefined), or
/// all actual values are equal (no ranking can beat another, so the perfect Gini is 0).
pub fn normalised_gini(pairs: &[Pair]) -> Option<f64> {
    normalised_gini_on(pairs, 1)
}

/// [`normalised_gini`], its two sorts of every pair on two threads when `threads` allows it and
/// there are enough pairs to be worth a thread. The result does not depend on `threads`.
pub fn normalised_gini_on(pairs: &[Pair], threads: usize) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let total: f64 = pairs.iter().map(|p| p.actual).sum();
    if total == 0.0 || !total.is_finite() {
        return None;
    }
    let by_prediction = || unnormalised_gini(&actual_in_order(pairs, |p| p.predicted), total);
    let perfect = || unnormalised_gini(&actual_in_order(pairs, |p| p.actual), total);
    let (by_prediction, perfect) = if threads > 1 && pairs.len() >= 10_000 {
        std::thread::scope(|s| {
            let by_prediction = s.spawn(by_prediction);
            let perfect = perfect();
            (
                by_prediction.join().expect("sorting does not panic"),
                perfect,
            )
        })
    } else {
        (by_prediction(), perfect())
    };
    if perfect == 0.0 || !perfect.is_finite() {
        return None;
    }
    Some(by_prediction / perfect)
}

/// Kaggle's Gini of `actual` values already in ranking order: the mean over customers of
/// (cumulative share of actual − cumulative share of population), up to a constant factor that
/// cancels in the normalised ratio.
fn unnormalised_gini(actual: &[f64], total: f64) -> f64 {
    let n = actual.len() as f64;
    let mut running = 0.0;
    let mut sum_of_cumulative = 0.0;
    for &a in actual {
        running += a;
        sum_of_cumulative += running;
    }
    (sum_of_cumulative / total - (n + 1.0) / 2.0) / n
}

/// The actual values of `pairs` sorted by `key`, highest first; ties keep their input order
/// (a stable radix sort on the key turned over).
fn actual_in_order(pairs: &[Pair], key: impl Fn(&Pair) -> f64) -> Vec<f64> {
    let mut sorted: Vec<(u64, f64)> = pairs
        .iter()
        .map(|p| (!crate::stats::order_key(key(p)), p.actual))
        .collect();
    crate::stats::radix_sort_by_key(&mut sorted, |item| item.0);
    sorted.into_iter().map(|(_, actual)| actual).collect()
}

/// One group of the gains table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GainsRow {
    /// 1 = the best-predicted group.
    pub group: usize,
    pub customers: usize,
    pub predicted_mean: f64,
    pub actual_total: f64,
    pub actual_mean: f64,
    /// Actual net value captured by contacting this group and every better one.
    pub cumulative_total: f64,
    /// That as a share of all actual net value.
    pub cumulative_share: f64,
    /// What a random order captures with as many customers: their share of all customers.
    pub random_share: f64,
    /// What a perfect order (sorted by actual) captures with as many customers.
    pub perfect_share: f64,
}

/// Gains table: customers sorted by predicted net value, highest first (ties in input order),
/// cut into `bins` groups of near-equal size (group 1 = the best-predicted tenth when `bins` is
/// 10). With fewer customers than bins there is one group per customer.
///
/// Shares are relative to the total actual net value, so they can exceed 1 or be negative when
/// some customers lose money: a cumulative share above 1 says contacting only the groups so far
/// beats contacting everyone. They are `NaN` when the total is 0.
pub fn gains(pairs: &[Pair], bins: usize) -> Vec<GainsRow> {
    let sorted = sorted_by_predicted(pairs);
    let total: f64 = sorted.iter().map(|p| p.actual).sum();
    let perfect_cumulative = cumulative(&actual_in_order(pairs, |p| p.actual));
    let n = sorted.len();

    let mut captured = 0.0;
    group_ranges(n, bins)
        .into_iter()
        .enumerate()
        .map(|(i, range)| {
            let end = range.end;
            let group = &sorted[range];
            let actual_total: f64 = group.iter().map(|p| p.actual).sum();
            captured += actual_total;
            GainsRow {
                group: i + 1,
                customers: group.len(),
                predicted_mean: mean(group.iter().map(|p| p.predicted)),
                actual_total,
                actual_mean: actual_total / group.len() as f64,
                cumulative_total: captured,
                cumulative_share: captured / total,
                random_share: end as f64 / n as f64,
                perfect_share: perfect_cumulative[end] / total,
            }
        })
        .collect()
}

/// One group of the calibration table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationRow {
    pub group: usize,
    pub customers: usize,
    pub predicted_mean: f64,
    pub actual_mean: f64,
}

/// Calibration: the same groups as [`gains`], mean predicted vs mean actual. A good ranking can
/// still be off in money; this shows whether the amounts themselves can be trusted, group by
/// group, in particular at the top, where contact decisions are made.
pub fn calibration(pairs: &[Pair], bins: usize) -> Vec<CalibrationRow> {
    let sorted = sorted_by_predicted(pairs);
    group_ranges(sorted.len(), bins)
        .into_iter()
        .enumerate()
        .map(|(i, range)| {
            let group = &sorted[range];
            CalibrationRow {
                group: i + 1,
                customers: group.len(),
                predicted_mean: mean(group.iter().map(|p| p.predicted)),
                actual_mean: mean(group.iter().map(|p| p.actual)),
            }
        })
        .collect()
}

/// `pairs` sorted by predicted, highest first; stable, so ties keep their input order.
fn sorted_by_predicted(pairs: &[Pair]) -> Vec<Pair> {
    let mut sorted = pairs.to_vec();
    sorted.sort_by(|a, b| b.predicted.total_cmp(&a.predicted));
    sorted
}

/// Index ranges cutting `n` items into `min(bins, n)` consecutive groups whose sizes differ by at
/// most one (larger groups last), so no group is ever empty.
fn group_ranges(n: usize, bins: usize) -> Vec<std::ops::Range<usize>> {
    let groups = bins.min(n);
    (0..groups)
        .map(|i| i * n / groups..(i + 1) * n / groups)
        .collect()
}

/// Running totals with a leading 0: `result[k]` is the sum of the first `k` values.
fn cumulative(values: &[f64]) -> Vec<f64> {
    let mut running = 0.0;
    std::iter::once(0.0)
        .chain(values.iter().map(|v| {
            running += v;
            running
        }))
        .collect()
}

/// Mean of a non-empty iterator (`NaN` when empty, which callers avoid).
fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    sum / count as f64
}

/// At most this many points are kept on a whale curve: enough to draw it, small in JSON.
const WHALE_MAX_POINTS: usize = 1001;

/// The whale curve and the numbers read off it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Whale {
    /// (share of customers, cumulative profit as share of total), starting at (0, 0), one point
    /// per customer, or downsampled to at most 1001 points keeping the peak and the end.
    pub points: Vec<(f64, f64)>,
    /// Total profit (sum of values).
    pub total: f64,
    /// Customers up to and including the peak.
    pub peak_customers: usize,
    pub peak_share_of_customers: f64,
    /// Cumulative profit at the peak (money).
    pub peak_profit: f64,
    /// `peak_profit − total` (≥ 0): what the customers beyond the peak lose.
    pub tail_loss: f64,
    /// Cumulative profit of the top 20% of customers / total.
    pub top_fifth_share: f64,
    /// Sum of the bottom 20%'s values (negative when they lose money).
    pub bottom_fifth_loss: f64,
}

/// The whale curve (activity-based costing): customers sorted by `values` (actual, or predicted
/// for a lead list), highest first; cumulative profit as a share of total profit against the
/// share of customers. Typically it rises above 100% and falls back: the peak is the most profit
/// available by serving only the best customers; the tail beyond it loses money.
///
/// The peak is the first maximum (ties go to fewer customers: serving more for no extra profit
/// is not worth it) and may be at 0 customers when every value is negative. The top and bottom
/// fifths are `round(n / 5)` customers each. Shares are `NaN` when the total is 0. Empty input
/// gives zeros and no points.
pub fn whale_curve(values: &[f64]) -> Whale {
    let n = values.len();
    if n == 0 {
        return Whale::default();
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let running = cumulative(&sorted);
    let peak_customers = first_max(&running);
    let fifth = (n + 2) / 5;
    let bottom_fifth_loss = sorted[n - fifth..].iter().sum();
    let tail_loss = running[peak_customers] - running[n];
    drawn(running, peak_customers, tail_loss, bottom_fifth_loss)
}

/// [`whale_curve`] of written money: each value a whole number of its last decimal's units
/// (cents, for 2 decimals), as `score` writes a lead's net value. The sums are made in those
/// units, exactly, so the money figures are written figures added up (a total ends in whole
/// cents, and the peak less the tail loss is the total to the cent), where summing `f64`s
/// left them a few units of the 15th digit off.
pub fn whale_curve_of_written(units: &[i64], decimals: usize) -> Whale {
    let n = units.len();
    if n == 0 {
        return Whale::default();
    }
    let mut sorted = units.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    // i128: a million leads of up to 2^53 units each cannot overflow it.
    let mut exact = Vec::with_capacity(n + 1);
    exact.push(0i128);
    for &u in &sorted {
        exact.push(exact[exact.len() - 1] + i128::from(u));
    }
    let peak_customers = first_max_of(&exact);
    let fifth = (n + 2) / 5;
    let scale = 10f64.powi(decimals as i32);
    let money = |u: i128| u as f64 / scale;
    let bottom_fifth_loss = money(sorted[n - fifth..].iter().map(|&u| i128::from(u)).sum());
    let tail_loss = money(exact[peak_customers] - exact[n]);
    drawn(
        exact.into_iter().map(money).collect(),
        peak_customers,
        tail_loss,
        bottom_fifth_loss,
    )
}

/// The curve through the cumulative profits `running` (from 0, best first), with the numbers
/// read off it; the two that are differences or sums of its values come made.
fn drawn(
    running: Vec<f64>,
    peak_customers: usize,
    tail_loss: f64,
    bottom_fifth_loss: f64,
) -> Whale {
    let n = running.len() - 1;
    let total = running[n];
    let peak_profit = running[peak_customers];
    let fifth = (n + 2) / 5;
    let indices = if n < WHALE_MAX_POINTS {
        (0..=n).collect()
    } else {
        downsample(n, peak_customers, WHALE_MAX_POINTS)
    };
    let points = indices
        .into_iter()
        .map(|k| (k as f64 / n as f64, running[k] / total))
        .collect();
    Whale {
        points,
        total,
        peak_customers,
        peak_share_of_customers: peak_customers as f64 / n as f64,
        peak_profit,
        tail_loss,
        top_fifth_share: running[fifth] / total,
        bottom_fifth_loss,
    }
}

/// Index of the first largest of exact sums (`values` non-empty).
fn first_max_of(values: &[i128]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// Index of the first largest value (`values` non-empty).
fn first_max(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// `max_points` indices in `0..=n` (for `n + 1 > max_points`), evenly spread, always including
/// 0, `n` and `keep`, in increasing order. `keep` replaces its nearest interior grid index, so
/// the count stays at `max_points` and the peak is drawn exactly.
pub fn downsample(n: usize, keep: usize, max_points: usize) -> Vec<usize> {
    let steps = max_points - 1;
    let mut indices: Vec<usize> = (0..=steps).map(|i| i * n / steps).collect();
    if !indices.contains(&keep) {
        let nearest = (keep * steps + n / 2) / n;
        indices[nearest.clamp(1, steps - 1)] = keep;
        indices.sort_unstable();
    }
    indices
}

/// What following the recommendations would have done, against contacting everyone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Captured {
    pub contacted: usize,
    pub all: usize,
    /// Actual net value of the contacted customers.
    pub value_contacted: f64,
    /// Actual net value of all customers.
    pub value_all: f64,
    /// Minus the sum of actual values < 0 among the customers not contacted: money-losers
    /// skipped.
    pub losses_avoided: f64,
    /// Sum of actual values > 0 among the customers not contacted: good customers skipped.
    pub profit_forgone: f64,
}

/// What following the recommendations would have done on customers whose actual value is known:
/// contacting only the customers `contact(i)` says yes to (by position in `pairs`), versus
/// contacting everyone. The two
/// sides of the trade are kept apart because a team may weigh a lost good customer differently
/// from an avoided bad one; they reconcile as
/// `value_contacted = value_all + losses_avoided − profit_forgone`.
pub fn captured(pairs: &[Pair], contact: impl Fn(usize) -> bool) -> Captured {
    let mut result = Captured {
        contacted: 0,
        all: pairs.len(),
        value_contacted: 0.0,
        value_all: 0.0,
        losses_avoided: 0.0,
        profit_forgone: 0.0,
    };
    for (i, p) in pairs.iter().enumerate() {
        result.value_all += p.actual;
        if contact(i) {
            result.contacted += 1;
            result.value_contacted += p.actual;
        } else if p.actual < 0.0 {
            result.losses_avoided -= p.actual;
        } else if p.actual > 0.0 {
            result.profit_forgone += p.actual;
        }
    }
    result
}

/// Empirical coverage of intervals: the share of `(low, high, actual)` with
/// `low <= actual <= high` (a `NaN` anywhere counts as not covered). Compare with the nominal
/// level: an 80% interval should cover about 0.8. `None` when there are no intervals.
pub fn coverage(intervals: &[(f64, f64, f64)]) -> Option<f64> {
    if intervals.is_empty() {
        return None;
    }
    let inside = intervals
        .iter()
        .filter(|(low, high, actual)| low <= actual && actual <= high)
        .count();
    Some(inside as f64 / intervals.len() as f64)
}

/// Smallest share a bin is given in [`psi`], so an empty bin does not make the index infinite.
const PSI_FLOOR: f64 = 1e-4;

/// Population stability index between a reference distribution (the history) and a new one (a
/// lead list), given as counts over the same bins (categories or numeric bins, e.g. from
/// [`quantile_edges`] and [`bin_counts`]).
///
/// Counts are turned into shares, each floored at 1e-4 so empty bins do not give infinities, and
/// PSI = Σ (new − ref) · ln(new / ref). Every term is ≥ 0, so it only grows with drift.
/// Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift (scores on such a
/// list rest on customers unlike the ones the model learnt from).
///
/// `None` when the lengths differ, there are no bins, a count is negative or not finite, or
/// either side has no counts at all.
pub fn psi(reference: &[f64], new: &[f64]) -> Option<f64> {
    if reference.is_empty() || reference.len() != new.len() {
        return None;
    }
    let reference = shares(reference)?;
    let new = shares(new)?;
    Some(
        reference
            .iter()
            .zip(&new)
            .map(|(r, n)| (n - r) * (n / r).ln())
            .sum(),
    )
}

/// Counts as shares of their total, floored at [`PSI_FLOOR`]; `None` for invalid counts.
fn shares(counts: &[f64]) -> Option<Vec<f64>> {
    if counts.iter().any(|c| !c.is_finite() || *c < 0.0) {
        return None;
    }
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return None;
    }
    Some(counts.iter().map(|c| (c / total).max(PSI_FLOOR)).collect())
}

/// Inner bin edges cutting a sample into `bins` groups of about equal size (9 edges for deciles),
/// deduplicated, ascending; `NaN` values are ignored.
///
/// Each edge is a sample value, the lower empirical quantile (the smallest value with at least
/// `j/bins` of the sample at or below it), so that with [`bin_counts`]' rule (a value on an edge
/// goes to the lower bin) every reference bin holds its share and heavy ties collapse into one
/// bin instead of leaving empty ones. Empty when the sample is empty or `bins < 2`.
pub fn quantile_edges(values: &[f64], bins: usize) -> Vec<f64> {
    let mut values: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let positions = edge_positions(values.len(), bins);
    crate::stats::select_positions(&mut values, &positions);
    edges_in_place(&values, bins)
}

/// The ranks (0-based order statistics) of [`quantile_edges`]' edges among `n` values,
/// ascending, without repeats.
pub fn edge_positions(n: usize, bins: usize) -> Vec<usize> {
    if n == 0 || bins < 2 {
        return Vec::new();
    }
    let mut positions: Vec<usize> = (1..bins).map(|j| (n * j).div_ceil(bins) - 1).collect();
    positions.dedup();
    positions
}

/// [`quantile_edges`] of values (none of them NaN) whose order statistics at
/// [`edge_positions`] are in place: sorted values, or values after
/// [`crate::stats::select_positions`] with those ranks among others.
pub fn edges_in_place(values: &[f64], bins: usize) -> Vec<f64> {
    let mut edges: Vec<f64> = edge_positions(values.len(), bins)
        .into_iter()
        .map(|k| values[k])
        .collect();
    edges.dedup();
    edges
}

/// Counts of values per bin for ascending `edges` (`edges.len() + 1` bins): a value goes to the
/// first bin whose upper edge is >= it, the last bin is open above. Counts are `f64` to feed
/// [`psi`] directly. `NaN` values are skipped: a missing value has no bin.
pub fn bin_counts(values: impl IntoIterator<Item = f64>, edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0.0; edges.len() + 1];
    // A value's bin is the number of edges below it. For deciles' nine edges, counting them
    // all without a branch is faster than a binary search, whose branches a million values
    // of money cannot predict; the two agree because the edges ascend.
    let few = edges.len() <= 16;
    for v in values.into_iter().filter(|v| !v.is_nan()) {
        let bin = if few {
            edges.iter().filter(|&&e| e < v).count()
        } else {
            edges.partition_point(|&e| e < v)
        };
        counts[bin] += 1.0;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    const TOL: f64 = 1e-9;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < TOL
    }

    fn pairs(values: &[(f64, f64)]) -> Vec<Pair> {
        values
            .iter()
            .map(|&(predicted, actual)| Pair { predicted, actual })
            .collect()
    }

    /// Four customers whose second-best prediction loses money and whose best actual customer is
    /// predicted third.
    fn mixed() -> Vec<Pair> {
        pairs(&[(4.0, 10.0), (3.0, -5.0), (2.0, 20.0), (1.0, 5.0)])
    }

    #[test]
    fn a_perfect_ranking_has_gini_one() {
        let p = pairs(&[(1.0, 1.0), (4.0, 4.0), (2.0, 2.0), (3.0, 3.0), (-1.0, -1.0)]);
        assert!(close(normalised_gini(&p).unwrap(), 1.0));
    }

    #[test]
    fn a_reversed_ranking_has_gini_minus_one() {
        let p = pairs(&[(3.0, 1.0), (2.0, 2.0), (1.0, 3.0), (0.0, 7.0)]);
        assert!(close(normalised_gini(&p).unwrap(), -1.0));
    }

    #[test]
    fn gini_matches_the_kaggle_formula_by_hand() {
        // By prediction: cumulative actual 10, 5, 25, 30, sum 70; perfect order 20, 10, 5, -5:
        // cumulative 20, 30, 35, 30, sum 115; total 30, n = 4:
        // (70/30 − 2.5) / (115/30 − 2.5) = (70 − 75) / (115 − 75) = −0.125.
        assert!(close(normalised_gini(&mixed()).unwrap(), -0.125));
    }

    #[test]
    fn gini_breaks_prediction_ties_by_input_order() {
        let worse_first = pairs(&[(1.0, 0.0), (1.0, 1.0)]);
        let better_first = pairs(&[(1.0, 1.0), (1.0, 0.0)]);
        assert!(close(normalised_gini(&worse_first).unwrap(), -1.0));
        assert!(close(normalised_gini(&better_first).unwrap(), 1.0));
    }

    #[test]
    fn gini_is_none_without_a_ranking_to_judge() {
        assert_eq!(normalised_gini(&[]), None);
        assert_eq!(normalised_gini(&pairs(&[(1.0, 5.0)])), None);
        assert_eq!(normalised_gini(&pairs(&[(1.0, 5.0), (2.0, -5.0)])), None);
        assert_eq!(normalised_gini(&pairs(&[(1.0, 2.0), (2.0, 2.0)])), None);
    }

    #[test]
    fn gains_of_a_perfect_ranking_equal_the_perfect_column() {
        let p: Vec<Pair> = (0..13)
            .map(|i| {
                let v = ((i * 7) % 13) as f64 - 4.0;
                Pair {
                    predicted: v,
                    actual: v,
                }
            })
            .collect();
        let rows = gains(&p, 5);
        assert_eq!(rows.len(), 5);
        for row in &rows {
            assert!(close(row.cumulative_share, row.perfect_share), "{row:?}");
        }
    }

    #[test]
    fn gains_match_a_hand_computed_table() {
        let rows = gains(&mixed(), 2);
        let expected = [
            GainsRow {
                group: 1,
                customers: 2,
                predicted_mean: 3.5,
                actual_total: 5.0,
                actual_mean: 2.5,
                cumulative_total: 5.0,
                cumulative_share: 5.0 / 30.0,
                random_share: 0.5,
                perfect_share: 1.0,
            },
            GainsRow {
                group: 2,
                customers: 2,
                predicted_mean: 1.5,
                actual_total: 25.0,
                actual_mean: 12.5,
                cumulative_total: 30.0,
                cumulative_share: 1.0,
                random_share: 1.0,
                perfect_share: 1.0,
            },
        ];
        assert_eq!(rows.len(), 2);
        for (got, want) in rows.iter().zip(&expected) {
            assert_eq!((got.group, got.customers), (want.group, want.customers));
            assert!(close(got.predicted_mean, want.predicted_mean));
            assert!(close(got.actual_total, want.actual_total));
            assert!(close(got.actual_mean, want.actual_mean));
            assert!(close(got.cumulative_total, want.cumulative_total));
            assert!(close(got.cumulative_share, want.cumulative_share));
            assert!(close(got.random_share, want.random_share));
            assert!(close(got.perfect_share, want.perfect_share));
        }
    }

    #[test]
    fn gains_on_twenty_customers_in_ten_bins_has_ten_rows_of_two_ending_at_one() {
        let p: Vec<Pair> = (0..20)
            .map(|i| Pair {
                predicted: (i % 7) as f64,
                actual: (i % 5) as f64 - 1.5,
            })
            .collect();
        let rows = gains(&p, 10);
        assert_eq!(rows.len(), 10);
        assert!(rows.iter().all(|r| r.customers == 2));
        assert_eq!(
            rows.iter().map(|r| r.group).collect::<Vec<_>>(),
            (1..=10).collect::<Vec<_>>()
        );
        let last = rows.last().unwrap();
        assert!(close(last.cumulative_share, 1.0));
        assert!(close(last.random_share, 1.0));
        assert!(close(last.perfect_share, 1.0));
        assert!(close(rows[0].random_share, 0.1));
    }

    #[test]
    fn gains_use_one_group_per_customer_when_bins_outnumber_them_and_none_when_empty() {
        let rows = gains(&mixed(), 10);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.customers == 1));
        assert!(gains(&[], 10).is_empty());
        assert!(gains(&mixed(), 0).is_empty());
        assert!(calibration(&[], 10).is_empty());
    }

    #[test]
    fn gains_split_uneven_counts_into_groups_differing_by_at_most_one() {
        let p: Vec<Pair> = (0..7)
            .map(|i| Pair {
                predicted: i as f64,
                actual: 1.0,
            })
            .collect();
        let sizes: Vec<usize> = gains(&p, 3).iter().map(|r| r.customers).collect();
        assert_eq!(sizes, vec![2, 2, 3]);
    }

    #[test]
    fn calibration_compares_group_means() {
        let rows = calibration(&mixed(), 2);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].group, rows[0].customers), (1, 2));
        assert!(close(rows[0].predicted_mean, 3.5));
        assert!(close(rows[0].actual_mean, 2.5));
        assert_eq!((rows[1].group, rows[1].customers), (2, 2));
        assert!(close(rows[1].predicted_mean, 1.5));
        assert!(close(rows[1].actual_mean, 12.5));
    }

    #[test]
    fn whale_curve_peaks_after_the_profitable_customers() {
        let w = whale_curve(&[5.0, 3.0, -1.0, -2.0]);
        // Cumulative 0, 5, 8, 7, 5.
        assert!(close(w.total, 5.0));
        assert_eq!(w.peak_customers, 2);
        assert!(close(w.peak_share_of_customers, 0.5));
        assert!(close(w.peak_profit, 8.0));
        assert!(close(w.peak_profit / w.total, 1.6));
        assert!(close(w.tail_loss, 3.0));
        // round(4 / 5) = 1 customer per fifth.
        assert!(close(w.top_fifth_share, 1.0));
        assert!(close(w.bottom_fifth_loss, -2.0));
        let expected = [(0.0, 0.0), (0.25, 1.0), (0.5, 1.6), (0.75, 1.4), (1.0, 1.0)];
        assert_eq!(w.points.len(), expected.len());
        for (got, want) in w.points.iter().zip(&expected) {
            assert!(close(got.0, want.0) && close(got.1, want.1), "{got:?}");
        }
        assert_eq!(whale_curve(&[-1.0, 5.0, -2.0, 3.0]), w);
    }

    /// Written money adds up in its own units: ten leads of 0.10 and one of -0.30 total 0.70
    /// exactly, the peak (1.00) less the tail loss (0.30) is that total, and the curve is the
    /// one the same figures as `f64`s draw. Summed as `f64`s, ten 0.10s are 0.9999999999999999.
    #[test]
    fn a_whale_curve_of_written_cents_adds_up_to_the_cent() {
        let mut cents = vec![10i64; 10];
        cents.insert(3, -30);
        let w = whale_curve_of_written(&cents, 2);
        assert_eq!(w.total, 0.7);
        assert_eq!(w.peak_profit, 1.0);
        assert_eq!(w.tail_loss, 0.3);
        // The bottom fifth (2 of 11): -0.30 and 0.10.
        assert_eq!(w.bottom_fifth_loss, -0.2);
        assert_eq!(w.peak_customers, 10);
        let floats: Vec<f64> = cents.iter().map(|&c| c as f64 / 100.0).collect();
        let f = whale_curve(&floats);
        assert_ne!(f.peak_profit, 1.0, "the f64 sum this replaces is off");
        assert_eq!(w.points.len(), f.points.len());
        for (a, b) in w.points.iter().zip(&f.points) {
            assert!((a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12);
        }
        assert_eq!(whale_curve_of_written(&[], 2), Whale::default());
    }

    #[test]
    fn whale_curve_of_only_losses_peaks_at_nobody() {
        let w = whale_curve(&[-1.0, -3.0]);
        assert_eq!(w.peak_customers, 0);
        assert!(close(w.peak_profit, 0.0));
        assert!(close(w.tail_loss, 4.0));
        assert_eq!(w.points[0], (0.0, 0.0));
    }

    #[test]
    fn whale_curve_of_nothing_is_zeros_without_points() {
        assert_eq!(whale_curve(&[]), Whale::default());
        assert!(whale_curve(&[]).points.is_empty());
    }

    #[test]
    fn whale_curve_downsamples_large_lists_keeping_the_peak_and_the_end() {
        // 3001 customers earn 1, 1999 lose 1: the peak (3001) is not on the 5-customer grid.
        let values: Vec<f64> = (0..5000)
            .map(|i| if i < 3001 { 1.0 } else { -1.0 })
            .collect();
        let w = whale_curve(&values);
        assert_eq!(w.points.len(), 1001);
        assert_eq!(w.peak_customers, 3001);
        assert!(close(w.total, 1002.0));
        assert!(close(w.tail_loss, 1999.0));
        assert_eq!(w.points[0], (0.0, 0.0));
        let last = *w.points.last().unwrap();
        assert!(close(last.0, 1.0) && close(last.1, 1.0));
        assert!(w
            .points
            .iter()
            .any(|&(x, y)| close(x, 3001.0 / 5000.0) && close(y, 3001.0 / 1002.0)));
        assert!(w.points.windows(2).all(|p| p[0].0 < p[1].0));
    }

    #[test]
    fn captured_splits_what_skipping_customers_saves_and_costs() {
        let p = pairs(&[
            (5.0, 8.0),
            (2.0, -3.0),
            (-1.0, -4.0),
            (-2.0, 6.0),
            (3.0, 1.0),
        ]);
        let c = captured(&p, |i| p[i].predicted > 0.0);
        assert_eq!((c.contacted, c.all), (3, 5));
        assert!(close(c.value_contacted, 6.0));
        assert!(close(c.value_all, 8.0));
        assert!(close(c.losses_avoided, 4.0));
        assert!(close(c.profit_forgone, 6.0));
        assert!(close(
            c.value_contacted,
            c.value_all + c.losses_avoided - c.profit_forgone
        ));
    }

    #[test]
    fn captured_of_no_customers_is_all_zero() {
        let c = captured(&[], |_| true);
        assert_eq!((c.contacted, c.all), (0, 0));
        assert_eq!(c.value_all, 0.0);
    }

    #[test]
    fn coverage_counts_interval_ends_as_inside() {
        let intervals = [
            (0.0, 2.0, 1.0),
            (0.0, 2.0, 2.0),
            (0.0, 2.0, 3.0),
            (1.0, 1.0, 0.0),
            (0.0, 2.0, 0.0),
        ];
        assert!(close(coverage(&intervals).unwrap(), 0.6));
        assert_eq!(coverage(&[]), None);
        assert_eq!(coverage(&[(0.0, 1.0, f64::NAN)]), Some(0.0));
    }

    #[test]
    fn psi_of_identical_distributions_is_zero() {
        assert!(close(
            psi(&[10.0, 20.0, 0.0, 70.0], &[1.0, 2.0, 0.0, 7.0]).unwrap(),
            0.0
        ));
    }

    #[test]
    fn psi_of_a_shifted_distribution_is_a_major_shift() {
        // Shares 0.5, 0.5 → 0.1, 0.9: −0.4·ln(0.2) + 0.4·ln(1.8) = 0.4·ln 9 ≈ 0.879.
        let value = psi(&[50.0, 50.0], &[10.0, 90.0]).unwrap();
        assert!(close(value, 0.4 * 9f64.ln()));
        assert!(value > 0.25);
    }

    #[test]
    fn psi_floors_empty_bins_instead_of_going_infinite() {
        // Shares 1, 0 → 0.5, 0.5 with the empty bin floored at 1e-4.
        let value = psi(&[10.0, 0.0], &[5.0, 5.0]).unwrap();
        let expected = (0.5 - 1.0) * (0.5f64).ln() + (0.5 - 1e-4) * (0.5f64 / 1e-4).ln();
        assert!(close(value, expected));
    }

    #[test]
    fn psi_is_none_for_mismatched_or_empty_counts() {
        assert_eq!(psi(&[], &[]), None);
        assert_eq!(psi(&[1.0, 2.0], &[1.0]), None);
        assert_eq!(psi(&[0.0, 0.0], &[1.0, 1.0]), None);
        assert_eq!(psi(&[1.0, -1.0], &[1.0, 1.0]), None);
    }

    #[test]
    fn decile_edges_of_one_to_ten_are_one_to_nine() {
        let values: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        let edges = quantile_edges(&values, 10);
        assert_eq!(edges, (1..=9).map(f64::from).collect::<Vec<_>>());
        assert_eq!(bin_counts(values.iter().copied(), &edges), vec![1.0; 10]);
    }

    #[test]
    fn quantile_edges_collapse_ties_and_handle_tiny_input() {
        let values = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 9.0];
        assert_eq!(quantile_edges(&values, 10), vec![0.0, 5.0]);
        assert!(quantile_edges(&[], 10).is_empty());
        assert!(quantile_edges(&[1.0, 2.0], 1).is_empty());
        assert_eq!(quantile_edges(&[3.0], 4), vec![3.0]);
        // Selection gives exactly what sorting gives, ties and signed zeros included.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for n in [1usize, 2, 9, 10, 11, 99, 1000, 4321] {
            let values = tied_values(&mut rng, n, 1e6);
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for bins in [2usize, 3, 10, 17] {
                let mut expected: Vec<f64> = (1..bins)
                    .map(|j| sorted[(n * j).div_ceil(bins) - 1])
                    .collect();
                expected.dedup();
                let got = quantile_edges(&values, bins);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&expected), "n {n} bins {bins}");
            }
        }
    }

    /// `n` values, half of them ties (signed zeros, small whole numbers), the rest spread over
    /// `spread` around zero.
    fn tied_values(rng: &mut impl Rng, n: usize, spread: f64) -> Vec<f64> {
        (0..n)
            .map(|_| match rng.random_range(0..4) {
                0 => 0.0,
                1 => -0.0,
                2 => rng.random_range(0..5) as f64,
                _ => rng.random::<f64>() * spread - spread / 2.0,
            })
            .collect()
    }

    #[test]
    fn bin_counts_with_few_edges_and_many_agree_with_the_rule() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
        let values = tied_values(&mut rng, 2000, 100.0);
        let few = quantile_edges(&values, 10);
        // Thirty edges, some of them values the data holds (the integers, zero).
        let many: Vec<f64> = (0..30).map(|i| f64::from(i - 15) * 3.0).collect();
        assert!(
            few.len() <= 16 && many.len() > 16,
            "{} {}",
            few.len(),
            many.len()
        );
        for edges in [vec![], vec![0.0], few, many] {
            // The rule: the first bin whose upper edge is >= the value.
            let mut expected = vec![0.0; edges.len() + 1];
            for &v in &values {
                let bin = edges.iter().position(|&e| e >= v).unwrap_or(edges.len());
                expected[bin] += 1.0;
            }
            assert_eq!(
                bin_counts(values.iter().copied(), &edges),
                expected,
                "{edges:?}"
            );
        }
    }

    #[test]
    fn bin_counts_put_boundary_values_in_the_lower_bin() {
        let counts = bin_counts([1.0, 2.0, 2.5, 3.0, 4.0, -7.0, f64::NAN], &[1.0, 3.0]);
        // (−∞, 1]: 1, −7; (1, 3]: 2, 2.5, 3; (3, ∞): 4; NaN skipped.
        assert_eq!(counts, vec![2.0, 3.0, 1.0]);
        assert_eq!(bin_counts([1.0, 2.0], &[]), vec![2.0]);
    }

    /// Enough pairs for the two-thread path, with ties in both keys: the same bits either way.
    #[test]
    fn the_gini_on_two_threads_is_the_gini_on_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let pairs: Vec<Pair> = (0..50_000)
            .map(|_| Pair {
                predicted: f64::from(rng.random_range(0..500)),
                actual: f64::from(rng.random_range(0..900)) - 100.0,
            })
            .collect();
        let one = normalised_gini_on(&pairs, 1).unwrap();
        let two = normalised_gini_on(&pairs, 2).unwrap();
        assert_eq!(one.to_bits(), two.to_bits());
        assert_eq!(normalised_gini(&pairs).unwrap().to_bits(), one.to_bits());
    }
}
