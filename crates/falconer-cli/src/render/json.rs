//! `--format json`: a stable, versioned schema (documented in README).
//!
//! ```json
//! {"version":1,
//!  "diagnostics":[{"code","falco_code","severity","message","file",
//!                  "line","column","end_line","end_column",
//!                  "suggestion"?: {"message","replacement"}}],
//!  "summary":{"files","errors","warnings"}}
//! ```
//! Lines and columns are 1-based; columns count characters.

use super::{locate, SourceView, Summary};
use falconer_analysis::Diagnostic;
use falconer_text::Encoding;
use serde_json::{json, Value};

pub fn render(diags: &[Diagnostic], files: &[SourceView], summary: Summary) -> String {
    let items: Vec<Value> = diags
        .iter()
        .map(|d| {
            let l = locate(d, files, Encoding::Chars);
            let mut o = json!({
                "code": d.code,
                "falco_code": d.falco_code(),
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": l.path,
                "line": l.line,
                "column": l.column,
                "end_line": l.end_line,
                "end_column": l.end_column,
            });
            if let Some(s) = &d.suggestion {
                o["suggestion"] = json!({"message": s.message, "replacement": s.replacement});
            }
            o
        })
        .collect();
    let v = json!({
        "version": 1,
        "diagnostics": items,
        "summary": {"files": summary.files, "errors": summary.errors, "warnings": summary.warnings},
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
