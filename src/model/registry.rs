//! The model registry: every model version kept, one of them current, nothing half-written.
//!
//! ```text
//! models/
//!   current.json      which version is current, and the ones that were before it (rollback)
//!   v0001/            a version: model.json, version.json (who made it, its figures, why it
//!   v0002/              was promoted or kept back), report.json (its training report),
//!                     history.csv (its exact input), retrain.json (a retrain's comparison)
//!   .lock             held by whoever writes here (train, retrain, models promote/...)
//!   .staging-XXXX/    a version being written; never read, removed by the next writer
//! ```
//!
//! A version directory appears by one rename of a finished staging directory, and the current
//! version changes by one rename of `current.json`, so a reader sees the old state or the new
//! one and a crash at any point leaves a registry that loads. A directory holding only
//! `model.json` (the layout before the registry, and the shipped one) reads as version 1; the
//! first write imports it as `v0001`.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::output::{sync_dir, write_atomic, TEMP_PREFIX};
use crate::model::file::MODEL_FILE;
use crate::model::Model;

pub const POINTER_FILE: &str = "current.json";
pub const VERSION_FILE: &str = "version.json";
pub const REPORT_FILE: &str = "report.json";
pub const HISTORY_FILE: &str = "history.csv";
const LOCK_FILE: &str = ".lock";
const STAGING_PREFIX: &str = ".staging-";

/// `v0003`.
pub fn label(n: u32) -> String {
    format!("v{n:04}")
}

/// The number of `v0003`, `v3` or `3`.
pub fn parse_label(text: &str) -> Option<u32> {
    let t = text.trim();
    let digits = t.strip_prefix(['v', 'V']).unwrap_or(t);
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n > 0)
}

/// Which version is current, and the versions that were current before it, newest first:
/// `models rollback` makes the first of those current again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pointer {
    pub version: String,
    #[serde(default)]
    pub previous: Vec<String>,
    pub since: String,
    pub reason: String,
}

/// What a version is, beside its model: who made it, from what, its figures, and the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: String,
    pub created_at: String,
    /// `train`, `retrain` or `import` (the model that was there before the registry).
    pub made_by: String,
    pub customers: usize,
    /// The earliest and latest `columns.date` in its history, when the config names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_won: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_won: Option<String>,
    /// Where `mae_net` and `gini` were measured: `cross-validation`, or the retrain holdout.
    pub measured_on: String,
    pub mae_net: Option<f64>,
    pub gini: Option<f64>,
    /// `promoted`, `kept back` or `imported`.
    pub decision: String,
    pub reason: String,
    /// The sha256 of `history.csv` in the version directory, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_sha256: Option<String>,
    /// The delimiter `history.csv` was read with (which also says how it writes numbers), so
    /// `retrain` reads it back alike; sniffed from its header when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_delimiter: Option<char>,
    /// For a version `retrain` made: the current version it was judged against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judged_against: Option<JudgedAgainst>,
}

/// The current version a retrain judged its candidate against, as `current.json` said then.
/// While the pointer still says so, a candidate that was kept back is the newest history in the
/// current model's line: the next retrain merges into it, so customers are not dropped for
/// having made a model that was not better. Any change of the pointer (a promotion, a
/// rollback, `train`) gives it another `since` and `reason`, and ends that line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgedAgainst {
    pub version: String,
    pub since: String,
    pub reason: String,
}

impl JudgedAgainst {
    pub fn of(pointer: &Pointer) -> JudgedAgainst {
        JudgedAgainst {
            version: pointer.version.clone(),
            since: pointer.since.clone(),
            reason: pointer.reason.clone(),
        }
    }

    /// Whether `pointer` still names that version, made current then, for that reason (what
    /// `models prune` changes, the list of earlier versions, does not count).
    pub fn still(&self, pointer: &Pointer) -> bool {
        *self == JudgedAgainst::of(pointer)
    }
}

/// A model file found from a `--model` path, and the registry version it is, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub file: PathBuf,
    /// `v0003`; `v0001` for a models directory in the layout before the registry.
    pub version: Option<String>,
}

