//! `cargo bench -p falconer-lsp`: the language server's figures, in
//! process, over a byte pipe (the whole server: framing, routing, state,
//! analysis, conversion), on a ~4,600-line file generated from our
//! bundled rules plus the bundled file (~4,800 lines):
//!
//! - edit → diagnostics: one macro's condition edited back and forth 200
//!   times (a field name typo and its fix, as ranged `didChange`s), from
//!   the notification sent to its `publishDiagnostics` received (goal:
//!   median ≤ 1 ms); the same edits on the analysis alone (no LSP) are
//!   timed too, to separate the server's cost from the analysis's;
//! - completion and hover: 200 requests each at places in conditions
//!   (goal: p95 ≤ 1 ms);
//! - memory with the workspace open and analysed: the process's resident
//!   set (`VmRSS`) before the server starts and after, and the live heap
//!   counted by this binary's global allocator (goal: ≤ 30 MB).
//!
//! Each part also prints the CPU time it cost the whole process (server
//! and client threads) per operation: unlike latency, it does not grow
//! when other work shares the machine.
//!
//! Figures are printed, never asserted.
//!
//! For instruction counts (`valgrind --tool=callgrind`, threads
//! included): `FALCONER_LSP_BENCH_EDITS=N` sets the number of timed edits
//! (200) and `FALCONER_LSP_BENCH_EDITS_ONLY=1` stops after them, so two
//! runs with different N give the whole process's cost of one edit.

use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes (and the peak), allocating with mimalloc, the
/// allocator of the `falconer` binary (crates/falconer-cli): the server
/// frees on one thread what it allocated on another, and glibc's malloc
/// makes that much slower than the binary sees it.
struct Counting;

static INNER: mimalloc::MiMalloc = mimalloc::MiMalloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { INNER.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { INNER.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { INNER.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// CPU time of the whole process so far.
fn cpu_now() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / (1024.0 * 1024.0))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// (median, p95)
fn stats(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let p95 = v[((v.len() * 95).div_ceil(100))
        .saturating_sub(1)
        .min(v.len() - 1)];
    (v[v.len() / 2], p95)
}

/// A minimal LSP client over an in-process pipe.
struct Client {
    conn: falconer_lsp::in_process::Connection,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        Client {
            conn: falconer_lsp::in_process::connect(),
            next_id: 1,
        }
    }

    async fn send(&mut self, v: Value) {
        self.conn.send(&v).await;
    }

    async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }))
            .await;
    }

    /// The next message that satisfies `pred` (server requests answered).
    async fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let v = tokio::time::timeout(Duration::from_secs(120), self.conn.incoming.recv())
                .await
                .expect("timed out")
                .expect("server closed");
            if v.get("method").is_some() && v.get("id").is_some() {
                let id = v["id"].clone();
                self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }))
                    .await;
                continue;
            }
            if pred(&v) {
                return v;
            }
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await;
        let mut r = self.wait(|v| v.get("id") == Some(&json!(id))).await;
        assert!(r.get("error").is_none(), "{method}: {r}");
        r["result"].take()
    }
}

/// Line and UTF-16 column of a byte offset (ASCII text here).
fn pos(text: &str, at: usize) -> Value {
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": col })
}

fn uri(p: &std::path::Path) -> String {
    format!("file://{}", p.display())
}

/// Sends one change and waits for the diagnostics of its version.
async fn timed_edit(c: &mut Client, params: Value, version: i32) -> Duration {
    let t = Instant::now();
    c.notify("textDocument/didChange", params).await;
    let want = json!(version);
    let p = c
        .wait(|v| {
            v["method"] == "textDocument/publishDiagnostics" && v["params"]["version"] == want
        })
        .await;
    let n = p["params"]["diagnostics"].as_array().map_or(0, Vec::len);
    assert_eq!(n, usize::from(version % 2 == 0), "{p}");
    t.elapsed()
}

