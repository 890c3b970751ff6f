//! `train --format json`: standard output is one JSON document and nothing else, it holds every
//! figure the text report shows (each text line is rebuilt here from the JSON alone), and its
//! figures are the ones saved in the model file.

use serde_json::Value;

use crate::commands::{fixture, fixture_env, succeeded, CONFIG, HISTORY};
use crate::util::Env;

/// Trains twice on the same data, as text into `text/` and as JSON into `json/`; returns the
/// text report, the parsed JSON report and the model file.
fn train_both(env: &Env, history: &str, config: &str) -> (String, Value, Value) {
    let args = |dir: &str| {
        vec![
            "train",
            "--history",
            history,
            "--config",
            config,
            "--models",
        ]
        .into_iter()
        .chain([dir])
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let text_args = args("text");
    let text = env.run(&text_args.iter().map(String::as_str).collect::<Vec<_>>());
    succeeded(&text);
    let mut json_args = args("json");
    json_args.extend(["--format".into(), "json".into()]);
    let json = env.run(&json_args.iter().map(String::as_str).collect::<Vec<_>>());
    succeeded(&json);
    // Whatever goes to standard error goes there in both forms; standard output is the JSON.
    assert_eq!(json.stderr, text.stderr);
    let report: Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", json.stdout));
    assert!(report.is_object(), "{report}");
    // The format changes the report only, never the model.
    assert_eq!(env.model("json"), env.model("text"));
    let model: Value = serde_json::from_str(&env.model("json")).unwrap();
    (text.stdout, report, model)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn int(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not a whole number: {v}"))
}

fn string(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}"))
}

/// Whole units with thousands separators, as the report writes amounts and counts.
fn whole(v: f64) -> String {
    leadscore::economics::money(v, 0)
}

fn r2(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

/// `a, b and 3 more`.
fn listing(shown: Vec<String>, total: usize) -> String {
    let more = total - shown.len();
    let names = shown.join(", ");
    if more > 0 {
        format!("{names} and {} more", whole(more as f64))
    } else {
        names
    }
}

/// The figures the JSON report shares with the model file are the model file's.
fn agrees_with_the_model(report: &Value, model: &Value, dir: &str) {
    assert_eq!(report["validation"], model["validation"]);
    assert_eq!(
        report["validation"]["net_value"]["r2"],
        model["validation"]["net_value"]["r2"]
    );
    assert_eq!(report["decisions"], model["decisions"]);
    assert_eq!(report["currency"], model["currency"]);
    for key in ["level", "scale_base", "scale_slope", "lower", "upper"] {
        assert_eq!(report["interval"][key], model["interval"][key], "{key}");
    }
    assert_eq!(
        report["penalties"]["lifetime_return"],
        model["lifetime_return"]["penalty"]
    );
    assert_eq!(
        report["penalties"]["service_burden"],
        model["service_burden"]["penalty"]
    );
    let (data, training) = (&report["data"], &model["training"]);
    assert_eq!(data["file"], training["file"]);
    assert_eq!(data["sha256"], training["sha256"]);
    assert_eq!(data["rows_read"], training["rows"]);
    assert_eq!(data["rows_used"], training["rows_used"]);
    assert_eq!(
        int(&data["rows_read"]) - int(&data["rows_used"]),
        list(&data["excluded"]).len() as u64
    );
    let redundant: Vec<&Value> = list(&model["columns"])
        .iter()
        .filter(|c| c["redundant"] == true)
        .map(|c| &c["name"])
        .collect();
    assert_eq!(
        list(&report["redundant_columns"])
            .iter()
            .collect::<Vec<_>>(),
        redundant
    );
    assert_eq!(
        int(&report["model_columns"]),
        list(&model["columns"]).len() as u64
    );
    assert_eq!(
        string(&report["model_file"]),
        format!("{dir}/v0001/model.json")
    );
    assert_eq!(string(&report["version"]["version"]), "v0001");
}

/// The text report, rebuilt line by line from the JSON report alone.
fn text_from_json(r: &Value) -> Vec<String> {
    let cur = string(&r["currency"]);
    let d = &r["data"];
    let v = &r["validation"];
    let mut out = vec![format!(
        "Trained on {} of {} customers in {} (sha256 {}).",
        whole(num(&d["rows_used"])),
        whole(num(&d["rows_read"])),
        string(&d["file"]),
        &string(&d["sha256"])[..12]
    )];
    let excluded = list(&d["excluded"]);
    if !excluded.is_empty() {
        for e in excluded {
            assert_eq!(e["reason"], "blank outcome");
        }
        let shown = excluded
            .iter()
            .take(20)
            .map(|e| {
                format!(
                    "{} (line {}, {})",
                    string(&e["id"]),
                    e["line"],
                    string(&e["column"])
                )
            })
            .collect();
        out.push(format!(
            "Left out {} customer{} with a blank outcome: {}.",
            whole(excluded.len() as f64),
            if excluded.len() == 1 { "" } else { "s" },
            listing(shown, excluded.len())
        ));
    }
    out.push(String::new());
    out.push(format!(
        "Cross-validated on {} folds (seed {}), money in {cur}:",
        v["folds"], v["seed"]
    ));
    out.push(String::new());
    out.push("target            penalty        R² (± sd)          MAE         RMSE   mean R²     mean MAE    mean RMSE".into());
    let p = &r["penalties"];
    for (name, key, penalty) in [
        (
            "lifetime return",
            "lifetime_return",
            Some(&p["lifetime_return"]),
        ),
        (
            "service burden",
            "service_burden",
            Some(&p["service_burden"]),
        ),
        ("net value", "net_value", None),
    ] {
        let m = &v[key];
        let spread = match (m["r2"].as_f64(), m["r2_sd"].as_f64()) {
            (Some(a), Some(b)) => format!("{a:.3} ± {b:.3}"),
            (Some(a), None) => format!("{a:.3}"),
            _ => "n/a".into(),
        };
        out.push(format!(
            "{name:<16} {:>8}  {spread:>15} {:>12} {:>12}   {:>7} {:>12} {:>12}",
            penalty.map_or_else(|| "-".into(), |p| num(p).to_string()),
            whole(num(&m["mae"])),
            whole(num(&m["rmse"])),
            r2(&m["baseline_r2"]),
            whole(num(&m["baseline_mae"])),
            whole(num(&m["baseline_rmse"])),
        ));
    }
    let search = list(&v["penalty_search"]);
    let scales = list(&v["scale_choice"]);
    if search.len() > 1 {
        out.push(String::new());
        out.push(format!(
            "Penalty search (cross-validated RMSE in {cur} of the linear fits; * = chosen):"
        ));
        // The stars mark each target's linear fit (a log fit's penalty is on the Scale line).
        let fitted = [&p["lifetime_return"], &p["service_burden"]];
        let chosen = |t: usize| num(scales.get(t).map_or(fitted[t], |c| &c["linear_penalty"]));
        for trial in search {
            let star = |t: usize| {
                if num(&trial["penalty"]) == chosen(t) {
                    "*"
                } else {
                    " "
                }
            };
            let line = format!(
                "  {:>8}   return {:>12}{}   burden {:>12}{}",
                num(&trial["penalty"]),
                whole(num(&trial["return_rmse"])),
                star(0),
                whole(num(&trial["burden_rmse"])),
                star(1)
            );
            out.push(line.trim_end().to_string());
        }
    }
    if !scales.is_empty() {
        let described: Vec<String> = scales
            .iter()
            .map(|c| {
                let target = string(&c["target"]);
                let how = if c["forced"] == true {
                    "set by model.transform"
                } else {
                    "chosen"
                };
                let glm = c["glm_rmse"]
                    .as_f64()
                    .map(|g| format!(" and {} with a log link", whole(g)))
                    .unwrap_or_default();
                match (
                    c["linear_rmse"].as_f64(),
                    c["log_rmse"].as_f64(),
                    c["glm_rmse"].as_f64(),
                ) {
                    (Some(linear), Some(log), Some(g)) if c["glm"] == true => format!(
                        "{target} with a log link (Poisson), {how} (penalty {}, {} iterations; cross-validated RMSE {}, against {} linear and {} on ln(1 + y))",
                        num(&c["log_penalty"]),
                        c["glm_iterations"],
                        whole(g),
                        whole(linear),
                        whole(log)
                    ),
                    (Some(linear), Some(log), _) if c["log"] == true => format!(
                        "{target} on ln(1 + y), {how} (penalty {}; cross-validated RMSE {}, against {} linear{glm})",
                        num(&c["log_penalty"]),
                        whole(log),
                        whole(linear)
                    ),
                    (Some(linear), Some(log), _) => format!(
                        "{target} linear, {how} (cross-validated RMSE {}, against {} on ln(1 + y){glm})",
                        whole(linear),
                        whole(log)
                    ),
                    _ if c["can_be_negative"] == true => {
                        format!("{target} linear (it can be negative, so no log)")
                    }
                    _ => format!("{target} linear, set by model.transform"),
                }
            })
            .collect();
        out.push(String::new());
        out.push(format!(
            "Scale, by cross-validated error in {cur}: {}.",
            described.join("; ")
        ));
    }
    let warnings = list(&r["warnings"]);
    let of_kind = |kind: &'static str| warnings.iter().filter(move |w| w["kind"] == kind);
    for w in of_kind("weak_target") {
        let target = string(&w["target"]);
        let key = target.replace(' ', "_");
        assert_eq!(w["r2"], v[key.as_str()]["r2"]);
        out.push(String::new());
        out.push(format!(
            "warning: {target} is barely predictable from these features (cross-validated R² {}); its scores are close to the average customer's.",
            r2(&w["r2"])
        ));
    }
    for f in list(&r["floored"]) {
        out.push(String::new());
        out.push(format!(
            "Showing {} as zero where the fit predicts below zero (it cannot be negative) moves its cross-validated R² from {:.3} to {:.3}.",
            string(&f["target"]),
            num(&f["unfloored_r2"]),
            num(&f["r2"])
        ));
    }
    out.push(String::new());
    let redundant: Vec<&str> = list(&r["redundant_columns"]).iter().map(string).collect();
    out.push(if redundant.is_empty() {
        "Redundant columns: none.".into()
    } else {
        format!(
            "Redundant columns (implied by earlier columns, so left out of the fit): {}.",
            redundant.join(", ")
        )
    });
    for p in list(&r["pooled"]) {
        let values: Vec<String> = list(&p["values"])
            .iter()
            .map(|v| format!("{} ({})", string(&v["value"]), v["customers"]))
            .collect();
        out.push(format!(
            "Rare {} values (fewer than {} customers each) pooled into (other): {}.",
            string(&p["feature"]),
            r["min_category_count"],
            values.join(", ")
        ));
    }
    for w in of_kind("small_history") {
        out.push(format!(
            "warning: {} customers is few for {} model columns (about {} per column; {} or more is safer): the effects are uncertain, so check the cross-validated errors above and prefer fewer features.",
            whole(num(&w["customers"])),
            w["model_columns"],
            w["customers_per_column"],
            w["safer_per_column"]
        ));
    }
    for w in of_kind("no_effect") {
        let feature = string(&w["feature"]);
        let customers = whole(num(&w["customers"]));
        out.push(match string(&w["cause"]) {
            "one_value" => format!(
                "warning: {feature} has one value, \"{}\", for all {customers} customers, so it cannot tell customers apart and has no effect on the scores; drop it from [features], or train on a history where it varies.",
                string(&w["value"])
            ),
            "blank" => format!(
                "warning: {feature} is blank in every row ({customers} customers), so it has no effect on the scores; fill it in, or drop it from [features]."
            ),
            cause => {
                assert_eq!(cause, "rare");
                format!(
                    "warning: every {feature} value has fewer than {} customers, so {feature} has no effect on the scores; lower model.min_category_count or drop it from [features].",
                    w["min_category_count"]
                )
            }
        });
    }
    // From 1e15 on, a value is written in scientific notation rather than in all its digits.
    let plain = |v: &Value| match num(v) {
        v if v.abs() >= 1e15 => format!("{v:e}"),
        v => leadscore::model::warning::plain(v),
    };
    for c in list(&r["clamped"]) {
        let customers = list(&c["customers"]);
        let shown = customers
            .iter()
            .take(8)
            .map(|x| format!("{} ({})", string(&x["id"]), plain(&x["value"])))
            .collect();
        out.push(format!(
            "Clamped {} to the training range [{}, {}] for {} customers, most extreme first: {}.",
            string(&c["feature"]),
            plain(&c["low"]),
            plain(&c["high"]),
            whole(customers.len() as f64),
            listing(shown, customers.len())
        ));
    }
    for i in list(&r["imputed"]) {
        out.push(format!(
            "Imputed {} with the training median for {} customers.",
            string(&i["feature"]),
            whole(num(&i["customers"]))
        ));
    }
    let at = |k: &str| whole(num(&r["decisions"][k]));
    out.push(String::new());
    out.push(format!(
        "Decisions on expected net value ({cur}): tier A >= {}, B >= {}, C >= {}, D below; contact >= {}, skip < {}, qualify in between.",
        at("tier_a"),
        at("tier_b"),
        at("tier_c"),
        at("contact_at"),
        at("skip_below")
    ));
    let i = &r["interval"];
    if !i.is_null() {
        // The bounds quoted are the interval's own, around a prediction of zero.
        for key in ["typical_account", "large_account"] {
            let size = num(&i[key]["size"]);
            let sigma = num(&i["scale_base"]) + num(&i["scale_slope"]) * size;
            close(num(&i[key]["low"]), num(&i["lower"]) * sigma);
            close(num(&i[key]["high"]), num(&i["upper"]) * sigma);
        }
        assert!(num(&i["typical_account"]["size"]) <= num(&i["large_account"]["size"]));
        let signed = |k: &str, side: &str| leadscore::economics::signed_whole(num(&i[k][side]));
        out.push(format!(
            "Each lead gets a net-value interval meant to hold {:.0}% of outcomes, from the cross-validated errors; it widens with the account's size (expected return plus expected burden): {} to {} around the prediction for a typical account ({cur} {}, the median past customer), {} to {} for a large one ({cur} {}, the 90th percentile).",
            num(&i["level"]) * 100.0,
            signed("typical_account", "low"),
            signed("typical_account", "high"),
            whole(num(&i["typical_account"]["size"])),
            signed("large_account", "low"),
            signed("large_account", "high"),
            whole(num(&i["large_account"]["size"]))
        ));
    }
    let v = &r["version"];
    let made_current = match v["replaced"].as_str() {
        Some(old) => format!(" and made current, replacing {old}"),
        None => " and made current".to_string(),
    };
    out.push(format!(
        "Model saved as {} ({}){made_current}.",
        string(&v["version"]),
        string(&r["model_file"])
    ));
    out
}

/// Equal but for the last bits JSON's decimal round trip may change.
fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()), "{a} != {b}");
}

