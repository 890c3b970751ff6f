//! Writing one file of an export: re-scoring its rows in order and handing them to the format's
//! writer, text formats rendered on every thread, the workbook and the page lead by lead.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use crate::cli::ExportFormat;
use crate::error::{Error, Result};
use crate::io::output::Output;
use crate::io::table::decode;
use crate::model::scorer::ScoredLead;
use crate::write::csv::{CsvWriter, Dialect};
use crate::write::html::{HtmlWriter, PageInfo};
use crate::write::json::{JsonArrayWriter, JsonLinesWriter, JsonRecords};
use crate::write::profile::ProfileWriter;
use crate::write::totals::Accumulator;
use crate::write::xlsx::{ModelInfo, XlsxWriter, MAX_LEADS};
use crate::write::ScoredWriter;

use super::{Ctx, Group, Progress, Row};

/// How one file of scored leads is written.
pub(super) struct Target<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) format: ExportFormat,
    pub(super) decimals: usize,
    pub(super) progress: &'a Progress,
    /// Leads scored from the list, for each file to say what part of them it holds.
    pub(super) scored: u64,
}

impl Target<'_> {
    /// Re-scores `group`'s rows in order and writes them to `path` (standard output when
    /// `None`) in the export's format; returns their totals. `split`: the file is one of a
    /// `--split-by`.
    pub(super) fn write(
        &self,
        group: &Group,
        path: Option<&Path>,
        split: bool,
    ) -> Result<crate::write::totals::Totals> {
        let rows = &group.rows;
        let split_value = split.then_some(group.value.as_str());
        let ctx = self.ctx;
        let headers = &ctx.source.headers;
        let id_name = headers[ctx.layout.id_col].as_str();
        let carried: Vec<&str> = ctx
            .plan
            .carried
            .iter()
            .map(|&c| headers[c].as_str())
            .collect();
        let name = path.map_or_else(|| "standard output".into(), |p| p.display().to_string());
        let scope = crate::report::export::scope(
            rows.len() as u64,
            group.passed,
            &ctx.plan.filters,
            split_value.map(|v| (ctx.plan.split_name.as_deref().unwrap_or_default(), v)),
            self.scored,
            Path::new(&ctx.source.path)
                .file_name()
                .map_or_else(
                    || ctx.source.path.clone(),
                    |n| n.to_string_lossy().into_owned(),
                )
                .as_str(),
        );
        let mut writer = Writer::open(self, path, split_value, scope, id_name, &carried)?;
        let mut totals = Accumulator::new(self.decimals);
        if let Some(serial) = writer.serial() {
            // A workbook is one zip stream, and a page picks its top leads and dots as they go
            // by: both are written lead by lead on this thread.
            let mut lead = ScoredLead::default();
            let mut text: Vec<Cow<str>> = Vec::with_capacity(carried.len());
            for row in rows {
                ctx.score(&row.record, &mut lead)?;
                text.clear();
                text.extend(ctx.plan.carried.iter().map(|&c| decode(&row.record[c])));
                serial.write(&lead, &text).map_err(|e| match e.kind() {
                    // A lead the format cannot hold (a cell over Excel's limit): the lead
                    // list's problem, for the user to fix, not a failed write.
                    std::io::ErrorKind::InvalidData => Error::file(&ctx.source.path, e.to_string()),
                    _ => Error::write(&name, e),
                })?;
                totals.add(&lead);
                self.progress.inc(1);
            }
        } else {
            // Text formats: workers score and render a window of parts; the parts are written
            // in order, so the bytes do not depend on the thread count, and memory holds one
            // window of output at a time.
            let threads = crate::parallel::threads();
            for window in rows.chunks(PART_ROWS * PARTS_PER_THREAD * threads) {
                let parts: Vec<&[Row]> = window.chunks(PART_ROWS).collect();
                let rendered = crate::parallel::map_parts(parts.len(), threads, |i| {
                    self.render(parts[i], &carried)
                });
                for part in rendered {
                    let part = part?;
                    writer
                        .put_rendered(&part.bytes, &part.ends)
                        .map_err(|e| Error::write(&name, e))?;
                    totals.merge(&part.totals);
                    self.progress.inc(part.ends.len() as u64);
                }
            }
        }
        writer.finish(&name)?;
        Ok(totals.totals())
    }

    /// Scores `rows` and renders them in a text format: the bytes, where each lead's record
    /// ends, and their totals.
    fn render(&self, rows: &[Row], carried: &[&str]) -> Result<Rendered> {
        let ctx = self.ctx;
        let eq = ctx.scorer.equation();
        let d = self.decimals;
        let csv = self.format == ExportFormat::Csv;
        let mut profile = ctx
            .profile
            .filter(|_| csv)
            .map(|bound| ProfileWriter::new(Vec::new(), eq, bound, d, ctx.today));
        let parts = ctx.parts();
        let mut csv = (csv && profile.is_none()).then(|| {
            CsvWriter::new(Vec::new(), eq, d)
                .with_components(parts.components)
                .with_breakdown(parts.breakdown)
        });
        let mut records = JsonRecords::new(eq, &self.model_version(), d)
            .with_input(carried)
            .with_components(parts.components)
            .with_breakdown(parts.breakdown);
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(rows.len());
        let mut totals = Accumulator::new(d);
        let mut lead = ScoredLead::default();
        let mut text: Vec<Cow<str>> = Vec::with_capacity(carried.len());
        // A CSV is comma-separated: numbers a decimal comma wrote are carried with a point, as
        // `score --with-input` carries them, so the file reads back (JSON keeps them as given).
        let numbers = match &csv {
            Some(_) => ctx.cols.decimal_comma_numbers(),
            None => Vec::new(),
        };
        for row in rows {
            ctx.score(&row.record, &mut lead)?;
            text.clear();
            // Writing to memory cannot fail.
            if let Some(w) = &mut profile {
                // A profile takes the whole row and picks the columns it names.
                text.extend(row.record.iter().map(decode));
                let _ = w.write(&lead, &text);
                ends.push(w.get_ref().len());
                totals.add(&lead);
                continue;
            }
            text.extend(
                ctx.plan.carried.iter().map(|&c| {
                    crate::cmd::carried_text(decode(&row.record[c]), numbers.contains(&c))
                }),
            );
            match &mut csv {
                Some(w) => {
                    let _ = w.write(&lead, &text);
                    let _ = w.flush();
                    ends.push(w.get_ref().len());
                }
                None => {
                    records.render(&mut bytes, &lead, &text);
                    ends.push(bytes.len());
                }
            }
            totals.add(&lead);
        }
        if let Some(w) = profile {
            bytes = w.into_inner().unwrap_or_default();
        }
        if let Some(w) = csv {
            bytes = w.into_inner().unwrap_or_default();
        }
        Ok(Rendered {
            bytes,
            ends,
            totals,
        })
    }

    fn model_version(&self) -> String {
        let located = self.ctx.located;
        located.version.clone().unwrap_or_else(|| {
            located.file.file_name().map_or_else(
                || located.file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
    }
}

/// Leads a worker renders at a time, and parts in flight per thread: a few thousand leads of
/// output in memory per thread (a JSON record is about 1 KB).
pub(super) const PART_ROWS: usize = 1024;
pub(super) const PARTS_PER_THREAD: usize = 4;

/// A part of the leads rendered by a worker.
pub(super) struct Rendered {
    pub(super) bytes: Vec<u8>,
    /// Where each lead's record ends in `bytes`.
    pub(super) ends: Vec<usize>,
    pub(super) totals: Accumulator,
}

/// The writer of one file, in one of the formats. One exists per file written, so the size of
/// its variants does not matter.
#[allow(clippy::large_enum_variant)]
pub(super) enum Writer<'e> {
    /// Rows rendered by [`CsvWriter`]s (or a profile's [`ProfileWriter`]s) on the workers,
    /// after the header.
    Csv(Output),
    Json(JsonArrayWriter<'e, Output>),
    Jsonl(JsonLinesWriter<'e, Output>),
    Xlsx(XlsxWriter<'e>),
    /// The page is rendered when finished, into its output.
    Html(HtmlWriter<'e>, Output),
}

impl<'e> Writer<'e> {
    fn open(
        target: &Target<'e>,
        path: Option<&Path>,
        group: Option<&str>,
        scope: Option<String>,
        id: &str,
        carried: &[&str],
    ) -> Result<Writer<'e>> {
        let ctx = target.ctx;
        let eq = ctx.scorer.equation();
        let d = target.decimals;
        let parts = ctx.parts();
        let records = || {
            JsonRecords::new(eq, &target.model_version(), d)
                .with_input(carried)
                .with_components(parts.components)
                .with_breakdown(parts.breakdown)
        };
        Ok(match target.format {
            ExportFormat::Csv => {
                let mut out = Output::create(path)?;
                let header = match ctx.profile {
                    Some(bound) => bound.header_line(),
                    None => {
                        // `score --components --breakdown`'s columns, in the same place.
                        let mut header = Vec::new();
                        Dialect::new(b',').text_record(
                            &mut header,
                            crate::write::header_with(id, &parts.columns(eq), carried),
                        );
                        header
                    }
                };
                out.write_all(&header)
                    .map_err(|e| Error::write(out.name(), e))?;
                Writer::Csv(out)
            }
            ExportFormat::Json => {
                Writer::Json(JsonArrayWriter::new(Output::create(path)?, records()))
            }
            ExportFormat::Jsonl => {
                Writer::Jsonl(JsonLinesWriter::new(Output::create(path)?, records()))
            }
            ExportFormat::Xlsx => {
                let book = XlsxWriter::create(
                    path.expect("checked: a workbook needs -o"),
                    eq,
                    d,
                    ModelInfo::new(ctx.scorer.model(), ctx.located),
                    id,
                    carried,
                    parts,
                )?
                .with_decimal_comma(ctx.layout.decimal_comma);
                Writer::Xlsx(match scope {
                    Some(scope) => book.with_scope(scope),
                    None => book,
                })
            }
            ExportFormat::Html => {
                let file = Path::new(&ctx.source.path);
                let mut title = format!(
                    "Scored leads: {}",
                    file.file_name()
                        .map_or(file.as_os_str(), |n| n)
                        .to_string_lossy()
                );
                // Pages of a split say whose they are: "Scored leads: leads.csv, region north".
                if let (Some(value), Some(column)) = (group, ctx.plan.split_name.as_deref()) {
                    let value = if value.is_empty() { "(blank)" } else { value };
                    title.push_str(&format!(", {column} {value}"));
                }
                let info = PageInfo {
                    title,
                    leads_file: ctx.source.path.clone(),
                    generated_on: crate::io::date::format_days(ctx.today),
                    model: ModelInfo::new(ctx.scorer.model(), ctx.located),
                    scope,
                };
                Writer::Html(
                    HtmlWriter::new(eq, d, info, carried)
                        .with_components(parts.components)
                        .with_breakdown(parts.breakdown),
                    Output::create(path)?,
                )
            }
        })
    }

    /// The writer to feed scored leads one by one, for formats that cannot take rendered
    /// parts.
    fn serial(&mut self) -> Option<&mut dyn ScoredWriter> {
        match self {
            Writer::Xlsx(w) => Some(w),
            Writer::Html(w, _) => Some(w),
            Writer::Csv(_) | Writer::Json(_) | Writer::Jsonl(_) => None,
        }
    }

    /// Writes a rendered part: `bytes`, whose records end at `ends`.
    fn put_rendered(&mut self, bytes: &[u8], ends: &[usize]) -> std::io::Result<()> {
        let each = |put: &mut dyn FnMut(&[u8]) -> std::io::Result<()>| {
            let mut start = 0;
            for &end in ends {
                put(&bytes[start..end])?;
                start = end;
            }
            Ok(())
        };
        match self {
            Writer::Csv(out) => out.write_all(bytes),
            Writer::Json(w) => each(&mut |r| w.write_rendered(r)),
            Writer::Jsonl(w) => each(&mut |r| w.write_rendered(r)),
            Writer::Xlsx(_) => Err(std::io::Error::other(
                "a workbook is written lead by lead, not from rendered text",
            )),
            Writer::Html(..) => Err(std::io::Error::other(
                "a page is written lead by lead, not from rendered text",
            )),
        }
    }

    /// Completes the file and puts it in place.
    fn finish(self, name: &str) -> Result<()> {
        let fail = |e| Error::write(name, e);
        match self {
            Writer::Csv(out) => out.commit(),
            Writer::Json(w) => w.finish().map_err(fail)?.commit(),
            Writer::Jsonl(w) => w.finish().map_err(fail)?.commit(),
            Writer::Xlsx(w) => w.finish().map(|_| ()),
            Writer::Html(w, mut out) => {
                w.finish(&mut out).map_err(fail)?;
                out.commit()
            }
        }
    }
}

/// A workbook must fit its sheet: said before any file is written.
pub(super) fn check_fits_a_sheet(groups: &[Group]) -> Result<()> {
    for g in groups {
        if g.rows.len() > MAX_LEADS as usize {
            return Err(Error::Usage(format!(
                "{} leads{} do not fit one Excel sheet (at most {}); pass --top, --split-by, or --format csv",
                crate::report::format::group(g.rows.len()),
                if g.value.is_empty() { String::new() } else { format!(" for \"{}\"", g.value) },
                crate::report::format::group(MAX_LEADS as usize)
            )));
        }
    }
    Ok(())
}
