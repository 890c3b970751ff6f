//! Components: each economics term predicted on its own. `score --components` writes every part
//! in money, adding up to the return and burden written, cent for cent, and in its column's
//! units; the parts' fits recover the sample generator's true effects per term (custom products
//! drive support hours, not sales hours); a log-scale side still adds up; an old model says how
//! to get components.

use crate::story;
use crate::util::{csv_rows, Env};

fn shipped_env() -> Env {
    let env = Env::new();
    env.copy("models/model.json", "models/model.json");
    env.copy("data/leads.csv", "data/leads.csv");
    env
}

/// "-1234.56" into integer cents.
fn cents(s: &str) -> i64 {
    let v: f64 = s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"));
    (v * 100.0).round() as i64
}

const PARTS: [&str; 16] = [
    "return_revenue",
    "return_cost_of_goods",
    "return_commissions",
    "return_word_of_mouth",
    "burden_sales_effort",
    "burden_support",
    "burden_complaints",
    "burden_unpaid_invoices",
    "expected_lifetime_revenue",
    "expected_cost_of_goods",
    "expected_commissions_paid",
    "expected_referral_revenue",
    "expected_sales_hours",
    "expected_support_hours",
    "expected_complaints",
    "expected_written_off",
];

/// Every lead's parts add up to the return and burden written; each unit column is its money
/// over the term's rate.
fn assert_parts_add_up(rows: &[Vec<String>], rates: &[f64; 8]) {
    let header = &rows[0];
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (ret, burden) = (at("expected_return"), at("expected_burden"));
    let first = at(PARTS[0]);
    assert!(rows.len() > 1);
    for row in &rows[1..] {
        let part = |k: usize| cents(&row[first + k]);
        assert_eq!((0..4).map(part).sum::<i64>(), cents(&row[ret]), "{row:?}");
        assert_eq!(
            (4..8).map(part).sum::<i64>(),
            cents(&row[burden]),
            "{row:?}"
        );
        for (k, rate) in rates.iter().enumerate() {
            let money: f64 = row[first + k].parse().unwrap();
            let units: f64 = row[first + 8 + k].parse().unwrap();
            // Units are rounded from the exact part, money apportioned to the cent: a cent apart.
            assert!(
                (units * rate - money).abs() <= 0.011 * rate.abs().max(1.0) + 1e-9,
                "{}: {units} × {rate} vs {money}",
                PARTS[8 + k]
            );
        }
    }
}

const RATES: [f64; 8] = [1.0, -1.0, -1.0, 0.25, 85.0, 55.0, 150.0, 1.0];

