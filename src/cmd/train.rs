//! `leadscore train --history FILE`: fit both money models on past customers, save a
//! self-describing model, and report (see `report::train`) how well they predict out of sample
//! beside a mean-only baseline, as text or JSON. With `--leads`, a lead list is first checked for
//! every column scoring will need. Into a models directory the model is saved as a new registry
//! version and made current; to a `.json` path it is written as that one file.

use std::path::Path;

use crate::cli::TrainArgs;
use crate::config::Config;
use crate::error::Result;
use crate::fit::history::History;
use crate::fit::training;
use crate::io::date::format_days;
use crate::io::table::ReadOptions;
use crate::model::file::MODEL_FILE;
use crate::model::registry::{label, Registry, Staging, VersionInfo};

use crate::report::train::{SavedVersion, TrainReport};

/// What identifies a file's content cheaply: its inode, size and modification time; `None` when
/// there is no file.
fn file_state(path: &Path) -> Option<(u64, u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.len(), m.modified().ok()?))
}

pub fn run(args: &TrainArgs) -> Result<()> {
    check_models_path(args)?;
    let config = Config::load(&args.config)?;
    if let Some(leads) = &args.leads {
        crate::fit::leaks::check_lead_list(leads, &config, args.delimiter)?;
    }
    let registry = (!single_file(&args.models)).then(|| Registry::new(&args.models));
    // A models directory keeps a copy of the history beside each model, read again from the
    // path: a pipe or FIFO has nothing left to give by then (and opening it again would wait
    // for a writer for ever). Said before any work; a missing file or a directory is the
    // read's to report.
    if registry.is_some() {
        let stdin = args.history.as_os_str() == crate::io::table::STDIN_PATH;
        let not_a_file =
            std::fs::metadata(&args.history).is_ok_and(|m| !m.is_file() && !m.is_dir());
        if stdin || not_a_file {
            return Err(crate::error::Error::file(
                if stdin { "standard input".to_string() } else { args.history.display().to_string() },
                "not a regular file: training into a models directory keeps a copy of the history beside the model, so the history must be a file that can be read twice; save it to a file first, or train into a single model file (--models model.json)",
            ));
        }
    }
    // Taken before reading, so a second training into the same directory waits for this one.
    // A directory that does not exist yet is created (and locked) only once there is a model
    // to save, so a failed first training leaves nothing behind.
    let early = match &registry {
        Some(r) if args.models.is_dir() => Some(r.lock(!args.no_wait, "train")?),
        _ => None,
    };
    // A single model file has no lock: note what it was, to say if another run replaced it
    // while this one trained (the last writer wins, but not silently).
    let before = registry.is_none().then(|| file_state(&args.models));
    let opts = ReadOptions {
        fingerprint: true,
        ..ReadOptions::on_terminal(args.delimiter)
    };
    let history = History::read(&args.history, &config, opts)?;
    // With the registry locked already, the history's snapshot is copied and synced while the
    // models fit: the copy is the kernel's work and the sync the disk's (0.1 to 0.15 s at a
    // million customers), and neither waits on the fits. A first training into a directory
    // that does not exist yet has no lock to stage under, and a run held to one thread has no
    // second one to copy on: both copy at the end.
    let early_copy = match &early {
        Some(lock) if crate::parallel::threads() > 1 => {
            Some(SnapshotCopy::start(lock.stage()?, &args.history))
        }
        _ => None,
    };
    let trained = training::train(&history, &config)?;
    let config_file = args.config.display().to_string();
    let model = crate::fit::build::model(&history, &config, &config_file, &trained);
    let Some(registry) = registry else {
        if let Some(before) = before {
            let now = file_state(&args.models);
            if now != before {
                eprintln!(
                    "warning: {} changed while this training ran ({}); replacing it with this model. Train into a models directory to have each run wait for the other and keep both versions.",
                    args.models.display(),
                    match (&before, &now) {
                        (None, _) => "another run created it",
                        (_, None) => "another run removed it",
                        _ => "another run wrote it",
                    }
                );
            }
        }
        model.save(&args.models)?;
        let report = TrainReport::new(
            &history,
            &trained,
            &model,
            &args.models.display().to_string(),
        );
        return super::print_report(&report, args.format, TrainReport::render);
    };
    let lock = match early {
        Some(lock) => lock,
        None => registry.lock(!args.no_wait, "train")?,
    };
    let now = crate::io::date::timestamp();
    lock.import_legacy(&now)?;
    let (staging, copied_early) = match early_copy {
        Some(copy) => (copy.finish()?, true),
        None => (lock.stage()?, false),
    };
    model.save_unlocked(&staging.path().join(MODEL_FILE))?;
    let snapshot = staging.path().join(crate::model::registry::HISTORY_FILE);
    // Copying and syncing the history (the kernel's work, 0.1 s at a million customers) and
    // ranking the held-out predictions for their Gini (sorting, 0.1 s) do not wait on each other.
    let (copied, gini) = if copied_early {
        (Ok(()), super::held_out_gini(&trained))
    } else if crate::parallel::threads() > 1 {
        std::thread::scope(|s| {
            let copy = s.spawn(|| crate::io::output::copy_synced(&args.history, &snapshot));
            let gini = super::held_out_gini(&trained);
            (copy.join().expect("copying a file does not panic"), gini)
        })
    } else {
        (
            crate::io::output::copy_synced(&args.history, &snapshot),
            super::held_out_gini(&trained),
        )
    };
    copied?;
    // The span of the dates the customers were won, read with the history (every row, those
    // left out for a blank outcome too), not by reading the snapshot once more.
    let dates = history
        .date_span
        .map(|(first, last)| (format_days(first), format_days(last)));
    let reason =
        "trained with `leadscore train`, which makes its model current without a comparison";
    let info = VersionInfo {
        version: String::new(),
        created_at: model.created_at.clone(),
        made_by: "train".into(),
        customers: history.rows(),
        first_won: dates.as_ref().map(|d| d.0.clone()),
        last_won: dates.map(|d| d.1),
        measured_on: "cross-validation".into(),
        mae_net: Some(model.validation.net_value.mae),
        gini,
        decision: "promoted".into(),
        reason: reason.into(),
        history_sha256: Some(history.sha256.clone()),
        history_delimiter: Some(char::from(history.delimiter)),
        judged_against: None,
    };
    let n = lock.next_version()?;
    let file = lock.registry().version_dir(n).join(MODEL_FILE);
    let mut report = TrainReport::new(&history, &trained, &model, &file.display().to_string());
    report.version = Some(SavedVersion {
        version: label(n),
        current: true,
        replaced: lock.registry().current()?.map(label),
    });
    super::add_version(&lock, staging, n, info, &report)?;
    lock.set_current(n, &now, reason)?;
    super::print_report(&report, args.format, TrainReport::render)
}

