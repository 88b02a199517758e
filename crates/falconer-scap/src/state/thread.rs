//! Threads: the thread table entries (`sinsp_threadinfo`).

use std::sync::Arc;

use crate::event::Event;
use crate::meta::ThreadInfo;

use super::fd::FdTable;

/// `PPM_CL_*` clone flag bits used by the state.
pub mod clone_flags {
    pub const CLONE_FILES: u32 = 1 << 0;
    pub const CLONE_FS: u32 = 1 << 1;
    pub const CLONE_NEWPID: u32 = 1 << 6;
    pub const CLONE_PARENT: u32 = 1 << 8;
    pub const CLONE_THREAD: u32 = 1 << 13;
    pub const CLONE_INVERTED: u32 = 1 << 16;
    pub const NAME_CHANGED: u32 = 1 << 17;
    pub const ACTIVE: u32 = 1 << 19;
    pub const CLONE_NEWUSER: u32 = 1 << 20;
    pub const PIPE_SRC: u32 = 1 << 21;
    pub const PIPE_DST: u32 = 1 << 22;
    pub const CLONE_VFORK: u32 = 1 << 27;
    pub const CHILD_IN_PIDNS: u32 = 1 << 29;
    pub const IS_MAIN_THREAD: u32 = 1 << 30;
}

use clone_flags::*;

/// One thread of the thread table.
///
/// Strings keep the bytes of the events they come from (not necessarily
/// UTF-8). Process-wide data (`cwd`, `env`, the fd table) is meaningful
/// on the main thread: use the [`State`](super::State) accessors, which
/// look it up there as libsinsp does.
#[derive(Clone, Debug, Default)]
pub struct Thread {
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    /// Session id (-1 unknown).
    pub sid: i64,
    /// Process group id in the pid namespace (-1 unknown).
    pub vpgid: i64,
    /// Process group id (-1 unknown).
    pub pgid: i64,
    pub vtid: i64,
    pub vpid: i64,
    /// The command name (`proc.name`).
    pub comm: Vec<u8>,
    /// argv\[0\] (`proc.exe`).
    pub exe: Vec<u8>,
    /// The executable's full path (`proc.exepath`).
    pub exepath: Vec<u8>,
    /// argv\[1..\].
    pub args: Vec<Vec<u8>>,
    /// `NAME=value` strings (main thread); shared with the processes
    /// forked from it until one of them executes another program.
    pub env: Arc<[Vec<u8>]>,
    /// Working directory with a trailing `/` (main thread).
    pub cwd: Vec<u8>,
    pub root: Vec<u8>,
    /// `(subsystem, path)`, subsystem names normalised like libsinsp;
    /// one set shared by the threads that have the same.
    pub cgroups: Arc<Cgroups>,
    /// The container id from the cgroups (empty: the host).
    pub container_id: Vec<u8>,
    /// `PPM_CL_*` flags (see [`clone_flags`]).
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    /// `u32::MAX` when unknown.
    pub loginuid: u32,
    pub tty: u32,
    pub fdlimit: i64,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    pub exe_writable: bool,
    pub exe_upper_layer: bool,
    pub exe_lower_layer: bool,
    pub exe_from_memfd: bool,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub exe_ino_ctime_duration_clone_ts: u64,
    pub exe_ino_ctime_duration_pidns_start: u64,
    /// Creation time (clone exit), 0 for threads from the process list
    /// of a capture that does not carry it.
    pub clone_ts: u64,
    pub pidns_init_start_ts: u64,
    pub lastexec_ts: u64,
    /// Number of other threads of this process in the table (main thread).
    pub nchilds: u64,
    /// A placeholder created for an unknown thread (libsinsp's "invalid"
    /// thread: `<NA>` name, unknown parent).
    pub invalid: bool,
    /// The fd of the last enter event that uses one (`m_lastevent_fd`).
    pub lastevent_fd: i64,
    pub(crate) lastevent_type: u16,
    pub(crate) lastevent_data: Option<Box<Event>>,
    pub(crate) lastevent_valid: bool,
    /// Time since the matching enter event (exit events).
    pub latency: u64,
    pub(crate) last_latency_entertime: u64,
    pub(crate) fds: FdTable,
}

impl Thread {
    /// A placeholder for a thread the state does not know (libsinsp's
    /// fake thread: `<NA>` names, no parent).
    pub(crate) fn placeholder(tid: i64) -> Thread {
        Thread {
            tid,
            pid: -1,
            ptid: -1,
            sid: -1,
            vpgid: -1,
            pgid: -1,
            vtid: -1,
            vpid: -1,
            comm: b"<NA>".to_vec(),
            exe: b"<NA>".to_vec(),
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            fdlimit: -1,
            invalid: true,
            lastevent_fd: -1,
            lastevent_type: u16::MAX,
            ..Thread::default()
        }
    }

