//! Prints the time of each IDE query on one large generated rules file
//! (`cargo run -p falconer-analysis --example ide_timings -- [lines]`,
//! add `--release` for meaningful figures). Not a test: no assertion.

use falconer_analysis::ide::{self, FilePosition};
use falconer_analysis::AnalysisHost;
use falconer_text::Span;
use std::time::Instant;

fn main() {
    let lines: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let text = falconer_testgen::generate(lines);
    let mut host = AnalysisHost::default();
    host.update_files(vec![("big.yaml".into(), text.clone())], vec![]);
    let t = Instant::now();
    let n = host.diagnostics().len();
    println!(
        "{} lines, {} rules; cold diagnostics {:?} ({n})",
        text.lines().count(),
        falconer_testgen::rule_count(&text),
        t.elapsed()
    );
    let a = host.snapshot();
    let time = |name: &str, f: &dyn Fn() -> usize| {
        let t = Instant::now();
        let n = f();
        println!("{name:<28} {:>10.1?} ({n})", t.elapsed());
    };
    let len = text.len() as u32;
    time("yaml tree (first IDE use)", &|| {
        a.yaml(0).map_or(0, |y| y.documents.len())
    });
    // The last condition, and the first macro's name.
    let at = text.rfind("condition: ").unwrap() as u32 + 11;
    let mac = FilePosition {
        file: 0,
        offset: text.find("- macro: ").unwrap() as u32 + 10,
    };
    time("semantic tokens (file)", &|| {
        ide::semantic_tokens(&a, 0, None).len()
    });
    time("semantic tokens (4 KiB)", &|| {
        ide::semantic_tokens(&a, 0, Some(Span::new(len / 2, len / 2 + 4096))).len()
    });
    time("inlay hints (file)", &|| {
        ide::inlay_hints(&a, 0, None).len()
    });
    time("folding ranges", &|| ide::folding_ranges(&a, 0).len());
    time("workspace symbols 'shell'", &|| {
        ide::workspace_symbols(&a, "shell", 500).len()
    });
    time("highlight (macro name)", &|| {
        ide::document_highlights(&a, mac).len()
    });
    time("prepare rename (macro)", &|| {
        ide::prepare_rename(&a, mac).is_ok() as usize
    });
    time("rename (macro)", &|| {
        ide::rename(&a, mac, "zz_renamed")
            .map(|c| c.files.values().map(Vec::len).sum())
            .unwrap_or(0)
    });
    time("code actions (cursor)", &|| {
        ide::code_actions(&a, 0, Span::empty(at)).len()
    });
    time("selection ranges", &|| {
        ide::selection_ranges(&a, 0, at).len()
    });
    time("references (macro)", &|| {
        ide::references(&a, mac, true).len()
    });
    let proc_at = text.rfind("(proc.name in (").unwrap() as u32 + 6;
    // Three rounds: the first pays for what later requests reuse.
    let at = |offset| FilePosition { file: 0, offset };
    for i in 0..3 {
        time(&format!("completion 'proc.' #{i}"), &|| {
            ide::completions(&a, at(proc_at)).len()
        });
        time(&format!("hover (field) #{i}"), &|| {
            ide::hover(&a, at(proc_at + 1)).is_some() as usize
        });
    }
}
