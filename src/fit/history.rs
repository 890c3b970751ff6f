//! The training history: one row per past customer, read and checked in one pass. Rows whose
//! outcome is blank cannot be learned from; they are left out and listed, never dropped silently.

use std::path::Path;

use crate::config::Config;
use crate::economics::BoundEconomics;
use crate::error::{Error, Result};
use crate::fit::schema::{FeatureValues, TokenBlanks, ValuesBuilder};
use crate::io::date::parse_days;
use crate::io::ids::{check_rows, IdIndex};
use crate::io::pipeline::{self, Batch};
use crate::io::table::{
    is_missing_value, line_of, parse_number, shown, CsvInput, ReadOptions, Row, Source,
};
use crate::model::columns::FeatureColumns;

/// A customer left out of training, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    pub id: String,
    pub line: u64,
    pub column: String,
}

/// Ids in one buffer: a `String` each would cost an allocation per customer, which dominated
/// reading a large history.
#[derive(Debug, Default)]
pub struct Ids {
    text: String,
    ends: Vec<usize>,
}

impl Ids {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }
}

#[derive(Debug)]
pub struct History {
    pub path: String,
    pub ids: Ids,
    /// Per customer: the line of the file its row starts on, to name it in reports.
    pub lines: Vec<u64>,
    pub values: Vec<FeatureValues>,
    /// Per customer: lifetime return and service burden, in money.
    pub targets: Vec<[f64; 2]>,
    /// Per customer, every economics term's value in money (return terms first, in the
    /// config's order; `terms_per_row` of them): what the components are fitted on. They sum,
    /// per side, to `targets`.
    pub terms: Vec<f64>,
    pub terms_per_row: usize,
    /// Per customer, with `columns.date`: the day it was won (days since 1970-01-01), `None`
    /// where the field is blank. `None` without the column.
    pub dates: Option<Vec<Option<i64>>>,
    /// With `columns.date`: the first and the last date in the file (days since 1970-01-01),
    /// over every row read, those left out for a blank outcome too; `None` without a date.
    pub date_span: Option<(i64, i64)>,
    pub excluded: Vec<Excluded>,
    pub rows_read: usize,
    pub sha256: String,
    /// The delimiter it was read with (given or sniffed), which is also how it writes numbers:
    /// a registry version records it, so its copy of the history is read back the same way.
    pub delimiter: u8,
    /// Missing-value texts read as blanks in category columns, most rows first.
    pub token_blanks: Vec<TokenBlanks>,
}

impl History {
    pub fn rows(&self) -> usize {
        self.ids.len()
    }

    pub fn read(path: &Path, config: &Config, opts: ReadOptions) -> Result<History> {
        let history = Self::read_at_least(path, config, opts, 2)?;
        history.refuse_blank_features(config)?;
        Ok(history)
    }

