//! Protocol tests: the whole server (framing, routing, state, features)
//! driven in-process through a byte pipe, as an editor would drive it.
//!
//! Each test lays out a small workspace in a temporary folder, starts the
//! server on it and exchanges JSON messages. Responses are snapshotted
//! with the workspace folder replaced by `${root}`.

/// A test running its async body on a 2-thread tokio runtime (the
/// server's blocking tasks and publisher need more than one thread).
macro_rules! mt_test {
    ($name:ident, $body:block) => {
        #[test]
        fn $name() {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move $body)
        }
    };
}

mod fixtures;
mod lens;
mod protocol;
mod session;

use crate::features::diagnostics;
use crate::state::{FileEntry, Snapshot};
use falconer_analysis::{AnalysisHost, Config};
use falconer_text::Encoding;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower_lsp_server::ls_types::Uri;

const TIMEOUT: Duration = Duration::from_secs(20);

/// A temporary workspace folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(files: &[(&str, &str)]) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "falconer-lsp-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let t = TempDir(dir);
        for (name, text) in files {
            t.write(name, text);
        }
        t
    }

    pub fn write(&self, name: &str, text: &str) {
        let p = self.0.join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(p, text).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An LSP client talking to an in-process server.
pub struct TestClient {
    conn: crate::in_process::Connection,
    /// Notifications received and not yet consumed.
    pending: Vec<Value>,
    /// Requests the server sent (answered with `null`), in order.
    pub server_requests: Vec<Value>,
    next_id: i64,
    pub dir: TempDir,
    root_uri: String,
}

pub fn uri_of(path: &Path) -> String {
    Uri::from_file_path(path).unwrap().as_str().to_string()
}

impl TestClient {
    /// Starts a server on a workspace with `files`; `utf8` offers UTF-8
    /// positions. Sends `initialize` and `initialized`.
    pub async fn start(files: &[(&str, &str)], utf8: bool) -> (TestClient, Value) {
        TestClient::start_with(files, utf8, Value::Null).await
    }

    /// [`TestClient::start`] with the client's `initializationOptions`.
    pub async fn start_with(
        files: &[(&str, &str)],
        utf8: bool,
        init_options: Value,
    ) -> (TestClient, Value) {
        let dir = TempDir::new(files);
        let conn = crate::in_process::connect();
        let root_uri = uri_of(&dir.0);
        let mut c = TestClient {
            conn,
            pending: Vec::new(),
            server_requests: Vec::new(),
            next_id: 1,
            dir,
            root_uri,
        };
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let init = c
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": null,
                    "capabilities": {
                        "general": { "positionEncodings": encodings },
                        "workspace": {
                            "didChangeWatchedFiles": { "dynamicRegistration": true },
                            "codeLens": { "refreshSupport": true }
                        },
                        "textDocument": { "publishDiagnostics": { "relatedInformation": true } }
                    },
                    "workspaceFolders": [{ "uri": c.root_uri, "name": "ws" }],
                    "initializationOptions": init_options,
                }),
            )
            .await;
        c.notify("initialized", json!({})).await;
        (c, init)
    }

    pub fn uri(&self, name: &str) -> String {
        uri_of(&self.dir.0.join(name))
    }

    async fn send(&mut self, v: Value) {
        self.conn.send(&v).await;
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }))
            .await;
    }

    /// The next message from the server; server requests are answered
    /// (with `null`) and not returned.
    async fn recv(&mut self) -> Value {
        loop {
            let v = tokio::time::timeout(TIMEOUT, self.conn.incoming.recv())
                .await
                .expect("timed out waiting for the server")
                .expect("server closed");
            if v.get("method").is_some() && v.get("id").is_some() {
                let id = v["id"].clone();
                self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }))
                    .await;
                self.server_requests.push(v);
                continue;
            }
            return v;
        }
    }

    /// Sends a request and returns the response (`result` or `error`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await;
        loop {
            let v = self.recv().await;
            if v.get("id") == Some(&json!(id)) {
                return v;
            }
            self.pending.push(v);
        }
    }

    /// The result of a request (panics on an error response).
    pub async fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params).await;
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// Waits for a notification matching `pred` (earlier ones are
    /// dropped).
    pub async fn wait_notification(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            let v = self.pending.remove(i);
            self.pending.drain(..i);
            return v;
        }
        self.pending.clear();
        loop {
            let v = self.recv().await;
            if pred(&v) {
                return v;
            }
        }
    }

    /// Waits for a notification matching `pred`; the others, earlier or
    /// not, stay pending.
    pub async fn take_notification(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i);
        }
        loop {
            let v = self.recv().await;
            if pred(&v) {
                return v;
            }
            self.pending.push(v);
        }
    }

    /// [`TestClient::diagnostics`], leaving the other notifications
    /// pending.
    pub async fn take_diagnostics(&mut self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let uri = self.uri(name);
        self.take_notification(|v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == json!(uri)
                && pred(&v["params"])
        })
        .await["params"]
            .clone()
    }

    /// Waits for diagnostics of `name` accepted by `pred`; returns the
    /// `publishDiagnostics` params.
    pub async fn diagnostics(&mut self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let uri = self.uri(name);
        self.wait_notification(|v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == json!(uri)
                && pred(&v["params"])
        })
        .await["params"]
            .clone()
    }

    /// Every `publishDiagnostics` received so far (kept in order).
    pub fn published(&self, name: &str) -> Vec<Value> {
        let uri = json!(self.uri(name));
        self.pending
            .iter()
            .filter(|v| {
                v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri
            })
            .map(|v| v["params"].clone())
            .collect()
    }

    /// Drains every message that arrives within `wait`.
    pub async fn settle(&mut self, wait: Duration) {
        while let Ok(Some(v)) = tokio::time::timeout(wait, self.conn.incoming.recv()).await {
            if v.get("method").is_some() && v.get("id").is_some() {
                let id = v["id"].clone();
                self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }))
                    .await;
                self.server_requests.push(v);
                continue;
            }
            self.pending.push(v);
        }
    }

    pub async fn open(&mut self, name: &str, version: i32, text: &str) {
        let uri = self.uri(name);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": version, "text": text } }),
        )
        .await;
    }

    pub async fn change(&mut self, name: &str, version: i32, text: &str) {
        let uri = self.uri(name);
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        )
        .await;
    }

    pub async fn close(&mut self, name: &str) {
        let uri = self.uri(name);
        self.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    }

    /// `textDocument/<method>` at a position.
    pub async fn at(&mut self, method: &str, name: &str, line: u32, character: u32) -> Value {
        let params = position_params(&self.uri(name), method, line, character);
        self.result(&format!("textDocument/{method}"), params).await
    }

    /// Replaces the workspace folder's URI (and path) by `${root}` in
    /// every string.
    pub fn redact(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(
                s.replace(&self.root_uri, "${root}")
                    .replace(&self.dir.0.display().to_string(), "${root}"),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.redact(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.replace(&self.root_uri, "${root}"), self.redact(x)))
                    .collect(),
            ),
            v => v.clone(),
        }
    }
}

