//! The simple rules sales teams use today, computed on the same leads and hours as the plan, so
//! the summary can say what the optimiser adds over them instead of asking to be trusted.
//!
//! Neither rule optimises: [`top_by_value`] is "work the biggest leads first" within the
//! hours, [`top_n`] is the count cap most CRMs offer ("each rep gets 40 leads"), which ignores
//! hours altogether and may therefore need more hours than the group has.

use super::Item;

/// The leads a rule picks.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Per item, in input order.
    pub chosen: Vec<bool>,
    /// Total net value of the chosen leads, summed in the order the rule took them.
    pub value: f64,
    /// Total hours of the chosen leads (for [`top_n`], possibly more than any capacity).
    pub weight: f64,
}

impl Selection {
    /// Takes items in the order given, once each; `take` decides on each with the hours so far.
    fn take_in_order(
        items: &[Item],
        order: impl IntoIterator<Item = usize>,
        mut take: impl FnMut(&Item, f64) -> bool,
    ) -> Self {
        let mut selection = Selection {
            chosen: vec![false; items.len()],
            value: 0.0,
            weight: 0.0,
        };
        for i in order {
            let Some(item) = items.get(i) else { continue };
            if selection.chosen[i] || !usable(item) || !take(item, selection.weight) {
                continue;
            }
            selection.chosen[i] = true;
            selection.value += item.value;
            selection.weight += item.weight;
        }
        selection
    }
}

/// A lead a rule may pick: positive, finite value and finite hours >= 0 (as for the solver).
fn usable(item: &Item) -> bool {
    item.value.is_finite() && item.value > 0.0 && item.weight.is_finite() && item.weight >= 0.0
}

/// Down the list by net value (largest first, ties by input index), take each positive-value
/// lead that still fits in `capacity` hours, skip those that do not, stop at the end.
///
/// Fitting allows the solver's rounding slack ([`super::CAPACITY_SLACK`]), so both read
/// "fits" the same way. A capacity that is negative or not finite selects nothing.
pub fn top_by_value(items: &[Item], capacity: f64) -> Selection {
    let cap = if capacity.is_finite() && capacity >= 0.0 {
        capacity + capacity * super::CAPACITY_SLACK
    } else {
        -1.0
    };
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[b].value.total_cmp(&items[a].value).then(a.cmp(&b)));
    Selection::take_in_order(items, order, |item, used| used + item.weight <= cap)
}

/// The first `n` positive-value leads of `order` (e.g. by tier, then net value), whatever hours
/// they need: a CRM's count cap. The caller chooses `n`, typically capacity / average hours.
///
/// Indices out of range and repeated indices in `order` are skipped, as are leads without a
/// positive, finite value or with hours that are negative or not finite.
pub fn top_n(items: &[Item], order: &[usize], n: usize) -> Selection {
    let mut count = 0;
    Selection::take_in_order(items, order.iter().copied(), |_, _| {
        count += 1;
        count <= n
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::items;

    #[test]
    fn top_by_value_skips_what_does_not_fit_and_goes_on() {
        // By value: 50 (30 h) fits, 40 (25 h) does not (55 > 40), 30 (10 h) fits (40),
        // 20 (1 h) does not (41 > 40), -5 is never taken, 0 neither.
        let items = items(&[
            (20.0, 1.0),
            (40.0, 25.0),
            (-5.0, 0.0),
            (50.0, 30.0),
            (30.0, 10.0),
            (0.0, 0.0),
        ]);
        let s = top_by_value(&items, 40.0);
        assert_eq!(s.chosen, [false, false, false, true, true, false]);
        assert_eq!((s.value, s.weight), (80.0, 40.0));
    }

    #[test]
    fn top_by_value_breaks_ties_by_input_order() {
        let items = items(&[(10.0, 5.0), (10.0, 5.0), (10.0, 5.0)]);
        let s = top_by_value(&items, 10.0);
        assert_eq!(s.chosen, [true, true, false]);
    }

    #[test]
    fn top_by_value_takes_nothing_for_nonsense_hours() {
        let items = items(&[(10.0, 0.0)]);
        for capacity in [f64::NAN, -1.0, f64::INFINITY] {
            assert_eq!(top_by_value(&items, capacity).chosen, [false]);
        }
        assert_eq!(top_by_value(&items, 0.0).chosen, [true]);
    }

    #[test]
    fn top_n_takes_the_first_positive_leads_whatever_their_hours() {
        let items = items(&[
            (5.0, 100.0),
            (-1.0, 1.0),
            (7.0, 200.0),
            (3.0, 1.0),
            (9.0, 1.0),
        ]);
        // Order: 1 (negative, skipped), 2, 2 again (once only), 9 (out of range), 0, 3, 4.
        let s = top_n(&items, &[1, 2, 2, 9, 0, 3, 4], 3);
        assert_eq!(s.chosen, [true, false, true, true, false]);
        assert_eq!((s.value, s.weight), (15.0, 301.0));
        assert_eq!(top_n(&items, &[0, 2], 0).chosen, [false; 5]);
        assert_eq!(top_n(&items, &[4, 0], 10).value, 14.0);
    }
}
