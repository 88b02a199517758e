//! Document highlight: the other places of the name under the cursor in
//! the same file.
//!
//! * On a macro, list or rule name: the names of the items that define,
//!   append to or override it are writes; its uses (conditions, other
//!   lists' items, exception values) are reads (see `occurrences`).
//! * On a field (in a condition or an output): every use of a field of
//!   that name (any argument) in the file's conditions and outputs, as
//!   reads.

use super::locate::{self, ItemKind, Spot};
use super::navigation::target_at;
use super::occurrences::occurrences;
use super::{Analysis, FilePosition};
use crate::checks::output::token_compiles;
use falconer_syntax::ast::{FieldRef, Lhs, TransformerArg};
use falconer_syntax::output::parse_output;
use falconer_syntax::visit::{node_at, walk_nodes, Node};
use falconer_text::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HighlightKind {
    /// A use.
    Read,
    /// A definition (or append, override).
    Write,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Highlight {
    pub span: Span,
    pub kind: HighlightKind,
}

pub fn document_highlights(a: &Analysis, pos: FilePosition) -> Vec<Highlight> {
    let mut out: Vec<Highlight> = if let Some((t, _)) = target_at(a, pos) {
        occurrences(a, &t, std::iter::once(pos.file))
            .into_iter()
            .map(|o| Highlight {
                span: o.span,
                kind: if o.decl {
                    HighlightKind::Write
                } else {
                    HighlightKind::Read
                },
            })
            .collect()
    } else if let Some(name) = field_at(a, pos) {
        field_uses(a, pos.file, &name)
            .into_iter()
            .map(|span| Highlight {
                span,
                kind: HighlightKind::Read,
            })
            .collect()
    } else {
        Vec::new()
    };
    out.sort();
    out.dedup_by_key(|h| h.span);
    out
}

/// Every field reference inside a left-hand side (transformer arguments
/// included).
pub(crate) fn lhs_fields(lhs: &Lhs) -> Vec<&FieldRef> {
    fn arg<'a>(a: &'a TransformerArg, out: &mut Vec<&'a FieldRef>) {
        match a {
            TransformerArg::Field(f) => out.push(f),
            TransformerArg::Transformer(t) => t.args.iter().for_each(|x| arg(x, out)),
            TransformerArg::List { items, .. } => items.iter().for_each(|x| arg(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match lhs {
        Lhs::Field(f) => out.push(f),
        Lhs::Transformer(t) => t.args.iter().for_each(|x| arg(x, &mut out)),
    }
    out
}

/// The name of the field under the cursor (condition or output).
fn field_at(a: &Analysis, pos: FilePosition) -> Option<String> {
    let yaml = a.yaml(pos.file)?;
    let (item, spot) = locate::locate(yaml, a.file_text(pos.file), pos.offset)?;
    match spot {
        Spot::Condition(v) => {
            let parsed = a.parse_written(v.value());
            match node_at(parsed.expr.as_ref()?, v.offset)?.node {
                Node::Field { field, .. } => Some(field.name.clone()),
                _ => None,
            }
        }
        Spot::Output(v) => {
            let scope = a.scope(item.source().unwrap_or("syscall"));
            let accepts = |lhs: &Lhs| token_compiles(&scope, lhs);
            let fmt = parse_output(v.value(), &accepts);
            let name = fmt
                .tokens()
                .flat_map(lhs_fields)
                .find(|f| f.span.touches(v.offset))
                .map(|f| f.name.clone());
            name
        }
        _ => None,
    }
}

/// File spans of the names of every field called `name` in the file's
/// conditions and outputs.
fn field_uses(a: &Analysis, file: crate::FileId, name: &str) -> Vec<Span> {
    let Some(yaml) = a.yaml(file) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in locate::top_items(yaml) {
        if !matches!(item.kind, ItemKind::Macro | ItemKind::Rule) {
            continue;
        }
        if let Some(s) = item.node.get("condition").and_then(|e| e.value.as_scalar()) {
            let parsed = a.parse_written(&s.value);
            if let Some(e) = &parsed.expr {
                walk_nodes(e, &mut |v| {
                    if let Node::Field { field, .. } = v.node {
                        if field.name == name {
                            out.push(s.source_span(field.name_span));
                        }
                    }
                });
            }
        }
        if item.kind == ItemKind::Rule {
            if let Some(s) = item.node.get("output").and_then(|e| e.value.as_scalar()) {
                let scope = a.scope(item.source().unwrap_or("syscall"));
                let accepts = |lhs: &Lhs| token_compiles(&scope, lhs);
                let fmt = parse_output(&s.value, &accepts);
                for f in fmt.tokens().flat_map(lhs_fields) {
                    if f.name == name {
                        out.push(s.source_span(f.name_span));
                    }
                }
            }
        }
    }
    out
}
