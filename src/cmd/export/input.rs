//! Reading the lead list for an export: a file `score --with-input` wrote is recognised by its
//! columns and read back as the lead list it was, and the flags (redaction, filters, the split
//! column) are resolved against the header.

use crate::cli::{ExportArgs, RecommendationArg, TierArg};
use crate::economics::{Recommendation, Tier};
use crate::error::{Error, Result};
use crate::io::table::{decode, CsvInput};
use crate::model::scorer::ScoredLead;
use crate::model::Model;
use crate::report::export::Filters;
use crate::write::profile::BoundProfile;
use crate::write::SCORE_COLUMNS;

/// Where a lead list's id and carried columns are, and whether it is a scored file.
pub(super) struct Layout {
    pub(super) id_col: usize,
    /// Written by `leadscore score --with-input`: columns 1..=10 are its scores.
    pub(super) scored: bool,
    /// The input columns carried into the export, before redaction, in file order.
    pub(super) carried: Vec<usize>,
    /// Numbers may have a decimal comma (the file is not comma-separated), as features do.
    pub(super) decimal_comma: bool,
}

impl Layout {
    pub(super) fn read(input: &mut CsvInput, model: &Model, id: Option<&str>) -> Result<Layout> {
        let headers = input.headers();
        let scored = headers.len() > SCORE_COLUMNS.len()
            && headers[1..=SCORE_COLUMNS.len()]
                .iter()
                .zip(SCORE_COLUMNS)
                .all(|(h, c)| h == c);
        let decimal_comma = crate::io::table::decimal_comma(input.delimiter());
        let looks_scored = ["expected_return", "expected_burden", "expected_net"]
            .iter()
            .filter(|c| headers.iter().any(|h| h == *c))
            .count()
            >= 2;
        if !scored && looks_scored {
            // A scored file with a score column deleted or moved: re-scoring it as a lead list
            // would carry its old figures along as input, unchecked.
            let missing: Vec<&str> = SCORE_COLUMNS
                .iter()
                .copied()
                .filter(|c| !headers.iter().any(|h| h == c))
                .collect();
            let what = if missing.is_empty() {
                "they are in another order".to_string()
            } else {
                format!("it lacks {}", missing.join(", "))
            };
            return Err(Error::file(
                input.path(),
                format!(
                    "looks like a file `leadscore score` wrote, but its columns after the id are not score's ({what}); export the lead list it came from, or score it again with --with-input"
                ),
            ));
        }
        if !scored {
            let id_col = model.lead_id_column(input, id.map(|c| ("--id", c)))?;
            let carried = (0..input.headers().len())
                .filter(|&c| c != id_col)
                .collect();
            return Ok(Layout {
                id_col,
                scored,
                carried,
                decimal_comma,
            });
        }
        // `score --components` and `--breakdown` put their columns between the score columns
        // and the lead's: the model's own figures, which re-scoring gives again (and `export
        // --breakdown` writes again), never columns of the lead to carry along unchecked.
        let mut first_input = SCORE_COLUMNS.len() + 1;
        for names in part_columns(model)? {
            let end = first_input + names.len();
            if headers.get(first_input..end) == Some(&names[..]) {
                first_input = end;
            }
        }
        if let Some(id) = id.filter(|id| *id != headers[0]) {
            return Err(Error::Usage(format!(
                "{} was written by `leadscore score`: its id is its first column, \"{}\", not \"{id}\"; leave out --id",
                input.path(),
                headers[0]
            )));
        }
        if headers.len() == first_input {
            return Err(Error::file(
                input.path(),
                "holds scores written by `leadscore score` without --with-input, so not the leads' own columns that export re-scores them from; score with --with-input, or export the lead list itself",
            ));
        }
        // `score` wrote an input column whose name a score column has as `input_<name>`: read
        // it under its own name again, and the score column under another.
        for c in first_input..headers.len() {
            let name = &input.headers()[c];
            if let Some(own) = name.strip_prefix("input_") {
                if let Some(s) = SCORE_COLUMNS.iter().position(|s| *s == own) {
                    let own = own.to_string();
                    input.rename_column(s + 1, format!("{own} (scored)"));
                    input.rename_column(c, own);
                }
            }
        }
        Ok(Layout {
            id_col: 0,
            scored,
            carried: (first_input..input.headers().len()).collect(),
            decimal_comma,
        })
    }
}

