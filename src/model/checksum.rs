//! The checksum a model file carries of its own content (format version 3 on), so that a file
//! edited by hand or damaged on disk is refused rather than scored with.
//!
//! The checksum covers the file's exact bytes, not the model they describe: reading the JSON and
//! writing it again need not give the same text (floats, key order, spacing), so a hash of a
//! re-serialisation could disagree with the one written. `train` writes the model as pretty JSON,
//! hashes that text, and inserts one line as the object's first member:
//!
//! ```text
//! {
//!   "checksum": "sha256:<64 lowercase hex digits>",
//!   "format": "leadscore-model",
//!   ...
//! ```
//!
//! The content the checksum covers is the file without that line. Reading needs no JSON parser:
//! the line is the second one, written exactly so, which also lets a registry read the checksum
//! of a file (`checksum_of`) to tell files apart without loading them.

use sha2::{Digest, Sha256};

/// How the checksum names its algorithm, so that another one can be told apart later.
const ALGORITHM: &str = "sha256:";
/// The checksum line up to the checksum, and after it.
const LINE_START: &str = "  \"checksum\": \"";
const LINE_END: &str = "\",";
/// Lowercase hex digits in a SHA-256.
const HEX_DIGITS: usize = 64;
/// The first format version whose files carry a checksum; older ones load without.
pub const FIRST_VERSION: u32 = 3;

/// What leadscore says when a model file is not as it wrote it: how to get a valid one.
const REMEDY: &str = "the file was changed after leadscore wrote it. Retrain it (`leadscore train`), or use another version from the registry (`leadscore models list`)";

/// Why the checksum of a file cannot vouch for its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A file of a version that carries a checksum has none.
    Missing,
    /// The second line names a checksum but not as leadscore writes it.
    Malformed,
    /// The file has a checksum, but not on its second line, where leadscore writes it (the JSON
    /// was written again by another program, say).
    Moved,
    /// The content hashes to something else than the checksum says.
    Mismatch,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing => write!(
                f,
                "the checksum is missing (every model file of format version {FIRST_VERSION} or later has one)"
            ),
            Problem::Malformed => f.write_str(
                "the checksum line is malformed (leadscore writes \"sha256:\" and 64 lowercase hex digits)",
            ),
            Problem::Moved => {
                f.write_str("the checksum is not on the second line, where leadscore writes it")
            }
            Problem::Mismatch => f.write_str("the checksum does not match the content"),
        }?;
        write!(f, ": {REMEDY}")
    }
}

