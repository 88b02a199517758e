//! A compact, span-free s-expression rendering of conditions, for tests,
//! snapshots and `dump` commands.
//!
//! | node | rendering |
//! | --- | --- |
//! | `a and b` | `(and A B)` (also `or`, `not`) |
//! | macro reference | `(macro name)` |
//! | `f exists` | `(unary F exists)` |
//! | `f op rhs` | `(binary F OP RHS)`, `OP` as written, then the modifier if any: `(binary F == oneof (list "a"))` |
//! | field | `proc.name`, `proc.aname[2]` (bare argument), `proc.env["HOME"]` (quoted argument, Rust-escaped) |
//! | transformer | `(tolower ARG…)`, with an argument: `(getopt ARG…)[c]` |
//! | value | Rust-escaped string: bare `"x"`, double-quoted `q"x"`, single-quoted `sq"x"`; bytes that are not UTF-8 as `b"\xff"` |
//! | list | `(list V…)`; transformer list `(tlist A…)` |
//! | identifier operand | `(ident name)` |
//! | `val(f)` | `(val F)` |
//! | error | `(error)` |

use std::fmt::Write;

use crate::ast::*;

/// Renders `expr` as an s-expression (see the module docs).
pub fn to_sexpr(expr: &Expr) -> String {
    let mut out = String::new();
    expr_sx(&mut out, expr);
    out
}

/// Renders a left-hand side (field or transformer).
pub fn lhs_to_sexpr(lhs: &Lhs) -> String {
    let mut out = String::new();
    lhs_sx(&mut out, lhs);
    out
}

fn expr_sx(out: &mut String, e: &Expr) {
    match e {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            out.push_str(if matches!(e, Expr::And { .. }) {
                "(and"
            } else {
                "(or"
            });
            for c in children {
                out.push(' ');
                expr_sx(out, c);
            }
            out.push(')');
        }
        Expr::Not { child, .. } => {
            out.push_str("(not ");
            expr_sx(out, child);
            out.push(')');
        }
        Expr::Macro(n) => {
            let _ = write!(out, "(macro {})", n.text);
        }
        Expr::Unary { lhs, op, .. } => {
            out.push_str("(unary ");
            lhs_sx(out, lhs);
            let _ = write!(out, " {})", op.text());
        }
        Expr::Binary { lhs, op, rhs, .. } => {
            out.push_str("(binary ");
            lhs_sx(out, lhs);
            let _ = write!(out, " {} ", op.text());
            rhs_sx(out, rhs);
            out.push(')');
        }
        Expr::Error { .. } => out.push_str("(error)"),
    }
}

fn lhs_sx(out: &mut String, l: &Lhs) {
    match l {
        Lhs::Field(f) => field_sx(out, f),
        Lhs::Transformer(t) => transformer_sx(out, t),
    }
}

fn field_sx(out: &mut String, f: &FieldRef) {
    out.push_str(&f.name);
    arg_sx(out, f.arg.as_ref());
}

fn arg_sx(out: &mut String, a: Option<&FieldArg>) {
    if let Some(a) = a {
        if a.quoted {
            let _ = write!(out, "[{:?}]", a.value);
        } else {
            let _ = write!(out, "[{}]", a.value);
        }
    }
}

fn transformer_sx(out: &mut String, t: &Transformer) {
    let _ = write!(out, "({}", t.kind.as_str());
    for a in &t.args {
        out.push(' ');
        targ_sx(out, a);
    }
    out.push(')');
    arg_sx(out, t.arg.as_ref());
}

fn targ_sx(out: &mut String, a: &TransformerArg) {
    match a {
        TransformerArg::Field(f) => field_sx(out, f),
        TransformerArg::Transformer(t) => transformer_sx(out, t),
        TransformerArg::Str(v) | TransformerArg::Number(v) => value_sx(out, v),
        TransformerArg::List { items, .. } => {
            out.push_str("(tlist");
            for i in items {
                out.push(' ');
                targ_sx(out, i);
            }
            out.push(')');
        }
    }
}

fn rhs_sx(out: &mut String, r: &Rhs) {
    match r {
        Rhs::Value(v) => value_sx(out, v),
        Rhs::List(l) => {
            out.push_str("(list");
            for v in &l.items {
                out.push(' ');
                value_sx(out, v);
            }
            out.push(')');
        }
        Rhs::Ident(n) => {
            let _ = write!(out, "(ident {})", n.text);
        }
        Rhs::Val { field, .. } => {
            out.push_str("(val ");
            field_sx(out, field);
            out.push(')');
        }
        Rhs::Transformer(t) => transformer_sx(out, t),
    }
}

fn value_sx(out: &mut String, v: &Value) {
    match v.quoted {
        Some('\'') => out.push_str("sq"),
        Some(_) => out.push('q'),
        None => {}
    }
    match &v.bytes {
        None => {
            let _ = write!(out, "{:?}", v.text);
        }
        Some(b) => {
            out.push_str("b\"");
            for &c in b {
                if c.is_ascii_graphic() && c != b'"' && c != b'\\' || c == b' ' {
                    out.push(c as char);
                } else {
                    let _ = write!(out, "\\x{c:02x}");
                }
            }
            out.push('"');
        }
    }
}
