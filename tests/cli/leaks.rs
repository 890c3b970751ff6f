//! Leaks and the config a model was trained with: a history column the leads lack is kept out
//! of a guessed config, refused by `train --leads` before fitting, flagged when it alone predicts
//! an outcome, and explained when `score` cannot find it; `evaluate --history` reuses the
//! model's own config; `--model` and `--models` are both accepted wherever models are read or
//! written.

use crate::util::{repo, Env};

/// 90 past customers in which `months_active` (known only after the relationship) sets
/// lifetime revenue almost exactly; size and industry matter a little, region not at all.
fn leaky_history() -> String {
    let mut csv = String::from(
        "customer_id,industry,region,employees,months_active,lifetime_revenue,support_hours\n",
    );
    for i in 0..90usize {
        let industry = ["retail", "software", "healthcare"][i % 3];
        let region = ["north", "south"][(i / 3) % 2];
        let employees = 5 + (i * 37) % 300;
        let months = 1 + (i * 17) % 60;
        let revenue = months as f64 * 250.0
            + employees as f64 * 3.0
            + (i % 3) as f64 * 200.0
            + ((i * 13) % 11) as f64 * 250.0;
        let support = 5.0 + (employees as f64).ln() * 3.0 + ((i * 7) % 5) as f64;
        csv.push_str(&format!(
            "C{i:03},{industry},{region},{employees},{months},{revenue:.2},{support:.1}\n"
        ));
    }
    csv
}

/// Leads as they arrive: what is known before contact, so no `months_active`.
const LEADS: &str = "lead_id,industry,region,employees\n\
                     L1,retail,north,12\n\
                     L2,software,south,250\n\
                     L3,healthcare,north,40\n";

/// A config for the leaky history; `features` is the `[features]` body.
fn config(features: &str) -> String {
    format!(
        "currency = \"EUR\"\n\
         [columns]\nid = \"customer_id\"\nlead_id = \"lead_id\"\n\
         [features]\n{features}\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"lifetime_revenue\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"support_hours\"\nrate = 50\n\
         [model]\nfolds = 3\nwinsorize = false\n"
    )
}

const LEAKY_FEATURES: &str =
    "categorical = [\"industry\", \"region\"]\nnumeric = [\"employees\", \"months_active\"]";
const CLEAN_FEATURES: &str = "categorical = [\"industry\", \"region\"]\nnumeric = [\"employees\"]";

fn leaky_env() -> Env {
    let env = Env::new();
    env.write("history.csv", leaky_history());
    env.write("leads.csv", LEADS);
    env.write("leaky.toml", config(LEAKY_FEATURES));
    env.write("clean.toml", config(CLEAN_FEATURES));
    env
}

fn warnings(stdout: &str) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
    report["warnings"].as_array().unwrap().clone()
}

/// Runs `train` on history.csv with `config` and `extra` arguments.
fn train(env: &Env, config: &str, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["train", "--history", "history.csv", "--config", config];
    args.extend(extra);
    env.run(&args)
}

