//! Runs the real `leadscore` binary in a temporary directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root, for shipped data and fixtures.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// What one run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A scratch directory holding the shipped model, as `models/model.json`.
pub fn shipped_model_env() -> Env {
    let env = Env::new();
    env.copy("models/model.json", "models/model.json");
    env
}

/// The sample lead list's header, then `rows`.
pub fn sample_header_with(rows: &str) -> String {
    let sample = std::fs::read_to_string(repo("data/leads.csv")).unwrap();
    format!("{}\n{rows}", sample.lines().next().unwrap())
}

/// A scratch directory to run the binary in.
pub struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Where the current model of the models directory `dir` is: `dir/vNNNN/model.json` as
    /// its `current.json` says.
    pub fn model_path(&self, dir: &str) -> String {
        let pointer: serde_json::Value =
            serde_json::from_str(&self.read(&format!("{dir}/current.json"))).unwrap();
        format!("{dir}/{}/model.json", pointer["version"].as_str().unwrap())
    }

    /// The text of the current model of the models directory `dir`.
    pub fn model(&self, dir: &str) -> String {
        self.read(&self.model_path(dir))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Copies a file from the repository into the scratch directory under the same name.
    pub fn copy(&self, repo_rel: &str, rel: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::copy(repo(repo_rel), &p).unwrap();
        p
    }

    /// Files in the scratch directory (to prove nothing half-written was left).
    pub fn files(&self, rel: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// The binary with `args`, to run in the subdirectory `rel` (`""`: the scratch directory
    /// itself), for a test that spawns it, pipes it or kills it.
    pub fn command(&self, rel: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_leadscore"));
        command
            .args(args)
            .current_dir(self.path(rel))
            .env("SOURCE_DATE_EPOCH", "1790000000");
        command
    }

    /// Runs the binary in the subdirectory `rel`.
    pub fn run_in(&self, rel: &str, args: &[&str]) -> Run {
        let out = self.command(rel, args).output().expect("run leadscore");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Runs the binary with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
            .args(args)
            .current_dir(self.dir.path())
            .env("SOURCE_DATE_EPOCH", "1790000000")
            .envs(vars.iter().copied())
            .output()
            .expect("run leadscore");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Parses CSV text into rows of fields (header included).
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// Scores every row of `leads` with the model at `model` through the library, returning each
/// lead's id (first column) and its full result, with the model's equation.
pub fn score_with_library(
    model: &leadscore::model::Model,
    leads: &Path,
) -> (
    leadscore::model::equation::Equation,
    Vec<(String, leadscore::model::scorer::ScoredLead)>,
) {
    use leadscore::model::columns::FeatureColumns;
    let scorer = leadscore::model::scorer::Scorer::new(model).unwrap();
    let mut input = leadscore::io::table::CsvInput::open(leads, Default::default()).unwrap();
    let specs = model.feature_specs();
    let cols = FeatureColumns::locate(&input, &specs, "").unwrap();
    let mut record = leadscore::io::records::Record::new();
    let mut out = Vec::new();
    while input.read(&mut record).unwrap() {
        let mut s = leadscore::model::scorer::ScoredLead::default();
        scorer
            .score(input.source(), &cols, &record, 2, &mut s)
            .unwrap();
        out.push((String::from_utf8_lossy(&record[0]).into_owned(), s));
    }
    (scorer.equation().clone(), out)
}

/// A model file's JSON as `train` writes it: pretty, sealed with a checksum of the text (any
/// checksum `model` had is dropped first), so that an edited model reaches the checks behind
/// the checksum rather than being refused by it.
pub fn model_text(model: &serde_json::Value) -> String {
    let mut model = model.clone();
    if let Some(m) = model.as_object_mut() {
        m.remove("checksum");
    }
    leadscore::model::checksum::seal(&(serde_json::to_string_pretty(&model).unwrap() + "\n"))
}

/// The rows of a corpus table (`cases.tsv`: a header line, then tab-separated rows of `width`
/// fields; blank lines skipped).
pub fn tsv_rows(rel: &str, width: usize) -> Vec<Vec<String>> {
    let table = std::fs::read_to_string(repo(rel)).unwrap();
    table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<String> = line.split('\t').map(str::to_string).collect();
            assert_eq!(fields.len(), width, "{rel}: {line}");
            fields
        })
        .collect()
}
