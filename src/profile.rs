//! CRM import profiles as data: what a CSV for a CRM's import tool holds, so that
//! `leadscore export LEADS --profile salesforce` writes a file the CRM takes as it is, with the
//! CRM's own field names in the header.
//!
//! A [`Profile`] is a list of fields, each a header name and where its value comes from: one of
//! our columns (`expected_net`, `tier`, `reasons`, ... and `scored_on`, the export's date), an
//! input column of the lead list by name, a fixed text, or a template mixing them
//! (`"Net {expected_net} ({net_low} to {net_high}); {reasons}"`), optionally through a value
//! map (tier `A` → `Hot`) and cut to a maximum length. The profile also says how numbers and
//! dates are written (decimals, decimal comma, thousands separator, date pattern) and the
//! delimiter, for a European Excel that expects `;` and `1234,56`.
//!
//! Two are built in, [`salesforce`] and [`hubspot`]; users define their own under
//! `[export.profiles.NAME]` in the config, which `crate::config` checks into this type through
//! [`Profile::new`]: a `Profile` exists only valid. The README says where each built-in field
//! name and limit comes from.
//!
//! This module is data and its checks, below `config` (which keeps the user's profiles) and
//! below `write`: binding a profile to a lead list's header and writing scored leads with it is
//! `crate::write::profile`.

use std::fmt::Write as _;

use crate::economics::write_fixed;

/// The names of the built-in profiles, in the order they are listed.
pub const BUILT_IN: [&str; 2] = ["hubspot", "salesforce"];

/// One of our columns: the score columns `score` writes, and the export's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ours {
    Id,
    ExpectedReturn,
    ExpectedBurden,
    ExpectedNet,
    NetLow,
    NetHigh,
    ReturnToBurden,
    Tier,
    Recommendation,
    Reasons,
    Warnings,
    /// The day the export was made, written with the profile's date format.
    ScoredOn,
}

impl Ours {
    pub const ALL: [Ours; 12] = [
        Ours::Id,
        Ours::ExpectedReturn,
        Ours::ExpectedBurden,
        Ours::ExpectedNet,
        Ours::NetLow,
        Ours::NetHigh,
        Ours::ReturnToBurden,
        Ours::Tier,
        Ours::Recommendation,
        Ours::Reasons,
        Ours::Warnings,
        Ours::ScoredOn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Ours::Id => "id",
            Ours::ExpectedReturn => "expected_return",
            Ours::ExpectedBurden => "expected_burden",
            Ours::ExpectedNet => "expected_net",
            Ours::NetLow => "net_low",
            Ours::NetHigh => "net_high",
            Ours::ReturnToBurden => "return_to_burden",
            Ours::Tier => "tier",
            Ours::Recommendation => "recommendation",
            Ours::Reasons => "reasons",
            Ours::Warnings => "warnings",
            Ours::ScoredOn => "scored_on",
        }
    }

    pub fn parse(name: &str) -> Option<Ours> {
        Ours::ALL.into_iter().find(|o| o.name() == name)
    }

    /// The names, for "did you mean" and messages.
    pub fn names() -> Vec<String> {
        Ours::ALL.iter().map(|o| o.name().to_string()).collect()
    }

    /// The values a column can take, when they are few and known (so a value map can be checked
    /// for gaps and typos).
    pub fn values(self) -> Option<&'static [&'static str]> {
        match self {
            Ours::Tier => Some(&["A", "B", "C", "D"]),
            Ours::Recommendation => Some(&["contact", "qualify", "skip"]),
            _ => None,
        }
    }

    /// Whether the column is a number we write (formatted by the profile's number format).
    pub fn is_number(self) -> bool {
        matches!(
            self,
            Ours::ExpectedReturn
                | Ours::ExpectedBurden
                | Ours::ExpectedNet
                | Ours::NetLow
                | Ours::NetHigh
                | Ours::ReturnToBurden
        )
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Ours(Ours),
    /// An input column of the lead list, `{column:NAME}`.
    Column(String),
}

