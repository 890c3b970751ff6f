//! Happy paths of `init`, `train` and `score` on the tiny fixtures in tests/fixtures: what each
//! command writes, where, in which order and with which summary, and that runs are reproducible.
//! The helpers at the top are shared with the `errors` and `formats` tests.

use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::process::{Command, Stdio};

use sha2::Digest;

use crate::util::{csv_rows, repo, Env, Run};

pub(crate) const HISTORY: &str = "history.csv";
pub(crate) const CONFIG: &str = "leadscore.toml";
pub(crate) const LEADS: &str = "leads.csv";

/// The header `score` writes when the lead list's id column is `lead_id`.
pub(crate) const SCORE_HEADER: &str = "lead_id,expected_return,expected_burden,expected_net,net_low,net_high,return_to_burden,tier,recommendation,reasons,warnings";

/// `created_at` of every model trained under `Env::run` (SOURCE_DATE_EPOCH=1790000000).
const CREATED_AT: &str = "2026-09-21T14:13:20Z";

/// The text of a fixture file.
pub(crate) fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo(&format!("tests/fixtures/{name}"))).unwrap()
}

/// A scratch directory holding the fixture history, config and leads.
pub(crate) fn fixture_env() -> Env {
    let env = Env::new();
    for name in [HISTORY, CONFIG, LEADS] {
        env.copy(&format!("tests/fixtures/{name}"), name);
    }
    env
}

/// `fixture_env` with a model trained on the fixture history in `models/`.
pub(crate) fn trained_env() -> Env {
    let env = fixture_env();
    succeeded(&env.run(&["train", "--history", HISTORY]));
    env
}

/// Asserts that a run exited 0, showing what it printed when it did not.
pub(crate) fn succeeded(run: &Run) {
    assert_eq!(
        run.code, 0,
        "stderr: {}\nstdout: {}",
        run.stderr, run.stdout
    );
}

/// The model file in `models/`, parsed.
pub(crate) fn model_json(env: &Env) -> serde_json::Value {
    serde_json::from_str(&env.model("models")).unwrap()
}

/// A CSV the binary wrote: its header and its rows, addressed by column name.
pub(crate) struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn parse(text: &str) -> Table {
        let mut rows = csv_rows(text);
        assert!(!rows.is_empty(), "no header in {text:?}");
        let header = rows.remove(0);
        Table { header, rows }
    }

    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// One column's values, in row order.
    pub fn column(&self, name: &str) -> Vec<&str> {
        let c = self.col(name);
        self.rows.iter().map(|r| r[c].as_str()).collect()
    }

    /// The value of `name` in the row whose first field is `id`.
    pub fn get(&self, id: &str, name: &str) -> &str {
        let c = self.col(name);
        let row = self
            .rows
            .iter()
            .find(|r| r[0] == id)
            .unwrap_or_else(|| panic!("no row {id}"));
        &row[c]
    }

    pub fn ids(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r[0].as_str()).collect()
    }
}

/// Parses a money column as written by `score` (no thousands separators).
pub(crate) fn amount(field: &str) -> f64 {
    field
        .parse()
        .unwrap_or_else(|_| panic!("not an amount: {field:?}"))
}

/// Money (or units) as whole hundredths (cents at two decimals), so sums are exact.
pub(crate) fn cents(text: &str) -> i64 {
    (amount(text) * 100.0).round() as i64
}

/// `1,234.50` (as a page or a report shows money) in hundredths.
pub(crate) fn shown_cents(text: &str) -> i64 {
    cents(&text.replace(',', ""))
}

/// The records of a JSON array (one per line between the brackets) or of JSON Lines.
pub(crate) fn record_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| l.strip_suffix(',').unwrap_or(l))
        .collect()
}

/// A check that a record meets the shipped JSON Schema (`docs/scored-lead.schema.json`),
/// panicking with the record and what it breaks.
pub(crate) fn schema_validator() -> impl Fn(&serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::util::repo("docs/scored-lead.schema.json")).unwrap(),
    )
    .unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("schema.json", schema).unwrap();
    let index = compiler.compile("schema.json", &mut schemas).unwrap();
    move |rec: &serde_json::Value| {
        if let Err(e) = schemas.validate(rec, index) {
            panic!("{rec}\n{e:#}");
        }
    }
}

