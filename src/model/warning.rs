//! What the model had to guess about one lead, as structured values that read as sentences.

/// A guess the model had to make for one lead.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    Imputed {
        feature: String,
        median: f64,
        /// The feature holds years or codes: numbers are written without separators.
        code: bool,
    },
    /// A category value never seen in training, scored as the average; `closest` is a known
    /// value it may be a misspelling of.
    Unseen {
        feature: String,
        value: String,
        closest: Option<String>,
    },
    /// A blank category value where training had none, scored as the average.
    MissingCategory { feature: String },
    OutOfRange {
        feature: String,
        value: f64,
        above: bool,
        used: f64,
        code: bool,
    },
    /// Most of the lead's features were guessed, so `contact` became `qualify`.
    TooLittleKnown { guessed: usize, features: usize },
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
            Warning::Imputed {
                feature,
                median,
                code,
            } => {
                write!(
                    f,
                    "{feature} missing, imputed training median {}",
                    number(*median, *code)
                )
            }
            Warning::Unseen {
                feature,
                value,
                closest,
            } => {
                write!(
                    f,
                    "{feature} {} not seen in training, scored as the average",
                    crate::io::table::shown(value)
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
                code,
            } => {
                let side = if *above { "above" } else { "below" };
                if value == used {
                    write!(
                        f,
                        "{feature} {} {side} the training range",
                        number(*value, *code)
                    )
                } else {
                    write!(
                        f,
                        "{feature} {} {side} the training range, counted as {}",
                        number(*value, *code),
                        number(*used, *code)
                    )
                }
            }
        }
    }
}

/// A number as a person would write it: thousands grouped, no trailing zeros, at most 2
/// decimals (4 below 1, where 2 could hide it).
pub fn plain(v: f64) -> String {
    number(v, false)
}

/// A feature's value as [`plain`] writes it, or with its digits alone for a year or a code.
pub fn number(v: f64, code: bool) -> String {
    let mut s = String::new();
    crate::economics::push_number(&mut s, v, !code);
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
            code: false,
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
        // A year or a code keeps its digits together.
        let w = Warning::OutOfRange {
            feature: "Year_Birth".into(),
            value: 1893.0,
            above: false,
            used: 1940.0,
            code: true,
        };
        assert_eq!(
            w.to_string(),
            "Year_Birth 1893 below the training range, counted as 1940"
        );
        assert_eq!(number(90210.0, true), "90210");
    }
}
