//! The generating process behind `data/customers.csv`, `data/leads.csv` and the later batch
//! `data/customers_2026q4.csv`.
//!
//! This is a plain module (std + rand + rand_chacha + rand_distr + csv only) so
//! that tests and benchmarks can include it with
//! `#[path = "../../examples/gen_data/story.rs"] mod story;`.
//!
//! Every outcome column is (its expected value) × (mean-one noise), and every
//! expected value is an exact linear function of the scorer's model features:
//! one-hot(industry, region, lead_source, product_interest) plus
//! ln(1 + employees), ln(1 + annual_revenue) and ln(1 + first_order_value).
//! Because the economics that turn columns into lifetime return and service
//! burden are linear too, E[return | features] and E[burden | features] are
//! exactly linear, with the coefficients given by [`true_effects`].
//!
//! See `data/README.md` for the story in words.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};
use std::io::{self, Write};

// ---------------------------------------------------------------------------
// Economics: how outcome columns become money
// ---------------------------------------------------------------------------

/// Share of referred customers' revenue credited to the referrer.
pub const REFERRAL_CREDIT: f64 = 0.25;
/// EUR per hour of sales effort spent to win the customer.
pub const SALES_HOUR_COST: f64 = 85.0;
/// EUR per hour of support.
pub const SUPPORT_HOUR_COST: f64 = 55.0;
/// EUR per complaint handled.
pub const COMPLAINT_COST: f64 = 150.0;
/// Weight of written-off (unpaid) invoices in the burden, EUR per EUR.
pub const WRITE_OFF_WEIGHT: f64 = 1.0;

/// lifetime return = Σ weight × column.
pub const RETURN_WEIGHTS: [(&str, f64); 4] = [
    ("lifetime_revenue", 1.0),
    ("cost_of_goods", -1.0),
    ("commissions_paid", -1.0),
    ("referral_revenue", REFERRAL_CREDIT),
];

/// service burden = Σ weight × column.
pub const BURDEN_WEIGHTS: [(&str, f64); 4] = [
    ("sales_hours", SALES_HOUR_COST),
    ("support_hours", SUPPORT_HOUR_COST),
    ("complaints", COMPLAINT_COST),
    ("written_off", WRITE_OFF_WEIGHT),
];

// ---------------------------------------------------------------------------
// Files and levels
// ---------------------------------------------------------------------------

pub const CUSTOMER_HEADER: [&str; 17] = [
    "customer_id",
    "won_on",
    "industry",
    "region",
    "employees",
    "annual_revenue",
    "lead_source",
    "product_interest",
    "first_order_value",
    "lifetime_revenue",
    "cost_of_goods",
    "commissions_paid",
    "referral_revenue",
    "sales_hours",
    "support_hours",
    "complaints",
    "written_off",
];

pub const LEAD_HEADER: [&str; 9] = [
    "lead_id",
    "company",
    "industry",
    "region",
    "employees",
    "annual_revenue",
    "lead_source",
    "product_interest",
    "first_order_value",
];

/// All industries. `mining` is rare among customers (~0.3%); `aerospace`
/// appears only among leads (~0.5%), never among customers.
pub const INDUSTRIES: [&str; 10] = [
    "retail",
    "manufacturing",
    "software",
    "healthcare",
    "finance",
    "logistics",
    "hospitality",
    "construction",
    "mining",
    "aerospace",
];
pub const REGIONS: [&str; 5] = ["north", "south", "east", "west", "central"];
pub const LEAD_SOURCES: [&str; 6] = [
    "referral",
    "web",
    "trade_show",
    "outbound",
    "partner",
    "paid_ads",
];
pub const PRODUCT_INTERESTS: [&str; 4] = ["basic", "standard", "premium", "custom"];

/// Reference levels (effect 0 in every table): retail, central, web, standard.
pub const REFERENCE_LEVELS: [&str; 4] = ["retail", "central", "web", "standard"];

/// Lower bounds of the numeric features (the generator enforces them), so
/// ln(1 + x) is never below ln(1 + bound).
pub const EMPLOYEES_MIN: f64 = 1.0;
pub const ANNUAL_REVENUE_MIN: f64 = 50_000.0;
pub const FIRST_ORDER_VALUE_MIN: f64 = 250.0;
/// Largest company among customers; a few leads are far above it.
pub const CUSTOMER_EMPLOYEES_CAP: f64 = 20_000.0;

/// Customers use `seed`, leads use `seed ^ LEAD_SEED_XOR`.
pub const LEAD_SEED_XOR: u64 = 0x5EED_1EAD;
/// The single mistyped annual_revenue row is the first customer, at or after
/// a position drawn from `seed ^ MISTYPE_SEED_XOR` (uniform over the first
/// half of the file, at most MISTYPE_START_MAX), whose true annual_revenue is
/// at least MISTYPE_MIN_REVENUE (so the mistyped value, ≥ 2 billion EUR, is
/// an outlier on any scale). With n ≥ 2 × MISTYPE_START_MAX the row does not
/// depend on n, so a longer file extends a shorter one row for row.
pub const MISTYPE_SEED_XOR: u64 = 0x0BAD_D161;
pub const MISTYPE_START_MAX: usize = 1000;
pub const MISTYPE_MIN_REVENUE: f64 = 20_000_000.0;
/// Factor applied to the mistyped annual_revenue (two extra digits).
pub const MISTYPE_FACTOR: f64 = 100.0;

/// `won_on` comes from `seed ^ DATE_SEED_XOR`, a stream of its own: adding the column left
/// every other value of customers.csv as it was.
pub const DATE_SEED_XOR: u64 = 0xDA7E_DA7E;
/// customers.csv holds customers won from this day (inclusive) …
pub const HISTORY_FIRST_DAY: (i64, i64, i64) = (2023, 1, 1);
/// … up to this one (exclusive), where the Q4 batch starts.
pub const HISTORY_END_DAY: (i64, i64, i64) = (2026, 10, 1);
/// The Q4 batch ends before this day.
pub const Q4_END_DAY: (i64, i64, i64) = (2026, 12, 1);
/// Customers won per day grow by this rate per year (continuously): about 2.6 times as many
/// a day in September 2026 as in January 2023.
const WON_GROWTH_PER_YEAR: f64 = 0.26;
/// A drawn Saturday or Sunday is kept with this probability (else drawn again): deals close
/// on working days.
const WEEKEND_KEEP: f64 = 0.08;
/// Share of customers.csv rows whose won_on is blank (a date the old CRM never recorded).
const HISTORY_BLANK_WON_ON_RATE: f64 = 0.002;

/// The Q4 batch (`customers_2026q4.csv`) comes from `seed ^ Q4_SEED_XOR` alone, so writing it
/// changes neither customers.csv nor leads.csv.
pub const Q4_SEED_XOR: u64 = 0x2026_0A11;
/// New customers in the Q4 batch unless told otherwise.
pub const Q4_NEW_DEFAULT: usize = 640;
/// Existing customers whose outcomes grew since customers.csv was exported: at most this
/// many, and at most one in 30 of the history.
pub const Q4_UPDATED_MAX: usize = 100;
/// Existing customers repeated exactly as in customers.csv: at most this many, and at most
/// one in 100 of the history.
pub const Q4_UNCHANGED_MAX: usize = 30;

