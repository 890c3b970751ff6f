//! Scoring leads: evaluates the model's [`Equation`] on one lead at a time into a [`ScoredLead`],
//! the typed result every output (CSV, explain, evaluate, exports) is made from.
//!
//! Every prediction is explained relative to the average past customer: each feature contributes
//! its effect on each target in money, the floors at zero are their own visible parts, and
//! baseline + contributions + floors = the prediction, exactly, per target and for the net value.

use crate::economics::{Printed, Recommendation, Tier};
use crate::error::{Error, Result};
use crate::io::table::{line_of, Row, Source};
use crate::model::columns::FeatureColumns;
use crate::model::equation::{
    log_effects_to_money, Blank, CategoryTerm, Equation, Fallback, Role, Scale, Term,
};
use crate::model::matching::ValueIndex;
use crate::model::schema::{Matching, MISSING_LEVEL, OTHER_LEVEL};
use crate::model::warning::{number, Warning};
use crate::model::Model;

/// What a lead's field held.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Given {
    #[default]
    Blank,
    /// A category value; the text is in [`Reading::text`].
    Text,
    Number(f64),
}

/// What the equation used instead of the lead's own value, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Used {
    /// The value as given (a known level, a number in range, a blank with a level of its own).
    #[default]
    AsGiven,
    /// A level of the feature, by index: `(other)` for a pooled value (or a blank, when blanks
    /// were pooled), the canonical spelling for another spelling of a level.
    Level(usize),
    /// The feature's training mix, the average customer's: for a category value the model cannot
    /// place (`Fallback::Neutral`). Its effect is 0.
    Average,
    /// A number: the median for a blank, the clamped value for one outside the training range.
    Number(f64),
}

/// How the model read one feature of one lead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub given: Given,
    /// The category value when `given` is `Text` (a reused buffer otherwise left stale).
    pub text: String,
    pub used: Used,
}

/// A scored lead: the money on each side, how each feature moved it, what had to be guessed, and
/// the decision. Buffers are reused from lead to lead, so scoring a lead allocates nothing in the
/// common case.
#[derive(Debug, Clone, Default)]
pub struct ScoredLead {
    /// The lead's id and physical line, filled in by whoever read the row.
    pub id: String,
    pub line: u64,
    /// Per target (in the equation's order), in money, floors applied.
    pub targets: Vec<f64>,
    /// Per target, what the floor at zero added (0 when none).
    pub floors: Vec<f64>,
    /// `contributions[f * targets + t]`: feature `f`'s part of target `t`, in money.
    pub contributions: Vec<f64>,
    pub readings: Vec<Reading>,
    pub warnings: Vec<Warning>,
    /// Fields written as a missing-value token (`n/a`, `NULL`, ...) and read as blanks.
    pub tokens: u32,
    /// Where each feature's value falls in the training distribution (a level, an unseen value,
    /// a numeric bin), for drift; `None` when blank.
    pub bins: Vec<Option<u32>>,
    /// Return, burden and net as written: rounded to the output's decimals, net their difference.
    pub money: Printed,
    /// The prediction interval of the net value around the unrounded net, if the model has one.
    pub interval: Option<(f64, f64)>,
    pub tier: Tier,
    pub recommendation: Recommendation,
    /// A reused buffer for matching category values; it means nothing outside scoring.
    pub scratch: String,
}

impl ScoredLead {
    fn n_targets(&self) -> usize {
        self.targets.len()
    }

    /// Feature `f`'s part of target `t`, in money.
    pub fn contribution(&self, f: usize, t: usize) -> f64 {
        self.contributions[f * self.n_targets() + t]
    }

    /// The sum over targets of `role`, floors applied, at full precision.
    pub fn total(&self, eq: &Equation, role: Role) -> f64 {
        eq.targets
            .iter()
            .zip(&self.targets)
            .filter(|(t, _)| t.role == role)
            .map(|(_, v)| v)
            .sum()
    }

    /// The net value at full precision.
    pub fn net(&self, eq: &Equation) -> f64 {
        self.total(eq, Role::Return) - self.total(eq, Role::Burden)
    }