/// `export LEADS FLAG --profile P` for a flag (`--breakdown`, `--components`) that adds
/// columns a CRM profile has no place for: refused by name (exit 2) before anything is written,
/// whichever way round the flags come.
pub(crate) fn refused_with_a_profile(env: &Env, leads: &str, flag: &str, parts: &str) {
    for args in [
        &[
            "export",
            leads,
            flag,
            "--profile",
            "salesforce",
            "-o",
            "sf.csv",
        ][..],
        &["export", leads, "--profile", "hubspot", flag][..],
    ] {
        let run = env.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let profile = args[args.iter().position(|a| *a == "--profile").unwrap() + 1];
        assert_eq!(
            run.stderr,
            format!(
                "error: {flag} adds columns, but --profile {profile} writes only the columns the profile names; leave out --profile for the {parts}, or {flag} for the CRM import\n"
            )
        );
        assert_eq!(run.stdout, "");
    }
    assert!(!env.exists("sf.csv"), "refused before anything is written");
}

/// `export LEADS FLAG --split-by region --format FORMAT` into a directory: each file but the
/// index, as (name, the region it is named after, its text).
pub(crate) fn split_by_region(
    env: &Env,
    leads: &str,
    flag: &str,
    format: &str,
) -> Vec<(String, String, String)> {
    let dir = format!("by_region_{format}");
    succeeded(&env.run(&[
        "export",
        leads,
        flag,
        "--split-by",
        "region",
        "--format",
        format,
        "-o",
        &dir,
    ]));
    env.files(&dir)
        .into_iter()
        .filter(|name| name != "index.csv")
        .map(|name| {
            let text = env.read(&format!("{dir}/{name}"));
            let value = name
                .strip_suffix(&format!(".{format}"))
                .unwrap()
                .to_string();
            (name, value, text)
        })
        .collect()
}

/// `1234567` → `1,234,567`, as the summaries write whole amounts.
fn grouped(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    if v.round() < 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A reason `feature=value +1,234` split into feature, value and signed whole amount.
fn parse_reason(reason: &str) -> (String, String, i64) {
    let (left, money) = reason
        .rsplit_once(' ')
        .unwrap_or_else(|| panic!("no amount in reason {reason:?}"));
    let (sign, digits) = money.split_at(1);
    assert!(sign == "+" || sign == "-", "unsigned amount in {reason:?}");
    let groups: Vec<&str> = digits.split(',').collect();
    assert!(
        (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3)
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit())),
        "amount not grouped by thousands in {reason:?}"
    );
    let value: i64 = groups.concat().parse().unwrap();
    let (feature, shown) = left
        .split_once('=')
        .unwrap_or_else(|| panic!("no feature=value in reason {reason:?}"));
    let signed = if sign == "-" { -value } else { value };
    (feature.to_string(), shown.to_string(), signed)
}