// What moved in the market from 2026-10-01 (customers won in the Q4 batch only).
/// Partner-sourced customers need this many more support hours …
pub const Q4_PARTNER_EXTRA_SUPPORT_HOURS: f64 = 100.0;
/// … and raise this many more complaints.
pub const Q4_PARTNER_EXTRA_COMPLAINTS: f64 = 1.5;
/// Paid-ads leads take this many fewer sales hours to win.
pub const Q4_PAID_ADS_FEWER_SALES_HOURS: f64 = 10.0;
/// Lead-source mix of the Q4 batch: partners bring twice their old share.
const Q4_SOURCE_WEIGHTS: [f64; 6] = [0.11, 0.22, 0.11, 0.17, 0.24, 0.15];

// Population mix.
/// Industry mix of the eight common industries; mining and aerospace are
/// placed by systematic sampling (see the `*_EVERY` constants).
const INDUSTRY_WEIGHTS: [f64; 10] = [
    0.160, 0.170, 0.140, 0.110, 0.090, 0.110, 0.100, 0.120, 0.0, 0.0,
];
/// Median employees by industry (lognormal, σ = EMPLOYEES_SIGMA).
const INDUSTRY_MEDIAN_EMPLOYEES: [f64; 10] =
    [24.0, 60.0, 35.0, 45.0, 50.0, 40.0, 14.0, 26.0, 150.0, 250.0];
const EMPLOYEES_SIGMA: f64 = 1.25;
const REVENUE_PER_EMPLOYEE: f64 = 120_000.0;
const REVENUE_SIGMA: f64 = 0.5;
const REGION_WEIGHTS: [f64; 5] = [0.21, 0.20, 0.18, 0.23, 0.18];
const SOURCE_WEIGHTS: [f64; 6] = [0.12, 0.25, 0.13, 0.20, 0.12, 0.18];
const PRODUCT_WEIGHTS_SMALL: [f64; 4] = [0.34, 0.35, 0.19, 0.12];
const PRODUCT_WEIGHTS_LARGE: [f64; 4] = [0.16, 0.34, 0.30, 0.20];
/// Companies above this many employees use PRODUCT_WEIGHTS_LARGE.
const LARGE_COMPANY: f64 = 150.0;
/// first_order_value = base(product) × (1 + employees)^FOV_SIZE_POWER × noise.
const FOV_BASE: [f64; 4] = [600.0, 1_200.0, 2_500.0, 4_500.0];
const FOV_SIZE_POWER: f64 = 0.4;
const FOV_SIGMA: f64 = 0.5;

// Messiness.
const CUSTOMER_BLANK_RATE: f64 = 0.005; // employees, annual_revenue, region each
const LEAD_NUMERIC_BLANK_RATE: f64 = 0.01; // employees, annual_revenue, first_order_value each
const LEAD_REGION_BLANK_RATE: f64 = 0.005;
/// Exactly one row in every block of this many rows (at a random position in
/// the block) is `mining` (customers and leads, ≈0.3%).
pub const MINING_EVERY: usize = 333;
/// … is `aerospace` (leads only, 0.5%).
pub const AEROSPACE_EVERY: usize = 200;
/// … has 40,000–90,000 employees (leads only, ≈0.3%).
pub const HUGE_EVERY: usize = 333;
const LEAD_HUGE_EMPLOYEES: (f64, f64) = (40_000.0, 90_000.0);

// ---------------------------------------------------------------------------
// Per-column expectations
// ---------------------------------------------------------------------------

/// One outcome column's expectation, written relative to the floor of the
/// feature domain so that non-negativity is visible:
///
/// E = floor + industry + region + source + product
///       + b_emp × (ln(1+employees) − ln(1+EMPLOYEES_MIN))
///       + b_rev × (ln(1+annual_revenue) − ln(1+ANNUAL_REVENUE_MIN))
///       + b_fov × (ln(1+first_order_value) − ln(1+FIRST_ORDER_VALUE_MIN))
///
/// with every b ≥ 0 and `floor` + the most negative effect of each category
/// ≥ 0, so E ≥ 0 everywhere on the domain.
#[derive(Clone, Copy, Debug)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub floor: f64,
    pub industry: [f64; 10],
    pub region: [f64; 5],
    pub lead_source: [f64; 6],
    pub product_interest: [f64; 4],
    pub b_emp: f64,
    pub b_rev: f64,
    pub b_fov: f64,
}

// Level order reminders:
// industry: retail manufacturing software healthcare finance logistics hospitality construction mining aerospace
// region:   north south east west central
// source:   referral web trade_show outbound partner paid_ads
// product:  basic standard premium custom

pub const LIFETIME_REVENUE: ColumnSpec = ColumnSpec {
    name: "lifetime_revenue",
    floor: 1_000.0,
    industry: [
        0.0, 7_000.0, 10_000.0, 5_000.0, 26_000.0, 3_500.0, 18_000.0, 4_000.0, 10_000.0, 18_000.0,
    ],
    region: [2_000.0, 0.0, 1_000.0, 1_500.0, 1_000.0],
    lead_source: [6_000.0, 1_000.0, 4_000.0, 0.0, 8_000.0, 0.0],
    product_interest: [0.0, 2_000.0, 12_000.0, 22_000.0],
    b_emp: 15_000.0,
    b_rev: 1_500.0,
    b_fov: 2_500.0,
};

pub const COST_OF_GOODS: ColumnSpec = ColumnSpec {
    name: "cost_of_goods",
    floor: 500.0,
    industry: [
        0.0, 4_500.0, 1_500.0, 3_000.0, 21_000.0, 2_000.0, 15_500.0, 2_500.0, 6_000.0, 10_000.0,
    ],
    region: [1_000.0, 0.0, 500.0, 1_000.0, 500.0],
    lead_source: [2_500.0, 700.0, 1_900.0, 200.0, 3_300.0, 0.0],
    product_interest: [0.0, 1_000.0, 6_500.0, 15_000.0],
    b_emp: 8_400.0,
    b_rev: 1_100.0,
    b_fov: 1_500.0,
};

pub const COMMISSIONS_PAID: ColumnSpec = ColumnSpec {
    name: "commissions_paid",
    floor: 100.0,
    industry: [
        0.0, 200.0, 300.0, 200.0, 2_500.0, 100.0, 300.0, 100.0, 300.0, 500.0,
    ],
    region: [0.0, 0.0, 0.0, 0.0, 0.0],
    lead_source: [600.0, 0.0, 300.0, 700.0, 7_000.0, 0.0],
    product_interest: [0.0, 100.0, 500.0, 900.0],
    b_emp: 600.0,
    b_rev: 50.0,
    b_fov: 150.0,
};

pub const REFERRAL_REVENUE: ColumnSpec = ColumnSpec {
    name: "referral_revenue",
    floor: 300.0,
    industry: [
        800.0, 0.0, 1_500.0, 500.0, 0.0, 300.0, 2_500.0, 2_000.0, 0.0, 0.0,
    ],
    region: [300.0, 0.0, 0.0, 0.0, 0.0],
    lead_source: [24_000.0, 600.0, 2_000.0, 0.0, 3_500.0, 0.0],
    product_interest: [0.0, 0.0, 1_500.0, 1_000.0],
    b_emp: 600.0,
    b_rev: 300.0,
    b_fov: 0.0,
};

