//! What `evaluate` reports, in money: on customers whose outcome is known, errors beside a
//! mean-only baseline, the normalised Gini of the ranking, a gains table, what contacting only
//! the `contact` leads would have captured, calibration, the whale curve and the intervals'
//! coverage; on a lead list, the predicted whale curve; against the training data, drift.
//! Built as data by `cmd::evaluate`, rendered as text here, serialised as JSON, and drawn as
//! charts by [`plot`].

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::economics::Recommendation;
use crate::error::{Error, Result};
use crate::model::drift::FeatureDrift;
use crate::model::file::Metrics;
use crate::report::chart::{self, Chart, Marker, Series};
use crate::report::format::{columns, counted, group, pct, r2, share, share_of, whole, Left};
use crate::stats::evaluation::{
    calibration, captured, coverage, gains, normalised_gini, whale_curve, CalibrationRow, Captured,
    GainsRow, Pair, Whale,
};

/// Groups of the gains and calibration tables.
const GROUPS: usize = 10;

/// A customer whose net value is known, with what the model predicted for it.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    pub predicted: f64,
    /// What `score` would have recommended for it.
    pub recommendation: Recommendation,
    pub low: f64,
    pub high: f64,
    pub actual: f64,
}

/// Everything measured on customers with known outcomes.
#[derive(Debug, Serialize)]
pub struct Evidence {
    pub on: String,
    pub customers: usize,
    pub lifetime_return: Metrics,
    pub service_burden: Metrics,
    pub net_value: Metrics,
    pub normalised_gini: Option<f64>,
    pub gains: Vec<GainsRow>,
    pub contact_only: Captured,
    /// Losses of the customers beyond the whale curve's peak that `skip` would have avoided.
    pub tail_avoided_by_skip: f64,
    pub calibration: Vec<CalibrationRow>,
    pub whale: Whale,
    pub interval_level: Option<f64>,
    pub interval_coverage: Option<f64>,
    /// Each economics term's own fit, judged alike (absent for a model without components).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<ComponentEvidence>,
}

/// How well one economics term is predicted on its own: which costs and earnings the features
/// tell, and which they do not.
#[derive(Debug, Serialize)]
pub struct ComponentEvidence {
    pub term: String,
    /// `lifetime_return` or `service_burden`.
    pub side: &'static str,
    /// The term's column, when the term is that column times a rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub r2: Option<f64>,
    /// In money.
    pub mae: f64,
    /// In the column's units (hours, complaints), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mae_units: Option<f64>,
    /// A mean-only baseline's, in money.
    pub baseline_mae: f64,
}

impl ComponentEvidence {
    /// The evidence of every term of `economics`, from each part's figures in `metrics`
    /// (return terms first, in the config's order).
    pub fn all(
        economics: &crate::economics::Economics,
        metrics: impl IntoIterator<Item = Metrics>,
    ) -> Vec<ComponentEvidence> {
        let terms = economics
            .lifetime_return
            .iter()
            .map(|t| ("lifetime_return", t))
            .chain(
                economics
                    .service_burden
                    .iter()
                    .map(|t| ("service_burden", t)),
            );
        terms
            .zip(metrics)
            .map(|((side, term), m)| {
                let units = crate::model::components::units(term);
                ComponentEvidence {
                    term: term.name.clone(),
                    side,
                    column: units.as_ref().map(|(c, _)| c.clone()),
                    r2: m.r2,
                    mae: m.mae,
                    mae_units: units.map(|(_, rate)| m.mae / rate.abs()),
                    baseline_mae: m.baseline_mae,
                }
            })
            .collect()
    }
}

impl Evidence {
    /// Measures the ranking, calibration, whale curve and coverage of `rows`, beside the error
    /// metrics measured where they were scored.
    pub fn new(
        on: String,
        lifetime_return: Metrics,
        service_burden: Metrics,
        net_value: Metrics,
        rows: &[Known],
        interval_level: Option<f64>,
    ) -> Evidence {
        let pairs: Vec<Pair> = rows
            .iter()
            .map(|r| Pair {
                predicted: r.predicted,
                actual: r.actual,
            })
            .collect();
        let contact = |i: usize| rows[i].recommendation == Recommendation::Contact;
        let actual: Vec<f64> = rows.iter().map(|r| r.actual).collect();
        let whale = whale_curve(&actual);
        // The tail: customers beyond the peak, i.e. those losing money, ranked by what they lost.
        let tail_avoided_by_skip = -rows
            .iter()
            .filter(|r| r.actual < 0.0 && r.recommendation == Recommendation::Skip)
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
            components: Vec::new(),
        }
    }
}

