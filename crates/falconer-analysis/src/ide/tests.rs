//! Tests of the IDE queries on small multi-file workspaces.
//!
//! A fixture is one string: `//- name.yaml` starts a file (files load in
//! the order written; `//- name.yaml (extra)` makes a workspace file
//! outside the load order) and `$0` marks the cursor.

use super::*;
use crate::AnalysisHost;
use falconer_text::Span;
use std::fmt::Write;

pub(super) struct Fixture {
    pub host: AnalysisHost,
    pub pos: Option<FilePosition>,
}

pub(super) fn fixture(text: &str) -> Fixture {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut extra: Vec<(String, String)> = Vec::new();
    let mut cur: Option<(String, bool, String)> = None;
    let mut flush = |cur: &mut Option<(String, bool, String)>| {
        if let Some((name, is_extra, body)) = cur.take() {
            if is_extra {
                extra.push((name, body));
            } else {
                files.push((name, body));
            }
        }
    };
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("//- ") {
            flush(&mut cur);
            let is_extra = h.ends_with(" (extra)");
            let name = h.trim_end_matches(" (extra)").trim().to_string();
            cur = Some((name, is_extra, String::new()));
        } else if let Some((_, _, body)) = &mut cur {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&mut cur);
    let mut pos = None;
    for (i, (_, body)) in files.iter_mut().chain(extra.iter_mut()).enumerate() {
        if let Some(at) = body.find("$0") {
            body.replace_range(at..at + 2, "");
            pos = Some(FilePosition {
                file: i as FileId,
                offset: at as u32,
            });
        }
    }
    let mut host = AnalysisHost::default();
    host.update_files(files, extra);
    Fixture { host, pos }
}

pub(super) fn show(a: &Analysis, file: FileId, span: Span) -> String {
    let text = a.file_text(file);
    format!(
        "{}:{}..{} {:?}",
        a.file_path(file),
        span.start,
        span.end,
        &text[span.range()]
    )
}

fn defs(fx: &str) -> String {
    let f = fixture(fx);
    let a = f.host.snapshot();
    let mut out = String::new();
    for d in definitions(&a, f.pos.unwrap()) {
        let _ = writeln!(
            out,
            "{:?} {} -> {}",
            d.kind,
            d.name,
            show(&a, d.file, d.focus_span)
        );
    }
    out
}

fn refs(fx: &str, decl: bool) -> String {
    let f = fixture(fx);
    let a = f.host.snapshot();
    let mut out = String::new();
    for r in references(&a, f.pos.unwrap(), decl) {
        let _ = writeln!(
            out,
            "{}{}",
            if r.is_declaration { "decl " } else { "" },
            show(&a, r.file, r.span)
        );
    }
    out
}

fn hover_at(fx: &str) -> String {
    let f = fixture(fx);
    let a = f.host.snapshot();
    match hover(&a, f.pos.unwrap()) {
        Some(h) => format!(
            "{}\n---\n{}",
            show(&a, f.pos.unwrap().file, h.span),
            h.markdown
        ),
        None => "(none)".into(),
    }
}

fn complete(fx: &str) -> Vec<CompletionItem> {
    let f = fixture(fx);
    let a = f.host.snapshot();
    completions(&a, f.pos.unwrap())
}

fn labels(items: &[CompletionItem]) -> Vec<&str> {
    items.iter().map(|i| i.label.as_str()).collect()
}

const TWO_FILES: &str = r#"
//- macros.yaml
- list: shell_binaries
  items: [bash, sh]
- list: all_shells
  items: [shell_binaries, zsh]
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- macro: shell_procs
  condition: proc.name in (shell_binaries)
//- rules.yaml
- macro: spawned_process
  condition: and proc.pid > 0
  append: true
- rule: Shell spawned
  desc: a shell
  condition: spawned_process and shell_procs and proc.pname in (all_shells)
  output: "shell %proc.name (parent %proc.pname)"
  priority: WARNING
"#;

#[test]
fn two_files_have_no_undefined_macro() {
    let f = fixture(TWO_FILES);
    let diags = f.host.diagnostics();
    assert!(
        diags.iter().all(|d| d.code != "undefined-macro"),
        "{diags:#?}"
    );
    assert!(diags.iter().all(|d| d.severity != crate::Severity::Error));
}