impl Located {
    /// `v0003 (models/v0003/model.json)`, or the file alone.
    pub fn describe(&self) -> String {
        match &self.version {
            Some(v) => format!("{v} ({})", self.file.display()),
            None => self.file.display().to_string(),
        }
    }
}

/// Loads the model a `--model` path means (see [`locate`]), and says where it was found and
/// which registry version it is.
pub fn load(path: &Path) -> Result<(Model, Located)> {
    let located = locate(path)?;
    let shown = located.file.display().to_string();
    if !located.file.exists() {
        return Err(if path.is_dir() {
            Error::file(
                &shown,
                "no model here; train one with `leadscore train --history FILE`",
            )
        } else if path.extension().is_none() {
            Error::file(
                path.display(),
                "no such model or models directory; train one with `leadscore train --history FILE`",
            )
        } else {
            Error::file(&shown, "no such model file")
        });
    }
    Ok((Model::load(&located.file)?, located))
}

/// The model file a `--model` path means. A registry directory means its current version; a
/// directory holding `model.json` means that file; anything else is the path itself.
pub fn locate(path: &Path) -> Result<Located> {
    let in_version_dir = |dir: &Path| -> Option<String> {
        let name = dir.file_name()?.to_str()?;
        let n = parse_label(name).filter(|_| name.starts_with('v'))?;
        dir.parent()?.join(POINTER_FILE).is_file().then(|| label(n))
    };
    if !path.is_dir() {
        let version = path
            .parent()
            .filter(|_| path.file_name().is_some_and(|f| f == MODEL_FILE))
            .and_then(in_version_dir);
        return Ok(Located {
            file: path.to_path_buf(),
            version,
        });
    }
    let registry = Registry::new(path);
    if let Some(pointer) = registry.pointer()? {
        if !path.join(&pointer.version).is_dir() {
            return Err(Error::file(
                path.join(POINTER_FILE).display(),
                format!(
                    "names {} as current, but {} holds no {}; make a kept version current with `leadscore models promote VERSION --models {}` (see `leadscore models list`)",
                    pointer.version,
                    path.display(),
                    pointer.version,
                    path.display()
                ),
            ));
        }
        return Ok(Located {
            file: path.join(&pointer.version).join(MODEL_FILE),
            version: Some(pointer.version),
        });
    }
    let file = path.join(MODEL_FILE);
    let version = match in_version_dir(path) {
        Some(v) => Some(v),
        None if file.is_file() => Some(label(1)),
        None => {
            if !registry.versions()?.is_empty() {
                return Err(Error::file(
                    path.join(POINTER_FILE).display(),
                    format!(
                        "missing: {} holds model versions but none is marked current; make one current with `leadscore models promote VERSION --models {}`",
                        path.display(),
                        path.display()
                    ),
                ));
            }
            None
        }
    };
    Ok(Located { file, version })
}

/// A models directory.
#[derive(Debug, Clone)]
pub struct Registry {
    dir: PathBuf,
}

