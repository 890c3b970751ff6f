//! `leadscore models list|show|diff|promote|rollback|prune`: the model versions in a models
//! directory (see `model::registry`). Reading needs no lock; every change takes the registry's
//! lock and is one atomic rename.

use crate::cli::{ModelsAction, ModelsArgs};
use crate::error::{Error, Result};
use crate::model::equation::{compare_levels, Equation};
use crate::model::file::MODEL_FILE;
use crate::model::registry::{self, label, parse_label, Registry, VersionInfo};
use crate::model::Model;
use crate::report::models::{Changed, Diff, Entry, Listing, Shown};

pub fn run(args: &ModelsArgs) -> Result<()> {
    let registry = Registry::new(&args.models);
    // Only `train` creates a models directory: a mistyped one is an error, not an empty list.
    if !args.models.is_dir() {
        return Err(Error::file(
            args.models.display(),
            "no such models directory; train a model into it with `leadscore train --history FILE --models DIR`",
        ));
    }
    match &args.action {
        ModelsAction::List => {
            let listing = list(&registry)?;
            super::print_report(&listing, args.format, Listing::render)
        }
        ModelsAction::Show { version } => {
            let shown = show(&registry, version)?;
            super::print_report(&shown, args.format, Shown::render)
        }
        ModelsAction::Diff { from, to } => {
            let (a, b) = (show(&registry, from)?, show(&registry, to)?);
            let (ea, eb) = (&a.effects, &b.effects);
            let (moved, added_levels, dropped_levels) = compare_levels(ea, eb);
            let diff = Diff {
                added_features: b
                    .features
                    .iter()
                    .filter(|f| !a.features.contains(f))
                    .cloned()
                    .collect(),
                dropped_features: a
                    .features
                    .iter()
                    .filter(|f| !b.features.contains(f))
                    .cloned()
                    .collect(),
                from: a,
                to: b,
                moved,
                added_levels,
                dropped_levels,
            };
            super::print_report(&diff, args.format, Diff::render)
        }
        ModelsAction::Promote { version } => {
            let lock = registry.lock(!args.no_wait, "models promote")?;
            let n = existing(&registry, version)?;
            // An unreadable pointer is what promoting by hand repairs (every other command's
            // message says to): it is replaced, saying so, rather than refused again.
            let (was, unreadable) = match registry.current() {
                Ok(was) => (was, None),
                Err(e) => (None, Some(e)),
            };
            let message = if unreadable.is_some() {
                Model::load(&registry.version_dir(n).join(MODEL_FILE))?;
                let now = crate::io::date::timestamp();
                lock.set_current(n, &now, "promoted by hand with `leadscore models promote`")?;
                format!(
                    "{} is now current; the pointer it replaces could not be read, so there is no earlier version to roll back to.",
                    label(n)
                )
            } else if was == Some(n) {
                // Also the one model of the layout before the registry (version 1): nothing
                // to write, so it is not imported either.
                format!("{} is current already.", label(n))
            } else {
                // A version that would not load must never become current.
                Model::load(&registry.version_dir(n).join(MODEL_FILE))?;
                let now = crate::io::date::timestamp();
                lock.import_legacy(&now)?;
                lock.set_current(n, &now, "promoted by hand with `leadscore models promote`")?;
                match was {
                    Some(w) => format!("{} is now current (was {}).", label(n), label(w)),
                    None => format!("{} is now current.", label(n)),
                }
            };
            let changed = Changed {
                action: "promote".into(),
                current: Some(label(n)),
                previous: was.map(label),
                removed: Vec::new(),
                message,
            };
            super::print_report(&changed, args.format, Changed::render)
        }
        ModelsAction::Rollback => {
            let lock = registry.lock(!args.no_wait, "models rollback")?;
            if registry.legacy().is_some() {
                return Err(Error::Usage(format!(
                    "{} holds a single model (no versions yet), so there is nothing to roll back to",
                    args.models.display()
                )));
            }
            // As with `promote`: a version that would not load must never become current (its
            // file damaged or edited since it was current).
            if let Some(to) = registry.rollback_to()? {
                Model::load(&registry.dir().join(to).join(MODEL_FILE))?;
            }
            let now = crate::io::date::timestamp();
            let (from, to) = lock.rollback(&now)?;
            let changed = Changed {
                action: "rollback".into(),
                message: format!("Rolled back: {to} is current again (was {from})."),
                current: Some(to),
                previous: Some(from),
                removed: Vec::new(),
            };
            super::print_report(&changed, args.format, Changed::render)
        }
        ModelsAction::Prune { keep } => {
            let lock = registry.lock(!args.no_wait, "models prune")?;
            // Pruning around a current version that does not load could remove the last good one.
            if let Some(n) = registry.current()? {
                let file = match registry.legacy() {
                    Some(f) => f,
                    None => registry.version_dir(n).join(MODEL_FILE),
                };
                if let Err(e) = Model::load(&file) {
                    return Err(Error::Usage(format!(
                        "the current version {} does not load ({e}); make a good version current (`leadscore models rollback` or `models promote VERSION`) before pruning",
                        label(n)
                    )));
                }
            }
            let removed: Vec<String> = lock.prune(*keep)?.into_iter().map(label).collect();
            let kept: Vec<String> = kept_versions(&registry)?.into_iter().map(label).collect();
            let message = if removed.is_empty() {
                format!(
                    "Nothing to remove: {} kept (the current one is never removed).",
                    kept.join(", ")
                )
            } else {
                format!("Removed {}; kept {}.", removed.join(", "), kept.join(", "))
            };
            let changed = Changed {
                action: "prune".into(),
                current: registry.current()?.map(label),
                previous: None,
                removed,
                message,
            };
            super::print_report(&changed, args.format, Changed::render)
        }
    }
}

