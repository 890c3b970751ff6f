//! `leadscore export LEADS --format csv|xlsx|json|jsonl|html -o OUT`: scores a lead list and
//! writes it where sales teams work, optionally filtered (`--min-tier`, `--recommendation`),
//! cut to a rep's capacity (`--top`), split into one file per territory or owner
//! (`--split-by`), with personal columns left out (`--redact`, the config's `export.personal`),
//! or as the CSV a CRM imports (`--profile`: see `write::profile`).
//!
//! Two passes. The first runs the scoring `pipeline` over the whole list, as `score` does:
//! every input error is found (or set aside with `--skip-invalid`) before anything is written,
//! and each lead that passes the filters is kept as its raw input row with its net value and
//! group. With `--top` a group keeps at most about twice N rows at a time, so capacity-sized
//! exports of huge lists stay small in memory. The second pass sorts each group, re-scores the
//! rows it keeps (scoring is deterministic, so a lead gets exactly the figures the first pass
//! saw) and hands them to the format's writer. Keeping the input rows rather than scored leads
//! costs the input's size, and lets every writer take the one typed [`ScoredLead`].
//!
//! A file that `leadscore score --with-input` wrote is recognised by its columns: the leads
//! are re-scored from their own columns, and every written return, burden, net, tier and
//! recommendation must match what the model gives, so an export never silently mixes the
//! figures of two models.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::OnceLock;

use crate::cli::{ExportArgs, ExportFormat, RecommendationArg, TierArg};
use crate::config::ExportSettings;
use crate::economics::{write_fixed, Recommendation, Tier};
use crate::error::{Error, Result};
use crate::io::ids::{check_row, IdIndex};
use crate::io::output::{Output, StagedDir};
use crate::io::pipeline::{self, Batch};
use crate::io::table::{decode, line_of, CsvInput, ReadOptions, Source, STDIN_PATH};
use crate::model::columns::FeatureColumns;
use crate::model::drift::Drift;
use crate::model::registry::Located;
use crate::model::scorer::{ScoredLead, Scorer};
use crate::model::Model;
use crate::report::export::{Exported, Filters, Written, INDEX_FILE};
use crate::report::score::Summary;
use crate::write::csv::{Cell, CsvWriter, Dialect};
use crate::write::html::{HtmlWriter, PageInfo};
use crate::write::json::{JsonArrayWriter, JsonLinesWriter, JsonRecords};
use crate::write::profile::{BoundProfile, ProfileWriter};
use crate::write::totals::Accumulator;
use crate::write::xlsx::{ModelInfo, XlsxWriter, MAX_LEADS};
use crate::write::{ScoredWriter, SCORE_COLUMNS};

/// The columns of the index after the split column's name.
const INDEX_COLUMNS: [&str; 5] = [
    "file",
    "leads",
    "expected_return",
    "expected_burden",
    "expected_net",
];
/// Money decimals when neither `--decimals` nor a scored file says.
const DEFAULT_DECIMALS: usize = 2;

