//! Data-driven conformance suite for the analysis: every
//! `tests/conformance/*.txt` file is a list of cases checked against the
//! behaviour of Falco's rules loader as described in
//! `/work/shared/spec/LANGUAGE.md` (parts B, C, D and E).
//!
//! # Case format
//!
//! ```text
//! ### name of the case  (C.10)
//! # options: no-default-plugins plugins=k8saudit,json engine=0.40.0
//! # known-bug: short reason (the case is expected to fail, see below)
//! # any other line starting with `#` before the first block is a comment
//! --- file: a.yaml
//! <yaml, verbatim, up to the next block header or `###`>
//! --- file: b.yaml
//! <yaml>
//! --- expect
//! LOAD_ERR_VALIDATE undefined-macro "Undefined macro 'x' used in filter." @ a.yaml:3
//! LOAD_UNUSED_LIST @ a.yaml
//! --- expand rule "rule name"
//! (evt.type = open) and not proc.name in (a, b)
//! --- evttypes "rule name"
//! names: open openat
//! --- rule "rule name"
//! priority: Informational
//! --- list "list name"
//! a, b, c
//! ```
//!
//! * `### NAME (SECTION)` starts a case; the parenthesised text at the end
//!   is the spec section (`LANGUAGE.md C.10` or just `C.10`).
//! * `--- file: NAME` blocks are the rules files, loaded in the order given
//!   (one `AnalysisHost`, one `set_files`). Their content is verbatim; a
//!   bare `---` line is a YAML document separator, not a block header.
//!   Line numbers in expectations are 1-based lines of that content.
//! * Options: `no-default-plugins` (do not load the container plugin),
//!   `plugins=a,b` (extra plugins), `engine=x.y.z` (engine version).
//!
//! ## `--- expect` (required; `--- expect none` = no diagnostics)
//!
//! One expectation per line (blank and `#` lines ignored):
//!
//! ```text
//! CODE [CODE] [MESSAGE] [@ LOCATION]
//! ```
//!
//! * `CODE` is a Falco code (`LOAD_...`, compared with `falco_code()`) or
//!   one of our codes (`undefined-macro`, compared with `code`); both may
//!   be given.
//! * `MESSAGE` is `"exact text"`, `^"prefix"` or `~"substring"` (`\"` and
//!   `\\` escape inside).
//! * `LOCATION` is `file.yaml:LINE`, `file.yaml` or `LINE` (in the first
//!   file): where the diagnostic's span starts.
//!
//! The block is **exhaustive over Falco codes**: every diagnostic that has
//! a Falco code must match exactly one expectation, and every expectation
//! must match exactly one diagnostic. Our own lints (no Falco code) are
//! ignored unless a line names their code, in which case diagnostics of
//! that code are checked exhaustively too.
//!
//! falconer deliberately keeps going after the first error where Falco
//! stops (D.3); cases are written so that the first error is the last
//! thing that could produce a Falco diagnostic.
//!
//! ## Other blocks (optional, any number)
//!
//! * `--- expand rule "NAME"` / `--- expand macro "NAME"`: the fully
//!   expanded condition (lists, exceptions and macros) equals the text of
//!   the block (joined with spaces). Compared as parsed trees (via
//!   `falconer_syntax::sexpr`), ignoring only the quote style of values, so
//!   precedence and grouping matter, spacing does not.
//!   A block `! TEXT` expects expansion to fail with an error whose text
//!   contains TEXT.
//! * `--- evttypes "NAME"`: the rule's event-type set; lines `names: a b`
//!   (exact set of distinct event names), `count: N` (number of codes),
//!   `all` (the universe), `empty`, `includes: a b`, `excludes: a b`,
//!   `not-computed` (no set: rule not compiled, skipped, or not syscall).
//! * `--- rule "NAME"`: properties of the collected rule, one `key: value`
//!   per line: `priority` (`Informational`…), `enabled`, `source`,
//!   `warn_evttypes`, `skip-if-unknown-filter`, `capture`,
//!   `capture_duration`, `tags` (space separated, sorted), `exceptions`
//!   (names, space separated), `condition`, `output`, `desc` (exact text),
//!   `absent` (no such rule).
//! * `--- list "NAME"`: the expanded items of a list, comma-separated
//!   (`(empty)` for none).
//!
//! ## Known bugs
//!
//! A case carrying `# known-bug: REASON` documents a place where falconer
//! disagrees with the spec. It is expected to fail: the runner reports it
//! as a known bug, and fails if it unexpectedly passes (so the marker gets
//! removed when the bug is fixed). Expectations are never weakened to make
//! a case pass.
//!
//! Besides the cases, the test checks that no diagnostic code maps to the
//! load codes the engine never produces (`LOAD_ERR_FILE_READ`,
//! `LOAD_ERR_EXTENSION`, `LOAD_WARNING_EXTENSION`, D.1/D.2).
//!
//! The report (cases per file, known bugs, failures) is printed on stdout:
//! run with `-- --nocapture` to see it when the suite passes.
//! Environment: `CONFORMANCE_FILTER=text` runs only cases whose name or
//! file contains `text`; `CONFORMANCE_DUMP=1` prints every case's actual
//! diagnostics.

