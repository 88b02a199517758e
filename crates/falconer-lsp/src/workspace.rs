//! Finding the rules files of the workspace folders, and `falconer.toml`.
//!
//! Without a config, every `*.yaml`/`*.yml` file under a workspace folder
//! that looks like a Falco rules file (a `- rule:`, `- macro:` or
//! `- list:` item at column 0) is loaded, in sorted path order. A
//! `falconer.toml` in a workspace folder (or a parent) gives the load
//! order (`rules_files`) and the analysis config, as for `falconer check`;
//! the other rules files of the workspace are then "extra" files (not
//! loaded, but their macros explain an undefined macro).
//!
//! This is the only module that reads the file system.

use falconer_analysis::Config;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Files larger than this are not read (no rules file is that large).
const MAX_FILE_SIZE: u64 = 16 << 20;
/// Stop the walk after this many rules files.
const MAX_FILES: usize = 10_000;
/// Directories never walked into.
const SKIP_DIRS: &[&str] = &["target", "node_modules"];

pub const CONFIG_FILE: &str = "falconer.toml";

/// Whether a text looks like a Falco rules file: an item key at column 0.
pub fn looks_like_rules(text: &str) -> bool {
    text.lines().any(|l| {
        let Some(rest) = l.strip_prefix('-') else {
            return false;
        };
        let rest = rest.trim_start_matches([' ', '\t']);
        if rest.len() == l.len() - 1 {
            return false;
        }
        [
            "rule:",
            "macro:",
            "list:",
            "required_engine_version:",
            "required_plugin_versions:",
        ]
        .iter()
        .any(|k| rest.starts_with(k))
    })
}

pub fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "yaml" || x == "yml")
}

/// Reads a file as text (invalid UTF-8 decoded lossily); `None` when it
/// cannot be read or is too large.
pub fn read_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_SIZE {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Whether a text may be a rule test file (a top-level `cases:` key, or a
/// flow mapping): a cheap test before [`is_test_file`], which parses.
pub fn maybe_test_file(text: &str) -> bool {
    // A line that starts with `cases` (after quotes), found by searching
    // the word rather than walking every line (this runs on every edit).
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, "cases").any(|at| {
        let quotes = b[..at]
            .iter()
            .rev()
            .take_while(|&&c| c == b'"' || c == b'\'')
            .count();
        let start = at - quotes;
        start == 0 || b[start - 1] == b'\n'
    }) || text
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("---"))
        .is_some_and(|l| l.starts_with('{'))
}

/// Whether a text is a rule test file (a YAML mapping with `cases:`, as
/// `falconer test` decides). Test files are never analysed as rules.
pub fn is_test_file(text: &str) -> bool {
    maybe_test_file(text) && falconer_test::ide::is_test_file(text)
}

/// What a walk of the workspace folders finds.
#[derive(Debug, Default)]
pub struct Found {
    /// Rules files (path → text).
    pub rules: BTreeMap<PathBuf, String>,
    /// Rule test files (path → text).
    pub tests: BTreeMap<PathBuf, String>,
}

/// The rules files and the rule test files under `roots`, found by
/// walking them.
pub fn discover(roots: &[PathBuf]) -> Found {
    let mut found = Found::default();
    let out = &mut found.rules;
    for root in roots {
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let path = e.path();
                let name = e.file_name();
                let name = name.to_string_lossy();
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    if !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_ref()) {
                        stack.push(path);
                    }
                } else if ft.is_file() && is_yaml(&path) {
                    if let Some(text) = read_text(&path) {
                        if is_test_file(&text) {
                            if found.tests.len() < MAX_FILES {
                                found.tests.insert(path, text);
                            }
                        } else if looks_like_rules(&text) {
                            out.insert(path, text);
                            if out.len() >= MAX_FILES {
                                return found;
                            }
                        }
                    }
                }
            }
        }
    }
    found
}

/// A project config: load order and analysis config.
#[derive(Debug, Clone)]
pub struct ProjectConfig {
    /// Absolute rules files in load order (empty: discover).
    pub rules_files: Vec<PathBuf>,
    pub config: Config,
    /// `[format] width`.
    pub format_width: Option<usize>,
}

/// Finds `falconer.toml` in the first root that has one (or a parent of
/// it).
pub fn find_config(roots: &[PathBuf]) -> Option<PathBuf> {
    roots.iter().find_map(|r| {
        r.ancestors()
            .map(|d| d.join(CONFIG_FILE))
            .find(|p| p.is_file())
    })
}

/// Reads a config file (the same format and checks as `falconer check`,
/// `falconer_analysis::project`) and the Falco field list it names;
/// problems are returned as messages (the server shows them and goes on
/// with what it could read).
pub fn load_config(path: &Path) -> (ProjectConfig, Vec<String>) {
    let Some(text) = read_text(path) else {
        let out = ProjectConfig {
            rules_files: Vec::new(),
            config: Config::default(),
            format_width: None,
        };
        return (out, vec![format!("cannot read {}", path.display())]);
    };
    let (project, mut problems) = falconer_analysis::project::parse(path, &text);
    let mut config = project.config;
    if let Some(c) = &project.catalog {
        match read_text(c) {
            Some(t) => match falconer_catalog::ImportedCatalog::from_falco_json(&t) {
                Ok(imp) => config.imported = Some(imp),
                Err(e) => problems.push(format!("{}:{e}", c.display())),
            },
            None => problems.push(format!("cannot read field list {}", c.display())),
        }
    }
    let out = ProjectConfig {
        rules_files: project.rules_files,
        config,
        format_width: project.format_width,
    };
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_files_are_recognised() {
        assert!(looks_like_rules("# c\n- rule: x\n"));
        assert!(looks_like_rules("-   macro: x\n"));
        assert!(looks_like_rules("- list: x\n"));
        assert!(!looks_like_rules("  - rule: x\n"));
        assert!(!looks_like_rules("-rule: x\n"));
        assert!(!looks_like_rules("apiVersion: v1\nkind: Pod\n"));
    }

    #[test]
    fn test_files_are_recognised() {
        let t = "rules: [r.yaml]\ncases:\n  - name: a\n    capture: a.scap\n";
        assert!(is_test_file(t));
        assert!(is_test_file("{rules: [r.yaml], cases: []}\n"));
        assert!(!is_test_file("- rule: cases\n  desc: cases\n"));
        assert!(!is_test_file("events:\n  - spawn: {pid: 1}\n"));
        assert!(!maybe_test_file("- rule: x\n  desc: the cases we miss\n"));
        assert!(!maybe_test_file("- rule: x\n  desc: \"cases\"\n"));
        // `cases` at a line start, after quotes, at the text's start.
        assert!(maybe_test_file("a: 1\ncases: []\n"));
        assert!(maybe_test_file("a: 1\r\n\"cases\": []\n"));
        assert!(maybe_test_file("'cases': []"));
        assert!(!maybe_test_file("a: 1\r\"cases\": []\n"));
    }
}
