//! The condition parser: libsinsp's recursive descent, rebuilt on chumsky.
//!
//! # How it is put together
//!
//! libsinsp parses scannerless: each routine skips blanks, tries anchored
//! regexes or literals at the cursor in a fixed order, commits to the first
//! that matches, and *throws* when nothing fits. There is no backtracking
//! beyond a few explicit save/restore points, and the first throw ends the
//! parse. To reproduce its error messages and offsets byte for byte we keep
//! that shape:
//!
//! * **Input and state** are chumsky's: the parser runs on `&str` (spans are
//!   byte offsets), with a custom state ([`St`]) that chumsky saves and
//!   restores on every backtrack through the [`Inspector`] hooks (the last
//!   lexed token used in messages, the recursion depth, the group nesting).
//! * **Tokens** are recognised at the cursor with the logos lexers of
//!   [`crate::lexer`] (one per regex class) and literal prefixes.
//! * **Routines** mirror libsinsp's (or, and, not, embedded group, check,
//!   field remainder, condition, the three operand kinds, the
//!   transformer-or-`val` attempt, transformer remainder and argument,
//!   transformer list, list literal, field argument), each a function over
//!   chumsky's [`InputRef`] with the same order of attempts; where libsinsp
//!   saves and restores its cursor (the modifier look-ahead, the list
//!   literal's catch) we use chumsky checkpoints. Routines that libsinsp
//!   guards with its depth counter go through [`guarded`], which counts and
//!   throws exactly like libsinsp's `depth_guard` (including not undoing
//!   its increment when it is the guard itself that throws).
//! * **Recursion** goes through two chumsky [`recursive`] parsers (boolean
//!   groups and transformer calls), so every nesting level passes through
//!   `Recursive::go`, where chumsky's `stacker` feature grows the stack,
//!   and nothing leaks (inner handles are weak).
//! * **Throws** push libsinsp's message with the cursor offset into the
//!   state, mark the state *pending* and fail; the failure propagates up to
//!   the nearest recovery point, and no sub-parser runs while a throw is
//!   pending (a cut: nothing is retried after a commitment, as in libsinsp).
//! * **Recovery** uses chumsky's `recover_with(via_parser(..))` on every
//!   operand of an `and`/`or` chain (and on glued `and(`/`or(` groups): the
//!   failed operand becomes [`Expr::Error`] spanning the text up to the next
//!   synchronisation point (a blank-separated `and`/`or` at the same paren
//!   level, the `)` closing the current group, or the end), and the chain
//!   goes on. Errors that libsinsp raises outside operands (missing blank
//!   after `and`/`or`, leftover text, an unclosed group) are reported
//!   without failing and parsing continues the same way. Escape errors in
//!   quoted strings are reported without failing either (the value keeps
//!   the bad escape literally), so the tree keeps the check.
//!
//! Only the first error is libsinsp's; later ones are produced by recovery.
//!
//! # Quirks handled here (LANGUAGE.md references)
//!
//! * blanks vs `[[:space:]]` after `not` (A.1) — [`lex_blank`], `NotBlankTok`;
//! * keywords matched as raw prefixes (A.3) — the `and`/`or` loops;
//! * word operators need a blank, list operators do not (A.3) — [`lex_op`];
//! * the modifier look-ahead (A.9) — [`condition`];
//! * the list literal that swallows any failure of its first item (A.7) —
//!   [`list_literal`];
//! * `not not a` is `a`, n-ary `and`/`or` (A.4, A.13);
//! * the depth guard and the "unbalanced" error it can cause (A.12).

use chumsky::error::EmptyErr;
use chumsky::input::{Checkpoint, Cursor, InputRef};
use chumsky::inspector::Inspector;
use chumsky::prelude::*;
use chumsky::recursive::Direct;
use falconer_text::Span;

use crate::ast::*;
use crate::lexer::{self, *};
use crate::messages as msg;

type In<'s> = &'s str;
pub(crate) type Ex<'s> = extra::Full<EmptyErr, St<'s>, ()>;
type Inp<'s, 'p> = InputRef<'s, 'p, In<'s>, Ex<'s>>;
type Bx<'s, O> = Boxed<'s, 's, In<'s>, O, Ex<'s>>;
type Rec<'s, O> = Recursive<Direct<'s, 's, In<'s>, O, Ex<'s>>>;
type R<O> = Result<O, EmptyErr>;

fn fail() -> EmptyErr {
    EmptyErr::default()
}

/// The token libsinsp would name in "unexpected token after '...'".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LastTok {
    None,
    /// Source text.
    Src(u32, u32),
    /// A quoted string: the message shows its unescaped value.
    Quoted(u32, u32),
}

/// Parser state (see the module docs).
pub(crate) struct St<'s> {
    pub src: &'s str,
    pub errors: Vec<ParseError>,
    /// Offset of the thrown error while it has not been recovered from.
    pub pending: Option<u32>,
    pub depth: u32,
    pub max_depth: u32,
    /// Number of enclosing parenthesised groups.
    pub group_depth: u32,
    pub last: LastTok,
    /// Set by [`call_transformer`] for the transformer parser it calls.
    pub blank_before_guard: bool,
}

