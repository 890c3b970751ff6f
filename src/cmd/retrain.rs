//! `leadscore retrain --history NEW.csv ...`: merge new customers into the history the current
//! model learnt from (its version's own copy, checked by its SHA-256; see `base_history`), train a
//! candidate with the current model's settings, judge both on the same holdout (the most
//! recently won customers, or a seeded random share), and promote the candidate only if it is
//! not worse beyond the config's tolerance. Made to run unattended: it takes the registry's lock,
//! writes a version only when complete, and its exit code says what happened (0 promoted, 3 kept
//! the current model, 1 failed, 2 bad input). The report is in `report::retrain`.

use std::path::{Path, PathBuf};

use crate::cli::RetrainArgs;
use crate::config::Config;
use crate::economics::Economics;
use crate::error::{Error, Result};
use crate::fit::history::History;
use crate::fit::merge;
use crate::fit::training;
use crate::io::table::ReadOptions;
use crate::model::equation::{compare_levels, Equation};
use crate::model::file::MODEL_FILE;
use crate::model::registry::{
    label, parse_label, JudgedAgainst, Located, Registry, VersionInfo, HISTORY_FILE,
};
use crate::model::Model;
use crate::report::retrain::{Decision, Figures, RetrainReport, Unchanged};
use crate::report::train::{SavedVersion, TrainReport};

/// The comparison report kept in each version a retrain made.
const RETRAIN_FILE: &str = "retrain.json";
use super::Outcome;

/// Below this many holdout customers the current model never saw, both are judged on the whole
/// holdout (with a note) rather than on too few to tell them apart.
const MIN_JUDGED: usize = 30;

