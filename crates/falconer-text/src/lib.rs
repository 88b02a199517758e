//! Text positions shared by every layer of falconer.
//!
//! A [`Span`] is a half-open byte range `start..end` into one text (a rules
//! file, or a condition string). A [`LineIndex`] converts byte offsets into
//! line/column pairs counted in bytes, characters (Unicode scalar values) or
//! UTF-16 code units, which is what terminals, JSON output and LSP clients
//! need respectively. This crate has no dependencies and knows nothing of
//! YAML, conditions, salsa or LSP.

use std::fmt;

/// A half-open byte range `start..end`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }
    /// A zero-width span at `at`.
    pub const fn empty(at: u32) -> Span {
        Span { start: at, end: at }
    }
    pub fn from_range(r: std::ops::Range<usize>) -> Span {
        Span::new(r.start as u32, r.end as u32)
    }
    pub const fn len(self) -> u32 {
        self.end - self.start
    }
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    pub const fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset < self.end
    }
    /// True when `offset` is inside the span or right at its end
    /// (what an editor cursor touching a token means).
    pub const fn touches(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
    /// Moves the span by `delta` bytes.
    pub const fn shift(self, delta: u32) -> Span {
        Span::new(self.start + delta, self.end + delta)
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(r: std::ops::Range<usize>) -> Span {
        Span::from_range(r)
    }
}

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Bytes of UTF-8 (LSP `utf-8`, Falco's own parser positions).
    Utf8,
    /// UTF-16 code units (LSP default).
    Utf16,
    /// Unicode scalar values (what humans and our JSON output count).
    Chars,
}

/// A 0-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Maps byte offsets of one text to lines and columns and back.
///
/// Lines end after `\n`; a `\r\n` pair ends one line; a lone `\r` also ends
/// a line (as YAML says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset of the start of each line.
    starts: Vec<u32>,
    len: u32,
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
        starts.push(0);
        starts.extend(line_breaks(bytes));
        LineIndex {
            starts,
            len: bytes.len() as u32,
            ascii: text.is_ascii(),
        }
    }

    /// The index of `new`, given this index of `old`: line starts before
    /// the first changed byte are kept, those after the last changed byte
    /// are moved, and only the changed lines are scanned (an edit costs a
    /// comparison of the texts and a copy of the starts, not a scan).
    pub fn edited(&self, old: &str, new: &str) -> LineIndex {
        let (o, n) = (old.as_bytes(), new.as_bytes());
        if self.len as usize != o.len() {
            return LineIndex::new(new);
        }
        let (prefix, suffix) = common_affixes(o, n);
        let (old_end, new_end) = (o.len() - suffix, n.len() - suffix);
        // A line start at `x` depends on the bytes at `x - 1` and `x` only
        // (`\r` ends a line unless `\n` follows), so starts below `prefix`
        // and above `end + 1` are as they were.
        let kept = self
            .starts
            .partition_point(|&s| (s as usize) < prefix.max(1));
        let moved = self
            .starts
            .partition_point(|&s| (s as usize) <= old_end + 1);
        let lo = prefix.saturating_sub(1);
        let hi = (new_end + 2).min(n.len());
        let mut starts = Vec::with_capacity(kept + (self.starts.len() - moved) + 8);
        starts.extend_from_slice(&self.starts[..kept]);
        starts.extend(
            line_breaks(&n[lo..hi])
                .map(|s| s + lo as u32)
                .filter(|&s| s as usize >= prefix.max(1) && s as usize <= new_end + 1),
        );
        let delta = n.len() as i64 - o.len() as i64;
        starts.extend(
            self.starts[moved..]
                .iter()
                .map(|&s| (s as i64 + delta) as u32),
        );
        let ascii = if self.ascii {
            n[prefix..new_end].is_ascii()
        } else {
            new.is_ascii()
        };
        LineIndex {
            starts,
            len: n.len() as u32,
            ascii,
        }
    }

    /// [`LineIndex::offset`] without an index: scans `text` up to the
    /// line once (for a single position, where building the whole index
    /// would cost more than the scan).
    pub fn offset_of(text: &str, lc: LineCol, enc: Encoding) -> u32 {
        let bytes = text.as_bytes();
        let start = match lc.line {
            0 => 0,
            n => match line_breaks(bytes).nth(n as usize - 1) {
                Some(s) => s as usize,
                None => return bytes.len() as u32,
            },
        };
        let end = memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        column_offset(text, start, end, lc.col, enc)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 0-based `line` starts (clamped to the text).
    pub fn line_start(&self, line: u32) -> u32 {
        self.starts.get(line as usize).copied().unwrap_or(self.len)
    }

    /// Line (0-based) containing `offset`.
    pub fn line_of(&self, offset: u32) -> u32 {
        let offset = offset.min(self.len);
        (self.starts.partition_point(|&s| s <= offset) - 1) as u32
    }

    /// 0-based line and column of `offset`, columns counted in `enc`.
    /// An offset inside a multi-byte character counts as its start.
    pub fn line_col(&self, text: &str, offset: u32, enc: Encoding) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(self.len) as usize) as u32;
        let line = self.line_of(offset);
        let start = self.starts[line as usize];
        let col = if self.ascii || enc == Encoding::Utf8 {
            offset - start
        } else {
            let s = &text[start as usize..offset as usize];
            match enc {
                Encoding::Utf16 => s.encode_utf16().count() as u32,
                _ => s.chars().count() as u32,
            }
        };
        LineCol { line, col }
    }

    /// Byte offset of a 0-based line and column counted in `enc`. Columns
    /// past the end of the line clamp to the line end (before its break).
    pub fn offset(&self, text: &str, lc: LineCol, enc: Encoding) -> u32 {
        if lc.line as usize >= self.starts.len() {
            return self.len;
        }
        let start = self.starts[lc.line as usize] as usize;
        let end = self.line_end_excluding_break(text, lc.line) as usize;
        column_offset(text, start, end, lc.col, enc)
    }

    /// Byte offset of the end of `line`, before its line break.
    pub fn line_end_excluding_break(&self, text: &str, line: u32) -> u32 {
        let next = self
            .starts
            .get(line as usize + 1)
            .copied()
            .unwrap_or(self.len);
        let bytes = text.as_bytes();
        let mut end = next as usize;
        if end > self.starts[line as usize] as usize && end <= bytes.len() {
            if end > 0 && bytes[end - 1] == b'\n' {
                end -= 1;
            }
            if end > 0 && bytes[end - 1] == b'\r' && end > self.starts[line as usize] as usize {
                end -= 1;
            }
        }
        end as u32
    }
}

