//! The model file: its types, reading it (every format version leadscore ever wrote) and
//! writing it, sealed with a checksum of its content (`model::checksum`). Everything needed to
//! score leads and to say how the model was made.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::economics::{Decisions, Economics};
use crate::error::{Error, Result};
use crate::model::checksum;
use crate::model::schema::{Feature, Schema, MISSING_LEVEL, OTHER_LEVEL};

pub const FORMAT: &str = "leadscore-model";
/// The version `train` writes.
pub const FORMAT_VERSION: u32 = 5;
/// The first version leadscore ever wrote; every version from here to `FORMAT_VERSION` loads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;
/// The file `train` writes into a models directory, and `score` looks for there.
pub const MODEL_FILE: &str = "model.json";

/// One step of the upgrade path: a file of version `v`, as JSON, rewritten as version `v + 1`,
/// or what in it cannot be upgraded.
type Migration = fn(Value) -> std::result::Result<Value, String>;

/// `MIGRATIONS[i]` upgrades version `OLDEST_FORMAT_VERSION + i` to the next one, so a file of
/// any version ever written runs the rest of the chain to `FORMAT_VERSION` (the length is
/// checked against the version numbers at compile time).
const MIGRATIONS: [Migration; (FORMAT_VERSION - OLDEST_FORMAT_VERSION) as usize] =
    [v1_to_v2, v2_to_v3, v3_to_v4, v4_to_v5];

/// Version 2 added what a version-1 file meant without saying: each categorical feature's
/// `matching` (version 1 compared values exactly as written) and the `missing_values` read as
/// blanks (the common CRM tokens, which version 1 refused as numbers and never saw as levels).
/// Everything else version 2 added is optional and absent from a version-1 file: the training
/// `config`, aliases, a numeric feature's `code` mark, a target's log `link` and its scale-choice
/// record.
fn v1_to_v2(mut value: Value) -> std::result::Result<Value, String> {
    if let Some(features) = value
        .pointer_mut("/schema/features")
        .and_then(Value::as_array_mut)
    {
        for feature in features {
            if let Some(f) = feature.as_object_mut() {
                if f.get("kind").and_then(Value::as_str) == Some("categorical") {
                    f.entry("matching").or_insert_with(|| Value::from("exact"));
                }
            }
        }
    }
    let top = value
        .as_object_mut()
        .ok_or("the file is not a JSON object")?;
    top.entry("missing_values")
        .or_insert_with(|| Value::from(crate::io::table::default_missing_values()));
    Ok(value)
}

/// Version 3 carries a checksum of the file's content on its second line (`model::checksum`);
/// the model it describes is unchanged. Files of versions 1 and 2 were written before checksums
/// existed and load without one.
fn v2_to_v3(value: Value) -> std::result::Result<Value, String> {
    Ok(value)
}

/// Version 4 keeps `model.outcome_cap`, the rule that caps outcomes far outside the rest for the
/// fit (`fit::outliers`). Earlier versions had no such rule: their models learnt from every
/// outcome as read, which `null` (off) says, so a retrain from one keeps doing so.
fn v3_to_v4(mut value: Value) -> std::result::Result<Value, String> {
    if let Some(m) = value
        .pointer_mut("/config/model")
        .and_then(Value::as_object_mut)
    {
        m.entry("outcome_cap").or_insert(Value::Null);
    }
    Ok(value)
}

/// Version 5 may carry `components`: each economics term predicted on its own. Earlier models
/// have none, which is what a missing field says; they score as before, and `--components`
/// asks for a retrain.
fn v4_to_v5(value: Value) -> std::result::Result<Value, String> {
    Ok(value)
}

/// Upgrades a model file of version `from` (already known to be readable) to `FORMAT_VERSION`.
fn migrate(mut value: Value, from: u32) -> std::result::Result<Value, String> {
    for step in &MIGRATIONS[(from - OLDEST_FORMAT_VERSION) as usize..] {
        value = step(value)?;
    }
    if let Some(v) = value.get_mut("format_version") {
        *v = Value::from(FORMAT_VERSION);
    }
    Ok(value)
}

/// The versions this build reads, for the message refusing another one.
fn readable_versions() -> String {
    if OLDEST_FORMAT_VERSION == FORMAT_VERSION {
        format!("version {FORMAT_VERSION}")
    } else {
        format!("versions {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}")
    }
}

/// Where the training data came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingData {
    pub file: String,
    pub rows: usize,
    pub rows_used: usize,
    pub sha256: String,
    /// The mean lifetime return and service burden of the customers used: what a model that
    /// knows nothing would predict, the baseline every evaluation compares with.
    pub mean_return: f64,
    pub mean_burden: f64,
}

/// One model column with its mean over the history and both coefficients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelColumn {
    pub name: String,
    pub mean: f64,
    pub return_coefficient: f64,
    pub burden_coefficient: f64,
    /// Implied by earlier columns, so left out of the fit (both coefficients 0).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redundant: bool,
}

/// Everything needed to score leads and to say how the model was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub format: String,
    pub format_version: u32,
    pub tool_version: String,
    pub created_at: String,
    pub currency: String,
    pub id_column: String,
    pub lead_id_column: String,
    pub training: TrainingData,
    pub schema: Schema,
    pub columns: Vec<ModelColumn>,
    pub lifetime_return: TargetFit,
    pub service_burden: TargetFit,
    pub economics: Economics,
    pub decisions: Decisions,
    /// Texts training read as blanks (`n/a`, `NULL`, ...), which scoring reads as blanks too
    /// unless the model knows one as a category level. A model written before the list was
    /// stored reads the default list.
    #[serde(default = "crate::io::table::default_missing_values")]
    pub missing_values: Vec<String>,
    /// The net-value prediction interval; absent when the history was too small to learn one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<crate::stats::Interval>,
    pub validation: Validation,
    /// The config the model was trained with (with `economics` above, enough to rebuild it);
    /// absent in models written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<crate::model::stored_config::StoredConfig>,
    /// Each economics term predicted on its own, per side in the order of `economics`; absent
    /// in models written before format 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Components>,
}

