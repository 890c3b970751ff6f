//! Speed of the `leadscore plan` solver (issue 14) on realistic lead lists: is an exact plan
//! per group affordable at the sizes sales teams have?
//!
//! ```text
//! cargo bench --bench plan [-- --leads N] [--groups G] [--reps R] [--seed S]
//! ```
//!
//! Leads get a net value (a lognormal return minus hours at a cost rate, so about a third lose
//! money) and hours between 5 and 200, skewed towards the short end. Each group (rep,
//! territory) gets 30% of its leads' total hours. The same leads are then solved as one group
//! with 30% of all hours, the hardest case. Times are the median of `--reps` runs; the value,
//! gap and nodes are the same in every run (the solver is deterministic).

use leadscore::plan::{solve, top_by_value, Item, Limits, Plan};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo bench --bench plan [-- OPTIONS]

  --leads N    leads to generate (default 100000)
  --groups G   groups they are spread over (default 50)
  --reps R     runs of each solve; the median time is reported (default 5)
  --seed S     seed of the generator (default 14)";

struct Options {
    leads: usize,
    groups: usize,
    reps: usize,
    seed: u64,
}

fn parse() -> Result<Options, String> {
    let mut options = Options {
        leads: 100_000,
        groups: 50,
        reps: 5,
        seed: 14,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        // cargo bench passes --bench to every bench binary; it means nothing here.
        if flag == "--bench" {
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|e| format!("{what} {value:?}: {e}"))
        };
        match flag.as_str() {
            "--leads" => options.leads = number("--leads")? as usize,
            "--groups" => options.groups = number("--groups")?.max(1) as usize,
            "--reps" => options.reps = number("--reps")?.max(1) as usize,
            "--seed" => options.seed = number("--seed")?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(options)
}

/// Leads and the group of each.
fn generate(options: &Options) -> Result<(Vec<Item>, Vec<usize>), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let gross = LogNormal::new(1500_f64.ln(), 1.1).map_err(|e| e.to_string())?;
    let extra_hours = LogNormal::new(15_f64.ln(), 0.9).map_err(|e| e.to_string())?;
    let cost_per_hour = 40.0;
    let mut items = Vec::with_capacity(options.leads);
    let mut group = Vec::with_capacity(options.leads);
    for _ in 0..options.leads {
        let weight = (5.0 + extra_hours.sample(&mut rng)).min(200.0);
        let value = gross.sample(&mut rng) - cost_per_hour * weight;
        items.push(Item { value, weight });
        group.push(rng.random_range(0..options.groups));
    }
    Ok((items, group))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// Solves each group `reps` times; returns the plans and the median time of each group.
fn run(groups: &[(Vec<Item>, f64)], reps: usize) -> (Vec<Plan>, Vec<Duration>) {
    let mut plans = Vec::new();
    let mut times = vec![Vec::new(); groups.len()];
    for _ in 0..reps {
        plans.clear();
        for (g, (items, capacity)) in groups.iter().enumerate() {
            let start = Instant::now();
            let plan = solve(items, *capacity, Limits::default());
            times[g].push(start.elapsed());
            plans.push(plan);
        }
    }
    (plans, times.into_iter().map(median).collect())
}

fn report(label: &str, groups: &[(Vec<Item>, f64)], reps: usize) {
    let (plans, times) = run(groups, reps);
    let total: Duration = times.iter().sum();
    let slowest = times.iter().max().copied().unwrap_or_default();
    let value: f64 = plans.iter().map(|p| p.value).sum();
    let gap: f64 = plans.iter().map(|p| p.gap).sum();
    let lp: f64 = plans.iter().map(|p| p.lp_bound).sum();
    let optimal = plans.iter().filter(|p| p.optimal).count();
    let nodes: u64 = plans.iter().map(|p| p.nodes).sum();
    let core = plans.iter().map(|p| p.core).max().unwrap_or(0);
    let chosen: usize = plans
        .iter()
        .map(|p| p.chosen.iter().filter(|&&c| c).count())
        .sum();
    let rule: f64 = groups
        .iter()
        .map(|(items, capacity)| top_by_value(items, *capacity).value)
        .sum();
    println!("{label}");
    println!("  time      {total:.3?} in total, slowest group {slowest:.3?} (median of {reps})");
    println!("  plan      {value:.0} net from {chosen} leads; LP bound {lp:.0}; gap {gap:.3}");
    println!(
        "  proven    {optimal} of {} groups optimal; {nodes} nodes; largest core {core} leads",
        plans.len()
    );
    println!(
        "  rule      top by value in the same hours: {rule:.0} ({:+.1}% for the plan)",
        100.0 * (value - rule) / rule.abs().max(1.0)
    );
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (items, group) = match generate(&options) {
        Ok(data) => data,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(1);
        }
    };
    let mut groups: Vec<(Vec<Item>, f64)> = vec![(Vec::new(), 0.0); options.groups];
    for (item, &g) in items.iter().zip(&group) {
        groups[g].0.push(*item);
    }
    for (members, capacity) in &mut groups {
        *capacity = 0.3 * members.iter().map(|i| i.weight).sum::<f64>();
    }
    let negative = items.iter().filter(|i| i.value <= 0.0).count();
    println!(
        "{} leads ({negative} not worth their hours), seed {}",
        options.leads, options.seed
    );
    report(
        &format!("{} groups, 30% of each group's hours", options.groups),
        &groups,
        options.reps,
    );
    let all_hours: f64 = items.iter().map(|i| i.weight).sum();
    report(
        "one group, 30% of all hours",
        &[(items, 0.3 * all_hours)],
        options.reps,
    );
    ExitCode::SUCCESS
}