/// The checksum of `content` (a model file without its checksum line): `sha256:` and 64
/// lowercase hex digits.
pub fn compute(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    let mut out = String::with_capacity(ALGORITHM.len() + HEX_DIGITS);
    out.push_str(ALGORITHM);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `content`, pretty JSON of an object (opening with `{` on a line of its own), with the
/// checksum of its bytes inserted as the first member: the text `train` writes.
pub fn seal(content: &str) -> String {
    let rest = content
        .strip_prefix("{\n")
        .expect("a model is written as pretty JSON of an object");
    format!("{{\n{LINE_START}{}{LINE_END}\n{rest}", compute(content))
}

/// Where the checksum line of `text` is, as a byte range including its line end, and the
/// checksum it holds; `Ok(None)` when the second line names no checksum.
fn find(text: &str) -> Result<Option<(std::ops::Range<usize>, &str)>, Problem> {
    let first = match text.find('\n') {
        Some(i) => i + 1,
        None => return Ok(None),
    };
    if text[..first].trim_end_matches(['\n', '\r']) != "{" {
        return Ok(None);
    }
    let end = text[first..]
        .find('\n')
        .map_or(text.len(), |i| first + i + 1);
    let line = &text[first..end];
    if !line.trim_start().starts_with("\"checksum\"") {
        return Ok(None);
    }
    // A line end changed to CRLF leaves the line well-formed: the content no longer matches.
    let checksum = line
        .trim_end_matches('\n')
        .trim_end_matches('\r')
        .strip_prefix(LINE_START)
        .and_then(|l| l.strip_suffix(LINE_END))
        .filter(|c| {
            c.strip_prefix(ALGORITHM).is_some_and(|hex| {
                hex.len() == HEX_DIGITS
                    && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
        })
        .ok_or(Problem::Malformed)?;
    Ok(Some((first..end, checksum)))
}

/// The checksum a model file says it has (`sha256:` and 64 hex digits), read from its second
/// line without parsing or verifying anything else: what tells two files apart. `Ok(None)` when
/// the file has no checksum line (a file written before version 3, or not a model at all).
pub fn checksum_of(text: &str) -> Result<Option<&str>, Problem> {
    Ok(find(text)?.map(|(_, checksum)| checksum))
}

/// Checks `text` against the checksum on its second line. `Ok(Some(body))` when it matches: the
/// text with the checksum line emptied (not removed, so that line numbers in it are the file's),
/// to be read as the model; `Ok(None)` when the second line names no checksum, which the caller
/// judges by the file's version.
pub fn verify(text: &str) -> Result<Option<String>, Problem> {
    let Some((line, stored)) = find(text)? else {
        return Ok(None);
    };
    let content = [&text[..line.start], &text[line.end..]].concat();
    if compute(&content) != stored {
        return Err(Problem::Mismatch);
    }
    Ok(Some(
        [&text[..line.start], "\n", &text[line.end..]].concat(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTENT: &str = "{\n  \"format\": \"leadscore-model\",\n  \"x\": 1.5\n}\n";

    #[test]
    fn a_sealed_text_verifies_and_reads_as_its_content_with_the_same_line_numbers() {
        let sealed = seal(CONTENT);
        let checksum = compute(CONTENT);
        assert_eq!(
            sealed,
            format!("{{\n  \"checksum\": \"{checksum}\",\n  \"format\": \"leadscore-model\",\n  \"x\": 1.5\n}}\n")
        );
        assert_eq!(checksum_of(&sealed), Ok(Some(checksum.as_str())));
        assert_eq!(
            verify(&sealed).unwrap().unwrap(),
            "{\n\n  \"format\": \"leadscore-model\",\n  \"x\": 1.5\n}\n"
        );
        // The checksum is the SHA-256 of the content's bytes.
        assert_eq!(
            compute(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn text_without_a_checksum_line_has_no_checksum() {
        for text in [
            CONTENT,
            "",
            "{",
            "{\n",
            "[1]\n",
            "{\"checksum\": \"sha256:00\"}\n",
        ] {
            assert_eq!(checksum_of(text), Ok(None), "{text:?}");
            assert_eq!(verify(text), Ok(None), "{text:?}");
        }
    }

    #[test]
    fn every_change_to_the_content_or_the_checksum_is_a_mismatch_or_malformed() {
        let sealed = seal(CONTENT);
        let changed = sealed.replace("1.5", "1.6");
        assert_eq!(verify(&changed), Err(Problem::Mismatch));
        // The checksum still reads: a registry can tell the file by it.
        assert_eq!(checksum_of(&changed), checksum_of(&sealed));
        let crlf = sealed.replace('\n', "\r\n");
        assert_eq!(verify(&crlf), Err(Problem::Mismatch));
        let other = sealed.replacen("\"checksum\": \"sha256:", "\"checksum\": \"sha256:0", 1);
        assert_eq!(verify(&other), Err(Problem::Malformed));
        let mut digit = compute(CONTENT);
        let last = digit.pop().unwrap();
        digit.push(if last == '0' { '1' } else { '0' });
        let wrong = sealed.replace(&compute(CONTENT), &digit);
        assert_eq!(verify(&wrong), Err(Problem::Mismatch));
        for bad in [
            sealed.replace("sha256:", "md5:"),
            sealed.replace(&compute(CONTENT), &compute(CONTENT).to_uppercase()),
            sealed.replacen("  \"checksum\"", "    \"checksum\"", 1),
            sealed.replacen("\",\n", "\"\n", 1),
            sealed.replacen("\"checksum\": \"", "\"checksum\":\"", 1),
        ] {
            assert_eq!(verify(&bad), Err(Problem::Malformed), "{bad}");
            assert_eq!(checksum_of(&bad), Err(Problem::Malformed), "{bad}");
        }
    }
}
