//! Spreadsheet formula injection (OWASP "CSV Injection"): the one rule for which text cells a
//! spreadsheet could run as a formula, used by every writer whose output a person opens in
//! Excel, LibreOffice or Google Sheets (CSV, XLSX, CRM import profiles).
//!
//! Why: lead ids and company names come from web forms. A lead whose company is
//! `=HYPERLINK("http://evil","Click")` becomes a live link, and `=cmd|' /C calc'!A0` a command,
//! in the spreadsheet of whoever opens the scores, and `=IMPORTXML(…)` can send other cells out.
//! Quoting a CSV field does not help: the spreadsheet unquotes it first and then evaluates it.
//!
//! The rule, from OWASP's CSV Injection page
//! (<https://owasp.org/www-community/attacks/CSV_Injection>): a cell is dangerous when it starts
//! with `=`, `+`, `-`, `@`, tab (0x09), carriage return (0x0D) or line feed (0x0A); the page's
//! current version adds the full-width `＝ ＋ － ＠`, which some East Asian locales read as the
//! same operators. Such a cell gets a single quote `'` in front, which spreadsheets read as "this
//! is text", and is enclosed in double quotes with inner quotes doubled, as the page shows
//! (`=1+2";=1+2` becomes `"'=1+2"";=1+2"`). The CSV writer quotes every field holding the
//! delimiter, a quote or a line break anyway, so no field can start a new cell.
//!
//! One exception keeps numbers numbers: a cell starting with `+` or `-` that is a plain number is
//! left alone (a negative net value, `-12.5` in an input column), since a spreadsheet reads it as
//! that number and nothing else. A plain number here is a sign, then digits with `.` or `,`
//! between groups of them (`-1,000.50`, `-12,5`, `-.5`), then optionally an exponent (`-1e3`,
//! `-1E+3`) and a `%` (`-5%`, which Excel reads as −0.05). Nothing else: a lone `-` or `+`, a
//! space, a letter, a second operator (`-2+3`, which Excel would compute) or a bracket makes the
//! cell text, and it gets the quote. The characters a number may hold cannot reference a cell,
//! call a function or reach DDE, so no formula hides in one.
//!
//! Speed: `score` checks every text cell of millions of rows, so [`is_formula`] looks at the
//! first byte alone for almost every cell and scans the rest only after a `+` or `-`.
//!
//! Where the quote is seen: in XLSX the quote prefix is a cell style, invisible, and the text
//! reads back unchanged. In CSV it is a character, so a program reading the file sees `'=…`; a
//! person in a spreadsheet sees the text as typed. OWASP notes that Excel may drop the quote when
//! a CSV is saved and opened again, so this protects the file as written, not every copy of it.

/// The character put before a text cell that would read as a formula.
pub const PREFIX: char = '\'';

/// Whether a spreadsheet could read `text` as a formula: see the module docs.
#[inline]
pub fn is_formula(text: &str) -> bool {
    let b = text.as_bytes();
    match b.first() {
        Some(b'=' | b'@' | b'\t' | b'\r' | b'\n') => true,
        Some(b'+' | b'-') => !is_plain_number(&b[1..]),
        // The full-width forms of = + - @ (U+FF1D, U+FF0B, U+FF0D, U+FF20) in UTF-8.
        Some(0xEF) => matches!(b.get(1..3), Some([0xBC, 0x9D | 0x8B | 0x8D | 0xA0])),
        _ => false,
    }
}

/// Whether `text` gets [`PREFIX`] in front when written as CSV: a formula ([`is_formula`]), or
/// text that starts with the prefix before what reading back ([`unprefix`]) would strip it from.
/// Without the second rule a lead whose id was `'=x` (or whose company was `'-`) came back from
/// `score --with-input` as `=x` (or `-`, a blank); with it, `''=x` reads back as `'=x`, and a
/// spreadsheet shows `'=x` as typed.
#[inline]
pub fn needs_prefix(text: &str) -> bool {
    is_formula(text) || text.strip_prefix(PREFIX).is_some_and(needs_prefix)
}

