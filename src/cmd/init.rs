//! `leadscore init [--from FILE]`: write a starter `leadscore.toml` with every key explained.
//! With `--from`, the columns are guessed from a CSV's header and values: which is the id, which
//! holds the day a customer was won (ISO dates, never a feature), which are outcomes (by their
//! names) and how they enter the economics, which are categories and which numbers, and which
//! numbers are skewed enough to log.

use std::collections::HashSet;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::cli::InitArgs;
use crate::error::{Error, Result};
use crate::io::date::parse_days;
use crate::io::table::{decode, parse_number, CsvInput, ReadOptions};

/// What the file at `path` is, when it is JSON (its first character other than a blank or a
/// byte order mark is `{`): `a leadscore model` when its first 4 KiB name the model format (it
/// comes second, after the checksum), else `a JSON file`. `None` for anything else, and for a
/// file that cannot be read (writing it then says why).
fn json_file(path: &std::path::Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !text.starts_with('{') {
        return None;
    }
    let model = format!("\"format\": \"{}\"", crate::model::file::FORMAT);
    Some(if text.contains(&model) {
        "a leadscore model"
    } else {
        "a JSON file"
    })
}

/// Rows read from `--from` to guess from.
const SAMPLE_ROWS: usize = 20_000;
/// Text columns with more distinct values than this are free text, not categories.
const MAX_LEVELS: usize = 60;

pub fn run(args: &InitArgs) -> Result<()> {
    // Before "pass --force": no --force writes a config over a directory or over the CSV it
    // is guessed from.
    let mut inputs: Vec<(&str, &std::path::Path)> = Vec::new();
    inputs.extend(args.from.as_deref().map(|p| ("the --from file", p)));
    inputs.extend(args.leads.as_deref().map(|p| ("the --leads file", p)));
    super::check_paths(&inputs, &[("-o", &args.output)])?;
    // Nor, even with --force, over a model or another JSON file (a registry's current.json):
    // --force replaces a config, and a config is TOML, which never starts with `{`.
    if let Some(what) = json_file(&args.output) {
        return Err(Error::Usage(format!(
            "-o {} is {what}, not a config: --force only replaces a config; name another file",
            args.output.display()
        )));
    }
    if args.output.exists() && !args.force {
        return Err(Error::file(
            args.output.display(),
            "already exists; pass --force to replace it",
        ));
    }
    let (guess, notes) = match &args.from {
        Some(path) => {
            let mut input = CsvInput::open(
                path,
                ReadOptions {
                    delimiter: args.delimiter,
                    ..Default::default()
                },
            )?;
            let (mut g, mut notes) = guess(&mut input)?;
            if let Some(leads) = &args.leads {
                let leads = CsvInput::open(leads, ReadOptions::default())?;
                notes.extend(keep_what_leads_have(&mut g, leads.path(), leads.headers()));
            }
            (g, notes)
        }
        None => (Guess::example(), Vec::new()),
    };
    let text = render(&guess);
    // The text must load: a starter config that does not is worse than none.
    crate::config::Config::parse(&text, &args.output.display().to_string())?;
    crate::io::output::write_atomic(&args.output, text.as_bytes())?;
    eprintln!("Wrote {}.", args.output.display());
    for n in notes {
        eprintln!("  {n}");
    }
    eprintln!("Check every line marked CHECK, then run `leadscore train --history FILE`.");
    Ok(())
}

