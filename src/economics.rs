//! The money arithmetic, all in one place: how a customer's ledger columns become lifetime return
//! and service burden, how a predicted net value becomes a tier and a recommendation, and how
//! money is written for people.
//!
//! Both sides are sums of terms, each `column × rate [× times-column]`, so any ledger can be
//! described without code: revenue minus cost of goods, or revenue × a margin-percentage column;
//! support hours × a loaded hourly rate, or tickets × a cost per ticket; a fixed onboarding cost
//! per customer (a term with no column).

use serde::{Deserialize, Serialize};

/// One money term: `column × rate`, optionally `× times`, or just `rate` with no column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub rate: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<String>,
    /// Columns are amounts and counts, so negatives are input errors unless a term says otherwise
    /// (a column of credits or adjustments, say).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_negative: bool,
}

/// Lifetime return and service burden as sums of terms, in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Economics {
    pub currency: String,
    pub lifetime_return: Vec<Term>,
    pub service_burden: Vec<Term>,
}

/// The two money targets of one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub lifetime_return: f64,
    pub service_burden: f64,
}

impl Outcome {
    pub fn net(&self) -> f64 {
        self.lifetime_return - self.service_burden
    }
}

impl Economics {
    /// Every ledger column the formula reads, each once, in order of first use.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let terms = self.lifetime_return.iter().chain(&self.service_burden);
        for name in terms.flat_map(|t| t.column.iter().chain(t.times.iter())) {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        out
    }

    /// Whether a column may hold negative values: only if every term that reads it allows it.
    pub fn allows_negative(&self, column: &str) -> bool {
        self.lifetime_return
            .iter()
            .chain(&self.service_burden)
            .filter(|t| t.column.as_deref() == Some(column) || t.times.as_deref() == Some(column))
            .all(|t| t.allow_negative)
    }

    /// True when no customer's return can be below zero: every return term adds a non-negative
    /// amount. Then a negative prediction is the linear model's artefact and is shown as zero.
    pub fn return_never_negative(&self) -> bool {
        self.lifetime_return
            .iter()
            .all(|t| t.rate >= 0.0 && !t.allow_negative)
    }

    /// Binds the terms to positions in a row of ledger values ordered as `columns()`.
    pub fn bind(&self) -> BoundEconomics {
        let columns = self.columns();
        let index = |name: &Option<String>| {
            name.as_ref()
                .map(|n| columns.iter().position(|c| c == n).expect("from columns()"))
        };
        let bind = |terms: &[Term]| {
            terms
                .iter()
                .map(|t| BoundTerm {
                    column: index(&t.column),
                    times: index(&t.times),
                    rate: t.rate,
                })
                .collect()
        };
        BoundEconomics {
            lifetime_return: bind(&self.lifetime_return),
            service_burden: bind(&self.service_burden),
            names: self
                .lifetime_return
                .iter()
                .chain(&self.service_burden)
                .map(|t| t.name.clone())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct BoundTerm {
    column: Option<usize>,
    times: Option<usize>,
    rate: f64,
}

impl BoundTerm {
    fn value(&self, ledger: &[f64]) -> f64 {
        let base = self.column.map_or(1.0, |i| ledger[i]);
        let times = self.times.map_or(1.0, |i| ledger[i]);
        base * self.rate * times
    }
}

/// Economics ready to evaluate rows of ledger values.
#[derive(Debug, Clone)]
pub struct BoundEconomics {
    lifetime_return: Vec<BoundTerm>,
    service_burden: Vec<BoundTerm>,
    /// The terms' names, return terms first.
    names: Vec<String>,
}

/// A term whose value is not a finite number for some row: a rate times an amount overflowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Overflow {
    pub term: String,
    /// The ledger position of the amount it multiplies (its `column`, else its `times`).
    pub column: Option<usize>,
    pub rate: f64,
}

impl BoundEconomics {
    /// The first term whose value for `ledger` is not a finite number, if one is.
    pub fn overflow(&self, ledger: &[f64]) -> Option<Overflow> {
        self.lifetime_return
            .iter()
            .chain(&self.service_burden)
            .zip(&self.names)
            .find(|(t, _)| !t.value(ledger).is_finite())
            .map(|(t, name)| Overflow {
                term: name.clone(),
                column: t.column.or(t.times),
                rate: t.rate,
            })
    }

    /// Every term's value for `ledger`, return terms first, in the config's order, appended to
    /// `out`: what each component of return and burden is fitted on.
    pub fn push_terms(&self, ledger: &[f64], out: &mut Vec<f64>) {
        out.extend(
            self.lifetime_return
                .iter()
                .chain(&self.service_burden)
                .map(|t| t.value(ledger)),
        );
    }

    /// How many terms [`BoundEconomics::push_terms`] writes per row.
    pub fn n_terms(&self) -> usize {
        self.names.len()
    }

    pub fn outcome(&self, ledger: &[f64]) -> Outcome {
        Outcome {
            lifetime_return: self.lifetime_return.iter().map(|t| t.value(ledger)).sum(),
            service_burden: self.service_burden.iter().map(|t| t.value(ledger)).sum(),
        }
    }
}

/// The A–D grade of a lead's expected net value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Tier {
    A,
    B,
    C,
    #[default]
    D,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::A, Tier::B, Tier::C, Tier::D];
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::A => "A",
            Tier::B => "B",
            Tier::C => "C",
            Tier::D => "D",
        }
    }
}