/// `text` as it should be written in a spreadsheet: with [`PREFIX`] in front when it needs one
/// ([`needs_prefix`]), else unchanged.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if needs_prefix(text) {
        let mut s = String::with_capacity(text.len() + 1);
        s.push(PREFIX);
        s.push_str(text);
        std::borrow::Cow::Owned(s)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Undoes [`neutralise`]: `text` without the [`PREFIX`] when what follows it needs one (so the
/// prefix is ours), else unchanged. For reading back a file leadscore wrote (`export` takes
/// what `score --with-input` wrote): a lead list's `-`, read as a blank, must not come back as
/// `'-`, an unknown category. Every text reads back as it was given, `'=…` included.
pub fn unprefix(text: &str) -> &str {
    match text.strip_prefix(PREFIX) {
        Some(rest) if needs_prefix(rest) => rest,
        _ => text,
    }
}

/// Whether `b` (what follows a leading sign) is a plain number: digit groups separated by single
/// `.` or `,`, then optionally `e`/`E` with its own sign and digits, then optionally `%`.
fn is_plain_number(b: &[u8]) -> bool {
    let mut i = 0;
    let mut digits = 0;
    // The mantissa: digits, a separator only between digits (or before the first, as in `.5`).
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => digits += 1,
            b'.' | b',' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {}
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if b.get(i) == Some(&b'%') {
        i += 1;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owasp_initiators_make_a_formula() {
        for text in [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "=1+2",
            "@SUM(A1)",
            "+A1",
            "-A1",
            "\t=x",
            "\rL2",
            "\nL3",
            "=",
            "@",
            "＝1+2",
            "＋1",
            "－1",
            "＠SUM(A1)",
        ] {
            assert!(is_formula(text), "{text:?}");
        }
    }

    #[test]
    fn other_text_is_left_alone() {
        for text in [
            "",
            "L000001",
            "Acme, Inc.",
            " =1+2",
            "'=1+2",
            "a=b",
            "1-2",
            "12.5",
            "Zoë",
            "ｱ",
            "\u{FEFF}x",
            "€-5",
        ] {
            assert!(!is_formula(text), "{text:?}");
        }
    }

    #[test]
    fn plain_signed_numbers_stay_numbers() {
        for text in [
            "-12.5",
            "+3",
            "-1e3",
            "-1E+3",
            "-2.5e-7",
            "-0",
            "-.5",
            "-1,000",
            "-1,000.50",
            "-12,5",
            "-1.234.567,89",
            "-5%",
            "+7.25%",
            "-1e3%",
        ] {
            assert!(!is_formula(text), "{text:?}");
        }
    }

    #[test]
    fn signed_text_that_is_not_a_plain_number_is_a_formula() {
        for text in [
            "-",
            "+",
            "--5",
            "-+5",
            "-2+3",
            "+1+1",
            "-5.",
            "-5,",
            "-1,,000",
            "-1..5",
            "-.",
            "-e5",
            "-5e",
            "-5e+",
            "-5%%",
            "-5 %",
            "- 5",
            "-5 ",
            "-1 000",
            "-inf",
            "-NaN",
            "-0x1F",
            "-A1",
            "-SUM(A1:A9)",
            "-2+3+cmd|' /C calc'!A0",
        ] {
            assert!(is_formula(text), "{text:?}");
        }
    }

    #[test]
    fn neutralising_prefixes_a_quote_only_to_formulas() {
        assert_eq!(neutralise("=1+2"), "'=1+2");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("-2.5"), "-2.5");
        assert_eq!(neutralise("Acme"), "Acme");
        assert!(matches!(neutralise("Acme"), std::borrow::Cow::Borrowed(_)));
        // A cell given with the prefix already is text, but reading back would take that
        // prefix for ours: it gets a second one, so it reads back as given.
        assert_eq!(neutralise("'=1+2"), "''=1+2");
        assert_eq!(neutralise("'-"), "''-");
        assert_eq!(neutralise("'-2.5"), "'-2.5");
        assert_eq!(neutralise("'Acme"), "'Acme");
    }

    #[test]
    fn unprefixing_undoes_exactly_what_neutralising_added() {
        for text in [
            "=1+2", "-", "--", "-2+3", "@x", "\t=x", "-12.5", "Acme", "'quoted", "", "'", "'=x",
            "'-", "''=x", "'''-2+3", "'-12.5",
        ] {
            assert_eq!(unprefix(&neutralise(text)), text, "{text:?}");
        }
        assert_eq!(unprefix("'-12.5"), "'-12.5");
        assert_eq!(unprefix("'Acme"), "'Acme");
    }
}
