//! Speed and memory of `leadscore train` and `leadscore score`, relative to plain csv-crate
//! baselines measured in the same run (absolute seconds mean little on a noisy machine).
//!
//! ```text
//! cargo bench --bench throughput [-- --n N | --sizes N1,N2,...] [--reps R] [--seed S] [--dir DIR]
//! ```
//!
//! Every measured step is a child process reaped with `wait4`, so its wall time and its peak RSS
//! (`ru_maxrss`) belong to that one process. See `bench/README.md` for what each line means.

#[path = "../examples/gen_data/story.rs"]
mod story;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo bench --bench throughput [-- OPTIONS]

  --n N            customers and leads to generate (default 1000000)
  --sizes N1,N2    run several sizes (e.g. 100000,1000000): the smallest and the largest
                   give the flat-memory check
  --reps R         runs of each step; the median time is reported (default 3)
  --seed S         seed of the data generator (default 42)
  --dir DIR        keep the data in DIR and reuse it on the next run (default: a temp dir)
  --skip-export    leave out the xlsx and json exports (for the 10M-lead memory run)";

/// Hidden first arguments: the bench binary re-executes itself to run a baseline.
const BASELINE_PASS: &str = "__baseline-pass";
const BASELINE_READ: &str = "__baseline-read";
const NOOP: &str = "__noop";

/// The same buffer sizes leadscore uses for its CSV input and output (`src/table.rs`), so the
/// baselines are not slowed by smaller buffers.
const BUFFER: usize = 256 * 1024;

/// Extra fields the csv pass appends to each lead, standing in for leadscore's score columns.
const EXTRA_FIELDS: usize = 8;

/// Targets from issue 13, at 1M rows: sorted scoring (reasons, intervals) at most 2× the csv
/// pass, `--keep-order` at most 1.7×, training (5-fold CV, penalty search, scale choice) at most
/// 2× a plain read of the customers plus XᵀX.
const SCORE_TARGET: f64 = 2.0;
const KEEP_ORDER_TARGET: f64 = 1.7;
const TRAIN_TARGET: f64 = 2.0;

/// Written into the data directory when the repository root has no `leadscore.toml`: the
/// generator's columns and economics (`examples/gen_data/story.rs`).
const CONFIG: &str = r#"# Written by bench/throughput.rs for the generated sample data.
currency = "EUR"

[columns]
id = "customer_id"
lead_id = "lead_id"

[features]
categorical = ["industry", "region", "lead_source", "product_interest"]
numeric = ["employees", "annual_revenue", "first_order_value"]
log = ["employees", "annual_revenue", "first_order_value"]

[[economics.return]]
name = "revenue"
column = "lifetime_revenue"
rate = 1.0

[[economics.return]]
name = "cost of goods"
column = "cost_of_goods"
rate = -1.0

[[economics.return]]
name = "commissions"
column = "commissions_paid"
rate = -1.0

[[economics.return]]
name = "word of mouth"
column = "referral_revenue"
rate = 0.25

[[economics.burden]]
name = "sales effort"
column = "sales_hours"
rate = 85.0

[[economics.burden]]
name = "support"
column = "support_hours"
rate = 55.0

[[economics.burden]]
name = "complaints"
column = "complaints"
rate = 150.0

[[economics.burden]]
name = "unpaid invoices"
column = "written_off"
rate = 1.0

