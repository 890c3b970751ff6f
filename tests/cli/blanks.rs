//! Lists as CRMs export them: `n/a`, `NULL`, `#N/A` and the like are blanks in every column, a
//! lead list can be piped in, and Excel's UTF-16 "Unicode text" reads like the UTF-8 file.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::commands::{
    fixture, fixture_env, succeeded, trained_env, Table, CONFIG, HISTORY, LEADS,
};
use crate::util::{Env, Run};

/// The default missing-value tokens, each as a CRM might write it.
const TOKENS: [&str; 10] = [
    "n/a", "N/A", "NA", "null", "NULL", "None", "-", "--", "#N/A", "?",
];

/// The fixture's L02 (software, north, Müller, 250 employees, 4200.50 first order), once per
/// value in `employees` and once per value in `industry`, with ids telling them apart.
fn l02_with(employees: &[&str], industry: &[&str]) -> String {
    let mut text = fixture(LEADS).lines().next().unwrap().to_string() + "\n";
    for (i, e) in employees.iter().enumerate() {
        text += &format!("E{i:02},Keller,software,north,Müller,{e},4200.50\n");
    }
    for (i, c) in industry.iter().enumerate() {
        text += &format!("I{i:02},Keller,{c},north,Müller,250,4200.50\n");
    }
    text
}

