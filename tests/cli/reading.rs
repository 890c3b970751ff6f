//! What people read: years and codes are written as they are (1977, 90210), never as amounts
//! (1,977), in the training report, the reasons and the warnings.

use crate::util::{csv_rows, Env};

/// 60 customers whose revenue falls with the year their company was founded and rises with a
/// postal code (a stand-in for region), both whole numbers.
fn year_and_zip_history(env: &Env) {
    let mut history = String::from("id,Year_Founded,zip,employees,revenue,hours\n");
    for i in 0..60 {
        let year = 1950 + (i * 7) % 60;
        let zip = 10_000 + (i * 1_499) % 89_000;
        let employees = 1_000 + i * 37;
        let revenue = 90_000.0 - 500.0 * (year - 1950) as f64 + 0.2 * zip as f64 + employees as f64;
        history.push_str(&format!(
            "C{i},{year},{zip},{employees},{revenue},{}\n",
            10 + i % 7
        ));
    }
    env.write("h.csv", history);
    env.write(
        "c.toml",
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n\
         [features]\nnumeric = [\"Year_Founded\", \"zip\", \"employees\"]\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"revenue\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"hours\"\nrate = 10\n\
         [model]\nfolds = 3\nwinsorize = [0.05, 0.95]\n",
    );
}

#[test]
fn years_and_codes_keep_their_digits_together_while_counts_are_grouped() {
    let env = Env::new();
    year_and_zip_history(&env);
    let run = env.run(&["train", "--history", "h.csv", "--config", "c.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let clamp_line = |feature: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(&format!("Clamped {feature} ")))
            .unwrap_or_else(|| panic!("no clamp line for {feature}:\n{}", run.stdout))
            .to_string()
    };
    let year = clamp_line("Year_Founded");
    assert!(
        year.starts_with("Clamped Year_Founded to the training range [1952, 2007] for 4 customers, most extreme first: C0 (1950), C17 (2009)"),
        "{year}"
    );
    let zip = clamp_line("zip");
    assert!(
        !zip.contains(",0") && !zip.contains(",1"),
        "zip grouped: {zip}"
    );
    // employees is a count: grouped as before.
    let employees = clamp_line("employees");
    assert!(employees.contains("[1,"), "{employees}");

    env.write(
        "leads.csv",
        "id,Year_Founded,zip,employees\nL1,1893,90210,1200\nL2,,90210,\n",
    );
    let scored = env.run(&["score", "leads.csv", "--keep-order"]);
    assert_eq!(scored.code, 0, "{}", scored.stderr);
    let rows = csv_rows(&scored.stdout);
    let (reasons, warnings) = (&rows[1][9], &rows[1][10]);
    assert!(
        warnings.contains("Year_Founded 1893 below the training range, counted as 1952"),
        "{warnings}"
    );
    assert!(reasons.contains("Year_Founded=1893 (as 1952)"), "{reasons}");
    assert!(
        !reasons.contains("90,210") && !warnings.contains("90,210"),
        "{reasons} | {warnings}"
    );
    // A blank year is imputed with the median year, written as a year.
    let imputed = &rows[2][10];
    assert!(
        imputed.contains("Year_Founded missing, imputed training median 19"),
        "{imputed}"
    );
    assert!(!imputed.contains("1,9"), "{imputed}");
}

/// 200 customers in two segments: the good half earns about 10,000 net each, the bad half loses
/// about `loss` each, so the total is small (or negative) against what the best earn.
fn two_segment_history(env: &Env, loss: f64) {
    let mut history = String::from("id,segment,size,revenue,hours\n");
    for i in 0..200 {
        let good = i % 2 == 0;
        let size = (i % 10) as f64;
        let revenue = if good {
            12_000.0 + 100.0 * size
        } else {
            1_000.0
        };
        let cost = if good {
            2_000.0
        } else {
            1_000.0 + loss + 50.0 * size
        };
        history.push_str(&format!(
            "C{i},{},{size},{revenue},{}\n",
            if good { "good" } else { "bad" },
            cost / 10.0
        ));
    }
    env.write("h.csv", history);
    env.write(
        "c.toml",
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n\
         [features]\ncategorical = [\"segment\"]\nnumeric = [\"size\"]\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"revenue\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"hours\"\nrate = 10\n\
         [model]\nfolds = 4\n",
    );
}

#[test]
fn shares_beyond_the_whole_are_written_as_multiples_with_the_amounts() {
    let env = Env::new();
    two_segment_history(&env, 8_000.0);
    let run = env.run(&["evaluate", "--history", "h.csv", "--config", "c.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = &run.stdout;
    // No percentage above 100% anywhere: such shares are multiples of the total.
    for word in text.split_whitespace() {
        if let Some(p) = word
            .trim_matches(|c| c == '(' || c == ')' || c == ';')
            .strip_suffix('%')
        {
            if let Ok(v) = p.parse::<f64>() {
                assert!(v <= 100.0, "{word} in:\n{text}");
            }
        }
    }
    assert!(text.contains("\nShares above 100% are written as multiples of the total (1.50× = 150%): the customers at the bottom lose money, so the best ones together earn more than all of them.\n"), "{text}");
    assert!(text.contains("cumulative net"), "{text}");
    let top = text
        .lines()
        .find(|l| l.trim_start().starts_with("5 "))
        .unwrap();
    assert!(top.contains('×'), "{top}");
    assert!(text.contains("× the total)"), "{text}");
    // The JSON carries the amounts beside the shares.
    let run = env.run(&[
        "evaluate",
        "--history",
        "h.csv",
        "--config",
        "c.toml",
        "--format",
        "json",
    ]);
    let e: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let gains = e["known"]["gains"].as_array().unwrap();
    let last = &gains[gains.len() - 1];
    let total = last["cumulative_total"].as_f64().unwrap();
    assert!(total > 0.0 && gains[4]["cumulative_total"].as_f64().unwrap() > 2.0 * total);

    // When everyone together lost money, shares of the total mean nothing.
    two_segment_history(&env, 12_000.0);
    let run = env.run(&["evaluate", "--history", "h.csv", "--config", "c.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(", so shares of the total mean nothing here: read the amounts.\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("n/a"), "{}", run.stdout);
}

#[test]
fn many_customers_left_out_for_a_blank_outcome_is_a_warning_naming_the_column() {
    // Excel's accounting format writes a zero as "-", which reads as a blank: customers whose
    // support hours were 0 drop out, and the model would learn only from the others.
    let env = Env::new();
    env.copy("tests/fixtures/leadscore.toml", "leadscore.toml");
    let history = std::fs::read_to_string(crate::util::repo("tests/fixtures/history.csv")).unwrap();
    let mut lines: Vec<String> = history.lines().map(String::from).collect();
    for line in lines.iter_mut().skip(1).step_by(3) {
        let cut = line.rfind(',').unwrap();
        line.truncate(cut + 1);
        line.push('-');
    }
    env.write("h.csv", lines.join("\n") + "\n");
    let run = env.run(&["train", "--history", "h.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("\nwarning: 20 of 60 customers (33.3%) were left out for a blank outcome, 20 of them for support_hours: the model learnt only from the rest. If a blank or a text such as \"-\" means 0 there, write 0 (or take the text out of missing_values) and retrain.\n"),
        "{}",
        run.stdout
    );
    let json = env.run(&["train", "--history", "h.csv", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let w = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "many_left_out")
        .unwrap_or_else(|| panic!("{}", json.stdout));
    assert_eq!(
        (w["left_out"].as_u64(), w["in_column"].as_u64()),
        (Some(20), Some(20))
    );
    assert_eq!(w["column"], "support_hours");
    // One blank outcome in sixty is no warning.
    lines = history.lines().map(String::from).collect();
    let cut = lines[5].rfind(',').unwrap();
    lines[5].truncate(cut + 1);
    env.write("h.csv", lines.join("\n") + "\n");
    let run = env.run(&["train", "--history", "h.csv"]);
    assert!(
        !run.stdout.contains("left out for a blank outcome, "),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_value_text_common_in_a_category_column_is_a_warning() {
    // "NA" is North America in this export's region column, and a default blank text: training
    // reads it as a blank, and says so loudly enough to notice.
    let env = Env::new();
    env.copy("tests/fixtures/leadscore.toml", "leadscore.toml");
    let history = std::fs::read_to_string(crate::util::repo("tests/fixtures/history.csv"))
        .unwrap()
        .replace(",north,", ",NA,");
    let na_rows = history.matches(",NA,").count();
    assert!(na_rows * 20 > 60, "{na_rows}");
    env.write("h.csv", history);
    let run = env.run(&["train", "--history", "h.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "\nRead as blanks (missing_values) in category columns: region \"NA\" ({na_rows} rows).\n"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "\nwarning: region holds \"NA\" in {na_rows} of 60 rows ({:.1}%), read as a blank like an empty field; if it is a real value there, take \"NA\" out of missing_values and retrain.\n",
            na_rows as f64 / 60.0 * 100.0
        )),
        "{}",
        run.stdout
    );
    let json = env.run(&["train", "--history", "h.csv", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["blank_texts"][0]["text"], "NA");
    assert!(report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["kind"] == "common_blank_text" && w["feature"] == "region"));
    // Without the text in the list, NA is a region like any other, and nothing is said.
    env.write(
        "leadscore.toml",
        format!(
            "missing_values = [\"n/a\"]\n{}",
            std::fs::read_to_string(crate::util::repo("tests/fixtures/leadscore.toml")).unwrap()
        ),
    );
    let run = env.run(&["train", "--history", "h.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("Read as blanks"), "{}", run.stdout);
}

/// A spreadsheet's CSV export of a sheet whose rows run past the named columns: the header ends
/// with `,,` and every row with empty fields. Such columns have no name to refer to them by, so
/// they are ignored however many there are; training and scoring read the file as without them.
#[test]
fn columns_without_a_name_at_the_end_of_the_header_are_ignored() {
    use crate::commands::{fixture, fixture_env, HISTORY, LEADS};
    let env = fixture_env();
    let trailing = |text: &str| -> String { text.lines().map(|l| format!("{l},,\n")).collect() };
    env.write("wide-history.csv", trailing(&fixture(HISTORY)));
    env.write("wide-leads.csv", trailing(&fixture(LEADS)));

    let plain = env.run(&["train", "--history", HISTORY, "--models", "plain"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let wide = env.run(&["train", "--history", "wide-history.csv", "--models", "wide"]);
    assert_eq!(wide.code, 0, "{}", wide.stderr);
    // The same model: the fit never saw the nameless columns (the data's fingerprint and file
    // name differ, so the scores are compared rather than the files).
    let score = |models: &str, leads: &str| {
        let run = env.run(&["score", leads, "--model", models, "--keep-order"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let expected = score("plain", LEADS);
    assert_eq!(score("wide", LEADS), expected);
    assert_eq!(score("plain", "wide-leads.csv"), expected);
}
