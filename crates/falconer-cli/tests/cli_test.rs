//! `falconer test` and `falconer scenario build` end to end: exit
//! statuses, formats, coverage threshold, errors with positions.

mod common;

use common::{falconer, repo_root, TempDir};

fn fixtures() -> std::path::PathBuf {
    repo_root().join("crates/falconer-test/tests/fixtures/suites")
}

#[test]
fn bundled_tests_pass_from_the_repository_root() {
    let r = falconer(["test", "rules/"]).cwd(repo_root()).run();
    r.expect_no_crash().expect_code(0);
    assert!(
        r.stdout.contains("rules/tests/web_fetch.yaml\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("  ✓ curl in a container fires"));
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("tests: ") && l.ends_with(" passed, 0 failed")),
        "{}",
        r.stdout
    );
}

#[test]
fn failures_exit_1_with_explanations() {
    let r = falconer(["test"]).arg(fixtures().join("failing")).run();
    r.expect_no_crash().expect_code(1);
    assert!(r.stdout.contains("tests: 0 passed, 6 failed"));
    assert!(r.stdout.contains("because:"));
    assert!(r
        .stdout
        .contains("macro in_container > `container.id != host` is false (container.id = host)"));
}

#[test]
fn a_bad_test_file_exits_2_with_positions() {
    let r = falconer(["test"])
        .arg(fixtures().join("malformed/references.yaml"))
        .run();
    r.expect_no_crash().expect_code(2);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("references.yaml:9:15: error[unknown-rule]: unknown rule 'Etc Writes' (did you mean 'Etc Write'?)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("error[missing-fixture]"));
    let r = falconer(["test", "--run", "("])
        .arg(fixtures().join("passing"))
        .run();
    r.expect_no_crash().expect_code(2);
    assert!(r.stderr.contains("--run"), "{}", r.stderr);
    let empty = TempDir::new("no-tests");
    empty.write("rules.yaml", "- list: x\n  items: [a]\n");
    let r = falconer(["test", "."]).cwd(empty.path()).run();
    r.expect_no_crash().expect_code(2);
    assert!(r.stderr.contains("no test cases found"), "{}", r.stderr);
}

#[test]
fn json_and_junit_formats() {
    let r = falconer(["test", "--format", "json", "--coverage"])
        .arg(fixtures().join("coverage"))
        .run();
    r.expect_no_crash().expect_code(0);
    let j = r.json();
    assert_eq!(j["summary"]["passed"], 2);
    assert_eq!(j["coverage"]["outcomes_seen"], 11);
    assert_eq!(j["coverage"]["outcomes_total"], 16);
    let r = falconer(["test", "--format", "junit"])
        .arg(fixtures().join("failing"))
        .run();
    r.expect_no_crash().expect_code(1);
    assert!(r.stdout.starts_with("<?xml"));
    assert_eq!(r.stdout.matches("<failure ").count(), 6);
}

#[test]
fn fail_under_sets_the_exit_status() {
    let r = falconer(["test", "--fail-under", "68"])
        .arg(fixtures().join("coverage"))
        .run();
    r.expect_no_crash().expect_code(0);
    assert!(r.stdout.contains("coverage: 68.8%"), "{}", r.stdout);
    let r = falconer(["test", "--fail-under", "70"])
        .arg(fixtures().join("coverage"))
        .run();
    r.expect_no_crash().expect_code(1);
    assert!(
        r.stderr
            .contains("coverage 68.8% is under --fail-under 70%"),
        "{}",
        r.stderr
    );
    let r = falconer(["test", "--fail-under", "170"])
        .arg(fixtures().join("coverage"))
        .run();
    r.expect_no_crash().expect_code(2);
}

#[test]
fn scenario_build_writes_a_capture_replay_reads() {
    let dir = TempDir::new("scenario");
    let out = dir.path().join("c.scap");
    let r = falconer(["scenario", "build"])
        .arg(repo_root().join("rules/tests/scenarios/curl_in_container.yaml"))
        .arg("-o")
        .arg(&out)
        .run();
    r.expect_no_crash().expect_code(0);
    let r = falconer(["replay"])
        .arg(&out)
        .arg("--rules")
        .arg(repo_root().join("rules"))
        .run();
    r.expect_no_crash().expect_code(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(lines[0].contains("Informational Web fetch program run in container"));
    assert!(lines[1].contains("Notice Unexpected outbound connection from container"));
    let bad = dir.write("bad.yaml", "events:\n  - open: {pid: 7, path: /x}\n");
    let r = falconer(["scenario", "build"])
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .run();
    r.expect_no_crash().expect_code(2);
    assert!(
        r.stderr
            .contains("bad.yaml:2:17: error[scenario]: no process 7 at this point"),
        "{}",
        r.stderr
    );
}
