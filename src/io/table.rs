//! CSV in and out. Reading copes with what real CRM exports contain (a BOM, CRLF, `;` or tab
//! delimiters, Windows-1252 bytes, UTF-16 with a BOM, quoted fields with commas and newlines,
//! `n/a` and `NULL` for blanks) and turns every problem into an error naming the file, line,
//! column and value; `-` reads standard input. Writing always goes to a temporary file that is
//! renamed into place, so a failed run never leaves half a file behind. Records are split, and
//! their lines counted, by `io::records`.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::io::records::{Record, Records};

/// The most columns a header may have: Excel's sheet width (16,384), so any export a
/// spreadsheet can open fits, and a file read with the wrong delimiter or a binary file is told
/// apart from a lead list at once.
pub const MAX_COLUMNS: usize = 16_384;

/// Files at least this big get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 4 << 20;

/// The bytes read ahead to sniff the delimiter and the encoding.
const HEAD_BYTES: u64 = 64 * 1024;

/// The path that means standard input, and how messages name it.
pub const STDIN_PATH: &str = "-";
pub const STDIN_NAME: &str = "standard input";

/// What CRM and spreadsheet exports write for "no value". A field holding one of these (after
/// trimming surrounding whitespace, case as listed) is read as a blank, unless the config's
/// `missing_values` lists others.
pub const DEFAULT_MISSING_VALUES: [&str; 10] = [
    "n/a", "N/A", "NA", "null", "NULL", "None", "-", "--", "#N/A", "?",
];

/// [`DEFAULT_MISSING_VALUES`] as owned strings (the model file's default, so a model written
/// before the list was stored reads these).
pub fn default_missing_values() -> Vec<String> {
    DEFAULT_MISSING_VALUES
        .iter()
        .map(|t| t.to_string())
        .collect()
}

/// Whether a field's text, trimmed, is one of the missing-value `tokens`. Callers ask only after
/// the text failed to read as a number or a known category, so numbers never pay for it.
pub fn is_missing_value(tokens: &[String], text: &str) -> bool {
    let t = trim(text);
    !t.is_empty() && tokens.iter().any(|token| token == t)
}

/// How a CSV file is read: the delimiter, given or sniffed from the header line.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    pub delimiter: Option<u8>,
    pub progress: bool,
    /// Compute the SHA-256 of the file's bytes while reading it.
    pub fingerprint: bool,
}

impl ReadOptions {
    /// Options for a long read a user waits for: progress on a terminal, quiet when standard
    /// error is piped or redirected.
    pub fn on_terminal(delimiter: Option<u8>) -> ReadOptions {
        use std::io::IsTerminal;
        ReadOptions {
            delimiter,
            progress: std::io::stderr().is_terminal(),
            fingerprint: false,
        }
    }
}

/// Passes bytes through to the CSV reader while the hasher sees them, so a fingerprint costs
/// no second read. The hasher is shared so `CsvInput` can ask it afterwards.
struct Tap<R> {
    inner: R,
    hasher: Arc<Mutex<Sha256>>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.lock().expect("not poisoned").update(&buf[..n]);
        Ok(n)
    }
}

/// A file's name and header: all an error message about one of its fields needs, and cheap to
/// share with the threads that score its rows.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: String,
    pub headers: Vec<String>,
}

impl Source {
    /// A row must have as many fields as the header.
    pub fn check_width(&self, record: &Record) -> Result<()> {
        if record.len() == self.headers.len() {
            return Ok(());
        }
        // A quote opened and never closed runs the field on over line ends: the row comes out
        // short with a line break inside, and the width is the symptom, not the cause.
        let unclosed = record.len() < self.headers.len()
            && record
                .iter()
                .any(|f| f.contains(&b'\n') || f.contains(&b'\r'));
        Err(Error::Row {
            path: self.path.clone(),
            line: line_of(record),
            problem: format!(
                "expected {} fields as in the header, found {}{}",
                self.headers.len(),
                record.len(),
                if unclosed {
                    "; a quote opened on this line is never closed, so the rest of the file was read as one field"
                } else {
                    ""
                }
            ),
        })
    }

    /// A `Field` error for this file.
    pub fn field_error(&self, record: &Record, col: usize, problem: String) -> Error {
        Error::Field {
            path: self.path.clone(),
            line: line_of(record),
            column: self.headers[col].clone(),
            problem,
        }
    }
}

/// An open CSV file with its header decoded, read row by row.
pub struct CsvInput {
    source: Source,
    records: Records,
    delimiter: u8,
    progress: Option<indicatif::ProgressBar>,
    hasher: Option<Arc<Mutex<Sha256>>>,
    /// The length of the bytes the CSV reader sees, when known before reading.
    size: Option<u64>,
}

