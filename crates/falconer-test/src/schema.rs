//! The test file schema (documented in `docs/testing.md`), read from the
//! span-aware YAML tree so every problem has a position.
//!
//! ```yaml
//! rules: [../falconer_rules.yaml]       # or config:, or falconer.toml
//! cases:
//!   - name: curl in a container fires
//!     scenario: scenarios/curl_in_container.yaml
//!     expect:
//!       - rule: Run Web Fetch Program in Container
//!         count: 1
//!         output_contains: command=curl
//!         fields: {container.name: frontend}
//! ```

use std::sync::Arc;

use falconer_text::Span;
use falconer_yaml::{Node, NodeKind};

use crate::diag::{Diagnostic, SourceText};
use crate::scenario::{self, Scenario};
use crate::yamlread::{Reader, Spanned};

/// Falco's `rule_matching`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Matching {
    #[default]
    First,
    All,
}

/// How many alerts an expectation wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub min: u64,
    pub max: Option<u64>,
}

impl Count {
    pub fn accepts(&self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|m| n <= m)
    }

    /// `exactly 1 time`, `at least once`, `never`...
    pub fn describe(&self) -> String {
        let times = |n: u64| match n {
            1 => "once".to_string(),
            n => format!("{n} times"),
        };
        match (self.min, self.max) {
            (0, Some(0)) => "never".into(),
            (a, Some(b)) if a == b => format!("exactly {}", times(a)),
            (0, Some(b)) => format!("at most {}", times(b)),
            (a, None) => format!("at least {}", times(a)),
            (a, Some(b)) => format!("between {a} and {b} times"),
        }
    }
}

/// An expected value of an output field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldValue {
    /// `null`: the field has no value for the event (`<NA>`).
    Missing,
    Text(String),
}

/// One expectation about a rule's alerts.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub rule: Spanned<String>,
    pub span: Span,
    pub count: Count,
    pub output_contains: Vec<Spanned<String>>,
    pub output: Option<Spanned<String>>,
    pub fields: Vec<(Spanned<String>, FieldValue)>,
}

impl Expectation {
    /// Whether output matchers select among the rule's alerts.
    pub fn has_matchers(&self) -> bool {
        !self.output_contains.is_empty() || self.output.is_some() || !self.fields.is_empty()
    }
}

/// Where a case's capture comes from.
#[derive(Clone, Debug)]
pub enum FixtureSpec {
    /// A `.scap` file (path as written, relative to the test file).
    Capture(Spanned<String>),
    /// A scenario file (path as written).
    ScenarioFile(Spanned<String>),
    /// A scenario written in the test file.
    Inline(Box<Scenario>),
}

#[derive(Clone, Debug)]
pub struct CaseSpec {
    pub name: Spanned<String>,
    pub span: Span,
    pub fixture: FixtureSpec,
    /// Extra rules files for this case, loaded after the file's.
    pub rules: Vec<Spanned<String>>,
    pub plugins: Vec<Spanned<String>>,
    pub rule_matching: Option<Matching>,
    pub strict: Option<bool>,
    pub expect: Vec<Expectation>,
}

/// A parsed test file.
#[derive(Clone, Debug)]
pub struct TestFile {
    pub src: Arc<SourceText>,
    /// Rules files (or directories) as written; `None`: from
    /// `falconer.toml`.
    pub rules: Option<(Vec<Spanned<String>>, Span)>,
    pub config: Option<Spanned<String>>,
    pub plugins: Vec<Spanned<String>>,
    pub default_plugins: Option<bool>,
    pub rule_matching: Matching,
    pub strict: bool,
    pub suggested_output: bool,
    pub cases: Vec<CaseSpec>,
}

const TOP_KEYS: &[&str] = &[
    "rules",
    "config",
    "plugins",
    "default_plugins",
    "rule_matching",
    "strict",
    "suggested_output",
    "cases",
];

const CASE_KEYS: &[&str] = &[
    "name",
    "capture",
    "scenario",
    "rules",
    "plugins",
    "rule_matching",
    "strict",
    "expect",
];

const EXPECT_KEYS: &[&str] = &[
    "rule",
    "count",
    "at_least",
    "at_most",
    "output_contains",
    "output",
    "fields",
];