/// The parts of lifetime return and service burden, each an economics term's money predicted
/// from the same model columns with the same penalty as its side. On a linear scale the parts'
/// equations add up to their side's by construction (ridge is linear in the outcome); scoring
/// spreads what remains (floors, a log scale) over them so they add up exactly (see
/// `model::equation::Components`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Components {
    pub lifetime_return: Vec<ComponentFit>,
    pub service_burden: Vec<ComponentFit>,
}

/// One economics term's own fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentFit {
    /// The term's name in `economics`.
    pub term: String,
    pub intercept: f64,
    /// One per model column.
    pub coefficients: Vec<f64>,
    /// The term's average over the history the fit saw (after outcome caps), in money.
    pub mean: f64,
    /// The sign the term had on every customer of the history; a prediction is held to it.
    pub sign: ComponentSign,
    /// Cross-validated figures of the term's own fit, in money, sign held.
    pub validation: Metrics,
}

/// Which side of zero a component's values stayed on in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentSign {
    /// Never below zero (revenue, hours, counts at a positive rate).
    NonNegative,
    /// Never above zero (a cost subtracted from the return).
    NonPositive,
    /// Both.
    Any,
}

impl ComponentSign {
    /// `value` held to this side of zero.
    pub fn hold(self, value: f64) -> f64 {
        match self {
            ComponentSign::NonNegative => value.max(0.0),
            ComponentSign::NonPositive => value.min(0.0),
            ComponentSign::Any => value,
        }
    }

    /// The sign every one of a set of values has, from whether any is below zero (`below`)
    /// and whether any is above (`above`).
    pub fn from_signs(below: bool, above: bool) -> ComponentSign {
        match (below, above) {
            (true, true) => ComponentSign::Any,
            (true, false) => ComponentSign::NonPositive,
            _ => ComponentSign::NonNegative,
        }
    }
}

