//! What `explain` shows: one lead's whole score as data (baseline, every feature's contribution
//! to return, burden and net value, floors, the expected values, interval, tier, recommendation,
//! warnings) and its text, a table whose rows add up to the printed totals exactly.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use crate::economics::{apportion, money, written_breakdown, Printed};
use crate::io::table::printable;
use crate::model::components::Components;
use crate::model::equation::{Equation, Role};
use crate::model::scorer::ScoredLead;
use crate::model::Model;
use crate::report::format::{columns, Left};

/// Money on both sides and their difference.
#[derive(Debug, Clone, Copy, Serialize)]
struct Money3 {
    lifetime_return: f64,
    service_burden: f64,
    net: f64,
}

impl Money3 {
    fn new(lifetime_return: f64, service_burden: f64) -> Money3 {
        Money3 {
            lifetime_return,
            service_burden,
            net: lifetime_return - service_burden,
        }
    }
}

#[derive(Debug, Serialize)]
struct Part {
    /// `employees = 3`, `industry = aerospace (as (other))`, `burden floored at 0`.
    label: String,
    /// The feature, the lead's own value, and what the model used instead where it differs
    /// (all absent for a floor).
    #[serde(skip_serializing_if = "Option::is_none")]
    feature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scored_as: Option<String>,
    #[serde(flatten)]
    money: Money3,
}

/// One economics term's part of the lead's return or burden (`model::components`).
#[derive(Debug, Serialize)]
struct ComponentOut {
    term: String,
    /// `lifetime_return` or `service_burden`.
    side: &'static str,
    /// In money, at full precision; a side's parts add up to it.
    money: f64,
    /// The term's column (`sales_hours`) and the part in its units, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    units: Option<f64>,
}

#[derive(Debug, Serialize)]
struct IntervalOut {
    level: f64,
    low: f64,
    high: f64,
}

/// Everything `explain` shows, at full precision (the text rounds it).
#[derive(Debug, Serialize)]
pub struct Explanation {
    id: String,
    /// What the baseline is: the average past customer's prediction, or for a target fitted on
    /// logs the prediction for the average customer's profile (not the same thing).
    baseline_label: String,
    file: String,
    line: u64,
    currency: String,
    /// The model used: `v0002 (models/v0002/model.json)`, or its file.
    pub model: String,
    model_trained: String,
    baseline: Money3,
    /// Biggest effect on net value first; floors at zero last.
    contributions: Vec<Part>,
    expected: Money3,
    /// What return and burden are made of, term by term; absent for a model without components.
    #[serde(skip_serializing_if = "Option::is_none")]
    components: Option<Vec<ComponentOut>>,
    interval: Option<IntervalOut>,
    tier: String,
    recommendation: String,
    warnings: Vec<String>,
}

impl Explanation {
    pub fn new(
        model: &Model,
        eq: &Equation,
        components: Option<&Components>,
        lead: &ScoredLead,
        file: &str,
    ) -> Explanation {
        // Money on the return side and the burden side of whatever targets the model has.
        let sides = |value: &dyn Fn(usize) -> f64| {
            let side = |role: Role| -> f64 {
                (0..eq.targets.len())
                    .filter(|&t| eq.targets[t].role == role)
                    .map(value)
                    .sum()
            };
            Money3::new(side(Role::Return), side(Role::Burden))
        };
        let mut parts: Vec<Part> = eq
            .terms
            .iter()
            .enumerate()
            .map(|(f, term)| {
                let mut shown = String::new();
                lead.push_shown(eq, f, &mut shown);
                let (value, scored_as) = lead.value_and_scored_as(eq, f);
                Part {
                    label: format!("{} = {shown}", term.name()),
                    feature: Some(term.name().to_string()),
                    value: Some(value),
                    scored_as,
                    money: sides(&|t| lead.contribution(f, t)),
                }
            })
            .collect();
        parts.sort_by(|a, b| b.money.net.abs().total_cmp(&a.money.net.abs()));
        for (t, target) in eq.targets.iter().enumerate() {
            if lead.floors[t] > 0.0 {
                parts.push(Part {
                    label: format!("{} floored at 0", target.short),
                    feature: None,
                    value: None,
                    scored_as: None,
                    money: sides(&|u| if u == t { lead.floors[t] } else { 0.0 }),
                });
            }
        }
        let net = lead.net(eq);
        Explanation {
            baseline_label: if eq.any_log() {
                "baseline (a customer with the average profile)".into()
            } else {
                "baseline (the average past customer)".into()
            },
            id: lead.id.clone(),
            file: file.to_string(),
            line: lead.line,
            currency: model.currency.clone(),
            model: String::new(),
            model_trained: model.created_at.clone(),
            baseline: sides(&|t| eq.targets[t].baseline),
            contributions: parts,
            expected: sides(&|t| lead.targets[t]),
            components: components.map(|c| {
                let mut exact = Vec::new();
                c.split(eq, lead, &mut exact);
                c.parts
                    .iter()
                    .zip(exact)
                    .map(|(part, money)| ComponentOut {
                        term: part.name.clone(),
                        side: eq.targets[part.target].name,
                        money,
                        column: part.unit_column.clone(),
                        units: part.unit_column.as_ref().map(|_| money / part.per_unit),
                    })
                    .collect()
            }),
            interval: eq
                .interval
                .zip(lead.interval_around(net))
                .map(|(i, (low, high))| IntervalOut {
                    level: i.level,
                    low,
                    high,
                }),
            tier: lead.tier.as_str().into(),
            recommendation: lead.recommendation.as_str().into(),
            warnings: lead.warnings.iter().map(ToString::to_string).collect(),
        }
    }

