//! Typed reading of YAML nodes (from `falconer-yaml`, which keeps exact
//! spans) with a diagnostic at the exact place of every problem: wrong
//! type, unknown or repeated key, missing key, bad value.

use falconer_text::{suggest, Span};
use falconer_yaml::{Entry, Node, NodeKind, ScalarStyle};

use crate::diag::{Diagnostic, SourceText};

/// A value with the span it was read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

/// Reads nodes of one file, collecting diagnostics.
pub struct Reader<'a> {
    pub src: &'a SourceText,
    pub diags: Vec<Diagnostic>,
    /// The code of schema errors (`test-schema`, `scenario`).
    pub code: &'static str,
}

fn kind_name(n: &Node) -> &'static str {
    match &n.kind {
        NodeKind::Null => "nothing",
        NodeKind::Scalar(_) => "a scalar",
        NodeKind::Sequence { .. } => "a list",
        NodeKind::Mapping { .. } => "a mapping",
    }
}

impl<'a> Reader<'a> {
    pub fn new(src: &'a SourceText, code: &'static str) -> Reader<'a> {
        Reader {
            src,
            diags: Vec::new(),
            code,
        }
    }

    pub fn error(&mut self, span: Span, msg: impl Into<String>) {
        let d = self.src.error(self.code, span, msg);
        self.diags.push(d);
    }

    pub fn error_code(&mut self, code: &'static str, span: Span, msg: impl Into<String>) {
        let d = self.src.error(code, span, msg);
        self.diags.push(d);
    }

    pub fn has_errors(&self) -> bool {
        !self.diags.is_empty()
    }

    /// The entries of a mapping, after checking every key is one of
    /// `allowed` and none is repeated.
    pub fn mapping<'n>(
        &mut self,
        n: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Option<&'n [Entry]> {
        let Some(entries) = n.as_mapping() else {
            self.error(
                n.span,
                format!("{what} must be a mapping, not {}", kind_name(n)),
            );
            return None;
        };
        let mut seen: Vec<&str> = Vec::new();
        for e in entries {
            let Some(k) = e.key.as_str() else {
                self.error(e.key.span, format!("keys of {what} must be plain names"));
                continue;
            };
            if !allowed.contains(&k) {
                let hint = match suggest(k, allowed.iter().copied()) {
                    Some(s) => format!(" (did you mean '{s}'?)"),
                    None => format!(" (expected one of: {})", allowed.join(", ")),
                };
                self.error(e.key.span, format!("unknown key '{k}' in {what}{hint}"));
            } else if seen.contains(&k) {
                self.error(e.key.span, format!("key '{k}' repeated in {what}"));
            } else {
                seen.push(k);
            }
        }
        Some(entries)
    }

    /// The value of `key` in `entries` (the first one).
    pub fn get<'n>(&self, entries: &'n [Entry], key: &str) -> Option<&'n Node> {
        entries
            .iter()
            .find(|e| e.key.as_str() == Some(key))
            .map(|e| &e.value)
    }

    /// The value of a required key; an error at `at` when absent.
    pub fn require<'n>(
        &mut self,
        entries: &'n [Entry],
        key: &str,
        what: &str,
        at: Span,
    ) -> Option<&'n Node> {
        let v = self.get(entries, key);
        if v.is_none() {
            self.error(at, format!("{what} needs '{key}'"));
        }
        v
    }

    /// A scalar as text.
    pub fn string(&mut self, n: &Node, what: &str) -> Option<Spanned<String>> {
        match &n.kind {
            NodeKind::Scalar(s) => Some(Spanned::new(s.value.clone(), n.span)),
            _ => {
                self.error(n.span, format!("{what} must be text, not {}", kind_name(n)));
                None
            }
        }
    }

    /// A non-empty scalar as text.
    pub fn nonempty(&mut self, n: &Node, what: &str) -> Option<Spanned<String>> {
        let s = self.string(n, what)?;
        if s.value.trim().is_empty() {
            self.error(n.span, format!("{what} must not be empty"));
            return None;
        }
        Some(s)
    }

    /// An integer (decimal, `0x` hex or `0o` octal; a leading `0` with
    /// more digits is octal, as modes are written).
    pub fn int(&mut self, n: &Node, what: &str) -> Option<Spanned<i64>> {
        let s = self.string(n, what)?;
        match parse_int(s.value.trim()) {
            Some(v) => Some(Spanned::new(v, s.span)),
            None => {
                self.error(
                    n.span,
                    format!("{what} must be an integer, not '{}'", s.value),
                );
                None
            }
        }
    }

    /// A non-negative integer that fits `max`.
    pub fn uint(&mut self, n: &Node, what: &str, max: u64) -> Option<Spanned<u64>> {
        let v = self.int(n, what)?;
        if v.value < 0 || v.value as u64 > max {
            self.error(n.span, format!("{what} must be between 0 and {max}"));
            return None;
        }
        Some(Spanned::new(v.value as u64, v.span))
    }

    pub fn boolean(&mut self, n: &Node, what: &str) -> Option<bool> {
        let s = self.string(n, what)?;
        match s.value.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            other => {
                self.error(
                    n.span,
                    format!("{what} must be true or false, not '{other}'"),
                );
                None
            }
        }
    }

    /// A list of scalars; a single scalar counts as a list of one.
    pub fn strings(&mut self, n: &Node, what: &str) -> Option<Vec<Spanned<String>>> {
        match &n.kind {
            NodeKind::Scalar(_) => self.string(n, what).map(|s| vec![s]),
            NodeKind::Sequence { items, .. } => {
                let mut out = Vec::new();
                for i in items {
                    out.push(self.string(i, what)?);
                }
                Some(out)
            }
            NodeKind::Null => Some(Vec::new()),
            NodeKind::Mapping { .. } => {
                self.error(n.span, format!("{what} must be a list, not a mapping"));
                None
            }
        }
    }

    /// The items of a sequence.
    pub fn sequence<'n>(&mut self, n: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &n.kind {
            NodeKind::Sequence { items, .. } => Some(items),
            NodeKind::Null => Some(&[]),
            _ => {
                self.error(
                    n.span,
                    format!("{what} must be a list, not {}", kind_name(n)),
                );
                None
            }
        }
    }
}

/// Whether a scalar node was written quoted.
pub fn is_quoted(n: &Node) -> bool {
    matches!(
        &n.kind,
        NodeKind::Scalar(s) if matches!(s.style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted)
    )
}

/// Decimal, `0x` hexadecimal, `0o` or leading-zero octal, with a sign.
pub fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = body.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}
