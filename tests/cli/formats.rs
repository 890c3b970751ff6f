//! What real exports look like: a UTF-8 BOM, CRLF, `;` (sniffed or given) with decimal commas,
//! tabs, quoted commas and newlines, Windows-1252 bytes. The lead list and the history each read
//! the same in every form: the scores equal those of the plain comma-separated UTF-8 file.

use crate::commands::{
    fixture, fixture_env, succeeded, trained_env, Table, CONFIG, HISTORY, LEADS,
};
use crate::util::{csv_rows, Env};

/// How to write a CSV file.
#[derive(Clone, Copy)]
struct Style {
    delimiter: u8,
    crlf: bool,
    bom: bool,
    windows_1252: bool,
    /// Numbers with a decimal point get a decimal comma (`12.5` → `12,5`).
    decimal_comma: bool,
    /// With `decimal_comma`, numbers of 1,000 or more get dots between groups of three digits,
    /// as German spreadsheets write them (`4200.50` → `4.200,50`, `15059` → `15.059`).
    grouped: bool,
    /// Text in the second column (company) gets a comma, quotes and a line break.
    awkward_text: bool,
}

const PLAIN: Style = Style {
    delimiter: b',',
    crlf: false,
    bom: false,
    windows_1252: false,
    decimal_comma: false,
    grouped: false,
    awkward_text: false,
};

/// `f` with dots between groups of three digits before its decimal comma.
fn grouped(f: &str) -> String {
    let (whole, fraction) = f.split_at(f.find(',').unwrap_or(f.len()));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out + fraction
}

