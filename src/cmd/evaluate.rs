//! `leadscore evaluate`: how much to trust the scores, in money. On customers whose outcome is
//! known (the history, each predicted by a cross-validation model that never saw it, or a
//! hold-out file the model never saw): errors beside a mean-only baseline, the normalised Gini of
//! the ranking, a gains table, what contacting only the `contact` leads would have captured,
//! calibration, the whale curve and the intervals' coverage. On a lead list: the predicted whale
//! curve. Text for people, JSON for programs, charts on request; the report itself, its text and
//! its charts are in `report::evaluate`, this module reads the files and scores them.

use std::path::Path;

use crate::cli::EvaluateArgs;
use crate::config::Config;
use crate::economics::{Printed, Recommendation};
use crate::error::{Error, Result};
use crate::fit::history::History;
use crate::fit::schema::FeatureValues;
use crate::fit::training;
use crate::io::table::{CsvInput, ReadOptions};
use crate::model::drift::Drift;
use crate::model::scorer::{ScoredLead, Scorer};
use crate::model::Model;
use crate::report::evaluate::{
    plot, ComponentEvidence, DriftReport, Evidence, Known, LeadsOutlook, Report, Settings,
};
use crate::report::format::group;
use crate::stats::evaluation::whale_curve_of_written;

/// Decimals of the money leads are decided on: what `score` writes by default.
const DECIMALS: usize = 2;

pub fn run(args: &EvaluateArgs) -> Result<()> {
    if args.history.is_none()
        && args.holdout.is_none()
        && args.leads.is_none()
        && args.drift.is_none()
    {
        return Err(Error::Usage(
            "evaluate needs --history FILE (cross-validate on past customers), --holdout FILE (customers the model never saw), --leads FILE (a lead list) or --drift FILE (a lead list against the training data)".into(),
        ));
    }
    if args.history.is_some() && args.holdout.is_some() {
        return Err(Error::Usage(
            "evaluate takes --history or --holdout, not both".into(),
        ));
    }
    // Only a cross-validation trains, so only --history reads a config: given with the others
    // alone, it would be silently ignored (even a file that does not exist).
    if let (Some(config), None) = (&args.config, &args.history) {
        return Err(Error::Usage(format!(
            "--config {} is read only with --history (the settings to cross-validate with); --holdout, --leads and --drift judge the model (--model) as it was trained",
            config.display()
        )));
    }
    // Refused before anything is read or printed: the charts go into a directory, made if
    // missing, and a file there (a lead list, say) is never written over.
    if let Some(dir) = args.plot.as_deref().filter(|d| d.exists() && !d.is_dir()) {
        return Err(Error::Usage(format!(
            "--plot {} is a file: name a directory to write the charts in",
            dir.display()
        )));
    }
    let opts = ReadOptions::on_terminal(args.delimiter);
    let mut report = Report::default();
    if let Some(path) = &args.history {
        let (config, settings) = history_config(args)?;
        report.settings = Some(settings);
        let history = History::read(path, &config, opts)?;
        let trained = training::train(&history, &config)?;
        // Each customer is decided as `score` would decide it as a lead: on return and burden
        // as written, with the "too little known" rule. In its own history a category is never
        // unseen and a blank one has a level of its own, so the guesses are the blank numbers.
        let features = config.features.len();
        let guessed = blank_numbers(&history);
        let rows: Vec<Known> = trained
            .held_out
            .iter()
            .zip(&trained.held_out_money)
            .enumerate()
            .map(|(i, (&(predicted, size, actual), &[ret, burden]))| {
                let (low, high) = trained
                    .interval
                    .map_or((f64::NAN, f64::NAN), |i| i.around(predicted, size));
                let net = Printed::new(ret, burden, DECIMALS).net;
                Known {
                    predicted,
                    recommendation: trained
                        .decisions
                        .decide(net, guessed[i], features)
                        .recommendation,
                    low,
                    high,
                    actual,
                }
            })
            .collect();
        report.currency = config.economics.currency.clone();
        report.known = Some(Evidence::new(
            format!(
                "{} customers of {}, each predicted by a {}-fold cross-validation model that never saw it",
                group(rows.len()),
                history.path,
                config.model.folds
            ),
            trained.validation.lifetime_return.clone(),
            trained.validation.service_burden.clone(),
            trained.validation.net_value.clone(),
            &rows,
            trained.interval.map(|i| i.level),
        ));
        if let Some(known) = report.known.as_mut() {
            let c = &trained.components;
            known.components = ComponentEvidence::all(
                &config.economics,
                c.lifetime_return
                    .iter()
                    .chain(&c.service_burden)
                    .map(|f| f.validation.clone()),
            );
        }
    }
    if args.holdout.is_some() || args.leads.is_some() || args.drift.is_some() {
        let (model, located) = crate::model::registry::load(&args.model)?;
        report.model = Some(format!(
            "{}, trained {} on {}",
            located.describe(),
            model.created_at,
            crate::report::format::counted(model.training.rows_used, "customer")
        ));
        report.currency = model.currency.clone();
        if let Some(path) = &args.holdout {
            // "Never saw" is said only when checked: against the version's kept copy of its
            // history, or the file it was trained on if that is still as it was.
            let mut candidates = Vec::new();
            if let Some(dir) = located.file.parent() {
                candidates.push(dir.join(crate::model::registry::HISTORY_FILE));
            }
            candidates.push(std::path::PathBuf::from(&model.training.file));
            let training = super::TrainingIds::of(&model, &candidates)?;
            report.known = Some(super::holdout_checked(&model, path, opts, Some(&training))?);
        }
        if let Some(path) = &args.leads {
            report.leads = Some(leads(&model, path, opts)?.0);
        }
        if let Some(path) = &args.drift {
            let (outlook, drift) = leads(&model, path, opts)?;
            report.drift = Some(DriftReport {
                file: outlook.file,
                enough_leads: outlook.leads as u64 >= crate::model::drift::MIN_LEADS,
                leads: outlook.leads,
                features: drift.table(&model),
            });
        }
    }
    if let Some(dir) = &args.plot {
        report.charts = plot(&report, dir)?;
    }
    super::print_report(&report, args.format, Report::render)
}

