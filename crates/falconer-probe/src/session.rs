//! A live capture session: load and attach the probe, seed the state from
//! /proc, drain the ring buffer on a timer, turn records into events, run
//! them through the same state and engine as `falconer replay`, hand out
//! alerts, optionally record everything as a scap capture; stop on a
//! signal, at the end of the duration or when the command exits, and
//! detach.

use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use falconer_engine::engine::{Alert, Engine};
use falconer_engine::extract::EventCtx;
use falconer_scap::state::container::match_cgroup;
use falconer_scap::state::State;
use falconer_scap::{Event, ScapWriter};

use crate::convert::{Converter, Events};
use crate::docker;
use crate::loader::{Counters, Probe, ProbeOptions, Unavailable};
use crate::procfs;
use crate::record::Record;
use crate::syscalls::{self, Selection};

/// The container event code both libs generations read.
const CONTAINER_JSON_E: u16 = 272;

/// Set by SIGINT/SIGTERM (see [`install_signal_handlers`]).
pub static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Makes SIGINT and SIGTERM stop a running session (cleanly: the probe is
/// detached, the recording finished, the report printed).
pub fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores into an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Session settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Run this command and capture only its process tree.
    pub command: Option<Vec<OsString>>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Write the events (and the state at start) to this scap file.
    pub record: Option<PathBuf>,
    /// Call [`Observer::stats`] about once a second.
    pub stats: bool,
    /// Ring buffer size in bytes.
    pub ring_bytes: u32,
    /// Pause between drains of an empty ring buffer.
    pub drain_interval: Duration,
    /// The Docker API socket for container metadata.
    pub docker_socket: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            command: None,
            duration: None,
            record: None,
            stats: false,
            ring_bytes: 16 << 20,
            drain_interval: Duration::from_millis(5),
            docker_socket: docker::socket_path(),
        }
    }
}

/// Periodic figures (`--stats`).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub elapsed: Duration,
    /// Since the previous stats.
    pub interval: Duration,
    pub records: u64,
    pub events: u64,
    pub alerts: u64,
    pub kernel: Counters,
    pub interval_records: u64,
    pub interval_events: u64,
}

/// What a session did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Kernel records converted.
    pub records: u64,
    /// Scap events (evaluated and recorded).
    pub events: u64,
    pub alerts: u64,
    pub kernel: Counters,
    /// Records the user side could not parse or convert.
    pub malformed: u64,
    /// Why the last record was not converted.
    pub convert_error: Option<String>,
    pub elapsed: Duration,
    /// Time spent turning records into events, state, alerts and the
    /// recording (the rest of `elapsed` the drain loop slept).
    pub busy: Duration,
    /// CPU time of the draining thread over `elapsed` (user + system;
    /// unlike `busy`, not inflated when other processes take the CPU).
    pub cpu: Duration,
    /// The command's exit code (or -signal).
    pub command_status: Option<i32>,
    pub selection: Selection,
    /// Event types the rules use that the probe does not capture.
    pub not_captured: Vec<String>,
    /// Threads seeded from /proc.
    pub seeded_threads: usize,
    pub containers: usize,
}

