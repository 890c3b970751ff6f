//! `leadscore export`: each format holds exactly the leads and figures `score` gives (read back
//! by the format's own reader, in the order written), filters and `--top` pick the rows a
//! reader of `score`'s output would pick, `--split-by` makes safe, distinct file names in a
//! directory that appears whole, `--redact` leaves columns out of every format, and a file
//! that `score --with-input` wrote is re-scored and checked.

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::Value;

use crate::commands::{succeeded, trained_env, Table, LEADS};
use crate::util::{csv_rows, Env};

/// `score --with-input` on the fixture leads: what every export is compared with.
fn scored(env: &Env) -> Table {
    let run = env.run(&["score", LEADS, "--with-input"]);
    succeeded(&run);
    Table::parse(&run.stdout)
}

/// The money and ratio columns, as numbers.
const NUMBERS: [&str; 6] = [
    "expected_return",
    "expected_burden",
    "expected_net",
    "net_low",
    "net_high",
    "return_to_burden",
];

fn number(text: &str) -> Option<f64> {
    (!text.is_empty()).then(|| text.parse().unwrap())
}

#[test]
fn csv_export_is_exactly_what_score_writes_with_the_input() {
    let env = trained_env();
    let score = env.run(&["score", LEADS, "--with-input"]);
    succeeded(&score);
    let run = env.run(&["export", LEADS, "-o", "out.csv"]);
    succeeded(&run);
    assert_eq!(env.read("out.csv"), score.stdout);
    assert!(
        run.stderr
            .contains("Exported 10 of 10 leads as csv to out.csv: expected net value EUR "),
        "{}",
        run.stderr
    );
    // To standard output when no -o is given.
    let run = env.run(&["export", LEADS]);
    succeeded(&run);
    assert_eq!(run.stdout, score.stdout);
}

