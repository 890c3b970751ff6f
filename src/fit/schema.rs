//! Learning the schema from a history, and the history's feature values in model columns.

use rustc_hash::FxHashMap as HashMap;

use crate::config::{FeatureKind, FeatureSpec};
use crate::error::{Error, Result};
use crate::io::table::{Row, Source};
use crate::model::columns::FeatureColumns;
use crate::model::matching::ValueIndex;
use crate::model::schema::{
    looks_like_code, Categorical, Feature, Level, Numeric, Schema, MISSING_LEVEL, OTHER_LEVEL,
};

/// A category level with no column of its own (the reference level).
const NO_COLUMN: u32 = u32::MAX;

/// The history in model columns, stored by feature: for each categorical feature the model
/// column of each row's level, for each numeric feature its value already imputed, clamped and
/// transformed. Training reads every row several times; transforming once saves a logarithm per
/// value per pass. Features are kept in schema order, so a row's columns come in increasing
/// order, as in a dense row.
#[derive(Debug, Clone)]
pub struct EncodedHistory {
    pub rows: usize,
    features: Vec<EncodedFeature>,
}

/// One feature's value in one row of an [`EncodedHistory`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    Category(Option<usize>),
    Number(f64),
}

#[derive(Debug, Clone)]
enum EncodedFeature {
    /// Each row's level's column, `NO_COLUMN` for the reference level.
    Categorical(Vec<u32>),
    /// The column and each row's value.
    Numeric(usize, Vec<f64>),
}

impl EncodedHistory {
    /// Writes row `i`'s model columns into `out`.
    pub fn row(&self, i: usize, out: &mut [f64]) {
        out.iter_mut().for_each(|v| *v = 0.0);
        self.each_nonzero(i, |j, x, _| out[j] = x);
    }

    /// Calls `each(column, value, is_category)` for row `i`'s columns that can be non-zero, in
    /// increasing column order: a category's column (value 1; none for a reference level),
    /// every numeric column.
    #[inline]
    pub fn each_nonzero(&self, i: usize, mut each: impl FnMut(usize, f64, bool)) {
        for feature in &self.features {
            match feature {
                EncodedFeature::Categorical(cols) => {
                    if cols[i] != NO_COLUMN {
                        each(cols[i] as usize, 1.0, true);
                    }
                }
                EncodedFeature::Numeric(col, x) => each(*col, x[i], false),
            }
        }
    }

    /// Row `i`'s columns that can be non-zero, as [`EncodedHistory::each_nonzero`] gives them,
    /// written into `index` (the column plus `at`) and `value` (`value_of(column, value,
    /// is_category)`) from position `at` on; returns the position after the last. The buffers
    /// hold `at + features()` entries. Training's passes take every row this way several times:
    /// writing into slices, with the count in a register, saves a push's capacity check and
    /// length update per entry (a push per entry was half of decoding a row).
    #[inline]
    pub fn write_nonzero(
        &self,
        i: usize,
        index: &mut [u32],
        value: &mut [f64],
        mut at: usize,
        value_of: impl Fn(usize, f64, bool) -> f64,
    ) -> usize {
        let shift = at as u32;
        self.each_nonzero(i, |column, x, category| {
            index[at] = shift + column as u32;
            value[at] = value_of(column, x, category);
            at += 1;
        });
        at
    }

    /// How many features there are.
    pub fn features(&self) -> usize {
        self.features.len()
    }

    /// The model columns feature `f` fills: a numeric feature's one, a categorical feature's
    /// levels' (in increasing order), out of `p` columns.
    pub fn columns(&self, f: usize, p: usize) -> Vec<usize> {
        match &self.features[f] {
            EncodedFeature::Numeric(col, _) => vec![*col],
            EncodedFeature::Categorical(cols) => {
                let mut seen = vec![false; p];
                for &c in cols {
                    if c != NO_COLUMN {
                        seen[c as usize] = true;
                    }
                }
                (0..p).filter(|&j| seen[j]).collect()
            }
        }
    }

    /// Row `i`'s value of feature `f` (schema order): a category's model column (`None` for the
    /// reference level), or a number.
    #[inline]
    pub fn cell(&self, f: usize, i: usize) -> Cell {
        match &self.features[f] {
            EncodedFeature::Categorical(cols) => {
                Cell::Category((cols[i] != NO_COLUMN).then_some(cols[i] as usize))
            }
            EncodedFeature::Numeric(_, x) => Cell::Number(x[i]),
        }
    }

    /// `Σ coefⱼ xⱼ` over row `i` for each of `coefs`, into `out`, in one walk over the row
    /// (the held-out figures take up to seven predictions of every row). Each sum makes the
    /// same additions, in the same order, as over the dense row but for the zeros, which change
    /// no bit of a sum (but the sign of a zero one).
    #[inline]
    pub fn dots(&self, i: usize, coefs: &[&[f64]], out: &mut [f64]) {
        let out = &mut out[..coefs.len()];
        out.fill(-0.0);
        self.each_nonzero(i, |j, x, _| {
            for (sum, coef) in out.iter_mut().zip(coefs) {
                *sum += coef[j] * x;
            }
        });
    }
}