use falconer_analysis::expand::{macro_expr, rule_expr};
use falconer_analysis::{AnalysisHost, Config, Diagnostic};
use falconer_syntax::ast::Expr;
use falconer_syntax::sexpr::to_sexpr;
use falconer_syntax::{parse_condition, print_condition};
use falconer_text::{Encoding, LineIndex};
use std::fmt::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

// ---------------------------------------------------------------------------
// Case model and parser

#[derive(Debug, Default)]
struct Case {
    /// `file.txt:line` of the `###` header.
    origin: String,
    name: String,
    section: String,
    options: Vec<String>,
    known_bug: Option<String>,
    files: Vec<(String, String)>,
    expect: Option<Vec<Expectation>>,
    checks: Vec<Check>,
}

#[derive(Debug)]
enum MsgMatch {
    Exact(String),
    Prefix(String),
    Contains(String),
}

#[derive(Debug)]
struct Expectation {
    src: String,
    falco: Option<String>,
    ours: Option<String>,
    msg: Option<MsgMatch>,
    file: Option<String>,
    line: Option<u32>,
}

#[derive(Debug)]
enum Check {
    Expand {
        macro_: bool,
        name: String,
        text: String,
    },
    EvtTypes {
        name: String,
        lines: Vec<String>,
    },
    Rule {
        name: String,
        lines: Vec<String>,
    },
    List {
        name: String,
        text: String,
    },
}

fn is_header(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("--- ") else {
        return false;
    };
    ["file:", "expect", "expand ", "evttypes ", "rule ", "list "]
        .iter()
        .any(|k| rest.starts_with(k))
}

/// Splits `"quoted name"` (with `\"` escapes) from the front of `s`.
fn take_quoted(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let rest = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, n) = chars.next()?;
                out.push(n);
            }
            '"' => return Some((out, &rest[i + 1..])),
            _ => out.push(c),
        }
    }
    None
}

fn parse_expectation(line: &str) -> Result<Expectation, String> {
    let mut e = Expectation {
        src: line.to_string(),
        falco: None,
        ours: None,
        msg: None,
        file: None,
        line: None,
    };
    let mut rest = line.trim();
    // Codes.
    loop {
        let tok_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let tok = &rest[..tok_end];
        if tok.is_empty()
            || tok.starts_with('"')
            || tok.starts_with("^\"")
            || tok.starts_with("~\"")
            || tok == "@"
        {
            break;
        }
        if tok.starts_with("LOAD_") {
            e.falco = Some(tok.to_string());
        } else if tok
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
        {
            e.ours = Some(tok.to_string());
        } else {
            return Err(format!("bad code {tok:?}"));
        }
        rest = rest[tok_end..].trim_start();
    }
    if e.falco.is_none() && e.ours.is_none() {
        return Err("no code".into());
    }
    // Message.
    let (kind, r) = if let Some(r) = rest.strip_prefix("^\"") {
        (1, r)
    } else if let Some(r) = rest.strip_prefix("~\"") {
        (2, r)
    } else if let Some(r) = rest.strip_prefix('"') {
        (0, r)
    } else {
        (3, rest)
    };
    if kind != 3 {
        let (m, after) = take_quoted(&format!("\"{r}"))
            .map(|(m, a)| (m, a.to_string()))
            .ok_or("unterminated message")?;
        e.msg = Some(match kind {
            0 => MsgMatch::Exact(m),
            1 => MsgMatch::Prefix(m),
            _ => MsgMatch::Contains(m),
        });
        return parse_location(e, after.trim());
    }
    parse_location(e, rest)
}

