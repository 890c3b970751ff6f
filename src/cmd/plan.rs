//! `leadscore plan LEADS --capacity sales_hours=1200 [--by owner --capacity-file reps.csv]`:
//! the leads that bring the most expected net value within the hours a team (or each rep,
//! territory or team) has, using each lead's predicted hours of that kind (a component, see
//! `model::components`). Per group it is a 0/1 knapsack, solved exactly or with its gap to a
//! proven bound (`plan`); the report sets the plan beside the simple rules teams use today.
//!
//! Every lead is in the output, chosen or not, with the score columns and its parts; the
//! figures planned on are the ones written (net value to the cent, hours to 2 decimals), so
//! the hours used and the net value of a plan add up from its rows.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::cli::PlanArgs;
use crate::economics::round_to;
use crate::error::{Error, Result};
use crate::io::ids::{check_row, IdIndex};
use crate::io::output::Output;
use crate::io::table::{
    decode, is_missing_value, line_of, parse_number, shown, Candidates, CsvInput, ReadOptions,
    STDIN_PATH,
};
use crate::model::components::column_names;
use crate::model::file::ComponentSign;
use crate::model::scorer::{ScoredLead, Scorer};
use crate::plan::{solve, top_by_value, top_n, Item, Limits, CAPACITY_SLACK};
use crate::report::format::{counted, listing, whole};
use crate::report::plan::{GroupPlan, PlanReport, Rule};
use crate::write::csv::{Cell, CsvWriter, Dialect};
use crate::write::ScoredWriter;

/// Decimals of the hours planned on, as written: those of the units columns, at least 2.
fn hours_decimals(decimals: usize) -> usize {
    decimals.max(2)
}
/// How a blank `--by` value is shown and matched in a capacity file.
const BLANK_GROUP: &str = "(blank)";
/// Groups named in a message before "and N more".
const LISTED: usize = 10;
/// The most hours a group may have: a billion, some 500,000 person-years, more than any team
/// plans. Without a bound `1e308` was read as hours, the total of three groups overflowed to
/// `inf` (`null` in JSON) and the table printed 300-digit capacities; below it every sum of
/// groups stays finite and a capacity is held exactly to far below the hundredth of an hour
/// (10^9 × 100 < 2^53).
const MAX_HOURS: f64 = 1e9;

