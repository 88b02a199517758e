//! The event parsers: how each event type changes the state (libsinsp's
//! `sinsp_parser`, current libs, with the fallbacks old capture layouts
//! need: a parameter missing from an exit event is taken from the stored
//! enter event, as current libs' converter does).

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use falconer_catalog::{Direction, EventFlags, EventInfo, FieldType, EVENT_CODE_UNIVERSE};

use crate::event::Event;
use crate::meta::fd_types as ft;
use crate::value::{decode, ParamValue, SockAddr, SockTuple};

use super::container::Container;
use super::fd::{fd_flags, ipv4_mapped, l4, Fd, Sock};
use super::path::{concatenate_paths, concatenate_paths_into};
use super::thread::{clone_flags as cf, Thread};
use super::{Group, State, User, MAX_STORED_ENTER_EVENT};

const PROCINFO_E: u16 = 234;
const SCHEDSWITCH_6_E: u16 = 152;
const SCHEDSWITCH_1_E: u16 = 146;
const CONTAINER_E: u16 = 228;
const CONTAINER_JSON_E: u16 = 272;
const CONTAINER_JSON_2_E: u16 = 324;
const PLUGINEVENT_E: u16 = 322;
const ASYNCEVENT_E: u16 = 402;
const USER_ADDED_E: u16 = 354;
const USER_DELETED_E: u16 = 356;
const GROUP_ADDED_E: u16 = 358;
const GROUP_DELETED_E: u16 = 360;
const EXECVE_19_X: u16 = 293;
const EXECVEAT_E: u16 = 330;

const PPM_O_DIRECTORY: u32 = 1 << 10;
const PPM_O_CLOEXEC: u32 = 1 << 12;
const PPM_O_F_CREATED: u32 = 1 << 14;
const PPM_FD_UPPER_LAYER: u32 = 1 << 15;
const PPM_FD_LOWER_LAYER: u32 = 1 << 16;
const PPM_FD_UPPER_LAYER_CREAT: u32 = 1 << 0;
const PPM_FD_LOWER_LAYER_CREAT: u32 = 1 << 1;
const PPM_AT_FDCWD: i64 = -100;
const PPM_EXVAT_AT_EMPTY_PATH: u32 = 1;
const PPM_EXE_WRITABLE: u32 = 1 << 0;
const PPM_EXE_UPPER_LAYER: u32 = 1 << 1;
const PPM_EXE_FROM_MEMFD: u32 = 1 << 2;
const PPM_EXE_LOWER_LAYER: u32 = 1 << 3;
const PPM_RLIMIT_NOFILE: u64 = 7;
const PPM_FCNTL_F_DUPFD: u64 = 1;
const PPM_FCNTL_F_SETFD: u64 = 3;
const PPM_FCNTL_F_DUPFD_CLOEXEC: u64 = 26;
const PPM_EPOLL_CLOEXEC: u32 = 1;
const PPM_CLOSE_RANGE_CLOEXEC: u32 = 1 << 1;
const SE_EINPROGRESS: i64 = 115;
const PPM_AF_UNIX: u8 = 1;
const PPM_AF_INET: u8 = 2;
const PPM_AF_INET6: u8 = 10;
const PPM_AF_NETLINK: u8 = 16;
const IPPROTO_IP: u64 = 0;
const IPPROTO_ICMP: u64 = 1;
const IPPROTO_TCP: u64 = 6;
const IPPROTO_UDP: u64 = 17;
const IPPROTO_RAW: u64 = 255;
const SOCK_STREAM: u64 = 1;
const SOCK_DGRAM: u64 = 2;
const SOCK_RAW: u64 = 3;
/// `CLONE_STALE_TIME_NS`.
const CLONE_STALE_TIME_NS: u64 = 2_000_000_000;
/// Number of capabilities libsinsp knows (`get_max_caps`).
const N_CAPS: u32 = 41;

pub(super) fn is_container_event(code: u16) -> bool {
    matches!(code, CONTAINER_E | CONTAINER_JSON_E | CONTAINER_JSON_2_E)
}

/// Declares [`Pn`], the parameter names the parsers read, and their
/// texts in the event table.
macro_rules! param_names {
    ($($id:ident = $text:literal),* $(,)?) => {
        /// A parameter name the parsers read: looked up by event code in
        /// [`CodeInfo::params`] (built once from the event table), not
        /// compared per event.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        enum Pn { $($id),* }

        /// The table name of each [`Pn`], in declaration order.
        const PN_TEXT: &[&str] = &[$($text),*];

        /// Every [`Pn`], in declaration order.
        #[cfg(test)]
        const PN_ALL: &[Pn] = &[$(Pn::$id),*];
    };
}

param_names!(
    addr = "addr",
    arg = "arg",
    args = "args",
    cap_effective = "cap_effective",
    cap_inheritable = "cap_inheritable",
    cap_permitted = "cap_permitted",
    cgroups = "cgroups",
    cmd = "cmd",
    comm = "comm",
    container_id = "container_id",
    creat_flags = "creat_flags",
    cur = "cur",
    data = "data",
    dev = "dev",
    dirfd = "dirfd",
    domain = "domain",
    egid = "egid",
    env = "env",
    euid = "euid",
    exe = "exe",
    exe_ino = "exe_ino",
    exe_ino_ctime = "exe_ino_ctime",
    exe_ino_mtime = "exe_ino_mtime",
    fd = "fd",
    fd1 = "fd1",
    fd2 = "fd2",
    fdlimit = "fdlimit",
    fd_out = "fd_out",
    fdout = "fdout",
    filename = "filename",
    first = "first",
    flags = "flags",
    gid = "gid",
    home = "home",
    id = "id",
    image = "image",
    ino = "ino",
    json = "json",
    last = "last",
    linkdirfd = "linkdirfd",
    loginuid = "loginuid",
    name = "name",
    newcur = "newcur",
    nstype = "nstype",
    oldfd = "oldfd",
    path = "path",
    pathname = "pathname",
    peer = "peer",
    pgft_maj = "pgft_maj",
    pgft_min = "pgft_min",
    pgid = "pgid",
    pid = "pid",
    pid_fd = "pid_fd",
    pidns_init_start_ts = "pidns_init_start_ts",
    proto = "proto",
    ptid = "ptid",
    res = "res",
    resource = "resource",
    shell = "shell",
    source = "source",
    target_fd = "target_fd",
    trusted_exepath = "trusted_exepath",
    tty = "tty",
    tuple = "tuple",
    type_ = "type",
    uid = "uid",
    vm_rss = "vm_rss",
    vm_size = "vm_size",
    vm_swap = "vm_swap",
    vpgid = "vpgid",
    vpid = "vpid",
    vtid = "vtid",
);

/// Number of [`Pn`] names.
const N_PN: usize = PN_TEXT.len();

/// The parameter of `ev` with that name, as [`Event::value`] gives it
/// (the first one with the name in the event table's layout).
fn param_value(ev: &Event, key: Pn) -> Option<ParamValue<'_>> {
    let (raw, ty) = param_raw(ev, key)?;
    Some(decode(ty, raw))
}

/// The stored bytes and the type of a parameter by name.
#[inline]
fn param_raw(ev: &Event, key: Pn) -> Option<(&[u8], FieldType)> {
    let (i, ty) = code_info(ev.code).params[key as usize]?;
    Some((ev.raw_param(i as usize)?, ty))
}

/// [`param_raw`], `None` when absent or empty (as [`val`]).
#[inline]
fn nonempty_raw(ev: &Event, key: Pn) -> Option<(&[u8], FieldType)> {
    param_raw(ev, key).filter(|(raw, _)| !raw.is_empty())
}

/// A parameter value by name, `None` when absent or empty.
fn val(ev: &Event, key: Pn) -> Option<ParamValue<'_>> {
    match param_value(ev, key)? {
        ParamValue::Empty => None,
        v => Some(v),
    }
}

/// `val(ev, key)` as a signed integer (`ParamValue::as_i64`), read
/// without building the value.
#[inline]
fn int(ev: &Event, key: Pn) -> Option<i64> {
    let (raw, ty) = param_raw(ev, key)?;
    crate::value::decode_i64(ty, raw)
}

/// `val(ev, key)` as an unsigned integer (`ParamValue::as_u64`).
#[inline]
fn uint(ev: &Event, key: Pn) -> Option<u64> {
    int(ev, key).map(|v| v as u64)
}

/// `val(ev, key)` as bytes (`ParamValue::as_bytes`).
#[inline]
fn bytes(ev: &Event, key: Pn) -> Option<&[u8]> {
    let (raw, ty) = param_raw(ev, key)?;
    crate::value::decode_bytes(ty, raw)
}

/// A parameter of the exit event, or of its stored enter event.
#[derive(Clone, Copy)]
struct Args<'a> {
    ev: &'a Event,
    enter: Option<&'a Event>,
}

impl<'a> Args<'a> {
    fn get(&self, key: Pn) -> Option<ParamValue<'a>> {
        val(self.ev, key).or_else(|| self.enter.and_then(|e| val(e, key)))
    }

    /// The raw parameter [`Args::get`] decodes: the exit event's when
    /// present and not empty, else the enter event's.
    #[inline]
    fn get_raw(&self, key: Pn) -> Option<(&'a [u8], FieldType)> {
        nonempty_raw(self.ev, key).or_else(|| self.enter.and_then(|e| nonempty_raw(e, key)))
    }

    fn exit(&self, key: Pn) -> Option<ParamValue<'a>> {
        val(self.ev, key)
    }

    /// `self.get(key)?.as_i64()`.
    fn int(&self, key: Pn) -> Option<i64> {
        let (raw, ty) = self.get_raw(key)?;
        crate::value::decode_i64(ty, raw)
    }

    fn uint(&self, key: Pn) -> Option<u64> {
        self.int(key).map(|v| v as u64)
    }

    /// `self.get(key)?.as_bytes()`.
    fn bytes(&self, key: Pn) -> Option<&'a [u8]> {
        let (raw, ty) = self.get_raw(key)?;
        crate::value::decode_bytes(ty, raw)
    }

    /// The return value: `res`, else `fd` for fd-creating events.
    fn ret(&self) -> Option<i64> {
        let (raw, ty) = nonempty_raw(self.ev, Pn::res).or_else(|| nonempty_raw(self.ev, Pn::fd))?;
        crate::value::decode_i64(ty, raw)
    }
}

fn flags(info: &EventInfo) -> EventFlags {
    info.flags
}

fn is_fd_event(info: &EventInfo) -> bool {
    let f = flags(info);
    f.contains(EventFlags::CREATES_FD)
        || f.contains(EventFlags::USES_FD)
        || f.contains(EventFlags::DESTROYS_FD)
}

fn enter_fd_location(name: &str) -> Option<Pn> {
    match name {
        "mmap" | "mmap2" => Some(Pn::fd),
        "splice" => Some(Pn::fd_out),
        _ => None,
    }
}

