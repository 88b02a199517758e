//! A scripted editing session: the bundled rules and a ~4,600-line
//! generated workspace are opened, then 1,000 random edits go through
//! `didChange` (seeded, so a failure replays): inserts, deletes, pastes of
//! broken text (`condition: (`, unclosed quotes, `proc.`, tabs, random
//! characters including non-ASCII, control characters and line breaks),
//! whole items duplicated or removed, the original text restored; as
//! full or incremental changes (several ranged changes in one message,
//! positions in UTF-16). Hover and completion requests are mixed in.
//!
//! Every `CHECK_EVERY` edits (and at the end) the session checks that the
//! server's text of each document is the client's, and that the
//! diagnostics the client holds (the last set published for each file)
//! become exactly those of a fresh `AnalysisHost` over the same texts,
//! converted by the same function. Throughout, no request may fail other
//! than by `ContentModified`, no internal error may be reported, and the
//! versions published for a file never go back nor past the last one sent.

use super::TestClient;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SEED: u64 = 0x5eed_f00d_2024;
const EDITS: usize = 1000;
const CHECK_EVERY: usize = 40;

/// splitmix64: small, seeded, good enough to pick edits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// Broken and half-typed text an editor session produces.
const FRAGMENTS: &[&str] = &[
    "condition: (",
    "\"",
    "'",
    "proc.",
    "\t",
    " and ",
    " or not ",
    "(",
    ")",
    "\n",
    "\r\n",
    "- macro: typed\n  condition: ",
    "- rule: r\n  desc: d\n  condition: evt.type = open and proc.nmae = x\n  output: \"%proc.name\"\n  priority: INFO\n",
    "- list: l\n  items: [a, b\n",
    "evt.type in (open, ",
    "%proc.",
    "é𝄞中",
    "  ",
    ": ",
    "# comment\n",
    "override:\n    condition: append\n",
    "exceptions:\n    - name: x\n",
];

/// Characters for random text (valid UTF-8 always; control characters,
/// line breaks, non-ASCII and astral characters included).
const CHARS: &[char] = &[
    'a', 'z', '_', '.', '-', ' ', '\t', '\n', '\r', '(', ')', '[', ']', '{', '}', '"', '\'', ':',
    '#', '%', '&', '*', '!', '|', '>', '=', ',', '\\', '\u{0}', '\u{8}', '\u{b}', 'é', 'ß', '中',
    '𝄞', '😀', '\u{feff}', '\u{2028}',
];

struct Doc {
    uri: String,
    path: PathBuf,
    original: String,
    text: String,
    version: i32,
}

/// The LSP position (UTF-16 columns; `\n`, `\r\n` and `\r` end lines) of
/// a byte offset, computed independently of the server's `LineIndex`.
/// (An offset between the `\r` and `\n` of a pair is not addressable;
/// callers avoid it.)
fn position(text: &str, offset: usize) -> Value {
    let b = &text.as_bytes()[..offset];
    let (mut line, mut start) = (0u32, 0usize);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                line += 1;
                start = i + 1;
            }
            b'\r' if b.get(i + 1) != Some(&b'\n') => {
                line += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let col: usize = text[start..offset].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": col })
}

/// A char boundary at or before `at` that is not inside a `\r\n`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let b = text.as_bytes();
    if at > 0 && at < b.len() && b[at - 1] == b'\r' && b[at] == b'\n' {
        at -= 1;
    }
    at
}

/// Byte offsets where items start (lines beginning with `- `).
fn item_starts(text: &str) -> Vec<usize> {
    let mut out: Vec<usize> = text.match_indices("\n- ").map(|(i, _)| i + 1).collect();
    if text.starts_with("- ") {
        out.insert(0, 0);
    }
    out
}

