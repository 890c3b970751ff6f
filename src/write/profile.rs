//! CRM import profiles at work: a [`Profile`] (see [`crate::profile`]) bound to a lead list's
//! header, and [`ProfileWriter`], the [`ScoredWriter`] that writes scored leads with it as the
//! CSV a CRM's import tool takes.
//!
//! Binding ([`Profile::bind`]) finds each input column a profile names in the lead list's
//! header: a missing one is an input error naming the file, with "did you mean". Personal
//! columns (the config's `export.personal`, `--redact`) are dropped from every export's carried
//! columns, but a profile names its columns one by one, so a column it names is written: that is
//! how a CRM import gets the email it matches records on.
//!
//! The writer takes the lead's whole input row as read (every column of the header it was bound
//! to, in order) and writes one record per lead with the profile's delimiter. Figures are the
//! ones `score` writes: `lead.money` (return and burden rounded, net their difference), the
//! interval widened to hold the net, the ratio to 2 decimals. Grouping and a decimal comma
//! change how a figure is written, never its digits, so a profile agrees with `score` to the
//! cent when the leads were scored with the decimals the writer is given (the profile's
//! `decimals`, unless `--decimals` says otherwise). Every text cell is formula-safe ([`crate::write::formula`]), and a
//! field's `max_length` counts the `'` that makes it so.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::error::Result;
use crate::io::table::find_column;
use crate::model::equation::Equation;
use crate::model::scorer::ScoredLead;
pub use crate::profile::{Field, Ours, Part, Profile, Source};
use crate::write::csv::{Cell, Dialect};
use crate::write::{formula, push_reasons, push_warnings, ScoredWriter};

impl Profile {
    /// Resolves the profile against a lead list's header (`leads` names the file in errors):
    /// every input column it names must be there. A column being personal does not matter: a
    /// profile passes exactly the columns it names.
    pub fn bind(&self, leads: &str, header: &[String]) -> Result<BoundProfile> {
        let column = |name: &str, field: &Field| -> Result<usize> {
            find_column(
                leads,
                header,
                name,
                &format!(
                    "named by field \"{}\" of profile \"{}\"",
                    field.name,
                    self.name()
                ),
            )
        };
        let mut fields = Vec::with_capacity(self.fields().len());
        for f in self.fields() {
            let source = match &f.source {
                Source::Ours(o) => Bound::Ours(*o),
                Source::Column(c) => Bound::Column(column(c, f)?),
                Source::Value(v) => Bound::Value(v.clone()),
                Source::Template(parts) => {
                    let mut bound = Vec::with_capacity(parts.len());
                    for p in parts {
                        bound.push(match p {
                            Part::Text(t) => BoundPart::Text(t.clone()),
                            Part::Ours(o) => BoundPart::Ours(*o),
                            Part::Column(c) => BoundPart::Column(column(c, f)?),
                        });
                    }
                    Bound::Template(bound)
                }
            };
            fields.push(BoundField {
                source,
                map: f.map.clone(),
                max_length: f.max_length,
            });
        }
        Ok(BoundProfile {
            profile: self.clone(),
            width: header.len(),
            fields,
        })
    }
}

/// A profile bound to one lead list's header: input columns by index.
#[derive(Debug, Clone)]
pub struct BoundProfile {
    profile: Profile,
    /// How many fields each input row has.
    width: usize,
    fields: Vec<BoundField>,
}

impl BoundProfile {
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The header line, encoded with the profile's delimiter.
    pub fn header_line(&self) -> Vec<u8> {
        let mut out = Vec::new();
        Dialect::new(self.profile.delimiter()).text_record(&mut out, self.profile.header());
        out
    }
}

#[derive(Debug, Clone)]
struct BoundField {
    source: Bound,
    map: Vec<(String, String)>,
    max_length: Option<usize>,
}

#[derive(Debug, Clone)]
enum Bound {
    Ours(Ours),
    Column(usize),
    Value(String),
    Template(Vec<BoundPart>),
}

#[derive(Debug, Clone)]
enum BoundPart {
    Text(String),
    Ours(Ours),
    Column(usize),
}

/// Writes scored leads with a bound profile into any `io::Write`, one CSV record per lead
/// (the header is [`ProfileWriter::write_header`], or [`BoundProfile::header_line`] for a
/// writer of parts). [`ScoredWriter::write`]'s `passthrough` must be the lead's whole input row,
/// as read, in the order of the header the profile was bound to.
pub struct ProfileWriter<'e, W: Write> {
    out: W,
    equation: &'e Equation,
    bound: &'e BoundProfile,
    dialect: Dialect,
    decimals: usize,
    scored_on: String,
    line: Vec<u8>,
    /// Each field's value, reused from lead to lead.
    values: Vec<String>,
    /// Which values are numbers we formatted (written without the formula check).
    numbers: Vec<bool>,
    /// Our text columns of the lead at hand, made once per lead when a field needs them.
    reasons: String,
    warnings: String,
    figure: String,
}

