//! The 14 reference captures of `../shared/captures`: every one is read to
//! the end, and, where Debian's sysdig is installed, compared event by
//! event with `sysdig -r`.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::{captures_or_skip, CAPTURES};
use falconer_scap::{block_types as bt, Block, ParamValue, ScapReader};

#[test]
fn every_capture_reads_to_the_end() {
    let Some(dir) = captures_or_skip("every_capture_reads_to_the_end") else {
        return;
    };
    for cap in &CAPTURES {
        let path = dir.join(cap.path);
        let mut r = ScapReader::open(&path).unwrap_or_else(|e| panic!("{}: {e}", cap.path));
        assert!(r.is_gzip(), "{}", cap.path);
        assert!(!r.processes().is_empty(), "{}", cap.path);
        assert!(
            r.processes().iter().all(|t| t.version == cap.pl_version),
            "{}",
            cap.path
        );
        assert_eq!(r.fds().len(), r.processes().len(), "{}", cap.path);
        assert!(r.machine_info().is_some(), "{}", cap.path);
        assert!(!r.interfaces().is_empty(), "{}", cap.path);
        assert!(
            r.users().is_some_and(|u| !u.users.is_empty()),
            "{}",
            cap.path
        );

        let mut n = 0u64;
        let mut late_meta = 0;
        let mut malformed = 0;
        let mut last_ts = 0;
        let mut state_only = 0;
        while let Some(b) = r.next_block() {
            match b.unwrap_or_else(|e| panic!("{}: {e}", cap.path)) {
                Block::Event(e) => {
                    n += 1;
                    assert_eq!(e.num, n);
                    let v1 = [bt::EV, bt::EVF, bt::EV_INT].contains(&e.block_type);
                    assert_eq!(v1, cap.v1_events, "{} event {}", cap.path, e.num);
                    // Every parameter decodes to a value of its type.
                    for p in e.params() {
                        if matches!(p.value(), ParamValue::Malformed(_)) {
                            malformed += 1;
                        }
                    }
                    // The table has at least as many parameters as stored.
                    let info = e.info().expect("known code");
                    assert!(e.nparams() <= info.params.len(), "{} #{}", cap.path, e.num);
                    // JSON lines are valid JSON.
                    let j: serde_json::Value =
                        serde_json::from_str(&falconer_scap::dump::event_json(&e)).unwrap();
                    assert_eq!(j["num"], e.num);
                    if e.ts != 0 {
                        last_ts = last_ts.max(e.ts);
                    }
                    state_only += e.is_state_only() as u32;
                }
                Block::SkippedEvent { .. } | Block::Unknown { .. } => {
                    panic!("{}: unexpected skipped block", cap.path)
                }
                _ => late_meta += 1,
            }
        }
        assert_eq!(n, cap.events, "{}", cap.path);
        assert_eq!(r.events_read(), cap.events);
        assert_eq!(late_meta, 0, "{}", cap.path);
        assert_eq!(malformed, 0, "{}", cap.path);
        // Timestamps are ns since the epoch (2016–2019 here).
        assert!(last_ts > 1_400_000_000_000_000_000, "{}", cap.path);
        eprintln!(
            "{}: {n} events ({state_only} state-only), {} processes",
            cap.path,
            r.processes().len()
        );
    }
}

#[test]
fn comments_capture_exposes_its_pcapng_comment() {
    let Some(dir) = captures_or_skip("comments_capture_exposes_its_pcapng_comment") else {
        return;
    };
    let plain = ScapReader::open(dir.join("libs/curl_google.scap")).unwrap();
    let with = ScapReader::open(dir.join("libs/curl_google_comments.scap")).unwrap();
    assert!(plain.header().options.is_empty());
    assert!(!with.header().options.is_empty());
    assert!(with.header().comments().count() >= 1);
    // Same events otherwise.
    let a: Vec<_> = plain.map(|e| e.unwrap()).collect();
    let b: Vec<_> = with.map(|e| e.unwrap()).collect();
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x.same_content(y)));
}

#[test]
fn curl_execve_exit_is_event_211() {
    let Some(dir) = captures_or_skip("curl_execve_exit_is_event_211") else {
        return;
    };
    let r = ScapReader::open(dir.join("libs/curl_google.scap")).unwrap();
    let e = r.map(|e| e.unwrap()).nth(210).unwrap();
    assert_eq!(e.num, 211);
    assert_eq!((e.name(), e.dir_char()), ("execve", '<'));
    assert_eq!(e.value("exe"), Some(ParamValue::Str(b"curl")));
    assert_eq!(e.value("ptid"), Some(ParamValue::Pid(3200)));
    assert_eq!(e.value("cwd"), Some(ParamValue::Str(b"/home/ubuntu")));
    let args = e.value("args").unwrap();
    assert_eq!(
        args.nul_list().unwrap(),
        [b"-6".as_slice(), b"http://www.google.com".as_slice()]
    );
    assert_eq!(e.block_type, bt::EV);
}

