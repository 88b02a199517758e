//! Semantic tokens for the Falco languages inside YAML: conditions
//! (fields, field arguments, operators and modifiers, macros, lists,
//! string and number values, transformers, `and`/`or`/`not`), outputs
//! (`%field` tokens, transformers), and the names of macros and lists
//! where they are declared or listed.
//!
//! Conditions are read as written (before list substitution); a word that
//! names a list (as an operand, a value or a list entry) is a list token,
//! since Falco substitutes it. Keywords are found in the text between the
//! tree's leaves (an even number of `not`s leaves no node but is still
//! highlighted).
//!
//! Tokens are computed on the scalar's decoded value and mapped back to
//! the file with the scalar's piece map, one token per line piece: a token
//! split over lines (a quoted string in a folded or multi-line plain
//! scalar) becomes one token per line, folded line breaks and indentation
//! excluded. Tokens never overlap and never span a line break.

use super::locate::{self, ItemKind};
use super::Analysis;
use crate::cat::Scope;
use crate::checks::output::token_compiles;
use crate::FileId;
use falconer_catalog::catalog;
use falconer_syntax::ast::{Expr, FieldRef, Lhs, Rhs, Transformer, TransformerArg};
use falconer_syntax::output::{parse_output, OutputSegment};
use falconer_syntax::visit::{walk_expr, walk_nodes, FieldRole, Node, ValueRole};
use falconer_text::Span;
use falconer_yaml::{Node as YNode, Scalar};

/// What a token is. The order is the legend's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenType {
    /// A field name (`proc.name`, `%proc.name` in outputs).
    Field,
    /// A field's or transformer's `[argument]`.
    FieldArg,
    /// A comparison operator or a modifier (`in`, `=`, `oneof`).
    Operator,
    Macro,
    List,
    String,
    Number,
    /// `tolower`, `val`, ...
    Transformer,
    /// `and`, `or`, `not`.
    Keyword,
}

impl TokenType {
    pub const ALL: [TokenType; 9] = [
        TokenType::Field,
        TokenType::FieldArg,
        TokenType::Operator,
        TokenType::Macro,
        TokenType::List,
        TokenType::String,
        TokenType::Number,
        TokenType::Transformer,
        TokenType::Keyword,
    ];
}

/// Token modifiers (bits).
pub mod modifiers {
    /// The name of the item that defines (appends to, overrides) it.
    pub const DECLARATION: u32 = 1;
    /// A deprecated field.
    pub const DEPRECATED: u32 = 2;
    /// Names of the bits, in bit order (the legend's).
    pub const NAMES: [&str; 2] = ["declaration", "deprecated"];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SemanticToken {
    /// One line of the file, never empty.
    pub span: Span,
    pub ty: TokenType,
    pub modifiers: u32,
}

/// A token on a scalar's value.
type ValueTok = (Span, TokenType, u32);

/// The tokens of `file` (those touching `range` when given), sorted.
pub fn semantic_tokens(a: &Analysis, file: FileId, range: Option<Span>) -> Vec<SemanticToken> {
    let Some(yaml) = a.yaml(file) else {
        return Vec::new();
    };
    let text = a.file_text(file);
    let c = a.collected();
    let is_list = |w: &str| c.list_by_name.get(w).is_some();
    let mut out: Vec<SemanticToken> = Vec::new();
    for item in locate::top_items(yaml) {
        if range.is_some_and(|r| item.node.span.end < r.start || item.node.span.start > r.end) {
            continue;
        }
        let mut emit = |node: &YNode, toks: Vec<ValueTok>| {
            let Some(s) = node.as_scalar() else { return };
            for (r, ty, m) in toks {
                for span in file_pieces(text, s, r) {
                    out.push(SemanticToken {
                        span,
                        ty,
                        modifiers: m,
                    });
                }
            }
        };
        if let Some(n) = item.name {
            let len = n.as_str().map_or(0, str::len) as u32;
            let ty = match item.kind {
                ItemKind::Macro => Some(TokenType::Macro),
                ItemKind::List => Some(TokenType::List),
                _ => None,
            };
            if let Some(ty) = ty {
                emit(n, vec![(Span::new(0, len), ty, modifiers::DECLARATION)]);
            }
        }
        match item.kind {
            ItemKind::Macro | ItemKind::Rule => {
                if let Some(e) = item.node.get("condition") {
                    if let Some(s) = e.value.as_scalar() {
                        let parsed = a.parse_written(&s.value);
                        let toks = match &parsed.expr {
                            Some(expr) => condition_tokens(expr, &s.value, &is_list),
                            None => Vec::new(),
                        };
                        emit(&e.value, toks);
                    }
                }
                if item.kind == ItemKind::Rule {
                    if let Some(e) = item.node.get("exceptions") {
                        exception_tokens(&e.value, &is_list, &mut emit);
                    }
                    if let Some(e) = item.node.get("output") {
                        if let Some(s) = e.value.as_scalar() {
                            let scope = a.scope(item.source().unwrap_or("syscall"));
                            emit(&e.value, output_tokens(&scope, &s.value));
                        }
                    }
                }
            }
            ItemKind::List => {
                if let Some(items) = item.node.get("items").and_then(|e| e.value.as_sequence()) {
                    for n in items {
                        if let Some(v) = n.as_str().filter(|v| is_list(v)) {
                            emit(n, vec![(Span::new(0, v.len() as u32), TokenType::List, 0)]);
                        }
                    }
                }
            }
            ItemKind::Other => {}
        }
    }
    if let Some(r) = range {
        out.retain(|t| t.span.end >= r.start && t.span.start <= r.end);
    }
    out.sort();
    // Never overlapping (defensive: the value tokens are disjoint).
    let mut result: Vec<SemanticToken> = Vec::with_capacity(out.len());
    for t in out {
        if t.span.is_empty() {
            continue;
        }
        if result.last().is_some_and(|p| p.span.end > t.span.start) {
            continue;
        }
        result.push(t);
    }
    result
}

/// Exceptions: `fields` entries are fields, `comps` operators, values
/// that name a list are lists (they are folded into the condition).
fn exception_tokens(
    ex: &YNode,
    is_list: &dyn Fn(&str) -> bool,
    emit: &mut dyn FnMut(&YNode, Vec<ValueTok>),
) {
    fn scalars<'a>(n: &'a YNode, out: &mut Vec<&'a YNode>) {
        match &n.kind {
            falconer_yaml::NodeKind::Sequence { items, .. } => {
                items.iter().for_each(|i| scalars(i, out))
            }
            falconer_yaml::NodeKind::Scalar(_) => out.push(n),
            _ => {}
        }
    }
    for entry in ex.as_sequence().unwrap_or(&[]) {
        for (key, ty) in [
            ("fields", TokenType::Field),
            ("comps", TokenType::Operator),
            ("values", TokenType::List),
        ] {
            let Some(e) = entry.get(key) else { continue };
            let mut nodes = Vec::new();
            scalars(&e.value, &mut nodes);
            for n in nodes {
                let v = n.as_str().unwrap_or("");
                let ok = match ty {
                    TokenType::List => is_list(v),
                    // A plain field name (transformer expressions are left
                    // to the YAML highlighting).
                    TokenType::Field => catalog().field(v).is_some(),
                    // An operator, or an operator and a modifier.
                    _ => v
                        .split_whitespace()
                        .next()
                        .is_some_and(|o| falconer_syntax::ast::OpKind::from_text(o).is_some()),
                };
                if ok && !v.is_empty() {
                    emit(n, vec![(Span::new(0, v.len() as u32), ty, 0)]);
                }
            }
        }
    }
}