#[test]
fn the_workbook_reads_back_with_every_lead_and_number_in_order() {
    let env = trained_env();
    let want = scored(&env);
    succeeded(&env.run(&["export", LEADS, "-o", "leads.xlsx"]));
    let mut book: Xlsx<_> = open_workbook(env.path("leads.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["Leads", "Summary", "Model"]);
    let range = book.worksheet_range("Leads").unwrap();
    let header: Vec<String> = (0..want.header.len())
        .map(|c| match range.get((0, c)) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("header {c}: {other:?}"),
        })
        .collect();
    assert_eq!(header, want.header);
    assert_eq!(range.height(), want.rows.len() + 1);
    let first_input = 1 + NUMBERS.len() + 4;
    let mut input_numbers = std::collections::BTreeSet::new();
    let mut input_texts = std::collections::BTreeSet::new();
    for (r, row) in want.rows.iter().enumerate() {
        for (c, field) in row.iter().enumerate() {
            let cell = range.get((r + 1, c)).unwrap_or(&Data::Empty);
            let name = &want.header[c];
            let input = c >= first_input;
            match cell {
                Data::Float(v) if NUMBERS.contains(&name.as_str()) => {
                    assert_eq!(Some(*v), number(field), "row {r} {name}")
                }
                // An input value is a number when it is written exactly as that number...
                Data::Float(v) if input => {
                    assert_eq!(Some(*v), lossless_number(field), "row {r} {name}");
                    input_numbers.insert(name.as_str());
                }
                // ... and otherwise the text it was (`400.00`, a name).
                Data::String(s) => {
                    assert_eq!(s, field, "row {r} {name}");
                    assert!(
                        !input || lossless_number(field).is_none(),
                        "row {r} {name}: {field:?} as text"
                    );
                    if input {
                        input_texts.insert((name.as_str(), field.as_str()));
                    }
                }
                Data::Empty => assert_eq!(field, "", "row {r} {name}"),
                other => panic!("row {r} {name}: {other:?} for {field:?}"),
            }
        }
    }
    // The fixture's employees are all numbers; its order values are numbers, but those written
    // with a trailing zero stay the text they were.
    assert_eq!(
        input_numbers.into_iter().collect::<Vec<_>>(),
        ["employees", "first_order_value"]
    );
    assert!(input_texts.contains(&("first_order_value", "400.00")));
    assert!(input_texts.contains(&("company", "Alder Retail GmbH")));
    assert!(!input_texts.iter().any(|(name, _)| *name == "employees"));
}

/// A lead list from a German spreadsheet (`;`, decimal commas) carries its numbers into the
/// workbook as numbers too, read with its decimal mark as its features are: `6951,94` is the
/// number a comma-separated list's `6951.94` is. What would lose something stays text there as
/// it does in a plain list (`8693,70` like `8693.70`, `1.234,5` like `1,234.5`), and so does
/// text with commas.
#[test]
fn a_lead_list_with_decimal_commas_carries_its_numbers_into_the_workbook_as_numbers() {
    let env = crate::util::shipped_model_env();
    env.write(
        "leads.csv",
        "lead_id;company;industry;region;employees;annual_revenue;lead_source;product_interest;first_order_value;budget\n\
         L000001;Rossi, Health Ltd;healthcare;central;76;8669388;referral;standard;8693,70;-3,5\n\
         L000004;Alpen Invest Inc.;finance;east;177;18262108;referral;basic;6951,94;1.234,5\n\
         L000005;Jones;construction;west;30;11838807;paid_ads;basic;2900,67;12\n",
    );
    succeeded(&env.run(&["export", "leads.csv", "--keep-order", "-o", "leads.xlsx"]));
    let mut book: Xlsx<_> = open_workbook(env.path("leads.xlsx")).unwrap();
    let range = book.worksheet_range("Leads").unwrap();
    let column = |name: &str| {
        (0..range.width())
            .find(|&c| range.get((0, c)) == Some(&Data::String(name.into())))
            .unwrap()
    };
    let cells = |name: &str| -> Vec<Data> {
        let c = column(name);
        (1..=3)
            .map(|r| range.get((r, c)).unwrap().clone())
            .collect()
    };
    assert_eq!(
        cells("first_order_value"),
        [
            Data::String("8693,70".into()),
            Data::Float(6951.94),
            Data::Float(2900.67)
        ]
    );
    assert_eq!(
        cells("budget"),
        [
            Data::Float(-3.5),
            Data::String("1.234,5".into()),
            Data::Float(12.0)
        ]
    );
    assert_eq!(
        cells("employees"),
        [Data::Float(76.0), Data::Float(177.0), Data::Float(30.0)]
    );
    assert_eq!(
        cells("company")[0],
        Data::String("Rossi, Health Ltd".into())
    );
}

/// An input value as the workbook's number: when the number's shortest text is the value's
/// (`250`, `900.25`; not `400.00`, `00123` or `1e5`).
fn lossless_number(text: &str) -> Option<f64> {
    let v: f64 = text.parse().ok()?;
    (v.is_finite() && v.to_string() == text).then_some(v)
}

#[test]
fn json_and_json_lines_hold_the_same_leads_and_numbers_in_order() {
    let env = trained_env();
    let want = scored(&env);
    succeeded(&env.run(&["export", LEADS, "-o", "leads.json"]));
    let run = env.run(&["export", LEADS, "--format", "jsonl"]);
    succeeded(&run);
    let array: Vec<Value> = serde_json::from_str(&env.read("leads.json")).unwrap();
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(array, lines);
    assert_eq!(array.len(), want.rows.len());
    for (r, rec) in array.iter().enumerate() {
        let id = &want.rows[r][0];
        assert_eq!(rec["lead_id"], id.as_str());
        assert_eq!(rec["model_version"], "v0001");
        for name in NUMBERS {
            assert_eq!(
                rec[name].as_f64(),
                number(want.get(id, name)),
                "{id} {name}"
            );
        }
        assert_eq!(rec["tier"], want.get(id, "tier"));
        assert_eq!(rec["recommendation"], want.get(id, "recommendation"));
        assert_eq!(rec["input"]["company"], want.get(id, "company"));
        // The reasons add up: each names a feature and its effects on return and burden
        // differ by its effect on net.
        for reason in rec["reasons"].as_array().unwrap() {
            if let Some(net) = reason["effect_on_net"].as_f64() {
                let (ret, burden) = (
                    reason["effect_on_return"].as_f64().unwrap(),
                    reason["effect_on_burden"].as_f64().unwrap(),
                );
                assert!((ret - burden - net).abs() < 1e-6, "{reason}");
            }
        }
    }
}

#[test]
fn every_json_record_meets_the_shipped_schema() {
    let env = trained_env();
    let run = env.run(&["export", LEADS, "--format", "jsonl", "--redact", "company"]);
    succeeded(&run);
    let valid = crate::commands::schema_validator();
    for line in run.stdout.lines() {
        let rec: Value = serde_json::from_str(line).unwrap();
        valid(&rec);
        assert!(rec["input"].get("company").is_none(), "redacted: {line}");
    }
}

#[test]
fn filters_and_top_pick_what_a_reader_of_score_would_pick() {
    let env = trained_env();
    let want = scored(&env);
    let picked: Vec<&str> = want
        .rows
        .iter()
        .filter(|r| {
            matches!(r[want.col("tier")].as_str(), "A" | "B")
                && r[want.col("recommendation")] == "contact"
        })
        .take(3)
        .map(|r| r[0].as_str())
        .collect();
    assert!(
        !picked.is_empty(),
        "the fixture has contact leads of tier A or B"
    );
    let run = env.run(&[
        "export",
        LEADS,
        "--min-tier",
        "B",
        "--recommendation",
        "contact",
        "--top",
        "3",
    ]);
    succeeded(&run);
    let got = Table::parse(&run.stdout);
    assert_eq!(got.ids(), picked);
    assert!(
        run.stderr.contains(&format!(
            "Exported {} of 10 leads as csv to standard output (tier B or better, recommendation contact, top 3): ",
            picked.len()
        )),
        "{}",
        run.stderr
    );

    // --keep-order: the same best leads, in the order of the lead list.
    let run = env.run(&["export", LEADS, "--top", "4", "--keep-order"]);
    succeeded(&run);
    let best: Vec<&str> = want.rows.iter().take(4).map(|r| r[0].as_str()).collect();
    let in_file: Vec<String> = csv_rows(&env.read(LEADS))[1..]
        .iter()
        .map(|r| r[0].clone())
        .filter(|id| best.contains(&id.as_str()))
        .collect();
    assert_eq!(Table::parse(&run.stdout).ids(), in_file);
}

/// The fixture leads with awkward territory values in the `region` column.
fn awkward_regions(env: &Env) {
    let regions = [
        "north",
        "North",
        "../../escape",
        "a/b",
        "a b",
        "",
        "CON",
        "index",
        "south",
        "north",
    ];
    let rows = csv_rows(&env.read(LEADS));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&rows[0]).unwrap();
    let region = rows[0].iter().position(|h| h == "region").unwrap();
    for (row, value) in rows[1..].iter().zip(regions) {
        let mut row = row.clone();
        row[region] = value.to_string();
        w.write_record(&row).unwrap();
    }
    env.write("territories.csv", w.into_inner().unwrap());
}

