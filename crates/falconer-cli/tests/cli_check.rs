//! `falconer check`: exit statuses, load order, config files and plugins,
//! run against the real binary.

mod common;

use common::*;

/// A rule that is clean with Falco's default plugins.
const CLEAN: &str = "- list: shells
  items: [bash, sh]

- rule: Shell
  desc: a shell
  condition: evt.type in (execve, execveat) and proc.name in (shells)
  output: \"shell (proc=%proc.name)\"
  priority: WARNING
";

/// An unknown field: an error.
const WITH_ERROR: &str = "- rule: Typo
  desc: a misspelt field
  condition: evt.type = open and proc.nme = cat
  output: \"open (proc=%proc.name)\"
  priority: INFO
";

/// A deprecated field: a warning and nothing else.
const WITH_WARNING: &str = "- rule: Old Style
  desc: uses evt.dir
  condition: evt.type = open and evt.dir = <
  output: \"open (proc=%proc.name)\"
  priority: INFO
";

/// A misspelt list reference (list-typo) and an unused macro.
const LINTS: &str = "- list: shell_binaries
  items: [bash, sh]

- macro: unused_thing
  condition: proc.name = never

- rule: Shell
  desc: a shell
  condition: evt.type in (execve, execveat) and proc.name in (shell_binaries, shell_binarys)
  output: \"shell (proc=%proc.name)\"
  priority: WARNING
";

// ---------------------------------------------------------------- status --