    /// Feature `f`'s part of the net value, in money.
    pub fn net_contribution(&self, eq: &Equation, f: usize) -> f64 {
        let nt = self.n_targets();
        net_of(eq, &self.contributions[f * nt..(f + 1) * nt])
    }

    /// The net value's breakdown as written, into `out` (cleared first): the baseline, each
    /// feature's part and the floors' part, in the order of [`breakdown_columns`], adding up
    /// exactly to the written net value, and to the cent what `explain` shows. As there, each
    /// side is written on its own: its baseline (the same for every lead) rounded alone, the
    /// parts (features by the size of their effect, then each floor) apportioned to the rest
    /// (`economics::written_breakdown`, which `explain` writes with too), so they add up where
    /// each rounded alone could be a cent off;
    /// a part's net value is its return less its burden.
    pub fn breakdown(&self, eq: &Equation, decimals: usize, out: &mut Vec<f64>) {
        let nf = eq.terms.len();
        let side = |role: Role, part: &dyn Fn(usize) -> f64| -> f64 {
            eq.targets
                .iter()
                .enumerate()
                .filter(|(_, target)| target.role == role)
                .map(|(t, _)| part(t))
                .sum()
        };
        // Explain's order: features by the size of their effect on the net value (ties in
        // feature order), then the floors, one per target that has one.
        let mut order: Vec<usize> = (0..nf).collect();
        order.sort_by(|&a, &b| {
            self.net_contribution(eq, b)
                .abs()
                .total_cmp(&self.net_contribution(eq, a).abs())
        });
        let floored: Vec<usize> = (0..self.floors.len())
            .filter(|&t| self.floors[t] > 0.0)
            .collect();
        // Each side as written: [baseline, the parts in that order].
        let written = |role: Role, total: f64| -> Vec<f64> {
            let parts: Vec<f64> = order
                .iter()
                .map(|&f| side(role, &|t| self.contribution(f, t)))
                .chain(
                    floored
                        .iter()
                        .map(|&u| side(role, &|t| if t == u { self.floors[t] } else { 0.0 })),
                )
                .collect();
            let baseline = side(role, &|t| eq.targets[t].baseline);
            crate::economics::written_breakdown(baseline, &parts, total, decimals)
        };
        let ret = written(Role::Return, self.money.lifetime_return);
        let burden = written(Role::Burden, self.money.service_burden);
        out.clear();
        out.resize(nf + 2, 0.0);
        for (i, (r, b)) in ret.iter().zip(&burden).enumerate() {
            // The baseline, then the features in their order, then the floors into one column.
            let column = match i.checked_sub(1).map(|p| order.get(p)) {
                None => 0,
                Some(Some(&f)) => 1 + f,
                Some(None) => nf + 1,
            };
            out[column] += r - b;
        }
    }

    /// The interval as written beside a net value `net`: widened, if need be, to contain it.
    pub fn interval_around(&self, net: f64) -> Option<(f64, f64)> {
        self.interval.map(|(lo, hi)| (lo.min(net), hi.max(net)))
    }

    /// The biggest drivers of the net value, biggest first, at most `N`: features, and the
    /// floors at zero (raising return to zero adds to the net value, raising burden takes from
    /// it). Drivers with no effect are left out; ties keep feature order.
    pub fn drivers<const N: usize>(&self, eq: &Equation) -> [Option<Driver>; N] {
        let mut top: [(f64, Option<Driver>); N] = [(0.0, None); N];
        let mut filled = 0;
        let mut consider = |v: f64, d: Driver| {
            let mag = v.abs();
            if mag == 0.0 {
                return;
            }
            // `top[..filled]` is biggest first: `mag` goes after every one at least as big (so
            // ties keep feature order), the ones after it move down, the last falls off.
            let mut pos = filled;
            while pos > 0 && mag > top[pos - 1].0 {
                pos -= 1;
            }
            if pos < N {
                filled = (filled + 1).min(N);
                for j in (pos + 1..filled).rev() {
                    top[j] = top[j - 1];
                }
                top[pos] = (mag, Some(d));
            }
        };
        // Each feature's part of the net value, from its slice of the contributions: without an
        // index worked out and checked per target. (A lead of no targets has no contributions.)
        let nt = self.n_targets().max(1);
        for (f, parts) in self.contributions.chunks_exact(nt).enumerate() {
            consider(net_of(eq, parts), Driver::Feature(f));
        }
        for (t, floor) in self.floors.iter().enumerate() {
            consider(eq.targets[t].role.sign() * floor, Driver::Floor(t));
        }
        top.map(|(_, d)| d)
    }

