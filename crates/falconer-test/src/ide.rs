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
    let mut out = Vec::new();
    let Ok(files) = suite::find_test_files(&[workspace_root.to_path_buf()]) else {
        return out;
    };
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let src = Arc::new(SourceText::new(&f, text));
        let Ok(file) = schema::parse(src.clone()) else {
            continue;
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
                    test_file: f.clone(),
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
    }
    out
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
    let filter = Filter {
        run: None,
        rule: Some(rule.to_string()),
    };
    let files: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = discover(workspace_root)
            .into_iter()
            .filter(|t| t.rule == rule)
            .map(|t| t.test_file)
            .collect();
        v.dedup();
        v
    };
    if files.is_empty() {
        return RuleRun::default();
    }
    let s = suite::load(&files, &filter, &[]);
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
                CaseOutcome {
                    test_file: s.files[c.file].path.clone(),
                    case: c.name.clone(),
                    line: c.line,
                    passed: r.passed(),
                    message: r.failures.iter().map(|f| render_failure(f, "")).collect(),
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
    suite::load_text(path, text, &Filter::default()).diagnostics
}
