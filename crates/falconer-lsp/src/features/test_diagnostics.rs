//! Diagnostics of rule test files (YAML mappings with `cases:`), and of
//! test failures.
//!
//! * An open test file gets `falconer_test::ide::diagnostics` of its
//!   buffer (schema errors, unknown rules with "did you mean", missing
//!   fixtures, scenario errors, output fields a rule does not print,
//!   rules that do not load), with the other open buffers (rules,
//!   scenarios) read instead of the disk, plus one diagnostic per case
//!   that failed in the last run. Its own publisher task: checking a test
//!   file analyses its rules and builds its fixtures, so it waits for a
//!   pause in the typing ([`QUIET`]), is recomputed only when an input
//!   changed, and a result is published only if the file's text and the
//!   inputs are still those it was computed for.
//! * A rules file gets one diagnostic per failed case on the tested
//!   rule's name ([`failures`], merged into the rules file's diagnostics
//!   by the main publisher).

use crate::line_index::LineMap;
use crate::server::lock;
use crate::state::{path_uri, Snapshot, World};
use crate::testing::{first_lines, Results};
use falconer_analysis::FileId;
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri,
};
use tower_lsp_server::Client;

/// How long the inputs must stay unchanged before test files are checked.
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest wait in a burst of changes.
pub const MAX_WAIT: Duration = Duration::from_millis(1500);

/// The code of a failed case.
pub const TEST_FAILED: &str = "test-failed";
/// Lines of the failure's explanation in a diagnostic's message.
const LINES: usize = 6;

fn failure_message(case: &str, message: &str) -> String {
    format!("test case '{case}' failed: {}", first_lines(message, LINES))
}

/// Diagnostics on the rule names of a rules file for the failed cases of
/// the last runs.
pub fn failures(snap: &Snapshot, file: FileId, map: &LineMap<'_>) -> Vec<lsp::Diagnostic> {
    let results = &snap.results;
    if results.cases.values().all(|c| c.passed) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in snap.full_rules(file) {
        for (path, t, res) in results.failures_of(&snap.tests, &r.name.value) {
            let related = snap
                .tests
                .files
                .get(path)
                .zip(path_uri(path))
                .map(|(tf, uri)| {
                    let m = LineMap::new(&tf.text, snap.encoding);
                    vec![DiagnosticRelatedInformation {
                        location: Location::new(uri, m.range(t.case_span)),
                        message: format!("the case '{}'", t.case),
                    }]
                });
            out.push(lsp::Diagnostic {
                range: map.range(r.name.span),
                severity: Some(DiagnosticSeverity::ERROR),
                code: Some(NumberOrString::String(TEST_FAILED.into())),
                code_description: None,
                source: Some("falconer test".into()),
                message: failure_message(&t.case, &res.message),
                related_information: related,
                tags: None,
                data: Some(json!({ "testFile": path_uri(path), "case": t.case })),
            });
        }
    }
    out
}

fn severity(s: falconer_test::Severity) -> DiagnosticSeverity {
    match s {
        falconer_test::Severity::Error => DiagnosticSeverity::ERROR,
        falconer_test::Severity::Warning => DiagnosticSeverity::WARNING,
    }
}

/// The diagnostics of a test file's text (the test file's own; those of
/// the rules or scenario files it loads show there as one diagnostic at
/// the reference).
pub fn check(
    path: &Path,
    text: &str,
    overrides: &[(PathBuf, String)],
    encoding: falconer_text::Encoding,
) -> Vec<lsp::Diagnostic> {
    let map = LineMap::new(text, encoding);
    falconer_test::diagnostics_with(path, text, overrides)
        .into_iter()
        .filter(|d| d.path == path)
        .map(|d| lsp::Diagnostic {
            range: map.range(d.span),
            severity: Some(severity(d.severity)),
            code: Some(NumberOrString::String(d.code.into())),
            code_description: None,
            source: Some("falconer test".into()),
            message: d.message,
            related_information: None,
            tags: None,
            data: None,
        })
        .collect()
}