/// Parses a template: text with `{expected_net}` (one of [`Ours`]), `{column:NAME}` (an input
/// column) and `{{` / `}}` for literal braces. The error says what is wrong, for the config to
/// put on its line.
pub fn parse_template(text: &str) -> std::result::Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") || rest.starts_with("}}") {
            literal.push(c);
            rest = &rest[2..];
            continue;
        }
        if c == '}' {
            return Err(format!(
                "template \"{text}\" has a `}}` that closes nothing (write `}}}}` for a brace)"
            ));
        }
        if c != '{' {
            literal.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let Some(end) = rest.find('}') else {
            return Err(format!(
                "template \"{text}\" has a `{{` that is never closed (write `{{{{` for a brace)"
            ));
        };
        let name = &rest[1..end];
        rest = &rest[end + 1..];
        if !literal.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut literal)));
        }
        if let Some(column) = name.strip_prefix("column:") {
            if column.is_empty() {
                return Err(format!(
                    "template \"{text}\": `{{column:}}` names no column"
                ));
            }
            parts.push(Part::Column(column.to_string()));
        } else if let Some(ours) = Ours::parse(name) {
            parts.push(Part::Ours(ours));
        } else {
            let mut problem = format!(
                "template \"{text}\" names {{{name}}}, which is not one of ours ({})",
                Ours::names().join(", ")
            );
            match crate::io::table::closest(name, &Ours::names()) {
                Some(close) => problem.push_str(&format!("; did you mean {{{close}}}?")),
                None => {
                    problem.push_str(&format!("; an input column is written {{column:{name}}}"))
                }
            }
            return Err(problem);
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    Ok(parts)
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Ours(Ours),
    /// An input column of the lead list, by name.
    Column(String),
    /// The same text on every row.
    Value(String),
    Template(Vec<Part>),
}

/// One column of a profile's file.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The CRM's field name: the header.
    pub name: String,
    pub source: Source,
    /// Value → what to write instead (tier `A` → `Hot`); values not in it are written as they
    /// are. Only for fields from one of ours or an input column.
    pub map: Vec<(String, String)>,
    /// At most this many characters (Unicode scalar values); longer values are cut and end in
    /// `…`. At least 2.
    pub max_length: Option<usize>,
}

impl Field {
    pub fn new(name: &str, source: Source) -> Field {
        Field {
            name: name.to_string(),
            source,
            map: Vec::new(),
            max_length: None,
        }
    }

    pub fn map(mut self, pairs: &[(&str, &str)]) -> Field {
        self.map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self
    }

    pub fn max_length(mut self, max: usize) -> Field {
        self.max_length = Some(max);
        self
    }
}

/// How the money figures and the ratio are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NumberFormat {
    /// The money's decimals, which the export scores with unless `--decimals` is given;
    /// `None`: the export's (2 by default). The ratio always has 2, as in `score`.
    pub decimals: Option<usize>,
    /// `1234,56` rather than `1234.56`.
    pub decimal_comma: bool,
    /// Put between groups of three digits (`1.234,56` with `.`); `None`: no grouping.
    pub thousands: Option<char>,
}

impl NumberFormat {
    pub fn decimal_mark(&self) -> char {
        if self.decimal_comma {
            ','
        } else {
            '.'
        }
    }

    /// Writes `value` with `decimals` decimals into `out` (cleared first), as `score` rounds
    /// it, with this format's decimal mark and grouping.
    pub fn write(&self, out: &mut String, value: f64, decimals: usize) {
        write_fixed(out, value, decimals);
        if !self.decimal_comma && self.thousands.is_none() {
            return;
        }
        let plain = std::mem::take(out);
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", plain.as_str()),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        out.push_str(sign);
        match self.thousands {
            Some(sep) if int.bytes().all(|b| b.is_ascii_digit()) => {
                for (i, c) in int.chars().enumerate() {
                    if i > 0 && (int.len() - i) % 3 == 0 {
                        out.push(sep);
                    }
                    out.push(c);
                }
            }
            _ => out.push_str(int),
        }
        if !frac.is_empty() {
            out.push(self.decimal_mark());
            out.push_str(frac);
        }
    }
}

