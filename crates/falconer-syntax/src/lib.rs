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
//! error, `existsand` works). We keep that model:
//!
//! * the `lexer` module recognises one token class at a time at the cursor,
//!   each regex class (Identifier, FieldName, FieldArgBare, HexNumber,
//!   Number, BareString, quoted strings, `not` + space, operators) being a
//!   tiny logos lexer whose longest match at offset 0 is taken — libsinsp
//!   matches anchored POSIX (leftmost-longest) regexes the same way;
//! * the `parser` module is a chumsky parser over the `&str` that follows
//!   libsinsp's routines one to one. chumsky provides the input and spans,
//!   a custom state saved and restored on every backtrack (last token for
//!   messages, recursion depth, group nesting), the two recursion points
//!   (boolean groups and transformer calls, with stack growth via chumsky's
//!   `stacker` feature) and `recover_with(via_parser(..))` on every operand
//!   of an `and`/`or` chain. A libsinsp *throw* records the exact message
//!   and offset and marks the state pending, which makes every primitive
//!   fail until recovery: a cut, so no alternative is tried after a
//!   commitment, as in libsinsp.
//!
//! # Recovery
//!
//! After the first error parsing continues so that later checks still see
//! the rest of the condition:
//!
//! * a bad operand becomes [`Expr::Error`] spanning the text up to the next
//!   `and`/`or` at the same level (or the `)` closing its group): in
//!   `a and <bad> and c`, `a` and `c` are kept;
//! * an unclosed `(` still yields its contents;
//! * leftover text after an operand (`a b and c`) and a keyword glued to
//!   the next word (`a andb c`) are reported and skipped;
//! * a bad escape keeps the check, with the escape taken literally.
//!
//! These later errors are ours, not libsinsp's (which stops at the first).
//!
//! # Invariants
//!
//! * Never panics, on any input; slicing only at character boundaries.
//! * Spans are byte ranges of the parsed text, on character boundaries.
//! * Stack use is bounded: the depth guard stops nesting early (Falco's
//!   limit, 1000, allows 199 parentheses around an identifier) and chumsky
//!   grows the stack at each recursion level, so even 100,000 nested `(`
//!   parse on a 2 MiB thread in a debug build. With a custom limit far
//!   above Falco's the *tree* can get that deep too, and cloning or dropping
//!   it is recursive.
//! * Linear time in practice (an output token is re-parsed only at the
//!   lengths where libsinsp's shrinking can change the outcome).
//!
//! # Known deviations from libsinsp
//!
//! * `val(f)[arg]` parses as in libsinsp (its compiler rejects it later)
//!   but [`Rhs::Val`] has no place for the argument, which is dropped (the
//!   node's span still covers it).
//! * Only the first error is libsinsp's; libsinsp reports nothing more.
//! * Output formats: libsinsp gives no position for its errors; we report
//!   the `%` that starts the bad token. A width too large for an `int` is
//!   undefined in libsinsp (`sscanf`); we saturate at `u32::MAX`.
//! * The input is `&str`: a condition that is not UTF-8 cannot be given
//!   (bytes that are not UTF-8 can still be written with `\xHH`).

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
