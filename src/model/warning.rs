//! What the model had to guess about one lead, as structured values that read as sentences.

/// A guess the model had to make for one lead.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    Imputed {
        feature: String,
        median: f64,
    },
    /// A category value never seen in training, scored as the average; `closest` is a known
    /// value it may be a misspelling of.
    Unseen {
        feature: String,
        value: String,
        closest: Option<String>,
    },
    /// A blank category value where training had none, scored as the average.
    MissingCategory {
        feature: String,
    },
    OutOfRange {
        feature: String,
        value: f64,
        above: bool,
        used: f64,
    },
    /// Most of the lead's features were guessed, so `contact` became `qualify`.
    TooLittleKnown {
        guessed: usize,
        features: usize,
    },
}

impl Warning {
    /// True for a value the model had to make up (not merely clamp).
    pub fn is_guess(&self) -> bool {
        matches!(
            self,
            Warning::Imputed { .. } | Warning::Unseen { .. } | Warning::MissingCategory { .. }
        )
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::Imputed { feature, median } => {
                write!(
                    f,
                    "{feature} missing, imputed training median {}",
                    plain(*median)
                )
            }
            Warning::Unseen {
                feature,
                value,
                closest,
            } => {
                write!(
                    f,
                    "{feature} \"{value}\" not seen in training, scored as the average"
                )?;
                match closest {
                    Some(c) => write!(f, "; did you mean \"{c}\"?"),
                    None => Ok(()),
                }
            }
            Warning::MissingCategory { feature } => {
                write!(
                    f,
                    "{feature} missing (never missing in training), scored as the average"
                )
            }
            Warning::TooLittleKnown { guessed, features } => write!(
                f,
                "{guessed} of {features} features guessed: too little known to recommend contact, qualify first"
            ),
            Warning::OutOfRange {
                feature,
                value,
                above,
                used,
            } => {
                let side = if *above { "above" } else { "below" };
                if value == used {
                    write!(f, "{feature} {} {side} the training range", plain(*value))
                } else {
                    write!(
                        f,
                        "{feature} {} {side} the training range, counted as {}",
                        plain(*value),
                        plain(*used)
                    )
                }
            }
        }
    }
}

/// A number as a person would write it: thousands grouped, no trailing zeros, at most 2
/// decimals (4 below 1, where 2 could hide it).
pub fn plain(v: f64) -> String {
    let mut s = String::new();
    crate::economics::push_plain(&mut s, v);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_read_as_sentences() {
        let w = Warning::OutOfRange {
            feature: "employees".into(),
            value: 60000.0,
            above: true,
            used: 2100.5,
        };
        assert_eq!(
            w.to_string(),
            "employees 60,000 above the training range, counted as 2,100.5"
        );
        let w = Warning::Unseen {
            feature: "industry".into(),
            value: "aerospace".into(),
            closest: None,
        };
        assert_eq!(
            w.to_string(),
            "industry \"aerospace\" not seen in training, scored as the average"
        );
        let w = Warning::Unseen {
            feature: "industry".into(),
            value: "Sofware".into(),
            closest: Some("software".into()),
        };
        assert_eq!(
            w.to_string(),
            "industry \"Sofware\" not seen in training, scored as the average; did you mean \"software\"?"
        );
        let w = Warning::MissingCategory {
            feature: "industry".into(),
        };
        assert_eq!(
            w.to_string(),
            "industry missing (never missing in training), scored as the average"
        );
        assert_eq!(plain(35.0), "35");
        assert_eq!(plain(-0.00001), "0");
        assert_eq!(plain(112_168_417.414), "112,168,417.41");
        assert_eq!(plain(0.12345), "0.1235");
    }
}