/// Every version, newest first; a directory in the layout before the registry lists its one
/// model as version 1.
fn list(registry: &Registry) -> Result<Listing> {
    let pointer = registry.pointer()?;
    let current = registry.current()?;
    let mut versions = Vec::new();
    if let Some(file) = registry.legacy() {
        let model = Model::load(&file)?;
        versions.push(Entry {
            info: legacy_info(&model, &file.display().to_string()),
            current: true,
            problem: None,
        });
    }
    for n in registry.versions()?.into_iter().rev() {
        let file = registry.version_dir(n).join(MODEL_FILE);
        // Listed, but flagged: a version that would be refused must not look usable. One
        // with neither a record nor a model (left by an interrupted run of a leadscore before
        // versions were put in place under the cleanup's lock) is listed as such, rather than
        // failing every listing of the registry.
        let (info, problem) = match info(registry, n) {
            Ok(info) => (info, Model::load(&file).err().map(|e| e.to_string())),
            Err(e) => (unreadable_info(n), Some(e.to_string())),
        };
        versions.push(Entry {
            info,
            current: current == Some(n),
            problem,
        });
    }
    // `models rollback` refuses a version whose model does not load: it is not offered.
    let (rollback_to, rollback_refused) = match registry.rollback_to()? {
        Some(v) => {
            match parse_label(&v).map(|n| Model::load(&registry.version_dir(n).join(MODEL_FILE))) {
                Some(Err(_)) => (None, Some(v)),
                _ => (Some(v), None),
            }
        }
        None => (None, None),
    };
    Ok(Listing {
        models: registry.dir().display().to_string(),
        current: current.map(label),
        since: pointer.as_ref().map(|p| p.since.clone()),
        current_reason: pointer.as_ref().map(|p| p.reason.clone()),
        rollback_to,
        rollback_refused,
        versions,
    })
}

