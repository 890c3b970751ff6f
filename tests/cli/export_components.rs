//! `export --components`: every format holds each economics term's share of the lead's return
//! and burden with the figures `score --components` writes for the same leads (same list,
//! model and decimals), in money adding up to the written return and burden to the cent, and in
//! each term's column's units: CSV columns in the same place (before the breakdown's), a
//! `components` object in JSON and JSON Lines, number cells on the workbook's Leads sheet, a
//! `<details>` per top lead on the page, and in every file of a split. Each file is read back
//! with its own reader. A CRM profile writes only its own columns and a model without
//! components has none to give, so both are refused; without the flag every output is what it
//! was.

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::Value;

use crate::commands::{
    cents, record_lines, refused_with_a_profile, schema_validator, shown_cents, split_by_region,
    succeeded, Table,
};
use crate::util::{shipped_model_env, Env};

const LEADS: &str = "data/leads.csv";

/// The score columns before the components: the id, the figures, tier, recommendation,
/// reasons and warnings.
const FIRST_PART: usize = 11;

/// An economics term of the model, as its components show.
struct Term {
    /// 0: lifetime return, 1: service burden.
    side: usize,
    name: String,
    /// Its money column in score's output (`burden_sales_effort`).
    money: String,
    /// Its ledger column and its units' column in score's output (`sales_hours`,
    /// `expected_sales_hours`).
    units: Option<(String, String)>,
}

/// `score --components` of the sample leads: what every export is compared with.
struct Reference {
    table: Table,
    terms: Vec<Term>,
}

impl Reference {
    fn of(env: &Env, extra: &[&str]) -> Reference {
        let mut args = vec!["score", LEADS, "--components"];
        args.extend(extra);
        let run = env.run(&args);
        succeeded(&run);
        let table = Table::parse(&run.stdout);
        let model: Value = serde_json::from_str(&env.read("models/model.json")).unwrap();
        let economics = &model["economics"];
        let listed: Vec<(usize, &Value)> = ["lifetime_return", "service_burden"]
            .iter()
            .enumerate()
            .flat_map(|(side, name)| {
                economics[name]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |t| (side, t))
            })
            .collect();
        let n = listed.len();
        let mut unit_columns = table.header[FIRST_PART + n..].iter();
        let terms: Vec<Term> = listed
            .iter()
            .enumerate()
            .map(|(k, (side, t))| Term {
                side: *side,
                name: t["name"].as_str().unwrap().to_string(),
                money: table.header[FIRST_PART + k].clone(),
                units: t["column"]
                    .as_str()
                    .map(|c| (c.to_string(), unit_columns.next().unwrap().clone())),
            })
            .collect();
        assert!(unit_columns.next().is_none(), "{:?}", table.header);
        assert_eq!(terms.len(), 8);
        assert_eq!(terms[4].money, "burden_sales_effort");
        assert_eq!(terms[4].units.as_ref().unwrap().1, "expected_sales_hours");
        let reference = Reference { table, terms };
        // Every lead adds up, so comparing with these is comparing with figures that add up.
        for id in reference.table.ids() {
            for (side, figure) in [(0, "expected_return"), (1, "expected_burden")] {
                let sum: i64 = reference.side(id, side).iter().map(|(_, v)| cents(v)).sum();
                assert_eq!(sum, cents(reference.table.get(id, figure)), "{id} {figure}");
            }
        }
        reference
    }

    /// The lead's money parts of `side` as written, with their terms.
    fn side(&self, id: &str, side: usize) -> Vec<(&Term, &str)> {
        self.terms
            .iter()
            .filter(|t| t.side == side)
            .map(|t| (t, self.table.get(id, &t.money)))
            .collect()
    }

    /// The lead's units as written, by their column in score's output.
    fn units(&self, id: &str) -> Vec<(&str, &str)> {
        self.terms
            .iter()
            .filter_map(|t| t.units.as_ref())
            .map(|(_, col)| (col.as_str(), self.table.get(id, col)))
            .collect()
    }

    /// Every column the components add, in order.
    fn columns(&self) -> &[String] {
        &self.table.header[FIRST_PART..FIRST_PART + 16]
    }
}

