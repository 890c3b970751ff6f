//! Bad input, one test each: the exact `error: ...` line on stderr (file, line, column and value
//! where there is one), exit code 2, and no output, rejects or model file left behind.

use crate::commands::{
    fixture, fixture_env, succeeded, trained_env, Table, CONFIG, HISTORY, LEADS,
};
use crate::util::Env;

const LEADS_HEADER: &str =
    "lead_id,company,industry,region,account_manager,employees,first_order_value";

/// Every file under the scratch directory and under `models/`, to prove nothing was added.
fn listing(env: &Env) -> Vec<String> {
    let mut all = env.files(".");
    if env.exists("models") {
        all.extend(
            env.files("models")
                .into_iter()
                .map(|f| format!("models/{f}")),
        );
    }
    all
}

/// Runs `args` expecting exit code 2, exactly `stderr`, nothing on stdout and no new file.
pub(crate) fn fails(env: &Env, args: &[&str], stderr: &str) {
    let before = listing(env);
    let run = env.run(args);
    assert_eq!(run.stderr, stderr, "args: {args:?}");
    assert_eq!(run.code, 2, "args: {args:?}");
    assert_eq!(run.stdout, "", "args: {args:?}");
    assert_eq!(listing(env), before, "a failed run left a file behind");
}

/// `text` with its one occurrence of `from` replaced by `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} is not in the text once"
    );
    text.replacen(from, to, 1)
}

/// Trains on `history` (written over the fixture history) and expects `stderr`.
fn train_fails(history: &str, stderr: &str) {
    let env = fixture_env();
    env.write(HISTORY, history);
    fails(&env, &["train", "--history", HISTORY], stderr);
}

/// Scores `leads` (as leads.csv) with the fixture model into scores.csv and expects `stderr`.
fn score_fails(leads: &str, stderr: &str) {
    let env = trained_env();
    env.write(LEADS, leads);
    fails(&env, &["score", LEADS, "-o", "scores.csv"], stderr);
}

/// Trains with `config` (written over the fixture config) and expects `stderr`.
fn config_fails(config: &str, stderr: &str) {
    let env = fixture_env();
    env.write(CONFIG, config);
    fails(&env, &["train", "--history", HISTORY], stderr);
}

// Columns.

#[test]
fn misspelt_feature_in_the_history_suggests_the_closest_column() {
    let history = edit(&fixture(HISTORY), "first_order_value", "first_order_valeu");
    train_fails(
        &history,
        "error: history.csv: no column \"first_order_value\" (a feature in the config); did you mean \"first_order_valeu\"?\n",
    );
}

#[test]
fn missing_feature_in_the_history_lists_the_header() {
    // Drop the employees column (the fixture history has no quoted fields).
    let history: String = fixture(HISTORY)
        .lines()
        .map(|l| {
            let mut fields: Vec<&str> = l.split(',').collect();
            fields.remove(5);
            fields.join(",") + "\n"
        })
        .collect();
    train_fails(
        &history,
        "error: history.csv: no column \"employees\" (a feature in the config); the header has: customer_id, company, industry, region, account_manager, first_order_value, lifetime_revenue, support_hours\n",
    );
}

#[test]
fn misspelt_id_column_in_the_history_suggests_the_closest_column() {
    let history = edit(&fixture(HISTORY), "customer_id", "customerid");
    train_fails(
        &history,
        "error: history.csv: no column \"customer_id\" (the id column, columns.id in the config); did you mean \"customerid\"?\n",
    );
}

#[test]
fn misspelt_outcome_column_in_the_history_suggests_the_closest_column() {
    let history = edit(&fixture(HISTORY), "lifetime_revenue", "lifetime_revnue");
    train_fails(
        &history,
        "error: history.csv: no column \"lifetime_revenue\" (an outcome in [economics]); did you mean \"lifetime_revnue\"?\n",
    );
}

#[test]
fn lead_list_without_a_feature_of_the_model_suggests_the_closest_column() {
    let leads = edit(&fixture(LEADS), "account_manager", "account_manger");
    score_fails(
        &leads,
        "error: leads.csv: no column \"account_manager\" (a feature the model uses); did you mean \"account_manger\"?; add the column to the lead list, or remove account_manager from [features] and retrain\n",
    );
}

#[test]
fn lead_list_without_several_features_names_them_all_at_once() {
    let leads = edit(&fixture(LEADS), "account_manager", "account_manger");
    let leads = edit(&leads, ",employees,", ",staff,");
    let leads = edit(&leads, ",region,", ",area,");
    score_fails(
        &leads,
        "error: leads.csv: no column \"region\" (a feature the model uses); the header has: lead_id, company, industry, area, account_manger, staff, first_order_value; also missing: account_manager, employees; add the columns to the lead list, or remove region, account_manager, employees from [features] and retrain\n",
    );
}

#[test]
fn lead_list_from_another_source_names_the_missing_id_and_lists_its_header() {
    score_fails(
        "name,email,phone\nAnna,anna@example.com,123\n",
        "error: leads.csv: no column \"lead_id\" (the lead id; pass --id COLUMN to use another); the header has: name, email, phone\n",
    );
}

#[test]
fn lead_list_without_its_id_column_points_to_the_id_flag() {
    let leads = edit(&fixture(LEADS), "lead_id,", "ref,");
    score_fails(
        &leads,
        "error: leads.csv: no column \"lead_id\" (the lead id; pass --id COLUMN to use another); the header has: ref, company, industry, region, account_manager, employees, first_order_value\n",
    );
}

/// A comma-separated list read with `--delimiter ';'` has one column, the whole header line:
/// the message says which separator that line holds, and where to set it.
#[test]
fn a_header_read_as_one_column_points_to_the_separator_it_holds() {
    let env = trained_env();
    let header = fixture(LEADS).lines().next().unwrap().to_string();
    let commas = header.matches(',').count();
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv", "--delimiter", ";"],
        &format!(
            "error: leads.csv: no column \"lead_id\" (the lead id; pass --id COLUMN to use another); the header has: {header}; the header reads as one column with {commas} commas in it: is the file separated by them? (--delimiter sets the separator; left out, it is sniffed from the header)\n"
        ),
    );
}

#[test]
fn id_flag_naming_a_missing_column_suggests_the_closest_column() {
    let env = trained_env();
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv", "--id", "lead-id"],
        "error: leads.csv: no column \"lead-id\" (given with --id); did you mean \"lead_id\"?\n",
    );
}

