//! What `models` shows: the versions in a registry, one version in full, and what changed
//! between two.

use std::fmt::Write as _;

use serde::Serialize;

use crate::economics::signed_whole as signed;
use crate::io::table::printable;
use crate::model::equation::{LevelChange, LevelNet, NumericNet};
use crate::model::registry::VersionInfo;
use crate::report::format::{counted, r2, whole};

/// The decision shown for a version whose record and model cannot be read (`models list`).
pub const UNREADABLE: &str = "unreadable";

/// `models list`.
#[derive(Debug, Serialize)]
pub struct Listing {
    pub models: String,
    pub current: Option<String>,
    pub since: Option<String>,
    pub current_reason: Option<String>,
    /// What `models rollback` would make current.
    pub rollback_to: Option<String>,
    /// The version `models rollback` would go back to when its model does not load, so that
    /// rollback refuses (`rollback_to` is then null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_refused: Option<String>,
    /// Newest first.
    pub versions: Vec<Entry>,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub info: VersionInfo,
    pub current: bool,
    /// Why its model would be refused (a changed file, say), if it would.
    pub problem: Option<String>,
}

impl Listing {
    pub fn render(&self) -> String {
        let mut s = String::new();
        if self.versions.is_empty() {
            let _ = writeln!(
                s,
                "No models in {}; train one with `leadscore train --history FILE`.",
                self.models
            );
            return s;
        }
        let _ = writeln!(
            s,
            "  {:<8} {:<10} {:<8} {:>9}  {:<23} {:>9} {:>6}  decision",
            "version", "created", "by", "customers", "won", "MAE net", "Gini"
        );
        for e in &self.versions {
            let i = &e.info;
            let won = match (&i.first_won, &i.last_won) {
                (Some(a), Some(b)) => format!("{a}..{b}"),
                _ => "-".into(),
            };
            let _ = writeln!(
                s,
                "{} {:<8} {:<10} {:<8} {:>9}  {:<23} {:>9} {:>6}  {}",
                if e.current { "*" } else { " " },
                i.version,
                i.created_at.get(..10).unwrap_or(&i.created_at),
                i.made_by,
                crate::report::format::group(i.customers),
                won,
                i.mae_net.map_or("-".into(), whole),
                i.gini.map_or("-".into(), |g| r2(Some(g))),
                i.decision
            );
            // A version whose record and model cannot be read has no figures: only why.
            let _ = if i.decision == UNREADABLE {
                writeln!(s, "             {}", i.reason)
            } else {
                writeln!(
                    s,
                    "             {}; figures from its {}",
                    i.reason, i.measured_on
                )
            };
            if let Some(p) = &e.problem {
                let _ = writeln!(s, "             warning: does not load: {p}");
            }
        }
        if let Some(c) = &self.current {
            if !self.versions.iter().any(|e| e.current) {
                let _ = writeln!(
                    s,
                    "\nwarning: current.json names {c}, which is not kept here; make a kept version current with `leadscore models promote VERSION`."
                );
            }
            let _ = write!(s, "\nCurrent: {c}");
            if let Some(since) = &self.since {
                let _ = write!(s, " since {since}");
            }
            if let Some(r) = &self.current_reason {
                let _ = write!(s, " ({r})");
            }
            let _ = writeln!(s, ".");
            match (&self.rollback_to, &self.rollback_refused) {
                (Some(r), _) => {
                    let _ = writeln!(
                        s,
                        "`leadscore models rollback` would make {r} current again."
                    );
                }
                (None, Some(r)) => {
                    let _ = writeln!(
                        s,
                        "No rollback: {r}, the version before, does not load; `leadscore models promote VERSION` makes a version that loads current."
                    );
                }
                (None, None) => {
                    let _ = writeln!(s, "Nothing to roll back to.");
                }
            }
        }
        s
    }
}

