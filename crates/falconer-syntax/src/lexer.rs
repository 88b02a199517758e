//! Token classes recognised *at a given position* (LANGUAGE.md A.2).
//!
//! libsinsp does not tokenize a condition up front: at each step its
//! recursive-descent parser tries an anchored POSIX regex (or a literal) at
//! the cursor, and the same bytes may be an identifier in one place and a
//! bare string in another. We mirror that: each regex-defined token class is
//! its own tiny [`logos`] lexer, and [`match_len`] runs one of them on the
//! remaining input and returns the length of its longest match at offset 0.
//! logos implements leftmost-longest matching with backtracking to the last
//! accepting state, which is what RE2's POSIX mode does for these patterns
//! (`1e5` is the number `1`: the exponent needs a sign; `a.b.` is the field
//! name `a.b`).
//!
//! Besides the regex classes this module holds the byte-level pieces of the
//! lexer that are not regular or that carry quirks: blanks (A.1), quoted
//! strings with their "closing quote not preceded by a backslash" rule and
//! the escape decoder (A.6), and the operator table (A.3, A.5).

use logos::Logos;

use crate::ast::OpKind;

/// `[a-zA-Z]+[a-zA-Z0-9_]*`
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdentifierTok {
    #[regex(r"[a-zA-Z]+[a-zA-Z0-9_]*")]
    Tok,
}

/// `[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+`
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldNameTok {
    #[regex(r"[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+")]
    Tok,
}

/// `[^][\"'[:space:]]+`: a field argument written without quotes.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldArgBareTok {
    #[regex(r#"[^\[\]"' \t\n\x0B\x0C\r]+"#)]
    Tok,
}

/// `0[xX][0-9a-fA-F]+`
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HexNumberTok {
    #[regex(r"0[xX][0-9a-fA-F]+")]
    Tok,
}

/// `[+\-]?[0-9]+[\.]?[0-9]*([eE][+\-][0-9]+)?`
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberTok {
    #[regex(r"[+\-]?[0-9]+\.?[0-9]*([eE][+\-][0-9]+)?")]
    Tok,
}

/// `[^()\"'[:space:]=,]+`: an unquoted value. Backspace and NUL are *not*
/// excluded (they are not `[[:space:]]`).
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BareStringTok {
    #[regex(r#"[^()"'=, \t\n\x0B\x0C\r]+"#)]
    Tok,
}

/// `not[[:space:]]+`: a negation prefix. The separator is the POSIX space
/// class (VT and FF included, backspace excluded), unlike ordinary blanks.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotBlankTok {
    #[regex(r"not[ \t\n\x0B\x0C\r]+")]
    Tok,
}

/// A complete quoted string under libsinsp's rule: it ends at the first
/// quote character (the same as the opening one) whose preceding byte is not
/// a backslash. A NUL byte ends the C string libsinsp scans, so it makes the
/// string unterminated.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotedTok {
    #[regex(r#""([^"\\\x00]|\\+[^"\\\x00]|\\+")*""#)]
    Double,
    #[regex(r#"'([^'\\\x00]|\\+[^'\\\x00]|\\+')*'"#)]
    Single,
}

/// Every comparison operator. logos picks the longest one, which equals
/// libsinsp's ordered search because no operator is a prefix of an operator
/// of another group (`<` / `<=`, `=` / `==`, `in` / `intersects` are
/// resolved longest-first by both).
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpTok {
    #[token("exists")]
    Exists,
    #[token("<=")]
    Le,
    #[token("<")]
    Lt,
    #[token(">=")]
    Ge,
    #[token(">")]
    Gt,
    #[token("==")]
    EqEq,
    #[token("=")]
    Eq,
    #[token("!=")]
    Ne,
    #[token("glob")]
    Glob,
    #[token("iglob")]
    Iglob,
    #[token("contains")]
    Contains,
    #[token("icontains")]
    Icontains,
    #[token("bcontains")]
    Bcontains,
    #[token("startswith")]
    Startswith,
    #[token("bstartswith")]
    Bstartswith,
    #[token("endswith")]
    Endswith,
    #[token("regex")]
    Regex,
    #[token("intersects")]
    Intersects,
    #[token("in")]
    In,
    #[token("pmatch")]
    Pmatch,
}

impl OpTok {
    pub(crate) fn kind(self) -> OpKind {
        match self {
            OpTok::Exists => OpKind::Exists,
            OpTok::Le => OpKind::Le,
            OpTok::Lt => OpKind::Lt,
            OpTok::Ge => OpKind::Ge,
            OpTok::Gt => OpKind::Gt,
            OpTok::EqEq => OpKind::EqEq,
            OpTok::Eq => OpKind::Eq,
            OpTok::Ne => OpKind::Ne,
            OpTok::Glob => OpKind::Glob,
            OpTok::Iglob => OpKind::Iglob,
            OpTok::Contains => OpKind::Contains,
            OpTok::Icontains => OpKind::Icontains,
            OpTok::Bcontains => OpKind::Bcontains,
            OpTok::Startswith => OpKind::Startswith,
            OpTok::Bstartswith => OpKind::Bstartswith,
            OpTok::Endswith => OpKind::Endswith,
            OpTok::Regex => OpKind::Regex,
            OpTok::Intersects => OpKind::Intersects,
            OpTok::In => OpKind::In,
            OpTok::Pmatch => OpKind::Pmatch,
        }
    }
}

