//! The fast path: a hand-written parser for the YAML subset that rules
//! files use, producing exactly the tree the saphyr path (`builder.rs`,
//! plus `relax.rs` and the tab softening of `lib.rs`) produces, or `None`
//! whenever the input is outside the subset or anything is uncertain. The
//! caller then takes the saphyr path, so a `None` only costs time.
//!
//! # The subset
//!
//! * One document whose root is a block sequence at column 0 (or nothing
//!   but comments and blank lines), maybe after a byte order mark, maybe
//!   with a `---` start and a final `...` end alone on their lines (no
//!   directives, no other document).
//! * Block sequences whose entries (`- ` followed by content on the same
//!   line) are block mappings, flow collections or plain/quoted scalars;
//!   block mappings whose keys are single-line plain or quoted scalars,
//!   and whose values are on the key's line or on the following lines:
//!   absent (null), plain, single- or double-quoted scalars (one or more
//!   lines), literal/folded block scalars (any header), flow sequences
//!   (nested, on one or more lines), flow mappings written on one line, or
//!   nested block sequences (indented or not) and mappings.
//! * Flow sequences may have lines less indented than saphyr accepts when
//!   `relax.rs` would join them (see [`Fast::flow_gap`]).
//! * Comments anywhere YAML allows them, `\n`, `\r\n` and `\r` line ends,
//!   tabs as separation (`key:\tvalue` as yaml-cpp reads it).
//!
//! Bail-outs (→ `None`): anchors, aliases, tags, directives, several
//! documents, explicit keys (`?`), empty entries (`-` alone, `[a,,b]`), a
//! tab in indentation, a NUL or a byte order mark (but a first one),
//! implicit keys in flow sequences, flow mappings over several lines or
//! with empty or adjacent values, multi-line plain scalars inside flow
//! collections, block scalars as sequence entries, nesting deeper than
//! [`MAX_NEST`], and every syntax error.
//!
//! Scalars are decoded with the same decoders as the saphyr path
//! (`scalar.rs`), so values and pieces are identical; one-line plain
//! scalars (most keys and values) are built directly.

use crate::scalar::{self, Decoded};
use crate::tree::*;
use falconer_text::Span;

/// Deepest nesting of collections the fast path handles.
const MAX_NEST: usize = 32;
/// Most under-indented flow lines per top-level item: `relax.rs` joins at
/// most 64 per item.
const MAX_JOINS: usize = 60;
/// Longest plain or quoted key (saphyr stops looking for a simple key's `:`
/// after 1024 characters).
const MAX_KEY: usize = 1000;

/// Parses the whole text, or `None` when it is outside the subset.
pub(crate) fn parse(text: &str) -> Option<YamlFile> {
    let mut f = Fast::new(text, 0)?;
    // A byte order mark starting the text takes no column.
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut next = f.next_content(bom)?;
    // An explicit document start, alone on its line (or with a comment).
    let mut doc_start = None;
    if let Some((p, 0)) = next {
        if f.marker(p, b"---") {
            doc_start = Some(p);
            next = f.next_content(f.end_line(p + 3)?)?;
        }
    }
    let Some((p, col)) = next else {
        return doc_start.is_none().then(YamlFile::default);
    };
    let (root, next) = f.root(p, col)?;
    // Then nothing, or an explicit document end and comments.
    let end = match next {
        None => root.span.end,
        Some((q, 0)) if f.marker(q, b"...") => {
            if f.next_content(f.end_line(q + 3)?)?.is_some() {
                return None;
            }
            q as u32 + 3
        }
        _ => return None,
    };
    let span = Span::new(doc_start.map_or(root.span.start, |s| s as u32), end);
    Some(YamlFile {
        documents: vec![Document {
            root: Some(root),
            span,
            recovered: false,
        }],
        errors: Vec::new(),
    })
}

/// Parses `text[start..end]` alone (as its own stream, with offsets in
/// `text`): the items of its top-level block sequence, or `None` when it
/// is outside the subset (or empty).
pub(crate) fn parse_items(text: &str, start: usize, end: usize) -> Option<Vec<Node>> {
    let text = text.get(..end)?;
    let mut f = Fast::new(text, start)?;
    let bom = if start == 0 && text.starts_with('\u{feff}') {
        3
    } else {
        start
    };
    let (p, col) = f.next_content(bom)??;
    let (root, next) = f.root(p, col)?;
    match root.kind {
        NodeKind::Sequence { items, .. } if next.is_none() => Some(items),
        _ => None,
    }
}

