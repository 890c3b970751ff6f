//! `leadscore sql --dialect D`: the model's scoring as one SQL query over a lead table (or a
//! `CREATE VIEW` with `--view`), rendered from the model's equation by `crate::sql`, so a
//! warehouse scores its leads where they are, the way `score` would.

use crate::cli::SqlArgs;
use crate::error::{Error, Result};
use crate::io::output::Output;
use crate::model::equation::Equation;
use crate::sql::{Dialect, Provenance, Source};

pub fn run(args: &SqlArgs) -> Result<()> {
    let output = super::output_path(args.output.as_deref());
    let model_file = crate::model::registry::locate(&args.model)?.file;
    if let Some(out) = output {
        super::check_paths(&[("the model", &model_file)], &[("-o", out)])?;
    }
    if let Some(view) = &args.view {
        check_name("--view", view)?;
    }
    check_name("--table", &args.table)?;
    let dialect = Dialect::named(args.dialect.name())
        .ok_or_else(|| Error::Usage(format!("no SQL dialect {}", args.dialect.name())))?;
    let (model, located) = crate::model::registry::load(&args.model)?;
    let equation = Equation::from_model(&model)?;
    let mut source = Source {
        table: args.table.clone(),
        id: model.lead_id_column.clone(),
        columns: equation
            .terms
            .iter()
            .map(|t| t.name().to_string())
            .collect(),
    };
    rename(&mut source, &args.columns)?;
    let text = std::fs::read_to_string(&located.file)
        .map_err(|e| Error::read(located.file.display(), e))?;
    let checksum = crate::model::checksum::checksum_of(&text)
        .ok()
        .flatten()
        .map(str::to_string);
    let provenance = Provenance {
        version: located
            .version
            .clone()
            .unwrap_or_else(|| model.created_at.clone()),
        checksum,
        missing_values: model.missing_values.clone(),
        decimals: args.decimals as usize,
    };
    let sql = crate::sql::render(
        &equation,
        &source,
        &provenance,
        dialect,
        args.view.as_deref(),
    )?;
    let mut out = Output::create(output)?;
    let name = out.name();
    std::io::Write::write_all(&mut out, sql.as_bytes()).map_err(|e| Error::write(name, e))?;
    out.commit()
}

/// A table or view name: not empty, and no empty part between dots.
fn check_name(flag: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::Usage(format!(
            "{flag} needs a name; got an empty one"
        )));
    }
    if name.split('.').any(|p| p.is_empty()) {
        return Err(Error::Usage(format!(
            "{flag} {name:?} has an empty part between dots; a `.` separates schema and table"
        )));
    }
    Ok(())
}

/// Applies `--column OLD=NEW` pairs: OLD is a column the model uses, NEW the table's name.
fn rename(source: &mut Source, pairs: &[String]) -> Result<()> {
    let mut done: Vec<&str> = Vec::new();
    for pair in pairs {
        let Some((old, new)) = pair.split_once('=') else {
            return Err(Error::Usage(format!(
                "--column {pair:?}: expected OLD=NEW, the model's column name and the table's"
            )));
        };
        if old.is_empty() || new.is_empty() {
            return Err(Error::Usage(format!(
                "--column {pair:?}: both names are needed, OLD=NEW"
            )));
        }
        if done.contains(&old) {
            return Err(Error::Usage(format!(
                "--column names {old:?} twice; give each column one name"
            )));
        }
        done.push(old);
        if let Some(i) = source.columns.iter().position(|c| c == old) {
            source.columns[i] = new.to_string();
        } else if source.id == old {
            source.id = new.to_string();
        } else {
            let mut known: Vec<&str> = vec![source.id.as_str()];
            known.extend(source.columns.iter().map(String::as_str));
            return Err(Error::Usage(format!(
                "--column {pair:?}: the model uses no column {old:?}; it uses {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}
