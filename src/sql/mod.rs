//! The scoring equation as one SQL query: for every row of a lead table, what `score` writes
//! (expected return, burden and net value as written, the interval, return per unit of burden,
//! tier, recommendation), each feature's part of the net value in money, a flag per guessed
//! value, and the model version.
//!
//! The query is rendered from [`Equation`], the one statement of the scoring rules, and from the
//! same category index the Rust scorer looks values up in ([`category_index`]); nothing is read
//! from the model file twice. What differs between databases is a [`Dialect`] table.
//!
//! The query reads in steps, one common table expression each:
//!
//! 1. `lead_fields`: each feature's column as it is, and as text trimmed of whitespace (the
//!    whitespace `score` trims: `char::is_whitespace`);
//! 2. `readings`: numbers (or blanks: NULL, empty, a missing-value token), category levels;
//! 3. `model_columns`: numbers imputed, clamped and log-transformed, as differences from the
//!    average customer;
//! 4. `effects`: each feature's effect on each target, on the target's scale;
//! 5. `contributions`: effects in money (logs split by the logarithmic-mean Divisia index);
//! 6. `predictions`: per target baseline + contributions, and the floor at zero;
//! 7. `written`: money rounded as `score` writes it, half away from zero;
//! 8. the final `SELECT`: interval, tier, recommendation and the "too little known" rule.
//!
//! What a column may hold: a numeric feature may be typed as a number or as text; text is read
//! when it is a plain decimal number (`12`, `-3.5`, `1e6`), and NULL, empty or blank text and
//! the model's missing-value tokens are blanks (imputed with the median, as `score` does). Any
//! other text (and a number of a log feature at or below -1) is a value `score` refuses: the
//! row's money is NULL and `unreadable` names the feature. A category may be any type; it is
//! compared as text.

pub mod dialect;

use std::fmt::Write as _;

use crate::economics::{Recommendation, Tier};
use crate::error::{Error, Result};
use crate::model::equation::{Blank, CategoryTerm, Equation, NumericTerm, Role, Scale, Term};
use crate::model::schema::Matching;
use crate::model::scorer::{category_index, FIGURE_COLUMNS};
pub use dialect::Dialect;

/// Where the lead table is and what its columns are called.
#[derive(Debug, Clone)]
pub struct Source {
    /// The table (or view) name; a `.` separates schema and table.
    pub table: String,
    /// The id column's name in the table.
    pub id: String,
    /// Per term of the equation, in order: the column's name in the table.
    pub columns: Vec<String>,
}

/// What the generated query says about the model it came from.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The registry version (`v0003`) or the model file.
    pub version: String,
    /// `sha256:…`, when the model file has one.
    pub checksum: Option<String>,
    /// Texts the model reads as blanks.
    pub missing_values: Vec<String>,
    /// Decimals money is written with.
    pub decimals: usize,
}

/// The names of the columns the query returns, after the id: see the module docs.
pub fn output_columns(eq: &Equation) -> Vec<String> {
    let mut names: Vec<String> = FIGURE_COLUMNS.iter().map(|s| s.to_string()).collect();
    names.extend(crate::model::scorer::breakdown_columns(eq));
    names.extend(eq.terms.iter().map(|t| format!("guessed_{}", t.name())));
    names.extend(
        ["too_little_known", "unreadable", "model_version"]
            .iter()
            .map(|s| s.to_string()),
    );
    names
}

/// Renders the query. `view`: make it a view of that name, replacing one that exists.
pub fn render(
    eq: &Equation,
    source: &Source,
    provenance: &Provenance,
    d: &Dialect,
    view: Option<&str>,
) -> Result<String> {
    Generator { eq, d, provenance }.render(source, view)
}

struct Generator<'a> {
    eq: &'a Equation,
    d: &'a Dialect,
    provenance: &'a Provenance,
}

/// Every character outside ASCII that lower case changes, with its lower case (`char::to_lowercase`,
/// as `Matching::key` uses it): about 1,400, found once.
fn non_ascii_capitals() -> &'static [(char, String)] {
    static CAPITALS: std::sync::OnceLock<Vec<(char, String)>> = std::sync::OnceLock::new();
    CAPITALS.get_or_init(|| {
        (0x80..=char::MAX as u32)
            .filter_map(char::from_u32)
            .filter_map(|u| {
                let lower: String = u.to_lowercase().collect();
                (lower != u.to_string()).then_some((u, lower))
            })
            .collect()
    })
}

