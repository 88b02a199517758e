//! Scenarios: what a built capture holds (read back through the reader
//! and the state, the engine's path), and the errors of bad scenarios.

use std::io::Cursor;
use std::sync::Arc;

use falconer_scap::state::State;
use falconer_scap::ScapReader;
use falconer_test::diag::SourceText;
use falconer_test::scenario::{self, build::split_image, parse_time};

fn build(text: &str) -> Vec<u8> {
    let src = Arc::new(SourceText::new("s.yaml", text));
    let s = scenario::parse_file(src).unwrap_or_else(|d| panic!("{d:?}"));
    scenario::build(&s).unwrap_or_else(|d| panic!("{d:?}"))
}

fn errors(text: &str) -> Vec<String> {
    let src = Arc::new(SourceText::new("s.yaml", text));
    match scenario::parse_file(src) {
        Err(d) => d.iter().map(|x| x.to_string()).collect(),
        Ok(s) => match scenario::build(&s) {
            Err(d) => d.iter().map(|x| x.to_string()).collect(),
            Ok(_) => Vec::new(),
        },
    }
}

/// What the state says about one event.
struct Row {
    ty: String,
    dir: char,
    tid: u64,
    comm: String,
    uid: u32,
    container: String,
    fd: String,
}

fn events(cap: &[u8]) -> Vec<Row> {
    let mut r = ScapReader::new(Cursor::new(cap)).unwrap();
    let mut st = State::from_reader_metadata(&r);
    let mut out = Vec::new();
    while let Some(ev) = r.next_event() {
        let ev = ev.unwrap();
        st.apply(&ev);
        let t = st.event_thread();
        out.push(Row {
            ty: ev.type_name().to_string(),
            dir: if ev.code % 2 == 0 { '>' } else { '<' },
            tid: ev.tid,
            comm: t
                .map(|t| String::from_utf8_lossy(&t.comm).into_owned())
                .unwrap_or_default(),
            uid: t.map_or(u32::MAX, |t| t.uid),
            container: t
                .map(|t| String::from_utf8_lossy(&t.container_id).into_owned())
                .unwrap_or_default(),
            fd: st
                .event_fd()
                .map(|(_, f)| String::from_utf8_lossy(&f.name).into_owned())
                .unwrap_or_default(),
        });
    }
    out
}

#[test]
fn spawn_is_clone_in_parent_and_child_then_execve() {
    let cap = build(
        "processes:\n  - {pid: 10, exe: /bin/bash, user: alice}\nevents:\n  - spawn: {pid: 11, ppid: 10, command: \"curl -s http://x\"}\n",
    );
    let ev = events(&cap);
    let shape: Vec<(String, char, u64, String)> = ev
        .iter()
        .map(|e| (e.ty.clone(), e.dir, e.tid, e.comm.clone()))
        .collect();
    assert_eq!(
        shape,
        [
            ("clone".into(), '>', 10, "bash".into()),
            ("clone".into(), '<', 10, "bash".into()),
            ("clone".into(), '<', 11, "bash".into()),
            ("execve".into(), '>', 11, "bash".into()),
            ("execve".into(), '<', 11, "curl".into()),
        ]
    );
    // alice was not declared: she gets uid 1000.
    assert!(ev.iter().all(|e| e.uid == 1000));
    let mut r = ScapReader::new(Cursor::new(&cap[..])).unwrap();
    let users = r.users().cloned().unwrap_or_default();
    assert!(users
        .users
        .iter()
        .any(|u| u.name == "alice" && u.uid == 1000));
    // pid 1 was added.
    assert!(r
        .processes()
        .iter()
        .any(|p| p.pid == 1 && p.comm == "systemd"));
    let _ = r.next_event();
}

#[test]
fn containers_give_cgroups_metadata_and_pid_namespaces() {
    let cap = build(
        r#"
containers:
  - {name: web, id: 3ad7b26ded6d, image: "quay.io/x/web:1.2@sha256:abc"}
processes:
  - {pid: 10, exe: /usr/bin/containerd-shim-runc-v2}
  - {pid: 11, ppid: 10, container: web, exe: /bin/sh}
events:
  - spawn: {pid: 12, ppid: 11, command: "id"}
"#,
    );
    let ev = events(&cap);
    // The container metadata event comes first.
    assert_eq!(ev[0].ty, "container");
    let child = ev.iter().find(|e| e.tid == 12).unwrap();
    assert_eq!(child.container, "3ad7b26ded6d");
    let host = ev.iter().find(|e| e.tid == 10);
    assert!(host.is_none(), "the shim does nothing here");
    let r = ScapReader::new(Cursor::new(&cap[..])).unwrap();
    let sh = r.processes().iter().find(|p| p.pid == 11).unwrap();
    assert_eq!(sh.vpid, 1, "the first process of a container is its pid 1");
    assert!(sh
        .cgroups
        .iter()
        .all(|c| c.contains("/docker/3ad7b26ded6d")));
    assert_eq!(comm("containerd-shim-runc-v2"), "containerd-shim");
}