impl Model {
    /// Loads the model file `file`. A `--model` path (a registry, a version, a directory or a
    /// file) is found with `registry::load`, which calls this.
    pub fn load(file: &Path) -> Result<Model> {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::file(&shown, "no such model file"),
            std::io::ErrorKind::InvalidData => {
                Error::file(&shown, "not a leadscore model file (not UTF-8 text)")
            }
            _ => Error::read(&shown, e),
        })?;
        Model::parse(&text, &shown)
    }

    /// Reads a model file's text, refusing it with the first of these that applies: not JSON (or
    /// cut short), not a leadscore model, no or an unreadable format version, a version this
    /// build does not read, a checksum that cannot vouch for the content, and then a model that
    /// does not deserialise or fails `check`. The checksum comes after the version because a
    /// newer version may seal its files otherwise, so only "newer version" is true of it; and
    /// before the rest of the content is read, so that nothing a changed file says is believed.
    pub fn parse(text: &str, shown: &str) -> Result<Model> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| {
            if e.is_eof() {
                // It began like JSON and stopped: a copy cut short, not another kind of file.
                Error::file(shown, format!("corrupt model file: {e}"))
            } else {
                Error::file(shown, format!("not a leadscore model file ({e})"))
            }
        })?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(Error::file(
                shown,
                "not a leadscore model file (no \"format\": \"leadscore-model\")",
            ));
        }
        let version = match value.get("format_version") {
            None | Some(Value::Null) => {
                return Err(Error::file(shown, "model file has no format_version"))
            }
            Some(v) => v.as_u64().ok_or_else(|| {
                Error::file(
                    shown,
                    format!("corrupt model file: format_version {v} is not a whole number"),
                )
            })?,
        };
        if !(u64::from(OLDEST_FORMAT_VERSION)..=u64::from(FORMAT_VERSION)).contains(&version) {
            return Err(Error::file(
                shown,
                format!(
                    "model format version {version} is not supported by leadscore {} (it reads {}); retrain with `leadscore train`",
                    env!("CARGO_PKG_VERSION"),
                    readable_versions(),
                ),
            ));
        }
        // A file with a checksum is verified whatever its version says (a version changed from
        // 3 to 2 is a change like any other); from version 3 on, a file must have one.
        let has_checksum = value
            .as_object()
            .is_some_and(|m| m.contains_key("checksum"));
        let body = match checksum::verify(text) {
            Ok(Some(body)) => Ok(Some(body)),
            Ok(None) if has_checksum => Err(checksum::Problem::Moved),
            Ok(None) if version >= u64::from(checksum::FIRST_VERSION) => {
                Err(checksum::Problem::Missing)
            }
            Ok(None) => Ok(None),
            Err(problem) => Err(problem),
        }
        .map_err(|problem| Error::file(shown, problem.to_string()))?;
        let corrupt =
            |problem: String| Error::file(shown, format!("corrupt model file: {problem}"));
        let model: Model = if version == u64::from(FORMAT_VERSION) {
            // Nothing to migrate: read the text itself, so errors say where in the file they are
            // (the checksum line is emptied, not removed, so the line numbers are the file's).
            serde_json::from_str(body.as_deref().unwrap_or(text))
        } else {
            if let Some(m) = value.as_object_mut() {
                m.remove("checksum");
            }
            let value = migrate(value, version as u32).map_err(corrupt)?;
            serde_json::from_value(value)
        }
        .map_err(|e| corrupt(e.to_string()))?;
        model.check().map_err(corrupt)?;
        Ok(model)
    }

    /// Internal consistency a hand edit or a truncated copy could break: everything scoring,
    /// drift and the reports index into or divide by, so that no model file that loads can make
    /// them fail. Each problem is named precisely enough to find it in the file.
    fn check(&self) -> std::result::Result<(), String> {
        let p = self.schema.columns.len();
        for (len, what) in [
            (self.columns.len(), "coefficients"),
            (
                self.lifetime_return.coefficients.len(),
                "lifetime_return coefficients",
            ),
            (
                self.service_burden.coefficients.len(),
                "service_burden coefficients",
            ),
        ] {
            if len != p {
                return Err(format!("{p} schema columns but {len} {what}"));
            }
        }
        for (c, name) in self.columns.iter().zip(&self.schema.columns) {
            if &c.name != name {
                return Err(format!(
                    "column \"{}\" does not match the schema's \"{name}\"",
                    c.name
                ));
            }
        }
        let numbers = self
            .columns
            .iter()
            .flat_map(|c| [c.mean, c.return_coefficient, c.burden_coefficient])
            .chain([
                self.lifetime_return.intercept,
                self.service_burden.intercept,
            ])
            .chain(self.lifetime_return.coefficients.iter().copied())
            .chain(self.service_burden.coefficients.iter().copied());
        for v in numbers {
            if !v.is_finite() {
                return Err("a coefficient is not a finite number".into());
            }
        }
        for (fit, name) in [
            (&self.lifetime_return, "lifetime_return"),
            (&self.service_burden, "service_burden"),
        ] {
            if !(fit.penalty.is_finite() && fit.penalty >= 0.0) {
                return Err(format!(
                    "{name}: penalty {} is not a finite number of at least 0",
                    fit.penalty
                ));
            }
            if let Some(c) = fit.log_correction {
                if !(c.is_finite() && c > 0.0) {
                    return Err(format!(
                        "{name}: log_correction {c} is not a finite number above 0"
                    ));
                }
                if fit.link.is_some() {
                    return Err(format!(
                        "{name}: both link and log_correction are set, but a fit has one scale"
                    ));
                }
            }
        }
        for (v, what) in [
            (self.training.mean_return, "mean_return"),
            (self.training.mean_burden, "mean_burden"),
        ] {
            finite(v, &format!("training: {what}"))?;
        }
        self.check_features()?;
        self.check_economics()?;
        self.check_components()?;
        if let Some(i) = &self.interval {
            check_interval(i)?;
        }
        if let Some(c) = &self.config {
            c.check(&self.schema)?;
        }
        Ok(())
    }

    /// Components, when present: one per economics term, in its order and by its name, each
    /// with one finite coefficient per model column.
    fn check_components(&self) -> std::result::Result<(), String> {
        let Some(c) = &self.components else {
            return Ok(());
        };
        let p = self.schema.columns.len();
        for (side, fits, terms) in [
            (
                "lifetime_return",
                &c.lifetime_return,
                &self.economics.lifetime_return,
            ),
            (
                "service_burden",
                &c.service_burden,
                &self.economics.service_burden,
            ),
        ] {
            if fits.len() != terms.len() {
                return Err(format!(
                    "components: {side} has {} parts but the economics have {} terms",
                    fits.len(),
                    terms.len()
                ));
            }
            for (fit, term) in fits.iter().zip(terms) {
                let at =
                    |problem: String| format!("components: {side} \"{}\": {problem}", fit.term);
                if fit.term != term.name {
                    return Err(at(format!("the economics term here is \"{}\"", term.name)));
                }
                if fit.coefficients.len() != p {
                    return Err(at(format!(
                        "{} coefficients for {p} schema columns",
                        fit.coefficients.len()
                    )));
                }
                let numbers = [fit.intercept, fit.mean]
                    .into_iter()
                    .chain(fit.coefficients.iter().copied());
                if numbers.into_iter().any(|v| !v.is_finite()) {
                    return Err(at("a coefficient is not a finite number".into()));
                }
            }
        }
        Ok(())
    }

    /// Every feature: names unique, columns in range and each owned by one level or number,
    /// categorical levels and their reference, pooling, and the numeric ranges and
    /// distributions scoring and drift read.
    fn check_features(&self) -> std::result::Result<(), String> {
        let p = self.schema.columns.len();
        // Which feature (and level) owns each model column.
        let mut owner: Vec<Option<String>> = vec![None; p];
        let mut claim = |column: usize, who: String| -> std::result::Result<(), String> {
            match owner.get_mut(column) {
                None => Err(format!(
                    "{who} points past the last column (column {column}, but there are {p})"
                )),
                Some(Some(other)) => Err(format!("{who} and {other} share column {column}")),
                Some(slot) => {
                    *slot = Some(who);
                    Ok(())
                }
            }
        };
        let mut names = std::collections::HashSet::new();
        for f in &self.schema.features {
            let name = f.name();
            if !names.insert(name) {
                return Err(format!("two features are named \"{name}\""));
            }
            let at = |problem: String| format!("feature \"{name}\": {problem}");
            match f {
                Feature::Categorical(c) => {
                    if !c.levels.iter().any(|l| l.value == c.reference) {
                        return Err(at(format!(
                            "reference level \"{}\" is not one of its levels",
                            c.reference
                        )));
                    }
                    let mut values = std::collections::HashSet::new();
                    for l in &c.levels {
                        if !values.insert(l.value.as_str()) {
                            return Err(at(format!("level \"{}\" is listed twice", l.value)));
                        }
                        match (l.column, l.value == c.reference) {
                            (Some(j), true) => {
                                return Err(at(format!(
                                    "reference level \"{}\" has column {j} (the reference has none: it is the baseline)",
                                    l.value
                                )))
                            }
                            (None, false) => {
                                return Err(at(format!(
                                    "level \"{}\" has no column (only the reference level \"{}\" has none)",
                                    l.value, c.reference
                                )))
                            }
                            (Some(j), false) => {
                                claim(j, format!("feature \"{name}\" level \"{}\"", l.value))?
                            }
                            (None, true) => {}
                        }
                    }
                    let other = values.contains(OTHER_LEVEL);
                    if !other && c.pooled.iter().any(|v| v == MISSING_LEVEL) {
                        return Err(at(format!(
                            "\"{MISSING_LEVEL}\" is pooled but there is no \"{OTHER_LEVEL}\" level to score blanks as"
                        )));
                    }
                    if !other && !c.pooled.is_empty() {
                        return Err(at(format!(
                            "values are pooled but there is no \"{OTHER_LEVEL}\" level"
                        )));
                    }
                    share(c.missing_share, &at("missing_share".into()))?;
                    check_matching(c).map_err(at)?;
                }
                Feature::Numeric(n) => {
                    claim(n.column, format!("feature \"{name}\""))?;
                    for (v, what) in [(n.median, "median"), (n.min, "min"), (n.max, "max")] {
                        finite(v, &at(what.into()))?;
                    }
                    if n.min > n.max {
                        return Err(at(format!("min {} is above max {}", n.min, n.max)));
                    }
                    if let Some((lo, hi)) = n.clamp {
                        finite(lo, &at("clamp low".into()))?;
                        finite(hi, &at("clamp high".into()))?;
                        if lo > hi {
                            return Err(at(format!("clamp low {lo} is above clamp high {hi}")));
                        }
                    }
                    if n.log {
                        let (lowest, what) = match n.clamp {
                            Some((lo, _)) => (lo, "clamp low"),
                            None => (n.min, "min"),
                        };
                        for (v, what) in [(lowest, what), (n.median, "median")] {
                            if v <= -1.0 {
                                return Err(at(format!(
                                    "{what} {v} is not above -1, so ln(1 + x) is undefined there"
                                )));
                            }
                        }
                    }
                    for e in &n.edges {
                        finite(*e, &at("an edge".into()))?;
                    }
                    if let Some(w) = n.edges.windows(2).find(|w| w[0] > w[1]) {
                        return Err(at(format!(
                            "edges are not in order ({} before {})",
                            w[0], w[1]
                        )));
                    }
                    if n.shares.len() != n.edges.len() + 1 {
                        return Err(at(format!(
                            "{} edges need {} shares, not {}",
                            n.edges.len(),
                            n.edges.len() + 1,
                            n.shares.len()
                        )));
                    }
                    for s in &n.shares {
                        share(*s, &at("a share".into()))?;
                    }
                    share(n.missing_share, &at("missing_share".into()))?;
                }
            }
        }
        Ok(())
    }

    /// The money side: a currency to print, finite rates, thresholds in order.
    fn check_economics(&self) -> std::result::Result<(), String> {
        if self.economics.currency.trim().is_empty() {
            return Err("economics: currency is empty".into());
        }
        for t in self
            .economics
            .lifetime_return
            .iter()
            .chain(&self.economics.service_burden)
        {
            finite(t.rate, &format!("economics: term \"{}\" rate", t.name))?;
        }
        let d = &self.decisions;
        for (v, what) in [
            (d.contact_at, "contact_at"),
            (d.skip_below, "skip_below"),
            (d.tier_a, "tier_a"),
            (d.tier_b, "tier_b"),
            (d.tier_c, "tier_c"),
        ] {
            finite(v, &format!("decisions: {what}"))?;
        }
        for (hi, lo) in [
            ((d.tier_a, "tier_a"), (d.tier_b, "tier_b")),
            ((d.tier_b, "tier_b"), (d.tier_c, "tier_c")),
            ((d.contact_at, "contact_at"), (d.skip_below, "skip_below")),
        ] {
            if hi.0 < lo.0 {
                return Err(format!(
                    "decisions: {} {} is below {} {}",
                    hi.1, hi.0, lo.1, lo.0
                ));
            }
        }
        Ok(())
    }

    /// Writes the model as pretty JSON sealed with its checksum, atomically, holding a lock on
    /// the models directory so two trainings never interleave.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::write(dir.display(), e))?;
        let lock_path = dir.join(".lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::write(lock_path.display(), e))?;
        lock.lock()
            .map_err(|e| Error::write(lock_path.display(), e))?;
        self.save_unlocked(path)
    }

    /// Writes the model atomically, for a caller that holds the registry's lock.
    pub fn save_unlocked(&self, path: &Path) -> Result<()> {
        let mut content = serde_json::to_string_pretty(self).expect("model serialises");
        content.push('\n');
        let text = checksum::seal(&content);
        // A model that would not load again (a NaN written as null, say) must never replace a
        // good one.
        if let Err(e) = Model::parse(&text, &path.display().to_string()) {
            return Err(Error::Io {
                action: "refusing to write",
                path: path.display().to_string(),
                err: std::io::Error::other(e.to_string()),
            });
        }
        crate::io::output::write_atomic(path, text.as_bytes())
    }

    /// The id column of a lead list: the one a flag named (`("--id", column)`), else the lead id column the model was
    /// trained with, else its customer id column.
    pub fn lead_id_column(
        &self,
        input: &crate::io::table::CsvInput,
        flag: Option<(&str, &str)>,
    ) -> Result<usize> {
        match flag {
            Some((flag, name)) => input.column(name, &format!("given with {flag}")),
            None => input
                .column(
                    &self.lead_id_column,
                    "the lead id; pass --id COLUMN to use another",
                )
                .or_else(|e| input.column(&self.id_column, "").map_err(|_| e)),
        }
    }

    /// Where this model's features are in a lead list (or a holdout), or which one is missing.
    /// `file` is what the input is to the user (`LEAD_LIST`, `HOLDOUT`): where to add a column
    /// that is missing.
    pub fn locate_features(
        &self,
        input: &crate::io::table::CsvInput,
        file: &str,
    ) -> Result<crate::model::columns::FeatureColumns> {
        let specs = self.feature_specs();
        crate::model::columns::FeatureColumns::locate(input, &specs, "a feature the model uses")
            .map_err(|e| match e {
                // A column the leads lack: say the two ways out.
                Error::File { path, problem } => {
                    let missing: Vec<&str> = specs
                        .iter()
                        .map(|s| s.name.as_str())
                        .filter(|name| !input.headers().iter().any(|h| h == name))
                        .collect();
                    let problem = match missing.len() {
                        0 => problem,
                        1 => format!(
                            "{problem}; add the column to {file}, or remove {} from [features] and retrain",
                            missing[0]
                        ),
                        _ => format!(
                            "{problem}; add the columns to {file}, or remove {} from [features] and retrain",
                            missing.join(", ")
                        ),
                    };
                    Error::File { path, problem }
                }
                other => other,
            })
            .map(|cols| cols.with_missing_values(&self.missing_values))
    }

    /// What `locate_features` calls a lead list in its advice.
    pub const LEAD_LIST: &'static str = "the lead list";
    /// What `locate_features` calls a holdout (`evaluate --holdout`, retrain's gate) in its
    /// advice: customers with their outcomes, so it has a history's columns, not a lead list's.
    pub const HOLDOUT: &'static str =
        "the holdout file (past customers, with the history's columns)";

    /// The features as the config described them, to find them in a lead list.
    pub fn feature_specs(&self) -> Vec<crate::config::FeatureSpec> {
        use crate::config::{FeatureKind, FeatureSpec};
        self.schema
            .features
            .iter()
            .map(|f| FeatureSpec {
                name: f.name().to_string(),
                kind: match f {
                    Feature::Categorical(_) => FeatureKind::Categorical,
                    Feature::Numeric(n) => FeatureKind::Numeric { log: n.log },
                },
                matching: match f {
                    Feature::Categorical(c) => c.matching,
                    Feature::Numeric(_) => Default::default(),
                },
                aliases: match f {
                    Feature::Categorical(c) => c.aliases.clone().into_iter().collect(),
                    Feature::Numeric(_) => Vec::new(),
                },
            })
            .collect()
    }
}