#[test]
fn init_writes_a_starter_config_that_trains_on_a_history_with_the_sample_columns() {
    let env = Env::new();
    let run = env.run(&["init"]);
    succeeded(&run);
    assert_eq!(
        run.stderr,
        "Wrote leadscore.toml.\nCheck every line marked CHECK, then run `leadscore train --history FILE`.\n"
    );
    assert_eq!(run.stdout, "");
    let config: toml::Table = toml::from_str(&env.read(CONFIG)).unwrap();
    let list = |table: &str, key: &str| -> Vec<String> {
        config[table][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let id = config["columns"]["id"].as_str().unwrap().to_string();
    let lead_id = config["columns"]["lead_id"].as_str().unwrap().to_string();
    let date = config["columns"]["date"].as_str().unwrap().to_string();
    let categorical = list("features", "categorical");
    let mut features = categorical.clone();
    features.extend(list("features", "numeric"));
    let mut outcomes = Vec::new();
    for side in ["return", "burden"] {
        for term in config["economics"][side].as_array().unwrap() {
            outcomes.push(term["column"].as_str().unwrap().to_string());
        }
    }

    // The starter names the shipped sample data's columns (only their headers are relied on).
    let header_of = |rel: &str| -> Vec<String> {
        let text = std::fs::read_to_string(repo(rel)).unwrap();
        let first = text.lines().next().unwrap();
        first.split(',').map(String::from).collect()
    };
    let customers = header_of("data/customers.csv");
    let leads = header_of("data/leads.csv");
    for col in features.iter().chain(&outcomes).chain([&id, &date]) {
        assert!(
            customers.contains(col),
            "{col} is not in data/customers.csv"
        );
    }
    for col in features.iter().chain([&lead_id]) {
        assert!(leads.contains(col), "{col} is not in data/leads.csv");
    }

    // 60 made-up customers with those columns train with the starter as written.
    let mut history = customers.join(",") + "\n";
    for i in 0..60usize {
        let fields: Vec<String> = customers
            .iter()
            .enumerate()
            .map(|(k, col)| {
                if *col == id {
                    format!("C{i:03}")
                } else if *col == date {
                    format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28)
                } else if let Some(f) = categorical.iter().position(|c| c == col) {
                    ["alpha", "beta", "gamma"][(i / (f + 1) + f) % 3].to_string()
                } else {
                    format!("{}.5", 1 + (i * (7 + 2 * k) + 3 * k) % 97)
                }
            })
            .collect();
        history.push_str(&fields.join(","));
        history.push('\n');
    }
    env.write(HISTORY, history);
    let run = env.run(&["train", "--history", HISTORY]);
    succeeded(&run);
    assert!(env.exists("models/v0001/model.json"));
}

#[test]
fn init_force_replaces_an_existing_config() {
    let env = Env::new();
    env.write(CONFIG, "# mine\n");
    let run = env.run(&["init", "--force"]);
    succeeded(&run);
    assert!(env.read(CONFIG).starts_with("# leadscore.toml: "));
}

/// A small export: an id, two categories (one of them a 0/1 flag), a skewed count, a price,
/// free text, and three outcome columns recognisable by their names.
fn accounts_csv() -> String {
    let mut csv = String::from(
        "account_id,segment,is_partner,seats,monthly_fee,notes,lifetime_revenue,support_hours,complaints\n",
    );
    for i in 0..40usize {
        let seats = if i == 7 { 900 } else { 1 + i % 19 };
        csv.push_str(&format!(
            "A{i:03},{},{},{seats},{}.5,\"call {i}, then mail\",{}.25,{}.5,{}\n",
            ["smb", "mid", "enterprise"][i % 3],
            i % 2,
            40 + (i * 7) % 60,
            1000 + 37 * i,
            i % 9,
            i % 4
        ));
    }
    csv
}

#[test]
fn init_from_a_csv_guesses_the_id_categories_numbers_and_outcomes() {
    let env = Env::new();
    env.write("accounts.csv", accounts_csv());
    let run = env.run(&["init", "--from", "accounts.csv", "-o", "guess.toml"]);
    succeeded(&run);
    assert_eq!(
        run.stderr,
        "Wrote guess.toml.\n  from 40 rows: id account_id, 2 categorical and 2 numeric features, 3 outcome columns\nCheck every line marked CHECK, then run `leadscore train --history FILE`.\n"
    );
    let text = env.read("guess.toml");
    for line in [
        "id = \"account_id\"",
        "# lead_id = \"lead_id\"",
        "categorical = [\"segment\", \"is_partner\"]",
        "numeric = [\"seats\", \"monthly_fee\"]",
        "log = [\"seats\"]",
        "# not used: notes (free text: 40 distinct values in 40 rows)",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in\n{text}"
        );
    }
    let config: toml::Table = toml::from_str(&text).unwrap();
    let terms = |side: &str| -> Vec<(String, String, f64)> {
        config["economics"][side]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap().to_string(),
                    t["column"].as_str().unwrap().to_string(),
                    t["rate"].as_float().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        terms("return"),
        [("revenue".into(), "lifetime_revenue".into(), 1.0)]
    );
    assert_eq!(
        terms("burden"),
        [
            ("support".into(), "support_hours".into(), 55.0),
            ("complaints".into(), "complaints".into(), 150.0)
        ]
    );
    // The guess loads and trains on the file it was guessed from.
    succeeded(&env.run(&[
        "train",
        "--history",
        "accounts.csv",
        "--config",
        "guess.toml",
    ]));
}

#[test]
fn init_from_does_not_take_a_column_ending_in_paid_for_the_id() {
    let env = Env::new();
    let mut csv =
        String::from("company,amount_paid,segment,seats,lifetime_revenue,support_hours\n");
    for i in 0..40usize {
        csv.push_str(&format!(
            "Company {i},{}.{:02},{},{},{}.50,{}.5\n",
            100 + 977 * i,
            (13 * i) % 100,
            ["a", "b", "c"][i % 3],
            1 + i % 50,
            1000 + 83 * i,
            i % 90
        ));
    }
    env.write("export.csv", csv);
    succeeded(&env.run(&["init", "--from", "export.csv"]));
    let text = env.read(CONFIG);
    assert!(
        text.lines().any(|l| l == "id = \"company\""),
        "the id should be company:\n{text}"
    );
}

