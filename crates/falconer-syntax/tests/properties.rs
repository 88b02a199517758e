//! Property tests: no panics, span sanity, print/parse round trips, the
//! depth model.

use falconer_syntax::output::parse_output;
use falconer_syntax::visit::for_each_span_mut;
use falconer_syntax::*;
use falconer_text::Span;
use proptest::prelude::*;

/// Checks what must hold for any parse result.
fn check_invariants(text: &str, p: &ParsedCondition) {
    for e in &p.errors {
        assert!(e.offset as usize <= text.len(), "{text:?}: {e:?}");
        assert!(text.is_char_boundary(e.offset as usize), "{text:?}: {e:?}");
        assert!(e.span.start <= e.span.end && e.span.end as usize <= text.len());
    }
    if p.errors.is_empty() {
        let e = p.expr.as_ref().expect("a tree when there is no error");
        assert!(!e.has_error(), "{text:?}: error node without error");
    }
    if let Some(e) = &p.expr {
        let mut e = e.clone();
        for_each_span_mut(&mut e, &mut |s: &mut Span| {
            assert!(
                s.start <= s.end && s.end as usize <= text.len(),
                "{text:?}: span {s:?}"
            );
            assert!(
                text.is_char_boundary(s.start as usize),
                "{text:?}: span {s:?}"
            );
            assert!(
                text.is_char_boundary(s.end as usize),
                "{text:?}: span {s:?}"
            );
        });
    }
}

/// An accepted condition prints to text that parses to the same tree, and
/// printing is stable.
fn check_round_trip(text: &str, p: &ParsedCondition) {
    let Some(e) = p.expr.as_ref().filter(|_| p.is_ok()) else {
        return;
    };
    let printed = print_condition(e);
    let again = parse_condition(&printed);
    assert!(
        again.is_ok(),
        "{text:?} printed as {printed:?}: {:?}",
        again.errors
    );
    let e2 = again.expr.expect("tree");
    assert_eq!(
        without_spans(&e2),
        without_spans(e),
        "{text:?} printed as {printed:?}"
    );
    assert_eq!(print_condition(&e2), printed);
}

const FRAGMENTS: &[&str] = &[
    "a",
    "b",
    "x.y",
    "proc.name",
    "evt.type",
    "(",
    ")",
    "and",
    "or",
    "not",
    "not(",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\u{8}",
    "\u{b}",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    "in",
    "intersects",
    "pmatch",
    "contains",
    "icontains",
    "startswith",
    "glob",
    "exists",
    "oneof",
    "anyof",
    "allof",
    "'x'",
    "\"y z\"",
    "\"a\\\"b\"",
    "'\\q'",
    "\"\\x41\"",
    "\"\\x4\"",
    "\\",
    "\"",
    "'",
    ",",
    "[",
    "]",
    "[1]",
    "[\"k\"]",
    "tolower(",
    "toupper(",
    "len(",
    "join(",
    "val(",
    "getopt(",
    "1",
    "0x1f",
    "-2.5",
    "1e+3",
    "é",
    "日本",
    "_",
    ".",
    "*",
    "\0",
];

fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_string(s in any::<String>()) {
        let p = parse_condition(&s);
        check_invariants(&s, &p);
        let _ = parse_output(&s, &|_| true);
        let _ = parse_output(&s, &|_| false);
    }

    #[test]
    fn grammar_fragments(s in fragments()) {
        let p = parse_condition(&s);
        check_invariants(&s, &p);
        check_round_trip(&s, &p);
        let f = parse_output(&s, &|l| matches!(l, Lhs::Field(f) if f.name != "x.y"));
        let mut at = u32::from(s.starts_with('*'));
        for seg in &f.segments {
            prop_assert_eq!(seg.span().start, at);
            at = seg.span().end;
        }
        if !s.is_empty() && s != "*" {
            prop_assert_eq!(at as usize, s.len());
        }
    }

    #[test]
    fn small_depth_limits(s in fragments(), depth in 0u32..40) {
        let p = parse_condition_with_depth(&s, depth);
        check_invariants(&s, &p);
    }

    /// libsinsp's depth model: k parentheses around an identifier cost
    /// 5k + 4, around `f = v` 5k + 7, around `f exists` 5k + 5; the parse
    /// fails exactly when that reaches the limit.
    #[test]
    fn depth_model(k in 0usize..60, max in 1u32..320, shape in 0usize..3) {
        let (inner, cost) = match shape {
            0 => ("a", 4),
            1 => ("a.b = x", 7),
            _ => ("a.b exists", 5),
        };
        let text = format!("{}{inner}{}", "(".repeat(k), ")".repeat(k));
        let p = parse_condition_with_depth(&text, max);
        let fits = 5 * k as u32 + cost < max;
        prop_assert_eq!(p.is_ok(), fits, "{} with limit {}", text, max);
        if !fits {
            prop_assert_eq!(&p.errors[0].message, &format!("exceeded max depth limit of {max}"));
        }
    }

    /// Any string written with `quote_value` reads back as itself.
    #[test]
    fn quote_value_round_trips(s in any::<String>()) {
        let text = format!("a.b = {}", quote_value(&s));
        let p = parse_condition(&text);
        prop_assert!(p.is_ok(), "{:?}: {:?}", text, p.errors);
        match p.expr {
            Some(Expr::Binary { rhs: Rhs::Value(v), .. }) => prop_assert_eq!(v.text, s),
            other => prop_assert!(false, "{:?} parsed as {:?}", text, other),
        }
    }
}

