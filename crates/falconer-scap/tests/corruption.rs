//! Truncated and corrupted versions of the reference captures: the reader
//! never panics, every error carries the offset of a block inside the
//! data, the events before the damage are delivered intact, and memory
//! stays bounded (checked with a counting allocator: this test binary's
//! global allocator).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{captures_or_skip, CAPTURES};
use falconer_scap::{Event, ScapError, ScapReader};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        CURRENT.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new > l.size() {
                let now = CURRENT.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The test threads share the allocator; run the memory-checked reads one
/// at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Extra memory a read may use beyond the input: tables and one block.
const MEMORY_BUDGET: usize = 48 << 20;

struct Outcome {
    events: Vec<Event>,
    error: Option<ScapError>,
    peak: usize,
}

fn read(data: &[u8]) -> Outcome {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut events = Vec::new();
    let error = match ScapReader::new(data) {
        Err(e) => Some(e),
        Ok(r) => {
            let mut err = None;
            for e in r {
                match e {
                    // Keep only a few events: memory must not depend on
                    // what the caller keeps.
                    Ok(e) => {
                        if events.len() < 4 {
                            events.push(e)
                        } else {
                            events.push(Event::new(e.code, e.ts, e.tid, e.cpu, &[]))
                        }
                    }
                    Err(e) => err = Some(e),
                }
            }
            err
        }
    };
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    Outcome {
        events,
        error,
        peak,
    }
}

fn plain_bytes(path: &std::path::Path) -> (Vec<u8>, Vec<u8>) {
    let gz = std::fs::read(path).unwrap();
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(&gz[..])
        .read_to_end(&mut plain)
        .unwrap();
    (gz, plain)
}

/// Block start offsets, and the end of the last block.
fn block_offsets(plain: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    let mut off = 0;
    while off + 8 <= plain.len() {
        let total = u32::from_le_bytes(plain[off + 4..off + 8].try_into().unwrap()) as usize;
        off += total;
        v.push(off);
    }
    v
}

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn truncated_captures() {
    let Some(dir) = captures_or_skip("truncated_captures") else {
        return;
    };
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut checked = 0;
    for cap in &CAPTURES {
        let (gz, plain) = plain_bytes(&dir.join(cap.path));
        let full: Vec<Event> = ScapReader::new(&plain[..])
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        let blocks = block_offsets(&plain);
        // Where each event's block ends.
        let ends: Vec<usize> = full
            .iter()
            .map(|e| blocks[blocks.partition_point(|&b| b <= e.offset as usize)])
            .collect();
        // 30 block boundaries ±1 (and the first ones: metadata, first
        // events), plus 60 evenly spaced cuts.
        let step = (blocks.len() / 30).max(1);
        let mut cuts: Vec<usize> = blocks[..8.min(blocks.len())]
            .iter()
            .chain(blocks.iter().step_by(step))
            .flat_map(|&b| [b.saturating_sub(1), b, b + 1])
            .filter(|&c| c < plain.len())
            .collect();
        cuts.extend((0..60).map(|i| i * plain.len() / 60));
        for cut in cuts {
            let out = read(&plain[..cut]);
            // Events delivered: exactly those whose blocks end by the cut.
            let whole = ends.partition_point(|&end| end <= cut);
            assert_eq!(out.events.len(), whole, "{} cut {cut}", cap.path);
            for (a, b) in out.events.iter().zip(&full).take(4) {
                assert!(a.same_content(b), "{} cut {cut}", cap.path);
            }
            if blocks.contains(&cut) && cut > 0 {
                assert!(
                    out.error.is_none(),
                    "{} cut {cut}: {:?}",
                    cap.path,
                    out.error
                );
            } else {
                let e = out
                    .error
                    .unwrap_or_else(|| panic!("{} cut {cut}: no error", cap.path));
                assert!(e.offset as usize <= cut, "{} cut {cut}: {e}", cap.path);
                assert!(
                    blocks.contains(&(e.offset as usize)),
                    "{} cut {cut}: {e}",
                    cap.path
                );
                assert_eq!(
                    e.kind,
                    falconer_scap::ErrorKind::Truncated,
                    "{} cut {cut}: {e}",
                    cap.path
                );
            }
            assert!(
                out.peak < MEMORY_BUDGET,
                "{} cut {cut}: {} bytes",
                cap.path,
                out.peak
            );
            checked += 1;
        }
        // The compressed file cut anywhere.
        for i in 1..20 {
            let cut = i * gz.len() / 20;
            let out = read(&gz[..cut]);
            assert!(out.error.is_some(), "{} gz cut {cut}", cap.path);
            assert!(out.events.len() <= full.len());
            checked += 1;
        }
    }
    eprintln!("truncated_captures: {checked} truncations checked");
}

#[test]
fn corrupted_captures() {
    let Some(dir) = captures_or_skip("corrupted_captures") else {
        return;
    };
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut checked, mut failed) = (0, 0);
    for cap in &CAPTURES {
        let (_, plain) = plain_bytes(&dir.join(cap.path));
        let blocks = block_offsets(&plain);
        let full_len = ScapReader::new(&plain[..]).unwrap().count();
        for round in 0..60 {
            let mut data = plain.clone();
            match round % 4 {
                // Random bytes anywhere.
                0 | 1 => {
                    for _ in 0..1 + rng.below(4) {
                        let i = rng.below(data.len());
                        data[i] ^= 1 << rng.below(8);
                    }
                }
                // A block length replaced by a random or huge value.
                2 => {
                    let b = blocks[rng.below(blocks.len() - 1)];
                    let v: u32 = match rng.below(3) {
                        0 => u32::MAX - rng.below(16) as u32,
                        1 => (256 << 20) - 4,
                        _ => rng.next() as u32,
                    };
                    data[b + 4..b + 8].copy_from_slice(&v.to_le_bytes());
                }
                // A field inside an event header (len, type, nparams, param
                // lengths) replaced.
                _ => {
                    let b = blocks[rng.below(blocks.len() - 1)];
                    let i = (b + 8 + 18 + rng.below(16)).min(data.len() - 1);
                    data[i] = rng.next() as u8;
                }
            }
            let out = read(&data);
            if let Some(e) = &out.error {
                assert!((e.offset as usize) < data.len(), "{}: {e}", cap.path);
                assert!(!e.message.is_empty());
                failed += 1;
            }
            assert!(out.events.len() <= full_len + 1, "{}", cap.path);
            assert!(out.peak < MEMORY_BUDGET, "{}: {} bytes", cap.path, out.peak);
            checked += 1;
        }
        // The same damage in a gzip stream.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut data = plain.clone();
        let b = blocks[blocks.len() / 2];
        data[b + 4..b + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        gz.write_all(&data).unwrap();
        let out = read(&gz.finish().unwrap());
        let e = out.error.expect("huge block length");
        assert_eq!(e.offset as usize, b);
        assert!(out.peak < MEMORY_BUDGET);
    }
    eprintln!("corrupted_captures: {checked} corruptions read, {failed} reported an error");
}