impl CsvInput {
    /// Opens a CSV file, or standard input when `path` is `-`.
    pub fn open(path: &Path, opts: ReadOptions) -> Result<CsvInput> {
        if path == Path::new(STDIN_PATH) {
            let stdin = Box::new(io::stdin().lock());
            return Self::open_stream(STDIN_NAME.into(), STDIN_NAME.into(), stdin, None, opts);
        }
        let shown = path.display().to_string();
        if path.is_dir() {
            return Err(Error::file(&shown, "is a directory, not a CSV file"));
        }
        let file = File::open(path).map_err(|e| Error::read(&shown, e))?;
        // A pipe or a device (`/dev/stdin`, `<(...)`) has no length to know in advance; only a
        // regular file of zero bytes is known to be empty before reading.
        let len = file
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len());
        if len == Some(0) {
            return Err(Error::file(
                &shown,
                "the file is empty (expected a header line and at least one row)",
            ));
        }
        Self::open_stream(shown, file_name(path), Box::new(file), len, opts)
    }

    /// Reads the head of `raw` to sniff the encoding and the delimiter, then reads it all
    /// through the CSV reader: UTF-16 is turned into UTF-8 on the way, after the fingerprint has
    /// seen the bytes as they are.
    fn open_stream(
        shown: String,
        name: String,
        mut raw: Box<dyn Read>,
        len: Option<u64>,
        opts: ReadOptions,
    ) -> Result<CsvInput> {
        let mut head = Vec::with_capacity(HEAD_BYTES as usize);
        (&mut raw)
            .take(HEAD_BYTES)
            .read_to_end(&mut head)
            .map_err(|e| Error::read(&shown, e))?;
        let utf16 = utf16_encoding(&head);
        let delimiter = match (opts.delimiter, utf16) {
            (Some(d), _) => d,
            (None, Some(enc)) => sniff_delimiter(enc.decode_with_bom_removal(&head).0.as_bytes()),
            (None, None) => sniff_delimiter(&head),
        };
        let raw: Box<dyn Read> = Box::new(io::Cursor::new(head).chain(raw));
        let progress = len
            .filter(|&len| opts.progress && len >= PROGRESS_MIN_BYTES)
            .map(|len| {
                let bar = indicatif::ProgressBar::new(len);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
                    )
                    .expect("static template")
                    .progress_chars("=> "),
                );
                bar.set_message(format!("reading {name}"));
                bar
            });
        let mut source: Box<dyn Read> = match &progress {
            Some(bar) => Box::new(bar.wrap_read(raw)),
            None => raw,
        };
        let hasher = opts
            .fingerprint
            .then(|| Arc::new(Mutex::new(Sha256::new())));
        if let Some(h) = &hasher {
            source = Box::new(Tap {
                inner: source,
                hasher: Arc::clone(h),
            });
        }
        if let Some(enc) = utf16 {
            source = Box::new(Utf16Reader::new(source, enc));
        }
        let mut input = Self::from_reader(shown, source, delimiter, progress)?;
        input.hasher = hasher;
        // Record positions count UTF-8 bytes, which a UTF-16 file's length does not tell.
        input.size = len.filter(|_| utf16.is_none());
        Ok(input)
    }

    /// Reads CSV from any byte stream; `path` is only used in messages.
    pub fn from_reader(
        path: String,
        source: Box<dyn Read>,
        delimiter: u8,
        progress: Option<indicatif::ProgressBar>,
    ) -> Result<CsvInput> {
        let mut records = Records::new(source, delimiter);
        let mut raw = Record::new();
        records.read(&mut raw).map_err(|e| Error::read(&path, e))?;
        if raw.is_empty() || (raw.len() == 1 && raw[0].iter().all(u8::is_ascii_whitespace)) {
            let what = if path == STDIN_NAME {
                "nothing came in"
            } else {
                "the file is empty"
            };
            return Err(Error::file(
                &path,
                format!("{what} (expected a header line and at least one row)"),
            ));
        }
        if raw.len() > MAX_COLUMNS {
            return Err(Error::Row {
                path,
                line: 1,
                problem: format!(
                    "the header has {} columns; a lead list or history has at most {} (as many as a spreadsheet holds): check the delimiter, or that this is the file meant",
                    raw.len(),
                    MAX_COLUMNS
                ),
            });
        }
        // No text file's header holds a NUL byte; UTF-16 without its BOM holds one in every
        // other byte, which read as UTF-8 made a "no column" error listing names full of NULs.
        let nuls: usize = raw.iter().map(|h| memchr::memchr_iter(0, h).count()).sum();
        if nuls > 0 {
            let bytes: usize = raw.iter().map(<[u8]>::len).sum();
            return Err(Error::Row {
                path,
                line: 1,
                problem: if 3 * nuls >= bytes {
                    "the header holds NUL bytes between its letters: the file looks like UTF-16 without a byte-order mark (BOM); save it as UTF-8 (in Excel: \"CSV UTF-8\"), or as UTF-16 with its BOM".into()
                } else {
                    "the header holds NUL bytes, which no text file has: is this a CSV file? (a workbook or an archive must be exported as CSV first)".into()
                },
            });
        }
        let headers: Vec<String> = raw.iter().map(|h| decode(h).trim().to_string()).collect();
        // Each name's first column, in one pass (a pairwise check took 30 s on 100k columns).
        // Empty names are left out: a spreadsheet's export often ends its header with `,,`
        // for trailing empty cells, and a column without a name can never be referred to
        // (`find_column` never matches one), so several of them are as harmless as one.
        let mut first: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
        for (i, h) in headers.iter().enumerate() {
            if h.is_empty() {
                continue;
            }
            if let Some(&j) = first.get(h.as_str()) {
                return Err(Error::Row {
                    path,
                    line: 1,
                    problem: format!(
                        "column {} appears twice in the header (columns {} and {})",
                        shown(h),
                        j + 1,
                        i + 1
                    ),
                });
            }
            first.insert(h, i);
        }
        Ok(CsvInput {
            source: Source { path, headers },
            records,
            delimiter,
            progress,
            hasher: None,
            size: None,
        })
    }

    pub fn path(&self) -> &str {
        &self.source.path
    }

    pub fn headers(&self) -> &[String] {
        &self.source.headers
    }

    /// Calls column `col` `name` from now on, in lookups and in error messages: a file whose
    /// header says what a column is only by convention (a scored file's `input_tier`, which is
    /// the lead list's own `tier`) can be read under the names its columns stand for.
    pub fn rename_column(&mut self, col: usize, name: String) {
        self.source.headers[col] = name;
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// How many bytes the CSV reader will see in all, when known before reading (not for
    /// standard input, a pipe or a UTF-16 file): record positions are offsets into these.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The index of a column the caller needs, or an error that names the closest header.
    pub fn column(&self, name: &str, role: &str) -> Result<usize> {
        find_column(&self.source.path, &self.source.headers, name, role)
    }

    /// Reads the next row into `record`; false at the end. A row with the wrong number of
    /// fields is an error here, so callers can index fields freely.
    pub fn read(&mut self, record: &mut Record) -> Result<bool> {
        let more = self.read_any(record)?;
        if more {
            self.source.check_width(record)?;
        }
        Ok(more)
    }

    /// Reads the next row whatever its number of fields; check it with `Source::check_width`
    /// before indexing it.
    pub fn read_any(&mut self, record: &mut Record) -> Result<bool> {
        self.records
            .read(record)
            .map_err(|e| Error::read(&self.source.path, e))
    }

    /// The SHA-256 of the bytes read so far, in hex (the whole file once reading is done).
    pub fn fingerprint(&self) -> Option<String> {
        let h = self.hasher.as_ref()?.lock().expect("not poisoned").clone();
        Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn finish_progress(&self) {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
    }
}

/// The UTF-16 byte order a stream's BOM announces, if it starts with one.
fn utf16_encoding(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    match head {
        [0xFF, 0xFE, ..] => Some(encoding_rs::UTF_16LE),
        [0xFE, 0xFF, ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// UTF-16 in, UTF-8 out, as it is read: what Excel's "Unicode text" export writes becomes what
/// the CSV reader and the line count expect. The BOM is dropped; an unpaired surrogate becomes
/// U+FFFD, as a stray byte of Windows-1252 would become its character.
struct Utf16Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    raw_at: (usize, usize),
    utf8: Vec<u8>,
    utf8_at: (usize, usize),
    /// The inner reader is at its end.
    eof: bool,
    /// The decoder has been told so and has flushed everything.
    done: bool,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        const CHUNK: usize = 64 * 1024;
        Utf16Reader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            raw: vec![0; CHUNK],
            raw_at: (0, 0),
            // Two bytes of UTF-16 never take more than three of UTF-8.
            utf8: vec![0; CHUNK / 2 * 3 + 16],
            utf8_at: (0, 0),
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.utf8_at.0 == self.utf8_at.1 {
            if self.done {
                return Ok(0);
            }
            if self.raw_at.0 == self.raw_at.1 && !self.eof {
                let n = self.inner.read(&mut self.raw)?;
                self.raw_at = (0, n);
                self.eof = n == 0;
            }
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.raw[self.raw_at.0..self.raw_at.1],
                &mut self.utf8,
                self.eof,
            );
            self.raw_at.0 += read;
            self.utf8_at = (0, written);
            self.done = self.eof && result == encoding_rs::CoderResult::InputEmpty;
        }
        let (from, to) = self.utf8_at;
        let n = buf.len().min(to - from);
        buf[..n].copy_from_slice(&self.utf8[from..from + n]);
        self.utf8_at.0 += n;
        Ok(n)
    }
}

/// The line a record starts on (1-based, the header being line 1).
/// The SHA-256 of a file's bytes, as the model file records its training data's.
pub fn sha256_of_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

pub fn line_of(record: &Record) -> u64 {
    record.line()
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// The longest column name (in bytes) a "the header has" list shows whole.
const MAX_LISTED_NAME: usize = 1_000;

/// Finds `name` among `headers`, or explains which column is missing and what was probably meant.
///
/// A column without a name is never found, not even for an empty `name`: it cannot be named in
/// a config or on the command line, and a header may have several of them.
pub fn find_column(path: &str, headers: &[String], name: &str, role: &str) -> Result<usize> {
    if let Some(i) = headers.iter().position(|h| h == name && !h.is_empty()) {
        return Ok(i);
    }
    let mut problem = format!("no column {} ({role})", shown(name));
    let named: Vec<String> = headers.iter().filter(|h| !h.is_empty()).cloned().collect();
    if let Some(close) = closest(name, &named) {
        problem.push_str(&format!("; did you mean {}?", shown(close)));
    } else {
        // Every column: a cut list reads as if the ones after the cut were missing too. A name
        // too long to list (a file with no line ends is one 100 MB name) is shown cut; a header
        // line read with the wrong delimiter, one name of a few hundred characters, stays whole
        // so the delimiter is there to see. A name that is empty or holds control characters
        // is quoted, so it is seen and cannot drive the terminal.
        let list: Vec<Cow<str>> = headers
            .iter()
            .map(|h| {
                if h.len() > MAX_LISTED_NAME {
                    Cow::Owned(shown(h))
                } else if h.is_empty() || h.chars().any(escaped) {
                    let mut quoted = String::from('"');
                    push_escaped(&mut quoted, h);
                    quoted.push('"');
                    Cow::Owned(quoted)
                } else {
                    Cow::Borrowed(h.as_str())
                }
            })
            .collect();
        problem.push_str(&format!("; the header has: {}", list.join(", ")));
    }
    if let Some(hint) = one_column_hint(headers) {
        problem.push_str(&hint);
    }
    Err(Error::file(path, problem))
}

/// When a header reads as one column holding a likely delimiter (`lead_id,company,...` read
/// with `--delimiter ';'`), what to say of it: the delimiter it most holds, and the flag. A
/// single column's name never holds the delimiter it was split on, so the one it holds is not.
fn one_column_hint(headers: &[String]) -> Option<String> {
    let [only] = headers else {
        return None;
    };
    let (name, count) = [
        (',', "comma"),
        (';', "semicolon"),
        ('\t', "tab"),
        ('|', "pipe"),
    ]
    .into_iter()
    .map(|(c, name)| (name, only.matches(c).count()))
    .max_by_key(|&(_, n)| n)
    .filter(|&(_, n)| n > 0)?;
    let (s, them) = if count == 1 {
        ("", "it")
    } else {
        ("s", "them")
    };
    Some(format!(
        "; the header reads as one column with {count} {name}{s} in it: is the file separated by {them}? (--delimiter sets the separator; left out, it is sniffed from the header)"
    ))
}

/// How alike two names must be (normalized Damerau-Levenshtein) to be a likely typo.
const CLOSE_ENOUGH: f64 = 0.6;

/// The header most like `name`, if any is close enough to be a likely typo.
///
/// The edit distance takes time and memory in the product of the two lengths, so names whose
/// lengths alone put them too far apart are never compared: the distance is at least the
/// difference in length. A 10 MB category value or a 100 MB header name then costs a count of
/// its characters, not seconds and gigabytes.
pub fn closest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let i = Candidates::new(candidates.iter().cloned()).closest_index(name)?;
    Some(candidates[i].as_str())
}

/// Known names, lower-cased once, to find the closest to many names in turn (a lead list's
/// unseen category values): `closest` would lower-case every candidate again for each.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// (as given, lower case, characters in the lower case, a histogram of those characters).
    items: Vec<(String, String, usize, Bag)>,
}