impl Report {
    /// Drops: records the kernel could not write (ring buffer full).
    pub fn drops(&self) -> u64 {
        self.kernel.drops
    }

    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn records_per_sec(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[derive(Debug)]
pub enum Error {
    /// The probe cannot run here (permission, BTF, eBPF).
    Unavailable(Unavailable),
    /// The command could not be started.
    Command(String),
    /// The recording could not be written.
    Record(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Unavailable(u) => write!(f, "{u}"),
            Error::Command(m) => write!(f, "command: {m}"),
            Error::Record(m) => write!(f, "recording: {m}"),
        }
    }
}

/// The event type names rules use that no captured event has.
fn not_captured(engine: &Engine) -> Vec<String> {
    let produced = syscalls::produced_codes();
    let mut names: Vec<String> = Vec::new();
    let cat = falconer_catalog::catalog();
    for code in 0..falconer_catalog::EVENT_CODE_UNIVERSE as u16 {
        if code == falconer_catalog::ASYNC_EVENT_CODE || !engine.wants_code(code) {
            continue;
        }
        if produced.contains(&code) {
            continue;
        }
        if let Some(n) = cat.event_name(code) {
            // A name the probe produces under another code (older layout)
            // is covered.
            let covered = produced.iter().any(|&p| cat.event_name(p) == Some(n));
            if !covered && !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        }
    }
    names.sort();
    names
}

/// A child started stopped before exec until [`Gate::open`].
struct Gate {
    write_fd: libc::c_int,
}

impl Gate {
    fn open(self) {
        // SAFETY: writing one byte to our own pipe end, then closing it.
        unsafe {
            libc::write(self.write_fd, b"g".as_ptr().cast(), 1);
            libc::close(self.write_fd);
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        // Closing without writing also releases the child (EOF).
        // SAFETY: closing our own fd (a second close after `open` fails
        // harmlessly with EBADF).
        unsafe { libc::close(self.write_fd) };
    }
}

/// The command's process.
struct ChildProc {
    pid: libc::pid_t,
    status: Option<i32>,
}

impl ChildProc {
    /// Its exit code (or -signal) once it has exited.
    fn try_wait(&mut self) -> Option<i32> {
        if self.status.is_none() {
            let mut st = 0;
            // SAFETY: waiting for our own child without blocking.
            let r = unsafe { libc::waitpid(self.pid, &mut st, libc::WNOHANG) };
            if r == self.pid {
                self.status = Some(if libc::WIFEXITED(st) {
                    libc::WEXITSTATUS(st)
                } else if libc::WIFSIGNALED(st) {
                    -libc::WTERMSIG(st)
                } else {
                    -1
                });
            }
        }
        self.status
    }

    fn kill(&mut self) {
        if self.status.is_none() {
            // SAFETY: signalling and reaping our own child.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                let mut st = 0;
                libc::waitpid(self.pid, &mut st, 0);
            }
            self.status = Some(-libc::SIGKILL);
        }
    }
}

/// Forks the command; the child waits for the gate before exec (so the
/// probe traces it from its first instruction). std's Command cannot be
/// used: its spawn waits for the exec.
fn spawn_gated(argv: &[OsString]) -> Result<(ChildProc, Gate), String> {
    use std::os::unix::ffi::OsStrExt;
    let cargs: Vec<std::ffi::CString> = argv
        .iter()
        .map(|a| std::ffi::CString::new(a.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| "a command argument contains a NUL byte".to_string())?;
    // The program is looked up here, not by execvp in the child: the
    // capture then holds the command's exec only, not our PATH search.
    let path = resolve_program(argv.first().ok_or("empty command")?)?;
    let prog = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| "the program path contains a NUL byte".to_string())?;
    let mut ptrs: Vec<*const libc::c_char> = cargs.iter().map(|c| c.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let failure = format!(
        "falconer: error: cannot run {}\n",
        argv[0].to_string_lossy()
    );
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two fds into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    let (r, w) = (fds[0], fds[1]);
    // SAFETY: the child only calls async-signal-safe functions (close,
    // read, execv, write, _exit) on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        // SAFETY: closing our own fds.
        unsafe {
            libc::close(r);
            libc::close(w);
        }
        return Err(format!("fork: {e}"));
    }
    if pid == 0 {
        // SAFETY: see above; this branch never returns.
        unsafe {
            libc::close(w);
            let mut b = 0u8;
            loop {
                let n = libc::read(r, (&mut b as *mut u8).cast(), 1);
                if n >= 0 || *libc::__errno_location() != libc::EINTR {
                    break;
                }
            }
            libc::close(r);
            libc::execv(prog.as_ptr(), ptrs.as_ptr());
            libc::write(2, failure.as_ptr().cast(), failure.len());
            libc::_exit(127);
        }
    }
    // SAFETY: the read end belongs to the child.
    unsafe { libc::close(r) };
    Ok((ChildProc { pid, status: None }, Gate { write_fd: w }))
}

/// The program a command name runs: a name with a slash as is, else the
/// first executable file of that name in PATH (as execvp searches).
fn resolve_program(name: &OsString) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let p = PathBuf::from(name);
    if name.to_string_lossy().contains('/') {
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in std::env::split_paths(&path) {
        let cand = dir.join(&p);
        if let Ok(m) = std::fs::metadata(&cand) {
            if m.is_file() && m.permissions().mode() & 0o111 != 0 {
                return Ok(cand);
            }
        }
    }
    Err(format!(
        "{}: command not found in PATH",
        name.to_string_lossy()
    ))
}

/// The live pipeline from events to alerts and the recording.
/// Kernel records in: parsed, converted into the reused event pool and
/// handed to the pipeline one by one (`discard`: counted only, for
/// measuring the kernel side alone).
struct Intake {
    conv: Converter,
    events: Events,
    records: u64,
    malformed: u64,
    discard: bool,
}

impl Intake {
    fn take<W: Write>(&mut self, bytes: &[u8], pipe: &mut Pipeline<'_, W>, obs: &mut dyn Observer) {
        match Record::parse(bytes) {
            Ok(_) if self.discard => self.records += 1,
            Ok(rec) => {
                self.records += 1;
                self.events.clear();
                self.conv.convert(&rec, &mut self.events);
                for ev in self.events.as_mut_slice() {
                    pipe.handle(ev, obs);
                }
            }
            Err(_) => self.malformed += 1,
        }
    }
}

struct Pipeline<'e, W: Write> {
    state: State,
    engine: &'e mut Engine,
    writer: Option<ScapWriter<W>>,
    write_error: Option<String>,
    num: u64,
    alerts: u64,
    seen_containers: std::collections::HashSet<Vec<u8>>,
    seen_cgroups: std::collections::HashSet<Vec<u8>>,
    docker_socket: PathBuf,
    matched: Vec<u32>,
}

