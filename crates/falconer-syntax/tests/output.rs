//! Output formats (LANGUAGE.md C.13) with a fake catalog.

use falconer_syntax::output::{
    parse_output, OutputFormat, OutputSegment, EMPTY, ENDS_WITH_NUMBER, ENDS_WITH_PERCENT,
    UNKNOWN_FILTER,
};
use falconer_syntax::sexpr::lhs_to_sexpr;
use falconer_syntax::{Lhs, TransformerArg};

const FIELDS: &[&str] = &[
    "proc.name",
    "proc.pid",
    "proc.args",
    "proc.aname",
    "proc.env",
    "evt.arg.flags",
    "evt.type",
    "fd.name",
    "p.q",
];

/// A fake compiler: known fields (arguments allowed on `proc.aname` and
/// `proc.env` only), and transformers whose field arguments are known.
fn accepts(lhs: &Lhs) -> bool {
    match lhs {
        Lhs::Field(f) => {
            FIELDS.contains(&f.name.as_str())
                && (f.arg.is_none() || matches!(f.name.as_str(), "proc.aname" | "proc.env"))
        }
        Lhs::Transformer(t) => t.args.iter().all(targ_ok),
    }
}

fn targ_ok(a: &TransformerArg) -> bool {
    match a {
        TransformerArg::Field(f) => accepts(&Lhs::Field(f.clone())),
        TransformerArg::Transformer(t) => accepts(&Lhs::Transformer(t.clone())),
        TransformerArg::List { items, .. } => items.iter().all(targ_ok),
        _ => true,
    }
}

/// Renders segments as `'text'` and `%[w]expr@start..end`.
fn render(text: &str, f: &OutputFormat) -> String {
    let mut parts = Vec::new();
    for s in &f.segments {
        match s {
            OutputSegment::Text { span } => parts.push(format!("{:?}", &text[span.range()])),
            OutputSegment::Token { width, expr, span } => {
                let w = width.map(|w| w.to_string()).unwrap_or_default();
                parts.push(format!(
                    "%{w}{}@{}..{}",
                    lhs_to_sexpr(expr),
                    span.start,
                    span.end
                ));
            }
        }
    }
    for e in &f.errors {
        parts.push(format!("!{} {}", e.offset, e.message));
    }
    parts.join(" ")
}

fn check(text: &str, expected: &str) {
    let f = parse_output(text, &accepts);
    assert_eq!(render(text, &f), expected, "format {text:?}");
    // Spans of expressions point into the text.
    for s in &f.segments {
        if let OutputSegment::Token { expr, span, .. } = s {
            let e = expr.span();
            assert!(
                span.start < e.start && e.end == span.end,
                "{text:?}: {span:?} vs {e:?}"
            );
        }
    }
}

