//! Spreadsheet formula injection (OWASP "CSV Injection"): lead lists come from web forms, and
//! every CSV `score` writes is opened in spreadsheets. A text cell that a spreadsheet would run
//! as a formula (`=HYPERLINK(…)` as a lead id or a company name, `@SUM(A1)`, `-2+3`) is written
//! with a `'` in front and quoted; numbers, negative ones included, stay as they are. The exact
//! bytes are pinned, for the scores (`--with-input`), their header and the rejects file.

use crate::commands::{succeeded, trained_env};

/// A lead list whose ids, company names, a column name and an extra column carry formulas, with
/// numbers that must stay numbers beside them. The first lead is expected to lose money.
const LEADS: &str = "\
lead_id,company,industry,region,account_manager,employees,first_order_value,@note
\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",Alder Retail GmbH,retail,south,Schmidt,0,0,-12.5
L02,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",software,north,Müller,250,4200.50,-2+3
L03,\"Keller, Becker & Co\",retail,south,Schmidt,x,400,+1
\"@SUM(A1)\",-,retail,south,Schmidt,-3,400,-1e3
";

/// The scores' header: the carried column named `@note` is a text cell like any other.
const HEADER: &str = "lead_id,expected_return,expected_burden,expected_net,net_low,net_high,return_to_burden,tier,recommendation,reasons,warnings,company,industry,region,account_manager,employees,first_order_value,\"'@note\"\n";

/// The lead whose id is a formula: quoted with the prefix; its negative net value and interval
/// stay numbers, and so do the carried `0`, `0` and `-12.5`.
const EVIL_ID: &str = "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",1915.32,1959.33,-44.01,-491.02,446.43,0.98,D,skip,\"employees=0 -9,657; first_order_value=0 -5,442; industry=retail -2,834\",employees 0 below the training range; first_order_value 0 below the training range,Alder Retail GmbH,retail,south,Schmidt,0,0,-12.5\n";

/// The lead whose company is a formula, carried by `--with-input`; `-2+3` (which Excel would
/// compute) is text and gets the prefix too.
const EVIL_COMPANY: &str = "L02,37686.12,1964.76,35721.36,34299.51,37281.28,19.18,A,contact,\"employees=250 +6,559; industry=software +4,769; first_order_value=4,200.5 +3,567\",,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",software,north,Müller,250,4200.50,\"'-2+3\"\n";

#[test]
fn formulas_in_ids_and_carried_input_are_prefixed_and_numbers_stay_numbers() {
    let env = trained_env();
    env.write("evil.csv", LEADS);
    let run = env.run(&[
        "score",
        "evil.csv",
        "--with-input",
        "--keep-order",
        "-o",
        "scores.csv",
        "--skip-invalid",
        "rejected.csv",
    ]);
    succeeded(&run);
    assert_eq!(
        env.read("scores.csv"),
        format!("{HEADER}{EVIL_ID}{EVIL_COMPANY}")
    );
    // Sorted by net value, the rows are the same bytes.
    let run = env.run(&[
        "score",
        "evil.csv",
        "--with-input",
        "-o",
        "sorted.csv",
        "--skip-invalid",
        "rejected.csv",
    ]);
    succeeded(&run);
    assert_eq!(
        env.read("sorted.csv"),
        format!("{HEADER}{EVIL_COMPANY}{EVIL_ID}")
    );
}

#[test]
fn the_rejects_file_copies_input_fields_formula_safe() {
    let env = trained_env();
    env.write("evil.csv", LEADS);
    let run = env.run(&[
        "score",
        "evil.csv",
        "-o",
        "scores.csv",
        "--skip-invalid",
        "rejected.csv",
    ]);
    succeeded(&run);
    // `+1`, `-3` and `-1e3` are numbers; a lone `-` is not, and gets the prefix.
    assert_eq!(
        env.read("rejected.csv"),
        "line,reason,lead_id,company,industry,region,account_manager,employees,first_order_value,\"'@note\"\n\
         4,\"column \"\"employees\"\": expected a number, got \"\"x\"\"\",L03,\"Keller, Becker & Co\",retail,south,Schmidt,x,400,+1\n\
         5,\"column \"\"employees\"\": expected a number above -1 (this feature is log-transformed), got \"\"-3\"\"\",\"'@SUM(A1)\",\"'-\",retail,south,Schmidt,-3,400,-1e3\n"
    );
}

#[test]
fn without_input_only_the_id_carries_the_formula() {
    let env = trained_env();
    env.write("evil.csv", LEADS);
    let run = env.run(&[
        "score",
        "evil.csv",
        "--keep-order",
        "--skip-invalid",
        "rejected.csv",
    ]);
    succeeded(&run);
    let first_row = run.stdout.lines().nth(1).unwrap();
    assert!(
        first_row.starts_with("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",1915.32,1959.33,-44.01,-491.02,446.43,0.98,D,skip,"),
        "{first_row}"
    );
    let second_row = run.stdout.lines().nth(2).unwrap();
    assert!(second_row.starts_with("L02,37686.12,"), "{second_row}");
    assert!(!run.stdout.contains("'-2+3"), "{}", run.stdout);
}

/// A lead list with what `score` prefixes in a feature column (`-`, a blank by the default
/// missing values) and in the id and a carried column.
const DASHES: &str = "\
lead_id,company,industry,region,account_manager,employees,first_order_value
\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",retail,-,Schmidt,5,400.00
L02,Keller,software,north,Müller,-,4200.50
L03,-,retail,south,--,12,800.00
";

#[test]
fn export_reads_a_scored_file_back_without_the_prefixes_score_added() {
    let env = trained_env();
    env.write("dashes.csv", DASHES);
    let run = env.run(&["score", "dashes.csv", "--with-input", "-o", "scored.csv"]);
    succeeded(&run);
    let scored = env.read("scored.csv");
    assert!(scored.contains(",\"'-\",Schmidt,5,400.00\n"), "{scored}");
    // Exporting the scored file gives what exporting the lead list gives: `'-` is read as the
    // lead list's `-` (a blank), not as an unknown region or a number that is not one.
    let from_leads = env.run(&["export", "dashes.csv"]);
    succeeded(&from_leads);
    let from_scored = env.run(&["export", "scored.csv"]);
    succeeded(&from_scored);
    assert_eq!(from_scored.stdout, from_leads.stdout);
    assert_eq!(from_leads.stdout, scored);
}
