//! `pmatch`: path-prefix matching against a set of paths (libsinsp's
//! path prefix map). Paths are split on `/` with empty components dropped
//! (`/opt/` ≡ `/opt` ≡ `opt`); a pattern matches a value when its
//! components are a prefix of the value's components. Pattern components
//! containing `*`, `?` or `[` are matched with `fnmatch` against one value
//! component. As libsinsp does, the patterns are kept in a tree where a
//! shorter pattern replaces longer ones below it (`/usr` makes `/usr/lib`
//! redundant), and a value that ends above a pattern does not match it
//! (`/var` does not match `/var/run`). A root pattern (`/` or empty)
//! matches every value.
//!
//! One libsinsp quirk is not reproduced: when a glob component matches
//! but the rest of the value does not, libsinsp tries its remaining glob
//! components against the *next* value component (an iterator advanced
//! inside its loop, in hash-map order). We test every glob component
//! against the same value component.

use crate::glob::glob_match;
use rustc_hash::FxHashMap;

#[derive(Debug, Default, Clone)]
pub struct PathSet {
    root: Node,
}

#[derive(Debug, Default, Clone)]
struct Node {
    /// Literal components: `None` = a pattern ends here (terminal).
    dirs: FxHashMap<Vec<u8>, Option<Box<Node>>>,
    /// Glob components, in insertion order.
    globs: Vec<(Vec<u8>, Option<Box<Node>>)>,
}

fn split(path: &[u8]) -> Vec<&[u8]> {
    path.split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

fn is_glob(c: &[u8]) -> bool {
    c.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

impl PathSet {
    pub fn new() -> PathSet {
        PathSet::default()
    }

    pub fn insert(&mut self, pattern: &[u8]) {
        // libsinsp prepends a dummy "root" component so that `/` is a
        // pattern with one component: a terminal at the top.
        let mut comps: Vec<&[u8]> = vec![b"root"];
        comps.extend(split(pattern));
        self.root.insert(&comps);
    }

    pub fn matches(&self, value: &[u8]) -> bool {
        let mut comps: Vec<&[u8]> = vec![b"root"];
        comps.extend(split(value));
        self.root.matches(&comps)
    }
}

impl Node {
    fn insert(&mut self, comps: &[&[u8]]) {
        let (first, rest) = (comps[0], &comps[1..]);
        let slot: &mut Option<Box<Node>> = if is_glob(first) {
            match self.globs.iter().position(|(k, _)| k.as_slice() == first) {
                Some(i) => &mut self.globs[i].1,
                None => {
                    self.globs.push((first.to_vec(), new_subtree(rest)));
                    return;
                }
            }
        } else {
            match self.dirs.get_mut(first) {
                Some(s) => s,
                None => {
                    self.dirs.insert(first.to_vec(), new_subtree(rest));
                    return;
                }
            }
        };
        if rest.is_empty() {
            // A shorter pattern: it replaces the subtree.
            *slot = None;
        } else if let Some(sub) = slot {
            sub.insert(rest);
        }
        // else: an existing shorter pattern already covers this one.
    }

    fn matches(&self, comps: &[&[u8]]) -> bool {
        let Some((first, rest)) = comps.split_first() else {
            return false;
        };
        if let Some(entry) = self.dirs.get(*first) {
            if check(entry, rest) {
                return true;
            }
        }
        self.globs
            .iter()
            .any(|(g, entry)| glob_match(g, first, false) && check(entry, rest))
    }
}

fn new_subtree(rest: &[&[u8]]) -> Option<Box<Node>> {
    if rest.is_empty() {
        None
    } else {
        let mut n = Node::default();
        n.insert(rest);
        Some(Box::new(n))
    }
}

/// The value's remaining components against an entry.
fn check(entry: &Option<Box<Node>>, rest: &[&[u8]]) -> bool {
    match entry {
        // The pattern ended: a prefix (or an exact match).
        None => true,
        // The value ended above the pattern's end.
        Some(_) if rest.is_empty() => false,
        Some(sub) => sub.matches(rest),
    }
}

#[cfg(test)]
mod tests {
    use super::PathSet;

    fn set(p: &[&str]) -> PathSet {
        let mut s = PathSet::new();
        for x in p {
            s.insert(x.as_bytes());
        }
        s
    }

    #[test]
    fn prefixes_by_component() {
        let s = set(&["/var/run", "/etc", "/lib", "/usr/lib"]);
        assert!(s.matches(b"/var/run/docker"));
        assert!(s.matches(b"/var/run"));
        assert!(!s.matches(b"/boot"));
        assert!(!s.matches(b"/var/lib/messages"));
        assert!(!s.matches(b"/var"));
        assert!(!s.matches(b"/etcx"));
        assert!(s.matches(b"etc//passwd/"));
    }

    #[test]
    fn shorter_patterns_win() {
        let s = set(&["/usr/lib", "/usr"]);
        assert!(s.matches(b"/usr/bin/x"));
        let s = set(&["/usr", "/usr/lib"]);
        assert!(s.matches(b"/usr/bin/x"));
    }

    #[test]
    fn globs_and_root() {
        let s = set(&["/opt/*/subdir"]);
        assert!(s.matches(b"/opt/dir/subdir/file"));
        assert!(!s.matches(b"/opt/dir/other"));
        let s = set(&["/opt/dir"]);
        assert!(!s.matches(b"/opt/dir2"));
        let s = set(&["/"]);
        assert!(s.matches(b"/anything"));
        assert!(s.matches(b""));
        assert!(!set(&[]).matches(b"/x"));
    }
}
