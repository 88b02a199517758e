//! `cargo bench -p falconer-test`: the time of the bundled suite
//! (`rules/`) and of a generated 1,000-case suite (goal: under 2 s on 2
//! cores), each as load (read test files, build the scenario captures,
//! analyse the rules, check the cases) plus run (2 threads), best of a
//! few rounds. Prints figures; asserts nothing.
//!
//! The generated suite is written under `target/falconer-bench/`: one
//! test file per 100 cases, each case an inline scenario (a container or
//! a host session, a process tree, 6-12 system calls) with expectations
//! about the bundled rules.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use falconer_test::run::{run, RunOptions};
use falconer_test::suite::{load, Filter};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("falconer-bench")
}

/// splitmix64.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One generated case: (yaml text of the case, at 2 spaces indent).
fn case(i: usize, rng: &mut Rng) -> String {
    let mut s = String::new();
    let kind = rng.below(5);
    let in_container = rng.below(3) != 0;
    let image = [
        "docker.io/library/alpine:3.19",
        "ghcr.io/example/api:2",
        "registry.example.com/ci/builder:7",
    ][rng.below(3) as usize];
    let _ = writeln!(s, "  - name: generated case {i}");
    let _ = writeln!(s, "    scenario:");
    if in_container {
        let _ = writeln!(s, "      containers: [{{name: c{i}, image: \"{image}\"}}]");
    }
    let _ = writeln!(s, "      processes:");
    let _ = writeln!(
        s,
        "        - {{pid: 100, exe: /usr/bin/containerd-shim-runc-v2}}"
    );
    let parent = [
        "/bin/sh",
        "/usr/sbin/nginx",
        "/usr/bin/python3",
        "/usr/bin/tini",
    ][rng.below(4) as usize];
    if in_container {
        let _ = writeln!(
            s,
            "        - {{pid: 110, ppid: 100, container: c{i}, exe: {parent}}}"
        );
    } else {
        let _ = writeln!(s, "        - {{pid: 110, ppid: 100, exe: {parent}}}");
    }
    let _ = writeln!(s, "      events:");
    let prog = [
        "curl -s http://203.0.113.9/a",
        "wget http://x/y",
        "ls -l",
        "sh -c id",
        "apt-get update",
        "cat /etc/shadow",
    ][kind as usize % 6];
    let _ = writeln!(
        s,
        "        - spawn: {{pid: 120, ppid: 110, command: \"{prog}\"}}"
    );
    let extra = 2 + rng.below(4);
    for k in 0..extra {
        match rng.below(5) {
            0 => {
                let _ = writeln!(s, "        - open: {{pid: 120, path: /etc/app{k}.conf, flags: [O_WRONLY, O_CREAT]}}");
            }
            1 => {
                let _ = writeln!(s, "        - open: {{pid: 120, path: /var/lib/app/f{k}}}");
            }
            2 => {
                let _ = writeln!(
                    s,
                    "        - connect: {{pid: 120, to: \"10.0.{k}.7:5432\"}}"
                );
            }
            3 => {
                let _ = writeln!(
                    s,
                    "        - connect: {{pid: 120, to: \"198.51.100.{k}:443\"}}"
                );
            }
            _ => {
                let _ = writeln!(s, "        - open: {{pid: 120, path: /etc/hosts}}");
            }
        }
    }
    let _ = writeln!(s, "        - exit: {{pid: 120}}");
    let _ = writeln!(s, "    rule_matching: all");
    let _ = writeln!(s, "    expect:");
    // Expectations that hold whatever the draw: bounds wide enough, and
    // one exact count the generator knows.
    let fetch = in_container && kind <= 1 && !image.starts_with("registry.example.com/ci/");
    let _ = writeln!(
        s,
        "      - {{rule: Run Web Fetch Program in Container, count: {}}}",
        u8::from(fetch)
    );
    let _ = writeln!(s, "      - {{rule: Write Below Etc, at_most: 10}}");
    let _ = writeln!(
        s,
        "      - {{rule: Unexpected Outbound Connection, at_most: 10}}"
    );
    s
}

fn generate(n: usize) -> PathBuf {
    let dir = target_dir().join(format!("suite-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rules = root().join("rules/falconer_rules.yaml");
    let rules = std::fs::canonicalize(rules).unwrap();
    let mut rng = Rng(42);
    for f in 0..n.div_ceil(100) {
        let mut text = format!("rules: [{}]\ncases:\n", rules.display());
        for i in f * 100..((f + 1) * 100).min(n) {
            text.push_str(&case(i, &mut rng));
        }
        std::fs::write(dir.join(format!("gen{f:03}.yaml")), text).unwrap();
    }
    dir
}

fn measure(label: &str, path: &Path, rounds: usize) {
    let mut best: Option<(Duration, Duration, usize, usize)> = None;
    for _ in 0..rounds {
        let t = Instant::now();
        let s = load(&[path.to_path_buf()], &Filter::default(), &[]);
        let load_time = t.elapsed();
        assert!(
            s.diagnostics.is_empty(),
            "{:?}",
            &s.diagnostics[..s.diagnostics.len().min(3)]
        );
        let t = Instant::now();
        let r = run(
            &s,
            &RunOptions {
                jobs: 2,
                coverage: false,
            },
        );
        let run_time = t.elapsed();
        assert_eq!(r.failed(), 0, "{label}: a generated case failed");
        let total = load_time + run_time;
        if best.is_none_or(|b| total < b.0 + b.1) {
            best = Some((
                load_time,
                run_time,
                s.cases.len(),
                r.results.iter().map(|x| x.events as usize).sum(),
            ));
        }
    }
    let (l, r, n, ev) = best.unwrap();
    println!(
        "{label}: {n} cases ({ev} events): load {:.0} ms + run {:.0} ms = {:.0} ms  ({:.2} ms/case, 2 threads)",
        l.as_secs_f64() * 1e3,
        r.as_secs_f64() * 1e3,
        (l + r).as_secs_f64() * 1e3,
        (l + r).as_secs_f64() * 1e3 / n as f64
    );
}

fn main() {
    // `cargo test --benches` runs this without --bench: one quick round.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 1 } else { 5 };
    measure("bundled suite (rules/)", &root().join("rules"), rounds);
    let n = if quick { 100 } else { 1000 };
    let dir = generate(n);
    measure(&format!("generated suite ({n} cases)"), &dir, rounds);
}
