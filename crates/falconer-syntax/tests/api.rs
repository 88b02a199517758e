//! Printing and visiting.

use falconer_syntax::sexpr::to_sexpr;
use falconer_syntax::*;

fn parse_ok(text: &str) -> Expr {
    let p = parse_condition(text);
    assert!(p.is_ok(), "{text:?}: {:?}", p.errors);
    p.expr.expect("tree")
}

fn reprint(text: &str) -> String {
    print_condition(&parse_ok(text))
}

#[test]
fn print_parenthesises_only_where_needed() {
    for (input, printed) in [
        ("a and b and c", "a and b and c"),
        ("a and (b or c)", "a and (b or c)"),
        ("(a and b) and c", "(a and b) and c"),
        ("a or b and c", "a or b and c"),
        ("(a or b) or c", "(a or b) or c"),
        ("not (not a)", "not (not a)"),
        ("not not a", "a"),
        ("not (a and b)", "not (a and b)"),
        ("not(a)and(b)", "not a and b"),
        ("(not)", "(not)"),
        ("and and or", "and and or"),
        ("((a))", "a"),
    ] {
        assert_eq!(reprint(input), printed, "{input:?}");
    }
}

#[test]
fn print_checks() {
    for (input, printed) in [
        ("proc.name=bash", "proc.name = bash"),
        ("proc.name==bash", "proc.name == bash"),
        ("a.b[1]exists", "a.b[1] exists"),
        ("proc.env[\"A B\"] = x", "proc.env[\"A B\"] = x"),
        ("proc.env['a\"b'] = x", "proc.env['a\"b'] = x"),
        ("fd.num>=0x10", "fd.num >= 0x10"),
        ("a.b in(x,'y', \"z\")", "a.b in (x, 'y', \"z\")"),
        ("a.b in ()", "a.b in ()"),
        ("a.b inx", "a.b in x"),
        ("a.b ==  oneof  (x)", "a.b == oneof (x)"),
        ("a.b contains anyof lst", "a.b contains anyof lst"),
        ("a.b = val( c.d )", "a.b = val(c.d)"),
        (
            "getopt( proc.args,'c:' )[c] = x",
            "getopt(proc.args, 'c:')[c] = x",
        ),
        ("join(\",\", (a.b, 1)) = x", "join(\",\", (a.b, 1)) = x"),
        ("len(())>0", "len(()) > 0"),
        ("a.b = \"\\x41\\x5c\"", "a.b = \"A\\x5c\""),
        ("a.b = \"a\\\\b\"", "a.b = \"a\\\\b\""),
        ("a.b = \"\\xff\"", "a.b = \"\\xff\""),
        ("a.b = \"\\x00\"", "a.b = \"\\x00\""),
    ] {
        assert_eq!(reprint(input), printed, "{input:?}");
    }
}

