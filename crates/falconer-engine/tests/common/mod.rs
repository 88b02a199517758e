//! Shared helpers: generated captures, the reference captures, running
//! sysdig and our engine on a condition.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use falconer_analysis::{AnalysisHost, Config};
use falconer_engine::capgen::{write_capture, GenConfig};
use falconer_engine::engine::Engine;
use falconer_engine::replay::replay;
use falconer_engine::sysdig_compat::sysdig_event_numbers;
use falconer_scap::ScapReader;

/// `../shared/captures` relative to the repository root, if present.
pub fn shared_captures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures");
    dir.is_dir().then_some(dir)
}

/// The reference captures Debian's sysdig 0.29 reads (the one with
/// pcapng options in its section header is not among them).
pub fn sysdig_readable_shared() -> Vec<PathBuf> {
    let Some(dir) = shared_captures() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for sub in ["falco-trace-files", "libs"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "scap"))
            .filter(|p| !p.ends_with("curl_google_comments.scap"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

pub fn sysdig_available() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        Command::new("sysdig")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A generated capture under the test target directory (made once per
/// seed and size).
pub fn generated(seed: u64, events: u64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("falconer-gen-{seed}-{events}.scap"));
    let tmp = dir.join(format!(
        "falconer-gen-{seed}-{events}.{}.tmp",
        std::process::id()
    ));
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if !path.exists() {
        let f = std::fs::File::create(&tmp).unwrap();
        write_capture(
            std::io::BufWriter::new(f),
            &GenConfig {
                seed,
                events,
                ..GenConfig::default()
            },
        )
        .unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// An analysis with no rules (for bare conditions).
pub fn empty_host() -> AnalysisHost {
    let mut h = AnalysisHost::new(Config::default());
    h.set_files(Vec::new());
    h
}

/// An analysis of our bundled rules.
pub fn bundled_host() -> AnalysisHost {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/falconer_rules.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut h = AnalysisHost::new(Config::default());
    h.set_files(vec![(path.display().to_string(), text)]);
    h
}

/// Event numbers sysdig never prints, whatever the filter: its display
/// loop skips events of the internal category (`procinfo`, `drop`...)
/// and some container metadata events. Falco evaluates them; the
/// comparison leaves them out. Asked of sysdig itself (every event it
/// prints without a filter).
pub fn sysdig_hidden(capture: &Path) -> BTreeSet<u64> {
    let shown = sysdig_event_numbers(capture, "evt.num > 0").unwrap_or_default();
    let mut out = BTreeSet::new();
    let Ok(reader) = ScapReader::open(capture) else {
        return out;
    };
    for ev in reader.flatten() {
        if !shown.contains(&ev.num) {
            out.insert(ev.num);
        }
    }
    out
}

/// Our engine's matching event numbers for a condition.
pub fn our_nums(
    host: &AnalysisHost,
    capture: &Path,
    condition: &str,
) -> Result<BTreeSet<u64>, String> {
    let mut engine = Engine::from_condition(host, condition, "%evt.num")?;
    let mut reader = ScapReader::open(capture).map_err(|e| e.to_string())?;
    let mut set = BTreeSet::new();
    replay(&mut reader, &mut engine, |a| {
        set.insert(a.evt_num);
    })
    .map_err(|(_, e)| e.to_string())?;
    Ok(set)
}

/// Compares our numbers with sysdig's; a description of the difference.
pub fn diff(ours: &BTreeSet<u64>, theirs: &BTreeSet<u64>) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let only_ours: Vec<_> = ours.difference(theirs).take(8).collect();
    let only_theirs: Vec<_> = theirs.difference(ours).take(8).collect();
    Some(format!(
        "ours {} vs sysdig {} events; only ours: {only_ours:?}; only sysdig: {only_theirs:?}",
        ours.len(),
        theirs.len()
    ))
}

/// The displayable fields a condition reads (filter-only endpoint fields
/// replaced by the client and server fields they compare).
pub fn condition_fields(condition: &str) -> Vec<String> {
    let parsed = falconer_syntax::parse_condition(condition);
    let Some(expr) = parsed.expr else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for (f, _) in falconer_syntax::visit::fields(&expr) {
        let names: Vec<String> = match f.name.as_str() {
            "fd.ip" | "fd.net" => vec!["fd.cip".into(), "fd.sip".into()],
            "fd.port" | "fd.proto" => vec!["fd.cport".into(), "fd.sport".into()],
            _ => vec![f.joined()],
        };
        for n in names {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// The values of `fields` at the given events, rendered by sysdig and by
/// our engine: the events where some value differs (an extraction or
/// state divergence, covered field by field by the extraction
/// differential test, not an evaluation one).
/// With `endpoints_filter_only` (the condition uses `fd.ip`, `fd.port`,
/// `fd.net` or `fd.proto`), an event whose endpoint fields sysdig shows
/// as `<NA>` counts as differing too: sysdig 0.29's filter compares the
/// socket's raw endpoints, which libs 2022 filled from the `connect`
/// enter event (and kept after a failed connect) while its display
/// fields, and current libs, have none yet.
pub fn events_with_differing_values(
    host: &AnalysisHost,
    capture: &Path,
    fields: &[String],
    nums: &BTreeSet<u64>,
    endpoints_filter_only: bool,
) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    if fields.is_empty() || nums.is_empty() {
        return out;
    }
    let list = nums
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let cond = format!("evt.num in ({list})");
    let format = std::iter::once("%evt.num".to_string())
        .chain(fields.iter().map(|f| format!("%{f}")))
        .collect::<Vec<_>>()
        .join("\u{1}");
    let theirs = Command::new("sysdig")
        .arg("-r")
        .arg(capture)
        .args(["-p", &format!("*{format}"), &cond])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut sys: std::collections::BTreeMap<u64, String> = Default::default();
    for l in theirs.lines() {
        if let Some((n, rest)) = l.split_once('\u{1}') {
            if let Ok(n) = n.parse() {
                sys.insert(n, rest.to_string());
            }
        }
    }
    let mut ours: std::collections::BTreeMap<u64, String> = Default::default();
    if let Ok(mut engine) = Engine::from_condition(host, &cond, &format) {
        if let Ok(mut reader) = ScapReader::open(capture) {
            let _ = replay(&mut reader, &mut engine, |a| {
                let rest = a.output.split_once('\u{1}').map_or("", |x| x.1);
                ours.insert(a.evt_num, rest.to_string());
            });
        }
    }
    for n in nums {
        let unknown_endpoints = endpoints_filter_only
            && sys
                .get(n)
                .is_some_and(|l| l.split('\u{1}').all(|v| v == "<NA>"));
        if sys.get(n) != ours.get(n) || unknown_endpoints {
            out.insert(*n);
        }
    }
    out
}

/// Whether a condition uses the filter-only endpoint fields.
pub fn uses_endpoint_fields(condition: &str) -> bool {
    let parsed = falconer_syntax::parse_condition(condition);
    parsed.expr.is_some_and(|e| {
        falconer_syntax::visit::fields(&e)
            .iter()
            .any(|(f, _)| matches!(f.name.as_str(), "fd.ip" | "fd.port" | "fd.net" | "fd.proto"))
    })
}
