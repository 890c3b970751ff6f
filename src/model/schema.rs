//! The schema a model was trained with: each feature as training saw it (the levels of a
//! category, which were pooled as rare, the reference level; a number's median, range, clamp and
//! training distribution) and the model columns they expand into. These types are part of the
//! model file; training learns them (`fit::schema`), scoring reads them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::config::Matching;

/// The level a blank category value gets.
pub const MISSING_LEVEL: &str = "(missing)";
/// The level rare categories are pooled into.
pub const OTHER_LEVEL: &str = "(other)";

/// A feature as training saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Feature {
    Categorical(Categorical),
    Numeric(Numeric),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Categorical {
    pub name: String,
    /// Every level the model knows, with how many customers had it; the reference level has no
    /// column of its own (its effect is the baseline).
    pub levels: Vec<Level>,
    pub reference: String,
    /// Values seen fewer than `min_category_count` times, scored as `(other)`.
    pub pooled: Vec<String>,
    /// The share of customers with this value blank: the reference for drift.
    pub missing_share: f64,
    /// How values are matched to the levels. A model written before this existed matched
    /// exactly, so that is the default.
    #[serde(default)]
    pub matching: Matching,
    /// Other spellings from the config's `[features.aliases.NAME]`: alias → the level or pooled
    /// value it stands for. Matched like any value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aliases: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub value: String,
    pub customers: u64,
    /// Index of this level's model column; `None` for the reference level.
    pub column: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Numeric {
    pub name: String,
    /// Enters the model as ln(1 + x).
    pub log: bool,
    pub column: usize,
    /// Missing values are imputed with this (the training median).
    pub median: f64,
    /// Smallest and largest values seen in training.
    pub min: f64,
    pub max: f64,
    /// Values are clamped to this range (training percentiles) before use; `None` when
    /// winsorising is off.
    pub clamp: Option<(f64, f64)>,
    /// The training distribution, the reference for drift: decile edges of the values present,
    /// the share of those values in each bin, and the share of customers with a blank.
    pub edges: Vec<f64>,
    pub shares: Vec<f64>,
    pub missing_share: f64,
    /// A year or a code (every training value a whole number, and a name like `year_founded`
    /// or `zip`, or values that all look like years): written without thousands separators.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub code: bool,
}

/// Whether a numeric feature holds years or codes rather than amounts: every value a whole
/// number, and either a name that says so (a word such as `year`, `zip`, `code` or `id`, or
/// `year`, `zip` or `postal` inside one, as in `BillingPostalCode`) or values that all look like
/// calendar years.
pub fn looks_like_code(name: &str, values: &[f64]) -> bool {
    if values.is_empty() || values.iter().any(|v| v.fract() != 0.0) {
        return false;
    }
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let named = words.iter().any(|w| {
        matches!(
            *w,
            "year"
                | "yr"
                | "code"
                | "zip"
                | "zipcode"
                | "postal"
                | "postcode"
                | "plz"
                | "id"
                | "sic"
                | "naics"
        )
    }) || ["year", "zip", "postal", "postcode"]
        .iter()
        .any(|w| lower.contains(w))
        || lower.ends_with("code");
    let years = values.iter().all(|v| (1800.0..=2200.0).contains(v));
    named || years
}

impl Numeric {
    /// The model-column value of a raw number, after clamping and the log.
    pub fn transform(&self, raw: f64) -> f64 {
        let v = match self.clamp {
            Some((lo, hi)) => raw.clamp(lo, hi),
            None => raw,
        };
        if self.log {
            v.ln_1p()
        } else {
            v
        }
    }

    /// The range outside which a lead's value is flagged.
    pub fn range(&self) -> (f64, f64) {
        self.clamp.unwrap_or((self.min, self.max))
    }
}

impl Feature {
    pub fn name(&self) -> &str {
        match self {
            Feature::Categorical(c) => &c.name,
            Feature::Numeric(n) => &n.name,
        }
    }
}

/// All features, and the model columns they expand into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub features: Vec<Feature>,
    /// Names of the model columns: `industry=retail`, `ln(1+employees)`, `first_order_value`.
    pub columns: Vec<String>,
}

impl Schema {
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_codes_are_told_from_amounts_by_name_and_values() {
        let zips = [10115.0, 60311.0, 98199.0];
        assert!(looks_like_code("zip", &zips));
        assert!(looks_like_code("BillingPostalCode", &zips));
        assert!(looks_like_code("customer_id", &zips));
        assert!(looks_like_code("Year_Birth", &[1945.0, 1992.0]));
        // Values that all look like years need no name.
        assert!(looks_like_code("founded", &[1899.0, 2011.0]));
        // Amounts and counts are not codes, even whole ones; nor is a fractional "code".
        assert!(!looks_like_code("annual_revenue", &[4_364_299.0, 1_200.0]));
        assert!(!looks_like_code("employees", &[12.0, 2_390.0]));
        assert!(!looks_like_code("zip", &[10115.5]));
        assert!(!looks_like_code("zip", &[]));
    }
}