/// `models show VERSION`.
#[derive(Debug, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub info: VersionInfo,
    pub current: bool,
    pub file: String,
    pub currency: String,
    pub trained_on: String,
    pub rows_used: usize,
    pub sha256: String,
    pub features: Vec<String>,
    pub cv_net_mae: f64,
    pub cv_net_r2: Option<f64>,
    /// Who gets called: the thresholds on expected net value.
    pub decisions: crate::economics::Decisions,
    /// Each category level's effect on net value for an otherwise average customer.
    pub effects: Vec<LevelNet>,
    /// Each number's effect on net value at its 10th and 90th percentile, likewise.
    pub numbers: Vec<NumericNet>,
}

impl Shown {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let i = &self.info;
        let cur = &self.currency;
        let _ = writeln!(
            s,
            "{}{}: {} by `{}` on {} ({}).",
            i.version,
            if self.current { " (current)" } else { "" },
            self.file,
            i.made_by,
            i.created_at,
            counted(self.rows_used, "customer")
        );
        let _ = writeln!(s, "Decision: {}: {}.", i.decision, i.reason);
        let _ = write!(
            s,
            "Trained on {} (sha256 {})",
            self.trained_on,
            short_sha(&self.sha256)
        );
        if let (Some(a), Some(b)) = (&i.first_won, &i.last_won) {
            let _ = write!(s, ", customers won {a} to {b}");
        }
        let _ = writeln!(s, ".");
        let _ = writeln!(s, "Features: {}.", self.features.join(", "));
        // The figures `models list` shows are those of the cross-validation for a version
        // `train` made, said once; a retrain measured its candidate on a holdout besides.
        let _ = write!(
            s,
            "Cross-validated net value: MAE {cur} {}, R² {}",
            whole(self.cv_net_mae),
            r2(self.cv_net_r2)
        );
        let cross_validated = i.measured_on == "cross-validation";
        if let (true, Some(g)) = (cross_validated, i.gini) {
            let _ = write!(s, ", Gini {}", r2(Some(g)));
        }
        let _ = writeln!(s, ".");
        if let (false, Some(m)) = (cross_validated, i.mae_net) {
            let _ = writeln!(
                s,
                "On its {}: MAE of net value {cur} {}, Gini {}.",
                i.measured_on,
                whole(m),
                r2(i.gini)
            );
        }
        let d = &self.decisions;
        let _ = writeln!(
            s,
            "Decisions on expected net value ({cur}): contact >= {}, skip < {}; tier A >= {}, B >= {}, C >= {}.",
            whole(d.contact_at),
            whole(d.skip_below),
            whole(d.tier_a),
            whole(d.tier_b),
            whole(d.tier_c)
        );
        let _ = writeln!(
            s,
            "\nEffects on net value of an otherwise average customer ({cur}):"
        );
        let mut feature = "";
        for e in &self.effects {
            if e.feature != feature {
                feature = &e.feature;
                let _ = writeln!(s, "  {feature}");
            }
            // A level is a value of the training data: control characters escaped.
            let _ = writeln!(s, "    {:<28} {:>10}", printable(&e.level), signed(e.net));
        }
        if !self.numbers.is_empty() {
            let _ = writeln!(
                s,
                "\nNumbers, at the 10th and 90th percentile of the customers ({cur}):"
            );
            for n in &self.numbers {
                let _ = writeln!(
                    s,
                    "  {:<22} {:>14} {:>10}   {:>14} {:>10}",
                    n.feature,
                    format!("at {}", crate::economics::money(n.low, 0)),
                    signed(n.net_at_low),
                    format!("at {}", crate::economics::money(n.high, 0)),
                    signed(n.net_at_high)
                );
            }
        }
        s
    }
}

/// `models diff FROM TO`.
#[derive(Debug, Serialize)]
pub struct Diff {
    pub from: Shown,
    pub to: Shown,
    pub moved: Vec<LevelChange>,
    pub added_levels: Vec<LevelNet>,
    pub dropped_levels: Vec<LevelNet>,
    pub added_features: Vec<String>,
    pub dropped_features: Vec<String>,
}

