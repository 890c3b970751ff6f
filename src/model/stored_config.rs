//! The config a model was trained with, kept in the model file, so that `evaluate --history`
//! cross-validates the model that was deployed rather than whatever `leadscore.toml` says today.
//! With the model's `economics` (stored beside it) this is enough to rebuild the checked
//! `Config`: the id columns, the features in order, the model settings and the decision
//! thresholds as given (left out ones stay left out, to be set from the history again).

use serde::{Deserialize, Serialize};

use crate::config::{
    Config, FeatureKind, FeatureSpec, Matching, ModelSettings, Penalty, RetrainSettings, Transform,
};
use crate::economics::{DecisionOverrides, Economics};
use crate::model::schema::{Feature, Schema};

/// A checked `Config`, less the economics, as the model file keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredConfig {
    /// The config file as given to `train`, to name it in reports.
    pub file: String,
    pub id: String,
    pub lead_id: String,
    /// `columns.date`; absent in models trained without one (or before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub features: Vec<StoredFeature>,
    pub model: StoredSettings,
    #[serde(default)]
    pub decisions: StoredDecisions,
    /// `[retrain]` as checked, so a scheduled retrain gates on the settings the current model
    /// was trained with.
    #[serde(default)]
    pub retrain: StoredRetrain,
}

/// `[retrain]` as checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredRetrain {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    pub holdout: f64,
    pub max_mae_increase: f64,
    pub max_gini_drop: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
}

impl Default for StoredRetrain {
    fn default() -> Self {
        StoredRetrain::new(&RetrainSettings::default())
    }
}

impl StoredRetrain {
    fn new(r: &RetrainSettings) -> StoredRetrain {
        StoredRetrain {
            history: r.history.clone(),
            holdout: r.holdout,
            max_mae_increase: r.max_mae_increase,
            max_gini_drop: r.max_gini_drop,
            max_age_days: r.max_age_days,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredFeature {
    pub name: String,
    /// "categorical" or "numeric".
    pub kind: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub log: bool,
    /// How a categorical feature's values were matched (absent: exact, as before matching).
    #[serde(default)]
    pub matching: Matching,
    /// A categorical feature's aliases as the config gave them: (alias, value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<(String, String)>,
}

/// `[model]` as checked: every setting resolved to its value or its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSettings {
    pub folds: usize,
    pub seed: u64,
    /// "auto" or a number >= 0.
    pub penalty: StoredPenalty,
    /// `null`: chosen from the history's size.
    pub min_category_count: Option<usize>,
    /// Absent: no limit, as in every model before format version 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_levels: Option<usize>,
    /// `null`: off.
    pub winsorize: Option<[f64; 2]>,
    /// `null`: off, as in every model before format version 4.
    #[serde(default)]
    pub outcome_cap: Option<f64>,
    pub interval: f64,
    /// "auto", "linear" or "log".
    pub transform: String,
    /// Recency weighting; absent: off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_days: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredPenalty {
    Fixed(f64),
    Word(String),
}

/// `[decisions]` as given: `null` is a threshold training sets from the history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredDecisions {
    pub contact_at: Option<f64>,
    pub skip_below: Option<f64>,
    pub tier_a: Option<f64>,
    pub tier_b: Option<f64>,
    pub tier_c: Option<f64>,
}

impl StoredConfig {
    /// What to keep of `config`, read from `file`.
    pub fn new(config: &Config, file: &str) -> StoredConfig {
        let m = &config.model;
        let d = &config.decisions;
        StoredConfig {
            file: file.to_string(),
            id: config.id.clone(),
            lead_id: config.lead_id.clone(),
            date: config.date.clone(),
            retrain: StoredRetrain::new(&config.retrain),
            features: config
                .features
                .iter()
                .map(|f| StoredFeature {
                    name: f.name.clone(),
                    kind: match f.kind {
                        FeatureKind::Categorical => "categorical",
                        FeatureKind::Numeric { .. } => "numeric",
                    }
                    .into(),
                    log: matches!(f.kind, FeatureKind::Numeric { log: true }),
                    matching: f.matching,
                    aliases: f.aliases.clone(),
                })
                .collect(),
            model: StoredSettings {
                folds: m.folds,
                seed: m.seed,
                penalty: match m.penalty {
                    Penalty::Auto => StoredPenalty::Word("auto".into()),
                    Penalty::Fixed(v) => StoredPenalty::Fixed(v),
                },
                min_category_count: m.min_category_count,
                max_levels: Some(m.max_levels),
                winsorize: m.winsorize.map(|(lo, hi)| [lo, hi]),
                outcome_cap: m.outcome_cap,
                interval: m.interval,
                transform: match m.transform {
                    Transform::Auto => "auto",
                    Transform::Linear => "linear",
                    Transform::Log => "log",
                    Transform::Glm => "glm",
                }
                .into(),
                half_life_days: m.half_life_days,
            },
            decisions: StoredDecisions {
                contact_at: d.contact_at,
                skip_below: d.skip_below,
                tier_a: d.tier_a,
                tier_b: d.tier_b,
                tier_c: d.tier_c,
            },
        }
    }

