//! A seeded, bounded mutation harness (issue 11): the stable-toolchain stand-in for cargo-fuzz.
//!
//! Five targets, each a test: the lead list and the history (`tests/fixtures/*.csv`, edited as
//! bytes), `plan`'s capacity file and lead list (edited as bytes, with the options varied), the config (`tests/fixtures/leadscore.toml`, edited as tokens) and the shipped model
//! (`models/model.json`, edited as JSON keeping every value's type, then sealed again with a
//! checksum of its own text so that the edit reaches the checks behind the checksum). Each
//! mutant is fed to the library as the commands use it (`Config::load`, `History::read`, the
//! fit, `Model::save`, the train report, and `leadscore score` in-process). Every iteration must
//! succeed or return an `Err`: a panic is caught, its input is saved (the path is printed) and
//! the test fails.
//!
//! `cargo test` runs a few hundred mutants per target (a few seconds in debug). Longer:
//!
//! ```text
//! LEADSCORE_FUZZ_ITERS=20000 cargo test --release --test fuzz
//! ```
//!
//! `LEADSCORE_FUZZ_SEED` picks another seed. `tests/corpus/fuzz/` holds inputs that once
//! panicked (named `<target>-<what>.<ext>`); every run replays them first.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// Paths into JSON documents, shared with the model-file corpus test.
#[path = "support/json_paths.rs"]
mod json_paths;
use json_paths::{get_mut, paths, show, strings_of, PathStep};

const SEED_VAR: &str = "LEADSCORE_FUZZ_SEED";
const ITERS_VAR: &str = "LEADSCORE_FUZZ_ITERS";
const DEFAULT_SEED: u64 = 20261130;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn seed() -> u64 {
    std::env::var(SEED_VAR)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// `LEADSCORE_FUZZ_ITERS` when set, else `default` (sized for a few seconds in debug).
fn iterations(default: usize) -> usize {
    std::env::var(ITERS_VAR)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The last panic's message and place, from any thread (the scoring pipeline's workers too).
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replaces the panic hook by one that records instead of printing: the harness reports each
/// panic once, with its input.
fn quiet_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.to_string());
        }))
    });
}

/// Runs one iteration; a panic becomes `Err(message)`.
fn guarded(f: impl FnOnce() -> Result<(), String>) -> Result<Result<(), String>, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Ok(r),
        Err(payload) => {
            let hooked = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(hooked.unwrap_or(message))
        }
    }
}

/// Counts and panics of one target's run.
struct Tally {
    target: &'static str,
    dir: tempfile::TempDir,
    ok: usize,
    refused: usize,
    panics: Vec<String>,
}

impl Tally {
    fn new(target: &'static str) -> Tally {
        quiet_panics();
        Tally {
            target,
            dir: tempfile::tempdir().unwrap(),
            ok: 0,
            refused: 0,
            panics: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Records one iteration's outcome; a panic's input is kept in `target/fuzz-panics/`.
    fn record(
        &mut self,
        n: usize,
        what: &str,
        input: &[u8],
        ext: &str,
        outcome: Result<Result<(), String>, String>,
    ) {
        match outcome {
            Ok(Ok(())) => self.ok += 1,
            Ok(Err(_)) => self.refused += 1,
            Err(panic) => {
                let dir = repo("target/fuzz-panics");
                std::fs::create_dir_all(&dir).unwrap();
                let saved = dir.join(format!("{}-{}-{n}.{ext}", self.target, seed()));
                std::fs::write(&saved, input).unwrap();
                self.panics.push(format!(
                    "{} #{n} ({what}), input saved as {}: {panic}",
                    self.target,
                    saved.display()
                ));
            }
        }
    }

    /// Prints the seed and counts past the test harness's capture (which would hide them for a
    /// passing test, and with `--nocapture` show every scoring summary too).
    fn finish(self, iterations: usize) {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "fuzz {}: seed {}, {iterations} iterations: {} ran, {} refused, {} panics",
            self.target,
            seed(),
            self.ok,
            self.refused,
            self.panics.len()
        );
        assert!(
            self.panics.is_empty(),
            "{} panics:\n{}",
            self.panics.len(),
            self.panics.join("\n")
        );
    }
}

/// The inputs that once panicked, for `target`: (file name, bytes).
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(repo("tests/corpus/fuzz")) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.unwrap())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{target}-")))
        .map(|n| {
            let bytes = std::fs::read(repo(&format!("tests/corpus/fuzz/{n}"))).unwrap();
            (n, bytes)
        })
        .collect();
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// Running the library as the commands do.

