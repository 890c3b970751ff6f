//! Money that cannot be negative: on a retail table whose return is spend (never negative), with
//! effects that multiply, many small accounts and some that never bought, training picks the
//! log-link fit of the money itself; its smallest leads are worth what such customers were
//! actually worth, no floor is needed to hide a fit below zero, and the reasons still add up.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

use crate::util::{csv_rows, Env};

const SEGMENTS: [(&str, f64); 3] = [("a", 0.0), ("b", 0.6), ("c", -0.7)];
const CHANNELS: [(&str, f64); 2] = [("web", 0.0), ("store", 0.4)];
/// The share of customers who never bought.
const NEVER_BOUGHT: f64 = 0.25;
const SUPPORT_RATE: f64 = 20.0;

/// `n` customers (or leads, without outcomes) and each one's actual net value:
/// spend = exp(4.2 + segment + channel + 0.9 ln(1 + visits)) × noise of mean 1 (zero for a
/// quarter of them), support hours = 0.2 + 0.05 ln(1 + visits), give or take.
fn retail(n: usize, seed: u64, outcomes: bool) -> (String, Vec<f64>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let sigma = 0.6;
    let noise: Normal<f64> = Normal::new(-sigma * sigma / 2.0, sigma).unwrap();
    let mut csv = String::from(if outcomes {
        "id,segment,channel,visits,spend,support_hours\n"
    } else {
        "id,segment,channel,visits\n"
    });
    let mut net = Vec::with_capacity(n);
    for i in 0..n {
        let segment = SEGMENTS[[0, 0, 0, 0, 0, 1, 1, 1, 2, 2][rng.random_range(0..10)]];
        let channel = CHANNELS[usize::from(rng.random::<f64>() < 0.3)];
        let visits = ((rng.random::<f64>() * 6.0).exp() - 1.0).floor();
        let mean = (4.2 + segment.1 + channel.1 + 0.9 * visits.ln_1p()).exp();
        let spend = if rng.random::<f64>() < NEVER_BOUGHT {
            0.0
        } else {
            mean / (1.0 - NEVER_BOUGHT) * noise.sample(&mut rng).exp()
        };
        let hours = (0.2 + 0.05 * visits.ln_1p()) * rng.random_range(0.5..1.5);
        let (spend, hours) = (
            (spend * 100.0).round() / 100.0,
            (hours * 100.0).round() / 100.0,
        );
        net.push(spend - SUPPORT_RATE * hours);
        csv.push_str(&format!("C{i},{},{},{visits}", segment.0, channel.0));
        if outcomes {
            csv.push_str(&format!(",{spend:.2},{hours:.2}"));
        }
        csv.push('\n');
    }
    (csv, net)
}

