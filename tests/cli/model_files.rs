//! Model files however edited, cut or replaced: each is refused with a message naming what is
//! wrong (exit 2) or scores (exit 0); none makes leadscore panic.
//!
//! `tests/corpus/models/` holds hand-made cases (listed, with what each proves, in
//! `cases.tsv`); the mutation test edits the shipped model at random, with a fixed seed.
//!
//! A model file carries a checksum of its content, so any edit of it is refused by the checksum
//! alone. The mutants (and the corpus cases that test the checks on load) are sealed again with
//! a checksum of their own text, as `train` would have written them, so that they reach the
//! parsing and the checks behind the checksum; the test fails if the checksum refuses any.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::json_paths::{get_mut, paths, show, strings_of, PathStep};
use crate::util::{model_text, repo, tsv_rows, Env};

const LEADS: &str = "data/leads.csv";

struct Case {
    file: String,
    code: i32,
    /// The whole of stderr, or `None` for a model that scores (its summary is not pinned here).
    stderr: Option<String>,
}

fn cases() -> Vec<Case> {
    tsv_rows("tests/corpus/models/cases.tsv", 4)
        .into_iter()
        .map(|fields| {
            let file = fields[0].clone();
            let message = fields[2].replace("{version}", env!("CARGO_PKG_VERSION"));
            Case {
                code: fields[1].parse().unwrap(),
                stderr: (fields[2] != "-").then(|| format!("error: {file}: {message}\n")),
                file,
            }
        })
        .collect()
}