/// Generated trees print to text that parses back to them, and printing
/// is stable. (Generating these nested trees takes more stack than a test
/// thread has in debug builds, so the runner gets its own thread.)
#[test]
fn printed_trees_parse_back() {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
                cases: 1000,
                ..ProptestConfig::default()
            });
            runner
                .run(&expr_strategy(), |e| {
                    let printed = print_condition(&e);
                    let p = parse_condition(&printed);
                    prop_assert!(p.is_ok(), "{:?} from {:?}: {:?}", printed, e, p.errors);
                    let back = p.expr.expect("tree");
                    prop_assert_eq!(without_spans(&back), e.clone(), "{:?}", printed);
                    prop_assert_eq!(print_condition(&back), printed);
                    Ok(())
                })
                .unwrap();
        })
        .expect("spawn")
        .join()
        .expect("round trip");
}

// ---------------------------------------------------------------------------
// Tree generation (only trees the parser can produce, spans all 0..0)

fn z() -> Span {
    Span::default()
}

fn ident() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,6}"
}

fn field_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,4}(\\.[a-zA-Z][a-zA-Z0-9_]{0,4}){1,3}"
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,8}",
        ".{0,6}",
        Just("\\".to_string()),
        Just("a\\".to_string()),
        Just("\"'\\\"\\'".to_string()),
        Just("\0\n\t\u{8}".to_string()),
    ]
}