fn config(transform: &str) -> String {
    format!(
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n[features]\ncategorical = [\"segment\", \"channel\"]\n\
         numeric = [\"visits\"]\nlog = [\"visits\"]\n\
         [[economics.return]]\nname = \"spend\"\ncolumn = \"spend\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"support_hours\"\nrate = {SUPPORT_RATE}\n\
         [model]\nfolds = 5\nseed = 42\ntransform = \"{transform}\"\n"
    )
}

/// A scored lead: (expected net, actual net, whether a floor at zero was applied).
type Lead = (f64, f64, bool);

/// Trains on 4,000 customers with `transform`, scores 10,000 fresh ones as leads through the
/// library and the command line; returns the model, each lead, and the printed rows.
fn train_and_score(env: &Env, transform: &str) -> (serde_json::Value, Vec<Lead>, Vec<Vec<String>>) {
    let (history, _) = retail(4_000, 11, true);
    env.write("history.csv", history);
    env.write("retail.toml", config(transform));
    let run = env.run(&[
        "train",
        "--history",
        "history.csv",
        "--config",
        "retail.toml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let model_json: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    let (leads, actual) = retail(10_000, 12, false);
    env.write("leads.csv", leads);

    let model = leadscore::model::registry::load(&env.path("models"))
        .unwrap()
        .0;
    let (eq, scored) = crate::util::score_with_library(&model, &env.path("leads.csv"));
    assert_eq!(scored.len(), actual.len());
    let nf = eq.terms.len();
    let mut leads = Vec::with_capacity(scored.len());
    for ((_, s), actual) in scored.iter().zip(&actual) {
        // Reasons add up: per target, baseline + every feature's part + the floor = the
        // prediction, to 1e-9.
        for (t, target) in eq.targets.iter().enumerate() {
            let sum =
                target.baseline + (0..nf).map(|f| s.contribution(f, t)).sum::<f64>() + s.floors[t];
            assert!(
                (sum - s.targets[t]).abs() < 1e-9 * sum.abs().max(1.0),
                "{}: {sum} vs {}",
                target.name,
                s.targets[t]
            );
        }
        leads.push((s.net(&eq), *actual, s.floors.iter().any(|f| *f > 0.0)));
    }
    let run = env.run(&["score", "leads.csv", "--keep-order"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (model_json, leads, csv_rows(&run.stdout))
}

/// The mean expected and mean actual net value of the tenth of leads the model values least.
fn bottom_tenth(leads: &[Lead]) -> (f64, f64) {
    let mut sorted = leads.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bottom = &sorted[..sorted.len() / 10];
    let mean = |f: fn(&Lead) -> f64| bottom.iter().map(f).sum::<f64>() / bottom.len() as f64;
    (mean(|l| l.0), mean(|l| l.1))
}

#[test]
fn spend_that_multiplies_is_fitted_with_a_log_link_and_small_leads_are_valued_right() {
    let env = Env::new();
    let (model, leads, rows) = train_and_score(&env, "auto");
    let choice = &model["validation"]["scale_choice"][0];
    assert_eq!(choice["glm"], true, "{choice}");
    assert_eq!(choice["log"], false, "{choice}");
    let rmse = |k: &str| choice[k].as_f64().unwrap();
    assert!(
        rmse("glm_rmse") < rmse("linear_rmse") && rmse("glm_rmse") < rmse("log_rmse"),
        "{choice}"
    );
    let iterations = choice["glm_iterations"].as_u64().unwrap();
    assert!((1..50).contains(&iterations), "{choice}");
    assert_eq!(model["lifetime_return"]["link"], "log");
    assert!(model["lifetime_return"].get("log_correction").is_none());
    println!(
        "cross-validated RMSE of spend: linear {:.1}, ln(1 + y) {:.1}, log link {:.1}; {iterations} iterations",
        rmse("linear_rmse"),
        rmse("log_rmse"),
        rmse("glm_rmse")
    );

    // The smallest leads are worth what such customers were actually worth.
    let (expected, actual) = bottom_tenth(&leads);
    println!("log link, bottom tenth of leads: expected net {expected:.2}, actual {actual:.2}");
    assert!(expected > 0.0, "bottom tenth expected {expected:.2}");
    assert!(
        (expected - actual).abs() <= 0.10 * actual.abs(),
        "bottom tenth: expected {expected:.2}, actual {actual:.2}"
    );
    // No floor was needed anywhere, so none decided a lead.
    assert!(leads.iter().all(|l| !l.2));
    let reasons = rows[0].iter().position(|h| h == "reasons").unwrap();
    for r in &rows[1..] {
        assert!(!r[reasons].contains("floored at 0"), "{r:?}");
    }

    // The report shows the comparison, and explain names the baseline as the average profile.
    let report = env
        .run(&[
            "train",
            "--history",
            "history.csv",
            "--config",
            "retail.toml",
        ])
        .stdout;
    let scale = report.lines().find(|l| l.starts_with("Scale,")).unwrap();
    assert!(
        scale.starts_with(
            "Scale, by cross-validated error in EUR: lifetime return with a log link (Poisson), chosen (penalty "
        ),
        "{scale}"
    );
    assert!(
        scale.contains(&format!("{iterations} iterations; cross-validated RMSE ")),
        "{scale}"
    );
    let explained = env.run(&["explain", "leads.csv", "--id", "C0"]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    assert!(
        explained
            .stdout
            .contains("baseline (a customer with the average profile)"),
        "{}",
        explained.stdout
    );
}

#[test]
fn the_same_spend_fitted_linearly_is_floored_and_wrong_at_the_bottom() {
    // What the log link fixes: forced linear, the fit goes below zero for small leads, the floor
    // shows 0, and the bottom tenth's expected value is far from what it was worth.
    let env = Env::new();
    let (model, leads, rows) = train_and_score(&env, "linear");
    assert_eq!(
        model["validation"]["scale_choice"][0]["glm"],
        serde_json::Value::Null
    );
    assert!(leads.iter().any(|l| l.2));
    let reasons = rows[0].iter().position(|h| h == "reasons").unwrap();
    assert!(rows[1..]
        .iter()
        .any(|r| r[reasons].contains("return floored at 0")));
    let (expected, actual) = bottom_tenth(&leads);
    println!("linear, bottom tenth of leads: expected net {expected:.2}, actual {actual:.2}");
    assert!(
        (expected - actual).abs() > 0.10 * actual.abs(),
        "bottom tenth: expected {expected:.2}, actual {actual:.2}"
    );
}

#[test]
fn a_log_link_set_in_the_config_is_reported_as_set() {
    let env = Env::new();
    let (history, _) = retail(1_000, 5, true);
    env.write("history.csv", history);
    env.write("retail.toml", config("glm"));
    let run = env.run(&[
        "train",
        "--history",
        "history.csv",
        "--config",
        "retail.toml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let scale = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Scale,"))
        .unwrap();
    // Both targets cannot be negative, so both are fitted with the log link when it is set.
    assert_eq!(
        scale
            .matches("with a log link (Poisson), set by model.transform (penalty ")
            .count(),
        2,
        "{scale}"
    );
}
