//! `falconer.toml`: rules files in load order, plugins, engine version and
//! lint levels. Found in the current directory or a parent.
//!
//! ```toml
//! rules_files = ["rules/base.yaml", "rules/local.yaml"]  # load order
//! plugins = ["k8saudit", "json"]    # loaded on top of the defaults
//! default_plugins = true            # Falco's default install (container)
//! engine_version = "0.63.0"
//!
//! [lints]
//! list-typo = "error"
//! unused-macro = "off"
//!
//! [format]
//! width = 100                       # `falconer fmt` and LSP formatting
//! ```

use falconer_analysis::{Config, Level};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub rules_files: Vec<PathBuf>,
    #[serde(default)]
    pub plugins: Vec<String>,
    pub default_plugins: Option<bool>,
    pub engine_version: Option<String>,
    #[serde(default)]
    pub lints: BTreeMap<String, String>,
    #[serde(default)]
    pub format: FormatConfig,
}

/// The `[format]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatConfig {
    /// Conditions wider than this are broken across lines.
    pub width: Option<usize>,
}

/// A loaded config file.
pub struct Loaded {
    pub file: FileConfig,
}

pub const FILE_NAME: &str = "falconer.toml";

/// Finds `falconer.toml` in `start` or one of its parents.
pub fn find(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let p = d.join(FILE_NAME);
        if p.is_file() {
            return Some(p);
        }
        dir = d.parent();
    }
    None
}

pub fn load(path: &Path) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file: FileConfig = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for (code, level) in &file.lints {
        if falconer_analysis::codes::lookup(code).is_none() {
            return Err(format!(
                "{}: unknown diagnostic code '{code}' in [lints] (see `falconer explain --list`)",
                path.display()
            ));
        }
        if Level::parse(level).is_none() {
            return Err(format!(
                "{}: invalid level '{level}' for '{code}' (use off, hint, info, warning or error)",
                path.display()
            ));
        }
    }
    Ok(Loaded { file })
}

/// Parses `X.Y.Z`.
pub fn parse_version(s: &str) -> Result<(u32, u32, u32), String> {
    falconer_analysis::checks::read::parse_semver(s)
        .filter(|_| s.split('.').count() == 3)
        .ok_or_else(|| format!("invalid engine version '{s}': expected X.Y.Z"))
}

/// Applies a config file to an analysis config.
pub fn apply(file: &FileConfig, cfg: &mut Config) -> Result<(), String> {
    let cat = falconer_catalog::catalog();
    for p in &file.plugins {
        if cat.plugin(p).is_none() {
            let known: Vec<&str> = cat.plugin_names().collect();
            return Err(format!(
                "{FILE_NAME}: unknown plugin '{p}' in plugins (known: {})",
                known.join(", ")
            ));
        }
    }
    cfg.plugins.extend(file.plugins.iter().cloned());
    if let Some(d) = file.default_plugins {
        cfg.default_plugins = d;
    }
    if let Some(v) = &file.engine_version {
        cfg.engine_version = parse_version(v)?;
    }
    for (code, level) in &file.lints {
        if let Some(l) = Level::parse(level) {
            cfg.lints.insert(code.clone(), l);
        }
    }
    Ok(())
}
