//! Completion inside conditions, outputs and list items.
//!
//! The text before the cursor is read with a small tolerant scanner (not
//! the parser: half-typed text is the normal case here), which tells what
//! is expected at the cursor:
//!
//! * an operand (start, after `and`/`or`/`not`/`(`): macros, fields,
//!   transformers, `not` (only fields once the word has a `.`);
//! * a transformer's arguments: fields;
//! * after a field: the operators valid for its type;
//! * after an operator: event types for `evt.type`; after `in`,
//!   `intersects`, `pmatch` or a modifier, and inside their parentheses:
//!   lists (and event types for `evt.type`);
//! * after a complete check: `and`, `or`.
//!
//! Fields are those visible to the rule's source with the loaded plugins
//! (every source for macros), filtered by the word being typed; the
//! replaced range is the whole word, dots included.

use super::hover::field_doc;
use super::locate::{self, ItemCtx, ItemKind, Spot, ValueAt};
use super::{Analysis, FilePosition};
use crate::cat::Scope;
use falconer_catalog::{catalog, operators_for, FieldInfo, OpKind, TransformerKind, OPERATORS};
use falconer_text::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompletionKind {
    Field,
    Macro,
    List,
    Operator,
    Keyword,
    Transformer,
    /// A value (event type names).
    Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// One line: a field's type, a list's size.
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    pub insert_text: String,
    /// The file range the insertion replaces (the word being typed).
    pub replace: Span,
    pub deprecated: bool,
    /// Lower ranks sort first.
    pub rank: u8,
}

/// What the scanner expects at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Operand,
    /// Inside a transformer call: fields.
    FieldArg,
    AfterField(String),
    AfterOp {
        field: String,
        list: bool,
    },
    ListItems {
        field: String,
    },
    AfterCheck,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    /// A quoted string.
    Str,
    Open,
    Close,
    Comma,
    /// `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Sym,
}

fn tokens(s: &str) -> Vec<Tok<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push(Tok::Open);
                i += 1
            }
            b')' => {
                out.push(Tok::Close);
                i += 1
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1
            }
            b'=' | b'!' | b'<' | b'>' => {
                i += 1;
                if i < b.len() && b[i] == b'=' {
                    i += 1;
                }
                out.push(Tok::Sym);
            }
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push(Tok::Str);
            }
            _ => {
                let start = i;
                while i < b.len() && !b" \t\n\r(),=!<>'\"".contains(&b[i]) {
                    i += 1;
                }
                out.push(Tok::Word(&s[start..i]));
            }
        }
    }
    out
}

const LIST_OPS: [&str; 3] = ["in", "intersects", "pmatch"];
const MODIFIERS: [&str; 3] = ["oneof", "anyof", "allof"];

fn is_word_op(w: &str) -> bool {
    OpKind::from_text(w).is_some() && !w.starts_with(['=', '!', '<', '>'])
}

fn is_transformer(w: &str) -> bool {
    TransformerKind::from_name(w).is_some() || w == "val"
}

/// Frames of open parentheses: the state to resume after `)`, and what
/// the inside expects.
struct Frame {
    resume: State,
}

