//! The exact 0/1 knapsack behind `leadscore plan`: which leads to work in a group's hours.
//!
//! Why this shape (Martello and Toth, *Knapsack Problems*, 1990, chapters 2.2 to 2.9):
//!
//! 1. Leads that cannot help are set aside first: a value <= 0 never adds money, and a lead
//!    longer than the whole capacity never fits. Leads of 0 hours and positive value are free.
//! 2. The rest are sorted by value per hour (ties: larger value, then input index, so the
//!    order, and with it every result, depends on nothing but the input).
//! 3. The linear relaxation (Dantzig's bound) takes them in that order and the first one that
//!    does not fit (the critical lead) in part. Its value bounds every plan, and the critical
//!    lead's value per hour is the capacity's dual price: what one more hour is worth.
//! 4. Greedy (take in ratio order, skip what does not fit, carry on) gives a first plan, which
//!    is usually within one lead's value of the bound.
//! 5. Reduced costs fix most leads: with the dual price `r`, taking lead `j` against its LP
//!    value costs at least `|v_j - r w_j|` off the bound. When the bound with `j` flipped is no
//!    better than the plan in hand, no better plan flips `j`, so `j` keeps its LP value. What is
//!    left, the core, is the leads whose value per hour is close to `r`: tens or hundreds of
//!    leads out of thousands, which is why 2,000 or 100,000 leads in a group solve fast.
//! 6. Depth-first branch and bound on the core (Horowitz and Sahni): take leads in ratio order
//!    while they fit, skip the first that does not, prune a node when its Dantzig bound (found
//!    by binary search on prefix sums) cannot beat the best plan, backtrack to the last lead
//!    taken and leave it out. Every node costs O(log n); the search stops at the node budget.
//!
//! When the budget runs out the plan is the best found and `bound` the largest bound of the
//! parts of the search left open, so the reported gap is a true one.
//!
//! Hours are reals, so "fits" allows a rounding slack of [`CAPACITY_SLACK`] of the capacity:
//! leads of 37.4 and 2.6 hours fill a 40-hour week even though their sum in binary floating
//! point may come out a hair above 40.

use super::{Item, Limits, Plan};

/// Relative slack on the capacity for the rounding of sums of hours: a plan's hours are at most
/// `capacity * (1 + CAPACITY_SLACK)` (plus the rounding of the sum itself, far below 1e-9).
pub const CAPACITY_SLACK: f64 = 1e-12;

/// Relative tolerance on values: a branch whose bound beats the best plan by less than this
/// fraction of the LP bound is not searched. Bounds are computed from prefix sums, whose
/// rounding is of the order of 1e-16 per lead; chasing improvements below that is noise.
const VALUE_TOLERANCE: f64 = 1e-12;