fn err(e: leadscore::Error) -> String {
    e.to_string()
}

/// `leadscore train`: the config, the history, the fit, the saved model and its report.
fn train(config: &Path, history: &Path, model: &Path) -> Result<(), String> {
    use leadscore::io::table::ReadOptions;
    let config = leadscore::config::Config::load(config).map_err(err)?;
    let opts = ReadOptions {
        delimiter: None,
        progress: false,
        fingerprint: true,
    };
    let history = leadscore::fit::history::History::read(history, &config, opts).map_err(err)?;
    let trained = leadscore::fit::training::train(&history, &config).map_err(err)?;
    let built = leadscore::fit::build::model(&history, &config, "leadscore.toml", &trained);
    built.save(model).map_err(err)?;
    let report = leadscore::report::train::TrainReport::new(
        &history,
        &trained,
        &built,
        &model.display().to_string(),
    );
    let _ = report.render();
    serde_json::to_string(&report).unwrap();
    Ok(())
}

/// `leadscore train --leads`: the check of a lead list against the config.
fn check_leads(config: &Path, leads: &Path) -> Result<(), String> {
    let config = leadscore::config::Config::load(config).map_err(err)?;
    leadscore::fit::leaks::check_lead_list(leads, &config, None).map_err(err)
}

/// `leadscore score LEADS --model MODEL -o OUT [extra]`, in-process (its summary goes to
/// stderr, which the test harness captures).
fn score(leads: &Path, model: &Path, out: &Path, extra: &[&str]) -> Result<(), String> {
    let mut args: Vec<String> = ["leadscore", "score"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(leads.display().to_string());
    args.extend(["--model".into(), model.display().to_string()]);
    args.extend(["-o".into(), out.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let cli = leadscore::cli::Cli::try_parse_from(&args).map_err(|e| e.to_string())?;
    leadscore::run(cli).map(|_| ()).map_err(err)
}

/// The model trained on the fixtures, once per target (for scoring mutated lead lists).
fn fixture_model(t: &Tally) -> PathBuf {
    let model = t.path("fixture-model.json");
    train(
        &repo("tests/fixtures/leadscore.toml"),
        &repo("tests/fixtures/history.csv"),
        &model,
    )
    .expect("the fixtures train");
    model
}

// ---------------------------------------------------------------------------------------------
// CSV: byte-level edits.

const HUGE: &[&str] = &[
    "1e308",
    "-1e308",
    "1e309",
    "99999999999999999999999999",
    "-0",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1,5",
    "1e-320",
    "18446744073709551616",
    "",
    " ",
    "\"\"",
];

/// Positions of the starts of lines in `b`.
fn line_starts(b: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        b.iter()
            .enumerate()
            .filter(|(i, &c)| c == b'\n' && i + 1 < b.len())
            .map(|(i, _)| i + 1),
    );
    v
}

fn line_at(b: &[u8], starts: &[usize], i: usize) -> std::ops::Range<usize> {
    let start = starts[i];
    let end = starts.get(i + 1).copied().unwrap_or(b.len());
    start..end
}

/// One edit of a CSV file's bytes; returns what it did.
fn mutate_csv(b: &mut Vec<u8>, rng: &mut impl Rng) -> String {
    if b.is_empty() {
        b.extend_from_slice(b"a\n");
    }
    let at = rng.random_range(0..=b.len());
    match rng.random_range(0..12) {
        0 => {
            let i = rng.random_range(0..b.len());
            let bit = 1u8 << rng.random_range(0..8);
            b[i] ^= bit;
            format!("flipped bit {bit:#x} at {i}")
        }
        1 => {
            let ins: &[u8] = [
                &b"\""[..],
                b",",
                b";",
                b"\t",
                b"\n",
                b"\r",
                b"\r\n",
                b"\"\"",
                b"\0",
            ][rng.random_range(0..9)];
            b.splice(at..at, ins.iter().copied());
            format!("inserted {:?} at {at}", String::from_utf8_lossy(ins))
        }
        2 => {
            let bom: &[u8] =
                [&b"\xEF\xBB\xBF"[..], b"\xFF\xFE", b"\xFE\xFF"][rng.random_range(0..3)];
            let at = if rng.random_bool(0.5) { 0 } else { at };
            b.splice(at..at, bom.iter().copied());
            format!("inserted BOM {bom:x?} at {at}")
        }
        3 => {
            b.truncate(at);
            format!("truncated at {at}")
        }
        4 => {
            let starts = line_starts(b);
            let i = rng.random_range(0..starts.len());
            let line = b[line_at(b, &starts, i)].to_vec();
            let times = if rng.random_bool(0.9) {
                1
            } else {
                rng.random_range(2..200)
            };
            let to = starts[rng.random_range(0..starts.len())];
            for _ in 0..times {
                b.splice(to..to, line.iter().copied());
            }
            format!("duplicated line {i} {times}x at {to}")
        }
        5 => {
            let starts = line_starts(b);
            let i = rng.random_range(0..starts.len());
            let r = line_at(b, &starts, i);
            b.drain(r);
            format!("deleted line {i}")
        }
        6 | 7 => {
            // A field (between delimiters) replaced by a huge, odd or empty number.
            let new = HUGE[rng.random_range(0..HUGE.len())];
            let seps: Vec<usize> = (0..b.len())
                .filter(|&i| matches!(b[i], b',' | b'\n'))
                .collect();
            if seps.len() < 2 {
                return "nothing".into();
            }
            let k = rng.random_range(0..seps.len() - 1);
            let (s, e) = (seps[k] + 1, seps[k + 1]);
            let old = String::from_utf8_lossy(&b[s..e]).into_owned();
            b.splice(s..e, new.bytes());
            format!("field {old:?} -> {new:?}")
        }
        8 => {
            let bad: &[u8] = [
                &b"\xFF"[..],
                b"\xC3",
                b"\xE2\x82",
                b"\xC0\x80",
                b"\xED\xA0\x80",
            ][rng.random_range(0..5)];
            b.splice(at..at, bad.iter().copied());
            format!("inserted non-UTF-8 {bad:x?} at {at}")
        }
        9 => {
            let n = rng.random_range(1..5000);
            let c = [b'9', b'x', b',', b'"', b' '][rng.random_range(0..5)];
            b.splice(at..at, std::iter::repeat_n(c, n));
            format!("inserted {n} x {:?} at {at}", c as char)
        }
        10 => {
            // Two lines swapped (a data row above the header, say).
            let starts = line_starts(b);
            let (i, j) = (
                rng.random_range(0..starts.len()),
                rng.random_range(0..starts.len()),
            );
            let mut lines: Vec<Vec<u8>> = (0..starts.len())
                .map(|k| b[line_at(b, &starts, k)].to_vec())
                .collect();
            lines.swap(i, j);
            *b = lines.concat();
            format!("swapped lines {i} and {j}")
        }
        _ => {
            let i = rng.random_range(0..b.len());
            b.remove(i);
            format!("deleted byte {i}")
        }
    }
}

fn mutate_times(rng: &mut impl Rng) -> usize {
    match rng.random_range(0..10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => rng.random_range(3..8),
    }
}

/// One lead-list iteration: the lead list is checked against the config and scored with the
/// fixture model in one of the output modes.
fn lead_iteration(t: &Tally, model: &Path, leads: &[u8], n: usize) -> Result<(), String> {
    let file = t.path("leads.csv");
    std::fs::write(&file, leads).unwrap();
    let config = repo("tests/fixtures/leadscore.toml");
    let checked = check_leads(&config, &file);
    let out = t.path("scores.csv");
    let rejects = t.path("rejects.csv");
    let rejects_arg = rejects.display().to_string();
    let extra: &[&str] = match n % 4 {
        0 => &[],
        1 => &["--keep-order", "--with-input"],
        2 => &["--skip-invalid", &rejects_arg],
        _ => &[
            "--with-input",
            "--skip-invalid",
            &rejects_arg,
            "--decimals",
            "0",
        ],
    };
    let scored = score(&file, model, &out, extra);
    checked.and(scored)
}

#[test]
fn mutated_lead_lists_are_refused_or_score_but_never_panic() {
    let n_iter = iterations(300);
    let mut t = Tally::new("leads");
    let model = fixture_model(&t);
    for (name, bytes) in corpus("leads") {
        let outcome = guarded(|| lead_iteration(&t, &model, &bytes, 0));
        t.record(0, &name, &bytes, "csv", outcome);
    }
    let original = std::fs::read(repo("tests/fixtures/leads.csv")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    for n in 0..n_iter {
        let mut b = original.clone();
        let what: Vec<String> = (0..mutate_times(&mut rng))
            .map(|_| mutate_csv(&mut b, &mut rng))
            .collect();
        let outcome = guarded(|| lead_iteration(&t, &model, &b, n));
        t.record(n, &what.join("; "), &b, "csv", outcome);
    }
    t.finish(n_iter);
}

/// `leadscore plan LEADS --model MODEL ARGS`, in-process, its summary as JSON (discarded).
fn plan(leads: &Path, model: &Path, args: &[String]) -> Result<(), String> {
    let mut all: Vec<String> = vec![
        "leadscore".into(),
        "plan".into(),
        leads.display().to_string(),
    ];
    all.extend(["--model".into(), model.display().to_string()]);
    all.extend(args.iter().cloned());
    let cli = leadscore::cli::Cli::try_parse_from(&all).map_err(|e| e.to_string())?;
    leadscore::run(cli).map(|_| ()).map_err(err)
}

/// The capacity file the fixtures plan with: support hours per account manager.
const CAPACITIES: &[u8] =
    b"account_manager,support_hours\nM\xc3\xbcller,300\nNowak,250.5\nSchmidt,120\n";

/// One plan iteration: a capacity file and a lead list, one of them mutated, planned per
/// account manager (or for everyone at once), with the options varied by `n`.
fn plan_iteration(
    t: &Tally,
    model: &Path,
    capacities: &[u8],
    leads: &[u8],
    n: usize,
) -> Result<(), String> {
    let (caps, file) = (t.path("caps.csv"), t.path("leads.csv"));
    std::fs::write(&caps, capacities).unwrap();
    std::fs::write(&file, leads).unwrap();
    let mut args: Vec<String> = match n % 3 {
        0 | 1 => vec![
            "--by".into(),
            "account_manager".into(),
            "--capacity-file".into(),
            caps.display().to_string(),
        ],
        _ => vec![
            "--capacity".into(),
            format!("support_hours={}", 1 + n % 700),
        ],
    };
    args.extend(["-o".into(), t.path("plan.csv").display().to_string()]);
    args.extend(["--format".into(), "json".into()]);
    match n % 4 {
        0 => {}
        1 => args.push("--risk".into()),
        2 => args.extend([
            "--min-net".into(),
            "-250".into(),
            "--decimals".into(),
            "0".into(),
        ]),
        _ => args.extend(["--decimals".into(), "5".into()]),
    }
    plan(&file, model, &args)
}

#[test]
fn mutated_capacity_files_and_lead_lists_are_refused_or_planned_but_never_panic() {
    let n_iter = iterations(200);
    let mut t = Tally::new("plan");
    let model = fixture_model(&t);
    let leads = std::fs::read(repo("tests/fixtures/leads.csv")).unwrap();
    for (name, bytes) in corpus("plan") {
        let outcome = guarded(|| plan_iteration(&t, &model, &bytes, &leads, 0));
        t.record(0, &name, &bytes, "csv", outcome);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 5);
    for n in 0..n_iter {
        // Mostly the capacity file; every third iteration the lead list instead.
        let (mut caps, mut list) = (CAPACITIES.to_vec(), leads.clone());
        let target = if n % 3 == 2 { &mut list } else { &mut caps };
        let what: Vec<String> = (0..mutate_times(&mut rng))
            .map(|_| mutate_csv(target, &mut rng))
            .collect();
        let outcome = guarded(|| plan_iteration(&t, &model, &caps, &list, n));
        let input = if n % 3 == 2 { &list } else { &caps };
        t.record(n, &what.join("; "), input, "csv", outcome);
    }
    t.finish(n_iter);
}

/// One history iteration: trained on, and the model (when there is one) scores the fixture
/// leads.
fn history_iteration(t: &Tally, history: &[u8]) -> Result<(), String> {
    let file = t.path("history.csv");
    std::fs::write(&file, history).unwrap();
    let model = t.path("model.json");
    train(&repo("tests/fixtures/leadscore.toml"), &file, &model)?;
    score(
        &repo("tests/fixtures/leads.csv"),
        &model,
        &t.path("scores.csv"),
        &["--with-input"],
    )
}

#[test]
fn mutated_histories_are_refused_or_train_but_never_panic() {
    let n_iter = iterations(40);
    let mut t = Tally::new("history");
    for (name, bytes) in corpus("history") {
        let outcome = guarded(|| history_iteration(&t, &bytes));
        t.record(0, &name, &bytes, "csv", outcome);
    }
    let original = std::fs::read(repo("tests/fixtures/history.csv")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 1);
    for n in 0..n_iter {
        let mut b = original.clone();
        let what: Vec<String> = (0..mutate_times(&mut rng))
            .map(|_| mutate_csv(&mut b, &mut rng))
            .collect();
        let outcome = guarded(|| history_iteration(&t, &b));
        t.record(n, &what.join("; "), &b, "csv", outcome);
    }
    t.finish(n_iter);
}

// ---------------------------------------------------------------------------------------------
// TOML: token-level edits.

#[derive(Clone, Copy, PartialEq, Debug)]
enum Tok {
    Number,
    Str,
    Word,
    Other,
}

/// The config's text as tokens: numbers, quoted strings, bare words (keys, booleans), and the
/// rest (punctuation, spaces, newlines, comments) one character at a time.
fn tokens(text: &str) -> Vec<(Tok, String)> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let start = i;
        let kind = if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' && c[i] != '\n' {
                i += 1;
            }
            i = (i + 1).min(c.len());
            Tok::Str
        } else if c[i].is_ascii_digit()
            || (c[i] == '-' && c.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            i += 1;
            while i < c.len()
                && (c[i].is_ascii_alphanumeric() || matches!(c[i], '.' | '_' | '+' | '-'))
            {
                i += 1;
            }
            Tok::Number
        } else if c[i].is_alphabetic() || c[i] == '_' {
            while i < c.len() && (c[i].is_alphanumeric() || matches!(c[i], '_' | '-')) {
                i += 1;
            }
            Tok::Word
        } else {
            i += 1;
            Tok::Other
        };
        out.push((kind, c[start..i].iter().collect()));
    }
    out
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "0.5",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-308",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "inf",
    "-inf",
    "nan",
    "1_000_000",
    "true",
    "\"3\"",
];

