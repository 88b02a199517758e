//! Live capture throughput and exec overhead: `cargo bench -p
//! falconer-probe` (root and kernel BTF; prints why it skips elsewhere).
//!
//! 1. Open/close storm: a command whose threads open and close /dev/null
//!    in a loop, captured with the bundled rules (the full pipeline:
//!    kernel records → scap events → state → rules), with 1 and 2
//!    producer threads: sustained events/s and drops.
//! 2. Exec storm: a command spawning /bin/true in a loop.
//! 3. Exec overhead: the time to spawn and reap /bin/true in a loop, as a
//!    plain process and as the command of a capture, side by side (three
//!    interleaved rounds).
//!
//! "Events" are the kernel's records, one per system call or process
//! event (what current Falco drivers deliver); the scap events written
//! for them (a state-only enter event plus the exit for system calls)
//! are printed too. Goals: ≥ 500,000 events/s with 0 drops on 2 cores,
//! ≤ 10% exec overhead. Prints figures; asserts nothing.
//!
//! 4. Consumer alone: the open/close storm's records (built here, in the
//!    kernel's layout) through conversion, state and rules, without the
//!    kernel: CPU time per record (needs no privileges; barely moves with
//!    the machine's load, unlike the live figures).
//!
//! `FALCONER_BENCH_SECS` sets each storm's length (default 3);
//! `FALCONER_BENCH_ONLY=open|exec|overhead|consumer` runs one part.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use std::sync::Arc;
use std::time::{Duration, Instant};

use falconer_analysis::{AnalysisHost, Config};
use falconer_engine::engine::{Alert, Engine, Options};
use falconer_probe::session::{self, Observer};

/// The allocator of the `falconer` binary (crates/falconer-cli), so that
/// the figures are those of `falconer replay` / `falconer probe`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Quiet {
    alerts: u64,
}

impl Observer for Quiet {
    fn alert(&mut self, _: &Alert) {
        self.alerts += 1;
    }
}

fn bundled_engine() -> Engine {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let path = dir.join("falconer_rules.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut host = AnalysisHost::new(Config::default());
    host.set_files(vec![(path.display().to_string(), text)]);
    Engine::from_analysis(&host, &Options::default())
}

/// The producer side (this binary re-run with `--storm`).
fn storm(kind: &str, secs: f64, threads: usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut hs = Vec::new();
    for _ in 0..threads {
        let stop = stop.clone();
        let kind = kind.to_string();
        hs.push(std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                match kind.as_str() {
                    "open" => {
                        for _ in 0..1000 {
                            // SAFETY: open/close of a constant path.
                            unsafe {
                                let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
                                libc::close(fd);
                            }
                        }
                        n += 1000;
                    }
                    _ => {
                        let _ = true_cmd().status();
                        n += 1;
                    }
                }
            }
            n
        }));
    }
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let total: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
    eprintln!("storm {kind}: {total} iterations");
}

fn run_storm(label: &str, kind: &str, secs: f64, threads: usize) {
    let exe = std::env::current_exe().unwrap();
    let mut engine = bundled_engine();
    let opts = session::Options {
        command: Some(vec![
            exe.into_os_string(),
            "--storm".into(),
            kind.into(),
            format!("{secs}").into(),
            format!("{threads}").into(),
        ]),
        // FALCONER_BENCH_RECORD=FILE keeps a storm's events (inspection).
        record: std::env::var_os("FALCONER_BENCH_RECORD").map(PathBuf::from),
        ..session::Options::default()
    };
    let mut obs = Quiet { alerts: 0 };
    let t = Instant::now();
    let producers0 = children_cpu();
    let r = match session::run(&mut engine, &opts, &mut obs) {
        Ok(r) => r,
        Err(e) => {
            println!("{label}: failed: {e}");
            return;
        }
    };
    let wall = t.elapsed();
    // The producers' CPU time (user + system: their system calls and the
    // probe's kernel programs, which run in their context), per event:
    // with the consumer's, what an event costs whatever else the machine
    // runs.
    let producers = children_cpu().saturating_sub(producers0);
    println!(
        "{:<18} {} producer(s): {:>9.0} events/s ({:>9} events in {:.2} s; {:>9.0} scap events/s), drops {} ({:.1}%), alerts {}, consumer {:.2} us/event busy {:.0}% (CPU time {:.2} us/event), producers' CPU time {:.2} us/event, setup {:.2} s",
        label,
        threads,
        r.records_per_sec(),
        r.records,
        r.elapsed.as_secs_f64(),
        r.events_per_sec(),
        r.drops(),
        100.0 * r.drops() as f64 / (r.records + r.drops()).max(1) as f64,
        obs.alerts,
        r.busy.as_secs_f64() * 1e6 / r.records.max(1) as f64,
        100.0 * r.busy.as_secs_f64() / r.elapsed.as_secs_f64().max(1e-9),
        r.cpu.as_secs_f64() * 1e6 / r.records.max(1) as f64,
        producers.as_secs_f64() * 1e6 / r.records.max(1) as f64,
        wall.as_secs_f64() - r.elapsed.as_secs_f64(),
    );
}

