//! Recency weighting (`model.half_life_days`): on a history whose effects drift over three
//! years, a model that leans on recent customers predicts the newest ones better than one that
//! counts every customer the same. Off, nothing changes: a date column alone, or one date for
//! everyone, gives the very model trained without it. A date that is not ISO is an input error
//! with its line.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

use crate::util::Env;

/// The first day of the history (2023-12-01) as days since 1970-01-01, and its length.
const FIRST_DAY: i64 = 19_692;
const DAYS: i64 = 3 * 365;
const SUPPORT_RATE: f64 = 60.0;

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
fn date(days: i64) -> String {
    leadscore::io::date::format_days(days)
}

/// A customer: the day it was won and its CSV row (without the date).
struct Customer {
    day: i64,
    row: String,
}

/// `n` customers won over three years, oldest first. What a partner-channel customer returns
/// flips from +8,000 to −8,000 over the three years, and what segment "c" costs in support rises
/// from nothing to 12,000; the rest holds still.
fn drifting(n: usize, seed: u64) -> Vec<Customer> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let revenue_noise = Normal::new(0.0, 3_000.0).unwrap();
    let hours_noise = Normal::new(0.0, 20.0).unwrap();
    let mut days: Vec<i64> = (0..n)
        .map(|_| FIRST_DAY + rng.random_range(0..DAYS))
        .collect();
    days.sort_unstable();
    days.into_iter()
        .enumerate()
        .map(|(i, day)| {
            let t = (day - FIRST_DAY) as f64 / DAYS as f64;
            let segment = ["a", "b", "c"][rng.random_range(0..3)];
            let channel = ["web", "partner"][usize::from(rng.random::<f64>() < 0.5)];
            let employees: f64 = rng.random_range(5.0..200.0f64).round();
            let partner = if channel == "partner" {
                8_000.0 * (1.0 - 2.0 * t)
            } else {
                0.0
            };
            let revenue =
                (30_000.0 + 40.0 * employees + partner + revenue_noise.sample(&mut rng)).max(0.0);
            let c_hours = if segment == "c" { 200.0 * t } else { 0.0 };
            let hours = (60.0 + c_hours + hours_noise.sample(&mut rng)).max(0.0);
            Customer {
                day,
                row: format!("C{i},{segment},{channel},{employees},{revenue:.2},{hours:.1}"),
            }
        })
        .collect()
}

/// The customers as CSV, each with the date `won_on(customer)` (the header says `won_on`).
fn csv(customers: &[Customer], won_on: impl Fn(&Customer) -> String) -> String {
    let mut s = String::from("id,won_on,segment,channel,employees,revenue,support_hours\n");
    for c in customers {
        let (id, rest) = c.row.split_once(',').unwrap();
        s.push_str(&format!("{id},{},{rest}\n", won_on(c)));
    }
    s
}

/// The config, with `columns` and `model` lines added to those sections.
fn config(columns: &str, model: &str) -> String {
    format!(
        "currency = \"EUR\"\n[columns]\nid = \"id\"\n{columns}\n\
         [features]\ncategorical = [\"segment\", \"channel\"]\nnumeric = [\"employees\"]\n\
         [[economics.return]]\nname = \"revenue\"\ncolumn = \"revenue\"\nrate = 1\n\
         [[economics.burden]]\nname = \"support\"\ncolumn = \"support_hours\"\nrate = {SUPPORT_RATE}\n\
         [model]\nfolds = 5\nseed = 42\n{model}\n"
    )
}