    /// A thread of a capture's process list (libsinsp
    /// `sinsp_threadinfo::init(scap_threadinfo*)`).
    pub(crate) fn from_info(t: &ThreadInfo) -> Thread {
        let main = t.tid == t.pid || t.flags & IS_MAIN_THREAD != 0;
        let mut th = Thread {
            tid: t.tid,
            pid: t.pid,
            ptid: t.ptid,
            sid: t.sid,
            vpgid: t.vpgid,
            pgid: t.pgid,
            vtid: t.vtid,
            vpid: t.vpid,
            comm: t.comm.as_bytes().to_vec(),
            exe: t.exe.as_bytes().to_vec(),
            exepath: t.exepath.as_bytes().to_vec(),
            args: t.args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            root: t.root.as_bytes().to_vec(),
            flags: t.flags | ACTIVE,
            uid: t.uid,
            gid: t.gid,
            loginuid: t.loginuid,
            tty: t.tty,
            fdlimit: t.fdlimit as i64,
            vmsize_kb: t.vmsize_kb,
            vmrss_kb: t.vmrss_kb,
            vmswap_kb: t.vmswap_kb,
            pfmajor: t.pfmajor,
            pfminor: t.pfminor,
            exe_writable: t.exe_writable,
            exe_upper_layer: t.exe_upper_layer,
            exe_lower_layer: t.exe_lower_layer,
            exe_from_memfd: t.exe_from_memfd,
            cap_inheritable: t.cap_inheritable,
            cap_permitted: t.cap_permitted,
            cap_effective: t.cap_effective,
            exe_ino: t.exe_ino,
            exe_ino_ctime: t.exe_ino_ctime,
            exe_ino_mtime: t.exe_ino_mtime,
            pidns_init_start_ts: t.pidns_init_start_ts,
            lastevent_fd: -1,
            lastevent_type: u16::MAX,
            ..Thread::default()
        };
        if main {
            th.env = t.env.iter().map(|e| e.as_bytes().to_vec()).collect();
            th.cwd = normalise_cwd(b"", t.cwd.as_bytes());
        }
        th.cgroups = Arc::new(Cgroups::from_strs(t.cgroups.iter().map(|s| s.as_bytes())));
        th.container_id = th.cgroups.container_id.clone();
        th
    }

    /// libsinsp `is_in_pid_namespace`.
    pub fn is_in_pid_namespace(&self) -> bool {
        self.flags & CHILD_IN_PIDNS != 0 || (self.tid != self.vtid && self.vtid >= 0)
    }

    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid || self.flags & IS_MAIN_THREAD != 0
    }

    /// Sets the arguments from a NUL-separated buffer (execve `args`).
    pub(crate) fn set_args(&mut self, buf: &[u8]) {
        self.args = split_nul(buf);
    }

    /// Sets the environment from a NUL-separated buffer (an all-NUL tail
    /// ends the list, as libsinsp does).
    /// An environment equal to the current one (a program executed with
    /// the environment it inherited) keeps the shared list.
    pub(crate) fn set_env(&mut self, buf: &[u8]) {
        let mut off = 0;
        let vars = std::iter::from_fn(|| {
            let rest = buf.get(off..).filter(|r| !r.is_empty())?;
            let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            if len == 0 && rest.iter().all(|&b| b == 0) {
                return None;
            }
            off += len + 1;
            Some(&rest[..len])
        });
        let vars: Vec<&[u8]> = vars.collect();
        if !vars.iter().copied().eq(self.env.iter().map(Vec::as_slice)) {
            self.env = vars.into_iter().map(<[u8]>::to_vec).collect();
        }
    }

    /// The cgroup path of a subsystem.
    pub fn cgroup(&self, subsys: &[u8]) -> Option<&[u8]> {
        self.cgroups
            .iter()
            .find(|(s, _)| s == subsys)
            .map(|(_, p)| p.as_slice())
    }

    /// The value of environment variable `name` in `env` (libsinsp
    /// `get_env`: leading and trailing blanks of the value removed).
    pub fn env_value<'a>(env: &'a [Vec<u8>], name: &[u8]) -> Option<&'a [u8]> {
        for e in env {
            if e.len() > name.len() && e[name.len()] == b'=' && e.starts_with(name) {
                let v = &e[name.len() + 1..];
                let start = v.iter().position(|&b| b != b' ');
                return Some(match start {
                    None => &[],
                    Some(s) => {
                        let end = v.iter().rposition(|&b| b != b' ').unwrap_or(s);
                        &v[s..=end]
                    }
                });
            }
        }
        None
    }

    /// A copy without the fd table and the stored enter event.
    pub(crate) fn clone_shallow(&self) -> Thread {
        Thread {
            tid: self.tid,
            pid: self.pid,
            ptid: self.ptid,
            sid: self.sid,
            vpgid: self.vpgid,
            pgid: self.pgid,
            vtid: self.vtid,
            vpid: self.vpid,
            comm: self.comm.clone(),
            exe: self.exe.clone(),
            exepath: self.exepath.clone(),
            args: self.args.clone(),
            env: Arc::default(),
            cwd: Vec::new(),
            root: self.root.clone(),
            cgroups: Arc::default(),
            container_id: self.container_id.clone(),
            flags: self.flags,
            uid: self.uid,
            gid: self.gid,
            loginuid: self.loginuid,
            tty: self.tty,
            fdlimit: self.fdlimit,
            vmsize_kb: self.vmsize_kb,
            vmrss_kb: self.vmrss_kb,
            vmswap_kb: self.vmswap_kb,
            pfmajor: self.pfmajor,
            pfminor: self.pfminor,
            exe_writable: self.exe_writable,
            exe_upper_layer: self.exe_upper_layer,
            exe_lower_layer: self.exe_lower_layer,
            exe_from_memfd: self.exe_from_memfd,
            cap_inheritable: self.cap_inheritable,
            cap_permitted: self.cap_permitted,
            cap_effective: self.cap_effective,
            exe_ino: self.exe_ino,
            exe_ino_ctime: self.exe_ino_ctime,
            exe_ino_mtime: self.exe_ino_mtime,
            exe_ino_ctime_duration_clone_ts: self.exe_ino_ctime_duration_clone_ts,
            exe_ino_ctime_duration_pidns_start: self.exe_ino_ctime_duration_pidns_start,
            clone_ts: self.clone_ts,
            pidns_init_start_ts: self.pidns_init_start_ts,
            lastexec_ts: self.lastexec_ts,
            nchilds: self.nchilds,
            invalid: self.invalid,
            lastevent_fd: self.lastevent_fd,
            lastevent_type: self.lastevent_type,
            lastevent_data: None,
            lastevent_valid: false,
            latency: self.latency,
            last_latency_entertime: self.last_latency_entertime,
            fds: FdTable::default(),
        }
    }

    /// Approximate heap size, for the memory bound tests.
    pub fn heap_size(&self) -> usize {
        let v = |x: &Vec<u8>| x.capacity();
        let vv = |x: &Vec<Vec<u8>>| x.iter().map(Vec::capacity).sum::<usize>() + x.capacity() * 24;
        v(&self.comm)
            + v(&self.exe)
            + v(&self.exepath)
            + vv(&self.args)
            + self.env.iter().map(Vec::capacity).sum::<usize>()
            + self.env.len() * 24
            + v(&self.cwd)
            + v(&self.root)
            + self
                .cgroups
                .iter()
                .map(|(a, b)| a.capacity() + b.capacity() + 48)
                .sum::<usize>()
            + v(&self.container_id)
            + self.lastevent_data.as_ref().map_or(0, |e| {
                e.nparams() * 8 + 64 + e.params().map(|p| p.raw.len()).sum::<usize>()
            })
            + self
                .fds
                .iter()
                .map(|(_, f)| f.name.capacity() + f.name_raw.capacity() + 96)
                .sum::<usize>()
    }
}

