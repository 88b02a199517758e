//! Kernel records → scap events (Falco's event layouts, PPM flag values).
//!
//! Each system call record becomes an enter event (at the time of the
//! system call's entry) and an exit event; an exec record becomes the
//! `execve`/`execveat` pair; a fork record the child's `clone` exit; an
//! exit record `procexit`. Linux values are mapped to the driver's own
//! values here (open flags, fcntl commands, ptrace requests, clone flags,
//! device numbers).

use std::net::{Ipv4Addr, Ipv6Addr};

use falconer_scap::{Event, ParamValue as V, SockAddr, SockTuple, DF_STATE_ONLY};

use crate::record::{fork_flags, kind, spec, FileInfo, ProcInfo, RawTuple, Record};
use crate::syscalls::{self, nr, CLONE_X, PROCEXIT_E};

/// Linux open flags (x86-64).
mod o {
    pub const ACCMODE: u64 = 0o3;
    pub const WRONLY: u64 = 0o1;
    pub const RDWR: u64 = 0o2;
    pub const CREAT: u64 = 0o100;
    pub const EXCL: u64 = 0o200;
    pub const TRUNC: u64 = 0o1000;
    pub const APPEND: u64 = 0o2000;
    pub const NONBLOCK: u64 = 0o4000;
    pub const DSYNC: u64 = 0o10000;
    pub const DIRECT: u64 = 0o40000;
    pub const LARGEFILE: u64 = 0o100000;
    pub const DIRECTORY: u64 = 0o200000;
    pub const CLOEXEC: u64 = 0o2000000;
    pub const SYNC: u64 = 0o4010000;
    pub const TMPFILE: u64 = 0o20000000 | DIRECTORY;
}

/// The driver's open flags (`PPM_O_*`).
pub mod ppm_o {
    pub const RDONLY: u32 = 1 << 0;
    pub const WRONLY: u32 = 1 << 1;
    pub const RDWR: u32 = RDONLY | WRONLY;
    pub const CREAT: u32 = 1 << 2;
    pub const APPEND: u32 = 1 << 3;
    pub const DSYNC: u32 = 1 << 4;
    pub const EXCL: u32 = 1 << 5;
    pub const NONBLOCK: u32 = 1 << 6;
    pub const SYNC: u32 = 1 << 7;
    pub const TRUNC: u32 = 1 << 8;
    pub const DIRECT: u32 = 1 << 9;
    pub const DIRECTORY: u32 = 1 << 10;
    pub const LARGEFILE: u32 = 1 << 11;
    pub const CLOEXEC: u32 = 1 << 12;
    pub const TMPFILE: u32 = 1 << 13;
    pub const F_CREATED: u32 = 1 << 14;
}

/// `FMODE_CREATED`: the open created the file.
const FMODE_CREATED: u32 = 1 << 20;

/// Linux open flags → `PPM_O_*` (as the drivers' `open_flags_to_scap`).
pub fn open_flags_to_ppm(flags: u64) -> u32 {
    let mut r = match flags & o::ACCMODE {
        0 => ppm_o::RDONLY,
        o::WRONLY => ppm_o::WRONLY,
        o::RDWR => ppm_o::RDWR,
        _ => 0,
    };
    let map = [
        (o::CREAT, ppm_o::CREAT),
        (o::APPEND, ppm_o::APPEND),
        (o::DSYNC, ppm_o::DSYNC),
        (o::EXCL, ppm_o::EXCL),
        (o::NONBLOCK, ppm_o::NONBLOCK),
        (o::TRUNC, ppm_o::TRUNC),
        (o::DIRECT, ppm_o::DIRECT),
        (o::LARGEFILE, ppm_o::LARGEFILE),
        (o::CLOEXEC, ppm_o::CLOEXEC),
    ];
    for (l, p) in map {
        if flags & l != 0 {
            r |= p;
        }
    }
    // Multi-bit flags: all their bits must be set.
    if flags & o::SYNC == o::SYNC {
        r |= ppm_o::SYNC;
    }
    if flags & o::TMPFILE == o::TMPFILE {
        r |= ppm_o::TMPFILE;
    } else if flags & o::DIRECTORY != 0 {
        r |= ppm_o::DIRECTORY;
    }
    r
}

/// The mode of an open: only meaningful when it creates a file.
fn open_mode(flags: u64, mode: u64) -> u32 {
    if flags & o::CREAT != 0 || flags & o::TMPFILE == o::TMPFILE {
        (mode & 0o7777) as u32
    } else {
        0
    }
}

/// Linux fcntl command → `PPM_FCNTL_*`.
pub fn fcntl_cmd_to_ppm(cmd: u64) -> u32 {
    match cmd {
        0 => 1,     // F_DUPFD
        1 => 2,     // F_GETFD
        2 => 3,     // F_SETFD
        3 => 4,     // F_GETFL
        4 => 5,     // F_SETFL
        5 => 6,     // F_GETLK
        6 => 8,     // F_SETLK
        7 => 9,     // F_SETLKW
        8 => 10,    // F_SETOWN
        9 => 12,    // F_GETOWN
        10 => 13,   // F_SETSIG
        11 => 15,   // F_GETSIG
        15 => 21,   // F_SETOWN_EX
        16 => 22,   // F_GETOWN_EX
        36 => 30,   // F_OFD_GETLK
        37 => 31,   // F_OFD_SETLK
        38 => 32,   // F_OFD_SETLKW
        1024 => 23, // F_SETLEASE
        1025 => 24, // F_GETLEASE
        1026 => 27, // F_NOTIFY
        1029 => 25, // F_CANCELLK
        1030 => 26, // F_DUPFD_CLOEXEC
        1031 => 28, // F_SETPIPE_SZ
        1032 => 29, // F_GETPIPE_SZ
        _ => 0,     // UNKNOWN
    }
}

