//! Accuracy: on data generated with known coefficients (the sample-data generator's story), the
//! fit recovers the true effects and ranks fresh leads like their true expected net value; one
//! mistyped value barely moves the cross-validated error once numbers are winsorised; and every
//! lead's reasons add up to its score.

use crate::story;

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;

use crate::util::{csv_rows, repo, Env};

/// The shipped sample config with `[model]` settings replaced.
fn config(env: &Env, model: &str) -> String {
    let text = std::fs::read_to_string(repo("leadscore.toml")).unwrap();
    let start = text.find("\n[model]\n").expect("[model] section");
    let end = text.find("\n[decisions]\n").expect("[decisions] section");
    let text = format!("{}\n[model]\n{model}\n{}", &text[..start], &text[end..]);
    env.write("leadscore.toml", text);
    "leadscore.toml".into()
}

fn customers(env: &Env, n: usize, seed: u64) -> String {
    let f = BufWriter::new(File::create(env.path("customers.csv")).unwrap());
    story::write_customers(f, n, seed).unwrap();
    "customers.csv".into()
}

fn train(env: &Env, history: &str, config: &str) -> serde_json::Value {
    let run = env.run(&["train", "--history", history, "--config", config]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&env.model("models")).unwrap()
}

/// The fitted coefficient of column `name` for `target` ("return_coefficient"/"burden_coefficient"),
/// 0 for a reference level (which has no column).
fn coef(model: &serde_json::Value, name: &str, target: &str) -> f64 {
    model["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .map_or(0.0, |c| c[target].as_f64().unwrap())
}

fn check_effects(model: &serde_json::Value, truth: &story::Effects, target: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |what: String, got: f64, want: f64, tol: f64| {
        if (got - want).abs() > tol {
            failures.push(format!(
                "{target} {what}: fitted {got:.0}, true {want:.0}, tolerance {tol:.0}"
            ));
        }
    };
    // Log-size slopes, per unit of ln(1 + x): within 10% or 150 money units.
    for (name, want) in [
        ("ln(1+employees)", truth.ln_employees),
        ("ln(1+annual_revenue)", truth.ln_annual_revenue),
        ("ln(1+first_order_value)", truth.ln_first_order_value),
    ] {
        let got = coef(model, name, target);
        check(name.to_string(), got, want, (0.10 * want.abs()).max(150.0));
    }
    // Category effects are identified as differences between levels; compare each level with the
    // model's reference level, within 5 naive standard errors of a difference of two group means,
    // σ·√(1/n_level + 1/n_reference), with σ the model's own cross-validated RMSE. (The noise is
    // multiplicative and heavy-tailed, so the naive error understates the real one somewhat.)
    let rmse_key = if target == "return_coefficient" {
        "lifetime_return"
    } else {
        "service_burden"
    };
    let sigma = model["validation"][rmse_key]["rmse"].as_f64().unwrap();
    let tables: [(&str, &[(&str, f64)]); 4] = [
        ("industry", &truth.industry),
        ("region", &truth.region),
        ("lead_source", &truth.lead_source),
        ("product_interest", &truth.product_interest),
    ];
    for (feature, table) in tables {
        let spec = model["schema"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == feature)
            .unwrap();
        let reference = spec["reference"].as_str().unwrap();
        let count = |level: &str| {
            spec["levels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["value"] == level)
                .map(|l| l["customers"].as_f64().unwrap())
        };
        let n_ref = count(reference).unwrap();
        let true_ref = table.iter().find(|(l, _)| *l == reference).unwrap().1;
        for (level, effect) in table {
            // Levels the history never had (aerospace exists only among leads) have no estimate.
            let Some(n) = count(level) else { continue };
            let got = coef(model, &format!("{feature}={level}"), target);
            let se = sigma * (1.0 / n + 1.0 / n_ref).sqrt();
            check(
                format!("{feature}={level} (n={n})"),
                got,
                effect - true_ref,
                5.0 * se,
            );
        }
    }
    failures
}

#[test]
fn fit_recovers_the_true_coefficients_of_the_generated_data() {
    let env = Env::new();
    let history = customers(&env, 40_000, 11);
    let cfg = config(
        &env,
        "folds = 5\nseed = 42\npenalty = 0\nmin_category_count = 20\nwinsorize = false",
    );
    let model = train(&env, &history, &cfg);
    let truth = story::true_effects();
    let mut failures = check_effects(&model, &truth.lifetime_return, "return_coefficient");
    failures.extend(check_effects(
        &model,
        &truth.service_burden,
        "burden_coefficient",
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Spearman's rank correlation (ties get their average rank).
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            for k in i..=j {
                r[idx[k]] = (i + j) as f64 / 2.0;
            }
            i = j + 1;
        }
        r
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn ranking_of_fresh_leads_follows_their_true_net_value() {
    let env = Env::new();
    let history = customers(&env, 5_000, 23);
    let cfg = config(&env, "folds = 5\nseed = 42\npenalty = \"auto\"\nmin_category_count = 20\nwinsorize = [0.01, 0.99]");
    train(&env, &history, &cfg);
    let mut truth: HashMap<String, f64> = HashMap::new();
    let f = BufWriter::new(File::create(env.path("leads.csv")).unwrap());
    story::write_leads(f, 3_000, 99, |id, features| {
        truth.insert(id.to_string(), story::expected_net(features));
    })
    .unwrap();
    let run = env.run(&["score", "leads.csv", "-o", "scores.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&env.read("scores.csv"));
    let (mut predicted, mut actual) = (Vec::new(), Vec::new());
    for r in rows.iter().skip(1) {
        predicted.push(r[3].parse::<f64>().unwrap());
        actual.push(truth[&r[0]]);
    }
    assert_eq!(predicted.len(), 3_000);
    let rho = spearman(&predicted, &actual);
    assert!(rho >= 0.95, "Spearman {rho:.4}");
}

/// A plain linear world: return = 2,000 + 0.4 × income, burden = 500 + 0.05 × income, with noise.
fn income_history(env: &Env, typo: bool) -> String {
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Normal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let income: Normal<f64> = Normal::new(60_000.0, 15_000.0).unwrap();
    let noise: Normal<f64> = Normal::new(0.0, 3_000.0).unwrap();
    let mut s = String::from("id,segment,income,revenue,support_hours\n");
    for i in 0..1_000 {
        let x: f64 = income.sample(&mut rng).max(5_000.0);
        let seg = ["a", "b", "c"][rng.random_range(0..3)];
        let ret = (2_000.0 + 0.4 * x + noise.sample(&mut rng)).max(0.0);
        let hours = ((500.0 + 0.05 * x + noise.sample(&mut rng) / 4.0) / 55.0).max(0.0);
        // One customer's income typed with an extra digit: 666,666 for 66,666.
        let shown = if typo && i == 500 {
            666_666.0
        } else {
            x.round()
        };
        let x = if typo && i == 500 { 66_666.0 } else { x };
        let ret = if typo && i == 500 {
            2_000.0 + 0.4 * x
        } else {
            ret
        };
        s.push_str(&format!("C{i:04},{seg},{shown},{ret:.2},{hours:.2}\n"));
    }
    env.write("income.csv", s);
    env.write(
        "income.toml",
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n[features]\ncategorical = [\"segment\"]\nnumeric = [\"income\"]\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"revenue\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"support_hours\"\nrate = 55\n",
    );
    "income.csv".into()
}

fn cv_r2(env: &Env, winsorize: &str) -> f64 {
    let text = env.read("income.toml");
    let text = match text.find("[model]") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    env.write(
        "income.toml",
        format!("{text}[model]\npenalty = 0\nwinsorize = {winsorize}\n"),
    );
    let model = train(env, "income.csv", "income.toml");
    model["validation"]["lifetime_return"]["r2"]
        .as_f64()
        .unwrap()
}

#[test]
fn one_mistyped_value_barely_moves_the_error_when_winsorised_but_wrecks_a_plain_fit() {
    let env = Env::new();
    income_history(&env, false);
    let clean = cv_r2(&env, "[0.01, 0.99]");
    income_history(&env, true);
    let plain = cv_r2(&env, "false");
    let winsorised = cv_r2(&env, "[0.01, 0.99]");
    assert!(clean > 0.7, "clean R² {clean}");
    assert!(
        (clean - winsorised).abs() < 0.01,
        "clean {clean}, winsorised {winsorised}"
    );
    assert!(plain < clean - 0.2, "plain fit R² {plain} vs clean {clean}");
    // And the report names the customer that was clamped (the config is the winsorised one).
    let run = env.run(&[
        "train",
        "--history",
        "income.csv",
        "--config",
        "income.toml",
    ]);
    assert!(
        run.stdout.contains("most extreme first: C0500 (666,666), "),
        "{}",
        run.stdout
    );
}

#[test]
fn reasons_baseline_and_contributions_add_up_to_every_score() {
    use leadscore::model::equation::Role;
    let env = Env::new();
    let history = customers(&env, 3_000, 3);
    let cfg = config(&env, "folds = 3\nseed = 1");
    train(&env, &history, &cfg);
    let f = BufWriter::new(File::create(env.path("leads.csv")).unwrap());
    story::write_leads(f, 2_000, 4, |_, _| {}).unwrap();

    let model = leadscore::model::registry::load(&env.path("models"))
        .unwrap()
        .0;
    let (eq, leads) = crate::util::score_with_library(&model, &env.path("leads.csv"));
    assert_eq!(leads.len(), 2_000);
    let nf = eq.terms.len();
    for (_, s) in &leads {
        let mut net = 0.0;
        for (t, target) in eq.targets.iter().enumerate() {
            // Per target: baseline + every feature's part + the floor = the prediction.
            let sum =
                target.baseline + (0..nf).map(|f| s.contribution(f, t)).sum::<f64>() + s.floors[t];
            assert!((sum - s.targets[t]).abs() < 1e-9 * sum.abs().max(1.0));
            net += target.role.sign() * sum;
        }
        // And for the net value, through each feature's net part.
        let by_feature: f64 = eq
            .targets
            .iter()
            .enumerate()
            .map(|(t, target)| target.role.sign() * (target.baseline + s.floors[t]))
            .sum::<f64>()
            + (0..nf).map(|f| s.net_contribution(&eq, f)).sum::<f64>();
        assert!((net - s.net(&eq)).abs() < 1e-9 * net.abs().max(1.0));
        assert!((by_feature - s.net(&eq)).abs() < 1e-9 * net.abs().max(1.0));
        assert!(s.total(&eq, Role::Burden) >= 0.0);
        // The direct linear prediction agrees with baseline + contributions.
        let x = encode(&model, s);
        let direct = model.lifetime_return.intercept
            + model
                .columns
                .iter()
                .zip(&x)
                .map(|(c, v)| c.return_coefficient * v)
                .sum::<f64>();
        assert!((direct - s.targets[0]).abs() < 1e-9 * direct.abs().max(1.0));
    }
}

/// Rebuilds a scored lead's model columns from the values it was given, to predict it the direct
/// way.
fn encode(model: &leadscore::model::Model, s: &leadscore::model::scorer::ScoredLead) -> Vec<f64> {
    use leadscore::model::schema::Feature;
    use leadscore::model::scorer::Given;
    let mut x = vec![0.0; model.columns.len()];
    for (f, reading) in model.schema.features.iter().zip(&s.readings) {
        match f {
            Feature::Categorical(c) => {
                let shown = match reading.given {
                    Given::Text => reading.text.clone(),
                    _ => "(missing)".to_string(),
                };
                let value = if c.pooled.contains(&shown) {
                    "(other)".to_string()
                } else {
                    shown
                };
                match c.levels.iter().find(|l| l.value == value) {
                    Some(l) => {
                        if let Some(col) = l.column {
                            x[col] = 1.0;
                        }
                    }
                    // Never seen in training: the average customer's mix of the levels.
                    None => {
                        for col in c.levels.iter().filter_map(|l| l.column) {
                            x[col] = model.columns[col].mean;
                        }
                    }
                }
            }
            Feature::Numeric(n) => {
                let raw = match reading.given {
                    Given::Number(v) => v,
                    _ => n.median,
                };
                x[n.column] = n.transform(raw);
            }
        }
    }
    x
}

/// A model of one feature x, from 0 to 9 (mean 4.5), with known coefficients fitted without
/// penalty: return = 5,000 - 400x and burden = 100 + 50x (hours at 10 an hour). A lead far
/// outside that range extrapolates below zero on one side or the other.
pub(crate) fn straight_line_model() -> Env {
    let env = Env::new();
    let mut history = String::from("id,x,revenue,hours\n");
    for i in 0..40 {
        let x = (i % 10) as f64;
        history.push_str(&format!(
            "C{i},{x},{},{}\n",
            5_000.0 - 400.0 * x,
            (100.0 + 50.0 * x) / 10.0
        ));
    }
    env.write("h.csv", history);
    env.write(
        "c.toml",
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n[features]\nnumeric = [\"x\"]\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"revenue\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"hours\"\nrate = 10\n\
         [model]\nfolds = 2\npenalty = 0\nwinsorize = false\n",
    );
    train(&env, "h.csv", "c.toml");
    env
}

#[test]
fn floors_keep_money_non_negative_and_show_in_the_reasons() {
    let env = straight_line_model();
    env.write("l.csv", "id,x\nfar_right,20\nfar_left,-5\n");
    let run = env.run(&["score", "l.csv", "--keep-order"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    // x = 20: return 5,000 - 8,000 < 0 is shown as 0; burden 100 + 1,000.
    assert_eq!(&rows[1][..4], ["far_right", "0.00", "1100.00", "-1100.00"]);
    assert!(
        rows[1][9].contains("return floored at 0 +3,000"),
        "{:?}",
        rows[1]
    );
    // x = -5: burden 100 - 250 < 0 is shown as 0; return 5,000 + 2,000.
    assert_eq!(&rows[2][..4], ["far_left", "7000.00", "0.00", "7000.00"]);
    assert!(
        rows[2][9].contains("burden floored at 0 -150"),
        "{:?}",
        rows[2]
    );
    assert!(
        rows[1][10].contains("x 20 above the training range"),
        "{:?}",
        rows[1]
    );
}

#[test]
fn net_value_intervals_hold_their_share_of_fresh_outcomes() {
    let env = Env::new();
    let history = customers(&env, 5_000, 31);
    let cfg = config(&env, "folds = 5\nseed = 42\ninterval = 0.8");
    train(&env, &history, &cfg);
    // Fresh customers from another seed, scored as if they were leads; their outcomes are known.
    let f = BufWriter::new(File::create(env.path("fresh.csv")).unwrap());
    story::write_customers(f, 5_000, 97).unwrap();
    let run = env.run(&[
        "score",
        "fresh.csv",
        "--id",
        "customer_id",
        "--keep-order",
        "--with-input",
        "-o",
        "scored.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&env.read("scored.csv"));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let (low, high) = (col("net_low"), col("net_high"));
    let value = |r: &Vec<String>, name: &str| r[col(name)].parse::<f64>().unwrap();
    let mut inside = 0;
    for r in &rows[1..] {
        let actual =
            value(r, "lifetime_revenue") - value(r, "cost_of_goods") - value(r, "commissions_paid")
                + story::REFERRAL_CREDIT * value(r, "referral_revenue")
                - story::SALES_HOUR_COST * value(r, "sales_hours")
                - story::SUPPORT_HOUR_COST * value(r, "support_hours")
                - story::COMPLAINT_COST * value(r, "complaints")
                - value(r, "written_off");
        let (lo, hi) = (
            r[low].parse::<f64>().unwrap(),
            r[high].parse::<f64>().unwrap(),
        );
        assert!(lo <= r[3].parse::<f64>().unwrap() && r[3].parse::<f64>().unwrap() <= hi);
        inside += usize::from(lo <= actual && actual <= hi);
    }
    let coverage = inside as f64 / (rows.len() - 1) as f64;
    assert!((coverage - 0.8).abs() <= 0.03, "coverage {coverage:.3}");
}

/// A world where effects multiply: support hours = exp(base + segment + 0.8 ln size + noise).
fn multiplicative_history(env: &Env) {
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Normal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let noise: Normal<f64> = Normal::new(0.0, 0.35).unwrap();
    let mut s = String::from("id,segment,size,revenue,hours\n");
    for i in 0..2_000 {
        let seg = rng.random_range(0..3);
        let size: f64 = (rng.random::<f64>() * 6.0).exp() * 5.0;
        let effect = [0.0, 0.7, -0.5][seg];
        let log_hours = 1.0 + effect + 0.8 * size.ln_1p() + noise.sample(&mut rng);
        let log_revenue = 6.0 + 0.5 * effect + 1.1 * size.ln_1p() + noise.sample(&mut rng);
        s.push_str(&format!(
            "C{i},{},{size:.1},{:.2},{:.2}\n",
            ["a", "b", "c"][seg],
            log_revenue.exp_m1(),
            log_hours.exp_m1()
        ));
    }
    env.write("mult.csv", s);
    env.write(
        "mult.toml",
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n[features]\ncategorical = [\"segment\"]\n\
         numeric = [\"size\"]\nlog = [\"size\"]\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"revenue\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"hours\"\nrate = 55\n\
         [model]\nwinsorize = false\n",
    );
}

#[test]
fn multiplying_effects_are_fitted_on_logs_and_still_explained_in_money_that_adds_up() {
    let env = Env::new();
    multiplicative_history(&env);
    let model = train(&env, "mult.csv", "mult.toml");
    let choice = model["validation"]["scale_choice"].as_array().unwrap();
    for c in choice {
        assert_eq!(c["log"], true, "{c}");
        assert!(
            c["log_rmse"].as_f64().unwrap() < c["linear_rmse"].as_f64().unwrap(),
            "{c}"
        );
    }
    assert!(model["lifetime_return"]["log_correction"].as_f64().unwrap() > 1.0);
    let report = env
        .run(&["train", "--history", "mult.csv", "--config", "mult.toml"])
        .stdout;
    assert!(report.contains("Scale, by cross-validated error in EUR: lifetime return on ln(1 + y), chosen (penalty "), "{report}");

    // Reasons still add up, for every lead: explain's JSON to 1e-9, score's print to the cent.
    env.write(
        "l.csv",
        "id,segment,size\nL1,a,12\nL2,b,4000\nL3,c,\nL4,b,90\n",
    );
    for id in ["L1", "L2", "L3", "L4"] {
        let run = env.run(&["explain", "l.csv", "--id", id, "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let e: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        for key in ["lifetime_return", "service_burden", "net"] {
            let sum = e["baseline"][key].as_f64().unwrap()
                + e["contributions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c[key].as_f64().unwrap())
                    .sum::<f64>();
            let want = e["expected"][key].as_f64().unwrap();
            assert!(
                (sum - want).abs() < 1e-9 * want.abs().max(1.0),
                "{id} {key}: {sum} vs {want}"
            );
        }
    }
    // A bigger account is worth more on both sides, as generated.
    let scored = env.run(&["score", "l.csv", "--keep-order"]);
    let rows = csv_rows(&scored.stdout);
    let ret = |i: usize| rows[i][1].parse::<f64>().unwrap();
    assert!(ret(2) > ret(4) && ret(4) > ret(1), "{}", scored.stdout);
}

#[test]
fn a_scale_set_in_the_config_is_reported_as_set_not_as_chosen() {
    let env = Env::new();
    env.copy("data/customers.csv", "customers.csv");
    let cfg = config(&env, "folds = 5\nseed = 42\ntransform = \"log\"");
    let run = env.run(&["train", "--history", "customers.csv", "--config", &cfg]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let scale = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Scale,"))
        .unwrap();
    // Burden is forced onto logs although linear predicts it better on this linear data.
    assert!(
        scale.contains("service burden on ln(1 + y), set by model.transform (penalty "),
        "{scale}"
    );
    assert!(scale.contains("against 4,951 linear)"), "{scale}");
    assert!(
        scale.contains("lifetime return linear (it can be negative, so no log)"),
        "{scale}"
    );
}