/// The raw values of one feature over the whole history, as read.
#[derive(Debug, Clone)]
pub enum FeatureValues {
    /// Interned values; `None` is a blank.
    Categorical {
        codes: Vec<u32>,
        dict: Vec<Option<String>>,
    },
    /// NaN is a blank.
    Numeric(Vec<f64>),
}

/// What training needs to know about rare values and clamping, to report it.
#[derive(Debug, Clone, Default)]
pub struct SchemaNotes {
    /// Per numeric feature: rows clamped (row indices, most extreme first), with the limits.
    pub clamped: Vec<(String, Vec<usize>, f64, f64)>,
    /// Per categorical feature: values pooled as rare, with their customers.
    pub pooled: Vec<(String, Vec<(String, u64)>)>,
    /// Categorical features left with a single level, which therefore have no effect, and why.
    pub no_effect: Vec<NoEffect>,
    /// Per numeric feature: rows imputed.
    pub imputed: Vec<(String, usize)>,
    /// Values typed in more than one way (or through an alias), merged into one level.
    pub merged: Vec<Merged>,
    /// Categorical features with more common values than `model.max_levels`: the less common
    /// ones were pooled into `(other)` too.
    pub many_levels: Vec<ManyLevels>,
}

/// A categorical feature left with a single level: it scores every lead alike.
#[derive(Debug, Clone, PartialEq)]
pub struct NoEffect {
    pub feature: String,
    pub cause: NoEffectCause,
    /// The customers it was learnt from (all of them hold the one value, or none a value).
    pub customers: u64,
}

/// Why a categorical feature was left with one level: the advice differs. Lowering
/// `model.min_category_count` helps only when the values were pooled for being rare; a value
/// every customer shares, or no value at all, cannot tell customers apart at any setting.
#[derive(Debug, Clone, PartialEq)]
pub enum NoEffectCause {
    /// Every customer has this value (its spellings and aliases merged).
    OneValue(String),
    /// Blank (or a missing-value text) in every row.
    Blank,
    /// Several values, each with fewer than `min_category_count` customers: all pooled.
    Rare,
}

/// A categorical feature with more values common enough to be levels than `model.max_levels`.
#[derive(Debug, Clone, PartialEq)]
pub struct ManyLevels {
    pub feature: String,
    /// Values with at least `min_category_count` customers.
    pub common: usize,
    /// How many of them were kept as levels: the most common.
    pub kept: usize,
    /// Customers of the common values pooled for the limit.
    pub pooled_customers: u64,
}

/// A categorical feature whose values are nearly all different is probably an id or free text:
/// at or above this many distinct values...
const ID_LIKE_VALUES: usize = 100;
/// ...making up this share of the customers with a value, training refuses it.
const ID_LIKE_SHARE: f64 = 0.9;

/// A numeric feature's figures from its own values: how many are present, whether it looks like
/// a code, its median, range, clamping bounds with the rows beyond them (most extreme first),
/// and its deciles with the share of customers in each.
struct NumericStats {
    present: usize,
    code: bool,
    median: f64,
    min: f64,
    max: f64,
    clamp: Option<(f64, f64, Vec<usize>)>,
    edges: Vec<f64>,
    shares: Vec<f64>,
}

/// [`NumericStats`] of `v` (blanks are NaN); `None` when every value is blank.
fn numeric_stats(
    spec: &FeatureSpec,
    v: &[f64],
    winsorize: Option<(f64, f64)>,
) -> Option<NumericStats> {
    let mut present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if present.is_empty() {
        return None;
    }
    let code = looks_like_code(&spec.name, &present);
    // Every order statistic read below (median, range, winsorizing bounds, decile edges) put in
    // place by one nested selection, then read off: at a million values, about what five
    // single selections cost for the dozen and a half statistics, and half a radix sort.
    let n = present.len();
    let quantiles = [0.5, 0.0, 1.0]
        .into_iter()
        .chain(winsorize.into_iter().flat_map(|(lo, hi)| [lo, hi]));
    let mut ranks: Vec<usize> = quantiles
        .flat_map(|p| crate::stats::quantile_positions(n, p))
        .chain(crate::stats::evaluation::edge_positions(n, 10))
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    crate::stats::select_positions(&mut present, &ranks);
    let present = present;
    let q = |p| crate::stats::quantile_sorted(&present, p).expect("non-empty");
    let median = q(0.5);
    let (min, max) = (q(0.0), q(1.0));
    // A year or a code is a whole number: so are the bounds it is clamped to (widened to the
    // nearest whole numbers, so no value inside moves).
    let clamp = winsorize.map(|(lo, hi)| {
        let (lo, hi) = (q(lo), q(hi));
        let (lo, hi) = if code {
            (lo.floor(), hi.ceil())
        } else {
            (lo, hi)
        };
        let mut rows: Vec<usize> = v
            .iter()
            .enumerate()
            .filter(|(_, x)| **x < lo || **x > hi)
            .map(|(i, _)| i)
            .collect();
        // Most extreme first: a mistyped value tops the list.
        let beyond = |i: &usize| (v[*i] - v[*i].clamp(lo, hi)).abs();
        rows.sort_by(|a, b| beyond(b).total_cmp(&beyond(a)).then(a.cmp(b)));
        (lo, hi, rows)
    });
    let edges = crate::stats::evaluation::edges_in_place(&present, 10);
    let shares = crate::stats::evaluation::bin_counts(present.iter().copied(), &edges)
        .into_iter()
        .map(|c| c / present.len() as f64)
        .collect();
    Some(NumericStats {
        present: present.len(),
        code,
        median,
        min,
        max,
        clamp,
        edges,
        shares,
    })
}

