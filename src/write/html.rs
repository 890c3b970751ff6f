//! Scored leads as one self-contained HTML page for a manager (issue 10): the summary, a chart of
//! expected return against expected burden (a dot per lead coloured by tier, the break-even
//! line), the tiers and recommendations with their money, what calling only the `contact` leads
//! is worth, the predicted whale curve, the top leads with their reasons and intervals, and the
//! model that scored them.
//!
//! **Self-contained.** The page is opened from an email, often offline, so it fetches nothing:
//! the CSS is inline, the charts are inline SVG drawn here (no chart library, no JavaScript),
//! fonts are the reader's own. Drawing the SVG ourselves keeps it small (a dot is one `<circle>`
//! in its tier's group) and the bytes deterministic: the same leads give the same page, and the
//! only date on it is `generated_on`, passed in.
//!
//! **Same figures as the other writers.** Every amount is a written figure (`lead.money`, the
//! interval from `lead.interval_around`, the reasons and warnings as `write::push_reasons` and
//! `push_warnings` give them), and the totals are summed in whole minor units by the workbook's
//! own `write::totals::Accumulator`, so the page, the CSV and the workbook agree to the cent.
//! Amounts are grouped and carry the model's currency. With [`HtmlWriter::with_breakdown`]
//! (`export --breakdown`) each top lead's row ends in a `<details>` (opened by a click, no
//! script) listing its net value part by part, the figures of `score --breakdown`'s columns;
//! with [`HtmlWriter::with_components`] (`export --components`), before it, another listing its
//! return and burden term by term, in money and in each term's units, the figures of
//! `score --components`' columns.
//!
//! **Bounded memory.** Leads arrive in the order the export chose (by expected net, or input
//! order), so the page picks what it shows as they go by: the [`TOP_LEADS`] highest net values
//! (ties: the earlier lead) in a 50-row heap, each row rendered (and broken down, its
//! components split) when it enters; at most
//! [`MAX_DOTS`] dots for the chart, chosen by a hash of the lead's id (so the picture is the
//! same whichever order the leads came in, and on every run): every tier A lead if they fit,
//! but the other tiers keep at least a quarter of the dots, so that a list rich in A still
//! shows where B, C and D lie; and, for the whale curve, 8 bytes a lead (its net in minor
//! units), sorted at the end and cut to at most [`WHALE_POINTS`] points. The axes span every
//! lead, drawn or not, and the page says how many dots it drew of how many.
//!
//! Measured with `export --format html` (release build, 2 cores, every input column carried):
//! 100 leads make a 77 KB page, the 1,000 sample leads 155 KB, 100k generated leads 486 KB (5,000
//! dots); the 100k export took 0.43-0.52 s against 0.69-0.84 s for CSV (it writes 0.5 MB, not
//! 23 MB), at the same peak memory (57 MB, the export's own pass over the rows): the page adds
//! its 800 KB of nets and the half-megabyte it renders.
//!
//! **Safe text.** Everything that comes from data (ids, input values, reasons naming category
//! values, file names, the currency) is escaped, so a lead id `<script>…` is shown as text;
//! control characters, which HTML does not allow, are shown as their Unicode pictures (␀, ␛).
//!
//! The browser test (`tests/cli/html.rs`) loads the page in headless Chromium and checks the
//! dots and the break-even line by their colours ([`TIER_COLOURS`], [`BREAK_EVEN_COLOUR`]),
//! inside the plot area found by its background colour ([`PLOT_BACKGROUND`]), which nothing
//! else on the page uses.

use std::borrow::Cow;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::economics::{money, Recommendation, Tier};
use crate::model::components::Components;
use crate::model::equation::Equation;
use crate::model::scorer::ScoredLead;
use crate::write::totals::{Accumulator, Tally, Totals};
use crate::write::xlsx::ModelInfo;
use crate::write::{push_reasons, push_warnings, ScoredWriter};

/// What the page says about where its leads came from.
#[derive(Debug, Clone, PartialEq)]
pub struct PageInfo {
    /// The page's title and headline.
    pub title: String,
    /// Which leads the page shows when it is not every lead scored (`--top`, `--min-tier`, a
    /// split's page), as the caller words it: "The top 3 of 212 leads in region north with tier
    /// B or better; 1,000 leads scored from data/leads.csv". Shown, escaped, as its own line
    /// under the title; and the totals are then labelled as this page's ("these leads", "All
    /// leads on this page") rather than "all leads", so that they are not taken for the whole
    /// pipeline. `None`: the page holds every lead scored.
    pub scope: Option<String>,
    /// The lead list that was scored, as the user named it.
    pub leads_file: String,
    /// The day the page was made, `YYYY-MM-DD`: the only date on the page, so a page made again
    /// from the same leads on the same day has the same bytes.
    pub generated_on: String,
    /// Which model scored the leads.
    pub model: ModelInfo,
}

/// How many leads the top-leads table lists.
pub const TOP_LEADS: usize = 50;
/// The most dots the chart draws: enough to see where the leads are, few enough that the page
/// stays a few hundred kilobytes and opens at once.
pub const MAX_DOTS: usize = 5_000;
/// The most points on the whale curve: a smooth line at the chart's width.
pub const WHALE_POINTS: usize = 401;

/// Dot colours by tier, in the order of [`Tier::ALL`]: green, blue, amber, red. Distinct in
/// hue and in lightness, so they also read apart in grey or to most colour-blind readers.
pub const TIER_COLOURS: [&str; 4] = ["#1a9641", "#2b83ba", "#f0a030", "#d7191c"];
/// Text on a tier's colour: white, but dark on the light amber.
const TIER_TEXT: [&str; 4] = ["#ffffff", "#ffffff", "#1f2933", "#ffffff"];
/// The break-even line (burden = return): a colour nothing else on the page uses.
pub const BREAK_EVEN_COLOUR: &str = "#7b3294";
/// The chart's plot area, behind the dots: a colour nothing else on the page uses, so a test can
/// find the plot in a screenshot.
pub const PLOT_BACKGROUND: &str = "#f3f6fb";
/// The whale curve's line.
const CURVE_COLOUR: &str = "#2b5797";

/// Writes scored leads into a one-page HTML report, lead by lead, and renders the page with
/// [`HtmlWriter::finish`]. It holds the top leads, the chart's dots and 8 bytes per lead.
pub struct HtmlWriter<'e> {
    equation: &'e Equation,
    decimals: usize,
    scale: f64,
    info: PageInfo,
    /// The names of the input columns carried along.
    passthrough: Vec<String>,
    /// Leads written so far; a lead's number is its place in the order written.
    leads: u64,
    sums: Accumulator,
    /// Each lead's net in minor units, for the whale curve.
    nets: Vec<i64>,
    /// The best [`TOP_LEADS`] leads so far; the worst of them on top.
    top: BinaryHeap<TopRow>,
    /// Candidate dots: tier A, and the other tiers, each sampled apart (see [`Sample`]).
    tier_a: Sample,
    others: Sample,
    /// The smallest and largest written return and burden of every lead.
    extent: Option<[f64; 4]>,
    reasons: String,
    warnings: String,
    /// With the breakdown (`export --breakdown`): each top lead's, as written, reused from lead
    /// to lead. Only a lead that enters the top leads is broken down, so the page's memory
    /// stays bounded.
    breakdown: Option<Vec<f64>>,
    /// With components (`export --components`): the model's, and each top lead's parts at full
    /// precision, reused from lead to lead; only a top lead's are worked out.
    components: Option<(&'e Components, Vec<f64>)>,
}

/// A lead in the top-leads table: its rank key and its row, rendered when it entered.
#[derive(Debug)]
struct TopRow {
    net: i64,
    arrival: u64,
    /// The row's cells after the rank.
    cells: String,
    /// The input values carried along, shown on a line of their own under the row; empty
    /// when there are none.
    input: String,
}

impl TopRow {
    /// Greater is worse: a lower net, then a later lead.
    fn key(&self) -> (std::cmp::Reverse<i64>, u64) {
        (std::cmp::Reverse(self.net), self.arrival)
    }
}

impl PartialEq for TopRow {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for TopRow {}
impl PartialOrd for TopRow {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TopRow {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// A dot on the chart. Kept by the smallest key: a hash of the id, then the lead's number.
#[derive(Debug)]
struct Dot {
    key: (u64, u64),
    lifetime_return: f64,
    service_burden: f64,
    net: f64,
    tier: Tier,
    id: String,
}

impl PartialEq for Dot {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Dot {}
impl PartialOrd for Dot {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Dot {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// A sample of at most [`MAX_DOTS`] dots, the same whatever order they are offered in: the
/// smallest keys (a hash of the id) win, so it is a fixed pseudo-random sample, without a
/// random number generator.
#[derive(Debug, Default)]
struct Sample {
    /// The dots kept so far; the first to give way on top.
    kept: BinaryHeap<Dot>,
    /// How many dots were offered.
    offered: u64,
}

impl Sample {
    /// Whether a dot with `key` would be kept: check before making one.
    fn wants(&self, key: (u64, u64)) -> bool {
        self.kept.len() < MAX_DOTS || self.kept.peek().is_some_and(|d| key < d.key)
    }

