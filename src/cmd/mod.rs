//! One module per subcommand, each with `pub fn run(args: &XArgs) -> Result<()>`.

pub mod evaluate;
pub mod explain;
pub mod export;
pub mod init;
pub mod models;
pub mod plan;
pub mod retrain;
pub mod score;
pub mod sql;
pub mod train;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::Format;
use crate::error::{Error, Result};
use crate::fit::history::Ledger;
use crate::fit::training::Trained;
use crate::io::output::Output;
use crate::io::table::{decode, line_of, CsvInput, ReadOptions, STDIN_PATH};
use crate::model::columns::FeatureColumns;
use crate::model::equation::Role;
use crate::model::file::Metrics;
use crate::model::registry::{self, Lock, Staging, VersionInfo};
use crate::model::scorer::{ScoredLead, Scorer};
use crate::model::Model;
use crate::report::evaluate::{Evidence, Known};
use crate::report::format::group;
use crate::stats::ErrorSums;
use crate::write::csv::Dialect;

/// Decimals of the money leads are decided on: what `score` writes by default.
const SCORE_DECIMALS: usize = 2;
use crate::stats::evaluation::{normalised_gini_on, Pair};

/// How a command that did not fail ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Did what was asked (exit 0).
    Done,
    /// `retrain` kept the current model: the candidate was not better (exit 3).
    KeptCurrent,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::KeptCurrent => 3,
        }
    }
}

/// A lead list opened for scoring with a model: where its id and the model's features are.
struct Leads {
    input: CsvInput,
    id_col: usize,
    cols: FeatureColumns,
}

/// Opens a lead list and finds its id column (`id`, given with `--id`, else the model's) and the
/// model's features in it, or says which is missing.
/// `id` is the flag that named the id column and the name, when one did.
fn open_leads(
    model: &Model,
    path: &Path,
    opts: ReadOptions,
    id: Option<(&str, &str)>,
) -> Result<Leads> {
    let input = CsvInput::open(path, opts)?;
    let id_col = model.lead_id_column(&input, id)?;
    let cols = model.locate_features(&input, Model::LEAD_LIST)?;
    Ok(Leads {
        input,
        id_col,
        cols,
    })
}

/// A carried input value as a comma-separated copy writes it: a number of a numeric feature
/// read with a decimal comma (`pointed`, see [`FeatureColumns::decimal_comma_numbers`]) with a
/// decimal point and without grouping dots (`6951,94` is `6951.94`, `1.200` is `1200`), digit
/// for digit; anything else as it was.
fn carried_text(text: Cow<'_, str>, pointed: bool) -> Cow<'_, str> {
    if !pointed {
        return text;
    }
    match crate::io::table::renumber(&text, true, false) {
        Cow::Owned(plain) => Cow::Owned(plain),
        Cow::Borrowed(_) => text,
    }
}

/// The lead list to read: the one named, else standard input when something is piped in.
/// `verb` is the command (`score`), for the message when neither is there.
fn leads_path(named: Option<&Path>, stdin_is_terminal: bool, verb: &str) -> Result<PathBuf> {
    match named {
        Some(path) => Ok(path.to_path_buf()),
        None if !stdin_is_terminal => Ok(PathBuf::from(STDIN_PATH)),
        None => Err(Error::Usage(format!(
            "name the lead list to {verb} (a CSV file, or `-` for standard input): `leadscore {verb} leads.csv`"
        ))),
    }
}

/// `-o -` means standard output, as `-` for a lead list means standard input.
fn output_path(named: Option<&Path>) -> Option<&Path> {
    named.filter(|p| *p != Path::new(STDIN_PATH))
}

/// The one path a file named on the command line is, or would be once written, however it is
/// spelt (`./a.csv`, `x/../a.csv`, a symlink): `None` when not even its directory exists.
fn location(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(path.file_name()?))
}

/// Whether two paths are one file: the same device and inode when both exist (so a hard link
/// or a symlink is caught, whatever its name), else the same location. Devices and FIFOs are
/// never "the same file" as anything: writing `/dev/null` twice destroys nothing.
fn same_file(a: &Path, b: &Path) -> bool {
    if a == Path::new(STDIN_PATH) || b == Path::new(STDIN_PATH) {
        return false;
    }
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => {
            if !(ma.is_file() || ma.is_dir()) || !(mb.is_file() || mb.is_dir()) {
                return false;
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                ma.dev() == mb.dev() && ma.ino() == mb.ino()
            }
            #[cfg(not(unix))]
            {
                location(a) == location(b)
            }
        }
        (Err(_), Err(_)) => location(a).is_some() && location(a) == location(b),
        // One exists and the other does not yet: two different files.
        _ => false,
    }
}

