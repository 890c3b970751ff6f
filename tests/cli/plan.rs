//! `plan`: the leads that bring the most expected net value within a team's hours. The plan
//! is checked against brute force over every subset of a small lead list, its file against its
//! summary (every lead there, hours and net adding up per group, no group over its hours), the
//! simple rules it is compared with, the options, and the bad input it refuses, by message.

use crate::errors::fails;
use crate::util::{csv_rows, Env};

fn env() -> Env {
    let env = Env::new();
    env.copy("models/model.json", "models/model.json");
    env.copy("data/leads.csv", "data/leads.csv");
    env.copy("data/territories.csv", "data/territories.csv");
    env
}

fn col(rows: &[Vec<String>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// The JSON plan of `leads` per region within the hours of `capacities` (with `more` flags), less
/// the name of the file planned.
fn regional_plan(env: &Env, leads: &str, capacities: &str, more: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "plan",
        leads,
        "--by",
        "region",
        "--capacity-file",
        capacities,
        "--format",
        "json",
    ];
    args.extend_from_slice(more);
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    report.as_object_mut().unwrap().remove("file");
    report
}

#[test]
fn on_a_small_list_the_plan_is_the_best_of_every_subset() {
    let env = env();
    // The first 16 leads: 65,536 subsets.
    let text = std::fs::read_to_string(env.path("data/leads.csv")).unwrap();
    let small: Vec<&str> = text.lines().take(17).collect();
    env.write("small.csv", small.join("\n") + "\n");
    for hours in ["150", "333.3", "600"] {
        let capacity = format!("sales_hours={hours}");
        let run = env.run(&[
            "plan",
            "small.csv",
            "--capacity",
            &capacity,
            "-o",
            "plan.csv",
            "--format",
            "json",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let rows = csv_rows(&env.read("plan.csv"));
        assert_eq!(rows.len(), 17, "every lead is in the plan's file");
        let (net, h, plan) = (
            col(&rows, "expected_net"),
            col(&rows, "expected_sales_hours"),
            col(&rows, "plan"),
        );
        let leads: Vec<(f64, f64, bool)> = rows[1..]
            .iter()
            .map(|r| (num(&r[net]), num(&r[h]), r[plan] == "chosen"))
            .collect();
        let cap: f64 = hours.parse().unwrap();
        let mut best = 0.0f64;
        for mask in 0u32..(1 << leads.len()) {
            let (mut v, mut w) = (0.0, 0.0);
            for (i, (net, hours, _)) in leads.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    v += net;
                    w += hours;
                }
            }
            if w <= cap + 1e-9 {
                best = best.max(v);
            }
        }
        let chosen_value: f64 = leads.iter().filter(|l| l.2).map(|l| l.0).sum();
        let chosen_hours: f64 = leads.iter().filter(|l| l.2).map(|l| l.1).sum();
        assert!(chosen_hours <= cap + 1e-9, "{chosen_hours} > {cap}");
        assert!(
            (chosen_value - best).abs() < 0.005,
            "{hours}: plan {chosen_value}, best {best}"
        );
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let g = &report["groups"][0];
        assert_eq!(g["optimal"], true);
        assert!((g["expected_net"].as_f64().unwrap() - best).abs() < 0.005);
        // The rule it is compared with never beats it.
        assert!(g["by_net"]["expected_net"].as_f64().unwrap() <= best + 1e-6);
    }
}

#[test]
fn per_territory_every_lead_is_written_and_each_plan_adds_up_within_its_hours() {
    let env = env();
    let run = env.run(&[
        "plan",
        "data/leads.csv",
        "--by",
        "region",
        "--capacity-file",
        "data/territories.csv",
        "-o",
        "plan.csv",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = csv_rows(&env.read("plan.csv"));
    assert_eq!(rows.len(), 1001);
    let (group, plan, net, hours, used, cumulative, rank) = (
        col(&rows, "plan_group"),
        col(&rows, "plan"),
        col(&rows, "expected_net"),
        col(&rows, "expected_sales_hours"),
        col(&rows, "hours_used"),
        col(&rows, "cumulative_net"),
        col(&rows, "plan_rank"),
    );
    let capacities = csv_rows(&env.read("data/territories.csv"));
    for g in report["groups"].as_array().unwrap() {
        let name = g["group"].as_str().unwrap();
        let mine: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[group] == name).collect();
        assert_eq!(mine.len() as u64, g["leads"].as_u64().unwrap());
        let chosen: Vec<&&Vec<String>> = mine.iter().filter(|r| r[plan] == "chosen").collect();
        assert_eq!(chosen.len() as u64, g["chosen"].as_u64().unwrap());
        let cap = num(&capacities.iter().find(|c| c[0] == name).unwrap()[1]);
        let h: f64 = chosen.iter().map(|r| num(&r[hours])).sum();
        let v: f64 = chosen.iter().map(|r| num(&r[net])).sum();
        assert!(h <= cap + 1e-9, "{name}: {h} hours of {cap}");
        // The running totals end at the plan's totals; chosen leads come first, ranked.
        let last = chosen.last().unwrap();
        assert!((num(&last[used]) - h).abs() < 0.005);
        assert!((num(&last[cumulative]) - v).abs() < 0.005);
        assert!((g["expected_net"].as_f64().unwrap() - v).abs() < 0.005);
        assert_eq!(num(&last[rank]) as usize, chosen.len());
        assert!(mine[..chosen.len()].iter().all(|r| r[plan] == "chosen"));
        assert!(mine[chosen.len()..].iter().all(|r| r[used].is_empty()));
        // Never worse than the rule, and proven the best.
        assert!(
            g["expected_net"].as_f64().unwrap() >= g["by_net"]["expected_net"].as_f64().unwrap()
        );
        assert_eq!(g["optimal"], true);
        assert!(g["value_of_an_hour"].as_f64().unwrap() > 0.0);
    }
    // The sample's worked example: the plan finds more than going down the list by net value.
    let t = &report["total"];
    assert!(
        t["expected_net"].as_f64().unwrap() > 1.03 * t["by_net"]["expected_net"].as_f64().unwrap()
    );
    assert!(t["value_of_an_hour"].is_null());
}

#[test]
fn hours_smaller_than_every_lead_are_said_and_priced() {
    let env = env();
    let run = env.run(&[
        "plan",
        "data/leads.csv",
        "--capacity",
        "sales_hours=20",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let g = &report["groups"][0];
    assert_eq!(g["chosen"], 0);
    assert_eq!(
        g["expected_net"].as_f64().unwrap().to_bits(),
        0.0f64.to_bits(),
        "no -0"
    );
    // The hours are all that limits the plan: their price is the best rate of a lead too long.
    assert!(g["value_of_an_hour"].as_f64().unwrap() > 0.0);
    assert_eq!(g["smallest_lead"].as_f64().unwrap(), 26.87);
    let text = env
        .run(&["plan", "data/leads.csv", "--capacity", "sales_hours=20"])
        .stdout;
    assert!(
        text.contains("In all, no lead fits in 20.00 hours: the smallest needs 26.87.\n"),
        "{text}"
    );
}

#[test]
fn risk_and_min_net_leave_out_the_leads_they_name() {
    let env = env();
    let run = env.run(&[
        "plan",
        "data/leads.csv",
        "--capacity",
        "sales_hours=5000",
        "--risk",
        "--min-net",
        "15000",
        "-o",
        "plan.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(
        "Only leads whose interval's low end is above zero and worth at least 15,000.00."
    ));
    let rows = csv_rows(&env.read("plan.csv"));
    let (plan, net, low) = (
        col(&rows, "plan"),
        col(&rows, "expected_net"),
        col(&rows, "net_low"),
    );
    let chosen: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[plan] == "chosen").collect();
    assert!(!chosen.is_empty());
    assert!(chosen
        .iter()
        .all(|r| num(&r[net]) >= 15000.0 && num(&r[low]) > 0.0));
    // A negative --min-net is a number, not a flag; and refused (found by a fresh-eyes review):
    // it was announced ("Only leads worth at least -500.00") and did nothing, since a lead worth
    // less than nothing is never chosen.
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "sales_hours=100", "--min-net", "-500"],
        "error: --min-net -500: a plan never chooses a lead with an expected net value below zero (it would lower the plan's value), so a floor below zero changes nothing; give 0 or more, or leave --min-net out\n",
    );
    // 0 is no floor, but a harmless one.
    let run = env.run(&[
        "plan",
        "data/leads.csv",
        "--capacity",
        "sales_hours=100",
        "--min-net",
        "0",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Found by a fresh-eyes review: a list of loss-making leads gave a plan of "0 leads" and no
/// reason. The report now says that no lead was worth choosing, and by which test.
#[test]
fn a_plan_of_no_leads_says_none_was_worth_choosing() {
    let env = env();
    let run = env.run(&[
        "plan",
        "data/leads.csv",
        "--capacity",
        "sales_hours=10",
        "-o",
        "all.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&env.read("all.csv"));
    let (id, net) = (col(&rows, "lead_id"), col(&rows, "expected_net"));
    let losses: Vec<&str> = rows[1..]
        .iter()
        .filter(|r| num(&r[net]) <= 0.0)
        .map(|r| r[id].as_str())
        .collect();
    let leads = env.read("data/leads.csv");
    let mut lines = leads.lines();
    let mut text = lines.next().unwrap().to_string() + "\n";
    for line in lines.filter(|l| losses.contains(&l.split(',').next().unwrap())) {
        text += line;
        text += "\n";
    }
    env.write("losses.csv", text);
    assert_eq!(losses.len(), 146);
    let run = env.run(&["plan", "losses.csv", "--capacity", "sales_hours=1000"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "The plan: 0 leads, 0.0 of 1,000.0 hours, expected net value EUR 0.00.\n"
        ) && run.stdout.contains(
            "\nIn all, no lead is chosen: none of its 146 leads has an expected net value above zero.\n"
        ),
        "{}",
        run.stdout
    );
    // Per group, with the options that left the leads out.
    let run = env.run(&[
        "plan",
        "data/leads.csv",
        "--by",
        "region",
        "--capacity",
        "sales_hours=100",
        "--min-net",
        "1000000",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "\nIn 6 groups no lead has an expected net value of at least 1,000,000.00, so none is chosen: central, north, west, east, south and 1 more.\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn the_capacity_file_keeps_its_own_delimiter_beside_a_semicolon_lead_list() {
    // A European CRM's export (semicolons, decimal commas) planned against hours typed by hand
    // with commas: --delimiter is the lead list's; the capacity file's is sniffed.
    let env = env();
    let leads = env.read("data/leads.csv");
    let semicolons: String = csv_rows(&leads)
        .iter()
        .map(|r| r.join(";") + "\n")
        .collect();
    assert!(!leads.contains(';'));
    env.write("leads-semicolon.csv", &semicolons);
    assert_eq!(
        regional_plan(
            &env,
            "leads-semicolon.csv",
            "data/territories.csv",
            &["--delimiter", ";"]
        ),
        regional_plan(&env, "data/leads.csv", "data/territories.csv", &[])
    );
}

/// A capacity file written with semicolons reads numbers as a lead list with semicolons does:
/// a decimal comma, and dots grouping thousands. `3.200` was read as 3.2 hours here while the
/// same text in the leads is 3,200, so a German team's plan chose no lead and exited 0.
#[test]
fn a_semicolon_capacity_file_reads_numbers_as_a_semicolon_lead_list_does() {
    let env = env();
    let plain = env.read("data/territories.csv");
    let rows = csv_rows(&plain);
    let hours = col(&rows, "sales_hours");
    let german: String = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            if i > 0 {
                // 1200 → "1.200,0": grouped thousands and a decimal comma.
                let v = num(&r[hours]);
                let whole = v.trunc() as u64;
                let grouped = if whole >= 1000 {
                    format!("{}.{:03}", whole / 1000, whole % 1000)
                } else {
                    whole.to_string()
                };
                r[hours] = format!("{grouped},{}", ((v.fract() * 10.0).round()) as u64);
            }
            r.join(";") + "\n"
        })
        .collect();
    assert!(german.contains('.') && german.contains(','), "{german}");
    env.write("territories-de.csv", &german);
    assert_eq!(
        regional_plan(&env, "data/leads.csv", "territories-de.csv", &[]),
        regional_plan(&env, "data/leads.csv", "data/territories.csv", &[])
    );
}

#[test]
fn a_table_of_groups_named_in_wide_characters_stays_aligned() {
    // 東京 is two characters and four columns on a terminal: padded by characters, its row of
    // the table came out two columns short of the others.
    let env = env();
    let rename = |text: &str, from: &str, to: &str| text.replace(from, to);
    let leads = env.read("data/leads.csv");
    let leads = rename(&rename(&leads, ",north,", ",東京,"), ",south,", ",Zürich,");
    env.write("leads-jp.csv", &leads);
    let hours = env.read("data/territories.csv");
    let hours = rename(
        &rename(&hours, "\nnorth,", "\n東京,"),
        "\nsouth,",
        "\nZürich,",
    );
    env.write("territories-jp.csv", &hours);
    let run = env.run(&[
        "plan",
        "leads-jp.csv",
        "--by",
        "region",
        "--capacity-file",
        "territories-jp.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let table: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("region "))
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with("---"))
        .collect();
    assert_eq!(table.len(), 8, "{}", run.stdout);
    assert!(table.iter().any(|l| l.starts_with("東京 ")), "{table:?}");
    let width = |l: &str| unicode_width::UnicodeWidthStr::width(l);
    for line in &table {
        assert_eq!(
            width(line),
            width(table[0]),
            "{line:?} in\n{}",
            table.join("\n")
        );
    }
}

#[test]
fn a_group_per_lead_keeps_the_text_report_short_and_says_so() {
    // `--by lead_id` by mistake: a thousand groups of one lead. The text report printed a row
    // and a sentence for each; it now shows 40 rows, counts the rest, and asks.
    let env = env();
    let args = [
        "plan",
        "data/leads.csv",
        "--by",
        "lead_id",
        "--capacity",
        "sales_hours=10",
        "-o",
        "plan.csv",
    ];
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines.len() < 60, "{} lines:\n{}", lines.len(), run.stdout);
    assert_eq!(lines.iter().filter(|l| l.starts_with("L0")).count(), 40);
    assert!(lines.contains(
        &"... and 960 more groups: every group's plan is in --format json, every lead's in plan.csv"
    ));
    assert!(lines.contains(
        &"note: --by lead_id makes 1,000 groups for 1,000 leads, fewer than two leads a group: is it the rep, territory or team column meant?"
    ));
    let unfit = lines
        .iter()
        .find(|l| l.starts_with("In ") && l.contains("groups, no lead fits in the hours"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        unfit.ends_with(": L000001, L000002, L000003, L000004, L000005 and 849 more."),
        "{unfit}"
    );
    // Nothing is lost: the JSON report has every group, the file every lead.
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json = env.run(&json_args);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["groups"].as_array().unwrap().len(), 1000);
    assert_eq!(csv_rows(&env.read("plan.csv")).len(), 1001);
}

#[test]
fn bad_capacities_and_groups_are_refused_by_name() {
    let env = env();
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "sales_hours=-5"],
        "error: --capacity \"sales_hours=-5\": the hours must be a number above 0 and at most 1,000,000,000, got \"-5\"\n",
    );
    // 1e999 reads as a number, an infinite one: no plan can spend infinite hours.
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "sales_hours=1e999"],
        "error: --capacity \"sales_hours=1e999\": the hours must be a number above 0 and at most 1,000,000,000, got \"1e999\"\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "1200"],
        "error: --capacity \"1200\": expected COLUMN=HOURS, e.g. sales_hours=1200\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "demo_hours=10"],
        "error: the model predicts no hours (or other units) of the burden named \"demo_hours\"; it predicts: sales_hours, support_hours, complaints, written_off\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "lifetime_revenue=10"],
        "error: \"lifetime_revenue\" is part of the lifetime return, not of the service burden: plan against a cost the team spends, such as sales_hours, support_hours, complaints, written_off\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv"],
        "error: plan needs the hours the team has: --capacity sales_hours=1200, or with --by, --capacity-file reps.csv\n",
    );
    env.write(
        "reps.csv",
        "region,sales_hours\nnorth,100\nsouth,100\nwest,100\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--by", "region", "--capacity-file", "reps.csv"],
        "error: data/leads.csv: 3 values in column \"region\" have leads but no hours in reps.csv: \"east\" (197 leads), \"central\" (164 leads), \"(blank)\" (5 leads); add them to reps.csv, or correct the spelling\n",
    );
    env.write(
        "reps.csv",
        "region,sales_hours\nnorth,100\nsouth,100\nwest,100\neast,1\ncentral,1\n(blank),1\nnorht,50\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--by", "region", "--capacity-file", "reps.csv"],
        "error: reps.csv: 1 group has hours but no leads in data/leads.csv (column \"region\" has \"central\", \"north\", \"west\", \"east\", \"south\", \"(blank)\"): \"norht\" (line 8; did you mean \"north\"?); correct the spelling, or leave it out\n",
    );
    env.write("reps.csv", "region,sales_hours\nnorth,100\nnorth,50\n");
    fails(
        &env,
        &[
            "plan",
            "data/leads.csv",
            "--by",
            "region",
            "--capacity-file",
            "reps.csv",
        ],
        "error: reps.csv:3: column \"region\": \"north\" has a capacity already (line 2)\n",
    );
    env.write("reps.csv", "region,sales_hours\nnorth,lots\n");
    fails(
        &env,
        &[
            "plan",
            "data/leads.csv",
            "--by",
            "region",
            "--capacity-file",
            "reps.csv",
        ],
        "error: reps.csv:2: column \"sales_hours\": expected hours from 0 to 1,000,000,000, got \"lots\"\n",
    );
    fails(
        &env,
        &[
            "plan",
            "data/leads.csv",
            "--capacity",
            "sales_hours=10",
            "--min-net",
            "NaN",
        ],
        "error: --min-net NaN: expected an amount of money (a finite number)\n",
    );
    // Spelt as the model would read it, a group still finds its hours; a typo is named.
    let text = env
        .read("data/leads.csv")
        .replacen(",north,", ",North ,", 1)
        .replacen(",east,", ",Esat,", 1);
    env.write("typo.csv", text);
    fails(
        &env,
        &["plan", "typo.csv", "--by", "region", "--capacity-file", "data/territories.csv"],
        "error: typo.csv: 1 value in column \"region\" has leads but no hours in data/territories.csv: \"Esat\" (1 lead; did you mean \"east\"?); add it to data/territories.csv, or correct the spelling\n",
    );
    env.copy("tests/corpus/models/v3-shipped.json", "old.json");
    fails(
        &env,
        &["plan", "data/leads.csv", "--model", "old.json", "--capacity", "sales_hours=10"],
        "error: old.json: this model was trained by leadscore 0.1.0 and does not predict each economics term on its own; retrain it (`leadscore train` or `leadscore retrain`) to get components\n",
    );
}

