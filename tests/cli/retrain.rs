//! `retrain` on the real binary: merging new customers into the kept history, the promotion gate
//! and its exit codes, dry runs, forced and age-based promotion, the import of the layout before
//! the registry, bad new files that must leave everything as it was, the registry's lock, and a
//! retrain killed at random moments that must always leave a registry that loads.
//!
//! Every history is generated here from a seeded stream (see [`Market`]), so these tests depend
//! on nothing in data/ or tests/fixtures.

use std::collections::BTreeMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal};

use crate::commands::succeeded;
use crate::util::{Env, Run};

/// The config every generated history is trained with: two categories, one size, the day a
/// customer was won (which orders the retrain holdout), revenue and support hours at 50 EUR.
pub(crate) const CONFIG: &str = r#"currency = "EUR"

[columns]
id = "customer_id"
lead_id = "lead_id"
date = "won_on"

[features]
categorical = ["industry", "region"]
numeric = ["employees"]
log = ["employees"]

[[economics.return]]
name = "revenue"
column = "revenue"
rate = 1

[[economics.burden]]
name = "support"
column = "support_hours"
rate = 50

[model]
folds = 3
min_category_count = 5
winsorize = false
"#;

/// The columns of a generated history: `company` is in no config, so only the kept history's
/// own columns require it.
pub(crate) const HEADER: &str =
    "customer_id,company,won_on,industry,region,employees,revenue,support_hours";

const INDUSTRIES: [&str; 4] = ["retail", "software", "healthcare", "finance"];
const REGIONS: [&str; 3] = ["north", "south", "east"];

/// How customers earn and cost in one period: effects on revenue (EUR) and support hours.
#[derive(Clone, Copy)]
pub(crate) struct Market {
    /// Extra support hours of a healthcare customer (60 before the market moved).
    pub healthcare_hours: f64,
    /// Extra support hours of a retail customer (0 in a clean market).
    pub retail_hours: f64,
}

impl Market {
    pub const BEFORE: Market = Market {
        healthcare_hours: 60.0,
        retail_hours: 0.0,
    };
}

/// One generated customer row, as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Customer {
    pub id: u32,
    pub won_on: String,
    pub industry: &'static str,
    pub region: &'static str,
    pub employees: u32,
    pub revenue: f64,
    pub support_hours: f64,
}

impl Customer {
    pub fn row(&self) -> String {
        format!(
            "C{:04},Company {},{},{},{},{},{:.2},{:.1}\n",
            self.id,
            self.id,
            self.won_on,
            self.industry,
            self.region,
            self.employees,
            self.revenue,
            self.support_hours
        )
    }
}

/// Customers `ids` (in order), won evenly between the days `first` and `last` (`YYYY-MM-DD`),
/// drawn from a stream seeded with `seed` in `market`.
pub(crate) fn customers(
    ids: std::ops::Range<u32>,
    first: &str,
    last: &str,
    market: Market,
    seed: u64,
) -> Vec<Customer> {
    use leadscore::io::date::{format_days, parse_days};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (d0, d1) = (parse_days(first).unwrap(), parse_days(last).unwrap());
    let n = ids.len().max(2) as i64;
    let size = LogNormal::new(3.0, 1.0).unwrap();
    let noise_eur = Normal::new(0.0, 2500.0).unwrap();
    let noise_hours = Normal::new(0.0, 6.0).unwrap();
    ids.clone()
        .enumerate()
        .map(|(i, id)| {
            let industry = match rng.random::<f64>() {
                x if x < 0.35 => INDUSTRIES[0],
                x if x < 0.65 => INDUSTRIES[1],
                x if x < 0.85 => INDUSTRIES[2],
                _ => INDUSTRIES[3],
            };
            let region = REGIONS[rng.random_range(0..3)];
            let employees = (size.sample(&mut rng) as u32).clamp(1, 5000);
            let ln = (1.0 + f64::from(employees)).ln();
            let revenue = 8000.0
                + match industry {
                    "software" => 9000.0,
                    "healthcare" => 4000.0,
                    "finance" => 12000.0,
                    _ => 0.0,
                }
                + match region {
                    "north" => 2000.0,
                    "east" => -1000.0,
                    _ => 0.0,
                }
                + 3000.0 * ln
                + noise_eur.sample(&mut rng);
            let hours =
                20.0 + match industry {
                    "software" => 15.0,
                    "healthcare" => market.healthcare_hours,
                    "finance" => 10.0,
                    _ => market.retail_hours,
                } + if region == "south" { 10.0 } else { 0.0 }
                    + 4.0 * ln
                    + noise_hours.sample(&mut rng);
            Customer {
                id,
                won_on: format_days(d0 + (d1 - d0) * i as i64 / (n - 1)),
                industry,
                region,
                employees,
                revenue: revenue.max(500.0),
                support_hours: hours.max(0.0),
            }
        })
        .collect()
}

/// A history file's text: the header and `rows`.
pub(crate) fn csv(rows: &[Customer]) -> String {
    let mut s = format!("{HEADER}\n");
    for c in rows {
        s.push_str(&c.row());
    }
    s
}

/// A lead list covering every industry and region at a few sizes.
pub(crate) fn leads() -> String {
    let mut s = String::from("lead_id,industry,region,employees\n");
    let mut i = 0;
    for industry in INDUSTRIES {
        for region in REGIONS {
            for employees in [3, 40, 900] {
                i += 1;
                s.push_str(&format!("L{i:02},{industry},{region},{employees}\n"));
            }
        }
    }
    s
}

/// Every file under `dir` (recursively) as (path relative to `dir`, bytes), sorted; an absent
/// directory is empty. Proves a failed or dry run changed nothing.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts two snapshots are the same, naming the first path that differs.
#[track_caller]
pub(crate) fn same_tree(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>) {
    let paths = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(paths(before), paths(after), "the files changed");
    for (path, bytes) in before {
        assert!(after[path] == *bytes, "{path} changed");
    }
}

/// A scratch directory with the config, the lead list and `base.csv` (400 customers won in
/// 2025 in the market before it moved), and a model trained on it in `models/` (v0001).
/// Runs a retrain that must come to a decision: promoted (0) or kept the current model (3).
#[track_caller]
fn decided(env: &Env, args: &[&str]) -> Run {
    let run = env.run(args);
    assert!(
        run.code == 0 || run.code == 3,
        "{}{}",
        run.stderr,
        run.stdout
    );
    run
}

pub(crate) fn trained() -> (Env, Vec<Customer>) {
    let env = Env::new();
    env.write("leadscore.toml", CONFIG);
    env.write("leads.csv", leads());
    let base = customers(1..401, "2025-01-01", "2025-12-31", Market::BEFORE, 1);
    env.write("base.csv", csv(&base));
    succeeded(&env.run(&["train", "--history", "base.csv"]));
    (env, base)
}

/// `score` of the lead list with the current model, in input order.
pub(crate) fn scores(env: &Env) -> String {
    let run = env.run(&["score", "leads.csv", "--keep-order"]);
    succeeded(&run);
    run.stdout
}