/// A categorical feature's matching: no two known values the same to it (which one a lead
/// matched would be arbitrary), and every alias standing for a known value.
fn check_matching(c: &crate::model::schema::Categorical) -> std::result::Result<(), String> {
    let known: Vec<&String> = c.levels.iter().map(|l| &l.value).chain(&c.pooled).collect();
    let mut keys = std::collections::HashMap::new();
    for v in &known {
        if let Some(first) = keys.insert(c.matching.key_of(v), *v) {
            if first != *v {
                return Err(format!(
                    "\"{first}\" and \"{v}\" are the same value when matching ignores case and spaces"
                ));
            }
        }
    }
    for (alias, target) in &c.aliases {
        if alias.trim().is_empty() {
            return Err(format!("an alias of \"{target}\" is empty"));
        }
        if !known.contains(&target) {
            return Err(format!(
                "alias \"{alias}\" stands for \"{target}\", which is neither a level nor a pooled value"
            ));
        }
    }
    Ok(())
}

/// `what` must be a finite number.
fn finite(v: f64, what: &str) -> std::result::Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("{what} is not a finite number"))
    }
}

/// `what` must be a share: a number from 0 to 1.
fn share(v: f64, what: &str) -> std::result::Result<(), String> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("{what} {v} is not between 0 and 1"))
    }
}