/// Blocks compared at once by [`common_affixes`] (a vectorised
/// comparison each), before the bytes of the first block that differs.
const BLOCK: usize = 128;

/// The lengths of the common prefix and suffix of `a` and `b`, which do
/// not overlap (together at most the shorter length): what an edit left
/// unchanged at either end.
pub fn common_affixes(a: &[u8], b: &[u8]) -> (usize, usize) {
    let prefix = common_prefix(a, b);
    let room = (a.len() - prefix).min(b.len() - prefix);
    let suffix = common_suffix(&a[a.len() - room..], &b[b.len() - room..]);
    (prefix, suffix)
}

/// The length of the common prefix of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= len && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    at + a[at..len]
        .iter()
        .zip(&b[at..len])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The length of the common suffix of `a` and `b`.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let (a, b) = (&a[a.len() - len..], &b[b.len() - len..]);
    let mut n = 0;
    while n + BLOCK <= len && a[len - n - BLOCK..len - n] == b[len - n - BLOCK..len - n] {
        n += BLOCK;
    }
    n + a[..len - n]
        .iter()
        .rev()
        .zip(b[..len - n].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// The start of every line after the first: the offset after each `\n`,
/// `\r\n` pair or lone `\r`.
fn line_breaks(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    memchr::memchr2_iter(b'\n', b'\r', bytes).filter_map(move |i| {
        // A `\r` before `\n` ends no line: its `\n` does.
        (bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n')).then_some(i as u32 + 1)
    })
}

/// The byte offset of column `col` (counted in `enc`) of the line
/// `text[start..end]`, clamped to `end`.
fn column_offset(text: &str, start: usize, end: usize, col: u32, enc: Encoding) -> u32 {
    let line = &text[start..end];
    if line.is_ascii() {
        return (start + col as usize).min(end) as u32;
    }
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        if units >= col {
            return (start + i) as u32;
        }
        units += match enc {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Chars => 1,
        };
    }
    end as u32
}

/// The largest char boundary of `text` that is `<= offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while o > 0 && !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// Levenshtein distance, used for "did you mean" suggestions everywhere.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The edit distance of `a` and `b` if it is at most `limit`: only a band
/// of the matrix is computed and the scan stops once every cell of a row
/// exceeds the limit.
pub fn edit_distance_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    if !a.is_ascii() || !b.is_ascii() {
        let d = edit_distance(a, b);
        return (d <= limit).then_some(d);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    const BIG: usize = usize::MAX / 2;
    let mut prev: Vec<usize> = (0..=b.len())
        .map(|j| if j <= limit { j } else { BIG })
        .collect();
    let mut cur = vec![BIG; b.len() + 1];
    for i in 1..=a.len() {
        let lo = i.saturating_sub(limit).max(1);
        let hi = (i + limit).min(b.len());
        cur.iter_mut().for_each(|c| *c = BIG);
        cur[0] = if i <= limit { i } else { BIG };
        let mut row_min = cur[0];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let v = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

/// A cheap lower bound of the edit distance of two ASCII strings: the
/// larger of the numbers of characters of each not matched in the other.
fn bag_distance(a: &str, b: &str) -> usize {
    let mut counts = [0i32; 128];
    for c in a.bytes() {
        counts[(c & 127) as usize] += 1;
    }
    for c in b.bytes() {
        counts[(c & 127) as usize] -= 1;
    }
    // Each count is taken once (then cleared) from the bytes that have
    // it: no walk over the whole table.
    let (mut pos, mut neg) = (0usize, 0usize);
    for c in a.bytes() {
        let n = &mut counts[(c & 127) as usize];
        if *n > 0 {
            pos += *n as usize;
            *n = 0;
        }
    }
    for c in b.bytes() {
        let n = &mut counts[(c & 127) as usize];
        if *n < 0 {
            neg += (-*n) as usize;
            *n = 0;
        }
    }
    pos.max(neg)
}

/// Whether two names are equal ignoring `_`, `-` and ASCII case.
fn norm_eq(a: &str, b: &str) -> bool {
    let mut x = a.bytes().filter(|c| *c != b'_' && *c != b'-');
    let mut y = b.bytes().filter(|c| *c != b'_' && *c != b'-');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(&q) => {}
            _ => return false,
        }
    }
}

/// The best candidate close to `name`, if any is close enough: distance at
/// most a third of the name's length (at least 1), ties broken by order.
/// Candidates that differ only by `_`/`-` or ASCII case always qualify.
pub fn suggest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let name_len = name.chars().count();
    let limit = (name_len / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand == name {
            continue;
        }
        let d = if norm_eq(cand, name) {
            0
        } else {
            // The distance is at least the length difference: skip the
            // (quadratic) computation when that already exceeds the limit.
            if cand.len().abs_diff(name.len()) > limit * 4
                || cand.chars().count().abs_diff(name_len) > limit
            {
                continue;
            }
            if name.is_ascii() && cand.is_ascii() && bag_distance(name, cand) > limit {
                continue;
            }
            match edit_distance_within(name, cand, limit) {
                Some(d) => d,
                None => continue,
            }
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn line_col_counts_each_encoding() {
        let text = "ab\né€𝄞x\r\nz";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(
            idx.line_col(text, x, Encoding::Utf8),
            LineCol { line: 1, col: 9 }
        );
        assert_eq!(
            idx.line_col(text, x, Encoding::Chars),
            LineCol { line: 1, col: 3 }
        );
        assert_eq!(
            idx.line_col(text, x, Encoding::Utf16),
            LineCol { line: 1, col: 4 }
        );
        let z = text.find('z').unwrap() as u32;
        assert_eq!(
            idx.line_col(text, z, Encoding::Chars),
            LineCol { line: 2, col: 0 }
        );
        assert_eq!(idx.line_end_excluding_break(text, 1), x + 1);
    }

    #[test]
    fn banded_distance_agrees() {
        for (a, b) in [
            ("kitten", "sitting"),
            ("proc.nme", "proc.name"),
            ("", "abc"),
            ("abc", "abc"),
            ("flaw", "lawn"),
        ] {
            let d = edit_distance(a, b);
            for limit in 0..5 {
                assert_eq!(
                    edit_distance_within(a, b, limit),
                    (d <= limit).then_some(d),
                    "{a} {b} {limit}"
                );
            }
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("webfetchbinaries", ["web_fetch_binaries", "shell_binaries"]),
            Some("web_fetch_binaries")
        );
        assert_eq!(
            suggest("proc.nme", ["proc.name", "proc.pid"]),
            Some("proc.name")
        );
        assert_eq!(suggest("zzz", ["proc.name"]), None);
    }

    /// Line starts the plain way: a byte at a time.
    fn starts_naive(text: &str) -> Vec<u32> {
        let b = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            if b[i] == b'\n' || b[i] == b'\r' {
                starts.push(i as u32 + 1);
            }
            i += 1;
        }
        starts
    }

    /// A column's offset the plain way: counting every character.
    fn column_naive(text: &str, start: usize, end: usize, col: u32, enc: Encoding) -> u32 {
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            if units >= col {
                return (start + i) as u32;
            }
            units += match enc {
                Encoding::Utf8 => c.len_utf8() as u32,
                Encoding::Utf16 => c.len_utf16() as u32,
                Encoding::Chars => 1,
            };
        }
        end as u32
    }

    proptest! {
        #[test]
        fn index_and_single_lookup_agree_with_the_plain_way(
            text in "[a-zé€𝄞\r\n ]{0,60}",
            line in 0u32..12,
            col in 0u32..20,
        ) {
            let idx = LineIndex::new(&text);
            prop_assert_eq!(&idx.starts, &starts_naive(&text));
            for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Chars] {
                let lc = LineCol { line, col };
                let want = match idx.starts.get(line as usize) {
                    None => text.len() as u32,
                    Some(&s) => {
                        let end = idx.line_end_excluding_break(&text, line) as usize;
                        column_naive(&text, s as usize, end, col, enc)
                    }
                };
                prop_assert_eq!(idx.offset(&text, lc, enc), want);
                prop_assert_eq!(LineIndex::offset_of(&text, lc, enc), want);
            }
        }

        #[test]
        fn offset_roundtrip(text in "[a-zé€𝄞\r\n ]{0,40}", pick in 0usize..50) {
            let idx = LineIndex::new(&text);
            let off = floor_char_boundary(&text, pick) as u32;
            for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Chars] {
                let lc = idx.line_col(&text, off, enc);
                let back = idx.offset(&text, lc, enc);
                // Offsets inside a CRLF pair map to the line end.
                prop_assert!(back == off || text.as_bytes().get(off as usize) == Some(&b'\n'));
            }
        }

        /// An index updated for an edit equals the index built from the
        /// edited text, whatever the edit (line breaks of every kind,
        /// non-ASCII text, edits at either end).
        #[test]
        fn edited_index_equals_a_fresh_one(
            old in "[ab\r\né]{0,40}",
            at in 0usize..41,
            cut in 0usize..8,
            insert in "[ab\r\né]{0,6}",
        ) {
            let a = floor_char_boundary(&old, at);
            let b = floor_char_boundary(&old, a + cut);
            let mut new = old.clone();
            new.replace_range(a..b, &insert);
            let edited = LineIndex::new(&old).edited(&old, &new);
            prop_assert_eq!(edited, LineIndex::new(&new));
        }
    }
}