pub fn run(args: &ExportArgs) -> Result<()> {
    let format = format_of(args);
    check_usage(args, format)?;
    let leads = super::leads_path(
        args.leads.as_deref(),
        std::io::stdin().is_terminal(),
        "export",
    )?;
    if let Some(out) = &args.output {
        refuse_overwriting(out, &leads)?;
    }
    let settings = ExportSettings::load(args.config.as_deref())?;
    let profile = match &args.profile {
        Some(name) => Some(settings.profile(name)?),
        None => None,
    };
    let (model, located) = crate::model::registry::load(&args.model)?;
    let scorer = Scorer::new(&model)?;
    let mut input = CsvInput::open(
        &leads,
        ReadOptions {
            delimiter: args.delimiter,
            progress: std::io::stderr().is_terminal(),
            fingerprint: false,
        },
    )?;
    let layout = Layout::read(&mut input, &model, args.id.as_deref())?;
    let cols = model.locate_features(&input)?;
    let plan = Plan::new(args, &settings.personal, &input, &layout)?;
    let profile = match &profile {
        Some(p) => Some(p.bind(input.path(), input.headers())?),
        None => None,
    };

    let rejects = match &args.skip_invalid {
        Some(path) => Some(super::open_rejects(path, input.headers())?),
        None => None,
    };
    let decimals = OnceLock::new();
    let given = args.decimals.map(usize::from);
    if let Some(d) = given.or(profile.as_ref().and_then(|p| p.profile().number().decimals)) {
        let _ = decimals.set(d);
    }
    let source = input.source().clone();
    let ctx = Ctx {
        scorer: &scorer,
        located: &located,
        cols: &cols,
        source: &source,
        layout: &layout,
        plan: &plan,
        decimals: &decimals,
        profile: profile.as_ref(),
        today: crate::io::date::today(),
    };
    let mut seen = IdIndex::default();
    let mut kept = Kept::new(plan.top);
    let mut summary = Summary::default();
    let mut rejects = rejects;
    let rows_read = pipeline::run(
        &mut input,
        |record| {
            if layout.scored && decimals.get().is_none() {
                let _ = decimals.set(written_decimals(record));
            }
            check_row(ctx.source, layout.id_col, record, &mut seen)
        },
        |batch| first_pass(&ctx, batch),
        |done| {
            if let Some(err) = done.error {
                return Err(err);
            }
            if let Some(out) = &mut rejects {
                out.write_all(&done.rejects)
                    .map_err(|e| Error::write(out.name(), e))?;
            }
            summary.merge(&done.summary);
            kept.take(done.kept, done.filtered);
            Ok(())
        },
    )?;
    input.finish_progress();
    if rows_read == 0 {
        return Err(Error::file(input.path(), "has a header but no rows"));
    }
    let decimals = decimals.get().copied().unwrap_or(DEFAULT_DECIMALS);
    let groups = kept.finish(args.keep_order);
    if format == ExportFormat::Xlsx {
        check_fits_a_sheet(&groups)?;
    }

    let written = second_pass(&ctx, format, decimals, groups, args.output.as_deref())?;
    if let Some(out) = rejects {
        out.commit()?;
    }
    let exported = Exported {
        format: format.extension(),
        destination: args.output.as_ref().map(|p| p.display().to_string()),
        split_by: plan.split_name.clone(),
        filters: plan.filters.clone(),
        redacted: plan.redacted.clone(),
        redacted_features: plan
            .redacted
            .iter()
            .filter(|c| model.feature_specs().iter().any(|f| &f.name == *c))
            .cloned()
            .collect(),
        scored: summary.tiers.iter().sum(),
        written,
    };
    eprint!(
        "{}",
        summary.render(
            &model,
            &located,
            args.skip_invalid.as_ref().map(|p| p.display().to_string()),
            &leads.display().to_string()
        )
    );
    eprint!("{}", exported.render(&model.currency));
    Ok(())
}

/// The format asked for, else the one the output's extension names, else CSV.
fn format_of(args: &ExportArgs) -> ExportFormat {
    if let Some(f) = args.format {
        return f;
    }
    let ext = args
        .output
        .as_deref()
        .filter(|_| args.split_by.is_none())
        .and_then(Path::extension)
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("xlsx") => ExportFormat::Xlsx,
        Some("json") => ExportFormat::Json,
        Some("jsonl") | Some("ndjson") => ExportFormat::Jsonl,
        Some("html") | Some("htm") => ExportFormat::Html,
        _ => ExportFormat::Csv,
    }
}

/// Flag combinations that cannot work, said before any reading.
fn check_usage(args: &ExportArgs, format: ExportFormat) -> Result<()> {
    if args.split_by.is_some() && args.output.is_none() {
        return Err(Error::Usage(
            "--split-by writes one file per value: name the directory with -o DIR".into(),
        ));
    }
    if args.profile.is_some() && format != ExportFormat::Csv {
        return Err(Error::Usage(format!(
            "--profile writes the CSV a CRM imports, not {}; leave out --format or write to a .csv file",
            format.extension()
        )));
    }
    if format == ExportFormat::Xlsx && args.output.is_none() {
        return Err(Error::Usage(
            "a workbook is a binary file: name it with -o leads.xlsx".into(),
        ));
    }
    Ok(())
}

