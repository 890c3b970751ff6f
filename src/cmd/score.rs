//! `leadscore score LEADS`: one row per lead with expected return, burden and net value, a tier,
//! a recommendation, the three biggest reasons in money and what the model had to guess.
//!
//! With `--keep-order` rows stream straight to the output. Sorted output must see every lead
//! before writing the first, so it keeps each finished output row (as CSV bytes, in one buffer)
//! plus a 16-byte sort key: nothing else of the input stays in memory.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::io::{IsTerminal, Write};

use crate::cli::ScoreArgs;
use crate::config::{FeatureKind, FeatureSpec};
use crate::economics::{money, Recommendation, Tier};
use crate::error::{Error, Result};
use crate::features::Feature;
use crate::model::{Model, Scored, Scorer};
use crate::table::{decode, line_of, CsvInput, Output, ReadOptions};

/// The score columns, after the lead's id.
pub const SCORE_COLUMNS: [&str; 8] = [
    "expected_return",
    "expected_burden",
    "expected_net",
    "return_to_burden",
    "tier",
    "recommendation",
    "reasons",
    "warnings",
];

pub fn run(args: &ScoreArgs) -> Result<()> {
    let model = Model::load(&args.model)?;
    let scorer = Scorer::new(&model);
    let mut input = CsvInput::open(
        &args.leads,
        ReadOptions {
            delimiter: args.delimiter,
            progress: std::io::stderr().is_terminal(),
            fingerprint: false,
        },
    )?;
    let id_col = lead_id_column(&input, &model, args.id.as_deref())?;
    let specs = feature_specs(&model);
    let cols = crate::features::FeatureColumns::locate(&input, &specs, "a feature the model uses")?;
    let extra: Vec<usize> = if args.with_input {
        (0..input.headers().len())
            .filter(|&c| c != id_col)
            .collect()
    } else {
        Vec::new()
    };

    let mut header: Vec<&str> = vec![input.headers()[id_col].as_str()];
    header.extend(SCORE_COLUMNS);
    header.extend(extra.iter().map(|&c| input.headers()[c].as_str()));

    let mut rejects = match &args.skip_invalid {
        Some(path) => {
            let mut w = csv::Writer::from_writer(Output::create(Some(path))?);
            let mut h = vec!["line", "reason"];
            h.extend(input.headers().iter().map(String::as_str));
            w.write_record(&h)
                .map_err(|e| csv_write(path.display(), e))?;
            Some(w)
        }
        None => None,
    };
    let output = Output::create(args.output.as_deref())?;
    let out_name = output.name();
    let mut out = csv::Writer::from_writer(output);
    out.write_record(&header)
        .map_err(|e| csv_write(&out_name, e))?;

    let mut sorted = (!args.keep_order).then(SortedRows::default);
    let mut summary = Summary::default();
    let mut seen: HashMap<u64, u64> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    let mut scored = Scored::default();
    let mut row = RowFormatter::new(args.decimals as usize);
    let mut rows_read = 0u64;
    while input.read(&mut record)? {
        rows_read += 1;
        let outcome = score_one(
            &input,
            &scorer,
            &cols,
            id_col,
            &record,
            &mut seen,
            &mut scored,
        );
        if let Err(err) = outcome {
            match &mut rejects {
                Some(w) => {
                    let reason = reason_of(&err);
                    let line = line_of(&record).to_string();
                    let mut fields: Vec<&[u8]> = vec![line.as_bytes(), reason.as_bytes()];
                    fields.extend(record.iter());
                    w.write_record(fields)
                        .map_err(|e| csv_write("the rejects file", e))?;
                    summary.rejected += 1;
                    continue;
                }
                None => return Err(err),
            }
        }
        row.format(&scorer, &scored);
        let tier = scorer.tier(&scored);
        let rec = scorer.recommend(&scored);
        summary.add(tier, rec, scored.net(), !scored.warnings.is_empty());
        let fields = row
            .fields(&record[id_col], tier, rec)
            .chain(extra.iter().map(|&c| &record[c]));
        match &mut sorted {
            Some(s) => s.push(scored.net(), fields)?,
            None => out
                .write_record(fields)
                .map_err(|e| csv_write(&out_name, e))?,
        }
    }
    input.finish_progress();
    if rows_read == 0 {
        return Err(Error::file(input.path(), "has a header but no rows"));
    }
    let mut output = out
        .into_inner()
        .map_err(|e| Error::write(&out_name, e.into_error()))?;
    if let Some(s) = sorted {
        s.write_to(&mut output)
            .map_err(|e| Error::write(&out_name, e))?;
    }
    if let Some(w) = rejects {
        w.into_inner()
            .map_err(|e| Error::write("the rejects file", e.into_error()))?
            .commit()?;
    }
    output.commit()?;
    eprint!(
        "{}",
        summary.render(
            &model,
            args.skip_invalid.as_ref().map(|p| p.display().to_string())
        )
    );
    Ok(())
}

