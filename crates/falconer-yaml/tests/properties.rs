//! Property tests: random condition-like strings written in every scalar
//! style decode back to themselves, and every word maps to the same text in
//! the source.

use falconer_text::Span;
use falconer_yaml::{parse, Scalar, ScalarStyle};
use proptest::prelude::*;

/// A tiny deterministic generator for the encoders' choices.
struct Rng(u64);

impl Rng {
    fn bit(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 & 1 == 1
    }
}

const INDENT: &str = "    ";

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Positions of single spaces between two non-blank characters on a line:
/// where a line break can be written instead (flow folding gives a space
/// back).
fn foldable(v: &str, i: usize) -> bool {
    let b = v.as_bytes();
    b[i] == b' '
        && i > 0
        && i + 1 < b.len()
        && !matches!(b[i - 1], b' ' | b'\t' | b'\n')
        && !matches!(b[i + 1], b' ' | b'\t' | b'\n')
}

/// Plain style, when the value can be written plain.
fn plain(v: &str, rng: &mut Rng) -> Option<String> {
    let first = v.chars().next()?;
    let bad_start = "-?:,[]{}#&*!|>'\"%@` \t".contains(first);
    let last = v.chars().last()?;
    if bad_start
        || is_blank(last)
        || last == ':'
        || v.contains('\n')
        || v.contains('\t')
        || v.contains(": ")
        || v.contains(" #")
        || matches!(v, "~" | "null" | "Null" | "NULL")
    {
        return None;
    }
    let mut out = String::new();
    for (i, c) in v.char_indices() {
        let next = v[i + c.len_utf8()..].chars().next().unwrap_or(' ');
        if foldable(v, i) && (next.is_alphanumeric() || "(=".contains(next)) && rng.bit() {
            out.push('\n');
            out.push_str(INDENT);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Writes each `\n` of a quoted value as line breaks (n newlines need n + 1
/// breaks) and some single spaces as one break. `None` when a line of the
/// value starts or ends with a blank (folding would drop it).
fn fold_quoted(v: &str, escaped: impl Fn(char) -> String, rng: &mut Rng) -> Option<String> {
    let lines: Vec<&str> = v.split('\n').collect();
    if lines.len() > 1
        && lines
            .iter()
            .any(|l| l.starts_with(is_blank) || l.ends_with(is_blank))
    {
        return None;
    }
    let mut out = String::new();
    for (i, c) in v.char_indices() {
        if c == '\n' {
            // Only the first newline of a run writes the extra break.
            if i == 0 || v.as_bytes()[i - 1] != b'\n' {
                out.push('\n');
            }
            out.push('\n');
            if v.as_bytes().get(i + 1) != Some(&b'\n') {
                out.push_str(INDENT);
            }
        } else if foldable(v, i) && rng.bit() {
            out.push('\n');
            out.push_str(INDENT);
        } else {
            out.push_str(&escaped(c));
        }
    }
    Some(out)
}

fn single(v: &str, rng: &mut Rng) -> Option<String> {
    let body = fold_quoted(
        v,
        |c| {
            if c == '\'' {
                "''".into()
            } else {
                c.to_string()
            }
        },
        rng,
    )?;
    Some(format!("'{body}'"))
}

fn double(v: &str, rng: &mut Rng) -> Option<String> {
    let mut choices = Vec::new();
    for _ in 0..v.len() {
        choices.push((rng.bit(), rng.bit()));
    }
    let escape = |c: char, (a, b): (bool, bool)| -> String {
        match c {
            '\\' => "\\\\".into(),
            '"' => "\\\"".into(),
            '\t' if a => "\\t".into(),
            '\t' => "\\u0009".into(),
            '\n' => "\\n".into(),
            c if !c.is_ascii() && a && b => format!("\\U{:08x}", c as u32),
            c if !c.is_ascii() && a => format!("\\u{:04x}", c as u32).chars().take(6).collect(),
            c => c.to_string(),
        }
    };
    let mut out = String::from("\"");
    let chars: Vec<(usize, char)> = v.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let choice = choices[i.min(choices.len().saturating_sub(1))];
        // \u only fits characters of the basic plane.
        let choice = if (c as u32) > 0xffff && choice.0 && !choice.1 {
            (true, true)
        } else {
            choice
        };
        if foldable(v, i) && choice.0 && !choice.1 {
            out.push('\n');
            out.push_str(INDENT);
            continue;
        }
        out.push_str(&escape(c, choice));
        // An escaped line break between two characters, when the next one
        // is not a blank (its leading blanks would be dropped).
        if let Some(&(_, n)) = chars.get(k + 1) {
            if !is_blank(n) && n != '\n' && choice.1 && !choice.0 && rng.bit() {
                out.push_str("\\\n");
                out.push_str(INDENT);
            }
        }
    }
    out.push('"');
    Some(out)
}

/// Literal (`|`) or folded (`>`) block scalar.
fn block(v: &str, literal: bool, rng: &mut Rng) -> Option<String> {
    let body = v.trim_end_matches('\n');
    let trailing = v.len() - body.len();
    if body.is_empty() {
        return None;
    }
    let lines: Vec<&str> = body.split('\n').collect();
    if !literal && (lines.len() > 1 || body.starts_with(is_blank) || body.contains('\t')) {
        return None;
    }
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let explicit = lines
        .iter()
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with(is_blank))
        || lines
            .iter()
            .any(|l| !l.is_empty() && l.trim_start_matches(' ').is_empty())
        || rng.bit();
    let mut out = String::from(if literal { "|" } else { ">" });
    if explicit {
        out.push('2'); // parent mapping at column 2, content at 4
    }
    out.push_str(chomp);
    out.push('\n');
    for line in &lines {
        if !line.is_empty() {
            out.push_str(INDENT);
            if literal {
                out.push_str(line);
            } else {
                for (i, c) in line.char_indices() {
                    if foldable(line, i) && rng.bit() {
                        out.push('\n');
                        out.push_str(INDENT);
                    } else {
                        out.push(c);
                    }
                }
            }
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    // The caller adds the line break ending the last line.
    out.pop();
    Some(out)
}

fn condition_of(src: &str) -> Result<(falconer_yaml::Node, Scalar), TestCaseError> {
    let file = parse(src);
    prop_assert!(file.errors.is_empty(), "{:?}: {:?}", src, file.errors);
    let root = file.documents[0].root.clone().unwrap();
    let item = root.as_sequence().unwrap()[0].clone();
    let node = item.get("condition").unwrap().value.clone();
    let s = node.as_scalar().cloned();
    prop_assert!(s.is_some(), "{:?}: not a scalar: {:?}", src, node);
    Ok((node, s.unwrap()))
}

/// Words of the value (runs of non-whitespace) with their ranges.
fn words(v: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in v.char_indices().chain(std::iter::once((v.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

/// Checks the decoded value and the mapping. `verbatim` says which words
/// the encoder wrote as they are (and so must map to identical text).
fn check(
    v: &str,
    scalar_src: &str,
    style: ScalarStyle,
    verbatim: impl Fn(&str) -> bool,
) -> Result<(), TestCaseError> {
    let src = format!("- rule: r\n  condition: {scalar_src}\n  output: o\n");
    let (node, s) = condition_of(&src)?;
    prop_assert_eq!(&s.value, v, "{:?}", src);
    prop_assert_eq!(s.style, style);
    for p in &s.pieces {
        if p.copied {
            let value = &s.value[p.value_start as usize..(p.value_start + p.len) as usize];
            let text = &src[p.source_start as usize..(p.source_start + p.len) as usize];
            prop_assert_eq!(value, text);
        }
    }
    for (ws, we) in words(v) {
        let word = &v[ws..we];
        let span = s.source_span(Span::new(ws as u32, we as u32));
        prop_assert!(node.span.start <= span.start && span.end <= node.span.end);
        let copied = s.pieces.iter().any(|p| {
            p.copied && p.value_start as usize <= ws && we <= (p.value_start + p.len) as usize
        });
        if verbatim(word) {
            // Every byte copied (an escaped line break may split the word
            // into two copied pieces).
            let all = (ws..we).all(|i| {
                s.pieces.iter().any(|p| {
                    p.copied && p.value_start as usize <= i && i < (p.value_start + p.len) as usize
                })
            });
            prop_assert!(all, "{:?}: word {:?} not copied: {:?}", src, word, s.pieces);
        }
        if copied {
            prop_assert_eq!(&src[span.range()], word, "{:?}", src);
        }
    }
    let mut last = 0;
    for i in 0..=v.len() as u32 {
        let o = s.source_offset(i);
        prop_assert!(o >= last && node.span.start <= o && o <= node.span.end);
        last = o;
    }
    Ok(())
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_.]{1,8}",
        2 => prop::sample::select(vec![
            "proc.name", "evt.type", "=", "!=", "and", "or", "not", "in", "(", ")",
            "x1", "/usr/bin", "é", "中文", "😀", "ü.x",
        ]).prop_map(String::from),
        1 => prop::sample::select(vec![
            "'", "\"", "\\", "''", "\\n", "x\"y", "a'b", "a:b", "#x", "-", ",", "[",
            "]", "{", "}", "\t", "*", "&", "!", "|", ">", "%", "@", "?", "~",
        ]).prop_map(String::from),
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (token(), prop::sample::select(vec![" ", " ", " ", "  ", ""])),
        1..8,
    )
    .prop_map(|parts| {
        let mut s = String::new();
        for (i, (t, sep)) in parts.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            s.push_str(t);
        }
        s
    })
}

fn value() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 1..4),
        prop::sample::select(vec!["\n", "\n", "\n\n"]),
        0usize..3,
    )
        .prop_map(|(lines, sep, trailing)| {
            let mut s = lines.join(sep);
            for _ in 0..trailing {
                s.push('\n');
            }
            s
        })
}

fn plain_word(w: &str) -> bool {
    w.chars()
        .all(|c| c.is_ascii_alphanumeric() || "._/=()".contains(c))
}

/// Fragments of YAML syntax, to build random (mostly broken) files.
fn fragment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "- ",
        "? ",
        ": ",
        "key: ",
        "k2:",
        "\n",
        "\n  ",
        "\n    ",
        "\r\n",
        " ",
        "\t",
        "  ",
        "# c",
        " # c\n",
        "&a ",
        "*a",
        "!!str ",
        "!t ",
        "|",
        "|-",
        "|+",
        ">",
        ">-",
        "|2",
        ">1+",
        "'",
        "''",
        "\"",
        "\\",
        "\\n",
        "\\\n",
        "[",
        "]",
        "{",
        "}",
        ",",
        "abc",
        "é",
        "x y",
        "---",
        "...",
        "\n- ",
        "\n  - ",
        "\n  k: ",
        "proc.name",
        "\\x41",
        "\\u00e9",
        "\\ ",
        "😀",
        "\r",
        "k: \"",
        "- '",
        "\u{feff}",
        "%",
    ])
    .prop_map(String::from)
}

