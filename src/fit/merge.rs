//! Merging new customers into the history the current model learnt from (which `retrain` finds
//! and checks), for `retrain`: a customer seen before is replaced by its newer row, new customers
//! are appended, and each file's new, updated and unchanged customers are counted. Then the
//! merged history is split into the customers a candidate learns from and the holdout it is
//! judged on: the most recently won, when the config names a date column, else a seeded random
//! share.
//!
//! The merged history is written as it was read, in the delimiter of the history merged into (or
//! of the first new file), and read back in it: a file that is not comma-separated writes numbers
//! with a decimal comma (`io::table::parse_number`), so the delimiter is the format. A new file
//! written the other way has its numbers rewritten to the history's decimal mark, digit for digit
//! (`io::table::renumber`), in the columns the config reads as numbers; other columns are kept as
//! written. Every row remembers the file and line it came from, so a problem met reading a part
//! of the merged history back is said of the user's file ([`Merged::blame`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::io::date::{format_days, parse_days};
use crate::io::table::{
    decimal_comma, decode, is_missing_value, line_of, renumber, CsvInput, ReadOptions,
};

/// The history merged into, with the new files merged in, in memory, ready to be written.
#[derive(Debug)]
pub struct Merged {
    /// The kept history's columns (or the first new file's, starting afresh).
    pub header: Vec<String>,
    pub rows: Vec<csv::StringRecord>,
    /// Per row: whether its customer was in the base (so the current model may have seen it).
    pub in_base: Vec<bool>,
    pub base: Option<Base>,
    pub files: Vec<FileMerge>,
    /// The delimiter it is written and read back with: the base's, or the first new file's.
    pub delimiter: u8,
    /// Per kept column: whether the config reads it as a number (a numeric feature or an
    /// outcome), so its fields follow the history's decimal mark.
    numeric: Vec<bool>,
    /// The files rows came from, as messages name them: the base first, if any.
    sources: Vec<String>,
    /// Per row: the file in `sources` and the line its row starts on there.
    origins: Vec<(u32, u64)>,
    id_col: usize,
    date_col: Option<usize>,
}

/// What one new file brought.
#[derive(Debug, Clone, Serialize)]
pub struct FileMerge {
    pub file: String,
    pub rows: usize,
    /// Customers not in the history before.
    pub new: usize,
    /// Customers whose row changed: the newer row replaced the older one.
    pub updated: usize,
    pub unchanged: usize,
    /// Columns the kept history does not have, left out.
    pub ignored_columns: Vec<String>,
}

/// The history merged into.
#[derive(Debug, Clone, Serialize)]
pub struct Base {
    pub file: String,
    pub customers: usize,
    pub sha256: String,
}

/// Which rows a candidate learns from and which it is judged on.
#[derive(Debug, Clone)]
pub struct Split {
    pub train: Vec<usize>,
    pub holdout: Vec<usize>,
    pub how: Holdout,
}

/// How the holdout was chosen, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Holdout {
    pub customers: usize,
    /// `won most recently (by won_on)` or `drawn at random (seed 42)`.
    pub chosen: String,
    pub first_won: Option<String>,
    pub last_won: Option<String>,
    /// Customers without a date, always kept for training.
    pub undated: usize,
}

