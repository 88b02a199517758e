//! What the cursor is on: the item, the key, the offset inside a string
//! value.
//!
//! Read from the YAML tree rather than from the decoded items, so that an
//! item the reader rejects (a rule being typed has no `output` yet, a
//! condition is still empty) still gives a context. Offsets inside a value
//! come from inverting the scalar's piece map, so they are exact for every
//! scalar style (plain over several lines, quoted with escapes, blocks).

use falconer_text::{floor_char_boundary, Span};
use falconer_yaml::{Node, NodeKind, Scalar, YamlFile};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemKind {
    List,
    Macro,
    Rule,
    Other,
}

/// The item (top-level mapping) under the cursor.
pub(crate) struct ItemCtx<'a> {
    pub kind: ItemKind,
    /// The value of the `list`/`macro`/`rule` key.
    pub name: Option<&'a Node>,
    pub node: &'a Node,
}

impl<'a> ItemCtx<'a> {
    pub fn name_str(&self) -> Option<&'a str> {
        self.name.and_then(|n| n.as_str())
    }

    /// The rule's `source` (None when absent or not a string).
    pub fn source(&self) -> Option<&'a str> {
        self.node.get("source").and_then(|e| e.value.as_str())
    }
}

/// A string value under the cursor.
pub(crate) struct ValueAt<'a> {
    /// `None` for an empty value (`condition:` with nothing after it).
    pub scalar: Option<&'a Scalar>,
    /// The cursor's offset in the value.
    pub offset: u32,
    /// The cursor is after the value's end, separated by blanks.
    pub past_end: bool,
    /// The cursor's file offset.
    pub cursor: u32,
}

impl<'a> ValueAt<'a> {
    pub fn value(&self) -> &'a str {
        self.scalar.map_or("", |s| s.value.as_str())
    }

    /// The text before the cursor (a blank stands for blanks between the
    /// value's end and the cursor).
    pub fn before(&self) -> String {
        let mut s = self.value()[..self.offset as usize].to_string();
        if self.past_end {
            s.push(' ');
        }
        s
    }

    /// Maps a range of the value to the file. A range ending at the cursor
    /// past the value's end is stretched to the cursor.
    pub fn file_span(&self, range: Span) -> Span {
        match self.scalar {
            Some(s) if !(self.past_end && range.is_empty() && range.start == self.offset) => {
                let span = s.source_span(range);
                if self.past_end && range.end == self.offset {
                    Span::new(span.start, self.cursor)
                } else {
                    span
                }
            }
            _ => Span::empty(self.cursor),
        }
    }
}

/// Where in its item the cursor is.
pub(crate) enum Spot<'a> {
    /// On the item's name (the value of `list`/`macro`/`rule`).
    Name(&'a Node),
    Condition(ValueAt<'a>),
    Output(ValueAt<'a>),
    /// On (or typing) an entry of a list's `items`.
    ListItem(ValueAt<'a>),
    /// On a scalar under an exception's `values` (folded into the
    /// condition, so a list name there is a list reference).
    ExceptionValue(&'a Node),
    /// Anywhere else in the item.
    Other,
}

fn only_blanks(text: &str, from: u32, to: u32) -> bool {
    from <= to
        && text
            .get(from as usize..to as usize)
            .is_some_and(|s| s.bytes().all(|b| b == b' ' || b == b'\t'))
}

/// The node reaches the cursor: it contains it, or only blanks separate
/// its end from the cursor on the same line.
fn reaches(text: &str, span: Span, offset: u32) -> bool {
    span.start <= offset && (offset <= span.end || only_blanks(text, span.end, offset))
}

/// The kind and name of a top-level item, classified as the reader does
/// (the first of `list`, `macro`, `rule` it has).
pub(crate) fn item_ctx(item: &Node) -> ItemCtx<'_> {
    let (kind, name) = [
        ("list", ItemKind::List),
        ("macro", ItemKind::Macro),
        ("rule", ItemKind::Rule),
    ]
    .into_iter()
    .find_map(|(k, kind)| item.get(k).map(|e| (kind, Some(&e.value))))
    .unwrap_or((ItemKind::Other, None));
    ItemCtx {
        kind,
        name,
        node: item,
    }
}

/// Every top-level item (mapping) of a file, in file order, items read by
/// YAML error recovery included. Read from the tree, so items the reader
/// rejects (a rule still being typed) are there too.
pub(crate) fn top_items(yaml: &YamlFile) -> impl Iterator<Item = ItemCtx<'_>> {
    yaml.documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .filter_map(|r| r.as_sequence())
        .flatten()
        .filter(|n| n.as_mapping().is_some())
        .map(item_ctx)
}

/// The item under the cursor and the spot inside it.
pub(crate) fn locate<'a>(
    yaml: &'a YamlFile,
    text: &str,
    offset: u32,
) -> Option<(ItemCtx<'a>, Spot<'a>)> {
    let item = yaml
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .filter_map(|r| r.as_sequence())
        .flatten()
        .rfind(|n| n.as_mapping().is_some() && reaches(text, n.span, offset))?;
    let ctx = item_ctx(item);
    let kind = ctx.kind;
    let entry = item
        .as_mapping()?
        .iter()
        .rfind(|e| e.key.span.start <= offset);
    let Some(entry) = entry else {
        return Some((ctx, Spot::Other));
    };
    if offset <= entry.key.span.end {
        return Some((ctx, Spot::Other));
    }
    let key = entry.key.as_str().unwrap_or("");
    let spot = match key {
        "condition" => value_at(&entry.value, text, offset).map(Spot::Condition),
        "output" => value_at(&entry.value, text, offset).map(Spot::Output),
        "items" if kind == ItemKind::List => list_item_at(&entry.value, text, offset),
        "exceptions" if kind == ItemKind::Rule => exception_value_at(&entry.value, offset),
        "list" | "macro" | "rule"
            if entry.value.as_scalar().is_some() && entry.value.span.touches(offset) =>
        {
            Some(Spot::Name(&entry.value))
        }
        _ => None,
    };
    Some((ctx, spot.unwrap_or(Spot::Other)))
}

/// The cursor inside (or right after) a string value.
fn value_at<'a>(node: &'a Node, text: &str, offset: u32) -> Option<ValueAt<'a>> {
    match &node.kind {
        NodeKind::Scalar(s) => {
            if node.span.start <= offset && offset <= node.span.end {
                Some(ValueAt {
                    scalar: Some(s),
                    offset: value_offset(s, offset),
                    past_end: false,
                    cursor: offset,
                })
            } else if reaches(text, node.span, offset) {
                Some(ValueAt {
                    scalar: Some(s),
                    offset: s.value.len() as u32,
                    past_end: true,
                    cursor: offset,
                })
            } else {
                None
            }
        }
        NodeKind::Null if reaches(text, node.span, offset) => Some(ValueAt {
            scalar: None,
            offset: 0,
            past_end: true,
            cursor: offset,
        }),
        _ => None,
    }
}

