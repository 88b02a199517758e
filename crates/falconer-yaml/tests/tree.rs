//! Tree shape: nulls, tags, order and duplicates, aliases, documents,
//! accessors, errors and recovery.

use falconer_yaml::debug::render;
use falconer_yaml::{parse, Node, NodeKind, YamlFile};

fn items(file: &YamlFile, doc: usize) -> &[Node] {
    file.documents[doc]
        .root
        .as_ref()
        .unwrap()
        .as_sequence()
        .unwrap()
}

fn text<'a>(src: &'a str, node: &Node) -> &'a str {
    &src[node.span.range()]
}

#[test]
fn nulls_and_absent_values() {
    let src = "- a:\n  b: ~\n  c: null\n  d: Null\n  e: NULL\n  f: \"null\"\n  g: !!str null\n  h: nil\n  i: !!null null\n  j:   # comment\n-\n- \n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let item = &items(&file, 0)[0];
    for k in ["a", "b", "c", "d", "e", "i", "j"] {
        assert!(item.get(k).unwrap().value.is_null(), "{k}");
    }
    for k in ["f", "g", "h"] {
        assert_eq!(item.get(k).unwrap().value.kind_name(), "scalar", "{k}");
    }
    assert_eq!(item.get("g").unwrap().value.as_str(), Some("null"));
    // Absent: zero-width, right after the colon.
    let a = &item.get("a").unwrap().value;
    assert!(a.span.is_empty());
    assert_eq!(a.span.start as usize, src.find("a:").unwrap() + 2);
    let j = &item.get("j").unwrap().value;
    assert_eq!(j.span.start as usize, src.find("j:").unwrap() + 2);
    assert_eq!(text(src, &item.get("b").unwrap().value), "~");
    assert_eq!(text(src, &item.get("c").unwrap().value), "null");
    // Empty sequence entries.
    let all = items(&file, 0);
    assert_eq!(all.len(), 3);
    assert!(all[1].is_null() && all[1].span.is_empty());
    assert!(all[2].is_null() && all[2].span.is_empty());
}

#[test]
fn order_duplicates_and_get() {
    let src = "- rule: a\n  enabled: false\n  rule: b\n  1: one\n  \"q\": quoted\n";
    let file = parse(src);
    let item = &items(&file, 0)[0];
    let keys: Vec<&str> = item
        .as_mapping()
        .unwrap()
        .iter()
        .map(|e| e.key.as_str().unwrap())
        .collect();
    assert_eq!(keys, ["rule", "enabled", "rule", "1", "q"]);
    assert_eq!(item.get("rule").unwrap().value.as_str(), Some("a"));
    assert_eq!(item.get("enabled").unwrap().value.as_str(), Some("false"));
    assert_eq!(item.get("1").unwrap().value.as_str(), Some("one"));
    assert_eq!(item.get("q").unwrap().value.as_str(), Some("quoted"));
    assert!(item.get("missing").is_none());
    assert_eq!(item.kind_name(), "mapping");
    assert!(item.as_sequence().is_none() && item.as_scalar().is_none());
    let root = file.documents[0].root.as_ref().unwrap();
    assert_eq!(root.kind_name(), "sequence");
    assert!(root.get("rule").is_none());
}

#[test]
fn tags_are_kept() {
    let src = "- a: !!str 1\n  b: !custom x\n  c: !<tag:example.com,2024:x> y\n  d: !!map {k: v}\n  e: ! z\n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let item = &items(&file, 0)[0];
    let tag = |k: &str| item.get(k).unwrap().value.tag.clone();
    assert_eq!(tag("a").as_deref(), Some("!!str"));
    assert_eq!(tag("b").as_deref(), Some("!custom"));
    assert_eq!(tag("c").as_deref(), Some("!<tag:example.com,2024:x>"));
    assert_eq!(tag("d").as_deref(), Some("!!map"));
    assert_eq!(tag("e").as_deref(), Some("!"));
    assert_eq!(text(src, &item.get("a").unwrap().value), "1");
    assert_eq!(text(src, &item.get("d").unwrap().value), "{k: v}");
}

#[test]
fn aliases_are_resolved() {
    let src = "- &base\n  rule: r\n  tags: &t [a, b]\n- tags: *t\n  all: *base\n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let second = &items(&file, 0)[1];
    let tags = &second.get("tags").unwrap().value;
    assert_eq!(text(src, tags), "*t");
    let list: Vec<&str> = tags
        .as_sequence()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(list, ["a", "b"]);
    // Inner nodes keep the spans of the anchored text.
    assert_eq!(text(src, &tags.as_sequence().unwrap()[0]), "a");
    let all = &second.get("all").unwrap().value;
    assert_eq!(text(src, all), "*base");
    assert_eq!(all.get("rule").unwrap().value.as_str(), Some("r"));
}

#[test]
fn alias_errors() {
    let file = parse("- a\n- b: *nope\n- c\n");
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.errors[0].span.start, 9);
    let file = parse("- &x [a, *x]\n- b\n");
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert!(file.errors[0].message.contains("recursive"));
    let inner = items(&file, 0)[0].as_sequence().unwrap();
    assert!(inner[1].is_null());
    assert_eq!(items(&file, 0)[1].as_str(), Some("b"));
}