#[test]
fn a_column_named_twice_in_the_header_is_rejected() {
    let leads = edit(&fixture(LEADS), "first_order_value\n", "region\n");
    score_fails(
        &leads,
        "error: leads.csv:1: column \"region\" appears twice in the header (columns 4 and 7)\n",
    );
}

// Values.

#[test]
fn non_number_in_a_lead_feature_names_the_physical_line_after_a_multi_line_field() {
    let leads = edit(
        &fixture(LEADS),
        "L01,Alder Retail GmbH,",
        "L01,\"Alder\nRetail GmbH\",",
    );
    let leads = edit(&leads, "Müller,250,", "Müller,12x,");
    // L02 is on physical line 4: the header, then L01 over lines 2 and 3.
    score_fails(
        &leads,
        "error: leads.csv:4: column \"employees\": expected a number, got \"12x\"\n",
    );
}

#[test]
fn non_number_in_a_history_feature_names_the_physical_line_after_a_multi_line_field() {
    let history = edit(
        &fixture(HISTORY),
        "C002,Birch Software Ltd,",
        "C002,\"Birch\nSoftware Ltd\",",
    );
    let history = edit(&history, "Müller,24,4186.20", "Müller,12x,4186.20");
    train_fails(
        &history,
        "error: history.csv:6: column \"employees\": expected a number, got \"12x\"\n",
    );
}

#[test]
fn non_number_in_an_outcome_column_names_its_line_and_column() {
    let history = edit(&fixture(HISTORY), "4186.20,20719.11,", "4186.20,unknown,");
    train_fails(
        &history,
        "error: history.csv:5: column \"lifetime_revenue\": expected a number, got \"unknown\"\n",
    );
}

#[test]
fn negative_outcome_is_rejected_with_its_line_and_column() {
    let history = edit(&fixture(HISTORY), "20719.11,39.1\n", "20719.11,-3.5\n");
    train_fails(
        &history,
        "error: history.csv:5: column \"support_hours\": expected an amount >= 0 (money, hours and counts cannot be negative), got \"-3.5\"\n",
    );
}

#[test]
fn negative_outcome_is_accepted_when_its_term_allows_it() {
    let env = fixture_env();
    env.write(
        HISTORY,
        edit(&fixture(HISTORY), "20719.11,39.1\n", "20719.11,-3.5\n"),
    );
    env.write(
        CONFIG,
        edit(
            &fixture(CONFIG),
            "rate = 50\n",
            "rate = 50\nallow_negative = true\n",
        ),
    );
    succeeded(&env.run(&["train", "--history", HISTORY]));
}

#[test]
fn log_feature_at_or_below_minus_one_in_the_leads_is_rejected() {
    let leads = edit(&fixture(LEADS), "Schmidt,30,", "Schmidt,-1,");
    score_fails(
        &leads,
        "error: leads.csv:5: column \"employees\": expected a number above -1 (this feature is log-transformed), got \"-1\"\n",
    );
}

#[test]
fn log_feature_at_or_below_minus_one_in_the_history_is_rejected() {
    let history = edit(
        &fixture(HISTORY),
        "Müller,24,4186.20",
        "Müller,-7.5,4186.20",
    );
    train_fails(
        &history,
        "error: history.csv:5: column \"employees\": expected a number above -1 (this feature is log-transformed), got \"-7.5\"\n",
    );
}

#[test]
fn blank_id_in_the_history_is_rejected() {
    let history = edit(&fixture(HISTORY), "C004,", ",");
    train_fails(
        &history,
        "error: history.csv:5: column \"customer_id\": the id is blank\n",
    );
}

#[test]
fn duplicate_id_in_the_history_names_both_lines() {
    let history = edit(&fixture(HISTORY), "C007,", "C003,");
    train_fails(
        &history,
        "error: history.csv:8: column \"customer_id\": duplicate id \"C003\" (first seen on line 4)\n",
    );
}

/// A history of 5,000 rows (three batches of the reading pipeline): row `r` (line `r + 1`)
/// has id `C{r}`, and `edits` replaces rows' ids (when given) and employee counts.
fn long_history(edits: &[(usize, Option<&str>, &str)]) -> String {
    let mut text =
        "customer_id,company,industry,region,account_manager,employees,first_order_value,lifetime_revenue,support_hours\n"
            .to_string();
    for r in 1..=5000 {
        let (mut id, mut employees) = (format!("C{r}"), format!("{}", 5 + r % 40));
        for &(row, new_id, new_employees) in edits {
            if row == r {
                id = new_id.map_or(id, str::to_string);
                employees = new_employees.to_string();
            }
        }
        text.push_str(&format!(
            "{id},Firm {r},retail,north,Müller,{employees},{}.50,{},12.5\n",
            1000 + r,
            20_000 + 7 * r
        ));
    }
    text
}

#[test]
fn the_first_problem_in_file_order_is_reported_across_batches() {
    // The duplicate check runs in file order on another thread than the rows' own checks; the
    // one reported is still the first in the file, whichever it is.
    let dup = |row| (row, Some("C17"), "12");
    let bad = |row| (row, None, "12x");
    let bad_number = |line| {
        format!("error: history.csv:{line}: column \"employees\": expected a number, got \"12x\"\n")
    };
    let duplicate = |line| {
        format!("error: history.csv:{line}: column \"customer_id\": duplicate id \"C17\" (first seen on line 18)\n")
    };
    // A duplicate two batches after its first sighting, before a bad number in its batch.
    train_fails(&long_history(&[dup(4100), bad(4200)]), &duplicate(4101));
    // The bad number first (in the same batch, then in an earlier one).
    train_fails(&long_history(&[bad(4050), dup(4100)]), &bad_number(4051));
    train_fails(&long_history(&[bad(3000), dup(4100)]), &bad_number(3001));
    // Both on one row: the id is checked first, as it always was.
    train_fails(
        &long_history(&[(4100, Some("C17"), "12x")]),
        &duplicate(4101),
    );
    // A blank id, then a duplicate.
    train_fails(
        &long_history(&[(2500, Some(""), "12"), dup(4100)]),
        "error: history.csv:2501: column \"customer_id\": the id is blank\n",
    );
}

#[test]
fn duplicate_id_in_the_leads_names_both_lines() {
    let leads = edit(&fixture(LEADS), "L04,", "L02,");
    score_fails(
        &leads,
        "error: leads.csv:5: column \"lead_id\": duplicate id \"L02\" (first seen on line 3)\n",
    );
}

