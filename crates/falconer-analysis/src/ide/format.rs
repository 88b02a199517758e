//! The rules-file formatter (`falconer fmt`, LSP formatting): lays out
//! the conditions of rules and macros, and nothing else.
//!
//! * **What changes.** Only the blanks of `condition` values of `rule` and
//!   `macro` items (see `format/condition.rs` for the layout): spacing
//!   around operators and keywords, inside parentheses and list literals,
//!   and long conditions broken across lines at `and`/`or` boundaries with
//!   one indentation step per parenthesis level. Keys, their order,
//!   comments, every other value and every byte outside the rewritten
//!   scalars stay as they are.
//! * **Scalar styles.** A block scalar (`>`, `|`, any chomping) keeps its
//!   header (and any comment on it) and indentation; only its content lines
//!   are rewritten. A plain or quoted scalar keeps its style when the
//!   condition stays on one line (a plain scalar only if the result is a
//!   valid plain scalar: no `: `, no ` #`, no leading indicator); when the
//!   condition needs several lines, or a plain scalar cannot hold it, it
//!   becomes a `>-` block scalar indented one step under its key, unless
//!   something follows it on its line (a comment), in which case it is
//!   left as it is. Scalars in flow collections, tagged scalars, block
//!   scalars with an explicit indentation indicator and conditions with
//!   line breaks inside quoted strings are left as they are.
//! * **Meaning.** Falco substitutes list names textually, word by word, so
//!   a gap may only appear or disappear next to a delimiter (`lists.rs`),
//!   and a condition containing the name of a list whose name has a
//!   delimiter in it (a space, a comma...) is left as it is.
//! * **Checked.** Conditions that do not parse are left as they are, and
//!   files with a YAML syntax error are not formatted at all. The result
//!   is re-read: it must be valid YAML with the same tree (same keys,
//!   values and styles) except for the rewritten conditions, each of which
//!   must parse to the same tree with the same words as before. An edit
//!   that fails the check is dropped (and if the remaining ones still fail
//!   together, nothing is changed). Formatting is idempotent.

mod condition;
#[cfg(test)]
mod tests;

pub use condition::equivalent as conditions_equivalent;

use crate::lists::is_delim;
use condition::{Cond, Line};
use falconer_text::Span;
use falconer_yaml::{Node, NodeKind, Scalar, ScalarStyle, YamlFile};

/// How to format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatOptions {
    /// Conditions wider than this (in characters, from column 0) are
    /// broken across lines.
    pub width: usize,
    /// Columns per nesting level inside a block scalar, and between a key
    /// and a new block scalar's content.
    pub indent: usize,
    /// Names of lists defined elsewhere in the workspace (the file's own
    /// lists are always considered); names with a delimiter in them make
    /// conditions that mention them untouchable.
    pub list_names: Vec<String>,
}

/// The default width.
pub const DEFAULT_WIDTH: usize = 100;

impl Default for FormatOptions {
    fn default() -> FormatOptions {
        FormatOptions {
            width: DEFAULT_WIDTH,
            indent: 2,
            list_names: Vec::new(),
        }
    }
}

/// Replace `span` of the original text by `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

/// Why a file was not formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The file has a YAML syntax error (the first one).
    Yaml { span: Span, message: String },
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Yaml { message, .. } => write!(f, "YAML syntax error: {message}"),
        }
    }
}

