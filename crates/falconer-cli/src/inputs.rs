//! Turning command-line paths into rules files in load order.

use std::path::{Path, PathBuf};

/// A rules file read from disk.
pub struct Input {
    pub path: String,
    pub text: String,
    /// Byte offset of the first invalid UTF-8 sequence, if any (the text
    /// was decoded lossily).
    pub invalid_utf8_at: Option<usize>,
}

/// Expands paths: files as given, directories to their `*.yaml`/`*.yml`
/// files in sorted order.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub fn read(path: &Path) -> Result<Input, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let display = path.display().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Input {
            path: display,
            text,
            invalid_utf8_at: None,
        }),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Ok(Input {
                path: display,
                text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                invalid_utf8_at: Some(at),
            })
        }
    }
}