#[test]
fn split_files_have_safe_distinct_names_and_an_index_that_adds_up() {
    let env = trained_env();
    awkward_regions(&env);
    let all = env.run(&["score", "territories.csv", "--with-input"]);
    succeeded(&all);
    let all = Table::parse(&all.stdout);
    let run = env.run(&[
        "export",
        "territories.csv",
        "--split-by",
        "region",
        "-o",
        "out",
    ]);
    succeeded(&run);
    // Nothing escaped the directory, nothing was left beside it.
    assert_eq!(
        env.files(""),
        [
            "history.csv",
            "leads.csv",
            "leadscore.toml",
            "models",
            "out",
            "territories.csv"
        ]
    );
    let index = Table::parse(&env.read("out/index.csv"));
    assert_eq!(
        index.header,
        [
            "region",
            "file",
            "leads",
            "expected_return",
            "expected_burden",
            "expected_net"
        ]
    );
    let files: Vec<&str> = index.column("file");
    let mut listed: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    listed.push("index.csv".into());
    listed.sort();
    assert_eq!(env.files("out"), listed);
    for f in &files {
        assert!(
            !f.contains('/') && !f.contains('\\') && !f.starts_with('.') && f.ends_with(".csv"),
            "{f}"
        );
    }
    // Values that sanitise alike (or differ only in case) get the value's hash; the rest keep
    // their own name.
    let file_of = |v: &str| index.rows.iter().find(|r| r[0] == v).unwrap()[1].clone();
    assert_eq!(file_of("south"), "south.csv");
    assert_eq!(file_of("CON"), "CON_.csv");
    assert_eq!(file_of(""), "blank.csv");
    assert_eq!(file_of("../../escape"), "escape.csv");
    for v in ["north", "North", "a/b", "a b", "index"] {
        let f = file_of(v);
        assert!(f.len() > v.len() + 9 && f.contains('-'), "{v}: {f}");
    }
    // Each file holds its value's leads in score's order, and the index adds them up.
    let mut total = 0;
    for row in &index.rows {
        let file = Table::parse(&env.read(&format!("out/{}", row[1])));
        let region = file.col("region");
        let want: Vec<&str> = all
            .rows
            .iter()
            .filter(|r| r[all.col("region")] == row[0])
            .map(|r| r[0].as_str())
            .collect();
        assert_eq!(file.ids(), want, "{}", row[1]);
        assert!(file.rows.iter().all(|r| r[region] == row[0]));
        assert_eq!(row[2], want.len().to_string());
        let net: f64 = file
            .column("expected_net")
            .iter()
            .map(|v| v.parse::<f64>().unwrap())
            .sum();
        assert!((net - row[5].parse::<f64>().unwrap()).abs() < 1e-6);
        total += want.len();
    }
    assert_eq!(total, 10);
    assert!(run
        .stderr
        .contains("One file per region, listed in index.csv:"));
}

