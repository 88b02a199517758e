//! The system calls the probe captures: their x86-64 numbers, what the
//! kernel side reads at their exit (the `syscall_spec` bits) and the scap
//! events they become.
//!
//! Event codes are chosen so that both Debian's sysdig (libs 2022) and
//! current libs read the recordings: codes that exist in both generations
//! (for example `dup`, `dup2` and `dup3` all become the `dup` event 124/125,
//! `pipe2` the `pipe` event, `accept` the `accept` 246/247 pair), exit
//! events with at least the 2022 parameters (current libs take missing ones
//! from the enter event, which is always written), and the newer parameters
//! appended where they carry information the 2022 layout lacks (libs 2022
//! ignores parameters beyond its table).

use crate::record::spec::{self, *};

/// One supported system call.
#[derive(Clone, Copy, Debug)]
pub struct Syscall {
    /// The `evt.type` name.
    pub name: &'static str,
    /// x86-64 system call number.
    pub nr: u32,
    /// Enter and exit event codes.
    pub enter: u16,
    pub exit: u16,
    /// What the kernel captures at the exit (`record::spec` bits).
    pub spec: u32,
}

const fn sc(name: &'static str, nr: u32, enter: u16, exit: u16, spec: u32) -> Syscall {
    Syscall {
        name,
        nr,
        enter,
        exit,
        spec: spec | CAPTURE,
    }
}

/// Every system call the probe can capture.
pub const SYSCALLS: &[Syscall] = &[
    // Processes (the exec record comes from sched_process_exec; the system
    // call exit is captured for failures only).
    sc("execve", nr::EXECVE, 292, 293, path_a(0) | SKIP_SUCCESS),
    sc("execveat", nr::EXECVEAT, 330, 331, path_a(1) | SKIP_SUCCESS),
    // Files.
    sc("open", nr::OPEN, 2, 3, path_a(0) | FILE_RET),
    sc("creat", nr::CREAT, 58, 59, path_a(0) | FILE_RET),
    sc("openat", nr::OPENAT, 306, 307, path_a(1) | FILE_RET),
    sc(
        "openat2",
        nr::OPENAT2,
        326,
        327,
        path_a(1) | FILE_RET | OPEN_HOW,
    ),
    sc("close", nr::CLOSE, 4, 5, 0),
    sc("chmod", nr::CHMOD, 314, 315, path_a(0)),
    sc("fchmod", nr::FCHMOD, 316, 317, 0),
    sc("fchmodat", nr::FCHMODAT, 312, 313, path_a(1)),
    sc("unlink", nr::UNLINK, 300, 301, path_a(0)),
    sc("unlinkat", nr::UNLINKAT, 302, 303, path_a(1)),
    sc("rmdir", nr::RMDIR, 278, 279, path_a(0)),
    sc("rename", nr::RENAME, 174, 175, path_a(0) | path_b(1)),
    sc("renameat", nr::RENAMEAT, 176, 177, path_a(1) | path_b(3)),
    sc("renameat2", nr::RENAMEAT2, 318, 319, path_a(1) | path_b(3)),
    sc("mkdir", nr::MKDIR, 276, 277, path_a(0)),
    sc("mkdirat", nr::MKDIRAT, 304, 305, path_a(1)),
    sc("chdir", nr::CHDIR, 94, 95, path_a(0)),
    sc("fchdir", nr::FCHDIR, 96, 97, 0),
    sc("chroot", nr::CHROOT, 266, 267, path_a(0)),
    sc("dup", nr::DUP, 124, 125, 0),
    sc("dup2", nr::DUP2, 124, 125, 0),
    sc("dup3", nr::DUP3, 124, 125, 0),
    sc("fcntl", nr::FCNTL, 150, 151, 0),
    sc("pipe", nr::PIPE, 60, 61, PIPE_ARG0),
    sc("pipe2", nr::PIPE2, 60, 61, PIPE_ARG0),
    // Network.
    sc("socket", nr::SOCKET, 18, 19, 0),
    sc("connect", nr::CONNECT, 22, 23, sockaddr(1) | TUPLE_ARG0),
    sc("bind", nr::BIND, 20, 21, sockaddr(1)),
    sc("accept", nr::ACCEPT, 246, 247, TUPLE_RET),
    sc("accept4", nr::ACCEPT4, 248, 249, TUPLE_RET),
    // Users and tracing.
    sc("setuid", nr::SETUID, 198, 199, 0),
    sc("setgid", nr::SETGID, 200, 201, 0),
    sc("setresuid", nr::SETRESUID, 192, 193, 0),
    sc("setresgid", nr::SETRESGID, 194, 195, 0),
    sc("ptrace", nr::PTRACE, 168, 169, 0),
];