/// Found by a fresh-eyes review: `1e308` hours were accepted, so three such groups made the
/// total `inf` in the text report and `null` in JSON, and the table printed 300-digit numbers.
/// A billion hours is the most a group may have (`MAX_HOURS` in `cmd/plan.rs`).
#[test]
fn hours_beyond_a_billion_are_refused_where_they_are_written() {
    let env = env();
    env.write(
        "cap_huge.csv",
        "region,sales_hours\nnorth,1e300\nsouth,1e308\neast,1e308\nwest,3000\ncentral,2400\n(blank),100\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--by", "region", "--capacity-file", "cap_huge.csv"],
        "error: cap_huge.csv:2: column \"sales_hours\": expected hours from 0 to 1,000,000,000, got \"1e300\"\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "sales_hours=1e308"],
        "error: --capacity \"sales_hours=1e308\": the hours must be a number above 0 and at most 1,000,000,000, got \"1e308\"\n",
    );
    // The bound itself is hours a group may have; the total of several stays a number.
    env.write(
        "cap_max.csv",
        "region,sales_hours\nnorth,1e9\nsouth,1000000000\neast,1e9\nwest,3000\ncentral,2400\n(blank),100\n",
    );
    let report = regional_plan(&env, "data/leads.csv", "cap_max.csv", &[]);
    assert_eq!(report["total"]["capacity"], 3_000_005_500.0);
    let text = env.run(&[
        "plan",
        "data/leads.csv",
        "--by",
        "region",
        "--capacity-file",
        "cap_max.csv",
    ]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains(" of 3,000,005,500.0 hours, "),
        "{}",
        text.stdout
    );
}