/// The `field` of each warning of `kind`.
fn warned<'a>(report: &'a Value, kind: &str, field: &str) -> Vec<&'a str> {
    list(&report["warnings"])
        .iter()
        .filter(|w| w["kind"] == kind)
        .map(|w| string(&w[field]))
        .collect()
}

/// Trains on `history` with `config` as text and as JSON, checks the JSON report against the
/// model file and the text report, and returns it.
fn json_report(env: &Env, history: &str, config: &str) -> Value {
    let (text, report, model) = train_both(env, history, config);
    agrees_with_the_model(&report, &model, "json");
    let lines: Vec<String> = text
        .replace("text/v0001/model.json", "json/v0001/model.json")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines, text_from_json(&report));
    report
}

#[test]
fn train_json_holds_every_figure_of_the_text_report_and_the_model_file() {
    let env = fixture_env();
    let report = json_report(&env, HISTORY, CONFIG);
    // The fixture is small for its columns: the warning is data too.
    let warnings = list(&report["warnings"]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["kind"], "small_history");
    assert_eq!(warnings[0]["customers"], 60);
    assert_eq!(warnings[0]["model_columns"], 7);
    // Numbers stay numbers at full precision, not the rounded text.
    let r2 = num(&report["validation"]["net_value"]["r2"]);
    assert!(format!("{r2}").len() > 5, "{r2}");
}

