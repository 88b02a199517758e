//! Time the phases of a replay: `cargo run --release -p falconer-engine
//! --example phases -- CAPTURE [RULES...]`.

use std::time::Instant;

/// CPU time of this thread (user + system), seconds.
fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let rest = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    t / 100.0
}

use falconer_analysis::{AnalysisHost, Config};
use falconer_engine::engine::{Engine, Options};
use falconer_engine::extract::EventCtx;
use falconer_scap::state::State;
use falconer_scap::ScapReader;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cap = &args[1];
    let t = Instant::now();
    let c0 = cpu();
    let mut n = 0u64;
    for e in ScapReader::open(cap).unwrap() {
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
    while let Some(e) = r.next_event() {
        let e = e.unwrap();
        st.apply(&e);
    }
    println!(
        "read+state: {:.3}s cpu {:.2}s",
        t.elapsed().as_secs_f64(),
        cpu() - c0
    );
    let bundled = falconer_testgen::BUNDLED.to_string();
    let mut extra = String::new();
    for i in 1..=19 {
        extra.push_str(&falconer_testgen::copy(i));
    }
    let mut h = AnalysisHost::new(Config::default());
    h.set_files(vec![("a.yaml".into(), bundled), ("b.yaml".into(), extra)]);
    let mut engine = Engine::from_analysis(&h, &Options::default());
    let t = Instant::now();
    let c0 = cpu();
    let mut r = ScapReader::open(cap).unwrap();
    let mut st = State::from_reader_metadata(&r);
    let mut m = 0;
    while let Some(e) = r.next_event() {
        let e = e.unwrap();
        st.apply(&e);
        let ctx = EventCtx::new(&e, &st);
        m += engine.process(&ctx).len();
    }
    println!(
        "read+state+eval ({} rules): {:.3}s cpu {:.2}s, {m} matches",
        engine.rules().len(),
        t.elapsed().as_secs_f64(),
        cpu() - c0
    );
}