#[test]
fn a_split_directory_replaces_an_earlier_export_but_nothing_else() {
    let env = trained_env();
    succeeded(&env.run(&["export", LEADS, "--split-by", "region", "-o", "out"]));
    let before = env.files("out");
    assert!(before.contains(&"north.csv".to_string()), "{before:?}");
    // Again with other groups: the old files are gone, the new ones all there.
    succeeded(&env.run(&[
        "export",
        LEADS,
        "--split-by",
        "account_manager",
        "--format",
        "json",
        "-o",
        "out",
    ]));
    let after = env.files("out");
    assert!(!after.contains(&"north.csv".to_string()), "{after:?}");
    assert!(after.contains(&"Schmidt.json".to_string()), "{after:?}");
    assert_eq!(
        env.files(""),
        [
            "history.csv",
            "leads.csv",
            "leadscore.toml",
            "models",
            "out"
        ]
    );

    // An export someone saved a file into is not replaced either: that file would be lost.
    env.write("out/notes.txt", "mine");
    let run = env.run(&["export", LEADS, "--split-by", "region", "-o", "out"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: -o out is an earlier export, but also holds notes.txt that it did not write, which replacing it would delete; move it out, or name a new directory\n"
    );
    assert_eq!(env.read("out/notes.txt"), "mine");
    assert!(env.exists("out/Schmidt.json"));

    // A directory of other files is never replaced.
    env.write("mine/notes.txt", "keep me");
    let run = env.run(&["export", LEADS, "--split-by", "region", "-o", "mine"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: -o mine is a directory that is not an earlier export (it has no index.csv); name a new directory\n"
    );
    assert_eq!(env.read("mine/notes.txt"), "keep me");
    assert_eq!(env.files("mine"), ["notes.txt"]);
}

#[test]
fn a_failing_export_leaves_nothing_behind() {
    let env = trained_env();
    let mut text = env.read(LEADS);
    text.push_str("L99,Bad Row Ltd,retail,south,Schmidt,many,10\n");
    env.write("bad.csv", text);
    for args in [
        vec!["export", "bad.csv", "--split-by", "region", "-o", "out"],
        vec!["export", "bad.csv", "-o", "out.xlsx"],
        vec!["export", "bad.csv", "-o", "out.json"],
    ] {
        let run = env.run(&args);
        assert_eq!(run.code, 2, "{args:?}");
        assert_eq!(
            run.stderr,
            "error: bad.csv:12: column \"employees\": expected a number, got \"many\"\n"
        );
        assert_eq!(
            env.files(""),
            [
                "bad.csv",
                "history.csv",
                "leads.csv",
                "leadscore.toml",
                "models"
            ]
        );
    }
    // With --skip-invalid the row goes to the rejects file and the rest is exported.
    let run = env.run(&[
        "export",
        "bad.csv",
        "--skip-invalid",
        "rejects.csv",
        "-o",
        "out.csv",
    ]);
    succeeded(&run);
    assert_eq!(Table::parse(&env.read("out.csv")).rows.len(), 10);
    let rejects = Table::parse(&env.read("rejects.csv"));
    assert_eq!(rejects.ids(), ["12"]);
}

#[test]
fn text_longer_than_a_workbook_cell_is_refused_naming_the_lead_and_column() {
    let env = trained_env();
    let notes = "n".repeat(40_000);
    let text: String = env
        .read(LEADS)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let note = match i {
                0 => "notes",
                8 => notes.as_str(),
                _ => "short",
            };
            format!("{line},{note}\n")
        })
        .collect();
    env.write("long.csv", text);
    // Any other format takes it.
    succeeded(&env.run(&[
        "export",
        "long.csv",
        "-o",
        "long.csv.out",
        "--format",
        "csv",
    ]));
    let run = env.run(&["export", "long.csv", "--keep-order", "-o", "long.xlsx"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: long.csv: lead L08 (line 9): column \"notes\" holds 40,000 characters; an Excel cell holds at most 32,767\n"
    );
    assert!(!env.exists("long.xlsx"));
}

#[test]
fn redacted_columns_are_in_no_format() {
    let env = trained_env();
    for (format, out) in [("csv", "r.csv"), ("json", "r.json"), ("xlsx", "r.xlsx")] {
        let run = env.run(&[
            "export", LEADS, "--format", format, "--redact", "company", "-o", out,
        ]);
        succeeded(&run);
        assert!(
            run.stderr.contains("Left out: company.\n"),
            "{}",
            run.stderr
        );
        let text: String = if format == "xlsx" {
            let mut book: Xlsx<_> = open_workbook(env.path(out)).unwrap();
            let range = book.worksheet_range("Leads").unwrap();
            range
                .rows()
                .flat_map(|r| r.iter().map(|c| c.to_string()))
                .collect::<Vec<_>>()
                .join(",")
        } else {
            env.read(out)
        };
        for hidden in ["company", "Alder Retail", "Keller, Becker"] {
            assert!(!text.contains(hidden), "{format}: {hidden}");
        }
        assert!(text.contains("industry"), "{format}");
    }
    // A redacted column the model scores with still shows in the reasons: said, not hidden.
    let run = env.run(&["export", LEADS, "--redact", "account_manager"]);
    succeeded(&run);
    assert!(
        run.stderr.contains(
            "Left out: account_manager (a feature of the model: its values still show in the reasons).\n"
        ),
        "{}",
        run.stderr
    );
    assert!(!Table::parse(&run.stdout)
        .header
        .contains(&"account_manager".to_string()));
}

#[test]
fn flags_that_cannot_work_are_refused_before_any_reading() {
    let env = trained_env();
    env.write("a-directory/keep.txt", "");
    let cases: [(&[&str], &str); 14] = [
        (
            &["export", LEADS, "--skip-invalid", LEADS, "-o", "out.csv"],
            "error: --skip-invalid leads.csv is the lead list itself; write to another file\n",
        ),
        (
            &["export", LEADS, "--skip-invalid", "./out.csv", "-o", "out.csv"],
            "error: -o out.csv and --skip-invalid ./out.csv are the same file; give each its own\n",
        ),
        (
            &["score", LEADS, "--skip-invalid", LEADS],
            "error: --skip-invalid leads.csv is the lead list itself; write to another file\n",
        ),
        (
            &["export", LEADS, "-o", "leads.xls"],
            "error: cannot tell the format from \".xls\" in -o leads.xls: name a .csv, .xlsx, .json, .jsonl or .html file, or pass --format\n",
        ),
        (
            &["export", LEADS, "--format", "json", "-o", "a.csv"],
            "error: --format json but -o a.csv names a .csv file; make them agree\n",
        ),
        (
            &["export", LEADS, "-o", "a-directory"],
            "error: -o a-directory is a directory: name a file, or pass --split-by COLUMN to write one file per value into it\n",
        ),
        (
            &["export", LEADS, "--split-by", "region", "-o", ".", "--skip-invalid", "r.csv"],
            "error: the lead list leads.csv is inside -o ., which --split-by replaces whole; keep it elsewhere\n",
        ),
        (
            &["export", LEADS, "--split-by", "region"],
            "error: --split-by writes one file per value: name the directory with -o DIR\n",
        ),
        (
            &["export", LEADS, "--format", "xlsx"],
            "error: a workbook is a binary file: name it with -o leads.xlsx\n",
        ),
        (
            &["export", LEADS, "-o", LEADS],
            "error: -o leads.csv is the lead list itself; write to another file\n",
        ),
        (
            &["export", LEADS, "--redact", "compnay"],
            "error: leads.csv: no column \"compnay\" (given with --redact); did you mean \"company\"?\n",
        ),
        (
            &["export", LEADS, "--redact", "lead_id"],
            "error: \"lead_id\" is the lead id, which every export needs; to hide it, export with another --id column\n",
        ),
        (
            &["export", LEADS, "--redact", "region", "--split-by", "region", "-o", "d"],
            "error: \"region\" is redacted, but --split-by would put its values in the file names\n",
        ),
        (
            &["export", LEADS, "--split-by", "regoin", "-o", "d"],
            "error: leads.csv: no column \"regoin\" (given with --split-by; or split by tier or recommendation); did you mean \"region\"?\n",
        ),
    ];
    for (args, message) in cases {
        let run = env.run(args);
        assert_eq!((run.code, run.stderr.as_str()), (2, message), "{args:?}");
    }
    assert_eq!(
        env.files(""),
        [
            "a-directory",
            "history.csv",
            "leads.csv",
            "leadscore.toml",
            "models"
        ]
    );
    // `-o -` is standard output, as `-` is standard input for the lead list.
    let run = env.run(&["export", LEADS, "-o", "-"]);
    succeeded(&run);
    assert_eq!(Table::parse(&run.stdout).rows.len(), 10);
}

#[test]
fn a_scored_file_is_rescored_and_checked_against_the_model() {
    let env = trained_env();
    succeeded(&env.run(&["score", LEADS, "--with-input", "-o", "scored.csv"]));
    // The same export from the scored file as from the lead list.
    succeeded(&env.run(&["export", LEADS, "-o", "from-leads.json"]));
    succeeded(&env.run(&["export", "scored.csv", "-o", "from-scored.json"]));
    assert_eq!(env.read("from-leads.json"), env.read("from-scored.json"));

    // Written with other decimals: read back with them.
    succeeded(&env.run(&[
        "score",
        LEADS,
        "--with-input",
        "--decimals",
        "0",
        "-o",
        "whole.csv",
    ]));
    let run = env.run(&["export", "whole.csv"]);
    succeeded(&run);
    assert_eq!(run.stdout, env.read("whole.csv"));

    // A figure that is not the model's is refused, naming where.
    let rows = csv_rows(&env.read("scored.csv"));
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, row) in rows.iter().enumerate() {
        let mut row = row.clone();
        if i == 2 {
            row[3] = "123.45".into();
        }
        w.write_record(&row).unwrap();
    }
    env.write("edited.csv", w.into_inner().unwrap());
    let run = env.run(&["export", "edited.csv"]);
    assert_eq!(run.code, 2);
    let want = format!(
        "error: edited.csv:3: column \"expected_net\": the file says \"123.45\", but model v0001 (models/v0001/model.json) gives {}: the file was scored by another model or edited since; export the lead list itself, or pass --model with the model that scored it\n",
        rows[2][3]
    );
    assert_eq!(run.stderr, want);

    // Scores alone cannot be re-scored.
    succeeded(&env.run(&["score", LEADS, "-o", "bare.csv"]));
    let run = env.run(&["export", "bare.csv"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: bare.csv: holds scores written by `leadscore score` without --with-input, so not the leads' own columns that export re-scores them from; score with --with-input, or export the lead list itself\n"
    );
}

/// A spreadsheet that saves a scored file drops the money's trailing zeros: a row of
/// `43781.50,16990.40,26791.10` comes back as `43781.5,16990.4,26791.1`. Read first, such a row
/// must not make the export write every lead with one decimal (or none): the file's decimals are
/// the most any of its first rows shows.
#[test]
fn a_scored_file_whose_first_row_lost_its_trailing_zeros_keeps_its_decimals() {
    let env = crate::util::shipped_model_env();
    env.copy("data/leads.csv", "leads.csv");
    succeeded(&env.run(&["score", "leads.csv", "--with-input", "-o", "scored.csv"]));
    succeeded(&env.run(&["export", "leads.csv", "-o", "want.csv"]));
    let mut rows = csv_rows(&env.read("scored.csv"));
    let first = 1 + rows[1..]
        .iter()
        .position(|r| r[1].ends_with('0') && r[2].ends_with('0'))
        .expect("a lead whose return and burden end in 0");
    let moved = rows.remove(first);
    rows.insert(1, moved);
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, row) in rows.iter().enumerate() {
        let mut row = row.clone();
        for field in row.iter_mut().take(7).skip(1).filter(|_| i > 0) {
            if field.contains('.') {
                *field = field
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string();
            }
        }
        w.write_record(&row).unwrap();
    }
    env.write("resaved.csv", w.into_inner().unwrap());
    // The row read first shows fewer than 2 decimals in every figure.
    let resaved = csv_rows(&env.read("resaved.csv"));
    assert!(
        resaved[1][1..=3]
            .iter()
            .all(|f| f.split_once('.').is_none_or(|(_, d)| d.len() < 2)),
        "{:?}",
        resaved[1]
    );
    let run = env.run(&["export", "resaved.csv", "-o", "out.csv"]);
    succeeded(&run);
    assert_eq!(env.read("out.csv"), env.read("want.csv"));
    assert!(
        run.stderr.contains(
            "Exported 1,000 of 1,000 leads as csv to out.csv: expected net value EUR 10,751,569.\n"
        ),
        "{}",
        run.stderr
    );
}