impl Diff {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let (a, b) = (&self.from, &self.to);
        let cur = &a.currency;
        let _ = writeln!(
            s,
            "{} → {}: {} → {}.",
            a.info.version,
            b.info.version,
            counted(a.rows_used, "customer"),
            counted(b.rows_used, "customer")
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>12} {:>12}",
            "", a.info.version, b.info.version
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>12} {:>12}",
            format!("cross-validated MAE net ({cur})"),
            whole(a.cv_net_mae),
            whole(b.cv_net_mae)
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>12} {:>12}",
            "cross-validated R² net",
            r2(a.cv_net_r2),
            r2(b.cv_net_r2)
        );
        let gate = |x: &Shown| x.info.mae_net.map_or("-".into(), whole);
        let _ = writeln!(
            s,
            "  {:<34} {:>12} {:>12}",
            format!("MAE net where promoted ({cur})"),
            gate(a),
            gate(b)
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>12} {:>12}",
            "Gini where promoted",
            r2(a.info.gini),
            r2(b.info.gini)
        );
        let (da, db) = (&a.decisions, &b.decisions);
        for (name, x, y) in [
            ("contact at", da.contact_at, db.contact_at),
            ("skip below", da.skip_below, db.skip_below),
            ("tier A from", da.tier_a, db.tier_a),
            ("tier B from", da.tier_b, db.tier_b),
            ("tier C from", da.tier_c, db.tier_c),
        ] {
            let _ = writeln!(
                s,
                "  {:<34} {:>12} {:>12}",
                format!("{name} ({cur})"),
                whole(x),
                whole(y)
            );
        }
        for f in &self.added_features {
            let _ = writeln!(s, "Feature added: {f}.");
        }
        for f in &self.dropped_features {
            let _ = writeln!(s, "Feature dropped: {f}.");
        }
        if self.moved.is_empty() && self.added_levels.is_empty() && self.dropped_levels.is_empty() {
            let _ = writeln!(s, "\nNo effect changed by {cur} 1 or more.");
            return s;
        }
        let _ = writeln!(
            s,
            "\nEffects that changed (net value of an otherwise average customer, {cur}):"
        );
        push_level_changes(
            &mut s,
            &self.moved,
            &self.added_levels,
            &self.dropped_levels,
            ("added", "dropped"),
        );
        s
    }
}

/// A small confirmation: `v0003 is now current (was v0004).`
#[derive(Debug, Serialize)]
pub struct Changed {
    pub action: String,
    pub current: Option<String>,
    pub previous: Option<String>,
    pub removed: Vec<String>,
    pub message: String,
}

impl Changed {
    pub fn render(&self) -> String {
        format!("{}\n", self.message)
    }
}

/// Lines of level effects before → after, then levels only the newer model has and only the
/// older one had, each with its note (`notes`: added, dropped); `models diff` and `retrain`
/// word the notes for their readers.
pub fn push_level_changes(
    s: &mut String,
    moved: &[LevelChange],
    added: &[LevelNet],
    dropped: &[LevelNet],
    (added_note, dropped_note): (&str, &str),
) {
    let name = |f: &str, l: &str| format!("{f}={}", printable(l));
    for m in moved {
        let _ = writeln!(
            s,
            "  {:<34} {:>9} → {:>9}",
            name(&m.feature, &m.level),
            signed(m.before),
            signed(m.after)
        );
    }
    for l in added {
        let _ = writeln!(
            s,
            "  {:<34} {:>9}   {:>9} ({added_note})",
            name(&l.feature, &l.level),
            "",
            signed(l.net)
        );
    }
    for l in dropped {
        let _ = writeln!(
            s,
            "  {:<34} {:>9}   ({dropped_note})",
            name(&l.feature, &l.level),
            signed(l.net)
        );
    }
}

fn short_sha(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
