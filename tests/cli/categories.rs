//! Category values as people type them: spellings that differ only in case or spaces are one
//! value (unless `features.match = "exact"`), aliases from the config name a value another way,
//! and a value never seen in training scores as the average customer, with a hint when it looks
//! like a misspelling.

use crate::util::{csv_rows, repo, Env, Run};

const HEADER: &str = "lead_id,industry,region,account_manager,employees,first_order_value\n";

/// The fixture's history and config, with `config` appended to the config and `history`
/// applied to the history text.
fn env_with(config: &str, history: impl Fn(String) -> String) -> Env {
    let env = Env::new();
    let toml = std::fs::read_to_string(repo("tests/fixtures/leadscore.toml")).unwrap();
    env.write("leadscore.toml", format!("{toml}{config}"));
    let text = std::fs::read_to_string(repo("tests/fixtures/history.csv")).unwrap();
    env.write("history.csv", history(text));
    env
}

fn ok(run: &Run) {
    assert_eq!(
        run.code, 0,
        "stderr: {}\nstdout: {}",
        run.stderr, run.stdout
    );
}

fn train(env: &Env) -> Run {
    let run = env.run(&["train", "--history", "history.csv"]);
    ok(&run);
    run
}

/// Scores `rows` (after the header) and returns the scored rows, header left out.
fn score(env: &Env, rows: &str) -> Vec<Vec<String>> {
    env.write("leads.csv", format!("{HEADER}{rows}"));
    let run = env.run(&["score", "leads.csv", "--keep-order"]);
    ok(&run);
    csv_rows(&run.stdout).split_off(1)
}

/// Replaces the first `n` occurrences of `from` in `text`.
fn replace_first(text: String, from: &str, to: &str, n: usize) -> String {
    text.replacen(from, to, n)
}

/// One lead's explanation as JSON.
fn explain(env: &Env, id: &str) -> serde_json::Value {
    let run = env.run(&["explain", "leads.csv", "--id", id, "--format", "json"]);
    ok(&run);
    serde_json::from_str(&run.stdout).unwrap()
}

/// The contribution part of feature `name` in an explanation.
fn part<'a>(e: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    e["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["feature"] == name)
        .unwrap()
}

#[test]
fn spellings_that_differ_in_case_or_spaces_score_as_the_value_itself() {
    let env = env_with("", |h| h.replace(",healthcare,", ",health care,"));
    train(&env);
    let rows = score(
        &env,
        "L1,software,north,Müller,40,2000\n\
         L2,Software,north,Müller,40,2000\n\
         L3,SOFTWARE,north,Müller,40,2000\n\
         L4,  software ,North,MÜLLER,40,2000\n\
         L5,health care,south,Nowak,40,2000\n\
         L6,Health  Care,SOUTH,nowak,40,2000\n",
    );
    for (a, b) in [(0, 1), (0, 2), (0, 3), (4, 5)] {
        // Return, burden, net, interval, ratio, tier, recommendation.
        assert_eq!(
            rows[a][1..9],
            rows[b][1..9],
            "{:?} vs {:?}",
            rows[a],
            rows[b]
        );
        assert_eq!(rows[b][10], "", "no warning: {:?}", rows[b]);
    }
    // The reasons say which value another spelling was read as.
    let e = {
        let e = explain(&env, "L2");
        part(&e, "industry").clone()
    };
    assert_eq!(e["value"], "Software");
    assert_eq!(e["scored_as"], "software");
}

#[test]
fn exact_matching_keeps_spellings_apart() {
    let env = env_with("", |h| h);
    let toml = env.read("leadscore.toml").replace(
        "log = [\"employees\"]",
        "log = [\"employees\"]\nmatch = \"exact\"",
    );
    env.write("leadscore.toml", toml);
    train(&env);
    let model: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    assert_eq!(model["schema"]["features"][0]["matching"], "exact");
    let rows = score(
        &env,
        "L1,software,north,Müller,40,2000\n\
         L2,Software,north,Müller,40,2000\n",
    );
    assert_ne!(rows[0][3], rows[1][3]);
    assert_eq!(
        rows[1][10],
        "industry \"Software\" not seen in training, scored as the average; did you mean \"software\"?"
    );
}