#[test]
fn train_json_lists_left_out_pooled_clamped_and_imputed_customers_and_their_warnings() {
    let env = fixture_env();
    // A blank outcome, a blank employee count, every industry and account manager rare, and
    // the tails clamped.
    let mut history = String::new();
    for line in fixture(HISTORY).lines() {
        if line.starts_with("C005,") {
            let mut fields: Vec<&str> = line.split(',').collect();
            fields[5] = "";
            history.push_str(&fields.join(","));
        } else {
            history.push_str(line);
        }
        history.push('\n');
    }
    history.push_str("C061,Late Ltd,retail,north,Nowak,12,800.00,,30.0\n");
    env.write("edge.csv", history);
    let config = fixture(CONFIG)
        .replace("min_category_count = 5", "min_category_count = 25")
        .replace("winsorize = false", "winsorize = [0.05, 0.95]");
    assert_ne!(config, fixture(CONFIG));
    env.write("edge.toml", config);

    let report = json_report(&env, "edge.csv", "edge.toml");
    let excluded = list(&report["data"]["excluded"]);
    assert_eq!(excluded.len(), 1);
    assert_eq!(
        (
            &excluded[0]["id"],
            &excluded[0]["line"],
            &excluded[0]["column"]
        ),
        (
            &Value::from("C061"),
            &Value::from(62),
            &Value::from("lifetime_revenue")
        )
    );
    let pooled: Vec<&str> = list(&report["pooled"])
        .iter()
        .map(|p| string(&p["feature"]))
        .collect();
    assert_eq!(pooled, ["industry", "account_manager"]);
    assert_eq!(
        warned(&report, "no_effect", "feature"),
        ["industry", "account_manager"]
    );
    assert!(!list(&report["clamped"]).is_empty());
    assert_eq!(report["imputed"][0]["feature"], "employees");
    assert_eq!(report["imputed"][0]["customers"], 1);
}

