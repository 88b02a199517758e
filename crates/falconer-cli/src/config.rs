//! Reading `falconer.toml` (found in the current directory or a parent)
//! and the Falco field list it may import. The format and its checks are
//! the analysis's (`falconer_analysis::project`), shared with the
//! language server; here any problem is fatal (exit 2).

use falconer_analysis::project::{self, Project};
use falconer_catalog::ImportedCatalog;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use falconer_analysis::project::{parse_version, FILE_NAME};

/// Finds `falconer.toml` in `start` or one of its parents.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Reads and checks a project file.
pub fn load(path: &Path) -> Result<Project, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let (project, problems) = project::parse(path, &text);
    match problems.into_iter().next() {
        Some(p) => Err(p),
        None => Ok(project),
    }
}

/// Reads a field list exported by `falco --list --format json`.
pub fn import_catalog(path: &Path) -> Result<Arc<ImportedCatalog>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read field list {}: {e}", path.display()))?;
    ImportedCatalog::from_falco_json(&text).map_err(|e| format!("{}:{e}", path.display()))
}
