//! Data-driven protocol tests: each `fixtures/<name>.txt` is a small
//! multi-file workspace and a list of requests; the server's responses
//! become one insta snapshot per fixture (`snapshots/..fixtures__<name>`).
//!
//! Fixture format (line based):
//!
//! * `# ...` before the first file: the description (kept in the
//!   snapshot);
//! * `//! utf8`: offer UTF-8 positions (default: UTF-16 only);
//!   `//! init {...}`: the client's `initializationOptions`;
//! * `//- path`: starts a file written into the workspace folder; in its
//!   text `$N` (a number) marks a position and is removed;
//! * `//> method args [json]`: a request. `$N` is the marked position
//!   (text document and position), `$N..$M` a range (text document and
//!   range), `@path` a text document; a JSON object after them is merged
//!   into the parameters, where the string `"$N"` becomes a position;
//! * `//= diagnostics path`: waits for the next non-empty
//!   `publishDiagnostics` of the file and records it.
//!
//! To be readable, responses are annotated: every `range`-like value gets
//! a sibling `_<key>_text` with the text it covers, every inlay hint
//! position an `_at` showing the line with `|` at the position, every
//! folding range the text of its first and last line; semantic tokens are
//! decoded to `line:col "text" type [modifiers]`; workspace edits are
//! applied and the edited lines shown (`applied` blocks).

use super::{uri_of, TestClient};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

enum Step {
    Request { method: String, args: String },
    Diagnostics { file: String },
}

struct Case {
    description: String,
    utf8: bool,
    init: Value,
    files: Vec<(String, String)>,
    /// Marker → (file, byte offset).
    marks: HashMap<String, (String, usize)>,
    steps: Vec<Step>,
}

fn parse_case(text: &str) -> Case {
    let mut c = Case {
        description: String::new(),
        utf8: false,
        init: Value::Null,
        files: Vec::new(),
        marks: HashMap::new(),
        steps: Vec::new(),
    };
    let mut in_file = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("//! ") {
            if rest.trim() == "utf8" {
                c.utf8 = true;
            } else if let Some(j) = rest.strip_prefix("init ") {
                c.init = serde_json::from_str(j).expect("init JSON");
            }
        } else if let Some(path) = line.strip_prefix("//- ") {
            c.files.push((path.trim().to_string(), String::new()));
            in_file = true;
        } else if let Some(req) = line.strip_prefix("//> ") {
            in_file = false;
            let (method, args) = req.trim().split_once(' ').unwrap_or((req.trim(), ""));
            c.steps.push(Step::Request {
                method: method.to_string(),
                args: args.trim().to_string(),
            });
        } else if let Some(d) = line.strip_prefix("//= diagnostics ") {
            in_file = false;
            c.steps.push(Step::Diagnostics {
                file: d.trim().to_string(),
            });
        } else if in_file {
            let (path, body) = c.files.last_mut().unwrap();
            // Markers: `$` followed by digits.
            let mut rest = line;
            while let Some(i) = rest.find('$') {
                let digits: String = rest[i + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if digits.is_empty() {
                    body.push_str(&rest[..=i]);
                    rest = &rest[i + 1..];
                    continue;
                }
                body.push_str(&rest[..i]);
                c.marks
                    .insert(format!("${digits}"), (path.clone(), body.len()));
                rest = &rest[i + 1 + digits.len()..];
            }
            body.push_str(rest);
            body.push('\n');
        } else if let Some(d) = line.strip_prefix('#') {
            c.description.push_str(d.trim());
            c.description.push('\n');
        }
    }
    c
}

/// LSP position of a byte offset.
fn position(text: &str, offset: usize, utf8: bool) -> Value {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..offset].matches('\n').count();
    let col = if utf8 {
        offset - line_start
    } else {
        text[line_start..offset].encode_utf16().count()
    };
    json!({ "line": line, "character": col })
}