/// Found by a fresh-eyes review: a capacity file headed `region,Sales Hours` was refused with
/// "the model predicts no hours … named "Sales Hours"", naming neither the file nor the line.
/// The header's name is now read as the model's ignoring case, spaces and underscores, and a
/// name that is still wrong is refused at line 1, column 2, with the closest name.
#[test]
fn the_hours_header_of_a_capacity_file_is_read_loosely_and_refused_where_written() {
    let env = env();
    let hours = env.read("data/territories.csv");
    env.write("c1.csv", hours.replacen("sales_hours", "Sales Hours", 1));
    assert_eq!(
        regional_plan(&env, "data/leads.csv", "c1.csv", &[]),
        regional_plan(&env, "data/leads.csv", "data/territories.csv", &[])
    );
    // A bad row after a bad header: the header is the one reported.
    env.write(
        "c2.csv",
        hours.replacen("sales_hours", "Sales Hourz", 1) + "nowhere,lots\n",
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--by", "region", "--capacity-file", "c2.csv"],
        "error: c2.csv:1: column 2 names the hours planned, but the model predicts no hours (or other units) of the burden named \"Sales Hourz\" (did you mean \"sales_hours\"?); it predicts: sales_hours, support_hours, complaints, written_off\n",
    );
    env.write(
        "c3.csv",
        hours.replacen("sales_hours", "lifetime_revenue", 1),
    );
    fails(
        &env,
        &["plan", "data/leads.csv", "--by", "region", "--capacity-file", "c3.csv"],
        "error: c3.csv:1: column 2 names the hours planned, but \"lifetime_revenue\" is part of the lifetime return, not of the service burden: plan against a cost the team spends, such as sales_hours, support_hours, complaints, written_off\n",
    );
    // --capacity reads its name by the same rule.
    let run = env.run(&["plan", "data/leads.csv", "--capacity", "Sales Hours=1200"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("within the sales hours (sales effort"));
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "sales_hour=1200"],
        "error: the model predicts no hours (or other units) of the burden named \"sales_hour\" (did you mean \"sales_hours\"?); it predicts: sales_hours, support_hours, complaints, written_off\n",
    );
}

