//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning.

use super::{locate, SourceView};
use falconer_analysis::{Diagnostic, Severity, CODES};
use falconer_text::Encoding;
use serde_json::{json, Value};

pub fn render(diags: &[Diagnostic], files: &[SourceView]) -> String {
    let rules: Vec<Value> = CODES
        .iter()
        .map(|c| {
            json!({
                "id": c.code,
                "name": c.code,
                "shortDescription": {"text": c.summary},
                "fullDescription": {"text": match c.falco_code {
                    Some(f) => format!("{} (Falco: {f})", c.summary),
                    None => format!("{} (falconer lint)", c.summary),
                }},
                "help": {"text": format!("Run `falconer explain {}` for details.", c.code)},
                "defaultConfiguration": {"level": level(c.severity)},
                "properties": {"falco_code": c.falco_code},
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let l = locate(d, files, Encoding::Chars);
            let idx = CODES.iter().position(|c| c.code == d.code).unwrap_or(0);
            json!({
                "ruleId": d.code,
                "ruleIndex": idx,
                "level": level(d.severity),
                "message": {"text": d.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(l.path)},
                        "region": {
                            "startLine": l.line,
                            "startColumn": l.column,
                            "endLine": l.end_line,
                            "endColumn": l.end_column,
                        }
                    }
                }],
            })
        })
        .collect();
    let v = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "falconer",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/falconer",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        _ => "note",
    }
}

/// A relative, forward-slash URI reference as code scanning expects:
/// every byte outside the unreserved set and `/` is percent-encoded, so
/// `%`, `#`, `?` and a `:` (which would read as a scheme) stay in the path.
fn uri(path: &str) -> String {
    let p = path.strip_prefix("./").unwrap_or(path).replace('\\', "/");
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
