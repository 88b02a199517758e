//! Item-by-item parsing, for incremental re-checking: [`split_items`] cuts
//! a rules file into its top-level items, [`parse_item`] parses one of them
//! on its own, with spans in file coordinates. Caching `parse_item` per
//! item text, an edit re-parses only the item it touches.

use crate::tree::*;
use std::ops::Range;

/// Byte ranges of the top-level items of a rules file, when the file is a
/// single implicit document whose root is a block sequence at column 0 (or
/// holds only comments and blank lines); `None` otherwise.
///
/// * Every line starting at column 0 must be a `-` entry (followed by a
///   blank, a line break or the end), a comment or a blank line; any other
///   text at column 0 (`---`, `...`, `%YAML`, `key:`, a plain scalar) gives
///   `None`, and so does indented content before the first item.
/// * Each range runs from its item's `-` at column 0 to the start of the
///   next item (or the end of the text): comments and blank lines between
///   two items belong to the preceding range.
/// * The first range starts at 0: the leading comments and blank lines (and
///   a byte order mark) are attached to the first item.
/// * So the ranges are contiguous and cover the whole text. A file without
///   items (empty, or only comments) gives `None`: there is nothing to
///   cache, and [`crate::parse`] is immediate on it.
///
/// The split is lexical: a range may still fail to parse on its own (see
/// [`parse_item`]), e.g. after an unclosed quote.
pub fn split_items(text: &str) -> Option<Vec<Range<usize>>> {
    let b = text.as_bytes();
    let mut starts: Vec<usize> = Vec::new();
    let mut ls = 0;
    // Without carriage returns every line ends at a line feed: one pass
    // over the text finds them all.
    let has_cr = memchr::memchr(b'\r', b).is_some();
    let mut newlines = line_feeds(b);
    while ls < b.len() {
        let first = if ls == 0 && b.starts_with(&[0xef, 0xbb, 0xbf]) {
            3
        } else {
            ls
        };
        match b.get(first) {
            None | Some(b'#' | b'\n' | b'\r') => {}
            Some(b'-') if b.get(first + 1).is_none_or(|c| b" \t\r\n".contains(c)) => {
                starts.push(ls)
            }
            Some(b' ' | b'\t') => {
                if starts.is_empty() {
                    // Before the first item: blanks and comments only.
                    let rest = &b[first..];
                    let end = rest
                        .iter()
                        .position(|&c| c == b'\n' || c == b'\r')
                        .unwrap_or(rest.len());
                    let line = &rest[..end];
                    let content = line.iter().position(|&c| c != b' ' && c != b'\t');
                    if content.is_some_and(|i| line[i] != b'#') {
                        return None;
                    }
                }
            }
            Some(_) => return None,
        }
        // Next line start.
        let mut i = if has_cr {
            memchr::memchr2(b'\n', b'\r', &b[first..]).map_or(b.len(), |k| first + k)
        } else {
            newlines.find(|&k| k >= first).unwrap_or(b.len())
        };
        if i < b.len() && b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            i += 1;
        }
        ls = i + 1;
    }
    let first = starts.first_mut()?;
    *first = 0;
    let mut out: Vec<Range<usize>> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    out.extend(starts.last().map(|&last| last..b.len()));
    Some(out)
}

/// How the items of a text change with an edit ([`resplit_items`]): the
/// old items before `before` and from `after` on are unchanged (same text;
/// those from `after` on moved by the change in length), and `between` are
/// the ranges in the new text of the items that replace old items
/// `before..after`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resplit {
    pub before: usize,
    pub after: usize,
    pub between: Vec<Range<usize>>,
}

/// [`split_items`] of `new`, given the start offsets of the items of `old`
/// (`split_items(old)`, which was `Some`), expressed as the old items it
/// keeps and the ranges that replace the others, so that an edit costs a
/// comparison of the two texts and the split of the items it touches
/// rather than a split of the whole text. `None` exactly when
/// `split_items(new)` is `None`.
///
/// Items whose text and surroundings the edit cannot have changed are kept:
/// those ending before the first changed byte (their first two bytes, which
/// decide that a line starts an item, unchanged too), and those starting
/// after the last changed byte (the line feed before them unchanged). The
/// lines between are split again on their own; they start at an item's
/// `-` (or at the start of the text) and end before one (or at the end),
/// so every line is judged as in the whole text.
pub fn resplit_items(old: &str, old_starts: &[usize], new: &str) -> Option<Resplit> {
    let full = || {
        split_items(new).map(|between| Resplit {
            before: 0,
            after: old_starts.len(),
            between,
        })
    };
    let (o, n) = (old.as_bytes(), new.as_bytes());
    // Carriage returns change how lines end: split them whole.
    if old_starts.first() != Some(&0) || memchr::memchr(b'\r', n).is_some() {
        return full();
    }
    let (prefix, suffix) = falconer_text::common_affixes(o, n);
    let old_end = o.len() - suffix;
    // The last item whose `-` and the byte after it lie before the change.
    let before = old_starts
        .partition_point(|&s| s + 2 <= prefix)
        .saturating_sub(1);
    // The first item starting after the change.
    let after = old_starts.partition_point(|&s| s <= old_end);
    let from = old_starts[before];
    let to = match old_starts.get(after) {
        Some(&s) => s + n.len() - o.len(),
        None => n.len(),
    };
    match split_items(&new[from..to]) {
        Some(ranges) => Some(Resplit {
            before,
            after,
            between: ranges
                .into_iter()
                .map(|r| r.start + from..r.end + from)
                .collect(),
        }),
        // A line that cannot be in a split file, or no item left in front
        // of the kept ones: the whole text decides.
        None => full(),
    }
}