impl Registry {
    pub fn new(dir: &Path) -> Registry {
        Registry {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn version_dir(&self, n: u32) -> PathBuf {
        self.dir.join(label(n))
    }

    /// The pointer to the current version, or `None` when there is none (no registry yet).
    pub fn pointer(&self) -> Result<Option<Pointer>> {
        let path = self.dir.join(POINTER_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::read(path.display(), e)),
        };
        let pointer: Pointer = serde_json::from_str(&text).map_err(|e| {
            Error::file(
                path.display(),
                format!("not a leadscore registry pointer ({e}); make a version current with `leadscore models promote VERSION`, which rewrites this file"),
            )
        })?;
        let ok = |v: &str| parse_label(v).is_some_and(|n| label(n) == v);
        // The entry that is wrong, not the current one when it is one of the earlier ones.
        let bad = std::iter::once(&pointer.version)
            .chain(&pointer.previous)
            .find(|v| !ok(v));
        if let Some(bad) = bad {
            let which = if *bad == pointer.version {
                "as current"
            } else {
                "among the earlier current versions (previous)"
            };
            return Err(Error::file(
                path.display(),
                format!(
                    "names {} {which}, which is not a version like v0003; make a version current with `leadscore models promote VERSION`, which rewrites this file",
                    crate::io::table::shown(bad)
                ),
            ));
        }
        Ok(Some(pointer))
    }

    /// The current version's number: the pointer's, or 1 for the layout before the registry.
    pub fn current(&self) -> Result<Option<u32>> {
        Ok(match self.pointer()? {
            Some(p) => parse_label(&p.version),
            None if self.legacy().is_some() => Some(1),
            None => None,
        })
    }

    /// `model.json` directly in the directory, when there is no registry yet.
    pub fn legacy(&self) -> Option<PathBuf> {
        let file = self.dir.join(MODEL_FILE);
        (file.is_file() && !self.dir.join(POINTER_FILE).exists()).then_some(file)
    }

    /// The numbers of the finished versions, oldest first. Staging directories and anything
    /// else are ignored; only a renamed-into-place `vNNNN` directory is a version.
    pub fn versions(&self) -> Result<Vec<u32>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::read(self.dir.display(), e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::read(self.dir.display(), e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(n) = parse_label(name).filter(|&n| label(n) == name) {
                if entry.path().is_dir() {
                    out.push(n);
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// What `version.json` says of version `n`; an imported legacy model (no file) is described
    /// from its model.
    pub fn info(&self, n: u32) -> Result<VersionInfo> {
        let path = self.version_dir(n).join(VERSION_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::read(path.display(), e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::file(path.display(), format!("not a version record ({e})")))
    }

    /// The version [`Lock::rollback`] would make current: the newest of those current before
    /// the current one that is still kept.
    pub fn rollback_to(&self) -> Result<Option<String>> {
        let versions = self.versions()?;
        Ok(self.pointer()?.and_then(|p| {
            p.previous
                .into_iter()
                .find(|v| parse_label(v).is_some_and(|n| versions.contains(&n)))
        }))
    }

    /// Takes the registry's lock: waits for another writer (saying so on stderr) or, with
    /// `wait` false, fails at once naming who holds it.
    pub fn lock(&self, wait: bool, what: &str) -> Result<Lock> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::write(self.dir.display(), e))?;
        let path = self.dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::write(path.display(), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another leadscore".to_string()
                } else {
                    format!("another leadscore ({holder})")
                };
                if !wait {
                    return Err(Error::Io {
                        action: "cannot lock",
                        path: self.dir.display().to_string(),
                        err: std::io::Error::new(
                            std::io::ErrorKind::WouldBlock,
                            format!("{who} is writing to it; run again later, or leave out --no-wait to wait for it"),
                        ),
                    });
                }
                eprintln!(
                    "Waiting for {who} to finish writing to {}...",
                    self.dir.display()
                );
                file.lock().map_err(|e| Error::write(path.display(), e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::write(path.display(), e)),
        }
        // Who holds it, for the message a second writer prints. Best effort: the lock, not
        // this text, is what keeps writers apart.
        let _ = file.set_len(0).and_then(|()| {
            file.rewind()?;
            write!(
                file,
                "pid {}, {what}, since {}",
                std::process::id(),
                crate::io::date::timestamp()
            )
        });
        let lock = Lock {
            registry: self.clone(),
            file,
        };
        lock.remove_staging()?;
        Ok(lock)
    }
}

/// The registry, held for writing. Dropping it releases the lock.
pub struct Lock {
    registry: Registry,
    file: File,
}

impl Drop for Lock {
    /// Clears who held it before letting go: left in place, the text would name a finished
    /// run to whoever next finds the lock taken by something that writes none (a model saved
    /// to a single file, another tool), and every run would leave the directory changed.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

/// A version being written: files go in `path()`, then [`Lock::add`] renames it into place.
pub struct Staging {
    dir: tempfile::TempDir,
}

impl Staging {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Lock {
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Removes what an interrupted writer left: staging directories, versions being pruned,
    /// and the temporary file of a `current.json` being replaced (killed between writing it
    /// and renaming it into place, nothing else would ever remove it). Only the lock holder
    /// writes here, so none of them is in use.
    fn remove_staging(&self) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.registry.dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let removed = if name.starts_with(STAGING_PREFIX) {
                std::fs::remove_dir_all(entry.path())
            } else if name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp") {
                std::fs::remove_file(entry.path())
            } else {
                continue;
            };
            removed.map_err(|e| Error::write(entry.path().display(), e))?;
        }
        // An import interrupted after the pointer was written but before the old file was
        // removed leaves `model.json` beside the registry; the pointer decides, so it is only
        // a stale second answer, removed once it is certain to be v0001's exact copy.
        let legacy = self.registry.dir.join(MODEL_FILE);
        if legacy.is_file() && self.registry.dir.join(POINTER_FILE).is_file() {
            let imported = self.registry.version_dir(1).join(MODEL_FILE);
            if std::fs::read(&legacy).ok() == std::fs::read(&imported).ok() {
                std::fs::remove_file(&legacy).map_err(|e| Error::write(legacy.display(), e))?;
            }
        }
        Ok(())
    }

    /// A directory to write a new version into.
    pub fn stage(&self) -> Result<Staging> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(STAGING_PREFIX);
        // A version is for sharing like any other file; tempfile's default is 0700.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o755));
        }
        // A signal removes it like any temporary output: training stages before it fits, so a
        // Ctrl-C during the fits would otherwise leave a copy of the history behind.
        let dir = crate::io::output::make_recorded(
            || builder.tempdir_in(&self.registry.dir),
            |dir| dir.path().to_path_buf(),
        )
        .map_err(|e| Error::write(self.registry.dir.display(), e))?;
        Ok(Staging { dir })
    }

    /// The number the next version gets (the lock holder is the only one adding versions).
    pub fn next_version(&self) -> Result<u32> {
        Ok(self.registry.versions()?.last().map_or(1, |v| v + 1))
    }

    /// Makes a finished staging directory version `n` (from [`Lock::next_version`]): every
    /// file in it synced, then one rename, then the registry directory synced.
    pub fn add(&self, staging: Staging, n: u32) -> Result<()> {
        let target = self.registry.version_dir(n);
        for entry in std::fs::read_dir(staging.path())
            .map_err(|e| Error::read(staging.path().display(), e))?
            .flatten()
        {
            File::open(entry.path())
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::write(entry.path().display(), e))?;
        }
        sync_dir(&staging.path().join("x"))?;
        let path = staging.dir.keep();
        if target.exists() {
            return Err(Error::file(target.display(), "exists already"));
        }
        crate::io::output::put_in_place(|| std::fs::rename(&path, &target))
            .map_err(|e| Error::write(target.display(), e))?;
        sync_dir(&target)
    }

