//! `export --breakdown`: every format holds each lead's net value broken down with the figures
//! `score --breakdown` writes for the same leads (same list, model and decimals), adding up to
//! the written net value to the cent: CSV columns in the same place, a `breakdown` object in
//! JSON and JSON Lines, money cells on the workbook's Leads sheet, a `<details>` per top lead on
//! the page, and in every file of a split. A CRM profile writes only its own columns, so the
//! flag is refused with it; without the flag every output is what it was.

use std::collections::HashMap;

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::Value;

use crate::commands::{
    cents, record_lines, refused_with_a_profile, shown_cents, split_by_region, succeeded, Table,
};
use crate::util::{shipped_model_env, Env};

const LEADS: &str = "data/leads.csv";

/// `score --breakdown` of the sample leads: what every export is compared with.
struct Reference {
    table: Table,
    /// `baseline_net`, `contribution_<feature>` in the model's order, `floor_net`.
    parts: Vec<String>,
}

impl Reference {
    fn of(env: &Env, extra: &[&str]) -> Reference {
        let mut args = vec!["score", LEADS, "--breakdown"];
        args.extend(extra);
        let run = env.run(&args);
        succeeded(&run);
        let table = Table::parse(&run.stdout);
        let first = table.col("baseline_net");
        let parts = table.header[first..].to_vec();
        assert_eq!(parts.last().map(String::as_str), Some("floor_net"));
        assert_eq!(parts.len(), 9, "{parts:?}");
        // Every lead adds up, so comparing with these is comparing with figures that add up.
        for row in &table.rows {
            let sum: i64 = row[first..].iter().map(|v| cents(v)).sum();
            assert_eq!(sum, cents(&row[table.col("expected_net")]), "{row:?}");
        }
        Reference { table, parts }
    }

    /// The lead's breakdown as written: its columns' text.
    fn of_lead(&self, id: &str) -> Vec<&str> {
        self.parts.iter().map(|p| self.table.get(id, p)).collect()
    }

    /// The features, in the model's order: the contributions' names without the prefix.
    fn features(&self) -> Vec<&str> {
        self.parts[1..self.parts.len() - 1]
            .iter()
            .map(|p| p.strip_prefix("contribution_").unwrap())
            .collect()
    }
}

/// The breakdown object of a JSON record, as text: `[baseline, each contribution, floor]` with
/// the features' names in the order written, each number as its digits.
fn breakdown_text(record: &str) -> (Vec<String>, Vec<String>) {
    let start = record
        .find(",\"breakdown\":{")
        .unwrap_or_else(|| panic!("no breakdown in {record}"));
    let object = &record[start..];
    let field = |name: &str| -> String {
        let key = format!("\"{name}\":");
        let at = object.find(&key).unwrap() + key.len();
        object[at..].split([',', '}']).next().unwrap().to_string()
    };
    let contributions = {
        let at = object.find("\"contributions\":{").unwrap() + "\"contributions\":{".len();
        &object[at..at + object[at..].find('}').unwrap()]
    };
    let mut names = Vec::new();
    let mut values = vec![field("baseline_net")];
    for pair in contributions.split(',') {
        let (name, value) = pair.split_once(':').unwrap();
        names.push(name.trim_matches('"').to_string());
        values.push(value.to_string());
    }
    values.push(field("floor_net"));
    (names, values)
}

/// Checks every record of `text` against `score --breakdown`: the same leads in the same
/// order, the breakdown's keys the model's features in its order, its numbers the CSV's digits,
/// adding up to `expected_net`. Returns how many records there were.
fn check_json(text: &str, want: &Reference) -> usize {
    let records = record_lines(text);
    assert_eq!(records.len(), want.table.rows.len());
    for (line, id) in records.iter().zip(want.table.ids()) {
        let record: Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["lead_id"], id, "the same order as score's");
        let (names, values) = breakdown_text(line);
        assert_eq!(names, want.features(), "{line}");
        assert_eq!(values, want.of_lead(id), "lead {id}");
        // As numbers, read by a JSON parser: they add up to the net value to the cent.
        let b = &record["breakdown"];
        let sum: i64 = [&b["baseline_net"], &b["floor_net"]]
            .into_iter()
            .chain(b["contributions"].as_object().unwrap().values())
            .map(|v| (v.as_f64().unwrap() * 100.0).round() as i64)
            .sum();
        let net = record["expected_net"].as_f64().unwrap();
        assert_eq!(sum, (net * 100.0).round() as i64, "lead {id}");
        assert_eq!(
            net,
            want.table.get(id, "expected_net").parse::<f64>().unwrap()
        );
    }
    records.len()
}

