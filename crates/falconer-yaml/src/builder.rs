//! Builds the tree from saphyr-parser's event stream.
//!
//! The builder pulls events one at a time ([`Parser::next_event`], which is
//! iterative: saphyr keeps an explicit state stack and its `load` method,
//! which recurses, is not used) and keeps its own stack of open collections,
//! so no input can overflow the call stack. It:
//!
//! * converts saphyr's character-indexed markers to byte offsets;
//! * finds each node's exact start: saphyr's span for a node starts at its
//!   anchor or tag when it has one, and a block scalar's span starts at its
//!   first content character, so we scan the source between the end of the
//!   previous node (the *cursor*) and the node for the `|`/`>` header, and
//!   skip properties (`&anchor`, `!tag`) for other nodes;
//! * decodes scalars itself ([`crate::scalar`]) to get the value → source
//!   map, keeping saphyr's value as the reference;
//! * resolves aliases to clones of the anchored node, within a budget;
//! * stops at the first syntax error (or at a nesting deeper than
//!   [`MAX_DEPTH`]), keeping the document in progress with its completed
//!   top-level children only.

use crate::offsets::OffsetMap;
use crate::scalar::{self, Decoded};
use crate::tree::*;
use falconer_text::Span;
use saphyr_parser::{Event, Parser, ScalarStyle as SStyle, Tag};
use std::borrow::Cow;
use std::collections::HashMap;

/// Deepest nesting of collections accepted.
pub const MAX_DEPTH: usize = 256;
/// Most nodes that alias expansion may clone in one parse.
pub const MAX_ALIAS_NODES: usize = 100_000;
/// Most scalar bytes that alias expansion may clone in one parse.
pub const MAX_ALIAS_BYTES: usize = 16 << 20;
/// Most nodes kept aside for anchors (each anchored node is copied once so
/// that aliases can clone it; nested anchors copy their content again).
const MAX_ANCHOR_NODES: usize = 1_000_000;
/// Most scalar bytes kept aside for anchors.
const MAX_ANCHOR_BYTES: usize = 64 << 20;

/// The message of the alias-budget error.
pub const ALIAS_BOMB: &str = "alias expansion too large (possible alias bomb)";

/// Result of parsing one stream (the whole file, or one recovery chunk).
/// Offsets are relative to the parsed text.
#[derive(Debug, Default)]
pub(crate) struct StreamResult {
    pub documents: Vec<Document>,
    /// Every error, in the order found; a fatal one is last.
    pub errors: Vec<YamlError>,
    /// A better message and position for the fatal error (the last of
    /// `errors`), for the user.
    pub reanchor: Option<(&'static str, usize)>,
    /// Byte offset of the error that stopped parsing, if any.
    pub fatal: Option<u32>,
    /// Everything before this offset is in `documents`.
    pub safe_end: usize,
    /// End of the last node or marker read before parsing stopped.
    pub cursor: usize,
    /// Flow collections open when parsing stopped.
    pub open_flows: usize,
}

/// Parses `text`, turning a panic inside the parser (which would be a bug)
/// into an error.
pub(crate) fn parse_stream(text: &str) -> StreamResult {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut b = Builder::new(text);
        b.run();
        b.finish()
    }));
    run.unwrap_or_else(|_| StreamResult {
        documents: Vec::new(),
        errors: vec![YamlError {
            message: "internal error: the YAML parser failed on this input".into(),
            span: Span::empty(0),
        }],
        reanchor: None,
        fatal: Some(0),
        safe_end: 0,
        cursor: 0,
        open_flows: 0,
    })
}

/// Size of a (sub)tree, for the alias budgets and the depth limit.
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    nodes: usize,
    bytes: usize,
    height: usize,
}

impl Stats {
    fn leaf(bytes: usize) -> Stats {
        Stats {
            nodes: 1,
            bytes,
            height: 1,
        }
    }
}

enum FrameKind {
    Seq(Vec<Node>),
    Map(Vec<Entry>, Option<Node>),
}

