//! Differential property test of the incremental database: random edits to
//! items (rename a macro, change a condition, delete an item, append or
//! override items, move items between files) applied one after another to
//! one long-lived analysis must give exactly what a fresh analysis of the
//! same files gives: diagnostics, collected items and compiled rules.

use falconer_analysis::AnalysisHost;
use proptest::prelude::*;

const BASE: &str = include_str!("../../../rules/falconer_rules.yaml");
const FILES: usize = 3;

/// The bundled rules as items, spread over three files in load order.
fn base() -> Vec<Vec<String>> {
    let ranges = falconer_yaml::split_items(BASE).expect("the bundled rules split into items");
    let items: Vec<String> = ranges.into_iter().map(|r| BASE[r].to_string()).collect();
    let per = items.len().div_ceil(FILES);
    items.chunks(per).map(|c| c.to_vec()).collect()
}

fn text(items: &[String]) -> String {
    let mut t = String::new();
    for i in items {
        t.push_str(i);
        if !t.ends_with('\n') {
            t.push('\n');
        }
    }
    t
}

fn name_of<'a>(item: &'a str, kind: &str) -> Option<&'a str> {
    let rest = item.strip_prefix(&format!("- {kind}: "))?;
    Some(rest.lines().next()?.trim())
}

/// Condition edits: typos, joins, references to other names.
const COND_EDITS: &[(&str, &str)] = &[
    ("proc.name", "proc.nam"),
    ("evt.type", "evt.typx"),
    (" and ", " or "),
    (" or ", " and "),
    ("=", " in "),
    ("(", "(("),
    ("not ", ""),
    ("fd.name", "fd.nameX"),
];

/// One edit, described by random numbers interpreted against the current
/// workspace. Returns the files it changed.
fn apply(ws: &mut [Vec<String>], op: u8, a: usize, b: usize, c: usize) -> Vec<usize> {
    let all: Vec<(usize, usize)> = ws
        .iter()
        .enumerate()
        .flat_map(|(f, items)| (0..items.len()).map(move |i| (f, i)))
        .collect();
    if all.is_empty() {
        ws[0].push("- macro: m0\n  condition: proc.name = x\n".into());
        return vec![0];
    }
    let (f, i) = all[a % all.len()];
    let macros: Vec<String> = ws
        .iter()
        .flatten()
        .filter_map(|it| name_of(it, "macro").map(str::to_string))
        .collect();
    match op % 7 {
        // Rename a macro (to a new name, or to another macro's name).
        0 => {
            let Some((f, i, name)) = all
                .iter()
                .cycle()
                .skip(a % all.len())
                .take(all.len())
                .find_map(|&(f, i)| name_of(&ws[f][i], "macro").map(|n| (f, i, n.to_string())))
            else {
                return vec![];
            };
            let new = if b.is_multiple_of(3) && !macros.is_empty() {
                macros[c % macros.len()].clone()
            } else {
                format!("{name}_r{}", c % 5)
            };
            ws[f][i] = ws[f][i].replacen(&format!("macro: {name}"), &format!("macro: {new}"), 1);
            vec![f]
        }
        // Change a condition.
        1 | 2 => {
            let item = &ws[f][i];
            let Some(at) = item.find("condition:") else {
                return vec![];
            };
            let (from, to) = COND_EDITS[b % COND_EDITS.len()];
            let head = &item[..at];
            let tail = &item[at..];
            let edited = if c.is_multiple_of(4) && !macros.is_empty() {
                // Refer to a macro (maybe defined later, or renamed away).
                let line_end = tail.find('\n').unwrap_or(tail.len());
                format!(
                    "{head}{} and {}{}",
                    &tail[..line_end],
                    macros[c % macros.len()],
                    &tail[line_end..]
                )
            } else {
                format!("{head}{}", tail.replacen(from, to, 1))
            };
            ws[f][i] = edited;
            vec![f]
        }
        // Delete an item.
        3 => {
            ws[f].remove(i);
            vec![f]
        }
        // Append to, override or redefine an item, somewhere.
        4 => {
            let item = ws[f][i].clone();
            let g = b % ws.len();
            let at = c % (ws[g].len() + 1);
            let new = match c % 3 {
                0 => item.clone(),
                1 => format!("{}  append: true\n", item.trim_end_matches('\n').to_string() + "\n"),
                _ => match name_of(&item, "rule") {
                    Some(n) => format!(
                        "- rule: {n}\n  condition: and proc.name = appended\n  override:\n    condition: append\n"
                    ),
                    None => item.clone(),
                },
            };
            ws[g].insert(at, new);
            vec![g]
        }
        // Move an item to another file (or elsewhere in its file).
        5 => {
            let item = ws[f].remove(i);
            let g = b % ws.len();
            let at = c % (ws[g].len() + 1);
            ws[g].insert(at, item);
            if f == g {
                vec![f]
            } else {
                vec![f, g]
            }
        }
        // Whitespace that only moves the following items.
        _ => {
            ws[f][i] = format!("{}\n# moved\n", ws[f][i].trim_end_matches('\n'));
            vec![f]
        }
    }
}

fn files(ws: &[Vec<String>]) -> Vec<(String, String)> {
    ws.iter()
        .enumerate()
        .map(|(i, items)| (format!("f{i}.yaml"), text(items)))
        .collect()
}

fn check_same(host: &AnalysisHost, ws: &[Vec<String>], step: usize) {
    let mut fresh = AnalysisHost::default();
    fresh.set_files(files(ws));
    assert_eq!(
        **host.diagnostics(),
        **fresh.diagnostics(),
        "diagnostics differ after edit {step}"
    );
    assert_eq!(
        **host.collected(),
        **fresh.collected(),
        "collected differ after edit {step}"
    );
    assert_eq!(
        **host.compiled(),
        **fresh.compiled(),
        "compiled differ after edit {step}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_fresh(edits in prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>(), any::<usize>()), 1..24)) {
        let mut ws = base();
        let mut host = AnalysisHost::default();
        host.set_files(files(&ws));
        // Warm every query, as an editor does.
        let _ = host.diagnostics();
        let _ = host.compiled();
        for (step, (op, a, b, c)) in edits.into_iter().enumerate() {
            for f in apply(&mut ws, op, a, b, c) {
                host.set_file_text(f as u32, text(&ws[f]));
            }
            check_same(&host, &ws, step);
        }
    }
}
