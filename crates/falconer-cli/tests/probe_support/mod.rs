//! Helpers of the probe tests: running commands with a timeout, the
//! bundled rules' expanded conditions in the form sysdig 0.29 parses, and
//! sysdig itself.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use falconer_analysis::expand::rule_expr;
use falconer_analysis::{AnalysisHost, Config};
use falconer_engine::sysdig_compat::{bracketed, sysdig_event_numbers, without_ipv6_networks};

pub const BIN: &str = env!("CARGO_BIN_EXE_falconer");

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn rules_dir() -> PathBuf {
    repo_root().join("rules")
}

pub fn fixtures_dir() -> PathBuf {
    repo_root().join("rules/fixtures")
}

/// Runs `argv` to completion or kills it after `timeout` (a hang fails
/// the test).
pub fn run_timeout(argv: &[String], timeout: Duration) -> Output {
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", argv[0]));
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "timed out after {timeout:?}: {argv:?}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The JSON alerts of `falconer probe/replay --format json` output.
pub fn json_alerts(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

pub fn sysdig_available() -> bool {
    Command::new("sysdig")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `falconer replay --condition COND --format json CAPTURE`'s event
/// numbers (the binary, as a user runs it).
pub fn replay_nums(capture: &Path, condition: &str) -> Result<BTreeSet<u64>, String> {
    let out = run_timeout(
        &[
            BIN.to_string(),
            "replay".into(),
            "--rules".into(),
            rules_dir().display().to_string(),
            "--condition".into(),
            condition.into(),
            "--format".into(),
            "json".into(),
            capture.display().to_string(),
        ],
        Duration::from_secs(60),
    );
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(json_alerts(&out.stdout)
        .iter()
        .map(|a| a["evt_num"].as_u64().expect("evt_num"))
        .collect())
}

/// Event numbers sysdig never prints (internal events: container
/// metadata), left out of comparisons.
pub fn sysdig_hidden(capture: &Path) -> BTreeSet<u64> {
    falconer_scap::ScapReader::open(capture)
        .map(|r| {
            r.flatten()
                .filter(|e| {
                    matches!(e.code, 272 | 324)
                        || e.info().is_some_and(|i| i.category == "internal")
                })
                .map(|e| e.num)
                .collect()
        })
        .unwrap_or_default()
}

/// `(rule name, expanded condition)` of every bundled rule, in a form both
/// engines parse.
pub fn bundled_conditions() -> Vec<(String, String)> {
    let path = rules_dir().join("falconer_rules.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut host = AnalysisHost::new(Config::default());
    host.set_files(vec![(path.display().to_string(), text)]);
    let collected = host.collected();
    let compiled = host.compiled();
    collected
        .rules
        .iter()
        .map(|r| {
            let e = rule_expr(collected, compiled, &r.name).unwrap();
            (r.name.to_string(), bracketed(&without_ipv6_networks(&e)))
        })
        .collect()
}

/// Compares `falconer replay` and sysdig on every bundled rule's expanded
/// condition; returns the matches per rule (ours).
pub fn compare_with_sysdig(capture: &Path) -> Vec<(String, BTreeSet<u64>)> {
    let hidden = sysdig_hidden(capture);
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for (name, cond) in bundled_conditions() {
        let ours: BTreeSet<u64> = replay_nums(capture, &cond)
            .unwrap_or_else(|e| panic!("{name}: replay: {e}"))
            .difference(&hidden)
            .copied()
            .collect();
        match sysdig_event_numbers(capture, &cond) {
            Ok(theirs) => {
                if ours != theirs {
                    failures.push(format!(
                        "{}: rule '{name}': ours {ours:?}, sysdig {theirs:?}",
                        capture.display()
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: '{name}': sysdig: {e}", capture.display())),
        }
        out.push((name, ours));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    out
}

/// `falconer replay --rules rules/ --format json CAPTURE` (60 s at most).
pub fn replay_json(capture: &Path) -> Output {
    run_timeout(
        &[
            BIN.into(),
            "replay".into(),
            "--rules".into(),
            rules_dir().display().to_string(),
            "--format".into(),
            "json".into(),
            capture.display().to_string(),
        ],
        Duration::from_secs(60),
    )
}