/// The next content line after a node: its first non-blank byte and its
/// column, or `None` at the end of the input.
type Next = Option<(usize, usize)>;

struct Fast<'t> {
    text: &'t str,
    b: &'t [u8],
    /// Under-indented flow lines joined in the current top-level item.
    joins: usize,
    /// Whether the last flow token read was a plain scalar.
    last_plain: bool,
    /// Whether a plain scalar of the current outermost flow collection holds
    /// a quote or a `#`, which `relax.rs` misreads (see [`Fast::flow_gap`]).
    flow_risky: bool,
    /// Items of the open sequences, innermost last (each collection's
    /// children are moved to an exactly-sized vector when it closes).
    items: Vec<Node>,
    /// Entries of the open mappings, innermost last.
    entries: Vec<Entry>,
}

/// The bytes a plain scalar in a flow collection must look at.
static FLOW_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let stops = b"\n\r:#\0\xef,[]{}-";
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
};

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn is_break(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

/// Blank, break or end of input (`at` returns 0 there).
fn is_bbz(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0)
}

fn is_flow(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

/// Characters that may not start a plain scalar here (or that start
/// something the fast path does not handle).
fn bad_plain_start(c: u8, next: u8) -> bool {
    match c {
        b'-' => is_bbz(next) || is_flow(next),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\t' | b'\n' | b'\r' | 0 | 0xef => {
            true
        }
        _ => false,
    }
}

fn plain_null(s: &str) -> bool {
    matches!(s, "~" | "null" | "Null" | "NULL")
}

/// A decoded scalar's node (null for the plain null words).
fn scalar_node(d: Decoded, style: ScalarStyle) -> Node {
    let span = Span::new(d.start as u32, d.end as u32);
    if style == ScalarStyle::Plain && plain_null(&d.value) {
        return Node::new(NodeKind::Null, span);
    }
    Node::new(
        NodeKind::Scalar(Scalar {
            value: d.value,
            style,
            pieces: d.pieces,
        }),
        span,
    )
}