/// The file spans of a value range of `s`, one per line piece: copied
/// bytes map to their copies, escapes to their source, folded line breaks
/// and indentation are left out.
pub(crate) fn file_pieces(text: &str, s: &Scalar, range: Span) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for p in &s.pieces {
        let (vs, ve) = (p.value_start, p.value_start + p.len);
        let (a, b) = (range.start.max(vs), range.end.min(ve));
        if a >= b {
            continue;
        }
        let span = if p.copied {
            Span::new(p.source_start + (a - vs), p.source_start + (b - vs))
        } else {
            let src = Span::new(p.source_start, p.source_start + p.source_len);
            match text.get(src.range()) {
                Some(t) if !t.contains(['\n', '\r']) => src,
                _ => continue,
            }
        };
        match spans.last_mut() {
            Some(last) if last.end == span.start => last.end = span.end,
            _ => spans.push(span),
        }
    }
    // Split at line breaks (a copied piece of a block scalar may hold one).
    let mut out = Vec::new();
    for sp in spans {
        let Some(t) = text.get(sp.range()) else {
            continue;
        };
        let mut start = sp.start;
        for (i, ch) in t.char_indices() {
            if ch == '\n' || ch == '\r' {
                let at = sp.start + i as u32;
                if at > start {
                    out.push(Span::new(start, at));
                }
                start = at + 1;
            }
        }
        if sp.end > start {
            out.push(Span::new(start, sp.end));
        }
    }
    out
}

/// Whether a bare value is a number token (`[+-]?[0-9]+.?[0-9]*(e[+-]N)?`
/// or hexadecimal).
fn is_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() > 2 && b[0] == b'0' && (b[1] | 0x20) == b'x' {
        return b[2..].iter().all(u8::is_ascii_hexdigit);
    }
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let d0 = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == d0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] | 0x20) == b'e' {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        } else {
            return false;
        }
        let e0 = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e0 {
            return false;
        }
    }
    i == b.len()
}

fn field_mods(f: &FieldRef) -> u32 {
    if catalog().field(&f.name).is_some_and(|i| i.deprecated) {
        modifiers::DEPRECATED
    } else {
        0
    }
}

fn field_toks(f: &FieldRef, from: u32, out: &mut Vec<ValueTok>) {
    out.push((
        Span::new(from.min(f.name_span.start), f.name_span.end),
        TokenType::Field,
        field_mods(f),
    ));
    if let Some(a) = &f.arg {
        out.push((a.span, TokenType::FieldArg, 0));
    }
}

