//! The other subcommands: explain, fields, parse, expand, and --version.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// `(code, severity, falco code)` rows of `falconer explain --list`.
fn listed_codes() -> Vec<(String, String, Option<String>)> {
    let run = falconer(["explain", "--list"]).run();
    run.expect_code(0);
    run.stdout
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            assert!(c.len() >= 4, "malformed --list row {l:?}");
            (
                c[0].to_string(),
                c[1].to_string(),
                (c[2] != "(falconer)").then(|| c[2].to_string()),
            )
        })
        .collect()
}

// -------------------------------------------------------------- explain --

#[test]
fn explain_list_has_every_documented_code() {
    let codes = listed_codes();
    assert!(codes.len() > 20, "{codes:?}");
    let listed: BTreeSet<String> = codes.iter().map(|c| c.0.clone()).collect();
    assert_eq!(listed.len(), codes.len(), "duplicate codes in --list");
    for (code, sev, falco) in &codes {
        assert!(
            ["error", "warning", "info", "hint"].contains(&sev.as_str()),
            "{code}: severity {sev}"
        );
        if let Some(f) = falco {
            assert!(f.starts_with("LOAD_"), "{code}: {f}");
        }
    }
    // One page per code in docs/diagnostics, and no page without a code.
    let pages: BTreeSet<String> = std::fs::read_dir(repo_root().join("docs/diagnostics"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            if p.extension()? != "md" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .filter(|s| s != "README")
        .collect();
    assert_eq!(listed, pages);
}

#[test]
fn explain_prints_a_page_for_every_listed_code() {
    for (code, _, _) in listed_codes() {
        let run = falconer(["explain", code.as_str()]).run();
        run.expect_code(0);
        assert!(
            run.stdout.starts_with(&format!("# {code}\n")),
            "page of {code} starts with {:?}",
            run.stdout.lines().next()
        );
        assert!(run.stdout.len() > 200, "page of {code} is a stub");
        // The page is the file in docs/diagnostics.
        let file = std::fs::read_to_string(repo_root().join(format!("docs/diagnostics/{code}.md")))
            .unwrap();
        assert_eq!(run.stdout, file, "{code}");
    }
}

#[test]
fn explain_without_a_code_lists_codes() {
    let run = falconer(["explain"]).run();
    run.expect_code(0);
    let list = falconer(["explain", "--list"]).run();
    assert_eq!(run.stdout, list.stdout);
}

#[test]
fn explain_a_falco_code_lists_our_codes_for_it() {
    let codes = listed_codes();
    let want: Vec<&str> = codes
        .iter()
        .filter(|c| c.2.as_deref() == Some("LOAD_ERR_VALIDATE"))
        .map(|c| c.0.as_str())
        .collect();
    assert!(want.contains(&"undefined-macro"), "{want:?}");
    for arg in ["LOAD_ERR_VALIDATE", "load_err_validate"] {
        let run = falconer(["explain", arg]).run();
        run.expect_code(0);
        assert!(run.stdout.contains("LOAD_ERR_VALIDATE") || run.stdout.contains(arg));
        let got: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.starts_with("  "))
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(got, want, "{arg}:\n{}", run.stdout);
    }
    // Every Falco code of the table is accepted.
    let falco: BTreeSet<&str> = codes.iter().filter_map(|c| c.2.as_deref()).collect();
    for f in falco {
        falconer(["explain", f]).run().expect_code(0);
    }
}

#[test]
fn explain_unknown_code_exits_2_with_a_suggestion() {
    let run = falconer(["explain", "unused-macr"]).run();
    run.expect_code(2);
    assert!(run.stderr.contains("unused-macr"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean 'unused-macro'"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");

    let run = falconer(["explain", "zzzzzzzzzz"]).run();
    run.expect_code(2);
    assert!(run.stderr.contains("zzzzzzzzzz"), "{}", run.stderr);
}

// --------------------------------------------------------------- fields --

/// Rows of the fields table: (name with argument form, the rest of the line).
fn field_rows(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .map(|l| {
            let (name, rest) = l.split_once(' ').unwrap_or((l, ""));
            (name.to_string(), rest.trim_start().to_string())
        })
        .collect()
}

#[test]
fn fields_lists_proc_name_with_its_type() {
    let run = falconer(["fields", "proc."]).run();
    run.expect_code(0);
    let rows = field_rows(&run.stdout);
    assert!(rows.len() > 10, "{}", run.stdout);
    let name = rows
        .iter()
        .find(|r| r.0 == "proc.name")
        .unwrap_or_else(|| panic!("no proc.name in:\n{}", run.stdout));
    let cols: Vec<&str> = name.1.split_whitespace().collect();
    assert_eq!(cols[..2], ["CHARBUF", "syscall"], "{name:?}");
    assert!(rows.iter().all(|r| r.0.contains("proc.")), "{}", run.stdout);
}

#[test]
fn fields_glob_pattern() {
    let run = falconer(["fields", "proc.a*"]).run();
    run.expect_code(0);
    let rows = field_rows(&run.stdout);
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.0.starts_with("proc.a")),
        "{}",
        run.stdout
    );
}

