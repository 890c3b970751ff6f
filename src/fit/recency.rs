//! Recency weights (`model.half_life_days`): what customers bought, cost and needed drifts, so a
//! customer won long ago says less about today's leads than one won last month. Customer `i`
//! counts `0.5^((newest − dateᵢ) / half-life)` times in every sum the fit is made of, newest being
//! the latest date in the history; a customer without a date counts as the oldest dated one
//! (the least anyone counts), never more.
//!
//! The weights are scaled to average 1, so the sums still add up to the number of customers and
//! a penalty "per row" means what it means without weights; the fit does not depend on that
//! scale.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::date::format_days;

/// The weights of a history and what the report says about them.
#[derive(Debug, Clone, PartialEq)]
pub struct Recency {
    /// Per customer, in history order; they average 1.
    pub weights: Vec<f64>,
    pub summary: RecencySummary,
}

/// How recency weighting counted the customers, for the train report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecencySummary {
    pub half_life_days: f64,
    /// The latest and earliest dates in the history (YYYY-MM-DD).
    pub newest: String,
    pub oldest: String,
    /// What the oldest dated customer counts, as a share of the newest.
    pub oldest_weight: f64,
    pub customers: usize,
    /// How many equally weighted customers would give a fit as sure: (Σw)² / Σw².
    pub effective_customers: f64,
    /// Customers without a date, weighed as the oldest.
    pub undated: usize,
}

/// The weight of a customer won `age_days` before the newest one.
pub fn weight(age_days: f64, half_life_days: f64) -> f64 {
    (-age_days / half_life_days).exp2()
}

impl Recency {
    /// Weights for customers won on `dates` (`None`: no date), from the history at `path`
    /// whose date column is `column`. An error when no customer has a date.
    pub fn new(
        dates: &[Option<i64>],
        half_life_days: f64,
        path: &str,
        column: &str,
    ) -> Result<Recency> {
        let (Some(newest), Some(oldest)) = (
            dates.iter().flatten().max().copied(),
            dates.iter().flatten().min().copied(),
        ) else {
            return Err(Error::Data(format!(
                "{path}: no customer has a date in column \"{column}\"; model.half_life_days weighs customers by it"
            )));
        };
        let oldest_weight = weight((newest - oldest) as f64, half_life_days);
        let mut weights: Vec<f64> = dates
            .iter()
            .map(|d| {
                d.map_or(oldest_weight, |d| {
                    weight((newest - d) as f64, half_life_days)
                })
            })
            .collect();
        let sum: f64 = weights.iter().sum();
        let mean = sum / weights.len() as f64;
        for w in &mut weights {
            *w /= mean;
        }
        let squares: f64 = weights.iter().map(|w| w * w).sum();
        let total: f64 = weights.iter().sum();
        Ok(Recency {
            summary: RecencySummary {
                half_life_days,
                newest: format_days(newest),
                oldest: format_days(oldest),
                oldest_weight,
                customers: weights.len(),
                effective_customers: total * total / squares,
                undated: dates.iter().filter(|d| d.is_none()).count(),
            },
            weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_life_ago_counts_half_and_two_a_quarter() {
        assert_eq!(weight(0.0, 365.0), 1.0);
        assert!((weight(365.0, 365.0) - 0.5).abs() < 1e-15);
        assert!((weight(730.0, 365.0) - 0.25).abs() < 1e-15);
        assert!((weight(100.0, 200.0) - 0.5f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn weights_average_one_and_the_undated_count_as_the_oldest() {
        let dates = [Some(1_000), Some(1_100), None, Some(1_200)];
        let r = Recency::new(&dates, 100.0, "h.csv", "won_on").unwrap();
        let w = &r.weights;
        assert!((w.iter().sum::<f64>() - 4.0).abs() < 1e-12);
        // Relative to the newest: 1/4, 1/2, 1/4 (as the oldest), 1.
        assert!((w[0] / w[3] - 0.25).abs() < 1e-12);
        assert!((w[1] / w[3] - 0.5).abs() < 1e-12);
        assert_eq!(w[2], w[0]);
        let s = &r.summary;
        assert_eq!(
            (s.newest.as_str(), s.oldest.as_str()),
            ("1973-04-15", "1972-09-27")
        );
        assert!((s.oldest_weight - 0.25).abs() < 1e-15);
        assert_eq!((s.customers, s.undated), (4, 1));
        // (Σw)²/Σw² with w ∝ 1, 2, 1, 4: 64 / 22.
        assert!((s.effective_customers - 64.0 / 22.0).abs() < 1e-12);
    }

    #[test]
    fn one_date_for_everyone_weighs_everyone_one() {
        let r = Recency::new(&[Some(5), Some(5), None], 365.0, "h.csv", "d").unwrap();
        assert_eq!(r.weights, vec![1.0; 3]);
        assert_eq!(r.summary.effective_customers, 3.0);
    }

    #[test]
    fn no_date_at_all_is_an_error_naming_the_column() {
        let e = Recency::new(&[None, None], 365.0, "h.csv", "won_on").unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.csv: no customer has a date in column \"won_on\"; model.half_life_days weighs customers by it"
        );
    }
}