/// A file scored with `--decimals 0` that a German spreadsheet saved: `;`, and dots grouping the
/// thousands of whole amounts (`65.330`). Those dots are no decimal point (the file reads them as
/// 65330, as it reads every number), so the file holds whole amounts and exports as one.
#[test]
fn a_scored_file_of_whole_amounts_with_grouped_thousands_is_read_as_written() {
    let env = crate::util::shipped_model_env();
    env.copy("data/leads.csv", "leads.csv");
    let scored = ["score", "leads.csv", "--with-input", "--decimals", "0"];
    succeeded(&env.run(&[&scored[..], &["-o", "scored.csv"]].concat()));
    succeeded(&env.run(&["export", "leads.csv", "--decimals", "0", "-o", "want.csv"]));
    let group = |whole: &str| {
        let (sign, digits) = whole.split_at(usize::from(whole.starts_with('-')));
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push('.');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    for (i, row) in csv_rows(&env.read("scored.csv")).iter().enumerate() {
        let mut row = row.clone();
        if i > 0 {
            for field in &mut row[1..=5] {
                *field = group(field);
            }
            row[6] = row[6].replace('.', ",");
        }
        w.write_record(&row).unwrap();
    }
    env.write("resaved.csv", w.into_inner().unwrap());
    assert!(env
        .read("resaved.csv")
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("L000081;65.330;19.188;46.142;"));
    let run = env.run(&["export", "resaved.csv", "-o", "out.csv"]);
    succeeded(&run);
    assert_eq!(env.read("out.csv"), env.read("want.csv"));
}

/// Progress on a terminal, silence in a pipe: run under `script`, which gives the command a
/// pseudo-terminal, and plainly.
#[test]
fn long_exports_show_progress_on_a_terminal_and_nothing_when_piped() {
    use std::fs::File;
    use std::io::BufWriter;
    let env = Env::new();
    env.copy("models/model.json", "models/model.json");
    // Over the 4 MiB a reading bar needs and the 50,000 leads a writing bar needs.
    let f = BufWriter::new(File::create(env.path("big.csv")).unwrap());
    crate::story::write_leads(f, 60_000, 5, |_, _| {}).unwrap();

    let piped = env.run(&["export", "big.csv", "-o", "big.json"]);
    succeeded(&piped);
    assert!(!piped.stderr.contains('\r') && !piped.stderr.contains("writing"));

    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!(
            "SKIPPED: long_exports_show_progress_on_a_terminal — `script` (util-linux) is not installed, so no pseudo-terminal; the progress bars were NOT checked"
        );
        return;
    }
    let bin = env!("CARGO_BIN_EXE_leadscore");
    let out = std::process::Command::new("script")
        .args(["-qfec"])
        .arg(format!("{bin} export big.csv -o big2.json"))
        .arg("/dev/null")
        .current_dir(env.path(""))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("writing") && shown.contains("/60000 leads"),
        "{shown}"
    );
    assert_eq!(env.read("big.json"), env.read("big2.json"));
}