impl<'s> St<'s> {
    pub(crate) fn new(src: &'s str, max_depth: u32) -> St<'s> {
        St {
            src,
            errors: Vec::new(),
            pending: None,
            depth: 0,
            max_depth,
            group_depth: 0,
            last: LastTok::None,
            blank_before_guard: false,
        }
    }

    fn last_text(&self) -> String {
        match self.last {
            LastTok::None => String::new(),
            LastTok::Src(a, b) => self.src[a as usize..b as usize].to_string(),
            LastTok::Quoted(a, b) => {
                let u = lexer::unescape(&self.src.as_bytes()[a as usize..b as usize]);
                String::from_utf8_lossy(&u.bytes).into_owned()
            }
        }
    }

    /// Records an error unless it repeats the previous one.
    fn push_error(&mut self, message: String, offset: usize, span: Span) {
        let offset = offset as u32;
        if let Some(last) = self.errors.last() {
            if last.offset == offset && last.message == message {
                return;
            }
        }
        self.errors.push(ParseError {
            message,
            offset,
            span,
        });
    }
}

impl<'s> Inspector<'s, In<'s>> for St<'s> {
    type Checkpoint = (LastTok, u32, u32);

    fn on_token(&mut self, _: &char) {}

    fn on_save<'p>(&self, _: &Cursor<'s, 'p, In<'s>>) -> Self::Checkpoint {
        (self.last, self.depth, self.group_depth)
    }

    fn on_rewind<'p>(&mut self, cp: &Checkpoint<'s, 'p, In<'s>, Self::Checkpoint>) {
        let (last, depth, group) = *cp.inspector();
        self.last = last;
        self.depth = depth;
        self.group_depth = group;
    }
}

// ---------------------------------------------------------------------------
// Cursor helpers and primitives

fn pos(inp: &mut Inp<'_, '_>) -> usize {
    *inp.cursor().inner()
}

fn src<'s>(inp: &mut Inp<'s, '_>) -> &'s str {
    inp.state().src
}

fn rest<'s>(inp: &mut Inp<'s, '_>) -> &'s str {
    let p = pos(inp);
    &src(inp)[p..]
}

fn advance_to(inp: &mut Inp<'_, '_>, target: usize) {
    while pos(inp) < target {
        if inp.next().is_none() {
            break;
        }
    }
}

fn sp(a: usize, b: usize) -> Span {
    Span::new(a as u32, b as u32)
}

/// `lex_blank`: skips blanks, true if there was at least one.
fn lex_blank(inp: &mut Inp<'_, '_>) -> bool {
    let n = blank_len(rest(inp).as_bytes());
    if n > 0 {
        let p = pos(inp);
        advance_to(inp, p + n);
    }
    n > 0
}

/// Consumes the literal `lit` (and makes it the last token).
fn lex_str(inp: &mut Inp<'_, '_>, lit: &str) -> bool {
    if rest(inp).starts_with(lit) {
        let p = pos(inp);
        advance_to(inp, p + lit.len());
        inp.state().last = LastTok::Src(p as u32, (p + lit.len()) as u32);
        true
    } else {
        false
    }
}

/// Consumes the longest match of token class `T`.
fn lex_class<'s, T>(inp: &mut Inp<'s, '_>) -> Option<(usize, usize)>
where
    T: logos::Logos<'s, Source = str>,
    T::Extras: Default,
{
    let n = match_len::<T>(rest(inp));
    if n == 0 {
        return None;
    }
    let p = pos(inp);
    advance_to(inp, p + n);
    inp.state().last = LastTok::Src(p as u32, (p + n) as u32);
    Some((p, p + n))
}

/// `lex_hex_num() || lex_num()`.
fn lex_number(inp: &mut Inp<'_, '_>) -> Option<(usize, usize)> {
    lex_class::<HexNumberTok>(inp).or_else(|| lex_class::<NumberTok>(inp))
}

struct Quoted {
    start: usize,
    end: usize,
    quote: char,
    bytes: Vec<u8>,
}

/// Consumes a quoted string and decodes it. A bad escape is reported at the
/// end of the string (where libsinsp's cursor is when it throws) but does
/// not fail: the value keeps the bad escape.
fn lex_quoted(inp: &mut Inp<'_, '_>) -> Option<Quoted> {
    let r = rest(inp);
    let n = quoted_len(r)?;
    let quote = r.as_bytes()[0] as char;
    let raw = &r.as_bytes()[..n];
    let u = lexer::unescape(raw);
    let start = pos(inp);
    let end = start + n;
    advance_to(inp, end);
    let st = inp.state();
    st.last = LastTok::Quoted(start as u32, end as u32);
    if let Some(m) = u.error {
        st.push_error(m, end, sp(start, end));
    }
    Some(Quoted {
        start,
        end,
        quote,
        bytes: u.bytes,
    })
}

fn make_value(bytes: Vec<u8>, quoted: Option<char>, span: Span) -> Value {
    match String::from_utf8(bytes) {
        Ok(text) => Value {
            text,
            bytes: None,
            quoted,
            span,
        },
        Err(e) => {
            let bytes = e.into_bytes();
            Value {
                text: String::from_utf8_lossy(&bytes).into_owned(),
                bytes: Some(bytes),
                quoted,
                span,
            }
        }
    }
}

fn quoted_value(q: Quoted) -> Value {
    make_value(q.bytes, Some(q.quote), sp(q.start, q.end))
}

fn src_value(inp: &mut Inp<'_, '_>, (a, b): (usize, usize)) -> Value {
    Value {
        text: src(inp)[a..b].to_string(),
        bytes: None,
        quoted: None,
        span: sp(a, b),
    }
}