/// An open collection.
struct Frame {
    kind: FrameKind,
    start: usize,
    /// End of the last completed child.
    end: usize,
    flow: bool,
    tag: Option<String>,
    anchor: usize,
    /// Column of a block collection (the indentation saphyr uses for
    /// explicit block-scalar indentation indicators).
    indent: isize,
    /// Totals of the completed children.
    stats: Stats,
}

enum Anchor {
    /// The anchored collection is still open.
    Open,
    Ready(Box<Node>, Stats),
    /// Too large to keep a copy of (see [`MAX_ANCHOR_NODES`]).
    TooLarge,
}

struct DocState {
    /// Span of an explicit `---`.
    marker: Option<(usize, usize)>,
    root: Option<Node>,
    /// The root is an empty (absent) node: an empty document.
    absent: bool,
}

struct Builder<'t> {
    text: &'t str,
    bytes: &'t [u8],
    map: OffsetMap<'t>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchor>,
    alias_used: Stats,
    anchor_used: Stats,
    alias_bomb_reported: bool,
    /// End of the last node or marker read: where to start looking for the
    /// next node's text.
    cursor: usize,
    doc: Option<DocState>,
    out: StreamResult,
}

/// A fatal error: message and byte offset.
struct Fatal(String, usize);

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Builder<'t> {
        Builder {
            text,
            bytes: text.as_bytes(),
            map: OffsetMap::new(text),
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_used: Stats::default(),
            anchor_used: Stats::default(),
            alias_bomb_reported: false,
            cursor: 0,
            doc: None,
            out: StreamResult::default(),
        }
    }

    fn run(&mut self) {
        let mut parser = Parser::new_from_str(self.text);
        loop {
            let fatal = match parser.next_event() {
                None => break,
                Some(Err(e)) => Fatal(e.info().to_string(), self.map.marker(e.marker())),
                Some(Ok((ev, span))) => {
                    let s = self.map.marker(&span.start);
                    let e = self.map.marker(&span.end).max(s);
                    let end = ev == Event::StreamEnd;
                    match self.event(ev, s, e) {
                        Ok(()) if end => break,
                        Ok(()) => continue,
                        Err(f) => f,
                    }
                }
            };
            self.fail(fatal);
            break;
        }
    }

    fn finish(mut self) -> StreamResult {
        self.out.cursor = self.cursor;
        self.out
    }

    fn error(&mut self, message: impl Into<String>, at: usize) {
        self.out.errors.push(YamlError {
            message: message.into(),
            span: Span::empty(at as u32),
        });
    }

    /// Records a fatal error and keeps what was complete of the document in
    /// progress.
    fn fail(&mut self, Fatal(message, at): Fatal) {
        // Where the user should look, when that is not where saphyr
        // stopped: applied once the yaml-cpp leniencies (which read the
        // raw message) have had their say.
        // An error on a later line than an unclosed `[` or `{` is that
        // bracket's fault: report it there, as yaml-cpp does.
        let line_start = |o: usize| self.text[..o.min(self.text.len())].rfind('\n');
        let unclosed = self
            .stack
            .iter()
            .find(|f| f.flow && line_start(f.start) != line_start(at))
            // A flow content line indented too little is its own error.
            .filter(|_| !message.starts_with("invalid indentation"));
        self.out.reanchor = match unclosed {
            Some(f) => Some((
                match f.kind {
                    FrameKind::Seq(_) => "end of sequence flow not found (no ']' closes this '[')",
                    FrameKind::Map(..) => "end of map flow not found (no '}' closes this '{')",
                },
                f.start,
            )),
            None => self.indenting_tab(&message, at).map(|tab| {
                (
                    "found a tab character that violates indentation (YAML indents with spaces)",
                    tab,
                )
            }),
        };
        self.error(message, at);
        self.out.fatal = Some(at as u32);
        self.out.open_flows = self.stack.iter().filter(|f| f.flow).count();
        let Some(doc) = self.doc.take() else {
            return;
        };
        let outermost = std::mem::take(&mut self.stack).into_iter().next();
        let root = match (doc.root, outermost) {
            (Some(_), _) if doc.absent => None,
            (Some(root), _) => Some(root),
            (None, Some(frame)) => {
                let empty = match &frame.kind {
                    FrameKind::Seq(items) => items.is_empty(),
                    FrameKind::Map(entries, _) => entries.is_empty(),
                };
                (!empty).then(|| frame_node(frame).0)
            }
            (None, None) => None,
        };
        if let Some(root) = root {
            let start = doc.marker.map_or(root.span.start as usize, |m| m.0);
            let span = Span::new(start as u32, root.span.end);
            self.out.safe_end = root.span.end as usize;
            self.out.documents.push(Document {
                root: Some(root),
                span,
                recovered: false,
            });
        }
    }

    /// saphyr reports a tab met while scanning a plain scalar at the
    /// scalar's start; the user needs the tab: the first tab in the
    /// indentation of a line after `at`.
    fn indenting_tab(&self, message: &str, at: usize) -> Option<usize> {
        if !message.contains("found a tab") {
            return None;
        }
        let mut line = self.text.get(at..)?.find('\n').map(|i| at + i + 1)?;
        while line < self.text.len() {
            let rest = &self.bytes[line..];
            let indent = rest
                .iter()
                .take_while(|b| **b == b' ' || **b == b'\t')
                .count();
            if let Some(t) = rest[..indent].iter().position(|b| *b == b'\t') {
                return Some(line + t);
            }
            line += rest.iter().position(|b| *b == b'\n')? + 1;
        }
        None
    }

    fn event(&mut self, ev: Event<'_>, s: usize, e: usize) -> Result<(), Fatal> {
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(explicit) => {
                let marker = explicit.then_some((s, e));
                if explicit {
                    self.cursor = self.cursor.max(e);
                }
                self.doc = Some(DocState {
                    marker,
                    root: None,
                    absent: false,
                });
            }
            Event::DocumentEnd => self.end_document(s),
            Event::Alias(id) => {
                self.cursor = self.cursor.max(e);
                let (node, stats) = self.alias(id, s, e);
                self.attach(node, stats, false);
            }
            Event::Scalar(value, style, anchor, tag) => {
                let (node, absent) = self.scalar(value, style, anchor, tag.as_deref(), s, e);
                let stats = match &node.kind {
                    NodeKind::Scalar(sc) => Stats::leaf(scalar_bytes(sc)),
                    _ => Stats::leaf(0),
                };
                self.register(anchor, &node, stats);
                self.attach(node, stats, absent);
            }
            Event::SequenceStart(anchor, tag) => self.open(true, anchor, tag.as_deref(), s, e)?,
            Event::MappingStart(anchor, tag) => self.open(false, anchor, tag.as_deref(), s, e)?,
            Event::SequenceEnd | Event::MappingEnd => self.close(s),
        }
        Ok(())
    }

    fn end_document(&mut self, s: usize) {
        let doc = self.doc.take().unwrap_or(DocState {
            marker: None,
            root: None,
            absent: true,
        });
        let explicit_end = self.bytes[s.min(self.bytes.len())..]
            .starts_with(b"...")
            .then_some(s + 3);
        let root = if doc.absent { None } else { doc.root };
        let start = doc
            .marker
            .map(|m| m.0)
            .or(root.as_ref().map(|r| r.span.start as usize))
            .unwrap_or(s);
        let end = [
            root.as_ref().map(|r| r.span.end as usize),
            doc.marker.map(|m| m.1),
            explicit_end,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(start)
        .max(start);
        self.cursor = self.cursor.max(end);
        self.out.safe_end = end;
        self.out.documents.push(Document {
            root,
            span: Span::new(start as u32, end as u32),
            recovered: false,
        });
    }

    /// Adds a completed node to the open collection or the document.
    fn attach(&mut self, node: Node, stats: Stats, absent: bool) {
        let depth = self.stack.len();
        let Some(frame) = self.stack.last_mut() else {
            let doc = self.doc.get_or_insert(DocState {
                marker: None,
                root: None,
                absent: false,
            });
            doc.root = Some(node);
            doc.absent = absent;
            return;
        };
        frame.end = frame.end.max(node.span.end as usize);
        frame.stats.nodes += stats.nodes;
        frame.stats.bytes += stats.bytes;
        frame.stats.height = frame.stats.height.max(stats.height);
        let completed = match &mut frame.kind {
            FrameKind::Seq(items) => {
                items.push(node);
                true
            }
            FrameKind::Map(entries, key) => match key.take() {
                Some(key) => {
                    entries.push(Entry { key, value: node });
                    true
                }
                None => {
                    *key = Some(node);
                    false
                }
            },
        };
        if depth == 1 && completed {
            self.out.safe_end = frame.end;
        }
    }

    /// Keeps a copy of an anchored node for later aliases.
    fn register(&mut self, anchor: usize, node: &Node, stats: Stats) {
        if anchor == 0 {
            return;
        }
        let used = &mut self.anchor_used;
        let entry = if used.nodes + stats.nodes > MAX_ANCHOR_NODES
            || used.bytes + stats.bytes > MAX_ANCHOR_BYTES
        {
            Anchor::TooLarge
        } else {
            used.nodes += stats.nodes;
            used.bytes += stats.bytes;
            Anchor::Ready(Box::new(node.clone()), stats)
        };
        self.anchors.insert(anchor, entry);
    }

    fn alias(&mut self, id: usize, s: usize, e: usize) -> (Node, Stats) {
        let span = Span::new(s as u32, e as u32);
        let null = (Node::new(NodeKind::Null, span), Stats::leaf(0));
        let stats = match self.anchors.get(&id) {
            None => {
                self.error("undefined alias", s);
                return null;
            }
            Some(Anchor::Open) => {
                self.error(
                    "alias refers to a node that contains it (recursive alias)",
                    s,
                );
                return null;
            }
            Some(Anchor::TooLarge) => None,
            Some(Anchor::Ready(_, stats)) => Some(*stats),
        };
        let within = stats.is_some_and(|st| {
            self.alias_used.nodes + st.nodes <= MAX_ALIAS_NODES
                && self.alias_used.bytes + st.bytes <= MAX_ALIAS_BYTES
        });
        let (true, Some(stats)) = (within, stats) else {
            if !self.alias_bomb_reported {
                self.alias_bomb_reported = true;
                self.error(ALIAS_BOMB, s);
            }
            return null;
        };
        if self.stack.len() + stats.height > MAX_DEPTH + 1 {
            self.error(
                format!("nesting too deep after alias expansion (more than {MAX_DEPTH} levels)"),
                s,
            );
            return null;
        }
        let Some(Anchor::Ready(node, _)) = self.anchors.get(&id) else {
            return null;
        };
        let mut node = (**node).clone();
        node.span = span;
        self.alias_used.nodes += stats.nodes;
        self.alias_used.bytes += stats.bytes;
        (node, stats)
    }

    /// Builds a scalar (or null) node. The flag is true for an absent value
    /// (no text at all, no properties).
    fn scalar(
        &mut self,
        value: Cow<'_, str>,
        style: SStyle,
        anchor: usize,
        tag: Option<&Tag>,
        s: usize,
        e: usize,
    ) -> (Node, bool) {
        let tag = tag.map(render_tag);
        let has_props = anchor > 0 || tag.is_some();
        if style == SStyle::Plain && value.is_empty() {
            let at = if has_props {
                e
            } else if self.bytes.get(s) == Some(&b':') {
                s + 1
            } else {
                s
            };
            if has_props {
                self.cursor = self.cursor.max(e);
            }
            let node = Node {
                kind: NodeKind::Null,
                span: Span::empty(at as u32),
                tag,
            };
            return (node, !has_props);
        }
        let start = if has_props { self.skip_props(s, e) } else { s };
        let sane = |i: usize| i <= self.text.len() && self.text.is_char_boundary(i);
        let decoded = match style {
            _ if !sane(start) || !sane(e) => None,
            SStyle::Plain => Some(scalar::decode_plain(self.text, start, e)),
            SStyle::SingleQuoted => scalar::decode_quoted(self.text, start, false),
            SStyle::DoubleQuoted => scalar::decode_quoted(self.text, start, true),
            SStyle::Literal | SStyle::Folded => {
                let (from, limit) = if has_props {
                    (s, e)
                } else {
                    (self.cursor.min(s), s)
                };
                let parent = self.stack.last().map_or(-1, |f| f.indent);
                let literal = style == SStyle::Literal;
                let decode = |h| scalar::decode_block(self.text, h, parent, literal);
                let d = self.find_block_header(from, limit).and_then(decode);
                match d {
                    Some(d) if d.value == *value => Some(d),
                    _ => self.header_on_line_before(s).and_then(decode),
                }
            }
        };
        let d: Decoded = match decoded {
            Some(d) if d.value == *value => d,
            _ => scalar::coarse(value.into_owned(), start.min(e), e),
        };
        self.cursor = self.cursor.max(d.end);
        let span = Span::new(d.start as u32, d.end as u32);
        let null_tag = tag.as_deref().is_none_or(|t| t == "!!null");
        if style == SStyle::Plain && null_tag && matches!(&*d.value, "~" | "null" | "Null" | "NULL")
        {
            return (
                Node {
                    kind: NodeKind::Null,
                    span,
                    tag,
                },
                false,
            );
        }
        let style = match style {
            SStyle::Plain => ScalarStyle::Plain,
            SStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            SStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            SStyle::Literal => ScalarStyle::Literal,
            SStyle::Folded => ScalarStyle::Folded,
        };
        let kind = NodeKind::Scalar(Scalar {
            value: d.value,
            style,
            pieces: d.pieces,
        });
        (Node { kind, span, tag }, false)
    }

    fn open(
        &mut self,
        seq: bool,
        anchor: usize,
        tag: Option<&Tag>,
        s: usize,
        e: usize,
    ) -> Result<(), Fatal> {
        let tag = tag.map(render_tag);
        let p = if anchor > 0 || tag.is_some() {
            self.skip_props(s, e.max(s))
        } else {
            s
        };
        if self.stack.len() >= MAX_DEPTH {
            return Err(Fatal(
                format!("nesting too deep (more than {MAX_DEPTH} levels)"),
                p,
            ));
        }
        let c = self.bytes.get(p).copied();
        let parent = self.stack.last();
        let parent_flow = parent.is_some_and(|f| f.flow);
        let bracket = if seq { b'[' } else { b'{' };
        // A block sequence that is a block mapping's value starts at the
        // first `-` indicator after the key: saphyr points an indentless
        // sequence (whose `- ` entries are not indented) after its first
        // `- `, where the entry may start with `[` or `-` itself.
        let map_value =
            !parent_flow && parent.is_some_and(|f| matches!(f.kind, FrameKind::Map(_, Some(_))));
        let value_dash = if seq && map_value {
            self.find_dash(self.cursor.min(p), p)
        } else {
            None
        };
        let (flow, start) = if let Some(dash) = value_dash {
            (false, dash)
        } else if c == Some(bracket) {
            (true, p)
        } else if parent_flow || !seq || c == Some(b'-') {
            (parent_flow, p)
        } else {
            // An indentless sequence: saphyr points after the first `- `
            // (and after a comment following it).
            (false, self.find_dash(self.cursor.min(p), p).unwrap_or(p))
        };
        let indent = if flow {
            parent.map_or(-1, |f| f.indent)
        } else {
            self.column(start) as isize
        };
        self.cursor = self.cursor.max(if flow && c == Some(bracket) {
            p + 1
        } else {
            start
        });
        if anchor > 0 {
            self.anchors.insert(anchor, Anchor::Open);
        }
        self.stack.push(Frame {
            kind: if seq {
                FrameKind::Seq(Vec::new())
            } else {
                FrameKind::Map(Vec::new(), None)
            },
            start,
            end: start,
            flow,
            tag,
            anchor,
            indent,
            stats: Stats::default(),
        });
        Ok(())
    }

    fn close(&mut self, s: usize) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let closer = match frame.kind {
            FrameKind::Seq(_) => b']',
            FrameKind::Map(..) => b'}',
        };
        let anchor = frame.anchor;
        // saphyr ends a flow mapping with a trailing comma (`{a: b,}`) at
        // the comma: the `}` is the next token.
        let mut at = s;
        if frame.flow && closer == b'}' && self.bytes.get(at) == Some(&b',') {
            at = self.skip_space(at + 1);
        }
        let flow_end = (frame.flow && self.bytes.get(at) == Some(&closer)).then_some(at + 1);
        let (mut node, stats) = frame_node(frame);
        if let Some(end) = flow_end {
            node.span.end = end as u32;
        }
        self.cursor = self.cursor.max(node.span.end as usize);
        self.register(anchor, &node, stats);
        self.attach(node, stats, false);
    }

    /// Column (in characters) of byte offset `pos`, as saphyr counts it: a
    /// byte order mark starting the line takes no column.
    fn column(&self, pos: usize) -> usize {
        let pos = pos.min(self.bytes.len());
        let mut ls = pos;
        while ls > 0 && !matches!(self.bytes[ls - 1], b'\n' | b'\r') {
            ls -= 1;
        }
        self.text.get(ls..pos).map_or(pos - ls, |s| {
            s.trim_start_matches('\u{feff}').chars().count()
        })
    }

    /// Skips node properties (`&anchor`, `!tag`), blanks, line breaks and
    /// comments from `from`; returns where the node's own text starts (at
    /// most `limit`).
    fn skip_props(&self, from: usize, limit: usize) -> usize {
        let b = self.bytes;
        let mut p = from;
        loop {
            p = self.skip_space(p);
            match b.get(p) {
                Some(b'&') => p = skip_token(b, p + 1),
                Some(b'!') if b.get(p + 1) == Some(&b'<') => {
                    while p < b.len() && b[p] != b'>' && !matches!(b[p], b'\n' | b'\r') {
                        p += 1;
                    }
                    p = (p + 1).min(b.len());
                }
                Some(b'!') => p = skip_token(b, p + 1),
                _ => break,
            }
        }
        p.min(limit.max(from))
    }

    /// Skips blanks, line breaks, byte order marks and comments.
    fn skip_space(&self, mut p: usize) -> usize {
        let b = self.bytes;
        while p < b.len() {
            match b[p] {
                b' ' | b'\t' | b'\n' | b'\r' => p += 1,
                0xef if b.get(p..p + 3) == Some(&[0xef, 0xbb, 0xbf]) => p += 3,
                b'#' => {
                    while p < b.len() && !matches!(b[p], b'\n' | b'\r') {
                        p += 1;
                    }
                }
                _ => break,
            }
        }
        p
    }

    /// Finds the `-` of a block sequence's first entry between `from` and
    /// `limit`, skipping blanks, comments and the `:`/`?` indicators.
    fn find_dash(&self, from: usize, limit: usize) -> Option<usize> {
        let b = self.bytes;
        let mut p = from;
        loop {
            p = self.skip_space(p);
            if p > limit {
                return None;
            }
            let next_blank = b
                .get(p + 1)
                .is_none_or(|&n| matches!(n, b' ' | b'\t' | b'\n' | b'\r'));
            match *b.get(p)? {
                b'-' if next_blank => return Some(p),
                b':' | b'?' if next_blank => p += 1,
                b'&' | b'!' => p = skip_token(b, p + 1),
                _ => return None,
            }
        }
    }

    /// Fallback for [`Builder::find_block_header`]: the first `|`/`>` of
    /// the last non-blank line before `content` that can be a header: after
    /// a blank, an indicator or the line start, followed by indentation and
    /// chomping indicators, then blanks and the line end or a comment.
    fn header_on_line_before(&self, content: usize) -> Option<usize> {
        let b = self.bytes;
        let mut end = content.min(b.len());
        // Back over indentation and empty lines.
        while end > 0 && matches!(b[end - 1], b' ' | b'\t' | b'\n' | b'\r') {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && !matches!(b[start - 1], b'\n' | b'\r') {
            start -= 1;
        }
        (start..end).find(|&p| {
            matches!(b[p], b'|' | b'>')
                && (p == start || matches!(b[p - 1], b' ' | b'\t' | b'-' | b'?' | b':' | b','))
                && {
                    let mut q = p + 1;
                    while q < end && matches!(b[q], b'+' | b'-' | b'1'..=b'9') {
                        q += 1;
                    }
                    let blanks = q;
                    while q < end && matches!(b[q], b' ' | b'\t') {
                        q += 1;
                    }
                    q == end || (b[q] == b'#' && q > blanks)
                }
        })
    }

    /// Finds the `|`/`>` header of a block scalar between `from` and
    /// `limit`, skipping what may precede it in block context: blanks,
    /// comments, indicators (`-`, `?`, `:`), document markers and node
    /// properties.
    fn find_block_header(&self, from: usize, limit: usize) -> Option<usize> {
        let b = self.bytes;
        let mut p = from;
        loop {
            p = self.skip_space(p);
            if p > limit {
                return None;
            }
            let c = *b.get(p)?;
            let next_blank = b
                .get(p + 1)
                .is_none_or(|&n| matches!(n, b' ' | b'\t' | b'\n' | b'\r'));
            match c {
                b'|' | b'>' => return Some(p),
                b'-' | b'?' | b':' if next_blank => p += 1,
                b',' => p += 1,
                b'-' if b.get(p..p + 3) == Some(b"---") => p += 3,
                b'.' if b.get(p..p + 3) == Some(b"...") => p += 3,
                b'&' | b'!' => p = skip_token(b, p + 1),
                b'%' => {
                    while p < b.len() && !matches!(b[p], b'\n' | b'\r') {
                        p += 1;
                    }
                }
                _ => return None,
            }
        }
    }
}