fn fuzz_line() -> impl Strategy<Value = String> {
    (
        0usize..7,
        prop::collection::vec(fragment(), 0..4),
        prop::sample::select(vec!["\n", "\r\n", "\n\n", " \n", "\t\n"]),
    )
        .prop_map(|(indent, parts, end)| format!("{}{}{}", " ".repeat(indent), parts.concat(), end))
}

/// Checks every node of a parsed file: spans inside the text on character
/// boundaries, copied pieces equal to their source, a quoted or block
/// scalar's span starting at its quote or header, and no scalar left with
/// the coarse mapping used when our decoding disagrees with saphyr's.
fn check_tree(text: &str) -> Result<(), TestCaseError> {
    let file = parse(text);
    let mut nodes: Vec<&falconer_yaml::Node> = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .collect();
    for d in &file.documents {
        prop_assert!(d.span.end as usize <= text.len());
    }
    for e in &file.errors {
        prop_assert!(e.span.end as usize <= text.len());
    }
    while let Some(n) = nodes.pop() {
        let (s, e) = (n.span.start as usize, n.span.end as usize);
        prop_assert!(s <= e && e <= text.len(), "{:?}: {:?}", text, n);
        prop_assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
        match &n.kind {
            falconer_yaml::NodeKind::Scalar(sc) => {
                for p in &sc.pieces {
                    if p.copied && p.len > 0 {
                        let v = &sc.value[p.value_start as usize..(p.value_start + p.len) as usize];
                        let t = &text[p.source_start as usize..(p.source_start + p.len) as usize];
                        prop_assert_eq!(v, t);
                    }
                }
                let first = text[s..].chars().next();
                let expected = match sc.style {
                    ScalarStyle::SingleQuoted => Some('\''),
                    ScalarStyle::DoubleQuoted => Some('"'),
                    ScalarStyle::Literal => Some('|'),
                    ScalarStyle::Folded => Some('>'),
                    ScalarStyle::Plain => first,
                };
                // An alias's clone spans the alias instead.
                if first != Some('*') {
                    prop_assert_eq!(first, expected, "{:?}: {:?}", text, n);
                }
                let coarse = matches!(
                    sc.pieces.first(),
                    Some(p) if !p.copied && p.len as usize == sc.value.len() && p.source_start == n.span.start
                );
                prop_assert!(!coarse, "{:?}: coarse mapping for {:?}", text, n);
            }
            falconer_yaml::NodeKind::Sequence { items, .. } => nodes.extend(items),
            falconer_yaml::NodeKind::Mapping { entries, .. } => {
                for e in entries {
                    nodes.push(&e.key);
                    nodes.push(&e.value);
                }
            }
            falconer_yaml::NodeKind::Null => {}
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random files made of YAML fragments (most are broken).
    #[test]
    fn random_fragments(parts in prop::collection::vec(fragment(), 0..30)) {
        check_tree(&parts.concat())?;
    }

    /// Random lines of fragments with random indentation.
    #[test]
    fn random_lines(lines in prop::collection::vec(fuzz_line(), 0..12)) {
        check_tree(&lines.concat())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn plain_style(v in line(), seed in any::<u64>()) {
        if let Some(src) = plain(&v, &mut Rng(seed | 1)) {
            check(&v, &src, ScalarStyle::Plain, |_| true)?;
        }
    }

    #[test]
    fn single_quoted_style(v in value(), seed in any::<u64>()) {
        if let Some(src) = single(&v, &mut Rng(seed | 1)) {
            check(&v, &src, ScalarStyle::SingleQuoted, |w| !w.contains('\''))?;
        }
    }

    #[test]
    fn double_quoted_style(v in value(), seed in any::<u64>()) {
        if let Some(src) = double(&v, &mut Rng(seed | 1)) {
            check(&v, &src, ScalarStyle::DoubleQuoted, plain_word)?;
        }
    }

    #[test]
    fn literal_style(v in value(), seed in any::<u64>()) {
        if let Some(src) = block(&v, true, &mut Rng(seed | 1)) {
            check(&v, &src, ScalarStyle::Literal, |_| true)?;
        }
    }

    #[test]
    fn folded_style(v in line(), nl in 0usize..3, seed in any::<u64>()) {
        let v = format!("{v}{}", "\n".repeat(nl));
        if let Some(src) = block(&v, false, &mut Rng(seed | 1)) {
            check(&v, &src, ScalarStyle::Folded, |_| true)?;
        }
    }

    #[test]
    fn crlf_everywhere(v in line(), seed in any::<u64>()) {
        let mut rng = Rng(seed | 1);
        let encodings = [
            (plain(&v, &mut rng), ScalarStyle::Plain),
            (single(&v, &mut rng), ScalarStyle::SingleQuoted),
            (double(&v, &mut rng), ScalarStyle::DoubleQuoted),
            (block(&v, true, &mut rng), ScalarStyle::Literal),
        ];
        for (enc, style) in encodings {
            let Some(enc) = enc else { continue };
            let src = format!("- rule: r\r\n  condition: {}\r\n  output: o\r\n", enc.replace('\n', "\r\n"));
            let (_, s) = condition_of(&src)?;
            prop_assert_eq!(&s.value, &v, "{:?}", src);
            prop_assert_eq!(s.style, style);
            for (ws, we) in words(&v) {
                let copied = s.pieces.iter().any(|p| {
                    p.copied && p.value_start as usize <= ws && we <= (p.value_start + p.len) as usize
                });
                if copied {
                    let span = s.source_span(Span::new(ws as u32, we as u32));
                    prop_assert_eq!(&src[span.range()], &v[ws..we]);
                }
            }
        }
    }

    /// Any input: no panic, spans inside the text on character boundaries,
    /// copied pieces equal to their source.
    #[test]
    fn arbitrary_input_is_safe(text in "[-\\[\\]{}:,#&*!|>'\"\\\\ \t\r\na-c?.~é\u{feff}\0]{0,80}") {
        check_tree(&text)?;
    }
}
