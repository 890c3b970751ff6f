//! Scored leads as CSV: one row per lead, the id, the score columns, then any input columns
//! carried along. Numbers are written with a fixed number of decimals and no grouping, so a CRM
//! or a spreadsheet imports them as numbers.
//!
//! Every text cell goes through [`crate::write::formula`]: a lead id, company name or reason
//! that a spreadsheet would run as a formula is written as `"'=…"`. That takes control of
//! quoting field by field, which the csv crate's writer does not offer (its quote style is one
//! per writer), so fields are encoded here by [`Dialect`], byte for byte as the csv crate would
//! write them otherwise (RFC 4180: a field holding the delimiter, a quote, CR or LF is quoted,
//! inner quotes doubled; records end with `\n`). Reading splits records in `io::records`, with the csv crate's own
//! state machine for quoted lines.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::economics::fixed;
use crate::model::components::Components;
use crate::model::equation::Equation;
use crate::model::scorer::ScoredLead;
use crate::write::formula;
use crate::write::{push_reasons, push_warnings, ScoredWriter};

/// One cell of a record: text from people (neutralised when it could read as a formula), or a
/// number that leadscore formatted itself (written as it is, quoted only if it holds the
/// delimiter, as `1,5` does in a comma-separated file).
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    Number(&'a str),
}

/// How records are encoded: the delimiter, and which bytes force a field into quotes.
#[derive(Clone)]
pub struct Dialect {
    delimiter: u8,
    quoted: [bool; 256],
    /// Whether a number [`crate::economics::fixed`] writes (digits, `-`, `.`) can never hold
    /// the delimiter, so it goes in unquoted without being looked at.
    fixed_unquoted: bool,
}

impl Dialect {
    pub fn new(delimiter: u8) -> Dialect {
        let mut quoted = [false; 256];
        for b in [delimiter, b'"', b'\r', b'\n'] {
            quoted[b as usize] = true;
        }
        Dialect {
            delimiter,
            quoted,
            fixed_unquoted: !(delimiter.is_ascii_digit() || matches!(delimiter, b'-' | b'.')),
        }
    }

    /// A record appended to `out` cell by cell; [`Record::end`] ends it.
    pub fn begin<'a>(&'a self, out: &'a mut Vec<u8>) -> Record<'a> {
        Record {
            start: out.len(),
            dialect: self,
            out,
            fields: 0,
        }
    }

    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Appends one record, ended by `\n`.
    pub fn record<'a>(&self, out: &mut Vec<u8>, cells: impl IntoIterator<Item = Cell<'a>>) {
        let mut record = self.begin(out);
        for cell in cells {
            match cell {
                Cell::Text(text) => record.text(text),
                Cell::Number(number) => record.number(number),
            }
        }
        record.end();
    }

    /// Appends a record of text cells (a header, a rejected row).
    pub fn text_record<I>(&self, out: &mut Vec<u8>, fields: I)
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let start = out.len();
        let mut count = 0;
        for field in fields {
            self.separate(out, &mut count);
            self.text(out, field.as_ref());
        }
        self.end(out, start, count);
    }

    /// The delimiter before every field but the first.
    fn separate(&self, out: &mut Vec<u8>, fields: &mut usize) {
        if *fields > 0 {
            out.push(self.delimiter);
        }
        *fields += 1;
    }

    /// Ends a record that began at `start`. A record of one empty field is written `""`, so it
    /// is not read back as a blank line (which CSV readers skip).
    fn end(&self, out: &mut Vec<u8>, start: usize, fields: usize) {
        if fields == 1 && out.len() == start {
            out.extend_from_slice(b"\"\"");
        }
        out.push(b'\n');
    }

    /// A text field: quoted with the formula prefix when it could read as a formula.
    fn text(&self, out: &mut Vec<u8>, text: &str) {
        if formula::needs_prefix(text) {
            out.extend_from_slice(b"\"'");
            escape(out, text);
            out.push(b'"');
        } else {
            self.plain(out, text);
        }
    }

    /// A number as it is, quoted when it holds the delimiter (`1,5` in a comma-separated file):
    /// leadscore wrote it, so it holds no quote or line break, and only the delimiter is looked
    /// for.
    fn number(&self, out: &mut Vec<u8>, number: &str) {
        debug_assert!(!number.bytes().any(|b| matches!(b, b'"' | b'\r' | b'\n')));
        if number.bytes().any(|b| b == self.delimiter) {
            out.push(b'"');
            out.extend_from_slice(number.as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(number.as_bytes());
        }
    }

    /// A field as it is, quoted when it holds the delimiter, a quote or a line break.
    fn plain(&self, out: &mut Vec<u8>, field: &str) {
        if self.needs_quotes(field.as_bytes()) {
            out.push(b'"');
            escape(out, field);
            out.push(b'"');
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }

    /// Whether a field holds the delimiter, a quote, CR or LF. Short fields (ids, tiers) are
    /// looked up byte by byte; longer ones (reasons, warnings, carried text) are searched
    /// with `memchr`'s vector code, which a byte-at-a-time loop over every cell of a row cost
    /// about as much as formatting the row's numbers.
    fn needs_quotes(&self, field: &[u8]) -> bool {
        if field.len() < 16 {
            return field.iter().any(|&b| self.quoted[b as usize]);
        }
        memchr::memchr3(self.delimiter, b'"', b'\n', field).is_some()
            || memchr::memchr(b'\r', field).is_some()
    }
}

/// A record being appended: cells one after another, the delimiter between them.
pub struct Record<'a> {
    dialect: &'a Dialect,
    out: &'a mut Vec<u8>,
    start: usize,
    fields: usize,
}

