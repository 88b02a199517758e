//! Loading, attaching, draining and detaching the kernel side (aya).

use std::fmt;
use std::path::Path;

use aya::maps::{Array, HashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::BtfTracePoint;
use aya::{Btf, Ebpf, EbpfLoader};

/// The kernel object (built by build.rs: compiled from `bpf/probe.bpf.c`
/// or the committed copy).
pub static OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// Where [`OBJECT`] came from: `compiled` (clang at build time) or
/// `committed` (the prebuilt `bpf/probe.bpf.o`).
pub const OBJECT_ORIGIN: &str = env!("FALCONER_PROBE_OBJECT_ORIGIN");

/// Where the running kernel's BTF is read from.
pub const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The programs and the tracepoints they attach to.
const PROGRAMS: &[(&str, &str)] = &[
    ("fal_sys_exit", "sys_exit"),
    ("fal_exec", "sched_process_exec"),
    ("fal_fork", "sched_process_fork"),
    ("fal_exit", "sched_process_exit"),
];

/// Why the probe cannot run here: each says which requirement is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// Neither root nor CAP_BPF + CAP_PERFMON (nor CAP_SYS_ADMIN).
    Permission(String),
    /// No kernel BTF (`/sys/kernel/btf/vmlinux`).
    NoBtf(String),
    /// The kernel refused the programs (eBPF disabled, lockdown, a
    /// security policy, a verifier rejection).
    Ebpf(String),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::Permission(m) => write!(f, "permission: {m}"),
            Unavailable::NoBtf(m) => write!(f, "BTF: {m}"),
            Unavailable::Ebpf(m) => write!(f, "eBPF: {m}"),
        }
    }
}

/// Capability numbers (linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The effective capability set of this process.
fn effective_caps() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
}

/// Checks permissions and BTF before loading (cheap, no kernel call).
pub fn check_requirements() -> Result<(), Unavailable> {
    let caps = effective_caps().unwrap_or(0);
    let has = |c: u32| caps & (1u64 << c) != 0;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !(has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))) {
        return Err(Unavailable::Permission(format!(
            "loading tracing programs needs root or CAP_BPF and CAP_PERFMON (this process: {}, effective capabilities {caps:#x})",
            if root { "root without those capabilities" } else { "not root" }
        )));
    }
    if !Path::new(KERNEL_BTF).exists() {
        return Err(Unavailable::NoBtf(format!(
            "{KERNEL_BTF} is missing: the kernel was built without CONFIG_DEBUG_INFO_BTF, which the probe's CO-RE relocations and tp_btf programs need"
        )));
    }
    Ok(())
}

/// Kernel counters, summed over CPUs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Records written into the ring buffer.
    pub records: u64,
    /// Records lost because the ring buffer was full.
    pub drops: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Always 0: the kernel side no longer keeps enter data (the field
    /// stays for the counters' layout).
    pub enter_missing: u64,
    /// Records cut at the scratch size.
    pub truncated: u64,
}

// SAFETY: plain old data, `repr(C)`, no padding (five u64).
unsafe impl aya::Pod for Counters {}

/// Load options.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// Capture only processes registered with [`Probe::trace`] and their
    /// descendants.
    pub scoped: bool,
    /// Ring buffer size in bytes (a power of two, at least a page).
    pub ring_bytes: u32,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            scoped: false,
            ring_bytes: 16 << 20,
        }
    }
}

/// A loaded probe. Dropping it detaches every program and frees the maps.
pub struct Probe {
    ebpf: Ebpf,
    btf: Btf,
    ring: RingBuf<MapData>,
    attached: bool,
}

fn ebpf_err(what: &str, e: impl fmt::Display) -> Unavailable {
    let text = e.to_string();
    let hint = if text.contains("Operation not permitted") || text.contains("EPERM") {
        " (the kernel refused: eBPF disabled for this user, lockdown, or a security policy)"
    } else if text.contains("Function not implemented") || text.contains("ENOSYS") {
        " (this kernel has no eBPF support)"
    } else {
        ""
    };
    Unavailable::Ebpf(format!("{what}: {text}{hint}"))
}