/// The enter events whose parameters an exit parser may need.
fn store_enter(name: &str) -> bool {
    matches!(
        name,
        "open"
            | "creat"
            | "openat"
            | "openat2"
            | "socket"
            | "socketpair"
            | "connect"
            | "execve"
            | "execveat"
            | "eventfd"
            | "eventfd2"
            | "chdir"
            | "fchdir"
            | "shutdown"
            | "getrlimit"
            | "setrlimit"
            | "prlimit"
            | "sendto"
            | "sendmsg"
            | "sendfile"
            | "setuid"
            | "setgid"
            | "setresuid"
            | "setresgid"
            | "setreuid"
            | "setregid"
            | "setpgid"
            | "fcntl"
            | "signalfd"
            | "signalfd4"
            | "timerfd_create"
            | "inotify_init"
            | "inotify_init1"
            | "epoll_create"
            | "epoll_create1"
            | "memfd_create"
            | "pidfd_open"
            | "pidfd_getfd"
            | "pipe2"
            | "dup3"
            | "accept4"
            | "unshare"
            | "setns"
            | "capset"
            | "chroot"
            | "close_range"
            | "bpf"
            | "userfaultfd"
    )
}

/// The parser of an exit event, chosen once per event code from its
/// name (the same-shape handlers are rows of this table, not code).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExitParser {
    None,
    Clone,
    Execve,
    Open,
    Socket,
    Bind,
    Connect,
    Accept,
    Close,
    CloseRange,
    Pipe,
    Socketpair,
    /// A system call returning one new fd, described by its row.
    NewFd(NewFd),
    PidfdGetfd,
    Dup,
    Fcntl,
    Chdir,
    Getcwd,
    Fchdir,
    Rlimit,
    Prlimit,
    /// setuid family: the parameter with the new (effective) user.
    SetUser(Pn),
    /// setgid family: the parameter with the new (effective) group.
    SetGroup(Pn),
    Setsid,
    Chroot,
    Capset,
    /// unshare/setns: the parameter with the namespace flags.
    Namespaces(Pn),
    Memory,
    /// read/write family (`true` for reads).
    ReadWrite(bool),
}