#[test]
fn quote_value_cases() {
    for (value, quoted) in [
        ("bash", "bash"),
        ("/usr/bin/*", "/usr/bin/*"),
        ("a\\", "a\\"),
        ("oneof", "oneof"),
        ("", "\"\""),
        ("a b", "\"a b\""),
        ("say \"hi\"", "'say \"hi\"'"),
        ("it's \"x\"", "\"it's \\\"x\\\"\""),
        ("a b\\", "\"a b\\x5c\""),
        ("\\\"", "'\\\\\"'"),
        ("\u{8}x", "\"\u{8}x\""),
        ("x\u{8}", "x\u{8}"),
        ("tolower(x)", "\"tolower(x)\""),
        ("a,b", "\"a,b\""),
        ("a=b", "\"a=b\""),
        ("x\u{b}y", "\"x\u{b}y\""),
        ("\0", "\0"),
        ("a b\0", "\"a b\\x00\""),
        ("é", "é"),
    ] {
        assert_eq!(quote_value(value), quoted, "{value:?}");
        let text = format!("a.b = {quoted}");
        match parse_ok(&text) {
            Expr::Binary {
                rhs: Rhs::Value(v), ..
            } => assert_eq!(v.text, value, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn print_lhs_and_sexpr() {
    let e = parse_ok("tolower(proc.env[HOME]) exists");
    assert_eq!(print_lhs(e.lhs().expect("lhs")), "tolower(proc.env[HOME])");
    assert_eq!(to_sexpr(&e), "(unary (tolower proc.env[HOME]) exists)");
}

#[test]
fn walk_expr_is_pre_order() {
    let e = parse_ok("a and (b or not c) and d.e exists");
    let mut seen = Vec::new();
    walk_expr(&e, &mut |x| {
        seen.push(match x {
            Expr::And { .. } => "and".to_string(),
            Expr::Or { .. } => "or".to_string(),
            Expr::Not { .. } => "not".to_string(),
            Expr::Macro(n) => n.text.clone(),
            Expr::Unary { .. } => "unary".to_string(),
            _ => "?".to_string(),
        })
    });
    assert_eq!(seen, ["and", "a", "or", "b", "not", "c", "unary"]);
}

#[test]
fn walk_nodes_roles_in_source_order() {
    let text = "tolower(proc.name) in (a, 'b') and x.y = val(z.w) and m1 \
                and p.q == oneof lst and n.o < len(concat(r.s, \"-\"))";
    let e = parse_ok(text);
    let mut seen = Vec::new();
    walk_nodes(&e, &mut |v| {
        let s = &text[v.node.span().range()];
        seen.push(match v.node {
            Node::Macro(_) => format!("macro {s}"),
            Node::ListName(_) => format!("list {s}"),
            Node::Field { role, .. } => format!("field {s} {role:?}"),
            Node::Transformer { side, .. } => format!("transformer {s} {side:?}"),
            Node::Operator(_) => format!("op {s}"),
            Node::Value { role, .. } => format!("value {s} {role:?}"),
        });
        if !matches!(v.node, Node::Macro(_)) {
            assert!(matches!(
                v.check,
                Some(Expr::Binary { .. } | Expr::Unary { .. })
            ));
        }
    });
    assert_eq!(
        seen,
        [
            "transformer tolower(proc.name) Left",
            "field proc.name TransformerArg { side: Left }",
            "op in",
            "value a ListItem { index: 0 }",
            "value 'b' ListItem { index: 1 }",
            "field x.y Lhs",
            "op =",
            "field z.w RhsVal",
            "macro m1",
            "field p.q Lhs",
            "op == oneof",
            "list lst",
            "field n.o Lhs",
            "op <",
            "transformer len(concat(r.s, \"-\")) Right",
            "transformer concat(r.s, \"-\") Right",
            "field r.s TransformerArg { side: Right }",
            "value \"-\" TransformerArg { side: Right }",
        ]
    );
}

#[test]
fn node_at_finds_the_innermost_leaf() {
    let text = "not tolower(proc.name) = x and my_macro";
    let e = parse_ok(text);
    let at = |needle: &str| text.find(needle).unwrap() as u32 + 1;
    match node_at(&e, at("proc.name")).map(|v| v.node) {
        Some(Node::Field { field, role }) => {
            assert_eq!(field.name, "proc.name");
            assert_eq!(role, FieldRole::TransformerArg { side: Side::Left });
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        node_at(&e, at("tolower")).map(|v| v.node),
        Some(Node::Transformer { .. })
    ));
    assert!(matches!(
        node_at(&e, at("my_macro")).map(|v| v.node),
        Some(Node::Macro(_))
    ));
    assert!(matches!(
        node_at(&e, at("= x") + 1).map(|v| v.node),
        Some(Node::Value { .. })
    ));
    assert_eq!(node_at(&e, 0), None);
}

#[test]
fn fields_and_macro_refs() {
    let e = parse_ok("a and (b.c = val(d.e) or f) and not g");
    let f: Vec<_> = fields(&e)
        .iter()
        .map(|(f, r)| (f.name.clone(), *r))
        .collect();
    assert_eq!(
        f,
        [
            ("b.c".to_string(), FieldRole::Lhs),
            ("d.e".to_string(), FieldRole::RhsVal)
        ]
    );
    let m: Vec<_> = macro_refs(&e).iter().map(|n| n.text.as_str()).collect();
    assert_eq!(m, ["a", "f", "g"]);
}

#[test]
fn without_spans_and_shift() {
    let a = parse_ok("a.b = x and c");
    let b = parse_ok("  a.b   =  x   and   c ");
    assert_ne!(a, b);
    assert_eq!(without_spans(&a), without_spans(&b));
    let mut s = a.clone();
    visit::shift_spans(&mut s, 10);
    assert_eq!(s.span().start, a.span().start + 10);
    assert_eq!(without_spans(&s), without_spans(&a));
}

#[test]
fn spans() {
    let text = "not proc.aname[1] in (a, \"b\") or tolower(x.y) exists";
    let e = parse_ok(text);
    let Expr::Or { children, span } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(&text[span.range()], text);
    let Expr::Not { child, span } = &children[0] else {
        panic!()
    };
    assert_eq!(&text[span.range()], "not proc.aname[1] in (a, \"b\")");
    let Expr::Binary { lhs, op, rhs, span } = &**child else {
        panic!()
    };
    assert_eq!(&text[span.range()], "proc.aname[1] in (a, \"b\")");
    let Lhs::Field(f) = lhs else { panic!() };
    assert_eq!(&text[f.name_span.range()], "proc.aname");
    assert_eq!(&text[f.arg.as_ref().unwrap().span.range()], "[1]");
    assert_eq!(&text[op.span.range()], "in");
    assert_eq!(&text[rhs.span().range()], "(a, \"b\")");
    let Rhs::List(l) = rhs else { panic!() };
    assert_eq!(&text[l.items[1].span.range()], "\"b\"");
    assert_eq!(&text[children[1].span().range()], "tolower(x.y) exists");
}
