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
//! field's `max_length` counts the `'` that makes it so. The file is UTF-8, starting with a
//! byte order mark when the profile says `bom = true` (for Excel: see [`Profile::with_bom`]);
//! the header line carries it, so a file has exactly one whoever writes its header.
//!
//! A decimal comma applies to the figure fields and to figures a template puts in
//! (`{expected_net}`), not to the numbers inside `reasons` and `warnings`, which are written as
//! everywhere else (`+12,097`, `(as 704.15)`).

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

    /// The header line, encoded with the profile's delimiter, after a UTF-8 byte order mark
    /// when the profile asks for one ([`Profile::with_bom`]): what starts the file.
    pub fn header_line(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.profile.bom() {
            out.extend_from_slice(BOM);
        }
        Dialect::new(self.profile.delimiter()).text_record(&mut out, self.profile.header());
        out
    }
}

/// The UTF-8 byte order mark, U+FEFF encoded.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

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

    /// Writes [`BoundProfile::header_line`]: the byte order mark if the profile has one, and
    /// the header.
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
    let room = |t: &str| {
        if formula::needs_prefix(t) {
            max - 1
        } else {
            max
        }
    };
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::io::table::CsvInput;
    use crate::model::columns::FeatureColumns;
    use crate::model::scorer::Scorer;
    use crate::model::Model;
    use crate::profile::{DateFormat, NumberFormat};
    use crate::write::csv::CsvWriter;

    /// 2026-09-21.
    const DAY: i64 = 20_717;

    struct Scored {
        model: Model,
        header: Vec<String>,
        /// Each lead with its whole input row.
        leads: Vec<(ScoredLead, Vec<String>)>,
    }

    /// The first `n` leads of the shipped lead list, scored with the shipped model to
    /// `decimals` places, with their rows; `edit` may change a row before scoring.
    fn scored(n: usize, decimals: usize, edit: impl Fn(usize, &mut Vec<String>)) -> Scored {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let model = Model::load(&root.join("models/model.json")).unwrap();
        let scorer = Scorer::new(&model).unwrap();
        let mut input = CsvInput::open(&root.join("data/leads.csv"), Default::default()).unwrap();
        let cols = FeatureColumns::locate(&input, &model.feature_specs(), "").unwrap();
        let header = input.headers().to_vec();
        let mut record = crate::io::records::Record::new();
        let mut leads = Vec::new();
        while leads.len() < n && input.read(&mut record).unwrap() {
            let mut row: Vec<String> = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            edit(leads.len(), &mut row);
            let edited = crate::io::records::Record::from_fields(&row);
            let mut lead = ScoredLead::default();
            scorer
                .score(input.source(), &cols, &edited, decimals, &mut lead)
                .unwrap();
            lead.id = row[0].clone();
            leads.push((lead, row));
        }
        drop(scorer);
        Scored {
            model,
            header,
            leads,
        }
    }

    /// The leads written with `profile`, header first.
    fn write(s: &Scored, profile: &Profile, decimals: usize) -> String {
        let eq = Equation::from_model(&s.model).unwrap();
        let bound = profile.bind("leads.csv", &s.header).unwrap();
        let mut w = ProfileWriter::new(Vec::new(), &eq, &bound, decimals, DAY);
        w.write_header().unwrap();
        for (lead, row) in &s.leads {
            let row: Vec<Cow<str>> = row.iter().map(|f| Cow::Borrowed(f.as_str())).collect();
            w.write(lead, &row).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    fn european(fields: Vec<Field>) -> Profile {
        Profile::new(
            "european",
            b';',
            NumberFormat {
                decimals: None,
                decimal_comma: true,
                thousands: Some('.'),
            },
            DateFormat::parse("%d.%m.%Y").unwrap(),
            fields,
        )
        .unwrap()
    }

    #[test]
    fn every_figure_is_the_one_score_writes_in_any_number_format() {
        let s = scored(40, 2, |_, _| {});
        let eq = Equation::from_model(&s.model).unwrap();
        let numbers = [
            Ours::Id,
            Ours::ExpectedReturn,
            Ours::ExpectedBurden,
            Ours::ExpectedNet,
            Ours::NetLow,
            Ours::NetHigh,
            Ours::ReturnToBurden,
        ];
        let fields = numbers
            .iter()
            .map(|o| Field::new(o.name(), Source::Ours(*o)))
            .collect();
        let text = write(&s, &european(fields), 2);
        let mut csv = CsvWriter::new(Vec::new(), &eq, 2);
        for (lead, _) in &s.leads {
            csv.write(lead, &[]).unwrap();
        }
        let score = String::from_utf8(csv.into_inner().unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "id;expected_return;expected_burden;expected_net;net_low;net_high;return_to_burden"
        );
        for (ours, theirs) in lines.zip(score.lines()) {
            let ours: Vec<String> = ours
                .split(';')
                .map(|f| f.replace('.', "").replace(',', "."))
                .collect();
            let theirs: Vec<&str> = theirs.split(',').take(7).collect();
            assert_eq!(ours, theirs);
        }
        // The file adds up: return − burden = net, to the cent, as written.
        for line in text.lines().skip(1) {
            let cents: Vec<i64> = line
                .split(';')
                .skip(1)
                .take(3)
                .map(|f| f.replace(['.', ','], "").parse().unwrap())
                .collect();
            assert_eq!(cents[0] - cents[1], cents[2], "{line}");
        }
    }

    #[test]
    fn maps_templates_input_columns_fixed_text_and_dates() {
        let s = scored(3, 0, |_, _| {});
        let profile = european(vec![
            Field::new("Lead", Source::Ours(Ours::Id)),
            Field::new("Priority", Source::Ours(Ours::Tier)).map(&[
                ("A", "Hot"),
                ("B", "Warm"),
                ("C", "Cold"),
                ("D", "Cold"),
            ]),
            Field::new("Firma", Source::Column("company".into())),
            Field::new("Quelle", Source::Value("leadscore".into())),
            Field::new("Datum", Source::Ours(Ours::ScoredOn)),
            Field::new(
                "Notiz",
                Source::Template(
                    crate::profile::parse_template(
                        "{column:company}: {expected_net} EUR ({recommendation}) am {scored_on}",
                    )
                    .unwrap(),
                ),
            ),
        ]);
        let text = write(&s, &profile, 0);
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "Lead;Priority;Firma;Quelle;Datum;Notiz"
        );
        for ((lead, row), line) in s.leads.iter().zip(lines) {
            let mut net = String::new();
            NumberFormat {
                decimals: None,
                decimal_comma: true,
                thousands: Some('.'),
            }
            .write(&mut net, lead.money.net, 0);
            let priority = match lead.tier.as_str() {
                "A" => "Hot",
                "B" => "Warm",
                _ => "Cold",
            };
            assert_eq!(
                line,
                format!(
                    "{};{priority};{};leadscore;21.09.2026;{}: {net} EUR ({}) am 21.09.2026",
                    lead.id,
                    row[1],
                    row[1],
                    lead.recommendation.as_str()
                )
            );
        }
    }

    #[test]
    fn formulas_are_neutralised_and_a_cut_counts_the_quote() {
        let evil = "=HYPERLINK(\"http://evil\",\"x\")";
        let s = scored(2, 2, |i, row| {
            if i == 0 {
                row[0] = evil.into();
                row[1] = "-2+3".into();
            }
        });
        let profile = european(vec![
            Field::new("Lead", Source::Ours(Ours::Id)),
            Field::new("Firma", Source::Column("company".into())).max_length(4),
            Field::new("Kurz", Source::Ours(Ours::Id)).max_length(6),
        ]);
        let text = write(&s, &profile, 2);
        let first = text.lines().nth(1).unwrap();
        // `-2+3` has 4 characters, one too many with its quote: cut to 3 with the quote.
        assert_eq!(
            first,
            "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\";\"'-2…\";\"'=HYP…\""
        );
        let fitted = fit(evil, 6);
        assert_eq!(fitted, "=HYP…");
        assert_eq!(formula::neutralise(&fitted).chars().count(), 6);
    }

    #[test]
    fn cutting_is_on_a_character_boundary_and_says_so() {
        assert_eq!(fit("Zoë Ågren Åkesson", 6), "Zoë Å…");
        assert_eq!(fit("東京東京東京", 3), "東京…");
        assert_eq!(fit("short", 5), "short");
        assert!(matches!(fit("short", 5), Cow::Borrowed(_)));
        // A number is not a formula, but cutting it makes text that is.
        assert_eq!(fit("-1234567", 8), "-1234567");
        assert_eq!(fit("-1234567", 5), "-12…");
        assert_eq!(fit("abc", 0), "a…");
    }

    #[test]
    fn binding_finds_every_named_column_or_says_which_is_missing() {
        let header: Vec<String> = ["lead_id", "company", "email"]
            .iter()
            .map(|h| h.to_string())
            .collect();
        let profile = european(vec![
            Field::new("Lead", Source::Ours(Ours::Id)),
            Field::new("E-Mail", Source::Column("email".into())),
            Field::new(
                "Notiz",
                Source::Template(crate::profile::parse_template("{column:compnay}").unwrap()),
            ),
        ]);
        assert_eq!(
            profile.bind("leads.csv", &header).unwrap_err().to_string(),
            "leads.csv: no column \"compnay\" (named by field \"Notiz\" of profile \"european\"); did you mean \"company\"?"
        );
        assert_eq!(profile.columns(), ["email", "compnay"]);
    }

    #[test]
    fn a_byte_order_mark_starts_the_file_only_when_the_profile_asks() {
        let s = scored(2, 2, |_, _| {});
        let profile = european(vec![Field::new("Priorität", Source::Ours(Ours::Tier))]);
        assert!(!profile.bom());
        let plain = write(&s, &profile, 2);
        assert!(plain.starts_with("Priorität\n"), "{plain:?}");
        let with_bom = write(&s, &profile.clone().with_bom(true), 2);
        assert_eq!(with_bom, format!("\u{feff}{plain}"));
        // Once, at the start: records do not repeat it.
        assert_eq!(with_bom.matches('\u{feff}').count(), 1);
        let bound = profile.with_bom(true).bind("leads.csv", &s.header).unwrap();
        assert!(bound.header_line().starts_with(BOM));
        // The built-ins write none: their importers take UTF-8 as it is.
        for p in [crate::profile::salesforce(), crate::profile::hubspot()] {
            assert!(!p.bom(), "{}", p.name());
        }
    }

    #[test]
    fn a_row_of_another_width_is_refused() {
        let s = scored(1, 2, |_, _| {});
        let eq = Equation::from_model(&s.model).unwrap();
        let bound = crate::profile::salesforce()
            .bind("leads.csv", &s.header)
            .unwrap();
        let mut w = ProfileWriter::new(Vec::new(), &eq, &bound, 2, DAY);
        let err = w.write(&s.leads[0].0, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "lead L000001 carries 0 input fields; profile \"salesforce\" was bound to a header of 9"
        );
    }
}