/// The columns `score --components` and `score --breakdown` add for `model`, in the order
/// `score` writes them; none for components when the model has none.
fn part_columns(model: &Model) -> Result<[Vec<String>; 2]> {
    let components = crate::model::components::Components::from_model(model)
        .map_or_else(Vec::new, |c| {
            crate::model::components::column_names(&c.parts)
        });
    let scorer = crate::model::scorer::Scorer::new(model)?;
    Ok([
        components,
        crate::model::scorer::breakdown_columns(scorer.equation()),
    ])
}

/// What to keep and how to group it: the flags, resolved against the lead list's columns.
pub(super) struct Plan {
    /// The carried columns left after redaction, in file order.
    pub(super) carried: Vec<usize>,
    pub(super) redacted: Vec<String>,
    pub(super) split: Option<SplitBy>,
    pub(super) split_name: Option<String>,
    pub(super) top: Option<u64>,
    pub(super) min_tier: Option<Tier>,
    pub(super) recommendations: Vec<Recommendation>,
    pub(super) filters: Filters,
    pub(super) skip_invalid: bool,
    /// `--breakdown`: every file writes each lead's net value broken down.
    pub(super) breakdown: bool,
}

/// What `--split-by` groups by: an input column, or, when the lead list has no such column,
/// the scored tier or recommendation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum SplitBy {
    Column(usize),
    Tier,
    Recommendation,
}

impl Plan {
    /// `profile`'s input columns are what a CRM import names: it writes those and no others,
    /// personal or not, so `--redact` of one of them is a contradiction to refuse, not to ignore.
    pub(super) fn new(
        args: &ExportArgs,
        personal: &[String],
        input: &CsvInput,
        layout: &Layout,
        profile: Option<&BoundProfile>,
    ) -> Result<Plan> {
        // The profile was bound to this header, so every column it names is in it.
        let profile_columns: Vec<usize> = profile
            .map(|p| p.profile().columns())
            .unwrap_or_default()
            .iter()
            .filter_map(|name| input.headers().iter().position(|h| h == name))
            .collect();
        let mut redact: Vec<usize> = Vec::new();
        for name in &args.redact {
            let col = input.column(name, "given with --redact")?;
            if col == layout.id_col {
                return Err(Error::Usage(format!(
                    "\"{name}\" is the lead id, which every export needs; to hide it, export with another --id column"
                )));
            }
            if let (Some(p), true) = (profile, profile_columns.contains(&col)) {
                return Err(Error::Usage(format!(
                    "--redact {name}, but profile \"{}\" writes it; remove it from the profile's fields, or leave out --redact {name}",
                    p.profile().name()
                )));
            }
            redact.push(col);
        }
        // The config's personal columns, where the lead list has them (never its id), unless the
        // profile names them.
        for name in personal {
            if let Some(col) = input.headers().iter().position(|h| h == name) {
                if col != layout.id_col && !redact.contains(&col) && !profile_columns.contains(&col)
                {
                    redact.push(col);
                }
            }
        }
        let split = match &args.split_by {
            Some(name) => match input.headers().iter().position(|h| h == name) {
                Some(col) if redact.contains(&col) => {
                    return Err(Error::Usage(format!(
                    "\"{name}\" is redacted, but --split-by would put its values in the file names"
                )))
                }
                Some(col) => Some(SplitBy::Column(col)),
                None if name == "tier" => Some(SplitBy::Tier),
                None if name == "recommendation" => Some(SplitBy::Recommendation),
                None => Some(SplitBy::Column(input.column(
                    name,
                    "given with --split-by; or split by tier or recommendation",
                )?)),
            },
            None => None,
        };
        let carried = layout
            .carried
            .iter()
            .copied()
            .filter(|c| !redact.contains(c))
            .collect();
        let mut redacted: Vec<String> = Vec::new();
        for &c in &redact {
            let name = input.headers()[c].clone();
            if !redacted.contains(&name) {
                redacted.push(name);
            }
        }
        let min_tier = args.min_tier.map(|t| match t {
            TierArg::A => Tier::A,
            TierArg::B => Tier::B,
            TierArg::C => Tier::C,
            TierArg::D => Tier::D,
        });
        let mut recommendations: Vec<Recommendation> = Vec::new();
        for r in &args.recommendation {
            let r = match r {
                RecommendationArg::Contact => Recommendation::Contact,
                RecommendationArg::Qualify => Recommendation::Qualify,
                RecommendationArg::Skip => Recommendation::Skip,
            };
            if !recommendations.contains(&r) {
                recommendations.push(r);
            }
        }
        Ok(Plan {
            carried,
            redacted,
            split,
            split_name: args.split_by.clone(),
            top: args.top,
            min_tier,
            filters: Filters {
                min_tier: min_tier.map(Tier::as_str),
                recommendations: recommendations.iter().map(|r| r.as_str()).collect(),
                top: args.top,
            },
            recommendations,
            skip_invalid: args.skip_invalid.is_some(),
            breakdown: args.breakdown,
        })
    }