/// x86-64 system call numbers of [`SYSCALLS`] (the table takes them from
/// here; the converter dispatches on them: an integer match instead of name
/// comparisons per record).
pub mod nr {
    pub const EXECVE: u32 = 59;
    pub const EXECVEAT: u32 = 322;
    pub const OPEN: u32 = 2;
    pub const CREAT: u32 = 85;
    pub const OPENAT: u32 = 257;
    pub const OPENAT2: u32 = 437;
    pub const CLOSE: u32 = 3;
    pub const CHMOD: u32 = 90;
    pub const FCHMOD: u32 = 91;
    pub const FCHMODAT: u32 = 268;
    pub const UNLINK: u32 = 87;
    pub const UNLINKAT: u32 = 263;
    pub const RMDIR: u32 = 84;
    pub const RENAME: u32 = 82;
    pub const RENAMEAT: u32 = 264;
    pub const RENAMEAT2: u32 = 316;
    pub const MKDIR: u32 = 83;
    pub const MKDIRAT: u32 = 258;
    pub const CHDIR: u32 = 80;
    pub const FCHDIR: u32 = 81;
    pub const CHROOT: u32 = 161;
    pub const DUP: u32 = 32;
    pub const DUP2: u32 = 33;
    pub const DUP3: u32 = 292;
    pub const FCNTL: u32 = 72;
    pub const PIPE: u32 = 22;
    pub const PIPE2: u32 = 293;
    pub const SOCKET: u32 = 41;
    pub const CONNECT: u32 = 42;
    pub const BIND: u32 = 49;
    pub const ACCEPT: u32 = 43;
    pub const ACCEPT4: u32 = 288;
    pub const SETUID: u32 = 105;
    pub const SETGID: u32 = 106;
    pub const SETRESUID: u32 = 117;
    pub const SETRESGID: u32 = 119;
    pub const PTRACE: u32 = 101;
}

/// The clone exit event code of fork records (every process and thread
/// creation, whatever the system call: the scheduler tracepoint does not
/// say which).
pub const CLONE_X: u16 = 223;
pub const CLONE_E: u16 = 222;
pub const PROCEXIT_E: u16 = 186;

/// The supported system call with x86-64 number `nr` (a table lookup).
pub fn by_nr(nr: u32) -> Option<&'static Syscall> {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = vec![u8::MAX; 512];
        for (i, s) in SYSCALLS.iter().enumerate() {
            if let Some(slot) = t.get_mut(s.nr as usize) {
                *slot = i as u8;
            }
        }
        t
    });
    match t.get(nr as usize) {
        Some(&i) if i != u8::MAX => SYSCALLS.get(i as usize),
        _ => None,
    }
}

pub fn by_name(name: &str) -> impl Iterator<Item = &'static Syscall> + '_ {
    SYSCALLS.iter().filter(move |s| s.name == name)
}

/// System calls captured whatever the rules, because the process, file
/// descriptor and user state the fields read depends on them.
const ALWAYS: &[&str] = &[
    "execve",
    "execveat",
    "chdir",
    "fchdir",
    "chroot",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
];

/// Added when any file descriptor creating call is captured: they keep
/// the fd table right (closed, duplicated, close-on-exec fds).
const FD_STATE: &[&str] = &["close", "dup", "dup2", "dup3", "fcntl"];

/// Added with socket calls: the socket's family and protocol.
const SOCKET_STATE: &[&str] = &["socket"];

/// The selection of system calls for a set of wanted event codes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// `(nr, spec)` of every captured system call.
    pub specs: Vec<(u32, u32)>,
    /// Names selected because rules need them.
    pub for_rules: Vec<&'static str>,
    /// Names added for the state.
    pub for_state: Vec<&'static str>,
}

/// Selects the system calls whose events `wants(code)` accepts, plus the
/// ones the state needs (see [`ALWAYS`]).
pub fn select(wants: impl Fn(u16) -> bool) -> Selection {
    let mut names: Vec<&'static str> = Vec::new();
    let mut for_rules = Vec::new();
    for s in SYSCALLS {
        if (wants(s.enter) || wants(s.exit)) && !names.contains(&s.name) {
            names.push(s.name);
            for_rules.push(s.name);
        }
    }
    let mut for_state = Vec::new();
    let mut add = |n: &'static str, names: &mut Vec<&'static str>| {
        if !names.contains(&n) {
            names.push(n);
            for_state.push(n);
        }
    };
    for n in ALWAYS {
        add(n, &mut names);
    }
    let fd_creating = names.iter().any(|n| {
        matches!(
            *n,
            "open"
                | "openat"
                | "openat2"
                | "creat"
                | "socket"
                | "connect"
                | "accept"
                | "accept4"
                | "bind"
                | "pipe"
                | "pipe2"
        )
    });
    if fd_creating {
        for n in FD_STATE {
            add(n, &mut names);
        }
    }
    if names
        .iter()
        .any(|n| matches!(*n, "connect" | "accept" | "accept4" | "bind"))
    {
        for n in SOCKET_STATE {
            add(n, &mut names);
        }
    }
    let specs = SYSCALLS
        .iter()
        .filter(|s| names.contains(&s.name))
        .map(|s| (s.nr, s.spec))
        .collect();
    Selection {
        specs,
        for_rules,
        for_state,
    }
}

