//! `falconer fmt`: lays out the conditions of rules files
//! (`falconer_analysis::ide::format`), in place, or as a check for CI.
//!
//! * Default: rewrites the files that change (through a temporary file
//!   renamed over the original, so a failed write never truncates one).
//! * `--check`: writes nothing; prints a unified diff of every file that
//!   is not formatted and exits with status 1 if there is one.
//! * `--diff`: writes nothing; prints the diffs, exit status 0.
//! * `-` formats standard input to standard output.
//!
//! Files that cannot be formatted (unreadable, not UTF-8, YAML syntax
//! error) are reported on stderr with a position, left as they are, and
//! make the exit status 2.

use crate::config;
use crate::inputs;
use falconer_analysis::ide::format::{self, FormatError, FormatOptions};
use falconer_text::{Encoding, LineIndex};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rules files or directories (their *.yaml/*.yml); `-` for standard
    /// input. Defaults to falconer.toml's rules_files.
    pub paths: Vec<PathBuf>,
    /// Write nothing; print a diff of each file that is not formatted and
    /// exit with status 1 if there is one.
    #[arg(long)]
    pub check: bool,
    /// Write nothing; print a diff of each file that would change.
    #[arg(long)]
    pub diff: bool,
    /// Conditions wider than this are broken across lines (default: the
    /// config's [format] width, else 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// Config file (default: falconer.toml in this or a parent directory).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// A unified diff of one file (empty when equal).
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(path, path)
        .to_string()
}

fn position(text: &str, offset: u32) -> String {
    let idx = LineIndex::new(text);
    let lc = idx.line_col(text, offset.min(text.len() as u32), Encoding::Chars);
    format!("{}:{}", lc.line + 1, lc.col + 1)
}

/// Writes `text` to `path` through a temporary file in the same folder.
fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.falconer-fmt.{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

pub fn run(args: &Args) -> Result<i32, String> {
    let cfg_path = match &args.config {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir().ok().and_then(|d| config::find(&d)),
    };
    let mut paths = args.paths.clone();
    let mut width = None;
    if let Some(p) = &cfg_path {
        let loaded = config::load(p)?;
        width = loaded.format_width;
        if paths.is_empty() {
            paths = loaded.rules_files;
        }
    }
    if paths.is_empty() {
        return Err(
            "no rules files given (pass paths, `-` for stdin, or list rules_files in falconer.toml)"
                .into(),
        );
    }
    let mut opts = FormatOptions::default();
    if let Some(w) = args.width.or(width) {
        opts.width = w;
    }
    let show_diff = args.check || args.diff;
    let write = !show_diff;

    // Standard input: to standard output (or a diff).
    if paths.len() == 1 && paths[0] == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return match format::format_text(&text, &opts) {
            Ok(out) => {
                if show_diff {
                    crate::emit(&unified_diff("<stdin>", &text, &out));
                } else {
                    crate::emit(&out);
                }
                Ok(i32::from(args.check && out != text))
            }
            Err(FormatError::Yaml { span, message }) => {
                if !show_diff {
                    crate::emit(&text);
                }
                eprintln!(
                    "falconer fmt: <stdin>:{}: not formatted: YAML syntax error: {message}",
                    position(&text, span.start)
                );
                Ok(2)
            }
        };
    }
    if paths.iter().any(|p| p == Path::new("-")) {
        return Err("`-` (standard input) cannot be mixed with files".into());
    }

    let files = inputs::expand(&paths)?;
    if files.is_empty() {
        return Err("no *.yaml files found in the given paths".into());
    }
    let mut failed = false;
    let mut texts = Vec::new();
    for f in &files {
        match inputs::read(f) {
            Ok(input) if input.invalid_utf8_at.is_some() => {
                eprintln!(
                    "falconer fmt: {}: not formatted: invalid UTF-8 at byte {}",
                    input.path,
                    input.invalid_utf8_at.unwrap_or(0)
                );
                failed = true;
            }
            Ok(input) => texts.push((f.clone(), input.path, input.text)),
            Err(e) => {
                eprintln!("falconer fmt: {e}");
                failed = true;
            }
        }
    }
    // Lists defined in any of the files (their names matter to every file).
    for (_, _, text) in &texts {
        opts.list_names.extend(format::defined_list_names(text));
    }
    let (mut changed, mut unchanged) = (0, 0);
    for (path, shown, text) in &texts {
        let out = match format::format_text(text, &opts) {
            Ok(out) => out,
            Err(FormatError::Yaml { span, message }) => {
                eprintln!(
                    "falconer fmt: {shown}:{}: not formatted: YAML syntax error: {message}",
                    position(text, span.start)
                );
                failed = true;
                continue;
            }
        };
        if out == *text {
            unchanged += 1;
            continue;
        }
        changed += 1;
        if show_diff {
            crate::emit(&unified_diff(shown, text, &out));
        }
        if write {
            if let Err(e) = write_file(path, &out) {
                eprintln!("falconer fmt: cannot write {shown}: {e}");
                failed = true;
            }
        }
    }
    let verb = if write {
        "reformatted"
    } else {
        "would be reformatted"
    };
    let plural = |n: usize| if n == 1 { "file" } else { "files" };
    eprintln!(
        "{changed} {} {verb}, {unchanged} {} already formatted",
        plural(changed),
        plural(unchanged)
    );
    Ok(if failed {
        2
    } else if args.check && changed > 0 {
        1
    } else {
        0
    })
}