/// The edits that format `text` (sorted, not overlapping), limited to the
/// conditions that touch `range` when one is given.
pub fn format_edits(
    text: &str,
    range: Option<Span>,
    opts: &FormatOptions,
) -> Result<Vec<TextEdit>, FormatError> {
    let yaml = falconer_yaml::parse(text);
    if let Some(e) = yaml.errors.first() {
        return Err(FormatError::Yaml {
            span: e.span,
            message: e.message.clone(),
        });
    }
    let mut odd: Vec<String> = opts
        .list_names
        .iter()
        .filter(|n| n.bytes().any(is_delim))
        .cloned()
        .collect();
    let conds = conditions(&yaml, &mut odd);
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut edits = Vec::new();
    for (key, value) in conds {
        if let Some(r) = range {
            let s = value.span;
            if s.end < r.start || s.start > r.end {
                continue;
            }
        }
        if let Some(e) = condition_edit(text, key, value, opts, &odd, eol) {
            edits.push(e);
        }
    }
    edits.sort_by_key(|e| e.span.start);
    if edits.is_empty() || verify(&yaml, &apply_edits(text, &edits), &odd) {
        return Ok(edits);
    }
    // Keep the edits that pass alone, if they pass together.
    let good: Vec<TextEdit> = edits
        .into_iter()
        .filter(|e| verify(&yaml, &apply_edits(text, std::slice::from_ref(e)), &odd))
        .collect();
    if good.is_empty() || verify(&yaml, &apply_edits(text, &good), &odd) {
        Ok(good)
    } else {
        Ok(Vec::new())
    }
}

/// `text` formatted (unchanged when it cannot be formatted).
pub fn format_text(text: &str, opts: &FormatOptions) -> Result<String, FormatError> {
    format_edits(text, None, opts).map(|e| apply_edits(text, &e))
}

/// The names of the lists a rules file defines (to pass to the other
/// files' [`FormatOptions::list_names`]).
pub fn defined_list_names(text: &str) -> Vec<String> {
    let yaml = falconer_yaml::parse(text);
    items(&yaml)
        .filter_map(|i| i.get("list").and_then(|e| e.value.as_str()))
        .map(str::to_string)
        .collect()
}

/// Applies sorted, non-overlapping edits.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut pos = 0;
    for e in edits {
        let (s, t) = (e.span.start as usize, e.span.end as usize);
        if s < pos || t > text.len() {
            continue;
        }
        out.push_str(&text[pos..s]);
        out.push_str(&e.new_text);
        pos = t;
    }
    out.push_str(&text[pos..]);
    out
}

/// The item mappings of the documents Falco reads (block sequences of
/// block mappings).
fn items(yaml: &YamlFile) -> impl Iterator<Item = &Node> {
    yaml.documents
        .iter()
        .filter(|d| !d.recovered)
        .filter_map(|d| d.root.as_ref())
        .filter_map(|r| match &r.kind {
            NodeKind::Sequence { items, flow: false } => Some(items.iter()),
            _ => None,
        })
        .flatten()
        .filter(|i| matches!(i.kind, NodeKind::Mapping { flow: false, .. }))
}

fn is_condition_item(item: &Node) -> bool {
    item.get("rule").is_some() || item.get("macro").is_some()
}

/// The (key, value) of every condition to format; adds the names of the
/// file's lists that have a delimiter in them to `odd`.
fn conditions<'y>(yaml: &'y YamlFile, odd: &mut Vec<String>) -> Vec<(&'y Node, &'y Node)> {
    let mut out = Vec::new();
    for item in items(yaml) {
        if let Some(name) = item.get("list").and_then(|e| e.value.as_str()) {
            if name.bytes().any(is_delim) {
                odd.push(name.to_string());
            }
        }
        if !is_condition_item(item) {
            continue;
        }
        for e in item.as_mapping().unwrap_or_default() {
            if e.key.as_str() == Some("condition")
                && e.key.tag.is_none()
                && e.value.tag.is_none()
                && e.value.as_scalar().is_some()
            {
                out.push((&e.key, &e.value));
            }
        }
    }
    out
}

/// Column (in characters) of byte `at`.
fn column(text: &str, at: usize) -> usize {
    let start = text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    text[start..at].chars().count()
}

/// Characters YAML needs escaped (or forbids) in a scalar's text.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// Whether `s` can be written as a one-line plain scalar value in block
/// context, read back as exactly `s`.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !s.starts_with([' ', '\t'])
        && !s.ends_with([' ', '\t', ':'])
        && !s.contains(": ")
        && !s.contains(":\t")
        && !s.contains(" #")
        && !s.contains("\t#")
        && !s.chars().any(|c| c == '\n' || c == '\r' || needs_escape(c))
}