/// One random edit of `text`: (start, end, replacement), byte offsets.
fn random_edit(rng: &mut Rng, text: &str) -> (usize, usize, String) {
    let len = text.len();
    let at = boundary(text, rng.below(len + 1));
    match rng.below(100) {
        // Insert broken text.
        0..=29 => (at, at, rng.pick(FRAGMENTS).to_string()),
        // Random characters.
        30..=41 => {
            let n = 1 + rng.below(12);
            let s: String = (0..n).map(|_| CHARS[rng.below(CHARS.len())]).collect();
            (at, at, s)
        }
        // Delete a range (short, sometimes long).
        42..=61 => {
            let n = if rng.chance(20) {
                rng.below(400)
            } else {
                1 + rng.below(30)
            };
            (at, boundary(text, at + n), String::new())
        }
        // Replace a range.
        62..=73 => {
            let n = 1 + rng.below(20);
            (at, boundary(text, at + n), rng.pick(FRAGMENTS).to_string())
        }
        // Duplicate a whole item somewhere else.
        74..=85 => {
            let starts = item_starts(text);
            if starts.len() < 2 {
                return (at, at, "\n".into());
            }
            let i = rng.below(starts.len() - 1);
            let item = text[starts[i]..starts[i + 1]].to_string();
            let to = starts[rng.below(starts.len())];
            (to, to, item)
        }
        // Remove a whole item.
        _ => {
            let starts = item_starts(text);
            if starts.len() < 2 {
                return (at, at, String::new());
            }
            let i = rng.below(starts.len() - 1);
            (starts[i], starts[i + 1], String::new())
        }
    }
}

/// Diagnostics of a fresh analysis of the documents.
fn expected(docs: &[Doc]) -> HashMap<String, Value> {
    let files: Vec<(PathBuf, &str, i32)> = docs
        .iter()
        .map(|d| (d.path.clone(), d.text.as_str(), d.version))
        .collect();
    super::fresh_diagnostics(&files)
}

/// What the client holds: per URI, the last published set and version.
#[derive(Default)]
struct Published {
    sets: HashMap<String, (Value, Option<i64>)>,
    count: usize,
}

impl Published {
    /// Takes in one message from the server.
    fn take(&mut self, v: &Value, docs: &[Doc]) {
        let method = v["method"].as_str().unwrap_or("");
        match method {
            "textDocument/publishDiagnostics" => {
                let p = &v["params"];
                let uri = p["uri"].as_str().unwrap().to_string();
                let doc = docs
                    .iter()
                    .find(|d| d.uri == uri)
                    .unwrap_or_else(|| panic!("diagnostics for an unknown file: {uri}"));
                let version = p["version"].as_i64();
                if let Some(ver) = version {
                    assert!(
                        ver <= doc.version as i64,
                        "published version {ver} was never sent (last {})",
                        doc.version
                    );
                    if let Some((_, Some(before))) = self.sets.get(&uri) {
                        assert!(ver >= *before, "versions went back: {before} then {ver}");
                    }
                }
                self.sets.insert(uri, (p["diagnostics"].clone(), version));
                self.count += 1;
            }
            "window/showMessage" | "window/logMessage" => {
                let msg = v["params"]["message"].as_str().unwrap_or("");
                assert!(
                    !msg.contains("internal error") && !msg.contains("failed"),
                    "the server reported a failure: {msg}"
                );
            }
            _ => {}
        }
    }

    fn matches(&self, want: &HashMap<String, Value>) -> bool {
        want.iter().all(|(uri, d)| {
            let have = self.sets.get(uri).map_or(&Value::Null, |(v, _)| v);
            have == d || (have.is_null() && d == &json!([]))
        })
    }
}

/// Takes in every message that arrives within `wait` (and those a request
/// left aside).
async fn pump(c: &mut TestClient, state: &mut Published, docs: &[Doc], wait: Duration) {
    for v in std::mem::take(&mut c.pending) {
        state.take(&v, docs);
    }
    while let Ok(Some(v)) = tokio::time::timeout(wait, c.conn.incoming.recv()).await {
        if v.get("method").is_some() && v.get("id").is_some() {
            let id = v["id"].clone();
            c.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }))
                .await;
            continue;
        }
        state.take(&v, docs);
    }
}

/// The checkpoint: same texts on both sides, then the published
/// diagnostics converge to a fresh check's. Returns the number of
/// diagnostics expected.
async fn converge(c: &mut TestClient, state: &mut Published, docs: &[Doc], edit: usize) -> usize {
    for d in docs {
        let t = c
            .result("falconer/testDocumentText", json!({ "uri": d.uri }))
            .await;
        assert!(
            t.as_str() == Some(d.text.as_str()),
            "after edit {edit}: the server's text of {} differs from the client's",
            d.uri
        );
    }
    let want = expected(docs);
    let count = want
        .values()
        .map(|d| d.as_array().map_or(0, Vec::len))
        .sum();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        pump(c, state, docs, Duration::from_millis(10)).await;
        if state.matches(&want) {
            return count;
        }
        if Instant::now() > deadline {
            for (uri, d) in &want {
                let have = state.sets.get(uri).map_or(Value::Null, |(v, _)| v.clone());
                if &have != d && !(have.is_null() && d == &json!([])) {
                    panic!(
                        "after edit {edit}: diagnostics of {uri} differ from a fresh check\n\
                         published: {have:#}\nfresh: {d:#}"
                    );
                }
            }
        }
    }
}

