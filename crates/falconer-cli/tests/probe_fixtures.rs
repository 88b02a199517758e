//! The eBPF-recorded fixtures of the bundled rules (rules/fixtures/, made
//! by scripts/record-fixtures): each gives the alerts `expected.yaml`
//! lists when replayed, and sysdig (when installed) matches the same
//! events as `falconer replay` for every bundled rule's expanded
//! condition. Needs no privileges.

mod probe_support;

use std::collections::BTreeMap;

use probe_support::*;

/// `file.scap: [Rule A, Rule B]` lines.
fn expected() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(fixtures_dir().join("expected.yaml")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (file, rest) = line.split_once(':').expect("file: [rules]");
        let list = rest.trim().trim_start_matches('[').trim_end_matches(']');
        let rules: Vec<String> = list
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        out.insert(file.trim().to_string(), rules);
    }
    out
}

#[test]
fn every_fixture_is_listed_and_gives_its_alerts() {
    let exp = expected();
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".scap"))
        .collect();
    on_disk.sort();
    let listed: Vec<String> = exp.keys().cloned().collect();
    assert_eq!(on_disk, listed, "fixtures on disk vs expected.yaml");
    assert!(listed.len() >= 10);
    let mut fired = 0;
    for (file, rules) in &exp {
        let path = fixtures_dir().join(file);
        let out = replay_json(&path);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = json_alerts(&out.stdout)
            .iter()
            .map(|a| a["rule"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(&got, rules, "{file}");
        fired += got.len();
    }
    assert!(fired >= 6, "the fixtures show every bundled rule firing");
}

#[test]
fn container_fixtures_carry_the_container_and_image() {
    let out = replay_json(&fixtures_dir().join("web_fetch_curl_container.scap"));
    let alerts = json_alerts(&out.stdout);
    assert_eq!(alerts.len(), 1);
    let f = &alerts[0]["output_fields"];
    assert_eq!(f["container.id"], "3ad7b26ded6d");
    assert_eq!(f["container.image.repository"], "docker.io/library/debian");
    assert_eq!(f["proc.cmdline"], "curl --version");
    assert_eq!(f["proc.pname"], "falconer");
}

#[test]
fn sysdig_matches_the_same_events_on_every_fixture() {
    if !sysdig_available() {
        eprintln!(
            "skipped: sysdig is not installed (apt-get install -y --no-install-recommends sysdig; scripts/test does it)"
        );
        return;
    }
    let exp = expected();
    let mut fired_somewhere: BTreeMap<String, usize> = BTreeMap::new();
    for file in exp.keys() {
        for (rule, nums) in compare_with_sysdig(&fixtures_dir().join(file)) {
            *fired_somewhere.entry(rule).or_default() += nums.len();
        }
    }
    // Not vacuous: every bundled rule's condition matches in some fixture.
    for (rule, n) in &fired_somewhere {
        assert!(*n > 0, "no fixture matches the condition of '{rule}'");
    }
    assert_eq!(fired_somewhere.len(), 5);
}