/// What the model expects of a lead list as a whole.
#[derive(Debug, Serialize)]
pub struct LeadsOutlook {
    pub file: String,
    pub leads: usize,
    /// The predicted whale curve: leads ranked by expected net value.
    pub whale: Whale,
    pub skip: usize,
    /// The expected losses of the leads recommended `skip`.
    pub skip_expected_loss: f64,
}

/// A lead list against the training distribution, feature by feature.
#[derive(Debug, Serialize)]
pub struct DriftReport {
    pub file: String,
    pub leads: usize,
    /// Whether there were enough leads (100) to call a shift at all.
    pub enough_leads: bool,
    pub features: Vec<FeatureDrift>,
}

/// Everything `evaluate` was asked for: each part is there when its flag was given.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub currency: String,
    /// The model judged: `v0002 (models/v0002/model.json), trained ... on ... customers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Where the settings of a cross-validation on the history came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leads: Option<LeadsOutlook>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<String>,
}

/// The config `evaluate --history` cross-validated with: the one the model was trained with
/// (kept in the model file), or a config file.
#[derive(Debug, Default, Serialize)]
pub struct Settings {
    /// The model whose stored config was used; `None` when a config file was.
    pub model: Option<String>,
    /// When that model was trained.
    pub trained_at: Option<String>,
    /// The config file: the one the model was trained with, or the one read now.
    pub config: String,
    /// Why a config file was read although a model was there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Below this many customers, tables by tenth and coverage are rough.
const FEW: usize = 100;

impl Report {
    pub fn render(&self) -> String {
        let cur = &self.currency;
        let mut s = String::new();
        if let Some(m) = &self.model {
            let _ = writeln!(s, "Model {m}.");
        }
        if let Some(c) = &self.settings {
            let _ = match (&c.model, &c.trained_at) {
                (Some(model), Some(at)) => writeln!(
                    s,
                    "Cross-validated with the settings of {model} (trained {at} with {}).",
                    c.config
                ),
                _ => writeln!(s, "Cross-validated with the settings of {}.", c.config),
            };
            if let Some(note) = &c.note {
                let _ = writeln!(s, "Note: {note}.");
            }
        }
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
                    whole(x.mae),
                    whole(x.rmse),
                    r2(x.baseline_r2),
                    whole(x.baseline_mae),
                    whole(x.baseline_rmse)
                );
            }
            if !e.components.is_empty() {
                render_components(&e.components, &mut s);
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
            // Shares of a total that is not positive mean nothing; beyond 100% they are
            // written as multiples.
            let positive = e.whale.total > 0.0;
            let of_total = |v: f64| if positive { share(v) } else { "n/a".into() };
            let of_the_total = |v: f64| {
                if positive {
                    share_of(v)
                } else {
                    "n/a of".into()
                }
            };
            let _ = writeln!(
                s,
                "{:>5} {:>9} {:>14} {:>16} {:>16} {:>9} {:>8} {:>8}",
                "tenth",
                "customers",
                "mean expected",
                "actual net",
                "cumulative net",
                "captured",
                "random",
                "perfect"
            );
            for g in &e.gains {
                let _ = writeln!(
                    s,
                    "{:>5} {:>9} {:>14} {:>16} {:>16} {:>9} {:>8} {:>8}",
                    g.group,
                    group(g.customers),
                    whole(g.predicted_mean),
                    whole(g.actual_total),
                    whole(g.cumulative_total),
                    of_total(g.cumulative_share),
                    of_total(g.random_share),
                    of_total(g.perfect_share)
                );
            }
            let beyond = e
                .gains
                .iter()
                .flat_map(|g| [g.cumulative_share, g.perfect_share])
                .chain([e.whale.peak_profit / e.whale.total])
                .any(|v| v > 1.0005);
            if !positive {
                let _ = writeln!(
                    s,
                    "\nThese customers together lost {cur} {}, so shares of the total mean nothing here: read the amounts.",
                    whole(-e.whale.total)
                );
            } else if beyond {
                let _ = writeln!(
                    s,
                    "\nShares above 100% are written as multiples of the total (1.50× = 150%): the customers at the bottom lose money, so the best ones together earn more than all of them."
                );
            }
            let c = &e.contact_only;
            let _ = writeln!(
                s,
                "\nContacting only the {} recommended `contact` of {} would have brought {cur} {} of the {cur} {} all of them brought ({}), avoiding {cur} {} of losses and forgoing {cur} {} of profit among the rest.",
                counted(c.contacted, "customer"),
                group(c.all),
                whole(c.value_contacted),
                whole(c.value_all),
                of_total(c.value_contacted / c.value_all),
                whole(c.losses_avoided),
                whole(c.profit_forgone)
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
                    whole(c.predicted_mean),
                    whole(c.actual_mean)
                );
            }
            let w = &e.whale;
            let _ = writeln!(
                s,
                "\nWhale curve (customers ranked by actual net value): the top fifth earned {} the total net value of {cur} {}; cumulative profit peaks at {cur} {} ({} the total) after {} of the customers; the {} beyond the peak lose {cur} {}, of which the `skip` recommendation would have avoided {cur} {}.",
                of_the_total(w.top_fifth_share),
                whole(w.total),
                whole(w.peak_profit),
                of_the_total(w.peak_profit / w.total),
                pct(w.peak_share_of_customers),
                counted(e.customers - w.peak_customers, "customer"),
                whole(w.tail_loss),
                whole(e.tail_avoided_by_skip)
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
                "Lead list {}: {}, expected net value {cur} {} in all. Ranked by expected net value, the top fifth is expected to bring {} it; expected profit peaks at {cur} {} after {} of the leads, and the {} beyond the peak are expected to lose {cur} {}. The {} recommended `skip` carry {cur} {} of expected losses.",
                l.file,
                counted(l.leads, "lead"),
                whole(w.total),
                match share_of(w.top_fifth_share) {
                    _ if w.total <= 0.0 => "n/a of".to_string(),
                    multiple if multiple.ends_with('×') => multiple + " all of",
                    part => part,
                },
                whole(w.peak_profit),
                pct(w.peak_share_of_customers),
                counted(l.leads - w.peak_customers, "lead"),
                whole(w.tail_loss),
                counted(l.skip, "lead"),
                whole(l.skip_expected_loss)
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
pub fn plot(report: &Report, dir: &Path) -> Result<Vec<String>> {
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
                y_label: if beyond_whole(&[&model, &perfect]) {
                    "net value captured, as a multiple of all (1 = everyone)".into()
                } else {
                    "share of all net value".into()
                },
                y_percent: !beyond_whole(&[&model, &perfect]),
                series: vec![
                    series("leadscore ranking", model, false),
                    series("perfect ranking", perfect, true),
                    series("random order", random, true),
                ],
                markers: Vec::new(),
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
                "cumulative share of",
                "total net value",
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
                "cumulative share of",
                "total expected net value",
            ),
        ));
    }
    let mut written = Vec::new();
    for (name, chart) in charts {
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

/// A whale curve; `y_label` names the share, `of` what it is a share of.
fn whale_chart(w: &Whale, title: &str, x_label: &str, y_label: &str, of: &str) -> Chart {
    let percent = !beyond_whole(&[&w.points]);
    let peak = w.peak_profit / w.total;
    Chart {
        title: title.into(),
        x_label: x_label.into(),
        y_label: if percent {
            format!("{y_label} {of}")
        } else {
            format!("{of}, as a multiple of the total (1 = all)")
        },
        series: vec![series("cumulative net value", w.points.clone(), false)],
        markers: vec![Marker {
            label: if percent {
                format!("peak {:.0}%", 100.0 * peak)
            } else {
                format!("peak {peak:.2}×")
            },
            at: (w.peak_share_of_customers, peak),
        }],
        y_percent: percent,
        x_percent: true,
    }
}

/// Whether a chart of shares of a total goes beyond the whole: its y axis is then in multiples
/// of the total, as the text reports write them (a chart up to 500% reads like a bug).
fn beyond_whole(series: &[&Vec<(f64, f64)>]) -> bool {
    series
        .iter()
        .flat_map(|s| s.iter())
        .any(|&(_, y)| y.is_finite() && y > 1.0005)
}

/// Each term's own fit beside its mean-only baseline, with its error in its own units.
fn render_components(parts: &[ComponentEvidence], s: &mut String) {
    let width = parts
        .iter()
        .map(|p| columns(&p.term) + 2)
        .max()
        .unwrap_or(0)
        .max(16);
    let _ = writeln!(
        s,
        "\nEach part on its own (its own fit; the parts add up to return and burden):"
    );
    let _ = writeln!(
        s,
        "{:<width$} {:>7} {:>12} {:>12}   {:>12}",
        "part", "R²", "MAE", "mean MAE", "MAE in units"
    );
    for side in ["lifetime_return", "service_burden"] {
        for p in parts.iter().filter(|p| p.side == side) {
            let label = format!(
                "{} {}",
                if side == "lifetime_return" { "+" } else { "-" },
                p.term
            );
            let units = match (&p.column, p.mae_units) {
                (Some(column), Some(u)) => (crate::economics::money(u, 2), column.as_str()),
                _ => (String::new(), ""),
            };
            let _ = writeln!(
                s,
                "{} {:>7} {:>12} {:>12}   {:>12}   {}",
                Left(&label, width),
                r2(p.r2),
                whole(p.mae),
                whole(p.baseline_mae),
                units.0,
                units.1
            );
        }
    }
}