    /// The checked `Config` again, with the model's `economics` and `missing_values`, and no
    /// `[export]` settings (a model does not keep them). Only call
    /// on a stored config that passed [`StoredConfig::check`] (every loaded model's has).
    pub fn to_config(&self, economics: &Economics, missing_values: &[String]) -> Config {
        let s = &self.model;
        Config {
            id: self.id.clone(),
            lead_id: self.lead_id.clone(),
            date: self.date.clone(),
            retrain: RetrainSettings {
                history: self.retrain.history.clone(),
                holdout: self.retrain.holdout,
                max_mae_increase: self.retrain.max_mae_increase,
                max_gini_drop: self.retrain.max_gini_drop,
                max_age_days: self.retrain.max_age_days,
            },
            features: self
                .features
                .iter()
                .map(|f| FeatureSpec {
                    name: f.name.clone(),
                    kind: if f.kind == "categorical" {
                        FeatureKind::Categorical
                    } else {
                        FeatureKind::Numeric { log: f.log }
                    },
                    matching: f.matching,
                    aliases: f.aliases.clone(),
                })
                .collect(),
            economics: economics.clone(),
            missing_values: missing_values.to_vec(),
            // `[export]` is not kept in the model: exporting is not training.
            export: crate::config::ExportSettings::default(),
            model: ModelSettings {
                folds: s.folds,
                seed: s.seed,
                penalty: match s.penalty {
                    StoredPenalty::Fixed(v) => Penalty::Fixed(v),
                    StoredPenalty::Word(_) => Penalty::Auto,
                },
                min_category_count: s.min_category_count,
                // Before the limit existed, every common value was a level.
                max_levels: s.max_levels.unwrap_or(usize::MAX),
                winsorize: s.winsorize.map(|[lo, hi]| (lo, hi)),
                outcome_cap: s.outcome_cap,
                interval: s.interval,
                transform: match s.transform.as_str() {
                    "linear" => Transform::Linear,
                    "log" => Transform::Log,
                    "glm" => Transform::Glm,
                    _ => Transform::Auto,
                },
                half_life_days: s.half_life_days,
            },
            decisions: DecisionOverrides {
                contact_at: self.decisions.contact_at,
                skip_below: self.decisions.skip_below,
                tier_a: self.decisions.tier_a,
                tier_b: self.decisions.tier_b,
                tier_c: self.decisions.tier_c,
            },
        }
    }