/// Counts of a text's characters in 32 buckets. Each edit changes the counts by at most 2 in
/// all (a transposition by none), so half their difference is a lower bound on the edit
/// distance: most candidates are ruled out without computing it.
type Bag = [u16; 32];

fn bag(text: &str) -> Bag {
    let mut b = [0u16; 32];
    for c in text.chars() {
        let k = ((c as u32).wrapping_mul(0x9E37_79B1) >> 27) as usize;
        b[k] = b[k].saturating_add(1);
    }
    b
}

impl Candidates {
    pub fn new(names: impl IntoIterator<Item = String>) -> Candidates {
        Candidates {
            items: names
                .into_iter()
                .map(|c| {
                    let lower = c.to_lowercase();
                    let m = lower.chars().count();
                    let b = bag(&lower);
                    (c, lower, m, b)
                })
                .collect(),
        }
    }

    /// The candidate most like `name`, if one is close enough to be a likely typo.
    pub fn closest(&self, name: &str) -> Option<&str> {
        self.closest_index(name).map(|i| self.items[i].0.as_str())
    }

    fn closest_index(&self, name: &str) -> Option<usize> {
        let lower = name.to_lowercase();
        let n = lower.chars().count();
        let mine = bag(&lower);
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, (_, other, m, theirs))| {
                let (short, long) = (n.min(*m), n.max(*m));
                if long > 0 && (short as f64) < CLOSE_ENOUGH * long as f64 {
                    return None;
                }
                // The score is 1 - distance / long; below CLOSE_ENOUGH for sure?
                let apart: u32 = mine
                    .iter()
                    .zip(theirs)
                    .map(|(a, b)| u32::from(a.abs_diff(*b)))
                    .sum();
                if f64::from(apart.div_ceil(2)) > (1.0 - CLOSE_ENOUGH) * long as f64 {
                    return None;
                }
                // Optimal string alignment: Damerau-Levenshtein without edits inside a
                // transposed pair, which a typo hint never needs, and allocation-free, unlike
                // strsim's Damerau-Levenshtein (a hash map per call).
                let score = if long == 0 {
                    1.0
                } else {
                    1.0 - strsim::osa_distance(&lower, other) as f64 / long as f64
                };
                Some((score, i))
            })
            .filter(|(score, _)| *score >= CLOSE_ENOUGH)
            // The last of equally close candidates, as `Iterator::max_by` picks.
            .fold(None, |best: Option<(f64, usize)>, (score, i)| match best {
                Some((b, _)) if b > score => best,
                _ => Some((score, i)),
            })
            .map(|(_, i)| i)
    }
}

