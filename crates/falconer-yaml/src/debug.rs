//! A compact, stable text rendering of a parsed file, for snapshots and
//! debugging (`falconer dump yaml`-style output).
//!
//! ```text
//! document 0..31
//!   sequence 0..31
//!     mapping 2..31
//!       ? scalar plain 2..6 "rule"
//!       : scalar plain 8..9 "r"
//! error 40..40: did not find expected key
//! ```

use crate::tree::*;
use std::fmt::Write;

/// Renders the whole file: documents, then errors.
pub fn render(file: &YamlFile) -> String {
    let mut out = String::new();
    for doc in &file.documents {
        let _ = write!(out, "document {:?}", doc.span);
        if doc.recovered {
            out.push_str(" recovered");
        }
        out.push('\n');
        match &doc.root {
            Some(root) => render_node(&mut out, root, 1, ""),
            None => out.push_str("  (empty)\n"),
        }
    }
    for e in &file.errors {
        let _ = writeln!(out, "error {:?}: {}", e.span, e.message);
    }
    out
}

/// Renders one node and its children.
pub fn render_string(node: &Node) -> String {
    let mut out = String::new();
    render_node(&mut out, node, 0, "");
    out
}

/// Renders one node and its children, `depth` levels indented, after
/// `prefix`.
pub fn render_node(out: &mut String, node: &Node, depth: usize, prefix: &str) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str(prefix);
    out.push_str(node.kind_name());
    if let Some(tag) = &node.tag {
        let _ = write!(out, " {tag}");
    }
    match &node.kind {
        NodeKind::Sequence { flow: true, .. } | NodeKind::Mapping { flow: true, .. } => {
            out.push_str(" flow")
        }
        NodeKind::Scalar(s) => {
            let style = match s.style {
                ScalarStyle::Plain => "plain",
                ScalarStyle::SingleQuoted => "single",
                ScalarStyle::DoubleQuoted => "double",
                ScalarStyle::Literal => "literal",
                ScalarStyle::Folded => "folded",
            };
            let _ = write!(out, " {style}");
        }
        _ => {}
    }
    let _ = write!(out, " {:?}", node.span);
    if let NodeKind::Scalar(s) = &node.kind {
        let _ = write!(out, " {:?}", s.value);
    }
    out.push('\n');
    match &node.kind {
        NodeKind::Sequence { items, .. } => {
            for item in items {
                render_node(out, item, depth + 1, "");
            }
        }
        NodeKind::Mapping { entries, .. } => {
            for e in entries {
                render_node(out, &e.key, depth + 1, "? ");
                render_node(out, &e.value, depth + 1, ": ");
            }
        }
        _ => {}
    }
}
