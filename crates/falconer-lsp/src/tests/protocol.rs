use super::{pos_of, TestClient};
use insta::assert_json_snapshot;
use serde_json::{json, Value};
use std::time::Duration;

const MACROS: &str = "\
- list: shell_binaries
  items: [bash, sh, zsh]
- list: all_shells
  items: [shell_binaries, csh]
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- macro: shell_procs
  condition: proc.name in (all_shells)
";

const RULES: &str = "\
- macro: spawned_process
  condition: and proc.pid > 0
  override:
    condition: append
- rule: Shell spawned
  desc: a shell was spawned
  condition: spawned_process and shell_procs and fd.num >= 0
  output: \"shell %proc.name (parent %proc.pname)\"
  priority: WARNING
";

const NOT_RULES: &str = "apiVersion: v1\nkind: Pod\n";

fn workspace() -> Vec<(&'static str, &'static str)> {
    vec![
        ("rules/macros.yaml", MACROS),
        ("rules/rules.yaml", RULES),
        ("deploy/pod.yaml", NOT_RULES),
    ]
}

mt_test!(initialize_negotiates_utf8_when_offered, {
    let (c, init) = TestClient::start(&workspace(), true).await;
    let mut result = c.redact(&init["result"]);
    result["serverInfo"]["version"] = json!("[version]");
    assert_json_snapshot!("initialize", result);
    let (_, init16) = TestClient::start(&workspace(), false).await;
    assert_eq!(
        init16["result"]["capabilities"]["positionEncoding"],
        "utf-16"
    );
});

