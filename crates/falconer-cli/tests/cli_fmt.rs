//! End-to-end tests of `falconer fmt`: in place, `--check` (exit 1 and a
//! diff), `--diff`, standard input, directories, the config's width, and
//! files that cannot be formatted.

mod common;

use common::{falconer, TempDir};

const UNFORMATTED: &str = "\
# A comment that stays.
- macro: shells
  condition: proc.name in (bash,sh)   and  proc.pname!= sshd

- rule: Shell
  desc: a shell   (desc untouched)
  condition: evt.type=execve and shells and (container.id != host or proc.name = aaaaaaaaaaaaaaaaaaaa or proc.pname = bbbbbbbbbbbbbbbbbbbbbb)
  output: \"%proc.name\"
  priority: INFO
";

const FORMATTED: &str = "\
# A comment that stays.
- macro: shells
  condition: proc.name in (bash, sh) and proc.pname!= sshd

- rule: Shell
  desc: a shell   (desc untouched)
  condition: >-
    evt.type = execve
    and shells
    and (
      container.id != host
      or proc.name = aaaaaaaaaaaaaaaaaaaa
      or proc.pname = bbbbbbbbbbbbbbbbbbbbbb
    )
  output: \"%proc.name\"
  priority: INFO
";

#[test]
fn check_prints_a_diff_and_fails_on_unformatted_files() {
    let dir = TempDir::new("fmt-check");
    let p = dir.write("rules.yaml", UNFORMATTED);
    let r = falconer(["fmt", "--check", "rules.yaml"])
        .cwd(dir.path())
        .run();
    r.expect_code(1);
    insta::assert_snapshot!("fmt_check_diff", r.stdout);
    assert!(
        r.stderr.contains("1 file would be reformatted"),
        "{}",
        r.stderr
    );
    // Nothing written.
    assert_eq!(std::fs::read_to_string(&p).unwrap(), UNFORMATTED);
}

#[test]
fn fmt_rewrites_in_place_then_check_passes() {
    let dir = TempDir::new("fmt-write");
    let p = dir.write("rules.yaml", UNFORMATTED);
    falconer(["fmt", "rules.yaml"])
        .cwd(dir.path())
        .run()
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), FORMATTED);
    let r = falconer(["fmt", "--check", "rules.yaml"])
        .cwd(dir.path())
        .run();
    r.expect_code(0);
    assert_eq!(r.stdout, "");
    // The result checks exactly as before (here: clean).
    falconer(["check", "rules.yaml"])
        .cwd(dir.path())
        .run()
        .expect_code(0);
}

#[test]
fn diff_prints_without_writing() {
    let dir = TempDir::new("fmt-diff");
    let p = dir.write("rules.yaml", UNFORMATTED);
    let r = falconer(["fmt", "--diff", "rules.yaml"])
        .cwd(dir.path())
        .run();
    r.expect_code(0);
    assert!(
        r.stdout.starts_with("--- rules.yaml\n+++ rules.yaml\n"),
        "{}",
        r.stdout
    );
    // `pname!=` stays glued: a blank there would split the word `proc.pname!`.
    assert!(r
        .stdout
        .contains("+  condition: proc.name in (bash, sh) and proc.pname!= sshd"));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), UNFORMATTED);
}

#[test]
fn standard_input_to_standard_output() {
    let r = falconer(["fmt", "-"]).stdin(UNFORMATTED).run();
    r.expect_code(0);
    assert_eq!(r.stdout, FORMATTED);
    let r = falconer(["fmt", "--check", "-"]).stdin(UNFORMATTED).run();
    r.expect_code(1);
    assert!(r.stdout.contains("--- <stdin>"));
    falconer(["fmt", "--check", "-"])
        .stdin(FORMATTED)
        .run()
        .expect_code(0);
}

#[test]
fn directories_and_config_width() {
    let dir = TempDir::new("fmt-dir");
    dir.write("rules/a.yaml", UNFORMATTED);
    dir.write("rules/b.yml", FORMATTED);
    dir.write("rules/notes.txt", "not yaml");
    let r = falconer(["fmt", "--check", "rules"]).cwd(dir.path()).run();
    r.expect_code(1);
    assert!(r.stdout.contains("--- rules/a.yaml"), "{}", r.stdout);
    assert!(!r.stdout.contains("b.yml"), "{}", r.stdout);
    // A wider [format] width keeps the rule's condition on one line.
    dir.write(
        "falconer.toml",
        "rules_files = [\"rules/a.yaml\"]\n[format]\nwidth = 200\n",
    );
    falconer(["fmt"]).cwd(dir.path()).run().expect_code(0);
    let a = std::fs::read_to_string(dir.path().join("rules/a.yaml")).unwrap();
    assert!(
        a.contains("  condition: evt.type = execve and shells and (container.id"),
        "{a}"
    );
    // --width wins over the config.
    falconer(["fmt", "--width", "40", "rules/a.yaml"])
        .cwd(dir.path())
        .run()
        .expect_code(0);
    let a = std::fs::read_to_string(dir.path().join("rules/a.yaml")).unwrap();
    assert!(a.contains("    and (\n      container.id != host\n"), "{a}");
}

#[test]
fn files_that_cannot_be_formatted_are_reported_and_left_alone() {
    let dir = TempDir::new("fmt-bad");
    let broken = "- macro: m\n  condition: proc.name=a\n- rule: [\n";
    let p = dir.write("broken.yaml", broken);
    dir.write("good.yaml", UNFORMATTED);
    let r = falconer(["fmt", "broken.yaml", "good.yaml"])
        .cwd(dir.path())
        .run();
    r.expect_code(2);
    assert!(
        r.stderr.contains("broken.yaml:3:9: not formatted")
            && r.stderr.contains("YAML syntax error"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), broken);
    // The other file was still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("good.yaml")).unwrap(),
        FORMATTED
    );
    // Not UTF-8, missing file, no paths at all.
    dir.write("latin1.yaml", b"- macro: m\n  condition: proc.name=\xe9\n");
    falconer(["fmt", "latin1.yaml"])
        .cwd(dir.path())
        .run()
        .expect_code(2);
    falconer(["fmt", "missing.yaml"])
        .cwd(dir.path())
        .run()
        .expect_code(2);
    falconer(["fmt"]).cwd(dir.path()).run().expect_code(2);
}

#[test]
fn bundled_and_generated_rules_format_and_still_check_the_same() {
    let dir = TempDir::new("fmt-bundled");
    let bundled =
        std::fs::read_to_string(common::bundled_rules().join("falconer_rules.yaml")).unwrap();
    dir.write("a.yaml", &bundled);
    dir.write("big.yaml", falconer_testgen::generate(4500));
    let before = falconer(["check", "--format", "json", "a.yaml", "big.yaml"])
        .cwd(dir.path())
        .run();
    falconer(["fmt", "a.yaml", "big.yaml"])
        .cwd(dir.path())
        .run()
        .expect_code(0);
    falconer(["fmt", "--check", "a.yaml", "big.yaml"])
        .cwd(dir.path())
        .run()
        .expect_code(0);
    let after = falconer(["check", "--format", "json", "a.yaml", "big.yaml"])
        .cwd(dir.path())
        .run();
    assert_eq!(before.code, after.code);
    assert_eq!(
        common::summary(&before.json()),
        common::summary(&after.json())
    );
    assert_eq!(common::codes(&before.json()), common::codes(&after.json()));
}
