//! The server's state: workspace folders, rules files on disk, open
//! documents, and the analysis over them.
//!
//! Changes (open, change, close, watched files) are applied here, on the
//! handler's thread, before the handler first awaits: tower-lsp-server
//! starts handlers in arrival order, so edits are applied in order.
//! Requests read a [`Snapshot`], which owns a snapshot of the analysis
//! and the file table as they were; a later edit cancels the snapshot's
//! queries (salsa unwinds them) instead of waiting for them.
//!
//! Rule test files (YAML mappings with `cases:`) are kept apart: never
//! analysed as rules, indexed for the "run tests" code lenses
//! ([`TestIndex`]), and every change that may change a test's outcome
//! drops the results it invalidates ([`Results`]): an edit of a test file
//! those of its cases and of the rules it tests, any other edit (rules,
//! scenarios, captures, config) all of them. Opening or closing a
//! document whose buffer equals the disk's changes nothing.

use crate::line_index::LineMap;
use crate::testing::{Results, TestIndex};
use crate::workspace::{self, ProjectConfig};
use falconer_analysis::ide::Analysis;
use falconer_analysis::{AnalysisHost, Config, FileId};
use falconer_text::Encoding;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

/// One file known to the analysis (ids: loaded files, then extra files).
#[derive(Clone, Debug)]
pub struct FileEntry {
    pub path: PathBuf,
    pub uri: Uri,
    /// The open document's version.
    pub version: Option<i32>,
}

struct OpenDoc {
    uri: Uri,
    version: i32,
    text: String,
}

/// What the client configures (`initializationOptions`, then
/// `workspace/didChangeConfiguration`): `{"config": PATH, "lints": {CODE:
/// LEVEL}, "docsBaseUrl": URL}`, either bare or under a `falconer` key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// The project file to use instead of the `falconer.toml` found from
    /// the workspace roots.
    pub config: Option<PathBuf>,
    /// Lint levels applied on top of the project file's.
    pub lints: BTreeMap<String, String>,
}

impl ClientSettings {
    pub fn from_json(v: &serde_json::Value) -> ClientSettings {
        let v = v.get("falconer").unwrap_or(v);
        let config = v
            .get("config")
            .and_then(|c| c.as_str())
            .filter(|c| !c.trim().is_empty())
            .map(PathBuf::from);
        let lints = v
            .get("lints")
            .and_then(|l| l.as_object())
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        ClientSettings { config, lints }
    }
}

pub struct World {
    host: AnalysisHost,
    /// The client's settings.
    settings: ClientSettings,
    /// Open documents the client says are Falco rules (language id
    /// `falco` or `yaml.falco`), whatever they look like.
    marked: HashSet<PathBuf>,
    pub encoding: Encoding,
    /// Where the pages of diagnostic codes are (`docsBaseUrl` of the
    /// client's initialization options), if the client gave one.
    pub docs_base_url: Option<String>,
    roots: Vec<PathBuf>,
    project: Option<ProjectConfig>,
    /// Rules files read from disk.
    disk: BTreeMap<PathBuf, String>,
    open: HashMap<PathBuf, OpenDoc>,
    files: Arc<Vec<FileEntry>>,
    /// Bumped by every change of the analysis inputs (and by new test
    /// results, which the diagnostics show).
    pub generation: u64,
    /// The rule test files (disk, or the open buffer).
    tests: Arc<TestIndex>,
    /// Results of the test runs, for the current inputs.
    results: Arc<Results>,
    /// Bumped whenever results are dropped: a run that started before
    /// does not store its (stale) results.
    pub results_epoch: u64,
}

/// What requests read: the analysis and the file table at one moment.
pub struct Snapshot {
    pub analysis: Analysis,
    pub files: Arc<Vec<FileEntry>>,
    pub encoding: Encoding,
    pub docs_base_url: Option<String>,
    /// Width for formatting (`falconer.toml`'s `[format] width`).
    pub format_width: usize,
    pub tests: Arc<TestIndex>,
    pub results: Arc<Results>,
}

