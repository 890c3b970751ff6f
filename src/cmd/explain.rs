//! `leadscore explain LEADS --id ID`: one lead's whole score. The baseline (the average past
//! customer), then every feature's contribution to return, burden and net value in money, any
//! floor at zero, and the expected values: the rows add up to the totals exactly, in print as in
//! the JSON, followed by the interval, the tier, the recommendation and the warnings.

use crate::cli::ExplainArgs;
use crate::error::{Error, Result};
use crate::io::table::{decode, line_of, ReadOptions};
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
    let mut record = csv::ByteRecord::new();
    let found = loop {
        if !input.read(&mut record)? {
            break false;
        }
        if decode(&record[id_col]).trim() == args.id.trim() {
            break true;
        }
    };
    if !found {
        return Err(Error::file(
            input.path(),
            format!(
                "no lead with id \"{}\" in column \"{}\"",
                args.id,
                input.headers()[id_col]
            ),
        ));
    }
    // `score` refuses a list whose ids repeat; so does explain, rather than explain whichever
    // of the two rows comes first (the rest of the list is read for this).
    let mut again = csv::ByteRecord::new();
    while input.read(&mut again)? {
        if decode(&again[id_col]).trim() == args.id.trim() {
            return Err(input.source().field_error(
                &again,
                id_col,
                format!(
                    "duplicate id {} (first seen on line {}), so which lead to explain is not clear",
                    crate::io::table::shown(args.id.trim()),
                    line_of(&record)
                ),
            ));
        }
    }
    let decimals = args.decimals as usize;
    // The same scoring, figures and decision rule as `score`.
    let mut lead = ScoredLead::default();
    scorer.score(input.source(), &cols, &record, decimals, &mut lead)?;
    lead.id = args.id.trim().to_string();
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
