//! The small formatting helpers every text report shares: counts with thousands separators,
//! "1 customer" / "2 customers", percentages, R², whole amounts, "a, b and 3 more" listings, and
//! table cells padded to the columns a terminal shows.
//! Money itself is formatted by [`crate::economics`]; these build on it.

use std::fmt::Write as _;

use crate::economics::money;

/// `12345` → `12,345`.
pub fn group(n: usize) -> String {
    money(n as f64, 0)
}

/// `1 customer`, `2 customers`, `1,000 customers`.
pub fn counted(n: usize, noun: &str) -> String {
    format!("{} {noun}{}", group(n), if n == 1 { "" } else { "s" })
}

/// An amount in whole units with thousands separators: `-12,345`.
pub fn whole(v: f64) -> String {
    money(v, 0)
}

/// A share as a percentage with one decimal, `0.1234` → `12.3%`; `n/a` when undefined.
pub fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.1}%", v * 100.0)
    } else {
        "n/a".into()
    }
}

/// A share of a total: `12.3%`, or where it exceeds the whole, a multiple of it, `3.94×` (a
/// percentage like 394% reads like a bug); `n/a` when undefined.
pub fn share(v: f64) -> String {
    if v.is_finite() && v > 1.0005 {
        format!("{v:.2}×")
    } else {
        pct(v)
    }
}

/// A share of a total as it reads before "the total": `63.3% of` or `1.17×`.
pub fn share_of(v: f64) -> String {
    if v.is_finite() && v > 1.0005 {
        format!("{v:.2}×")
    } else {
        format!("{} of", pct(v))
    }
}

/// R² (or another score near 1) to three decimals, `n/a` when undefined.
pub fn r2(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

/// The names shown, then how many of `total` were not: `a, b and 3 more`.
pub fn listing(shown: &[String], total: usize) -> String {
    let mut s = shown.join(", ");
    if total > shown.len() {
        let _ = write!(s, " and {} more", group(total - shown.len()));
    }
    s
}

/// How many columns `text` takes on a terminal: an East Asian wide character two, a combining
/// mark none. `std`'s `{:<n}` counts characters, which leaves a table of 東京 and 大阪 ragged.
pub fn columns(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` in at most `max` terminal columns (at least 2): as it is when it fits, else its first
/// characters and `…`. For names from the data in a table's first column, where one long name
/// would widen every row; the full name stays in the files and the JSON.
pub fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if columns(text) <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max.max(2) {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    std::borrow::Cow::Owned(out)
}

/// Text left-aligned in a table column `.1` terminal columns wide: the text, then spaces.
pub struct Left<'a>(pub &'a str, pub usize);

impl std::fmt::Display for Left<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)?;
        for _ in columns(self.0)..self.1 {
            f.write_str(" ")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_to_the_columns_given_with_an_ellipsis() {
        assert_eq!(cut("north", 5), "north");
        assert_eq!(cut("northern", 5), "nort…");
        assert_eq!(columns(&cut("northern", 5)), 5);
        // A wide character that would cross the edge is left out whole.
        assert_eq!(cut("東京大阪", 6), "東京…");
        assert_eq!(cut("東京大阪", 4), "東…");
        assert_eq!(cut("東京大阪", 3), "東…");
        assert_eq!(cut("東京大阪", 2), "…");
        assert_eq!(cut("abc", 0), "a…");
    }

    #[test]
    fn wide_characters_take_two_columns_and_pad_to_the_same_edge() {
        assert_eq!(columns("Zürich"), 6);
        assert_eq!(columns("東京"), 4);
        let cells: Vec<String> = ["north", "東京", "Zürich", "e\u{301}ast"]
            .iter()
            .map(|t| format!("{}|", Left(t, 8)))
            .collect();
        assert_eq!(
            cells,
            ["north   |", "東京    |", "Zürich  |", "e\u{301}ast    |"]
        );
        // Longer than the column: as it is, nothing cut.
        assert_eq!(Left("territory", 4).to_string(), "territory");
    }

    #[test]
    fn counts_group_and_agree_with_their_noun() {
        assert_eq!(group(12_345), "12,345");
        assert_eq!(group(0), "0");
        assert_eq!(counted(1, "customer"), "1 customer");
        assert_eq!(counted(0, "lead"), "0 leads");
        assert_eq!(counted(1_000, "customer"), "1,000 customers");
    }

    #[test]
    fn shares_scores_and_amounts() {
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(pct(f64::NAN), "n/a");
        assert_eq!(pct(f64::INFINITY), "n/a");
        assert_eq!(r2(Some(0.12345)), "0.123");
        assert_eq!(r2(Some(-0.0001)), "-0.000");
        assert_eq!(r2(None), "n/a");
        assert_eq!(whole(-12_345.4), "-12,345");
        assert_eq!(share(0.5), "50.0%");
        assert_eq!(share(1.0), "100.0%");
        assert_eq!(share(1.0004), "100.0%");
        assert_eq!(share(3.94), "3.94×");
        assert_eq!(share(-0.2), "-20.0%");
        assert_eq!(share(f64::NAN), "n/a");
        assert_eq!(share_of(0.633), "63.3% of");
        assert_eq!(share_of(1.173), "1.17×");
    }

    #[test]
    fn listings_say_how_many_were_not_shown() {
        let shown = vec!["a".to_string(), "b".to_string()];
        assert_eq!(listing(&shown, 2), "a, b");
        assert_eq!(listing(&shown, 1_002), "a, b and 1,000 more");
        assert_eq!(listing(&[], 0), "");
    }
}