pub fn run(args: &RetrainArgs) -> Result<Outcome> {
    let registry = Registry::new(&args.models);
    // Taking the lock would create a mistyped directory; retrain needs a current model anyway.
    if !args.models.is_dir() {
        return Err(Error::file(
            args.models.display(),
            "no such models directory; train a model into it with `leadscore train --history FILE --models DIR`",
        ));
    }
    // Held from before the current model is read until the pointer is swapped, so two
    // retrains never interleave and never both compare against the same current model.
    let lock = match args.dry_run {
        true => None,
        false => Some(registry.lock(!args.no_wait, "retrain")?),
    };
    let (current, located) = crate::model::registry::load(&args.models).map_err(|e| match e {
        Error::File { path, problem } if problem.starts_with("no model here") => Error::file(
            path,
            "no current model to compare with; train one first with `leadscore train --history FILE`",
        ),
        e => e,
    })?;
    let current_label = located.describe();
    let (config, settings, config_file) = settings(args, &current, &current_label)?;
    same_money(&config, &config_file, &current, &current_label)?;

    let opts = ReadOptions::on_terminal(args.delimiter);
    let kept = kept_history(&config, &args.models);
    let base = base_history(args, &registry, &kept, &current, &located)?;
    // Each new file is read as a history first, so a bad value is reported at its own file,
    // line and column, before anything is merged or written.
    for path in &args.history {
        History::read_batch(path, &config, opts)?;
    }
    let merged = merge::merge(
        base.as_ref().map(|b| (b.path.as_path(), b.delimiter)),
        &args.history,
        &config,
        opts,
    )?;
    // Hashed before it was read: a file replaced in between would be merged into unchecked.
    if let (Some(b), Some(read)) = (&base, &merged.base) {
        if read.sha256 != b.sha256 {
            return Err(b.not_found(&[(&b.path, "has changed since")]));
        }
    }
    // A quiet month, or the same export twice: nothing to learn, so nothing is written and the
    // current model stays, which is a success for a scheduler. `--force` trains and promotes a
    // candidate all the same (after a change of settings, say), as it promises.
    let nothing_new = merged.files.iter().all(|f| f.new == 0 && f.updated == 0);
    if merged.base.is_some() && nothing_new && !args.force {
        let unchanged = Unchanged {
            files: merged.files.clone(),
            current: current_label.clone(),
            config: args.config.as_ref().map(|c| c.display().to_string()),
        };
        super::print_report(&unchanged, args.format, Unchanged::render)?;
        return Ok(Outcome::Done);
    }
    if merged.rows.len() < 10 {
        return Err(Error::Data(format!(
            "the merged history has {}; too few to hold some out and still learn",
            crate::report::format::counted(merged.rows.len(), "customer")
        )));
    }

    // Everything is written into a staging directory that becomes the version in one rename;
    // a dry run stages in a temporary directory that is removed.
    let now = crate::io::date::timestamp();
    let (staging, scratch) = match &lock {
        Some(lock) => (Some(lock.stage()?), None),
        None => (
            None,
            Some(tempfile::tempdir().map_err(|e| Error::write("a temporary directory", e))?),
        ),
    };
    let dir: &Path = match (&staging, &scratch) {
        (Some(s), _) => s.path(),
        (_, Some(t)) => t.path(),
        _ => unreachable!("one of them is set"),
    };
    let all: Vec<usize> = (0..merged.rows.len()).collect();
    let history_file = dir.join(HISTORY_FILE);
    merged.write(&history_file, &all)?;
    // Read whole before anything is fitted: every merged row is checked (a problem is said of
    // the file it came from), and a customer whose outcome is blank is known, which neither
    // model can be judged on.
    let full = History::read(&history_file, &config, merged.read_options(opts.progress))
        .map_err(|e| merged.blame(e, &history_file, &all))?;
    let blank: rustc_hash::FxHashSet<&str> = full.excluded.iter().map(|e| e.id.as_str()).collect();
    let judgeable = |r: &usize| !blank.contains(merged.id(*r));

    let split = merged.split(config.retrain.holdout, config.model.seed);
    // Holdout customers the current model was trained on flatter it. When enough others are
    // left, both models are judged on those only, and the seen ones train the candidate too,
    // so neither is judged on a customer it learnt from.
    let base_is_currents = merged
        .base
        .as_ref()
        .is_some_and(|b| b.sha256 == current.training.sha256);
    let seen: Vec<usize> = split
        .holdout
        .iter()
        .copied()
        .filter(|&r| base_is_currents && merged.in_base[r])
        .collect();
    let unseen: Vec<usize> = split
        .holdout
        .iter()
        .copied()
        .filter(|r| !seen.contains(r))
        .collect();
    let set_aside =
        !seen.is_empty() && unseen.iter().filter(|r| judgeable(r)).count() >= MIN_JUDGED;
    let (train_rows, held) = if set_aside {
        let mut train = split.train.clone();
        train.extend(&seen);
        train.sort_unstable();
        (train, unseen)
    } else {
        (split.train.clone(), split.holdout.clone())
    };
    // A holdout customer with a blank outcome has nothing to compare a prediction with.
    let (judged_rows, blank_rows): (Vec<usize>, Vec<usize>) =
        held.iter().copied().partition(judgeable);
    if judged_rows.is_empty() {
        return Err(Error::Data(format!(
            "none of the {} holdout customers, {}, has every outcome filled in, so neither model can be judged on them; fill in their outcomes, or leave out the customers whose outcomes are not known yet",
            crate::report::format::group(held.len()),
            split.how.chosen
        )));
    }
    let (train_file, holdout_file) = (dir.join(".train.csv"), dir.join(".holdout.csv"));
    merged.write(&train_file, &train_rows)?;
    merged.write(&holdout_file, &judged_rows)?;
    let quiet = merged.read_options(false);
    let part = History::read(&train_file, &config, quiet)
        .map_err(|e| merged.blame(e, &train_file, &train_rows))?;
    let trained = training::train(&part, &config)?;
    let gate_model = crate::fit::build::model(&part, &config, &config_file, &trained);
    let judge = |model: &Model| {
        super::holdout(model, &holdout_file, quiet)
            .map_err(|e| merged.blame(e, &holdout_file, &judged_rows))
    };
    let (judged_current, judged_candidate) = (judge(&current)?, judge(&gate_model)?);
    let (current_figures, candidate_figures) = (
        Figures::new(&judged_current),
        Figures::new(&judged_candidate),
    );
    let decision = gate(
        args.force,
        &config,
        &current,
        &current_figures,
        &candidate_figures,
    );
    let seen_by_current = base_is_currents.then_some(seen.len());
    let range = merged.date_range(0..merged.rows.len());
    let mut report = RetrainReport {
        currency: config.economics.currency.clone(),
        dry_run: args.dry_run,
        models: args.models.display().to_string(),
        kept_history: kept.display().to_string(),
        base: merged.base.clone(),
        files: merged.files.clone(),
        customers: merged.rows.len(),
        first_won: range.as_ref().map(|r| r.0.clone()),
        last_won: range.map(|r| r.1),
        settings,
        current: current_label.clone(),
        candidate_customers: part.rows(),
        holdout: split.how.clone(),
        judged: judged_rows.len(),
        blank_outcomes: blank_rows.len(),
        seen_by_current,
        set_aside,
        left_out: Vec::new(),
        refit_customers: 0,
        warnings: Vec::new(),
        current_figures,
        candidate_figures,
        moved: Vec::new(),
        added_levels: Vec::new(),
        dropped_levels: Vec::new(),
        decision: decision.clone(),
        saved: None,
        previous_history: None,
        exit_code: if decision.promote { 0 } else { 3 },
    };
    let outcome = match decision.promote {
        true => Outcome::Done,
        false => Outcome::KeptCurrent,
    };
    // The version kept is refit on every customer: the holdout is the most recent market. A
    // dry run refits too, so the effects it reports are the ones the real run would report
    // (the candidate judged on the holdout learnt from fewer customers).
    for f in [&train_file, &holdout_file] {
        std::fs::remove_file(f).map_err(|e| Error::write(f.display(), e))?;
    }
    let refit = training::train(&full, &config)?;
    let mut model = crate::fit::build::model(&full, &config, &config_file, &refit);
    model.training.file = kept.display().to_string();
    effects(&mut report, &current, &model)?;
    report.refit_customers = full.rows();
    // Named where the user can find them: the file and line each row came from.
    let row_of: rustc_hash::FxHashMap<&str, usize> = (0..merged.rows.len())
        .filter(|r| !judgeable(r))
        .map(|r| (merged.id(r), r))
        .collect();
    report.left_out = full
        .excluded
        .iter()
        .map(|e| match row_of.get(e.id.as_str()) {
            Some(&r) => {
                let (file, line) = merged.source_of(r);
                format!("{} ({file}:{line}, {})", e.id, e.column)
            }
            None => format!("{} (line {}, {})", e.id, e.line, e.column),
        })
        .collect();
    if args.fresh && full.rows() < current.training.rows_used {
        report.warnings.push(format!(
            "--fresh started the history from these files alone: {} against the {} the current model learnt from; if that was not meant, pass the full history too",
            crate::report::format::counted(full.rows(), "customer"),
            crate::report::format::group(current.training.rows_used)
        ));
    }
    if let Some(note) = config_changed(args, &current, &config) {
        report.warnings.push(note);
    }
    if let Some(note) = kept_elsewhere(args, &kept, base.as_ref()) {
        report.warnings.push(note);
    }
    let (Some(lock), Some(staging)) = (lock, staging) else {
        super::print_report(&report, args.format, RetrainReport::render)?;
        return Ok(outcome);
    };
    model.save_unlocked(&staging.path().join(MODEL_FILE))?;
    // The model of the layout before the registry becomes v0001 only now, when nothing is left
    // that can fail for the input's sake: a retrain that fails leaves the models as they were.
    lock.import_legacy(&now)?;
    let judged_against = lock.registry().pointer()?.map(|p| JudgedAgainst::of(&p));
    let n = lock.next_version()?;
    let info = VersionInfo {
        version: String::new(),
        created_at: model.created_at.clone(),
        made_by: "retrain".into(),
        customers: full.rows(),
        first_won: report.first_won.clone(),
        last_won: report.last_won.clone(),
        measured_on: format!(
            "holdout of {} {}",
            crate::report::format::counted(judged_rows.len(), "customer"),
            split.how.chosen
        ),
        mae_net: Some(report.candidate_figures.net_value.mae),
        gini: report.candidate_figures.normalised_gini,
        decision: if decision.promote {
            "promoted"
        } else {
            "kept back"
        }
        .into(),
        reason: decision.reason.clone(),
        history_sha256: Some(full.sha256.clone()),
        history_delimiter: Some(char::from(merged.delimiter)),
        judged_against,
    };
    report.saved = Some(SavedVersion {
        version: label(n),
        current: decision.promote,
        replaced: decision.promote.then(|| located.version.clone()).flatten(),
    });
    // Beside the model: its own training report, and the comparison that decided its fate.
    let file = lock.registry().version_dir(n).join(MODEL_FILE);
    let mut trained_report = TrainReport::new(&full, &refit, &model, &file.display().to_string());
    trained_report.version = report.saved.clone();
    // Read from the staging directory, whose name is random; the version's own copy is what
    // it was trained on.
    trained_report.data.file = lock
        .registry()
        .version_dir(n)
        .join(HISTORY_FILE)
        .display()
        .to_string();
    crate::model::registry::write_json(&staging.path().join(RETRAIN_FILE), &report)?;
    super::add_version(&lock, staging, n, info, &trained_report)?;

    // The kept history: the one before is kept beside it, then the new one swapped in. Each
    // step is one rename, so a reader finds the old history or the new one, never a mix.
    let snapshot = lock.registry().version_dir(n).join(HISTORY_FILE);
    if let Some(parent) = kept.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::write(parent.display(), e))?;
    }
    // What a retrain killed in the middle of these renames left (only the lock holder
    // replaces these two files).
    let previous = previous_path(&kept);
    for f in [&kept, &previous] {
        crate::io::output::remove_replace_leftovers(f)?;
    }
    if kept.is_file() {
        crate::io::output::replace_atomic(&kept, &previous)?;
        report.previous_history = Some(previous.display().to_string());
    }
    crate::io::output::replace_atomic(&snapshot, &kept)?;
    if decision.promote {
        lock.set_current(n, &now, &decision.reason)?;
    }
    super::print_report(&report, args.format, RetrainReport::render)?;
    Ok(outcome)
}