/// The history's snapshot being copied into a staging directory on a thread of its own.
struct SnapshotCopy {
    copying: Option<std::thread::JoinHandle<Result<()>>>,
    staging: Option<Staging>,
}

impl SnapshotCopy {
    fn start(staging: Staging, history: &Path) -> SnapshotCopy {
        let (from, to) = (
            history.to_path_buf(),
            staging.path().join(crate::model::registry::HISTORY_FILE),
        );
        SnapshotCopy {
            copying: Some(std::thread::spawn(move || {
                crate::io::output::copy_synced(&from, &to)
            })),
            staging: Some(staging),
        }
    }

    /// Waits for the copy; the staging directory, with the snapshot in it.
    fn finish(mut self) -> Result<Staging> {
        self.wait()?;
        Ok(self.staging.take().expect("taken once"))
    }

    fn wait(&mut self) -> Result<()> {
        match self.copying.take() {
            Some(copying) => copying.join().expect("copying a file does not panic"),
            None => Ok(()),
        }
    }
}

impl Drop for SnapshotCopy {
    /// A training that fails removes the staging directory: the copy must be over first, or
    /// it could create the snapshot after the directory was emptied and keep it from going.
    fn drop(&mut self) {
        let _ = self.wait();
    }
}

/// Refuses, before anything is read, a `--models` that would replace an input: a single model
/// file that is the history, the config or the lead list (by another name or a link too), and
/// an existing file that is not a `.json` model, which a models directory cannot be made over.
fn check_models_path(args: &TrainArgs) -> Result<()> {
    let mut inputs = vec![
        ("the history", args.history.as_path()),
        ("the config", args.config.as_path()),
    ];
    if let Some(leads) = &args.leads {
        inputs.push(("the lead list", leads.as_path()));
    }
    if single_file(&args.models) {
        return super::check_paths(&inputs, &[("--models", &args.models)]);
    }
    if args.models.exists() && !args.models.is_dir() {
        let what = inputs
            .iter()
            .find(|(_, input)| super::same_file(&args.models, input))
            .map_or_else(
                || "a file".to_string(),
                |(what, input)| {
                    if *input == args.models.as_path() {
                        format!("{what} itself")
                    } else {
                        format!("{what} {} under another name", input.display())
                    }
                },
            );
        return Err(crate::error::Error::Usage(format!(
            "--models {} is {what}, not a models directory; name a directory (it is made if missing), or a .json file to train into a single model file",
            args.models.display()
        )));
    }
    Ok(())
}

/// Whether `--models PATH` names one model file (`.json`, not a directory) rather than a
/// models directory.
fn single_file(path: &Path) -> bool {
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    json && !path.is_dir()
}