impl<W: Write> Pipeline<'_, W> {
    fn handle(&mut self, ev: &mut Event, obs: &mut dyn Observer) {
        // Container metadata first, when an event brings a new container.
        if matches!(ev.code, syscalls::CLONE_X | 293 | 331) {
            if let Some(cg) = ev.value("cgroups").and_then(|v| v.as_bytes()) {
                self.containers_of(cg, ev.ts, obs);
            }
        }
        self.one(ev, obs);
    }

    fn containers_of(&mut self, cgroups: &[u8], ts: u64, obs: &mut dyn Observer) {
        // Most processes share a few cgroup sets: match each set once.
        if self.seen_cgroups.contains(cgroups) {
            return;
        }
        if self.seen_cgroups.len() < 65_536 {
            self.seen_cgroups.insert(cgroups.to_vec());
        }
        for entry in cgroups.split(|&b| b == 0) {
            let Some(eq) = entry.iter().rposition(|&b| b == b'=') else {
                continue;
            };
            let Some((id, kind)) = match_cgroup(&entry[eq + 1..]) else {
                continue;
            };
            if !self.seen_containers.insert(id.clone()) {
                // The first matching cgroup decides, as in the state.
                return;
            }
            if kind == falconer_scap::state::container::container_types::DOCKER {
                let sid = String::from_utf8_lossy(&id).into_owned();
                if let Some(v) =
                    docker::inspect(&self.docker_socket, &sid, Duration::from_millis(500))
                {
                    let mut json = docker::container_json(&sid, &v).to_string().into_bytes();
                    json.push(0);
                    let mut ev = Event::new(CONTAINER_JSON_E, ts, u64::MAX, 0, &[&json]);
                    self.one(&mut ev, obs);
                }
            }
            return;
        }
    }

    fn one(&mut self, ev: &mut Event, obs: &mut dyn Observer) {
        self.num += 1;
        ev.num = self.num;
        self.state.apply(ev);
        let ctx = EventCtx::new(ev, &self.state);
        self.matched.clear();
        self.matched.extend_from_slice(self.engine.process(&ctx));
        for i in 0..self.matched.len() {
            let a = self.engine.alert(self.matched[i], &ctx);
            self.alerts += 1;
            obs.alert(&a);
        }
        if let Some(w) = self.writer.as_mut() {
            if self.write_error.is_none() {
                if let Err(e) = w.write_event(ev) {
                    self.write_error = Some(e.to_string());
                }
            }
        }
    }
}

/// What the caller hears during a session.
pub trait Observer {
    /// A rule matched.
    fn alert(&mut self, alert: &Alert);
    /// Periodic figures (with [`Options::stats`]).
    fn stats(&mut self, _stats: &Stats) {}
    /// The probe is attached and the state seeded; events flow from now
    /// on (the command, if any, is about to exec).
    fn started(&mut self, _info: &Started) {}
}

/// Sent once the capture runs.
#[derive(Clone, Debug)]
pub struct Started {
    pub selection: Selection,
    pub seeded_threads: usize,
    /// The command's process id.
    pub command_pid: Option<u32>,
}

