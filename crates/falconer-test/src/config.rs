//! The part of `falconer.toml` a test file uses when it names no rules:
//! the rules files (load order), plugins and engine version. Lint levels
//! are `falconer check`'s business and are ignored here.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct FileConfig {
    #[serde(default)]
    pub rules_files: Vec<PathBuf>,
    #[serde(default)]
    pub plugins: Vec<String>,
    pub default_plugins: Option<bool>,
    pub engine_version: Option<String>,
    #[serde(default)]
    pub lints: toml::Table,
}

pub const FILE_NAME: &str = "falconer.toml";

/// `falconer.toml` in `start` or one of its parents.
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

/// Reads a config file; the message of an error names the file.
pub fn load(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `X.Y.Z`.
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split('.');
    let v = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    it.next().is_none().then_some(v)
}
