//! leadscore decides, before anyone picks up the phone, which prospective customers are worth
//! contacting: it learns from past customers what a relationship earned (lifetime return) and
//! what it cost to win and keep (service burden), and scores a lead list in money with reasons.
//!
//! Data flows one way: `cli` (what was typed) → `config` (checked settings) → `cmd::<name>::run`
//! → the library (`history`, `training`, `model`, `table`). The money arithmetic is in
//! `economics`; the statistics in `ridge`, `training` and `stats`.

pub mod chart;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod drift;
pub mod economics;
pub mod error;
pub mod evaluation;
pub mod features;
pub mod history;
pub mod model;
pub mod pipeline;
pub mod ridge;
pub mod stats;
pub mod table;
pub mod training;

pub use error::{Error, Result};

/// Runs one command line.
pub fn run(cli: cli::Cli) -> Result<()> {
    match cli.command {
        cli::Command::Init(args) => cmd::init::run(&args),
        cli::Command::Train(args) => cmd::train::run(&args),
        cli::Command::Score(args) => cmd::score::run(&args),
        cli::Command::Explain(args) => cmd::explain::run(&args),
        cli::Command::Evaluate(args) => cmd::evaluate::run(&args),
    }
}