impl Schema {
    /// Learns the schema from the history's feature values.
    pub fn fit(
        specs: &[FeatureSpec],
        values: &[FeatureValues],
        min_category_count: usize,
        max_levels: usize,
        winsorize: Option<(f64, f64)>,
    ) -> Result<(Schema, SchemaNotes)> {
        // The numeric features' order statistics, clamped rows and deciles depend on their own
        // values alone: worked out for all of them at once, on every thread (0.16 s on one at
        // a million customers), and taken below in feature order.
        let mut numeric: Vec<Option<Option<NumericStats>>> = crate::parallel::map_parts(
            specs.len(),
            crate::parallel::threads(),
            |f| match &values[f] {
                FeatureValues::Numeric(v) => Some(numeric_stats(&specs[f], v, winsorize)),
                FeatureValues::Categorical { .. } => None,
            },
        );
        let mut features = Vec::with_capacity(specs.len());
        let mut columns = Vec::new();
        let mut notes = SchemaNotes::default();
        for (f, (spec, vals)) in specs.iter().zip(values).enumerate() {
            match vals {
                FeatureValues::Categorical { codes, dict } => {
                    let mut counts = vec![0u64; dict.len()];
                    for &c in codes {
                        counts[c as usize] += 1;
                    }
                    let merged = Spellings::merge(spec, dict, &counts);
                    // Nearly every customer with its own value: an id, an e-mail, free text. It
                    // cannot tell one lead from another, and would fill the model file with
                    // values pooled one by one.
                    let valued: Vec<&Group> =
                        merged.groups.iter().filter(|g| g.label.is_some()).collect();
                    let with_value: u64 = valued.iter().map(|g| g.customers).sum();
                    if valued.len() >= ID_LIKE_VALUES
                        && valued.len() as f64 >= ID_LIKE_SHARE * with_value as f64
                    {
                        return Err(Error::Data(format!(
                            "column \"{}\" (a categorical feature) has {} different values among {} customers with a value: it is probably an id or free text, which cannot tell one lead from another; drop it from [features] (or group its values into fewer categories)",
                            spec.name,
                            crate::economics::money(valued.len() as f64, 0),
                            crate::economics::money(with_value as f64, 0),
                        )));
                    }
                    let mut kept: Vec<(String, u64)> = Vec::new();
                    let mut pooled: Vec<(String, u64)> = Vec::new();
                    let mut other = 0u64;
                    for g in &merged.groups {
                        let label = g.label.clone().unwrap_or_else(|| MISSING_LEVEL.to_string());
                        if (g.customers as usize) < min_category_count {
                            pooled.push((label, g.customers));
                            other += g.customers;
                        } else {
                            kept.push((label, g.customers));
                        }
                        if let Some(label) = &g.label {
                            let (kept, others): (Vec<_>, Vec<_>) =
                                g.spellings.iter().cloned().partition(|sp| &sp.0 == label);
                            if !others.is_empty() {
                                notes.merged.push(Merged {
                                    feature: spec.name.clone(),
                                    value: label.clone(),
                                    customers: kept.first().map_or(0, |k| k.1),
                                    spellings: others,
                                });
                            }
                        }
                    }
                    // Each level is a column of the fit, whose cost grows with the cube of the
                    // columns: beyond `max_levels`, the least common values join (other) too.
                    if kept.len() > max_levels {
                        kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                        let beyond = kept.split_off(max_levels);
                        let customers: u64 = beyond.iter().map(|v| v.1).sum();
                        notes.many_levels.push(ManyLevels {
                            feature: spec.name.clone(),
                            common: max_levels + beyond.len(),
                            kept: max_levels,
                            pooled_customers: customers,
                        });
                        other += customers;
                        pooled.extend(beyond);
                    }
                    if other > 0 {
                        kept.push((OTHER_LEVEL.to_string(), other));
                    }
                    // Bracketed levels sort after the real ones, which read better in reports.
                    kept.sort_by(|a, b| {
                        (a.0.starts_with('('), &a.0).cmp(&(b.0.starts_with('('), &b.0))
                    });
                    pooled.sort();
                    let reference = kept
                        .iter()
                        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                        .map(|l| l.0.clone())
                        .ok_or_else(|| {
                            Error::Data(format!("feature \"{}\" has no values", spec.name))
                        })?;
                    let levels = kept
                        .into_iter()
                        .map(|(value, customers)| {
                            let column = (value != reference).then(|| {
                                columns.push(format!("{}={}", spec.name, value));
                                columns.len() - 1
                            });
                            Level {
                                value,
                                customers,
                                column,
                            }
                        })
                        .collect();
                    if !pooled.is_empty() {
                        notes.pooled.push((spec.name.clone(), pooled.clone()));
                    }
                    let levels: Vec<Level> = levels;
                    if levels.len() == 1 {
                        // One group of values in all (kept, or pooled alone for being rarer
                        // than min_category_count in a small history) is not a matter of
                        // rarity: every customer shares it.
                        let cause = match merged.groups.as_slice() {
                            [one] => match &one.label {
                                Some(value) => NoEffectCause::OneValue(value.clone()),
                                None => NoEffectCause::Blank,
                            },
                            _ => NoEffectCause::Rare,
                        };
                        notes.no_effect.push(NoEffect {
                            feature: spec.name.clone(),
                            cause,
                            customers: codes.len() as u64,
                        });
                    }
                    features.push(Feature::Categorical(Categorical {
                        name: spec.name.clone(),
                        levels,
                        reference,
                        pooled: pooled.into_iter().map(|p| p.0).collect(),
                        missing_share: dict
                            .iter()
                            .position(Option::is_none)
                            .map_or(0.0, |code| counts[code] as f64 / codes.len() as f64),
                        matching: spec.matching,
                        aliases: merged.aliases,
                    }));
                }
                FeatureValues::Numeric(v) => {
                    let log = matches!(spec.kind, FeatureKind::Numeric { log: true });
                    let Some(stats) = numeric[f].take().flatten() else {
                        return Err(Error::Data(format!(
                            "feature \"{}\" is blank in every row; drop it from [features] or fill it in",
                            spec.name
                        )));
                    };
                    let clamp = stats.clamp.map(|(lo, hi, rows)| {
                        notes.clamped.push((spec.name.clone(), rows, lo, hi));
                        (lo, hi)
                    });
                    let missing = v.len() - stats.present;
                    if missing > 0 {
                        notes.imputed.push((spec.name.clone(), missing));
                    }
                    columns.push(if log {
                        format!("ln(1+{})", spec.name)
                    } else {
                        spec.name.clone()
                    });
                    features.push(Feature::Numeric(Numeric {
                        name: spec.name.clone(),
                        log,
                        column: columns.len() - 1,
                        median: stats.median,
                        min: stats.min,
                        max: stats.max,
                        clamp,
                        edges: stats.edges,
                        shares: stats.shares,
                        missing_share: missing as f64 / v.len() as f64,
                        code: stats.code,
                    }));
                }
            }
        }
        Ok((Schema { features, columns }, notes))
    }