pub fn run(args: &PlanArgs) -> Result<()> {
    let leads = super::leads_path(
        args.leads.as_deref(),
        std::io::stdin().is_terminal(),
        "plan",
    )?;
    let output = super::output_path(args.output.as_deref());
    let model_file = crate::model::registry::locate(&args.model)?.file;
    let mut inputs: Vec<(&str, &Path)> =
        vec![("the lead list", &leads), ("the model", &model_file)];
    if let Some(f) = &args.capacity_file {
        inputs.push(("the capacity file", f));
    }
    let mut outputs: Vec<(&str, &Path)> = output.map(|p| ("-o", p)).into_iter().collect();
    outputs.extend(args.skip_invalid.as_deref().map(|p| ("--skip-invalid", p)));
    super::check_paths(&inputs, &outputs)?;
    let (column, hours) = capacity_flags(args)?;
    if let Some(m) = args.min_net.filter(|m| !m.is_finite()) {
        return Err(Error::Usage(format!(
            "--min-net {m}: expected an amount of money (a finite number)"
        )));
    }
    if let Some(m) = args.min_net.filter(|m| *m < 0.0) {
        // A lead worth less than nothing only lowers a plan's value, so none is ever chosen:
        // a floor below zero was announced in the report and did nothing.
        return Err(Error::Usage(format!(
            "--min-net {m}: a plan never chooses a lead with an expected net value below zero (it would lower the plan's value), so a floor below zero changes nothing; give 0 or more, or leave --min-net out"
        )));
    }
    if args.capacity_file.as_deref() == Some(Path::new(STDIN_PATH))
        && leads == Path::new(STDIN_PATH)
    {
        return Err(Error::Usage(
            "the lead list and --capacity-file cannot both be read from standard input; name one of them".into(),
        ));
    }

    let (model, located) = crate::model::registry::load(&args.model)?;
    let components = super::components_of(&model, &located)?;
    let (part, capacities) = match &args.capacity_file {
        Some(path) => read_capacities(path, &components, &model.missing_values)?,
        None => (
            planned_part(&components, column.as_deref().unwrap_or_default(), None)?,
            Capacities::Everyone(hours.unwrap_or_default()),
        ),
    };
    // The model's own name from here on: a header "Sales Hours" plans `sales_hours`.
    let column = components.parts[part]
        .unit_column
        .clone()
        .unwrap_or_default();

    let scorer = Scorer::new(&model)?;
    let super::Leads {
        mut input,
        id_col,
        cols,
    } = super::open_leads(
        &model,
        &leads,
        ReadOptions::on_terminal(args.delimiter),
        args.id.as_deref().map(|c| ("--id", c)),
    )?;
    let by_col = args
        .by
        .as_deref()
        .map(|b| input.column(b, "--by, the column to plan each group of"))
        .transpose()?;
    let mut rejects = match &args.skip_invalid {
        Some(path) => Some(Rejects {
            out: super::open_rejects(path, input.headers())?,
            path: path.display().to_string(),
            rows: 0,
            groups: HashMap::new(),
        }),
        None => None,
    };
    // `--with-input`: every column but the id, as read, after the plan's own; the model's
    // numbers from a list with a decimal comma written as this comma-separated file writes
    // them, as `score --with-input` carries them.
    let carried_cols: Vec<usize> = if args.with_input {
        (0..input.headers().len())
            .filter(|&c| c != id_col)
            .collect()
    } else {
        Vec::new()
    };
    let pointed = cols.decimal_comma_numbers();
    let dialect = Dialect::new(b',');
    let mut carried: Vec<u8> = Vec::new();
    let decimals = args.decimals as usize;
    let eq = scorer.equation();
    let mut writer = CsvWriter::new(Vec::new(), eq, decimals).with_components(Some(&components));
    let mut seen = IdIndex::default();
    let mut record = crate::io::records::Record::new();
    let mut lead = ScoredLead::default();
    let mut rows: Vec<Row> = Vec::new();
    let mut group_names: Vec<String> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let source = input.source().clone();
    // Any width: `check_row` checks it, so a row too wide or too short is rejected like any.
    while input.read_any(&mut record)? {
        let scored = match check_row(&source, id_col, &record, &mut seen) {
            Some(e) => Err(e),
            None => scorer.score(&source, &cols, &record, decimals, &mut lead),
        };
        if let Err(err) = scored {
            let Some(rejects) = rejects.as_mut() else {
                return Err(err);
            };
            rejects.add(&record, &err)?;
            // Its group has leads, though none could be planned: its hours are no misspelling.
            if let Some(name) = by_col.and_then(|c| group_name(&record, c, &model.missing_values)) {
                rejects
                    .groups
                    .entry(group_key(&name))
                    .or_insert((name, 0))
                    .1 += 1;
            }
            continue;
        }
        lead.id.clear();
        lead.id.push_str(&decode(&record[id_col]));
        lead.line = line_of(&record);
        let start = writer.get_ref().len();
        writer
            .write(&lead, &[])
            .map_err(|e| Error::write("memory", e))?;
        let _ = writer.flush();
        let p = &components.parts[part];
        let hours = round_to(
            writer.last_parts()[part] / p.per_unit,
            hours_decimals(decimals),
        );
        let name = match by_col {
            Some(c) => group_name(&record, c, &model.missing_values).expect("a row of full width"),
            None => "all".to_string(),
        };
        let input_cells = if carried_cols.is_empty() {
            0..0
        } else {
            let start = carried.len();
            dialect.text_record(
                &mut carried,
                carried_cols
                    .iter()
                    .map(|&c| super::carried_text(decode(&record[c]), pointed.contains(&c))),
            );
            carried.pop(); // The line end: the cells go on the plan's line.
            start..carried.len()
        };
        // "North" and "north " are one group, as the model matches category values.
        let g = *group_of.entry(group_key(&name)).or_insert_with(|| {
            group_names.push(name);
            group_names.len() - 1
        });
        rows.push(Row {
            group: g,
            net: lead.money.net,
            low: lead.interval.map(|(low, _)| low),
            tier: lead.tier,
            hours,
            line: start..writer.get_ref().len(),
            input: input_cells,
        });
    }
    input.finish_progress();
    let rejected = match rejects {
        Some(r) => Some(r.finish()?),
        None => None,
    };
    if rows.is_empty() {
        return Err(match &rejected {
            Some(r) if r.rows > 0 => Error::file(
                input.path(),
                format!(
                    "none of its {} could be scored, so there is nothing to plan; {} lists each with its reason",
                    counted(r.rows, "row"),
                    r.path
                ),
            ),
            _ => Error::file(input.path(), "has a header but no rows"),
        });
    }
    // Groups whose every lead was rejected: in no plan, and said so.
    let planned: HashSet<String> = group_names.iter().map(|n| group_key(n)).collect();
    let mut unplanned: Vec<(String, String, usize)> = rejected
        .as_ref()
        .map(|r| {
            r.groups
                .iter()
                .filter(|(key, _)| !planned.contains(*key))
                .map(|(key, (name, n))| (key.clone(), name.clone(), *n))
                .collect()
        })
        .unwrap_or_default();
    // Most rows first, then by name: the order does not depend on the hash map's.
    unplanned.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    let unplanned_keys: HashSet<String> = unplanned.iter().map(|u| u.0.clone()).collect();
    let capacity_of =
        capacities.resolve(&group_names, &rows, input.path(), args, &unplanned_keys)?;
    let unplanned: Vec<crate::report::plan::Unplanned> = unplanned
        .into_iter()
        .map(|(key, group, rejected)| crate::report::plan::Unplanned {
            hours: capacities.hours_of(&key),
            group,
            rejected,
        })
        .collect();

    // Per group: the leads, the plan, and the rules with the same hours.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); group_names.len()];
    for (i, r) in rows.iter().enumerate() {
        members[r.group].push(i);
    }
    let eligible = |r: &Row| {
        r.net > 0.0
            && args.min_net.is_none_or(|m| r.net >= m)
            && (!args.risk || r.low.is_some_and(|low| low > 0.0))
    };
    let mut chosen = vec![false; rows.len()];
    let mut plans = Vec::with_capacity(group_names.len());
    for (g, name) in group_names.iter().enumerate() {
        let idx = &members[g];
        let cap = capacity_of[g];
        // What each lead is worth to the plan: never chosen (-1) when the options leave it out.
        let worth: Vec<Item> = idx
            .iter()
            .map(|&i| Item {
                value: if eligible(&rows[i]) {
                    rows[i].net
                } else {
                    -1.0
                },
                weight: rows[i].hours,
            })
            .collect();
        // A group with no hours (a rep on leave) works no lead, not even one predicted to take
        // none: 0 in the capacity file means "not this quarter".
        let items: Vec<Item> = if cap > 0.0 {
            worth.clone()
        } else {
            worth.iter().map(|i| Item { value: -1.0, ..*i }).collect()
        };
        let plan = solve(&items, cap, Limits::default());
        // Not one lead fits: the hours are all that limits the plan, and the best rate a lead
        // too long would earn is what growing them is worth.
        let too_long = || worth.iter().filter(|i| i.value > 0.0 && i.weight > 0.0);
        let nothing_fits = plan.chosen.iter().all(|c| !c) && too_long().next().is_some();
        // A group without hours is said as such, not as leads too long for them.
        let smallest_lead = (nothing_fits && cap > 0.0)
            .then(|| too_long().map(|i| i.weight).fold(f64::INFINITY, f64::min));
        let value_of_an_hour = if nothing_fits {
            too_long().map(|i| i.value / i.weight).fold(0.0, f64::max)
        } else {
            plan.shadow_price
        };
        for (&i, &c) in idx.iter().zip(&plan.chosen) {
            chosen[i] = c;
        }
        let by_net = top_by_value(&items, cap);
        // The count a CRM would cap at: the hours over the average lead's.
        let mean_hours = items.iter().map(|i| i.weight).sum::<f64>() / items.len() as f64;
        let n = if mean_hours > 0.0 {
            (cap / mean_hours).floor() as usize
        } else {
            items.len()
        };
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|&a, &b| {
            let (ra, rb) = (&rows[idx[a]], &rows[idx[b]]);
            ra.tier
                .cmp(&rb.tier)
                .then(rb.net.total_cmp(&ra.net))
                .then(a.cmp(&b))
        });
        let capped = top_n(&items, &order, n);
        let rule = |sel: &crate::plan::Selection| Rule {
            leads: sel.chosen.iter().filter(|&&c| c).count(),
            hours: tidy(sel.weight, hours_decimals(decimals)),
            expected_net: tidy(sel.value, decimals),
            // "Fits" as the solver and top_by_value read it.
            within_capacity: sel.weight <= cap + cap * CAPACITY_SLACK,
        };
        plans.push(GroupPlan {
            group: name.clone(),
            capacity: cap,
            leads: idx.len(),
            eligible: idx.iter().filter(|&&i| eligible(&rows[i])).count(),
            chosen: plan.chosen.iter().filter(|&&c| c).count(),
            hours_used: tidy(plan.weight, hours_decimals(decimals)),
            expected_net: tidy(plan.value, decimals),
            // No `-0` (a group that may choose nothing has a bound of -0).
            bound: plan.bound + 0.0,
            gap: plan.gap + 0.0,
            optimal: plan.optimal,
            value_of_an_hour,
            smallest_lead,
            by_net: rule(&by_net),
            top_n: rule(&capped),
        });
    }
    let total = total(&plans, decimals);

    if let Some(path) = output {
        let scored = writer.into_inner().map_err(|e| Error::write("memory", e))?;
        write_plan(
            path,
            &Layout {
                id: &input.headers()[id_col],
                parts: &column_names(&components.parts),
                by: by_col.is_some(),
                names: &group_names,
                decimals,
                carried: &carried_cols
                    .iter()
                    .map(|&c| input.headers()[c].as_str())
                    .collect::<Vec<_>>(),
            },
            &scored,
            &carried,
            &members,
            &rows,
            &chosen,
        )?;
    }
    let report = PlanReport {
        file: input.path().to_string(),
        model: located.describe(),
        currency: model.currency.clone(),
        hours_column: column.clone(),
        term: components.parts[part].name.clone(),
        by: args.by.clone(),
        risk: args.risk,
        min_net: args.min_net,
        groups: plans,
        total,
        output: output.map(|p| p.display().to_string()),
        rejected: rejected.map(|r| crate::report::plan::Rejected {
            rows: r.rows,
            file: r.path,
            unplanned,
        }),
        with_input: args.with_input,
        decimals,
    };
    super::print_report(&report, args.format, PlanReport::render)
}

