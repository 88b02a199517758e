//! A span-aware YAML tree for Falco rules files.
//!
//! [`parse`] reads a rules file into a [`YamlFile`]: documents of [`Node`]s,
//! each with its exact byte [`Span`](falconer_text::Span), plus the syntax
//! errors. Scalars keep their decoded text (booleans, numbers etc. are left
//! to the caller, as Falco decodes them from the text with yaml-cpp's rules)
//! and a map from every byte of the value back to the file
//! ([`Scalar::source_offset`], [`Scalar::source_span`]), so a problem found
//! inside a condition can be pointed at in the file whatever the scalar
//! style: plain over several lines, single- or double-quoted with escapes,
//! literal or folded block.
//!
//! # How
//!
//! Two paths build the same tree:
//!
//! * the **fast path** (`fast.rs`, [`parse_fast`]) reads the YAML subset
//!   that rules files are written in (one document whose root is a block
//!   sequence of block mappings; plain, quoted and block scalars; flow
//!   sequences, one-line flow mappings; nested block collections; comments,
//!   CRLF) in one pass, and declines (`None`) anything else: anchors,
//!   aliases, tags, several documents, syntax errors, anything uncertain;
//! * the **saphyr path** ([`parse_saphyr`]), below, reads any YAML and
//!   reports and recovers from errors.
//!
//! [`parse`] tries the first and falls back to the second. The fast path
//! reuses the scalar decoders of the saphyr path; a differential test
//! (`tests/fast_path.rs`) checks that whenever it returns a tree, the tree
//! is exactly the saphyr path's, on all our fixtures and test strings,
//! generated and real rules files, and random documents and mutations.
//! On rules files it is 6-14 times faster.
//!
//! For incremental checking, [`split_items`] cuts a rules file into its
//! top-level items and [`parse_item`] parses one item alone, with spans in
//! file coordinates: caching `parse_item` per item text, an edit re-parses
//! only the item it touches ([`Node::shift`] moves a cached item).
//!
//! Events come from `saphyr-parser` (a YAML 1.2 event parser; it reports
//! positions in characters, which we convert to bytes). The builder
//! (`builder.rs`) turns them into nodes without recursion, finding each
//! node's exact start itself (saphyr's spans start at a node's anchor or
//! tag, and at a block scalar's first content line) and re-scanning every
//! scalar's source style-aware (`scalar.rs`) to align value and source. Our
//! value is checked against saphyr's; saphyr's value always wins (with a
//! coarse mapping should they ever differ).
//!
//! * Null: plain `~`, `null`, `Null`, `NULL` (untagged or `!!null`) and
//!   absent values (`key:`, `- `) are [`NodeKind::Null`]; an absent value
//!   has a zero-width span right after its `:` (or where saphyr places it).
//!   A document with no content at all has `root: None`.
//! * Mapping entries keep source order and duplicates. Explicit tags are
//!   kept in shorthand form (`!!str`, `!local`, `!<verbatim>`).
//! * Aliases are replaced by a clone of the anchored node whose root span
//!   is the alias (`*name`); nodes inside the clone keep the spans of the
//!   anchored text. Cloning is budgeted ([`MAX_ALIAS_NODES`] nodes and
//!   [`MAX_ALIAS_BYTES`] bytes per parse); past the budget an alias becomes
//!   null with the error [`ALIAS_BOMB`] (reported once). An alias to its
//!   own enclosing node is an error and null.
//! * Nesting deeper than [`MAX_DEPTH`] collections is an error that stops
//!   the parse (saphyr itself stops flow nesting at 256 levels), so no input
//!   can exhaust the stack, including after alias expansion.
//! * CRLF and lone CR line endings, a UTF-8 byte order mark, tabs where
//!   YAML allows them, several documents (`---`, `...`), empty and
//!   comment-only files (no document, no error) are handled.
//!
//! # yaml-cpp compatibility
//!
//! Falco reads rules with yaml-cpp, which accepts two things saphyr
//! rejects; we accept them too, without moving any byte offset:
//!
//! * a tab right after a `:` (`key:<TAB>value`): we parse a copy where such
//!   tabs are spaces, and put them back in any value that copied one;
//! * flow collections whose lines are no more indented than their key, as
//!   in Falco's own sandbox rules (`items: [` … `  ]`): see `relax.rs`.
//!
//! # Errors and recovery
//!
//! The first syntax error stops the parse, as it stops yaml-cpp in Falco;
//! it is the first entry of [`YamlFile::errors`] (its span is the
//! zero-width position saphyr reports, converted to bytes). The document in
//! progress is kept with its completed top-level items only (its
//! `recovered` flag is false). Then the rest of the file is read item by
//! item (see `recover.rs`): the file is cut at lines starting with `- ` at
//! column 0, the broken item is dropped, and each later item is parsed on
//! its own; the items that parse are returned, at their original offsets,
//! in one extra document marked [`Document::recovered`] whose root is a
//! block sequence of them, and their errors follow the first one. Note that
//! Falco (yaml-cpp) loads nothing at all from a file with a syntax error:
//! everything in the tree of such a file is only for tooling.
//!
//! `parse` never panics (a panic inside saphyr would be caught and
//! reported as an error), takes time and memory linear in the input (plus
//! the bounded alias expansion), and never recurses deeper than the
//! nesting limit.