    fn offer(&mut self, dot: impl FnOnce() -> Dot, key: (u64, u64)) {
        self.offered += 1;
        if self.wants(key) {
            self.kept.push(dot());
            if self.kept.len() > MAX_DOTS {
                self.kept.pop();
            }
        }
    }

    /// The `n` dots with the smallest keys.
    fn take(self, n: usize) -> impl Iterator<Item = Dot> {
        self.kept.into_sorted_vec().into_iter().take(n)
    }
}

/// How the chart's dots were chosen: of tier A and of the other tiers, how many were drawn of
/// how many.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Drawn {
    tier_a: (u64, u64),
    others: (u64, u64),
}

impl Drawn {
    /// Every tier A lead if they fit, but never at the cost of the others' shape: the other
    /// tiers keep at least a quarter of the dots (when they have that many leads), A takes
    /// the rest, and the others fill what A leaves.
    fn split(tier_a: u64, others: u64) -> Drawn {
        let max = MAX_DOTS as u64;
        let reserved = others.min(max / 4);
        let a = tier_a.min(max - reserved);
        Drawn {
            tier_a: (a, tier_a),
            others: (others.min(max - a), others),
        }
    }
}

/// FNV-1a, then SplitMix64's finaliser to spread the bits: a fixed, portable hash (the std
/// hasher is seeded per process), so the sample is the same on every machine and run.
fn id_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

impl<'e> HtmlWriter<'e> {
    /// A page of leads scored with `equation`, money written to `decimals` places as in the CSV;
    /// `passthrough` names the input columns each [`ScoredWriter::write`] will carry.
    pub fn new(
        equation: &'e Equation,
        decimals: usize,
        info: PageInfo,
        passthrough: &[impl AsRef<str>],
    ) -> Self {
        HtmlWriter {
            equation,
            decimals,
            scale: 10f64.powi(decimals.min(15) as i32),
            info,
            passthrough: passthrough.iter().map(|p| p.as_ref().to_string()).collect(),
            leads: 0,
            sums: Accumulator::new(decimals),
            nets: Vec::new(),
            top: BinaryHeap::with_capacity(TOP_LEADS + 1),
            tier_a: Sample::default(),
            others: Sample::default(),
            extent: None,
            reasons: String::new(),
            warnings: String::new(),
            breakdown: None,
            components: None,
        }
    }

    /// Shows each top lead's return and burden term by term, in a column of their own before
    /// the breakdown's: a `<details>` (no script) listing each return term's part, the return,
    /// each burden term's part, the burden, in money, with the term's units beside it where it
    /// has them, under its name (`sales effort`, then `58.56 sales_hours`): the figures `score --components` writes,
    /// adding up to the return and burden shown. Without it the page is as it always was.
    pub fn with_components(mut self, components: Option<&'e Components>) -> Self {
        self.components = components.map(|c| (c, Vec::new()));
        self
    }

    /// Shows each top lead's net value broken down, in a last column: a `<details>` (no script)
    /// listing the baseline, every feature's part with the lead's value, and the floors' part,
    /// the figures `score --breakdown` writes (`ScoredLead::breakdown`), adding up to the net
    /// shown. Without it the page is as it always was.
    pub fn with_breakdown(mut self, breakdown: bool) -> Self {
        self.breakdown = breakdown.then(Vec::new);
        self
    }

    /// Renders the finished page into `out` and returns the totals it shows (the same as the
    /// workbook's Summary sheet for the same leads).
    pub fn finish(self, out: &mut impl Write) -> io::Result<Totals> {
        let totals = self.sums.totals();
        let page = Page::new(self, totals).render();
        out.write_all(page.as_bytes())?;
        Ok(totals)
    }

    /// The row of the top-leads table, after the rank.
    fn top_cells(&mut self, lead: &ScoredLead) -> String {
        let d = self.decimals;
        let m = &lead.money;
        push_reasons(self.equation, lead, &mut self.reasons);
        push_warnings(lead, &mut self.warnings);
        let mut s = String::with_capacity(512);
        s.push_str("<td class=\"id\">");
        push_escaped(&mut s, &lead.id);
        s.push_str("</td>");
        for v in [m.lifetime_return, m.service_burden, m.net] {
            push_money_cell(&mut s, v, d);
        }
        match lead.interval_around(m.net) {
            Some((lo, hi)) => {
                s.push_str("<td class=\"n\">");
                s.push_str(&money(lo, d));
                s.push_str(" to ");
                s.push_str(&money(hi, d));
                s.push_str("</td>");
            }
            None => s.push_str("<td class=\"n none\">none</td>"),
        }
        s.push_str("<td>");
        push_tier_badge(&mut s, lead.tier);
        s.push_str("</td><td>");
        s.push_str(lead.recommendation.as_str());
        s.push_str("</td><td class=\"text\">");
        push_escaped(&mut s, &self.reasons);
        s.push_str("</td><td class=\"text warn\">");
        push_escaped(&mut s, &self.warnings);
        s.push_str("</td>");
        if let Some((c, exact)) = &mut self.components {
            push_components(&mut s, c, self.equation, lead, exact, d);
        }
        if let Some(parts) = &mut self.breakdown {
            lead.breakdown(self.equation, d, parts);
            push_breakdown(&mut s, self.equation, lead, parts, d);
        }
        s
    }

