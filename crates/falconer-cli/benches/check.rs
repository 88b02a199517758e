//! `cargo bench -p falconer-cli`: prints the figures of the front end.
//!
//! - `check` as a whole process on a ~4,500-line and a ~50,000-line set
//!   generated from our bundled rules (goals: ≤ 5 ms and ≤ 30 ms wall);
//! - the same analyses in process, cold;
//! - the incremental re-check of one edited item through the salsa
//!   database (goal: ≤ 1 ms).
//!
//! Results are medians over repeated runs, printed, never asserted.

use falconer_analysis::AnalysisHost;
use std::process::Command;
use std::time::{Duration, Instant};

/// The allocator of the `falconer` binary, so that the in-process figures
/// are those of `falconer check` and `falconer lsp`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn whole_process(path: &std::path::Path, runs: usize) -> Duration {
    let exe = env!("CARGO_BIN_EXE_falconer");
    let mut v = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = Command::new(exe)
            .arg("check")
            .arg(path)
            .arg("--format")
            .arg("json")
            .output()
            .expect("running falconer");
        v.push(t.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    median(v)
}

fn cold_in_process(text: &str, runs: usize) -> Duration {
    let mut v = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut host = AnalysisHost::default();
        host.set_files(vec![("bench.yaml".into(), text.to_string())]);
        let n = host.diagnostics().len();
        v.push(t.elapsed());
        assert_eq!(n, 0);
    }
    median(v)
}

/// Edits one macro's condition back and forth; measures edit → diagnostics.
fn incremental(text: &str, edits: usize) -> Duration {
    let mut host = AnalysisHost::default();
    host.set_files(vec![("bench.yaml".into(), text.to_string())]);
    assert!(host.diagnostics().is_empty());
    let needle = "(container.id != host)";
    let at = text.find(needle).expect("container macro");
    let mut v = Vec::new();
    for i in 0..edits {
        let replacement = if i % 2 == 0 {
            "(container.id != hosx)"
        } else {
            needle
        };
        let mut edited = text.to_string();
        edited.replace_range(at..at + needle.len(), replacement);
        let t = Instant::now();
        host.set_file_text(0, edited);
        let n = host.diagnostics().len();
        v.push(t.elapsed());
        assert_eq!(n, 0);
    }
    median(v)
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let dir = std::env::temp_dir().join(format!("falconer-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("falconer check benchmark (medians)");
    for target in [4_500usize, 50_000] {
        let text = falconer_testgen::generate(target);
        let lines = text.lines().count();
        let rules = falconer_testgen::rule_count(&text);
        let path = dir.join(format!("rules_{target}.yaml"));
        std::fs::write(&path, &text).unwrap();
        let runs = if target > 10_000 { 10 } else { 30 };
        let wp = whole_process(&path, runs);
        let cold = cold_in_process(&text, runs);
        let inc = incremental(&text, 200);
        println!(
            "{lines:>6} lines, {rules:>4} rules: whole process {}, in-process cold {}, one edited item re-checked {}",
            ms(wp),
            ms(cold),
            ms(inc)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