mt_test!(macro_in_one_file_resolves_in_another, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    c.open("rules/rules.yaml", 1, RULES).await;
    // No diagnostic at all: `spawned_process` and `shell_procs` resolve in
    // the other file (only non-empty sets are ever published).
    c.settle(Duration::from_millis(300)).await;
    let published: Vec<&Value> = c
        .pending
        .iter()
        .filter(|v| v["method"] == "textDocument/publishDiagnostics")
        .collect();
    assert!(published.is_empty(), "{published:?}");
    // Definition jumps across files, to the definition and the append.
    let (l, ch) = pos_of(RULES, "spawned_process and", 3, false);
    let defs = c.at("definition", "rules/rules.yaml", l, ch).await;
    assert_json_snapshot!("definition_across_files", c.redact(&defs));
    // A typo: undefined macro, with a did-you-mean.
    let typo = RULES.replace("spawned_process and", "spawned_proces and");
    c.change("rules/rules.yaml", 2, &typo).await;
    let d = c
        .diagnostics("rules/rules.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    assert_json_snapshot!("undefined_macro_diagnostic", c.redact(&d));
    // Fixed: the diagnostics are cleared.
    c.change("rules/rules.yaml", 3, RULES).await;
    let d = c
        .diagnostics("rules/rules.yaml", |p| p["diagnostics"] == json!([]))
        .await;
    assert_eq!(d["version"], 3);
    // The file that is not a rules file is not analysed.
    let uri = c.uri("deploy/pod.yaml");
    let r = c
        .result(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    assert_eq!(r, Value::Null);
});

mt_test!(symbols_references_hover_completion, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    let uri = c.uri("rules/macros.yaml");
    let symbols = c
        .result(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    assert_json_snapshot!("document_symbols", c.redact(&symbols));
    let rule_syms = c
        .result(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": c.uri("rules/rules.yaml") } }),
        )
        .await;
    assert_eq!(rule_syms[1]["detail"], "WARNING");

    let (l, ch) = pos_of(MACROS, "- list: shell_binaries", 10, false);
    let refs = c.at("references", "rules/macros.yaml", l, ch).await;
    assert_json_snapshot!("references_of_list", c.redact(&refs));
    let (l, ch) = pos_of(MACROS, "- macro: spawned_process", 10, false);
    let refs = c.at("references", "rules/macros.yaml", l, ch).await;
    assert_json_snapshot!("references_of_macro", c.redact(&refs));

    let (l, ch) = pos_of(RULES, "proc.pname", 6, false);
    let h = c.at("hover", "rules/rules.yaml", l, ch).await;
    assert_json_snapshot!("hover_output_field", c.redact(&h));
    let (l, ch) = pos_of(MACROS, "(all_shells)", 2, false);
    let h = c.at("hover", "rules/macros.yaml", l, ch).await;
    assert_json_snapshot!("hover_list", c.redact(&h));
    let (l, ch) = pos_of(RULES, "shell_procs", 2, false);
    let h = c.at("hover", "rules/rules.yaml", l, ch).await;
    assert_json_snapshot!("hover_macro", c.redact(&h));

    // Completion of fields after `fd.`, in a document being edited.
    let text = RULES.replace("fd.num >= 0", "fd.nu");
    c.open("rules/rules.yaml", 1, &text).await;
    let (l, ch) = pos_of(&text, "fd.nu", 5, false);
    let comp = c.at("completion", "rules/rules.yaml", l, ch).await;
    assert_json_snapshot!("completion_fields", c.redact(&comp));
    // Macros first in operand position.
    let text = RULES.replace("spawned_process and shell_procs", "spawned_process and sh");
    c.change("rules/rules.yaml", 2, &text).await;
    let (l, ch) = pos_of(&text, "and sh", 6, false);
    let comp = c.at("completion", "rules/rules.yaml", l, ch).await;
    assert_eq!(comp["items"][0]["label"], "shell_procs");
    assert_eq!(comp["items"][0]["kind"], 3);
    // Long lists leave documentation to resolve.
    let text = RULES.replace("spawned_process and shell_procs", "spawned_process and ");
    c.change("rules/rules.yaml", 3, &text).await;
    let (l, ch) = pos_of(&text, "and  and", 4, false);
    let comp = c.at("completion", "rules/rules.yaml", l, ch).await;
    let items = comp["items"].as_array().unwrap();
    let field = items.iter().find(|i| i["label"] == "proc.name").unwrap();
    assert!(field.get("documentation").is_none());
    let resolved = c.result("completionItem/resolve", field.clone()).await;
    assert!(resolved["documentation"]["value"]
        .as_str()
        .unwrap()
        .starts_with("**proc.name** · `CHARBUF`"));
});

/// A line with non-ASCII text before a field: "é" is 2 UTF-8 bytes and 1
/// UTF-16 unit, "𝄞" 4 bytes and 2 units.
const NON_ASCII: &str = "\
- rule: r
  desc: d
  condition: evt.type = open and proc.name = \"é𝄞\" and fd.nmae = x
  output: o
  priority: INFO
";

async fn non_ascii_positions(utf8: bool) {
    let (mut c, _) = TestClient::start(&[("a.yaml", NON_ASCII)], utf8).await;
    let d = c
        .diagnostics("a.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    let diag = &d["diagnostics"][0];
    assert_eq!(diag["code"], "unknown-field");
    let (line, start) = pos_of(NON_ASCII, "fd.nmae", 0, utf8);
    let expected = json!({
        "start": { "line": line, "character": start },
        "end": { "line": line, "character": start + 7 },
    });
    assert_eq!(diag["range"], expected, "utf8={utf8}");
    // Hover on the field right after the non-ASCII text.
    let fixed = NON_ASCII.replace("fd.nmae", "fd.name");
    c.open("a.yaml", 1, &fixed).await;
    let (line, col) = pos_of(&fixed, "fd.name", 3, utf8);
    let h = c.at("hover", "a.yaml", line, col).await;
    assert_eq!(h["range"], expected, "utf8={utf8}");
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .starts_with("**fd.name**"));
    // Completion replaces exactly the typed word.
    let typing = NON_ASCII.replace("fd.nmae = x", "fd.na");
    c.change("a.yaml", 2, &typing).await;
    let (line, col) = pos_of(&typing, "fd.na", 5, utf8);
    let comp = c.at("completion", "a.yaml", line, col).await;
    let item = comp["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "fd.name")
        .unwrap()
        .clone();
    assert_eq!(
        item["textEdit"]["range"],
        json!({ "start": { "line": line, "character": col - 5 }, "end": { "line": line, "character": col } })
    );
}

mt_test!(utf16_positions_with_non_ascii_text, {
    non_ascii_positions(false).await;
});

mt_test!(utf8_positions_with_non_ascii_text, {
    non_ascii_positions(true).await;
});

mt_test!(a_panicking_request_is_isolated, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    let r = c.request("falconer/testPanic", json!(null)).await;
    assert_eq!(r["error"]["code"], -32603, "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("test panic"));
    // The server lives on.
    let (l, ch) = pos_of(RULES, "shell_procs", 2, false);
    let h = c.at("hover", "rules/rules.yaml", l, ch).await;
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("shell_procs"));
});

mt_test!(a_panic_in_any_handler_is_isolated, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    let (l, ch) = pos_of(RULES, "shell_procs", 2, false);
    let uri = c.uri("rules/rules.yaml");
    // The hook makes the next request's feature panic inside its task.
    for (method, params) in [
        (
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": { "line": l, "character": ch }, "newName": "x_procs" }),
        ),
        (
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": uri } }),
        ),
        (
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } }),
        ),
    ] {
        c.result("falconer/testPanicNext", json!(null)).await;
        let r = c.request(method, params.clone()).await;
        assert_eq!(r["error"]["code"], -32603, "{r}");
        assert!(r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("injected panic"));
        // Logged to the client too.
        let log = c
            .wait_notification(|v| v["method"] == "window/logMessage")
            .await;
        assert_eq!(log["params"]["type"], 1, "{log}");
        assert!(log["params"]["message"]
            .as_str()
            .unwrap()
            .contains("injected panic"));
        // The same request works again: the server lives on.
        let r = c.request(method, params).await;
        assert!(r.get("error").is_none(), "{r}");
    }
});