#[test]
fn score_components_add_up_to_return_and_burden_for_every_sample_lead() {
    let env = shipped_env();
    let run = env.run(&["score", "data/leads.csv", "--components"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows.len(), 1001);
    // The parts come after the standard columns, money first, then units.
    assert_eq!(&rows[0][11..27], &PARTS.map(String::from)[..]);
    assert_parts_add_up(&rows, &RATES);
    // Hours are never negative: each part keeps the sign its term had in training.
    let hours = rows[0]
        .iter()
        .position(|h| h == "expected_sales_hours")
        .unwrap();
    assert!(rows[1..]
        .iter()
        .all(|r| r[hours].parse::<f64>().unwrap() >= 0.0));
    // The other columns are exactly what `score` writes without the flag.
    let plain = csv_rows(&env.run(&["score", "data/leads.csv"]).stdout);
    for (a, b) in plain.iter().zip(&rows) {
        assert_eq!(&a[..], &b[..11]);
    }
}

/// A level's effect on a part in its units, from the model file: the difference of two levels'
/// coefficients (the reference level has none) over the term's rate.
fn level_gap(model: &serde_json::Value, part: usize, a: &str, b: &str, rate: f64) -> f64 {
    let cols: Vec<&str> = model["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let fit = &model["components"]["service_burden"][part];
    let coef = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .map_or(0.0, |j| fit["coefficients"][j].as_f64().unwrap())
    };
    (coef(a) - coef(b)) / rate
}

#[test]
fn the_parts_recover_the_generators_true_effects_per_term() {
    let model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::util::repo("models/model.json")).unwrap(),
    )
    .unwrap();
    let (sales, support) = (&story::SALES_HOURS, &story::SUPPORT_HOURS);
    // (level a, level b, true sales-hour gap, true support-hour gap, tolerance in hours).
    let cases = [
        (
            "product_interest=custom",
            "product_interest=basic",
            sales.product_interest[3] - sales.product_interest[0],
            support.product_interest[3] - support.product_interest[0],
        ),
        (
            "lead_source=outbound",
            "lead_source=referral",
            sales.lead_source[3] - sales.lead_source[0],
            support.lead_source[3] - support.lead_source[0],
        ),
        (
            "industry=hospitality",
            "industry=retail",
            sales.industry[6] - sales.industry[0],
            support.industry[6] - support.industry[0],
        ),
    ];
    for (a, b, true_sales, true_support) in cases {
        let got_sales = level_gap(&model, 0, a, b, 85.0);
        let got_support = level_gap(&model, 1, a, b, 55.0);
        // Hours of 20-60 per customer, a few thousand customers: within 4 sales hours and
        // within 10% (at least 8 hours) of support hours.
        assert!(
            (got_sales - true_sales).abs() <= 4.0,
            "{a} vs {b}: sales hours {got_sales:.1}, truth {true_sales}"
        );
        assert!(
            (got_support - true_support).abs() <= (0.1 * true_support.abs()).max(8.0),
            "{a} vs {b}: support hours {got_support:.1}, truth {true_support}"
        );
    }
    // Custom products cost support, not sales: ten times as many hours.
    assert!(
        level_gap(&model, 1, cases[0].0, cases[0].1, 55.0)
            > 5.0 * level_gap(&model, 0, cases[0].0, cases[0].1, 85.0)
    );
}

#[test]
fn on_a_linear_scale_the_parts_equations_add_up_to_their_sides() {
    let model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::util::repo("models/model.json")).unwrap(),
    )
    .unwrap();
    for (side, key) in [
        ("lifetime_return", "return_coefficient"),
        ("service_burden", "burden_coefficient"),
    ] {
        let parts = model["components"][side].as_array().unwrap();
        for (j, col) in model["columns"].as_array().unwrap().iter().enumerate() {
            let whole = col[key].as_f64().unwrap();
            let sum: f64 = parts
                .iter()
                .map(|p| p["coefficients"][j].as_f64().unwrap())
                .sum();
            assert!(
                (sum - whole).abs() <= 1e-9 * whole.abs().max(1.0),
                "{side} {j}"
            );
        }
        let intercept: f64 = parts.iter().map(|p| p["intercept"].as_f64().unwrap()).sum();
        let whole = model[side]["intercept"].as_f64().unwrap();
        assert!((intercept - whole).abs() <= 1e-9 * whole.abs());
    }
}

