//! Walking condition trees.
//!
//! * [`walk_expr`] visits boolean nodes and checks (pre-order);
//! * [`walk_nodes`] visits the leaves a type checker or an editor cares
//!   about — macro and list references, fields, transformers, operators and
//!   literal values — in source order, each with its [role](FieldRole) and
//!   the check it belongs to;
//! * [`node_at`] finds the innermost such leaf at an offset (hover,
//!   go-to-definition, completion context);
//! * [`without_spans`] / [`shift_spans`] rewrite every span (comparing trees
//!   modulo positions, moving a parsed fragment inside a larger text).
//!
//! Walks of boolean structure are iterative; transformer nesting is bounded
//! by the parser's depth limit.

use falconer_text::Span;

use crate::ast::*;

/// Which side of a check something is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

/// Where a field reference occurs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldRole {
    /// The field a check tests (`proc.name = x`, `proc.name exists`).
    Lhs,
    /// `val(field)` on the right of a check.
    RhsVal,
    /// An argument of a transformer (possibly nested or inside a
    /// transformer list) on the given side.
    TransformerArg { side: Side },
}

/// Where a literal value occurs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueRole {
    /// The operand of a check (`proc.name = x`, `fd.num > 3`).
    Rhs,
    /// An item of a list literal (`proc.name in (a, b)`).
    ListItem { index: usize },
    /// A quoted-string or number argument of a transformer.
    TransformerArg { side: Side },
}

/// A leaf of interest in a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node<'a> {
    /// A bare identifier in operand position: a macro reference.
    Macro(&'a Name),
    /// An identifier operand of `in`/`intersects`/`pmatch` or after a
    /// modifier: a list reference (normally substituted before parsing).
    ListName(&'a Name),
    Field {
        field: &'a FieldRef,
        role: FieldRole,
    },
    Transformer {
        transformer: &'a Transformer,
        side: Side,
    },
    Operator(&'a Operator),
    Value {
        value: &'a Value,
        role: ValueRole,
    },
}

impl Node<'_> {
    pub fn span(&self) -> Span {
        match self {
            Node::Macro(n) | Node::ListName(n) => n.span,
            Node::Field { field, .. } => field.span,
            Node::Transformer { transformer, .. } => transformer.span,
            Node::Operator(o) => match o.modifier {
                Some((_, m)) => o.span.cover(m),
                None => o.span,
            },
            Node::Value { value, .. } => value.span,
        }
    }
}

/// A visited leaf with the check (`Expr::Unary` / `Expr::Binary`) that
/// contains it (`None` for macro references).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit<'a> {
    pub node: Node<'a>,
    pub check: Option<&'a Expr>,
}

impl Expr {
    /// The direct sub-expressions (`and`/`or` children, the `not` child).
    pub fn children(&self) -> &[Expr] {
        match self {
            Expr::And { children, .. } | Expr::Or { children, .. } => children,
            Expr::Not { child, .. } => std::slice::from_ref(&**child),
            _ => &[],
        }
    }

    /// The tested side of a check.
    pub fn lhs(&self) -> Option<&Lhs> {
        match self {
            Expr::Unary { lhs, .. } | Expr::Binary { lhs, .. } => Some(lhs),
            _ => None,
        }
    }

    /// The operator of a check.
    pub fn operator(&self) -> Option<&Operator> {
        match self {
            Expr::Unary { op, .. } | Expr::Binary { op, .. } => Some(op),
            _ => None,
        }
    }

    /// The operand of a binary check.
    pub fn rhs(&self) -> Option<&Rhs> {
        match self {
            Expr::Binary { rhs, .. } => Some(rhs),
            _ => None,
        }
    }

    /// Whether the tree contains an [`Expr::Error`] node.
    pub fn has_error(&self) -> bool {
        let mut found = false;
        walk_expr(self, &mut |e| found |= matches!(e, Expr::Error { .. }));
        found
    }
}

/// Calls `f` on every expression node, parents before children, children
/// left to right.
pub fn walk_expr<'a>(expr: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        f(e);
        stack.extend(e.children().iter().rev());
    }
}