/// Walks an error's sources into one line (aya wraps the errno).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl Probe {
    /// Loads the object and verifies the programs (not attached yet).
    pub fn load(opts: &ProbeOptions) -> Result<Probe, Unavailable> {
        check_requirements()?;
        let btf = Btf::from_sys_fs()
            .map_err(|e| Unavailable::NoBtf(format!("reading {KERNEL_BTF}: {}", chain(&e))))?;
        let own = std::process::id();
        let scoped: u32 = opts.scoped.into();
        let ring = opts.ring_bytes.next_power_of_two().max(1 << 16);
        let mut ebpf = EbpfLoader::new()
            .btf(Some(&btf))
            .override_global("own_tgid", &own, true)
            .override_global("scoped", &scoped, true)
            .map_max_entries("events", ring)
            .load(OBJECT)
            .map_err(|e| ebpf_err("loading the probe object", chain(&e)))?;
        for (name, tp) in PROGRAMS {
            let prog: &mut BtfTracePoint = ebpf
                .program_mut(name)
                .ok_or_else(|| {
                    Unavailable::Ebpf(format!("program {name} missing from the object"))
                })?
                .try_into()
                .map_err(|e| ebpf_err(name, chain(&e)))?;
            let t0 = std::time::Instant::now();
            prog.load(tp, &btf)
                .map_err(|e| ebpf_err(&format!("verifying {name} ({tp})"), chain(&e)))?;
            if std::env::var_os("FALCONER_PROBE_TIMING").is_some() {
                eprintln!("loaded {name} in {:?}", t0.elapsed());
            }
        }
        let ring = RingBuf::try_from(
            ebpf.take_map("events")
                .ok_or_else(|| Unavailable::Ebpf("map 'events' missing".into()))?,
        )
        .map_err(|e| ebpf_err("ring buffer", chain(&e)))?;
        Ok(Probe {
            ebpf,
            btf,
            ring,
            attached: false,
        })
    }

    /// Sets the capture spec of system call `nr` (0: not captured).
    pub fn set_syscall(&mut self, nr: u32, spec: u32) -> Result<(), String> {
        let map = self
            .ebpf
            .map_mut("syscall_spec")
            .ok_or("map 'syscall_spec' missing")?;
        let mut arr: Array<&mut MapData, u32> = Array::try_from(map).map_err(|e| chain(&e))?;
        arr.set(nr, spec, 0).map_err(|e| chain(&e))
    }

    /// Adds a process (tgid) to the traced set of a scoped probe.
    pub fn trace(&mut self, tgid: u32) -> Result<(), String> {
        let map = self.ebpf.map_mut("traced").ok_or("map 'traced' missing")?;
        let mut h: HashMap<&mut MapData, u32, u32> =
            HashMap::try_from(map).map_err(|e| chain(&e))?;
        h.insert(tgid, 1, 0).map_err(|e| chain(&e))
    }

    /// Attaches every program.
    pub fn attach(&mut self) -> Result<(), Unavailable> {
        for (name, tp) in PROGRAMS {
            let prog: &mut BtfTracePoint = self
                .ebpf
                .program_mut(name)
                .ok_or_else(|| ebpf_err(name, "the object has no such program"))?
                .try_into()
                .map_err(|e| ebpf_err(name, chain(&e)))?;
            if let Err(e) = prog.attach() {
                self.detach();
                return Err(ebpf_err(&format!("attaching {name} to {tp}"), chain(&e)));
            }
        }
        self.attached = true;
        Ok(())
    }

    /// Detaches every program (the maps stay readable: drain after).
    pub fn detach(&mut self) {
        for (name, _) in PROGRAMS {
            if let Some(p) = self.ebpf.program_mut(name) {
                if let Ok(prog) = <&mut BtfTracePoint>::try_from(p) {
                    // Unloading drops the links (detaches) and the program.
                    let _ = prog.unload();
                }
            }
        }
        self.attached = false;
    }

    pub fn is_attached(&self) -> bool {
        self.attached
    }

    /// Hands every record in the ring buffer to `f`; returns how many.
    pub fn drain(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while let Some(item) = self.ring.next() {
            f(&item);
            n += 1;
        }
        n
    }

    /// The kernel counters, summed over CPUs.
    pub fn counters(&self) -> Counters {
        let mut sum = Counters::default();
        let Some(map) = self.ebpf.map("counters") else {
            return sum;
        };
        let Ok(arr) = PerCpuArray::<&MapData, Counters>::try_from(map) else {
            return sum;
        };
        if let Ok(values) = arr.get(&0, 0) {
            for c in values.iter() {
                sum.records += c.records;
                sum.drops += c.drops;
                sum.bytes += c.bytes;
                sum.enter_missing += c.enter_missing;
                sum.truncated += c.truncated;
            }
        }
        sum
    }

    /// The kernel's BTF (loaded once).
    pub fn btf(&self) -> &Btf {
        &self.btf
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        if self.attached {
            self.detach();
        }
    }
}

/// The names of the probe's programs.
pub fn program_names() -> impl Iterator<Item = &'static str> {
    PROGRAMS.iter().map(|(n, _)| *n)
}

/// How many programs with the probe's names are loaded in the kernel now
/// (by any process): 0 after every session has detached.
pub fn loaded_probe_programs() -> usize {
    aya::programs::loaded_programs()
        .flatten()
        .filter(|p| {
            p.name_as_str().is_some_and(|n| {
                PROGRAMS
                    .iter()
                    .any(|(name, _)| name.starts_with(n) && !n.is_empty())
            })
        })
        .count()
}

/// Whether a probe can be loaded and attached here (for tests and the
/// CLI's message): loads, attaches and detaches once.
pub fn probe_available() -> Result<(), Unavailable> {
    let mut p = Probe::load(&ProbeOptions {
        scoped: true,
        ring_bytes: 1 << 16,
    })?;
    p.attach()?;
    p.detach();
    Ok(())
}
