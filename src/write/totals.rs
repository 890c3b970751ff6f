//! Count and money of groups of leads (all, per tier, per recommendation), summed from the
//! figures as written. Every writer that shows totals (the workbook's Summary sheet, the page,
//! an export's index of files) sums here, so they agree to the cent with each other and with
//! a spreadsheet's sum of the written column.

use crate::economics::{Recommendation, Tier};
use crate::model::scorer::ScoredLead;

/// Count and money of a group of leads: sums of the figures as written.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    pub leads: u64,
    pub lifetime_return: f64,
    pub service_burden: f64,
    pub net: f64,
}

/// The totals of a set of leads, all together and per group.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    pub all: Tally,
    /// In the order of [`Tier::ALL`].
    pub by_tier: [Tally; 4],
    /// In the order of [`Recommendation::ALL`].
    pub by_recommendation: [Tally; 3],
}

impl Totals {
    pub fn tier(&self, tier: Tier) -> Tally {
        self.by_tier[tier as usize]
    }

    pub fn recommendation(&self, r: Recommendation) -> Tally {
        self.by_recommendation[r as usize]
    }
}

/// Sums kept in whole minor units (cents for 2 decimals): the written figures are exact decimals,
/// and summing them as integers makes a total the exact sum, not one that drifts by float noise
/// over 100k leads, and the same whatever order the leads come in.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    leads: u64,
    ret: i128,
    burden: i128,
    net: i128,
}

impl Sum {
    fn add(&mut self, units: [i128; 3]) {
        self.leads += 1;
        self.ret += units[0];
        self.burden += units[1];
        self.net += units[2];
    }

    fn merge(&mut self, other: &Sum) {
        self.leads += other.leads;
        self.ret += other.ret;
        self.burden += other.burden;
        self.net += other.net;
    }

    fn tally(&self, scale: f64) -> Tally {
        Tally {
            leads: self.leads,
            lifetime_return: self.ret as f64 / scale,
            service_burden: self.burden as f64 / scale,
            net: self.net as f64 / scale,
        }
    }
}

/// Adds up leads scored to `decimals` places.
#[derive(Debug, Clone, Copy)]
pub struct Accumulator {
    scale: f64,
    all: Sum,
    by_tier: [Sum; 4],
    by_recommendation: [Sum; 3],
}

impl Accumulator {
    /// Totals of leads whose money was rounded to `decimals` places when scored.
    pub fn new(decimals: usize) -> Accumulator {
        Accumulator {
            scale: 10f64.powi(decimals.min(15) as i32),
            all: Sum::default(),
            by_tier: [Sum::default(); 4],
            by_recommendation: [Sum::default(); 3],
        }
    }

    /// Counts one lead's written return, burden and net.
    pub fn add(&mut self, lead: &ScoredLead) {
        let m = &lead.money;
        let units = [
            self.units(m.lifetime_return),
            self.units(m.service_burden),
            self.units(m.net),
        ];
        self.all.add(units);
        self.by_tier[lead.tier as usize].add(units);
        self.by_recommendation[lead.recommendation as usize].add(units);
    }

    /// Adds another accumulator's leads (scored to the same decimals).
    pub fn merge(&mut self, other: &Accumulator) {
        self.all.merge(&other.all);
        for (a, b) in self.by_tier.iter_mut().zip(&other.by_tier) {
            a.merge(b);
        }
        for (a, b) in self
            .by_recommendation
            .iter_mut()
            .zip(&other.by_recommendation)
        {
            a.merge(b);
        }
    }

    pub fn totals(&self) -> Totals {
        Totals {
            all: self.all.tally(self.scale),
            by_tier: self.by_tier.map(|t| t.tally(self.scale)),
            by_recommendation: self.by_recommendation.map(|r| r.tally(self.scale)),
        }
    }

    fn units(&self, v: f64) -> i128 {
        (v * self.scale).round() as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(tier: Tier, recommendation: Recommendation, ret: f64, burden: f64) -> ScoredLead {
        let mut l = ScoredLead {
            tier,
            recommendation,
            ..ScoredLead::default()
        };
        l.money.lifetime_return = ret;
        l.money.service_burden = burden;
        l.money.net = ret - burden;
        l
    }

    #[test]
    fn totals_are_exact_sums_in_any_order_and_merge() {
        // 0.1 + 0.2 is not 0.3 in floats; in cents it is.
        let leads = [
            lead(Tier::A, Recommendation::Contact, 0.1, 0.0),
            lead(Tier::A, Recommendation::Contact, 0.2, 0.0),
            lead(Tier::D, Recommendation::Skip, 1.05, 3.5),
        ];
        let mut one = Accumulator::new(2);
        for l in &leads {
            one.add(l);
        }
        let mut a = Accumulator::new(2);
        a.add(&leads[2]);
        let mut b = Accumulator::new(2);
        b.add(&leads[1]);
        b.add(&leads[0]);
        a.merge(&b);
        assert_eq!(a.totals(), one.totals());
        let t = one.totals();
        assert_eq!(t.tier(Tier::A).lifetime_return, 0.3);
        assert_eq!(t.all.leads, 3);
        assert_eq!(t.all.net, -2.15);
        assert_eq!(t.recommendation(Recommendation::Skip).service_burden, 3.5);
        assert_eq!(t.tier(Tier::B), Tally::default());
    }
}