impl<'e, W: Write> ProfileWriter<'e, W> {
    /// A writer of leads scored with `equation` to `decimals` places (the money is written with
    /// those, so score with the same); `scored_on` is the export's day (days since 1970-01-01, as
    /// `io::date::today` gives it).
    pub fn new(
        out: W,
        equation: &'e Equation,
        bound: &'e BoundProfile,
        decimals: usize,
        scored_on: i64,
    ) -> Self {
        let n = bound.fields.len();
        ProfileWriter {
            out,
            equation,
            bound,
            dialect: Dialect::new(bound.profile.delimiter()),
            decimals,
            scored_on: bound.profile.date().format(scored_on),
            line: Vec::with_capacity(256),
            values: vec![String::new(); n],
            numbers: vec![false; n],
            reasons: String::new(),
            warnings: String::new(),
            figure: String::new(),
        }
    }

    pub fn write_header(&mut self) -> io::Result<()> {
        self.out.write_all(&self.bound.header_line())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The underlying writer, flushed.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// Appends one of our columns of `lead` to `out`; true when it is a number.
    fn push_ours(&mut self, ours: Ours, lead: &ScoredLead, out: &mut String) -> bool {
        let number = self.bound.profile.number();
        let d = self.decimals;
        let m = &lead.money;
        let interval = lead.interval_around(m.net);
        let figure = match ours {
            Ours::Id => {
                out.push_str(&lead.id);
                None
            }
            Ours::ExpectedReturn => Some((Some(m.lifetime_return), d)),
            Ours::ExpectedBurden => Some((Some(m.service_burden), d)),
            Ours::ExpectedNet => Some((Some(m.net), d)),
            Ours::NetLow => Some((interval.map(|(lo, _)| lo), d)),
            Ours::NetHigh => Some((interval.map(|(_, hi)| hi), d)),
            Ours::ReturnToBurden => Some((m.ratio(), 2)),
            Ours::Tier => {
                out.push_str(lead.tier.as_str());
                None
            }
            Ours::Recommendation => {
                out.push_str(lead.recommendation.as_str());
                None
            }
            Ours::Reasons => {
                out.push_str(&self.reasons);
                None
            }
            Ours::Warnings => {
                out.push_str(&self.warnings);
                None
            }
            Ours::ScoredOn => {
                out.push_str(&self.scored_on);
                None
            }
        };
        match figure {
            Some((Some(v), decimals)) => {
                number.write(&mut self.figure, v, decimals);
                out.push_str(&self.figure);
                true
            }
            Some((None, _)) => true,
            None => false,
        }
    }
}

impl<W: Write> ScoredWriter for ProfileWriter<'_, W> {
    fn write(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) -> io::Result<()> {
        let bound = self.bound;
        if passthrough.len() != bound.width {
            return Err(io::Error::other(format!(
                "lead {} carries {} input fields; profile \"{}\" was bound to a header of {}",
                lead.id,
                passthrough.len(),
                bound.profile.name(),
                bound.width
            )));
        }
        push_reasons(self.equation, lead, &mut self.reasons);
        push_warnings(lead, &mut self.warnings);
        let mut values = std::mem::take(&mut self.values);
        for (i, field) in bound.fields.iter().enumerate() {
            let value = &mut values[i];
            value.clear();
            let mut number = false;
            match &field.source {
                Bound::Ours(o) => number = self.push_ours(*o, lead, value),
                Bound::Column(c) => value.push_str(&passthrough[*c]),
                Bound::Value(v) => value.push_str(v),
                Bound::Template(parts) => {
                    for p in parts {
                        match p {
                            BoundPart::Text(t) => value.push_str(t),
                            BoundPart::Ours(o) => {
                                self.push_ours(*o, lead, value);
                            }
                            BoundPart::Column(c) => value.push_str(&passthrough[*c]),
                        }
                    }
                }
            }
            if let Some((_, to)) = field.map.iter().find(|(from, _)| from == value) {
                value.clear();
                value.push_str(to);
                number = false;
            }
            if let Some(max) = field.max_length {
                if let Cow::Owned(cut) = fit(value, max) {
                    *value = cut;
                }
            }
            self.numbers[i] = number;
        }
        self.line.clear();
        self.dialect.record(
            &mut self.line,
            values.iter().zip(&self.numbers).map(
                |(v, &n)| {
                    if n {
                        Cell::Number(v)
                    } else {
                        Cell::Text(v)
                    }
                },
            ),
        );
        self.values = values;
        self.out.write_all(&self.line)
    }
}

/// `text` cut to at most `max` characters (at least 2), counting the `'` that a formula-like
/// text gets when written: cut on a character boundary, ending in `…` to say so.
pub fn fit(text: &str, max: usize) -> Cow<'_, str> {
    let max = max.max(2);
    let room = |t: &str| if formula::is_formula(t) { max - 1 } else { max };
    if text.chars().count() <= room(text) {
        return Cow::Borrowed(text);
    }
    let cut = |keep: usize| -> String {
        let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
        format!("{}…", &text[..end])
    };
    let mut out = cut(room(text) - 1);
    // Cutting can turn a number into text that needs the quote (`-12345` → `-12…`).
    if out.chars().count() > room(&out) {
        out = cut(room(&out) - 1);
    }
    Cow::Owned(out)
}