/// A note when the config file the current model was trained with has changed since, but the
/// candidate was trained with the stored settings (no `--config`): edits there are not used
/// until passed.
fn config_changed(args: &RetrainArgs, current: &Model, used: &Config) -> Option<String> {
    if args.config.is_some() {
        return None;
    }
    let file = &current.config.as_ref()?.file;
    let now = Config::load(Path::new(file)).ok()?;
    (now != *used).then(|| {
        format!(
            "{file} has changed since the current model was trained; the candidate used the settings stored with it. To use the file as it is now, pass --config {file} (its economics must be the same)"
        )
    })
}

/// The config to train the candidate with: `--config`, else the one the current model was
/// trained with. Returns it, how the report names it, and the file name the model records.
fn settings(args: &RetrainArgs, current: &Model, label: &str) -> Result<(Config, String, String)> {
    if let Some(path) = &args.config {
        let shown = path.display().to_string();
        return Ok((Config::load(path)?, shown.clone(), shown));
    }
    match &current.config {
        Some(stored) => Ok((
            stored.to_config(&current.economics, &current.missing_values),
            format!("the settings of {} (from {})", short(label), stored.file),
            stored.file.clone(),
        )),
        None => Err(Error::Usage(format!(
            "{label} does not record the config it was trained with (an earlier leadscore trained it); pass --config"
        ))),
    }
}

