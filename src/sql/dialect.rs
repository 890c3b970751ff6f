//! What differs between SQL dialects, as data: one [`Dialect`] value per dialect, each a small
//! table of quoting rules and expression shapes. The generator (`sql::mod`) writes one query
//! through whichever table it is given; nothing else in it knows a dialect's name.
//!
//! What all the dialects here share, and so is not in the table: `||` for concatenation,
//! `CASE`, `COALESCE`, `LN`, `EXP`, `ABS`, `LOWER`, `REPLACE`, `TRIM` of spaces, `IN (...)`.
//! SQLite has `LN` and `EXP` only when built with its math functions (the `sqlite3` shell and
//! most builds since 3.35 are); a model with no log feature nor log-scale target needs neither.
//!
//! Rounding is written out, not left to `ROUND`: Rust's `f64::round` rounds half away from zero,
//! PostgreSQL's `round(double precision)` half to even, Spark's `ROUND` HALF_UP on a decimal,
//! and SQLite's adds 0.5 in floating point (so 0.49999999999999994 becomes 1). The generator
//! rounds with the dialect's truncation toward zero plus a comparison of the remainder with one
//! half, which is exact in every dialect.

/// One dialect's differences.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    pub name: &'static str,
    /// Quotes an identifier: `"annual revenue (€)"`, `` `a``b` ``.
    pub ident: fn(&str) -> String,
    /// Whether `\` escapes in a string literal (so a backslash is doubled and a quote escaped).
    pub backslash_escapes: bool,
    /// A one-character string of a code point, for characters a literal should not hold raw
    /// (control characters, whitespace other than the space).
    pub chr: fn(u32) -> String,
    /// A double-precision constant from Rust's shortest round-trip form, in exponent notation
    /// (`1.5e3`): the form every dialect but PostgreSQL reads as a float, not a decimal.
    pub float: fn(&str) -> String,
    /// The type a value is cast to for reading as text.
    pub text_type: &'static str,
    /// The double-precision type (for a typed NULL).
    pub double_type: &'static str,
    /// The integer part of a double, toward zero.
    pub trunc: fn(&str) -> String,
    /// Whether `needle` occurs in `hay`: `instr(hay, needle) > 0`.
    pub contains: fn(hay: &str, needle: &str) -> String,
    /// `text` with every character of `chars` (a string expression) trimmed from both ends.
    pub trim_chars: fn(text: &str, chars: &str) -> String,
    /// The number a numeric field holds, or NULL when it holds none: `raw` is the column,
    /// `text` its value as trimmed text, `shape` the text through `number_shape`. Only a plain
    /// decimal number reads (what `score` reads in a comma-delimited file: `12`, `-3.5`, `1e6`,
    /// `+.5`); never infinity or NaN.
    pub read_number: fn(&Dialect, raw: &str, text: &str, shape: &str) -> String,
    /// Steps (`{x}` the text so far) that make what `read_number` checks, for a dialect with
    /// no regular expressions; none for the others.
    pub number_shape: fn(&Dialect) -> Vec<String>,
    /// Written after `name AS` of each step: `MATERIALIZED` where the planner would otherwise
    /// inline a step into the next (SQLite, PostgreSQL, DuckDB), copying its expression once per
    /// use, so that the query grows exponentially with the steps; empty where steps are
    /// computed once anyway.
    pub materialized: &'static str,
    /// What `--view NAME` writes before the query, given the quoted name: it replaces a view of
    /// that name, so the same command regenerates it after a retrain.
    pub view: fn(&str) -> String,
}

/// Drops the old view first: SQLite has no `OR REPLACE` for views, and PostgreSQL's keeps the old
/// column list, which a retrain with other features changes.
fn drop_and_create(name: &str) -> String {
    format!("DROP VIEW IF EXISTS {name};\nCREATE VIEW {name} AS")
}

fn create_or_replace(name: &str) -> String {
    format!("CREATE OR REPLACE VIEW {name} AS")
}

/// Every dialect `--dialect` names, in the order `--help` lists them.
pub const ALL: [&Dialect; 7] = [
    &SQLITE, &DUCKDB, &POSTGRES, &SPARK, &BIGQUERY, &SNOWFLAKE, &ANSI,
];