#[test]
fn csv_json_and_json_lines_carry_score_breakdowns_figures_for_every_lead() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let want = Reference::of(&env, &[]);

    // CSV: byte for byte what `score --breakdown --with-input` writes, so the columns are in
    // the same place with the same figures.
    let score = env.run(&["score", LEADS, "--breakdown", "--with-input"]);
    succeeded(&score);
    succeeded(&env.run(&["export", LEADS, "--breakdown", "-o", "out.csv"]));
    let written = env.read("out.csv");
    assert_eq!(written, score.stdout);
    let table = Table::parse(&written);
    assert_eq!(table.header[11..20], want.parts[..], "after the warnings");
    assert_eq!(table.header[20], "company", "then the input");
    for id in want.table.ids() {
        let parts: Vec<&str> = want.parts.iter().map(|p| table.get(id, p)).collect();
        assert_eq!(parts, want.of_lead(id));
    }

    succeeded(&env.run(&["export", LEADS, "--breakdown", "-o", "out.json"]));
    let array = env.read("out.json");
    // The array is one JSON document, with a record per lead.
    let parsed: Value = serde_json::from_str(&array).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 1000);
    assert_eq!(check_json(&array, &want), 1000);

    let run = env.run(&["export", LEADS, "--breakdown", "--format", "jsonl"]);
    succeeded(&run);
    assert_eq!(check_json(&run.stdout, &want), 1000);

    // Other decimals: the same digits as score's at those decimals, still adding up.
    let whole = Reference::of(&env, &["--decimals", "0"]);
    let run = env.run(&[
        "export",
        LEADS,
        "--breakdown",
        "--format",
        "jsonl",
        "--decimals",
        "0",
    ]);
    succeeded(&run);
    assert_eq!(check_json(&run.stdout, &whole), 1000);
    assert!(!whole.table.get("L000081", "baseline_net").contains('.'));
}

#[test]
fn the_workbook_has_score_breakdowns_columns_as_money_for_every_lead() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let want = Reference::of(&env, &[]);
    let score = env.run(&["score", LEADS, "--breakdown", "--with-input"]);
    succeeded(&score);
    let scored = Table::parse(&score.stdout);
    succeeded(&env.run(&["export", LEADS, "--breakdown", "-o", "out.xlsx"]));
    let mut book: Xlsx<_> = open_workbook(env.path("out.xlsx")).unwrap();
    let range = book.worksheet_range("Leads").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    // The header is the CSV's: the breakdown after the warnings, then the input.
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, scored.header);
    assert_eq!(rows.len(), 1001);
    let net = want.table.col("expected_net");
    for (row, id) in rows[1..].iter().zip(want.table.ids()) {
        assert_eq!(row[0].to_string(), id, "the same order as score's");
        let mut sum = 0;
        for (p, text) in want.of_lead(id).into_iter().enumerate() {
            let cell = &row[11 + p];
            // A number, exactly the one the CSV's digits make.
            let Data::Float(v) = cell else {
                panic!("lead {id} {}: {cell:?}", want.parts[p]);
            };
            assert_eq!(
                *v,
                text.parse::<f64>().unwrap(),
                "lead {id} {}",
                want.parts[p]
            );
            sum += (v * 100.0).round() as i64;
        }
        let Data::Float(written_net) = row[net] else {
            panic!("lead {id}: {:?}", row[net]);
        };
        assert_eq!(sum, (written_net * 100.0).round() as i64, "lead {id}");
        // The input is still there, after the breakdown.
        assert_eq!(row[20].to_string(), scored.get(id, "company"));
    }
}

/// A top lead of a page, as shown.
struct TopLead {
    id: String,
    /// The row's net value.
    net: String,
    /// Its breakdown's lines, label and amount, from the `<details>` in its row.
    lines: Vec<(String, String)>,
}