/// Positions of the line feeds of a text, in order (one vectorised scan
/// for the whole text: lines of rules files are short).
fn line_feeds(b: &[u8]) -> memchr::Memchr<'_> {
    memchr::memchr_iter(b'\n', b)
}

/// Parses one top-level item of a rules file on its own: `text[range]` (a
/// range from [`split_items`]) is read as a stream of its own, and its one
/// top-level sequence entry is returned with spans in file coordinates.
///
/// `None` when the range is not exactly one top-level block sequence entry
/// that parses without any error on its own (a syntax error, an alias to
/// an anchor of another item, no entry or several), or is not a range of
/// whole lines of `text`. The caller should then parse the whole file with
/// [`crate::parse`], which reports errors and recovers.
///
/// When every range of [`split_items`] gives `Some`, the items are exactly
/// the items of the root sequence [`crate::parse`] gives for the file (the
/// file then parses without errors); the root sequence (and its document)
/// spans from the first item's `-` to the last item's end.
///
/// Uses the fast path (see [`crate::parse_fast`]) when it can, else the
/// saphyr path on the slice, whose spans are shifted.
pub fn parse_item(text: &str, range: Range<usize>) -> Option<Node> {
    let Range { start, end } = range;
    let b = text.as_bytes();
    if start > end
        || end > b.len()
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
        || (start > 0 && !matches!(b[start - 1], b'\n' | b'\r'))
    {
        return None;
    }
    if let Some(mut items) = crate::fast::parse_items(text, start, end) {
        return if items.len() == 1 { items.pop() } else { None };
    }
    let file = crate::parse_saphyr(&text[start..end]);
    if !file.errors.is_empty() || file.documents.len() != 1 {
        return None;
    }
    let root = file.documents.into_iter().next()?.root?;
    match root.kind {
        NodeKind::Sequence {
            mut items,
            flow: false,
        } if items.len() == 1 && root.tag.is_none() => {
            let mut item = items.pop()?;
            item.shift(start as i64);
            Some(item)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{line_feeds, resplit_items, split_items};
    use proptest::prelude::*;

    /// Pieces of rules files, with the bytes that decide a split: item
    /// starts, comments, indentation, blank lines, text at column 0,
    /// carriage returns, a byte order mark.
    const PIECES: &[&str] = &[
        "- macro: m\n  condition: a = b\n",
        "- list: l\n  items: [x, y]\n",
        "- rule: r\n  desc: d\n  condition: c\n",
        "# comment\n",
        "\n",
        "  indented: x\n",
        "-",
        "- ",
        "-x\n",
        "key: v\n",
        " ",
        "\t",
        "#",
        "\r\n",
        "\u{feff}",
        "x",
        "\n- ",
    ];

    fn text_of(ix: &[usize]) -> String {
        ix.iter().map(|&i| PIECES[i % PIECES.len()]).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Old items kept plus the items split again are exactly the split
        /// of the new text, for any edit of a text that splits.
        #[test]
        fn resplit_is_split(
            // Texts that split (items, comments, blank lines).
            base in proptest::collection::vec(0usize..5, 1..12),
            at in 0usize..1000,
            len in 0usize..40,
            insert in proptest::collection::vec(0usize..64, 0..4),
        ) {
            let old = text_of(&base);
            let Some(old_ranges) = split_items(&old) else {
                // Comments and blank lines only.
                prop_assert!(!base.iter().any(|&i| i < 3));
                return Ok(());
            };
            let mut at = at % (old.len() + 1);
            while !old.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + len).min(old.len());
            while !old.is_char_boundary(end) {
                end += 1;
            }
            let new = format!("{}{}{}", &old[..at], text_of(&insert), &old[end..]);
            let starts: Vec<usize> = old_ranges.iter().map(|r| r.start).collect();
            let got = resplit_items(&old, &starts, &new).map(|r| {
                let delta = new.len() as isize - old.len() as isize;
                let mut v: Vec<_> = old_ranges[..r.before].to_vec();
                v.extend(r.between);
                v.extend(old_ranges[r.after..].iter().map(|x| {
                    (x.start as isize + delta) as usize..(x.end as isize + delta) as usize
                }));
                v
            });
            let want = split_items(&new);
            prop_assert_eq!(&got, &want, "{:?} -> {:?}", old, new);
            // Kept items keep their text.
            if let (Some(r), Some(_)) = (resplit_items(&old, &starts, &new), &want) {
                for x in &old_ranges[..r.before] {
                    prop_assert_eq!(&old[x.clone()], &new[x.clone()]);
                }
                let delta = new.len() as isize - old.len() as isize;
                for x in &old_ranges[r.after..] {
                    let y = (x.start as isize + delta) as usize..(x.end as isize + delta) as usize;
                    prop_assert_eq!(&old[x.clone()], &new[y]);
                }
            }
        }
    }

    #[test]
    fn line_feeds_are_every_line_feed() {
        let samples = [
            "",
            "\n",
            "a",
            "abcdefg\n",
            "abcdefgh\n",
            "\n\n\n\n\n\n\n\n\n",
            "- list: a\n  items: [x]\n\n- macro: m\n  condition: evt.type = open\n",
            "\u{e9}\n\u{ff}\n\u{10a0a}\n\x0b\u{8a}\n",
        ];
        let long: String = (0..300)
            .map(|i| {
                if i % 7 == 0 || i % 64 == 63 {
                    '\n'
                } else {
                    'x'
                }
            })
            .collect();
        for s in samples.iter().copied().chain([long.as_str()]) {
            for start in 0..s.len().min(70) {
                let b = &s.as_bytes()[start..];
                let want: Vec<usize> = (0..b.len()).filter(|&i| b[i] == b'\n').collect();
                let got: Vec<usize> = line_feeds(b).collect();
                assert_eq!(got, want, "{s:?} from {start}");
            }
        }
    }
}
