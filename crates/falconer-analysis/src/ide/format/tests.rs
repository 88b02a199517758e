//! Unit tests of the formatter; the properties over real and generated
//! rules files and the before/after fixtures are in
//! `tests/format_properties.rs`.

use super::condition::{equivalent, Cond};
use super::*;

fn fmt(text: &str) -> String {
    format_text(text, &FormatOptions::default()).unwrap()
}

fn fmt_width(text: &str, width: usize) -> String {
    let opts = FormatOptions {
        width,
        ..FormatOptions::default()
    };
    format_text(text, &opts).unwrap()
}

fn macro_(cond: &str) -> String {
    format!("- macro: m\n  condition: {cond}\n")
}

#[test]
fn spacing_is_normalised() {
    let t = macro_("(evt.type in (open,openat) and proc.name=cat)");
    assert_eq!(
        fmt(&t),
        macro_("(evt.type in (open, openat) and proc.name = cat)")
    );
}

#[test]
fn canonical_flat_forms() {
    let cases = [
        ("a.b=c", "a.b = c"),
        ("a.b  in(x,y ,z)", "a.b in (x, y, z)"),
        ("not(a.b=c)", "not (a.b = c)"),
        ("not   not a", "not not a"),
        ("( a or b )and c", "(a or b) and c"),
        ("tolower(a.b)=x", "tolower(a.b) = x"),
        ("join(\",\",a.b)=x", "join(\",\", a.b) = x"),
        ("getopt(a.b,\"c:\")[c]=x", "getopt(a.b, \"c:\")[c] = x"),
        ("a.b in ( )", "a.b in ()"),
        ("a.b = val(c.d)", "a.b = val(c.d)"),
        ("a.b[1]=x", "a.b[1] = x"),
        ("a.b[\"k\"] exists", "a.b[\"k\"] exists"),
        // Word rule: no blank between two non-delimiters.
        ("a.b>=1", "a.b>=1"),
        ("a.b!=x", "a.b!=x"),
        ("a.b<1", "a.b<1"),
        ("a.b = 'x'and c", "a.b = 'x'and c"),
        // Blanks next to a delimiter may go.
        ("a.b == x", "a.b == x"),
        ("a.b==x", "a.b == x"),
        ("a.b= x", "a.b = x"),
        ("a.b !=x", "a.b != x"),
        ("a.b = \"x  y\"", "a.b = \"x  y\""),
    ];
    for (input, want) in cases {
        let c = Cond::new(input).unwrap_or_else(|| panic!("{input}"));
        assert_eq!(c.flat(), want, "{input}");
        assert!(equivalent(input, want), "{input}");
    }
}

#[test]
fn conditions_that_do_not_parse_are_left_alone() {
    for c in ["a.b = (x", "and a", "a.b =", "a andb", "(a"] {
        assert!(Cond::new(c).is_none(), "{c}");
        let t = macro_(c);
        assert_eq!(fmt(&t), t);
    }
    // Parses, but a token crosses the end of a check: left alone too.
    for c in ["a.b existsand  c", "a.b existsor  c"] {
        assert!(Cond::new(c).is_none(), "{c}");
        let t = macro_(c);
        assert_eq!(fmt(&t), t);
    }
}

#[test]
fn equivalence_needs_same_tree_and_words() {
    assert!(equivalent("a.b=c", "a.b = c"));
    // The string changes.
    assert!(!equivalent("a.b = \"x y\"", "a.b = \"x  y\""));
    // A word is split (a list named `a.b` would now be substituted).
    assert!(!equivalent("a.b>=1", "a.b >= 1"));
    // Words joined.
    assert!(!equivalent("a or b", "aor b"));
    // Not parsing.
    assert!(!equivalent("a.b = (", "a.b =  ("));
}

#[test]
fn long_conditions_break_at_or_then_and() {
    let c = Cond::new("a.b = 1 or c.d = 2 and e.f = 3 or g").unwrap();
    let lines: Vec<String> = c
        .layout(12, 2)
        .into_iter()
        .map(|l| format!("{}{}", " ".repeat(l.indent), l.text))
        .collect();
    assert_eq!(
        lines,
        ["a.b = 1", "or c.d = 2", "  and e.f = 3", "or g"],
        "{lines:#?}"
    );
}

#[test]
fn groups_open_when_they_do_not_fit() {
    let c = Cond::new("a and not (b.c = 1 or d.e = 2) and f").unwrap();
    let lines: Vec<String> = c
        .layout(16, 2)
        .into_iter()
        .map(|l| format!("{}{}", " ".repeat(l.indent), l.text))
        .collect();
    assert_eq!(
        lines,
        ["a", "and not (", "  b.c = 1", "  or d.e = 2", ")", "and f"],
        "{lines:#?}"
    );
}

#[test]
fn long_lists_fill_lines() {
    let c = Cond::new("a.b in (xxxx, yyyy, zzzz, wwww)").unwrap();
    let lines: Vec<String> = c
        .layout(20, 2)
        .into_iter()
        .map(|l| format!("{}{}", " ".repeat(l.indent), l.text))
        .collect();
    assert_eq!(
        lines,
        ["a.b in (xxxx, yyyy,", "  zzzz, wwww)"],
        "{lines:#?}"
    );
}