/// One edit of the config's tokens; returns what it did.
fn mutate_toml(toks: &mut Vec<(Tok, String)>, rng: &mut impl Rng) -> String {
    let of = |toks: &Vec<(Tok, String)>, k: Tok| -> Vec<usize> {
        (0..toks.len()).filter(|&i| toks[i].0 == k).collect()
    };
    let pick = |v: &[usize], rng: &mut dyn rand::RngCore| -> Option<usize> {
        (!v.is_empty()).then(|| v[rng.random_range(0..v.len())])
    };
    match rng.random_range(0..9) {
        0 | 1 => {
            let Some(i) = pick(&of(toks, Tok::Number), rng) else {
                return "nothing".into();
            };
            let old = toks[i].1.clone();
            let new = match rng.random_range(0..4) {
                0 => format!("-{}", old.trim_start_matches('-')),
                1 => format!("{old}0000000000"),
                _ => NUMBERS[rng.random_range(0..NUMBERS.len())].to_string(),
            };
            toks[i].1 = new.clone();
            format!("number {old} -> {new}")
        }
        2 => {
            // A key (or boolean) renamed: misspelt, or swapped for another word of the file.
            let words = of(toks, Tok::Word);
            let Some(i) = pick(&words, rng) else {
                return "nothing".into();
            };
            let old = toks[i].1.clone();
            let new = if rng.random_bool(0.5) {
                toks[words[rng.random_range(0..words.len())]].1.clone()
            } else {
                format!("{old}s")
            };
            toks[i].1 = new.clone();
            format!("word {old} -> {new}")
        }
        3 => {
            let strs = of(toks, Tok::Str);
            let Some(i) = pick(&strs, rng) else {
                return "nothing".into();
            };
            let old = toks[i].1.clone();
            let new = match rng.random_range(0..4) {
                0 => "\"\"".to_string(),
                1 => toks[strs[rng.random_range(0..strs.len())]].1.clone(),
                2 => "\" \"".to_string(),
                _ => "\"\\u0000\"".to_string(),
            };
            toks[i].1 = new.clone();
            format!("string {old} -> {new}")
        }
        4 => {
            // A table dropped: its header and every line up to the next header.
            let text: String = toks.iter().map(|t| t.1.as_str()).collect();
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let headers: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].starts_with('['))
                .collect();
            let Some(h) = pick(&headers, rng) else {
                return "nothing".into();
            };
            let end = (h + 1..lines.len())
                .find(|&i| lines[i].starts_with('['))
                .unwrap_or(lines.len());
            let name = lines[h].trim().to_string();
            let kept: String = lines[..h].concat() + &lines[end..].concat();
            *toks = tokens(&kept);
            format!("dropped table {name}")
        }
        5 => {
            let text: String = toks.iter().map(|t| t.1.as_str()).collect();
            let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
            let i = rng.random_range(0..lines.len());
            let what = if rng.random_bool(0.5) {
                lines.remove(i);
                format!("deleted line {i}")
            } else {
                let l = lines[i].clone();
                lines.insert(rng.random_range(0..=lines.len()), l);
                format!("duplicated line {i}")
            };
            *toks = tokens(&lines.concat());
            what
        }
        6 => {
            // A value's type changed: a number quoted, a string made a number, a list emptied.
            let i = rng.random_range(0..toks.len());
            let old = toks[i].1.clone();
            let new = match toks[i].0 {
                Tok::Number => format!("\"{old}\""),
                Tok::Str => NUMBERS[rng.random_range(0..NUMBERS.len())].to_string(),
                _ => return "nothing".into(),
            };
            toks[i].1 = new.clone();
            format!("{old} -> {new}")
        }
        7 => {
            // A line added from a list of keys the config knows, with odd values.
            let lines = [
                "threads = 0\n",
                "min_category_count = 0\n",
                "folds = 1\n",
                "folds = 100000\n",
                "winsorize = true\n",
                "missing_values = [\"\", \"NA\"]\n",
                "[model]\n",
                "[[economics.return]]\nname = \"x\"\ncolumn = \"employees\"\nrate = -1\n",
                "[[economics.burden]]\nname = \"support\"\ncolumn = \"support_hours\"\nrate = 1e308\n",
                "categorical = []\n",
                "numeric = [\"employees\", \"employees\"]\n",
                "log = [\"first_order_value\"]\n",
                "id = \"employees\"\n",
                "currency = \"\"\n",
            ];
            let text: String = toks.iter().map(|t| t.1.as_str()).collect();
            let mut ls: Vec<&str> = text.split_inclusive('\n').collect();
            let add = lines[rng.random_range(0..lines.len())];
            let at = rng.random_range(0..=ls.len());
            ls.insert(at, add);
            *toks = tokens(&ls.concat());
            format!("added {add:?} at line {at}")
        }
        _ => {
            let words = of(toks, Tok::Word);
            let Some(i) = pick(&words, rng) else {
                return "nothing".into();
            };
            let old = toks[i].1.clone();
            let new = match old.as_str() {
                "true" => "false".to_string(),
                "false" => "true".to_string(),
                _ => old.to_uppercase(),
            };
            toks[i].1 = new.clone();
            format!("word {old} -> {new}")
        }
    }
}

