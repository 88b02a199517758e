//! The editor API: discovery of rule tests, running the cases of one
//! rule, diagnostics of a test file's current text.

use std::path::{Path, PathBuf};

use falconer_test::{diagnostics, discover, run_rule};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn discover_finds_every_bundled_rule_with_positions() {
    let tests = discover(&root().join("rules"));
    let mut rules: Vec<&str> = tests.iter().map(|t| t.rule.as_str()).collect();
    rules.sort();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "Read Sensitive File",
            "Run Web Fetch Program in Container",
            "Shell Spawned in Container",
            "Unexpected Outbound Connection",
            "Write Below Etc",
        ]
    );
    let t = tests
        .iter()
        .find(|t| t.case == "curl on the host stays quiet")
        .unwrap();
    assert!(t.test_file.ends_with("rules/tests/web_fetch.yaml"));
    let text = std::fs::read_to_string(&t.test_file).unwrap();
    assert_eq!(
        &text[t.case_span.start as usize..t.case_span.end as usize],
        "curl on the host stays quiet"
    );
    assert_eq!(
        &text[t.rule_span.start as usize..t.rule_span.end as usize],
        "Run Web Fetch Program in Container"
    );
    let line = text.lines().nth(t.case_line as usize - 1).unwrap();
    assert!(
        line.contains("- name: curl on the host stays quiet"),
        "{line}"
    );
    assert_eq!(t.case_column, 11);
}

#[test]
fn run_rule_runs_only_that_rules_cases() {
    let r = run_rule(&root().join("rules"), "Shell Spawned in Container");
    assert!(r.passed(), "{r:?}");
    assert!(r.cases.len() >= 4);
    assert!(r
        .cases
        .iter()
        .all(|c| c.test_file.ends_with("shell_in_container.yaml")
            || c.test_file.ends_with("write_below_etc.yaml")));
    assert!(run_rule(&root().join("rules"), "No Such Rule")
        .cases
        .is_empty());
}

#[test]
fn diagnostics_of_an_unsaved_test_file() {
    let path = root().join("rules/tests/editing.yaml");
    let text = "rules: [../falconer_rules.yaml]\ncases:\n  - name: typo\n    scenario: scenarios/curl_in_container.yaml\n    expect:\n      - rule: Run Web Fetch Program in Containr\n  - name: missing\n    capture: nowhere.scap\n    strict: true\n";
    let d = diagnostics(&path, text);
    let mine: Vec<String> = d
        .iter()
        .map(|x| format!("{}:{} {} {}", x.line, x.column, x.code, x.message))
        .collect();
    assert_eq!(
        mine,
        [
            "6:15 unknown-rule unknown rule 'Run Web Fetch Program in Containr' (did you mean 'Run Web Fetch Program in Container'?)",
            format!(
                "8:14 missing-fixture capture {} not found (No such file or directory (os error 2))",
                falconer_test::suite::normalize(&root().join("rules/tests/nowhere.scap")).display()
            )
            .as_str(),
        ]
    );
    let x = &d[0];
    assert_eq!(
        &text[x.span.start as usize..x.span.end as usize],
        "Run Web Fetch Program in Containr"
    );
    // The file is not on disk: nothing else is read from it.
    assert!(!path.exists());
}

#[test]
fn unsaved_rules_and_test_files_win_over_the_disk() {
    let rules = root().join("rules");
    let rules_file = rules.join("falconer_rules.yaml");
    let disk = std::fs::read_to_string(&rules_file).unwrap();
    // The rule's condition edited (unsaved) so that it matches on the
    // host only: the cases that expect it to fire, or not on the host,
    // fail.
    let edited = disk.replace(
        "condition: spawned_process and container and shell_procs",
        "condition: spawned_process and not container and shell_procs",
    );
    assert_ne!(edited, disk);
    let overrides = vec![(rules_file.clone(), edited)];
    let r = falconer_test::run_rule_with(&rules, "Shell Spawned in Container", &overrides);
    let failed: Vec<&str> = r
        .cases
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.case.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "python starting sh in a container fires",
            "a web server starting shells fires",
            "a shell on the host stays quiet",
            "a refused write below /etc in a container stays quiet"
        ],
        "{r:?}"
    );
    let f = r.cases.iter().find(|c| !c.passed).unwrap();
    assert_eq!(f.failed_rules, ["Shell Spawned in Container"]);
    assert!(f.message.contains("to fire"), "{}", f.message);

    // An unsaved test file: its cases are the ones run and discovered.
    let test_file = rules.join("tests/shell_in_container.yaml");
    let text = std::fs::read_to_string(&test_file)
        .unwrap()
        .replace("count: 2", "count: 3");
    let overrides = vec![(test_file.clone(), text.clone())];
    let r =
        falconer_test::run_case_with(&test_file, "a web server starting shells fires", &overrides);
    assert_eq!(r.cases.len(), 1, "{r:?}");
    assert!(!r.cases[0].passed);
    assert!(
        r.cases[0].message.contains("exactly 3"),
        "{}",
        r.cases[0].message
    );
    let r = falconer_test::run_case_with(&test_file, "a shell on the host stays quiet", &[]);
    assert_eq!(r.cases.len(), 1);
    assert!(r.passed(), "{r:?}");

    let found = falconer_test::discover_file(&test_file, &text);
    assert_eq!(
        found.len(),
        discover(&rules)
            .iter()
            .filter(|t| t.test_file == test_file)
            .count()
    );
    assert!(falconer_test::discover_file(&test_file, "- rule: x\n").is_empty());
}