pub mod tree;
pub use tree::*;

mod builder;
pub mod debug;
mod fast;
mod items;
mod offsets;
mod recover;
mod relax;
mod scalar;

pub use items::{parse_item, resplit_items, split_items, Resplit};

pub use builder::{ALIAS_BOMB, MAX_ALIAS_BYTES, MAX_ALIAS_NODES, MAX_DEPTH};

/// Parses a rules file. See the crate documentation.
///
/// Tries the fast path ([`parse_fast`]) first and takes the saphyr path
/// ([`parse_saphyr`]) when the fast path declines; both give the same tree.
pub fn parse(text: &str) -> YamlFile {
    match fast::parse(text) {
        Some(file) => file,
        None => parse_saphyr(text),
    }
}

/// The fast path alone: the tree of a file written in the YAML subset that
/// rules files use (see the crate documentation), exactly as
/// [`parse_saphyr`] would build it, or `None` when the file is outside the
/// subset, has a syntax error, or anything is uncertain.
pub fn parse_fast(text: &str) -> Option<YamlFile> {
    fast::parse(text)
}

/// The saphyr path alone (the reference the fast path must match): events
/// from saphyr-parser, yaml-cpp leniencies, error recovery.
pub fn parse_saphyr(text: &str) -> YamlFile {
    let softened = soften_tabs(text);
    let text = softened.as_ref().map_or(text, |(t, _)| t.as_str());
    let mut main = builder::parse_stream(text);
    let relaxed = relax::relax(text, &main);
    if let Some(relaxed) = &relaxed {
        main = builder::parse_stream(relaxed);
    }
    let text = relaxed.as_deref().unwrap_or(text);
    if let (Some((message, at)), Some(last)) = (main.reanchor, main.errors.last_mut()) {
        last.message = message.to_string();
        last.span = falconer_text::Span::empty(at as u32);
    }
    let mut file = YamlFile {
        documents: main.documents,
        errors: main.errors,
    };
    if let Some(fatal) = main.fatal {
        let (doc, errors) = recover::recover(text, fatal as usize, main.safe_end);
        file.documents.extend(doc);
        file.errors.extend(errors);
    }
    if let Some((_, tabs)) = &softened {
        for doc in &mut file.documents {
            if let Some(root) = &mut doc.root {
                restore_tabs(root, tabs);
            }
        }
    }
    file
}

/// saphyr rejects a tab right after a `:` value indicator when no space
/// follows (`key:\tvalue`), which yaml-cpp (and YAML 1.2) accept. Such a
/// tab is separation whitespace, never part of a value, so we parse a copy
/// where each tab right after a `:` is a space (same offsets). Returns the
/// copy and the positions changed, or `None` when there are none.
fn soften_tabs(text: &str) -> Option<(String, Vec<u32>)> {
    let b = text.as_bytes();
    let tabs: Vec<u32> = (1..b.len())
        .filter(|&i| b[i] == b'\t' && b[i - 1] == b':')
        .map(|i| i as u32)
        .collect();
    if tabs.is_empty() {
        return None;
    }
    let mut bytes = b.to_vec();
    for &i in &tabs {
        bytes[i as usize] = b' ';
    }
    // Swapping one ASCII byte for another keeps the text valid UTF-8.
    String::from_utf8(bytes).ok().map(|s| (s, tabs))
}

/// Puts back the tabs [`soften_tabs`] replaced, where a scalar value copied
/// one (inside quotes, a block scalar, a plain scalar in flow context).
fn restore_tabs(node: &mut Node, tabs: &[u32]) {
    match &mut node.kind {
        NodeKind::Null => {}
        NodeKind::Scalar(s) => {
            let mut hits = Vec::new();
            for p in s.pieces.iter().filter(|p| p.copied && p.len > 0) {
                let from = tabs.partition_point(|&t| t < p.source_start);
                for &t in tabs[from..]
                    .iter()
                    .take_while(|&&t| t < p.source_start + p.len)
                {
                    hits.push((p.value_start + (t - p.source_start)) as usize);
                }
            }
            if !hits.is_empty() {
                let mut bytes = std::mem::take(&mut s.value).into_bytes();
                for i in hits {
                    if bytes.get(i) == Some(&b' ') {
                        bytes[i] = b'\t';
                    }
                }
                s.value = String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            }
        }
        NodeKind::Sequence { items, .. } => {
            for item in items {
                restore_tabs(item, tabs);
            }
        }
        NodeKind::Mapping { entries, .. } => {
            for e in entries {
                restore_tabs(&mut e.key, tabs);
                restore_tabs(&mut e.value, tabs);
            }
        }
    }
}