    /// Imports the model of the layout before the registry as `v0001` and makes it current, so
    /// every later version has something to roll back to. Returns whether it did.
    pub fn import_legacy(&self, created_at: &str) -> Result<bool> {
        let Some(file) = self.registry.legacy() else {
            return Ok(false);
        };
        let text = std::fs::read(&file).map_err(|e| Error::read(file.display(), e))?;
        let model = Model::parse(&String::from_utf8_lossy(&text), &file.display().to_string())?;
        // An interrupted import may have left v0001 in place already.
        let existing = self.registry.version_dir(1).join(MODEL_FILE);
        if std::fs::read(&existing).ok().as_deref() != Some(&text[..]) {
            if !self.registry.versions()?.is_empty() {
                return Err(Error::file(
                    file.display(),
                    format!(
                        "a model in the old layout beside model versions in {}; move it away or make a version current with `leadscore models promote VERSION`",
                        self.registry.dir.display()
                    ),
                ));
            }
            let staging = self.stage()?;
            write_atomic(&staging.path().join(MODEL_FILE), &text)?;
            let info = VersionInfo {
                version: label(1),
                created_at: model.created_at.clone(),
                made_by: "import".into(),
                customers: model.training.rows_used,
                first_won: None,
                last_won: None,
                measured_on: "cross-validation".into(),
                mae_net: Some(model.validation.net_value.mae),
                gini: None,
                decision: "imported".into(),
                reason: format!(
                    "the model that was in {} before versions were kept",
                    file.display()
                ),
                history_sha256: None,
                history_delimiter: None,
                judged_against: None,
            };
            write_json(&staging.path().join(VERSION_FILE), &info)?;
            self.add(staging, 1)?;
        }
        self.write_pointer(&Pointer {
            version: label(1),
            previous: Vec::new(),
            since: created_at.to_string(),
            reason: "imported from the layout before versions were kept".into(),
        })?;
        // The pointer now decides; the old file would only be a stale second answer.
        std::fs::remove_file(&file).map_err(|e| Error::write(file.display(), e))?;
        sync_dir(&file)?;
        Ok(true)
    }

