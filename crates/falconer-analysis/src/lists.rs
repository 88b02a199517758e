//! Falco's textual list substitution (LANGUAGE.md C.11) with a source map.
//!
//! Before a condition is parsed, every list name that stands as a word
//! (delimited by blanks, `(`, `)`, `,`, `=` or the text's ends) is replaced
//! by its items, lists taken in definition order. This is text, not syntax:
//! a list named like a value or a macro replaces it too, exactly as Falco
//! does. The [`RewriteMap`] keeps every byte's origin so diagnostics land
//! on the text the user wrote.

use crate::source::{RewriteMap, Seg};
use falconer_text::Span;
use rustc_hash::FxHashMap;

/// Bytes that delimit a list name in a condition (C.11).
pub(crate) fn is_delim(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'(' | b')' | b',' | b'=')
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Quotes an item as Falco does when it inserts it into a condition: an
/// item with a space that does not start with a quote is double-quoted;
/// nothing else is escaped.
pub fn quote_item(item: &str) -> String {
    if item.contains(' ') && !item.starts_with('"') && !item.starts_with('\'') {
        format!("\"{item}\"")
    } else {
        item.to_string()
    }
}

/// One list as substitution sees it: its name and expanded items.
pub struct ListView<'a> {
    pub name: &'a str,
    pub items: &'a [String],
}

/// The result of substituting lists into one condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Substituted {
    pub text: String,
    pub map: RewriteMap,
    /// (index into the lists given, span in the original text) per use.
    pub uses: Vec<(usize, Span)>,
}

/// Index of list names for fast substitution: built once per set of
/// lists (the database keeps it while no list changes). Owns its data.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ListIndex {
    names: Vec<String>,
    /// Each list's replacement text (` a, b `), or `None` when empty.
    replacements: Vec<Option<String>>,
    by_name: FxHashMap<String, usize>,
    /// Lists whose name contains a delimiter (never a single word).
    odd: Vec<usize>,
}

impl ListIndex {
    /// `lists` in definition order.
    pub fn new(lists: Vec<ListView<'_>>) -> ListIndex {
        let mut index = ListIndex::default();
        for (i, l) in lists.iter().enumerate() {
            if l.name.bytes().any(is_delim) {
                index.odd.push(i);
            } else {
                index.by_name.entry(l.name.to_string()).or_insert(i);
            }
            index.names.push(l.name.to_string());
            index.replacements.push(if l.items.is_empty() {
                None
            } else {
                let joined: Vec<String> = l.items.iter().map(|i| quote_item(i)).collect();
                Some(format!(" {} ", joined.join(", ")))
            });
        }
        index
    }

    /// Number of lists.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Indices of lists named by a word of `text`.
    fn words_in(&self, text: &str, out: &mut Vec<usize>) {
        for w in text.split(|c: char| c.is_ascii() && is_delim(c as u8)) {
            if let Some(&i) = self.by_name.get(w) {
                out.push(i);
            }
        }
    }
}

/// Substitutes the lists of `index` (in definition order) into `text`.
pub fn substitute(text: &str, index: &ListIndex) -> Substituted {
    // Candidate lists: named by a word of the text (or by a word of items
    // inserted later), plus lists whose names contain delimiters.
    let mut pending: Vec<usize> = Vec::new();
    index.words_in(text, &mut pending);
    pending.extend(index.odd.iter().copied());
    pending.sort_unstable();
    pending.dedup();
    let mut cur = text.to_string();
    let mut map = RewriteMap::identity(text.len() as u32);
    let mut uses = Vec::new();
    let mut next = 0;
    while next < pending.len() {
        let li = pending[next];
        next += 1;
        let name = index.names[li].as_str();
        let replacement = index.replacements[li].as_deref();
        if name.is_empty() {
            continue;
        }
        let occ = find_occurrences(&cur, name);
        if occ.is_empty() {
            continue;
        }
        // Items may name lists defined later: queue them.
        let mut more = Vec::new();
        index.words_in(replacement.unwrap_or(""), &mut more);
        let mut added = false;
        for m in more {
            if m > li && !pending[next..].contains(&m) {
                pending.push(m);
                added = true;
            }
        }
        if added {
            pending[next..].sort_unstable();
        }
        let bytes = cur.as_bytes();
        let mut out =
            String::with_capacity(cur.len() + occ.len() * replacement.map_or(1, str::len));
        let mut local: Vec<Seg> = Vec::new();
        let mut pos = 0usize;
        for (s, e) in occ {
            // Extend over adjacent blanks.
            let mut a = s;
            while a > pos && is_blank(bytes[a - 1]) {
                a -= 1;
            }
            let mut b = e;
            while b < bytes.len() && is_blank(bytes[b]) {
                b += 1;
            }
            if replacement.is_none() {
                if a > pos && bytes[a - 1] == b',' {
                    a -= 1;
                } else if b < bytes.len() && bytes[b] == b',' {
                    b += 1;
                }
            }
            if a > pos {
                push_copy(&mut out, &mut local, &cur, pos, a);
            }
            let ins = replacement.unwrap_or(" ");
            let o = out.len() as u32;
            out.push_str(ins);
            local.push(Seg {
                out: Span::new(o, out.len() as u32),
                orig: Span::new(s as u32, e as u32),
                copied: false,
            });
            uses.push((li, map.map(Span::new(s as u32, e as u32))));
            pos = b;
        }
        if pos < cur.len() {
            push_copy(&mut out, &mut local, &cur, pos, cur.len());
        }
        map = compose(&map, &local);
        cur = out;
    }
    Substituted {
        text: cur,
        map,
        uses,
    }
}

