//! `--split-by`: a safe, distinct file name for each value, the index of the files, and which
//! existing directory an export may replace.

use std::collections::BTreeMap;
use std::path::Path;

use crate::economics::write_fixed;
use crate::error::{Error, Result};
use crate::report::export::{Written, INDEX_FILE};
use crate::write::csv::{Cell, Dialect};

use super::Group;

/// The columns of the index after the split column's name.
pub(super) const INDEX_COLUMNS: [&str; 5] = [
    "file",
    "leads",
    "expected_return",
    "expected_burden",
    "expected_net",
];

/// A `--split-by` directory may replace only an earlier export that holds nothing else (every
/// file in it is listed in its index) or an empty directory: never a directory of other files
/// that `-o` happened to name, nor one where someone saved a file beside an export.
pub(super) fn refuse_replacing(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "-o {} is a file; --split-by writes a directory",
            dir.display()
        )));
    }
    let fail = |e| Error::read(dir.display(), e);
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(fail)? {
        names.push(
            entry
                .map_err(fail)?
                .file_name()
                .to_string_lossy()
                .into_owned(),
        );
    }
    if names.is_empty() {
        return Ok(());
    }
    let Some(listed) = listed_files(&dir.join(INDEX_FILE)) else {
        let why = if names.iter().any(|n| n == INDEX_FILE) {
            format!("its {INDEX_FILE} is not an export's")
        } else {
            format!("it has no {INDEX_FILE}")
        };
        return Err(Error::Usage(format!(
            "-o {} is a directory that is not an earlier export ({why}); name a new directory",
            dir.display()
        )));
    };
    names.sort();
    let others: Vec<&String> = names
        .iter()
        .filter(|n| *n != INDEX_FILE && !listed.contains(n))
        .collect();
    if !others.is_empty() {
        let shown: Vec<&str> = others.iter().take(3).map(|n| n.as_str()).collect();
        return Err(Error::Usage(format!(
            "-o {} is an earlier export, but also holds {}{} that it did not write, which replacing it would delete; move {} out, or name a new directory",
            dir.display(),
            shown.join(", "),
            if others.len() > 3 {
                format!(" and {} more", others.len() - 3)
            } else {
                String::new()
            },
            if others.len() == 1 { "it" } else { "them" }
        )));
    }
    Ok(())
}

/// The files an export's index lists, or `None` when `path` is not an export's index.
fn listed_files(path: &Path) -> Option<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).ok()?;
    let header = reader.headers().ok()?.clone();
    let ours = header.len() == INDEX_COLUMNS.len() + 1
        && header
            .iter()
            .skip(1)
            .zip(INDEX_COLUMNS)
            .all(|(h, c)| h == c);
    if !ours {
        return None;
    }
    let mut files = Vec::new();
    for record in reader.records() {
        files.push(record.ok()?.get(1)?.to_string());
    }
    Some(files)
}

