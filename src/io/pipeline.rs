//! Reading a CSV file on one thread while worker threads process it in batches, with the
//! results taken back in file order. Both training (parsing the history) and scoring (scoring
//! leads) are this shape: what must see rows in order (row width, duplicate ids) runs on the
//! reading thread as `check`; the per-row work runs on the workers as `work`; `take` consumes
//! each batch's result in file order, so the first error in the file is the one reported.

use std::collections::BTreeMap;
use std::sync::mpsc;

use crate::error::{Error, Result};
use crate::io::table::CsvInput;

/// Rows per batch.
pub const BATCH_ROWS: usize = 2048;
/// Batches queued per worker: bounds memory when consuming is slower than working.
const QUEUE: usize = 2;

/// Rows read, with what `check` said about each.
pub struct Batch<C> {
    pub rows: Vec<csv::ByteRecord>,
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

/// Reads every row of `input`, returns how many. Stops at the first error `take` returns, or
/// the first read error after all earlier rows were taken.
pub fn run<C, O>(
    input: &mut CsvInput,
    mut check: impl FnMut(&csv::ByteRecord) -> C,
    work: impl Fn(&mut Batch<C>) -> O + Sync,
    mut take: impl FnMut(O) -> Result<()>,
) -> Result<u64>
where
    C: Send,
    O: Send,
{
    // One worker per thread the process may use; the reading thread runs beside them. Batches
    // come back in file order, so the output does not depend on the count.
    let workers = crate::parallel::threads();
    let (done_tx, done_rx) = mpsc::channel::<Returned<C, O>>();
    let work = &work;
    std::thread::scope(|scope| {
        let mut queues = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Sent<C>>(QUEUE);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                for Sent { seq, mut batch } in rx {
                    let out = work(&mut batch);
                    if done_tx.send(Returned { seq, batch, out }).is_err() {
                        break;
                    }
                }
            });
            queues.push(tx);
        }
        drop(done_tx);

        let mut pool: Vec<Vec<csv::ByteRecord>> = Vec::new();
        let mut pending: BTreeMap<usize, Returned<C, O>> = BTreeMap::new();
        let (mut sent, mut next, mut rows_read) = (0usize, 0usize, 0u64);
        let mut read_error: Option<Error> = None;
        let mut take_one = |r: Returned<C, O>, pool: &mut Vec<Vec<csv::ByteRecord>>| {
            pool.push(r.batch.rows);
            take(r.out)
        };
        loop {
            let mut rows = pool.pop().unwrap_or_default();
            let mut checks = Vec::with_capacity(BATCH_ROWS);
            let mut len = 0;
            while len < BATCH_ROWS {
                if rows.len() == len {
                    rows.push(csv::ByteRecord::new());
                }
                match input.read_any(&mut rows[len]) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        read_error = Some(e);
                        break;
                    }
                }
                checks.push(check(&rows[len]));
                len += 1;
            }
            rows_read += len as u64;
            let last = len < BATCH_ROWS;
            if len > 0 {
                let batch = Batch { rows, len, checks };
                if queues[sent % workers]
                    .send(Sent { seq: sent, batch })
                    .is_err()
                {
                    break;
                }
                sent += 1;
            }
            while let Ok(r) = done_rx.try_recv() {
                pending.insert(r.seq, r);
            }
            while let Some(r) = pending.remove(&next) {
                next += 1;
                take_one(r, &mut pool)?;
            }
            if last {
                break;
            }
        }
        drop(queues);
        while next < sent {
            match pending.remove(&next) {
                Some(r) => {
                    next += 1;
                    take_one(r, &mut pool)?;
                }
                None => {
                    let r = done_rx.recv().expect("workers return every batch");
                    pending.insert(r.seq, r);
                }
            }
        }
        match read_error {
            Some(e) => Err(e),
            None => Ok(rows_read),
        }
    })
}