    /// How feature `f`'s value reads in a reason: `12`, `retail`, and where the model used
    /// something else, what: `mining (as (other))`, `80,666 (as 704.15)`, `(missing) (as 35)`,
    /// `aerospace (as the average)`.
    pub fn push_shown(&self, eq: &Equation, f: usize, buf: &mut String) {
        let r = &self.readings[f];
        let grouped = !matches!(&eq.terms[f], Term::Numeric(n) if n.code);
        match r.given {
            Given::Blank => buf.push_str(MISSING_LEVEL),
            Given::Text => buf.push_str(&r.text),
            Given::Number(v) => crate::economics::push_number(buf, v, grouped),
        }
        match r.used {
            Used::AsGiven => {}
            Used::Level(l) => {
                if let Term::Category(c) = &eq.terms[f] {
                    push_as(buf, &c.levels[l].value);
                }
            }
            Used::Average => push_as(buf, "the average"),
            Used::Number(v) => {
                buf.push_str(" (as ");
                crate::economics::push_number(buf, v, grouped);
                buf.push(')');
            }
        }
    }

    /// The lead's own value of feature `f` as text, and what the model used instead, if
    /// anything: structured, for explanations and exports.
    pub fn value_and_scored_as(&self, eq: &Equation, f: usize) -> (String, Option<String>) {
        let r = &self.readings[f];
        let code = matches!(&eq.terms[f], Term::Numeric(n) if n.code);
        let value = match r.given {
            Given::Blank => MISSING_LEVEL.to_string(),
            Given::Text => r.text.clone(),
            Given::Number(v) => number(v, code),
        };
        let used = match r.used {
            Used::AsGiven => None,
            Used::Level(l) => match &eq.terms[f] {
                Term::Category(c) => Some(c.levels[l].value.clone()),
                Term::Numeric(_) => None,
            },
            Used::Average => Some(Fallback::NEUTRAL_TOKEN.to_string()),
            Used::Number(v) => Some(number(v, code)),
        };
        (value, used)
    }

    /// The size of the account the interval's width follows: what flows in and out.
    fn size(&self, eq: &Equation) -> f64 {
        self.total(eq, Role::Return).abs() + self.total(eq, Role::Burden)
    }
}

/// A feature's part of the net value from its part of each target (`parts`, in the equation's
/// target order): return counts up, burden down.
fn net_of(eq: &Equation, parts: &[f64]) -> f64 {
    eq.targets
        .iter()
        .zip(parts)
        .map(|(target, c)| target.role.sign() * c)
        .sum()
}

/// A breakdown as [`ScoredLead::breakdown`] writes it, in its three parts: the baseline, each
/// feature's part in the model's order, and the floors' part (for writers that lay them out
/// apart, as JSON's object and the page's list do).
pub fn breakdown_parts(parts: &[f64]) -> (f64, &[f64], f64) {
    let (baseline, rest) = parts.split_first().unwrap_or((&0.0, &[]));
    let (floor, features) = rest.split_last().unwrap_or((&0.0, &[]));
    (*baseline, features, *floor)
}

/// The names of the breakdown's columns ([`ScoredLead::breakdown`]), as `score --breakdown`
/// writes them and the SQL query returns them: `baseline_net`, `contribution_<feature>` per
/// feature, `floor_net`.
pub fn breakdown_columns(eq: &Equation) -> Vec<String> {
    std::iter::once("baseline_net".to_string())
        .chain(
            eq.terms
                .iter()
                .map(|t| format!("contribution_{}", t.name())),
        )
        .chain(std::iter::once("floor_net".to_string()))
        .collect()
}

