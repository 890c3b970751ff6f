//! Leaks: columns known only after the relationship (months active, tickets raised, a churn
//! date) that slipped into `[features]`. Such a column predicts an outcome almost perfectly in
//! the history, trains without complaint, and fails only when the lead list turns out not to
//! have it. Two guards: a lead list given at training is checked up front for every column
//! scoring will need ([`check_lead_list`]), and every feature is fitted alone against every
//! outcome with the training folds, so one that alone predicts an outcome almost perfectly is
//! named as a likely leak ([`find`]).
//!
//! The single-feature fits are cheap: a numeric feature is a straight line and a categorical one
//! is a mean per level (what a one-hot fit with an intercept gives), both computed from per-fold
//! sums gathered in two passes over the encoded history.

use std::path::Path;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::io::table::{find_column, CsvInput, ReadOptions};

/// Checks, before anything is fitted, that the lead list at `path` has the lead id column and
/// every feature of `config`: a column the leads lack cannot be known before contact, and would
/// otherwise fail only at `score`.
pub fn check_lead_list(path: &Path, config: &Config, delimiter: Option<u8>) -> Result<()> {
    let input = CsvInput::open(
        path,
        ReadOptions {
            delimiter,
            ..Default::default()
        },
    )?;
    let shown = input.path().to_string();
    let headers = input.headers();
    let with_fix = |e: Error, fix: String| match e {
        Error::File { path, problem } => Error::File {
            path,
            problem: format!("{problem}; {fix}"),
        },
        other => other,
    };
    // As in `score`: the lead id column, else the customer id column.
    if !headers.contains(&config.id) {
        find_column(&shown, headers, &config.lead_id, "the lead id column").map_err(|e| {
            with_fix(
                e,
                "add it to the lead list, or set lead_id under [columns] to the lead list's id column"
                    .into(),
            )
        })?;
    }
    for f in &config.features {
        find_column(&shown, headers, &f.name, "a feature in the config").map_err(|e| {
            with_fix(
                e,
                format!(
                    "add the column to the lead list, or remove {} from [features] (a column the leads lack cannot be known before contact)",
                    f.name
                ),
            )
        })?;
    }
    Ok(())
}