/// Reads `base` (if any; with its delimiter when known, else sniffed) and merges `new` into
/// it, in order: a later row for a customer replaces the earlier one. Every new file must have
/// every column of the base (extra columns are left out, with a note); the rows are checked
/// against the config before this (see `History::read`), so only their columns, and the dates
/// of the new rows, are looked at here.
pub fn merge(
    base: Option<(&Path, Option<u8>)>,
    new: &[PathBuf],
    config: &Config,
    opts: ReadOptions,
) -> Result<Merged> {
    let mut merged = Merged {
        header: Vec::new(),
        rows: Vec::new(),
        in_base: Vec::new(),
        base: None,
        files: Vec::new(),
        delimiter: b',',
        numeric: Vec::new(),
        sources: Vec::new(),
        origins: Vec::new(),
        id_col: 0,
        date_col: None,
    };
    let mut index: rustc_hash::FxHashMap<String, usize> = Default::default();
    // Where the kept columns come from, for the message when a new file lacks one.
    let mut columns_of = String::new();
    let mut record = crate::io::records::Record::new();
    if let Some((path, delimiter)) = base {
        let mut input = CsvInput::open(
            path,
            ReadOptions {
                fingerprint: true,
                delimiter,
                ..opts
            },
        )?;
        merged.header = input.headers().to_vec();
        merged.delimiter = input.delimiter();
        merged.locate(&input, config)?;
        merged.sources.push(input.path().to_string());
        while input.read(&mut record)? {
            let row: csv::StringRecord = record.iter().map(|f| decode(f)).collect();
            index.insert(row[merged.id_col].trim().to_string(), merged.rows.len());
            merged.rows.push(row);
            merged.in_base.push(true);
            merged.origins.push((0, line_of(&record)));
        }
        columns_of = format!("{}, the history merged into,", input.path());
        merged.base = Some(Base {
            file: input.path().to_string(),
            customers: merged.rows.len(),
            sha256: input.fingerprint().expect("requested"),
        });
    }
    for path in new {
        let mut input = CsvInput::open(path, opts)?;
        if merged.header.is_empty() {
            merged.header = input.headers().to_vec();
            merged.delimiter = input.delimiter();
            merged.locate(&input, config)?;
            columns_of = format!("{}, the first new file,", input.path());
        }
        let source = merged.sources.len() as u32;
        merged.sources.push(input.path().to_string());
        // A file written with the other decimal mark than the history's: its numbers are
        // rewritten to the history's, or they would read as other numbers there (or not at all).
        let (from_comma, to_comma) = (
            decimal_comma(input.delimiter()),
            decimal_comma(merged.delimiter),
        );
        let headers = input.headers().to_vec();
        // Where each kept column is in this file.
        let mut from = Vec::with_capacity(merged.header.len());
        for name in &merged.header {
            match headers.iter().position(|h| h == name) {
                Some(i) => from.push(i),
                None => {
                    return Err(Error::file(
                        input.path(),
                        format!(
                            "has no column \"{name}\", which {columns_of} has; every customer in it needs one (add the column, blank where unknown)"
                        ),
                    ))
                }
            }
        }
        let ignored: Vec<String> = headers
            .iter()
            .filter(|h| !merged.header.contains(h))
            .cloned()
            .collect();
        let mut counts = FileMerge {
            file: input.path().to_string(),
            rows: 0,
            new: 0,
            updated: 0,
            unchanged: 0,
            ignored_columns: ignored,
        };
        while input.read(&mut record)? {
            let row: csv::StringRecord = from
                .iter()
                .zip(&merged.numeric)
                .map(|(&i, &numeric)| {
                    let text = decode(record.get(i).unwrap_or_default());
                    match numeric && from_comma != to_comma {
                        true => Cow::Owned(renumber(&text, from_comma, to_comma).into_owned()),
                        false => text,
                    }
                })
                .collect();
            // A date that is not ISO would make its customer undated: never judged, however
            // recent. Refused instead, as `03/11/2026` could be March or November.
            if let Some(c) = merged.date_col {
                let day = row[c].trim();
                let blank = day.is_empty() || is_missing_value(&config.missing_values, day);
                if !blank && parse_days(day).is_none() {
                    return Err(input.source().field_error(
                        &record,
                        from[c],
                        crate::io::date::not_a_day(day).unwrap_or_else(|| {
                            format!(
                                "expected an ISO date like 2026-11-30 (or a blank), got {}",
                                crate::io::table::shown(day)
                            )
                        }),
                    ));
                }
            }
            counts.rows += 1;
            let id = row[merged.id_col].trim().to_string();
            let origin = (source, line_of(&record));
            match index.get(&id) {
                Some(&at) if merged.rows[at] == row => counts.unchanged += 1,
                Some(&at) => {
                    merged.rows[at] = row;
                    merged.origins[at] = origin;
                    counts.updated += 1;
                }
                None => {
                    index.insert(id, merged.rows.len());
                    merged.rows.push(row);
                    merged.in_base.push(false);
                    merged.origins.push(origin);
                    counts.new += 1;
                }
            }
        }
        merged.files.push(counts);
    }
    Ok(merged)
}

impl Merged {
    fn locate(&mut self, input: &CsvInput, config: &Config) -> Result<()> {
        // A column the config needs but the kept history lacks: its older customers have no
        // value for it, so retraining on the merge cannot work; training afresh can.
        let needed = config
            .features
            .iter()
            .map(|f| f.name.clone())
            .chain(config.economics.columns());
        for name in needed {
            if !input.headers().contains(&name) {
                return Err(Error::file(
                    input.path(),
                    format!(
                        "has no column \"{name}\", which the config needs; the customers in it have no value for it, so add the column (blank where unknown) or train a fresh model with `leadscore train`"
                    ),
                ));
            }
        }
        let numbers: Vec<String> = config
            .features
            .iter()
            .filter(|f| matches!(f.kind, crate::config::FeatureKind::Numeric { .. }))
            .map(|f| f.name.clone())
            .chain(config.economics.columns())
            .collect();
        self.numeric = self.header.iter().map(|h| numbers.contains(h)).collect();
        self.id_col = input.column(&config.id, "the id column, columns.id in the config")?;
        self.date_col = match &config.date {
            Some(d) => Some(input.column(d, "the date column, columns.date in the config")?),
            None => None,
        };
        Ok(())
    }