/// Refuses an output that is the lead list itself: the scores would replace the leads.
fn refuse_overwriting(out: &Path, leads: &Path) -> Result<()> {
    if leads == Path::new(STDIN_PATH) {
        return Ok(());
    }
    let same = match (std::fs::canonicalize(out), std::fs::canonicalize(leads)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(Error::Usage(format!(
            "-o {} is the lead list itself; write the export to another file",
            out.display()
        )));
    }
    Ok(())
}

/// Where a lead list's id and carried columns are, and whether it is a scored file.
struct Layout {
    id_col: usize,
    /// Written by `leadscore score --with-input`: columns 1..=10 are its scores.
    scored: bool,
    /// The input columns carried into the export, before redaction, in file order.
    carried: Vec<usize>,
}

impl Layout {
    fn read(input: &mut CsvInput, model: &Model, id: Option<&str>) -> Result<Layout> {
        let headers = input.headers();
        let scored = headers.len() > SCORE_COLUMNS.len()
            && headers[1..=SCORE_COLUMNS.len()]
                .iter()
                .zip(SCORE_COLUMNS)
                .all(|(h, c)| h == c);
        if !scored {
            let id_col = model.lead_id_column(input, id)?;
            let carried = (0..input.headers().len())
                .filter(|&c| c != id_col)
                .collect();
            return Ok(Layout {
                id_col,
                scored,
                carried,
            });
        }
        let first_input = SCORE_COLUMNS.len() + 1;
        if let Some(id) = id.filter(|id| *id != headers[0]) {
            return Err(Error::Usage(format!(
                "{} was written by `leadscore score`: its id is its first column, \"{}\", not \"{id}\"; leave out --id",
                input.path(),
                headers[0]
            )));
        }
        if headers.len() == first_input {
            return Err(Error::file(
                input.path(),
                "holds scores written by `leadscore score` without --with-input, so not the leads' own columns that export re-scores them from; score with --with-input, or export the lead list itself",
            ));
        }
        // `score` wrote an input column whose name a score column has as `input_<name>`: read
        // it under its own name again, and the score column under another.
        for c in first_input..headers.len() {
            let name = &input.headers()[c];
            if let Some(own) = name.strip_prefix("input_") {
                if let Some(s) = SCORE_COLUMNS.iter().position(|s| *s == own) {
                    let own = own.to_string();
                    input.rename_column(s + 1, format!("{own} (scored)"));
                    input.rename_column(c, own);
                }
            }
        }
        Ok(Layout {
            id_col: 0,
            scored,
            carried: (first_input..input.headers().len()).collect(),
        })
    }
}

/// What to keep and how to group it: the flags, resolved against the lead list's columns.
struct Plan {
    /// The carried columns left after redaction, in file order.
    carried: Vec<usize>,
    redacted: Vec<String>,
    split: Option<usize>,
    split_name: Option<String>,
    top: Option<u64>,
    min_tier: Option<Tier>,
    recommendations: Vec<Recommendation>,
    filters: Filters,
    skip_invalid: bool,
}

impl Plan {
    fn new(
        args: &ExportArgs,
        personal: &[String],
        input: &CsvInput,
        layout: &Layout,
    ) -> Result<Plan> {
        let mut redact: Vec<usize> = Vec::new();
        for name in &args.redact {
            let col = input.column(name, "given with --redact")?;
            if col == layout.id_col {
                return Err(Error::Usage(format!(
                    "\"{name}\" is the lead id, which every export needs; to hide it, export with another --id column"
                )));
            }
            redact.push(col);
        }
        // The config's personal columns, where the lead list has them (never its id).
        for name in personal {
            if let Some(col) = input.headers().iter().position(|h| h == name) {
                if col != layout.id_col && !redact.contains(&col) {
                    redact.push(col);
                }
            }
        }
        let split = match &args.split_by {
            Some(name) => {
                let col = input.column(name, "given with --split-by")?;
                if redact.contains(&col) {
                    return Err(Error::Usage(format!(
                        "\"{name}\" is redacted, but --split-by would put its values in the file names"
                    )));
                }
                Some(col)
            }
            None => None,
        };
        let carried = layout
            .carried
            .iter()
            .copied()
            .filter(|c| !redact.contains(c))
            .collect();
        let mut redacted: Vec<String> = Vec::new();
        for &c in &redact {
            let name = input.headers()[c].clone();
            if !redacted.contains(&name) {
                redacted.push(name);
            }
        }
        let min_tier = args.min_tier.map(|t| match t {
            TierArg::A => Tier::A,
            TierArg::B => Tier::B,
            TierArg::C => Tier::C,
            TierArg::D => Tier::D,
        });
        let mut recommendations: Vec<Recommendation> = Vec::new();
        for r in &args.recommendation {
            let r = match r {
                RecommendationArg::Contact => Recommendation::Contact,
                RecommendationArg::Qualify => Recommendation::Qualify,
                RecommendationArg::Skip => Recommendation::Skip,
            };
            if !recommendations.contains(&r) {
                recommendations.push(r);
            }
        }
        Ok(Plan {
            carried,
            redacted,
            split,
            split_name: args.split_by.clone(),
            top: args.top,
            min_tier,
            filters: Filters {
                min_tier: min_tier.map(Tier::as_str),
                recommendations: recommendations.iter().map(|r| r.as_str()).collect(),
                top: args.top,
            },
            recommendations,
            skip_invalid: args.skip_invalid.is_some(),
        })
    }

