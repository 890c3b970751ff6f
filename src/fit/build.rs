//! A trained model as the model file it is saved as.

use crate::config::Config;
use crate::fit::history::History;
use crate::fit::training::Trained;
use crate::model::file::{Model, ModelColumn, TrainingData, FORMAT, FORMAT_VERSION};
use crate::model::stored_config::StoredConfig;

/// The model file of `t`, trained on `history` with `config` (read from `config_file`).
pub fn model(history: &History, config: &Config, config_file: &str, t: &Trained) -> Model {
    let columns = t
        .schema
        .columns
        .iter()
        .enumerate()
        .map(|(j, name)| ModelColumn {
            name: name.clone(),
            mean: t.column_means[j],
            return_coefficient: t.fits[0].coefficients[j],
            burden_coefficient: t.fits[1].coefficients[j],
            redundant: t.redundant.contains(&j),
        })
        .collect();
    Model {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        created_at: crate::io::date::timestamp(),
        currency: config.economics.currency.clone(),
        id_column: config.id.clone(),
        lead_id_column: config.lead_id.clone(),
        training: TrainingData {
            file: history.path.clone(),
            rows: history.rows_read,
            rows_used: history.rows(),
            sha256: history.sha256.clone(),
            mean_return: t.mean_outcomes[0],
            mean_burden: t.mean_outcomes[1],
        },
        schema: t.schema.clone(),
        columns,
        lifetime_return: t.fits[0].clone(),
        service_burden: t.fits[1].clone(),
        economics: config.economics.clone(),
        decisions: t.decisions,
        missing_values: config.missing_values.clone(),
        interval: t.interval,
        validation: t.validation.clone(),
        config: Some(StoredConfig::new(config, config_file)),
        components: Some(t.components.clone()),
    }
}