/// What a seller should do with a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Recommendation {
    Contact,
    Qualify,
    #[default]
    Skip,
}

impl Recommendation {
    pub const ALL: [Recommendation; 3] = [
        Recommendation::Contact,
        Recommendation::Qualify,
        Recommendation::Skip,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Contact => "contact",
            Recommendation::Qualify => "qualify",
            Recommendation::Skip => "skip",
        }
    }
}

/// Thresholds on expected net value, in money. Each is "at or above".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decisions {
    /// Contact leads expected to earn at least this much net.
    pub contact_at: f64,
    /// Skip leads expected to earn less than this; in between, qualify first.
    pub skip_below: f64,
    pub tier_a: f64,
    pub tier_b: f64,
    pub tier_c: f64,
}

/// Thresholds the config may leave out; training fills them from the history.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DecisionOverrides {
    pub contact_at: Option<f64>,
    pub skip_below: Option<f64>,
    pub tier_a: Option<f64>,
    pub tier_b: Option<f64>,
    pub tier_c: Option<f64>,
}

impl Decisions {
    /// Defaults from what past customers were predicted to earn, in whole currency units:
    /// tier A is the top quarter of past customers, B above the median, C still profitable and
    /// D losing money; contact a lead that looks at least as good as the median customer, skip one
    /// expected to lose money, qualify the rest first. Values set in the config win, and the
    /// defaults around them give way so the order always holds (A ≥ B ≥ C, contact ≥ skip): with
    /// only `tier_a = 1000` set, B's default is capped at 1,000 rather than left above A. When
    /// most past customers lose money (a median below zero), C and skip stay at zero and the
    /// median-based defaults rise to it, so no lead expected to lose money is sent to `contact`.
    pub fn resolve(overrides: DecisionOverrides, predicted_net: &[f64]) -> Decisions {
        let mut finite: Vec<f64> = predicted_net
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        // Two quantiles of a million values: selection, not a sort (the same values).
        let mut q = |p: f64| {
            crate::stats::quantile_select(&mut finite, p)
                .unwrap_or(0.0)
                .round()
        };
        let (upper_quartile, median) = (q(0.75), q(0.5));
        let [tier_a, tier_b, tier_c] = ordered(
            [overrides.tier_a, overrides.tier_b, overrides.tier_c],
            [upper_quartile, median, 0.0],
        );
        let [contact_at, skip_below] =
            ordered([overrides.contact_at, overrides.skip_below], [median, 0.0]);
        Decisions {
            contact_at,
            skip_below,
            tier_a,
            tier_b,
            tier_c,
        }
    }

    pub fn tier(&self, net: f64) -> Tier {
        if net >= self.tier_a {
            Tier::A
        } else if net >= self.tier_b {
            Tier::B
        } else if net >= self.tier_c {
            Tier::C
        } else {
            Tier::D
        }
    }

    pub fn recommend(&self, net: f64) -> Recommendation {
        if net >= self.contact_at {
            Recommendation::Contact
        } else if net < self.skip_below {
            Recommendation::Skip
        } else {
            Recommendation::Qualify
        }
    }
}

/// What to do with one lead, decided on its net value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub tier: Tier,
    pub recommendation: Recommendation,
    /// `contact` became `qualify` because most of the lead's features were guessed.
    pub too_little_known: bool,
}

