//! Code actions: quick fixes for diagnostics, deprecated constructs, and a
//! condition refactoring.
//!
//! * **Did you mean**: every diagnostic with a [`Suggestion`] (unknown
//!   field, undefined macro, list typo, unknown key, priority, override
//!   operation, output field) becomes "Change to 'x'".
//! * **Missing keys**: a rule without `output`, `desc` or `priority` gets
//!   all of the missing ones at once (Falco reports only the first, so
//!   adding one would reveal the next), under the item's other keys:
//!   `output` and `desc` are the rule's name, `priority` is `WARNING`;
//!   a list without `items` gets `items: []`. (A missing condition has no
//!   meaningful placeholder and is left to the user.)
//! * **Deprecated `append: true`** (macros, lists, rules in append form)
//!   becomes the `override:` map naming the keys the item appends; a
//!   standalone `enabled` rule gets `override: {enabled: replace}`.
//! * **Deprecated fields** the catalog names a replacement for (e.g.
//!   `ec2.imageid` → `ec2.imageids[0]`): offered at the cursor when the
//!   replacement resolves for the rule's source and accepts the same
//!   operator.
//! * **Refactor** `f = a or f = b or f = c` → `f in (a, b, c)`: only when
//!   every operand compares the same field (same argument, no
//!   transformer) with `=`/`==` and a value, the field is not
//!   list-valued and accepts `in`, and no value is a list name (list
//!   substitution would change it); values are written with the
//!   printer's quoting.
//!
//! Every edit goes through `edit`: text inside scalars is replaced only
//! where the file holds the value's bytes verbatim, and the edited file
//! is re-parsed to check that YAML reads what was intended.

use super::edit::{
    apply_edits, edit_scalar, encode_scalar, line_break, line_end, line_start, SourceChange,
    TextEdit,
};
use super::locate::{self, parenthesised, value_offset, ItemCtx, ItemKind};
use super::{Analysis, FilePosition};
use crate::cat;
use crate::checks::output::token_compiles;
use crate::{Diagnostic, FileId, Suggestion};
use falconer_catalog::{catalog, ArgType, OpKind};
use falconer_syntax::ast::{Expr, FieldRef, Lhs, Rhs};
use falconer_syntax::output::parse_output;
use falconer_syntax::quote_value;
use falconer_syntax::visit::{walk_expr, walk_nodes, FieldRole, Node};
use falconer_text::Span;
use falconer_yaml::{Node as YNode, NodeKind, YamlFile};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodeActionKind {
    QuickFix,
    /// A rewrite that keeps the meaning.
    RefactorRewrite,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAction {
    pub title: String,
    pub kind: CodeActionKind,
    /// The diagnostic it fixes.
    pub diagnostic: Option<Diagnostic>,
    pub change: SourceChange,
    pub preferred: bool,
}

/// The actions for `range` of `file`.
pub fn code_actions(a: &Analysis, file: FileId, range: Span) -> Vec<CodeAction> {
    let mut out = Vec::new();
    let Some(yaml) = a.yaml(file) else {
        return out;
    };
    let text = a.file_text(file);
    for d in a.diagnostics().iter() {
        if d.loc.file != file || !overlaps(d.loc.span, range) {
            continue;
        }
        if let Some(s) = &d.suggestion {
            out.extend(suggestion_fix(text, yaml, file, d, s));
        }
        match d.code {
            "missing-key" => out.extend(missing_keys_fix(text, yaml, file, d)),
            "deprecated-item" => out.extend(deprecated_item_fix(text, yaml, file, d)),
            _ => {}
        }
    }
    out.extend(deprecated_field_fixes(a, yaml, file, range));
    out.extend(or_to_in(a, yaml, file, range));
    out
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start <= b.end && b.start <= a.end
}

fn single(file: FileId, edits: Vec<TextEdit>) -> SourceChange {
    let mut c = SourceChange::default();
    for e in edits {
        c.push(file, e);
    }
    c
}

/// The innermost scalar node whose span holds `span`.
fn scalar_around(yaml: &YamlFile, span: Span) -> Option<&YNode> {
    let mut best: Option<&YNode> = None;
    let mut stack: Vec<&YNode> = yaml
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .collect();
    while let Some(n) = stack.pop() {
        if !(n.span.start <= span.start && span.end <= n.span.end) {
            continue;
        }
        match &n.kind {
            NodeKind::Scalar(_) => {
                if best.is_none_or(|b| n.span.len() <= b.span.len()) {
                    best = Some(n);
                }
            }
            NodeKind::Sequence { items, .. } => stack.extend(items),
            NodeKind::Mapping { entries, .. } => {
                for e in entries {
                    stack.push(&e.key);
                    stack.push(&e.value);
                }
            }
            NodeKind::Null => {}
        }
    }
    best
}

/// A scalar's value range for a file span inside it.
fn value_range(n: &YNode, span: Span) -> Option<Span> {
    let s = n.as_scalar()?;
    Some(Span::new(
        value_offset(s, span.start),
        value_offset(s, span.end),
    ))
}

fn suggestion_fix(
    text: &str,
    yaml: &YamlFile,
    file: FileId,
    d: &Diagnostic,
    s: &Suggestion,
) -> Option<CodeAction> {
    let node = scalar_around(yaml, s.span)?;
    let r = value_range(node, s.span)?;
    let edits = edit_scalar(text, node, &[(r, s.replacement.as_str())])?;
    Some(CodeAction {
        title: format!("Change to '{}'", s.replacement),
        kind: CodeActionKind::QuickFix,
        diagnostic: Some(d.clone()),
        change: single(file, edits),
        preferred: true,
    })
}

/// The top-level item whose kind key (`rule`, `macro`...) is at `key`.
fn item_with_key(yaml: &YamlFile, key: Span) -> Option<ItemCtx<'_>> {
    locate::top_items(yaml).find(|i| {
        i.node
            .as_mapping()
            .is_some_and(|m| m.iter().any(|e| e.key.span == key))
    })
}