#[test]
fn train_json_names_the_targets_the_features_barely_predict() {
    let env = fixture_env();
    let config = fixture(CONFIG);
    let mut weak = String::new();
    for line in config.lines() {
        let line = if line.starts_with("categorical = ") {
            "categorical = [\"region\"]"
        } else if line.starts_with("numeric = ") {
            "numeric = []"
        } else if line.starts_with("log = ") {
            "log = []"
        } else {
            line
        };
        weak.push_str(line);
        weak.push('\n');
    }
    env.write("weak.toml", weak);
    let report = json_report(&env, HISTORY, "weak.toml");
    assert_eq!(
        warned(&report, "weak_target", "target"),
        ["lifetime return", "net value"]
    );
}

#[test]
fn train_text_is_still_the_default_and_json_goes_only_to_standard_output() {
    let env = fixture_env();
    let default = env.run(&["train", "--history", HISTORY, "--models", "a"]);
    let text = env.run(&[
        "train",
        "--history",
        HISTORY,
        "--models",
        "a",
        "--format",
        "text",
    ]);
    succeeded(&default);
    // The same report but for the version the second training became.
    assert_eq!(
        default.stdout.replace(
            "Model saved as v0001 (a/v0001/model.json) and made current.",
            "Model saved as v0002 (a/v0002/model.json) and made current, replacing v0001."
        ),
        text.stdout
    );
    assert!(default.stdout.starts_with("Trained on 60 of 60 customers"));
    let json = env.run(&[
        "train",
        "--history",
        HISTORY,
        "--models",
        "b",
        "--format",
        "json",
    ]);
    succeeded(&json);
    assert!(json.stdout.starts_with('{') && json.stdout.ends_with("}\n"));
    assert_eq!(json.stderr, "");
    // Errors still go to standard error, with nothing on standard output.
    let failed = env.run(&[
        "train",
        "--history",
        "missing.csv",
        "--models",
        "c",
        "--format",
        "json",
    ]);
    assert_ne!(failed.code, 0);
    assert_eq!(failed.stdout, "");
    assert!(failed.stderr.starts_with("error: "), "{}", failed.stderr);
}