#[test]
fn init_from_with_leads_leaves_out_the_history_columns_the_leads_lack_and_says_so() {
    let env = leaky_env();
    let run = env.run(&[
        "init",
        "--from",
        "history.csv",
        "--leads",
        "leads.csv",
        "-o",
        "guess.toml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "Wrote guess.toml.\n  \
         from 90 rows: id customer_id, 2 categorical and 2 numeric features, 2 outcome columns\n  \
         not in leads.csv, so left out of [features] (what leads lack cannot be known before contact): months_active; [features] keeps 2 categorical and 1 numeric\n  \
         lead id: lead_id (from leads.csv)\n\
         Check every line marked CHECK, then run `leadscore train --history FILE`.\n"
    );
    let text = env.read("guess.toml");
    assert!(
        text.lines()
            .any(|l| l
                == "# not used: months_active (not in leads.csv, so not known before contact)"),
        "{text}"
    );
    let c = leadscore::config::Config::load(&env.path("guess.toml")).unwrap();
    let names: Vec<&str> = c.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["industry", "region", "employees"]);
    assert_eq!(c.lead_id, "lead_id");
    // Without --leads the same history proposes months_active: the lead list is what tells.
    let run = env.run(&["init", "--from", "history.csv", "-o", "all.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = leadscore::config::Config::load(&env.path("all.toml")).unwrap();
    assert!(c.features.iter().any(|f| f.name == "months_active"));
    // And the guessed config trains, checked against the leads, and scores them.
    let run = train(&env, "guess.toml", &["--leads", "leads.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = env.run(&["score", "leads.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn train_with_leads_refuses_a_lead_list_missing_a_feature_before_fitting() {
    let env = leaky_env();
    let run = train(&env, "leaky.toml", &["--leads", "leads.csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: leads.csv: no column \"months_active\" (a feature in the config); the header has: lead_id, industry, region, employees; add the column to the lead list, or remove months_active from [features] (a column the leads lack cannot be known before contact)\n"
    );
    assert!(run.stdout.is_empty());
    assert!(!env.exists("models"), "a model was written");

    // The lead id column is checked too.
    env.write("no_id.csv", LEADS.replace("lead_id,", "ref,"));
    let run = train(&env, "clean.toml", &["--leads", "no_id.csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: no_id.csv: no column \"lead_id\" (the lead id column); the header has: ref, industry, region, employees; add it to the lead list, or set lead_id under [columns] to the lead list's id column\n"
    );

    let run = train(&env, "clean.toml", &["--leads", "leads.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.exists("models/v0001/model.json"));
}

#[test]
fn a_feature_that_alone_predicts_revenue_is_named_as_a_likely_leak_and_the_sample_data_is_not() {
    let env = leaky_env();
    let run = train(&env, "leaky.toml", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "\nwarning: months_active alone predicts lifetime return with cross-validated R² 0.96: it may be known only after the relationship (a leak); if leads do not have it, remove it from [features].\n"
        ),
        "{}",
        run.stdout
    );
    let run = train(&env, "leaky.toml", &["--format", "json"]);
    let leaks: Vec<serde_json::Value> = warnings(&run.stdout)
        .into_iter()
        .filter(|w| w["kind"] == "likely_leak")
        .collect();
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    assert_eq!(leaks[0]["feature"], "months_active");
    assert_eq!(leaks[0]["target"], "lifetime return");
    assert!(leaks[0]["r2"].as_f64().unwrap() > 0.9);
    assert!(leaks[0]["correlation"].as_f64().unwrap() > 0.95);

    // Without it, nothing else is flagged.
    let run = train(&env, "clean.toml", &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        warnings(&run.stdout)
            .iter()
            .all(|w| w["kind"] != "likely_leak"),
        "{}",
        run.stdout
    );

    // The shipped sample and the Telco data have no leak.
    let env = Env::new();
    env.copy("leadscore.toml", "leadscore.toml");
    env.copy("data/customers.csv", "data/customers.csv");
    env.copy("tests/data/telco/telco.toml", "telco.toml");
    let telco = repo("tests/data/telco/Telco-Customer-Churn.csv");
    for args in [
        vec!["train", "--history", "data/customers.csv"],
        vec![
            "train",
            "--history",
            telco.to_str().unwrap(),
            "--config",
            "telco.toml",
        ],
    ] {
        let mut args = args;
        args.extend(["--format", "json", "--models", "scratch"]);
        let run = env.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            warnings(&run.stdout)
                .iter()
                .all(|w| w["kind"] != "likely_leak"),
            "{args:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn score_explain_and_evaluate_say_how_to_fix_a_missing_feature() {
    let env = leaky_env();
    let run = train(&env, "leaky.toml", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let message = "error: leads.csv: no column \"months_active\" (a feature the model uses); the header has: lead_id, industry, region, employees; add the column to the lead list, or remove months_active from [features] and retrain\n";
    for args in [
        vec!["score", "leads.csv"],
        vec!["explain", "leads.csv", "--id", "L1"],
        vec!["evaluate", "--leads", "leads.csv"],
    ] {
        let run = env.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, message, "{args:?}");
    }
}

/// The cross-validated figures of an `evaluate --history` JSON report.
fn known(stdout: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(stdout).unwrap();
    v["known"].take()
}

#[test]
fn evaluate_history_cross_validates_with_the_config_the_model_was_trained_with() {
    let env = leaky_env();
    env.write("settings/custom.toml", config(CLEAN_FEATURES));
    let run = train(&env, "settings/custom.toml", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // No leadscore.toml here: the model's own config is used.
    let own = env.run(&["evaluate", "--history", "history.csv", "--format", "json"]);
    assert_eq!(own.code, 0, "{}", own.stderr);
    let given = env.run(&[
        "evaluate",
        "--history",
        "history.csv",
        "--config",
        "settings/custom.toml",
        "--format",
        "json",
    ]);
    assert_eq!(given.code, 0, "{}", given.stderr);
    assert_eq!(known(&own.stdout), known(&given.stdout));
    let settings: serde_json::Value = serde_json::from_str(&own.stdout).unwrap();
    assert_eq!(
        settings["settings"],
        serde_json::json!({
            "model": "models/v0001/model.json",
            "trained_at": "2026-09-21T14:13:20Z",
            "config": "settings/custom.toml"
        })
    );

    // A leadscore.toml that differs (4 folds, months_active in) does not change what is
    // evaluated: the deployed model's settings win unless --config says otherwise.
    env.write(
        "leadscore.toml",
        config(LEAKY_FEATURES).replace("folds = 3", "folds = 4"),
    );
    let text = env.run(&["evaluate", "--history", "history.csv"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.starts_with(
            "Cross-validated with the settings of models/v0001/model.json (trained 2026-09-21T14:13:20Z with settings/custom.toml).\n\
             Evaluated on 90 customers of history.csv, each predicted by a 3-fold cross-validation model that never saw it; money in EUR.\n"
        ),
        "{}",
        text.stdout
    );
    let explicit = env.run(&[
        "evaluate",
        "--history",
        "history.csv",
        "--config",
        "leadscore.toml",
    ]);
    assert!(
        explicit.stdout.starts_with(
            "Cross-validated with the settings of leadscore.toml.\n\
             Evaluated on 90 customers of history.csv, each predicted by a 4-fold"
        ),
        "{}",
        explicit.stdout
    );

    // The stored config is checked on load like the rest of the model file.
    let mut edited: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    edited["config"]["model"]["folds"] = 1.into();
    env.write("edited/model.json", crate::util::model_text(&edited));
    let run = env.run(&["evaluate", "--history", "history.csv", "--model", "edited"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: edited/model.json: corrupt model file: config: folds must be between 2 and 50, got 1\n"
    );

    // A model written before models kept their config: leadscore.toml, with a note.
    let mut old: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    old.as_object_mut().unwrap().remove("config");
    env.write("old/model.json", crate::util::model_text(&old));
    let run = env.run(&["evaluate", "--history", "history.csv", "--model", "old"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "Cross-validated with the settings of leadscore.toml.\n\
             Note: old/model.json does not record the config it was trained with (it was trained by an earlier leadscore), so leadscore.toml was used; retrain it, or pass --config.\n\
             Evaluated on 90 customers of history.csv, each predicted by a 4-fold"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn model_and_models_are_both_accepted_wherever_models_are_read_or_written() {
    let env = leaky_env();
    // train --model FILE.json writes that file; --models DIR writes version 1 of a registry.
    let run = train(&env, "clean.toml", &["--model", "out/v2.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::path::Path::new(&env.path("out/v2.json")).is_file());
    assert!(
        run.stdout.contains("Model saved to out/v2.json."),
        "{}",
        run.stdout
    );
    let run = train(&env, "clean.toml", &["--models", "dir"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.exists("dir/v0001/model.json"));

    for spelling in ["--model", "--models"] {
        for (args, target) in [
            (vec!["score", "leads.csv"], "dir"),
            (vec!["score", "leads.csv"], "out/v2.json"),
            (vec!["explain", "leads.csv", "--id", "L2"], "dir"),
            (vec!["evaluate", "--leads", "leads.csv"], "out/v2.json"),
            (vec!["evaluate", "--history", "history.csv"], "dir"),
        ] {
            let mut args = args;
            args.extend([spelling, target]);
            let run = env.run(&args);
            assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        }
    }
}