/// Column of the item's keys.
fn key_indent(text: &str, item: &YNode) -> Option<usize> {
    let first = item.as_mapping()?.first()?;
    let ls = line_start(text, first.key.span.start);
    Some((first.key.span.start - ls) as usize)
}

/// Applies `edits`, re-reads the text and asks `check` about the item
/// starting at `item_start`; false when the edit adds a YAML error or the
/// item is gone.
fn edited_item_reads(
    text: &str,
    edits: &[TextEdit],
    item_start: u32,
    check: impl FnOnce(&YNode) -> bool,
) -> bool {
    let new_text = apply_edits(text, edits);
    let before = falconer_yaml::parse(text).errors.len();
    let yaml = falconer_yaml::parse(&new_text);
    if yaml.errors.len() > before {
        return false;
    }
    let found = locate::top_items(&yaml)
        .find(|i| i.node.span.start == item_start)
        .is_some_and(|item| check(item.node));
    found
}

/// Checks that after `edits` the item starting at `item_start` has the
/// given keys with the given values (and no new YAML error).
fn item_reads(text: &str, edits: &[TextEdit], item_start: u32, keys: &[(&str, &str)]) -> bool {
    edited_item_reads(text, edits, item_start, |node| {
        keys.iter()
            .all(|(k, v)| node.get(k).is_some_and(|e| e.value.as_str() == Some(v)))
    })
}

/// Inserts `key: value` lines (in order) after the item's last line.
fn insert_keys(text: &str, item: &YNode, keys: &[(&str, String)]) -> Option<TextEdit> {
    let indent = " ".repeat(key_indent(text, item)?);
    let nl = line_break(text);
    let at = line_end(text, item.span.end);
    let mut ins = String::new();
    for (k, v) in keys {
        ins.push_str(nl);
        ins.push_str(&indent);
        ins.push_str(k);
        ins.push_str(": ");
        ins.push_str(v);
    }
    Some(TextEdit {
        span: Span::empty(at),
        new_text: ins,
    })
}

