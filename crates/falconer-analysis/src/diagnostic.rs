//! The diagnostic type every check produces.

use crate::codes::{self, Severity};
use falconer_text::Span;

/// Index of a file in the workspace's load order (or among the extra,
/// not-loaded workspace files, after them).
pub type FileId = u32;

/// A place in a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

/// A secondary location explaining the main one (cross-file causes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

/// A proposed edit that fixes the problem ("did you mean").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Suggestion {
    /// Human text, e.g. `did you mean 'proc.name'?`
    pub message: String,
    /// Replace the text at `span` (in the diagnostic's file) with this.
    pub replacement: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Stable code from [`crate::codes::CODES`].
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub loc: Loc,
    pub related: Vec<Related>,
    pub suggestion: Option<Suggestion>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: &'static str, loc: Loc, message: impl Into<String>) -> Diagnostic {
        let severity = codes::lookup(code)
            .map(|c| c.severity)
            .unwrap_or(Severity::Error);
        Diagnostic {
            code,
            severity,
            message: message.into(),
            loc,
            related: Vec::new(),
            suggestion: None,
        }
    }

    pub fn with_related(mut self, loc: Loc, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            loc,
            message: message.into(),
        });
        self
    }

    pub fn with_suggestion(
        mut self,
        message: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Diagnostic {
        self.suggestion = Some(Suggestion {
            message: message.into(),
            replacement: replacement.into(),
            span,
        });
        self
    }

    /// Falco's load code for this diagnostic, if Falco reports it.
    pub fn falco_code(&self) -> Option<&'static str> {
        codes::lookup(self.code).and_then(|c| c.falco_code)
    }
}