/// One config iteration: the history is trained with it (the leads checked against it), and
/// the model scores the fixture leads.
fn config_iteration(t: &Tally, config: &[u8]) -> Result<(), String> {
    let file = t.path("leadscore.toml");
    std::fs::write(&file, config).unwrap();
    let leads = repo("tests/fixtures/leads.csv");
    let checked = check_leads(&file, &leads);
    let model = t.path("model.json");
    train(&file, &repo("tests/fixtures/history.csv"), &model)?;
    checked.and(score(&leads, &model, &t.path("scores.csv"), &[]))
}

#[test]
fn mutated_configs_are_refused_or_train_but_never_panic() {
    let n_iter = iterations(60);
    let mut t = Tally::new("config");
    for (name, bytes) in corpus("config") {
        let outcome = guarded(|| config_iteration(&t, &bytes));
        t.record(0, &name, &bytes, "toml", outcome);
    }
    let original = std::fs::read_to_string(repo("tests/fixtures/leadscore.toml")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 2);
    for n in 0..n_iter {
        let mut toks = tokens(&original);
        let what: Vec<String> = (0..mutate_times(&mut rng))
            .map(|_| mutate_toml(&mut toks, &mut rng))
            .collect();
        let text: String = toks.iter().map(|t| t.1.as_str()).collect();
        // Half of them skip the fit when the config alone is refused: parsing is cheap.
        let outcome = guarded(|| config_iteration(&t, text.as_bytes()));
        t.record(n, &what.join("; "), text.as_bytes(), "toml", outcome);
    }
    t.finish(n_iter);
}

