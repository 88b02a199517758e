//! Data-driven conformance suite: every `tests/conformance/*.txt` file is a
//! list of cases checked against libsinsp's behaviour (LANGUAGE.md part A).
//!
//! # Case format
//!
//! ```text
//! # a comment
//! > INPUT                      the condition (see escapes below)
//! = SEXPR                      accepted, with this tree (falconer_syntax::sexpr)
//! ! OFFSET MESSAGE             rejected: libsinsp's first error and offset
//! ~ SEXPR                      (optional, after `!`) the recovered tree
//! @depth N                     (before `>`) parse that case with depth limit N
//! ```
//!
//! Escapes in INPUT: `{SP}` space, `{TAB}`, `{NL}`, `{CR}`, `{BS}`
//! (backspace), `{VT}`, `{FF}`, `{NUL}`, `{LB}` / `{RB}` for `{` / `}`, and
//! `{N*TEXT}` for TEXT repeated N times. In MESSAGE, `<ops>` and `<tr>`
//! stand for libsinsp's operator and transformer lists.

use std::fmt::Write;
use std::path::Path;

use falconer_syntax::sexpr::to_sexpr;
use falconer_syntax::{parse_condition_with_depth, FALCO_MAX_DEPTH};

const OPS: &str = "'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', \
'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', \
'intersects', 'in', 'pmatch'";
const TR: &str =
    "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'";

fn unescape_input(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            panic!("unclosed escape in {s:?}");
        };
        let esc = &after[..j];
        match esc {
            "SP" => out.push(' '),
            "TAB" => out.push('\t'),
            "NL" => out.push('\n'),
            "CR" => out.push('\r'),
            "BS" => out.push('\u{8}'),
            "VT" => out.push('\u{b}'),
            "FF" => out.push('\u{c}'),
            "NUL" => out.push('\0'),
            "LB" => out.push('{'),
            "RB" => out.push('}'),
            _ => {
                let (n, text) = esc
                    .split_once('*')
                    .unwrap_or_else(|| panic!("bad escape {{{esc}}} in {s:?}"));
                let n: usize = n.parse().expect("repeat count");
                out.push_str(&text.repeat(n));
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

struct Case {
    file: String,
    line: usize,
    input: String,
    depth: u32,
    expect: Expect,
    recovered: Option<String>,
}

enum Expect {
    Ok(String),
    Err(u32, String),
}

fn load(dir: &Path) -> Vec<Case> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("conformance dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read case file");
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let mut depth = FALCO_MAX_DEPTH;
        let mut pending: Option<(usize, String, u32)> = None;
        for (i, line) in text.lines().enumerate() {
            let lineno = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(d) = line.strip_prefix("@depth ") {
                depth = d.trim().parse().expect("depth");
            } else if let Some(inp) = line.strip_prefix('>') {
                assert!(
                    pending.is_none(),
                    "{name}:{lineno}: input without expectation"
                );
                let inp = inp.strip_prefix(' ').unwrap_or(inp);
                pending = Some((lineno, unescape_input(inp), depth));
                depth = FALCO_MAX_DEPTH;
            } else if let Some(sx) = line.strip_prefix("= ") {
                let (l, input, d) = pending
                    .take()
                    .unwrap_or_else(|| panic!("{name}:{lineno}: `=` without input"));
                cases.push(Case {
                    file: name.clone(),
                    line: l,
                    input,
                    depth: d,
                    expect: Expect::Ok(sx.to_string()),
                    recovered: None,
                });
            } else if let Some(e) = line.strip_prefix("! ") {
                let (l, input, d) = pending
                    .take()
                    .unwrap_or_else(|| panic!("{name}:{lineno}: `!` without input"));
                let (off, m) = e.split_once(' ').expect("offset and message");
                let m = m.replace("<ops>", OPS).replace("<tr>", TR);
                cases.push(Case {
                    file: name.clone(),
                    line: l,
                    input,
                    depth: d,
                    expect: Expect::Err(off.parse().expect("offset"), m),
                    recovered: None,
                });
            } else if let Some(sx) = line.strip_prefix("~ ") {
                let c = cases.last_mut().expect("`~` after a case");
                assert!(
                    matches!(c.expect, Expect::Err(..)),
                    "{name}:{lineno}: `~` after `=`"
                );
                c.recovered = Some(sx.to_string());
            } else {
                panic!("{name}:{lineno}: unrecognised line {line:?}");
            }
        }
        assert!(
            pending.is_none(),
            "{name}: trailing input without expectation"
        );
    }
    cases
}

fn short(s: &str) -> String {
    let d = format!("{s:?}");
    if d.chars().count() > 100 {
        let head: String = d.chars().take(100).collect();
        format!("{head}… ({} bytes)", s.len())
    } else {
        d
    }
}

fn truncate(s: String) -> String {
    if s.chars().count() > 200 {
        let head: String = s.chars().take(200).collect();
        format!("{head}…")
    } else {
        s
    }
}

fn run_case(c: &Case) -> Result<(), String> {
    let p = parse_condition_with_depth(&c.input, c.depth);
    let got_tree = p.expr.as_ref().map(to_sexpr);
    match &c.expect {
        Expect::Ok(sx) => {
            if let Some(e) = p.errors.first() {
                return Err(format!(
                    "expected OK {sx}\n     got error {} {}",
                    e.offset, e.message
                ));
            }
            if got_tree.as_deref() != Some(sx.as_str()) {
                return Err(format!(
                    "expected {sx}\n     got {}",
                    got_tree.unwrap_or_default()
                ));
            }
        }
        Expect::Err(off, m) => {
            let Some(e) = p.errors.first() else {
                return Err(format!(
                    "expected error {off} {m}\n     got OK {}",
                    got_tree.unwrap_or_default()
                ));
            };
            if e.offset != *off || &e.message != m {
                return Err(format!(
                    "expected error {off} {m}\n     got error {} {}",
                    e.offset, e.message
                ));
            }
            if let Some(r) = &c.recovered {
                if got_tree.as_deref() != Some(r.as_str()) {
                    return Err(format!(
                        "expected recovery {r}\n     got {}",
                        got_tree.unwrap_or_default()
                    ));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn conformance() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let cases = load(&dir);
    let mut failures = String::new();
    let mut n_fail = 0;
    for c in &cases {
        // Deep cases need the stack the parser grows itself; run each case
        // on a small thread stack to prove it.
        let r = std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn_scoped(s, || run_case(c))
                .expect("spawn")
                .join()
                .unwrap_or_else(|_| Err("panicked".to_string()))
        });
        if let Err(e) = r.map_err(truncate) {
            n_fail += 1;
            let _ = writeln!(
                failures,
                "{}:{}: {}\n     {e}",
                c.file,
                c.line,
                short(&c.input)
            );
        }
    }
    eprintln!("conformance: {} cases, {} failed", cases.len(), n_fail);
    assert!(
        n_fail == 0,
        "{n_fail} of {} conformance cases failed:\n{failures}",
        cases.len()
    );
    assert!(cases.len() >= 150, "only {} cases", cases.len());
}