fn bare_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_./*:\\\\-]{1,8}",
        "[^()\"'=, \\t\\n\\x0B\\x0C\\r\\x08][^()\"'=, \\t\\n\\x0B\\x0C\\r]{0,5}",
        Just("oneof".to_string()),
        Just("and".to_string()),
        Just("not".to_string()),
    ]
    .prop_filter("bare", |s| is_bare_value(s))
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+-]?[0-9]{1,4}",
        "[0-9]{1,3}\\.[0-9]{0,3}",
        "[0-9]{1,2}[eE][+-][0-9]{1,2}",
        "0[xX][0-9a-fA-F]{1,4}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        bare_text().prop_map(|text| Value {
            text,
            bytes: None,
            quoted: None,
            span: z(),
        }),
        quoted_value(),
    ]
}

fn quoted_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (any_text(), prop::sample::select(vec!['"', '\''])).prop_map(|(text, q)| Value {
            text,
            bytes: None,
            quoted: Some(q),
            span: z(),
        }),
        prop::collection::vec(any::<u8>(), 1..5).prop_map(|b| {
            let mut bytes = b;
            bytes.push(0xff);
            Value {
                text: String::from_utf8_lossy(&bytes).into_owned(),
                bytes: Some(bytes),
                quoted: Some('"'),
                span: z(),
            }
        }),
    ]
}

fn field_arg() -> impl Strategy<Value = Option<FieldArg>> {
    prop_oneof![
        2 => Just(None),
        1 => "[a-zA-Z0-9_.()=,*!-]{1,5}".prop_map(|value| Some(FieldArg { value, quoted: false, span: z() })),
        1 => any_text().prop_map(|value| Some(FieldArg { value, quoted: true, span: z() })),
    ]
}

fn field() -> impl Strategy<Value = FieldRef> {
    (field_name(), field_arg()).prop_map(|(name, arg)| FieldRef {
        name,
        name_span: z(),
        arg,
        span: z(),
    })
}

fn transformer() -> impl Strategy<Value = Transformer> {
    let leaf = prop_oneof![
        field().prop_map(TransformerArg::Field),
        quoted_value().prop_map(TransformerArg::Str),
        number().prop_map(|text| TransformerArg::Number(Value {
            text,
            bytes: None,
            quoted: None,
            span: z()
        })),
    ];
    let arg = leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            (
                prop::sample::select(TransformerKind::ALL.to_vec()),
                prop::collection::vec(inner.clone(), 1..3),
                field_arg()
            )
                .prop_map(|(kind, args, arg)| TransformerArg::Transformer(
                    Transformer {
                        kind,
                        name_span: z(),
                        args,
                        arg,
                        span: z()
                    }
                )),
            prop::collection::vec(inner, 0..3).prop_map(|items| {
                // Transformer lists hold no nested lists.
                let items = items
                    .into_iter()
                    .filter(|i| !matches!(i, TransformerArg::List { .. }))
                    .collect();
                TransformerArg::List { items, span: z() }
            }),
        ]
    });
    (
        prop::sample::select(TransformerKind::ALL.to_vec()),
        prop::collection::vec(arg, 1..3),
        field_arg(),
    )
        .prop_map(|(kind, args, arg)| Transformer {
            kind,
            name_span: z(),
            args,
            arg,
            span: z(),
        })
}

fn lhs() -> impl Strategy<Value = Lhs> {
    prop_oneof![3 => field().prop_map(Lhs::Field), 1 => transformer().prop_map(Lhs::Transformer)]
}

fn field_or_transformer_rhs() -> impl Strategy<Value = Rhs> {
    prop_oneof![
        field().prop_map(|field| Rhs::Val {
            field,
            arg: None,
            span: z()
        }),
        transformer().prop_map(Rhs::Transformer),
    ]
}

fn op(kind: OpKind, modifier: Option<Modifier>) -> Operator {
    Operator {
        kind,
        span: z(),
        modifier: modifier.map(|m| (m, z())),
    }
}

fn list() -> impl Strategy<Value = Rhs> {
    prop::collection::vec(value(), 0..4).prop_map(|items| Rhs::List(ListLit { items, span: z() }))
}

/// An identifier the modifier look-ahead accepts (A.9 rule 4).
fn modifier_ident() -> impl Strategy<Value = String> {
    ident().prop_filter("not keyword-like", |s| {
        !["and", "or", "not"].iter().any(|k| {
            s.starts_with(k)
                && !s
                    .as_bytes()
                    .get(k.len())
                    .is_some_and(|c| c.is_ascii_alphanumeric())
        })
    })
}

fn check() -> impl Strategy<Value = Expr> {
    let str_ops: Vec<OpKind> = OpKind::ALL
        .into_iter()
        .filter(|o| o.is_string_op())
        .collect();
    let rel_ops: Vec<OpKind> = OpKind::ALL
        .into_iter()
        .filter(|o| o.is_relational())
        .collect();
    let list_ops: Vec<OpKind> = OpKind::ALL.into_iter().filter(|o| o.is_list_op()).collect();
    let modifiers = vec![Modifier::Oneof, Modifier::Anyof, Modifier::Allof];
    let name = |s: String| Name { text: s, span: z() };
    prop_oneof![
        lhs().prop_map(|lhs| Expr::Unary { lhs, op: op(OpKind::Exists, None), span: z() }),
        (lhs(), prop::sample::select(str_ops.clone()), prop_oneof![
            3 => value().prop_map(Rhs::Value),
            1 => field_or_transformer_rhs(),
        ])
            .prop_map(|(lhs, k, rhs)| Expr::Binary { lhs, op: op(k, None), rhs, span: z() }),
        (lhs(), prop::sample::select(str_ops), prop::sample::select(modifiers), prop_oneof![
            list(),
            modifier_ident().prop_map(move |s| Rhs::Ident(name(s))),
        ])
            .prop_map(|(lhs, k, m, rhs)| Expr::Binary { lhs, op: op(k, Some(m)), rhs, span: z() }),
        (lhs(), prop::sample::select(rel_ops), prop_oneof![
            3 => number().prop_map(|text| Rhs::Value(Value { text, bytes: None, quoted: None, span: z() })),
            1 => field_or_transformer_rhs(),
        ])
            .prop_map(|(lhs, k, rhs)| Expr::Binary { lhs, op: op(k, None), rhs, span: z() }),
        (lhs(), prop::sample::select(list_ops), prop_oneof![
            2 => list(),
            1 => ident().prop_map(move |s| Rhs::Ident(name(s))),
            1 => field_or_transformer_rhs(),
        ])
            .prop_map(|(lhs, k, rhs)| Expr::Binary { lhs, op: op(k, None), rhs, span: z() }),
    ]
}

fn expr_strategy() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        1 => ident().prop_map(|text| Expr::Macro(Name { text, span: z() })),
        3 => check(),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|children| Expr::And {
                children,
                span: z()
            }),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|children| Expr::Or {
                children,
                span: z()
            }),
            inner.prop_map(|c| Expr::Not {
                child: Box::new(c),
                span: z()
            }),
        ]
    })
}

#[test]
fn deep_inputs_on_a_small_stack() {
    let inputs = [
        format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000)),
        "(".repeat(100_000),
        format!("{}a", "not ".repeat(100_000)),
        format!("{}a", "not(".repeat(100_000)),
        format!("{}a.b{} = x", "tolower(".repeat(50_000), ")".repeat(50_000)),
        format!("a.b in {}", "(".repeat(100_000)),
        format!("{}a", "a and(".repeat(50_000)),
    ];
    for text in inputs {
        for depth in [FALCO_MAX_DEPTH, 100, 1_000_000] {
            let t = text.clone();
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let p = parse_condition_with_depth(&t, depth);
                    for e in &p.errors {
                        assert!(e.offset as usize <= t.len());
                    }
                    if depth <= FALCO_MAX_DEPTH {
                        check_invariants(&t, &p);
                        // Only the `not` prefix loop is not recursion.
                        assert_eq!(p.is_ok(), t.starts_with("not "), "{}", &t[..20]);
                    } else {
                        // A huge limit lets the tree itself get deep, and
                        // cloning or dropping a tree is recursive.
                        std::mem::forget(p);
                    }
                })
                .expect("spawn")
                .join()
                .expect("no stack overflow");
        }
    }
}