/// Byte offset of an LSP position.
fn offset(text: &str, pos: &Value, utf8: bool) -> usize {
    let line = pos["line"].as_u64().unwrap_or(0) as usize;
    let col = pos["character"].as_u64().unwrap_or(0) as usize;
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..start + text[start..].find('\n').unwrap_or(text.len() - start)];
    if utf8 {
        return start + col.min(line_text.len());
    }
    let mut units = 0;
    for (i, ch) in line_text.char_indices() {
        if units >= col {
            return start + i;
        }
        units += ch.len_utf16();
    }
    start + line_text.len()
}

struct Run<'a> {
    case: &'a Case,
    client: TestClient,
    /// URI → text.
    texts: HashMap<String, String>,
    legend: (Vec<String>, Vec<String>),
}

impl Run<'_> {
    fn mark(&self, m: &str) -> (String, Value) {
        let (file, off) = self
            .case
            .marks
            .get(m)
            .unwrap_or_else(|| panic!("no marker {m}"));
        let text = &self.case.files.iter().find(|(p, _)| p == file).unwrap().1;
        (self.client.uri(file), position(text, *off, self.case.utf8))
    }

    fn params(&self, method: &str, args: &str) -> (Value, Option<String>) {
        let mut params = Map::new();
        let mut doc = None;
        let mut rest = args;
        while !rest.is_empty() && !rest.starts_with('{') {
            let (tok, r) = rest.split_once(' ').unwrap_or((rest, ""));
            rest = r.trim_start();
            if let Some(path) = tok.strip_prefix('@') {
                doc = Some(self.client.uri(path));
            } else if let Some((a, b)) = tok.split_once("..") {
                let (uri, start) = self.mark(a);
                let (_, end) = self.mark(b);
                doc = Some(uri);
                params.insert("range".into(), json!({ "start": start, "end": end }));
            } else {
                let (uri, pos) = self.mark(tok);
                doc = Some(uri);
                params.insert("position".into(), pos);
            }
        }
        if let Some(d) = &doc {
            params.insert("textDocument".into(), json!({ "uri": d }));
        }
        if !rest.is_empty() {
            let mut extra: Value = serde_json::from_str(rest).expect("request JSON");
            self.positions_in(&mut extra);
            if let Value::Object(o) = extra {
                params.extend(o);
            }
        }
        match method {
            "textDocument/references" if !params.contains_key("context") => {
                params.insert("context".into(), json!({ "includeDeclaration": true }));
            }
            "textDocument/codeAction" if !params.contains_key("context") => {
                params.insert("context".into(), json!({ "diagnostics": [] }));
            }
            "textDocument/inlayHint" if !params.contains_key("range") => {
                params.insert(
                    "range".into(),
                    json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 100000, "character": 0 } }),
                );
            }
            _ => {}
        }
        (Value::Object(params), doc)
    }

    fn positions_in(&self, v: &mut Value) {
        match v {
            Value::String(s) if s.starts_with('$') && self.case.marks.contains_key(s.as_str()) => {
                *v = self.mark(s).1;
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.positions_in(x)),
            Value::Object(o) => o.values_mut().for_each(|x| self.positions_in(x)),
            _ => {}
        }
    }

    fn text_of(&self, uri: &str) -> Option<&str> {
        self.texts.get(uri).map(String::as_str)
    }

    fn range_text(&self, uri: &str, r: &Value) -> Option<String> {
        let text = self.text_of(uri)?;
        let a = offset(text, &r["start"], self.case.utf8);
        let b = offset(text, &r["end"], self.case.utf8);
        Some(text.get(a.min(b)..b.max(a))?.to_string())
    }

    /// Adds the `_..._text` views (see the module docs).
    fn annotate(&self, v: &mut Value, uri: &str) {
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| self.annotate(x, uri)),
            Value::Object(o) => {
                let uri = o
                    .get("uri")
                    .or_else(|| o.get("targetUri"))
                    .and_then(Value::as_str)
                    .unwrap_or(uri)
                    .to_string();
                let mut extra = Vec::new();
                for (k, x) in o.iter() {
                    let is_range = x.get("start").is_some() && x.get("end").is_some();
                    if is_range && k.to_lowercase().ends_with("range") {
                        if let Some(t) = self.range_text(&uri, x) {
                            extra.push((format!("_{k}_text"), json!(t)));
                        }
                    }
                }
                if let (Some(p), Some(text)) = (o.get("position"), self.text_of(&uri)) {
                    if o.contains_key("label") {
                        let at = offset(text, p, self.case.utf8);
                        let ls = text[..at].rfind('\n').map_or(0, |i| i + 1);
                        let le = text[at..].find('\n').map_or(text.len(), |i| at + i);
                        extra.push((
                            "_at".into(),
                            json!(format!("{}|{}", &text[ls..at], &text[at..le])),
                        ));
                    }
                }
                if let (Some(s), Some(e), Some(text)) =
                    (o.get("startLine"), o.get("endLine"), self.text_of(&uri))
                {
                    let lines: Vec<&str> = text.lines().collect();
                    let get = |v: &Value| lines.get(v.as_u64().unwrap_or(0) as usize).copied();
                    extra.push(("_start".into(), json!(get(s))));
                    extra.push(("_end".into(), json!(get(e))));
                }
                for (k, x) in o.iter_mut() {
                    if k != "edit" && k != "changes" {
                        self.annotate(x, &uri);
                    }
                }
                for (k, x) in extra {
                    o.insert(k, x);
                }
            }
            _ => {}
        }
    }

    /// Applies a workspace edit and shows the edited lines of each file.
    fn applied(&self, edit: &Value) -> String {
        let mut out = String::new();
        let Some(changes) = edit.get("changes").and_then(Value::as_object) else {
            return out;
        };
        let mut uris: Vec<&String> = changes.keys().collect();
        uris.sort();
        for uri in uris {
            let Some(text) = self.text_of(uri) else {
                continue;
            };
            let mut edits: Vec<(usize, usize, String)> = changes[uri]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        offset(text, &e["range"]["start"], self.case.utf8),
                        offset(text, &e["range"]["end"], self.case.utf8),
                        e["newText"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            edits.sort();
            let mut new_text = String::new();
            let mut touched = Vec::new();
            let mut pos = 0;
            for (a, b, t) in &edits {
                new_text.push_str(&text[pos..*a]);
                let first = new_text.matches('\n').count();
                new_text.push_str(t);
                let last = new_text.matches('\n').count();
                touched.extend(first..=last);
                pos = *b;
            }
            new_text.push_str(&text[pos..]);
            touched.sort();
            touched.dedup();
            let lines: Vec<&str> = new_text.lines().collect();
            let _ = writeln!(
                out,
                "  applied to {}:",
                self.client.redact(&json!(uri)).as_str().unwrap()
            );
            for l in touched {
                let _ = writeln!(out, "    {:>3} | {}", l + 1, lines.get(l).unwrap_or(&""));
            }
        }
        out
    }

    fn tokens(&self, uri: &str, data: &Value) -> String {
        let text = self.text_of(uri).unwrap_or("");
        let mut out = String::new();
        let (mut line, mut col) = (0u64, 0u64);
        for t in data.as_array().unwrap().chunks(5) {
            let n = |i: usize| t[i].as_u64().unwrap();
            if n(0) > 0 {
                line += n(0);
                col = n(1);
            } else {
                col += n(1);
            }
            let start = json!({ "line": line, "character": col });
            let end = json!({ "line": line, "character": col + n(2) });
            let a = offset(text, &start, self.case.utf8);
            let b = offset(text, &end, self.case.utf8);
            let mods: Vec<&str> = (0..self.legend.1.len())
                .filter(|i| n(4) & (1 << i) != 0)
                .map(|i| self.legend.1[i].as_str())
                .collect();
            let _ = writeln!(
                out,
                "  {}:{} {:?} {}{}",
                line + 1,
                col + 1,
                &text[a..b],
                self.legend.0[n(3) as usize],
                if mods.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", mods.join(","))
                }
            );
        }
        out
    }

    async fn step(&mut self, step: &Step, out: &mut String) {
        match step {
            Step::Request { method, args } => {
                let (params, doc) = self.params(method, args);
                let _ = writeln!(out, ">>> {method} {args}");
                let r = self.client.request(method, params).await;
                if let Some(e) = r.get("error") {
                    let _ = writeln!(
                        out,
                        "<<< error {}: {}\n",
                        e["code"],
                        e["message"].as_str().unwrap_or("")
                    );
                    return;
                }
                let mut result = r["result"].clone();
                let doc = doc.unwrap_or_default();
                if method.starts_with("textDocument/semanticTokens") {
                    let _ = writeln!(
                        out,
                        "<<< {} tokens",
                        result["data"].as_array().map_or(0, |d| d.len() / 5)
                    );
                    out.push_str(&self.tokens(&doc, &result["data"]));
                    out.push('\n');
                    return;
                }
                let mut applied = String::new();
                if method == "textDocument/rename" {
                    applied.push_str(&self.applied(&result));
                }
                if method == "textDocument/codeAction" {
                    for a in result.as_array().into_iter().flatten() {
                        let _ = writeln!(applied, "  {}:", a["title"].as_str().unwrap_or(""));
                        applied.push_str(&self.applied(&a["edit"]));
                    }
                }
                self.annotate(&mut result, &doc);
                let shown = self.client.redact(&result);
                let _ = writeln!(out, "<<< {}", pretty(&shown));
                out.push_str(&applied);
                out.push('\n');
            }
            Step::Diagnostics { file } => {
                let d = self
                    .client
                    .diagnostics(file, |p| p["diagnostics"] != json!([]))
                    .await;
                let mut d = d["diagnostics"].clone();
                let uri = self.client.uri(file);
                self.annotate(&mut d, &uri);
                let _ = writeln!(
                    out,
                    "=== diagnostics of {file}\n{}\n",
                    pretty(&self.client.redact(&d))
                );
            }
        }
    }
}