/// The leads to work within `capacity` hours, maximising total net value.
///
/// `capacity` must be finite and >= 0; otherwise the plan is empty and not `optimal` (the
/// caller validates capacities; this function never panics). See the module docs for the
/// method and [`Plan`] for what each field guarantees.
pub fn solve(items: &[Item], capacity: f64, limits: Limits) -> Plan {
    if !(capacity.is_finite() && capacity >= 0.0) {
        return Plan::empty(items.len());
    }
    let cap = capacity + capacity * CAPACITY_SLACK;
    let sorted = Sorted::new(items, cap);
    let lp = relax(&sorted.value, &sorted.weight, cap);
    // The search works with the slack; the bound people see is for the hours they gave.
    let stated_bound = lp.at_capacity(capacity);

    let Some(critical) = lp.critical else {
        // Every lead that can fit fits together: take them all; nothing to search or prove.
        let take = vec![true; sorted.len()];
        return sorted.plan(
            items.len(),
            &take,
            capacity,
            Proof::optimal(stated_bound, 0.0, 0),
        );
    };
    let greedy = greedy(&sorted.weight, cap);
    let greedy_value = sum_where(&sorted.value, &greedy);
    let tolerance = VALUE_TOLERANCE * lp.bound.abs();
    if lp.bound <= greedy_value + tolerance {
        return sorted.plan(
            items.len(),
            &greedy,
            capacity,
            Proof::optimal(stated_bound, lp.shadow_price, 0),
        );
    }

    // Reduced-cost fixing against the greedy plan (step 5 of the module docs).
    let price = lp.shadow_price;
    let mut fixed_in = vec![false; sorted.len()];
    let mut core = Vec::new();
    for (k, (&v, &w)) in sorted.value.iter().zip(&sorted.weight).enumerate() {
        let reduced = v - price * w;
        let fixed =
            w == 0.0 || (k != critical && lp.bound - reduced.abs() <= greedy_value + tolerance);
        if !fixed {
            core.push(k);
        } else if k < critical {
            fixed_in[k] = true;
        }
    }
    let base_weight = sum_where(&sorted.weight, &fixed_in);
    let base_value = sum_where(&sorted.value, &fixed_in);
    if base_weight > cap {
        // Cannot happen (the fixed leads are part of the LP's full prefix), but a plan over the
        // capacity must never come out of rounding; greedy is feasible and honest.
        let proof = Proof::open(stated_bound, stated_bound, lp.shadow_price, 0, sorted.len());
        return sorted.plan(items.len(), &greedy, capacity, proof);
    }

    let search = Search::new(
        core.iter().map(|&k| sorted.value[k]).collect(),
        core.iter().map(|&k| sorted.weight[k]).collect(),
        cap,
    );
    let outcome = search.run(
        base_value,
        base_weight,
        greedy_value,
        tolerance,
        limits.max_nodes,
    );
    let take = match &outcome.improved {
        Some(in_core) => {
            let mut take = fixed_in;
            for &c in in_core {
                take[core[c]] = true;
            }
            take
        }
        None => greedy,
    };
    let proof = match outcome.open_bound {
        None => Proof::optimal(stated_bound, lp.shadow_price, outcome.nodes).with_core(core.len()),
        Some(open) => Proof::open(
            open,
            stated_bound,
            lp.shadow_price,
            outcome.nodes,
            core.len(),
        ),
    };
    sorted.plan(items.len(), &take, capacity, proof)
}

/// The leads that may be chosen, in value-per-hour order, with their input index.
struct Sorted {
    index: Vec<usize>,
    value: Vec<f64>,
    weight: Vec<f64>,
}

impl Sorted {
    fn new(items: &[Item], cap: f64) -> Self {
        let mut index: Vec<usize> = (0..items.len())
            .filter(|&i| {
                let Item { value, weight } = items[i];
                value.is_finite()
                    && value > 0.0
                    && weight.is_finite()
                    && weight >= 0.0
                    && weight <= cap
            })
            .collect();
        // 0 hours gives an infinite ratio: free leads come first, as they should.
        let ratio = |i: usize| items[i].value / items[i].weight;
        index.sort_unstable_by(|&a, &b| {
            ratio(b)
                .total_cmp(&ratio(a))
                .then(items[b].value.total_cmp(&items[a].value))
                .then(a.cmp(&b))
        });
        Sorted {
            value: index.iter().map(|&i| items[i].value).collect(),
            weight: index.iter().map(|&i| items[i].weight).collect(),
            index,
        }
    }

    fn len(&self) -> usize {
        self.index.len()
    }

    /// The plan taking the sorted leads marked in `take`. Totals are summed in sorted order, so
    /// a permutation of the input (without ties) gives the same totals bit for bit.
    fn plan(&self, n: usize, take: &[bool], capacity: f64, proof: Proof) -> Plan {
        let mut take = take.to_vec();
        let mut weight = sum_where(&self.weight, &take);
        // A last guard: the sums checked during the search are the same sums, so this never
        // fires, but a plan over the hours must never be reported. Drop the worst value per hour.
        let most = capacity + capacity * 1e-9;
        for k in (0..take.len()).rev() {
            if weight <= most {
                break;
            }
            if take[k] {
                take[k] = false;
                weight = sum_where(&self.weight, &take);
            }
        }
        let value = sum_where(&self.value, &take);
        let mut chosen = vec![false; n];
        for (k, &t) in take.iter().enumerate() {
            chosen[self.index[k]] = t;
        }
        let bound = if proof.optimal {
            value
        } else {
            proof.bound.max(value)
        };
        Plan {
            chosen,
            value,
            weight,
            bound,
            lp_bound: proof.lp_bound.max(value),
            gap: bound - value,
            optimal: proof.optimal,
            shadow_price: proof.shadow_price,
            nodes: proof.nodes,
            core: proof.core,
        }
    }
}

