//! yaml-cpp leniency for flow collections written less indented than
//! saphyr accepts.
//!
//! saphyr requires every line inside a flow collection to be indented more
//! than the enclosing block collection, so it rejects this common Falco
//! style (the official `falco-sandbox_rules.yaml` uses it), which yaml-cpp
//! accepts:
//!
//! ```yaml
//! - list: miner_domains
//!   items: [
//!     "a.example.com",
//!     "b.example.com"
//!   ]
//! ```
//!
//! Inside a flow collection a line break between two tokens is plain
//! whitespace, so when saphyr reports such an indentation error at the
//! first token of a line, we join that line to the previous token's line:
//! the line breaks in between become spaces and the comments in between
//! become blanks. Byte offsets do not move. A join is kept only when the
//! parse then gets further; at most [`MAX_JOINS`] per top-level item.
//!
//! To stay linear, joins are found item by item: the file is cut at lines
//! that start a top-level node (a `- ` entry, a plain key, a document
//! marker or directive) and each item from the failing one on is parsed on
//! its own (it has the same indentation context there); the joins found are
//! then applied to the whole text, which is parsed once more.

use crate::builder::{parse_stream, StreamResult};

/// Most joins tried in one top-level item.
const MAX_JOINS: usize = 64;

/// True for saphyr's indentation errors (which, for the first token of a
/// line, only occur inside flow collections or quoted scalars).
fn is_indent_error(r: &StreamResult) -> bool {
    r.fatal.is_some()
        && r.errors
            .last()
            .is_some_and(|e| e.message.starts_with("invalid indentation"))
}

/// Returns the text with joins applied, when the main parse `first` of
/// `text` stopped at an indentation error and some join helped.
pub(crate) fn relax(text: &str, first: &StreamResult) -> Option<String> {
    if !is_indent_error(first) {
        return None;
    }
    let fatal = first.fatal? as usize;
    let mut bytes = text.as_bytes().to_vec();
    let mut changed = false;
    for (s, e) in items(text) {
        if e <= fatal && e < text.len() {
            continue;
        }
        changed |= fix_region(&mut bytes[s..e]);
    }
    if changed {
        String::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// Byte ranges of the top-level nodes of `text` (see the module docs).
fn items(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < b.len() {
        if matches!(b[i], b'\n' | b'\r') {
            if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            let ls = i + 1;
            let starts_node = match b.get(ls) {
                Some(b'-') => b.get(ls + 1).is_none_or(|c| b" \t\r\n-".contains(c)),
                Some(c) => c.is_ascii_alphanumeric() || b"_.%".contains(c),
                None => false,
            };
            if starts_node {
                starts.push(ls);
            }
        }
        i += 1;
    }
    let mut out: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    out.push((*starts.last().unwrap_or(&0), b.len()));
    out
}

/// Applies the joins that help the parse of `region` (one top-level item,
/// parsed alone). Returns whether anything changed.
fn fix_region(region: &mut [u8]) -> bool {
    let Ok(text) = std::str::from_utf8(region) else {
        return false;
    };
    let mut r = parse_stream(text);
    let mut changed = false;
    for _ in 0..MAX_JOINS {
        if !is_indent_error(&r) {
            break;
        }
        let Some(p) = r.fatal.map(|f| f as usize) else {
            break;
        };
        let Some(edits) = join_edits(region, r.cursor, r.open_flows, p) else {
            break;
        };
        let mut candidate = region.to_vec();
        for i in edits {
            candidate[i] = b' ';
        }
        let Ok(candidate_text) = std::str::from_utf8(&candidate) else {
            break;
        };
        let r2 = parse_stream(candidate_text);
        if r2.fatal.is_some_and(|f| f as usize <= p) {
            break;
        }
        region.copy_from_slice(&candidate);
        changed = true;
        r = r2;
    }
    changed
}

/// The bytes to blank to join the line of `p` to the last token before it:
/// line breaks and comments between them. `from` is a position between
/// tokens before `p` (where the parse had got to), inside `depth` flow
/// collections. `None` when `p` is not the first token of its line, not
/// inside a flow collection, or the text between is not understood.
fn join_edits(b: &[u8], from: usize, mut depth: usize, p: usize) -> Option<Vec<usize>> {
    if p > b.len() || from > p {
        return None;
    }
    let mut line_start = p;
    while line_start > 0 && !matches!(b[line_start - 1], b'\n' | b'\r') {
        line_start -= 1;
    }
    if !b[line_start..p].iter().all(|&c| c == b' ' || c == b'\t') || line_start == 0 {
        return None;
    }
    #[derive(PartialEq)]
    enum In {
        Code,
        Single,
        Double,
    }
    let mut state = In::Code;
    let mut last_content = from;
    // Whether the last token is (or may be) a plain scalar: joining it to a
    // line starting with a plain character could merge the two.
    let mut last_plain = false;
    let mut comments = Vec::new();
    let mut i = from;
    while i < p {
        let c = b[i];
        match state {
            In::Single => {
                if c == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        state = In::Code;
                        last_content = i + 1;
                        last_plain = false;
                    }
                }
            }
            In::Double => {
                if c == b'\\' {
                    i += 1;
                } else if c == b'"' {
                    state = In::Code;
                    last_content = i + 1;
                    last_plain = false;
                }
            }
            In::Code => {
                let token_start = i == from
                    || matches!(
                        b[i - 1],
                        b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':'
                    );
                match c {
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    b'#' if token_start => {
                        let start = i;
                        while i < p && !matches!(b[i], b'\n' | b'\r') {
                            i += 1;
                        }
                        comments.push((start, i));
                        continue;
                    }
                    b'\'' if token_start => state = In::Single,
                    b'"' if token_start => state = In::Double,
                    b'[' | b'{' if token_start || depth > 0 => {
                        depth += 1;
                        last_content = i + 1;
                        last_plain = false;
                    }
                    b']' | b'}' if depth > 0 => {
                        depth -= 1;
                        last_content = i + 1;
                        last_plain = false;
                    }
                    b',' if depth > 0 => {
                        last_content = i + 1;
                        last_plain = false;
                    }
                    _ => {
                        last_content = i + 1;
                        last_plain = true;
                    }
                }
            }
        }
        i += 1;
    }
    if state != In::Code || last_content > line_start || depth == 0 {
        return None;
    }
    if last_plain && !matches!(b.get(p), Some(b']' | b'}' | b',')) {
        return None;
    }
    let mut edits: Vec<usize> = (last_content..line_start)
        .filter(|&i| matches!(b[i], b'\n' | b'\r'))
        .collect();
    if edits.is_empty() {
        return None;
    }
    for (s, e) in comments {
        if e > last_content {
            edits.extend(s.max(last_content)..e);
        }
    }
    Some(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_skip_comments_and_quotes() {
        let text = b"[\"a # b\", 'c' # note\n  # more\n]";
        let p = text.len() - 1;
        assert!(join_edits(text, 1, 0, p).is_none(), "not inside a flow");
        let edits = join_edits(text, 0, 0, p).unwrap();
        let mut out = text.to_vec();
        for i in edits {
            out[i] = b' ';
        }
        let joined = format!(
            "[\"a # b\", 'c'{}]",
            " ".repeat(" # note\n  # more\n".len())
        );
        assert_eq!(std::str::from_utf8(&out).unwrap(), joined);
    }

    #[test]
    fn items_split_at_top_level_nodes() {
        let text = "- a: [\n  b\n]\nkey: 1\n# c\n---\n- x\n";
        let got: Vec<&str> = items(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(got, ["- a: [\n  b\n]\n", "key: 1\n# c\n", "---\n", "- x\n"]);
    }
}
