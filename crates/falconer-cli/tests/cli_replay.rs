//! `falconer replay`: alerts as Falco prints them (text and JSON schema),
//! priority threshold and rule matching, `--condition` numbering, load
//! errors, corrupted and missing captures.

mod common;

use common::{bundled_rules, falconer, TempDir};
use falconer_engine::capgen::{write_capture, GenConfig};
use falconer_scap::ScapReader;
use std::path::{Path, PathBuf};

const PRIORITIES: [&str; 8] = [
    "Emergency",
    "Alert",
    "Critical",
    "Error",
    "Warning",
    "Notice",
    "Informational",
    "Debug",
];

fn capture(dir: &TempDir, events: u64) -> PathBuf {
    let path = dir.path().join("gen.scap");
    let f = std::fs::File::create(&path).unwrap();
    write_capture(
        std::io::BufWriter::new(f),
        &GenConfig {
            seed: 3,
            events,
            ..GenConfig::default()
        },
    )
    .unwrap();
    path
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn alerts_in_text_and_json() {
    let dir = TempDir::new("replay-alerts");
    let cap = capture(&dir, 20_000);
    let rules = p(&bundled_rules());
    let json = falconer(["replay", &p(&cap), "--rules", &rules, "--format", "json"]).run();
    json.expect_code(0);
    let alerts = json_lines(&json.stdout);
    assert!(!alerts.is_empty(), "no alert; stderr: {}", json.stderr);
    let names = [
        "Run Web Fetch Program in Container",
        "Shell Spawned in Container",
        "Write Below Etc",
        "Unexpected Outbound Connection",
        "Read Sensitive File",
    ];
    let mut last = 0;
    for a in &alerts {
        let obj = a.as_object().unwrap();
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        for k in [
            "evt_num",
            "time",
            "rule",
            "priority",
            "source",
            "tags",
            "output",
            "output_fields",
        ] {
            assert!(keys.contains(&k), "{k} missing in {a}");
        }
        let n = a["evt_num"].as_u64().unwrap();
        assert!(n >= last, "alerts in event order");
        last = n;
        assert!(a["time"].as_str().unwrap().ends_with('Z'));
        assert!(names.contains(&a["rule"].as_str().unwrap()), "{a}");
        assert!(PRIORITIES.contains(&a["priority"].as_str().unwrap()));
        assert_eq!(a["source"], "syscall");
        let fields = a["output_fields"].as_object().unwrap();
        assert!(fields.contains_key("evt.time"));
        assert!(
            fields.contains_key("container.id"),
            "suggested output fields"
        );
        let out = a["output"].as_str().unwrap();
        assert!(
            out.starts_with(fields["evt.time"].as_str().unwrap()),
            "{out}"
        );
        assert!(out.contains(&format!(": {} ", a["priority"].as_str().unwrap())));
    }
    let text = falconer(["replay", &p(&cap), "--rules", &rules]).run();
    text.expect_code(0);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), alerts.len());
    for (l, a) in lines.iter().zip(&alerts) {
        let b = l.as_bytes();
        assert!(
            b.len() > 20 && b[2] == b':' && b[5] == b':' && b[8] == b'.' && &l[18..20] == ": ",
            "{l}"
        );
        assert!(l[20..].starts_with(a["priority"].as_str().unwrap()), "{l}");
    }
}

#[test]
fn priority_threshold_and_rule_matching() {
    let dir = TempDir::new("replay-prio");
    let cap = capture(&dir, 20_000);
    let rules = p(&bundled_rules());
    let c = p(&cap);
    let count = |extra: &[&str]| {
        let mut args: Vec<String> = ["replay", &c, "--rules", &rules, "--format", "json"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let r = falconer(args).run();
        r.expect_code(0);
        json_lines(&r.stdout)
    };
    let all = count(&[]);
    let severe = count(&["--min-priority", "error"]);
    assert!(severe.len() <= all.len());
    for a in &severe {
        let i = PRIORITIES.iter().position(|p| *p == a["priority"]).unwrap();
        assert!(i <= 3, "{a}");
    }
    let every = count(&["--rule-matching", "all"]);
    assert!(every.len() >= all.len());
    // `first` gives at most one alert per event.
    let mut nums: Vec<u64> = all.iter().map(|a| a["evt_num"].as_u64().unwrap()).collect();
    let n = nums.len();
    nums.dedup();
    assert_eq!(nums.len(), n);
}

#[test]
fn condition_numbers_events_like_libsinsp() {
    let dir = TempDir::new("replay-cond");
    let cap = capture(&dir, 5_000);
    let r = falconer([
        "replay",
        &p(&cap),
        "--condition",
        "evt.type = execve and evt.dir = <",
        "--format",
        "json",
    ])
    .run();
    r.expect_code(0);
    let got: Vec<u64> = json_lines(&r.stdout)
        .iter()
        .map(|a| a["evt_num"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = ScapReader::open(&cap)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.name() == "execve" && e.dir_char() == '<')
        .map(|e| e.num)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    // The rules' macros are available to the condition.
    let r = falconer([
        "replay",
        &p(&cap),
        "--rules",
        &p(&bundled_rules()),
        "--condition",
        "spawned_process and evt.dir = <",
        "--format",
        "json",
    ])
    .run();
    r.expect_code(0);
    assert_eq!(json_lines(&r.stdout).len(), want.len());
    // A condition that does not compile.
    falconer(["replay", &p(&cap), "--condition", "proc.nam = x"])
        .run()
        .expect_code(1);
}

#[test]
fn load_errors_stop_before_replay() {
    let dir = TempDir::new("replay-load");
    let cap = capture(&dir, 1_000);
    let bad = dir.write(
        "bad.yaml",
        "- rule: Broken\n  desc: d\n  condition: proc.name = (\n  output: o\n  priority: INFO\n",
    );
    let r = falconer(["replay", &p(&cap), "--rules", &p(&bad)]).run();
    r.expect_code(1);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("refuse to start"), "{}", r.stderr);
    assert!(r.stderr.contains("bad.yaml"), "{}", r.stderr);
}

#[test]
fn corrupted_and_missing_captures() {
    let dir = TempDir::new("replay-corrupt");
    let cap = capture(&dir, 20_000);
    let rules = p(&bundled_rules());
    let full = falconer(["replay", &p(&cap), "--rules", &rules]).run();
    full.expect_code(0);
    let bytes = std::fs::read(&cap).unwrap();
    let cut = dir.write("cut.scap", &bytes[..bytes.len() * 2 / 3]);
    let r = falconer(["replay", &p(&cut), "--rules", &rules]).run();
    r.expect_code(2);
    assert!(r.stderr.contains("offset"), "{}", r.stderr);
    // The alerts before the corruption were printed: a prefix of the
    // full run's.
    assert!(full.stdout.starts_with(&r.stdout));
    let missing = falconer([
        "replay",
        &p(&dir.path().join("none.scap")),
        "--rules",
        &rules,
    ])
    .run();
    missing.expect_code(2);
    let garbage = dir.write("garbage.scap", b"not a capture at all");
    falconer(["replay", &p(&garbage), "--rules", &rules])
        .run()
        .expect_code(2);
    falconer(["replay", &p(&cap), "--rules", &rules])
        .close_stdout()
        .run()
        .expect_no_crash();
}