mt_test!(a_quick_fix_applied_clears_its_diagnostic, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    let typo = RULES.replace("fd.num >= 0", "fd.nm >= 0");
    c.open("rules/rules.yaml", 1, &typo).await;
    let d = c
        .diagnostics("rules/rules.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    let diag = d["diagnostics"][0].clone();
    assert_eq!(diag["code"], "unknown-field");
    // Without a docsBaseUrl: no link; data and hover say how to read the
    // page.
    assert!(diag.get("codeDescription").is_none(), "{diag}");
    assert_eq!(diag["data"]["explain"], "falconer explain unknown-field");
    let (l, ch) = pos_of(&typo, "fd.nm ", 2, false);
    let h = c.at("hover", "rules/rules.yaml", l, ch).await;
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("Run `falconer explain unknown-field` for the full page."));
    let uri = c.uri("rules/rules.yaml");
    let actions = c
        .result(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": diag["range"], "context": { "diagnostics": [diag] } }),
        )
        .await;
    assert_eq!(actions[0]["title"], "Change to 'fd.num'");
    // Apply the edit as a client would.
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    let (start, end) = (&edit["range"]["start"], &edit["range"]["end"]);
    assert_eq!(start["line"], end["line"]);
    let line = start["line"].as_u64().unwrap() as usize;
    let mut lines: Vec<String> = typo.lines().map(String::from).collect();
    let (a, b) = (
        start["character"].as_u64().unwrap() as usize,
        end["character"].as_u64().unwrap() as usize,
    );
    lines[line].replace_range(a..b, edit["newText"].as_str().unwrap());
    let fixed = lines.join("\n") + "\n";
    assert_eq!(fixed, RULES);
    c.change("rules/rules.yaml", 2, &fixed).await;
    let d = c
        .diagnostics("rules/rules.yaml", |p| p["diagnostics"] == json!([]))
        .await;
    assert_eq!(d["version"], 2);
});

