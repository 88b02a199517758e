//! Loading a suite: finding test files, reading them, resolving their
//! rules (files, `config:`, or the nearest `falconer.toml`), reading and
//! building fixtures, and checking every case against the rules it will
//! run with (unknown or unloaded rules, output fields the rule does not
//! print). Everything wrong is a [`Diagnostic`] with a position; a suite
//! with errors does not run.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use falconer_analysis::{AnalysisHost, Config, Severity as ASeverity};
use falconer_engine::engine::{Engine, Options, RuleMatching};
use falconer_syntax::ast::Lhs;
use falconer_syntax::output::{parse_output, OutputSegment};
use falconer_text::{suggest, Span};

use crate::config;
use crate::diag::{file_error, Diagnostic, Severity, SourceText};
use crate::scenario;
use crate::schema::{self, Expectation, FixtureSpec, Matching, TestFile};
use crate::yamlread::Spanned;

/// A rules setup cases run with: files in load order, plugins, engine
/// options. Cases with the same setup share it.
#[derive(Debug)]
pub struct RulesConfig {
    /// (path as shown, text), in load order.
    pub files: Vec<(String, String)>,
    pub config: Config,
    pub options: Options,
    /// Rules the engine loads (enabled syscall rules it can evaluate).
    pub loaded: BTreeSet<String>,
    /// Field names of each loaded rule's output (what `fields:` can test).
    pub output_fields: HashMap<String, Vec<String>>,
}

impl RulesConfig {
    /// The analysis of these rules.
    pub fn host(&self) -> AnalysisHost {
        let mut h = AnalysisHost::new(self.config.clone());
        h.set_files(self.files.clone());
        h
    }
}

/// A test file of the suite.
#[derive(Debug)]
pub struct SuiteFile {
    pub path: PathBuf,
    pub src: Arc<SourceText>,
}

/// A case ready to run.
#[derive(Debug)]
pub struct Case {
    /// Index into [`Suite::files`].
    pub file: usize,
    pub name: String,
    pub name_span: Span,
    /// 1-based line of the case's name.
    pub line: u32,
    /// Index into [`Suite::configs`].
    pub config: usize,
    /// The capture's bytes.
    pub capture: Arc<Vec<u8>>,
    /// What the capture is (`scenario FILE`, `capture FILE`, `inline scenario`).
    pub fixture: String,
    pub expect: Vec<Expectation>,
    pub strict: bool,
}

/// A loaded suite.
#[derive(Debug, Default)]
pub struct Suite {
    pub files: Vec<SuiteFile>,
    pub cases: Vec<Case>,
    pub configs: Vec<Arc<RulesConfig>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Suite {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Which cases to load.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Cases whose name (or `FILE::NAME`) matches.
    pub run: Option<regex::Regex>,
    /// Cases with an expectation about this rule.
    pub rule: Option<String>,
}

impl Filter {
    fn keeps(&self, path: &Path, name: &str, expect: &[Expectation]) -> bool {
        if let Some(re) = &self.run {
            let full = format!("{}::{name}", path.display());
            if !re.is_match(name) && !re.is_match(&full) {
                return false;
            }
        }
        if let Some(rule) = &self.rule {
            if !expect.iter().any(|e| e.rule.value == *rule) {
                return false;
            }
        }
        true
    }
}

/// Whether a YAML text looks like a test file (a mapping with `cases`),
/// rather than a rules file (a sequence) or a scenario.
pub fn is_test_file_text(text: &str) -> bool {
    if !text.contains("cases") {
        return false;
    }
    let y = falconer_yaml::parse(text);
    y.documents
        .iter()
        .find_map(|d| d.root.as_ref())
        .and_then(|r| r.as_mapping())
        .is_some_and(|m| m.iter().any(|e| e.key.as_str() == Some("cases")))
}

fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name == "node_modules"
}

/// Test files under `paths`: files as given; directories searched
/// recursively (sorted) for `*.yaml`/`*.yml` files that are test files.
pub fn find_test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !skip_dir(name) {
                walk(&p, out);
            }
        } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
            && std::fs::read_to_string(&p).is_ok_and(|t| is_test_file_text(&t))
        {
            out.push(p);
        }
    }
}