/// Parameters of a position request (`references` asks for
/// declarations too).
pub fn position_params(uri: &str, method: &str, line: u32, character: u32) -> Value {
    let mut p = json!({
        "textDocument": { "uri": uri },
        "position": { "line": line, "character": character },
    });
    if method == "references" {
        p["context"] = json!({ "includeDeclaration": true });
    }
    p
}

/// The 0-based line and UTF-16/UTF-8 column of the first `needle` in
/// `text` (plus `delta` bytes).
pub fn pos_of(text: &str, needle: &str, delta: usize, utf8: bool) -> (u32, u32) {
    let at = text.find(needle).expect("needle") + delta;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count() as u32;
    let col = if utf8 {
        (at - line_start) as u32
    } else {
        text[line_start..at].encode_utf16().count() as u32
    };
    (line, col)
}

/// The diagnostics a fresh analysis of `files` (path, text, version; no
/// `falconer.toml`, loaded in sorted path order as the server loads a
/// workspace) gives, per URI, converted exactly as the server converts
/// them (UTF-16 positions).
pub fn fresh_diagnostics(files: &[(PathBuf, &str, i32)]) -> HashMap<String, Value> {
    let mut order: Vec<&(PathBuf, &str, i32)> = files.iter().collect();
    order.sort_by(|a, b| a.0.cmp(&b.0));
    let mut host = AnalysisHost::new(Config::default());
    host.update_files(
        order
            .iter()
            .map(|(p, t, _)| (p.display().to_string(), t.to_string()))
            .collect(),
        Vec::new(),
    );
    let table: Vec<FileEntry> = order
        .iter()
        .map(|(p, _, v)| FileEntry {
            path: p.clone(),
            uri: Uri::from_file_path(p).unwrap(),
            version: Some(*v),
        })
        .collect();
    let snap = Snapshot {
        analysis: host.snapshot(),
        files: Arc::new(table),
        encoding: Encoding::Utf16,
        format_width: 100,
        docs_base_url: None,
        tests: Default::default(),
        results: Default::default(),
    };
    diagnostics::compute(&snap)
        .into_iter()
        .map(|(uri, _, d)| (uri.as_str().to_string(), serde_json::to_value(d).unwrap()))
        .collect()
}