/// The span to underline for an error at `offset`: the word or character
/// there (empty at the end of the input).
pub(crate) fn token_span(src: &str, offset: usize) -> Span {
    let b = src.as_bytes();
    if offset >= b.len() {
        return sp(b.len(), b.len());
    }
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
    if word(b[offset]) {
        let n = b[offset..].iter().take_while(|&&c| word(c)).count();
        return sp(offset, offset + n);
    }
    let ch = src[offset..].chars().next().map_or(1, char::len_utf8);
    sp(offset, offset + ch)
}

/// libsinsp throws: records the error at the cursor, marks it pending and
/// fails. While pending, nothing else is recorded.
fn throw(inp: &mut Inp<'_, '_>, message: impl Into<String>) -> EmptyErr {
    let p = pos(inp);
    let st = inp.state();
    if st.pending.is_none() {
        let span = token_span(st.src, p);
        st.push_error(message.into(), p, span);
        st.pending = Some(p as u32);
    }
    fail()
}

/// An error that libsinsp would throw but after which we simply go on.
fn report(inp: &mut Inp<'_, '_>, message: impl Into<String>, offset: usize, span: Span) {
    inp.state().push_error(message.into(), offset, span);
}

/// Runs a sub-parser (failing at once while a throw is pending).
fn sub<'s, O>(inp: &mut Inp<'s, '_>, p: &impl Parser<'s, In<'s>, O, Ex<'s>>) -> R<O> {
    if inp.state().pending.is_some() {
        return Err(fail());
    }
    inp.parse(p).map_err(|_| fail())
}

/// libsinsp's `depth_guard` around a routine: the counter is incremented on
/// entry and decremented on exit (also when the routine throws), and the
/// guard throws when the counter reaches the limit — in which case its own
/// increment is *not* undone (C++ does not run the destructor of an object
/// whose constructor threw).
fn guarded<'s, 'p, O>(inp: &mut Inp<'s, 'p>, f: impl FnOnce(&mut Inp<'s, 'p>) -> R<O>) -> R<O> {
    if inp.state().pending.is_some() {
        return Err(fail());
    }
    let st = inp.state();
    st.depth += 1;
    if st.depth >= st.max_depth {
        let m = msg::depth(st.max_depth);
        return Err(throw(inp, m));
    }
    let r = f(inp);
    let st = inp.state();
    st.depth = st.depth.saturating_sub(1);
    r
}

fn not_pending<'s>() -> impl Parser<'s, In<'s>, (), Ex<'s>> + Clone {
    custom(|inp: &mut Inp<'s, '_>| {
        if inp.state().pending.is_some() {
            Err(fail())
        } else {
            Ok(())
        }
    })
}

// ---------------------------------------------------------------------------
// Recovery

/// True when an `and`/`or` keyword that can continue a chain starts at `i`.
fn keyword_at(s: &[u8], i: usize) -> bool {
    let prev_ok = i == 0 || {
        let p = s[i - 1];
        is_blank(p) || matches!(p, b')' | b'"' | b'\'' | b']')
    };
    if !prev_ok {
        return false;
    }
    let follows = |n: usize| s.get(i + n).is_some_and(|&c| is_blank(c) || c == b'(');
    (s[i..].starts_with(b"and") && follows(3)) || (s[i..].starts_with(b"or") && follows(2))
}