/// Found by a fresh-eyes review: a capacity file's group `n/a` was not the blank group, though
/// the lead list's `n/a` is (the README says a missing-value text is a blank), and a row with no
/// group name was refused without saying how to give the blank group hours.
#[test]
fn a_capacity_file_names_the_blank_group_as_the_lead_list_does() {
    let env = env();
    let hours = env.read("data/territories.csv");
    assert!(hours.ends_with("\n(blank),100\n"));
    env.write("na.csv", hours.replacen("(blank),", "n/a,", 1));
    assert_eq!(
        regional_plan(&env, "data/leads.csv", "na.csv", &[]),
        regional_plan(&env, "data/leads.csv", "data/territories.csv", &[])
    );
    env.write("c9.csv", hours.replacen("(blank),", ",", 1));
    fails(
        &env,
        &["plan", "data/leads.csv", "--by", "region", "--capacity-file", "c9.csv"],
        "error: c9.csv:7: column \"region\": the group is blank; to give hours to the leads whose --by value is blank, write (blank)\n",
    );
    env.write("twice.csv", hours.clone() + "N/A,50\n");
    fails(
        &env,
        &["plan", "data/leads.csv", "--by", "region", "--capacity-file", "twice.csv"],
        "error: twice.csv:8: column \"region\": \"N/A\" (the group (blank)) has a capacity already (line 7)\n",
    );
}

