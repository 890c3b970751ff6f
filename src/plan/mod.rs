//! Choosing which leads to work when the hours are limited (issue 14, `leadscore plan`).
//!
//! Scoring says what each lead is worth in money; a sales team still has only so many hours.
//! Per group (a rep, a territory, a team) with a capacity in hours, the best use of them is the
//! set of leads with the largest total net value whose predicted hours fit: a 0/1 knapsack.
//! This module is the solver and nothing else. It knows no files, models or configs, so it can
//! be tested against brute force and reused by whatever decides the groups and predicts hours.
//!
//! - [`knapsack`]: the exact solver ([`solve`]) and the bound and shadow price that tell a
//!   manager how far a plan is from the best possible and what one more hour is worth.
//! - [`rules`]: the simple rules teams use today (top by value, top N), so a summary can show
//!   what they would have given with the same hours.
//!
//! Money and hours are `f64`: hours are predictions such as 37.4, not counts. Every result is
//! deterministic: the same items in the same order give the same plan, bit for bit.

pub mod knapsack;
pub mod rules;

pub use knapsack::{solve, CAPACITY_SLACK};
pub use rules::{top_by_value, top_n, Selection};

/// One lead as the solver sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Item {
    /// Predicted net value in money; may be negative (a lead that costs more than it returns).
    pub value: f64,
    /// Predicted sales hours, finite and >= 0. A lead whose value or hours are not finite, or
    /// whose hours are negative, is never chosen: the caller should have refused it.
    pub weight: f64,
}

/// How much work [`solve`] may do before it settles for the best plan found so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nodes of the branch-and-bound search (each node is one bound computed in O(log n)).
    pub max_nodes: u64,
}

impl Default for Limits {
    /// Two million nodes: about a quarter of a second on one core. In `bench/plan.rs` a
    /// realistic group of 2,000 leads needs about 2,000 nodes and 100,000 leads in one group
    /// about 800,000, so the default proves both optimal; values strongly tied to hours make
    /// harder groups, whose plans then come with their gap.
    fn default() -> Self {
        Limits {
            max_nodes: 2_000_000,
        }
    }
}

/// The leads chosen for one group, with what is known about how good the choice is.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Per item, in input order: work this lead.
    pub chosen: Vec<bool>,
    /// Total net value of the chosen leads.
    pub value: f64,
    /// Total hours of the chosen leads; never more than the capacity (up to [`CAPACITY_SLACK`]).
    pub weight: f64,
    /// An upper bound on the value of any plan within the capacity (>= `value`): equal to
    /// `value` when the plan is proven optimal, otherwise the largest bound of the parts of the
    /// search left unexplored, never above `lp_bound`.
    pub bound: f64,
    /// The bound of the linear relaxation (leads may be taken in part), the textbook bound
    /// that a manager can check by hand: best value per hour first, the last lead in part.
    pub lp_bound: f64,
    /// `bound - value`: how much better any plan could possibly be; 0 when proven optimal.
    pub gap: f64,
    /// True when the search finished within [`Limits::max_nodes`], so no plan is better (by
    /// more than a relative 1e-12 of the bound, the rounding the search tolerates).
    pub optimal: bool,
    /// The value of one more hour: the dual price of the capacity in the linear relaxation,
    /// that is the value per hour of the lead taken in part, or 0 when every lead that can fit
    /// at all fits together (the hours are not binding). Leads longer than the whole capacity
    /// play no part, so a capacity smaller than every lead also gives 0.
    pub shadow_price: f64,
    /// Branch-and-bound nodes used (0 when the first feasible plan met the bound).
    pub nodes: u64,
    /// Leads left to the search after the others were fixed in or out by their reduced cost:
    /// a measure of how hard the group was.
    pub core: usize,
}

impl Plan {
    /// The plan for input the solver refuses (a capacity that is negative or not finite):
    /// nothing chosen, nothing proven.
    fn empty(n: usize) -> Self {
        Plan {
            chosen: vec![false; n],
            value: 0.0,
            weight: 0.0,
            bound: 0.0,
            lp_bound: 0.0,
            gap: 0.0,
            optimal: false,
            shadow_price: 0.0,
            nodes: 0,
            core: 0,
        }
    }
}

/// Items from (value, hours) pairs, for the solver's and the rules' tests.
#[cfg(test)]
pub(crate) fn items(pairs: &[(f64, f64)]) -> Vec<Item> {
    pairs
        .iter()
        .map(|&(value, weight)| Item { value, weight })
        .collect()
}
