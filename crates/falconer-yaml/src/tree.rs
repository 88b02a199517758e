//! The YAML tree: documents of nodes, each with its byte span in the file.

use falconer_text::Span;

/// A whole YAML stream (a rules file).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct YamlFile {
    pub documents: Vec<Document>,
    /// Syntax errors, in file order. The first one is what yaml-cpp (and so
    /// Falco) would stop at; documents/items after it may still be present
    /// when recovery could read them (see [`Document::recovered`]).
    pub errors: Vec<YamlError>,
}

/// One document of the stream.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Document {
    /// `None` for an empty document.
    pub root: Option<Node>,
    pub span: Span,
    /// True when this document (or part of it) was read by error recovery
    /// after a syntax error: Falco would not have seen it.
    pub recovered: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct YamlError {
    pub message: String,
    /// Where the problem is (zero-width when only a position is known).
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    pub kind: NodeKind,
    /// Byte span of the node's text in the file. For a scalar: from its first
    /// byte (the quote, or the `|`/`>` indicator of a block scalar) to its
    /// last content byte (closing quote included). For collections: from the
    /// `[`/`{` or first entry to the `]`/`}` or last entry's end. For an
    /// empty value (`key:`), a zero-width span right after the `:`.
    pub span: Span,
    /// The explicit tag, if any (`!!str`).
    pub tag: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// `~`, `null`, `Null`, `NULL` (plain) or no value at all.
    Null,
    Scalar(Scalar),
    Sequence {
        items: Vec<Node>,
        flow: bool,
    },
    Mapping {
        entries: Vec<Entry>,
        flow: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A scalar's value plus the map from value offsets back to file offsets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scalar {
    pub value: String,
    pub style: ScalarStyle,
    /// Pieces of the value that come from contiguous source text, in order:
    /// value bytes `value_start..value_start+len` come from file bytes
    /// `source_start..source_start+len`. Value bytes not covered by a piece
    /// (folded line breaks, escape results) map to the source position of
    /// the construct that produced them (see [`Scalar::source_offset`]).
    ///
    /// As built by [`crate::parse`], the pieces cover the whole value in
    /// order, and the last piece is a zero-length marker at
    /// `value_start == value.len()` whose `source_start` is the file offset
    /// just after the last content character (before a closing quote, or at
    /// the end of a block scalar's last content line).
    pub pieces: Vec<Piece>,
}

/// One run of a scalar's value and where it comes from (see
/// [`Scalar::pieces`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Piece {
    pub value_start: u32,
    pub source_start: u32,
    pub len: u32,
    /// When false, the value bytes of this piece were *produced* by a
    /// construct spanning `source_start..source_start+source_len` (an escape
    /// like `\n`, a `''`, or a folded line break) rather than copied.
    pub copied: bool,
    pub source_len: u32,
}

impl Node {
    /// A node of the given kind with no tag.
    pub fn new(kind: NodeKind, span: Span) -> Node {
        Node {
            kind,
            span,
            tag: None,
        }
    }

    /// The scalar, when this node is one (not for null).
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's decoded value, when this node is a scalar (not for null).
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.value.as_str())
    }

    /// True for `~`, `null`, `Null`, `NULL` and absent values.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// The entries, in source order (duplicates kept), of a mapping.
    pub fn as_mapping(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Mapping { entries, .. } => Some(entries),
            _ => None,
        }
    }

    /// The items of a sequence.
    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence { items, .. } => Some(items),
            _ => None,
        }
    }

    /// The first entry of a mapping whose key is a scalar equal to `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.as_mapping()?
            .iter()
            .find(|e| e.key.as_str() == Some(key))
    }

    /// Moves every span of this node and its children (and the pieces of
    /// its scalars) by `delta` bytes, e.g. to re-use a cached item after an
    /// edit earlier in the file. Offsets saturate at 0 and `u32::MAX`.
    pub fn shift(&mut self, delta: i64) {
        let mv = |o: &mut u32| *o = (*o as i64 + delta).clamp(0, u32::MAX as i64) as u32;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            mv(&mut node.span.start);
            mv(&mut node.span.end);
            match &mut node.kind {
                NodeKind::Null => {}
                NodeKind::Scalar(s) => {
                    for p in &mut s.pieces {
                        mv(&mut p.source_start);
                    }
                }
                NodeKind::Sequence { items, .. } => stack.extend(items.iter_mut()),
                NodeKind::Mapping { entries, .. } => {
                    for e in entries {
                        stack.push(&mut e.key);
                        stack.push(&mut e.value);
                    }
                }
            }
        }
    }

    /// `"scalar"`, `"sequence"`, `"mapping"` or `"null"`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Scalar(_) => "scalar",
            NodeKind::Sequence { .. } => "sequence",
            NodeKind::Mapping { .. } => "mapping",
        }
    }
}

impl Scalar {
    /// Maps a byte offset inside [`Scalar::value`] to a byte offset in the
    /// file.
    ///
    /// * A byte copied from the source maps to the source byte it was copied
    ///   from.
    /// * A byte produced by a construct (an escape such as `\n` or `''`, a
    ///   folded line break, a kept final line break) maps to the start of
    ///   that construct.
    /// * `value.len()` (or anything past it) maps to the end of the last
    ///   content (just after the last content character).
    pub fn source_offset(&self, value_offset: u32) -> u32 {
        let pieces = &self.pieces;
        if pieces.is_empty() {
            return 0;
        }
        let off = value_offset.min(self.value.len() as u32);
        let i = pieces.partition_point(|p| p.value_start <= off);
        if i == 0 {
            return pieces[0].source_start;
        }
        let p = &pieces[i - 1];
        let rel = off - p.value_start;
        if rel < p.len {
            if p.copied {
                p.source_start + rel
            } else {
                p.source_start
            }
        } else {
            // Past the end of this piece: the end of the value (the final
            // zero-length marker) or a gap no piece covers.
            p.source_start + p.source_len
        }
    }

    /// Maps a byte range of [`Scalar::value`] to a file span.
    ///
    /// The start is [`Scalar::source_offset`] of the range start; the end is
    /// just after the source of the range's last byte (for a produced byte,
    /// the end of the construct that produced it). When the whole range
    /// lies inside one copied piece, the span's text equals the value text.
    /// An empty range gives an empty span.
    pub fn source_span(&self, value_range: Span) -> Span {
        let len = self.value.len() as u32;
        let (s, e) = (value_range.start.min(len), value_range.end.min(len));
        let start = self.source_offset(s);
        if e <= s || self.pieces.is_empty() {
            return Span::empty(start);
        }
        let last = e - 1;
        let i = self.pieces.partition_point(|p| p.value_start <= last);
        if i == 0 {
            return Span::empty(start);
        }
        let p = &self.pieces[i - 1];
        let rel = last - p.value_start;
        let end = if rel < p.len && p.copied {
            p.source_start + rel + 1
        } else {
            p.source_start + p.source_len
        };
        Span::new(start, end.max(start))
    }
}