/// What the search established about a plan.
struct Proof {
    optimal: bool,
    bound: f64,
    lp_bound: f64,
    shadow_price: f64,
    nodes: u64,
    core: usize,
}

impl Proof {
    fn optimal(lp_bound: f64, shadow_price: f64, nodes: u64) -> Self {
        Proof {
            optimal: true,
            bound: lp_bound,
            lp_bound,
            shadow_price,
            nodes,
            core: 0,
        }
    }

    fn open(bound: f64, lp_bound: f64, shadow_price: f64, nodes: u64, core: usize) -> Self {
        let bound = bound.min(lp_bound);
        Proof {
            optimal: false,
            bound,
            lp_bound,
            shadow_price,
            nodes,
            core,
        }
    }

    fn with_core(self, core: usize) -> Self {
        Proof { core, ..self }
    }
}

/// The linear relaxation of sorted leads.
#[derive(Debug)]
struct Relaxation {
    bound: f64,
    /// Value and hours of the leads before the critical one, taken whole.
    whole: (f64, f64),
    /// Position of the lead taken in part; `None` when all fit.
    critical: Option<usize>,
    shadow_price: f64,
}

fn relax(value: &[f64], weight: &[f64], cap: f64) -> Relaxation {
    let (mut used, mut total) = (0.0, 0.0);
    for (k, (&v, &w)) in value.iter().zip(weight).enumerate() {
        if used + w > cap {
            let price = v / w; // w > 0: a lead of 0 hours always fits
            return Relaxation {
                bound: total + (cap - used) * price,
                whole: (total, used),
                critical: Some(k),
                shadow_price: price,
            };
        }
        used += w;
        total += v;
    }
    Relaxation {
        bound: total,
        whole: (total, used),
        critical: None,
        shadow_price: 0.0,
    }
}

impl Relaxation {
    /// The same bound for another capacity at or just below the one it was computed for.
    fn at_capacity(&self, capacity: f64) -> f64 {
        let (value, weight) = self.whole;
        value + (capacity - weight).max(0.0) * self.shadow_price
    }
}

/// Greedy by ratio: take each lead that still fits, skip the others, go on to the end.
fn greedy(weight: &[f64], cap: f64) -> Vec<bool> {
    let mut used = 0.0;
    weight
        .iter()
        .map(|&w| {
            let fits = used + w <= cap;
            if fits {
                used += w;
            }
            fits
        })
        .collect()
}

fn sum_where(xs: &[f64], take: &[bool]) -> f64 {
    xs.iter()
        .zip(take)
        .filter(|&(_, &t)| t)
        .map(|(x, _)| x)
        .sum()
}

/// Depth-first branch and bound over the core leads, in ratio order.
struct Search {
    value: Vec<f64>,
    weight: Vec<f64>,
    /// Prefix sums, `len + 1` long, for the Dantzig bound by binary search.
    prefix_value: Vec<f64>,
    prefix_weight: Vec<f64>,
    /// `after_same[i]`: the first position after `i` whose lead differs from lead `i` in value
    /// or hours. Identical leads sit together in ratio order, and a plan that leaves one out
    /// but takes a later twin is the same plan as the one that takes it: leaving a lead out
    /// leaves its twins after it out too, so duplicates cost no search (a lead list holding
    /// the same profile many times no longer exhausts the budget on equal branches).
    after_same: Vec<usize>,
    cap: f64,
}

/// A lead taken on the current path, with the state before it was taken, so backtracking
/// restores the sums exactly instead of subtracting (which would drift).
struct Frame {
    at: usize,
    value: f64,
    weight: f64,
}

struct Outcome {
    /// Core positions of a plan better than the incumbent, if one was found.
    improved: Option<Vec<usize>>,
    /// `None` when the search finished; otherwise the largest bound left unexplored.
    open_bound: Option<f64>,
    nodes: u64,
}

impl Search {
    fn new(value: Vec<f64>, weight: Vec<f64>, cap: f64) -> Self {
        let prefix = |xs: &[f64]| {
            let mut sum = 0.0;
            let mut out = Vec::with_capacity(xs.len() + 1);
            out.push(0.0);
            for x in xs {
                sum += x;
                out.push(sum);
            }
            out
        };
        let n = value.len();
        let mut after_same = vec![n; n];
        for i in (0..n.saturating_sub(1)).rev() {
            let twin = value[i + 1] == value[i] && weight[i + 1] == weight[i];
            after_same[i] = if twin { after_same[i + 1] } else { i + 1 };
        }
        Search {
            prefix_value: prefix(&value),
            prefix_weight: prefix(&weight),
            value,
            weight,
            after_same,
            cap,
        }
    }