/// The user side of a session without the kernel: records (the bytes the
/// ring buffer holds) through conversion, state and rules exactly as in
/// [`run`], from a state seeded with this process's /proc entries. For
/// measuring the consumer's cost per record (the benchmark's `consumer`
/// part; no privileges needed) and for tests.
pub struct Consumer<'e> {
    intake: Intake,
    pipe: Pipeline<'e, std::io::Sink>,
}

impl<'e> Consumer<'e> {
    pub fn new(engine: &'e mut Engine) -> Consumer<'e> {
        let machine = procfs::machine_info();
        let (threads, fds) = procfs::scan(Some(&[std::process::id() as i64]));
        let users = procfs::users();
        let interfaces = procfs::interfaces();
        let mut state = State::new();
        state.load_metadata(&threads, &fds, Some(&users), &interfaces, Some(&machine));
        Consumer {
            intake: Intake {
                conv: Converter::new(machine.boot_ts_epoch),
                events: Events::new(),
                records: 0,
                malformed: 0,
                discard: false,
            },
            pipe: Pipeline {
                state,
                engine,
                writer: None,
                write_error: None,
                num: 0,
                alerts: 0,
                seen_containers: Default::default(),
                seen_cgroups: Default::default(),
                docker_socket: PathBuf::new(),
                matched: Vec::new(),
            },
        }
    }

    /// One record, as the drain loop hands it over.
    pub fn take(&mut self, record: &[u8], obs: &mut dyn Observer) {
        self.intake.take(record, &mut self.pipe, obs);
    }

    /// Records taken (parsed).
    pub fn records(&self) -> u64 {
        self.intake.records
    }

    /// Scap events applied and evaluated.
    pub fn events(&self) -> u64 {
        self.pipe.num
    }

    /// Records that could not be parsed or converted.
    pub fn malformed(&self) -> u64 {
        self.intake.malformed + self.intake.conv.skipped
    }

    /// The state after the records taken.
    pub fn state(&self) -> &State {
        &self.pipe.state
    }
}

/// Runs a session until a signal ([`STOP`]), the duration or the
/// command's exit.
pub fn run(engine: &mut Engine, opts: &Options, obs: &mut dyn Observer) -> Result<Report, Error> {
    let selection = syscalls::select(|c| engine.wants_code(c));
    let mut report = Report {
        not_captured: not_captured(engine),
        selection: selection.clone(),
        ..Report::default()
    };
    // The recording file first: nothing is started if it cannot be made.
    let record_file = match &opts.record {
        Some(path) => Some((
            path.clone(),
            std::fs::File::create(path)
                .map_err(|e| Error::Record(format!("{}: {e}", path.display())))?,
        )),
        None => None,
    };
    let scoped = opts.command.is_some();
    let mut probe = Probe::load(&ProbeOptions {
        scoped,
        ring_bytes: opts.ring_bytes,
    })
    .map_err(Error::Unavailable)?;
    for (nr, spec) in &selection.specs {
        probe
            .set_syscall(*nr, *spec)
            .map_err(|e| Error::Unavailable(Unavailable::Ebpf(format!("syscall filter: {e}"))))?;
    }

    // The command, stopped before exec until everything is in place.
    let mut child: Option<(ChildProc, Option<Gate>)> = None;
    if let Some(argv) = &opts.command {
        let (c, gate) = spawn_gated(argv).map_err(Error::Command)?;
        probe
            .trace(c.pid as u32)
            .map_err(|e| Error::Unavailable(Unavailable::Ebpf(format!("traced map: {e}"))))?;
        child = Some((c, Some(gate)));
    }
    if let Err(e) = probe.attach() {
        if let Some((mut c, _gate)) = child.take() {
            c.kill();
        }
        return Err(Error::Unavailable(e));
    }

    // The state at start (after attaching: nothing happens unseen).
    let machine = procfs::machine_info();
    // A command's capture lists the command and its parent (this
    // process) only: small, and nothing about the rest of the machine.
    let (threads, fds) = match &child {
        Some((c, _)) => procfs::scan(Some(&[c.pid as i64, std::process::id() as i64])),
        None => procfs::scan(None),
    };
    let users = procfs::users();
    let interfaces = procfs::interfaces();
    report.seeded_threads = threads.len();
    let mut state = State::new();
    state.load_metadata(&threads, &fds, Some(&users), &interfaces, Some(&machine));

    let writer = match record_file {
        Some((path, f)) => {
            let res = (|| -> std::io::Result<ScapWriter<BufWriter<std::fs::File>>> {
                let mut w = ScapWriter::new(BufWriter::with_capacity(1 << 20, f))?;
                w.write_machine_info(&machine)?;
                w.write_users(&users)?;
                w.write_interfaces(&interfaces)?;
                w.write_processes(&threads)?;
                for l in &fds {
                    w.write_fds(l)?;
                }
                Ok(w)
            })();
            match res {
                Ok(w) => Some(w),
                Err(e) => {
                    if let Some((c, _)) = child.as_mut() {
                        c.kill();
                    }
                    return Err(Error::Record(format!("{}: {e}", path.display())));
                }
            }
        }
        None => None,
    };
    let mut pipe = Pipeline {
        state,
        engine,
        writer,
        write_error: None,
        num: 0,
        alerts: 0,
        seen_containers: Default::default(),
        seen_cgroups: Default::default(),
        docker_socket: opts.docker_socket.clone(),
        matched: Vec::new(),
    };
    // Containers of the processes already running.
    let start_ts = machine.boot_ts_epoch + clock_boot_ns();
    for t in &threads {
        let cg = t.cgroups.join("\0");
        pipe.containers_of(cg.as_bytes(), start_ts, obs);
    }

    obs.started(&Started {
        selection: selection.clone(),
        seeded_threads: report.seeded_threads,
        command_pid: child.as_ref().map(|(c, _)| c.pid as u32),
    });
    let mut intake = Intake {
        conv: Converter::new(machine.boot_ts_epoch),
        events: Events::new(),
        records: 0,
        malformed: 0,
        discard: std::env::var_os("FALCONER_PROBE_DISCARD").is_some(),
    };
    if let Some((_, gate)) = child.as_mut() {
        if let Some(g) = gate.take() {
            g.open();
        }
    }
    let start = Instant::now();
    let cpu_start = thread_cpu_time();
    let mut last_stats = start;
    let mut last_records = 0u64;
    let mut last_events = 0u64;
    let mut command_done_at: Option<Instant> = None;
    let mut busy = Duration::ZERO;
    loop {
        let t0 = Instant::now();
        let n = probe.drain(|bytes| intake.take(bytes, &mut pipe, obs));
        let records = intake.records;
        let now = Instant::now();
        if n > 0 {
            busy += now.duration_since(t0);
        }
        if opts.stats && now.duration_since(last_stats) >= Duration::from_secs(1) {
            obs.stats(&Stats {
                elapsed: now.duration_since(start),
                interval: now.duration_since(last_stats),
                records,
                events: pipe.num,
                alerts: pipe.alerts,
                kernel: probe.counters(),
                interval_records: records - last_records,
                interval_events: pipe.num - last_events,
            });
            last_stats = now;
            last_records = records;
            last_events = pipe.num;
        }
        if STOP.load(Ordering::SeqCst) {
            break;
        }
        if opts
            .duration
            .is_some_and(|d| now.duration_since(start) >= d)
        {
            break;
        }
        if let Some((c, _)) = child.as_mut() {
            match command_done_at {
                None => {
                    if let Some(status) = c.try_wait() {
                        report.command_status = Some(status);
                        command_done_at = Some(now);
                    }
                }
                // A last drain after the command's exit: its final records
                // were written before its parent could see it exit.
                Some(t) if n == 0 && now.duration_since(t) >= opts.drain_interval * 2 => break,
                Some(_) => {}
            }
        }
        if n == 0 {
            std::thread::sleep(opts.drain_interval);
        }
    }
    probe.detach();
    // What was written before the detach.
    probe.drain(|bytes| intake.take(bytes, &mut pipe, obs));
    report.elapsed = start.elapsed();
    report.busy = busy;
    report.cpu = thread_cpu_time().saturating_sub(cpu_start);
    report.kernel = probe.counters();
    drop(probe);
    if report.command_status.is_none() {
        if let Some((c, _)) = child.as_mut() {
            if let Some(status) = c.try_wait() {
                report.command_status = Some(status);
            }
        }
    }
    report.records = intake.records;
    report.events = pipe.num;
    report.alerts = pipe.alerts;
    report.malformed = intake.malformed + intake.conv.skipped;
    report.convert_error = intake.conv.last_error.clone();
    report.containers = pipe.seen_containers.len();
    if let Some(w) = pipe.writer.take() {
        if let Some(e) = pipe.write_error.take() {
            return Err(Error::Record(e));
        }
        w.finish()
            .and_then(|mut b| b.flush())
            .map_err(|e| Error::Record(e.to_string()))?;
    }
    Ok(report)
}

fn clock_boot_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CPU time (user + system) of the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{encode, kind, Header};
    use crate::syscalls::nr;