impl<'t> Fast<'t> {
    /// A parser of `text` from `start`. There is no pre-scan: a NUL (the
    /// end of input for saphyr) or a byte order mark (only allowed at a
    /// document start) makes the fast path bail, as every scanning loop
    /// (and decoder) stops at them.
    fn new(text: &'t str, start: usize) -> Option<Fast<'t>> {
        let len = text.get(start..)?.len();
        Some(Fast {
            text,
            b: text.as_bytes(),
            joins: 0,
            last_plain: false,
            flow_risky: false,
            items: Vec::with_capacity(16 + len / 256),
            entries: Vec::with_capacity(32),
        })
    }

    /// The byte at `p`, 0 past the end.
    #[inline]
    fn at(&self, p: usize) -> u8 {
        self.b.get(p).copied().unwrap_or(0)
    }

    /// Position after the line break at `p`.
    #[inline]
    fn after_break(&self, p: usize) -> usize {
        if self.b[p] == b'\r' && self.at(p + 1) == b'\n' {
            p + 2
        } else {
            p + 1
        }
    }

    /// Skips the comment at `p`: the position of the line break ending
    /// it, or the end. `None` for a NUL or a byte order mark.
    #[inline]
    fn skip_comment(&self, p: usize) -> Option<usize> {
        let e = scalar::find_line_end(self.b, p);
        (e >= self.b.len() || is_break(self.b[e])).then_some(e)
    }

    /// From `p`, just after a node, skips blanks and a comment to the end
    /// of the line; returns the next line start (or the end). `None` when
    /// anything else follows.
    fn end_line(&self, mut p: usize) -> Option<usize> {
        let start = p;
        while is_blank(self.at(p)) {
            p += 1;
        }
        if self.at(p) == b'#' && p > start {
            p = self.skip_comment(p)?;
        }
        if p >= self.b.len() {
            Some(self.b.len())
        } else if is_break(self.b[p]) {
            Some(self.after_break(p))
        } else {
            None
        }
    }

    /// From the line start `ls`, skips blank and comment lines; returns the
    /// first content byte and its column. `None` (bail) for a tab in the
    /// indentation.
    fn next_content(&self, mut ls: usize) -> Option<Next> {
        let b = self.b;
        loop {
            let mut p = ls;
            while p < b.len() && b[p] == b' ' {
                p += 1;
            }
            if p >= b.len() {
                return Some(None);
            }
            match b[p] {
                b'\t' | 0 | 0xef => return None,
                b'\n' | b'\r' => ls = self.after_break(p),
                b'#' => {
                    let e = self.skip_comment(p)?;
                    if e >= b.len() {
                        return Some(None);
                    }
                    ls = self.after_break(e);
                }
                _ => return Some(Some((p, p - ls))),
            }
        }
    }

    /// The root block sequence, whose first content line is at `p`, and
    /// the content line after it (at column 0).
    fn root(&mut self, p: usize, col: usize) -> Option<(Node, Next)> {
        if col != 0 || self.b[p] != b'-' {
            return None;
        }
        self.block_seq(p, 0, 0, true)
    }

    /// A document marker (`---`, `...`) at `p`, followed by a blank, a
    /// break or the end.
    fn marker(&self, p: usize, marker: &[u8; 3]) -> bool {
        self.b.get(p..p + 3) == Some(marker) && is_bbz(self.at(p + 3))
    }

    /// A block sequence at column `col` whose first `-` is at `dash`.
    fn block_seq(
        &mut self,
        dash: usize,
        col: usize,
        depth: usize,
        top: bool,
    ) -> Option<(Node, Next)> {
        if depth >= MAX_NEST {
            return None;
        }
        let base = self.items.len();
        let mut p = dash;
        let mut end = dash;
        let next = loop {
            if top {
                self.joins = 0;
            }
            // `- ` then content on the same line.
            if self.at(p + 1) != b' ' {
                return None;
            }
            let mut q = p + 2;
            while self.at(q) == b' ' {
                q += 1;
            }
            let entry_col = col + (q - p);
            let (node, next) = self.seq_entry(q, col, entry_col, depth + 1)?;
            end = end.max(node.span.end as usize);
            self.items.push(node);
            match next {
                None => break None,
                Some((np, ncol)) if ncol == col => {
                    if self.b[np] == b'-' && is_bbz(self.at(np + 1)) {
                        p = np;
                    } else {
                        break next;
                    }
                }
                Some((_, ncol)) if ncol < col => break next,
                _ => return None,
            }
        };
        let items = self.items.split_off(base);
        let node = Node::new(
            NodeKind::Sequence { items, flow: false },
            Span::new(dash as u32, end as u32),
        );
        Some((node, next))
    }

    /// A block sequence entry starting at `q` (column `qcol`) in a sequence
    /// at column `col`.
    fn seq_entry(
        &mut self,
        q: usize,
        col: usize,
        qcol: usize,
        depth: usize,
    ) -> Option<(Node, Next)> {
        let c = self.at(q);
        if let Some((key, colon)) = self.key_at(q)? {
            return self.block_map(q, qcol, Some((key, colon)), depth);
        }
        match c {
            b'[' | b'{' => self.flow_in_block(q, col + 1, false, depth),
            b'\'' | b'"' => self.quoted_value(q, col + 1),
            _ if bad_plain_start(c, self.at(q + 1)) => None,
            _ => self.plain_block(q, col + 1),
        }
    }

    /// A key at `p`: a one-line plain or quoted scalar followed by `:` and a
    /// blank or break. `Some(None)` when there is no key there.
    fn key_at(&self, p: usize) -> Option<Option<(Node, usize)>> {
        let b = self.b;
        let c = self.at(p);
        if c == b'"' || c == b'\'' {
            let d = scalar::decode_quoted(self.text, p, c == b'"')?;
            if b[p..d.end].iter().any(|&c| is_break(c)) || d.end - p > MAX_KEY {
                return Some(None);
            }
            let mut q = d.end;
            while is_blank(self.at(q)) {
                q += 1;
            }
            if self.at(q) == b':' && is_bbz(self.at(q + 1)) {
                let style = if c == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                return Some(Some((scalar_node(d, style), q)));
            }
            return Some(None);
        }
        if bad_plain_start(c, self.at(p + 1)) {
            return Some(None);
        }
        let mut q = p + 1;
        loop {
            q = scalar::find_candidate(b, q, b":#");
            let Some(&c) = b.get(q) else {
                return Some(None);
            };
            match c {
                b':' if is_bbz(self.at(q + 1)) => break,
                b'\n' | b'\r' => return Some(None),
                0 | 0xef => return None,
                b'#' if is_blank(b[q - 1]) => return Some(None),
                _ => q += 1,
            }
        }
        let mut e = q;
        while is_blank(b[e - 1]) {
            e -= 1;
        }
        if e - p > MAX_KEY {
            return None;
        }
        Some(Some((self.plain_one_line(p, e), q)))
    }

    /// A block mapping at column `col` whose first key starts at `p`
    /// (already read when `first` is given).
    fn block_map(
        &mut self,
        p: usize,
        col: usize,
        first: Option<(Node, usize)>,
        depth: usize,
    ) -> Option<(Node, Next)> {
        if depth >= MAX_NEST {
            return None;
        }
        let start = p;
        let base = self.entries.len();
        let mut end = p;
        let mut pending = first;
        let mut p = p;
        let next = loop {
            let (key, colon) = match pending.take() {
                Some(k) => k,
                None => self.key_at(p)??,
            };
            let (value, next) = self.map_value(colon, col, depth)?;
            end = end.max(key.span.end as usize).max(value.span.end as usize);
            self.entries.push(Entry { key, value });
            match next {
                None => break None,
                Some((np, ncol)) if ncol == col => {
                    if self.b[np] == b'-' && is_bbz(self.at(np + 1)) {
                        return None;
                    }
                    p = np;
                }
                Some((_, ncol)) if ncol < col => break next,
                _ => return None,
            }
        };
        let entries = self.entries.split_off(base);
        let node = Node::new(
            NodeKind::Mapping {
                entries,
                flow: false,
            },
            Span::new(start as u32, end as u32),
        );
        Some((node, next))
    }

    /// The value after the `:` at `colon` of a key in a mapping at `col`.
    fn map_value(&mut self, colon: usize, col: usize, depth: usize) -> Option<(Node, Next)> {
        let mut q = colon + 1;
        while is_blank(self.at(q)) {
            q += 1;
        }
        let c = self.at(q);
        match c {
            0 | b'\n' | b'\r' | b'#' => {
                let ls = self.end_line(colon + 1)?;
                let next = self.next_content(ls)?;
                let null = || Node::new(NodeKind::Null, Span::empty(colon as u32 + 1));
                match next {
                    Some((np, ncol)) if ncol > col => self.value_below(np, ncol, col, depth),
                    Some((np, ncol))
                        if ncol == col && self.b[np] == b'-' && is_bbz(self.at(np + 1)) =>
                    {
                        // An indentless sequence.
                        self.block_seq(np, ncol, depth + 1, false)
                    }
                    _ => Some((null(), next)),
                }
            }
            b'[' | b'{' => self.flow_in_block(q, col + 1, true, depth + 1),
            b'\'' | b'"' => self.quoted_value(q, col + 1),
            b'|' | b'>' => self.block_scalar(q, col),
            _ if bad_plain_start(c, self.at(q + 1)) => None,
            _ => self.plain_block(q, col + 1),
        }
    }

    /// A mapping value on the lines below its key (mapping at `col`),
    /// starting at `p`, column `pcol > col`.
    fn value_below(
        &mut self,
        p: usize,
        pcol: usize,
        col: usize,
        depth: usize,
    ) -> Option<(Node, Next)> {
        let c = self.b[p];
        if c == b'-' && is_bbz(self.at(p + 1)) {
            return self.block_seq(p, pcol, depth + 1, false);
        }
        if let Some(first) = self.key_at(p)? {
            return self.block_map(p, pcol, Some(first), depth + 1);
        }
        match c {
            b'[' | b'{' => self.flow_in_block(p, col + 1, true, depth + 1),
            b'\'' | b'"' => self.quoted_value(p, col + 1),
            _ if bad_plain_start(c, self.at(p + 1)) => None,
            _ => self.plain_block(p, col + 1),
        }
    }

    /// A one-line plain scalar `p..e` (e after its last content byte).
    fn plain_one_line(&self, p: usize, e: usize) -> Node {
        let span = Span::new(p as u32, e as u32);
        let s = &self.text[p..e];
        if plain_null(s) {
            return Node::new(NodeKind::Null, span);
        }
        let len = (e - p) as u32;
        let pieces = vec![
            Piece {
                value_start: 0,
                source_start: p as u32,
                len,
                copied: true,
                source_len: len,
            },
            Piece {
                value_start: len,
                source_start: e as u32,
                len: 0,
                copied: true,
                source_len: 0,
            },
        ];
        Node::new(
            NodeKind::Scalar(Scalar {
                value: s.to_string(),
                style: ScalarStyle::Plain,
                pieces,
            }),
            span,
        )
    }

    /// A plain scalar in block context starting at `p`, whose continuation
    /// lines must be at column `min_col` or more.
    fn plain_block(&self, p: usize, min_col: usize) -> Option<(Node, Next)> {
        let b = self.b;
        let n = b.len();
        let mut q = p;
        let mut multi = false;
        let (end, next) = 'scalar: loop {
            // The rest of a line.
            loop {
                q = scalar::find_candidate(b, q, b":#");
                if q >= n {
                    break;
                }
                match b[q] {
                    b'\n' | b'\r' => break,
                    b':' if is_bbz(self.at(q + 1)) => return None,
                    0 | 0xef => return None,
                    b'#' if is_blank(b[q - 1]) => break,
                    _ => q += 1,
                }
            }
            let mut ce = q;
            while is_blank(b[ce - 1]) {
                ce -= 1;
            }
            if q >= n {
                break (ce, None);
            }
            if b[q] == b'#' {
                let ls = self.end_line(ce)?;
                break (ce, self.next_content(ls)?);
            }
            // A line break: a continuation line, or the end.
            let mut ls = self.after_break(q);
            loop {
                let mut r = ls;
                while r < n && b[r] == b' ' {
                    r += 1;
                }
                if r >= n {
                    break 'scalar (ce, None);
                }
                match b[r] {
                    b'\t' | 0 | 0xef => return None,
                    b'\n' | b'\r' => ls = self.after_break(r),
                    b'#' => break 'scalar (ce, self.next_content(ls)?),
                    _ if r - ls < min_col => break 'scalar (ce, Some((r, r - ls))),
                    _ => {
                        q = r;
                        multi = true;
                        continue 'scalar;
                    }
                }
            }
        };
        let node = if multi {
            scalar_node(scalar::decode_plain(self.text, p, end), ScalarStyle::Plain)
        } else {
            self.plain_one_line(p, end)
        };
        Some((node, next))
    }