[model]
folds = 5
seed = 42
penalty = "auto"
min_category_count = 20
winsorize = [0.01, 0.99]
"#;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hidden = match args.first().map(String::as_str) {
        Some(BASELINE_PASS) if args.len() == 4 => Some(baseline_pass(
            Path::new(&args[1]),
            Path::new(&args[2]),
            &args[3],
        )),
        Some(BASELINE_READ) if args.len() == 3 => {
            Some(baseline_read(Path::new(&args[1]), Path::new(&args[2])))
        }
        Some(NOOP) => Some(Ok(())),
        _ => None,
    };
    if let Some(result) = hidden {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("throughput baseline: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let opts = match Opts::parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("throughput: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        // A measurement, not a test: targets that are missed still exit 0.
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("throughput: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

struct Opts {
    sizes: Vec<usize>,
    reps: usize,
    seed: u64,
    dir: Option<PathBuf>,
    skip_export: bool,
}

impl Opts {
    fn parse(args: Vec<String>) -> Result<Option<Opts>, String> {
        let mut o = Opts {
            sizes: vec![1_000_000],
            reps: 3,
            seed: 42,
            dir: None,
            skip_export: false,
        };
        let mut it = args.into_iter();
        while let Some(flag) = it.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (flag.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| it.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match name.as_str() {
                // cargo bench passes --bench to every bench binary.
                "--bench" => {}
                "-h" | "--help" => return Ok(None),
                "--n" => o.sizes = vec![number(&name, &value()?)?],
                "--sizes" => {
                    o.sizes = value()?
                        .split(',')
                        .map(|s| number(&name, s))
                        .collect::<Result<_, _>>()?;
                }
                "--reps" => o.reps = number(&name, &value()?)?,
                "--seed" => o.seed = number(&name, &value()?)?,
                "--dir" => o.dir = Some(PathBuf::from(value()?)),
                "--skip-export" => o.skip_export = true,
                _ => return Err(format!("unknown argument {flag:?}")),
            }
        }
        if o.sizes.iter().any(|&n| n < 10) {
            return Err("sizes must be at least 10".into());
        }
        if o.reps == 0 {
            return Err("--reps must be at least 1".into());
        }
        o.sizes.sort_unstable();
        o.sizes.dedup();
        Ok(Some(o))
    }
}

fn number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.trim()
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{name}: not a non-negative integer: {v:?}"))
}

// ---------------------------------------------------------------------------
// Baselines (run in a child: the bench binary re-executes itself)
// ---------------------------------------------------------------------------

/// Baseline A: read every field of every lead and write it back with `EXTRA_FIELDS` short
/// fields of `pad` bytes in all, so the bytes written match what `score` writes.
fn baseline_pass(input: &Path, output: &Path, pad: &str) -> io::Result<()> {
    let pad: usize = pad.parse().map_err(io::Error::other)?;
    let digits = "0123456789".repeat(pad / 10 + 1);
    let extra: Vec<&[u8]> = (0..EXTRA_FIELDS)
        .map(|i| {
            let len = pad / EXTRA_FIELDS + usize::from(i < pad % EXTRA_FIELDS);
            &digits.as_bytes()[..len]
        })
        .collect();
    let mut r = csv::ReaderBuilder::new()
        .buffer_capacity(BUFFER)
        .from_path(input)?;
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(BUFFER)
        .from_path(output)?;
    let header = r.byte_headers()?.clone();
    let names: Vec<String> = (0..EXTRA_FIELDS).map(|i| format!("extra_{i}")).collect();
    w.write_record(header.iter().chain(names.iter().map(|s| s.as_bytes())))?;
    let mut record = csv::ByteRecord::new();
    while r.read_byte_record(&mut record)? {
        w.write_record(record.iter().chain(extra.iter().copied()))?;
    }
    w.flush()
}

/// The features and the economics of a leadscore config, as baseline B needs them.
struct Design {
    categorical: Vec<String>,
    numeric: Vec<String>,
    /// (column, rate, times column) of the return side, then of the burden side.
    terms: [Vec<(String, f64, Option<String>)>; 2],
}

fn design(config: &Path) -> io::Result<Design> {
    let text = std::fs::read_to_string(config)?;
    let t: toml::Table = toml::from_str(&text).map_err(io::Error::other)?;
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(toml::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let features = t.get("features");
    let side = |name: &str| -> Vec<(String, f64, Option<String>)> {
        t.get("economics")
            .and_then(|e| e.get(name))
            .and_then(toml::Value::as_array)
            .map(|terms| {
                terms
                    .iter()
                    .filter_map(|term| {
                        let column = term.get("column")?.as_str()?.to_string();
                        let rate = term.get("rate").and_then(|r| {
                            r.as_float().or_else(|| r.as_integer().map(|i| i as f64))
                        });
                        let times = term
                            .get("times")
                            .and_then(|x| x.as_str().map(str::to_string));
                        Some((column, rate.unwrap_or(1.0), times))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Design {
        categorical: strings(features.and_then(|f| f.get("categorical"))),
        numeric: strings(features.and_then(|f| f.get("numeric"))),
        terms: [side("return"), side("burden")],
    })
}

/// Baseline B: read every field of every customer, check the text is UTF-8, parse the numeric
/// fields as f64, and accumulate XᵀX and Xᵀy of the plain design (intercept, one column per
/// categorical level as first seen, the numeric features as they are; blanks as 0) with the two
/// targets of the config's economics. What any trainer of a linear model must do, once.
fn baseline_read(input: &Path, config: &Path) -> io::Result<()> {
    // `won_on` is a date: read as text here, as a plain pass would not parse it.
    const TEXT: [&str; 7] = [
        "customer_id",
        "won_on",
        "industry",
        "region",
        "lead_source",
        "product_interest",
        "company",
    ];
    let d = design(config)?;
    let mut r = csv::ReaderBuilder::new()
        .buffer_capacity(BUFFER)
        .from_path(input)?;
    let headers = r.headers()?.clone();
    let numeric: Vec<bool> = headers
        .iter()
        .map(|h| !TEXT.contains(&h) && !d.categorical.iter().any(|c| c == h))
        .collect();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| io::Error::other(format!("no column {name:?} in {}", input.display())))
    };
    let cat_cols: Vec<usize> = d
        .categorical
        .iter()
        .map(|c| col(c))
        .collect::<Result<_, _>>()?;
    let num_cols: Vec<usize> = d.numeric.iter().map(|c| col(c)).collect::<Result<_, _>>()?;
    let mut terms: [Vec<(usize, f64, Option<usize>)>; 2] = [Vec::new(), Vec::new()];
    for (side, out) in d.terms.iter().zip(terms.iter_mut()) {
        for (c, rate, times) in side {
            out.push((col(c)?, *rate, times.as_deref().map(col).transpose()?));
        }
    }
    // Dense XᵀX with room for MAX_LEVELS one-hot columns; a row touches only its own entries.
    const MAX_LEVELS: usize = 256;
    let p = 1 + MAX_LEVELS + num_cols.len();
    let mut levels: Vec<rustc_hash::FxHashMap<Vec<u8>, usize>> =
        vec![Default::default(); cat_cols.len()];
    let mut n_levels = 0usize;
    let mut xtx = vec![0.0f64; p * p];
    let mut xty = vec![[0.0f64; 2]; p];
    let mut idx = vec![0usize; 1 + cat_cols.len() + num_cols.len()];
    let mut val = vec![1.0f64; idx.len()];
    let mut parsed = vec![0.0f64; headers.len()];
    let mut record = csv::ByteRecord::new();
    let mut text_bytes = 0usize;
    while r.read_byte_record(&mut record)? {
        for (i, (field, &is_number)) in record.iter().zip(&numeric).enumerate() {
            let s = std::str::from_utf8(field).map_err(io::Error::other)?;
            parsed[i] = if !is_number {
                text_bytes += s.len();
                0.0
            } else if s.is_empty() {
                0.0
            } else {
                s.parse::<f64>().map_err(io::Error::other)?
            };
        }
        for (k, &c) in cat_cols.iter().enumerate() {
            let level = match levels[k].get(&record[c]) {
                Some(&j) => j,
                None => {
                    n_levels += 1;
                    if n_levels > MAX_LEVELS {
                        return Err(io::Error::other("more than 256 categorical levels"));
                    }
                    levels[k].insert(record[c].to_vec(), n_levels);
                    n_levels
                }
            };
            idx[1 + k] = level;
        }
        for (k, &c) in num_cols.iter().enumerate() {
            idx[1 + cat_cols.len() + k] = 1 + MAX_LEVELS + k;
            val[1 + cat_cols.len() + k] = parsed[c];
        }
        let y = terms.each_ref().map(|side| {
            side.iter()
                .map(|&(c, rate, times)| parsed[c] * rate * times.map_or(1.0, |t| parsed[t]))
                .sum::<f64>()
        });
        for (&ia, &va) in idx.iter().zip(&val) {
            let row = &mut xtx[ia * p..(ia + 1) * p];
            for (&ib, &vb) in idx.iter().zip(&val) {
                row[ib] += va * vb;
            }
            xty[ia][0] += va * y[0];
            xty[ia][1] += va * y[1];
        }
    }
    std::hint::black_box((&xtx, &xty, text_bytes));
    Ok(())
}

// ---------------------------------------------------------------------------
// Measuring a child process
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Sample {
    secs: f64,
    cpu_secs: f64,
    max_rss_kib: u64,
}

/// Runs `cmd` to completion and returns its wall time and its own rusage (`wait4`), with
/// stdout and stderr in `log`.
#[cfg(unix)]
fn measure(cmd: &mut Command, log: &Path) -> Result<Sample, String> {
    let out = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, not yet reaped; the pointers are valid for the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(format!("wait4 failed: {e}"));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    // Reaped by wait4: dropping `child` neither waits nor kills.
    drop(child);
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "{cmd:?} failed (wait status {status}); its output ends:\n{}",
            tail.join("\n")
        ));
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Sample {
        secs,
        cpu_secs: tv(usage.ru_utime) + tv(usage.ru_stime),
        // KiB on Linux.
        max_rss_kib: usage.ru_maxrss as u64,
    })
}

/// Without `wait4` a step's own CPU time and peak memory cannot be told apart from the bench's.
#[cfg(not(unix))]
fn measure(_cmd: &mut Command, _log: &Path) -> Result<Sample, String> {
    Err("the throughput bench needs a Unix system: it measures each step with wait4".into())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    CsvPass,
    CustomersRead,
    Train,
    ScoreSorted,
    ScoreKeepOrder,
    /// `export --format xlsx` of every lead: the workbook for managers.
    ExportXlsx,
    /// `export --format json` of every lead: records for integrations.
    ExportJson,
}

impl Step {
    /// Table order.
    const ALL: [Step; 7] = [
        Step::CsvPass,
        Step::ScoreSorted,
        Step::ScoreKeepOrder,
        Step::ExportXlsx,
        Step::ExportJson,
        Step::CustomersRead,
        Step::Train,
    ];
    /// Run order within a round: `score` first, so the csv pass knows how many bytes to write.
    const RUN_ORDER: [Step; 7] = [
        Step::ScoreSorted,
        Step::CsvPass,
        Step::ScoreKeepOrder,
        Step::ExportXlsx,
        Step::ExportJson,
        Step::CustomersRead,
        Step::Train,
    ];

    fn label(self) -> &'static str {
        match self {
            Step::CsvPass => "A  csv pass (leads)",
            Step::ScoreSorted => "   score (sorted)",
            Step::ScoreKeepOrder => "   score --keep-order",
            Step::ExportXlsx => "   export xlsx",
            Step::ExportJson => "   export json",
            Step::CustomersRead => "B  customers read + X'X",
            Step::Train => "   train (5-fold CV)",
        }
    }

    fn file_stem(self) -> &'static str {
        match self {
            Step::CsvPass => "csv-pass",
            Step::ScoreSorted => "score-sorted",
            Step::ScoreKeepOrder => "score-keep-order",
            Step::ExportXlsx => "export-xlsx",
            Step::ExportJson => "export-json",
            Step::CustomersRead => "customers-read-gram",
            Step::Train => "train",
        }
    }

    fn reads_customers(self) -> bool {
        matches!(self, Step::CustomersRead | Step::Train)
    }
}

