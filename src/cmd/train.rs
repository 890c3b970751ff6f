//! `leadscore train --history FILE`: fit both money models on past customers, report how well
//! they predict out of sample beside a mean-only baseline, and save a self-describing model.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use crate::cli::TrainArgs;
use crate::config::Config;
use crate::economics::money;
use crate::error::{Error, Result};
use crate::fit::history::History;
use crate::fit::training::{self, Trained};
use crate::io::table::ReadOptions;
use crate::model::file::Metrics;
use crate::model::file::{Model, ModelColumn, TrainingData, FORMAT, FORMAT_VERSION, MODEL_FILE};

pub fn run(args: &TrainArgs) -> Result<()> {
    let config = Config::load(&args.config)?;
    let opts = ReadOptions {
        delimiter: args.delimiter,
        progress: std::io::stderr().is_terminal(),
        fingerprint: true,
    };
    let history = History::read(&args.history, &config, opts)?;
    let trained = training::train(&history, &config)?;
    let model = build_model(&history, &config, &trained);
    let path = args.models.join(MODEL_FILE);
    model.save(&path)?;
    let report = render_report(&history, &trained, &model, &path.display().to_string());
    let mut out = std::io::stdout().lock();
    out.write_all(report.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::write("standard output", e))
}

fn build_model(history: &History, config: &Config, t: &Trained) -> Model {
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
        interval: t.interval,
        validation: t.validation.clone(),
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

/// Fewer customers than this per model column (intercept included) is a small history.
const SMALL_HISTORY_PER_COLUMN: usize = 10;

/// How many customers a report line names before "and N more".
const LISTED: usize = 8;

/// The names shown, then how many of `total` were not.
fn listing(shown: &[String], total: usize) -> String {
    let mut s = shown.join(", ");
    if total > shown.len() {
        let _ = write!(s, " and {} more", group(total - shown.len()));
    }
    s
}

fn r2(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

fn render_report(history: &History, t: &Trained, model: &Model, path: &str) -> String {
    let t_fits_penalty = |k: usize| t.fits[k].penalty;
    let cur = &model.currency;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Trained on {} of {} customers in {} (sha256 {}).",
        group(history.rows()),
        group(history.rows_read),
        history.path,
        &history.sha256[..12]
    );
    if !history.excluded.is_empty() {
        let shown: Vec<String> = history
            .excluded
            .iter()
            .take(20)
            .map(|e| format!("{} (line {}, {})", e.id, e.line, e.column))
            .collect();
        let _ = writeln!(
            s,
            "Left out {} customers with a blank outcome: {}.",
            group(history.excluded.len()),
            listing(&shown, history.excluded.len())
        );
    }
    let v = &t.validation;
    let _ = writeln!(
        s,
        "\nCross-validated on {} folds (seed {}), money in {cur}:\n",
        v.folds, v.seed
    );
    let _ = writeln!(
        s,
        "{:<16} {:>8}  {:>15} {:>12} {:>12}   {:>7} {:>12} {:>12}",
        "target", "penalty", "R² (± sd)", "MAE", "RMSE", "mean R²", "mean MAE", "mean RMSE"
    );
    let row = |s: &mut String, name: &str, penalty: Option<f64>, m: &Metrics| {
        let r2sd = match (m.r2, m.r2_sd) {
            (Some(a), Some(b)) => format!("{a:.3} ± {b:.3}"),
            (Some(a), None) => format!("{a:.3}"),
            _ => "n/a".into(),
        };
        let _ = writeln!(
            s,
            "{:<16} {:>8}  {:>15} {:>12} {:>12}   {:>7} {:>12} {:>12}",
            name,
            penalty.map_or_else(|| "-".into(), |p| format!("{p}")),
            r2sd,
            money(m.mae, 0),
            money(m.rmse, 0),
            r2(m.baseline_r2),
            money(m.baseline_mae, 0),
            money(m.baseline_rmse, 0),
        );
    };
    row(
        &mut s,
        "lifetime return",
        Some(t.fits[0].penalty),
        &v.lifetime_return,
    );
    row(
        &mut s,
        "service burden",
        Some(t.fits[1].penalty),
        &v.service_burden,
    );
    row(&mut s, "net value", None, &v.net_value);
    if v.penalty_search.len() > 1 {
        // Stars mark each target's linear fit; a log fit's penalty is on the Scale line.
        let linear_penalty = |t: usize| {
            v.scale_choice
                .get(t)
                .map_or(t_fits_penalty(t), |c| c.linear_penalty)
        };
        let _ = writeln!(
            s,
            "\nPenalty search (cross-validated RMSE in {cur} of the linear fits; * = chosen):"
        );
        for trial in &v.penalty_search {
            let mark = |p: f64| if p == trial.penalty { "*" } else { " " };
            let line = format!(
                "  {:>8}   return {:>12}{}   burden {:>12}{}",
                trial.penalty,
                money(trial.return_rmse, 0),
                mark(linear_penalty(0)),
                money(trial.burden_rmse, 0),
                mark(linear_penalty(1)),
            );
            let _ = writeln!(s, "{}", line.trim_end());
        }
    }
    let scales: Vec<String> = v
        .scale_choice
        .iter()
        .map(|c| {
            let how = if c.forced { "set by model.transform" } else { "chosen" };
            match (c.linear_rmse, c.log_rmse) {
                (Some(linear), Some(log)) if c.log => format!(
                    "{} on ln(1 + y), {how} (penalty {}; cross-validated RMSE {}, against {} linear)",
                    c.target,
                    c.log_penalty.unwrap_or(0.0),
                    money(log, 0),
                    money(linear, 0)
                ),
                (Some(linear), Some(log)) => format!(
                    "{} linear, {how} (cross-validated RMSE {}, against {} on ln(1 + y))",
                    c.target,
                    money(linear, 0),
                    money(log, 0)
                ),
                _ if c.can_be_negative => {
                    format!("{} linear (it can be negative, so no log)", c.target)
                }
                _ => format!("{} linear, set by model.transform", c.target),
            }
        })
        .collect();
    if !v.scale_choice.is_empty() {
        let _ = writeln!(
            s,
            "\nScale, by cross-validated error in {cur}: {}.",
            scales.join("; ")
        );
    }
    for (name, m) in [
        ("lifetime return", &v.lifetime_return),
        ("service burden", &v.service_burden),
        ("net value", &v.net_value),
    ] {
        if m.r2.is_some_and(|r| r < 0.05) {
            let _ = writeln!(
                s,
                "\nwarning: {name} is barely predictable from these features (cross-validated R² {}); its scores are close to the average customer's.",
                r2(m.r2)
            );
        }
    }
    for (name, m) in [
        ("lifetime return", &v.lifetime_return),
        ("service burden", &v.service_burden),
    ] {
        if let (Some(shown), Some(linear)) = (m.r2, m.unfloored_r2) {
            if (shown - linear).abs() >= 0.0005 {
                let _ = writeln!(
                    s,
                    "\nShowing {name} as zero where the fit predicts below zero (it cannot be negative) moves its cross-validated R² from {linear:.3} to {shown:.3}."
                );
            }
        }
    }

    s.push('\n');
    if t.redundant.is_empty() {
        let _ = writeln!(s, "Redundant columns: none.");
    } else {
        let names: Vec<&str> = t
            .redundant
            .iter()
            .map(|&j| t.schema.columns[j].as_str())
            .collect();
        let _ = writeln!(
            s,
            "Redundant columns (implied by earlier columns, so left out of the fit): {}.",
            names.join(", ")
        );
    }
    for (feature, values) in &t.notes.pooled {
        let listed: Vec<String> = values.iter().map(|(v, n)| format!("{v} ({n})")).collect();
        let _ = writeln!(
            s,
            "Rare {feature} values (fewer than {} customers each) pooled into (other): {}.",
            t.min_category_count,
            listed.join(", ")
        );
    }
    // Ten customers per estimated effect is the usual floor for a stable linear fit.
    let columns = t.schema.n_columns();
    if history.rows() < SMALL_HISTORY_PER_COLUMN * (columns + 1) {
        let _ = writeln!(
            s,
            "warning: {} customers is few for {} model columns (about {} per column; {} or more is safer): the effects are uncertain, so check the cross-validated errors above and prefer fewer features.",
            group(history.rows()),
            columns,
            history.rows() / (columns + 1),
            SMALL_HISTORY_PER_COLUMN
        );
    }
    for feature in &t.notes.no_effect {
        let _ = writeln!(
            s,
            "warning: every {feature} value has fewer than {} customers, so {feature} has no effect on the scores; lower model.min_category_count or drop it from [features].",
            t.min_category_count
        );
    }
    for (feature, rows, lo, hi) in &t.notes.clamped {
        if rows.is_empty() {
            continue;
        }
        let values = history
            .values
            .iter()
            .zip(&t.schema.features)
            .find_map(|(v, f)| match v {
                crate::fit::schema::FeatureValues::Numeric(v) if f.name() == feature => Some(v),
                _ => None,
            });
        let shown: Vec<String> = rows
            .iter()
            .take(LISTED)
            .map(|&i| match values {
                Some(v) => format!(
                    "{} ({})",
                    history.ids.get(i),
                    crate::model::warning::plain(v[i])
                ),
                None => history.ids.get(i).to_string(),
            })
            .collect();
        let _ = writeln!(
            s,
            "Clamped {feature} to the training range [{}, {}] for {} customers, most extreme first: {}.",
            crate::model::warning::plain(*lo),
            crate::model::warning::plain(*hi),
            group(rows.len()),
            listing(&shown, rows.len())
        );
    }
    for (feature, n) in &t.notes.imputed {
        let _ = writeln!(
            s,
            "Imputed {feature} with the training median for {} customers.",
            group(*n)
        );
    }
    let d = &model.decisions;
    let _ = writeln!(
        s,
        "\nDecisions on expected net value ({cur}): tier A >= {}, B >= {}, C >= {}, D below; contact >= {}, skip < {}, qualify in between.",
        money(d.tier_a, 0),
        money(d.tier_b, 0),
        money(d.tier_c, 0),
        money(d.contact_at, 0),
        money(d.skip_below, 0),
    );
    if let Some(i) = &model.interval {
        let (lo, hi) = i.around(0.0, 0.0);
        let (lo_big, hi_big) = i.around(0.0, 50_000.0);
        let _ = writeln!(
            s,
            "Each lead gets a net-value interval meant to hold {:.0}% of outcomes, from the cross-validated errors: {} to {} around the prediction for a small account, {} to {} for one turning over {cur} 50,000.",
            i.level * 100.0,
            crate::economics::signed_whole(lo),
            crate::economics::signed_whole(hi),
            crate::economics::signed_whole(lo_big),
            crate::economics::signed_whole(hi_big),
        );
    }
    let _ = writeln!(s, "Model saved to {path}.");
    s
}

/// `12345` → `12,345`.
pub fn group(n: usize) -> String {
    money(n as f64, 0)
}