#[test]
fn fields_of_a_plugin_source() {
    let run = falconer([
        "fields",
        "--source",
        "k8s_audit",
        "--plugin",
        "k8saudit",
        "ka.",
    ])
    .run();
    run.expect_code(0);
    let rows = field_rows(&run.stdout);
    assert!(rows.iter().any(|r| r.0 == "ka.verb"), "{}", run.stdout);
    assert!(
        rows.iter().all(|r| r.1.contains(" k8s_audit ")),
        "{}",
        run.stdout
    );
    assert!(!rows.iter().any(|r| r.0.starts_with("proc.")));
    // Without the plugin the source has no fields: nothing matches.
    let run = falconer(["fields", "--source", "k8s_audit", "ka."]).run();
    run.expect_code(1);
    assert_eq!(run.stdout, "");
}

#[test]
fn fields_with_unknown_plugin_exits_2() {
    let run = falconer(["fields", "--source", "k8s_audit", "--plugin", "nope", "ka."]).run();
    run.expect_code(2);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
}

#[test]
fn fields_nothing_matches_exits_1() {
    let run = falconer(["fields", "no.such.field.anywhere"]).run();
    run.expect_code(1);
    assert_eq!(run.stdout, "");
}

#[test]
fn fields_json_lines_parse() {
    let run = falconer(["fields", "--json", "proc."]).run();
    run.expect_code(0);
    let mut seen = false;
    for line in run.stdout.lines() {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for k in [
            "name",
            "type",
            "is_list",
            "arg",
            "arg_form",
            "source",
            "deprecated",
            "output_only",
            "description",
        ] {
            assert!(v.get(k).is_some(), "missing {k} in {line}");
        }
        assert!(v["name"].as_str().unwrap().contains("proc."));
        assert!(["none", "allowed", "required"].contains(&v["arg"].as_str().unwrap()));
        if v["name"] == "proc.name" {
            seen = true;
            assert_eq!(v["type"], "CHARBUF");
            assert_eq!(v["is_list"], false);
            assert_eq!(v["arg"], "none");
            assert_eq!(v["source"], "syscall");
            assert_eq!(v["plugin"], Value::Null);
        }
    }
    assert!(seen, "proc.name missing");

    let run = falconer([
        "fields",
        "--json",
        "--source",
        "k8s_audit",
        "--plugin",
        "k8saudit",
        "ka.verb",
    ])
    .run();
    run.expect_code(0);
    let verbs: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verb = verbs
        .iter()
        .find(|v| v["name"] == "ka.verb")
        .expect("ka.verb");
    assert_eq!(verb["plugin"], "k8saudit");
    assert_eq!(verb["source"], "k8s_audit");
}

// ---------------------------------------------------------------- parse --

#[test]
fn parse_prints_a_tree() {
    let run = falconer(["parse", "--condition", "proc.name = x and not y"]).run();
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "and",
            "  check proc.name = \"x\"",
            "  not",
            "    identifier y"
        ],
        "{}",
        run.stdout
    );
}

