//! Value → source mapping for every scalar style, on rules-like documents.

use falconer_text::Span;
use falconer_yaml::{parse, Node, Scalar, ScalarStyle};

/// Parses `- rule: r\n  condition: <scalar>` and returns the condition.
fn condition(src: &str) -> (Node, Scalar) {
    let file = parse(src);
    assert!(file.errors.is_empty(), "{src:?}: {:?}", file.errors);
    let root = file.documents[0].root.clone().unwrap();
    let item = &root.as_sequence().unwrap()[0];
    let node = item.get("condition").unwrap().value.clone();
    let scalar = node.as_scalar().unwrap().clone();
    (node, scalar)
}

/// Every `proc.name` of the value maps to a `proc.name` of the source.
fn check(src: &str, value: &str, style: ScalarStyle) {
    let (node, s) = condition(src);
    assert_eq!(s.value, value, "{src:?}");
    assert_eq!(s.style, style);
    let expected = value.matches("proc.name").count();
    assert!(expected > 0);
    for (off, _) in value.match_indices("proc.name") {
        let at = s.source_offset(off as u32) as usize;
        assert!(
            src[at..].starts_with("proc.name"),
            "{src:?}: value offset {off} maps to {at}: {:?}",
            &src[at..]
        );
        let span = s.source_span(Span::new(off as u32, off as u32 + 9));
        assert_eq!(&src[span.range()], "proc.name", "{src:?}");
        assert!(node.span.start <= span.start && span.end <= node.span.end);
    }
    // The whole value maps inside the node, in order.
    let mut last = 0;
    for i in 0..=value.len() as u32 {
        let o = s.source_offset(i);
        assert!(o >= last, "{src:?}: not monotonic at {i}");
        assert!(
            node.span.start <= o && o <= node.span.end,
            "{src:?}: {i} → {o}"
        );
        last = o;
    }
}

/// The CRLF version of a test.
fn crlf(src: &str) -> String {
    src.replace('\n', "\r\n")
}

fn both(src: &str, value: &str, style: ScalarStyle) {
    check(src, value, style);
    check(&crlf(src), value, style);
}

#[test]
fn plain() {
    both(
        "- rule: r\n  condition: proc.name = x\n",
        "proc.name = x",
        ScalarStyle::Plain,
    );
    both(
        "- rule: r\n  condition: evt.type = open and\n    proc.name = cat   \n\n    and  proc.name in (a, b)\n  output: o\n",
        "evt.type = open and proc.name = cat\nand  proc.name in (a, b)",
        ScalarStyle::Plain,
    );
    both(
        "- rule: r\n  condition: \tproc.name = é and\n   \t proc.name = 中文 # comment\n",
        "proc.name = é and proc.name = 中文",
        ScalarStyle::Plain,
    );
}

#[test]
fn single_quoted() {
    both(
        "- rule: r\n  condition: 'proc.name = ''x'' and proc.name = y'\n",
        "proc.name = 'x' and proc.name = y",
        ScalarStyle::SingleQuoted,
    );
    both(
        "- rule: r\n  condition: 'a = ''b''\n     and proc.name = x  \n\n   and proc.name = é'  # c\n",
        "a = 'b' and proc.name = x\nand proc.name = é",
        ScalarStyle::SingleQuoted,
    );
}

#[test]
fn double_quoted() {
    both(
        "- rule: r\n  condition: \"proc.name = \\\"x\\\" and proc.name = y\"\n",
        "proc.name = \"x\" and proc.name = y",
        ScalarStyle::DoubleQuoted,
    );
    both(
        "- rule: r\n  condition: \"a = \\x41\\u00e9\\U0001F600 proc.name\\tproc.name\\n\\\n     proc.name = x \\\n   \\ proc.name\n\n   and proc.name\"\n",
        "a = Aé😀 proc.name\tproc.name\nproc.name = x  proc.name\nand proc.name",
        ScalarStyle::DoubleQuoted,
    );
}

#[test]
fn literal() {
    both(
        "- rule: r\n  condition: |\n    proc.name = x\n      and proc.name = y\n\n    and proc.name = z\n  output: o\n",
        "proc.name = x\n  and proc.name = y\n\nand proc.name = z\n",
        ScalarStyle::Literal,
    );
    both(
        "- rule: r\n  condition: |-   # comment\n\n    proc.name = x\n",
        "\nproc.name = x",
        ScalarStyle::Literal,
    );
    both(
        "- rule: r\n  condition: |+\n    proc.name = x\n\n\n- rule: s\n",
        "proc.name = x\n\n\n",
        ScalarStyle::Literal,
    );
    both(
        "- rule: r\n  condition: |2\n      proc.name = x\n     proc.name\n",
        "  proc.name = x\n proc.name\n",
        ScalarStyle::Literal,
    );
    both(
        "- rule: r\n  condition: !!str &c |1-\n     proc.name\n",
        "  proc.name",
        ScalarStyle::Literal,
    );
}

#[test]
fn folded() {
    both(
        "- rule: r\n  condition: >\n    evt.type = open\n    and proc.name = x\n\n    and proc.name = y\n      more indented proc.name\n    back proc.name\n",
        "evt.type = open and proc.name = x\nand proc.name = y\n  more indented proc.name\nback proc.name\n",
        ScalarStyle::Folded,
    );
    both(
        "- rule: r\n  condition: >-\n    proc.name\n    proc.name\n\n\n",
        "proc.name proc.name",
        ScalarStyle::Folded,
    );
    both(
        "- rule: r\n  condition: >+2\n    proc.name\n\n",
        "proc.name\n\n",
        ScalarStyle::Folded,
    );
}