/// Parses a test file's text: the file with every case that could be
/// read, and the schema errors (with positions) of the others. Fixtures
/// and rule names are checked when the suite is loaded.
pub fn parse_partial(src: Arc<SourceText>) -> (Option<TestFile>, Vec<Diagnostic>) {
    let yaml = falconer_yaml::parse(&src.text);
    if let Some(e) = yaml.errors.first() {
        return (
            None,
            vec![src.error("yaml-syntax", e.span, e.message.clone())],
        );
    }
    let Some(root) = yaml.documents.iter().find_map(|d| d.root.as_ref()) else {
        return (
            None,
            vec![src.error(
                "test-schema",
                Span::empty(0),
                "the test file is empty (it needs cases:)",
            )],
        );
    };
    let mut r = Reader::new(&src, "test-schema");
    let file = read_file(&mut r, src.clone(), root);
    (file, r.diags)
}

/// Parses a test file's text; any schema error fails the whole file.
pub fn parse(src: Arc<SourceText>) -> Result<TestFile, Vec<Diagnostic>> {
    match parse_partial(src.clone()) {
        (Some(f), d) if d.is_empty() => Ok(f),
        (_, d) if !d.is_empty() => Err(d),
        _ => Err(vec![src.error(
            "test-schema",
            Span::empty(0),
            "invalid test file",
        )]),
    }
}

fn matching(r: &mut Reader<'_>, n: &Node) -> Option<Matching> {
    let s = r.string(n, "rule_matching")?;
    match s.value.as_str() {
        "first" => Some(Matching::First),
        "all" => Some(Matching::All),
        other => {
            r.error(
                n.span,
                format!("rule_matching must be first or all, not '{other}'"),
            );
            None
        }
    }
}

fn read_file(r: &mut Reader<'_>, src: Arc<SourceText>, n: &Node) -> Option<TestFile> {
    let e = r.mapping(n, "a test file", TOP_KEYS)?;
    let mut f = TestFile {
        src: src.clone(),
        rules: None,
        config: None,
        plugins: Vec::new(),
        default_plugins: None,
        rule_matching: Matching::First,
        strict: false,
        suggested_output: true,
        cases: Vec::new(),
    };
    if let Some(v) = r.get(e, "rules") {
        f.rules = r.strings(v, "rules").map(|l| (l, v.span));
    }
    if let Some(v) = r.get(e, "config") {
        f.config = r.nonempty(v, "config");
    }
    if f.rules.is_some() && f.config.is_some() {
        r.error(n.span, "give either 'rules' or 'config', not both");
    }
    if let Some(v) = r.get(e, "plugins") {
        f.plugins = r.strings(v, "plugins").unwrap_or_default();
    }
    if let Some(v) = r.get(e, "default_plugins") {
        f.default_plugins = r.boolean(v, "default_plugins");
    }
    if let Some(v) = r.get(e, "rule_matching") {
        f.rule_matching = matching(r, v).unwrap_or_default();
    }
    if let Some(v) = r.get(e, "strict") {
        f.strict = r.boolean(v, "strict").unwrap_or(false);
    }
    if let Some(v) = r.get(e, "suggested_output") {
        f.suggested_output = r.boolean(v, "suggested_output").unwrap_or(true);
    }
    let cases = r.require(e, "cases", "a test file", n.span)?;
    let items = r.sequence(cases, "cases")?;
    if items.is_empty() {
        r.error(
            cases.span,
            "cases is empty: a test file needs at least one case",
        );
    }
    let mut names: Vec<(String, Span)> = Vec::new();
    for c in items {
        let before = r.diags.len();
        if let Some(n) = c
            .as_mapping()
            .and_then(|m| r.get(m, "name"))
            .and_then(|n| n.as_str().map(|s| (s.to_string(), n.span)))
        {
            if let Some((_, prev)) = names.iter().find(|(p, _)| *p == n.0) {
                let (line, _) = src.line_col(prev.start);
                r.error(
                    n.1,
                    format!("a case named '{}' is already defined on line {line}", n.0),
                );
            }
            names.push(n);
        }
        let case = read_case(r, &src, c);
        if r.diags.len() > before {
            // A case with an error is reported, not run.
            continue;
        }
        if let Some(c) = case {
            f.cases.push(c);
        }
    }
    Some(f)
}