    /// Whether a scored lead passes `--min-tier` and `--recommendation`.
    fn keeps(&self, lead: &ScoredLead) -> bool {
        self.min_tier.is_none_or(|t| lead.tier <= t)
            && (self.recommendations.is_empty()
                || self.recommendations.contains(&lead.recommendation))
    }
}

/// Everything a worker needs; shared read-only between threads.
struct Ctx<'a> {
    scorer: &'a Scorer<'a>,
    located: &'a Located,
    cols: &'a FeatureColumns,
    source: &'a Source,
    layout: &'a Layout,
    plan: &'a Plan,
    /// Set before the first batch is scored: `--decimals`, or what a scored file was written
    /// with.
    decimals: &'a OnceLock<usize>,
    /// `--profile`, bound to the lead list's header: it takes each lead's whole row.
    profile: Option<&'a BoundProfile>,
    /// The export's day, a profile's `scored_on`.
    today: i64,
}

impl Ctx<'_> {
    fn decimals(&self) -> usize {
        self.decimals.get().copied().unwrap_or(DEFAULT_DECIMALS)
    }

    /// Scores one row into `lead`, with its id and line; for a scored file, checks that the
    /// model gives the figures the file says.
    fn score(&self, record: &csv::ByteRecord, lead: &mut ScoredLead) -> Result<()> {
        self.scorer
            .score(self.source, self.cols, record, self.decimals(), lead)?;
        if self.layout.scored {
            self.check_written(record, lead)?;
        }
        lead.id.clear();
        lead.id.push_str(&decode(&record[self.layout.id_col]));
        lead.line = line_of(record);
        Ok(())
    }

    /// A scored file's return, burden, net, tier and recommendation must be what the model
    /// gives now: else the file came from another model (or was edited), and re-scoring would
    /// silently change the figures a rep has already seen.
    fn check_written(&self, record: &csv::ByteRecord, lead: &ScoredLead) -> Result<()> {
        let d = self.decimals();
        let m = &lead.money;
        let mut ours = String::new();
        let mut theirs = String::new();
        for (col, value) in [(1, m.lifetime_return), (2, m.service_burden), (3, m.net)] {
            write_fixed(&mut ours, value, d);
            let written = decode(&record[col]);
            let written = written.trim();
            let same = match written.parse::<f64>() {
                Ok(v) => {
                    write_fixed(&mut theirs, v, d);
                    theirs == ours
                }
                Err(_) => false,
            };
            if !same {
                return Err(self.mismatch(record, col, written, &ours));
            }
        }
        for (col, value) in [(7, lead.tier.as_str()), (8, lead.recommendation.as_str())] {
            let written = decode(&record[col]);
            if written.trim() != value {
                return Err(self.mismatch(record, col, written.trim(), value));
            }
        }
        Ok(())
    }

    fn mismatch(&self, record: &csv::ByteRecord, col: usize, written: &str, ours: &str) -> Error {
        Error::Field {
            path: self.source.path.clone(),
            line: line_of(record),
            column: SCORE_COLUMNS[col - 1].to_string(),
            problem: format!(
                "the file says \"{written}\", but model {} gives {ours}: the file was scored by another model or edited since; export the lead list itself, or pass --model with the model that scored it",
                self.located.describe()
            ),
        }
    }

    /// The group a row belongs to: its `--split-by` value, trimmed.
    fn group(&self, record: &csv::ByteRecord) -> String {
        match self.plan.split {
            Some(col) => decode(&record[col]).trim().to_string(),
            None => String::new(),
        }
    }
}

