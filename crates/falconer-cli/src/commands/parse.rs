//! `falconer parse --condition EXPR`: the condition parser alone, as
//! libsinsp's parser runs it (no field, macro or list resolution).

use falconer_syntax::ast::*;
use serde_json::{json, Value as Json};
use std::io::Read;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The condition; `-` reads it from standard input.
    #[arg(long, allow_hyphen_values = true)]
    pub condition: String,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: &Args) -> Result<i32, String> {
    let text = if args.condition == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        s
    } else {
        args.condition.clone()
    };
    let parsed = falconer_syntax::parse_condition(&text);
    let idx = falconer_text::LineIndex::new(&text);
    // libsinsp positions: 1-based line and column counted in bytes.
    let pos = |off: u32| {
        let lc = idx.line_col(&text, off, falconer_text::Encoding::Utf8);
        (lc.line + 1, lc.col + 1)
    };
    match args.format {
        Format::Human => {
            if let Some(e) = &parsed.expr {
                if parsed.errors.is_empty() {
                    let mut out = String::new();
                    tree(e, 0, &mut out);
                    crate::emit(&out);
                }
            }
            for e in &parsed.errors {
                let (l, c) = pos(e.offset);
                eprintln!(
                    "error: {} (at offset {}, line {l}, column {c})",
                    e.message, e.offset
                );
            }
        }
        Format::Json => {
            let errors: Vec<Json> = parsed
                .errors
                .iter()
                .map(|e| {
                    let (l, c) = pos(e.offset);
                    json!({"message": e.message, "offset": e.offset, "line": l, "column": c,
                           "start": e.span.start, "end": e.span.end})
                })
                .collect();
            let v = json!({
                "ok": parsed.errors.is_empty(),
                "ast": parsed.expr.as_ref().map(expr_json),
                "errors": errors,
            });
            crate::emit(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        }
    }
    Ok(if parsed.errors.is_empty() { 0 } else { 1 })
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// An indented tree for humans.
pub fn tree(e: &Expr, depth: usize, out: &mut String) {
    indent(out, depth);
    match e {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            out.push_str(if matches!(e, Expr::And { .. }) {
                "and\n"
            } else {
                "or\n"
            });
            for c in children {
                tree(c, depth + 1, out);
            }
        }
        Expr::Not { child, .. } => {
            out.push_str("not\n");
            tree(child, depth + 1, out);
        }
        Expr::Macro(n) => out.push_str(&format!("identifier {}\n", n.text)),
        Expr::Unary { lhs, op, .. } => {
            out.push_str(&format!("check {} {}\n", lhs_text(lhs), op.text()))
        }
        Expr::Binary { lhs, op, rhs, .. } => out.push_str(&format!(
            "check {} {} {}\n",
            lhs_text(lhs),
            op.text(),
            rhs_text(rhs)
        )),
        Expr::Error { .. } => out.push_str("<error>\n"),
    }
}

fn field_text(f: &FieldRef) -> String {
    match &f.arg {
        Some(a) => format!("{}[{:?}]", f.name, a.value),
        None => f.name.clone(),
    }
}

fn targ_text(a: &TransformerArg) -> String {
    match a {
        TransformerArg::Field(f) => field_text(f),
        TransformerArg::Transformer(t) => transformer_text(t),
        TransformerArg::Str(v) => format!("{:?}", v.text),
        TransformerArg::Number(v) => v.text.clone(),
        TransformerArg::List { items, .. } => {
            format!(
                "({})",
                items.iter().map(targ_text).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

fn transformer_text(t: &Transformer) -> String {
    let args: Vec<String> = t.args.iter().map(targ_text).collect();
    let mut s = format!("{}({})", t.kind.as_str(), args.join(", "));
    if let Some(a) = &t.arg {
        s.push_str(&format!("[{:?}]", a.value));
    }
    s
}

fn lhs_text(l: &Lhs) -> String {
    match l {
        Lhs::Field(f) => field_text(f),
        Lhs::Transformer(t) => transformer_text(t),
    }
}

fn rhs_text(r: &Rhs) -> String {
    match r {
        Rhs::Value(v) => format!("{:?}", v.text),
        Rhs::List(l) => format!(
            "({})",
            l.items
                .iter()
                .map(|v| format!("{:?}", v.text))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Rhs::Ident(n) => n.text.clone(),
        Rhs::Val { field, .. } => format!("val({})", field_text(field)),
        Rhs::Transformer(t) => transformer_text(t),
    }
}

fn span_json(s: falconer_text::Span) -> Json {
    json!([s.start, s.end])
}

fn field_json(f: &FieldRef) -> Json {
    json!({"field": f.name, "arg": f.arg.as_ref().map(|a| &a.value), "span": span_json(f.span)})
}

fn targ_json(a: &TransformerArg) -> Json {
    match a {
        TransformerArg::Field(f) => field_json(f),
        TransformerArg::Transformer(t) => transformer_json(t),
        TransformerArg::Str(v) => json!({"string": v.text, "span": span_json(v.span)}),
        TransformerArg::Number(v) => json!({"number": v.text, "span": span_json(v.span)}),
        TransformerArg::List { items, span } => {
            json!({"list": items.iter().map(targ_json).collect::<Vec<_>>(), "span": span_json(*span)})
        }
    }
}

fn transformer_json(t: &Transformer) -> Json {
    json!({"transformer": t.kind.as_str(), "args": t.args.iter().map(targ_json).collect::<Vec<_>>(),
           "arg": t.arg.as_ref().map(|a| &a.value), "span": span_json(t.span)})
}

fn lhs_json(l: &Lhs) -> Json {
    match l {
        Lhs::Field(f) => field_json(f),
        Lhs::Transformer(t) => transformer_json(t),
    }
}

fn rhs_json(r: &Rhs) -> Json {
    match r {
        Rhs::Value(v) => {
            json!({"value": v.text, "quoted": v.quoted.is_some(), "span": span_json(v.span)})
        }
        Rhs::List(l) => {
            json!({"list": l.items.iter().map(|v| &v.text).collect::<Vec<_>>(), "span": span_json(l.span)})
        }
        Rhs::Ident(n) => json!({"identifier": n.text, "span": span_json(n.span)}),
        Rhs::Val { field, span, .. } => json!({"val": field_json(field), "span": span_json(*span)}),
        Rhs::Transformer(t) => transformer_json(t),
    }
}

/// The AST as JSON (node kinds of LANGUAGE.md A.13 plus spans).
pub fn expr_json(e: &Expr) -> Json {
    match e {
        Expr::And { children, span } => {
            json!({"and": children.iter().map(expr_json).collect::<Vec<_>>(), "span": span_json(*span)})
        }
        Expr::Or { children, span } => {
            json!({"or": children.iter().map(expr_json).collect::<Vec<_>>(), "span": span_json(*span)})
        }
        Expr::Not { child, span } => json!({"not": expr_json(child), "span": span_json(*span)}),
        Expr::Macro(n) => json!({"identifier": n.text, "span": span_json(n.span)}),
        Expr::Unary { lhs, op, span } => {
            json!({"unary_check": {"left": lhs_json(lhs), "op": op.text()}, "span": span_json(*span)})
        }
        Expr::Binary { lhs, op, rhs, span } => json!({
            "binary_check": {"left": lhs_json(lhs), "op": op.text(), "right": rhs_json(rhs)},
            "span": span_json(*span)
        }),
        Expr::Error { span } => json!({"error": null, "span": span_json(*span)}),
    }
}