    /// Makes version `n` current, remembering the one it replaces for rollback. A pointer that
    /// cannot be read is replaced: this is how a user repairs it.
    pub fn set_current(&self, n: u32, since: &str, reason: &str) -> Result<Option<String>> {
        let old = self.registry.pointer().ok().flatten();
        let mut previous = Vec::new();
        if let Some(old) = &old {
            if old.version != label(n) {
                previous.push(old.version.clone());
            }
            previous.extend(old.previous.iter().filter(|v| **v != label(n)).cloned());
        }
        self.write_pointer(&Pointer {
            version: label(n),
            previous,
            since: since.to_string(),
            reason: reason.to_string(),
        })?;
        Ok(old.map(|p| p.version))
    }

    /// Makes the version that was current before the current one current again; returns
    /// (from, to).
    pub fn rollback(&self, since: &str) -> Result<(String, String)> {
        let versions = self.registry.versions()?;
        let pointer = self.registry.pointer()?.ok_or_else(|| {
            Error::Usage(if versions.is_empty() {
                format!(
                    "{} has no model versions to roll back (only one model, or none)",
                    self.registry.dir.display()
                )
            } else {
                format!(
                    "no version of {} is marked current ({} is missing), so there is no \"before\" to go back to; make one current with `leadscore models promote VERSION`",
                    self.registry.dir.display(),
                    self.registry.dir.join(POINTER_FILE).display()
                )
            })
        })?;
        let mut previous = pointer.previous.iter();
        let to = loop {
            match previous.next() {
                Some(v) if parse_label(v).is_some_and(|n| versions.contains(&n)) => break v.clone(),
                Some(_) => continue,
                None => {
                    return Err(Error::Usage(format!(
                        "nothing to roll back to: {} was not preceded by another version still kept in {}",
                        pointer.version,
                        self.registry.dir.display()
                    )))
                }
            }
        };
        self.write_pointer(&Pointer {
            version: to.clone(),
            previous: previous.cloned().collect(),
            since: since.to_string(),
            reason: format!("rolled back from {}", pointer.version),
        })?;
        Ok((pointer.version, to))
    }

    /// Removes all but the `keep` newest versions, never the current one. Returns the removed.
    pub fn prune(&self, keep: usize) -> Result<Vec<u32>> {
        let versions = self.registry.versions()?;
        let current = self.registry.current()?;
        // The newest is kept too: the next version is numbered after it, so a number once
        // given is never given to another model.
        let newest = versions.last().copied();
        let doomed: Vec<u32> = versions
            .iter()
            .rev()
            .skip(keep)
            .filter(|&&n| Some(n) != current && Some(n) != newest)
            .copied()
            .collect();
        for &n in &doomed {
            // Renamed out of the version namespace first, so a half-removed version is never
            // listed or loaded, and the next writer finishes the removal.
            let dir = self.registry.version_dir(n);
            let gone = self
                .registry
                .dir
                .join(format!("{STAGING_PREFIX}pruned-{}", label(n)));
            std::fs::rename(&dir, &gone).map_err(|e| Error::write(dir.display(), e))?;
            sync_dir(&dir)?;
            std::fs::remove_dir_all(&gone).map_err(|e| Error::write(gone.display(), e))?;
        }
        if let Some(mut pointer) = self.registry.pointer()? {
            let before = pointer.previous.len();
            pointer
                .previous
                .retain(|v| parse_label(v).is_none_or(|n| !doomed.contains(&n)));
            if pointer.previous.len() != before {
                self.write_pointer(&pointer)?;
            }
        }
        Ok(doomed)
    }