/// The decimals a scored file's money was written with: the most after the point among the
/// first row's return, burden and net (a spreadsheet may have dropped trailing zeros).
fn written_decimals(record: &csv::ByteRecord) -> usize {
    (1..=3)
        .filter_map(|c| record.get(c))
        .map(|f| {
            let f = decode(f);
            f.trim().split_once('.').map_or(0, |(_, frac)| frac.len())
        })
        .max()
        .unwrap_or(0)
        .min(9)
}

/// A row kept for the second pass.
struct Row {
    net: f64,
    line: u64,
    record: csv::ByteRecord,
}

/// Highest expected net value first; ties keep input order, so every run gives the same file.
fn by_net(a: &Row, b: &Row) -> std::cmp::Ordering {
    b.net.total_cmp(&a.net).then(a.line.cmp(&b.line))
}

/// One batch of the first pass.
struct Done {
    kept: Vec<(String, Row)>,
    filtered: u64,
    rejects: Vec<u8>,
    summary: Summary,
    error: Option<Error>,
}

fn first_pass(ctx: &Ctx, batch: &mut Batch<Option<Error>>) -> Done {
    let mut done = Done {
        kept: Vec::new(),
        filtered: 0,
        rejects: Vec::new(),
        summary: Summary {
            drift: Drift::new(ctx.scorer.model()),
            ..Summary::default()
        },
        error: None,
    };
    let skip_invalid = ctx.plan.skip_invalid;
    let mut rejects = Vec::new();
    let mut lead = ScoredLead::default();
    let mut unprefixed = csv::ByteRecord::new();
    for (record, problem) in batch.rows[..batch.len].iter().zip(batch.checks.iter_mut()) {
        let record = if ctx.layout.scored {
            unprefix(record, &mut unprefixed);
            &unprefixed
        } else {
            record
        };
        let outcome = match problem.take() {
            Some(e) => Err(e),
            None => ctx.score(record, &mut lead),
        };
        if let Err(err) = outcome {
            if !skip_invalid {
                done.error = Some(err);
                break;
            }
            super::reject(&mut rejects, record, &err);
            done.summary.rejected += 1;
            continue;
        }
        done.summary.add(&lead);
        done.summary.drift.add(&lead, ctx.scorer.model());
        if !ctx.plan.keeps(&lead) {
            done.filtered += 1;
            continue;
        }
        done.kept.push((
            ctx.group(record),
            Row {
                net: lead.money.net,
                line: lead.line,
                record: record.clone(),
            },
        ));
    }
    done.rejects = rejects;
    done
}

/// A row of a file `score` wrote, as the lead list had it: each field without the quote that
/// `score` put before text a spreadsheet would run as a formula (`'-` was the lead list's `-`,
/// a blank).
fn unprefix(record: &csv::ByteRecord, out: &mut csv::ByteRecord) {
    out.clear();
    for field in record {
        let field = match std::str::from_utf8(field) {
            Ok(text) => crate::write::formula::unprefix(text).as_bytes(),
            Err(_) => field,
        };
        out.push_field(field);
    }
    out.set_position(record.position().cloned());
}

/// The rows kept so far, per group.
struct Kept {
    top: Option<usize>,
    groups: BTreeMap<String, Vec<Row>>,
    filtered: u64,
}

impl Kept {
    fn new(top: Option<u64>) -> Kept {
        Kept {
            top: top.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            groups: BTreeMap::new(),
            filtered: 0,
        }
    }

    fn take(&mut self, rows: Vec<(String, Row)>, filtered: u64) {
        self.filtered += filtered;
        for (group, row) in rows {
            let rows = self.groups.entry(group).or_default();
            rows.push(row);
            if let Some(n) = self.top {
                // Cut back to the best N whenever a group reaches twice that: memory stays at
                // about 2N rows a group, and the cost is linear.
                if rows.len() >= n.saturating_mul(2).max(1024) {
                    keep_best(rows, n);
                }
            }
        }
    }