/// The config to cross-validate the history with: `--config` when given, else the one the model
/// (`--model`) was trained with, so the figures are those of the model that was deployed; a
/// model too old to have kept its config, or no model at all, falls back to `leadscore.toml`.
fn history_config(args: &EvaluateArgs) -> Result<(Config, Settings)> {
    if let Some(path) = &args.config {
        let settings = Settings {
            config: path.display().to_string(),
            ..Settings::default()
        };
        return Ok((Config::load(path)?, settings));
    }
    let file = crate::model::registry::locate(&args.model)?.file;
    let mut note = None;
    if file.is_file() {
        let model = Model::load(&file)?;
        let shown = file.display().to_string();
        match &model.config {
            Some(stored) => {
                let settings = Settings {
                    model: Some(shown),
                    trained_at: Some(model.created_at.clone()),
                    config: stored.file.clone(),
                    note: None,
                };
                return Ok((stored.to_config(&model.economics, &model.missing_values), settings));
            }
            None => {
                note = Some(format!(
                    "{shown} does not record the config it was trained with (it was trained by an earlier leadscore), so {DEFAULT_CONFIG} was used; retrain it, or pass --config"
                ))
            }
        }
    }
    let settings = Settings {
        config: DEFAULT_CONFIG.into(),
        note,
        ..Settings::default()
    };
    Ok((Config::load(Path::new(DEFAULT_CONFIG))?, settings))
}

/// The config `evaluate --history` reads when neither `--config` nor a model's own is there.
const DEFAULT_CONFIG: &str = "leadscore.toml";

/// Scores a lead list: what the model expects of it, and how it compares with training.
fn leads(model: &Model, path: &Path, opts: ReadOptions) -> Result<(LeadsOutlook, Drift)> {
    let scorer = Scorer::new(model)?;
    let mut input = CsvInput::open(path, opts)?;
    let cols = model.locate_features(&input, Model::LEAD_LIST)?;
    let mut record = crate::io::records::Record::new();
    let mut scored = ScoredLead::default();
    // Each lead's net value as `score` writes it, in cents: the figures this sums are the ones
    // a user can add up in the scored file.
    let cents = |net: f64| (net * 10f64.powi(DECIMALS as i32)).round() as i64;
    let mut nets = Vec::new();
    let mut skipped = Vec::new();
    let mut drift = Drift::new(model);
    while input.read(&mut record)? {
        scorer.score(input.source(), &cols, &record, DECIMALS, &mut scored)?;
        nets.push(cents(scored.money.net));
        // The same decision `score` writes for this lead.
        if scored.recommendation == Recommendation::Skip {
            skipped.push(cents(scored.money.net));
        }
        drift.add(&scored, model);
    }
    input.finish_progress();
    if nets.is_empty() {
        return Err(Error::file(input.path(), "has a header but no rows"));
    }
    let outlook = LeadsOutlook {
        file: input.path().to_string(),
        leads: nets.len(),
        whale: whale_curve_of_written(&nets, DECIMALS),
        skip: skipped.len(),
        skip_expected_loss: -(skipped.iter().filter(|&&n| n < 0).sum::<i64>() as f64)
            / 10f64.powi(DECIMALS as i32),
    };
    Ok((outlook, drift))
}

/// How many numeric features each customer of the history has blank.
fn blank_numbers(history: &History) -> Vec<usize> {
    let mut blanks = vec![0; history.rows()];
    for values in &history.values {
        if let FeatureValues::Numeric(v) = values {
            for (b, x) in blanks.iter_mut().zip(v) {
                *b += usize::from(x.is_nan());
            }
        }
    }
    blanks
}