/// Every character `score` treats as whitespace when it trims a value or normalizes a category.
fn whitespace() -> impl Iterator<Item = char> {
    (0..=char::MAX as u32)
        .filter_map(char::from_u32)
        .filter(|c| c.is_whitespace())
}

impl Generator<'_> {
    fn ident(&self, name: &str) -> Result<String> {
        if name.contains('\0') {
            return Err(Error::Usage(format!(
                "the name {name:?} holds a NUL character, which no SQL identifier can"
            )));
        }
        Ok((self.d.ident)(name))
    }

    fn num(&self, v: f64) -> Result<String> {
        if !v.is_finite() {
            return Err(Error::Data(format!(
                "the model holds a number that is not finite ({v}); it cannot be written as SQL"
            )));
        }
        Ok(self.d.number(v))
    }

    fn lit(&self, s: &str) -> String {
        self.d.string(s)
    }

    fn render(&self, source: &Source, view: Option<&str>) -> Result<String> {
        let eq = self.eq;
        let d = self.d;
        let p = self.provenance;
        let nt = eq.targets.len();
        let nf = eq.terms.len();
        let mut q = String::new();
        // Comments hold nothing from the model or the data but the version and checksum, which
        // leadscore wrote; line breaks are taken out all the same.
        let safe = |s: &str| s.replace(['\n', '\r'], " ");
        let _ = writeln!(
            q,
            "-- leadscore {}: scores of the lead table by model {}{}",
            env!("CARGO_PKG_VERSION"),
            safe(&p.version),
            p.checksum
                .as_deref()
                .map(|c| format!(" ({})", safe(c)))
                .unwrap_or_default()
        );
        let _ = writeln!(
            q,
            "-- Dialect {}; money rounded to {} decimals, half away from zero, as `leadscore score` writes it.",
            d.name, p.decimals
        );
        let _ = writeln!(
            q,
            "-- Generated by `leadscore sql`: do not edit; regenerate after a retrain."
        );
        if let Some(name) = view {
            let _ = writeln!(q, "{}", (self.d.view)(&self.table(name)?));
        }
        q.push_str("WITH\n");

        // 1. The fields: raw, and as trimmed text.
        let ws: String = whitespace().collect();
        let ws = self.lit(&ws);
        let mut cols = vec![format!("{} AS lead_id", self.ident(&source.id)?)];
        for (f, name) in source.columns.iter().enumerate() {
            let c = self.ident(name)?;
            cols.push(format!("{c} AS r{f}"));
            cols.push(format!(
                "{} AS t{f}",
                (d.trim_chars)(&format!("CAST({c} AS {})", d.text_type), &ws)
            ));
        }
        self.cte(
            &mut q,
            "lead_fields",
            "each feature's field as it is, and as text trimmed of whitespace",
            &cols,
            &format!("FROM {}", self.table(&source.table)?),
        );

        // Matching keys of categories and shapes of numbers, in stages.
        let mut pipes: Vec<(String, Vec<String>)> = Vec::new();
        let mut pipe_of: Vec<Option<usize>> = vec![None; nf];
        let mut sentinels: Vec<String> = vec![String::new(); nf];
        let mut keys_of: Vec<Vec<(String, usize)>> = vec![Vec::new(); nf];
        let mut exact_of: Vec<Vec<(String, usize)>> = vec![Vec::new(); nf];
        for (f, term) in eq.terms.iter().enumerate() {
            match term {
                Term::Category(c) => {
                    let index = category_index(c);
                    let [exact, normalized] = index.entries();
                    exact_of[f] = exact
                        .iter()
                        .map(|(v, l)| (v.to_string(), l.level()))
                        .collect();
                    if c.matching == Matching::Normalized && !normalized.is_empty() {
                        let keys: Vec<&str> = normalized.iter().map(|(k, _)| *k).collect();
                        let (steps, sentinel) = self.key_steps(&keys);
                        keys_of[f] = normalized
                            .iter()
                            .map(|(v, l)| (v.to_string(), l.level()))
                            .collect();
                        sentinels[f] = sentinel;
                        pipe_of[f] = Some(pipes.len());
                        pipes.push((format!("t{f}"), steps));
                    }
                }
                Term::Numeric(_) => {
                    let steps = (d.number_shape)(d);
                    if !steps.is_empty() {
                        pipe_of[f] = Some(pipes.len());
                        pipes.push((format!("t{f}"), steps));
                    }
                }
            }
        }
        let mut from = "lead_fields".to_string();
        let ends = self.stages(&mut q, &mut from, &pipes);
        let end_of = |f: usize| pipe_of[f].map(|i| ends[i].clone()).unwrap_or_default();

        // 2. Readings.
        let mut cols = vec!["lead_id".to_string()];
        for (f, term) in eq.terms.iter().enumerate() {
            let tokens = self.in_list(&format!("t{f}"), &p.missing_values);
            match term {
                Term::Numeric(n) => {
                    let x = (d.read_number)(d, &format!("r{f}"), &format!("t{f}"), &end_of(f));
                    cols.push(format!(
                        "-- {}: a number, or a blank",
                        self.comment(&n.name)
                    ));
                    cols.push(format!("{x} AS x{f}"));
                    cols.push(format!(
                        "CASE WHEN t{f} IS NULL OR t{f} = '' OR {tokens} THEN 1 ELSE 0 END AS b{f}"
                    ));
                }
                Term::Category(c) => {
                    cols.push(format!(
                        "-- {}: the level's index; -1 unseen, -2 blank and never blank in training",
                        self.comment(&c.name)
                    ));
                    let level = self.level(
                        c,
                        f,
                        &tokens,
                        &exact_of[f],
                        &keys_of[f],
                        &end_of(f),
                        &sentinels[f],
                    );
                    cols.push(format!("{level} AS l{f}"));
                }
            }
        }
        self.cte(
            &mut q,
            "readings",
            "numbers and blanks, and the level each category value is matched to",
            &cols,
            &format!("FROM {from}"),
        );

        // 3. Model columns: numbers as differences from the average customer.
        let mut cols = vec!["lead_id".to_string()];
        for (f, term) in eq.terms.iter().enumerate() {
            match term {
                Term::Numeric(n) => {
                    cols.push(format!("{} AS z{f}", self.numeric(n, f)?));
                    // A blank is read only when the text holds no number (a number wins).
                    cols.push(format!(
                        "CASE WHEN x{f} IS NULL AND b{f} = 1 THEN 1 ELSE 0 END AS g{f}"
                    ));
                }
                Term::Category(_) => {
                    cols.push(format!("l{f}"));
                    cols.push(format!("CASE WHEN l{f} < 0 THEN 1 ELSE 0 END AS g{f}"));
                }
            }
        }
        self.cte(
            &mut q,
            "model_columns",
            "numbers imputed, clamped and transformed, less the average customer's; guesses",
            &cols,
            "FROM readings",
        );

        // 4. Effects on each target's scale.
        let mut cols = vec!["lead_id".to_string()];
        for (f, term) in eq.terms.iter().enumerate() {
            cols.push(format!("g{f}"));
            for t in 0..nt {
                let e = match term {
                    Term::Numeric(n) => format!("{} * z{f}", self.num(n.slopes[t])?),
                    Term::Category(c) => {
                        let mut e = format!("CASE l{f}");
                        for (i, level) in c.levels.iter().enumerate() {
                            let _ = write!(e, " WHEN {i} THEN {}", self.num(level.effects[t])?);
                        }
                        e.push_str(&format!(" ELSE {} END", self.num(0.0)?));
                        e
                    }
                };
                cols.push(format!("{e} AS e{f}_{t}"));
            }
        }
        for f in 0..nf {
            if let Term::Numeric(_) = eq.terms[f] {
                // Unreadable: no number where there should be one.
                cols.push(format!("z{f}"));
            }
        }
        self.cte(
            &mut q,
            "effects",
            "each feature's effect on each target, on the target's scale (money, or logs)",
            &cols,
            "FROM model_columns",
        );

        // 5. Contributions in money.
        let mut cols = carried(eq);
        for (t, target) in eq.targets.iter().enumerate() {
            let total = self.sum((0..nf).map(|f| format!("e{f}_{t}")))?;
            match target.scale {
                Scale::Linear => {
                    for f in 0..nf {
                        cols.push(format!("e{f}_{t} AS c{f}_{t}"));
                    }
                }
                Scale::Log {
                    at_mean,
                    correction,
                    shift,
                } => {
                    // log_effects_to_money: each feature gets (P − B) · e / Σe; B + shift per
                    // unit of log in the limit Σe → 0.
                    let s = format!("({total})");
                    let prediction = format!(
                        "EXP(CASE WHEN {am} + {s} > {cap} THEN {cap} ELSE {am} + {s} END) * {corr} - {shift}",
                        am = self.num(at_mean)?,
                        cap = self.num(700.0)?,
                        corr = self.num(correction)?,
                        shift = self.num(shift)?,
                    );
                    let per_unit = format!(
                        "CASE WHEN ABS({s}) > {tiny} THEN (({prediction}) - {base}) / {s} ELSE {base_shift} END",
                        tiny = self.num(1e-12)?,
                        base = self.num(target.baseline)?,
                        base_shift = self.num(target.baseline + shift)?,
                    );
                    cols.push(format!("{per_unit} AS u{t}"));
                    for f in 0..nf {
                        cols.push(format!("e{f}_{t}"));
                    }
                }
            }
        }
        self.cte(
            &mut q,
            "log_units",
            "for a log-scale target, the money one unit of log is worth for this lead",
            &cols,
            "FROM effects",
        );
        let mut cols = carried(eq);
        for (t, target) in eq.targets.iter().enumerate() {
            for f in 0..nf {
                cols.push(match target.scale {
                    Scale::Linear => format!("c{f}_{t}"),
                    Scale::Log { .. } => format!("e{f}_{t} * u{t} AS c{f}_{t}"),
                });
            }
        }
        self.cte(
            &mut q,
            "contributions",
            "each feature's part of each target, in money",
            &cols,
            "FROM log_units",
        );

        // 6. Predictions and floors.
        let mut cols = carried(eq);
        for t in 0..nt {
            cols.extend((0..nf).map(|f| format!("c{f}_{t}")));
        }
        for (t, target) in eq.targets.iter().enumerate() {
            let mut v = self.num(target.baseline)?;
            for f in 0..nf {
                v = format!("{v} + c{f}_{t}");
            }
            cols.push(format!("{v} AS v{t}"));
        }
        self.cte(
            &mut q,
            "unfloored",
            "each target: the average customer's, plus every feature's part",
            &cols,
            "FROM contributions",
        );
        let mut cols = vec!["*".to_string()];
        for (t, target) in eq.targets.iter().enumerate() {
            let zero = self.num(0.0)?;
            cols.push(if target.floor_at_zero {
                format!("CASE WHEN v{t} < {zero} THEN -v{t} ELSE {zero} END AS fl{t}")
            } else {
                format!("{zero} AS fl{t}")
            });
        }
        self.cte(
            &mut q,
            "floors",
            "what the floor at zero adds to a target that cannot be negative",
            &cols,
            "FROM unfloored",
        );
        let side = |role: Role| -> String {
            let parts: Vec<String> = eq
                .targets
                .iter()
                .enumerate()
                .filter(|(_, t)| t.role == role)
                .map(|(t, _)| format!("(v{t} + fl{t})"))
                .collect();
            if parts.is_empty() {
                "0.0".to_string()
            } else {
                parts.join(" + ")
            }
        };
        let cols = vec![
            "*".to_string(),
            format!("{} AS ret", side(Role::Return)),
            format!("{} AS burden", side(Role::Burden)),
        ];
        self.cte(
            &mut q,
            "predictions",
            "return and burden, floors applied, at full precision",
            &cols,
            "FROM floors",
        );

        // 7. As written.
        let cols = vec![
            "*".to_string(),
            format!("{} AS ret_w", self.round("ret", p.decimals)?),
            format!("{} AS burden_w", self.round("burden", p.decimals)?),
        ];
        self.cte(
            &mut q,
            "rounded",
            "return and burden as written",
            &cols,
            "FROM predictions",
        );
        let guessed = self.sum((0..nf).map(|f| format!("g{f}")))?;
        let guessed = if nf == 0 { "0".to_string() } else { guessed };
        let mut cols = vec![
            "*".to_string(),
            format!("{} AS net_w", self.round("(ret_w - burden_w)", p.decimals)?),
            "ret - burden AS net".to_string(),
            format!("{guessed} AS guessed"),
        ];
        // No interval: net_low and net_high are NULL (below), as `score` leaves them empty.
        if let Some(i) = eq.interval {
            let zero = self.num(0.0)?;
            let sigma = format!(
                    "({} + {} * CASE WHEN ABS(ret) + burden > {zero} THEN ABS(ret) + burden ELSE {zero} END)",
                    self.num(i.scale_base)?,
                    self.num(i.scale_slope)?
                );
            cols.push(format!(
                "ret - burden + {} * {sigma} AS lo",
                self.num(i.lower)?
            ));
            cols.push(format!(
                "ret - burden + {} * {sigma} AS hi",
                self.num(i.upper)?
            ));
        }
        self.cte(
            &mut q,
            "written",
            "net value as written (the difference of the written figures), the interval",
            &cols,
            "FROM rounded",
        );
        let dec = &eq.decisions;
        let recommend = format!(
            "CASE WHEN net_w >= {} THEN {} WHEN net_w < {} THEN {} ELSE {} END",
            self.num(dec.contact_at)?,
            self.lit(Recommendation::Contact.as_str()),
            self.num(dec.skip_below)?,
            self.lit(Recommendation::Skip.as_str()),
            self.lit(Recommendation::Qualify.as_str()),
        );
        let cols = vec![
            "*".to_string(),
            format!("CASE WHEN net_w IS NULL THEN NULL ELSE {recommend} END AS first_recommendation"),
            format!(
                "CASE WHEN net_w IS NULL THEN NULL WHEN net_w >= {} THEN {} WHEN net_w >= {} THEN {} WHEN net_w >= {} THEN {} ELSE {} END AS tier",
                self.num(dec.tier_a)?,
                self.lit(Tier::A.as_str()),
                self.num(dec.tier_b)?,
                self.lit(Tier::B.as_str()),
                self.num(dec.tier_c)?,
                self.lit(Tier::C.as_str()),
                self.lit(Tier::D.as_str()),
            ),
        ];
        self.cte(
            &mut q,
            "decided",
            "tier and recommendation, on the net value as written",
            &cols,
            "FROM written",
        );

        // 8. The result.
        let contact = self.lit(Recommendation::Contact.as_str());
        let too_little = format!("first_recommendation = {contact} AND guessed * 2 > {nf}");
        let out = output_columns(eq);
        let mut n = out.iter();
        let mut name =
            || -> Result<String> { self.ident(n.next().map(String::as_str).unwrap_or("")) };
        let mut cols = vec![format!("lead_id AS {}", self.ident(&source.id)?)];
        cols.push(format!("ret_w AS {}", name()?));
        cols.push(format!("burden_w AS {}", name()?));
        cols.push(format!("net_w AS {}", name()?));
        // The interval as written: widened, if need be, to hold the net value as written.
        let (low, high) = match eq.interval {
            Some(_) => (
                self.round("CASE WHEN lo < net_w THEN lo ELSE net_w END", p.decimals)?,
                self.round("CASE WHEN hi > net_w THEN hi ELSE net_w END", p.decimals)?,
            ),
            None => (
                format!("CAST(NULL AS {})", d.double_type),
                format!("CAST(NULL AS {})", d.double_type),
            ),
        };
        cols.push(format!("{low} AS {}", name()?));
        cols.push(format!("{high} AS {}", name()?));
        cols.push(format!(
            "CASE WHEN burden_w > {} THEN {} END AS {}",
            self.num(0.0)?,
            self.round("(ret_w / burden_w)", 2)?,
            name()?
        ));
        cols.push(format!("tier AS {}", name()?));
        cols.push(format!(
            "CASE WHEN {too_little} THEN {} ELSE first_recommendation END AS {}",
            self.lit(Recommendation::Qualify.as_str()),
            name()?
        ));
        cols.push(format!("{} AS {}", self.num(eq.baseline_net())?, name()?));
        let net_of = |part: &dyn Fn(usize) -> String| -> String {
            eq.targets
                .iter()
                .enumerate()
                .map(|(t, target)| match target.role {
                    Role::Return => format!(" + {}", part(t)),
                    Role::Burden => format!(" - {}", part(t)),
                })
                .collect::<String>()
                .trim_start_matches(" + ")
                .to_string()
        };
        for f in 0..nf {
            let e = net_of(&|t| format!("c{f}_{t}"));
            cols.push(format!("{e} AS {}", name()?));
        }
        cols.push(format!("{} AS {}", net_of(&|t| format!("fl{t}")), name()?));
        for f in 0..nf {
            cols.push(format!("g{f} AS {}", name()?));
        }
        cols.push(format!(
            "CASE WHEN {too_little} THEN 1 ELSE 0 END AS {}",
            name()?
        ));
        let mut unreadable = "CASE".to_string();
        for (f, term) in eq.terms.iter().enumerate() {
            if let Term::Numeric(n) = term {
                let _ = write!(unreadable, " WHEN z{f} IS NULL THEN {}", self.lit(&n.name));
            }
        }
        unreadable = if unreadable == "CASE" {
            format!("CAST(NULL AS {})", d.text_type)
        } else {
            unreadable + " END"
        };
        cols.push(format!("{unreadable} AS {}", name()?));
        cols.push(format!("{} AS {}", self.lit(&p.version), name()?));
        q.push_str("\nSELECT\n");
        q.push_str(&indent(&cols, "  "));
        q.push_str("\nFROM decided;\n");
        Ok(q)
    }

    /// `name AS ( SELECT cols FROM ... )`, after a comment saying what the step does.
    fn cte(&self, q: &mut String, name: &str, what: &str, cols: &[String], from: &str) {
        if !q.ends_with("WITH\n") {
            q.push_str(",\n");
        }
        let _ = writeln!(q, "-- {what}");
        let _ = write!(
            q,
            "{name} AS {}(\n  SELECT\n{}\n  {from}\n)",
            self.d.materialized,
            indent(cols, "    ")
        );
    }

    fn comment(&self, name: &str) -> String {
        name.chars()
            .map(|c| {
                if c.is_control() || c.is_whitespace() {
                    ' '
                } else {
                    c
                }
            })
            .collect()
    }

    fn table(&self, name: &str) -> Result<String> {
        let parts: Result<Vec<String>> = name.split('.').map(|p| self.ident(p)).collect();
        Ok(parts?.join("."))
    }

    fn sum(&self, parts: impl Iterator<Item = String>) -> Result<String> {
        let parts: Vec<String> = parts.collect();
        if parts.is_empty() {
            self.num(0.0)
        } else {
            Ok(parts.join(" + "))
        }
    }

    /// `t IN ('n/a', ...)`, or a condition that is never true for an empty list.
    fn in_list(&self, col: &str, values: &[String]) -> String {
        if values.is_empty() {
            return "1 = 0".to_string();
        }
        let list: Vec<String> = values.iter().map(|v| self.lit(v)).collect();
        format!("{col} IN ({})", list.join(", "))
    }

    /// `value` rounded to `decimals` places as Rust's `round_to` does: half away from zero, and
    /// left as it is when ten to the decimals times it is past 9e15.
    fn round(&self, value: &str, decimals: usize) -> Result<String> {
        let scale = self.num(10f64.powi(decimals.min(15) as i32))?;
        let scaled = format!("({value} * {scale})");
        let whole = (self.d.trunc)(&scaled);
        let half = self.num(0.5)?;
        Ok(format!(
            "CASE WHEN ABS({scaled}) < {limit} THEN ({whole} + CASE WHEN {scaled} - {whole} >= {half} THEN 1 \
             WHEN {scaled} - {whole} <= -{half} THEN -1 ELSE 0 END) / {scale} ELSE {value} END",
            limit = self.num(9.0e15)?,
        ))
    }

    /// A numeric feature's model column: the number (the median for a blank), clamped,
    /// ln(1 + x) when logged, less the average customer's. NULL when unreadable.
    fn numeric(&self, n: &NumericTerm, f: usize) -> Result<String> {
        let median = self.num(n.median)?;
        let minus_one = self.num(-1.0)?;
        let x = if n.log {
            // score refuses a logged number at or below -1.
            format!("CASE WHEN x{f} IS NOT NULL THEN CASE WHEN x{f} > {minus_one} THEN x{f} END WHEN b{f} = 1 THEN {median} END")
        } else {
            format!("CASE WHEN x{f} IS NOT NULL THEN x{f} WHEN b{f} = 1 THEN {median} END")
        };
        let used = match n.clamp {
            Some((lo, hi)) => {
                let (lo, hi) = (self.num(lo)?, self.num(hi)?);
                format!(
                    "CASE WHEN ({x}) < {lo} THEN {lo} WHEN ({x}) > {hi} THEN {hi} ELSE ({x}) END"
                )
            }
            None => x,
        };
        let transformed = if n.log {
            format!("LN({} + ({used}))", self.num(1.0)?)
        } else {
            format!("({used})")
        };
        Ok(format!("{transformed} - {}", self.num(n.mean)?))
    }

    /// A category's level index: known spellings exactly, then (when the model matches
    /// normalized) by key, then missing-value tokens as blanks; -1 for a value never seen.
    #[allow(clippy::too_many_arguments)]
    fn level(
        &self,
        c: &CategoryTerm,
        f: usize,
        tokens: &str,
        exact: &[(String, usize)],
        keys: &[(String, usize)],
        key: &str,
        sentinel: &str,
    ) -> String {
        let blank = match c.blank {
            Blank::Level(l) => l as i64,
            Blank::Guess(_) => -2,
        };
        let t = format!("t{f}");
        let mut parts = Vec::new();
        for (column, list) in [(t.as_str(), exact), (key, keys)] {
            if list.is_empty() {
                continue;
            }
            let mut e = if column == t {
                format!("CASE {t}")
            } else {
                format!(
                    "CASE CASE WHEN {} THEN NULL ELSE {key} END",
                    (self.d.contains)(&t, sentinel)
                )
            };
            for (value, l) in list {
                let _ = write!(e, "\n        WHEN {} THEN {l}", self.lit(value));
            }
            e.push_str(" END");
            parts.push(e);
        }
        parts.push(format!("CASE WHEN {tokens} THEN {blank} END"));
        parts.push("-1".to_string());
        format!(
            "CASE WHEN {t} IS NULL OR {t} = '' THEN {blank} ELSE COALESCE(\n      {}) END",
            parts.join(",\n      ")
        )
    }

    /// The steps (`{x}` the text so far) that make the normalized key of a category's trimmed
    /// text (`Matching::key`): lower case, whitespace runs one space, trimmed; and the sentinel
    /// character they collapse runs with. SQL's LOWER may fold only ASCII (SQLite's does), so
    /// every other letter whose lower case is made of characters the known `keys` hold is
    /// replaced explicitly. The sentinel is a character no key holds; text that holds it can
    /// match no key, and is kept from matching one by accident (see `level`).
    fn key_steps(&self, keys: &[&str]) -> (Vec<String>, String) {
        let d = self.d;
        let in_keys: std::collections::BTreeSet<char> =
            keys.iter().flat_map(|k| k.chars()).collect();
        let mut steps = vec!["LOWER({x})".to_string()];
        for (u, lower) in non_ascii_capitals() {
            if lower.chars().all(|c| in_keys.contains(&c)) {
                steps.push(format!(
                    "REPLACE({{x}}, {}, {})",
                    self.lit(&u.to_string()),
                    self.lit(lower)
                ));
            }
        }
        for w in whitespace().filter(|&c| c != ' ') {
            steps.push(format!("REPLACE({{x}}, {}, ' ')", (d.chr)(w as u32)));
        }
        let sentinel = (1u32..32)
            .filter_map(char::from_u32)
            .find(|c| !c.is_whitespace() && !in_keys.contains(c))
            .unwrap_or('\u{1}');
        let s = (d.chr)(sentinel as u32);
        steps.push("TRIM({x})".to_string());
        steps.push(format!("REPLACE({{x}}, ' ', ' ' || {s})"));
        steps.push(format!("REPLACE({{x}}, {s} || ' ', '')"));
        steps.push(format!("REPLACE({{x}}, {s}, '')"));
        (steps, s)
    }

    /// Applies text steps in stages of a few at a time, one common table expression each: SQL
    /// parsers (SQLite's among them) refuse calls nested too deep. `pipes` are (the column the
    /// steps start from, the steps); returns the column each pipe ends in.
    fn stages(
        &self,
        q: &mut String,
        from: &mut String,
        pipes: &[(String, Vec<String>)],
    ) -> Vec<String> {
        const PER_STAGE: usize = 6;
        let mut ends: Vec<String> = pipes.iter().map(|(c, _)| c.clone()).collect();
        let n = pipes
            .iter()
            .map(|(_, s)| s.len().div_ceil(PER_STAGE))
            .max()
            .unwrap_or(0);
        for stage in 0..n {
            let mut cols = vec!["*".to_string()];
            for (i, (_, steps)) in pipes.iter().enumerate() {
                let chunk = steps.iter().skip(stage * PER_STAGE).take(PER_STAGE);
                let mut x = ends[i].clone();
                let mut any = false;
                for step in chunk {
                    x = step.replace("{x}", &x);
                    any = true;
                }
                if any {
                    let name = format!("p{i}_{}", stage + 1);
                    cols.push(format!("{x} AS {name}"));
                    ends[i] = name;
                }
            }
            let name = format!("normalized_{}", stage + 1);
            self.cte(
                q,
                &name,
                &format!("matching keys and number shapes, step {} of {n}", stage + 1),
                &cols,
                &format!("FROM {from}"),
            );
            *from = name;
        }
        ends
    }
}