/// Candidate and current must predict the same money, in the same currency, for the same
/// customers, or comparing them on one holdout means nothing. The error names the config file
/// and the first difference, so it can be fixed or a fresh model trained knowingly.
fn same_money(config: &Config, file: &str, current: &Model, label: &str) -> Result<()> {
    let (new, old) = (&config.economics, &current.economics);
    let differs = if new.currency != old.currency {
        Some(format!(
            "currency is {}, but {label} was trained with {}",
            new.currency, old.currency
        ))
    } else if new != old {
        Some(term_difference(new, old, label))
    } else if config.id != current.id_column {
        Some(format!(
            "columns.id is \"{}\", but {label} was trained with \"{}\"",
            config.id, current.id_column
        ))
    } else {
        None
    };
    match differs {
        Some(what) => Err(Error::file(
            file,
            format!("{what}; the candidate and the current model would not predict the same money, so train a fresh model with `leadscore train` instead of retraining"),
        )),
        None => Ok(()),
    }
}

/// The first term of `[economics]` that differs between the config (`new`) and the model.
fn term_difference(new: &Economics, old: &Economics, label: &str) -> String {
    let sides = [
        ("return", &new.lifetime_return, &old.lifetime_return),
        ("burden", &new.service_burden, &old.service_burden),
    ];
    for (side, terms, trained) in sides {
        for t in terms.iter() {
            match trained.iter().find(|o| o.name == t.name) {
                None => {
                    return format!(
                        "economics.{side} has a term \"{}\" that {label} was trained without",
                        t.name
                    )
                }
                Some(o) if o.rate != t.rate => {
                    return format!(
                        "economics.{side} term \"{}\" has rate {}, but {label} was trained with rate {}",
                        t.name, t.rate, o.rate
                    )
                }
                Some(o) if o != t => {
                    return format!(
                        "economics.{side} term \"{}\" differs in its column, times or allow_negative from the one {label} was trained with",
                        t.name
                    )
                }
                Some(_) => {}
            }
        }
        if let Some(o) = trained
            .iter()
            .find(|o| !terms.iter().any(|t| t.name == o.name))
        {
            return format!(
                "economics.{side} has no term \"{}\", but {label} was trained with one",
                o.name
            );
        }
    }
    format!("[economics] differs from what {label} was trained with (the order of its terms)")
}