/// The id column: `--id`, else the model's lead id column, else its customer id column.
fn lead_id_column(input: &CsvInput, model: &Model, flag: Option<&str>) -> Result<usize> {
    match flag {
        Some(name) => input.column(name, "given with --id"),
        None => input
            .column(
                &model.lead_id_column,
                "the lead id; pass --id COLUMN to use another",
            )
            .or_else(|e| input.column(&model.id_column, "").map_err(|_| e)),
    }
}

fn feature_specs(model: &Model) -> Vec<FeatureSpec> {
    model
        .schema
        .features
        .iter()
        .map(|f| FeatureSpec {
            name: f.name().to_string(),
            kind: match f {
                Feature::Categorical(_) => FeatureKind::Categorical,
                Feature::Numeric(n) => FeatureKind::Numeric { log: n.log },
            },
        })
        .collect()
}

fn score_one(
    input: &CsvInput,
    scorer: &Scorer,
    cols: &crate::features::FeatureColumns,
    id_col: usize,
    record: &csv::ByteRecord,
    seen: &mut HashMap<u64, u64>,
    scored: &mut Scored,
) -> Result<()> {
    let id = decode(&record[id_col]);
    let id = id.trim();
    if id.is_empty() {
        return Err(input.field_error(record, id_col, "the id is blank".into()));
    }
    // A 64-bit hash per id keeps the duplicate check to 16 bytes a lead, even when streaming.
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    let line = line_of(record);
    if let Some(first) = seen.insert(h.finish(), line) {
        return Err(input.field_error(
            record,
            id_col,
            format!("duplicate id \"{id}\" (first seen on line {first})"),
        ));
    }
    scorer.score(input, cols, record, scored)
}

/// The reason for a rejects file: the error without the file name, which the file already says.
fn reason_of(err: &Error) -> String {
    match err {
        Error::Field {
            column, problem, ..
        } => format!("column \"{column}\": {problem}"),
        Error::Row { problem, .. } => problem.clone(),
        other => other.to_string(),
    }
}

fn csv_write(path: impl std::fmt::Display, err: csv::Error) -> Error {
    let path = path.to_string();
    match err.into_kind() {
        csv::ErrorKind::Io(e) => Error::write(path, e),
        other => Error::Data(format!("cannot write {path}: {other:?}")),
    }
}

/// Formats one lead's score fields into reusable buffers.
struct RowFormatter {
    decimals: usize,
    ret: String,
    burden: String,
    net: String,
    ratio: String,
    reasons: String,
    warnings: String,
}

impl RowFormatter {
    fn new(decimals: usize) -> Self {
        RowFormatter {
            decimals,
            ret: String::new(),
            burden: String::new(),
            net: String::new(),
            ratio: String::new(),
            reasons: String::new(),
            warnings: String::new(),
        }
    }

    fn format(&mut self, scorer: &Scorer, s: &Scored) {
        fixed(&mut self.ret, s.lifetime_return, self.decimals);
        fixed(&mut self.burden, s.service_burden, self.decimals);
        fixed(&mut self.net, s.net(), self.decimals);
        self.ratio.clear();
        if s.service_burden > 0.0 {
            fixed(&mut self.ratio, s.lifetime_return / s.service_burden, 2);
        }
        scorer.reasons(s, &mut self.reasons);
        self.warnings.clear();
        for (i, w) in s.warnings.iter().enumerate() {
            if i > 0 {
                self.warnings.push_str("; ");
            }
            let _ = write!(self.warnings, "{w}");
        }
    }

    fn fields<'a>(
        &'a self,
        id: &'a [u8],
        tier: Tier,
        rec: Recommendation,
    ) -> impl Iterator<Item = &'a [u8]> {
        [
            id,
            self.ret.as_bytes(),
            self.burden.as_bytes(),
            self.net.as_bytes(),
            self.ratio.as_bytes(),
            tier.as_str().as_bytes(),
            rec.as_str().as_bytes(),
            self.reasons.as_bytes(),
            self.warnings.as_bytes(),
        ]
        .into_iter()
    }
}