mt_test!(half_typed_text_never_breaks_requests, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    let target = "- rule: New\n  desc: d\n  condition: evt.type in (open, 'x and proc.name startswith \"/é\" or not (fd.\n  output: \"%proc.name %fd.\n  priority: ";
    let mut text = String::from(RULES);
    c.open("rules/rules.yaml", 1, &text).await;
    let mut version = 1;
    for ch in target.chars() {
        text.push(ch);
        version += 1;
        c.change("rules/rules.yaml", version, &text).await;
        if version % 3 != 0 {
            continue;
        }
        let lines = text.lines().count() as u32;
        let last = text.lines().last().unwrap_or("");
        let col = last.encode_utf16().count() as u32;
        let line = if text.ends_with('\n') {
            lines
        } else {
            lines - 1
        };
        let uri = c.uri("rules/rules.yaml");
        let doc = json!({ "uri": uri });
        let whole = json!({ "start": { "line": 0, "character": 0 }, "end": { "line": line + 1, "character": 0 } });
        let here = json!({ "line": line, "character": col });
        let mut requests: Vec<(String, Value)> = [
            "completion",
            "hover",
            "definition",
            "references",
            "documentHighlight",
            "prepareRename",
        ]
        .iter()
        .map(|m| {
            (
                format!("textDocument/{m}"),
                super::position_params(&uri, m, line, col),
            )
        })
        .collect();
        requests.extend([
            (
                "textDocument/rename".to_string(),
                json!({ "textDocument": doc, "position": here, "newName": "renamed_x" }),
            ),
            (
                "textDocument/semanticTokens/full".to_string(),
                json!({ "textDocument": doc }),
            ),
            (
                "textDocument/semanticTokens/range".to_string(),
                json!({ "textDocument": doc, "range": whole }),
            ),
            (
                "textDocument/codeAction".to_string(),
                json!({ "textDocument": doc, "range": whole, "context": { "diagnostics": [] } }),
            ),
            (
                "textDocument/inlayHint".to_string(),
                json!({ "textDocument": doc, "range": whole }),
            ),
            (
                "textDocument/foldingRange".to_string(),
                json!({ "textDocument": doc }),
            ),
            (
                "textDocument/selectionRange".to_string(),
                json!({ "textDocument": doc, "positions": [here] }),
            ),
            ("workspace/symbol".to_string(), json!({ "query": "sh" })),
        ]);
        for (method, params) in requests {
            let r = c.request(&method, params).await;
            // A newer edit may cancel a request (ContentModified), and a
            // rename may be refused (RequestFailed); any other error is a
            // bug.
            if let Some(e) = r.get("error") {
                let refused = e["code"] == -32803 && method.contains("ename");
                assert!(
                    e["code"] == -32801 || refused,
                    "{method} at {line}:{col}: {r}"
                );
            }
        }
    }
});

mt_test!(a_burst_of_changes_publishes_only_the_latest, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    c.open("rules/rules.yaml", 1, RULES).await;
    let typo = RULES.replace("spawned_process and", "spawned_proces and");
    let last = 40;
    for v in 2..last {
        let text = if v % 2 == 0 { &typo } else { RULES };
        c.change("rules/rules.yaml", v, text).await;
    }
    // The last change has its own diagnostic.
    let final_typo = RULES.replace("spawned_process and", "spawned_procxs and");
    c.change("rules/rules.yaml", last, &final_typo).await;
    // Collect what is published until the latest version shows up.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        c.settle(Duration::from_millis(100)).await;
        let all = c.published("rules/rules.yaml");
        if all.iter().any(|p| p["version"] == json!(last)) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{all:?}");
    }
    c.settle(Duration::from_millis(300)).await;
    let all = c.published("rules/rules.yaml");
    // Versions never go back: a result is published only if no newer
    // change arrived while it was computed.
    let versions: Vec<i64> = all.iter().map(|p| p["version"].as_i64().unwrap()).collect();
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
    // A burst is merged: far fewer runs than changes.
    assert!(versions.len() < 20, "{versions:?}");
    let final_ = all.last().unwrap();
    assert_eq!(final_["version"], json!(last));
    let msg = final_["diagnostics"][0]["message"].as_str().unwrap();
    assert!(msg.starts_with("Undefined macro 'spawned_procxs'"), "{msg}");
});