/// The `components` object `score --components`' figures make for `id`, as JSON text: each
/// side's terms in the model's order and the units by score's column names, with score's digits.
fn components_text(want: &Reference, id: &str) -> String {
    let pairs = |pairs: Vec<(&str, &str)>| -> String {
        let pairs: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", Value::from(k)))
            .collect();
        pairs.join(",")
    };
    let side = |s: usize| {
        pairs(
            want.side(id, s)
                .into_iter()
                .map(|(t, v)| (t.name.as_str(), v))
                .collect(),
        )
    };
    format!(
        ",\"components\":{{\"return\":{{{}}},\"burden\":{{{}}},\"units\":{{{}}}}}",
        side(0),
        side(1),
        pairs(want.units(id))
    )
}

/// Checks every record of `text` against `score --components`: the same leads in the same
/// order, the schema met, the `components` object score's figures digit for digit, and, read by
/// serde_json, each side's parts adding up to the record's return and burden to the cent.
/// Returns how many records there were.
fn check_json(text: &str, want: &Reference) -> usize {
    let valid = schema_validator();
    let records = record_lines(text);
    assert_eq!(records.len(), want.table.rows.len());
    for (line, id) in records.iter().zip(want.table.ids()) {
        let record: Value = serde_json::from_str(line).unwrap();
        valid(&record);
        assert_eq!(record["lead_id"], id, "the same order as score's");
        let wanted = components_text(want, id);
        assert!(line.contains(&wanted), "{line}\nwant {wanted}");
        for (key, figure) in [("return", "expected_return"), ("burden", "expected_burden")] {
            let parts = record["components"][key].as_object().unwrap();
            let sum: i64 = parts
                .values()
                .map(|v| (v.as_f64().unwrap() * 100.0).round() as i64)
                .sum();
            let total = record[figure].as_f64().unwrap();
            assert_eq!(sum, (total * 100.0).round() as i64, "lead {id} {key}");
            assert_eq!(total, want.table.get(id, figure).parse::<f64>().unwrap());
        }
    }
    records.len()
}

#[test]
fn csv_json_and_json_lines_carry_score_components_figures_for_every_lead() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let want = Reference::of(&env, &[]);

    // CSV: byte for byte what `score` writes with the same flags, so the columns are in the
    // same place with the same figures; with --breakdown too, in score's order.
    for extra in [&[][..], &["--breakdown"][..]] {
        let mut score = vec!["score", LEADS, "--components", "--with-input"];
        score.extend(extra);
        let score = env.run(&score);
        succeeded(&score);
        let mut export = vec!["export", LEADS, "--components", "-o", "out.csv"];
        export.extend(extra);
        succeeded(&env.run(&export));
        assert_eq!(env.read("out.csv"), score.stdout, "{extra:?}");
    }
    let table = Table::parse(&env.read("out.csv"));
    assert_eq!(table.header[FIRST_PART..27], *want.columns());
    assert_eq!(table.header[27], "baseline_net", "then the breakdown");
    for id in want.table.ids() {
        for (side, figure) in [(0, "expected_return"), (1, "expected_burden")] {
            let sum: i64 = want
                .side(id, side)
                .iter()
                .map(|(t, _)| cents(table.get(id, &t.money)))
                .sum();
            assert_eq!(sum, cents(table.get(id, figure)), "lead {id}");
        }
    }

    succeeded(&env.run(&["export", LEADS, "--components", "-o", "out.json"]));
    let array = env.read("out.json");
    let parsed: Value = serde_json::from_str(&array).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 1000);
    assert_eq!(check_json(&array, &want), 1000);

    let run = env.run(&["export", LEADS, "--components", "--format", "jsonl"]);
    succeeded(&run);
    assert_eq!(check_json(&run.stdout, &want), 1000);

    // Other decimals: score's figures at those decimals, still adding up; units keep 2.
    let whole = Reference::of(&env, &["--decimals", "0"]);
    let run = env.run(&[
        "export",
        LEADS,
        "--components",
        "--format",
        "jsonl",
        "--decimals",
        "0",
    ]);
    succeeded(&run);
    assert_eq!(check_json(&run.stdout, &whole), 1000);
    assert!(!whole.table.get("L000081", "burden_support").contains('.'));
    assert!(run.stdout.contains("\"expected_sales_hours\":58.56,"));
}