#[test]
fn training_merges_spellings_into_the_most_common_and_says_so() {
    let clean = env_with("", |h| h);
    train(&clean);
    let messy = env_with("", |h| {
        let h = replace_first(h, ",software,", ",Software,", 2);
        replace_first(h, ",software,", ",\"SOFTWARE \",", 1)
    });
    let run = train(&messy);
    assert!(
        run.stdout
            .contains("industry: read \"Software\", \"SOFTWARE\" as \"software\".\n"),
        "{}",
        run.stdout
    );
    // The same model as from the clean history: one level, the most common spelling.
    let model =
        |env: &Env| -> serde_json::Value { serde_json::from_str(&env.model("models")).unwrap() };
    assert_eq!(model(&messy)["columns"], model(&clean)["columns"]);
    assert_eq!(
        model(&messy)["schema"]["features"],
        model(&clean)["schema"]["features"]
    );
    assert_eq!(
        model(&messy)["schema"]["features"][0]["matching"],
        "normalized"
    );
    // And the JSON report lists the merge in full.
    let json = messy.run(&["train", "--history", "history.csv", "--format", "json"]);
    ok(&json);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["merged"],
        serde_json::json!([{
            "feature": "industry",
            "value": "software",
            "customers": 17,
            "spellings": [
                {"value": "Software", "customers": 2},
                {"value": "SOFTWARE", "customers": 1},
            ],
        }])
    );
    // Nothing was merged in the clean history, and the report says nothing.
    assert!(!train(&clean).stdout.contains("merged"));
}

#[test]
fn an_alias_maps_to_its_value_in_training_and_scoring_without_the_config() {
    let env = env_with(
        "\n[features.aliases.industry]\n\"Software & IT\" = \"software\"\n",
        |h| replace_first(h, ",software,", ",Software & IT,", 3),
    );
    let run = train(&env);
    assert!(
        run.stdout
            .contains("industry: read \"Software & IT\" as \"software\".\n"),
        "{}",
        run.stdout
    );
    let model: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    let industry = &model["schema"]["features"][0];
    assert_eq!(
        industry["aliases"],
        serde_json::json!({"Software & IT": "software"})
    );
    let levels: Vec<&str> = industry["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["value"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["healthcare", "retail", "software"]);
    // Scoring reads the alias from the model, not the config.
    std::fs::remove_file(env.path("leadscore.toml")).unwrap();
    let rows = score(
        &env,
        "L1,software,north,Müller,40,2000\n\
         L2,software & it,north,Müller,40,2000\n\
         L3,Software & IT,north,Müller,40,2000\n",
    );
    assert_eq!(rows[0][1..9], rows[1][1..9]);
    assert_eq!(rows[0][1..9], rows[2][1..9]);
    assert_eq!(rows[2][10], "");
    let e = explain(&env, "L3");
    let industry = part(&e, "industry");
    assert_eq!(
        (&industry["value"], &industry["scored_as"]),
        (&"Software & IT".into(), &"software".into())
    );
}

#[test]
fn a_value_never_seen_in_training_scores_as_the_average_customer() {
    // Linear targets, so each feature's part in money is its own, whatever the others do.
    let env = env_with("", |h| h);
    let toml = env
        .read("leadscore.toml")
        .replace("[model]\n", "[model]\ntransform = \"linear\"\n");
    env.write("leadscore.toml", toml);
    train(&env);
    let rows = score(
        &env,
        "L1,software,north,Müller,40,2000\n\
         L2,Sofware,north,Müller,40,2000\n\
         L3,aerospace,north,Müller,40,2000\n",
    );
    // Warnings, pinned: with a near miss and without.
    assert_eq!(
        rows[1][10],
        "industry \"Sofware\" not seen in training, scored as the average; did you mean \"software\"?"
    );
    assert_eq!(
        rows[2][10],
        "industry \"aerospace\" not seen in training, scored as the average"
    );
    // A zero contribution is no reason.
    assert!(!rows[1][9].contains("industry"), "{:?}", rows[1]);
    let known = explain(&env, "L1");
    for id in ["L2", "L3"] {
        let e = explain(&env, id);
        let industry = part(&e, "industry");
        for key in ["lifetime_return", "service_burden", "net"] {
            assert_eq!(industry[key], 0.0, "{id} {key}");
        }
        assert_eq!(industry["scored_as"], "(average)");
        assert_eq!(
            industry["label"],
            format!(
                "industry = {} (as the average)",
                industry["value"].as_str().unwrap()
            )
        );
        // Every other feature's part is the same as for the known lead: only industry moved,
        // to the average, so the net value is the known lead's less software's effect.
        for name in [
            "region",
            "account_manager",
            "employees",
            "first_order_value",
        ] {
            assert_eq!(
                part(&e, name)["net"],
                part(&known, name)["net"],
                "{id} {name}"
            );
        }
        let software = part(&known, "industry")["net"].as_f64().unwrap();
        let net = e["expected"]["net"].as_f64().unwrap();
        let want = known["expected"]["net"].as_f64().unwrap() - software;
        assert!((net - want).abs() < 1e-6, "{id}: {net} vs {want}");
        assert!(software.abs() > 1.0, "software has an effect: {software}");
    }
}

#[test]
fn a_model_written_before_matching_existed_matches_exactly_and_still_scores() {
    // The shipped model as written before matching existed (it was; should it be retrained, the
    // new fields are taken out again): it loads, matches as it always did (exactly), and scores
    // the shipped leads.
    let text = std::fs::read_to_string(repo("models/model.json")).unwrap();
    let mut model: serde_json::Value = serde_json::from_str(&text).unwrap();
    for f in model["schema"]["features"].as_array_mut().unwrap() {
        let f = f.as_object_mut().unwrap();
        f.remove("matching");
        f.remove("aliases");
    }
    let env = Env::new();
    env.write("models/model.json", crate::util::model_text(&model));
    env.copy("data/leads.csv", "data/leads.csv");
    let run = env.run(&["score", "data/leads.csv"]);
    ok(&run);
    assert_eq!(run.stdout.lines().count(), 1001);
    env.write(
        "leads.csv",
        "lead_id,industry,region,employees,annual_revenue,lead_source,product_interest,first_order_value\n\
         L1,retail,west,40,5000000,web,basic,2000\n\
         L2,Retail,west,40,5000000,web,basic,2000\n",
    );
    let run = env.run(&["score", "leads.csv", "--keep-order"]);
    ok(&run);
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows[1][10], "");
    assert_eq!(
        rows[2][10],
        "industry \"Retail\" not seen in training, scored as the average; did you mean \"retail\"?"
    );
}

