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
use std::cell::Cell;

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
///
/// The value and pieces are built in scratch buffers kept per thread, then
/// copied to exactly-sized allocations by [`Out::finish`]: two allocations
/// per scalar, none for growing.
struct Out {
    value: String,
    pieces: Vec<Piece>,
}

thread_local! {
    static SCRATCH: Cell<Option<(String, Vec<Piece>)>> = const { Cell::new(None) };
}

impl Out {
    fn new() -> Out {
        let (mut value, mut pieces) = SCRATCH.with(Cell::take).unwrap_or_default();
        value.clear();
        pieces.clear();
        Out { value, pieces }
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

    /// Appends `count` line feeds produced by the construct at `src`.
    fn produce_newlines(&mut self, count: usize, src: usize, src_len: usize) {
        if count == 0 {
            return;
        }
        self.pieces.push(Piece {
            value_start: self.value.len() as u32,
            source_start: src as u32,
            len: count as u32,
            copied: false,
            source_len: src_len as u32,
        });
        self.value.extend(std::iter::repeat_n('\n', count));
    }

    /// Appends the fold of a run of `breaks` line breaks between two
    /// content parts of a flow (plain or quoted) scalar: one break is a
    /// space, `n` breaks are `n - 1` newlines.
    fn produce_fold(&mut self, breaks: usize, src: usize, src_len: usize) {
        if breaks == 1 {
            self.produce(" ", src, src_len);
        } else {
            self.produce_newlines(breaks.saturating_sub(1), src, src_len);
        }
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
            value: self.value.as_str().to_owned(),
            pieces: self.pieces.to_vec(),
            start,
            end,
        }
    }
}

impl Drop for Out {
    /// Gives the scratch buffers back (unless they grew huge).
    fn drop(&mut self) {
        if self.value.capacity() <= 1 << 16 && self.pieces.capacity() <= 1 << 12 {
            let buffers = (
                std::mem::take(&mut self.value),
                std::mem::take(&mut self.pieces),
            );
            SCRATCH.with(|c| c.set(Some(buffers)));
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
        out.produce_fold(breaks, fold_start, q - fold_start);
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
            out.produce_newlines(breaks, ws_start, pos - ws_start);
        } else if leading_blanks {
            out.produce_fold(breaks, ws_start, pos - ws_start);
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
        let newlines = match chomping {
            Chomping::Strip | Chomping::Clip => 0,
            Chomping::Keep if trailing == 0 && advanced && col > 0 => 1,
            Chomping::Keep => trailing,
        };
        out.produce_newlines(newlines, body_start, pos - body_start);
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
        if !literal && leading_break && !leading_blank && !trailing_blank && trailing == 0 {
            out.produce(" ", pending_start, pos - pending_start);
        } else {
            let newlines = if !literal && leading_break && !leading_blank && !trailing_blank {
                trailing
            } else {
                trailing + leading_break as usize
            };
            out.produce_newlines(newlines, pending_start, pos - pending_start);
        }
        leading_break = false;
        trailing = 0;
        leading_blank = trailing_blank;

        // The rest of the line: up to a break, the end, a NUL or a byte
        // order mark.
        let line = pos;
        pos = find_line_end(b, pos);
        let copied = text.get(line..pos)?;
        out.copy(line, copied);
        content_end = pos;
        let bl = break_len(b, pos);
        if bl == 0 {
            // Columns are characters (only needed at the end of input).
            col += copied.chars().count();
            break;
        }
        pending_start = pos;
        pos += bl;
        col = 0;
        leading_break = true;
        skip_indent(&mut pos, &mut col, &mut trailing, indent);
    }

    let mut tail = 0;
    if chomping != Chomping::Strip {
        tail += leading_break as usize;
        if at_z(b, pos) && col >= indent.max(1) {
            tail += 1;
        }
    }
    if chomping == Chomping::Keep {
        tail += trailing;
    }
    out.produce_newlines(tail, pending_start, pos - pending_start);
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

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `pos` (which must be in bounds), little-endian.
#[inline]
fn word_at(b: &[u8], pos: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&b[pos..pos + 8]);
    u64::from_le_bytes(word)
}

/// High bit set in each byte of `w` below `n` (`n` <= 0x80): exact for the
/// lowest such byte.
#[inline]
fn bytes_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * n as u64) & !w & HIGH
}

/// High bit set in each byte of `w` equal to `c`: exact for the lowest one.
#[inline]
fn bytes_equal(w: u64, c: u8) -> u64 {
    bytes_below(w ^ (ONES * c as u64), 1)
}

/// The first position at or after `pos` that may hold one of the bytes
/// `extra` or a byte below 0x0e (line breaks, NUL, tabs...) or 0xef (a
/// byte order mark's first byte), or the end. Reads eight bytes at a time;
/// the caller checks the byte found.
#[inline]
pub(crate) fn find_candidate(b: &[u8], mut pos: usize, extra: &[u8]) -> usize {
    while pos + 8 <= b.len() {
        let w = word_at(b, pos);
        let mut m = bytes_below(w, 0x0e) | bytes_equal(w, 0xef);
        for &c in extra {
            m |= bytes_equal(w, c);
        }
        if m != 0 {
            return pos + (m.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while pos < b.len() {
        let c = b[pos];
        if c < 0x0e || c == 0xef || extra.contains(&c) {
            return pos;
        }
        pos += 1;
    }
    pos
}

/// The first position at or after `pos` holding a line break, a NUL or a
/// byte order mark (or the end): the end of a line's content for saphyr.
pub(crate) fn find_line_end(b: &[u8], mut pos: usize) -> usize {
    loop {
        pos = find_candidate(b, pos, &[]);
        if pos >= b.len() || is_line_end(b, pos) {
            return pos;
        }
        pos += 1;
    }
}

/// A line break, a NUL or a byte order mark at `pos`.
#[inline]
fn is_line_end(b: &[u8], pos: usize) -> bool {
    match b[pos] {
        b'\n' | b'\r' | 0 => true,
        0xef => is_bom(b, pos),
        _ => false,
    }
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
    fn line_ends() {
        let text = "abcdefghijklmnopqrstuvwxyz\t\x01é\u{feff}x\ry\nz\0";
        let b = text.as_bytes();
        let naive = |mut p: usize| {
            while p < b.len() && !is_line_end(b, p) {
                p += 1;
            }
            p
        };
        for p in 0..=b.len() {
            assert_eq!(find_line_end(b, p), naive(p), "{p}");
        }
        let b = "\u{ef}\u{fe00}abcdefgh\u{feff}".as_bytes();
        assert_eq!(find_line_end(b, 0), b.len() - 3);
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