#[test]
fn the_workbook_has_score_components_columns_as_numbers_for_every_lead() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let want = Reference::of(&env, &[]);
    let score = env.run(&["score", LEADS, "--components", "--with-input"]);
    succeeded(&score);
    let scored = Table::parse(&score.stdout);
    succeeded(&env.run(&["export", LEADS, "--components", "-o", "out.xlsx"]));
    let mut book: Xlsx<_> = open_workbook(env.path("out.xlsx")).unwrap();
    let range = book.worksheet_range("Leads").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    // The header is the CSV's: the components after the warnings, then the input.
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, scored.header);
    assert_eq!(rows.len(), 1001);
    let number = |row: &[Data], col: usize, id: &str| -> f64 {
        match row[col] {
            Data::Float(v) => v,
            ref other => panic!("lead {id} {}: {other:?}", header[col]),
        }
    };
    for (row, id) in rows[1..].iter().zip(want.table.ids()) {
        assert_eq!(row[0].to_string(), id, "the same order as score's");
        // Each cell a number, exactly the one the CSV's digits make.
        for (c, name) in want.columns().iter().enumerate() {
            let v = number(row, FIRST_PART + c, id);
            assert_eq!(
                v,
                want.table.get(id, name).parse::<f64>().unwrap(),
                "{id} {name}"
            );
        }
        // Each side's cells add up to its cell.
        for (side, figure) in [(0, "expected_return"), (1, "expected_burden")] {
            let sum: i64 = want
                .side(id, side)
                .iter()
                .map(|(t, _)| {
                    let v = number(row, scored.col(&t.money), id);
                    (v * 100.0).round() as i64
                })
                .sum();
            let total = number(row, scored.col(figure), id);
            assert_eq!(sum, (total * 100.0).round() as i64, "lead {id} {figure}");
        }
        assert_eq!(
            row[27].to_string(),
            scored.get(id, "company"),
            "then the input"
        );
    }
}

/// A top lead of a page, as shown.
struct TopLead {
    id: String,
    /// The row's return and burden.
    figures: [String; 2],
    /// Its components' lines, label and amount, from the first `<details>` in its row.
    lines: Vec<(String, String)>,
}

/// The text between `from` and the next `to` in `text`.
fn between<'t>(text: &'t str, from: &str, to: &str) -> &'t str {
    let at = text
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {text}"))
        + from.len();
    &text[at..at + text[at..].find(to).unwrap()]
}

/// The top leads of a page.
fn page_components(page: &str) -> Vec<TopLead> {
    let table = between(page, "<table class=\"leads\">", "</tbody></table>");
    table
        .split("<tr")
        .skip(1)
        .filter(|row| row.contains("<td class=\"id\">"))
        .map(|row| {
            let money = |k: usize| {
                let cell = row.split("<td class=\"n").nth(k).unwrap();
                cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()].to_string()
            };
            let details = between(row, "<details>", "</details>");
            let lines = details
                .split("<dt")
                .skip(1)
                .map(|item| {
                    let label = between(item, ">", "</dt>");
                    let dd = &item[item.find("<dd").unwrap()..];
                    (label.to_string(), between(dd, ">", "</dd>").to_string())
                })
                .collect();
            TopLead {
                id: between(row, "<td class=\"id\">", "</td>").to_string(),
                // The rank's cell is the first.
                figures: [money(2), money(3)],
                lines,
            }
        })
        .collect()
}