    /// The history's model columns, ready to be read row by row many times.
    pub fn encode_history(&self, values: &[FeatureValues]) -> EncodedHistory {
        let lookup = self.history_lookup(values);
        // Feature by feature, spread over the threads: a feature's values depend on it
        // alone, so the result is the same on any number of threads.
        let features = crate::parallel::map_parts(
            self.features.len(),
            crate::parallel::threads(),
            |f| match (&self.features[f], &values[f]) {
                (Feature::Categorical(_), FeatureValues::Categorical { codes, .. }) => {
                    let map = &lookup[f];
                    let cols = codes
                        .iter()
                        .map(|&c| map[c as usize].map_or(NO_COLUMN, |col| col as u32))
                        .collect();
                    EncodedFeature::Categorical(cols)
                }
                (Feature::Numeric(n), FeatureValues::Numeric(v)) => {
                    let x = v
                        .iter()
                        .map(|&raw| n.transform(if raw.is_nan() { n.median } else { raw }))
                        .collect();
                    EncodedFeature::Numeric(n.column, x)
                }
                _ => unreachable!("schema was fitted on these values"),
            },
        );
        let rows = features.last().map_or(0, |f| match f {
            EncodedFeature::Categorical(cols) => cols.len(),
            EncodedFeature::Numeric(_, x) => x.len(),
        });
        EncodedHistory { rows, features }
    }

    /// For each categorical feature, the model column of each interned history value, matched
    /// as scoring matches a lead's.
    pub fn history_lookup(&self, values: &[FeatureValues]) -> Vec<Vec<Option<usize>>> {
        self.features
            .iter()
            .zip(values)
            .map(|(f, v)| match (f, v) {
                (Feature::Categorical(c), FeatureValues::Categorical { dict, .. }) => {
                    let other = c
                        .levels
                        .iter()
                        .find(|l| l.value == OTHER_LEVEL)
                        .and_then(|l| l.column);
                    let index = ValueIndex::new(
                        c.matching,
                        c.levels
                            .iter()
                            .map(|l| (l.value.as_str(), l.column))
                            .chain(c.pooled.iter().map(|p| (p.as_str(), other))),
                        c.aliases.iter().map(|(a, t)| (a.as_str(), t.as_str())),
                    );
                    let mut buf = String::new();
                    dict.iter()
                        .map(|value| {
                            let label = value.as_deref().unwrap_or(MISSING_LEVEL);
                            index.find(label, &mut buf).flatten()
                        })
                        .collect()
                }
                _ => Vec::new(),
            })
            .collect()
    }
}

/// Spellings of one value that training merged into one level.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub feature: String,
    /// The value kept: the most common spelling (or an alias's target as the config wrote it,
    /// when only aliases of it were seen).
    pub value: String,
    /// Customers with the kept spelling itself.
    pub customers: u64,
    /// The other spellings, with their customers, most common first.
    pub spellings: Vec<(String, u64)>,
}