#[test]
fn produced_bytes_map_to_their_construct() {
    let src = "- rule: r\n  condition: \"a\\tb\\u00e9\"\n";
    let (node, s) = condition(src);
    assert_eq!(s.value, "a\tbé");
    let esc = src.find("\\t").unwrap() as u32;
    assert_eq!(s.source_offset(1), esc);
    let span = s.source_span(Span::new(1, 2));
    assert_eq!(&src[span.range()], "\\t");
    let u = src.find("\\u").unwrap() as u32;
    assert_eq!(s.source_offset(3), u);
    assert_eq!(s.source_offset(4), u, "inside a multi-byte produced char");
    let span = s.source_span(Span::new(3, 5));
    assert_eq!(&src[span.range()], "\\u00e9");
    // End of value: just before the closing quote.
    assert_eq!(s.source_offset(s.value.len() as u32), node.span.end - 1);
    assert_eq!(&src[node.span.range()], "\"a\\tb\\u00e9\"");

    let src = "- rule: r\n  condition: 'it''s'\n";
    let (_, s) = condition(src);
    let q = src.find("''").unwrap() as u32;
    assert_eq!(s.source_offset(2), q);
    assert_eq!(&src[s.source_span(Span::new(2, 3)).range()], "''");

    // A folded line break maps to where the fold starts.
    let src = "- rule: r\n  condition: a   \n    b\n";
    let (_, s) = condition(src);
    assert_eq!(s.value, "a b");
    assert_eq!(s.source_offset(1), src.find("a   ").unwrap() as u32 + 1);
    assert_eq!(&src[s.source_span(Span::new(0, 3)).range()], "a   \n    b");
}

#[test]
fn value_end_maps_after_last_content() {
    let cases = [
        ("- rule: r\n  condition: |\n    ab\n\n  output: o\n", "ab"),
        ("- rule: r\n  condition: >+\n    ab\n\n\n", "ab"),
        ("- rule: r\n  condition: \"ab\\n\"\n", "ab\\n"),
        ("- rule: r\n  condition: 'ab'   # c\n", "ab"),
        ("- rule: r\n  condition: ab   # c\n", "ab"),
    ];
    for (src, before) in cases {
        let (_, s) = condition(src);
        let end = s.source_offset(s.value.len() as u32) as usize;
        assert!(src[..end].ends_with(before), "{src:?}: {end}");
    }
}

#[test]
fn node_spans_of_scalars() {
    let src = "- rule: r\n  a: &x !!str 'q'   # c\n  b: |\n    text\n\n  c: >-\n   t\n  d: plain  \n  e: \"dq\" \n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let root = file.documents[0].root.as_ref().unwrap();
    let item = &root.as_sequence().unwrap()[0];
    let text = |k: &str| &src[item.get(k).unwrap().value.span.range()];
    assert_eq!(text("a"), "'q'");
    assert_eq!(text("b"), "|\n    text");
    assert_eq!(text("c"), ">-\n   t");
    assert_eq!(text("d"), "plain");
    assert_eq!(text("e"), "\"dq\"");
    assert_eq!(item.get("a").unwrap().value.tag.as_deref(), Some("!!str"));
    assert_eq!(&src[item.span.range()], &src[2..src.len() - 2]);
}

#[test]
fn non_ascii_before_the_scalar() {
    // saphyr counts characters: byte offsets must still be exact.
    let src = "# é中😀\n- rule: ü\n  desc: \"😀😀\"\n  condition: proc.name = ü and\n    proc.name = 😀\n";
    check(src, "proc.name = ü and proc.name = 😀", ScalarStyle::Plain);
    let src = "\u{feff}- rule: é\n  condition: |\n    é proc.name\n";
    check(src, "é proc.name\n", ScalarStyle::Literal);
}

#[test]
fn tab_after_colon() {
    let src = "- rule:\tr\n  condition:\tproc.name = x\n  output: \"a:\tb\"\n";
    let (_, s) = condition(src);
    assert_eq!(s.value, "proc.name = x");
    let file = parse(src);
    let item = &file.documents[0]
        .root
        .as_ref()
        .unwrap()
        .as_sequence()
        .unwrap()[0];
    assert_eq!(item.get("rule").unwrap().value.as_str(), Some("r"));
    assert_eq!(item.get("output").unwrap().value.as_str(), Some("a:\tb"));
}

#[test]
fn saphyr_quirks_keep_exact_spans() {
    // saphyr counts bytes on directive lines: positions after a non-ASCII
    // directive must still be exact.
    let src = "%FOO 😀é\n---\n- rule: r\n  condition: proc.name = x\n";
    check(src, "proc.name = x", ScalarStyle::Plain);
    // A byte order mark takes no column: explicit indentation still works.
    let src = "\u{feff}rule: |1\n  proc.name\n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let v = &file.documents[0]
        .root
        .as_ref()
        .unwrap()
        .get("rule")
        .unwrap()
        .value;
    assert_eq!(v.as_str(), Some(" proc.name\n"));
    assert_eq!(&src[v.span.range()], "|1\n  proc.name");
    // A comment after a tab in a continuation line's indentation is read as
    // an empty line by saphyr.
    let src = "- rule: r\n  condition: proc.name = x\n\t# comment\n   and proc.name = y\n";
    check(src, "proc.name = x\nand proc.name = y", ScalarStyle::Plain);
}