    /// The breakdown as a table whose rows add up to the printed totals exactly.
    pub fn render(&self, decimals: usize) -> String {
        let printed = Printed::new(
            self.expected.lifetime_return,
            self.expected.service_burden,
            decimals,
        );
        // The baseline is the same for every lead, so it is rounded on its own; the
        // contributions are apportioned so that with it they sum to the printed total.
        let side = |pick: fn(&Money3) -> f64, total: f64| {
            let parts: Vec<f64> = self.contributions.iter().map(|p| pick(&p.money)).collect();
            written_breakdown(pick(&self.baseline), &parts, total, decimals)
        };
        let ret = side(|m| m.lifetime_return, printed.lifetime_return);
        let burden = side(|m| m.service_burden, printed.service_burden);
        // A label holds the lead's own value, which may hold control characters: escaped here,
        // kept exact in the JSON. So is the id.
        let labels: Vec<Cow<str>> = std::iter::once(self.baseline_label.as_str())
            .chain(self.contributions.iter().map(|p| p.label.as_str()))
            .map(printable)
            .collect();
        let width = labels.iter().map(|l| columns(l)).max().unwrap_or(0).max(20);
        let cell = |v: f64| money(v, decimals);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Lead {} ({} line {}), scored with model {}, trained {}; money in {}.\n",
            printable(&self.id),
            self.file,
            self.line,
            self.model,
            self.model_trained,
            self.currency
        );
        let _ = writeln!(
            s,
            "{:<width$}  {:>14}  {:>14}  {:>14}",
            "", "return", "burden", "net"
        );
        for (i, label) in labels.iter().enumerate() {
            let _ = writeln!(
                s,
                "{}  {:>14}  {:>14}  {:>14}",
                Left(label, width),
                cell(ret[i]),
                cell(burden[i]),
                cell(ret[i] - burden[i]),
            );
        }
        let _ = writeln!(s, "{}", "-".repeat(width + 48));
        let _ = writeln!(
            s,
            "{:<width$}  {:>14}  {:>14}  {:>14}",
            "expected",
            cell(printed.lifetime_return),
            cell(printed.service_burden),
            cell(printed.net)
        );
        s.push('\n');
        if let Some(parts) = &self.components {
            self.render_components(parts, &printed, decimals, &mut s);
        }
        if let Some(i) = &self.interval {
            let _ = writeln!(
                s,
                "{:.0}% interval for the net value: {} to {}.",
                i.level * 100.0,
                cell(i.low),
                cell(i.high)
            );
        }
        let _ = writeln!(
            s,
            "Tier {}, recommendation: {}.",
            self.tier, self.recommendation
        );
        if self.warnings.is_empty() {
            let _ = writeln!(s, "Warnings: none.");
        } else {
            // A warning may end in a question ("did you mean ...?"): no full stop after it.
            let all = self.warnings.join("; ");
            let stop = if all.ends_with('?') { "" } else { "." };
            let _ = writeln!(s, "Warnings: {all}{stop}");
        }
        s
    }

    /// Each side's parts, apportioned to add up to the printed side, with their units.
    fn render_components(
        &self,
        parts: &[ComponentOut],
        printed: &Printed,
        decimals: usize,
        s: &mut String,
    ) {
        let width = parts
            .iter()
            .map(|p| columns(&p.term))
            .max()
            .unwrap_or(0)
            .max(20);
        let _ = writeln!(s, "What the return and burden are made of:");
        for (side, total, label) in [
            (
                "lifetime_return",
                printed.lifetime_return,
                "expected return",
            ),
            ("service_burden", printed.service_burden, "expected burden"),
        ] {
            let mine: Vec<&ComponentOut> = parts.iter().filter(|p| p.side == side).collect();
            let exact: Vec<f64> = mine.iter().map(|p| p.money).collect();
            for (p, v) in mine.iter().zip(apportion(&exact, total, decimals)) {
                let units = match (&p.column, p.units) {
                    (Some(column), Some(u)) => {
                        format!("  {:>14} {column}", money(u, decimals.max(2)))
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    s,
                    "  {}  {:>14}{units}",
                    Left(&p.term, width),
                    money(v, decimals)
                );
            }
            let _ = writeln!(s, "  {label:<width$}  {:>14}", money(total, decimals));
        }
        s.push('\n');
    }
}