/// One value of a categorical feature as training counts it: every spelling that matches it.
#[derive(Debug, Clone)]
struct Group {
    /// The spelling kept; `None` for blanks.
    label: Option<String>,
    customers: u64,
    /// Every spelling with its customers, most common first (ties: first seen).
    spellings: Vec<(String, u64)>,
}

/// A group as it is being found: spellings (text, customers, through an alias), customers
/// (blanks included), and the config's spelling of the alias target.
#[derive(Default)]
struct Found<'a> {
    spellings: Vec<(String, u64, bool)>,
    customers: u64,
    target: Option<&'a str>,
}

/// A feature's interned history values grouped as the model will match them.
struct Spellings {
    /// In order of first appearance.
    groups: Vec<Group>,
    /// The config's aliases whose value training saw: alias → the spelling kept for it.
    aliases: std::collections::BTreeMap<String, String>,
}

impl Spellings {
    /// Groups `dict` (with each entry's customers) by matching key, an alias counting as its
    /// target. A group is named by its most common spelling (ties: the first seen), not counting
    /// aliases; a group seen only through aliases by the target as the config wrote it.
    fn merge(spec: &FeatureSpec, dict: &[Option<String>], counts: &[u64]) -> Spellings {
        let m = spec.matching;
        let alias_of: HashMap<String, (String, &str)> = spec
            .aliases
            .iter()
            .map(|(a, t)| (m.key_of(a), (m.key_of(t), t.as_str())))
            .filter(|(a, (t, _))| a != t)
            .collect();
        let mut by_key: HashMap<Option<String>, usize> = HashMap::default();
        let mut found: Vec<Found> = Vec::new();
        let mut buf = String::new();
        for (value, &n) in dict.iter().zip(counts) {
            if n == 0 {
                continue;
            }
            let (key, via) = match value {
                None => (None, None),
                Some(v) => {
                    let k = m.key(v, &mut buf);
                    match alias_of.get(k) {
                        Some((t, written)) => (Some(t.clone()), Some(*written)),
                        None => (Some(k.to_string()), None),
                    }
                }
            };
            let g = *by_key.entry(key).or_insert_with(|| {
                found.push(Found::default());
                found.len() - 1
            });
            let group = &mut found[g];
            group.customers += n;
            if let Some(v) = value {
                group.spellings.push((v.clone(), n, via.is_some()));
            }
            group.target = group.target.or(via);
        }
        let groups = found
            .into_iter()
            .map(|f| {
                let mut best: Option<&(String, u64, bool)> = None;
                for s in f.spellings.iter().filter(|s| !s.2) {
                    if best.is_none_or(|b| s.1 > b.1) {
                        best = Some(s);
                    }
                }
                let label = match (best, f.target) {
                    (Some(b), _) => Some(b.0.clone()),
                    (None, Some(t)) => Some(t.to_string()),
                    (None, None) => None,
                };
                let mut spellings = f.spellings;
                // Stable: ties stay in order of appearance.
                spellings.sort_by_key(|s| std::cmp::Reverse(s.1));
                Group {
                    label,
                    customers: f.customers,
                    spellings: spellings.into_iter().map(|(s, n, _)| (s, n)).collect(),
                }
            })
            .collect::<Vec<Group>>();
        let aliases = spec
            .aliases
            .iter()
            .filter_map(|(a, t)| {
                let key = m.key_of(t);
                let label = groups.iter().find_map(|g| {
                    let l = g.label.as_ref()?;
                    (m.key_of(l) == key).then(|| l.clone())
                })?;
                Some((a.clone(), label))
            })
            .collect();
        Spellings { groups, aliases }
    }
}

/// Accumulates the history's feature values row by row.
pub struct ValuesBuilder {
    values: Vec<FeatureValues>,
    interners: Vec<HashMap<String, u32>>,
    scratch: Vec<Option<f64>>,
    /// Per feature: each missing-value text met in a category column, and in how many rows.
    tokens: Vec<Vec<(String, u64)>>,
}

/// A missing-value text (`NA`, `n/a`, ...) read as a blank in a category column of the history:
/// where it is a real value (NA for North America), the blanks hide it, so training says so.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBlanks {
    pub feature: String,
    pub token: String,
    /// Rows of the history holding it (the customers left out for a blank outcome included).
    pub rows: u64,
}

impl ValuesBuilder {
    pub fn new(specs: &[FeatureSpec]) -> ValuesBuilder {
        let values = specs
            .iter()
            .map(|s| match s.kind {
                FeatureKind::Categorical => FeatureValues::Categorical {
                    codes: Vec::new(),
                    dict: Vec::new(),
                },
                FeatureKind::Numeric { .. } => FeatureValues::Numeric(Vec::new()),
            })
            .collect();
        ValuesBuilder {
            values,
            interners: specs.iter().map(|_| HashMap::default()).collect(),
            scratch: vec![None; specs.len()],
            tokens: vec![Vec::new(); specs.len()],
        }
    }