/// One record's fields as text. A record whose bytes are UTF-8 throughout is checked once, as
/// a whole (`std::str::from_utf8` on the row, an ASCII test first), and its fields are then
/// sliced from that text; any other record is decoded field by field by [`decode`], each field
/// UTF-8 or else Windows-1252, as always. Checking every field on its own was 7% of scoring's
/// instructions.
#[derive(Clone, Copy)]
pub struct Row<'r> {
    record: &'r Record,
    /// The record's bytes as text, when they are UTF-8.
    text: Option<&'r str>,
}

impl<'r> Row<'r> {
    /// A record, checked for UTF-8 once.
    pub fn new(record: &'r Record) -> Row<'r> {
        Row {
            record,
            text: std::str::from_utf8(record.bytes()).ok(),
        }
    }

    /// Field `col` as text.
    pub fn text(self, col: usize) -> Cow<'r, str> {
        let (start, end) = self
            .record
            .span(col)
            .unwrap_or_else(|| panic!("field {col} of a record of {}", self.record.len()));
        // A field ends at a delimiter, which is ASCII unless given otherwise: a delimiter byte
        // inside a character leaves no field boundary there, and the field is decoded alone.
        match self.text.and_then(|t| t.get(start..end)) {
            Some(text) => Cow::Borrowed(text),
            None => decode(&self.record.bytes()[start..end]),
        }
    }

    /// The record's bytes (its line, for messages).
    pub fn record(self) -> &'r Record {
        self.record
    }

    /// Runs `f` on each record as a [`Row`] (checked for UTF-8 once) with its index, in order,
    /// until `f` returns false.
    pub fn each(records: &[Record], mut f: impl FnMut(usize, Row<'_>) -> bool) {
        for (i, record) in records.iter().enumerate() {
            if !f(i, Row::new(record)) {
                return;
            }
        }
    }
}

impl<'r> From<&'r Record> for Row<'r> {
    fn from(record: &'r Record) -> Row<'r> {
        Row::new(record)
    }
}

/// Decodes a field: UTF-8 when it is, else Windows-1252 (what Excel on Western European systems
/// writes), so "Müller" reads the same from either kind of export.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// Picks the delimiter that splits the header line into the most fields, outside quotes.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let (best, &n) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(i, &n)| (n, std::cmp::Reverse(i)))
        .expect("four candidates");
    if n == 0 {
        b','
    } else {
        CANDIDATES[best]
    }
}

/// The message for a field that is not a number, with a hint when it is a number in disguise
/// (`1.234.567,89`, `40,0 %`, `€ 1,200`): what to change is then obvious. `decimal_comma` is
/// how [`parse_number`] read the field: a number whose dots and comma do not follow that
/// convention (`1,234.5`, `1.23,5`) is told how the file writes numbers.
pub fn not_a_number(text: &str, decimal_comma: bool) -> String {
    let t = text.trim();
    if t.chars().count() > SHOWN_CHARS {
        return format!("expected a number, got {}", shown(t));
    }
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let marks_only = unsigned.bytes().any(|b| b.is_ascii_digit())
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',');
    if decimal_comma && marks_only && t.contains('.') {
        return format!("expected a number with a decimal comma, got {} (the file is not comma-separated, so a comma is the decimal mark and dots may only group digits in threes, as in 1.234.567,89)", shown(t));
    }
    let bare = ["EUR", "USD", "GBP", "CHF"]
        .iter()
        .fold(t.to_string(), |acc, code| acc.replace(code, ""));
    let digits = bare.chars().filter(char::is_ascii_digit).count();
    let formatted = digits > 0
        && bare
            .chars()
            .all(|c| c.is_ascii_digit() || " .,'%€$£+-\u{a0}".contains(c));
    if formatted {
        format!("expected a plain number, got {} (write it without thousands separators, units or currency signs)", shown(t))
    } else {
        format!("expected a number, got {}", shown(t))
    }
}

/// The most characters of a bad value an error message quotes.
pub const SHOWN_CHARS: usize = 60;

/// A value as an error message quotes it: whole when short, else its start and its length, so a
/// 1 MB field does not become a 1 MB message. Control characters (and the Unicode controls that
/// reorder text on screen) are written as Rust writes them in a string literal, `\u{1b}`, `\t`,
/// `\n`, `\0`: a value read from a file must never clear the screen or recolour the terminal
/// it is printed to, and a tab or a NUL in a value is then there to see.
pub fn shown(value: &str) -> String {
    let n = value.chars().count();
    let mut out = String::with_capacity(value.len().min(4 * SHOWN_CHARS) + 2);
    out.push('"');
    if n <= SHOWN_CHARS {
        push_escaped(&mut out, value);
        out.push('"');
        return out;
    }
    let end = value
        .char_indices()
        .nth(SHOWN_CHARS - 20)
        .map_or(value.len(), |(i, _)| i);
    push_escaped(&mut out, &value[..end]);
    // Digits grouped by hand: `io` sits below `report`, which formats numbers for people.
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    out.push_str(&format!("…\" ({grouped} characters)"));
    out
}

/// `text` whole, with the control characters [`shown`] escapes written as it writes them, and no
/// quotes: for a value a text report prints as a cell or a name of its own (an id, a group, a
/// category level), which the JSON keeps exactly as it was read.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().any(escaped) {
        let mut out = String::with_capacity(text.len() + 8);
        push_escaped(&mut out, text);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether [`shown`] writes `c` as an escape: a C0 or C1 control character (ESC starts the
/// terminal's commands), or a bidirectional embedding, override or isolate, which would show
/// the rest of a message in another order than it has.
fn escaped(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Appends `text` with each character [`escaped`] picks written as an escape.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if !escaped(c) {
            out.push(c);
        } else if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.extend(c.escape_unicode());
        }
    }
}

/// Why a field is not a number.
#[derive(Debug, PartialEq)]
pub struct NotANumber;