/// A system call whose exit creates one fd (its return value): the fd's
/// type, where its open flags come from, and its name.
#[derive(Clone, Copy, PartialEq, Eq)]
struct NewFd {
    fd_type: u8,
    flags: NewFdFlags,
    name: NewFdName,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NewFdFlags {
    /// None.
    None,
    /// The exit's `flags`, low 16 bits.
    Exit16,
    /// The exit's `flags`, low 8 bits.
    Exit8,
    /// `O_CLOEXEC` when the exit's `flags` has `EPOLL_CLOEXEC`.
    EpollCloexec,
    /// `flags` of the exit or of its enter event.
    Any,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NewFdName {
    /// No name.
    None,
    /// The `name` parameter (exit or enter).
    Param,
    /// `/proc/<pid>` of the `pid` parameter, which the fd also keeps.
    ProcPid,
}

/// The rows of [`NewFd`] by system call name.
fn new_fd(name: &str) -> Option<NewFd> {
    use NewFdFlags as F;
    use NewFdName as N;
    let (fd_type, flags, name) = match name {
        "eventfd" => (ft::EVENT, F::None, N::None),
        "eventfd2" => (ft::EVENT, F::Exit16, N::None),
        "signalfd" => (ft::SIGNALFD, F::None, N::None),
        "signalfd4" => (ft::SIGNALFD, F::Exit16, N::None),
        "timerfd_create" => (ft::TIMERFD, F::Exit8, N::None),
        "inotify_init" => (ft::INOTIFY, F::None, N::None),
        "inotify_init1" => (ft::INOTIFY, F::Exit16, N::None),
        "bpf" => (ft::BPF, F::None, N::None),
        "userfaultfd" => (ft::USERFAULTFD, F::None, N::None),
        "io_uring_setup" => (ft::IOURING, F::None, N::None),
        "epoll_create" => (ft::EVENTPOLL, F::None, N::None),
        "epoll_create1" => (ft::EVENTPOLL, F::EpollCloexec, N::None),
        "memfd_create" => (ft::MEMFD, F::Any, N::Param),
        "pidfd_open" => (ft::PIDFD, F::Any, N::ProcPid),
        _ => return None,
    };
    Some(NewFd {
        fd_type,
        flags,
        name,
    })
}

fn exit_parser(name: &str) -> ExitParser {
    if let Some(row) = new_fd(name) {
        return ExitParser::NewFd(row);
    }
    use ExitParser as P;
    match name {
        "clone" | "fork" | "vfork" | "clone3" => P::Clone,
        "execve" | "execveat" => P::Execve,
        "open" | "creat" | "openat" | "openat2" | "open_by_handle_at" => P::Open,
        "socket" => P::Socket,
        "bind" => P::Bind,
        "connect" => P::Connect,
        "accept" | "accept4" => P::Accept,
        "close" => P::Close,
        "close_range" => P::CloseRange,
        "pipe" | "pipe2" => P::Pipe,
        "socketpair" => P::Socketpair,
        "pidfd_getfd" => P::PidfdGetfd,
        "dup" | "dup2" | "dup3" => P::Dup,
        "fcntl" => P::Fcntl,
        "chdir" => P::Chdir,
        "getcwd" => P::Getcwd,
        "fchdir" => P::Fchdir,
        "getrlimit" | "setrlimit" => P::Rlimit,
        "prlimit" => P::Prlimit,
        "setuid" => P::SetUser(Pn::uid),
        "setresuid" | "setreuid" => P::SetUser(Pn::euid),
        "setgid" => P::SetGroup(Pn::gid),
        "setresgid" | "setregid" => P::SetGroup(Pn::egid),
        "setsid" => P::Setsid,
        "chroot" => P::Chroot,
        "capset" => P::Capset,
        "unshare" => P::Namespaces(Pn::flags),
        "setns" => P::Namespaces(Pn::nstype),
        "brk" | "mmap" | "mmap2" | "munmap" => P::Memory,
        "read" | "readv" | "pread" | "preadv" | "recv" | "recvfrom" | "recvmsg" | "recvmmsg" => {
            P::ReadWrite(true)
        }
        "write" | "writev" | "pwrite" | "pwritev" | "send" | "sendto" | "sendmsg" | "sendmmsg" => {
            P::ReadWrite(false)
        }
        _ => P::None,
    }
}

/// What the parsers need to know about an event code, from the event
/// table, computed once (no name comparisons per event).
struct CodeInfo {
    name: &'static str,
    flags: EventFlags,
    enter: bool,
    fd_event: bool,
    store_enter: bool,
    exit: ExitParser,
    clone_exit: bool,
    procexit: bool,
    /// The enter event's fd parameter, when not the first one.
    enter_fd_location: Option<Pn>,
    /// The exit event's fd parameter (`get_exit_event_fd_location`).
    exit_fd_param: Pn,
    /// Position and type of each [`Pn`] in the code's layout.
    params: [Option<(u8, FieldType)>; N_PN],
}

fn code_info(code: u16) -> &'static CodeInfo {
    static TABLE: std::sync::OnceLock<Vec<CodeInfo>> = std::sync::OnceLock::new();
    static NONE: CodeInfo = CodeInfo {
        name: "NA",
        flags: EventFlags(0),
        enter: false,
        fd_event: false,
        store_enter: false,
        exit: ExitParser::None,
        clone_exit: false,
        procexit: false,
        enter_fd_location: None,
        exit_fd_param: Pn::fd,
        params: [None; N_PN],
    };
    let table = TABLE.get_or_init(|| {
        (0..EVENT_CODE_UNIVERSE)
            .map(|c| {
                let info = falconer_catalog::catalog().event(c as u16);
                let name = info.map_or("NA", |i| i.name);
                let enter = match info {
                    Some(i) => i.direction == Direction::Enter,
                    None => c % 2 == 0,
                };
                let exit = if enter {
                    ExitParser::None
                } else {
                    exit_parser(name)
                };
                CodeInfo {
                    name,
                    flags: info.map(flags).unwrap_or_default(),
                    enter,
                    fd_event: info.is_some_and(is_fd_event),
                    store_enter: store_enter(name),
                    exit,
                    clone_exit: exit == ExitParser::Clone,
                    procexit: name == "procexit",
                    enter_fd_location: enter_fd_location(name),
                    exit_fd_param: exit_fd_param_name(name),
                    params: param_positions(info),
                }
            })
            .collect()
    });
    table.get(code as usize).unwrap_or(&NONE)
}

/// Entry point: libsinsp's `reset` then the parser of the event type.
pub(super) fn process(s: &mut State, ev: &Event) {
    let code = ev.code;
    let ci = code_info(code);
    let fd_event = ci.fd_event;
    let name = ci.name;
    let enter = ci.enter;

    reset(s, ev, ci);

    // The fd entry before parsing, for `fd.name_changed` (copied into a
    // buffer kept for it).
    let mut old_name = std::mem::take(&mut s.old_fd_name);
    old_name.clear();
    let had_old = match s.event_fd() {
        Some((_, f)) => {
            old_name.extend_from_slice(&f.name);
            true
        }
        None => false,
    };

    // Keep the enter event for its exit; take the stored one for an exit
    // (libsinsp frees it after every exit event of the thread).
    let mut stored: Option<Box<Event>> = None;
    if let Some(tid) = s.cur.tid {
        if let Some(t) = s.threads.get_mut(&tid) {
            if enter {
                if ci.store_enter && event_size(ev) <= MAX_STORED_ENTER_EVENT {
                    match &mut t.lastevent_data {
                        Some(e) => (**e).clone_from(ev),
                        None => {
                            t.lastevent_data = Some(match s.spare_enter.take() {
                                Some(mut e) => {
                                    (*e).clone_from(ev);
                                    e
                                }
                                None => Box::new(ev.clone()),
                            })
                        }
                    }
                }
            } else {
                let data = t.lastevent_data.take();
                let valid = t.lastevent_valid;
                t.lastevent_valid = false;
                if valid {
                    stored = data.filter(|e| {
                        e.code.wrapping_add(1) == code
                            || (code == EXECVE_19_X && e.code == EXECVEAT_E)
                    });
                }
            }
        }
    }
    let a = Args {
        ev,
        enter: stored.as_deref(),
    };

    match code {
        CONTAINER_E => parse_old_container(s, ev),
        CONTAINER_JSON_E | CONTAINER_JSON_2_E => {
            if let Some(j) = bytes(ev, Pn::json) {
                if let Some(c) = Container::from_json(j) {
                    let id = s.add_container(c);
                    s.cur.container = Some(id);
                }
            }
        }
        ASYNCEVENT_E => parse_async(s, ev),
        USER_ADDED_E | USER_DELETED_E => parse_user_event(s, ev, code == USER_ADDED_E),
        GROUP_ADDED_E | GROUP_DELETED_E => parse_group_event(s, ev, code == GROUP_ADDED_E),
        _ => {}
    }

    if !enter {
        use ExitParser as P;
        match ci.exit {
            P::None => {}
            P::Clone => parse_clone_exit(s, ev, a),
            P::Execve => parse_execve_exit(s, ev, a),
            P::Open => parse_open_exit(s, ev, a, name),
            P::Socket => parse_socket_exit(s, a),
            P::Bind => parse_bind_exit(s, a),
            P::Connect => parse_connect_exit(s, a),
            P::Accept => parse_accept_exit(s, a, name),
            P::Close => parse_close_exit(s, a),
            P::CloseRange => parse_close_range_exit(s, a),
            P::Pipe => parse_pipe_exit(s, a),
            P::Socketpair => parse_socketpair_exit(s, a),
            P::NewFd(row) => parse_new_fd(s, a, row),
            P::PidfdGetfd => parse_pidfd_getfd_exit(s, a),
            P::Dup => parse_dup_exit(s, a, name),
            P::Fcntl => parse_fcntl_exit(s, a),
            P::Chdir => {
                let ok = a.ret().is_some_and(|r| r >= 0);
                if let (true, Some(tid), Some(p)) = (ok, s.cur.tid, a.bytes(Pn::path)) {
                    s.set_cwd_of(tid, p);
                }
            }
            P::Getcwd => {
                let ok = a.ret().is_some_and(|r| r >= 0);
                let path = bytes(a.ev, Pn::path);
                if let (true, Some(tid), Some(p)) = (ok, s.cur.tid, path) {
                    s.set_cwd_of(tid, p);
                }
            }
            P::Fchdir => {
                let ok = a.ret().is_some_and(|r| r >= 0);
                if let (true, Some(tid), Some((_, f))) = (ok, s.cur.tid, s.event_fd()) {
                    let n = f.name.clone();
                    s.set_cwd_of(tid, &n);
                }
            }
            P::Rlimit => parse_rlimit_exit(s, a),
            P::Prlimit => parse_prlimit_exit(s, ev, a),
            P::SetUser(param) => set_user(s, a, param),
            P::SetGroup(param) => set_group(s, a, param),
            P::Setsid => {
                let r = a.ret().filter(|r| *r >= 0);
                if let Some(t) = r.and(s.cur.tid).and_then(|tid| s.thread_mut(tid)) {
                    t.sid = r.unwrap_or_default();
                }
            }
            P::Chroot => parse_chroot_exit(s, a),
            P::Capset => {
                let ok = a.ret().is_some_and(|r| r >= 0);
                let (i, p, e) = (
                    a.uint(Pn::cap_inheritable),
                    a.uint(Pn::cap_permitted),
                    a.uint(Pn::cap_effective),
                );
                if let Some(t) = s.cur.tid.filter(|_| ok).and_then(|tid| s.thread_mut(tid)) {
                    t.cap_inheritable = i.unwrap_or(0);
                    t.cap_permitted = p.unwrap_or(0);
                    t.cap_effective = e.unwrap_or(0);
                }
            }
            P::Namespaces(param) => {
                let fl = a.uint(param);
                if a.ret().is_some_and(|r| r >= 0)
                    && fl.is_some_and(|f| f as u32 & cf::CLONE_NEWUSER != 0)
                {
                    if let Some(t) = s.cur.tid.and_then(|tid| s.threads.get_mut(&tid)) {
                        let max = (1u64 << N_CAPS) - 1;
                        t.cap_inheritable = max;
                        t.cap_permitted = max;
                        t.cap_effective = max;
                    }
                }
            }
            P::Memory => {
                if let Some(t) = s.cur.tid.and_then(|tid| s.threads.get_mut(&tid)) {
                    if let Some(v) = uint(ev, Pn::vm_size) {
                        t.vmsize_kb = v as u32;
                    }
                    if let (Some(r), Some(w)) = (uint(ev, Pn::vm_rss), uint(ev, Pn::vm_swap)) {
                        t.vmrss_kb = r as u32;
                        t.vmswap_kb = w as u32;
                    }
                }
            }
            P::ReadWrite(read) => parse_rw_exit(s, a, name, read),
        }
    } else if code == SCHEDSWITCH_6_E {
        // The switched-out thread's counters (page faults on the thread,
        // memory on its process).
        if let Some(tid) = s.cur.tid {
            if let Some(swap) = uint(ev, Pn::vm_swap) {
                let maj = uint(ev, Pn::pgft_maj).unwrap_or(0);
                let min = uint(ev, Pn::pgft_min).unwrap_or(0);
                let size = uint(ev, Pn::vm_size).unwrap_or(0) as u32;
                let rss = uint(ev, Pn::vm_rss).unwrap_or(0) as u32;
                if let Some(t) = s.threads.get_mut(&tid) {
                    t.pfmajor = maj;
                    t.pfminor = min;
                }
                if let Some(m) = main_tid(s, tid) {
                    if let Some(t) = s.threads.get_mut(&m) {
                        t.vmsize_kb = size;
                        t.vmrss_kb = rss;
                        t.vmswap_kb = swap as u32;
                    }
                }
            }
        }
    } else if ci.procexit {
        if let Some(tid) = s.cur.tid {
            s.schedule_thread_removal(tid);
            if let Some(ptid) = s.threads.get(&tid).map(|t| t.ptid) {
                s.record_exit(tid, ptid, ev.ts);
            }
        }
    }

    // The fd fields apply to events that create, use or destroy fds;
    // `fd.num` is the thread's last event fd after parsing.
    if !fd_event {
        s.cur.fd = None;
        s.cur.fd_num = None;
    } else if let Some(t) = s.event_thread() {
        s.cur.fd_num = Some(t.lastevent_fd);
    } else {
        s.cur.fd = None;
        s.cur.fd_num = None;
    }
    // `fd.name_changed` compares with the name before parsing, when asked
    // (`State::event_fd_name_changed`).
    s.cur.had_old_fd = had_old;
    s.old_fd_name = old_name;
    s.cur.enter = stored;
}

fn event_size(ev: &Event) -> usize {
    crate::EVENT_HEADER_SIZE + ev.params().map(|p| p.raw.len() + 2).sum::<usize>()
}

/// libsinsp `reset`: find the thread, track the last event fd, validity of
/// the stored enter event, latency.
fn reset(s: &mut State, ev: &Event, ci: &CodeInfo) {
    let code = ev.code;
    let tid = ev.tid as i64;
    let fl = ci.flags;
    if fl.contains(EventFlags::SKIPPARSERESET) {
        if code == PROCINFO_E && s.threads.contains_key(&tid) {
            s.cur.tid = Some(tid);
        }
        return;
    }
    if matches!(
        code,
        CONTAINER_E
            | CONTAINER_JSON_E
            | CONTAINER_JSON_2_E
            | USER_ADDED_E
            | USER_DELETED_E
            | GROUP_ADDED_E
            | GROUP_DELETED_E
            | PLUGINEVENT_E
            | ASYNCEVENT_E
    ) {
        return;
    }
    let enter = ci.enter;
    let clone_exit = ci.clone_exit;
    let query_os =
        !(clone_exit || code == SCHEDSWITCH_6_E || code == SCHEDSWITCH_1_E || ci.procexit);
    let found = if query_os {
        s.get_or_create_thread(tid).is_some()
    } else {
        s.threads.contains_key(&tid)
    };
    if !found {
        return;
    }
    s.cur.tid = Some(tid);
    if code == SCHEDSWITCH_6_E || code == SCHEDSWITCH_1_E {
        return;
    }
    let uses_fd = fl.contains(EventFlags::USES_FD);
    let ts = ev.ts;
    let t = s.threads.get_mut(&tid).expect("thread just found");
    if query_os {
        t.flags |= cf::ACTIVE;
    }
    if enter {
        t.lastevent_fd = -1;
        t.lastevent_type = code;
        t.lastevent_valid = true;
        if uses_fd {
            let v = match ci.enter_fd_location {
                None => ev
                    .param(0)
                    .and_then(|p| crate::value::decode_i64(p.ty()?, p.raw)),
                Some(loc) => int(ev, loc),
            };
            if let Some(fd) = v {
                t.lastevent_fd = fd;
            }
            s.cur.fd = Some(t.lastevent_fd);
        }
        t.latency = 0;
        t.last_latency_entertime = ts;
        return;
    }
    if t.last_latency_entertime != 0 {
        t.latency = ts.saturating_sub(t.last_latency_entertime);
        s.cur.latency = t.latency;
    }
    let matching = (code == EXECVE_19_X && t.lastevent_type == EXECVEAT_E)
        || code == t.lastevent_type.wrapping_add(1);
    if !matching {
        t.lastevent_valid = false;
        t.lastevent_fd = -1;
    }
    if !uses_fd {
        return;
    }
    if t.lastevent_fd == -1 {
        if let Some(fd) = int(ev, ci.exit_fd_param) {
            t.lastevent_fd = fd;
        }
    }
    s.cur.fd = Some(t.lastevent_fd);
}

/// The name of the fd parameter of an exit event
/// (`get_exit_event_fd_location`).
fn exit_fd_param_name(name: &str) -> Pn {
    match name {
        "copy_file_range" => Pn::fdout,
        "splice" => Pn::fd_out,
        "dup" | "dup2" | "dup3" => Pn::oldfd,
        "symlinkat" => Pn::linkdirfd,
        "fchownat" | "fchmodat" | "mkdirat" | "unlinkat" | "mknodat" | "newfstatat" => Pn::dirfd,
        "finit_module" => Pn::fd,
        _ => Pn::fd,
    }
}

/// Where each [`Pn`] is in an event layout, and its type: the first
/// parameter with that name, as [`Event::param_by_name`] finds it.
fn param_positions(info: Option<&EventInfo>) -> [Option<(u8, FieldType)>; N_PN] {
    let mut out = [None; N_PN];
    if let Some(info) = info {
        for (slot, text) in out.iter_mut().zip(PN_TEXT) {
            if let Some(i) = info.params.iter().position(|p| p.name == *text) {
                let i8 = u8::try_from(i).expect("fewer than 256 parameters per event");
                *slot = Some((i8, info.params[i].ty));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------
// Processes

fn parse_clone_exit(s: &mut State, ev: &Event, a: Args<'_>) {
    let Some(res) = a.ret() else { return };
    if res < 0 {
        return;
    }
    if res == 0 {
        clone_child(s, ev, a);
    } else {
        clone_caller(s, ev, a, res);
    }
    // The container plugin resolves the event thread's container.
    refresh_container(s, ev.tid as i64);
}

fn refresh_container(s: &mut State, tid: i64) {
    let Some(t) = s.threads.get_mut(&tid) else {
        return;
    };
    // The set was matched to its container when it was first met.
    let id = t.cgroups.container_id();
    if t.container_id != id {
        t.container_id.clear();
        t.container_id.extend_from_slice(id);
    }
    let t = &s.threads[&tid];
    let (user, group) = (
        s.lacks_root_user(&t.container_id, t.uid),
        s.lacks_root_group(&t.container_id, t.gid),
    );
    if user || group {
        let (c, uid, gid) = (t.container_id.clone(), t.uid, t.gid);
        s.ensure_user(&c, uid);
        s.ensure_group(&c, gid);
    }
}

/// Fills the common child fields from a clone exit.
fn fill_child_from_event(child: &mut Thread, ev: &Event, a: Args<'_>, s: &mut State) {
    child.exe = a.bytes(Pn::exe).unwrap_or_default().to_vec();
    child.set_args(a.bytes(Pn::args).unwrap_or_default());
    child.comm = match bytes(ev, Pn::comm).map(<[u8]>::to_vec) {
        Some(c) => c,
        None => child.exe.clone(),
    };
    child.fdlimit = a.int(Pn::fdlimit).unwrap_or(0);
    if let Some(swap) = uint(ev, Pn::vm_swap) {
        child.pfmajor = a.uint(Pn::pgft_maj).unwrap_or(0);
        child.pfminor = a.uint(Pn::pgft_min).unwrap_or(0);
        child.vmsize_kb = a.uint(Pn::vm_size).unwrap_or(0) as u32;
        child.vmrss_kb = a.uint(Pn::vm_rss).unwrap_or(0) as u32;
        child.vmswap_kb = swap as u32;
    }
    child.uid = a.uint(Pn::uid).unwrap_or(u32::MAX as u64) as u32;
    child.gid = a.uint(Pn::gid).unwrap_or(u32::MAX as u64) as u32;
    if let Some(cg) = bytes(ev, Pn::cgroups) {
        child.cgroups = s.cgroup_set(cg);
    }
    child.clone_ts = ev.ts;
}

fn copy_exec_info(child: &mut Thread, from: &Thread) {
    child.exepath = from.exepath.clone();
    child.exe_writable = from.exe_writable;
    child.exe_upper_layer = from.exe_upper_layer;
    child.exe_lower_layer = from.exe_lower_layer;
    child.exe_from_memfd = from.exe_from_memfd;
    child.root = from.root.clone();
    child.sid = from.sid;
    child.vpgid = from.vpgid;
    child.pgid = from.pgid;
    child.tty = from.tty;
    child.loginuid = from.loginuid;
    child.cap_permitted = from.cap_permitted;
    child.cap_inheritable = from.cap_inheritable;
    child.cap_effective = from.cap_effective;
    child.exe_ino = from.exe_ino;
    child.exe_ino_ctime = from.exe_ino_ctime;
    child.exe_ino_mtime = from.exe_ino_mtime;
    child.exe_ino_ctime_duration_clone_ts = from.exe_ino_ctime_duration_clone_ts;
}

fn is_invalid(t: &Thread) -> bool {
    t.tid < 0 || t.pid < 0 || t.ptid < 0
}

fn clone_caller(s: &mut State, ev: &Event, a: Args<'_>, child_tid: i64) {
    let caller_tid = ev.tid as i64;
    if s.get_or_create_thread(caller_tid).is_none() {
        s.cur.tid = None;
        return;
    }
    let flags = a.uint(Pn::flags).unwrap_or(0) as u32;
    let (pid_p, ptid_p) = (a.int(Pn::pid), a.int(Pn::ptid));
    let (vtid_p, vpid_p) = (int(ev, Pn::vtid), int(ev, Pn::vpid));
    let caller = s.threads.get_mut(&caller_tid).expect("caller exists");
    let mut valid_caller = true;
    if is_invalid(caller) {
        valid_caller = false;
        caller.pid = pid_p.unwrap_or(-1);
        caller.ptid = ptid_p.unwrap_or(-1);
        match (vtid_p, vpid_p) {
            (Some(vt), Some(vp)) => {
                caller.vtid = vt;
                caller.vpid = vp;
            }
            _ => {
                caller.vtid = caller_tid;
                caller.vpid = -1;
            }
        }
        caller.invalid = false;
    }
    s.cur.tid = Some(caller_tid);
    let c = &s.threads[&caller_tid];
    let (caller_vtid, caller_pid, caller_ptid, caller_lastexec_ts) =
        (c.vtid, c.pid, c.ptid, c.lastexec_ts);
    if flags & (cf::CHILD_IN_PIDNS | cf::CLONE_NEWPID | cf::CLONE_PARENT) != 0
        || caller_tid != caller_vtid
    {
        return;
    }
    if flags & cf::CLONE_VFORK != 0 || ev.name() == "vfork" {
        return;
    }
    if s.recently_exited(child_tid, caller_tid, ev.ts) {
        return;
    }
    let mut removed_caller: Option<Thread> = None;
    if let Some(existing) = s.threads.get(&child_tid) {
        if existing.flags & cf::CLONE_INVERTED != 0 {
            return;
        }
        // A clone returning the caller's own tid (corrupt input) replaces
        // the caller, as in libsinsp (which holds the caller by pointer):
        // the child copies what the caller had.
        if child_tid == caller_tid {
            removed_caller = Some(existing.clone_shallow());
        }
        s.remove_thread(child_tid, true);
    }
    let mut child = Thread::placeholder(child_tid);
    child.invalid = false;
    child.lastexec_ts = 0;
    child.flags = flags;
    child.comm.clear();
    child.exe.clear();
    child.uid = 0;
    child.gid = 0;
    child.loginuid = u32::MAX;
    if flags & cf::CLONE_THREAD == 0 {
        if valid_caller {
            if let Some(table) = s.fd_table_of_tid(caller_tid) {
                let mut t = table.clone();
                for (_, f) in t.iter_mut() {
                    f.flags |= fd_flags::CLONED;
                }
                child.fds = t;
            }
            child.cwd = s.cwd_of(caller_tid).to_vec();
            child.env = s
                .thread(caller_tid)
                .map(|t| s.env_shared(t))
                .unwrap_or_default();
        }
        child.pid = child_tid;
        child.ptid = caller_tid;
    } else {
        child.pid = caller_pid;
        child.ptid = caller_ptid;
        child.flags |= cf::CLONE_FILES;
        child.lastexec_ts = caller_lastexec_ts;
    }
    child.vtid = child.tid;
    child.vpid = child.pid;
    fill_child_from_event(&mut child, ev, a, s);
    child.pidns_init_start_ts = s.machine.as_ref().map_or(0, |m| m.boot_ts_epoch);
    if valid_caller {
        match &removed_caller {
            Some(c) => copy_exec_info(&mut child, c),
            None => copy_exec_info(&mut child, &s.threads[&caller_tid]),
        }
    } else if let Some(c) = s.threads.get_mut(&caller_tid) {
        c.exe = child.exe.clone();
        c.comm = child.comm.clone();
        c.args = child.args.clone();
    }
    let (uid, gid) = (child.uid, child.gid);
    s.insert_thread(child);
    s.ensure_user(b"", uid);
    s.ensure_group(b"", gid);
}

fn clone_child(s: &mut State, ev: &Event, a: Args<'_>) {
    let child_tid = ev.tid as i64;
    if let Some(t) = s.threads.get(&child_tid) {
        if t.clone_ts != 0 {
            if ev.ts.saturating_sub(t.clone_ts) < CLONE_STALE_TIME_NS {
                s.cur.tid = Some(child_tid);
                return;
            }
            s.remove_thread(child_tid, true);
            s.cur.tid = None;
        }
    }
    let mut child = Thread::placeholder(child_tid);
    child.invalid = false;
    child.lastexec_ts = 0;
    child.uid = 0;
    child.gid = 0;
    child.loginuid = u32::MAX;
    child.pid = a.int(Pn::pid).unwrap_or(-1);
    child.ptid = a.int(Pn::ptid).unwrap_or(-1);
    match (int(ev, Pn::vtid), int(ev, Pn::vpid)) {
        (Some(vt), Some(vp)) => {
            child.vtid = vt;
            child.vpid = vp;
        }
        _ => {
            child.vtid = child_tid;
            child.vpid = -1;
        }
    }
    child.flags = a.uint(Pn::flags).unwrap_or(0) as u32 | cf::CLONE_INVERTED;
    let leader = child.flags & cf::CLONE_THREAD == 0;
    let lookup_tid = if leader { child.ptid } else { child.pid };
    if !leader {
        child.flags |= cf::CLONE_FILES;
    }
    if s.get_or_create_thread(lookup_tid).is_none() {
        s.cur.tid = None;
        return;
    }
    fill_child_from_event(&mut child, ev, a, s);
    let lookup_invalid = is_invalid(&s.threads[&lookup_tid]);
    if lookup_invalid {
        if let Some(l) = s.threads.get_mut(&lookup_tid) {
            if !leader {
                l.pid = child.pid;
                l.ptid = child.ptid;
                l.vpid = child.vpid;
                l.vtid = l.vpid;
                l.invalid = false;
            }
            if !leader {
                l.exe = child.exe.clone();
                l.comm = child.comm.clone();
                l.args = child.args.clone();
            }
        }
    } else {
        copy_exec_info(&mut child, &s.threads[&lookup_tid]);
        let lookup_lastexec_ts = s.threads[&lookup_tid].lastexec_ts;
        if leader {
            if let Some(table) = s.fd_table_of_tid(lookup_tid) {
                let mut t = table.clone();
                for (_, f) in t.iter_mut() {
                    f.flags |= fd_flags::CLONED;
                }
                child.fds = t;
            }
            child.cwd = s.cwd_of(lookup_tid).to_vec();
            child.env = s
                .thread(lookup_tid)
                .map(|t| s.env_shared(t))
                .unwrap_or_default();
        } else {
            child.lastexec_ts = lookup_lastexec_ts;
        }
    }
    let boot = s.machine.as_ref().map_or(0, |m| m.boot_ts_epoch);
    if child.flags & (cf::CHILD_IN_PIDNS | cf::CLONE_NEWPID) != 0 || child.tid != child.vtid {
        if let Some(ts) = uint(ev, Pn::pidns_init_start_ts) {
            child.pidns_init_start_ts = ts.wrapping_add(boot);
        }
    } else {
        child.pidns_init_start_ts = boot;
    }
    let (uid, gid) = (child.uid, child.gid);
    if s.insert_thread(child) {
        s.cur.tid = Some(child_tid);
    } else {
        s.cur.tid = None;
    }
    s.ensure_user(b"", uid);
    s.ensure_group(b"", gid);
}

fn parse_execve_exit(s: &mut State, ev: &Event, a: Args<'_>) {
    if a.ret().is_none_or(|r| r < 0) {
        return;
    }
    let Some(tid) = s.cur.tid else { return };
    if !s.threads.contains_key(&tid) {
        return;
    }
    // exepath: the trusted path of the event, or rebuilt from the enter
    // event (filename against the cwd; execveat: against its dirfd).
    let exepath: Option<Vec<u8>> = if let Some(p) = bytes(ev, Pn::trusted_exepath) {
        Some(p.to_vec())
    } else if let Some(enter) = a.enter {
        if enter.code == EXECVEAT_E {
            let dirfd = int(enter, Pn::dirfd).unwrap_or(PPM_AT_FDCWD);
            let fl = uint(enter, Pn::flags).unwrap_or(0) as u32;
            let pathname = bytes(enter, Pn::pathname).unwrap_or(b"<NA>");
            let sdir = parse_dirfd(s, tid, pathname, dirfd);
            Some(
                if (fl & PPM_EXVAT_AT_EMPTY_PATH == 0 && pathname == b"<NA>")
                    || *sdir == *b"<UNKNOWN>"
                {
                    b"<NA>".to_vec()
                } else if fl & PPM_EXVAT_AT_EMPTY_PATH != 0 {
                    concatenate_paths(b"", &sdir)
                } else {
                    concatenate_paths(&sdir, pathname)
                },
            )
        } else {
            bytes(enter, Pn::filename).map(|f| {
                if f == b"<NA>" {
                    b"<NA>".to_vec()
                } else {
                    concatenate_paths(s.cwd_of(tid), f)
                }
            })
        }
    } else {
        None
    };
    let cgroups = bytes(ev, Pn::cgroups).map(|cg| s.cgroup_set(cg));
    let t = s.threads.get_mut(&tid).expect("checked");
    t.exe = a.bytes(Pn::exe).unwrap_or_default().to_vec();
    t.lastexec_ts = ev.ts;
    t.comm = match bytes(ev, Pn::comm) {
        Some(c) => c.to_vec(),
        None => t.exe.clone(),
    };
    t.set_args(a.bytes(Pn::args).unwrap_or_default());
    if let Some(p) = a.int(Pn::pid) {
        t.pid = p;
    }
    if is_invalid(t) || t.invalid {
        if let Some(p) = a.int(Pn::ptid) {
            t.ptid = p;
        }
        if t.flags & cf::CHILD_IN_PIDNS == 0 {
            t.vtid = t.tid;
            t.vpid = t.pid;
        }
        t.invalid = false;
    }
    t.fdlimit = a.int(Pn::fdlimit).unwrap_or(t.fdlimit);
    if let Some(swap) = uint(ev, Pn::vm_swap) {
        t.pfmajor = a.uint(Pn::pgft_maj).unwrap_or(0);
        t.pfminor = a.uint(Pn::pgft_min).unwrap_or(0);
        t.vmsize_kb = a.uint(Pn::vm_size).unwrap_or(0) as u32;
        t.vmrss_kb = a.uint(Pn::vm_rss).unwrap_or(0) as u32;
        t.vmswap_kb = swap as u32;
    }
    let env = bytes(ev, Pn::env);
    if let Some(cg) = cgroups {
        t.cgroups = cg;
    }
    if let Some(tty) = int(ev, Pn::tty) {
        t.tty = tty as u32;
    }
    if let Some(p) = exepath {
        t.exepath = p;
    }
    if let Some(v) = int(ev, Pn::vpgid) {
        t.vpgid = v;
    }
    if let Some(v) = uint(ev, Pn::loginuid) {
        t.loginuid = v as u32;
    }
    if let Some(fl) = uint(ev, Pn::flags) {
        let fl = fl as u32;
        t.exe_writable = fl & PPM_EXE_WRITABLE != 0;
        t.exe_upper_layer = fl & PPM_EXE_UPPER_LAYER != 0;
        t.exe_from_memfd = fl & PPM_EXE_FROM_MEMFD != 0;
        t.exe_lower_layer = fl & PPM_EXE_LOWER_LAYER != 0;
    }
    if let Some(e) = uint(ev, Pn::cap_effective) {
        t.cap_inheritable = uint(ev, Pn::cap_inheritable).unwrap_or(0);
        t.cap_permitted = uint(ev, Pn::cap_permitted).unwrap_or(0);
        t.cap_effective = e;
    }
    if let Some(mtime) = uint(ev, Pn::exe_ino_mtime) {
        t.exe_ino = uint(ev, Pn::exe_ino).unwrap_or(0);
        t.exe_ino_ctime = uint(ev, Pn::exe_ino_ctime).unwrap_or(0);
        t.exe_ino_mtime = mtime;
        if t.clone_ts != 0 {
            t.exe_ino_ctime_duration_clone_ts = t.clone_ts.wrapping_sub(t.exe_ino_ctime);
        }
        if t.pidns_init_start_ts != 0 && t.exe_ino_ctime > t.pidns_init_start_ts {
            t.exe_ino_ctime_duration_pidns_start = t.exe_ino_ctime - t.pidns_init_start_ts;
        }
    }
    if let Some(u) = uint(ev, Pn::uid) {
        t.uid = u as u32;
    }
    t.pgid = int(ev, Pn::pgid).unwrap_or(-1);
    if let Some(g) = uint(ev, Pn::gid) {
        t.gid = g as u32;
    }
    let keep = t.flags & (cf::PIPE_SRC | cf::PIPE_DST | cf::IS_MAIN_THREAD);
    let inverted = t.flags & cf::CLONE_INVERTED;
    t.flags = cf::ACTIVE | keep | inverted | cf::NAME_CHANGED;
    let pid = t.pid;
    let is_main = t.is_main_thread();
    if let Some(env) = env {
        // The environment lives on the main thread.
        if is_main {
            t.set_env(env);
        } else if let Some(m) = s.threads.get_mut(&pid) {
            m.set_env(env);
        }
    }
    // Close-on-exec fds are gone after a successful exec.
    if let Some(table) = s.fd_table_mut(tid) {
        table.retain(|_, f| f.open_flags & PPM_O_CLOEXEC == 0);
    }
    // The other threads of the process end with the exec.
    let others: Vec<i64> = s
        .threads
        .values()
        .filter(|x| x.pid == pid && x.tid != tid && !x.is_main_thread())
        .map(|x| x.tid)
        .collect();
    for o in others {
        s.remove_thread(o, true);
    }
    refresh_container(s, tid);
}

fn parse_chroot_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    if a.ret() != Some(0) {
        return;
    }
    let Some(path) = a.bytes(Pn::path) else {
        return;
    };
    let resolved = if path.is_empty() || path[0] == b'/' || path == b"<NA>" {
        path.to_vec()
    } else {
        concatenate_paths(s.cwd_of(tid), path)
    };
    if let Some(t) = s.thread_mut(tid) {
        t.root = resolved;
    }
    refresh_container(s, tid);
}

fn set_user(s: &mut State, a: Args<'_>, param: Pn) {
    if a.ret() != Some(0) {
        return;
    }
    let (Some(tid), Some(uid)) = (s.cur.tid, a.uint(param)) else {
        return;
    };
    if let Some(t) = s.thread_mut(tid) {
        t.uid = uid as u32;
        let c = t.container_id.clone();
        s.ensure_user(&c, uid as u32);
    }
}

fn set_group(s: &mut State, a: Args<'_>, param: Pn) {
    if a.ret() != Some(0) {
        return;
    }
    let (Some(tid), Some(gid)) = (s.cur.tid, a.uint(param)) else {
        return;
    };
    if let Some(t) = s.thread_mut(tid) {
        t.gid = gid as u32;
        let c = t.container_id.clone();
        s.ensure_group(&c, gid as u32);
    }
}

fn main_tid(s: &State, tid: i64) -> Option<i64> {
    let t = s.threads.get(&tid)?;
    s.main_thread(t).map(|m| m.tid)
}

fn parse_rlimit_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    if a.ret().is_none_or(|r| r < 0) || a.uint(Pn::resource) != Some(PPM_RLIMIT_NOFILE) {
        return;
    }
    let Some(cur) = a.int(Pn::cur) else { return };
    if cur == -1 {
        return;
    }
    if let Some(m) = main_tid(s, tid) {
        if let Some(t) = s.thread_mut(m) {
            t.fdlimit = cur;
        }
    }
}

fn parse_prlimit_exit(s: &mut State, ev: &Event, a: Args<'_>) {
    if a.ret() != Some(0) || a.uint(Pn::resource) != Some(PPM_RLIMIT_NOFILE) {
        return;
    }
    let Some(newcur) = a.int(Pn::newcur) else {
        return;
    };
    if newcur == -1 {
        return;
    }
    let Some(mut tid) = a.int(Pn::pid) else {
        return;
    };
    if tid == 0 {
        tid = ev.tid as i64;
    }
    if s.get_or_create_thread(tid).is_none() || is_invalid(&s.threads[&tid]) {
        return;
    }
    if let Some(m) = main_tid(s, tid) {
        if let Some(t) = s.thread_mut(m) {
            t.fdlimit = newcur;
        }
    }
}

// ---------------------------------------------------------------------
// Files

/// libsinsp `parse_dirfd`: the directory a relative path is resolved
/// against (`.` for an absolute path, `<UNKNOWN>` for an unknown dirfd).
fn parse_dirfd<'a>(s: &'a State, tid: i64, name: &[u8], dirfd: i64) -> Cow<'a, [u8]> {
    if name.first() == Some(&b'/') {
        return Cow::Borrowed(b".");
    }
    let Some(t) = s.threads.get(&tid) else {
        return Cow::Borrowed(b"<UNKNOWN>");
    };
    if dirfd == PPM_AT_FDCWD {
        return Cow::Borrowed(s.cwd(t));
    }
    let Some(f) = s.fd_of(t, dirfd) else {
        return Cow::Borrowed(b"<UNKNOWN>");
    };
    if f.name.is_empty() || f.name.last() == Some(&b'/') {
        Cow::Borrowed(&f.name)
    } else {
        let mut n = Vec::with_capacity(f.name.len() + 1);
        n.extend_from_slice(&f.name);
        n.push(b'/');
        Cow::Owned(n)
    }
}

fn enter_name(enter: Option<&Event>) -> Option<&[u8]> {
    let n = bytes(enter?, Pn::name)?;
    (n != b"<NA>").then_some(n)
}

fn parse_open_exit(s: &mut State, ev: &Event, a: Args<'_>, name: &str) {
    let Some(tid) = s.cur.tid else { return };
    let fd = a.ret().unwrap_or(-1);
    // The entry's name buffers (taken before the directory is borrowed
    // from the state).
    let (mut name_buf, mut raw_buf) = if fd >= 0 {
        (s.take_buf(), s.take_buf())
    } else {
        (Vec::new(), Vec::new())
    };
    let mut dev = 0u32;
    let mut ino = 0u64;
    // The path and the directory it is resolved against are borrowed
    // (from the events and the state) until the entry is built.
    let (path, flags, sdir): (&[u8], u32, Cow<'_, [u8]>);
    let exit_flags = || uint(ev, Pn::flags).unwrap_or(0) as u32;
    let enter_flags = |e: &Event| uint(e, Pn::flags).unwrap_or(0) as u32;
    let dev_ino = |dev: &mut u32, ino: &mut u64| {
        if let Some(d) = uint(ev, Pn::dev) {
            *dev = d as u32;
            if let Some(i) = uint(ev, Pn::ino) {
                *ino = i;
            }
        }
    };
    match name {
        "open" => {
            let mut n = bytes(ev, Pn::name).unwrap_or_default();
            let mut f = exit_flags();
            dev_ino(&mut dev, &mut ino);
            if let (Some(en), Some(e)) = (enter_name(a.enter), a.enter) {
                n = en;
                f = enter_flags(e) | (f & !(PPM_O_F_CREATED - 1));
            }
            path = n;
            flags = f;
            sdir = Cow::Borrowed(s.cwd_of(tid));
        }
        "creat" => {
            let mut n = bytes(ev, Pn::name).unwrap_or_default();
            let mut f = 0u32;
            dev_ino(&mut dev, &mut ino);
            if let Some(cf) = uint(ev, Pn::creat_flags) {
                let cf = cf as u32;
                if cf & PPM_FD_UPPER_LAYER_CREAT != 0 {
                    f |= PPM_FD_UPPER_LAYER;
                } else if cf & PPM_FD_LOWER_LAYER_CREAT != 0 {
                    f |= PPM_FD_LOWER_LAYER;
                }
            }
            if let Some(en) = enter_name(a.enter) {
                n = en;
            }
            path = n;
            flags = f;
            sdir = Cow::Borrowed(s.cwd_of(tid));
        }
        "openat" | "openat2" => {
            let mut n: &[u8] = bytes(ev, Pn::name).unwrap_or(b"<NA>");
            let mut f = exit_flags();
            dev_ino(&mut dev, &mut ino);
            let mut dirfd = int(ev, Pn::dirfd);
            if let (Some(en), Some(e)) = (enter_name(a.enter), a.enter) {
                n = en;
                f = enter_flags(e) | (f & !(PPM_O_F_CREATED - 1));
                dirfd = int(e, Pn::dirfd);
            }
            sdir = match dirfd {
                Some(d) => parse_dirfd(s, tid, n, d),
                None => Cow::Borrowed(b""),
            };
            path = n;
            flags = f;
        }
        _ => {
            // open_by_handle_at: the driver gives an absolute path.
            flags = exit_flags();
            path = bytes(ev, Pn::path).unwrap_or_default();
            dev_ino(&mut dev, &mut ino);
            sdir = Cow::Borrowed(b"");
        }
    }
    if fd >= 0 {
        let mut e = Fd::new(if flags & PPM_O_DIRECTORY != 0 {
            ft::DIRECTORY
        } else {
            ft::FILE_V2
        });
        e.open_flags = flags;
        e.dev = dev;
        e.ino = ino;
        concatenate_paths_into(&mut name_buf, &sdir, path);
        e.name = name_buf;
        raw_buf.clear();
        raw_buf.extend_from_slice(path);
        e.name_raw = raw_buf;
        if flags & PPM_FD_UPPER_LAYER != 0 {
            e.flags |= fd_flags::OVERLAY_UPPER;
        }
        if flags & PPM_FD_LOWER_LAYER != 0 {
            e.flags |= fd_flags::OVERLAY_LOWER;
        }
        s.add_fd(tid, fd, e);
    }
}

/// The exit of a system call creating one fd (a [`NewFd`] row).
fn parse_new_fd(s: &mut State, a: Args<'_>, row: NewFd) {
    let Some(tid) = s.cur.tid else { return };
    let Some(fd) = a.ret() else { return };
    if fd < 0 {
        return;
    }
    let mut e = Fd::new(row.fd_type);
    let exit_flags = || uint(a.ev, Pn::flags).unwrap_or(0);
    e.open_flags = match row.flags {
        NewFdFlags::None => 0,
        NewFdFlags::Exit16 => exit_flags() as u16 as u32,
        NewFdFlags::Exit8 => exit_flags() as u8 as u32,
        NewFdFlags::EpollCloexec if exit_flags() as u32 & PPM_EPOLL_CLOEXEC != 0 => PPM_O_CLOEXEC,
        NewFdFlags::EpollCloexec => 0,
        NewFdFlags::Any => a.uint(Pn::flags).unwrap_or(0) as u32,
    };
    match row.name {
        NewFdName::None => {}
        NewFdName::Param => e.name = a.bytes(Pn::name).unwrap_or_default().to_vec(),
        NewFdName::ProcPid => {
            let pid = a.int(Pn::pid).unwrap_or(0);
            e.name = format!("/proc/{pid}").into_bytes();
            e.pid = pid;
        }
    }
    s.add_fd(tid, fd, e);
}

fn parse_pidfd_getfd_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    let Some(fd) = a.ret() else { return };
    let (Some(pidfd), Some(target)) = (a.int(Pn::pid_fd), a.int(Pn::target_fd)) else {
        return;
    };
    let Some(t) = s.threads.get(&tid) else { return };
    let Some(pf) = s.fd_of(t, pidfd) else { return };
    if pf.fd_type != ft::PIDFD {
        return;
    }
    let Some(other) = s.threads.get(&pf.pid) else {
        return;
    };
    let Some(tf) = s.fd_of(other, target) else {
        return;
    };
    let mut e = tf.clone();
    e.open_flags |= PPM_O_CLOEXEC;
    s.add_fd(tid, fd, e);
}

fn parse_dup_exit(s: &mut State, a: Args<'_>, name: &str) {
    let Some(tid) = s.cur.tid else { return };
    let Some(res) = a.ret() else { return };
    if res < 0 {
        return;
    }
    let Some((_, src)) = s.event_fd() else { return };
    let mut e = src.clone();
    if let Some(t) = s.thread_mut(tid) {
        if res == 0 {
            t.flags |= cf::PIPE_DST;
        }
        if res == 1 {
            t.flags |= cf::PIPE_SRC;
        }
    }
    e.open_flags &= !PPM_O_CLOEXEC;
    if name == "dup3"
        && a.uint(Pn::flags)
            .is_some_and(|f| f as u32 & PPM_O_CLOEXEC != 0)
    {
        e.open_flags |= PPM_O_CLOEXEC;
    }
    s.add_fd(tid, res, e);
}

fn parse_fcntl_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    let Some(cmd) = a.uint(Pn::cmd) else { return };
    if !matches!(
        cmd,
        PPM_FCNTL_F_DUPFD | PPM_FCNTL_F_DUPFD_CLOEXEC | PPM_FCNTL_F_SETFD
    ) {
        return;
    }
    let Some(res) = a.ret() else { return };
    if res < 0 {
        return;
    }
    let Some((fd, src)) = s.event_fd() else {
        return;
    };
    if cmd == PPM_FCNTL_F_SETFD {
        let arg = a.uint(Pn::arg).unwrap_or(0);
        if let Some(f) = s.fd_mut(tid, fd) {
            f.open_flags &= !PPM_O_CLOEXEC;
            if arg & 1 != 0 {
                f.open_flags |= PPM_O_CLOEXEC;
            }
        }
        return;
    }
    let mut e = src.clone();
    e.open_flags &= !PPM_O_CLOEXEC;
    if cmd == PPM_FCNTL_F_DUPFD_CLOEXEC {
        e.open_flags |= PPM_O_CLOEXEC;
    }
    s.add_fd(tid, res, e);
}

