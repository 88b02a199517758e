//! Rule unit tests in the editor: the "run tests" code lenses, the
//! `falconer.runTests` command and the diagnostics of test files, on a
//! small workspace (a rules file, a test file, a scenario fixture).

use super::{pos_of, TestClient};
use insta::assert_json_snapshot;
use serde_json::{json, Value};
use std::time::Duration;

const RULES: &str = "\
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- rule: Shell Spawned
  desc: a shell was started
  condition: spawned_process and proc.name in (bash, sh)
  output: \"shell %proc.name (parent %proc.pname)\"
  priority: WARNING
- rule: Untested Rule
  desc: no test names it
  condition: spawned_process and proc.name = nc
  output: \"nc %proc.cmdline\"
  priority: NOTICE
";

const TESTS: &str = "\
rules: [../rules.yaml]
cases:
  - name: a shell fires
    scenario: scenarios/shell.yaml
    expect:
      - rule: Shell Spawned
        count: 1
  - name: cat stays quiet
    scenario:
      processes:
        - {pid: 100, exe: /usr/bin/python3}
      events:
        - spawn: {pid: 101, ppid: 100, command: \"cat /etc/hosts\"}
    expect:
      - {rule: Shell Spawned, count: 0}
";

const SCENARIO: &str = "\
processes:
  - {pid: 100, exe: /usr/sbin/nginx}
events:
  - spawn: {pid: 101, ppid: 100, command: \"sh -c id\"}
";

fn workspace() -> Vec<(&'static str, &'static str)> {
    vec![
        ("rules.yaml", RULES),
        ("tests/shell.yaml", TESTS),
        ("tests/scenarios/shell.yaml", SCENARIO),
    ]
}

impl TestClient {
    async fn lenses(&mut self, name: &str) -> Value {
        let uri = self.uri(name);
        let r = self
            .result(
                "textDocument/codeLens",
                json!({ "textDocument": { "uri": uri } }),
            )
            .await;
        self.redact(&r)
    }

    /// The lens titles of a document, in order.
    async fn titles(&mut self, name: &str) -> Vec<String> {
        let l = self.lenses(name).await;
        l.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["command"]["title"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn run_tests(&mut self, args: Value) -> Value {
        let r = self
            .result(
                "workspace/executeCommand",
                json!({ "command": "falconer.runTests", "arguments": [args] }),
            )
            .await;
        self.redact(&r)
    }

    async fn shown_message(&mut self) -> Value {
        let m = self
            .take_notification(|v| v["method"] == "window/showMessage")
            .await;
        self.redact(&m["params"])
    }

    fn lens_refreshes(&self) -> usize {
        self.server_requests
            .iter()
            .filter(|r| r["method"] == "workspace/codeLens/refresh")
            .count()
    }
}

mt_test!(lenses_above_tested_rules_and_cases, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    // Only the tested rule gets a lens; the count is its cases.
    assert_json_snapshot!("lens_rules_file", c.lenses("rules.yaml").await);
    assert_json_snapshot!("lens_test_file", c.lenses("tests/shell.yaml").await);
    // Neither the test file nor the scenario is a rules file.
    for f in ["tests/shell.yaml", "tests/scenarios/shell.yaml"] {
        let uri = c.uri(f);
        let r = c
            .result(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": uri } }),
            )
            .await;
        assert_eq!(r, Value::Null, "{f}");
    }
    // Even opened as Falco rules by the client.
    let uri = c.uri("tests/shell.yaml");
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml.falco", "version": 1, "text": TESTS } }),
    )
    .await;
    let r = c
        .result(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    assert_eq!(r, Value::Null);
    // Its diagnostics are a test file's: none here (no "not a rules file").
    let d = c.take_diagnostics("tests/shell.yaml", |_| true).await;
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    assert_eq!(d["version"], 1);
});

mt_test!(run_tests_shows_results_and_failures, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    c.open("rules.yaml", 1, RULES).await;
    let out = c.run_tests(json!("Shell Spawned")).await;
    assert_json_snapshot!("run_passing", out);
    assert_eq!(
        c.shown_message().await,
        json!({ "type": 3, "message": "falconer: tests of 'Shell Spawned': ✓ 2 cases passed" })
    );
    assert_eq!(c.lens_refreshes(), 2, "running, then done");
    assert_eq!(c.titles("rules.yaml").await, ["✓ 2 passed"]);
    assert_eq!(c.titles("tests/shell.yaml").await, ["✓ passed", "✓ passed"]);

    // The test file edited (unsaved): its results are dropped, and the
    // next run reads the buffer.
    let failing = TESTS.replace("count: 1", "count: 2");
    c.open("tests/shell.yaml", 1, TESTS).await;
    assert_eq!(c.titles("rules.yaml").await, ["✓ 2 passed"], "same text");
    c.change("tests/shell.yaml", 2, &failing).await;
    assert_eq!(c.titles("rules.yaml").await, ["▶ Run 2 tests"]);
    assert_eq!(
        c.titles("tests/shell.yaml").await,
        ["▶ Run case", "▶ Run case"]
    );
    let out = c.run_tests(json!("Shell Spawned")).await;
    assert_eq!(out["failed"], 1, "{out}");
    assert_json_snapshot!("run_failing", out);
    let msg = c.shown_message().await;
    assert_eq!(msg["type"], 2);
    assert_eq!(
        msg["message"],
        "falconer: tests of 'Shell Spawned': ✗ 1 of 2 failed: 'a shell fires' (tests/shell.yaml:3)"
    );
    assert_eq!(c.titles("rules.yaml").await, ["✗ 1 of 2 failed"]);
    assert_eq!(c.titles("tests/shell.yaml").await, ["✗ failed", "✓ passed"]);
    // The failure is a diagnostic on the rule's name, pointing to the case.
    let d = c
        .take_diagnostics("rules.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    assert_json_snapshot!("failure_diagnostic", c.redact(&d));
    // And on the case's name in the open test file.
    let d = c
        .take_diagnostics("tests/shell.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    let d = &d["diagnostics"];
    assert_eq!(d.as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d[0]["code"], "test-failed");
    let (l, ch) = pos_of(&failing, "a shell fires", 0, false);
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": l, "character": ch })
    );

    // One case alone.
    let uri = c.uri("tests/shell.yaml");
    let out = c
        .run_tests(json!({ "uri": uri, "case": "cat stays quiet" }))
        .await;
    assert_eq!(
        (out["total"].clone(), out["failed"].clone()),
        (json!(1), json!(0))
    );
    let msg = c.shown_message().await;
    assert_eq!(
        msg["message"],
        "falconer: case 'cat stays quiet': ✓ 1 case passed"
    );

    // Editing the rules drops every result and the failure diagnostic.
    let edited = RULES.replace("(bash, sh)", "(bash, sh, zsh)");
    c.change("rules.yaml", 2, &edited).await;
    assert_eq!(c.titles("rules.yaml").await, ["▶ Run 2 tests"]);
    let d = c
        .take_diagnostics("rules.yaml", |p| p["diagnostics"] == json!([]))
        .await;
    assert_eq!(d["version"], 2);

    // Unknown commands and arguments are refused.
    let r = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "falconer.runTests", "arguments": [42] }),
        )
        .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "falconer.runTests", "arguments": ["Untested Rule"] }),
        )
        .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
});

