//! Control characters in the data never reach a terminal: a value a text report prints (a lead's
//! id, its values in `explain`'s labels, a `plan` group, a category level in `models show` or
//! `train`'s report) has them written as escapes (`\u{1b}`, `\t`), as every message quoting a
//! value does; the JSON keeps the value exactly as it was read.

use crate::commands::succeeded;
use crate::util::{repo, sample_header_with, shipped_model_env, Env};

/// Asserts that `text` has no control character but its line ends.
fn no_controls(text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(raw.is_empty(), "raw {raw:?} in:\n{text}");
}

#[test]
fn explain_escapes_the_id_and_the_values_it_prints() {
    let env = shipped_model_env();
    // An OSC sequence (sets the terminal's title) in the industry, an ESC in the id.
    env.write(
        "esc.csv",
        sample_header_with(
            "E\u{1b}1,c,soft\u{1b}]0;pwned\u{7}ware,north,50,1000000,referral,standard,5000\n",
        ),
    );
    let run = env.run(&["explain", "esc.csv", "--id", "E\u{1b}1"]);
    succeeded(&run);
    no_controls(&run.stdout);
    assert!(
        run.stdout.starts_with("Lead E\\u{1b}1 (esc.csv line 2)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("industry = soft\\u{1b}]0;pwned\\u{7}ware (as the average)  "),
        "{}",
        run.stdout
    );
    // The table stays aligned: the escaped label sets the column's width.
    let widths: Vec<usize> = run
        .stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("return"))
        .take_while(|l| !l.starts_with("expected"))
        .map(|l| l.chars().count())
        .collect();
    assert!(
        widths.len() > 3 && widths.iter().all(|&w| w == widths[0]),
        "{widths:?}\n{}",
        run.stdout
    );

    let json = env.run(&["explain", "esc.csv", "--id", "E\u{1b}1", "--format", "json"]);
    succeeded(&json);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["id"], "E\u{1b}1");
    assert!(v["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["value"] == "soft\u{1b}]0;pwned\u{7}ware"));
}

#[test]
fn an_id_explain_does_not_find_is_quoted_as_values_are() {
    let env = shipped_model_env();
    env.write(
        "one.csv",
        sample_header_with("L1,c,software,north,50,1000000,referral,standard,5000\n"),
    );
    let run = env.run(&["explain", "one.csv", "--id", "ctl\u{1b}[2Jchar"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "error: one.csv: no lead with id \"ctl\\u{1b}[2Jchar\" in column \"lead_id\"\n"
        )
    );
    // A long id is cut, as every quoted value is.
    let long = "x".repeat(5_000);
    let run = env.run(&["explain", "one.csv", "--id", &long]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            format!(
                "error: one.csv: no lead with id \"{}…\" (5,000 characters) in column \"lead_id\"\n",
                "x".repeat(40)
            )
            .as_str()
        )
    );
}

#[test]
fn plan_escapes_the_groups_it_prints() {
    let env = shipped_model_env();
    env.write(
        "esc.csv",
        sample_header_with(
            "E1,c,software,nor\u{1b}[31mth,50,1000000,referral,standard,5000\n\
             E2,d,software,south,50,1000000,referral,standard,5000\n",
        ),
    );
    let run = env.run(&[
        "plan",
        "esc.csv",
        "--by",
        "region",
        "--capacity",
        "sales_hours=1",
    ]);
    succeeded(&run);
    no_controls(&run.stdout);
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("nor"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(row.starts_with("nor\\u{1b}[31mth "), "{row}");
    // The column is as wide as the escaped name: the next row lines up with it.
    let south = run.stdout.lines().find(|l| l.starts_with("south")).unwrap();
    assert_eq!(row.find(" 1.0 "), south.find(" 1.0 "), "{}", run.stdout);
    // Neither group has an hour for any lead: each is named, escaped.
    assert!(
        run.stdout
            .contains("In nor\\u{1b}[31mth, no lead fits in 1.00 hours"),
        "{}",
        run.stdout
    );

    let json = env.run(&[
        "plan",
        "esc.csv",
        "--by",
        "region",
        "--capacity",
        "sales_hours=1",
        "--format",
        "json",
    ]);
    succeeded(&json);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["group"] == "nor\u{1b}[31mth"));
}

#[test]
fn train_and_models_show_escape_the_levels_they_list() {
    let env = Env::new();
    env.copy("leadscore.toml", "leadscore.toml");
    let sample = std::fs::read_to_string(repo("data/customers.csv")).unwrap();
    // A level of its own, and a value too rare for one, which the training report lists.
    let history: String = sample
        .lines()
        .take(400)
        .enumerate()
        .map(|(i, l)| match i {
            1..=3 => l.replacen(",retail,", ",re\u{7}tail,", 1) + "\n",
            _ => l.replace(",west,", ",we\u{1b}[31mst,") + "\n",
        })
        .collect();
    env.write("history.csv", history);
    let train = env.run(&["train", "--history", "history.csv"]);
    succeeded(&train);
    no_controls(&train.stdout);
    no_controls(&train.stderr);
    assert!(
        train.stdout.contains("re\\u{7}tail (") || train.stderr.contains("re\\u{7}tail ("),
        "{}{}",
        train.stdout,
        train.stderr
    );
    let run = env.run(&["models", "show", "v0001"]);
    succeeded(&run);
    no_controls(&run.stdout);
    assert!(
        run.stdout.contains("    we\\u{1b}[31mst "),
        "{}",
        run.stdout
    );
}
