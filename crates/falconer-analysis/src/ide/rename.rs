//! Rename of macros, lists and rules across every file of the workspace.
//!
//! The places renamed are `occurrences`: every item of that kind and name
//! (definitions, appends, overrides, enable-only rules) and every
//! reference (macros: identifiers in operand position; lists: the words
//! Falco's list substitution replaces, other lists' entries, exception
//! values; rules have no references). A list word inside a quoted string
//! of a condition is a value to the reader and is left alone.
//!
//! A rename is refused, with a message saying why, when:
//! * the cursor is not on a macro, list or rule name (fields, operators,
//!   values...), or the name is defined by no item;
//! * the new name is not valid for the kind: macros need Falco's macro
//!   name form and must read as a macro reference in every operand
//!   position of the condition grammar; lists need Falco's list name form
//!   and, since a list name is written unquoted in conditions and YAML, a
//!   plain set of characters; `and`, `or`, `not` are refused for both;
//! * it collides: an item of that name exists, a macro would be replaced
//!   by a list's substitution, a list name would capture a word already
//!   written in a condition, or an undefined macro reference would become
//!   bound;
//! * some occurrence is written with YAML escapes (its bytes in the file
//!   are not the name), or the edited YAML would not read back as
//!   intended.
//!
//! Edits replace exactly the name's bytes; a rule name (any text) is
//! rewritten as a whole scalar, in its style when YAML reads it back
//! unchanged, else double-quoted.

use super::edit::{
    check_scalar_edits, encode_scalar, replaced_value, ScalarCheck, SourceChange, TextEdit,
};
use super::locate::{self, Spot};
use super::navigation::{target_at, Target};
use super::occurrences::{occurrences, Occurrence};
use super::{Analysis, FilePosition, SymbolKind};
use crate::FileId;
use falconer_syntax::visit::{macro_refs, node_at, Node};
use falconer_text::Span;
use std::collections::BTreeMap;

/// What a rename at a position would rename.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RenameTarget {
    pub kind: SymbolKind,
    pub name: String,
    /// The name under the cursor, in the file.
    pub span: Span,
}

/// Why a rename is refused (a sentence for the user).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RenameError(pub String);

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, RenameError> {
    Err(RenameError(msg.into()))
}

fn kind_word(t: &Target) -> &'static str {
    match t {
        Target::List(_) => "list",
        Target::Macro(_) => "macro",
        Target::Rule(_) => "rule",
    }
}

/// Checks that the cursor is on a renameable name and returns it.
pub fn prepare_rename(a: &Analysis, pos: FilePosition) -> Result<RenameTarget, RenameError> {
    let Some((t, span)) = target_at(a, pos) else {
        return err(not_renameable(a, pos));
    };
    let all = occurrences(a, &t, 0..a.file_count() as FileId);
    if !all.iter().any(|o| o.decl) {
        return err(format!(
            "{} '{}' is not defined by any item of the workspace",
            kind_word(&t),
            t.name()
        ));
    }
    // On an item's name: the name's text (inside quotes, if any).
    let span = all
        .iter()
        .find(|o| o.file == pos.file && o.node.span.touches(pos.offset) && o.decl)
        .map_or(span, |o| o.span);
    Ok(RenameTarget {
        kind: match t {
            Target::List(_) => SymbolKind::List,
            Target::Macro(_) => SymbolKind::Macro,
            Target::Rule(_) => SymbolKind::Rule,
        },
        name: t.name().to_string(),
        span,
    })
}

/// Why the position has nothing to rename.
fn not_renameable(a: &Analysis, pos: FilePosition) -> String {
    let generic = "Only the names of macros, lists and rules can be renamed".to_string();
    let Some(yaml) = a.yaml(pos.file) else {
        return generic;
    };
    let Some((_, spot)) = locate::locate(yaml, a.file_text(pos.file), pos.offset) else {
        return generic;
    };
    match spot {
        Spot::Condition(v) => {
            let parsed = a.parse_written(v.value());
            let node = parsed.expr.as_ref().and_then(|e| node_at(e, v.offset));
            match node.map(|n| n.node) {
                Some(Node::Field { field, .. }) => format!(
                    "'{}' is a field of Falco's catalog: fields cannot be renamed",
                    field.name
                ),
                Some(Node::Operator(op)) => format!(
                    "'{}' is an operator of the condition language: operators cannot be renamed",
                    op.text()
                ),
                Some(Node::Transformer { transformer, .. }) => format!(
                    "'{}' is a transformer of the condition language: it cannot be renamed",
                    transformer.kind.as_str()
                ),
                Some(Node::Value { value, .. }) => format!(
                    "'{}' is a value, not the name of a macro or list",
                    value.text
                ),
                Some(Node::ListName(n)) => {
                    format!("'{}' is not the name of a list of the workspace", n.text)
                }
                _ => generic,
            }
        }
        Spot::Output(_) => {
            "Outputs hold fields of Falco's catalog: they cannot be renamed".to_string()
        }
        Spot::ExceptionValue(n) => format!(
            "'{}' is a value, not the name of a list of the workspace",
            n.as_str().unwrap_or("")
        ),
        Spot::ListItem(v) => format!(
            "'{}' is a value, not the name of a list of the workspace",
            v.value()
        ),
        _ => generic,
    }
}

