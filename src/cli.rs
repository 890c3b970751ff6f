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
    /// Merge new customers into the kept history, train a candidate, compare it with the
    /// current model on recent customers, and promote it only if it is not worse
    Retrain(RetrainArgs),
    /// The model versions: list, show, diff, promote, rollback, prune
    Models(ModelsArgs),
    /// Score a lead list (or take a file `score --with-input` wrote) and write it where sales
    /// teams work: CSV (or a CRM's import file), an Excel workbook, JSON, or one HTML page
    Export(ExportArgs),
    /// Write the model's scoring as one SQL query (or view) over a lead table, to score leads
    /// where they are: what `score` writes, each feature's part in money, the guesses
    Sql(SqlArgs),
    /// Choose the leads that bring the most expected net value within the hours the team (or
    /// each rep, territory or team) has, using each lead's predicted hours
    Plan(PlanArgs),
}

/// Exit codes of `retrain`, for schedulers: 0 promoted, 3 kept the current model (the
/// candidate is kept as a version), 1 failed while running, 2 bad input or usage.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 the candidate was promoted (with --dry-run: would be), \
3 the current model was kept (the candidate is stored as a version, not current), \
1 the run failed (disk, lock held with --no-wait), 2 bad input or usage. \
Nothing is written when it fails."
)]
pub struct RetrainArgs {
    /// CSV files of customers won or updated since the last training, oldest first: a customer
    /// already in the kept history is replaced by its newer row
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub history: Vec<PathBuf>,
    /// The models directory (the registry)
    #[arg(
        long,
        value_name = "DIR",
        default_value = "models",
        visible_alias = "model"
    )]
    pub models: PathBuf,
    /// Train the candidate with this config instead of the one the current model was
    /// trained with (its economics must be the same)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Start a new history from these files alone, when the one the current model learnt from
    /// cannot be found as it was
    #[arg(long)]
    pub fresh: bool,
    /// Promote the candidate whatever the comparison says
    #[arg(long, conflicts_with = "dry_run")]
    pub force: bool,
    /// Compare and decide, but write nothing: no version, no history, no promotion
    #[arg(long)]
    pub dry_run: bool,
    /// Fail at once if another run is writing to the models directory, instead of waiting
    #[arg(long)]
    pub no_wait: bool,
    /// Output format of the report
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Field delimiter of the new files (default: sniffed from each file's header); the
    /// history merged into is read with the delimiter its version recorded
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub action: ModelsAction,
    /// The models directory (the registry)
    #[arg(long, value_name = "DIR", default_value = "models", global = true)]
    pub models: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
    /// Fail at once if another run is writing to the models directory, instead of waiting
    #[arg(long, global = true)]
    pub no_wait: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Every version: when, on how many customers, its figures, which is current and why
    List,
    /// One version: its data, settings, figures and effects in money
    Show {
        /// v0003, v3 or 3
        #[arg(value_name = "VERSION")]
        version: String,
    },
    /// What changed from one version to another: effects, categories, figures
    Diff {
        #[arg(value_name = "FROM")]
        from: String,
        #[arg(value_name = "TO")]
        to: String,
    },
    /// Make a version current
    Promote {
        #[arg(value_name = "VERSION")]
        version: String,
    },
    /// Make the version that was current before the current one current again
    Rollback,
    /// Remove all but the newest versions (never the current one, nor the newest)
    Prune {
        /// How many of the newest versions to keep
        #[arg(long, value_name = "N")]
        keep: usize,
    },
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
    /// Fail at once if another run is writing to the models directory, instead of waiting
    #[arg(long)]
    pub no_wait: bool,
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
    /// Add each economics term's share of return and burden, in money (adding up to them) and
    /// in its column's units: burden_sales_effort, expected_sales_hours, ...
    #[arg(long)]
    pub components: bool,
    /// Add the net value broken down, in money: baseline_net, one contribution_<feature> per
    /// feature and floor_net, adding up to expected_net as written (the columns `sql` returns)
    #[arg(long)]
    pub breakdown: bool,
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

#[derive(Debug, Args)]
#[command(after_help = "Example: leadscore plan data/leads.csv --by region \
--capacity-file data/territories.csv -o plan.csv")]
pub struct PlanArgs {
    /// CSV of leads, as for `score`; `-` (or none, when something is piped in) reads standard
    /// input
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
    /// The hours the team has, as COLUMN=HOURS: COLUMN an hours column of the burden the model
    /// predicts (sales_hours); with --by, the hours of each group
    #[arg(long, value_name = "COLUMN=HOURS")]
    pub capacity: Option<String>,
    /// Plan each group of leads on its own: the lead list's column naming the rep, territory
    /// or team
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,
    /// The hours of each group: a CSV whose first column holds the --by values and whose second
    /// is named after the hours planned (e.g. "owner,sales_hours")
    // The conflict is told before the missing --by, which it makes moot.
    #[arg(
        long,
        value_name = "FILE",
        requires = "by",
        conflicts_with = "capacity"
    )]
    pub capacity_file: Option<PathBuf>,
    /// Choose only leads whose net-value interval's low end is above zero
    #[arg(long)]
    pub risk: bool,
    /// Choose only leads whose expected net value is at least this (0 or more: a lead worth
    /// less than nothing is never chosen)
    #[arg(long, value_name = "MONEY", allow_negative_numbers = true)]
    pub min_net: Option<f64>,
    /// Write every lead with its plan (chosen or not) here, as CSV
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Append the lead's own columns (company, contact, owner, ...) after the plan's, in -o
    #[arg(long, requires = "output")]
    pub with_input: bool,
    /// Write rows that cannot be scored, with the reason, to FILE and plan the rest
    #[arg(long, value_name = "FILE")]
    pub skip_invalid: Option<PathBuf>,
    /// The summary as a table for people or JSON for programs
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The id column of the lead list (default: the model's lead id column)
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,
    /// Field delimiter of the lead list (default: sniffed); the capacity file's is always
    /// sniffed from its own header
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Decimals of the money columns
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub decimals: u8,
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values, as `score` writes them (or a CRM's import layout with --profile)
    Csv,
    /// An Excel workbook: Leads, Summary and Model sheets
    Xlsx,
    /// One JSON array of lead records
    Json,
    /// JSON Lines: one lead record per line
    Jsonl,
    /// One self-contained HTML page for managers: summary, chart, tiers, top leads
    Html,
}

impl ExportFormat {
    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Json => "json",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Html => "html",
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Leads are scored with the current model and sorted by expected net \
value, highest first. Without --format, the format is taken from the output's extension \
(.csv .xlsx .json .jsonl .html), else CSV. With --split-by, OUT is a directory that appears \
whole or not at all, with one file per value and index.csv listing them."
)]
pub struct ExportArgs {
    /// CSV of leads, or a file `leadscore score --with-input` wrote (recognised by its
    /// columns, re-scored and checked); `-` (or none, when something is piped in) reads
    /// standard input
    #[arg(value_name = "LEADS")]
    pub leads: Option<PathBuf>,
    /// The format to write
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ExportFormat>,
    /// Write here (a directory with --split-by) instead of standard output
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// A model file, or a models directory (its current version)
    #[arg(
        long,
        value_name = "PATH",
        default_value = "models",
        visible_alias = "models"
    )]
    pub model: PathBuf,
    /// One file per value of this column (a territory, an owner, a region); -o names the
    /// directory
    #[arg(long, value_name = "COLUMN")]
    pub split_by: Option<String>,
    /// Only the N leads of highest expected net value (per file with --split-by): a rep's
    /// capacity
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub top: Option<u64>,
    /// Only leads of this tier or better (A is best)
    #[arg(long, value_enum, value_name = "TIER", ignore_case = true)]
    pub min_tier: Option<TierArg>,
    /// Only leads with this recommendation (repeat for several)
    #[arg(long, value_enum, value_name = "WHAT")]
    pub recommendation: Vec<RecommendationArg>,
    /// Leave these input columns out of every file (an email, a phone number), with the
    /// config's `export.personal` ones: `--redact email,phone` or the flag repeated. A --profile
    /// writes only the columns it names
    #[arg(long, value_name = "COLUMN", value_delimiter = ',')]
    pub redact: Vec<String>,
    /// Write the CSV a CRM imports: `salesforce` (Lead), `hubspot` (Contact or Company), or a
    /// profile of the config's [export.profiles]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The config whose [export] section applies: personal columns and profiles (default:
    /// leadscore.toml, when there is one)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Keep the input order instead of sorting by expected net value
    #[arg(long)]
    pub keep_order: bool,
    /// Add each economics term's share of return and burden, in money (adding up to them as
    /// written) and in its column's units: the columns `score --components` writes
    /// (burden_sales_effort, expected_sales_hours, ...; in JSON a "components" object, on the
    /// page the top leads'). Not with --profile, which writes only the columns it names
    #[arg(long)]
    pub components: bool,
    /// Add each lead's net value broken down, in money: baseline_net, one
    /// contribution_<feature> per feature and floor_net, adding up to expected_net as written
    /// (the columns `score --breakdown` writes; in JSON a "breakdown" object, on the page the
    /// top leads'). Not with --profile, which writes only the columns it names
    #[arg(long)]
    pub breakdown: bool,
    /// Write rows that cannot be scored, with the reason, to FILE and export the rest
    #[arg(long, value_name = "FILE")]
    pub skip_invalid: Option<PathBuf>,
    /// The id column of the lead list (default: the model's lead id column)
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,
    /// Field delimiter of the lead list (default: sniffed from the header)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Decimals of the money columns (default 2; for a scored file, as it was written)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=9))]
    pub decimals: Option<u8>,
}