fn parse_location(mut e: Expectation, rest: &str) -> Result<Expectation, String> {
    if rest.is_empty() {
        return Ok(e);
    }
    let loc = rest
        .strip_prefix('@')
        .ok_or_else(|| format!("unexpected text {rest:?}"))?
        .trim();
    match loc.rsplit_once(':') {
        Some((f, l)) => {
            e.file = Some(f.to_string());
            e.line = Some(l.parse().map_err(|_| format!("bad line {l:?}"))?);
        }
        None => match loc.parse() {
            Ok(l) => e.line = Some(l),
            Err(_) => e.file = Some(loc.to_string()),
        },
    }
    Ok(e)
}

fn parse_cases(file: &str, text: &str) -> Result<Vec<Case>, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut cases = Vec::new();
    let mut i = 0;
    while i < lines.len() && !lines[i].starts_with("###") {
        i += 1;
    }
    while i < lines.len() {
        let header = lines[i].trim_end();
        let title = header.trim_start_matches('#').trim();
        let mut case = Case {
            origin: format!("{file}:{}", i + 1),
            ..Default::default()
        };
        match (title.rfind('('), title.ends_with(')')) {
            (Some(p), true) => {
                case.name = title[..p].trim().to_string();
                case.section = title[p + 1..title.len() - 1]
                    .trim()
                    .trim_start_matches("LANGUAGE.md")
                    .trim()
                    .to_string();
            }
            _ => return Err(format!("{}: case without (section)", case.origin)),
        }
        i += 1;
        // Preamble.
        while i < lines.len() && !lines[i].starts_with("---") && !lines[i].starts_with("###") {
            let l = lines[i].trim();
            if let Some(o) = l.strip_prefix("# options:") {
                case.options.extend(o.split_whitespace().map(String::from));
            } else if let Some(r) = l.strip_prefix("# known-bug:") {
                case.known_bug = Some(r.trim().to_string());
            } else if !l.is_empty() && !l.starts_with('#') {
                return Err(format!("{file}:{}: unexpected line {l:?}", i + 1));
            }
            i += 1;
        }
        // Blocks.
        while i < lines.len() && !lines[i].starts_with("###") {
            let h = lines[i].trim_end();
            if !is_header(h) {
                return Err(format!("{file}:{}: expected a block header", i + 1));
            }
            let at = i + 1;
            i += 1;
            let start = i;
            while i < lines.len() && !lines[i].starts_with("###") && !is_header(lines[i].trim_end())
            {
                i += 1;
            }
            let body: Vec<&str> = lines[start..i].to_vec();
            let body_lines = || -> Vec<String> {
                body.iter()
                    .map(|l| l.trim())
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from)
                    .collect()
            };
            let rest = &h[4..];
            if let Some(name) = rest.strip_prefix("file:") {
                case.files.push((name.trim().to_string(), body.concat()));
            } else if rest == "expect none" {
                if !body_lines().is_empty() {
                    return Err(format!("{file}:{at}: `expect none` with a body"));
                }
                case.expect = Some(Vec::new());
            } else if rest == "expect" {
                let mut v = Vec::new();
                for l in body_lines() {
                    v.push(parse_expectation(&l).map_err(|e| format!("{file}:{at}: {e}: {l}"))?);
                }
                case.expect = Some(v);
            } else {
                let (kind, arg) = rest.split_once(' ').unwrap();
                let (kind, arg) = if kind == "expand" {
                    let (k2, a2) = arg
                        .split_once(' ')
                        .ok_or(format!("{file}:{at}: bad expand"))?;
                    (
                        if k2 == "macro" {
                            "expand-macro"
                        } else {
                            "expand"
                        },
                        a2,
                    )
                } else {
                    (kind, arg)
                };
                let (name, tail) =
                    take_quoted(arg).ok_or_else(|| format!("{file}:{at}: name must be quoted"))?;
                if !tail.trim().is_empty() {
                    return Err(format!("{file}:{at}: text after name"));
                }
                let lines = body_lines();
                case.checks.push(match kind {
                    "expand" | "expand-macro" => Check::Expand {
                        macro_: kind == "expand-macro",
                        name,
                        text: lines.join(" "),
                    },
                    "evttypes" => Check::EvtTypes { name, lines },
                    "rule" => Check::Rule { name, lines },
                    "list" => Check::List {
                        name,
                        text: lines.join(" "),
                    },
                    _ => return Err(format!("{file}:{at}: unknown block {kind}")),
                });
            }
        }
        if case.files.is_empty() {
            return Err(format!("{}: case without files", case.origin));
        }
        if case.expect.is_none() {
            return Err(format!("{}: case without `--- expect`", case.origin));
        }
        cases.push(case);
    }
    Ok(cases)
}

