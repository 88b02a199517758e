//! The bundled rules' tests (`rules/tests/`): they load without a
//! problem, pass, and every bundled rule has cases where it fires and
//! cases where it stays quiet.

use std::path::{Path, PathBuf};

use falconer_test::report::{self, HumanOptions};
use falconer_test::run::{run, RunOptions};
use falconer_test::suite::{load, Filter};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

#[test]
fn bundled_suite_passes() {
    let s = load(&[rules_dir()], &Filter::default(), &[]);
    assert!(
        s.diagnostics.is_empty(),
        "{}",
        report::render_diagnostics(&s.diagnostics)
    );
    assert!(s.cases.len() >= 25, "{} cases", s.cases.len());
    let r = run(
        &s,
        &RunOptions {
            jobs: 2,
            coverage: false,
        },
    );
    assert_eq!(
        r.failed(),
        0,
        "{}",
        report::human(&s, &r, HumanOptions::default())
    );
}

#[test]
fn every_bundled_rule_has_firing_and_quiet_cases() {
    let s = load(&[rules_dir()], &Filter::default(), &[]);
    let cfg = &s.configs[s.cases[0].config];
    assert_eq!(cfg.loaded.len(), 5);
    for rule in &cfg.loaded {
        let fires = s.cases.iter().filter(|c| {
            c.expect
                .iter()
                .any(|e| e.rule.value == *rule && e.count.min >= 1)
        });
        // Quiet: an expectation of 0, or a strict case not naming it.
        let quiet = s.cases.iter().filter(|c| {
            c.expect
                .iter()
                .any(|e| e.rule.value == *rule && e.count.max == Some(0))
                || (c.strict && !c.expect.iter().any(|e| e.rule.value == *rule))
        });
        let (f, q) = (fires.count(), quiet.count());
        assert!(f >= 2, "rule '{rule}' has {f} firing cases");
        assert!(q >= 2, "rule '{rule}' has {q} quiet cases");
    }
}

#[test]
fn the_seed_cases_are_there() {
    let s = load(&[rules_dir()], &Filter::default(), &[]);
    let names: Vec<&str> = s.cases.iter().map(|c| c.name.as_str()).collect();
    for n in [
        "curl in a container fires",
        "an image under the allowed prefix stays quiet",
        "curl on the host stays quiet",
    ] {
        assert!(names.contains(&n), "missing the seed's case '{n}'");
    }
}
