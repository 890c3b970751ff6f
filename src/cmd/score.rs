//! `leadscore score LEADS`: one row per lead with expected return, burden and net value, a tier,
//! a recommendation, the three biggest reasons in money and what the model had to guess.
//!
//! The work is a `pipeline`: the reading thread checks what needs the whole file (row width,
//! duplicate ids); worker threads score and format each batch into finished CSV bytes; the
//! batches are written back in input order. With `--keep-order` batches go
//! straight to the output, so memory stays flat. Sorted output must see every lead before
//! writing the first, so it keeps each finished row's bytes plus a 24-byte sort key per lead:
//! nothing else of the input stays in memory.
//!
//! Every text cell of the scores and of the rejects file (ids, reasons, warnings, carried input
//! fields, header names) is formula-safe (`write::formula`): lead lists come from web forms, and
//! these files are opened in spreadsheets.

use std::io::{IsTerminal, Write};
use std::sync::mpsc;

use crate::cli::ScoreArgs;
use crate::error::{Error, Result};
use crate::io::ids::{check_rows, IdIndex};
use crate::io::output::Output;
use crate::io::pipeline::{self, Batch};
use crate::io::table::{line_of, ReadOptions, Row, Source};
use crate::model::columns::FeatureColumns;
use crate::model::components::{column_names, Components};
use crate::model::drift::Drift;
use crate::model::scorer::{breakdown_columns, ScoredLead, Scorer};
use crate::report::score::Summary;
use crate::write::csv::{CsvWriter, Dialect};

pub fn run(args: &ScoreArgs) -> Result<()> {
    let leads = super::leads_path(
        args.leads.as_deref(),
        std::io::stdin().is_terminal(),
        "score",
    )?;
    let output = super::output_path(args.output.as_deref());
    super::check_scoring_paths(&leads, &args.model, output, args.skip_invalid.as_deref())?;
    let (model, located) = crate::model::registry::load(&args.model)?;
    let scorer = Scorer::new(&model)?;
    let components = if args.components {
        Some(super::components_of(&model, &located)?)
    } else {
        None
    };
    let super::Leads {
        mut input,
        id_col,
        cols,
    } = super::open_leads(
        &model,
        &leads,
        ReadOptions::on_terminal(args.delimiter),
        args.id.as_deref().map(|c| ("--id", c)),
    )?;
    let extra: Vec<usize> = if args.with_input {
        (0..input.headers().len())
            .filter(|&c| c != id_col)
            .collect()
    } else {
        Vec::new()
    };
    let carried: Vec<&str> = extra.iter().map(|&c| input.headers()[c].as_str()).collect();
    // The output is comma-separated: numbers a decimal comma wrote are carried with a point.
    let numbers = cols.decimal_comma_numbers();
    let pointed: Vec<bool> = extra.iter().map(|c| numbers.contains(c)).collect();
    let mut part_columns = components
        .as_ref()
        .map_or_else(Vec::new, |c| column_names(&c.parts));
    if args.breakdown {
        part_columns.extend(breakdown_columns(scorer.equation()));
    }
    let header = crate::write::header_with(&input.headers()[id_col], &part_columns, &carried);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();

    let rejects = match &args.skip_invalid {
        Some(path) => Some(super::open_rejects(path, input.headers())?),
        None => None,
    };
    let mut sink = Sink {
        output_path: output.map(|p| p.to_path_buf()),
        output: None,
        header: csv_line(&header),
        sorted: (!args.keep_order).then(SortedRows::default),
        rejects,
        summary: Summary::default(),
    };
    if args.keep_order {
        // Streaming: open now; the header is written with the first scored batch.
        sink.output = Some(Output::create(output)?);
    }
    let source = input.source().clone();
    let ctx = Ctx {
        scorer: &scorer,
        components: components.as_ref(),
        breakdown: args.breakdown,
        cols: &cols,
        source: &source,
        extra: &extra,
        pointed: &pointed,
        id_col,
        decimals: args.decimals as usize,
        skip_invalid: args.skip_invalid.is_some(),
    };
    let mut seen = IdIndex::default();
    let size = input.size();
    let rows_read = pipeline::run(
        &mut input,
        |rows, checks| {
            seen.expect_file(rows.first(), size);
            check_rows(ctx.source, ctx.id_col, rows, &mut seen, checks)
        },
        |batch| score_batch(&ctx, batch),
        |done| sink.take(done),
    )?;
    input.finish_progress();
    if rows_read == 0 {
        return Err(Error::file(input.path(), "has a header but no rows"));
    }
    let summary = sink.finish()?;
    eprint!(
        "{}",
        summary.render(
            &model,
            &located,
            args.skip_invalid.as_ref().map(|p| p.display().to_string()),
            &leads.display().to_string()
        )
    );
    Ok(())
}

