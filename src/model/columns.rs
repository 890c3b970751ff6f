//! Where a model's features are in a CSV file, and how to read each one.

use crate::config::{FeatureKind, FeatureSpec};
use crate::error::Result;
use crate::io::table::{decode, parse_number, CsvInput, Source};

/// Where each feature sits in a CSV file, and how to read it.
pub struct FeatureColumns {
    specs: Vec<FeatureSpec>,
    index: Vec<usize>,
    decimal_comma: bool,
}

impl FeatureColumns {
    /// Finds each feature's column; `role` says who needs it, for the error message.
    pub fn locate(input: &CsvInput, specs: &[FeatureSpec], role: &str) -> Result<FeatureColumns> {
        let index = specs
            .iter()
            .map(|s| input.column(&s.name, role))
            .collect::<Result<Vec<_>>>()?;
        Ok(FeatureColumns {
            specs: specs.to_vec(),
            index,
            decimal_comma: input.delimiter() != b',',
        })
    }

    pub fn specs(&self) -> &[FeatureSpec] {
        &self.specs
    }

    /// Reads feature `f` of `record` as a number; blank is `None`.
    pub fn number(
        &self,
        input: &Source,
        record: &csv::ByteRecord,
        f: usize,
    ) -> Result<Option<f64>> {
        let col = self.index[f];
        let text = decode(&record[col]);
        let value = parse_number(&text, self.decimal_comma)
            .map_err(|_| input.field_error(record, col, crate::io::table::not_a_number(&text)))?;
        if let (Some(v), FeatureKind::Numeric { log: true }) = (value, &self.specs[f].kind) {
            if v <= -1.0 {
                return Err(input.field_error(
                    record,
                    col,
                    format!(
                        "expected a number above -1 (this feature is log-transformed), got \"{}\"",
                        text.trim()
                    ),
                ));
            }
        }
        Ok(value)
    }

    /// Reads feature `f` of `record` as a category; blank is `None`.
    pub fn category<'r>(
        &self,
        record: &'r csv::ByteRecord,
        f: usize,
    ) -> Option<std::borrow::Cow<'r, str>> {
        let text = decode(&record[self.index[f]]);
        if text.trim().is_empty() {
            None
        } else if text.trim().len() == text.len() {
            Some(text)
        } else {
            Some(std::borrow::Cow::Owned(text.trim().to_string()))
        }
    }
}