    struct Count(u64);

    impl Observer for Count {
        fn alert(&mut self, _: &Alert) {
            self.0 += 1;
        }
    }

    fn ids() -> (u32, u32) {
        // SAFETY: no preconditions.
        unsafe { (libc::gettid() as u32, libc::getpid() as u32) }
    }

    fn open(ts: u64, path: &[u8], fd: i64) -> Vec<u8> {
        let (tid, tgid) = ids();
        let mut file = vec![0u8; crate::record::FILE_INFO_SIZE];
        file[0..4].copy_from_slice(&0x0500_0003u32.to_le_bytes());
        file[8..16].copy_from_slice(&(ts + 7).to_le_bytes());
        let h = Header {
            ts,
            enter_ts: 0,
            ret: fd,
            args: [(-100i64) as u64, 1, 0, 0, 0, 0],
            tid,
            tgid,
            kind: kind::SYSCALL,
            nr: nr::OPENAT as u16,
            cpu: 0,
        };
        let mut p = path.to_vec();
        p.push(0);
        encode(&h, &[&p, &file])
    }

    fn close(ts: u64, fd: i64) -> Vec<u8> {
        let (tid, tgid) = ids();
        let h = Header {
            ts,
            args: [fd as u64, 0, 0, 0, 0, 0],
            tid,
            tgid,
            kind: kind::SYSCALL,
            nr: nr::CLOSE as u16,
            ..Header::default()
        };
        encode(&h, &[])
    }