fn parse_close_exit(s: &mut State, a: Args<'_>) {
    if a.ret().is_none_or(|r| r < 0) {
        return;
    }
    let Some(tid) = s.cur.tid else { return };
    if s.event_fd().is_none() {
        return;
    }
    if let Some(fd) = s.threads.get(&tid).map(|t| t.lastevent_fd) {
        s.schedule_fd_removal(tid, fd);
    }
}

fn parse_close_range_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    if a.ret().is_none_or(|r| r < 0) {
        return;
    }
    let first = a.uint(Pn::first).unwrap_or(0) as u32 as i64;
    let last = a.uint(Pn::last).unwrap_or(0) as u32 as i64;
    let flags = a.uint(Pn::flags).unwrap_or(0) as u32;
    let Some(table) = s.fd_table_mut(tid) else {
        return;
    };
    let inr = |fd: i64| fd >= 0 && fd >= first && fd <= last;
    if flags & PPM_CLOSE_RANGE_CLOEXEC != 0 {
        for (fd, f) in table.iter_mut() {
            if inr(*fd) {
                f.open_flags |= PPM_O_CLOEXEC;
            }
        }
    } else {
        table.retain(|fd, _| !inr(*fd));
    }
}

fn parse_pipe_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    if a.ret().is_none_or(|r| r < 0) {
        return;
    }
    let (Some(fd1), Some(fd2)) = (a.int(Pn::fd1), a.int(Pn::fd2)) else {
        return;
    };
    let ino = a.uint(Pn::ino).unwrap_or(0);
    let flags = uint(a.ev, Pn::flags).unwrap_or(0) as u32;
    for fd in [fd1, fd2] {
        let mut e = Fd::new(ft::FIFO);
        e.ino = ino;
        e.open_flags = flags;
        s.add_fd(tid, fd, e);
    }
}