    /// The input values carried along, `name: value` pairs as read; empty when there are none.
    fn top_input(&self, passthrough: &[Cow<'_, str>]) -> String {
        let mut s = String::new();
        for (i, (name, value)) in self.passthrough.iter().zip(passthrough).enumerate() {
            if i > 0 {
                s.push_str("<span class=\"sep\"> · </span>");
            }
            s.push_str("<span class=\"k\">");
            push_escaped(&mut s, name);
            s.push_str(":</span> ");
            push_escaped(&mut s, value);
        }
        s
    }
}

impl ScoredWriter for HtmlWriter<'_> {
    fn write(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) -> io::Result<()> {
        if passthrough.len() != self.passthrough.len() {
            return Err(io::Error::other(format!(
                "lead {} carries {} input fields, the header {}",
                lead.id,
                passthrough.len(),
                self.passthrough.len()
            )));
        }
        let arrival = self.leads;
        self.leads += 1;
        self.sums.add(lead);
        let m = &lead.money;
        // Exact: the written net is a whole number of minor units.
        let net = (m.net * self.scale).round() as i64;
        self.nets.push(net);

        let (r, b) = (m.lifetime_return, m.service_burden);
        if r.is_finite() && b.is_finite() {
            self.extent = Some(match self.extent {
                None => [r, r, b, b],
                Some([r0, r1, b0, b1]) => [r0.min(r), r1.max(r), b0.min(b), b1.max(b)],
            });
            let key = (id_hash(&lead.id), arrival);
            let dot = || Dot {
                key,
                lifetime_return: r,
                service_burden: b,
                net: m.net,
                tier: lead.tier,
                id: lead.id.clone(),
            };
            if lead.tier == Tier::A {
                self.tier_a.offer(dot, key);
            } else {
                self.others.offer(dot, key);
            }
        }

        // A later lead enters only with a strictly higher net: ties go to the earlier lead.
        let enters = self.top.len() < TOP_LEADS || self.top.peek().is_some_and(|w| net > w.net);
        if enters {
            let cells = self.top_cells(lead);
            let input = self.top_input(passthrough);
            self.top.push(TopRow {
                net,
                arrival,
                cells,
                input,
            });
            if self.top.len() > TOP_LEADS {
                self.top.pop();
            }
        }
        Ok(())
    }
}

/// Appends `text` with what HTML would read as markup escaped (`&`, `<`, `>`, quotes, so it is
/// safe in text and in quoted attributes alike), and the control characters HTML does not allow
/// shown as their pictures: U+0000–U+001F and U+007F as ␀–␟ and ␡, U+0080–U+009F as �. Tabs and
/// line breaks are kept.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
}

/// [`push_escaped`] into a new string.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    push_escaped(&mut s, text);
    s
}

/// The breakdown's cell: `parts` as [`ScoredLead::breakdown`] writes them (the baseline, each
/// feature's part in the model's order, the floors'), then the net value they add up to.
fn push_breakdown(s: &mut String, eq: &Equation, lead: &ScoredLead, parts: &[f64], d: usize) {
    let row = |s: &mut String, label: &str, v: f64, total: bool| part_row(s, label, v, total, d);
    s.push_str("<td class=\"parts\"><details><summary>Part by part</summary><dl class=\"parts\">");
    let (baseline, features, floor) = crate::model::scorer::breakdown_parts(parts);
    row(s, "baseline (the average customer)", baseline, false);
    let mut label = String::new();
    let mut shown = String::new();
    for (f, v) in features.iter().enumerate() {
        label.clear();
        push_escaped(&mut label, eq.terms[f].name());
        label.push_str(" = ");
        shown.clear();
        lead.push_shown(eq, f, &mut shown);
        push_escaped(&mut label, &shown);
        row(s, &label, *v, false);
    }
    row(s, "floors at zero", floor, false);
    row(s, "net", lead.money.net, true);
    s.push_str("</dl></details></td>");
}

/// A line of a part-by-part list: `label` (escaped already) and the amount, a total under a
/// line.
fn part_row(s: &mut String, label: &str, v: f64, total: bool, d: usize) {
    let shown = money(v, d);
    let class = match (total, shown.starts_with('-')) {
        (false, false) => "",
        (false, true) => " class=\"neg\"",
        (true, false) => " class=\"total\"",
        (true, true) => " class=\"total neg\"",
    };
    let term = if total { " class=\"total\"" } else { "" };
    let _ = write!(s, "<dt{term}>{label}</dt><dd{class}>{shown}</dd>");
}

/// The components' cell: each return term's part and the return, each burden term's part and
/// the burden, as `score --components` writes them ([`Components::written_cells`]), a term's
/// units in its label.
fn push_components(
    s: &mut String,
    c: &Components,
    eq: &Equation,
    lead: &ScoredLead,
    exact: &mut Vec<f64>,
    d: usize,
) {
    let cells = c.written_cells(eq, lead, d, exact);
    let (money_parts, mut units) = cells.split_at(c.parts.len());
    // Each part's units, in the parts' order, where it has them.
    let mut unit_of = Vec::with_capacity(c.parts.len());
    for part in &c.parts {
        unit_of.push(match (&part.unit_column, units.split_first()) {
            (Some(column), Some((v, rest))) => {
                units = rest;
                Some((column, *v))
            }
            _ => None,
        });
    }
    s.push_str("<td class=\"parts\"><details><summary>Part by part</summary><dl class=\"parts\">");
    let mut label = String::new();
    let m = &lead.money;
    for (side, total, name) in [
        (0, m.lifetime_return, "expected return"),
        (1, m.service_burden, "expected burden"),
    ] {
        for (k, part) in c.parts.iter().enumerate().filter(|(_, p)| p.target == side) {
            label.clear();
            push_escaped(&mut label, &part.name);
            // The units on a line of their own, never broken: a column name cut mid-word
            // (`lifetime_rev` / `enue`) read as two.
            if let Some((column, v)) = unit_of[k] {
                label.push_str("<span class=\"u\">");
                label.push_str(&money(v, d.max(2)));
                label.push(' ');
                push_escaped(&mut label, column);
                label.push_str("</span>");
            }
            part_row(s, &label, money_parts[k], false, d);
        }
        part_row(s, name, total, true, d);
    }
    s.push_str("</dl></details></td>");
}

/// A right-aligned money cell, losses marked.
fn push_money_cell(s: &mut String, v: f64, decimals: usize) {
    s.push_str(if v < 0.0 && money(v, decimals).starts_with('-') {
        "<td class=\"n neg\">"
    } else {
        "<td class=\"n\">"
    });
    s.push_str(&money(v, decimals));
    s.push_str("</td>");
}

fn push_tier_badge(s: &mut String, tier: Tier) {
    let t = tier as usize;
    let _ = write!(
        s,
        "<span class=\"tier\" style=\"background:{};color:{}\">{}</span>",
        TIER_COLOURS[t],
        TIER_TEXT[t],
        tier.as_str()
    );
}

/// `n` with thousands grouped.
fn count(n: u64) -> String {
    money(n as f64, 0)
}

/// `1 lead`, `2,000 leads`.
fn counted(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{} {what}s", count(n))
    }
}

/// A chart axis: from `lo` to `hi` in steps of `step` (1, 2, 2.5 or 5 times a power of ten),
/// ticks labelled as money with `decimals` places, or as percentages.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
    decimals: usize,
    percent: bool,
}

impl Axis {
    /// Round numbers around `min..=max` and zero, about five steps. Built from plain
    /// multiplication, not logarithms, so the ticks are the same on every machine.
    fn around(min: f64, max: f64) -> Axis {
        let (mut lo, mut hi) = (min.min(0.0), max.max(0.0));
        if !lo.is_finite() || !hi.is_finite() || hi - lo <= 0.0 {
            (lo, hi) = (0.0, 1.0);
        }
        let raw = (hi - lo) / 5.0;
        let mut magnitude = 1.0;
        while magnitude * 10.0 <= raw {
            magnitude *= 10.0;
        }
        while magnitude > raw {
            magnitude /= 10.0;
        }
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|&s| s >= raw)
            .unwrap_or(10.0 * magnitude);
        let decimals = (0..=6)
            .find(|&d| {
                let scaled = step * 10f64.powi(d);
                (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
            })
            .unwrap_or(6) as usize;
        Axis {
            lo: (lo / step).floor() * step,
            hi: (hi / step).ceil() * step,
            step,
            decimals,
            percent: false,
        }
    }

    /// Shares from 0% to 100% in steps of 10%.
    fn shares() -> Axis {
        Axis {
            lo: 0.0,
            hi: 1.0,
            step: 0.1,
            decimals: 0,
            percent: true,
        }
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let n = ((self.hi - self.lo) / self.step).round() as i64;
        (0..=n).map(move |k| self.lo + k as f64 * self.step)
    }

    /// Where `v` falls from 0 (`lo`) to 1 (`hi`).
    fn at(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }

    fn label(&self, v: f64) -> String {
        if self.percent {
            format!("{:.0}%", 100.0 * v)
        } else {
            money(v, self.decimals)
        }
    }
}

/// A plot area on an SVG canvas, in pixels.
#[derive(Debug, Clone, Copy)]
struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl Frame {
    fn x(&self, axis: &Axis, v: f64) -> f64 {
        self.left + axis.at(v) * self.width
    }
    fn y(&self, axis: &Axis, v: f64) -> f64 {
        self.top + (1.0 - axis.at(v)) * self.height
    }
    fn bottom(&self) -> f64 {
        self.top + self.height
    }
    fn right(&self) -> f64 {
        self.left + self.width
    }
}

/// The canvas sizes, in CSS pixels.
const SCATTER_SIZE: (f64, f64) = (760.0, 500.0);
const WHALE_SIZE: (f64, f64) = (760.0, 340.0);
/// Roughly how wide a digit of the charts' 12px text is, to leave room for tick labels.
const DIGIT_WIDTH: f64 = 7.0;

/// Draws gridlines, ticks and tick labels of both axes, and the axis titles.
fn push_axes(svg: &mut String, f: &Frame, x: &Axis, y: &Axis, x_title: &str, y_title: &str) {
    svg.push_str("<g class=\"grid\">");
    for t in x.ticks() {
        let px = f.x(x, t);
        let _ = write!(
            svg,
            "<line x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\"/>",
            f.top,
            f.bottom()
        );
    }
    for t in y.ticks() {
        let py = f.y(y, t);
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\"/>",
            f.left,
            f.right()
        );
    }
    svg.push_str("</g><g class=\"ticks\">");
    for t in x.ticks() {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            f.x(x, t),
            f.bottom() + 18.0,
            x.label(t)
        );
    }
    for t in y.ticks() {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            f.left - 8.0,
            f.y(y, t) + 4.0,
            y.label(t)
        );
    }
    svg.push_str("</g>");
    // Zero lines stand out where the axis crosses zero inside the plot.
    for (axis, vertical) in [(x, true), (y, false)] {
        if axis.lo < 0.0 && axis.hi > 0.0 {
            if vertical {
                let px = f.x(x, 0.0);
                let _ = write!(svg, "<line class=\"zero\" x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\"/>", f.top, f.bottom());
            } else {
                let py = f.y(y, 0.0);
                let _ = write!(svg, "<line class=\"zero\" x1=\"{:.1}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\"/>", f.left, f.right());
            }
        }
    }
    let _ = write!(
        svg,
        "<rect class=\"frame\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
        f.left, f.top, f.width, f.height
    );
    let _ = write!(
        svg,
        "<text class=\"title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">",
        f.left + f.width / 2.0,
        f.bottom() + 40.0
    );
    push_escaped(svg, x_title);
    let _ = write!(
        svg,
        "</text><text class=\"title\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">",
        f.top + f.height / 2.0
    );
    push_escaped(svg, y_title);
    svg.push_str("</text>");
}

/// The plot area of a `size` canvas: room on the left for the y axis's widest tick label and
/// its title, on the right for half the x axis's last label (centred on the frame's edge).
fn frame(size: (f64, f64), x: &Axis, y: &Axis) -> Frame {
    let widest = y.ticks().map(|t| y.label(t).len()).max().unwrap_or(1);
    let left = 34.0 + widest as f64 * DIGIT_WIDTH;
    let last = x.label(x.hi).len() as f64 * DIGIT_WIDTH / 2.0;
    let right = (last + 6.0).max(16.0);
    Frame {
        left,
        top: 12.0,
        width: size.0 - left - right,
        height: size.1 - 12.0 - 54.0,
    }
}

/// What the page shows, worked out from the writer once every lead is in.
struct Page {
    info: PageInfo,
    decimals: usize,
    /// Minor units in a unit of money: 100 for cents.
    scale: f64,
    leads: u64,
    totals: Totals,
    top: Vec<TopRow>,
    /// Whether the top leads' rows have their breakdown.
    breakdown: bool,
    /// Whether the top leads' rows have their components.
    components: bool,
    /// Drawn in this order: D first, A last, so the best leads are on top.
    dots: Vec<Dot>,
    drawn: Drawn,
    extent: [f64; 4],
    whale: Whale,
}