    fn bundled_engine() -> Engine {
        use falconer_analysis::{AnalysisHost, Config};
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../rules/falconer_rules.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut host = AnalysisHost::new(Config::default());
        host.set_files(vec![(path.display().to_string(), text)]);
        Engine::from_analysis(&host, &falconer_engine::engine::Options::default())
    }

    /// (name, name_raw, ino) of fd `fd` of this thread in the state.
    fn fd_entry(c: &Consumer<'_>, fd: i64) -> Option<(String, String, u64)> {
        let s = c.state();
        let t = s.thread(ids().0 as i64)?;
        let f = s.fd_table(t)?.get(fd)?;
        Some((
            String::from_utf8_lossy(&f.name).into_owned(),
            String::from_utf8_lossy(&f.name_raw).into_owned(),
            f.ino,
        ))
    }

    /// Opens and closes through the consumer: each open's entry has its own
    /// name (the buffers of closed entries are reused), closes remove them.
    #[test]
    fn consumer_keeps_fds_across_reused_buffers() {
        let mut engine = bundled_engine();
        let mut obs = Count(0);
        let mut c = Consumer::new(&mut engine);
        let cwd = std::env::current_dir().unwrap();
        let long = "/a/rather/long/path/to/some/file/deep/down/x.txt";
        c.take(&open(1000, long.as_bytes(), 900), &mut obs);
        assert_eq!(
            fd_entry(&c, 900),
            Some((long.to_string(), long.to_string(), 1007))
        );
        c.take(&close(2000, 900), &mut obs);
        c.take(&open(3000, b"rel", 900), &mut obs);
        let rel = format!("{}/rel", cwd.display());
        assert_eq!(fd_entry(&c, 900), Some((rel, "rel".to_string(), 3007)));
        c.take(&open(4000, b"/b", 901), &mut obs);
        c.take(&close(5000, 900), &mut obs);
        c.take(&close(6000, 901), &mut obs);
        c.take(&open(7000, b"/c/../d", 902), &mut obs);
        assert_eq!(fd_entry(&c, 900), None);
        assert_eq!(fd_entry(&c, 901), None);
        assert_eq!(
            fd_entry(&c, 902),
            Some(("/d".to_string(), "/c/../d".to_string(), 7007))
        );
        // 4 opens (one exit event each), 3 closes (enter and exit).
        assert_eq!((c.records(), c.events(), c.malformed()), (7, 10, 0));
    }
}