/// Where recovery resumes, scanning from `from` (quoted strings skipped):
/// the first position at or after `min` that is
///
/// * the end of the input;
/// * a `)` at paren nesting 0 (counted from `from`) when `in_group` — it
///   closes the current group;
/// * an `and`/`or` keyword that is not inside parentheses opened after
///   `min` (parentheses still open at `min`, such as an unclosed list, do
///   not hide the keyword).
///
/// A `)` at nesting 0 outside any group is leftover text and is skipped.
pub(crate) fn sync_point(src: &str, from: usize, min: usize, in_group: bool) -> usize {
    let s = src.as_bytes();
    let mut i = from;
    let mut nest: u32 = 0;
    let mut nest_at_min: Option<u32> = None;
    while i < s.len() {
        let c = s[i];
        if i >= min {
            let base = *nest_at_min.get_or_insert(nest);
            if (c == b')' && in_group && nest == 0) || (nest <= base && keyword_at(s, i)) {
                return i;
            }
        }
        match c {
            b'(' => nest += 1,
            b')' => nest = nest.saturating_sub(1),
            b'"' | b'\'' => {
                if let Some(n) = quoted_len(&src[i..]) {
                    i += n;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// The end of `a..b` without trailing blanks.
fn trim_end(src: &str, a: usize, b: usize) -> usize {
    let s = src.as_bytes();
    let mut e = b;
    while e > a && is_blank(s[e - 1]) {
        e -= 1;
    }
    e
}

/// Skips from the cursor to the next synchronisation point (at least one
/// character) and returns the skipped span, trimmed.
fn skip_junk(inp: &mut Inp<'_, '_>) -> Span {
    let p = pos(inp);
    let s = src(inp);
    let in_group = inp.state().group_depth > 0;
    let mut stop = sync_point(s, p, p, in_group);
    if stop == p && p < s.len() {
        stop = p + s[p..].chars().next().map_or(1, char::len_utf8);
    }
    advance_to(inp, stop);
    sp(p, trim_end(s, p, stop))
}

/// The `via_parser` recovery of an operand: chumsky has rewound to the
/// operand start; skip to the synchronisation point after the pending error
/// and stand in an [`Expr::Error`].
fn recover_operand<'s>() -> impl Parser<'s, In<'s>, Expr, Ex<'s>> + Clone {
    custom(|inp: &mut Inp<'s, '_>| {
        let start = pos(inp);
        let s = src(inp);
        let st = inp.state();
        let min = match st.pending.take() {
            Some(o) => o as usize,
            None => {
                // Every failure path throws first; keep a message anyway.
                let span = token_span(s, start);
                st.push_error("syntax error".to_string(), start, span);
                start
            }
        };
        let stop = sync_point(s, start, min, st.group_depth > 0);
        advance_to(inp, stop);
        Ok(Expr::Error {
            span: sp(start, trim_end(s, start, stop)),
        })
    })
}

// ---------------------------------------------------------------------------
// Grammar

/// Handles to the recursive parsers, shared by the routines.
#[derive(Clone)]
struct H<'s> {
    or_expr: Rec<'s, Expr>,
    tcall: Rec<'s, Option<Transformer>>,
}

/// Calls the transformer parser. libsinsp skips blanks after `name(`
/// *before* entering the guarded remainder everywhere except for a call
/// that is itself a transformer argument; it matters for the offset of a
/// depth error.
fn call_transformer<'s>(
    inp: &mut Inp<'s, '_>,
    tcall: &Rec<'s, Option<Transformer>>,
    blank_before_guard: bool,
) -> R<Option<Transformer>> {
    inp.state().blank_before_guard = blank_before_guard;
    sub(inp, tcall)
}

/// The transformer call parser: `name(` args `)` [`[arg]`]. Returns `None`
/// without consuming anything when no transformer name glued to `(` is at
/// the cursor. Recursion (nested calls) goes through `tcall`. Use it via
/// [`call_transformer`].
fn transformer_call<'s>() -> Rec<'s, Option<Transformer>> {
    recursive(|tcall: Rec<'s, Option<Transformer>>| {
        custom(move |inp: &mut Inp<'s, '_>| {
            if inp.state().pending.is_some() {
                return Err(fail());
            }
            let start = pos(inp);
            let Some((kind, n)) = transformer_prefix(rest(inp)) else {
                return Ok(None);
            };
            advance_to(inp, start + n);
            // libsinsp drops the '(' from the last token.
            inp.state().last = LastTok::Src(start as u32, (start + n - 1) as u32);
            let name_span = sp(start, start + n - 1);
            if std::mem::take(&mut inp.state().blank_before_guard) {
                lex_blank(inp);
            }
            guarded(inp, |inp| {
                lex_blank(inp);
                let mut args = Vec::new();
                loop {
                    args.push(transformer_arg(&tcall, inp)?);
                    lex_blank(inp);
                    if !lex_str(inp, ",") {
                        break;
                    }
                }
                lex_blank(inp);
                if !lex_str(inp, ")") {
                    return Err(throw(inp, msg::TRANSFORMER_CLOSE));
                }
                let arg = field_arg(inp)?;
                Ok(Some(Transformer {
                    kind,
                    name_span,
                    args,
                    arg,
                    span: sp(start, pos(inp)),
                }))
            })
        })
    })
}

/// `parse_optional_field_arg` (not guarded).
fn field_arg(inp: &mut Inp<'_, '_>) -> R<Option<FieldArg>> {
    let start = pos(inp);
    if !lex_str(inp, "[") {
        return Ok(None);
    }
    let (value, quoted) = if let Some(q) = lex_quoted(inp) {
        (String::from_utf8_lossy(&q.bytes).into_owned(), true)
    } else if let Some((a, b)) = lex_class::<FieldArgBareTok>(inp) {
        (src(inp)[a..b].to_string(), false)
    } else {
        return Err(throw(inp, msg::FIELD_ARG));
    };
    if !lex_str(inp, "]") {
        return Err(throw(inp, msg::RBRACKET));
    }
    Ok(Some(FieldArg {
        value,
        quoted,
        span: sp(start, pos(inp)),
    }))
}

/// `parse_field_remainder` (guarded) after a field name at `a..b`.
fn field_rest(inp: &mut Inp<'_, '_>, (a, b): (usize, usize)) -> R<FieldRef> {
    guarded(inp, |inp| {
        let name = src(inp)[a..b].to_string();
        let arg = field_arg(inp)?;
        Ok(FieldRef {
            name,
            name_span: sp(a, b),
            arg,
            span: sp(a, pos(inp)),
        })
    })
}

fn field(inp: &mut Inp<'_, '_>) -> R<Option<FieldRef>> {
    match lex_class::<FieldNameTok>(inp) {
        Some(n) => field_rest(inp, n).map(Some),
        None => Ok(None),
    }
}

/// `parse_field_transformer_arg` (guarded).
fn transformer_arg<'s>(
    tcall: &Rec<'s, Option<Transformer>>,
    inp: &mut Inp<'s, '_>,
) -> R<TransformerArg> {
    guarded(inp, |inp| {
        lex_blank(inp);
        let start = pos(inp);
        if let Some(n) = lex_number(inp) {
            return Ok(TransformerArg::Number(src_value(inp, n)));
        }
        if let Some(q) = lex_quoted(inp) {
            return Ok(TransformerArg::Str(quoted_value(q)));
        }
        if lex_str(inp, "(") {
            return transformer_list(tcall, inp, start);
        }
        if let Some(t) = call_transformer(inp, tcall, false)? {
            return Ok(TransformerArg::Transformer(t));
        }
        if let Some(f) = field(inp)? {
            return Ok(TransformerArg::Field(f));
        }
        Err(throw(inp, msg::TRANSFORMER_ARG))
    })
}

/// `parse_transformer_list` after `(` (not guarded).
fn transformer_list<'s>(
    tcall: &Rec<'s, Option<Transformer>>,
    inp: &mut Inp<'s, '_>,
    start: usize,
) -> R<TransformerArg> {
    let mut items = Vec::new();
    lex_blank(inp);
    if !lex_str(inp, ")") {
        items.push(transformer_list_item(tcall, inp)?);
        lex_blank(inp);
        while lex_str(inp, ",") {
            lex_blank(inp);
            items.push(transformer_list_item(tcall, inp)?);
            lex_blank(inp);
        }
        if !lex_str(inp, ")") {
            return Err(throw(inp, msg::TRANSFORMER_LIST_CLOSE));
        }
    }
    Ok(TransformerArg::List {
        items,
        span: sp(start, pos(inp)),
    })
}

