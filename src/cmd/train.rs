//! `leadscore train --history FILE`: fit both money models on past customers, save a
//! self-describing model, and report (see `report::train`) how well they predict out of sample
//! beside a mean-only baseline, as text or JSON. With `--leads`, a lead list is first checked for
//! every column scoring will need.

use std::io::IsTerminal;

use crate::cli::TrainArgs;
use crate::config::Config;
use crate::error::Result;
use crate::fit::history::History;
use crate::fit::training::{self, Trained};
use crate::io::table::ReadOptions;
use crate::model::file::{Model, ModelColumn, TrainingData, FORMAT, FORMAT_VERSION, MODEL_FILE};
use crate::model::stored_config::StoredConfig;
use crate::report::train::TrainReport;

pub fn run(args: &TrainArgs) -> Result<()> {
    let config = Config::load(&args.config)?;
    if let Some(leads) = &args.leads {
        crate::fit::leaks::check_lead_list(leads, &config, args.delimiter)?;
    }
    let opts = ReadOptions {
        delimiter: args.delimiter,
        progress: std::io::stderr().is_terminal(),
        fingerprint: true,
    };
    let history = History::read(&args.history, &config, opts)?;
    let trained = training::train(&history, &config)?;
    let config_file = args.config.display().to_string();
    let model = build_model(&history, &config, &config_file, &trained);
    let path = output_path(&args.models);
    model.save(&path)?;
    let report = TrainReport::new(&history, &trained, &model, &path.display().to_string());
    super::print_report(&report, args.format, TrainReport::render)
}

fn build_model(history: &History, config: &Config, config_file: &str, t: &Trained) -> Model {
    let mean = |k: usize| history.targets.iter().map(|y| y[k]).sum::<f64>() / history.rows() as f64;
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
        created_at: created_at(),
        currency: config.economics.currency.clone(),
        id_column: config.id.clone(),
        lead_id_column: config.lead_id.clone(),
        training: TrainingData {
            file: history.path.clone(),
            rows: history.rows_read,
            rows_used: history.rows(),
            sha256: history.sha256.clone(),
            mean_return: mean(0),
            mean_burden: mean(1),
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
    }
}

/// Where `--models`/`--model` PATH puts the model: PATH itself when it names a `.json` file,
/// else `model.json` in the directory PATH.
fn output_path(path: &std::path::Path) -> std::path::PathBuf {
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if json && !path.is_dir() {
        path.to_path_buf()
    } else {
        path.join(MODEL_FILE)
    }
}

/// Now, or `SOURCE_DATE_EPOCH` when set, so a retrain on the same data can be byte-identical.
fn created_at() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s))
        .unwrap_or_else(std::time::SystemTime::now);
    humantime::format_rfc3339_seconds(now).to_string()
}