/// The prediction interval: a level strictly between 0 and 1, a scale that cannot go negative,
/// and quantiles in order.
fn check_interval(i: &crate::stats::Interval) -> std::result::Result<(), String> {
    for (v, what) in [
        (i.level, "level"),
        (i.scale_base, "scale_base"),
        (i.scale_slope, "scale_slope"),
        (i.lower, "lower"),
        (i.upper, "upper"),
    ] {
        finite(v, &format!("interval: {what}"))?;
    }
    if !(i.level > 0.0 && i.level < 1.0) {
        return Err(format!(
            "interval: level {} is not between 0 and 1",
            i.level
        ));
    }
    if i.scale_base < 0.0 || i.scale_slope < 0.0 {
        return Err(format!(
            "interval: scale_base {} and scale_slope {} must not be negative",
            i.scale_base, i.scale_slope
        ));
    }
    if i.lower > i.upper {
        return Err(format!(
            "interval: lower {} is above upper {}",
            i.lower, i.upper
        ));
    }
    Ok(())
}

/// One target's linear model on the schema's columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFit {
    pub penalty: f64,
    pub intercept: f64,
    pub coefficients: Vec<f64>,
    /// Set when the target is fitted on ln(1 + y): money = exp(prediction) × this − 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_correction: Option<f64>,
    /// Set when the target is fitted on the money itself through a link: `log` is a log-link
    /// model (Poisson quasi-likelihood), money = exp(prediction), with no correction. Absent in
    /// files written before it existed, which score as they always did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
}