/// `parse_transformer_list_arg` (not guarded).
fn transformer_list_item<'s>(
    tcall: &Rec<'s, Option<Transformer>>,
    inp: &mut Inp<'s, '_>,
) -> R<TransformerArg> {
    if let Some(f) = field(inp)? {
        return Ok(TransformerArg::Field(f));
    }
    if let Some(t) = call_transformer(inp, tcall, true)? {
        return Ok(TransformerArg::Transformer(t));
    }
    if let Some(q) = lex_quoted(inp) {
        return Ok(TransformerArg::Str(quoted_value(q)));
    }
    if let Some(n) = lex_number(inp) {
        return Ok(TransformerArg::Number(src_value(inp, n)));
    }
    Err(throw(inp, msg::TRANSFORMER_LIST_ARG))
}

/// `try_parse_transformer_or_val` (guarded; `None` when neither starts here).
fn transformer_or_val<'s>(h: &H<'s>, inp: &mut Inp<'s, '_>) -> R<Option<Rhs>> {
    guarded(inp, |inp| {
        lex_blank(inp);
        let start = pos(inp);
        if rest(inp).starts_with("val(") {
            advance_to(inp, start + 4);
            inp.state().last = LastTok::Src(start as u32, (start + 3) as u32);
            lex_blank(inp);
            let Some(name) = lex_class::<FieldNameTok>(inp) else {
                return Err(throw(inp, msg::VAL_FIELD));
            };
            let field = field_rest(inp, name)?;
            lex_blank(inp);
            if !lex_str(inp, ")") {
                return Err(throw(inp, msg::TRANSFORMER_CLOSE));
            }
            // `val(f)[arg]` parses; the compiler rejects it later.
            let arg = field_arg(inp)?;
            return Ok(Some(Rhs::Val {
                field,
                arg,
                span: sp(start, pos(inp)),
            }));
        }
        Ok(call_transformer(inp, &h.tcall, true)?.map(Rhs::Transformer))
    })
}

/// `parse_num_value_or_transformer` (guarded).
fn num_operand<'s>(h: &H<'s>, inp: &mut Inp<'s, '_>) -> R<Rhs> {
    guarded(inp, |inp| {
        lex_blank(inp);
        if let Some(r) = transformer_or_val(h, inp)? {
            return Ok(r);
        }
        if let Some(n) = lex_number(inp) {
            return Ok(Rhs::Value(src_value(inp, n)));
        }
        Err(throw(inp, msg::number_operand()))
    })
}

/// `parse_str_value_or_transformer` (guarded).
fn str_operand<'s>(h: &H<'s>, inp: &mut Inp<'s, '_>) -> R<Rhs> {
    guarded(inp, |inp| {
        lex_blank(inp);
        if let Some(r) = transformer_or_val(h, inp)? {
            return Ok(r);
        }
        match string_value(inp) {
            Some(v) => Ok(Rhs::Value(v)),
            None => Err(throw(inp, msg::string_operand())),
        }
    })
}

/// `parse_str_value_or_transformer` without transformers (guarded): a list
/// item.
fn list_item(inp: &mut Inp<'_, '_>) -> R<Value> {
    guarded(inp, |inp| {
        lex_blank(inp);
        match string_value(inp) {
            Some(v) => Ok(v),
            None => Err(throw(inp, msg::STRING_VALUE)),
        }
    })
}

/// `lex_quoted_str() || lex_bare_str()`.
fn string_value(inp: &mut Inp<'_, '_>) -> Option<Value> {
    if let Some(q) = lex_quoted(inp) {
        return Some(quoted_value(q));
    }
    lex_class::<BareStringTok>(inp).map(|n| src_value(inp, n))
}

/// `try_parse_list_expr` (not guarded; `None` without a `(`).
///
/// The quirk of A.7: any failure of the *first* item is swallowed and the
/// list is then expected to close right there (the cursor stays where the
/// failure left it, e.g. after a quoted string with a bad escape).
fn list_literal(inp: &mut Inp<'_, '_>) -> R<Option<ListLit>> {
    let start = pos(inp);
    if !lex_str(inp, "(") {
        return Ok(None);
    }
    lex_blank(inp);
    let errors_before = inp.state().errors.len();
    let cp = inp.save();
    let mut items = Vec::new();
    let swallowed = match list_item(inp) {
        Ok(v) if inp.state().errors.len() == errors_before => {
            items.push(v);
            false
        }
        Ok(_) => {
            // A bad escape: libsinsp threw after consuming the string.
            inp.state().errors.truncate(errors_before);
            true
        }
        Err(_) => {
            let st = inp.state();
            let at = st.pending.take().map_or(start, |o| o as usize);
            st.errors.truncate(errors_before);
            // If the depth guard itself threw, its increment stays.
            let depth = st.depth;
            inp.rewind(cp);
            inp.state().depth = depth;
            advance_to(inp, at);
            true
        }
    };
    if !swallowed {
        lex_blank(inp);
        while lex_str(inp, ",") {
            items.push(list_item(inp)?);
            lex_blank(inp);
        }
    }
    if !lex_str(inp, ")") {
        return Err(throw(inp, msg::RPAREN));
    }
    Ok(Some(ListLit {
        items,
        span: sp(start, pos(inp)),
    }))
}