/// Hover or completion at a random place: an answer, or `ContentModified`
/// when a change overtook it; never an internal error.
async fn random_request(c: &mut TestClient, rng: &mut Rng, d: &Doc, edit: usize) {
    let at = boundary(&d.text, rng.below(d.text.len() + 1));
    let method = if rng.chance(50) {
        "hover"
    } else {
        "completion"
    };
    let params = json!({ "textDocument": { "uri": d.uri }, "position": position(&d.text, at) });
    let r = c.request(&format!("textDocument/{method}"), params).await;
    if let Some(e) = r.get("error") {
        assert_eq!(e["code"], -32801, "edit {edit}: {method} failed: {r}");
    }
}

#[test]
fn a_thousand_random_edits_keep_diagnostics_equal_to_a_fresh_check() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(session());
}

async fn session() {
    let started = Instant::now();
    let generated = falconer_testgen::generate(4500);
    let files = [
        ("bundled/falconer_rules.yaml", falconer_testgen::BUNDLED),
        ("generated/generated.yaml", generated.as_str()),
    ];
    let (mut c, _) = TestClient::start(&files, false).await;
    let mut docs: Vec<Doc> = files
        .iter()
        .map(|(name, text)| Doc {
            uri: c.uri(name),
            path: c.dir.0.join(name),
            original: text.to_string(),
            text: text.to_string(),
            version: 1,
        })
        .collect();
    for (name, text) in files {
        c.open(name, 1, text).await;
    }
    let mut state = Published::default();
    converge(&mut c, &mut state, &docs, 0).await;

    let mut rng = Rng(SEED);
    let (mut full, mut ranged, mut requests) = (0, 0, 0);
    let (mut checks, mut checks_with_diagnostics) = (0, 0);
    for edit in 1..=EDITS {
        // The generated file gets most of the edits.
        let di = usize::from(rng.below(10) >= 3);
        let d = &mut docs[di];
        d.version += 1;
        let changes: Vec<Value> = if rng.chance(4) || d.text.len() > 3 * d.original.len() + 1000 {
            // Back to the original text (an undo of everything).
            d.text = d.original.clone();
            full += 1;
            vec![json!({ "text": d.text })]
        } else if rng.chance(15) {
            let (a, b, s) = random_edit(&mut rng, &d.text);
            d.text.replace_range(a..b, &s);
            full += 1;
            vec![json!({ "text": d.text })]
        } else {
            // One to three ranged changes, each relative to the text
            // the previous one left.
            (0..1 + rng.below(3))
                .map(|_| {
                    let (a, b, s) = random_edit(&mut rng, &d.text);
                    let range = json!({
                        "start": position(&d.text, a),
                        "end": position(&d.text, b),
                    });
                    d.text.replace_range(a..b, &s);
                    ranged += 1;
                    json!({ "range": range, "text": s })
                })
                .collect()
        };
        let (uri, version) = (d.uri.clone(), d.version);
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
        )
        .await;
        if rng.chance(1) {
            // A request right after a change (it may be cancelled).
            random_request(&mut c, &mut rng, &docs[di], edit).await;
            requests += 1;
        }
        if edit % CHECK_EVERY == 0 || edit == EDITS {
            if converge(&mut c, &mut state, &docs, edit).await > 0 {
                checks_with_diagnostics += 1;
            }
            checks += 1;
            // Requests on the settled analysis.
            for _ in 0..4 {
                let di = rng.below(docs.len());
                random_request(&mut c, &mut rng, &docs[di], edit).await;
                requests += 1;
            }
        } else {
            pump(&mut c, &mut state, &docs, Duration::ZERO).await;
        }
    }
    println!(
        "{EDITS} edits ({full} full changes, {ranged} ranged changes, {requests} requests), \
         {} publications, {checks_with_diagnostics} of {checks} checks with diagnostics, {:.1} s",
        state.count,
        started.elapsed().as_secs_f64()
    );
    // The edits did break things (and the checks compared real sets).
    assert!(
        checks_with_diagnostics * 2 > checks,
        "{checks_with_diagnostics}/{checks}"
    );
}