/// Where the merged history is kept: `retrain.history` in the config, else
/// `data/history.csv` beside the models directory.
fn kept_history(config: &Config, models: &Path) -> PathBuf {
    match &config.retrain.history {
        Some(p) => PathBuf::from(p),
        None => {
            let parent = models.parent().unwrap_or(Path::new(""));
            parent.join("data").join("history.csv")
        }
    }
}

/// `data/history.previous.csv` for `data/history.csv`.
fn previous_path(kept: &Path) -> PathBuf {
    let stem = kept
        .file_stem()
        .map_or("history".into(), |s| s.to_string_lossy().into_owned());
    let name = match kept.extension() {
        Some(ext) => format!("{stem}.previous.{}", ext.to_string_lossy()),
        None => format!("{stem}.previous"),
    };
    kept.with_file_name(name)
}

/// The history a retrain merges into: what the current model's line learnt from.
struct BaseHistory {
    path: PathBuf,
    /// As its version recorded it; sniffed from the header when it did not.
    delimiter: Option<u8>,
    /// What its model recorded: the file must be exactly what the model learnt from.
    sha256: String,
    /// The version whose history it is (`v0002`).
    version: String,
    /// Whether that is a candidate kept back against the current model, not the current one.
    kept_back: bool,
}

impl BaseHistory {
    /// The error when no file is that history: each place looked, and what was wrong with it.
    fn not_found(&self, tried: &[(&Path, &str)]) -> Error {
        let tried: Vec<String> = tried
            .iter()
            .map(|(path, why)| format!("{} {why}", path.display()))
            .collect();
        let why = match self.kept_back {
            true => format!(
                " ({}, a candidate kept back against the current model, holds its customers and those since)",
                self.version
            ),
            false => String::new(),
        };
        Error::Usage(format!(
            "cannot find the history {} learnt from{why} as it was (the SHA-256 its model recorded): {}; retrain merges the new customers into exactly that history, so pass the full history together with the new files and --fresh to start a new one",
            self.version,
            tried.join(", and ")
        ))
    }
}

/// The history to merge into: the one the current model learnt from (its version's own copy,
/// else the file it was trained on), or, while the model a retrain judged against is still
/// current, the history of the newest candidate it kept back, which holds those customers and
/// the ones since. Never the kept history file: that is a copy for people, and may be older
/// (another version made current since: `train`, `models rollback` or `promote`) or edited.
/// With `--fresh`, none.
fn base_history(
    args: &RetrainArgs,
    registry: &Registry,
    kept: &Path,
    current: &Model,
    located: &Located,
) -> Result<Option<BaseHistory>> {
    if args.fresh {
        if kept.is_file() {
            return Err(Error::Usage(format!(
                "--fresh starts a new history, but {} exists; move it away first if that is what you want",
                kept.display()
            )));
        }
        return Ok(None);
    }
    let kept_back = kept_back_in_line(registry)?;
    let (version, model, info) = match &kept_back {
        Some((version, model, info)) => (version.clone(), model, Some(info.clone())),
        None => {
            let version = located.version.clone().unwrap_or_else(|| label(1));
            let info = parse_label(&version).and_then(|n| registry.info(n).ok());
            (version, current, info)
        }
    };
    let base = BaseHistory {
        path: PathBuf::new(),
        delimiter: info
            .as_ref()
            .and_then(|i| i.history_delimiter)
            .and_then(|c| u8::try_from(c).ok()),
        sha256: model.training.sha256.clone(),
        version: version.clone(),
        kept_back: kept_back.is_some(),
    };
    let copy = registry.dir().join(&version).join(HISTORY_FILE);
    let trained_on = PathBuf::from(&model.training.file);
    let mut tried = Vec::new();
    for path in [&copy, &trained_on] {
        let why = match crate::io::table::sha256_of_file(path) {
            Ok(sha) if sha == base.sha256 => {
                return Ok(Some(BaseHistory {
                    path: path.clone(),
                    ..base
                }))
            }
            Ok(_) => "has changed since",
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "is missing",
            Err(_) => "cannot be read",
        };
        tried.push((path.as_path(), why));
    }
    Err(base.not_found(&tried))
}