impl Record<'_> {
    /// A text cell (see [`Cell::Text`]).
    pub fn text(&mut self, text: &str) {
        self.dialect.separate(self.out, &mut self.fields);
        self.dialect.text(self.out, text);
    }

    /// A number leadscore formatted (see [`Cell::Number`]).
    pub fn number(&mut self, number: &str) {
        self.dialect.separate(self.out, &mut self.fields);
        self.dialect.number(self.out, number);
    }

    /// `value` with `decimals` decimals, as [`crate::economics::fixed`] writes it, formatted
    /// straight into the record.
    pub fn fixed(&mut self, value: f64, decimals: usize) {
        if self.dialect.fixed_unquoted {
            self.dialect.separate(self.out, &mut self.fields);
            crate::economics::push_fixed(self.out, value, decimals);
        } else {
            self.number(fixed(value, decimals).as_str());
        }
    }

    /// Ends the record with `\n`.
    pub fn end(self) {
        self.dialect.end(self.out, self.start, self.fields);
    }
}

/// Appends `field` with each `"` doubled.
fn escape(out: &mut Vec<u8>, field: &str) {
    let mut rest = field.as_bytes();
    while let Some(at) = memchr::memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=at]);
        out.push(b'"');
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

/// A CSV writer of scored leads into any `io::Write`. Score workers each own one writing into a
/// batch in memory; its formatting buffers are reused from row to row.
pub struct CsvWriter<'e, W: Write> {
    out: W,
    dialect: Dialect,
    equation: &'e Equation,
    decimals: usize,
    line: Vec<u8>,
    fields: Fields,
    components: Option<&'e Components>,
    /// Whether each lead's net value is broken down (`score --breakdown`).
    breakdown: bool,
}

#[derive(Default)]
struct Fields {
    reasons: String,
    warnings: String,
    /// With components: the parts at full precision.
    exact: Vec<f64>,
    /// With the breakdown: its columns as written.
    breakdown: Vec<f64>,
}