/// The words for the page's leads taken together (see [`Page::all_leads`]).
struct Scope {
    /// After a card's figure: "all leads", "these leads".
    of: &'static str,
    /// The total row of the tier and recommendation tables.
    total: &'static str,
    /// Who "calling every lead" calls.
    every: &'static str,
    /// After the net of every lead, against the contact leads' net.
    against: &'static str,
}

/// The predicted whale curve in money.
struct Whale {
    /// (share of leads, cumulative expected net) in minor units.
    points: Vec<(f64, i128)>,
    peak_leads: usize,
    peak: i128,
    lowest: i128,
}

impl Whale {
    /// Leads ranked by net, highest first; the running total at up to [`WHALE_POINTS`] points,
    /// the peak (the first maximum: fewer leads for the same money) always among them.
    fn of(mut nets: Vec<i64>) -> Whale {
        nets.sort_unstable_by(|a, b| b.cmp(a));
        let n = nets.len();
        let (mut running, mut peak, mut peak_leads, mut lowest) = (0i128, 0i128, 0usize, 0i128);
        for (i, &v) in nets.iter().enumerate() {
            running += i128::from(v);
            if running > peak {
                (peak, peak_leads) = (running, i + 1);
            }
            lowest = lowest.min(running);
        }
        let indices: Vec<usize> = if n < WHALE_POINTS {
            (0..=n).collect()
        } else {
            crate::stats::evaluation::downsample(n, peak_leads, WHALE_POINTS)
        };
        let mut points = Vec::with_capacity(indices.len());
        let (mut running, mut k) = (0i128, 0usize);
        for &i in &indices {
            while k < i {
                running += i128::from(nets[k]);
                k += 1;
            }
            points.push((if n == 0 { 0.0 } else { i as f64 / n as f64 }, running));
        }
        Whale {
            points,
            peak_leads,
            peak,
            lowest,
        }
    }
}

impl Page {
    fn new(w: HtmlWriter<'_>, totals: Totals) -> Page {
        let drawn = Drawn::split(w.tier_a.offered, w.others.offered);
        let mut dots: Vec<Dot> = w.others.take(drawn.others.0 as usize).collect();
        dots.extend(w.tier_a.take(drawn.tier_a.0 as usize));
        // Tier by tier, D first so that A is drawn on top; within a tier by the id's hash, so
        // that the bytes do not depend on the order the leads came in.
        dots.sort_by_key(|d| (std::cmp::Reverse(d.tier), d.key));
        Page {
            info: w.info,
            decimals: w.decimals,
            scale: w.scale,
            leads: w.leads,
            totals,
            top: w.top.into_sorted_vec(),
            breakdown: w.breakdown.is_some(),
            components: w.components.is_some(),
            dots,
            drawn,
            extent: w.extent.unwrap_or([0.0; 4]),
            whale: Whale::of(w.nets),
        }
    }

    /// Money as written, grouped, with the currency.
    fn money(&self, v: f64) -> String {
        format!(
            "{} {}",
            money(v, self.decimals),
            escape(&self.info.model.currency)
        )
    }

