//! Folding ranges: every top-level item, every key of an item whose
//! value spans several lines (a multi-line condition, a list's items,
//! exceptions, an override map...), and runs of whole-line comments.
//! Ranges are byte spans; the server turns them into lines and drops the
//! ones on a single line.

use super::edit::line_start;
use super::locate;
use super::Analysis;
use crate::FileId;
use falconer_text::{LineIndex, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FoldKind {
    /// A whole item.
    Item,
    /// A key and its multi-line value.
    Value,
    Comment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fold {
    pub span: Span,
    pub kind: FoldKind,
}

/// Whether `span` (without trailing blanks) covers more than one line.
fn multi_line(text: &str, lines: &LineIndex, span: Span) -> bool {
    let b = text.as_bytes();
    let mut end = (span.end as usize).min(b.len());
    while end > span.start as usize && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    lines.line_of(end as u32) > lines.line_of(span.start)
}

pub fn folding_ranges(a: &Analysis, file: FileId) -> Vec<Fold> {
    let Some(yaml) = a.yaml(file) else {
        return Vec::new();
    };
    let text = a.file_text(file);
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    // Scalars over several lines: a `#` line inside is content.
    let mut scalars: Vec<Span> = Vec::new();
    for item in locate::top_items(yaml) {
        // From the item's `- ` line.
        let span = Span::new(line_start(text, item.node.span.start), item.node.span.end);
        if multi_line(text, &lines, span) {
            out.push(Fold {
                span,
                kind: FoldKind::Item,
            });
        }
        for e in item.node.as_mapping().unwrap_or(&[]) {
            if e.value.as_scalar().is_some() && multi_line(text, &lines, e.value.span) {
                scalars.push(e.value.span);
            }
            let span = Span::new(e.key.span.start, e.value.span.end.max(e.key.span.end));
            if multi_line(text, &lines, span) {
                out.push(Fold {
                    span,
                    kind: FoldKind::Value,
                });
            }
        }
    }
    // Runs of at least two comment lines.
    scalars.sort();
    let mut k = 0;
    let mut run: Option<Span> = None;
    let mut pos = 0usize;
    for line in text.split_inclusive('\n') {
        let start = pos as u32;
        pos += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        // Scalars are sorted and disjoint; lines come in order.
        while k < scalars.len() && scalars[k].end <= start {
            k += 1;
        }
        let in_scalar = scalars.get(k).is_some_and(|s| s.start < start);
        if body.trim_start().starts_with('#') && !in_scalar {
            let end = start + body.len() as u32;
            run = Some(match run {
                Some(r) => Span::new(r.start, end),
                None => Span::new(start, end),
            });
        } else if let Some(r) = run.take() {
            if multi_line(text, &lines, r) {
                out.push(Fold {
                    span: r,
                    kind: FoldKind::Comment,
                });
            }
        }
    }
    if let Some(r) = run.filter(|r| multi_line(text, &lines, *r)) {
        out.push(Fold {
            span: r,
            kind: FoldKind::Comment,
        });
    }
    out.sort();
    out
}