#[test]
fn documents() {
    let src = "%YAML 1.2\n---\n- a\n...\n---\n- b\n---\n# only a comment\n--- |\n  text\n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(file.documents.len(), 4);
    assert_eq!(text(src, &items(&file, 0)[0]), "a");
    assert_eq!(&src[file.documents[0].span.range()], "---\n- a\n...");
    assert_eq!(items(&file, 1)[0].as_str(), Some("b"));
    assert!(file.documents[2].root.is_none());
    let lit = file.documents[3].root.as_ref().unwrap();
    assert_eq!(lit.as_str(), Some("text\n"));
    assert_eq!(text(src, lit), "|\n  text");
    assert!(file.documents.iter().all(|d| !d.recovered));
}

#[test]
fn empty_inputs() {
    for src in [
        "",
        "\n\n",
        "# just a comment\n# another\n",
        "   \n\t\n",
        "\u{feff}",
        "\u{feff}# c\r\n",
    ] {
        let file = parse(src);
        assert!(file.documents.is_empty(), "{src:?}");
        assert!(file.errors.is_empty(), "{src:?}");
    }
}

#[test]
fn bom_and_crlf() {
    let src = "\u{feff}- rule: r\r\n  condition: >\r\n    proc.name = x\r\n    and y\r\n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let item = &items(&file, 0)[0];
    assert_eq!(text(src, &item.get("rule").unwrap().value), "r");
    let c = &item.get("condition").unwrap().value;
    assert_eq!(c.as_str(), Some("proc.name = x and y\n"));
    assert_eq!(text(src, c), ">\r\n    proc.name = x\r\n    and y");
}

#[test]
fn tabs() {
    // Tabs as separation are fine, as block indentation they are not.
    let src = "- rule:\tr\n  condition: a\t=\tb  \t# c\n  list: [a,\tb]\n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let item = &items(&file, 0)[0];
    assert_eq!(
        item.get("condition").unwrap().value.as_str(),
        Some("a\t=\tb")
    );
    let src = "- rule: a\n\tcondition: x\n- rule: b\n";
    let file = parse(src);
    assert_eq!(file.errors.len(), 1);
    let rec = file.documents.last().unwrap();
    assert!(rec.recovered);
    assert_eq!(
        items(&file, file.documents.len() - 1)[0]
            .get("rule")
            .unwrap()
            .value
            .as_str(),
        Some("b")
    );
}

#[test]
fn recovery_after_unclosed_quotes() {
    let src = "- rule: a\n  condition: x\n- rule: b\n  condition: \"proc.name = x\n- rule: c\n  condition: y\n- rule: d\n  condition: 'unclosed\n- rule: e\n";
    let file = parse(src);
    // The first error is where saphyr stopped (the opening quote of b's
    // condition); d's error is reported too.
    assert_eq!(file.errors.len(), 2, "{:?}", file.errors);
    assert_eq!(file.errors[0].span.start as usize, src.find('"').unwrap());
    assert!(file.errors[1].span.start as usize > src.find("rule: d").unwrap());
    assert_eq!(file.documents.len(), 2);
    assert!(!file.documents[0].recovered);
    let names = |d: usize| -> Vec<&str> {
        items(&file, d)
            .iter()
            .map(|i| i.get("rule").unwrap().value.as_str().unwrap())
            .collect()
    };
    assert_eq!(names(0), ["a"]);
    assert!(file.documents[1].recovered);
    assert_eq!(names(1), ["c", "e"]);
    // Recovered spans are file offsets.
    let c = &items(&file, 1)[0];
    assert_eq!(text(src, c), "rule: c\n  condition: y");
}

#[test]
fn recovery_after_unclosed_bracket() {
    let src = "- list: a\n  items: [a, b\n- list: c\n  items: [d]\n- list: e\n  items: [f]\n";
    let file = parse(src);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    let rec = file.documents.iter().find(|d| d.recovered).unwrap();
    let names: Vec<&str> = rec
        .root
        .as_ref()
        .unwrap()
        .as_sequence()
        .unwrap()
        .iter()
        .map(|i| i.get("list").unwrap().value.as_str().unwrap())
        .collect();
    // `a` never closes its `[`: it is the item dropped.
    assert_eq!(names, ["c", "e"]);
}

#[test]
fn error_position_at_end_of_input() {
    let src = "- list: l\n  items: [a, b";
    let file = parse(src);
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.errors[0].span.start as usize, src.len());
    assert!(file.documents.is_empty());
}

