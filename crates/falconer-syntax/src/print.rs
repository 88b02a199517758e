//! Rendering an AST back to condition text.
//!
//! The output is accepted by libsinsp and parses back to the same tree
//! (spans aside) for every tree the parser can produce: nested `and`/`or`
//! children and negated chains are parenthesised, quoted values keep their
//! quote character, bare values stay bare, and a value that cannot be
//! written bare is quoted with escapes chosen so that libsinsp's quoted
//! string rule reads it back exactly (see [`quote_value`]).

use crate::ast::*;
use crate::lexer::{match_len, BareStringTok, FieldArgBareTok};

/// Renders a condition (single spaces, minimal parentheses).
///
/// [`Expr::Error`] nodes have no text; they are written as `<error>`, which
/// does not parse.
pub fn print_condition(expr: &Expr) -> String {
    let mut out = String::new();
    print_expr(&mut out, expr, Ctx::Top);
    out
}

/// Renders a left-hand side (a field or a transformer call), e.g. for an
/// output format token.
pub fn print_lhs(lhs: &Lhs) -> String {
    let mut out = String::new();
    print_lhs_into(&mut out, lhs);
    out
}

/// Writes a string value the way a condition needs it: bare when libsinsp
/// reads it back as exactly this one bare string, otherwise quoted.
///
/// Quoting is needed for the empty string, blanks and other
/// `[[:space:]]`, `(`, `)`, `,`, `=`, quotes, and a leading backspace (it
/// would be skipped as a blank); any text that would start a transformer
/// call (`len(`…) contains `(` and is therefore quoted too. The quote is
/// `'` when the value contains `"` but no `'`, else `"`; the same quote
/// inside is escaped, a backslash becomes `\\` except at the very end where
/// it becomes `\x5c` (a quoted string cannot end with a backslash, A.6), and
/// NUL becomes `\x00`.
///
/// A bare `oneof`/`anyof`/`allof` is fine in the positions the printer
/// uses (followed by the end, `)`, `,` or ` and`/` or`), not before ` (`.
pub fn quote_value(s: &str) -> String {
    if is_bare_value(s) {
        s.to_string()
    } else {
        let q = if s.contains('"') && !s.contains('\'') {
            '\''
        } else {
            '"'
        };
        quote_bytes(s.as_bytes(), q)
    }
}

/// Whether `s` can be written as a bare value.
pub fn is_bare_value(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('\u{8}') && match_len::<BareStringTok>(s) == s.len()
}

/// Whether `s` can be written as a bare field argument.
fn is_bare_arg(s: &str) -> bool {
    !s.is_empty() && match_len::<FieldArgBareTok>(s) == s.len()
}

/// Quotes `bytes` with `q` so that libsinsp reads back exactly `bytes`.
pub(crate) fn quote_bytes(bytes: &[u8], q: char) -> String {
    let utf8 = std::str::from_utf8(bytes).is_ok();
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push(q);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let last = i + 1 == bytes.len();
        match b {
            b'\\' if last => out.push_str("\\x5c"),
            b'\\' => out.push_str("\\\\"),
            0 => out.push_str("\\x00"),
            _ if b == q as u8 => {
                out.push('\\');
                out.push(q);
            }
            _ if b < 0x80 => out.push(b as char),
            _ if utf8 => {
                // Copy the whole character.
                let n = utf8_len(b);
                let end = (i + n).min(bytes.len());
                out.push_str(std::str::from_utf8(&bytes[i..end]).unwrap_or("\u{fffd}"));
                i = end;
                continue;
            }
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
        i += 1;
    }
    out.push(q);
    out
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    AndChild,
    OrChild,
    NotChild,
}