/// Parses a numeric field: blank is missing (`None`). Rejects NaN and infinities: they are
/// never a real measurement and would poison the fit.
///
/// With `decimal_comma` (the file's delimiter is not a comma: `;`-separated European exports,
/// tab-separated "Unicode text"), numbers are read as a German or French spreadsheet writes
/// them, besides the plain form:
///
/// - a comma is the decimal mark: `12,5` is 12.5;
/// - dots group the digits before it in threes: `1.200` is 1200, `1.234.567,5` is 1234567.5.
///   A dot followed by exactly three digits is a grouping, as it is in every file that has a
///   decimal comma: reading `1.200` as 1.2 there would be a thousandfold error no message
///   points at;
/// - a dot that cannot be a grouping (`12.5`, `0.125`, `12.3456`) is a decimal point, as
///   tools that write `;` or tabs with dot decimals use it: there is no other way to read it;
/// - anything else with dots and a comma (`1,234.5`, `1.23,5`, `12.345.6`) is refused, since
///   no one reading is safe: [`not_a_number`] says how the file writes numbers.
///
/// Training, scoring, evaluation, `init` and `export` all read numbers through here, so a
/// history and a lead list written alike read alike.
pub fn parse_number(field: &str, decimal_comma: bool) -> Result<Option<f64>, NotANumber> {
    let s = trim(field);
    if s.is_empty() {
        return Ok(None);
    }
    if !decimal_comma {
        if let Some(v) = parse_short_decimal(s) {
            return Ok(Some(v));
        }
    }
    let parsed = match decimal_comma.then(|| european(s)).flatten() {
        Some(plain) => plain.parse::<f64>().map_err(|_| NotANumber)?,
        None if decimal_comma && s.contains(',') => return Err(NotANumber),
        None => s.parse::<f64>().map_err(|_| NotANumber)?,
    };
    if parsed.is_finite() {
        Ok(Some(parsed))
    } else {
        Err(NotANumber)
    }
}

/// Whether a file with this delimiter writes numbers with a decimal comma: every file that is
/// not comma-separated may (see [`parse_number`]).
pub fn decimal_comma(delimiter: u8) -> bool {
    delimiter != b','
}

/// A number field read with one decimal mark (`from`, as [`parse_number`] takes it) rewritten
/// so a file with the other (`to`) reads the same number from it: `1.740,41` becomes `1740.41`,
/// and `1.2` becomes `1,2` (in a file with a decimal comma, `1.200` would be twelve hundred). The
/// digits are kept as written, never printed from a float. Anything that is not a number there
/// (a blank, `n/a`) is left as it is, so it reads as it did.
pub fn renumber(text: &str, from: bool, to: bool) -> Cow<'_, str> {
    let s = trim(text);
    if from == to || !matches!(parse_number(s, from), Ok(Some(_))) {
        return Cow::Borrowed(text);
    }
    if from {
        // A grouped or decimal-comma number in plain form; a plain one (`12.5`, `1e5`) reads
        // alike in both.
        Cow::Owned(european(s).unwrap_or_else(|| s.to_string()))
    } else {
        // A plain number has no comma and no grouping: its one dot, if any, is the decimal mark.
        Cow::Owned(s.replace('.', ","))
    }
}

/// `text.trim()`, without decoding characters when both ends are visible ASCII, as nearly every
/// field's are. Unicode's white space within ASCII is the tab to carriage return and the space,
/// all below `!`; a byte from `!` to DEL is a whole character and never white space. Anything
/// else (an empty field, a space or a non-ASCII byte at either end) is trimmed as `str::trim` does.
pub fn trim(text: &str) -> &str {
    let visible = |b: &u8| (b'!'..0x80).contains(b);
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if visible(first) && visible(last) => text,
        _ => text.trim(),
    }
}

/// 10^0 ..= 10^15, each exact.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A plain decimal (`-12`, `2047.91`, `.5`) of at most 15 digits, as `str::parse::<f64>` reads
/// it, without its general machinery; `None` for anything else, which then goes the long way.
/// Exact by Clinger's fast path: the digits make an integer below 10^15 < 2^53 and the scale a
/// power of ten up to 10^15, both exact in an `f64`, so the one division is correctly rounded,
/// as the full parser's result is. A minus sign applies after, as the parser's does (`-0` is
/// -0.0).
fn parse_short_decimal(s: &str) -> Option<f64> {
    let (negative, body) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if body.len() > 16 {
        return None;
    }
    let (mut mantissa, mut digits, mut decimals) = (0u64, 0usize, None);
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
            }
            b'.' if decimals.is_none() => decimals = Some(body.len() - i - 1),
            _ => return None,
        }
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    let v = mantissa as f64 / POW10[decimals.unwrap_or(0)];
    Some(if negative { -v } else { v })
}