fn parse_socketpair_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    if a.ret().is_none_or(|r| r < 0) {
        return;
    }
    let (Some(fd1), Some(fd2)) = (a.int(Pn::fd1), a.int(Pn::fd2)) else {
        return;
    };
    if fd1 == fd2 {
        s.cur.fd = None;
        return;
    }
    let mut e = Fd::new(ft::UNIX_SOCK);
    e.sock = Sock::Unix {
        source: a.uint(Pn::source).unwrap_or(0),
        dest: a.uint(Pn::peer).unwrap_or(0),
    };
    s.add_fd(tid, fd1, e.clone());
    // The event keeps the first fd's entry; the thread's last fd is the second.
    if let Some(table) = s.fd_table_mut(tid) {
        table.add(fd2, e);
    }
    if let Some(t) = s.thread_mut(tid) {
        t.lastevent_fd = fd2;
    }
    s.cur.fd = Some(fd1);
}

// ---------------------------------------------------------------------
// Sockets

fn add_socket(s: &mut State, tid: i64, fd: i64, domain: u64, ty: u64, proto: u64, flags: u32) {
    let mut e = Fd::new(ft::UNKNOWN);
    e.open_flags = flags;
    let domain8 = domain as u8;
    if domain8 == PPM_AF_UNIX && domain == PPM_AF_UNIX as u64 {
        e.fd_type = ft::UNIX_SOCK;
    } else if domain == PPM_AF_INET as u64 || domain == PPM_AF_INET6 as u64 {
        e.fd_type = if domain == PPM_AF_INET as u64 {
            ft::IPV4_SOCK
        } else {
            ft::IPV6_SOCK
        };
        e.l4proto = match proto {
            IPPROTO_TCP => {
                if ty == SOCK_RAW {
                    l4::RAW
                } else {
                    l4::TCP
                }
            }
            IPPROTO_UDP => {
                if ty == SOCK_RAW {
                    l4::RAW
                } else {
                    l4::UDP
                }
            }
            IPPROTO_IP => match ty & 0xff {
                SOCK_STREAM => l4::TCP,
                SOCK_DGRAM => l4::UDP,
                _ => l4::UNKNOWN,
            },
            IPPROTO_ICMP => {
                if ty == SOCK_RAW {
                    l4::RAW
                } else {
                    l4::ICMP
                }
            }
            IPPROTO_RAW => l4::RAW,
            _ => l4::UNKNOWN,
        };
    } else if domain == PPM_AF_NETLINK as u64 {
        e.fd_type = ft::NETLINK;
    }
    s.add_fd(tid, fd, e);
}