/// One scored lead, as the plan needs it.
struct Row {
    group: usize,
    /// Net value as written.
    net: f64,
    /// The interval's low end around the written net, if the model has intervals.
    low: Option<f64>,
    tier: crate::economics::Tier,
    /// The planned hours as written.
    hours: f64,
    /// Where the scored row, as `score --components` writes it, is in the scored bytes.
    line: std::ops::Range<usize>,
    /// Where its own cells (`--with-input`) are in the carried bytes.
    input: std::ops::Range<usize>,
}

/// The group a lead list's row belongs to by `--by` column `c`: its value trimmed, or
/// `(blank)` for a blank or a missing-value text; `None` when the row is too short to have it.
fn group_name(
    record: &crate::io::records::Record,
    c: usize,
    missing_values: &[String],
) -> Option<String> {
    let v = decode(record.get(c)?);
    let v = v.trim();
    Some(if v.is_empty() || missing_values.iter().any(|m| m == v) {
        BLANK_GROUP.to_string()
    } else {
        v.to_string()
    })
}

/// `--skip-invalid`: the rows that could not be scored, with their reasons, and the groups
/// they were in.
struct Rejects {
    out: Output,
    path: String,
    rows: usize,
    /// The groups the rejected rows named, by key ([`group_key`]): the name as first read, and
    /// the rows.
    groups: HashMap<String, (String, usize)>,
}