/// Skips an anchor name or tag: up to a blank, a break or a flow indicator.
fn skip_token(b: &[u8], mut p: usize) -> usize {
    while p < b.len()
        && !matches!(
            b[p],
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b'[' | b']' | b'{' | b'}'
        )
    {
        p += 1;
    }
    p
}

/// The node of a closed (or abandoned) collection, with its completed
/// children only.
fn frame_node(frame: Frame) -> (Node, Stats) {
    let kind = match frame.kind {
        FrameKind::Seq(items) => NodeKind::Sequence {
            items,
            flow: frame.flow,
        },
        FrameKind::Map(entries, _) => NodeKind::Mapping {
            entries,
            flow: frame.flow,
        },
    };
    let stats = Stats {
        nodes: frame.stats.nodes + 1,
        bytes: frame.stats.bytes,
        height: frame.stats.height + 1,
    };
    let node = Node {
        kind,
        span: Span::new(frame.start as u32, frame.end.max(frame.start) as u32),
        tag: frame.tag,
    };
    (node, stats)
}

/// Bytes a scalar occupies, for the budgets.
fn scalar_bytes(s: &Scalar) -> usize {
    s.value.len() + s.pieces.len() * std::mem::size_of::<Piece>()
}

/// A tag as written in YAML shorthand when possible (`!!str`, `!local`,
/// `!<verbatim>`).
fn render_tag(t: &Tag) -> String {
    if t.handle == "tag:yaml.org,2002:" {
        format!("!!{}", t.suffix)
    } else if t.handle == "!" {
        format!("!{}", t.suffix)
    } else if t.handle.is_empty() {
        if t.suffix == "!" {
            "!".to_string()
        } else {
            format!("!<{}>", t.suffix)
        }
    } else {
        format!("{}{}", t.handle, t.suffix)
    }
}
