//! Finding repeated ids exactly, in little memory: a 64-bit hash of each id indexes where the id
//! and the line it was first seen on are kept in one byte arena, and a hash hit is confirmed
//! against the stored bytes. Two different ids that share a hash (vanishingly rare, but possible)
//! go to a small overflow map, so the check is exact.
//!
//! Memory per id: a 16-byte hash-table slot at a load between 3/8 and 3/4 (21–43 bytes), the
//! id's own bytes, and 2–10 bytes of line number and length (LEB128). A plain `HashMap<String,
//! u64>` would add a 24-byte `String` and a heap allocation per id.

use std::hash::BuildHasher;

use rustc_hash::FxHashMap;

use crate::error::Error;
use crate::io::table::{decode, line_of, shown, Source};

/// [`check_row`] for each of a batch of rows, in order, into `out`.
///
/// At a million ids the index is far larger than the caches, and each new id's slot is a cache
/// miss the reading thread waited for, one id after another. Every id of the batch is looked up
/// first, with no lookup waiting for another, so the processor fetches those slots together;
/// the checks that follow find them cached. The lookups change nothing: an id they hash
/// differently (one trimmed of other than ASCII spaces, or not UTF-8) only misses the cache.
pub fn check_rows(
    source: &Source,
    id_col: usize,
    rows: &[crate::io::records::Record],
    seen: &mut IdIndex,
    out: &mut Vec<Option<Error>>,
) {
    for record in rows {
        if let Some(id) = record.get(id_col) {
            seen.touch(id.trim_ascii());
        }
    }
    out.extend(
        rows.iter()
            .map(|record| check_row(source, id_col, record, seen)),
    );
}

/// What can only be checked with the whole file in view, in file order: the row's width, and an
/// id that is neither blank nor seen on an earlier row.
pub fn check_row(
    source: &Source,
    id_col: usize,
    record: &crate::io::records::Record,
    seen: &mut IdIndex,
) -> Option<Error> {
    if let Err(e) = source.check_width(record) {
        return Some(e);
    }
    let text = decode(&record[id_col]);
    let id = crate::io::table::trim(&text);
    if id.is_empty() {
        return Some(source.field_error(record, id_col, "the id is blank".into()));
    }
    seen.insert(id.as_bytes(), line_of(record)).map(|first| {
        source.field_error(
            record,
            id_col,
            format!("duplicate id {} (first seen on line {first})", shown(id)),
        )
    })
}

/// The ids seen so far and the line each was first seen on.
#[derive(Debug)]
pub struct IdIndex<S = rustc_hash::FxBuildHasher> {
    /// Open addressing with linear probing, at most three quarters full: each slot holds an
    /// id's hash and 1 + the offset of its record in `arena` (0: empty). Hash and offset share a
    /// slot, so a lookup of a new id reads one cache line, which [`IdIndex::touch`] fetches ahead.
    slots: Vec<[u64; 2]>,
    /// Slots in use.
    used: usize,
    /// Records: LEB128 line, LEB128 length, the id's bytes.
    arena: Vec<u8>,
    /// Ids whose hash an earlier, different id already had: id → first line.
    overflow: FxHashMap<Box<[u8]>, u64>,
    hasher: S,
}

/// `n` empty slots, the zeros written rather than left to the kernel. A large `vec![[0; 2]; n]`
/// is fresh zero pages: the first look at a slot ([`IdIndex::touch`]) maps a shared page of
/// zeros, and the first id stored there then replaces it, which makes the kernel interrupt
/// every other core running the process to forget the old mapping (a TLB shootdown), once per
/// 4 KiB page of a table of tens of megabytes, while the workers parse on those cores.
///
/// The table is asked for in huge pages (2 MiB) where the system gives them on request. A
/// lookup lands on a random slot of tens of megabytes, so with 4 KiB pages nearly every one
/// also misses the processor's table of pages, which costs a walk of the page tables (two
/// levels of them in a virtual machine). Wide 1M leads, `--keep-order`, 6 runs each: 2.98 →
/// 2.80 s of CPU.
fn written_zeros(n: usize) -> Vec<[u64; 2]> {
    let mut slots = Vec::with_capacity(n);
    advise_huge_pages(&mut slots);
    slots.resize(n, [0; 2]);
    slots
}

