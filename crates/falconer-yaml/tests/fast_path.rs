//! Differential tests of the fast path and of item-by-item parsing.
//!
//! * Whenever [`parse_fast`] returns a tree, it must be exactly the tree of
//!   the saphyr path ([`parse_saphyr`]): on every fixture and test string we
//!   have (including the string literals of this crate's own sources and
//!   tests), generated rules, and random rules-like documents and random
//!   mutations of them.
//! * The fast path must not bail on real-world-like files (generated,
//!   bundled, Falco's official rules when present in `/tmp/official`).
//! * When every range of [`split_items`] parses with [`parse_item`], the
//!   items are exactly the root items of [`parse`].
//!
//! `cargo test -p falconer-yaml --test fast_path -- --nocapture` prints the
//! bail-out counts; `FAST_PATH_CASES=100000` runs more random cases (use
//! `--release`).

use falconer_yaml::debug::render;
use falconer_yaml::{
    parse, parse_fast, parse_item, parse_saphyr, split_items, Node, NodeKind, YamlFile,
};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/// The first differing line of the two renderings (for failure messages).
fn first_difference(a: &YamlFile, b: &YamlFile) -> String {
    let (ra, rb) = (render(a), render(b));
    for (i, (x, y)) in ra.lines().zip(rb.lines()).enumerate() {
        if x != y {
            return format!("line {i}:\n  saphyr: {x}\n  fast:   {y}");
        }
    }
    if ra == rb {
        // Same rendering: the difference is in the pieces or a tag.
        format!("same rendering; saphyr: {a:?}\nfast: {b:?}")
    } else {
        format!("renderings differ in length:\n{ra}\n---\n{rb}")
    }
}

/// Removes lines, then single characters, while `bad` still holds: a small
/// reproducer for a failure message.
fn minimize(text: &str, bad: impl Fn(&str) -> bool) -> String {
    let mut cur = text.to_string();
    let mut progress = true;
    while progress {
        progress = false;
        let lines: Vec<&str> = cur.split_inclusive('\n').collect();
        for i in 0..lines.len() {
            let cand: String = lines
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, l)| *l)
                .collect();
            if bad(&cand) {
                cur = cand;
                progress = true;
                break;
            }
        }
        if progress {
            continue;
        }
        let idx: Vec<usize> = cur.char_indices().map(|(i, _)| i).collect();
        for &i in &idx {
            let mut cand = cur.clone();
            cand.remove(i);
            if bad(&cand) {
                cur = cand;
                progress = true;
                break;
            }
        }
    }
    cur
}

/// The fast path disagrees with the saphyr path on `text`.
fn fast_differs(text: &str) -> bool {
    parse_fast(text).is_some_and(|fast| fast != parse_saphyr(text))
}

/// Checks the fast path against the saphyr path; returns whether the fast
/// path produced a tree.
fn check_fast(text: &str) -> bool {
    let Some(fast) = parse_fast(text) else {
        return false;
    };
    let slow = parse_saphyr(text);
    if fast != slow {
        let small = minimize(text, fast_differs);
        let (f, s) = (parse_fast(&small).unwrap(), parse_saphyr(&small));
        panic!(
            "fast path differs from the saphyr path\ninput: {text:?}\nminimized: {small:?}\n{}",
            first_difference(&s, &f)
        );
    }
    assert_eq!(parse(text), slow, "parse() must be the fast tree");
    true
}

/// The items of the root sequence of a file, if it is one clean document
/// with a block sequence at its root.
fn root_items(file: &YamlFile) -> Option<&[Node]> {
    if !file.errors.is_empty() || file.documents.len() != 1 {
        return None;
    }
    match &file.documents[0].root.as_ref()?.kind {
        NodeKind::Sequence { items, flow: false } => Some(items),
        _ => None,
    }
}

/// Outcome of the item-by-item check.
#[derive(Debug, PartialEq)]
enum Items {
    /// `split_items` gave `None`.
    NotSplit,
    /// Some item did not parse on its own.
    SomeNone,
    /// Every item parsed, and they match the whole-file parse.
    Match(usize),
}

/// Every item parses alone, but the items are not those of the whole-file
/// parse.
fn items_differ(text: &str) -> bool {
    let Some(ranges) = split_items(text) else {
        return false;
    };
    let Some(items) = ranges
        .iter()
        .map(|r| parse_item(text, r.clone()))
        .collect::<Option<Vec<Node>>>()
    else {
        return false;
    };
    assert!(!items.is_empty(), "{text:?}: no ranges");
    root_items(&parse(text)) != Some(items.as_slice())
}

