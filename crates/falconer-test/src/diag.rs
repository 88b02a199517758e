//! Diagnostics of test and scenario files: a code, a message and an exact
//! position (byte span plus 1-based line and column in characters).

use std::fmt;
use std::path::{Path, PathBuf};

use falconer_text::{Encoding, LineIndex, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The file cannot run (a run with it exits 2).
    Error,
    /// Suspicious but runnable.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A problem in a test file, a scenario file or a rules file a test loads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// Byte range in the file.
    pub span: Span,
    /// 1-based line and column (characters) of the span's start.
    pub line: u32,
    pub column: u32,
    /// 1-based line and column of the span's end.
    pub end_line: u32,
    pub end_column: u32,
    pub severity: Severity,
    /// Stable code: `yaml-syntax`, `test-schema`, `unknown-rule`,
    /// `missing-fixture`, `scenario`, `rules-load`, ...
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.path.display(),
            self.line,
            self.column,
            self.severity.as_str(),
            self.code,
            self.message
        )
    }
}

/// A file's text with its line index (positions for diagnostics).
#[derive(Clone, Debug)]
pub struct SourceText {
    pub path: PathBuf,
    pub text: String,
    index: LineIndex,
}

impl SourceText {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceText {
        let text = text.into();
        let index = LineIndex::new(&text);
        SourceText {
            path: path.into(),
            text,
            index,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// 1-based (line, column in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let o = offset.min(self.text.len() as u32);
        let lc = self.index.line_col(&self.text, o, Encoding::Chars);
        (lc.line + 1, lc.col + 1)
    }

    pub fn diag(
        &self,
        severity: Severity,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.line_col(span.start);
        let (end_line, end_column) = self.line_col(span.end);
        Diagnostic {
            path: self.path.clone(),
            span,
            line,
            column,
            end_line,
            end_column,
            severity,
            code,
            message: message.into(),
        }
    }

    pub fn error(&self, code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        self.diag(Severity::Error, code, span, message)
    }
}

/// A diagnostic at the start of a file that could not be read.
pub fn file_error(path: &Path, code: &'static str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        path: path.to_path_buf(),
        span: Span::empty(0),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        severity: Severity::Error,
        code,
        message: message.into(),
    }
}
