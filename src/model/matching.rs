//! Which known value of a categorical feature a value is, as the model matches them: exactly,
//! or ignoring case and runs of spaces (`config::Matching`), then through the aliases. Training
//! encodes its history through the same index scoring looks leads up in, so the two agree.

use rustc_hash::FxHashMap as HashMap;

use crate::config::Matching;

/// Known values (levels, pooled values, aliases) → what they score as.
#[derive(Debug, Clone)]
pub struct ValueIndex<T> {
    matching: Matching,
    exact: HashMap<String, T>,
    /// By normalized key; empty when matching is exact.
    normalized: HashMap<String, T>,
}

impl<T: Copy> ValueIndex<T> {
    /// `known` in order of precedence (a value listed twice keeps its first entry); each alias
    /// scores as its target, and one whose target is not known is left out.
    pub fn new<'a>(
        matching: Matching,
        known: impl IntoIterator<Item = (&'a str, T)>,
        aliases: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> ValueIndex<T> {
        let mut index = ValueIndex {
            matching,
            exact: HashMap::default(),
            normalized: HashMap::default(),
        };
        for (value, x) in known {
            index.exact.entry(value.to_string()).or_insert(x);
            if matching == Matching::Normalized {
                index.normalized.entry(matching.key_of(value)).or_insert(x);
            }
        }
        let mut buf = String::new();
        let resolved: Vec<(&str, T)> = aliases
            .into_iter()
            .filter_map(|(alias, target)| Some((alias, index.find(target, &mut buf)?)))
            .collect();
        // Training applies an alias before anything else, so an alias wins.
        for (alias, x) in resolved {
            index.exact.insert(alias.to_string(), x);
            if matching == Matching::Normalized {
                index.normalized.insert(matching.key_of(alias), x);
            }
        }
        index
    }

    /// Every exact spelling known and what it scores as (aliases included), then every
    /// normalized key (empty when matching is exact), each sorted by text so what is generated
    /// from them (SQL) is the same from run to run. `find` tries the first, then the second.
    pub fn entries(&self) -> [Vec<(&str, T)>; 2] {
        [sorted(&self.exact), sorted(&self.normalized)]
    }

    /// What `value` scores as, if it is known. The exact text is tried first; only on a miss is
    /// it normalized, into `buf`, so the common case allocates nothing.
    pub fn find(&self, value: &str, buf: &mut String) -> Option<T> {
        if let Some(x) = self.exact.get(value) {
            return Some(*x);
        }
        match self.matching {
            Matching::Exact => None,
            Matching::Normalized => self.normalized.get(self.matching.key(value, buf)).copied(),
        }
    }
}

/// A map's entries sorted by key.
fn sorted<T: Copy>(map: &HashMap<String, T>) -> Vec<(&str, T)> {
    let mut v: Vec<(&str, T)> = map.iter().map(|(k, x)| (k.as_str(), *x)).collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_matching_ignores_case_and_spaces_and_follows_aliases() {
        let index = ValueIndex::new(
            Matching::Normalized,
            [("referral", 0), ("Software", 1), ("Müller", 2)],
            [("Software & IT", "software"), ("nobody", "unknown")],
        );
        let mut buf = String::new();
        for (value, want) in [
            ("referral", Some(0)),
            ("Referral", Some(0)),
            ("  REFERRAL ", Some(0)),
            ("software", Some(1)),
            ("software  &\u{a0}it", Some(1)),
            ("MÜLLER", Some(2)),
            ("nobody", None),
            ("referal", None),
        ] {
            assert_eq!(index.find(value, &mut buf), want, "{value}");
        }
        let exact = ValueIndex::new(Matching::Exact, [("referral", 0)], [("Ref", "referral")]);
        assert_eq!(exact.find("Referral", &mut buf), None);
        assert_eq!(exact.find("Ref", &mut buf), Some(0));
        assert_eq!(exact.find("ref", &mut buf), None);
        assert_eq!(
            Matching::Normalized.key_of("  Real\tEstate  "),
            "real estate"
        );
    }
}