#[test]
fn a_model_file_whose_matching_is_inconsistent_is_refused() {
    let env = env_with("", |h| h);
    train(&env);
    let text = env.model("models");
    let mut model: serde_json::Value = serde_json::from_str(&text).unwrap();
    // A level renamed to another spelling of the one before it: which would a lead match?
    let levels = model["schema"]["features"][0]["levels"]
        .as_array_mut()
        .unwrap();
    let first = levels[0]["value"].as_str().unwrap().to_string();
    let shouted = first.to_uppercase();
    levels[1]["value"] = shouted.clone().into();
    env.write("bad.json", crate::util::model_text(&model));
    env.write(
        "leads.csv",
        format!("{HEADER}L1,retail,north,Müller,40,2000\n"),
    );
    let run = env.run(&["score", "leads.csv", "--model", "bad.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!("error: bad.json: corrupt model file: feature \"industry\": \"{first}\" and \"{shouted}\" are the same value when matching ignores case and spaces\n")
    );
    let mut model: serde_json::Value = serde_json::from_str(&text).unwrap();
    model["schema"]["features"][0]["aliases"] = serde_json::json!({"IT": "computing"});
    env.write("bad.json", crate::util::model_text(&model));
    let run = env.run(&["score", "leads.csv", "--model", "bad.json"]);
    assert_eq!(
        run.stderr,
        "error: bad.json: corrupt model file: feature \"industry\": alias \"IT\" stands for \"computing\", which is neither a level nor a pooled value\n"
    );
}

