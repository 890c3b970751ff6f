//! The date each customer was won (`columns.date`): a date that is not ISO is an input error
//! with its line, and a date column the file lacks is named like any other.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

use crate::util::Env;

/// The first day of the history (2023-12-01) as days since 1970-01-01, and its length.
const FIRST_DAY: i64 = 19_692;
const DAYS: i64 = 3 * 365;
const SUPPORT_RATE: f64 = 60.0;

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
fn date(days: i64) -> String {
    // Howard Hinnant's civil_from_days, as in src/io/date.rs.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", yoe + era * 400 + i64::from(m <= 2))
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