/// Length of the longest match of token class `T` at the start of `s`
/// (0 when there is none).
pub(crate) fn match_len<'a, T>(s: &'a str) -> usize
where
    T: Logos<'a, Source = str>,
    T::Extras: Default,
{
    if s.is_empty() {
        return 0;
    }
    let mut lx = T::lexer(s);
    match lx.next() {
        Some(Ok(_)) if lx.span().start == 0 => lx.span().end,
        _ => 0,
    }
}

/// The first token of class `T` at the start of `s` with its length.
pub(crate) fn match_tok<'a, T>(s: &'a str) -> Option<(T, usize)>
where
    T: Logos<'a, Source = str>,
    T::Extras: Default,
{
    if s.is_empty() {
        return None;
    }
    let mut lx = T::lexer(s);
    match lx.next() {
        Some(Ok(t)) if lx.span().start == 0 => Some((t, lx.span().end)),
        _ => None,
    }
}

/// Blank bytes skipped between tokens (A.1): space, TAB, LF, CR and
/// backspace. VT and FF are *not* blanks.
pub(crate) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x08)
}

/// Number of blank bytes at the start of `s`.
pub(crate) fn blank_len(s: &[u8]) -> usize {
    s.iter().take_while(|&&b| is_blank(b)).count()
}

/// Length of the quoted string at the start of `s` (quotes included), or
/// `None` when `s` does not start with a quote or the string is not
/// terminated.
pub(crate) fn quoted_len(s: &str) -> Option<usize> {
    match s.as_bytes().first() {
        Some(b'"') | Some(b'\'') => {}
        _ => return None,
    }
    match_tok::<QuotedTok>(s).map(|(_, n)| n)
}

/// Reference implementation of the quoted-string scan, byte by byte, used to
/// cross-check the logos pattern in tests.
#[cfg(test)]
pub(crate) fn quoted_len_reference(s: &[u8]) -> Option<usize> {
    let delim = *s.first()?;
    if delim != b'"' && delim != b'\'' {
        return None;
    }
    let mut prev = b'\\';
    for (i, &c) in s.iter().enumerate() {
        if c == 0 {
            return None;
        }
        if c == delim && prev != b'\\' {
            return Some(i + 1);
        }
        prev = c;
    }
    None
}

/// The result of decoding a quoted string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unescaped {
    pub bytes: Vec<u8>,
    /// libsinsp's message for the first bad escape. Decoding goes on after
    /// it (the bad escape is kept literally) so recovery has a value.
    pub error: Option<String>,
}

/// Decodes the escapes of a complete quoted string `raw` (quotes included),
/// following libsinsp's `unescape_str` (A.6).
pub(crate) fn unescape(raw: &[u8]) -> Unescaped {
    let mut out = Vec::with_capacity(raw.len());
    let mut error: Option<String> = None;
    if raw.len() < 2 {
        return Unescaped { bytes: out, error };
    }
    let delim = raw[0];
    // Index of the closing quote: content is raw[1..len].
    let len = raw.len() - 1;
    let mut i = 1;
    while i < len {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        // An escape: raw[i + 1] exists and is content, because a quoted
        // string cannot end with a backslash.
        let Some(&e) = raw.get(i + 1).filter(|_| i + 1 < len) else {
            out.push(c);
            i += 1;
            continue;
        };
        let mut fail = |msg: String, out: &mut Vec<u8>, keep: &[u8]| {
            if error.is_none() {
                error = Some(msg);
            }
            out.extend_from_slice(keep);
        };
        match e {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0C),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            // `\ ` is a legacy spelling of a backslash.
            b' ' | b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'"' => {
                if delim != b'"' {
                    fail(
                        "invalid \\\" escape in '-quoted string".to_string(),
                        &mut out,
                        b"\\\"",
                    );
                } else {
                    out.push(b'"');
                }
            }
            b'\'' => {
                if delim != b'\'' {
                    fail(
                        "invalid \\' escape in \"-quoted string".to_string(),
                        &mut out,
                        b"\\'",
                    );
                } else {
                    out.push(b'\'');
                }
            }
            b'x' => {
                // `i` is the backslash; libsinsp's index of the `x` is i + 1
                // and it needs two more content bytes before the quote.
                let xi = i + 1;
                if xi + 2 >= len {
                    fail(
                        "truncated hex char escape sequence".to_string(),
                        &mut out,
                        &raw[i..xi + 1],
                    );
                    i = xi + 1;
                    continue;
                }
                let h = &raw[xi + 1..xi + 3];
                match (hex_val(h[0]), hex_val(h[1])) {
                    (Some(a), Some(b)) => out.push(a * 16 + b),
                    _ => {
                        let msg = format!(
                            "invalid hex char escape sequence: {}",
                            String::from_utf8_lossy(h)
                        );
                        fail(msg, &mut out, &raw[i..xi + 3]);
                    }
                }
                i = xi + 3;
                continue;
            }
            other => {
                let msg = format!(
                    "unsupported string escape sequence: \\{}",
                    String::from_utf8_lossy(&[other])
                );
                fail(msg, &mut out, &[b'\\', other]);
            }
        }
        i += 2;
    }
    Unescaped { bytes: out, error }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The transformer names glued to `(` (A.10), in libsinsp's order.
