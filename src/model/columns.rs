//! Where a model's features are in a CSV file, and how to read each one.

use crate::config::{FeatureKind, FeatureSpec};
use crate::error::{Error, Result};
use crate::io::table::{
    default_missing_values, is_missing_value, parse_number, trim, CsvInput, Row, Source,
};

/// Where each feature sits in a CSV file, and how to read it.
pub struct FeatureColumns {
    specs: Vec<FeatureSpec>,
    index: Vec<usize>,
    decimal_comma: bool,
    /// Texts read as blanks (`n/a`, `NULL`, ...).
    missing_values: Vec<String>,
}

impl FeatureColumns {
    /// Finds each feature's column; `role` says who needs it, for the error message.
    /// Every missing column is named at once (the first with a "did you mean"), so a user fixing
    /// an export does not meet them one run at a time.
    pub fn locate(input: &CsvInput, specs: &[FeatureSpec], role: &str) -> Result<FeatureColumns> {
        let mut index = Vec::with_capacity(specs.len());
        let mut first: Option<Error> = None;
        let mut also: Vec<&str> = Vec::new();
        for s in specs {
            match input.column(&s.name, role) {
                Ok(i) => index.push(i),
                Err(e) if first.is_none() => first = Some(e),
                Err(_) => also.push(&s.name),
            }
        }
        match first {
            Some(Error::File { path, mut problem }) if !also.is_empty() => {
                problem.push_str(&format!("; also missing: {}", also.join(", ")));
                return Err(Error::File { path, problem });
            }
            Some(e) => return Err(e),
            None => {}
        }
        Ok(FeatureColumns {
            specs: specs.to_vec(),
            index,
            decimal_comma: crate::io::table::decimal_comma(input.delimiter()),
            missing_values: default_missing_values(),
        })
    }

    /// Reads `tokens` as blanks instead of the default missing-value list.
    pub fn with_missing_values(mut self, tokens: &[String]) -> FeatureColumns {
        self.missing_values = tokens.to_vec();
        self
    }

    /// Whether a category value is one of the missing-value tokens, to be read as a blank.
    /// Asked only of values that are not a known level, so a model that learnt `n/a` as a
    /// level keeps it.
    pub fn is_missing_value(&self, value: &str) -> bool {
        is_missing_value(&self.missing_values, value)
    }

    /// Whether feature `f` of `record` is written as a missing-value token (which `number`
    /// reads as `None`, like an empty field).
    pub fn is_token(&self, row: Row<'_>, f: usize) -> bool {
        self.is_missing_value(&row.text(self.index[f]))
    }

    pub fn specs(&self) -> &[FeatureSpec] {
        &self.specs
    }

    /// Reads feature `f` of `record` as a number; blank or a missing-value token is `None`.
    pub fn number(&self, input: &Source, row: Row<'_>, f: usize) -> Result<Option<f64>> {
        let col = self.index[f];
        let record = row.record();
        let text = row.text(col);
        let value = match parse_number(&text, self.decimal_comma) {
            Ok(value) => value,
            Err(_) if self.is_missing_value(&text) => None,
            Err(_) => {
                return Err(input.field_error(
                    record,
                    col,
                    crate::io::table::not_a_number(&text, self.decimal_comma),
                ))
            }
        };
        if let (Some(v), FeatureKind::Numeric { log: true }) = (value, &self.specs[f].kind) {
            if v <= -1.0 {
                return Err(input.field_error(
                    record,
                    col,
                    format!(
                        "expected a number above -1 (this feature is log-transformed), got {}",
                        crate::io::table::shown(text.trim())
                    ),
                ));
            }
        }
        Ok(value)
    }

    /// The lead list's columns holding numeric features, when the list writes a decimal comma
    /// (it is not comma-separated); none otherwise. A comma-separated copy of such a column (the
    /// input `score --with-input` carries) must write its numbers with a decimal point, or a
    /// reader of that copy, `export` among them, reads `1.200` as 1.2 and refuses `6951,94`.
    pub fn decimal_comma_numbers(&self) -> Vec<usize> {
        if !self.decimal_comma {
            return Vec::new();
        }
        self.specs
            .iter()
            .zip(&self.index)
            .filter(|(s, _)| matches!(s.kind, FeatureKind::Numeric { .. }))
            .map(|(_, &c)| c)
            .collect()
    }

    /// The column of the lead list that feature `f` is read from.
    pub fn column(&self, f: usize) -> usize {
        self.index[f]
    }

    /// Reads feature `f` of `record` as a category; blank is `None`. A missing-value token comes
    /// back as written: see `is_missing_value`.
    pub fn category<'r>(&self, row: Row<'r>, f: usize) -> Option<std::borrow::Cow<'r, str>> {
        let text = row.text(self.index[f]);
        match trim(&text).len() {
            0 => None,
            n if n == text.len() => Some(text),
            _ => Some(std::borrow::Cow::Owned(trim(&text).to_string())),
        }
    }
}