fn missing_keys_fix(
    text: &str,
    yaml: &YamlFile,
    file: FileId,
    d: &Diagnostic,
) -> Option<CodeAction> {
    let item = item_with_key(yaml, d.loc.span)?;
    let node = item.node;
    let has = |k: &str| node.get(k).is_some();
    let wanted: Vec<(&str, String)> = match item.kind {
        ItemKind::Rule => {
            // Only full definitions need the four keys.
            let override_form = node
                .get("override")
                .is_some_and(|e| e.value.as_mapping().is_some_and(|m| !m.is_empty()));
            let append_form = node
                .get("append")
                .and_then(|e| e.value.as_str())
                .is_some_and(is_true);
            if override_form || append_form || !has("condition") {
                return None;
            }
            let name = item.name_str().unwrap_or("").trim();
            let text_value = if name.is_empty() || name.contains('%') {
                "TODO".to_string()
            } else {
                name.to_string()
            };
            let mut v = Vec::new();
            for (k, val) in [
                ("output", text_value.clone()),
                ("desc", text_value),
                ("priority", "WARNING".to_string()),
            ] {
                if !has(k) {
                    v.push((k, val));
                }
            }
            v
        }
        ItemKind::List if !has("items") => vec![("items", "[]".to_string())],
        _ => return None,
    };
    if wanted.is_empty() {
        return None;
    }
    // Each value in the first form YAML reads back unchanged.
    let mut keys: Vec<(&str, String)> = Vec::new();
    let mut expect: Vec<(&str, String)> = Vec::new();
    for (k, v) in &wanted {
        if *v == "[]" {
            keys.push((k, v.clone()));
            continue;
        }
        let form = encode_scalar(falconer_yaml::ScalarStyle::Plain, v)
            .into_iter()
            .find(|f| {
                insert_keys(text, node, &[(k, f.clone())])
                    .is_some_and(|e| item_reads(text, &[e], node.span.start, &[(k, v)]))
            })?;
        keys.push((k, form));
        expect.push((k, v.clone()));
    }
    let edit = insert_keys(text, node, &keys)?;
    let exp: Vec<(&str, &str)> = expect.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if !item_reads(text, std::slice::from_ref(&edit), node.span.start, &exp) {
        return None;
    }
    let names: Vec<&str> = wanted.iter().map(|(k, _)| *k).collect();
    Some(CodeAction {
        title: if names.len() == 1 {
            format!("Add the missing key '{}'", names[0])
        } else {
            format!("Add the missing keys '{}'", names.join("', '"))
        },
        kind: CodeActionKind::QuickFix,
        diagnostic: Some(d.clone()),
        change: single(file, vec![edit]),
        preferred: true,
    })
}

