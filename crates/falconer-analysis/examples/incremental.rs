//! Profiling driver: one cold check, then N edits of one item.
//! `cargo run --release --example incremental -- FILE|gen:LINES [N]`
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("rules file or gen:LINES");
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let text = match path.strip_prefix("gen:") {
        Some(lines) => falconer_testgen::generate(lines.parse().expect("line count")),
        None => std::fs::read_to_string(path).expect("readable"),
    };
    let mut host = falconer_analysis::AnalysisHost::default();
    host.set_files(vec![("x".into(), text.clone())]);
    let t = Instant::now();
    let d = host.diagnostics().len();
    println!("cold: {:?} ({d} diagnostics)", t.elapsed());
    let needle = "(container.id != host)";
    let at = text.find(needle).expect("needle");
    let t = Instant::now();
    for i in 0..n {
        let mut edited = text.clone();
        if i % 2 == 0 {
            edited.replace_range(at..at + needle.len(), "(container.id != hosx)");
        }
        host.set_file_text(0, edited);
        let _ = host.diagnostics().len();
    }
    println!("edit: {:?} per edit", t.elapsed() / n as u32);
}
