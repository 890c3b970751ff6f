//! What `plan` shows: per group (a rep, a territory, a team, or the whole list), the leads the
//! plan chose within the group's hours, their expected net value, how far that is from the
//! best possible (the gap to the bound), what one more hour is worth, and what the simple rules
//! teams use today would have given with the same hours.

use std::fmt::Write as _;

use serde::Serialize;

use crate::economics::money;
use crate::io::table::printable;
use crate::report::format::{columns, counted, cut, group, listing, Left};

/// One group's plan and its comparisons.
#[derive(Debug, Clone, Serialize)]
pub struct GroupPlan {
    /// The group's value in the `--by` column; `all` without `--by`.
    pub group: String,
    /// Hours the group has.
    pub capacity: f64,
    pub leads: usize,
    /// Leads the plan may choose (net value above zero, and above `--min-net`, and with
    /// `--risk` an interval whose low end is above zero).
    pub eligible: usize,
    pub chosen: usize,
    pub hours_used: f64,
    /// The chosen leads' expected net value, as written.
    pub expected_net: f64,
    /// No plan within the hours can bring more than this (the search's proven bound).
    pub bound: f64,
    /// `bound − expected_net`: 0 when the plan is proven the best.
    pub gap: f64,
    pub optimal: bool,
    /// What extra hours are worth, per hour: the value per hour of the next lead in line (the
    /// linear relaxation's price of an hour), 0 when the hours are not what limits the plan. A
    /// rate, not the gain of exactly one more hour: extra hours earn about this each once they
    /// add up to that lead's hours. When no lead fits at all, the best value per hour among the
    /// leads that are too long. Absent (null) for the total: each group's hour has its price.
    pub value_of_an_hour: f64,
    /// When not one lead fits in the hours: the fewest hours an eligible lead needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smallest_lead: Option<f64>,
    /// Going down the list by expected net value, taking each lead that still fits.
    pub by_net: Rule,
    /// The top N by tier, then net value, with N = the hours ÷ the group's average hours per
    /// lead: a count cap, as CRMs set one, whatever the leads' own hours.
    pub top_n: Rule,
}

/// What a simple rule would have chosen.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub leads: usize,
    pub hours: f64,
    pub expected_net: f64,
    /// Whether its leads fit in the group's hours (for the total: in every group's). The count
    /// cap ignores hours, so its leads may need more than there are: then its value is not one
    /// the group could earn, and the report marks it.
    pub within_capacity: bool,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    pub file: String,
    /// `v0002 (models/v0002/model.json)`.
    pub model: String,
    pub currency: String,
    /// The column whose hours are planned (`sales_hours`) and the term it is part of.
    pub hours_column: String,
    pub term: String,
    /// The `--by` column, when the plan is per group.
    pub by: Option<String>,
    pub risk: bool,
    pub min_net: Option<f64>,
    pub groups: Vec<GroupPlan>,
    pub total: GroupPlan,
    /// Where the plan was written, if it was.
    pub output: Option<String>,
    /// With `--skip-invalid`: the rows that could not be scored, left out of the plan.
    pub rejected: Option<Rejected>,
    /// `--with-input`: the lead list's own columns follow the plan's in the output.
    #[serde(skip)]
    pub with_input: bool,
    /// Decimals of the money shown.
    #[serde(skip)]
    pub decimals: usize,
}

/// Rows of the lead list that could not be scored (`--skip-invalid`), and where they went.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub rows: usize,
    pub file: String,
    /// The groups (`--by`) whose every lead was rejected, so none is planned, most rows first.
    pub unplanned: Vec<Unplanned>,
}

/// A group of the lead list in no plan: every lead of it was rejected.
#[derive(Debug, Clone, Serialize)]
pub struct Unplanned {
    pub group: String,
    /// Its rows in the rejects file.
    pub rejected: usize,
    /// The hours it has (the capacity file's, or everyone's), none planned.
    pub hours: Option<f64>,
}

/// Groups the text table shows; the rest are counted (a `--by` column of one value per lead
/// would print a row per lead). Every group is in the JSON report.
const SHOWN_GROUPS: usize = 40;
/// The most terminal columns a group's name takes in the table: one long name (a team's full
/// title) would widen every row. Cut names end in `…`; the files and the JSON hold them whole.
const NAME_COLUMNS: usize = 32;
/// Groups named in a sentence before "and N more".
const SHOWN_NAMES: usize = 5;