/// A date pattern: `%Y` (four-digit year), `%m` (month, 2 digits), `%d` (day, 2 digits), `%%`,
/// and any other text as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    pattern: String,
}

impl Default for DateFormat {
    /// ISO 8601, `2026-11-30`: what every CRM's import reads without asking.
    fn default() -> Self {
        DateFormat {
            pattern: "%Y-%m-%d".into(),
        }
    }
}

impl DateFormat {
    /// Checks a pattern; the error says which directive is not known.
    pub fn parse(pattern: &str) -> std::result::Result<DateFormat, String> {
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c == '%' {
                match chars.next() {
                    Some('Y' | 'm' | 'd' | '%') => {}
                    Some(other) => {
                        return Err(format!(
                        "date_format \"{pattern}\" has %{other}; a date is written with %Y (year), %m (month), %d (day) and %% (a percent sign)"
                    ))
                    }
                    None => {
                        return Err(format!(
                        "date_format \"{pattern}\" ends in a lone %; write %% for a percent sign"
                    ))
                    }
                }
            }
        }
        Ok(DateFormat {
            pattern: pattern.to_string(),
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The day `days` (since 1970-01-01) in this pattern.
    pub fn format(&self, days: i64) -> String {
        let (y, m, d) = crate::io::date::civil_from_days(days);
        let mut out = String::new();
        let mut chars = self.pattern.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let _ = match chars.next() {
                Some('Y') => write!(out, "{y:04}"),
                Some('m') => write!(out, "{m:02}"),
                Some('d') => write!(out, "{d:02}"),
                _ => write!(out, "%"),
            };
        }
        out
    }
}

/// A checked CRM import profile: made by [`Profile::new`] or a built-in.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    name: String,
    delimiter: u8,
    number: NumberFormat,
    date: DateFormat,
    fields: Vec<Field>,
    /// Whether the file starts with a UTF-8 byte order mark (see [`Profile::with_bom`]).
    bom: bool,
}

/// Why a profile is not valid: the problem, and the field it is about (by index) when it is
/// about one, so the config can name that field's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub field: Option<usize>,
    pub problem: String,
}

/// The delimiters a profile may use: as `--delimiter` takes them.
pub const DELIMITERS: [u8; 5] = [b',', b';', b'|', b':', b'\t'];