/// `score`'s and `export`'s check: neither `-o` nor `--skip-invalid` may be the lead list, the
/// model `--model` names, or each other.
fn check_scoring_paths(
    leads: &Path,
    model: &Path,
    output: Option<&Path>,
    rejects: Option<&Path>,
) -> Result<()> {
    let mut outputs: Vec<(&str, &Path)> = Vec::new();
    outputs.extend(output.map(|p| ("-o", p)));
    outputs.extend(rejects.map(|p| ("--skip-invalid", p)));
    let model_file = crate::model::registry::locate(model)?.file;
    check_paths(
        &[("the lead list", leads), ("the model", &model_file)],
        &outputs,
    )
}

/// Refuses outputs that would replace an input or each other, or that are directories, before
/// anything is read: the lead list or the model named as `-o` or `--skip-invalid`, or the
/// rejects written over the scores. Each output is `(flag, path)`; inputs are `(what it is, path)`.
fn check_paths(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
    for (i, (flag, out)) in outputs.iter().enumerate() {
        // Refused now, not when the finished file is put in place (after scoring every lead).
        if out.is_dir() {
            return Err(Error::Usage(format!(
                "{flag} {} is a directory: name a file to write",
                out.display()
            )));
        }
        for (what, input) in inputs {
            if same_file(out, input) {
                let which = if out == input {
                    format!("{what} itself")
                } else {
                    format!("{what} {} under another name", input.display())
                };
                return Err(Error::Usage(format!(
                    "{flag} {} is {which}; write to another file",
                    out.display()
                )));
            }
        }
        for (other_flag, other) in &outputs[..i] {
            if same_file(other, out) {
                return Err(Error::Usage(if other == out {
                    format!(
                        "{other_flag} and {flag} both name {}; give each its own file",
                        out.display()
                    )
                } else {
                    format!(
                        "{other_flag} {} and {flag} {} are the same file; give each its own",
                        other.display(),
                        out.display()
                    )
                }));
            }
        }
    }
    Ok(())
}

/// Starts a rejects file (`--skip-invalid FILE`): the input's header after `line` and `reason`.
/// Like every CSV leadscore writes, its text cells are formula-safe (`write::formula`).
fn open_rejects(path: &Path, headers: &[String]) -> Result<Output> {
    let mut line = Vec::new();
    Dialect::new(b',').text_record(
        &mut line,
        ["line", "reason"]
            .into_iter()
            .chain(headers.iter().map(String::as_str)),
    );
    let mut out = Output::create(Some(path))?;
    out.write_all(&line)
        .map_err(|e| Error::write(path.display(), e))?;
    Ok(out)
}