pub const SALES_HOURS: ColumnSpec = ColumnSpec {
    name: "sales_hours",
    floor: 20.0,
    industry: [0.0, 3.0, 4.0, 6.0, 10.0, 2.0, 0.0, 2.0, 10.0, 16.0],
    region: [0.0, 0.0, 0.0, 0.0, 0.0],
    lead_source: [0.0, 6.0, 14.0, 32.0, 9.0, 24.0],
    product_interest: [0.0, 3.0, 9.0, 21.0],
    b_emp: 3.0,
    b_rev: 0.0,
    b_fov: 1.5,
};

pub const SUPPORT_HOURS: ColumnSpec = ColumnSpec {
    name: "support_hours",
    floor: 130.0,
    industry: [0.0, 0.0, 15.0, 35.0, 100.0, 5.0, 125.0, 15.0, 20.0, 40.0],
    region: [0.0, 10.0, 0.0, 0.0, 0.0],
    lead_source: [0.0, 5.0, 5.0, 10.0, 10.0, 20.0],
    product_interest: [0.0, 20.0, 55.0, 200.0],
    b_emp: 6.0,
    b_rev: 0.0,
    b_fov: 2.0,
};

pub const COMPLAINTS: ColumnSpec = ColumnSpec {
    name: "complaints",
    floor: 0.3,
    industry: [0.2, 0.1, 0.4, 1.1, 2.6, 0.3, 2.8, 1.1, 0.6, 0.6],
    region: [0.0, 0.4, 0.0, 0.0, 0.0],
    lead_source: [0.0, 0.2, 0.2, 0.4, 0.4, 0.8],
    product_interest: [0.0, 0.2, 0.7, 2.4],
    b_emp: 0.12,
    b_rev: 0.0,
    b_fov: 0.04,
};

pub const WRITTEN_OFF: ColumnSpec = ColumnSpec {
    name: "written_off",
    floor: 60.0,
    industry: [
        100.0, 0.0, 0.0, 0.0, 150.0, 150.0, 1_300.0, 1_600.0, 300.0, 0.0,
    ],
    region: [0.0, 700.0, 0.0, 0.0, 0.0],
    lead_source: [0.0, 100.0, 100.0, 150.0, 50.0, 400.0],
    product_interest: [0.0, 0.0, 100.0, 300.0],
    b_emp: 20.0,
    b_rev: 0.0,
    b_fov: 20.0,
};

/// The eight outcome columns in file order.
pub const COLUMN_SPECS: [ColumnSpec; 8] = [
    LIFETIME_REVENUE,
    COST_OF_GOODS,
    COMMISSIONS_PAID,
    REFERRAL_REVENUE,
    SALES_HOURS,
    SUPPORT_HOURS,
    COMPLAINTS,
    WRITTEN_OFF,
];

// Noise (all factors are mean-one).
/// Shared "volume" factor of lifetime_revenue, cost_of_goods, commissions_paid.
const VOLUME_SIGMA: f64 = 0.24;
const LIFETIME_REVENUE_SIGMA: f64 = 0.06;
const COST_OF_GOODS_SIGMA: f64 = 0.05;
const COMMISSIONS_SIGMA: f64 = 0.30;
const REFERRAL_SIGMA: f64 = 0.8;
const SALES_HOURS_SIGMA: f64 = 0.35;
/// Shared "demandingness" factor of support_hours and complaints.
const DEMAND_SIGMA: f64 = 0.20;
const SUPPORT_HOURS_SIGMA: f64 = 0.12;
/// written_off = Bernoulli(WRITE_OFF_PROB) × expected / WRITE_OFF_PROB × mean-one lognormal.
pub const WRITE_OFF_PROB: f64 = 0.12;
const WRITE_OFF_SIGMA: f64 = 0.3;

fn ln1p_floor(min: f64) -> f64 {
    min.ln_1p()
}

fn level_index(levels: &[&str], kind: &str, value: &str) -> usize {
    levels
        .iter()
        .position(|l| *l == value)
        .unwrap_or_else(|| panic!("story: unknown {kind} level {value:?}"))
}

/// Indices and logs of a feature vector, computed once.
#[derive(Clone, Copy, Debug)]
struct Design {
    industry: usize,
    region: usize,
    source: usize,
    product: usize,
    ln_emp: f64,
    ln_rev: f64,
    ln_fov: f64,
}

impl Design {
    fn of(f: &Features) -> Self {
        Design {
            industry: level_index(&INDUSTRIES, "industry", &f.industry),
            region: level_index(&REGIONS, "region", &f.region),
            source: level_index(&LEAD_SOURCES, "lead_source", &f.lead_source),
            product: level_index(&PRODUCT_INTERESTS, "product_interest", &f.product_interest),
            ln_emp: f.employees.ln_1p(),
            ln_rev: f.annual_revenue.ln_1p(),
            ln_fov: f.first_order_value.ln_1p(),
        }
    }
}

impl ColumnSpec {
    fn expect(&self, d: &Design) -> f64 {
        self.floor
            + self.industry[d.industry]
            + self.region[d.region]
            + self.lead_source[d.source]
            + self.product_interest[d.product]
            + self.b_emp * (d.ln_emp - ln1p_floor(EMPLOYEES_MIN))
            + self.b_rev * (d.ln_rev - ln1p_floor(ANNUAL_REVENUE_MIN))
            + self.b_fov * (d.ln_fov - ln1p_floor(FIRST_ORDER_VALUE_MIN))
    }

    /// Exact E[column | features].
    pub fn expected(&self, f: &Features) -> f64 {
        self.expect(&Design::of(f))
    }

    /// Smallest expectation anywhere on the feature domain (≥ 0 by design).
    pub fn minimum_over_domain(&self) -> f64 {
        fn min(xs: &[f64]) -> f64 {
            xs.iter().copied().fold(f64::INFINITY, f64::min)
        }
        self.floor
            + min(&self.industry)
            + min(&self.region)
            + min(&self.lead_source)
            + min(&self.product_interest)
            + if self.b_emp < 0.0 || self.b_rev < 0.0 || self.b_fov < 0.0 {
                f64::NEG_INFINITY // unbounded below as a size grows
            } else {
                0.0
            }
    }

    /// This column's expectation as a plain linear model in ln(1 + x).
    pub fn effects(&self) -> Effects {
        Effects::zero().add_scaled(self, 1.0)
    }
}

// ---------------------------------------------------------------------------
// Public model-level API
// ---------------------------------------------------------------------------

/// True feature values (never blank, even when the file shows a blank).
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    pub industry: String,
    pub region: String,
    pub employees: f64,
    pub annual_revenue: f64,
    pub lead_source: String,
    pub product_interest: String,
    pub first_order_value: f64,
}