/// An outcome term as the guess will write it.
#[derive(Debug, Clone, PartialEq)]
struct GuessTerm {
    name: &'static str,
    column: String,
    rate: f64,
    times: Option<String>,
    comment: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
struct Guess {
    currency: String,
    /// Where the currency was guessed from (a header), if anywhere.
    currency_source: Option<String>,
    id: String,
    lead_id: Option<String>,
    /// `columns.date`: the column of ISO dates that says when a customer was won.
    date: Option<String>,
    categorical: Vec<String>,
    numeric: Vec<String>,
    log: Vec<String>,
    returns: Vec<GuessTerm>,
    burdens: Vec<GuessTerm>,
    skipped: Vec<(String, String)>,
}

impl Guess {
    /// The starter written without `--from`: the shipped sample data's columns.
    fn example() -> Guess {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut g = Guess {
            currency: "EUR".into(),
            currency_source: None,
            id: "customer_id".into(),
            lead_id: Some("lead_id".into()),
            date: Some("won_on".into()),
            categorical: s(&["industry", "region", "lead_source", "product_interest"]),
            numeric: s(&["employees", "annual_revenue", "first_order_value"]),
            log: s(&["employees", "annual_revenue", "first_order_value"]),
            returns: Vec::new(),
            burdens: Vec::new(),
            skipped: Vec::new(),
        };
        for col in [
            "lifetime_revenue",
            "cost_of_goods",
            "commissions_paid",
            "referral_revenue",
            "sales_hours",
            "support_hours",
            "complaints",
            "written_off",
        ] {
            let (side, term) = outcome_term(col, None).expect("known outcome names");
            match side {
                Side::Return => g.returns.push(term),
                Side::Burden => g.burdens.push(term),
            }
        }
        g
    }
}

/// The currency named in a header (`Revenue (USD)`, `amount_eur`, `Umsatz €`), if one is.
fn guess_currency(headers: &[String]) -> (String, Option<String>) {
    const CODES: [&str; 14] = [
        "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "JPY", "CAD", "AUD",
        "NZD",
    ];
    const SYMBOLS: [(char, &str); 4] = [('€', "EUR"), ('$', "USD"), ('£', "GBP"), ('¥', "JPY")];
    for h in headers {
        let upper = h.to_uppercase();
        let words = upper.split(|c: char| !c.is_ascii_alphanumeric());
        for w in words {
            if let Some(code) = CODES.iter().find(|c| **c == w) {
                return (code.to_string(), Some(h.clone()));
            }
        }
        if let Some((_, code)) = SYMBOLS.iter().find(|(sym, _)| h.contains(*sym)) {
            return (code.to_string(), Some(h.clone()));
        }
    }
    ("EUR".into(), None)
}

enum Side {
    Return,
    Burden,
}

/// What a column name says it is, if it names an outcome. `revenue` is the revenue column
/// already chosen (a margin percentage multiplies it).
fn outcome_term(column: &str, revenue: Option<&str>) -> Option<(Side, GuessTerm)> {
    let n: String = column
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    let term = |name, rate, comment| GuessTerm {
        name,
        column: column.to_string(),
        rate,
        times: None,
        comment,
    };
    let t = if has(&["costofgoods", "cogs", "costofsales"]) {
        (
            Side::Return,
            term(
                "cost of goods",
                -1.0,
                "subtracted: revenue minus cost of goods is the margin",
            ),
        )
    } else if has(&["margin"]) {
        let mut t = term(
            "gross margin",
            0.01,
            "CHECK: revenue × this margin percentage × 0.01 (use rate = 1 if it is a fraction)",
        );
        t.column = revenue?.to_string();
        t.times = Some(column.to_string());
        (Side::Return, t)
    } else if has(&["commission"]) {
        (
            Side::Return,
            term(
                "commissions",
                -1.0,
                "commissions paid on the relationship, subtracted",
            ),
        )
    } else if has(&["referral", "referred", "wordofmouth"]) {
        (
            Side::Return,
            term(
                "word of mouth",
                0.25,
                "CHECK: share of referred customers' revenue credited to the referrer",
            ),
        )
    } else if has(&[
        "lifetime",
        "ltv",
        "totalrevenue",
        "totalcharges",
        "billed",
        "totalsales",
    ]) {
        (
            Side::Return,
            term(
                "revenue",
                1.0,
                "everything the customer paid over the relationship",
            ),
        )
    } else if has(&["saleshour", "acquisitionhour", "presaleshour"]) {
        (
            Side::Burden,
            term(
                "sales effort",
                85.0,
                "CHECK: loaded cost of a sales hour (salary, time, equipment)",
            ),
        )
    } else if has(&["supporthour", "servicehour", "carehour"]) {
        (
            Side::Burden,
            term(
                "support",
                55.0,
                "CHECK: loaded cost of a support hour (salary, time, equipment)",
            ),
        )
    } else if has(&["ticket", "calls", "callcentre", "callcenter"]) {
        (
            Side::Burden,
            term(
                "support contacts",
                40.0,
                "CHECK: cost of handling one ticket or call",
            ),
        )
    } else if has(&["complaint"]) {
        (
            Side::Burden,
            term("complaints", 150.0, "CHECK: cost of handling one complaint"),
        )
    } else if has(&["writtenoff", "writeoff", "unpaid", "baddebt"]) {
        (
            Side::Burden,
            term("unpaid invoices", 1.0, "invoices that were never paid"),
        )
    } else {
        return None;
    };
    Some(t)
}

/// What the sample says about one column.
#[derive(Default)]
struct Profile {
    blank: usize,
    numbers: Vec<f64>,
    text: usize,
    distinct: HashSet<String>,
    /// Values that are ISO dates (`2026-11-30`), which `columns.date` reads.
    iso_dates: usize,
    /// Values that look like dates in a local order (`30.11.2026`, `11/30/26`), which it does not.
    local_dates: usize,
}

/// Dates in a column: most of its filled values are dates.
#[derive(Clone, Copy, PartialEq)]
enum Dates {
    Iso,
    Local,
}

impl Profile {
    /// Whether at least 90% of the filled values are dates, and of which kind.
    fn dates(&self) -> Option<Dates> {
        let filled = self.numbers.len() + self.text;
        if filled == 0 {
            None
        } else if self.iso_dates * 10 >= filled * 9 {
            Some(Dates::Iso)
        } else if self.local_dates * 10 >= filled * 9 {
            Some(Dates::Local)
        } else {
            None
        }
    }
}

/// `30.11.2026`, `11/30/2026`, `3-11-26`: a day, a month and a year in some local order, which
/// only the person who exported the file can tell apart.
fn looks_like_local_date(text: &str) -> bool {
    let date = text.split([' ', 'T']).next().unwrap_or("");
    let parts: Vec<&str> = date.split(['.', '/', '-']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0].len() <= 2
        && parts[1].len() <= 2
        && matches!(parts[2].len(), 2 | 4)
}

/// The words of a header, lower-cased: split at anything not a letter or digit and where a
/// lower-case letter meets an upper-case one (`wonOn`, `CloseDate`).
fn header_words(h: &str) -> Vec<String> {
    let mut words = vec![String::new()];
    let mut prev_lower = false;
    for c in h.chars() {
        if !c.is_alphanumeric() {
            words.push(String::new());
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(String::new());
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        words
            .last_mut()
            .expect("starts with one")
            .extend(c.to_lowercase());
    }
    words.retain(|w| !w.is_empty());
    words
}

/// Whether a date column's header names when the relationship ended or was last touched
/// (`churned_on`, `last_contact`): never the day the customer was won.
fn names_an_end(h: &str) -> bool {
    const ENDS: [&str; 16] = [
        "end",
        "ended",
        "ends",
        "churn",
        "churned",
        "cancel",
        "cancelled",
        "canceled",
        "left",
        "lost",
        "terminated",
        "last",
        "expiry",
        "expires",
        "expired",
        "renewal",
    ];
    header_words(h).iter().any(|w| ENDS.contains(&w.as_str()))
}

/// Whether a date column's header names the start of the relationship (`won_on`, `CloseDate`,
/// `customer_since`), preferred over other dates as `columns.date`.
fn names_a_start(h: &str) -> bool {
    const STARTS: [&str; 14] = [
        "won",
        "win",
        "close",
        "closed",
        "signed",
        "acquired",
        "converted",
        "conversion",
        "start",
        "started",
        "since",
        "joined",
        "onboarded",
        "first",
    ];
    header_words(h).iter().any(|w| STARTS.contains(&w.as_str()))
}

/// Whether a header names an id: "customer_id", "lead-id", "Customer ID", "customerID",
/// "CustomerId" (but not "amount_paid").
fn looks_like_id(h: &str) -> bool {
    let lower = h.to_lowercase();
    lower == "id"
        || ["_id", "-id", " id", ".id"]
            .iter()
            .any(|s| lower.ends_with(s))
        || ((h.ends_with("ID") || h.ends_with("Id"))
            && h[..h.len() - 2]
                .chars()
                .last()
                .is_some_and(char::is_lowercase))
}

/// Leaves out of the features every column the lead list (`path`, with `headers`) lacks: what
/// leads do not have cannot be known before contact, and a model using it could not score them.
/// Takes the lead list's id column as `lead_id` when it lacks the history's. Returns the notes
/// to print.
fn keep_what_leads_have(g: &mut Guess, path: &str, headers: &[String]) -> Vec<String> {
    let has = |c: &String| headers.contains(c);
    let mut dropped: Vec<String> = Vec::new();
    for list in [&mut g.categorical, &mut g.numeric] {
        dropped.extend(list.iter().filter(|c| !has(c)).cloned());
        list.retain(|c| has(c));
    }
    g.log.retain(|c| has(c));
    let mut notes = Vec::new();
    if !dropped.is_empty() {
        notes.push(format!(
            "not in {path}, so left out of [features] (what leads lack cannot be known before contact): {}; [features] keeps {} categorical and {} numeric",
            dropped.join(", "),
            g.categorical.len(),
            g.numeric.len()
        ));
    }
    let reason = format!("not in {path}, so not known before contact");
    g.skipped
        .extend(dropped.into_iter().map(|c| (c, reason.clone())));
    if !headers.contains(&g.id) {
        if let Some(id) = headers.iter().find(|h| looks_like_id(h)) {
            notes.push(format!("lead id: {id} (from {path})"));
            g.lead_id = Some(id.clone());
        }
    }
    notes
}

fn guess(input: &mut CsvInput) -> Result<(Guess, Vec<String>)> {
    let headers = input.headers().to_vec();
    let mut profiles: Vec<Profile> = headers.iter().map(|_| Profile::default()).collect();
    let mut record = crate::io::records::Record::new();
    let mut rows = 0;
    let decimal_comma = crate::io::table::decimal_comma(input.delimiter());
    while rows < SAMPLE_ROWS && input.read(&mut record)? {
        rows += 1;
        for (p, field) in profiles.iter_mut().zip(record.iter()) {
            let text = decode(field);
            match parse_number(&text, decimal_comma) {
                Ok(None) => p.blank += 1,
                Ok(Some(v)) => p.numbers.push(v),
                Err(_) => {
                    p.text += 1;
                    if parse_days(&text).is_some() {
                        p.iso_dates += 1;
                    } else if looks_like_local_date(text.trim()) {
                        p.local_dates += 1;
                    }
                }
            }
            if !text.trim().is_empty() {
                p.distinct.insert(text.trim().to_string());
            }
        }
    }
    if rows == 0 {
        return Err(Error::file(input.path(), "has a header but no rows"));
    }
    let mut notes = Vec::new();
    let unique = |p: &Profile| p.distinct.len() == rows - p.blank && p.blank == 0;
    let named_id = |i: usize| looks_like_id(&headers[i]);
    let dates: Vec<Option<Dates>> = profiles.iter().map(Profile::dates).collect();
    let id = (0..headers.len())
        .find(|&i| named_id(i) && unique(&profiles[i]))
        .or_else(|| {
            // Dates can all differ too, but they name a day, not a customer.
            (0..headers.len())
                .find(|&i| dates[i].is_none() && profiles[i].text > 0 && unique(&profiles[i]))
        })
        .ok_or_else(|| {
            Error::file(
                input.path(),
                "found no column with a unique value in every row to use as the id",
            )
        })?;

    // The day a customer was won: a column of ISO dates, one whose name says so first, and never
    // one whose name says the relationship ended.
    let iso: Vec<usize> = (0..headers.len())
        .filter(|&i| i != id && dates[i] == Some(Dates::Iso) && !names_an_end(&headers[i]))
        .collect();
    let date = iso
        .iter()
        .copied()
        .find(|&i| names_a_start(&headers[i]))
        .or(iso.first().copied());

    let (currency, currency_source) = guess_currency(&headers);
    let mut g = Guess {
        currency,
        currency_source,
        id: headers[id].clone(),
        lead_id: None,
        date: date.map(|i| headers[i].clone()),
        categorical: Vec::new(),
        numeric: Vec::new(),
        log: Vec::new(),
        returns: Vec::new(),
        burdens: Vec::new(),
        skipped: Vec::new(),
    };
    let numeric = |p: &Profile| p.text == 0 && !p.numbers.is_empty();
    // Revenue first, so a margin-percentage column can refer to it.
    let revenue = (0..headers.len()).find(|&i| {
        i != id
            && numeric(&profiles[i])
            && matches!(outcome_term(&headers[i], None), Some((Side::Return, ref t)) if t.name == "revenue")
    });
    let mut outcome_cols = HashSet::new();
    // A column without a name cannot be named in a config (Excel's trailing `,,` makes them);
    // a config proposing one would not load.
    let unnamed: Vec<usize> = (0..headers.len())
        .filter(|&i| headers[i].is_empty())
        .collect();
    if !unnamed.is_empty() {
        let (what, at) = match unnamed.len() {
            1 => ("a column", "column"),
            _ => ("columns", "columns"),
        };
        notes.push(format!(
            "{what} without a name ({at} {}) left out: a config can only name a column by its header",
            unnamed
                .iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for i in (0..headers.len()).filter(|&i| i != id && !headers[i].is_empty()) {
        let p = &profiles[i];
        // Nothing in it to learn from, or to tell a lead by.
        if p.blank == rows {
            g.skipped
                .push((headers[i].clone(), "blank in every row".into()));
            continue;
        }
        // Dates are never features: a lead has not been won, and a day is no property of it.
        if let Some(kind) = dates[i] {
            let filled = p.numbers.len() + p.text;
            if Some(i) == date {
                if p.iso_dates < filled {
                    notes.push(format!(
                        "{}: {} values are not ISO dates (YYYY-MM-DD)",
                        headers[i],
                        filled - p.iso_dates
                    ));
                }
                continue;
            }
            let why = match kind {
                Dates::Iso => {
                    "dates are never features; columns.date names the day a customer was won"
                }
                Dates::Local => {
                    notes.push(format!(
                        "{}: dates, but not ISO (YYYY-MM-DD); write them as 2026-11-30 to use the column as columns.date",
                        headers[i]
                    ));
                    "dates not in ISO form (YYYY-MM-DD), so not read as dates: 11/03/2026 is March to some and November to others"
                }
            };
            g.skipped.push((headers[i].clone(), why.into()));
            continue;
        }
        if numeric(p) || (p.text > 0 && p.text * 100 <= rows && p.numbers.len() * 2 > rows) {
            if let Some((side, term)) =
                outcome_term(&headers[i], revenue.map(|r| headers[r].as_str()))
            {
                if p.text > 0 {
                    notes.push(format!(
                        "{}: {} values are not numbers; training will stop at them",
                        headers[i], p.text
                    ));
                }
                outcome_cols.insert(i);
                match side {
                    Side::Return => g.returns.push(term),
                    Side::Burden => g.burdens.push(term),
                }
                continue;
            }
        }
        if numeric(p) {
            let mut v = p.numbers.clone();
            v.sort_by(f64::total_cmp);
            let distinct = p.distinct.len();
            if distinct <= 2 {
                g.categorical.push(headers[i].clone());
                continue;
            }
            g.numeric.push(headers[i].clone());
            let median = crate::stats::quantile_sorted(&v, 0.5).unwrap_or(0.0);
            let max = v.last().copied().unwrap_or(0.0);
            if v[0] >= 0.0 && median > 0.0 && max > 20.0 * median {
                g.log.push(headers[i].clone());
            }
        } else if p.distinct.len() <= MAX_LEVELS && p.distinct.len() * 4 <= rows - p.blank {
            // A category repeats: on average at least 4 customers share each value.
            g.categorical.push(headers[i].clone());
        } else {
            let why = if p.distinct.len() > MAX_LEVELS {
                format!("text with more than {MAX_LEVELS} distinct values")
            } else {
                format!(
                    "free text: {} distinct values in {} rows",
                    p.distinct.len(),
                    rows - p.blank
                )
            };
            g.skipped.push((headers[i].clone(), why));
        }
    }
    // With a margin percentage the return is revenue × margin, not revenue plus it.
    if g.returns.iter().any(|t| t.times.is_some()) {
        g.returns.retain(|t| t.name != "revenue");
    }
    if g.returns.is_empty() {
        notes.push(
            "no column looks like lifetime revenue: name it under [[economics.return]] before training".into(),
        );
        g.returns.push(GuessTerm {
            name: "revenue",
            column: "CHECK_revenue_column".into(),
            rate: 1.0,
            times: None,
            comment: "CHECK: the column holding what the customer paid over the relationship",
        });
    }
    let date_note = g
        .date
        .as_ref()
        .map(|d| format!(", date {d}"))
        .unwrap_or_default();
    notes.insert(
        0,
        format!(
            "from {} rows: id {}{date_note}, {} categorical and {} numeric features, {} outcome columns",
            crate::economics::money(rows as f64, 0),
            g.id,
            g.categorical.len(),
            g.numeric.len(),
            outcome_cols.len()
        ),
    );
    Ok((g, notes))
}

/// Comment lines above `currency`, the first key.
const INTRO: &str = "\
# leadscore.toml: how leadscore reads your customer history and turns it into money.
# Every key is explained; keys under [model] and [decisions] may be left out for their defaults.

# The currency every money column is in. Scores are reported in it; nothing is converted.
";

const FEATURES: &str = "
# Pre-contact features: only what is known BEFORE first contact (an outcome here would leak
# the answer into the model). Unused columns in the CSV are ignored.
# CHECK: remove anything recorded after first contact (notes, call outcomes, deal stages).
";

const ECONOMICS: &str = "
# The economics. Both sides are sums of terms; each term is, per customer,
#     column × rate            (e.g. support_hours × 55 = loaded cost of support)
#     column × rate × times    (e.g. lifetime_revenue × 0.01 × margin_pct)
#     rate                     (no column: a fixed amount per customer, e.g. onboarding)
# Columns must be >= 0 (money, hours, counts); `allow_negative = true` on a term permits
# negative values in its columns. A row with a blank outcome is left out of training and listed.
#
# Lifetime return = what the relationship brought in, net of margin and commissions, plus a
# credit for the revenue of customers they referred (word of mouth).
";

const BURDEN: &str = "
# Service burden = what it costs to win and keep the customer: sales effort and support
# priced at loaded hourly rates (salary, time, equipment), complaints at a unit cost, and
# invoices never paid. Rates here must be >= 0.
";

const DECISIONS: &str = "
# Thresholds on expected net value (return − burden), in the currency above. Each is \"at or
# above\". Left out, training sets them from the history: tier A the top quarter of past
# customers, B above the median, C still profitable, D losing money; contact at the median,
# skip below zero, qualify in between.
";

/// The commented-out keys under `[decisions]`, and a commented-out `[export]`, which end the
/// file.
const DECISIONS_KEYS: &str = "\
# contact_at = 5000
# skip_below = 0
# tier_a = 15000
# tier_b = 5000
# tier_c = 0

# Exports (`leadscore export`): columns left out of every export unless a CRM profile names
# them, and profiles of your own beside the built-in `salesforce` and `hubspot` (see the README).
# [export]
# personal = [\"email\", \"phone\"]
#
# [export.profiles.my_crm]
# delimiter = \";\"
# decimal_comma = true
# fields = [
#   { name = \"Lead ID\", from = \"id\" },
#   { name = \"Net value\", from = \"expected_net\" },
#   { name = \"Priority\", from = \"tier\", map = { A = \"Hot\", B = \"Warm\", C = \"Cold\", D = \"Cold\" } },
#   { name = \"Notes\", template = \"{reasons} ({net_low} to {net_high})\", max_length = 255 },
# ]
";

/// Header text made safe for a `#` comment: a line break or other control character in a CSV
/// header would end the comment and leave the rest of the header as invalid TOML.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Inserts `key = value` into `table`, with `comment` (whole `# ...\n` lines, or empty) above it.
fn put(table: &mut Table, key: &str, value: impl Into<Value>, comment: &str) {
    table.insert(key, Item::Value(value.into()));
    if let Some(mut k) = table.key_mut(key) {
        k.leaf_decor_mut().set_prefix(comment);
    }
}

fn list(items: &[String]) -> Value {
    Value::Array(items.iter().collect())
}

/// A `[table]` or `[[table]]` at `position` in the file, with `prefix` (blank lines and comment
/// lines) above its header and `suffix` after the header on the same line.
fn table(position: &mut isize, prefix: &str, suffix: &str) -> Table {
    let mut t = Table::new();
    *position += 1;
    t.set_position(*position);
    t.decor_mut().set_prefix(prefix);
    t.decor_mut().set_suffix(suffix);
    t
}

/// The config text. Built as a TOML document, so every column name is quoted and escaped
/// correctly whatever the CSV header holds; comments ride on the key or table below them.
fn render(g: &Guess) -> String {
    let mut doc = DocumentMut::new();
    let mut position = 0;
    let currency_check = match &g.currency_source {
        Some(h) => format!(
            "# CHECK: guessed from the column \"{}\".\n",
            comment_text(h)
        ),
        None => "# CHECK: no currency was named in the header; EUR is a placeholder.\n".into(),
    };
    put(
        doc.as_table_mut(),
        "currency",
        g.currency.as_str(),
        &format!("{INTRO}{currency_check}"),
    );

    let mut columns = table(&mut position, "\n", "");
    put(
        &mut columns,
        "id",
        g.id.as_str(),
        "# CHECK: the column that identifies each past customer (must be unique and never blank).\n",
    );
    const LEAD_ID: &str =
        "# The id column of lead lists. Defaults to the same name as `id`; `score --id` overrides it.\n";
    // Comment lines after a table's last key go above the next table's header.
    let mut pending = String::new();
    match &g.lead_id {
        Some(l) => put(&mut columns, "lead_id", l.as_str(), LEAD_ID),
        None => pending = format!("{LEAD_ID}# lead_id = \"lead_id\"\n"),
    }
    match &g.date {
        Some(d) => put(
            &mut columns,
            "date",
            d.as_str(),
            "# CHECK: the day each customer was won, as ISO dates (2026-11-30): retrain holds out the\n\
             # most recent customers by it. Never a feature: a lead has not been won yet.\n",
        ),
        None => pending.push_str(
            "# The day each customer was won, as ISO dates (2026-11-30), if the export has it: retrain\n\
             # holds out the most recent customers by it. Never a feature.\n\
             # date = \"won_on\"\n",
        ),
    }
    doc.insert("columns", Item::Table(columns));

    let mut features = table(&mut position, &format!("{pending}{FEATURES}"), "");
    put(
        &mut features,
        "categorical",
        list(&g.categorical),
        "# Text or code columns: one-hot encoded against the most common level; rare values are pooled\n\
         # into \"(other)\" and blanks get a level of their own.\n",
    );
    put(
        &mut features,
        "numeric",
        list(&g.numeric),
        "# Number columns: blanks are imputed with the training median and flagged when scoring.\n",
    );
    put(
        &mut features,
        "log",
        list(&g.log),
        "# Numeric features entered as ln(1 + x): sizes and amounts whose effect grows by ratios.\n",
    );
    doc.insert("features", Item::Table(features));
    pending = g
        .skipped
        .iter()
        .map(|(col, why)| format!("# not used: {} ({why})\n", comment_text(col)))
        .collect();
    pending.push_str(ECONOMICS);

    let mut economics = Table::new();
    economics.set_implicit(true);
    position += 1;
    economics.set_position(position);
    let mut terms = |side: &str, list: &[GuessTerm], pending: &mut String| {
        let mut tables = ArrayOfTables::new();
        for t in list {
            let prefix = format!("{pending}\n");
            pending.clear();
            let mut term = table(&mut position, &prefix, &format!("  # {}", t.comment));
            put(&mut term, "name", t.name, "");
            put(&mut term, "column", t.column.as_str(), "");
            if let Some(times) = &t.times {
                put(&mut term, "times", times.as_str(), "");
            }
            put(&mut term, "rate", t.rate, "");
            tables.push(term);
        }
        if !tables.is_empty() {
            economics.insert(side, Item::ArrayOfTables(tables));
        }
    };
    terms("return", &g.returns, &mut pending);
    pending.push_str(BURDEN);
    terms("burden", &g.burdens, &mut pending);
    if g.burdens.is_empty() {
        pending.push_str(
            "# (no burden columns recognised: add [[economics.burden]] terms, or leave none)\n",
        );
    }
    doc.insert("economics", Item::Table(economics));

    let mut model = table(&mut position, &format!("{pending}\n"), "");
    put(
        &mut model,
        "folds",
        5,
        "# Cross-validation folds for the reported errors and the penalty search.\n",
    );
    put(
        &mut model,
        "seed",
        42,
        "# Seed of the fold assignment: the same data and seed give the same model.\n",
    );
    put(
        &mut model,
        "penalty",
        "auto",
        "# Ridge penalty per row on standardised columns: \"auto\" picks it by cross-validation from\n\
         # 0 (plain least squares) to 1; or give a number >= 0.\n",
    );
    put(
        &mut model,
        "winsorize",
        Value::Array([0.01, 0.99].into_iter().collect()),
        "# Categories with fewer customers than this are pooled into \"(other)\". Left out, it is 1% of\n\
         # the customers, kept between 5 and 20.\n\
         # min_category_count = 20\n\
         # At most this many levels per categorical feature; the less common values are pooled\n\
         # into \"(other)\" too, since training time grows with the cube of the levels.\n\
         # max_levels = 100\n\
         # Clamp numeric features to these training percentiles, so one mistyped value cannot wreck\n\
         # the fit; scoring clamps to the same range and flags it. `false` turns it off.\n",
    );
    put(
        &mut model,
        "outcome_cap",
        10.0,
        "# An outcome (return or burden) beyond this many times the 99th percentile is surely a typo or\n\
         # a unit mix-up: training names it and counts it as the largest outcome within the bar, so\n\
         # it cannot move the model. `false` turns it off.\n",
    );
    put(
        &mut model,
        "transform",
        "auto",
        "# The scale each money target is fitted on: \"auto\" fits the amount, and for amounts that\n\
         # cannot be negative also ln(1 + amount) (with the back-transform's bias corrected) and a\n\
         # log-link fit of the amount itself (\"glm\", Poisson), and keeps the one with the smallest\n\
         # cross-validated error in money; or \"linear\", \"log\" or \"glm\".\n",
    );
    put(
        &mut model,
        "interval",
        0.8,
        "# Each lead's net value gets an interval meant to contain this share of outcomes, learnt from\n\
         # the cross-validated errors (wider for bigger accounts).\n",
    );
    doc.insert("model", Item::Table(model));

    doc.insert(
        "decisions",
        Item::Table(table(&mut position, DECISIONS, "")),
    );
    doc.set_trailing(DECISIONS_KEYS);
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_export_example_is_a_valid_export_section() {
        let example: String = DECISIONS_KEYS
            .lines()
            .skip_while(|l| !l.starts_with("# [export]"))
            .map(|l| format!("{}\n", l.trim_start_matches('#').trim_start()))
            .collect();
        let good = "currency = \"EUR\"\n[columns]\nid = \"id\"\n[features]\ncategorical = [\"c\"]\n[[economics.return]]\nname = \"r\"\ncolumn = \"r\"\nrate = 1.0\n";
        let config = crate::config::Config::parse(&format!("{good}{example}"), "t.toml").unwrap();
        assert_eq!(config.export.personal, ["email", "phone"]);
        assert_eq!(
            config.export.profiles["my_crm"].header(),
            ["Lead ID", "Net value", "Priority", "Notes"]
        );
    }

    #[test]
    fn currency_is_read_from_a_header_when_one_names_it() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            guess_currency(&h(&["id", "Revenue (USD)"])),
            ("USD".into(), Some("Revenue (USD)".into()))
        );
        assert_eq!(guess_currency(&h(&["umsatz_chf"])).0, "CHF");
        assert_eq!(guess_currency(&h(&["Umsatz €"])).0, "EUR");
        // "used" and "euro" are not codes; a word must be the code itself.
        assert_eq!(
            guess_currency(&h(&["used_seats", "neurons"])),
            ("EUR".into(), None)
        );
    }

    #[test]
    fn notes_that_rarely_repeat_are_free_text_not_a_category() {
        let mut csv = String::from("id,segment,notes,total_revenue\n");
        for i in 0..40 {
            let note = [
                "Budget approved Q3",
                "Called twice",
                &format!("met at fair {i}"),
            ][i % 3]
                .to_string();
            csv.push_str(&format!("C{i},{},{note},{}\n", ["a", "b"][i % 2], 100 + i));
        }
        let mut input = CsvInput::from_reader(
            "n.csv".into(),
            Box::new(std::io::Cursor::new(csv.into_bytes())),
            b',',
            None,
        )
        .unwrap();
        let (g, _) = guess(&mut input).unwrap();
        assert_eq!(g.categorical, vec!["segment"]);
        assert_eq!(g.skipped[0].0, "notes");
    }

    fn guess_from(csv: String) -> (Guess, Vec<String>) {
        let mut input = CsvInput::from_reader(
            "d.csv".into(),
            Box::new(std::io::Cursor::new(csv.into_bytes())),
            b',',
            None,
        )
        .unwrap();
        guess(&mut input).unwrap()
    }

    #[test]
    fn dates_that_all_differ_name_a_day_not_a_customer_so_are_no_id() {
        let mut csv = String::from("won_on,name,segment,total_revenue\n");
        for i in 0..30 {
            csv.push_str(&format!(
                "2025-03-{:02},Firm {i},{},{}\n",
                i + 1,
                ["a", "b"][i % 2],
                100 + i
            ));
        }
        let (g, _) = guess_from(csv);
        assert_eq!(g.id, "name");
        assert_eq!(g.date.as_deref(), Some("won_on"));
        assert_eq!(g.categorical, ["segment"]);
    }

    #[test]
    fn the_won_date_is_preferred_by_its_name_and_an_end_date_is_never_it() {
        let mut csv = String::from("id,segment,updated,CloseDate,churned_on,total_revenue\n");
        for i in 0..30 {
            csv.push_str(&format!(
                "C{i},{},2026-11-{:02},2024-05-{:02},2026-01-{:02},{}\n",
                ["a", "b"][i % 2],
                i % 28 + 1,
                i % 28 + 1,
                i % 28 + 1,
                100 + i
            ));
        }
        let (g, _) = guess_from(csv.clone());
        assert_eq!(g.date.as_deref(), Some("CloseDate"));
        let skipped: Vec<&str> = g.skipped.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(skipped, ["updated", "churned_on"]);
        // With only an end date there is no won date to propose.
        let only_end: String = csv
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{},{},{}\n", f[0], f[1], f[4], f[5])
            })
            .collect();
        let (g, _) = guess_from(only_end);
        assert_eq!(g.date, None);
        assert_eq!(g.categorical, ["segment"]);
        assert!(g.numeric.is_empty());
        let text = render(&g);
        assert!(text.lines().any(|l| l == "# date = \"won_on\""), "{text}");
        assert_eq!(crate::config::Config::parse(&text, "x").unwrap().date, None);
    }

    #[test]
    fn header_words_split_at_case_and_punctuation() {
        assert_eq!(header_words("CloseDate"), ["close", "date"]);
        assert_eq!(header_words("won_on"), ["won", "on"]);
        assert_eq!(
            header_words("Customer Since (UTC)"),
            ["customer", "since", "utc"]
        );
        assert_eq!(header_words("lastContactISO"), ["last", "contact", "iso"]);
        assert!(names_an_end("churnedOn") && names_an_end("Last contact"));
        // "vendor" holds "end", but not as a word.
        assert!(!names_an_end("vendor_since") && names_a_start("vendor_since"));
    }

    #[test]
    fn local_dates_are_told_from_iso_dates_and_numbers() {
        for local in ["30.11.2026", "11/30/2026", "3/4/26", "30-11-2026 08:00"] {
            assert!(looks_like_local_date(local), "{local}");
        }
        for not in ["2026-11-30", "1.5", "30.11", "v1.2.3", "12/2026", "a.b.cc"] {
            assert!(!looks_like_local_date(not), "{not}");
        }
    }

    #[test]
    fn example_config_parses() {
        let c = crate::config::Config::parse(&render(&Guess::example()), "x").unwrap();
        assert_eq!(c.date.as_deref(), Some("won_on"));
        assert_eq!(c.economics.lifetime_return.len(), 4);
        assert_eq!(c.economics.service_burden.len(), 4);
    }

    /// A spreadsheet's export with empty columns at the end (`,,`) gave a config with a feature
    /// named "" that would not load; a named column blank in every row was proposed as a
    /// category. Neither is a feature now, and the notes say so.
    #[test]
    fn unnamed_and_empty_columns_are_never_proposed_as_features() {
        let mut csv = String::from("customer_id,industry,notes,employees,lifetime_revenue,,\n");
        for i in 0..60 {
            let industry = ["retail", "software", "health"][i % 3];
            csv.push_str(&format!(
                "C{i:03},{industry},,{},{},,\n",
                10 + i,
                1000 + 37 * i
            ));
        }
        let (g, notes) = guess_from(csv);
        assert_eq!(g.categorical, ["industry"]);
        assert_eq!(g.numeric, ["employees"]);
        assert!(g
            .skipped
            .contains(&("notes".to_string(), "blank in every row".to_string())));
        assert!(
            notes.contains(&"columns without a name (columns 6, 7) left out: a config can only name a column by its header".to_string()),
            "{notes:?}"
        );
        let text = render(&g);
        assert!(!text.contains("\"\""), "{text}");
        crate::config::Config::parse(&text, "x").unwrap();
    }

    #[test]
    fn guesses_roles_from_names_and_values() {
        let mut csv =
            String::from("customerID,segment,seats,total_charges,support_hours,margin_pct,notes\n");
        for i in 0..200 {
            let seats = if i == 7 { 5000 } else { 1 + i % 9 };
            csv.push_str(&format!(
                "C{i},{},{seats},{}.5,{},{},note number {i}\n",
                ["a", "b", "c"][i % 3],
                100 + i,
                i % 7,
                30 + i % 5
            ));
        }
        let mut input = CsvInput::from_reader(
            "h.csv".into(),
            Box::new(std::io::Cursor::new(csv.into_bytes())),
            b',',
            None,
        )
        .unwrap();
        let (g, _) = guess(&mut input).unwrap();
        assert_eq!(g.id, "customerID");
        assert_eq!(g.categorical, vec!["segment"]);
        assert_eq!(g.numeric, vec!["seats"]);
        assert_eq!(g.log, vec!["seats"]);
        let names: Vec<&str> = g.returns.iter().map(|t| t.name).collect();
        assert_eq!(names, ["gross margin"]);
        assert_eq!(g.returns[0].column, "total_charges");
        assert_eq!(g.returns[0].times.as_deref(), Some("margin_pct"));
        assert_eq!(g.burdens[0].column, "support_hours");
        assert_eq!(g.skipped[0].0, "notes");
        crate::config::Config::parse(&render(&g), "x").unwrap();
    }

    #[test]
    fn every_name_round_trips_whatever_characters_it_holds() {
        let awkward = [
            "annual \"gross\" revenue",
            "path\\to",
            "Umsatz (€)",
            "número",
            "it's",
            "tab\there",
            "line\nbreak",
        ];
        let mut g = Guess::example();
        g.currency_source = Some("Umsatz (€)\nnext".into());
        g.id = "id \"quoted\"".into();
        g.lead_id = Some("lead\\id".into());
        g.categorical = awkward[..4].iter().map(|s| s.to_string()).collect();
        g.numeric = awkward[4..].iter().map(|s| s.to_string()).collect();
        g.log = vec![awkward[5].to_string()];
        g.skipped = vec![("notes\r\n\"x\"".into(), "free text".into())];
        g.returns[0].column = "total \"€\" \\ paid".into();
        g.returns[0].times = Some("margin 'pct'".into());
        let c = crate::config::Config::parse(&render(&g), "x").unwrap();
        assert_eq!(c.id, g.id);
        assert_eq!(c.lead_id, "lead\\id");
        let names: Vec<&str> = c.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, awkward);
        assert_eq!(
            c.features[5].kind,
            crate::config::FeatureKind::Numeric { log: true }
        );
        assert_eq!(
            c.economics.lifetime_return[0].column.as_deref(),
            Some(g.returns[0].column.as_str())
        );
        assert_eq!(c.economics.lifetime_return[0].times, g.returns[0].times);
    }
}