fn indent(cols: &[String], prefix: &str) -> String {
    let last = cols.iter().rposition(|c| !c.starts_with("--"));
    let lines: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let comma = if !c.starts_with("--") && Some(i) != last {
                ","
            } else {
                ""
            };
            format!("{prefix}{c}{comma}")
        })
        .collect();
    lines.join("\n")
}

/// The columns every step after the readings carries on: the lead's id, each feature's guess
/// flag (`g`), and each number as the equation uses it (`z`).
fn carried(eq: &Equation) -> Vec<String> {
    let mut cols = vec!["lead_id".to_string()];
    cols.extend((0..eq.terms.len()).map(|f| format!("g{f}")));
    for (f, term) in eq.terms.iter().enumerate() {
        if let Term::Numeric(_) = term {
            cols.push(format!("z{f}"));
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    fn shipped() -> Equation {
        let text = include_str!("../../models/model.json");
        let model = Model::parse(text, "models/model.json").unwrap();
        Equation::from_model(&model).unwrap()
    }

    fn source(eq: &Equation) -> Source {
        Source {
            table: "crm.leads".to_string(),
            id: "lead_id".to_string(),
            columns: eq.terms.iter().map(|t| t.name().to_string()).collect(),
        }
    }

    fn provenance() -> Provenance {
        Provenance {
            version: "v0001".to_string(),
            checksum: Some("sha256:00".to_string()),
            missing_values: vec!["n/a".to_string(), "O'Neil".to_string()],
            decimals: 2,
        }
    }

    #[test]
    fn a_level_or_a_column_that_tries_to_end_its_quotes_stays_quoted_in_every_dialect() {
        let mut eq = shipped();
        let evil = "'); DROP TABLE leads; --";
        if let Term::Category(c) = &mut eq.terms[0] {
            c.levels[0].value = evil.to_string();
        }
        let mut src = source(&eq);
        src.columns[1] = "re\"gion`".to_string();
        for d in dialect::ALL {
            let q = render(&eq, &src, &provenance(), d, Some("scores")).unwrap();
            assert!(q.contains(&d.string(evil)), "{}", d.name);
            assert!(q.contains(&(d.ident)("re\"gion`")), "{}", d.name);
            assert!(q.contains(&d.string("O'Neil")), "{}", d.name);
            // The table name is split at the dot and each part quoted.
            assert!(
                q.contains(&format!("FROM {}.{}", (d.ident)("crm"), (d.ident)("leads"))),
                "{}",
                d.name
            );
            // Outside literals and quoted names, the text holds no statement separator but
            // the last one (and the one after dropping the old view, where the dialect does).
            let bare = strip_quoted(&q, d);
            let separators = 1 + (d.view)("x").matches(';').count();
            assert_eq!(bare.matches(';').count(), separators, "{}: {bare}", d.name);
            assert!(q.starts_with("-- leadscore"), "{}", d.name);
        }
    }

    /// The query without its string literals, quoted identifiers and comments.
    fn strip_quoted(q: &str, d: &Dialect) -> String {
        let (open, close) = match (d.ident)("x").chars().next() {
            Some('`') => ('`', '`'),
            _ => ('"', '"'),
        };
        let mut out = String::new();
        let mut chars = q.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' || c == open {
                let end = if c == '\'' { '\'' } else { close };
                while let Some(n) = chars.next() {
                    if d.backslash_escapes && n == '\\' {
                        chars.next();
                    } else if n == end {
                        if chars.peek() == Some(&end) {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            } else if c == '-' && chars.peek() == Some(&'-') {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn a_model_without_an_interval_gives_no_interval_not_the_net_value() {
        let mut eq = shipped();
        eq.interval = None;
        for d in dialect::ALL {
            let q = render(&eq, &source(&eq), &provenance(), d, None).unwrap();
            let null = format!("CAST(NULL AS {})", d.double_type);
            assert!(
                q.contains(&format!("{null} AS {}", (d.ident)("net_low"))),
                "{}",
                d.name
            );
            assert!(
                q.contains(&format!("{null} AS {}", (d.ident)("net_high"))),
                "{}",
                d.name
            );
            assert!(!q.contains(" AS lo"), "{}", d.name);
        }
    }

    #[test]
    fn the_output_columns_follow_scores_and_name_each_feature() {
        let eq = shipped();
        let cols = output_columns(&eq);
        assert_eq!(
            &cols[..3],
            ["expected_return", "expected_burden", "expected_net"]
        );
        assert!(cols.contains(&"contribution_industry".to_string()));
        assert!(cols.contains(&"guessed_employees".to_string()));
        assert_eq!(cols.last().map(String::as_str), Some("model_version"));
    }

    #[test]
    fn every_whitespace_character_score_trims_is_trimmed_in_the_query() {
        let ws: Vec<char> = whitespace().collect();
        assert!(ws.contains(&'\u{a0}') && ws.contains(&'\u{3000}') && ws.contains(&'\t'));
        assert_eq!(ws.len(), 25);
    }
}