#[test]
fn lead_row_with_too_many_fields_names_its_line() {
    let leads = edit(&fixture(LEADS), "Schmidt,30,", "Schmidt,30,7,");
    score_fails(
        &leads,
        "error: leads.csv:5: expected 7 fields as in the header, found 8\n",
    );
}

#[test]
fn history_row_with_too_few_fields_names_its_line() {
    let history = edit(&fixture(HISTORY), "C006,Fir Care SA,", "C006,");
    train_fails(
        &history,
        "error: history.csv:7: expected 9 fields as in the header, found 8\n",
    );
}

// Whole files.

#[test]
fn empty_history_is_rejected() {
    train_fails(
        "",
        "error: history.csv: the file is empty (expected a header line and at least one row)\n",
    );
}

#[test]
fn empty_lead_list_is_rejected() {
    score_fails(
        "",
        "error: leads.csv: the file is empty (expected a header line and at least one row)\n",
    );
}

#[test]
fn header_only_history_is_rejected() {
    let header = fixture(HISTORY).lines().next().unwrap().to_string() + "\n";
    train_fails(&header, "error: history.csv: has a header but no rows\n");
}

#[test]
fn header_only_lead_list_is_rejected_and_leaves_no_rejects_file() {
    let env = trained_env();
    env.write(LEADS, format!("{LEADS_HEADER}\n"));
    fails(
        &env,
        &[
            "score",
            LEADS,
            "-o",
            "scores.csv",
            "--skip-invalid",
            "rejected.csv",
        ],
        "error: leads.csv: has a header but no rows\n",
    );
}

#[test]
fn missing_history_file_is_an_input_error() {
    let env = fixture_env();
    fails(
        &env,
        &["train", "--history", "nope.csv"],
        "error: cannot read nope.csv: No such file or directory (os error 2)\n",
    );
}

#[test]
fn missing_lead_list_is_an_input_error() {
    let env = trained_env();
    fails(
        &env,
        &["score", "nope.csv", "-o", "scores.csv"],
        "error: cannot read nope.csv: No such file or directory (os error 2)\n",
    );
}

#[test]
fn history_too_small_for_the_folds_is_rejected() {
    let history: String = fixture(HISTORY)
        .lines()
        .take(6)
        .map(|l| l.to_string() + "\n")
        .collect();
    train_fails(
        &history,
        "error: history.csv: 5 usable customers is too few for 3-fold cross-validation (need at least 6)\n",
    );
}

#[test]
fn history_with_a_single_complete_row_has_nothing_to_learn_from() {
    let mut history = fixture(HISTORY)
        .lines()
        .take(2)
        .map(|l| l.to_string() + "\n")
        .collect::<String>();
    history.push_str("C100,X,retail,north,Nowak,5,500.00,,12.0\n");
    history.push_str("C101,Y,retail,north,Nowak,5,500.00,1000.00,\n");
    train_fails(
        &history,
        "error: history.csv: only 1 of 3 rows have every outcome filled in; nothing to learn from\n",
    );
}

// The config.

#[test]
fn unknown_config_key_shows_tomls_message_with_the_line_and_the_key_meant() {
    let config = edit(&fixture(CONFIG), "folds = 3\n", "folds = 3\nfold = 3\n");
    config_fails(
        &config,
        "error: leadscore.toml: TOML parse error at line 28, column 1\n   |\n28 | fold = 3\n   | ^^^^\nunknown field `fold`, expected one of `folds`, `seed`, `penalty`, `min_category_count`, `max_levels`, `winsorize`, `outcome_cap`, `interval`, `transform`, `half_life_days`; did you mean `folds`?\n",
    );
}

#[test]
fn missing_config_key_shows_tomls_message_with_the_table() {
    let config = edit(&fixture(CONFIG), "id = \"customer_id\"\n", "");
    config_fails(
        &config,
        "error: leadscore.toml: TOML parse error at line 7, column 1\n  |\n7 | [columns]\n  | ^^^^^^^^^\nmissing field `id`\n",
    );
}

#[test]
fn config_value_of_the_wrong_type_shows_tomls_message() {
    let config = edit(&fixture(CONFIG), "rate = 50\n", "rate = \"fifty\"\n");
    config_fails(
        &config,
        "error: leadscore.toml: TOML parse error at line 24, column 8\n   |\n24 | rate = \"fifty\"\n   |        ^^^^^^^\ninvalid type: string \"fifty\", expected f64\n",
    );
}

#[test]
fn out_of_range_setting_names_its_line() {
    let config = edit(&fixture(CONFIG), "folds = 3\n", "folds = 1\n");
    config_fails(
        &config,
        "error: leadscore.toml:27: model.folds must be between 2 and 50, got 1\n",
    );
}

#[test]
fn log_feature_missing_from_the_numeric_list_names_its_line_and_suggests_one() {
    let config = edit(
        &fixture(CONFIG),
        "log = [\"employees\"]",
        "log = [\"employes\"]",
    );
    config_fails(
        &config,
        "error: leadscore.toml:14: features.log names \"employes\", which is not in features.numeric; did you mean \"employees\"?\n",
    );
}

#[test]
fn contact_threshold_below_the_skip_threshold_names_its_line() {
    let mut config = fixture(CONFIG);
    config.push_str("\n[decisions]\nskip_below = 0\ncontact_at = -500\n");
    config_fails(
        &config,
        "error: leadscore.toml:33: decisions.contact_at (-500) is below decisions.skip_below (0)\n",
    );
}

#[test]
fn outcome_used_as_a_feature_is_refused_as_a_leak() {
    let config = edit(
        &fixture(CONFIG),
        "numeric = [\"employees\", \"first_order_value\"]",
        "numeric = [\"employees\", \"first_order_value\", \"support_hours\"]",
    );
    config_fails(
        &config,
        "error: leadscore.toml:21: economics.burden \"support\": column \"support_hours\" is also a feature or the id; an outcome known before contact would leak the answer into the model\n",
    );
}

#[test]
fn missing_config_file_points_to_init() {
    let env = fixture_env();
    fails(
        &env,
        &["train", "--history", HISTORY, "--config", "nope.toml"],
        "error: nope.toml: no such config file (write one with `leadscore init`, or pass --config)\n",
    );
}

#[test]
fn config_that_is_not_utf8_is_an_input_error_naming_its_line() {
    let env = fixture_env();
    let mut config = b"# leadscore.toml\n# Kunden von Herrn M\xfcller\n".to_vec();
    config.extend(fixture(CONFIG).bytes());
    env.write(CONFIG, config);
    fails(
        &env,
        &["train", "--history", HISTORY],
        "error: leadscore.toml:2: not UTF-8 text (save the config as UTF-8)\n",
    );
}