impl Decisions {
    /// The tier and recommendation of a lead whose net value as written is `net`. A lead the
    /// model knows too little about (more than half of its `features` guessed: missing or never
    /// seen) is not sent to `contact` on guesses: it becomes `qualify`. `score`, `explain` and
    /// `evaluate` all decide through this one rule.
    pub fn decide(&self, net: f64, guessed: usize, features: usize) -> Decision {
        let mut recommendation = self.recommend(net);
        let too_little_known = recommendation == Recommendation::Contact && guessed * 2 > features;
        if too_little_known {
            recommendation = Recommendation::Qualify;
        }
        Decision {
            tier: self.tier(net),
            recommendation,
            too_little_known,
        }
    }
}

/// Money as it will be printed: rounded to `decimals` places.
pub fn round_to(value: f64, decimals: usize) -> f64 {
    let scale = 10f64.powi(decimals.min(15) as i32);
    let scaled = (value * scale).round();
    if scaled.abs() < 9.0e15 {
        scaled / scale
    } else {
        value
    }
}

/// A lead's money as the user sees it. Return and burden are rounded to the printed precision
/// first and the net value is their difference, so the printed columns add up to the cent and
/// tiers, recommendations, sorting and totals all use the figures shown.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Printed {
    pub lifetime_return: f64,
    pub service_burden: f64,
    pub net: f64,
}

impl Printed {
    pub fn new(lifetime_return: f64, service_burden: f64, decimals: usize) -> Printed {
        let r = round_to(lifetime_return, decimals);
        let b = round_to(service_burden, decimals);
        Printed {
            lifetime_return: r,
            service_burden: b,
            // Rounding again removes the binary noise of the subtraction (0.1 - 0.2 style).
            net: round_to(r - b, decimals),
        }
    }

    /// Return per unit of burden; `None` when there is no burden.
    pub fn ratio(&self) -> Option<f64> {
        (self.service_burden > 0.0).then(|| self.lifetime_return / self.service_burden)
    }
}

/// Rounds `parts` to `decimals` places so that they sum exactly to `total` rounded the same way
/// (largest remainders get the spare units): a printed breakdown then adds up to the printed
/// total, not merely to within a few cents. `parts` must sum to `total` up to rounding noise.
pub fn apportion(parts: &[f64], total: f64, decimals: usize) -> Vec<f64> {
    let scale = 10f64.powi(decimals.min(15) as i32);
    let floors: Vec<f64> = parts.iter().map(|p| (p * scale).floor()).collect();
    let target = (total * scale).round();
    let mut spare = (target - floors.iter().sum::<f64>()).round() as i64;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = parts[a] * scale - floors[a];
        let rb = parts[b] * scale - floors[b];
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let mut units = floors;
    let n = order.len().max(1) as i64;
    // Normally 0 <= spare <= n; loop in case rounding noise pushes it past either end.
    let mut i = 0;
    while spare != 0 && !order.is_empty() {
        let k = order[(i % n) as usize];
        if spare > 0 {
            units[k] += 1.0;
            spare -= 1;
        } else {
            let k = order[order.len() - 1 - (i % n) as usize];
            units[k] -= 1.0;
            spare += 1;
        }
        i += 1;
    }
    units.into_iter().map(|u| u / scale).collect()
}

/// One side of a breakdown as written: the baseline (the same for every lead) rounded on its
/// own, then the parts apportioned to the rest of the written `total`, so the row adds up to it
/// exactly where each part rounded alone could be a cent off. `explain`'s table and `score
/// --breakdown` both write a lead this way, so they agree to the cent.
pub fn written_breakdown(baseline: f64, parts: &[f64], total: f64, decimals: usize) -> Vec<f64> {
    let base = round_to(baseline, decimals);
    let mut values = Vec::with_capacity(parts.len() + 1);
    values.push(base);
    values.extend(apportion(parts, total - base, decimals));
    values
}

/// Writes `value` with `decimals` decimals and no grouping into `buf` (cleared first), never as
/// "-0.00": [`fixed`] into a string.
pub fn write_fixed(buf: &mut String, value: f64, decimals: usize) {
    buf.clear();
    buf.push_str(fixed(value, decimals).as_str());
}

/// `value` with `decimals` decimals and no grouping, never as "-0.00", as text a writer copies
/// where it belongs (a CSV row takes six of them) without a string of its own. Goes through
/// integers: `{:.2}` formatting falls back to bignum arithmetic for most values and was the
/// single biggest cost of scoring.
pub fn fixed(value: f64, decimals: usize) -> Fixed {
    match fixed_digits(value, decimals) {
        Some(digits) => Fixed::Digits(digits),
        None => Fixed::Text(fixed_text(value, decimals)),
    }
}

