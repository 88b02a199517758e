//! Rule output formats (LANGUAGE.md C.13), as libsinsp's event formatter
//! reads them.
//!
//! * A leading `*` ("print even when values are missing") is dropped.
//! * Text is literal except `%` tokens; there is no escape for `%`.
//! * `%` may be followed by decimal digits (a width), then a field or a
//!   transformer call (`val` is not available, no blank before the
//!   expression).
//! * The extent of a token is the *longest* prefix of the remaining text
//!   that parses as a field or transformer call **and compiles**: libsinsp
//!   tries the whole remainder, then one byte less, and so on. Compiling
//!   needs the field catalog, so the caller supplies that test as
//!   `accepts`. Instead of one parse per byte we only try the lengths whose
//!   outcome can differ (a success at length `L` that used `u` bytes gives
//!   the same result for every length in `u..=L`; a field name only shrinks
//!   to its valid prefixes; a transformer call can only end at `)` or `]`),
//!   which visits the candidates in the same order.
//!
//! libsinsp stops at the first error; we report it and go on with the rest
//! of the text (a bad `%` is then kept as text).

use falconer_text::Span;

use crate::ast::{FieldRef, Lhs, ParseError};
use crate::lexer::{match_len, transformer_prefix, FieldNameTok};
use crate::parser::{token_span, TokenParser};
use crate::visit::lhs_spans;

/// A parsed output format.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutputFormat {
    pub segments: Vec<OutputSegment>,
    pub errors: Vec<ParseError>,
}

impl OutputFormat {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The tokens' expressions, in order.
    pub fn tokens(&self) -> impl Iterator<Item = &Lhs> {
        self.segments.iter().filter_map(|s| match s {
            OutputSegment::Token { expr, .. } => Some(expr),
            OutputSegment::Text { .. } => None,
        })
    }
}

/// A piece of an output format. Spans are byte ranges of the format text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OutputSegment {
    /// Literal text.
    Text { span: Span },
    /// `%[width]expr`: `span` runs from the `%` to the end of the
    /// expression; `width` is the number written after `%` (saturating),
    /// `None` when there is none.
    Token {
        width: Option<u32>,
        expr: Lhs,
        span: Span,
    },
}

impl OutputSegment {
    pub fn span(&self) -> Span {
        match self {
            OutputSegment::Text { span } | OutputSegment::Token { span, .. } => *span,
        }
    }
}

pub const EMPTY: &str = "empty formatting token";
pub const ENDS_WITH_PERCENT: &str = "invalid formatting syntax: formatting cannot end with a %";
pub const ENDS_WITH_NUMBER: &str = "invalid formatting syntax: formatting cannot end with a number";
/// libsinsp's message when no prefix after `%` is a valid expression: the
/// last attempt (one byte) fails in the parser's entry point, whose message
/// has no closing quote.
pub const UNKNOWN_FILTER: &str = "unknown filter: unexpected token after '";