    /// A quoted scalar at `p` whose continuation lines must be at column
    /// `min_col` or more.
    fn quoted(&self, p: usize, min_col: usize) -> Option<Node> {
        let double = self.b[p] == b'"';
        let d = scalar::decode_quoted(self.text, p, double)?;
        let b = self.b;
        let mut i = p;
        while i < d.end {
            if is_break(b[i]) {
                i = self.after_break(i);
                let ls = i;
                while i < d.end && b[i] == b' ' {
                    i += 1;
                }
                if i < d.end && !is_break(b[i]) && (b[i] == b'\t' || i - ls < min_col) {
                    return None;
                }
            } else {
                i += 1;
            }
        }
        let style = if double {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::SingleQuoted
        };
        Some(scalar_node(d, style))
    }

    /// A quoted scalar in block context: the rest of its line must be
    /// blank or a comment.
    fn quoted_value(&self, p: usize, min_col: usize) -> Option<(Node, Next)> {
        let node = self.quoted(p, min_col)?;
        let ls = self.end_line(node.span.end as usize)?;
        Some((node, self.next_content(ls)?))
    }

    /// A literal or folded block scalar whose header is at `p`, the value
    /// of a mapping at column `col`.
    fn block_scalar(&self, p: usize, col: usize) -> Option<(Node, Next)> {
        let literal = self.b[p] == b'|';
        // The header line (a comment is skipped by the decoder) must not
        // hold a NUL or a byte order mark.
        let header_end = scalar::find_line_end(self.b, p);
        if header_end < self.b.len() && !is_break(self.b[header_end]) {
            return None;
        }
        let d = scalar::decode_block(self.text, p, col as isize, literal)?;
        let ls = self.end_line(d.end)?;
        let next = self.next_content(ls)?;
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        Some((scalar_node(d, style), next))
    }