    /// Each group's rows in the order they are written: by net value (or input order with
    /// `keep_order`), cut to `--top`.
    fn finish(self, keep_order: bool) -> Vec<Group> {
        self.groups
            .into_iter()
            .map(|(value, mut rows)| {
                if let Some(n) = self.top {
                    keep_best(&mut rows, n);
                }
                if keep_order {
                    rows.sort_unstable_by_key(|r| r.line);
                } else {
                    rows.sort_unstable_by(by_net);
                }
                Group { value, rows }
            })
            .collect()
    }
}

/// Keeps the `n` rows of highest net value (ties: the earlier line).
fn keep_best(rows: &mut Vec<Row>, n: usize) {
    if rows.len() > n {
        rows.select_nth_unstable_by(n, by_net);
        rows.truncate(n);
    }
}

/// One output file's rows, in the order written.
struct Group {
    value: String,
    rows: Vec<Row>,
}

/// A workbook must fit its sheet: said before any file is written.
fn check_fits_a_sheet(groups: &[Group]) -> Result<()> {
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

/// Writes every group: to `-o` (or standard output), or with `--split-by` one file per group in
/// a directory that appears whole. Returns what was written, per file.
fn second_pass(
    ctx: &Ctx,
    format: ExportFormat,
    decimals: usize,
    groups: Vec<Group>,
    output: Option<&Path>,
) -> Result<Vec<Written>> {
    let total: usize = groups.iter().map(|g| g.rows.len()).sum();
    let progress = Progress::new(total as u64);
    let target = Target {
        ctx,
        format,
        decimals,
        progress: &progress,
    };
    let written = match ctx.plan.split {
        None => {
            let rows = groups
                .into_iter()
                .next()
                .map(|g| g.rows)
                .unwrap_or_default();
            let totals = target.write(&rows, output, None)?;
            vec![Written {
                value: None,
                file: output.map_or_else(|| "standard output".into(), |p| p.display().to_string()),
                totals,
            }]
        }
        Some(_) => {
            let dir = output.expect("checked: --split-by needs -o");
            refuse_replacing(dir)?;
            let staged = StagedDir::beside(dir)?;
            let names = file_names(&groups, format.extension());
            let mut written = Vec::with_capacity(groups.len());
            for (g, name) in groups.iter().zip(&names) {
                let totals =
                    target.write(&g.rows, Some(&staged.path().join(name)), Some(&g.value))?;
                written.push(Written {
                    value: Some(g.value.clone()),
                    file: name.clone(),
                    totals,
                });
            }
            let split_name = ctx.plan.split_name.as_deref().unwrap_or_default();
            write_index(
                &staged.path().join(INDEX_FILE),
                split_name,
                &written,
                decimals,
            )?;
            staged.publish()?;
            written
        }
    };
    progress.finish();
    Ok(written)
}

/// How one file of scored leads is written.
struct Target<'a> {
    ctx: &'a Ctx<'a>,
    format: ExportFormat,
    decimals: usize,
    progress: &'a Progress,
}

