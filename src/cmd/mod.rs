//! One module per subcommand, each with `pub fn run(args: &XArgs) -> Result<()>`.

pub mod evaluate;
pub mod explain;
pub mod init;
pub mod score;
pub mod train;

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::cli::Format;
use crate::error::{Error, Result};
use crate::io::table::{CsvInput, ReadOptions};
use crate::model::columns::FeatureColumns;
use crate::model::Model;

/// A lead list opened for scoring with a model: where its id and the model's features are.
struct Leads {
    input: CsvInput,
    id_col: usize,
    cols: FeatureColumns,
}

/// Opens a lead list and finds its id column (`id`, given with `--id`, else the model's) and the
/// model's features in it, or says which is missing.
fn open_leads(model: &Model, path: &Path, opts: ReadOptions, id: Option<&str>) -> Result<Leads> {
    let input = CsvInput::open(path, opts)?;
    let id_col = model.lead_id_column(&input, id)?;
    let cols = model.locate_features(&input)?;
    Ok(Leads {
        input,
        id_col,
        cols,
    })
}

/// Writes a command's report to standard output: `text` renders it for people, JSON carries
/// every figure at full precision for programs.
fn print_report<R: Serialize>(
    report: &R,
    format: Format,
    text: impl FnOnce(&R) -> String,
) -> Result<()> {
    let printed = match format {
        Format::Text => text(report),
        Format::Json => serde_json::to_string_pretty(report).expect("serialisable") + "\n",
    };
    let mut out = std::io::stdout().lock();
    out.write_all(printed.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::write("standard output", e))
}