/// Calls `f` on every leaf of interest, in source order.
pub fn walk_nodes<'a>(expr: &'a Expr, f: &mut impl FnMut(Visit<'a>)) {
    walk_expr(expr, &mut |e| match e {
        Expr::Macro(n) => f(Visit {
            node: Node::Macro(n),
            check: None,
        }),
        Expr::Unary { lhs, op, .. } => {
            lhs_nodes(lhs, e, f);
            f(Visit {
                node: Node::Operator(op),
                check: Some(e),
            });
        }
        Expr::Binary { lhs, op, rhs, .. } => {
            lhs_nodes(lhs, e, f);
            f(Visit {
                node: Node::Operator(op),
                check: Some(e),
            });
            rhs_nodes(rhs, e, f);
        }
        _ => {}
    });
}

fn lhs_nodes<'a>(lhs: &'a Lhs, check: &'a Expr, f: &mut impl FnMut(Visit<'a>)) {
    match lhs {
        Lhs::Field(field) => f(Visit {
            node: Node::Field {
                field,
                role: FieldRole::Lhs,
            },
            check: Some(check),
        }),
        Lhs::Transformer(t) => transformer_nodes(t, Side::Left, check, f),
    }
}

fn rhs_nodes<'a>(rhs: &'a Rhs, check: &'a Expr, f: &mut impl FnMut(Visit<'a>)) {
    let visit = |node| Visit {
        node,
        check: Some(check),
    };
    match rhs {
        Rhs::Value(value) => f(visit(Node::Value {
            value,
            role: ValueRole::Rhs,
        })),
        Rhs::List(l) => {
            for (index, value) in l.items.iter().enumerate() {
                f(visit(Node::Value {
                    value,
                    role: ValueRole::ListItem { index },
                }));
            }
        }
        Rhs::Ident(n) => f(visit(Node::ListName(n))),
        Rhs::Val { field, .. } => f(visit(Node::Field {
            field,
            role: FieldRole::RhsVal,
        })),
        Rhs::Transformer(t) => transformer_nodes(t, Side::Right, check, f),
    }
}

fn transformer_nodes<'a>(
    t: &'a Transformer,
    side: Side,
    check: &'a Expr,
    f: &mut impl FnMut(Visit<'a>),
) {
    f(Visit {
        node: Node::Transformer {
            transformer: t,
            side,
        },
        check: Some(check),
    });
    for a in &t.args {
        targ_nodes(a, side, check, f);
    }
}

fn targ_nodes<'a>(
    a: &'a TransformerArg,
    side: Side,
    check: &'a Expr,
    f: &mut impl FnMut(Visit<'a>),
) {
    match a {
        TransformerArg::Field(field) => f(Visit {
            node: Node::Field {
                field,
                role: FieldRole::TransformerArg { side },
            },
            check: Some(check),
        }),
        TransformerArg::Transformer(t) => transformer_nodes(t, side, check, f),
        TransformerArg::Str(value) | TransformerArg::Number(value) => f(Visit {
            node: Node::Value {
                value,
                role: ValueRole::TransformerArg { side },
            },
            check: Some(check),
        }),
        TransformerArg::List { items, .. } => {
            for i in items {
                targ_nodes(i, side, check, f);
            }
        }
    }
}

/// The innermost leaf whose span touches `offset` (for a transformer, its
/// arguments win over the call itself).
pub fn node_at(expr: &Expr, offset: u32) -> Option<Visit<'_>> {
    let mut best: Option<Visit<'_>> = None;
    walk_nodes(expr, &mut |v| {
        let s = v.node.span();
        if s.touches(offset) {
            let better = match &best {
                None => true,
                Some(b) => {
                    let bs = b.node.span();
                    s.len() <= bs.len() && bs.start <= s.start && s.end <= bs.end
                }
            };
            if better {
                best = Some(v);
            }
        }
    });
    best
}

