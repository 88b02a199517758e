//! The API editors use (the language server's "run tests" code lens and
//! test-file diagnostics). Nothing here knows LSP types: positions are
//! byte spans plus 1-based line/column (characters) in the test file.
//!
//! - [`discover`]: every (rule, test file, case) of a workspace, with the
//!   position of the case and of the expectation naming the rule: what a
//!   code lens above each rule needs;
//! - [`run_rule`]: runs the cases of one rule, with pass/fail and the
//!   failure text per case;
//! - [`diagnostics`]: the problems of one test file (its current text,
//!   e.g. an unsaved buffer): schema errors, unknown rules, missing
//!   fixtures, scenario errors, output fields a rule does not print.
//!
//! The `*_with` forms take `overrides`: (path, text) pairs used instead
//! of the disk's text of test, rules and scenario files (an editor's
//! open buffers); captures and directory listings come from the disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use falconer_text::Span;

use crate::diag::{Diagnostic, SourceText};
use crate::report::render_failure;
use crate::run::{run, RunOptions};
use crate::schema;
use crate::suite::{self, Filter};

/// A test of a rule: one case with an expectation about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleTest {
    pub rule: String,
    pub test_file: PathBuf,
    pub case: String,
    /// The case's `name:` value.
    pub case_span: Span,
    pub case_line: u32,
    pub case_column: u32,
    /// The expectation's `rule:` value.
    pub rule_span: Span,
    pub rule_line: u32,
    pub rule_column: u32,
}

/// The test files of a workspace (every `*.yaml`/`*.yml` with `cases:`,
/// outside hidden directories, `target/` and `node_modules/`) and, for
/// each case, the rules its expectations name. Test files with schema
/// errors are skipped (see [`diagnostics`]). Cheap: no rules are
/// analysed, no fixture is built.
pub fn discover(workspace_root: &Path) -> Vec<RuleTest> {
    discover_with(workspace_root, &[])
}

/// [`discover`], with the texts of `overrides` used instead of the
/// disk's (which files exist is still read from the disk).
pub fn discover_with(workspace_root: &Path, overrides: &[(PathBuf, String)]) -> Vec<RuleTest> {
    let mut out = Vec::new();
    let Ok(files) = suite::find_test_files(&[workspace_root.to_path_buf()]) else {
        return out;
    };
    for f in files {
        let text = match overrides.iter().find(|(p, _)| *p == f) {
            Some((_, t)) => t.clone(),
            None => match std::fs::read_to_string(&f) {
                Ok(t) => t,
                Err(_) => continue,
            },
        };
        out.extend(discover_file(&f, &text));
    }
    out
}

/// The rule tests of one test file given as text (an editor's buffer):
/// [`discover`] for one file. Empty when the text is not a test file or
/// has schema errors.
pub fn discover_file(path: &Path, text: &str) -> Vec<RuleTest> {
    let mut out = Vec::new();
    if !suite::is_test_file_text(text) {
        return out;
    }
    let src = Arc::new(SourceText::new(path, text));
    let Ok(file) = schema::parse(src.clone()) else {
        return out;
    };
    for c in &file.cases {
        let (cl, cc) = src.line_col(c.name.span.start);
        let mut seen: Vec<&str> = Vec::new();
        for e in &c.expect {
            if seen.contains(&e.rule.value.as_str()) {
                continue;
            }
            seen.push(&e.rule.value);
            let (rl, rc) = src.line_col(e.rule.span.start);
            out.push(RuleTest {
                rule: e.rule.value.clone(),
                test_file: path.to_path_buf(),
                case: c.name.value.clone(),
                case_span: c.name.span,
                case_line: cl,
                case_column: cc,
                rule_span: e.rule.span,
                rule_line: rl,
                rule_column: rc,
            });
        }
    }
    out
}

/// Whether a text is a test file (a YAML mapping with `cases:`), as
/// [`discover`] decides.
pub fn is_test_file(text: &str) -> bool {
    suite::is_test_file_text(text)
}