/// The newest version a retrain made and kept back against the current one, while the pointer
/// still says what it said then (see `JudgedAgainst`): its version, model and record.
fn kept_back_in_line(registry: &Registry) -> Result<Option<(String, Model, VersionInfo)>> {
    let Some(pointer) = registry.pointer()? else {
        return Ok(None);
    };
    for n in registry.versions()?.into_iter().rev() {
        // A version whose record cannot be read is in no line; `models list` says what is wrong.
        let Ok(info) = registry.info(n) else { continue };
        // Only one its retrain kept back: a promoted one that is not current was killed
        // before the pointer moved, and the next retrain does that promotion over.
        let kept_back = info.decision == "kept back";
        if kept_back
            && info
                .judged_against
                .as_ref()
                .is_some_and(|j| j.still(&pointer))
        {
            let model = Model::load(&registry.version_dir(n).join(MODEL_FILE))?;
            return Ok(Some((label(n), model, info)));
        }
    }
    Ok(None)
}

/// A note when the kept history file is not the history merged into (changed by hand since
/// retrain wrote it, or another version made current since): it was not used, and it is
/// replaced (kept aside as the previous one).
fn kept_elsewhere(args: &RetrainArgs, kept: &Path, base: Option<&BaseHistory>) -> Option<String> {
    let base = base?;
    let sha = crate::io::table::sha256_of_file(kept).ok()?;
    if sha == base.sha256 {
        return None;
    }
    let fate = match args.dry_run {
        true => "would be kept",
        false => "is kept",
    };
    Some(format!(
        "{} is not the history {} learnt from (edited since retrain wrote it, or another version was made current since), so the new customers were merged into {} instead; it {fate} as {}",
        kept.display(),
        base.version,
        base.path.display(),
        previous_path(kept).display()
    ))
}

/// The promotion gate: the candidate replaces the current model unless its holdout MAE of net
/// value is worse beyond `retrain.max_mae_increase` or its Gini lower beyond
/// `retrain.max_gini_drop`; a current model older than `retrain.max_age_days` is replaced
/// anyway, and `--force` replaces it whatever the figures.
fn gate(force: bool, config: &Config, current: &Model, cur: &Figures, cand: &Figures) -> Decision {
    let r = &config.retrain;
    let (a, b) = (cur.net_value.mae, cand.net_value.mae);
    let mae_change = if a > 0.0 { (b - a) / a } else { 0.0 };
    let mae_ok = b <= a * (1.0 + r.max_mae_increase) + 1e-9;
    let (ga, gb) = (cur.normalised_gini, cand.normalised_gini);
    let gini_ok = match (ga, gb) {
        (Some(ga), Some(gb)) => gb >= ga - r.max_gini_drop - 1e-12,
        (Some(_), None) => false,
        _ => true,
    };
    let (change, tolerance) = percents(mae_change, r.max_mae_increase, mae_ok);
    let mae_text = format!(
        "holdout MAE of net value {} vs {} ({change}%, tolerance {tolerance}%)",
        crate::report::format::whole(b),
        crate::report::format::whole(a),
    );
    let gini_text = gini_text(ga, gb, r.max_gini_drop, gini_ok);
    let age = crate::io::date::days_of_timestamp(&current.created_at)
        .map(|d| crate::io::date::today() - d);
    let too_old = match (r.max_age_days, age) {
        (Some(max), Some(age)) if age > i64::from(max) => Some((age, max)),
        _ => None,
    };
    let (promote, forced, reason) = if force {
        (
            true,
            true,
            format!("forced with --force ({mae_text}; {gini_text})"),
        )
    } else if mae_ok && gini_ok {
        (true, false, format!("not worse: {mae_text}; {gini_text}"))
    } else if let Some((age, max)) = too_old {
        (
            true,
            false,
            format!(
                "the current model is {age} days old, older than retrain.max_age_days = {max}, so it is replaced although the candidate is worse ({mae_text}; {gini_text})"
            ),
        )
    } else {
        let mut why = Vec::new();
        if !mae_ok {
            why.push(mae_text);
        }
        if !gini_ok {
            why.push(gini_text);
        }
        (
            false,
            false,
            format!(
                "the candidate is worse beyond tolerance: {}",
                why.join("; ")
            ),
        )
    };
    Decision {
        promote,
        forced,
        reason,
    }
}

