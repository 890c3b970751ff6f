//! leadscore decides, before anyone picks up the phone, which prospective customers are worth
//! contacting: it learns from past customers what a relationship earned (lifetime return) and
//! what it cost to win and keep (service burden), and scores a lead list in money with reasons.
//!
//! The layers, top to bottom (a layer uses only those below it; see ARCHITECTURE.md):
//!
//! - [`cli`]: what was typed (clap). [`cmd`]: one module per subcommand, each `run(&Args)`.
//! - [`report`]: what a command shows people, built as data and rendered in one place.
//! - [`write`]: writers of scored leads, one per format, fed the same typed rows.
//! - [`fit`]: learning from past customers: reading the history, the schema, the ridge fits.
//! - [`model`]: the model file, the scoring equation it describes, and scoring leads with it.
//! - [`io`]: CSV in with file/line/column errors, results out atomically, the parallel pipeline.
//! - [`config`], [`profile`], [`economics`], [`stats`], [`parallel`], [`error`]: validated
//!   settings, CRM import profiles as data, the money arithmetic, the statistics, the thread
//!   count, and the one error type.

pub mod cli;
pub mod cmd;
pub mod config;
pub mod economics;
pub mod error;
pub mod fit;
pub mod io;
pub mod model;
pub mod parallel;
pub mod plan;
pub mod profile;
pub mod report;
pub mod sql;
pub mod stats;
pub mod write;

pub use cmd::Outcome;
pub use error::{Error, Result};

/// Runs one command line.
pub fn run(cli: cli::Cli) -> Result<Outcome> {
    // Settings read from the environment are checked once, before any work, like flags.
    crate::parallel::threads_setting().map_err(error::Error::Usage)?;
    crate::io::date::source_date_epoch().map_err(error::Error::Usage)?;
    let done = |r: Result<()>| r.map(|()| Outcome::Done);
    match cli.command {
        cli::Command::Init(args) => done(cmd::init::run(&args)),
        cli::Command::Train(args) => done(cmd::train::run(&args)),
        cli::Command::Score(args) => done(cmd::score::run(&args)),
        cli::Command::Explain(args) => done(cmd::explain::run(&args)),
        cli::Command::Evaluate(args) => done(cmd::evaluate::run(&args)),
        cli::Command::Retrain(args) => cmd::retrain::run(&args),
        cli::Command::Models(args) => done(cmd::models::run(&args)),
        cli::Command::Export(args) => done(cmd::export::run(&args)),
        cli::Command::Sql(args) => done(cmd::sql::run(&args)),
        cli::Command::Plan(args) => done(cmd::plan::run(&args)),
    }
}