/// The outcome of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseOutcome {
    pub test_file: PathBuf,
    pub case: String,
    pub line: u32,
    pub passed: bool,
    /// What failed and why (empty when passed).
    pub message: String,
    /// The rules the failed expectations are about (empty when passed,
    /// or for failures about no rule, e.g. an unreadable capture).
    pub failed_rules: Vec<String>,
}

/// Outcome of [`run_rule`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleRun {
    pub cases: Vec<CaseOutcome>,
    /// Problems that stop the cases from running (a bad test file).
    pub diagnostics: Vec<Diagnostic>,
}

impl RuleRun {
    pub fn passed(&self) -> bool {
        self.diagnostics.is_empty() && self.cases.iter().all(|c| c.passed)
    }
}

/// Runs every case of the workspace that has an expectation about
/// `rule` (the code lens "run tests" of that rule).
pub fn run_rule(workspace_root: &Path, rule: &str) -> RuleRun {
    run_rule_with(workspace_root, rule, &[])
}

/// [`run_rule`], with the texts of `overrides` used instead of the
/// disk's: test files, the rules files they load and scenario files
/// (an editor's unsaved buffers). Captures are always read from disk.
pub fn run_rule_with(
    workspace_root: &Path,
    rule: &str,
    overrides: &[(PathBuf, String)],
) -> RuleRun {
    let files: Vec<PathBuf> = discover_with(workspace_root, overrides)
        .into_iter()
        .filter(|t| t.rule == rule)
        .map(|t| t.test_file)
        .collect();
    run_rule_in(&files, rule, overrides)
}

/// Runs the cases of `test_files` that have an expectation about `rule`
/// (pass only files with such cases: a problem in any file given stops
/// the run; for a caller that keeps its own [`discover`] results, as the
/// language server does), with `overrides` as in [`run_rule_with`].
pub fn run_rule_in(test_files: &[PathBuf], rule: &str, overrides: &[(PathBuf, String)]) -> RuleRun {
    let filter = Filter {
        run: None,
        rule: Some(rule.to_string()),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for f in test_files {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    if files.is_empty() {
        return RuleRun::default();
    }
    run_suite(&files, &filter, overrides)
}

/// Runs one case of a test file (the code lens "run case").
pub fn run_case_with(test_file: &Path, case: &str, overrides: &[(PathBuf, String)]) -> RuleRun {
    let filter = Filter {
        run: regex::Regex::new(&format!("^{}$", regex::escape(case))).ok(),
        rule: None,
    };
    run_suite(&[test_file.to_path_buf()], &filter, overrides)
}

fn run_suite(files: &[PathBuf], filter: &Filter, overrides: &[(PathBuf, String)]) -> RuleRun {
    let s = suite::load(files, filter, overrides);
    if s.has_errors() {
        return RuleRun {
            cases: Vec::new(),
            diagnostics: s.diagnostics,
        };
    }
    let report = run(&s, &RunOptions::default());
    RuleRun {
        cases: report
            .results
            .iter()
            .map(|r| {
                let c = &s.cases[r.case];
                let mut failed_rules: Vec<String> =
                    r.failures.iter().filter_map(|f| f.rule.clone()).collect();
                failed_rules.dedup();
                CaseOutcome {
                    test_file: s.files[c.file].path.clone(),
                    case: c.name.clone(),
                    line: c.line,
                    passed: r.passed(),
                    message: r.failures.iter().map(|f| render_failure(f, "")).collect(),
                    failed_rules,
                }
            })
            .collect(),
        diagnostics: Vec::new(),
    }
}

/// The diagnostics of a test file whose current text is `text` (rules
/// files, scenario files and captures it refers to are read from disk).
/// Diagnostics located in other files (a rules file's load errors, a
/// scenario file's errors) are included; filter on `path` to keep the
/// test file's own.
pub fn diagnostics(path: &Path, text: &str) -> Vec<Diagnostic> {
    diagnostics_with(path, text, &[])
}

/// [`diagnostics`], with the texts of `overrides` used instead of the
/// disk's for the rules and scenario files the test file refers to.
pub fn diagnostics_with(
    path: &Path,
    text: &str,
    overrides: &[(PathBuf, String)],
) -> Vec<Diagnostic> {
    suite::load_text_with(path, text, &Filter::default(), overrides).diagnostics
}
