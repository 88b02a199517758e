//! The tracer (`explain.rs`) against the engine: on generated captures
//! its short-circuit evaluation matches exactly the rules the engine
//! matches (first and all), every full trace's root agrees, and the
//! labels name the bundled rules' macros and exception entries.

mod common;

use std::collections::BTreeMap;

use falconer_analysis::{AnalysisHost, Config};
use falconer_engine::engine::{Engine, Options, RuleMatching};
use falconer_engine::explain::{CoverageKind, Label, Tracer};
use falconer_engine::extract::EventCtx;
use falconer_scap::state::State;
use falconer_scap::ScapReader;

fn ruleset() -> AnalysisHost {
    let bundled = falconer_testgen::BUNDLED.to_string();
    let mut extra = String::new();
    for n in 1..=6 {
        extra.push_str(&falconer_testgen::copy(n));
    }
    let mut h = AnalysisHost::new(Config::default());
    h.set_files(vec![
        ("falconer_rules.yaml".into(), bundled),
        ("generated.yaml".into(), extra),
    ]);
    h
}

fn agree(matching: RuleMatching, seed: u64) -> (u64, u64) {
    let host = ruleset();
    let mut engine = Engine::from_analysis(
        &host,
        &Options {
            rule_matching: matching,
            ..Options::default()
        },
    );
    let mut tracer = Tracer::new(&host, &engine);
    assert!(tracer.notes().is_empty(), "{:?}", tracer.notes());
    let cap = common::generated(seed, 30_000);
    let mut reader = ScapReader::open(&cap).unwrap();
    let mut state = State::from_reader_metadata(&reader);
    let (mut events, mut matches) = (0u64, 0u64);
    while let Some(ev) = reader.next_event() {
        let ev = ev.unwrap();
        state.apply(&ev);
        let ctx = EventCtx::new(&ev, &state);
        let ours = tracer.cover_event(&engine, &ctx);
        let theirs = engine.process(&ctx).to_vec();
        assert_eq!(ours, theirs, "event {}", ev.num);
        events += 1;
        matches += theirs.len() as u64;
        if !ev.is_state_only() {
            for &r in engine.candidates(ev.code) {
                let t = tracer.trace(r as usize, &ctx).unwrap();
                let should = match matching {
                    RuleMatching::All => theirs.contains(&r),
                    // With `first`, later rules are not evaluated; the
                    // trace still says whether the condition holds.
                    RuleMatching::First => t.matched,
                };
                assert_eq!(t.matched, should, "event {} rule {}", ev.num, t.rule);
                if theirs.contains(&r) {
                    assert!(t.matched);
                }
            }
        }
    }
    (events, matches)
}

#[test]
fn tracer_matches_the_engine_with_rule_matching_all() {
    let (events, matches) = agree(RuleMatching::All, 7);
    assert!(
        events > 10_000 && matches > 0,
        "{events} events, {matches} matches"
    );
}

#[test]
fn tracer_matches_the_engine_with_rule_matching_first() {
    let (events, matches) = agree(RuleMatching::First, 8);
    assert!(
        events > 10_000 && matches > 0,
        "{events} events, {matches} matches"
    );
}

#[test]
fn labels_name_macros_and_exception_entries() {
    let host = common::bundled_host();
    let engine = Engine::from_analysis(&host, &Options::default());
    let tracer = Tracer::new(&host, &engine);
    assert!(tracer.notes().is_empty(), "{:?}", tracer.notes());
    let r = tracer
        .rule_index("Run Web Fetch Program in Container")
        .unwrap();
    let tree = tracer.tree(r).unwrap();
    let mut labels = Vec::new();
    fn walk(n: &falconer_engine::explain::ExplainNode, out: &mut Vec<String>) {
        for l in &n.labels {
            out.push(l.to_string());
        }
        n.children.iter().for_each(|c| walk(c, out));
    }
    walk(tree, &mut labels);
    assert_eq!(
        labels,
        [
            "macro spawn_web_fetcher",
            "macro spawned_process",
            "macro web_fetch_programs",
            "macro container",
            "macro allowed_web_fetch_containers",
            "exception allowed_images",
            "entry 1 [registry.example.com/ci/]",
        ]
    );
    assert_eq!(tracer.event_types(r), ["execve", "execveat"]);
    // The exception node points at the exception's name.
    fn find<'a>(
        n: &'a falconer_engine::explain::ExplainNode,
        f: &dyn Fn(&Label) -> bool,
    ) -> Option<&'a falconer_engine::explain::ExplainNode> {
        if n.labels.iter().any(f) {
            return Some(n);
        }
        n.children.iter().find_map(|c| find(c, f))
    }
    let ex = find(tree, &|l| matches!(l, Label::Exception { .. })).unwrap();
    let at = ex.at.as_ref().unwrap();
    assert!(at.path.ends_with("falconer_rules.yaml"));
    let line = falconer_testgen::BUNDLED
        .lines()
        .nth(at.line as usize - 1)
        .unwrap();
    assert!(line.contains("- name: allowed_images"), "{line}");

    // Coverage items: 5 rules, the macros they use, 3 exception entries.
    let mut kinds: BTreeMap<CoverageKind, usize> = BTreeMap::new();
    for (item, hits) in tracer.coverage() {
        *kinds.entry(item.kind).or_default() += 1;
        assert_eq!((hits.true_count, hits.false_count), (0, 0));
    }
    assert_eq!(kinds[&CoverageKind::Rule], 5);
    assert_eq!(kinds[&CoverageKind::ExceptionEntry], 3);
    let macros = host.collected().macros.len();
    assert_eq!(kinds[&CoverageKind::Macro], macros);
}