/// Everything a worker needs to score rows; shared read-only between threads.
struct Ctx<'a> {
    scorer: &'a Scorer<'a>,
    components: Option<&'a Components>,
    /// `--breakdown`: the net value's parts after the components.
    breakdown: bool,
    cols: &'a FeatureColumns,
    source: &'a Source,
    extra: &'a [usize],
    /// For each of `extra`, whether it is a number to carry with a decimal point.
    pointed: &'a [bool],
    id_col: usize,
    decimals: usize,
    skip_invalid: bool,
}

/// A scored batch: finished CSV bytes, where each row ends, its net value, and rejects.
struct Done {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    nets: Vec<f64>,
    rejects: Vec<u8>,
    summary: Summary,
    error: Option<Error>,
}

fn score_batch(ctx: &Ctx, batch: &mut Batch<Option<Error>>) -> Done {
    let eq = ctx.scorer.equation();
    let mut done = Done {
        bytes: Vec::new(),
        ends: Vec::with_capacity(batch.len),
        nets: Vec::with_capacity(batch.len),
        rejects: Vec::new(),
        summary: Summary {
            drift: Drift::new(ctx.scorer.model()),
            ..Summary::default()
        },
        error: None,
    };
    let mut out = CsvWriter::new(Vec::with_capacity(batch.len * 160), eq, ctx.decimals)
        .with_components(ctx.components)
        .with_breakdown(ctx.breakdown);
    let mut rejects = Vec::new();
    let mut lead = ScoredLead::default();
    let checks = &mut batch.checks;
    Row::each(&batch.rows[..batch.len], |i, row| {
        let outcome = match checks[i].take() {
            Some(e) => Err(e),
            None => ctx
                .scorer
                .score(ctx.source, ctx.cols, row, ctx.decimals, &mut lead),
        };
        if let Err(err) = outcome {
            if !ctx.skip_invalid {
                done.error = Some(err);
                return false;
            }
            super::reject(&mut rejects, row.record(), &err);
            done.summary.rejected += 1;
            return true;
        }
        lead.id.clear();
        lead.id.push_str(&row.text(ctx.id_col));
        lead.line = line_of(row.record());
        done.summary.add(&lead);
        done.summary.drift.add(&lead, ctx.scorer.model());
        let text: Vec<std::borrow::Cow<str>> = ctx
            .extra
            .iter()
            .zip(ctx.pointed)
            .map(|(&c, &pointed)| super::carried_text(row.text(c), pointed))
            .collect();
        out.append(&lead, &text);
        done.ends.push(out.get_ref().len());
        done.nets.push(lead.money.net);
        true
    });
    done.bytes = out.into_inner().unwrap_or_default();
    done.rejects = rejects;
    done
}

/// Where scored batches go, in input order.
struct Sink {
    output_path: Option<std::path::PathBuf>,
    output: Option<Output>,
    header: Vec<u8>,
    sorted: Option<SortedRows>,
    rejects: Option<Output>,
    summary: Summary,
}

impl Sink {
    /// Takes one scored batch, in input order.
    fn take(&mut self, done: Done) -> Result<()> {
        if let Some(err) = done.error {
            return Err(err);
        }
        if let Some(rejects) = &mut self.rejects {
            let name = rejects.name();
            rejects
                .write_all(&done.rejects)
                .map_err(|e| Error::write(name, e))?;
        }
        self.summary.merge(&done.summary);
        match &mut self.sorted {
            Some(sorted) => sorted.push_batch(done.bytes, &done.ends, &done.nets),
            None if done.ends.is_empty() => {}
            None => {
                let out = self.output.as_mut().expect("opened when streaming");
                if !self.header.is_empty() {
                    out.write_all(&std::mem::take(&mut self.header))
                        .map_err(|e| Error::write(out.name(), e))?;
                }
                out.write_all(&done.bytes)
                    .map_err(|e| Error::write(out.name(), e))?;
            }
        }
        Ok(())
    }