    /// Dantzig's bound on what the leads from position `from` add with `used` hours spent.
    fn bound_from(&self, from: usize, used: f64) -> f64 {
        let room = (self.cap - used).max(0.0);
        let start = self.prefix_weight[from];
        // Leads from..last fit whole; `last` is the first that does not (or the end).
        let last = from + self.prefix_weight[from..].partition_point(|&p| p - start <= room) - 1;
        let whole = self.prefix_value[last] - self.prefix_value[from];
        match self.weight.get(last) {
            Some(&w) => {
                whole
                    + (room - (self.prefix_weight[last] - start)).max(0.0) * (self.value[last] / w)
            }
            None => whole,
        }
    }

    fn run(
        &self,
        value: f64,
        weight: f64,
        incumbent: f64,
        tolerance: f64,
        max_nodes: u64,
    ) -> Outcome {
        let n = self.value.len();
        let mut best = incumbent;
        let mut improved: Option<Vec<usize>> = None;
        let mut path: Vec<Frame> = Vec::new();
        let (mut at, mut value, mut weight) = (0, value, weight);
        let mut nodes = 0;
        loop {
            let prune = at == n || value + self.bound_from(at, weight) <= best + tolerance;
            if !prune {
                if nodes >= max_nodes {
                    // Out of budget: what is left open is this node and the "leave it out"
                    // branch of every lead on the path.
                    let here = value + self.bound_from(at, weight);
                    let open = path
                        .iter()
                        .map(|f| f.value + self.bound_from(self.after_same[f.at], f.weight))
                        .fold(here, f64::max);
                    return Outcome {
                        improved,
                        open_bound: Some(open.max(best)),
                        nodes,
                    };
                }
                nodes += 1;
                // Forward: take leads while they fit, then leave out the first that does not.
                while at < n && weight + self.weight[at] <= self.cap {
                    path.push(Frame { at, value, weight });
                    value += self.value[at];
                    weight += self.weight[at];
                    at += 1;
                }
                if value > best {
                    // Any path is a feasible plan (the leads after it left out).
                    best = value;
                    improved = Some(path.iter().map(|f| f.at).collect());
                }
                if at < n {
                    at += 1;
                    continue;
                }
            }
            // Backtrack: leave out the last lead taken and carry on after it.
            let Some(frame) = path.pop() else {
                return Outcome {
                    improved,
                    open_bound: None,
                    nodes,
                };
            };
            (at, value, weight) = (self.after_same[frame.at], frame.value, frame.weight);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::items;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn fits(weight: f64, capacity: f64) -> bool {
        weight <= capacity + capacity * CAPACITY_SLACK
    }

    /// The best value of every subset, each subset's sums built from a smaller one's.
    fn brute_force(items: &[Item], capacity: f64) -> f64 {
        let n = items.len();
        let mut value = vec![0.0; 1 << n];
        let mut weight = vec![0.0; 1 << n];
        let mut best: f64 = 0.0;
        for mask in 1usize..1 << n {
            let low = mask.trailing_zeros() as usize;
            let rest = mask & (mask - 1);
            value[mask] = value[rest] + items[low].value;
            weight[mask] = weight[rest] + items[low].weight;
            if fits(weight[mask], capacity) {
                best = best.max(value[mask]);
            }
        }
        best
    }

    /// Greedy by ratio written out again, independently of the solver's.
    fn greedy_value(items: &[Item], capacity: f64) -> f64 {
        let mut order: Vec<usize> = (0..items.len()).filter(|&i| items[i].value > 0.0).collect();
        order.sort_by(|&a, &b| {
            let ra = items[a].value / items[a].weight;
            let rb = items[b].value / items[b].weight;
            rb.partial_cmp(&ra)
                .unwrap_or(Ordering::Equal)
                .then(
                    items[b]
                        .value
                        .partial_cmp(&items[a].value)
                        .unwrap_or(Ordering::Equal),
                )
                .then(a.cmp(&b))
        });
        let (mut used, mut total) = (0.0, 0.0);
        for i in order {
            if fits(used + items[i].weight, capacity) {
                used += items[i].weight;
                total += items[i].value;
            }
        }
        total
    }

    use std::cmp::Ordering;

    /// Values with negatives, zeros and repeats; hours with zeros and repeats; capacities of
    /// zero, exactly the total, above it and in between.
    fn random_instance(rng: &mut ChaCha8Rng) -> (Vec<Item>, f64) {
        let n = rng.random_range(1..=16);
        let items: Vec<Item> = (0..n)
            .map(|_| {
                let value = match rng.random_range(0..10) {
                    0 => 0.0,
                    1 | 2 => -rng.random_range(0.0..50.0),
                    3 => f64::from(rng.random_range(1..5)) * 10.0,
                    _ => rng.random_range(0.0..100.0),
                };
                let weight = match rng.random_range(0..10) {
                    0 => 0.0,
                    1 => f64::from(rng.random_range(1..4)) * 5.0,
                    _ => rng.random_range(0.0..40.0),
                };
                Item { value, weight }
            })
            .collect();
        let total: f64 = items.iter().map(|i| i.weight).sum();
        let capacity = match rng.random_range(0..8) {
            0 => 0.0,
            1 => total,
            2 => total + 1.0,
            _ => rng.random_range(0.0..total.max(1.0)),
        };
        (items, capacity)
    }

    fn check_feasible_and_consistent(items: &[Item], capacity: f64, plan: &Plan) {
        assert_eq!(plan.chosen.len(), items.len());
        let mut weight = 0.0;
        let mut value = 0.0;
        for (item, &c) in items.iter().zip(&plan.chosen) {
            if c {
                assert!(item.value > 0.0, "chose a lead worth {}", item.value);
                weight += item.weight;
                value += item.value;
            }
        }
        assert!(
            weight <= capacity + capacity * 1e-9,
            "{weight} hours > {capacity}"
        );
        assert!(plan.weight <= capacity + capacity * 1e-9);
        assert!((weight - plan.weight).abs() <= 1e-9 * (1.0 + weight));
        assert!((value - plan.value).abs() <= 1e-9 * (1.0 + value.abs()));
        assert!(plan.value <= plan.bound && plan.bound <= plan.lp_bound + 1e-9);
        assert_eq!(plan.gap, plan.bound - plan.value);
        assert!(plan.shadow_price >= 0.0);
    }

    #[test]
    fn matches_brute_force_on_two_thousand_small_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(14);
        let mut searched = 0;
        for _ in 0..2000 {
            let (items, capacity) = random_instance(&mut rng);
            let best = brute_force(&items, capacity);
            let plan = solve(&items, capacity, Limits::default());
            check_feasible_and_consistent(&items, capacity, &plan);
            assert!(plan.optimal);
            assert_eq!(plan.gap, 0.0);
            assert!(
                (plan.value - best).abs() <= 1e-9 * (1.0 + best),
                "{items:?} in {capacity} hours: {} but brute force finds {best}",
                plan.value
            );
            assert!(
                plan.lp_bound >= best - 1e-9,
                "LP bound {} < {best}",
                plan.lp_bound
            );
            searched += usize::from(plan.nodes > 0);
        }
        // The instances must exercise the search, not only greedy meeting the bound.
        assert!(searched > 200, "only {searched} instances needed a search");
    }

    #[test]
    fn a_tiny_budget_still_gives_a_feasible_plan_at_least_greedy_with_a_true_gap() {
        let mut rng = ChaCha8Rng::seed_from_u64(1414);
        let mut open = 0;
        for round in 0..2000 {
            let (items, capacity) = random_instance(&mut rng);
            let best = brute_force(&items, capacity);
            let limits = Limits {
                max_nodes: round % 6,
            };
            let plan = solve(&items, capacity, limits);
            check_feasible_and_consistent(&items, capacity, &plan);
            assert!(plan.nodes <= limits.max_nodes);
            assert!(plan.value >= greedy_value(&items, capacity) - 1e-9);
            assert!(
                best <= plan.bound + 1e-9,
                "optimum {best} above the bound {}",
                plan.bound
            );
            if plan.optimal {
                assert!((plan.value - best).abs() <= 1e-9 * (1.0 + best));
            } else {
                open += 1;
                assert!(plan.gap >= 0.0);
            }
        }
        assert!(open > 100, "only {open} plans ran out of budget");
    }

    #[test]
    fn the_shadow_price_is_the_value_per_hour_of_the_lead_taken_in_part() {
        // Ratios 4, 2, 1. The LP takes the first (3 h) and 3 of the second's 5 hours:
        // 12 + 3 * 2 = 18, price 2 per hour. Best plan: first and third, 15 in 6 hours.
        let items = items(&[(12.0, 3.0), (10.0, 5.0), (3.0, 3.0)]);
        let plan = solve(&items, 6.0, Limits::default());
        assert_eq!(plan.shadow_price, 2.0);
        assert_eq!(plan.lp_bound, 18.0);
        assert_eq!(plan.chosen, [true, false, true]);
        assert_eq!((plan.value, plan.weight), (15.0, 6.0));
        assert!(plan.optimal);
        assert_eq!((plan.bound, plan.gap), (15.0, 0.0));
    }

    #[test]
    fn the_search_beats_greedy_where_greedy_is_wrong() {
        // Greedy takes A (10 per 6 h, the best ratio) and then nothing fits in the 2 hours
        // left: 10. Both B and C (6 per 4 h each) fill the 8 hours: 12. LP: 10 + 2 * 1.5 = 13.
        let items = items(&[(10.0, 6.0), (6.0, 4.0), (6.0, 4.0)]);
        assert_eq!(greedy_value(&items, 8.0), 10.0);
        let plan = solve(&items, 8.0, Limits::default());
        assert_eq!(plan.chosen, [false, true, true]);
        assert_eq!(plan.value, 12.0);
        assert_eq!(plan.lp_bound, 13.0);
        assert_eq!(plan.shadow_price, 1.5);
        assert!(plan.optimal && plan.nodes > 0);

        // Without a budget the greedy plan stands, and the gap says how much may be missing.
        let plan = solve(&items, 8.0, Limits { max_nodes: 0 });
        assert_eq!(plan.chosen, [true, false, false]);
        assert!(!plan.optimal);
        assert_eq!((plan.value, plan.bound, plan.gap), (10.0, 13.0, 3.0));
    }

    #[test]
    fn no_hours_take_only_the_free_leads() {
        let items = items(&[(5.0, 0.0), (9.0, 1.0), (-2.0, 0.0), (0.0, 0.0)]);
        let plan = solve(&items, 0.0, Limits::default());
        assert_eq!(plan.chosen, [true, false, false, false]);
        assert_eq!(
            (plan.value, plan.weight, plan.shadow_price),
            (5.0, 0.0, 0.0)
        );
        assert!(plan.optimal);
    }

    #[test]
    fn leads_that_all_lose_money_are_never_chosen() {
        let items = items(&[(-5.0, 1.0), (-0.5, 0.0), (0.0, 2.0)]);
        let plan = solve(&items, 10.0, Limits::default());
        assert_eq!(plan.chosen, [false, false, false]);
        assert_eq!((plan.value, plan.bound, plan.gap), (0.0, 0.0, 0.0));
        assert!(plan.optimal);
    }

    #[test]
    fn when_everything_fits_hours_are_worth_nothing_more() {
        let items = items(&[(5.0, 2.0), (7.0, 3.5), (-1.0, 1.0), (2.0, 0.0)]);
        let plan = solve(&items, 5.5, Limits::default());
        assert_eq!(plan.chosen, [true, true, false, true]);
        assert_eq!((plan.value, plan.weight), (14.0, 5.5));
        assert_eq!((plan.bound, plan.lp_bound, plan.gap), (14.0, 14.0, 0.0));
        assert_eq!(plan.shadow_price, 0.0);
        assert!(plan.optimal);
    }

    #[test]
    fn real_hours_that_add_up_to_the_capacity_fit() {
        // 20.1 + 6.1 is 26.200000000000003 in binary floating point.
        let items = items(&[(100.0, 20.1), (10.0, 6.1)]);
        assert!(items[0].weight + items[1].weight > 26.2);
        let plan = solve(&items, 26.2, Limits::default());
        assert_eq!(plan.chosen, [true, true]);
    }

    #[test]
    fn nonsense_is_refused_without_a_panic() {
        let good = items(&[(5.0, 1.0)]);
        for capacity in [f64::NAN, -1.0, f64::INFINITY] {
            let plan = solve(&good, capacity, Limits::default());
            assert_eq!(plan.chosen, [false]);
            assert!(!plan.optimal);
        }
        let bad = items(&[
            (f64::NAN, 1.0),
            (5.0, -1.0),
            (f64::INFINITY, 1.0),
            (5.0, f64::NAN),
            (1.0, 1.0),
        ]);
        let plan = solve(&bad, 10.0, Limits::default());
        assert_eq!(plan.chosen, [false, false, false, false, true]);
        assert_eq!(plan.value, 1.0);
    }

    #[test]
    fn the_same_leads_in_another_order_give_the_same_plan_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200 {
            let n = rng.random_range(1..300);
            let items: Vec<Item> = (0..n)
                .map(|_| Item {
                    value: rng.random_range(-20.0..100.0),
                    weight: rng.random_range(0.1..50.0),
                })
                .collect();
            let capacity = rng.random_range(0.0..10.0 * n as f64);
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rng);
            let shuffled: Vec<Item> = perm.iter().map(|&i| items[i]).collect();
            let a = solve(&items, capacity, Limits::default());
            let b = solve(&shuffled, capacity, Limits::default());
            let mapped: Vec<bool> = perm.iter().map(|&i| a.chosen[i]).collect();
            assert_eq!(mapped, b.chosen);
            assert_eq!(a.value.to_bits(), b.value.to_bits());
            assert_eq!(a.weight.to_bits(), b.weight.to_bits());
            assert_eq!(a.bound.to_bits(), b.bound.to_bits());
            assert_eq!(a.shadow_price.to_bits(), b.shadow_price.to_bits());
            assert_eq!(a, solve(&items, capacity, Limits::default()));
        }
    }

    /// Exact optimum by dynamic programming over whole hours, for groups too big to enumerate.
    fn dynamic_programming(items: &[Item], capacity: usize) -> f64 {
        let mut best = vec![0.0_f64; capacity + 1];
        for item in items.iter().filter(|i| i.value > 0.0) {
            let w = item.weight as usize;
            for c in (w..=capacity).rev() {
                best[c] = best[c].max(best[c - w] + item.value);
            }
        }
        best[capacity]
    }

    #[test]
    fn many_copies_of_the_same_leads_are_solved_exactly_within_a_small_budget() {
        // 40 profiles, 50 copies each, in shuffled order: without symmetry breaking the search
        // walks the equal branches of every subset of twins and runs out of any budget.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let profiles: Vec<(f64, f64)> = (0..40)
            .map(|_| {
                (
                    rng.random_range(1..400) as f64 * 10.0,
                    rng.random_range(5..60) as f64,
                )
            })
            .collect();
        let mut leads: Vec<Item> = profiles
            .iter()
            .flat_map(|&(value, weight)| std::iter::repeat_n(Item { value, weight }, 50))
            .collect();
        leads.shuffle(&mut rng);
        let capacity = 7_777.0;
        let plan = solve(&leads, capacity, Limits { max_nodes: 200_000 });
        check_feasible_and_consistent(&leads, capacity, &plan);
        assert!(plan.optimal, "{} nodes", plan.nodes);
        assert_eq!(plan.value, dynamic_programming(&leads, capacity as usize));
    }

    #[test]
    fn matches_dynamic_programming_on_groups_of_hundreds() {
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        for _ in 0..20 {
            let n = rng.random_range(100..400);
            let items: Vec<Item> = (0..n)
                .map(|_| {
                    let weight = f64::from(rng.random_range(1..60));
                    // Values correlated with hours make the search work for it.
                    Item {
                        value: weight + rng.random_range(-10.0..10.0),
                        weight,
                    }
                })
                .collect();
            let total: f64 = items.iter().map(|i| i.weight).sum();
            let capacity = (total * 0.3).floor();
            let best = dynamic_programming(&items, capacity as usize);
            let plan = solve(&items, capacity, Limits::default());
            check_feasible_and_consistent(&items, capacity, &plan);
            assert!(plan.optimal, "{} nodes", plan.nodes);
            assert!(
                (plan.value - best).abs() <= 1e-9 * best,
                "{} vs {best}",
                plan.value
            );
        }
    }
}
