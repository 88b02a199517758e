//! Diagnostics: the analysis's diagnostics for every workspace file,
//! published after each change.
//!
//! One publisher task owns publication. Each change bumps the world's
//! generation and wakes it through a watch channel, so a burst of edits is
//! merged into one run; the run computes on a snapshot (a newer edit
//! cancels it: salsa unwinds the queries) and publishes only if no change
//! arrived meanwhile, so stale results are never published. Every file is
//! recomputed (a change in one file can affect others) but a file is sent
//! only when its diagnostics changed; files that left the workspace get an
//! empty set once.
//!
//! Each diagnostic's `data` says how to read its page (`explain`:
//! `falconer explain <code>`), with the code's one-line `summary` and
//! Falco's load code; hover shows the same over the diagnostic's range.
//! `codeDescription` links to the page only when the client gave a
//! `docsBaseUrl` in its initialization options.

use crate::state::{Snapshot, World};
use falconer_analysis::{Diagnostic, Severity};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tower_lsp_server::ls_types::{
    self as lsp, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    Location, NumberOrString, Uri,
};
use tower_lsp_server::Client;

/// The link to a code's page: `docsBaseUrl` with `{code}` replaced, or
/// followed by `/<code>.md` when it has no `{code}`. `None` without a
/// base (there is no public documentation site to link to by default:
/// `data.explain` says how to read the page locally).
pub fn docs_link(base: Option<&str>, code: &str) -> Option<Uri> {
    let base = base?.trim();
    if base.is_empty() {
        return None;
    }
    let href = if base.contains("{code}") {
        base.replace("{code}", code)
    } else {
        format!("{}/{code}.md", base.trim_end_matches('/'))
    };
    href.parse().ok()
}

/// What `data` of every diagnostic holds: how to read the code's page,
/// its one-line summary, and Falco's load code.
pub fn explain_data(code: &str) -> serde_json::Value {
    let info = falconer_analysis::codes::lookup(code);
    json!({
        "falcoCode": info.and_then(|c| c.falco_code),
        "summary": info.map(|c| c.summary),
        "explain": format!("falconer explain {code}"),
    })
}

/// The LSP form of one diagnostic of the snapshot.
pub fn to_lsp(snap: &Snapshot, d: &Diagnostic) -> lsp::Diagnostic {
    let map = snap.line_map(d.loc.file);
    let severity = match d.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    };
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter(|r| (r.loc.file as usize) < snap.files.len())
        .map(|r| DiagnosticRelatedInformation {
            location: Location::new(
                snap.uri(r.loc.file).clone(),
                snap.line_map(r.loc.file).range(r.loc.span),
            ),
            message: r.message.clone(),
        })
        .collect();
    let tags = match d.code {
        "unused-list" | "unused-macro" => Some(vec![DiagnosticTag::UNNECESSARY]),
        "deprecated-field" | "deprecated-item" => Some(vec![DiagnosticTag::DEPRECATED]),
        _ => None,
    };
    let mut message = d.message.clone();
    let mut data = explain_data(d.code);
    if let Some(s) = &d.suggestion {
        message.push('\n');
        message.push_str(&s.message);
        data["fix"] = json!({
            "message": s.message,
            "replacement": s.replacement,
            "range": map.range(s.span),
        });
    }
    lsp::Diagnostic {
        range: map.range(d.loc.span),
        severity: Some(severity),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: docs_link(snap.docs_base_url.as_deref(), d.code)
            .map(|href| CodeDescription { href }),
        source: Some("falconer".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags,
        data: Some(data),
    }
}

/// Diagnostics of every file of the snapshot (empty for extra files),
/// with the document version they were computed for.
pub fn compute(snap: &Snapshot) -> Vec<(Uri, Option<i32>, Vec<lsp::Diagnostic>)> {
    let mut per_file: Vec<Vec<lsp::Diagnostic>> = vec![Vec::new(); snap.files.len()];
    for d in snap.analysis.diagnostics().iter() {
        if let Some(v) = per_file.get_mut(d.loc.file as usize) {
            v.push(to_lsp(snap, d));
        }
    }
    snap.files
        .iter()
        .zip(per_file)
        .map(|(f, d)| (f.uri.clone(), f.version, d))
        .collect()
}

/// The publisher task: runs until the channel closes. `published` holds
/// the non-empty sets last sent.
pub async fn publisher(world: Arc<Mutex<World>>, client: Client, mut rx: watch::Receiver<u64>) {
    let mut published: HashMap<Uri, Vec<lsp::Diagnostic>> = HashMap::new();
    while rx.changed().await.is_ok() {
        rx.borrow_and_update();
        let (snap, generation) = {
            let w = crate::server::lock(&world);
            (w.snapshot(), w.generation)
        };
        let result = tokio::task::spawn_blocking(move || compute(&snap)).await;
        let files = match result {
            Ok(f) => f,
            Err(e) => {
                if e.is_panic() {
                    let payload = e.into_panic();
                    if !falconer_analysis::ide::is_cancelled(&*payload) {
                        let msg = crate::server::panic_message(&*payload);
                        client
                            .log_message(
                                lsp::MessageType::ERROR,
                                format!("falconer: diagnostics failed: {msg}"),
                            )
                            .await;
                    }
                }
                continue;
            }
        };
        if crate::server::lock(&world).generation != generation {
            // A newer change is pending: its run publishes.
            continue;
        }
        let mut seen = HashSet::new();
        for (uri, version, diags) in files {
            seen.insert(uri.clone());
            let before = published.get(&uri).map_or(&[][..], Vec::as_slice);
            if before != diags.as_slice() {
                client
                    .publish_diagnostics(uri.clone(), diags.clone(), version)
                    .await;
                if diags.is_empty() {
                    published.remove(&uri);
                } else {
                    published.insert(uri, diags);
                }
            }
        }
        let gone: Vec<Uri> = published
            .keys()
            .filter(|u| !seen.contains(*u))
            .cloned()
            .collect();
        for uri in gone {
            published.remove(&uri);
            client.publish_diagnostics(uri, Vec::new(), None).await;
        }
    }
}