    /// Writes what is held (the header, sorted rows) and puts every file in place.
    fn finish(mut self) -> Result<Summary> {
        let mut out = match self.output.take() {
            Some(o) => o,
            None => Output::create(self.output_path.as_deref())?,
        };
        let name = out.name();
        if !self.header.is_empty() {
            out.write_all(&self.header)
                .map_err(|e| Error::write(&name, e))?;
        }
        if let Some(sorted) = self.sorted.take() {
            sorted
                .write_to(&mut out, crate::parallel::threads())
                .map_err(|e| Error::write(&name, e))?;
        }
        if let Some(rejects) = self.rejects.take() {
            rejects.commit()?;
        }
        out.commit()?;
        Ok(self.summary)
    }
}

/// One CSV line (for headers): column names come from the lead list, so they are text cells
/// like any other.
fn csv_line(fields: &[&str]) -> Vec<u8> {
    let mut line = Vec::new();
    Dialect::new(b',').text_record(&mut line, fields.iter().copied());
    line
}

/// Finished output rows waiting to be sorted: each batch's CSV bytes as the workers made them,
/// and a 24-byte key per lead.
#[derive(Default)]
struct SortedRows {
    batches: Vec<Vec<u8>>,
    keys: Vec<SortKey>,
}

/// Where a finished row is, and its expected net value.
#[derive(Clone, Copy)]
struct SortKey {
    net: f64,
    batch: u32,
    start: u32,
    len: u32,
}

impl SortedRows {
    /// Keeps a batch: its bytes, where each row ends within them, and each row's net value.
    fn push_batch(&mut self, bytes: Vec<u8>, ends: &[usize], nets: &[f64]) {
        let batch = self.batches.len() as u32;
        let mut start = 0;
        for (&end, &net) in ends.iter().zip(nets) {
            self.keys.push(SortKey {
                net,
                batch,
                start: start as u32,
                len: (end - start) as u32,
            });
            start = end;
        }
        self.batches.push(bytes);
    }

    /// Writes the rows by expected net value, highest first; ties keep input order (batch,
    /// then position in it), so the output is the same on every run and thread count.
    ///
    /// With two threads or more, the end of a sorted run does not wait on one core: the two
    /// halves of the keys are sorted at once, and a second thread merges them and gathers the
    /// rows into 1 MiB chunks while this one writes the chunks out. Gathering reads every row
    /// from wherever its batch is in memory, and writing copies it into the kernel; at a million
    /// leads, the two took 0.35 s one after the other.
    fn write_to<W: Write>(mut self, out: &mut W, threads: usize) -> std::io::Result<()> {
        if threads < 2 {
            self.keys.sort_unstable_by(by_net_then_input);
            for (n, k) in self.keys.iter().enumerate() {
                if let Some(ahead) = self.keys.get(n + AHEAD) {
                    self.prefetch(ahead);
                }
                out.write_all(self.row(k))?;
            }
            return Ok(());
        }
        let mid = self.keys.len() / 2;
        let (left, right) = self.keys.split_at_mut(mid);
        std::thread::scope(|s| {
            s.spawn(|| left.sort_unstable_by(by_net_then_input));
            right.sort_unstable_by(by_net_then_input);
        });
        let (left, right) = self.keys.split_at(mid);
        let rows = &self;
        // Bounded, so the gathering stays a few chunks ahead of the writing; chunks written
        // come back to be filled again.
        let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(4);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        std::thread::scope(|s| {
            s.spawn(move || {
                let (mut i, mut j) = (0, 0);
                let mut chunk = Vec::with_capacity(CHUNK_BYTES);
                while i < left.len() || j < right.len() {
                    // The rows are read in an order unrelated to where they lie, so each one is
                    // a wait on memory unless asked for ahead: the next rows of both halves.
                    if let Some(k) = left.get(i + AHEAD) {
                        rows.prefetch(k);
                    }
                    if let Some(k) = right.get(j + AHEAD) {
                        rows.prefetch(k);
                    }
                    let from_left = j == right.len()
                        || (i < left.len()
                            && by_net_then_input(&left[i], &right[j])
                                != std::cmp::Ordering::Greater);
                    let k = if from_left {
                        i += 1;
                        &left[i - 1]
                    } else {
                        j += 1;
                        &right[j - 1]
                    };
                    chunk.extend_from_slice(rows.row(k));
                    if chunk.len() >= CHUNK_BYTES {
                        // The writer stopped (a write failed): so does the gathering.
                        if full_tx.send(chunk).is_err() {
                            return;
                        }
                        chunk = empty_rx.try_recv().unwrap_or_default();
                        chunk.clear();
                    }
                }
                let _ = full_tx.send(chunk);
            });
            for chunk in full_rx {
                out.write_all(&chunk)?;
                let _ = empty_tx.send(chunk);
            }
            Ok(())
        })
    }