/// [`fixed`] appended to `out`: the digits go from the stack straight to where they belong,
/// where a [`Fixed`] is built, moved to its caller and copied again. A scored CSV row writes
/// six of them.
pub fn push_fixed(out: &mut Vec<u8>, value: f64, decimals: usize) {
    match fixed_digits(value, decimals) {
        Some(digits) => out.extend_from_slice(digits.as_str().as_bytes()),
        None => out.extend_from_slice(fixed_text(value, decimals).as_bytes()),
    }
}

/// [`fixed`]'s fast path: `None` past it (huge, not finite, or more than 9 decimals).
#[inline]
fn fixed_digits(value: f64, decimals: usize) -> Option<Digits> {
    let (negative, n) = POW10
        .get(decimals)
        .and_then(|scale| round_half_away(value * scale))?;
    let mut digits = Digits::new();
    digits.scaled(n, decimals, false);
    if negative {
        digits.push_front(b'-');
    }
    Some(digits)
}

/// [`fixed`]'s slow path, by `std`'s formatting.
fn fixed_text(value: f64, decimals: usize) -> String {
    let mut text = format!("{value:.decimals$}");
    if text.starts_with('-') && text.bytes().all(|b| matches!(b, b'-' | b'0' | b'.')) {
        text.remove(0);
    }
    text
}

/// A number written by [`fixed`]: on the stack, or (past the fast path: huge, not finite, or
/// more than 9 decimals) formatted by `std`.
pub enum Fixed {
    Digits(Digits),
    Text(String),
}

impl Fixed {
    pub fn as_str(&self) -> &str {
        match self {
            Fixed::Digits(d) => d.as_str(),
            Fixed::Text(t) => t,
        }
    }
}

/// 10^0 ..= 10^9, each exact: the scales of the fast paths (more decimals take the slow one).
const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// `00`, `01`, ..., `99`, back to back.
const PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// Integers up to here are written from a `u64`; larger or non-finite values take `format!`.
const FAST_BELOW: u64 = 9_000_000_000_000_000;

/// `x` rounded half away from zero, exactly as `f64::round`, as (negative, magnitude); `None`
/// when it is not finite or the magnitude reaches [`FAST_BELOW`]. `f64::round` is a libm call on
/// the baseline x86-64 target; this is a truncating cast and one exact subtraction (for
/// `1 <= t < 2^53`, `t - trunc(t)` is exact by Sterbenz's lemma; below 1 it is `t` itself).
/// "Negative" is false for a value that rounds to zero, so nothing is written as `-0`.
fn round_half_away(x: f64) -> Option<(bool, u64)> {
    let t = x.abs();
    if t.is_nan() || t >= FAST_BELOW as f64 {
        return None;
    }
    let whole = t as u64;
    let n = whole + u64::from(t - whole as f64 >= 0.5);
    (n < FAST_BELOW).then_some((x < 0.0 && n > 0, n))
}

/// A number's text built right to left in a buffer on the stack, then appended in one copy: a
/// scored row writes about a dozen numbers, and appending each piece (sign, digits, point,
/// fraction, each group of three) on its own was a tenth of scoring's instructions.
pub struct Digits {
    buf: [u8; Digits::CAPACITY],
    start: usize,
}

impl Digits {
    /// Room for the longest: a sign, the 19 digits below [`FAST_BELOW`], 6 group separators
    /// and a point.
    const CAPACITY: usize = 40;

    fn new() -> Digits {
        Digits {
            buf: [0; Digits::CAPACITY],
            start: Digits::CAPACITY,
        }
    }

    fn push_front(&mut self, b: u8) {
        debug_assert!(self.start >= 1);
        self.start -= 1;
        // SAFETY: at most `CAPACITY` bytes are ever written (its doc counts the longest text,
        // 27 bytes), so `start` never wraps and stays inside `buf`. Checked indexing here and in
        // `two` cost a compare and a branch per byte written, a tenth of writing a number.
        unsafe { *self.buf.get_unchecked_mut(self.start) = b };
    }