/// `parse_list_value` (guarded): the operand after a modifier.
fn list_value(inp: &mut Inp<'_, '_>) -> R<Rhs> {
    guarded(inp, |inp| {
        lex_blank(inp);
        if let Some(l) = list_literal(inp)? {
            return Ok(Rhs::List(l));
        }
        if let Some(n) = lex_class::<IdentifierTok>(inp) {
            return Ok(Rhs::Ident(name(inp, n)));
        }
        Err(throw(inp, msg::LIST_OR_IDENT))
    })
}

/// `parse_list_value_or_transformer` (guarded): after `in`/`intersects`/`pmatch`.
fn list_operand<'s>(h: &H<'s>, inp: &mut Inp<'s, '_>) -> R<Rhs> {
    guarded(inp, |inp| {
        lex_blank(inp);
        if let Some(l) = list_literal(inp)? {
            return Ok(Rhs::List(l));
        }
        if let Some(r) = transformer_or_val(h, inp)? {
            return Ok(r);
        }
        if let Some(n) = lex_class::<IdentifierTok>(inp) {
            return Ok(Rhs::Ident(name(inp, n)));
        }
        Err(throw(inp, msg::list_operand()))
    })
}

fn name(inp: &mut Inp<'_, '_>, (a, b): (usize, usize)) -> Name {
    Name {
        text: src(inp)[a..b].to_string(),
        span: sp(a, b),
    }
}

/// Lexes an operator: the longest operator text at the cursor; a word
/// operator only counts when a blank follows (which it consumes).
fn lex_op(inp: &mut Inp<'_, '_>) -> Option<(OpKind, Span)> {
    let (tok, n) = match_tok::<OpTok>(rest(inp))?;
    let kind = tok.kind();
    let start = pos(inp);
    let is_word = kind.as_str().as_bytes()[0].is_ascii_alphabetic()
        && kind != OpKind::Exists
        && !kind.is_list_op();
    if is_word && !rest(inp)[n..].bytes().next().is_some_and(is_blank) {
        return None;
    }
    lex_str(inp, kind.as_str());
    if is_word {
        lex_blank(inp);
    }
    Some((kind, sp(start, start + n)))
}

/// `oneof`/`anyof`/`allof` followed by at least one blank (consumed).
fn lex_modifier(inp: &mut Inp<'_, '_>) -> Option<(Modifier, Span)> {
    let r = rest(inp);
    let m = [Modifier::Oneof, Modifier::Anyof, Modifier::Allof]
        .into_iter()
        .find(|m| r.starts_with(m.as_str()))?;
    if !r[5..].bytes().next().is_some_and(is_blank) {
        return None;
    }
    let start = pos(inp);
    lex_str(inp, m.as_str());
    lex_blank(inp);
    Some((m, sp(start, start + 5)))
}

/// `list_value_follows() && !bool_keyword_follows()` at the start of `r`.
fn modifier_operand_follows(r: &str) -> bool {
    let list_follows = r.starts_with('(') || match_len::<IdentifierTok>(r) > 0;
    let keyword = ["and", "or", "not"].iter().any(|kw| {
        r.starts_with(kw)
            && !r
                .as_bytes()
                .get(kw.len())
                .is_some_and(|c| c.is_ascii_alphanumeric())
    });
    list_follows && !keyword
}

/// `parse_condition` (guarded): the operator and operand after `lhs`.
fn condition<'s>(h: &H<'s>, inp: &mut Inp<'s, '_>, lhs: Lhs) -> R<Expr> {
    guarded(inp, |inp| {
        lex_blank(inp);
        let Some((kind, op_span)) = lex_op(inp) else {
            return Err(throw(inp, msg::operator()));
        };
        let start = lhs.span().start as usize;
        let mut op = Operator {
            kind,
            span: op_span,
            modifier: None,
        };
        let rhs = if kind == OpKind::Exists {
            return Ok(Expr::Unary {
                lhs,
                op,
                span: sp(start, op_span.end as usize),
            });
        } else if kind.is_relational() {
            num_operand(h, inp)?
        } else if kind.is_list_op() {
            list_operand(h, inp)?
        } else {
            // Word operators consumed their blank; symbols may have one.
            let had_blank = kind.as_str().as_bytes()[0].is_ascii_alphabetic() || lex_blank(inp);
            let cp = inp.save();
            let modifier = if had_blank {
                match lex_modifier(inp) {
                    Some(m) if modifier_operand_follows(rest(inp)) => Some(m),
                    _ => None,
                }
            } else {
                None
            };
            match modifier {
                Some(m) => {
                    op.modifier = Some(m);
                    list_value(inp)?
                }
                None => {
                    inp.rewind(cp);
                    str_operand(h, inp)?
                }
            }
        };
        let end = rhs.span().end as usize;
        Ok(Expr::Binary {
            lhs,
            op,
            rhs,
            span: sp(start, end),
        })
    })
}