/// A feature value of 1e300 (a typo's worth of digits) is clamped and listed as `1e300`, not as
/// the 301 digits it used to be written with.
#[test]
fn train_text_writes_a_clamped_value_of_1e300_in_scientific_notation() {
    let env = fixture_env();
    let history: String = fixture(HISTORY)
        .lines()
        .map(|line| match line.strip_prefix("C007,") {
            Some(_) => {
                let mut fields: Vec<&str> = line.split(',').collect();
                fields[5] = "1e300";
                fields.join(",") + "\n"
            }
            None => format!("{line}\n"),
        })
        .collect();
    env.write("huge.csv", history);
    env.write(
        "clamp.toml",
        fixture(CONFIG).replace("winsorize = false", "winsorize = [0.05, 0.95]"),
    );
    let report = json_report(&env, "huge.csv", "clamp.toml");
    let clamped = list(&report["clamped"]);
    assert_eq!(clamped[0]["feature"], "employees");
    assert_eq!(clamped[0]["customers"][0]["id"], "C007");
    let text = env.run(&[
        "train",
        "--history",
        "huge.csv",
        "--config",
        "clamp.toml",
        "--models",
        "again",
    ]);
    succeeded(&text);
    let line = text
        .stdout
        .lines()
        .find(|l| l.starts_with("Clamped employees "))
        .unwrap_or_else(|| panic!("no clamp line:\n{}", text.stdout));
    assert!(
        line.contains("most extreme first: C007 (1e300), "),
        "{line}"
    );
    assert!(line.len() < 300, "{line}");
}

