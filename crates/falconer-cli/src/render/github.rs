//! `--format github`: GitHub Actions workflow annotations.

use super::{locate, SourceView};
use falconer_analysis::{Diagnostic, Severity};
use falconer_text::Encoding;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(diags: &[Diagnostic], files: &[SourceView]) -> String {
    let mut out = String::new();
    for d in diags {
        let l = locate(d, files, Encoding::Chars);
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            _ => "notice",
        };
        let mut msg = d.message.clone();
        if let Some(s) = &d.suggestion {
            msg.push_str(&format!(" ({})", s.message));
        }
        out.push_str(&format!(
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_prop(l.path),
            l.line,
            l.column,
            l.end_line,
            l.end_column,
            escape_prop(&format!("falconer {}", d.code)),
            escape_data(&msg)
        ));
    }
    out
}
