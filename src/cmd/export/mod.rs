//! `leadscore export LEADS --format csv|xlsx|json|jsonl|html -o OUT`: scores a lead list and
//! writes it where sales teams work, optionally filtered (`--min-tier`, `--recommendation`),
//! cut to a rep's capacity (`--top`), split into one file per territory or owner
//! (`--split-by`), with personal columns left out (`--redact`, the config's `export.personal`),
//! or as the CSV a CRM imports (`--profile`: see `write::profile`). `--breakdown` adds each
//! lead's net value broken down in every format but a profile's (which writes only the columns
//! it names): the columns `score --breakdown` writes, a `breakdown` object in JSON, and on the
//! page the top leads' (`ScoredLead::breakdown`, so every format has the same figures).
//! `--components` likewise adds each economics term's share of return and burden, in money and
//! in its column's units (`model::components`, the figures `score --components` writes): its
//! columns before the breakdown's, a `components` object in JSON, the top leads' on the page.
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

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::OnceLock;

use crate::cli::{ExportArgs, ExportFormat};
use crate::config::ExportSettings;
use crate::economics::write_fixed;
use crate::error::{Error, Result};
use crate::io::ids::{check_rows, IdIndex};
use crate::io::output::StagedDir;
use crate::io::pipeline::{self, Batch};
use crate::io::table::{decode, line_of, parse_number, CsvInput, ReadOptions, Source};
use crate::model::columns::FeatureColumns;
use crate::model::components::Components;
use crate::model::drift::Drift;
use crate::model::registry::Located;
use crate::model::scorer::{ScoredLead, Scorer};
use crate::report::export::{Exported, Written, INDEX_FILE};
use crate::report::score::Summary;
use crate::write::profile::BoundProfile;
use crate::write::{Parts, SCORE_COLUMNS};

mod input;
mod split;
mod writer;

use input::{decimals_of, unprefix, written_decimals, Layout, Plan, SplitBy};
use split::{file_names, refuse_replacing, write_index};
use writer::{check_fits_a_sheet, Target};

/// Money decimals when neither `--decimals` nor a scored file says.
const DEFAULT_DECIMALS: usize = 2;