fn print_expr(out: &mut String, e: &Expr, ctx: Ctx) {
    match e {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            let is_and = matches!(e, Expr::And { .. });
            let paren = match ctx {
                Ctx::Top => false,
                Ctx::AndChild | Ctx::NotChild => true,
                Ctx::OrChild => !is_and,
            };
            if paren {
                out.push('(');
            }
            let (sep, child_ctx) = if is_and {
                (" and ", Ctx::AndChild)
            } else {
                (" or ", Ctx::OrChild)
            };
            for (i, c) in children.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                print_expr(out, c, child_ctx);
            }
            if paren {
                out.push(')');
            }
        }
        Expr::Not { child, .. } => {
            // `not not x` would cancel out: keep a nested negation grouped.
            let paren = ctx == Ctx::NotChild;
            if paren {
                out.push('(');
            }
            out.push_str("not ");
            print_expr(out, child, Ctx::NotChild);
            if paren {
                out.push(')');
            }
        }
        Expr::Macro(n) => {
            // A macro named `not` followed by a blank would be a negation.
            if n.text == "not" {
                out.push_str("(not)");
            } else {
                out.push_str(&n.text);
            }
        }
        Expr::Unary { lhs, op, .. } => {
            print_lhs_into(out, lhs);
            out.push(' ');
            out.push_str(op.kind.as_str());
        }
        Expr::Binary { lhs, op, rhs, .. } => {
            print_lhs_into(out, lhs);
            out.push(' ');
            out.push_str(&op.text());
            out.push(' ');
            print_rhs(out, op, rhs);
        }
        Expr::Error { .. } => out.push_str("<error>"),
    }
}

fn print_lhs_into(out: &mut String, lhs: &Lhs) {
    match lhs {
        Lhs::Field(f) => print_field(out, f),
        Lhs::Transformer(t) => print_transformer(out, t),
    }
}

fn print_field(out: &mut String, f: &FieldRef) {
    out.push_str(&f.name);
    print_arg(out, f.arg.as_ref());
}

fn print_arg(out: &mut String, arg: Option<&FieldArg>) {
    if let Some(a) = arg {
        out.push('[');
        if !a.quoted && is_bare_arg(&a.value) {
            out.push_str(&a.value);
        } else {
            let q = if a.value.contains('"') && !a.value.contains('\'') {
                '\''
            } else {
                '"'
            };
            out.push_str(&quote_bytes(a.value.as_bytes(), q));
        }
        out.push(']');
    }
}

fn print_transformer(out: &mut String, t: &Transformer) {
    out.push_str(t.kind.as_str());
    out.push('(');
    for (i, a) in t.args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        print_targ(out, a);
    }
    out.push(')');
    print_arg(out, t.arg.as_ref());
}

fn print_targ(out: &mut String, a: &TransformerArg) {
    match a {
        TransformerArg::Field(f) => print_field(out, f),
        TransformerArg::Transformer(t) => print_transformer(out, t),
        TransformerArg::Str(v) => print_quoted(out, v, v.quoted.unwrap_or('"')),
        TransformerArg::Number(v) => out.push_str(&v.text),
        TransformerArg::List { items, .. } => {
            out.push('(');
            for (i, a) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print_targ(out, a);
            }
            out.push(')');
        }
    }
}

fn print_quoted(out: &mut String, v: &Value, q: char) {
    out.push_str(&quote_bytes(v.as_bytes(), q));
}

fn print_value(out: &mut String, v: &Value) {
    match v.quoted {
        Some(q) => print_quoted(out, v, q),
        None if v.bytes.is_none() && is_bare_value(&v.text) => out.push_str(&v.text),
        None => {
            let q = if v.text.contains('"') && !v.text.contains('\'') {
                '\''
            } else {
                '"'
            };
            print_quoted(out, v, q)
        }
    }
}

fn print_rhs(out: &mut String, op: &Operator, rhs: &Rhs) {
    match rhs {
        Rhs::Value(v) if op.kind.is_relational() && v.quoted.is_none() => {
            // A number token, written as it was.
            out.push_str(&v.text)
        }
        Rhs::Value(v) => print_value(out, v),
        Rhs::List(l) => {
            out.push('(');
            for (i, v) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print_value(out, v);
            }
            out.push(')');
        }
        Rhs::Ident(n) => out.push_str(&n.text),
        Rhs::Val { field, arg, .. } => {
            out.push_str("val(");
            print_field(out, field);
            out.push(')');
            print_arg(out, arg.as_ref());
        }
        Rhs::Transformer(t) => print_transformer(out, t),
    }
}