    /// Whether a scored lead passes `--min-tier` and `--recommendation`.
    pub(super) fn keeps(&self, lead: &ScoredLead) -> bool {
        self.min_tier.is_none_or(|t| lead.tier <= t)
            && (self.recommendations.is_empty()
                || self.recommendations.contains(&lead.recommendation))
    }
}

/// The decimals a scored file's money was written with: the most after the decimal mark among
/// the return, burden and net of the rows read first (a batch), since a spreadsheet drops
/// trailing zeros: one row's `43781.5`, `16990.4` and `26791.1` were written with 2 decimals
/// when another row says `65329.74`.
pub(super) fn written_decimals(rows: &[crate::io::records::Record], decimal_comma: bool) -> usize {
    rows.iter()
        .flat_map(|record| (1..=3).filter_map(|c| record.get(c)))
        .map(|f| decimals_of(decode(f).trim(), decimal_comma))
        .max()
        .unwrap_or(0)
}

/// Digits after the decimal mark of a written figure (at most 9), the mark being what
/// [`parse_number`] reads as one: in a file with a decimal comma (one a European spreadsheet
/// saved) dots that group thousands are no decimal point, so `65.330` is a whole number there,
/// as `65.329,74` has 2 decimals and `12.5` has 1.
///
/// [`parse_number`]: crate::io::table::parse_number
pub(super) fn decimals_of(figure: &str, decimal_comma: bool) -> usize {
    let grouped = decimal_comma
        && !figure.contains(',')
        && crate::io::table::parse_number(figure, true).ok() != Some(figure.parse::<f64>().ok());
    if grouped {
        return 0;
    }
    figure
        .rsplit_once(['.', ','])
        .map_or(0, |(_, frac)| frac.len())
        .min(9)
}

/// A row of a file `score` wrote, as the lead list had it: each field without the quote that
/// `score` put before text a spreadsheet would run as a formula (`'-` was the lead list's `-`,
/// a blank).
pub(super) fn unprefix(record: &crate::io::records::Record, out: &mut crate::io::records::Record) {
    out.clear();
    for field in record.iter() {
        let field = match std::str::from_utf8(field) {
            Ok(text) => crate::write::formula::unprefix(text).as_bytes(),
            Err(_) => field,
        };
        out.push_field(field);
    }
    out.set_place_of(record);
}