// ---------------------------------------------------------------------------
// Running a case

fn config_for(case: &Case) -> Result<Config, String> {
    let mut cfg = Config::default();
    for o in &case.options {
        if o == "no-default-plugins" {
            cfg.default_plugins = false;
        } else if let Some(p) = o.strip_prefix("plugins=") {
            cfg.plugins = p.split(',').map(String::from).collect();
        } else if let Some(v) = o.strip_prefix("engine=") {
            let p: Vec<u32> = v
                .split('.')
                .map(|x| x.parse().map_err(|_| format!("bad engine {v}")))
                .collect::<Result<_, _>>()?;
            if p.len() != 3 {
                return Err(format!("bad engine {v}"));
            }
            cfg.engine_version = (p[0], p[1], p[2]);
        } else {
            return Err(format!("unknown option {o}"));
        }
    }
    Ok(cfg)
}

/// A diagnostic with its resolved position.
struct Actual<'a> {
    d: &'a Diagnostic,
    file: String,
    line: u32,
}

impl Actual<'_> {
    fn render(&self) -> String {
        format!(
            "{} {} {:?} @ {}:{}",
            self.d.falco_code().unwrap_or("-"),
            self.d.code,
            self.d.message,
            self.file,
            self.line
        )
    }
}

fn matches(e: &Expectation, a: &Actual<'_>, first_file: &str) -> bool {
    if let Some(f) = &e.falco {
        if a.d.falco_code() != Some(f.as_str()) {
            return false;
        }
    }
    if let Some(o) = &e.ours {
        if a.d.code != o {
            return false;
        }
    }
    match &e.msg {
        Some(MsgMatch::Exact(m)) if &a.d.message != m => return false,
        Some(MsgMatch::Prefix(m)) if !a.d.message.starts_with(m.as_str()) => return false,
        Some(MsgMatch::Contains(m)) if !a.d.message.contains(m.as_str()) => return false,
        _ => {}
    }
    if let Some(f) = &e.file {
        if &a.file != f {
            return false;
        }
    }
    if let Some(l) = e.line {
        if e.file.is_none() && a.file != first_file {
            return false;
        }
        if a.line != l {
            return false;
        }
    }
    true
}

