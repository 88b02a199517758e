//! Tests of the editing queries (highlight, rename, workspace symbols,
//! semantic tokens, code actions, inlay hints, folding, selection), on the
//! fixtures of `tests.rs` (`//- name.yaml` starts a file, `$0` is the
//! cursor). Every edit is applied and the workspace re-checked.

use super::tests::{fixture, show};
use super::*;
use crate::{AnalysisHost, Severity};
use falconer_text::{LineIndex, Span};
use proptest::prelude::*;
use std::fmt::Write;

const WS: &str = r#"
//- macros.yaml
- list: shell_binaries
  items: [bash, sh, zsh]
- list: all_shells
  items: [shell_binaries, csh]
- list: shell_binaries_extra
  items: [fish]
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- macro: shell_procs
  condition: >
    proc.name in (all_shells, shell_binaries_extra)
    or proc.pname in (shell_binaries)
//- rules.yaml
- macro: spawned_process
  condition: and proc.pid > 0
  override:
    condition: append
- rule: Shell spawned
  desc: a shell was spawned
  condition: spawned_process and shell_procs and not proc.cmdline contains "run shell_binaries now"
  output: "shell %proc.name (parent %proc.pname)"
  priority: WARNING
  exceptions:
    - name: known
      fields: proc.pname
      values: [shell_binaries]
- rule: Shell spawned
  condition: and not proc.name = shell_binaries_x
  override:
    condition: append
"#;

/// 1-based line of an offset.
fn line_of(text: &str, offset: u32) -> usize {
    LineIndex::new(text).line_of(offset) as usize + 1
}

/// Every workspace file as (path, text), loaded then extra.
type Files = Vec<(String, String)>;

fn files_of(host: &AnalysisHost) -> (Files, Files) {
    let a = host.snapshot();
    let all: Vec<(String, String)> = (0..a.file_count() as FileId)
        .map(|f| (a.file_path(f).to_string(), a.file_text(f).to_string()))
        .collect();
    let n = a.loaded_count();
    (all[..n].to_vec(), all[n..].to_vec())
}

/// The host after applying `change`.
fn applied(host: &AnalysisHost, change: &SourceChange) -> AnalysisHost {
    assert!(!change.has_overlap(), "{change:?}");
    let (mut loaded, mut extra) = files_of(host);
    let n = loaded.len();
    for (&file, edits) in &change.files {
        let slot = if (file as usize) < n {
            &mut loaded[file as usize]
        } else {
            &mut extra[file as usize - n]
        };
        slot.1 = apply_edits(&slot.1, edits);
    }
    let mut h = AnalysisHost::default();
    h.update_files(loaded, extra);
    h
}

/// Each edit as `file:line "old" -> "new"`, then the edited lines.
fn show_change(host: &AnalysisHost, change: &SourceChange) -> String {
    let a = host.snapshot();
    let after = applied(host, change);
    let mut out = String::new();
    for (&file, edits) in &change.files {
        let text = a.file_text(file);
        let mut lines = Vec::new();
        for e in edits {
            let line = line_of(text, e.span.start);
            let _ = writeln!(
                out,
                "{}:{line} {:?} -> {:?}",
                a.file_path(file),
                &text[e.span.range()],
                e.new_text
            );
            lines.push(line);
        }
        lines.dedup();
        let new_text = after.file_text(file).to_string();
        let _ = writeln!(out, "--- {} after:", a.file_path(file));
        out.push_str(&new_text);
    }
    out
}

/// Codes and messages of the errors and warnings of a host.
fn problems(host: &AnalysisHost) -> Vec<String> {
    host.diagnostics()
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| format!("{} {}", d.code, d.message))
        .collect()
}

fn errors(host: &AnalysisHost) -> Vec<String> {
    host.diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{} {}", d.code, d.message))
        .collect()
}

#[test]
fn the_workspace_fixture_checks_clean() {
    let f = fixture(WS);
    assert_eq!(problems(&f.host), Vec::<String>::new());
}

// ---- document highlight ----

fn highlights(fx: &str) -> String {
    let f = fixture(fx);
    let a = f.host.snapshot();
    let pos = f.pos.unwrap();
    document_highlights(&a, pos)
        .iter()
        .map(|h| format!("{:?} {}\n", h.kind, show(&a, pos.file, h.span)))
        .collect()
}