    fn write_pointer(&self, pointer: &Pointer) -> Result<()> {
        write_json(&self.registry.dir.join(POINTER_FILE), pointer)
    }
}

/// Writes `value` as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).expect("serialisable");
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label(3), "v0003");
        assert_eq!(label(12345), "v12345");
        assert_eq!(parse_label("v0003"), Some(3));
        assert_eq!(parse_label("3"), Some(3));
        assert_eq!(parse_label("V12"), Some(12));
        for bad in ["", "v", "v0", "vx1", "v-1", "v1.0", "v12345678901"] {
            assert_eq!(parse_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_finished_version_directories_are_versions() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "v0001",
            "v0003",
            ".staging-abc",
            "v2",
            "notes",
            "v0004.json",
        ] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("v0005"), "a file").unwrap();
        assert_eq!(Registry::new(dir.path()).versions().unwrap(), [1, 3]);
    }

    /// A registry with versions 1 to 3, each made current in turn, and its lock.
    fn three_versions() -> (tempfile::TempDir, Registry, Lock) {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let lock = reg.lock(false, "test").unwrap();
        for _ in 0..3 {
            let s = lock.stage().unwrap();
            std::fs::write(s.path().join("x"), "x").unwrap();
            let n = lock.next_version().unwrap();
            lock.add(s, n).unwrap();
            lock.set_current(n, "t", "test").unwrap();
        }
        (dir, reg, lock)
    }

    #[test]
    fn rollback_walks_back_through_what_was_current() {
        let (_dir, reg, lock) = three_versions();
        assert_eq!(reg.current().unwrap(), Some(3));
        assert_eq!(
            lock.rollback("t").unwrap(),
            ("v0003".into(), "v0002".into())
        );
        assert_eq!(
            lock.rollback("t").unwrap(),
            ("v0002".into(), "v0001".into())
        );
        assert!(lock.rollback("t").is_err());
        lock.set_current(3, "t", "by hand").unwrap();
        assert_eq!(reg.pointer().unwrap().unwrap().previous, ["v0001"]);
        // Pruning keeps the current version and drops pruned ones from the rollback chain.
        assert_eq!(lock.prune(0).unwrap(), [2, 1]);
        assert_eq!(reg.versions().unwrap(), [3]);
        assert!(reg.pointer().unwrap().unwrap().previous.is_empty());
    }

    #[test]
    fn prune_keeps_the_newest_so_a_version_number_is_never_given_twice() {
        let (_dir, reg, lock) = three_versions();
        lock.rollback("t").unwrap();
        // v0002 is current, v0003 the newest: only v0001 may go.
        assert_eq!(lock.prune(0).unwrap(), [1]);
        assert_eq!(reg.versions().unwrap(), [2, 3]);
        assert_eq!(lock.next_version().unwrap(), 4);
    }

    #[test]
    fn an_interrupted_import_leaves_no_stale_model_once_the_registry_is_locked_again() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let text = include_str!("../../models/model.json");
        std::fs::write(dir.path().join(MODEL_FILE), text).unwrap();
        // The state a kill after the pointer and before the removal leaves.
        std::fs::create_dir(dir.path().join("v0001")).unwrap();
        std::fs::write(dir.path().join("v0001").join(MODEL_FILE), text).unwrap();
        write_json(
            &dir.path().join(POINTER_FILE),
            &Pointer {
                version: label(1),
                previous: Vec::new(),
                since: "t".into(),
                reason: "imported".into(),
            },
        )
        .unwrap();
        drop(reg.lock(false, "test").unwrap());
        assert!(!dir.path().join(MODEL_FILE).exists());
        assert_eq!(
            locate(dir.path()).unwrap().version.as_deref(),
            Some("v0001")
        );
    }

    #[test]
    fn a_second_writer_fails_at_once_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let _held = reg.lock(false, "retrain").unwrap();
        let err = reg.lock(false, "train").err().unwrap().to_string();
        assert!(err.starts_with("cannot lock "), "{err}");
        assert!(err.contains("retrain, since"), "{err}");
        assert!(err.ends_with("leave out --no-wait to wait for it"), "{err}");
    }
}