fn scan(before: &str, resolves: &dyn Fn(&str) -> bool) -> State {
    let toks = tokens(before);
    let mut state = State::Operand;
    let mut stack: Vec<Frame> = Vec::new();
    let mut prev_word: Option<&str> = None;
    for t in &toks {
        let word = match t {
            Tok::Word(w) => Some(*w),
            _ => None,
        };
        state = match (state, t) {
            (s, Tok::Open) => {
                let after_transformer = prev_word.is_some_and(is_transformer);
                match s {
                    State::AfterOp { field, list: true } => {
                        stack.push(Frame {
                            resume: State::AfterCheck,
                        });
                        State::ListItems { field }
                    }
                    State::Operand | State::FieldArg | State::AfterOp { .. }
                        if after_transformer =>
                    {
                        let resume = match s {
                            State::Operand => State::AfterField(String::new()),
                            State::FieldArg => State::FieldArg,
                            _ => State::AfterCheck,
                        };
                        stack.push(Frame { resume });
                        State::FieldArg
                    }
                    State::FieldArg => {
                        stack.push(Frame {
                            resume: State::FieldArg,
                        });
                        State::FieldArg
                    }
                    _ => {
                        stack.push(Frame {
                            resume: State::AfterCheck,
                        });
                        State::Operand
                    }
                }
            }
            (_, Tok::Close) => stack.pop().map_or(State::AfterCheck, |f| f.resume),
            (State::Operand, Tok::Word(w)) => match *w {
                "not" => State::Operand,
                w if is_transformer(w) => State::Operand,
                w if resolves(w) || w.contains('.') => State::AfterField(w.to_string()),
                _ => State::AfterCheck,
            },
            (State::AfterField(f), Tok::Word(w)) => {
                if *w == "exists" {
                    State::AfterCheck
                } else if LIST_OPS.contains(w) {
                    State::AfterOp {
                        field: f,
                        list: true,
                    }
                } else if is_word_op(w) {
                    State::AfterOp {
                        field: f,
                        list: false,
                    }
                } else {
                    State::AfterCheck
                }
            }
            (State::AfterField(f), Tok::Sym) => State::AfterOp {
                field: f,
                list: false,
            },
            (State::AfterOp { field, .. }, Tok::Word(w)) if MODIFIERS.contains(w) => {
                State::AfterOp { field, list: true }
            }
            (State::AfterOp { field, list }, Tok::Word(w)) if is_transformer(w) => {
                State::AfterOp { field, list }
            }
            (State::AfterOp { .. }, _) => State::AfterCheck,
            (State::ListItems { field }, _) => State::ListItems { field },
            (State::FieldArg, _) => State::FieldArg,
            (State::AfterCheck, Tok::Word("and" | "or")) => State::Operand,
            (s @ State::AfterCheck, _) => s,
            (_, _) => State::AfterCheck,
        };
        prev_word = word;
    }
    state
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Start of the word that ends at the end of `s`.
fn word_start(s: &str) -> usize {
    s.char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(s.len(), |(i, _)| i)
}

pub fn completions(a: &Analysis, pos: FilePosition) -> Vec<CompletionItem> {
    let Some(yaml) = a.yaml(pos.file) else {
        return Vec::new();
    };
    let text = a.file_text(pos.file);
    let Some((item, spot)) = locate::locate(yaml, text, pos.offset) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match spot {
        Spot::Condition(v) => condition(a, &item, &v, &mut out),
        Spot::Output(v) => output(a, &item, &v, &mut out),
        Spot::ListItem(v) => {
            let before = v.before();
            let ws = word_start(&before);
            let replace = v.file_span(Span::new(ws as u32, v.offset));
            lists(a, &before[ws..], item.name_str(), replace, false, &mut out);
        }
        _ => {}
    }
    out.sort_by(|x, y| (x.rank, &x.label).cmp(&(y.rank, &y.label)));
    out.dedup_by(|x, y| x.label == y.label && x.kind == y.kind);
    out
}

/// The fields a condition or output of this item can use whose names
/// start with `prefix` (tested first: it is the cheapest test).
fn visible_fields(
    a: &Analysis,
    item: &ItemCtx<'_>,
    prefix: &str,
    output: bool,
) -> Vec<&'static FieldInfo> {
    let plugins = a.plugins();
    let base = Scope::new(
        item.source().unwrap_or("syscall"),
        &plugins,
        a.config().imported.as_ref(),
    );
    let scopes: Vec<Scope> = if item.kind == ItemKind::Rule {
        vec![base]
    } else {
        base.known_sources()
            .into_iter()
            .map(|s| base.for_source(s))
            .collect()
    };
    catalog()
        .fields()
        .iter()
        .filter(|f| f.name.starts_with(prefix) && !f.hidden && !f.table_only)
        .filter(|f| {
            if output {
                !f.filter_only
            } else {
                !f.output_only
            }
        })
        .filter(|f| scopes.iter().any(|s| s.field_scope().sees(f)))
        .chain(scopes.iter().flat_map(|s| {
            s.imported().into_iter().flat_map(|imp| {
                imp.fields_for(&s.source)
                    .filter(|f| f.name.starts_with(prefix))
                    .collect::<Vec<_>>()
            })
        }))
        .collect()
}

