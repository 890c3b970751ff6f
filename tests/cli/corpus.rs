//! The bad-input corpus: every case in `tests/corpus/inputs/cases.tsv` is run in a scratch
//! directory holding the fixtures (history, leads, config) and a model trained on them, with its
//! own files from `tests/corpus/inputs/CASE/` copied over them. Each must exit with its pinned
//! code and exactly its pinned stderr, print nothing on stdout and leave no file behind.
//!
//! Every failing case is reported at once, each with a row to paste into `cases.tsv`.

use std::path::Path;

use crate::commands::trained_env;
use crate::util::{repo, tsv_rows, Env};

struct Case {
    name: String,
    code: i32,
    args: Vec<String>,
    stderr: String,
    proves: String,
}

/// `\n`, `\t`, `\r` and `\\` as written in the stderr column.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            other => panic!("cases.tsv: unknown escape \\{other:?} in {s:?}"),
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

fn cases() -> Vec<Case> {
    tsv_rows("tests/corpus/inputs/cases.tsv", 5)
        .into_iter()
        .map(|fields| Case {
            name: fields[0].clone(),
            code: fields[1].parse().unwrap(),
            args: fields[2]
                .split(' ')
                .map(|a| if a == "''" { String::new() } else { a.into() })
                .collect(),
            stderr: unescape(&fields[3]) + "\n",
            proves: fields[4].clone(),
        })
        .collect()
}

/// Every file and directory under `dir`, relative to it, sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if path.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What a `NAME.gen` file stands for, written as `NAME`: `dir` (a directory) or `wide N` (a
/// CSV N columns wide with one row).
fn generate(spec: &str, target: &Path) {
    let words: Vec<&str> = spec.split_whitespace().collect();
    match words.as_slice() {
        ["dir"] => std::fs::create_dir(target).unwrap(),
        ["wide", n] => {
            let n: usize = n.parse().unwrap();
            let header: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            let row = vec!["x"; n].join(",");
            std::fs::write(target, format!("{}\n{row}\n", header.join(","))).unwrap();
        }
        _ => panic!("unknown generator {spec:?} for {}", target.display()),
    }
}

#[test]
fn every_bad_input_is_refused_with_its_pinned_exit_code_and_message() {
    let cases = cases();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    let inputs = repo("tests/corpus/inputs");
    for entry in std::fs::read_dir(&inputs).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                names.contains(&name.as_str()),
                "tests/corpus/inputs/{name} has no row in cases.tsv"
            );
        }
    }

    // The fixtures and a model trained on them, copied for every case.
    let base = trained_env();
    let scratch = Env::new();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let dir = scratch.path(&format!("{i}"));
        copy_tree(&base.path(""), &dir);
        let own = inputs.join(&case.name);
        if own.is_dir() {
            for entry in std::fs::read_dir(&own).unwrap() {
                let entry = entry.unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                match name.strip_suffix(".gen") {
                    Some(target) => generate(
                        &std::fs::read_to_string(entry.path()).unwrap(),
                        &dir.join(target),
                    ),
                    None => {
                        std::fs::copy(entry.path(), dir.join(&name)).unwrap();
                    }
                }
            }
        }
        let before = listing(&dir);
        let out = scratch
            .command(&format!("{i}"), &[])
            .args(&case.args)
            .output()
            .expect("run leadscore");
        let code = out.status.code().unwrap_or(-1);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let after = listing(&dir);
        let mut wrong = Vec::new();
        if code != case.code {
            wrong.push(format!("exit {code}, pinned {}", case.code));
        }
        if stderr != case.stderr {
            wrong.push(format!(
                "stderr differs:\n  got:    {:?}\n  pinned: {:?}",
                stderr, case.stderr
            ));
        }
        if !stdout.is_empty() {
            wrong.push(format!("stdout not empty: {stdout:?}"));
        }
        if after != before {
            let added: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
            let removed: Vec<&String> = before.iter().filter(|f| !after.contains(f)).collect();
            wrong.push(format!("files added {added:?}, removed {removed:?}"));
        }
        if !wrong.is_empty() {
            let got = stderr.strip_suffix('\n').unwrap_or(&stderr);
            failures.push(format!(
                "{} ({}): {}\n  row: {}\t{code}\t{}\t{}\t{}",
                case.name,
                case.args.join(" "),
                wrong.join("\n  "),
                case.name,
                case.args
                    .iter()
                    .map(|a| if a.is_empty() { "''" } else { a.as_str() })
                    .collect::<Vec<_>>()
                    .join(" "),
                escape(got),
                case.proves,
            ));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