/// Found by a fresh-eyes review: the count cap it is compared with ignores hours, and north's
/// took 3,290.86 of its 3,200 hours while the table set its value beside the plan's as if
/// comparable; the summary said "but needs 1,137.1 hours" even when fewer hours were needed.
/// A cap that needs more hours than a group has is now marked, in the table, the summary and
/// the JSON, and the summary reads right either way.
#[test]
fn a_count_cap_that_needs_more_hours_than_there_are_is_marked_as_such() {
    let env = env();
    let run = env.run(&[
        "plan",
        "data/leads.csv",
        "--by",
        "region",
        "--capacity-file",
        "data/territories.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = |start: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?} in {}", run.stdout))
            .to_string()
    };
    // Marked before the figure, so the column stays aligned.
    assert!(
        line("north ").ends_with("1,412,774.20   *1,451,124.69"),
        "{}",
        line("north ")
    );
    assert!(line("west ").ends_with("*1,290,061.46"));
    assert!(line("east ").ends_with("1,181,603.16    1,181,603.16"));
    // The total's hours fit (14,411.0 of 14,500.0) only because other groups' are left over.
    assert!(line("total ").ends_with("*5,933,035.49"));
    assert_eq!(
        line("A cap "),
        "A cap of N leads by tier (N = the hours ÷ the average per lead, per group) takes 253 leads worth EUR 5,933,035.49 in 14,411.0 hours, but in 2 groups it needs more hours than there are (marked *): north (3,290.9 of 3,200.0), west (3,037.5 of 3,000.0)."
    );
    let report = regional_plan(&env, "data/leads.csv", "data/territories.csv", &[]);
    let within = |g: &serde_json::Value| {
        (
            g["group"].as_str().unwrap().to_string(),
            g["top_n"]["within_capacity"].as_bool().unwrap(),
            g["by_net"]["within_capacity"].as_bool().unwrap(),
        )
    };
    let groups: Vec<_> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(within)
        .collect();
    for (name, top_n, by_net) in &groups {
        assert!(by_net, "{name}: going down the list by value always fits");
        assert_eq!(*top_n, name != "north" && name != "west", "{name}");
    }
    assert_eq!(within(&report["total"]), ("total".into(), false, true));
    // One group: within its hours, or over them, each said as it is.
    let one = |hours: &str| {
        let capacity = format!("sales_hours={hours}");
        let run = env.run(&["plan", "data/leads.csv", "--capacity", &capacity]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
            .lines()
            .find(|l| l.starts_with("A cap "))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        one("1200"),
        "A cap of N leads by tier (N = the hours ÷ the average per lead) takes 21 leads worth EUR 751,576.48 in 1,137.1 hours."
    );
    assert_eq!(
        one("30000"),
        "A cap of N leads by tier (N = the hours ÷ the average per lead) takes 527 leads worth EUR 9,695,618.68 but needs 30,027.2 hours, 27.2 more than there are (marked *): not a plan the team could work."
    );
}