/// The market after it moved: a healthcare customer needs over twice the support.
const MOVED: Market = Market {
    healthcare_hours: 200.0,
    retail_hours: 0.0,
};

/// The first line of `text` starting with `prefix`.
#[track_caller]
pub(crate) fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{text}"))
}

/// A new batch after the market moved: 300 customers won in the first half of 2026, 12 of the
/// earlier customers with their revenue corrected, and 8 sent again as they were.
pub(crate) fn moved_batch(base: &[Customer]) -> Vec<Customer> {
    let mut rows: Vec<Customer> = base[..12]
        .iter()
        .map(|c| Customer {
            revenue: c.revenue + 1000.0,
            ..c.clone()
        })
        .collect();
    rows.extend(customers(401..701, "2026-01-01", "2026-06-30", MOVED, 2));
    rows.extend_from_slice(&base[12..20]);
    rows
}

/// A new batch that makes a worse candidate: 100 customers won in early 2026 in the same
/// market, and every earlier retail customer sent again with the support hours booked twice
/// over (+120). The corrupt rows keep their 2025 dates, so they land in what the candidate
/// learns from, while the holdout (the most recently won) is clean.
pub(crate) fn worse_batch(base: &[Customer]) -> Vec<Customer> {
    let mut rows: Vec<Customer> = base
        .iter()
        .filter(|c| c.industry == "retail")
        .map(|c| Customer {
            support_hours: c.support_hours + 120.0,
            ..c.clone()
        })
        .collect();
    rows.extend(customers(
        401..501,
        "2026-01-01",
        "2026-03-31",
        Market::BEFORE,
        3,
    ));
    rows
}

/// The parsed JSON of a file in the scratch directory.
pub(crate) fn json(env: &Env, rel: &str) -> serde_json::Value {
    serde_json::from_str(&env.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn retrain_promotes_a_candidate_that_learnt_how_the_market_moved() {
    let (env, base) = trained();
    let before = scores(&env);
    let batch = moved_batch(&base);
    env.write("new.csv", csv(&batch));

    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(run.stderr, "");
    let out = &run.stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "Merged with models/v0001/history.csv (400 customers), kept as data/history.csv:",
            "  new.csv: 300 new, 12 updated, 8 unchanged",
            "History: 700 customers, won 2025-01-01 to 2026-06-30.",
            ""
        ]
    );
    // The holdout is the 140 most recently won (20% of 700), all from the new batch.
    let new = &batch[12..312];
    assert_eq!(
        lines[4..7],
        [
            "Candidate: trained on 560 customers with the settings of v0001 (from leadscore.toml).".to_string(),
            format!(
                "Holdout: 140 customers won most recently (by won_on), won {} to 2026-06-30.",
                new[160].won_on
            ),
            "Current model v0001 (models/v0001/model.json) against the candidate, on 140 customers:".to_string(),
        ]
    );
    // What moved most is what the market changed: healthcare's burden.
    let effects = out.find("Effects that moved most").expect("effects");
    let first = out[effects..].lines().nth(1).unwrap();
    assert!(first.starts_with("  industry=healthcare "), "{first}");
    assert!(
        line(out, "Decision: ").starts_with(
            "Decision: promoted the candidate. Why: not worse: holdout MAE of net value "
        ),
        "{out}"
    );
    assert!(
        out.ends_with(
            "Saved as v0002 in models/, refit on 700 customers; now current, replacing v0001.\nKept history: data/history.csv.\n"
        ),
        "{out}"
    );

    // The kept history: the base with the 12 corrections in place, then the new customers.
    let mut kept: Vec<Customer> = batch[..12].to_vec();
    kept.extend_from_slice(&base[12..]);
    kept.extend_from_slice(new);
    assert_eq!(env.read("data/history.csv"), csv(&kept));
    assert_eq!(env.read("data/history.csv").lines().count(), 701);
    assert_eq!(env.read("models/v0002/history.csv"), csv(&kept));
    assert!(!env.exists("data/history.previous.csv"));

    // v0002 is current, says why, and is what `score` uses.
    let pointer = json(&env, "models/current.json");
    assert_eq!(pointer["version"], "v0002");
    assert_eq!(pointer["previous"], serde_json::json!(["v0001"]));
    let reason = line(out, "Decision: ")
        .strip_prefix("Decision: promoted the candidate. Why: ")
        .unwrap()
        .strip_suffix('.')
        .unwrap();
    assert_eq!(pointer["reason"], reason);
    let info = json(&env, "models/v0002/version.json");
    assert_eq!(info["made_by"], "retrain");
    assert_eq!(info["customers"], 700);
    assert_eq!(info["decision"], "promoted");
    assert_eq!(info["reason"], reason);
    assert_eq!(
        info["measured_on"],
        "holdout of 140 customers won most recently (by won_on)"
    );
    let list = env.run(&["models", "list"]);
    succeeded(&list);
    assert!(
        line(&list.stdout, "* v0002 ").contains(" retrain        700  2025-01-01..2026-06-30 "),
        "{}",
        list.stdout
    );
    assert!(line(&list.stdout, "  v0001 ").ends_with("  promoted"));
    assert_eq!(
        line(&list.stdout, "Current: "),
        format!("Current: v0002 since 2026-09-21T14:13:20Z ({reason}).")
    );
    assert!(list
        .stdout
        .ends_with("\n`leadscore models rollback` would make v0001 current again.\n"));
    let after = scores(&env);
    assert_ne!(after, before, "score still uses v0001");
    let v2 = env.run(&[
        "score",
        "leads.csv",
        "--keep-order",
        "--model",
        "models/v0002/model.json",
    ]);
    succeeded(&v2);
    assert_eq!(after, v2.stdout);
}

#[test]
fn the_gate_keeps_the_current_model_when_the_candidate_is_worse() {
    let (env, base) = trained();
    let before = scores(&env);
    let pointer = env.read("models/current.json");
    let batch = worse_batch(&base);
    let corrected = batch.len() - 100;
    env.write("new.csv", csv(&batch));

    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 3, "{}{}", run.stderr, run.stdout);
    assert_eq!(run.stderr, "");
    let out = &run.stdout;
    assert_eq!(
        line(out, "  new.csv: "),
        format!("  new.csv: 100 new, {corrected} updated, 0 unchanged")
    );
    let decision = line(out, "Decision: ");
    let reason = decision
        .strip_prefix("Decision: kept the current model. Why: ")
        .and_then(|r| r.strip_suffix('.'))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        reason.starts_with("the candidate is worse beyond tolerance: holdout MAE of net value "),
        "{reason}"
    );
    assert!(reason.contains("%, tolerance +2.0%)"), "{reason}");
    assert!(
        out.ends_with(
            "Saved as v0002 in models/, refit on 500 customers; not current (make it so with `leadscore models promote v0002`).\nKept history: data/history.csv.\n"
        ),
        "{out}"
    );

    // Stored, with the reason, but not current: the pointer and the scores are as they were.
    let info = json(&env, "models/v0002/version.json");
    assert_eq!(info["decision"], "kept back");
    assert_eq!(info["reason"], reason);
    assert_eq!(env.read("models/current.json"), pointer);
    assert_eq!(scores(&env), before);
    let list = env.run(&["models", "list"]);
    succeeded(&list);
    assert!(
        line(&list.stdout, "  v0002 ").ends_with("  kept back"),
        "{}",
        list.stdout
    );
    assert!(line(&list.stdout, "* v0001 ").ends_with("  promoted"));
    // The merged history is kept all the same: the next retrain starts from it.
    assert_eq!(env.read("data/history.csv").lines().count(), 501);
}

