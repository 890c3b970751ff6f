//! `leadscore sql` on real engines: DuckDB, PostgreSQL and Spark SQL each run the query of their
//! dialect on the sample leads and on the edge-case list (with a renamed column), loaded with
//! every column as text and with the numeric features typed as doubles, for the shipped model
//! and for log-scale and log-link models; every lead must equal what `score` writes, by the same
//! comparison as the SQLite test (`sql::compare_rows`).
//!
//! Rows go in and out through `tests/engines/run_query.py` (one process per engine, one Spark
//! session for all its queries); the comparison is here, in Rust.
//!
//! Where the engines are:
//! - `LEADSCORE_PYTHON`: the Python with `duckdb` and `pyspark` (`.ci/run` makes a venv in
//!   `target/engines/venv`); unset, that venv if it exists, else `python3`. Empty: none.
//! - `LEADSCORE_PG_SOCKET` (and `LEADSCORE_PG_PORT`, default 5432): a running PostgreSQL that
//!   takes user `postgres` without a password on that socket directory. Unset, the test starts
//!   a throwaway cluster with `tests/engines/pg_cluster.sh` from `LEADSCORE_PG_BIN`, else the
//!   newest `/usr/lib/postgresql/*/bin`. `LEADSCORE_PG_BIN` empty: none.
//!
//! No engine, no check: a test whose engine cannot be had says so on standard error and in
//! `target/tmp/sql-engine-<name>.txt` (which `.ci/run` prints), and returns without passing
//! judgement. A test that starts comparing first writes FAILED there, so a panic leaves it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::sql::{compare_rows, generate, log_scale_case, random_case, Row, NUMERIC};
use crate::util::{csv_rows, repo, Env};

/// Says what happened to one engine's check where a person will see it: standard error
/// (written directly, past the harness's capture) and a file `.ci/run` prints.
fn report(key: &str, status: &str) {
    note(key, status);
    let _ = writeln!(std::io::stderr(), "{status}");
}

/// Writes `status` to the file `.ci/run` prints, only.
fn note(key: &str, status: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join(format!("sql-engine-{key}.txt")),
        format!("{status}\n"),
    );
}

fn skipped(key: &str, engine: &str, why: &str) {
    let bar = "!".repeat(78);
    report(
        key,
        &format!("{bar}\nSQL on {engine}: SKIPPED: {why}; the {engine} query was NOT run\n{bar}"),
    );
}

/// The Python to run the helper with: see the module docs.
fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LEADSCORE_PYTHON") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    let venv = repo("target/engines/venv/bin/python");
    if venv.is_file() {
        return Some(venv);
    }
    Some(PathBuf::from("python3"))
}

/// Whether `python` imports `module`; the reason when not.
fn imports(python: &Path, module: &str) -> Result<(), String> {
    let out = Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} cannot import {module} (pip install {module}, or set LEADSCORE_PYTHON)",
            python.display()
        ))
    }
}

/// One lead list to load and score: `leads` a CSV in the env, scored by `model`.
struct Job<'a> {
    env: &'a Env,
    model: &'a str,
    leads: &'a str,
    /// The columns loaded as doubles; the rest are text.
    typed: &'a [&'a str],
    rename: &'a [(&'a str, &'a str)],
    /// Spark settings for this query, and from it on.
    spark_conf: &'a [(&'a str, &'a str)],
}

/// The jobs every engine runs: the shipped model on the sample leads and the edge cases (a
/// column renamed), as text and typed; a log-scale and a log-link model on both, as text; and
/// models of random category values (quotes, backslashes, SQL, unicode, tabs) on 60 leads
/// each, as text and typed.
struct Cases {
    shipped: Env,
    trained: Vec<Env>,
    random: Vec<Env>,
}

/// How many random-value models each engine runs (the SQLite test runs 3 by default).
const RANDOM_SEEDS: u64 = 2;

const RENAMED: [(&str, &str); 1] = [("annual_revenue", "annual revenue (€)")];

impl Cases {
    fn new() -> Cases {
        let shipped = Env::new();
        shipped.copy("models/model.json", "models/model.json");
        shipped.copy("data/leads.csv", "leads.csv");
        shipped.copy("tests/fixtures/sql/edge_leads.csv", "edge.csv");
        let trained = ["log", "glm"].into_iter().map(log_scale_case).collect();
        let random = (0..RANDOM_SEEDS).map(|seed| random_case(seed).0).collect();
        Cases {
            shipped,
            trained,
            random,
        }
    }

