//! The shipped model under models/ is trained on the shipped data with the shipped config, and
//! the current code still loads it: the README's quick start works on a fresh clone.

use crate::util::{repo, Env};
use sha2::Digest;

#[test]
fn shipped_model_was_trained_on_the_shipped_history() {
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo("models/model.json")).unwrap()).unwrap();
    let bytes = std::fs::read(repo("data/customers.csv")).unwrap();
    let sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        model["training"]["sha256"], sha,
        "data/customers.csv changed: retrain with `cargo run --release -- train --history data/customers.csv` and commit models/"
    );
    assert_eq!(model["training"]["file"], "data/customers.csv");
    // Retraining with the shipped config gives the same coefficients: config and model agree.
    let env = Env::new();
    env.copy("leadscore.toml", "leadscore.toml");
    env.copy("data/customers.csv", "data/customers.csv");
    let run = env.run(&["train", "--history", "data/customers.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 3,000 customers are plenty for the sample's columns, and every feature carries signal.
    assert!(!run.stdout.contains("warning"), "{}", run.stdout);
    let fresh: serde_json::Value = serde_json::from_str(&env.read("models/model.json")).unwrap();
    assert_eq!(
        fresh["columns"], model["columns"],
        "leadscore.toml or the code changed: retrain and commit models/"
    );
    assert_eq!(fresh["decisions"], model["decisions"]);
}

#[test]
fn quick_start_scores_the_sample_leads_with_the_shipped_model() {
    let env = Env::new();
    env.copy("models/model.json", "models/model.json");
    env.copy("data/leads.csv", "data/leads.csv");
    let run = env.run(&["score", "data/leads.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1001);
    assert!(run.stdout.starts_with(
        "lead_id,expected_return,expected_burden,expected_net,net_low,net_high,return_to_burden,tier,recommendation,reasons,warnings\n"
    ));
    assert!(
        run.stderr
            .starts_with("Scored 1,000 leads with the model trained "),
        "{}",
        run.stderr
    );
}

/// Parses a printed amount into integer units of its last decimal, so sums are exact.
fn units(s: &str) -> i64 {
    s.replace('.', "").parse().unwrap()
}

#[test]
fn printed_money_adds_up_exactly_on_every_row_and_in_the_summary() {
    let env = Env::new();
    env.copy("models/model.json", "models/model.json");
    env.copy("data/leads.csv", "data/leads.csv");
    for decimals in ["2", "0"] {
        let run = env.run(&["score", "data/leads.csv", "--decimals", decimals]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let rows = crate::util::csv_rows(&run.stdout);
        let mut contact = 0i64;
        for r in &rows[1..] {
            assert_eq!(units(&r[3]), units(&r[1]) - units(&r[2]), "row {r:?}");
            if r[8] == "contact" {
                contact += units(&r[3]);
            }
        }
        // The summary prints whole units: the exact total rounded.
        let scale = if decimals == "2" { 100.0 } else { 1.0 };
        let total = leadscore::economics::money(contact as f64 / scale, 0);
        assert!(
            run.stderr
                .contains(&format!("leads to contact: EUR {total}.")),
            "{}\nexpected total {total}",
            run.stderr
        );
    }
}

/// `gen_data` with its defaults writes the shipped sample files byte for byte, so the process
/// data/README.md describes is the one behind them.
#[test]
fn the_shipped_sample_data_is_what_the_generator_writes() {
    let mut customers = Vec::new();
    crate::story::write_customers(&mut customers, 3000, 42).unwrap();
    let mut leads = Vec::new();
    crate::story::write_leads(&mut leads, 1000, 42, |_, _| {}).unwrap();
    for (file, generated) in [("data/customers.csv", customers), ("data/leads.csv", leads)] {
        assert!(
            std::fs::read(repo(file)).unwrap() == generated,
            "{file} is not what `cargo run --release --example gen_data` writes"
        );
    }
}

#[test]
fn every_shipped_won_on_is_an_iso_date_of_2023_to_september_2026_or_blank() {
    let text = std::fs::read_to_string(repo("data/customers.csv")).unwrap();
    let rows = crate::util::csv_rows(&text);
    assert_eq!(rows[0][1], "won_on");
    let day = |s: &str| leadscore::io::date::parse_days(s).unwrap();
    let (first, end) = (day("2023-01-01"), day("2026-10-01"));
    let mut blank = 0;
    for r in &rows[1..] {
        if r[1].is_empty() {
            blank += 1;
            continue;
        }
        let d = leadscore::io::date::parse_days(&r[1])
            .unwrap_or_else(|| panic!("{}: won_on {:?} is not an ISO date", r[0], r[1]));
        assert!((first..end).contains(&d), "{}: won_on {}", r[0], r[1]);
        assert_eq!(leadscore::io::date::format_days(d), r[1]);
    }
    assert_eq!(blank, 6, "data/README.md lists six blank dates");
}