/// The top leads of a page.
fn page_breakdowns(page: &str) -> Vec<TopLead> {
    let table = &page[page.find("<table class=\"leads\">").unwrap()..];
    let table = &table[..table.find("</tbody></table>").unwrap()];
    table
        .split("<tr")
        .skip(1)
        .filter(|row| row.contains("<td class=\"id\">"))
        .map(|row| {
            let cell = |from: &str| {
                let at = row.find(from).unwrap() + from.len();
                row[at..at + row[at..].find("</td>").unwrap()].to_string()
            };
            let id = cell("<td class=\"id\">");
            // Return, burden, net: the third money cell.
            let net = row
                .split("<td class=\"n")
                .nth(4)
                .map(|c| c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()].to_string())
                .unwrap();
            let details = &row[row.find("<details>").unwrap_or_else(|| panic!("{row}"))..];
            let details = &details[..details.find("</details>").unwrap()];
            let lines = details
                .split("<dt")
                .skip(1)
                .map(|item| {
                    let label = &item[item.find('>').unwrap() + 1..item.find("</dt>").unwrap()];
                    let dd = &item[item.find("<dd").unwrap()..];
                    let amount = &dd[dd.find('>').unwrap() + 1..dd.find("</dd>").unwrap()];
                    (label.to_string(), amount.to_string())
                })
                .collect();
            TopLead { id, net, lines }
        })
        .collect()
}

#[test]
fn the_page_breaks_down_each_top_lead_and_adds_up_to_its_net() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let want = Reference::of(&env, &[]);
    succeeded(&env.run(&["export", LEADS, "--breakdown", "-o", "page.html"]));
    let page = env.read("page.html");
    assert!(!page.contains("<script"), "no script on the page");
    let top = page_breakdowns(&page);
    // The 50 best leads, each broken down, and no other lead.
    assert_eq!(top.len(), 50);
    assert_eq!(page.matches("<details>").count(), 50);
    let ids: Vec<&str> = top.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, want.table.ids()[..50]);
    for TopLead { id, net, lines } in &top {
        let labels: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels[0], "baseline (the average customer)");
        for (label, feature) in labels[1..8].iter().zip(want.features()) {
            assert!(label.starts_with(&format!("{feature} = ")), "{label}");
        }
        assert_eq!(labels[8..], ["floors at zero", "net"]);
        // The parts add up to the net they end with, which is the row's net.
        let sum: i64 = lines[..9].iter().map(|(_, v)| shown_cents(v)).sum();
        assert_eq!(sum, shown_cents(&lines[9].1), "lead {id}");
        assert_eq!(lines[9].1, *net, "lead {id}");
        // And each is score --breakdown's figure.
        let shown: Vec<i64> = lines[..9].iter().map(|(_, v)| shown_cents(v)).collect();
        let scored: Vec<i64> = want.of_lead(id).iter().map(|v| cents(v)).collect();
        assert_eq!(shown, scored, "lead {id}");
    }
    // The lead's value is shown beside its feature, as in the reasons.
    let lines = &top.iter().find(|t| t.id == "L000081").unwrap().lines;
    assert_eq!(lines[1].0, "industry = software");
    assert_eq!(lines[5].0, "employees = 527");
}