/// `parse_check` (guarded).
fn check<'s>(h: &H<'s>, inp: &mut Inp<'s, '_>) -> R<Expr> {
    guarded(inp, |inp| {
        lex_blank(inp);
        let open = pos(inp);
        if lex_str(inp, "(") {
            return embedded(h, inp, open);
        }
        if let Some(f) = field(inp)? {
            return condition(h, inp, Lhs::Field(f));
        }
        if let Some(t) = call_transformer(inp, &h.tcall, true)? {
            return condition(h, inp, Lhs::Transformer(t));
        }
        if let Some(n) = lex_class::<IdentifierTok>(inp) {
            return Ok(Expr::Macro(name(inp, n)));
        }
        Err(throw(inp, msg::CHECK))
    })
}

/// `parse_embedded_remainder` (guarded): a group after its `(` at `open`.
fn embedded<'s>(h: &H<'s>, inp: &mut Inp<'s, '_>, open: usize) -> R<Expr> {
    guarded(inp, |inp| {
        lex_blank(inp);
        inp.state().group_depth += 1;
        let e = sub(inp, &h.or_expr);
        let st = inp.state();
        st.group_depth = st.group_depth.saturating_sub(1);
        let e = e?;
        lex_blank(inp);
        if !lex_str(inp, ")") {
            let p = pos(inp);
            report(inp, msg::RPAREN, p, sp(open, open + 1));
        }
        Ok(e)
    })
}

/// `parse_not` (guarded).
fn not_expr<'s>(h: &H<'s>, inp: &mut Inp<'s, '_>) -> R<Expr> {
    guarded(inp, |inp| {
        lex_blank(inp);
        let start = pos(inp);
        let mut negate = false;
        while lex_class::<NotBlankTok>(inp).is_some() {
            negate = !negate;
        }
        let open = pos(inp) + 3;
        let child = if lex_str(inp, "not(") {
            negate = !negate;
            embedded(h, inp, open)?
        } else {
            check(h, inp)?
        };
        Ok(if negate {
            Expr::Not {
                child: Box::new(child),
                span: sp(start, pos(inp)),
            }
        } else {
            child
        })
    })
}

/// Which chain a loop builds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chain {
    And,
    Or,
}

/// The parsers a chain needs: its items and glued `(` groups.
struct ChainParsers<'a, 's> {
    operand: &'a Bx<'s, Expr>,
    and_expr: &'a Bx<'s, Expr>,
    glued: &'a Bx<'s, Expr>,
}

/// `parse_and` / `parse_or` (guarded): `item { kw ( blank item | "(" group ) }`.
fn chain<'s>(inp: &mut Inp<'s, '_>, kind: Chain, p: &ChainParsers<'_, 's>) -> R<Expr> {
    guarded(inp, |inp| {
        lex_blank(inp);
        let start = pos(inp);
        let item = match kind {
            Chain::And => p.operand,
            Chain::Or => p.and_expr,
        };
        let first = sub(inp, item)?;
        chain_rest(inp, kind, p, start, first)
    })
}

/// The loop of a chain whose first child (starting at `start`) is parsed.
///
/// The `and` loop also detects leftover text after an operand (what
/// libsinsp notices only when the enclosing group or the whole input fails
/// to end there) so it can report it and continue the chain.
fn chain_rest<'s>(
    inp: &mut Inp<'s, '_>,
    kind: Chain,
    p: &ChainParsers<'_, 's>,
    start: usize,
    first: Expr,
) -> R<Expr> {
    let (kw, item) = match kind {
        Chain::And => ("and", p.operand),
        Chain::Or => ("or", p.and_expr),
    };
    let mut children = vec![first];
    let mut end = pos(inp);
    loop {
        lex_blank(inp);
        if lex_str(inp, kw) {
            if lex_blank(inp) {
                children.push(sub(inp, item)?);
            } else if rest(inp).starts_with('(') {
                children.push(sub(inp, p.glued)?);
            } else {
                let at = pos(inp);
                let m = match kind {
                    Chain::And => msg::BLANK_AFTER_AND,
                    Chain::Or => msg::BLANK_AFTER_OR,
                };
                let span = token_span(src(inp), at);
                report(inp, m, at, span);
                let skipped = if at < src(inp).len() {
                    skip_junk(inp)
                } else {
                    sp(at, at)
                };
                let bad = Expr::Error { span: skipped };
                let child = if kind == Chain::Or && next_is_and(inp) {
                    // `x order c and d`: the bad part heads an `and` chain.
                    chain_rest(inp, Chain::And, p, at, bad)?
                } else {
                    bad
                };
                children.push(child);
            }
            end = pos(inp);
            continue;
        }
        if kind == Chain::Or {
            break;
        }
        let r = rest(inp);
        let in_group = inp.state().group_depth > 0;
        if r.is_empty() || r.starts_with("or") || (in_group && r.starts_with(')')) {
            break;
        }
        // Leftover text after a complete operand.
        let at = pos(inp);
        let st = inp.state();
        let m = if in_group {
            msg::RPAREN.to_string()
        } else if st.depth != 2 {
            // Only after libsinsp's list quirk left the counter high.
            msg::UNBALANCED.to_string()
        } else {
            msg::unexpected_after(&st.last_text())
        };
        let junk = skip_junk(inp);
        report(inp, m, at, junk);
    }
    let end = trim_end(src(inp), start, end.max(start));
    Ok(if children.len() == 1 {
        children.pop().unwrap_or(Expr::Error {
            span: sp(start, end),
        })
    } else {
        let span = sp(start, end);
        match kind {
            Chain::And => Expr::And { children, span },
            Chain::Or => Expr::Or { children, span },
        }
    })
}