/// A fixture CSV rewritten in `style`.
fn restyle(name: &str, style: Style) -> Vec<u8> {
    let rows = csv_rows(&fixture(name));
    let mut w = csv::WriterBuilder::new()
        .delimiter(style.delimiter)
        .terminator(if style.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    for (i, row) in rows.iter().enumerate() {
        let fields: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, f)| {
                if i == 0 {
                    f.clone()
                } else if style.decimal_comma && f.parse::<f64>().is_ok() {
                    let f = f.replace('.', ",");
                    match style.grouped {
                        true => grouped(&f),
                        false => f,
                    }
                } else if style.awkward_text && c == 1 {
                    format!("{f}, \"Holding\"\nc/o {f}; Sales\tDept")
                } else {
                    f.clone()
                }
            })
            .collect();
        w.write_record(&fields).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let mut bytes = if style.bom {
        b"\xEF\xBB\xBF".to_vec()
    } else {
        Vec::new()
    };
    if style.windows_1252 {
        let (encoded, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(!unmappable);
        bytes.extend_from_slice(&encoded);
    } else {
        bytes.extend_from_slice(text.as_bytes());
    }
    bytes
}

/// The fixture leads scored with the model in `env`, `extra` flags added.
fn score(env: &Env, leads: &str, extra: &[&str]) -> String {
    let mut args = vec!["score", leads];
    args.extend(extra);
    let run = env.run(&args);
    succeeded(&run);
    run.stdout
}

/// A reason list without the shown values, which echo the input as written (`12,5` stays
/// `12,5`): `industry +4,769; employees -2,129`.
fn reasons_without_values(reasons: &str) -> String {
    reasons
        .split("; ")
        .map(|r| {
            let (left, money) = r.rsplit_once(' ').unwrap();
            format!("{} {money}", left.split('=').next().unwrap())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Asserts two score files agree on every lead, column by column; reasons are compared by
/// feature and amount.
fn assert_same_scores(got: &str, want: &str) {
    let (got, want) = (Table::parse(got), Table::parse(want));
    assert_eq!(got.header, want.header);
    assert_eq!(got.ids(), want.ids());
    let reasons = want.col("reasons");
    for (g, w) in got.rows.iter().zip(&want.rows) {
        for (c, name) in want.header.iter().enumerate() {
            if c == reasons {
                assert_eq!(
                    reasons_without_values(&g[c]),
                    reasons_without_values(&w[c]),
                    "{}",
                    w[0]
                );
            } else {
                assert_eq!(g[c], w[c], "lead {} column {name}", w[0]);
            }
        }
    }
}

/// Writes the leads in `style`, scores them with `extra` flags and compares with the plain file.
fn leads_score_as_plain(style: Style, extra: &[&str]) {
    let env = trained_env();
    let plain = score(&env, LEADS, &[]);
    env.write("styled.csv", restyle(LEADS, style));
    assert_same_scores(&score(&env, "styled.csv", extra), &plain);
}

/// Trains on the history written in `style` (with `extra` flags) and checks the plain leads
/// score byte for byte as with the model trained on the plain history.
fn history_trains_as_plain(style: Style, extra: &[&str]) {
    let env = trained_env();
    let plain = score(&env, LEADS, &[]);
    env.write("styled.csv", restyle(HISTORY, style));
    let mut args = vec!["train", "--history", "styled.csv", "--models", "styled"];
    args.extend(extra);
    succeeded(&env.run(&args));
    assert_eq!(score(&env, LEADS, &["--model", "styled"]), plain);
}

const SEMICOLONS: Style = Style {
    delimiter: b';',
    decimal_comma: true,
    ..PLAIN
};
const TABS: Style = Style {
    delimiter: b'\t',
    decimal_comma: true,
    ..PLAIN
};
const BOM_CRLF: Style = Style {
    bom: true,
    crlf: true,
    ..PLAIN
};
const QUOTED: Style = Style {
    awkward_text: true,
    ..PLAIN
};
const WINDOWS_1252: Style = Style {
    windows_1252: true,
    ..PLAIN
};

#[test]
fn restyled_fixtures_really_differ_from_the_plain_ones() {
    let plain = restyle(LEADS, PLAIN);
    assert_eq!(plain, fixture(LEADS).into_bytes());
    assert!(restyle(LEADS, SEMICOLONS)
        .windows(7)
        .any(|w| w == b";400,00"));
    assert!(restyle(LEADS, TABS).windows(7).any(|w| w == b"\t400,00"));
    assert!(restyle(LEADS, BOM_CRLF).starts_with(b"\xEF\xBB\xBFlead_id,"));
    assert!(restyle(LEADS, BOM_CRLF).ends_with(b"800.00\r\n"));
    assert!(restyle(LEADS, WINDOWS_1252)
        .windows(6)
        .any(|w| w == b"M\xfcller"));
    let quoted = String::from_utf8(restyle(LEADS, QUOTED)).unwrap();
    assert!(quoted
        .contains("\"Alder Retail GmbH, \"\"Holding\"\"\nc/o Alder Retail GmbH; Sales\tDept\""));
}

#[test]
fn leads_with_a_bom_and_crlf_score_as_the_plain_file() {
    leads_score_as_plain(BOM_CRLF, &[]);
}

#[test]
fn leads_with_semicolons_and_decimal_commas_are_sniffed_and_score_as_the_plain_file() {
    leads_score_as_plain(SEMICOLONS, &[]);
}

#[test]
fn leads_with_semicolons_and_decimal_commas_score_as_the_plain_file_with_the_delimiter_flag() {
    leads_score_as_plain(SEMICOLONS, &["--delimiter", ";"]);
}

/// German Excel's CSV: `;`, decimal commas and dots grouping thousands.
const GERMAN: Style = Style {
    grouped: true,
    ..SEMICOLONS
};

#[test]
fn german_thousands_dots_are_read_as_grouping_in_leads_and_history_alike() {
    let leads = String::from_utf8(restyle(LEADS, GERMAN)).unwrap();
    assert!(leads.contains(";4.200,50"), "{leads}");
    leads_score_as_plain(GERMAN, &[]);
    let history = String::from_utf8(restyle(HISTORY, GERMAN)).unwrap();
    assert!(history.contains(";15.059,67;"), "{history}");
    history_trains_as_plain(GERMAN, &[]);
}

#[test]
fn a_number_against_the_files_decimal_comma_is_refused_with_how_it_writes_numbers() {
    let env = trained_env();
    let leads = String::from_utf8(restyle(LEADS, GERMAN)).unwrap();
    env.write("styled.csv", leads.replacen(";4.200,50", ";4,200.50", 1));
    let run = env.run(&["score", "styled.csv", "-o", "scores.csv"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: styled.csv:3: column \"first_order_value\": expected a number with a decimal comma, got \"4,200.50\" (the file is not comma-separated, so a comma is the decimal mark and dots may only group digits in threes, as in 1.234.567,89)\n"
    );
    assert!(!env.exists("scores.csv"));
}

#[test]
fn tab_separated_leads_score_as_the_plain_file_sniffed_or_given() {
    leads_score_as_plain(TABS, &[]);
    leads_score_as_plain(TABS, &["--delimiter", "tab"]);
}

#[test]
fn leads_with_commas_quotes_and_newlines_in_a_field_score_as_the_plain_file() {
    leads_score_as_plain(QUOTED, &[]);
    leads_score_as_plain(
        Style {
            crlf: true,
            ..QUOTED
        },
        &[],
    );
    leads_score_as_plain(
        Style {
            delimiter: b';',
            ..QUOTED
        },
        &[],
    );
}

#[test]
fn quoted_fields_survive_with_input_unchanged() {
    let env = trained_env();
    env.write("styled.csv", restyle(LEADS, QUOTED));
    let out = Table::parse(&score(
        &env,
        "styled.csv",
        &["--with-input", "--keep-order"],
    ));
    assert_eq!(
        out.get("L02", "company"),
        "Keller, Becker & Co, \"Holding\"\nc/o Keller, Becker & Co; Sales\tDept"
    );
}

#[test]
fn windows_1252_leads_match_the_utf8_categories_of_the_history() {
    leads_score_as_plain(WINDOWS_1252, &[]);
    let env = trained_env();
    env.write("styled.csv", restyle(LEADS, WINDOWS_1252));
    let out = Table::parse(&score(&env, "styled.csv", &["--keep-order"]));
    // Müller is a known account manager however it was encoded: nothing is "not seen" but mining.
    for (id, warning) in out.ids().into_iter().zip(out.column("warnings")) {
        if id != "L05" {
            assert!(!warning.contains("not seen"), "{id}: {warning}");
        }
    }
    // One lead whose only unusual value is a Windows-1252 Müller, alone.
    env.write(
        "one.csv",
        b"lead_id,company,industry,region,account_manager,employees,first_order_value\nL01,Sch\xf6n AG,retail,north,M\xfcller,25,2000.00\n",
    );
    env.write(
        "one-utf8.csv",
        "lead_id,company,industry,region,account_manager,employees,first_order_value\nL01,Schön AG,retail,north,Müller,25,2000.00\n",
    );
    let one = score(&env, "one.csv", &[]);
    assert_eq!(one, score(&env, "one-utf8.csv", &[]));
    assert_eq!(Table::parse(&one).get("L01", "warnings"), "");
}

#[test]
fn with_input_writes_windows_1252_leads_back_as_utf8() {
    let env = trained_env();
    env.write("styled.csv", restyle(LEADS, WINDOWS_1252));
    let args = ["--with-input", "--keep-order", "-o"];
    succeeded(&env.run(&[&["score", "styled.csv"][..], &args, &["styled-out.csv"]].concat()));
    succeeded(&env.run(&[&["score", LEADS][..], &args, &["plain-out.csv"]].concat()));
    let styled = std::fs::read(env.path("styled-out.csv")).unwrap();
    assert!(
        std::str::from_utf8(&styled).is_ok(),
        "the output is not UTF-8"
    );
    assert_eq!(styled, std::fs::read(env.path("plain-out.csv")).unwrap());
}

/// `score --with-input` writes a comma-separated file, so the numbers a German lead list wrote
/// with a decimal comma (`4.200,50`) are carried as that file writes numbers (`4200.50`): else
/// every reader of it, `export` first, would read `1.200` as 1.2 and refuse `4.200,50`. The
/// output is the plain list's, byte for byte, and exports again; so is `export`'s own CSV.
#[test]
fn with_input_carries_decimal_comma_numbers_as_the_comma_separated_output_writes_them() {
    let env = trained_env();
    env.write("styled.csv", restyle(LEADS, GERMAN));
    let args = ["--with-input", "--keep-order", "-o"];
    succeeded(&env.run(&[&["score", "styled.csv"][..], &args, &["styled-out.csv"]].concat()));
    succeeded(&env.run(&[&["score", LEADS][..], &args, &["plain-out.csv"]].concat()));
    assert_eq!(env.read("styled-out.csv"), env.read("plain-out.csv"));
    succeeded(&env.run(&["export", "styled-out.csv", "-o", "again.csv"]));
    succeeded(&env.run(&["export", "styled.csv", "-o", "styled-export.csv"]));
    succeeded(&env.run(&["export", LEADS, "-o", "plain-export.csv"]));
    assert_eq!(env.read("again.csv"), env.read("plain-export.csv"));
    assert_eq!(env.read("styled-export.csv"), env.read("plain-export.csv"));
    // A plan's carried columns alike.
    let plan = ["--capacity", "support_hours=1200", "--with-input", "-o"];
    succeeded(&env.run(&[&["plan", "styled.csv"][..], &plan, &["styled-plan.csv"]].concat()));
    succeeded(&env.run(&[&["plan", LEADS][..], &plan, &["plain-plan.csv"]].concat()));
    assert_eq!(env.read("styled-plan.csv"), env.read("plain-plan.csv"));
}

#[test]
fn history_with_a_bom_and_crlf_trains_as_the_plain_file() {
    history_trains_as_plain(BOM_CRLF, &[]);
}

#[test]
fn history_with_semicolons_and_decimal_commas_trains_as_the_plain_file_sniffed_or_given() {
    history_trains_as_plain(SEMICOLONS, &[]);
    history_trains_as_plain(SEMICOLONS, &["--delimiter", ";"]);
}

#[test]
fn tab_separated_history_trains_as_the_plain_file() {
    history_trains_as_plain(TABS, &[]);
}

#[test]
fn history_with_commas_quotes_and_newlines_in_a_field_trains_as_the_plain_file() {
    history_trains_as_plain(QUOTED, &[]);
    history_trains_as_plain(
        Style {
            crlf: true,
            bom: true,
            ..QUOTED
        },
        &[],
    );
}

#[test]
fn windows_1252_history_trains_as_the_plain_file() {
    history_trains_as_plain(WINDOWS_1252, &[]);
    history_trains_as_plain(
        Style {
            delimiter: b';',
            ..WINDOWS_1252
        },
        &[],
    );
}

#[test]
fn history_mixing_utf8_and_windows_1252_rows_keeps_one_category() {
    // A history stitched from two exports: the first half UTF-8, the second Windows-1252.
    let env = trained_env();
    let plain = score(&env, LEADS, &[]);
    let utf8 = fixture(HISTORY);
    let cut = utf8.match_indices('\n').nth(30).unwrap().0 + 1;
    let mut mixed = utf8.as_bytes()[..cut].to_vec();
    mixed.extend_from_slice(&encoding_rs::WINDOWS_1252.encode(&utf8[cut..]).0);
    assert!(mixed.windows(6).any(|w| w == b"M\xfcller"));
    env.write("mixed.csv", mixed);
    succeeded(&env.run(&["train", "--history", "mixed.csv", "--models", "mixed"]));
    let model: serde_json::Value = serde_json::from_str(&env.model("mixed")).unwrap();
    let managers: Vec<&str> = model["schema"]["features"][2]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["value"].as_str().unwrap())
        .collect();
    assert_eq!(managers, ["Müller", "Nowak", "Schmidt"]);
    assert_eq!(score(&env, LEADS, &["--model", "mixed"]), plain);
}

#[test]
fn init_from_a_semicolon_windows_export_guesses_the_same_config_as_from_the_plain_file() {
    let env = fixture_env();
    std::fs::remove_file(env.path(CONFIG)).unwrap();
    let export = Style {
        windows_1252: true,
        bom: false,
        crlf: true,
        ..SEMICOLONS
    };
    env.write("export.csv", restyle(HISTORY, export));
    let plain = env.run(&["init", "--from", HISTORY, "-o", "plain.toml"]);
    succeeded(&plain);
    let styled = env.run(&["init", "--from", "export.csv", "-o", "export.toml"]);
    succeeded(&styled);
    assert_eq!(env.read("export.toml"), env.read("plain.toml"));
    assert_eq!(
        styled.stderr.replace("export.toml", "plain.toml"),
        plain.stderr
    );
}

/// An id longer than an Excel cell holds is refused for a workbook, and the message names it
/// by its first 40 characters and its length: printed whole, a 40,000-character id made a
/// 40 KB error line.
#[test]
fn an_id_too_long_for_a_workbook_is_named_by_its_start_and_length() {
    let env = trained_env();
    let long_id = "L".repeat(40_000);
    let leads = fixture(LEADS).replacen("L02,", &format!("{long_id},"), 1);
    env.write("longid.csv", leads);
    let run = env.run(&["export", "longid.csv", "--keep-order", "-o", "x.xlsx"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            format!(
                "error: longid.csv: lead \"{}…\" (40,000 characters) (line 3): column \"lead_id\" holds 40,000 characters; an Excel cell holds at most 32,767\n",
                "L".repeat(40)
            )
            .as_str()
        )
    );
    assert!(!env.exists("x.xlsx"));
}
