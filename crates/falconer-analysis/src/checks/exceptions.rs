//! Exceptions (LANGUAGE.md C.9): validation of fields/comps/values and the
//! synthesis of ` and not (...)` clauses that Falco folds into the rule
//! condition, with a source map back to the exception entries.

use crate::cat::{self, Scope};
use crate::collect::{ExceptionEntry, RuleEntry};
use crate::diagnostic::{Diagnostic, Loc};
use crate::model::{ExValue, Text};
use crate::source::{Composite, Part};
use falconer_syntax::ast::{Modifier, OpKind};

/// Whether `c` is `<strop> <modifier>` (e.g. `startswith oneof`).
fn is_modifier_pair(c: &str) -> bool {
    let mut it = c.split_whitespace();
    match (it.next(), it.next(), it.next()) {
        (Some(op), Some(m), None) => {
            OpKind::from_text(op).is_some_and(|o| o.is_string_op())
                && Modifier::from_text(m).is_some()
        }
        _ => false,
    }
}

fn is_list_comp(c: &str) -> bool {
    matches!(c, "in" | "intersects" | "pmatch") || is_modifier_pair(c)
}

/// Falco's quoting of an exception entry: only entries with a space that
/// do not start with a quote get double quotes.
fn needs_quotes(s: &str) -> bool {
    s.contains(' ') && !s.starts_with('"') && !s.starts_with('\'')
}

fn push_entry(c: &mut Composite, file: u32, t: &Text) {
    if needs_quotes(&t.value) {
        c.push_glue("\"", Loc { file, span: t.span });
        c.push_text(file, t);
        c.push_glue("\"", Loc { file, span: t.span });
    } else {
        c.push_text(file, t);
    }
}

/// Flattens a value to its scalar leaves (nested sequences count as one
/// level, as Falco joins them).
fn leaves(v: &ExValue) -> Vec<&Text> {
    let mut out = Vec::new();
    leaves_into(v, &mut out);
    out
}

fn leaves_into<'a>(v: &'a ExValue, out: &mut Vec<&'a Text>) {
    match v {
        ExValue::Scalar(t) => out.push(t),
        ExValue::Seq(items, _) => items.iter().for_each(|i| leaves_into(i, out)),
    }
}

fn push_list(c: &mut Composite, file: u32, v: &ExValue, at: Loc) {
    c.push_glue("(", at);
    let mut first = true;
    let mut push = |t: &Text| {
        if !std::mem::take(&mut first) {
            c.push_glue(", ", at);
        }
        push_entry(c, file, t);
    };
    fn each<'a>(v: &'a ExValue, f: &mut dyn FnMut(&'a Text)) {
        match v {
            ExValue::Scalar(t) => f(t),
            ExValue::Seq(items, _) => items.iter().for_each(|i| each(i, f)),
        }
    }
    each(v, &mut push);
    c.push_glue(")", at);
}

/// Validates the exceptions of a rule and appends the clauses of those
/// with values to `cond` (which the caller wrapped in parentheses).
/// Returns false when an error was reported.
pub fn fold_exceptions(
    rule: &RuleEntry,
    scope: Option<&Scope>,
    cond: &mut Composite,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let mut ok = true;
    for ex in &rule.exceptions {
        if !fold_one(ex, scope, cond, diags) {
            ok = false;
        }
    }
    ok
}

