//! Every place a macro, list or rule name is written, read from the YAML
//! trees (so items the reader rejects count too) with the scalar each one
//! is written in: what references, document highlights and rename share.
//!
//! * Declarations: the name of every `macro`/`list`/`rule` item of that
//!   kind and name (definitions, appends, overrides, enable-only rules).
//! * Macros are referenced by identifiers in operand position of a parsed
//!   condition (Falco expands macros on the tree).
//! * Lists are referenced by the delimited words that Falco's textual
//!   substitution replaces in conditions (`lists::find_occurrences`), by
//!   the entries of other lists, and by exception values equal to the name
//!   (exceptions are folded into the condition before substitution).
//!   Occurrences inside a quoted string of a condition are marked: Falco
//!   substitutes those too, but they are values to the reader.
//! * Rules are only named by later items of the same name.

use super::locate::{self, ItemKind};
use super::navigation::Target;
use super::Analysis;
use crate::FileId;
use falconer_syntax::visit::macro_refs;
use falconer_text::Span;
use falconer_yaml::{Node, NodeKind};

pub(crate) struct Occurrence<'a> {
    pub file: FileId,
    /// The name's span in the file.
    pub span: Span,
    /// The name of a defining, appending or overriding item.
    pub decl: bool,
    /// The scalar the name is written in, and its range in the value.
    pub node: &'a Node,
    pub range: Span,
    /// Inside a quoted string of a condition.
    pub in_quotes: bool,
}

/// Ranges of `text` inside quoted strings (quotes included), as the
/// condition lexer reads them: `'` or `"` up to the same unescaped quote;
/// an unclosed quote runs to the end.
pub(crate) fn quoted_ranges(text: &str) -> Vec<Span> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let q = b[i];
        if q != b'"' && q != b'\'' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < b.len() && b[i] != q {
            if b[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        i = (i + 1).min(b.len());
        out.push(Span::new(start as u32, i as u32));
    }
    out
}

fn inside(ranges: &[Span], s: Span) -> bool {
    ranges.iter().any(|r| r.start < s.start && s.end < r.end)
}

/// Every occurrence of `t` in files `files` of the workspace, in file
/// order.
pub(crate) fn occurrences<'a>(
    a: &'a Analysis,
    t: &Target,
    files: impl Iterator<Item = FileId>,
) -> Vec<Occurrence<'a>> {
    let name = t.name();
    let mut out = Vec::new();
    if name.is_empty() {
        return out;
    }
    for file in files {
        a.unwind_if_cancelled();
        let Some(yaml) = a.yaml(file) else { continue };
        for item in locate::top_items(yaml) {
            let decl_kind = match t {
                Target::List(_) => ItemKind::List,
                Target::Macro(_) => ItemKind::Macro,
                Target::Rule(_) => ItemKind::Rule,
            };
            if item.kind == decl_kind {
                if let Some(n) = item.name.filter(|n| n.as_str() == Some(name)) {
                    out.push(whole(file, n, true));
                }
            }
            match (t, item.kind) {
                (Target::Macro(_), ItemKind::Macro | ItemKind::Rule) => {
                    let Some(node) = item.node.get("condition").map(|e| &e.value) else {
                        continue;
                    };
                    let Some(s) = node.as_scalar() else { continue };
                    let parsed = a.parse_written(&s.value);
                    if let Some(e) = &parsed.expr {
                        for n in macro_refs(e) {
                            if n.text == name {
                                out.push(Occurrence {
                                    file,
                                    span: s.source_span(n.span),
                                    decl: false,
                                    node,
                                    range: n.span,
                                    in_quotes: false,
                                });
                            }
                        }
                    }
                }
                (Target::List(_), ItemKind::Macro | ItemKind::Rule) => {
                    if let Some(node) = item.node.get("condition").map(|e| &e.value) {
                        if let Some(s) = node.as_scalar() {
                            let quoted = quoted_ranges(&s.value);
                            for r in locate::list_occurrences(&s.value, name) {
                                out.push(Occurrence {
                                    file,
                                    span: s.source_span(r),
                                    decl: false,
                                    node,
                                    range: r,
                                    in_quotes: inside(&quoted, r),
                                });
                            }
                        }
                    }
                    if item.kind == ItemKind::Rule {
                        if let Some(ex) = item.node.get("exceptions") {
                            exception_values(file, &ex.value, name, &mut out);
                        }
                    }
                }
                (Target::List(_), ItemKind::List) => {
                    if let Some(items) = item.node.get("items").and_then(|e| e.value.as_sequence())
                    {
                        for n in items {
                            if n.as_str() == Some(name) {
                                out.push(whole(file, n, false));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn whole(file: FileId, n: &Node, decl: bool) -> Occurrence<'_> {
    let len = n.as_str().map_or(0, str::len) as u32;
    let range = Span::new(0, len);
    Occurrence {
        file,
        span: n.as_scalar().map_or(n.span, |s| s.source_span(range)),
        decl,
        node: n,
        range,
        in_quotes: false,
    }
}

/// Exception values (at any depth under `values`) equal to `name`.
fn exception_values<'a>(file: FileId, ex: &'a Node, name: &str, out: &mut Vec<Occurrence<'a>>) {
    let Some(entries) = ex.as_sequence() else {
        return;
    };
    for e in entries {
        let Some(values) = e.get("values") else {
            continue;
        };
        let mut stack = vec![&values.value];
        let mut found = Vec::new();
        while let Some(n) = stack.pop() {
            match &n.kind {
                NodeKind::Sequence { items, .. } => stack.extend(items),
                NodeKind::Scalar(s) if s.value == name => found.push(whole(file, n, false)),
                _ => {}
            }
        }
        found.sort_by_key(|o| o.span.start);
        out.extend(found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_ranges_follow_the_lexer() {
        let t = r#"a = "x \" y" and b = 'z' and c = "open"#;
        let r: Vec<&str> = quoted_ranges(t).iter().map(|s| &t[s.range()]).collect();
        assert_eq!(r, vec![r#""x \" y""#, "'z'", "\"open"]);
    }
}