/// Found by a fresh-eyes review: a rep on leave could not be planned, `south,0` was refused
/// ("expected finite hours above 0") and leaving the line out was refused too (leads but no
/// hours). 0 hours is now a group that chooses nothing, and the report says so.
#[test]
fn a_group_with_no_hours_chooses_no_lead_and_is_said_to() {
    let env = env();
    let hours = env.read("data/territories.csv");
    // South's rep is on leave; maria, on leave too, has no leads at all.
    env.write(
        "leave.csv",
        hours.replacen("south,2800", "south,0", 1) + "maria,0\n",
    );
    let args = [
        "plan",
        "data/leads.csv",
        "--by",
        "region",
        "--capacity-file",
        "leave.csv",
    ];
    let run = env.run(&[&args[..], &["-o", "plan.csv"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let south = run
        .stdout
        .lines()
        .find(|l| l.starts_with("south "))
        .unwrap();
    assert!(
        south.starts_with("south          0.0     198       0         0.0            0.00 "),
        "{south}"
    );
    assert!(
        run.stdout
            .contains("\nIn south, the capacity is 0 hours: none of its 198 leads is chosen.\n"),
        "{}",
        run.stdout
    );
    let rows = csv_rows(&env.read("plan.csv"));
    let (group, plan) = (col(&rows, "plan_group"), col(&rows, "plan"));
    let south: Vec<&Vec<String>> = rows.iter().filter(|r| r[group] == "south").collect();
    assert_eq!(south.len(), 198);
    assert!(south.iter().all(|r| r[plan] == "not chosen"));
    let report = regional_plan(&env, "data/leads.csv", "leave.csv", &[]);
    let g = &report["groups"][4];
    assert_eq!(g["group"], "south");
    assert_eq!(
        (g["capacity"].as_f64(), g["chosen"].as_u64()),
        (Some(0.0), Some(0))
    );
    assert_eq!(
        g["bound"].as_f64().unwrap().to_bits(),
        0.0f64.to_bits(),
        "no -0"
    );
    // The other groups plan as before.
    let before = regional_plan(&env, "data/leads.csv", "data/territories.csv", &[]);
    assert_eq!(report["groups"][1], before["groups"][1]);
    // Hours below zero, or none written, are still refused; --capacity 0 for everyone too.
    for (text, shown) in [("-1", "\"-1\""), ("", "\"\"")] {
        env.write("bad.csv", format!("region,sales_hours\nnorth,{text}\n"));
        fails(
            &env,
            &["plan", "data/leads.csv", "--by", "region", "--capacity-file", "bad.csv"],
            &format!("error: bad.csv:2: column \"sales_hours\": expected hours from 0 to 1,000,000,000, got {shown}\n"),
        );
    }
    fails(
        &env,
        &["plan", "data/leads.csv", "--capacity", "sales_hours=0"],
        "error: --capacity \"sales_hours=0\": the hours must be a number above 0 and at most 1,000,000,000, got \"0\"\n",
    );
}

/// Found by a fresh-eyes review: each row of a capacity file was checked against every row
/// before it (and each group of the lead list against every row), quadratic in a long roster.
/// 50,000 rows took minutes that way; with maps it is a read of the file.
#[test]
fn a_long_roster_is_read_in_one_pass_and_its_duplicates_found() {
    let env = env();
    let leads = env.read("data/leads.csv");
    let mut roster = String::from("lead_id,sales_hours\n");
    for line in leads.lines().skip(1) {
        roster += line.split(',').next().unwrap();
        roster += ",40\n";
    }
    // Reps on leave with no leads: accepted, so all 50,000 are read and matched.
    for k in 0..50_000 {
        roster += &format!("rep{k:05},0\n");
    }
    env.write("roster.csv", &roster);
    let args = [
        "plan",
        "data/leads.csv",
        "--by",
        "lead_id",
        "--capacity-file",
        "roster.csv",
    ];
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(" of 40,000.0 hours, "),
        "{}",
        run.stdout
    );
    env.write("roster.csv", roster + "l000500 ,1\n");
    fails(
        &env,
        &args,
        "error: roster.csv:51002: column \"lead_id\": \"l000500\" has a capacity already (line 501)\n",
    );
}

#[test]
fn hours_that_could_be_negative_are_not_planned_on() {
    let env = env();
    // Sales hours allowed below zero (a correction column, say), and below zero for a few.
    let config = std::fs::read_to_string(crate::util::repo("leadscore.toml"))
        .unwrap()
        .replace(
            "column = \"sales_hours\"\nrate = 85.0",
            "column = \"sales_hours\"\nrate = 85.0\nallow_negative = true",
        );
    assert!(config.contains("allow_negative = true"));
    env.write("neg.toml", config);
    let history = std::fs::read_to_string(crate::util::repo("data/customers.csv")).unwrap();
    let rows: Vec<String> = history
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut f: Vec<String> = line.split(',').map(String::from).collect();
            if (1..=40).contains(&i) {
                f[13] = format!("-{}", f[13]);
            }
            f.join(",")
        })
        .collect();
    assert!(rows[0].split(',').nth(13) == Some("sales_hours"));
    env.write("neg.csv", rows.join("\n") + "\n");
    let train = env.run(&[
        "train",
        "--history",
        "neg.csv",
        "--config",
        "neg.toml",
        "--models",
        "neg.json",
    ]);
    assert_eq!(train.code, 0, "{}", train.stderr);
    fails(
        &env,
        &["plan", "data/leads.csv", "--model", "neg.json", "--capacity", "sales_hours=500"],
        "error: \"sales_hours\" was below zero for some customers the model learnt from (allow_negative in [economics]), so a lead's predicted sales hours can be negative; plan needs an amount that is never below zero\n",
    );
}