    /// `n / 10^decimals` with exactly `decimals` decimals (at most 9) and at least one whole
    /// digit, the whole digits grouped by thousands when `grouped`. Two digits at a time, from
    /// a table, as `itoa` does.
    fn scaled(&mut self, n: u64, decimals: usize, grouped: bool) {
        // The decimals money and reasons use are split off by constants, which the compiler
        // turns into a multiplication: dividing by a unit known only at run time is a hardware
        // division, a fifth of this function's time when scoring. Exact: every power of ten
        // up to 10^9 is an integer an `f64` holds.
        let (mut whole, mut frac) = match decimals {
            0 => (n, 0),
            1 => (n / 10, n % 10),
            2 => (n / 100, n % 100),
            4 => (n / 10_000, n % 10_000),
            _ => {
                let unit = POW10[decimals] as u64;
                (n / unit, n % unit)
            }
        };
        for _ in 0..decimals / 2 {
            self.two((frac % 100) as usize);
            frac /= 100;
        }
        if decimals % 2 == 1 {
            self.push_front(b'0' + frac as u8);
        }
        if decimals > 0 {
            self.push_front(b'.');
        }
        if grouped {
            while whole >= 1000 {
                let group = (whole % 1000) as usize;
                whole /= 1000;
                self.two(group % 100);
                self.push_front(b'0' + (group / 100) as u8);
                self.push_front(b',');
            }
        }
        while whole >= 100 {
            self.two((whole % 100) as usize);
            whole /= 100;
        }
        if whole >= 10 {
            self.two(whole as usize);
        } else {
            self.push_front(b'0' + whole as u8);
        }
    }

    /// Two digits, `00` to `99`.
    fn two(&mut self, d: usize) {
        debug_assert!(self.start >= 2 && d < 100);
        self.start -= 2;
        // SAFETY: `start` stays inside `buf` (see `push_front`), and `d < 100` (every caller
        // passes a remainder of division by 100, or a number below 100) keeps `2 * d + 1` inside
        // `PAIRS`.
        unsafe {
            std::ptr::copy_nonoverlapping(
                PAIRS.as_ptr().add(2 * d),
                self.buf.as_mut_ptr().add(self.start),
                2,
            )
        };
    }

    fn as_str(&self) -> &str {
        debug_assert!(self.buf[self.start..].is_ascii());
        // SAFETY: only ASCII digits, signs, points and commas are ever written, from `start` on.
        // Checking that took as many instructions as writing the digits.
        unsafe { std::str::from_utf8_unchecked(&self.buf[self.start..]) }
    }
}

/// Thresholds from highest to lowest: the given ones as set (the config checks their order), and
/// each missing one its default, raised if need be to the threshold beneath it and capped at the
/// given ones above it. Worked from the bottom up, a default taken from the data gives way to the
/// fixed ones below it: when most past customers lose money and the median prediction is −4,003,
/// "skip below 0" and "tier C from 0" hold, and the median-based defaults rise to 0 rather than
/// drag them below zero (which would send expected losses to `contact`).
fn ordered<const N: usize>(given: [Option<f64>; N], defaults: [f64; N]) -> [f64; N] {
    let mut out = [0.0; N];
    for i in (0..N).rev() {
        out[i] = match given[i] {
            Some(v) => v,
            None => {
                let below = if i + 1 < N {
                    out[i + 1]
                } else {
                    f64::NEG_INFINITY
                };
                let above = given[..i]
                    .iter()
                    .flatten()
                    .fold(f64::INFINITY, |a, &b| a.min(b));
                defaults[i].max(below).min(above)
            }
        };
    }
    out
}