/// Known coefficients (`accuracy::straight_line_model`): return = 5,000 - 400x and burden =
/// 100 + 50x on x from 0 to 9, so the baseline is 2,875 and a lead's part of x is
/// -450 (x - 4.5); far outside the history a side falls below zero and its floor is a part.
#[test]
fn known_coefficients_give_the_exact_breakdown_in_every_format() {
    let env = crate::accuracy::straight_line_model();
    env.write("l.csv", "id,x\nfar_right,20\nfar_left,-5\nmiddle,4.5\n");
    let expected = [
        // id, expected_net, baseline, x, floor
        ("far_right", -1100.0, 2875.0, -6975.0, 3000.0),
        ("far_left", 7000.0, 2875.0, 4275.0, -150.0),
        ("middle", 2875.0, 2875.0, 0.0, 0.0),
    ];
    let base = ["export", "l.csv", "--keep-order", "--breakdown"];
    let export = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let run = env.run(&args);
        succeeded(&run);
        run.stdout
    };

    let csv = Table::parse(&export(&[]));
    let jsonl = export(&["--format", "jsonl"]);
    let lines: Vec<&str> = jsonl.lines().collect();
    export(&["-o", "l.xlsx"]);
    let mut book: Xlsx<_> = open_workbook(env.path("l.xlsx")).unwrap();
    let sheet = book.worksheet_range("Leads").unwrap();
    export(&["-o", "l.html"]);
    let page = page_breakdowns(&env.read("l.html"));

    for (i, (id, net, baseline, x, floor)) in expected.into_iter().enumerate() {
        let text = |v: f64| format!("{v:.2}");
        let columns = [
            "expected_net",
            "baseline_net",
            "contribution_x",
            "floor_net",
        ];
        assert_eq!(
            columns.map(|c| csv.get(id, c).to_string()),
            [net, baseline, x, floor].map(text),
            "csv {id}"
        );
        // Between the warnings and the input carried along.
        assert!(
            lines[i].contains(&format!(
                "],\"breakdown\":{{\"baseline_net\":{},\"contributions\":{{\"x\":{}}},\"floor_net\":{}}},\"input\":{{",
                text(baseline),
                text(x),
                text(floor)
            )),
            "{}",
            lines[i]
        );
        let cells: Vec<Data> = (0..4)
            .map(|c| sheet.get((i + 1, [3, 11, 12, 13][c])).unwrap().clone())
            .collect();
        assert_eq!(
            cells,
            [net, baseline, x, floor].map(Data::Float),
            "workbook {id}"
        );
        // The page lists its leads by net value: far_left, middle, far_right.
        let TopLead {
            net: shown_net,
            lines: parts,
            ..
        } = page.iter().find(|t| t.id == id).unwrap();
        let amounts: Vec<&str> = parts.iter().map(|(_, v)| v.as_str()).collect();
        let grouped = |v: f64| {
            let s = format!("{:.2}", v.abs());
            let (int, frac) = s.split_once('.').unwrap();
            let mut out = String::new();
            for (k, c) in int.chars().enumerate() {
                if k > 0 && (int.len() - k) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            format!("{}{out}.{frac}", if v < 0.0 { "-" } else { "" })
        };
        assert_eq!(amounts, [baseline, x, floor, net].map(grouped), "page {id}");
        assert_eq!(*shown_net, grouped(net));
        assert_eq!(parts[1].0, format!("x = {}", ["20", "-5", "4.5"][i]));
    }
}

#[test]
fn each_file_of_a_split_carries_the_breakdown() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let want = Reference::of(&env, &[]);
    let region = crate::util::csv_rows(&env.read(LEADS));
    let col = region[0].iter().position(|h| h == "region").unwrap();
    let region_of: HashMap<&str, &str> = region[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[col].as_str()))
        .collect();
    for format in ["jsonl", "csv"] {
        let mut leads = 0;
        for (name, value, text) in split_by_region(&env, LEADS, "--breakdown", format) {
            let ids: Vec<String> = if format == "jsonl" {
                record_lines(&text)
                    .iter()
                    .map(|line| {
                        let id = serde_json::from_str::<Value>(line).unwrap()["lead_id"]
                            .as_str()
                            .unwrap()
                            .to_string();
                        let (_, values) = breakdown_text(line);
                        assert_eq!(values, want.of_lead(&id), "{name}: lead {id}");
                        id
                    })
                    .collect()
            } else {
                let table = Table::parse(&text);
                assert_eq!(table.header[11..20], want.parts[..], "{name}");
                table
                    .rows
                    .iter()
                    .map(|r| {
                        assert_eq!(r[11..20], want.of_lead(&r[0])[..], "{name}: lead {}", r[0]);
                        r[0].clone()
                    })
                    .collect()
            };
            for id in &ids {
                let region = region_of[id.as_str()];
                assert!(
                    region == value || (region.trim().is_empty() && value == "blank"),
                    "{id} of {region:?} in {name}"
                );
            }
            leads += ids.len();
        }
        assert_eq!(leads, 1000, "{format}");
    }
}

#[test]
fn a_crm_profile_writes_its_own_columns_so_the_breakdown_is_refused() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    refused_with_a_profile(&env, LEADS, "--breakdown", "breakdown");
}