    /// Asks for the row `k` points at to be brought into the cache, without waiting for it.
    #[inline]
    fn prefetch(&self, k: &SortKey) {
        let row = self.row(k);
        #[cfg(target_arch = "x86_64")]
        for at in (0..row.len()).step_by(64) {
            // SAFETY: a prefetch is only a hint; `at` is inside `row`, and nothing is read.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    row.as_ptr().add(at).cast(),
                )
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = row;
    }

    /// The finished bytes of the row `k` points at.
    fn row(&self, k: &SortKey) -> &[u8] {
        &self.batches[k.batch as usize][k.start as usize..(k.start + k.len) as usize]
    }
}

/// How many rows ahead of the gathering each half's rows are fetched into the cache.
const AHEAD: usize = 12;

/// Bytes gathered before they are handed to the writing thread.
const CHUNK_BYTES: usize = 1 << 20;

/// Expected net value, highest first, then input order.
fn by_net_then_input(a: &SortKey, b: &SortKey) -> std::cmp::Ordering {
    b.net
        .total_cmp(&a.net)
        .then(a.batch.cmp(&b.batch))
        .then(a.start.cmp(&b.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_rows_come_out_by_net_value_then_input_order() {
        let mut rows = SortedRows::default();
        rows.push_batch(b"a\nb\n".to_vec(), &[2, 4], &[1.0, 5.0]);
        rows.push_batch(b"c\nd\n".to_vec(), &[2, 4], &[1.0, -2.0]);
        let mut out = Vec::new();
        rows.write_to(&mut out, 1).unwrap();
        assert_eq!(out, b"b\na\nc\nd\n");
    }

    /// Many rows over many batches, with net values drawn from a few (ties everywhere, signed
    /// zeros among them), more bytes than a chunk: the two-thread merge writes exactly what one
    /// sort writes, and that is every row once, ordered by net value then input order.
    #[test]
    fn sorting_on_two_threads_writes_what_one_thread_writes() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let nets = [-0.0, 0.0, 1.5, -3.0, 1e9, 7.25];
        let (mut one, mut two) = (SortedRows::default(), SortedRows::default());
        let mut want: Vec<(f64, usize, String)> = Vec::new();
        for b in 0..1000 {
            let (mut bytes, mut ends, mut batch_nets) = (Vec::new(), Vec::new(), Vec::new());
            for r in 0..rng.random_range(0..40) {
                let net = nets[rng.random_range(0..nets.len())];
                let line = format!("{b}-{r},{net},{}\n", "x".repeat(rng.random_range(0..300)));
                bytes.extend_from_slice(line.as_bytes());
                ends.push(bytes.len());
                batch_nets.push(net);
                want.push((net, want.len(), line));
            }
            one.push_batch(bytes.clone(), &ends, &batch_nets);
            two.push_batch(bytes, &ends, &batch_nets);
        }
        let (mut by_one, mut by_two) = (Vec::new(), Vec::new());
        one.write_to(&mut by_one, 1).unwrap();
        two.write_to(&mut by_two, 2).unwrap();
        assert!(by_one.len() > 2 * CHUNK_BYTES);
        assert!(by_one == by_two, "the two-thread output differs");
        want.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let want: String = want.into_iter().map(|(_, _, line)| line).collect();
        assert!(
            by_one == want.as_bytes(),
            "not by net value then input order"
        );
    }
}