#[test]
fn bundled_rules_check_clean() {
    let dir = TempDir::new("bundled");
    let run = check_json(dir.path(), [bundled_rules()]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(report["diagnostics"], serde_json::json!([]), "{report:#}");
    let (files, errors, warnings) = summary(&report);
    assert!(files >= 1, "at least the bundled file is loaded");
    assert_eq!((errors, warnings), (0, 0));
}

#[test]
fn bundled_rules_check_clean_in_human_format() {
    let dir = TempDir::new("bundled-human");
    let run = falconer(["check".into(), bundled_rules().into_os_string()])
        .cwd(dir.path())
        .run();
    run.expect_code(0);
    assert!(
        run.stdout.contains("0 errors, 0 warnings"),
        "summary line missing:\n{}",
        run.stdout
    );
}

#[test]
fn an_error_exits_1() {
    let dir = TempDir::new("error");
    let f = dir.write("rules.yaml", WITH_ERROR);
    let run = check_json(dir.path(), [&f]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(codes(&report), ["unknown-field"]);
    assert_eq!(summary(&report), (1, 1, 0));
    // The human format fails the same way.
    falconer(["check".into(), f.into_os_string()])
        .cwd(dir.path())
        .run()
        .expect_code(1);
}

#[test]
fn warnings_alone_exit_0_and_1_with_deny_warnings() {
    let dir = TempDir::new("warnings");
    let f = dir.write("rules.yaml", WITH_WARNING);
    let run = check_json(dir.path(), [&f]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(codes(&report), ["deprecated-field"]);
    assert_eq!(summary(&report), (1, 0, 1));

    let run = falconer(["check", "--deny", "warnings"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    assert!(run.stdout.contains("1 warning"), "{}", run.stdout);
}

#[test]
fn deny_warnings_on_a_clean_file_exits_0() {
    let dir = TempDir::new("deny-clean");
    let f = dir.write("rules.yaml", CLEAN);
    falconer(["check", "--deny", "warnings"])
        .arg(&f)
        .cwd(dir.path())
        .run()
        .expect_code(0);
}

#[test]
fn deny_warnings_ignores_info_level_diagnostics() {
    let dir = TempDir::new("deny-info");
    dir.write("falconer.toml", "[lints]\nlist-typo = \"info\"\n");
    let f = dir.write(
        "rules.yaml",
        LINTS.replace(
            "- macro: unused_thing\n  condition: proc.name = never\n\n",
            "",
        ),
    );
    let run = falconer(["check", "--format", "json", "--deny", "warnings"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    run.expect_code(0);
    let report = run.json();
    let typo = diags_with(&report, "list-typo");
    assert_eq!(typo.len(), 1, "{report:#}");
    assert_eq!(typo[0]["severity"], "info");
    assert_eq!(summary(&report), (1, 0, 0));
}

// ------------------------------------------------------- run failures (2) --

/// Asserts a run failed as a run (status 2) with a message on stderr
/// mentioning `needle`, and printed no report.
#[track_caller]
fn assert_run_failure(run: &Run, needle: &str) {
    run.expect_code(2);
    assert!(
        run.stderr.contains(needle),
        "stderr should mention {needle:?}:\n{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains("\"diagnostics\""),
        "no report expected on a failed run:\n{}",
        run.stdout
    );
}

#[test]
fn missing_file_exits_2() {
    let dir = TempDir::new("missing");
    let run = check_json(dir.path(), [dir.path().join("no-such-file.yaml")]);
    assert_run_failure(&run, "no-such-file.yaml");
}

#[test]
fn missing_file_among_good_ones_exits_2() {
    let dir = TempDir::new("missing-among");
    let good = dir.write("good.yaml", CLEAN);
    let run = check_json(dir.path(), [good, dir.path().join("absent.yaml")]);
    assert_run_failure(&run, "absent.yaml");
}

#[test]
fn path_through_a_file_exits_2() {
    // `file.yaml/inner.yaml`: ENOTDIR, a path that cannot be read.
    let dir = TempDir::new("notdir");
    let f = dir.write("file.yaml", CLEAN);
    let run = check_json(dir.path(), [f.join("inner.yaml")]);
    assert_run_failure(&run, "inner.yaml");
}

#[cfg(unix)]
#[test]
fn symlink_loop_exits_2() {
    let dir = TempDir::new("symlink-loop");
    let p = dir.path().join("loop.yaml");
    std::os::unix::fs::symlink(&p, &p).expect("creating a symlink");
    let run = check_json(dir.path(), [&p]);
    assert_run_failure(&run, "loop.yaml");
}

#[cfg(unix)]
#[test]
fn unreadable_file_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("unreadable");
    let f = dir.write("secret.yaml", CLEAN);
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&f).is_ok() {
        eprintln!("skipped: running as root, a mode-000 file is still readable");
        return;
    }
    let run = check_json(dir.path(), [&f]);
    assert_run_failure(&run, "secret.yaml");
}

#[cfg(unix)]
#[test]
fn unreadable_file_inside_a_directory_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("unreadable-in-dir");
    dir.write("rules/a.yaml", CLEAN);
    let f = dir.write("rules/b.yaml", CLEAN);
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&f).is_ok() {
        eprintln!("skipped: running as root, a mode-000 file is still readable");
        return;
    }
    let run = check_json(dir.path(), [dir.path().join("rules")]);
    assert_run_failure(&run, "b.yaml");
}

#[test]
fn unknown_flag_exits_2() {
    let dir = TempDir::new("flag");
    let f = dir.write("rules.yaml", CLEAN);
    let run = falconer(["check", "--bogus-flag"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    assert_run_failure(&run, "--bogus-flag");
}

#[test]
fn unknown_subcommand_and_no_subcommand_exit_2() {
    let dir = TempDir::new("subcmd");
    let run = falconer(["lint"]).cwd(dir.path()).run();
    assert_run_failure(&run, "lint");
    let run = falconer(Vec::<String>::new()).cwd(dir.path()).run();
    run.expect_code(2);
    assert!(run.stderr.contains("Usage"), "{}", run.stderr);
}

#[test]
fn bad_format_and_deny_values_exit_2() {
    let dir = TempDir::new("bad-values");
    let f = dir.write("rules.yaml", CLEAN);
    let run = falconer(["check", "--format", "xml"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    assert_run_failure(&run, "xml");
    let run = falconer(["check", "--deny", "errors"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    assert_run_failure(&run, "errors");
}

#[test]
fn bad_engine_version_exits_2() {
    let dir = TempDir::new("engine-version");
    let f = dir.write("rules.yaml", CLEAN);
    for bad in ["1.2", "abc", "1.2.3.4", "", "v0.63.0", "0.63.x", "-1.0.0"] {
        let run = falconer(["check", "--format", "json"])
            .arg(format!("--engine-version={bad}"))
            .arg(&f)
            .cwd(dir.path())
            .run();
        run.expect_code(2);
        assert!(
            run.stderr.contains("version"),
            "--engine-version {bad:?}: stderr should explain:\n{}",
            run.stderr
        );
    }
}

#[test]
fn engine_version_flag_is_used_for_required_engine_version() {
    let dir = TempDir::new("engine-version-ok");
    let f = dir.write(
        "rules.yaml",
        format!("- required_engine_version: 0.70.0\n\n{CLEAN}"),
    );
    let run = check_json(dir.path(), [&f]);
    run.expect_code(1);
    assert_eq!(codes(&run.json()), ["engine-version-too-old"]);
    falconer(["check", "--engine-version", "0.70.0"])
        .arg(&f)
        .cwd(dir.path())
        .run()
        .expect_code(0);
}

#[test]
fn unknown_plugin_exits_2() {
    let dir = TempDir::new("plugin");
    let f = dir.write("rules.yaml", CLEAN);
    let run = falconer(["check", "--plugin", "no-such-plugin"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    assert_run_failure(&run, "no-such-plugin");
    // The message lists the plugins that do exist.
    assert!(run.stderr.contains("k8saudit"), "{}", run.stderr);
}

#[test]
fn no_paths_and_no_config_exits_2() {
    let dir = TempDir::new("no-paths");
    let run = falconer(["check"]).cwd(dir.path()).run();
    assert_run_failure(&run, "no rules files");
}

#[test]
fn directory_without_yaml_files_exits_2() {
    let dir = TempDir::new("empty-dir");
    dir.write("rules/README.md", "# nothing here\n");
    let run = check_json(dir.path(), [dir.path().join("rules")]);
    assert_run_failure(&run, "yaml");
}

// ------------------------------------------------------------ load order --

/// `- list: shells` appended to: needs a file that defines it before.
const APPEND: &str = "- list: shells
  items: [zsh]
  override:
    items: append
";

#[test]
fn files_load_in_the_order_given() {
    let dir = TempDir::new("order");
    let base = dir.write("base.yaml", CLEAN);
    let extra = dir.write("extra.yaml", APPEND);

    let run = check_json(dir.path(), [&base, &extra]);
    run.expect_code(0);
    assert_eq!(summary(&run.json()), (2, 0, 0));

    let run = check_json(dir.path(), [&extra, &base]);
    run.expect_code(1);
    let report = run.json();
    let undefined = diags_with(&report, "undefined-item");
    assert_eq!(undefined.len(), 1, "{report:#}");
    assert!(
        undefined[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("extra.yaml"),
        "{report:#}"
    );
    assert_eq!(undefined[0]["line"], 1);
}

#[test]
fn directories_load_their_yaml_files_in_sorted_order() {
    let dir = TempDir::new("dir-order");
    // Written in reverse order so that creation order is not sorted order.
    dir.write("rules/b_base.yaml", CLEAN);
    dir.write("rules/a_extra.yaml", APPEND);
    let run = check_json(dir.path(), [dir.path().join("rules")]);
    run.expect_code(1);
    let report = run.json();
    let undefined = diags_with(&report, "undefined-item");
    assert_eq!(undefined.len(), 1, "{report:#}");
    assert!(undefined[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("a_extra.yaml"));

    // Renamed so that it sorts after the base: clean.
    std::fs::rename(
        dir.path().join("rules/a_extra.yaml"),
        dir.path().join("rules/c_extra.yaml"),
    )
    .unwrap();
    let run = check_json(dir.path(), [dir.path().join("rules")]);
    run.expect_code(0);
    assert_eq!(summary(&run.json()), (2, 0, 0));
}

#[test]
fn directories_take_yml_too_and_ignore_other_files_and_subdirectories() {
    let dir = TempDir::new("dir-filter");
    dir.write("rules/a_base.yaml", CLEAN);
    dir.write("rules/b_extra.yml", APPEND);
    dir.write("rules/notes.txt", "- list: [unclosed\n");
    dir.write("rules/README.md", "- list: [unclosed\n");
    dir.write("rules/sub/broken.yaml", "- list: [unclosed\n");
    let run = check_json(dir.path(), [dir.path().join("rules")]);
    run.expect_code(0);
    assert_eq!(summary(&run.json()), (2, 0, 0));
}

#[test]
fn directory_and_file_arguments_mix_in_order() {
    let dir = TempDir::new("dir-and-file");
    dir.write("base/one.yaml", CLEAN);
    let extra = dir.write("extra.yaml", APPEND);
    let run = check_json(dir.path(), [dir.path().join("base"), extra.clone()]);
    run.expect_code(0);
    let run = check_json(dir.path(), [extra, dir.path().join("base")]);
    run.expect_code(1);
    assert_eq!(codes(&run.json()), ["undefined-item"]);
}

#[test]
fn macros_are_visible_to_rules_of_earlier_files() {
    // Falco compiles all macros before any rule: a rule may use a macro
    // defined in a later file.
    let dir = TempDir::new("macro-later");
    let uses = dir.write("a.yaml", rule("Uses", "evt.type = open and my_macro"));
    let defines = dir.write(
        "b.yaml",
        "- macro: my_macro\n  condition: proc.name = cat\n",
    );
    let run = check_json(dir.path(), [&uses, &defines]);
    run.expect_code(0);
    assert_eq!(summary(&run.json()), (2, 0, 0));
    // Without the defining file it is an undefined macro.
    let run = check_json(dir.path(), [&uses]);
    run.expect_code(1);
    assert_eq!(codes(&run.json()), ["undefined-macro"]);
}

// --------------------------------------------------------------- config --

#[test]
fn config_in_current_directory_gives_rules_files() {
    let dir = TempDir::new("config-cwd");
    dir.write("rules/base.yaml", CLEAN);
    dir.write("rules/extra.yaml", APPEND);
    dir.write(
        "falconer.toml",
        "rules_files = [\"rules/base.yaml\", \"rules/extra.yaml\"]\n",
    );
    let run = falconer(["check", "--format", "json"])
        .cwd(dir.path())
        .run();
    run.expect_code(0);
    assert_eq!(summary(&run.json()), (2, 0, 0));

    // The order of rules_files is the load order.
    dir.write(
        "falconer.toml",
        "rules_files = [\"rules/extra.yaml\", \"rules/base.yaml\"]\n",
    );
    let run = falconer(["check", "--format", "json"])
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    assert_eq!(codes(&run.json()), ["undefined-item"]);
}

#[test]
fn config_is_found_in_a_parent_directory() {
    let dir = TempDir::new("config-parent");
    dir.write("rules/base.yaml", CLEAN);
    dir.write("falconer.toml", "rules_files = [\"rules/base.yaml\"]\n");
    std::fs::create_dir_all(dir.path().join("deep/er")).unwrap();
    let run = falconer(["check", "--format", "json"])
        .cwd(dir.path().join("deep/er"))
        .run();
    run.expect_code(0);
    let report = run.json();
    assert_eq!(summary(&report), (1, 0, 0));
}

#[test]
fn config_lint_off_removes_the_diagnostic() {
    let dir = TempDir::new("config-off");
    let f = dir.write(
        "rules.yaml",
        LINTS.replace(
            "- macro: unused_thing\n  condition: proc.name = never\n\n",
            "",
        ),
    );
    let run = check_json(dir.path(), [&f]);
    run.expect_code(0);
    assert_eq!(codes(&run.json()), ["list-typo"]);

    dir.write("falconer.toml", "[lints]\nlist-typo = \"off\"\n");
    let run = check_json(dir.path(), [&f]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(summary(&report), (1, 0, 0));
}

#[test]
fn config_lint_error_fails_the_check() {
    let dir = TempDir::new("config-error");
    let f = dir.write("rules.yaml", LINTS);
    let run = check_json(dir.path(), [&f]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(
        diags_with(&report, "unused-macro")[0]["severity"],
        "warning"
    );

    dir.write(
        "falconer.toml",
        "[lints]\nlist-typo = \"off\"\nunused-macro = \"error\"\n",
    );
    let run = check_json(dir.path(), [&f]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(codes(&report), ["unused-macro"]);
    assert_eq!(report["diagnostics"][0]["severity"], "error");
    assert_eq!(summary(&report), (1, 1, 0));
}

#[test]
fn config_cannot_turn_off_falco_errors() {
    // docs/diagnostics/README.md: Falco's errors stay errors.
    let dir = TempDir::new("config-falco-error");
    let f = dir.write("rules.yaml", WITH_ERROR);
    dir.write("falconer.toml", "[lints]\nunknown-field = \"off\"\n");
    let run = check_json(dir.path(), [&f]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(codes(&report), ["unknown-field"]);
    assert_eq!(report["diagnostics"][0]["severity"], "error");
}

#[test]
fn explicit_config_path_is_used_and_relative_to_itself() {
    let dir = TempDir::new("config-path");
    dir.write("r/rules.yaml", LINTS);
    // A config in the current directory that must be ignored.
    dir.write("falconer.toml", "this is not toml [[[\n");
    let cfg = dir.write(
        "conf/falconer.toml",
        "rules_files = [\"../r/rules.yaml\"]\n[lints]\nlist-typo = \"off\"\nunused-macro = \"error\"\n",
    );
    let run = falconer(["check", "--format", "json", "--config"])
        .arg(&cfg)
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    let report = run.json();
    assert_eq!(codes(&report), ["unused-macro"]);
    assert_eq!(summary(&report), (1, 1, 0));
}

#[test]
fn paths_on_the_command_line_replace_rules_files_but_keep_lints() {
    let dir = TempDir::new("config-paths");
    dir.write("listed.yaml", WITH_ERROR);
    let given = dir.write("given.yaml", LINTS);
    dir.write(
        "falconer.toml",
        "rules_files = [\"listed.yaml\"]\n[lints]\nlist-typo = \"error\"\n",
    );
    let run = check_json(dir.path(), [&given]);
    run.expect_code(1);
    let report = run.json();
    let mut got = codes(&report);
    got.sort();
    assert_eq!(got, ["list-typo", "unused-macro"]);
    assert_eq!(summary(&report), (1, 1, 1));
}

#[test]
fn config_plugins_and_default_plugins() {
    let dir = TempDir::new("config-plugins");
    let k8s = dir.write("k8s.yaml", K8S_RULE);
    let cont = dir.write("cont.yaml", CONTAINER_RULE);
    dir.write("falconer.toml", "plugins = [\"k8saudit\"]\n");
    let run = check_json(dir.path(), [&k8s]);
    run.expect_code(0);
    assert_eq!(summary(&run.json()), (1, 0, 0));
    assert_eq!(codes(&run.json()), Vec::<String>::new());

    dir.write("falconer.toml", "default_plugins = false\n");
    let run = check_json(dir.path(), [&cont]);
    run.expect_code(1);
    assert!(codes(&run.json()).contains(&"unknown-field".to_string()));
}

#[test]
fn config_engine_version() {
    let dir = TempDir::new("config-engine");
    let f = dir.write(
        "rules.yaml",
        format!("- required_engine_version: 0.70.0\n\n{CLEAN}"),
    );
    dir.write("falconer.toml", "engine_version = \"0.70.0\"\n");
    check_json(dir.path(), [&f]).expect_code(0);
    // The flag wins over the file.
    let run = falconer(["check", "--format", "json", "--engine-version", "0.63.0"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    assert_eq!(codes(&run.json()), ["engine-version-too-old"]);
}

#[test]
fn invalid_configs_exit_2() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown key",
            "rules_files = []\nbogus_key = 1\n",
            "bogus_key",
        ),
        (
            "unknown lint code",
            "[lints]\nnot-a-code = \"off\"\n",
            "not-a-code",
        ),
        ("bad level", "[lints]\nlist-typo = \"loud\"\n", "loud"),
        (
            "TOML syntax",
            "rules_files = [\"a.yaml\"\n",
            "falconer.toml",
        ),
        ("wrong type", "rules_files = \"a.yaml\"\n", "falconer.toml"),
        ("bad engine version", "engine_version = \"0.63\"\n", "0.63"),
        (
            "level not a string",
            "[lints]\nlist-typo = 3\n",
            "falconer.toml",
        ),
    ];
    for (what, toml, needle) in cases {
        let dir = TempDir::new("bad-config");
        let f = dir.write("rules.yaml", CLEAN);
        dir.write("falconer.toml", toml);
        // Discovered in the current directory...
        let run = check_json(dir.path(), [&f]);
        assert_eq!(
            run.code,
            Some(2),
            "{what}: expected exit 2, got {:?}\nstdout:\n{}\nstderr:\n{}",
            run.code,
            run.stdout,
            run.stderr
        );
        assert!(
            run.stderr.contains(needle),
            "{what}: stderr should mention {needle:?}:\n{}",
            run.stderr
        );
        // ...and given with --config.
        let other = TempDir::new("bad-config-other");
        let run = falconer(["check", "--format", "json", "--config"])
            .arg(dir.path().join("falconer.toml"))
            .arg(&f)
            .cwd(other.path())
            .run();
        assert_eq!(run.code, Some(2), "{what} via --config: {}", run.stderr);
    }
}

#[test]
fn unknown_plugin_in_config_exits_2() {
    let dir = TempDir::new("config-unknown-plugin");
    let f = dir.write("rules.yaml", CLEAN);
    dir.write("falconer.toml", "plugins = [\"no-such-plugin\"]\n");
    let run = check_json(dir.path(), [&f]);
    assert_run_failure(&run, "no-such-plugin");
}

#[test]
fn missing_config_path_exits_2() {
    let dir = TempDir::new("config-missing");
    let f = dir.write("rules.yaml", CLEAN);
    let run = falconer(["check", "--config", "nowhere/falconer.toml"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    assert_run_failure(&run, "nowhere");
}

// -------------------------------------------------------------- plugins --

const CONTAINER_RULE: &str = "- rule: In Container
  desc: a file opened in a container
  condition: evt.type = open and container.id != host
  output: \"open (proc=%proc.name)\"
  priority: INFO
";

const K8S_RULE: &str = "- rule: K8s Delete
  desc: a delete request
  condition: ka.verb = delete
  output: \"deleted (user=%ka.user.name)\"
  priority: INFO
  source: k8s_audit
";

#[test]
fn container_fields_need_the_default_plugins() {
    let dir = TempDir::new("no-default-plugins");
    let f = dir.write("rules.yaml", CONTAINER_RULE);
    check_json(dir.path(), [&f]).expect_code(0);

    let run = falconer(["check", "--format", "json", "--no-default-plugins"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    let report = run.json();
    let unknown = diags_with(&report, "unknown-field");
    assert_eq!(unknown.len(), 1, "{report:#}");
    assert_eq!(unknown[0]["severity"], "error");
    assert!(unknown[0]["message"]
        .as_str()
        .unwrap()
        .contains("container.id"));
    assert_eq!(unknown[0]["line"], 3);
    assert_eq!(unknown[0]["column"], 34);
}

#[test]
fn plugin_flag_makes_its_source_known() {
    let dir = TempDir::new("plugin-source");
    let f = dir.write("rules.yaml", K8S_RULE);

    let run = check_json(dir.path(), [&f]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(codes(&report), ["unknown-source"]);
    assert_eq!(report["diagnostics"][0]["severity"], "warning");

    let run = falconer(["check", "--format", "json", "--plugin", "k8saudit"])
        .arg(&f)
        .cwd(dir.path())
        .run();
    run.expect_code(0);
    let report = run.json();
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(summary(&report), (1, 0, 0));

    // With the plugin, its fields are checked: a typo is an error.
    let typo = dir.write("typo.yaml", K8S_RULE.replace("ka.verb", "ka.verbb"));
    let run = falconer(["check", "--format", "json", "--plugin", "k8saudit"])
        .arg(&typo)
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    assert_eq!(codes(&run.json()), ["unknown-field"]);
}

#[test]
fn plugin_flag_is_repeatable() {
    let dir = TempDir::new("plugin-repeat");
    let f = dir.write("rules.yaml", K8S_RULE);
    let run = falconer([
        "check", "--format", "json", "--plugin", "json", "--plugin", "k8saudit",
    ])
    .arg(&f)
    .cwd(dir.path())
    .run();
    run.expect_code(0);
    assert_eq!(codes(&run.json()), Vec::<String>::new());
}

// ------------------------------------------------- imported field lists --

/// A rule of a third-party plugin's source, unknown to our catalog.
const TICKETS_RULE: &str = "- rule: Ticket reassigned to root
  desc: a ticket given to root
  condition: ticket.owner = root and ticket.labels intersects (urgent, p1)
  output: \"ticket %ticket.id owned by %ticket.owner\"
  priority: NOTICE
  source: tickets
";

fn falco_list() -> String {
    std::fs::read_to_string(repo_root().join("crates/falconer-catalog/tests/data/falco-list.json"))
        .expect("fixture")
}

#[test]
fn a_falco_field_list_adds_third_party_sources_and_fields() {
    let dir = TempDir::new("catalog");
    let rules = dir.write("tickets.yaml", TICKETS_RULE);
    // Without the list, the source is unknown and the rule skipped.
    let run = check_json(dir.path(), [&rules]);
    run.expect_code(0);
    assert_eq!(codes(&run.json()), ["unknown-source"]);
    // With it (flag or config key), the rule is checked, and checks clean.
    let list = dir.write("falco-fields.json", falco_list());
    let run = check_json(
        dir.path(),
        [rules.as_os_str(), "--catalog".as_ref(), list.as_os_str()],
    );
    run.expect_code(0);
    assert_eq!(codes(&run.json()), Vec::<String>::new());
    dir.write(
        "falconer.toml",
        "rules_files = [\"tickets.yaml\"]\ncatalog = \"falco-fields.json\"\n",
    );
    let run = falconer(["check", "--format", "json"])
        .cwd(dir.path())
        .run();
    run.expect_code(0);
    assert_eq!(summary(&run.json()), (1, 0, 0));
    // Imported fields are type-checked and suggested like ours.
    dir.write(
        "tickets.yaml",
        TICKETS_RULE.replace("ticket.owner = root", "ticket.ownr = root"),
    );
    let run = falconer(["check", "--format", "json"])
        .cwd(dir.path())
        .run();
    run.expect_code(1);
    let report = run.json();
    assert_eq!(codes(&report), ["unknown-field"]);
    assert_eq!(
        report["diagnostics"][0]["suggestion"]["replacement"], "ticket.owner",
        "{report:#}"
    );
}

#[test]
fn a_broken_field_list_is_a_run_failure_with_its_position() {
    let dir = TempDir::new("catalog-bad");
    let rules = dir.write("rules.yaml", CLEAN);
    let list = dir.write("list.json", "{\"fieldclasses\": [\n  oops\n]}");
    let run = check_json(
        dir.path(),
        [rules.as_os_str(), "--catalog".as_ref(), list.as_os_str()],
    );
    run.expect_code(2);
    assert!(
        run.stderr.contains("list.json:2:3: not valid JSON"),
        "{}",
        run.stderr
    );
}