#[test]
fn container_json_event() {
    let Some(dir) = captures_or_skip("container_json_event") else {
        return;
    };
    let mut r = ScapReader::open(dir.join("falco-trace-files/psp_privileged.scap")).unwrap();
    let e = r
        .find(|e| e.as_ref().is_ok_and(|e| e.name() == "container"))
        .unwrap()
        .unwrap();
    let json = e
        .value("json")
        .unwrap()
        .as_str_lossy()
        .unwrap()
        .into_owned();
    let v: serde_json::Value = serde_json::from_str(json.trim_end()).unwrap();
    assert_eq!(v["container"]["privileged"], true);
    assert_eq!(e.tid_i64(), -1);
}

#[test]
fn ipv6_tuples_decode() {
    let Some(dir) = captures_or_skip("ipv6_tuples_decode") else {
        return;
    };
    let r = ScapReader::open(dir.join("libs/single_ipv6_conn.scap")).unwrap();
    let mut tuples = 0;
    for e in r {
        let e = e.unwrap();
        if let Some(ParamValue::SockTuple(t)) = e.value("tuple") {
            if matches!(t, falconer_scap::SockTuple::Inet6 { .. }) {
                tuples += 1;
            }
        }
    }
    assert!(tuples > 0);
}

/// Event by event against Debian's sysdig 0.29.3 (`sysdig -D -r F`):
/// numbers, types, threads and cpus of every event; the return value of
/// exit events (`evt.rawres`); and absolute `name` parameters.
#[test]
fn same_events_as_sysdig() {
    let Some(dir) = captures_or_skip("same_events_as_sysdig") else {
        return;
    };
    if Command::new("sysdig").arg("--version").output().is_err() {
        eprintln!(
            "same_events_as_sysdig: skipped: sysdig is not installed \
             (apt-get install -y --no-install-recommends sysdig)"
        );
        return;
    }
    for cap in &CAPTURES {
        let path = dir.join(cap.path);
        let out = Command::new("sysdig")
            .args(["-D", "-r"])
            .arg(&path)
            .args([
                "-p",
                "*#%evt.num #%evt.type #%thread.tid #%evt.cpu #%evt.rawres #%evt.arg.name",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut theirs: HashMap<u64, Vec<String>> = HashMap::new();
        for line in text.lines().filter(|l| l.starts_with('#')) {
            let f: Vec<String> = line[1..].split(" #").map(str::to_string).collect();
            if f.len() == 6 {
                if let Ok(n) = f[0].parse() {
                    theirs.insert(n, f);
                }
            }
        }
        if !cap.sysdig_reads {
            assert!(theirs.is_empty(), "{}: sysdig now reads it", cap.path);
            eprintln!(
                "{}: sysdig 0.29.3 cannot read it (pcapng options)",
                cap.path
            );
            continue;
        }
        let ours: Vec<_> = ScapReader::open(&path)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        let max = theirs.keys().copied().max().unwrap_or(0);
        assert_eq!(max, ours.len() as u64, "{}: last evt.num", cap.path);
        let (mut types, mut res, mut names) = (0, 0, 0);
        for e in &ours {
            // Container events are logged, not printed, by sysdig -D.
            let Some(f) = theirs.get(&e.num) else {
                assert_eq!(e.name(), "container", "{} #{}", cap.path, e.num);
                continue;
            };
            let ty = e.type_name();
            // Generic events: current libs renamed ppm_sc 298 (sigreturn →
            // rt_sigreturn) and 0 (<unknown> → unknown).
            let same_type = f[1] == ty
                || (f[1] == "sigreturn" && ty == "rt_sigreturn")
                || (f[1] == "<unknown>" && ty == "unknown");
            assert!(same_type, "{} #{}: {} vs {ty}", cap.path, e.num, f[1]);
            types += 1;
            assert_eq!(f[2], e.tid_i64().to_string(), "{} #{}", cap.path, e.num);
            assert_eq!(f[3], e.cpu.to_string(), "{} #{}", cap.path, e.num);
            if f[4] != "<NA>" {
                let v = e.param(0).map(|p| p.value()).and_then(|v| v.as_i64());
                assert_eq!(
                    Some(f[4].clone()),
                    v.map(|v| v.to_string()),
                    "{} #{}",
                    cap.path,
                    e.num
                );
                res += 1;
            }
            if let Some(ParamValue::Str(n)) = e.value("name") {
                if n.starts_with(b"/") {
                    assert_eq!(f[5].as_bytes(), n, "{} #{}", cap.path, e.num);
                    names += 1;
                }
            }
        }
        eprintln!(
            "{}: {} events, {types} types, {res} return values, {names} names equal to sysdig's",
            cap.path,
            ours.len()
        );
    }
}