// ---------------------------------------------------------------------------------------------
// model.json: type-preserving edits, sealed again.

/// A targeted edit a hand edit could leave: a reference level missing from the levels, the
/// `(other)` level of a feature with a pooled list removed, a clamp range with low above high.
fn mutate_model_semantics(model: &mut Value, rng: &mut impl Rng) -> Option<String> {
    let features = model["schema"]["features"].as_array_mut()?;
    let i = rng.random_range(0..features.len());
    let f = &mut features[i];
    let name = f["name"].as_str().unwrap_or("").to_string();
    match rng.random_range(0..4) {
        0 => {
            let reference = f.get("reference")?.as_str()?.to_string();
            let levels = f["levels"].as_array_mut()?;
            levels.retain(|l| l["value"] != reference.as_str());
            Some(format!(
                "{name}: reference level {reference:?} removed from the levels"
            ))
        }
        1 => {
            let levels = f.get_mut("levels")?.as_array_mut()?;
            levels.retain(|l| l["value"] != "(other)");
            if rng.random_bool(0.5) {
                f["pooled"] = serde_json::json!(["mining", "(missing)"]);
            }
            Some(format!("{name}: (other) level removed"))
        }
        2 => {
            let clamp = f.get_mut("clamp")?.as_array_mut()?;
            if clamp.len() == 2 {
                clamp.swap(0, 1);
            }
            Some(format!("{name}: clamp reversed"))
        }
        _ => {
            let reference = f.get("reference")?.as_str()?.to_string();
            let levels = f["levels"].as_array_mut()?;
            let j = rng.random_range(0..levels.len());
            let value = levels[j]["value"].as_str()?.to_string();
            f["reference"] = Value::String(value.clone());
            Some(format!("{name}: reference {reference:?} -> {value:?}"))
        }
    }
}