#[test]
fn snapshot_rules_file() {
    let src = "\
# A rules file with every scalar style.
- required_engine_version: 0.31.0

- list: shells
  items: [bash, \"zsh\", 'sh']

- macro: spawned
  condition: evt.type = execve and
    evt.dir = <

- rule: Shell in container
  desc: >-
    A shell was spawned
    in a container.
  condition: |
    spawned and proc.name in (shells)
  output: \"Shell (user=%user.name\\tcmd=%proc.cmdline)\"
  priority: WARNING
  enabled:
  tags: &t [container, shell]
- rule: Other
  tags: *t
";
    insta::assert_snapshot!(render(&parse(src)));
}

#[test]
fn snapshot_recovery() {
    let src = "- rule: ok\n- rule: \"broken\n- rule: later\n  condition: [x\n- rule: last\n";
    insta::assert_snapshot!(render(&parse(src)));
}

#[test]
fn node_kinds() {
    let file = parse("- {a: 1}\n- [x]\n- s\n- ~\n");
    let kinds: Vec<&str> = items(&file, 0).iter().map(|n| n.kind_name()).collect();
    assert_eq!(kinds, ["mapping", "sequence", "scalar", "null"]);
    assert!(matches!(
        items(&file, 0)[0].kind,
        NodeKind::Mapping { flow: true, .. }
    ));
}

#[test]
fn flow_collections_closed_at_the_key_column() {
    // yaml-cpp accepts this (used by Falco's own sandbox rules); saphyr
    // alone does not.
    let src = "- list: miner_domains\n  items: [\n    \"a.example.com\", # first\n    'b.example.com'\n    # the end\n  ]\n\n- list: ports\n  items: [\n  1, 2,\n  3]\n- macro: m\n  condition: {\n  a: b\n  }\n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let all = items(&file, 0);
    assert_eq!(all.len(), 3);
    let list = all[0].get("items").unwrap().value.as_sequence().unwrap();
    assert_eq!(text(src, &list[0]), "\"a.example.com\"");
    assert_eq!(list[1].as_str(), Some("b.example.com"));
    let v = &all[0].get("items").unwrap().value;
    assert!(text(src, v).starts_with('[') && text(src, v).ends_with(']'));
    let ports: Vec<&str> = all[1]
        .get("items")
        .unwrap()
        .value
        .as_sequence()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(ports, ["1", "2", "3"]);
    assert_eq!(
        all[2]
            .get("condition")
            .unwrap()
            .value
            .get("a")
            .unwrap()
            .value
            .as_str(),
        Some("b")
    );
}

#[test]
fn block_indentation_errors_are_not_relaxed() {
    let src = "- rule: r\n  condition: \"a\nb\"\n";
    let file = parse(src);
    assert_eq!(file.errors.len(), 1);
    let src = "key: [a,\nb]\n";
    let file = parse(src);
    assert!(file.errors.is_empty() || file.errors[0].message.contains("indentation"));
}

#[test]
fn recovered_items_get_the_same_leniency() {
    let src = "- rule: a\n  condition: \"x\n- list: l\n  items: [\n    a\n  ]\n";
    let file = parse(src);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    let rec = file.documents.last().unwrap();
    assert!(rec.recovered);
    let item = &rec.root.as_ref().unwrap().as_sequence().unwrap()[0];
    assert_eq!(
        item.get("items")
            .unwrap()
            .value
            .as_sequence()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn regressions_found_by_fuzzing() {
    // An indentless sequence whose first entry is only a comment: the
    // sequence starts at its `-` and a later block scalar gets the right
    // indentation.
    let src = "k: \n  - # c\n  - |\n    # c\n";
    let file = parse(src);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let seq = &file.documents[0]
        .root
        .as_ref()
        .unwrap()
        .get("k")
        .unwrap()
        .value;
    assert_eq!(&src[seq.span.range()], "- # c\n  - |\n    # c");
    let lit = &seq.as_sequence().unwrap()[1];
    assert_eq!(lit.as_str(), Some("# c\n"));
    assert_eq!(&src[lit.span.range()], "|\n    # c");
    // Joining lines in a flow collection must not merge a plain scalar
    // ended by a comment with the next line.
    let src = "- {\n| # c\n\n&a }\n";
    let file = parse(src);
    for d in &file.documents {
        if let Some(root) = &d.root {
            assert!(!falconer_yaml::debug::render_string(root).contains("&a"));
        }
    }
}

#[test]
fn saphyr_path_regressions() {
    use falconer_yaml::parse_saphyr;
    // An indentless sequence whose first entry is a flow sequence is a
    // block sequence starting at its first `-` (saphyr points after it).
    let src = "- s:\n  - [a]\n  - [b]\n";
    let file = parse_saphyr(src);
    let v = &items(&file, 0)[0].get("s").unwrap().value;
    assert!(matches!(v.kind, NodeKind::Sequence { flow: false, .. }));
    assert_eq!(text(src, v), "- [a]\n  - [b]");
    assert_eq!(v.as_sequence().unwrap().len(), 2);
    let src = "- s:\n  - -x\n  - y\n";
    let file = parse_saphyr(src);
    let v = &items(&file, 0)[0].get("s").unwrap().value;
    assert_eq!(text(src, v), "- -x\n  - y");
    // A flow mapping with a trailing comma ends at its `}` (saphyr ends it
    // at the comma).
    let src = "- s: [e, {x: 1, y: [], }]\n";
    let file = parse_saphyr(src);
    let v = &items(&file, 0)[0].get("s").unwrap().value;
    assert_eq!(text(src, &v.as_sequence().unwrap()[1]), "{x: 1, y: [], }");
    assert_eq!(parse(src), file);
}
