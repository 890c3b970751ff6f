//! How many threads to use, and running a fixed split of work on them.
//!
//! Results never depend on the thread count: work is split into parts fixed by the data (never
//! by the number of threads), and the parts' results come back in part order, so floating-point
//! sums merge in the same order on a laptop with 2 cores and a server with 64.

use std::num::NonZeroUsize;

/// The environment variable that caps the threads (a whole number ≥ 1); unset means every core
/// the process may use.
pub const THREADS_VAR: &str = "LEADSCORE_THREADS";

/// The most threads `LEADSCORE_THREADS` may ask for. Each thread has its own stack and batch
/// buffers; twenty thousand of them made the process abort when it could not allocate a
/// stack, and no machine this runs on has a thousand cores.
pub const MAX_THREADS: usize = 1024;

/// The threads to work on: `LEADSCORE_THREADS` when set (see [`threads_setting`]), else what
/// `std::thread::available_parallelism` reports (cgroup and affinity limits included), else 1.
pub fn threads() -> usize {
    threads_setting()
        .ok()
        .flatten()
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(NonZeroUsize::get)
        })
        .unwrap_or(1)
}

/// `LEADSCORE_THREADS` as set: `None` when unset or empty, a whole number from 1 to
/// [`MAX_THREADS`], or what is wrong with it. Checked before any command runs (`crate::run`),
/// so a value that would be ignored is said, not silently replaced by the machine's count.
pub fn threads_setting() -> Result<Option<usize>, String> {
    let Some(value) = std::env::var_os(THREADS_VAR) else {
        return Ok(None);
    };
    let text = value.to_string_lossy();
    if text.trim().is_empty() {
        return Ok(None);
    }
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "{THREADS_VAR}={text:?}: expected a whole number of threads from 1 to {MAX_THREADS}, or unset to use every core"
        )),
    }
}

/// Runs `work(part)` for every part in `0..parts` on up to `threads` scoped threads and returns
/// the results in part order, whatever the number of threads. Each thread takes the next part
/// not yet started, so parts of unequal cost (a feature with forty levels beside one with two,
/// a column of money beside one of small whole numbers) keep every thread busy to the end; which
/// thread runs a part changes nothing in its result.
pub fn map_parts<T: Send>(
    parts: usize,
    threads: usize,
    work: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, parts.max(1));
    if threads == 1 {
        return (0..parts).map(work).collect();
    }
    let work = &work;
    let next = &std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<T>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let part = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if part >= parts {
                            return done;
                        }
                        done.push((part, work(part)));
                    }
                })
            })
            .collect();
        let mut results: Vec<Option<T>> = (0..parts).map(|_| None).collect();
        for h in handles {
            for (part, r) in h.join().expect("worker does not panic") {
                results[part] = Some(r);
            }
        }
        results
    });
    results
        .iter_mut()
        .map(|r| r.take().expect("every part ran"))
        .collect()
}

/// `items.iter().map(work).collect()`, the items split into one run per thread: for a step per
/// item costly enough (a logarithm) that a million items take tens of milliseconds. Each item's
/// result is `work`'s alone, so it is the same whatever the number of threads.
pub fn map_each<A: Sync, T: Send + Copy + Default>(
    items: &[A],
    work: impl Fn(&A) -> T + Sync,
) -> Vec<T> {
    /// Below this, starting threads costs more than the work.
    const MIN_PER_THREAD: usize = 16_384;
    let threads = threads().min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return items.iter().map(work).collect();
    }
    let mut out = vec![T::default(); items.len()];
    let per = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        for (from, to) in items.chunks(per).zip(out.chunks_mut(per)) {
            scope.spawn(move || {
                for (a, t) in from.iter().zip(to) {
                    *t = work(a);
                }
            });
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_back_in_order_whatever_the_thread_count() {
        for threads in [1, 2, 3, 4, 16] {
            let got = map_parts(7, threads, |p| p * 10);
            assert_eq!(got, vec![0, 10, 20, 30, 40, 50, 60], "{threads} threads");
        }
        assert!(map_parts(0, 4, |p| p).is_empty());
    }

    #[test]
    fn each_item_maps_in_order_on_every_thread() {
        // Big enough for two threads (16,384 items each at least), with a ragged last run.
        let items: Vec<u64> = (0..50_001).collect();
        assert_eq!(
            map_each(&items, |&i| i * 3 + 1),
            items.iter().map(|&i| i * 3 + 1).collect::<Vec<_>>()
        );
        assert!(map_each(&[] as &[u64], |&i| i).is_empty());
    }

    #[test]
    fn float_sums_are_bit_identical_across_thread_counts() {
        let values: Vec<f64> = (0..10_000).map(|i| (i as f64).sin() * 1e6 + 0.1).collect();
        let sum = |threads| {
            map_parts(8, threads, |p| {
                values[p * 1250..(p + 1) * 1250].iter().sum::<f64>()
            })
            .into_iter()
            .sum::<f64>()
        };
        let one: f64 = sum(1);
        for threads in [2, 3, 4] {
            assert_eq!(one.to_bits(), sum(threads).to_bits());
        }
    }
}
