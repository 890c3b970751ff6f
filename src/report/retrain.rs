//! What `retrain` shows: what the new files brought, the candidate beside the current model on
//! the same holdout, the effects that moved most in money, and the decision with its reason.

use std::fmt::Write as _;

use serde::Serialize;

use crate::fit::merge::{Base, FileMerge, Holdout};
use crate::model::equation::{LevelChange, LevelNet};
use crate::model::file::Metrics;
use crate::report::evaluate::Evidence;
use crate::report::format::{counted, group, listing, pct, r2, whole};
use crate::report::models::push_level_changes;
use crate::report::train::SavedVersion;

/// How many moved effects the text lists (JSON has them all).
const MOVED_SHOWN: usize = 8;

#[derive(Debug, Serialize)]
pub struct RetrainReport {
    pub currency: String,
    pub dry_run: bool,
    /// The models directory.
    pub models: String,
    /// Where the merged history is kept.
    pub kept_history: String,
    pub base: Option<Base>,
    pub files: Vec<FileMerge>,
    pub customers: usize,
    pub first_won: Option<String>,
    pub last_won: Option<String>,
    /// Whose settings the candidate was trained with.
    pub settings: String,
    pub current: String,
    pub candidate_customers: usize,
    pub holdout: Holdout,
    /// The holdout customers both models were judged on: those with every outcome filled in.
    pub judged: usize,
    /// Holdout customers that would have been judged but have a blank outcome, so cannot be.
    pub blank_outcomes: usize,
    /// Holdout customers the current model was trained on (it has an edge on them); `None`
    /// when its training data is not the base merged into.
    pub seen_by_current: Option<usize>,
    /// Whether those were set aside (trained on by the candidate, judged by neither).
    pub set_aside: bool,
    /// Customers of the merged history left out of the refit for a blank outcome.
    pub left_out: Vec<String>,
    /// Customers the version kept was refit on.
    pub refit_customers: usize,
    pub warnings: Vec<String>,
    pub current_figures: Figures,
    pub candidate_figures: Figures,
    /// Level effects on net value in both, largest change first.
    pub moved: Vec<LevelChange>,
    pub added_levels: Vec<LevelNet>,
    pub dropped_levels: Vec<LevelNet>,
    pub decision: Decision,
    /// The version saved (not on a dry run), refit on every merged customer.
    pub saved: Option<SavedVersion>,
    pub previous_history: Option<String>,
    pub exit_code: u8,
}

/// One model's figures on the holdout.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub lifetime_return: Metrics,
    pub service_burden: Metrics,
    pub net_value: Metrics,
    pub normalised_gini: Option<f64>,
    /// Actual net value of the fifth of the holdout the model ranks highest.
    pub top_fifth_net: f64,
    pub interval_level: Option<f64>,
    pub interval_coverage: Option<f64>,
}

