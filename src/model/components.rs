//! A lead's return and burden split into their economics terms: how many sales hours, support
//! hours, complaints and unpaid invoices it will cost, and what revenue, cost of goods,
//! commissions and referrals it will bring, in money and in each term's own units.
//!
//! Each part is its term's own fit (`fit::components`), evaluated at the lead's features as the
//! side's equation reads them (the same levels, imputed medians, clamps and logs), held to the
//! side of zero the term never left in training. Those parts add up to the side's linear
//! equation; what the side's prediction differs from their sum (a floor at zero, a log scale's
//! curvature) is spread over the parts in proportion to their size, so the parts add up
//! exactly to the return and burden shown. With every part on one side of zero this is plain
//! proportional scaling; it never flips a part's sign unless the difference exceeds all the
//! parts together. Written to cents, the parts are apportioned so the printed parts add up to
//! the printed side (`economics::apportion`).

use crate::economics::{apportion, Economics};
use crate::model::equation::{level_effects, Equation, Term};
use crate::model::file::{ComponentSign, Model};
use crate::model::schema::Feature;
use crate::model::scorer::{Given, ScoredLead, Used};

/// One economics term as scoring predicts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The term's name in the config (`sales effort`).
    pub name: String,
    /// The equation target it is part of: 0 lifetime return, 1 service burden.
    pub target: usize,
    /// The ledger column whose units the part is also given in (`sales_hours`), when the term
    /// is that column times a rate; `None` for a fixed amount or a product of two columns.
    pub unit_column: Option<String>,
    /// Money per unit of `unit_column` (the rate).
    pub per_unit: f64,
    /// The part for the average past customer, from its own equation.
    pub baseline: f64,
    pub sign: ComponentSign,
    /// Its average over the history, in money: the split when the lead's own parts are all 0.
    pub mean: f64,
}

/// Every term's equation, read off a model that has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Components {
    pub parts: Vec<Part>,
    /// Per feature: for a category, each level's effect on every part (`level * parts + k`);
    /// for a number, its slope on every part.
    effects: Vec<Vec<f64>>,
}

impl Components {
    /// The components of `model`; `None` for a model trained before they existed.
    pub fn from_model(model: &Model) -> Option<Components> {
        let fits = model.components.as_ref()?;
        let all: Vec<_> = fits
            .lifetime_return
            .iter()
            .map(|f| (0, f))
            .chain(fits.service_burden.iter().map(|f| (1, f)))
            .collect();
        let k = all.len();
        let cols = &model.columns;
        let coefficients =
            |j: usize| -> Vec<f64> { all.iter().map(|(_, f)| f.coefficients[j]).collect() };
        let terms = terms(&model.economics);
        let parts = all
            .iter()
            .zip(&terms)
            .map(|((target, fit), term)| {
                let at_mean = fit.intercept
                    + fit
                        .coefficients
                        .iter()
                        .zip(cols)
                        .map(|(b, c)| b * c.mean)
                        .sum::<f64>();
                let unit = units(term);
                Part {
                    name: fit.term.clone(),
                    target: *target,
                    per_unit: unit.as_ref().map_or(1.0, |(_, rate)| *rate),
                    unit_column: unit.map(|(column, _)| column),
                    baseline: at_mean,
                    sign: fit.sign,
                    mean: fit.mean,
                }
            })
            .collect();
        let effects = model
            .schema
            .features
            .iter()
            .map(|f| match f {
                Feature::Categorical(c) => level_effects(c, cols, k, coefficients).concat(),
                Feature::Numeric(n) => coefficients(n.column),
            })
            .collect();
        Some(Components { parts, effects })
    }