/// Every field reference in the tree with its role, in source order.
pub fn fields(expr: &Expr) -> Vec<(&FieldRef, FieldRole)> {
    let mut out = Vec::new();
    walk_nodes(expr, &mut |v| {
        if let Node::Field { field, role } = v.node {
            out.push((field, role));
        }
    });
    out
}

/// Every macro reference in the tree, in source order.
pub fn macro_refs(expr: &Expr) -> Vec<&Name> {
    let mut out = Vec::new();
    walk_expr(expr, &mut |e| {
        if let Expr::Macro(n) = e {
            out.push(n);
        }
    });
    out
}

/// Applies `f` to every span in the tree (nodes, names, operators, values,
/// arguments).
pub fn for_each_span_mut(expr: &mut Expr, f: &mut impl FnMut(&mut Span)) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::And { children, span } | Expr::Or { children, span } => {
                f(span);
                stack.extend(children.iter_mut());
            }
            Expr::Not { child, span } => {
                f(span);
                stack.push(child);
            }
            Expr::Macro(n) => f(&mut n.span),
            Expr::Unary { lhs, op, span } => {
                f(span);
                lhs_spans(lhs, f);
                op_spans(op, f);
            }
            Expr::Binary { lhs, op, rhs, span } => {
                f(span);
                lhs_spans(lhs, f);
                op_spans(op, f);
                rhs_spans(rhs, f);
            }
            Expr::Error { span } => f(span),
        }
    }
}

fn op_spans(op: &mut Operator, f: &mut impl FnMut(&mut Span)) {
    f(&mut op.span);
    if let Some((_, s)) = &mut op.modifier {
        f(s);
    }
}

/// Applies `f` to every span of a left-hand side.
pub fn lhs_spans(lhs: &mut Lhs, f: &mut impl FnMut(&mut Span)) {
    match lhs {
        Lhs::Field(fr) => field_spans(fr, f),
        Lhs::Transformer(t) => transformer_spans(t, f),
    }
}

fn field_spans(fr: &mut FieldRef, f: &mut impl FnMut(&mut Span)) {
    f(&mut fr.span);
    f(&mut fr.name_span);
    if let Some(a) = &mut fr.arg {
        f(&mut a.span);
    }
}

fn transformer_spans(t: &mut Transformer, f: &mut impl FnMut(&mut Span)) {
    f(&mut t.span);
    f(&mut t.name_span);
    if let Some(a) = &mut t.arg {
        f(&mut a.span);
    }
    for a in &mut t.args {
        targ_spans(a, f);
    }
}

fn targ_spans(a: &mut TransformerArg, f: &mut impl FnMut(&mut Span)) {
    match a {
        TransformerArg::Field(fr) => field_spans(fr, f),
        TransformerArg::Transformer(t) => transformer_spans(t, f),
        TransformerArg::Str(v) | TransformerArg::Number(v) => f(&mut v.span),
        TransformerArg::List { items, span } => {
            f(span);
            for i in items {
                targ_spans(i, f);
            }
        }
    }
}

fn rhs_spans(rhs: &mut Rhs, f: &mut impl FnMut(&mut Span)) {
    match rhs {
        Rhs::Value(v) => f(&mut v.span),
        Rhs::List(l) => {
            f(&mut l.span);
            for v in &mut l.items {
                f(&mut v.span);
            }
        }
        Rhs::Ident(n) => f(&mut n.span),
        Rhs::Val { field, arg, span } => {
            f(span);
            field_spans(field, f);
            if let Some(a) = arg {
                f(&mut a.span);
            }
        }
        Rhs::Transformer(t) => transformer_spans(t, f),
    }
}

/// A copy of `expr` with every span set to `0..0`, for comparing trees
/// modulo positions.
pub fn without_spans(expr: &Expr) -> Expr {
    let mut e = expr.clone();
    for_each_span_mut(&mut e, &mut |s| *s = Span::default());
    e
}

/// Moves every span of `expr` by `delta` bytes.
pub fn shift_spans(expr: &mut Expr, delta: u32) {
    for_each_span_mut(expr, &mut |s| *s = s.shift(delta));
}
