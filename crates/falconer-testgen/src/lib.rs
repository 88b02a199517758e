//! Large, realistic rules sets for benchmarks and stress tests, generated
//! from our own bundled rules (never from falcosecurity/rules).
//!
//! Each copy of the bundled file gets every list, macro and rule name
//! suffixed with the copy number, so copies are independent and the
//! whole set checks as clean as the original.

/// The bundled rules file.
pub const BUNDLED: &str = include_str!("../../../rules/falconer_rules.yaml");

/// Names defined by `- list:`, `- macro:` and `- rule:` items.
fn defined_names(text: &str) -> (Vec<String>, Vec<String>) {
    let mut words = Vec::new();
    let mut rules = Vec::new();
    for line in text.lines() {
        for (prefix, is_rule) in [
            ("- list: ", false),
            ("- macro: ", false),
            ("- rule: ", true),
        ] {
            if let Some(n) = line.strip_prefix(prefix) {
                let n = n.trim().to_string();
                if is_rule {
                    rules.push(n);
                } else {
                    words.push(n);
                }
            }
        }
    }
    // Longest first so that `open_write` is not split by `open`.
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    (words, rules)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Replaces whole-word occurrences of each name by `name_<n>`.
fn rename_words(text: &str, words: &[String], n: usize) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 1024);
    let mut i = 0;
    'outer: while i < bytes.len() {
        if i == 0 || !is_word_byte(bytes[i - 1]) {
            for w in words {
                let wb = w.as_bytes();
                if bytes[i..].starts_with(wb)
                    && bytes.get(i + wb.len()).is_none_or(|b| !is_word_byte(*b))
                {
                    out.push_str(w);
                    out.push('_');
                    out.push_str(&n.to_string());
                    i += wb.len();
                    continue 'outer;
                }
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// One renamed copy of the bundled rules (without the engine version).
pub fn copy(n: usize) -> String {
    let (words, rules) = defined_names(BUNDLED);
    let mut body: String = BUNDLED
        .lines()
        .filter(|l| !l.starts_with("- required_engine_version"))
        .collect::<Vec<_>>()
        .join("\n");
    body.push('\n');
    let mut renamed = rename_words(&body, &words, n);
    for r in &rules {
        renamed = renamed.replace(&format!("- rule: {r}\n"), &format!("- rule: {r} {n}\n"));
    }
    renamed
}

/// A rules file of at least `lines` lines made of renamed copies.
pub fn generate(lines: usize) -> String {
    let mut out = String::from("- required_engine_version: 0.50.0\n\n");
    let mut n = 0;
    while out.lines().count() < lines {
        n += 1;
        out.push_str(&copy(n));
    }
    out
}

/// The replay benchmark's ruleset (`cargo bench -p falconer-engine`):
/// the bundled rules plus renamed copies until there are `rules` rules,
/// each copy's lists given an item of their own (`gen_<copy>_<k>`) so
/// that the copies' conditions differ (only macros without lists stay
/// shared, as in real rulesets; identical copies would be evaluated
/// once). Returns the bundled text and the copies' text.
pub fn distinct_copies(rules: usize) -> (String, String) {
    let bundled = BUNDLED.to_string();
    let mut extra = String::new();
    let mut n = 0;
    while rule_count(&bundled) + rule_count(&extra) < rules {
        n += 1;
        let mut k = 0;
        for line in copy(n).lines() {
            // (Network lists stay as they are: an item must be a CIDR.)
            if let Some(i) = line.find("items: [").filter(|_| !line.contains("0/")) {
                k += 1;
                extra.push_str(&line[..i + 8]);
                extra.push_str(&format!("gen_{n}_{k}, "));
                extra.push_str(&line[i + 8..]);
            } else {
                extra.push_str(line);
            }
            extra.push('\n');
        }
    }
    (bundled, extra)
}

/// Number of `- rule:` items in a text.
pub fn rule_count(text: &str) -> usize {
    text.lines().filter(|l| l.starts_with("- rule: ")).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_rename_every_definition() {
        let c = copy(7);
        assert!(c.contains("- list: web_fetch_binaries_7"));
        assert!(c.contains("(proc.name in (web_fetch_binaries_7))"));
        assert!(c.contains("- rule: Run Web Fetch Program in Container 7\n"));
        assert!(!c.contains("(web_fetch_binaries)"));
    }

    #[test]
    fn generates_requested_size() {
        let g = generate(4500);
        assert!(g.lines().count() >= 4500);
        assert!(rule_count(&g) > 50);
    }
}