/// Appends a row that cannot be scored to a worker's rejects batch: its line, the reason, and
/// the row as read.
fn reject(rejects: &mut Vec<u8>, record: &crate::io::records::Record, err: &Error) {
    let line = line_of(record).to_string();
    let reason = reason_of(err);
    let fields = [Cow::Borrowed(line.as_str()), Cow::Borrowed(reason.as_str())]
        .into_iter()
        .chain(record.iter().map(decode));
    Dialect::new(b',').text_record(rejects, fields);
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

/// Writes a command's report to standard output: `text` renders it for people, JSON carries
/// every figure at full precision for programs.
fn print_report<R: Serialize>(
    report: &R,
    format: Format,
    text: impl FnOnce(&R) -> String,
) -> Result<()> {
    let printed = match format {
        Format::Text => text(report),
        Format::Json => serde_json::to_string_pretty(report).expect("serialisable") + "\n",
    };
    let mut out = std::io::stdout().lock();
    out.write_all(printed.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::write("standard output", e))
}

/// Writes version `n` from `staging`: its record (`version.json`) and report beside the model
/// and history already there, then renames it into place.
fn add_version<R: Serialize>(
    lock: &Lock,
    staging: Staging,
    n: u32,
    mut info: VersionInfo,
    report: &R,
) -> Result<()> {
    info.version = registry::label(n);
    registry::write_json(&staging.path().join(registry::VERSION_FILE), &info)?;
    registry::write_json(&staging.path().join(registry::REPORT_FILE), report)?;
    lock.add(staging, n)
}

/// The normalised Gini of the cross-validated predictions of net value.
fn held_out_gini(trained: &Trained) -> Option<f64> {
    let pairs: Vec<Pair> = trained
        .held_out
        .iter()
        .map(|&(predicted, _, actual)| Pair { predicted, actual })
        .collect();
    normalised_gini_on(&pairs, crate::parallel::threads())
}

/// The customers a model was trained on, as far as `evaluate --holdout` can tell.
pub(crate) enum TrainingIds {
    /// Neither the version's copy of its history nor the file it was trained on (unchanged)
    /// is at hand.
    Unknown,
    /// The ids of the customers it learnt from.
    Known(std::collections::HashSet<String>),
}

impl TrainingIds {
    /// The ids of the history `model` was trained on, read from the first of `candidates` (the
    /// version's kept copy, then the file named in the model) whose SHA-256 is the one the
    /// model records: another file by that name would prove nothing.
    pub(crate) fn of(model: &Model, candidates: &[PathBuf]) -> Result<TrainingIds> {
        let Some(id) = model.config.as_ref().map(|c| c.id.clone()) else {
            return Ok(TrainingIds::Unknown);
        };
        for path in candidates.iter().filter(|p| p.is_file()) {
            let opts = ReadOptions {
                fingerprint: true,
                progress: false,
                ..ReadOptions::default()
            };
            let Ok(mut input) = CsvInput::open(path, opts) else {
                continue;
            };
            let Some(col) = input.headers().iter().position(|h| h.trim() == id) else {
                continue;
            };
            let mut ids = std::collections::HashSet::new();
            let mut record = crate::io::records::Record::new();
            while input.read(&mut record).unwrap_or(false) {
                if let Some(field) = record.get(col) {
                    ids.insert(crate::io::table::trim(&decode(field)).to_string());
                }
            }
            if input.fingerprint().as_deref() == Some(model.training.sha256.as_str()) {
                return Ok(TrainingIds::Known(ids));
            }
        }
        Ok(TrainingIds::Unknown)
    }
}

/// Scores a file of customers the model never saw and compares with what they turned out to be.
pub(crate) fn holdout(model: &Model, path: &Path, opts: ReadOptions) -> Result<Evidence> {
    holdout_checked(model, path, opts, None)
}

/// [`holdout`], saying how many of the customers the model learnt from when `training` is
/// given (`evaluate --holdout`): "never saw" only when checked. `retrain` judges on customers
/// it has checked itself and passes none.
pub(crate) fn holdout_checked(
    model: &Model,
    path: &Path,
    opts: ReadOptions,
    training: Option<&TrainingIds>,
) -> Result<Evidence> {
    let scorer = Scorer::new(model)?;
    let eq = scorer.equation();
    let mut input = CsvInput::open(
        path,
        ReadOptions {
            fingerprint: true,
            ..opts
        },
    )?;
    let cols = model.locate_features(&input, Model::HOLDOUT)?;
    let ledger =
        Ledger::locate(&input, &model.economics)?.with_missing_values(&model.missing_values);
    let (base_r, base_b) = (model.training.mean_return, model.training.mean_burden);
    // Return, burden, net as shown; the same for the mean-only baseline; return and burden
    // before the floors at zero.
    let mut sums = [ErrorSums::default(); 8];
    let mut rows = Vec::new();
    let mut record = crate::io::records::Record::new();
    let mut scored = ScoredLead::default();
    let mut scratch = Vec::new();
    let mut unknown = 0;
    // Customers the model was trained on, when their ids are known.
    let id_col = match training {
        Some(TrainingIds::Known(_)) => model
            .config
            .as_ref()
            .and_then(|c| input.headers().iter().position(|h| h.trim() == c.id)),
        _ => None,
    };
    let mut learnt_from = 0;
    // Each economics term as the model splits it, against the term as it turned out; beside
    // the term's training mean.
    let components = crate::model::components::Components::from_model(model);
    let n_parts = components.as_ref().map_or(0, |c| c.parts.len());
    let mut part_sums = vec![[ErrorSums::default(); 2]; n_parts];
    let (mut parts, mut terms) = (Vec::new(), Vec::new());
    while input.read(&mut record)? {
        let Ok(actual) = ledger.outcome(input.source(), &record, &mut scratch)? else {
            unknown += 1;
            continue;
        };
        scorer.score(input.source(), &cols, &record, SCORE_DECIMALS, &mut scored)?;
        if let (Some(col), Some(TrainingIds::Known(ids))) = (id_col, training) {
            let id = decode(record.get(col).unwrap_or_default());
            learnt_from += usize::from(ids.contains(crate::io::table::trim(&id)));
        }
        let (low, high) = scored.interval.unwrap_or((f64::NAN, f64::NAN));
        let [ret, burden] = [Role::Return, Role::Burden].map(|r| scored.total(eq, r));
        let [ret_floor, burden_floor] = [Role::Return, Role::Burden].map(|r| {
            eq.targets
                .iter()
                .zip(&scored.floors)
                .filter(|(t, _)| t.role == r)
                .map(|(_, f)| f)
                .sum::<f64>()
        });
        let preds = [ret, burden, ret - burden];
        let truth = [actual.lifetime_return, actual.service_burden, actual.net()];
        let means = [base_r, base_b, base_r - base_b];
        for t in 0..3 {
            sums[t].add(truth[t], preds[t]);
            sums[3 + t].add(truth[t], means[t]);
        }
        sums[6].add(truth[0], ret - ret_floor);
        sums[7].add(truth[1], burden - burden_floor);
        if let Some(c) = &components {
            c.split(eq, &scored, &mut parts);
            terms.clear();
            ledger.push_terms(&scratch, &mut terms);
            for (k, s) in part_sums.iter_mut().enumerate() {
                s[0].add(terms[k], parts[k]);
                s[1].add(terms[k], c.parts[k].mean);
            }
        }
        rows.push(Known {
            predicted: ret - burden,
            recommendation: scored.recommendation,
            low,
            high,
            actual: actual.net(),
        });
    }
    input.finish_progress();
    // Judging a model on the customers it learnt from would flatter it; say so rather than
    // print "never saw".
    if input.fingerprint().as_deref() == Some(model.training.sha256.as_str()) {
        return Err(Error::Usage(format!(
            "{} is the file the model was trained on (same SHA-256), so it is no hold-out; use `evaluate --history {}` to cross-validate on it",
            input.path(),
            input.path()
        )));
    }
    if rows.is_empty() {
        return Err(Error::file(
            input.path(),
            "has no row with every outcome filled in; nothing to evaluate against",
        ));
    }
    let metrics = |t: usize| Metrics {
        unfloored_r2: (t < 2).then(|| sums[6 + t].r2()).flatten(),
        ..Metrics::of(&sums[t], &sums[3 + t])
    };
    let mut on = match training {
        Some(TrainingIds::Known(_)) if learnt_from > 0 => format!(
            "{} customers of {}, {} of whom the model (trained on {}) learnt from, which flatters it; `evaluate --history` cross-validates instead",
            group(rows.len()),
            input.path(),
            group(learnt_from),
            model.training.file
        ),
        Some(TrainingIds::Unknown) => format!(
            "{} customers of {}, judged by the model trained on {} (that file is not at hand as it was, so whether the model saw any of them is not checked)",
            group(rows.len()),
            input.path(),
            model.training.file
        ),
        _ => format!(
            "{} customers of {} that the model (trained on {}) never saw",
            group(rows.len()),
            input.path(),
            model.training.file
        ),
    };
    if unknown > 0 {
        let _ = write!(on, "; {} more left out for a blank outcome", group(unknown));
    }
    let mut evidence = Evidence::new(
        on,
        metrics(0),
        metrics(1),
        metrics(2),
        &rows,
        model.interval.map(|i| i.level),
    );
    evidence.components = crate::report::evaluate::ComponentEvidence::all(
        &model.economics,
        part_sums.iter().map(|[m, b]| Metrics::of(m, b)),
    );
    Ok(evidence)
}

/// The model's components (`--components`, `plan`), or an error saying how to get them: a model
/// trained before leadscore predicted each economics term has none.
pub(crate) fn components_of(
    model: &crate::model::file::Model,
    located: &crate::model::registry::Located,
) -> Result<crate::model::components::Components> {
    crate::model::components::Components::from_model(model).ok_or_else(|| {
        Error::file(
            located.file.display(),
            format!(
                "this model was trained by leadscore {} and does not predict each economics term on its own; retrain it (`leadscore train` or `leadscore retrain`) to get components",
                model.tool_version
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_lead_list_reads_a_pipe_but_not_a_terminal() {
        let named = Path::new("leads.csv");
        assert_eq!(leads_path(Some(named), true, "score").unwrap(), named);
        assert_eq!(leads_path(None, false, "score").unwrap(), Path::new("-"));
        assert_eq!(
            leads_path(None, true, "export").unwrap_err().to_string(),
            "name the lead list to export (a CSV file, or `-` for standard input): `leadscore export leads.csv`"
        );
    }
}
