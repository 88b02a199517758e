//! Hostile and broken inputs: every one must end in a clear diagnostic
//! (exit 1) or a run error (exit 2), never a panic (101), a signal (stack
//! overflow, abort) or a hang (the runner kills after a timeout).

mod common;

use common::*;
use std::time::Duration;

/// Checks `text` as `rules.yaml`; asserts no crash and returns the run.
#[track_caller]
fn check_text(tag: &str, text: impl AsRef<[u8]>) -> (TempDir, Run) {
    let dir = TempDir::new(tag);
    let f = dir.write("rules.yaml", text);
    let run = check_json(dir.path(), [&f]);
    run.expect_no_crash();
    (dir, run)
}

/// Asserts exit 1 and that the first diagnostic with `code` is at `line`
/// (1-based); returns the diagnostic.
#[track_caller]
fn expect_diag(run: &Run, code: &str, line: u64) -> serde_json::Value {
    run.expect_code(1);
    let report = run.json();
    let found = diags_with(&report, code);
    assert!(!found.is_empty(), "no {code} in:\n{report:#}");
    let d = found[0].clone();
    assert_eq!(d["severity"], "error", "{d}");
    assert!(!d["message"].as_str().unwrap().is_empty());
    assert_eq!(d["line"], line, "{code} line in {d}");
    d
}

// ----------------------------------------------------------- broken YAML --

#[test]
fn yaml_unclosed_flow_sequence() {
    let (_d, run) = check_text("unclosed-bracket", "- list: a\n  items: [a, b\n");
    let report = run.json();
    run.expect_code(1);
    assert_eq!(codes(&report)[0], "yaml-syntax", "{report:#}");
}