impl Snapshot {
    pub fn file_id(&self, uri: &Uri) -> Option<FileId> {
        let path = uri_path(uri)?;
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| i as FileId)
    }

    pub fn uri(&self, file: FileId) -> &Uri {
        &self.files[file as usize].uri
    }

    pub fn line_map(&self, file: FileId) -> LineMap<'_> {
        LineMap::with_index(
            self.analysis.file_text(file),
            self.analysis.line_index(file),
            self.encoding,
        )
    }

    /// The full rule definitions of a file (not appends or overrides), in
    /// order: what test lenses and test failures attach to.
    pub fn full_rules(&self, file: FileId) -> Vec<&falconer_analysis::model::RuleItem> {
        use falconer_analysis::model::{ItemDef, RuleForm};
        let Some(items) = self.analysis.file_items(file) else {
            return Vec::new();
        };
        items
            .items
            .iter()
            .filter_map(|item| match &item.def {
                ItemDef::Rule(r) if r.form == RuleForm::Full => Some(&**r),
                _ => None,
            })
            .collect()
    }
}

/// The file path of a `file:` URI.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn path_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

impl Default for World {
    fn default() -> World {
        World {
            host: AnalysisHost::new(Config::default()),
            settings: ClientSettings::default(),
            marked: HashSet::new(),
            encoding: Encoding::Utf16,
            docs_base_url: None,
            roots: Vec::new(),
            project: None,
            disk: BTreeMap::new(),
            open: HashMap::new(),
            files: Arc::new(Vec::new()),
            generation: 0,
            tests: Arc::default(),
            results: Arc::default(),
            results_epoch: 0,
        }
    }
}