/// Whether blanks and then an `and` keyword follow the cursor.
fn next_is_and(inp: &mut Inp<'_, '_>) -> bool {
    let r = rest(inp).as_bytes();
    let n = blank_len(r);
    r[n..].starts_with(b"and")
}

/// Wraps an operand parser with chumsky recovery.
fn recovering<'s>(p: impl Parser<'s, In<'s>, Expr, Ex<'s>> + Clone + 's) -> Bx<'s, Expr> {
    p.then_ignore(not_pending())
        .recover_with(via_parser(recover_operand()))
        .boxed()
}

fn handles<'s>() -> (Rec<'s, Expr>, Rec<'s, Option<Transformer>>) {
    let tcall = transformer_call();
    let tc = tcall.clone();
    let or_expr = recursive(move |or_expr: Rec<'s, Expr>| {
        let h = H {
            or_expr,
            tcall: tc.clone(),
        };
        let h1 = h.clone();
        let operand = recovering(custom(move |inp: &mut Inp<'s, '_>| not_expr(&h1, inp)));
        let h2 = h.clone();
        let glued = recovering(custom(move |inp: &mut Inp<'s, '_>| {
            let open = pos(inp);
            if !lex_str(inp, "(") {
                return Err(fail());
            }
            embedded(&h2, inp, open)
        }));
        let (op, gl) = (operand.clone(), glued.clone());
        let and_expr = custom(move |inp: &mut Inp<'s, '_>| {
            let p = ChainParsers {
                operand: &op,
                and_expr: &op,
                glued: &gl,
            };
            chain(inp, Chain::And, &p)
        })
        .boxed();
        custom(move |inp: &mut Inp<'s, '_>| {
            let p = ChainParsers {
                operand: &operand,
                and_expr: &and_expr,
                glued: &glued,
            };
            chain(inp, Chain::Or, &p)
        })
    });
    (or_expr, tcall)
}

/// The whole-condition parser.
pub(crate) fn condition_parser<'s>() -> Bx<'s, Expr> {
    let (or_expr, _) = handles();
    let top = or_expr
        .then_ignore(not_pending())
        .recover_with(via_parser(custom(|inp: &mut Inp<'s, '_>| {
            // Only a depth limit of 1 or 2 gets here.
            let start = pos(inp);
            let s = src(inp);
            inp.state().pending = None;
            advance_to(inp, s.len());
            Ok(Expr::Error {
                span: sp(start, s.len()),
            })
        })));
    top.then_ignore(custom(|inp: &mut Inp<'s, '_>| {
        let p = pos(inp);
        let s = src(inp);
        if inp.state().depth != 0 {
            let span = token_span(s, p);
            inp.state().push_error(msg::UNBALANCED.to_string(), p, span);
        }
        if p < s.len() {
            let span = sp(p, s.len());
            let m = msg::unexpected_after(&inp.state().last_text());
            inp.state().push_error(m, p, span);
            advance_to(inp, s.len());
        }
        Ok(())
    }))
    .boxed()
}

/// `parse_field_or_transformer`, the entry point of output formats: a field
/// or transformer call at the very start (no blanks), then anything. Yields
/// the expression and the number of bytes it used.
fn field_or_transformer_parser<'s>() -> Bx<'s, Option<(Lhs, usize)>> {
    let tcall = transformer_call();
    custom(move |inp: &mut Inp<'s, '_>| {
        let r = guarded(inp, |inp| {
            if let Some(f) = field(inp)? {
                return Ok(Lhs::Field(f));
            }
            if let Some(t) = call_transformer(inp, &tcall, true)? {
                return Ok(Lhs::Transformer(t));
            }
            let m = msg::output_unexpected(&inp.state().last_text());
            Err(throw(inp, m))
        });
        let used = pos(inp);
        let out = r.ok().map(|l| (l, used));
        let s = src(inp);
        inp.state().pending = None;
        advance_to(inp, s.len());
        Ok(out)
    })
    .boxed()
}

/// libsinsp's output-format token parser (its own parser object with the
/// default depth limit of 100), reusable for many sub-slices of one text.
pub(crate) struct TokenParser<'s> {
    parser: Bx<'s, Option<(Lhs, usize)>>,
}

impl<'s> TokenParser<'s> {
    pub(crate) const MAX_DEPTH: u32 = 100;

    pub(crate) fn new() -> TokenParser<'s> {
        TokenParser {
            parser: field_or_transformer_parser(),
        }
    }

    /// Parses a field or transformer at the start of `text`. Returns the
    /// expression (spans relative to `text`) and the bytes used, or `None`
    /// on any error (escape errors included).
    pub(crate) fn parse(&self, text: &'s str) -> Option<(Lhs, usize)> {
        let mut st = St::new(text, Self::MAX_DEPTH);
        let out = self
            .parser
            .parse_with_state(text, &mut st)
            .into_output()??;
        st.errors.is_empty().then_some(out)
    }
}

/// Parses a whole condition.
pub(crate) fn parse(text: &str, max_depth: u32) -> ParsedCondition {
    if text.is_empty() {
        return ParsedCondition {
            expr: None,
            errors: vec![ParseError {
                message: msg::EMPTY.to_string(),
                offset: 0,
                span: Span::empty(0),
            }],
        };
    }
    let parser = condition_parser();
    let mut st = St::new(text, max_depth);
    let out = parser.parse_with_state(text, &mut st).into_output();
    ParsedCondition {
        expr: out,
        errors: st.errors,
    }
}
