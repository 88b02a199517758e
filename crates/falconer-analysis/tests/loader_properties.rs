//! Property tests of the whole loader: any text, and any mutation of a
//! realistic rules file, analyses without panicking, and every diagnostic
//! points inside the file at character boundaries.

use falconer_analysis::AnalysisHost;
use proptest::prelude::*;

const BASE: &str = include_str!("../../../rules/falconer_rules.yaml");

fn check(text: &str) {
    let mut host = AnalysisHost::default();
    host.set_files(vec![("a.yaml".into(), text.to_string())]);
    for d in host.diagnostics().iter() {
        assert!(d.loc.span.start <= d.loc.span.end, "{d:?}");
        assert!((d.loc.span.end as usize) <= text.len(), "{d:?}");
        assert!(text.is_char_boundary(d.loc.span.start as usize), "{d:?}");
        assert!(text.is_char_boundary(d.loc.span.end as usize), "{d:?}");
    }
    // Expansion of every rule never panics either.
    let names: Vec<String> = host
        .collected()
        .rules
        .iter()
        .map(|r| r.name.to_string())
        .collect();
    for n in names {
        let _ = falconer_analysis::expand::expand_rule(host.collected(), host.compiled(), &n);
    }
}

fn fragments() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "(",
        ")",
        " and ",
        " or ",
        "not ",
        "proc.name",
        " = ",
        "\"",
        "'",
        "[",
        "]",
        ",",
        "\n",
        "\n  ",
        "- ",
        ": ",
        "%",
        "evt.type in (open)",
        "macro",
        "list",
        "rule",
        "append: true",
        "override:",
        "exceptions:",
        "{",
        "}",
        "&a",
        "*a",
        "é",
        "\t",
        "#",
    ])
    .prop_map(String::from)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        check(&s);
    }

    #[test]
    fn mutated_rules_never_panic(
        edits in prop::collection::vec((0usize..BASE.len(), 0usize..40, fragments()), 1..8)
    ) {
        let mut text = BASE.to_string();
        for (at, del, ins) in edits {
            let at = falconer_text::floor_char_boundary(&text, at.min(text.len()));
            let end = falconer_text::floor_char_boundary(&text, (at + del).min(text.len()));
            text.replace_range(at..end, &ins);
        }
        check(&text);
    }
}

#[test]
fn bundled_rules_are_clean_and_expand() {
    let mut host = AnalysisHost::default();
    host.set_files(vec![("falconer_rules.yaml".into(), BASE.to_string())]);
    assert!(host.diagnostics().is_empty(), "{:#?}", host.diagnostics());
    for r in &host.collected().rules {
        let text =
            falconer_analysis::expand::expand_rule(host.collected(), host.compiled(), &r.name)
                .expect("bundled rules expand");
        let parsed = falconer_syntax::parse_condition(&text);
        assert!(
            parsed.errors.is_empty(),
            "{}: {text}: {:?}",
            r.name,
            parsed.errors
        );
    }
    for c in &host.compiled().rules {
        let names = c.evttypes.as_ref().map(|e| e.names()).unwrap_or_default();
        assert!(
            c.ok && !names.is_empty() && names.len() <= 3,
            "{}: ok={} {names:?}",
            c.name,
            c.ok
        );
    }
}

#[test]
fn generated_large_set_is_clean() {
    let text = falconer_testgen::generate(4_500);
    let mut host = AnalysisHost::default();
    host.set_files(vec![("big.yaml".into(), text)]);
    assert!(
        host.diagnostics().is_empty(),
        "{:#?}",
        &host.diagnostics()[..host.diagnostics().len().min(5)]
    );
}