impl<'e, W: Write> CsvWriter<'e, W> {
    pub fn new(out: W, equation: &'e Equation, decimals: usize) -> Self {
        CsvWriter {
            out,
            dialect: Dialect::new(b','),
            equation,
            decimals,
            line: Vec::with_capacity(256),
            fields: Fields::default(),
            components: None,
            breakdown: false,
        }
    }

    /// Also writes each lead's net value broken down, after the components: the baseline,
    /// each feature's part and the floors' part, adding up to the written net value, in the
    /// columns [`crate::model::scorer::breakdown_columns`] names.
    pub fn with_breakdown(mut self, breakdown: bool) -> Self {
        self.breakdown = breakdown;
        self
    }

    /// Also writes each lead's components (`score --components`), in the columns
    /// [`crate::model::components::column_names`] names, after the warnings.
    pub fn with_components(mut self, components: Option<&'e Components>) -> Self {
        self.components = components;
        self
    }

    /// The header line: see [`crate::write::header`].
    pub fn header(id: &str, passthrough: &[&str]) -> Vec<String> {
        crate::write::header(id, passthrough)
    }

    /// Writes a record of text fields (a header).
    pub fn write_fields<I>(&mut self, fields: I) -> io::Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.line.clear();
        self.dialect.text_record(&mut self.line, fields);
        self.out.write_all(&self.line)
    }

    /// The parts of the lead written last, in money at full precision (with components; empty
    /// otherwise): what `plan` plans on, so a lead's parts are worked out once.
    pub fn last_parts(&self) -> &[f64] {
        &self.fields.exact
    }

    /// Flushes the underlying writer.
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
}

impl CsvWriter<'_, Vec<u8>> {
    /// [`ScoredWriter::write`] straight onto the end of the bytes in memory, not through a line
    /// of its own copied there: how each score worker writes its batch.
    pub fn append(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) {
        let mut out = std::mem::take(&mut self.out);
        self.encode(lead, passthrough, &mut out);
        self.out = out;
    }
}

impl<W: Write> ScoredWriter for CsvWriter<'_, W> {
    fn write(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.encode(lead, passthrough, &mut line);
        let written = self.out.write_all(&line);
        self.line = line;
        written
    }
}

