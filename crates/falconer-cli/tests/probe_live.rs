//! `falconer probe` live: needs root (or CAP_BPF + CAP_PERFMON), kernel
//! BTF and eBPF permission; every test prints why it skips elsewhere.
//!
//! Container context comes from hand-made docker-named cgroups, and
//! `falconer` itself runs in a `*.scope` child of this process's memory
//! cgroup where that cgroup looks like a container (see
//! `falconer_probe::testenv`). Every cgroup made is removed.

mod probe_support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use falconer_probe::testenv::{container_id, skip_reason, Cgroups};
use probe_support::*;

/// Probe sessions of this binary run one at a time.
static LOCK: Mutex<()> = Mutex::new(());

fn guard() -> Option<std::sync::MutexGuard<'static, ()>> {
    let g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    match skip_reason() {
        None => Some(g),
        Some(r) => {
            eprintln!("skipped: the eBPF probe cannot run here: {r}");
            None
        }
    }
}

fn host_scope(tag: &str) -> Cgroups {
    Cgroups::host_scope(&format!("falconer-test-{tag}-{}", std::process::id()))
        .expect("a host-scope memory cgroup")
}

/// `falconer ARGS...` run inside `scope`.
fn falconer_in(scope: &Cgroups, args: &[String]) -> Vec<String> {
    let mut argv = vec![BIN.to_string()];
    argv.extend(args.iter().cloned());
    let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
    scope.wrap(&refs)
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn web_fetch_in_a_docker_named_cgroup_alerts_with_the_container_id() {
    let Some(_g) = guard() else { return };
    let scope = host_scope("fetch");
    let id = container_id("probe-live-web-fetch");
    let docker = Cgroups::docker(&id).unwrap();
    let mut args = s(&["probe", "--rules"]);
    args.push(rules_dir().display().to_string());
    args.extend(s(&["--format", "json", "--"]));
    args.extend(docker.wrap_quiet(&["/usr/bin/curl", "--version"]));
    let out = run_timeout(&falconer_in(&scope, &args), Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let alerts = json_alerts(&out.stdout);
    let fetch: Vec<_> = alerts
        .iter()
        .filter(|a| a["rule"] == "Run Web Fetch Program in Container")
        .collect();
    assert_eq!(fetch.len(), 1, "alerts: {alerts:?}\n{stderr}");
    let f = &fetch[0]["output_fields"];
    assert_eq!(f["container.id"], id[..12], "{f}");
    assert_eq!(f["proc.cmdline"], "curl --version");
    assert_eq!(alerts.len(), 1, "only the web fetch alert: {alerts:?}");
    assert!(stderr.contains(" 0 drops"), "{stderr}");
    assert!(stderr.contains("command exited with 0"), "{stderr}");
    drop(docker);
}

#[test]
fn web_fetch_on_the_host_gives_no_alert() {
    let Some(_g) = guard() else { return };
    let scope = host_scope("host");
    let mut args = s(&["probe", "--rules"]);
    args.push(rules_dir().display().to_string());
    args.extend(s(&["--format", "json", "--"]));
    args.extend(Cgroups::default().wrap_quiet(&["/usr/bin/curl", "--version"]));
    let out = run_timeout(&falconer_in(&scope, &args), Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        json_alerts(&out.stdout),
        Vec::<serde_json::Value>::new(),
        "{stderr}"
    );
    // The capture did see curl's exec.
    assert!(stderr.contains("command exited with 0"), "{stderr}");
}

/// One recording where every bundled rule fires: live alerts equal the
/// replay's, and sysdig agrees with `falconer replay` on every rule's
/// expanded condition.
#[test]
fn recording_replays_like_the_live_run_and_like_sysdig() {
    let Some(_g) = guard() else { return };
    let scope = host_scope("record");
    let id = container_id("probe-live-record");
    let docker = Cgroups::docker(&id).unwrap();
    let into_container: String = docker
        .procs_files()
        .iter()
        // `\$\$`: expanded by the inner shell (inside double quotes).
        .map(|f| format!("echo \\$\\$ > '{}' && ", f.display()))
        .collect();
    let script = format!(
        "cat /etc/shadow > /dev/null; \
         unshare --mount --propagation private /bin/sh -c 'mount -t tmpfs t /etc && echo x > /etc/falconer-test.conf'; \
         /bin/sh -c \"{into_container}exec /usr/bin/curl --version\" > /dev/null; \
         /bin/sh -c \"{into_container}exec /usr/bin/python3 -c 'import subprocess; subprocess.run([\\\"/bin/sh\\\", \\\"-c\\\", \\\"true\\\"])'\"; \
         /bin/sh -c \"{into_container}exec /usr/bin/python3 -c 'import socket; s = socket.socket(); s.setblocking(False); s.connect_ex((\\\"203.0.113.9\\\", 80))'\""
    );
    let dir = std::env::temp_dir().join(format!("falconer-probe-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rec = dir.join("all.scap");
    let mut args = s(&["probe", "--rules"]);
    args.push(rules_dir().display().to_string());
    args.extend(s(&["--format", "json", "--record"]));
    args.push(rec.display().to_string());
    args.extend(s(&["--", "/bin/sh", "-c"]));
    args.push(script);
    let out = run_timeout(&falconer_in(&scope, &args), Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let live = json_alerts(&out.stdout);
    let mut rules: Vec<String> = live
        .iter()
        .map(|a| a["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    rules.dedup();
    assert_eq!(
        rules,
        vec![
            "Read Sensitive File",
            "Run Web Fetch Program in Container",
            "Shell Spawned in Container",
            "Unexpected Outbound Connection",
            "Write Below Etc"
        ],
        "{stderr}"
    );

    // The recording replays to the very same alerts.
    let replayed = replay_json(&rec);
    assert!(replayed.status.success());
    assert_eq!(json_alerts(&replayed.stdout), live);

    if sysdig_available() {
        let per_rule = compare_with_sysdig(&rec);
        assert!(per_rule.iter().all(|(_, n)| !n.is_empty()), "{per_rule:?}");
    } else {
        eprintln!("sysdig comparison skipped: sysdig is not installed");
    }
    drop(docker);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_privileges_the_probe_says_which_and_exits_2() {
    let Some(_g) = guard() else { return };
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: setpriv (util-linux) is not installed");
        return;
    }
    let out = run_timeout(
        &[
            "setpriv".into(),
            "--reuid=65534".into(),
            "--regid=65534".into(),
            "--clear-groups".into(),
            "--inh-caps=-all".into(),
            BIN.into(),
            "probe".into(),
            "--rules".into(),
            rules_dir().display().to_string(),
            "--".into(),
            "/usr/bin/true".into(),
        ],
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot run the probe here: permission:")
            && stderr.contains("CAP_BPF and CAP_PERFMON"),
        "{stderr}"
    );
}

/// A machine-wide capture stops cleanly on SIGTERM (report printed,
/// nothing left attached).
#[test]
fn sigterm_detaches_cleanly() {
    let Some(_g) = guard() else { return };
    let mut child = KillOnDrop(
        Command::new(BIN)
            .args(["probe", "--rules"])
            .arg(rules_dir())
            .args(["--format", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Wait for the start message.
    let mut err = child.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        let mut buf = [0u8; 4096];
        loop {
            match err.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    all.push_str(&String::from_utf8_lossy(&buf[..n]));
                    let _ = tx.send(all.clone());
                }
            }
        }
    });
    let start = Instant::now();
    let mut text = String::new();
    // The whole start line (stderr may arrive in pieces).
    let started = |t: &str| {
        t.split_inclusive('\n')
            .any(|l| l.contains("attached") && l.ends_with('\n'))
    };
    while !started(&text) {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(t) => text = t,
            Err(_) => break,
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no start message: {text}"
        );
    }
    assert!(text.contains("capturing the whole machine"), "{text}");
    assert!(
        falconer_probe::loader::loaded_probe_programs()
            >= falconer_probe::loader::program_names().count()
    );
    // Some activity to capture.
    let _ = Command::new("/usr/bin/true").status();
    // SAFETY: signalling our own child.
    unsafe { libc_kill(child.0.id() as i32, 15) };
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    while let Ok(t) = rx.recv_timeout(Duration::from_millis(500)) {
        text = t;
    }
    assert!(status.success(), "{text}");
    assert!(
        text.contains("falconer: probe: ") && text.contains(" drops"),
        "{text}"
    );
    assert!(no_probe_programs_left(), "{text}");
}

#[test]
fn duration_ends_the_capture() {
    let Some(_g) = guard() else { return };
    let t = Instant::now();
    let out = run_timeout(
        &[
            BIN.into(),
            "probe".into(),
            "--rules".into(),
            rules_dir().display().to_string(),
            "--duration".into(),
            "1.5".into(),
            "--stats".into(),
        ],
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(t.elapsed() >= Duration::from_millis(1500));
    // --stats printed at least one periodic line, then the report.
    assert!(stderr.contains("events/s ("), "{stderr}");
    assert!(
        stderr.lines().last().unwrap().contains(" drops"),
        "{stderr}"
    );
    assert!(no_probe_programs_left());
}

/// A child killed when the test ends, even by a failed assertion (a
/// machine-wide capture left running would fail every later live test).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The kernel frees closed programs after an RCU grace period: wait a
/// little for the count to reach 0.
fn no_probe_programs_left() -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if falconer_probe::loader::loaded_probe_programs() == 0 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn bad_arguments_fail_before_loading() {
    let out = run_timeout(
        &s(&[
            BIN,
            "probe",
            "--rules",
            "/nonexistent/rules",
            "--",
            "/usr/bin/true",
        ]),
        Duration::from_secs(30),
    );
    assert_ne!(out.status.code(), Some(0));
    let out = run_timeout(
        &s(&[BIN, "probe", "--duration", "0", "--rules", "x"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be positive"));
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
