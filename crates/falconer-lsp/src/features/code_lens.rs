//! Code lenses: "run tests" above each rule that has unit tests, and "run
//! case" above each case of a test file. The title shows the last result
//! while it is valid (`✓ 3 passed`, `✗ 1 of 3 failed`), a run under way
//! (`⟳ Running 3 tests…`), or what a click does (`▶ Run 3 tests`).
//!
//! Cheap: lenses come with their command (no resolve step) from the
//! snapshot's test index and results; nothing walks the workspace or
//! runs anything here (`falconer.runTests` does, see `run_tests`).

use crate::line_index::LineMap;
use crate::state::{uri_path, Snapshot};
use crate::testing::{case_key, RuleResult, RUN_TESTS};
use serde_json::json;
use tower_lsp_server::ls_types::{CodeLens, CodeLensParams, Command};

pub fn code_lens(snap: &Snapshot, p: CodeLensParams) -> Option<Vec<CodeLens>> {
    let uri = &p.text_document.uri;
    if let Some(file) = snap.file_id(uri) {
        return Some(rule_lenses(snap, file));
    }
    let path = uri_path(uri)?;
    let tf = snap.tests.files.get(&path)?;
    let map = LineMap::new(&tf.text, snap.encoding);
    let lenses = tf
        .cases()
        .into_iter()
        .map(|t| {
            let key = (path.clone(), t.case.clone());
            let title = if snap.results.running.contains(&case_key(&path, &t.case)) {
                "⟳ Running…".to_string()
            } else {
                match snap.results.cases.get(&key) {
                    Some(r) if r.passed => "✓ passed".to_string(),
                    Some(_) => "✗ failed".to_string(),
                    None => "▶ Run case".to_string(),
                }
            };
            CodeLens {
                range: map.range(t.case_span),
                command: Some(Command {
                    title,
                    command: RUN_TESTS.into(),
                    arguments: Some(vec![json!({ "uri": uri, "case": t.case })]),
                }),
                data: None,
            }
        })
        .collect();
    Some(lenses)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "test"
    } else {
        "tests"
    }
}

fn rule_lenses(snap: &Snapshot, file: falconer_analysis::FileId) -> Vec<CodeLens> {
    let counts = snap.tests.counts();
    if counts.is_empty() {
        return Vec::new();
    }
    let map = snap.line_map(file);
    let mut out = Vec::new();
    for r in snap.full_rules(file) {
        let name = r.name.value.as_str();
        let Some(&n) = counts.get(name) else {
            continue;
        };
        let title = if snap.results.running.contains(name) {
            format!("⟳ Running {n} {}…", plural(n))
        } else {
            match snap.results.rules.get(name) {
                Some(RuleResult::Ran { total, failed: 0 }) => format!("✓ {total} passed"),
                Some(RuleResult::Ran { total, failed }) => {
                    format!("✗ {failed} of {total} failed")
                }
                Some(RuleResult::Broken(_)) => "✗ tests could not run".to_string(),
                None => format!("▶ Run {n} {}", plural(n)),
            }
        };
        out.push(CodeLens {
            range: map.range(r.name.span),
            command: Some(Command {
                title,
                command: RUN_TESTS.into(),
                arguments: Some(vec![json!(name)]),
            }),
            data: None,
        });
    }
    out
}
