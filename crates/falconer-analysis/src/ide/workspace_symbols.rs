//! Workspace symbols: the lists, macros and rules of every file (loaded
//! and extra), matched against a fuzzy query.
//!
//! The query matches a name when its characters appear in the name in
//! order, ignoring case. Better matches come first: the exact name, then
//! a prefix, then a substring (earlier is better), then a scattered match
//! (fewer gaps, and gaps after word starts, are better). An empty query
//! matches everything.

use super::symbols::document_symbols;
use super::{Analysis, SymbolKind};
use crate::FileId;
use falconer_text::Span;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WorkspaceSymbol {
    pub kind: SymbolKind,
    pub name: String,
    pub file: FileId,
    /// `append`/`override` for items that change an earlier one, the
    /// priority for rules.
    pub detail: Option<String>,
    pub full_span: Span,
    pub focus_span: Span,
}

/// How well `query` matches `name` (lower is better), `None` when it does
/// not.
pub(crate) fn fuzzy_score(query: &str, name: &str) -> Option<u32> {
    let q: Vec<char> = query.chars().flat_map(char::to_lowercase).collect();
    let n: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    if q.is_empty() {
        return Some(0);
    }
    if q == n {
        return Some(0);
    }
    if n.starts_with(&q) {
        return Some(1);
    }
    if let Some(i) = n.windows(q.len()).position(|w| w == q.as_slice()) {
        let boundary = i > 0 && !n[i - 1].is_alphanumeric();
        return Some(if boundary { 2 } else { 3 + i.min(50) as u32 });
    }
    // Scattered: greedy, preferring word starts.
    let mut score = 100u32;
    let mut ni = 0usize;
    let mut prev: Option<usize> = None;
    for &c in &q {
        // The next word start holding c, else the next c.
        let word_start = (ni..n.len()).find(|&j| {
            n[j] == c && (j == 0 || !n[j - 1].is_alphanumeric() || n[j - 1].is_numeric())
        });
        let j = match prev {
            Some(p) if n.get(p + 1) == Some(&c) => p + 1,
            _ => word_start.or_else(|| (ni..n.len()).find(|&j| n[j] == c))?,
        };
        if let Some(p) = prev {
            if j != p + 1 {
                score += 2;
                let at_word = j == 0 || !n[j - 1].is_alphanumeric();
                if !at_word {
                    score += 3;
                }
            }
        }
        prev = Some(j);
        ni = j + 1;
    }
    Some(score)
}

/// Symbols matching `query`, best first, at most `limit`.
pub fn workspace_symbols(a: &Analysis, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    let mut scored: Vec<(u32, WorkspaceSymbol)> = Vec::new();
    for file in 0..a.file_count() as FileId {
        a.unwind_if_cancelled();
        for s in document_symbols(a, file) {
            if !matches!(
                s.kind,
                SymbolKind::List | SymbolKind::Macro | SymbolKind::Rule
            ) {
                continue;
            }
            if let Some(score) = fuzzy_score(query, &s.name) {
                scored.push((
                    score,
                    WorkspaceSymbol {
                        kind: s.kind,
                        name: s.name,
                        file,
                        detail: s.detail,
                        full_span: s.full_span,
                        focus_span: s.focus_span,
                    },
                ));
            }
        }
    }
    scored.sort_by(|(sa, a), (sb, b)| {
        (sa, &a.name, a.file, a.focus_span.start).cmp(&(sb, &b.name, b.file, b.focus_span.start))
    });
    scored.truncate(limit);
    scored.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::fuzzy_score;

    #[test]
    fn better_matches_score_lower() {
        let s = |q, n| fuzzy_score(q, n);
        assert_eq!(s("shell", "shell"), Some(0));
        assert!(s("shell", "shell_binaries") < s("bin", "shell_binaries"));
        assert!(s("bin", "shell_binaries") < s("sbin", "shell_binaries"));
        assert!(s("sb", "shell_binaries") < s("hl", "shell_binaries"));
        assert_eq!(s("xyz", "shell_binaries"), None);
        assert!(s("SHB", "shell_binaries").is_some());
        assert_eq!(s("", "anything"), Some(0));
    }
}