/// `/bin/true` with a plain environment (cargo's LD_LIBRARY_PATH would
/// make the loader try dozens of directories first).
fn true_cmd() -> std::process::Command {
    let mut c = std::process::Command::new("/bin/true");
    c.env_clear().env("PATH", "/usr/bin:/bin");
    c
}

/// CPU time (user + system) of this process and its waited-for children.
fn process_tree_cpu() -> Duration {
    rusage_cpu(&[libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN])
}

/// CPU time (user + system) of the waited-for children.
fn children_cpu() -> Duration {
    rusage_cpu(&[libc::RUSAGE_CHILDREN])
}

fn rusage_cpu(whos: &[libc::c_int]) -> Duration {
    let mut total = Duration::ZERO;
    for &who in whos {
        // SAFETY: getrusage writes the struct it is given.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut ru) } == 0 {
            for t in [ru.ru_utime, ru.ru_stime] {
                total += Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
            }
        }
    }
    total
}

/// Wall and CPU time (this loop and the children) per spawn, in us.
fn spawn_true_us(n: usize) -> (f64, f64) {
    // Warm up.
    for _ in 0..20 {
        let _ = true_cmd().status();
    }
    let t = Instant::now();
    let c0 = process_tree_cpu();
    for _ in 0..n {
        let _ = true_cmd().status();
    }
    let cpu = process_tree_cpu().saturating_sub(c0);
    (
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        cpu.as_secs_f64() * 1e6 / n as f64,
    )
}

/// This binary re-run with `--spawn-loop N FILE`: writes the wall and
/// CPU time per spawn of /bin/true to FILE.
fn spawn_loop_child(n: usize, out: &str) {
    let (wall, cpu) = spawn_true_us(n);
    std::fs::write(out, format!("{wall} {cpu}")).unwrap();
}

/// One spawn loop's figures, per spawn (us).
struct Spawns {
    wall: f64,
    /// CPU time of the loop and its children (the probe's kernel programs
    /// run in their context).
    cpu: f64,
    /// CPU time of the capture's draining thread.
    consumer: f64,
    drops: u64,
}

/// The spawn loop as a plain child, or as the command of a capture
/// (its process tree traced, bundled rules evaluated).
fn spawn_loop(n: usize, probed: bool) -> Option<Spawns> {
    let exe = std::env::current_exe().unwrap();
    let out = std::env::temp_dir().join(format!("falconer-bench-spawn-{}", std::process::id()));
    let argv = vec![
        exe.into_os_string(),
        "--spawn-loop".into(),
        n.to_string().into(),
        out.clone().into_os_string(),
    ];
    let (drops, consumer) = if probed {
        let mut engine = bundled_engine();
        let opts = session::Options {
            command: Some(argv),
            ..session::Options::default()
        };
        match session::run(&mut engine, &opts, &mut Quiet { alerts: 0 }) {
            Ok(r) => (r.drops(), r.cpu.as_secs_f64() * 1e6 / n as f64),
            Err(e) => {
                println!("exec overhead: failed: {e}");
                return None;
            }
        }
    } else {
        let st = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .status()
            .unwrap();
        assert!(st.success());
        (0, 0.0)
    };
    let text = std::fs::read_to_string(&out).ok()?;
    let _ = std::fs::remove_file(&out);
    let mut it = text.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some(Spawns {
        wall: it.next()??,
        cpu: it.next()??,
        consumer,
        drops,
    })
}

fn exec_overhead() {
    let n: usize = 2000;
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let Some(without) = spawn_loop(n, false) else {
            return;
        };
        let Some(with) = spawn_loop(n, true) else {
            return;
        };
        rounds.push((without, with));
    }
    for (i, (without, with)) in rounds.iter().enumerate() {
        println!(
            "exec overhead round {}: /bin/true spawn+wait {:>7.1} us without the probe, {:>7.1} us captured: {:+.1}% (drops {}); CPU {:.1} -> {:.1} us/spawn, consumer {:.1} us/spawn",
            i + 1,
            without.wall,
            with.wall,
            (with.wall / without.wall - 1.0) * 100.0,
            with.drops,
            without.cpu,
            with.cpu,
            with.consumer,
        );
    }
    let median = |f: &dyn Fn(&(Spawns, Spawns)) -> f64| {
        let mut v: Vec<f64> = rounds.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (mw, mp) = (median(&|r| r.0.wall), median(&|r| r.1.wall));
    println!(
        "exec overhead (median of {} rounds of {n} spawns): {mw:.1} us -> {mp:.1} us, {:+.1}% (goal: at most +10%)",
        rounds.len(),
        (mp / mw - 1.0) * 100.0
    );
    let (cw, cp, cc) = (
        median(&|r| r.0.cpu),
        median(&|r| r.1.cpu),
        median(&|r| r.1.consumer),
    );
    println!(
        "exec overhead in CPU time (median): {cw:.1} us -> {cp:.1} us per spawn, {:+.1}%; with the consumer's {cc:.1} us: {:+.1}%",
        (cp / cw - 1.0) * 100.0,
        ((cp + cc) / cw - 1.0) * 100.0
    );
}

