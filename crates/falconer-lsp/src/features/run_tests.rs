//! `workspace/executeCommand` `falconer.runTests`: runs the unit tests of
//! a rule (argument: the rule's name) or one case (argument: `{"uri":
//! TEST_FILE, "case": NAME}`) and shows the outcome.
//!
//! The run reads what the editor shows: the open buffers of test files,
//! rules files and scenario files win over the disk (captures and
//! directory listings come from the disk; the rules a test file loads are
//! the ones it names, `rules:`/`config:`/the nearest `falconer.toml`, as
//! for `falconer test`). It runs in a blocking task; meanwhile the lens
//! says so. Then:
//!
//! * the results are kept (unless an input changed during the run) and
//!   the lenses show them (`workspace/codeLens/refresh` when the client
//!   supports it);
//! * each failed case becomes a diagnostic on the rule's name (published
//!   with the rules file's diagnostics, see `diagnostics::compute`), and
//!   on the case's name in an open test file;
//! * `window/showMessage` gives the summary, `window/logMessage` the
//!   full explanation of each failure;
//! * the response is the outcome as JSON (`rule`, `case`, `total`,
//!   `failed`, `cases`, `errors`, `kept`).

use crate::server::{lock, panic_message};
use crate::state::{path_uri, uri_path, World};
use crate::testing::{case_key, CaseResult, RuleResult, RUN_TESTS};
use falconer_test::RuleRun;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, MessageType};
use tower_lsp_server::Client;

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Rule(String),
    Case { path: PathBuf, case: String },
}

/// The target of the command's arguments.
pub fn target(args: &[Value]) -> Option<Target> {
    let a = args.first()?;
    if let Some(rule) = a.as_str().or_else(|| a.get("rule")?.as_str()) {
        return Some(Target::Rule(rule.to_string()));
    }
    let uri = a.get("uri")?.as_str()?.parse().ok()?;
    Some(Target::Case {
        path: uri_path(&uri)?,
        case: a.get("case")?.as_str()?.to_string(),
    })
}

fn invalid(message: String) -> Error {
    Error {
        code: ErrorCode::InvalidParams,
        message: message.into(),
        data: None,
    }
}

/// A path relative to the first workspace folder that holds it.
fn shown(roots: &[PathBuf], p: &Path) -> String {
    roots
        .iter()
        .find_map(|r| p.strip_prefix(r).ok())
        .unwrap_or(p)
        .display()
        .to_string()
}

pub struct Ctx<'a> {
    pub world: &'a Arc<Mutex<World>>,
    pub client: &'a Client,
    /// Wakes the diagnostics publishers.
    pub tx: &'a watch::Sender<u64>,
    /// The client handles `workspace/codeLens/refresh`.
    pub refresh: bool,
}

impl Ctx<'_> {
    async fn refresh_lenses(&self) {
        if self.refresh {
            let _ = self.client.code_lens_refresh().await;
        }
    }

    fn update(&self, f: impl FnOnce(&mut World)) {
        let mut w = lock(self.world);
        f(&mut w);
        self.tx.send_replace(w.generation);
    }
}

pub async fn execute(cx: Ctx<'_>, p: ExecuteCommandParams) -> Result<Option<Value>> {
    if p.command != RUN_TESTS {
        return Err(invalid(format!("unknown command '{}'", p.command)));
    }
    let target = target(&p.arguments).ok_or_else(|| {
        invalid(format!(
            "{RUN_TESTS} takes a rule name or {{\"uri\": TEST_FILE, \"case\": NAME}}"
        ))
    })?;
    let (key, files, overrides, epoch, roots) = {
        let w = lock(cx.world);
        let snap = w.snapshot();
        let (key, files) = match &target {
            Target::Rule(rule) => {
                let mut files: Vec<PathBuf> = Vec::new();
                for (p, _) in snap.tests.cases_of(rule) {
                    if !files.iter().any(|f| f == p) {
                        files.push(p.to_path_buf());
                    }
                }
                (rule.clone(), files)
            }
            Target::Case { path, case } => (case_key(path, case), vec![path.clone()]),
        };
        (
            key,
            files,
            w.overrides(),
            w.results_epoch,
            w.roots().to_vec(),
        )
    };
    if files.is_empty() {
        let msg = match &target {
            Target::Rule(r) => format!("no test file has a case about the rule '{r}'"),
            Target::Case { path, .. } => format!("{} is not a test file", path.display()),
        };
        cx.client
            .show_message(MessageType::WARNING, format!("falconer: {msg}"))
            .await;
        return Err(invalid(msg));
    }
    cx.update(|w| {
        w.update_results(|r| {
            r.running.insert(key.clone());
        })
    });
    cx.refresh_lenses().await;

    let t = target.clone();
    let task = move || match t {
        Target::Rule(rule) => falconer_test::run_rule_in(&files, &rule, &overrides),
        Target::Case { path, case } => falconer_test::run_case_with(&path, &case, &overrides),
    };
    let run = tokio::task::spawn_blocking(task).await;
    let run = match run {
        Ok(r) => r,
        Err(e) => {
            cx.update(|w| {
                w.update_results(|r| {
                    r.running.remove(&key);
                })
            });
            cx.refresh_lenses().await;
            let why = match e.try_into_panic() {
                Ok(p) => panic_message(&*p),
                Err(_) => "cancelled".into(),
            };
            let message = format!("falconer: running the tests failed: {why}");
            cx.client
                .log_message(MessageType::ERROR, message.clone())
                .await;
            return Err(Error {
                code: ErrorCode::InternalError,
                message: message.into(),
                data: None,
            });
        }
    };

    let mut kept = false;
    cx.update(|w| {
        kept = w.results_epoch == epoch;
        w.update_results(|r| {
            r.running.remove(&key);
            if kept {
                store(r, &target, &run);
            }
        })
    });
    cx.refresh_lenses().await;
    report(&cx, &target, &run, &roots, kept).await;
    Ok(Some(outcome_json(&target, &run, kept)))
}