impl World {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            analysis: self.host.snapshot(),
            files: self.files.clone(),
            encoding: self.encoding,
            docs_base_url: self.docs_base_url.clone(),
            format_width: self
                .project
                .as_ref()
                .and_then(|p| p.format_width)
                .unwrap_or(falconer_analysis::ide::format::DEFAULT_WIDTH),
            tests: self.tests.clone(),
            results: self.results.clone(),
        }
    }

    /// The texts of the open documents (YAML only): what test runs and
    /// test-file diagnostics read instead of the disk.
    pub fn overrides(&self) -> Vec<(PathBuf, String)> {
        self.open
            .iter()
            .filter(|(p, _)| workspace::is_yaml(p))
            .map(|(p, d)| (p.clone(), d.text.clone()))
            .collect()
    }

    /// The open test files: (uri, version, path, text).
    pub fn open_test_files(&self) -> Vec<(Uri, i32, PathBuf, Arc<String>)> {
        self.open
            .iter()
            .filter_map(|(p, d)| {
                let f = self.tests.files.get(p)?;
                Some((d.uri.clone(), d.version, p.clone(), f.text.clone()))
            })
            .collect()
    }

    /// Changes the results (runs starting, ending) and wakes the
    /// diagnostics publisher (failures are diagnostics).
    pub fn update_results(&mut self, f: impl FnOnce(&mut Results)) {
        f(Arc::make_mut(&mut self.results));
        self.generation += 1;
    }

    /// Drops every result (an input every test may depend on changed).
    fn forget_results(&mut self) {
        if !self.results.rules.is_empty() || !self.results.cases.is_empty() {
            Arc::make_mut(&mut self.results).clear();
        }
        self.results_epoch += 1;
    }

    /// A file's text changed to `after` (`None`: no such file): updates
    /// the test index and drops the results it may change.
    fn text_changed(&mut self, path: &Path, after: Option<&str>) {
        let was_test = self.tests.files.contains_key(path);
        let may_be_test = after.is_some_and(workspace::maybe_test_file);
        if was_test || may_be_test {
            let touched = Arc::make_mut(&mut self.tests).set(path, after.map(str::to_string));
            if was_test || self.tests.files.contains_key(path) {
                Arc::make_mut(&mut self.results).forget_file(path, &touched);
                self.results_epoch += 1;
                return;
            }
        }
        self.forget_results();
    }

    /// Whether a path is a rule test file (never analysed as rules).
    pub fn is_test_file(&self, path: &Path) -> bool {
        self.tests.files.contains_key(path)
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Sets the workspace folders and reads their rules files and config.
    /// Returns problems to show (bad config).
    pub fn set_roots(&mut self, roots: Vec<PathBuf>) -> Vec<String> {
        self.roots = roots;
        let problems = self.reload_config();
        self.rediscover();
        self.read_listed_files();
        self.rebuild();
        problems
    }

    /// Walks the workspace folders again: rules files and test files
    /// (open test files keep their buffer's text); drops every result.
    fn rediscover(&mut self) {
        let found = workspace::discover(&self.roots);
        self.disk = found.rules;
        let mut index = TestIndex::default();
        for (p, t) in found.tests {
            if !self.open.contains_key(&p) {
                index.set(&p, Some(t));
            }
        }
        for (p, d) in &self.open {
            if workspace::maybe_test_file(&d.text) {
                index.set(p, Some(d.text.clone()));
            }
        }
        self.tests = Arc::new(index);
        self.forget_results();
    }

    /// Applies new client settings; returns problems to show.
    pub fn set_settings(&mut self, settings: ClientSettings) -> Vec<String> {
        if settings == self.settings {
            return Vec::new();
        }
        self.settings = settings;
        let problems = self.reload_config();
        self.read_listed_files();
        self.forget_results();
        self.rebuild();
        problems
    }

    /// Counts an open document as rules whatever its text (the client
    /// gave it the Falco language id).
    pub fn mark_rules(&mut self, uri: &Uri) {
        if let Some(p) = uri_path(uri) {
            if self.marked.insert(p) {
                self.rebuild();
            }
        }
    }

    fn reload_config(&mut self) -> Vec<String> {
        let path = self
            .settings
            .config
            .as_ref()
            .map(|c| match c.is_relative() {
                true => self
                    .roots
                    .first()
                    .map(|r| r.join(c))
                    .unwrap_or_else(|| c.clone()),
                false => c.clone(),
            })
            .or_else(|| workspace::find_config(&self.roots));
        let (mut config, mut problems) = match path {
            Some(p) => {
                let (project, problems) = workspace::load_config(&p);
                let config = project.config.clone();
                self.project = Some(project);
                (config, problems)
            }
            None => {
                self.project = None;
                (Config::default(), Vec::new())
            }
        };
        problems.extend(falconer_analysis::project::apply_lints(
            &mut config,
            &self.settings.lints,
            "client settings",
        ));
        if *self.host.config() != config {
            self.host.set_config(config);
        }
        problems
    }

    /// Files named by `rules_files` are loaded whatever they look like.
    fn read_listed_files(&mut self) {
        let Some(p) = &self.project else { return };
        for f in &p.rules_files {
            if !self.disk.contains_key(f) {
                if let Some(t) = workspace::read_text(f) {
                    self.disk.insert(f.clone(), t);
                }
            }
        }
    }

    fn text_of(&self, path: &Path) -> Option<&str> {
        match self.open.get(path) {
            Some(d) => Some(&d.text),
            None => self.disk.get(path).map(String::as_str),
        }
    }

    /// Recomputes which files load (and in which order) and hands them to
    /// the analysis (unchanged files keep their cached results).
    fn rebuild(&mut self) {
        let candidates: BTreeSet<&PathBuf> = self.disk.keys().chain(self.open.keys()).collect();
        // Open documents count when they look like rules (or were found
        // on disk as rules files).
        let is_rules = |p: &PathBuf| {
            !self.tests.files.contains_key(p)
                && (self.disk.contains_key(p)
                    || (self.marked.contains(p) && self.open.contains_key(p))
                    || self
                        .open
                        .get(p)
                        .is_some_and(|d| workspace::looks_like_rules(&d.text)))
        };
        let (loaded, extra): (Vec<PathBuf>, Vec<PathBuf>) = match &self.project {
            Some(proj) if !proj.rules_files.is_empty() => {
                let loaded: Vec<PathBuf> = proj
                    .rules_files
                    .iter()
                    .filter(|p| self.text_of(p).is_some())
                    .cloned()
                    .collect();
                let extra = candidates
                    .into_iter()
                    .filter(|p| !loaded.contains(p) && is_rules(p))
                    .cloned()
                    .collect();
                (loaded, extra)
            }
            _ => (
                candidates
                    .into_iter()
                    .filter(|p| is_rules(p))
                    .cloned()
                    .collect(),
                Vec::new(),
            ),
        };
        let entry = |p: &PathBuf| -> Option<(FileEntry, (String, String))> {
            let text = self.text_of(p)?.to_string();
            let (uri, version) = match self.open.get(p) {
                Some(d) => (d.uri.clone(), Some(d.version)),
                None => (path_uri(p)?, None),
            };
            Some((
                FileEntry {
                    path: p.clone(),
                    uri,
                    version,
                },
                (p.display().to_string(), text),
            ))
        };
        let (mut table, mut inputs) = (Vec::new(), Vec::new());
        let mut extra_inputs = Vec::new();
        for p in &loaded {
            if let Some((e, i)) = entry(p) {
                table.push(e);
                inputs.push(i);
            }
        }
        for p in &extra {
            if let Some((e, i)) = entry(p) {
                table.push(e);
                extra_inputs.push(i);
            }
        }
        self.host.update_files(inputs, extra_inputs);
        self.files = Arc::new(table);
        self.generation += 1;
    }

    fn file_index(&self, path: &Path) -> Option<usize> {
        self.files.iter().position(|f| f.path == path)
    }

    /// An opened or changed document.
    pub fn set_document(&mut self, uri: Uri, version: i32, text: String) {
        let Some(path) = uri_path(&uri) else { return };
        let changed = match self.open.get(&path) {
            Some(d) => d.text != text,
            None => self.disk_text(&path).as_deref() != Some(text.as_str()),
        };
        self.put_document(path, uri, version, text, changed);
    }

    /// [`World::set_document`] once it is known whether the text changed.
    fn put_document(&mut self, path: PathBuf, uri: Uri, version: i32, text: String, changed: bool) {
        if changed {
            self.text_changed(&path, Some(&text));
        }
        let was_member = self.file_index(&path);
        let looks_like_rules = workspace::looks_like_rules(&text);
        let fast = match was_member {
            Some(i) => {
                // Same membership: set the text only.
                let still = (self.disk.contains_key(&path) || looks_like_rules)
                    && !self.is_test_file(&path);
                still && self.files[i].uri == uri
            }
            None => false,
        };
        // Not a rules file before nor after (a test file, a scenario,
        // any other YAML file the client sends): nothing to rebuild.
        let never = was_member.is_none()
            && !looks_like_rules
            && !self.disk.contains_key(&path)
            && !self.marked.contains(&path)
            && !self
                .project
                .as_ref()
                .is_some_and(|p| p.rules_files.contains(&path));
        self.open
            .insert(path.clone(), OpenDoc { uri, version, text });
        match (fast, was_member) {
            (true, Some(i)) => {
                let text = &self.open[&path].text;
                self.host.set_text(i as FileId, text);
                Arc::make_mut(&mut self.files)[i].version = Some(version);
                self.generation += 1;
            }
            _ if never => self.generation += 1,
            _ => self.rebuild(),
        }
    }

    /// A `didChange`: applies the changes in order (a change without a
    /// range replaces the whole text; ranges are in the negotiated
    /// encoding, positions past a line's end clamp to it). Ranged changes
    /// to a document that was never opened are dropped (there is no text
    /// to apply them to); a whole text is taken.
    pub fn change_document(
        &mut self,
        uri: Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) {
        let Some(path) = uri_path(&uri) else { return };
        // An open document's text is edited in place (not copied at every
        // keystroke); one that was not opened can still be given whole.
        let open = self
            .open
            .get_mut(&path)
            .map(|d| std::mem::take(&mut d.text));
        let was_open = open.is_some();
        let mut text = open;
        let mut changed = false;
        for c in changes {
            match (c.range, &mut text) {
                (None, Some(text)) => {
                    changed |= *text != c.text;
                    *text = c.text;
                }
                (None, None) => text = Some(c.text),
                (Some(r), Some(text)) => {
                    let offset = |p| LineMap::offset_in(text, p, self.encoding) as usize;
                    let (a, b) = (offset(r.start), offset(r.end));
                    let (a, b) = (a.min(b), a.max(b));
                    changed |= text[a..b] != c.text;
                    text.replace_range(a..b, &c.text);
                }
                (Some(_), None) => {}
            }
        }
        match text {
            Some(text) if was_open => self.put_document(path, uri, version, text, changed),
            Some(text) => self.set_document(uri, version, text),
            None => {}
        }
    }

    /// The text of an open document.
    pub fn document_text(&self, uri: &Uri) -> Option<&str> {
        self.open.get(&uri_path(uri)?).map(|d| d.text.as_str())
    }

    /// A closed document: back to the disk's text (or out of the set).
    pub fn close_document(&mut self, uri: &Uri) {
        let Some(path) = uri_path(uri) else { return };
        let Some(doc) = self.open.remove(&path) else {
            return;
        };
        let disk = workspace::read_text(&path);
        if disk.as_deref() != Some(doc.text.as_str()) {
            self.text_changed(&path, disk.as_deref());
        }
        self.refresh_from_disk(&path);
        self.rebuild();
    }

    /// A file's text as last seen on disk (rules and test files are
    /// kept; other files are read).
    fn disk_text(&self, path: &Path) -> Option<String> {
        if let Some(t) = self.disk.get(path) {
            return Some(t.clone());
        }
        if let Some(f) = self.tests.files.get(path) {
            return Some(f.text.to_string());
        }
        workspace::read_text(path)
    }

    fn refresh_from_disk(&mut self, path: &Path) {
        let listed = self
            .project
            .as_ref()
            .is_some_and(|p| p.rules_files.iter().any(|f| f == path));
        let under_root = self.roots.iter().any(|r| path.starts_with(r));
        match workspace::read_text(path) {
            Some(t)
                if listed
                    || (under_root
                        && workspace::looks_like_rules(&t)
                        && !workspace::is_test_file(&t)) =>
            {
                self.disk.insert(path.to_path_buf(), t);
            }
            _ => {
                self.disk.remove(path);
            }
        }
    }

    /// Files created, changed or deleted on disk. Returns problems to show.
    pub fn files_changed(&mut self, paths: Vec<PathBuf>) -> Vec<String> {
        let mut problems = Vec::new();
        let mut config_changed = false;
        for p in &paths {
            if p.file_name().is_some_and(|n| n == workspace::CONFIG_FILE) {
                config_changed = true;
            } else if self.open.contains_key(p) {
                // The buffer wins over the disk (for tests too).
                self.refresh_from_disk(p);
            } else if workspace::is_yaml(p) {
                let known = self.disk.contains_key(p) || self.is_test_file(p);
                let before = if known { self.disk_text(p) } else { None };
                self.refresh_from_disk(p);
                let after = workspace::read_text(p);
                if !known && !after.as_deref().is_some_and(workspace::maybe_test_file) {
                    // A scenario or another YAML file a test may read.
                    self.forget_results();
                } else if before != after {
                    self.text_changed(p, after.as_deref());
                }
            } else {
                // A capture or another fixture.
                self.forget_results();
            }
        }
        if config_changed {
            problems = self.reload_config();
            self.rediscover();
            self.read_listed_files();
        }
        self.rebuild();
        problems
    }
}