mt_test!(files_changed_on_disk_are_picked_up, {
    let rules = "- rule: r\n  desc: d\n  condition: evt.type = open and my_macro\n  output: o\n  priority: INFO\n";
    let (mut c, _) = TestClient::start(&[("a.yaml", rules)], false).await;
    let d = c
        .diagnostics("a.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    assert_eq!(d["diagnostics"][0]["code"], "undefined-macro");
    // A new rules file defining the macro appears on disk.
    c.dir
        .write("b.yaml", "- macro: my_macro\n  condition: proc.name = x\n");
    let uri = c.uri("b.yaml");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri, "type": 1 }] }),
    )
    .await;
    c.diagnostics("a.yaml", |p| p["diagnostics"] == json!([]))
        .await;
    let (l, ch) = pos_of(rules, "my_macro", 2, false);
    let defs = c.at("definition", "a.yaml", l, ch).await;
    assert_eq!(defs[0]["targetUri"], json!(uri));
});

mt_test!(falconer_toml_gives_the_load_order, {
    let base = "- macro: base\n  condition: proc.name = x\n";
    let local = "- macro: local\n  condition: base and fd.num > 0\n- rule: r\n  desc: d\n  condition: evt.type = open and local\n  output: o\n  priority: INFO\n";
    let (mut c, _) = TestClient::start(
        &[
            (
                "falconer.toml",
                "rules_files = [\"local.yaml\", \"base.yaml\"]\n",
            ),
            ("base.yaml", base),
            ("local.yaml", local),
        ],
        false,
    )
    .await;
    // local.yaml loads first: its macro refers forward to `base`.
    let d = c
        .diagnostics("local.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    assert_json_snapshot!("forward_reference_by_load_order", c.redact(&d));
});

mt_test!(closing_a_document_reverts_to_the_disk_text, {
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    let typo = RULES.replace("spawned_process and", "spawned_proces and");
    c.open("rules/rules.yaml", 1, &typo).await;
    c.diagnostics("rules/rules.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    c.close("rules/rules.yaml").await;
    let d = c
        .diagnostics("rules/rules.yaml", |p| p["diagnostics"] == json!([]))
        .await;
    assert_eq!(d["version"], Value::Null);
});

/// A rule whose list reference is misspelt (list-typo, a warning) and an
/// unused macro.
const SETTINGS_RULES: &str = "- list: shell_binaries\n  items: [bash, sh]\n- macro: never_used\n  condition: proc.name = x\n- rule: r\n  desc: d\n  condition: evt.type = execve and proc.name in (shell_binaries, shell_binarys)\n  output: o\n  priority: INFO\n";

fn codes_and_severities(p: &Value) -> Vec<(String, u64)> {
    p["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["severity"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

mt_test!(client_settings_set_lints_and_the_config_file, {
    // initializationOptions: lint levels on top of the project's.
    let (mut c, _) = TestClient::start_with(
        &[
            ("rules.yaml", SETTINGS_RULES),
            (
                "conf/team.toml",
                "rules_files = [\"../rules.yaml\"]\n[lints]\nlist-typo = \"error\"\n",
            ),
        ],
        false,
        json!({ "lints": { "unused-macro": "off" } }),
    )
    .await;
    let d = c
        .diagnostics("rules.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    assert_eq!(codes_and_severities(&d), [("list-typo".to_string(), 2)]);
    // didChangeConfiguration (VS Code's shape): another config file, whose
    // [lints] make list-typo an error; our lints still apply on top.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "falconer": { "config": "conf/team.toml", "lints": { "unused-macro": "off" } } } }),
    )
    .await;
    let d = c
        .diagnostics("rules.yaml", |p| {
            codes_and_severities(p) == [("list-typo".to_string(), 1)]
        })
        .await;
    assert_eq!(codes_and_severities(&d), [("list-typo".to_string(), 1)]);
    // Settings with an unknown code: the problem is shown, the rest applies.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "lints": { "no-such-code": "off" } } }),
    )
    .await;
    let shown = c
        .wait_notification(|v| v["method"] == "window/showMessage")
        .await;
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown diagnostic code 'no-such-code'"),
        "{shown}"
    );
    let d = c
        .diagnostics("rules.yaml", |p| codes_and_severities(p).len() == 2)
        .await;
    assert_eq!(
        codes_and_severities(&d),
        [
            ("unused-macro".to_string(), 2),
            ("list-typo".to_string(), 2)
        ]
    );
});

mt_test!(documents_with_the_falco_language_id_are_rules, {
    let (mut c, _) = TestClient::start(&[("notes.yaml", "")], false).await;
    // Flow style: nothing at column 0 says "rules"; the language id does.
    let text = "[{rule: r, desc: d, condition: proc.nme = x, output: o, priority: INFO}]\n";
    let uri = c.uri("notes.yaml");
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "falco", "version": 1, "text": text } }),
    )
    .await;
    let d = c
        .diagnostics("notes.yaml", |p| p["diagnostics"] != json!([]))
        .await;
    assert_eq!(codes_and_severities(&d)[0].0, "unknown-field");
});