fn store(r: &mut crate::testing::Results, target: &Target, run: &RuleRun) {
    for c in &run.cases {
        r.cases.insert(
            (c.test_file.clone(), c.case.clone()),
            CaseResult {
                passed: c.passed,
                message: c.message.clone(),
                failed_rules: c.failed_rules.clone(),
            },
        );
    }
    match target {
        Target::Rule(rule) => {
            let result = match run.diagnostics.first() {
                Some(d) => RuleResult::Broken(d.to_string()),
                None => RuleResult::Ran {
                    total: run.cases.len(),
                    failed: run.cases.iter().filter(|c| !c.passed).count(),
                },
            };
            r.rules.insert(rule.clone(), result);
        }
        Target::Case { path, case } => {
            if let Some(d) = run.diagnostics.first() {
                r.cases.insert(
                    (path.clone(), case.clone()),
                    CaseResult {
                        passed: false,
                        message: format!("the case could not run: {d}"),
                        failed_rules: Vec::new(),
                    },
                );
            }
        }
    }
}

async fn report(cx: &Ctx<'_>, target: &Target, run: &RuleRun, roots: &[PathBuf], kept: bool) {
    let what = match target {
        Target::Rule(r) => format!("tests of '{r}'"),
        Target::Case { case, .. } => format!("case '{case}'"),
    };
    let stale = if kept {
        ""
    } else {
        " (files changed during the run: results not kept, run again)"
    };
    if !run.diagnostics.is_empty() {
        let first: Vec<String> = run
            .diagnostics
            .iter()
            .take(3)
            .map(|d| {
                format!(
                    "{}:{}:{}: {}",
                    shown(roots, &d.path),
                    d.line,
                    d.column,
                    d.message
                )
            })
            .collect();
        cx.client
            .show_message(
                MessageType::ERROR,
                format!(
                    "falconer: the {what} could not run{stale}: {}",
                    first.join("; ")
                ),
            )
            .await;
        return;
    }
    if run.cases.is_empty() {
        cx.client
            .show_message(
                MessageType::WARNING,
                format!("falconer: no case found for the {what}"),
            )
            .await;
        return;
    }
    let failed: Vec<_> = run.cases.iter().filter(|c| !c.passed).collect();
    for c in &failed {
        cx.client
            .log_message(
                MessageType::INFO,
                format!(
                    "falconer: ✗ {}:{}: {}\n{}",
                    shown(roots, &c.test_file),
                    c.line,
                    c.case,
                    c.message.trim_end()
                ),
            )
            .await;
    }
    let total = run.cases.len();
    let (typ, text) = if failed.is_empty() {
        let n = if total == 1 { "case" } else { "cases" };
        (MessageType::INFO, format!("✓ {total} {n} passed"))
    } else {
        let names: Vec<String> = failed
            .iter()
            .take(3)
            .map(|c| format!("'{}' ({}:{})", c.case, shown(roots, &c.test_file), c.line))
            .collect();
        let more = if failed.len() > 3 { ", …" } else { "" };
        (
            MessageType::WARNING,
            format!(
                "✗ {} of {total} failed: {}{more}",
                failed.len(),
                names.join(", ")
            ),
        )
    };
    cx.client
        .show_message(typ, format!("falconer: {what}: {text}{stale}"))
        .await;
}

fn outcome_json(target: &Target, run: &RuleRun, kept: bool) -> Value {
    let (rule, case) = match target {
        Target::Rule(r) => (Some(r.as_str()), None),
        Target::Case { case, .. } => (None, Some(case.as_str())),
    };
    json!({
        "rule": rule,
        "case": case,
        "total": run.cases.len(),
        "failed": run.cases.iter().filter(|c| !c.passed).count(),
        "kept": kept,
        "errors": run.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "cases": run.cases.iter().map(|c| json!({
            "uri": path_uri(&c.test_file).map(|u| u.as_str().to_string()),
            "case": c.case,
            "line": c.line,
            "passed": c.passed,
            "message": c.message,
        })).collect::<Vec<_>>(),
    })
}
