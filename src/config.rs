//! `leadscore.toml`: what deserialises (`RawConfig`) and what training may rely on (`Config`).
//! A `Config` exists only once every check has passed, and every check that fails names the
//! line of the key it is about.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::economics::{DecisionOverrides, Economics, Term};
use crate::error::{Error, Result};
use crate::profile::{
    parse_template, DateFormat, Field, NumberFormat, Ours, Profile, Source, BUILT_IN,
};

/// The config file commands read when none is named.
pub const DEFAULT_FILE: &str = "leadscore.toml";

/// How a pre-contact attribute enters the model.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureKind {
    Categorical,
    /// `log`: enters as ln(1 + x), for sizes and amounts whose effect grows by ratios.
    Numeric {
        log: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSpec {
    pub name: String,
    pub kind: FeatureKind,
    /// How a categorical feature's values are matched (numbers ignore it).
    pub matching: Matching,
    /// A categorical feature's other spellings: (alias, the value it stands for), as written in
    /// `[features.aliases.NAME]`. Applied after matching, in training and scoring alike.
    pub aliases: Vec<(String, String)>,
}

/// How category values are matched, in training and scoring: `Normalized` (the config's
/// default) ignores case and runs of spaces, so `Referral`, `referral` and `referral  ` are one
/// value; `Exact` compares the text as written. Part of the model file, where a model written
/// before matching existed reads as `Exact`, hence that default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Matching {
    Normalized,
    #[default]
    Exact,
}

impl Matching {
    /// The key `value` is matched by: the value itself when exact; else trimmed, each run of
    /// whitespace one space, lower case, written into `buf`.
    pub fn key<'a>(self, value: &'a str, buf: &'a mut String) -> &'a str {
        match self {
            Matching::Exact => value,
            Matching::Normalized => {
                buf.clear();
                for word in value.split_whitespace() {
                    if !buf.is_empty() {
                        buf.push(' ');
                    }
                    if word.is_ascii() {
                        buf.extend(word.chars().map(|c| c.to_ascii_lowercase()));
                    } else {
                        buf.extend(word.chars().flat_map(char::to_lowercase));
                    }
                }
                buf
            }
        }
    }

    /// The key of `value`, owned.
    pub fn key_of(self, value: &str) -> String {
        let mut buf = String::new();
        self.key(value, &mut buf).to_string()
    }
}

/// The scale a money target is fitted on: `Auto` compares the candidates by cross-validated
/// error in money and keeps the best; `Log` fits ln(1 + y), for skewed amounts that cannot be
/// negative; `Glm` fits the amount itself with a log link (Poisson quasi-likelihood), for
/// amounts that cannot be negative and whose effects multiply, zeros included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    Auto,
    Linear,
    Log,
    Glm,
}

/// The penalty of the ridge fit: chosen by cross-validation, or fixed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Penalty {
    Auto,
    Fixed(f64),
}

/// `model.max_levels` when the config does not set it: room for any real grouping (industries,
/// regions, US states, products), at about 1.5 s of training per 20,000 customers (measured).
pub const DEFAULT_MAX_LEVELS: usize = 100;

/// `model.outcome_cap` when the config does not set it (see `fit::outliers`).
pub const DEFAULT_OUTCOME_CAP: f64 = 10.0;

/// The most `model.max_levels` may be: 1,000 levels took 50 s to train on 21,000 customers.
pub const MAX_MAX_LEVELS: usize = 2_000;

#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    pub folds: usize,
    pub seed: u64,
    pub penalty: Penalty,
    /// `None`: chosen from the history's size (see `min_category_count_for`).
    pub min_category_count: Option<usize>,
    /// At most this many levels per categorical feature (besides `(other)`): the less common
    /// values are pooled, since the fit's cost grows with the cube of its columns.
    pub max_levels: usize,
    /// Training percentiles numeric features are clamped to; `None` turns it off.
    pub winsorize: Option<(f64, f64)>,
    /// Outcomes beyond this many times the 99th percentile are capped there for the fit and
    /// listed (`fit::outliers`); `None` turns it off.
    pub outcome_cap: Option<f64>,
    /// The share of outcomes a lead's net-value interval is meant to contain.
    pub interval: f64,
    pub transform: Transform,
    /// Recency weighting: a customer won this many days before the newest one counts half as
    /// much in the fit. `None` (the default): every customer counts the same.
    pub half_life_days: Option<f64>,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            folds: 5,
            seed: 42,
            penalty: Penalty::Auto,
            min_category_count: None,
            max_levels: DEFAULT_MAX_LEVELS,
            winsorize: Some((0.01, 0.99)),
            outcome_cap: Some(DEFAULT_OUTCOME_CAP),
            interval: 0.8,
            transform: Transform::Auto,
            half_life_days: None,
        }
    }
}

impl ModelSettings {
    /// Categories with fewer customers than this are pooled: the config's value, or 1% of the
    /// customers kept between 5 and 20, so a small history keeps its categories and a large one
    /// does not estimate effects from a handful of customers.
    pub fn min_category_count_for(&self, customers: usize) -> usize {
        self.min_category_count
            .unwrap_or_else(|| (customers / 100).clamp(5, 20))
    }
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub id: String,
    pub lead_id: String,
    /// The date a customer was won (`columns.date`): what orders a retrain's holdout and
    /// recency weights. Never a feature: it is not known about a lead before contact.
    pub date: Option<String>,
    pub features: Vec<FeatureSpec>,
    pub economics: Economics,
    pub model: ModelSettings,
    pub decisions: DecisionOverrides,
    /// Texts read as blanks in every feature and outcome column (`n/a`, `NULL`, ...).
    pub missing_values: Vec<String>,
    pub retrain: RetrainSettings,
    /// `[export]`: personal columns and CRM import profiles. Not kept in the model.
    pub export: ExportSettings,
}

/// `[retrain]`: where the merged history is kept and when a candidate replaces the current
/// model.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrainSettings {
    /// The kept, merged training history. `None`: `data/history.csv` beside the models
    /// directory (in its parent), as the shipped layout has it.
    pub history: Option<String>,
    /// The share of the merged history held out to compare candidate and current.
    pub holdout: f64,
    /// How much worse (as a share) the candidate's holdout MAE of net value may be.
    pub max_mae_increase: f64,
    /// How much lower the candidate's normalised Gini may be.
    pub max_gini_drop: f64,
    /// A current model older than this many days is replaced whatever the comparison says.
    pub max_age_days: Option<u32>,
}

impl Default for RetrainSettings {
    fn default() -> Self {
        RetrainSettings {
            history: None,
            holdout: 0.2,
            max_mae_increase: 0.02,
            max_gini_drop: 0.02,
            max_age_days: None,
        }
    }
}