    fn render(&self) -> String {
        let mut s = String::with_capacity(64 * 1024 + self.dots.len() * 48);
        let title = escape(&self.info.title);
        let _ = writeln!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"leadscore {}\">\n\
             <title>{title}</title>\n<style>{STYLE}{}</style>\n</head>\n<body>",
            env!("CARGO_PKG_VERSION"),
            if self.breakdown || self.components {
                PARTS_STYLE
            } else {
                ""
            }
        );
        self.header(&mut s, &title);
        self.cards(&mut s);
        s.push_str("<div class=\"row\">\n<section class=\"chart\">\n");
        self.scatter(&mut s);
        s.push_str("</section>\n<section class=\"side\">\n");
        self.tier_bars(&mut s);
        s.push_str("</section>\n</div>\n");
        self.group_tables(&mut s);
        s.push_str("<div class=\"row\">\n<section class=\"chart\">\n");
        self.whale(&mut s);
        s.push_str("</section>\n<section class=\"side\">\n");
        self.model(&mut s);
        s.push_str("</section>\n</div>\n");
        self.top_leads(&mut s);
        let _ = writeln!(
            s,
            "<footer>Made by leadscore {} on {}. Expected figures are the model's predictions, \
             not promises: the interval is where a lead's net value is likely to fall.</footer>\n\
             </body>\n</html>",
            env!("CARGO_PKG_VERSION"),
            escape(&self.info.generated_on)
        );
        s
    }

    fn header(&self, s: &mut String, title: &str) {
        let m = &self.info.model;
        let _ = writeln!(s, "<header>\n<h1>{title}</h1>");
        if let Some(scope) = &self.info.scope {
            let _ = writeln!(s, "<p class=\"scope\">{}</p>", escape(scope));
        }
        let _ = writeln!(
            s,
            "<p class=\"sub\">{}{} from <b>{}</b>, scored on {} by model {} \
             (trained on {} customers). Amounts in {}.</p>\n</header>",
            counted(self.leads, "lead"),
            if self.info.scope.is_some() {
                " on this page"
            } else {
                ""
            },
            escape(&self.info.leads_file),
            escape(&self.info.generated_on),
            escape(m.version.as_deref().unwrap_or(&m.file)),
            count(m.customers as u64),
            escape(&m.currency),
        );
    }

    /// How the totals of the page's leads are named: every lead scored, or only this page's.
    fn all_leads(&self) -> Scope {
        if self.info.scope.is_some() {
            Scope {
                of: "these leads",
                total: "All leads on this page",
                every: "every lead on this page",
                against: "for all of these",
            }
        } else {
            Scope {
                of: "all leads",
                total: "All leads",
                every: "every lead",
                against: "for all",
            }
        }
    }

    fn cards(&self, s: &mut String) {
        let all = &self.totals.all;
        let named = self.all_leads();
        let contact = self.totals.recommendation(Recommendation::Contact);
        s.push_str("<section class=\"cards\">\n");
        let card = |s: &mut String, label: &str, value: &str, note: &str| {
            let _ = writeln!(
                s,
                "<div class=\"card\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div><div class=\"note\">{note}</div></div>"
            );
        };
        // The currency goes with the label, so that an amount of any size keeps to one line.
        let cur = escape(&self.info.model.currency);
        let amount = |v: f64| money(v, self.decimals);
        card(s, "Leads", &count(all.leads), "scored");
        card(
            s,
            &format!("Expected return, {cur}"),
            &amount(all.lifetime_return),
            &format!("lifetime, {}", named.of),
        );
        card(
            s,
            &format!("Expected burden, {cur}"),
            &amount(all.service_burden),
            &format!("cost to serve, {}", named.of),
        );
        card(
            s,
            &format!("Expected net, {cur}"),
            &amount(all.net),
            &format!("return less burden, {}", named.of),
        );
        card(
            s,
            &format!("Calling only <i>contact</i> leads, {cur}"),
            &amount(contact.net),
            &format!(
                "expected net of {} against {} {}",
                counted(contact.leads, "lead"),
                self.money(all.net),
                named.against
            ),
        );
        s.push_str("</section>\n");
    }

    fn scatter(&self, s: &mut String) {
        let (w, h) = SCATTER_SIZE;
        let [r0, r1, b0, b1] = self.extent;
        let x = Axis::around(r0, r1);
        let y = Axis::around(b0, b1);
        let f = frame(SCATTER_SIZE, &x, &y);
        let cur = escape(&self.info.model.currency);
        s.push_str("<h2>Expected return against expected burden</h2>\n<p class=\"legend\">");
        let decisions = &self.info.model.decisions;
        let from = [
            decisions.tier_a,
            decisions.tier_b,
            decisions.tier_c,
            f64::NEG_INFINITY,
        ];
        for tier in Tier::ALL {
            let t = tier as usize;
            let rule = if tier == Tier::D {
                format!("net below {}", money(decisions.tier_c, 0))
            } else {
                format!("net from {}", money(from[t], 0))
            };
            let _ = write!(
                s,
                "<span class=\"key\"><span class=\"dot\" style=\"background:{}\"></span>Tier {} ({rule}): {}</span> ",
                TIER_COLOURS[t],
                tier.as_str(),
                count(self.totals.by_tier[t].leads)
            );
        }
        let _ = writeln!(
            s,
            "<span class=\"key\"><span class=\"line\" style=\"border-color:{BREAK_EVEN_COLOUR}\"></span>break-even: burden = return</span></p>"
        );
        let shown = self.dots.len() as u64;
        let Drawn { tier_a, others } = self.drawn;
        let _ = writeln!(
            s,
            "<p class=\"note\">Each dot is a lead. Below the line a lead is expected to earn more than it costs; above it, to cost more than it earns. {}</p>",
            if shown == self.leads {
                format!("All {} are drawn.", counted(self.leads, "lead"))
            } else {
                format!(
                    "{} of {} leads are drawn: {} in tier A and {} in tiers B to D, {} fixed by the lead ids (the same on every run). The axes span every lead.",
                    count(shown),
                    count(self.leads),
                    if tier_a.0 == tier_a.1 {
                        format!("all {}", count(tier_a.1))
                    } else {
                        format!("{} of the {}", count(tier_a.0), count(tier_a.1))
                    },
                    if others.0 == others.1 {
                        format!("all {}", count(others.1))
                    } else {
                        format!("{} of the {}", count(others.0), count(others.1))
                    },
                    if tier_a.0 < tier_a.1 && others.0 < others.1 {
                        "each a sample"
                    } else {
                        "a sample"
                    }
                )
            }
        );
        let _ = writeln!(
            s,
            "<svg class=\"scatter\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Expected return against expected burden, one dot per lead, coloured by tier\">"
        );
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{PLOT_BACKGROUND}\"/>",
            f.left, f.top, f.width, f.height
        );
        push_axes(
            s,
            &f,
            &x,
            &y,
            &format!("Expected lifetime return ({cur})"),
            &format!("Expected service burden ({cur})"),
        );
        s.push('\n');
        // The break-even line: burden = return, where both axes cover the same amounts.
        let (lo, hi) = (x.lo.max(y.lo), x.hi.min(y.hi));
        if hi > lo {
            let _ = writeln!(
                s,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{BREAK_EVEN_COLOUR}\" stroke-width=\"2.5\" stroke-dasharray=\"8 4\"/>",
                f.x(&x, lo),
                f.y(&y, lo),
                f.x(&x, hi),
                f.y(&y, hi)
            );
        }
        let mut tier = None;
        for d in &self.dots {
            if tier != Some(d.tier) {
                if tier.is_some() {
                    s.push_str("</g>\n");
                }
                tier = Some(d.tier);
                let _ = write!(
                    s,
                    "<g fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.6\">",
                    TIER_COLOURS[d.tier as usize]
                );
            }
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"><title>",
                f.x(&x, d.lifetime_return),
                f.y(&y, d.service_burden)
            );
            push_escaped(s, &d.id);
            let _ = write!(s, ": net {}</title></circle>", money(d.net, self.decimals));
        }
        if tier.is_some() {
            s.push_str("</g>\n");
        }
        s.push_str("</svg>\n");
    }

    /// A bar of each tier's share of the leads, and who to call.
    fn tier_bars(&self, s: &mut String) {
        let all = &self.totals.all;
        s.push_str("<h2>Tiers</h2>\n<div class=\"bars\">\n");
        for tier in Tier::ALL {
            let t = &self.totals.tier(tier);
            let share = if all.leads == 0 {
                0.0
            } else {
                t.leads as f64 / all.leads as f64
            };
            s.push_str("<div class=\"bar-row\"><span class=\"bar-label\">");
            push_tier_badge(s, tier);
            let _ = writeln!(
                s,
                "</span><span class=\"bar-track\"><span class=\"bar\" style=\"width:{:.1}%;background:{}\"></span></span><span class=\"bar-value\">{} ({:.0}%)</span></div>",
                100.0 * share,
                TIER_COLOURS[tier as usize],
                count(t.leads),
                100.0 * share
            );
        }
        s.push_str("</div>\n<h2>Who to call</h2>\n");
        let contact = self.totals.recommendation(Recommendation::Contact);
        let skip = self.totals.recommendation(Recommendation::Skip);
        let _ = writeln!(
            s,
            "<p>Calling only the <i>contact</i> leads ({}) is expected to bring <b>{}</b> net; calling {}, {}.</p>\n<p>The <i>skip</i> leads ({}) are expected to bring {}; the <i>qualify</i> leads are worth a first check before a call.</p>",
            counted(contact.leads, "lead"),
            self.money(contact.net),
            self.all_leads().every,
            self.money(all.net),
            count(skip.leads),
            self.money(skip.net)
        );
    }

    /// Count and money per tier and per recommendation, side by side.
    fn group_tables(&self, s: &mut String) {
        let cur = escape(&self.info.model.currency);
        let heading = |s: &mut String, first: &str| {
            let _ = writeln!(
                s,
                "<table class=\"groups\">\n<thead><tr><th>{first}</th><th class=\"n\">Leads</th><th class=\"n\">Return</th><th class=\"n\">Burden</th><th class=\"n\">Net</th></tr></thead>\n<tbody>"
            );
        };
        let row = |s: &mut String, label: &str, t: &Tally, class: &str| {
            let _ = write!(
                s,
                "<tr{class}><td>{label}</td><td class=\"n\">{}</td>",
                count(t.leads)
            );
            push_money_cell(s, t.lifetime_return, self.decimals);
            push_money_cell(s, t.service_burden, self.decimals);
            push_money_cell(s, t.net, self.decimals);
            s.push_str("</tr>\n");
        };
        let all = &self.totals.all;
        let total = self.all_leads().total;
        s.push_str("<div class=\"pair\">\n<section>\n<h2>By tier</h2>\n");
        let _ = writeln!(s, "<p class=\"note\">Expected amounts in {cur}.</p>");
        heading(s, "Tier");
        for tier in Tier::ALL {
            let mut label = String::new();
            push_tier_badge(&mut label, tier);
            row(s, &label, &self.totals.tier(tier), "");
        }
        row(s, total, all, " class=\"total\"");
        s.push_str("</tbody></table>\n</section>\n<section>\n<h2>By recommendation</h2>\n");
        let _ = writeln!(s, "<p class=\"note\">Expected amounts in {cur}.</p>");
        heading(s, "Recommendation");
        for r in Recommendation::ALL {
            row(s, r.as_str(), &self.totals.recommendation(r), "");
        }
        row(s, total, all, " class=\"total\"");
        s.push_str("</tbody></table>\n</section>\n</div>\n");
    }

    fn whale(&self, s: &mut String) {
        let (w, h) = WHALE_SIZE;
        let wh = &self.whale;
        let to_money = |v: i128| v as f64 / self.scale;
        let x = Axis::shares();
        let top = wh.points.iter().map(|p| p.1).max().unwrap_or(0);
        let y = Axis::around(to_money(wh.lowest), to_money(top));
        let f = frame(WHALE_SIZE, &x, &y);
        let cur = escape(&self.info.model.currency);
        s.push_str("<h2>Predicted whale curve</h2>\n");
        let n = self.leads;
        if n > 0 {
            let _ = writeln!(
                s,
                "<p class=\"note\">Leads ranked by expected net, highest first: the expected net of the best leads, added up. It peaks at {} after the best {} ({:.0}% of the leads); the {} beyond the peak are expected to take {} back.</p>",
                self.money(to_money(wh.peak)),
                counted(wh.peak_leads as u64, "lead"),
                100.0 * wh.peak_leads as f64 / n as f64,
                counted(n - wh.peak_leads as u64, "lead"),
                self.money(to_money(wh.peak) - self.totals.all.net)
            );
        }
        let _ = writeln!(
            s,
            "<svg class=\"whale\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Cumulative expected net value against the share of leads, best first\">"
        );
        push_axes(
            s,
            &f,
            &x,
            &y,
            "Share of leads, best first",
            &format!("Cumulative expected net ({cur})"),
        );
        s.push('\n');
        if !wh.points.is_empty() {
            let _ = write!(
                s,
                "<polyline fill=\"none\" stroke=\"{CURVE_COLOUR}\" stroke-width=\"2.5\" stroke-linejoin=\"round\" points=\""
            );
            for (i, &(share, v)) in wh.points.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                let _ = write!(s, "{:.1},{:.1}", f.x(&x, share), f.y(&y, to_money(v)));
            }
            s.push_str("\"/>\n");
            let px = f.x(&x, wh.peak_leads as f64 / n.max(1) as f64);
            let py = f.y(&y, to_money(wh.peak));
            let anchor = if px > f.left + f.width * 0.7 {
                "end"
            } else {
                "start"
            };
            let dx = if anchor == "end" { -8.0 } else { 8.0 };
            let _ = writeln!(
                s,
                "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"5\" fill=\"{CURVE_COLOUR}\"/><text class=\"mark\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">peak {}</text>",
                px + dx,
                py - 8.0,
                self.money(to_money(wh.peak))
            );
        }
        s.push_str("</svg>\n");
    }

    fn model(&self, s: &mut String) {
        let m = &self.info.model;
        let d = &m.decisions;
        s.push_str("<h2>Model</h2>\n<table class=\"model\"><tbody>\n");
        let row = |s: &mut String, label: &str, value: &str| {
            let _ = writeln!(s, "<tr><th>{label}</th><td>{value}</td></tr>");
        };
        row(
            s,
            "Version",
            &escape(m.version.as_deref().unwrap_or("(not in a registry)")),
        );
        row(s, "Model file", &escape(&m.file));
        row(s, "Trained at", &escape(&m.trained_at));
        row(s, "Trained on", &escape(&m.trained_on));
        row(s, "Customers learnt from", &count(m.customers as u64));
        row(s, "Net value, cross-validated MAE", &self.money(m.net_mae));
        row(
            s,
            "Net value, cross-validated R²",
            &match m.net_r2 {
                Some(r2) if r2.is_finite() => format!("{r2:.3}"),
                _ => "not measured".into(),
            },
        );
        row(
            s,
            "Contact at net of at least",
            &self.money(d.contact_at + 0.0),
        );
        row(s, "Skip below net of", &self.money(d.skip_below + 0.0));
        row(
            s,
            "Tiers A, B, C from net of",
            &format!(
                "{}, {}, {} {}",
                money(d.tier_a, self.decimals),
                money(d.tier_b, self.decimals),
                money(d.tier_c, self.decimals),
                escape(&m.currency)
            ),
        );
        s.push_str("</tbody></table>\n");
    }

    fn top_leads(&self, s: &mut String) {
        let cur = escape(&self.info.model.currency);
        let shown = self.top.len();
        let components = if self.components {
            " Return and burden, part by part: each economics term's share, in its units where it has them (hours, complaints), adding up to the return and the burden."
        } else {
            ""
        };
        let breakdown = if self.breakdown {
            " Part by part: the average past customer's net value, each attribute's part and the floors' at zero, adding up to the net."
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<section class=\"top\">\n<h2>{}</h2>\n<p class=\"note\">By expected net, highest first. Amounts in {cur}; reasons are the three biggest effects on the net value, in whole {cur}.{components}{breakdown}</p>",
            if shown as u64 == self.leads {
                format!(
                    "All {}{}",
                    counted(self.leads, "lead"),
                    if self.info.scope.is_some() {
                        " on this page"
                    } else {
                        ""
                    }
                )
            } else {
                format!("Top {shown} of {} leads", count(self.leads))
            }
        );
        let columns = 10 + usize::from(self.components) + usize::from(self.breakdown);
        s.push_str(
            "<table class=\"leads\">\n<thead><tr><th class=\"n\">#</th><th>Lead</th><th class=\"n\">Return</th><th class=\"n\">Burden</th><th class=\"n\">Net</th><th class=\"n\">Net likely between</th><th>Tier</th><th>Recommendation</th><th>Reasons</th><th>Warnings</th>",
        );
        if self.components {
            s.push_str("<th>Return and burden, part by part</th>");
        }
        if self.breakdown {
            s.push_str("<th>Net, part by part</th>");
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for (i, row) in self.top.iter().enumerate() {
            if row.input.is_empty() {
                let _ = writeln!(s, "<tr><td class=\"n\">{}</td>{}</tr>", i + 1, row.cells);
            } else {
                let _ = writeln!(
                    s,
                    "<tr class=\"has-input\"><td class=\"n\">{}</td>{}</tr>\n<tr class=\"input\"><td></td><td colspan=\"{}\">{}</td></tr>",
                    i + 1,
                    row.cells,
                    columns - 1,
                    row.input
                );
            }
        }
        if self.top.is_empty() {
            let _ = writeln!(s, "<tr><td colspan=\"{columns}\">No leads.</td></tr>");
        }
        s.push_str("</tbody></table>\n</section>\n");
    }
}