impl Rejects {
    fn add(&mut self, record: &crate::io::records::Record, err: &Error) -> Result<()> {
        let mut line = Vec::new();
        super::reject(&mut line, record, err);
        self.rows += 1;
        self.out
            .write_all(&line)
            .map_err(|e| Error::write(&self.path, e))
    }

    /// Puts the file in place; what it holds.
    fn finish(self) -> Result<Rejected> {
        self.out.commit()?;
        Ok(Rejected {
            path: self.path,
            rows: self.rows,
            groups: self.groups,
        })
    }
}

/// The rejects file, in place.
struct Rejected {
    path: String,
    rows: usize,
    groups: HashMap<String, (String, usize)>,
}

/// The part whose units are planned, named `name` by `--capacity` or, when `file` is given, by
/// the second header of that capacity file: as the model names it, or failing that ignoring
/// case, spaces and underscores (`Sales Hours` is `sales_hours`), when that names one part
/// only. An error names where the name was written.
fn planned_part(
    components: &crate::model::components::Components,
    name: &str,
    file: Option<&str>,
) -> Result<usize> {
    let parts = &components.parts;
    let burden: Vec<String> = parts
        .iter()
        .filter(|p| p.target == 1)
        .filter_map(|p| p.unit_column.clone())
        .collect();
    let refuse = |problem: String| match file {
        // The header is line 1; the second column is the one that names the hours.
        Some(path) => Error::Row {
            path: path.to_string(),
            line: 1,
            problem: format!("column 2 names the hours planned, but {problem}"),
        },
        None => Error::Usage(problem),
    };
    let exact = parts
        .iter()
        .position(|p| p.unit_column.as_deref() == Some(name));
    let part = exact.or_else(|| {
        let mut alike = parts.iter().enumerate().filter(|(_, p)| {
            p.unit_column
                .as_deref()
                .is_some_and(|u| loose(u) == loose(name))
        });
        match (alike.next(), alike.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    });
    let Some(part) = part else {
        let guess = crate::io::table::closest(name, &burden)
            .map(|c| format!(" (did you mean {}?)", shown(c)))
            .unwrap_or_default();
        return Err(refuse(format!(
            "the model predicts no hours (or other units) of the burden named {}{guess}; it predicts: {}",
            shown(name),
            burden.join(", ")
        )));
    };
    let p = &parts[part];
    let column = p.unit_column.as_deref().unwrap_or(name);
    if p.target != 1 {
        return Err(refuse(format!(
            "{} is part of the lifetime return, not of the service burden: plan against a cost the team spends, such as {}",
            shown(column),
            burden.join(", ")
        )));
    }
    if p.sign != ComponentSign::NonNegative {
        // A lead predicted to take negative hours would give hours back: the plan would be
        // neither meaningful nor, for the solver, a knapsack.
        return Err(refuse(format!(
            "{} was below zero for some customers the model learnt from (allow_negative in [economics]), so a lead's predicted {} can be negative; plan needs an amount that is never below zero",
            shown(column),
            column.replace('_', " ")
        )));
    }
    Ok(part)
}

/// A name of hours as matched loosely: lower case, without spaces or underscores.
fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// `--capacity COLUMN=HOURS`, checked: the column, and the hours when given.
fn capacity_flags(args: &PlanArgs) -> Result<(Option<String>, Option<f64>)> {
    match (&args.capacity, &args.capacity_file) {
        (Some(_), Some(_)) => Err(Error::Usage(
            "give --capacity COLUMN=HOURS (the same hours for every group) or --capacity-file FILE (one per group), not both".into(),
        )),
        (None, None) => Err(Error::Usage(
            "plan needs the hours the team has: --capacity sales_hours=1200, or with --by, --capacity-file reps.csv".into(),
        )),
        (None, Some(_)) => Ok((None, None)),
        (Some(text), None) => {
            let Some((column, hours)) = text.split_once('=') else {
                return Err(Error::Usage(format!(
                    "--capacity {}: expected COLUMN=HOURS, e.g. sales_hours=1200",
                    shown(text)
                )));
            };
            // 0 for everyone plans nothing: surely a mistake, unlike one rep's 0 in a file.
            let hours = read_hours(hours, false, false).ok_or_else(|| {
                Error::Usage(format!(
                    "--capacity {}: the hours must be a number above 0 and at most {}, got {}",
                    shown(text),
                    whole(MAX_HOURS),
                    shown(hours.trim())
                ))
            })?;
            Ok((Some(column.trim().to_string()), Some(hours)))
        }
    }
}

/// How groups are matched between the lead list and the capacity file: ignoring case and runs
/// of spaces, as category values are.
fn group_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A number of hours at most [`MAX_HOURS`], and above zero unless `zero` allows none (a rep on
/// leave in a capacity file); `decimal_comma` as for a lead list (its delimiter is not a comma),
/// so `3.200` in a `;` file is 3,200 hours there as it would be in its leads.
fn read_hours(text: &str, decimal_comma: bool, zero: bool) -> Option<f64> {
    match parse_number(text.trim(), decimal_comma) {
        // `+ 0.0`: a `-0` is the 0 it means.
        Ok(Some(v)) if (v > 0.0 || (zero && v == 0.0)) && v <= MAX_HOURS => Some(v + 0.0),
        _ => None,
    }
}

/// The hours of every group.
enum Capacities {
    /// `--capacity`: the same hours for each group (the whole list without `--by`).
    Everyone(f64),
    /// `--capacity-file`: per group, in the file's order, with its name and line.
    PerGroup {
        path: String,
        groups: Vec<(String, f64, u64)>,
    },
}

/// Reads `--capacity-file`, the part planned and each group's hours: the first column names the
/// group, the second is named after the hours planned (`sales_hours`, see [`planned_part`]) and
/// gives them. A group written as one of the model's `missing_values` (`n/a`) is `(blank)`, as
/// such a value is in the lead list; an empty name is refused, more likely left out than meant.
/// Its delimiter is sniffed from its own header, whatever
/// `--delimiter` says of the lead list: a semicolon CRM export and a comma file of hours typed by
/// hand go together.
fn read_capacities(
    path: &Path,
    components: &crate::model::components::Components,
    missing_values: &[String],
) -> Result<(usize, Capacities)> {
    let mut input = CsvInput::open(path, ReadOptions::default())?;
    if input.headers().len() < 2 {
        return Err(Error::file(
            input.path(),
            format!(
                "expected two columns, the group (as in --by) and its hours named after what is planned (e.g. \"owner,sales_hours\"); the header has {}",
                input.headers().join(", ")
            ),
        ));
    }
    // The header first: a wrong name is one fix, whatever the rows hold.
    let part = planned_part(components, input.headers()[1].trim(), Some(input.path()))?;
    let source = input.source().clone();
    // Numbers are read as in a lead list with the same delimiter.
    let decimal_comma = crate::io::table::decimal_comma(input.delimiter());
    let mut groups: Vec<(String, f64, u64)> = Vec::new();
    // Each group's line, by its key.
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut record = crate::io::records::Record::new();
    while input.read(&mut record)? {
        source.check_width(&record)?;
        let written = decode(&record[0]).trim().to_string();
        let line = line_of(&record);
        if written.is_empty() {
            return Err(source.field_error(
                &record,
                0,
                format!("the group is blank; to give hours to the leads whose --by value is blank, write {BLANK_GROUP}"),
            ));
        }
        // As the lead list reads it: `n/a` there is the group (blank).
        let name = if is_missing_value(missing_values, &written) {
            BLANK_GROUP.to_string()
        } else {
            written.clone()
        };
        // A map, not a search of the groups so far: a roster of reps can be long.
        if let Some(first) = first_line.get(&group_key(&name)) {
            let what = if name == written {
                shown(&name)
            } else {
                format!("{} (the group {name})", shown(&written))
            };
            return Err(source.field_error(
                &record,
                0,
                format!("{what} has a capacity already (line {first})"),
            ));
        }
        let text = decode(&record[1]);
        let hours = read_hours(&text, decimal_comma, true).ok_or_else(|| {
            source.field_error(
                &record,
                1,
                format!(
                    "expected hours from 0 to {}, got {}",
                    whole(MAX_HOURS),
                    shown(text.trim())
                ),
            )
        })?;
        first_line.insert(group_key(&name), line);
        groups.push((name, hours, line));
    }
    if groups.is_empty() {
        return Err(Error::file(input.path(), "has a header but no rows"));
    }
    Ok((
        part,
        Capacities::PerGroup {
            path: input.path().to_string(),
            groups,
        },
    ))
}

impl Capacities {
    /// The hours of the group whose key ([`group_key`]) is `key`, if it has any.
    fn hours_of(&self, key: &str) -> Option<f64> {
        match self {
            Capacities::Everyone(hours) => Some(*hours),
            Capacities::PerGroup { groups, .. } => groups
                .iter()
                .find(|(g, _, _)| group_key(g) == key)
                .map(|(_, h, _)| *h),
        }
    }

    /// The hours of each group of `names`, or an error naming the groups of the lead list with
    /// no capacity (with their leads) and the capacities with no leads, but for the groups
    /// whose every lead was rejected (`rejected`, by [`group_key`]): those are no misspelling.
    fn resolve(
        &self,
        names: &[String],
        rows: &[Row],
        leads_path: &str,
        args: &PlanArgs,
        rejected: &HashSet<String>,
    ) -> Result<Vec<f64>> {
        let (path, groups) = match self {
            Capacities::Everyone(hours) => return Ok(vec![*hours; names.len()]),
            Capacities::PerGroup { path, groups } => (path, groups),
        };
        let by = args.by.as_deref().unwrap_or("--by");
        // Maps both ways, not a search of one list per item of the other: with `--by owner`
        // both can be long.
        let hours_of: HashMap<String, f64> =
            groups.iter().map(|(g, h, _)| (group_key(g), *h)).collect();
        let found: Vec<Option<f64>> = names
            .iter()
            .map(|n| hours_of.get(&group_key(n)).copied())
            .collect();
        let mut counts = vec![0usize; names.len()];
        for r in rows {
            counts[r.group] += 1;
        }
        // Most leads first: the likeliest to matter.
        let mut missing: Vec<(&String, usize)> = names
            .iter()
            .zip(counts.iter().copied())
            .zip(&found)
            .filter(|(_, hours)| hours.is_none())
            .map(|(named, _)| named)
            .collect();
        if !missing.is_empty() {
            missing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let listed = Candidates::new(groups.iter().map(|(g, _, _)| g.clone()));
            let shown_missing: Vec<String> = missing
                .iter()
                .take(LISTED)
                .map(|&(n, c)| {
                    let leads = counted(c, "lead");
                    match listed.closest(n) {
                        Some(close) => {
                            format!("{} ({leads}; did you mean {}?)", shown(n), shown(close))
                        }
                        None => format!("{} ({leads})", shown(n)),
                    }
                })
                .collect();
            return Err(Error::file(
                leads_path,
                format!(
                    "{} in column \"{by}\" {} leads but no hours in {path}: {}; add {} to {path}, or correct the spelling",
                    counted(missing.len(), "value"),
                    if missing.len() == 1 { "has" } else { "have" },
                    listing(&shown_missing, missing.len()),
                    if missing.len() == 1 { "it" } else { "them" },
                ),
            ));
        }
        // Hours with no leads are most often a misspelt group. A group with no hours and no
        // leads (a rep on leave, with none assigned) changes nothing, and its misspelling would
        // leave the real group without hours, which is refused above.
        let keys: HashSet<String> = names.iter().map(|n| group_key(n)).collect();
        let idle: Vec<&(String, f64, u64)> = groups
            .iter()
            .filter(|(g, hours, _)| {
                let key = group_key(g);
                *hours > 0.0 && !keys.contains(&key) && !rejected.contains(&key)
            })
            .collect();
        if !idle.is_empty() {
            let leads_groups = Candidates::new(names.iter().cloned());
            let shown_idle: Vec<String> = idle
                .iter()
                .take(LISTED)
                .map(|(g, _, line)| match leads_groups.closest(g) {
                    Some(close) => {
                        format!("{} (line {line}; did you mean {}?)", shown(g), shown(close))
                    }
                    None => format!("{} (line {line})", shown(g)),
                })
                .collect();
            let shown_names: Vec<String> = names.iter().take(LISTED).map(|n| shown(n)).collect();
            return Err(Error::file(
                path,
                format!(
                    "{} {} hours but no leads in {leads_path} (column \"{by}\" has {}): {}; correct the spelling, or leave {} out",
                    counted(idle.len(), "group"),
                    if idle.len() == 1 { "has" } else { "have" },
                    listing(&shown_names, names.len()),
                    listing(&shown_idle, idle.len()),
                    if idle.len() == 1 { "it" } else { "them" },
                ),
            ));
        }
        // Every group found: none was missing.
        Ok(found.into_iter().flatten().collect())
    }
}

/// A sum of written figures as written: no float noise (`1199.9799999999998`), no `-0`.
fn tidy(value: f64, decimals: usize) -> f64 {
    round_to(value, decimals) + 0.0
}

/// The plan of every group together.
fn total(plans: &[GroupPlan], decimals: usize) -> GroupPlan {
    let h = hours_decimals(decimals);
    let sum = |f: &dyn Fn(&GroupPlan) -> f64, d: usize| tidy(plans.iter().map(f).sum::<f64>(), d);
    let rule = |f: &dyn Fn(&GroupPlan) -> &Rule| Rule {
        leads: plans.iter().map(|g| f(g).leads).sum(),
        hours: tidy(plans.iter().map(|g| f(g).hours).sum(), h),
        expected_net: tidy(plans.iter().map(|g| f(g).expected_net).sum(), decimals),
        // The total's hours may fit while a group's do not: it is only as good as its groups.
        within_capacity: plans.iter().all(|g| f(g).within_capacity),
    };
    GroupPlan {
        group: "total".into(),
        capacity: plans.iter().map(|g| g.capacity).sum(),
        leads: plans.iter().map(|g| g.leads).sum(),
        eligible: plans.iter().map(|g| g.eligible).sum(),
        chosen: plans.iter().map(|g| g.chosen).sum(),
        hours_used: sum(&|g| g.hours_used, h),
        expected_net: sum(&|g| g.expected_net, decimals),
        bound: plans.iter().map(|g| g.bound).sum(),
        gap: plans.iter().map(|g| g.gap).sum(),
        optimal: plans.iter().all(|g| g.optimal),
        // An hour is worth something different in each group; the total has no one price.
        value_of_an_hour: f64::NAN,
        smallest_lead: None,
        by_net: rule(&|g| &g.by_net),
        top_n: rule(&|g| &g.top_n),
    }
}

/// What the plan's file looks like.
struct Layout<'a> {
    id: &'a str,
    /// The parts' columns (`score --components`).
    parts: &'a [String],
    /// Whether the plan is per group (`--by`): a `plan_group` column.
    by: bool,
    names: &'a [String],
    decimals: usize,
    /// The lead list's own columns carried after the plan's (`--with-input`).
    carried: &'a [&'a str],
}