/// Parses an output format. `accepts` says whether a field or transformer
/// compiles for the rule's source (the caller knows the catalog).
pub fn parse_output(text: &str, accepts: &dyn Fn(&Lhs) -> bool) -> OutputFormat {
    let mut out = OutputFormat {
        segments: Vec::new(),
        errors: Vec::new(),
    };
    if text.is_empty() {
        out.errors.push(ParseError {
            message: EMPTY.to_string(),
            offset: 0,
            span: Span::empty(0),
        });
        return out;
    }
    let base = usize::from(text.starts_with('*'));
    let s = &text[base..];
    let b = s.as_bytes();
    let len = b.len();
    let tp = TokenParser::new();
    let abs = |i: usize| (base + i) as u32;
    let mut text_start = 0;
    let mut j = 0;
    while j < len {
        if b[j] != b'%' {
            j += 1;
            continue;
        }
        let pct = j;
        if text_start != j {
            push_text(&mut out.segments, Span::new(abs(text_start), abs(j)));
            text_start = j;
        }
        if j == len - 1 {
            out.errors.push(ParseError {
                message: ENDS_WITH_PERCENT.to_string(),
                offset: abs(j),
                span: Span::new(abs(j), abs(len)),
            });
            break;
        }
        let mut width = None;
        if b[j + 1].is_ascii_digit() {
            let digits = b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            let w = b[j + 1..j + 1 + digits].iter().fold(0u32, |acc, &c| {
                acc.saturating_mul(10).saturating_add(u32::from(c - b'0'))
            });
            width = Some(w);
            j += digits;
            if j == len - 1 {
                out.errors.push(ParseError {
                    message: ENDS_WITH_NUMBER.to_string(),
                    offset: abs(pct),
                    span: Span::new(abs(pct), abs(len)),
                });
                break;
            }
        }
        let start = j + 1;
        match find_token(&s[start..], &tp, accepts) {
            Some((mut expr, used)) => {
                let delta = abs(start);
                lhs_spans(&mut expr, &mut |sp| *sp = sp.shift(delta));
                out.segments.push(OutputSegment::Token {
                    width,
                    expr,
                    span: Span::new(abs(pct), abs(start + used)),
                });
                j = start + used;
                text_start = j;
            }
            None => {
                let word = token_span(s, start);
                out.errors.push(ParseError {
                    message: UNKNOWN_FILTER.to_string(),
                    offset: abs(pct),
                    span: Span::new(abs(pct), abs(word.end as usize)),
                });
                // Keep the `%` (and width) as text and go on.
                j = start;
            }
        }
    }
    if text_start < len {
        push_text(&mut out.segments, Span::new(abs(text_start), abs(len)));
    }
    out
}

/// Adds literal text, merging it with literal text right before it.
fn push_text(segments: &mut Vec<OutputSegment>, span: Span) {
    if let Some(OutputSegment::Text { span: prev }) = segments.last_mut() {
        if prev.end == span.start {
            prev.end = span.end;
            return;
        }
    }
    segments.push(OutputSegment::Text { span });
}

/// The token at the start of `rest`: the longest prefix that parses and is
/// accepted (see the module docs).
fn find_token<'s>(
    rest: &'s str,
    tp: &TokenParser<'s>,
    accepts: &dyn Fn(&Lhs) -> bool,
) -> Option<(Lhs, usize)> {
    let b = rest.as_bytes();
    let name_len = match_len::<FieldNameTok>(rest);
    if name_len > 0 {
        // The whole remainder: the name, with its argument if complete.
        if let Some((lhs, used)) = tp.parse(rest) {
            if accepts(&lhs) {
                return Some((lhs, used));
            }
        }
        // Then the name without argument (if it had one), then every
        // shorter prefix that is still a field name.
        let first_dot = b.iter().position(|&c| c == b'.').unwrap_or(name_len);
        let mut l = if b.get(name_len) == Some(&b'[') {
            name_len
        } else {
            name_len - 1
        };
        while l > first_dot + 1 {
            if b[l - 1] != b'.' {
                let field = FieldRef {
                    name: rest[..l].to_string(),
                    name_span: Span::new(0, l as u32),
                    arg: None,
                    span: Span::new(0, l as u32),
                };
                let lhs = Lhs::Field(field);
                if accepts(&lhs) {
                    return Some((lhs, l));
                }
            }
            l -= 1;
        }
        return None;
    }
    transformer_prefix(rest)?;
    let mut l = rest.len();
    while l > 0 {
        if l < rest.len() && !matches!(b[l - 1], b')' | b']') {
            l -= 1;
            continue;
        }
        match tp.parse(&rest[..l]) {
            Some((lhs, used)) => {
                if accepts(&lhs) {
                    return Some((lhs, used));
                }
                l = used.saturating_sub(1);
            }
            None => l -= 1,
        }
    }
    None
}