fn transformer_toks(t: &Transformer, from: u32, out: &mut Vec<ValueTok>) {
    out.push((
        Span::new(from.min(t.name_span.start), t.name_span.end),
        TokenType::Transformer,
        0,
    ));
    for a in &t.args {
        targ_toks(a, out);
    }
    if let Some(a) = &t.arg {
        out.push((a.span, TokenType::FieldArg, 0));
    }
}

fn targ_toks(a: &TransformerArg, out: &mut Vec<ValueTok>) {
    match a {
        TransformerArg::Field(f) => field_toks(f, f.span.start, out),
        TransformerArg::Transformer(t) => transformer_toks(t, t.span.start, out),
        TransformerArg::Str(v) => out.push((v.span, TokenType::String, 0)),
        TransformerArg::Number(v) => out.push((v.span, TokenType::Number, 0)),
        TransformerArg::List { items, .. } => items.iter().for_each(|i| targ_toks(i, out)),
    }
}

/// Tokens of a parsed condition, on its text.
pub(crate) fn condition_tokens(
    expr: &Expr,
    text: &str,
    is_list: &dyn Fn(&str) -> bool,
) -> Vec<ValueTok> {
    let mut toks: Vec<ValueTok> = Vec::new();
    // Spans holding leaves (or errors): keywords are looked for outside.
    let mut covered: Vec<Span> = Vec::new();
    walk_expr(expr, &mut |e| {
        if let Expr::Error { span } = e {
            covered.push(*span);
        }
    });
    walk_nodes(expr, &mut |v| match v.node {
        Node::Macro(n) => {
            covered.push(n.span);
            let ty = if is_list(&n.text) {
                TokenType::List
            } else {
                TokenType::Macro
            };
            toks.push((n.span, ty, 0));
        }
        Node::ListName(n) => {
            covered.push(n.span);
            toks.push((n.span, TokenType::List, 0));
        }
        Node::Field { field, role } => {
            covered.push(field.span);
            if role == FieldRole::RhsVal {
                if let Some(Rhs::Val { span, .. }) = v.check.and_then(|c| c.rhs()) {
                    covered.push(*span);
                    let end = (span.start + 3).min(field.span.start);
                    toks.push((Span::new(span.start, end), TokenType::Transformer, 0));
                }
            }
            field_toks(field, field.span.start, &mut toks);
        }
        Node::Transformer { transformer, .. } => {
            // Arguments are visited on their own.
            covered.push(transformer.span);
            toks.push((transformer.name_span, TokenType::Transformer, 0));
            if let Some(a) = &transformer.arg {
                toks.push((a.span, TokenType::FieldArg, 0));
            }
        }
        Node::Operator(op) => {
            covered.push(op.span);
            toks.push((op.span, TokenType::Operator, 0));
            if let Some((_, m)) = op.modifier {
                covered.push(m);
                toks.push((m, TokenType::Operator, 0));
            }
        }
        Node::Value { value, role } => {
            covered.push(value.span);
            let in_call = matches!(role, ValueRole::TransformerArg { .. });
            let ty = if value.quoted.is_some() {
                TokenType::String
            } else if in_call {
                TokenType::Number
            } else if is_list(&value.text) {
                TokenType::List
            } else if is_number(&value.text) {
                TokenType::Number
            } else {
                TokenType::String
            };
            toks.push((value.span, ty, 0));
        }
    });
    covered.sort();
    // Keywords between the leaves. Words come left to right and `covered`
    // is sorted by start: the furthest end among spans starting before a
    // word tells whether one holds it.
    let b = text.as_bytes();
    let (mut j, mut max_end) = (0usize, 0u32);
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
            i += 1;
        }
        let word = &text[s..i];
        let span = Span::new(s as u32, i as u32);
        while j < covered.len() && covered[j].start <= span.start {
            max_end = max_end.max(covered[j].end);
            j += 1;
        }
        if matches!(word, "and" | "or" | "not") && max_end < span.end {
            toks.push((span, TokenType::Keyword, 0));
        }
    }
    toks.sort();
    toks.dedup();
    toks
}

/// Tokens of an output format.
pub(crate) fn output_tokens(scope: &Scope, text: &str) -> Vec<ValueTok> {
    let accepts = |lhs: &Lhs| token_compiles(scope, lhs);
    let fmt = parse_output(text, &accepts);
    let mut toks = Vec::new();
    for seg in &fmt.segments {
        if let OutputSegment::Token { expr, span, .. } = seg {
            match expr {
                Lhs::Field(f) => field_toks(f, span.start, &mut toks),
                Lhs::Transformer(t) => transformer_toks(t, span.start, &mut toks),
            }
        }
    }
    toks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for n in ["1", "-2", "+3.5", "4e+10", "0x1F", "10."] {
            assert!(is_number(n), "{n}");
        }
        for n in ["", "x1", "1e10", "0x", "1.2.3", "-", "1a"] {
            assert!(!is_number(n), "{n}");
        }
    }
}