const KEYWORDS: [&str; 3] = ["and", "or", "not"];

/// Whether `name` matches Falco's macro name form `[a-zA-Z]+[a-zA-Z0-9_]*`.
fn falco_macro_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Whether the condition grammar reads `name` as a macro reference in
/// every operand position.
fn reads_as_macro(a: &Analysis, name: &str) -> bool {
    let contexts = [
        (name.to_string(), 1),
        (format!("{name} and {name}"), 2),
        (format!("{name} or not {name}"), 2),
        (format!("not {name}"), 1),
        (format!("({name}) and evt.num > 0"), 1),
        (format!("evt.num > 0 and {name}"), 1),
    ];
    contexts.iter().all(|(text, n)| {
        let p = a.parse_condition(text);
        p.is_ok()
            && p.expr.as_ref().is_some_and(|e| {
                let refs = macro_refs(e);
                refs.len() == *n && refs.iter().all(|r| r.text == name)
            })
    })
}

/// Characters a list name may have so that it is written unquoted in
/// conditions and in every YAML position.
fn plain_list_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
}

fn validate(a: &Analysis, t: &Target, new: &str) -> Result<(), RenameError> {
    match t {
        Target::Macro(_) => {
            if KEYWORDS.contains(&new) {
                return err(format!("'{new}' is a keyword of the condition language"));
            }
            if !falco_macro_name(new) {
                return err(format!(
                    "'{new}' is not a valid macro name: a macro name is a letter followed by letters, digits and '_' (Falco cannot refer to any other)"
                ));
            }
            if !reads_as_macro(a, new) {
                return err(format!(
                    "'{new}' is not read as a macro reference by the condition grammar"
                ));
            }
        }
        Target::List(_) => {
            if KEYWORDS.contains(&new) {
                return err(format!(
                    "'{new}' is a keyword of the condition language: list substitution would replace it in every condition"
                ));
            }
            if !crate::checks::read::is_valid_list_name(new) {
                return err(format!(
                    "'{new}' is not a valid list name: blanks, quotes, '(', ')', '=' and ',' cannot be part of a list name"
                ));
            }
            if !plain_list_name(new) {
                return err(format!(
                    "'{new}' cannot be written unquoted in conditions and YAML: use letters, digits, '_', '-', '.' and '/'"
                ));
            }
        }
        Target::Rule(_) => {
            if new.trim().is_empty() {
                return err("A rule name cannot be empty");
            }
            if new.chars().any(char::is_control) {
                return err("A rule name cannot hold line breaks or control characters");
            }
        }
    }
    Ok(())
}

/// `file:line` of an offset (1-based line), for messages.
fn where_(a: &Analysis, file: FileId, offset: u32) -> String {
    let text = a.file_text(file);
    let end = (offset as usize).min(text.len());
    let line = text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let path = a.file_path(file);
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    format!("{name}:{line}")
}

fn collisions(a: &Analysis, t: &Target, new: &str) -> Result<(), RenameError> {
    let files = || 0..a.file_count() as FileId;
    let declared = |t: Target| -> Option<(FileId, u32)> {
        occurrences(a, &t, files())
            .into_iter()
            .find(|o| o.decl)
            .map(|o| (o.file, o.span.start))
    };
    match t {
        Target::Macro(_) => {
            if let Some((f, o)) = declared(Target::Macro(new.into())) {
                return err(format!(
                    "A macro named '{new}' already exists ({})",
                    where_(a, f, o)
                ));
            }
            if let Some((f, o)) = declared(Target::List(new.into())) {
                return err(format!(
                    "A list named '{new}' exists ({}): list substitution would replace the macro's references",
                    where_(a, f, o)
                ));
            }
            if let Some(o) = occurrences(a, &Target::Macro(new.into()), files()).first() {
                return err(format!(
                    "'{new}' is already used as a macro reference ({}): the rename would bind it",
                    where_(a, o.file, o.span.start)
                ));
            }
        }
        Target::List(_) => {
            if let Some((f, o)) = declared(Target::List(new.into())) {
                return err(format!(
                    "A list named '{new}' already exists ({})",
                    where_(a, f, o)
                ));
            }
            if let Some((f, o)) = declared(Target::Macro(new.into())) {
                return err(format!(
                    "A macro named '{new}' exists ({}): list substitution would replace its references",
                    where_(a, f, o)
                ));
            }
            if let Some(o) = occurrences(a, &Target::List(new.into()), files()).first() {
                return err(format!(
                    "'{new}' is already written as a word in a condition or a list ({}): list substitution would replace it",
                    where_(a, o.file, o.span.start)
                ));
            }
        }
        Target::Rule(_) => {
            if let Some((f, o)) = declared(Target::Rule(new.into())) {
                return err(format!(
                    "A rule named '{new}' already exists ({})",
                    where_(a, f, o)
                ));
            }
        }
    }
    Ok(())
}