/// Writes every lead, group by group (in order of first appearance): the chosen leads by
/// expected net value, then the others; each with its plan columns.
fn write_plan(
    path: &Path,
    layout: &Layout,
    scored: &[u8],
    carried: &[u8],
    members: &[Vec<usize>],
    rows: &[Row],
    chosen: &[bool],
) -> Result<()> {
    let mut out = Output::create(Some(path))?;
    let name = out.name();
    let mut header = crate::write::header_with(layout.id, layout.parts, &[]);
    if layout.by {
        header.push("plan_group".into());
    }
    header.extend(["plan", "plan_rank", "hours_used", "cumulative_net"].map(String::from));
    header.extend(layout.carried.iter().map(|c| c.to_string()));
    let dialect = Dialect::new(b',');
    let mut buf = Vec::new();
    dialect.text_record(&mut buf, &header);
    for (g, idx) in members.iter().enumerate() {
        let mut order = idx.clone();
        order.sort_by(|&a, &b| {
            chosen[b]
                .cmp(&chosen[a])
                .then(rows[b].net.total_cmp(&rows[a].net))
                .then(a.cmp(&b))
        });
        let (mut hours, mut net, mut rank) = (0.0, 0.0, 0usize);
        for i in order {
            let r = &rows[i];
            // The scored row without its line end, then the plan's cells.
            let line = &scored[r.line.clone()];
            buf.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
            buf.push(b',');
            let (mut rank_s, mut hours_s, mut net_s) =
                (String::new(), String::new(), String::new());
            if chosen[i] {
                rank += 1;
                hours += r.hours;
                net += r.net;
                rank_s = rank.to_string();
                crate::economics::write_fixed(&mut hours_s, hours, hours_decimals(layout.decimals));
                crate::economics::write_fixed(&mut net_s, net, layout.decimals);
            }
            let mut cells = Vec::with_capacity(5);
            if layout.by {
                cells.push(Cell::Text(&layout.names[g]));
            }
            cells.push(Cell::Text(if chosen[i] { "chosen" } else { "not chosen" }));
            cells.extend([
                Cell::Number(&rank_s),
                Cell::Number(&hours_s),
                Cell::Number(&net_s),
            ]);
            dialect.record(&mut buf, cells);
            if !layout.carried.is_empty() {
                // The record's line end gives way to the lead's own cells.
                buf.pop();
                buf.push(b',');
                buf.extend_from_slice(&carried[r.input.clone()]);
                buf.push(b'\n');
            }
        }
        out.write_all(&buf).map_err(|e| Error::write(&name, e))?;
        buf.clear();
    }
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_from_0_or_above_0_up_to_a_billion() {
        assert_eq!(read_hours("3200", false, false), Some(3200.0));
        assert_eq!(read_hours(" 1e9 ", false, false), Some(MAX_HOURS));
        // 1e308 made the total of three groups `inf`: above the bound, refused.
        for text in [
            "1000000000.01",
            "1e308",
            "1e999",
            "inf",
            "NaN",
            "-5",
            "",
            "lots",
        ] {
            assert_eq!(read_hours(text, false, true), None, "{text}");
        }
        // 0 only where allowed (a rep on leave in a capacity file); -0 is that 0.
        assert_eq!(read_hours("0", false, false), None);
        assert_eq!(read_hours("0", false, true), Some(0.0));
        assert_eq!(read_hours("-0", false, true).map(f64::to_bits), Some(0));
        // A semicolon file's decimal comma and grouped thousands.
        assert_eq!(read_hours("3.200,5", true, false), Some(3200.5));
    }

    #[test]
    fn hours_are_named_loosely_by_case_spaces_and_underscores_only() {
        assert_eq!(loose("Sales Hours"), loose("sales_hours"));
        assert_eq!(loose(" SALES_hours "), "saleshours");
        assert_ne!(loose("sales-hours"), loose("sales_hours"));
        assert_ne!(loose("sale_hours"), loose("sales_hours"));
    }
}