    /// The jobs; for Spark, the sample leads and the edge cases once more (typed) with ANSI
    /// mode off, as Spark 3 and Databricks clusters run by default (Spark 4 runs with it on).
    fn jobs(&self, dialect: &str) -> Vec<Job<'_>> {
        let mut jobs = Vec::new();
        if dialect == "spark" {
            for (leads, rename) in [("leads.csv", &[][..]), ("edge.csv", &RENAMED[..])] {
                jobs.push(Job {
                    env: &self.shipped,
                    model: "models",
                    leads,
                    typed: &NUMERIC,
                    rename,
                    spark_conf: &[("spark.sql.ansi.enabled", "false")],
                });
            }
        }
        // Spark's default from here on (ANSI mode on in Spark 4).
        let ansi: &[(&str, &str)] = if dialect == "spark" {
            &[("spark.sql.ansi.enabled", "true")]
        } else {
            &[]
        };
        for typed in [&[][..], &NUMERIC[..]] {
            jobs.push(Job {
                env: &self.shipped,
                model: "models",
                leads: "leads.csv",
                typed,
                rename: &[],
                spark_conf: ansi,
            });
            jobs.push(Job {
                env: &self.shipped,
                model: "models",
                leads: "edge.csv",
                typed,
                rename: &RENAMED,
                spark_conf: &[],
            });
        }
        for env in &self.trained {
            for leads in ["leads.csv", "edge.csv"] {
                jobs.push(Job {
                    env,
                    model: "models",
                    leads,
                    typed: &[],
                    rename: &[],
                    spark_conf: &[],
                });
            }
        }
        for env in &self.random {
            for typed in [&[][..], &["size"][..]] {
                jobs.push(Job {
                    env,
                    model: "models",
                    leads: "leads.csv",
                    typed,
                    rename: &[],
                    spark_conf: &[],
                });
            }
        }
        jobs
    }
}

/// Runs every case's query on `engine` through the helper (`manifest` adds the engine's own
/// settings), compares every lead, and reports. `dialect`: what `--dialect` the engine runs.
fn run_engine(key: &str, engine: &str, dialect: &str, python: &Path, settings: serde_json::Value) {
    note(
        key,
        &format!("SQL on {engine}: FAILED (the test panicked; see its output)"),
    );
    let cases = Cases::new();
    let jobs = cases.jobs(dialect);
    let work = tempfile::tempdir().unwrap();
    let mut manifest_jobs = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let mut extra: Vec<String> = Vec::new();
        for (from, to) in job.rename {
            extra.push("--column".into());
            extra.push(format!("{from}={to}"));
        }
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let query = work.path().join(format!("q{i}.sql"));
        std::fs::write(&query, generate(job.env, job.model, dialect, &extra)).unwrap();
        let model = leadscore::model::registry::load(&job.env.path(job.model))
            .unwrap()
            .0;
        manifest_jobs.push(serde_json::json!({
            "csv": job.env.path(job.leads),
            "rename": job.rename.iter().map(|(f, t)| (f.to_string(), t.to_string()))
                .collect::<std::collections::BTreeMap<_, _>>(),
            "typed": job.typed,
            "null_tokens": model.missing_values,
            "query": query,
            "out": work.path().join(format!("out{i}.csv")),
            "spark_conf": job.spark_conf.iter().map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<std::collections::BTreeMap<_, _>>(),
        }));
    }
    let mut manifest = settings;
    manifest["engine"] = dialect.into();
    manifest["jobs"] = manifest_jobs.into();
    let manifest_path = work.path().join("manifest.json");
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let out = Command::new(python)
        .arg(repo("tests/engines/run_query.py"))
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{engine}: run_query.py failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut leads = 0;
    for (i, job) in jobs.iter().enumerate() {
        let rows = read_result(&work.path().join(format!("out{i}.csv")));
        leads += compare_rows(job.env, job.model, job.leads, &rows, engine);
    }
    let random = 2 * 60 * RANDOM_SEEDS as usize;
    let ansi_off = if dialect == "spark" { 1000 + 16 } else { 0 };
    assert_eq!(leads, 4 * 1000 + 4 * 16 + random + ansi_off, "{engine}");
    report(
        key,
        &format!(
            "SQL on {engine}: RAN, {} leads equal to `leadscore score` ({} queries: the 1,000 \
             sample leads and the 16 edge cases by the shipped model on text and on typed \
             columns and by a log-scale and a log-link model on text; {random} leads by \
             {RANDOM_SEEDS} models of random category values{})",
            thousands(leads),
            jobs.len(),
            if ansi_off > 0 {
                "; the typed sample and edge cases again with ANSI mode off"
            } else {
                ""
            }
        ),
    );
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The helper's CSV as rows; `\N` is NULL.
fn read_result(path: &Path) -> Vec<Row> {
    let rows = csv_rows(&std::fs::read_to_string(path).unwrap());
    let header = &rows[0];
    rows[1..]
        .iter()
        .map(|r| {
            header
                .iter()
                .zip(r)
                .map(|(h, v)| (h.clone(), (v != "\\N").then(|| v.clone())))
                .collect()
        })
        .collect()
}