/// One driver of a lead's net value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// Feature `f` of the equation.
    Feature(usize),
    /// The floor at zero of target `t`.
    Floor(usize),
}

/// A blank category: the level the model learnt for blanks, or none (the average customer) with
/// a warning when training never saw it blank. Returns the level's index, if any.
fn blank_category(
    c: &CategoryTerm,
    reading: &mut Reading,
    bin: &mut Option<u32>,
    warnings: &mut Vec<Warning>,
) -> Option<usize> {
    reading.given = Given::Blank;
    *bin = None;
    match c.blank {
        Blank::Level(l) => {
            if c.levels[l].value != MISSING_LEVEL {
                reading.used = Used::Level(l);
            }
            Some(l)
        }
        Blank::Guess(Fallback::Neutral) => {
            reading.used = Used::Average;
            warnings.push(Warning::MissingCategory {
                feature: c.name.clone(),
            });
            None
        }
    }
}

/// Appends " (as X)": the level or value the model used instead of the lead's own.
fn push_as(shown: &mut String, used: &str) {
    shown.push_str(" (as ");
    shown.push_str(used);
    shown.push(')');
}

/// The figures and decisions every scored lead has, after its id, as every output names them:
/// the CSV writers (with reasons and warnings after them) and the SQL query alike.
pub const FIGURE_COLUMNS: [&str; 8] = [
    "expected_return",
    "expected_burden",
    "expected_net",
    "net_low",
    "net_high",
    "return_to_burden",
    "tier",
    "recommendation",
];

/// At most this many known values of a feature are compared with an unseen value for a "did
/// you mean" hint.
const MAX_HINT_CANDIDATES: usize = 100;

/// 2⁵³: below it an `f64` holds every whole number, so every figure below 2⁵³ units of its last
/// decimal is written exactly (`Scorer::check_writable`).
const MAX_EXACT_UNITS: f64 = 9_007_199_254_740_992.0;

/// A figure in a message: grouped digits while they mean something (`12,000`), scientific
/// notation beyond (`1e307`, not three hundred digits), and what is not a number said so.
fn shown_figure(v: f64) -> String {
    if v.is_nan() {
        "not a number".to_string()
    } else if v.is_infinite() {
        if v > 0.0 {
            "infinite"
        } else {
            "minus infinite"
        }
        .to_string()
    } else if v.abs() < 1e15 {
        number(v, false)
    } else {
        format!("{v:e}")
    }
}

/// Scores leads with one model's equation. The equation is data; the scorer adds only what makes
/// evaluating it fast (a hash lookup per category).
pub struct Scorer<'m> {
    model: &'m Model,
    equation: Equation,
    /// Per feature: category value → level index (empty for numbers); pooled values map to
    /// `(other)`, aliases to what they stand for.
    lookups: Vec<ValueIndex<Lookup>>,
    /// Per feature: the values a lead's unseen value may be a misspelling of.
    known: Vec<crate::io::table::Candidates>,
}

/// What a known category value scores as: a level itself (or another spelling of it), or a
/// value pooled into `(other)`; the index is the level's either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Level(usize),
    Pooled(usize),
}

impl Lookup {
    /// The index of the level the value scores as.
    pub fn level(self) -> usize {
        match self {
            Lookup::Level(l) | Lookup::Pooled(l) => l,
        }
    }
}

/// The index a category's values are looked up in: its levels, its pooled values (as `(other)`)
/// and its aliases, matched as the model says. Scoring and the SQL generator both use it.
pub fn category_index(c: &CategoryTerm) -> ValueIndex<Lookup> {
    let levels = c
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.value.as_str(), Lookup::Level(i)));
    let pooled = c.other.into_iter().flat_map(|o| {
        c.pooled
            .iter()
            .map(move |p| (p.as_str(), Lookup::Pooled(o)))
    });
    let aliases = c.aliases.iter().map(|(a, t)| (a.as_str(), t.as_str()));
    ValueIndex::new(c.matching, levels.chain(pooled), aliases)
}