#[test]
fn yaml_unclosed_flow_sequence_is_reported_at_the_bracket() {
    // The example of docs/diagnostics/yaml-syntax.md.
    let text = "- list: web_fetch_binaries
  items: [curl, wget

- rule: Web Fetch Program Started
  desc: Detects curl or wget being executed
  condition: evt.type in (execve, execveat) and proc.name in (web_fetch_binaries)
  output: \"Web fetch program started (user=%user.name command=%proc.cmdline)\"
  priority: INFO
";
    let (_d, run) = check_text("doc-bracket", text);
    let d = expect_diag(&run, "yaml-syntax", 2);
    assert_eq!(d["column"], 10, "at the `[`: {d}");
}

#[test]
fn yaml_bad_indentation() {
    let (_d, run) = check_text(
        "bad-indent",
        "- list: a\n  items: [a]\n - macro: b\n  condition: a\n",
    );
    expect_diag(&run, "yaml-syntax", 3);
}

#[test]
fn yaml_tab_indentation() {
    let (_d, run) = check_text("tab", "- list: a\n\titems: [a]\n");
    run.expect_code(1);
    assert_eq!(codes(&run.json())[0], "yaml-syntax");
    let (_d, run) = check_text("tab-seq", "- list: a\n  items:\n\t- x\n");
    expect_diag(&run, "yaml-syntax", 3);
}

#[test]
fn yaml_tab_indentation_is_reported_on_the_tab_line() {
    let (_d, run) = check_text(
        "tab-line",
        "- list: a\n  items: [a]\n\n- rule: r\n\tdesc: d\n",
    );
    expect_diag(&run, "yaml-syntax", 5);
}

#[test]
fn yaml_unclosed_quotes() {
    let (_d, run) = check_text("unclosed-dq", "- list: a\n  items: [\"a, b]\n");
    run.expect_code(1);
    assert_eq!(codes(&run.json()), ["yaml-syntax"]);
    let (_d, run) = check_text(
        "unclosed-sq",
        "- rule: r\n  desc: 'never closed\n  condition: evt.type = open\n  output: x\n  priority: INFO\n",
    );
    run.expect_code(1);
    assert_eq!(codes(&run.json())[0], "yaml-syntax");
}

#[test]
fn yaml_deep_flow_nesting() {
    let n = 100_000;
    let closed = format!("- list: a\n  items: {}{}\n", "[".repeat(n), "]".repeat(n));
    let (_d, run) = check_text("deep-flow", closed);
    expect_diag(&run, "yaml-syntax", 2);
    let open = format!("- list: a\n  items: {}\n", "[".repeat(n));
    let (_d, run) = check_text("deep-flow-open", open);
    expect_diag(&run, "yaml-syntax", 2);
    let maps = format!("- list: a\n  items: {}\n", "{a: ".repeat(n));
    let (_d, run) = check_text("deep-flow-map", maps);
    expect_diag(&run, "yaml-syntax", 2);
}

#[test]
fn yaml_deep_block_nesting() {
    let text: String = (0..5000)
        .map(|i| format!("{}- a:\n", "  ".repeat(i)))
        .collect();
    let (_d, run) = check_text("deep-block", text);
    run.expect_code(1);
    assert!(codes(&run.json()).contains(&"yaml-syntax".to_string()));
}

#[test]
fn yaml_alias_bomb() {
    // Billion laughs: 9^9 "lol"s if aliases were expanded naively.
    let mut text =
        String::from("- list: l0\n  items: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=9 {
        let refs = vec![format!("*l{}", i - 1); 9].join(", ");
        text.push_str(&format!("- list: l{i}\n  items: &l{i} [{refs}]\n"));
    }
    text.push_str(&rule("Laughs", "evt.type = open and proc.name in (l9)"));
    let (_d, run) = check_text("alias-bomb", &text);
    run.expect_code(1);
    assert!(
        run.elapsed < Duration::from_secs(30),
        "took {:?}",
        run.elapsed
    );
    assert!(
        run.stdout.len() < 1_000_000,
        "{} bytes of output",
        run.stdout.len()
    );
    let report = run.json();
    assert!(
        codes(&report).contains(&"invalid-value-type".to_string()),
        "{report:#}"
    );
}

#[test]
fn yaml_alias_bomb_of_mappings() {
    let mut text = String::from("- macro: m0\n  condition: x\n  z0: &a0 {k: lol, j: lol}\n");
    for i in 1..=20 {
        text.push_str(&format!(
            "- macro: m{i}\n  condition: x\n  z{i}: &a{i} {{a: *a{p}, b: *a{p}, c: *a{p}}}\n",
            p = i - 1
        ));
    }
    let (_d, run) = check_text("alias-bomb-map", &text);
    assert!(
        run.elapsed < Duration::from_secs(30),
        "took {:?}",
        run.elapsed
    );
    assert!(
        run.stdout.len() < 1_000_000,
        "{} bytes of output",
        run.stdout.len()
    );
}

#[test]
fn many_empty_documents() {
    let (_d, run) = check_text("many-docs", "---\n".repeat(100_000));
    run.expect_code(0);
}

// ------------------------------------------------------ broken conditions --

#[test]
fn condition_unclosed_quote() {
    let (_d, run) = check_text(
        "cond-quote",
        rule("Q", "evt.type = open and proc.name = 'abc"),
    );
    let d = expect_diag(&run, "condition-syntax", 3);
    assert_eq!(d["column"], 46, "at the quote: {d}");
    let (_d, run) = check_text(
        "cond-dquote",
        "- macro: m\n  condition: proc.name = \"abc\n",
    );
    expect_diag(&run, "condition-syntax", 2);
}

#[test]
fn condition_unclosed_parenthesis() {
    let (_d, run) = check_text(
        "cond-paren",
        rule("P", "evt.type = open and (proc.name = cat"),
    );
    let d = expect_diag(&run, "condition-syntax", 3);
    assert_eq!(d["message"], "expected a ')' token");
    let (_d, run) = check_text(
        "cond-list-paren",
        rule("P", "evt.type = open and proc.name in (cat, dog"),
    );
    expect_diag(&run, "condition-syntax", 3);
}

#[test]
fn condition_100k_nested_parentheses() {
    let n = 100_000;
    let closed = format!(
        "evt.type = open and {}proc.name = x{}",
        "(".repeat(n),
        ")".repeat(n)
    );
    let (_d, run) = check_text("nest-closed", rule("N", &closed));
    let d = expect_diag(&run, "condition-syntax", 3);
    assert!(d["message"].as_str().unwrap().contains("depth"), "{d}");
    let open = format!("evt.type = open and {}proc.name = x", "(".repeat(n));
    let (_d, run) = check_text("nest-open", rule("N", &open));
    expect_diag(&run, "condition-syntax", 3);
}

#[test]
fn condition_100k_nots() {
    let cond = format!(
        "evt.type = open and {}proc.name = x",
        "not ".repeat(100_000)
    );
    let (_d, run) = check_text("nots", rule("Nots", &cond));
    assert!(matches!(run.code, Some(0 | 1)), "{:?}", run.code);
    run.json();
    // The same in a macro, through expansion.
    let text = format!(
        "- macro: m\n  condition: {}proc.name = x\n\n{}",
        "not ".repeat(100_000),
        rule("Uses", "evt.type = open and m")
    );
    let (_d, run) = check_text("nots-macro", text);
    assert!(matches!(run.code, Some(0 | 1)), "{:?}", run.code);
    run.json();
}

#[test]
fn deep_macro_chain() {
    // m0 uses m1 uses m2 ... : deep expansion without a loop.
    let n = 5000;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "- macro: m{i}\n  condition: (m{} or proc.name = p{i})\n\n",
            i + 1
        ));
    }
    text.push_str(&format!("- macro: m{n}\n  condition: proc.name = last\n\n"));
    text.push_str(&rule("Chain", "evt.type = open and m0"));
    let (_d, run) = check_text("macro-chain", text);
    assert!(matches!(run.code, Some(0 | 1)), "{:?}", run.code);
    run.json();
}

