//! The server's state: workspace folders, rules files on disk, open
//! documents, and the analysis over them.
//!
//! Changes (open, change, close, watched files) are applied here, on the
//! handler's thread, before the handler first awaits: tower-lsp-server
//! starts handlers in arrival order, so edits are applied in order.
//! Requests read a [`Snapshot`], which owns a snapshot of the analysis
//! and the file table as they were; a later edit cancels the snapshot's
//! queries (salsa unwinds them) instead of waiting for them.

use crate::line_index::LineMap;
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
    /// Bumped by every change of the analysis inputs.
    pub generation: u64,
}

/// What requests read: the analysis and the file table at one moment.
pub struct Snapshot {
    pub analysis: Analysis,
    pub files: Arc<Vec<FileEntry>>,
    pub encoding: Encoding,
    pub docs_base_url: Option<String>,
    /// Width for formatting (`falconer.toml`'s `[format] width`).
    pub format_width: usize,
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
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Sets the workspace folders and reads their rules files and config.
    /// Returns problems to show (bad config).
    pub fn set_roots(&mut self, roots: Vec<PathBuf>) -> Vec<String> {
        self.roots = roots;
        let problems = self.reload_config();
        self.disk = workspace::discover(&self.roots);
        self.read_listed_files();
        self.rebuild();
        problems
    }

    /// Applies new client settings; returns problems to show.
    pub fn set_settings(&mut self, settings: ClientSettings) -> Vec<String> {
        if settings == self.settings {
            return Vec::new();
        }
        self.settings = settings;
        let problems = self.reload_config();
        self.read_listed_files();
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
            self.disk.contains_key(p)
                || (self.marked.contains(p) && self.open.contains_key(p))
                || self
                    .open
                    .get(p)
                    .is_some_and(|d| workspace::looks_like_rules(&d.text))
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
        let was_member = self.file_index(&path);
        let looks_like_rules = workspace::looks_like_rules(&text);
        let fast = match was_member {
            Some(i) => {
                // Same membership: set the text only.
                let still = self.disk.contains_key(&path) || looks_like_rules;
                still && self.files[i].uri == uri
            }
            None => false,
        };
        self.open
            .insert(path.clone(), OpenDoc { uri, version, text });
        match (fast, was_member) {
            (true, Some(i)) => {
                let text = &self.open[&path].text;
                self.host.set_text(i as FileId, text);
                Arc::make_mut(&mut self.files)[i].version = Some(version);
                self.generation += 1;
            }
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
        // A document that was not opened can still be given whole.
        let mut text = self.open.get(&path).map(|d| d.text.clone());
        for c in changes {
            match (c.range, &mut text) {
                (None, _) => text = Some(c.text),
                (Some(r), Some(text)) => {
                    let map = LineMap::new(text, self.encoding);
                    let (a, b) = (map.offset(r.start) as usize, map.offset(r.end) as usize);
                    let (a, b) = (a.min(b), a.max(b));
                    text.replace_range(a..b, &c.text);
                }
                (Some(_), None) => {}
            }
        }
        if let Some(text) = text {
            self.set_document(uri, version, text);
        }
    }

    /// The text of an open document.
    #[cfg(test)]
    pub fn document_text(&self, uri: &Uri) -> Option<&str> {
        self.open.get(&uri_path(uri)?).map(|d| d.text.as_str())
    }

    /// A closed document: back to the disk's text (or out of the set).
    pub fn close_document(&mut self, uri: &Uri) {
        let Some(path) = uri_path(uri) else { return };
        if self.open.remove(&path).is_none() {
            return;
        }
        self.refresh_from_disk(&path);
        self.rebuild();
    }

    fn refresh_from_disk(&mut self, path: &Path) {
        let listed = self
            .project
            .as_ref()
            .is_some_and(|p| p.rules_files.iter().any(|f| f == path));
        let under_root = self.roots.iter().any(|r| path.starts_with(r));
        match workspace::read_text(path) {
            Some(t) if listed || (under_root && workspace::looks_like_rules(&t)) => {
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
            } else if workspace::is_yaml(p) {
                self.refresh_from_disk(p);
            }
        }
        if config_changed {
            problems = self.reload_config();
            self.disk = workspace::discover(&self.roots);
            self.read_listed_files();
        }
        self.rebuild();
        problems
    }
}
