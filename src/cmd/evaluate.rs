//! `leadscore evaluate`: how much to trust the scores, in money. On customers whose outcome is
//! known (the history, each predicted by a cross-validation model that never saw it, or a
//! hold-out file the model never saw): errors beside a mean-only baseline, the normalised Gini of
//! the ranking, a gains table, what contacting only the `contact` leads would have captured,
//! calibration, the whale curve and the intervals' coverage. On a lead list: the predicted whale
//! curve. Text for people, JSON for programs, charts on request.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;

use serde::Serialize;

use crate::cli::{EvaluateArgs, Format};
use crate::config::Config;
use crate::economics::{money, Decisions, Recommendation};
use crate::error::{Error, Result};
use crate::fit::history::{History, Ledger};
use crate::fit::training;
use crate::io::table::{CsvInput, ReadOptions};
use crate::model::drift::{Drift, FeatureDrift};
use crate::model::equation::Role;
use crate::model::file::Metrics;
use crate::model::scorer::{ScoredLead, Scorer};
use crate::model::Model;
use crate::report::chart::{self, Chart, Marker, Series};
use crate::stats::evaluation::{
    calibration, captured, coverage, gains, normalised_gini, whale_curve, CalibrationRow, Captured,
    GainsRow, Pair, Whale,
};
use crate::stats::ErrorSums;

/// Decimals of the money leads are decided on: what `score` writes by default.
const DECIMALS: usize = 2;