#[test]
fn every_corpus_model_is_refused_with_its_pinned_message_or_scores() {
    let cases = cases();
    let mut listed: Vec<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    listed.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(repo("tests/corpus/models"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    assert_eq!(
        listed, on_disk,
        "every corpus file has one row in cases.tsv"
    );
    assert!(cases.len() >= 25);

    let env = Env::new();
    env.copy(LEADS, LEADS);
    for case in &cases {
        env.copy(&format!("tests/corpus/models/{}", case.file), &case.file);
        let run = env.run(&["score", LEADS, "--model", &case.file, "-o", "scores.csv"]);
        assert!(
            !run.stderr.contains("panicked"),
            "{}: {}",
            case.file,
            run.stderr
        );
        assert_eq!(run.code, case.code, "{}: {}", case.file, run.stderr);
        match &case.stderr {
            Some(want) => {
                assert_eq!(&run.stderr, want, "{}", case.file);
                assert!(!env.exists("scores.csv"), "{}: wrote scores", case.file);
            }
            None => {
                assert!(env.exists("scores.csv"), "{}", case.file);
                std::fs::remove_file(env.path("scores.csv")).unwrap();
            }
        }
        std::fs::remove_file(env.path(&case.file)).unwrap();
    }
}

/// One type-preserving edit of the kind a person makes by hand: a number changed, a string
/// swapped for another from the file, an array element deleted or duplicated, a bool flipped,
/// an index moved by one (or a null column given one). Returns what it did, or `None` when the
/// value picked does not suit the edit picked.
fn mutate(model: &mut Value, strings: &[String], rng: &mut impl Rng) -> Option<String> {
    let mut all = Vec::new();
    paths(model, &mut Vec::new(), &mut all);
    let path = all[rng.random_range(0..all.len())].clone();
    let key = match path.last() {
        Some(PathStep::Key(k)) => k.clone(),
        _ => String::new(),
    };
    let target = get_mut(model, &path);
    let kind = rng.random_range(0..6);
    let what = match (kind, &*target) {
        (0 | 5, Value::Number(n)) if n.is_u64() || n.is_i64() => {
            let i = n.as_i64().unwrap_or(i64::MAX);
            let new = match rng.random_range(0..4) {
                0 => i + 1,
                1 => i - 1,
                2 => -i,
                _ => rng.random_range(-3..40),
            };
            *target = Value::from(new);
            format!("index/count {i} -> {new}")
        }
        (0, Value::Number(n)) => {
            let x = n.as_f64().unwrap();
            let new = match rng.random_range(0..8) {
                0 => x + 1.0,
                1 => -x,
                2 => 0.0,
                3 => x * 1e10,
                4 => 1e308,
                5 => -1e308,
                6 => x / 3.0,
                _ => rng.random_range(-2.0..2.0),
            };
            *target = Value::from(new);
            format!("number {x} -> {new}")
        }
        (1, Value::String(s)) => {
            let new = strings[rng.random_range(0..strings.len())].clone();
            let old = s.clone();
            *target = Value::String(new.clone());
            format!("string {old:?} -> {new:?}")
        }
        (2, Value::Array(items)) if !items.is_empty() => {
            let i = rng.random_range(0..items.len());
            target.as_array_mut().unwrap().remove(i);
            format!("deleted element {i}")
        }
        (3, Value::Array(items)) if !items.is_empty() => {
            let i = rng.random_range(0..items.len());
            let copy = items[i].clone();
            let at = rng.random_range(0..=items.len());
            target.as_array_mut().unwrap().insert(at, copy);
            format!("duplicated element {i} at {at}")
        }
        (4, Value::Bool(b)) => {
            let new = !*b;
            *target = Value::Bool(new);
            format!("flipped to {new}")
        }
        (5, Value::Null) if key == "column" => {
            let new = rng.random_range(0..26);
            *target = Value::from(new);
            format!("null column -> {new}")
        }
        _ => return None,
    };
    Some(format!("{}: {what}", show(&path)))
}

/// Loads and scores `leads` in-process, as `leadscore score` does: the equation, scores,
/// decisions, intervals, reasons as written, explanations, drift. `Err` holds why the model was
/// refused.
fn load_and_score(text: &str, leads: &Path) -> Result<(), String> {
    use leadscore::model::columns::FeatureColumns;
    use leadscore::model::scorer::{ScoredLead, Scorer};
    use leadscore::write::ScoredWriter;
    let model = leadscore::model::Model::parse(text, "m.json").map_err(|e| e.to_string())?;
    let scorer = Scorer::new(&model).map_err(|e| e.to_string())?;
    let eq = scorer.equation();
    let mut input = leadscore::io::table::CsvInput::open(leads, Default::default()).unwrap();
    let Ok(cols) = FeatureColumns::locate(&input, &model.feature_specs(), "") else {
        return Ok(());
    };
    let mut drift = leadscore::model::drift::Drift::new(&model);
    let mut record = leadscore::io::records::Record::new();
    let mut s = ScoredLead::default();
    let mut out = leadscore::write::csv::CsvWriter::new(Vec::new(), eq, 2);
    while input.read(&mut record).unwrap() {
        if scorer
            .score(input.source(), &cols, &record, 2, &mut s)
            .is_err()
        {
            continue;
        }
        out.write(&s, &[]).unwrap();
        for f in 0..eq.terms.len() {
            s.value_and_scored_as(eq, f);
        }
        drift.add(&s, &model);
    }
    drift.table(&model);
    Ok(())
}

#[test]
fn randomly_edited_models_are_refused_or_score_but_never_panic() {
    const MUTANTS: usize = 1000;
    // One in this many also runs the real binary.
    const BINARY_EVERY: usize = 25;
    let mut shipped: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("models/model.json")).unwrap()).unwrap();
    // The checksum is made again for each mutant: editing it would only waste an edit.
    assert!(shipped
        .as_object_mut()
        .unwrap()
        .remove("checksum")
        .is_some());
    let mut strings = Vec::new();
    strings_of(&shipped, &mut strings);
    strings.sort();
    strings.dedup();

    let env = Env::new();
    env.copy(LEADS, LEADS);
    // The first 300 leads (warnings, blanks and unseen values among them) keep this quick.
    let some: String = env
        .read(LEADS)
        .lines()
        .take(301)
        .map(|l| l.to_string() + "\n")
        .collect();
    let leads = env.write("some.csv", some);

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261130);
    let (mut loaded, mut refused, mut edits) = (0, 0, 0);
    let mut panics = Vec::new();
    for n in 0..MUTANTS {
        let mut model = shipped.clone();
        let mut done = Vec::new();
        let wanted = if rng.random_bool(0.8) { 1 } else { 2 };
        while done.len() < wanted {
            if let Some(what) = mutate(&mut model, &strings, &mut rng) {
                done.push(what);
            }
        }
        edits += done.len();
        let text = model_text(&model);
        match catch_unwind(AssertUnwindSafe(|| load_and_score(&text, &leads))) {
            Ok(Ok(())) => loaded += 1,
            Ok(Err(why)) if why.contains("checksum") => {
                panics.push(format!("mutant {n}: refused by the checksum: {why}"))
            }
            Ok(Err(_)) => refused += 1,
            Err(_) => panics.push(format!("mutant {n}: {}", done.join("; "))),
        }
        if n % BINARY_EVERY == 0 {
            env.write("mutant.json", &text);
            let run = env.run(&["score", "some.csv", "--model", "mutant.json", "-o", "s.csv"]);
            if !matches!(run.code, 0 | 2)
                || run.stderr.contains("panicked")
                || run.stderr.contains("checksum")
            {
                panics.push(format!(
                    "mutant {n} (binary, exit {}): {}: {}",
                    run.code,
                    done.join("; "),
                    run.stderr
                ));
            }
        }
    }
    eprintln!("{MUTANTS} mutants ({edits} edits): {loaded} loaded and scored, {refused} refused");
    assert!(
        panics.is_empty(),
        "{} panics (or refusals by the checksum):\n{}",
        panics.len(),
        panics.join("\n")
    );
    // The edits reach both sides: some models still load, many are refused.
    assert!(
        loaded > 100 && refused > 100,
        "{loaded} loaded, {refused} refused"
    );
}

#[test]
fn models_of_every_version_score_the_sample_leads_exactly_as_the_current_one() {
    // The shipped model as versions 1, 2 and 3 wrote it, and the same data trained into the
    // current version: the migrations give the old files the meaning they had (exact matching,
    // the common blanks; version 3 only added the checksum; version 4 the outcome cap, off for
    // the older files, which changes nothing on this history), and on the sample leads, whose
    // spellings are the training's, the scores are the same bytes.
    let env = Env::new();
    env.copy(LEADS, LEADS);
    env.copy("models/model.json", "current.json");
    let current = env.run(&["score", LEADS, "--model", "current.json"]);
    assert_eq!(current.code, 0, "{}", current.stderr);
    for old in ["v1-shipped.json", "v2-shipped.json", "v3-shipped.json"] {
        env.copy(&format!("tests/corpus/models/{old}"), old);
        let run = env.run(&["score", LEADS, "--model", old]);
        assert_eq!(run.code, 0, "{old}: {}", run.stderr);
        assert!(run.stdout == current.stdout, "{old} scores differently");
    }
}