#[test]
fn train_prints_the_report_with_its_stable_lines_and_row_labels() {
    let env = fixture_env();
    let run = env.run(&["train", "--history", HISTORY]);
    succeeded(&run);
    assert_eq!(run.stderr, "");
    let model = model_json(&env);
    let sha = sha256_hex(fixture(HISTORY).as_bytes());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "Trained on 60 of 60 customers in history.csv (sha256 {}).",
            &sha[..12]
        )
    );
    assert_eq!(
        lines[1..4],
        [
            "",
            "Cross-validated on 3 folds (seed 42), money in EUR:",
            ""
        ]
    );
    assert_eq!(
        lines[4],
        "target            penalty        R² (± sd)          MAE         RMSE   mean R²     mean MAE    mean RMSE"
    );
    for (line, label) in
        lines[5..8]
            .iter()
            .zip(["lifetime return ", "service burden ", "net value "])
    {
        assert!(line.starts_with(label), "{line:?} is not the {label:?} row");
        assert!(line.contains(" ± "), "{line:?} has no R² ± sd");
    }
    assert_eq!(
        lines[8..10],
        [
            "",
            "Penalty search (cross-validated RMSE in EUR of the linear fits; * = chosen):"
        ]
    );
    // One line per penalty tried ("auto"), one of them chosen per target.
    let search = &lines[10..22];
    for line in search {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.len(), 5, "{line:?}");
        assert_eq!((words[1], words[3]), ("return", "burden"), "{line:?}");
    }
    assert_eq!(
        search.iter().map(|l| l.matches('*').count()).sum::<usize>(),
        2
    );
    let d = &model["decisions"];
    let at = |key: &str| grouped(d[key].as_f64().unwrap());
    assert_eq!(
        lines[22..],
        [
            "".to_string(),
            "Scale, by cross-validated error in EUR: lifetime return linear, chosen (cross-validated RMSE 803, against 1,620 on ln(1 + y) and 1,411 with a log link); service burden linear, chosen (cross-validated RMSE 180, against 244 on ln(1 + y) and 234 with a log link).".into(),
            "".into(),
            "Redundant columns: none.".into(),
            "warning: 60 customers is few for 7 model columns (about 7 per column; 10 or more is safer): the effects are uncertain, so check the cross-validated errors above and prefer fewer features.".into(),
            "".into(),
            format!(
                "Decisions on expected net value (EUR): tier A >= {}, B >= {}, C >= {}, D below; contact >= {}, skip < {}, qualify in between.",
                at("tier_a"),
                at("tier_b"),
                at("tier_c"),
                at("contact_at"),
                at("skip_below")
            ),
            interval_line(&model, lines[lines.len() - 2]),
            "Model saved as v0001 (models/v0001/model.json) and made current.".into(),
        ]
    );
}

/// The report's interval line, rebuilt from the model file's interval at the account sizes the
/// line quotes (the median and 90th percentile of the customers' predicted sizes).
fn interval_line(model: &serde_json::Value, line: &str) -> String {
    let i = &model["interval"];
    let f = |k: &str| i[k].as_f64().unwrap();
    let size_after = |marker: &str| -> f64 {
        let rest = &line[line.find(marker).unwrap() + marker.len()..];
        rest[..rest.find(',').unwrap_or(rest.len())]
            .chars()
            .chain(
                rest[rest.find(',').unwrap()..]
                    .chars()
                    .take_while(|c| *c != ' '),
            )
            .filter(|c| c.is_ascii_digit())
            .collect::<String>()
            .parse()
            .unwrap()
    };
    let (typical, large) = (
        size_after("typical account (EUR "),
        size_after("large one (EUR "),
    );
    assert!(0.0 < typical && typical <= large, "{line}");
    let at = |size: f64, side: &str| {
        leadscore::economics::signed_whole(f(side) * (f("scale_base") + f("scale_slope") * size))
    };
    format!(
        "Each lead gets a net-value interval meant to hold 80% of outcomes, from the cross-validated errors; it widens with the account's size (expected return plus expected burden): {} to {} around the prediction for a typical account (EUR {}, the median past customer), {} to {} for a large one (EUR {}, the 90th percentile).",
        at(typical, "lower"),
        at(typical, "upper"),
        leadscore::economics::money(typical, 0),
        at(large, "lower"),
        at(large, "upper"),
        leadscore::economics::money(large, 0),
    )
}

#[test]
fn train_lists_the_customers_left_out_for_a_blank_outcome() {
    let env = fixture_env();
    let mut history = fixture(HISTORY);
    history.push_str("C061,Late Ltd,retail,north,Nowak,12,800.00,,30.0\n");
    env.write(HISTORY, history);
    let run = env.run(&["train", "--history", HISTORY]);
    succeeded(&run);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("Trained on 60 of 61 customers in history.csv (sha256 "),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "Left out 1 customer with a blank outcome: C061 (line 62, lifetime_revenue)."
    );
    let model = model_json(&env);
    assert_eq!(model["training"]["rows"], 61);
    assert_eq!(model["training"]["rows_used"], 60);
}

