//! Helpers shared by the end-to-end tests: run the real `falconer` binary
//! with a timeout, in a temporary directory, and look at what it printed.
#![allow(dead_code)]

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_falconer");

/// The default time a run may take before it counts as a hang.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The repository root (this crate is `crates/falconer-cli`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled rules directory.
pub fn bundled_rules() -> PathBuf {
    repo_root().join("rules")
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "falconer-e2e-{tag}-{}-{nanos}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("creating a temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `name` (relative, parents created) and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("creating parent dirs");
        }
        std::fs::write(&p, contents).expect("writing a test file");
        p
    }

    /// The path as a string (for normalising outputs).
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    /// Exit code, `None` when killed by a signal.
    pub code: Option<i32>,
    /// The signal that ended the process, if any.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Panics unless the process exited normally with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}, got {:?} (signal {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            self.signal,
            truncate(&self.stdout),
            truncate(&self.stderr)
        );
        self
    }

    /// Panics on a panic (101), a signal (stack overflow, abort) or an
    /// exit status outside 0..=2.
    #[track_caller]
    pub fn expect_no_crash(&self) -> &Run {
        assert!(
            self.signal.is_none(),
            "killed by signal {:?}\n--- stderr ---\n{}",
            self.signal,
            truncate(&self.stderr)
        );
        assert!(
            matches!(self.code, Some(0..=2)),
            "exit status {:?} (101 is a panic)\n--- stderr ---\n{}",
            self.code,
            truncate(&self.stderr)
        );
        assert!(
            !self.stderr.contains("panicked"),
            "panic message on stderr:\n{}",
            truncate(&self.stderr)
        );
        self
    }

    /// Parses stdout as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n--- stderr ---\n{}",
                truncate(&self.stdout),
                truncate(&self.stderr)
            )
        })
    }
}

/// Keeps failure messages readable when an output is huge.
pub fn truncate(s: &str) -> String {
    const MAX: usize = 4000;
    if s.len() <= MAX {
        return s.to_string();
    }
    let cut = (0..=MAX)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}... [{} more bytes]", &s[..cut], s.len() - cut)
}

/// A `falconer` invocation being built.
pub struct Cmd {
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    env: Vec<(String, String)>,
    timeout: Duration,
    close_stdout: bool,
}

/// Starts building `falconer ARGS...`.
pub fn falconer<I, S>(args: I) -> Cmd
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    Cmd {
        args: args.into_iter().map(Into::into).collect(),
        cwd: None,
        stdin: None,
        env: Vec::new(),
        timeout: TIMEOUT,
        close_stdout: false,
    }
}

impl Cmd {
    pub fn arg(mut self, a: impl Into<OsString>) -> Cmd {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The working directory (config discovery starts there). Without it
    /// the run happens in the system temp dir.
    pub fn cwd(mut self, p: impl AsRef<Path>) -> Cmd {
        self.cwd = Some(p.as_ref().to_path_buf());
        self
    }

    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(data.into());
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Cmd {
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    pub fn timeout(mut self, t: Duration) -> Cmd {
        self.timeout = t;
        self
    }

    /// Closes the read end of stdout before the program writes (as
    /// `falconer ... | head -0` would).
    pub fn close_stdout(mut self) -> Cmd {
        self.close_stdout = true;
        self
    }

    /// Runs to completion; fails the test if it takes longer than the
    /// timeout (the process is killed first).
    #[track_caller]
    pub fn run(self) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.args(&self.args)
            .current_dir(self.cwd.clone().unwrap_or_else(std::env::temp_dir))
            .env_remove("NO_COLOR")
            .env("RUST_BACKTRACE", "0")
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::piped());
        if self.close_stdout {
            // A pipe whose read end is already closed: every write fails
            // with EPIPE, deterministically.
            let (reader, writer) = std::io::pipe().expect("creating a pipe");
            drop(reader);
            cmd.stdout(writer);
        } else {
            cmd.stdout(Stdio::piped());
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let start = Instant::now();
        let mut child = cmd.spawn().expect("spawning falconer");
        let stdin_thread = self.stdin.clone().map(|data| {
            let mut w = child.stdin.take().expect("stdin pipe");
            std::thread::spawn(move || {
                let _ = w.write_all(&data);
            })
        });
        let out_thread = if self.close_stdout {
            None
        } else {
            let mut r = child.stdout.take().expect("stdout pipe");
            Some(std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = r.read_to_end(&mut v);
                v
            }))
        };
        let mut er = child.stderr.take().expect("stderr pipe");
        let err_thread = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = er.read_to_end(&mut v);
            v
        });
        let status = loop {
            match child.try_wait().expect("waiting for falconer") {
                Some(s) => break s,
                None if start.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "falconer {:?} did not finish within {:?} (killed): a hang",
                        self.args, self.timeout
                    );
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let elapsed = start.elapsed();
        if let Some(t) = stdin_thread {
            let _ = t.join();
        }
        let stdout = out_thread
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        let stderr = err_thread.join().unwrap_or_default();
        #[cfg(unix)]
        let signal = {
            use std::os::unix::process::ExitStatusExt;
            status.signal()
        };
        #[cfg(not(unix))]
        let signal = None;
        Run {
            code: status.code(),
            signal,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            elapsed,
        }
    }
}

/// Runs `falconer check --format json ARGS...` in `cwd` and returns the run.
#[track_caller]
pub fn check_json<I, S>(cwd: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let mut c = falconer(["check", "--format", "json"]).cwd(cwd);
    for a in args {
        c = c.arg(a);
    }
    c.run()
}

/// The `code` of every diagnostic of a JSON report.
pub fn codes(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| d["code"].as_str().expect("code string").to_string())
        .collect()
}

/// The diagnostics of a JSON report with the given code.
pub fn diags_with<'a>(report: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

/// `(files, errors, warnings)` of a JSON report.
pub fn summary(report: &serde_json::Value) -> (u64, u64, u64) {
    let s = &report["summary"];
    (
        s["files"].as_u64().expect("summary.files"),
        s["errors"].as_u64().expect("summary.errors"),
        s["warnings"].as_u64().expect("summary.warnings"),
    )
}

/// A rule item with a condition (valid apart from what `condition` holds).
pub fn rule(name: &str, condition: &str) -> String {
    format!(
        "- rule: {name}\n  desc: test rule {name}\n  condition: {condition}\n  output: \"event (proc=%proc.name)\"\n  priority: INFO\n\n"
    )
}