    /// A flow sequence whose `[` is at `open`. Lines inside must start at
    /// column `min_col` or more, unless `joins` allows the lines
    /// `relax.rs` joins. Returns the node and the position after its `]`.
    fn flow_seq(
        &mut self,
        open: usize,
        min_col: usize,
        joins: bool,
        depth: usize,
    ) -> Option<(Node, usize)> {
        if depth >= MAX_NEST {
            return None;
        }
        let base = self.items.len();
        self.last_plain = false;
        let mut p = self.flow_gap(open + 1, min_col, joins)?;
        let end = loop {
            let c = self.b[p];
            if c == b']' {
                break p + 1;
            }
            let after = match c {
                b'[' | b'{' => {
                    let (node, after) = if c == b'[' {
                        self.flow_seq(p, min_col, joins, depth + 1)?
                    } else {
                        self.flow_map(p, min_col, joins, depth + 1)?
                    };
                    self.items.push(node);
                    self.last_plain = false;
                    after
                }
                b'\'' | b'"' => {
                    let node = self.quoted(p, min_col)?;
                    let after = node.span.end as usize;
                    self.items.push(node);
                    self.last_plain = false;
                    after
                }
                _ if bad_plain_start(c, self.at(p + 1)) => return None,
                _ => {
                    let (node, after) = self.flow_plain(p, false)?;
                    self.items.push(node);
                    self.last_plain = true;
                    after
                }
            };
            p = self.flow_gap(after, min_col, joins)?;
            match self.b[p] {
                b',' => {
                    self.last_plain = false;
                    p = self.flow_gap(p + 1, min_col, joins)?;
                }
                b']' => break p + 1,
                _ => return None,
            }
        };
        self.last_plain = false;
        let items = self.items.split_off(base);
        let node = Node::new(
            NodeKind::Sequence { items, flow: true },
            Span::new(open as u32, end as u32),
        );
        Some((node, end))
    }