/// Linux ptrace request → `PPM_PTRACE_*`.
pub fn ptrace_request_to_ppm(req: u64) -> u32 {
    match req {
        0 => 1,       // TRACEME
        1 => 2,       // PEEKTEXT
        2 => 3,       // PEEKDATA
        3 => 4,       // PEEKUSR
        4 => 5,       // POKETEXT
        5 => 6,       // POKEDATA
        6 => 7,       // POKEUSR
        7 => 8,       // CONT
        8 => 9,       // KILL
        9 => 10,      // SINGLESTEP
        12 => 26,     // GETREGS
        13 => 27,     // SETREGS
        14 => 28,     // GETFPREGS
        15 => 29,     // SETFPREGS
        16 => 11,     // ATTACH
        17 => 12,     // DETACH
        18 => 30,     // GETFPXREGS
        19 => 31,     // SETFPXREGS
        21 => 32,     // OLDSETOPTIONS
        24 => 13,     // SYSCALL
        25 => 33,     // GET_THREAD_AREA
        26 => 34,     // SET_THREAD_AREA
        30 => 35,     // ARCH_PRCTL
        31 => 36,     // SYSEMU
        32 => 37,     // SYSEMU_SINGLESTEP
        33 => 38,     // SINGLEBLOCK
        0x4200 => 14, // SETOPTIONS
        0x4201 => 15, // GETEVENTMSG
        0x4202 => 16, // GETSIGINFO
        0x4203 => 17, // SETSIGINFO
        0x4204 => 18, // GETREGSET
        0x4205 => 19, // SETREGSET
        0x4206 => 20, // SEIZE
        0x4207 => 21, // INTERRUPT
        0x4208 => 22, // LISTEN
        0x4209 => 23, // PEEKSIGINFO
        0x420a => 24, // GETSIGMASK
        0x420b => 25, // SETSIGMASK
        _ => 0,       // UNKNOWN
    }
}

/// The driver's clone flags (`PPM_CL_*`) for a fork record.
pub mod ppm_cl {
    pub const CLONE_FILES: u32 = 1 << 0;
    pub const CLONE_FS: u32 = 1 << 1;
    pub const CLONE_THREAD: u32 = 1 << 13;
    pub const CLONE_VM: u32 = 1 << 15;
    pub const CLONE_VFORK: u32 = 1 << 27;
    pub const CHILD_IN_PIDNS: u32 = 1 << 29;
}

pub fn fork_flags_to_ppm(f: u32) -> u32 {
    let mut r = 0;
    for (k, p) in [
        (fork_flags::FILES, ppm_cl::CLONE_FILES),
        (fork_flags::FS, ppm_cl::CLONE_FS),
        (fork_flags::THREAD, ppm_cl::CLONE_THREAD),
        (fork_flags::VM, ppm_cl::CLONE_VM),
        (fork_flags::VFORK, ppm_cl::CLONE_VFORK),
        (fork_flags::IN_PIDNS, ppm_cl::CHILD_IN_PIDNS),
    ] {
        if f & k != 0 {
            r |= p;
        }
    }
    r
}

/// A string parameter without its terminating NUL (and anything after).
fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

fn fd_arg(a: u64) -> i64 {
    a as u32 as i32 as i64
}

/// A user `struct sockaddr` → scap socket address.
pub fn sockaddr(b: &[u8]) -> Option<SockAddr<'_>> {
    if b.len() < 2 {
        return None;
    }
    let family = u16::from_le_bytes([b[0], b[1]]);
    match family {
        2 if b.len() >= 8 => Some(SockAddr::Inet {
            port: u16::from_be_bytes([b[2], b[3]]),
            ip: Ipv4Addr::new(b[4], b[5], b[6], b[7]),
        }),
        10 if b.len() >= 24 => {
            let ip: [u8; 16] = b[8..24].try_into().ok()?;
            Some(SockAddr::Inet6 {
                port: u16::from_be_bytes([b[2], b[3]]),
                ip: Ipv6Addr::from(ip),
            })
        }
        1 => Some(SockAddr::Unix {
            path: unix_path(&b[2..]),
        }),
        f => Some(SockAddr::Other {
            family: f as u8,
            data: &b[2..],
        }),
    }
}

/// A unix socket path: up to the first NUL; an abstract address (first
/// byte NUL) up to the next NUL after it.
fn unix_path(p: &[u8]) -> &[u8] {
    if p.first() == Some(&0) {
        let rest = &p[1..];
        let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        &p[..end + 1]
    } else {
        cstr(p)
    }
}

fn inet_tuple(
    family: u16,
    saddr: [u8; 16],
    sport: u16,
    daddr: [u8; 16],
    dport: u16,
) -> Option<SockTuple<'static>> {
    match family {
        2 => Some(SockTuple::Inet {
            sip: Ipv4Addr::new(saddr[0], saddr[1], saddr[2], saddr[3]),
            sport,
            dip: Ipv4Addr::new(daddr[0], daddr[1], daddr[2], daddr[3]),
            dport,
        }),
        10 => Some(SockTuple::Inet6 {
            sip: Ipv6Addr::from(saddr),
            sport,
            dip: Ipv6Addr::from(daddr),
            dport,
        }),
        _ => None,
    }
}

fn tuple<'a>(t: &RawTuple<'a>, unix_path_override: Option<&'a [u8]>) -> Option<SockTuple<'a>> {
    match t.family {
        2 | 10 => inet_tuple(t.family, t.saddr, t.sport, t.daddr, t.dport),
        1 => Some(SockTuple::Unix {
            source: t.source,
            dest: t.dest,
            path: unix_path_override.unwrap_or(t.path),
        }),
        _ => None,
    }
}