fn list_item_at<'a>(node: &'a Node, text: &str, offset: u32) -> Option<Spot<'a>> {
    match &node.kind {
        NodeKind::Sequence { items, .. } => {
            if let Some(v) = items
                .iter()
                .filter(|n| n.as_scalar().is_some() || n.is_null())
                .find_map(|n| value_at(n, text, offset))
            {
                return Some(Spot::ListItem(v));
            }
            // Typing a new entry (`[a, |]`, `- |`): an empty value.
            node.span.touches(offset).then_some(Spot::ListItem(ValueAt {
                scalar: None,
                offset: 0,
                past_end: true,
                cursor: offset,
            }))
        }
        NodeKind::Null | NodeKind::Scalar(_) => value_at(node, text, offset).map(Spot::ListItem),
        _ => None,
    }
}

fn exception_value_at(node: &Node, offset: u32) -> Option<Spot<'_>> {
    let entry = node
        .as_sequence()?
        .iter()
        .find(|e| e.span.touches(offset))?;
    let mut stack = vec![&entry.get("values")?.value];
    while let Some(n) = stack.pop() {
        match &n.kind {
            NodeKind::Sequence { items, .. } => stack.extend(items),
            NodeKind::Scalar(_) if n.span.touches(offset) => {
                return Some(Spot::ExceptionValue(n));
            }
            _ => {}
        }
    }
    None
}

/// Maps a file offset inside a scalar to an offset in its value: a copied
/// byte maps to its copy; a position inside a construct (an escape, a
/// folded line break, indentation) maps to the value offset where the
/// construct's output starts; past the content, to the value's end.
pub(crate) fn value_offset(s: &Scalar, offset: u32) -> u32 {
    let len = s.value.len() as u32;
    let mut result = len;
    for p in &s.pieces {
        if offset < p.source_start {
            result = p.value_start;
            break;
        }
        let src_len = if p.copied { p.len } else { p.source_len };
        if offset < p.source_start + src_len {
            result = if p.copied {
                p.value_start + (offset - p.source_start)
            } else {
                p.value_start
            };
            break;
        }
    }
    floor_char_boundary(&s.value, result.min(len) as usize) as u32
}

/// Falco's list-substitution delimiters (see `lists.rs`).
pub(crate) fn is_list_delim(b: u8) -> bool {
    crate::lists::is_delim(b)
}

/// The delimited word of `text` that touches `offset`, as list
/// substitution sees words.
pub(crate) fn list_word_at(text: &str, offset: u32) -> Option<Span> {
    let b = text.as_bytes();
    let off = (offset as usize).min(b.len());
    let mut s = off;
    while s > 0 && !is_list_delim(b[s - 1]) {
        s -= 1;
    }
    let mut e = off;
    while e < b.len() && !is_list_delim(b[e]) {
        e += 1;
    }
    (s < e).then(|| Span::new(s as u32, e as u32))
}

/// Delimited occurrences of `name` in `text` (list substitution's words).
pub(crate) fn list_occurrences(text: &str, name: &str) -> Vec<Span> {
    if name.is_empty() {
        return Vec::new();
    }
    crate::lists::find_occurrences(text, name)
        .into_iter()
        .map(|(s, e)| Span::new(s as u32, e as u32))
        .collect()
}

/// `span` with the parentheses right around it (blanks aside), if any.
pub(crate) fn parenthesised(text: &str, span: Span) -> Option<Span> {
    let b = text.as_bytes();
    let mut s = span.start as usize;
    while s > 0 && b[s - 1].is_ascii_whitespace() {
        s -= 1;
    }
    let mut e = span.end as usize;
    while e < b.len() && b[e].is_ascii_whitespace() {
        e += 1;
    }
    (s > 0 && e < b.len() && b[s - 1] == b'(' && b[e] == b')')
        .then(|| Span::new(s as u32 - 1, e as u32 + 1))
}