/// The link of a model fitted on the money itself rather than on a transform of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Link {
    /// money = exp(prediction): effects multiply, and no prediction is ever below zero.
    Log,
}

/// Cross-validated figures for one target, beside a mean-only baseline. R² is pooled over all
/// held-out rows (so a model that predicts the average scores about 0), with its spread across
/// folds; MAE and RMSE are over all held-out rows. Predictions are as users see them, floors at
/// zero included; `unfloored_r2` is the R² of the fitted equation alone, before floors, for
/// comparison with other tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    pub r2: Option<f64>,
    pub r2_sd: Option<f64>,
    pub mae: f64,
    pub rmse: f64,
    pub baseline_r2: Option<f64>,
    pub baseline_mae: f64,
    pub baseline_rmse: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfloored_r2: Option<f64>,
}

impl Metrics {
    /// The figures of predictions whose errors are in `model`, beside a mean-only baseline's in
    /// `mean` (no spread across folds, no unfloored R²: callers that have them set them).
    pub fn of(model: &crate::stats::ErrorSums, mean: &crate::stats::ErrorSums) -> Metrics {
        Metrics {
            r2: model.r2(),
            r2_sd: None,
            mae: model.mae(),
            rmse: model.rmse(),
            baseline_r2: mean.r2(),
            baseline_mae: mean.mae(),
            baseline_rmse: mean.rmse(),
            unfloored_r2: None,
        }
    }
}

/// Everything cross-validation measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    pub folds: usize,
    pub seed: u64,
    pub lifetime_return: Metrics,
    pub service_burden: Metrics,
    pub net_value: Metrics,
    /// Cross-validated RMSE in money of each penalty tried, per target (linear fits).
    pub penalty_search: Vec<PenaltyTrial>,
    /// Linear, log or log link, per target, by cross-validated RMSE in money.
    #[serde(default)]
    pub scale_choice: Vec<ScaleChoice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyTrial {
    pub penalty: f64,
    pub return_rmse: f64,
    pub burden_rmse: f64,
}

/// Linear, ln(1 + y) or log link, for one target, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleChoice {
    pub target: String,
    /// Cross-validated RMSE in money of the linear and the log fit, when they were compared.
    pub linear_rmse: Option<f64>,
    pub log_rmse: Option<f64>,
    /// The penalty each scale chose (on its own scale), the log one when it was tried.
    pub linear_penalty: f64,
    pub log_penalty: Option<f64>,
    /// True when the target is fitted on ln(1 + y).
    pub log: bool,
    /// True when `model.transform` decided, not the comparison.
    pub forced: bool,
    /// True when the target can be negative, so it cannot be fitted on logs.
    pub can_be_negative: bool,
    /// Cross-validated RMSE in money of the log-link fit on the money itself (Poisson), when it
    /// was tried (absent in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glm_rmse: Option<f64>,
    /// True when the target is fitted with a log link on the money itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub glm: bool,
    /// The iterations (weighted least-squares solves) the final log-link fit took, when tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glm_iterations: Option<usize>,
}