mt_test!(test_file_diagnostics_follow_the_buffer, {
    for utf8 in [false, true] {
        let (mut c, _) = TestClient::start(&workspace(), utf8).await;
        // A typo in a rule name (after non-ASCII text on its line) and a
        // scenario file that does not exist.
        let broken = TESTS
            .replace(
                "- {rule: Shell Spawned, count: 0}",
                "- {output_contains: \"é𝄞\", rule: Shell Spawnd}",
            )
            .replace("scenarios/shell.yaml", "scenarios/nowhere.yaml");
        c.open("tests/shell.yaml", 1, &broken).await;
        let d = c
            .take_diagnostics("tests/shell.yaml", |p| p["diagnostics"] != json!([]))
            .await;
        assert_eq!(d["version"], 1);
        let diags = d["diagnostics"].as_array().unwrap();
        let codes: Vec<&str> = diags.iter().map(|x| x["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["missing-fixture", "unknown-rule"], "{d}");
        let (l, ch) = pos_of(&broken, "Shell Spawnd", 0, utf8);
        assert_eq!(
            diags[1]["range"],
            json!({ "start": { "line": l, "character": ch }, "end": { "line": l, "character": ch + 12 } })
        );
        if !utf8 {
            assert_json_snapshot!("test_file_diagnostics", c.redact(&d));
        }
        // The lenses follow the buffer too (the typo's rule has no lens,
        // the case still has one).
        assert_eq!(c.titles("rules.yaml").await, ["▶ Run 1 test"]);
        // Fixed in the buffer: cleared, for that version.
        c.change("tests/shell.yaml", 2, TESTS).await;
        let d = c
            .take_diagnostics("tests/shell.yaml", |p| p["diagnostics"] == json!([]))
            .await;
        assert_eq!(d["version"], 2);
        assert_eq!(c.titles("rules.yaml").await, ["▶ Run 2 tests"]);
        // A rules buffer counts: the rule renamed (unsaved) makes the
        // test file's rule unknown.
        c.open("rules.yaml", 1, RULES).await;
        c.change(
            "rules.yaml",
            2,
            &RULES.replace("Shell Spawned", "Shell Started"),
        )
        .await;
        let d = c
            .take_diagnostics("tests/shell.yaml", |p| p["diagnostics"] != json!([]))
            .await;
        let msgs: Vec<&str> = d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["message"].as_str().unwrap())
            .collect();
        assert_eq!(
            msgs,
            [
                "unknown rule 'Shell Spawned' (did you mean 'Shell Started'?)",
                "unknown rule 'Shell Spawned' (did you mean 'Shell Started'?)"
            ]
        );
        // Closed: its diagnostics are cleared.
        c.close("tests/shell.yaml").await;
        let d = c
            .take_diagnostics("tests/shell.yaml", |p| p["diagnostics"] == json!([]))
            .await;
        assert_eq!(d["version"], Value::Null);
    }
});

mt_test!(test_files_changed_on_disk_update_the_lenses, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    assert_eq!(c.titles("rules.yaml").await, ["▶ Run 2 tests"]);
    let _ = c.run_tests(json!("Shell Spawned")).await;
    assert_eq!(c.titles("rules.yaml").await, ["✓ 2 passed"]);
    // A new test file on disk: discovered, and the results dropped.
    let more = TESTS.replace("a shell fires", "another shell fires");
    c.dir.write("tests/more.yaml", &more);
    let uri = c.uri("tests/more.yaml");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri, "type": 1 }] }),
    )
    .await;
    assert_eq!(c.titles("rules.yaml").await, ["▶ Run 4 tests"]);
    let _ = c.run_tests(json!("Shell Spawned")).await;
    assert_eq!(c.titles("rules.yaml").await, ["✓ 4 passed"]);
    // A scenario fixture changed on disk: every result is dropped.
    c.dir.write(
        "tests/scenarios/shell.yaml",
        &SCENARIO.replace("sh -c id", "ls"),
    );
    let uri = c.uri("tests/scenarios/shell.yaml");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri, "type": 2 }] }),
    )
    .await;
    assert_eq!(c.titles("rules.yaml").await, ["▶ Run 4 tests"]);
    let out = c.run_tests(json!("Shell Spawned")).await;
    assert_eq!(out["failed"], 2, "{out}");
    c.settle(Duration::from_millis(50)).await;
});