/// Pretty JSON with small values (positions, ranges) on one line.
fn pretty(v: &Value) -> String {
    fn go(v: &Value, indent: usize, out: &mut String) {
        let compact = serde_json::to_string(v).unwrap();
        if compact.len() + indent <= 100 {
            out.push_str(&compact);
            return;
        }
        let pad = "  ".repeat(indent + 1);
        match v {
            Value::Array(a) => {
                out.push_str("[\n");
                for (i, x) in a.iter().enumerate() {
                    out.push_str(&pad);
                    go(x, indent + 1, out);
                    out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
                }
                out.push_str(&"  ".repeat(indent));
                out.push(']');
            }
            Value::Object(o) => {
                out.push_str("{\n");
                for (i, (k, x)) in o.iter().enumerate() {
                    out.push_str(&pad);
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push_str(": ");
                    go(x, indent + 1, out);
                    out.push_str(if i + 1 < o.len() { ",\n" } else { "\n" });
                }
                out.push_str(&"  ".repeat(indent));
                out.push('}');
            }
            _ => out.push_str(&compact),
        }
    }
    let mut out = String::new();
    go(v, 0, &mut out);
    out
}

async fn run_case(name: &str, text: &str) -> String {
    let case = parse_case(text);
    let files: Vec<(&str, &str)> = case
        .files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let (client, init) = TestClient::start_with(&files, case.utf8, case.init.clone()).await;
    let caps = &init["result"]["capabilities"];
    let legend = caps["semanticTokensProvider"]["legend"].clone();
    let names = |k: &str| -> Vec<String> {
        legend[k]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let texts = case
        .files
        .iter()
        .map(|(p, t)| (uri_of(&client.dir.0.join(p)), t.clone()))
        .collect();
    let mut run = Run {
        case: &case,
        client,
        texts,
        legend: (names("tokenTypes"), names("tokenModifiers")),
    };
    let mut out = format!("{}\n", case.description.trim_end());
    for step in &case.steps {
        run.step(step, &mut out).await;
    }
    let _ = name;
    out
}

#[test]
fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tests/fixtures");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let out = rt.block_on(run_case(&name, &text));
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => true, omit_expression => true }, {
            insta::assert_snapshot!("fixture", out);
        });
    }
}