#[test]
fn single_line_condition_of_10_mb() {
    let mut cond = String::from("evt.type = open and (");
    let mut i = 0;
    while cond.len() < 10 * 1024 * 1024 {
        if i > 0 {
            cond.push_str(" or ");
        }
        cond.push_str(&format!("proc.name = p{i}"));
        i += 1;
    }
    cond.push_str(") and proc.nme = x");
    let column = 14 + cond.chars().count() as u64 - "proc.nme = x".len() as u64;
    let dir = TempDir::new("long-line");
    let f = dir.write("rules.yaml", rule("Long", &cond));
    let run = falconer(["check", "--format", "json"])
        .arg(&f)
        .cwd(dir.path())
        .timeout(Duration::from_secs(600))
        .run();
    run.expect_no_crash();
    eprintln!("10 MB single-line condition checked in {:?}", run.elapsed);
    let d = expect_diag(&run, "unknown-field", 3);
    assert_eq!(d["column"], column, "{d}");
    assert_eq!(codes(&run.json()), ["unknown-field"]);
}

// ------------------------------------------------------ not a rules file --

#[test]
fn invalid_utf8_is_an_error_with_its_position() {
    let (_d, run) = check_text("utf8", b"- list: a\n  items: [caf\xe9, b]\n".as_slice());
    let d = expect_diag(&run, "yaml-syntax", 2);
    assert_eq!(d["column"], 14, "{d}");
    assert!(d["message"].as_str().unwrap().contains("UTF-8"), "{d}");
    // After a valid multi-byte character: columns still count characters.
    let (_d, run) = check_text(
        "utf8-after",
        "- list: a\n  items: [é, "
            .as_bytes()
            .iter()
            .chain(b"\xff\xfe]\n")
            .copied()
            .collect::<Vec<u8>>(),
    );
    let d = expect_diag(&run, "yaml-syntax", 2);
    assert_eq!(d["column"], 14, "{d}");
}

#[test]
fn invalid_utf8_position_in_other_formats() {
    let dir = TempDir::new("utf8-formats");
    let f = dir.write("rules.yaml", b"- list: a\n  items: [caf\xe9, b]\n");
    for format in ["human", "github", "sarif"] {
        let run = falconer(["check", "--format", format])
            .arg(&f)
            .cwd(dir.path())
            .run();
        run.expect_no_crash();
        run.expect_code(1);
        assert!(run.stdout.contains("UTF-8"), "{format}:\n{}", run.stdout);
    }
}

#[test]
fn empty_whitespace_and_comment_only_files_are_clean() {
    for (tag, text) in [
        ("empty", ""),
        ("blank", "   \n\n\t\n"),
        ("comments", "# just a comment\n# another one\n"),
        ("doc-marker", "---\n"),
        ("doc-markers", "---\n...\n---\n# nothing\n"),
    ] {
        let (_d, run) = check_text(tag, text);
        run.expect_code(0);
        let report = run.json();
        assert_eq!(report["diagnostics"], serde_json::json!([]), "{tag}");
        assert_eq!(summary(&report), (1, 0, 0), "{tag}");
    }
}

#[test]
fn scalar_document_is_invalid() {
    let (_d, run) = check_text("scalar", "hello world\n");
    let d = expect_diag(&run, "invalid-document", 1);
    assert_eq!(d["message"], "Rules content is not yaml");
}

#[test]
fn mapping_document_is_invalid() {
    let (_d, run) = check_text("mapping", "rule: x\ndesc: y\n");
    let d = expect_diag(&run, "invalid-document", 1);
    assert_eq!(d["message"], "Rules content is not yaml array of objects");
}

#[test]
fn sequence_of_scalars_is_invalid() {
    let (_d, run) = check_text("seq-scalars", "- curl\n- wget\n");
    let d = expect_diag(&run, "invalid-document", 1);
    assert_eq!(
        d["message"],
        "Unexpected element type. Each element should be a yaml associative array."
    );
    assert_eq!(diags_with(&run.json(), "invalid-document").len(), 2);
}

/// Deterministic pseudo-random bytes (an LCG), so failures reproduce.
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