impl<'m> Scorer<'m> {
    pub fn new(model: &'m Model) -> Result<Scorer<'m>> {
        let equation = Equation::from_model(model)?;
        let lookups = equation
            .terms
            .iter()
            .map(|term| match term {
                Term::Category(c) => category_index(c),
                Term::Numeric(_) => ValueIndex::new(Matching::Exact, [], []),
            })
            .collect();
        let known = equation
            .terms
            .iter()
            .map(|term| match term {
                Term::Category(c) => crate::io::table::Candidates::new(
                    c.levels
                        .iter()
                        .map(|l| &l.value)
                        .chain(&c.pooled)
                        .filter(|v| v.as_str() != MISSING_LEVEL && v.as_str() != OTHER_LEVEL)
                        // The hint compares an unseen value with each of these: a model with
                        // 51,000 pooled values made scoring 200 times slower. Levels come
                        // first, so they are always among the candidates.
                        .take(MAX_HINT_CANDIDATES)
                        .cloned(),
                ),
                Term::Numeric(_) => Default::default(),
            })
            .collect();
        Ok(Scorer {
            model,
            equation,
            lookups,
            known,
        })
    }

    pub fn model(&self) -> &Model {
        self.model
    }

    pub fn equation(&self) -> &Equation {
        &self.equation
    }

    /// Scores one lead row into `out`, reusing its buffers, and decides on it with the figures
    /// as written to `decimals` places. `id` and `line` are left to the caller.
    pub fn score<'r>(
        &self,
        input: &Source,
        cols: &FeatureColumns,
        row: impl Into<Row<'r>>,
        decimals: usize,
        out: &mut ScoredLead,
    ) -> Result<()> {
        let row = row.into();
        self.evaluate(input, cols, row, out)?;
        self.check_writable(input, cols, row, out, decimals)?;
        self.decide(out, decimals);
        Ok(())
    }

    /// Refuses a lead whose figures cannot be written as money to the cent: not finite, or so
    /// large that an `f64` no longer holds every cent (2⁵³ units of the last decimal), where
    /// the reasons would stop adding up to the written figures. Only a value far outside what
    /// training saw gets there, in a model that does not cap values at the training range
    /// (`model.winsorize = false`) or take their logarithm; the message names that value. A
    /// lead scored as `inf` (tier A, "contact") was written before.
    fn check_writable(
        &self,
        input: &Source,
        cols: &FeatureColumns,
        row: Row<'_>,
        out: &ScoredLead,
        decimals: usize,
    ) -> Result<()> {
        let limit = MAX_EXACT_UNITS / 10f64.powi(decimals as i32);
        let writable = |v: f64| v.abs() < limit;
        if out
            .targets
            .iter()
            .chain(&out.contributions)
            .all(|&v| writable(v))
        {
            return Ok(());
        }
        let eq = &self.equation;
        let nt = eq.targets.len();
        let (t, value) = out
            .targets
            .iter()
            .copied()
            .enumerate()
            .find(|&(_, v)| !writable(v))
            .unwrap_or((0, out.targets[0]));
        let would_be = if value.is_finite() && value.abs() >= 1e15 {
            format!("{value:.3e}")
        } else {
            shown_figure(value)
        };
        let figure = format!(
            "its expected {} would be {would_be}, more than money written with {decimals} decimals can hold exactly (below {limit:.1e})",
            eq.targets[t].label,
        );
        // The feature whose contribution is furthest from writable is what to look at.
        let culprit = (0..eq.terms.len())
            .filter(|&f| (0..nt).any(|t| !writable(out.contributions[f * nt + t])))
            .max_by(|&a, &b| {
                let size =
                    |f: usize| {
                        (0..nt).map(|t| out.contributions[f * nt + t].abs()).fold(
                            0.0,
                            |m: f64, v| if v.is_nan() { f64::INFINITY } else { m.max(v) },
                        )
                    };
                size(a).total_cmp(&size(b))
            });
        match culprit.map(|f| (f, &eq.terms[f], &out.readings[f].given)) {
            Some((f, Term::Numeric(n), Given::Number(v))) => Err(input.field_error(
                row.record(),
                cols.column(f),
                format!(
                    "{} is far outside what training saw ({} to {}): {figure}. Check the value, or train with model.winsorize = true to cap values at the training range",
                    shown_figure(*v),
                    shown_figure(n.range.0),
                    shown_figure(n.range.1)
                ),
            )),
            _ => Err(Error::Row {
                path: input.path.clone(),
                line: line_of(row.record()),
                problem: format!("the model cannot score this lead: {figure}"),
            }),
        }
    }