#[test]
fn definition_of_macro_across_files_with_append() {
    let fx = TWO_FILES.replace(
        "condition: spawned_process and",
        "condition: spawned_pro$0cess and",
    );
    insta::assert_snapshot!(defs(&fx), @r#"
    Macro spawned_process -> macros.yaml:102..117 "spawned_process"
    Macro spawned_process -> rules.yaml:9..24 "spawned_process"
    "#);
}

#[test]
fn definition_of_list_from_condition_and_from_list_items() {
    let fx = TWO_FILES.replace("(all_shells)", "(all_$0shells)");
    insta::assert_snapshot!(defs(&fx), @r#"List all_shells -> macros.yaml:51..61 "all_shells""#);
    let fx = TWO_FILES.replace("[shell_binaries, zsh]", "[shell_bin$0aries, zsh]");
    insta::assert_snapshot!(defs(&fx), @r#"List shell_binaries -> macros.yaml:8..22 "shell_binaries""#);
}

#[test]
fn definition_from_a_definition_name_and_of_a_rule() {
    let fx = TWO_FILES.replace("- macro: shell_procs", "- macro: shell_$0procs");
    insta::assert_snapshot!(defs(&fx), @r#"Macro shell_procs -> macros.yaml:171..182 "shell_procs""#);
    let fx = TWO_FILES.replace("rule: Shell spawned", "rule: Shell $0spawned");
    insta::assert_snapshot!(defs(&fx), @r#"Rule Shell spawned -> rules.yaml:78..91 "Shell spawned""#);
}

#[test]
fn undefined_macro_leads_to_a_file_outside_the_load_order() {
    let fx = r#"
//- rules.yaml
- rule: r
  desc: d
  condition: my_mac$0ro
  output: o
  priority: INFO
//- other.yaml (extra)
- macro: my_macro
  condition: proc.name = x
"#;
    insta::assert_snapshot!(defs(fx), @r#"Macro my_macro -> other.yaml:9..17 "my_macro""#);
}

#[test]
fn references_of_macro_across_files() {
    let fx = TWO_FILES.replace(
        "- macro: spawned_process\n  condition: evt",
        "- macro: spawned_$0process\n  condition: evt",
    );
    insta::assert_snapshot!(refs(&fx, true), @r#"
    decl macros.yaml:102..117 "spawned_process"
    decl rules.yaml:9..24 "spawned_process"
    rules.yaml:121..136 "spawned_process"
    "#);
    insta::assert_snapshot!(refs(&fx, false), @r#"rules.yaml:121..136 "spawned_process""#);
}

#[test]
fn references_of_list_in_conditions_and_lists() {
    let fx = TWO_FILES.replace("- list: shell_binaries", "- list: shell_binaries$0");
    insta::assert_snapshot!(refs(&fx, true), @r#"
    decl macros.yaml:8..22 "shell_binaries"
    macros.yaml:72..86 "shell_binaries"
    macros.yaml:210..224 "shell_binaries"
    "#);
}

#[test]
fn hover_on_field_macro_list_rule() {
    insta::assert_snapshot!(hover_at(
        &TWO_FILES.replace("proc.pname in", "proc.pn$0ame in")
    ));
    insta::assert_snapshot!(hover_at(
        &TWO_FILES.replace("spawned_process and", "spawned$0_process and")
    ));
    insta::assert_snapshot!(hover_at(
        &TWO_FILES.replace("(all_shells)", "(all$0_shells)")
    ));
    insta::assert_snapshot!(hover_at(
        &TWO_FILES.replace("rule: Shell spawned", "rule: Shell$0 spawned")
    ));
    insta::assert_snapshot!(hover_at(
        &TWO_FILES.replace("(parent %proc.pname)", "(parent %proc.pn$0ame)")
    ));
}

#[test]
fn hover_on_deprecated_field_and_operator() {
    let fx = r#"
//- a.yaml
- macro: m
  condition: evt.d$0ir = < and proc.name startswith sh
"#;
    insta::assert_snapshot!(hover_at(fx));
    insta::assert_snapshot!(hover_at(&fx.replace("$0", "").replace("startswith", "starts$0with")), @r#"
    a.yaml:50..60 "startswith"
    ---
    **operator** `startswith`

    Starts with the prefix.

    Accepts the modifiers `oneof`, `anyof`, `allof`.
    "#);
}

#[test]
fn hover_inside_folded_and_quoted_scalars() {
    let fx = r#"
//- a.yaml
- macro: m
  condition: >
    evt.type = open and
    proc.na$0me = "x"
- macro: q
  condition: "fd.name = \"a\" and fd.num > 3"
"#;
    let h = hover_at(fx);
    assert!(h.starts_with("a.yaml:54..63 \"proc.name\""), "{h}");
    let h = hover_at(&fx.replace("$0", "").replace("fd.num >", "fd.n$0um >"));
    assert!(h.contains(" \"fd.num\"\n"), "{h}");
}

#[test]
fn complete_fields_after_dot() {
    let fx = r#"
//- a.yaml
- rule: r
  desc: d
  condition: evt.type = open and proc.na$0
"#;
    let items = complete(fx);
    let l = labels(&items);
    assert!(l.contains(&"proc.name"), "{l:?}");
    assert!(l.iter().all(|x| x.starts_with("proc.na")), "{l:?}");
    let name = items.iter().find(|i| i.label == "proc.name").unwrap();
    assert_eq!(name.kind, CompletionKind::Field);
    assert_eq!(name.detail.as_deref(), Some("CHARBUF"));
    // The whole dotted word is replaced.
    let f = fixture(fx);
    let text = f.host.file_text(0);
    assert_eq!(&text[name.replace.range()], "proc.na");
}

#[test]
fn complete_fields_by_rule_source() {
    let fx = r#"
//- a.yaml
- required_plugin_versions:
    - name: k8saudit
      version: 0.1.0
- rule: r
  desc: d
  source: k8s_audit
  condition: ka.verb = create and ka.$0
"#;
    let items = complete(fx);
    let l = labels(&items);
    assert!(l.contains(&"ka.user.name"), "{l:?}");
    let fx = fx.replace("ka.$0", "proc.$0");
    assert!(complete(&fx).is_empty());
}

#[test]
fn complete_macros_and_fields_in_operand_position() {
    let fx = TWO_FILES.replace(
        "spawned_process and shell_procs",
        "spawned_process and sh$0",
    );
    let items = complete(&fx);
    let l = labels(&items);
    assert_eq!(l.first(), Some(&"shell_procs"), "{l:?}");
    assert!(!l.contains(&"spawned_process"), "{l:?}");
    // Empty word: every macro first, then fields.
    let fx = TWO_FILES.replace("spawned_process and shell_procs", "spawned_process and $0");
    let items = complete(&fx);
    assert!(items.len() > 100);
    assert_eq!(items[0].label, "not");
    assert_eq!(items[1].kind, CompletionKind::Macro);
}

#[test]
fn complete_operators_values_lists() {
    let fx = r#"
//- a.yaml
- list: editors
  items: [vi, nano]
- macro: m
  condition: fd.num $0
"#;
    let l: Vec<String> = labels(&complete(fx))
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(
        l.contains(&">=".to_string()) && !l.contains(&"startswith".to_string()),
        "{l:?}"
    );
    let l = labels(&complete(&fx.replace("fd.num $0", "evt.type = op$0"))).join(" ");
    assert!(
        l.starts_with("open ") && l.contains(" openat openat2"),
        "{l}"
    );
    let items = complete(&fx.replace("fd.num $0", "proc.name in (a, ed$0"));
    assert_eq!(labels(&items), vec!["editors"]);
    let items = complete(&fx.replace("fd.num $0", "proc.name in $0"));
    assert_eq!(items[0].insert_text, "(editors)");
    let items = complete(&fx.replace("fd.num $0", "proc.name exists $0"));
    assert_eq!(labels(&items), vec!["and", "or"]);
    let items = complete(&fx.replace(
        "items: [vi, nano]\n",
        "items: [vi, nano]\n- list: more\n  items: [ed$0]\n",
    ));
    assert_eq!(labels(&items), vec!["editors"]);
}

#[test]
fn complete_in_empty_condition_and_output() {
    let fx = r#"
//- a.yaml
- rule: r
  desc: d
  condition: $0
"#;
    let items = complete(fx);
    assert!(labels(&items).contains(&"proc.name"));
    let f = fixture(fx);
    let pos = f.pos.unwrap();
    assert!(items.iter().all(|i| i.replace == Span::empty(pos.offset)));
    let fx = r#"
//- a.yaml
- rule: r
  desc: d
  condition: proc.name = x
  output: "shell %proc.cmd$0 more"
"#;
    let l = labels(&complete(fx)).join(" ");
    assert_eq!(l, "proc.cmdlenargs proc.cmdline proc.cmdnargs");
}

#[test]
fn symbols_of_a_file() {
    let f = fixture(TWO_FILES);
    let a = f.host.snapshot();
    let mut out = String::new();
    for file in 0..2 {
        for s in document_symbols(&a, file) {
            let _ = writeln!(
                out,
                "{:?} {} {:?} {}",
                s.kind,
                s.name,
                s.detail,
                show(&a, file, s.focus_span)
            );
        }
    }
    insta::assert_snapshot!(out, @r#"
    List shell_binaries None macros.yaml:8..22 "shell_binaries"
    List all_shells None macros.yaml:51..61 "all_shells"
    Macro spawned_process None macros.yaml:102..117 "spawned_process"
    Macro shell_procs None macros.yaml:171..182 "shell_procs"
    Macro spawned_process Some("append") rules.yaml:9..24 "spawned_process"
    Rule Shell spawned Some("WARNING") rules.yaml:78..91 "Shell spawned"
    "#);
}

#[test]
fn every_offset_of_broken_text_is_safe() {
    let texts = [
        TWO_FILES.to_string(),
        "//- a.yaml\n- rule: r\n  condition: (proc.name = 'x and (evt.type in (\n  output: \"%\n- macro:\n- list: l\n  items: [\n".to_string(),
        "//- a.yaml\n- macro: é\n  condition: \"é = \\\"ü\\\" and fd.name = ö\"\n- list: ü\n  items: [é, ü]\n  override:\n    items: append\n".to_string(),
        "//- a.yaml\n- rule: r\n  condition: >\n    a and\n\n    b in (ü\n  output: %proc.name %\n".to_string(),
    ];
    for t in texts {
        let f = fixture(&t);
        let a = f.host.snapshot();
        for file in 0..a.file_count() as FileId {
            let len = a.file_text(file).len() as u32;
            let _ = document_symbols(&a, file);
            for offset in 0..=len + 2 {
                let pos = FilePosition { file, offset };
                let _ = definitions(&a, pos);
                let _ = references(&a, pos, true);
                let _ = hover(&a, pos);
                let _ = completions(&a, pos);
            }
        }
    }
}

#[test]
fn update_files_keeps_unchanged_inputs() {
    let a = (
        "a.yaml".to_string(),
        "- macro: m\n  condition: proc.name = x\n".to_string(),
    );
    let b = (
        "b.yaml".to_string(),
        "- macro: n\n  condition: m and fd.num > 0\n- rule: r\n  desc: d\n  condition: evt.type = open and n\n  output: o\n  priority: INFO\n".to_string(),
    );
    let mut host = AnalysisHost::default();
    host.update_files(vec![a.clone(), b.clone()], vec![]);
    assert!(host.diagnostics().is_empty(), "{:?}", host.diagnostics());
    // Reordered: `n` now refers forward to `m`.
    host.update_files(vec![b, a], vec![]);
    assert_eq!(host.file_path(0), "b.yaml");
    assert!(host
        .diagnostics()
        .iter()
        .any(|d| d.code == "undefined-macro"));
    host.set_text(1, "- macro: n\n  condition: proc.name = x\n");
    assert_eq!(
        host.file_text(1),
        "- macro: n\n  condition: proc.name = x\n"
    );
    let snap = host.snapshot();
    assert_eq!(snap.file_count(), 2);
    drop(snap);
    host.set_text(0, "");
    assert_eq!(host.file_text(0), "");
}