fn deprecated_item_fix(
    text: &str,
    yaml: &YamlFile,
    file: FileId,
    d: &Diagnostic,
) -> Option<CodeAction> {
    // The diagnostic is on the `append` or `enabled` key.
    let item = locate::top_items(yaml).find(|i| i.node.span.touches(d.loc.span.start))?;
    let node = item.node;
    let entry = node
        .as_mapping()?
        .iter()
        .find(|e| e.key.span == d.loc.span)?;
    let nl = line_break(text);
    match entry.key.as_str()? {
        "append" => {
            if node.get("override").is_some() {
                return None;
            }
            let keys: Vec<&str> = match item.kind {
                ItemKind::List => vec!["items"],
                ItemKind::Macro => vec!["condition"],
                ItemKind::Rule => {
                    // Append form takes only these two; any other
                    // overridable key would become an error.
                    let others = crate::model::RULE_APPENDABLE
                        .iter()
                        .chain(crate::model::RULE_REPLACEABLE)
                        .any(|k| {
                            !matches!(*k, "condition" | "exceptions") && node.get(k).is_some()
                        });
                    if others {
                        return None;
                    }
                    ["condition", "exceptions"]
                        .into_iter()
                        .filter(|k| node.get(k).is_some())
                        .collect()
                }
                ItemKind::Other => return None,
            };
            if keys.iter().any(|k| node.get(k).is_none()) || keys.is_empty() {
                return None;
            }
            let col = (entry.key.span.start - line_start(text, entry.key.span.start)) as usize;
            let inner = " ".repeat(col + 2);
            let mut new_text = "override:".to_string();
            for k in &keys {
                new_text.push_str(nl);
                new_text.push_str(&inner);
                new_text.push_str(k);
                new_text.push_str(": append");
            }
            let edit = TextEdit {
                span: Span::new(entry.key.span.start, entry.value.span.end),
                new_text,
            };
            let ok = check_override(text, &edit, node.span.start, &keys, "append", true);
            ok.then(|| CodeAction {
                title: format!("Use 'override: {{{}: append}}'", keys.join(": append, ")),
                kind: CodeActionKind::QuickFix,
                diagnostic: Some(d.clone()),
                change: single(file, vec![edit]),
                preferred: true,
            })
        }
        "enabled" if item.kind == ItemKind::Rule && node.get("override").is_none() => {
            let indent = " ".repeat(key_indent(text, node)?);
            let at = line_end(text, node.span.end);
            let edit = TextEdit {
                span: Span::empty(at),
                new_text: format!("{nl}{indent}override:{nl}{indent}  enabled: replace"),
            };
            let ok = check_override(text, &edit, node.span.start, &["enabled"], "replace", false);
            ok.then(|| CodeAction {
                title: "Add 'override: {enabled: replace}'".to_string(),
                kind: CodeActionKind::QuickFix,
                diagnostic: Some(d.clone()),
                change: single(file, vec![edit]),
                preferred: true,
            })
        }
        _ => None,
    }
}

/// After `edit`, the item has an `override` map with `op` for each of
/// `keys` (and no `append` key when `no_append`).
fn check_override(
    text: &str,
    edit: &TextEdit,
    item_start: u32,
    keys: &[&str],
    op: &str,
    no_append: bool,
) -> bool {
    edited_item_reads(text, std::slice::from_ref(edit), item_start, |node| {
        let Some(ov) = node.get("override") else {
            return false;
        };
        (!no_append || node.get("append").is_none())
            && keys
                .iter()
                .all(|k| ov.value.get(k).and_then(|e| e.value.as_str()) == Some(op))
    })
}

/// The type of a field for an item (the rule's source; for a macro, the
/// first source where it resolves).
fn field_type(item: &ItemCtx<'_>, a: &Analysis, f: &FieldRef) -> Option<ArgType> {
    field_type_named(item, a, &f.name, f.arg.as_ref().map(|a| a.value.as_str()))
}

fn field_type_named(
    item: &ItemCtx<'_>,
    a: &Analysis,
    name: &str,
    arg: Option<&str>,
) -> Option<ArgType> {
    let base = a.scope(item.source().unwrap_or("syscall"));
    let sources: Vec<&str> = if item.kind == ItemKind::Rule {
        vec![item.source().unwrap_or("syscall")]
    } else {
        base.known_sources()
    };
    sources.into_iter().find_map(|src| {
        let scope = base.for_source(src);
        cat::resolve(&scope, name, arg).ok().map(|r| r.ext.current)
    })
}

/// Splits `ec2.imageids[0]` into name and argument.
fn split_field(text: &str) -> (&str, Option<&str>) {
    match text.find('[') {
        Some(i) if text.ends_with(']') => (&text[..i], Some(&text[i + 1..text.len() - 1])),
        _ => (text, None),
    }
}

/// A field in a scalar, with the operator of its check (and whether it
/// has a modifier) when it is the tested field, `None` in outputs.
type FieldUse<'a> = (&'a YNode, FieldRef, Option<(OpKind, bool)>);