/// The argument area split as the drivers split it: `exe` (argv[0]) and
/// `args` (the rest, NUL-separated, each NUL-terminated).
pub fn split_args(area: &[u8]) -> (&[u8], &[u8]) {
    match area.iter().position(|&c| c == 0) {
        Some(i) => (&area[..i], &area[i + 1..]),
        None => (area, &[]),
    }
}

/// The events converted from one record: a pool whose events (and their
/// buffers) are reused from record to record, so that converting
/// allocates nothing once the buffers are large enough.
#[derive(Debug, Default)]
pub struct Events {
    pool: Vec<Event>,
    len: usize,
}

impl Events {
    pub fn new() -> Events {
        Events::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets the events (their buffers stay for the next record).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// A new event at the end, to be rebuilt in place.
    fn push_slot(&mut self) -> &mut Event {
        if self.len == self.pool.len() {
            self.pool.push(Event::new(0, 0, 0, 0, &[]));
        }
        self.len += 1;
        &mut self.pool[self.len - 1]
    }

    fn last_mut(&mut self) -> Option<&mut Event> {
        self.as_mut_slice().last_mut()
    }

    /// The events, in order.
    pub fn as_mut_slice(&mut self) -> &mut [Event] {
        &mut self.pool[..self.len]
    }
}

/// Converts records into events.
#[derive(Clone, Debug)]
pub struct Converter {
    /// Added to kernel boot-clock times to get times since the epoch.
    pub boot_offset: u64,
    /// Records that could not be converted (malformed or unknown).
    pub skipped: u64,
    /// Why the last one could not.
    pub last_error: Option<String>,
}

/// The system calls whose enter event is written (state-only): their
/// libs-2022 exit events lack the arguments (fd, address, ids...).
pub fn needs_enter(name: &str) -> bool {
    matches!(
        name,
        "close"
            | "socket"
            | "bind"
            | "connect"
            | "dup"
            | "dup2"
            | "dup3"
            | "fcntl"
            | "fchdir"
            | "setuid"
            | "setgid"
            | "setresuid"
            | "setresgid"
            | "ptrace"
            | "mkdir"
            | "accept4"
    )
}

/// [`needs_enter`] by x86-64 system call number (a table built once: the
/// name comparisons are not paid per record).
fn needs_enter_nr(nr: u32) -> bool {
    static TABLE: std::sync::OnceLock<[bool; 512]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [false; 512];
        for s in syscalls::SYSCALLS {
            if let Some(slot) = t.get_mut(s.nr as usize) {
                *slot = needs_enter(s.name);
            }
        }
        t
    });
    t.get(nr as usize).copied().unwrap_or(false)
}

/// Encodes one value as the event table's type `ty` (the common cases
/// directly, the others through `falconer_scap::encode`).
fn encode_into(ty: falconer_scap::FieldType, v: &V<'_>, out: &mut Vec<u8>) -> bool {
    use falconer_scap::FieldType as T;
    match (ty, v) {
        (_, V::Empty) => true,
        (T::Int64 | T::Errno | T::Fd | T::Pid, _) => match v.as_i64() {
            Some(i) => {
                out.extend_from_slice(&i.to_le_bytes());
                true
            }
            None => false,
        },
        (T::Uint64 | T::Reltime | T::Abstime, _) => match v.as_u64() {
            Some(u) => {
                out.extend_from_slice(&u.to_le_bytes());
                true
            }
            None => false,
        },
        (T::Uint32 | T::Flags32 | T::Enumflags32 | T::Uid | T::Gid | T::Mode | T::Sigset, _) => {
            match v.as_u64().and_then(|u| u32::try_from(u).ok()) {
                Some(u) => {
                    out.extend_from_slice(&u.to_le_bytes());
                    true
                }
                None => false,
            }
        }
        (T::Charbuf | T::Fspath | T::Fsrelpath, V::Str(b)) => {
            out.extend_from_slice(b);
            out.push(0);
            true
        }
        (T::Bytebuf, V::Bytes(b)) => {
            out.extend_from_slice(b);
            true
        }
        _ => match falconer_scap::encode(ty, v) {
            Some(b) => {
                out.extend_from_slice(&b);
                true
            }
            None => false,
        },
    }
}

impl Converter {
    pub fn new(boot_offset: u64) -> Converter {
        Converter {
            boot_offset,
            skipped: 0,
            last_error: None,
        }
    }

    fn ts(&self, boot_ns: u64) -> u64 {
        boot_ns.wrapping_add(self.boot_offset)
    }

    /// Appends the events of one record to `out`.
    pub fn convert(&mut self, rec: &Record<'_>, out: &mut Events) {
        let before = out.len();
        let ok = match rec.kind {
            kind::SYSCALL => self.syscall(rec, out),
            kind::EXEC => self.exec(rec, out),
            kind::FORK => self.fork(rec, out),
            kind::EXIT => self.exit(rec, out),
            _ => false,
        };
        if !ok {
            out.truncate(before);
            self.skipped += 1;
            if self.last_error.is_none() {
                self.last_error = Some(format!(
                    "record kind {} (system call {}) not converted",
                    rec.kind, rec.nr
                ));
            }
        }
    }

