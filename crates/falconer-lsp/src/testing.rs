//! Rule unit tests in the editor: which rules have tests (the discovery
//! cache behind the "run tests" code lenses) and the results of the runs
//! (behind the lens titles and the failure diagnostics).
//!
//! * [`TestIndex`]: every test file of the workspace with its cases, as
//!   `falconer_test::ide::discover` finds them, kept up to date file by
//!   file: an open test file from its buffer (re-read on each change: one
//!   small YAML parse), the others from the disk (walked once with the
//!   rules files, re-read when the client reports a change). Code lenses
//!   read it from a snapshot, so they never walk the workspace.
//! * [`Results`]: the outcome of the last run of each rule and each case,
//!   dropped as soon as an input it depends on may have changed (see
//!   [`crate::state::World`]): a result on screen is always the result
//!   for the texts on screen.

use falconer_test::RuleTest;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The command of the "run tests" lenses (advertised in
/// `executeCommandProvider`). Arguments: a rule name (runs every case
/// with an expectation about that rule), or `{"uri": TEST_FILE, "case":
/// NAME}` (runs one case).
pub const RUN_TESTS: &str = "falconer.runTests";

/// One test file: its text (the buffer's when open) and its rule tests.
#[derive(Clone, Debug)]
pub struct TestFile {
    pub text: Arc<String>,
    /// One entry per (case, rule named by its expectations); empty when
    /// the file has schema errors.
    pub tests: Vec<RuleTest>,
}

impl TestFile {
    pub fn new(path: &Path, text: String) -> TestFile {
        let tests = falconer_test::discover_file(path, &text);
        TestFile {
            text: Arc::new(text),
            tests,
        }
    }

    /// The case names, in file order, each with its first entry.
    pub fn cases(&self) -> Vec<&RuleTest> {
        let mut seen = HashSet::new();
        self.tests
            .iter()
            .filter(|t| seen.insert(t.case.as_str()))
            .collect()
    }

    fn rules(&self) -> BTreeSet<String> {
        self.tests.iter().map(|t| t.rule.clone()).collect()
    }
}

/// The test files of the workspace (path → file).
#[derive(Clone, Debug, Default)]
pub struct TestIndex {
    pub files: BTreeMap<PathBuf, TestFile>,
}

impl TestIndex {
    /// The cases testing `rule`: (test file, case), in path order.
    pub fn cases_of(&self, rule: &str) -> Vec<(&Path, &RuleTest)> {
        self.files
            .iter()
            .flat_map(|(p, f)| f.tests.iter().map(move |t| (p.as_path(), t)))
            .filter(|(_, t)| t.rule == rule)
            .collect()
    }

    /// Number of cases per rule.
    pub fn counts(&self) -> HashMap<&str, usize> {
        let mut out: HashMap<&str, usize> = HashMap::new();
        for f in self.files.values() {
            for t in &f.tests {
                *out.entry(t.rule.as_str()).or_default() += 1;
            }
        }
        out
    }

    /// Sets a test file's text (or removes the file when `text` is not a
    /// test file). Returns the rules whose tests may have changed (named
    /// by the old or the new text).
    pub fn set(&mut self, path: &Path, text: Option<String>) -> BTreeSet<String> {
        let mut touched = self
            .files
            .get(path)
            .map(TestFile::rules)
            .unwrap_or_default();
        match text.filter(|t| falconer_test::ide::is_test_file(t)) {
            Some(t) => {
                if self.files.get(path).is_some_and(|f| *f.text == t) {
                    return BTreeSet::new();
                }
                let f = TestFile::new(path, t);
                touched.extend(f.rules());
                self.files.insert(path.to_path_buf(), f);
            }
            None => {
                self.files.remove(path);
            }
        }
        touched
    }
}

/// The outcome of one case, from the last run that ran it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    pub passed: bool,
    /// What failed and why (the runner's explanation).
    pub message: String,
    /// The rules its failed expectations are about.
    pub failed_rules: Vec<String>,
}

/// The outcome of the last run of a rule's cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleResult {
    /// Every case ran: how many, how many failed.
    Ran { total: usize, failed: usize },
    /// The cases could not run (a test file, fixture or rules problem).
    Broken(String),
}

/// What the runs found, valid for the current inputs.
#[derive(Clone, Debug, Default)]
pub struct Results {
    pub rules: HashMap<String, RuleResult>,
    /// By (test file, case name).
    pub cases: HashMap<(PathBuf, String), CaseResult>,
    /// Runs under way: rule names, and `file::case` for single cases.
    pub running: HashSet<String>,
}

impl Results {
    pub fn clear(&mut self) {
        self.rules.clear();
        self.cases.clear();
    }

    /// Forgets what depends on one test file: its cases, and the rules
    /// it tests.
    pub fn forget_file(&mut self, path: &Path, rules: &BTreeSet<String>) {
        self.cases.retain(|(p, _), _| p != path);
        self.rules.retain(|r, _| !rules.contains(r));
    }

    /// The failed cases about `rule`: (test file, case, result).
    pub fn failures_of<'a>(
        &'a self,
        index: &'a TestIndex,
        rule: &'a str,
    ) -> impl Iterator<Item = (&'a Path, &'a RuleTest, &'a CaseResult)> + 'a {
        index.cases_of(rule).into_iter().filter_map(move |(p, t)| {
            let r = self.cases.get(&(p.to_path_buf(), t.case.clone()))?;
            let about = r.failed_rules.is_empty() || r.failed_rules.iter().any(|x| x == rule);
            (!r.passed && about).then_some((p, t, r))
        })
    }
}

/// The key of a single-case run in [`Results::running`].
pub fn case_key(path: &Path, case: &str) -> String {
    format!("{}::{case}", path.display())
}

/// The first `n` lines of a text (a failure's summary).
pub fn first_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let mut out = lines[..lines.len().min(n)].join("\n");
    if lines.len() > n {
        out.push_str("\n…");
    }
    out
}