    /// The same limits the config file is checked against, and the features matching the
    /// model's schema, so that no edit of a model file can make a retrain from it fail oddly.
    pub fn check(&self, schema: &Schema) -> std::result::Result<(), String> {
        let at = |problem: String| format!("config: {problem}");
        if self.id.trim().is_empty() || self.lead_id.trim().is_empty() {
            return Err(at("id and lead_id must name columns".into()));
        }
        if self.features.len() != schema.features.len() {
            return Err(at(format!(
                "{} features but the schema has {}",
                self.features.len(),
                schema.features.len()
            )));
        }
        for (f, s) in self.features.iter().zip(&schema.features) {
            let same = f.name == s.name()
                && match s {
                    Feature::Categorical(_) => f.kind == "categorical" && !f.log,
                    Feature::Numeric(n) => f.kind == "numeric" && f.log == n.log,
                };
            if !same {
                return Err(at(format!(
                    "feature \"{}\" does not match the schema's \"{}\"",
                    f.name,
                    s.name()
                )));
            }
        }
        let m = &self.model;
        if !(2..=50).contains(&m.folds) {
            return Err(at(format!(
                "folds must be between 2 and 50, got {}",
                m.folds
            )));
        }
        match &m.penalty {
            StoredPenalty::Fixed(v) if v.is_finite() && *v >= 0.0 => {}
            StoredPenalty::Word(w) if w == "auto" => {}
            other => {
                return Err(at(format!(
                    "penalty must be \"auto\" or a number >= 0, got {other:?}"
                )))
            }
        }
        if m.min_category_count == Some(0) {
            return Err(at("min_category_count must be at least 1".into()));
        }
        if let Some([lo, hi]) = m.winsorize {
            if !(0.0 <= lo && lo < hi && hi <= 1.0) {
                return Err(at(format!(
                    "winsorize must be [low, high] with 0 <= low < high <= 1, got [{lo}, {hi}]"
                )));
            }
        }
        if let Some(l) = m.max_levels {
            if !(2..=crate::config::MAX_MAX_LEVELS).contains(&l) {
                return Err(at(format!(
                    "max_levels must be between 2 and {}, got {l}",
                    crate::config::MAX_MAX_LEVELS
                )));
            }
        }
        if let Some(f) = m.outcome_cap {
            if !(f.is_finite() && f >= 2.0) {
                return Err(at(format!("outcome_cap must be a factor >= 2, got {f}")));
            }
        }
        if !(0.5..0.995).contains(&m.interval) {
            return Err(at(format!(
                "interval must be between 0.5 and 0.99, got {}",
                m.interval
            )));
        }
        if let Some(h) = m.half_life_days {
            if !(h.is_finite() && h >= 1.0) || self.date.is_none() {
                return Err(at(format!(
                    "half_life_days must be a number of days >= 1 with a date column, got {h}"
                )));
            }
        }
        if self.date.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err(at("date must name a column".into()));
        }
        let r = &self.retrain;
        if !(0.05..0.51).contains(&r.holdout)
            || !(0.0..10.0).contains(&r.max_mae_increase)
            || !(0.0..2.0).contains(&r.max_gini_drop)
            || r.max_age_days == Some(0)
        {
            return Err(at(format!("retrain settings out of range: {r:?}")));
        }
        if !["auto", "linear", "log", "glm"].contains(&m.transform.as_str()) {
            return Err(at(format!(
                "transform must be \"auto\", \"linear\", \"log\" or \"glm\", got \"{}\"",
                m.transform
            )));
        }
        let d = &self.decisions;
        for v in [d.contact_at, d.skip_below, d.tier_a, d.tier_b, d.tier_c]
            .into_iter()
            .flatten()
        {
            if !v.is_finite() {
                return Err(at("a decision threshold is not a finite amount".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_round_trips_through_the_model_file() {
        let text = r#"
currency = "EUR"
[columns]
id = "customer_id"
lead_id = "lead_id"
[features]
categorical = ["industry"]
numeric = ["employees", "revenue"]
log = ["employees"]
[[economics.return]]
name = "revenue"
column = "lifetime_revenue"
rate = 1
[model]
folds = 4
seed = 7
penalty = 0.01
winsorize = false
min_category_count = 3
interval = 0.9
transform = "log"
[decisions]
contact_at = 1000
"#;
        let config = Config::parse(text, "x.toml").unwrap();
        let stored = StoredConfig::new(&config, "x.toml");
        let json = serde_json::to_string(&stored).unwrap();
        let back: StoredConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, stored);
        assert_eq!(
            back.to_config(&config.economics, &config.missing_values),
            config
        );
        let auto = Config::parse(&text.replace("penalty = 0.01", ""), "x.toml").unwrap();
        let stored = StoredConfig::new(&auto, "x.toml");
        let back: StoredConfig =
            serde_json::from_str(&serde_json::to_string(&stored).unwrap()).unwrap();
        assert_eq!(back.to_config(&auto.economics, &auto.missing_values), auto);
    }
}