mt_test!(formatting_and_range_formatting, {
    let text = "- macro: m\n  condition: proc.name=\"é𝄞\"  and  fd.num=1\n- macro: n\n  condition: (proc.pname in (a,b))\n";
    let (mut c, _) = TestClient::start(&[("a.yaml", text)], false).await;
    let uri = c.uri("a.yaml");
    let opts = json!({ "tabSize": 8, "insertSpaces": false });
    let edits = c
        .result(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": opts }),
        )
        .await;
    // One edit per condition, ranges in UTF-16 (the client's tab size is
    // ignored: `falconer fmt` must agree with the editor).
    assert_json_snapshot!("formatting_edits", edits);
    // Range formatting: only the condition under the range.
    let (l, ch) = pos_of(text, "proc.pname", 0, false);
    let edits = c
        .result(
            "textDocument/rangeFormatting",
            json!({
                "textDocument": { "uri": uri },
                "range": { "start": { "line": l, "character": ch }, "end": { "line": l, "character": ch + 3 } },
                "options": opts,
            }),
        )
        .await;
    assert_eq!(
        edits,
        json!([{ "range": { "start": { "line": 3, "character": 13 }, "end": { "line": 3, "character": 34 } },
                 "newText": "(proc.pname in (a, b))" }])
    );
    // A YAML syntax error: no edits, no error.
    c.open("a.yaml", 1, "- macro: m\n  condition: a=b\n- [\n")
        .await;
    let r = c
        .result(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": opts }),
        )
        .await;
    assert_eq!(r, Value::Null);
    // A falconer.toml width applies.
    let (mut c, _) = TestClient::start(
        &[
            (
                "a.yaml",
                "- macro: m\n  condition: aaaa and bbbb and cccc\n",
            ),
            (
                "falconer.toml",
                "rules_files = [\"a.yaml\"]\n[format]\nwidth = 20\n",
            ),
        ],
        false,
    )
    .await;
    let uri = c.uri("a.yaml");
    let edits = c
        .result(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": opts }),
        )
        .await;
    assert_eq!(
        edits[0]["newText"],
        ">-\n    aaaa\n    and bbbb\n    and cccc"
    );
});