// The model file.

#[test]
fn model_of_another_format_version_asks_for_a_retrain() {
    let env = trained_env();
    let text = edit(
        &env.model("models"),
        "\"format_version\": 5,",
        "\"format_version\": 6,",
    );
    env.write("newer.json", text);
    fails(
        &env,
        &["score", LEADS, "--model", "newer.json", "-o", "scores.csv"],
        &format!(
            "error: newer.json: model format version 6 is not supported by leadscore {} (it reads versions 1 to 5); retrain with `leadscore train`\n",
            env!("CARGO_PKG_VERSION")
        ),
    );
}

/// What follows "error: FILE: " when a model file's checksum cannot vouch for its content.
fn changed_after_training(problem: &str) -> String {
    format!("{problem}: the file was changed after leadscore wrote it. Retrain it (`leadscore train`), or use another version from the registry (`leadscore models list`)\n")
}

#[test]
fn model_changed_after_training_is_refused_by_its_checksum() {
    let env = trained_env();
    let path = env.model_path("models");
    let text = env.read(&path);
    // A threshold raised by hand: the file is still a valid model, but not the one trained.
    let tier = text.find("\"tier_a\": ").unwrap();
    let line_end = tier + text[tier..].find('\n').unwrap();
    let raised = [&text[..tier], "\"tier_a\": 1000000.0,", &text[line_end..]].concat();
    env.write(&path, &raised);
    fails(
        &env,
        &["score", LEADS, "--model", "models", "-o", "scores.csv"],
        &format!(
            "error: models/v0001/model.json: {}",
            changed_after_training("the checksum does not match the content")
        ),
    );
    // The checksum line taken out, to make the edit load: a version-3 file must have one.
    let line = text.lines().nth(1).unwrap();
    assert!(line.starts_with("  \"checksum\": \"sha256:"), "{line}");
    env.write(&path, edit(&raised, &format!("{line}\n"), ""));
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        &format!(
            "error: models/v0001/model.json: {}",
            changed_after_training(
                "the checksum is missing (every model file of format version 3 or later has one)"
            )
        ),
    );
    // A checksum that is not one.
    env.write(&path, edit(&text, "sha256:", "sha256:x"));
    fails(
        &env,
        &["explain", LEADS, "--id", "L01"],
        &format!(
            "error: models/v0001/model.json: {}",
            changed_after_training(
                "the checksum line is malformed (leadscore writes \"sha256:\" and 64 lowercase hex digits)"
            )
        ),
    );
    // The same model, unchanged, still scores.
    env.write(&path, &text);
    let run = env.run(&["score", LEADS, "-o", "scores.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The model file cut after its 10th line (`  "training": {`).
fn truncated_model(env: &Env) -> String {
    let text: String = env
        .model("models")
        .lines()
        .take(10)
        .map(|l| l.to_string() + "\n")
        .collect();
    assert!(text.ends_with("  \"training\": {\n"), "{text}");
    text
}

#[test]
fn truncated_model_file_is_refused_with_where_it_ends() {
    // The exact wording is pinned by `truncated_model_file_is_reported_as_corrupt` (a known bug).
    let env = trained_env();
    env.write("cut.json", truncated_model(&env));
    let before = listing(&env);
    let run = env.run(&["score", LEADS, "--model", "cut.json", "-o", "scores.csv"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("error: cut.json: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("EOF while parsing an object at line 11 column 0"),
        "{}",
        run.stderr
    );
    assert_eq!(listing(&env), before);
}

#[test]
fn truncated_model_file_is_reported_as_corrupt() {
    let env = trained_env();
    env.write("cut.json", truncated_model(&env));
    fails(
        &env,
        &["score", LEADS, "--model", "cut.json", "-o", "scores.csv"],
        "error: cut.json: corrupt model file: EOF while parsing an object at line 11 column 0\n",
    );
}

#[test]
fn model_file_that_is_not_json_is_not_a_model() {
    let env = trained_env();
    env.copy("tests/fixtures/leads.csv", "model.json");
    fails(
        &env,
        &["score", LEADS, "--model", "model.json", "-o", "scores.csv"],
        "error: model.json: not a leadscore model file (expected value at line 1 column 1)\n",
    );
}

#[test]
fn model_file_that_is_not_text_is_not_a_model() {
    let env = trained_env();
    env.write("model.bin", b"\x89PNG\r\n\x1a\n\x00\xff");
    fails(
        &env,
        &["score", LEADS, "--model", "model.bin", "-o", "scores.csv"],
        "error: model.bin: not a leadscore model file (not UTF-8 text)\n",
    );
}

#[test]
fn json_of_another_tool_is_not_a_model() {
    let env = trained_env();
    env.write(
        "other.json",
        "{\"format\": \"something-else\", \"format_version\": 1}\n",
    );
    fails(
        &env,
        &["score", LEADS, "--model", "other.json", "-o", "scores.csv"],
        "error: other.json: not a leadscore model file (no \"format\": \"leadscore-model\")\n",
    );
}

#[test]
fn model_with_a_coefficient_missing_is_corrupt() {
    let env = trained_env();
    let mut model: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    model["columns"].as_array_mut().unwrap().pop();
    env.write("short.json", crate::util::model_text(&model));
    fails(
        &env,
        &["score", LEADS, "--model", "short.json", "-o", "scores.csv"],
        "error: short.json: corrupt model file: 7 schema columns but 6 coefficients\n",
    );
}

#[test]
fn model_with_a_return_coefficient_missing_names_the_short_list() {
    let env = trained_env();
    let mut model: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    model["lifetime_return"]["coefficients"]
        .as_array_mut()
        .unwrap()
        .pop();
    env.write("short.json", crate::util::model_text(&model));
    fails(
        &env,
        &["score", LEADS, "--model", "short.json", "-o", "scores.csv"],
        "error: short.json: corrupt model file: 7 schema columns but 6 lifetime_return coefficients\n",
    );
}

#[test]
fn model_directory_without_a_model_says_how_to_train_one() {
    let env = fixture_env();
    std::fs::create_dir(env.path("models")).unwrap();
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        "error: models/model.json: no model here; train one with `leadscore train --history FILE`\n",
    );
}

#[test]
fn model_file_that_does_not_exist_is_named() {
    let env = trained_env();
    fails(
        &env,
        &[
            "score",
            LEADS,
            "--model",
            "models/old.json",
            "-o",
            "scores.csv",
        ],
        "error: models/old.json: no such model file\n",
    );
}

// --skip-invalid.

#[test]
fn skip_invalid_writes_rejected_rows_with_line_and_reason_and_scores_the_rest() {
    let env = trained_env();
    env.write(
        LEADS,
        format!(
            "{LEADS_HEADER}\n\
             L01,\"Two\nLines\",retail,south,Schmidt,5,400\n\
             L02,X,retail,south,Schmidt,12x,400\n\
             L03,Y,retail,north,Nowak,10,500\n\
             L01,Dup,retail,north,Nowak,10,500\n\
             ,Blank,retail,north,Nowak,10,500\n\
             L05,Neg,retail,north,Nowak,-2,500\n\
             L06,Z,software,south,Müller,40,1000\n"
        ),
    );
    let run = env.run(&[
        "score",
        LEADS,
        "-o",
        "scores.csv",
        "--skip-invalid",
        "rejected.csv",
    ]);
    succeeded(&run);
    assert_eq!(
        env.read("rejected.csv"),
        "line,reason,lead_id,company,industry,region,account_manager,employees,first_order_value\n\
         4,\"column \"\"employees\"\": expected a number, got \"\"12x\"\"\",L02,X,retail,south,Schmidt,12x,400\n\
         6,\"column \"\"lead_id\"\": duplicate id \"\"L01\"\" (first seen on line 2)\",L01,Dup,retail,north,Nowak,10,500\n\
         7,\"column \"\"lead_id\"\": the id is blank\",,Blank,retail,north,Nowak,10,500\n\
         8,\"column \"\"employees\"\": expected a number above -1 (this feature is log-transformed), got \"\"-2\"\"\",L05,Neg,retail,north,Nowak,-2,500\n"
    );
    let scored = Table::parse(&env.read("scores.csv"));
    let mut scored_ids = scored.ids();
    scored_ids.sort();
    assert_eq!(scored_ids, ["L01", "L03", "L06"]);
    assert!(
        run.stderr
            .starts_with("Scored 3 leads with model v0001 (models/v0001/model.json), trained "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("\nRejected 4 rows, written with their reasons to rejected.csv.\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn skip_invalid_rejects_a_row_with_the_wrong_number_of_fields() {
    let env = trained_env();
    env.write(
        LEADS,
        format!(
            "{LEADS_HEADER}\n\
             L01,A,retail,south,Schmidt,5,400\n\
             L02,Short,retail\n\
             L03,B,retail,north,Nowak,10,500\n"
        ),
    );
    let run = env.run(&[
        "score",
        LEADS,
        "-o",
        "scores.csv",
        "--skip-invalid",
        "rejected.csv",
    ]);
    succeeded(&run);
    let rejected = env.read("rejected.csv");
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines.len(), 2, "{rejected}");
    assert!(
        lines[1].starts_with("3,\"expected 7 fields as in the header, found 3\",L02,Short,retail"),
        "{rejected}"
    );
    let scored = Table::parse(&env.read("scores.csv"));
    let mut ids = scored.ids();
    ids.sort();
    assert_eq!(ids, ["L01", "L03"]);
    assert!(run
        .stderr
        .ends_with("\nRejected 1 row, written with its reason to rejected.csv.\n"));
}

// Outputs on failure.

#[test]
fn failed_score_leaves_an_existing_output_untouched() {
    let env = trained_env();
    env.write("scores.csv", "yesterday's scores\n");
    env.write(LEADS, edit(&fixture(LEADS), "Müller,250,", "Müller,12x,"));
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv", "--keep-order"],
        "error: leads.csv:3: column \"employees\": expected a number, got \"12x\"\n",
    );
    assert_eq!(env.read("scores.csv"), "yesterday's scores\n");
}

#[test]
fn failed_train_leaves_the_previous_model_untouched() {
    let env = trained_env();
    let before = env.model("models");
    env.write(
        HISTORY,
        edit(&fixture(HISTORY), "4186.20,20719.11,", "4186.20,unknown,"),
    );
    fails(
        &env,
        &["train", "--history", HISTORY],
        "error: history.csv:5: column \"lifetime_revenue\": expected a number, got \"unknown\"\n",
    );
    assert_eq!(env.model("models"), before);
}

#[test]
fn a_training_that_fails_after_reading_leaves_the_models_directory_as_it_was() {
    // Into an existing models directory the history's snapshot is copied while the models
    // fit; when the fit then fails, that copy and its staging directory go too.
    let env = trained_env();
    let before = env.files("models");
    let few: String = fixture(HISTORY)
        .lines()
        .take(5)
        .map(|l| format!("{l}\n"))
        .collect();
    env.write("few.csv", few);
    fails(
        &env,
        &["train", "--history", "few.csv"],
        "error: few.csv: 4 usable customers is too few for 3-fold cross-validation (need at least 6)\n",
    );
    assert_eq!(env.files("models"), before);
}

#[cfg(unix)]
#[test]
fn a_history_that_cannot_be_read_twice_is_refused_before_training_into_a_models_directory() {
    // A models directory keeps a copy of the history: a FIFO or standard input would have
    // nothing left to copy (and opening a FIFO again waits for a writer for ever).
    let env = trained_env();
    let made = std::process::Command::new("mkfifo")
        .arg(env.path("history.fifo"))
        .status()
        .unwrap();
    assert!(made.success());
    let why = "not a regular file: training into a models directory keeps a copy of the history beside the model, so the history must be a file that can be read twice; save it to a file first, or train into a single model file (--models model.json)\n";
    fails(
        &env,
        &["train", "--history", "history.fifo"],
        &format!("error: history.fifo: {why}"),
    );
    fails(
        &env,
        &["train", "--history", "-"],
        &format!("error: standard input: {why}"),
    );
}

#[test]
fn failed_sorted_score_to_standard_output_prints_nothing() {
    let env = trained_env();
    env.write(LEADS, edit(&fixture(LEADS), "Müller,250,", "Müller,12x,"));
    fails(
        &env,
        &["score", LEADS],
        "error: leads.csv:3: column \"employees\": expected a number, got \"12x\"\n",
    );
}

// Line numbers the CSV reader gets wrong.

#[test]
fn crlf_lead_list_reports_the_physical_line() {
    let leads = edit(&fixture(LEADS), "Schmidt,30,", "Schmidt,12x,").replace('\n', "\r\n");
    score_fails(
        &leads,
        "error: leads.csv:5: column \"employees\": expected a number, got \"12x\"\n",
    );
}

#[test]
fn crlf_history_with_a_multi_line_field_reports_the_physical_line() {
    let history = edit(
        &fixture(HISTORY),
        "C002,Birch Software Ltd,",
        "C002,\"Birch\nSoftware Ltd\",",
    );
    let history = edit(&history, "4186.20,20719.11,", "4186.20,unknown,").replace('\n', "\r\n");
    train_fails(
        &history,
        "error: history.csv:6: column \"lifetime_revenue\": expected a number, got \"unknown\"\n",
    );
}

#[test]
fn row_after_a_blank_line_reports_its_own_line() {
    let leads = edit(&fixture(LEADS), "L04,", "\nL04,");
    let leads = edit(&leads, "Schmidt,30,", "Schmidt,12x,");
    score_fails(
        &leads,
        "error: leads.csv:6: column \"employees\": expected a number, got \"12x\"\n",
    );
}

// init.

#[test]
fn init_refuses_to_overwrite_a_config_without_force() {
    let env = Env::new();
    env.write(CONFIG, "# my config\n");
    fails(
        &env,
        &["init"],
        "error: leadscore.toml: already exists; pass --force to replace it\n",
    );
    assert_eq!(env.read(CONFIG), "# my config\n");
}

#[test]
fn init_never_writes_its_config_over_the_csv_it_reads() {
    // With --force, `init --from accounts.csv -o accounts.csv` replaced the export it had just
    // read with a config.
    let env = Env::new();
    let csv = "id,segment,seats\n1,a,1\n2,a,2\n3,b,2\n";
    env.write("accounts.csv", csv);
    env.write("leads.csv", "id,segment\n9,a\n");
    for (args, message) in [
        (
            &["init", "--from", "accounts.csv", "-o", "accounts.csv", "--force"][..],
            "error: -o accounts.csv is the --from file itself; write to another file\n",
        ),
        (
            &["init", "--from", "accounts.csv", "--leads", "leads.csv", "-o", "./leads.csv", "--force"][..],
            "error: -o ./leads.csv is the --leads file leads.csv under another name; write to another file\n",
        ),
    ] {
        fails(&env, args, message);
    }
    assert_eq!(env.read("accounts.csv"), csv);
    assert_eq!(env.read("leads.csv"), "id,segment\n9,a\n");
}

/// `init -o models/v0001/model.json --force` replaced a model with TOML: --force replaces a
/// config, never a model or another JSON file of the registry, with --force or without.
#[test]
fn init_never_writes_its_config_over_a_model() {
    let env = Env::new();
    env.copy("models/model.json", "models/v0001/model.json");
    env.write("models/current.json", "{\"version\": \"v0001\"}\n");
    let model = env.read("models/v0001/model.json");
    for force in [true, false] {
        let with = |args: &[&'static str]| {
            let mut args = args.to_vec();
            if force {
                args.push("--force");
            }
            args
        };
        fails(
            &env,
            &with(&["init", "-o", "models/v0001/model.json"]),
            "error: -o models/v0001/model.json is a leadscore model, not a config: --force only replaces a config; name another file\n",
        );
        fails(
            &env,
            &with(&["init", "-o", "models/current.json"]),
            "error: -o models/current.json is a JSON file, not a config: --force only replaces a config; name another file\n",
        );
    }
    assert_eq!(env.read("models/v0001/model.json"), model);
    assert_eq!(
        env.read("models/current.json"),
        "{\"version\": \"v0001\"}\n"
    );
    // A config is still replaced with --force.
    env.write(CONFIG, "# my config\n");
    let run = env.run(&["init", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_ne!(env.read(CONFIG), "# my config\n");
}

#[test]
fn init_from_a_file_without_a_unique_column_finds_no_id() {
    let env = Env::new();
    env.write("x.csv", "segment,seats\na,1\na,2\nb,2\n");
    fails(
        &env,
        &["init", "--from", "x.csv"],
        "error: x.csv: found no column with a unique value in every row to use as the id\n",
    );
}

// Usage.

/// `plan --capacity X --capacity-file F` is told the two conflict, with --by or without: clap
/// asked for --by first, in a usage line listing both options together.
#[test]
fn plan_with_both_capacities_is_told_they_conflict_before_anything_else() {
    let env = Env::new();
    for (args, usage) in [
        (
            &[][..],
            "Usage: leadscore plan --capacity <COLUMN=HOURS> <LEADS>",
        ),
        (
            &["--by", "region"][..],
            "Usage: leadscore plan --capacity <COLUMN=HOURS> --by <COLUMN> <LEADS>",
        ),
    ] {
        let mut all = vec![
            "plan",
            "leads.csv",
            "--capacity",
            "sales_hours=100",
            "--capacity-file",
            "reps.csv",
        ];
        all.extend_from_slice(args);
        let run = env.run(&all);
        assert_eq!(run.code, 2, "{all:?}");
        assert_eq!(
            run.stderr,
            format!("error: the argument '--capacity <COLUMN=HOURS>' cannot be used with '--capacity-file <FILE>'\n\n{usage}\n\nFor more information, try '--help'.\n"),
            "{all:?}"
        );
    }
}

#[test]
fn invalid_delimiter_is_a_usage_error() {
    let env = trained_env();
    let usage = |value: &str, shown: &str| {
        format!(
            "error: invalid value '{value}' for '--delimiter <CHAR>': expected one of , ; | : or \"tab\", got \"{shown}\"\n\nFor more information, try '--help'.\n"
        )
    };
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv", "--delimiter", "ab"],
        &usage("ab", "ab"),
    );
    fails(
        &env,
        &[
            "train",
            "--history",
            HISTORY,
            "--models",
            "m",
            "--delimiter",
            "\"",
        ],
        &usage("\"", "\""),
    );
    fails(
        &env,
        &["init", "-o", "new.toml", "--delimiter", "semicolon"],
        &usage("semicolon", "semicolon"),
    );
}

#[test]
fn decimals_above_nine_is_a_usage_error() {
    let env = trained_env();
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv", "--decimals", "12"],
        "error: invalid value '12' for '--decimals <N>': 12 is not in 0..=9\n\nFor more information, try '--help'.\n",
    );
}

#[test]
fn scoring_before_any_training_says_to_train() {
    let env = fixture_env();
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        "error: models: no such model or models directory; train one with `leadscore train --history FILE`\n",
    );
}

#[test]
fn a_directory_where_a_file_belongs_is_an_input_error() {
    let env = fixture_env();
    std::fs::create_dir(env.path("folder.csv")).unwrap();
    fails(
        &env,
        &["train", "--history", "folder.csv"],
        "error: folder.csv: is a directory, not a CSV file\n",
    );
    fails(
        &env,
        &["train", "--history", HISTORY, "--config", "folder.csv"],
        "error: folder.csv: is a directory, not a config file\n",
    );
}

#[test]
fn output_into_a_directory_that_does_not_exist_names_the_directory_not_a_temp_file() {
    let env = trained_env();
    fails(
        &env,
        &["score", LEADS, "-o", "no/such/dir/scores.csv"],
        "error: cannot write no/such/dir/scores.csv: the directory no/such/dir does not exist\n",
    );
    // A directory that exists but makes no files (Linux's /proc) is not said to be missing.
    if std::path::Path::new("/proc/self").exists() {
        fails(
            &env,
            &["score", LEADS, "-o", "/proc/scores.csv"],
            "error: cannot write /proc/scores.csv: no file can be made in /proc: No such file or directory (os error 2)\n",
        );
    }
}

#[test]
fn a_header_wider_than_a_spreadsheet_is_refused_and_a_wide_one_checked_in_linear_time() {
    let env = trained_env();
    let wide: Vec<String> = (0..20_000).map(|i| format!("c{i}")).collect();
    env.write(
        "wide.csv",
        format!("{}\n{}\n", wide.join(","), "x,".repeat(19_999) + "x"),
    );
    fails(
        &env,
        &["score", "wide.csv"],
        "error: wide.csv:1: the header has 20000 columns; a lead list or history has at most 16384 (as many as a spreadsheet holds): check the delimiter, or that this is the file meant\n",
    );
    // 16,384 columns with the only repeat at the very end, named with both its columns (the
    // check is one pass with a hash map; a pairwise check made 134 million comparisons here).
    let mut names: Vec<String> = (0..16_383).map(|i| format!("c{i}")).collect();
    names.push("c7".into());
    env.write("repeat.csv", format!("{}\n", names.join(",")));
    fails(
        &env,
        &["score", "repeat.csv"],
        "error: repeat.csv:1: column \"c7\" appears twice in the header (columns 8 and 16384)\n",
    );
}

#[test]
fn an_outcome_no_customer_could_have_is_named_with_its_line_and_column() {
    let history = edit(&fixture(HISTORY), "4186.20,20719.11,", "4186.20,1e300,");
    train_fails(
        &history,
        "error: history.csv:5: column \"lifetime_revenue\": expected an amount below 1e15 (no customer's money, hours or counts reach a quadrillion; a typo or a unit mix-up?), got \"1e300\"\n",
    );
}

#[test]
fn a_rate_that_overflows_names_the_first_row_it_breaks() {
    // One term overflows alone: its column, value and rate are named.
    config_fails(
        &edit(&fixture(CONFIG), "rate = 50", "rate = 1e308"),
        "error: history.csv:2: column \"support_hours\": the term \"support\" of [economics] makes \"23.4\" × its rate 1e308 overflow (not a finite number): check the rate\n",
    );
    // Two finite fixed amounts whose sum overflows: no one column to blame, so the row and the
    // rates are.
    config_fails(
        &edit(
            &fixture(CONFIG),
            "[[economics.burden]]",
            "[[economics.burden]]\nname = \"onboarding\"\nrate = 1e308\n\n[[economics.burden]]\nname = \"setup\"\nrate = 1e308\n\n[[economics.burden]]",
        ),
        "error: history.csv:2: the economics make this customer's return or burden overflow (not a finite number): check the rates in [economics]\n",
    );
}

#[test]
fn a_numeric_feature_blank_in_every_row_is_named_with_the_file() {
    let rows = crate::util::csv_rows(&fixture(HISTORY));
    let col = rows[0].iter().position(|h| h == "employees").unwrap();
    // The history blanked, as it is and copied 20 times over (ids made unique): the count is
    // grouped as every count a message gives.
    for (copies, shown) in [(1, "60"), (20, "1,200")] {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&rows[0]).unwrap();
        for copy in 0..copies {
            for row in &rows[1..] {
                let mut row = row.clone();
                row[col].clear();
                if copy > 0 {
                    row[0] = format!("{}-{copy}", row[0]);
                }
                w.write_record(&row).unwrap();
            }
        }
        train_fails(
            &String::from_utf8(w.into_inner().unwrap()).unwrap(),
            &format!("error: history.csv: column \"employees\" (a feature in the config) is blank in all {shown} rows used; drop it from [features] or fill it in\n"),
        );
    }
}

#[test]
fn a_huge_bad_value_is_quoted_by_its_start_and_length_not_whole() {
    let leads = format!(
        "{LEADS_HEADER}\nL01,A,retail,south,Schmidt,{}x,400\n",
        "9".repeat(1_048_576)
    );
    score_fails(
        &leads,
        &format!(
            "error: leads.csv:2: column \"employees\": expected a number, got \"{}…\" (1,048,577 characters)\n",
            "9".repeat(40)
        ),
    );
}

#[test]
fn explain_names_the_flag_that_named_a_missing_id_column() {
    let env = trained_env();
    fails(
        &env,
        &["explain", LEADS, "--id", "L01", "--id-column", "ref"],
        "error: leads.csv: no column \"ref\" (given with --id-column); the header has: lead_id, company, industry, region, account_manager, employees, first_order_value\n",
    );
}

#[test]
fn a_setting_of_the_wrong_type_says_what_the_key_takes() {
    config_fails(
        &edit(&fixture(CONFIG), "winsorize = false", "winsorize = \"no\""),
        "error: leadscore.toml:29: model.winsorize must be false or [low, high] percentiles with 0 <= low < high <= 1, got \"no\"\n",
    );
    config_fails(
        &edit(&fixture(CONFIG), "winsorize = false", "penalty = true"),
        "error: leadscore.toml:29: model.penalty must be \"auto\" or a number >= 0, got true\n",
    );
}

#[test]
fn a_quote_never_closed_is_named_as_the_cause_of_a_short_row() {
    let leads = format!(
        "{LEADS_HEADER}\nL01,A,retail,south,Schmidt,5,400\nL02,\"B,retail,south,Schmidt,5,400\nL03,C,retail,south,Schmidt,5,400\n"
    );
    score_fails(
        &leads,
        "error: leads.csv:3: expected 7 fields as in the header, found 2; a quote opened on this line is never closed, so the rest of the file was read as one field\n",
    );
}

/// A value far outside what training saw, in a model that neither caps values at the training
/// range nor takes their log (the fixture's `first_order_value`, `winsorize = false`), used to
/// be scored as `inf` money (tier A, "contact"; `null` in JSON, "INF" in Excel), or as figures
/// too large for their cents to add up. Such a lead is refused like any bad value, naming it;
/// with --skip-invalid it goes to the rejects and the others are scored.
#[test]
fn a_lead_whose_money_cannot_be_written_is_refused_naming_the_value() {
    let env = trained_env();
    env.write(
        "far.csv",
        format!("{LEADS_HEADER}\nL1,A,retail,south,Schmidt,5,400\nL2,B,retail,south,Schmidt,5,1e307\nL3,C,retail,south,Schmidt,5,1e15\n"),
    );
    let run = env.run(&["score", "far.csv", "-o", "out.csv"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "error: far.csv:3: column \"first_order_value\": 1e307 is far outside what training saw (427.1 to 4,967.55): its expected lifetime return would be 2.135e307, more than money written with 2 decimals can hold exactly (below 9.0e13). Check the value, or train with model.winsorize = true to cap values at the training range\n")
    );
    assert!(!env.exists("out.csv"));
    let run = env.run(&[
        "score",
        "far.csv",
        "-o",
        "out.csv",
        "--skip-invalid",
        "rejects.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let scored = env.read("out.csv");
    assert!(
        scored.contains("\nL1,") && !scored.contains("L2") && !scored.contains("L3"),
        "{scored}"
    );
    assert!(!scored.contains("inf"), "{scored}");
    let rejects = env.read("rejects.csv");
    assert!(
        rejects.contains("3,\"column \"\"first_order_value\"\": 1e307 is far outside"),
        "{rejects}"
    );
    assert!(
        rejects.contains("its expected lifetime return would be 2.") && rejects.contains("e"),
        "{rejects}"
    );
}

/// A value the fit would take as it is (no winsorizing, no log, as the fixture's
/// `first_order_value`) so large its square overflows used to fail training with "the data
/// holds a value that is not a finite number", naming nothing. It is named like any bad value.
#[test]
fn a_history_value_too_large_to_fit_is_named() {
    let env = fixture_env();
    let history = fixture(HISTORY).replacen(",1008.99,", ",1e160,", 1);
    env.write(HISTORY, &history);
    let before = listing(&env);
    let run = env.run(&["train", "--history", HISTORY]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "error: history.csv:2: column \"first_order_value\": 1e160 is too large to fit (beyond 1e150, its square overflows the fit's sums); check the value, or cap values at the training range with model.winsorize = true, or take its logarithm with features.log\n")
    );
    assert_eq!(listing(&env), before);
}

/// A history whose outcomes are all 0 trained without a word, and every lead then came out at
/// 0, tier A, "contact". There is nothing to learn from it: refused, saying where to look.
#[test]
fn a_history_of_zero_outcomes_is_refused() {
    let env = fixture_env();
    let zeroed: String = fixture(HISTORY)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return format!("{l}\n");
            }
            let mut f: Vec<&str> = l.split(',').collect();
            let n = f.len();
            f[n - 2] = "0";
            f[n - 1] = "0";
            f.join(",") + "\n"
        })
        .collect();
    env.write(HISTORY, &zeroed);
    let before = listing(&env);
    let run = env.run(&["train", "--history", HISTORY]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "error: history.csv: every customer's lifetime return and service burden is 0 (60 customers), so there is nothing to learn; check that [economics] names the columns holding their money, hours and counts\n")
    );
    assert_eq!(listing(&env), before);
}