#[test]
fn split_by_the_score_and_blanks_by_any_missing_token() {
    let env = trained_env();
    let run = env.run(&["export", LEADS, "--split-by", "tier", "-o", "tiers"]);
    succeeded(&run);
    let index = Table::parse(&env.read("tiers/index.csv"));
    assert_eq!(index.header[0], "tier");
    for row in &index.rows {
        let file = Table::parse(&env.read(&format!("tiers/{}", row[1])));
        assert!(
            file.column("tier").iter().all(|t| *t == row[0]),
            "{}",
            row[1]
        );
    }
    // `n/a` and `-` are blanks in a split column, as in a feature.
    let text = env
        .read(LEADS)
        .replacen(",south,", ",n/a,", 1)
        .replacen(",north,", ",-,", 1);
    env.write("tokens.csv", text);
    succeeded(&env.run(&[
        "export",
        "tokens.csv",
        "--split-by",
        "region",
        "-o",
        "by-region",
    ]));
    let index = Table::parse(&env.read("by-region/index.csv"));
    let blank = index.rows.iter().find(|r| r[0].is_empty()).unwrap();
    assert_eq!((blank[1].as_str(), blank[2].as_str()), ("blank.csv", "2"));
    // Filters nothing passes say so.
    let run = env.run(&[
        "export",
        LEADS,
        "--min-tier",
        "A",
        "--recommendation",
        "skip",
    ]);
    succeeded(&run);
    assert!(
        run.stderr.contains(
            "Exported 0 of 10 leads as csv to standard output (tier A, recommendation skip): no lead passed the filters.\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn each_page_of_a_split_says_whose_it_is() {
    let env = trained_env();
    succeeded(&env.run(&[
        "export",
        LEADS,
        "--split-by",
        "region",
        "--format",
        "html",
        "-o",
        "pages",
    ]));
    for region in ["north", "south"] {
        let page = env.read(&format!("pages/{region}.html"));
        assert!(
            page.contains(&format!(
                "<title>Scored leads: leads.csv, region {region}</title>"
            )),
            "{region}"
        );
    }
}

#[test]
fn a_filtered_page_and_workbook_say_what_part_of_the_leads_they_hold() {
    let env = trained_env();
    let scope = "The top 2 of 5 leads in region north; 10 leads scored from leads.csv.";
    succeeded(&env.run(&[
        "export",
        LEADS,
        "--split-by",
        "region",
        "--top",
        "2",
        "--format",
        "html",
        "-o",
        "pages",
    ]));
    let page = env.read("pages/north.html");
    assert!(page.contains(scope), "no scope on the page");
    succeeded(&env.run(&[
        "export",
        LEADS,
        "--split-by",
        "region",
        "--top",
        "2",
        "--format",
        "xlsx",
        "-o",
        "books",
    ]));
    let mut book: Xlsx<_> = open_workbook(env.path("books/north.xlsx")).unwrap();
    let summary = book.worksheet_range("Summary").unwrap();
    assert_eq!(summary.get((0, 0)), Some(&Data::String(scope.into())));
    // The whole list unfiltered says nothing of the kind.
    succeeded(&env.run(&["export", LEADS, "-o", "all.html"]));
    assert!(!env.read("all.html").contains("scored from leads.csv."));
}

/// Text given with a leading `'` before what reads as a formula (`'=x`, `'-`) used to come back
/// from `score --with-input` without it (`=x`, and `-`, which reads as a blank): the writer's
/// own prefix and the lead's could not be told apart. The writer now doubles it, so every text
/// reads back as given, and exporting the scored file is exporting the list.
#[test]
fn text_starting_with_a_quote_reads_back_as_given() {
    let env = trained_env();
    env.write(
        "quoted.csv",
        "lead_id,company,industry,region,account_manager,employees,first_order_value\n'=x,'-,retail,south,Schmidt,5,400\n'-2+3,=A,software,north,Müller,50,900\n",
    );
    succeeded(&env.run(&["score", "quoted.csv", "--with-input", "-o", "scored.csv"]));
    let scored = env.read("scored.csv");
    assert!(
        scored.contains("\n\"''=x\",")
            && scored.contains(",\"''-\",")
            && scored.contains(",\"'=A\","),
        "{scored}"
    );
    succeeded(&env.run(&["export", "quoted.csv", "-o", "from-list.json"]));
    succeeded(&env.run(&["export", "scored.csv", "-o", "from-scored.json"]));
    assert_eq!(env.read("from-list.json"), env.read("from-scored.json"));
    let json: Value = serde_json::from_str(&env.read("from-scored.json")).unwrap();
    let ids: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lead_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"'=x") && ids.contains(&"'-2+3"), "{ids:?}");
}

/// Under `SOURCE_DATE_EPOCH` (which `Env::run` sets) a workbook is the same bytes on every run,
/// as every other output is: its "created" property is that time, not the clock's. The runs are
/// more than a second apart, the property's resolution, so the clock would have shown.
#[test]
fn a_workbook_is_reproducible_byte_for_byte_under_source_date_epoch() {
    let env = crate::util::shipped_model_env();
    env.copy("data/leads.csv", "data/leads.csv");
    let export = |name: &str| {
        let run = env.run(&["export", "data/leads.csv", "--format", "xlsx", "-o", name]);
        succeeded(&run);
        std::fs::read(env.path(name)).unwrap()
    };
    let first = export("first.xlsx");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(first == export("second.xlsx"), "the workbooks differ");
}
