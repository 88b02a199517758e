use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
static STYLES: [AtomicUsize; 6] = [const { AtomicUsize::new(0) }; 6];
fn piece() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "- ", "? ", ": ", "key: ", "k2:", "\n", "\n  ", "\n    ", "\r\n", " ", "\t", "  ", "# c", " # c\n",
        "&a ", "*a", "!!str ", "!t ", "|", "|-", "|+", ">", ">-", "|2", ">1+", "'", "''", "\"", "\\", "\\n", "\\\n",
        "[", "]", "{", "}", ",", "abc", "é", "x y", "---", "...", "\n- ", "\n  - ", "\n  k: ", "proc.name",
        "\"", "\"", "'", "\\x41", "\\u00e9", "\\ ", "\\\t", "\\\"", "\\\r\n", "😀", "\r", "k: \"", "- '", "\u{feff}", "\0", "%",
    ]).prop_map(String::from)
}
fn walk(n: &falconer_yaml::Node) { walk2(n, None) }
fn walk2(n: &falconer_yaml::Node, text: Option<&str>) {
    use falconer_yaml::NodeKind::*;
    if let Some(t) = text {
        assert!(t.is_char_boundary(n.span.start as usize) && t.is_char_boundary(n.span.end as usize) && n.span.start <= n.span.end, "{t:?} {n:?}");
        if let Scalar(s) = &n.kind {
            for p in &s.pieces { if p.copied { assert_eq!(&s.value[p.value_start as usize..(p.value_start+p.len) as usize], &t[p.source_start as usize..(p.source_start+p.len) as usize], "{t:?}"); } }
            if !matches!(s.style, falconer_yaml::ScalarStyle::Plain) || true {
                let first = t[n.span.range()].chars().next();
                match s.style {
                    falconer_yaml::ScalarStyle::SingleQuoted => assert_eq!(first, Some('\''), "{t:?} {n:?}"),
                    falconer_yaml::ScalarStyle::DoubleQuoted => assert_eq!(first, Some('"'), "{t:?} {n:?}"),
                    falconer_yaml::ScalarStyle::Literal => assert_eq!(first, Some('|'), "{t:?} {n:?}"),
                    falconer_yaml::ScalarStyle::Folded => assert_eq!(first, Some('>'), "{t:?} {n:?}"),
                    _ => {}
                }
            }
        }
    }
    match &n.kind {
        Scalar(s) => { STYLES[s.style as usize].fetch_add(1, Relaxed); if s.value.contains('\n') { STYLES[5].fetch_add(1, Relaxed); } }
        Sequence { items, .. } => items.iter().for_each(|i| walk2(i, text)),
        Mapping { entries, .. } => entries.iter().for_each(|e| { walk2(&e.key, text); walk2(&e.value, text) }),
        Null => {}
    }
}
proptest! {
    #![proptest_config(ProptestConfig::with_cases(50000))]
    #[test]
    fn fuzz(parts in prop::collection::vec(piece(), 0..30)) {
        let text: String = parts.concat();
        let f = falconer_yaml::parse(&text);
        for d in &f.documents { if let Some(r) = &d.root { walk2(r, Some(&text)) } }
    }
}
fn line() -> impl Strategy<Value = String> {
    (0usize..7, prop::collection::vec(piece(), 0..4), prop::sample::select(vec!["\n", "\r\n", "\n\n", " \n", "\t\n"]))
        .prop_map(|(ind, ps, end)| format!("{}{}{}", " ".repeat(ind), ps.concat(), end))
}
proptest! {
    #![proptest_config(ProptestConfig::with_cases(100000))]
    #[test]
    fn fuzz_lines(lines in prop::collection::vec(line(), 0..12)) {
        let text: String = lines.concat();
        let f = falconer_yaml::parse(&text);
        for d in &f.documents { if let Some(r) = &d.root { walk2(r, Some(&text)) } }
    }
}
#[test]
fn zz() { std::thread::sleep(std::time::Duration::from_secs(20)); eprintln!("STYLES {:?}", STYLES); }