/// Every event code the probe can produce (for "rules need event types
/// the probe does not capture" notes).
pub fn produced_codes() -> Vec<u16> {
    let mut v: Vec<u16> = SYSCALLS.iter().flat_map(|s| [s.enter, s.exit]).collect();
    v.extend([CLONE_E, CLONE_X, PROCEXIT_E, 272]);
    v.sort_unstable();
    v.dedup();
    v
}

/// The spec bits as the kernel reads them (re-exported for tests).
pub fn spec_params(nr: u32) -> Vec<spec::Param> {
    by_nr(nr)
        .map(|s| spec::params(s.spec).to_vec())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_catalog::catalog;

    #[test]
    fn event_codes_have_the_syscall_names() {
        for s in SYSCALLS {
            let e = catalog().event(s.enter).expect("enter code in the table");
            let x = catalog().event(s.exit).expect("exit code in the table");
            // dup2/dup3 and pipe2 use the dup and pipe events (readable by
            // libs 2022); accept4's 248/249 pair is named accept in the
            // drivers' table.
            let want = match s.name {
                "dup2" | "dup3" => "dup",
                "pipe2" => "pipe",
                "accept4" => "accept",
                n => n,
            };
            assert_eq!(e.name, want, "{}", s.name);
            assert_eq!(x.name, want, "{}", s.name);
            assert_eq!(s.enter + 1, s.exit, "{}", s.name);
        }
    }

    #[test]
    fn lookup_by_number() {
        for s in SYSCALLS {
            assert_eq!(by_nr(s.nr).unwrap().name, s.name);
        }
        assert!(by_nr(0).is_none());
        assert!(by_nr(100_000).is_none());
    }

    #[test]
    fn numbers_are_unique() {
        let mut nrs: Vec<u32> = SYSCALLS.iter().map(|s| s.nr).collect();
        nrs.sort_unstable();
        let n = nrs.len();
        nrs.dedup();
        assert_eq!(n, nrs.len());
    }

    #[test]
    fn selection_adds_state_calls() {
        // Rules on execve only: process state calls, no fd calls.
        let sel = select(|c| c == 293);
        assert_eq!(sel.for_rules, vec!["execve"]);
        assert!(sel.for_state.contains(&"chdir"));
        assert!(
            !sel.specs.iter().any(|(nr, _)| *nr == 3),
            "close not needed"
        );
        // Rules on connect: socket and close come along.
        let sel = select(|c| c == 23);
        assert_eq!(sel.for_rules, vec!["connect"]);
        for n in ["socket", "close", "dup2", "fcntl"] {
            assert!(sel.for_state.contains(&n), "{n}");
        }
        // Every call captured carries the capture bit.
        assert!(sel.specs.iter().all(|(_, s)| s & CAPTURE != 0));
    }

    #[test]
    fn only_exec_skips_success_and_no_call_asks_for_enter_data() {
        // A successful exec is reported by sched_process_exec, so its
        // system call exit is only captured for failures. Bit 16 (enter
        // data kept at sys_enter) is retired with the enter hook: every
        // call reads its arguments from the registers at the exit.
        for s in SYSCALLS {
            let exec = matches!(s.name, "execve" | "execveat");
            assert_eq!(s.spec & SKIP_SUCCESS != 0, exec, "{}", s.name);
            assert_eq!(s.spec & (1 << 16), 0, "{}", s.name);
        }
    }

    #[test]
    fn number_constants_match_the_table() {
        let consts = [
            ("execve", nr::EXECVE),
            ("execveat", nr::EXECVEAT),
            ("open", nr::OPEN),
            ("creat", nr::CREAT),
            ("openat", nr::OPENAT),
            ("openat2", nr::OPENAT2),
            ("close", nr::CLOSE),
            ("chmod", nr::CHMOD),
            ("fchmod", nr::FCHMOD),
            ("fchmodat", nr::FCHMODAT),
            ("unlink", nr::UNLINK),
            ("unlinkat", nr::UNLINKAT),
            ("rmdir", nr::RMDIR),
            ("rename", nr::RENAME),
            ("renameat", nr::RENAMEAT),
            ("renameat2", nr::RENAMEAT2),
            ("mkdir", nr::MKDIR),
            ("mkdirat", nr::MKDIRAT),
            ("chdir", nr::CHDIR),
            ("fchdir", nr::FCHDIR),
            ("chroot", nr::CHROOT),
            ("dup", nr::DUP),
            ("dup2", nr::DUP2),
            ("dup3", nr::DUP3),
            ("fcntl", nr::FCNTL),
            ("pipe", nr::PIPE),
            ("pipe2", nr::PIPE2),
            ("socket", nr::SOCKET),
            ("connect", nr::CONNECT),
            ("bind", nr::BIND),
            ("accept", nr::ACCEPT),
            ("accept4", nr::ACCEPT4),
            ("setuid", nr::SETUID),
            ("setgid", nr::SETGID),
            ("setresuid", nr::SETRESUID),
            ("setresgid", nr::SETRESGID),
            ("ptrace", nr::PTRACE),
        ];
        assert_eq!(consts.len(), SYSCALLS.len());
        for (name, n) in consts {
            assert_eq!(by_name(name).next().map(|s| s.nr), Some(n), "{name}");
        }
    }
}
