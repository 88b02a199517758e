//! `falconer check`: lint rules files.

use super::{load, LoadArgs};
use crate::render::{self, SourceView, Summary};
use falconer_analysis::Severity;
use std::io::IsTerminal;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deny {
    Warnings,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with status 1 on warnings too.
    #[arg(long, value_enum)]
    pub deny: Option<Deny>,
}

/// Runs the check; returns the exit status.
pub fn run(args: &Args) -> Result<i32, String> {
    let loaded = load(&args.load)?;
    let host = &loaded.host;
    let mut diags: Vec<_> = loaded.input_diags.clone();
    diags.extend(host.diagnostics().iter().cloned());
    // Line indexes are only needed to place diagnostics.
    let files: Vec<SourceView> = if diags.is_empty() {
        Vec::new()
    } else {
        (0..host.file_count() as u32)
            .map(|i| SourceView::new(host.file_path(i).to_string(), host.file_text(i).to_string()))
            .collect()
    };
    let loaded_files = host.file_count();
    let summary = Summary::of(loaded_files, &diags);
    let out = match args.format {
        Format::Human => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let color = std::io::stdout().is_terminal() && !no_color;
            render::human::render(&diags, &files, summary, color)
        }
        Format::Json => render::json::render(&diags, &files, summary),
        Format::Sarif => render::sarif::render(&diags, &files),
        Format::Github => render::github::render(&diags, &files),
    };
    crate::emit(&out);
    let has_errors = diags.iter().any(|d| d.severity == Severity::Error);
    let has_warnings = diags.iter().any(|d| d.severity == Severity::Warning);
    // The process ends right after: freeing the database item by item
    // would cost an eighth of the whole run.
    std::mem::forget(loaded);
    Ok(if has_errors || (args.deny.is_some() && has_warnings) {
        1
    } else {
        0
    })
}