    /// The equation on one row: targets, contributions, readings, warnings, drift bins.
    fn evaluate(
        &self,
        input: &Source,
        cols: &FeatureColumns,
        row: Row<'_>,
        out: &mut ScoredLead,
    ) -> Result<()> {
        let eq = &self.equation;
        let nt = eq.targets.len();
        let nf = eq.terms.len();
        out.targets.resize(nt, 0.0);
        out.floors.resize(nt, 0.0);
        out.contributions.resize(nf * nt, 0.0);
        out.readings.resize_with(nf, Reading::default);
        out.bins.resize(nf, None);
        out.warnings.clear();
        out.tokens = 0;
        for (f, term) in eq.terms.iter().enumerate() {
            let reading = &mut out.readings[f];
            reading.used = Used::AsGiven;
            let effects = &mut out.contributions[f * nt..(f + 1) * nt];
            match term {
                Term::Category(c) => {
                    let level = match cols.category(row, f) {
                        None => blank_category(c, reading, &mut out.bins[f], &mut out.warnings),
                        Some(value) => {
                            reading.given = Given::Text;
                            reading.text.clear();
                            reading.text.push_str(&value);
                            match self.lookups[f].find(&value, &mut out.scratch) {
                                Some(Lookup::Level(l)) => {
                                    out.bins[f] = Some(l as u32);
                                    if c.levels[l].value != *value {
                                        // Another spelling: say which level it was read as.
                                        reading.used = Used::Level(l);
                                    }
                                    Some(l)
                                }
                                Some(Lookup::Pooled(l)) => {
                                    out.bins[f] = Some(l as u32);
                                    reading.used = Used::Level(l);
                                    Some(l)
                                }
                                // `n/a` and the like: a blank, unless the model knows it as a
                                // level (above).
                                None if cols.is_missing_value(&value) => {
                                    out.tokens += 1;
                                    blank_category(c, reading, &mut out.bins[f], &mut out.warnings)
                                }
                                None => {
                                    // Unseen values have a drift bin of their own, after the
                                    // levels.
                                    out.bins[f] = Some(c.levels.len() as u32);
                                    let Fallback::Neutral = c.unseen;
                                    reading.used = Used::Average;
                                    out.warnings.push(Warning::Unseen {
                                        feature: c.name.clone(),
                                        closest: self.known[f].closest(&value).map(str::to_string),
                                        value: value.into_owned(),
                                    });
                                    None
                                }
                            }
                        }
                    };
                    match level {
                        Some(l) => effects.copy_from_slice(&c.levels[l].effects),
                        None => effects.fill(0.0),
                    }
                }
                Term::Numeric(n) => {
                    let raw = match cols.number(input, row, f)? {
                        Some(v) => {
                            reading.given = Given::Number(v);
                            out.bins[f] = Some(n.edges.partition_point(|e| *e < v) as u32);
                            let (lo, hi) = n.range;
                            if v < lo || v > hi {
                                let used = n.used(v);
                                if used != v {
                                    reading.used = Used::Number(used);
                                }
                                out.warnings.push(Warning::OutOfRange {
                                    feature: n.name.clone(),
                                    value: v,
                                    above: v > hi,
                                    used,
                                    code: n.code,
                                });
                            }
                            v
                        }
                        None => {
                            out.tokens += u32::from(cols.is_token(row, f));
                            reading.given = Given::Blank;
                            reading.used = Used::Number(n.median);
                            out.bins[f] = None;
                            out.warnings.push(Warning::Imputed {
                                feature: n.name.clone(),
                                median: n.median,
                                code: n.code,
                            });
                            n.median
                        }
                    };
                    let d = n.transform(n.used(raw)) - n.mean;
                    for (e, slope) in effects.iter_mut().zip(&n.slopes) {
                        *e = slope * d;
                    }
                }
            }
        }
        for (t, target) in eq.targets.iter().enumerate() {
            if let Scale::Log {
                at_mean,
                correction,
                shift,
            } = target.scale
            {
                log_effects_to_money(&mut out.contributions, t, nt, at_mean, correction, shift);
            }
            let mut v = target.baseline;
            for f in 0..nf {
                v += out.contributions[f * nt + t];
            }
            // The floors are their own, visible part of the explanation.
            out.floors[t] = if target.floor_at_zero && v < 0.0 {
                -v
            } else {
                0.0
            };
            out.targets[t] = v + out.floors[t];
        }
        Ok(())
    }

