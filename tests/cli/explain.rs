//! `explain`: one lead's breakdown adds up to its score exactly, in the printed table and in the
//! JSON, and agrees with what `score` printed for the same lead.

use crate::util::{csv_rows, Env};

fn shipped_env() -> Env {
    let env = Env::new();
    env.copy("models/model.json", "models/model.json");
    env.copy("data/leads.csv", "data/leads.csv");
    env
}

/// Parses "-1,234.56" into integer cents.
fn cents(s: &str) -> i64 {
    s.replace([',', '.'], "").parse().unwrap()
}

#[test]
fn the_printed_breakdown_adds_up_to_the_printed_score_for_every_kind_of_lead() {
    let env = shipped_env();
    let scores = csv_rows(&env.run(&["score", "data/leads.csv"]).stdout);
    // A plain lead, one with an unseen industry and clamped numbers, and the lowest net value.
    for id in ["L000081", "L000790", "L000520"] {
        let run = env.run(&["explain", "data/leads.csv", "--id", id]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let lines: Vec<&str> = run.stdout.lines().collect();
        let table: Vec<Vec<i64>> = lines
            .iter()
            .skip_while(|l| !l.trim_start().starts_with("return"))
            .skip(1)
            .take_while(|l| !l.starts_with("---"))
            .map(|l| l.split_whitespace().rev().take(3).map(cents).collect())
            .collect();
        let total_line = lines.iter().find(|l| l.starts_with("expected")).unwrap();
        let total: Vec<i64> = total_line
            .split_whitespace()
            .rev()
            .take(3)
            .map(cents)
            .collect();
        for col in 0..3 {
            assert_eq!(
                table.iter().map(|r| r[col]).sum::<i64>(),
                total[col],
                "{id}:\n{}",
                run.stdout
            );
        }
        for row in &table {
            assert_eq!(
                row[0],
                row[2] - row[1],
                "{id}: net = return - burden on every row"
            );
        }
        // The same money as `score` printed: (net, burden, return) read right to left.
        let scored = scores.iter().find(|r| r[0] == id).unwrap();
        assert_eq!(
            total,
            vec![cents(&scored[3]), cents(&scored[2]), cents(&scored[1])]
        );
        assert!(run.stdout.contains(&format!(
            "Tier {}, recommendation: {}.",
            scored[7], scored[8]
        )));
    }
}

#[test]
fn json_gives_the_breakdown_at_full_precision() {
    let env = shipped_env();
    let run = env.run(&[
        "explain",
        "data/leads.csv",
        "--id",
        "L000790",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let e: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let sum = |key: &str| {
        e["baseline"][key].as_f64().unwrap()
            + e["contributions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c[key].as_f64().unwrap())
                .sum::<f64>()
    };
    for key in ["lifetime_return", "service_burden", "net"] {
        let want = e["expected"][key].as_f64().unwrap();
        assert!(
            (sum(key) - want).abs() < 1e-9 * want.abs().max(1.0),
            "{key}"
        );
    }
    let labels: Vec<&str> = e["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels[0], "employees = 875 (as 704.15)");
    let industry = e["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["feature"] == "industry")
        .unwrap();
    // Never seen in training, so scored as the average customer: no effect at all.
    assert_eq!(
        (&industry["value"], &industry["scored_as"]),
        (&"aerospace".into(), &"(average)".into())
    );
    assert!(labels.contains(&"industry = aerospace (as the average)"));
    for key in ["lifetime_return", "service_burden", "net"] {
        assert_eq!(industry[key], 0.0, "{key}");
    }
    assert_eq!(e["interval"]["level"], 0.8);
    assert!(e["interval"]["low"].as_f64().unwrap() < e["expected"]["net"].as_f64().unwrap());
    assert_eq!(e["warnings"].as_array().unwrap().len(), 3);
}

#[test]
fn an_id_not_in_the_lead_list_is_an_input_error() {
    let env = shipped_env();
    let run = env.run(&["explain", "data/leads.csv", "--id", "L999999"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: data/leads.csv: no lead with id \"L999999\" in column \"lead_id\"\n"
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn the_baseline_row_is_the_same_for_every_lead() {
    let env = shipped_env();
    let rows: Vec<String> = ["L000520", "L000790", "L000081"]
        .iter()
        .map(|id| {
            let out = env.run(&["explain", "data/leads.csv", "--id", id]).stdout;
            let line = out
                .lines()
                .find(|l| l.starts_with("baseline"))
                .unwrap()
                .to_string();
            line.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect();
    assert_eq!(rows[0], rows[1]);
    assert_eq!(rows[1], rows[2]);
}

#[test]
fn a_lead_known_mostly_by_guesses_is_qualified_before_contact() {
    let env = shipped_env();
    env.write(
        "unknown.csv",
        "lead_id,company,industry,region,employees,annual_revenue,lead_source,product_interest,first_order_value\n\
         X1,Q,quantum,,,,referral,,\n\
         X2,R,software,north,300,40000000,referral,premium,20000\n",
    );
    let rows = csv_rows(&env.run(&["score", "unknown.csv", "--keep-order"]).stdout);
    // Both expected to earn at least the contact threshold (tier B is at or above it), but X1
    // is mostly guesses.
    assert_eq!((rows[1][7].as_str(), rows[1][8].as_str()), ("B", "qualify"));
    assert!(
        rows[1][10].ends_with(
            "5 of 7 features guessed: too little known to recommend contact, qualify first"
        ),
        "{:?}",
        rows[1]
    );
    assert_eq!((rows[2][7].as_str(), rows[2][8].as_str()), ("A", "contact"));
    let text = env.run(&["explain", "unknown.csv", "--id", "X1"]).stdout;
    assert!(text.contains("Tier B, recommendation: qualify."), "{text}");
}

#[test]
fn a_category_whose_name_reads_like_a_substitution_keeps_its_own_value() {
    // "retail (as of 2020)" is a real level, not a lead scored as another one: explain's JSON
    // takes the value and what it was scored as from the scoring itself, not from display text.
    let env = Env::new();
    env.copy("tests/fixtures/leadscore.toml", "leadscore.toml");
    let history = std::fs::read_to_string(crate::util::repo("tests/fixtures/history.csv"))
        .unwrap()
        .replace(",retail,", ",retail (as of 2020),");
    env.write("history.csv", history);
    let run = env.run(&["train", "--history", "history.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    env.write(
        "leads.csv",
        "lead_id,industry,region,account_manager,employees,first_order_value\n\
         L1,retail (as of 2020),north,Müller,10,800\n\
         L2,mining (as of 2021),north,Müller,10,800\n",
    );
    let json = |id: &str| -> serde_json::Value {
        let run = env.run(&["explain", "leads.csv", "--id", id, "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap()
    };
    let industry = |e: &serde_json::Value| {
        e["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["feature"] == "industry")
            .unwrap()
            .clone()
    };
    let known = industry(&json("L1"));
    assert_eq!(known["value"], "retail (as of 2020)");
    assert!(known.get("scored_as").is_none(), "{known}");
    assert_eq!(known["label"], "industry = retail (as of 2020)");
    // An unseen value is scored as the average, and says so.
    let unseen = industry(&json("L2"));
    assert_eq!(unseen["value"], "mining (as of 2021)");
    assert_eq!(unseen["scored_as"], "(average)", "{unseen}");
    assert_eq!(
        unseen["label"],
        "industry = mining (as of 2021) (as the average)"
    );
}

/// `score` refuses a lead list whose ids repeat; `explain` explained whichever row came first,
/// exit 0, with no word of the other. It refuses it the same way, naming both lines.
#[test]
fn a_repeated_id_is_refused_as_score_refuses_it() {
    let env = crate::commands::trained_env();
    env.write(
        "twice.csv",
        "lead_id,company,industry,region,account_manager,employees,first_order_value\nL1,A,retail,south,Schmidt,5,400\nL2,B,software,north,Müller,50,900\nL1,C,software,north,Müller,80,1200\n",
    );
    let run = env.run(&["explain", "twice.csv", "--id", "L1"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "error: twice.csv:4: column \"lead_id\": duplicate id \"L1\" (first seen on line 2), so which lead to explain is not clear\n")
    );
    let score = env.run(&["score", "twice.csv", "-o", "out.csv"]);
    assert_eq!(
        (score.code, score.stderr.as_str()),
        (
            2,
            "error: twice.csv:4: column \"lead_id\": duplicate id \"L1\" (first seen on line 2)\n"
        )
    );
    // An id that is not repeated is explained as before.
    let run = env.run(&["explain", "twice.csv", "--id", "L2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
