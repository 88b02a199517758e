//! Output formats of `falconer check`, one module each.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use falconer_analysis::{Diagnostic, Severity};
use falconer_text::{Encoding, LineIndex};

/// A file as the renderers see it.
pub struct SourceView {
    pub path: String,
    pub text: String,
    pub index: LineIndex,
}

impl SourceView {
    pub fn new(path: String, text: String) -> SourceView {
        let index = LineIndex::new(&text);
        SourceView { path, text, index }
    }

    /// 1-based line and column (characters) of a byte offset.
    pub fn pos(&self, offset: u32, enc: Encoding) -> (u32, u32) {
        let lc = self.index.line_col(&self.text, offset, enc);
        (lc.line + 1, lc.col + 1)
    }
}

/// A diagnostic with its positions resolved.
pub struct Located<'a> {
    pub path: &'a str,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

pub fn locate<'a>(d: &'a Diagnostic, files: &'a [SourceView], enc: Encoding) -> Located<'a> {
    let f = &files[(d.loc.file as usize).min(files.len().saturating_sub(1))];
    let (line, column) = f.pos(d.loc.span.start, enc);
    let (end_line, end_column) = f.pos(d.loc.span.end, enc);
    Located {
        path: &f.path,
        line,
        column,
        end_line,
        end_column,
    }
}

/// Counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn of(files: usize, diags: &[Diagnostic]) -> Summary {
        Summary {
            files,
            errors: diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count(),
            warnings: diags
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .count(),
        }
    }
}