fn parse_socket_exit(s: &mut State, a: Args<'_>) {
    let Some(fd) = a.ret() else { return };
    if fd < 0 {
        return;
    }
    let Some(tid) = s.cur.tid else { return };
    let domain = a.uint(Pn::domain).unwrap_or(0);
    let ty = a.uint(Pn::type_).unwrap_or(0);
    let proto = a.uint(Pn::proto).unwrap_or(0);
    let flags = uint(a.ev, Pn::flags).unwrap_or(0) as u32;
    add_socket(s, tid, fd, domain, ty, proto, flags);
}

/// A valid sockaddr (`is_sockaddr_valid`).
fn sockaddr<'a>(v: Option<ParamValue<'a>>) -> Option<SockAddr<'a>> {
    match v? {
        ParamValue::SockAddr(a) => Some(a),
        _ => None,
    }
}

fn socktuple<'a>(v: Option<ParamValue<'a>>) -> Option<SockTuple<'a>> {
    match v? {
        ParamValue::SockTuple(t) => Some(t),
        _ => None,
    }
}

/// `get_param_as_str` of a sockaddr with `PF_SIMPLE` (no resolution).
pub(crate) fn sockaddr_text(a: &SockAddr<'_>) -> Vec<u8> {
    match a {
        SockAddr::Inet { ip, port } => format!("{ip}:{port}").into_bytes(),
        SockAddr::Inet6 { ip, port } => {
            format!("{}:{port}", super::fd::inet6_ntop(ip)).into_bytes()
        }
        SockAddr::Unix { path } => path.to_vec(),
        SockAddr::Other { family, .. } => format!("family {family}").into_bytes(),
    }
}

/// `get_param_as_str` of a socktuple with `PF_SIMPLE`.
pub(crate) fn socktuple_text(t: &SockTuple<'_>) -> Vec<u8> {
    match t {
        SockTuple::Inet {
            sip,
            sport,
            dip,
            dport,
        } => format!("{sip}:{sport}->{dip}:{dport}").into_bytes(),
        SockTuple::Inet6 {
            sip,
            sport,
            dip,
            dport,
        } => match (ipv4_mapped(sip), ipv4_mapped(dip)) {
            (Some(s4), Some(d4)) => format!("{s4}:{sport}->{d4}:{dport}").into_bytes(),
            _ => format!(
                "{}:{sport}->{}:{dport}",
                super::fd::inet6_ntop(sip),
                super::fd::inet6_ntop(dip)
            )
            .into_bytes(),
        },
        SockTuple::Unix { source, dest, path } => {
            let mut v = format!("{source:x}->{dest:x} ").into_bytes();
            v.extend_from_slice(path);
            v
        }
        SockTuple::Other { family, .. } => format!("family {family}").into_bytes(),
    }
}