impl Profile {
    /// Checks a profile: a known delimiter, at most 9 decimals, a thousands separator that
    /// cannot be read as part of a number, at least one field, field names given once, value
    /// maps only where there is a value to map (and covering every tier or recommendation when
    /// they map one), a maximum length of at least 2.
    pub fn new(
        name: &str,
        delimiter: u8,
        number: NumberFormat,
        date: DateFormat,
        fields: Vec<Field>,
    ) -> Result<Profile, Invalid> {
        let whole = |problem: String| Invalid {
            field: None,
            problem,
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(whole("a profile needs a name".into()));
        }
        if !DELIMITERS.contains(&delimiter) {
            return Err(whole(format!(
                "delimiter {:?} is not one of , ; | : or tab",
                delimiter as char
            )));
        }
        if let Some(d) = number.decimals {
            if d > 9 {
                return Err(whole(format!("decimals must be 0 to 9, got {d}")));
            }
        }
        if let Some(t) = number.thousands {
            if t.is_ascii_digit() || matches!(t, '-' | '+' | '"' | '\r' | '\n') {
                return Err(whole(format!(
                    "thousands {t:?} would read as part of a number; use \".\", \",\", \" \", \"'\" or leave it out"
                )));
            }
            if t == number.decimal_mark() {
                return Err(whole(format!(
                    "thousands \"{t}\" is also the decimal mark{}: 1{t}234 would read as a fraction",
                    if number.decimal_comma { " (decimal_comma = true)" } else { "" }
                )));
            }
        }
        if fields.is_empty() {
            return Err(whole("a profile needs at least one field".into()));
        }
        for (i, f) in fields.iter().enumerate() {
            let bad = |problem: String| Invalid {
                field: Some(i),
                problem,
            };
            if f.name.trim().is_empty() {
                return Err(bad(
                    "a field needs a name: the CRM's field, written in the header".into(),
                ));
            }
            if fields[..i].iter().any(|g| g.name == f.name) {
                return Err(bad(format!("field \"{}\" is named twice", f.name)));
            }
            if let Some(max) = f.max_length {
                if max < 2 {
                    return Err(bad(format!(
                        "field \"{}\": max_length must be at least 2 (room for a character and the … that says it was cut), got {max}",
                        f.name
                    )));
                }
            }
            if f.map.is_empty() {
                continue;
            }
            let ours = match &f.source {
                Source::Ours(o) => Some(*o),
                Source::Column(_) => None,
                Source::Value(_) | Source::Template(_) => {
                    return Err(bad(format!(
                        "field \"{}\": map rewrites a value from `from` or `column`; write the text you want in the value or template itself",
                        f.name
                    )))
                }
            };
            if let Some(values) = ours.and_then(Ours::values) {
                let known: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                for (key, _) in &f.map {
                    if !values.contains(&key.as_str()) {
                        let mut problem = format!(
                            "field \"{}\": map has \"{key}\", which {} never is ({})",
                            f.name,
                            ours.map_or("", Ours::name),
                            values.join(", ")
                        );
                        if let Some(close) = crate::io::table::closest(key, &known) {
                            problem.push_str(&format!("; did you mean \"{close}\"?"));
                        }
                        return Err(bad(problem));
                    }
                }
                let missing: Vec<&str> = values
                    .iter()
                    .copied()
                    .filter(|v| !f.map.iter().any(|(k, _)| k == v))
                    .collect();
                if !missing.is_empty() {
                    return Err(bad(format!(
                        "field \"{}\": map gives no value for {} {}; map every one (to itself to keep it)",
                        f.name,
                        ours.map_or("", Ours::name),
                        missing.join(", ")
                    )));
                }
            }
        }
        Ok(Profile {
            name: name.to_string(),
            delimiter,
            number,
            date,
            fields,
            bom: false,
        })
    }

    /// The profile writing a UTF-8 byte order mark before its header (`bom = true` in the
    /// config), or not (the default, and the built-ins'). Excel opens a double-clicked CSV in
    /// the system's legacy code page unless it starts with a BOM, so without one a German
    /// Excel shows `Priorität` as `PrioritÃ¤t`; importers that take UTF-8 (Salesforce's and
    /// HubSpot's) need none, and some tools read a BOM as part of the first field's name.
    pub fn with_bom(mut self, bom: bool) -> Profile {
        self.bom = bom;
        self
    }