/// Runs the binary in `env` with `input` on standard input.
fn run_piped(env: &Env, args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .current_dir(env.path(""))
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run leadscore");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread, so a large output cannot block the child while it is being fed.
    let feeder = std::thread::spawn(move || {
        // The child may stop reading early (an error); that is its answer, not the test's.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for leadscore");
    feeder.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The model file without the training data's SHA-256, which differs whenever the bytes do,
/// and so without the file's checksum, which covers it.
fn model_without_fingerprint(env: &Env, dir: &str) -> serde_json::Value {
    let mut model: serde_json::Value = serde_json::from_str(&env.model(dir)).unwrap();
    model["training"].as_object_mut().unwrap().remove("sha256");
    model.as_object_mut().unwrap().remove("checksum");
    model
}

/// `text` as UTF-16 with a BOM, tab-separated (Excel's "Unicode text" export).
fn unicode_text(text: &str, big_endian: bool) -> Vec<u8> {
    let rows = crate::util::csv_rows(text);
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in &rows {
        w.write_record(row).unwrap();
    }
    let tabbed = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in tabbed.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

#[test]
fn every_token_in_a_numeric_or_categorical_column_scores_like_an_empty_field() {
    let env = trained_env();
    let padded: Vec<String> = TOKENS.iter().map(|t| format!(" {t} ")).collect();
    let padded: Vec<&str> = padded.iter().map(String::as_str).collect();
    env.write("tokens.csv", l02_with(&TOKENS, &padded));
    env.write("blanks.csv", l02_with(&[""; 10], &[""; 10]));
    let tokens = env.run(&["score", "tokens.csv", "--keep-order"]);
    let blanks = env.run(&["score", "blanks.csv", "--keep-order"]);
    succeeded(&tokens);
    succeeded(&blanks);
    assert_eq!(tokens.stdout, blanks.stdout);
    let table = Table::parse(&tokens.stdout);
    assert_eq!(table.rows.len(), 20);
    for row in &table.rows {
        let warnings = &row[table.col("warnings")];
        let want = if row[0].starts_with('E') {
            "employees missing, imputed training median"
        } else {
            "industry missing (never missing in training), scored as"
        };
        assert!(warnings.starts_with(want), "{}: {warnings}", row[0]);
    }
}

#[test]
fn the_score_summary_counts_the_values_read_as_blanks() {
    let env = trained_env();
    env.write("tokens.csv", l02_with(&["n/a", "NULL", ""], &["#N/A"]));
    let run = env.run(&["score", "tokens.csv"]);
    succeeded(&run);
    assert!(
        run.stderr.contains(
            "\n3 values written as a missing-value token (n/a, N/A, NA, ...) were read as blanks.\n"
        ),
        "{}",
        run.stderr
    );
    env.write("one.csv", l02_with(&["?"], &["software"]));
    let run = env.run(&["score", "one.csv"]);
    assert!(
        run.stderr.contains(
            "\n1 value written as a missing-value token (n/a, N/A, NA, ...) was read as a blank.\n"
        ),
        "{}",
        run.stderr
    );
    // No token, no line.
    let run = env.run(&["score", LEADS]);
    assert!(
        !run.stderr.contains("missing-value token"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_number_with_a_typo_is_still_an_error_with_its_exact_message() {
    let env = trained_env();
    env.write(LEADS, l02_with(&["n/a", "12x"], &[]));
    let run = env.run(&["score", LEADS]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: leads.csv:3: column \"employees\": expected a number, got \"12x\"\n"
    );
}

#[test]
fn tokens_in_the_history_train_as_blanks_and_a_token_outcome_leaves_the_customer_out() {
    let blank = fixture_env();
    let tokens = fixture_env();
    // A number, a category and an outcome: each blank in one history, a token in the other.
    let edits = [
        ("Müller,24,4186.20", "Müller,,4186.20", "Müller,N/A,4186.20"),
        (
            "C002,Birch Software Ltd,software,",
            "C002,Birch Software Ltd,,",
            "C002,Birch Software Ltd, NULL ,",
        ),
        ("2338.13,16273.13,", "2338.13,,", "2338.13,n/a,"),
    ];
    let (mut with_blanks, mut with_tokens) = (fixture(HISTORY), fixture(HISTORY));
    for (from, blanked, tokened) in edits {
        assert_eq!(with_blanks.matches(from).count(), 1, "{from}");
        with_blanks = with_blanks.replace(from, blanked);
        with_tokens = with_tokens.replace(from, tokened);
    }
    blank.write(HISTORY, &with_blanks);
    tokens.write(HISTORY, &with_tokens);
    let b = blank.run(&["train", "--history", HISTORY]);
    let t = tokens.run(&["train", "--history", HISTORY]);
    succeeded(&b);
    succeeded(&t);
    assert!(
        t.stdout.contains("Trained on 59 of 60 customers"),
        "{}",
        t.stdout
    );
    assert_eq!(
        model_without_fingerprint(&tokens, "models"),
        model_without_fingerprint(&blank, "models")
    );
}

#[test]
fn a_missing_values_list_in_the_config_replaces_the_default_and_travels_in_the_model() {
    let env = fixture_env();
    let config = format!("missing_values = [\"unknown\"]\n{}", fixture(CONFIG));
    env.write(CONFIG, config);
    env.write(
        HISTORY,
        fixture(HISTORY).replacen("Müller,24,4186.20", "Müller,unknown,4186.20", 1),
    );
    succeeded(&env.run(&["train", "--history", HISTORY]));
    let model: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    assert_eq!(model["missing_values"], serde_json::json!(["unknown"]));
    // Scoring reads the list from the model: no config needed, and n/a is no blank here.
    std::fs::remove_file(env.path(CONFIG)).unwrap();
    env.write("unknown.csv", l02_with(&["unknown"], &[" unknown"]));
    env.write("blank.csv", l02_with(&[""], &[""]));
    let unknown = env.run(&["score", "unknown.csv"]);
    succeeded(&unknown);
    assert_eq!(unknown.stdout, env.run(&["score", "blank.csv"]).stdout);
    assert!(
        unknown
            .stderr
            .contains("2 values written as a missing-value token (unknown) were read as blanks."),
        "{}",
        unknown.stderr
    );
    env.write("na.csv", l02_with(&["n/a"], &[]));
    let run = env.run(&["score", "na.csv"]);
    assert_eq!(
        run.stderr,
        "error: na.csv:2: column \"employees\": expected a number, got \"n/a\"\n"
    );
    // A category not on the list stays a value (unseen in training).
    env.write("na.csv", l02_with(&[], &["n/a"]));
    let run = env.run(&["score", "na.csv"]);
    succeeded(&run);
    assert!(
        run.stdout
            .contains("industry \"\"n/a\"\" not seen in training, scored as"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_model_written_before_the_list_reads_the_default_tokens_and_keeps_a_learnt_level() {
    // Trained with the list off, five customers' industry "n/a" is a level of its own.
    let env = fixture_env();
    env.write(CONFIG, format!("missing_values = []\n{}", fixture(CONFIG)));
    let mut history = String::new();
    for (i, line) in fixture(HISTORY).lines().enumerate() {
        let line = if (1..=5).contains(&i) {
            line.replacen(",retail,", ",n/a,", 1)
                .replacen(",software,", ",n/a,", 1)
                .replacen(",healthcare,", ",n/a,", 1)
        } else {
            line.to_string()
        };
        history += &line;
        history.push('\n');
    }
    env.write(HISTORY, history);
    succeeded(&env.run(&["train", "--history", HISTORY]));
    // As a model file written before `missing_values` existed.
    let mut model: serde_json::Value = serde_json::from_str(&env.model("models")).unwrap();
    let industry = &model["schema"]["features"][0];
    assert_eq!(industry["name"], "industry");
    assert!(
        industry["levels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["value"] == "n/a"),
        "{industry}"
    );
    model.as_object_mut().unwrap().remove("missing_values");
    env.write("old.json", crate::util::model_text(&model));
    let fresh = env.run(&["score", LEADS, "--model", "models"]);
    let old = env.run(&["score", LEADS, "--model", "old.json"]);
    succeeded(&old);
    assert_eq!(old.stdout, fresh.stdout);

    env.write("tokens.csv", l02_with(&["NULL"], &["n/a", "NULL"]));
    env.write("blanks.csv", l02_with(&[""], &["n/a", ""]));
    let tokens = env.run(&["score", "tokens.csv", "--model", "old.json", "--keep-order"]);
    succeeded(&tokens);
    assert_eq!(
        tokens.stdout,
        env.run(&["score", "blanks.csv", "--model", "old.json", "--keep-order"])
            .stdout
    );
    let table = Table::parse(&tokens.stdout);
    // "n/a" is the level the model learnt: neither missing nor unseen.
    assert!(
        !table.get("I00", "warnings").contains("industry"),
        "{}",
        table.get("I00", "warnings")
    );
    assert!(table
        .get("I01", "warnings")
        .starts_with("industry missing (never missing in training)"));
}

#[test]
fn piped_leads_score_byte_for_byte_as_the_file() {
    let env = trained_env();
    let file = env.run(&["score", LEADS]);
    succeeded(&file);
    let bytes = fixture(LEADS).into_bytes();
    let dash = run_piped(&env, &["score", "-"], &bytes);
    succeeded(&dash);
    assert_eq!(dash.stdout, file.stdout);
    assert_eq!(dash.stderr, file.stderr);
    let none = run_piped(&env, &["score"], &bytes);
    succeeded(&none);
    assert_eq!(none.stdout, file.stdout);
    // /dev/stdin is a pipe too, with no size to know in advance.
    if std::path::Path::new("/dev/stdin").exists() {
        let dev = run_piped(&env, &["score", "/dev/stdin"], &bytes);
        succeeded(&dev);
        assert_eq!(dev.stdout, file.stdout);
    }
}

#[test]
fn piped_leads_go_to_an_output_file_with_rejects_aside() {
    let env = trained_env();
    let leads = fixture(LEADS).replacen("Müller,250,", "Müller,12x,", 1);
    env.write("bad.csv", &leads);
    let args = |out: &str, rejected: &str| {
        vec![
            "score".to_string(),
            "-o".into(),
            out.into(),
            "--skip-invalid".into(),
            rejected.into(),
        ]
    };
    let mut from_file = args("file-out.csv", "file-rejected.csv");
    from_file.insert(1, "bad.csv".into());
    let from_file: Vec<&str> = from_file.iter().map(String::as_str).collect();
    succeeded(&env.run(&from_file));
    let mut piped = args("piped-out.csv", "piped-rejected.csv");
    piped.insert(1, "-".into());
    let piped: Vec<&str> = piped.iter().map(String::as_str).collect();
    succeeded(&run_piped(&env, &piped, leads.as_bytes()));
    assert_eq!(env.read("piped-out.csv"), env.read("file-out.csv"));
    assert_eq!(
        env.read("piped-rejected.csv"),
        env.read("file-rejected.csv")
    );
    assert!(env.read("piped-rejected.csv").contains("got \"\"12x\"\""));
}

#[test]
fn an_error_on_standard_input_names_it_with_line_and_column() {
    let env = trained_env();
    let leads = fixture(LEADS).replacen("Müller,250,", "Müller,12x,", 1);
    let run = run_piped(&env, &["score", "-"], leads.as_bytes());
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: standard input:3: column \"employees\": expected a number, got \"12x\"\n"
    );
    let run = run_piped(&env, &["score"], b"");
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: standard input: nothing came in (expected a header line and at least one row)\n"
    );
}

#[test]
fn explain_reads_a_piped_lead_list() {
    let env = trained_env();
    let file = env.run(&["explain", LEADS, "--id", "L02", "--format", "json"]);
    let piped = run_piped(
        &env,
        &["explain", "-", "--id", "L02", "--format", "json"],
        fixture(LEADS).as_bytes(),
    );
    succeeded(&piped);
    assert!(
        file.stdout.contains("\"file\": \"leads.csv\""),
        "{}",
        file.stdout
    );
    assert_eq!(
        piped.stdout,
        file.stdout.replace("\"leads.csv\"", "\"standard input\"")
    );
}

#[test]
fn utf16_leads_with_a_bom_score_as_the_utf8_file() {
    let env = trained_env();
    let plain = env.run(&["score", LEADS]);
    succeeded(&plain);
    for (name, big_endian) in [("le.txt", false), ("be.txt", true)] {
        env.write(name, unicode_text(&fixture(LEADS), big_endian));
        let run = env.run(&["score", name]);
        succeeded(&run);
        assert_eq!(run.stdout, plain.stdout, "{name}");
    }
    // Piped in, too.
    let run = run_piped(&env, &["score"], &unicode_text(&fixture(LEADS), false));
    succeeded(&run);
    assert_eq!(run.stdout, plain.stdout);
}

#[test]
fn a_utf16_history_trains_as_the_utf8_file_and_its_errors_name_the_line() {
    let env = trained_env();
    env.write("le.txt", unicode_text(&fixture(HISTORY), false));
    succeeded(&env.run(&["train", "--history", "le.txt", "--models", "le"]));
    let mut want = model_without_fingerprint(&env, "models");
    want["training"]["file"] = "le.txt".into();
    assert_eq!(model_without_fingerprint(&env, "le"), want);
    // Line numbers count the decoded lines.
    let bad = fixture(HISTORY).replacen("Müller,24,4186.20", "Müller,12x,4186.20", 1);
    env.write("bad.txt", unicode_text(&bad, true));
    let run = env.run(&["train", "--history", "bad.txt", "--models", "bad"]);
    assert_eq!(
        run.stderr,
        "error: bad.txt:5: column \"employees\": expected a number, got \"12x\"\n"
    );
}
