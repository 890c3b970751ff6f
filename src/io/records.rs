//! Splitting a CSV byte stream into records, with each record's line.
//!
//! Nearly every line of a CRM export holds no quote: such a line is one record, split at the
//! delimiter, found with `memchr`. A line that holds a quote anywhere goes to `csv_core`, the
//! csv crate's own state machine, which applies its rules (a quoted field, a doubled quote, line
//! ends inside quotes, a quote in the middle of a field kept as text). So every file comes out
//! record for record as the csv crate reads it with the settings leadscore uses (any of `\r`,
//! `\n` and `\r\n` ends a record, blank lines are skipped, a UTF-8 BOM at the very start is
//! dropped, rows may differ in width), which `tests` below check against `csv::Reader` on
//! generated files with every such feature. Splitting here cost a fifth of the instructions
//! the csv crate's state machine spent on a wide lead list's records, byte by byte.
//!
//! Lines are counted as the bytes pass: a record's line is one more than the `\n` bytes before
//! its first byte, wherever they are (between records, in blank lines, inside quoted fields).

use std::io::{self, Read};

/// Bytes asked of the source at a time; the buffer grows past it only for a longer record.
const READ_BYTES: usize = 256 * 1024;

/// One record's fields, with the line and byte of the stream it starts at. The fields' bytes
/// lie in one buffer with one byte between each two (the line as read, delimiters and all, for
/// a record without quotes), so a record whose buffer is UTF-8 has every field UTF-8 too: a
/// field ends at an ASCII byte or at the buffer's end, never inside a character. A record is
/// reused row after row: clearing keeps its buffers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    bytes: Vec<u8>,
    /// Where each field ends in `bytes`; the next starts one byte later.
    ends: Vec<usize>,
    line: u64,
    byte: u64,
}

impl Record {
    pub fn new() -> Record {
        Record::default()
    }

