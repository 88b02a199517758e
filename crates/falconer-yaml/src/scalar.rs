//! Style-aware decoding of scalar source text, recording where every byte of
//! the value comes from.
//!
//! saphyr-parser gives a scalar's decoded value and rough start/end markers,
//! but no map from value offsets to the source. We re-scan the scalar's
//! source text here, following the same algorithm as saphyr's scanner (YAML
//! 1.2 folding, escapes and chomping, with `\r\n`, `\r` and `\n` all read as
//! one line break), and build the value together with its [`Piece`]s:
//!
//! * runs of source text copied verbatim become *copied* pieces (adjacent
//!   runs are merged);
//! * text produced by a construct (an escape like `\n` or `\u00e9`, a `''`
//!   in single quotes, a folded or kept line break, a chomped final break)
//!   becomes a *produced* piece whose source is the whole construct: for a
//!   line fold, from the first dropped character (trailing blanks or the
//!   break) to the first character of the next content;
//! * a final zero-length piece marks where the content ends in the source.
//!
//! The caller compares our value with saphyr's; if they differ (which would
//! be a bug here, or a saphyr quirk we do not reproduce), it keeps saphyr's
//! value and a coarse mapping instead, so the value is always saphyr's.

use crate::tree::Piece;

/// A decoded scalar: its value, pieces and source extent.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub value: String,
    pub pieces: Vec<Piece>,
    /// Byte offset where the scalar's text starts (quote, `|`/`>` header or
    /// first plain character).
    pub start: usize,
    /// Byte offset just after the scalar's text (closing quote included; for
    /// block scalars the end of the last content line).
    pub end: usize,
}

/// Builds a value and its pieces.
struct Out {
    value: String,
    pieces: Vec<Piece>,
}

impl Out {
    fn new() -> Out {
        Out {
            value: String::new(),
            pieces: Vec::new(),
        }
    }

    /// Appends `s`, copied from the source at `src`.
    fn copy(&mut self, src: usize, s: &str) {
        if s.is_empty() {
            return;
        }
        let vs = self.value.len() as u32;
        let len = s.len() as u32;
        let src = src as u32;
        if let Some(last) = self.pieces.last_mut() {
            if last.copied
                && last.value_start + last.len == vs
                && last.source_start + last.len == src
            {
                last.len += len;
                last.source_len += len;
                self.value.push_str(s);
                return;
            }
        }
        self.pieces.push(Piece {
            value_start: vs,
            source_start: src,
            len,
            copied: true,
            source_len: len,
        });
        self.value.push_str(s);
    }

    /// Appends `s`, produced by the construct at `src..src + src_len`.
    fn produce(&mut self, s: &str, src: usize, src_len: usize) {
        if s.is_empty() {
            return;
        }
        self.pieces.push(Piece {
            value_start: self.value.len() as u32,
            source_start: src as u32,
            len: s.len() as u32,
            copied: false,
            source_len: src_len as u32,
        });
        self.value.push_str(s);
    }

    /// Adds the end marker and returns the decoded scalar.
    fn finish(mut self, start: usize, content_end: usize, end: usize) -> Decoded {
        self.pieces.push(Piece {
            value_start: self.value.len() as u32,
            source_start: content_end as u32,
            len: 0,
            copied: true,
            source_len: 0,
        });
        Decoded {
            value: self.value,
            pieces: self.pieces,
            start,
            end,
        }
    }
}