    /// Row `r`'s customer id, as the index and `History` hold it (trimmed).
    pub fn id(&self, r: usize) -> &str {
        self.rows[r][self.id_col].trim()
    }

    /// The day each row's customer was won, if the config names a date column and it is set.
    fn day(&self, row: usize) -> Option<i64> {
        self.date_col.and_then(|c| parse_days(&self.rows[row][c]))
    }

    /// The earliest and latest date won, as `YYYY-MM-DD`.
    pub fn date_range(&self, rows: impl Iterator<Item = usize>) -> Option<(String, String)> {
        let days: Vec<i64> = rows.filter_map(|r| self.day(r)).collect();
        let lo = days.iter().min()?;
        let hi = days.iter().max()?;
        Some((format_days(*lo), format_days(*hi)))
    }

    /// Writes `rows` (in order) as CSV with the kept header, in the history's delimiter: read
    /// it back with `Some(self.delimiter)`.
    pub fn write(&self, path: &Path, rows: &[usize]) -> Result<()> {
        let file = std::fs::File::create(path).map_err(|e| Error::write(path.display(), e))?;
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
        let io = |e: csv::Error| Error::write(path.display(), std::io::Error::other(e));
        w.write_record(&self.header).map_err(io)?;
        for &r in rows {
            w.write_record(&self.rows[r]).map_err(io)?;
        }
        let buf = w
            .into_inner()
            .map_err(|e| Error::write(path.display(), std::io::Error::other(e.to_string())))?;
        let file = buf
            .into_inner()
            .map_err(|e| Error::write(path.display(), e.into_error()))?;
        file.sync_all().map_err(|e| Error::write(path.display(), e))
    }

    /// How to read back a file [`Merged::write`] wrote.
    pub fn read_options(&self, progress: bool) -> ReadOptions {
        ReadOptions {
            delimiter: Some(self.delimiter),
            progress,
            fingerprint: false,
        }
    }

    /// `err`, met reading `file` (which [`Merged::write`] wrote with `rows`), said of the file
    /// and line its customer came from: the user knows those, not a file in a staging
    /// directory. A problem of the whole file names the files merged.
    pub fn blame(&self, err: Error, file: &Path, rows: &[usize]) -> Error {
        let shown = file.display().to_string();
        match err {
            Error::Field {
                path,
                line,
                column,
                problem,
            } if path == shown => match self.origin(file, rows, line) {
                Some((path, line)) => Error::Field {
                    path,
                    line,
                    column,
                    problem,
                },
                None => Error::file(self.described(), format!("column \"{column}\": {problem}")),
            },
            Error::Row {
                path,
                line,
                problem,
            } if path == shown => match self.origin(file, rows, line) {
                Some((path, line)) => Error::Row {
                    path,
                    line,
                    problem,
                },
                None => Error::file(self.described(), problem),
            },
            Error::File { path, problem } if path == shown => {
                Error::file(self.described(), problem)
            }
            e => e,
        }
    }

    /// The file and line the row on `line` of `file` came from, found by reading `file` again
    /// (a quoted field may hold line breaks, so a row's line is not its number plus one). Only
    /// ever on the way to an error.
    fn origin(&self, file: &Path, rows: &[usize], line: u64) -> Option<(String, u64)> {
        let mut input = CsvInput::open(file, self.read_options(false)).ok()?;
        let mut record = crate::io::records::Record::new();
        let mut k = 0;
        while input.read_any(&mut record).ok()? {
            if line_of(&record) == line {
                let (source, line) = self.origins[*rows.get(k)?];
                return Some((self.sources[source as usize].clone(), line));
            }
            k += 1;
        }
        None
    }

    /// The file row `r` came from and the line it starts on there.
    pub fn source_of(&self, r: usize) -> (&str, u64) {
        let (source, line) = self.origins[r];
        (&self.sources[source as usize], line)
    }

    /// `the history merged from models/v0002/history.csv, q4.csv`.
    fn described(&self) -> String {
        format!("the history merged from {}", self.sources.join(", "))
    }