fn comm(s: &str) -> String {
    scenario::comm_of(s)
}

#[test]
fn fds_follow_open_close_connect_and_accept() {
    let cap = build(
        r#"
processes:
  - {pid: 10, exe: /usr/sbin/nginx, cwd: /srv, fds: [{fd: 6, listen: "0.0.0.0:80"}]}
events:
  - open: {pid: 10, path: logs/access.log, flags: [O_WRONLY, O_APPEND]}
  - write: {pid: 10, path: /srv/logs/access.log, data: "x"}
  - close: {pid: 10, fd: 3}
  - accept: {pid: 10, from: "203.0.113.7:5000"}
  - connect: {pid: 10, to: "10.1.2.3:5432"}
"#,
    );
    let ev = events(&cap);
    let names: Vec<(&str, char, &str)> = ev
        .iter()
        .filter(|e| !e.fd.is_empty())
        .map(|e| (e.ty.as_str(), e.dir, e.fd.as_str()))
        .collect();
    assert!(
        names.contains(&("openat", '<', "/srv/logs/access.log")),
        "{names:?}"
    );
    assert!(
        names.contains(&("write", '<', "/srv/logs/access.log")),
        "{names:?}"
    );
    assert!(
        names.contains(&("accept", '<', "203.0.113.7:5000->10.0.0.5:80")),
        "{names:?}"
    );
    assert!(
        names.contains(&("connect", '<', "10.0.0.5:40000->10.1.2.3:5432")),
        "{names:?}"
    );
}

#[test]
fn times_images_and_commands() {
    assert_eq!(
        parse_time("2024-01-01T00:00:00Z"),
        Some(scenario::DEFAULT_START_NS)
    );
    assert_eq!(parse_time("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
    assert_eq!(parse_time("12345"), Some(12_345));
    assert_eq!(parse_time("2024-13-01T00:00:00Z"), None);
    assert_eq!(parse_time("2024-01-01 00:00:00"), None);
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(split_image("alpine"), s("alpine", "latest", ""));
    assert_eq!(
        split_image("docker.io/library/alpine:3.19"),
        s("docker.io/library/alpine", "3.19", "")
    );
    assert_eq!(
        split_image("localhost:5000/a/b"),
        s("localhost:5000/a/b", "latest", "")
    );
    assert_eq!(
        split_image("localhost:5000/a/b:v1@sha256:ff"),
        s("localhost:5000/a/b", "v1", "sha256:ff")
    );
    // Quoted command words stay together.
    let cap = build("processes: [{pid: 10, exe: /bin/sh}]\nevents:\n  - exec: {pid: 10, command: \"sh -c 'echo a b' x\"}\n");
    let mut r = ScapReader::new(Cursor::new(&cap[..])).unwrap();
    let mut st = State::from_reader_metadata(&r);
    while let Some(ev) = r.next_event() {
        st.apply(&ev.unwrap());
    }
    let t = st.thread(10).unwrap();
    let args: Vec<String> = t
        .args
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert_eq!(args, ["-c", "echo a b", "x"]);
}

#[test]
fn bad_scenarios_say_where() {
    insta::assert_snapshot!(
        "scenario_errors",
        [
            errors("processes: [{pid: 0, exe: /bin/sh}]\n"),
            errors("processes: [{pid: 5, ppid: 7, exe: /bin/sh}]\n"),
            errors("events:\n  - open: {pid: 1, path: /x, mode: 999}\n"),
            errors("events:\n  - open: {pid: 1, path: /x}\n    close: {pid: 1, fd: 3}\n"),
            errors("events:\n  - connect: {pid: 1, to: example.com:80}\n"),
            errors("events:\n  - close: {pid: 1, fd: 9}\n"),
            errors("events:\n  - spawn: {pid: 1, ppid: 1, command: \"sh -c 'x\"}\n"),
            errors("events:\n  - spawn: {pid: 2, ppid: 1, exe: /bin/sh, container: nope}\n"),
            errors("events:\n  - accept: {pid: 1, from: \"1.2.3.4:5\"}\n"),
            errors("users: [{name: root, uid: 5}]\nstart: yesterday\n"),
            errors("processes: [{pid: 3, exe: /bin/sh, fds: [{fd: 4}]}]\n"),
            errors("[]\n"),
            errors("events:\n  - open: {pid: 1, path: /x, syscall: opne}\n"),
            errors("events:\n  - chmod: {pid: 1, path: /x, mode: 644, syscall: chown}\n"),
            errors("events:\n  - unlink: {pid: 1, syscall: unlinkat}\n"),
        ]
        .iter()
        .map(|e| e.join("\n"))
        .collect::<Vec<_>>()
        .join("\n---\n")
    );
}