/// Asks the kernel to back the whole 2 MiB pages of `v`'s spare capacity with huge pages,
/// before anything is written there (pages already written keep their size). Only a hint: on
/// a system that has transparent huge pages off, or on request only and none to spare, memory
/// stays as it was. Linux only.
fn advise_huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let spare = v.spare_capacity_mut();
        let start = spare.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(spare);
        let (from, to) = (start.div_ceil(HUGE) * HUGE, end / HUGE * HUGE);
        if to > from {
            // SAFETY: the range lies within `v`'s allocation, which `v` owns; the advice changes
            // how its pages are backed, never what they hold or whether they may be used. A
            // failure (an old kernel, THP compiled out) leaves the pages as they were.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// Slots of a new index; a power of two, as every size is.
const FIRST_SLOTS: usize = 1024;

impl Default for IdIndex {
    fn default() -> Self {
        IdIndex::with_hasher(rustc_hash::FxBuildHasher)
    }
}

impl<S: BuildHasher> IdIndex<S> {
    /// An empty index hashing ids with `hasher` (tests use a constant one to force collisions).
    pub fn with_hasher(hasher: S) -> Self {
        IdIndex {
            slots: vec![[0; 2]; FIRST_SLOTS],
            used: 0,
            arena: Vec::new(),
            overflow: FxHashMap::default(),
            hasher,
        }
    }

    /// Ids recorded.
    pub fn len(&self) -> usize {
        self.used + self.overflow.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `total` ids in all, sized like those recorded so far, so a large list is
    /// not rehashed and copied again and again as it grows.
    pub fn expect(&mut self, total: usize) {
        let more = total.saturating_sub(self.len());
        let per_id = self.arena.len().div_ceil(self.used.max(1));
        self.reserve(total);
        self.arena.reserve(more.saturating_mul(per_id));
    }

    /// Sizes the index for a whole file once, when it holds its first batch of ids: by how far
    /// into the file (of `size` bytes, when known: standard input is not) the next batch
    /// starts, with 5% to spare. Growing by doubling instead rehashes and copies the table
    /// again and again on a large list.
    pub fn expect_file(&mut self, next: Option<&crate::io::records::Record>, size: Option<u64>) {
        if self.len() != crate::io::pipeline::BATCH_ROWS {
            return;
        }
        let at = next.map(crate::io::records::Record::byte);
        if let (Some(size), Some(at)) = (size, at.filter(|&at| at > 0)) {
            self.expect((size as f64 / at as f64 * self.len() as f64 * 1.05) as usize);
        }
    }

    /// Grows the table, if need be, to hold `ids` ids at most three quarters full.
    fn reserve(&mut self, ids: usize) {
        let want = ids
            .saturating_mul(4)
            .div_ceil(3)
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX);
        if want <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(&mut self.slots, written_zeros(want));
        for slot in old.into_iter().filter(|s| s[1] != 0) {
            let mask = self.slots.len() - 1;
            let mut i = self.home(slot[0]);
            while self.slots[i][1] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// Where a hash's probe starts: the top bits of a multiplicative mix, so every bit of the
    /// hash counts whatever the table's size.
    fn home(&self, hash: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// Looks `id`'s slot up and forgets it: brings it into the cache (see [`check_rows`]).
    fn touch(&self, id: &[u8]) {
        let home = self.home(self.hasher.hash_one(id));
        std::hint::black_box(self.slots[home]);
    }

    /// Records `id` on `line`; if it was seen before, returns the line it was first seen on
    /// (and records nothing).
    pub fn insert(&mut self, id: &[u8], line: u64) -> Option<u64> {
        let hash = self.hasher.hash_one(id);
        // Grow at three quarters full; the test is cheaper than working out the size.
        if (self.used + 1) * 4 > self.slots.len() * 3 {
            self.reserve(self.used + 1);
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        loop {
            let [stored_hash, at] = self.slots[i];
            if at == 0 {
                let at = self.arena.len() as u64;
                push_leb128(&mut self.arena, line);
                push_leb128(&mut self.arena, id.len() as u64);
                self.arena.extend_from_slice(id);
                self.slots[i] = [hash, at + 1];
                self.used += 1;
                return None;
            }
            if stored_hash == hash {
                let (first, stored) = self.record(at - 1);
                if stored == id {
                    return Some(first);
                }
                return match self.overflow.get(id) {
                    Some(&first) => Some(first),
                    None => {
                        self.overflow.insert(id.into(), line);
                        None
                    }
                };
            }
            i = (i + 1) & mask;
        }
    }

    /// The line and id bytes of the record at `at`.
    fn record(&self, at: u64) -> (u64, &[u8]) {
        let mut pos = at as usize;
        let line = read_leb128(&self.arena, &mut pos);
        let len = read_leb128(&self.arena, &mut pos) as usize;
        (line, &self.arena[pos..pos + len])
    }
}

fn push_leb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb128(bytes: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = bytes[*pos];
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_page_advice_changes_nothing_a_vector_holds() {
        // Too small for a whole huge page, empty, and large enough for several.
        for n in [0usize, 100, 3 << 20] {
            let mut v: Vec<[u64; 2]> = Vec::with_capacity(n);
            advise_huge_pages(&mut v);
            v.extend((0..n as u64).map(|i| [i, !i]));
            assert_eq!(v.len(), n);
            assert!(v
                .iter()
                .enumerate()
                .all(|(i, s)| *s == [i as u64, !(i as u64)]));
        }
        let mut full = vec![1u8; 10];
        advise_huge_pages(&mut full);
        assert_eq!(full, vec![1u8; 10]);
    }
    use std::hash::Hasher;

    #[test]
    fn repeats_are_found_with_the_line_first_seen() {
        let mut ids = IdIndex::default();
        assert_eq!(ids.insert(b"L1", 2), None);
        assert_eq!(ids.insert(b"L2", 3), None);
        assert_eq!(ids.insert(b"L1", 9), Some(2));
        assert_eq!(ids.insert(b"L2", 1_000_000_000_000), Some(3));
        assert_eq!(ids.len(), 2);
        // Long ids and large line numbers survive the arena's encoding.
        let long = vec![b'x'; 300];
        assert_eq!(ids.insert(&long, u64::MAX), None);
        assert_eq!(ids.insert(&long, 5), Some(u64::MAX));
    }

    /// Every id hashes alike, so every lookup after the first is a collision.
    #[derive(Clone, Default)]
    struct Constant;
    impl BuildHasher for Constant {
        type Hasher = ConstantHasher;
        fn build_hasher(&self) -> ConstantHasher {
            ConstantHasher
        }
    }
    struct ConstantHasher;
    impl Hasher for ConstantHasher {
        fn finish(&self) -> u64 {
            42
        }
        fn write(&mut self, _: &[u8]) {}
    }

    #[test]
    fn ids_that_share_a_hash_are_still_told_apart() {
        let mut ids = IdIndex::with_hasher(Constant);
        assert_eq!(ids.insert(b"a", 2), None);
        assert_eq!(ids.insert(b"b", 3), None);
        assert_eq!(ids.insert(b"c", 4), None);
        assert_eq!(ids.insert(b"b", 5), Some(3));
        assert_eq!(ids.insert(b"a", 6), Some(2));
        assert_eq!(ids.insert(b"c", 7), Some(4));
        assert_eq!(ids.len(), 3);
    }

    /// Through several doublings (and one `expect` midway), the index answers as a map of
    /// every id to its first line does.
    #[test]
    fn the_table_grows_without_losing_an_id() {
        let mut ids = IdIndex::default();
        let mut want = std::collections::HashMap::new();
        for line in 0..60_000u64 {
            if line == 5_000 {
                ids.expect(30_000);
            }
            // Ids repeat: every third line has an id first seen about a third of the way back.
            let id = format!("L{}", if line % 3 == 0 { line / 3 } else { line });
            let first = want.get(&id).copied();
            want.entry(id.clone()).or_insert(line);
            assert_eq!(
                ids.insert(id.as_bytes(), line),
                first,
                "{id} on line {line}"
            );
        }
        assert_eq!(ids.len(), want.len());
        assert!(ids.slots.len() >= want.len() * 4 / 3 && ids.slots.len().is_power_of_two());
    }
}