/// Diagnostics on the case names of a test file for its failed cases.
fn case_failures(
    path: &Path,
    text: &str,
    snap_tests: &crate::testing::TestIndex,
    results: &Results,
    encoding: falconer_text::Encoding,
) -> Vec<lsp::Diagnostic> {
    let Some(tf) = snap_tests.files.get(path) else {
        return Vec::new();
    };
    if *tf.text != text {
        return Vec::new();
    }
    let map = LineMap::new(text, encoding);
    tf.cases()
        .into_iter()
        .filter_map(|t| {
            let r = results.cases.get(&(path.to_path_buf(), t.case.clone()))?;
            (!r.passed).then(|| lsp::Diagnostic {
                range: map.range(t.case_span),
                severity: Some(DiagnosticSeverity::ERROR),
                code: Some(NumberOrString::String(TEST_FAILED.into())),
                code_description: None,
                source: Some("falconer test".into()),
                message: failure_message(&t.case, &r.message),
                related_information: None,
                tags: None,
                data: None,
            })
        })
        .collect()
}

/// What a test file's diagnostics were computed for.
#[derive(Clone, PartialEq, Eq)]
struct Key {
    version: i32,
    epoch: u64,
}

/// The test-file publisher task: runs until the channel closes.
pub async fn publisher(world: Arc<Mutex<World>>, client: Client, mut rx: watch::Receiver<u64>) {
    // Checked diagnostics (without case failures) per open test file.
    let mut checked: HashMap<Uri, (Key, Vec<lsp::Diagnostic>)> = HashMap::new();
    let mut published: HashMap<Uri, Vec<lsp::Diagnostic>> = HashMap::new();
    while rx.changed().await.is_ok() {
        if !super::diagnostics::pause(&mut rx, QUIET, MAX_WAIT).await {
            return;
        }
        let (docs, epoch, encoding) = {
            let w = lock(&world);
            (w.open_test_files(), w.results_epoch, w.encoding)
        };
        if docs.is_empty() && published.is_empty() {
            continue;
        }
        let todo: Vec<(Uri, Key, PathBuf, Arc<String>)> = docs
            .iter()
            .map(|(u, v, p, t)| {
                let key = Key { version: *v, epoch };
                (u.clone(), key, p.clone(), t.clone())
            })
            .filter(|(u, k, _, _)| checked.get(u).is_none_or(|(ck, _)| ck != k))
            .collect();
        if !todo.is_empty() {
            // Read now (maybe newer than the keys: then the keys no longer
            // match at publication, and the next run computes again).
            let overrides = lock(&world).overrides();
            let task = move || {
                todo.into_iter()
                    .map(|(u, k, p, t)| {
                        let d = check(&p, &t, &overrides, encoding);
                        (u, k, d)
                    })
                    .collect::<Vec<_>>()
            };
            match tokio::task::spawn_blocking(task).await {
                Ok(done) => {
                    for (u, k, d) in done {
                        checked.insert(u, (k, d));
                    }
                }
                Err(e) => {
                    let msg = match e.try_into_panic() {
                        Ok(p) => crate::server::panic_message(&*p),
                        Err(_) => "cancelled".into(),
                    };
                    client
                        .log_message(
                            lsp::MessageType::ERROR,
                            format!("falconer: test file diagnostics failed: {msg}"),
                        )
                        .await;
                    continue;
                }
            }
        }
        // Publish what is still current.
        let (docs, snap, epoch) = {
            let w = lock(&world);
            (w.open_test_files(), w.snapshot(), w.results_epoch)
        };
        let mut open: Vec<Uri> = Vec::new();
        for (uri, version, path, text) in docs {
            open.push(uri.clone());
            let Some((k, diags)) = checked.get(&uri) else {
                continue;
            };
            if k.version != version || k.epoch != epoch {
                // Changed meanwhile: the next run publishes.
                continue;
            }
            let mut all = diags.clone();
            all.extend(case_failures(
                &path,
                &text,
                &snap.tests,
                &snap.results,
                encoding,
            ));
            if published.get(&uri) != Some(&all) {
                client
                    .publish_diagnostics(uri.clone(), all.clone(), Some(version))
                    .await;
                published.insert(uri, all);
            }
        }
        let gone: Vec<Uri> = published
            .keys()
            .filter(|u| !open.contains(u))
            .cloned()
            .collect();
        for uri in gone {
            published.remove(&uri);
            checked.remove(&uri);
            client.publish_diagnostics(uri, Vec::new(), None).await;
        }
    }
}