/// Up to this many completion items carry their documentation; longer
/// lists leave fields' documentation out (clients ask for the item they
/// show: [`super::field_documentation`]).
pub const EAGER_DOCS: usize = 12;

fn fields(
    a: &Analysis,
    item: &ItemCtx<'_>,
    prefix: &str,
    replace: Span,
    output: bool,
    out: &mut Vec<CompletionItem>,
) {
    let fields = visible_fields(a, item, prefix, output);
    let eager = fields.len() <= EAGER_DOCS;
    for f in fields {
        let ty = f.arg_type();
        let mut detail = ty.to_string();
        if f.requires_arg() {
            detail.push_str(" · argument required");
        }
        out.push(CompletionItem {
            label: f.name.to_string(),
            kind: CompletionKind::Field,
            detail: Some(detail),
            documentation: eager.then(|| field_doc(f, ty)),
            insert_text: f.name.to_string(),
            replace,
            deprecated: f.deprecated,
            rank: 2,
        });
    }
}

fn macros(
    a: &Analysis,
    prefix: &str,
    this: Option<&str>,
    replace: Span,
    out: &mut Vec<CompletionItem>,
) {
    for m in &a.collected().macros {
        if !m.name.starts_with(prefix) || Some(m.name.as_str()) == this {
            continue;
        }
        out.push(CompletionItem {
            label: m.name.to_string(),
            kind: CompletionKind::Macro,
            detail: Some("macro".into()),
            documentation: Some(format!("```\n{}\n```", m.condition.text.trim())),
            insert_text: m.name.to_string(),
            replace,
            deprecated: false,
            rank: 1,
        });
    }
}

fn lists(
    a: &Analysis,
    prefix: &str,
    this: Option<&str>,
    replace: Span,
    parens: bool,
    out: &mut Vec<CompletionItem>,
) {
    let c = a.collected();
    let expanded = &a.compiled().list_items;
    for (i, l) in c.lists.iter().enumerate() {
        if !l.name.starts_with(prefix) || Some(l.name.as_str()) == this {
            continue;
        }
        let items = expanded.get(i).map_or(l.items.len(), Vec::len);
        let shown: Vec<&str> = expanded
            .get(i)
            .map(|v| v.iter().take(20).map(String::as_str).collect())
            .unwrap_or_default();
        out.push(CompletionItem {
            label: l.name.to_string(),
            kind: CompletionKind::List,
            detail: Some(format!(
                "list · {items} item{}",
                if items == 1 { "" } else { "s" }
            )),
            documentation: Some(shown.join(", ")),
            insert_text: if parens {
                format!("({})", l.name)
            } else {
                l.name.to_string()
            },
            replace,
            deprecated: false,
            rank: 1,
        });
    }
}

fn keywords(words: &[&str], prefix: &str, replace: Span, out: &mut Vec<CompletionItem>) {
    for w in words {
        if w.starts_with(prefix) {
            out.push(CompletionItem {
                label: w.to_string(),
                kind: CompletionKind::Keyword,
                detail: None,
                documentation: None,
                insert_text: w.to_string(),
                replace,
                deprecated: false,
                rank: 0,
            });
        }
    }
}

fn event_types(prefix: &str, replace: Span, out: &mut Vec<CompletionItem>) {
    for e in catalog().event_type_names() {
        if e.starts_with(prefix) {
            out.push(CompletionItem {
                label: e.to_string(),
                kind: CompletionKind::Value,
                detail: Some("event type".into()),
                documentation: None,
                insert_text: e.to_string(),
                replace,
                deprecated: false,
                rank: 3,
            });
        }
    }
}

