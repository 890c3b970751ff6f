//! One module per subcommand, each with `pub fn run(args: &XArgs) -> Result<()>`.

pub mod evaluate;
pub mod explain;
pub mod init;
pub mod score;
pub mod train;

use std::io::Write;

use serde::Serialize;

use crate::cli::Format;
use crate::error::{Error, Result};

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