    /// Reads one history row's features; on error nothing of the row is kept.
    pub fn push(&mut self, cols: &FeatureColumns, input: &Source, row: Row<'_>) -> Result<()> {
        // Parse every number before storing anything, so a bad field leaves all columns the
        // same length.
        for (f, spec) in cols.specs().iter().enumerate() {
            if let FeatureKind::Numeric { .. } = spec.kind {
                self.scratch[f] = cols.number(input, row, f)?;
            }
        }
        for (f, vals) in self.values.iter_mut().enumerate() {
            match vals {
                FeatureValues::Categorical { codes, dict } => {
                    let mut value = cols.category(row, f);
                    let interner = &mut self.interners[f];
                    // A value met before is looked up first: no missing-value text is ever a
                    // key (they are all read as the blank, ""), so a hit is never one, and the
                    // texts are compared only with values not met before.
                    if let Some(&c) = interner.get(value.as_deref().unwrap_or("")) {
                        codes.push(c);
                        continue;
                    }
                    // `n/a` and the like are blanks in training: a level of their own would
                    // split the blanks in two.
                    if let Some(v) = value.as_deref().filter(|v| cols.is_missing_value(v)) {
                        match self.tokens[f].iter_mut().find(|(t, _)| t == v) {
                            Some((_, n)) => *n += 1,
                            None => self.tokens[f].push((v.to_string(), 1)),
                        }
                        value = None;
                    }
                    let key = value.as_deref().unwrap_or("");
                    let code = match interner.get(key) {
                        Some(&c) => c,
                        None => {
                            let c = dict.len() as u32;
                            dict.push(value.as_ref().map(|v| v.to_string()));
                            interner.insert(key.to_string(), c);
                            c
                        }
                    };
                    codes.push(code);
                }
                FeatureValues::Numeric(v) => v.push(self.scratch[f].unwrap_or(f64::NAN)),
            }
        }
        Ok(())
    }

    /// Drops the last row (its outcome turned out to be unusable).
    pub fn pop(&mut self) {
        for vals in &mut self.values {
            match vals {
                FeatureValues::Categorical { codes, .. } => {
                    codes.pop();
                }
                FeatureValues::Numeric(v) => {
                    v.pop();
                }
            }
        }
    }

    /// Appends the rows another builder read (a later batch of the same file).
    pub fn append(&mut self, other: ValuesBuilder) {
        for (mine, theirs) in self.tokens.iter_mut().zip(&other.tokens) {
            for (token, n) in theirs {
                match mine.iter_mut().find(|(t, _)| t == token) {
                    Some((_, m)) => *m += n,
                    None => mine.push((token.clone(), *n)),
                }
            }
        }
        for ((mine, theirs), interner) in self
            .values
            .iter_mut()
            .zip(other.values)
            .zip(&mut self.interners)
        {
            match (mine, theirs) {
                (
                    FeatureValues::Categorical { codes, dict },
                    FeatureValues::Categorical {
                        codes: their_codes,
                        dict: their_dict,
                    },
                ) => {
                    let remap: Vec<u32> = their_dict
                        .into_iter()
                        .map(|value| {
                            let key = value.as_deref().unwrap_or("").to_string();
                            *interner.entry(key).or_insert_with(|| {
                                dict.push(value);
                                dict.len() as u32 - 1
                            })
                        })
                        .collect();
                    codes.extend(their_codes.into_iter().map(|c| remap[c as usize]));
                }
                (FeatureValues::Numeric(v), FeatureValues::Numeric(theirs)) => v.extend(theirs),
                _ => unreachable!("builders for the same features"),
            }
        }
    }

