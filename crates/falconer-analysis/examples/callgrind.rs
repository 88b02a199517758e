//! Profiling driver for callgrind: `callgrind cold|edit FILE [N]`.
//! `cold` analyses the file once; `edit` analyses it, then edits one
//! macro's condition back and forth N times. Run under
//! `valgrind --tool=callgrind --toggle-collect='*measured*'` to count only
//! the measured part (the analysis, or the edits).
use falconer_analysis::AnalysisHost;

#[inline(never)]
fn measured_cold(text: &str) -> usize {
    let mut host = AnalysisHost::default();
    host.set_files(vec![("x.yaml".into(), text.to_string())]);
    let n = host.diagnostics().len();
    std::mem::forget(host);
    n
}

#[inline(never)]
fn measured_edit(host: &mut AnalysisHost, text: String) -> usize {
    host.set_file_text(0, text);
    host.diagnostics().len()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().expect("cold|edit");
    let path = args.next().expect("rules file");
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let text = std::fs::read_to_string(path).expect("readable");
    match mode.as_str() {
        "cold" => println!("{} diagnostics", measured_cold(&text)),
        _ => {
            let mut host = AnalysisHost::default();
            host.set_files(vec![("x.yaml".into(), text.clone())]);
            let _ = host.diagnostics().len();
            let needle = "(container.id != host)";
            let at = text.find(needle).expect("needle");
            let mut total = 0;
            for i in 0..n {
                let mut edited = text.clone();
                if i % 2 == 0 {
                    edited.replace_range(at..at + needle.len(), "(container.id != hosx)");
                }
                total += measured_edit(&mut host, edited);
            }
            println!("{total} diagnostics over {n} edits");
        }
    }
}

/// The `falconer` binary's allocator, so counts match the shipped program.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