pub fn run(args: &ExportArgs) -> Result<()> {
    let output = super::output_path(args.output.as_deref());
    let format = format_of(args, output)?;
    check_usage(args, format, output)?;
    let leads = super::leads_path(
        args.leads.as_deref(),
        std::io::stdin().is_terminal(),
        "export",
    )?;
    let rejects = args.skip_invalid.as_deref();
    // A split's -o is a directory, checked by `split::refuse_inside` below.
    let file_output = output.filter(|_| args.split_by.is_none());
    super::check_scoring_paths(&leads, &args.model, file_output, rejects)?;
    if let (Some(dir), Some(_)) = (output, &args.split_by) {
        // The directory is replaced whole: nothing the export reads or writes besides may be in it.
        let rejects: Vec<(&str, &Path)> =
            rejects.map(|p| ("--skip-invalid", p)).into_iter().collect();
        split::refuse_inside(dir, &[("the lead list", &leads)], &rejects)?;
    }
    let settings = ExportSettings::load(args.config.as_deref())?;
    let profile = match &args.profile {
        Some(name) => Some(settings.profile(name)?),
        None => None,
    };
    let (model, located) = crate::model::registry::load(&args.model)?;
    let scorer = Scorer::new(&model)?;
    let components = if args.components {
        Some(super::components_of(&model, &located)?)
    } else {
        None
    };
    let mut input = CsvInput::open(&leads, ReadOptions::on_terminal(args.delimiter))?;
    let layout = Layout::read(&mut input, &model, args.id.as_deref())?;
    let cols = model.locate_features(&input, crate::model::Model::LEAD_LIST)?;
    let profile = match &profile {
        Some(p) => Some(p.bind(input.path(), input.headers())?),
        None => None,
    };
    let plan = Plan::new(args, &settings.personal, &input, &layout, profile.as_ref())?;

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
        components: components.as_ref(),
        today: crate::io::date::today(),
    };
    let mut seen = IdIndex::default();
    let mut kept = Kept::new(plan.top);
    let mut summary = Summary::default();
    let mut rejects = rejects;
    let size = input.size();
    let rows_read = pipeline::run(
        &mut input,
        |rows, checks| {
            if let (true, None, false) = (layout.scored, decimals.get(), rows.is_empty()) {
                let _ = decimals.set(written_decimals(rows, layout.decimal_comma));
            }
            seen.expect_file(rows.first(), size);
            check_rows(ctx.source, layout.id_col, rows, &mut seen, checks)
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
            kept.take(done.kept);
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

    let scored = summary.tiers.iter().sum();
    let written = second_pass(&ctx, format, decimals, groups, output, scored)?;
    if let Some(out) = rejects {
        out.commit()?;
    }
    let exported = Exported {
        format: format.extension(),
        destination: output.map(|p| p.display().to_string()),
        split_by: plan.split_name.clone(),
        filters: plan.filters.clone(),
        redacted: plan.redacted.clone(),
        redacted_features: plan
            .redacted
            .iter()
            .filter(|c| model.feature_specs().iter().any(|f| &f.name == *c))
            .cloned()
            .collect(),
        scored,
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

/// The format asked for, else the one the output's extension names, else CSV (standard
/// output, or a directory with `--split-by`). An extension that names no format, or another
/// format than `--format`, is refused: `-o leads.xls` would otherwise be CSV that Excel
/// complains about.
fn format_of(args: &ExportArgs, output: Option<&Path>) -> Result<ExportFormat> {
    let ext = output
        .filter(|_| args.split_by.is_none())
        .and_then(Path::extension)
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let named = match ext.as_deref() {
        None => None,
        Some("csv") | Some("txt") => Some(ExportFormat::Csv),
        Some("xlsx") => Some(ExportFormat::Xlsx),
        Some("json") => Some(ExportFormat::Json),
        Some("jsonl") | Some("ndjson") => Some(ExportFormat::Jsonl),
        Some("html") | Some("htm") => Some(ExportFormat::Html),
        Some(other) if args.format.is_none() => {
            return Err(Error::Usage(format!(
                "cannot tell the format from \".{other}\" in -o {}: name a .csv, .xlsx, .json, .jsonl or .html file, or pass --format",
                output.map(|p| p.display().to_string()).unwrap_or_default()
            )))
        }
        Some(_) => None,
    };
    match (args.format, named) {
        (Some(f), Some(n))
            if f != n && !(f == ExportFormat::Csv && ext.as_deref() == Some("txt")) =>
        {
            Err(Error::Usage(format!(
                "--format {} but -o {} names a .{} file; make them agree",
                f.extension(),
                output.map(|p| p.display().to_string()).unwrap_or_default(),
                ext.unwrap_or_default()
            )))
        }
        (Some(f), _) => Ok(f),
        (None, Some(n)) => Ok(n),
        (None, None) => Ok(ExportFormat::Csv),
    }
}

/// Flag combinations that cannot work, said before any reading.
fn check_usage(args: &ExportArgs, format: ExportFormat, output: Option<&Path>) -> Result<()> {
    if args.split_by.is_some() && output.is_none() {
        return Err(Error::Usage(
            "--split-by writes one file per value: name the directory with -o DIR".into(),
        ));
    }
    if let (Some(name), true) = (&args.profile, args.breakdown) {
        // A CRM's import maps the columns its profile names, and no others.
        return Err(Error::Usage(format!(
            "--breakdown adds columns, but --profile {name} writes only the columns the profile names; leave out --profile for the breakdown, or --breakdown for the CRM import"
        )));
    }
    if let (Some(name), true) = (&args.profile, args.components) {
        return Err(Error::Usage(format!(
            "--components adds columns, but --profile {name} writes only the columns the profile names; leave out --profile for the components, or --components for the CRM import"
        )));
    }
    if args.profile.is_some() && format != ExportFormat::Csv {
        return Err(Error::Usage(format!(
            "--profile writes the CSV a CRM imports, not {}; leave out --format or write to a .csv file",
            format.extension()
        )));
    }
    if format == ExportFormat::Xlsx && output.is_none() {
        return Err(Error::Usage(
            "a workbook is a binary file: name it with -o leads.xlsx".into(),
        ));
    }
    if let Some(out) = output.filter(|p| p.is_dir() && args.split_by.is_none()) {
        return Err(Error::Usage(format!(
            "-o {} is a directory: name a file, or pass --split-by COLUMN to write one file per value into it",
            out.display()
        )));
    }
    Ok(())
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
    /// `--components`: the model's, checked to exist before reading.
    components: Option<&'a Components>,
    /// The export's day, a profile's `scored_on`.
    today: i64,
}

impl<'a> Ctx<'a> {
    fn decimals(&self) -> usize {
        self.decimals.get().copied().unwrap_or(DEFAULT_DECIMALS)
    }

    /// The parts every file writes after the warnings (`--components`, `--breakdown`).
    fn parts(&self) -> Parts<'a> {
        Parts {
            components: self.components,
            breakdown: self.plan.breakdown,
        }
    }

    /// Scores one row into `lead`, with its id and line; for a scored file, checks that the
    /// model gives the figures the file says.
    fn score(&self, record: &crate::io::records::Record, lead: &mut ScoredLead) -> Result<()> {
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
    fn check_written(&self, record: &crate::io::records::Record, lead: &ScoredLead) -> Result<()> {
        use crate::economics::round_to;
        use crate::model::equation::Role;
        // Compared at the decimals the row was written with (the most among its three
        // figures, since a spreadsheet drops trailing zeros), whatever `--decimals` asks the
        // export to write: the figures the file holds are what must be the model's.
        let fields: Vec<String> = (1..=3)
            .map(|c| decode(&record[c]).trim().to_string())
            .collect();
        let d = fields
            .iter()
            .map(|f| decimals_of(f, self.layout.decimal_comma))
            .max()
            .unwrap_or(0);
        let eq = self.scorer.equation();
        let ret = round_to(lead.total(eq, Role::Return), d);
        let burden = round_to(lead.total(eq, Role::Burden), d);
        let mut ours = String::new();
        let mut theirs = String::new();
        for (i, value) in [ret, burden, ret - burden].into_iter().enumerate() {
            write_fixed(&mut ours, value, d);
            let same = match parse_number(&fields[i], self.layout.decimal_comma) {
                Ok(Some(v)) => {
                    write_fixed(&mut theirs, v, d);
                    theirs == ours
                }
                _ => false,
            };
            if !same {
                return Err(self.mismatch(record, i + 1, &fields[i], &ours));
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

    fn mismatch(
        &self,
        record: &crate::io::records::Record,
        col: usize,
        written: &str,
        ours: &str,
    ) -> Error {
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

    /// The group a lead belongs to: its `--split-by` value, trimmed; a missing-value token
    /// (`n/a`, `-`) is a blank, as in every feature.
    fn group(&self, record: &crate::io::records::Record, lead: &ScoredLead) -> String {
        match self.plan.split {
            Some(SplitBy::Column(col)) => {
                let value = decode(&record[col]);
                let value = value.trim();
                if self.cols.is_missing_value(value) {
                    String::new()
                } else {
                    value.to_string()
                }
            }
            Some(SplitBy::Tier) => lead.tier.as_str().to_string(),
            Some(SplitBy::Recommendation) => lead.recommendation.as_str().to_string(),
            None => String::new(),
        }
    }
}

/// A row kept for the second pass.
struct Row {
    net: f64,
    line: u64,
    record: crate::io::records::Record,
}

/// Highest expected net value first; ties keep input order, so every run gives the same file.
fn by_net(a: &Row, b: &Row) -> std::cmp::Ordering {
    b.net.total_cmp(&a.net).then(a.line.cmp(&b.line))
}

/// One batch of the first pass.
struct Done {
    kept: Vec<(String, Row)>,
    rejects: Vec<u8>,
    summary: Summary,
    error: Option<Error>,
}

fn first_pass(ctx: &Ctx, batch: &mut Batch<Option<Error>>) -> Done {
    let mut done = Done {
        kept: Vec::new(),
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
    let mut unprefixed = crate::io::records::Record::new();
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
            continue;
        }
        done.kept.push((
            ctx.group(record, &lead),
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

/// The rows kept so far, per group.
struct Kept {
    top: Option<usize>,
    /// Per group: how many leads passed the filters, and the best of them so far.
    groups: BTreeMap<String, (u64, Vec<Row>)>,
}

impl Kept {
    fn new(top: Option<u64>) -> Kept {
        Kept {
            top: top.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            groups: BTreeMap::new(),
        }
    }

    fn take(&mut self, rows: Vec<(String, Row)>) {
        for (group, row) in rows {
            let (passed, rows) = self.groups.entry(group).or_default();
            *passed += 1;
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
            .map(|(value, (passed, mut rows))| {
                if let Some(n) = self.top {
                    keep_best(&mut rows, n);
                }
                if keep_order {
                    rows.sort_unstable_by_key(|r| r.line);
                } else {
                    rows.sort_unstable_by(by_net);
                }
                Group {
                    value,
                    passed,
                    rows,
                }
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
    /// Leads of this group that passed the filters (more than `rows` when `--top` cut it).
    passed: u64,
    rows: Vec<Row>,
}

/// Writes every group: to `-o` (or standard output), or with `--split-by` one file per group in
/// a directory that appears whole. Returns what was written, per file.
fn second_pass(
    ctx: &Ctx,
    format: ExportFormat,
    decimals: usize,
    groups: Vec<Group>,
    output: Option<&Path>,
    scored: u64,
) -> Result<Vec<Written>> {
    let total: usize = groups.iter().map(|g| g.rows.len()).sum();
    let progress = Progress::new(total as u64);
    let target = Target {
        ctx,
        format,
        decimals,
        progress: &progress,
        scored,
    };
    let written = match ctx.plan.split {
        None => {
            let group = groups.into_iter().next().unwrap_or(Group {
                value: String::new(),
                passed: 0,
                rows: Vec::new(),
            });
            let totals = target.write(&group, output, false)?;
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
                let totals = target.write(g, Some(&staged.path().join(name)), true)?;
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
    fn the_best_rows_are_kept_in_net_order_and_ties_in_input_order() {
        let row = |net: f64, line: u64| Row {
            net,
            line,
            record: crate::io::records::Record::new(),
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
        let format = |line: &str| {
            let cli = crate::cli::Cli::parse_from(line.split_whitespace());
            match cli.command {
                crate::cli::Command::Export(a) => {
                    format_of(&a, crate::cmd::output_path(a.output.as_deref()))
                        .map_err(|e| e.to_string())
                }
                _ => unreachable!(),
            }
        };
        let ok = |f| Ok::<ExportFormat, String>(f);
        assert_eq!(
            format("leadscore export l.csv -o out.XLSX"),
            ok(ExportFormat::Xlsx)
        );
        assert_eq!(
            format("leadscore export l.csv -o out.jsonl"),
            ok(ExportFormat::Jsonl)
        );
        assert_eq!(
            format("leadscore export l.csv -o page.html"),
            ok(ExportFormat::Html)
        );
        assert_eq!(
            format("leadscore export l.csv -o out.txt"),
            ok(ExportFormat::Csv)
        );
        assert_eq!(format("leadscore export l.csv -o -"), ok(ExportFormat::Csv));
        assert_eq!(format("leadscore export l.csv"), ok(ExportFormat::Csv));
        assert_eq!(
            format("leadscore export l.csv --format xlsx -o out"),
            ok(ExportFormat::Xlsx)
        );
        assert_eq!(
            format("leadscore export l.csv --format json -o out.csv"),
            Err("--format json but -o out.csv names a .csv file; make them agree".into())
        );
        assert!(format("leadscore export l.csv -o out.ods").is_err());
        // A split's -o is a directory: its name says nothing of the format.
        assert_eq!(
            format("leadscore export l.csv --split-by region -o by.region"),
            ok(ExportFormat::Csv)
        );
    }
}