/// Everything measured at one size.
struct SizeResult {
    n: usize,
    customers_bytes: u64,
    leads_bytes: u64,
    score_out_bytes: u64,
    pass_out_bytes: u64,
    /// Bytes of the first lead's id.
    id_len: usize,
    samples: Vec<(Step, Vec<Sample>)>,
}

impl SizeResult {
    fn samples(&self, step: Step) -> &[Sample] {
        self.samples
            .iter()
            .find(|(s, _)| *s == step)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    fn median_secs(&self, step: Step) -> f64 {
        median(self.samples(step).iter().map(|s| s.secs).collect())
    }

    fn median_cpu(&self, step: Step) -> f64 {
        median(self.samples(step).iter().map(|s| s.cpu_secs).collect())
    }

    /// Peak RSS in KiB: the largest over the runs.
    fn peak_rss_kib(&self, step: Step) -> u64 {
        self.samples(step)
            .iter()
            .map(|s| s.max_rss_kib)
            .max()
            .unwrap_or(0)
    }

    fn ratio(&self, step: Step, baseline: Step) -> f64 {
        self.median_secs(step) / self.median_secs(baseline)
    }

    /// The same ratio in CPU time (user + system): less disturbed by other load on the machine.
    fn cpu_ratio(&self, step: Step, baseline: Step) -> f64 {
        self.median_cpu(step) / self.median_cpu(baseline)
    }
}

fn run(opts: &Opts) -> Result<(), String> {
    let started = Instant::now();
    let leadscore = PathBuf::from(env!("CARGO_BIN_EXE_leadscore"));
    let me = std::env::current_exe().map_err(|e| format!("cannot find the bench binary: {e}"))?;
    let _temp;
    let dir = match &opts.dir {
        Some(d) => {
            std::fs::create_dir_all(d)
                .map_err(|e| format!("cannot create {}: {e}", d.display()))?;
            d.clone()
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("leadscore-bench-")
                .tempdir()
                .map_err(|e| format!("cannot create a temp dir: {e}"))?;
            let p = t.path().to_path_buf();
            _temp = t;
            p
        }
    };

    let config = dir.join("leadscore.toml");
    let repo_config = Path::new(env!("CARGO_MANIFEST_DIR")).join("leadscore.toml");
    let config_source = if repo_config.is_file() {
        std::fs::copy(&repo_config, &config)
            .map_err(|e| format!("cannot copy {}: {e}", repo_config.display()))?;
        format!("copied from {}", repo_config.display())
    } else {
        std::fs::write(&config, CONFIG)
            .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
        "built in (the generator's columns; no leadscore.toml at the repo root)".to_string()
    };

    println!("leadscore throughput benchmark");
    println!("  leadscore  {} ({})", leadscore.display(), source_state());
    println!("  data       {} (seed {})", dir.display(), opts.seed);
    println!("  config     {config_source}");
    println!(
        "  runs       {} per step, interleaved; time = median run, peak RSS = largest of the runs",
        opts.reps
    );

    // What a child that does nothing reports: Linux counts the spawning process's pages at
    // exec, so this is a floor under every RSS figure below.
    let floor = measure(Command::new(&me).arg(NOOP), &dir.join("noop.log"))?;

    let mut results = Vec::new();
    for &n in &opts.sizes {
        results.push(run_size(opts, n, &dir, &config, &leadscore, &me)?);
    }
    println!();
    print!("{}", report(&results, floor));
    println!(
        "\nTotal run time {:.1} s ({} size(s), runs per step: {}).",
        started.elapsed().as_secs_f64(),
        opts.sizes.len(),
        opts.reps
    );
    Ok(())
}

/// The commit the binary was built from, `+` uncommitted changes, if git can tell.
fn source_state() -> String {
    Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(["describe", "--always", "--dirty=+uncommitted changes"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(
            || "commit unknown".into(),
            |s| format!("commit {}", s.trim()),
        )
}

/// Length of the first record's first field (the generator's ids all have the same length).
fn first_id_len(leads: &Path) -> Result<usize, String> {
    let mut r = csv::Reader::from_path(leads).map_err(|e| format!("{}: {e}", leads.display()))?;
    let mut rec = csv::ByteRecord::new();
    r.read_byte_record(&mut rec)
        .map_err(|e| format!("{}: {e}", leads.display()))?;
    Ok(rec.get(0).map_or(0, <[u8]>::len))
}

fn file_len(p: &Path) -> Result<u64, String> {
    std::fs::metadata(p)
        .map(|m| m.len())
        .map_err(|e| format!("cannot stat {}: {e}", p.display()))
}

/// Writes `path` through a temp name, so an interrupted run never leaves a short file to reuse.
fn generate(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), String> {
    if path.is_file() {
        return Ok(());
    }
    let tmp = path.with_extension("csv.partial");
    let file = File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let mut w = BufWriter::with_capacity(BUFFER, file);
    body(&mut w)
        .and_then(|()| w.flush())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot rename {}: {e}", tmp.display()))
}

fn run_size(
    opts: &Opts,
    n: usize,
    dir: &Path,
    config: &Path,
    leadscore: &Path,
    me: &Path,
) -> Result<SizeResult, String> {
    let customers = dir.join(format!("customers-{n}-s{}.csv", opts.seed));
    let leads = dir.join(format!("leads-{n}-s{}.csv", opts.seed));
    let t = Instant::now();
    let reused = customers.is_file() && leads.is_file();
    generate(&customers, |w| story::write_customers(w, n, opts.seed))?;
    generate(&leads, |w| story::write_leads(w, n, opts.seed, |_, _| {}))?;
    let customers_bytes = file_len(&customers)?;
    let leads_bytes = file_len(&leads)?;
    println!(
        "\nN = {n}: customers {:.1} MB, leads {:.1} MB ({} in {:.1} s)",
        customers_bytes as f64 / 1e6,
        leads_bytes as f64 / 1e6,
        if reused { "reused" } else { "generated" },
        t.elapsed().as_secs_f64()
    );

    let models = dir.join(format!("models-{n}"));
    let out_sorted = dir.join(format!("scores-{n}.csv"));
    let out_keep = dir.join(format!("scores-keep-order-{n}.csv"));
    let out_pass = dir.join(format!("csv-pass-{n}.csv"));
    let out_xlsx = dir.join(format!("export-{n}.xlsx"));
    let out_json = dir.join(format!("export-{n}.json"));
    let log = |step: Step| dir.join(format!("{}-{n}.log", step.file_stem()));

    // `score` needs a model before the first round; this run is not measured.
    measure(
        Command::new(leadscore)
            .arg("train")
            .arg("--history")
            .arg(&customers)
            .arg("--config")
            .arg(config)
            .arg("--models")
            .arg(&models),
        &log(Step::Train),
    )?;

    let mut samples: Vec<(Step, Vec<Sample>)> =
        Step::ALL.iter().map(|&s| (s, Vec::new())).collect();
    let mut pad = None;
    for rep in 0..opts.reps {
        for step in Step::RUN_ORDER {
            if opts.skip_export && matches!(step, Step::ExportXlsx | Step::ExportJson) {
                continue;
            }
            let mut cmd;
            match step {
                Step::CsvPass => {
                    cmd = Command::new(me);
                    let pad: usize = pad.expect("score ran first");
                    cmd.arg(BASELINE_PASS)
                        .arg(&leads)
                        .arg(&out_pass)
                        .arg(pad.to_string());
                }
                Step::CustomersRead => {
                    cmd = Command::new(me);
                    cmd.arg(BASELINE_READ).arg(&customers).arg(config);
                }
                Step::Train => {
                    cmd = Command::new(leadscore);
                    cmd.arg("train")
                        .arg("--history")
                        .arg(&customers)
                        .arg("--config")
                        .arg(config)
                        .arg("--models")
                        .arg(&models);
                }
                Step::ExportXlsx | Step::ExportJson => {
                    cmd = Command::new(leadscore);
                    let out = if step == Step::ExportXlsx {
                        &out_xlsx
                    } else {
                        &out_json
                    };
                    cmd.arg("export")
                        .arg(&leads)
                        .arg("--model")
                        .arg(&models)
                        .arg("-o")
                        .arg(out);
                }
                Step::ScoreSorted | Step::ScoreKeepOrder => {
                    cmd = Command::new(leadscore);
                    cmd.arg("score").arg(&leads).arg("--model").arg(&models);
                    if step == Step::ScoreKeepOrder {
                        cmd.arg("--keep-order").arg("-o").arg(&out_keep);
                    } else {
                        cmd.arg("-o").arg(&out_sorted);
                    }
                }
            }
            let s = measure(&mut cmd, &log(step))?;
            if step == Step::ScoreSorted && pad.is_none() {
                // Bytes the csv pass must add to each lead, beyond its fields, to write as
                // much as `score` does (the commas of the extra fields included).
                let per_row = file_len(&out_sorted)?.saturating_sub(leads_bytes) as f64 / n as f64;
                pad = Some((per_row.round() as usize).saturating_sub(EXTRA_FIELDS));
            }
            eprintln!(
                "  run {}/{}  {:<22} {:>7.2} s  {:>7.1} MiB",
                rep + 1,
                opts.reps,
                step.label().trim(),
                s.secs,
                s.max_rss_kib as f64 / 1024.0
            );
            samples
                .iter_mut()
                .find(|(st, _)| *st == step)
                .expect("every step has a slot")
                .1
                .push(s);
        }
    }
    let score_out_bytes = file_len(&out_sorted)?;
    let keep_out_bytes = file_len(&out_keep)?;
    if keep_out_bytes != score_out_bytes {
        return Err(format!(
            "sorted and --keep-order outputs differ in size: {score_out_bytes} vs {keep_out_bytes} bytes"
        ));
    }
    let pass_out_bytes = file_len(&out_pass)?;
    // 100+ MB each at 1M rows: only the last size's outputs stay, for a look.
    for p in [&out_sorted, &out_keep, &out_pass, &out_xlsx, &out_json] {
        if opts.sizes.last() != Some(&n) {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(SizeResult {
        n,
        customers_bytes,
        leads_bytes,
        score_out_bytes,
        pass_out_bytes,
        id_len: first_id_len(&leads)?,
        samples,
    })
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn pass_fail(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

/// `1234567` as `1,234,567`.
fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn report(results: &[SizeResult], floor: Sample) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<22} {:>9} {:>9} {:>7} {:>11} {:>8} {:>9}",
        "step", "N", "median s", "cpu s", "rows/s", "in MB/s", "peak MiB"
    );
    for r in results {
        for step in Step::ALL {
            if r.samples(step).is_empty() {
                continue; // --skip-export
            }
            let secs = r.median_secs(step);
            let input = if step.reads_customers() {
                r.customers_bytes
            } else {
                r.leads_bytes
            };
            let _ = writeln!(
                s,
                "{:<22} {:>9} {:>9.3} {:>7.2} {:>11} {:>8.1} {:>9.1}",
                step.label(),
                r.n,
                secs,
                r.median_cpu(step),
                thousands(r.n as f64 / secs),
                input as f64 / 1e6 / secs,
                mib(r.peak_rss_kib(step))
            );
        }
    }
    let _ = writeln!(
        s,
        "\nA = plain csv-crate pass over the leads: every field of every record read (ByteRecord) \
         and written back\n    with {EXTRA_FIELDS} extra fields so it writes as many bytes as score. \
         B = plain csv read of the customers,\n    every field UTF-8 checked, the numeric ones \
         parsed as f64, and X'X and X'y of the plain one-hot design\n    accumulated once \
         (which any trainer of a linear model must do).\nA child that does nothing peaks at {:.1} MiB \
         (Linux counts the spawning process's pages): a floor under every RSS figure.",
        mib(floor.max_rss_kib)
    );
    for r in results {
        let _ = writeln!(
            s,
            "N = {}: leads {} bytes in; score writes {} bytes, the csv pass {} bytes ({:+.1}%).",
            r.n,
            r.leads_bytes,
            r.score_out_bytes,
            r.pass_out_bytes,
            (r.pass_out_bytes as f64 / r.score_out_bytes as f64 - 1.0) * 100.0
        );
    }

    let _ = writeln!(
        s,
        "\nRatios (median wall time over median wall time, same run; cpu = the same in CPU time):"
    );
    let _ = writeln!(
        s,
        "{:<34} {:>9} {:>8} {:>8} {:>8}",
        "", "N", "ratio", "cpu", "target"
    );
    let last = results.last().expect("at least one size");
    for r in results {
        let judged = std::ptr::eq(r, last);
        let rows = [
            (
                "score (sorted) / csv pass",
                Step::ScoreSorted,
                Step::CsvPass,
                Some(SCORE_TARGET),
            ),
            (
                "score (keep-order) / csv pass",
                Step::ScoreKeepOrder,
                Step::CsvPass,
                Some(KEEP_ORDER_TARGET),
            ),
            (
                "export xlsx / score (sorted)",
                Step::ExportXlsx,
                Step::ScoreSorted,
                None,
            ),
            (
                "export json / score (sorted)",
                Step::ExportJson,
                Step::ScoreSorted,
                None,
            ),
            (
                "train / customers read + X'X",
                Step::Train,
                Step::CustomersRead,
                Some(TRAIN_TARGET),
            ),
        ];
        for (name, step, baseline, target) in rows {
            if r.samples(step).is_empty() {
                continue; // --skip-export
            }
            let ratio = r.ratio(step, baseline);
            // Judged on wall time, at the largest size.
            let verdict = match target {
                Some(t) if judged => pass_fail(ratio <= t),
                _ => "",
            };
            let _ = writeln!(
                s,
                "{name:<34} {:>9} {ratio:>8.2} {:>8.2} {:>8} {verdict}",
                r.n,
                r.cpu_ratio(step, baseline),
                target.map_or_else(|| "-".to_string(), |t| format!("<= {t:.1}"))
            );
        }
    }
    if last.n != 1_000_000 {
        let _ = writeln!(
            s,
            "(the targets are stated for 1,000,000 rows; judged here at N = {})",
            last.n
        );
    }

    let first = &results[0];
    let _ = writeln!(s, "\nMemory (peak RSS):");
    for r in results {
        let _ = writeln!(
            s,
            "{:<34} {:>9} {:>8.0}",
            "train peak bytes per customer",
            r.n,
            mib(r.peak_rss_kib(Step::Train)) * 1048576.0 / r.n as f64
        );
    }
    if results.len() > 1 {
        let _ = writeln!(
            s,
            "keep-order peak RSS {:.1} MiB at N = {} and {:.1} MiB at N = {} ({:.2}x for {:.0}x the leads)",
            mib(first.peak_rss_kib(Step::ScoreKeepOrder)),
            first.n,
            mib(last.peak_rss_kib(Step::ScoreKeepOrder)),
            last.n,
            mib(last.peak_rss_kib(Step::ScoreKeepOrder))
                / mib(first.peak_rss_kib(Step::ScoreKeepOrder)),
            last.n as f64 / first.n as f64
        );
        let leads = (last.n - first.n) as f64;
        let index = (index_bytes(last.n, last.id_len) - index_bytes(first.n, first.id_len)) / leads;
        for (name, step) in [
            ("keep-order RSS bytes per extra lead", Step::ScoreKeepOrder),
            ("sorted RSS bytes per extra lead", Step::ScoreSorted),
        ] {
            let grow = last.peak_rss_kib(step) as f64 - first.peak_rss_kib(step) as f64;
            let _ = writeln!(s, "{name:<34} {:>9} {:>8.0}", "", grow * 1024.0 / leads);
        }
        let _ = writeln!(
            s,
            "{:<34} {:>9} {index:>8.0}",
            "  of which the duplicate-id index", "(estimate)"
        );
        let _ = writeln!(
            s,
            "(--keep-order is flat when its growth is the duplicate-id index alone: a 16-byte hash slot at\n\
             a load of at most 3/4, the id's {} bytes and its line number per lead, src/io/ids.rs. Sorted must also\n\
             hold every output row until the end: {:.0} bytes of CSV per lead at N = {}, plus its sort key.)",
            last.id_len,
            last.score_out_bytes as f64 / last.n as f64,
            last.n
        );
    } else {
        let _ = writeln!(
            s,
            "Memory flatness not measured: run with --sizes 100000,10000000 (or 100000,1000000) to compare two sizes."
        );
    }
    s
}

/// Estimated bytes of the duplicate-id index (`src/io/ids.rs`) for `n` ids of `id_len` bytes:
/// an open-addressing table of 16-byte slots, at most 3/4 full and a power of two, and per id
/// its bytes, a LEB128 line number and a one-byte length.
fn index_bytes(n: usize, id_len: usize) -> f64 {
    let slots = (n * 4).div_ceil(3).next_power_of_two();
    let leb = |v: usize| (usize::BITS - v.leading_zeros()).max(1).div_ceil(7) as usize;
    (16 * slots + n * (id_len + leb(n + 1) + 1)) as f64
}