#[test]
fn train_writes_a_self_describing_model_file_and_nothing_else() {
    let env = trained_env();
    let model = model_json(&env);
    let keys: BTreeSet<&str> = model
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let documented: BTreeSet<&str> = [
        "checksum",
        "format",
        "format_version",
        "tool_version",
        "created_at",
        "currency",
        "id_column",
        "lead_id_column",
        "interval",
        "training",
        "schema",
        "columns",
        "lifetime_return",
        "service_burden",
        "economics",
        "decisions",
        "missing_values",
        "validation",
        "config",
        "components",
    ]
    .into();
    assert_eq!(keys, documented);
    assert_eq!(model["format"], "leadscore-model");
    assert_eq!(model["format_version"], 5);
    assert_eq!(model["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(model["created_at"], CREATED_AT);
    assert_eq!(model["currency"], "EUR");
    assert_eq!(model["id_column"], "customer_id");
    assert_eq!(model["lead_id_column"], "lead_id");
    assert_eq!(model["training"]["file"], "history.csv");
    assert_eq!(model["training"]["rows"], 60);
    assert_eq!(model["training"]["rows_used"], 60);
    assert_eq!(
        model["training"]["sha256"],
        sha256_hex(fixture(HISTORY).as_bytes())
    );
    let features: Vec<&str> = model["schema"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        features,
        [
            "industry",
            "region",
            "account_manager",
            "employees",
            "first_order_value"
        ]
    );
    // One coefficient per model column, for both targets.
    let n = model["columns"].as_array().unwrap().len();
    assert_eq!(n, model["schema"]["columns"].as_array().unwrap().len());
    for target in ["lifetime_return", "service_burden"] {
        assert_eq!(model[target]["coefficients"].as_array().unwrap().len(), n);
    }
    for key in ["contact_at", "skip_below", "tier_a", "tier_b", "tier_c"] {
        assert!(model["decisions"][key].is_f64(), "decisions.{key}");
    }
    assert_eq!(model["validation"]["folds"], 3);
    // The model is version 1 of the registry, made current; no temporary file or staging
    // directory is left behind.
    assert_eq!(env.files("models"), [".lock", "current.json", "v0001"]);
    assert_eq!(
        env.files("models/v0001"),
        ["history.csv", "model.json", "report.json", "version.json"]
    );
    // The version keeps the exact history it was trained on.
    assert_eq!(env.read("models/v0001/history.csv"), env.read(HISTORY));
}

#[test]
fn training_twice_on_the_same_data_writes_a_byte_identical_model() {
    let env = fixture_env();
    succeeded(&env.run(&["train", "--history", HISTORY, "--models", "a"]));
    succeeded(&env.run(&["train", "--history", HISTORY, "--models", "b"]));
    assert_eq!(env.model("a"), env.model("b"));
}

#[test]
fn score_writes_the_documented_header_sorted_by_expected_net_descending() {
    let env = trained_env();
    let run = env.run(&["score", LEADS, "-o", "scores.csv"]);
    succeeded(&run);
    assert_eq!(run.stdout, "");
    let text = env.read("scores.csv");
    assert_eq!(text.lines().next().unwrap(), SCORE_HEADER);
    let scores = Table::parse(&text);
    assert_eq!(scores.rows.len(), 10);
    let nets: Vec<f64> = scores
        .column("expected_net")
        .into_iter()
        .map(amount)
        .collect();
    assert!(
        nets.windows(2).all(|w| w[0] >= w[1]),
        "not sorted by expected_net: {nets:?}"
    );
    // The fixture leads are not in that order to begin with.
    assert_ne!(scores.ids(), Table::parse(&fixture(LEADS)).ids());
}

#[test]
fn keep_order_keeps_the_input_order_with_the_same_rows() {
    let env = trained_env();
    succeeded(&env.run(&["score", LEADS, "-o", "sorted.csv"]));
    succeeded(&env.run(&["score", LEADS, "-o", "kept.csv", "--keep-order"]));
    let kept = Table::parse(&env.read("kept.csv"));
    let sorted = Table::parse(&env.read("sorted.csv"));
    assert_eq!(kept.header, sorted.header);
    assert_eq!(kept.ids(), Table::parse(&fixture(LEADS)).ids());
    let mut a = kept.rows.clone();
    let mut b = sorted.rows.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn with_input_appends_the_leads_other_columns() {
    let env = trained_env();
    succeeded(&env.run(&[
        "score",
        LEADS,
        "-o",
        "scores.csv",
        "--with-input",
        "--keep-order",
    ]));
    let scores = Table::parse(&env.read("scores.csv"));
    let leads = Table::parse(&fixture(LEADS));
    let mut header: Vec<String> = SCORE_HEADER.split(',').map(String::from).collect();
    header.extend(leads.header[1..].iter().cloned());
    assert_eq!(scores.header, header);
    for (out, lead) in scores.rows.iter().zip(&leads.rows) {
        assert_eq!(out[0], lead[0]);
        assert_eq!(out[11..], lead[1..]);
    }
    // Quoting survives the round trip.
    assert_eq!(scores.get("L02", "company"), "Keller, Becker & Co");
    assert_eq!(scores.get("L04", "company"), "\"Baltic\" Handel Ltd");
}

#[test]
fn without_o_the_scores_go_to_standard_output() {
    let env = trained_env();
    let to_file = env.run(&["score", LEADS, "-o", "scores.csv"]);
    let to_stdout = env.run(&["score", LEADS]);
    succeeded(&to_stdout);
    assert_eq!(to_stdout.stdout, env.read("scores.csv"));
    assert_eq!(to_stdout.stderr, to_file.stderr);
    assert_eq!(
        env.files("."),
        [
            "history.csv",
            "leads.csv",
            "leadscore.toml",
            "models",
            "scores.csv"
        ]
    );
}

#[test]
fn reasons_name_at_most_three_features_with_their_value_and_signed_money() {
    let env = trained_env();
    succeeded(&env.run(&["score", LEADS, "-o", "scores.csv"]));
    let scores = Table::parse(&env.read("scores.csv"));
    let leads = Table::parse(&fixture(LEADS));
    let features = [
        "industry",
        "region",
        "account_manager",
        "employees",
        "first_order_value",
    ];
    for (id, reasons) in scores.ids().into_iter().zip(scores.column("reasons")) {
        let parts: Vec<(String, String, i64)> = reasons.split("; ").map(parse_reason).collect();
        assert!((1..=3).contains(&parts.len()), "{id}: {reasons}");
        for (feature, shown, _) in &parts {
            assert!(features.contains(&feature.as_str()), "{id}: {reasons}");
            // The lead's own value, then " (as ...)" where the model used another.
            let own = shown.split(" (as ").next().unwrap();
            let raw = leads.get(id, feature);
            match raw.parse::<f64>() {
                Ok(v) => assert_eq!(
                    own.replace(',', "").parse::<f64>().unwrap(),
                    v,
                    "{id}: {reasons}"
                ),
                Err(_) if raw.is_empty() => assert_eq!(own, "(missing)", "{id}: {reasons}"),
                Err(_) => assert_eq!(own, raw, "{id}: {reasons}"),
            }
            if raw.is_empty() {
                assert!(
                    shown.contains(" (as "),
                    "{id}: a blank is scored as something: {reasons}"
                );
            }
        }
        let sizes: Vec<i64> = parts.iter().map(|p| p.2.abs()).collect();
        assert!(
            sizes.windows(2).all(|w| w[0] >= w[1]),
            "{id}: biggest first: {reasons}"
        );
    }
    // A software lead gains from its industry, the fixture's best.
    assert!(scores
        .get("L09", "reasons")
        .split("; ")
        .map(parse_reason)
        .any(|(f, v, m)| f == "industry" && v == "software" && m > 0));
}

#[test]
fn warnings_flag_an_imputed_number_an_unseen_or_missing_category_and_an_out_of_range_value() {
    let env = trained_env();
    let mut leads = fixture(LEADS);
    leads.push_str("L11,Nowhere Retail Oy,retail,,Nowak,12,800.00\n");
    env.write(LEADS, leads);
    succeeded(&env.run(&["score", LEADS, "-o", "scores.csv", "--keep-order"]));
    let scores = Table::parse(&env.read("scores.csv"));
    let warnings: HashMap<&str, &str> = scores
        .ids()
        .into_iter()
        .zip(scores.column("warnings"))
        .collect();
    let expected: HashMap<&str, &str> = [
        ("L01", "first_order_value 400 below the training range"),
        ("L02", ""),
        ("L03", "employees missing, imputed training median 20"),
        ("L04", ""),
        (
            "L05",
            "industry \"mining\" not seen in training, scored as the average",
        ),
        ("L06", ""),
        ("L07", "employees 50,000 above the training range"),
        ("L08", "first_order_value 350 below the training range"),
        ("L09", ""),
        ("L10", ""),
        (
            "L11",
            "region missing (never missing in training), scored as the average",
        ),
    ]
    .into();
    assert_eq!(warnings, expected);
}

#[test]
fn tiers_and_recommendations_follow_the_thresholds_in_the_model_file() {
    let env = trained_env();
    succeeded(&env.run(&["score", LEADS, "-o", "scores.csv"]));
    let scores = Table::parse(&env.read("scores.csv"));
    let d = &model_json(&env)["decisions"];
    let t = |key: &str| d[key].as_f64().unwrap();
    let (tier_a, tier_b, tier_c) = (t("tier_a"), t("tier_b"), t("tier_c"));
    let (contact_at, skip_below) = (t("contact_at"), t("skip_below"));
    for row in &scores.rows {
        let get = |name: &str| row[scores.col(name)].as_str();
        let ret = amount(get("expected_return"));
        let burden = amount(get("expected_burden"));
        let net = amount(get("expected_net"));
        assert!((ret - burden - net).abs() <= 0.011, "{row:?}");
        assert!(burden >= 0.0, "{row:?}");
        if burden > 0.0 {
            assert!(
                (amount(get("return_to_burden")) - ret / burden).abs() < 0.01,
                "{row:?}"
            );
        }
        // The printed net is rounded to cents; only judge leads clear of every threshold.
        let thresholds = [tier_a, tier_b, tier_c, contact_at, skip_below];
        if thresholds.iter().any(|x| (net - x).abs() < 0.01) {
            continue;
        }
        let tier = if net >= tier_a {
            "A"
        } else if net >= tier_b {
            "B"
        } else if net >= tier_c {
            "C"
        } else {
            "D"
        };
        let rec = if net >= contact_at {
            "contact"
        } else if net < skip_below {
            "skip"
        } else {
            "qualify"
        };
        assert_eq!((get("tier"), get("recommendation")), (tier, rec), "{row:?}");
    }
    let tiers: BTreeSet<&str> = scores.column("tier").into_iter().collect();
    assert!(tiers.is_subset(&["A", "B", "C", "D"].into()), "{tiers:?}");
    let recs: BTreeSet<&str> = scores.column("recommendation").into_iter().collect();
    assert!(
        recs.is_subset(&["contact", "qualify", "skip"].into()),
        "{recs:?}"
    );
    // The fixture spans more than one tier and more than one recommendation.
    assert!(tiers.len() > 1 && recs.len() > 1);
}

#[test]
fn score_summarises_tiers_recommendations_contact_value_and_warnings_on_stderr() {
    let env = trained_env();
    let run = env.run(&["score", LEADS, "-o", "scores.csv"]);
    succeeded(&run);
    let scores = Table::parse(&env.read("scores.csv"));
    let count =
        |name: &str, value: &str| scores.column(name).iter().filter(|v| **v == value).count();
    let contact_net: f64 = scores
        .rows
        .iter()
        .filter(|r| r[scores.col("recommendation")] == "contact")
        .map(|r| amount(&r[scores.col("expected_net")]))
        .sum();
    let warned = scores
        .column("warnings")
        .iter()
        .filter(|w| !w.is_empty())
        .count();
    let tiers = ["A", "B", "C", "D"].map(|t| format!("{t}: {}", count("tier", t)));
    let recs =
        ["contact", "qualify", "skip"].map(|r| format!("{r}: {}", count("recommendation", r)));
    let expected = [
        format!("Scored 10 leads with model v0001 (models/v0001/model.json), trained {CREATED_AT} on 60 customers (EUR)."),
        format!("  tiers            {}", tiers.join("   ")),
        format!("  recommendations  {}", recs.join("   ")),
        format!(
            "Expected net value of the {} leads to contact: EUR {}.",
            count("recommendation", "contact"),
            grouped(contact_net)
        ),
        format!("{warned} leads carry warnings (a value missing, unseen in training or outside its range): see the warnings column."),
    ]
    .map(|line| line + "\n")
    .concat();
    assert_eq!(run.stderr, expected);
}

#[test]
fn decimals_sets_the_decimals_of_the_money_columns() {
    let env = trained_env();
    succeeded(&env.run(&["score", LEADS, "-o", "scores.csv", "--decimals", "0"]));
    let scores = Table::parse(&env.read("scores.csv"));
    for name in ["expected_return", "expected_burden", "expected_net"] {
        for v in scores.column(name) {
            assert!(
                !v.contains('.') && v.parse::<i64>().is_ok(),
                "{name} = {v:?}"
            );
        }
    }
}

#[test]
fn id_flag_scores_a_list_whose_id_column_has_another_name() {
    let env = trained_env();
    env.write("crm.csv", fixture(LEADS).replacen("lead_id", "crm_ref", 1));
    succeeded(&env.run(&["score", "crm.csv", "-o", "scores.csv", "--id", "crm_ref"]));
    succeeded(&env.run(&["score", LEADS, "-o", "plain.csv"]));
    let scores = env.read("scores.csv");
    assert!(scores.starts_with("crm_ref,expected_return,"));
    assert_eq!(
        scores.replacen("crm_ref", "lead_id", 1),
        env.read("plain.csv")
    );
}

#[test]
fn scoring_the_same_leads_twice_gives_byte_identical_output() {
    let env = trained_env();
    for name in ["a.csv", "b.csv"] {
        succeeded(&env.run(&["score", LEADS, "-o", name, "--with-input"]));
    }
    assert_eq!(
        std::fs::read(env.path("a.csv")).unwrap(),
        std::fs::read(env.path("b.csv")).unwrap()
    );
    let first = env.run(&["score", LEADS]);
    let second = env.run(&["score", LEADS]);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.stderr, second.stderr);
}

#[test]
fn output_and_model_files_are_readable_like_any_other_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let env = trained_env();
    succeeded(&env.run(&["score", LEADS, "-o", "scores.csv"]));
    succeeded(&env.run(&["init", "-o", "starter.toml"]));
    env.write("plain.txt", "x");
    let mode = |rel: &str| {
        std::fs::metadata(env.path(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o444
    };
    for rel in [
        "scores.csv",
        "models/v0001/model.json",
        "models/v0001/version.json",
        "models/current.json",
        "starter.toml",
    ] {
        assert_eq!(mode(rel), mode("plain.txt"), "{rel}");
    }
}

/// Spawns `score` with stdout on a pipe, reads one line and closes the pipe.
fn score_and_close_after_one_line(env: &Env, extra: &[&str]) -> (String, std::process::Output) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(["score", "many.csv"])
        .args(extra)
        .current_dir(env.path("."))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut first).unwrap();
    } // The reader is dropped here: the pipe is closed with most of the output unread.
    (first, child.wait_with_output().unwrap())
}

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_run_quietly() {
    let env = trained_env();
    // Far more than a pipe buffer holds, so the binary is still writing when the pipe closes.
    let mut many = String::from(
        "lead_id,company,industry,region,account_manager,employees,first_order_value\n",
    );
    for i in 0..4000 {
        many.push_str(&format!(
            "M{i:05},Company {i},{},north,Nowak,{},1500.00\n",
            ["retail", "software", "healthcare"][i % 3],
            1 + i % 300
        ));
    }
    env.write("many.csv", many);
    for extra in [&[][..], &["--keep-order"][..]] {
        let (first, out) = score_and_close_after_one_line(&env, extra);
        assert_eq!(first.trim_end(), SCORE_HEADER);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {stderr}");
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "{extra:?}: {stderr}"
        );
    }
}