mt_test!(a_burst_never_publishes_a_stale_result, {
    // Three versions of the rules file, each with its own diagnostic,
    // reached by ranged edits of the macro name (positions in UTF-16).
    let (mut c, _) = TestClient::start(&workspace(), false).await;
    c.open("rules/rules.yaml", 1, RULES).await;
    let names = ["spawned_procxs", "spawned_procys", "spawned_process_"];
    let (line, col) = pos_of(RULES, "spawned_process and", 0, false);
    let at = RULES.find("spawned_process and").unwrap();
    let mut current = "spawned_process".to_string();
    let mut texts: Vec<String> = vec![String::new(), RULES.to_string()];
    let last = 80;
    for v in 2..=last {
        // The last text has a diagnostic no earlier version had (a set
        // equal to the last one published is not sent again).
        let next = if v == last {
            "spawned_procfinal"
        } else {
            names[v as usize % names.len()]
        };
        let range = json!({
            "start": { "line": line, "character": col },
            "end": { "line": line, "character": col + current.encode_utf16().count() as u32 },
        });
        let uri = c.uri("rules/rules.yaml");
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": v },
                    "contentChanges": [{ "range": range, "text": next }] }),
        )
        .await;
        // Mostly back to back; every 16th change after a pause long
        // enough for a run to complete mid-burst.
        if v % 16 == 0 {
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
        let mut t = texts[v as usize - 1].clone();
        t.replace_range(at..at + current.len(), next);
        texts.push(t);
        current = next.to_string();
    }
    // Everything published until the last version shows up (and a bit).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        c.settle(Duration::from_millis(100)).await;
        if c.published("rules/rules.yaml")
            .iter()
            .any(|p| p["version"] == json!(last))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the last version was never published"
        );
    }
    c.settle(Duration::from_millis(500)).await;
    let all = c.published("rules/rules.yaml");
    let versions: Vec<i64> = all.iter().map(|p| p["version"].as_i64().unwrap()).collect();
    // Never back, and the last published is the last version.
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
    assert_eq!(versions.last(), Some(&(last as i64)), "{versions:?}");
    // A burst is merged: far fewer runs than changes.
    assert!(versions.len() < last as usize / 2, "{versions:?}");
    // Every publication is exactly the result for the version it names:
    // nothing computed for an older text went out under a newer version.
    let macros = c.dir.0.join("rules/macros.yaml");
    let rules = c.dir.0.join("rules/rules.yaml");
    let uri = c.uri("rules/rules.yaml");
    for p in &all {
        let v = p["version"].as_i64().unwrap() as usize;
        let fresh = super::fresh_diagnostics(&[
            (macros.clone(), MACROS, 0),
            (rules.clone(), texts[v].as_str(), v as i32),
        ]);
        assert_eq!(p["diagnostics"], fresh[&uri], "version {v}");
    }
    // The server's text is the client's.
    let t = c
        .result("falconer/testDocumentText", json!({ "uri": uri }))
        .await;
    assert_eq!(t, json!(texts[last as usize]));
});

mt_test!(ranged_changes_apply_in_order_in_utf16, {
    let text = "- macro: m\n  condition: proc.name = \"é𝄞\" and fd.name = x\n";
    let (mut c, _) = TestClient::start(&[("a.yaml", text)], false).await;
    c.open("a.yaml", 1, text).await;
    let uri = c.uri("a.yaml");
    // Line 1: `  condition: proc.name = "é𝄞" and fd.name = x`; in UTF-16 `𝄞`
    // takes 2 units, so ` and` starts at column 30.
    let changes = json!([
        // Replace `fd.name` (columns 35..42) by `proc.pname`.
        { "range": { "start": { "line": 1, "character": 35 }, "end": { "line": 1, "character": 42 } },
          "text": "proc.pname" },
        // Then, in the text that change left, insert after the closing quote.
        { "range": { "start": { "line": 1, "character": 30 }, "end": { "line": 1, "character": 30 } },
          "text": " or evt.type = open" },
        // A new line at the end, then text on it.
        { "range": { "start": { "line": 2, "character": 0 }, "end": { "line": 2, "character": 0 } },
          "text": "# é\n" },
        { "range": { "start": { "line": 2, "character": 3 }, "end": { "line": 2, "character": 3 } },
          "text": "!" },
    ]);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": changes }),
    )
    .await;
    let t = c
        .result("falconer/testDocumentText", json!({ "uri": uri }))
        .await;
    assert_eq!(
        t,
        json!("- macro: m\n  condition: proc.name = \"é𝄞\" or evt.type = open and proc.pname = x\n# é!\n")
    );
    // A whole text for a document never opened is taken; ranged changes
    // to it are dropped.
    let other = c.uri("b.yaml");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": other, "version": 1 },
                "contentChanges": [{ "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "text": "x" }] }),
    )
    .await;
    let t = c
        .result("falconer/testDocumentText", json!({ "uri": other }))
        .await;
    assert_eq!(t, Value::Null);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": other, "version": 2 }, "contentChanges": [{ "text": "- list: l\n  items: []\n" }] }),
    )
    .await;
    let t = c
        .result("falconer/testDocumentText", json!({ "uri": other }))
        .await;
    assert_eq!(t, json!("- list: l\n  items: []\n"));
});