/// Trains on `history` with `config` into `models/NAME/`, and returns the model file as JSON.
fn train(env: &Env, name: &str, history: &str, config: &str) -> serde_json::Value {
    env.write(&format!("{name}.toml"), config);
    let run = env.run(&[
        "train",
        "--history",
        history,
        "--config",
        &format!("{name}.toml"),
        "--models",
        &format!("models/{name}"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&env.model(&format!("models/{name}"))).unwrap()
}

/// The model without what only says how it was configured: its config and training file.
fn fitted(mut model: serde_json::Value) -> serde_json::Value {
    let m = model.as_object_mut().unwrap();
    m.remove("config");
    m.remove("training");
    // The checksum seals the whole file, config and training data included.
    m.remove("checksum");
    model
}

#[test]
fn leaning_on_recent_customers_predicts_the_newest_better() {
    let env = Env::new();
    let customers = drifting(2_500, 7);
    // The oldest 80% to train on, the newest 20% to judge on, as a retrain would split them.
    let (old, new) = customers.split_at(customers.len() * 4 / 5);
    env.write("train.csv", csv(old, |c| date(c.day)));
    env.write("holdout.csv", csv(new, |c| date(c.day)));
    let date_column = "date = \"won_on\"";
    train(&env, "plain", "train.csv", &config(date_column, ""));
    let weighted = train(
        &env,
        "weighted",
        "train.csv",
        &config(date_column, "half_life_days = 180"),
    );
    assert_eq!(weighted["config"]["model"]["half_life_days"], 180.0);

    let mae = |name: &str| {
        let run = env.run(&[
            "evaluate",
            "--holdout",
            "holdout.csv",
            "--model",
            &format!("models/{name}"),
            "--format",
            "json",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(report["known"]["customers"], new.len());
        report["known"]["net_value"]["mae"].as_f64().unwrap()
    };
    let (plain_mae, weighted_mae) = (mae("plain"), mae("weighted"));
    println!(
        "net-value MAE on the newest {} customers: every customer alike {plain_mae:.0}, half-life 180 days {weighted_mae:.0}",
        new.len()
    );
    assert!(
        weighted_mae < 0.8 * plain_mae,
        "weighted {weighted_mae:.0} vs plain {plain_mae:.0}"
    );

    // The report says how the customers were counted, in words and in JSON.
    let text = env
        .run(&[
            "train",
            "--history",
            "train.csv",
            "--config",
            "weighted.toml",
            "--models",
            "models/again",
        ])
        .stdout;
    let line = text.lines().find(|l| l.starts_with("Recency:")).unwrap();
    let expected_start = format!(
        "Recency: half-life 180 days; a customer won 180 days before the newest ({}) counts half as much, the oldest ({}) ",
        date(old.last().unwrap().day),
        date(old[0].day)
    );
    assert!(line.starts_with(&expected_start), "{line}");
    assert!(
        line.contains(" as much; 2,000 customers weigh as much as "),
        "{line}"
    );
    assert!(line.ends_with(" equally weighted ones."), "{line}");
    let json = env.run(&[
        "train",
        "--history",
        "train.csv",
        "--config",
        "weighted.toml",
        "--models",
        "models/again",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let r = &report["recency"];
    assert_eq!(
        (r["customers"].as_u64(), r["undated"].as_u64()),
        (Some(2_000), Some(0))
    );
    let effective = r["effective_customers"].as_f64().unwrap();
    assert!(effective > 300.0 && effective < 1_500.0, "{r}");
    let plain_text = env
        .run(&[
            "train",
            "--history",
            "train.csv",
            "--config",
            "plain.toml",
            "--models",
            "models/again",
        ])
        .stdout;
    assert!(!plain_text.contains("Recency"), "{plain_text}");
}

#[test]
fn without_a_half_life_the_model_is_the_one_trained_without_dates() {
    let env = Env::new();
    let customers = drifting(600, 8);
    env.write("dated.csv", csv(&customers, |c| date(c.day)));
    let none = train(&env, "none", "dated.csv", &config("", ""));
    let dated = train(&env, "dated", "dated.csv", &config("date = \"won_on\"", ""));
    assert_eq!(dated["config"]["date"], "won_on");
    assert!(none["config"].get("date").is_none());
    assert_eq!(fitted(none.clone()), fitted(dated));
    // Byte for byte, apart from the config (and the checksum that seals it): same data, same
    // seed, same file.
    let bytes = |name: &str| {
        let text = env.model(&format!("models/{name}"));
        let body = &text[text.find("\"format\"").unwrap()..];
        body[..body.find("\"config\"").unwrap()].to_string()
    };
    assert_eq!(bytes("none"), bytes("dated"));

    // Weighting by one date for everyone weighs everyone 1: the same model, to the bit, and a
    // blank date weighs as the oldest, which is the same day.
    env.write(
        "same_day.csv",
        csv(&customers, |c| {
            if c.row.starts_with("C7,") {
                "n/a".into()
            } else {
                "2026-11-30".into()
            }
        }),
    );
    let same = train(
        &env,
        "same",
        "same_day.csv",
        &config("date = \"won_on\"", "half_life_days = 90"),
    );
    assert_eq!(fitted(same), fitted(none));
    let run = env.run(&[
        "train",
        "--history",
        "same_day.csv",
        "--config",
        "same.toml",
        "--models",
        "models/same",
    ]);
    let line = run.stdout.lines().find(|l| l.starts_with("Recency:"));
    assert_eq!(
        line,
        Some("Recency: half-life 90 days; every dated customer was won on 2026-11-30, so all count the same (1 without a date weighs as the oldest).")
    );
}

#[test]
fn a_date_that_is_not_iso_is_an_error_with_its_line() {
    let env = Env::new();
    let customers = drifting(40, 9);
    env.write(
        "c.toml",
        config("date = \"won_on\"", "half_life_days = 365"),
    );
    // Blanks and missing-value texts are no dates, and no errors.
    let gappy = csv(&customers, |c| match &c.row[..3] {
        "C1," => String::new(),
        "C2," => "n/a".into(),
        _ => date(c.day),
    });
    env.write("gappy.csv", gappy);
    let run = env.run(&["train", "--history", "gappy.csv", "--config", "c.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Line 4: the header, then C0, C1 and C2.
    let text = csv(&customers, |c| {
        if c.row.starts_with("C2,") {
            "30/11/2026".into()
        } else {
            date(c.day)
        }
    });
    env.write("history.csv", text);
    let run = env.run(&["train", "--history", "history.csv", "--config", "c.toml"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: history.csv:4: column \"won_on\": expected a date as YYYY-MM-DD, got \"30/11/2026\"\n"
    );

    // A date column the file lacks is named like any other.
    env.write(
        "no_date.csv",
        csv(&customers, |c| date(c.day)).replace("won_on", "signed"),
    );
    let run = env.run(&["train", "--history", "no_date.csv", "--config", "c.toml"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: no_date.csv: no column \"won_on\" (the date customers were won, columns.date in the config); the header has: id, signed, segment, channel, employees, revenue, support_hours\n"
    );
}