#[test]
fn aliases_of_a_feature_that_is_not_categorical_are_a_config_error_naming_the_line() {
    let env = env_with(
        "\n[features.aliases.industy]\n\"IT\" = \"software\"\n",
        |h| h,
    );
    let run = env.run(&["train", "--history", "history.csv"]);
    assert_eq!(run.code, 2);
    let line = env.read("leadscore.toml").lines().count() - 1;
    assert_eq!(
        run.stderr,
        format!("error: leadscore.toml:{line}: features.aliases names \"industy\", which is not in features.categorical; did you mean \"industry\"?\n")
    );
}

#[test]
fn an_alias_to_a_value_no_customer_has_is_a_warning_naming_what_it_renamed() {
    // A typo in an alias's target renames a whole level: the model would learn "retial".
    let env = env_with(
        "\n[features.aliases.industry]\nretail = \"retial\"\n",
        |h| h,
    );
    let run = train(&env);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("warning: no customer has industry \"retial\" itself"))
        .unwrap_or_else(|| panic!("{}", run.stdout))
        .to_string();
    assert!(
        line.starts_with(
            "warning: no customer has industry \"retial\" itself: an alias read \"retail\" ("
        ) && line.ends_with(
            " customers) as it; if that was not meant, check [features.aliases.industry]."
        ),
        "{line}"
    );
    // A plain alias of other spellings says nothing of the kind.
    let env = env_with(
        "\n[features.aliases.industry]\n\"Software & IT\" = \"software\"\n",
        |h| replace_first(h, ",software,", ",Software & IT,", 3),
    );
    assert!(!train(&env).stdout.contains("no customer has"));
}

/// The sample history with one more categorical feature, `extra`, customer `i` holding
/// `value(i)`, and the sample config told about it (plus `model`, appended to `[model]`).
fn sample_with_extra(value: impl Fn(usize) -> String, model: &str) -> Env {
    let env = Env::new();
    let text = std::fs::read_to_string(repo("data/customers.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let extra = if i == 0 { "extra".into() } else { value(i) };
        out.push_str(&format!("{line},{extra}\n"));
    }
    env.write("history.csv", out);
    let toml = std::fs::read_to_string(repo("leadscore.toml")).unwrap();
    let toml = toml
        .replace(
            "categorical = [\"industry\", \"region\", \"lead_source\", \"product_interest\"]",
            "categorical = [\"industry\", \"region\", \"lead_source\", \"product_interest\", \"extra\"]",
        )
        .replace("[model]\n", &format!("[model]\n{model}"));
    assert!(toml.contains("\"extra\"]"));
    env.write("leadscore.toml", toml);
    env
}

#[test]
fn a_feature_with_a_value_per_customer_is_refused_as_an_id_or_free_text() {
    let env = sample_with_extra(|i| format!("buyer{i}@example.com"), "");
    let run = env.run(&["train", "--history", "history.csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: history.csv: column \"extra\" (a categorical feature) has 3,000 different values among 3,000 customers with a value: it is probably an id or free text, which cannot tell one lead from another; drop it from [features] (or group its values into fewer categories)\n"
    );
    assert!(!env.exists("models"));
}

#[test]
fn beyond_max_levels_the_least_common_values_are_pooled_with_a_warning() {
    // 150 values of 20 customers each: common enough to be levels, more than the limit of 40.
    let env = sample_with_extra(|i| format!("city{:03}", i % 150), "max_levels = 40\n");
    let run = env.run(&["train", "--history", "history.csv"]);
    ok(&run);
    assert!(
        run.stdout.contains("warning: extra has 150 values with at least 20 customers each; the 40 most common are its levels and the other 110 (2,200 customers) are pooled into (other), since training time grows with the cube of the levels. Raise model.max_levels (at most 2000) to keep more, or group the values into fewer categories.\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("extra values pooled into (other), the rare ones (fewer than 20 customers each) and those beyond model.max_levels: city040 (20), city041 (20),"));
    assert!(run
        .stdout
        .contains(" and 90 more (all in the JSON report).\n"));
    let model: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    let extra = &model["schema"]["features"][4];
    assert_eq!(extra["name"], "extra");
    // 40 levels and (other); the 110 pooled values still score as (other).
    assert_eq!(extra["levels"].as_array().unwrap().len(), 41);
    assert_eq!(extra["pooled"].as_array().unwrap().len(), 110);
    assert_eq!(model["config"]["model"]["max_levels"], 40);
}