    /// A flow collection at `p` in block context (a mapping value or a
    /// sequence entry), then the rest of its line.
    fn flow_in_block(
        &mut self,
        p: usize,
        min_col: usize,
        joins: bool,
        depth: usize,
    ) -> Option<(Node, Next)> {
        self.flow_risky = false;
        let (node, after) = if self.b[p] == b'[' {
            self.flow_seq(p, min_col, joins, depth)?
        } else {
            self.flow_map(p, min_col, joins, depth)?
        };
        let ls = self.end_line(after)?;
        Some((node, self.next_content(ls)?))
    }

    /// A flow mapping whose `{` is at `open`, written on one line: entries
    /// `key: value` with a plain or quoted key and a scalar or flow
    /// collection value. Returns the node and the position after its `}`.
    fn flow_map(
        &mut self,
        open: usize,
        min_col: usize,
        joins: bool,
        depth: usize,
    ) -> Option<(Node, usize)> {
        if depth >= MAX_NEST {
            return None;
        }
        let b = self.b;
        let base = self.entries.len();
        let blanks = |mut p: usize| {
            while p < b.len() && is_blank(b[p]) {
                p += 1;
            }
            p
        };
        let mut p = blanks(open + 1);
        let end = loop {
            let c = self.at(p);
            if c == b'}' {
                break p + 1;
            }
            let (key, after) = match c {
                b'\'' | b'"' => {
                    let node = self.quoted(p, min_col)?;
                    let after = node.span.end as usize;
                    (node, after)
                }
                _ if bad_plain_start(c, self.at(p + 1)) => return None,
                _ => self.flow_plain(p, true)?,
            };
            // `: ` (an adjacent value or an empty one are not handled).
            let colon = blanks(after);
            if self.at(colon) != b':' || !is_blank(self.at(colon + 1)) {
                return None;
            }
            let v = blanks(colon + 1);
            let c = self.at(v);
            let (value, after) = match c {
                b'[' => self.flow_seq(v, min_col, joins, depth + 1)?,
                b'{' => self.flow_map(v, min_col, joins, depth + 1)?,
                b'\'' | b'"' => {
                    let node = self.quoted(v, min_col)?;
                    let after = node.span.end as usize;
                    (node, after)
                }
                _ if bad_plain_start(c, self.at(v + 1)) => return None,
                _ => self.flow_plain(v, false)?,
            };
            self.entries.push(Entry { key, value });
            p = blanks(after);
            match self.at(p) {
                b',' => p = blanks(p + 1),
                b'}' => break p + 1,
                _ => return None,
            }
        };
        // One line only (comments would run to its end).
        if b[open..end].iter().any(|&c| is_break(c)) {
            return None;
        }
        let entries = self.entries.split_off(base);
        let node = Node::new(
            NodeKind::Mapping {
                entries,
                flow: true,
            },
            Span::new(open as u32, end as u32),
        );
        Some((node, end))
    }