/// The MAE's change and its tolerance as percentages, side by side: to one decimal, or, when a
/// change beyond the tolerance would read as the tolerance itself (`+2.0%, tolerance +2.0%` for
/// 2.04%), to as many more (up to four) as it takes to show that it is beyond.
fn percents(change: f64, tolerance: f64, within: bool) -> (String, String) {
    let at = |d: usize| {
        (
            format!("{:+.d$}", change * 100.0),
            format!("+{:.d$}", tolerance * 100.0),
        )
    };
    let mut shown = at(1);
    for d in 2..=4 {
        if within || shown.0 != shown.1 {
            break;
        }
        shown = at(d);
    }
    shown
}

/// The Ginis (candidate, then current) and the drop allowed: to three decimals, or, when a drop
/// beyond the tolerance would read as within it (0.413 vs 0.433, tolerance -0.020, for a drop of
/// 0.0201), to as many more (up to six) as it takes to show that it is beyond.
fn gini_text(current: Option<f64>, candidate: Option<f64>, tolerance: f64, within: bool) -> String {
    let shown =
        |v: Option<f64>, d: usize| v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.d$}"));
    let mut d = 3;
    if let (Some(a), Some(b), false) = (current, candidate, within) {
        // The drop and the tolerance as printed, in units of the last decimal shown.
        let units = |v: f64, d: usize| (v * 10f64.powi(d as i32)).round() as i64;
        while d < 6 && units(a, d) - units(b, d) <= units(tolerance, d) {
            d += 1;
        }
    }
    format!(
        "Gini {} vs {} (tolerance -{tolerance:.d$})",
        shown(candidate, d),
        shown(current, d)
    )
}

/// The level effects that moved between the current model and `candidate`, largest first,
/// with levels only one of them has.
fn effects(report: &mut RetrainReport, current: &Model, candidate: &Model) -> Result<()> {
    let before = Equation::from_model(current)?.level_net_effects();
    let after = Equation::from_model(candidate)?.level_net_effects();
    let (moved, added, dropped) = compare_levels(&before, &after);
    report.moved = moved;
    report.added_levels = added;
    report.dropped_levels = dropped;
    Ok(())
}

fn short(label: &str) -> &str {
    label.split(' ').next().unwrap_or(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gini_drop_beyond_the_tolerance_is_shown_beyond_it() {
        // Within: three decimals, as always.
        assert_eq!(
            gini_text(Some(0.711), Some(0.710), 0.02, true),
            "Gini 0.710 vs 0.711 (tolerance -0.020)"
        );
        // A drop of 0.0201 against 0.02 read "0.413 vs 0.433" at three decimals: a drop of
        // exactly the tolerance, refused.
        assert_eq!(
            gini_text(Some(0.4330), Some(0.4129), 0.02, false),
            "Gini 0.4129 vs 0.4330 (tolerance -0.0200)"
        );
        // Already plain at three: unchanged.
        assert_eq!(
            gini_text(Some(0.433), Some(0.400), 0.02, false),
            "Gini 0.400 vs 0.433 (tolerance -0.020)"
        );
        // A candidate without a Gini.
        assert_eq!(
            gini_text(Some(0.433), None, 0.02, false),
            "Gini n/a vs 0.433 (tolerance -0.020)"
        );
    }
}