fn parse_bind_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    if a.ret().is_none_or(|r| r < 0) {
        return;
    }
    let Some((fd, _)) = s.event_fd() else { return };
    let Some(addr) = sockaddr(a.exit(Pn::addr)) else {
        return;
    };
    let Some(f) = s.fd_mut(tid, fd) else { return };
    match addr {
        SockAddr::Inet { ip, port } if port > 0 => {
            f.fd_type = ft::IPV4_SERVSOCK;
            f.sock = Sock::V4Server { ip, port };
            f.set_role_server();
        }
        SockAddr::Inet6 { ip, port } if port > 0 => {
            if let Some(v4) = ipv4_mapped(&ip) {
                f.fd_type = ft::IPV4_SERVSOCK;
                f.sock = Sock::V4Server { ip: v4, port };
            } else {
                f.fd_type = ft::IPV6_SERVSOCK;
                f.sock = Sock::V6Server { ip, port };
            }
            f.set_role_server();
        }
        _ => {}
    }
    f.name = sockaddr_text(&addr);
}

/// Sets a connected IPv4 socket's addresses (`set_ipv4_addresses_and_ports`):
/// returns whether something changed.
fn set_v4(
    f: &mut Fd,
    sip: Ipv4Addr,
    sport: u16,
    dip: Ipv4Addr,
    dport: u16,
    overwrite_dest: bool,
) -> bool {
    let (osip, osport, odip, odport) = match (f.fd_type, f.sock) {
        (
            _,
            Sock::V4 {
                sip,
                sport,
                dip,
                dport,
            },
        ) => (sip, sport, dip, dport),
        _ => (Ipv4Addr::UNSPECIFIED, 0, Ipv4Addr::UNSPECIFIED, 0),
    };
    if f.fd_type == ft::IPV4_SOCK
        && ((sip == osip && sport == osport && dip == odip && dport == odport)
            || (dip == osip && dport == osport && sip == odip && sport == odport))
    {
        return false;
    }
    let mut changed = false;
    let (mut nsip, mut nsport, mut ndip, mut ndport) = (osip, osport, odip, odport);
    if nsip != sip {
        nsip = sip;
        changed = true;
    }
    if nsport != sport {
        nsport = sport;
        changed = true;
    }
    if ndip.is_unspecified() || (overwrite_dest && ndip != dip) {
        ndip = dip;
        changed = true;
    }
    if ndport == 0 || (overwrite_dest && ndport != dport) {
        ndport = dport;
        changed = true;
    }
    f.sock = Sock::V4 {
        sip: nsip,
        sport: nsport,
        dip: ndip,
        dport: ndport,
    };
    changed
}

fn set_v6(
    f: &mut Fd,
    sip: Ipv6Addr,
    sport: u16,
    dip: Ipv6Addr,
    dport: u16,
    overwrite_dest: bool,
) -> bool {
    let (osip, osport, odip, odport) = match f.sock {
        Sock::V6 {
            sip,
            sport,
            dip,
            dport,
        } => (sip, sport, dip, dport),
        _ => (Ipv6Addr::UNSPECIFIED, 0, Ipv6Addr::UNSPECIFIED, 0),
    };
    if f.fd_type == ft::IPV6_SOCK
        && ((sip == osip && sport == osport && dip == odip && dport == odport)
            || (dip == osip && dport == osport && sip == odip && sport == odport))
    {
        return false;
    }
    let mut changed = false;
    let (mut nsip, mut nsport, mut ndip, mut ndport) = (osip, osport, odip, odport);
    if nsip != sip {
        nsip = sip;
        changed = true;
    }
    if nsport != sport {
        nsport = sport;
        changed = true;
    }
    if ndip.is_unspecified() || (overwrite_dest && ndip != dip) {
        ndip = dip;
        changed = true;
    }
    if ndport == 0 || (overwrite_dest && ndport != dport) {
        ndport = dport;
        changed = true;
    }
    f.sock = Sock::V6 {
        sip: nsip,
        sport: nsport,
        dip: ndip,
        dport: ndport,
    };
    changed
}

fn parse_connect_exit(s: &mut State, a: Args<'_>) {
    let Some(tid) = s.cur.tid else { return };
    let Some((fd, _)) = s.event_fd() else { return };
    let Some(ret) = a.ret() else { return };
    if ret < 0 && ret != -SE_EINPROGRESS {
        return;
    }
    if let Some(f) = s.fd_mut(tid, fd) {
        f.set_connected();
    }
    let enter_addr = a.enter.and_then(|e| sockaddr(val(e, Pn::addr)));
    let tuple_v = a.exit(Pn::tuple);
    let Some(f) = s.fd_mut(tid, fd) else { return };
    if tuple_v.is_none() {
        let Some(addr) = enter_addr else { return };
        match addr {
            SockAddr::Inet { ip, port } => {
                f.fd_type = ft::IPV4_SOCK;
                let (sip, sport) = match f.sock {
                    Sock::V4 { sip, sport, .. } => (sip, sport),
                    _ => (Ipv4Addr::UNSPECIFIED, 0),
                };
                f.sock = Sock::V4 {
                    sip,
                    sport,
                    dip: ip,
                    dport: port,
                };
            }
            SockAddr::Inet6 { ip, port } => {
                if let Some(v4) = ipv4_mapped(&ip) {
                    f.fd_type = ft::IPV4_SOCK;
                    let (sip, sport) = match f.sock {
                        Sock::V4 { sip, sport, .. } => (sip, sport),
                        _ => (Ipv4Addr::UNSPECIFIED, 0),
                    };
                    f.sock = Sock::V4 {
                        sip,
                        sport,
                        dip: v4,
                        dport: port,
                    };
                } else {
                    f.fd_type = ft::IPV6_SOCK;
                    let (sip, sport) = match f.sock {
                        Sock::V6 { sip, sport, .. } => (sip, sport),
                        _ => (Ipv6Addr::UNSPECIFIED, 0),
                    };
                    f.sock = Sock::V6 {
                        sip,
                        sport,
                        dip: ip,
                        dport: port,
                    };
                }
            }
            other => f.name = sockaddr_text(&other),
        }
        return;
    }
    let Some(tuple) = socktuple(tuple_v) else {
        return;
    };
    let exit_addr = sockaddr(a.exit(Pn::addr));
    match tuple {
        SockTuple::Inet {
            sip,
            sport,
            dip,
            dport,
        } => {
            // The tuple's destination unless the exit address agrees with
            // it, then the enter address (TOCTOU protection).
            let (dip, dport) = match (exit_addr, enter_addr) {
                (
                    Some(SockAddr::Inet { ip: xi, port: xp }),
                    Some(SockAddr::Inet { ip: ei, port: ep }),
                ) if xi == dip && xp == dport => (ei, ep),
                _ => (dip, dport),
            };
            f.fd_type = ft::IPV4_SOCK;
            let changed = set_v4(f, sip, sport, dip, dport, true);
            if changed && f.is_role_server() && f.is_udp_socket() {
                f.swap_addresses();
            }
            f.name = f.socket_name();
        }
        SockTuple::Inet6 {
            sip,
            sport,
            dip,
            dport,
        } => {
            let (dip, dport) = match (exit_addr, enter_addr) {
                (
                    Some(SockAddr::Inet6 { ip: xi, port: xp }),
                    Some(SockAddr::Inet6 { ip: ei, port: ep }),
                ) if xi == dip && xp == dport => (ei, ep),
                _ => (dip, dport),
            };
            let changed = match (ipv4_mapped(&sip), ipv4_mapped(&dip)) {
                (Some(s4), Some(d4)) => {
                    f.fd_type = ft::IPV4_SOCK;
                    set_v4(f, s4, sport, d4, dport, true)
                }
                _ => {
                    f.fd_type = ft::IPV6_SOCK;
                    set_v6(f, sip, sport, dip, dport, true)
                }
            };
            if changed && f.is_role_server() && f.is_udp_socket() {
                f.swap_addresses();
            }
            f.name = f.socket_name();
        }
        SockTuple::Unix { source, dest, path } => {
            if !f.is_unix_socket() {
                return;
            }
            let dpath: Vec<u8> = match (exit_addr, enter_addr) {
                (Some(SockAddr::Unix { path: xp }), Some(SockAddr::Unix { path: ep }))
                    if xp == path =>
                {
                    ep.to_vec()
                }
                _ => path.to_vec(),
            };
            f.sock = Sock::Unix { source, dest };
            let mut n = format!("{source:x}->{dest:x} ").into_bytes();
            n.extend_from_slice(&dpath);
            f.name = n;
        }
        SockTuple::Other { .. } => return,
    }
    if f.is_role_none() {
        f.set_role_client();
    }
}

fn parse_accept_exit(s: &mut State, a: Args<'_>, name: &str) {
    let Some(tid) = s.cur.tid else { return };
    let Some(fd) = a.ret() else { return };
    if fd < 0 {
        return;
    }
    if let Some(t) = s.thread_mut(tid) {
        t.lastevent_fd = fd;
    }
    let Some(tuple) = socktuple(a.exit(Pn::tuple)) else {
        return;
    };
    let mut e = Fd::new(ft::UNKNOWN);
    match tuple {
        SockTuple::Inet {
            sip,
            sport,
            dip,
            dport,
        } => {
            e.fd_type = ft::IPV4_SOCK;
            e.sock = Sock::V4 {
                sip,
                sport,
                dip,
                dport,
            };
            e.l4proto = l4::TCP;
        }
        SockTuple::Inet6 {
            sip,
            sport,
            dip,
            dport,
        } => match (ipv4_mapped(&sip), ipv4_mapped(&dip)) {
            (Some(s4), Some(d4)) => {
                e.fd_type = ft::IPV4_SOCK;
                e.sock = Sock::V4 {
                    sip: s4,
                    sport,
                    dip: d4,
                    dport,
                };
                e.l4proto = l4::TCP;
            }
            _ => {
                e.fd_type = ft::IPV6_SOCK;
                e.sock = Sock::V6 {
                    sip,
                    sport,
                    dip,
                    dport,
                };
                e.l4proto = l4::TCP;
            }
        },
        SockTuple::Unix { source, dest, .. } => {
            e.fd_type = ft::UNIX_SOCK;
            e.sock = Sock::Unix { source, dest };
        }
        SockTuple::Other { .. } => return,
    }
    e.name = socktuple_text(&tuple);
    if name == "accept4" && a.ev.code == 389 {
        let fl = int(a.ev, Pn::flags).unwrap_or(0) as u32;
        e.open_flags = fl & PPM_O_CLOEXEC;
    }
    e.flags = 0;
    e.set_role_server();
    e.set_connected();
    s.add_fd(tid, fd, e);
}

