//! Hostile and large inputs: deep nesting, alias bombs, broken syntax,
//! big files.

use falconer_yaml::{parse, Node, NodeKind, YamlFile, ALIAS_BOMB, MAX_ALIAS_NODES};

fn count_nodes(file: &YamlFile) -> usize {
    let mut stack: Vec<&Node> = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .collect();
    let mut n = 0;
    while let Some(node) = stack.pop() {
        n += 1;
        match &node.kind {
            NodeKind::Sequence { items, .. } => stack.extend(items),
            NodeKind::Mapping { entries, .. } => {
                for e in entries {
                    stack.push(&e.key);
                    stack.push(&e.value);
                }
            }
            _ => {}
        }
    }
    n
}

#[test]
fn deeply_nested_flow_sequences() {
    let src = "[".repeat(100_000);
    let file = parse(&src);
    assert!(!file.errors.is_empty());
    assert!(file.errors[0].span.start < 1000);
    let src = format!("- rule: r\n  x: {}\n- rule: after\n", "[".repeat(100_000));
    let file = parse(&src);
    assert!(!file.errors.is_empty());
    let last = file.documents.last().unwrap();
    assert!(last.recovered);
}

#[test]
fn deeply_nested_flow_mappings() {
    let file = parse(&"{a: ".repeat(100_000));
    assert!(!file.errors.is_empty());
}

#[test]
fn deeply_nested_block_sequences() {
    let file = parse(&"- ".repeat(100_000));
    assert_eq!(file.errors.len(), 1);
    assert!(file.errors[0].message.contains("nesting too deep"));

    let mut src = String::new();
    for i in 0..1000 {
        src.push_str(&" ".repeat(i * 2));
        src.push_str("-\n");
    }
    let file = parse(&src);
    assert!(file.errors[0].message.contains("nesting too deep"));
}

#[test]
fn deeply_nested_block_mappings() {
    let mut src = String::new();
    for i in 0..1000 {
        src.push_str(&" ".repeat(i));
        src.push_str("k:\n");
    }
    let file = parse(&src);
    assert!(file.errors[0].message.contains("nesting too deep"));
}

