//! `leadscore explain LEADS --id ID`: one lead's whole score. The baseline (the average past
//! customer), then every feature's contribution to return, burden and net value in money, any
//! floor at zero, and the expected values: the rows add up to the totals exactly, in print as in
//! the JSON, followed by the interval, the tier, the recommendation and the warnings.

use crate::cli::ExplainArgs;
use crate::error::{Error, Result};
use crate::io::table::{decode, line_of, shown, ReadOptions};
use crate::model::scorer::{ScoredLead, Scorer};
use crate::report::explain::Explanation;

pub fn run(args: &ExplainArgs) -> Result<()> {
    let (model, located) = crate::model::registry::load(&args.model)?;
    let scorer = Scorer::new(&model)?;
    let super::Leads {
        mut input,
        id_col,
        cols,
    } = super::open_leads(
        &model,
        &args.leads,
        ReadOptions {
            delimiter: args.delimiter,
            ..Default::default()
        },
        args.id_column.as_deref().map(|c| ("--id-column", c)),
    )?;
    // The lead is found as the duplicate check tells ids apart, trimmed (`io::ids`): a list
    // `score` accepts has at most one such row, so `--id L1` finds the lead whose id is
    // ` L1\t` without the blanks typed, and the explanation shows the id exactly as the file
    // (and `score`) has it.
    let wanted = crate::io::table::trim(&args.id);
    if wanted.is_empty() {
        return Err(Error::Usage(
            "--id is blank: name the lead to explain".into(),
        ));
    }
    // Only the lead asked for is looked at, as before: a repeat of it is refused, as `score`
    // refuses it, rather than explain whichever row comes first (the rest of the list is read
    // for this); another lead's id, repeated or blank, does not change this lead's score.
    let mut row = crate::io::records::Record::new();
    let mut record: Option<crate::io::records::Record> = None;
    while input.read(&mut row)? {
        if crate::io::table::trim(&decode(&row[id_col])) != wanted {
            continue;
        }
        if let Some(first) = &record {
            return Err(input.source().field_error(
                &row,
                id_col,
                format!(
                    "duplicate id {} (first seen on line {}), so which lead to explain is not clear",
                    shown(wanted),
                    line_of(first)
                ),
            ));
        }
        record = Some(row.clone());
    }
    let Some(record) = record else {
        return Err(Error::file(
            input.path(),
            format!(
                "no lead with id {} in column {}",
                shown(&args.id),
                shown(&input.headers()[id_col])
            ),
        ));
    };
    let decimals = args.decimals as usize;
    // The same scoring, figures and decision rule as `score`.
    let mut lead = ScoredLead::default();
    scorer.score(input.source(), &cols, &record, decimals, &mut lead)?;
    lead.id = decode(&record[id_col]).into_owned();
    lead.line = line_of(&record);
    let components = crate::model::components::Components::from_model(&model);
    let mut explanation = Explanation::new(
        &model,
        scorer.equation(),
        components.as_ref(),
        &lead,
        input.path(),
    );
    explanation.model = located.describe();
    super::print_report(&explanation, args.format, |e| e.render(decimals))
}