/// `v` with `decimals` decimals and no thousands separators (a CRM imports it as a number),
/// never "-0.00".
fn fixed(buf: &mut String, v: f64, decimals: usize) {
    buf.clear();
    let _ = write!(buf, "{v:.decimals$}");
    if buf.starts_with('-') && buf.bytes().all(|b| matches!(b, b'-' | b'0' | b'.')) {
        buf.remove(0);
    }
}

/// Finished output rows waiting to be sorted: CSV bytes in one buffer and a key per lead.
#[derive(Default)]
struct SortedRows {
    writer: Option<csv::Writer<Vec<u8>>>,
    keys: Vec<(f64, u64)>,
}

impl SortedRows {
    fn push<'a>(&mut self, net: f64, fields: impl Iterator<Item = &'a [u8]>) -> Result<()> {
        let w = self
            .writer
            .get_or_insert_with(|| csv::Writer::from_writer(Vec::new()));
        let start = w.get_ref().len() as u64;
        w.write_record(fields)
            .and_then(|()| w.flush().map_err(Into::into))
            .map_err(|e| csv_write("memory", e))?;
        self.keys.push((net, start));
        Ok(())
    }

    /// Writes the rows by expected net value, highest first; ties keep input order.
    fn write_to<W: Write>(self, out: &mut W) -> std::io::Result<()> {
        let Some(w) = self.writer else {
            return Ok(());
        };
        let buf = w.into_inner().map_err(|e| e.into_error())?;
        let mut order: Vec<u32> = (0..self.keys.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (na, nb) = (self.keys[a as usize].0, self.keys[b as usize].0);
            nb.total_cmp(&na).then(a.cmp(&b))
        });
        for i in order {
            let start = self.keys[i as usize].1 as usize;
            let end = self
                .keys
                .get(i as usize + 1)
                .map_or(buf.len(), |k| k.1 as usize);
            out.write_all(&buf[start..end])?;
        }
        Ok(())
    }
}

/// Counts for the summary on stderr.
#[derive(Default)]
struct Summary {
    tiers: [u64; 4],
    recs: [u64; 3],
    contact_net: f64,
    warned: u64,
    rejected: u64,
}

impl Summary {
    fn add(&mut self, tier: Tier, rec: Recommendation, net: f64, warned: bool) {
        self.tiers[tier as usize] += 1;
        self.recs[rec as usize] += 1;
        if rec == Recommendation::Contact {
            self.contact_net += net;
        }
        self.warned += u64::from(warned);
    }

    fn render(&self, model: &Model, rejects: Option<String>) -> String {
        let n: u64 = self.tiers.iter().sum();
        let count = |v: u64| money(v as f64, 0);
        let mut s = format!(
            "Scored {} leads with the model trained {} on {} customers ({}).\n",
            count(n),
            model.created_at,
            count(model.training.rows_used as u64),
            model.currency
        );
        let tiers: Vec<String> = Tier::ALL
            .iter()
            .map(|t| format!("{}: {}", t.as_str(), count(self.tiers[*t as usize])))
            .collect();
        let recs: Vec<String> = Recommendation::ALL
            .iter()
            .map(|r| format!("{}: {}", r.as_str(), count(self.recs[*r as usize])))
            .collect();
        let _ = writeln!(s, "  tiers            {}", tiers.join("   "));
        let _ = writeln!(s, "  recommendations  {}", recs.join("   "));
        let _ = writeln!(
            s,
            "Expected net value of the {} leads to contact: {} {}.",
            count(self.recs[Recommendation::Contact as usize]),
            model.currency,
            money(self.contact_net, 0)
        );
        if self.warned > 0 {
            let _ = writeln!(
                s,
                "{} leads carry warnings (a value missing, unseen in training or outside its range): see the warnings column.",
                count(self.warned)
            );
        }
        if let Some(path) = rejects {
            let _ = writeln!(
                s,
                "Rejected {} rows, written with their reasons to {path}.",
                count(self.rejected)
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_never_prints_negative_zero() {
        let mut b = String::new();
        fixed(&mut b, -0.001, 2);
        assert_eq!(b, "0.00");
        fixed(&mut b, -1234.567, 2);
        assert_eq!(b, "-1234.57");
        fixed(&mut b, 5.0, 0);
        assert_eq!(b, "5");
    }

    #[test]
    fn sorted_rows_come_out_by_net_value_then_input_order() {
        let mut rows = SortedRows::default();
        for (net, id) in [(1.0, "a"), (5.0, "b"), (1.0, "c"), (-2.0, "d")] {
            rows.push(net, [id.as_bytes()].into_iter()).unwrap();
        }
        let mut out = Vec::new();
        rows.write_to(&mut out).unwrap();
        assert_eq!(out, b"b\na\nc\nd\n");
    }
}
