//! Error recovery: reading the top-level items after a syntax error.
//!
//! Falco rules files are top-level sequences whose items start with `- ` at
//! column 0. After the first syntax error (which stops saphyr, and yaml-cpp
//! in Falco), we cut the file into *chunks*: a chunk starts at a line whose
//! first character is a `-` followed by a blank, a line break or the end
//! (a top-level sequence entry; `---` is not one) and runs up to the next
//! line starting at column 0 with anything but a blank, a line break or a
//! `#` comment. Each chunk is one top-level item. Chunks that end before
//! the last top-level item the main parse completed are skipped (their
//! items are already in the tree); each other chunk is parsed on its own,
//! as a separate stream, and:
//!
//! * a chunk after the one holding the error: its items are kept and its
//!   errors reported (offsets shifted back to the file);
//! * the chunk holding the error, and chunks between the last completed
//!   item and it: kept only when they parse cleanly on their own, and their
//!   errors are not reported (the first error already covers them). So the
//!   broken item is dropped; but when the error shows up in an item that is
//!   fine on its own because an earlier item left something open (e.g. an
//!   unclosed `[` whose error is reported at the next `- `), the earlier,
//!   broken item is the one dropped and the next one is kept.
//!
//! All recovered items go into one extra [`Document`] with `recovered: true`
//! whose root is a block sequence of them. Anchors do not carry across
//! chunks: an alias to an anchor of another item is undefined there.

use crate::builder::{parse_stream, StreamResult};
use crate::relax;
use crate::tree::*;
use falconer_text::Span;

/// Byte ranges of the top-level `- ` items of `text`.
pub(crate) fn chunks(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    let mut ls = 0;
    while ls < b.len() {
        let first = if ls == 0 && b.starts_with(&[0xef, 0xbb, 0xbf]) {
            3
        } else {
            ls
        };
        let is_blank_or_break = |i: usize| b.get(i).is_none_or(|c| b" \t\r\n".contains(c));
        match b.get(first) {
            Some(b'-') if is_blank_or_break(first + 1) => {
                if let Some(s) = open.take() {
                    out.push((s, ls));
                }
                open = Some(first);
            }
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'#') => {}
            Some(_) => {
                if let Some(s) = open.take() {
                    out.push((s, ls));
                }
            }
        }
        // Next line start.
        let mut i = first;
        while i < b.len() && !matches!(b[i], b'\n' | b'\r') {
            i += 1;
        }
        if i < b.len() && b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            i += 1;
        }
        ls = i + 1;
    }
    if let Some(s) = open {
        out.push((s, b.len()));
    }
    out
}

/// Recovers the items after a fatal error at `fatal`; `safe_end` is where
/// the main parse's complete output ends. Returns the recovered document
/// (if any item was read) and the errors found in the later items.
pub(crate) fn recover(
    text: &str,
    fatal: usize,
    safe_end: usize,
) -> (Option<Document>, Vec<YamlError>) {
    let chunks = chunks(text);
    let broken = chunks
        .iter()
        .position(|&(s, e)| s <= fatal && (fatal < e || (fatal == e && e == text.len())));
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (i, &(s, e)) in chunks.iter().enumerate() {
        if s < safe_end {
            continue;
        }
        let after = match broken {
            Some(k) => i > k,
            None => s > fatal,
        };
        let r = parse_item(&text[s..e]);
        if !after && !r.errors.is_empty() {
            continue;
        }
        let delta = s as u32;
        if after {
            errors.extend(r.errors.into_iter().map(|mut err| {
                err.span = err.span.shift(delta);
                err
            }));
        }
        for doc in r.documents {
            if let Some(Node {
                kind: NodeKind::Sequence { items: its, .. },
                ..
            }) = doc.root
            {
                for mut item in its {
                    item.shift(delta as i64);
                    items.push(item);
                }
            }
        }
    }
    let doc = match (items.first(), items.last()) {
        (Some(first), Some(last)) => {
            let span = Span::new(first.span.start, last.span.end);
            Some(Document {
                root: Some(Node {
                    kind: NodeKind::Sequence { items, flow: false },
                    span,
                    tag: None,
                }),
                span,
                recovered: true,
            })
        }
        _ => None,
    };
    (doc, errors)
}

/// Parses one item on its own, with the same flow-indentation leniency as
/// the main parse.
fn parse_item(text: &str) -> StreamResult {
    let r = parse_stream(text);
    match relax::relax(text, &r) {
        Some(relaxed) => parse_stream(&relaxed),
        None => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking() {
        let text = "# head\n- a: 1\n  b: 2\n\n# c\n- c\n---\n- d\r\n-\n-x\nfoo\n";
        let c: Vec<&str> = chunks(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            c,
            vec!["- a: 1\n  b: 2\n\n# c\n", "- c\n", "- d\r\n", "-\n"]
        );
    }
}