/// A tier on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    #[value(name = "A")]
    A,
    #[value(name = "B")]
    B,
    #[value(name = "C")]
    C,
    #[value(name = "D")]
    D,
}

/// A recommendation on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecommendationArg {
    Contact,
    Qualify,
    Skip,
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

/// The SQL dialect `sql` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqlDialect {
    Sqlite,
    Duckdb,
    Postgres,
    Spark,
    Bigquery,
    Snowflake,
    Ansi,
}

impl SqlDialect {
    /// The name `--dialect` takes, which is the dialect table's name.
    pub fn name(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "sqlite",
            SqlDialect::Duckdb => "duckdb",
            SqlDialect::Postgres => "postgres",
            SqlDialect::Spark => "spark",
            SqlDialect::Bigquery => "bigquery",
            SqlDialect::Snowflake => "snowflake",
            SqlDialect::Ansi => "ansi",
        }
    }
}

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The database the query is for
    #[arg(long, value_enum)]
    pub dialect: SqlDialect,
    /// The lead table (or view) to score; a `.` separates schema and table
    #[arg(long, value_name = "NAME", default_value = "leads")]
    pub table: String,
    /// A model file, or a directory holding model.json
    #[arg(
        long,
        value_name = "PATH",
        default_value = "models",
        visible_alias = "models"
    )]
    pub model: PathBuf,
    /// Make the query a view of this name, replacing one that exists (after a retrain)
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
    /// Write the SQL here instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The table calls a column the model uses (a feature or the lead id) by another name:
    /// `--column annual_revenue="annual revenue (€)"`; repeatable
    #[arg(long = "column", value_name = "OLD=NEW")]
    pub columns: Vec<String>,
    /// Decimals of the money columns, as `score --decimals`
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub decimals: u8,
}