// What a message prints of the input.

#[test]
fn a_control_character_in_a_value_is_printed_as_an_escape_not_sent_to_the_terminal() {
    // ESC [ 2 J clears the screen when printed raw; the message shows it as `\u{1b}`.
    let leads = edit(&fixture(LEADS), ",30,900.25", ",30\u{1b}[2J,900.25");
    score_fails(
        &leads,
        "error: leads.csv:5: column \"employees\": expected a number, got \"30\\u{1b}[2J\"\n",
    );
}

#[test]
fn a_lead_list_in_utf16_without_a_byte_order_mark_is_named_so() {
    // What "save as Unicode" gives when the BOM is lost: read as UTF-8, every name held NULs
    // and the "no column lead_id" error listed them.
    let bytes: Vec<u8> = fixture(LEADS)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let env = trained_env();
    env.write(LEADS, bytes);
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        "error: leads.csv:1: the header holds NUL bytes between its letters: the file looks like UTF-16 without a byte-order mark (BOM); save it as UTF-8 (in Excel: \"CSV UTF-8\"), or as UTF-16 with its BOM\n",
    );
}

#[test]
fn a_name_given_twice_is_refused_after_columns_without_a_name() {
    let leads: String = fixture(LEADS)
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l},,region,\n"),
            _ => format!("{l},,north,\n"),
        })
        .collect();
    score_fails(
        &leads,
        "error: leads.csv:1: column \"region\" appears twice in the header (columns 4 and 9)\n",
    );
}