/// `1234567.891` → `1,234,567.89` with `decimals` = 2.
pub fn money(value: f64, decimals: usize) -> String {
    let mut s = String::new();
    write_fixed(&mut s, value, decimals);
    let negative = s.starts_with('-');
    let digits = s.trim_start_matches('-');
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    if negative {
        out.push('-');
    }
    group_thousands(int, &mut out);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A contribution in whole units with its sign, appended to `out`: `+4,210`, `-2,950`, `+0`.
pub fn push_signed_whole(out: &mut String, value: f64) {
    match round_half_away(value) {
        Some((negative, n)) => {
            let mut digits = Digits::new();
            digits.scaled(n, 0, true);
            digits.push_front(if negative { b'-' } else { b'+' });
            out.push_str(digits.as_str());
        }
        None => {
            let rounded = value.round();
            out.push(if rounded < 0.0 { '-' } else { '+' });
            group_thousands(&format!("{:.0}", rounded.abs()), out);
        }
    }
}

/// Appends a number as a person would write it: thousands grouped, no trailing zeros, at most 2
/// decimals (4 below 1, where 2 could hide it). Used per lead in reasons, so it does not allocate.
pub fn push_plain(out: &mut String, v: f64) {
    push_number(out, v, true);
}

/// [`push_plain`], with thousands grouped or not: a year (1977) or a code (90210) is written
/// with its digits alone.
pub fn push_number(out: &mut String, v: f64, grouped: bool) {
    let decimals = if v.abs() >= 1.0 { 2 } else { 4 };
    let Some((negative, mut n)) = round_half_away(v * POW10[decimals]) else {
        out.push_str(&format!("{v}"));
        return;
    };
    // Trailing zeros of the fraction are dropped: 12.50 → 12.5, 3.00 → 3.
    let mut digits = decimals;
    while digits > 0 && n % 10 == 0 {
        n /= 10;
        digits -= 1;
    }
    let mut text = Digits::new();
    text.scaled(n, digits, grouped);
    if negative {
        text.push_front(b'-');
    }
    out.push_str(text.as_str());
}

/// [`push_signed_whole`] into a new string.
pub fn signed_whole(value: f64) -> String {
    let mut out = String::new();
    push_signed_whole(&mut out, value);
    out
}

fn group_thousands(digits: &str, out: &mut String) {
    let n = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(name: &str, column: Option<&str>, rate: f64, times: Option<&str>) -> Term {
        Term {
            name: name.into(),
            column: column.map(Into::into),
            rate,
            times: times.map(Into::into),
            allow_negative: false,
        }
    }

    fn sample() -> Economics {
        Economics {
            currency: "EUR".into(),
            lifetime_return: vec![
                term("revenue", Some("revenue"), 1.0, None),
                term("cost of goods", Some("cogs"), -1.0, None),
                term("commissions", Some("commissions"), -1.0, None),
                term("word of mouth", Some("referred"), 0.25, None),
            ],
            service_burden: vec![
                term("sales effort", Some("sales_hours"), 85.0, None),
                term("support", Some("support_hours"), 55.0, None),
                term("complaints", Some("complaints"), 150.0, None),
                term("unpaid invoices", Some("written_off"), 1.0, None),
                term("onboarding", None, 200.0, None),
            ],
        }
    }

    #[test]
    fn return_and_burden_follow_the_ledger() {
        let econ = sample();
        assert_eq!(
            econ.columns(),
            [
                "revenue",
                "cogs",
                "commissions",
                "referred",
                "sales_hours",
                "support_hours",
                "complaints",
                "written_off"
            ]
        );
        let o = econ
            .bind()
            .outcome(&[10_000.0, 6_000.0, 500.0, 2_000.0, 10.0, 4.0, 2.0, 300.0]);
        assert_eq!(o.lifetime_return, 10_000.0 - 6_000.0 - 500.0 + 500.0);
        assert_eq!(o.service_burden, 850.0 + 220.0 + 300.0 + 300.0 + 200.0);
        assert_eq!(o.net(), 4_000.0 - 1_870.0);
    }

    #[test]
    fn a_margin_percentage_column_multiplies_revenue() {
        let econ = Economics {
            currency: "USD".into(),
            lifetime_return: vec![term("margin", Some("revenue"), 0.01, Some("margin_pct"))],
            service_burden: vec![term("tickets", Some("tickets"), 40.0, None)],
        };
        let o = econ.bind().outcome(&[20_000.0, 30.0, 5.0]);
        assert!((o.lifetime_return - 6_000.0).abs() < 1e-9);
        assert_eq!(o.service_burden, 200.0);
    }

    #[test]
    fn tiers_and_recommendations_use_at_or_above() {
        let d = Decisions {
            contact_at: 1000.0,
            skip_below: 0.0,
            tier_a: 5000.0,
            tier_b: 1000.0,
            tier_c: 0.0,
        };
        assert_eq!(d.tier(5000.0), Tier::A);
        assert_eq!(d.tier(4999.0), Tier::B);
        assert_eq!(d.tier(0.0), Tier::C);
        assert_eq!(d.tier(-0.01), Tier::D);
        assert_eq!(d.recommend(1000.0), Recommendation::Contact);
        assert_eq!(d.recommend(999.0), Recommendation::Qualify);
        assert_eq!(d.recommend(-1.0), Recommendation::Skip);
    }

    #[test]
    fn default_thresholds_come_from_the_history_and_config_wins() {
        let nets: Vec<f64> = (-25..75).map(|v| v as f64 * 100.0).collect();
        let d = Decisions::resolve(DecisionOverrides::default(), &nets);
        assert_eq!(d.tier_c, 0.0);
        assert_eq!(d.skip_below, 0.0);
        assert!(d.tier_b > 0.0 && d.tier_a > d.tier_b);
        assert_eq!(d.contact_at, d.tier_b);
        let d = Decisions::resolve(
            DecisionOverrides {
                contact_at: Some(123.0),
                ..Default::default()
            },
            &nets,
        );
        assert_eq!(d.contact_at, 123.0);
    }

    #[test]
    fn printed_columns_add_up_to_the_cent() {
        // Rounded on their own these print 65329.74 - 19187.81 = 46141.94 (one cent off).
        let p = Printed::new(65_329.744, 19_187.806, 2);
        assert_eq!(
            (p.lifetime_return, p.service_burden, p.net),
            (65_329.74, 19_187.81, 46_141.93)
        );
        let mut a = String::new();
        write_fixed(&mut a, p.net, 2);
        assert_eq!(a, "46141.93");
        let p = Printed::new(0.3, 0.1, 1);
        assert_eq!(p.net, 0.2);
        assert_eq!(Printed::new(10.0, 0.0, 2).ratio(), None);
    }

    #[test]
    fn when_most_customers_lose_money_expected_losses_are_never_contacted() {
        // Three in four past customers lose money: the median prediction is negative.
        let nets: Vec<f64> = (-75..25).map(|v| v as f64 * 100.0).collect();
        let d = Decisions::resolve(DecisionOverrides::default(), &nets);
        assert_eq!((d.skip_below, d.tier_c), (0.0, 0.0), "{d:?}");
        assert_eq!((d.contact_at, d.tier_b), (0.0, 0.0), "{d:?}");
        assert!(d.tier_a >= 0.0, "{d:?}");
        assert_eq!(d.recommend(-12.85), Recommendation::Skip);
        assert_eq!(d.tier(-12.85), Tier::D);
        // A threshold set in the config still wins over the zero below it.
        let d = Decisions::resolve(
            DecisionOverrides {
                contact_at: Some(-500.0),
                ..Default::default()
            },
            &nets,
        );
        assert_eq!((d.contact_at, d.skip_below), (-500.0, -500.0), "{d:?}");
    }

    #[test]
    fn partly_set_thresholds_keep_their_order() {
        let nets: Vec<f64> = (-25..75).map(|v| v as f64 * 100.0).collect();
        let only = |o: DecisionOverrides| Decisions::resolve(o, &nets);
        let d = only(DecisionOverrides {
            tier_a: Some(1000.0),
            ..Default::default()
        });
        assert!(
            d.tier_a == 1000.0 && d.tier_b <= 1000.0 && d.tier_c <= d.tier_b,
            "{d:?}"
        );
        let d = only(DecisionOverrides {
            tier_b: Some(-100.0),
            ..Default::default()
        });
        assert!(
            d.tier_a >= -100.0 && d.tier_b == -100.0 && d.tier_c <= -100.0,
            "{d:?}"
        );
        let d = only(DecisionOverrides {
            contact_at: Some(-10.0),
            ..Default::default()
        });
        assert!(d.contact_at == -10.0 && d.skip_below <= -10.0, "{d:?}");
        let d = only(DecisionOverrides {
            skip_below: Some(1e9),
            ..Default::default()
        });
        assert!(d.contact_at >= 1e9, "{d:?}");
    }

    #[test]
    fn apportioned_parts_add_up_to_the_rounded_total() {
        let parts = [0.334, 0.333, 0.333, 10.005, -4.0049];
        let total: f64 = parts.iter().sum();
        let got = apportion(&parts, total, 2);
        let cents: i64 = got.iter().map(|v| (v * 100.0).round() as i64).sum();
        assert_eq!(cents, (total * 100.0).round() as i64);
        for (g, p) in got.iter().zip(parts) {
            assert!((g - p).abs() <= 0.01 + 1e-12, "{g} vs {p}");
        }
        assert_eq!(apportion(&[], 0.0, 2), Vec::<f64>::new());
    }

    #[test]
    fn money_is_grouped_and_signed() {
        assert_eq!(money(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(money(-999.5, 0), "-1,000");
        assert_eq!(money(-0.001, 2), "0.00");
        assert_eq!(money(12.0, 0), "12");
        assert_eq!(signed_whole(4210.4), "+4,210");
        assert_eq!(signed_whole(-2950.0), "-2,950");
        assert_eq!(signed_whole(-0.2), "+0");
        assert_eq!(signed_whole(1_000_000.0), "+1,000,000");
        let mut b = String::new();
        for (v, d, want) in [
            (-0.001, 2, "0.00"),
            (-1234.567, 2, "-1234.57"),
            (5.0, 0, "5"),
            (0.05, 1, "0.1"),
            (251.875139, 6, "251.875139"),
            (-0.5, 0, "-1"),
            (1e300, 2, &format!("{:.2}", 1e300)),
        ] {
            write_fixed(&mut b, v, d);
            assert_eq!(b, want, "{v} with {d} decimals");
        }
    }

    /// The formatting as it was before the fast paths (`f64::round`, `powi`, a digit at a
    /// time): what every written number must stay byte for byte.
    mod before {
        pub fn write_fixed(buf: &mut String, value: f64, decimals: usize) {
            buf.clear();
            let scale = 10f64.powi(decimals as i32);
            let scaled = (value * scale).round();
            if decimals > 9 || !scaled.is_finite() || scaled.abs() >= 9.0e15 {
                use std::fmt::Write as _;
                let _ = write!(buf, "{value:.decimals$}");
                if buf.starts_with('-') && buf.bytes().all(|b| matches!(b, b'-' | b'0' | b'.')) {
                    buf.remove(0);
                }
                return;
            }
            let n = scaled as i64;
            if n < 0 {
                buf.push('-');
            }
            let n = n.unsigned_abs();
            let unit = 10u64.pow(decimals as u32);
            buf.push_str(&(n / unit).to_string());
            if decimals > 0 {
                buf.push('.');
                buf.push_str(&format!("{:0decimals$}", n % unit));
            }
        }

        fn grouped(digits: &str) -> String {
            let mut out = String::new();
            super::group_thousands(digits, &mut out);
            out
        }

        pub fn signed_whole(value: f64) -> String {
            let rounded = value.round();
            let sign = if rounded < 0.0 { '-' } else { '+' };
            if rounded.abs() >= 9.0e15 || !rounded.is_finite() {
                return format!("{sign}{}", grouped(&format!("{:.0}", rounded.abs())));
            }
            format!("{sign}{}", grouped(&(rounded.abs() as u64).to_string()))
        }

        pub fn number(v: f64, grouped_digits: bool) -> String {
            let decimals: u32 = if v.abs() >= 1.0 { 2 } else { 4 };
            let unit = 10u64.pow(decimals);
            let scaled = (v * unit as f64).round();
            if !scaled.is_finite() || scaled.abs() >= 9.0e15 {
                return format!("{v}");
            }
            let n = scaled as i64;
            let mut out = String::new();
            if n < 0 {
                out.push('-');
            }
            let n = n.unsigned_abs();
            let whole = (n / unit).to_string();
            out.push_str(&if grouped_digits {
                grouped(&whole)
            } else {
                whole
            });
            let (mut frac, mut digits) = (n % unit, decimals as usize);
            while digits > 0 && frac % 10 == 0 {
                frac /= 10;
                digits -= 1;
            }
            if digits > 0 {
                out.push_str(&format!(".{frac:0digits$}"));
            }
            out
        }
    }

    #[test]
    fn fast_number_writing_is_byte_for_byte_what_it_was() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        // Halves at every scale (where rounding direction matters), the edges of the fast
        // path, signed zeros, tiny and huge values, and random values over 30 orders.
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.125,
            0.005,
            -0.005,
            0.015,
            2.675,
            1.005,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            4503599627370497.0,
            8_999_999_999_999_999.0,
            8_999_999_999_999_998.0,
            9.0e15,
            9.0e15 - 0.5,
            9.0e15 + 2.0,
            899_999_999_999_999.95,
            89_999_999_999_999.995,
            1e300,
            -1e300,
            5e-324,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            999.995,
            999_999.5,
            0.99995,
        ];
        for _ in 0..200_000 {
            let magnitude = 10f64.powi(rng.random_range(-8..17));
            let v: f64 = rng.random_range(-1.0..1.0) * magnitude;
            values.push(v);
            // A value on a rounding boundary at 0-4 decimals.
            let d = rng.random_range(0..5);
            values.push((v * 10f64.powi(d)).trunc() / 10f64.powi(d) + 0.5 / 10f64.powi(d));
        }
        let (mut got, mut want) = (String::new(), String::new());
        for &v in &values {
            for d in [0, 1, 2, 3, 4, 6, 9, 10] {
                write_fixed(&mut got, v, d);
                before::write_fixed(&mut want, v, d);
                assert_eq!(got, want, "write_fixed({v:e}, {d})");
                let mut pushed = b"x".to_vec();
                push_fixed(&mut pushed, v, d);
                assert_eq!(&pushed[1..], want.as_bytes(), "push_fixed({v:e}, {d})");
            }
            assert_eq!(
                signed_whole(v),
                before::signed_whole(v),
                "signed_whole({v:e})"
            );
            for grouped in [true, false] {
                got.clear();
                push_number(&mut got, v, grouped);
                assert_eq!(
                    got,
                    before::number(v, grouped),
                    "push_number({v:e}, {grouped})"
                );
            }
        }
    }
}