/// A plan on a measure other than hours (here the unpaid invoices each lead is predicted to
/// leave) speaks of units: it read "until the capacity run out", "needs 0.0 ." and "within its
/// hours" before.
#[test]
fn a_plan_on_another_measure_speaks_of_its_units() {
    let env = env();
    let run = env.run(&["plan", "data/leads.csv", "--capacity", "written_off=100"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.stdout;
    for want in [
        "until the units run out (",
        "(N = the units ÷ the average per lead)",
        "Every plan is the best possible within its units (proven",
        "0 where the units are not what limits the plan.",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    assert!(
        text.contains(" units.\n") && !text.contains(" .\n"),
        "{text}"
    );
    assert!(
        !text.contains("hours") && !text.contains("capacity run"),
        "{text}"
    );
}

/// `--with-input` puts each lead's own columns (all but the id, as read) after the plan's, on
/// every row, formula-safe; the plan's own cells are those of a plan without it.
#[test]
fn with_input_carries_each_leads_own_columns_after_the_plans() {
    let env = env();
    let text = env.read("data/leads.csv");
    // One company name a spreadsheet would run.
    let text = text.replacen("Rossi Health Ltd", "=HYPERLINK(\"x\")", 1);
    env.write("leads.csv", &text);
    let plan = |out: &str, more: &[&str]| {
        let mut args = vec![
            "plan",
            "leads.csv",
            "--by",
            "region",
            "--capacity-file",
            "data/territories.csv",
            "-o",
            out,
        ];
        args.extend_from_slice(more);
        let run = env.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let report = plan("with.csv", &["--with-input"]);
    assert!(
        report.contains(
            "Every lead, chosen or not, is in with.csv: the score columns, its parts, and plan, plan_rank, hours_used, cumulative_net, then its own columns.\n"
        ),
        "{report}"
    );
    plan("without.csv", &[]);
    let (with, without) = (
        csv_rows(&env.read("with.csv")),
        csv_rows(&env.read("without.csv")),
    );
    let input = csv_rows(&text);
    let width = without[0].len();
    assert_eq!(with.len(), without.len());
    assert_eq!(
        with[0][width..],
        input[0][1..],
        "after cumulative_net, the lead list's columns but its id"
    );
    let by_id: std::collections::HashMap<&str, &Vec<String>> =
        input[1..].iter().map(|r| (r[0].as_str(), r)).collect();
    for (w, o) in with[1..].iter().zip(&without[1..]) {
        assert_eq!(w[..width], o[..], "the plan's cells are unchanged");
        let own = by_id[w[0].as_str()];
        let carried: Vec<String> = w[width..]
            .iter()
            .map(|c| c.strip_prefix('\'').unwrap_or(c).to_string())
            .collect();
        assert_eq!(carried, own[1..], "{}", w[0]);
    }
    assert!(env
        .read("with.csv")
        .contains(",\"'=HYPERLINK(\"\"x\"\")\",healthcare,"));
    // Without -o there is nothing to carry the columns into.
    let run = env.run(&[
        "plan",
        "leads.csv",
        "--capacity",
        "sales_hours=1200",
        "--with-input",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("the following required arguments were not provided:\n  --output <FILE>"),
        "{}",
        run.stderr
    );
}

/// `--skip-invalid`: a row that cannot be scored (a bad number, a repeated id) goes to the
/// rejects file with its line and reason, as `score` writes them, and the rest is planned as
/// it would be without it; the report says so.
#[test]
fn skip_invalid_plans_the_rest_and_writes_the_rejects() {
    let env = env();
    let text = env.read("data/leads.csv");
    let lines: Vec<&str> = text.lines().collect();
    let clean = lines[..21].join("\n") + "\n";
    env.write("clean.csv", &clean);
    let mut fields: Vec<&str> = lines[21].split(',').collect();
    assert_eq!(fields.len(), 9, "no comma in the company's name");
    fields[4] = "twenty";
    let bad_number = fields.join(",");
    let messy = format!(
        "{}{}\n{}\n{}",
        lines[..11].join("\n") + "\n",
        bad_number,
        lines[3],
        lines[11..21].join("\n") + "\n"
    );
    env.write("messy.csv", &messy);
    let plan = |leads: &str, more: &[&str]| {
        let mut args = vec![
            "plan",
            leads,
            "--capacity",
            "sales_hours=400",
            "--format",
            "json",
        ];
        args.extend_from_slice(more);
        let run = env.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        v.as_object_mut().unwrap().remove("file");
        v
    };
    let mut messy_plan = plan("messy.csv", &["--skip-invalid", "rejects.csv"]);
    assert_eq!(
        messy_plan["rejected"],
        serde_json::json!({"rows": 2, "file": "rejects.csv", "unplanned": []})
    );
    messy_plan.as_object_mut().unwrap().remove("rejected");
    let mut clean_plan = plan("clean.csv", &[]);
    clean_plan.as_object_mut().unwrap().remove("rejected");
    assert_eq!(
        messy_plan, clean_plan,
        "the rejected rows change nothing else"
    );
    let id = lines[3].split(',').next().unwrap();
    assert_eq!(
        env.read("rejects.csv"),
        format!(
            "line,reason,{}\n12,\"column \"\"employees\"\": expected a number, got \"\"twenty\"\"\",{}\n13,\"column \"\"lead_id\"\": duplicate id \"\"{id}\"\" (first seen on line 4)\",{}\n",
            lines[0], quoted(&bad_number), quoted(lines[3])
        )
    );
    let run = env.run(&[
        "plan",
        "messy.csv",
        "--capacity",
        "sales_hours=400",
        "--skip-invalid",
        "rejects.csv",
        "-o",
        "plan.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("\nRejected 2 rows that could not be scored, written with their reasons to rejects.csv; they are not in the plan.\n")
            && run.stdout.contains("\nEvery lead that could be scored, chosen or not, is in plan.csv:"),
        "{}",
        run.stdout
    );
    assert_eq!(csv_rows(&env.read("plan.csv")).len(), 21);
    // Without the flag, the first bad row stops the plan, as before.
    let run = env.run(&["plan", "messy.csv", "--capacity", "sales_hours=400"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: messy.csv:12: column \"employees\": expected a number, got \"twenty\"\n"
    );
    // The rejects file is an output like -o: never the lead list.
    let run = env.run(&[
        "plan",
        "messy.csv",
        "--capacity",
        "sales_hours=400",
        "--skip-invalid",
        "messy.csv",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --skip-invalid messy.csv is the lead list itself; write to another file\n"
    );
}

/// A lead list's row as the rejects file writes it: a field holding a comma is quoted.
fn quoted(line: &str) -> String {
    csv_rows(&(line.to_string() + "\n"))[0]
        .iter()
        .map(|f| {
            if f.contains(',') {
                format!("\"{f}\"")
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A group whose every lead was rejected is in no plan: its hours are no misspelling to
/// refuse, and the report names it with the hours left unplanned. With every row rejected
/// there is nothing to plan, and the rejects file says why.
#[test]
fn a_group_whose_every_lead_is_rejected_is_said_to_have_no_plan() {
    let env = env();
    let text = env.read("data/leads.csv");
    let mut out = String::new();
    let mut north = 0;
    for (i, line) in text.lines().enumerate() {
        // Counted from the end: a company's name may hold a comma.
        let mut fields: Vec<&str> = line.rsplitn(7, ',').collect();
        // Every north lead's annual revenue unreadable.
        if i > 0 && fields[5] == "north" {
            fields[3] = "unknown";
            north += 1;
        }
        fields.reverse();
        out += &fields.join(",");
        out.push('\n');
    }
    assert!(north > 200, "{north}");
    env.write("leads.csv", &out);
    let run = env.run(&[
        "plan",
        "leads.csv",
        "--by",
        "region",
        "--capacity-file",
        "data/territories.csv",
        "--skip-invalid",
        "rejects.csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "\nRejected {north} rows that could not be scored, written with their reasons to rejects.csv; they are not in the plan.\nEvery lead of 1 group was rejected, so it has no plan: north ({north} rejected, 3,200.0 hours unplanned).\n"
        )) && !run.stdout.contains("\nnorth "),
        "{}",
        run.stdout
    );
    // Every row rejected: an error, and the file that says why is written.
    let header = text.lines().next().unwrap();
    let bad: Vec<String> = text
        .lines()
        .skip(1)
        .take(2)
        .map(|l| format!("{l},extra"))
        .collect();
    env.write("bad.csv", format!("{header}\n{}\n", bad.join("\n")));
    let run = env.run(&[
        "plan",
        "bad.csv",
        "--capacity",
        "sales_hours=400",
        "--skip-invalid",
        "rejects.csv",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: bad.csv: none of its 2 rows could be scored, so there is nothing to plan; rejects.csv lists each with its reason\n"
    );
    // As `score` writes them: the row as read, its extra field too.
    let rejects = env.read("rejects.csv");
    assert_eq!(rejects.lines().count(), 3);
    assert!(
        rejects.contains(&format!(
            "\n2,\"expected 9 fields as in the header, found 10\",{},extra\n",
            quoted(text.lines().nth(1).unwrap())
        )),
        "{rejects}"
    );
}

/// One long group name (a team's full title) is cut in the table, not every row widened by
/// it; the note says so, and the JSON holds the name whole.
#[test]
fn a_long_group_name_is_cut_in_the_table_and_whole_in_the_json() {
    let env = env();
    let long = "Northern Territory and Islands – Key Accounts (Enterprise)";
    let leads = env
        .read("data/leads.csv")
        .replace(",north,", &format!(",{long},"));
    env.write("leads.csv", &leads);
    let args = [
        "plan",
        "leads.csv",
        "--by",
        "region",
        "--capacity",
        "sales_hours=1000",
    ];
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let table: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("region "))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(
        table[0].starts_with(&format!("region{}hours ", " ".repeat(32))),
        "{}",
        run.stdout
    );
    assert!(
        table
            .iter()
            .any(|l| l.starts_with("Northern Territory and Islands …    1,000.0 ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "\n(Names longer than 32 columns are cut, ending in …; --format json holds them whole.)\n"
        ),
        "{}",
        run.stdout
    );
    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    let run = env.run(&json);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["group"] == long));
    // Short names: no note.
    let run = env.run(&[
        "plan",
        "data/leads.csv",
        "--by",
        "region",
        "--capacity",
        "sales_hours=1000",
    ]);
    assert!(!run.stdout.contains("are cut"), "{}", run.stdout);
}
