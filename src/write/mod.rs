//! Writers of scored leads, one per format, all fed the same typed [`ScoredLead`] rows: what is
//! written is separate from where (a file, standard output, a worker's in-memory batch).
//!
//! A new format is one file here implementing [`ScoredWriter`] (CSV, JSON and JSON Lines, an
//! XLSX workbook, an HTML page, CRM import files). Every writer shows the same figures:
//! `lead.money` (return, burden and net rounded as written, so they add up), the interval
//! widened to contain the written net, tier, recommendation, the biggest drivers and the
//! warnings. Every writer a spreadsheet opens (CSV, XLSX) neutralises text that would read as
//! a formula by the one rule in [`formula`].

pub mod csv;
pub mod formula;
pub mod html;
pub mod json;
pub mod profile;
#[cfg(test)]
mod sample;
pub mod totals;
pub mod xlsx;

use std::borrow::Cow;
use std::io;

use crate::model::components::Components;
use crate::model::equation::Equation;
use crate::model::scorer::{breakdown_columns, Driver, ScoredLead, FIGURE_COLUMNS};

/// The columns every scored row has after the lead's id.
pub const SCORE_COLUMNS: [&str; 10] = {
    let mut all = [""; 10];
    let mut i = 0;
    while i < FIGURE_COLUMNS.len() {
        all[i] = FIGURE_COLUMNS[i];
        i += 1;
    }
    all[8] = "reasons";
    all[9] = "warnings";
    all
};
/// The header of a scored file: the id column's name, the score columns, then the input columns
/// carried along. An input column that would repeat a name (a lead list carrying its own `tier`,
/// say) gets an `input_` prefix.
pub fn header(id: &str, passthrough: &[&str]) -> Vec<String> {
    header_with(id, &[], passthrough)
}

/// [`header`] with more score columns after the standard ones (`score --components`).
pub fn header_with(id: &str, more: &[String], passthrough: &[&str]) -> Vec<String> {
    let mut header: Vec<String> = vec![id.to_string()];
    header.extend(SCORE_COLUMNS.iter().map(|c| c.to_string()));
    header.extend(more.iter().cloned());
    for name in passthrough {
        if header.iter().any(|h| h == name) {
            header.push(format!("input_{name}"));
        } else {
            header.push(name.to_string());
        }
    }
    header
}

/// The parts of a lead a writer adds after the warnings, as `score` writes them: each
/// economics term's share of return and burden (`--components`), then the net value broken
/// down (`--breakdown`). Without either, every writer writes what it always did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts<'e> {
    pub components: Option<&'e Components>,
    pub breakdown: bool,
}

impl Parts<'_> {
    /// The columns these parts add, in `score`'s order: the components' money, their units
    /// ([`crate::model::components::column_names`]), then the breakdown's
    /// ([`breakdown_columns`]).
    pub fn columns(&self, eq: &Equation) -> Vec<String> {
        let mut names = self.components.map_or_else(Vec::new, |c| {
            crate::model::components::column_names(&c.parts)
        });
        if self.breakdown {
            names.extend(breakdown_columns(eq));
        }
        names
    }
}

/// How many drivers a lead's reasons name.
pub const REASONS: usize = 3;

/// Writes scored leads in one format, in the order given.
pub trait ScoredWriter {
    /// Writes one lead. `passthrough` holds the input fields carried along (`--with-input`), in
    /// the order of the header the writer was made with, as read (so carrying them costs no
    /// allocation per lead).
    fn write(&mut self, lead: &ScoredLead, passthrough: &[Cow<'_, str>]) -> io::Result<()>;
}

/// The reasons as one line of text: `lead_source=referral +4,210; employees=3 -1,020`. Each
/// reason is a driver of the net value with its effect in whole currency units.
pub fn push_reasons(eq: &Equation, lead: &ScoredLead, buf: &mut String) {
    buf.clear();
    for driver in lead.drivers::<REASONS>(eq).into_iter().flatten() {
        if !buf.is_empty() {
            buf.push_str("; ");
        }
        match driver {
            Driver::Floor(t) => {
                let target = &eq.targets[t];
                buf.push_str(target.short);
                buf.push_str(" floored at 0 ");
                crate::economics::push_signed_whole(buf, target.role.sign() * lead.floors[t]);
            }
            Driver::Feature(f) => {
                buf.push_str(eq.terms[f].name());
                buf.push('=');
                lead.push_shown(eq, f, buf);
                buf.push(' ');
                crate::economics::push_signed_whole(buf, lead.net_contribution(eq, f));
            }
        }
    }
}

/// The warnings as one line of text, separated by "; ".
pub fn push_warnings(lead: &ScoredLead, buf: &mut String) {
    use std::fmt::Write as _;
    buf.clear();
    for (i, w) in lead.warnings.iter().enumerate() {
        if i > 0 {
            buf.push_str("; ");
        }
        let _ = write!(buf, "{w}");
    }
}