#[test]
fn the_page_splits_each_top_lead_and_adds_up_to_its_return_and_burden() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let want = Reference::of(&env, &[]);
    succeeded(&env.run(&["export", LEADS, "--components", "-o", "page.html"]));
    let page = env.read("page.html");
    assert!(!page.contains("<script") && !page.contains("src="));
    assert!(page.contains("<th>Return and burden, part by part</th>"));
    let top = page_components(&page);
    // The 50 best leads, each split, and no other lead.
    assert_eq!(top.len(), 50);
    assert_eq!(page.matches("<details>").count(), 50);
    let ids: Vec<&str> = top.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, want.table.ids()[..50]);
    for TopLead { id, figures, lines } in &top {
        // Return terms, the return, burden terms, the burden.
        let mut rest = &lines[..];
        for (side, name) in [(0, "expected return"), (1, "expected burden")] {
            let parts = want.side(id, side);
            let (mine, after) = rest.split_at(parts.len() + 1);
            rest = after;
            for ((label, amount), (term, written)) in mine.iter().zip(&parts) {
                // The term, then its units as score writes them on a line of their own:
                // `sales effort<span class="u">58.56 sales_hours</span>`.
                let (column, units) = term.units.as_ref().unwrap();
                let (shown_units, shown_column) = between(label, "<span class=\"u\">", "</span>")
                    .split_once(' ')
                    .unwrap();
                assert_eq!(
                    label,
                    &format!(
                        "{}<span class=\"u\">{shown_units} {shown_column}</span>",
                        term.name
                    )
                );
                assert_eq!(shown_column, column);
                assert_eq!(shown_cents(shown_units), cents(want.table.get(id, units)));
                assert_eq!(
                    shown_cents(amount),
                    cents(written),
                    "lead {id} {}",
                    term.name
                );
            }
            let (label, total) = &mine[parts.len()];
            assert_eq!(label, name);
            assert_eq!(*total, figures[side], "lead {id}: the row's own figure");
            let sum: i64 = mine[..parts.len()]
                .iter()
                .map(|(_, v)| shown_cents(v))
                .sum();
            assert_eq!(sum, shown_cents(total), "lead {id} {name}");
        }
        assert!(rest.is_empty(), "lead {id}: {rest:?}");
    }
    let lines = &top.iter().find(|t| t.id == "L000081").unwrap().lines;
    assert_eq!(
        lines[5],
        (
            "sales effort<span class=\"u\">58.56 sales_hours</span>".into(),
            "4,977.99".into()
        )
    );

    // With the breakdown too: the components' column first, as in score's columns.
    succeeded(&env.run(&[
        "export",
        LEADS,
        "--components",
        "--breakdown",
        "-o",
        "both.html",
    ]));
    let both = env.read("both.html");
    let header = between(&both, "<table class=\"leads\">", "</thead>");
    assert!(
        header.ends_with("<th>Return and burden, part by part</th><th>Net, part by part</th></tr>")
    );
    assert_eq!(both.matches("<details>").count(), 100);
    let both_top = page_components(&both);
    for (a, b) in top.iter().zip(&both_top) {
        assert_eq!((&a.id, &a.lines), (&b.id, &b.lines));
    }
}

/// Known coefficients (`accuracy::straight_line_model`): return = revenue = 5,000 - 400x,
/// burden = 10 support hours at 10 = 100 + 50x. With one term a side, each term is its side,
/// floors included: far outside the history a side is 0, and so is its term and its hours.
#[test]
fn known_coefficients_give_the_exact_components_in_every_format() {
    let env = crate::accuracy::straight_line_model();
    env.write("l.csv", "id,x\nfar_right,20\nfar_left,-5\nmiddle,4.5\n");
    let expected = [
        // id, revenue, support, expected revenue, expected hours
        ("far_right", 0.0, 1100.0, 0.0, 110.0),
        ("far_left", 7000.0, 0.0, 7000.0, 0.0),
        ("middle", 3200.0, 325.0, 3200.0, 32.5),
    ];
    // The page's lines, grouped as it shows numbers.
    let on_the_page = [
        [
            ["revenue<span class=\"u\">0.00 revenue</span>", "0.00"],
            ["expected return", "0.00"],
            ["support<span class=\"u\">110.00 hours</span>", "1,100.00"],
            ["expected burden", "1,100.00"],
        ],
        [
            [
                "revenue<span class=\"u\">7,000.00 revenue</span>",
                "7,000.00",
            ],
            ["expected return", "7,000.00"],
            ["support<span class=\"u\">0.00 hours</span>", "0.00"],
            ["expected burden", "0.00"],
        ],
        [
            [
                "revenue<span class=\"u\">3,200.00 revenue</span>",
                "3,200.00",
            ],
            ["expected return", "3,200.00"],
            ["support<span class=\"u\">32.50 hours</span>", "325.00"],
            ["expected burden", "325.00"],
        ],
    ];
    let base = ["export", "l.csv", "--keep-order", "--components"];
    let export = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let run = env.run(&args);
        succeeded(&run);
        run.stdout
    };
    let csv = Table::parse(&export(&[]));
    let columns = [
        "return_revenue",
        "burden_support",
        "expected_revenue",
        "expected_hours",
    ];
    assert_eq!(csv.header[FIRST_PART..15], columns);
    let jsonl = export(&["--format", "jsonl"]);
    let lines: Vec<&str> = jsonl.lines().collect();
    export(&["-o", "l.xlsx"]);
    let mut book: Xlsx<_> = open_workbook(env.path("l.xlsx")).unwrap();
    let sheet = book.worksheet_range("Leads").unwrap();
    export(&["-o", "l.html"]);
    let page = page_components(&env.read("l.html"));

    for (i, (id, revenue, support, revenue_units, hours)) in expected.into_iter().enumerate() {
        let figures = [revenue, support, revenue_units, hours];
        let text = |v: f64| format!("{v:.2}");
        assert_eq!(
            columns.map(|c| csv.get(id, c).to_string()),
            figures.map(text),
            "csv {id}"
        );
        // Between the warnings and the input carried along.
        assert!(
            lines[i].contains(&format!(
                "],\"components\":{{\"return\":{{\"revenue\":{}}},\"burden\":{{\"support\":{}}},\"units\":{{\"expected_revenue\":{},\"expected_hours\":{}}}}},\"input\":{{",
                text(revenue),
                text(support),
                text(revenue_units),
                text(hours)
            )),
            "{}",
            lines[i]
        );
        let cells: Vec<Data> = (0..4)
            .map(|c| sheet.get((i + 1, FIRST_PART + c)).unwrap().clone())
            .collect();
        assert_eq!(cells, figures.map(Data::Float), "workbook {id}");
        let TopLead { lines: shown, .. } = page.iter().find(|t| t.id == id).unwrap();
        let shown: Vec<[&str; 2]> = shown
            .iter()
            .map(|(l, v)| [l.as_str(), v.as_str()])
            .collect();
        assert_eq!(shown, on_the_page[i], "page {id}");
    }
}