/// `p` relative to `base` (absolute paths as they are), with `.` and
/// `..` resolved lexically so reports show `rules/x.yaml`, not
/// `rules/tests/../x.yaml`.
fn rel(base: &Path, p: &str) -> PathBuf {
    let pb = Path::new(p);
    let joined = if pb.is_absolute() {
        pb.to_path_buf()
    } else {
        base.join(pb)
    };
    normalize(&joined)
}

/// Resolves `.` and `..` lexically (a `..` after a normal component
/// removes it; leading `..` stay).
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

fn key_of(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Rules files of a path: a file, or a directory's `*.yaml`/`*.yml` in
/// sorted order that are not test files.
fn expand_rules_path(p: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(p).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(p)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .filter(|f| !std::fs::read_to_string(f).is_ok_and(|t| is_test_file_text(&t)))
        .collect();
    files.sort();
    Ok(files)
}

#[derive(Hash, PartialEq, Eq, Clone)]
struct ConfigKey {
    files: Vec<PathBuf>,
    plugins: Vec<String>,
    default_plugins: bool,
    engine_version: Option<(u32, u32, u32)>,
    matching: Matching,
    suggested_output: bool,
}

/// Base rules of a test file: (files, plugins, default plugins, engine
/// version).
struct Base {
    files: Vec<(PathBuf, Span)>,
    plugins: Vec<String>,
    default_plugins: bool,
    engine_version: Option<(u32, u32, u32)>,
}

#[derive(Default)]
struct Loader {
    suite: Suite,
    texts: HashMap<PathBuf, Option<Arc<String>>>,
    captures: HashMap<PathBuf, Result<Arc<Vec<u8>>, String>>,
    scenarios: HashMap<PathBuf, Result<Arc<Vec<u8>>, Vec<Diagnostic>>>,
    configs: HashMap<ConfigKey, usize>,
    /// Configs whose rules have load errors (reported once).
    broken: HashMap<ConfigKey, Vec<Diagnostic>>,
    /// Texts used instead of the disk's (by [`key_of`] path): an
    /// editor's unsaved buffers of test, rules and scenario files.
    overrides: HashMap<PathBuf, Arc<String>>,
}

/// Loads the test files at `paths` (files or directories), with texts
/// of `overrides` used instead of the disk's (an editor's unsaved
/// buffers: test files, the rules files they load, scenario files).
/// Which files a directory holds is still read from the disk.
pub fn load(paths: &[PathBuf], filter: &Filter, overrides: &[(PathBuf, String)]) -> Suite {
    let mut l = Loader::with_overrides(overrides);
    let files = match find_test_files(paths) {
        Ok(f) => f,
        Err(e) => {
            l.suite
                .diagnostics
                .push(file_error(Path::new(""), "missing-file", e));
            return l.suite;
        }
    };
    for f in files {
        l.load_file(&f, None, filter);
    }
    l.suite
}

/// Loads one test file given as text (for editors), without running.
pub fn load_text(path: &Path, text: &str, filter: &Filter) -> Suite {
    load_text_with(path, text, filter, &[])
}

/// [`load_text`], with texts of `overrides` used instead of the disk's
/// for the rules and scenario files the test file refers to.
pub fn load_text_with(
    path: &Path,
    text: &str,
    filter: &Filter,
    overrides: &[(PathBuf, String)],
) -> Suite {
    let mut l = Loader::with_overrides(overrides);
    l.load_file(path, Some(text.to_string()), filter);
    l.suite
}

impl Loader {
    fn with_overrides(overrides: &[(PathBuf, String)]) -> Loader {
        Loader {
            overrides: overrides
                .iter()
                .map(|(p, t)| (key_of(p), Arc::new(t.clone())))
                .collect(),
            ..Loader::default()
        }
    }

    fn text(&mut self, p: &Path) -> Option<Arc<String>> {
        let k = key_of(p);
        if let Some(t) = self.overrides.get(&k) {
            return Some(t.clone());
        }
        self.texts
            .entry(k)
            .or_insert_with(|| std::fs::read_to_string(p).ok().map(Arc::new))
            .clone()
    }

    fn load_file(&mut self, path: &Path, over: Option<String>, filter: &Filter) {
        let text = match over.or_else(|| {
            self.overrides
                .get(&key_of(path))
                .map(|t| t.as_str().to_string())
        }) {
            Some(t) => t,
            None => match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    self.suite.diagnostics.push(file_error(
                        path,
                        "missing-file",
                        format!("cannot read {}: {e}", path.display()),
                    ));
                    return;
                }
            },
        };
        let src = Arc::new(SourceText::new(path, text));
        let (file, diags) = schema::parse_partial(src.clone());
        self.suite.diagnostics.extend(diags);
        let Some(file) = file else {
            return;
        };
        let file_index = self.suite.files.len();
        self.suite.files.push(SuiteFile {
            path: path.to_path_buf(),
            src: src.clone(),
        });
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let Some(base) = self.base(&file, &base_dir) else {
            return;
        };
        for c in &file.cases {
            if !filter.keeps(path, &c.name.value, &c.expect) {
                continue;
            }
            self.load_case(&file, file_index, c, &base, &base_dir);
        }
    }

    fn base(&mut self, file: &TestFile, dir: &Path) -> Option<Base> {
        let src = &file.src;
        let mut plugins: Vec<String> = Vec::new();
        let mut default_plugins = file.default_plugins.unwrap_or(true);
        let mut engine_version = None;
        let mut files: Vec<(PathBuf, Span)> = Vec::new();
        let mut ok = true;
        match (&file.rules, &file.config) {
            (Some((list, _)), _) => {
                for r in list {
                    match expand_rules_path(&rel(dir, &r.value)) {
                        Ok(v) if !v.is_empty() => files.extend(v.into_iter().map(|p| (p, r.span))),
                        Ok(_) => {
                            ok = false;
                            self.suite.diagnostics.push(src.error(
                                "missing-rules",
                                r.span,
                                format!(
                                    "no rules files (*.yaml) in {}",
                                    rel(dir, &r.value).display()
                                ),
                            ));
                        }
                        Err(e) => {
                            ok = false;
                            self.suite.diagnostics.push(src.error(
                                "missing-rules",
                                r.span,
                                format!(
                                    "cannot read the rules {}: {e}",
                                    rel(dir, &r.value).display()
                                ),
                            ));
                        }
                    }
                }
            }
            (None, cfg) => {
                let (cfg_path, span) = match cfg {
                    Some(c) => (Some(rel(dir, &c.value)), c.span),
                    None => (
                        config::find(&std::fs::canonicalize(dir).unwrap_or(dir.to_path_buf())),
                        Span::empty(0),
                    ),
                };
                let Some(cfg_path) = cfg_path else {
                    self.suite.diagnostics.push(src.error(
                        "missing-rules",
                        Span::empty(0),
                        "no rules: give rules: (files or directories, relative to this file), config: (a falconer.toml), or put a falconer.toml in this directory or a parent",
                    ));
                    return None;
                };
                let fc = match config::load(&cfg_path) {
                    Ok(c) => c,
                    Err(e) => {
                        self.suite
                            .diagnostics
                            .push(src.error("missing-rules", span, e));
                        return None;
                    }
                };
                let cdir = cfg_path.parent().map(Path::to_path_buf).unwrap_or_default();
                for r in &fc.rules_files {
                    let p = if r.is_absolute() {
                        r.clone()
                    } else {
                        cdir.join(r)
                    };
                    match expand_rules_path(&p) {
                        Ok(v) => files.extend(v.into_iter().map(|p| (p, span))),
                        Err(e) => {
                            ok = false;
                            self.suite.diagnostics.push(src.error(
                                "missing-rules",
                                span,
                                format!("{}: rules file {}: {e}", cfg_path.display(), p.display()),
                            ));
                        }
                    }
                }
                if fc.rules_files.is_empty() {
                    self.suite.diagnostics.push(src.error(
                        "missing-rules",
                        span,
                        format!("{} lists no rules_files", cfg_path.display()),
                    ));
                    return None;
                }
                plugins.extend(fc.plugins.iter().cloned());
                if let Some(d) = fc.default_plugins {
                    default_plugins = d;
                }
                if let Some(v) = &fc.engine_version {
                    match config::parse_version(v) {
                        Some(v) => engine_version = Some(v),
                        None => {
                            self.suite.diagnostics.push(src.error(
                                "missing-rules",
                                span,
                                format!("{}: invalid engine_version '{v}'", cfg_path.display()),
                            ));
                            return None;
                        }
                    }
                }
            }
        }
        for p in &file.plugins {
            if self.check_plugin(src, p) {
                plugins.push(p.value.clone());
            } else {
                ok = false;
            }
        }
        ok.then_some(Base {
            files,
            plugins,
            default_plugins,
            engine_version,
        })
    }

    fn check_plugin(&mut self, src: &SourceText, p: &Spanned<String>) -> bool {
        let cat = falconer_catalog::catalog();
        if cat.plugin(&p.value).is_some() {
            return true;
        }
        let known: Vec<&str> = cat.plugin_names().collect();
        let hint = match suggest(&p.value, known.iter().copied()) {
            Some(s) => format!(" (did you mean '{s}'?)"),
            None => format!(" (known: {})", known.join(", ")),
        };
        self.suite.diagnostics.push(src.error(
            "unknown-plugin",
            p.span,
            format!("unknown plugin '{}'{hint}", p.value),
        ));
        false
    }

    fn load_case(
        &mut self,
        file: &TestFile,
        file_index: usize,
        c: &schema::CaseSpec,
        base: &Base,
        dir: &Path,
    ) {
        let src = &file.src;
        let before = self.suite.diagnostics.len();
        // Rules setup.
        let mut files = base.files.clone();
        for r in &c.rules {
            match expand_rules_path(&rel(dir, &r.value)) {
                Ok(v) if !v.is_empty() => files.extend(v.into_iter().map(|p| (p, r.span))),
                _ => self.suite.diagnostics.push(src.error(
                    "missing-rules",
                    r.span,
                    format!("cannot read the rules {}", rel(dir, &r.value).display()),
                )),
            }
        }
        let mut plugins = base.plugins.clone();
        for p in &c.plugins {
            if self.check_plugin(src, p) {
                plugins.push(p.value.clone());
            }
        }
        plugins.sort();
        plugins.dedup();
        let matching = c.rule_matching.unwrap_or(file.rule_matching);
        let key = ConfigKey {
            files: files.iter().map(|(p, _)| key_of(p)).collect(),
            plugins: plugins.clone(),
            default_plugins: base.default_plugins,
            engine_version: base.engine_version,
            matching,
            suggested_output: file.suggested_output,
        };
        // Fixture.
        let (capture, fixture) = match &c.fixture {
            FixtureSpec::Capture(p) => {
                let path = rel(dir, &p.value);
                let k = key_of(&path);
                let got = self
                    .captures
                    .entry(k)
                    .or_insert_with(|| read_capture(&path))
                    .clone();
                match got {
                    Ok(b) => (Some(b), format!("capture {}", p.value)),
                    Err(e) => {
                        self.suite
                            .diagnostics
                            .push(src.error("missing-fixture", p.span, e));
                        (None, String::new())
                    }
                }
            }
            FixtureSpec::ScenarioFile(p) => {
                let path = rel(dir, &p.value);
                let k = key_of(&path);
                let over = self.overrides.get(&k).cloned();
                let got = self
                    .scenarios
                    .entry(k)
                    .or_insert_with(|| match over {
                        Some(t) => scenario::build_text(&path, t.as_str()).map(Arc::new),
                        None => scenario::build_file(&path).map(Arc::new),
                    })
                    .clone();
                match got {
                    Ok(b) => (Some(b), format!("scenario {}", p.value)),
                    Err(d) => {
                        if d.iter().any(|x| x.code == "missing-fixture") {
                            self.suite.diagnostics.push(src.error(
                                "missing-fixture",
                                p.span,
                                format!("scenario file {} not found", path.display()),
                            ));
                        } else {
                            self.suite.diagnostics.push(src.error(
                                "scenario",
                                p.span,
                                format!("the scenario {} has errors", path.display()),
                            ));
                            for x in d {
                                if !self.suite.diagnostics.contains(&x) {
                                    self.suite.diagnostics.push(x);
                                }
                            }
                        }
                        (None, String::new())
                    }
                }
            }
            FixtureSpec::Inline(s) => match scenario::build(s) {
                Ok(b) => (Some(Arc::new(b)), "inline scenario".to_string()),
                Err(d) => {
                    self.suite.diagnostics.extend(d);
                    (None, String::new())
                }
            },
        };
        // The rules.
        let config = self.config(
            &key,
            &files,
            src,
            base,
            plugins,
            matching,
            file.suggested_output,
        );
        if let Some(ci) = config {
            let cfg = self.suite.configs[ci].clone();
            for e in &c.expect {
                self.check_expectation(src, e, &cfg);
            }
        }
        if self.suite.diagnostics.len() > before {
            return;
        }
        let (Some(capture), Some(config)) = (capture, config) else {
            return;
        };
        let (line, _) = src.line_col(c.name.span.start);
        self.suite.cases.push(Case {
            file: file_index,
            name: c.name.value.clone(),
            name_span: c.name.span,
            line,
            config,
            capture,
            fixture,
            expect: c.expect.clone(),
            strict: c.strict.unwrap_or(file.strict),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn config(
        &mut self,
        key: &ConfigKey,
        files: &[(PathBuf, Span)],
        src: &SourceText,
        base: &Base,
        plugins: Vec<String>,
        matching: Matching,
        suggested_output: bool,
    ) -> Option<usize> {
        if let Some(&i) = self.configs.get(key) {
            return Some(i);
        }
        if let Some(d) = self.broken.get(key) {
            let at = files.first().map_or(Span::empty(0), |f| f.1);
            let _ = d;
            self.suite.diagnostics.push(src.error(
                "rules-load",
                at,
                "the rules have load errors (shown above); Falco would refuse to start",
            ));
            return None;
        }
        let mut texts = Vec::new();
        for (p, span) in files {
            match self.text(p) {
                Some(t) => texts.push((p.display().to_string(), t.to_string())),
                None => {
                    self.suite.diagnostics.push(src.error(
                        "missing-rules",
                        *span,
                        format!("cannot read the rules file {}", p.display()),
                    ));
                    return None;
                }
            }
        }
        let mut cfg = Config {
            default_plugins: base.default_plugins,
            plugins,
            ..Config::default()
        };
        if let Some(v) = base.engine_version {
            cfg.engine_version = v;
        }
        let options = Options {
            rule_matching: match matching {
                Matching::First => RuleMatching::First,
                Matching::All => RuleMatching::All,
            },
            suggested_output,
            ..Options::default()
        };
        let mut host = AnalysisHost::new(cfg.clone());
        host.set_files(texts.clone());
        let errors: Vec<Diagnostic> = host
            .diagnostics()
            .iter()
            .filter(|d| d.severity == ASeverity::Error)
            .map(|d| {
                let i = d.loc.file as usize;
                let path = host.file_path(d.loc.file).to_string();
                let st = SourceText::new(path, texts.get(i).map_or("", |t| t.1.as_str()));
                st.error(
                    "rules-load",
                    d.loc.span,
                    format!("{} [{}]", d.message, d.code),
                )
            })
            .collect();
        if !errors.is_empty() {
            self.suite.diagnostics.extend(errors.iter().cloned());
            let at = files.first().map_or(Span::empty(0), |f| f.1);
            self.suite.diagnostics.push(src.error(
                "rules-load",
                at,
                "the rules have load errors (shown above); Falco would refuse to start",
            ));
            self.broken.insert(key.clone(), errors);
            return None;
        }
        let engine = Engine::from_analysis(&host, &options);
        let loaded: BTreeSet<String> = engine.rules().iter().map(|r| r.name.clone()).collect();
        let collected = host.collected();
        let mut output_fields = HashMap::new();
        let plugin_names = host.plugins();
        for r in &collected.rules {
            if loaded.contains(r.name.as_str()) {
                output_fields.insert(
                    r.name.to_string(),
                    output_field_names(&r.output.text, suggested_output, &plugin_names),
                );
            }
        }
        let rc = RulesConfig {
            files: texts,
            config: cfg,
            options,
            loaded,
            output_fields,
        };
        let i = self.suite.configs.len();
        self.suite.configs.push(Arc::new(rc));
        self.configs.insert(key.clone(), i);
        Some(i)
    }

    fn check_expectation(&mut self, src: &SourceText, e: &Expectation, cfg: &RulesConfig) {
        let name = &e.rule.value;
        if !cfg.loaded.contains(name) {
            let host = cfg.host();
            let collected = host.collected();
            let msg = match collected.rule_by_name.get(name) {
                Some(&i) => {
                    let r = &collected.rules[i];
                    if !r.enabled {
                        format!("rule '{name}' is disabled: it never fires")
                    } else if r.source() != "syscall" {
                        format!(
                            "rule '{name}' is of source '{}': captures hold syscall events only",
                            r.source()
                        )
                    } else {
                        let engine = Engine::from_analysis(&host, &cfg.options);
                        let note = engine
                            .notes()
                            .iter()
                            .find(|n| n.contains(&format!("'{name}'")))
                            .cloned()
                            .unwrap_or_else(|| "it is not loaded".into());
                        format!("rule '{name}' cannot run: {note}")
                    }
                }
                None => {
                    let names: Vec<&str> =
                        collected.rules.iter().map(|r| r.name.as_str()).collect();
                    match suggest(name, names.iter().copied()) {
                        Some(s) => format!("unknown rule '{name}' (did you mean '{s}'?)"),
                        None => format!("unknown rule '{name}': the rules loaded do not define it"),
                    }
                }
            };
            self.suite
                .diagnostics
                .push(src.error("unknown-rule", e.rule.span, msg));
            return;
        }
        let fields = cfg.output_fields.get(name).cloned().unwrap_or_default();
        for (f, _) in &e.fields {
            if !fields.contains(&f.value) {
                let hint = match suggest(&f.value, fields.iter().map(|s| s.as_str())) {
                    Some(s) => format!(" (did you mean '{s}'?)"),
                    None => String::new(),
                };
                self.suite.diagnostics.push(src.error(
                    "unknown-output-field",
                    f.span,
                    format!(
                        "'{}' is not a field of the output of rule '{name}'{hint}; its fields: {}",
                        f.value,
                        fields.join(", ")
                    ),
                ));
            }
        }
    }
}

fn read_capture(path: &Path) -> Result<Arc<Vec<u8>>, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("capture {} not found ({e})", path.display()))?;
    falconer_scap::ScapReader::new(std::io::Cursor::new(bytes.as_slice()))
        .map_err(|e| format!("{} is not a readable scap capture: {e}", path.display()))?;
    Ok(Arc::new(bytes))
}

/// The keys of an alert's `output_fields`: the output's field tokens
/// (transformers excluded, as Falco does), the suggested container
/// fields when appended, and `evt.time`.
pub fn output_field_names(output: &str, suggested: bool, plugins: &[String]) -> Vec<String> {
    let text = output.trim().replace("%container.info", "");
    let parsed = parse_output(&text, &|_| true);
    let mut out: Vec<String> = Vec::new();
    for seg in &parsed.segments {
        if let OutputSegment::Token {
            expr: Lhs::Field(f),
            ..
        } = seg
        {
            let n = f.joined();
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    // The fields plugins suggest for outputs, which the engine appends
    // (as Falco's default `append_output` does) when the plugin is loaded.
    if suggested {
        for (plugin, f) in falconer_engine::engine::SUGGESTED_FIELDS {
            if plugins.iter().any(|p| p == plugin) && !out.iter().any(|o| o == f) {
                out.push(f.to_string());
            }
        }
    }
    out.push("evt.time".into());
    out
}