fn fold_one(
    e: &ExceptionEntry,
    scope: Option<&Scope>,
    cond: &mut Composite,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let file = e.item.file;
    let loc = |span| Loc { file, span };
    let ex = &e.ex;
    let mut err = |d: Diagnostic| {
        diags.push(d);
        false
    };
    let Some(fields) = &ex.fields else {
        return err(Diagnostic::new(
            "invalid-exception",
            loc(ex.name.span),
            "Rule exception item must have fields property with a list of fields",
        ));
    };
    let field_list: Vec<&Text> = match fields {
        ExValue::Scalar(t) => vec![t],
        ExValue::Seq(items, span) => {
            if items.is_empty() {
                return err(Diagnostic::new(
                    "invalid-exception",
                    loc(*span),
                    "Rule exception item must have fields property with a list of fields",
                ));
            }
            items.iter().flat_map(leaves).collect()
        }
    };
    // Comps.
    let comps: Vec<&str> = match (fields, &ex.comps) {
        (ExValue::Scalar(_), None) => vec!["in"],
        (ExValue::Scalar(_), Some(ExValue::Seq(_, s))) => {
            return err(Diagnostic::new(
                "invalid-exception",
                loc(*s),
                "Fields and comps must both be strings",
            ))
        }
        (ExValue::Scalar(_), Some(ExValue::Scalar(c))) => {
            let t = c.value.trim();
            if !is_list_comp(t) {
                return err(Diagnostic::new(
                    "invalid-exception",
                    loc(c.span),
                    "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)",
                ));
            }
            vec![t]
        }
        (ExValue::Seq(..), None) => vec!["="; field_list.len()],
        (ExValue::Seq(..), Some(c)) => {
            let cl: Vec<&Text> = leaves(c);
            if !matches!(c, ExValue::Seq(..)) || cl.len() != field_list.len() {
                return err(Diagnostic::new(
                    "invalid-exception",
                    loc(c.span()),
                    "Fields and comps lists must have equal length",
                ));
            }
            let mut out = Vec::with_capacity(cl.len());
            for t in cl {
                let v = t.value.trim();
                if OpKind::from_text(v).is_none() && !is_modifier_pair(v) {
                    return err(Diagnostic::new(
                        "invalid-exception",
                        loc(t.span),
                        format!("'{v}' is not a supported comparison operator"),
                    ));
                }
                out.push(v);
            }
            out
        }
    };
    // Fields must be valid left-hand sides for the rule's source.
    if let Some(scope) = scope {
        for f in &field_list {
            if !cat::is_valid_lhs(scope, &f.value) {
                return err(Diagnostic::new(
                    "invalid-exception",
                    loc(f.span),
                    format!("'{}' is not a supported filter field", f.value),
                ));
            }
        }
    }
    let values = ex
        .values
        .iter()
        .flatten()
        .map(|v| (v, file))
        .chain(e.more_values.iter().map(|(v, r)| (v, r.file)));
    if ex.values.as_ref().is_none_or(|v| v.is_empty()) && e.more_values.is_empty() {
        return true;
    }
    let at = loc(ex.name.span);
    let bad_value = |file, v: &ExValue, message: &'static str| {
        let span = v.span();
        Diagnostic::new("invalid-exception", Loc { file, span }, message)
    };
    // The clause is written in place, after ` and not `; an error found
    // on the way takes it back.
    let (text_len, parts_len) = (cond.text.len(), cond.parts.len());
    let mut err = |cond: &mut Composite, d: Diagnostic| {
        cond.text.truncate(text_len);
        cond.parts.truncate(parts_len);
        diags.push(d);
        false
    };
    cond.push_glue(" and not ", at);
    let clause = cond;
    match fields {
        ExValue::Scalar(f) => {
            if let Some((v, vf)) = values.clone().find(|(v, _)| matches!(v, ExValue::Seq(..))) {
                return err(
                    clause,
                    bad_value(vf, v, "Expected values array to contain a list of strings"),
                );
            }
            clause.push_glue("(", at);
            clause.push_text(file, f);
            clause.push_glue_join(&[" ", comps[0], " "], at);
            clause.push_glue("(", at);
            for (i, (v, vf)) in values.enumerate() {
                // Sequences were rejected above.
                let ExValue::Scalar(t) = v else { continue };
                if i > 0 {
                    clause.push_glue(", ", at);
                }
                push_entry(clause, vf, t);
            }
            clause.push_glue("))", at);
        }
        ExValue::Seq(..) => {
            clause.push_glue("(", at);
            for (vi, (v, vf)) in values.enumerate() {
                let entries: &[ExValue] = match v {
                    ExValue::Seq(items, _) => items,
                    ExValue::Scalar(_) => std::slice::from_ref(v),
                };
                if !matches!(v, ExValue::Seq(..)) || entries.len() != field_list.len() {
                    return err(
                        clause,
                        bad_value(vf, v, "Fields and values lists must have equal length"),
                    );
                }
                if vi > 0 {
                    clause.push_glue(" or ", at);
                }
                clause.push_glue("(", at);
                for (i, entry) in entries.iter().enumerate() {
                    if i > 0 {
                        clause.push_glue(" and ", at);
                    }
                    clause.push_text(file, field_list[i]);
                    clause.push_glue_join(&[" ", comps[i], " "], at);
                    let vat = Loc {
                        file: vf,
                        span: entry.span(),
                    };
                    match entry {
                        ExValue::Seq(..) => push_list(clause, vf, entry, vat),
                        ExValue::Scalar(t) => {
                            if is_list_comp(comps[i]) && !t.value.starts_with('(') {
                                clause.push_glue("(", vat);
                                push_entry(clause, vf, t);
                                clause.push_glue(")", vat);
                            } else {
                                push_entry(clause, vf, t);
                            }
                        }
                    }
                }
                clause.push_glue(")", at);
            }
            clause.push_glue(")", at);
        }
    }
    true
}

/// Appends a copy of `other` to `c`, shifting its parts.
pub fn append(c: &mut Composite, other: &Composite) {
    let base = c.text.len() as u32;
    c.text.push_str(&other.text);
    c.parts.extend(other.parts.iter().map(|p| Part {
        start: p.start + base,
        ..p.clone()
    }));
}