/// The breakdown's style, on a page that has one (the others' bytes stay as they were): a
/// small table of label and amount, the net under a line. Printed, a closed `<details>` shows
/// only its summary, as on screen.
const PARTS_STYLE: &str = "table.leads td.parts{font-size:12px;min-width:14em}
table.leads summary{cursor:pointer;color:#2b5797}
dl.parts{display:grid;grid-template-columns:auto auto;gap:1px 12px;margin:4px 0 0}
dl.parts dt{overflow-wrap:anywhere}
dl.parts dd{margin:0;text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
dl.parts .total{font-weight:650;border-top:1px solid #cbd2d9}
dl.parts .u{display:block;color:#616e7c;white-space:nowrap}
";

/// The page's style: readable on screen and on paper (colours kept when printed, rows not split
/// across pages, one column).
const STYLE: &str = "
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1220px;padding:24px 28px 40px;color:#1f2933;background:#fff;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'DejaVu Sans',sans-serif}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:17px;margin:22px 0 6px}
p{margin:4px 0}
.sub,.note,footer{color:#52606d}
.scope{font-size:16px;font-weight:600;margin:2px 0 6px;padding:6px 10px;border-left:4px solid #9c5700;background:#fff8e6}
.note{font-size:13px}
.cards{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:12px;margin:18px 0 4px}
.card{border:1px solid #d9e2ec;border-radius:8px;padding:10px 14px}
.card .label{font-size:12px;color:#52606d;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:19px;font-weight:650;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.card .note{font-size:12px}
.row{display:grid;grid-template-columns:760px minmax(0,1fr);gap:28px;align-items:start}
.pair{display:flex;flex-wrap:wrap;gap:10px 28px;align-items:flex-start}
.pair>section{flex:1 1 0;min-width:max-content;max-width:760px}
svg{display:block;max-width:100%;height:auto;font:12px system-ui,-apple-system,'Segoe UI',Roboto,Arial,'DejaVu Sans',sans-serif}
svg .grid line{stroke:#dde3ec;stroke-width:1;shape-rendering:crispEdges}
svg .zero{stroke:#7b8794;stroke-width:1}
svg .frame{fill:none;stroke:#9aa5b1;stroke-width:1;shape-rendering:crispEdges}
svg .ticks text{fill:#52606d}
svg .title{fill:#1f2933;font-size:13px}
svg .mark{fill:#1f2933;font-weight:600}
.legend{font-size:13px}
.key{display:inline-block;margin-right:14px;white-space:nowrap}
.key .dot{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:5px;vertical-align:-1px}
.key .line{display:inline-block;width:22px;border-top:3px dashed;margin-right:5px;vertical-align:3px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:13px}
th,td{padding:4px 6px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
thead th{font-size:12px;color:#52606d;font-weight:600;border-bottom:2px solid #cbd2d9}
.n{text-align:right;white-space:nowrap}
tr.total td{font-weight:650;border-top:2px solid #cbd2d9}
.neg{color:#b42318}
.none{color:#9aa5b1}
.tier{display:inline-block;min-width:1.7em;padding:0 4px;text-align:center;border-radius:4px;font-weight:700}
.bars{margin:4px 0 8px}
.bar-row{display:flex;align-items:center;gap:8px;margin:3px 0}
.bar-track{flex:1;height:14px;background:#edf1f6;border-radius:3px;overflow:hidden}
.bar{display:block;height:100%}
.bar-value{min-width:7.5em;text-align:right;font-variant-numeric:tabular-nums;font-size:13px}
table.model th{font-weight:400;color:#52606d;width:52%}
table.leads td.id{font-weight:600;min-width:6em;max-width:16em;overflow-wrap:anywhere}
table.leads tr.has-input td{border-bottom:none}
table.leads tr.input td{padding-top:0;font-size:12px}
table.leads .k,table.leads .sep{color:#7b8794}
table.leads td.text{font-size:12px;min-width:16em}
table.leads td.warn{color:#8d4a00;min-width:10em}
footer{margin-top:24px;font-size:12px;border-top:1px solid #e4e7eb;padding-top:8px}
@media (max-width:1100px){.row{grid-template-columns:minmax(0,1fr)}.cards{grid-template-columns:repeat(2,1fr)}}
@media print{
body{max-width:none;padding:0;font-size:11px}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.row{display:block}
tr.has-input{break-after:avoid}
.cards{grid-template-columns:repeat(3,1fr)}
.card,svg,tr,.bar-row,table.groups{break-inside:avoid}
h2{break-after:avoid}
}
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scorer::Scorer;
    use crate::model::Model;
    use crate::write::sample::{as_csv, model_info, scored, shipped, PASSED};
    use crate::write::xlsx::XlsxWriter;

    fn info(model: &Model) -> PageInfo {
        PageInfo {
            title: "Scored leads".into(),
            leads_file: "data/leads.csv".into(),
            generated_on: "2026-12-01".into(),
            model: model_info(model),
            scope: None,
        }
    }

    /// The page of `leads`, and its totals.
    fn page(model: &Model, leads: &[(ScoredLead, Vec<String>)]) -> (String, Totals) {
        let eq = Scorer::new(model).unwrap().equation().clone();
        let mut w = HtmlWriter::new(&eq, 2, info(model), &PASSED);
        for (lead, passed) in leads {
            let passed: Vec<Cow<str>> = passed.iter().map(|p| Cow::Borrowed(p.as_str())).collect();
            w.write(lead, &passed).unwrap();
        }
        let mut out = Vec::new();
        let totals = w.finish(&mut out).unwrap();
        (String::from_utf8(out).unwrap(), totals)
    }

    /// The text between `start` and the next `end` after it.
    fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
        let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
        let to = text[from..].find(end).unwrap() + from;
        &text[from..to]
    }

    /// The cells' text of each row of the table whose class is `class`, tags removed.
    fn rows(page: &str, class: &str) -> Vec<Vec<String>> {
        let body = between(
            between(page, &format!("<table class=\"{class}\">"), "</table>"),
            "<tbody>",
            "</tbody>",
        );
        body.split("<tr")
            .skip(1)
            .map(|row| {
                row.split("<td")
                    .skip(1)
                    .map(|cell| {
                        let cell = &cell[cell.find('>').unwrap() + 1..];
                        let cell = &cell[..cell.rfind("</td>").unwrap()];
                        let mut text = String::new();
                        let mut in_tag = false;
                        for c in cell.chars() {
                            match c {
                                '<' => in_tag = true,
                                '>' => in_tag = false,
                                c if !in_tag => text.push(c),
                                _ => {}
                            }
                        }
                        unescape(&text)
                    })
                    .collect()
            })
            .collect()
    }

    /// What [`escape`] wrote, read back.
    fn unescape(text: &str) -> String {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    /// `1234.50` (as the CSV writes it) → `1,234.50` (as the page does).
    fn grouped(field: &str) -> String {
        money(field.parse().unwrap(), 2)
    }

    #[test]
    fn totals_are_the_workbooks_to_the_cent_and_the_tables_show_them() {
        let model = shipped();
        let leads = scored(&model, 400);
        let (page, totals) = page(&model, &leads);
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let dir = tempfile::tempdir().unwrap();
        let mut x = XlsxWriter::create(
            &dir.path().join("l.xlsx"),
            &eq,
            2,
            model_info(&model),
            "lead_id",
            &PASSED,
            crate::write::Parts::default(),
        )
        .unwrap();
        for (lead, passed) in &leads {
            let passed: Vec<Cow<str>> = passed.iter().map(|p| Cow::Borrowed(p.as_str())).collect();
            x.write(lead, &passed).unwrap();
        }
        assert_eq!(totals, x.finish().unwrap());

        let groups = between(&page, "<h2>By tier</h2>", "<h2>Predicted");
        let tables: Vec<&str> = groups.split("<table class=\"groups\">").skip(1).collect();
        assert_eq!(tables.len(), 2);
        let shown = |t: &Tally| {
            vec![
                count(t.leads),
                money(t.lifetime_return, 2),
                money(t.service_burden, 2),
                money(t.net, 2),
            ]
        };
        let tier_rows = rows(&format!("<table class=\"groups\">{}", tables[0]), "groups");
        for (row, tier) in tier_rows.iter().zip(Tier::ALL) {
            assert_eq!(row[0], tier.as_str());
            assert_eq!(row[1..], shown(&totals.tier(tier))[..], "{tier:?}");
        }
        assert_eq!(tier_rows[4][1..], shown(&totals.all)[..]);
        let rec_rows = rows(&format!("<table class=\"groups\">{}", tables[1]), "groups");
        for (row, r) in rec_rows.iter().zip(Recommendation::ALL) {
            assert_eq!(row[0], r.as_str());
            assert_eq!(row[1..], shown(&totals.recommendation(r))[..], "{r:?}");
        }
        // The cards: the totals and what calling only the contact leads is worth.
        let contact = totals.recommendation(Recommendation::Contact);
        assert!(page.contains(&format!(
            "Expected net, EUR</div><div class=\"value\">{}</div>",
            money(totals.all.net, 2)
        )));
        assert!(page.contains(&format!(
            "leads, EUR</div><div class=\"value\">{}</div><div class=\"note\">expected net of {} leads",
            money(contact.net, 2),
            count(contact.leads)
        )));
        assert!(totals.all.leads == 400 && contact.leads > 0 && contact.leads < 400);
    }

    #[test]
    fn a_scope_is_shown_under_the_title_and_the_totals_are_this_pages() {
        let model = shipped();
        let leads = scored(&model, 3);
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let render = |scope: Option<&str>| {
            let mut info = info(&model);
            info.scope = scope.map(String::from);
            let mut w = HtmlWriter::new(&eq, 2, info, &PASSED);
            for (lead, passed) in &leads {
                let passed: Vec<Cow<str>> =
                    passed.iter().map(|p| Cow::Borrowed(p.as_str())).collect();
                w.write(lead, &passed).unwrap();
            }
            let mut out = Vec::new();
            w.finish(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let plain = render(None);
        let scoped = render(Some(
            "The top 3 of 212 leads in region <north> & tier B or better; 1,000 leads scored from data/leads.csv",
        ));
        // Without a scope: no scope line, and the totals are all leads'.
        assert!(!plain.contains("class=\"scope\""));
        assert!(plain.contains("<h1>Scored leads</h1>\n<p class=\"sub\">3 leads from"));
        for all in [
            "lifetime, all leads",
            "return less burden, all leads",
            " for all</div>",
            "calling every lead,",
            "<td>All leads</td>",
            "<h2>All 3 leads</h2>",
        ] {
            assert!(plain.contains(all), "{all}");
        }
        // With one: the scope, escaped, right under the title, and the totals are this page's.
        assert!(scoped.contains(
            "<h1>Scored leads</h1>\n<p class=\"scope\">The top 3 of 212 leads in region &lt;north&gt; &amp; tier B or better; 1,000 leads scored from data/leads.csv</p>\n<p class=\"sub\">3 leads on this page from"
        ));
        for these in [
            "lifetime, these leads",
            "cost to serve, these leads",
            "return less burden, these leads",
            " for all of these</div>",
            "calling every lead on this page,",
            "<td>All leads on this page</td>",
            "<h2>All 3 leads on this page</h2>",
        ] {
            assert!(scoped.contains(these), "{these}");
        }
        assert!(!scoped.to_lowercase().contains("all leads<"));
        assert!(!scoped.contains("all leads"));
        assert!(!scoped.contains("<north>"));
        // The figures are the same either way.
        let figures = |page: &str| rows(page, "groups");
        assert_eq!(figures(&plain).len(), figures(&scoped).len());
        for (a, b) in figures(&plain).iter().zip(figures(&scoped)) {
            assert_eq!(a[1..], b[1..]);
        }
    }

    #[test]
    fn the_top_leads_are_the_highest_nets_with_the_csvs_figures() {
        let model = shipped();
        let leads = scored(&model, 300);
        let (page, _) = page(&model, &leads);
        let csv = as_csv(&model, &leads);
        // The CSV's records ranked as the page ranks them: net, highest first, then input order.
        let mut ranked: Vec<&csv::StringRecord> = csv[1..].iter().collect();
        ranked.sort_by(|a, b| {
            let net = |r: &csv::StringRecord| (r[3].parse::<f64>().unwrap() * 100.0).round() as i64;
            net(b).cmp(&net(a))
        });
        let table = rows(&page, "leads");
        assert_eq!(
            table.len(),
            2 * TOP_LEADS,
            "a row and its input's line per lead"
        );
        for (i, (pair, rec)) in table.chunks(2).zip(&ranked).enumerate() {
            let (row, input) = (&pair[0], &pair[1]);
            assert_eq!(row[0], (i + 1).to_string());
            assert_eq!(row[1], &rec[0]);
            assert_eq!(
                input[1],
                format!("company: {} · region: {}", &rec[11], &rec[12])
            );
            assert_eq!(row[2], grouped(&rec[1]));
            assert_eq!(row[3], grouped(&rec[2]));
            assert_eq!(row[4], grouped(&rec[3]));
            assert_eq!(
                row[5],
                format!("{} to {}", grouped(&rec[4]), grouped(&rec[5]))
            );
            assert_eq!(row[6], &rec[7]);
            assert_eq!(row[7], &rec[8]);
            assert_eq!(row[8], &rec[9]);
            assert_eq!(row[9], &rec[10]);
        }
        assert!(page.contains("<h2>Top 50 of 300 leads</h2>"));
    }

    #[test]
    fn the_top_leads_do_not_depend_on_the_order_the_leads_came_in() {
        let model = shipped();
        let mut leads = scored(&model, 200);
        let (sorted_first, _) = page(&model, &leads);
        leads.reverse();
        let (reversed, _) = page(&model, &leads);
        // Equal nets keep the earlier lead first, so only ties could move; the shipped leads
        // have no ties at the cent among the top, and the chart's sample is fixed by id.
        assert_eq!(sorted_first, reversed);
    }

    #[test]
    fn text_from_the_data_is_shown_as_text_never_as_markup() {
        let model = shipped();
        let mut leads = scored(&model, 3);
        let ids = [
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(2)>",
            "a&b 'c' \u{0}\u{1b}\u{7f}\u{85}",
        ];
        for ((lead, passed), id) in leads.iter_mut().zip(ids) {
            lead.id = id.to_string();
            passed[0] = "</td></tr></table><script>alert(3)</script>".into();
        }
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let mut info = info(&model);
        info.title = "Leads <b>bold</b>".into();
        info.leads_file = "x\"><script>alert(4)</script>.csv".into();
        info.model.currency = "<i>EUR</i>".into();
        info.model.trained_on = "<svg onload=alert(5)>".into();
        let mut w = HtmlWriter::new(&eq, 2, info, &["<th>col</th>", "region"]);
        for (lead, passed) in &leads {
            let passed: Vec<Cow<str>> = passed.iter().map(|p| Cow::Borrowed(p.as_str())).collect();
            w.write(lead, &passed).unwrap();
        }
        let mut out = Vec::new();
        w.finish(&mut out).unwrap();
        let page = String::from_utf8(out).unwrap();

        for markup in [
            "<script",
            "<img",
            "<svg onload",
            "<b>bold",
            "<i>EUR",
            "<th>col",
        ] {
            assert!(!page.contains(markup), "{markup} in the page");
        }
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
        assert!(page.contains("a&amp;b &#39;c&#39; ␀␛␡\u{fffd}"));
        assert!(page.contains("<title>Leads &lt;b&gt;bold&lt;/b&gt;</title>"));
        assert!(page.contains("x&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;.csv"));
        assert!(page.contains("&lt;th&gt;col&lt;/th&gt;:</span> &lt;/td&gt;&lt;/tr&gt;"));
        // Every tag on the page is one the page itself writes.
        let tags: std::collections::BTreeSet<&str> = page
            .split('<')
            .skip(1)
            .map(|t| {
                t.split([' ', '>', '\n'])
                    .next()
                    .unwrap()
                    .trim_start_matches('/')
            })
            .collect();
        let ours = [
            "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2",
            "p", "b", "i", "section", "div", "span", "svg", "rect", "g", "line", "text", "circle",
            "polyline", "table", "thead", "tbody", "tr", "th", "td", "footer",
        ];
        for t in &tags {
            assert!(ours.contains(t), "unexpected tag <{t}>");
        }
        assert_eq!(page.matches("<script").count(), 0);
    }

    #[test]
    fn the_page_is_one_self_contained_document_with_the_same_bytes_every_time() {
        let model = shipped();
        let leads = scored(&model, 120);
        let (a, _) = page(&model, &leads);
        let (b, _) = page(&model, &leads);
        assert_eq!(a, b);
        assert!(
            a.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")
        );
        assert!(a.ends_with("</body>\n</html>\n"));
        // Nothing is fetched: no links, scripts, images, fonts or URLs other than the SVG
        // namespace (a name, never loaded).
        for outside in [
            "<script", "<link", "<img", "@import", "url(", "src=", "href=", "https:",
        ] {
            assert!(!a.contains(outside), "{outside}");
        }
        assert_eq!(
            a.matches("http://").count(),
            a.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        );
        assert!(a.contains("2026-12-01"));
        assert_eq!(
            a.matches("<circle").count(),
            120 + 1,
            "every lead and the peak"
        );
        assert!(a.contains("All 120 leads are drawn."));
    }

    /// A lead with the given money and tier, for the sampling tests.
    fn synthetic(i: usize, tier: Tier) -> ScoredLead {
        let r = (i % 997) as f64 * 10.0;
        let b = (i % 389) as f64 * 7.0;
        ScoredLead {
            id: format!("S{i:06}"),
            money: crate::economics::Printed::new(r, b, 2),
            tier,
            ..ScoredLead::default()
        }
    }

    #[test]
    fn many_leads_draw_a_bounded_sample_keeping_every_tier_a_lead() {
        let model = shipped();
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let n = 20_000;
        let tier = |i: usize| match i % 10 {
            0 => Tier::A,
            1..=3 => Tier::B,
            4..=6 => Tier::C,
            _ => Tier::D,
        };
        let render = |order: &mut dyn Iterator<Item = usize>| {
            let mut w = HtmlWriter::new(&eq, 2, info(&model), &[] as &[&str]);
            for i in order {
                w.write(&synthetic(i, tier(i)), &[]).unwrap();
            }
            let mut out = Vec::new();
            w.finish(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let page = render(&mut (0..n));
        let scatter = between(&page, "<svg class=\"scatter\"", "</svg>");
        assert_eq!(scatter.matches("<circle").count(), MAX_DOTS);
        let a = between(scatter, &format!("<g fill=\"{}\"", TIER_COLOURS[0]), "</g>");
        assert_eq!(a.matches("<circle").count(), n / 10, "every tier A lead");
        assert!(page.contains(
            "5,000 of 20,000 leads are drawn: all 2,000 in tier A and 3,000 of the 18,000 in tiers B to D, a sample fixed by the lead ids"
        ));
        // The sample is fixed by the ids: the same leads in another order draw the same dots.
        let backwards = render(&mut (0..n).rev());
        let dots = |p: &str| {
            let mut d: Vec<String> = between(p, "<svg class=\"scatter\"", "</svg>")
                .split("<circle")
                .skip(1)
                .map(String::from)
                .collect();
            d.sort();
            d
        };
        assert_eq!(dots(&page), dots(&backwards));
        // The whale curve is cut to its bound and still ends at the total.
        let whale = between(&page, "<polyline", "/>");
        assert_eq!(whale.matches(',').count(), WHALE_POINTS);
    }

    #[test]
    fn tier_a_keeps_its_dots_unless_the_other_tiers_would_lose_their_quarter() {
        let split = |a, o| {
            let d = Drawn::split(a, o);
            (d.tier_a.0, d.others.0)
        };
        assert_eq!(split(300, 700), (300, 700));
        assert_eq!(split(2_000, 18_000), (2_000, 3_000));
        assert_eq!(split(3_750, 96_250), (3_750, 1_250));
        assert_eq!(split(25_718, 74_282), (3_750, 1_250));
        assert_eq!(split(25_718, 600), (4_400, 600));
        assert_eq!(split(9_000, 0), (5_000, 0));
        assert_eq!(split(0, 9_000), (0, 5_000));
        // More tier A leads than fit: the chart still shows every tier, and says what it drew.
        let model = shipped();
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let mut w = HtmlWriter::new(&eq, 2, info(&model), &[] as &[&str]);
        for i in 0..12_000 {
            let tier = [Tier::A, Tier::A, Tier::B, Tier::D][i % 4];
            w.write(&synthetic(i, tier), &[]).unwrap();
        }
        let mut out = Vec::new();
        w.finish(&mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        let scatter = between(&page, "<svg class=\"scatter\"", "</svg>");
        let drawn = |t: Tier| {
            between(
                scatter,
                &format!("<g fill=\"{}\"", TIER_COLOURS[t as usize]),
                "</g>",
            )
            .matches("<circle")
            .count()
        };
        assert_eq!(drawn(Tier::A), 3_750);
        assert_eq!(drawn(Tier::B) + drawn(Tier::D), 1_250);
        assert!(drawn(Tier::B) > 500 && drawn(Tier::D) > 500);
        assert!(page.contains(
            "5,000 of 12,000 leads are drawn: 3,750 of the 6,000 in tier A and 1,250 of the 6,000 in tiers B to D, each a sample fixed by the lead ids"
        ), "{}", between(&page, "<p class=\"note\">Each dot", "</p>"));
    }

    #[test]
    fn the_whale_curve_runs_from_zero_through_the_peak_to_the_total() {
        let w = Whale::of(vec![-300, 500, 100, -50, 0]);
        assert_eq!(
            w.points,
            vec![
                (0.0, 0),
                (0.2, 500),
                (0.4, 600),
                (0.6, 600),
                (0.8, 550),
                (1.0, 250)
            ]
        );
        assert_eq!((w.peak_leads, w.peak, w.lowest), (2, 600, 0));
        let none = Whale::of(Vec::new());
        assert_eq!(none.points, vec![(0.0, 0)]);
        let losing = Whale::of(vec![-5, -10]);
        assert_eq!((losing.peak_leads, losing.peak, losing.lowest), (0, 0, -15));
        let many = Whale::of((0..10_000).map(|i| 5_000 - i).collect());
        assert_eq!(many.points.len(), WHALE_POINTS);
        assert_eq!(
            many.points.last().unwrap().1,
            (0..10_000).map(|i| 5_000 - i).sum::<i128>()
        );
        assert!(many.points.iter().any(|p| p.1 == many.peak));
    }

    #[test]
    fn an_empty_lead_list_makes_a_whole_page_with_zero_totals() {
        let model = shipped();
        let (page, totals) = page(&model, &[]);
        assert_eq!(totals, Totals::default());
        assert!(page.contains("<h1>Scored leads</h1>"));
        assert!(page.contains("No leads."));
        assert!(page.contains("All 0 leads are drawn."));
        assert!(page.ends_with("</html>\n"));
    }

    #[test]
    fn a_lead_with_the_wrong_number_of_input_fields_is_refused() {
        let model = shipped();
        let leads = scored(&model, 1);
        let eq = Scorer::new(&model).unwrap().equation().clone();
        let mut w = HtmlWriter::new(&eq, 2, info(&model), &PASSED);
        let err = w.write(&leads[0].0, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "lead L000001 carries 0 input fields, the header 2"
        );
    }

    #[test]
    fn axes_take_round_steps_around_the_data_and_zero() {
        let a = Axis::around(120.0, 48_700.0);
        assert_eq!(
            (a.lo, a.hi, a.step, a.decimals),
            (0.0, 50_000.0, 10_000.0, 0)
        );
        let b = Axis::around(-2_300.0, 7_900.0);
        assert_eq!((b.lo, b.hi, b.step), (-2_500.0, 10_000.0, 2_500.0));
        assert_eq!(b.label(-2_500.0), "-2,500");
        let c = Axis::around(0.0, 0.6);
        assert_eq!((c.step, c.decimals), (0.2, 1));
        let d = Axis::around(0.0, 0.0);
        assert_eq!((d.lo, d.hi), (0.0, 1.0));
        let e = Axis::around(0.0, 1.2);
        assert_eq!((e.step, e.decimals), (0.25, 2));
        assert_eq!(e.ticks().count(), 6);
    }
}
