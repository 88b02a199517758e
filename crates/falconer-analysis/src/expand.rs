//! Fully expanded conditions: lists substituted, exceptions folded in and
//! macros replaced by their trees, printed as one condition string that
//! libsinsp accepts (what `falconer expand` prints and what the engine
//! compiles).

use crate::collect::Collected;
use crate::compile::Compiled;
use falconer_syntax::ast::Expr;

/// Why a condition cannot be expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpandError {
    NotFound(String),
    /// It (or a macro it uses) does not parse.
    Syntax(String),
    UndefinedMacro(String),
    Loop(String),
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpandError::NotFound(n) => write!(f, "no such rule or macro: '{n}'"),
            ExpandError::Syntax(n) => write!(f, "the condition of '{n}' does not parse"),
            ExpandError::UndefinedMacro(n) => write!(f, "undefined macro '{n}'"),
            ExpandError::Loop(n) => write!(f, "reference loop through macro '{n}'"),
        }
    }
}

/// Replaces macro references in `expr` by their expanded trees.
pub fn expand_expr(
    expr: &Expr,
    collected: &Collected,
    compiled: &Compiled,
    stack: &mut Vec<usize>,
) -> Result<Expr, ExpandError> {
    Ok(match expr {
        Expr::And { children, span } => Expr::And {
            children: children
                .iter()
                .map(|c| expand_expr(c, collected, compiled, stack))
                .collect::<Result<_, _>>()?,
            span: *span,
        },
        Expr::Or { children, span } => Expr::Or {
            children: children
                .iter()
                .map(|c| expand_expr(c, collected, compiled, stack))
                .collect::<Result<_, _>>()?,
            span: *span,
        },
        Expr::Not { child, span } => Expr::Not {
            child: Box::new(expand_expr(child, collected, compiled, stack)?),
            span: *span,
        },
        Expr::Macro(n) => {
            let j = *collected
                .macro_by_name
                .get(&n.text)
                .ok_or_else(|| ExpandError::UndefinedMacro(n.text.clone()))?;
            if stack.contains(&j) {
                return Err(ExpandError::Loop(n.text.clone()));
            }
            let m = &compiled.macros[j];
            if !m.parsed.errors.is_empty() {
                return Err(ExpandError::Syntax(n.text.clone()));
            }
            let inner = m
                .expr()
                .ok_or_else(|| ExpandError::Syntax(n.text.clone()))?;
            stack.push(j);
            let e = expand_expr(inner, collected, compiled, stack)?;
            stack.pop();
            e
        }
        Expr::Error { .. } => return Err(ExpandError::Syntax("?".into())),
        other => other.clone(),
    })
}

/// The expanded tree of a rule.
pub fn rule_expr(
    collected: &Collected,
    compiled: &Compiled,
    name: &str,
) -> Result<Expr, ExpandError> {
    let i = *collected
        .rule_by_name
        .get(name)
        .ok_or_else(|| ExpandError::NotFound(name.to_string()))?;
    let r = &compiled.rules[i];
    if !r.parsed.errors.is_empty() {
        return Err(ExpandError::Syntax(name.to_string()));
    }
    let e = r
        .parsed
        .expr
        .as_ref()
        .ok_or_else(|| ExpandError::Syntax(name.to_string()))?;
    expand_expr(e, collected, compiled, &mut Vec::new())
}

/// The expanded tree of a macro.
pub fn macro_expr(
    collected: &Collected,
    compiled: &Compiled,
    name: &str,
) -> Result<Expr, ExpandError> {
    let j = *collected
        .macro_by_name
        .get(name)
        .ok_or_else(|| ExpandError::NotFound(name.to_string()))?;
    let m = &compiled.macros[j];
    if !m.parsed.errors.is_empty() {
        return Err(ExpandError::Syntax(name.to_string()));
    }
    let e = m
        .expr()
        .ok_or_else(|| ExpandError::Syntax(name.to_string()))?;
    expand_expr(e, collected, compiled, &mut vec![j])
}

/// The expanded condition string of a rule.
pub fn expand_rule(
    collected: &Collected,
    compiled: &Compiled,
    name: &str,
) -> Result<String, ExpandError> {
    rule_expr(collected, compiled, name).map(|e| falconer_syntax::print_condition(&e))
}

/// The expanded condition string of a macro.
pub fn expand_macro(
    collected: &Collected,
    compiled: &Compiled,
    name: &str,
) -> Result<String, ExpandError> {
    macro_expr(collected, compiled, name).map(|e| falconer_syntax::print_condition(&e))
}