    /// The lead's parts in money at full precision, adding up to its return and burden as the
    /// equation predicted them (floors applied), written into `out` (one per part).
    pub fn split(&self, eq: &Equation, lead: &ScoredLead, out: &mut Vec<f64>) {
        let k = self.parts.len();
        out.clear();
        out.extend(self.parts.iter().map(|p| p.baseline));
        for (f, term) in eq.terms.iter().enumerate() {
            let effects = &self.effects[f];
            let reading = &lead.readings[f];
            match term {
                Term::Category(c) => {
                    let level = match (reading.used, reading.given) {
                        (Used::Average, _) => None,
                        (Used::Level(l), _) => Some(l),
                        (_, Given::Blank) => match c.blank {
                            crate::model::equation::Blank::Level(l) => Some(l),
                            crate::model::equation::Blank::Guess(_) => None,
                        },
                        // A value read as given is one of the levels, by its drift bin.
                        _ => lead.bins[f]
                            .map(|b| b as usize)
                            .filter(|&b| b < c.levels.len()),
                    };
                    if let Some(l) = level {
                        for (o, e) in out.iter_mut().zip(&effects[l * k..(l + 1) * k]) {
                            *o += e;
                        }
                    }
                }
                Term::Numeric(n) => {
                    let used = match (reading.used, reading.given) {
                        (Used::Number(u), _) => u,
                        (_, Given::Number(v)) => n.used(v),
                        _ => n.median,
                    };
                    let d = n.transform(used) - n.mean;
                    for (o, slope) in out.iter_mut().zip(effects) {
                        *o += slope * d;
                    }
                }
            }
        }
        for t in 0..eq.targets.len() {
            let side: Vec<usize> = (0..k).filter(|&i| self.parts[i].target == t).collect();
            for &i in &side {
                out[i] = self.parts[i].sign.hold(out[i]);
            }
            let size: f64 = side.iter().map(|&i| out[i].abs()).sum();
            if size == 0.0 {
                // Nothing of its own to go by: the history's mix.
                for &i in &side {
                    out[i] = self.parts[i].mean;
                }
            }
            spread(out, &side, lead.targets[t]);
        }
    }

    /// The values of [`column_names`] for `lead` as written: the parts in money to `decimals`,
    /// adding up to the written return and burden, then the units (to at least 2 decimals).
    pub fn written_cells(
        &self,
        eq: &Equation,
        lead: &ScoredLead,
        decimals: usize,
        exact: &mut Vec<f64>,
    ) -> Vec<f64> {
        self.split(eq, lead, exact);
        let mut cells = self.written(exact, lead, decimals);
        let unit_decimals = decimals.max(2);
        for (part, v) in self.parts.iter().zip(exact.iter()) {
            if part.unit_column.is_some() {
                cells.push(crate::economics::round_to(v / part.per_unit, unit_decimals));
            }
        }
        cells
    }

    /// The lead's parts as written: apportioned to `decimals` so that each side's parts add up
    /// to the side as written (`lead.money`).
    pub fn written(&self, exact: &[f64], lead: &ScoredLead, decimals: usize) -> Vec<f64> {
        let mut out = vec![0.0; exact.len()];
        for (t, total) in [lead.money.lifetime_return, lead.money.service_burden]
            .into_iter()
            .enumerate()
        {
            let side: Vec<usize> = (0..exact.len())
                .filter(|&i| self.parts[i].target == t)
                .collect();
            let values: Vec<f64> = side.iter().map(|&i| exact[i]).collect();
            for (&i, v) in side.iter().zip(apportion(&values, total, decimals)) {
                out[i] = v;
            }
        }
        out
    }
}