    /// The holdout: the most recently won `share` of the customers when dates are known (ties
    /// in file order; customers without a date always train), else a random `share` drawn
    /// from a stream seeded with `seed`.
    pub fn split(&self, share: f64, seed: u64) -> Split {
        let n = self.rows.len();
        let size = ((n as f64 * share).round() as usize).clamp(1, n.saturating_sub(1).max(1));
        let mut holdout: Vec<usize>;
        let (chosen, undated);
        if let Some(col) = self.date_col {
            let mut dated: Vec<(i64, usize)> =
                (0..n).filter_map(|r| self.day(r).map(|d| (d, r))).collect();
            undated = n - dated.len();
            dated.sort_unstable();
            let size = size.min(dated.len());
            holdout = dated[dated.len() - size..]
                .iter()
                .map(|&(_, r)| r)
                .collect::<Vec<_>>();
            holdout.sort_unstable();
            chosen = format!("won most recently (by {})", self.header[col]);
        } else {
            let mut order: Vec<usize> = (0..n).collect();
            // Its own stream: the folds use the seed as given.
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x4801_D0A7);
            order.shuffle(&mut rng);
            holdout = order[..size].to_vec();
            holdout.sort_unstable();
            chosen = format!("drawn at random (seed {seed})");
            undated = 0;
        }
        let mut is_held = vec![false; n];
        for &r in &holdout {
            is_held[r] = true;
        }
        let mut train: Vec<usize> = (0..n).filter(|&r| !is_held[r]).collect();
        let range = self.date_range(holdout.iter().copied());
        let how = Holdout {
            customers: holdout.len(),
            chosen,
            first_won: range.as_ref().map(|r| r.0.clone()),
            last_won: range.map(|r| r.1),
            undated,
        };
        train.shrink_to_fit();
        Split {
            train,
            holdout,
            how,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn config(date: bool) -> Config {
        let text = format!(
            "currency = \"EUR\"\n[columns]\nid = \"id\"\n{}\n[features]\ncategorical = [\"c\"]\n[[economics.return]]\nname = \"r\"\ncolumn = \"r\"\nrate = 1.0\n",
            if date { "date = \"won\"" } else { "" }
        );
        Config::parse(&text, "t.toml").unwrap()
    }

    /// `new` merged into the kept history `base`, both read with the default options.
    fn merged_into(base: &Path, new: &[PathBuf], config: &Config) -> Result<Merged> {
        merge(Some((base, None)), new, config, ReadOptions::default())
    }

    #[test]
    fn newer_rows_replace_older_ones_and_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let base = write(
            dir.path(),
            "base.csv",
            "id,won,c,r\n1,2026-01-01,a,10\n2,2026-02-01,b,20\n3,2026-03-01,a,30\n",
        );
        let new = write(
            dir.path(),
            "new.csv",
            "c,id,r,won,extra\na,1,10,2026-01-01,x\nb,2,25,2026-02-01,y\na,4,40,2026-04-01,z\n",
        );
        let m = merged_into(&base, &[new], &config(true)).unwrap();
        let f = &m.files[0];
        assert_eq!((f.rows, f.new, f.updated, f.unchanged), (3, 1, 1, 1));
        assert_eq!(f.ignored_columns, ["extra"]);
        let ids: Vec<&str> = m.rows.iter().map(|r| &r[0]).collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        assert_eq!(&m.rows[1][3], "25");
        assert_eq!(m.in_base, [true, true, true, false]);
        // The newest quarter (one customer of four) is held out.
        let s = m.split(0.25, 42);
        assert_eq!((s.train, s.holdout), (vec![0, 1, 2], vec![3]));
        assert_eq!(s.how.first_won.as_deref(), Some("2026-04-01"));
    }