pub(crate) const TRANSFORMER_PREFIXES: [(&str, crate::ast::TransformerKind); 8] = {
    use crate::ast::TransformerKind::*;
    [
        ("tolower(", Tolower),
        ("toupper(", Toupper),
        ("b64(", B64),
        ("basename(", Basename),
        ("len(", Len),
        ("join(", Join),
        ("concat(", Concat),
        ("getopt(", Getopt),
    ]
};

/// The transformer kind whose `name(` starts `s`.
pub(crate) fn transformer_prefix(s: &str) -> Option<(crate::ast::TransformerKind, usize)> {
    TRANSFORMER_PREFIXES
        .iter()
        .find(|(p, _)| s.starts_with(p))
        .map(|&(p, k)| (k, p.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_is_leftmost_longest() {
        assert_eq!(match_len::<NumberTok>("1e5"), 1);
        assert_eq!(match_len::<NumberTok>("1.e+5"), 5);
        assert_eq!(match_len::<NumberTok>("1.5e+x"), 3);
        assert_eq!(match_len::<NumberTok>("-"), 0);
        assert_eq!(match_len::<NumberTok>(".5"), 0);
        assert_eq!(match_len::<HexNumberTok>("0x1g"), 3);
        assert_eq!(match_len::<HexNumberTok>("0x"), 0);
    }

    #[test]
    fn field_names() {
        assert_eq!(match_len::<FieldNameTok>("a.b.1"), 3);
        assert_eq!(match_len::<FieldNameTok>("a.b."), 3);
        assert_eq!(match_len::<FieldNameTok>("a."), 0);
        assert_eq!(match_len::<FieldNameTok>("a._b"), 0);
        assert_eq!(match_len::<FieldNameTok>("é.b"), 0);
    }

    #[test]
    fn bare_strings_keep_backspace_and_nul() {
        assert_eq!(match_len::<BareStringTok>("ab\u{8}c d"), 4);
        assert_eq!(match_len::<BareStringTok>("\0a"), 2);
        assert_eq!(match_len::<BareStringTok>("a\u{b}"), 1);
        assert_eq!(match_len::<BareStringTok>("é(x"), 2);
    }

    #[test]
    fn quoted_rule() {
        assert_eq!(quoted_len(r#""a\"b" x"#), Some(6));
        assert_eq!(quoted_len(r#""a\\" x"#), None);
        assert_eq!(quoted_len(r#""""#), Some(2));
        assert_eq!(quoted_len(r#"'mixed "'"#), Some(9));
        assert_eq!(quoted_len("\"a\0\""), None);
        assert_eq!(quoted_len(r#""a\\"b""#), Some(7));
    }

    #[test]
    fn escapes() {
        let u = unescape(br#""a\tb\x41\/\\""#);
        assert_eq!(u.error, None);
        assert_eq!(u.bytes, b"a\tbA/\\");
        assert_eq!(
            unescape(br#""\x4""#).error.as_deref(),
            Some("truncated hex char escape sequence")
        );
        assert_eq!(
            unescape(br#""\xZZ""#).error.as_deref(),
            Some("invalid hex char escape sequence: ZZ")
        );
        assert_eq!(
            unescape(br#"'\"'"#).error.as_deref(),
            Some("invalid \\\" escape in '-quoted string")
        );
        assert_eq!(
            unescape(br#""\q""#).error.as_deref(),
            Some("unsupported string escape sequence: \\q")
        );
        assert_eq!(unescape(br#""a\ b""#).bytes, b"a\\b");
        assert_eq!(unescape(br#""\x413""#).bytes, b"A3");
    }

    proptest::proptest! {
        #[test]
        fn quoted_pattern_matches_the_byte_rule(
            s in r#"["'][a\\"' \x00é]{0,12}"#
        ) {
            proptest::prop_assert_eq!(quoted_len(&s), quoted_len_reference(s.as_bytes()));
        }

        #[test]
        fn unescape_never_panics(s in "\"[ -~é]{0,10}\"") {
            let _ = unescape(s.as_bytes());
        }
    }
}