    /// Tier, recommendation and interval, decided on the figures as written
    /// ([`crate::economics::Decisions::decide`]); a lead sent to `qualify` because too little
    /// was known about it gets a warning saying why.
    fn decide(&self, out: &mut ScoredLead, decimals: usize) {
        let eq = &self.equation;
        out.money = Printed::new(
            out.total(eq, Role::Return),
            out.total(eq, Role::Burden),
            decimals,
        );
        let features = eq.terms.len();
        let guessed = out.warnings.iter().filter(|w| w.is_guess()).count();
        let decision = eq.decisions.decide(out.money.net, guessed, features);
        out.tier = decision.tier;
        out.recommendation = decision.recommendation;
        if decision.too_little_known {
            out.warnings
                .push(Warning::TooLittleKnown { guessed, features });
        }
        out.interval = eq.interval.map(|i| i.around(out.net(eq), out.size(eq)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drivers as they were picked before: a slot found by scanning, the rest rotated.
    fn drivers_by_rotation<const N: usize>(
        lead: &ScoredLead,
        eq: &Equation,
    ) -> [Option<Driver>; N] {
        let mut top: [(f64, Option<Driver>); N] = [(0.0, None); N];
        let n = lead.readings.len();
        for i in 0..n + lead.floors.len() {
            let (v, d) = if i < n {
                (lead.net_contribution(eq, i), Driver::Feature(i))
            } else {
                let t = i - n;
                (eq.targets[t].role.sign() * lead.floors[t], Driver::Floor(t))
            };
            let mag = v.abs();
            if mag == 0.0 {
                continue;
            }
            if let Some(pos) = top.iter().position(|(m, d)| d.is_none() || mag > *m) {
                top[pos..].rotate_right(1);
                top[pos] = (mag, Some(d));
            }
        }
        top.map(|(_, d)| d)
    }

    /// Random parts with ties, zeros and floors, on the shipped model's equation: the same
    /// drivers in the same order, for 3 (what reasons show) and for more than there are.
    #[test]
    fn drivers_are_the_biggest_parts_biggest_first_ties_in_feature_order() {
        use rand::{Rng, SeedableRng};
        let text = include_str!("../../models/model.json");
        let model = Model::parse(text, "models/model.json").unwrap();
        let eq = Equation::from_model(&model).unwrap();
        let (nf, nt) = (eq.terms.len(), eq.targets.len());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut lead = ScoredLead {
            readings: vec![Reading::default(); nf],
            targets: vec![0.0; nt],
            ..ScoredLead::default()
        };
        for _ in 0..20_000 {
            // Few distinct magnitudes, so ties are common; a third of the parts are zero.
            lead.contributions = (0..nf * nt)
                .map(|_| f64::from(rng.random_range(-3i32..=3)) * 100.0)
                .collect();
            lead.floors = (0..nt)
                .map(|_| [0.0, 0.0, 200.0][rng.random_range(0..3)])
                .collect();
            assert_eq!(lead.drivers::<3>(&eq), drivers_by_rotation::<3>(&lead, &eq));
            assert_eq!(
                lead.drivers::<20>(&eq),
                drivers_by_rotation::<20>(&lead, &eq)
            );
        }
    }
}
