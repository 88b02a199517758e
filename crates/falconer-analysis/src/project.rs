//! `falconer.toml`, the project file: rules files in load order, plugins,
//! engine version, lint levels and an imported Falco field list. Parsed
//! from text here (no IO); `falconer check` treats any problem as fatal,
//! the language server shows problems and goes on with the rest.
//!
//! ```toml
//! rules_files = ["rules/base.yaml", "rules/local.yaml"]  # load order
//! plugins = ["k8saudit", "json"]    # loaded on top of the defaults
//! default_plugins = true            # Falco's default install (container)
//! engine_version = "0.63.0"
//! catalog = "falco-fields.json"     # `falco --list --format json` output
//!
//! [lints]
//! list-typo = "error"
//! unused-macro = "off"
//!
//! [format]
//! width = 100                       # `falconer fmt` and LSP formatting
//! ```

use crate::config::{Config, Level};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "falconer.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    rules_files: Vec<PathBuf>,
    #[serde(default)]
    plugins: Vec<String>,
    default_plugins: Option<bool>,
    engine_version: Option<String>,
    catalog: Option<PathBuf>,
    #[serde(default)]
    lints: BTreeMap<String, String>,
    #[serde(default)]
    format: FormatConfig,
}

/// `[format]`: options of `falconer fmt` and LSP formatting.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatConfig {
    /// Conditions wider than this are broken across lines.
    width: Option<usize>,
}

/// What a project file says, paths joined to its directory.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// Rules files in load order (empty: none listed).
    pub rules_files: Vec<PathBuf>,
    /// A field list exported by `falco --list --format json`, to import
    /// (the caller reads it and sets [`Config::imported`]).
    pub catalog: Option<PathBuf>,
    /// Everything else, applied on top of the defaults.
    pub config: Config,
    /// `[format] width`: conditions wider than this are broken across
    /// lines by `falconer fmt` and LSP formatting.
    pub format_width: Option<usize>,
}

/// `a/./b/../c` as `a/c`, without touching the file system (so the same
/// file always has the same name, whatever path led to it).
pub fn normalise(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Parses `X.Y.Z`.
pub fn parse_version(s: &str) -> Result<(u32, u32, u32), String> {
    crate::checks::read::parse_semver(s)
        .filter(|_| s.split('.').count() == 3)
        .ok_or_else(|| format!("invalid engine version '{s}': expected X.Y.Z"))
}

/// Applies lint levels (`code = "off|hint|info|warning|error"`) on top of
/// `cfg`; returns the problems (unknown codes, bad levels), prefixed with
/// `origin`.
pub fn apply_lints(
    cfg: &mut Config,
    lints: &BTreeMap<String, String>,
    origin: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (code, level) in lints {
        if crate::codes::lookup(code).is_none() {
            problems.push(format!(
                "{origin}: unknown diagnostic code '{code}' in [lints] (see `falconer explain --list`)"
            ));
            continue;
        }
        match Level::parse(level) {
            Some(l) => {
                cfg.lints.insert(code.clone(), l);
            }
            None => problems.push(format!(
                "{origin}: invalid level '{level}' for '{code}' (use off, hint, info, warning or error)"
            )),
        }
    }
    problems
}

/// Parses the project file at `path` (for messages and relative paths)
/// with contents `text`. Returns what could be read and the problems met,
/// each prefixed with the path.
pub fn parse(path: &Path, text: &str) -> (Project, Vec<String>) {
    let shown = path.display();
    let mut problems = Vec::new();
    let mut out = Project::default();
    let file: FileConfig = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("{shown}: {e}"));
            return (out, problems);
        }
    };
    let base = path.parent().unwrap_or(Path::new(""));
    out.rules_files = file
        .rules_files
        .iter()
        .map(|f| normalise(&base.join(f)))
        .collect();
    out.catalog = file.catalog.as_ref().map(|c| normalise(&base.join(c)));
    out.format_width = file.format.width;
    let cfg = &mut out.config;
    let cat = falconer_catalog::catalog();
    for p in &file.plugins {
        if cat.plugin(p).is_none() {
            let known: Vec<&str> = cat.plugin_names().collect();
            problems.push(format!(
                "{shown}: unknown plugin '{p}' in plugins (known: {})",
                known.join(", ")
            ));
        } else {
            cfg.plugins.push(p.clone());
        }
    }
    if let Some(d) = file.default_plugins {
        cfg.default_plugins = d;
    }
    if let Some(v) = &file.engine_version {
        match parse_version(v) {
            Ok(ver) => cfg.engine_version = ver,
            Err(e) => problems.push(format!("{shown}: {e}")),
        }
    }
    problems.extend(apply_lints(cfg, &file.lints, &shown.to_string()));
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_file_and_problems_are_collected() {
        let (p, problems) = parse(
            Path::new("/repo/falconer.toml"),
            "rules_files = [\"a.yaml\", \"sub/b.yaml\"]\ncatalog = \"f.json\"\nplugins = [\"k8saudit\", \"nope\"]\nengine_version = \"1.2\"\n[lints]\nlist-typo = \"error\"\nbogus = \"off\"\n",
        );
        assert_eq!(
            p.rules_files,
            vec![
                PathBuf::from("/repo/a.yaml"),
                PathBuf::from("/repo/sub/b.yaml")
            ]
        );
        assert_eq!(p.catalog, Some(PathBuf::from("/repo/f.json")));
        assert_eq!(p.config.plugins, vec!["k8saudit".to_string()]);
        assert_eq!(p.config.lints.len(), 1);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("unknown plugin 'nope'"));
        assert!(problems[1].contains("invalid engine version '1.2'"));
        assert!(problems[2].contains("unknown diagnostic code 'bogus'"));
    }

    #[test]
    fn paths_are_normalised() {
        let (p, _) = parse(
            Path::new("/repo/conf/falconer.toml"),
            "rules_files = [\"../rules/a.yaml\", \"./b.yaml\"]\n",
        );
        assert_eq!(
            p.rules_files,
            vec![
                PathBuf::from("/repo/rules/a.yaml"),
                PathBuf::from("/repo/conf/b.yaml")
            ]
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let (_, problems) = parse(Path::new("falconer.toml"), "rule_files = []\n");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("unknown field `rule_files`"),
            "{problems:?}"
        );
    }
}
