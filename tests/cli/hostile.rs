//! Hostile input at a size CI can afford (1 MB fields, 100,000 separators, a 1 MB line with no
//! line end): each is refused or scored in bounded time with a short, exact message that quotes
//! a monstrous value by its start and its length. `bench/hostile.sh` runs the 10 MB and 100 MB
//! versions under /usr/bin/time; the README's "Bad input" section has its figures.

use crate::commands::{fixture, fixture_env, succeeded, trained_env, Table, HISTORY, LEADS};
use crate::errors::fails;

const MB: usize = 1 << 20;

/// The fixture `name` with the field `from` on its second line replaced by `to`.
fn second_row_with(name: &str, from: &str, to: &str) -> String {
    let text = fixture(name);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let fields: Vec<&str> = lines[1].split(',').collect();
    let i = fields
        .iter()
        .position(|f| *f == from)
        .expect("the field is on line 2");
    let mut fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    fields[i] = to.to_string();
    lines[1] = fields.join(",");
    lines.join("\n") + "\n"
}

/// `value` as an error quotes a long one: its first 40 characters and its length.
fn cut(value: &str, length: &str) -> String {
    let start: String = value.chars().take(40).collect();
    format!("\"{start}…\" ({length} characters)")
}

#[test]
fn a_1mb_number_field_is_quoted_by_its_start_and_length() {
    let env = trained_env();
    env.write(LEADS, second_row_with(LEADS, "5", &"x".repeat(MB)));
    let value = cut(&"x".repeat(40), "1,048,576");
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        &format!("error: leads.csv:2: column \"employees\": expected a number, got {value}\n"),
    );
}

#[test]
fn a_1mb_field_of_quotes_is_one_field_quoted_by_its_start_and_length() {
    let env = trained_env();
    // 1 MB of `"`: an opening and a closing quote around 524,287 escaped quotes.
    env.write(LEADS, second_row_with(LEADS, "5", &"\"".repeat(MB)));
    let value = cut(&"\"".repeat(40), "524,287");
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        &format!("error: leads.csv:2: column \"employees\": expected a number, got {value}\n"),
    );
}

#[test]
fn a_line_of_100k_separators_is_refused_by_its_width() {
    let env = trained_env();
    let mut lines: Vec<String> = fixture(LEADS).lines().map(str::to_string).collect();
    lines.insert(2, ",".repeat(100_000));
    env.write(LEADS, lines.join("\n") + "\n");
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        "error: leads.csv:3: expected 7 fields as in the header, found 100001\n",
    );
}

#[test]
fn a_1mb_line_with_no_line_end_names_its_header_cut() {
    let env = trained_env();
    env.write(LEADS, "a".repeat(MB));
    let value = cut(&"a".repeat(40), "1,048,576");
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        &format!("error: leads.csv: no column \"lead_id\" (the lead id; pass --id COLUMN to use another); the header has: {value}\n"),
    );
}

#[test]
fn a_1mb_unseen_category_is_cut_in_its_warning() {
    let env = trained_env();
    let long = "x".repeat(MB);
    env.write(LEADS, second_row_with(LEADS, "retail", &long));
    let run = env.run(&["score", LEADS, "-o", "scores.csv", "--keep-order"]);
    succeeded(&run);
    let scores = Table::parse(&env.read("scores.csv"));
    assert_eq!(
        scores.get("L01", "warnings"),
        format!(
            "industry {} not seen in training, scored as the average; first_order_value 400 below the training range",
            cut(&long, "1,048,576")
        )
    );
}

#[test]
fn a_1mb_duplicate_id_is_quoted_by_its_start_and_length() {
    let env = trained_env();
    let id = "L".repeat(MB);
    let leads = second_row_with(LEADS, "L01", &id);
    let leads = leads.replacen("L03,", &format!("{id},"), 1);
    env.write(LEADS, leads);
    fails(
        &env,
        &["score", LEADS, "-o", "scores.csv"],
        &format!(
            "error: leads.csv:4: column \"lead_id\": duplicate id {} (first seen on line 2)\n",
            cut(&id, "1,048,576")
        ),
    );
}

#[test]
fn a_1mb_negative_amount_in_a_history_is_quoted_by_its_start_and_length() {
    let env = fixture_env();
    let amount = format!("-5.{}", "0".repeat(MB));
    env.write(HISTORY, second_row_with(HISTORY, "23.4", &amount));
    fails(
        &env,
        &["train", "--history", HISTORY],
        &format!(
            "error: history.csv:2: column \"support_hours\": expected an amount >= 0 (money, hours and counts cannot be negative), got {}\n",
            cut(&amount, "1,048,579")
        ),
    );
}