    /// The missing-value texts met in category columns, most rows first, with the features'
    /// names as `specs` gives them.
    pub fn token_blanks(&self, specs: &[FeatureSpec]) -> Vec<TokenBlanks> {
        let mut out: Vec<TokenBlanks> = specs
            .iter()
            .zip(&self.tokens)
            .flat_map(|(spec, tokens)| {
                tokens.iter().map(|(token, rows)| TokenBlanks {
                    feature: spec.name.clone(),
                    token: token.clone(),
                    rows: *rows,
                })
            })
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse(b.rows));
        out
    }

    pub fn finish(self) -> Vec<FeatureValues> {
        self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Matching;

    fn specs() -> Vec<FeatureSpec> {
        vec![
            FeatureSpec {
                name: "industry".into(),
                kind: FeatureKind::Categorical,
                matching: Matching::Exact,
                aliases: Vec::new(),
            },
            FeatureSpec {
                name: "employees".into(),
                kind: FeatureKind::Numeric { log: true },
                matching: Matching::Exact,
                aliases: Vec::new(),
            },
        ]
    }

    fn values() -> Vec<FeatureValues> {
        let dict = vec![
            Some("retail".into()),
            Some("software".into()),
            Some("mining".into()),
            None,
        ];
        // retail ×5, software ×3, mining ×1, blank ×1
        let codes = vec![0, 0, 0, 0, 0, 1, 1, 1, 2, 3];
        let nums = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, f64::NAN];
        vec![
            FeatureValues::Categorical { codes, dict },
            FeatureValues::Numeric(nums),
        ]
    }

    /// A categorical feature of `n` customers, customer `i` with value `value(i)`.
    fn one_category(n: usize, value: impl Fn(usize) -> String) -> Vec<FeatureValues> {
        let mut dict: Vec<Option<String>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let codes = (0..n)
            .map(|i| {
                let v = value(i);
                *index.entry(v.clone()).or_insert_with(|| {
                    dict.push(Some(v));
                    dict.len() as u32 - 1
                })
            })
            .collect();
        vec![
            FeatureValues::Categorical { codes, dict },
            FeatureValues::Numeric((0..n).map(|i| i as f64).collect()),
        ]
    }

    #[test]
    fn a_feature_with_one_value_or_none_has_no_effect_for_that_reason() {
        let no_effect = |values: Vec<FeatureValues>, min_count: usize| {
            let (_, notes) = Schema::fit(&specs(), &values, min_count, usize::MAX, None).unwrap();
            notes.no_effect
        };
        let one_value = NoEffect {
            feature: "industry".into(),
            cause: NoEffectCause::OneValue("retail".into()),
            customers: 3_000,
        };
        // Every customer in retail: a level of 3,000 customers, not a rare one.
        assert_eq!(
            no_effect(one_category(3_000, |_| "retail".into()), 20),
            std::slice::from_ref(&one_value)
        );
        // Pooled for a small history, one value is still the cause.
        assert_eq!(
            no_effect(one_category(3_000, |_| "retail".into()), 5_000),
            [one_value]
        );
        let blank = vec![
            FeatureValues::Categorical {
                codes: vec![0; 50],
                dict: vec![None],
            },
            FeatureValues::Numeric((0..50).map(f64::from).collect()),
        ];
        assert_eq!(
            no_effect(blank, 20),
            [NoEffect {
                feature: "industry".into(),
                cause: NoEffectCause::Blank,
                customers: 50,
            }]
        );
        // Two values, each common enough: an effect.
        assert_eq!(
            no_effect(one_category(100, |i| format!("v{}", i % 2)), 20),
            []
        );
    }

    #[test]
    fn beyond_max_levels_the_least_common_values_join_other() {
        // 30 values, value k held by 10 + k customers: the 12 most common stay levels.
        let values = one_category(30 * 10 + 435, |i| {
            let mut left = i;
            for k in 0..30 {
                if left < 10 + k {
                    return format!("v{k:02}");
                }
                left -= 10 + k;
            }
            unreachable!()
        });
        let (schema, notes) = Schema::fit(&specs(), &values, 5, 12, None).unwrap();
        let Feature::Categorical(c) = &schema.features[0] else {
            panic!()
        };
        let mut names: Vec<&str> = c.levels.iter().map(|l| l.value.as_str()).collect();
        assert_eq!(names.pop(), Some("(other)"));
        assert_eq!(names.len(), 12);
        assert!(names.iter().all(|n| *n >= "v18"), "{names:?}");
        assert_eq!(c.pooled.len(), 18);
        // (other) holds the customers of v00..v17: 18 × 10 + (0 + ... + 17).
        assert_eq!(c.levels.last().unwrap().customers, 180 + 153);
        assert_eq!(
            notes.many_levels,
            vec![ManyLevels {
                feature: "industry".into(),
                common: 30,
                kept: 12,
                pooled_customers: 333,
            }]
        );
        // Under the limit nothing changes.
        let (_, notes) = Schema::fit(&specs(), &values, 5, 30, None).unwrap();
        assert!(notes.many_levels.is_empty());
    }

    #[test]
    fn a_feature_of_nearly_all_different_values_is_refused_as_an_id_or_free_text() {
        let ids = one_category(1_000, |i| format!("ACME-{i:05}"));
        let e = Schema::fit(&specs(), &ids, 5, 100, None)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "column \"industry\" (a categorical feature) has 1,000 different values among 1,000 customers with a value: it is probably an id or free text, which cannot tell one lead from another; drop it from [features] (or group its values into fewer categories)");
        // Many values, but most customers share one: a long tail, not an id.
        let tail = one_category(1_000, |i| {
            if i < 200 {
                format!("rare {i}")
            } else {
                "common".into()
            }
        });
        assert!(Schema::fit(&specs(), &tail, 5, 100, None).is_ok());
        // Few customers: too few values to tell.
        let few = one_category(99, |i| format!("x{i}"));
        assert!(Schema::fit(&specs(), &few, 5, 100, None).is_ok());
    }

    #[test]
    fn rare_levels_are_pooled_and_the_most_common_is_reference() {
        let (schema, notes) = Schema::fit(&specs(), &values(), 2, usize::MAX, None).unwrap();
        let Feature::Categorical(c) = &schema.features[0] else {
            panic!()
        };
        assert_eq!(c.reference, "retail");
        assert_eq!(
            c.pooled,
            vec!["(missing)".to_string(), "mining".to_string()]
        );
        let names: Vec<&str> = c.levels.iter().map(|l| l.value.as_str()).collect();
        assert_eq!(names, ["retail", "software", "(other)"]);
        assert_eq!(
            schema.columns,
            ["industry=software", "industry=(other)", "ln(1+employees)"]
        );
        assert_eq!(
            notes.pooled[0].1,
            vec![("(missing)".to_string(), 1), ("mining".to_string(), 1)]
        );
        assert!(notes.no_effect.is_empty());
        let (_, notes) = Schema::fit(&specs(), &values(), 100, usize::MAX, None).unwrap();
        assert_eq!(
            notes.no_effect,
            [NoEffect {
                feature: "industry".into(),
                cause: NoEffectCause::Rare,
                customers: 10,
            }]
        );
        assert_eq!(notes.imputed, vec![("employees".to_string(), 1)]);
    }

    #[test]
    fn history_rows_encode_through_the_schema() {
        let vals = values();
        let (schema, _) = Schema::fit(&specs(), &vals, 2, usize::MAX, Some((0.0, 0.5))).unwrap();
        let encoded = schema.encode_history(&vals);
        let mut out = vec![9.0; 3];
        encoded.row(8, &mut out);
        // mining is pooled into (other); 9 is clamped to the median 5.
        assert_eq!(out, vec![0.0, 1.0, 5f64.ln_1p()]);
        encoded.row(9, &mut out);
        // blank employees → median 5
        assert_eq!(out, vec![0.0, 1.0, 5f64.ln_1p()]);
        encoded.row(0, &mut out);
        assert_eq!(out, vec![0.0, 0.0, 1f64.ln_1p()]);
    }

    #[test]
    fn written_non_zeros_are_the_walked_ones_after_the_offset() {
        let vals = values();
        let (schema, _) = Schema::fit(&specs(), &vals, 2, usize::MAX, Some((0.0, 0.5))).unwrap();
        let encoded = schema.encode_history(&vals);
        let width = 2 + encoded.features();
        for i in 0..encoded.rows {
            let mut walked = Vec::new();
            encoded.each_nonzero(i, |j, x, category| walked.push((j, x, category)));
            let (mut index, mut value) = (vec![u32::MAX; width], vec![f64::NAN; width]);
            // Two places taken before the row's, and each value marked with its kind.
            let end = encoded.write_nonzero(i, &mut index, &mut value, 2, |j, x, category| {
                x + if category { 100.0 } else { 0.0 } + j as f64 * 1000.0
            });
            assert_eq!(end, 2 + walked.len(), "row {i}");
            for (k, &(j, x, category)) in walked.iter().enumerate() {
                assert_eq!(index[2 + k], 2 + j as u32, "row {i}");
                let want = x + if category { 100.0 } else { 0.0 } + j as f64 * 1000.0;
                assert_eq!(value[2 + k].to_bits(), want.to_bits(), "row {i}");
            }
            assert!(
                index[..2].iter().all(|&j| j == u32::MAX)
                    && value[end..].iter().all(|v| v.is_nan())
            );
        }
    }

    #[test]
    fn spellings_merge_into_the_most_common_and_ties_keep_the_first_seen() {
        let spec = FeatureSpec {
            name: "industry".into(),
            kind: FeatureKind::Categorical,
            matching: Matching::Normalized,
            aliases: vec![
                ("Software & IT".into(), "software".into()),
                ("Pharma".into(), "Life Sciences".into()),
            ],
        };
        let dict: Vec<Option<String>> = [
            Some("Retail"),
            Some("retail"),
            Some("RETAIL "),
            Some("Software"),
            Some("software"),
            Some("Software & IT"),
            Some("pharma"),
            None,
        ]
        .into_iter()
        .map(|v| v.map(String::from))
        .collect();
        let counts = [2, 2, 1, 1, 2, 9, 4, 3];
        let m = Spellings::merge(&spec, &dict, &counts);
        let got: Vec<(Option<&str>, u64, usize)> = m
            .groups
            .iter()
            .map(|g| (g.label.as_deref(), g.customers, g.spellings.len()))
            .collect();
        assert_eq!(
            got,
            [
                // Two spellings with 2 customers each: the first seen is kept.
                (Some("Retail"), 5, 3),
                // The alias's 9 customers count for the value but do not name it.
                (Some("software"), 12, 3),
                // Seen only through an alias: named as the config wrote the target.
                (Some("Life Sciences"), 4, 1),
                (None, 3, 0),
            ]
        );
        assert_eq!(
            m.groups[0].spellings,
            [
                ("Retail".to_string(), 2),
                ("retail".into(), 2),
                ("RETAIL ".into(), 1)
            ]
        );
        assert_eq!(
            m.aliases.into_iter().collect::<Vec<_>>(),
            [
                ("Pharma".to_string(), "Life Sciences".to_string()),
                ("Software & IT".into(), "software".into())
            ]
        );
        // Exact matching merges nothing but aliases.
        let exact = FeatureSpec {
            matching: Matching::Exact,
            ..spec
        };
        assert_eq!(Spellings::merge(&exact, &dict, &counts).groups.len(), 7);
    }

    #[test]
    fn winsorising_names_the_rows_it_clamps() {
        let (_, notes) =
            Schema::fit(&specs(), &values(), 1, usize::MAX, Some((0.0, 0.875))).unwrap();
        let (name, rows, lo, hi) = &notes.clamped[0];
        assert_eq!(name, "employees");
        assert_eq!((*lo, *hi), (1.0, 8.0));
        assert_eq!(rows, &vec![8]);
        let (_, notes) =
            Schema::fit(&specs(), &values(), 1, usize::MAX, Some((0.25, 0.75))).unwrap();
        // 1 and 9 are equally far out (by 2); ties keep row order; then 2 and 8.
        assert_eq!(notes.clamped[0].1, vec![0, 8, 1, 7]);
    }
}