/// Checks `split_items`/`parse_item` against `parse`.
fn check_items(text: &str) -> Items {
    if items_differ(text) {
        let small = minimize(text, items_differ);
        let ranges = split_items(&small).unwrap();
        let alone: Vec<Option<Node>> = ranges
            .iter()
            .map(|r| parse_item(&small, r.clone()))
            .collect();
        panic!(
            "items differ from the whole-file parse\ninput: {text:?}\nminimized: {small:?}\nwhole: {}\nalone: {alone:?}\nfast path alone: {:?}",
            render(&parse(&small)),
            ranges.iter().map(|r| parse_fast(&small[r.clone()]).is_some()).collect::<Vec<_>>()
        );
    }
    let Some(ranges) = split_items(text) else {
        return Items::NotSplit;
    };
    // Contiguous, covering the text, each (but the first) at a `-` at
    // column 0.
    if let (Some(first), Some(last)) = (ranges.first(), ranges.last()) {
        assert_eq!(first.start, 0, "{text:?}");
        assert_eq!(last.end, text.len(), "{text:?}");
    }
    for w in ranges.windows(2) {
        assert_eq!(w[0].end, w[1].start, "{text:?}");
        assert!(text[w[1].clone()].starts_with('-'), "{text:?}: {ranges:?}");
    }
    let items: Option<Vec<Node>> = ranges.iter().map(|r| parse_item(text, r.clone())).collect();
    let file = parse(text);
    let Some(items) = items else {
        return Items::SomeNone;
    };
    assert!(!items.is_empty(), "{text:?}: no ranges");
    let Some(whole) = root_items(&file) else {
        panic!(
            "every item parses alone but the file does not parse cleanly\ninput: {text:?}\n{}",
            render(&file)
        );
    };
    if whole != items.as_slice() {
        let n = whole.iter().zip(&items).take_while(|(a, b)| a == b).count();
        panic!(
            "items differ from the whole-file parse at item {n} ({} vs {} items)\ninput: {text:?}\nwhole: {:?}\nalone: {:?}",
            whole.len(),
            items.len(),
            whole.get(n),
            items.get(n)
        );
    }
    // The root spans from the first item's `-` to the last item's end.
    let root = file.documents[0].root.as_ref().unwrap();
    let first_dash = text[ranges[0].clone()]
        .split_inclusive(['\n', '\r'])
        .scan(0, |at, line| {
            let start = *at;
            *at += line.len();
            Some((start, line))
        })
        .find(|(_, line)| line.trim_start_matches('\u{feff}').starts_with('-'))
        .map(|(at, line)| at + (line.len() - line.trim_start_matches('\u{feff}').len()))
        .unwrap();
    assert_eq!(root.span.start as usize, first_dash, "{text:?}");
    assert_eq!(root.span.end, items.last().unwrap().span.end);
    Items::Match(items.len())
}

/// Both checks, on a text and on its variants (CRLF line ends, a tab after
/// every `: `, no final line break). Returns whether the fast path took the
/// original text.
fn check_all(text: &str) -> bool {
    let took = check_fast(text);
    check_items(text);
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    check_fast(&crlf);
    check_items(&crlf);
    let tabbed = text.replacen(": ", ":\t", 3);
    check_fast(&tabbed);
    let trimmed = text.trim_end_matches(['\n', '\r']);
    check_fast(trimmed);
    check_items(trimmed);
    took
}

// ---------------------------------------------------------------------------
// Corpus: files and the string literals of test sources
// ---------------------------------------------------------------------------

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Files with extension `ext` under `dir` (recursively), sorted.
fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read(p: &Path) -> Option<String> {
    std::fs::read_to_string(p).ok()
}

/// Bundled rules, docs examples and the analysis fixtures.
fn yaml_files() -> Vec<(String, String)> {
    let ws = workspace();
    let mut out = Vec::new();
    for dir in [
        "rules",
        "docs/examples",
        "crates/falconer-analysis/tests/fixtures",
    ] {
        for p in files_under(&ws.join(dir), "yaml") {
            if let Some(t) = read(&p) {
                out.push((p.display().to_string(), t));
            }
        }
    }
    out
}

/// Falco's official rules, when a copy is in `/tmp/official` (they are
/// not part of this repository).
fn official_files() -> &'static [(String, String)] {
    static FILES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        files_under(Path::new("/tmp/official"), "yaml")
            .into_iter()
            .filter_map(|p| Some((p.display().to_string(), read(&p)?)))
            .collect()
    })
}

/// The YAML files embedded in the analysis conformance cases
/// (`--- file: NAME` sections), when present.
fn conformance_snippets() -> Vec<String> {
    let dir = workspace().join("crates/falconer-analysis/tests/conformance");
    let mut out = Vec::new();
    for p in files_under(&dir, "txt") {
        let Some(t) = read(&p) else { continue };
        let mut cur: Option<String> = None;
        for line in t.split_inclusive('\n') {
            if line.starts_with("--- file:")
                || line.starts_with("--- expect")
                || line.starts_with("### ")
            {
                out.extend(cur.take());
                if line.starts_with("--- file:") {
                    cur = Some(String::new());
                }
            } else if let Some(c) = &mut cur {
                c.push_str(line);
            }
        }
        out.extend(cur);
    }
    out
}