/// The output columns of the parts: each part in money (`burden_sales_effort`), then each part
/// in its column's units where it has one (`expected_sales_hours`), a name taken once, and none
/// a score column's: an hours column named `net` gives `expected_net_2`, not a second
/// `expected_net` beside the lead's net value.
pub fn column_names(parts: &[Part]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(parts.len() * 2);
    let take = |name: String, names: &mut Vec<String>| {
        let mut candidate = name.clone();
        let mut n = 2;
        while names.contains(&candidate)
            || crate::model::scorer::FIGURE_COLUMNS.contains(&candidate.as_str())
        {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        names.push(candidate);
    };
    for (k, part) in parts.iter().enumerate() {
        let side = if part.target == 0 { "return" } else { "burden" };
        let slug = slug(&part.name);
        let slug = if slug.is_empty() {
            format!("term_{}", k + 1)
        } else {
            slug
        };
        take(format!("{side}_{slug}"), &mut names);
    }
    for part in parts {
        if let Some(column) = &part.unit_column {
            take(format!("expected_{}", slug(column)), &mut names);
        }
    }
    names
}

/// `Sales effort (EUR)` → `sales_effort_eur`: lower case, runs of anything but letters and
/// digits one underscore.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Moves `out[side]` so they sum to `total`: each part takes the difference in proportion to
/// its size. All zero (a history where a side's every term was 0): the first part takes it.
fn spread(out: &mut [f64], side: &[usize], total: f64) {
    let sum: f64 = side.iter().map(|&i| out[i]).sum();
    let size: f64 = side.iter().map(|&i| out[i].abs()).sum();
    let gap = total - sum;
    if size > 0.0 {
        for &i in side {
            out[i] += gap * out[i].abs() / size;
        }
    } else if let Some(&first) = side.first() {
        out[first] = total;
    }
}

/// The column a term counts and its money per unit of it, when the term is that column times a
/// rate: the part is then also given in the column's units (hours, complaints).
pub fn units(term: &crate::economics::Term) -> Option<(String, f64)> {
    match (&term.column, &term.times) {
        (Some(column), None) if term.rate != 0.0 => Some((column.clone(), term.rate)),
        _ => None,
    }
}

/// The economics terms, return side first, in the config's order: the parts' order.
fn terms(economics: &Economics) -> Vec<&crate::economics::Term> {
    economics
        .lifetime_return
        .iter()
        .chain(&economics.service_burden)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, target: usize, unit_column: Option<&str>) -> Part {
        Part {
            name: name.into(),
            target,
            unit_column: unit_column.map(str::to_string),
            per_unit: 1.0,
            baseline: 0.0,
            sign: ComponentSign::NonNegative,
            mean: 0.0,
        }
    }

    #[test]
    fn part_columns_never_take_a_score_columns_name_or_each_others() {
        let parts = [
            part("Sales effort (EUR)", 1, Some("sales_hours")),
            part("to burden", 0, None),
            part("net", 1, Some("net")),
            part("Return", 1, Some("Return")),
            part("sales effort eur", 1, None),
        ];
        assert_eq!(
            column_names(&parts),
            [
                "burden_sales_effort_eur",
                // A score column's name, taken: the next free one.
                "return_to_burden_2",
                "burden_net",
                "burden_return",
                // Another part's, taken.
                "burden_sales_effort_eur_2",
                "expected_sales_hours",
                "expected_net_2",
                "expected_return_2",
            ]
        );
    }

    #[test]
    fn spreading_keeps_the_sum_and_each_sign_when_the_difference_is_smaller() {
        let mut out = vec![100.0, -60.0, 10.0];
        spread(&mut out, &[0, 1, 2], 70.0);
        assert!((out.iter().sum::<f64>() - 70.0).abs() < 1e-9);
        // 20 more, shared 100:60:10 of 170.
        assert!((out[0] - (100.0 + 20.0 * 100.0 / 170.0)).abs() < 1e-9);
        assert!(out[1] < 0.0 && out[2] > 0.0);
    }

    #[test]
    fn on_one_side_of_zero_spreading_is_proportional_scaling() {
        let mut out = vec![30.0, 10.0, 0.0];
        spread(&mut out, &[0, 1, 2], 80.0);
        assert_eq!(out, vec![60.0, 20.0, 0.0]);
        spread(&mut out, &[0, 1, 2], 0.0);
        assert_eq!(out, vec![0.0, 0.0, 0.0]);
    }

    #[test]
    fn all_zero_parts_give_the_total_to_the_first() {
        let mut out = vec![0.0, 0.0];
        spread(&mut out, &[0, 1], 5.0);
        assert_eq!(out, vec![5.0, 0.0]);
    }
}
