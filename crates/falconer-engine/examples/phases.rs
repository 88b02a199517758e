//! Time the phases of a replay: `cargo run --release -p falconer-engine
//! --example phases -- CAPTURE [RULES...]` (without rules files, the
//! replay bench's ~100-rule set). Reads the capture, then reads it with
//! the state, then replays it as the bench does (`rule_matching: first`,
//! alert lines formatted), printing CPU time per pass.
//!
//! Instructions per phase: run under `valgrind --tool=callgrind
//! --toggle-collect='*replay*replay*'` and read the inclusive costs of
//! `next_event_ref`, `State::apply`, `Engine::process`, `Engine::alert`
//! and `Alert::line` with `callgrind_annotate --inclusive=yes`.

use std::time::Instant;

use falconer_analysis::{AnalysisHost, Config};
use falconer_engine::engine::{Engine, Options, RuleMatching};
use falconer_engine::replay::replay;
use falconer_scap::state::State;
use falconer_scap::ScapReader;

/// The allocator of the `falconer` binary, as in the bench.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of this thread (user + system), seconds.
fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let rest = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    t / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(cap) = args.get(1) else {
        eprintln!("usage: phases CAPTURE [RULES...]");
        std::process::exit(2);
    };
    let files: Vec<(String, String)> = if args.len() > 2 {
        args[2..]
            .iter()
            .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap()))
            .collect()
    } else {
        let (bundled, extra) = falconer_testgen::distinct_copies(100);
        vec![
            ("falconer_rules.yaml".into(), bundled),
            ("generated.yaml".into(), extra),
        ]
    };
    let t = Instant::now();
    let c0 = cpu();
    let mut n = 0u64;
    let mut r = ScapReader::open(cap).unwrap();
    while let Some(e) = r.next_event_ref() {
        std::hint::black_box(e.unwrap());
        n += 1;
    }
    println!(
        "read: {n} events {:.3}s cpu {:.2}s",
        t.elapsed().as_secs_f64(),
        cpu() - c0
    );
    let t = Instant::now();
    let c0 = cpu();
    let mut r = ScapReader::open(cap).unwrap();
    let mut st = State::from_reader_metadata(&r);
    while let Some(e) = r.next_event_ref() {
        st.apply(e.unwrap());
    }
    println!(
        "read+state: {:.3}s cpu {:.2}s",
        t.elapsed().as_secs_f64(),
        cpu() - c0
    );
    let mut h = AnalysisHost::new(Config::default());
    h.set_files(files);
    let mut engine = Engine::from_analysis(
        &h,
        &Options {
            rule_matching: RuleMatching::First,
            ..Options::default()
        },
    );
    let t = Instant::now();
    let c0 = cpu();
    let mut r = ScapReader::open(cap).unwrap();
    let mut bytes = 0usize;
    let stats = replay(&mut r, &mut engine, |a| bytes += a.line().len()).unwrap();
    std::hint::black_box(bytes);
    println!(
        "read+state+rules+alerts ({} rules): {:.3}s cpu {:.2}s, {} alerts",
        engine.rules().len(),
        t.elapsed().as_secs_f64(),
        cpu() - c0,
        stats.alerts
    );
}