/// Refuses a lead list or rejects file inside the directory an export replaces whole.
pub(super) fn refuse_inside(
    dir: &Path,
    inputs: &[(&str, &Path)],
    outputs: &[(&str, &Path)],
) -> Result<()> {
    let Some(d) = crate::cmd::location(dir) else {
        return Ok(());
    };
    for (what, path) in inputs.iter().chain(outputs) {
        if crate::cmd::location(path).is_some_and(|p| p.starts_with(&d)) {
            return Err(Error::Usage(format!(
                "{what} {} is inside -o {}, which --split-by replaces whole; keep it elsewhere",
                path.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// `index.csv`: one line per file, with the value it holds and its totals.
pub(super) fn write_index(
    path: &Path,
    split: &str,
    written: &[Written],
    decimals: usize,
) -> Result<()> {
    let csv = Dialect::new(b',');
    let mut out = Vec::new();
    csv.text_record(&mut out, [split].into_iter().chain(INDEX_COLUMNS));
    let mut figures = [String::new(), String::new(), String::new()];
    for f in written {
        let t = &f.totals.all;
        write_fixed(&mut figures[0], t.lifetime_return, decimals);
        write_fixed(&mut figures[1], t.service_burden, decimals);
        write_fixed(&mut figures[2], t.net, decimals);
        let value = f.value.as_deref().unwrap_or_default();
        let leads = t.leads.to_string();
        // The value is the split column's text, formula-safe like every text cell.
        csv.record(
            &mut out,
            [
                Cell::Text(value),
                Cell::Text(&f.file),
                Cell::Number(&leads),
                Cell::Number(&figures[0]),
                Cell::Number(&figures[1]),
                Cell::Number(&figures[2]),
            ],
        );
    }
    crate::io::output::write_atomic(path, &out)
}

/// The file name of each group: its value made safe (see [`safe_stem`]), with a short hash of
/// the value added to every name that two values would share (ignoring case, since Windows and
/// macOS do), or that the index itself takes.
pub(super) fn file_names(groups: &[Group], extension: &str) -> Vec<String> {
    let stems: Vec<String> = groups.iter().map(|g| safe_stem(&g.value)).collect();
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for s in &stems {
        *uses.entry(s.to_lowercase()).or_default() += 1;
    }
    let index_stem = INDEX_FILE.trim_end_matches(".csv");
    groups
        .iter()
        .zip(&stems)
        .map(|(g, stem)| {
            let key = stem.to_lowercase();
            if uses[&key] > 1 || key == index_stem {
                format!("{stem}-{}.{extension}", short_hash(&g.value))
            } else {
                format!("{stem}.{extension}")
            }
        })
        .collect()
}

/// A file name stem from a column value: letters and digits (any script), `-`, `_` and `.`
/// are kept, anything else becomes `_`, so no value can name a path (`../x`, `a/b`, `C:`), a
/// hidden file, an option (`-x`) or a device (`CON`, `nul`); at most 80 characters. A blank
/// value is `blank`.
pub(super) fn safe_stem(value: &str) -> String {
    const MAX: usize = 80;
    let mut stem = String::new();
    for c in value.chars() {
        let c = if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            c
        } else {
            '_'
        };
        if !(c == '_' && stem.ends_with('_')) {
            stem.push(c);
        }
    }
    // No leading `-` either: a name like `-x.csv` reads as an option to command-line tools, and
    // as a formula start in the index, which must hold file names exactly as they are.
    let stem: String = stem
        .trim_start_matches(['.', '_', '-'])
        .trim_end_matches(['.', '_'])
        .chars()
        .take(MAX)
        .collect();
    let stem = stem.trim_end_matches('.').to_string();
    if stem.is_empty() {
        return "blank".into();
    }
    let device = stem
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = matches!(device.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (device.len() == 4
            && (device.starts_with("COM") || device.starts_with("LPT"))
            && device.as_bytes()[3].is_ascii_digit());
    if reserved {
        format!("{stem}_")
    } else {
        stem
    }
}

/// Eight hex digits of the value's SHA-256: the same on every run and every machine.
pub(super) fn short_hash(value: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(value.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_never_shared() {
        assert_eq!(safe_stem("North East"), "North_East");
        assert_eq!(safe_stem("../../etc/passwd"), "etc_passwd");
        assert_eq!(safe_stem("a/b\\c:d"), "a_b_c_d");
        assert_eq!(safe_stem(".hidden"), "hidden");
        assert_eq!(safe_stem("-rf"), "rf");
        assert_eq!(safe_stem("=cmd|x"), "cmd_x");
        assert_eq!(safe_stem(""), "blank");
        assert_eq!(safe_stem("///"), "blank");
        assert_eq!(safe_stem("CON"), "CON_");
        assert_eq!(safe_stem("com1.txt"), "com1.txt_");
        assert_eq!(safe_stem("Zürich"), "Zürich");
        assert_eq!(safe_stem("x".repeat(200).as_str()).len(), 80);

        let group = |v: &str| Group {
            value: v.into(),
            passed: 0,
            rows: Vec::new(),
        };
        let groups = [
            group("North"),
            group("north"),
            group("a/b"),
            group("a b"),
            group("index"),
            group("South"),
        ];
        let names = file_names(&groups, "csv");
        assert_eq!(
            names,
            [
                format!("North-{}.csv", short_hash("North")),
                format!("north-{}.csv", short_hash("north")),
                format!("a_b-{}.csv", short_hash("a/b")),
                format!("a_b-{}.csv", short_hash("a b")),
                format!("index-{}.csv", short_hash("index")),
                "South.csv".to_string(),
            ]
        );
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }
}