#[test]
fn each_file_of_a_split_carries_the_components() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    let want = Reference::of(&env, &[]);
    for format in ["jsonl", "csv"] {
        let mut leads = 0;
        for (name, _, text) in split_by_region(&env, LEADS, "--components", format) {
            if format == "jsonl" {
                for line in record_lines(&text) {
                    let record: Value = serde_json::from_str(line).unwrap();
                    let id = record["lead_id"].as_str().unwrap();
                    let units = &record["components"]["units"]["expected_support_hours"];
                    assert_eq!(
                        units.as_f64().unwrap(),
                        want.table
                            .get(id, "expected_support_hours")
                            .parse::<f64>()
                            .unwrap(),
                        "{name}: lead {id}"
                    );
                    leads += 1;
                }
            } else {
                let table = Table::parse(&text);
                assert_eq!(table.header[FIRST_PART..27], *want.columns(), "{name}");
                for row in &table.rows {
                    let wanted: Vec<&str> = want
                        .columns()
                        .iter()
                        .map(|c| want.table.get(&row[0], c))
                        .collect();
                    assert_eq!(row[FIRST_PART..27], wanted[..], "{name}: lead {}", row[0]);
                    leads += 1;
                }
            }
        }
        assert_eq!(leads, 1000, "{format}");
    }
}

#[test]
fn a_crm_profile_or_a_model_without_components_is_refused_before_anything_is_written() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    refused_with_a_profile(&env, LEADS, "--components", "components");

    // A model trained before components existed: score's own refusal, word for word.
    env.copy("tests/corpus/models/v3-shipped.json", "old.json");
    let score = env.run(&["score", LEADS, "--model", "old.json", "--components"]);
    assert_eq!(score.code, 2);
    assert!(score
        .stderr
        .contains("does not predict each economics term"));
    for format in ["csv", "json", "xlsx", "html"] {
        let out = format!("out.{format}");
        let run = env.run(&[
            "export",
            LEADS,
            "--model",
            "old.json",
            "--components",
            "-o",
            &out,
        ]);
        assert_eq!((run.code, &run.stderr), (2, &score.stderr), "{format}");
        assert!(!env.exists(&out), "{format}");
    }
    // Without the flag that model still exports.
    succeeded(&env.run(&["export", LEADS, "--model", "old.json", "-o", "out.csv"]));
}