fn push_copy(out: &mut String, local: &mut Vec<Seg>, cur: &str, a: usize, b: usize) {
    let o = out.len() as u32;
    out.push_str(&cur[a..b]);
    local.push(Seg {
        out: Span::new(o, out.len() as u32),
        orig: Span::new(a as u32, b as u32),
        copied: true,
    });
}

/// The maximal runs of non-delimiter bytes of `bytes`, as byte ranges,
/// left to right.
pub(crate) fn words(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && is_delim(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && !is_delim(bytes[i]) {
            i += 1;
        }
        Some((start, i))
    })
}

/// Delimited occurrences of `name` in `text`, left to right, not
/// overlapping.
pub(crate) fn find_occurrences(text: &str, name: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    if !name.bytes().any(is_delim) {
        // A name without delimiters occurs exactly as a whole word: compare
        // the words (no substring search to set up per name).
        let n = name.as_bytes();
        out.extend(words(bytes).filter(|&(a, b)| &bytes[a..b] == n));
        return out;
    }
    substring_occurrences(text, name)
}

/// [`find_occurrences`] by substring search (any name).
fn substring_occurrences(text: &str, name: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(name) {
        let s = from + i;
        let e = s + name.len();
        let before_ok = s == 0 || is_delim(bytes[s - 1]);
        let after_ok = e == bytes.len() || is_delim(bytes[e]);
        if before_ok && after_ok {
            out.push((s, e));
            from = e;
        } else {
            from = s + text[s..].chars().next().map_or(1, char::len_utf8);
        }
        if from >= text.len() {
            break;
        }
    }
    out
}

/// `outer` maps the current text to the original; `local` maps the new
/// text to the current one. Returns new → original.
fn compose(outer: &RewriteMap, local: &[Seg]) -> RewriteMap {
    let mut segs = Vec::new();
    for l in local {
        if !l.copied {
            segs.push(Seg {
                out: l.out,
                orig: outer.map(l.orig),
                copied: false,
            });
            continue;
        }
        for o in &outer.segs {
            let a = l.orig.start.max(o.out.start);
            let b = l.orig.end.min(o.out.end);
            if a >= b {
                continue;
            }
            let out = Span::new(
                a - l.orig.start + l.out.start,
                b - l.orig.start + l.out.start,
            );
            let orig = if o.copied {
                Span::new(
                    a - o.out.start + o.orig.start,
                    b - o.out.start + o.orig.start,
                )
            } else {
                o.orig
            };
            segs.push(Seg {
                out,
                orig,
                copied: o.copied,
            });
        }
    }
    RewriteMap { segs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(text: &str, lists: &[(&str, &[&str])]) -> Substituted {
        let owned: Vec<(String, Vec<String>)> = lists
            .iter()
            .map(|(n, i)| (n.to_string(), i.iter().map(|s| s.to_string()).collect()))
            .collect();
        let views: Vec<ListView> = owned
            .iter()
            .map(|(n, i)| ListView { name: n, items: i })
            .collect();
        substitute(text, &ListIndex::new(views))
    }

    proptest::proptest! {
        #[test]
        fn word_scan_finds_what_substring_search_finds(
            text in "[ab(),= _\\n]{0,40}",
            name in "[ab_]{1,3}",
        ) {
            proptest::prop_assert_eq!(
                find_occurrences(&text, &name),
                substring_occurrences(&text, &name)
            );
        }
    }

    #[test]
    fn replaces_delimited_words_only() {
        let s = sub(
            "proc.name in (shells) and shells_x = 1",
            &[("shells", &["bash", "sh"])],
        );
        assert_eq!(s.text, "proc.name in ( bash, sh ) and shells_x = 1");
        assert_eq!(s.uses, vec![(0, Span::new(14, 20))]);
    }

    #[test]
    fn quotes_items_with_spaces() {
        let s = sub("a.b in (l)", &[("l", &["x y", "'q r'"])]);
        assert_eq!(s.text, "a.b in ( \"x y\", 'q r' )");
    }

    #[test]
    fn empty_list_removes_one_comma() {
        assert_eq!(sub("a.b in (x, l)", &[("l", &[])]).text, "a.b in (x )");
        assert_eq!(sub("a.b in (l, x)", &[("l", &[])]).text, "a.b in (  x)");
        assert_eq!(sub("a.b in (l)", &[("l", &[])]).text, "a.b in ( )");
    }

    #[test]
    fn list_named_like_a_value_replaces_it() {
        assert_eq!(
            sub("proc.name = cat", &[("cat", &["a", "b"])]).text,
            "proc.name = a, b "
        );
    }

    #[test]
    fn nested_list_resolved_by_later_list() {
        let s = sub("x.y in (a)", &[("a", &["b", "z"]), ("b", &["c"])]);
        assert_eq!(s.text, "x.y in ( c , z )");
        // The inserted `c` maps back to the original `a`.
        let c = s.text.find('c').unwrap() as u32;
        assert_eq!(s.map.map(Span::new(c, c + 1)), Span::new(8, 9));
        // Copied text keeps exact offsets.
        assert_eq!(s.map.map(Span::new(0, 3)), Span::new(0, 3));
    }
}