/// A number written with a decimal comma and optional dots grouping thousands (`-1.234,5`,
/// `1.200`, `12,5`), as text Rust parses (`-1234.5`); `None` when `s` is not written so. A
/// plain number (`12.5`, `1e5`, `1200`) is `None` too: it parses as it is.
fn european(s: &str) -> Option<String> {
    if !s.contains('.') {
        // One comma and no dot: the decimal mark (`12,5`, `,5`), as before grouping was read.
        return (s.matches(',').count() == 1).then(|| s.replace(',', "."));
    }
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-' | b'+') => s.split_at(1),
        _ => ("", s),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = match body.split_once(',') {
        Some((_, f)) if !digits(f) => return None,
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    // 1 to 3 digits (no leading zero: `0.125` is a fraction), then groups of exactly three.
    let mut groups = whole.split('.');
    let first = groups.next().unwrap_or("");
    let grouping = digits(first)
        && first.len() <= 3
        && !first.starts_with('0')
        && groups.all(|g| g.len() == 3 && digits(g));
    if !grouping {
        return None;
    }
    let mut plain = String::with_capacity(s.len());
    plain.push_str(sign);
    plain.extend(whole.chars().filter(|&c| c != '.'));
    if let Some(f) = fraction {
        plain.push('.');
        plain.push_str(f);
    }
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bag_filter_never_rules_out_a_candidate_close_enough() {
        // Brute force: every candidate's score computed, the best kept (the last of equals).
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let alphabet: Vec<char> = "abcdeüÄ -".chars().collect();
        let word = |rng: &mut rand_chacha::ChaCha8Rng, n: usize| -> String {
            (0..n)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect()
        };
        for _ in 0..300 {
            let names: Vec<String> = (0..20)
                .map(|_| {
                    let n = rng.random_range(1..9);
                    word(&mut rng, n)
                })
                .collect();
            let n = rng.random_range(0..9);
            let probe = word(&mut rng, n);
            let lower = probe.to_lowercase();
            let brute = names
                .iter()
                .map(|c| {
                    let other = c.to_lowercase();
                    let long = lower.chars().count().max(other.chars().count());
                    let score = if long == 0 {
                        1.0
                    } else {
                        1.0 - strsim::osa_distance(&lower, &other) as f64 / long as f64
                    };
                    (score, c)
                })
                .filter(|(score, _)| *score >= CLOSE_ENOUGH)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, c)| c.as_str());
            assert_eq!(closest(&probe, &names), brute, "{probe:?} in {names:?}");
        }
    }

    fn input(text: &[u8]) -> Result<CsvInput> {
        let bytes = text.to_vec();
        let delimiter = sniff_delimiter(&bytes);
        CsvInput::from_reader(
            "t.csv".into(),
            Box::new(io::Cursor::new(bytes)),
            delimiter,
            None,
        )
    }

    fn rows(text: &[u8]) -> Vec<Vec<String>> {
        let mut inp = input(text).unwrap();
        let mut rec = Record::new();
        let mut out = vec![];
        while inp.read(&mut rec).unwrap() {
            out.push(rec.iter().map(|f| decode(f).into_owned()).collect());
        }
        out
    }

    #[test]
    fn a_long_bad_value_is_quoted_by_its_start_and_length() {
        assert_eq!(shown("12x"), "\"12x\"");
        let long = "9".repeat(1_048_576) + "x";
        let msg = not_a_number(&long, false);
        assert_eq!(
            msg,
            format!(
                "expected a number, got \"{}…\" (1,048,577 characters)",
                "9".repeat(40)
            )
        );
    }

    #[test]
    fn a_quoted_value_shows_control_characters_as_escapes() {
        // ESC [ 2 J clears a terminal: printed raw, a lead list could wipe the screen.
        assert_eq!(shown("xx\u{1b}[2J"), "\"xx\\u{1b}[2J\"");
        assert_eq!(shown("a\tb\r\n\0"), "\"a\\tb\\r\\n\\0\"");
        assert_eq!(shown("\u{7f}\u{9b}"), "\"\\u{7f}\\u{9b}\"");
        // A right-to-left override would show the rest of the message backwards.
        assert_eq!(shown("ab\u{202e}cd"), "\"ab\\u{202e}cd\"");
        // Printable text, accents and quotes included, is as it was.
        assert_eq!(
            shown("Müller \"& Co\" \\ 東京"),
            "\"Müller \"& Co\" \\ 東京\""
        );
        // A long value is cut at 40 characters, then escaped; its length counts the characters
        // it has, not the escapes.
        let long = "\u{1b}".repeat(100);
        assert_eq!(
            shown(&long),
            format!("\"{}…\" (100 characters)", "\\u{1b}".repeat(40))
        );
        assert_eq!(
            not_a_number("1\u{1b}[31m", false),
            "expected a number, got \"1\\u{1b}[31m\""
        );
        assert_eq!(
            not_a_number("1.2,3\u{7}", true),
            "expected a number, got \"1.2,3\\u{7}\""
        );
    }

    #[test]
    fn a_printable_value_is_escaped_whole_and_unquoted() {
        assert_eq!(printable("nor\u{1b}[31mth"), "nor\\u{1b}[31mth");
        assert_eq!(printable("a\tb\u{202e}"), "a\\tb\\u{202e}");
        // Printable text is borrowed as it is; a long value is not cut.
        assert!(matches!(
            printable("Müller 東京"),
            Cow::Borrowed("Müller 東京")
        ));
        let long = "x".repeat(100) + "\u{7}";
        assert_eq!(printable(&long), "x".repeat(100) + "\\u{7}");
    }

    #[test]
    fn header_names_in_messages_are_escaped() {
        let headers = vec!["id\u{1b}[2J".to_string(), "b".into()];
        let e = find_column("t.csv", &headers, "lead_id", "the lead id").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: no column \"lead_id\" (the lead id); the header has: \"id\\u{1b}[2J\", b"
        );
        let err = input(b"a\x1b,b,a\x1b\n1,2,3\n").err().unwrap().to_string();
        assert_eq!(
            err,
            "t.csv:1: column \"a\\u{1b}\" appears twice in the header (columns 1 and 3)"
        );
    }

    #[test]
    fn a_header_with_nul_bytes_is_refused_with_its_likely_cause() {
        // UTF-16 without its BOM: every ASCII letter is followed (little-endian) or preceded
        // (big-endian) by a NUL.
        for big_endian in [false, true] {
            let bytes: Vec<u8> = "lead_id,industry\n1,retail\n"
                .encode_utf16()
                .flat_map(|u| match big_endian {
                    true => u.to_be_bytes(),
                    false => u.to_le_bytes(),
                })
                .collect();
            let err = input(&bytes).err().unwrap().to_string();
            assert_eq!(
                err,
                "t.csv:1: the header holds NUL bytes between its letters: the file looks like UTF-16 without a byte-order mark (BOM); save it as UTF-8 (in Excel: \"CSV UTF-8\"), or as UTF-16 with its BOM"
            );
        }
        // A few NULs among many other bytes: a binary file, not text in another encoding.
        let err = input(b"PK\x03\x04\x14\x00\x08\x00[Content_Types].xml\x9c\xa1\xd2\n")
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "t.csv:1: the header holds NUL bytes, which no text file has: is this a CSV file? (a workbook or an archive must be exported as CSV first)"
        );
    }

    #[test]
    fn columns_without_a_name_may_repeat_and_are_never_found() {
        // What a spreadsheet writes for a sheet whose rows run past the named columns.
        let inp = input(b"id,name,,\n1,a,,\n").unwrap();
        assert_eq!(inp.headers(), ["id", "name", "", ""]);
        assert_eq!(rows(b"id,name,,\n1,a,,\n"), [["1", "a", "", ""]]);
        let e = inp.column("", "a feature").unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv: no column \"\" (a feature); the header has: id, name, \"\", \"\""
        );
        // A one-letter name is not "close" to an empty one.
        let e = inp.column("x", "a feature").unwrap_err().to_string();
        assert!(e.ends_with("the header has: id, name, \"\", \"\""), "{e}");
        // A name given twice is still refused, after empty ones.
        let err = input(b",,a,,a\n1,2,3,4,5\n").err().unwrap().to_string();
        assert_eq!(
            err,
            "t.csv:1: column \"a\" appears twice in the header (columns 3 and 5)"
        );
    }

    #[test]
    fn closest_never_compares_names_whose_lengths_rule_them_out() {
        let known: Vec<String> = ["software", "retail", "healthcare"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // The edit distance of 2M characters against each level took seconds and hundreds of MB.
        let started = std::time::Instant::now();
        assert_eq!(closest(&"s".repeat(2_000_000), &known), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(closest("sofware", &known), Some("software"));
        // At the edge: 6 of 10 characters can still be 0.6 alike.
        let long = vec!["abcdefghij".to_string()];
        assert_eq!(closest("abcdef", &long), Some("abcdefghij"));
        assert_eq!(closest("abcde", &long), None);
    }

    #[test]
    fn a_long_header_name_is_cut_in_the_list_of_columns() {
        let headers = vec!["a".repeat(100_000), "b".into()];
        let e = find_column("t.csv", &headers, "lead_id", "the lead id").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "t.csv: no column \"lead_id\" (the lead id); the header has: \"{}…\" (100,000 characters), b",
                "a".repeat(40)
            )
        );
    }

    #[test]
    fn sniffs_semicolons_tabs_and_ignores_quoted_commas() {
        assert_eq!(sniff_delimiter(b"a;b;\"c,d,e\"\n1;2;3"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a,b\n"), b',');
        assert_eq!(sniff_delimiter(b"single\n"), b',');
    }

    #[test]
    fn reads_bom_crlf_and_quoted_newlines() {
        let got = rows(b"\xEF\xBB\xBFid,name\r\n1,\"Smith, Jones\r\n& Co\"\r\n2,x\r\n");
        assert_eq!(got[0], vec!["1", "Smith, Jones\r\n& Co"]);
        assert_eq!(got[1], vec!["2", "x"]);
        let inp = input(b"\xEF\xBB\xBFid,name\n1,a\n").unwrap();
        assert_eq!(inp.headers()[0], "id");
    }

    #[test]
    fn decodes_windows_1252_when_not_utf8() {
        assert_eq!(decode(b"M\xfcller"), "Müller");
        assert_eq!(decode("Müller".as_bytes()), "Müller");
    }

    #[test]
    fn line_numbers_count_physical_lines() {
        let mut inp = input(b"id,name\n1,\"two\nlines\"\n2,x\n").unwrap();
        let mut rec = Record::new();
        inp.read(&mut rec).unwrap();
        assert_eq!(line_of(&rec), 2);
        inp.read(&mut rec).unwrap();
        assert_eq!(line_of(&rec), 4);
    }

    #[test]
    fn lines_are_physical_with_crlf_and_blank_lines() {
        let mut inp = input(b"id,name\r\n1,\"two\r\nlines\"\r\n\r\n\r\n2,x\r\n3,y\n").unwrap();
        let mut rec = Record::new();
        let mut lines = vec![];
        while inp.read(&mut rec).unwrap() {
            lines.push(line_of(&rec));
        }
        assert_eq!(lines, vec![2, 6, 7]);
    }

    #[test]
    fn short_row_is_an_error_with_its_line() {
        let mut inp = input(b"a,b\n1,2\n3\n").unwrap();
        let mut rec = Record::new();
        assert!(inp.read(&mut rec).unwrap());
        let err = inp.read(&mut rec).unwrap_err().to_string();
        assert_eq!(err, "t.csv:3: expected 2 fields as in the header, found 1");
    }

    #[test]
    fn numbers_blank_is_missing_and_text_is_an_error() {
        assert_eq!(parse_number(" 12.5 ", false), Ok(Some(12.5)));
        assert_eq!(parse_number("", false), Ok(None));
        assert_eq!(parse_number("12,5", true), Ok(Some(12.5)));
        assert_eq!(parse_number("12,5", false), Err(NotANumber));
        assert_eq!(parse_number("1,234.5", true), Err(NotANumber));
        assert_eq!(parse_number("n/a", false), Err(NotANumber));
        assert_eq!(parse_number("NaN", false), Err(NotANumber));
        assert_eq!(parse_number("inf", false), Err(NotANumber));
    }

    #[test]
    fn with_a_decimal_comma_dots_group_thousands_in_threes() {
        let read = |s| parse_number(s, true);
        // What a German spreadsheet writes.
        assert_eq!(read("1.200"), Ok(Some(1200.0)));
        assert_eq!(read("1.200,50"), Ok(Some(1200.5)));
        assert_eq!(read("1.234.567,5"), Ok(Some(1_234_567.5)));
        assert_eq!(read("-1.234"), Ok(Some(-1234.0)));
        assert_eq!(read("+12.345,0"), Ok(Some(12345.0)));
        assert_eq!(read("999,99"), Ok(Some(999.99)));
        assert_eq!(read(",5"), Ok(Some(0.5)));
        // A dot that cannot group thousands is a decimal point, as before.
        assert_eq!(read("12.5"), Ok(Some(12.5)));
        assert_eq!(read("0.125"), Ok(Some(0.125)));
        assert_eq!(read("12.3456"), Ok(Some(12.3456)));
        assert_eq!(read("1200"), Ok(Some(1200.0)));
        assert_eq!(read("1.5e3"), Ok(Some(1500.0)));
        // Dots and a comma that are neither convention.
        for bad in [
            "1,234.5", "1.23,5", "12.345.6", "1.2345,6", "0.123,4", "1.200,", "1,2,3",
        ] {
            assert_eq!(read(bad), Err(NotANumber), "{bad}");
        }
        // Without a decimal comma nothing changes: `1.200` is 1.2.
        assert_eq!(parse_number("1.200", false), Ok(Some(1.2)));
        assert_eq!(parse_number("1.200,50", false), Err(NotANumber));
    }

    #[test]
    fn a_renumbered_field_reads_as_the_same_number_with_the_other_decimal_mark() {
        let german = [
            "1740,41",
            "1.740,41",
            "1.200",
            "-1.234",
            "+12.345,0",
            ",5",
            "12.5",
            "0.125",
            "1200",
            "1.5e3",
            " 12,5 ",
            "0",
            "-0,0",
            "1.234.567,5",
        ];
        let plain = [
            "1740.41",
            "1.200",
            "-12",
            ".5",
            "-.5",
            "1.5e3",
            "1E-7",
            "0.125",
            "1200",
            " 7.25 ",
            "123456789012345678.5",
            "1.",
        ];
        for (fields, from) in [(&german[..], true), (&plain[..], false)] {
            for &t in fields {
                let out = renumber(t, from, !from);
                assert_eq!(
                    parse_number(&out, !from),
                    parse_number(t, from),
                    "{t} -> {out}"
                );
            }
        }
        assert_eq!(renumber("1.740,41", true, false), "1740.41");
        assert_eq!(renumber("1.200", false, true), "1,200");
        // Not numbers, or no change of mark: as written.
        for t in ["", " ", "n/a", "-", "abc"] {
            assert_eq!(renumber(t, true, false), t);
            assert_eq!(renumber(t, false, true), t);
        }
        assert!(matches!(
            renumber("1.200", true, true),
            Cow::Borrowed("1.200")
        ));
    }

    #[test]
    fn a_number_against_the_files_decimal_comma_says_how_it_writes_numbers() {
        let want = |t: &str| {
            format!("expected a number with a decimal comma, got \"{t}\" (the file is not comma-separated, so a comma is the decimal mark and dots may only group digits in threes, as in 1.234.567,89)")
        };
        assert_eq!(not_a_number(" 1,234.5 ", true), want("1,234.5"));
        assert_eq!(not_a_number("-1.23,5", true), want("-1.23,5"));
        assert_eq!(not_a_number("12x", true), "expected a number, got \"12x\"");
        assert!(not_a_number("€ 1.200", true).contains("currency signs"));
        assert!(not_a_number("1,234.5", false).contains("without thousands separators"));
    }

    #[test]
    fn a_formatted_number_gets_a_hint() {
        assert_eq!(not_a_number("n/a", false), "expected a number, got \"n/a\"");
        assert!(not_a_number("1.234.567,89", false).contains("without thousands separators"));
        assert!(not_a_number(" 40,0 % ", false).contains("got \"40,0 %\" (write it"));
        assert!(not_a_number("EUR 1,200", false).contains("currency signs"));
        assert_eq!(
            not_a_number("twelve", false),
            "expected a number, got \"twelve\""
        );
        assert_eq!(not_a_number("A1", false), "expected a number, got \"A1\"");
    }

    #[test]
    fn missing_column_suggests_the_closest_header() {
        let headers = vec!["industry".to_string(), "region".to_string()];
        let err = find_column("c.csv", &headers, "industy", "a feature").unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv: no column \"industy\" (a feature); did you mean \"industry\"?"
        );
        let err = find_column("c.csv", &headers, "zzz", "the id").unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv: no column \"zzz\" (the id); the header has: industry, region"
        );
    }

    /// `text` as UTF-16 with a BOM, in either byte order.
    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_with_a_bom_reads_as_utf8_with_its_lines_and_delimiter() {
        let text = "id\tname\r\n1\t\"M\u{fc}ller\r\n\u{1F600}\"\r\n\r\n2\tx\r\n";
        for big_endian in [false, true] {
            let bytes = utf16(text, big_endian);
            let mut inp = CsvInput::open_stream(
                "u.txt".into(),
                "u.txt".into(),
                Box::new(io::Cursor::new(bytes)),
                None,
                ReadOptions::default(),
            )
            .unwrap();
            assert_eq!(inp.delimiter(), b'\t');
            assert_eq!(inp.headers(), ["id", "name"]);
            let mut rec = Record::new();
            assert!(inp.read(&mut rec).unwrap());
            assert_eq!(decode(&rec[1]), "M\u{fc}ller\r\n\u{1F600}");
            assert_eq!(line_of(&rec), 2);
            assert!(inp.read(&mut rec).unwrap());
            assert_eq!((&rec[0], line_of(&rec)), (&b"2"[..], 5));
            assert!(!inp.read(&mut rec).unwrap());
        }
    }

    #[test]
    fn utf16_decodes_across_reads_of_any_size() {
        let text = "a\u{fc}\u{1F600}b\n".repeat(5000);
        let bytes = utf16(&text, false);
        // One byte at a time from the source, and into the reader's caller: a code unit and a
        // surrogate pair split between reads still decode.
        struct Trickle(io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        let mut r = Utf16Reader::new(Trickle(io::Cursor::new(bytes)), encoding_rs::UTF_16LE);
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        while r.read(&mut byte).unwrap() == 1 {
            out.push(byte[0]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), text);
        assert_eq!(r.read(&mut byte).unwrap(), 0);
    }

    #[test]
    fn missing_value_tokens_match_trimmed_and_exactly() {
        let tokens = default_missing_values();
        assert!(is_missing_value(&tokens, " n/a "));
        assert!(is_missing_value(&tokens, "#N/A"));
        assert!(!is_missing_value(&tokens, "N/a"));
        assert!(!is_missing_value(&tokens, "none"));
        assert!(!is_missing_value(&tokens, ""));
        assert!(!is_missing_value(&[String::new()], "  "));
    }

    #[test]
    fn duplicate_header_is_an_error() {
        let err = input(b"a,b,a\n1,2,3\n").err().unwrap().to_string();
        assert_eq!(
            err,
            "t.csv:1: column \"a\" appears twice in the header (columns 1 and 3)"
        );
    }

    #[test]
    fn the_fast_trim_is_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\n",
            "\u{a0}a",
            "a\u{a0}",
            "\u{3000}x\u{3000}",
            "é",
            " é ",
            "\u{85}",
            "!",
            "~",
            "\u{7f}",
            "a b",
            "\u{b}x",
            "x\u{c}",
            "\u{2028}",
            "ab\u{200b}",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn a_header_read_as_one_column_names_the_separator_it_holds() {
        let one = |h: &str| one_column_hint(&[h.to_string()]);
        assert_eq!(
            one("lead_id,company,region").as_deref(),
            Some("; the header reads as one column with 2 commas in it: is the file separated by them? (--delimiter sets the separator; left out, it is sniffed from the header)")
        );
        assert!(one("id\tname")
            .unwrap()
            .contains(" 1 tab in it: is the file separated by it?"));
        // Most of one kind wins: a semicolon file whose names hold a comma.
        assert!(one("id;name, first;region")
            .unwrap()
            .contains(" 2 semicolons "));
        assert_eq!(one("lead_id"), None);
        assert_eq!(one_column_hint(&["a,b".to_string(), "c".to_string()]), None);
    }

    /// Every string the short path reads, it reads to the bit as `str::parse` does; strings it
    /// declines go the long way, so agreement there is the old code's.
    #[test]
    fn short_decimals_parse_to_the_bit_as_str_parse_does() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.0",
            ".5",
            "5.",
            "-.5",
            "-5.",
            ".",
            "-",
            "-.",
            "",
            "1.2.3",
            "+5",
            "1e5",
            "0x10",
            "999999999999999",
            "9999999999999999",
            "0.000000000000001",
            "123456789012345.",
            "-0.1",
            "0.3",
            "2047.91",
            "89717099",
            "00000000000000012",
            "1,5",
            " 5",
            "5 ",
            "inf",
            "NaN",
            "--5",
            "5-",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..300_000 {
            let whole = rng.random_range(0..=17);
            let frac = rng.random_range(0..=17usize.saturating_sub(whole));
            let digit =
                |rng: &mut rand_chacha::ChaCha8Rng| char::from(b'0' + rng.random_range(0..10));
            let mut t = String::new();
            if rng.random_bool(0.3) {
                t.push('-');
            }
            (0..whole).for_each(|_| t.push(digit(&mut rng)));
            if frac > 0 || rng.random_bool(0.2) {
                t.push('.');
            }
            (0..frac).for_each(|_| t.push(digit(&mut rng)));
            texts.push(t);
        }
        let mut short = 0;
        for t in &texts {
            if let Some(v) = parse_short_decimal(t) {
                short += 1;
                let want: f64 = t.parse().unwrap_or_else(|_| panic!("{t:?} read as {v}"));
                assert_eq!(v.to_bits(), want.to_bits(), "{t:?}");
            }
        }
        // The short path must carry most of them, or this proves nothing.
        assert!(short > texts.len() / 2, "{short} of {}", texts.len());
    }
}