/// A categorical feature with one value for every customer, or none, has no effect; the warning
/// says so instead of blaming `min_category_count`, which no setting of would help. Each text
/// line is rebuilt from the JSON report, whose `cause` tells the three apart.
#[test]
fn train_says_a_feature_with_one_value_or_blank_everywhere_cannot_tell_customers_apart() {
    let env = fixture_env();
    // industry is retail for every customer, region blank for every one.
    let history: String = fixture(HISTORY)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut fields: Vec<&str> = line.split(',').collect();
            if i > 0 {
                fields[2] = "retail";
                fields[3] = "";
            }
            fields.join(",") + "\n"
        })
        .collect();
    env.write("flat.csv", history);
    let report = json_report(&env, "flat.csv", CONFIG);
    let text = env.run(&["train", "--history", "flat.csv", "--models", "again"]);
    succeeded(&text);
    let warnings: Vec<&str> = text
        .stdout
        .lines()
        .filter(|l| l.contains("no effect"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: industry has one value, \"retail\", for all 60 customers, so it cannot tell customers apart and has no effect on the scores; drop it from [features], or train on a history where it varies.",
            "warning: region is blank in every row (60 customers), so it has no effect on the scores; fill it in, or drop it from [features].",
        ]
    );
    assert_eq!(
        warned(&report, "no_effect", "cause"),
        ["one_value", "blank"]
    );
}