#[test]
fn duckdb_scores_every_lead_as_score_does() {
    let Some(py) = python() else {
        return skipped("duckdb", "DuckDB", "LEADSCORE_PYTHON is empty");
    };
    if let Err(why) = imports(&py, "duckdb") {
        return skipped("duckdb", "DuckDB", &why);
    }
    run_engine("duckdb", "DuckDB", "duckdb", &py, serde_json::json!({}));
}

#[test]
fn spark_sql_scores_every_lead_as_score_does() {
    let Some(py) = python() else {
        return skipped("spark", "Spark SQL", "LEADSCORE_PYTHON is empty");
    };
    if let Err(why) = imports(&py, "pyspark") {
        return skipped("spark", "Spark SQL", &why);
    }
    let java = Command::new("java").arg("-version").output();
    if !java.map(|o| o.status.success()).unwrap_or(false) {
        return skipped(
            "spark",
            "Spark SQL",
            "no java on the PATH (install openjdk-17-jre-headless)",
        );
    }
    run_engine("spark", "Spark SQL", "spark", &py, serde_json::json!({}));
}

/// A throwaway cluster started for the test, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(repo("tests/engines/pg_cluster.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .arg(&self.bin)
            .status();
    }
}

/// PostgreSQL's programs: `LEADSCORE_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
fn pg_bin() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("LEADSCORE_PG_BIN") {
        return if p.is_empty() {
            Err("LEADSCORE_PG_BIN is empty".into())
        } else {
            Ok(PathBuf::from(p))
        };
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no /usr/lib/postgresql (install Debian's postgresql, or set LEADSCORE_PG_BIN or LEADSCORE_PG_SOCKET)".to_string())?
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, p)| p.join("initdb").is_file())
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .ok_or_else(|| "no initdb in /usr/lib/postgresql/*/bin".into())
}

#[test]
fn postgres_scores_every_lead_as_score_does() {
    let Some(py) = python() else {
        return skipped("postgres", "PostgreSQL", "LEADSCORE_PYTHON is empty");
    };
    let port: u16 = std::env::var("LEADSCORE_PG_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432);
    let (socket, psql, _cluster) = match std::env::var_os("LEADSCORE_PG_SOCKET") {
        Some(dir) => {
            let bin = pg_bin().ok();
            let psql = bin
                .map(|b| b.join("psql"))
                .filter(|p| p.is_file())
                .unwrap_or_else(|| PathBuf::from("psql"));
            (PathBuf::from(dir), psql, None)
        }
        None => {
            let bin = match pg_bin() {
                Ok(b) => b,
                Err(why) => return skipped("postgres", "PostgreSQL", &why),
            };
            let dir = tempfile::tempdir().unwrap();
            let start = Command::new(repo("tests/engines/pg_cluster.sh"))
                .arg("start")
                .arg(dir.path())
                .arg(&bin)
                .output()
                .unwrap();
            if !start.status.success() {
                return skipped(
                    "postgres",
                    "PostgreSQL",
                    &format!(
                        "could not start a throwaway cluster with {}: {}",
                        bin.display(),
                        String::from_utf8_lossy(&start.stderr).trim()
                    ),
                );
            }
            let socket = dir.path().to_path_buf();
            let psql = bin.join("psql");
            (socket, psql, Some(Cluster { dir, bin }))
        }
    };
    run_engine(
        "postgres",
        "PostgreSQL",
        "postgres",
        &py,
        serde_json::json!({"psql": psql, "pg_host": socket, "pg_port": port}),
    );
}