/// One type-preserving edit: a number perturbed, negated or pushed to an extreme, a string
/// swapped for another of the file, an array element removed, duplicated or moved, a bool
/// flipped. `None` when the value picked does not suit the edit picked.
fn mutate_model(model: &mut Value, strings: &[String], rng: &mut impl Rng) -> Option<String> {
    if rng.random_range(0..8) == 0 {
        return mutate_model_semantics(model, rng);
    }
    let mut all = Vec::new();
    paths(model, &mut Vec::new(), &mut all);
    let path = all[rng.random_range(0..all.len())].clone();
    let key = match path.last() {
        Some(PathStep::Key(k)) => k.clone(),
        _ => String::new(),
    };
    let target = get_mut(model, &path);
    let what = match (rng.random_range(0..6), &*target) {
        (0 | 5, Value::Number(n)) if n.is_u64() || n.is_i64() => {
            let i = n.as_i64().unwrap_or(i64::MAX);
            let new = match rng.random_range(0..6) {
                0 => i.saturating_add(1),
                1 => i.saturating_sub(1),
                2 => i.saturating_neg(),
                3 => i64::MAX,
                4 => i64::MIN,
                _ => rng.random_range(-3..40),
            };
            *target = Value::from(new);
            format!("integer {i} -> {new}")
        }
        (0, Value::Number(n)) => {
            let x = n.as_f64().unwrap();
            let new = match rng.random_range(0..10) {
                0 => x + 1.0,
                1 => -x,
                2 => 0.0,
                3 => x * 1e10,
                4 => f64::MAX,
                5 => -f64::MAX,
                6 => f64::MIN_POSITIVE / 4.0,
                7 => x * (1.0 + 1e-12),
                8 => x / 3.0,
                _ => rng.random_range(-2.0..2.0),
            };
            *target = Value::from(new);
            format!("number {x} -> {new}")
        }
        (1, Value::String(s)) => {
            let old = s.clone();
            let new = match rng.random_range(0..5) {
                0 => String::new(),
                _ => strings[rng.random_range(0..strings.len())].clone(),
            };
            *target = Value::String(new.clone());
            format!("string {old:?} -> {new:?}")
        }
        (2, Value::Array(items)) if !items.is_empty() => {
            let i = rng.random_range(0..items.len());
            target.as_array_mut().unwrap().remove(i);
            format!("removed element {i}")
        }
        (3, Value::Array(items)) if !items.is_empty() => {
            let i = rng.random_range(0..items.len());
            let copy = items[i].clone();
            let at = rng.random_range(0..=items.len());
            target.as_array_mut().unwrap().insert(at, copy);
            format!("duplicated element {i} at {at}")
        }
        (4, Value::Array(items)) if items.len() > 1 => {
            let (i, j) = (
                rng.random_range(0..items.len()),
                rng.random_range(0..items.len()),
            );
            target.as_array_mut().unwrap().swap(i, j);
            format!("swapped elements {i} and {j}")
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

/// One model iteration: loaded from a file (checksum, JSON, checks on load) and scored with.
fn model_iteration(t: &Tally, text: &[u8], leads: &Path) -> Result<(), String> {
    let file = t.path("model.json");
    std::fs::write(&file, text).unwrap();
    leadscore::model::Model::load(&file).map_err(err)?;
    score(leads, &file, &t.path("scores.csv"), &["--with-input"])
}

#[test]
fn type_preserving_edits_of_the_model_are_refused_or_score_but_never_panic() {
    let n_iter = iterations(300);
    let mut t = Tally::new("model");
    // The first 200 sample leads (blanks, unseen values and out-of-range numbers among them).
    let some: String = std::fs::read_to_string(repo("data/leads.csv"))
        .unwrap()
        .lines()
        .take(201)
        .map(|l| l.to_string() + "\n")
        .collect();
    let leads = t.path("leads.csv");
    std::fs::write(&leads, some).unwrap();
    for (name, bytes) in corpus("model") {
        let outcome = guarded(|| model_iteration(&t, &bytes, &leads));
        t.record(0, &name, &bytes, "json", outcome);
    }
    let mut shipped: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("models/model.json")).unwrap()).unwrap();
    shipped.as_object_mut().unwrap().remove("checksum");
    let mut strings = Vec::new();
    strings_of(&shipped, &mut strings);
    strings.sort();
    strings.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ 3);
    let mut by_checksum = Vec::new();
    for n in 0..n_iter {
        let mut model = shipped.clone();
        let mut what = Vec::new();
        let wanted = mutate_times(&mut rng);
        while what.len() < wanted {
            what.extend(mutate_model(&mut model, &strings, &mut rng));
        }
        let text = leadscore::model::checksum::seal(
            &(serde_json::to_string_pretty(&model).unwrap() + "\n"),
        );
        let outcome = guarded(|| model_iteration(&t, text.as_bytes(), &leads));
        if let Ok(Err(why)) = &outcome {
            if why.contains("checksum") {
                by_checksum.push(format!("#{n}: {why}"));
            }
        }
        t.record(n, &what.join("; "), text.as_bytes(), "json", outcome);
    }
    assert!(
        by_checksum.is_empty(),
        "resealed mutants must reach the checks behind the checksum:\n{}",
        by_checksum.join("\n")
    );
    t.finish(n_iter);
}

/// The harness itself: a panic, on this thread or a worker's, is caught and told apart from a
/// refusal.
#[test]
fn the_harness_catches_panics_and_tells_them_from_refusals() {
    quiet_panics();
    assert_eq!(guarded(|| Err("refused".into())), Ok(Err("refused".into())));
    let on_a_worker = guarded(|| {
        std::thread::scope(|s| {
            s.spawn(|| panic!("worker"));
        });
        Ok(())
    });
    assert!(on_a_worker.is_err(), "{on_a_worker:?}");
    let here = guarded(|| panic!("here {}", 1));
    assert!(here.unwrap_err().contains("here 1"));
}
