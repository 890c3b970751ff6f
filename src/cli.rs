//! What the user can type. Parsed by clap; nothing here does work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Score leads before first contact: expected lifetime return against expected service burden,
/// in money, with the reasons.
#[derive(Debug, Parser)]
#[command(name = "leadscore", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a starter leadscore.toml with every key explained
    Init(InitArgs),
    /// Fit the return and burden models on past customers and save the model
    Train(TrainArgs),
    /// Score a lead list: expected return, burden, net value, tier, recommendation, reasons
    Score(ScoreArgs),
    /// Show one lead's whole breakdown: baseline, every feature's contribution, interval
    Explain(ExplainArgs),
    /// Show how much to trust the scores: errors, gains, calibration, whale curve, coverage
    Evaluate(EvaluateArgs),
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Cross-validate on these past customers (with --config)
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Judge the model (--model) on customers it never saw, outcomes included
    #[arg(long, value_name = "FILE")]
    pub holdout: Option<PathBuf>,
    /// Show the predicted whale curve of a lead list (with --model)
    #[arg(long, value_name = "FILE")]
    pub leads: Option<PathBuf>,
    /// Compare a lead list with the training data, feature by feature (with --model)
    #[arg(long, value_name = "FILE")]
    pub drift: Option<PathBuf>,
    /// The config, for --history (default: the one the model was trained with, else
    /// leadscore.toml)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A model file, or a directory holding model.json, for --holdout, --leads and --drift (and
    /// whose config --history reuses)
    #[arg(
        long,
        value_name = "PATH",
        default_value = "models",
        visible_alias = "models"
    )]
    pub model: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the gains, calibration and whale charts (PNG and SVG) into DIR
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Field delimiter (default: sniffed from the header)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people
    Text,
    /// JSON for programs, at full precision
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// CSV of leads holding the lead to explain; `-` reads standard input
    #[arg(value_name = "LEADS")]
    pub leads: PathBuf,
    /// The id of the lead to explain
    #[arg(long, value_name = "ID")]
    pub id: String,
    /// A model file, or a directory holding model.json
    #[arg(
        long,
        value_name = "PATH",
        default_value = "models",
        visible_alias = "models"
    )]
    pub model: PathBuf,
    /// The id column of the lead list (default: the model's lead id column)
    #[arg(long, value_name = "COLUMN")]
    pub id_column: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Field delimiter (default: sniffed from the header)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Decimals of the money in the table
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub decimals: u8,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Guess the columns and economics from this CSV's header and values
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Where to write the config
    #[arg(short, long, value_name = "FILE", default_value = "leadscore.toml")]
    pub output: PathBuf,
    /// With --from: a lead list; history columns it lacks are left out of [features], since
    /// they cannot be known before contact
    #[arg(long, value_name = "FILE", requires = "from")]
    pub leads: Option<PathBuf>,
    /// Replace the config file if it exists
    #[arg(long)]
    pub force: bool,
    /// Field delimiter of --from (default: sniffed from the header)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// CSV of past customers: pre-contact attributes and what they earned and cost
    #[arg(long, value_name = "FILE")]
    pub history: PathBuf,
    /// The config describing the columns and the economics
    #[arg(long, value_name = "FILE", default_value = "leadscore.toml")]
    pub config: PathBuf,
    /// Directory to save the model in (as model.json), or a model file path ending in .json
    #[arg(
        long,
        value_name = "PATH",
        default_value = "models",
        visible_alias = "model"
    )]
    pub models: PathBuf,
    /// A lead list to check before fitting: it must have the lead id column and every feature
    #[arg(long, value_name = "FILE")]
    pub leads: Option<PathBuf>,
    /// Output format of the report
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Field delimiter (default: sniffed from the header)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// CSV of leads with the same pre-contact columns as the history; `-` (or none, when
    /// something is piped in) reads standard input
    #[arg(value_name = "LEADS")]
    pub leads: Option<PathBuf>,
    /// A model file, or a directory holding model.json
    #[arg(
        long,
        value_name = "PATH",
        default_value = "models",
        visible_alias = "models"
    )]
    pub model: PathBuf,
    /// Write the scores here instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Keep the input order (streams: memory stays flat) instead of sorting by expected net value
    #[arg(long)]
    pub keep_order: bool,
    /// Append the lead's own columns after the scores
    #[arg(long)]
    pub with_input: bool,
    /// Write rows that cannot be scored, with the reason, to FILE and score the rest
    #[arg(long, value_name = "FILE")]
    pub skip_invalid: Option<PathBuf>,
    /// The id column of the lead list (default: the model's lead id column)
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,
    /// Field delimiter (default: sniffed from the header)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Decimals of the money columns
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub decimals: u8,
}

/// `,` `;` `|`, `tab` or `\t`.
fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "," | ";" | "|" | ":" => Ok(s.as_bytes()[0]),
        _ => Err(format!("expected one of , ; | : or \"tab\", got \"{s}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn delimiters() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert!(parse_delimiter("ab").is_err());
        assert!(parse_delimiter("x").is_err());
    }
}