async fn bench() {
    let dir = std::env::temp_dir().join(format!("falconer-lsp-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let generated = falconer_testgen::generate(4500);
    let gen_path = dir.join("generated.yaml");
    let bundled_path = dir.join("falconer_rules.yaml");
    std::fs::write(&gen_path, &generated).unwrap();
    std::fs::write(&bundled_path, falconer_testgen::BUNDLED).unwrap();
    let lines = generated.lines().count() + falconer_testgen::BUNDLED.lines().count();

    let (rss0, heap0) = (rss_kb(), LIVE.load(Ordering::Relaxed));
    PEAK.store(heap0, Ordering::Relaxed);
    let t_open = Instant::now();
    let mut c = Client::start();
    c.request(
        "initialize",
        json!({
            "processId": null,
            "capabilities": { "general": { "positionEncodings": ["utf-16"] } },
            "workspaceFolders": [{ "uri": uri(&dir), "name": "bench" }],
        }),
    )
    .await;
    c.notify("initialized", json!({})).await;
    let doc = uri(&gen_path);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": doc, "languageId": "yaml", "version": 1, "text": generated } }),
    )
    .await;

    // The edited item: the `container_1` macro; a typo in its field makes
    // an unknown-field error, the fix removes it, so every edit publishes.
    let needle = "(container.id != host)";
    let at = generated.find(needle).expect("container macro") + 1;
    let (good, bad) = ("container.id", "container.ix");
    let range = json!({ "start": pos(&generated, at), "end": pos(&generated, at + good.len()) });
    let mut version = 1;
    let change = |version: i32| {
        let text = if version % 2 == 0 { bad } else { good };
        json!({
            "textDocument": { "uri": doc, "version": version },
            "contentChanges": [{ "range": range, "text": text }],
        })
    };
    // The first edit waits for the cold analysis of the workspace.
    version += 1;
    let first = timed_edit(&mut c, change(version), version).await;
    let opened = t_open.elapsed();
    let (rss1, heap1, peak) = (
        rss_kb(),
        LIVE.load(Ordering::Relaxed),
        PEAK.load(Ordering::Relaxed),
    );
    for _ in 0..9 {
        version += 1;
        timed_edit(&mut c, change(version), version).await;
    }
    let edits: u32 = std::env::var("FALCONER_LSP_BENCH_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
        .max(1);
    let mut lat = Vec::new();
    let cpu0 = cpu_now();
    for _ in 0..edits {
        version += 1;
        lat.push(timed_edit(&mut c, change(version), version).await);
    }
    let edit_cpu = (cpu_now() - cpu0) / edits.max(1);
    if std::env::var_os("FALCONER_LSP_BENCH_EDITS_ONLY").is_some() {
        println!("{edits} edits, CPU {} per edit", ms(edit_cpu));
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    // Leave the file clean.
    if version % 2 == 0 {
        version += 1;
        timed_edit(&mut c, change(version), version).await;
    }

    // Completion after `proc.` and on a macro name; hover on fields.
    let mut comp = Vec::new();
    let mut hover = Vec::new();
    let (mut comp_cpu, mut hover_cpu) = (Duration::ZERO, Duration::ZERO);
    let spots: Vec<usize> = generated
        .match_indices("(proc.name in (")
        .map(|(i, _)| i + 1)
        .take(50)
        .collect();
    assert!(spots.len() > 10);
    // Where the client's cursor is (it knows: not part of the timings).
    let cursors: Vec<(Value, Value)> = spots
        .iter()
        .map(|&at| (pos(&generated, at + 5), pos(&generated, at + 2)))
        .collect();
    for i in 0..200 {
        let (comp_at, hover_at) = cursors[i % cursors.len()].clone();
        let (t, cpu) = (Instant::now(), cpu_now());
        let r = c
            .request(
                "textDocument/completion",
                json!({ "textDocument": { "uri": doc }, "position": comp_at }),
            )
            .await;
        comp.push(t.elapsed());
        comp_cpu += cpu_now() - cpu;
        assert!(!r.is_null());
        let (t, cpu) = (Instant::now(), cpu_now());
        let r = c
            .request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": doc }, "position": hover_at }),
            )
            .await;
        hover.push(t.elapsed());
        hover_cpu += cpu_now() - cpu;
        assert!(!r.is_null());
    }

    // The same edits on the analysis alone (no LSP), to separate the
    // server's own cost from the analysis's.
    let mut host = falconer_analysis::AnalysisHost::default();
    host.set_files(vec![
        (
            bundled_path.display().to_string(),
            falconer_testgen::BUNDLED.to_string(),
        ),
        (gen_path.display().to_string(), generated.clone()),
    ]);
    assert!(host.diagnostics().is_empty());
    let mut alone = Vec::new();
    let mut alone_cpu = Duration::ZERO;
    for i in 0..210 {
        let mut t = generated.clone();
        t.replace_range(at..at + good.len(), if i % 2 == 0 { bad } else { good });
        let (start, cpu) = (Instant::now(), cpu_now());
        host.set_file_text(1, t);
        let n = host.diagnostics().len();
        if i >= 10 {
            alone.push(start.elapsed());
            alone_cpu += cpu_now() - cpu;
        }
        assert_eq!(n, usize::from(i % 2 == 0));
    }
    let (am, ap) = stats(alone);

    let (em, ep) = stats(lat);
    let (cm, cp) = stats(comp);
    let (hm, hp) = stats(hover);
    println!("falconer lsp benchmark (in process; {lines} lines in 2 files)");
    println!(
        "open: initialize + didOpen + first edit's diagnostics {} (that edit alone {})",
        ms(opened),
        ms(first)
    );
    println!(
        "edit -> diagnostics, {edits} edits of one item: median {}, p95 {}, CPU {} per edit   (goal: median <= 1 ms)",
        ms(em),
        ms(ep),
        ms(edit_cpu)
    );
    println!(
        "  the same edits on the analysis alone (no LSP): median {}, p95 {}, CPU {} per edit",
        ms(am),
        ms(ap),
        ms(alone_cpu / 200)
    );
    println!(
        "completion, 200 requests: median {}, p95 {}, CPU {} per request   (goal: p95 <= 1 ms)",
        ms(cm),
        ms(cp),
        ms(comp_cpu / 200)
    );
    println!(
        "hover, 200 requests: median {}, p95 {}, CPU {} per request   (goal: p95 <= 1 ms)",
        ms(hm),
        ms(hp),
        ms(hover_cpu / 200)
    );
    match (rss0, rss1) {
        (Some(a), Some(b)) => println!(
            "memory: RSS {} before the server, {} with the workspace open (+{})",
            mb(a as f64 * 1024.0),
            mb(b as f64 * 1024.0),
            mb(b.saturating_sub(a) as f64 * 1024.0)
        ),
        _ => println!("memory: /proc/self/status not readable"),
    }
    println!(
        "memory: live heap +{} with the workspace open (peak +{} while opening)   (goal: <= 30 MB)",
        mb(heap1.saturating_sub(heap0) as f64),
        mb(peak.saturating_sub(heap0) as f64)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    // `cargo bench` passes `--bench`; there are no options.
    // As `falconer lsp` runs.
    falconer_lsp::no_huge_pages();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench());
}