#[test]
fn parse_error_gives_libsinsp_message_and_exit_1() {
    let run = falconer([
        "parse",
        "--condition",
        "evt.type = open and (proc.name = cat",
    ])
    .run();
    run.expect_code(1);
    assert!(
        run.stderr.contains("expected a ')' token"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("offset 36"), "{}", run.stderr);
    assert_eq!(run.stdout, "", "no tree on error");

    let run = falconer(["parse", "--condition", ""]).run();
    run.expect_code(1);
    assert!(
        run.stderr.contains("filter input string is empty"),
        "{}",
        run.stderr
    );
}

#[test]
fn parse_json_output() {
    let run = falconer([
        "parse",
        "--format",
        "json",
        "--condition",
        "proc.name = x and not y",
    ])
    .run();
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["errors"], serde_json::json!([]));
    let and = v["ast"]["and"].as_array().expect("and node");
    assert_eq!(and.len(), 2);
    assert_eq!(and[0]["binary_check"]["left"]["field"], "proc.name");
    assert_eq!(and[0]["binary_check"]["op"], "=");
    assert_eq!(and[0]["binary_check"]["right"]["value"], "x");
    assert_eq!(and[1]["not"]["identifier"], "y");
    assert_eq!(v["ast"]["span"], serde_json::json!([0, 23]));

    let run = falconer([
        "parse",
        "--format",
        "json",
        "--condition",
        "evt.type = open and (proc.name = cat",
    ])
    .run();
    run.expect_code(1);
    let v = run.json();
    assert_eq!(v["ok"], false);
    let e = &v["errors"][0];
    assert_eq!(e["message"], "expected a ')' token");
    assert_eq!(e["offset"], 36);
    assert_eq!(e["line"], 1);
    assert_eq!(e["column"], 37);
}

#[test]
fn parse_reads_stdin() {
    let run = falconer(["parse", "--condition", "-"])
        .stdin("proc.name = x and not y")
        .run();
    run.expect_code(0);
    assert!(run.stdout.starts_with("and\n"), "{}", run.stdout);

    let run = falconer(["parse", "--condition", "-"])
        .stdin("evt.type = open and (proc.name = cat")
        .run();
    run.expect_code(1);
    assert!(run.stderr.contains("expected a ')' token"));
}

#[test]
fn parse_hostile_conditions() {
    let n = 100_000;
    for (what, cond, ok) in [
        (
            "nested",
            format!("{}proc.name = b{}", "(".repeat(n), ")".repeat(n)),
            false,
        ),
        ("unclosed", "(".repeat(n), false),
        ("nots", format!("{}proc.name = b", "not ".repeat(n)), true),
        ("long or", vec!["proc.name = b"; n].join(" or "), true),
        ("unclosed quote", "proc.name = \"abc".to_string(), false),
    ] {
        let run = falconer(["parse", "--format", "json", "--condition", "-"])
            .stdin(cond)
            .run();
        run.expect_no_crash();
        run.expect_code(if ok { 0 } else { 1 });
        assert_eq!(run.json()["ok"], ok, "{what}");
    }
}

// --------------------------------------------------------------- expand --

/// The `- macro:` and `- list:` names of the bundled rules.
fn bundled_names(kind: &str) -> Vec<String> {
    let text = std::fs::read_to_string(bundled_rules().join("falconer_rules.yaml")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("- {kind}: ")))
        .map(|s| s.trim().to_string())
        .collect()
}

/// Every `identifier` node (macro reference) of a parse-JSON AST.
fn identifiers(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(s)) = m.get("identifier") {
                out.push(s.clone());
            }
            m.values().for_each(|x| identifiers(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| identifiers(x, out)),
        _ => {}
    }
}