    #[test]
    fn a_new_file_without_a_kept_column_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = write(
            dir.path(),
            "base.csv",
            "id,won,c,r,notes\n1,2026-01-01,a,10,x\n",
        );
        let new = write(dir.path(), "new.csv", "id,won,c,r\n2,2026-01-01,a,10\n");
        let err = merged_into(&base, &[new], &config(true))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("base.csv, the history merged into, has; every customer in it needs one"),
            "{err}"
        );
    }

    /// The merged history written to a file and read back as a history: what it learns from.
    fn written(m: &Merged, dir: &Path, config: &Config) -> (String, Vec<[f64; 2]>) {
        let path = dir.join("merged.csv");
        let all: Vec<usize> = (0..m.rows.len()).collect();
        m.write(&path, &all).unwrap();
        let h = crate::fit::history::History::read(&path, config, m.read_options(false)).unwrap();
        (std::fs::read_to_string(&path).unwrap(), h.targets)
    }

    #[test]
    fn files_with_either_decimal_mark_merge_into_the_histories_own() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(true);
        // `c` is a category: its text is kept as written, whatever it looks like.
        let german = write(
            dir.path(),
            "de.csv",
            "id;won;c;r\n1;2026-01-01;1.200;1.740,41\n2;2026-02-01;b;20,5\n",
        );
        let plain = write(
            dir.path(),
            "plain.csv",
            "id,won,c,r\n2,2026-02-01,b,20.5\n3,2026-03-01,1.200,1.200\n",
        );
        let amounts = vec![[1740.41, 0.0], [20.5, 0.0], [1.2, 0.0]];

        // Into a `;` history, the plain file's numbers take a decimal comma; the same customer
        // written either way is unchanged.
        let m = merged_into(&german, std::slice::from_ref(&plain), &config).unwrap();
        assert_eq!(m.delimiter, b';');
        let f = &m.files[0];
        assert_eq!((f.new, f.updated, f.unchanged), (1, 0, 1));
        let (text, targets) = written(&m, dir.path(), &config);
        assert_eq!(
            text,
            "id;won;c;r\n1;2026-01-01;1.200;1.740,41\n2;2026-02-01;b;20,5\n3;2026-03-01;1.200;1,200\n"
        );
        assert_eq!(targets, amounts);

        // Into a comma history, the `;` file's numbers take a decimal point.
        let m = merged_into(&plain, &[german], &config).unwrap();
        assert_eq!(m.delimiter, b',');
        let (text, targets) = written(&m, dir.path(), &config);
        assert_eq!(
            text,
            "id,won,c,r\n2,2026-02-01,b,20.5\n3,2026-03-01,1.200,1.200\n1,2026-01-01,1.200,1740.41\n"
        );
        assert_eq!(targets, [amounts[1], amounts[2], amounts[0]]);
    }

    #[test]
    fn a_problem_in_a_part_of_the_merged_history_is_said_of_the_file_it_came_from() {
        let dir = tempfile::tempdir().unwrap();
        let base = write(
            dir.path(),
            "base.csv",
            "id,won,c,r\n1,2026-01-01,\"two\nlines\",10\n2,2026-02-01,b,20\n",
        );
        let new = write(
            dir.path(),
            "new.csv",
            "id,won,c,r\n3,2026-03-01,a,30\n2,2026-02-01,b,x\n",
        );
        let m = merged_into(&base, &[new], &config(true)).unwrap();
        // The part holds customers 1 (lines 2-3), 3 and 2: customer 2's row starts on line 5.
        let part = dir.path().join(".part.csv");
        let rows = [0, 2, 1];
        m.write(&part, &rows).unwrap();
        let at = |line| Error::Field {
            path: part.display().to_string(),
            line,
            column: "r".into(),
            problem: "expected a number, got \"x\"".into(),
        };
        assert_eq!(
            m.blame(at(5), &part, &rows).to_string(),
            format!(
                "{}:3: column \"r\": expected a number, got \"x\"",
                dir.path().join("new.csv").display()
            )
        );
        assert_eq!(
            m.blame(at(4), &part, &rows).to_string(),
            format!(
                "{}:2: column \"r\": expected a number, got \"x\"",
                dir.path().join("new.csv").display()
            )
        );
        let whole = Error::file(part.display(), "has a header but no rows");
        assert_eq!(
            m.blame(whole, &part, &rows).to_string(),
            format!(
                "the history merged from {}, {}: has a header but no rows",
                base.display(),
                dir.path().join("new.csv").display()
            )
        );
        // Another file's error is left alone.
        let other = Error::file("elsewhere.csv", "x");
        assert_eq!(m.blame(other, &part, &rows).to_string(), "elsewhere.csv: x");
    }

    #[test]
    fn a_random_holdout_is_seeded() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("id,c,r\n");
        for i in 0..100 {
            text.push_str(&format!("{i},a,{i}\n"));
        }
        let base = write(dir.path(), "base.csv", &text);
        let m = merged_into(&base, &[], &config(false)).unwrap();
        let (a, b, c) = (m.split(0.2, 42), m.split(0.2, 42), m.split(0.2, 7));
        assert_eq!(a.holdout.len(), 20);
        assert_eq!(a.holdout, b.holdout);
        assert_ne!(a.holdout, c.holdout);
        assert_eq!(a.train.len() + a.holdout.len(), 100);
    }
}