    /// A numeric feature blank in every row has nothing to learn from; said with the file, as
    /// every other problem of a column is. (A batch for `retrain` may lack one: it is merged.)
    fn refuse_blank_features(&self, config: &Config) -> Result<()> {
        for (spec, values) in config.features.iter().zip(&self.values) {
            if let FeatureValues::Numeric(v) = values {
                if v.iter().all(|x| x.is_nan()) {
                    return Err(Error::file(
                        &self.path,
                        format!(
                            "column \"{}\" (a feature in the config) is blank in all {} rows used; drop it from [features] or fill it in",
                            spec.name,
                            crate::economics::money(v.len() as f64, 0)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reads a batch of customers to merge into a history (`retrain`): checked like a history,
    /// but one customer, or none with every outcome filled in, is still a batch.
    pub fn read_batch(path: &Path, config: &Config, opts: ReadOptions) -> Result<History> {
        Self::read_at_least(path, config, opts, 0)
    }

    fn read_at_least(
        path: &Path,
        config: &Config,
        opts: ReadOptions,
        min_rows: usize,
    ) -> Result<History> {
        let mut input = CsvInput::open(
            path,
            ReadOptions {
                fingerprint: true,
                ..opts
            },
        )?;
        let id_col = input.column(&config.id, "the id column, columns.id in the config")?;
        let date_col = config
            .date
            .as_ref()
            .map(|d| input.column(d, "the date customers were won, columns.date in the config"))
            .transpose()?;
        let features = FeatureColumns::locate(&input, &config.features, "a feature in the config")?
            .with_missing_values(&config.missing_values);
        let ctx = Parse {
            source: input.source().clone(),
            id_col,
            date_col,
            missing_values: config.missing_values.clone(),
            features,
            ledger: Ledger::locate(&input, &config.economics)?
                .with_missing_values(&config.missing_values),
        };

        let mut seen = IdIndex::default();
        let mut builder = ValuesBuilder::new(&config.features);
        let mut ids = Ids::default();
        let mut lines = Vec::new();
        let mut targets = Vec::new();
        let mut terms = Vec::new();
        let mut dates = date_col.map(|_| Vec::new());
        let mut date_span = None;
        let mut excluded = Vec::new();
        let source = input.source().clone();
        let size = input.size();
        let rows_read = pipeline::run(
            &mut input,
            |rows, checks| {
                seen.expect_file(rows.first(), size);
                check_rows(&source, id_col, rows, &mut seen, checks)
            },
            |batch| ctx.parse(batch, &config.features),
            |chunk| {
                builder.append(chunk.values);
                for i in 0..chunk.ids.len() {
                    ids.push(chunk.ids.get(i));
                }
                targets.extend(chunk.targets);
                terms.extend(chunk.terms);
                lines.extend(chunk.lines);
                if let Some(dates) = dates.as_mut() {
                    dates.extend(chunk.dates);
                }
                excluded.extend(chunk.excluded);
                date_span = widen(date_span, chunk.date_span);
                chunk.error.map_or(Ok(()), Err)
            },
        )?;
        input.finish_progress();
        if rows_read == 0 {
            return Err(Error::file(input.path(), "has a header but no rows"));
        }
        if ids.len() < min_rows {
            return Err(Error::file(
                input.path(),
                format!(
                    "only {} of {rows_read} rows have every outcome filled in; nothing to learn from",
                    ids.len()
                ),
            ));
        }
        Ok(History {
            path: input.path().to_string(),
            sha256: input.fingerprint().expect("requested"),
            delimiter: input.delimiter(),
            ids,
            lines,
            token_blanks: builder.token_blanks(&config.features),
            values: builder.finish(),
            targets,
            terms,
            terms_per_row: ctx.ledger.economics.n_terms(),
            dates,
            date_span,
            excluded,
            rows_read: rows_read as usize,
        })
    }
}

/// The largest outcome amount (money, hours, a count) a history may hold: beyond it a value is
/// surely a typo or a unit mix-up, and its square would swamp every sum the fit makes.
pub const MAX_AMOUNT: f64 = 1e15;

/// Where a file's outcome (ledger) columns are, and how they become money.
pub struct Ledger {
    cols: Vec<usize>,
    negative_ok: Vec<bool>,
    economics: BoundEconomics,
    decimal_comma: bool,
    /// Texts read as a blank outcome (`n/a`, `NULL`, ...).
    missing_values: Vec<String>,
}

impl Ledger {
    /// Finds every column the economics reads in `input`'s header.
    pub fn locate(input: &CsvInput, economics: &crate::economics::Economics) -> Result<Ledger> {
        let names = economics.columns();
        Ok(Ledger {
            cols: names
                .iter()
                .map(|c| input.column(c, "an outcome in [economics]"))
                .collect::<Result<Vec<_>>>()?,
            negative_ok: names.iter().map(|c| economics.allows_negative(c)).collect(),
            economics: economics.bind(),
            decimal_comma: crate::io::table::decimal_comma(input.delimiter()),
            missing_values: crate::io::table::default_missing_values(),
        })
    }

    /// Every economics term's value for the ledger `scratch` that [`Ledger::outcome`] filled,
    /// appended to `out` (return terms first).
    pub fn push_terms(&self, scratch: &[f64], out: &mut Vec<f64>) {
        self.economics.push_terms(scratch, out);
    }

    /// Reads `tokens` as blank outcomes instead of the default missing-value list.
    pub fn with_missing_values(mut self, tokens: &[String]) -> Ledger {
        self.missing_values = tokens.to_vec();
        self
    }

    /// A row's lifetime return and service burden, or the first outcome column left blank or
    /// written as a missing-value token (`Err(column)`): such a customer's outcome is unknown.
    /// `scratch` holds one value per ledger column.
    pub fn outcome<'r>(
        &self,
        source: &Source,
        row: impl Into<Row<'r>>,
        scratch: &mut Vec<f64>,
    ) -> Result<std::result::Result<crate::economics::Outcome, usize>> {
        let row = row.into();
        let record = row.record();
        scratch.resize(self.cols.len(), 0.0);
        let mut blank = None;
        for (k, &col) in self.cols.iter().enumerate() {
            let text = row.text(col);
            match parse_number(&text, self.decimal_comma) {
                Err(_) if is_missing_value(&self.missing_values, &text) => {
                    blank.get_or_insert(col);
                }
                Err(_) => {
                    return Err(source.field_error(record, col, crate::io::table::not_a_number(&text, self.decimal_comma)))
                }
                Ok(None) => {
                    blank.get_or_insert(col);
                }
                Ok(Some(v)) if v < 0.0 && !self.negative_ok[k] => {
                    return Err(source.field_error(
                        record,
                        col,
                        format!(
                            "expected an amount >= 0 (money, hours and counts cannot be negative), got {}",
                            shown(text.trim())
                        ),
                    ))
                }
                Ok(Some(v)) if v.abs() >= MAX_AMOUNT => {
                    return Err(source.field_error(
                        record,
                        col,
                        format!(
                            "expected an amount below 1e15 (no customer's money, hours or counts reach a quadrillion; a typo or a unit mix-up?), got {}",
                            shown(text.trim())
                        ),
                    ))
                }
                Ok(Some(v)) => scratch[k] = v,
            }
        }
        let Some(col) = blank else {
            let outcome = self.economics.outcome(scratch);
            if !(outcome.lifetime_return.is_finite() && outcome.service_burden.is_finite()) {
                // Amounts are bounded, so only the rates can overflow: name the term, its
                // column and the value, where one term does it alone.
                if let Some(o) = self.economics.overflow(scratch) {
                    if let Some(k) = o.column {
                        let text = row.text(self.cols[k]);
                        return Err(source.field_error(
                            record,
                            self.cols[k],
                            format!(
                                "the term \"{}\" of [economics] makes {} × its rate {} overflow (not a finite number): check the rate",
                                o.term,
                                crate::io::table::shown(text.trim()),
                                // 1e308, not 309 digits.
                                if o.rate.abs() >= 1e15 {
                                    format!("{:e}", o.rate)
                                } else {
                                    o.rate.to_string()
                                }
                            ),
                        ));
                    }
                }
                return Err(Error::Row {
                    path: source.path.clone(),
                    line: crate::io::table::line_of(record),
                    problem: "the economics make this customer's return or burden overflow (not a finite number): check the rates in [economics]".into(),
                });
            }
            return Ok(Ok(outcome));
        };
        Ok(Err(col))
    }
}

/// How to parse a history row; shared by the parsing threads.
struct Parse {
    source: Source,
    id_col: usize,
    /// `columns.date`, when the config names one.
    date_col: Option<usize>,
    /// Texts read as a blank date.
    missing_values: Vec<String>,
    features: FeatureColumns,
    ledger: Ledger,
}

/// One batch of the history, parsed; `error` is the first problem, after the rows before it.
struct Chunk {
    values: ValuesBuilder,
    ids: Ids,
    lines: Vec<u64>,
    targets: Vec<[f64; 2]>,
    terms: Vec<f64>,
    /// Empty without a date column.
    dates: Vec<Option<i64>>,
    /// The first and last date of the batch's rows, excluded ones too.
    date_span: Option<(i64, i64)>,
    excluded: Vec<Excluded>,
    error: Option<Error>,
}

/// The span of dates covering both `a` and `b`.
fn widen(a: Option<(i64, i64)>, b: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (a, b) => a.or(b),
    }
}

impl Parse {
    fn parse(
        &self,
        batch: &mut Batch<Option<Error>>,
        specs: &[crate::config::FeatureSpec],
    ) -> Chunk {
        let mut chunk = Chunk {
            values: ValuesBuilder::new(specs),
            ids: Ids::default(),
            lines: Vec::with_capacity(batch.len),
            targets: Vec::with_capacity(batch.len),
            terms: Vec::with_capacity(batch.len * self.ledger.economics.n_terms()),
            dates: Vec::new(),
            date_span: None,
            excluded: Vec::new(),
            error: None,
        };
        let mut ledger = Vec::new();
        let checks = &mut batch.checks;
        Row::each(&batch.rows[..batch.len], |i, row| {
            let outcome = self.row(row, checks[i].take(), &mut ledger, &mut chunk);
            outcome.map_err(|e| chunk.error = Some(e)).is_ok()
        });
        chunk
    }

    fn row(
        &self,
        row: Row<'_>,
        problem: Option<Error>,
        ledger: &mut Vec<f64>,
        chunk: &mut Chunk,
    ) -> Result<()> {
        if let Some(e) = problem {
            return Err(e);
        }
        let record = row.record();
        chunk.values.push(&self.features, &self.source, row)?;
        let date = self.date(row)?;
        chunk.date_span = widen(chunk.date_span, date.map(|d| (d, d)));
        let outcome = self.ledger.outcome(&self.source, row, ledger)?;
        let id = row.text(self.id_col);
        if let Err(col) = outcome {
            chunk.values.pop();
            chunk.excluded.push(Excluded {
                id: id.trim().to_string(),
                line: line_of(record),
                column: self.source.headers[col].clone(),
            });
            return Ok(());
        }
        let o = outcome.expect("blank handled above");
        chunk.ids.push(id.trim());
        chunk.lines.push(line_of(record));
        chunk.targets.push([o.lifetime_return, o.service_burden]);
        self.ledger.economics.push_terms(ledger, &mut chunk.terms);
        if self.date_col.is_some() {
            chunk.dates.push(date);
        }
        Ok(())
    }

    /// The row's date (`None` when blank or a missing-value text); an error for any other text
    /// that is not an ISO date, since guessing `11/03/2026` would reorder the history.
    fn date(&self, row: Row<'_>) -> Result<Option<i64>> {
        let Some(col) = self.date_col else {
            return Ok(None);
        };
        let record = row.record();
        let text = row.text(col);
        if text.trim().is_empty() || is_missing_value(&self.missing_values, &text) {
            return Ok(None);
        }
        match parse_days(&text) {
            Some(day) => Ok(Some(day)),
            None => Err(self.source.field_error(
                record,
                col,
                crate::io::date::not_a_day(&text).unwrap_or_else(|| {
                    format!("expected a date as YYYY-MM-DD, got {}", shown(text.trim()))
                }),
            )),
        }
    }
}