/// Whether the lines can be the content lines of a block scalar.
fn block_ok(lines: &[Line]) -> bool {
    lines.iter().all(|l| {
        !l.text.is_empty()
            && !l.text.starts_with([' ', '\t'])
            && !l.text.ends_with([' ', '\t'])
            && !l
                .text
                .chars()
                .any(|c| c == '\n' || c == '\r' || needs_escape(c))
    })
}

fn single_quoted(s: &str) -> Option<String> {
    if s.chars().any(|c| c == '\n' || c == '\r' || needs_escape(c)) {
        return None;
    }
    Some(format!("'{}'", s.replace('\'', "''")))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let n = c as u32;
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02X}"));
                } else {
                    out.push_str(&format!("\\u{n:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn block_lines(lines: &[Line], base: usize, eol: &str) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str(eol);
        }
        out.extend(std::iter::repeat_n(' ', base + l.indent));
        out.push_str(&l.text);
    }
    out
}

/// The end of the line holding `at` (before its line break).
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i)
}

/// The edit of one condition scalar, if it changes.
fn condition_edit(
    text: &str,
    key: &Node,
    value: &Node,
    opts: &FormatOptions,
    odd: &[String],
    eol: &str,
) -> Option<TextEdit> {
    let scalar: &Scalar = value.as_scalar()?;
    let v = scalar.value.as_str();
    if odd.iter().any(|n| v.contains(n.as_str())) {
        return None;
    }
    let cond = Cond::new(v)?;
    let span = value.span;
    match scalar.style {
        ScalarStyle::Literal | ScalarStyle::Folded => {
            let (region, base) = block_region(text, span)?;
            let lines = cond.layout(opts.width.saturating_sub(base), opts.indent);
            if !block_ok(&lines) {
                return None;
            }
            let new_text = block_lines(&lines, base, eol);
            (new_text != text[region.range()]).then_some(TextEdit {
                span: region,
                new_text,
            })
        }
        style => {
            // One line in the same style when it fits on the key's line.
            let flat = cond.flat();
            let encoded = match style {
                ScalarStyle::Plain => plain_ok(&flat).then(|| flat.clone()),
                ScalarStyle::SingleQuoted => single_quoted(&flat),
                _ => Some(double_quoted(&flat)),
            };
            let col = column(text, span.start as usize);
            let one_line = |enc: String| {
                (flat != v).then_some(TextEdit {
                    span,
                    new_text: enc,
                })
            };
            if let Some(enc) = &encoded {
                if col + enc.chars().count() <= opts.width {
                    return one_line(enc.clone());
                }
            }
            // Otherwise a `>-` block scalar one step under the key, when
            // it helps and nothing follows the scalar on its line.
            let base = column(text, key.span.start as usize) + opts.indent;
            let lines = cond.layout(opts.width.saturating_sub(base), opts.indent);
            let helps = lines.len() > 1
                || base + lines[0].text.chars().count() <= opts.width
                || encoded.is_none();
            let (end, eol_at) = (span.end as usize, line_end(text, span.end as usize));
            let alone = text[end..eol_at].trim().is_empty();
            if helps && alone && block_ok(&lines) {
                // Blanks after the scalar would end its last content line.
                return Some(TextEdit {
                    span: Span::new(span.start, eol_at as u32),
                    new_text: format!(">-{eol}{}", block_lines(&lines, base, eol)),
                });
            }
            encoded.and_then(one_line)
        }
    }
}

