//! Properties of the formatter (`ide::format`) on real, bundled, generated
//! and mutated rules files: the result is valid YAML whenever the input
//! was, Falco reads the same items from it (every rule's and macro's
//! expanded condition and every list's items are the same, and so are
//! the diagnostics apart from their positions), and formatting it again
//! changes nothing.
//!
//! Falco's official rules are read from the falcosecurity/rules mirror at
//! test time when it is present (they are not part of this repository).

use falconer_analysis::expand::{expand_macro, expand_rule};
use falconer_analysis::ide::format::{format_text, FormatOptions};
use falconer_analysis::AnalysisHost;
use proptest::prelude::*;
use std::path::Path;
use std::process::Command;

const BUNDLED: &str = include_str!("../../../rules/falconer_rules.yaml");
const MIRROR: &str = "/work/.mirror/falcosecurity+rules/repo";
const OFFICIAL: [&str; 3] = [
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

/// Everything Falco reads from a set of files, positions aside, as text
/// (so that a difference shows as a readable diff).
fn meaning(files: &[(String, String)]) -> String {
    let mut host = AnalysisHost::default();
    host.set_files(files.to_vec());
    let (col, comp) = (host.collected().clone(), host.compiled().clone());
    let mut out = String::new();
    for (i, l) in col.lists.iter().enumerate() {
        out += &format!("list {}: {:?}\n", l.name, comp.list_items.get(i));
    }
    for m in &col.macros {
        out += &format!(
            "macro {}: {:?}\n",
            m.name,
            expand_macro(&col, &comp, &m.name)
        );
    }
    for r in &col.rules {
        out += &format!(
            "rule {}: {:?} | output {:?} | {:?} {:?} enabled={} tags={:?} exceptions={}\n",
            r.name,
            expand_rule(&col, &comp, &r.name),
            r.output.text,
            r.priority,
            r.source,
            r.enabled,
            r.tags,
            r.exceptions.len(),
        );
    }
    let mut diags: Vec<String> = host
        .diagnostics()
        .iter()
        .map(|d| format!("{} {:?} {}: {}", d.loc.file, d.severity, d.code, d.message))
        .collect();
    diags.sort();
    for d in diags {
        out += &format!("diagnostic {d}\n");
    }
    out
}

fn yaml_errors(text: &str) -> usize {
    falconer_yaml::parse(text).errors.len()
}

fn fmt(text: &str) -> Option<String> {
    format_text(text, &FormatOptions::default()).ok()
}

/// Formats each file and checks every property; returns the formatted
/// files.
fn check_set(files: &[(String, String)]) -> Vec<(String, String)> {
    let mut formatted = Vec::new();
    for (name, text) in files {
        let out = match fmt(text) {
            Some(o) => o,
            None => {
                assert!(
                    yaml_errors(text) > 0,
                    "{name}: not formatted without a YAML error"
                );
                text.clone()
            }
        };
        if yaml_errors(text) == 0 {
            assert_eq!(
                yaml_errors(&out),
                0,
                "{name}: the result is not valid YAML:\n{out}"
            );
        }
        let again = fmt(&out).unwrap_or_else(|| out.clone());
        assert!(
            again == out,
            "{name}: not idempotent:\n{}",
            diff(&out, &again)
        );
        formatted.push((name.clone(), out));
    }
    let (a, b) = (meaning(files), meaning(&formatted));
    assert!(a == b, "the meaning changed:\n{}", diff(&a, &b));
    formatted
}

/// The lines that differ (enough to see a failure).
fn diff(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = String::new();
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i), lb.get(i));
        if x != y {
            out += &format!(
                "line {}:\n- {}\n+ {}\n",
                i + 1,
                x.unwrap_or(&""),
                y.unwrap_or(&"")
            );
            if out.len() > 4000 {
                break;
            }
        }
    }
    out
}

/// The official rules files, from the mirror (`None` with the reason when
/// they cannot be read).
fn official() -> Result<Vec<(String, String)>, String> {
    if !Path::new(MIRROR).exists() {
        return Err(format!("{MIRROR} is not present"));
    }
    let mut out = Vec::new();
    for f in OFFICIAL {
        let o = Command::new("git")
            .args(["--git-dir", MIRROR, "show", &format!("HEAD:rules/{f}")])
            .output()
            .map_err(|e| format!("git: {e}"))?;
        if !o.status.success() {
            return Err(format!("git show rules/{f} failed"));
        }
        out.push((
            f.to_string(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        ));
    }
    Ok(out)
}

#[test]
fn official_rules_keep_their_meaning_and_stay_valid_yaml() {
    let files = match official() {
        Ok(f) => f,
        Err(why) => {
            println!("official rules skipped: {why}");
            return;
        }
    };
    // Each file alone, then the three together in Falco's load order.
    let mut changed = 0;
    for f in &files {
        let out = check_set(std::slice::from_ref(f));
        assert_eq!(yaml_errors(&out[0].1), 0, "{}", f.0);
        if out[0].1 != f.1 {
            changed += 1;
        }
    }
    check_set(&files);
    // The formatter did something on each of them (they are not laid out
    // canonically).
    assert_eq!(changed, files.len());
}

/// Small before/after fixtures (`format_fixtures/*.yaml`), snapshotted;
/// each also keeps its meaning and is idempotent.
#[test]
fn fixtures_before_and_after() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format_fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 6);
    for p in paths {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&p).unwrap();
        let out = check_set(&[(name.clone(), text.clone())]);
        let show = |s: &str| s.replace('\r', "\\r");
        insta::assert_snapshot!(
            format!("fixture_{name}"),
            format!("--- before\n{}--- after\n{}", show(&text), show(&out[0].1))
        );
    }
}