#[test]
fn on_a_log_scale_the_parts_still_add_up_to_the_side() {
    let env = shipped_env();
    env.copy("data/customers.csv", "data/customers.csv");
    let config = std::fs::read_to_string(crate::util::repo("leadscore.toml"))
        .unwrap()
        .replace("outcome_cap = 10", "outcome_cap = 10\ntransform = \"log\"");
    env.write("log.toml", config);
    let train = env.run(&[
        "train",
        "--history",
        "data/customers.csv",
        "--config",
        "log.toml",
        "--models",
        "log.json",
    ]);
    assert_eq!(train.code, 0, "{}", train.stderr);
    let model: serde_json::Value = serde_json::from_str(&env.read("log.json")).unwrap();
    assert!(
        model["service_burden"]["log_correction"].is_f64(),
        "burden on logs"
    );
    let run = env.run(&[
        "score",
        "data/leads.csv",
        "--model",
        "log.json",
        "--components",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_parts_add_up(&csv_rows(&run.stdout), &RATES);
}

#[test]
fn a_model_without_components_says_how_to_get_them() {
    let env = shipped_env();
    env.copy("tests/corpus/models/v3-shipped.json", "old.json");
    let run = env.run(&[
        "score",
        "data/leads.csv",
        "--model",
        "old.json",
        "--components",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: old.json: this model was trained by leadscore 0.1.0 and does not predict each economics term on its own; retrain it (`leadscore train` or `leadscore retrain`) to get components\n"
    );
}

#[test]
fn explain_lists_the_parts_adding_up_to_each_side_and_evaluate_judges_each_part() {
    let env = shipped_env();
    let run = env.run(&[
        "explain",
        "data/leads.csv",
        "--id",
        "L000081",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let parts = json["components"].as_array().unwrap();
    assert_eq!(parts.len(), 8);
    for (side, key) in [
        ("lifetime_return", "lifetime_return"),
        ("service_burden", "service_burden"),
    ] {
        let sum: f64 = parts
            .iter()
            .filter(|p| p["side"] == side)
            .map(|p| p["money"].as_f64().unwrap())
            .sum();
        let whole = json["expected"][key].as_f64().unwrap();
        assert!(
            (sum - whole).abs() < 1e-6 * whole.abs(),
            "{side}: {sum} vs {whole}"
        );
    }
    let hours = parts.iter().find(|p| p["column"] == "sales_hours").unwrap();
    assert!(
        (hours["units"].as_f64().unwrap() * 85.0 - hours["money"].as_f64().unwrap()).abs() < 1e-6
    );
    // The text: each side's parts as printed add up to the side as printed.
    let text = env
        .run(&["explain", "data/leads.csv", "--id", "L000081"])
        .stdout;
    let section: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("What the return and burden are made of"))
        .skip(1)
        .take(10)
        .collect();
    let money = |l: &str| -> i64 {
        let field = l
            .trim_start()
            .split_once("  ")
            .unwrap()
            .1
            .split_whitespace()
            .next()
            .unwrap();
        (field.replace(',', "").parse::<f64>().unwrap() * 100.0).round() as i64
    };
    assert!(
        section[4].trim_start().starts_with("expected return"),
        "{text}"
    );
    assert_eq!(
        (0..4).map(|i| money(section[i])).sum::<i64>(),
        money(section[4])
    );
    assert_eq!(
        (5..9).map(|i| money(section[i])).sum::<i64>(),
        money(section[9])
    );

    // evaluate: every part's own cross-validated figures; support hours are predictable,
    // unpaid invoices (written off at random in the generator) are not.
    // On customers the model never saw, each part as scored against the term as it turned out.
    env.copy("data/customers_2026q4.csv", "q4.csv");
    let run = env.run(&["evaluate", "--holdout", "q4.csv", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let parts = json["known"]["components"].as_array().unwrap();
    assert_eq!(parts.len(), 8);
    let support = parts.iter().find(|p| p["term"] == "support").unwrap();
    assert!(support["mae"].as_f64().unwrap() < support["baseline_mae"].as_f64().unwrap());
    env.copy("data/customers.csv", "data/customers.csv");
    let run = env.run(&[
        "evaluate",
        "--history",
        "data/customers.csv",
        "--config",
        &crate::util::repo("leadscore.toml").display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let parts = json["known"]["components"].as_array().unwrap();
    let r2 = |term: &str| {
        parts.iter().find(|p| p["term"] == term).unwrap()["r2"]
            .as_f64()
            .unwrap()
    };
    assert!(r2("support") > 0.5, "{}", r2("support"));
    assert!(r2("unpaid invoices") < 0.1, "{}", r2("unpaid invoices"));
    let sales = parts.iter().find(|p| p["term"] == "sales effort").unwrap();
    assert!(
        (sales["mae_units"].as_f64().unwrap() * 85.0 - sales["mae"].as_f64().unwrap()).abs() < 1e-6
    );
}
