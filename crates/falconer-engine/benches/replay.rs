//! Replay throughput: `cargo bench -p falconer-engine`.
//!
//! All rules of a ~100-rule set (our bundled rules plus renamed copies
//! from falconer-testgen, each copy's lists given an item of their own so
//! that the copies' conditions differ) over captures made by our writer (generated
//! into target/, not committed), on one core, alerts formatted; then
//! `sysdig -r` on the same capture with one expanded condition, side by
//! side. Peak RSS is printed after each capture size to show that memory
//! does not grow with the capture. Prints figures; asserts nothing.
//!
//! `FALCONER_BENCH_EVENTS` sets the large capture's size (default
//! 1,000,000 events).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use falconer_analysis::expand::rule_expr;
use falconer_analysis::{AnalysisHost, Config};
use falconer_engine::capgen::{write_capture, GenConfig};
use falconer_engine::engine::{Engine, Options, RuleMatching};
use falconer_engine::replay::replay;
use falconer_engine::sysdig_compat::bracketed;
use falconer_scap::ScapReader;

/// The allocator of the `falconer` binary (crates/falconer-cli), so that
/// the figures are those of `falconer replay` / `falconer probe`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn target_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("falconer-bench");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn capture(events: u64) -> PathBuf {
    let path = target_dir().join(format!("replay-{events}.scap"));
    if !path.exists() {
        let t = Instant::now();
        let tmp = path.with_extension("tmp");
        let f = std::fs::File::create(&tmp).unwrap();
        let n = write_capture(
            std::io::BufWriter::with_capacity(1 << 20, f),
            &GenConfig {
                seed: 42,
                events,
                ..GenConfig::default()
            },
        )
        .unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        println!(
            "generated {} ({n} events, {:.1} MB) in {:.1}s",
            path.display(),
            std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
    }
    path
}

fn ruleset() -> AnalysisHost {
    let (bundled, extra) = falconer_testgen::distinct_copies(100);
    let mut h = AnalysisHost::new(Config::default());
    h.set_files(vec![
        ("falconer_rules.yaml".into(), bundled),
        ("generated.yaml".into(), extra),
    ]);
    h
}

/// Fields of /proc/self/stat after the command name.
fn stat_fields(path: &str) -> Vec<f64> {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let rest = s.rsplit(')').next().unwrap_or("");
    rest.split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect()
}

/// CPU time (user + system) of this thread, in seconds.
fn thread_cpu() -> f64 {
    let f = stat_fields("/proc/thread-self/stat");
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

/// CPU time of the waited-for children of this process, in seconds.
fn children_cpu() -> f64 {
    let f = stat_fields("/proc/self/stat");
    (f.get(13).unwrap_or(&0.0) + f.get(14).unwrap_or(&0.0)) / 100.0
}

fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// (events, alerts, wall seconds, CPU seconds).
fn run_engine(host: &AnalysisHost, cap: &Path) -> (u64, u64, f64, f64) {
    let mut engine = Engine::from_analysis(
        host,
        &Options {
            rule_matching: RuleMatching::First,
            ..Options::default()
        },
    );
    let mut reader = ScapReader::open(cap).unwrap();
    let mut bytes = 0usize;
    let t = Instant::now();
    let c0 = thread_cpu();
    let stats = replay(&mut reader, &mut engine, |a| {
        // Format the line as `falconer replay` prints it.
        bytes += a.line().len();
    })
    .unwrap_or_else(|(s, e)| panic!("replay failed after {} events: {e}", s.events));
    let secs = t.elapsed().as_secs_f64();
    let cpu = thread_cpu() - c0;
    std::hint::black_box(bytes);
    (stats.events, stats.alerts, secs, cpu)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // we need: run a tiny version then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let big: u64 = std::env::var("FALCONER_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 20_000 } else { 1_000_000 });
    let host = ruleset();
    let nrules = host.collected().rules.iter().filter(|r| r.enabled).count();
    let engine = Engine::from_analysis(&host, &Options::default());
    println!(
        "ruleset: {nrules} rules, {} loaded by the engine",
        engine.rules().len()
    );
    for n in engine.notes().iter().take(5) {
        println!("  note: {n}");
    }
    drop(engine);

    let mut last = None;
    for events in [big / 4, big] {
        let cap = capture(events);
        let (n, alerts, secs, cpu) = run_engine(&host, &cap);
        let rate = n as f64 / cpu.max(0.01);
        println!(
            "falconer replay: {n} events, {alerts} alerts, wall {secs:.2}s, CPU {cpu:.2}s: {:.0} events/s per core (CPU time), peak RSS {} MB",
            rate,
            peak_rss_kb().map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
        );
        last = Some((cap, n, rate));
    }
    let (cap, n, rate) = last.unwrap();

    // Where the time goes: reading alone, reading plus the state.
    let c0 = thread_cpu();
    let mut count = 0u64;
    // Read as `replay` reads (one reused event buffer).
    let mut reader = ScapReader::open(&cap).unwrap();
    while let Some(e) = reader.next_event_ref() {
        std::hint::black_box(e.unwrap());
        count += 1;
    }
    let read_cpu = thread_cpu() - c0;
    let c0 = thread_cpu();
    let mut reader = ScapReader::open(&cap).unwrap();
    let mut state = falconer_scap::state::State::from_reader_metadata(&reader);
    while let Some(e) = reader.next_event_ref() {
        state.apply(e.unwrap());
    }
    let state_cpu = thread_cpu() - c0;
    println!(
        "  of which: reading {read_cpu:.2}s CPU ({:.0} events/s), reading + state {state_cpu:.2}s CPU ({:.0} events/s); rules and outputs the rest",
        count as f64 / read_cpu.max(0.01),
        count as f64 / state_cpu.max(0.01)
    );

    // sysdig with one expanded condition on the same capture.
    if Command::new("sysdig").arg("--version").output().is_err() {
        println!("sysdig: skipped (not installed)");
        return;
    }
    let collected = host.collected();
    let compiled = host.compiled();
    let e = rule_expr(collected, compiled, "Write Below Etc").unwrap();
    let cond = bracketed(&e);
    let t = Instant::now();
    let c0 = children_cpu();
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(&cap)
        .args(["-p", "*%evt.num", &cond])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let cpu = children_cpu() - c0;
    let matches = out.stdout.iter().filter(|b| **b == b'\n').count();
    let srate = n as f64 / cpu.max(0.01);
    println!(
        "sysdig -r (1 condition, 'Write Below Etc'): {n} events, {matches} matches, wall {secs:.2}s, CPU {cpu:.2}s: {srate:.0} events/s per core (CPU time)"
    );
    println!(
        "falconer ({} rules) / sysdig (1 condition): {:.1}x",
        nrules,
        rate / srate
    );
}
