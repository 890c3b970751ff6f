//! Reading a CSV file on one thread while worker threads process it in batches, with the
//! results taken back in file order. Both training (parsing the history) and scoring (scoring
//! leads) are this shape: what must see rows in order (row width, duplicate ids) runs on the
//! reading thread as `check`, a batch at a time; the per-row work runs on the workers as `work`; `take` consumes
//! each batch's result in file order, so the first error in the file is the one reported.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::error::{Error, Result};
use crate::io::table::CsvInput;

/// Rows per batch.
pub const BATCH_ROWS: usize = 2048;
/// Batches queued per worker (in one queue of `QUEUE` × workers): bounds memory when consuming
/// is slower than working.
const QUEUE: usize = 2;

/// Rows read, with what `check` said about each.
pub struct Batch<C> {
    pub rows: Vec<crate::io::records::Record>,
    pub len: usize,
    pub checks: Vec<C>,
}

struct Sent<C> {
    seq: usize,
    batch: Batch<C>,
}

struct Returned<C, O> {
    seq: usize,
    batch: Batch<C>,
    out: O,
}

/// Reads every row of `input`, returns how many. `check` gets each batch's rows in file order
/// and pushes what it says of each, one per row. Stops at the first error `take` returns, or
/// the first read error after all earlier rows were taken.
///
/// `take` runs on a thread of its own, so what it does with a batch (writing a streamed output)
/// overlaps the reading of the next ones instead of waiting in the reading thread's turn.
pub fn run<C, O>(
    input: &mut CsvInput,
    mut check: impl FnMut(&[crate::io::records::Record], &mut Vec<C>),
    work: impl Fn(&mut Batch<C>) -> O + Sync,
    mut take: impl FnMut(O) -> Result<()> + Send,
) -> Result<u64>
where
    C: Send,
    O: Send,
{
    // One worker per thread the process may use; the reading thread and the taking thread run
    // beside them. Batches are taken in file order, so the output does not depend on the count.
    let workers = crate::parallel::threads();
    // Bounded, so a slow `take` holds the workers back and memory stays bounded.
    let (done_tx, done_rx) = mpsc::sync_channel::<Returned<C, O>>(workers * (QUEUE + 1));
    // Taken batches' row buffers, back to the reader for reuse.
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<crate::io::records::Record>>();
    let stop = AtomicBool::new(false);
    // One queue all workers take from: whichever is free takes the next batch. The receiving
    // end belongs to the workers alone (one share each), so when the last of them has stopped
    // (after `take`'s error, their results have nowhere to go) it is gone, and the reader's
    // `send` fails instead of waiting for room in a full queue that nobody empties.
    let (queue, rx) = mpsc::sync_channel::<Sent<C>>(QUEUE * workers);
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let work = &work;
    let stop = &stop;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let rx = std::sync::Arc::clone(&rx);
            scope.spawn(move || loop {
                let next = rx.lock().map(|rx| rx.recv());
                let Ok(Ok(Sent { seq, mut batch })) = next else {
                    break;
                };
                let out = work(&mut batch);
                if done_tx.send(Returned { seq, batch, out }).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        drop(rx);
        // Ends when every worker has ended (all batches returned) or at `take`'s first error,
        // which drops `done_rx`: the workers then stop, and with them the reader.
        let taker = scope.spawn(move || -> Result<()> {
            let mut pending: BTreeMap<usize, Returned<C, O>> = BTreeMap::new();
            let mut next = 0usize;
            for r in done_rx {
                pending.insert(r.seq, r);
                while let Some(r) = pending.remove(&next) {
                    next += 1;
                    let _ = pool_tx.send(r.batch.rows);
                    if let Err(e) = take(r.out) {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            Ok(())
        });

        let (mut sent, mut rows_read) = (0usize, 0u64);
        let mut read_error: Option<Error> = None;
        while !stop.load(Ordering::Relaxed) {
            let mut rows = pool_rx.try_recv().unwrap_or_default();
            let mut checks = Vec::with_capacity(BATCH_ROWS);
            let mut len = 0;
            while len < BATCH_ROWS {
                if rows.len() == len {
                    rows.push(crate::io::records::Record::new());
                }
                match input.read_any(&mut rows[len]) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        read_error = Some(e);
                        break;
                    }
                }
                len += 1;
            }
            check(&rows[..len], &mut checks);
            debug_assert_eq!(checks.len(), len, "one check per row");
            rows_read += len as u64;
            let last = len < BATCH_ROWS;
            if len > 0 {
                let batch = Batch { rows, len, checks };
                if queue.send(Sent { seq: sent, batch }).is_err() {
                    break;
                }
                sent += 1;
            }
            if last {
                break;
            }
        }
        drop(queue);
        // A batch's error comes before a read error, which is after every row sent.
        taker.join().expect("the taking thread does not panic")?;
        match read_error {
            Some(e) => Err(e),
            None => Ok(rows_read),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// `take` fails on the first batch of a file of two hundred, after the reader has filled
    /// the queue: every run returns that error. With the queue's receiving end outliving the
    /// workers, the reader waited for ever on the full queue once they had stopped.
    #[test]
    fn an_error_from_take_ends_the_run_however_much_of_the_file_is_left() {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = b"id\n".to_vec();
            for i in 0..200 * BATCH_ROWS {
                text.extend_from_slice(format!("{i}\n").as_bytes());
            }
            for _ in 0..10 {
                let source = Box::new(std::io::Cursor::new(text.clone()));
                let mut input = CsvInput::from_reader("t.csv".into(), source, b',', None).unwrap();
                let result = run(
                    &mut input,
                    |rows, checks: &mut Vec<()>| checks.extend(rows.iter().map(|_| ())),
                    |batch| batch.len,
                    // Slow enough that the reader fills the queue and waits on it first.
                    |_| {
                        std::thread::sleep(Duration::from_millis(50));
                        Err(Error::Data("stop".into()))
                    },
                );
                let stopped = matches!(result, Err(Error::Data(m)) if m == "stop");
                if tx.send(stopped).is_err() {
                    return;
                }
            }
        });
        for run in 0..10 {
            let stopped = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("run {run} did not end"));
            assert!(stopped, "run {run} ended without take's error");
        }
    }
}