    /// Skips blanks, line breaks and comments between flow tokens; returns
    /// the next token (never the end of input).
    ///
    /// A token starting a line at a column below `min_col` is an
    /// indentation error for saphyr, which `relax.rs` fixes by joining the
    /// line to the previous token's when `joins` (a flow sequence that is
    /// a mapping value): allowed unless the line starts at column 0 with
    /// anything but `]`, `,`, `[` or a quote (`relax.rs` cuts the file at
    /// column-0 plain scalars; saphyr reads `%`, `---`, `...` there), or the
    /// previous token is a plain scalar and the line does not start with
    /// `]` or `,` (the join could merge them), or the item has too many, or
    /// a plain scalar of the collection holds a quote or a `#`: `relax.rs`
    /// finds the previous token with a rough lexer that reads those as the
    /// start of a quoted scalar or a comment, from a point that can be well
    /// before the line (saphyr scans a whole flow collection ahead when it
    /// may be a simple key).
    fn flow_gap(&mut self, mut p: usize, min_col: usize, joins: bool) -> Option<usize> {
        let b = self.b;
        let mut ws = p > 0 && is_bbz(b[p - 1]);
        loop {
            let c = *b.get(p)?;
            match c {
                b' ' | b'\t' => {
                    p += 1;
                    ws = true;
                }
                b'#' if ws => p = self.skip_comment(p)?,
                b'\n' | b'\r' => {
                    p = self.after_break(p);
                    let ls = p;
                    while self.at(p) == b' ' {
                        p += 1;
                    }
                    ws = true;
                    let c = *b.get(p)?;
                    if c == b'\t' {
                        return None;
                    }
                    if is_break(c) || c == b'#' {
                        continue;
                    }
                    let col = p - ls;
                    if col < min_col {
                        // At column 0, `relax.rs` cuts the file at a plain
                        // scalar (and saphyr reads `%`, `---`, `...`).
                        let col0_ok = matches!(c, b']' | b',' | b'[' | b'\'' | b'"');
                        if !joins
                            || self.flow_risky
                            || (col == 0 && !col0_ok)
                            || (self.last_plain && c != b']' && c != b',')
                        {
                            return None;
                        }
                        self.joins += 1;
                        if self.joins > MAX_JOINS {
                            return None;
                        }
                    }
                    return Some(p);
                }
                b'#' => return None,
                _ => return Some(p),
            }
        }
    }

    /// A one-line plain scalar in a flow collection at `p`; returns it and
    /// the position after its last content byte. A `:` followed by a blank,
    /// a break or a flow indicator ends a `key` (and makes anything else
    /// bail: an implicit mapping).
    fn flow_plain(&mut self, p: usize, key: bool) -> Option<(Node, usize)> {
        let b = self.b;
        let mut q = p;
        while q < b.len() {
            let c = b[q];
            if !FLOW_STOP[c as usize] {
                q += 1;
                continue;
            }
            match c {
                b',' | b'[' | b']' | b'{' | b'}' | b'\n' | b'\r' => break,
                b':' if is_bbz(self.at(q + 1)) || is_flow(self.at(q + 1)) => {
                    if key {
                        break;
                    }
                    return None;
                }
                0 | 0xef => return None,
                b'#' if is_blank(b[q - 1]) => break,
                b'-' if is_blank(b[q - 1]) && is_flow(self.at(q + 1)) => return None,
                _ => q += 1,
            }
        }
        let mut e = q;
        while is_blank(b[e - 1]) {
            e -= 1;
        }
        if b[p..e].iter().any(|&c| matches!(c, b'\'' | b'"' | b'#')) {
            self.flow_risky = true;
        }
        if q < b.len() && is_break(b[q]) {
            // Only `,`, `]` or a comment may follow on a later line: anything
            // else would continue the scalar.
            let mut r = q;
            while r < b.len() && is_bbz(b[r]) {
                r += 1;
            }
            if !matches!(self.at(r), b',' | b']' | b'#') {
                return None;
            }
        }
        Some((self.plain_one_line(p, e), e))
    }
}