/// The content lines of a block scalar (from the line after its header to
/// the end of its last content line) and their indentation. `None` for an
/// explicit indentation indicator or anything unexpected.
fn block_region(text: &str, span: Span) -> Option<(Span, usize)> {
    let b = text.as_bytes();
    let start = span.start as usize;
    if !matches!(b.get(start), Some(b'|' | b'>')) {
        return None;
    }
    let header_end = line_end(text, start);
    let header = &text[start + 1..header_end];
    let indicators: String = header
        .chars()
        .take_while(|c| !matches!(c, ' ' | '\t'))
        .collect();
    if !matches!(indicators.as_str(), "" | "+" | "-") {
        return None;
    }
    let rest = header[indicators.len()..].trim_start_matches([' ', '\t']);
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    let mut pos = header_end;
    if b.get(pos) == Some(&b'\r') {
        pos += 1;
    }
    if b.get(pos) == Some(&b'\n') {
        pos += 1;
    }
    if pos == header_end {
        return None;
    }
    let region_start = pos;
    let mut base: Option<usize> = None;
    let mut last_end = None;
    while pos < text.len() {
        let le = line_end(text, pos);
        let line = &b[pos..le];
        let indent = line.iter().take_while(|&&c| c == b' ').count();
        let blank = indent == line.len();
        if !blank {
            let base = *base.get_or_insert(indent);
            if indent < base {
                break;
            }
            last_end = Some(le);
        }
        pos = le;
        if b.get(pos) == Some(&b'\r') {
            pos += 1;
        }
        if b.get(pos) == Some(&b'\n') {
            pos += 1;
        }
    }
    let end = last_end?;
    let base = base?;
    if end != span.end as usize || base == 0 {
        return None;
    }
    Some((Span::new(region_start as u32, end as u32), base))
}

/// Whether `new_text` reads as the same file as `old` (see the module
/// documentation).
fn verify(old: &YamlFile, new_text: &str, odd: &[String]) -> bool {
    let new = falconer_yaml::parse(new_text);
    if !new.errors.is_empty() || new.documents.len() != old.documents.len() {
        return false;
    }
    // (old node, new node, whether it is a condition value)
    let mut stack: Vec<(&Node, &Node, bool)> = Vec::new();
    for (a, b) in old.documents.iter().zip(&new.documents) {
        if a.recovered != b.recovered {
            return false;
        }
        match (&a.root, &b.root) {
            (None, None) => {}
            (Some(x), Some(y)) => stack.push((x, y, false)),
            _ => return false,
        }
    }
    // Item mappings whose `condition` may differ.
    let cond_items: std::collections::HashSet<*const Node> = items(old)
        .filter(|i| is_condition_item(i))
        .map(|i| i as *const Node)
        .collect();
    while let Some((a, b, is_cond)) = stack.pop() {
        if a.tag != b.tag {
            return false;
        }
        match (&a.kind, &b.kind) {
            (NodeKind::Null, NodeKind::Null) => {}
            (NodeKind::Scalar(x), NodeKind::Scalar(y)) => {
                let mentions_odd = |s: &str| odd.iter().any(|n| s.contains(n.as_str()));
                let same = if is_cond {
                    x.value == y.value
                        || (condition::equivalent(&x.value, &y.value)
                            && !mentions_odd(&x.value)
                            && !mentions_odd(&y.value))
                } else {
                    x.value == y.value && x.style == y.style
                };
                if !same {
                    return false;
                }
            }
            (
                NodeKind::Sequence { items: x, flow: f },
                NodeKind::Sequence { items: y, flow: g },
            ) => {
                if f != g || x.len() != y.len() {
                    return false;
                }
                stack.extend(x.iter().zip(y).map(|(p, q)| (p, q, false)));
            }
            (
                NodeKind::Mapping {
                    entries: x,
                    flow: f,
                },
                NodeKind::Mapping {
                    entries: y,
                    flow: g,
                },
            ) => {
                if f != g || x.len() != y.len() {
                    return false;
                }
                let conds = cond_items.contains(&(a as *const Node));
                for (p, q) in x.iter().zip(y) {
                    let c = conds && p.key.as_str() == Some("condition");
                    stack.push((&p.key, &q.key, false));
                    stack.push((&p.value, &q.value, c));
                }
            }
            _ => return false,
        }
    }
    true
}