#[test]
fn bundled_rules_keep_their_meaning() {
    let out = check_set(&[("falconer_rules.yaml".into(), BUNDLED.to_string())]);
    assert_eq!(yaml_errors(&out[0].1), 0);
}

#[test]
fn generated_rules_keep_their_meaning() {
    let big = falconer_testgen::generate(4500);
    check_set(&[("generated.yaml".into(), big)]);
}

/// Narrow widths force every kind of line break.
#[test]
fn narrow_widths_keep_the_meaning() {
    let mut files = vec![("falconer_rules.yaml".to_string(), BUNDLED.to_string())];
    if let Ok(o) = official() {
        files.extend(o);
    }
    for width in [0, 20, 40, 60] {
        let opts = FormatOptions {
            width,
            ..FormatOptions::default()
        };
        let mut formatted = Vec::new();
        for (name, text) in &files {
            let out = format_text(text, &opts).unwrap();
            assert_eq!(yaml_errors(&out), 0, "{name} at width {width}");
            assert_eq!(
                format_text(&out, &opts).unwrap(),
                out,
                "{name} at width {width}"
            );
            formatted.push((name.clone(), out));
        }
        for (a, b) in files.iter().zip(&formatted) {
            let (x, y) = (
                meaning(std::slice::from_ref(a)),
                meaning(std::slice::from_ref(b)),
            );
            assert!(x == y, "{} at width {width}:\n{}", a.0, diff(&x, &y));
        }
    }
}

/// Edits that stress the formatter: blanks inside conditions, scalar
/// styles, comments, odd spacing around operators, broken text.
fn fragments() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        " ",
        "  ",
        "\n",
        "\n    ",
        "\n  ",
        "\t",
        "(",
        ")",
        " and ",
        " or ",
        "not ",
        "and",
        "or",
        "=",
        "!=",
        "<=",
        ">",
        ",",
        "\"",
        "'",
        "#",
        " #",
        ": ",
        "[",
        "]",
        "proc.name",
        "in",
        " in (a, b)",
        "condition: >\n    ",
        "condition: |-\n    ",
        "condition: '",
        "condition: \"",
        "- macro: m\n  condition: ",
        "- list: l\n  items: [a, b]\n",
        "- list: \"x y\"\n  items: [q]\n",
        "x y",
        "é",
        "𝄞",
        "\\",
        "val(",
        "tolower(",
        ")[1]",
        "oneof ",
        "exists",
        "- ",
        "{",
        "}",
    ])
    .prop_map(|s| s.to_string())
}

fn mutate(base: &str, edits: &[(usize, usize, String)]) -> String {
    let mut text = base.to_string();
    for (at, del, ins) in edits {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + del % 8).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        text.replace_range(at..end, ins);
    }
    text
}

/// Inserts random blanks (spaces, line breaks with indentation) at random
/// places inside condition lines only, so the file stays mostly valid.
fn respace(base: &str, picks: &[(usize, usize)]) -> String {
    let lines: Vec<&str> = base.split_inclusive('\n').collect();
    let cond_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with("condition:"))
        .collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for &(which, pos) in picks {
        let i = cond_lines[which % cond_lines.len()];
        let line = &out[i];
        let start = line.find("condition:").unwrap() + "condition:".len() + 1;
        if start >= line.len() {
            continue;
        }
        let mut at = start + pos % (line.len() - start);
        while !line.is_char_boundary(at) {
            at -= 1;
        }
        let ins = ["  ", " ", "\n     ", "\t"][pos % 4];
        let mut l = line.clone();
        l.insert_str(at, ins);
        out[i] = l;
    }
    out.concat()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn mutated_rules_keep_their_meaning(
        edits in prop::collection::vec((any::<usize>(), any::<usize>(), fragments()), 1..6)
    ) {
        let text = mutate(BUNDLED, &edits);
        check_set(&[("a.yaml".into(), text)]);
    }

    #[test]
    fn respaced_conditions_keep_their_meaning(
        picks in prop::collection::vec((any::<usize>(), any::<usize>()), 1..12)
    ) {
        let text = respace(BUNDLED, &picks);
        check_set(&[("a.yaml".into(), text)]);
    }
}