/// `[export]`: what every export leaves out, and the config's own CRM import profiles. Not part
/// of any model: exporting is not training, and changing it changes no model file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportSettings {
    /// Input columns left out of every export (an email, a phone), as `--redact` does, unless a
    /// profile names them. A lead list without one of them is fine: they are personal where
    /// they exist.
    pub personal: Vec<String>,
    /// The config's profiles by name (the built-in ones are not here: see
    /// [`ExportSettings::profile`]).
    pub profiles: BTreeMap<String, Profile>,
    /// The config file, when it has an `[export]` section: to name it in messages.
    pub file: Option<String>,
}

impl ExportSettings {
    /// The `[export]` settings for an export: of `path` when given; else of `leadscore.toml`
    /// when there is one; else none (the built-in profiles, nothing personal). The whole config
    /// is checked, as any command that reads it does.
    pub fn load(path: Option<&Path>) -> Result<ExportSettings> {
        let default = Path::new(DEFAULT_FILE);
        match path {
            Some(p) => Ok(Config::load(p)?.export),
            None if default.is_file() => Ok(Config::load(default)?.export),
            None => Ok(ExportSettings::default()),
        }
    }

    /// Every profile name: the built-in ones, then the config's.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILT_IN.iter().map(|n| n.to_string()).collect();
        names.extend(self.profiles.keys().cloned());
        names
    }

    /// The profile called `name`: the config's, else a built-in one. An unknown name is a
    /// usage error listing every profile there is.
    pub fn profile(&self, name: &str) -> Result<Profile> {
        if let Some(p) = self.profiles.get(name) {
            return Ok(p.clone());
        }
        if let Some(p) = Profile::built_in(name) {
            return Ok(p);
        }
        let names = self.profile_names();
        let mut problem = format!("no profile \"{name}\"");
        if let Some(close) = crate::io::table::closest(name, &names) {
            problem.push_str(&format!(" (did you mean \"{close}\"?)"));
        }
        let own: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
        problem.push_str(&format!(
            "; the profiles are {} (built in)",
            BUILT_IN.join(", ")
        ));
        let file = self.file.as_deref().unwrap_or(DEFAULT_FILE);
        if own.is_empty() {
            problem.push_str(&format!(
                "; define your own under [export.profiles.NAME] in {file}"
            ));
        } else {
            problem.push_str(&format!(" and {} (in {file})", own.join(", ")));
        }
        Err(Error::Usage(problem))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    currency: Spanned<String>,
    missing_values: Option<Vec<Spanned<String>>>,
    columns: RawColumns,
    features: RawFeatures,
    economics: RawEconomics,
    #[serde(default)]
    model: RawModel,
    #[serde(default)]
    decisions: RawDecisions,
    #[serde(default)]
    retrain: RawRetrain,
    export: Option<RawExport>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExport {
    #[serde(default)]
    personal: Vec<Spanned<String>>,
    #[serde(default)]
    profiles: BTreeMap<Spanned<String>, Spanned<RawProfile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    delimiter: Option<Spanned<String>>,
    #[serde(default)]
    decimal_comma: bool,
    /// A UTF-8 byte order mark before the header, for Excel.
    #[serde(default)]
    bom: bool,
    thousands: Option<Spanned<String>>,
    decimals: Option<Spanned<i64>>,
    date_format: Option<Spanned<String>>,
    fields: Spanned<Vec<Spanned<RawField>>>,
}

/// One field of a profile: its name and exactly one of `from`, `column`, `value`, `template`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: Spanned<String>,
    from: Option<Spanned<String>>,
    column: Option<Spanned<String>>,
    value: Option<Spanned<String>>,
    template: Option<Spanned<String>>,
    #[serde(default)]
    map: BTreeMap<Spanned<String>, Spanned<String>>,
    max_length: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRetrain {
    history: Option<Spanned<String>>,
    holdout: Option<Spanned<f64>>,
    max_mae_increase: Option<Spanned<f64>>,
    max_gini_drop: Option<Spanned<f64>>,
    max_age_days: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumns {
    id: Spanned<String>,
    lead_id: Option<String>,
    date: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeatures {
    #[serde(default)]
    categorical: Vec<Spanned<String>>,
    #[serde(default)]
    numeric: Vec<Spanned<String>>,
    #[serde(default)]
    log: Vec<Spanned<String>>,
    /// `"normalized"` (the default) or `"exact"`.
    #[serde(rename = "match")]
    matching: Option<Spanned<String>>,
    /// Per categorical feature: alias → the value it stands for.
    #[serde(default)]
    aliases: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEconomics {
    #[serde(rename = "return")]
    lifetime_return: Spanned<Vec<Spanned<RawTerm>>>,
    #[serde(rename = "burden", default)]
    service_burden: Vec<Spanned<RawTerm>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    name: String,
    column: Option<String>,
    rate: f64,
    times: Option<String>,
    #[serde(default)]
    allow_negative: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawModel {
    folds: Option<Spanned<i64>>,
    seed: Option<u64>,
    penalty: Option<Spanned<RawPenalty>>,
    min_category_count: Option<Spanned<i64>>,
    max_levels: Option<Spanned<i64>>,
    winsorize: Option<Spanned<RawWinsorize>>,
    outcome_cap: Option<Spanned<RawCap>>,
    interval: Option<Spanned<f64>>,
    transform: Option<Spanned<String>>,
    half_life_days: Option<Spanned<f64>>,
}

// Each untagged enum ends in `Other`, so a value of the wrong type reaches the checks below and
// gets a message saying what the key takes, instead of serde's "did not match any variant of
// untagged enum RawWinsorize".
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawPenalty {
    Number(f64),
    Word(String),
    Other(toml::Value),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawWinsorize {
    Switch(bool),
    Range(Vec<f64>),
    Other(toml::Value),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawCap {
    Switch(bool),
    Factor(f64),
    Other(toml::Value),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDecisions {
    contact_at: Option<Spanned<f64>>,
    skip_below: Option<Spanned<f64>>,
    tier_a: Option<Spanned<f64>>,
    tier_b: Option<Spanned<f64>>,
    tier_c: Option<Spanned<f64>>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let shown = path.display().to_string();
        if path.is_dir() {
            return Err(Error::file(&shown, "is a directory, not a config file"));
        }
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::file(
                &shown,
                "no such config file (write one with `leadscore init`, or pass --config)",
            ),
            _ => Error::read(&shown, e),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            Error::Row {
                path: shown.clone(),
                line: 1 + valid.iter().filter(|&&b| b == b'\n').count() as u64,
                problem: "not UTF-8 text (save the config as UTF-8)".into(),
            }
        })?;
        Config::parse(&text, &shown)
    }

    /// Parses and checks config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &str) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| Error::file(path, did_you_mean_field(e.to_string().trim_end())))?;
        Checker { text, path }.check(raw)
    }
}

/// A TOML error as toml words it, with "did you mean" added to an unknown key that is close to
/// one of those expected there (`form` for `from`).
fn did_you_mean_field(message: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in message.lines() {
        let mut line = line.to_string();
        if let Some(rest) = line.strip_prefix("unknown field `") {
            if let Some((unknown, expected)) = rest.split_once('`') {
                let candidates: Vec<String> = expected
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect();
                if let Some(close) = crate::io::table::closest(unknown, &candidates) {
                    line.push_str(&format!("; did you mean `{close}`?"));
                }
            }
        }
        out.push(line);
    }
    out.join("\n")
}

struct Checker<'a> {
    text: &'a str,
    path: &'a str,
}

impl Checker<'_> {
    fn err(&self, span: Range<usize>, problem: impl Into<String>) -> Error {
        let line = self.text[..span.start.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count() as u64
            + 1;
        Error::Row {
            path: self.path.to_string(),
            line,
            problem: problem.into(),
        }
    }

    fn check(&self, raw: RawConfig) -> Result<Config> {
        let currency = raw.currency.get_ref().trim().to_string();
        if currency.is_empty() {
            return Err(self.err(
                raw.currency.span(),
                "currency must not be empty (e.g. \"EUR\")",
            ));
        }
        let id = raw.columns.id.get_ref().trim().to_string();
        if id.is_empty() {
            return Err(self.err(raw.columns.id.span(), "columns.id must name the id column"));
        }
        let lead_id = raw.columns.lead_id.unwrap_or_else(|| id.clone());

        let features = self.features(&raw.features, &id)?;
        let economics = self.economics(&raw.economics, currency, &features, &id)?;
        let date = self.date(raw.columns.date.as_ref(), &id, &features, &economics)?;
        let half_life = raw.model.half_life_days.as_ref().map(|h| h.span());
        let model = self.model(raw.model)?;
        if let (Some(span), None) = (half_life, &date) {
            return Err(self.err(
                span,
                "model.half_life_days weights customers by when they were won: name that date column as columns.date",
            ));
        }
        let decisions = self.decisions(&raw.decisions)?;
        let retrain = self.retrain(&raw.retrain)?;
        let export = match &raw.export {
            Some(e) => self.export(e)?,
            None => ExportSettings::default(),
        };
        let missing_values = match &raw.missing_values {
            Some(list) => self.missing_values(list)?,
            None => crate::io::table::default_missing_values(),
        };
        Ok(Config {
            id,
            lead_id,
            date,
            retrain,
            features,
            economics,
            model,
            decisions,
            missing_values,
            export,
        })
    }

    /// `columns.date`: a column of its own, neither the id, a feature nor an outcome.
    fn date(
        &self,
        raw: Option<&Spanned<String>>,
        id: &str,
        features: &[FeatureSpec],
        economics: &Economics,
    ) -> Result<Option<String>> {
        let Some(raw) = raw else { return Ok(None) };
        let name = raw.get_ref().trim();
        let taken = if name.is_empty() {
            Some("must name a column".to_string())
        } else if name == id {
            Some(format!("\"{name}\" is the id column"))
        } else if features.iter().any(|f| f.name == name) {
            Some(format!(
                "\"{name}\" is also a feature; the date a customer was won is not known about a lead before contact"
            ))
        } else if economics.columns().iter().any(|c| c == name) {
            Some(format!("\"{name}\" is an outcome column in [economics]"))
        } else {
            None
        };
        match taken {
            Some(problem) => Err(self.err(raw.span(), format!("columns.date {problem}"))),
            None => Ok(Some(name.to_string())),
        }
    }

    fn retrain(&self, raw: &RawRetrain) -> Result<RetrainSettings> {
        let mut r = RetrainSettings::default();
        if let Some(h) = &raw.history {
            let v = h.get_ref().trim();
            if v.is_empty() {
                return Err(self.err(h.span(), "retrain.history must name a file"));
            }
            r.history = Some(v.to_string());
        }
        let share = |v: &Option<Spanned<f64>>, key: &str, range: Range<f64>, what: &str| match v {
            Some(s) if !range.contains(s.get_ref()) => Err(self.err(
                s.span(),
                format!("retrain.{key} must be {what}, got {}", s.get_ref()),
            )),
            Some(s) => Ok(Some(*s.get_ref())),
            None => Ok(None),
        };
        if let Some(v) = share(
            &raw.holdout,
            "holdout",
            0.05..0.51,
            "a share between 0.05 and 0.5",
        )? {
            r.holdout = v;
        }
        if let Some(v) = share(
            &raw.max_mae_increase,
            "max_mae_increase",
            0.0..10.0,
            "a share >= 0 (0.02 allows 2% worse)",
        )? {
            r.max_mae_increase = v;
        }
        if let Some(v) = share(
            &raw.max_gini_drop,
            "max_gini_drop",
            0.0..2.0,
            "between 0 and 2",
        )? {
            r.max_gini_drop = v;
        }
        if let Some(a) = &raw.max_age_days {
            let v = *a.get_ref();
            if !(1..=36_500).contains(&v) {
                return Err(self.err(
                    a.span(),
                    format!(
                        "retrain.max_age_days must be a number of days from 1 to 36500, got {v}"
                    ),
                ));
            }
            r.max_age_days = Some(v as u32);
        }
        Ok(r)
    }

    /// The texts to read as blanks: each non-empty once trimmed, and not a number (a number in
    /// a numeric column is always read as that number).
    fn missing_values(&self, raw: &[Spanned<String>]) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for token in raw {
            let t = token.get_ref().trim();
            if t.is_empty() {
                return Err(self.err(
                    token.span(),
                    "missing_values lists an empty text; empty fields are always blanks",
                ));
            }
            if matches!(crate::io::table::parse_number(t, true), Ok(Some(_))) {
                return Err(self.err(
                    token.span(),
                    format!("missing_values lists \"{t}\", a number; numbers are always read as numbers"),
                ));
            }
            if !out.iter().any(|o| o == t) {
                out.push(t.to_string());
            }
        }
        Ok(out)
    }

    fn features(&self, raw: &RawFeatures, id: &str) -> Result<Vec<FeatureSpec>> {
        let mut out: Vec<FeatureSpec> = Vec::new();
        let lists = [(&raw.categorical, true), (&raw.numeric, false)];
        for (list, categorical) in lists {
            for name in list {
                let n = name.get_ref().trim();
                if n.is_empty() {
                    return Err(self.err(name.span(), "a feature name is empty"));
                }
                if n == id {
                    return Err(self.err(
                        name.span(),
                        format!("\"{n}\" is the id column and cannot also be a feature"),
                    ));
                }
                if out.iter().any(|f| f.name == n) {
                    return Err(self.err(name.span(), format!("feature \"{n}\" is listed twice")));
                }
                let kind = if categorical {
                    FeatureKind::Categorical
                } else {
                    let log = raw.log.iter().any(|l| l.get_ref().trim() == n);
                    FeatureKind::Numeric { log }
                };
                out.push(FeatureSpec {
                    name: n.to_string(),
                    kind,
                    matching: Matching::Normalized,
                    aliases: Vec::new(),
                });
            }
        }
        if out.is_empty() {
            return Err(Error::file(
                self.path,
                "[features] lists no feature: name at least one categorical or numeric column",
            ));
        }
        let numeric: Vec<String> = raw
            .numeric
            .iter()
            .map(|n| n.get_ref().trim().to_string())
            .collect();
        for l in &raw.log {
            let name = l.get_ref().trim();
            if !numeric.iter().any(|n| n == name) {
                let mut problem =
                    format!("features.log names \"{name}\", which is not in features.numeric");
                if let Some(close) = crate::io::table::closest(name, &numeric) {
                    problem.push_str(&format!("; did you mean \"{close}\"?"));
                }
                return Err(self.err(l.span(), problem));
            }
        }
        self.matching(raw, &mut out)?;
        Ok(out)
    }

    /// `features.match` and `[features.aliases.NAME]`, onto the categorical features.
    fn matching(&self, raw: &RawFeatures, out: &mut [FeatureSpec]) -> Result<()> {
        let matching = match &raw.matching {
            None => Matching::Normalized,
            Some(m) => match m.get_ref().trim() {
                "normalized" => Matching::Normalized,
                "exact" => Matching::Exact,
                other => {
                    return Err(self.err(
                        m.span(),
                        format!(
                            "features.match must be \"normalized\" or \"exact\", got \"{other}\""
                        ),
                    ))
                }
            },
        };
        for spec in out.iter_mut() {
            spec.matching = matching;
        }
        // In file order, so the first mistake is the one reported.
        let mut tables: Vec<_> = raw.aliases.iter().collect();
        tables.sort_by_key(|(name, _)| name.span().start);
        for (name, table) in tables {
            let n = name.get_ref().trim();
            let at = name.span();
            let Some(spec) = out
                .iter_mut()
                .find(|f| f.name == n && f.kind == FeatureKind::Categorical)
            else {
                if raw.numeric.iter().any(|x| x.get_ref().trim() == n) {
                    return Err(self.err(
                        at,
                        format!("features.aliases.{n}: \"{n}\" is a numeric feature; aliases map the values of a categorical one"),
                    ));
                }
                let categorical: Vec<String> = raw
                    .categorical
                    .iter()
                    .map(|c| c.get_ref().trim().to_string())
                    .collect();
                let mut problem =
                    format!("features.aliases names \"{n}\", which is not in features.categorical");
                if let Some(close) = crate::io::table::closest(n, &categorical) {
                    problem.push_str(&format!("; did you mean \"{close}\"?"));
                }
                return Err(self.err(at, problem));
            };
            let mut entries: Vec<_> = table.iter().collect();
            entries.sort_by_key(|(alias, _)| alias.span().start);
            let key = |v: &str| matching.key_of(v);
            for (i, (alias, target)) in entries.iter().enumerate() {
                let (a, t) = (alias.get_ref().trim(), target.get_ref().trim());
                if a.is_empty() {
                    return Err(self.err(
                        alias.span(),
                        format!("features.aliases.{n}: an alias is empty"),
                    ));
                }
                if t.is_empty() {
                    return Err(self.err(
                        alias.span(),
                        format!("features.aliases.{n}: \"{a}\" maps to an empty value"),
                    ));
                }
                for (other, other_target) in &entries[..i] {
                    let o = other.get_ref().trim();
                    if key(o) == key(a) && key(other_target.get_ref().trim()) != key(t) {
                        return Err(self.err(
                            alias.span(),
                            format!("features.aliases.{n}: \"{a}\" and \"{o}\" are the same value to features.match but map to different values"),
                        ));
                    }
                }
                if key(t) != key(a) {
                    if let Some((_, end)) = entries.iter().find(|(other, end)| {
                        let o = key(other.get_ref().trim());
                        o == key(t) && o != key(end.get_ref().trim())
                    }) {
                        let end = end.get_ref().trim();
                        return Err(self.err(
                            alias.span(),
                            format!("features.aliases.{n}: \"{a}\" maps to \"{t}\", which is itself an alias of \"{end}\"; map \"{a}\" to \"{end}\" directly"),
                        ));
                    }
                }
                spec.aliases.push((a.to_string(), t.to_string()));
            }
        }
        Ok(())
    }

    fn economics(
        &self,
        raw: &RawEconomics,
        currency: String,
        features: &[FeatureSpec],
        id: &str,
    ) -> Result<Economics> {
        if raw.lifetime_return.get_ref().is_empty() {
            return Err(self.err(
                raw.lifetime_return.span(),
                "economics.return needs at least one term",
            ));
        }
        let term = |spanned: &Spanned<RawTerm>, burden: bool| -> Result<Term> {
            let t = spanned.get_ref();
            let side = if burden { "burden" } else { "return" };
            let at = spanned.span();
            if t.name.trim().is_empty() {
                return Err(self.err(at, format!("an economics.{side} term has an empty name")));
            }
            if !t.rate.is_finite() {
                return Err(self.err(
                    at,
                    format!(
                        "economics.{side} \"{}\": rate must be a finite number",
                        t.name
                    ),
                ));
            }
            if burden && t.rate < 0.0 {
                return Err(self.err(
                    at,
                    format!(
                        "economics.burden \"{}\": rate {} is negative; the burden is what a customer costs, so put money that comes back under economics.return",
                        t.name, t.rate
                    ),
                ));
            }
            if t.column.is_none() && t.times.is_some() {
                return Err(self.err(
                    at,
                    format!("economics.{side} \"{}\": `times` needs a `column`", t.name),
                ));
            }
            for col in t.column.iter().chain(t.times.iter()) {
                if col == id || features.iter().any(|f| &f.name == col) {
                    return Err(self.err(
                        at,
                        format!(
                            "economics.{side} \"{}\": column \"{col}\" is also a feature or the id; an outcome known before contact would leak the answer into the model",
                            t.name
                        ),
                    ));
                }
            }
            Ok(Term {
                name: t.name.trim().to_string(),
                column: t.column.clone(),
                rate: t.rate,
                times: t.times.clone(),
                allow_negative: t.allow_negative,
            })
        };
        let mut names: Vec<String> = Vec::new();
        let mut check_name = |t: &Term, at: Range<usize>| -> Result<()> {
            if names.contains(&t.name) {
                return Err(self.err(at, format!("economics term \"{}\" is named twice", t.name)));
            }
            names.push(t.name.clone());
            Ok(())
        };
        let mut lifetime_return = Vec::new();
        for s in raw.lifetime_return.get_ref() {
            let t = term(s, false)?;
            check_name(&t, s.span())?;
            lifetime_return.push(t);
        }
        let mut service_burden = Vec::new();
        for s in &raw.service_burden {
            let t = term(s, true)?;
            check_name(&t, s.span())?;
            service_burden.push(t);
        }
        Ok(Economics {
            currency,
            lifetime_return,
            service_burden,
        })
    }

    fn model(&self, raw: RawModel) -> Result<ModelSettings> {
        let mut m = ModelSettings::default();
        if let Some(f) = raw.folds {
            let v = *f.get_ref();
            if !(2..=50).contains(&v) {
                return Err(self.err(
                    f.span(),
                    format!("model.folds must be between 2 and 50, got {v}"),
                ));
            }
            m.folds = v as usize;
        }
        if let Some(s) = raw.seed {
            m.seed = s;
        }
        if let Some(p) = raw.penalty {
            m.penalty = match p.get_ref() {
                RawPenalty::Word(w) if w == "auto" => Penalty::Auto,
                RawPenalty::Number(v) if v.is_finite() && *v >= 0.0 => Penalty::Fixed(*v),
                RawPenalty::Number(v) => {
                    return Err(self.err(
                        p.span(),
                        format!("model.penalty must be \"auto\" or a number >= 0, got {v}"),
                    ))
                }
                RawPenalty::Word(w) => {
                    return Err(self.err(
                        p.span(),
                        format!("model.penalty must be \"auto\" or a number >= 0, got \"{w}\""),
                    ))
                }
                RawPenalty::Other(v) => {
                    return Err(self.err(
                        p.span(),
                        format!("model.penalty must be \"auto\" or a number >= 0, got {v}"),
                    ))
                }
            };
        }
        if let Some(c) = raw.min_category_count {
            let v = *c.get_ref();
            if v < 1 {
                return Err(self.err(
                    c.span(),
                    format!("model.min_category_count must be at least 1, got {v}"),
                ));
            }
            m.min_category_count = Some(v as usize);
        }
        if let Some(c) = raw.max_levels {
            let v = *c.get_ref();
            if !(2..=MAX_MAX_LEVELS as i64).contains(&v) {
                return Err(self.err(
                    c.span(),
                    format!("model.max_levels must be between 2 and {MAX_MAX_LEVELS} (training time grows with the cube of the levels), got {v}"),
                ));
            }
            m.max_levels = v as usize;
        }
        if let Some(w) = raw.winsorize {
            m.winsorize = match w.get_ref() {
                RawWinsorize::Switch(false) => None,
                RawWinsorize::Switch(true) => ModelSettings::default().winsorize,
                RawWinsorize::Range(r) if r.len() == 2 && 0.0 <= r[0] && r[0] < r[1] && r[1] <= 1.0 => {
                    Some((r[0], r[1]))
                }
                RawWinsorize::Range(r) => {
                    return Err(self.err(
                        w.span(),
                        format!("model.winsorize must be false or [low, high] percentiles with 0 <= low < high <= 1, got {r:?}"),
                    ))
                }
                RawWinsorize::Other(v) => {
                    return Err(self.err(
                        w.span(),
                        format!("model.winsorize must be false or [low, high] percentiles with 0 <= low < high <= 1, got {v}"),
                    ))
                }
            };
        }
        if let Some(c) = raw.outcome_cap {
            let wrong = |got: String| {
                self.err(
                    c.span(),
                    format!("model.outcome_cap must be false or a factor >= 2 (an outcome beyond that many times the 99th percentile is taken for a typo), got {got}"),
                )
            };
            m.outcome_cap = match c.get_ref() {
                RawCap::Switch(false) => None,
                RawCap::Switch(true) => ModelSettings::default().outcome_cap,
                RawCap::Factor(v) if v.is_finite() && *v >= 2.0 => Some(*v),
                RawCap::Factor(v) => return Err(wrong(v.to_string())),
                RawCap::Other(v) => return Err(wrong(v.to_string())),
            };
        }
        if let Some(t) = raw.transform {
            m.transform = match t.get_ref().as_str() {
                "auto" => Transform::Auto,
                "linear" => Transform::Linear,
                "log" => Transform::Log,
                "glm" => Transform::Glm,
                other => {
                    return Err(self.err(
                        t.span(),
                        format!(
                        "model.transform must be \"auto\", \"linear\", \"log\" or \"glm\", got \"{other}\""
                    ),
                    ))
                }
            };
        }
        if let Some(h) = &raw.half_life_days {
            let v = *h.get_ref();
            if !(v.is_finite() && v >= 1.0) {
                return Err(self.err(
                    h.span(),
                    format!("model.half_life_days must be a number of days >= 1, got {v}"),
                ));
            }
            m.half_life_days = Some(v);
        }
        if let Some(i) = raw.interval {
            let v = *i.get_ref();
            if !(0.5..0.995).contains(&v) {
                return Err(self.err(
                    i.span(),
                    format!("model.interval must be a share between 0.5 and 0.99, got {v}"),
                ));
            }
            m.interval = v;
        }
        Ok(m)
    }

    /// `[export]`: the personal columns and the config's own profiles.
    fn export(&self, raw: &RawExport) -> Result<ExportSettings> {
        let mut personal: Vec<String> = Vec::new();
        for p in &raw.personal {
            let name = p.get_ref().trim();
            if name.is_empty() {
                return Err(self.err(p.span(), "export.personal lists an empty column name"));
            }
            if !personal.iter().any(|q| q == name) {
                personal.push(name.to_string());
            }
        }
        let mut tables: Vec<_> = raw.profiles.iter().collect();
        tables.sort_by_key(|(name, _)| name.span().start);
        let mut profiles = BTreeMap::new();
        for (name, table) in tables {
            let n = name.get_ref().trim();
            if BUILT_IN.contains(&n) {
                return Err(self.err(
                    name.span(),
                    format!("export.profiles.{n}: \"{n}\" is a built-in profile; give yours another name (such as \"{n}_custom\"), so that --profile {n} writes the same file everywhere"),
                ));
            }
            profiles.insert(n.to_string(), self.profile(n, table)?);
        }
        Ok(ExportSettings {
            personal,
            profiles,
            file: Some(self.path.to_string()),
        })
    }

    /// One `[export.profiles.NAME]` table, checked into a [`Profile`].
    fn profile(&self, name: &str, raw: &Spanned<RawProfile>) -> Result<Profile> {
        let key = |k: &str| format!("export.profiles.{name}.{k}");
        let t = raw.get_ref();
        let delimiter = match &t.delimiter {
            None => b',',
            Some(d) => match d.get_ref().as_str() {
                "," | ";" | "|" | ":" => d.get_ref().as_bytes()[0],
                "tab" | "\\t" | "\t" => b'\t',
                other => {
                    return Err(self.err(
                        d.span(),
                        format!(
                            "{} must be \",\", \";\", \"|\", \":\" or \"tab\", got \"{other}\"",
                            key("delimiter")
                        ),
                    ))
                }
            },
        };
        let thousands = match &t.thousands {
            None => None,
            Some(s) => {
                let mut chars = s.get_ref().chars();
                match (chars.next(), chars.next()) {
                    (None, _) => None,
                    (Some(c), None) => Some(c),
                    _ => {
                        return Err(self.err(
                            s.span(),
                            format!(
                                "{} must be one character (\".\", \",\", \" \", \"'\") or \"\" for none, got \"{}\"",
                                key("thousands"),
                                s.get_ref()
                            ),
                        ))
                    }
                }
            }
        };
        let decimals = match &t.decimals {
            None => None,
            Some(d) => {
                let v = *d.get_ref();
                if !(0..=9).contains(&v) {
                    return Err(self.err(
                        d.span(),
                        format!("{} must be 0 to 9, got {v}", key("decimals")),
                    ));
                }
                Some(v as usize)
            }
        };
        let date = match &t.date_format {
            None => DateFormat::default(),
            Some(f) => DateFormat::parse(f.get_ref())
                .map_err(|p| self.err(f.span(), format!("export.profiles.{name}: {p}")))?,
        };
        let mut fields = Vec::with_capacity(t.fields.get_ref().len());
        for f in t.fields.get_ref() {
            fields.push(self.field(name, f)?);
        }
        let number = NumberFormat {
            decimals,
            decimal_comma: t.decimal_comma,
            thousands,
        };
        Profile::new(name, delimiter, number, date, fields)
            .map(|p| p.with_bom(t.bom))
            .map_err(|invalid| {
                let span = match (invalid.field, &t.thousands) {
                    (Some(i), _) => t.fields.get_ref()[i].span(),
                    (None, _) if t.fields.get_ref().is_empty() => t.fields.span(),
                    (None, Some(s)) => s.span(),
                    (None, None) => raw.span(),
                };
                self.err(span, format!("export.profiles.{name}: {}", invalid.problem))
            })
    }

    /// One field of a profile: its name and exactly one source.
    fn field(&self, profile: &str, raw: &Spanned<RawField>) -> Result<Field> {
        let f = raw.get_ref();
        let name = f.name.get_ref().trim();
        let what = format!("export.profiles.{profile}: field \"{name}\"");
        let given: Vec<(&str, &Spanned<String>)> = [
            ("from", &f.from),
            ("column", &f.column),
            ("value", &f.value),
            ("template", &f.template),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let source = match given.as_slice() {
            [] => {
                return Err(self.err(
                    raw.span(),
                    format!("{what} needs one of from (one of ours), column (an input column), value (a fixed text) or template"),
                ))
            }
            [("from", v)] => {
                let text = v.get_ref().trim();
                match Ours::parse(text) {
                    Some(o) => Source::Ours(o),
                    None => {
                        let names = Ours::names();
                        let mut problem = format!(
                            "{what}: from = \"{text}\" is not one of ours ({})",
                            names.join(", ")
                        );
                        match crate::io::table::closest(text, &names) {
                            Some(c) => problem.push_str(&format!("; did you mean \"{c}\"?")),
                            None => problem
                                .push_str(&format!("; an input column is column = \"{text}\"")),
                        }
                        return Err(self.err(v.span(), problem));
                    }
                }
            }
            [("column", v)] => {
                let c = v.get_ref().trim();
                if c.is_empty() {
                    return Err(self.err(v.span(), format!("{what}: column names no column")));
                }
                Source::Column(c.to_string())
            }
            [("value", v)] => Source::Value(v.get_ref().clone()),
            [(_, v)] => Source::Template(
                parse_template(v.get_ref()).map_err(|p| self.err(v.span(), format!("{what}: {p}")))?,
            ),
            [(a, _), (b, second), ..] => {
                return Err(self.err(
                    second.span(),
                    format!("{what} has both {a} and {b}; a field takes its value from one"),
                ))
            }
        };
        let mut map: Vec<_> = f.map.iter().collect();
        map.sort_by_key(|(k, _)| k.span().start);
        let map = map
            .into_iter()
            .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
            .collect();
        let max_length = match &f.max_length {
            None => None,
            Some(m) => {
                let v = *m.get_ref();
                if v < 2 {
                    return Err(self.err(
                        m.span(),
                        format!("{what}: max_length must be at least 2 (room for a character and the … that says it was cut), got {v}"),
                    ));
                }
                Some(v as usize)
            }
        };
        Ok(Field {
            name: name.to_string(),
            source,
            map,
            max_length,
        })
    }

    fn decisions(&self, raw: &RawDecisions) -> Result<DecisionOverrides> {
        let get = |v: &Option<Spanned<f64>>, key: &str| -> Result<Option<f64>> {
            match v {
                Some(s) if !s.get_ref().is_finite() => {
                    Err(self.err(s.span(), format!("decisions.{key} must be a finite amount")))
                }
                Some(s) => Ok(Some(*s.get_ref())),
                None => Ok(None),
            }
        };
        let d = DecisionOverrides {
            contact_at: get(&raw.contact_at, "contact_at")?,
            skip_below: get(&raw.skip_below, "skip_below")?,
            tier_a: get(&raw.tier_a, "tier_a")?,
            tier_b: get(&raw.tier_b, "tier_b")?,
            tier_c: get(&raw.tier_c, "tier_c")?,
        };
        if let (Some(c), Some(s)) = (d.contact_at, d.skip_below) {
            if c < s {
                let span = raw.contact_at.as_ref().expect("set").span();
                return Err(self.err(
                    span,
                    format!("decisions.contact_at ({c}) is below decisions.skip_below ({s})"),
                ));
            }
        }
        let tiers = [
            (d.tier_a, "tier_a", &raw.tier_a),
            (d.tier_b, "tier_b", &raw.tier_b),
            (d.tier_c, "tier_c", &raw.tier_c),
        ];
        for w in tiers.windows(2) {
            if let ((Some(hi), hk, _), (Some(lo), lk, lspan)) = (w[0], w[1]) {
                if lo > hi {
                    let span = lspan.as_ref().expect("set").span();
                    return Err(self.err(span, format!("decisions.{lk} ({lo}) is above decisions.{hk} ({hi}); tiers run from A (best) down")));
                }
            }
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::NumberFormat;

    const GOOD: &str = r#"
currency = "EUR"
[columns]
id = "customer_id"
lead_id = "lead_id"
[features]
categorical = ["industry", "region"]
numeric = ["employees", "annual_revenue"]
log = ["employees"]
[[economics.return]]
name = "revenue"
column = "lifetime_revenue"
rate = 1
[[economics.return]]
name = "cost of goods"
column = "cost_of_goods"
rate = -1
[[economics.burden]]
name = "support"
column = "support_hours"
rate = 55
[model]
penalty = 0
winsorize = false
[decisions]
contact_at = 1000
"#;

    fn err(text: &str) -> String {
        Config::parse(text, "leadscore.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_a_complete_config() {
        let c = Config::parse(GOOD, "leadscore.toml").unwrap();
        assert_eq!(c.id, "customer_id");
        assert_eq!(c.lead_id, "lead_id");
        assert_eq!(c.features.len(), 4);
        assert_eq!(c.features[2].kind, FeatureKind::Numeric { log: true });
        assert_eq!(c.features[3].kind, FeatureKind::Numeric { log: false });
        assert_eq!(c.model.penalty, Penalty::Fixed(0.0));
        assert_eq!(c.model.winsorize, None);
        assert_eq!(c.decisions.contact_at, Some(1000.0));
        assert_eq!(
            c.economics.columns(),
            ["lifetime_revenue", "cost_of_goods", "support_hours"]
        );
    }

    #[test]
    fn unknown_key_is_reported_with_its_line() {
        let text = GOOD.replace("[model]\n", "[model]\nfolds_count = 3\n");
        let e = err(&text);
        assert!(
            e.starts_with("leadscore.toml: TOML parse error at line 23, column 1"),
            "{e}"
        );
        assert!(e.contains("unknown field `folds_count`"), "{e}");
    }

    #[test]
    fn missing_key_is_reported() {
        let e = err(&GOOD.replace("id = \"customer_id\"\n", ""));
        assert!(e.contains("missing field `id`"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn semantic_errors_name_the_line() {
        assert_eq!(
            err(&GOOD.replace("log = [\"employees\"]", "log = [\"employes\"]")),
            "leadscore.toml:9: features.log names \"employes\", which is not in features.numeric; did you mean \"employees\"?"
        );
        assert_eq!(
            err(&GOOD.replace("penalty = 0", "penalty = \"lots\"")),
            "leadscore.toml:23: model.penalty must be \"auto\" or a number >= 0, got \"lots\""
        );
        assert!(err(&GOOD.replace("rate = 55", "rate = -55"))
            .starts_with("leadscore.toml:18: economics.burden \"support\": rate -55 is negative"));
        assert!(
            err(&GOOD.replace("column = \"cost_of_goods\"", "column = \"employees\""))
                .contains("would leak the answer")
        );
    }

    #[test]
    fn missing_values_default_to_the_common_tokens_and_can_be_replaced() {
        let c = Config::parse(GOOD, "leadscore.toml").unwrap();
        assert_eq!(c.missing_values, crate::io::table::default_missing_values());
        let c = Config::parse(
            &format!("missing_values = [\" x \", \"x\", \"unknown\"]\n{GOOD}"),
            "t",
        )
        .unwrap();
        assert_eq!(c.missing_values, ["x", "unknown"]);
        let c = Config::parse(&format!("missing_values = []\n{GOOD}"), "t").unwrap();
        assert!(c.missing_values.is_empty());
        assert_eq!(
            err(&format!("missing_values = [\"n/a\", \" \"]\n{GOOD}")),
            "leadscore.toml:1: missing_values lists an empty text; empty fields are always blanks"
        );
        assert_eq!(
            err(&format!("missing_values = [\"-999\"]\n{GOOD}")),
            "leadscore.toml:1: missing_values lists \"-999\", a number; numbers are always read as numbers"
        );
    }

    #[test]
    fn category_matching_and_aliases() {
        let c = Config::parse(GOOD, "leadscore.toml").unwrap();
        assert_eq!(c.features[0].matching, Matching::Normalized);
        let with = |extra: &str| {
            GOOD.replace(
                "[[economics.return]]\nname = \"revenue\"",
                &format!("{extra}\n[[economics.return]]\nname = \"revenue\""),
            )
        };
        let c = Config::parse(
            &with("[features.aliases.industry]\n\"Software & IT\" = \" software \"\n\"software and it\" = \"Software\""),
            "leadscore.toml",
        )
        .unwrap();
        assert_eq!(
            c.features[0].aliases,
            [
                ("Software & IT".to_string(), "software".to_string()),
                ("software and it".to_string(), "Software".to_string())
            ]
        );
        assert!(c.features[1].aliases.is_empty());
        let exact = GOOD.replace(
            "log = [\"employees\"]",
            "log = [\"employees\"]\nmatch = \"exact\"",
        );
        let c = Config::parse(&exact, "leadscore.toml").unwrap();
        assert!(c.features.iter().all(|f| f.matching == Matching::Exact));
        assert_eq!(
            err(&exact.replace("\"exact\"", "\"loose\"")),
            "leadscore.toml:10: features.match must be \"normalized\" or \"exact\", got \"loose\""
        );
        assert_eq!(
            err(&with("[features.aliases.employees]\n\"ten\" = \"10\"")),
            "leadscore.toml:10: features.aliases.employees: \"employees\" is a numeric feature; aliases map the values of a categorical one"
        );
        assert_eq!(
            err(&with("[features.aliases.regoin]\nnorth = \"N\"")),
            "leadscore.toml:10: features.aliases names \"regoin\", which is not in features.categorical; did you mean \"region\"?"
        );
        assert_eq!(
            err(&with("[features.aliases.region]\nNorth = \"north\"\nnorth = \"N\"")),
            "leadscore.toml:12: features.aliases.region: \"north\" and \"North\" are the same value to features.match but map to different values"
        );
        assert_eq!(
            err(&with("[features.aliases.region]\nN = \"Nord\"\nNord = \"north\"")),
            "leadscore.toml:11: features.aliases.region: \"N\" maps to \"Nord\", which is itself an alias of \"north\"; map \"N\" to \"north\" directly"
        );
        assert_eq!(
            err(&with("[features.aliases.region]\nN = \" \"")),
            "leadscore.toml:11: features.aliases.region: \"N\" maps to an empty value"
        );
        // Exact matching: spellings that differ in case are different aliases.
        let c = Config::parse(
            &exact.replace("[[economics.return]]\nname = \"revenue\"", "[features.aliases.region]\nNorth = \"north\"\nNORTH = \"N\"\n[[economics.return]]\nname = \"revenue\""),
            "leadscore.toml",
        )
        .unwrap();
        assert_eq!(c.features[1].aliases.len(), 2);
    }

    const EXPORT: &str = r#"
[export]
personal = ["email", " phone ", "email"]

[export.profiles.pipedrive]
delimiter = ";"
decimal_comma = true
bom = true
thousands = "."
decimals = 0
date_format = "%d.%m.%Y"
fields = [
  { name = "Lead", from = "id" },
  { name = "Wert", from = "expected_net" },
  { name = "E-Mail", column = "email" },
  { name = "Quelle", value = "leadscore" },
  { name = "Notiz", template = "{expected_net} ({net_low} bis {net_high}); {reasons}", max_length = 255 },
  { name = "Prio", from = "tier", map = { A = "hoch", B = "mittel", C = "niedrig", D = "niedrig" } },
]

[[export.profiles.tabbed.fields]]
name = "id"
from = "id"
"#;

    /// The good config with `export` after it.
    fn with_export(export: &str) -> String {
        format!("{GOOD}{export}")
    }

    /// The line of `GOOD` + `EXPORT` on which `text` first appears.
    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn export_settings_hold_personal_columns_and_checked_profiles() {
        let c = Config::parse(&with_export(EXPORT), "leadscore.toml").unwrap();
        assert_eq!(c.export.personal, ["email", "phone"]);
        assert_eq!(
            c.export.profiles.keys().collect::<Vec<_>>(),
            ["pipedrive", "tabbed"]
        );
        let p = &c.export.profiles["pipedrive"];
        assert_eq!(p.delimiter(), b';');
        assert_eq!(
            *p.number(),
            NumberFormat {
                decimals: Some(0),
                decimal_comma: true,
                thousands: Some('.')
            }
        );
        assert_eq!(p.date().pattern(), "%d.%m.%Y");
        assert!(p.bom());
        assert!(
            !c.export.profiles["tabbed"].bom(),
            "no byte order mark unless asked"
        );
        assert_eq!(
            p.header(),
            ["Lead", "Wert", "E-Mail", "Quelle", "Notiz", "Prio"]
        );
        assert_eq!(p.fields()[4].max_length, Some(255));
        assert_eq!(p.fields()[5].map[0], ("A".to_string(), "hoch".to_string()));
        assert_eq!(p.columns(), ["email"]);
        assert_eq!(
            c.export.profile_names(),
            ["hubspot", "salesforce", "pipedrive", "tabbed"]
        );
        assert_eq!(c.export.profile("tabbed").unwrap().delimiter(), b',');
        assert_eq!(
            c.export.profile("hubspot").unwrap(),
            crate::profile::hubspot()
        );
        assert_eq!(
            c.export.profile("pipdrive").unwrap_err().to_string(),
            "no profile \"pipdrive\" (did you mean \"pipedrive\"?); the profiles are hubspot, salesforce (built in) and pipedrive, tabbed (in leadscore.toml)"
        );
        // The section is optional, and a config without it has no profiles of its own.
        let plain = Config::parse(GOOD, "leadscore.toml").unwrap();
        assert_eq!(plain.export, ExportSettings::default());
        assert_eq!(
            plain.export.profile("nope").unwrap_err().to_string(),
            "no profile \"nope\"; the profiles are hubspot, salesforce (built in); define your own under [export.profiles.NAME] in leadscore.toml"
        );
    }

    #[test]
    fn export_mistakes_name_their_line_and_what_was_meant() {
        let text = with_export(EXPORT);
        let bad = |from: &str, to: &str| {
            assert!(text.contains(from), "{from}");
            let changed = text.replace(from, to);
            (err(&changed), changed)
        };
        let (e, t) = bad("from = \"expected_net\"", "form = \"expected_net\"");
        let line = line_of(&t, "form = ");
        assert!(
            e.starts_with(&format!("leadscore.toml: TOML parse error at line {line}")),
            "{e}"
        );
        assert!(e.contains("unknown field `form`, expected one of `name`, `from`, `column`, `value`, `template`, `map`, `max_length`; did you mean `from`?"), "{e}");

        let (e, t) = bad("bom = true", "bom = \"yes\"");
        assert!(
            e.starts_with(&format!(
                "leadscore.toml: TOML parse error at line {}",
                line_of(&t, "bom = ")
            )),
            "{e}"
        );
        assert!(e.contains("expected a boolean"), "{e}");

        let (e, t) = bad("from = \"expected_net\"", "from = \"expectd_net\"");
        assert_eq!(e, format!("leadscore.toml:{}: export.profiles.pipedrive: field \"Wert\": from = \"expectd_net\" is not one of ours (id, expected_return, expected_burden, expected_net, net_low, net_high, return_to_burden, tier, recommendation, reasons, warnings, scored_on); did you mean \"expected_net\"?", line_of(&t, "expectd_net")));

        let (e, t) = bad("from = \"expected_net\"", "column = \"x\", value = \"y\"");
        assert_eq!(e, format!("leadscore.toml:{}: export.profiles.pipedrive: field \"Wert\" has both column and value; a field takes its value from one", line_of(&t, "value = \"y\"")));

        let (e, t) = bad("{net_low} bis", "{net_lo} bis");
        assert!(
            e.starts_with(&format!(
                "leadscore.toml:{}: export.profiles.pipedrive: field \"Notiz\": template",
                line_of(&t, "net_lo}")
            )),
            "{e}"
        );
        assert!(e.ends_with("did you mean {net_low}?"), "{e}");

        let (e, t) = bad("thousands = \".\"", "thousands = \",\"");
        assert_eq!(e, format!("leadscore.toml:{}: export.profiles.pipedrive: thousands \",\" is also the decimal mark (decimal_comma = true): 1,234 would read as a fraction", line_of(&t, "thousands")));

        let (e, t) = bad("delimiter = \";\"", "delimiter = \"semicolon\"");
        assert_eq!(e, format!("leadscore.toml:{}: export.profiles.pipedrive.delimiter must be \",\", \";\", \"|\", \":\" or \"tab\", got \"semicolon\"", line_of(&t, "semicolon")));

        let (e, t) = bad("D = \"niedrig\" }", "E = \"niedrig\" }");
        assert_eq!(e, format!("leadscore.toml:{}: export.profiles.pipedrive: field \"Prio\": map has \"E\", which tier never is (A, B, C, D)", line_of(&t, "E = ")));

        let (e, t) = bad("%d.%m.%Y", "%d.%B.%Y");
        assert!(
            e.starts_with(&format!(
                "leadscore.toml:{}: export.profiles.pipedrive: date_format \"%d.%B.%Y\" has %B",
                line_of(&t, "%B")
            )),
            "{e}"
        );

        let (e, t) = bad("max_length = 255", "max_length = 1");
        assert!(e.starts_with(&format!("leadscore.toml:{}: export.profiles.pipedrive: field \"Notiz\": max_length must be at least 2", line_of(&t, "max_length = 1"))), "{e}");

        let (e, t) = bad(
            "{ name = \"Quelle\", value = \"leadscore\" }",
            "{ name = \"Quelle\" }",
        );
        assert_eq!(e, format!("leadscore.toml:{}: export.profiles.pipedrive: field \"Quelle\" needs one of from (one of ours), column (an input column), value (a fixed text) or template", line_of(&t, "\"Quelle\" }")));

        let (e, t) = bad(
            "[export.profiles.tabbed.fields]",
            "[export.profiles.salesforce.fields]",
        );
        assert_eq!(e, format!("leadscore.toml:{}: export.profiles.salesforce: \"salesforce\" is a built-in profile; give yours another name (such as \"salesforce_custom\"), so that --profile salesforce writes the same file everywhere", line_of(&t, "salesforce.fields")));

        let (e, t) = bad("\" phone \"", "\" \"");
        assert_eq!(
            e,
            format!(
                "leadscore.toml:{}: export.personal lists an empty column name",
                line_of(&t, "personal")
            )
        );
    }

    #[test]
    fn rare_category_threshold_follows_the_history_size_unless_set() {
        let m = ModelSettings::default();
        assert_eq!(m.min_category_count_for(80), 5);
        assert_eq!(m.min_category_count_for(1_000), 10);
        assert_eq!(m.min_category_count_for(3_000), 20);
        let set = ModelSettings {
            min_category_count: Some(3),
            ..m
        };
        assert_eq!(set.min_category_count_for(3_000), 3);
    }

    #[test]
    fn auto_penalty_and_default_winsorising() {
        let c = Config::parse(
            &GOOD.replace("penalty = 0\nwinsorize = false\n", "penalty = \"auto\"\n"),
            "x",
        )
        .unwrap();
        assert_eq!(c.model.penalty, Penalty::Auto);
        assert_eq!(c.model.winsorize, Some((0.01, 0.99)));
    }
}