impl Target<'_> {
    /// Re-scores `rows` in order and writes them to `path` (standard output when `None`) in the
    /// export's format; returns their totals.
    /// `group` is the `--split-by` value the file holds.
    fn write(
        &self,
        rows: &[Row],
        path: Option<&Path>,
        group: Option<&str>,
    ) -> Result<crate::write::totals::Totals> {
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
        let mut writer = Writer::open(self, path, group, id_name, &carried)?;
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
                serial
                    .write(&lead, &text)
                    .map_err(|e| Error::write(&name, e))?;
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
        let mut csv = (csv && profile.is_none()).then(|| CsvWriter::new(Vec::new(), eq, d));
        let mut records = JsonRecords::new(eq, &self.model_version(), d).with_input(carried);
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(rows.len());
        let mut totals = Accumulator::new(d);
        let mut lead = ScoredLead::default();
        let mut text: Vec<Cow<str>> = Vec::with_capacity(carried.len());
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
            text.extend(ctx.plan.carried.iter().map(|&c| decode(&row.record[c])));
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
const PART_ROWS: usize = 1024;
const PARTS_PER_THREAD: usize = 4;

/// A part of the leads rendered by a worker.
struct Rendered {
    bytes: Vec<u8>,
    /// Where each lead's record ends in `bytes`.
    ends: Vec<usize>,
    totals: Accumulator,
}

/// The writer of one file, in one of the formats. One exists per file written, so the size of
/// its variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Writer<'e> {
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
        id: &str,
        carried: &[&str],
    ) -> Result<Writer<'e>> {
        let ctx = target.ctx;
        let eq = ctx.scorer.equation();
        let d = target.decimals;
        let records = || JsonRecords::new(eq, &target.model_version(), d).with_input(carried);
        Ok(match target.format {
            ExportFormat::Csv => {
                let mut out = Output::create(path)?;
                let header = match ctx.profile {
                    Some(bound) => bound.header_line(),
                    None => {
                        let mut header = Vec::new();
                        Dialect::new(b',')
                            .text_record(&mut header, crate::write::header(id, carried));
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
            ExportFormat::Xlsx => Writer::Xlsx(XlsxWriter::create(
                path.expect("checked: a workbook needs -o"),
                eq,
                d,
                ModelInfo::new(ctx.scorer.model(), ctx.located),
                id,
                carried,
            )?),
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
                    scope: None,
                };
                Writer::Html(HtmlWriter::new(eq, d, info, carried), Output::create(path)?)
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

/// A `--split-by` directory may replace only an earlier export (recognised by its index) or an
/// empty directory: never a directory of other files that `-o` happened to name.
fn refuse_replacing(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "-o {} is a file; --split-by writes a directory",
            dir.display()
        )));
    }
    let empty = std::fs::read_dir(dir)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    let ours = std::fs::read_to_string(dir.join(INDEX_FILE))
        .ok()
        .and_then(|text| {
            text.lines()
                .next()
                .map(|h| h.ends_with(&INDEX_COLUMNS.join(",")))
        })
        .unwrap_or(false);
    if empty || ours {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "-o {} is a directory that is not an earlier export (it has no {INDEX_FILE}); name a new directory",
        dir.display()
    )))
}

/// `index.csv`: one line per file, with the value it holds and its totals.
fn write_index(path: &Path, split: &str, written: &[Written], decimals: usize) -> Result<()> {
    let csv = Dialect::new(b',');
    let mut out = Vec::new();
    csv.text_record(&mut out, [split].into_iter().chain(INDEX_COLUMNS));
    let mut figures = [String::new(), String::new(), String::new()];
    for f in written {
        let t = &f.totals.all;
        write_fixed(&mut figures[0], t.lifetime_return, decimals);
        write_fixed(&mut figures[1], t.service_burden, decimals);
        write_fixed(&mut figures[2], t.net, decimals);
        let value = f.value.as_deref().unwrap_or_default();
        let leads = t.leads.to_string();
        // The value is the split column's text, formula-safe like every text cell.
        csv.record(
            &mut out,
            [
                Cell::Text(value),
                Cell::Text(&f.file),
                Cell::Number(&leads),
                Cell::Number(&figures[0]),
                Cell::Number(&figures[1]),
                Cell::Number(&figures[2]),
            ],
        );
    }
    crate::io::output::write_atomic(path, &out)
}

/// The file name of each group: its value made safe (see [`safe_stem`]), with a short hash of
/// the value added to every name that two values would share (ignoring case, since Windows and
/// macOS do), or that the index itself takes.
fn file_names(groups: &[Group], extension: &str) -> Vec<String> {
    let stems: Vec<String> = groups.iter().map(|g| safe_stem(&g.value)).collect();
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for s in &stems {
        *uses.entry(s.to_lowercase()).or_default() += 1;
    }
    let index_stem = INDEX_FILE.trim_end_matches(".csv");
    groups
        .iter()
        .zip(&stems)
        .map(|(g, stem)| {
            let key = stem.to_lowercase();
            if uses[&key] > 1 || key == index_stem {
                format!("{stem}-{}.{extension}", short_hash(&g.value))
            } else {
                format!("{stem}.{extension}")
            }
        })
        .collect()
}

