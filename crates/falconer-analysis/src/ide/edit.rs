//! Text edits of the IDE queries (rename, code actions) and the helpers
//! that keep them exact inside YAML scalars.
//!
//! A change to a condition, an output or a name is computed on the
//! scalar's *decoded* value; writing it back into the file needs the
//! scalar's source form. [`verbatim_span`] finds the file bytes a value
//! range was copied from (refusing ranges written with escapes or folded
//! over lines), [`encode_in_scalar`] writes new text for the inside of a
//! scalar of a given style, [`encode_scalar`] writes a whole scalar, and
//! [`check_scalar_edits`] re-parses the edited file and checks that every
//! edited scalar now decodes to the value intended, so an edit that YAML
//! would read differently is never offered.

use crate::FileId;
use falconer_text::Span;
use falconer_yaml::{Node, NodeKind, Scalar, ScalarStyle, YamlFile};
use std::collections::BTreeMap;

/// Replace the file bytes `span` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

/// Edits to several files: per file, sorted and not overlapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceChange {
    pub files: BTreeMap<FileId, Vec<TextEdit>>,
}

impl SourceChange {
    pub fn is_empty(&self) -> bool {
        self.files.values().all(Vec::is_empty)
    }

    /// Adds an edit (kept sorted; an exact duplicate is dropped).
    pub fn push(&mut self, file: FileId, edit: TextEdit) {
        let v = self.files.entry(file).or_default();
        if !v.contains(&edit) {
            v.push(edit);
            v.sort();
        }
    }

    /// Whether the edits of some file overlap (a bug in the producer; such
    /// a change is never returned).
    pub fn has_overlap(&self) -> bool {
        self.files
            .values()
            .any(|v| v.windows(2).any(|w| w[0].span.end > w[1].span.start))
    }
}

/// `text` with `edits` applied (sorted, not overlapping; spans past the
/// end or off character boundaries are clamped/ignored).
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0usize;
    for e in edits {
        let (s, t) = (e.span.start as usize, e.span.end as usize);
        if s < pos || t > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(t) {
            continue;
        }
        out.push_str(&text[pos..s]);
        out.push_str(&e.new_text);
        pos = t;
    }
    out.push_str(&text[pos..]);
    out
}

/// The file span a value range of `s` was copied from byte for byte, or
/// `None` when some byte of it was produced by an escape, a folded line
/// break or anything else that is not a plain copy.
pub fn verbatim_span(file_text: &str, s: &Scalar, range: Span) -> Option<Span> {
    let value = s.value.get(range.range())?;
    let span = s.source_span(range);
    (file_text.get(span.range()) == Some(value)).then_some(span)
}

/// How `text` is written inside a scalar of `style`, away from its first
/// and last byte (`None` when it cannot be: a line break, or a character
/// a plain scalar would read as syntax).
pub fn encode_in_scalar(style: ScalarStyle, text: &str) -> Option<String> {
    if text.contains(['\n', '\r']) {
        return None;
    }
    match style {
        ScalarStyle::Plain => {
            let bad = text.contains(": ")
                || text.contains(" #")
                || text.ends_with(':')
                || text.contains('\t');
            (!bad).then(|| text.to_string())
        }
        ScalarStyle::SingleQuoted => Some(text.replace('\'', "''")),
        ScalarStyle::DoubleQuoted => Some(double_quoted_body(text)),
        ScalarStyle::Literal | ScalarStyle::Folded => Some(text.to_string()),
    }
}