/// The pieces for a value we could not align: the whole value is produced
/// by the source range `start..end`.
pub(crate) fn coarse(value: String, start: usize, end: usize) -> Decoded {
    let mut out = Out::new();
    out.produce(&value, start, end.saturating_sub(start));
    out.finish(start, end, end)
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Length of the line break at `pos` (0 when there is none).
fn break_len(bytes: &[u8], pos: usize) -> usize {
    match bytes.get(pos) {
        Some(b'\r') if bytes.get(pos + 1) == Some(&b'\n') => 2,
        Some(b'\r') | Some(b'\n') => 1,
        _ => 0,
    }
}

/// End of input as saphyr sees it: the real end, or a NUL character.
fn at_z(bytes: &[u8], pos: usize) -> bool {
    pos >= bytes.len() || bytes[pos] == 0
}

/// Length in bytes of the UTF-8 character starting with byte `b`.
fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The fold of a run of `breaks` line breaks between two content parts of
/// a flow (plain or quoted) scalar: one break is a space, `n` breaks are
/// `n - 1` newlines.
fn fold(breaks: usize) -> String {
    if breaks == 1 {
        " ".to_string()
    } else {
        "\n".repeat(breaks.saturating_sub(1))
    }
}

/// A plain scalar whose text (first to last content character) is
/// `text[start..end]`. Comments cannot occur inside that range.
pub(crate) fn decode_plain(text: &str, start: usize, end: usize) -> Decoded {
    let b = text.as_bytes();
    let end = end.min(b.len()).max(start);
    let mut out = Out::new();
    let mut pos = start;
    loop {
        let mut line_end = pos;
        while line_end < end && !is_break(b[line_end]) {
            line_end += 1;
        }
        let mut content_end = line_end;
        if line_end < end {
            while content_end > pos && is_blank(b[content_end - 1]) {
                content_end -= 1;
            }
        }
        out.copy(pos, &text[pos..content_end]);
        if line_end >= end {
            break;
        }
        // Fold: trailing blanks, breaks, blank lines and indentation.
        let fold_start = content_end;
        let mut q = line_end;
        let mut breaks = 0;
        while q < end {
            let bl = break_len(b, q);
            if bl > 0 {
                breaks += 1;
                q += bl;
            } else if is_blank(b[q]) {
                q += 1;
            } else if b[q] == b'#' {
                // saphyr skips a comment after a tab in the indentation of
                // a continuation line (and reads the line as empty); any
                // other comment would have ended the scalar.
                while q < end && !is_break(b[q]) {
                    q += 1;
                }
            } else {
                break;
            }
        }
        out.produce(&fold(breaks), fold_start, q - fold_start);
        pos = q;
    }
    out.finish(start, end, end)
}

/// A single- (`double == false`) or double-quoted scalar whose opening quote
/// is at `start`. `None` when the text is not a well-formed quoted scalar.
pub(crate) fn decode_quoted(text: &str, start: usize, double: bool) -> Option<Decoded> {
    let b = text.as_bytes();
    let quote = if double { b'"' } else { b'\'' };
    if b.get(start) != Some(&quote) {
        return None;
    }
    let mut out = Out::new();
    let mut pos = start + 1;
    loop {
        // Non-blank characters, escapes and the closing quote.
        let mut escaped_break = None;
        loop {
            if at_z(b, pos) {
                return None;
            }
            let c = b[pos];
            if is_blank(c) || is_break(c) {
                break;
            }
            if c == quote {
                if !double && b.get(pos + 1) == Some(&b'\'') {
                    out.produce("'", pos, 2);
                    pos += 2;
                    continue;
                }
                return Some(out.finish(start, pos, pos + 1));
            }
            if double && c == b'\\' {
                let bl = break_len(b, pos + 1);
                if bl > 0 {
                    escaped_break = Some(pos);
                    pos += 1 + bl;
                    break;
                }
                let (ch, len) = escape(b, pos)?;
                let mut buf = [0u8; 4];
                out.produce(ch.encode_utf8(&mut buf), pos, len);
                pos += len;
                continue;
            }
            // A run of ordinary characters.
            let run = pos;
            while pos < b.len() {
                let c = b[pos];
                if is_blank(c) || is_break(c) || c == quote || c == 0 || (double && c == b'\\') {
                    break;
                }
                pos += utf8_len(c);
            }
            let pos_c = pos.min(b.len());
            pos = pos_c;
            out.copy(run, text.get(run..pos)?);
        }
        // Blanks and line breaks.
        let ws_start = escaped_break.unwrap_or(pos);
        let mut leading_blanks = escaped_break.is_some();
        let mut breaks = 0;
        while pos < b.len() {
            let bl = break_len(b, pos);
            if bl > 0 {
                leading_blanks = true;
                breaks += 1;
                pos += bl;
            } else if is_blank(b[pos]) {
                pos += 1;
            } else {
                break;
            }
        }
        if escaped_break.is_some() {
            // The escaped break itself is dropped; each further break is a
            // newline.
            out.produce(&"\n".repeat(breaks), ws_start, pos - ws_start);
        } else if leading_blanks {
            out.produce(&fold(breaks), ws_start, pos - ws_start);
        } else {
            out.copy(ws_start, &text[ws_start..pos]);
        }
    }
}

/// The escape sequence starting with the `\` at `pos`: its character and
/// source length.
fn escape(b: &[u8], pos: usize) -> Option<(char, usize)> {
    let c = *b.get(pos + 1)?;
    let simple = match c {
        b'0' => Some('\0'),
        b'a' => Some('\x07'),
        b'b' => Some('\x08'),
        b't' | b'\t' => Some('\t'),
        b'n' => Some('\n'),
        b'v' => Some('\x0b'),
        b'f' => Some('\x0c'),
        b'r' => Some('\r'),
        b'e' => Some('\x1b'),
        b' ' => Some(' '),
        b'"' => Some('"'),
        b'/' => Some('/'),
        b'\\' => Some('\\'),
        b'N' => Some('\u{85}'),
        b'_' => Some('\u{a0}'),
        b'L' => Some('\u{2028}'),
        b'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(ch) = simple {
        return Some((ch, 2));
    }
    let digits = match c {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
        _ => return None,
    };
    let hex = b.get(pos + 2..pos + 2 + digits)?;
    let mut value = 0u32;
    for &h in hex {
        value = (value << 4) | (h as char).to_digit(16)?;
    }
    Some((char::from_u32(value)?, 2 + digits))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomping {
    Strip,
    Clip,
    Keep,
}

/// A literal (`|`) or folded (`>`) block scalar whose header indicator is at
/// `header`. `parent_indent` is the indentation of the enclosing block
/// collection (-1 at the top level). `None` when the text is not a
/// well-formed block scalar.
pub(crate) fn decode_block(
    text: &str,
    header: usize,
    parent_indent: isize,
    literal: bool,
) -> Option<Decoded> {
    let b = text.as_bytes();
    let n = b.len();
    let indicator = if literal { b'|' } else { b'>' };
    if b.get(header) != Some(&indicator) {
        return None;
    }
    let mut pos = header + 1;
    let mut chomping = Chomping::Clip;
    let mut increment = 0usize;
    let chomp_of = |c: u8| {
        if c == b'+' {
            Chomping::Keep
        } else {
            Chomping::Strip
        }
    };
    match b.get(pos) {
        Some(&c @ (b'+' | b'-')) => {
            chomping = chomp_of(c);
            pos += 1;
            if let Some(&d @ b'0'..=b'9') = b.get(pos) {
                if d == b'0' {
                    return None;
                }
                increment = (d - b'0') as usize;
                pos += 1;
            }
        }
        Some(&d @ b'0'..=b'9') => {
            if d == b'0' {
                return None;
            }
            increment = (d - b'0') as usize;
            pos += 1;
            if let Some(&c @ (b'+' | b'-')) = b.get(pos) {
                chomping = chomp_of(c);
                pos += 1;
            }
        }
        _ => {}
    }
    let header_end = pos;
    // Blanks and a comment up to the end of the header line.
    let mut had_blank = false;
    while pos < n && is_blank(b[pos]) {
        pos += 1;
        had_blank = true;
    }
    if pos < n && b[pos] == b'#' {
        if !had_blank {
            return None;
        }
        while pos < n && !is_break(b[pos]) && b[pos] != 0 {
            pos += 1;
        }
    }
    if !at_z(b, pos) && !is_break(b[pos]) {
        return None;
    }
    let mut advanced = false;
    let bl = break_len(b, pos);
    if bl > 0 {
        pos += bl;
        advanced = true;
    }
    if pos < n && b[pos] == b'\t' {
        return None;
    }
    let body_start = pos;
    // Column of `pos` (only spaces are skipped at line starts, so columns
    // are byte counts there).
    let mut col = if advanced {
        0
    } else {
        text[line_start(b, pos)..pos]
            .trim_start_matches('\u{feff}')
            .chars()
            .count()
    };
    let mut trailing = 0usize;

    let skip_indent = |pos: &mut usize, col: &mut usize, trailing: &mut usize, indent: usize| loop {
        while *col < indent && *pos < n && b[*pos] == b' ' {
            *pos += 1;
            *col += 1;
        }
        let bl = break_len(b, *pos);
        if bl > 0 {
            *pos += bl;
            *col = 0;
            *trailing += 1;
        } else {
            break;
        }
    };

    let mut indent = 0usize;
    if increment > 0 {
        indent = if parent_indent >= 0 {
            parent_indent as usize + increment
        } else {
            increment
        };
    }
    if indent == 0 {
        let mut max_indent = 0;
        loop {
            while pos < n && b[pos] == b' ' {
                pos += 1;
                col += 1;
            }
            max_indent = max_indent.max(col);
            let bl = break_len(b, pos);
            if bl > 0 {
                pos += bl;
                col = 0;
                trailing += 1;
            } else {
                break;
            }
        }
        indent = max_indent.max((parent_indent + 1).max(0) as usize);
        if parent_indent > 0 {
            indent = indent.max(1);
        }
    } else {
        skip_indent(&mut pos, &mut col, &mut trailing, indent);
    }
    advanced |= trailing > 0;

    let mut out = Out::new();
    if at_z(b, pos) {
        let s = match chomping {
            Chomping::Strip | Chomping::Clip => String::new(),
            Chomping::Keep if trailing == 0 && advanced && col > 0 => "\n".to_string(),
            Chomping::Keep => "\n".repeat(trailing),
        };
        out.produce(&s, body_start, pos - body_start);
        return Some(out.finish(header, header_end, header_end));
    }
    if col < indent && col as isize > parent_indent {
        return None;
    }

    let mut pending_start = body_start;
    let mut leading_break = false;
    let mut leading_blank = false;
    let mut content_end = header_end;
    while col == indent && !at_z(b, pos) && !is_break(b[pos]) && !is_bom(b, pos) {
        if indent == 0 && is_document_indicator(b, pos) {
            break;
        }
        let trailing_blank = is_blank(b[pos]);
        let s = if !literal && leading_break && !leading_blank && !trailing_blank {
            if trailing == 0 {
                " ".to_string()
            } else {
                "\n".repeat(trailing)
            }
        } else {
            "\n".repeat(trailing + leading_break as usize)
        };
        out.produce(&s, pending_start, pos - pending_start);
        leading_break = false;
        trailing = 0;
        leading_blank = trailing_blank;

        let line = pos;
        while !at_z(b, pos) && !is_break(b[pos]) && !is_bom(b, pos) {
            pos += utf8_len(b[pos]);
            col += 1;
        }
        pos = pos.min(n);
        out.copy(line, text.get(line..pos)?);
        content_end = pos;
        let bl = break_len(b, pos);
        if bl == 0 {
            break;
        }
        pending_start = pos;
        pos += bl;
        col = 0;
        leading_break = true;
        skip_indent(&mut pos, &mut col, &mut trailing, indent);
    }

    let mut tail = String::new();
    if chomping != Chomping::Strip {
        if leading_break {
            tail.push('\n');
        }
        if at_z(b, pos) && col >= indent.max(1) {
            tail.push('\n');
        }
    }
    if chomping == Chomping::Keep {
        tail.push_str(&"\n".repeat(trailing));
    }
    out.produce(&tail, pending_start, pos - pending_start);
    Some(out.finish(header, content_end, content_end))
}

/// Start of the line containing `pos`.
fn line_start(b: &[u8], pos: usize) -> usize {
    let mut i = pos.min(b.len());
    while i > 0 && !is_break(b[i - 1]) {
        i -= 1;
    }
    i
}

/// A byte order mark (U+FEFF) at `pos`.
fn is_bom(b: &[u8], pos: usize) -> bool {
    b.get(pos..pos + 3) == Some(&[0xef, 0xbb, 0xbf])
}

/// `---` or `...` followed by a blank, a break or the end.
fn is_document_indicator(b: &[u8], pos: usize) -> bool {
    let Some(three) = b.get(pos..pos + 3) else {
        return false;
    };
    (three == b"---" || three == b"...")
        && b.get(pos + 3)
            .is_none_or(|&c| is_blank(c) || is_break(c) || c == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_copied(text: &str, d: &Decoded) {
        for p in &d.pieces {
            if p.copied {
                let v = &d.value[p.value_start as usize..(p.value_start + p.len) as usize];
                let s = &text[p.source_start as usize..(p.source_start + p.len) as usize];
                assert_eq!(v, s);
            }
        }
    }

    #[test]
    fn plain_folds() {
        let text = "a b  \n   c\n\n  d";
        let d = decode_plain(text, 0, text.len());
        assert_eq!(d.value, "a b c\nd");
        check_copied(text, &d);
    }

    #[test]
    fn single_quoted() {
        let text = "'it''s \r\n  here'";
        let d = decode_quoted(text, 0, false).unwrap();
        assert_eq!(d.value, "it's here");
        assert_eq!(d.end, text.len());
        check_copied(text, &d);
    }

    #[test]
    fn double_quoted_escapes() {
        let text = r#""a\tb\x41\u00e9 \
   c\"" tail"#;
        let d = decode_quoted(text, 0, true).unwrap();
        assert_eq!(d.value, "a\tbAé c\"");
        assert_eq!(&text[d.end - 1..d.end], "\"");
        check_copied(text, &d);
    }

    #[test]
    fn block_literal_and_folded() {
        let text = "|\n  a\n   b\n\n  c\n";
        let d = decode_block(text, 0, -1, true).unwrap();
        assert_eq!(d.value, "a\n b\n\nc\n");
        let text = ">-\n  a\n  b\n\n  c\n\n";
        let d = decode_block(text, 0, -1, false).unwrap();
        assert_eq!(d.value, "a b\nc");
        assert_eq!(&text[..d.end], ">-\n  a\n  b\n\n  c");
        let text = "|+2\n    a\n\n";
        let d = decode_block(text, 0, 0, true).unwrap();
        assert_eq!(d.value, "  a\n\n");
    }
}
