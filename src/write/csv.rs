//! Scored leads as CSV: one row per lead, the id, the score columns, then any input columns
//! carried along. Numbers are written with a fixed number of decimals and no grouping, so a CRM
//! or a spreadsheet imports them as numbers.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::economics::write_fixed;
use crate::model::equation::Equation;
use crate::model::scorer::ScoredLead;
use crate::write::{push_reasons, push_warnings, ScoredWriter};

/// A CSV writer of scored leads into any `io::Write`. Score workers each own one writing into a
/// batch in memory; its formatting buffers are reused from row to row.
pub struct CsvWriter<'e, W: Write> {
    csv: csv::Writer<W>,
    equation: &'e Equation,
    decimals: usize,
    fields: Fields,
}

#[derive(Default)]
struct Fields {
    ret: String,
    burden: String,
    net: String,
    low: String,
    high: String,
    ratio: String,
    reasons: String,
    warnings: String,
}

impl<'e, W: Write> CsvWriter<'e, W> {
    pub fn new(out: W, equation: &'e Equation, decimals: usize) -> Self {
        CsvWriter {
            csv: csv::Writer::from_writer(out),
            equation,
            decimals,
            fields: Fields::default(),
        }
    }

    /// The header line: see [`crate::write::header`].
    pub fn header(id: &str, passthrough: &[&str]) -> Vec<String> {
        crate::write::header(id, passthrough)
    }

    /// Writes a record of plain fields (a header).
    pub fn write_fields<I, T>(&mut self, fields: I) -> io::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.csv.write_record(fields).map_err(into_io)
    }

    /// Flushes what the CSV writer buffers into the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.csv.flush()
    }

    pub fn get_ref(&self) -> &W {
        self.csv.get_ref()
    }

    /// The underlying writer, flushed.
    pub fn into_inner(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}

impl<W: Write> ScoredWriter for CsvWriter<'_, W> {
    fn write(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) -> io::Result<()> {
        let d = self.decimals;
        let f = &mut self.fields;
        let m = &lead.money;
        write_fixed(&mut f.ret, m.lifetime_return, d);
        write_fixed(&mut f.burden, m.service_burden, d);
        write_fixed(&mut f.net, m.net, d);
        f.low.clear();
        f.high.clear();
        if let Some((lo, hi)) = lead.interval_around(m.net) {
            write_fixed(&mut f.low, lo, d);
            write_fixed(&mut f.high, hi, d);
        }
        f.ratio.clear();
        if let Some(r) = m.ratio() {
            write_fixed(&mut f.ratio, r, 2);
        }
        push_reasons(self.equation, lead, &mut f.reasons);
        push_warnings(lead, &mut f.warnings);
        let fields = [
            lead.id.as_str(),
            f.ret.as_str(),
            f.burden.as_str(),
            f.net.as_str(),
            f.low.as_str(),
            f.high.as_str(),
            f.ratio.as_str(),
            lead.tier.as_str(),
            lead.recommendation.as_str(),
            f.reasons.as_str(),
            f.warnings.as_str(),
        ];
        self.csv
            .write_record(
                fields
                    .iter()
                    .copied()
                    .chain(passthrough.iter().map(AsRef::as_ref)),
            )
            .map_err(into_io)
    }
}

fn into_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