fn read_case(r: &mut Reader<'_>, src: &Arc<SourceText>, n: &Node) -> Option<CaseSpec> {
    let e = r.mapping(n, "a case", CASE_KEYS)?;
    let name = r
        .require(e, "name", "a case", n.span)
        .and_then(|v| r.nonempty(v, "name"))?;
    let fixture = match (r.get(e, "capture"), r.get(e, "scenario")) {
        (Some(_), Some(_)) => {
            r.error(
                n.span,
                "a case has either 'capture' or 'scenario', not both",
            );
            return None;
        }
        (None, None) => {
            r.error(
                name.span,
                "a case needs a fixture: 'capture' (a .scap file) or 'scenario' (a scenario file or an inline scenario)",
            );
            return None;
        }
        (Some(c), None) => FixtureSpec::Capture(r.nonempty(c, "capture")?),
        (None, Some(s)) => match &s.kind {
            NodeKind::Mapping { .. } => match scenario::parse_node(src.clone(), s) {
                Ok(sc) => FixtureSpec::Inline(Box::new(sc)),
                Err(d) => {
                    r.diags.extend(d);
                    return None;
                }
            },
            _ => FixtureSpec::ScenarioFile(r.nonempty(s, "scenario")?),
        },
    };
    let rules = match r.get(e, "rules") {
        Some(v) => r.strings(v, "rules")?,
        None => Vec::new(),
    };
    let plugins = match r.get(e, "plugins") {
        Some(v) => r.strings(v, "plugins")?,
        None => Vec::new(),
    };
    let rule_matching = match r.get(e, "rule_matching") {
        Some(v) => Some(matching(r, v)?),
        None => None,
    };
    let strict = match r.get(e, "strict") {
        Some(v) => Some(r.boolean(v, "strict")?),
        None => None,
    };
    let mut expect = Vec::new();
    if let Some(v) = r.get(e, "expect") {
        for x in r.sequence(v, "expect")? {
            if let Some(x) = read_expectation(r, x) {
                expect.push(x);
            }
        }
    }
    if expect.is_empty() && strict != Some(true) {
        r.error(
            name.span,
            "a case needs expectations (expect:), or strict: true to say that no rule fires",
        );
    }
    Some(CaseSpec {
        name,
        span: n.span,
        fixture,
        rules,
        plugins,
        rule_matching,
        strict,
        expect,
    })
}

fn read_expectation(r: &mut Reader<'_>, n: &Node) -> Option<Expectation> {
    let e = r.mapping(n, "an expectation", EXPECT_KEYS)?;
    let rule = r
        .require(e, "rule", "an expectation", n.span)
        .and_then(|v| r.nonempty(v, "rule"))?;
    let num = |r: &mut Reader<'_>, key: &str| -> Option<Option<u64>> {
        match r.get(e, key) {
            Some(v) => r.uint(v, key, u32::MAX as u64).map(|s| Some(s.value)),
            None => Some(None),
        }
    };
    let count = num(r, "count")?;
    let at_least = num(r, "at_least")?;
    let at_most = num(r, "at_most")?;
    let count = match (count, at_least, at_most) {
        (Some(c), None, None) => Count {
            min: c,
            max: Some(c),
        },
        (Some(_), _, _) => {
            r.error(
                n.span,
                "give either 'count' or 'at_least'/'at_most', not both",
            );
            return None;
        }
        (None, a, b) => {
            let c = Count {
                min: a.unwrap_or(if b.is_some() { 0 } else { 1 }),
                max: b,
            };
            if c.max.is_some_and(|m| m < c.min) {
                r.error(n.span, "at_most is smaller than at_least");
                return None;
            }
            c
        }
    };
    let output_contains = match r.get(e, "output_contains") {
        Some(v) => r.strings(v, "output_contains")?,
        None => Vec::new(),
    };
    let output = match r.get(e, "output") {
        Some(v) => Some(r.string(v, "output")?),
        None => None,
    };
    let mut fields = Vec::new();
    if let Some(v) = r.get(e, "fields") {
        let Some(entries) = v.as_mapping() else {
            r.error(v.span, "fields must be a mapping of field names to values");
            return None;
        };
        for en in entries {
            let k = r.nonempty(&en.key, "a field name")?;
            let val = match &en.value.kind {
                NodeKind::Null => FieldValue::Missing,
                NodeKind::Scalar(s) => FieldValue::Text(s.value.clone()),
                _ => {
                    r.error(
                        en.value.span,
                        "a field's expected value must be a scalar (or null for no value)",
                    );
                    return None;
                }
            };
            fields.push((k, val));
        }
    }
    Some(Expectation {
        rule,
        span: n.span,
        count,
        output_contains,
        output,
        fields,
    })
}