impl<W: Write> CsvWriter<'_, W> {
    /// Appends the lead's record to `line`. Numbers are formatted straight into it.
    fn encode(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>], line: &mut Vec<u8>) {
        let d = self.decimals;
        let f = &mut self.fields;
        let m = &lead.money;
        push_reasons(self.equation, lead, &mut f.reasons);
        push_warnings(lead, &mut f.warnings);
        let mut record = self.dialect.begin(line);
        record.text(&lead.id);
        record.fixed(m.lifetime_return, d);
        record.fixed(m.service_burden, d);
        record.fixed(m.net, d);
        match lead.interval_around(m.net) {
            Some((low, high)) => {
                record.fixed(low, d);
                record.fixed(high, d);
            }
            None => {
                record.number("");
                record.number("");
            }
        }
        match m.ratio() {
            Some(ratio) => record.fixed(ratio, 2),
            None => record.number(""),
        }
        record.text(lead.tier.as_str());
        record.text(lead.recommendation.as_str());
        record.text(&f.reasons);
        record.text(&f.warnings);
        if let Some(c) = self.components {
            let cells = c.written_cells(self.equation, lead, d, &mut f.exact);
            for (i, v) in cells.iter().enumerate() {
                // Money to the output's decimals; units (hours) to at least 2.
                let decimals = if i < c.parts.len() { d } else { d.max(2) };
                record.fixed(*v, decimals);
            }
        }
        if self.breakdown {
            lead.breakdown(self.equation, d, &mut f.breakdown);
            for v in &f.breakdown {
                record.fixed(*v, d);
            }
        }
        for p in passthrough {
            record.text(p);
        }
        record.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(delimiter: u8, fields: &[&str]) -> String {
        let mut out = Vec::new();
        Dialect::new(delimiter).text_record(&mut out, fields.iter().copied());
        String::from_utf8(out).unwrap()
    }

    /// What the csv crate's writer makes of the same fields.
    fn csv_crate(delimiter: u8, fields: &[&str]) -> String {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(Vec::new());
        w.write_record(fields).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn fields_that_are_not_formulas_are_encoded_as_the_csv_crate_does() {
        let awkward = [
            "plain",
            "",
            "Acme, Inc.",
            "say \"hi\"",
            "two\nlines",
            "cr\rhere",
            "semi;colon",
            "tab\tinside",
            "Zoë 東京",
            "'quoted'",
            "12.50",
            "-12.50",
            " lead space",
        ];
        for delimiter in [b',', b';', b'\t', b'|'] {
            assert_eq!(
                encode(delimiter, &awkward),
                csv_crate(delimiter, &awkward),
                "{}",
                delimiter as char
            );
            for one in awkward {
                assert_eq!(
                    encode(delimiter, &[one]),
                    csv_crate(delimiter, &[one]),
                    "{one:?}"
                );
            }
        }
    }

    #[test]
    fn formulas_get_the_quote_prefix_and_are_quoted() {
        assert_eq!(
            encode(
                b',',
                &[
                    "=HYPERLINK(\"http://evil\",\"x\")",
                    "-2+3",
                    "-2.5",
                    "@SUM(A1)"
                ]
            ),
            "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",\"'-2+3\",-2.5,\"'@SUM(A1)\"\n"
        );
        // OWASP's two examples, as the page escapes them (with our delimiter, the second's
        // semicolon needs no quoting of its own; the field is quoted for the prefix anyway).
        assert_eq!(encode(b',', &["=1+2\";=1+2"]), "\"'=1+2\"\";=1+2\"\n");
        assert_eq!(encode(b';', &["=1+2'\" ;,=1+2"]), "\"'=1+2'\"\" ;,=1+2\"\n");
        assert_eq!(encode(b',', &["\t=x"]), "\"'\t=x\"\n");
    }

    #[test]
    fn every_field_reads_back_as_written_with_at_most_the_prefix() {
        let fields = ["=1+2", "a,b", "-5", "-", "x\"y", "", "\r\n=evil"];
        for delimiter in [b',', b';'] {
            let text = encode(delimiter, &fields);
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(delimiter)
                .from_reader(text.as_bytes());
            let row = r.records().next().unwrap().unwrap();
            let got: Vec<&str> = row.iter().collect();
            let want: Vec<String> = fields
                .iter()
                .map(|f| formula::neutralise(f).into_owned())
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn numbers_are_written_as_given_and_quoted_only_for_the_delimiter() {
        let mut out = Vec::new();
        let d = Dialect::new(b',');
        d.record(
            &mut out,
            [
                Cell::Number("-1.234,5"),
                Cell::Number("-12"),
                Cell::Text("-12"),
            ],
        );
        assert_eq!(out, b"\"-1.234,5\",-12,-12\n");
    }

    /// A number formatted straight into a record is what `fixed` writes, unquoted, unless the
    /// delimiter is a character such a number holds: then it is quoted like any number cell.
    #[test]
    fn fixed_numbers_go_in_as_fixed_writes_them_and_are_quoted_for_their_own_characters() {
        for (delimiter, want) in [
            (b',', &b"-1234.57,0.00,7\n"[..]),
            (b';', b"-1234.57;0.00;7\n"),
            (b'.', b"\"-1234.57\".\"0.00\".7\n"),
            (b'-', b"\"-1234.57\"-0.00-7\n"),
            (b'7', b"\"-1234.57\"70.007\"7\"\n"),
        ] {
            let dialect = Dialect::new(delimiter);
            let mut out = Vec::new();
            let mut record = dialect.begin(&mut out);
            record.fixed(-1234.567, 2);
            record.fixed(-0.001, 2);
            record.fixed(7.0, 0);
            record.end();
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(want),
                "delimiter {}",
                delimiter as char
            );
        }
    }
}
