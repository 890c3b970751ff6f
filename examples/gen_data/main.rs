//! Deterministic sample data for leadscore.
//!
//! ```text
//! cargo run --release --example gen_data -- [--customers N] [--leads N] [--q4 N] [--seed S] [--out DIR]
//! ```
//!
//! Writes `DIR/customers.csv`, `DIR/leads.csv` and the later batch
//! `DIR/customers_2026q4.csv` (defaults: 3000 customers, 1000 leads, 640 new
//! customers in the batch, seed 42, DIR = `data`). Rows are streamed, so
//! millions of rows need no more memory than a few. The generating process and
//! its true effects live in `story.rs` and are documented in `data/README.md`.

mod story;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: gen_data [--customers N] [--leads N] [--q4 N] [--seed S] [--out DIR]

  --customers N   historical customers to write (default 3000)
  --leads N       fresh leads to write (default 1000)
  --q4 N          new customers in customers_2026q4.csv (default 640)
  --seed S        random seed, u64 (default 42)
  --out DIR       output directory, created if missing (default data)";

struct Args {
    customers: usize,
    leads: usize,
    q4: usize,
    seed: u64,
    out: PathBuf,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        customers: 3000,
        leads: 1000,
        q4: story::Q4_NEW_DEFAULT,
        seed: 42,
        out: PathBuf::from("data"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (flag.clone(), None),
        };
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T, String> {
            v.trim()
                .replace('_', "")
                .parse()
                .map_err(|_| format!("{name}: not a non-negative integer: {v:?}"))
        }
        match name.as_str() {
            "--customers" => args.customers = num(&name, value()?)?,
            "--leads" => args.leads = num(&name, value()?)?,
            "--q4" => args.q4 = num(&name, value()?)?,
            "--seed" => args.seed = num(&name, value()?)?,
            "--out" => args.out = PathBuf::from(value()?),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(args))
}

fn write_file(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), String> {
    let file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    body(&mut w)
        .and_then(|()| w.flush())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn run(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;

    let customers = args.out.join("customers.csv");
    let mut mistyped = None;
    write_file(&customers, |w| {
        story::write_customers_with(w, args.customers, args.seed, |c| {
            if c.mistyped_annual_revenue {
                mistyped = Some(c.id.clone());
            }
        })
    })?;
    let mistyped = mistyped
        .map(|id| format!(", mistyped annual_revenue: {id}"))
        .unwrap_or_default();
    eprintln!(
        "wrote {} ({} customers, seed {}{mistyped})",
        customers.display(),
        args.customers,
        args.seed
    );

    let leads = args.out.join("leads.csv");
    write_file(&leads, |w| {
        story::write_leads(w, args.leads, args.seed, |_, _| {})
    })?;
    eprintln!(
        "wrote {} ({} leads, seed {})",
        leads.display(),
        args.leads,
        args.seed
    );

    let q4 = args.out.join("customers_2026q4.csv");
    let mut counts = None;
    write_file(&q4, |w| {
        counts = Some(story::write_customers_q4(
            w,
            args.customers,
            args.q4,
            args.seed,
            |_, _| {},
        )?);
        Ok(())
    })?;
    let c = counts.unwrap_or_default();
    eprintln!(
        "wrote {} ({} new, {} updated and {} unchanged customers, seed {})",
        q4.display(),
        c.new,
        c.updated,
        c.unchanged,
        args.seed
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(args)) => match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gen_data: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("gen_data: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
