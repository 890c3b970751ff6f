//! What `score` says on standard error when it is done: how many leads fell in each tier and
//! recommendation, the expected net value of the leads to contact, warnings, rejects, drift, and
//! a reminder when the model is weak.

use std::fmt::Write as _;

use crate::economics::{money, Recommendation, Tier};
use crate::model::drift::{self, Drift};
use crate::model::scorer::ScoredLead;
use crate::model::Model;
use crate::report::format::{counted, group};

/// Counts for the summary on stderr, merged across the scoring threads.
#[derive(Default)]
pub struct Summary {
    pub tiers: [u64; 4],
    pub recs: [u64; 3],
    pub contact_net: f64,
    pub warned: u64,
    /// Fields written as a missing-value token (`n/a`, `NULL`, ...), read as blanks.
    pub tokens: u64,
    pub rejected: u64,
    pub drift: Drift,
}

impl Summary {
    pub fn add(&mut self, lead: &ScoredLead) {
        self.tiers[lead.tier as usize] += 1;
        self.recs[lead.recommendation as usize] += 1;
        if lead.recommendation == Recommendation::Contact {
            self.contact_net += lead.money.net;
        }
        self.warned += u64::from(!lead.warnings.is_empty());
        self.tokens += u64::from(lead.tokens);
    }

    pub fn merge(&mut self, other: &Summary) {
        for (a, b) in self.tiers.iter_mut().zip(other.tiers) {
            *a += b;
        }
        for (a, b) in self.recs.iter_mut().zip(other.recs) {
            *a += b;
        }
        self.contact_net += other.contact_net;
        self.warned += other.warned;
        self.tokens += other.tokens;
        self.rejected += other.rejected;
        self.drift.merge(&other.drift);
    }

    /// `version`: the registry version the model is, when it is one (after a retrain or a
    /// rollback, which one scored is the first thing to know).
    pub fn render(
        &self,
        model: &Model,
        version: Option<&str>,
        rejects: Option<String>,
        leads_file: &str,
    ) -> String {
        let n: u64 = self.tiers.iter().sum();
        let mut s = format!(
            "Scored {} with the model trained {} on {} ({}{}).\n",
            counted(n as usize, "lead"),
            model.created_at,
            counted(model.training.rows_used, "customer"),
            version.map_or(String::new(), |v| format!("{v}, ")),
            model.currency
        );
        let tiers: Vec<String> = Tier::ALL
            .iter()
            .map(|t| {
                format!(
                    "{}: {}",
                    t.as_str(),
                    group(self.tiers[*t as usize] as usize)
                )
            })
            .collect();
        let recs: Vec<String> = Recommendation::ALL
            .iter()
            .map(|r| format!("{}: {}", r.as_str(), group(self.recs[*r as usize] as usize)))
            .collect();
        let _ = writeln!(s, "  tiers            {}", tiers.join("   "));
        let _ = writeln!(s, "  recommendations  {}", recs.join("   "));
        let contact = self.recs[Recommendation::Contact as usize];
        let _ = writeln!(
            s,
            "Expected net value of the {} to contact: {} {}.",
            counted(contact as usize, "lead"),
            model.currency,
            money(self.contact_net, 0)
        );
        if self.warned > 0 {
            let _ = writeln!(
                s,
                "{} {} warnings (a value missing, unseen in training or outside its range): see the warnings column.",
                counted(self.warned as usize, "lead"),
                if self.warned == 1 { "carries" } else { "carry" }
            );
        }
        if self.tokens > 0 {
            let _ = writeln!(
                s,
                "{} written as a missing-value token ({}) {}.",
                counted(self.tokens as usize, "value"),
                tokens_shown(&model.missing_values),
                if self.tokens == 1 {
                    "was read as a blank"
                } else {
                    "were read as blanks"
                }
            );
        }
        if let Some(path) = rejects {
            let _ = writeln!(
                s,
                "Rejected {}, written with {} to {path}.",
                counted(self.rejected as usize, "row"),
                if self.rejected == 1 {
                    "its reason"
                } else {
                    "their reasons"
                }
            );
        }
        if let Some(w) = drift::warning(&self.drift.table(model), leads_file) {
            let _ = writeln!(s, "{w}");
        }
        // Rankings from a model that barely beats the average deserve a reminder every time.
        if let Some(r2) = model.validation.net_value.r2.filter(|r| *r < WEAK_R2) {
            let _ = writeln!(
                s,
                "warning: this model predicts net value poorly (cross-validated R² {r2:.2}): treat the ranking as a rough guide and check leads before skipping them."
            );
        }
        s
    }
}

/// The first few missing-value tokens, to say what kind of text was meant: `n/a, N/A, NA, ...`.
fn tokens_shown(tokens: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut s = tokens[..tokens.len().min(SHOWN)].join(", ");
    if tokens.len() > SHOWN {
        s.push_str(", ...");
    }
    s
}

/// Below this cross-validated R² of net value, `score` reminds the user the model is weak.
const WEAK_R2: f64 = 0.1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_merge() {
        let lead = |tier, recommendation, net, warned: bool| {
            let mut l = ScoredLead {
                tier,
                recommendation,
                ..ScoredLead::default()
            };
            l.money.net = net;
            if warned {
                l.warnings.push(crate::model::warning::Warning::Imputed {
                    feature: "x".into(),
                    median: 1.0,
                    code: false,
                });
            }
            l
        };
        let mut a = Summary::default();
        a.add(&lead(Tier::A, Recommendation::Contact, 10.0, false));
        let mut b = Summary::default();
        b.add(&lead(Tier::D, Recommendation::Skip, -5.0, true));
        b.rejected = 2;
        let mut tokened = lead(Tier::C, Recommendation::Qualify, 0.0, true);
        tokened.tokens = 2;
        b.add(&tokened);
        a.merge(&b);
        assert_eq!(a.tiers, [1, 0, 1, 1]);
        assert_eq!(a.recs, [1, 1, 1]);
        assert_eq!((a.contact_net, a.warned, a.rejected), (10.0, 2, 2));
        assert_eq!(a.tokens, 2);
    }

    #[test]
    fn a_few_tokens_name_the_list() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            tokens_shown(&t(&["n/a", "N/A", "NA", "null"])),
            "n/a, N/A, NA, ..."
        );
        assert_eq!(tokens_shown(&t(&["unknown"])), "unknown");
    }
}