/// One version in full.
fn show(registry: &Registry, version: &str) -> Result<Shown> {
    let legacy = registry.legacy();
    let (file, info) = match (&legacy, existing(registry, version)?) {
        (Some(file), 1) => {
            let model = Model::load(file)?;
            (
                file.clone(),
                legacy_info(&model, &file.display().to_string()),
            )
        }
        (_, n) => (registry.version_dir(n).join(MODEL_FILE), info(registry, n)?),
    };
    let model = Model::load(&file)?;
    let eq = Equation::from_model(&model)?;
    let current = registry.current()?.map(label).as_deref() == Some(info.version.as_str());
    Ok(Shown {
        current,
        file: file.display().to_string(),
        currency: model.currency.clone(),
        trained_on: model.training.file.clone(),
        rows_used: model.training.rows_used,
        sha256: model.training.sha256.clone(),
        features: model
            .schema
            .features
            .iter()
            .map(|f| f.name().to_string())
            .collect(),
        cv_net_mae: model.validation.net_value.mae,
        cv_net_r2: model.validation.net_value.r2,
        decisions: model.decisions,
        effects: eq.level_net_effects(),
        numbers: eq.numeric_net_effects(),
        info,
    })
}

/// The versions kept, oldest first: the model of the layout before the registry is version 1,
/// as `list` shows it.
fn kept_versions(registry: &Registry) -> Result<Vec<u32>> {
    let mut versions = registry.versions()?;
    if registry.legacy().is_some() && !versions.contains(&1) {
        versions.insert(0, 1);
    }
    Ok(versions)
}

/// The number of `version`, which must be a version kept in `registry`: `v0003`, `v3`, `3`, or
/// `current`, the version `current.json` names.
fn existing(registry: &Registry, version: &str) -> Result<u32> {
    let versions = kept_versions(registry)?;
    let kept = || {
        if versions.is_empty() {
            "none".to_string()
        } else {
            versions
                .iter()
                .map(|&v| label(v))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let n = if version == CURRENT {
        registry.current()?.ok_or_else(|| {
            Error::Usage(format!(
                "no version of {} is current; name one (versions kept: {})",
                registry.dir().display(),
                kept()
            ))
        })?
    } else {
        parse_label(version).ok_or_else(|| {
            // The example is a version there is, the newest.
            let like = label(versions.last().copied().unwrap_or(1));
            Error::Usage(format!(
                "\"{version}\" is not a version; name one like {like}, or {CURRENT} (see `leadscore models list`)"
            ))
        })?
    };
    if versions.contains(&n) {
        return Ok(n);
    }
    Err(Error::Usage(format!(
        "there is no {} in {} (versions kept: {})",
        label(n),
        registry.dir().display(),
        kept()
    )))
}

/// How `models show`, `diff` and `promote` name the current version.
const CURRENT: &str = "current";

/// What `version.json` says, or for a version without one, what its model says.
fn info(registry: &Registry, n: u32) -> Result<VersionInfo> {
    if registry
        .version_dir(n)
        .join(registry::VERSION_FILE)
        .is_file()
    {
        return registry.info(n);
    }
    let file = registry.version_dir(n).join(MODEL_FILE);
    let model = Model::load(&file)?;
    let mut info = legacy_info(&model, &file.display().to_string());
    info.version = label(n);
    info.decision = "unknown".into();
    info.reason = "no version record".into();
    Ok(info)
}

/// A version directory with neither a readable record nor a model: what can be said of it.
fn unreadable_info(n: u32) -> VersionInfo {
    VersionInfo {
        version: label(n),
        created_at: "-".into(),
        made_by: "-".into(),
        customers: 0,
        first_won: None,
        last_won: None,
        measured_on: "-".into(),
        mae_net: None,
        gini: None,
        decision: crate::report::models::UNREADABLE.into(),
        reason: "neither its version record nor its model can be read; remove the directory, or restore it from a backup".into(),
        history_sha256: None,
        history_delimiter: None,
        judged_against: None,
    }
}

/// A model in the layout before the registry, described as version 1.
fn legacy_info(model: &Model, file: &str) -> VersionInfo {
    VersionInfo {
        version: label(1),
        created_at: model.created_at.clone(),
        made_by: "train".into(),
        customers: model.training.rows_used,
        first_won: None,
        last_won: None,
        measured_on: "cross-validation".into(),
        mae_net: Some(model.validation.net_value.mae),
        gini: None,
        decision: "current".into(),
        reason: format!("the only model, in {file}; a retrain keeps it as v0001"),
        history_sha256: None,
        history_delimiter: None,
        judged_against: None,
    }
}