/// The string literals of Rust sources (regular, byte and raw strings),
/// decoded. A small lexer: enough for our own sources.
fn string_literals(src: &str) -> Vec<String> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '\'' => {
                // A char literal, or a lifetime.
                if c.get(i + 1) == Some(&'\\') {
                    i += 2;
                    while i < c.len() && c[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if c.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            'r' if (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#'))
                && (i == 0
                    || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_')
                    || c[i - 1] == 'b') =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while c.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if c.get(j) != Some(&'"') {
                    i += 1;
                    continue;
                }
                j += 1;
                let start = j;
                loop {
                    if j >= c.len() {
                        return out;
                    }
                    if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
                        break;
                    }
                    j += 1;
                }
                out.push(c[start..j].iter().collect());
                i = j + 1 + hashes;
            }
            '"' => {
                let mut s = String::new();
                let mut j = i + 1;
                while j < c.len() && c[j] != '"' {
                    if c[j] == '\\' && j + 1 < c.len() {
                        j += 1;
                        match c[j] {
                            'n' => s.push('\n'),
                            'r' => s.push('\r'),
                            't' => s.push('\t'),
                            '0' => s.push('\0'),
                            '\\' | '"' | '\'' => s.push(c[j]),
                            'x' => {
                                let hex: String = c[j + 1..(j + 3).min(c.len())].iter().collect();
                                if let Ok(v) = u8::from_str_radix(&hex, 16) {
                                    s.push(v as char);
                                }
                                j += 2;
                            }
                            'u' => {
                                let close = (j..c.len()).find(|&k| c[k] == '}').unwrap_or(j);
                                let hex: String = c[(j + 2).min(close)..close].iter().collect();
                                if let Some(ch) =
                                    u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                                {
                                    s.push(ch);
                                }
                                j = close;
                            }
                            '\n' => {
                                while j + 1 < c.len() && c[j + 1].is_whitespace() {
                                    j += 1;
                                }
                            }
                            other => s.push(other),
                        }
                        j += 1;
                    } else {
                        s.push(c[j]);
                        j += 1;
                    }
                }
                out.push(s);
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// String literals of this crate's sources and tests, and of the analysis
/// crate's tests.
fn test_strings() -> Vec<String> {
    let ws = workspace();
    let mut out = Vec::new();
    for dir in [
        "crates/falconer-yaml/src",
        "crates/falconer-yaml/tests",
        "crates/falconer-analysis/tests",
        "crates/falconer-analysis/src",
    ] {
        for p in files_under(&ws.join(dir), "rs") {
            if let Some(t) = read(&p) {
                out.extend(string_literals(&t));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Prints a bail-out summary line.
fn report(what: &str, took: usize, total: usize) {
    println!(
        "fast path: {what}: {took}/{total} taken, {} bailed ({:.1}%)",
        total - took,
        100.0 * (total - took) as f64 / total.max(1) as f64
    );
}

#[test]
fn lexer_reads_our_literals() {
    let src = "let a = \"x\\ny\\u{e9}\"; // \"no\"\nlet b = r#\"q\"#; let c = '\"'; let d = b\"z\";\nfn f<'t>(s: &'t str) { \"w\\\n    v\" }";
    assert_eq!(
        string_literals(src),
        ["x\nyé", "q", "z", "wv"].map(String::from)
    );
}

#[test]
fn corpus_files() {
    let files = yaml_files();
    assert!(files.len() > 20, "fixtures not found");
    let mut took = 0;
    let mut split = 0;
    for (name, text) in &files {
        let t = check_all(text);
        took += t as usize;
        if matches!(check_items(text), Items::Match(_)) {
            split += 1;
        }
        if name.ends_with("rules/falconer_rules.yaml") {
            assert!(t, "{name}: the fast path must take the bundled rules");
            assert_eq!(
                check_items(text),
                Items::Match(
                    falconer_testgen::rule_count(text) + {
                        // lists, macros and the engine version
                        text.lines()
                            .filter(|l| l.starts_with("- ") && !l.starts_with("- rule:"))
                            .count()
                    }
                )
            );
        }
    }
    report(
        "bundled rules, docs examples and analysis fixtures",
        took,
        files.len(),
    );
    println!("items: {split}/{} files parse item by item", files.len());
}

#[test]
fn official_rules() {
    let files = official_files();
    if files.is_empty() {
        println!("no official rules in /tmp/official: skipped");
        return;
    }
    for (name, text) in files {
        assert!(check_all(text), "{name}: the fast path bailed");
        assert!(
            matches!(check_items(text), Items::Match(n) if n > 10),
            "{name}: not item by item"
        );
    }
    report("official rules", files.len(), files.len());
}

#[test]
fn generated_rules() {
    let big = falconer_testgen::generate(4500);
    assert!(
        check_all(&big),
        "the fast path bailed on the generated rules"
    );
    assert!(matches!(check_items(&big), Items::Match(n) if n > 100));
    let mut took = 1;
    for n in 1..6 {
        let c = falconer_testgen::copy(n);
        took += check_all(&c) as usize;
        assert!(matches!(check_items(&c), Items::Match(_)));
    }
    report("generated rules", took, 6);
    assert_eq!(took, 6);
}

#[test]
fn conformance_and_test_strings() {
    let snippets = conformance_snippets();
    let mut took = 0;
    for s in &snippets {
        took += check_all(s) as usize;
    }
    report("analysis conformance snippets", took, snippets.len());
    let strings = test_strings();
    assert!(strings.len() > 200, "{}", strings.len());
    let mut took = 0;
    for s in &strings {
        took += check_all(s) as usize;
    }
    report(
        "string literals of our sources and tests",
        took,
        strings.len(),
    );
}

/// Hand-written cases at the edges of the subset.
#[test]
fn edge_cases() {
    let cases = [
        // Values on the lines below their key.
        "- rule: r\n  priority:\n    WARNING\n  condition:\n    a and\n    b\n",
        "- rule: r\n  a:   # c\n    b\n  c: # c\n\n    # d\n    [e]\n",
        "- rule: r\n  items:\n    [a, b]\n  q:\n    'x\n     y'\n",
        "- rule: r\n  m:\n    a: b\n    c:\n      - d\n",
        // Indentless and indented nested sequences.
        "- rule: r\n  exceptions:\n  - name: a\n    fields: [x]\n  - name: b\n  tags: [t]\n",
        "- rule: r\n  exceptions:\n    - name: a\n      values:\n        - [a, b]\n        - [c]\n",
        "- rule: r\n  l:\n  - a\n  - 'b'\n  - \"c\"\n  -   d e\n      f\n",
        // Flow sequences over several lines, closed at the key's column.
        "- list: l\n  items: [\n    a, b,\n    c\n  ]\n",
        "- list: l\n  items: [\n  a, # c\n  'b'\n  ]\n- list: m\n  items: [x,\n   y]\n",
        "- list: l\n  items: [[a, b], [c, d], ]\n",
        "- list: l\n  items: [a\n  ]\n",
        "- list: l\n  items: [a\n  , b]\n",
        "- list: l\n  items: [a,\n  b\n  ]\n",
        "- list: l\n  items: [a\n  b]\n",
        "- list: l\n  items: [\na]\n",
        "- list: l\n  items: []\n- list: m\n  items: [ ]\n",
        // Block scalars.
        "- rule: r\n  a: |\n    x\n\n  b: >-\n      y\n     z\n  c: |+\n\n  d: |2\n     e\n",
        "- rule: r\n  a: >\n\n    x\n     y\n    z\n\n\n",
        "- rule: r\n  a: |\n  b: c\n",
        "- rule: r\n  a: |   # c\n    x\n    # not a comment\n  # a comment\n  b: c\n",
        "- rule: r\n  a: |\n      x\n    y\n",
        // Comments and plain scalars.
        "- rule: r # c\n  a: b # c\n    d\n",
        "- rule: r\n  a: b\n    # c\n  e: f\n",
        "- rule: r\n  a: b\n    # c\n    d\n",
        "- rule: r\n  a: b#c\n  d: e:f\n  g: h :i\n",
        "- rule: r\n  a: x: y\n",
        "- rule: r\n  a: -1\n  b: -\n",
        "- rule: r\n  a: ~\n  ~: b\n  null: c\n  d: Null\n",
        "- 'q': 1\n  \"r\": 2\n  's' : 3\n",
        "- a\n- 'b'\n- [c]\n",
        "-\n- a: b\n",
        // Tabs, CR, BOM, NUL.
        "- rule:\tr\n  a:\t\tb\n  c: 'x:\ty'\n",
        "- rule: r\n\ta: b\n",
        "- rule: r\r  a: b\r",
        "\u{feff}- rule: r\n",
        "- rule: r\u{feff}\n",
        "- rule: r\n  a: 'x\u{feff}'\n",
        "- rule: r\0\n",
        "- rule: r\n  a: |\n    x\0\n",
        "# only\n# comments\n",
        "",
        "   \n",
        // Found by the random tests (the first two were bugs of the saphyr
        // path, the others of the fast path).
        "- s:\n      s:\n      - []",
        "- s: [e,{~: [],x: [],}]",
        "- s:\n  - -:",
        "- s:\n  - -x\n  - - a\n  t:\n    - - b\n",
        "- s: > #\u{feff}\n   e",
        "- e:\n  s: [[],{x: 1,x: é ',x: t}\n]",
        "#\0",
        // Document markers.
        "---\n- a: b\n",
        "--- # c\n# d\n- a: b\n...\n# e\n",
        "- a: b\n\n...   # x\n\n",
        "\u{feff}---\n- a: b\n",
        "\u{feff}- a: b\n  c: |1\n    x\n",
        "---\n",
        "--- - a\n",
        "---\n- a\n---\n- b\n",
        "- a\n...\n- b\n",
        "%YAML 1.2\n---\n- a\n",
        // Anchors across items: the alias item does not parse alone.
        "- a: &x b\n- c: *x\n",
        // Long keys (saphyr looks for a simple key's `:` over 1024
        // characters only).
        &format!("- {}: v\n", "k".repeat(1100)),
        &format!("- {}: v\n", "k".repeat(900)),
        // Outside the subset.
        "- a: &x b\n  c: *x\n",
        "- a: !!str b\n",
        "- {a: b}\n",
        "key: value\n",
        "- ? a\n  : b\n",
    ];
    for c in cases {
        check_all(c);
    }
    assert_eq!(check_items("- a: &x b\n- c: *x\n"), Items::SomeNone);
}

// ---------------------------------------------------------------------------
// Random rules-like documents
// ---------------------------------------------------------------------------

/// A small deterministic generator, with a level of noise: the percentage
/// of choices that go for something unusual or wrong.
struct Rng(u64, usize);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut rng = Rng(seed | 1, 0);
        rng.1 = match rng.below(10) {
            0..=4 => 0,
            5..=7 => 3,
            _ => 15,
        };
        rng
    }
    /// Something unusual, at the noise level.
    fn oops(&mut self) -> bool {
        self.1 > 0 && self.chance(self.1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "proc.name",
    "evt.type",
    "=",
    "in",
    "and",
    "not",
    "(a,",
    "b)",
    "open",
    "x1",
    "/usr/bin",
    "é",
    "中文",
    "true",
    "-1",
    "a:b",
    "a#b",
    "%proc.cmdline",
    "[x]",
    "{y}",
    "'s'",
    "\"d\"",
    ">",
    "|",
    "*",
    "&",
    "!",
    "@",
    ",",
    "-x",
    "?q",
    "<NA>",
];

const ODD_WORDS: &[&str] = &[
    "~", "null", "`", "a: b", "#c", "- x", "x:", "\t", "\u{feff}", "%", "@x", "[", "{", "'", "\"",
];

const KEYS: &[&str] = &[
    "rule",
    "desc",
    "condition",
    "output",
    "priority",
    "tags",
    "enabled",
    "items",
    "exceptions",
    "source",
    "append",
    "override",
    "name",
    "fields",
    "values",
    "comps",
];

/// An indentation of `n` spaces.
fn sp(n: usize) -> String {
    " ".repeat(n)
}

/// 1 to `max` words.
fn words_upto(rng: &mut Rng, max: usize) -> String {
    let n = 1 + rng.below(max);
    words(rng, n)
}

/// A mapping body of 1 to `max` entries.
fn mapping_upto(rng: &mut Rng, col: usize, depth: usize, max: usize) -> String {
    let n = 1 + rng.below(max);
    mapping_body(rng, col, depth, n)
}

/// A comment, maybe.
fn comment(rng: &mut Rng) -> &'static str {
    match rng.below(10) {
        0 => " # note",
        1 => "  #: x",
        _ => "",
    }
}

fn words(rng: &mut Rng, n: usize) -> String {
    let mut out = Vec::new();
    for i in 0..n.max(1) {
        let w = if rng.oops() {
            rng.pick(ODD_WORDS)
        } else if i == 0 {
            // Not an indicator first.
            rng.pick(&WORDS[..13])
        } else {
            rng.pick(WORDS)
        };
        out.push(w);
    }
    out.join(" ")
}

/// A column near `want`: mostly right, sometimes off.
fn col_near(rng: &mut Rng, want: usize) -> usize {
    if !rng.oops() {
        return want;
    }
    match rng.below(3) {
        0 => want.saturating_sub(1),
        1 => want + 1,
        _ => want.saturating_sub(2),
    }
}

/// A plain scalar, maybe over several lines, for a value in a mapping at
/// column `col`.
fn plain_value(rng: &mut Rng, col: usize) -> String {
    let mut s = words_upto(rng, 5);
    for _ in 0..rng.below(3) {
        if rng.chance(20) {
            s.push('\n');
        }
        s.push_str(if rng.chance(20) { "  \n" } else { "\n" });
        let extra = rng.below(3);
        s.push_str(&sp(col_near(rng, col + 2 + extra)));
        s.push_str(&words_upto(rng, 4));
    }
    s
}

fn quoted_value(rng: &mut Rng, col: usize) -> String {
    let double = rng.chance(50);
    let q = if double { '"' } else { '\'' };
    let mut s = String::from(q);
    for i in 0..1 + rng.below(4) {
        if i > 0 {
            match rng.below(4) {
                0 => {
                    s.push('\n');
                    s.push_str(&sp(col_near(rng, col + 2)));
                }
                1 if double => {
                    s.push_str("\\\n");
                    s.push_str(&sp(col_near(rng, col + 3)));
                }
                2 => {
                    s.push_str(" \n\n");
                    s.push_str(&sp(col_near(rng, col + 1)));
                }
                _ => s.push(' '),
            }
        }
        let mut w = rng.pick(&[
            "proc.name",
            "a b",
            "it''s",
            "x:y",
            "#h",
            "é",
            "%user.name",
            "[",
            "]",
            ",",
            "\\t",
            "\\x41",
            "\\u00e9",
            "\\\"",
            "\\\\",
            "\\n",
        ]);
        if rng.oops() {
            w = rng.pick(&["\\q", "'", "\"", "\\x4", "\\"]);
        }
        if double || !w.starts_with('\\') {
            s.push_str(w);
        }
    }
    s.push(q);
    if rng.oops() {
        s.push_str(rng.pick(&[":", " x", "#c", ",", "]"]));
    }
    s
}

fn block_value(rng: &mut Rng, col: usize) -> String {
    let mut s = String::from(rng.pick(&["|", ">"]));
    let header = rng.pick(&["", "", "-", "+", "2", "1-", "+3"]);
    s.push_str(header);
    let explicit = header
        .bytes()
        .find(u8::is_ascii_digit)
        .map(|d| (d - b'0') as usize);
    if rng.oops() {
        s.push_str(rng.pick(&["0", "9", " x", "#c", "-+"]));
    } else if rng.chance(10) {
        s.push_str("  # c");
    }
    let indent = match explicit {
        Some(d) => col + d,
        None => col + 2 + rng.below(2),
    };
    if rng.chance(90) {
        s.push('\n');
        s.push_str(&sp(col_near(rng, indent)));
        s.push_str(&words_upto(rng, 4));
    }
    for _ in 0..rng.below(5) {
        s.push('\n');
        match rng.below(8) {
            0 => {}
            1 => s.push_str(&sp(indent + 2)),
            2 => {
                s.push_str(&sp(indent + 2));
                s.push_str(&words(rng, 2));
            }
            3 => {
                s.push_str(&sp(col_near(rng, indent)));
                s.push_str("# in block");
            }
            _ => {
                s.push_str(&sp(col_near(rng, indent)));
                s.push_str(&words_upto(rng, 4));
            }
        }
    }
    for _ in 0..rng.below(3) {
        s.push('\n');
        if rng.chance(30) {
            s.push_str(&sp(rng.below(col + 1)));
        }
    }
    s
}

fn flow_value(rng: &mut Rng, col: usize, depth: usize) -> String {
    let mut s = String::from("[");
    let multi = rng.chance(40);
    let n = rng.below(5);
    for i in 0..n {
        if multi && rng.chance(50) {
            s.push_str(comment(rng));
            s.push('\n');
            s.push_str(&sp(match rng.below(4) {
                0 if rng.oops() => col.saturating_sub(2),
                0 | 1 => col,
                _ => col + 2,
            }));
        } else if i > 0 || rng.chance(30) {
            s.push(' ');
        }
        match rng.below(7) {
            0 if depth == 0 => s.push_str(&flow_value(rng, col, 1)),
            6 if depth == 0 => s.push_str(&flow_map(rng, col)),
            1 => s.push_str(rng.pick(&["\"a, b\"", "'c'", "\"x\\ny\"", "''"])),
            _ if rng.oops() => s.push_str(rng.pick(&[
                "?", "a: b", "-", "*", "&a", "#", "a #c", "{a: b}", ":", "a\n  b", "- x", "!t",
            ])),
            _ => s.push_str(rng.pick(&[
                "a",
                "proc.name",
                "/usr/bin/x",
                "\"runc:[0:PARENT]\"",
                "1",
                "~",
                "é",
                "a b",
                "x:y",
                "-x",
                "null",
                "a-b",
                "a#b",
                "x%",
                "a.b",
            ])),
        }
        if i + 1 < n || rng.chance(10) {
            s.push(',');
        } else if rng.oops() {
            s.push_str(",,");
        }
    }
    if multi && rng.chance(60) {
        s.push_str(comment(rng));
        s.push('\n');
        s.push_str(&sp(match rng.below(4) {
            0 => col,
            1 if rng.oops() => col.saturating_sub(2),
            2 => 0,
            _ => col + 2,
        }));
    }
    s.push(']');
    s
}

/// A one-line flow mapping (sometimes not on one line).
fn flow_map(rng: &mut Rng, col: usize) -> String {
    let mut s = String::from("{");
    let n = rng.below(4);
    for i in 0..n {
        s.push_str(if i > 0 {
            ", "
        } else if rng.chance(50) {
            " "
        } else {
            ""
        });
        s.push_str(rng.pick(&["rule", "'q k'", "\"d\"", "a b", "~", "x"]));
        s.push_str(if rng.oops() {
            rng.pick(&[":", ":x", " :", ",", ":\n  "])
        } else {
            ": "
        });
        match rng.below(5) {
            0 => s.push_str(&flow_value(rng, col, 1)),
            1 => s.push_str(rng.pick(&["'v'", "\"p=%proc.name\"", "{}", "{a: b}"])),
            _ => s.push_str(&words_upto(rng, 3).replace([',', '[', ']', '{', '}'], "")),
        }
    }
    if rng.chance(10) {
        s.push(',');
    }
    s.push_str(if rng.chance(50) { "}" } else { " }" });
    s
}

/// A block sequence of exception-like mappings (or of flow sequences) at
/// column `col`.
fn nested_seq(rng: &mut Rng, col: usize, depth: usize) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.below(3) {
        s.push('\n');
        s.push_str(&sp(col));
        s.push_str("- ");
        if rng.chance(30) || depth > 1 {
            s.push_str(&flow_value(rng, col + 2, 0));
        } else if rng.chance(20) {
            s.push_str(&plain_value(rng, col));
        } else {
            s.push_str(&mapping_upto(rng, col + 2, depth + 1, 3));
        }
        s.push_str(comment(rng));
    }
    s
}

/// The value of a key in a mapping at column `col` (starting right after
/// the `:`).
fn value(rng: &mut Rng, col: usize, depth: usize) -> String {
    match rng.below(if depth > 2 { 7 } else { 10 }) {
        0 => format!(" {}", plain_value(rng, col)),
        1 => format!(" {}", quoted_value(rng, col)),
        2 => format!(" {}", block_value(rng, col)),
        3 => format!(" {}", flow_value(rng, col, 0)),
        4 if rng.chance(30) => format!(" {}", flow_map(rng, col)),
        4 => format!(" {}", flow_value(rng, col, 0)),
        5 => comment(rng).to_string(),
        6 => format!(
            "\n{}{}",
            sp(col + 2),
            match rng.below(3) {
                0 => plain_value(rng, col),
                1 => quoted_value(rng, col),
                _ => flow_value(rng, col, 0),
            }
        ),
        7 => {
            let at = if rng.chance(50) { col } else { col + 2 };
            nested_seq(rng, at, depth)
        }
        8 => format!(
            "\n{}{}",
            sp(col + 2),
            mapping_upto(rng, col + 2, depth + 1, 2)
        ),
        _ => format!(" {}", words(rng, 1)),
    }
}

/// `n` entries of a block mapping at column `col`, the first one written
/// where the caller is (after `- ` or an indentation).
fn mapping_body(rng: &mut Rng, col: usize, depth: usize, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push('\n');
            if rng.chance(10) {
                s.push_str(&sp(rng.below(4)));
                s.push_str("# between keys\n");
            }
            if rng.chance(5) {
                s.push('\n');
            }
            s.push_str(&sp(col_near(rng, col)));
        }
        let key = match rng.below(20) {
            0 => "'quoted key'".to_string(),
            1 => "\"dq\"".to_string(),
            2 => "key with spaces ".to_string(),
            3 if rng.oops() => rng
                .pick(&["? k", "&a k", "!t k", "[k]", "k\n  j", "- k"])
                .to_string(),
            _ => rng.pick(KEYS).to_string(),
        };
        s.push_str(&key);
        s.push(':');
        s.push_str(&value(rng, col, depth));
        s.push_str(comment(rng));
    }
    s
}

/// A random rules-like document.
fn document(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::new();
    if rng.chance(5) {
        s.push('\u{feff}');
    }
    if rng.chance(10) {
        s.push_str(rng.pick(&["---\n", "--- # doc\n", "---\n\n"]));
    }
    if rng.chance(30) {
        s.push_str("# leading comment\n\n");
    }
    for _ in 0..1 + rng.below(6) {
        s.push_str("- ");
        if rng.chance(5) {
            s.push_str("  ");
        }
        let col = if s.ends_with("-   ") { 4 } else { 2 };
        match rng.below(12) {
            0 => s.push_str("required_engine_version: 0.31.0"),
            2 if rng.chance(50) => s.push_str(&flow_map(&mut rng, 2)),
            1 => {
                s.push_str("required_plugin_versions:");
                s.push_str(&nested_seq(&mut rng, col + 2, 1));
            }
            _ => {
                let n = 1 + rng.below(6);
                s.push_str(&mapping_body(&mut rng, col, 1, n));
            }
        }
        s.push('\n');
        if rng.chance(40) {
            s.push('\n');
        }
        if rng.chance(15) {
            s.push_str("# between items\n");
        }
    }
    if rng.chance(10) {
        s.push_str(rng.pick(&["...\n", "... # end\n\n# c\n", "...\n---\n- a\n", "..."]));
    }
    s
}

const FRAGMENTS: &[&str] = &[
    " ", "  ", "\t", "\n", "\n  ", "\n    ", "#", " #", ":", ": ", "-", "- ", "\n- ", "[", "]",
    ",", "'", "\"", "\\", "|", ">", "{", "}", "&a ", "*a", "!t ", "---", "...", "\r", "\r\n", "é",
    "\u{feff}", "\0", "?", "? ", "%", "~", "a", "''", "\\n",
];

/// Random edits of `text`.
fn mutate(text: &str, seed: u64) -> String {
    let mut rng = Rng(seed | 1, 0);
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(3) {
        let bounds: Vec<usize> = s
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(s.len()))
            .collect();
        let at = bounds[rng.below(bounds.len())];
        match rng.below(5) {
            0 | 1 => s.insert_str(at, rng.pick(FRAGMENTS)),
            2 => {
                let k = bounds.iter().position(|&b| b == at).unwrap();
                let end = bounds[(k + 1 + rng.below(4)).min(bounds.len() - 1)];
                s.replace_range(at..end, "");
            }
            3 => {
                // Re-indent a line.
                let ls = s[..at].rfind('\n').map_or(0, |i| i + 1);
                if rng.chance(50) {
                    s.insert_str(ls, &sp(1 + rng.below(2)));
                } else if s[ls..].starts_with(' ') {
                    s.remove(ls);
                }
            }
            _ => {
                // Duplicate or drop a line.
                let ls = s[..at].rfind('\n').map_or(0, |i| i + 1);
                let le = s[at..].find('\n').map_or(s.len(), |i| at + i + 1);
                let line = s[ls..le].to_string();
                if rng.chance(50) {
                    s.insert_str(le, &line);
                } else {
                    s.replace_range(ls..le, "");
                }
            }
        }
    }
    s
}

#[test]
fn generated_documents_are_mostly_taken() {
    // The generator must mostly produce documents in the subset, or the
    // property tests below would test little.
    let n = 400;
    let mut took = 0;
    let mut items = 0;
    for seed in 0..n {
        let doc = document(seed * 7919 + 13);
        took += check_all(&doc) as usize;
        items += matches!(check_items(&doc), Items::Match(_)) as usize;
    }
    report("random rules-like documents", took, n as usize);
    println!("items: {items}/{n} random documents parse item by item");
    assert!(took * 3 > n as usize, "{took}/{n}");
}

/// Cases per property: `FAST_PATH_CASES` or `default`.
fn cases(default: u32) -> u32 {
    std::env::var("FAST_PATH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn random_documents(seed in any::<u64>()) {
        check_all(&document(seed));
    }

    #[test]
    fn mutated_documents(seed in any::<u64>(), edits in any::<u64>()) {
        let doc = mutate(&document(seed), edits);
        check_fast(&doc);
        check_items(&doc);
    }

    #[test]
    fn mutated_official_files(which in any::<usize>(), len in 1usize..4, edits in any::<u64>()) {
        // Mutations of a few items of Falco's official rules, when present.
        let files = official_files();
        if files.is_empty() {
            return Ok(());
        }
        let text = &files[which % files.len()].1;
        let ranges = split_items(text).unwrap();
        let first = (which / files.len()) % ranges.len();
        let last = (first + len).min(ranges.len()) - 1;
        let doc = mutate(&text[ranges[first].start..ranges[last].end], edits);
        check_fast(&doc);
        check_items(&doc);
    }

    #[test]
    fn mutated_real_files(which in any::<usize>(), edits in any::<u64>()) {
        // Mutations of an item of the bundled rules.
        let text = falconer_testgen::BUNDLED;
        let ranges = split_items(text).unwrap();
        let r = &ranges[1 + which % (ranges.len() - 1)];
        let doc = mutate(&text[r.clone()], edits);
        check_fast(&doc);
        check_items(&doc);
    }
}

/// Lists the inputs of the corpus that the saphyr path parses without
/// error but the fast path declines (to review the subset):
/// `cargo test -p falconer-yaml --test fast_path show_clean_bails -- --ignored --nocapture`.
#[test]
#[ignore]
fn show_clean_bails() {
    let mut all: Vec<String> = conformance_snippets();
    all.extend(yaml_files().into_iter().map(|(_, t)| t));
    all.extend(test_strings());
    for s in &all {
        if parse_fast(s).is_none() && parse_saphyr(s).errors.is_empty() {
            println!("=== {s:?}");
        }
    }
}