/// An openat of `path` returning `fd` and the close of it, by this
/// thread, as the kernel writes them.
fn open_close_records(ts: u64, path: &[u8], fd: i64) -> [Vec<u8>; 2] {
    use falconer_probe::record::{encode, kind, Header};
    use falconer_probe::syscalls::nr;
    // SAFETY: no preconditions.
    let (tid, tgid) = unsafe { (libc::gettid() as u32, libc::getpid() as u32) };
    let h = Header {
        ts,
        tid,
        tgid,
        kind: kind::SYSCALL,
        ..Header::default()
    };
    let mut open = h;
    open.nr = nr::OPENAT as u16;
    open.ret = fd;
    open.args = [(-100i64) as u64, 0x7fff_0000, 0, 0, 0, 0]; // AT_FDCWD, path, O_RDONLY
    let mut file = Vec::new();
    file.extend_from_slice(&0x0500_0003u32.to_le_bytes()); // dev
    file.extend_from_slice(&0x001du32.to_le_bytes()); // f_mode
    file.extend_from_slice(&4u64.to_le_bytes()); // ino
    file.extend_from_slice(&0o100000u32.to_le_bytes()); // f_flags
    file.extend_from_slice(&0u32.to_le_bytes());
    let mut close = h;
    close.ts = ts + 500;
    close.nr = nr::CLOSE as u16;
    close.args[0] = fd as u64;
    [encode(&open, &[path, &file]), encode(&close, &[])]
}

/// The consumer alone (records → events → state → rules, no kernel, no
/// privileges): CPU time per record of the open/close storm's records,
/// the best of several rounds (the live figures move with the machine's
/// load; these barely do).
fn consumer_bench() {
    let pairs = 200_000;
    let mut records = Vec::with_capacity(2 * pairs);
    for i in 0..pairs {
        let [o, c] = open_close_records(1_000_000 + 1000 * i as u64, b"/dev/null\0", 1000);
        records.push(o);
        records.push(c);
    }
    let mut engine = bundled_engine();
    let mut obs = Quiet { alerts: 0 };
    let mut consumer = session::Consumer::new(&mut engine);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let c0 = thread_cpu();
        for r in &records {
            consumer.take(r, &mut obs);
        }
        let us = (thread_cpu() - c0).as_secs_f64() * 1e6 / records.len() as f64;
        best = best.min(us);
    }
    println!(
        "consumer alone (open/close records, bundled rules): {best:.3} us CPU time per record (best of 5 rounds of {} records; {} events, {} malformed, alerts {})",
        records.len(),
        consumer.events(),
        consumer.malformed(),
        obs.alerts,
    );
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--spawn-loop") {
        spawn_loop_child(args[i + 1].parse().unwrap(), &args[i + 2]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--storm") {
        let kind = &args[i + 1];
        let secs: f64 = args[i + 2].parse().unwrap();
        let threads: usize = args[i + 3].parse().unwrap();
        storm(kind, secs, threads);
        return;
    }
    // FALCONER_BENCH_ONLY=open|exec|overhead|consumer runs one part.
    let only = std::env::var("FALCONER_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "consumer" {
        consumer_bench();
    }
    if only == "consumer" {
        return;
    }
    if let Some(r) = falconer_probe::testenv::skip_reason() {
        println!("probe benchmark skipped: the eBPF probe cannot run here: {r}");
        return;
    }
    let secs: f64 = std::env::var("FALCONER_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    println!(
        "live capture, bundled rules, {} CPUs (goal: >= 500,000 events/s with 0 drops)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let part = |p: &str| only.is_empty() || only == p;
    if part("open") {
        run_storm("open/close storm", "open", secs, 1);
        run_storm("open/close storm", "open", secs, 2);
    }
    if part("exec") {
        run_storm("exec storm", "exec", secs, 1);
    }
    if part("overhead") {
        exec_overhead();
    }
}