pub(crate) fn split_nul(buf: &[u8]) -> Vec<Vec<u8>> {
    // libsinsp: each piece up to its NUL, until the buffer length is used.
    let mut out = Vec::new();
    let mut off = 0;
    while off < buf.len() {
        let rest = &buf[off..];
        let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        out.push(rest[..len].to_vec());
        off += len + 1;
    }
    out
}

/// A set of cgroups (`(subsystem, path)` pairs, subsystem names normalised
/// like libsinsp) and the container id it gives. Threads with the same
/// set share one (`Arc`); it derefs to the pairs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Cgroups {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    container_id: Vec<u8>,
}

impl Cgroups {
    /// The set of a NUL-separated buffer of `subsys=path` (the `cgroups`
    /// parameter of clone and execve exits).
    pub(crate) fn from_buffer(buf: &[u8]) -> Cgroups {
        let parts = split_nul(buf);
        Cgroups::from_strs(parts.iter().map(|p| p.as_slice()))
    }

    pub(crate) fn from_strs<'a>(items: impl Iterator<Item = &'a [u8]>) -> Cgroups {
        let mut pairs = Vec::new();
        for s in items {
            // libsinsp splits at the last '=' and stops at an entry with none.
            let Some(eq) = s.iter().rposition(|&b| b == b'=') else {
                break;
            };
            let mut subsys = s[..eq].to_vec();
            let path = s[eq + 1..].to_vec();
            if let Some(p) = find(&subsys, b"_cgroup") {
                subsys.drain(p..p + "_cgroup".len());
            }
            let subsys = match subsys.as_slice() {
                b"perf" => b"perf_event".to_vec(),
                b"mem" => b"memory".to_vec(),
                b"io" => b"blkio".to_vec(),
                _ => subsys,
            };
            pairs.push((subsys, path));
        }
        let container_id = super::container::container_id_of(&pairs);
        Cgroups {
            pairs,
            container_id,
        }
    }

    /// The container id these cgroups give (empty: the host).
    pub fn container_id(&self) -> &[u8] {
        &self.container_id
    }
}

impl std::ops::Deref for Cgroups {
    type Target = [(Vec<u8>, Vec<u8>)];

    fn deref(&self) -> &Self::Target {
        &self.pairs
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// libsinsp's `set_cwd`/`update_cwd`: joins with the current directory and
/// keeps a trailing `/`.
pub(crate) fn normalise_cwd(current: &[u8], new: &[u8]) -> Vec<u8> {
    let mut p = super::path::concatenate_paths(current, new);
    if p.last() != Some(&b'/') {
        p.push(b'/');
    }
    p
}