#[test]
fn highlight_of_a_macro_definitions_are_writes() {
    let fx = WS.replace("spawned_process and shell", "spawned_pro$0cess and shell");
    insta::assert_snapshot!(highlights(&fx), @r#"
    Write rules.yaml:9..24 "spawned_process"
    Read rules.yaml:152..167 "spawned_process"
    "#);
}

#[test]
fn highlight_of_a_list_in_lists_and_conditions() {
    let fx = WS.replace("- list: shell_binaries\n", "- list: shell_bin$0aries\n");
    // The list's definition, its use in another list and in a condition;
    // not `shell_binaries_extra`.
    insta::assert_snapshot!(highlights(&fx), @r#"
    Write macros.yaml:8..22 "shell_binaries"
    Read macros.yaml:77..91 "shell_binaries"
    Read macros.yaml:322..336 "shell_binaries"
    "#);
    // In the rules file: the quoted occurrence (Falco substitutes it too)
    // and the exception value.
    let fx = WS.replace("values: [shell_binaries]", "values: [shell_$0binaries]");
    insta::assert_snapshot!(highlights(&fx), @r#"
    Read rules.yaml:219..233 "shell_binaries"
    Read rules.yaml:381..395 "shell_binaries"
    "#);
}

#[test]
fn highlight_of_a_field_in_conditions_and_outputs() {
    let fx = WS.replace("(parent %proc.pname)", "(parent %proc.pn$0ame)");
    insta::assert_snapshot!(highlights(&fx), @r#"Read rules.yaml:276..286 "proc.pname""#);
    let fx = WS.replace(
        "proc.name = shell_binaries_x",
        "proc.na$0me = shell_binaries_x",
    );
    insta::assert_snapshot!(highlights(&fx), @r#"
    Read rules.yaml:257..266 "proc.name"
    Read rules.yaml:440..449 "proc.name"
    "#);
}

// ---- rename ----

fn rename_at(fx: &str, new: &str) -> Result<String, String> {
    let f = fixture(fx);
    let a = f.host.snapshot();
    let change = rename(&a, f.pos.unwrap(), new).map_err(|e| e.0)?;
    drop(a);
    let before = problems(&f.host);
    let after = applied(&f.host, &change);
    // The renamed workspace reports exactly what it reported before.
    assert_eq!(
        problems(&after),
        before,
        "{}",
        show_change(&f.host, &change)
    );
    Ok(show_change(&f.host, &change))
}

#[test]
fn rename_list_everywhere_but_inside_quoted_strings_and_longer_words() {
    let fx = WS.replace("- list: shell_binaries\n", "- list: shell_bin$0aries\n");
    insta::assert_snapshot!(rename_at(&fx, "sh_bins").unwrap());
}

#[test]
fn rename_macro_with_its_override_item() {
    let fx = WS.replace("spawned_process and shell", "spawned_pro$0cess and shell");
    insta::assert_snapshot!(rename_at(&fx, "new_process").unwrap(), @r#"
    macros.yaml:7 "spawned_process" -> "new_process"
    --- macros.yaml after:
    - list: shell_binaries
      items: [bash, sh, zsh]
    - list: all_shells
      items: [shell_binaries, csh]
    - list: shell_binaries_extra
      items: [fish]
    - macro: new_process
      condition: evt.type in (execve, execveat)
    - macro: shell_procs
      condition: >
        proc.name in (all_shells, shell_binaries_extra)
        or proc.pname in (shell_binaries)
    rules.yaml:1 "spawned_process" -> "new_process"
    rules.yaml:7 "spawned_process" -> "new_process"
    --- rules.yaml after:
    - macro: new_process
      condition: and proc.pid > 0
      override:
        condition: append
    - rule: Shell spawned
      desc: a shell was spawned
      condition: new_process and shell_procs and not proc.cmdline contains "run shell_binaries now"
      output: "shell %proc.name (parent %proc.pname)"
      priority: WARNING
      exceptions:
        - name: known
          fields: proc.pname
          values: [shell_binaries]
    - rule: Shell spawned
      condition: and not proc.name = shell_binaries_x
      override:
        condition: append
    "#);
}

#[test]
fn rename_rule_with_its_override_item_quotes_when_needed() {
    let fx = WS.replace(
        "- rule: Shell spawned\n  desc",
        "- rule: Shell $0spawned\n  desc",
    );
    let out = rename_at(&fx, "Shell started: interactive").unwrap();
    insta::assert_snapshot!(out, @r#"
    rules.yaml:5 "Shell spawned" -> "\"Shell started: interactive\""
    rules.yaml:14 "Shell spawned" -> "\"Shell started: interactive\""
    --- rules.yaml after:
    - macro: spawned_process
      condition: and proc.pid > 0
      override:
        condition: append
    - rule: "Shell started: interactive"
      desc: a shell was spawned
      condition: spawned_process and shell_procs and not proc.cmdline contains "run shell_binaries now"
      output: "shell %proc.name (parent %proc.pname)"
      priority: WARNING
      exceptions:
        - name: known
          fields: proc.pname
          values: [shell_binaries]
    - rule: "Shell started: interactive"
      condition: and not proc.name = shell_binaries_x
      override:
        condition: append
    "#);
    let out = rename_at(&fx, "Shell started").unwrap();
    assert!(out.contains("- rule: Shell started\n  desc"), "{out}");
}

#[test]
fn rename_inside_a_folded_condition_and_from_a_reference() {
    let fx = WS.replace("(all_shells, shell", "(all_sh$0ells, shell");
    insta::assert_snapshot!(rename_at(&fx, "every_shell").unwrap(), @r#"
    macros.yaml:3 "all_shells" -> "every_shell"
    macros.yaml:11 "all_shells" -> "every_shell"
    --- macros.yaml after:
    - list: shell_binaries
      items: [bash, sh, zsh]
    - list: every_shell
      items: [shell_binaries, csh]
    - list: shell_binaries_extra
      items: [fish]
    - macro: spawned_process
      condition: evt.type in (execve, execveat)
    - macro: shell_procs
      condition: >
        proc.name in (every_shell, shell_binaries_extra)
        or proc.pname in (shell_binaries)
    "#);
}

#[test]
fn rename_refusals_say_why() {
    let on_list = WS.replace("- list: shell_binaries\n", "- list: shell_bin$0aries\n");
    let on_macro = WS.replace("spawned_process and shell", "spawned_pro$0cess and shell");
    let on_rule = WS.replace(
        "- rule: Shell spawned\n  desc",
        "- rule: Shell $0spawned\n  desc",
    );
    let cases: Vec<(String, &str)> = vec![
        (on_macro.clone(), "1abc"),
        (on_macro.clone(), "has-dash"),
        (on_macro.clone(), "and"),
        (on_macro.clone(), "shell_procs"),
        (on_macro.clone(), "all_shells"),
        (on_macro.clone(), "spawned_process"),
        (on_list.clone(), "two words"),
        (on_list.clone(), "a:b"),
        (on_list.clone(), "or"),
        (on_list.clone(), "all_shells"),
        (on_list.clone(), "shell_procs"),
        (on_list.clone(), "execve"),
        (on_list.clone(), "csh"),
        (on_rule.clone(), ""),
        (on_rule.clone(), "a\nb"),
        (WS.replace("proc.name = shell", "proc.na$0me = shell"), "x"),
        (WS.replace("proc.pid > 0", "proc.pid $0> 0"), "x"),
        (WS.replace("execve, execveat", "exec$0ve, execveat"), "x"),
        (WS.replace("desc: a shell", "desc: a $0shell"), "x"),
        (WS.replace("%proc.name (", "%proc.n$0ame ("), "x"),
    ];
    let mut out = String::new();
    for (fx, new) in cases {
        let r = rename_at(&fx, new);
        let _ = writeln!(out, "{new:?}: {}", r.expect_err(new));
    }
    insta::assert_snapshot!(out, @r#"
    "1abc": '1abc' is not a valid macro name: a macro name is a letter followed by letters, digits and '_' (Falco cannot refer to any other)
    "has-dash": 'has-dash' is not a valid macro name: a macro name is a letter followed by letters, digits and '_' (Falco cannot refer to any other)
    "and": 'and' is a keyword of the condition language
    "shell_procs": A macro named 'shell_procs' already exists (macros.yaml:9)
    "all_shells": A list named 'all_shells' exists (macros.yaml:3): list substitution would replace the macro's references
    "spawned_process": The macro is already named 'spawned_process'
    "two words": 'two words' is not a valid list name: blanks, quotes, '(', ')', '=' and ',' cannot be part of a list name
    "a:b": 'a:b' cannot be written unquoted in conditions and YAML: use letters, digits, '_', '-', '.' and '/'
    "or": 'or' is a keyword of the condition language: list substitution would replace it in every condition
    "all_shells": A list named 'all_shells' already exists (macros.yaml:3)
    "shell_procs": A macro named 'shell_procs' exists (macros.yaml:9): list substitution would replace its references
    "execve": 'execve' is already written as a word in a condition or a list (macros.yaml:8): list substitution would replace it
    "csh": 'csh' is already written as a word in a condition or a list (macros.yaml:4): list substitution would replace it
    "": A rule name cannot be empty
    "a\nb": A rule name cannot hold line breaks or control characters
    "x": 'proc.name' is a field of Falco's catalog: fields cannot be renamed
    "x": '>' is an operator of the condition language: operators cannot be renamed
    "x": 'execve' is a value, not the name of a macro or list
    "x": Only the names of macros, lists and rules can be renamed
    "x": Outputs hold fields of Falco's catalog: they cannot be renamed
    "#);
}

#[test]
fn rename_refuses_names_written_with_escapes() {
    let fx = r#"
//- a.yaml
- macro: m$0ine
  condition: proc.name = x
- rule: r
  desc: d
  condition: "evt.type = open and \x6dine"
  output: o
  priority: INFO
"#;
    let e = rename_at(fx, "yours").unwrap_err();
    assert_eq!(
        e,
        "The occurrence of 'mine' at a.yaml:5 is written with YAML escapes or over several lines: rename it by hand first"
    );
}

#[test]
fn rename_binding_an_undefined_macro_is_refused() {
    let fx = r#"
//- a.yaml
- macro: m$0ine
  condition: proc.name = x
- rule: r
  desc: d
  condition: evt.type = open and mine and yours
  output: o
  priority: INFO
"#;
    let e = rename_at(fx, "yours").unwrap_err();
    assert_eq!(
        e,
        "'yours' is already used as a macro reference (a.yaml:5): the rename would bind it"
    );
}

#[test]
fn prepare_rename_gives_the_name_under_the_cursor() {
    let f = fixture(&WS.replace("(all_shells, shell", "(all_sh$0ells, shell"));
    let a = f.host.snapshot();
    let t = prepare_rename(&a, f.pos.unwrap()).unwrap();
    assert_eq!(t.kind, SymbolKind::List);
    assert_eq!(t.name, "all_shells");
    assert_eq!(&a.file_text(0)[t.span.range()], "all_shells");
    let f = fixture("//- a.yaml\n- rule: \"R $0x\"\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n");
    let a = f.host.snapshot();
    let t = prepare_rename(&a, f.pos.unwrap()).unwrap();
    assert_eq!(&a.file_text(0)[t.span.range()], "R x");
}

// ---- workspace symbols ----

#[test]
fn workspace_symbols_fuzzy_over_every_file() {
    let f = fixture(WS);
    let a = f.host.snapshot();
    let show_syms = |q: &str| -> String {
        workspace_symbols(&a, q, 100)
            .iter()
            .map(|s| {
                format!(
                    "{:?} {} {:?} {}\n",
                    s.kind,
                    s.name,
                    s.detail,
                    show(&a, s.file, s.focus_span)
                )
            })
            .collect()
    };
    insta::assert_snapshot!(show_syms("shell"), @r#"
    Rule Shell spawned Some("WARNING") rules.yaml:97..110 "Shell spawned"
    Rule Shell spawned Some("override") rules.yaml:405..418 "Shell spawned"
    List shell_binaries None macros.yaml:8..22 "shell_binaries"
    List shell_binaries_extra None macros.yaml:106..126 "shell_binaries_extra"
    Macro shell_procs None macros.yaml:221..232 "shell_procs"
    List all_shells None macros.yaml:56..66 "all_shells"
    "#);
    insta::assert_snapshot!(show_syms("spwnproc"), @r#"
    Macro spawned_process None macros.yaml:152..167 "spawned_process"
    Macro spawned_process Some("append") rules.yaml:9..24 "spawned_process"
    "#);
    assert_eq!(workspace_symbols(&a, "", 100).len(), 8);
    assert_eq!(workspace_symbols(&a, "", 3).len(), 3);
    assert!(workspace_symbols(&a, "zzz", 100).is_empty());
}

// ---- semantic tokens ----

fn tokens(fx: &str) -> String {
    let f = fixture(fx);
    let a = f.host.snapshot();
    let mut out = String::new();
    for file in 0..a.file_count() as FileId {
        let text = a.file_text(file);
        let idx = LineIndex::new(text);
        for t in semantic_tokens(&a, file, None) {
            let lc = idx.line_col(text, t.span.start, falconer_text::Encoding::Utf8);
            let end = idx.line_col(text, t.span.end, falconer_text::Encoding::Utf8);
            assert_eq!(lc.line, end.line, "multi-line token {t:?}");
            let mut mods = Vec::new();
            if t.modifiers & token_modifiers::DECLARATION != 0 {
                mods.push("declaration");
            }
            if t.modifiers & token_modifiers::DEPRECATED != 0 {
                mods.push("deprecated");
            }
            let _ = writeln!(
                out,
                "{}:{}:{} {:?} {:?}{}",
                a.file_path(file),
                lc.line + 1,
                lc.col + 1,
                &text[t.span.range()],
                t.ty,
                if mods.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", mods.join(","))
                }
            );
        }
    }
    out
}

#[test]
fn semantic_tokens_of_conditions_outputs_and_names() {
    insta::assert_snapshot!(tokens(WS));
}

#[test]
fn semantic_tokens_in_every_scalar_style() {
    // A quoted string folded over two lines gives one token per line; YAML
    // escapes stay inside their token; block scalars keep exact columns.
    let fx = r#"
//- a.yaml
- macro: plain
  condition: proc.name = "a
    b" and not not fd.num >= 0x1F
- macro: dq
  condition: "proc.cmdline contains \"x\ty\" and evt.dir = <"
- macro: sq
  condition: 'proc.name in (''a b'', c) or proc.name = val(proc.pname)'
- macro: lit
  condition: |
    tolower(proc.name) startswith oneof (x, y)
    and proc.aname[2] exists
- macro: fold
  condition: >-
    proc.env["HOME"] = "/r
    oot"
"#;
    insta::assert_snapshot!(tokens(fx));
}

#[test]
fn semantic_tokens_of_exceptions() {
    let fx = r#"
//- a.yaml
- list: shells
  items: [bash]
- rule: r
  desc: d
  condition: evt.type = execve
  output: o
  priority: INFO
  exceptions:
    - name: e
      fields: [proc.name, proc.pname]
      comps: [=, startswith oneof]
      values:
        - [shells, [a, shells]]
"#;
    insta::assert_snapshot!(tokens(fx), @r#"
    a.yaml:1:9 "shells" List [declaration]
    a.yaml:5:14 "evt.type" Field
    a.yaml:5:23 "=" Operator
    a.yaml:5:25 "execve" String
    a.yaml:10:16 "proc.name" Field
    a.yaml:10:27 "proc.pname" Field
    a.yaml:11:15 "=" Operator
    a.yaml:11:18 "startswith oneof" Operator
    a.yaml:13:12 "shells" List
    a.yaml:13:24 "shells" List
    "#);
}

#[test]
fn semantic_tokens_of_a_range() {
    let f = fixture(WS);
    let a = f.host.snapshot();
    let text = a.file_text(1);
    let start = text.find("- rule: Shell spawned\n  desc").unwrap() as u32;
    let end = text.find("  priority:").unwrap() as u32;
    let all = semantic_tokens(&a, 1, None);
    let some = semantic_tokens(&a, 1, Some(Span::new(start, end)));
    assert!(!some.is_empty() && some.len() < all.len());
    assert!(some
        .iter()
        .all(|t| t.span.end >= start && t.span.start <= end));
    assert!(all.windows(2).all(|w| w[0].span.end <= w[1].span.start));
}

// ---- code actions ----

/// The actions at the cursor, each applied: the title, the edits, and
/// the diagnostics the fix removes.
fn actions(fx: &str) -> String {
    let f = fixture(fx);
    let a = f.host.snapshot();
    let acts = code_actions_at(&a, f.pos.unwrap());
    drop(a);
    let mut out = String::new();
    for act in &acts {
        let _ = writeln!(
            out,
            "## {} ({:?}{}{})",
            act.title,
            act.kind,
            if act.preferred { ", preferred" } else { "" },
            act.diagnostic
                .as_ref()
                .map_or(String::new(), |d| format!(", fixes {}", d.code))
        );
        let after = applied(&f.host, &act.change);
        // The fixed diagnostic is gone (one fewer of its kind), and no
        // error appeared.
        if let Some(d) = &act.diagnostic {
            let count = |h: &AnalysisHost| {
                h.diagnostics()
                    .iter()
                    .filter(|x| x.code == d.code && x.message == d.message)
                    .count()
            };
            assert_eq!(
                count(&after),
                count(&f.host) - 1,
                "{} still reports {d:?}",
                act.title
            );
        }
        let before_errors = errors(&f.host);
        for e in errors(&after) {
            assert!(before_errors.contains(&e), "{}: new error {e}", act.title);
        }
        out.push_str(&show_change(&f.host, &act.change));
        let _ = writeln!(out, "remaining: {:?}", problems(&after));
    }
    out
}

#[test]
fn did_you_mean_fixes() {
    let base = r#"
//- a.yaml
- list: editors
  items: [vi, nano]
- macro: opened
  condition: evt.type = open
- rule: r
  desc: d
  condition: opened and proc.name in (editors)
  output: "%proc.name"
  priority: INFO
"#;
    let cases = [
        ("proc.name in (editors)", "proc.nme$0 in (editors)"),
        ("condition: opened and", "condition: opend$0 and"),
        ("(editors)", "(editorz$0)"),
        ("priority: INFO", "priority: WARNIG$0"),
        ("  desc: d", "  des$0k: d"),
        ("\"%proc.name\"", "\"%proc.nmae$0\""),
    ];
    let mut out = String::new();
    for (from, to) in cases {
        out.push_str(&actions(&base.replace(from, to)));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn did_you_mean_inside_quoted_and_folded_conditions() {
    let fx = r#"
//- a.yaml
- rule: r
  desc: d
  condition: >
    evt.type = open and
    proc.nme$0 = "x"
  output: o
  priority: INFO
- rule: q
  desc: d
  condition: "evt.type = open and fd.nmae = \"y\""
  output: o
  priority: INFO
"#;
    let out = actions(fx);
    assert!(out.contains("## Change to 'proc.name'"), "{out}");
    assert!(out.contains("    proc.name = \"x\""), "{out}");
    let out = actions(&fx.replace("$0", "").replace("fd.nmae", "fd.nma$0e"));
    assert!(
        out.contains(r#"condition: "evt.type = open and fd.name = \"y\"""#),
        "{out}"
    );
}

#[test]
fn missing_keys_are_added_together() {
    let fx = r#"
//- a.yaml
- ru$0le: New rule
  condition: evt.type = open and m
  # a comment
- list: l
  items: [a]
- macro: m
  condition: proc.name in (l)
"#;
    insta::assert_snapshot!(actions(fx), @r#"
    ## Add the missing keys 'output', 'desc', 'priority' (QuickFix, preferred, fixes missing-key)
    a.yaml:2 "" -> "\n  output: New rule\n  desc: New rule\n  priority: WARNING"
    --- a.yaml after:
    - rule: New rule
      condition: evt.type = open and m
      output: New rule
      desc: New rule
      priority: WARNING
      # a comment
    - list: l
      items: [a]
    - macro: m
      condition: proc.name in (l)
    remaining: []
    "#);
    let fx = "//- a.yaml\n- li$0st: l\n- rule: r\n  desc: d\n  condition: evt.type = open and proc.name in (l)\n  output: \"%proc.name: x\"\n  priority: INFO\n";
    insta::assert_snapshot!(actions(fx), @r#"
    ## Add the missing key 'items' (QuickFix, preferred, fixes missing-key)
    a.yaml:1 "" -> "\n  items: []"
    --- a.yaml after:
    - list: l
      items: []
    - rule: r
      desc: d
      condition: evt.type = open and proc.name in (l)
      output: "%proc.name: x"
      priority: INFO
    remaining: []
    "#);
    // A name YAML would read as a mapping is quoted.
    let fx = "//- a.yaml\n- $0rule: \"a: b\"\n  condition: evt.type = open\n  priority: INFO\n";
    let out = actions(fx);
    assert!(
        out.contains("  output: \"a: b\"\n  desc: \"a: b\"\n"),
        "{out}"
    );
}

#[test]
fn deprecated_append_becomes_override() {
    let fx = r#"
//- a.yaml
- list: l
  items: [a]
- list: l
  items: [b]
  appe$0nd: true
- macro: m
  condition: proc.name in (l)
- macro: m
  condition: or proc.name = c
  append: true
- rule: r
  desc: d
  condition: evt.type = open and m
  output: o
  priority: INFO
- rule: r
  condition: and fd.num > 0
  exceptions:
    - name: e
      fields: proc.pname
      values: [x]
  append: true
- rule: r
  enabled: false
"#;
    let mut out = actions(fx);
    let fx = fx.replace("$0", "");
    out.push_str(&actions(&fx.replace(
        "condition: or proc.name = c\n  append",
        "condition: or proc.name = c\n  ap$0pend",
    )));
    out.push_str(&actions(
        &fx.replace("values: [x]\n  append", "values: [x]\n  ap$0pend"),
    ));
    out.push_str(&actions(
        &fx.replace("  enabled: false", "  enab$0led: false"),
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn deprecated_field_replaced_where_the_catalog_names_one() {
    let fx = r#"
//- a.yaml
- required_plugin_versions:
    - name: cloudtrail
      version: 0.1.0
- rule: r
  desc: d
  source: aws_cloudtrail
  condition: ec2.image$0id in (ami-1, ami-2)
  output: "%ec2.imageid"
  priority: INFO
"#;
    insta::assert_snapshot!(actions(fx));
    // In the output too.
    let out = actions(
        &fx.replace("$0", "")
            .replace("%ec2.imageid", "%ec2.ima$0geid"),
    );
    assert!(out.contains("output: \"%ec2.imageids[0]\""), "{out}");
    // Not where the replacement does not type-check: the catalog's
    // `ec2.imageids` is list-valued, and `=` does not take lists.
    let out = actions(&fx.replace("in (ami-1, ami-2)", "= ami-1"));
    assert!(!out.contains("Replace the deprecated field"), "{out}");
}

#[test]
fn or_chain_becomes_in() {
    let fx = r#"
//- a.yaml
- list: shells
  items: [bash]
- macro: m
  condition: fd.num > 0 and (proc.name = bash or proc.name == "a b" or proc.name$0 = 'x"y')
"#;
    insta::assert_snapshot!(actions(fx), @r#"
    ## Convert to 'proc.name in (bash, "a b", 'x"y')' (RefactorRewrite)
    a.yaml:4 "proc.name = bash or proc.name == \"a b\" or proc.name = 'x\"y'" -> "proc.name in (bash, \"a b\", 'x\"y')"
    --- a.yaml after:
    - list: shells
      items: [bash]
    - macro: m
      condition: fd.num > 0 and (proc.name in (bash, "a b", 'x"y'))
    remaining: ["unused-list List not referred to by any other rule/macro", "unused-macro Macro not referred to by any other rule/macro"]
    "#);
    // Not offered: another field, another operator, a transformer, a
    // list name as a value, a list-valued field.
    for cond in [
        "proc.name = a or proc.pname$0 = b",
        "proc.name = a or proc.name$0 != b",
        "proc.name = a or tolower(proc.name$0) = b",
        "proc.name = a or proc.name$0 = shells",
        "fd.types = file or fd.types$0 = ipv4",
        "proc.name = a and proc.name$0 = b",
        "proc.name startswith a or proc.name$0 startswith b",
        "proc.name = a or proc.name$0 = b and fd.num > 0",
    ] {
        let fx = format!(
            "//- a.yaml\n- list: shells\n  items: [bash]\n- macro: m\n  condition: {cond}\n"
        );
        assert!(!actions(&fx).contains("Convert to"), "{cond}");
    }
    // A top-level chain of a condition that another item appends to (as
    // text: `a or b and c` is `a or (b and c)`) stays; inside parentheses
    // it may change.
    let appended = "//- a.yaml\n- macro: m\n  condition: proc.name = a or proc.name$0 = b\n- macro: m\n  condition: and fd.num > 0\n  override:\n    condition: append\n";
    assert!(!actions(appended).contains("Convert to"));
    let fragment = "//- a.yaml\n- macro: m\n  condition: fd.num > 0\n- macro: m\n  condition: and proc.name = a or proc.name$0 = b\n  override:\n    condition: append\n";
    assert!(!actions(fragment).contains("Convert to"));
    let grouped = appended.replace(
        "proc.name = a or proc.name$0 = b",
        "(proc.name = a or proc.name$0 = b)",
    );
    assert!(actions(&grouped).contains("Convert to 'proc.name in (a, b)'"));
    // Numbers, in a double-quoted YAML scalar.
    let fx =
        "//- a.yaml\n- macro: m\n  condition: \"fd.num = 1 or fd$0.num = 2 or fd.num = 0x3\"\n";
    let out = actions(fx);
    assert!(
        out.contains(r#"condition: "fd.num in (1, 2, 0x3)""#),
        "{out}"
    );
}

// ---- inlay hints ----

#[test]
fn inlay_hints_list_sizes_and_event_types() {
    let fx = r#"
//- a.yaml
- list: shells
  items: [bash, sh]
- list: all
  items: [shells, zsh]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: few
  desc: d
  condition: spawned and proc.name in (all) and proc.cmdline contains "x all y"
  output: o
  priority: INFO
- rule: many
  desc: d
  condition: evt.type in (open, openat, openat2, creat, execve) and proc.name in (shells)
  output: o
  priority: INFO
- rule: every
  desc: d
  condition: proc.name in (shells)
  output: o
  priority: INFO
  warn_evttypes: false
- rule: broken
  desc: d
  condition: proc.nme = x
  output: o
  priority: INFO
"#;
    let f = fixture(fx);
    let a = f.host.snapshot();
    let text = a.file_text(0);
    let mut out = String::new();
    for h in inlay_hints(&a, 0, None) {
        let ls = super::edit::line_start(text, h.offset) as usize;
        let _ = writeln!(
            out,
            "{}|{}|{} ({:?})",
            &text[ls..h.offset as usize],
            h.label,
            &text[h.offset as usize..super::edit::line_end(text, h.offset) as usize],
            h.kind
        );
    }
    insta::assert_snapshot!(out, @r#"
    items: [shells|: 2 items|, zsh] (ListSize)
    condition: spawned and proc.name in (all|: 3 items|) and proc.cmdline contains "x all y" (ListSize)
    condition: spawned and proc.name in (all) and proc.cmdline contains "x all y"|execve, execveat| (EventTypes)
    condition: evt.type in (open, openat, openat2, creat, execve) and proc.name in (shells|: 2 items|) (ListSize)
    condition: evt.type in (open, openat, openat2, creat, execve) and proc.name in (shells)|creat, execve (+3)| (EventTypes)
    condition: proc.name in (shells|: 2 items|) (ListSize)
    condition: proc.name in (shells)|⚠ every event type| (EventTypes)
    "#);
    // A range holds only its hints.
    let start = text.find("- rule: many").unwrap() as u32;
    let end = text.find("- rule: every").unwrap() as u32;
    assert_eq!(inlay_hints(&a, 0, Some(Span::new(start, end))).len(), 2);
}

// ---- folding and selection ----

#[test]
fn folding_ranges_of_items_values_and_comments() {
    let fx = r#"
//- a.yaml
# Rules for shells.
# Two lines of comments.
- list: shells
  items:
    - bash
    - sh
- macro: m
  condition: >
    proc.name in (shells)
    # not a comment: inside the value
    and fd.num > 0
- rule: r
  desc: d
  condition: m
  output: o
  priority: INFO
"#;
    let f = fixture(fx);
    let a = f.host.snapshot();
    let text = a.file_text(0);
    let mut out = String::new();
    for fold in folding_ranges(&a, 0) {
        let _ = writeln!(
            out,
            "{:?} {}-{}",
            fold.kind,
            line_of(text, fold.span.start),
            line_of(text, fold.span.end)
        );
    }
    insta::assert_snapshot!(out, @"
    Comment 1-2
    Item 3-6
    Value 4-6
    Item 7-11
    Value 8-11
    Item 12-16
    ");
}

#[test]
fn selection_expands_from_token_to_item() {
    let fx = r#"
//- a.yaml
- rule: r
  desc: d
  condition: "evt.type = open and (fd.num > 0 or not proc.n$0ame in (a, b))"
  output: o
  priority: INFO
"#;
    let f = fixture(fx);
    let a = f.host.snapshot();
    let pos = f.pos.unwrap();
    let text = a.file_text(0);
    let out: Vec<&str> = selection_ranges(&a, 0, pos.offset)
        .iter()
        .map(|s| &text[s.range()])
        .collect();
    insta::assert_debug_snapshot!(out, @r#"
    [
        "proc.name",
        "proc.name in (a, b)",
        "not proc.name in (a, b)",
        "fd.num > 0 or not proc.name in (a, b)",
        "(fd.num > 0 or not proc.name in (a, b))",
        "evt.type = open and (fd.num > 0 or not proc.name in (a, b))",
        "\"evt.type = open and (fd.num > 0 or not proc.name in (a, b))\"",
        "condition: \"evt.type = open and (fd.num > 0 or not proc.name in (a, b))\"",
        "rule: r\n  desc: d\n  condition: \"evt.type = open and (fd.num > 0 or not proc.name in (a, b))\"\n  output: o\n  priority: INFO",
    ]
    "#);
    // Outside conditions: the scalar, the entry, the item.
    let at = text.find("INFO").unwrap() as u32 + 1;
    let out: Vec<&str> = selection_ranges(&a, 0, at)
        .iter()
        .map(|s| &text[s.range()])
        .collect();
    assert_eq!(out[..2], ["INFO", "priority: INFO"]);
}

// ---- half-typed text ----

/// Every feature at every offset of a text (and a few ranges).
fn every_feature(a: &Analysis) {
    for file in 0..a.file_count() as FileId {
        let len = a.file_text(file).len() as u32;
        let _ = semantic_tokens(a, file, None);
        let _ = semantic_tokens(a, file, Some(Span::new(len / 3, len / 2)));
        let _ = inlay_hints(a, file, None);
        let _ = folding_ranges(a, file);
        let _ = code_actions(a, file, Span::new(0, len));
        for offset in 0..=len + 1 {
            let pos = FilePosition { file, offset };
            let _ = document_highlights(a, pos);
            let _ = selection_ranges(a, file, offset);
            if prepare_rename(a, pos).is_ok() {
                let _ = rename(a, pos, "renamed_x");
            }
            let _ = code_actions(a, file, Span::empty(offset));
        }
    }
    let _ = workspace_symbols(a, "sh", 50);
}

#[test]
fn every_feature_on_broken_text() {
    let texts = [
        "//- a.yaml\n- rule: r\n  condition: (proc.name = 'x and (evt.type in (\n  output: \"%\n- macro:\n- list: l\n  items: [\n".to_string(),
        "//- a.yaml\n- macro: é\n  condition: \"é = \\\"ü\\\" and fd.name = ö\"\n- list: ü\n  items: [é, ü]\n  override:\n    items: append\n".to_string(),
        "//- a.yaml\n- rule: r\n  condition: >\n    a and\n\n    b in (ü\n  output: %proc.name %\n".to_string(),
    ];
    for t in texts {
        let f = fixture(&t);
        every_feature(&f.host.snapshot());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random truncations of a rules file (what typing produces) never
    /// break any feature.
    #[test]
    fn truncated_rules_files_never_break_a_feature(cut in 0usize..10_000, cut2 in 0usize..10_000) {
        let (_, rules) = WS.split_once("//- rules.yaml\n").unwrap();
        let macros = WS.split_once("//- macros.yaml\n").unwrap().1.split_once("//- rules.yaml").unwrap().0;
        let cut_at = |s: &str, n: usize| -> String {
            let n = n % (s.len() + 1);
            let n = (0..=n).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
            s[..n].to_string()
        };
        // One file cut, the other cut and then followed by the rest of
        // the first (an edit in the middle of a file).
        let a = cut_at(rules, cut);
        let b = format!("{}{}", cut_at(macros, cut2), &rules[a.len()..]);
        let mut host = AnalysisHost::default();
        host.update_files(
            vec![("macros.yaml".into(), b), ("rules.yaml".into(), a)],
            vec![],
        );
        every_feature(&host.snapshot());
    }
}

#[test]
fn selection_in_a_folded_condition_stops_at_the_value_and_entry() {
    let fx = "//- a.yaml\n- rule: r\n  desc: d\n  condition: >\n    evt.type = open and\n    (fd.num > 0 or not proc.n$0ame in (shells))\n  output: o\n  priority: INFO\n";
    let f = fixture(fx);
    let a = f.host.snapshot();
    let text = a.file_text(0);
    let out: Vec<&str> = selection_ranges(&a, 0, f.pos.unwrap().offset)
        .iter()
        .map(|s| &text[s.range()])
        .collect();
    assert_eq!(
        out[5..],
        [
            "evt.type = open and\n    (fd.num > 0 or not proc.name in (shells))",
            ">\n    evt.type = open and\n    (fd.num > 0 or not proc.name in (shells))",
            "condition: >\n    evt.type = open and\n    (fd.num > 0 or not proc.name in (shells))",
            "rule: r\n  desc: d\n  condition: >\n    evt.type = open and\n    (fd.num > 0 or not proc.name in (shells))\n  output: o\n  priority: INFO",
        ]
    );
}