/// The first [`SHOWN_NAMES`] groups' names.
fn names(groups: &[&GroupPlan]) -> Vec<String> {
    groups
        .iter()
        .take(SHOWN_NAMES)
        .map(|g| printable(&g.group).into_owned())
        .collect()
}

/// A sentence per group when there are few, or one naming the first [`SHOWN_NAMES`] when there
/// are more: `many(count, listing)` and `one(group, its name as printed)`.
fn per_group(
    s: &mut String,
    groups: &[&GroupPlan],
    many: impl Fn(&str, &str) -> String,
    one: impl Fn(&GroupPlan, &str) -> String,
) {
    if groups.len() > SHOWN_NAMES {
        let listed = listing(&names(groups), groups.len());
        let _ = writeln!(s, "{}", many(&group(groups.len()), &listed));
    } else {
        for (g, name) in groups.iter().zip(names(groups)) {
            let _ = writeln!(s, "{}", one(g, &name));
        }
    }
}

impl PlanReport {
    pub fn render(&self) -> String {
        let cur = &self.currency;
        let d = self.decimals;
        // Hours, or whatever the planned column counts.
        let hours = self.hours_column.ends_with("hours");
        let (unit, units) = if hours {
            ("hour", "hours")
        } else {
            // A measure other than hours (`written_off`, a count): its amounts are "units".
            ("unit", "units")
        };
        let t = &self.total;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Plan for {} leads of {} with model {}: the leads that bring the most expected net value within the {} ({}, predicted for each lead); money in {cur}.",
            group(t.leads),
            self.file,
            self.model,
            self.hours_column.replace('_', " "),
            self.term
        );
        let mut only = Vec::new();
        if self.risk {
            only.push("whose interval's low end is above zero".to_string());
        }
        if let Some(m) = self.min_net {
            only.push(format!("worth at least {}", money(m, 2)));
        }
        if !only.is_empty() {
            let _ = writeln!(s, "Only leads {}.", only.join(" and "));
        }
        if let Some(r) = self.rejected.as_ref().filter(|r| r.rows > 0) {
            let _ =
                writeln!(
                s,
                "Rejected {} that could not be scored, written with {} to {}; {} not in the plan.",
                counted(r.rows, "row"),
                if r.rows == 1 { "its reason" } else { "their reasons" },
                r.file,
                if r.rows == 1 { "it is" } else { "they are" }
            );
            if !r.unplanned.is_empty() {
                let named: Vec<String> = r
                    .unplanned
                    .iter()
                    .take(SHOWN_NAMES)
                    .map(|u| {
                        let hours_of = u
                            .hours
                            .map(|h| format!(", {} {units} unplanned", money(h, 1)))
                            .unwrap_or_default();
                        format!(
                            "{} ({} rejected{hours_of})",
                            printable(&u.group),
                            group(u.rejected)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    "Every lead of {} was rejected, so {} no plan: {}.",
                    counted(r.unplanned.len(), "group"),
                    if r.unplanned.len() == 1 {
                        "it has"
                    } else {
                        "they have"
                    },
                    listing(&named, r.unplanned.len())
                );
            }
        }
        s.push('\n');
        // A group is a value of the lead list: its control characters are escaped here, kept
        // exact in the JSON.
        let head = printable(self.by.as_deref().unwrap_or("group"));
        let shown_name = |g: &GroupPlan| cut(&printable(&g.group), NAME_COLUMNS).into_owned();
        let width = self
            .groups
            .iter()
            .take(SHOWN_GROUPS)
            .map(|g| columns(&shown_name(g)))
            .max()
            .unwrap_or(0)
            .max(columns(&head))
            .max(7);
        let _ = writeln!(
            s,
            "{} {:>10} {:>7} {:>7} {:>11} {:>15} {:>15} {:>15} {:>15}",
            Left(&head, width),
            units,
            "leads",
            "chosen",
            if hours { "hours used" } else { "used" },
            "expected net",
            format!("per extra {unit}"),
            "by net value",
            "top N by tier"
        );
        let row = |g: &GroupPlan, s: &mut String| {
            let _ = writeln!(
                s,
                "{} {:>10} {:>7} {:>7} {:>11} {:>15} {:>15} {:>15} {:>15}",
                Left(&shown_name(g), width),
                money(g.capacity, 1),
                group(g.leads),
                group(g.chosen),
                money(g.hours_used, 1),
                money(g.expected_net, d),
                if g.value_of_an_hour.is_finite() {
                    money(g.value_of_an_hour, d)
                } else {
                    "-".into()
                },
                money(g.by_net.expected_net, d),
                // Marked where the cap needs more hours than there are; prefixed, so the
                // figures stay aligned.
                if g.top_n.within_capacity {
                    money(g.top_n.expected_net, d)
                } else {
                    format!("*{}", money(g.top_n.expected_net, d))
                },
            );
        };
        for g in self.groups.iter().take(SHOWN_GROUPS) {
            row(g, &mut s);
        }
        if self.groups.len() > SHOWN_GROUPS {
            let _ = writeln!(
                s,
                "... and {} more {}: every group's plan is in --format json, every lead's {}",
                group(self.groups.len() - SHOWN_GROUPS),
                if self.groups.len() - SHOWN_GROUPS == 1 {
                    "group"
                } else {
                    "groups"
                },
                match &self.output {
                    Some(path) => format!("in {path}"),
                    None => "with -o FILE".into(),
                }
            );
        }
        if self.groups.len() > 1 {
            let _ = writeln!(s, "{}", "-".repeat(width + 109));
            row(t, &mut s);
        }
        if self
            .groups
            .iter()
            .take(SHOWN_GROUPS)
            .any(|g| columns(&printable(&g.group)) > NAME_COLUMNS)
        {
            let _ = writeln!(
                s,
                "(Names longer than {NAME_COLUMNS} columns are cut, ending in …; --format json{} holds them whole.)",
                if self.output.is_some() { " and the file" } else { "" }
            );
        }
        s.push('\n');
        let more = t.expected_net - t.by_net.expected_net;
        let share = if t.by_net.expected_net > 0.0 {
            format!(" ({:.1}%)", more / t.by_net.expected_net * 100.0)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "The plan: {}, {} of {} {}, expected net value {cur} {}.",
            counted(t.chosen, "lead"),
            money(t.hours_used, 1),
            money(t.capacity, 1),
            if hours { "hours" } else { "available" },
            money(t.expected_net, d)
        );
        let _ = writeln!(
            s,
            "That is {cur} {}{share} more than going down the list by expected net value until the {} run out ({}, {} {}, {cur} {}).",
            money(more, d),
            units,
            counted(t.by_net.leads, "lead"),
            money(t.by_net.hours, 1),
            if hours { "hours" } else { "used" },
            money(t.by_net.expected_net, d)
        );
        // The cap ignores hours: say so where its leads need more than a group has, rather
        // than set a plan no one could work beside the plan (found by a fresh-eyes review:
        // north's cap needed 3,290.86 of its 3,200 hours, and "but needs" read the same either
        // way).
        let cap = format!(
            "A cap of N leads by tier (N = the {units} ÷ the average per lead{}) takes {} worth {cur} {}",
            if self.groups.len() > 1 { ", per group" } else { "" },
            counted(t.top_n.leads, "lead"),
            money(t.top_n.expected_net, d),
        );
        let over: Vec<&GroupPlan> = self
            .groups
            .iter()
            .filter(|g| !g.top_n.within_capacity)
            .collect();
        if over.is_empty() {
            let _ = writeln!(s, "{cap} in {} {units}.", money(t.top_n.hours, 1));
        } else if self.groups.len() == 1 {
            let _ = writeln!(
                s,
                "{cap} but needs {} {units}, {} more than there are (marked *): not a plan the team could work.",
                money(t.top_n.hours, 1),
                money(t.top_n.hours - t.capacity, 1),
            );
        } else {
            // Names as `names` shows them; it takes the first SHOWN_NAMES.
            let named: Vec<String> = over
                .iter()
                .zip(names(&over))
                .map(|(g, name)| {
                    format!(
                        "{name} ({} of {})",
                        money(g.top_n.hours, 1),
                        money(g.capacity, 1)
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "{cap} in {} {units}, but in {} it needs more {units} than there are (marked *): {}.",
                money(t.top_n.hours, 1),
                if over.len() == 1 {
                    "1 group".to_string()
                } else {
                    format!("{} groups", group(over.len()))
                },
                listing(&named, over.len())
            );
        }
        let open: Vec<&GroupPlan> = self.groups.iter().filter(|g| !g.optimal).collect();
        if open.is_empty() {
            let _ = writeln!(
                s,
                "Every plan is the best possible within its {units} (proven: no choice of leads brings more)."
            );
        } else {
            let _ = writeln!(
                s,
                "{} of {} plans stopped at the search budget; together they are at most {cur} {} from the best possible ({}).",
                open.len(),
                self.groups.len(),
                money(open.iter().map(|g| g.gap).sum::<f64>(), d),
                listing(&names(&open), open.len())
            );
        }
        let unfit: Vec<&GroupPlan> = self
            .groups
            .iter()
            .filter(|g| g.smallest_lead.is_some())
            .collect();
        per_group(
            &mut s,
            &unfit,
            |count, listed| {
                format!("In {count} groups, no lead fits in the {units} (the smallest of each needs more): {listed}.")
            },
            |g, name| {
                format!(
                    "In {name}, no lead fits in {} {units}: the smallest needs {}.",
                    money(g.capacity, 2),
                    money(g.smallest_lead.unwrap_or(0.0), 2)
                )
            },
        );
        // A group given no hours (a rep on leave) chooses nothing, whatever its leads are worth.
        let closed: Vec<&GroupPlan> = self.groups.iter().filter(|g| g.capacity == 0.0).collect();
        per_group(
            &mut s,
            &closed,
            |count, listed| {
                format!(
                    "In {count} groups the capacity is 0 {units}, so no lead is chosen: {listed}."
                )
            },
            |g, name| {
                format!(
                    "In {name}, the capacity is 0 {units}: {} chosen.",
                    if g.leads == 1 {
                        "its one lead is not".to_string()
                    } else {
                        format!("none of its {} leads is", group(g.leads))
                    }
                )
            },
        );
        // A plan of no leads says why: none was worth choosing (found by a fresh-eyes review,
        // where a list of loss-making leads gave "0 leads" and no reason).
        let worthless: Vec<&GroupPlan> = self
            .groups
            .iter()
            .filter(|g| g.capacity > 0.0 && g.leads > 0 && g.eligible == 0)
            .collect();
        if !worthless.is_empty() {
            let mut wanted = match self.min_net.filter(|m| *m > 0.0) {
                Some(m) => format!("an expected net value of at least {}", money(m, 2)),
                None => "an expected net value above zero".to_string(),
            };
            if self.risk {
                wanted.push_str(" and an interval whose low end is above zero");
            }
            per_group(
                &mut s,
                &worthless,
                |count, listed| {
                    format!("In {count} groups no lead has {wanted}, so none is chosen: {listed}.")
                },
                |g, name| {
                    format!(
                        "In {name}, no lead is chosen: {} {wanted}.",
                        if g.leads == 1 {
                            "its one lead does not have".to_string()
                        } else {
                            format!("none of its {} leads has", group(g.leads))
                        }
                    )
                },
            );
        }
        if self.groups.len() > SHOWN_NAMES && 2 * self.groups.len() > t.leads {
            // One lead a group plans nothing: each is taken if it fits, alone.
            let _ = writeln!(
                s,
                "note: --by {} makes {} groups for {} leads, fewer than two leads a group: is it the rep, territory or team column meant?",
                printable(self.by.as_deref().unwrap_or("?")),
                group(self.groups.len()),
                group(t.leads)
            );
        }
        let _ = writeln!(
            s,
            "\"Per extra {unit}\": the value per {unit} of the next lead in line, what extra {units} earn each once they add up to that lead's (a single one may bring nothing); 0 where the {units} are not what limits the plan."
        );
        match &self.output {
            Some(path) => {
                let _ = writeln!(
                    s,
                    "Every lead{}, chosen or not, is in {path}: the score columns, its parts, and plan, plan_rank, hours_used, cumulative_net{}.",
                    if self.rejected.as_ref().is_some_and(|r| r.rows > 0) {
                        " that could be scored"
                    } else {
                        ""
                    },
                    if self.with_input {
                        ", then its own columns"
                    } else {
                        ""
                    }
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "Write every lead with its plan (chosen or not chosen) with -o FILE."
                );
            }
        }
        s
    }
}