/// The JSON text without its `components` objects.
fn without_components(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(",\"components\":{") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let units = after.find("\"units\":{").unwrap();
        let end = units + after[units..].find("}}").unwrap() + 2;
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
    // Each pair: the output without --components, and with it (alone, and beside --breakdown).
    for extra in [&[][..], &["--breakdown"][..]] as [&[&'static str]; 2] {
        let with = |args: &[&'static str]| -> Vec<&'static str> {
            let mut all: Vec<&'static str> = extra.to_vec();
            all.extend(args);
            all
        };
        let flagged = |args: &[&'static str]| {
            let mut all = with(args);
            all.push("--components");
            all
        };
        // CSV: the components' columns are all the flag adds.
        let plain = Table::parse(&export(&with(&[])));
        let split = Table::parse(&export(&flagged(&[])));
        assert!(!plain.header.iter().any(|h| h.starts_with("burden_")));
        assert_eq!(split.rows.len(), 120);
        for (a, b) in plain.rows.iter().zip(&split.rows) {
            let mut b = b.clone();
            b.drain(FIRST_PART..FIRST_PART + 16);
            assert_eq!(*a, b, "{extra:?}");
        }

        // JSON, JSON Lines: the records are the same text but for the components.
        for format in ["json", "jsonl"] {
            let plain = export(&with(&["--format", format]));
            let split = export(&flagged(&["--format", format]));
            assert!(!plain.contains("\"components\""), "{format}");
            assert_eq!(split.matches("\"components\":{").count(), 120);
            assert_eq!(without_components(&split), plain, "{format} {extra:?}");
        }

        // The page: the same bytes once the components' column, its heading, its sentence and
        // (alone) its style are taken out, and the input lines span one column less.
        export(&with(&["-o", "plain.html"]));
        export(&flagged(&["-o", "split.html"]));
        let plain = env.read("plain.html");
        let mut split = env.read("split.html");
        if extra.is_empty() {
            assert!(!plain.contains("<details") && !plain.contains("part by part"));
            let style = between(&split, "<style>", "</style>");
            let parts_style = style[style.find("table.leads td.parts").unwrap()..].to_string();
            split = split.replacen(&parts_style, "", 1);
        }
        let sentence = format!(
            " Return and burden, part by part:{}burden.",
            between(&split, " Return and burden, part by part:", "burden.")
        );
        split = split.replacen(&sentence, "", 1).replacen(
            "<th>Return and burden, part by part</th>",
            "",
            1,
        );
        let cell = "<td class=\"parts\"><details><summary>Part by part</summary><dl class=\"parts\"><dt>revenue";
        let mut cells = 0;
        while let Some(at) = split.find(cell) {
            let end = at + split[at..].find("</details></td>").unwrap() + "</details></td>".len();
            split.replace_range(at..end, "");
            cells += 1;
        }
        assert_eq!(cells, 50);
        let span = 9 + extra.len();
        split = split.replace(
            &format!("<td colspan=\"{}\">", span + 1),
            &format!("<td colspan=\"{span}\">"),
        );
        assert_eq!(split, plain, "{extra:?}");

        // The workbook: the same cells, the components' columns aside.
        export(&with(&["-o", "plain.xlsx"]));
        export(&flagged(&["-o", "split.xlsx"]));
        let sheet = |name: &str| -> Vec<Vec<Data>> {
            let mut book: Xlsx<_> = open_workbook(env.path(name)).unwrap();
            let range = book.worksheet_range("Leads").unwrap();
            range.rows().map(<[Data]>::to_vec).collect()
        };
        let plain = sheet("plain.xlsx");
        let mut split = sheet("split.xlsx");
        for row in &mut split {
            row.drain(FIRST_PART..FIRST_PART + 16);
        }
        assert_eq!(plain, split, "{extra:?}");
    }
}

/// A file `score --components --breakdown --with-input` wrote exports with --components as the
/// lead list itself does: its own component columns are the model's figures, left behind on
/// reading and written again from the re-scoring.
#[test]
fn a_scored_file_exports_its_components_as_the_lead_list_does() {
    let env = shipped_model_env();
    env.copy(LEADS, LEADS);
    succeeded(&env.run(&[
        "score",
        LEADS,
        "--components",
        "--breakdown",
        "--with-input",
        "-o",
        "scored.csv",
    ]));
    for format in ["csv", "jsonl"] {
        let export = |list: &str| {
            let run = env.run(&["export", list, "--components", "--format", format]);
            succeeded(&run);
            run.stdout
        };
        let from_list = export(LEADS);
        assert!(!from_list.contains("input_"), "{format}");
        assert_eq!(export("scored.csv"), from_list, "{format}");
    }
}