#[test]
fn a_dry_run_writes_nothing_and_force_promotes_a_worse_candidate_saying_so() {
    let (env, base) = trained();
    env.write("new.csv", csv(&worse_batch(&base)));
    let before = snapshot(&env.path(""));

    let dry = env.run(&["retrain", "--history", "new.csv", "--dry-run"]);
    assert_eq!(dry.code, 3, "{}{}", dry.stderr, dry.stdout);
    assert!(line(&dry.stdout, "Decision: ").starts_with(
        "Decision: would keep the current model (dry run: nothing written). Why: the candidate is worse beyond tolerance: "
    ));
    assert!(!dry.stdout.contains("Saved as"), "{}", dry.stdout);
    same_tree(&before, &snapshot(&env.path("")));

    let both = env.run(&["retrain", "--history", "new.csv", "--dry-run", "--force"]);
    assert_eq!(both.code, 2);
    assert!(
        both.stderr
            .starts_with("error: the argument '--dry-run' cannot be used with '--force'"),
        "{}",
        both.stderr
    );

    let forced = env.run(&["retrain", "--history", "new.csv", "--force"]);
    assert_eq!(forced.code, 0, "{}{}", forced.stderr, forced.stdout);
    let reason = line(&forced.stdout, "Decision: ")
        .strip_prefix("Decision: promoted the candidate. Why: ")
        .and_then(|r| r.strip_suffix('.'))
        .unwrap();
    assert!(
        reason.starts_with("forced with --force (holdout MAE of net value "),
        "{reason}"
    );
    // The figures are the dry run's: it judged what the real run did.
    let dry_reason = line(&dry.stdout, "Decision: ")
        .split_once(": the candidate is worse beyond tolerance: ")
        .unwrap()
        .1;
    assert!(
        reason.contains(dry_reason.split(';').next().unwrap()),
        "{reason} / {dry_reason}"
    );
    let pointer = json(&env, "models/current.json");
    assert_eq!(pointer["version"], "v0002");
    assert_eq!(pointer["reason"], reason);
    assert_eq!(
        json(&env, "models/v0002/version.json")["decision"],
        "promoted"
    );
}