impl Figures {
    pub fn new(e: &Evidence) -> Figures {
        // Gains come in ten groups, best first: the second's cumulative total is the top 20%.
        let top_fifth_net = e
            .gains
            .get(1)
            .or(e.gains.last())
            .map_or(0.0, |g| g.cumulative_total);
        Figures {
            lifetime_return: e.lifetime_return.clone(),
            service_burden: e.service_burden.clone(),
            net_value: e.net_value.clone(),
            normalised_gini: e.normalised_gini,
            top_fifth_net,
            interval_level: e.interval_level,
            interval_coverage: e.interval_coverage,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub promote: bool,
    pub forced: bool,
    pub reason: String,
}

impl RetrainReport {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let cur = &self.currency;
        match &self.base {
            Some(b) => {
                let _ = writeln!(
                    s,
                    "Merged with {} ({}), kept as {}:",
                    b.file,
                    counted(b.customers, "customer"),
                    self.kept_history
                );
            }
            None => {
                let _ = writeln!(s, "Started a new history from:");
            }
        }
        for f in &self.files {
            let _ = writeln!(
                s,
                "  {}: {} new, {} updated, {} unchanged",
                f.file,
                group(f.new),
                group(f.updated),
                group(f.unchanged)
            );
            if !f.ignored_columns.is_empty() {
                let _ = writeln!(
                    s,
                    "  Note: {} {} not in the kept history and left out; add {} to [features] and retrain from the full history to use {}.",
                    listing(&f.ignored_columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>(), f.ignored_columns.len()),
                    if f.ignored_columns.len() == 1 { "is" } else { "are" },
                    if f.ignored_columns.len() == 1 { "it" } else { "them" },
                    if f.ignored_columns.len() == 1 { "it" } else { "them" },
                );
            }
        }
        let _ = write!(s, "History: {}", counted(self.customers, "customer"));
        if let (Some(a), Some(b)) = (&self.first_won, &self.last_won) {
            let _ = write!(s, ", won {a} to {b}");
        }
        let _ = writeln!(s, ".\n");

        let h = &self.holdout;
        let _ = writeln!(
            s,
            "Candidate: trained on {} with {}.",
            counted(self.candidate_customers, "customer"),
            self.settings,
        );
        let _ = write!(
            s,
            "Holdout: {} {}",
            counted(h.customers, "customer"),
            h.chosen
        );
        if let (Some(a), Some(b)) = (&h.first_won, &h.last_won) {
            let _ = write!(s, ", won {a} to {b}");
        }
        let _ = writeln!(s, ".");
        if self.set_aside {
            let seen = self.seen_by_current.unwrap_or(0);
            let blank = match self.blank_outcomes {
                0 => String::new(),
                n => format!(
                    " and {} {} a blank outcome",
                    group(n),
                    if n == 1 { "has" } else { "have" }
                ),
            };
            let _ = writeln!(
                s,
                "The current model was trained on {} of them{blank}, so both models are judged on the other {} and the candidate trains on those {} too.",
                group(seen),
                group(self.judged),
                group(seen)
            );
        }
        let _ = writeln!(
            s,
            "Current model {} against the candidate, on {}:\n",
            self.current,
            counted(self.judged, "customer")
        );
        let (c, n) = (&self.current_figures, &self.candidate_figures);
        let _ = writeln!(
            s,
            "  {:<30} {:>16} {:>16} {:>10}",
            "",
            format!("current {}", short(&self.current)),
            "candidate",
            "change"
        );
        let rows = [
            ("net value", &c.net_value, &n.net_value),
            ("lifetime return", &c.lifetime_return, &n.lifetime_return),
            ("service burden", &c.service_burden, &n.service_burden),
        ];
        for (name, a, b) in rows {
            for (label, x, y, change) in [
                (
                    format!("{name} MAE ({cur})"),
                    whole(a.mae),
                    whole(b.mae),
                    change_pct(a.mae, b.mae),
                ),
                (
                    format!("{name} RMSE ({cur})"),
                    whole(a.rmse),
                    whole(b.rmse),
                    change_pct(a.rmse, b.rmse),
                ),
                (
                    format!("{name} R²"),
                    r2(a.r2),
                    r2(b.r2),
                    change_abs(a.r2, b.r2),
                ),
            ] {
                let _ = writeln!(s, "  {label:<30} {x:>16} {y:>16} {change:>10}");
            }
        }
        let _ = writeln!(
            s,
            "  {:<30} {:>16} {:>16} {:>10}",
            "normalised Gini",
            r2(c.normalised_gini),
            r2(n.normalised_gini),
            change_abs(c.normalised_gini, n.normalised_gini)
        );
        let _ = writeln!(
            s,
            "  {:<30} {:>16} {:>16} {:>10}",
            format!("net of its top 20% ({cur})"),
            whole(c.top_fifth_net),
            whole(n.top_fifth_net),
            change_pct(c.top_fifth_net, n.top_fifth_net)
        );
        let coverage = |f: &Figures| match (f.interval_level, f.interval_coverage) {
            (Some(l), Some(v)) => format!("{} of {}", pct(v), pct(l)),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "  {:<30} {:>16} {:>16}",
            "interval coverage",
            coverage(c),
            coverage(n)
        );
        if h.undated > 0 {
            let _ = writeln!(
                s,
                "  {} without a date always train, never judge.",
                counted(h.undated, "customer")
            );
        }
        if self.blank_outcomes > 0 && !self.set_aside {
            let _ = writeln!(
                s,
                "  {} with a blank outcome cannot be judged.",
                counted(self.blank_outcomes, "holdout customer")
            );
        }
        if let Some(seen) = self.seen_by_current.filter(|&n| n > 0 && !self.set_aside) {
            let _ = writeln!(
                s,
                "  The current model was trained on {} of these {}, which favours it.",
                group(seen),
                group(h.customers)
            );
        }

        if !self.moved.is_empty()
            || !self.added_levels.is_empty()
            || !self.dropped_levels.is_empty()
        {
            let _ = writeln!(
                s,
                "\nEffects that moved most (net value of an otherwise average customer, {cur}):"
            );
            push_level_changes(
                &mut s,
                &self.moved[..self.moved.len().min(MOVED_SHOWN)],
                &self.added_levels,
                &self.dropped_levels,
                (
                    "new: learnt from the new data",
                    "no longer a level of its own",
                ),
            );
        }

        let d = &self.decision;
        let verdict = match (self.dry_run, d.promote) {
            (true, true) => "would promote the candidate (dry run: nothing written)",
            (true, false) => "would keep the current model (dry run: nothing written)",
            (false, true) => "promoted the candidate",
            (false, false) => "kept the current model",
        };
        for w in &self.warnings {
            let _ = writeln!(s, "\nwarning: {w}.");
        }
        if !self.left_out.is_empty() {
            let shown: Vec<String> = self.left_out.iter().take(5).cloned().collect();
            let _ = writeln!(
                s,
                "\nLeft out of the refit for a blank outcome: {}.",
                listing(&shown, self.left_out.len())
            );
        }
        let _ = writeln!(s, "\nDecision: {verdict}. Why: {}.", d.reason);
        if let Some(v) = &self.saved {
            let _ = write!(
                s,
                "Saved as {} in {}/, refit on {}",
                v.version,
                self.models,
                counted(self.refit_customers, "customer")
            );
            let _ = match (&v.replaced, v.current) {
                (Some(old), true) => writeln!(s, "; now current, replacing {old}."),
                (None, true) => writeln!(s, "; now current."),
                (_, false) => writeln!(
                    s,
                    "; not current (make it so with `leadscore models promote {}`).",
                    v.version
                ),
            };
            let _ = write!(s, "Kept history: {}", self.kept_history);
            if let Some(p) = &self.previous_history {
                let _ = write!(s, " (the one before: {p})");
            }
            let _ = writeln!(s, ".");
        }
        s
    }
}

/// What `retrain` says when the new files hold nothing the kept history lacks.
#[derive(Debug, Serialize)]
pub struct Unchanged {
    pub files: Vec<FileMerge>,
    pub current: String,
    /// `--config`, when given: not used, since nothing was trained (said, so a changed setting
    /// is not thought to be in effect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

impl Unchanged {
    pub fn render(&self) -> String {
        let mut s = String::new();
        for f in &self.files {
            let _ = writeln!(
                s,
                "{}: {} unchanged, none new or updated.",
                f.file,
                counted(f.unchanged, "customer")
            );
        }
        let _ = writeln!(
            s,
            "Nothing new to learn: no candidate trained, nothing written; the current model {} stays current.",
            self.current
        );
        if let Some(config) = &self.config {
            let _ = writeln!(
                s,
                "The settings of {config} are not in effect: nothing was trained with them. Pass --force to train a candidate with them on the kept history and make it current."
            );
        }
        s
    }
}

/// `v0003` of `v0003 (models/v0003/model.json)`.
fn short(label: &str) -> &str {
    label.split(' ').next().unwrap_or(label)
}

fn change_pct(a: f64, b: f64) -> String {
    if a.abs() < 1e-12 || !a.is_finite() || !b.is_finite() {
        return "-".into();
    }
    let change = (b - a) / a.abs() * 100.0;
    // `-0.0%` reads as a loss; a change that rounds to nothing is shown as none.
    if change.abs() < 0.05 {
        return "0.0%".into();
    }
    format!("{change:+.1}%")
}

fn change_abs(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if (b - a).abs() < 0.0005 => "0.000".into(),
        (Some(a), Some(b)) => format!("{:+.3}", b - a),
        _ => "-".into(),
    }
}