#[test]
fn an_empty_id_flag_never_matches_a_column_without_a_name() {
    let env = trained_env();
    let leads: String = fixture(LEADS).lines().map(|l| format!("{l},,\n")).collect();
    env.write(LEADS, leads);
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv", "--id", ""],
        "error: leads.csv: no column \"\" (given with --id); the header has: lead_id, company, industry, region, account_manager, employees, first_order_value, \"\", \"\"\n",
    );
}

/// A date that is written as YYYY-MM-DD but is not a day was refused as "expected a date as
/// YYYY-MM-DD", which sent people looking at the format; training now says the day does not
/// exist, and retrain's merge says the same.
#[test]
fn a_day_that_does_not_exist_is_named_as_such() {
    let env = Env::new();
    env.write("leadscore.toml", crate::retrain::CONFIG);
    let base = crate::retrain::customers(
        1..41,
        "2025-01-01",
        "2025-12-31",
        crate::retrain::Market::BEFORE,
        1,
    );
    let text = crate::retrain::csv(&base);
    let first_date = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .find(|f| f.starts_with("2025-"))
        .unwrap()
        .to_string();
    env.write("h.csv", text.replacen(&first_date, "2025-02-30", 1));
    let run = env.run(&["train", "--history", "h.csv"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "error: h.csv:2: column \"won_on\": \"2025-02-30\" is not a day: February 2025 has 28 days\n")
    );
    env.write("h.csv", text.replacen(&first_date, "2025-13-01", 1));
    let run = env.run(&["train", "--history", "h.csv"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("month 13 does not exist"),
        "{}",
        run.stderr
    );
}