#[test]
fn nesting_just_under_the_limit_is_fine() {
    let depth = 200;
    let src = format!("{}x{}", "[".repeat(depth), "]".repeat(depth));
    let file = parse(&src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(count_nodes(&file), depth + 1);
}

#[test]
fn billion_laughs() {
    let mut src = String::from(
        "- a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (i, c) in "bcdefghi".chars().enumerate() {
        let p = (b'a' + i as u8) as char;
        src.push_str(&format!(
            "  {c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        ));
    }
    src.push_str("- rule: after\n");
    let file = parse(&src);
    let bombs: Vec<_> = file
        .errors
        .iter()
        .filter(|e| e.message == ALIAS_BOMB)
        .collect();
    assert_eq!(bombs.len(), 1, "{:?}", file.errors);
    assert_eq!(file.errors.len(), 1);
    // Reported at an alias.
    assert_eq!(&src[bombs[0].span.start as usize..][..1], "*");
    // Bounded: the budget plus the anchored text (with one copy per level).
    assert!(
        count_nodes(&file) <= 3 * MAX_ALIAS_NODES,
        "{}",
        count_nodes(&file)
    );
    // Parsing went on.
    let items = file.documents[0]
        .root
        .as_ref()
        .unwrap()
        .as_sequence()
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].get("rule").unwrap().value.as_str(), Some("after"));
}

#[test]
fn alias_bomb_with_large_strings() {
    // Few nodes, many bytes.
    let big = "x".repeat(1 << 20);
    let mut src = format!("- &a \"{big}\"\n");
    for _ in 0..64 {
        src.push_str("- *a\n");
    }
    let file = parse(&src);
    assert!(file.errors.iter().any(|e| e.message == ALIAS_BOMB));
}

#[test]
fn unclosed_constructs_report_a_position_and_recover() {
    let cases = [
        "- rule: a\n  condition: \"x\n",
        "- rule: a\n  condition: 'x\n",
        "- rule: a\n  tags: [x, y\n",
        "- rule: a\n  tags: {x: y\n",
        "- rule: a\n  desc: |\n  bad: indentation\n   here: x\n",
    ];
    for broken in cases {
        let src = format!("- rule: first\n{broken}- rule: later\n  condition: z\n");
        let file = parse(&src);
        assert!(!file.errors.is_empty(), "{src:?}");
        let e = &file.errors[0];
        assert!(e.span.start as usize <= src.len());
        assert!(!e.message.is_empty());
        let names: Vec<&str> = file
            .documents
            .iter()
            .flat_map(|d| d.root.as_ref().unwrap().as_sequence().unwrap())
            .map(|i| i.get("rule").unwrap().value.as_str().unwrap())
            .collect();
        assert!(names.contains(&"first"), "{src:?}: {names:?}");
        assert!(names.contains(&"later"), "{src:?}: {names:?}");
        assert!(!names.contains(&"a"), "{src:?}: {names:?}");
    }
}

#[test]
fn garbage_does_not_panic() {
    let inputs = [
        "\0",
        "- a\0b",
        "\u{feff}\u{feff}- a",
        "- a\n\u{feff}- b",
        "%YAML 1.2\n%YAML 1.2\n---\n",
        "%TAG !é! tag:é,2000:\n--- !é!x a\n",
        "&a *a",
        "? ? ? ? ? ? a",
        ": : : :",
        "'''''''",
        "\"\\",
        "\"\\x4",
        "|0\n x",
        ">9\n x",
        "- |\n\tx",
        "[a, {b: [c, {d: ]]}",
        "\r\r\r- a\r\r",
        "- \"a\\\r\n  b\"",
        "--- >\n...\n--- |-\n",
        "key: !!binary |\n  R0lGODlhDAAMAIQAAP//9/X\n",
    ];
    for src in inputs {
        let file = parse(src);
        for e in &file.errors {
            assert!(e.span.end as usize <= src.len(), "{src:?}");
        }
    }
}

#[test]
fn big_file() {
    let mut src = String::new();
    let mut i = 0;
    while i < 10_000 || src.len() < 5 << 20 {
        src.push_str(&format!(
            "- rule: rule_{i}\n  desc: >\n    A description of rule {i} that is long enough\n    to span two lines of folded text.\n  condition: >\n    evt.type in (open, openat, openat2) and evt.is_open_write=true\n    and fd.typechar='f' and fd.num>=0 and not proc.name in (a, b, c)\n    and proc.name = \"x{i}\" and fd.name startswith /etc\n  output: \"File below /etc opened for writing (user=%user.name command=%proc.cmdline file=%fd.name parent=%proc.pname gparent=%proc.aname[2])\"\n  priority: ERROR\n  tags: [filesystem, mitre_persistence, T1098]\n  exceptions:\n    - name: ex\n      fields: [proc.name, fd.name]\n      values: [[a, b], [c, d]]\n\n"
        ));
        i += 1;
    }
    assert!(i >= 10_000 && src.len() >= 5 << 20);
    let file = parse(&src);
    assert!(file.errors.is_empty());
    let items = file.documents[0]
        .root
        .as_ref()
        .unwrap()
        .as_sequence()
        .unwrap();
    assert_eq!(items.len(), i);
    let last = items.last().unwrap();
    let cond = last.get("condition").unwrap().value.as_scalar().unwrap();
    let off = cond.value.find("proc.name = \"x").unwrap() as u32;
    let at = cond.source_offset(off) as usize;
    assert!(src[at..].starts_with("proc.name = \"x"));
}

#[test]
fn depth_limit_is_exact() {
    let ok = format!("{}x", "- ".repeat(falconer_yaml::MAX_DEPTH));
    let file = parse(&ok);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(count_nodes(&file), falconer_yaml::MAX_DEPTH + 1);
    let deep = format!("{}x", "- ".repeat(falconer_yaml::MAX_DEPTH + 1));
    let file = parse(&deep);
    assert_eq!(file.errors.len(), 1);
    assert_eq!(
        file.errors[0].span.start as usize,
        2 * falconer_yaml::MAX_DEPTH
    );
    // Aliases cannot go past the limit either.
    let inner = format!("{}x", "[".repeat(200)) + &"]".repeat(200);
    let src = format!("- &a {inner}\n- {}*a{}\n", "[".repeat(100), "]".repeat(100));
    let file = parse(&src);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert!(file.errors[0].message.contains("nesting too deep"));
}