/// Maximum bipartite matching (expectations → actuals); returns, per
/// expectation, the matched actual.
fn match_all(adj: &[Vec<usize>], n_actual: usize) -> Vec<Option<usize>> {
    fn augment(
        e: usize,
        adj: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &a in &adj[e] {
            if seen[a] {
                continue;
            }
            seen[a] = true;
            if owner[a].is_none_or(|o| augment(o, adj, seen, owner)) {
                owner[a] = Some(e);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; n_actual];
    for e in 0..adj.len() {
        let mut seen = vec![false; n_actual];
        augment(e, adj, &mut seen, &mut owner);
    }
    let mut out = vec![None; adj.len()];
    for (a, o) in owner.iter().enumerate() {
        if let Some(e) = o {
            out[*e] = Some(a);
        }
    }
    out
}

/// Normalises a condition tree for comparison: quote style is ignored.
fn canon(expr: &Expr) -> String {
    let sx = to_sexpr(expr);
    let re = regex::Regex::new(r#"(^|[ (])s?q""#).unwrap();
    re.replace_all(&sx, "$1\"").into_owned()
}

fn run_case(case: &Case, dump: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let cfg = match config_for(case) {
        Ok(c) => c,
        Err(e) => return vec![format!("bad case: {e}")],
    };
    let mut host = AnalysisHost::new(cfg);
    host.set_files(case.files.clone());
    let diags = host.diagnostics().clone();
    let idx: Vec<LineIndex> = case.files.iter().map(|(_, t)| LineIndex::new(t)).collect();
    let actuals: Vec<Actual<'_>> = diags
        .iter()
        .map(|d| {
            let fi = d.loc.file as usize;
            let (file, line) = match case.files.get(fi) {
                Some((p, t)) => (
                    p.clone(),
                    idx[fi].line_col(t, d.loc.span.start, Encoding::Utf8).line + 1,
                ),
                None => (format!("<file {fi}>"), 0),
            };
            Actual { d, file, line }
        })
        .collect();
    if dump {
        println!("== {} ({}) [{}]", case.name, case.section, case.origin);
        for a in &actuals {
            println!("   {}", a.render());
        }
    }
    let expect = case.expect.as_ref().unwrap();
    let listed: Vec<&str> = expect.iter().filter_map(|e| e.ours.as_deref()).collect();
    let relevant: Vec<&Actual<'_>> = actuals
        .iter()
        .filter(|a| a.d.falco_code().is_some() || listed.contains(&a.d.code))
        .collect();
    let first_file = case.files[0].0.as_str();
    let adj: Vec<Vec<usize>> = expect
        .iter()
        .map(|e| {
            (0..relevant.len())
                .filter(|&a| matches(e, relevant[a], first_file))
                .collect()
        })
        .collect();
    let m = match_all(&adj, relevant.len());
    let mut used = vec![false; relevant.len()];
    let mut missing = Vec::new();
    for (ei, e) in expect.iter().enumerate() {
        match m[ei] {
            Some(a) => used[a] = true,
            None => missing.push(e.src.clone()),
        }
    }
    let extra: Vec<String> = relevant
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(a, _)| a.render())
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut s = String::from("diagnostics differ\n");
        for l in &missing {
            let _ = writeln!(s, "      missing:    {l}");
        }
        for l in &extra {
            let _ = writeln!(s, "      unexpected: {l}");
        }
        let _ = writeln!(s, "      all actual:");
        for a in &actuals {
            let _ = writeln!(s, "        {}", a.render());
        }
        problems.push(s.trim_end().to_string());
    }
    for c in &case.checks {
        if let Err(e) = run_check(&host, c) {
            problems.push(e);
        }
    }
    problems
}

fn run_check(host: &AnalysisHost, c: &Check) -> Result<(), String> {
    let collected = host.collected();
    let compiled = host.compiled();
    match c {
        Check::Expand { macro_, name, text } => {
            let what = if *macro_ { "macro" } else { "rule" };
            let got = if *macro_ {
                macro_expr(collected, compiled, name)
            } else {
                rule_expr(collected, compiled, name)
            };
            if let Some(err) = text.strip_prefix('!') {
                return match got {
                    Err(e) if e.to_string().contains(err.trim()) => Ok(()),
                    Err(e) => Err(format!(
                        "expand {what} {name:?}: expected error containing {:?}, got error {e}",
                        err.trim()
                    )),
                    Ok(x) => Err(format!(
                        "expand {what} {name:?}: expected an error, got {}",
                        print_condition(&x)
                    )),
                };
            }
            let want = parse_condition(text);
            let Some(want_expr) = want.expr.as_ref().filter(|_| want.errors.is_empty()) else {
                return Err(format!(
                    "expand {what} {name:?}: expected text does not parse: {:?}",
                    want.errors.first().map(|e| &e.message)
                ));
            };
            match got {
                Err(e) => Err(format!(
                    "expand {what} {name:?}: expected\n        {}\n      got error: {e}",
                    print_condition(want_expr)
                )),
                Ok(x) if canon(&x) == canon(want_expr) => Ok(()),
                Ok(x) => Err(format!(
                    "expand {what} {name:?}:\n      expected {}\n      got      {}\n      (trees: {} vs {})",
                    print_condition(want_expr),
                    print_condition(&x),
                    canon(want_expr),
                    canon(&x)
                )),
            }
        }
        Check::EvtTypes { name, lines } => {
            let Some(&i) = collected.rule_by_name.get(name) else {
                return Err(format!("evttypes {name:?}: no such rule"));
            };
            let set = compiled.rules.get(i).and_then(|r| r.evttypes.as_ref());
            let mut errs = Vec::new();
            for l in lines {
                let (k, v) = l.split_once(':').unwrap_or((l.as_str(), ""));
                let want: Vec<&str> = v.split_whitespace().collect();
                let ok = match (k.trim(), set) {
                    ("not-computed", s) => s.is_none(),
                    (_, None) => false,
                    ("all", Some(s)) => s.is_all(),
                    ("empty", Some(s)) => s.is_empty(),
                    ("count", Some(s)) => v.trim().parse::<usize>().ok() == Some(s.len()),
                    ("names", Some(s)) => {
                        let mut w = want.clone();
                        w.sort();
                        w.dedup();
                        s.names() == w
                    }
                    ("includes", Some(s)) => want.iter().all(|n| s.names().contains(n)),
                    ("excludes", Some(s)) => want.iter().all(|n| !s.names().contains(n)),
                    (other, _) => {
                        errs.push(format!("unknown evttypes assertion {other:?}"));
                        continue;
                    }
                };
                if !ok {
                    errs.push(format!("`{l}` does not hold"));
                }
            }
            if errs.is_empty() {
                Ok(())
            } else {
                let got = match set {
                    None => "not computed".to_string(),
                    Some(s) if s.len() > 40 => {
                        format!("{} codes (universe: {})", s.len(), s.is_all())
                    }
                    Some(s) => format!("{} codes: {}", s.len(), s.names().join(" ")),
                };
                Err(format!("evttypes {name:?}: {}; got {got}", errs.join("; ")))
            }
        }
        Check::Rule { name, lines } => {
            let r = collected
                .rule_by_name
                .get(name)
                .map(|&i| &collected.rules[i]);
            let mut errs = Vec::new();
            for l in lines {
                let (k, v) = l.split_once(':').unwrap_or((l.as_str(), ""));
                let (k, v) = (k.trim(), v.trim());
                if k == "absent" {
                    if r.is_some() {
                        errs.push("rule exists".to_string());
                    }
                    continue;
                }
                let Some(r) = r else {
                    errs.push("no such rule".to_string());
                    break;
                };
                let got = match k {
                    "priority" => format!("{:?}", r.priority),
                    "enabled" => r.enabled.to_string(),
                    "source" => r.source().to_string(),
                    "warn_evttypes" => r.warn_evttypes.to_string(),
                    "skip-if-unknown-filter" => r.skip_if_unknown_filter.to_string(),
                    "capture" => r.capture.to_string(),
                    "capture_duration" => r.capture_duration.to_string(),
                    "tags" => r.tags.join(" "),
                    "exceptions" => r
                        .exceptions
                        .iter()
                        .map(|e| e.ex.name.value.clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                    "condition" => r.condition.text.clone(),
                    "output" => r.output.text.clone(),
                    "desc" => r.desc.text.clone(),
                    other => {
                        errs.push(format!("unknown rule property {other:?}"));
                        continue;
                    }
                };
                if got != v {
                    errs.push(format!("{k}: expected {v:?}, got {got:?}"));
                }
            }
            if errs.is_empty() {
                Ok(())
            } else {
                Err(format!("rule {name:?}: {}", errs.join("; ")))
            }
        }
        Check::List { name, text } => {
            let Some(&i) = collected.list_by_name.get(name) else {
                return Err(format!("list {name:?}: no such list"));
            };
            let items = &compiled.list_items[i];
            let got = if items.is_empty() {
                "(empty)".to_string()
            } else {
                items.join(", ")
            };
            if &got == text {
                Ok(())
            } else {
                Err(format!("list {name:?}: expected {text:?}, got {got:?}"))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The test

#[test]
fn conformance() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let filter = std::env::var("CONFORMANCE_FILTER").ok();
    let dump = std::env::var("CONFORMANCE_DUMP").is_ok_and(|v| !v.is_empty() && v != "0");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no conformance files");

    let mut format_errors = Vec::new();
    let mut failures = Vec::new();
    let mut known = Vec::new();
    let mut fixed = Vec::new();
    let mut counts = Vec::new();
    let mut total = 0;
    let mut names = std::collections::HashSet::new();
    for p in &paths {
        let fname = p.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(p).unwrap();
        let cases = match parse_cases(&fname, &text) {
            Ok(c) => c,
            Err(e) => {
                format_errors.push(e);
                continue;
            }
        };
        counts.push((fname.clone(), cases.len()));
        for case in cases {
            if !names.insert(case.name.clone()) {
                format_errors.push(format!(
                    "{}: duplicate case name {:?}",
                    case.origin, case.name
                ));
            }
            if let Some(f) = &filter {
                if !case.name.contains(f.as_str()) && !fname.contains(f.as_str()) {
                    continue;
                }
            }
            total += 1;
            let problems = match catch_unwind(AssertUnwindSafe(|| run_case(&case, dump))) {
                Ok(p) => p,
                Err(e) => {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    vec![format!("panicked: {msg}")]
                }
            };
            let title = format!("{} ({}) [{}]", case.name, case.section, case.origin);
            match (&case.known_bug, problems.is_empty()) {
                (None, true) => {}
                (None, false) => failures.push(format!("{title}\n    {}", problems.join("\n    "))),
                (Some(r), false) => known.push(format!(
                    "{title}\n    known bug: {r}\n    {}",
                    problems.join("\n    ")
                )),
                (Some(r), true) => fixed.push(format!(
                    "{title}\n    marked `known-bug: {r}` but passes: remove the marker"
                )),
            }
        }
    }

    // D.1/D.2: codes reserved for the application or for loader extensions
    // are never produced by the core engine, so no diagnostic maps to them.
    for never in [
        "LOAD_ERR_FILE_READ",
        "LOAD_ERR_EXTENSION",
        "LOAD_WARNING_EXTENSION",
    ] {
        for c in falconer_analysis::CODES {
            if c.falco_code == Some(never) {
                failures.push(format!(
                    "registry (D.1/D.2)\n    code {} maps to {never}, which the engine never produces",
                    c.code
                ));
            }
        }
    }

    let mut report = String::new();
    let _ = writeln!(report, "conformance: {total} cases run");
    for (f, n) in &counts {
        let _ = writeln!(report, "  {f}: {n} cases");
    }
    if !known.is_empty() {
        let _ = writeln!(report, "\n{} known bugs (expected failures):", known.len());
        for k in &known {
            let _ = writeln!(report, "  - {k}");
        }
    }
    let bad = !format_errors.is_empty() || !failures.is_empty() || !fixed.is_empty();
    if !format_errors.is_empty() {
        let _ = writeln!(report, "\n{} malformed files/cases:", format_errors.len());
        for f in &format_errors {
            let _ = writeln!(report, "  - {f}");
        }
    }
    if !fixed.is_empty() {
        let _ = writeln!(report, "\n{} known bugs now pass:", fixed.len());
        for f in &fixed {
            let _ = writeln!(report, "  - {f}");
        }
    }
    if !failures.is_empty() {
        let _ = writeln!(report, "\n{} FAILURES:", failures.len());
        for f in &failures {
            let _ = writeln!(report, "  - {f}");
        }
    }
    println!("{report}");
    assert!(
        !bad,
        "conformance suite failed: {} failures, {} malformed, {} fixed known bugs (report above)",
        failures.len(),
        format_errors.len(),
        fixed.len()
    );
}