fn double_quoted_body(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Candidate source forms of a whole scalar holding `value`, the
/// preferred `style` first, double quotes last (which can hold anything
/// on one line). The caller checks which one YAML reads back.
pub fn encode_scalar(style: ScalarStyle, value: &str) -> Vec<String> {
    let mut out = Vec::new();
    match style {
        ScalarStyle::Plain => out.push(value.to_string()),
        ScalarStyle::SingleQuoted if !value.contains(['\n', '\r']) => {
            out.push(format!("'{}'", value.replace('\'', "''")))
        }
        _ => {}
    }
    out.push(format!("\"{}\"", double_quoted_body(value)));
    out
}

/// What an edited scalar must decode to after the edits.
#[derive(Clone, Debug)]
pub struct ScalarCheck {
    /// The scalar node's span before the edits.
    pub node_span: Span,
    pub expected: String,
}

/// Applies `edits` to `text`, parses the result and checks that each
/// scalar of `checks` (found at its moved start) decodes to its expected
/// value, and that the edit adds no YAML error.
pub fn check_scalar_edits(text: &str, edits: &[TextEdit], checks: &[ScalarCheck]) -> bool {
    let new_text = apply_edits(text, edits);
    let before_errors = falconer_yaml::parse(text).errors.len();
    let yaml = falconer_yaml::parse(&new_text);
    if yaml.errors.len() > before_errors {
        return false;
    }
    checks.iter().all(|c| {
        let start = moved(c.node_span.start, edits);
        find_scalar_at(&yaml, start).is_some_and(|s| s.value == c.expected)
    })
}

/// Where `offset` lands after `edits` (edits starting at or after it do
/// not move it).
fn moved(offset: u32, edits: &[TextEdit]) -> u32 {
    let mut delta: i64 = 0;
    for e in edits {
        if e.span.end <= offset && e.span.start < offset {
            delta += e.new_text.len() as i64 - e.span.len() as i64;
        }
    }
    (offset as i64 + delta).max(0) as u32
}

/// The scalar node starting at `start`.
fn find_scalar_at(yaml: &YamlFile, start: u32) -> Option<&Scalar> {
    let mut stack: Vec<&Node> = yaml
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .collect();
    while let Some(n) = stack.pop() {
        if n.span.start > start || n.span.end < start {
            continue;
        }
        match &n.kind {
            NodeKind::Scalar(s) if n.span.start == start => return Some(s),
            NodeKind::Sequence { items, .. } => stack.extend(items),
            NodeKind::Mapping { entries, .. } => {
                for e in entries {
                    stack.push(&e.key);
                    stack.push(&e.value);
                }
            }
            _ => {}
        }
    }
    None
}

/// The value of `s` with the value ranges of `repl` replaced (sorted, not
/// overlapping).
pub fn replaced_value(s: &Scalar, repl: &[(Span, &str)]) -> String {
    let mut out = String::new();
    let mut pos = 0usize;
    for (r, t) in repl {
        let (a, b) = (r.start as usize, r.end as usize);
        if a < pos || b > s.value.len() {
            continue;
        }
        out.push_str(&s.value[pos..a]);
        out.push_str(t);
        pos = b;
    }
    out.push_str(&s.value[pos..]);
    out
}

/// Replaces the value ranges `repl` of scalar `node` with new text: each
/// range must be a verbatim copy in the file, the new text is encoded for
/// the scalar's style, and the result is checked by re-parsing. `None`
/// when any of that fails.
pub fn edit_scalar(file_text: &str, node: &Node, repl: &[(Span, &str)]) -> Option<Vec<TextEdit>> {
    let s = node.as_scalar()?;
    let mut edits = Vec::new();
    for (r, t) in repl {
        let span = verbatim_span(file_text, s, *r)?;
        edits.push(TextEdit {
            span,
            new_text: encode_in_scalar(s.style, t)?,
        });
    }
    edits.sort();
    let check = ScalarCheck {
        node_span: node.span,
        expected: replaced_value(s, repl),
    };
    check_scalar_edits(file_text, &edits, &[check]).then_some(edits)
}

/// Line-end style of a text (for inserted lines).
pub fn line_break(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// Byte offset of the start of the line holding `offset`.
pub fn line_start(text: &str, offset: u32) -> u32 {
    let b = text.as_bytes();
    let mut i = (offset as usize).min(b.len());
    while i > 0 && !matches!(b[i - 1], b'\n' | b'\r') {
        i -= 1;
    }
    i as u32
}

/// Byte offset of the end of the line holding `offset` (before its line
/// break).
pub fn line_end(text: &str, offset: u32) -> u32 {
    let b = text.as_bytes();
    let mut i = (offset as usize).min(b.len());
    while i < b.len() && !matches!(b[i], b'\n' | b'\r') {
        i += 1;
    }
    i as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition_node(yaml: &YamlFile) -> &Node {
        let items = yaml.documents[0]
            .root
            .as_ref()
            .unwrap()
            .as_sequence()
            .unwrap();
        &items[0].get("condition").unwrap().value
    }

    #[test]
    fn edits_inside_each_scalar_style_decode_as_intended() {
        let texts = [
            "- macro: m\n  condition: a and b\n",
            "- macro: m\n  condition: 'a and b'\n",
            "- macro: m\n  condition: \"a and b\"\n",
            "- macro: m\n  condition: >\n    a and\n    b\n",
            "- macro: m\n  condition: |\n    a and\n    b\n",
        ];
        for t in texts {
            let yaml = falconer_yaml::parse(t);
            let node = condition_node(&yaml);
            let s = node.as_scalar().unwrap();
            let b = s.value.rfind('b').unwrap() as u32;
            for new in ["x.y = 'q \"r\"'", "c"] {
                let edits = edit_scalar(t, node, &[(Span::new(b, b + 1), new)])
                    .unwrap_or_else(|| panic!("{t:?} {new:?}"));
                let out = apply_edits(t, &edits);
                let again = falconer_yaml::parse(&out);
                let v = condition_node(&again).as_str().unwrap().to_string();
                assert_eq!(v, s.value.replace('b', new), "{t:?} -> {out:?}");
            }
        }
    }

    #[test]
    fn plain_scalars_refuse_text_yaml_would_read_as_syntax() {
        let t = "- macro: m\n  condition: a and b\n";
        let yaml = falconer_yaml::parse(t);
        let node = condition_node(&yaml);
        assert!(edit_scalar(t, node, &[(Span::new(0, 1), "x: y")]).is_none());
        assert!(edit_scalar(t, node, &[(Span::new(0, 1), "x #y")]).is_none());
    }

    #[test]
    fn escaped_text_is_not_verbatim() {
        let t = "- macro: m\n  condition: \"\\x61 and b\"\n";
        let yaml = falconer_yaml::parse(t);
        let s = condition_node(&yaml).as_scalar().unwrap();
        assert_eq!(&s.value, "a and b");
        assert!(verbatim_span(t, s, Span::new(0, 1)).is_none());
        assert!(verbatim_span(t, s, Span::new(6, 7)).is_some());
    }

    #[test]
    fn whole_scalar_candidates() {
        assert_eq!(
            encode_scalar(ScalarStyle::Plain, "a: b"),
            vec!["a: b".to_string(), "\"a: b\"".to_string()]
        );
        assert_eq!(
            encode_scalar(ScalarStyle::SingleQuoted, "it's"),
            vec!["'it''s'".to_string(), "\"it's\"".to_string()]
        );
    }
}