/// Renames the macro, list or rule at `pos` to `new_name` everywhere.
pub fn rename(
    a: &Analysis,
    pos: FilePosition,
    new_name: &str,
) -> Result<SourceChange, RenameError> {
    let target = prepare_rename(a, pos)?;
    let t = match target.kind {
        SymbolKind::List => Target::List(target.name.clone()),
        SymbolKind::Macro => Target::Macro(target.name.clone()),
        _ => Target::Rule(target.name.clone()),
    };
    if new_name == t.name() {
        return err(format!(
            "The {} is already named '{new_name}'",
            kind_word(&t)
        ));
    }
    validate(a, &t, new_name)?;
    collisions(a, &t, new_name)?;
    let occ: Vec<Occurrence<'_>> = occurrences(a, &t, 0..a.file_count() as FileId)
        .into_iter()
        .filter(|o| !o.in_quotes)
        .collect();
    // Group by file, then by scalar node.
    let mut by_file: BTreeMap<FileId, Vec<&Occurrence<'_>>> = BTreeMap::new();
    for o in &occ {
        by_file.entry(o.file).or_default().push(o);
    }
    let mut change = SourceChange::default();
    for (file, list) in by_file {
        let text = a.file_text(file);
        let mut edits: Vec<TextEdit> = Vec::new();
        let mut checks: Vec<ScalarCheck> = Vec::new();
        let mut nodes: BTreeMap<u32, Vec<&Occurrence<'_>>> = BTreeMap::new();
        for o in list {
            nodes.entry(o.node.span.start).or_default().push(o);
        }
        for (_, os) in nodes {
            let node = os[0].node;
            let Some(s) = node.as_scalar() else {
                return err(format!(
                    "The {} name at {} is not a plain YAML value",
                    kind_word(&t),
                    where_(a, file, node.span.start)
                ));
            };
            let whole_rule_name = matches!(t, Target::Rule(_));
            if whole_rule_name {
                let form = encode_scalar(s.style, new_name).into_iter().find(|cand| {
                    let e = TextEdit {
                        span: node.span,
                        new_text: cand.clone(),
                    };
                    let c = ScalarCheck {
                        node_span: node.span,
                        expected: new_name.to_string(),
                    };
                    check_scalar_edits(text, &[e], &[c])
                });
                let Some(form) = form else {
                    return err(format!(
                        "'{new_name}' cannot be written as the rule name at {}",
                        where_(a, file, node.span.start)
                    ));
                };
                edits.push(TextEdit {
                    span: node.span,
                    new_text: form,
                });
                checks.push(ScalarCheck {
                    node_span: node.span,
                    expected: new_name.to_string(),
                });
                continue;
            }
            let mut repl: Vec<(Span, &str)> = Vec::new();
            for o in os {
                if text.get(o.span.range()) != Some(t.name()) {
                    return err(format!(
                        "The occurrence of '{}' at {} is written with YAML escapes or over several lines: rename it by hand first",
                        t.name(),
                        where_(a, file, o.span.start)
                    ));
                }
                edits.push(TextEdit {
                    span: o.span,
                    new_text: new_name.to_string(),
                });
                repl.push((o.range, new_name));
            }
            repl.sort_by_key(|(r, _)| r.start);
            checks.push(ScalarCheck {
                node_span: node.span,
                expected: replaced_value(s, &repl),
            });
        }
        edits.sort();
        edits.dedup();
        if edits.windows(2).any(|w| w[0].span.end > w[1].span.start) {
            return err("Two occurrences overlap: rename by hand");
        }
        if !check_scalar_edits(text, &edits, &checks) {
            return err(format!(
                "The renamed YAML in {} would not read back as intended",
                where_(a, file, edits.first().map_or(0, |e| e.span.start))
            ));
        }
        for e in edits {
            change.push(file, e);
        }
    }
    Ok(change)
}