#[test]
fn a_long_plain_scalar_becomes_a_block_scalar() {
    let t = macro_("aaaaaaaaaa and bbbbbbbbbb and cccccccccc");
    assert_eq!(
        fmt_width(&t, 30),
        "- macro: m\n  condition: >-\n    aaaaaaaaaa\n    and bbbbbbbbbb\n    and cccccccccc\n"
    );
    // Idempotent.
    let once = fmt_width(&t, 30);
    assert_eq!(fmt_width(&once, 30), once);
}

#[test]
fn block_scalars_keep_header_and_indentation() {
    let t = "- macro: m\n  condition: >  # keep me\n      a.b=1\n      and c\n\n# after\n- macro: n\n  condition: x\n";
    assert_eq!(
        fmt(t),
        "- macro: m\n  condition: >  # keep me\n      a.b = 1 and c\n\n# after\n- macro: n\n  condition: x\n"
    );
}

#[test]
fn plain_scalars_that_cannot_hold_the_result() {
    // ` #` would start a comment.
    let t = macro_("a.b=#x");
    assert_eq!(fmt(&t), "- macro: m\n  condition: >-\n    a.b = #x\n");
    // ... and with a comment after it, nothing can be done.
    let t = "- macro: m\n  condition: a.b=#x # note\n";
    assert_eq!(fmt(t), t);
}

#[test]
fn quoted_scalars_are_re_encoded() {
    assert_eq!(
        fmt("- macro: m\n  condition: \"a.b=\\\"x\\\"\"\n"),
        "- macro: m\n  condition: \"a.b = \\\"x\\\"\"\n"
    );
    assert_eq!(
        fmt("- macro: m\n  condition: 'a.b=''x'''\n"),
        "- macro: m\n  condition: 'a.b = ''x'''\n"
    );
    // A line break inside a string of the condition: left alone in a
    // single-quoted scalar, escaped in a double-quoted one.
    let t = "- macro: m\n  condition: 'a.b=\"x\n\n    y\"'\n";
    assert_eq!(fmt(t), t);
    assert_eq!(
        fmt("- macro: m\n  condition: \"a.b=\\\"x\\ny\\\"\"\n"),
        "- macro: m\n  condition: \"a.b = \\\"x\\ny\\\"\"\n"
    );
}

#[test]
fn only_rule_and_macro_conditions_change() {
    let t = "- list: l\n  items: [a,b]\n  condition: a.b=c\n- rule: r\n  desc: a  b\n  condition: a.b=c\n  output: \"%a.b  x\"\n  priority: INFO\n";
    assert_eq!(
        fmt(t),
        "- list: l\n  items: [a,b]\n  condition: a.b=c\n- rule: r\n  desc: a  b\n  condition: a.b = c\n  output: \"%a.b  x\"\n  priority: INFO\n"
    );
}

#[test]
fn lists_with_delimiters_in_their_names_are_respected() {
    // Formatting `(a, b )` to `(a, b)` would create the name `b)`, which
    // Falco would then substitute.
    let t = "- list: \"b)\"\n  items: [q]\n- macro: m\n  condition: x.y in (a, b )\n";
    assert_eq!(fmt(t), t);
    // The same list defined in another file of the workspace.
    let t = "- macro: m\n  condition: x.y in (a, b )\n";
    let opts = FormatOptions {
        list_names: vec!["b)".into()],
        ..FormatOptions::default()
    };
    assert_eq!(format_text(t, &opts).unwrap(), t);
    assert_eq!(fmt(t), "- macro: m\n  condition: x.y in (a, b)\n");
}

#[test]
fn yaml_errors_stop_formatting() {
    let t = "- macro: m\n  condition: a.b=c\n- macro: [\n";
    assert!(matches!(
        format_edits(t, None, &FormatOptions::default()),
        Err(FormatError::Yaml { .. })
    ));
}

#[test]
fn range_formatting_touches_only_the_range() {
    let t = "- macro: m\n  condition: a.b=c\n- macro: n\n  condition: d.e=f\n";
    let at = t.find("d.e").unwrap() as u32;
    let edits = format_edits(t, Some(Span::new(at, at + 1)), &FormatOptions::default()).unwrap();
    assert_eq!(
        apply_edits(t, &edits),
        "- macro: m\n  condition: a.b=c\n- macro: n\n  condition: d.e = f\n"
    );
}

#[test]
fn verification_rejects_changed_values() {
    let t = "- macro: m\n  condition: a.b=c\n  extra: x\n";
    let old = falconer_yaml::parse(t);
    assert!(verify(
        &old,
        "- macro: m\n  condition: a.b = c\n  extra: x\n",
        &[]
    ));
    // Another value changed, a condition's meaning changed, a key moved,
    // a style changed outside conditions, invalid YAML.
    for bad in [
        "- macro: m\n  condition: a.b=c\n  extra: y\n",
        "- macro: m\n  condition: a.b=d\n  extra: x\n",
        "- macro: m\n  extra: x\n  condition: a.b=c\n",
        "- macro: m\n  condition: a.b=c\n  extra: 'x'\n",
        "- macro: m\n  condition: a.b=c\n  extra: [x\n",
    ] {
        assert!(!verify(&old, bad, &[]), "{bad}");
    }
}

#[test]
fn block_scalars_with_trailing_blanks_and_blank_lines() {
    let t = "- macro: m\n  condition: >\n    a.b=1   \n\n    and c  \n\n- macro: n\n  condition: |-\n\n    x.y=2\n";
    let out = fmt(t);
    assert_eq!(
        out,
        "- macro: m\n  condition: >\n    a.b = 1 and c\n\n- macro: n\n  condition: |-\n    x.y = 2\n"
    );
    assert_eq!(fmt(&out), out);
}