#[test]
fn expand_rule_of_the_bundled_rules() {
    let run = falconer(["expand"])
        .arg(bundled_rules())
        .args(["--rule", "Run Web Fetch Program in Container"])
        .run();
    run.expect_code(0);
    let expanded = run.stdout.trim_end().to_string();
    assert!(expanded.contains("curl"), "{expanded}");
    assert!(expanded.contains("wget"), "{expanded}");

    // No macro or list name of the bundled rules is left as a word.
    let words: BTreeSet<&str> = expanded
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .collect();
    let macros = bundled_names("macro");
    let lists = bundled_names("list");
    assert!(
        macros.contains(&"spawned_process".to_string()),
        "{macros:?}"
    );
    for name in macros.iter().chain(&lists) {
        assert!(!words.contains(name.as_str()), "{name} left in: {expanded}");
    }

    // The condition parser accepts it, with no macro reference left.
    let run = falconer(["parse", "--format", "json", "--condition", "-"])
        .stdin(expanded.clone())
        .run();
    run.expect_code(0);
    let mut ids = Vec::new();
    identifiers(&run.json()["ast"], &mut ids);
    assert_eq!(
        ids,
        Vec::<String>::new(),
        "macro references left in {expanded}"
    );
    falconer(["parse", "--condition"])
        .arg(&expanded)
        .run()
        .expect_code(0);
}

#[test]
fn expand_every_bundled_rule_parses() {
    let text = std::fs::read_to_string(bundled_rules().join("falconer_rules.yaml")).unwrap();
    let rules: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("- rule: "))
        .map(str::trim)
        .collect();
    assert!(rules.len() >= 5);
    for r in rules {
        let run = falconer(["expand"])
            .arg(bundled_rules())
            .args(["--rule", r])
            .run();
        run.expect_code(0);
        falconer(["parse", "--condition", "-"])
            .stdin(run.stdout.trim_end())
            .run()
            .expect_code(0);
    }
}

#[test]
fn expand_macro() {
    let run = falconer(["expand"])
        .arg(bundled_rules())
        .args(["--macro", "spawned_process"])
        .run();
    run.expect_code(0);
    assert!(
        run.stdout.contains("evt.type in (execve, execveat)"),
        "{}",
        run.stdout
    );
}

#[test]
fn expand_errors() {
    let run = falconer(["expand"])
        .arg(bundled_rules())
        .args(["--rule", "No Such Rule"])
        .run();
    run.expect_code(1);
    assert!(run.stderr.contains("No Such Rule"), "{}", run.stderr);
    // Neither --rule nor --macro, or both: a usage error.
    falconer(["expand"])
        .arg(bundled_rules())
        .run()
        .expect_code(2);
    falconer(["expand"])
        .arg(bundled_rules())
        .args(["--rule", "a", "--macro", "b"])
        .run()
        .expect_code(2);
    // A missing rules file: a run error.
    let dir = TempDir::new("expand-missing");
    let run = falconer(["expand", "nowhere.yaml", "--rule", "x"])
        .cwd(dir.path())
        .run();
    run.expect_code(2);
    assert!(run.stderr.contains("nowhere.yaml"), "{}", run.stderr);
}

#[test]
fn expand_applies_appends_from_later_files() {
    let dir = TempDir::new("expand-append");
    let base = dir.write(
        "base.yaml",
        rule("Base", "evt.type = open and proc.name in (shells)")
            .replace("- rule:", "- list: shells\n  items: [bash]\n\n- rule:"),
    );
    let extra = dir.write(
        "extra.yaml",
        "- list: shells\n  items: [zsh]\n  override:\n    items: append\n",
    );
    let run = falconer(["expand", "--rule", "Base"])
        .arg(&base)
        .arg(&extra)
        .cwd(dir.path())
        .run();
    run.expect_code(0);
    assert!(
        run.stdout.contains("bash") && run.stdout.contains("zsh"),
        "{}",
        run.stdout
    );
}

// -------------------------------------------------------------- version --

#[test]
fn version_mentions_the_engine_version() {
    let run = falconer(["--version"]).run();
    run.expect_code(0);
    assert!(run.stdout.starts_with("falconer "), "{}", run.stdout);
    assert!(run.stdout.contains("0.63.0"), "{}", run.stdout);
}

#[test]
fn help_lists_the_subcommands() {
    let run = falconer(["--help"]).run();
    run.expect_code(0);
    for c in ["check", "explain", "fields", "parse", "expand"] {
        assert!(run.stdout.contains(c), "{c} missing:\n{}", run.stdout);
    }
}
