//! Diagnostics: the analysis's diagnostics for every workspace file,
//! published after each change.
//!
//! One publisher task owns publication. Each change bumps the world's
//! generation and wakes it through a watch channel, so a burst of edits is
//! merged into one run; the run computes on a snapshot (a newer edit
//! cancels it: salsa unwinds the queries) and publishes only if no change
//! arrived meanwhile, checked again before each file is sent, so stale
//! results are never published: every set goes out with the document
//! version it was computed for, and versions never go back. Once a run has
//! been overtaken by a change (a burst of typing), the next run first waits
//! for the changes to pause ([`QUIET`], at most [`MAX_WAIT`]) instead of
//! starting work that the next keystroke would cancel; a single edit after
//! a pause is computed at once. Every file is recomputed (a change in one
//! file can affect others) but a file is sent only when its diagnostics
//! changed; files that left the workspace get an empty set once.
//!
//! Each diagnostic's `data` says how to read its page (`explain`:
//! `falconer explain <code>`), with the code's one-line `summary` and
//! Falco's load code; hover shows the same over the diagnostic's range.
//! `codeDescription` links to the page only when the client gave a
//! `docsBaseUrl` in its initialization options.

use crate::line_index::LineMap;
use crate::state::{Snapshot, World};
use falconer_analysis::{Diagnostic, FileId, Severity};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tower_lsp_server::ls_types::{
    self as lsp, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    Location, NumberOrString, Uri,
};
use tower_lsp_server::Client;

/// In a burst of changes: how long the input must stay unchanged before
/// diagnostics are computed.
pub const QUIET: Duration = Duration::from_millis(15);
/// In a burst of changes: the longest wait before computing anyway.
pub const MAX_WAIT: Duration = Duration::from_millis(300);

/// The line maps of a snapshot's files, built when first needed (building
/// one scans the file's text).
pub struct LineMaps<'s> {
    snap: &'s Snapshot,
    maps: Vec<Option<LineMap<'s>>>,
}

impl<'s> LineMaps<'s> {
    pub fn new(snap: &'s Snapshot) -> LineMaps<'s> {
        LineMaps {
            snap,
            maps: (0..snap.files.len()).map(|_| None).collect(),
        }
    }

    pub fn get(&mut self, file: FileId) -> &LineMap<'s> {
        let snap = self.snap;
        let i = file as usize;
        if i >= self.maps.len() {
            self.maps.resize_with(i + 1, || None);
        }
        self.maps[i].get_or_insert_with(|| snap.line_map(file))
    }
}

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
#[allow(dead_code)] // for features that convert a single diagnostic
pub fn to_lsp(snap: &Snapshot, d: &Diagnostic) -> lsp::Diagnostic {
    to_lsp_with(&mut LineMaps::new(snap), d)
}

