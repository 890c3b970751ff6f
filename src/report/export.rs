//! What `export` says on standard error when it is done, after the scoring summary: how many
//! leads went where, which filters and columns were left out, and each file's totals.

use std::fmt::Write as _;

use crate::economics::money;
use crate::report::format::{columns, counted, group, Left};
use crate::write::totals::Totals;

/// The file in a `--split-by` directory that lists the others.
pub const INDEX_FILE: &str = "index.csv";

/// The filters an export applied, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub min_tier: Option<&'static str>,
    pub recommendations: Vec<&'static str>,
    pub top: Option<u64>,
}

impl Filters {
    /// `tier B or better, recommendation contact, top 50 per file`; empty when none applied.
    fn describe(&self, per_file: bool) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(t) = self.min_tier {
            parts.push(if t == "A" {
                "tier A".to_string()
            } else {
                format!("tier {t} or better")
            });
        }
        if !self.recommendations.is_empty() {
            parts.push(format!(
                "recommendation {}",
                self.recommendations.join(" or ")
            ));
        }
        if let Some(n) = self.top {
            parts.push(format!(
                "top {}{}",
                group(n as usize),
                if per_file { " per file" } else { "" }
            ));
        }
        parts.join(", ")
    }
}

/// What one file of a filtered or split export holds, for the file itself to say (the page under
/// its title, the workbook above its summary), so that no one takes a rep's top 50 for the
/// whole pipeline: `The top 3 of 212 leads in region north with tier B or better; 1,000 leads
/// scored from leads.csv.` `None` when the file holds every lead scored.
pub fn scope(
    written: u64,
    passed: u64,
    filters: &Filters,
    split: Option<(&str, &str)>,
    scored: u64,
    leads_file: &str,
) -> Option<String> {
    let filtered = filters.min_tier.is_some() || !filters.recommendations.is_empty();
    if !filtered && split.is_none() && written == scored {
        return None;
    }
    let mut s = if passed > written {
        format!(
            "The top {} of {}",
            group(written as usize),
            counted(passed as usize, "lead")
        )
    } else {
        counted(written as usize, "lead")
    };
    if let Some((column, value)) = split {
        let value = if value.is_empty() { "(blank)" } else { value };
        let _ = write!(s, " in {column} {value}");
    }
    let mut with: Vec<String> = Vec::new();
    if let Some(t) = filters.min_tier {
        with.push(if t == "A" {
            "tier A".into()
        } else {
            format!("tier {t} or better")
        });
    }
    if !filters.recommendations.is_empty() {
        with.push(format!(
            "recommendation {}",
            filters.recommendations.join(" or ")
        ));
    }
    if !with.is_empty() {
        let _ = write!(s, " with {}", with.join(" and "));
    }
    let _ = write!(
        s,
        "; {} scored from {leads_file}.",
        counted(scored as usize, "lead")
    );
    Some(s)
}

/// One file written.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The `--split-by` value it holds; `None` without `--split-by`.
    pub value: Option<String>,
    /// Its name (within the directory with `--split-by`).
    pub file: String,
    pub totals: Totals,
}

/// What an export did.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// `csv`, `xlsx`, ...
    pub format: &'static str,
    /// `-o`; `None` for standard output.
    pub destination: Option<String>,
    pub split_by: Option<String>,
    pub filters: Filters,
    pub redacted: Vec<String>,
    /// The redacted columns that are features of the model: their values are still in the
    /// reasons, which say what drove a lead's value.
    pub redacted_features: Vec<String>,
    /// Leads scored (before filters).
    pub scored: u64,
    pub written: Vec<Written>,
}