impl ScaleChoice {
    pub fn new(target: &str) -> ScaleChoice {
        ScaleChoice {
            target: target.into(),
            linear_rmse: None,
            log_rmse: None,
            linear_penalty: 0.0,
            log_penalty: None,
            log: false,
            forced: false,
            can_be_negative: false,
            glm_rmse: None,
            glm: false,
            glm_iterations: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../models/model.json");
    /// The shipped model as version 1 wrote it, before version 2 existed.
    const V1: &str = include_str!("../../tests/corpus/models/v1-shipped.json");
    /// The shipped model as version 2 wrote it, before checksums existed.
    const V2: &str = include_str!("../../tests/corpus/models/v2-shipped.json");
    /// The shipped model as version 3 wrote it, before `model.outcome_cap` existed.
    const V3: &str = include_str!("../../tests/corpus/models/v3-shipped.json");

    fn shipped() -> Value {
        serde_json::from_str(SHIPPED).unwrap()
    }

    /// `v` as `train` would write it: pretty JSON sealed with a fresh checksum.
    fn sealed(v: &Value) -> String {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("checksum");
        checksum::seal(&(serde_json::to_string_pretty(&v).unwrap() + "\n"))
    }

    /// `a` and `b` serialise to the same JSON but for numbers, which agree to 1e-9 of their size.
    /// Files older versions wrote hold the coefficients training computed then; since, training
    /// adds its sums over the non-zero columns only, which moved the shipped model's
    /// coefficients by at most 2e-13 of themselves, and an old file cannot follow.
    fn assert_same_model<T: serde::Serialize>(a: &T, b: &T) {
        fn close(a: &Value, b: &Value, at: &str) {
            match (a, b) {
                (Value::Number(x), Value::Number(y)) => {
                    let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                    assert!(
                        (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-300),
                        "{at}: {x} vs {y}"
                    );
                }
                (Value::Array(x), Value::Array(y)) => {
                    assert_eq!(x.len(), y.len(), "{at}");
                    for (i, (x, y)) in x.iter().zip(y).enumerate() {
                        close(x, y, &format!("{at}[{i}]"));
                    }
                }
                (Value::Object(x), Value::Object(y)) => {
                    assert_eq!(
                        x.keys().collect::<Vec<_>>(),
                        y.keys().collect::<Vec<_>>(),
                        "{at}"
                    );
                    for (k, x) in x {
                        close(x, &y[k], &format!("{at}.{k}"));
                    }
                }
                _ => assert_eq!(a, b, "{at}"),
            }
        }
        close(
            &serde_json::to_value(a).unwrap(),
            &serde_json::to_value(b).unwrap(),
            "model",
        );
    }

    fn parse_value(v: &Value) -> std::result::Result<Model, String> {
        Model::parse(&sealed(v), "m.json").map_err(|e| e.to_string())
    }

    fn unsupported(v: u64) -> String {
        format!(
            "m.json: model format version {v} is not supported by leadscore {} (it reads versions 1 to 5); retrain with `leadscore train`",
            env!("CARGO_PKG_VERSION")
        )
    }

    /// The message refusing a file whose checksum cannot vouch for it.
    fn changed(problem: &str) -> String {
        format!("m.json: {problem}: the file was changed after leadscore wrote it. Retrain it (`leadscore train`), or use another version from the registry (`leadscore models list`)")
    }

    #[test]
    fn every_version_ever_written_migrates_to_the_current_one() {
        assert_eq!(
            MIGRATIONS.len() as u32,
            FORMAT_VERSION - OLDEST_FORMAT_VERSION
        );
        for from in OLDEST_FORMAT_VERSION..=FORMAT_VERSION {
            let migrated = migrate(shipped(), from).unwrap();
            assert_eq!(migrated["format_version"], FORMAT_VERSION);
        }
        // The current version goes through no step of the chain.
        assert_eq!(migrate(shipped(), FORMAT_VERSION).unwrap(), shipped());
        // Version 1 gains what it meant without saying: exact matching and the common blanks.
        let v1: Value = serde_json::from_str(V1).unwrap();
        let v2 = v1_to_v2(v1.clone()).unwrap();
        assert_eq!(v2["schema"]["features"][0]["kind"], "categorical");
        assert_eq!(v2["schema"]["features"][0]["matching"], "exact");
        assert!(v2["schema"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "numeric" || f.get("matching").is_none()));
        assert_eq!(
            v2["missing_values"],
            Value::from(crate::io::table::default_missing_values())
        );
        assert_eq!(v2["columns"], v1["columns"]);
        // Version 3 changed the file (a checksum), not the model.
        assert_eq!(v2_to_v3(v2.clone()).unwrap(), v2);
        assert_eq!(migrate(v1, 1).unwrap()["format_version"], FORMAT_VERSION);
    }

    #[test]
    fn a_version_3_model_keeps_learning_from_every_outcome_as_read() {
        // Version 3 had no outcome cap: its stored config says so once migrated, so a retrain
        // from it trains as it was trained.
        let model = Model::parse(V3, "m.json").unwrap();
        assert_eq!(model.format_version, FORMAT_VERSION);
        let stored = model.config.as_ref().unwrap();
        assert_eq!(stored.model.outcome_cap, None);
        let current = Model::parse(SHIPPED, "m.json").unwrap();
        assert_eq!(
            current.config.as_ref().unwrap().model.outcome_cap,
            Some(10.0)
        );
        // No outcome of the sample history is far outside the rest: the same model.
        assert_same_model(&model.columns, &current.columns);
        assert_same_model(&model.lifetime_return, &current.lifetime_return);
        assert_same_model(&model.service_burden, &current.service_burden);
    }

    #[test]
    fn a_version_2_model_loads_without_a_checksum() {
        assert_eq!(checksum::checksum_of(V2), Ok(None));
        let model = Model::parse(V2, "m.json").unwrap();
        assert_eq!(model.format_version, FORMAT_VERSION);
        // The same model as the current version's file trained on the same data.
        let current = Model::parse(SHIPPED, "m.json").unwrap();
        assert_same_model(&model.columns, &current.columns);
        assert_eq!(model.schema, current.schema);
    }

    #[test]
    fn the_shipped_model_is_sealed_and_any_byte_changed_is_refused() {
        let stored = checksum::checksum_of(SHIPPED).unwrap().unwrap();
        assert!(stored.starts_with("sha256:"), "{stored}");
        assert_eq!(
            SHIPPED.lines().nth(1).unwrap(),
            format!("  \"checksum\": \"{stored}\",")
        );
        // A sample of single-byte changes, each to a byte that keeps the file UTF-8: every one
        // is refused, whichever check finds it (most often the checksum, else the JSON).
        let bytes = SHIPPED.as_bytes();
        let mut by_checksum = 0;
        for at in (0..bytes.len()).step_by(13) {
            if !bytes[at].is_ascii() {
                continue;
            }
            let mut edited = bytes.to_vec();
            edited[at] = match bytes[at] {
                b'0'..=b'8' => bytes[at] + 1,
                b'9' => b'0',
                b' ' => b'\t',
                b'a'..=b'y' => bytes[at] + 1,
                _ => b' ',
            };
            let text = String::from_utf8(edited).unwrap();
            let err = Model::parse(&text, "m.json").expect_err(&format!("byte {at} changed"));
            by_checksum += usize::from(err.to_string().contains("checksum"));
        }
        assert!(by_checksum > bytes.len() / 13 / 2, "{by_checksum}");
    }

    #[test]
    fn a_checksum_that_cannot_vouch_for_the_file_is_named() {
        // One digit of a coefficient, and the version lowered to one without checksums: both
        // changes the checksum finds.
        let at = SHIPPED.find("\"intercept\": ").unwrap() + 14;
        let at = at + SHIPPED[at..].find(|c: char| c.is_ascii_digit()).unwrap();
        let other = if &SHIPPED[at..=at] == "7" { "8" } else { "7" };
        let digit = [&SHIPPED[..at], other, &SHIPPED[at + 1..]].concat();
        let lowered = SHIPPED.replacen("\"format_version\": 5,", "\"format_version\": 2,", 1);
        assert_ne!(lowered, SHIPPED);
        for text in [digit, lowered] {
            assert_eq!(
                Model::parse(&text, "m.json").unwrap_err().to_string(),
                changed("the checksum does not match the content")
            );
        }
        // The checksum line removed, from a version-3 file.
        let line = SHIPPED.lines().nth(1).unwrap().to_string() + "\n";
        assert_eq!(
            Model::parse(&SHIPPED.replacen(&line, "", 1), "m.json")
                .unwrap_err()
                .to_string(),
            changed(
                "the checksum is missing (every model file of format version 3 or later has one)"
            )
        );
        // Written again by another program: keys sorted, the checksum no longer second.
        assert_eq!(
            Model::parse(&serde_json::to_string(&shipped()).unwrap(), "m.json")
                .unwrap_err()
                .to_string(),
            changed("the checksum is not on the second line, where leadscore writes it")
        );
        let bad = SHIPPED.replacen("\"sha256:", "\"sha-256:", 1);
        assert_eq!(
            Model::parse(&bad, "m.json").unwrap_err().to_string(),
            changed("the checksum line is malformed (leadscore writes \"sha256:\" and 64 lowercase hex digits)")
        );
        // A newer version is refused as such: it may seal its files otherwise.
        let newer = SHIPPED.replacen("\"format_version\": 5,", "\"format_version\": 6,", 1);
        assert_eq!(
            Model::parse(&newer, "m.json").unwrap_err().to_string(),
            unsupported(6)
        );
    }

    #[test]
    fn a_version_1_model_loads_with_the_meaning_it_had() {
        use crate::model::schema::{Feature, Matching};
        let model = Model::parse(V1, "m.json").unwrap();
        assert_eq!(model.format_version, FORMAT_VERSION);
        assert_eq!(model.schema.columns.len(), model.columns.len());
        assert!(model.schema.features.iter().all(|f| match f {
            Feature::Categorical(c) => c.matching == Matching::Exact,
            Feature::Numeric(_) => true,
        }));
        assert!(model.config.is_none());
        // The same coefficients as the version-3 model trained on the same data.
        let current = Model::parse(SHIPPED, "m.json").unwrap();
        assert_same_model(&model.columns, &current.columns);
        // Today's version is read from its own text.
        assert_eq!(parse_value(&shipped()).unwrap(), current);
    }

    #[test]
    fn versions_never_written_are_refused() {
        for v in [0u64, 6, 99] {
            let mut m = shipped();
            m["format_version"] = v.into();
            assert_eq!(parse_value(&m).unwrap_err(), unsupported(v));
        }
        let mut m = shipped();
        m.as_object_mut().unwrap().remove("format_version");
        assert_eq!(
            parse_value(&m).unwrap_err(),
            "m.json: model file has no format_version"
        );
        m["format_version"] = "1".into();
        assert_eq!(
            parse_value(&m).unwrap_err(),
            "m.json: corrupt model file: format_version \"1\" is not a whole number"
        );
        m["format_version"] = (-1).into();
        assert_eq!(
            parse_value(&m).unwrap_err(),
            "m.json: corrupt model file: format_version -1 is not a whole number"
        );
    }

    #[test]
    fn a_log_link_reads_as_money_equal_to_exp_and_never_with_a_correction() {
        use crate::model::equation::{Equation, Scale};
        // Files written before the field existed have no link and score as they always did.
        assert_eq!(
            Model::parse(SHIPPED, "m.json")
                .unwrap()
                .lifetime_return
                .link,
            None
        );
        let mut m = shipped();
        m["service_burden"]["link"] = "log".into();
        let model = parse_value(&m).unwrap();
        assert_eq!(model.service_burden.link, Some(Link::Log));
        let eq = Equation::from_model(&model).unwrap();
        assert!(eq.any_log());
        match eq.targets[1].scale {
            Scale::Log {
                at_mean,
                correction,
                shift,
            } => {
                assert_eq!((correction, shift), (1.0, 0.0));
                assert_eq!(eq.targets[1].baseline, at_mean.min(700.0).exp());
            }
            Scale::Linear => panic!("a log link read as linear"),
        }
        m["service_burden"]["log_correction"] = 1.2.into();
        assert_eq!(
            parse_value(&m).unwrap_err(),
            "m.json: corrupt model file: service_burden: both link and log_correction are set, but a fit has one scale"
        );
        m["service_burden"]["link"] = "logit".into();
        assert!(parse_value(&m)
            .unwrap_err()
            .contains("unknown variant `logit`"));
    }

    #[test]
    fn edits_scoring_cannot_survive_are_named() {
        type Edit = fn(&mut Value);
        let cases: [(Edit, &str); 4] = [
            (
                |m| m["schema"]["features"][0]["reference"] = "mining".into(),
                "feature \"industry\": reference level \"mining\" is not one of its levels",
            ),
            (
                |m| m["schema"]["features"][1]["levels"][5]["value"] = "north".into(),
                "feature \"region\": level \"north\" is listed twice",
            ),
            (
                |m| {
                    m["schema"]["features"][4]["shares"]
                        .as_array_mut()
                        .unwrap()
                        .clear()
                },
                "feature \"employees\": 9 edges need 10 shares, not 0",
            ),
            (
                |m| m["decisions"]["tier_c"] = 1e9.into(),
                "decisions: tier_b 9997 is below tier_c 1000000000",
            ),
        ];
        for (edit, want) in cases {
            let mut m = shipped();
            edit(&mut m);
            assert_eq!(
                parse_value(&m).unwrap_err(),
                format!("m.json: corrupt model file: {want}")
            );
        }
    }
}
