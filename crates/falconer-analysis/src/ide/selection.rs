//! Selection ranges ("expand selection"): from the cursor outwards,
//!
//! * in a condition: the token (a field, value, operator, macro...) → its
//!   comparison → each enclosing parenthesised group and `and`/`or`
//!   chain → the whole condition → the YAML value (quotes, block header)
//!   → the `condition:` entry → the item;
//! * in an output: the `%field` token → the output → ...;
//! * elsewhere: the scalar → its sequence, if any → the entry → the item.
//!
//! Each range strictly contains the previous one.

use super::locate::{self, parenthesised, value_offset};
use super::Analysis;
use crate::FileId;
use falconer_syntax::ast::{Expr, Lhs};
use falconer_syntax::output::parse_output;
use falconer_syntax::visit::node_at;
use falconer_text::Span;
use falconer_yaml::{Node as YNode, NodeKind, Scalar};

/// The ranges around `offset`, innermost first (empty outside any item).
pub fn selection_ranges(a: &Analysis, file: FileId, offset: u32) -> Vec<Span> {
    let Some(yaml) = a.yaml(file) else {
        return Vec::new();
    };
    let text = a.file_text(file);
    let Some(item) = locate::top_items(yaml).find(|i| i.node.span.touches(offset)) else {
        return Vec::new();
    };
    let mut chain: Vec<Span> = Vec::new();
    let entries = item.node.as_mapping().unwrap_or(&[]);
    let entry = entries
        .iter()
        .find(|e| e.key.span.start <= offset && offset <= e.value.span.end.max(e.key.span.end));
    if let Some(e) = entry {
        let key = e.key.as_str().unwrap_or("");
        if e.value.span.touches(offset) && e.value.span.start < e.value.span.end {
            match (&e.value.kind, key) {
                (NodeKind::Scalar(s), "condition") => {
                    let v = value_offset(s, offset);
                    for r in condition_ranges(a, &s.value, v) {
                        chain.push(s.source_span(r));
                    }
                    chain.push(whole_value(s));
                }
                (NodeKind::Scalar(s), "output") => {
                    let v = value_offset(s, offset);
                    let accepts = |_: &Lhs| true;
                    let fmt = parse_output(&s.value, &accepts);
                    if let Some(seg) = fmt.segments.iter().find(|g| g.span().touches(v)) {
                        if matches!(seg, falconer_syntax::output::OutputSegment::Token { .. }) {
                            chain.push(s.source_span(seg.span()));
                        }
                    }
                    chain.push(whole_value(s));
                }
                _ => inner_nodes(&e.value, offset, &mut chain),
            }
            chain.push(e.value.span);
        } else if e.key.span.touches(offset) {
            chain.push(e.key.span);
        }
        chain.push(Span::new(
            e.key.span.start,
            e.value.span.end.max(e.key.span.end),
        ));
    }
    chain.push(item.node.span);
    // Strictly growing, each containing the previous.
    let mut out: Vec<Span> = Vec::new();
    for s in chain {
        if s.end > text.len() as u32 {
            continue;
        }
        match out.last() {
            Some(p) if !(s.start <= p.start && p.end <= s.end && s != *p) => {}
            _ => out.push(s),
        }
    }
    out
}

/// The span of a scalar's content (inside quotes, without the final line
/// breaks of a block scalar).
fn whole_value(s: &Scalar) -> Span {
    let len = s.value.trim_end_matches(['\n', '\r']).len();
    s.source_span(Span::new(0, len as u32))
}

/// Nested nodes (sequence entries, mappings) holding `offset`, innermost
/// first.
fn inner_nodes(node: &YNode, offset: u32, out: &mut Vec<Span>) {
    let mut path: Vec<Span> = Vec::new();
    let mut cur = node;
    loop {
        let next = match &cur.kind {
            NodeKind::Sequence { items, .. } => items.iter().find(|n| n.span.touches(offset)),
            NodeKind::Mapping { entries, .. } => entries.iter().find_map(|e| {
                if e.value.span.touches(offset) && !e.value.span.is_empty() {
                    Some(&e.value)
                } else if e.key.span.touches(offset) {
                    Some(&e.key)
                } else {
                    None
                }
            }),
            _ => None,
        };
        match next {
            Some(n) if n.span != cur.span => {
                path.push(n.span);
                cur = n;
            }
            _ => break,
        }
    }
    if let Some(s) = cur.as_scalar() {
        let w = whole_value(s);
        if w != cur.span {
            path.push(w);
        }
    }
    path.sort_by_key(|s| s.len());
    out.extend(path);
}

/// Ranges of the condition text around `offset`, innermost first.
fn condition_ranges(a: &Analysis, value: &str, offset: u32) -> Vec<Span> {
    let mut out = Vec::new();
    let parsed = a.parse_written(value);
    let Some(expr) = &parsed.expr else {
        return out;
    };
    let mut start_from: Option<Span> = None;
    if let Some(v) = node_at(expr, offset) {
        out.push(v.node.span());
        start_from = Some(v.node.span());
    }
    // Enclosing expressions, innermost first.
    let mut path: Vec<&Expr> = Vec::new();
    let mut cur = Some(expr);
    while let Some(e) = cur {
        if !(e.span().start <= offset && offset <= e.span().end) {
            break;
        }
        path.push(e);
        cur = e.children().iter().find(|c| c.span().touches(offset));
    }
    for e in path.iter().rev() {
        let s = e.span();
        if start_from.is_some_and(|f| !(s.start <= f.start && f.end <= s.end)) {
            continue;
        }
        out.push(s);
        if let Some(p) = parenthesised(value, s) {
            out.push(p);
        }
    }
    // The whole condition, without surrounding blanks.
    let t = value.trim_end();
    let lead = t.len() - t.trim_start().len();
    out.push(Span::new(lead as u32, t.len() as u32));
    out
}