fn deprecated_field_fixes(
    a: &Analysis,
    yaml: &YamlFile,
    file: FileId,
    range: Span,
) -> Vec<CodeAction> {
    let text = a.file_text(file);
    let mut out = Vec::new();
    for item in locate::top_items(yaml) {
        if !overlaps(item.node.span, range)
            || !matches!(item.kind, ItemKind::Macro | ItemKind::Rule)
        {
            continue;
        }
        // (scalar node, field, operator of its check if it is the tested
        // field, whether it is in an output)
        let mut found: Vec<FieldUse<'_>> = Vec::new();
        if let Some(e) = item.node.get("condition") {
            if let Some(s) = e.value.as_scalar() {
                let parsed = a.parse_written(&s.value);
                if let Some(expr) = &parsed.expr {
                    walk_nodes(expr, &mut |v| {
                        if let Node::Field { field, role } = v.node {
                            let span = s.source_span(field.span);
                            if overlaps(span, range) && role == FieldRole::Lhs {
                                let op = v.check.and_then(|c| c.operator());
                                found.push((
                                    &e.value,
                                    field.clone(),
                                    op.map(|o| (o.kind, o.modifier.is_some())),
                                ));
                            }
                        }
                    });
                }
            }
        }
        if item.kind == ItemKind::Rule {
            if let Some(e) = item.node.get("output") {
                if let Some(s) = e.value.as_scalar() {
                    let scope = a.scope(item.source().unwrap_or("syscall"));
                    let accepts = |lhs: &Lhs| token_compiles(&scope, lhs);
                    let fmt = parse_output(&s.value, &accepts);
                    for tok in fmt.tokens() {
                        if let Lhs::Field(f) = tok {
                            if overlaps(s.source_span(f.span), range) {
                                found.push((&e.value, f.clone(), None));
                            }
                        }
                    }
                }
            }
        }
        for (node, f, op) in found {
            let Some(info) = catalog().field(&f.name) else {
                continue;
            };
            let Some(repl) = info.replaced_by.filter(|_| info.deprecated) else {
                continue;
            };
            if f.arg.is_some() {
                continue;
            }
            let (name, arg) = split_field(repl);
            let Some(new_ty) = field_type_named(&item, a, name, arg) else {
                continue;
            };
            if let Some((op, has_mod)) = op {
                let old_ty = field_type(&item, a, &f);
                let ok = old_ty.is_some_and(|t| t.ty == new_ty.ty)
                    && cat::check_operator(new_ty, op, None).is_ok()
                    && !has_mod;
                if !ok {
                    continue;
                }
            }
            let Some(edits) = edit_scalar(text, node, &[(f.span, repl)]) else {
                continue;
            };
            out.push(CodeAction {
                title: format!("Replace the deprecated field '{}' with '{repl}'", f.name),
                kind: CodeActionKind::QuickFix,
                diagnostic: None,
                change: single(file, edits),
                preferred: false,
            });
        }
    }
    out
}

/// The field and value of `f = v` (no modifier, no transformer).
fn eq_check(e: &Expr) -> Option<(&FieldRef, &falconer_syntax::ast::Value)> {
    match e {
        Expr::Binary {
            lhs: Lhs::Field(f),
            op,
            rhs: Rhs::Value(v),
            ..
        } if matches!(op.kind, OpKind::Eq | OpKind::EqEq) && op.modifier.is_none() => Some((f, v)),
        _ => None,
    }
}

fn same_field(a: &FieldRef, b: &FieldRef) -> bool {
    a.name == b.name && a.arg.as_ref().map(|x| &x.value) == b.arg.as_ref().map(|x| &x.value)
}