    fn push(
        &mut self,
        out: &mut Events,
        code: u16,
        ts: u64,
        rec: &Record<'_>,
        vals: &[V<'_>],
    ) -> bool {
        let before = out.len();
        match Converter::build_into(out.push_slot(), code, ts, rec.tid as u64, rec.cpu, vals) {
            Ok(()) => true,
            Err(e) => {
                out.truncate(before);
                self.last_error = Some(e);
                false
            }
        }
    }

    /// An event from typed values, encoded with the event table's types
    /// (as [`Event::from_values`], without an allocation per parameter).
    pub fn build(
        &mut self,
        code: u16,
        ts: u64,
        tid: u64,
        cpu: u16,
        vals: &[V<'_>],
    ) -> Result<Event, String> {
        let mut ev = Event::new(0, 0, 0, 0, &[]);
        Converter::build_into(&mut ev, code, ts, tid, cpu, vals)?;
        Ok(ev)
    }

    /// [`Converter::build`] into an existing event, reusing its buffers.
    pub fn build_into(
        ev: &mut Event,
        code: u16,
        ts: u64,
        tid: u64,
        cpu: u16,
        vals: &[V<'_>],
    ) -> Result<(), String> {
        let info = falconer_catalog::catalog()
            .event(code)
            .ok_or_else(|| format!("event code {code} is not in the event table"))?;
        ev.reset(code, ts, tid, cpu);
        for (i, v) in vals.iter().enumerate() {
            let p = info
                .params
                .get(i)
                .ok_or_else(|| format!("event {code} has no parameter {i}"))?;
            if !ev.push_param(|out| encode_into(p.ty, v, out)) {
                return Err(format!(
                    "event {code} parameter {i} ({}): value {v:?} does not fit type {}",
                    p.name, p.ty
                ));
            }
        }
        Ok(())
    }

    fn pair(
        &mut self,
        out: &mut Events,
        rec: &Record<'_>,
        enter: (u16, &[V<'_>]),
        exit: (u16, &[V<'_>]),
    ) -> bool {
        let ts = self.ts(rec.ts);
        // Only the enter events that carry arguments the libs-2022 exit
        // layout lacks are written; current libs read everything from the
        // exits (whose newer parameters are always written).
        let needed = rec.kind == kind::SYSCALL && needs_enter_nr(rec.nr as u32);
        if !needed {
            return self.push(out, exit.0, ts, rec, exit.1);
        }
        // The kernel has no enter hook (`enter_ts` is 0): enter events
        // take the exit's time.
        let ets = if rec.enter_ts != 0 && rec.enter_ts <= rec.ts {
            self.ts(rec.enter_ts)
        } else {
            ts
        };
        if !self.push(out, enter.0, ets, rec, enter.1) {
            return false;
        }
        // Enter events are state-only: readers apply them (libs 2022 takes
        // some arguments from them) but never evaluate them, as current
        // Falco drivers send exit events only.
        if let Some(e) = out.last_mut() {
            e.flags = Some(DF_STATE_ONLY);
        }
        self.push(out, exit.0, ts, rec, exit.1)
    }

    fn syscall(&mut self, rec: &Record<'_>, out: &mut Events) -> bool {
        let Some(sc) = syscalls::by_nr(rec.nr as u32) else {
            return false;
        };
        // The parameters the kernel captured, by role.
        let mut path_a: &[u8] = &[];
        let mut path_b: &[u8] = &[];
        let mut addr: &[u8] = &[];
        let mut tup: Option<RawTuple<'_>> = None;
        let mut file: Option<FileInfo> = None;
        let mut pipe_fds: &[u8] = &[];
        let mut how: &[u8] = &[];
        for (i, p) in spec::params(sc.spec).iter().enumerate() {
            let b = rec.param(i);
            match p {
                spec::Param::PathA => path_a = cstr(b),
                spec::Param::PathB => path_b = cstr(b),
                spec::Param::SockAddr => addr = b,
                spec::Param::Tuple => tup = RawTuple::parse(b),
                spec::Param::FileInfo => file = FileInfo::parse(b),
                spec::Param::PipeFds => pipe_fds = b,
                spec::Param::OpenHow => how = b,
            }
        }
        let a = rec.args;
        let ret = rec.ret;
        let (en, ex) = (sc.enter, sc.exit);
        let dev = |f: &Option<FileInfo>| V::Uint(f.map_or(0, |f| f.dev as u64));
        let ino = |f: &Option<FileInfo>| V::Uint(f.map_or(0, |f| f.ino));
        let created = |f: &Option<FileInfo>| f.is_some_and(|f| f.f_mode & FMODE_CREATED != 0);
        match sc.nr {
            nr::EXECVE => self.pair(out, rec, (en, &[V::Str(path_a)]), (ex, &[V::Errno(ret)])),
            nr::EXECVEAT => self.pair(
                out,
                rec,
                (
                    en,
                    &[
                        V::Fd(fd_arg(a[0])),
                        V::Str(path_a),
                        V::Flags(execveat_flags(a[4])),
                    ],
                ),
                (ex, &[V::Errno(ret)]),
            ),
            nr::OPEN => {
                let mut fl = open_flags_to_ppm(a[1]);
                let mode = open_mode(a[1], a[2]);
                let e = [V::Str(path_a), V::Flags(fl), V::Uint(mode as u64)];
                if created(&file) {
                    fl |= ppm_o::F_CREATED;
                }
                let x = [
                    V::Fd(ret),
                    V::Str(path_a),
                    V::Flags(fl),
                    V::Uint(mode as u64),
                    dev(&file),
                    ino(&file),
                ];
                self.pair(out, rec, (en, &e), (ex, &x))
            }
            nr::CREAT => {
                let mode = (a[1] & 0o7777) as u32;
                let e = [V::Str(path_a), V::Uint(mode as u64)];
                let x = [
                    V::Fd(ret),
                    V::Str(path_a),
                    V::Uint(mode as u64),
                    dev(&file),
                    ino(&file),
                    V::Flags(0),
                ];
                self.pair(out, rec, (en, &e), (ex, &x))
            }
            nr::OPENAT => {
                let mut fl = open_flags_to_ppm(a[2]);
                let mode = open_mode(a[2], a[3]);
                let dirfd = fd_arg(a[0]);
                let e = [
                    V::Fd(dirfd),
                    V::Str(path_a),
                    V::Flags(fl),
                    V::Uint(mode as u64),
                ];
                if created(&file) {
                    fl |= ppm_o::F_CREATED;
                }
                let x = [
                    V::Fd(ret),
                    V::Fd(dirfd),
                    V::Str(path_a),
                    V::Flags(fl),
                    V::Uint(mode as u64),
                    dev(&file),
                    ino(&file),
                ];
                self.pair(out, rec, (en, &e), (ex, &x))
            }
            nr::OPENAT2 => {
                let (flags, mode, resolve) = if how.len() >= 24 {
                    (
                        u64::from_le_bytes(how[0..8].try_into().unwrap_or_default()),
                        u64::from_le_bytes(how[8..16].try_into().unwrap_or_default()),
                        u64::from_le_bytes(how[16..24].try_into().unwrap_or_default()),
                    )
                } else {
                    (0, 0, 0)
                };
                let mut fl = open_flags_to_ppm(flags);
                let mode = open_mode(flags, mode);
                let dirfd = fd_arg(a[0]);
                // RESOLVE_* bits have the same values in the driver.
                let res = (resolve & 0x3f) as u32;
                let e = [
                    V::Fd(dirfd),
                    V::Str(path_a),
                    V::Flags(fl),
                    V::Uint(mode as u64),
                    V::Flags(res),
                ];
                if created(&file) {
                    fl |= ppm_o::F_CREATED;
                }
                let x = [
                    V::Fd(ret),
                    V::Fd(dirfd),
                    V::Str(path_a),
                    V::Flags(fl),
                    V::Uint(mode as u64),
                    V::Flags(res),
                    dev(&file),
                    ino(&file),
                ];
                self.pair(out, rec, (en, &e), (ex, &x))
            }
            nr::CLOSE => self.pair(
                out,
                rec,
                (en, &[V::Fd(fd_arg(a[0]))]),
                (ex, &[V::Errno(ret), V::Fd(fd_arg(a[0]))]),
            ),
            nr::CHMOD => self.pair(
                out,
                rec,
                (en, &[]),
                (
                    ex,
                    &[
                        V::Errno(ret),
                        V::Str(path_a),
                        V::Mode((a[1] & 0o7777) as u32),
                    ],
                ),
            ),
            nr::FCHMOD => self.pair(
                out,
                rec,
                (en, &[]),
                (
                    ex,
                    &[
                        V::Errno(ret),
                        V::Fd(fd_arg(a[0])),
                        V::Mode((a[1] & 0o7777) as u32),
                    ],
                ),
            ),
            nr::FCHMODAT => self.pair(
                out,
                rec,
                (en, &[]),
                (
                    ex,
                    &[
                        V::Errno(ret),
                        V::Fd(fd_arg(a[0])),
                        V::Str(path_a),
                        V::Mode((a[2] & 0o7777) as u32),
                    ],
                ),
            ),
            nr::UNLINK | nr::RMDIR => {
                self.pair(out, rec, (en, &[]), (ex, &[V::Errno(ret), V::Str(path_a)]))
            }
            nr::UNLINKAT => self.pair(
                out,
                rec,
                (en, &[]),
                (
                    ex,
                    // AT_REMOVEDIR has the same value in the driver.
                    &[
                        V::Errno(ret),
                        V::Fd(fd_arg(a[0])),
                        V::Str(path_a),
                        V::Flags((a[2] & 0x200) as u32),
                    ],
                ),
            ),
            nr::RENAME => self.pair(
                out,
                rec,
                (en, &[]),
                (ex, &[V::Errno(ret), V::Str(path_a), V::Str(path_b)]),
            ),
            nr::RENAMEAT => self.pair(
                out,
                rec,
                (en, &[]),
                (
                    ex,
                    &[
                        V::Errno(ret),
                        V::Fd(fd_arg(a[0])),
                        V::Str(path_a),
                        V::Fd(fd_arg(a[2])),
                        V::Str(path_b),
                    ],
                ),
            ),
            nr::RENAMEAT2 => self.pair(
                out,
                rec,
                (en, &[]),
                (
                    ex,
                    &[
                        V::Errno(ret),
                        V::Fd(fd_arg(a[0])),
                        V::Str(path_a),
                        V::Fd(fd_arg(a[2])),
                        V::Str(path_b),
                        // RENAME_* bits have the same values in the driver.
                        V::Flags((a[4] & 7) as u32),
                    ],
                ),
            ),
            nr::MKDIR => {
                let mode = (a[1] & 0o7777) as u32;
                self.pair(
                    out,
                    rec,
                    (en, &[V::Uint(mode as u64)]),
                    (ex, &[V::Errno(ret), V::Str(path_a), V::Uint(mode as u64)]),
                )
            }
            nr::MKDIRAT => self.pair(
                out,
                rec,
                (en, &[]),
                (
                    ex,
                    &[
                        V::Errno(ret),
                        V::Fd(fd_arg(a[0])),
                        V::Str(path_a),
                        V::Uint(a[2] & 0o7777),
                    ],
                ),
            ),
            nr::CHDIR => self.pair(out, rec, (en, &[]), (ex, &[V::Errno(ret), V::Str(path_a)])),
            nr::FCHDIR => self.pair(
                out,
                rec,
                (en, &[V::Fd(fd_arg(a[0]))]),
                (ex, &[V::Errno(ret), V::Fd(fd_arg(a[0]))]),
            ),
            nr::CHROOT => self.pair(out, rec, (en, &[]), (ex, &[V::Errno(ret), V::Str(path_a)])),
            nr::DUP | nr::DUP2 | nr::DUP3 => {
                self.pair(out, rec, (en, &[V::Fd(fd_arg(a[0]))]), (ex, &[V::Fd(ret)]))
            }
            nr::FCNTL => {
                let (fd, cmd) = (V::Fd(fd_arg(a[0])), V::Flags(fcntl_cmd_to_ppm(a[1])));
                self.pair(
                    out,
                    rec,
                    (en, &[fd.clone(), cmd.clone()]),
                    (ex, &[V::Fd(ret), fd, cmd, V::Uint(a[2])]),
                )
            }
            nr::PIPE | nr::PIPE2 => {
                let (fd1, fd2) = if pipe_fds.len() >= 8 && ret == 0 {
                    (
                        i32::from_le_bytes(pipe_fds[0..4].try_into().unwrap_or_default()) as i64,
                        i32::from_le_bytes(pipe_fds[4..8].try_into().unwrap_or_default()) as i64,
                    )
                } else {
                    (-1, -1)
                };
                self.pair(
                    out,
                    rec,
                    (en, &[]),
                    (ex, &[V::Errno(ret), V::Fd(fd1), V::Fd(fd2), ino(&file)]),
                )
            }
            nr::SOCKET => {
                // Address families have the same values in the driver.
                let v = [
                    V::Flags(a[0] as u32),
                    V::Uint(a[1] & 0xffff_ffff),
                    V::Uint(a[2] & 0xffff_ffff),
                ];
                let x = [V::Fd(ret), v[0].clone(), v[1].clone(), v[2].clone()];
                self.pair(out, rec, (en, &v), (ex, &x))
            }
            nr::CONNECT => {
                let sa = sockaddr(addr);
                let unix_path = match sa {
                    Some(SockAddr::Unix { path }) => Some(path),
                    _ => None,
                };
                let t = tup.as_ref().and_then(|t| tuple(t, unix_path));
                let addr_v = sa.map_or(V::Empty, V::SockAddr);
                let e = [V::Fd(fd_arg(a[0])), addr_v.clone()];
                let x = [
                    V::Errno(ret),
                    t.map_or(V::Empty, V::SockTuple),
                    V::Fd(fd_arg(a[0])),
                    addr_v,
                ];
                self.pair(out, rec, (en, &e), (ex, &x))
            }
            nr::BIND => {
                let sa = sockaddr(addr);
                self.pair(
                    out,
                    rec,
                    (en, &[V::Fd(fd_arg(a[0]))]),
                    (
                        ex,
                        &[
                            V::Errno(ret),
                            sa.map_or(V::Empty, V::SockAddr),
                            V::Fd(fd_arg(a[0])),
                        ],
                    ),
                )
            }
            nr::ACCEPT | nr::ACCEPT4 => {
                // The tuple of an accepted connection: the peer is the
                // source, this end the destination.
                let t = tup.as_ref().and_then(|t| match t.family {
                    2 | 10 => inet_tuple(t.family, t.daddr, t.dport, t.saddr, t.sport),
                    1 => Some(SockTuple::Unix {
                        source: t.source,
                        dest: t.dest,
                        path: t.path,
                    }),
                    _ => None,
                });
                let x = [
                    V::Fd(ret),
                    t.map_or(V::Empty, V::SockTuple),
                    V::Uint(0),
                    V::Uint(0),
                    V::Uint(0),
                ];
                if sc.nr == nr::ACCEPT4 {
                    self.pair(
                        out,
                        rec,
                        (en, &[V::Int(a[3] as u32 as i32 as i64)]),
                        (ex, &x),
                    )
                } else {
                    self.pair(out, rec, (en, &[]), (ex, &x))
                }
            }
            nr::SETUID => self.pair(
                out,
                rec,
                (en, &[V::Uid(a[0] as u32)]),
                (ex, &[V::Errno(ret), V::Uid(a[0] as u32)]),
            ),
            nr::SETGID => self.pair(
                out,
                rec,
                (en, &[V::Gid(a[0] as u32)]),
                (ex, &[V::Errno(ret), V::Gid(a[0] as u32)]),
            ),
            nr::SETRESUID => {
                let v = [
                    V::Uid(a[0] as u32),
                    V::Uid(a[1] as u32),
                    V::Uid(a[2] as u32),
                ];
                self.pair(
                    out,
                    rec,
                    (en, &v),
                    (
                        ex,
                        &[V::Errno(ret), v[0].clone(), v[1].clone(), v[2].clone()],
                    ),
                )
            }
            nr::SETRESGID => {
                let v = [
                    V::Gid(a[0] as u32),
                    V::Gid(a[1] as u32),
                    V::Gid(a[2] as u32),
                ];
                self.pair(
                    out,
                    rec,
                    (en, &v),
                    (
                        ex,
                        &[V::Errno(ret), v[0].clone(), v[1].clone(), v[2].clone()],
                    ),
                )
            }
            nr::PTRACE => {
                let req = ptrace_request_to_ppm(a[0]);
                let addr_b = a[2].to_le_bytes();
                let data_b = a[3].to_le_bytes();
                self.pair(
                    out,
                    rec,
                    (en, &[V::Flags(req), V::Pid(a[1] as u32 as i32 as i64)]),
                    (
                        ex,
                        &[
                            V::Errno(ret),
                            V::Dynamic {
                                index: 0,
                                data: &addr_b,
                            },
                            V::Dynamic {
                                index: 0,
                                data: &data_b,
                            },
                            V::Flags(req),
                            V::Pid(a[1] as u32 as i32 as i64),
                        ],
                    ),
                )
            }
            _ => false,
        }
    }

    fn exec(&mut self, rec: &Record<'_>, out: &mut Events) -> bool {
        let filename = cstr(rec.param(0));
        let Some(pi) = ProcInfo::parse(rec.param(6)) else {
            return false;
        };
        let comm = cstr(rec.param(1));
        let (exe, args) = split_args(rec.param(2));
        let env = rec.param(3);
        let cwd = cstr(rec.param(4));
        let cgroups = rec.param(5);
        let exepath = cstr(rec.param(7));
        let execveat = rec.nr == 322;
        let (en, ex) = if execveat { (330, 331) } else { (292, 293) };
        // execveat's path as given: the kernel's file name is
        // "/dev/fd/<dirfd>/<path>" for a relative path and a dirfd.
        let dirfd = fd_arg(rec.args[1]);
        // The record's arguments come from a failed execveat's registers;
        // a successful exec's enter event is not written (see `pair`).
        let at_path = if execveat {
            strip_dev_fd(filename, dirfd)
        } else {
            filename
        };
        let enter_at = [
            V::Fd(dirfd),
            V::Str(at_path),
            V::Flags(execveat_flags(rec.args[3])),
        ];
        let enter_plain = [V::Str(filename)];
        let enter: &[V<'_>] = if execveat { &enter_at } else { &enter_plain };
        // A failed exec (ret < 0) describes the unchanged process.
        // execve's exit ends with the file name; execveat's has one
        // parameter less.
        let x = [
            V::Errno(rec.ret.min(0)),
            V::Str(exe),
            V::Bytes(args),
            V::Pid(pi.tid as i64),
            V::Pid(pi.pid as i64),
            V::Pid(pi.ptid as i64),
            V::Str(cwd),
            V::Uint(pi.fdlimit),
            V::Uint(pi.pgft_maj),
            V::Uint(pi.pgft_min),
            V::Uint(pi.vm_size_kb & 0xffff_ffff),
            V::Uint(0),
            V::Uint(0),
            V::Str(comm),
            V::Bytes(cgroups),
            V::Bytes(env),
            V::Int(pi.tty as i32 as i64),
            V::Pid(pi.vpgid as i64),
            V::Uid(pi.loginuid),
            V::Flags(0),
            V::Uint(pi.cap_inheritable),
            V::Uint(pi.cap_permitted),
            V::Uint(pi.cap_effective),
            V::Uint(pi.exe_ino),
            V::AbsTime(0),
            V::AbsTime(0),
            V::Uid(pi.euid),
            V::Str(exepath),
            V::Pid(pi.vpgid as i64),
            V::Gid(pi.egid),
            V::Str(filename),
        ];
        let x = if execveat { &x[..x.len() - 1] } else { &x[..] };
        self.pair(out, rec, (en, enter), (ex, x))
    }

    fn fork(&mut self, rec: &Record<'_>, out: &mut Events) -> bool {
        let Some(pi) = ProcInfo::parse(rec.param(6)) else {
            return false;
        };
        let comm = cstr(rec.param(1));
        let (exe, args) = split_args(rec.param(2));
        let cwd = cstr(rec.param(4));
        let cgroups = rec.param(5);
        let x = [
            V::Pid(0),
            V::Str(exe),
            V::Bytes(args),
            V::Pid(pi.tid as i64),
            V::Pid(pi.pid as i64),
            V::Pid(pi.ptid as i64),
            V::Str(cwd),
            V::Int(pi.fdlimit as i64),
            V::Uint(pi.pgft_maj),
            V::Uint(pi.pgft_min),
            V::Uint(pi.vm_size_kb & 0xffff_ffff),
            V::Uint(0),
            V::Uint(0),
            V::Str(comm),
            V::Bytes(cgroups),
            V::Flags(fork_flags_to_ppm(pi.flags)),
            V::Uint(pi.euid as u64),
            V::Uint(pi.egid as u64),
            V::Pid(pi.vtid as i64),
            V::Pid(pi.vpid as i64),
            V::Uint(pi.pidns_init_start),
        ];
        self.push(out, CLONE_X, self.ts(rec.ts), rec, &x)
    }

    fn exit(&mut self, rec: &Record<'_>, out: &mut Events) -> bool {
        let code = rec.ret as u32 as i64;
        let ret = (code >> 8) & 0xff;
        let sig = (code & 0x7f) as u64;
        let core = u64::from(code & 0x80 != 0);
        self.push(
            out,
            PROCEXIT_E,
            self.ts(rec.ts),
            rec,
            &[V::Errno(code), V::Errno(ret), V::Uint(sig), V::Uint(core)],
        )
    }
}

/// execveat's path as given: the kernel's file name is
/// "/dev/fd/<dirfd>/<path>" for a relative path and a dirfd.
fn strip_dev_fd(filename: &[u8], dirfd: i64) -> &[u8] {
    let Some(rest) = filename.strip_prefix(b"/dev/fd/") else {
        return filename;
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let same_fd = std::str::from_utf8(&rest[..digits])
        .ok()
        .and_then(|d| d.parse::<i64>().ok())
        == Some(dirfd);
    match rest[digits..].strip_prefix(b"/") {
        Some(path) if digits > 0 && same_fd => path,
        _ => filename,
    }
}

/// Linux execveat flags → the driver's (`AT_EMPTY_PATH` 1,
/// `AT_SYMLINK_NOFOLLOW` 2).
fn execveat_flags(f: u64) -> u32 {
    let mut r = 0;
    if f & 0x1000 != 0 {
        r |= 1;
    }
    if f & 0x100 != 0 {
        r |= 2;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_map_to_ppm_values() {
        assert_eq!(open_flags_to_ppm(0), ppm_o::RDONLY);
        assert_eq!(
            open_flags_to_ppm(0o1 | 0o100 | 0o1000),
            ppm_o::WRONLY | ppm_o::CREAT | ppm_o::TRUNC
        );
        assert_eq!(
            open_flags_to_ppm(0o2 | 0o2000000),
            ppm_o::RDWR | ppm_o::CLOEXEC
        );
        assert_eq!(
            open_flags_to_ppm(0o200000),
            ppm_o::RDONLY | ppm_o::DIRECTORY
        );
        assert_eq!(
            open_flags_to_ppm(0o20200000 | 0o2),
            ppm_o::RDWR | ppm_o::TMPFILE
        );
        assert_eq!(
            open_flags_to_ppm(0o4010000),
            ppm_o::RDONLY | ppm_o::SYNC | ppm_o::DSYNC
        );
        assert_eq!(open_mode(0, 0o644), 0);
        assert_eq!(open_mode(0o100, 0o100644), 0o644);
    }

    #[test]
    fn sockaddrs_decode() {
        let mut v4 = vec![2u8, 0, 0x01, 0xbb, 93, 184, 216, 34];
        v4.extend([0; 8]);
        assert_eq!(
            sockaddr(&v4),
            Some(SockAddr::Inet {
                ip: Ipv4Addr::new(93, 184, 216, 34),
                port: 443
            })
        );
        let mut un = vec![1u8, 0];
        un.extend(b"/run/x.sock\0garbage");
        assert_eq!(
            sockaddr(&un),
            Some(SockAddr::Unix {
                path: b"/run/x.sock"
            })
        );
        let mut abs = vec![1u8, 0, 0];
        abs.extend(b"abstract\0");
        assert_eq!(
            sockaddr(&abs),
            Some(SockAddr::Unix {
                path: b"\0abstract"
            })
        );
        assert_eq!(sockaddr(&[2]), None);
    }

    #[test]
    fn args_split_like_the_drivers() {
        assert_eq!(
            split_args(b"curl\0-s\0x\0"),
            (&b"curl"[..], &b"-s\0x\0"[..])
        );
        assert_eq!(split_args(b"true\0"), (&b"true"[..], &b""[..]));
        assert_eq!(split_args(b""), (&b""[..], &b""[..]));
    }

    #[test]
    fn fast_encoding_equals_the_scap_encoder() {
        let mut c = Converter::new(0);
        let tuple = SockTuple::Inet {
            sip: Ipv4Addr::new(10, 0, 0, 1),
            sport: 40000,
            dip: Ipv4Addr::new(93, 184, 216, 34),
            dport: 443,
        };
        let cases: Vec<(u16, Vec<V<'_>>)> = vec![
            (
                307,
                vec![
                    V::Fd(3),
                    V::Fd(-100),
                    V::Str(b"/etc/x"),
                    V::Flags(ppm_o::RDONLY),
                    V::Uint(0o644),
                    V::Uint(2049),
                    V::Uint(77),
                ],
            ),
            (
                23,
                vec![V::Errno(-115), V::SockTuple(tuple), V::Fd(3), V::Empty],
            ),
            (5, vec![V::Errno(0), V::Fd(7)]),
            (199, vec![V::Errno(0), V::Uid(1000)]),
            (
                169,
                vec![
                    V::Errno(0),
                    V::Dynamic {
                        index: 0,
                        data: &[1, 2, 3, 4, 5, 6, 7, 8],
                    },
                    V::Dynamic {
                        index: 0,
                        data: &[0; 8],
                    },
                    V::Flags(11),
                    V::Pid(42),
                ],
            ),
            (
                293,
                vec![
                    V::Errno(0),
                    V::Str(b"curl"),
                    V::Bytes(b"-s\0x\0"),
                    V::Pid(1),
                    V::Pid(1),
                    V::Pid(0),
                    V::Str(b"/"),
                    V::Uint(1024),
                    V::Uint(0),
                    V::Uint(0),
                    V::Uint(10),
                    V::Uint(0),
                    V::Uint(0),
                    V::Str(b"curl"),
                    V::Bytes(b"cpu=/\0"),
                    V::Bytes(b"A=1\0"),
                    V::Int(0),
                    V::Pid(1),
                    V::Uid(u32::MAX),
                    V::Flags(0),
                ],
            ),
        ];
        for (code, vals) in cases {
            let a = c.build(code, 5, 6, 1, &vals).unwrap();
            let b = Event::from_values(code, 5, 6, 1, &vals).unwrap();
            assert!(a.same_content(&b), "{code}");
        }
        // A value that does not fit its type is an error, as in scap.
        assert!(c.build(199, 5, 6, 1, &[V::Errno(0), V::Str(b"x")]).is_err());
        assert!(Event::from_values(199, 5, 6, 1, &[V::Errno(0), V::Str(b"x")]).is_err());
    }

    #[test]
    fn execveat_paths_lose_the_dev_fd_prefix_of_their_dirfd() {
        assert_eq!(strip_dev_fd(b"/dev/fd/3/bin/x", 3), b"bin/x");
        assert_eq!(strip_dev_fd(b"/dev/fd/3/bin/x", 4), b"/dev/fd/3/bin/x");
        assert_eq!(strip_dev_fd(b"/dev/fd/3", 3), b"/dev/fd/3");
        assert_eq!(strip_dev_fd(b"/usr/bin/x", 3), b"/usr/bin/x");
        assert_eq!(strip_dev_fd(b"/dev/fd//x", 3), b"/dev/fd//x");
    }

    #[test]
    fn lookup_tables() {
        assert_eq!(fcntl_cmd_to_ppm(0), 1);
        assert_eq!(fcntl_cmd_to_ppm(1030), 26);
        assert_eq!(ptrace_request_to_ppm(16), 11);
        assert_eq!(ptrace_request_to_ppm(0x4206), 20);
        assert_eq!(
            fork_flags_to_ppm(fork_flags::THREAD | fork_flags::VM | fork_flags::FILES),
            ppm_cl::CLONE_THREAD | ppm_cl::CLONE_VM | ppm_cl::CLONE_FILES
        );
    }
}