#[test]
fn a_dry_run_of_a_promotion_exits_0_and_judges_as_the_real_run_does() {
    let (env, base) = trained();
    env.write("new.csv", csv(&moved_batch(&base)));
    let before = snapshot(&env.path(""));
    let dry = env.run(&["retrain", "--history", "new.csv", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stderr, dry.stdout);
    same_tree(&before, &snapshot(&env.path("")));
    // Its JSON says the same, for a scheduler.
    let dry_json = env.run(&[
        "retrain",
        "--history",
        "new.csv",
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_eq!(dry_json.code, 0, "{}", dry_json.stderr);
    same_tree(&before, &snapshot(&env.path("")));
    let report: serde_json::Value = serde_json::from_str(&dry_json.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["decision"]["promote"], true);
    assert_eq!(report["saved"], serde_json::Value::Null);
    let file = &report["files"][0];
    assert_eq!(
        [&file["new"], &file["updated"], &file["unchanged"]],
        [300, 12, 8]
    );
    assert_eq!(
        line(&dry.stdout, "Decision: "),
        format!(
            "Decision: would promote the candidate (dry run: nothing written). Why: {}.",
            report["decision"]["reason"].as_str().unwrap()
        )
    );
    let real = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(real.code, 0, "{}{}", real.stderr, real.stdout);
    // Everything up to the decision is the same report.
    let upto = |s: &str| s[..s.find("\nDecision: ").unwrap()].to_string();
    assert_eq!(upto(&dry.stdout), upto(&real.stdout));
    assert_eq!(
        line(&dry.stdout, "Decision: ").replace(
            "would promote the candidate (dry run: nothing written)",
            "promoted the candidate"
        ),
        line(&real.stdout, "Decision: ")
    );
}

#[test]
fn a_current_model_older_than_max_age_days_is_replaced_by_a_worse_candidate() {
    let env = Env::new();
    env.write(
        "leadscore.toml",
        format!("{CONFIG}\n[retrain]\nmax_age_days = 30\n"),
    );
    let base = customers(1..401, "2025-01-01", "2025-12-31", Market::BEFORE, 1);
    env.write("base.csv", csv(&base));
    succeeded(&env.run(&["train", "--history", "base.csv"]));
    env.write("new.csv", csv(&worse_batch(&base)));
    // Trained at SOURCE_DATE_EPOCH 1790000000; ten days on it is young enough to keep.
    let day = 86_400;
    let ten = (1_790_000_000 + 10 * day).to_string();
    // A dry run, so the real run below still finds the batch new.
    let young = env.run_with_env(
        &["retrain", "--history", "new.csv", "--dry-run"],
        &[("SOURCE_DATE_EPOCH", &ten)],
    );
    assert_eq!(young.code, 3, "{}{}", young.stderr, young.stdout);
    let hundred = (1_790_000_000 + 100 * day).to_string();
    let old = env.run_with_env(
        &["retrain", "--history", "new.csv"],
        &[("SOURCE_DATE_EPOCH", &hundred)],
    );
    assert_eq!(old.code, 0, "{}{}", old.stderr, old.stdout);
    let decision = line(&old.stdout, "Decision: ");
    assert!(
        decision.starts_with(
            "Decision: promoted the candidate. Why: the current model is 100 days old, older than retrain.max_age_days = 30, so it is replaced although the candidate is worse (holdout MAE of net value "
        ),
        "{decision}"
    );
    let pointer = json(&env, "models/current.json");
    assert_eq!(pointer["version"], "v0002");
    assert_eq!(pointer["since"], "2026-12-30T14:13:20Z");
}

/// `trained()` and one retrain that promoted v0002 and started the kept history.
pub(crate) fn retrained() -> (Env, Vec<Customer>) {
    let (env, base) = trained();
    env.write("new.csv", csv(&moved_batch(&base)));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    (env, base)
}

#[test]
fn a_bad_new_file_leaves_the_models_and_the_kept_history_as_they_were() {
    let (env, _) = retrained();
    let more = customers(701..741, "2026-07-01", "2026-07-31", MOVED, 4);
    let good = csv(&more);
    env.write("good.csv", &good);
    // Line 4 of the file (the third customer) has a size that is not a number.
    let rows: Vec<String> = good.lines().map(String::from).collect();
    let mut bad = rows.clone();
    bad[3] = bad[3].replacen(&format!(",{},", more[2].employees), ",many,", 1);
    env.write("bad-number.csv", bad.join("\n") + "\n");
    let drop_column = |name: &str| {
        let i = HEADER.split(',').position(|h| h == name).unwrap();
        let mut out = String::new();
        for row in &rows {
            let mut fields: Vec<&str> = row.split(',').collect();
            fields.remove(i);
            out.push_str(&fields.join(","));
            out.push('\n');
        }
        out
    };
    env.write("no-employees.csv", drop_column("employees"));
    env.write("no-support.csv", drop_column("support_hours"));
    env.write("no-date.csv", drop_column("won_on"));
    env.write("no-company.csv", drop_column("company"));
    let mut us_date = rows.clone();
    us_date[2] = us_date[2].replacen(&more[1].won_on, "07/02/2026", 1);
    env.write("us-date.csv", us_date.join("\n") + "\n");
    let mut twice = rows.clone();
    twice.push(rows[5].clone());
    env.write("twice.csv", twice.join("\n") + "\n");
    env.write("rate.toml", CONFIG.replace("rate = 50", "rate = 55"));
    env.write(
        "currency.toml",
        CONFIG.replace("currency = \"EUR\"", "currency = \"USD\""),
    );
    env.write(
        "id.toml",
        CONFIG.replace("id = \"customer_id\"", "id = \"company\""),
    );
    let before = snapshot(&env.path(""));

    let cases: &[(&[&str], &str)] = &[
        (
            &["bad-number.csv"],
            "error: bad-number.csv:4: column \"employees\": expected a number, got \"many\"\n",
        ),
        (
            &["good.csv", "bad-number.csv"],
            "error: bad-number.csv:4: column \"employees\": expected a number, got \"many\"\n",
        ),
        (
            &["no-employees.csv"],
            "error: no-employees.csv: no column \"employees\" (a feature in the config); the header has: customer_id, company, won_on, industry, region, revenue, support_hours\n",
        ),
        (
            &["no-support.csv"],
            "error: no-support.csv: no column \"support_hours\" (an outcome in [economics]); the header has: customer_id, company, won_on, industry, region, employees, revenue\n",
        ),
        (
            &["no-date.csv"],
            "error: no-date.csv: no column \"won_on\" (the date customers were won, columns.date in the config); the header has: customer_id, company, industry, region, employees, revenue, support_hours\n",
        ),
        (
            &["no-company.csv"],
            "error: no-company.csv: has no column \"company\", which models/v0002/history.csv, the history merged into, has; every customer in it needs one (add the column, blank where unknown)\n",
        ),
        (
            &["us-date.csv"],
            "error: us-date.csv:3: column \"won_on\": expected a date as YYYY-MM-DD, got \"07/02/2026\"\n",
        ),
        (
            &["twice.csv"],
            "error: twice.csv:42: column \"customer_id\": duplicate id \"C0705\" (first seen on line 6)\n",
        ),
        (
            &["missing.csv"],
            "error: cannot read missing.csv: No such file or directory (os error 2)\n",
        ),
        (
            &["good.csv", "--config", "rate.toml"],
            "error: rate.toml: economics.burden term \"support\" has rate 55, but v0002 (models/v0002/model.json) was trained with rate 50; the candidate and the current model would not predict the same money, so train a fresh model with `leadscore train` instead of retraining\n",
        ),
        (
            &["good.csv", "--config", "currency.toml"],
            "error: currency.toml: currency is USD, but v0002 (models/v0002/model.json) was trained with EUR; the candidate and the current model would not predict the same money, so train a fresh model with `leadscore train` instead of retraining\n",
        ),
        (
            &["good.csv", "--config", "id.toml"],
            "error: id.toml: columns.id is \"company\", but v0002 (models/v0002/model.json) was trained with \"customer_id\"; the candidate and the current model would not predict the same money, so train a fresh model with `leadscore train` instead of retraining\n",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["retrain", "--history"];
        all.extend_from_slice(args);
        let run = env.run(&all);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stderr, run.stdout);
        assert_eq!(run.stdout, "", "{args:?}");
        assert_eq!(run.stderr, *expected, "{args:?}");
        same_tree(&before, &snapshot(&env.path("")));
    }
}

#[test]
fn a_column_the_kept_history_lacks_is_noted_and_left_out() {
    let (env, _) = retrained();
    let more = customers(701..741, "2026-07-01", "2026-07-31", MOVED, 4);
    let mut text = format!("{HEADER},notes\n");
    for c in &more {
        text.push_str(&format!("{},called twice\n", c.row().trim_end()));
    }
    env.write("extra.csv", text);
    let run = decided(&env, &["retrain", "--history", "extra.csv"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "Merged with models/v0002/history.csv (700 customers), kept as data/history.csv:",
            "  extra.csv: 40 new, 0 updated, 0 unchanged",
            "  Note: \"notes\" is not in the kept history and left out; add it to [features] and retrain from the full history to use it.",
        ]
    );
    let kept = env.read("data/history.csv");
    assert_eq!(kept.lines().next(), Some(HEADER));
    assert_eq!(kept.lines().count(), 741);
    assert!(!kept.contains("called twice"));
    // The history the new one replaced is kept beside it.
    assert_eq!(
        env.read("data/history.previous.csv"),
        env.read("models/v0002/history.csv")
    );
}

#[test]
fn a_retrain_merges_into_the_versions_copy_of_its_history_or_needs_a_fresh_start() {
    let (env, base) = trained();
    let snapshot_v1 = env.read("models/v0001/history.csv");
    assert_eq!(snapshot_v1, csv(&base));
    // The training file grows (as a CRM export does): the version keeps what it was trained on.
    let grown: Vec<Customer> = customers(901..921, "2026-01-01", "2026-01-31", MOVED, 5);
    let appended: String = grown.iter().map(Customer::row).collect();
    std::fs::OpenOptions::new()
        .append(true)
        .open(env.path("base.csv"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, appended.as_bytes()))
        .unwrap();
    assert_eq!(env.read("models/v0001/history.csv"), snapshot_v1);

    // A file without the `company` column, for --fresh below.
    let mut lacking =
        String::from("customer_id,won_on,industry,region,employees,revenue,support_hours\n");
    for c in &grown {
        let row = c.row();
        let (id, rest) = row.split_once(',').unwrap();
        lacking.push_str(&format!("{id},{}", rest.split_once(',').unwrap().1));
    }
    env.write("lacking.csv", lacking);
    env.write("new.csv", csv(&moved_batch(&base)));
    // The version's own copy is what v0001 learnt from: the grown file is not merged into.
    let run = env.run(&["retrain", "--history", "new.csv", "--dry-run"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stdout.lines().next(),
        Some("Merged with models/v0001/history.csv (400 customers), kept as data/history.csv:")
    );

    // With the copy cut short too, no file is what v0001 learnt from: refused, saying where
    // it looked, rather than learning from fewer customers.
    let cut: String = snapshot_v1
        .lines()
        .take(201)
        .map(|l| format!("{l}\n"))
        .collect();
    env.write("models/v0001/history.csv", cut);
    let before = snapshot(&env.path(""));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 2, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stderr,
        "error: cannot find the history v0001 learnt from as it was (the SHA-256 its model recorded): models/v0001/history.csv has changed since, and base.csv has changed since; retrain merges the new customers into exactly that history, so pass the full history together with the new files and --fresh to start a new one\n"
    );
    same_tree(&before, &snapshot(&env.path("")));

    // --fresh starts the kept history from the files given; each must have the first's columns.
    let run = env.run(&["retrain", "--fresh", "--history", "new.csv", "lacking.csv"]);
    assert_eq!(run.code, 2, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stderr,
        "error: lacking.csv: has no column \"company\", which new.csv, the first new file, has; every customer in it needs one (add the column, blank where unknown)\n"
    );
    same_tree(&before, &snapshot(&env.path("")));

    let run = env.run(&["retrain", "--fresh", "--history", "base.csv", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stdout.lines().take(4).collect::<Vec<_>>(),
        [
            "Started a new history from:",
            "  base.csv: 420 new, 0 updated, 0 unchanged",
            "  new.csv: 300 new, 12 updated, 8 unchanged",
            "History: 720 customers, won 2025-01-01 to 2026-06-30.",
        ]
    );
    let run = env.run(&["retrain", "--fresh", "--history", "new.csv"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --fresh starts a new history, but data/history.csv exists; move it away first if that is what you want\n"
    );
}

#[test]
fn a_second_writer_fails_at_once_with_no_wait_and_waits_without_it() {
    use std::io::{BufRead, Write};
    let (env, base) = trained();
    env.write("new.csv", csv(&moved_batch(&base)));
    // The test holds the registry's lock as another leadscore would.
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(env.path("models/.lock"))
        .unwrap();
    lock.lock().unwrap();
    let before = snapshot(&env.path(""));
    for args in [
        &["retrain", "--history", "new.csv", "--no-wait"][..],
        &["models", "promote", "v1", "--no-wait"],
    ] {
        let run = env.run(args);
        assert_eq!(run.code, 1, "{args:?}: {}{}", run.stderr, run.stdout);
        assert_eq!(
            run.stderr,
            "error: cannot lock models: another leadscore is writing to it; run again later, or leave out --no-wait to wait for it\n"
        );
        same_tree(&before, &snapshot(&env.path("")));
    }
    // A holder that says who it is is named.
    lock.write_all(b"pid 4242, retrain, since 2026-09-21T14:13:20Z")
        .unwrap();
    let run = env.run(&["retrain", "--history", "new.csv", "--no-wait"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: cannot lock models: another leadscore (pid 4242, retrain, since 2026-09-21T14:13:20Z) is writing to it; run again later, or leave out --no-wait to wait for it\n"
    );

    // Without --no-wait it says whom it waits for, waits, and finishes once the lock is free.
    let mut child = env
        .command("", &["retrain", "--history", "new.csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut waiting = String::new();
    stderr.read_line(&mut waiting).unwrap();
    assert_eq!(
        waiting,
        "Waiting for another leadscore (pid 4242, retrain, since 2026-09-21T14:13:20Z) to finish writing to models...\n"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "it did not wait");
    assert_eq!(json(&env, "models/current.json")["version"], "v0001");
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(lock);
    });
    let out = child.wait_with_output().unwrap();
    release.join().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(out.status.code(), Some(0), "{rest}");
    assert_eq!(rest, "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("now current, replacing v0001."));
    assert_eq!(json(&env, "models/current.json")["version"], "v0002");
}

/// Copies the tree `from` to `to` (which must not exist), file by file.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Names in a directory (none if it does not exist).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The versions `models list --format json` lists, and the current one.
fn listed(env: &Env, rel: &str) -> (Vec<String>, String) {
    let run = env.run_in(rel, &["models", "list", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let versions = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_str().unwrap().to_string())
        .collect();
    (versions, v["current"].as_str().unwrap().to_string())
}

/// The kill test: a retrain SIGKILLed at a random moment (seeded) across its whole run, well
/// over a hundred times, must always leave a registry whose current model scores exactly as
/// the old one or the complete new one, a kept history that is the old or the new one, only
/// complete versions, and nothing a later retrain cannot clean up.
#[cfg(unix)]
#[test]
fn a_retrain_killed_at_any_moment_leaves_the_old_state_or_the_new_one() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    const ITERATIONS: usize = 120;
    const AT_LEAST: usize = 100;
    let budget = Duration::from_secs(60);

    // The prepared state: v0001 trained on 2025, v0002 retrained with early 2026 (the kept
    // history starts), and a batch of spring 2026 to retrain with, all small enough that a
    // debug retrain takes a few hundred milliseconds.
    let env = Env::new();
    env.write("prep/leadscore.toml", CONFIG);
    env.write("prep/leads.csv", leads());
    let base = customers(1..241, "2025-01-01", "2025-12-31", Market::BEFORE, 11);
    env.write("prep/base.csv", csv(&base));
    succeeded(&env.run_in("prep", &["train", "--history", "base.csv"]));
    let first = customers(241..301, "2026-01-01", "2026-02-28", MOVED, 12);
    env.write("prep/first.csv", csv(&first));
    let run = env.run_in("prep", &["retrain", "--history", "first.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    let further = Market {
        healthcare_hours: 320.0,
        ..MOVED
    };
    let batch = customers(301..381, "2026-03-01", "2026-04-30", further, 13);
    env.write("prep/batch.csv", csv(&batch));
    let retrain = ["retrain", "--history", "batch.csv"];
    let score = ["score", "leads.csv", "--keep-order"];

    // The two references: the state before, and after an uninterrupted retrain (twice, to
    // know it is reproducible byte for byte under SOURCE_DATE_EPOCH).
    let old_scores = env.run_in("prep", &score).stdout;
    let old_kept = std::fs::read(env.path("prep/data/history.csv")).unwrap();
    let old_versions: Vec<_> = ["v0001", "v0002"]
        .map(|v| snapshot(&env.path(&format!("prep/models/{v}"))))
        .into();
    let mut took = Vec::new();
    for r in ["ref", "ref2"] {
        copy_tree(&env.path("prep"), &env.path(r));
        let t = Instant::now();
        let run = env.run_in(r, &retrain);
        took.push(t.elapsed());
        assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    }
    let new_scores = env.run_in("ref", &score).stdout;
    assert_ne!(new_scores, old_scores);
    let new_kept = std::fs::read(env.path("ref/data/history.csv")).unwrap();
    let new_version = snapshot(&env.path("ref/models/v0003"));
    same_tree(&new_version, &snapshot(&env.path("ref2/models/v0003")));
    assert_eq!(
        new_kept,
        std::fs::read(env.path("ref2/data/history.csv")).unwrap()
    );
    let full = *took.iter().max().unwrap();

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let mut phases: BTreeMap<&str, usize> = BTreeMap::new();
    let mut leftovers: BTreeMap<String, usize> = BTreeMap::new();
    let start = Instant::now();
    let mut done = 0;
    // The first AT_LEAST kills always run (bounded by a hard limit, for a machine so loaded
    // that they cannot); more are added while the budget lasts.
    let hard_limit = budget * 5;
    while (done < AT_LEAST || (done < ITERATIONS && start.elapsed() < budget))
        && start.elapsed() < hard_limit
    {
        let _ = std::fs::remove_dir_all(env.path("work"));
        copy_tree(&env.path("prep"), &env.path("work"));
        // Half the kills land anywhere from before the run has started reading to after it
        // has finished. The writing at the end takes milliseconds of the run, so the other
        // half wait for it: a quarter for the finished model in the staging directory (the
        // version is being completed and renamed into place), a quarter for the version
        // directory (the kept history and the pointer are being swapped), then a little more.
        let work = env.path("work");
        let (mode, delay) = match rng.random_range(0..4) {
            0 | 1 => ("anywhere", full.mul_f64(rng.random_range(0.0..1.15))),
            2 => ("staged", Duration::from_micros(rng.random_range(0..5_000))),
            _ => ("added", Duration::from_micros(rng.random_range(0..10_000))),
        };
        let mut child = env
            .command("work", &retrain)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let reached = |models: &Path| match mode {
            "staged" => names(models)
                .iter()
                .any(|n| n.starts_with(".staging-") && models.join(n).join("model.json").exists()),
            _ => models.join("v0003").exists(),
        };
        if mode != "anywhere" {
            let t = Instant::now();
            while !reached(&work.join("models"))
                && child.try_wait().unwrap().is_none()
                && t.elapsed() < full * 20
            {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        done += 1;

        let in_models = names(&work.join("models"));
        let in_data = names(&work.join("data"));
        let pointer = json(&env, "work/models/current.json")["version"]
            .as_str()
            .unwrap()
            .to_string();
        let kept = std::fs::read(work.join("data/history.csv")).unwrap();
        let previous = std::fs::read(work.join("data/history.previous.csv")).ok();
        let phase = if status.success() {
            "finished"
        } else if pointer == "v0003" {
            "promoted, not finished"
        } else if kept == new_kept {
            "kept history replaced"
        } else if previous.is_some() {
            "history before kept aside"
        } else if in_models.iter().any(|n| n == "v0003") {
            "version added"
        } else if in_models.iter().any(|n| n.starts_with(".staging-")) {
            "staging"
        } else {
            "before staging"
        };
        *phases.entry(phase).or_default() += 1;
        let context =
            format!("kill {done} ({mode} + {delay:?}, {phase}): {in_models:?} {in_data:?}");

        // The current model loads and scores as the old one or the complete new one.
        let scored = env.run_in("work", &score);
        assert_eq!(scored.code, 0, "{context}: {}", scored.stderr);
        let expected = match pointer.as_str() {
            "v0002" => &old_scores,
            "v0003" => &new_scores,
            other => panic!("{context}: current is {other}"),
        };
        assert!(scored.stdout == *expected, "{context}: scores differ");
        leadscore::model::registry::load(&work.join("models")).unwrap();
        // The kept history is the old or the new one; the one kept aside is the old one.
        assert!(kept == old_kept || kept == new_kept, "{context}: history");
        assert!(
            previous.is_none_or(|p| p == old_kept),
            "{context}: history.previous.csv"
        );
        // Every version there is complete: the old ones untouched, the new one whole.
        for name in in_models.iter().filter(|n| n.starts_with('v')) {
            let got = snapshot(&work.join("models").join(name));
            match name.as_str() {
                "v0001" => same_tree(&old_versions[0], &got),
                "v0002" => same_tree(&old_versions[1], &got),
                "v0003" => same_tree(&new_version, &got),
                other => panic!("{context}: {other}"),
            }
        }
        let (versions, current) = listed(&env, "work");
        assert_eq!(current, pointer, "{context}");
        let mut expected = vec!["v0003", "v0002", "v0001"];
        if !in_models.iter().any(|n| n == "v0003") {
            expected.remove(0);
        }
        assert_eq!(versions, expected, "{context}");
        for (dir, list) in [("models", &in_models), ("data", &in_data)] {
            for n in list.iter().filter(|n| n.starts_with('.') && *n != ".lock") {
                let kind = n.split(['-', '.']).nth(1).unwrap_or(n);
                *leftovers.entry(format!("{dir}/.{kind}")).or_default() += 1;
            }
        }

        // A later retrain runs (without waiting: no lock outlives a killed run) and cleans up
        // what the killed one left. Checked every time something other than a staging
        // directory was left (those are the most common), and every fourth time anyway.
        let rare = in_models
            .iter()
            .any(|n| n.starts_with('.') && n != ".lock" && !n.starts_with(".staging-"))
            || in_data.iter().any(|n| n.starts_with('.'));
        if rare || done % 4 == 0 {
            let run = env.run_in("work", &["retrain", "--history", "batch.csv", "--no-wait"]);
            assert!(
                run.code == 0 || run.code == 3,
                "{context}: the next retrain: {}",
                run.stderr
            );
            let after = names(&work.join("models"));
            assert!(
                after.iter().all(|n| !n.starts_with('.') || n == ".lock"),
                "{context}: left after the next retrain: {after:?}"
            );
            assert_eq!(
                names(&work.join("data")),
                ["history.csv", "history.previous.csv"],
                "{context}"
            );
            assert_eq!(env.run_in("work", &score).code, 0, "{context}");
        }
    }
    eprintln!(
        "kill test: {done} kills in {:.1?} (an uninterrupted retrain took {full:?}); where they landed: {phases:?}; left behind: {leftovers:?}",
        start.elapsed()
    );
    assert!(
        done >= AT_LEAST,
        "only {done} kills within {hard_limit:?}; make the data smaller"
    );
}

#[test]
fn the_same_batch_again_is_nothing_new_and_writes_nothing() {
    // A scheduler that runs twice on one export, or a quiet month: no candidate, no version,
    // no kept-history swap, and exit 0 (the current model staying is not a failure).
    let (env, _) = retrained();
    let before = snapshot(&env.path(""));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stdout,
        "new.csv: 320 customers unchanged, none new or updated.\n\
         Nothing new to learn: no candidate trained, nothing written; the current model v0002 (models/v0002/model.json) stays current.\n"
    );
    same_tree(&before, &snapshot(&env.path("")));
}

#[test]
fn holdout_customers_the_current_model_learnt_from_are_judged_by_neither_model() {
    // After one retrain the kept history is what v0002 learnt from. A second batch dated
    // among the newest puts some of those customers in the holdout: both models are judged
    // only on the customers v0002 never saw, and the seen ones train the candidate instead.
    let (env, _) = retrained();
    let later = customers(1001..1201, "2026-06-01", "2026-09-30", MOVED, 7);
    env.write("later.csv", csv(&later));
    let run = decided(&env, &["retrain", "--history", "later.csv", "--dry-run"]);
    let note = line(&run.stdout, "The current model was trained on ");
    let (seen, judged) = {
        let n: Vec<usize> = note
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        (n[0], n[1])
    };
    // 20% of the 900 merged customers is 180; the 200 new ones won from June are the newest,
    // but June also holds customers of the first batch.
    assert_eq!(seen + judged, 180, "{note}");
    assert!(seen > 0 && judged >= 30, "{note}");
    assert_eq!(
        line(&run.stdout, "Current model "),
        format!("Current model v0002 (models/v0002/model.json) against the candidate, on {judged} customers:")
    );
}

/// `text` as a German spreadsheet exports it: `;` between fields, a decimal comma.
fn german(text: &str) -> String {
    text.replace(',', ";").replace('.', ",")
}

/// A customer's row with its support hours (the last field) blank: not known yet.
fn hours_unknown(c: &Customer) -> String {
    let row = c.row();
    format!("{},\n", row.trim_end().rsplit_once(',').unwrap().0)
}

#[test]
fn histories_written_with_semicolons_and_decimal_commas_retrain_and_merge_with_plain_ones() {
    // A model trained on a German export, retrained with a plain file: the kept history stays
    // written as the export was, the plain file's numbers taking a decimal comma, and is read
    // back so (the delimiter is recorded with the version).
    let env = Env::new();
    env.write("leadscore.toml", CONFIG);
    env.write("leads.csv", leads());
    let base = customers(1..401, "2025-01-01", "2025-12-31", Market::BEFORE, 1);
    env.write("base.csv", german(&csv(&base)));
    succeeded(&env.run(&["train", "--history", "base.csv"]));
    assert_eq!(
        json(&env, "models/v0001/version.json")["history_delimiter"],
        ";"
    );
    let batch = moved_batch(&base);
    env.write("new.csv", csv(&batch));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(run.stderr, "");
    assert_eq!(
        line(&run.stdout, "  new.csv: "),
        "  new.csv: 300 new, 12 updated, 8 unchanged"
    );
    let mut kept: Vec<Customer> = batch[..12].to_vec();
    kept.extend_from_slice(&base[12..]);
    kept.extend_from_slice(&batch[12..312]);
    assert_eq!(env.read("data/history.csv"), german(&csv(&kept)));
    assert_eq!(env.read("models/v0002/history.csv"), german(&csv(&kept)));
    assert_eq!(
        json(&env, "models/v0002/version.json")["history_delimiter"],
        ";"
    );
    // The same batch exported the German way is the same customers: nothing new.
    env.write("new-de.csv", german(&csv(&batch)));
    let run = env.run(&["retrain", "--history", "new-de.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stdout,
        "new-de.csv: 320 customers unchanged, none new or updated.\n\
         Nothing new to learn: no candidate trained, nothing written; the current model v0002 (models/v0002/model.json) stays current.\n"
    );

    // The other way round: a plain history merging a German export learns exactly what it
    // learns from the plain export of the same customers.
    let runs: Vec<Env> = [true, false]
        .into_iter()
        .map(|in_german| {
            let (env, base) = trained();
            let text = csv(&moved_batch(&base));
            env.write("new.csv", if in_german { german(&text) } else { text });
            let run = env.run(&["retrain", "--history", "new.csv"]);
            assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
            env
        })
        .collect();
    assert_eq!(
        runs[0].read("data/history.csv"),
        runs[1].read("data/history.csv")
    );
    assert_eq!(scores(&runs[0]), scores(&runs[1]));
}

#[test]
fn a_retrain_that_fails_after_merging_leaves_a_model_of_the_old_layout_as_it_was() {
    let env = Env::new();
    env.write("leadscore.toml", CONFIG);
    let base = customers(1..401, "2025-01-01", "2025-12-31", Market::BEFORE, 1);
    env.write("base.csv", csv(&base));
    let model = [
        "train",
        "--history",
        "base.csv",
        "--models",
        "models/model.json",
    ];
    succeeded(&env.run(&model));
    // 200 customers won since, none of whose support hours are known yet: the holdout, the
    // 120 most recently won, has nothing to judge either model on. The problem is found after
    // the merge; the model must not have been imported into a registry by then, nor the
    // message name a file of the run's own.
    let since = customers(401..601, "2026-01-01", "2026-06-30", MOVED, 2);
    let mut text = format!("{HEADER}\n");
    text.extend(since.iter().map(hours_unknown));
    env.write("unknown.csv", text);
    let before = snapshot(&env.path(""));
    let run = env.run(&["retrain", "--history", "unknown.csv"]);
    assert_eq!(run.code, 2, "{}{}", run.stderr, run.stdout);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: none of the 120 holdout customers, won most recently (by won_on), has every outcome filled in, so neither model can be judged on them; fill in their outcomes, or leave out the customers whose outcomes are not known yet\n"
    );
    same_tree(&before, &snapshot(&env.path("")));

    // With every other one known, the half that is known is judged, and the rest said.
    let models = snapshot(&env.path("models"));
    let mut text = format!("{HEADER}\n");
    for (i, c) in since.iter().enumerate() {
        text.push_str(&if i % 2 == 0 {
            c.row()
        } else {
            hours_unknown(c)
        });
    }
    env.write("half.csv", text);
    let run = decided(&env, &["retrain", "--history", "half.csv", "--dry-run"]);
    assert_eq!(
        line(&run.stdout, "Current model "),
        "Current model v0001 (models/model.json) against the candidate, on 60 customers:"
    );
    assert_eq!(
        line(&run.stdout, "  60 holdout"),
        "  60 holdout customers with a blank outcome cannot be judged."
    );
    same_tree(&models, &snapshot(&env.path("models")));
}

#[test]
fn a_retrain_merges_into_what_the_current_model_learnt_from_after_an_edit_train_or_rollback() {
    let (env, base) = retrained();
    // The kept history cut short by hand is not learnt from: v0002's own copy is.
    let kept = env.read("data/history.csv");
    let cut: String = kept.lines().take(101).map(|l| format!("{l}\n")).collect();
    env.write("data/history.csv", &cut);
    let more = customers(701..741, "2026-07-01", "2026-07-31", MOVED, 4);
    env.write("more.csv", csv(&more));
    let run = decided(&env, &["retrain", "--history", "more.csv", "--dry-run"]);
    assert_eq!(
        run.stdout.lines().take(3).collect::<Vec<_>>(),
        [
            "Merged with models/v0002/history.csv (700 customers), kept as data/history.csv:",
            "  more.csv: 40 new, 0 updated, 0 unchanged",
            "History: 740 customers, won 2025-01-01 to 2026-07-31.",
        ]
    );
    assert_eq!(
        line(&run.stdout, "warning: "),
        "warning: data/history.csv is not the history v0002 learnt from (edited since retrain wrote it, or another version was made current since), so the new customers were merged into models/v0002/history.csv instead; it would be kept as data/history.previous.csv."
    );
    env.write("data/history.csv", &kept);

    // A fresh training on the base alone makes v0003 current: the batch is new to it, though
    // the kept history (v0002's) holds it.
    succeeded(&env.run(&["train", "--history", "base.csv"]));
    let run = env.run(&["retrain", "--history", "new.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stdout.lines().take(2).collect::<Vec<_>>(),
        [
            "Merged with models/v0003/history.csv (400 customers), kept as data/history.csv:",
            "  new.csv: 300 new, 12 updated, 8 unchanged",
        ]
    );
    assert_eq!(
        line(&run.stdout, "warning: "),
        "warning: data/history.csv is not the history v0003 learnt from (edited since retrain wrote it, or another version was made current since), so the new customers were merged into models/v0003/history.csv instead; it is kept as data/history.previous.csv."
    );
    assert!(
        run.stdout.contains(
            "\nSaved as v0004 in models/, refit on 700 customers; now current, replacing v0003.\n"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(env.read("data/history.previous.csv"), kept);

    // Rolled back, v0003 is current again, and a retrain merges into what it learnt from, not
    // into the history of v0004 that the kept history now is.
    succeeded(&env.run(&["models", "rollback"]));
    let run = env.run(&["retrain", "--history", "new.csv", "--dry-run"]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stdout.lines().take(2).collect::<Vec<_>>(),
        [
            "Merged with models/v0003/history.csv (400 customers), kept as data/history.csv:",
            "  new.csv: 300 new, 12 updated, 8 unchanged",
        ]
    );
    assert_eq!(base.len(), 400);
}

#[test]
fn a_candidate_kept_back_carries_its_customers_while_the_model_it_was_judged_against_stays_current()
{
    let (env, base) = trained();
    env.write("worse.csv", csv(&worse_batch(&base)));
    let run = env.run(&["retrain", "--history", "worse.csv"]);
    assert_eq!(run.code, 3, "{}{}", run.stderr, run.stdout);
    let judged = &json(&env, "models/v0002/version.json")["judged_against"];
    assert_eq!(judged["version"], "v0001");
    // The customers of the kept-back v0002 were given once; the next retrain merges into its
    // history, which holds v0001's and those.
    let later = customers(501..601, "2026-04-01", "2026-06-30", Market::BEFORE, 8);
    env.write("later.csv", csv(&later));
    let merged_with = |env: &Env| {
        let run = decided(env, &["retrain", "--history", "later.csv", "--dry-run"]);
        run.stdout.lines().next().unwrap().to_string()
    };
    assert_eq!(
        merged_with(&env),
        "Merged with models/v0002/history.csv (500 customers), kept as data/history.csv:"
    );
    // Promoted by hand, v0002 merges into its own; rolled back from it, v0001 is current by
    // another decision, and its own history is merged into again.
    succeeded(&env.run(&["models", "promote", "v0002"]));
    assert_eq!(
        merged_with(&env),
        "Merged with models/v0002/history.csv (500 customers), kept as data/history.csv:"
    );
    succeeded(&env.run(&["models", "rollback"]));
    assert_eq!(
        merged_with(&env),
        "Merged with models/v0001/history.csv (400 customers), kept as data/history.csv:"
    );
}

#[test]
fn holdout_customers_with_a_blank_outcome_are_not_counted_as_judged() {
    let (env, _) = retrained();
    // As in the test above, some holdout customers were seen by v0002; the ten most recently
    // won of the new ones have no support hours yet, so neither model can be judged on them.
    let later = customers(1001..1201, "2026-06-01", "2026-09-30", MOVED, 7);
    let mut text = csv(&later[..190]);
    text.extend(later[190..].iter().map(hours_unknown));
    env.write("later.csv", text);
    let run = decided(&env, &["retrain", "--history", "later.csv"]);
    let note = line(&run.stdout, "The current model was trained on ");
    let n: Vec<usize> = note
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let (seen, judged) = (n[0], n[2]);
    assert_eq!(seen + 10 + judged, 180, "{note}");
    assert_eq!(
        note,
        format!("The current model was trained on {seen} of them and 10 have a blank outcome, so both models are judged on the other {judged} and the candidate trains on those {seen} too.")
    );
    assert_eq!(
        line(&run.stdout, "Current model "),
        format!("Current model v0002 (models/v0002/model.json) against the candidate, on {judged} customers:")
    );
    assert_eq!(
        line(&run.stdout, "Left out of the refit"),
        "Left out of the refit for a blank outcome: C1191 (later.csv:192, support_hours), C1192 (later.csv:193, support_hours), C1193 (later.csv:194, support_hours), C1194 (later.csv:195, support_hours), C1195 (later.csv:196, support_hours) and 5 more."
    );
    let report = json(&env, "models/v0003/retrain.json");
    assert_eq!(report["judged"], judged);
    assert_eq!(report["blank_outcomes"], 10);
    assert_eq!(
        json(&env, "models/v0003/version.json")["measured_on"],
        format!("holdout of {judged} customers won most recently (by won_on)")
    );
}

/// Retraining on customers already kept, with other settings, said "Nothing new to learn" and
/// left the new settings silently unused, `--force` or not. Without `--force` it now says the
/// settings are not in effect; with it, a candidate is trained with them and made current.
#[test]
fn nothing_new_with_other_settings_says_so_and_force_trains_with_them() {
    let (env, base) = trained();
    env.write("again.csv", csv(&base[..50]));
    env.write(
        "fewer.toml",
        CONFIG.replace(
            r#"categorical = ["industry", "region"]"#,
            r#"categorical = ["industry"]"#,
        ),
    );
    assert!(env.read("fewer.toml") != CONFIG);
    let run = env.run(&[
        "retrain",
        "--history",
        "again.csv",
        "--config",
        "fewer.toml",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.stdout,
        "again.csv: 50 customers unchanged, none new or updated.\n\
         Nothing new to learn: no candidate trained, nothing written; the current model v0001 (models/v0001/model.json) stays current.\n\
         The settings of fewer.toml are not in effect: nothing was trained with them. Pass --force to train a candidate with them on the kept history and make it current.\n"
    );
    let run = env.run(&[
        "retrain",
        "--history",
        "again.csv",
        "--config",
        "fewer.toml",
        "--force",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stderr, run.stdout);
    assert!(
        run.stdout.contains("Saved as v0002 in models/"),
        "{}",
        run.stdout
    );
    let model = json(&env, "models/v0002/model.json");
    let features: Vec<&str> = model["config"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        !features.contains(&"region") && features.contains(&"industry"),
        "{features:?}"
    );
}
