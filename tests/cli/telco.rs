//! Agreement with scikit-learn on real, messy data (IBM's Telco sample, tests/data/telco): the
//! same cross-validated R², the exact least-squares fitted values on a rank-deficient design, and
//! the 11 blank TotalCharges rows reported rather than dropped silently.

use std::collections::HashMap;

use crate::util::{csv_rows, repo, score_with_library, Env};

const REFERENCE_CV_R2: f64 = 0.7499;

fn train(env: &Env, config: &str) -> (String, serde_json::Value) {
    let run = env.run(&[
        "train",
        "--history",
        repo("tests/data/telco/Telco-Customer-Churn.csv")
            .to_str()
            .unwrap(),
        "--config",
        config,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let model: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    (run.stdout, model)
}

fn telco_config(env: &Env, penalty: &str) -> String {
    let text = std::fs::read_to_string(repo("tests/data/telco/telco.toml")).unwrap();
    let text = text.replace("penalty = 0", &format!("penalty = {penalty}"));
    env.write("telco.toml", text).to_str().unwrap().to_string()
}

#[test]
fn unpenalised_fit_reproduces_the_reference_least_squares_on_a_rank_deficient_design() {
    let env = Env::new();
    let config = telco_config(&env, "0");
    let (report, model) = train(&env, &config);

    // The seven "No internet service" / "No phone service" columns repeat another column.
    let redundant: Vec<&str> = model["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["redundant"] == true)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(redundant.len(), 7, "{redundant:?}");
    assert!(redundant.contains(&"MultipleLines=No phone service"));
    assert!(report.contains("Redundant columns (implied by earlier columns, so left out of the fit): MultipleLines=No phone service, OnlineSecurity=No internet service"));

    let r2 = model["validation"]["lifetime_return"]["unfloored_r2"]
        .as_f64()
        .unwrap();
    assert!((r2 - REFERENCE_CV_R2).abs() < 0.01, "CV R² {r2}");

    // The model's fitted values (baseline + contributions) are the least-squares fit.
    let reference_text =
        std::fs::read_to_string(repo("tests/data/telco/reference_fitted_values.csv")).unwrap();
    let reference: HashMap<String, f64> = csv_rows(&reference_text)
        .into_iter()
        .skip(1)
        .map(|r| (r[0].clone(), r[2].parse().unwrap()))
        .collect();
    let model = leadscore::model::registry::load(&env.path("models"))
        .unwrap()
        .0;
    let fitted: HashMap<String, f64> =
        score_with_library(&model, &repo("tests/data/telco/Telco-Customer-Churn.csv"))
            .1
            .into_iter()
            .map(|(id, s)| (id, s.targets[0] - s.floors[0]))
            .collect();
    for (id, want) in &reference {
        let got = fitted[id];
        assert!(
            (got - want).abs() / want.abs().max(1.0) < 1e-6,
            "{id}: ours {got}, reference {want}"
        );
    }

    // What `score` prints is the same, except that total charges cannot be negative: the few
    // customers the linear fit puts below zero are shown at zero, with the floor as a reason.
    let scored = env.run(&[
        "score",
        repo("tests/data/telco/Telco-Customer-Churn.csv")
            .to_str()
            .unwrap(),
        "--keep-order",
        "--decimals",
        "6",
        "-o",
        "fitted.csv",
    ]);
    assert_eq!(scored.code, 0, "{}", scored.stderr);
    let rows = csv_rows(&env.read("fitted.csv"));
    let mut floored = 0;
    for r in rows
        .iter()
        .skip(1)
        .filter(|r| reference.contains_key(&r[0]))
    {
        let want = reference[&r[0]];
        let got: f64 = r[1].parse().unwrap();
        assert!(
            (got - want.max(0.0)).abs() / want.abs().max(1.0) < 1e-6,
            "{}: printed {got}, reference {want}",
            r[0]
        );
        floored += usize::from(want < 0.0);
    }
    assert_eq!(rows.len() - 1, 7043);
    assert!(
        floored > 0,
        "the reference has negative fitted values, so some rows are floored"
    );
}

#[test]
fn blank_total_charges_are_reported_by_id_not_dropped_silently() {
    let env = Env::new();
    let config = telco_config(&env, "0");
    let (report, model) = train(&env, &config);
    assert_eq!(model["training"]["rows"], 7043);
    assert_eq!(model["training"]["rows_used"], 7032);
    assert!(
        report.starts_with("Trained on 7,032 of 7,043 customers in "),
        "{report}"
    );
    assert!(
        report.contains(
            "Left out 11 customers with a blank outcome: 4472-LVYGI (line 490, TotalCharges), "
        ),
        "{report}"
    );
    let csv = std::fs::read_to_string(repo("tests/data/telco/Telco-Customer-Churn.csv")).unwrap();
    let blanks: Vec<String> = csv_rows(&csv)
        .into_iter()
        .filter(|r| r[19].trim().is_empty())
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(blanks.len(), 11);
    for id in blanks {
        assert!(report.contains(&id), "{id} not reported");
    }
}

#[test]
fn penalty_chosen_by_cross_validation_agrees_with_the_reference_too() {
    let env = Env::new();
    let config = telco_config(&env, "\"auto\"");
    let (_, model) = train(&env, &config);
    let r2 = model["validation"]["lifetime_return"]["unfloored_r2"]
        .as_f64()
        .unwrap();
    assert!((r2 - REFERENCE_CV_R2).abs() < 0.01, "CV R² {r2}");
    // Showing the impossible negative predictions as zero can only bring scores closer.
    let shown = &model["validation"]["lifetime_return"];
    assert!(shown["r2"].as_f64().unwrap() >= r2, "{shown}");
    assert!(shown["mae"].as_f64().unwrap() < 889.5, "{shown}");
}