/// A linear model: intercept + one effect per category level + three
/// coefficients on ln(1 + employees), ln(1 + annual_revenue),
/// ln(1 + first_order_value). Reference levels (see [`REFERENCE_LEVELS`])
/// have effect 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effects {
    pub intercept: f64,
    pub industry: [(&'static str, f64); 10],
    pub region: [(&'static str, f64); 5],
    pub lead_source: [(&'static str, f64); 6],
    pub product_interest: [(&'static str, f64); 4],
    pub ln_employees: f64,
    pub ln_annual_revenue: f64,
    pub ln_first_order_value: f64,
}

fn labelled<const N: usize>(levels: &[&'static str; N]) -> [(&'static str, f64); N] {
    let mut out = [("", 0.0); N];
    for (o, l) in out.iter_mut().zip(levels) {
        *o = (l, 0.0);
    }
    out
}

impl Effects {
    fn zero() -> Self {
        Effects {
            intercept: 0.0,
            industry: labelled(&INDUSTRIES),
            region: labelled(&REGIONS),
            lead_source: labelled(&LEAD_SOURCES),
            product_interest: labelled(&PRODUCT_INTERESTS),
            ln_employees: 0.0,
            ln_annual_revenue: 0.0,
            ln_first_order_value: 0.0,
        }
    }

    /// Adds `w` × the column's model. Each table is rebased so that the
    /// reference level has effect 0 (the difference goes into the intercept).
    fn add_scaled(mut self, c: &ColumnSpec, w: f64) -> Self {
        fn rebase<const N: usize>(
            table: &mut [(&'static str, f64); N],
            raw: &[f64; N],
            levels: &[&str; N],
            reference: &str,
            w: f64,
        ) -> f64 {
            let r = raw[level_index(levels, "reference", reference)];
            for (t, v) in table.iter_mut().zip(raw) {
                t.1 += w * (v - r);
            }
            w * r
        }
        self.intercept += w
            * (c.floor
                - c.b_emp * ln1p_floor(EMPLOYEES_MIN)
                - c.b_rev * ln1p_floor(ANNUAL_REVENUE_MIN)
                - c.b_fov * ln1p_floor(FIRST_ORDER_VALUE_MIN));
        self.intercept += rebase(
            &mut self.industry,
            &c.industry,
            &INDUSTRIES,
            REFERENCE_LEVELS[0],
            w,
        );
        self.intercept += rebase(
            &mut self.region,
            &c.region,
            &REGIONS,
            REFERENCE_LEVELS[1],
            w,
        );
        self.intercept += rebase(
            &mut self.lead_source,
            &c.lead_source,
            &LEAD_SOURCES,
            REFERENCE_LEVELS[2],
            w,
        );
        self.intercept += rebase(
            &mut self.product_interest,
            &c.product_interest,
            &PRODUCT_INTERESTS,
            REFERENCE_LEVELS[3],
            w,
        );
        self.ln_employees += w * c.b_emp;
        self.ln_annual_revenue += w * c.b_rev;
        self.ln_first_order_value += w * c.b_fov;
        self
    }

    fn effect<const N: usize>(table: &[(&'static str, f64); N], kind: &str, v: &str) -> f64 {
        table
            .iter()
            .find(|(l, _)| *l == v)
            .map(|(_, e)| *e)
            .unwrap_or_else(|| panic!("story: unknown {kind} level {v:?}"))
    }

    /// Evaluates the linear model at `f`.
    pub fn predict(&self, f: &Features) -> f64 {
        self.intercept
            + Self::effect(&self.industry, "industry", &f.industry)
            + Self::effect(&self.region, "region", &f.region)
            + Self::effect(&self.lead_source, "lead_source", &f.lead_source)
            + Self::effect(
                &self.product_interest,
                "product_interest",
                &f.product_interest,
            )
            + self.ln_employees * f.employees.ln_1p()
            + self.ln_annual_revenue * f.annual_revenue.ln_1p()
            + self.ln_first_order_value * f.first_order_value.ln_1p()
    }
}

/// The true coefficient tables.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrueEffects {
    /// E[lifetime return | features], EUR.
    pub lifetime_return: Effects,
    /// E[service burden | features], EUR.
    pub service_burden: Effects,
    /// E[net value | features] = return − burden, EUR.
    pub net_value: Effects,
}

fn weight_of(weights: &[(&str, f64)], name: &str) -> f64 {
    weights
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, w)| *w)
        .unwrap_or(0.0)
}

/// A market: who becomes a customer (the lead-source mix) and what each column's expectation
/// is. customers.csv and leads.csv come from [`HISTORY`]; the new customers of the Q4 batch
/// from [`q4_market`].
#[derive(Clone, Copy, Debug)]
pub struct Market {
    /// The eight outcome columns in file order.
    pub columns: [ColumnSpec; 8],
    /// Weights of [`LEAD_SOURCES`] among the customers (and leads) drawn.
    pub source_weights: [f64; 6],
}

/// The market of customers.csv and leads.csv (customers won 2023-01-01 .. 2026-09-30).
pub const HISTORY: Market = Market {
    columns: COLUMN_SPECS,
    source_weights: SOURCE_WEIGHTS,
};

/// The market from 2026-10-01, as the Q4 batch's new customers meet it: partner-sourced
/// customers need [`Q4_PARTNER_EXTRA_SUPPORT_HOURS`] more support hours and raise
/// [`Q4_PARTNER_EXTRA_COMPLAINTS`] more complaints, paid-ads leads take
/// [`Q4_PAID_ADS_FEWER_SALES_HOURS`] fewer sales hours to win, and partners bring twice their
/// old share of customers. Everything else is as in [`HISTORY`].
pub fn q4_market() -> Market {
    let mut m = HISTORY;
    let partner = level_index(&LEAD_SOURCES, "lead_source", "partner");
    let paid_ads = level_index(&LEAD_SOURCES, "lead_source", "paid_ads");
    for c in &mut m.columns {
        match c.name {
            "support_hours" => c.lead_source[partner] += Q4_PARTNER_EXTRA_SUPPORT_HOURS,
            "complaints" => c.lead_source[partner] += Q4_PARTNER_EXTRA_COMPLAINTS,
            "sales_hours" => c.lead_source[paid_ads] -= Q4_PAID_ADS_FEWER_SALES_HOURS,
            _ => {}
        }
    }
    m.source_weights = Q4_SOURCE_WEIGHTS;
    m
}

impl Market {
    /// True coefficient tables for return, burden and net value in this market.
    pub fn true_effects(&self) -> TrueEffects {
        let mut ret = Effects::zero();
        let mut bur = Effects::zero();
        let mut net = Effects::zero();
        for c in &self.columns {
            let wr = weight_of(&RETURN_WEIGHTS, c.name);
            let wb = weight_of(&BURDEN_WEIGHTS, c.name);
            ret = ret.add_scaled(c, wr);
            bur = bur.add_scaled(c, wb);
            net = net.add_scaled(c, wr - wb);
        }
        TrueEffects {
            lifetime_return: ret,
            service_burden: bur,
            net_value: net,
        }
    }

    /// Exact expectations of the eight outcome columns, in file order.
    pub fn expected_columns(&self, f: &Features) -> [f64; 8] {
        let d = Design::of(f);
        let mut out = [0.0; 8];
        for (o, c) in out.iter_mut().zip(&self.columns) {
            *o = c.expect(&d);
        }
        out
    }

    /// Exact E[return − burden | features] in this market, EUR.
    pub fn expected_net(&self, f: &Features) -> f64 {
        let cols = self.expected_columns(f);
        weighted(&cols, &RETURN_WEIGHTS) - weighted(&cols, &BURDEN_WEIGHTS)
    }
}

/// True coefficient tables for return, burden and net value (of [`HISTORY`]).
pub fn true_effects() -> TrueEffects {
    HISTORY.true_effects()
}

/// Exact expectations of the eight outcome columns, in file order (of [`HISTORY`]).
pub fn expected_columns(f: &Features) -> [f64; 8] {
    HISTORY.expected_columns(f)
}

fn weighted(cols: &[f64; 8], weights: &[(&str, f64)]) -> f64 {
    COLUMN_SPECS
        .iter()
        .zip(cols)
        .map(|(c, v)| weight_of(weights, c.name) * v)
        .sum()
}

/// Exact E[lifetime return | features], EUR.
pub fn expected_return(f: &Features) -> f64 {
    weighted(&expected_columns(f), &RETURN_WEIGHTS)
}

/// Exact E[service burden | features], EUR.
pub fn expected_burden(f: &Features) -> f64 {
    weighted(&expected_columns(f), &BURDEN_WEIGHTS)
}

/// Exact E[return − burden | features], EUR.
pub fn expected_net(f: &Features) -> f64 {
    HISTORY.expected_net(f)
}

// ---------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------

/// One customer's realised outcomes (unrounded; the CSV rounds money to
/// cents and hours to tenths).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcomes {
    pub lifetime_revenue: f64,
    pub cost_of_goods: f64,
    pub commissions_paid: f64,
    pub referral_revenue: f64,
    pub sales_hours: f64,
    pub support_hours: f64,
    pub complaints: u64,
    pub written_off: f64,
}

impl Outcomes {
    fn columns(&self) -> [f64; 8] {
        [
            self.lifetime_revenue,
            self.cost_of_goods,
            self.commissions_paid,
            self.referral_revenue,
            self.sales_hours,
            self.support_hours,
            self.complaints as f64,
            self.written_off,
        ]
    }
    /// Realised lifetime return, EUR.
    pub fn lifetime_return(&self) -> f64 {
        weighted(&self.columns(), &RETURN_WEIGHTS)
    }
    /// Realised service burden, EUR.
    pub fn service_burden(&self) -> f64 {
        weighted(&self.columns(), &BURDEN_WEIGHTS)
    }
    /// Realised net value, EUR.
    pub fn net_value(&self) -> f64 {
        self.lifetime_return() - self.service_burden()
    }
}

/// A customer row: true features, outcomes, and how the row is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub id: String,
    /// The day the customer was won, as days since 1970-01-01 (see [`iso_date`]).
    pub won_on: i64,
    pub features: Features,
    pub outcomes: Outcomes,
    /// won_on is shown blank.
    pub blank_won_on: bool,
    pub blank_employees: bool,
    pub blank_annual_revenue: bool,
    pub blank_region: bool,
    /// annual_revenue is shown × MISTYPE_FACTOR (one row per file; see
    /// MISTYPE_MIN_REVENUE).
    pub mistyped_annual_revenue: bool,
}

/// A lead row: true features and how the row is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Lead {
    pub id: String,
    pub company: String,
    pub features: Features,
    pub blank_employees: bool,
    pub blank_annual_revenue: bool,
    pub blank_first_order_value: bool,
    pub blank_region: bool,
}

/// Systematic sampling: exactly one hit per block of `every` rows, at a
/// random position within the block.
struct Sprinkle {
    every: usize,
    pos: usize,
    hit_at: usize,
}

impl Sprinkle {
    fn new(every: usize) -> Self {
        Sprinkle {
            every,
            pos: 0,
            hit_at: 0,
        }
    }
    /// Whether the next row is a hit.
    fn next(&mut self, rng: &mut ChaCha8Rng) -> bool {
        if self.pos == 0 {
            self.hit_at = rng.random_range(0..self.every);
        }
        let hit = self.pos == self.hit_at;
        self.pos = (self.pos + 1) % self.every;
        hit
    }
}

/// A seeded, streaming source of rows. Use one generator for one kind of
/// row (customers or leads): it keeps track of the rows it has drawn.
pub struct Generator {
    rng: ChaCha8Rng,
    market: Market,
    mining: Sprinkle,
    aerospace: Sprinkle,
    huge: Sprinkle,
}

/// Index of the level that uniform `u` ∈ [0, 1) falls into, by weight.
fn pick_with(u: f64, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = u * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    // Rounding fell off the end: last level with positive weight.
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    pick_with(rng.random::<f64>(), weights)
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let s = 10f64.powi(decimals);
    (x * s).round() / s
}

impl Generator {
    /// A generator of [`HISTORY`]'s customers or leads.
    pub fn new(seed: u64) -> Self {
        Self::in_market(seed, HISTORY)
    }

    /// A generator of customers or leads in `market`.
    pub fn in_market(seed: u64, market: Market) -> Self {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            market,
            mining: Sprinkle::new(MINING_EVERY),
            aerospace: Sprinkle::new(AEROSPACE_EVERY),
            huge: Sprinkle::new(HUGE_EVERY),
        }
    }

    fn z(&mut self) -> f64 {
        self.rng.sample(StandardNormal)
    }

    /// exp(σZ − σ²/2): lognormal with mean exactly one.
    fn mean_one(&mut self, sigma: f64) -> f64 {
        (sigma * self.z() - 0.5 * sigma * sigma).exp()
    }

    fn features_with(&mut self, lead: bool) -> Features {
        let mining = self.mining.next(&mut self.rng);
        let aerospace = lead && self.aerospace.next(&mut self.rng);
        let huge = lead && self.huge.next(&mut self.rng);
        let industry = match pick(&mut self.rng, &INDUSTRY_WEIGHTS) {
            _ if aerospace => 9,
            _ if mining => 8,
            i => i,
        };
        let region = pick(&mut self.rng, &REGION_WEIGHTS);
        let source = pick(&mut self.rng, &self.market.source_weights);
        let z_emp = self.z();
        let z_rev = self.z();
        let z_fov = self.z();
        let u_product: f64 = self.rng.random();
        let u_huge_size: f64 = self.rng.random();

        let employees = if huge {
            (LEAD_HUGE_EMPLOYEES.0 + u_huge_size * (LEAD_HUGE_EMPLOYEES.1 - LEAD_HUGE_EMPLOYEES.0))
                .round()
        } else {
            (INDUSTRY_MEDIAN_EMPLOYEES[industry] * (EMPLOYEES_SIGMA * z_emp).exp())
                .round()
                .clamp(EMPLOYEES_MIN, CUSTOMER_EMPLOYEES_CAP)
        };
        let annual_revenue = (employees * REVENUE_PER_EMPLOYEE * (REVENUE_SIGMA * z_rev).exp())
            .round()
            .max(ANNUAL_REVENUE_MIN);
        let product_weights = if employees > LARGE_COMPANY {
            &PRODUCT_WEIGHTS_LARGE
        } else {
            &PRODUCT_WEIGHTS_SMALL
        };
        let product = pick_with(u_product, product_weights);
        let first_order_value = round_to(
            FOV_BASE[product] * (1.0 + employees).powf(FOV_SIZE_POWER) * (FOV_SIGMA * z_fov).exp(),
            2,
        )
        .max(FIRST_ORDER_VALUE_MIN);
        Features {
            industry: INDUSTRIES[industry].to_string(),
            region: REGIONS[region].to_string(),
            employees,
            annual_revenue,
            lead_source: LEAD_SOURCES[source].to_string(),
            product_interest: PRODUCT_INTERESTS[product].to_string(),
            first_order_value,
        }
    }

    /// Features of the next historical customer.
    pub fn customer_features(&mut self) -> Features {
        self.features_with(false)
    }

    /// Features of the next fresh lead: the customer mix plus 0.5% `aerospace`
    /// (unseen in customers) and ≈0.3% companies far larger than any customer.
    pub fn lead_features(&mut self) -> Features {
        self.features_with(true)
    }

    /// Draws outcomes whose expectation is exactly the market's
    /// [`Market::expected_columns`]`(f)`.
    pub fn outcomes(&mut self, f: &Features) -> Outcomes {
        let e = self.market.expected_columns(f);
        let volume = self.mean_one(VOLUME_SIGMA);
        let demand = self.mean_one(DEMAND_SIGMA);
        let lifetime_revenue = e[0] * volume * self.mean_one(LIFETIME_REVENUE_SIGMA);
        let cost_of_goods = e[1] * volume * self.mean_one(COST_OF_GOODS_SIGMA);
        let commissions_paid = e[2] * volume * self.mean_one(COMMISSIONS_SIGMA);
        let referral_revenue = e[3] * self.mean_one(REFERRAL_SIGMA);
        let sales_hours = e[4] * self.mean_one(SALES_HOURS_SIGMA);
        let support_hours = e[5] * demand * self.mean_one(SUPPORT_HOURS_SIGMA);
        let lambda = e[6] * demand;
        let complaints = if lambda > 0.0 {
            Poisson::new(lambda)
                .expect("complaint rate is finite and positive")
                .sample(&mut self.rng) as u64
        } else {
            0
        };
        let u_wo: f64 = self.rng.random();
        let wo_size = self.mean_one(WRITE_OFF_SIGMA);
        let written_off = if u_wo < WRITE_OFF_PROB {
            e[7] / WRITE_OFF_PROB * wo_size
        } else {
            0.0
        };
        Outcomes {
            lifetime_revenue,
            cost_of_goods,
            commissions_paid,
            referral_revenue,
            sales_hours,
            support_hours,
            complaints,
            written_off,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn company_name(&mut self, industry: &str) -> String {
        let r = &mut self.rng;
        let nouns = industry_nouns(industry);
        let p = NAME_PREFIXES[r.random_range(0..NAME_PREFIXES.len())];
        let n = nouns[r.random_range(0..nouns.len())];
        let s = NAME_SUFFIXES[r.random_range(0..NAME_SUFFIXES.len())];
        let a = SURNAMES[r.random_range(0..SURNAMES.len())];
        let b = SURNAMES[r.random_range(0..SURNAMES.len())];
        let style: f64 = r.random();
        if style < 0.025 {
            // Comma inside the name: exercises CSV quoting.
            format!("{a}, {b} & Co")
        } else if style < 0.04 {
            format!("{p} {n}, Inc.")
        } else if style < 0.045 {
            // Double quotes inside the name (and at its start).
            if industry == "hospitality" {
                let kind = ["Hotel", "Gasthof", "Restaurant", "Café"][r.random_range(0..4)];
                format!("{kind} \"{p}\" {s}")
            } else {
                format!("\"{p}\" {n} {s}")
            }
        } else if style < 0.15 {
            format!("{a} & {b} {n}")
        } else {
            format!("{p} {n} {s}")
        }
    }
}

const NAME_PREFIXES: [&str; 40] = [
    "Nordhafen",
    "Alpen",
    "Rheintal",
    "Baltic",
    "Silberberg",
    "Meridian",
    "Ostwind",
    "Lindqvist",
    "Blue Harbor",
    "Greenfield",
    "Ironbridge",
    "Falkenstein",
    "Westmark",
    "Sonnenfeld",
    "Brightwater",
    "Kestrel",
    "Elbe",
    "Donau",
    "Atlas",
    "Polaris",
    "Vanguard",
    "Seeblick",
    "Hohenwald",
    "Tannenhof",
    "Riverside",
    "Oakridge",
    "Fjordline",
    "Granite",
    "Copperleaf",
    "Lakeside",
    "Bergmann",
    "Hartmann",
    "Novak",
    "Lindholm",
    "Moreau",
    "Rossi",
    "Jansen",
    "Kowalski",
    "Müller",
    "Sørensen",
];
const NAME_SUFFIXES: [&str; 12] = [
    "GmbH",
    "AG",
    "Ltd",
    "B.V.",
    "S.A.",
    "SAS",
    "Oy",
    "AB",
    "GmbH & Co. KG",
    "Inc.",
    "ApS",
    "Sp. z o.o.",
];
const SURNAMES: [&str; 14] = [
    "Smith", "Jones", "Becker", "Novak", "Rossi", "Dubois", "Jansen", "Schmidt", "Weber", "Keller",
    "O'Neill", "Fischer", "Nowak", "Janssens",
];

fn industry_nouns(industry: &str) -> &'static [&'static str] {
    match industry {
        "retail" => &["Retail", "Stores", "Markt", "Handel", "Outlet"],
        "manufacturing" => &[
            "Manufacturing",
            "Werke",
            "Precision",
            "Industries",
            "Tooling",
        ],
        "software" => &["Software", "Systems", "Digital", "Labs", "Cloud"],
        "healthcare" => &["Health", "Medical", "Care", "Clinics", "Pharma"],
        "finance" => &["Finance", "Capital", "Invest", "Insurance", "Treuhand"],
        "logistics" => &["Logistics", "Freight", "Spedition", "Transport", "Shipping"],
        "hospitality" => &["Hotels", "Gastro", "Hospitality", "Catering", "Restaurants"],
        "construction" => &["Bau", "Construction", "Builders", "Hochbau", "Engineering"],
        "mining" => &["Mining", "Minerals", "Quarries"],
        "aerospace" => &["Aerospace", "Avionics", "Aero"],
        _ => &["Group", "Holding", "Partners"],
    }
}

/// Position from which the mistyped annual_revenue row is searched for.
fn mistype_start(n: usize, seed: u64) -> usize {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ MISTYPE_SEED_XOR);
    rng.random_range(0..n.div_ceil(2).clamp(1, MISTYPE_START_MAX))
}

/// Id of customer `i` (0-based): C000001, C000002, … (wider past 999999).
pub fn customer_id(i: usize) -> String {
    format!("C{:06}", i + 1)
}

/// Id of lead `i` (0-based): L000001, L000002, …
pub fn lead_id(i: usize) -> String {
    format!("L{:06}", i + 1)
}

/// Days since 1970-01-01 of a calendar day, as leadscore reads dates.
pub fn day_number((y, m, d): (i64, i64, i64)) -> i64 {
    leadscore::io::date::days_from_civil(y, m, d)
}

/// `YYYY-MM-DD` of a day number from [`day_number`], as leadscore writes dates.
pub fn iso_date(days: i64) -> String {
    leadscore::io::date::format_days(days)
}

/// A seeded stream of the days customers were won: from `first` up to (not including) `end`,
/// with the daily rate growing by `growth_per_year` (continuously), and few on weekends.
struct WonDates {
    rng: ChaCha8Rng,
    first: i64,
    end: i64,
    growth_per_day: f64,
    blank_rate: f64,
}

impl WonDates {
    fn new(seed: u64, first: i64, end: i64, growth_per_year: f64, blank_rate: f64) -> Self {
        WonDates {
            rng: ChaCha8Rng::seed_from_u64(seed),
            first,
            end,
            growth_per_day: growth_per_year / 365.25,
            blank_rate,
        }
    }

    /// The next customer's day and whether it is shown blank.
    fn next(&mut self) -> (i64, bool) {
        let blank = self.rng.random::<f64>() < self.blank_rate;
        let span = (self.end - self.first) as f64;
        let g = self.growth_per_day;
        loop {
            let u: f64 = self.rng.random();
            // Inverse of the CDF of a density ∝ exp(g t) on [0, span).
            let t = if g > 0.0 {
                (u * (g * span).exp_m1()).ln_1p() / g
            } else {
                u * span
            };
            let day = self.first + (t.floor() as i64).clamp(0, self.end - self.first - 1);
            // 1970-01-01 was a Thursday: Monday is 0, Saturday 5, Sunday 6.
            let weekday = (day + 3).rem_euclid(7);
            if weekday < 5 || self.rng.random::<f64>() < WEEKEND_KEEP {
                return (day, blank);
            }
        }
    }
}

/// Streams `n` customers (seed `seed`, won_on from `seed ^ DATE_SEED_XOR`) to `f`, in file
/// order.
pub fn for_each_customer(n: usize, seed: u64, mut f: impl FnMut(&Customer)) {
    let start = mistype_start(n, seed);
    let mut mistype_pending = true;
    let mut g = Generator::new(seed);
    let mut dates = WonDates::new(
        seed ^ DATE_SEED_XOR,
        day_number(HISTORY_FIRST_DAY),
        day_number(HISTORY_END_DAY),
        WON_GROWTH_PER_YEAR,
        HISTORY_BLANK_WON_ON_RATE,
    );
    for i in 0..n {
        let (won_on, blank_won_on) = dates.next();
        let features = g.customer_features();
        let blank_employees = g.chance(CUSTOMER_BLANK_RATE);
        let blank_annual_revenue = g.chance(CUSTOMER_BLANK_RATE);
        let blank_region = g.chance(CUSTOMER_BLANK_RATE);
        let outcomes = g.outcomes(&features);
        let mistyped =
            mistype_pending && i >= start && features.annual_revenue >= MISTYPE_MIN_REVENUE;
        mistype_pending &= !mistyped;
        f(&Customer {
            id: customer_id(i),
            won_on,
            features,
            outcomes,
            blank_won_on,
            // The mistyped row shows its employees and its revenue.
            blank_employees: blank_employees && !mistyped,
            blank_annual_revenue: blank_annual_revenue && !mistyped,
            blank_region,
            mistyped_annual_revenue: mistyped,
        });
    }
}

/// Streams `n` leads (seed `seed ^ LEAD_SEED_XOR`) to `f`, in file order.
pub fn for_each_lead(n: usize, seed: u64, mut f: impl FnMut(&Lead)) {
    let mut g = Generator::new(seed ^ LEAD_SEED_XOR);
    for i in 0..n {
        let features = g.lead_features();
        let blank_employees = g.chance(LEAD_NUMERIC_BLANK_RATE);
        let blank_annual_revenue = g.chance(LEAD_NUMERIC_BLANK_RATE);
        let blank_first_order_value = g.chance(LEAD_NUMERIC_BLANK_RATE);
        let blank_region = g.chance(LEAD_REGION_BLANK_RATE);
        let company = g.company_name(&features.industry);
        f(&Lead {
            id: lead_id(i),
            company,
            features,
            blank_employees,
            blank_annual_revenue,
            blank_first_order_value,
            blank_region,
        });
    }
}

/// Reusable row of formatted fields.
struct Row {
    fields: Vec<String>,
}

impl Row {
    fn new(n: usize) -> Self {
        Row {
            fields: vec![String::new(); n],
        }
    }
    fn set(&mut self, i: usize, args: std::fmt::Arguments<'_>) {
        use std::fmt::Write as _;
        let s = &mut self.fields[i];
        s.clear();
        s.write_fmt(args)
            .expect("formatting into a String cannot fail");
    }
    fn blank(&mut self, i: usize) {
        self.fields[i].clear();
    }
}

fn csv_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes customers.csv (header + `n` rows) to `w`, streaming.
pub fn write_customers<W: Write>(w: W, n: usize, seed: u64) -> io::Result<()> {
    write_customers_with(w, n, seed, |_| {})
}

/// [`write_customers`], calling `on_customer` for every row written.
pub fn write_customers_with<W: Write>(
    w: W,
    n: usize,
    seed: u64,
    mut on_customer: impl FnMut(&Customer),
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CUSTOMER_HEADER).map_err(csv_err)?;
    let mut row = Row::new(CUSTOMER_HEADER.len());
    let mut result = Ok(());
    for_each_customer(n, seed, |c| {
        if result.is_err() {
            return;
        }
        customer_row(&mut row, c);
        result = out.write_record(&row.fields).map_err(csv_err);
        if result.is_ok() {
            on_customer(c);
        }
    });
    result?;
    out.flush()
}

/// Fills `row` with customer `c` as the file shows it (blanks, the mistyped turnover).
fn customer_row(row: &mut Row, c: &Customer) {
    let f = &c.features;
    let o = &c.outcomes;
    row.set(0, format_args!("{}", c.id));
    if c.blank_won_on {
        row.blank(1);
    } else {
        row.set(1, format_args!("{}", iso_date(c.won_on)));
    }
    row.set(2, format_args!("{}", f.industry));
    if c.blank_region {
        row.blank(3);
    } else {
        row.set(3, format_args!("{}", f.region));
    }
    if c.blank_employees {
        row.blank(4);
    } else {
        row.set(4, format_args!("{:.0}", f.employees));
    }
    if c.blank_annual_revenue {
        row.blank(5);
    } else if c.mistyped_annual_revenue {
        row.set(5, format_args!("{:.0}", f.annual_revenue * MISTYPE_FACTOR));
    } else {
        row.set(5, format_args!("{:.0}", f.annual_revenue));
    }
    row.set(6, format_args!("{}", f.lead_source));
    row.set(7, format_args!("{}", f.product_interest));
    row.set(8, format_args!("{:.2}", f.first_order_value));
    row.set(9, format_args!("{:.2}", o.lifetime_revenue));
    row.set(10, format_args!("{:.2}", o.cost_of_goods));
    row.set(11, format_args!("{:.2}", o.commissions_paid));
    row.set(12, format_args!("{:.2}", o.referral_revenue));
    row.set(13, format_args!("{:.1}", o.sales_hours));
    row.set(14, format_args!("{:.1}", o.support_hours));
    row.set(15, format_args!("{}", o.complaints));
    row.set(16, format_args!("{:.2}", o.written_off));
}

/// Writes leads.csv (header + `n` rows) to `w`, streaming; calls
/// `on_lead(lead_id, true_features)` for every row written.
pub fn write_leads<W: Write>(
    w: W,
    n: usize,
    seed: u64,
    mut on_lead: impl FnMut(&str, &Features),
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(LEAD_HEADER).map_err(csv_err)?;
    let mut row = Row::new(LEAD_HEADER.len());
    let mut result = Ok(());
    for_each_lead(n, seed, |l| {
        if result.is_err() {
            return;
        }
        let f = &l.features;
        row.set(0, format_args!("{}", l.id));
        row.set(1, format_args!("{}", l.company));
        row.set(2, format_args!("{}", f.industry));
        if l.blank_region {
            row.blank(3);
        } else {
            row.set(3, format_args!("{}", f.region));
        }
        if l.blank_employees {
            row.blank(4);
        } else {
            row.set(4, format_args!("{:.0}", f.employees));
        }
        if l.blank_annual_revenue {
            row.blank(5);
        } else {
            row.set(5, format_args!("{:.0}", f.annual_revenue));
        }
        row.set(6, format_args!("{}", f.lead_source));
        row.set(7, format_args!("{}", f.product_interest));
        if l.blank_first_order_value {
            row.blank(8);
        } else {
            row.set(8, format_args!("{:.2}", f.first_order_value));
        }
        result = out.write_record(&row.fields).map_err(csv_err);
        if result.is_ok() {
            on_lead(&l.id, f);
        }
    });
    result?;
    out.flush()
}

// ---------------------------------------------------------------------------
// The Q4 2026 batch: customers_2026q4.csv
// ---------------------------------------------------------------------------

/// How a row of the Q4 batch relates to customers.csv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Q4Kind {
    /// Won 2026-10-01 .. 2026-11-30, with an id after the history's last.
    New,
    /// In customers.csv: same id, won_on and pre-contact features, outcomes grown since.
    Updated,
    /// In customers.csv, and repeated byte for byte.
    Unchanged,
}

/// Rows of each kind in a Q4 batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Q4Counts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Growth of revenue, cost of goods and commissions of an updated customer: one factor
/// 1 + U(lo, hi) per customer, as they track the volume bought.
pub const Q4_VOLUME_GROWTH: (f64, f64) = (0.04, 0.20);
/// Growth of an updated customer's support hours: 1 + U(lo, hi).
pub const Q4_SUPPORT_GROWTH: (f64, f64) = (0.05, 0.25);
/// Complaints an updated customer added: Poisson with this mean.
pub const Q4_EXTRA_COMPLAINTS: f64 = 0.5;

/// Existing customers that reappear in the Q4 batch after a history of `n`:
/// (updated, unchanged).
pub fn q4_existing_counts(n: usize) -> (usize, usize) {
    (
        (n / 30).min(Q4_UPDATED_MAX),
        (n / 100).min(Q4_UNCHANGED_MAX),
    )
}

/// Outcomes after the relationship went on. What it took to win the customer (sales hours),
/// the referrals and the write-offs stay as they were.
fn grown(o: &Outcomes, rng: &mut ChaCha8Rng) -> Outcomes {
    let volume = 1.0 + rng.random_range(Q4_VOLUME_GROWTH.0..Q4_VOLUME_GROWTH.1);
    let support = 1.0 + rng.random_range(Q4_SUPPORT_GROWTH.0..Q4_SUPPORT_GROWTH.1);
    let complaints = Poisson::new(Q4_EXTRA_COMPLAINTS)
        .expect("the complaint rate is finite and positive")
        .sample(rng) as u64;
    Outcomes {
        lifetime_revenue: o.lifetime_revenue * volume,
        cost_of_goods: o.cost_of_goods * volume,
        commissions_paid: o.commissions_paid * volume,
        support_hours: o.support_hours * support,
        complaints: o.complaints + complaints,
        ..*o
    }
}

/// Streams the Q4 batch that follows a history of `n` customers (seed `seed`) to `f`, in file
/// order: first the existing customers that reappear (by id), then `new` customers won
/// 2026-10-01 .. 2026-11-30 in [`q4_market`], with ids after the history's last. Everything
/// is drawn from `seed ^ Q4_SEED_XOR`; the history is generated again (not read) to find the
/// existing rows.
pub fn for_each_q4_customer(n: usize, new: usize, seed: u64, mut f: impl FnMut(&Customer, Q4Kind)) {
    let mut master = ChaCha8Rng::seed_from_u64(seed ^ Q4_SEED_XOR);
    let existing_seed: u64 = master.random();
    let new_seed: u64 = master.random();
    let date_seed: u64 = master.random();

    let mut rng = ChaCha8Rng::seed_from_u64(existing_seed);
    let (updated, unchanged) = q4_existing_counts(n);
    // The first `updated` distinct customers drawn grew; the next `unchanged` did not.
    let mut kinds = std::collections::BTreeMap::new();
    while kinds.len() < updated + unchanged {
        let kind = if kinds.len() < updated {
            Q4Kind::Updated
        } else {
            Q4Kind::Unchanged
        };
        kinds.entry(rng.random_range(0..n)).or_insert(kind);
    }
    let mut existing = Vec::with_capacity(kinds.len());
    let mut i = 0;
    for_each_customer(n, seed, |c| {
        if let Some(kind) = kinds.get(&i) {
            existing.push((c.clone(), *kind));
        }
        i += 1;
    });
    for (c, kind) in &mut existing {
        if *kind == Q4Kind::Updated {
            c.outcomes = grown(&c.outcomes, &mut rng);
        }
        f(c, *kind);
    }

    let mut g = Generator::in_market(new_seed, q4_market());
    let mut dates = WonDates::new(
        date_seed,
        day_number(HISTORY_END_DAY),
        day_number(Q4_END_DAY),
        0.0,
        0.0,
    );
    for j in 0..new {
        let features = g.customer_features();
        let blank_employees = g.chance(CUSTOMER_BLANK_RATE);
        let blank_annual_revenue = g.chance(CUSTOMER_BLANK_RATE);
        let blank_region = g.chance(CUSTOMER_BLANK_RATE);
        let outcomes = g.outcomes(&features);
        let (won_on, blank_won_on) = dates.next();
        f(
            &Customer {
                id: customer_id(n + j),
                won_on,
                features,
                outcomes,
                blank_won_on,
                blank_employees,
                blank_annual_revenue,
                blank_region,
                mistyped_annual_revenue: false,
            },
            Q4Kind::New,
        );
    }
}

/// Writes customers_2026q4.csv (header + rows, see [`for_each_q4_customer`]) to `w`, calling
/// `on_customer` for every row written, and returns how many rows of each kind it wrote.
pub fn write_customers_q4<W: Write>(
    w: W,
    n: usize,
    new: usize,
    seed: u64,
    mut on_customer: impl FnMut(&Customer, Q4Kind),
) -> io::Result<Q4Counts> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CUSTOMER_HEADER).map_err(csv_err)?;
    let mut row = Row::new(CUSTOMER_HEADER.len());
    let mut counts = Q4Counts::default();
    let mut result = Ok(());
    for_each_q4_customer(n, new, seed, |c, kind| {
        if result.is_err() {
            return;
        }
        customer_row(&mut row, c);
        result = out.write_record(&row.fields).map_err(csv_err);
        if result.is_ok() {
            match kind {
                Q4Kind::New => counts.new += 1,
                Q4Kind::Updated => counts.updated += 1,
                Q4Kind::Unchanged => counts.unchanged += 1,
            }
            on_customer(c, kind);
        }
    });
    result?;
    out.flush()?;
    Ok(counts)
}