#[test]
fn with_input_prefixes_lead_columns_that_clash_with_score_columns() {
    let env = trained_env();
    let leads = fixture(LEADS).replacen("region", "tier", 1);
    env.write("clash.csv", leads);
    // The model needs a region column, so give it one back under its own name.
    let text = env.read("clash.csv");
    let mut lines = text.lines();
    let header = format!("{},region", lines.next().unwrap());
    let mut out = vec![header];
    out.extend(lines.map(|l| format!("{l},south")));
    env.write("clash.csv", out.join("\n") + "\n");
    let run = env.run(&["score", "clash.csv", "--with-input", "-o", "scores.csv"]);
    succeeded(&run);
    let header = env.read("scores.csv").lines().next().unwrap().to_string();
    let names: Vec<&str> = header.split(',').collect();
    assert!(
        names.contains(&"tier") && names.contains(&"input_tier"),
        "{header}"
    );
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a header name repeats: {header}");
}

#[test]
fn scoring_with_a_weak_model_reminds_the_user_every_time() {
    let env = Env::new();
    // Revenue is noise: nothing in the features predicts it.
    let mut history = String::from("id,segment,revenue\n");
    for i in 0..60u64 {
        let noise = (i * 7919 % 101) as f64 * 37.0;
        history.push_str(&format!(
            "C{i},{},{noise}\n",
            ["a", "b", "c"][(i % 3) as usize]
        ));
    }
    env.write("h.csv", history);
    env.write(
        "c.toml",
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n[features]\ncategorical = [\"segment\"]\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"revenue\"\nrate = 1\n",
    );
    succeeded(&env.run(&["train", "--history", "h.csv", "--config", "c.toml"]));
    env.write("l.csv", "id,segment\nL1,a\nL2,b\n");
    let run = env.run(&["score", "l.csv", "-o", "s.csv"]);
    succeeded(&run);
    assert!(
        run.stderr
            .contains("warning: this model predicts net value poorly (cross-validated R² "),
        "{}",
        run.stderr
    );
}