/// Groups of the gains and calibration tables.
const GROUPS: usize = 10;

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
    let opts = ReadOptions {
        delimiter: args.delimiter,
        progress: std::io::stderr().is_terminal(),
        fingerprint: false,
    };
    let mut report = Report::default();
    if let Some(path) = &args.history {
        let config = Config::load(&args.config)?;
        let history = History::read(path, &config, opts)?;
        let trained = training::train(&history, &config)?;
        let rows: Vec<Known> = trained
            .held_out
            .iter()
            .map(|&(predicted, size, actual)| {
                let (low, high) = trained
                    .interval
                    .map_or((f64::NAN, f64::NAN), |i| i.around(predicted, size));
                Known {
                    predicted,
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
            &trained.decisions,
            trained.interval.map(|i| i.level),
        ));
    }
    if args.holdout.is_some() || args.leads.is_some() || args.drift.is_some() {
        let model = Model::load(&args.model)?;
        report.currency = model.currency.clone();
        if let Some(path) = &args.holdout {
            report.known = Some(holdout(&model, path, opts)?);
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
    let text = match args.format {
        Format::Text => report.render(),
        Format::Json => serde_json::to_string_pretty(&report).expect("serialisable") + "\n",
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::write("standard output", e))
}

/// A customer whose net value is known, with what the model predicted for it.
#[derive(Debug, Clone, Copy)]
struct Known {
    predicted: f64,
    low: f64,
    high: f64,
    actual: f64,
}

/// Everything measured on customers with known outcomes.
#[derive(Debug, Serialize)]
struct Evidence {
    on: String,
    customers: usize,
    lifetime_return: Metrics,
    service_burden: Metrics,
    net_value: Metrics,
    normalised_gini: Option<f64>,
    gains: Vec<GainsRow>,
    contact_only: Captured,
    /// Losses of the customers beyond the whale curve's peak that `skip` would have avoided.
    tail_avoided_by_skip: f64,
    calibration: Vec<CalibrationRow>,
    whale: Whale,
    interval_level: Option<f64>,
    interval_coverage: Option<f64>,
}

impl Evidence {
    fn new(
        on: String,
        lifetime_return: Metrics,
        service_burden: Metrics,
        net_value: Metrics,
        rows: &[Known],
        decisions: &Decisions,
        interval_level: Option<f64>,
    ) -> Evidence {
        let pairs: Vec<Pair> = rows
            .iter()
            .map(|r| Pair {
                predicted: r.predicted,
                actual: r.actual,
            })
            .collect();
        let contact = |net: f64| decisions.recommend(net) == Recommendation::Contact;
        let actual: Vec<f64> = rows.iter().map(|r| r.actual).collect();
        let whale = whale_curve(&actual);
        // The tail: customers beyond the peak, i.e. those losing money, ranked by what they lost.
        let tail_avoided_by_skip = -rows
            .iter()
            .filter(|r| r.actual < 0.0 && decisions.recommend(r.predicted) == Recommendation::Skip)
            .map(|r| r.actual)
            .sum::<f64>();
        let intervals: Vec<(f64, f64, f64)> = rows
            .iter()
            .filter(|r| r.low.is_finite())
            .map(|r| (r.low, r.high, r.actual))
            .collect();
        Evidence {
            on,
            customers: rows.len(),
            lifetime_return,
            service_burden,
            net_value,
            normalised_gini: normalised_gini(&pairs),
            gains: gains(&pairs, GROUPS),
            contact_only: captured(&pairs, contact),
            tail_avoided_by_skip,
            calibration: calibration(&pairs, GROUPS),
            whale,
            interval_level,
            interval_coverage: coverage(&intervals),
        }
    }
}

/// Scores a file of customers the model never saw and compares with what they turned out to be.
fn holdout(model: &Model, path: &Path, opts: ReadOptions) -> Result<Evidence> {
    let scorer = Scorer::new(model)?;
    let eq = scorer.equation();
    let mut input = CsvInput::open(
        path,
        ReadOptions {
            fingerprint: true,
            ..opts
        },
    )?;
    let cols = model.locate_features(&input)?;
    let ledger = Ledger::locate(&input, &model.economics)?;
    let (base_r, base_b) = (model.training.mean_return, model.training.mean_burden);
    // Return, burden, net as shown; the same for the mean-only baseline; return and burden
    // before the floors at zero.
    let mut sums = [ErrorSums::default(); 8];
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut scored = ScoredLead::default();
    let mut scratch = Vec::new();
    let mut unknown = 0;
    while input.read(&mut record)? {
        let Ok(actual) = ledger.outcome(input.source(), &record, &mut scratch)? else {
            unknown += 1;
            continue;
        };
        scorer.score(input.source(), &cols, &record, DECIMALS, &mut scored)?;
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
        rows.push(Known {
            predicted: ret - burden,
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
        r2: sums[t].r2(),
        r2_sd: None,
        mae: sums[t].mae(),
        rmse: sums[t].rmse(),
        baseline_r2: sums[3 + t].r2(),
        baseline_mae: sums[3 + t].mae(),
        baseline_rmse: sums[3 + t].rmse(),
        unfloored_r2: (t < 2).then(|| sums[6 + t].r2()).flatten(),
    };
    let mut on = format!(
        "{} customers of {} that the model (trained on {}) never saw",
        group(rows.len()),
        input.path(),
        model.training.file
    );
    if unknown > 0 {
        let _ = write!(on, "; {} more left out for a blank outcome", group(unknown));
    }
    Ok(Evidence::new(
        on,
        metrics(0),
        metrics(1),
        metrics(2),
        &rows,
        &model.decisions,
        model.interval.map(|i| i.level),
    ))
}

/// What the model expects of a lead list as a whole.
#[derive(Debug, Serialize)]
struct LeadsOutlook {
    file: String,
    leads: usize,
    /// The predicted whale curve: leads ranked by expected net value.
    whale: Whale,
    skip: usize,
    /// The expected losses of the leads recommended `skip`.
    skip_expected_loss: f64,
}

/// Scores a lead list: what the model expects of it, and how it compares with training.
fn leads(model: &Model, path: &Path, opts: ReadOptions) -> Result<(LeadsOutlook, Drift)> {
    let scorer = Scorer::new(model)?;
    let eq = scorer.equation();
    let mut input = CsvInput::open(path, opts)?;
    let cols = model.locate_features(&input)?;
    let mut record = csv::ByteRecord::new();
    let mut scored = ScoredLead::default();
    let mut nets = Vec::new();
    let mut skipped = Vec::new();
    let mut drift = Drift::new(model);
    while input.read(&mut record)? {
        scorer.score(input.source(), &cols, &record, DECIMALS, &mut scored)?;
        nets.push(scored.net(eq));
        // The same decision `score` writes for this lead.
        if scored.recommendation == Recommendation::Skip {
            skipped.push(scored.net(eq));
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
        whale: whale_curve(&nets),
        skip: skipped.len(),
        skip_expected_loss: -skipped.iter().filter(|&&n| n < 0.0).sum::<f64>(),
    };
    Ok((outlook, drift))
}

/// A lead list against the training distribution, feature by feature.
#[derive(Debug, Serialize)]
struct DriftReport {
    file: String,
    leads: usize,
    /// Whether there were enough leads (100) to call a shift at all.
    enough_leads: bool,
    features: Vec<FeatureDrift>,
}

#[derive(Debug, Default, Serialize)]
struct Report {
    currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    known: Option<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leads: Option<LeadsOutlook>,
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<DriftReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    charts: Vec<String>,
}

fn group(n: usize) -> String {
    money(n as f64, 0)
}

/// `1 lead`, `2 leads`.
fn counted(n: usize, noun: &str) -> String {
    format!("{} {noun}{}", group(n), if n == 1 { "" } else { "s" })
}

/// Below this many customers, tables by tenth and coverage are rough.
const FEW: usize = 100;

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.1}%", v * 100.0)
    } else {
        "n/a".into()
    }
}

fn r2(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

impl Report {
    fn render(&self) -> String {
        let cur = &self.currency;
        let m = |v: f64| money(v, 0);
        let mut s = String::new();
        if let Some(e) = &self.known {
            let _ = writeln!(s, "Evaluated on {}; money in {cur}.\n", e.on);
            let _ = writeln!(
                s,
                "{:<16} {:>7} {:>12} {:>12}   {:>7} {:>12} {:>12}",
                "target", "R²", "MAE", "RMSE", "mean R²", "mean MAE", "mean RMSE"
            );
            for (name, x) in [
                ("lifetime return", &e.lifetime_return),
                ("service burden", &e.service_burden),
                ("net value", &e.net_value),
            ] {
                let _ = writeln!(
                    s,
                    "{:<16} {:>7} {:>12} {:>12}   {:>7} {:>12} {:>12}",
                    name,
                    r2(x.r2),
                    m(x.mae),
                    m(x.rmse),
                    r2(x.baseline_r2),
                    m(x.baseline_mae),
                    m(x.baseline_rmse)
                );
            }
            let _ = writeln!(
                s,
                "\nRanking by expected net value: normalised Gini {} (1 = perfect order, 0 = random).",
                r2(e.normalised_gini)
            );
            let _ = writeln!(
                s,
                "\nGains by tenth of expected net value, best first (share of all net value captured by contacting down to that tenth):\n"
            );
            let _ = writeln!(
                s,
                "{:>5} {:>9} {:>14} {:>16} {:>10} {:>8} {:>8}",
                "tenth",
                "customers",
                "mean expected",
                "actual net",
                "captured",
                "random",
                "perfect"
            );
            for g in &e.gains {
                let _ = writeln!(
                    s,
                    "{:>5} {:>9} {:>14} {:>16} {:>10} {:>8} {:>8}",
                    g.group,
                    group(g.customers),
                    m(g.predicted_mean),
                    m(g.actual_total),
                    pct(g.cumulative_share),
                    pct(g.random_share),
                    pct(g.perfect_share)
                );
            }
            let c = &e.contact_only;
            let _ = writeln!(
                s,
                "\nContacting only the {} recommended `contact` of {} would have brought {cur} {} of the {cur} {} all of them brought ({}), avoiding {cur} {} of losses and forgoing {cur} {} of profit among the rest.",
                counted(c.contacted, "customer"),
                group(c.all),
                m(c.value_contacted),
                m(c.value_all),
                pct(c.value_contacted / c.value_all),
                m(c.losses_avoided),
                m(c.profit_forgone)
            );
            let _ = writeln!(s, "\nCalibration by tenth of expected net value:\n");
            let _ = writeln!(
                s,
                "{:>5} {:>9} {:>14} {:>14}",
                "tenth", "customers", "mean expected", "mean actual"
            );
            for c in &e.calibration {
                let _ = writeln!(
                    s,
                    "{:>5} {:>9} {:>14} {:>14}",
                    c.group,
                    group(c.customers),
                    m(c.predicted_mean),
                    m(c.actual_mean)
                );
            }
            let w = &e.whale;
            let _ = writeln!(
                s,
                "\nWhale curve (customers ranked by actual net value): the top fifth earned {} of the total net value of {cur} {}; cumulative profit peaks at {cur} {} ({} of the total) after {} of the customers; the {} beyond the peak lose {cur} {}, of which the `skip` recommendation would have avoided {cur} {}.",
                pct(w.top_fifth_share),
                m(w.total),
                m(w.peak_profit),
                pct(w.peak_profit / w.total),
                pct(w.peak_share_of_customers),
                counted(e.customers - w.peak_customers, "customer"),
                m(w.tail_loss),
                m(e.tail_avoided_by_skip)
            );
            if e.customers < FEW {
                let _ = writeln!(
                    s,
                    "\nNote: with {} the tables by tenth and the coverage below are rough; judge the model on {FEW} or more.",
                    counted(e.customers, "customer")
                );
            }
            if let (Some(level), Some(cov)) = (e.interval_level, e.interval_coverage) {
                let _ = writeln!(
                    s,
                    "\nThe {:.0}% intervals held {} of the actual net values.",
                    level * 100.0,
                    pct(cov)
                );
            }
        }
        if let Some(l) = &self.leads {
            if !s.is_empty() {
                s.push('\n');
            }
            let w = &l.whale;
            let _ = writeln!(
                s,
                "Lead list {}: {}, expected net value {cur} {} in all. Ranked by expected net value, the top fifth is expected to bring {} of it; expected profit peaks at {cur} {} after {} of the leads, and the {} beyond the peak are expected to lose {cur} {}. The {} recommended `skip` carry {cur} {} of expected losses.",
                l.file,
                counted(l.leads, "lead"),
                m(w.total),
                pct(w.top_fifth_share),
                m(w.peak_profit),
                pct(w.peak_share_of_customers),
                counted(l.leads - w.peak_customers, "lead"),
                m(w.tail_loss),
                counted(l.skip, "lead"),
                m(l.skip_expected_loss)
            );
        }
        if let Some(d) = &self.drift {
            if !s.is_empty() {
                s.push('\n');
            }
            let _ = writeln!(
                s,
                "Drift of {} ({} leads) against the training customers (PSI: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major shift):\n",
                d.file,
                group(d.leads)
            );
            let _ = writeln!(
                s,
                "{:<24} {:>7} {:>8} {:>13} {:>7} {:>17}  moved",
                "feature", "PSI", "unseen", "out of range", "blank", "blank in training"
            );
            for f in &d.features {
                let _ = writeln!(
                    s,
                    "{:<24} {:>7} {:>8} {:>13} {:>7} {:>17}  {}",
                    f.feature,
                    f.psi.map_or_else(|| "n/a".into(), |p| format!("{p:.3}")),
                    f.unseen_share.map_or_else(|| "-".into(), pct),
                    f.out_of_range_share.map_or_else(|| "-".into(), pct),
                    pct(f.missing_share),
                    pct(f.training_missing_share),
                    if f.moved { "yes" } else { "no" }
                );
            }
            if d.leads < crate::model::drift::MIN_LEADS as usize {
                let _ = writeln!(
                    s,
                    "\n(With fewer than {} leads the shares are too noisy to call a shift.)",
                    crate::model::drift::MIN_LEADS
                );
            }
        }
        for c in &self.charts {
            let _ = writeln!(s, "Wrote {c}.");
        }
        s
    }
}

/// Writes the gains, calibration and whale charts (PNG and SVG) into `dir`.
fn plot(report: &Report, dir: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir.display(), e))?;
    let mut charts = Vec::new();
    if let Some(e) = &report.known {
        let mut model = vec![(0.0, 0.0)];
        let mut random = vec![(0.0, 0.0)];
        let mut perfect = vec![(0.0, 0.0)];
        let mut seen = 0usize;
        for g in &e.gains {
            seen += g.customers;
            let x = seen as f64 / e.customers as f64;
            model.push((x, g.cumulative_share));
            random.push((x, g.random_share));
            perfect.push((x, g.perfect_share));
        }
        charts.push((
            "gains",
            Chart {
                title: format!(
                    "Gains: net value captured, best-scored first ({} customers)",
                    group(e.customers)
                ),
                x_label: "share of customers contacted".into(),
                y_label: "share of all net value".into(),
                series: vec![
                    series("leadscore ranking", model, false),
                    series("perfect ranking", perfect, true),
                    series("random order", random, true),
                ],
                markers: Vec::new(),
                y_percent: true,
                x_percent: true,
            },
        ));
        let calibration: Vec<(f64, f64)> = e
            .calibration
            .iter()
            .map(|c| (c.predicted_mean, c.actual_mean))
            .collect();
        let lo = calibration
            .iter()
            .map(|p| p.0.min(p.1))
            .fold(f64::INFINITY, f64::min);
        let hi = calibration
            .iter()
            .map(|p| p.0.max(p.1))
            .fold(f64::NEG_INFINITY, f64::max);
        charts.push((
            "calibration",
            Chart {
                title: format!(
                    "Calibration by tenth of expected net value ({} customers)",
                    group(e.customers)
                ),
                x_label: format!("mean expected net value ({})", report.currency),
                y_label: format!("mean actual net value ({})", report.currency),
                series: vec![
                    series("tenths of customers", calibration, false),
                    series("perfect calibration", vec![(lo, lo), (hi, hi)], true),
                ],
                markers: Vec::new(),
                y_percent: false,
                x_percent: false,
            },
        ));
        charts.push((
            "whale",
            whale_chart(
                &e.whale,
                &format!(
                    "Whale curve: {} customers ranked by actual net value",
                    group(e.customers)
                ),
                "share of customers, best first",
                "cumulative share of total net value",
            ),
        ));
    }
    if let Some(l) = &report.leads {
        charts.push((
            "whale-leads",
            whale_chart(
                &l.whale,
                &format!(
                    "Predicted whale curve: {} leads by expected net value",
                    group(l.leads)
                ),
                "share of leads, best first",
                "cumulative share of total expected net value",
            ),
        ));
    }
    let mut written = Vec::new();
    for (name, chart) in charts {
        // A chart that cannot be written is a failure of the run: exit 1, not 2.
        let paths = chart::write(&chart, &dir.join(name))?;
        written.extend(paths.iter().map(|p| p.display().to_string()));
    }
    Ok(written)
}

fn series(name: &str, points: Vec<(f64, f64)>, dashed: bool) -> Series {
    Series {
        name: name.into(),
        points,
        dashed,
    }
}

fn whale_chart(w: &Whale, title: &str, x_label: &str, y_label: &str) -> Chart {
    Chart {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        series: vec![series("cumulative net value", w.points.clone(), false)],
        markers: vec![Marker {
            label: format!("peak {:.0}%", 100.0 * w.peak_profit / w.total),
            at: (w.peak_share_of_customers, w.peak_profit / w.total),
        }],
        y_percent: true,
        x_percent: true,
    }
}