#[test]
fn binary_garbage() {
    for seed in 1..=8 {
        let (_d, run) = check_text("garbage", garbage(64 * 1024, seed));
        run.expect_code(1);
        let report = run.json();
        assert!(!codes(&report).is_empty());
    }
}

#[test]
fn nul_bytes() {
    let (_d, run) = check_text("nul", b"- list: a\n  items: [x\x00y]\n".as_slice());
    expect_diag(&run, "yaml-syntax", 2);
    let (_d, run) = check_text("nuls", vec![0u8; 100_000]);
    run.expect_code(1);
}

#[test]
fn garbage_in_every_format() {
    let dir = TempDir::new("garbage-formats");
    let f = dir.write("rules.yaml", garbage(16 * 1024, 42));
    for format in ["human", "json", "github", "sarif"] {
        let run = falconer(["check", "--format", format])
            .arg(&f)
            .cwd(dir.path())
            .run();
        run.expect_no_crash();
        run.expect_code(1);
    }
}

// ------------------------------------------------------------ big files --

/// About `mb` MB of valid macros and rules, then one error; returns the
/// text and the error's line.
fn big_rules_file(mb: usize) -> (String, u64) {
    let target = mb * 1024 * 1024;
    let mut out = String::with_capacity(target + 4096);
    out.push_str("- required_engine_version: 0.50.0\n\n");
    let mut i = 0;
    while out.len() < target {
        out.push_str(&format!(
            "- macro: spawned_{i}\n  condition: (evt.type in (execve, execveat) and proc.name = prog_{i})\n\n\
             - rule: Generated Rule {i}\n  desc: generated rule number {i}\n  condition: spawned_{i} and not proc.pname in (init, systemd)\n  \
             output: \"program started (proc=%proc.name parent=%proc.pname user=%user.name)\"\n  priority: INFO\n  tags: [generated, stress]\n\n"
        ));
        i += 1;
    }
    let line = out.lines().count() as u64 + 3;
    out.push_str(&rule("Last", "evt.type = open and proc.nme = x"));
    (out, line)
}

#[test]
fn rules_file_of_50_mb() {
    let (text, line) = big_rules_file(50);
    let dir = TempDir::new("50mb");
    let f = dir.write("rules.yaml", &text);
    drop(text);
    let run = falconer(["check", "--format", "json"])
        .arg(&f)
        .cwd(dir.path())
        .timeout(Duration::from_secs(1800))
        .run();
    eprintln!(
        "50 MB rules file ({} bytes, error on line {line}) checked in {:?}",
        std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0),
        run.elapsed
    );
    run.expect_no_crash();
    let d = expect_diag(&run, "unknown-field", line);
    assert_eq!(d["column"], 34, "{d}");
    let report = run.json();
    assert_eq!(codes(&report), ["unknown-field"], "only the one error");
    assert_eq!(summary(&report), (1, 1, 0));
}

#[test]
fn many_lists_check_in_linear_time() {
    // 4000 blocks of list + macro + rule (about 1.3 MB). The same number of
    // macro + rule blocks checks in about a second in a debug build; with
    // lists it takes minutes (2000 blocks: ~30 s, 5867 blocks: ~270 s).
    let mut text = String::new();
    for i in 0..4000 {
        text.push_str(&format!(
            "- list: binaries_{i}\n  items: [prog_{i}_a, prog_{i}_b]\n\n\
             - macro: spawned_{i}\n  condition: (evt.type in (execve, execveat) and proc.name in (binaries_{i}))\n\n"
        ));
        text.push_str(&rule(
            &format!("Generated {i}"),
            &format!("spawned_{i} and not proc.pname = init"),
        ));
    }
    let dir = TempDir::new("many-lists");
    let f = dir.write("rules.yaml", &text);
    let run = falconer(["check", "--format", "json"])
        .arg(&f)
        .cwd(dir.path())
        .timeout(Duration::from_secs(60))
        .run();
    run.expect_code(0);
}

// ------------------------------------------------------ output to a pipe --

#[test]
fn closed_stdout_is_not_a_panic() {
    let dir = TempDir::new("epipe");
    let f = dir.write("rules.yaml", rule("R", "evt.type = open and proc.nme = x"));
    for args in [
        vec![
            "check".to_string(),
            "--format".into(),
            "json".into(),
            f.display().to_string(),
        ],
        vec!["fields".to_string(), "proc.".into()],
        vec!["explain".to_string(), "--list".into()],
    ] {
        let run = falconer(&args).cwd(dir.path()).close_stdout().run();
        assert!(
            run.code != Some(101) && !run.stderr.contains("panicked"),
            "{args:?}: exit {:?}\n{}",
            run.code,
            run.stderr
        );
    }
}