fn or_to_in(a: &Analysis, yaml: &YamlFile, file: FileId, range: Span) -> Vec<CodeAction> {
    let text = a.file_text(file);
    let c = a.collected();
    let mut out = Vec::new();
    for item in locate::top_items(yaml) {
        if !overlaps(item.node.span, range)
            || !matches!(item.kind, ItemKind::Macro | ItemKind::Rule)
        {
            continue;
        }
        let Some(e) = item.node.get("condition") else {
            continue;
        };
        let Some(s) = e.value.as_scalar() else {
            continue;
        };
        let parsed = a.parse_written(&s.value);
        let Some(expr) = &parsed.expr else { continue };
        // Appended conditions are joined as text: an `or` chain at the top
        // level of a fragment, or of a condition others append to, takes
        // part in the joined text's precedence and must stay as it is.
        let top_level_fixed = super::fragment_keyword(&s.value).is_some()
            || item
                .name_str()
                .is_some_and(|n| condition_appended(yaml_all(a), item.kind, n));
        // The innermost `or` chain under the cursor that qualifies.
        let mut best: Option<(Span, String)> = None;
        walk_expr(expr, &mut |x| {
            let Expr::Or { children, span } = x else {
                return;
            };
            if top_level_fixed && *span == expr.span() && parenthesised(&s.value, *span).is_none() {
                return;
            }
            if !overlaps(s.source_span(*span), range) {
                return;
            }
            if best.as_ref().is_some_and(|(b, _)| b.len() <= span.len()) {
                return;
            }
            let checks: Option<Vec<_>> = children.iter().map(eq_check).collect();
            let Some(checks) = checks else { return };
            let (f0, _) = checks[0];
            if !checks.iter().all(|(f, _)| same_field(f, f0)) {
                return;
            }
            let Some(ty) = field_type(&item, a, f0) else {
                return;
            };
            if ty.is_list || cat::check_operator(ty, OpKind::In, None).is_err() {
                return;
            }
            let mut values = Vec::new();
            for (_, v) in &checks {
                if v.bytes.is_some() || c.list_by_name.get(&v.text).is_some() {
                    return;
                }
                values.push(quote_value(&v.text));
            }
            let field_text = &s.value[f0.span.range()];
            best = Some((*span, format!("{field_text} in ({})", values.join(", "))));
        });
        let Some((span, new_text)) = best else {
            continue;
        };
        // The result must still parse (when the original did).
        let new_value = super::edit::replaced_value(s, &[(span, new_text.as_str())]);
        if parsed.is_ok() && !a.parse_written(&new_value).is_ok() {
            continue;
        }
        let Some(edits) = edit_scalar(text, &e.value, &[(span, new_text.as_str())]) else {
            continue;
        };
        let shown = if new_text.chars().count() > 60 {
            let cut: String = new_text.chars().take(57).collect();
            format!("{cut}...")
        } else {
            new_text.clone()
        };
        out.push(CodeAction {
            title: format!("Convert to '{shown}'"),
            kind: CodeActionKind::RefactorRewrite,
            diagnostic: None,
            change: single(file, edits),
            preferred: false,
        });
    }
    out
}

/// The actions at a cursor (a zero-width range).
pub fn code_actions_at(a: &Analysis, pos: FilePosition) -> Vec<CodeAction> {
    code_actions(a, pos.file, Span::empty(pos.offset))
}

/// The YAML trees of every workspace file.
fn yaml_all(a: &Analysis) -> Vec<&YamlFile> {
    (0..a.file_count() as FileId)
        .filter_map(|f| a.yaml(f).map(|y| &**y))
        .collect()
}

/// Whether some item appends to the condition of the macro or rule
/// `name` (`append: true`, or `override: {condition: append}`).
fn condition_appended(files: Vec<&YamlFile>, kind: ItemKind, name: &str) -> bool {
    files.into_iter().any(|y| {
        locate::top_items(y).any(|i| {
            i.kind == kind
                && i.name_str() == Some(name)
                && (i
                    .node
                    .get("append")
                    .and_then(|e| e.value.as_str())
                    .is_some_and(is_true)
                    || i.node
                        .get("override")
                        .and_then(|e| e.value.get("condition"))
                        .and_then(|e| e.value.as_str())
                        == Some("append"))
        })
    })
}

/// yaml-cpp's spellings of true.
fn is_true(s: &str) -> bool {
    matches!(
        s,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y"
    )
}
