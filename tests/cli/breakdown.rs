//! `score --breakdown`: each lead's net value written as its baseline, every feature's part and
//! the floors' part, in the columns the SQL query returns, adding up to the written net value
//! exactly and agreeing to the cent with what `explain` shows.

use std::collections::HashMap;

use crate::util::{csv_rows, shipped_model_env, Env};

/// Money as whole cents, so sums are exact.
fn cents(text: &str) -> i64 {
    let v: f64 = text
        .parse()
        .unwrap_or_else(|_| panic!("not money: {text:?}"));
    (v * 100.0).round() as i64
}

/// The written CSV as maps from column name to cell, with the header.
fn scored(env: &Env, args: &[&str]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let run = env.run(args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    let header = rows[0].clone();
    let maps = rows[1..]
        .iter()
        .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
        .collect();
    (header, maps)
}

#[test]
fn the_breakdown_adds_up_to_the_written_net_value_and_agrees_with_explain() {
    let env = shipped_model_env();
    env.copy("data/leads.csv", "data/leads.csv");
    let (header, rows) = scored(&env, &["score", "data/leads.csv", "--breakdown"]);
    let parts = [
        "baseline_net",
        "contribution_industry",
        "contribution_region",
        "contribution_lead_source",
        "contribution_product_interest",
        "contribution_employees",
        "contribution_annual_revenue",
        "contribution_first_order_value",
        "floor_net",
    ];
    // After the score columns, before nothing else (no --components, no --with-input).
    assert_eq!(header[11..], parts, "{header:?}");
    assert_eq!(rows.len(), 1000);
    for r in &rows {
        let sum: i64 = parts.iter().map(|p| cents(&r[*p])).sum();
        assert_eq!(sum, cents(&r["expected_net"]), "{r:?}");
        // The baseline is the average past customer's, the same for every lead.
        assert_eq!(r["baseline_net"], rows[0]["baseline_net"]);
    }
    // The same figures `explain` prints in its net column, for leads across the list.
    for r in rows.iter().step_by(97) {
        let id = &r["lead_id"];
        let run = env.run(&["explain", "data/leads.csv", "--id", id]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut compared = 0;
        for line in run.stdout.lines() {
            let Some(net) = line.split_whitespace().last() else {
                continue;
            };
            let column = if line.starts_with("baseline") {
                "baseline_net".to_string()
            } else if let Some((feature, _)) = line.split_once(" = ") {
                format!("contribution_{}", feature.trim())
            } else {
                continue;
            };
            assert_eq!(
                cents(&r[&column]),
                cents(&net.replace(',', "")),
                "lead {id}, {column}: explain says {line:?}"
            );
            compared += 1;
        }
        // The baseline and all seven features (no lead of the sample is floored).
        assert_eq!(compared, 8, "{}", run.stdout);
    }
}

/// Known coefficients (`accuracy::straight_line_model`): return = 5,000 - 400x and burden =
/// 100 + 50x on x from 0 to 9 (mean 4.5), so the baseline is 3,200 - 325 = 2,875 and a lead's
/// part of x is -450 (x - 4.5). Far outside the history, a side falls below zero and its floor
/// is a part of its own.
#[test]
fn floors_are_their_own_part_of_the_breakdown() {
    let env = crate::accuracy::straight_line_model();
    env.write("l.csv", "id,x\nfar_right,20\nfar_left,-5\nmiddle,4.5\n");
    let run = env.run(&["score", "l.csv", "--keep-order", "--breakdown"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    let at = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let cells = |r: usize| -> Vec<&str> {
        [
            "expected_net",
            "baseline_net",
            "contribution_x",
            "floor_net",
        ]
        .iter()
        .map(|c| rows[r][at(c)].as_str())
        .collect()
    };
    // x = 20: return -3,000 is shown as 0 (its floor adds 3,000), burden 1,100.
    assert_eq!(cells(1), ["-1100.00", "2875.00", "-6975.00", "3000.00"]);
    // x = -5: burden -150 is shown as 0 (its floor takes 150 from the net value).
    assert_eq!(cells(2), ["7000.00", "2875.00", "4275.00", "-150.00"]);
    // The average customer is the baseline.
    assert_eq!(cells(3), ["2875.00", "2875.00", "0.00", "0.00"]);
}
