//! Agreement with scikit-learn on real, messy data (IBM's Telco sample, tests/data/telco): the
//! same cross-validated R², the exact least-squares fitted values on a rank-deficient design, and
//! the 11 blank TotalCharges rows reported rather than dropped silently.

use std::collections::HashMap;

use crate::util::{csv_rows, repo, Env};

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
    let model: serde_json::Value = serde_json::from_str(&env.read("models/model.json")).unwrap();
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

    let r2 = model["validation"]["lifetime_return"]["r2_mean"]
        .as_f64()
        .unwrap();
    assert!((r2 - REFERENCE_CV_R2).abs() < 0.01, "CV R² {r2}");

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
    let ours: HashMap<String, f64> = csv_rows(&env.read("fitted.csv"))
        .into_iter()
        .skip(1)
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    let reference =
        std::fs::read_to_string(repo("tests/data/telco/reference_fitted_values.csv")).unwrap();
    let mut compared = 0;
    for row in csv_rows(&reference).into_iter().skip(1) {
        let want: f64 = row[2].parse().unwrap();
        let got = ours[&row[0]];
        let rel = (got - want).abs() / want.abs().max(1.0);
        assert!(rel < 1e-6, "{}: ours {got}, reference {want}", row[0]);
        compared += 1;
    }
    assert_eq!(compared, 7032);
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
    let r2 = model["validation"]["lifetime_return"]["r2_mean"]
        .as_f64()
        .unwrap();
    assert!((r2 - REFERENCE_CV_R2).abs() < 0.01, "CV R² {r2}");
    let mae = model["validation"]["lifetime_return"]["mae"]
        .as_f64()
        .unwrap();
    assert!((mae - 889.5).abs() < 15.0, "CV MAE {mae}");
}