/// The pattern a number written as text must match in full, for dialects with regular
/// expressions: Rust's `f64` grammar without `inf` and `NaN`.
pub const NUMBER_REGEX: &str = "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$";

/// The largest finite double: a text like `1e400` reads as infinity in most dialects, and
/// `score` refuses it, so the SQL reads it as no number. The cast is in a `CASE` of its own
/// after the pattern matched: `AND` need not evaluate left to right, and a cast of text that is
/// no number fails in some dialects.
const MAX_DOUBLE: &str = "1.7976931348623157e308";

fn double_quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn backquoted_doubled(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn backquoted_escaped(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

fn plain_float(digits: &str) -> String {
    digits.to_string()
}

fn cast_trunc(x: &str) -> String {
    format!("CAST({x} AS INTEGER)")
}

fn trunc_fn(x: &str) -> String {
    format!("TRUNC({x})")
}

fn instr(hay: &str, needle: &str) -> String {
    format!("instr({hay}, {needle}) > 0")
}

fn strpos(hay: &str, needle: &str) -> String {
    format!("STRPOS({hay}, {needle}) > 0")
}

fn position(hay: &str, needle: &str) -> String {
    format!("POSITION({needle} IN {hay}) > 0")
}

fn trim_fn(text: &str, chars: &str) -> String {
    format!("TRIM({text}, {chars})")
}

fn btrim(text: &str, chars: &str) -> String {
    format!("BTRIM({text}, {chars})")
}

fn trim_both(text: &str, chars: &str) -> String {
    format!("TRIM(BOTH {chars} FROM {text})")
}

/// SQLite: a column keeps each value's own type, so a typed number is used as it is (never
/// through text, which SQLite writes with 15 digits), and text must have the shape of a number
/// before `CAST` (which reads `12abc` as 12). The shape (see [`sqlite_shape`]) must be one of the
/// few a number has, and the text must not hold the sentinel the shape is made with.
fn sqlite_number(d: &Dialect, raw: &str, text: &str, shape: &str) -> String {
    let mut shapes = Vec::new();
    for sign in ["", "+", "-"] {
        for mantissa in ["0", "0.", ".0", "0.0"] {
            for exponent in ["", "e0", "e+0", "e-0"] {
                shapes.push(format!("'{sign}{mantissa}{exponent}'"));
            }
        }
    }
    format!(
        "CASE WHEN typeof({raw}) IN ('integer', 'real') THEN \
         CASE WHEN abs({raw}) <= {MAX_DOUBLE} THEN CAST({raw} AS REAL) END \
         WHEN NOT {contains} AND {shape} IN ({shapes}) THEN \
         CASE WHEN abs(CAST({text} AS REAL)) <= {MAX_DOUBLE} THEN CAST({text} AS REAL) END END",
        contains = (d.contains)(text, &(d.chr)(SHAPE_SENTINEL)),
        shapes = shapes.join(", "),
    )
}

/// The code point of the character runs of digits are collapsed with: no number holds it.
const SHAPE_SENTINEL: u32 = 1;

/// The steps that make a number's shape from its text, for SQLite, which has no regular
/// expressions: lower case, every digit `0`, each run of `0` one `0` (`-12.5E3` is `-0.0e0`).
fn sqlite_shape(d: &Dialect) -> Vec<String> {
    let mut steps = vec!["lower({x})".to_string()];
    for digit in '1'..='9' {
        steps.push(format!("replace({{x}}, '{digit}', '0')"));
    }
    let s = (d.chr)(SHAPE_SENTINEL);
    steps.push(format!("replace({{x}}, '0', '0' || {s})"));
    steps.push(format!("replace({{x}}, {s} || '0', '')"));
    steps.push(format!("replace({{x}}, {s}, '')"));
    steps
}

fn no_shape(_: &Dialect) -> Vec<String> {
    Vec::new()
}

fn postgres_number(_: &Dialect, _raw: &str, text: &str, _shape: &str) -> String {
    // NUMERIC holds exponents up to about ±131,000 and refuses the whole query beyond; no double
    // has an exponent of four digits. So such a text is decided by its shape, as `score` reads
    // it: a zero, or a negative exponent (underflow), is 0; anything else overflows, no number.
    format!(
        "CASE WHEN {text} ~ '{NUMBER_REGEX}' THEN CASE \
         WHEN {text} ~ '[eE][+-]?0*[0-9]{{4,}}$' THEN CASE \
         WHEN {text} ~ '^[+-]?0*[.]?0*[eE]' OR {text} ~ '[eE]-' THEN CAST(0 AS DOUBLE PRECISION) END \
         WHEN abs(CAST({text} AS NUMERIC)) <= {MAX_DOUBLE} \
         THEN CAST({text} AS DOUBLE PRECISION) END END"
    )
}

fn duckdb_number(_: &Dialect, _raw: &str, text: &str, _shape: &str) -> String {
    format!(
        "CASE WHEN regexp_full_match({text}, '{NUMBER_REGEX}') THEN CASE WHEN \
         abs(TRY_CAST({text} AS DOUBLE)) <= {MAX_DOUBLE} THEN TRY_CAST({text} AS DOUBLE) END END"
    )
}

fn spark_number(_: &Dialect, _raw: &str, text: &str, _shape: &str) -> String {
    // Spark reads `\` in a literal as an escape: the pattern has none.
    format!(
        "CASE WHEN {text} RLIKE '{NUMBER_REGEX}' THEN CASE WHEN \
         abs(CAST({text} AS DOUBLE)) <= {MAX_DOUBLE} THEN CAST({text} AS DOUBLE) END END"
    )
}

fn bigquery_number(_: &Dialect, _raw: &str, text: &str, _shape: &str) -> String {
    format!(
        "CASE WHEN REGEXP_CONTAINS({text}, r'{NUMBER_REGEX}') THEN CASE WHEN \
         abs(SAFE_CAST({text} AS FLOAT64)) <= {MAX_DOUBLE} THEN SAFE_CAST({text} AS FLOAT64) END END"
    )
}

fn snowflake_number(_: &Dialect, _raw: &str, text: &str, _shape: &str) -> String {
    format!(
        "CASE WHEN REGEXP_LIKE({text}, '{NUMBER_REGEX}') THEN CASE WHEN \
         abs(TRY_TO_DOUBLE({text})) <= {MAX_DOUBLE} THEN TRY_TO_DOUBLE({text}) END END"
    )
}

fn ansi_number(_: &Dialect, _raw: &str, text: &str, _shape: &str) -> String {
    // SIMILAR TO matches the whole text; `.` is literal in it, `_` and `%` are wildcards.
    format!(
        "CASE WHEN {text} SIMILAR TO '[+-]?([0-9]+.?[0-9]*|.[0-9]+)([eE][+-]?[0-9]+)?' \
         THEN CAST({text} AS DOUBLE PRECISION) END"
    )
}

pub const SQLITE: Dialect = Dialect {
    name: "sqlite",
    ident: double_quoted,
    backslash_escapes: false,
    chr: |cp| format!("char({cp})"),
    float: plain_float,
    text_type: "TEXT",
    double_type: "REAL",
    trunc: cast_trunc,
    contains: instr,
    trim_chars: trim_fn,
    read_number: sqlite_number,
    number_shape: sqlite_shape,
    materialized: "MATERIALIZED ",
    view: drop_and_create,
};

pub const DUCKDB: Dialect = Dialect {
    name: "duckdb",
    ident: double_quoted,
    backslash_escapes: false,
    chr: |cp| format!("chr({cp})"),
    float: plain_float,
    text_type: "VARCHAR",
    double_type: "DOUBLE",
    trunc: trunc_fn,
    contains: strpos,
    trim_chars: trim_fn,
    read_number: duckdb_number,
    number_shape: no_shape,
    materialized: "MATERIALIZED ",
    view: create_or_replace,
};

pub const POSTGRES: Dialect = Dialect {
    name: "postgres",
    ident: double_quoted,
    backslash_escapes: false,
    chr: |cp| format!("chr({cp})"),
    // A literal with a point or an exponent is NUMERIC in PostgreSQL.
    float: |digits| format!("CAST({digits} AS DOUBLE PRECISION)"),
    text_type: "TEXT",
    double_type: "DOUBLE PRECISION",
    // CAST(double AS bigint) rounds in PostgreSQL; trunc() truncates.
    trunc: trunc_fn,
    contains: strpos,
    trim_chars: btrim,
    read_number: postgres_number,
    number_shape: no_shape,
    materialized: "MATERIALIZED ",
    view: drop_and_create,
};

pub const SPARK: Dialect = Dialect {
    name: "spark",
    ident: backquoted_doubled,
    backslash_escapes: true,
    // Spark's chr() takes the code point modulo 256; a \u escape in a literal does not.
    chr: |cp| format!("'\\u{cp:04X}'"),
    float: plain_float,
    text_type: "STRING",
    double_type: "DOUBLE",
    trunc: |x| format!("CAST({x} AS BIGINT)"),
    contains: instr,
    trim_chars: trim_both,
    read_number: spark_number,
    number_shape: no_shape,
    materialized: "",
    view: create_or_replace,
};

pub const BIGQUERY: Dialect = Dialect {
    name: "bigquery",
    ident: backquoted_escaped,
    backslash_escapes: true,
    chr: |cp| format!("'\\u{cp:04X}'"),
    float: plain_float,
    text_type: "STRING",
    double_type: "FLOAT64",
    trunc: trunc_fn,
    contains: strpos,
    trim_chars: trim_fn,
    read_number: bigquery_number,
    number_shape: no_shape,
    materialized: "",
    view: create_or_replace,
};

pub const SNOWFLAKE: Dialect = Dialect {
    name: "snowflake",
    ident: double_quoted,
    backslash_escapes: true,
    chr: |cp| format!("CHR({cp})"),
    float: plain_float,
    text_type: "VARCHAR",
    double_type: "DOUBLE",
    trunc: trunc_fn,
    contains: position,
    trim_chars: trim_fn,
    read_number: snowflake_number,
    number_shape: no_shape,
    materialized: "",
    view: create_or_replace,
};

/// Standard SQL, for a database not listed: `U&` literals, `SIMILAR TO`, `FLOOR`/`CEILING`.
/// The standard's `TRIM` takes one character, so only spaces are trimmed.
pub const ANSI: Dialect = Dialect {
    name: "ansi",
    ident: double_quoted,
    backslash_escapes: false,
    chr: |cp| format!("U&'\\{cp:04X}'"),
    float: plain_float,
    text_type: "VARCHAR(65535)",
    double_type: "DOUBLE PRECISION",
    trunc: |x| format!("CASE WHEN {x} < 0 THEN CEILING({x}) ELSE FLOOR({x}) END"),
    contains: position,
    trim_chars: |text, _| format!("TRIM({text})"),
    read_number: ansi_number,
    number_shape: no_shape,
    materialized: "",
    view: |name| format!("CREATE VIEW {name} AS"),
};

impl Dialect {
    /// The dialect `name` names, if any.
    pub fn named(name: &str) -> Option<&'static Dialect> {
        ALL.into_iter().find(|d| d.name == name)
    }

    /// A string literal of `text`: quotes doubled (and backslashes, where they escape), and
    /// every control or whitespace character other than the space written as a code point and
    /// concatenated, so nothing in the text can end the literal or hide in it.
    pub fn string(&self, text: &str) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut run = String::new();
        for ch in text.chars() {
            if ch.is_control() || (ch.is_whitespace() && ch != ' ') {
                if !run.is_empty() {
                    parts.push(self.quoted(&run));
                    run.clear();
                }
                parts.push((self.chr)(ch as u32));
            } else {
                run.push(ch);
            }
        }
        if !run.is_empty() || parts.is_empty() {
            parts.push(self.quoted(&run));
        }
        if parts.len() == 1 {
            parts.pop().unwrap_or_default()
        } else {
            format!("({})", parts.join(" || "))
        }
    }

    fn quoted(&self, run: &str) -> String {
        if self.backslash_escapes {
            format!("'{}'", run.replace('\\', "\\\\").replace('\'', "\\'"))
        } else {
            format!("'{}'", run.replace('\'', "''"))
        }
    }

    /// A double constant. `value` must be finite.
    pub fn number(&self, value: f64) -> String {
        let digits = format!("{value:e}");
        let digits = if value < 0.0 {
            format!("({digits})")
        } else {
            digits
        };
        (self.float)(&digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dialect_is_found_by_its_name() {
        for d in ALL {
            assert_eq!(Dialect::named(d.name).map(|x| x.name), Some(d.name));
        }
        assert!(Dialect::named("oracle").is_none());
    }

    #[test]
    fn a_value_that_tries_to_end_its_literal_stays_inside_it() {
        let evil = "'); DROP TABLE leads; --";
        assert_eq!(SQLITE.string(evil), "'''); DROP TABLE leads; --'");
        assert_eq!(POSTGRES.string(evil), "'''); DROP TABLE leads; --'");
        assert_eq!(SPARK.string(evil), "'\\'); DROP TABLE leads; --'");
        assert_eq!(BIGQUERY.string("a\\'b"), "'a\\\\\\'b'");
        assert_eq!(SNOWFLAKE.string("O'Brien"), "'O\\'Brien'");
        assert_eq!(ANSI.string("O'Brien & Sons"), "'O''Brien & Sons'");
        assert_eq!(SQLITE.string(""), "''");
    }

    #[test]
    fn control_and_unusual_whitespace_characters_are_written_as_code_points() {
        assert_eq!(SQLITE.string("a\tb"), "('a' || char(9) || 'b')");
        assert_eq!(POSTGRES.string("\u{a0}x"), "(chr(160) || 'x')");
        assert_eq!(SPARK.string("\n"), "'\\u000A'");
        assert_eq!(ANSI.string("x\r"), "('x' || U&'\\000D')");
        // Other unicode stays as it is.
        assert_eq!(DUCKDB.string("Müller €"), "'Müller €'");
    }

    #[test]
    fn identifiers_are_quoted_with_the_dialects_quote_doubled_or_escaped() {
        assert_eq!(
            (SQLITE.ident)("annual revenue (€)"),
            "\"annual revenue (€)\""
        );
        assert_eq!((POSTGRES.ident)("a\"b"), "\"a\"\"b\"");
        assert_eq!((SPARK.ident)("a`b"), "`a``b`");
        assert_eq!((BIGQUERY.ident)("a`b\\"), "`a\\`b\\\\`");
        assert_eq!((SNOWFLAKE.ident)("x"), "\"x\"");
    }

    #[test]
    fn constants_are_floats_in_every_dialect() {
        assert_eq!(SQLITE.number(100.0), "1e2");
        assert_eq!(SQLITE.number(-0.25), "(-2.5e-1)");
        assert_eq!(POSTGRES.number(0.1), "CAST(1e-1 AS DOUBLE PRECISION)");
        assert_eq!(DUCKDB.number(1234.5), "1.2345e3");
        // Shortest round-trip digits: the constant reads back as the same double.
        let v = 0.1 + 0.2;
        assert_eq!(SQLITE.number(v).parse::<f64>().unwrap(), v);
    }

    #[test]
    fn each_dialect_truncates_toward_zero_its_own_way() {
        assert_eq!((SQLITE.trunc)("x"), "CAST(x AS INTEGER)");
        assert_eq!((POSTGRES.trunc)("x"), "TRUNC(x)");
        assert_eq!((SPARK.trunc)("x"), "CAST(x AS BIGINT)");
        assert_eq!(
            (ANSI.trunc)("x"),
            "CASE WHEN x < 0 THEN CEILING(x) ELSE FLOOR(x) END"
        );
        assert_eq!((SNOWFLAKE.contains)("h", "n"), "POSITION(n IN h) > 0");
        assert_eq!((POSTGRES.trim_chars)("t", "' '"), "BTRIM(t, ' ')");
        assert_eq!((SPARK.trim_chars)("t", "' '"), "TRIM(BOTH ' ' FROM t)");
    }

    #[test]
    fn numbers_as_text_are_checked_before_they_are_cast() {
        for d in ALL {
            let e = (d.read_number)(d, "r", "t", "s");
            assert!(e.starts_with("CASE WHEN"), "{}: {e}", d.name);
            assert!(e.ends_with("END"), "{}: {e}", d.name);
        }
        assert!((SQLITE.read_number)(&SQLITE, "r", "t", "s").contains("typeof(r)"));
        assert_eq!((SQLITE.number_shape)(&SQLITE).len(), 13);
        assert!((POSTGRES.number_shape)(&POSTGRES).is_empty());
    }
}