    /// Whether the file starts with a UTF-8 byte order mark.
    pub fn bom(&self) -> bool {
        self.bom
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    pub fn number(&self) -> &NumberFormat {
        &self.number
    }

    pub fn date(&self) -> &DateFormat {
        &self.date
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The built-in profile called `name`, if there is one.
    pub fn built_in(name: &str) -> Option<Profile> {
        match name {
            "salesforce" => Some(salesforce()),
            "hubspot" => Some(hubspot()),
            _ => None,
        }
    }

    /// The header: the CRM's field names.
    pub fn header(&self) -> Vec<&str> {
        self.fields.iter().map(|f| f.name.as_str()).collect()
    }

    /// The input columns the profile names, in field order, each once.
    pub fn columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for f in &self.fields {
            let named: Vec<&str> = match &f.source {
                Source::Column(c) => vec![c.as_str()],
                Source::Template(parts) => parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::Column(c) => Some(c.as_str()),
                        _ => None,
                    })
                    .collect(),
                Source::Ours(_) | Source::Value(_) => Vec::new(),
            };
            for c in named {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// The built-in Salesforce profile, for a Lead import (Data Import Wizard or Data Loader),
/// with the Lead object's API field names:
///
/// - `Id` ← the lead id. Salesforce updates existing leads matched by their record ID: this is
///   right when the lead list is a Salesforce Lead export (its Lead ID as the id column).
/// - `Rating` ← tier: the standard Rating picklist's values, A `Hot`, B `Warm`, C and D `Cold`.
/// - `Leadscore_Net_Value__c` ← expected net value. Lead has no standard writable score field,
///   so this is a custom Number(16, 2) field an admin creates first.
/// - `Description` ← net value, its interval, the recommendation and the reasons; a Long Text
///   Area of 32,000 characters, so cut there.
pub fn salesforce() -> Profile {
    built_in(
        "salesforce",
        vec![
            Field::new("Id", Source::Ours(Ours::Id)),
            Field::new("Rating", Source::Ours(Ours::Tier)).map(&[
                ("A", "Hot"),
                ("B", "Warm"),
                ("C", "Cold"),
                ("D", "Cold"),
            ]),
            Field::new("Leadscore_Net_Value__c", Source::Ours(Ours::ExpectedNet)),
            Field::new("Description", Source::Template(description())).max_length(32_000),
        ],
    )
}

/// The built-in HubSpot profile, for a Contact (or Company) import, with property labels as
/// HubSpot's import matches them to column headers:
///
/// - `Record ID` ← the lead id: HubSpot's own identifier, which updates the record it names;
///   right when the lead list is a HubSpot export.
/// - `Leadscore net value` ← expected net value (a custom Number property, created first).
/// - `Leadscore tier` ← tier (a custom Dropdown select property with options A, B, C, D).
/// - `Leadscore recommendation` ← contact / qualify / skip (a custom Dropdown select).
/// - `Leadscore scored on` ← the export's date, ISO (a custom Date picker property).
/// - `Leadscore reasons` ← net value, interval and reasons (a custom Multi-line text property;
///   HubSpot keeps up to 65,536 characters).
pub fn hubspot() -> Profile {
    built_in(
        "hubspot",
        vec![
            Field::new("Record ID", Source::Ours(Ours::Id)),
            Field::new("Leadscore net value", Source::Ours(Ours::ExpectedNet)),
            Field::new("Leadscore tier", Source::Ours(Ours::Tier)),
            Field::new(
                "Leadscore recommendation",
                Source::Ours(Ours::Recommendation),
            ),
            Field::new("Leadscore scored on", Source::Ours(Ours::ScoredOn)),
            Field::new("Leadscore reasons", Source::Template(description())).max_length(65_536),
        ],
    )
}

/// A built-in profile: comma-separated, numbers as `score` writes them, ISO dates.
fn built_in(name: &str, fields: Vec<Field>) -> Profile {
    Profile::new(
        name,
        b',',
        NumberFormat::default(),
        DateFormat::default(),
        fields,
    )
    .expect("a built-in profile is valid")
}

/// The built-ins' description: `Net value 35721.36 (34299.51 to 37281.28), contact, scored
/// 2026-09-21: employees=250 +6,559; industry=software +4,769; ...`.
fn description() -> Vec<Part> {
    parse_template(
        "Net value {expected_net} ({net_low} to {net_high}), {recommendation}, scored {scored_on}: {reasons}",
    )
    .expect("a valid template")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_mix_our_columns_input_columns_and_text() {
        assert_eq!(
            parse_template("Net {expected_net} ({net_low} to {net_high}); {column:company} {{x}}")
                .unwrap(),
            [
                Part::Text("Net ".into()),
                Part::Ours(Ours::ExpectedNet),
                Part::Text(" (".into()),
                Part::Ours(Ours::NetLow),
                Part::Text(" to ".into()),
                Part::Ours(Ours::NetHigh),
                Part::Text("); ".into()),
                Part::Column("company".into()),
                Part::Text(" {x}".into()),
            ]
        );
        assert_eq!(parse_template("Zoë {tier}").unwrap().len(), 2);
        assert_eq!(
            parse_template("Net {expectd_net}").unwrap_err(),
            "template \"Net {expectd_net}\" names {expectd_net}, which is not one of ours (id, expected_return, expected_burden, expected_net, net_low, net_high, return_to_burden, tier, recommendation, reasons, warnings, scored_on); did you mean {expected_net}?"
        );
        assert!(parse_template("{company}")
            .unwrap_err()
            .ends_with("; an input column is written {column:company}"));
        assert_eq!(
            parse_template("Net {expected_net").unwrap_err(),
            "template \"Net {expected_net\" has a `{` that is never closed (write `{{` for a brace)"
        );
        assert_eq!(
            parse_template("a } b").unwrap_err(),
            "template \"a } b\" has a `}` that closes nothing (write `}}` for a brace)"
        );
        assert!(parse_template("{column:}").is_err());
    }

    #[test]
    fn numbers_keep_their_digits_with_a_decimal_comma_and_grouping() {
        let write = |format: NumberFormat, v: f64, d: usize| {
            let mut s = String::new();
            format.write(&mut s, v, d);
            s
        };
        let plain = NumberFormat::default();
        let european = NumberFormat {
            decimals: None,
            decimal_comma: true,
            thousands: Some('.'),
        };
        let swiss = NumberFormat {
            decimals: None,
            decimal_comma: false,
            thousands: Some('\''),
        };
        let comma_only = NumberFormat {
            decimal_comma: true,
            ..plain
        };
        assert_eq!(write(plain, -1234567.891, 2), "-1234567.89");
        assert_eq!(write(european, -1234567.891, 2), "-1.234.567,89");
        assert_eq!(write(european, 999.5, 2), "999,50");
        assert_eq!(write(european, 1000.0, 0), "1.000");
        assert_eq!(write(european, -0.001, 2), "0,00");
        assert_eq!(write(swiss, 35721.36, 2), "35'721.36");
        assert_eq!(write(comma_only, 35721.36, 2), "35721,36");
        assert_eq!(write(comma_only, 12.0, 0), "12");
    }

    #[test]
    fn dates_follow_the_pattern() {
        let day = crate::io::date::parse_days("2026-09-21").unwrap();
        assert_eq!(DateFormat::default().format(day), "2026-09-21");
        assert_eq!(
            DateFormat::parse("%d.%m.%Y").unwrap().format(day),
            "21.09.2026"
        );
        assert_eq!(
            DateFormat::parse("%m/%d/%Y").unwrap().format(day),
            "09/21/2026"
        );
        assert_eq!(
            DateFormat::parse("%Y%m%d 100%%").unwrap().format(day),
            "20260921 100%"
        );
        assert_eq!(
            DateFormat::parse("%d.%b.%Y").unwrap_err(),
            "date_format \"%d.%b.%Y\" has %b; a date is written with %Y (year), %m (month), %d (day) and %% (a percent sign)"
        );
        assert!(DateFormat::parse("%Y-%").is_err());
    }

    fn fields() -> Vec<Field> {
        vec![
            Field::new("Id", Source::Ours(Ours::Id)),
            Field::new("Net", Source::Ours(Ours::ExpectedNet)),
        ]
    }

    fn profile(number: NumberFormat, fields: Vec<Field>) -> Result<Profile, Invalid> {
        Profile::new("mine", b';', number, DateFormat::default(), fields)
    }

    #[test]
    fn a_profile_is_checked_whole() {
        assert!(profile(NumberFormat::default(), fields()).is_ok());
        let problem = |number, fields| profile(number, fields).unwrap_err();
        let comma = NumberFormat {
            decimals: None,
            decimal_comma: true,
            thousands: Some(','),
        };
        assert_eq!(
            problem(comma, fields()),
            Invalid {
                field: None,
                problem: "thousands \",\" is also the decimal mark (decimal_comma = true): 1,234 would read as a fraction".into()
            }
        );
        let digit = NumberFormat {
            thousands: Some('0'),
            ..NumberFormat::default()
        };
        assert!(problem(digit, fields())
            .problem
            .starts_with("thousands '0'"));
        assert_eq!(
            problem(NumberFormat::default(), Vec::new()).problem,
            "a profile needs at least one field"
        );
        let mut twice = fields();
        twice.push(Field::new("Net", Source::Value("x".into())));
        assert_eq!(
            problem(NumberFormat::default(), twice),
            Invalid {
                field: Some(2),
                problem: "field \"Net\" is named twice".into()
            }
        );
        let short = vec![Field::new("Notes", Source::Ours(Ours::Reasons)).max_length(1)];
        assert!(problem(NumberFormat::default(), short)
            .problem
            .starts_with("field \"Notes\": max_length must be at least 2"));
        assert!(Profile::new(
            "x",
            b'#',
            NumberFormat::default(),
            DateFormat::default(),
            fields()
        )
        .is_err());
    }

    #[test]
    fn a_map_of_tiers_names_real_tiers_and_every_one() {
        let tier = |map: &[(&str, &str)]| {
            profile(
                NumberFormat::default(),
                vec![Field::new("Rating", Source::Ours(Ours::Tier)).map(map)],
            )
        };
        assert!(tier(&[("A", "Hot"), ("B", "Warm"), ("C", "Cold"), ("D", "Cold")]).is_ok());
        assert_eq!(
            tier(&[("A", "Hot"), ("B", "Warm"), ("C", "Cold")])
                .unwrap_err()
                .problem,
            "field \"Rating\": map gives no value for tier D; map every one (to itself to keep it)"
        );
        assert_eq!(
            tier(&[("a", "Hot")]).unwrap_err().problem,
            "field \"Rating\": map has \"a\", which tier never is (A, B, C, D); did you mean \"A\"?"
        );
        let recommendation = profile(
            NumberFormat::default(),
            vec![
                Field::new("Next", Source::Ours(Ours::Recommendation)).map(&[
                    ("contact", "Call"),
                    ("qualify", "Email"),
                    ("skipp", "-"),
                ]),
            ],
        );
        assert!(recommendation
            .unwrap_err()
            .problem
            .ends_with("did you mean \"skip\"?"));
        // Input columns may map some values and leave the rest.
        assert!(profile(
            NumberFormat::default(),
            vec![Field::new("Country", Source::Column("country".into())).map(&[("DE", "Germany")])]
        )
        .is_ok());
        assert_eq!(
            profile(
                NumberFormat::default(),
                vec![Field::new("Source", Source::Value("leadscore".into())).map(&[("x", "y")])]
            )
            .unwrap_err()
            .problem,
            "field \"Source\": map rewrites a value from `from` or `column`; write the text you want in the value or template itself"
        );
    }

    #[test]
    fn the_built_ins_name_the_crm_fields() {
        assert_eq!(
            salesforce().header(),
            ["Id", "Rating", "Leadscore_Net_Value__c", "Description"]
        );
        assert_eq!(
            hubspot().header(),
            [
                "Record ID",
                "Leadscore net value",
                "Leadscore tier",
                "Leadscore recommendation",
                "Leadscore scored on",
                "Leadscore reasons"
            ]
        );
        for name in BUILT_IN {
            let p = Profile::built_in(name).unwrap();
            assert_eq!(p.name(), name);
            assert!(p.columns().is_empty(), "{name} names no input column");
        }
        assert_eq!(Profile::built_in("pipedrive"), None);
        assert_eq!(salesforce().fields()[3].max_length, Some(32_000));
    }
}