impl Exported {
    pub fn render(&self, currency: &str) -> String {
        let n: u64 = self.written.iter().map(|w| w.totals.all.leads).sum();
        let net: f64 = self.written.iter().map(|w| w.totals.all.net).sum();
        let dest = self.destination.as_deref().unwrap_or("standard output");
        let mut s = format!(
            "Exported {} of {} as {} to {dest}",
            group(n as usize),
            counted(self.scored as usize, "lead"),
            self.format
        );
        let filters = self.filters.describe(self.split_by.is_some());
        if !filters.is_empty() {
            let _ = write!(s, " ({filters})");
        }
        if n == 0 && self.scored > 0 && !filters.is_empty() {
            let _ = writeln!(s, ": no lead passed the filters.");
        } else {
            let _ = writeln!(s, ": expected net value {currency} {}.", money(net, 0));
        }
        if !self.redacted.is_empty() {
            let shown: Vec<String> = self
                .redacted
                .iter()
                .map(|c| {
                    if self.redacted_features.contains(c) {
                        format!(
                            "{c} (a feature of the model: its values still show in the reasons)"
                        )
                    } else {
                        c.clone()
                    }
                })
                .collect();
            let _ = writeln!(s, "Left out: {}.", shown.join(", "));
        }
        if let Some(column) = &self.split_by {
            let _ = writeln!(s, "One file per {column}, listed in {}:", INDEX_FILE);
            let width = self
                .written
                .iter()
                .map(|w| columns(&w.file))
                .max()
                .unwrap_or(0);
            for w in &self.written {
                let _ = writeln!(
                    s,
                    "  {}  {:>9}   net {currency} {}",
                    Left(&w.file, width),
                    counted(w.totals.all.leads as usize, "lead"),
                    money(w.totals.all.net, 0),
                );
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::totals::Tally;

    fn written(value: Option<&str>, file: &str, leads: u64, net: f64) -> Written {
        Written {
            value: value.map(str::to_string),
            file: file.into(),
            totals: Totals {
                all: Tally {
                    leads,
                    net,
                    ..Tally::default()
                },
                ..Totals::default()
            },
        }
    }

    #[test]
    fn a_file_says_what_part_of_the_leads_it_holds() {
        let filters = Filters {
            min_tier: Some("B"),
            recommendations: vec!["contact"],
            top: Some(3),
        };
        assert_eq!(
            scope(3, 212, &filters, Some(("region", "north")), 1000, "leads.csv").unwrap(),
            "The top 3 of 212 leads in region north with tier B or better and recommendation contact; 1,000 leads scored from leads.csv."
        );
        let none = Filters::default();
        assert_eq!(
            scope(1, 1, &none, Some(("region", "")), 10, "l.csv").unwrap(),
            "1 lead in region (blank); 10 leads scored from l.csv."
        );
        assert_eq!(scope(10, 10, &none, None, 10, "l.csv"), None);
        assert_eq!(
            scope(
                4,
                10,
                &Filters {
                    top: Some(4),
                    ..none.clone()
                },
                None,
                10,
                "l.csv"
            )
            .unwrap(),
            "The top 4 of 10 leads; 10 leads scored from l.csv."
        );
    }

    #[test]
    fn one_file_in_one_line() {
        let e = Exported {
            format: "xlsx",
            destination: Some("out.xlsx".into()),
            split_by: None,
            filters: Filters {
                min_tier: Some("B"),
                recommendations: vec!["contact"],
                top: Some(50),
            },
            redacted: vec!["email".into()],
            redacted_features: vec![],
            scored: 1000,
            written: vec![written(None, "out.xlsx", 50, 123_456.4)],
        };
        assert_eq!(
            e.render("EUR"),
            "Exported 50 of 1,000 leads as xlsx to out.xlsx (tier B or better, recommendation contact, top 50): expected net value EUR 123,456.\nLeft out: email.\n"
        );
    }

    #[test]
    fn split_files_are_listed() {
        let e = Exported {
            format: "csv",
            destination: Some("by-territory".into()),
            split_by: Some("territory".into()),
            filters: Filters {
                top: Some(2),
                ..Filters::default()
            },
            redacted: vec![],
            redacted_features: vec![],
            scored: 3,
            written: vec![
                written(Some("North"), "North.csv", 2, 10.0),
                written(Some("South"), "South.csv", 1, -4.0),
            ],
        };
        assert_eq!(
            e.render("USD"),
            "Exported 3 of 3 leads as csv to by-territory (top 2 per file): expected net value USD 6.\n\
One file per territory, listed in index.csv:\n  North.csv    2 leads   net USD 10\n  South.csv     1 lead   net USD -4\n"
        );
    }
}