/// The send/recv families: a datagram socket (or one whose name is
/// unknown) takes the addresses of the tuple.
fn parse_rw_exit(s: &mut State, a: Args<'_>, name: &str, read: bool) {
    let ev = a.ev;
    let Some(tid) = s.cur.tid else { return };
    if matches!(name, "recvmmsg" | "sendmmsg") && val(ev, Pn::res).is_none() {
        return;
    }
    let res = int(ev, Pn::res).unwrap_or(-1);
    if !read && matches!(name, "send" | "sendto" | "sendmsg") && s.event_fd().is_none() && res >= 0
    {
        // A send on an fd the state missed: assume a UDP socket.
        if let (Some(fd), Some(t)) = (a.int(Pn::fd), socktuple(a.get(Pn::tuple))) {
            let dom = match t {
                SockTuple::Inet { .. } => Some(PPM_AF_INET as u64),
                SockTuple::Inet6 { .. } => Some(PPM_AF_INET6 as u64),
                _ => None,
            };
            if let Some(dom) = dom {
                add_socket(s, tid, fd, dom, SOCK_DGRAM, IPPROTO_UDP, 0);
            }
        }
    }
    let Some((fd, f)) = s.event_fd() else { return };
    if res < 0 {
        return;
    }
    let has_tuple = matches!(
        name,
        "recvfrom" | "recvmsg" | "recvmmsg" | "recv" | "send" | "sendto" | "sendmsg" | "sendmmsg"
    );
    let ip = f.is_ip_socket();
    let needs = f.name.is_empty() || !f.is_tcp_socket();
    let fd_type_before = f.fd_type;
    let _ = fd_type_before;
    if let Some(fm) = s.fd_mut(tid, fd) {
        if ip {
            fm.set_connected();
        }
    }
    if !has_tuple || !needs {
        return;
    }
    // The tuple of the exit event (older layouts: of the enter event).
    let Some(tuple) = socktuple(a.get(Pn::tuple)) else {
        return;
    };
    let interfaces = s.interfaces.clone();
    let bound = bound_ports(s, tid);
    let Some(f) = s.fd_mut(tid, fd) else { return };
    if !update_fd(f, &tuple, &interfaces) {
        return;
    }
    if f.is_ip_socket() {
        if f.is_role_none() {
            // libsinsp guesses the role from the ports the process owns.
            let (sport, dport) = match f.sock {
                Sock::V4 { sport, dport, .. } | Sock::V6 { sport, dport, .. } => (sport, dport),
                _ => (0, 0),
            };
            if bound.0.contains(&dport) && !bound.1.contains(&sport) {
                f.set_role_server();
            } else if bound.0.contains(&dport) {
                if read {
                    f.set_role_server();
                } else {
                    f.set_role_client();
                }
            } else {
                f.set_role_client();
            }
        }
        if (read && f.is_role_client()) || (!read && f.is_role_server()) {
            f.swap_addresses();
        }
        f.name = f.socket_name();
    } else {
        f.name = socktuple_text(&tuple);
    }
}

/// Ports the process serves on and uses as a client (`is_bound_to_port`,
/// `uses_client_port`).
fn bound_ports(s: &State, tid: i64) -> (Vec<u16>, Vec<u16>) {
    let mut server = Vec::new();
    let mut client = Vec::new();
    if let Some(t) = s.threads.get(&tid) {
        if let Some(table) = s.fd_table(t) {
            for (_, f) in table.iter() {
                match f.sock {
                    Sock::V4 { sport, dport, .. } if f.fd_type == ft::IPV4_SOCK => {
                        server.push(dport);
                        client.push(sport);
                    }
                    Sock::V4Server { port, .. } => server.push(port),
                    _ => {}
                }
            }
        }
    }
    (server, client)
}

/// libsinsp `update_fd`: applies a tuple to a socket; false when nothing
/// changed.
fn update_fd(f: &mut Fd, t: &SockTuple<'_>, ifs: &[crate::Interface]) -> bool {
    match *t {
        SockTuple::Inet {
            sip,
            sport,
            dip,
            dport,
        } => {
            if f.fd_type == ft::IPV4_SERVSOCK {
                // the l4 protocol is kept
            }
            f.fd_type = ft::IPV4_SOCK;
            if !set_v4(f, sip, sport, dip, dport, false) {
                return false;
            }
        }
        SockTuple::Inet6 {
            sip,
            sport,
            dip,
            dport,
        } => match (ipv4_mapped(&sip), ipv4_mapped(&dip)) {
            (Some(s4), Some(d4)) => {
                f.fd_type = ft::IPV4_SOCK;
                if !set_v4(f, s4, sport, d4, dport, false) {
                    return false;
                }
            }
            _ => {
                if !set_v6(f, sip, sport, dip, dport, false) {
                    return false;
                }
            }
        },
        SockTuple::Unix { source, dest, path } => {
            f.fd_type = ft::UNIX_SOCK;
            f.sock = Sock::Unix { source, dest };
            f.name = path.to_vec();
            return true;
        }
        SockTuple::Other { .. } => return false,
    }
    if f.is_ip_socket() && f.l4proto == l4::UNKNOWN {
        f.l4proto = l4::UDP;
    }
    if let Sock::V6 {
        sip,
        sport,
        dip,
        dport,
    } = f.sock
    {
        if sip.is_unspecified() || dip.is_unspecified() {
            let v6: Vec<Ipv6Addr> = ifs
                .iter()
                .filter_map(|i| match i.addr {
                    std::net::IpAddr::V6(a) => Some(a),
                    _ => None,
                })
                .collect();
            let same64 = |a: &Ipv6Addr, b: &Ipv6Addr| a.octets()[..8] == b.octets()[..8];
            let infer = |d: Ipv6Addr| -> Ipv6Addr {
                if let Some(a) = v6.iter().find(|a| **a == d) {
                    return *a;
                }
                if let Some(a) = v6.iter().find(|a| same64(a, &d)) {
                    return *a;
                }
                v6.iter()
                    .find(|a| **a != Ipv6Addr::LOCALHOST)
                    .copied()
                    .unwrap_or(Ipv6Addr::UNSPECIFIED)
            };
            if sip.is_unspecified() {
                let n = infer(dip);
                if !(n == dip && sport == dport) {
                    f.sock = Sock::V6 {
                        sip: n,
                        sport,
                        dip,
                        dport,
                    };
                }
            } else {
                let n = infer(sip);
                if !(n == sip && sport == dport) {
                    f.sock = Sock::V6 {
                        sip,
                        sport,
                        dip: n,
                        dport,
                    };
                }
            }
        }
    }
    // Complete a tuple with a missing address from the interfaces.
    if let Sock::V4 {
        sip,
        sport,
        dip,
        dport,
    } = f.sock
    {
        if sip.is_unspecified() || dip.is_unspecified() {
            let infer = |d: Ipv4Addr| -> Ipv4Addr {
                let v4: Vec<(Ipv4Addr, Ipv4Addr)> = ifs
                    .iter()
                    .filter_map(|i| match (i.addr, i.netmask) {
                        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(m)) => Some((a, m)),
                        _ => None,
                    })
                    .collect();
                if let Some((a, _)) = v4.iter().find(|(a, _)| *a == d) {
                    return *a;
                }
                let mask = |x: Ipv4Addr, m: Ipv4Addr| u32::from(x) & u32::from(m);
                if let Some((a, _)) = v4.iter().find(|(a, m)| mask(*a, *m) == mask(d, *m)) {
                    return *a;
                }
                v4.iter()
                    .find(|(a, _)| *a != Ipv4Addr::LOCALHOST)
                    .map_or(Ipv4Addr::UNSPECIFIED, |(a, _)| *a)
            };
            if sip.is_unspecified() {
                let n = infer(dip);
                if !(n == dip && sport == dport) {
                    f.sock = Sock::V4 {
                        sip: n,
                        sport,
                        dip,
                        dport,
                    };
                }
            } else {
                let n = infer(sip);
                if !(n == sip && sport == dport) {
                    f.sock = Sock::V4 {
                        sip,
                        sport,
                        dip: n,
                        dport,
                    };
                }
            }
        }
    }
    true
}

// ---------------------------------------------------------------------
// Metadata events

fn parse_old_container(s: &mut State, ev: &Event) {
    let id = bytes(ev, Pn::id).unwrap_or_default();
    let c = Container {
        id: String::from_utf8_lossy(id).into_owned(),
        kind: uint(ev, Pn::type_).unwrap_or(0xffff) as u32,
        name: val(ev, Pn::name)
            .and_then(|v| v.as_str_lossy())
            .unwrap_or_default()
            .into_owned(),
        image: val(ev, Pn::image)
            .and_then(|v| v.as_str_lossy())
            .unwrap_or_default()
            .into_owned(),
        ..Container::default()
    };
    let id = s.add_container(c);
    s.cur.container = Some(id);
}

fn parse_async(s: &mut State, ev: &Event) {
    let name = bytes(ev, Pn::name).unwrap_or_default();
    let data = bytes(ev, Pn::data).unwrap_or_default();
    match name {
        b"container" => {
            if let Some(c) = Container::from_json(data) {
                let id = s.add_container(c);
                s.cur.container = Some(id);
            }
        }
        b"container_removed" => {
            if let Some(c) = Container::from_json(data) {
                s.cur.container = Some(c.id.as_bytes().to_vec());
            }
        }
        _ => {}
    }
}

fn parse_user_event(s: &mut State, ev: &Event, added: bool) {
    let uid = uint(ev, Pn::uid).unwrap_or(u32::MAX as u64) as u32;
    let container = bytes(ev, Pn::container_id).unwrap_or_default().to_vec();
    if added {
        let b = |n: Pn| bytes(ev, n).unwrap_or_default().to_vec();
        let name = b(Pn::name);
        if name.first().is_some_and(|&c| c == b'+' || c == b'-') {
            return;
        }
        s.add_user(
            &container,
            User {
                uid,
                gid: uint(ev, Pn::gid).unwrap_or(0) as u32,
                name,
                homedir: b(Pn::home),
                shell: b(Pn::shell),
            },
        );
    } else {
        s.remove_user(&container, uid);
    }
}

fn parse_group_event(s: &mut State, ev: &Event, added: bool) {
    let gid = uint(ev, Pn::gid).unwrap_or(u32::MAX as u64) as u32;
    let container = bytes(ev, Pn::container_id).unwrap_or_default().to_vec();
    if added {
        let name = bytes(ev, Pn::name).unwrap_or_default().to_vec();
        if name.first().is_some_and(|&c| c == b'+' || c == b'-') {
            return;
        }
        s.add_group(&container, Group { gid, name });
    } else {
        s.remove_group(&container, gid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parser_parameter_name_is_in_the_event_table() {
        for (i, text) in PN_TEXT.iter().enumerate() {
            let found = (0..EVENT_CODE_UNIVERSE).any(|c| code_info(c as u16).params[i].is_some());
            assert!(found, "no event has a parameter {text:?}");
        }
    }

    #[test]
    fn parameter_positions_are_those_param_by_name_finds() {
        for code in 0..EVENT_CODE_UNIVERSE as u16 {
            let Some(info) = falconer_catalog::catalog().event(code) else {
                continue;
            };
            // One distinct byte per parameter, to tell them apart.
            let raws: Vec<Vec<u8>> = (0..info.params.len()).map(|i| vec![i as u8]).collect();
            let refs: Vec<&[u8]> = raws.iter().map(|r| r.as_slice()).collect();
            let ev = Event::new(code, 1, 1, 0, &refs);
            for (i, text) in PN_TEXT.iter().enumerate() {
                let by_name = ev.param_by_name(text).map(|p| p.index);
                let by_table = code_info(code).params[i].map(|(k, _)| k as usize);
                assert_eq!(by_table, by_name, "event {code} parameter {text}");
                assert_eq!(
                    param_value(&ev, PN_ALL[i]),
                    ev.value(text),
                    "event {code} parameter {text}"
                );
            }
        }
    }
}