    /// A record of `fields`, as if read at line 0 (for tests and records built in code).
    pub fn from_fields<T: AsRef<[u8]>>(fields: impl IntoIterator<Item = T>) -> Record {
        let mut record = Record::new();
        for field in fields {
            record.push_field(field.as_ref());
        }
        record
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    /// Adds a field at the end.
    pub fn push_field(&mut self, field: &[u8]) {
        if !self.ends.is_empty() {
            self.bytes.push(b',');
        }
        self.bytes.extend_from_slice(field);
        self.ends.push(self.bytes.len());
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`'s bytes, `None` past the last field.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.span(i).map(|(start, end)| &self.bytes[start..end])
    }

    /// Where field `i` lies in [`Record::bytes`].
    #[inline]
    pub fn span(&self, i: usize) -> Option<(usize, usize)> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        Some((start, end))
    }

    /// Every field's bytes with one byte between each two: check it for UTF-8 once, then take
    /// each field by its [`Record::span`].
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// The line of the stream the record starts on (1 for the header), 0 for a record built in
    /// code.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The offset in the stream of the record's first byte.
    pub fn byte(&self) -> u64 {
        self.byte
    }

    /// Places a record built from another (an edited copy) where that one was read.
    pub fn set_place_of(&mut self, other: &Record) {
        self.line = other.line;
        self.byte = other.byte;
    }
}

impl std::ops::Index<usize> for Record {
    type Output = [u8];

    #[inline]
    fn index(&self, i: usize) -> &[u8] {
        match self.get(i) {
            Some(field) => field,
            None => panic!("field {i} of a record of {} fields", self.len()),
        }
    }
}

/// Records of one CSV stream, read in order.
pub struct Records {
    source: Box<dyn Read>,
    delimiter: u8,
    buf: Vec<u8>,
    /// The next byte to read in `buf`, and one past the last byte read into it.
    pos: usize,
    filled: usize,
    /// The stream's offset of `buf[0]`.
    base: u64,
    /// `\n` bytes before `buf[pos]`.
    newlines: u64,
    eof: bool,
    /// Nothing taken from the stream yet: a UTF-8 BOM here is not data.
    at_start: bool,
    core: csv_core::Reader,
    /// A quoted record's fields and ends, as `csv_core` writes them.
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Records {
    pub fn new(source: Box<dyn Read>, delimiter: u8) -> Records {
        Records {
            source,
            delimiter,
            buf: vec![0; READ_BYTES],
            pos: 0,
            filled: 0,
            base: 0,
            newlines: 0,
            eof: false,
            at_start: true,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 1024],
            ends: vec![0; 64],
        }
    }

    /// Reads the next record into `record`, with its line and first byte; false at the end of
    /// the stream.
    pub fn read(&mut self, record: &mut Record) -> io::Result<bool> {
        record.clear();
        if !self.skip_line_ends()? {
            return Ok(false);
        }
        record.line = self.newlines + 1;
        record.byte = self.base + self.pos as u64;
        // The record's line: up to the next line end, or the end of the stream.
        let end = loop {
            let rest = &self.buf[self.pos..self.filled];
            if let Some(i) = memchr::memchr2(b'\r', b'\n', rest) {
                break self.pos + i;
            }
            if self.eof {
                break self.filled;
            }
            self.fill()?;
        };
        let line = &self.buf[self.pos..end];
        if memchr::memchr(b'"', line).is_some() {
            return self.read_quoted(record).map(|()| true);
        }
        // Taken as it is: the fields with a delimiter between each two.
        record.bytes.extend_from_slice(line);
        push_delimiters(line, self.delimiter, &mut record.ends);
        record.ends.push(line.len());
        // The line end stays, for the next read to skip and count.
        self.pos = end;
        Ok(true)
    }

    /// Moves past line ends (a record's own, and blank lines), counting `\n`s, and past a BOM
    /// at the very start; false when the stream ends first.
    fn skip_line_ends(&mut self) -> io::Result<bool> {
        loop {
            if self.at_start {
                while self.filled < 3 && !self.eof {
                    self.fill()?;
                }
                self.at_start = false;
                if self.buf[..self.filled].starts_with(b"\xEF\xBB\xBF") {
                    self.pos = 3;
                }
            }
            while self.pos < self.filled {
                match self.buf[self.pos] {
                    b'\n' => self.newlines += 1,
                    b'\r' => {}
                    _ => return Ok(true),
                }
                self.pos += 1;
            }
            if self.eof {
                return Ok(false);
            }
            self.fill()?;
        }
    }

    /// Reads more of the stream behind what is left in the buffer: moved to its front, and the
    /// buffer doubled when a record fills it. Sets `eof` when the stream has ended.
    fn fill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.base += self.pos as u64;
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.source.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the record at `pos` with `csv_core`, over as many lines and reads as it takes.
    fn read_quoted(&mut self, record: &mut Record) -> io::Result<()> {
        use csv_core::ReadRecordResult;
        // Started afresh at a record's first byte: no state of the last quoted record carries
        // over (its line end is already behind `pos`). A fresh `csv_core` drops a UTF-8 BOM from
        // the first input it is given when that holds 3 bytes or more, so it is given one byte
        // first: a BOM here is a field's text, as it is to the csv crate anywhere but at the
        // start of the stream, which `skip_line_ends` has already dropped.
        self.core.reset();
        let mut first = true;
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            let take = if first {
                (self.filled - self.pos).min(1)
            } else {
                self.filled - self.pos
            };
            first = false;
            let input = &self.buf[self.pos..self.pos + take];
            let (result, nin, nout, nend) =
                self.core
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[endlen..]);
            self.newlines += memchr::memchr_iter(b'\n', &input[..nin]).count() as u64;
            self.pos += nin;
            outlen += nout;
            endlen += nend;
            match result {
                // Given all that is buffered, and the stream has more: read it. At the end of
                // the stream, an empty input tells `csv_core` so.
                ReadRecordResult::InputEmpty if self.pos == self.filled && !self.eof => {
                    self.fill()?;
                }
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record | ReadRecordResult::End => break,
            }
        }
        let mut start = 0;
        for &end in &self.ends[..endlen] {
            record.push_field(&self.out[start..end]);
            start = end;
        }
        Ok(())
    }
}

/// Pushes to `ends` the offset of every `delimiter` in `line`, eight bytes at a time: a line is
/// short and its delimiters are many, so `memchr`'s setup for each one cost more than this.
fn push_delimiters(line: &[u8], delimiter: u8, ends: &mut Vec<usize>) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pattern = u64::from(delimiter) * 0x0101_0101_0101_0101;
    let mut words = line.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ pattern;
        // The high bit of each byte of `x` that is zero, and of no other: adding 0x7f to the
        // low seven bits carries into the high bit unless they are all zero, and no carry
        // crosses into the next byte.
        let mut zeros = !(((x & LOW7) + LOW7) | x | LOW7);
        while zeros != 0 {
            ends.push(base + zeros.trailing_zeros() as usize / 8);
            zeros &= zeros - 1;
        }
        base += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == delimiter {
            ends.push(base + i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Every record of `bytes` as `Records` reads it: fields and line.
    fn ours(bytes: &[u8], delimiter: u8, read_size: usize) -> Vec<(Vec<Vec<u8>>, u64)> {
        let source = Trickle {
            bytes: bytes.to_vec(),
            at: 0,
            most: read_size,
        };
        let mut records = Records::new(Box::new(source), delimiter);
        let mut record = Record::new();
        let mut all = Vec::new();
        while records.read(&mut record).unwrap() {
            let line = record.line();
            all.push((record.iter().map(<[u8]>::to_vec).collect(), line));
        }
        all
    }

    /// Every record as the csv crate reads it with leadscore's settings before `Records`, with
    /// each record's line counted as `Records` defines it (the csv crate's own line numbers are
    /// wrong after CRLF; its byte offsets are not): one more than the `\n`s before its first
    /// byte, found from its reported offset by skipping the line ends it reports before.
    fn theirs(bytes: &[u8], delimiter: u8) -> Vec<(Vec<Vec<u8>>, u64)> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        let mut all = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let mut at = record.position().unwrap().byte() as usize;
            if at == 0 && bytes.starts_with(b"\xEF\xBB\xBF") {
                at = 3;
            }
            while at < bytes.len() && (bytes[at] == b'\r' || bytes[at] == b'\n') {
                at += 1;
            }
            let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
            all.push((record.iter().map(<[u8]>::to_vec).collect(), line));
        }
        all
    }

    /// A reader that gives at most `most` bytes a read: records and line ends split across
    /// reads at every point.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        most: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.most.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// Every byte value as the delimiter, at every offset of a word and in the tail, beside
    /// bytes one bit away from it: the same offsets as a byte-by-byte search.
    #[test]
    fn delimiters_are_found_eight_bytes_at_a_time_exactly() {
        for delimiter in 0..=255u8 {
            let mut line: Vec<u8> = (0..37u8).map(|i| delimiter ^ (1 << (i % 8))).collect();
            for at in [0, 3, 7, 8, 15, 16, 31, 32, 36] {
                line[at] = delimiter;
            }
            let mut got = Vec::new();
            push_delimiters(&line, delimiter, &mut got);
            let want: Vec<usize> = (0..line.len()).filter(|&i| line[i] == delimiter).collect();
            assert_eq!(got, want, "delimiter {delimiter}");
        }
    }

    #[test]
    fn plain_lines_split_at_the_delimiter() {
        let got = ours(b"id,a,b\n1,x,\n2,,y\n", b',', 1 << 20);
        let want: Vec<(Vec<Vec<u8>>, u64)> = vec![
            (vec![b"id".to_vec(), b"a".to_vec(), b"b".to_vec()], 1),
            (vec![b"1".to_vec(), b"x".to_vec(), b"".to_vec()], 2),
            (vec![b"2".to_vec(), b"".to_vec(), b"y".to_vec()], 3),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn quoted_fields_go_by_the_csv_rules_and_count_the_lines_inside_them() {
        let text =
            b"id,note\r\n1,\"two\r\nlines, \"\"quoted\"\"\"\r\n\r\n2,5\" screen\n3,\"ab\"c\n";
        let got = ours(text, b',', 1 << 20);
        assert_eq!(got[1].0[1], b"two\r\nlines, \"quoted\"".to_vec());
        assert_eq!(got[2], (vec![b"2".to_vec(), b"5\" screen".to_vec()], 5));
        assert_eq!(got[3], (vec![b"3".to_vec(), b"abc".to_vec()], 6));
        assert_eq!(got, theirs(text, b','));
    }

    #[test]
    fn a_bom_at_the_start_is_not_data_and_one_later_is() {
        let text = b"\xEF\xBB\xBFid\n\xEF\xBB\xBFx\n";
        let got = ours(text, b',', 1);
        assert_eq!(got[0].0, vec![b"id".to_vec()]);
        assert_eq!(got[1].0, vec![b"\xEF\xBB\xBFx".to_vec()]);
        assert_eq!(got, theirs(text, b','));
    }

    #[test]
    fn an_unclosed_quote_runs_to_the_end_and_a_last_line_needs_no_line_end() {
        for text in [
            &b"a,b\n1,\"open\n2,3\n"[..],
            b"a,b\n1,2",
            b"a\r\rb\r",
            b"\n\n",
            b"",
        ] {
            assert_eq!(ours(text, b',', 1 << 20), theirs(text, b','), "{text:?}");
        }
    }

    /// Random files of every feature the rules treat apart (delimiters, quotes in and around
    /// fields, `\r`, `\n`, CRLF, blank lines, a BOM, empty fields, long fields), read in pieces
    /// of every size from 1 byte: the same records and lines as the csv crate.
    #[test]
    fn generated_files_read_as_the_csv_crate_reads_them() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let pieces: [&[u8]; 12] = [
            b"a",
            b"xyz",
            b",",
            b";",
            b"\"",
            b"\"\"",
            b"\r",
            b"\n",
            b"\r\n",
            b" ",
            b"\xEF\xBB\xBF",
            b"0123456789abcdefghijklmnopqrstuvwxyz",
        ];
        for round in 0..3000 {
            let delimiter = if round % 3 == 0 { b';' } else { b',' };
            let mut text = Vec::new();
            if rng.random_bool(0.1) {
                text.extend_from_slice(b"\xEF\xBB\xBF");
            }
            for _ in 0..rng.random_range(0..60) {
                // Mostly plain text, so quoted and unquoted lines mix.
                let piece = if rng.random_bool(0.6) {
                    pieces[rng.random_range(0..3)]
                } else {
                    pieces[rng.random_range(0..pieces.len())]
                };
                text.extend_from_slice(piece);
            }
            let want = theirs(&text, delimiter);
            for read_size in [1, 2, 3, 7, 64, 1 << 20] {
                assert_eq!(
                    ours(&text, delimiter, read_size),
                    want,
                    "round {round}, reads of {read_size}: {:?}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn a_record_longer_than_the_buffer_grows_it() {
        let mut text = b"id,long\n1,".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 * READ_BYTES));
        text.extend_from_slice(b"\n2,\"");
        text.extend(std::iter::repeat_n(b'y', 3 * READ_BYTES));
        text.extend_from_slice(b"\"\n3,z\n");
        let got = ours(&text, b',', 1 << 20);
        assert_eq!(got.len(), 4);
        assert_eq!(got[1].0[1].len(), 3 * READ_BYTES);
        assert_eq!(got[2].0[1].len(), 3 * READ_BYTES);
        assert_eq!(got[3], (vec![b"3".to_vec(), b"z".to_vec()], 4));
        assert_eq!(got, theirs(&text, b','));
    }
}