/// The JSON text without its `breakdown` objects.
fn without_breakdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(",\"breakdown\":{") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let floor = after.find("\"floor_net\":").unwrap();
        let end = floor + after[floor..].find('}').unwrap() + 1;
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn without_the_flag_nothing_changes_and_with_it_nothing_else_does() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let export = |args: &[&str]| {
        let mut all = vec!["export", LEADS, "--top", "120"];
        all.extend(args);
        let run = env.run(&all);
        succeeded(&run);
        run.stdout
    };
    // CSV: score's own bytes without the flag (as `export::csv_export_is_exactly_what_score_
    // writes_with_the_input` pins), and the breakdown's columns are all the flag adds.
    let plain = Table::parse(&export(&[]));
    let broken_down = Table::parse(&export(&["--breakdown"]));
    assert!(!plain
        .header
        .iter()
        .any(|h| h.ends_with("_net") && h != "expected_net"));
    for (a, b) in plain.rows.iter().zip(&broken_down.rows) {
        let mut b = b.clone();
        b.drain(11..20);
        assert_eq!(*a, b);
    }

    // JSON, JSON Lines: the records are the same text but for the breakdown.
    for format in ["json", "jsonl"] {
        let plain = export(&["--format", format]);
        let broken_down = export(&["--format", format, "--breakdown"]);
        assert!(!plain.contains("\"breakdown\""), "{format}");
        assert_eq!(broken_down.matches("\"breakdown\":{").count(), 120);
        assert_eq!(without_breakdown(&broken_down), plain, "{format}");
    }

    // The page: no breakdown, no `<details>`, no style of theirs.
    export(&["-o", "plain.html"]);
    export(&["--breakdown", "-o", "parts.html"]);
    let plain = env.read("plain.html");
    let parts = env.read("parts.html");
    assert!(!plain.contains("<details") && !plain.to_lowercase().contains("part by part"));
    assert!(parts.contains("<th>Net, part by part</th>"));
    // Before the top leads the pages are the same, but for the breakdown's style.
    let top = "<section class=\"top\">";
    let style_end = "</style>";
    let plain_head = &plain[..plain.find(top).unwrap()];
    let parts_head = &parts[..parts.find(top).unwrap()];
    let extra = &parts_head
        [parts_head.find("table.leads td.parts").unwrap()..parts_head.find(style_end).unwrap()];
    assert_eq!(parts_head.replacen(extra, "", 1), plain_head);

    // The workbook: the same cells, the breakdown's columns aside.
    export(&["-o", "plain.xlsx"]);
    export(&["--breakdown", "-o", "parts.xlsx"]);
    let sheet = |name: &str| -> Vec<Vec<Data>> {
        let mut book: Xlsx<_> = open_workbook(env.path(name)).unwrap();
        let range = book.worksheet_range("Leads").unwrap();
        range.rows().map(<[Data]>::to_vec).collect()
    };
    let plain = sheet("plain.xlsx");
    let mut parts = sheet("parts.xlsx");
    for row in &mut parts {
        row.drain(11..20);
    }
    assert_eq!(plain, parts);
}

/// A file `score --components --breakdown --with-input` wrote exports as the lead list itself
/// does, with and without --breakdown: its component and breakdown columns are the model's own
/// figures, which re-scoring gives again. They were read as the lead's own columns and carried
/// along unchecked (with --breakdown, a second time as `input_baseline_net` and so on).
#[test]
fn a_scored_files_part_columns_are_not_carried_as_the_leads_own() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let run = env.run(&[
        "score",
        LEADS,
        "--components",
        "--breakdown",
        "--with-input",
        "-o",
        "scored.csv",
    ]);
    succeeded(&run);
    let header = env.read("scored.csv");
    let header = header.lines().next().unwrap();
    assert!(header.contains(",return_revenue,") && header.contains(",floor_net,"));
    for extra in [&[][..], &["--breakdown"][..]] {
        let export = |list: &str| {
            let mut args = vec!["export", list, "--format", "csv"];
            args.extend(extra);
            let run = env.run(&args);
            succeeded(&run);
            run.stdout
        };
        let from_list = export(LEADS);
        assert!(!from_list.contains("input_"), "{extra:?}");
        assert_eq!(export("scored.csv"), from_list, "{extra:?}");
    }
}
