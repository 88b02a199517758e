//! falconer-syntax: the Falco condition language and rule output formats.
//!
//! This crate knows text and trees only — no YAML, catalog, salsa or LSP.
//!
//! # Entry points
//!
//! * [`parse_condition`] / [`parse_condition_with_depth`]: a condition
//!   string to a [`ParsedCondition`] — a tree (partial, with
//!   [`Expr::Error`] nodes, when there are errors) and the errors. The first
//!   error is byte for byte the one libsinsp's parser raises (message and
//!   offset, LANGUAGE.md A.12); later errors come from our recovery.
//! * [`print_condition`] / [`quote_value`]: a tree back to text that
//!   libsinsp accepts and that parses to the same tree.
//! * [`walk_expr`], [`walk_nodes`], [`node_at`] and friends ([`visit`]):
//!   traversals for checkers and editors.
//! * [`output::parse_output`]: rule output formats (C.13).
//! * [`sexpr::to_sexpr`]: a compact rendering for tests and dumps.
//!
//! # Design
//!
//! libsinsp's parser is scannerless: it tries anchored regexes at the cursor
//! and keywords are raw prefixes (`a.b inx` is `a.b in x`, `a andb` is an
//! error, `existsand` works). We keep that model. [`lexer`] recognises one
//! token class at a time with a dedicated logos lexer; [`parser`] is a
//! chumsky parser over the `&str` that follows libsinsp's routines one to
//! one, with chumsky's state, backtracking checkpoints, recursion and
//! `recover_with` providing the machinery (see the module docs of `parser`
//! for how throws, the depth guard and recovery map onto chumsky).
//!
//! # Invariants
//!
//! * Never panics, on any input; slicing only at character boundaries.
//! * Spans are byte ranges of the parsed text.
//! * Stack use is bounded: the depth guard stops nesting early (Falco's
//!   limit, 1000, allows 199 parentheses around an identifier) and chumsky's
//!   `stacker` support grows the stack at each recursion level, so even a
//!   large custom limit cannot overflow.
//!
//! # Known deviations from libsinsp
//!
//! * `val(f)[arg]` parses as in libsinsp (the compiler rejects it later)
//!   but the AST has no place for the argument: [`Rhs::Val`] drops it (its
//!   span still covers it).

pub mod ast;
mod lexer;
mod messages;
pub mod output;
mod parser;
mod print;
pub mod sexpr;
pub mod visit;

pub use ast::*;
pub use print::{is_bare_value, print_condition, print_lhs, quote_value};
pub use visit::{
    fields, macro_refs, node_at, walk_expr, walk_nodes, without_spans, FieldRole, Node, Side,
    ValueRole, Visit,
};

/// Falco's recursion limit for conditions (libsinsp's own default is 100).
pub const FALCO_MAX_DEPTH: u32 = 1000;

/// Parses a condition with Falco's depth limit.
pub fn parse_condition(text: &str) -> ParsedCondition {
    parse_condition_with_depth(text, FALCO_MAX_DEPTH)
}

/// Parses a condition with a given depth limit (libsinsp's
/// `set_max_depth`).
pub fn parse_condition_with_depth(text: &str, max_depth: u32) -> ParsedCondition {
    parser::parse(text, max_depth)
}