#[test]
fn text_and_tokens() {
    check("proc.name=%proc.name", r#""proc.name=" %proc.name@10..20"#);
    check("%proc.name%proc.pid", "%proc.name@0..10 %proc.pid@10..19");
    check("a %proc.name b", r#""a " %proc.name@2..12 " b""#);
    check("no tokens", r#""no tokens""#);
}

#[test]
fn leading_star_is_dropped() {
    check("*%proc.name", "%proc.name@1..11");
    check("*a %proc.name", r#""a " %proc.name@3..13"#);
    check("*", "");
    check("**", r#""*""#);
}

#[test]
fn longest_match_then_shrink() {
    check("%proc.namex", r#"%proc.name@0..10 "x""#);
    check("%evt.arg.flagsx", r#"%evt.arg.flags@0..14 "x""#);
    check("%proc.name.", r#"%proc.name@0..10 ".""#);
    check("%p.q.r", r#"%p.q@0..4 ".r""#);
    check(
        "%proc.name:%proc.pid",
        r#"%proc.name@0..10 ":" %proc.pid@11..20"#,
    );
    check("%proc.name_", r#"%proc.name@0..10 "_""#);
}

#[test]
fn widths() {
    check("%10proc.name", "%10proc.name@0..12");
    check("%0proc.name", "%0proc.name@0..11");
    check("%99999999999proc.name", "%4294967295proc.name@0..21");
}

#[test]
fn field_arguments() {
    check("%proc.aname[2]", "%proc.aname[2]@0..14");
    check("%proc.env[HOME]x", r#"%proc.env[HOME]@0..15 "x""#);
    check(r#"%proc.env["A B"]"#, r#"%proc.env["A B"]@0..16"#);
    // An incomplete argument is left as text.
    check("%proc.aname[2", r#"%proc.aname@0..11 "[2""#);
    // A field that takes no argument keeps the name only.
    check("%proc.name[1]", r#"%proc.name@0..10 "[1]""#);
}

#[test]
fn transformers() {
    check("%tolower(proc.name)", "%(tolower proc.name)@0..19");
    check("%tolower(proc.name)x", r#"%(tolower proc.name)@0..19 "x""#);
    check("%tolower( proc.name )", "%(tolower proc.name)@0..21");
    check(
        r#"%getopt(proc.args, "c:")[c]"#,
        r#"%(getopt proc.args q"c:")[c]@0..27"#,
    );
    check(
        r#"%join(",", (proc.name, proc.pid))"#,
        r#"%(join q"," (tlist proc.name proc.pid))@0..33"#,
    );
    // The argument does not compile: no shorter prefix parses.
    check(
        "%tolower(proc.namex)",
        &format!(r#""%tolower(proc.namex)" !0 {UNKNOWN_FILTER}"#),
    );
    // `val` is not available in outputs.
    check(
        "%val(proc.name)",
        &format!(r#""%val(proc.name)" !0 {UNKNOWN_FILTER}"#),
    );
    // No blank between the name and `(`.
    check(
        "%tolower (proc.name)",
        &format!(r#""%tolower (proc.name)" !0 {UNKNOWN_FILTER}"#),
    );
}

#[test]
fn errors() {
    check("", &format!("!0 {EMPTY}"));
    check("%", &format!(r#""%" !0 {ENDS_WITH_PERCENT}"#));
    check("abc %", &format!(r#""abc %" !4 {ENDS_WITH_PERCENT}"#));
    check("%12", &format!(r#""%12" !0 {ENDS_WITH_NUMBER}"#));
    check("*%1", &format!(r#""%1" !1 {ENDS_WITH_NUMBER}"#));
    check("%foo.bar", &format!(r#""%foo.bar" !0 {UNKNOWN_FILTER}"#));
    check(
        "%%",
        &format!(r#""%%" !0 {UNKNOWN_FILTER} !1 {ENDS_WITH_PERCENT}"#),
    );
    check("% x", &format!(r#""% x" !0 {UNKNOWN_FILTER}"#));
    check("%(x)", &format!(r#""%(x)" !0 {UNKNOWN_FILTER}"#));
    // Parsing goes on after an error.
    check(
        "%bad.field %proc.name",
        &format!(r#""%bad.field " %proc.name@11..21 !0 {UNKNOWN_FILTER}"#),
    );
}

#[test]
fn non_ascii_text() {
    check("é%proc.name é", r#""é" %proc.name@2..12 " é""#);
    check("%proc.nameé", r#"%proc.name@0..10 "é""#);
    check("%tolower(proc.name)é", r#"%(tolower proc.name)@0..19 "é""#);
    check("%é", &format!(r#""%é" !0 {UNKNOWN_FILTER}"#));
}

#[test]
fn every_byte_is_covered() {
    for text in [
        "x %proc.name y %10proc.pid z",
        "*%proc.namex%%bad %tolower(proc.name)",
        "%p.q.r.s %",
    ] {
        let f = parse_output(text, &accepts);
        let mut at = u32::from(text.starts_with('*'));
        for s in &f.segments {
            assert_eq!(s.span().start, at, "{text:?}: {f:?}");
            at = s.span().end;
        }
        assert_eq!(at as usize, text.len(), "{text:?}");
    }
}