/// A file name stem from a column value: letters and digits (any script), `-`, `_` and `.`
/// are kept, anything else becomes `_`, so no value can name a path (`../x`, `a/b`, `C:`), a
/// hidden file or a device (`CON`, `nul`); at most 80 characters. A blank value is `blank`.
fn safe_stem(value: &str) -> String {
    const MAX: usize = 80;
    let mut stem = String::new();
    for c in value.chars() {
        let c = if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            c
        } else {
            '_'
        };
        if !(c == '_' && stem.ends_with('_')) {
            stem.push(c);
        }
    }
    let stem: String = stem
        .trim_matches(|c| c == '.' || c == '_')
        .chars()
        .take(MAX)
        .collect();
    let stem = stem.trim_end_matches('.').to_string();
    if stem.is_empty() {
        return "blank".into();
    }
    let device = stem
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = matches!(device.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (device.len() == 4
            && (device.starts_with("COM") || device.starts_with("LPT"))
            && device.as_bytes()[3].is_ascii_digit());
    if reserved {
        format!("{stem}_")
    } else {
        stem
    }
}

/// Eight hex digits of the value's SHA-256: the same on every run and every machine.
fn short_hash(value: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(value.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// A progress bar for the writing pass, on a terminal only.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// Below this many leads writing is over before a bar would help.
    const MIN_LEADS: u64 = 50_000;

    fn new(total: u64) -> Progress {
        if total < Self::MIN_LEADS || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("writing {bar:40} {pos}/{len} leads {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress(Some(bar))
    }

    fn inc(&self, leads: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(leads);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_never_shared() {
        assert_eq!(safe_stem("North East"), "North_East");
        assert_eq!(safe_stem("../../etc/passwd"), "etc_passwd");
        assert_eq!(safe_stem("a/b\\c:d"), "a_b_c_d");
        assert_eq!(safe_stem(".hidden"), "hidden");
        assert_eq!(safe_stem(""), "blank");
        assert_eq!(safe_stem("///"), "blank");
        assert_eq!(safe_stem("CON"), "CON_");
        assert_eq!(safe_stem("com1.txt"), "com1.txt_");
        assert_eq!(safe_stem("Zürich"), "Zürich");
        assert_eq!(safe_stem("x".repeat(200).as_str()).len(), 80);

        let group = |v: &str| Group {
            value: v.into(),
            rows: Vec::new(),
        };
        let groups = [
            group("North"),
            group("north"),
            group("a/b"),
            group("a b"),
            group("index"),
            group("South"),
        ];
        let names = file_names(&groups, "csv");
        assert_eq!(
            names,
            [
                format!("North-{}.csv", short_hash("North")),
                format!("north-{}.csv", short_hash("north")),
                format!("a_b-{}.csv", short_hash("a/b")),
                format!("a_b-{}.csv", short_hash("a b")),
                format!("index-{}.csv", short_hash("index")),
                "South.csv".to_string(),
            ]
        );
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn the_best_rows_are_kept_in_net_order_and_ties_in_input_order() {
        let row = |net: f64, line: u64| Row {
            net,
            line,
            record: csv::ByteRecord::new(),
        };
        let mut rows = vec![
            row(1.0, 2),
            row(5.0, 3),
            row(5.0, 1),
            row(-2.0, 4),
            row(3.0, 5),
        ];
        keep_best(&mut rows, 3);
        rows.sort_unstable_by(by_net);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 3, 5]);
    }

    #[test]
    fn the_format_follows_the_output_name() {
        use clap::Parser;
        let args = |line: &str| {
            let cli = crate::cli::Cli::parse_from(line.split_whitespace());
            match cli.command {
                crate::cli::Command::Export(a) => a,
                _ => unreachable!(),
            }
        };
        assert_eq!(
            format_of(&args("leadscore export l.csv -o out.XLSX")),
            ExportFormat::Xlsx
        );
        assert_eq!(
            format_of(&args("leadscore export l.csv -o out.jsonl")),
            ExportFormat::Jsonl
        );
        assert_eq!(
            format_of(&args("leadscore export l.csv -o page.html")),
            ExportFormat::Html
        );
        assert_eq!(
            format_of(&args("leadscore export l.csv -o out.txt")),
            ExportFormat::Csv
        );
        assert_eq!(
            format_of(&args("leadscore export l.csv --format json -o out.csv")),
            ExportFormat::Json
        );
        assert_eq!(
            format_of(&args("leadscore export l.csv")),
            ExportFormat::Csv
        );
    }
}