/// [`to_lsp`] with line maps shared between diagnostics.
pub fn to_lsp_with(maps: &mut LineMaps<'_>, d: &Diagnostic) -> lsp::Diagnostic {
    let snap = maps.snap;
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
                maps.get(r.loc.file).range(r.loc.span),
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
    let map = maps.get(d.loc.file);
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
/// with the document version they were computed for: the analysis's,
/// then the failed test cases on the rules' names.
pub fn compute(snap: &Snapshot) -> Vec<(Uri, Option<i32>, Vec<lsp::Diagnostic>)> {
    let mut per_file: Vec<Vec<lsp::Diagnostic>> = vec![Vec::new(); snap.files.len()];
    let mut maps = LineMaps::new(snap);
    for d in snap.analysis.diagnostics().iter() {
        if let Some(v) = per_file.get_mut(d.loc.file as usize) {
            v.push(to_lsp_with(&mut maps, d));
        }
    }
    if snap.results.cases.values().any(|c| !c.passed) {
        for (i, v) in per_file.iter_mut().enumerate() {
            let file = i as FileId;
            v.extend(super::test_diagnostics::failures(
                snap,
                file,
                maps.get(file),
            ));
        }
    }
    snap.files
        .iter()
        .zip(per_file)
        .map(|(f, d)| (f.uri.clone(), f.version, d))
        .collect()
}

/// Waits until no change arrives for `quiet` (at most `max_wait`).
/// Returns false when the channel closed.
pub async fn pause(rx: &mut watch::Receiver<u64>, quiet: Duration, max_wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + max_wait;
    loop {
        rx.borrow_and_update();
        let wait = quiet.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        match tokio::time::timeout(wait, rx.changed()).await {
            Ok(Ok(())) if tokio::time::Instant::now() < deadline => continue,
            Ok(Ok(())) | Err(_) => return true,
            Ok(Err(_)) => return false,
        }
    }
}

/// A run's whole-workspace results (the collected items and the compiled
/// rules), held after the run: the next edit replaces them in the
/// database, and whoever holds the last reference frees them. The
/// publisher holds the last two runs' and hands them back to the
/// [`Worker`] that allocated them once it has published, so they are
/// neither freed by the handler applying an edit (where it delayed the
/// diagnostics) nor freed across threads.
type Kept = (
    Arc<falconer_analysis::collect::Collected>,
    Arc<falconer_analysis::compile::Compiled>,
);

/// The one thread that computes diagnostics (and frees what they
/// allocated): the analysis's large results are allocated and freed by
/// the same thread, where the allocator frees locally; freeing them on
/// other threads cost the server more CPU than the analysis itself.
struct Worker {
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

impl Worker {
    fn start() -> std::io::Result<Worker> {
        let (jobs, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        std::thread::Builder::new()
            .name("falconer-diagnostics".into())
            .stack_size(64 << 20)
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job();
                }
            })?;
        Ok(Worker { jobs })
    }

    /// Runs `f` on the worker; its panic comes back as the error.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, Box<dyn std::any::Any + Send>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Box::new(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        if self.jobs.send(job).is_err() {
            return Err(Box::new("the diagnostics thread has stopped"));
        }
        rx.await
            .unwrap_or_else(|_| Err(Box::new("the diagnostics thread has stopped")))
    }

    /// Frees `v` on the worker, after what is queued.
    fn free<T: Send + 'static>(&self, v: T) {
        let _ = self.jobs.send(Box::new(move || drop(v)));
    }
}

/// The publisher task: runs until the channel closes. `published` holds
/// the non-empty sets last sent.
pub async fn publisher(world: Arc<Mutex<World>>, client: Client, mut rx: watch::Receiver<u64>) {
    let mut published: HashMap<Uri, Vec<lsp::Diagnostic>> = HashMap::new();
    let mut kept: std::collections::VecDeque<Kept> = std::collections::VecDeque::new();
    let worker = match Worker::start() {
        Ok(w) => w,
        Err(e) => {
            client
                .log_message(
                    lsp::MessageType::ERROR,
                    format!("falconer: no thread for diagnostics: {e}"),
                )
                .await;
            return;
        }
    };
    // Whether the last run was overtaken by a change.
    let mut in_burst = false;
    let current = |world: &Mutex<World>| crate::server::lock(world).generation;
    while rx.changed().await.is_ok() {
        if in_burst && !pause(&mut rx, QUIET, MAX_WAIT).await {
            return;
        }
        rx.borrow_and_update();
        let (snap, generation) = {
            let w = crate::server::lock(&world);
            (w.snapshot(), w.generation)
        };
        let result = worker
            .run(move || {
                let files = compute(&snap);
                let a = &snap.analysis;
                (files, (a.collected().clone(), a.compiled().clone()))
            })
            .await;
        let files = match result {
            Ok((f, results)) => {
                kept.push_back(results);
                // Runs overtaken by changes publish nothing: bound what
                // they leave held.
                if kept.len() > 3 {
                    worker.free(kept.pop_front());
                }
                f
            }
            Err(payload) => {
                if falconer_analysis::ide::is_cancelled(&*payload) {
                    in_burst = true;
                } else {
                    let msg = crate::server::panic_message(&*payload);
                    client
                        .log_message(
                            lsp::MessageType::ERROR,
                            format!("falconer: diagnostics failed: {msg}"),
                        )
                        .await;
                }
                continue;
            }
        };
        in_burst = current(&world) != generation;
        if in_burst {
            // A newer change is pending: its run publishes.
            continue;
        }
        let mut seen = HashSet::new();
        let mut stale = false;
        for (uri, version, diags) in files {
            seen.insert(uri.clone());
            let before = published.get(&uri).map_or(&[][..], Vec::as_slice);
            if before != diags.as_slice() {
                // Checked before each file: sending takes turns with the
                // handlers that apply changes.
                if current(&world) != generation {
                    stale = true;
                    break;
                }
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
        if stale {
            in_burst = true;
            continue;
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
        while kept.len() > 2 {
            worker.free(kept.pop_front());
        }
    }
}