fn condition(a: &Analysis, item: &ItemCtx<'_>, v: &ValueAt<'_>, out: &mut Vec<CompletionItem>) {
    let before = v.before();
    let ws = word_start(&before);
    let prefix = &before[ws..];
    let replace = v.file_span(Span::new(ws as u32, v.offset));
    let plugins = a.plugins();
    let scope = Scope::new(
        item.source().unwrap_or("syscall"),
        &plugins,
        a.config().imported.as_ref(),
    );
    let resolves = |w: &str| catalog().resolve_text(w, &scope.field_scope()).is_ok();
    let this = (item.kind == ItemKind::Macro)
        .then(|| item.name_str())
        .flatten();
    match scan(&before[..ws], &resolves) {
        State::Operand => {
            fields(a, item, prefix, replace, false, out);
            if !prefix.contains('.') {
                macros(a, prefix, this, replace, out);
                keywords(&["not"], prefix, replace, out);
                for t in TransformerKind::ALL {
                    if t.as_str().starts_with(prefix) {
                        out.push(CompletionItem {
                            label: t.as_str().to_string(),
                            kind: CompletionKind::Transformer,
                            detail: Some("transformer".into()),
                            documentation: None,
                            insert_text: format!("{}(", t.as_str()),
                            replace,
                            deprecated: false,
                            rank: 3,
                        });
                    }
                }
            }
        }
        State::FieldArg => fields(a, item, prefix, replace, false, out),
        State::AfterField(field) => {
            let ops = match catalog().resolve_text(&field, &scope.field_scope()) {
                Ok(r) => operators_for(r.ty, r.is_list),
                Err(_) => OpKind::ALL.to_vec(),
            };
            for info in OPERATORS.iter().filter(|o| ops.contains(&o.op)) {
                let label = info.op.as_str();
                if !label.starts_with(prefix) {
                    continue;
                }
                out.push(CompletionItem {
                    label: label.to_string(),
                    kind: CompletionKind::Operator,
                    detail: Some("operator".into()),
                    documentation: Some(info.description.to_string()),
                    insert_text: label.to_string(),
                    replace,
                    deprecated: false,
                    rank: 0,
                });
            }
        }
        State::AfterOp { field, list } => {
            if list {
                lists(a, prefix, None, replace, true, out);
            } else if field == "evt.type" {
                event_types(prefix, replace, out);
            }
        }
        State::ListItems { field } => {
            lists(a, prefix, None, replace, false, out);
            if field == "evt.type" {
                event_types(prefix, replace, out);
            }
        }
        State::AfterCheck => keywords(&["and", "or"], prefix, replace, out),
    }
}

fn output(a: &Analysis, item: &ItemCtx<'_>, v: &ValueAt<'_>, out: &mut Vec<CompletionItem>) {
    if v.past_end {
        return;
    }
    let before = &v.value()[..v.offset as usize];
    let Some(pct) = before.rfind('%') else {
        return;
    };
    let token = &before[pct + 1..];
    let digits = token.bytes().take_while(u8::is_ascii_digit).count();
    let prefix = &token[digits..];
    if !prefix.chars().all(is_word_char) {
        return;
    }
    let start = (pct + 1 + digits) as u32;
    let replace = v.file_span(Span::new(start, v.offset));
    fields(a, item, prefix, replace, true, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(s: &str) -> State {
        scan(s, &|w| w.contains('.'))
    }

    #[test]
    fn scanner_states() {
        assert_eq!(st(""), State::Operand);
        assert_eq!(st("a and not "), State::Operand);
        assert_eq!(st("proc.name "), State::AfterField("proc.name".into()));
        assert_eq!(
            st("evt.type = "),
            State::AfterOp {
                field: "evt.type".into(),
                list: false
            }
        );
        assert_eq!(
            st("evt.type in (open, "),
            State::ListItems {
                field: "evt.type".into()
            }
        );
        assert_eq!(
            st("proc.name = oneof "),
            State::AfterOp {
                field: "proc.name".into(),
                list: true
            }
        );
        assert_eq!(st("proc.name in (a, b) "), State::AfterCheck);
        assert_eq!(st("proc.name in (a, b) and ("), State::Operand);
        assert_eq!(st("tolower("), State::FieldArg);
        assert_eq!(st("tolower(proc.name) "), State::AfterField(String::new()));
        assert_eq!(st("x = 'a b' "), State::AfterCheck);
        assert_eq!(st("spawned_process "), State::AfterCheck);
        assert_eq!(st(")))((( and or not = ,"), State::AfterCheck);
    }

    #[test]
    fn word_starts() {
        assert_eq!(word_start("a and proc.na"), 6);
        assert_eq!(word_start("a and "), 6);
        assert_eq!(word_start("é"), 2);
    }
}
