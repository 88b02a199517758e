//! Metadata blocks: section header, machine info, process list, fd list,
//! interface list, user list. Each `parse_*` function decodes one block
//! body (without the block header, padding excluded or included: trailing
//! bytes shorter than an entry are treated as padding, as libscap does).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::block::{types, Cursor, Short};

/// `SCAP_MAX_PATH_SIZE`: limit of comm, exe, exepath, cwd, root and fd
/// names.
pub const MAX_PATH_SIZE: usize = 1024;
/// `SCAP_MAX_ARGS_SIZE` / `SCAP_MAX_ENV_SIZE` / `SCAP_MAX_CGROUPS_SIZE`.
pub const MAX_ARGS_SIZE: usize = 4096;
/// `MAX_CREDENTIALS_STR_LEN`: user and group name, home, shell (exclusive).
pub const MAX_CREDENTIALS_STR_LEN: usize = 256;
/// The size of the machine-info block body.
pub const MACHINE_INFO_SIZE: usize = 180;

type PResult<T> = Result<T, String>;

fn short(what: &str) -> impl Fn(Short) -> String + '_ {
    move |s| format!("{what}: truncated entry ({s})")
}

/// Bytes up to the first NUL, as text (invalid UTF-8 replaced).
pub(crate) fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A NUL-separated list (`a\0b\0`), without the empty piece after a final
/// NUL.
pub(crate) fn nul_list(b: &[u8]) -> Vec<String> {
    if b.is_empty() {
        return Vec::new();
    }
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    b.split(|&c| c == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// `u16 len + bytes`, with libscap's limit check (`len > max` fails).
fn lbytes<'a>(c: &mut Cursor<'a>, max: usize, what: &str) -> PResult<&'a [u8]> {
    let len = c.u16().map_err(short(what))? as usize;
    if len > max {
        return Err(format!("invalid {what} length {len} (max {max})"));
    }
    c.bytes(len).map_err(short(what))
}

// ---------------------------------------------------------------------------
// Section header

/// The section header block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionHeader {
    pub major: u16,
    pub minor: u16,
    /// `-1` (unknown) in every capture libscap writes.
    pub section_length: i64,
    /// pcapng options after the fixed fields (for example `opt_comment`,
    /// code 1), decoded as `(code, value)` until `opt_endofopt` (code 0).
    /// libscap skips them.
    pub options: Vec<(u16, Vec<u8>)>,
    /// Offset of the block in the (uncompressed) stream.
    pub offset: u64,
}

impl SectionHeader {
    /// The `opt_comment` options (code 1), as text.
    pub fn comments(&self) -> impl Iterator<Item = String> + '_ {
        self.options
            .iter()
            .filter(|(c, _)| *c == 1)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

impl Default for SectionHeader {
    fn default() -> SectionHeader {
        SectionHeader {
            major: 1,
            minor: 2,
            section_length: -1,
            options: Vec::new(),
            offset: 0,
        }
    }
}

/// The fixed part of the body: magic, major, minor, section length.
pub(crate) const SHB_FIXED: usize = 16;

/// Parses an SHB body. `Err((is_version_error, message))`.
pub(crate) fn parse_section_header(
    body: &[u8],
    offset: u64,
) -> Result<SectionHeader, (bool, String)> {
    let mut c = Cursor::new(body);
    let err = |s: Short| (false, format!("section header too short ({s})"));
    let magic = c.u32().map_err(err)?;
    let major = c.u16().map_err(err)?;
    let minor = c.u16().map_err(err)?;
    let section_length = c.i64().map_err(err)?;
    if magic != types::SHB_MAGIC {
        return Err((
            false,
            format!("invalid byte-order magic {magic:#010x} (expected 0x1a2b3c4d)"),
        ));
    }
    if major > 1 {
        return Err((
            true,
            format!("unsupported format version {major}.{minor} (this reader knows 1.x)"),
        ));
    }
    // pcapng options: u16 code, u16 length, value padded to 4 bytes.
    // Malformed options are ignored, as libscap skips them unread.
    let mut options = Vec::new();
    while c.remaining() >= 4 {
        let code = c.u16().unwrap_or(0);
        let len = c.u16().unwrap_or(0) as usize;
        if code == 0 {
            break;
        }
        let Ok(v) = c.bytes(len) else { break };
        options.push((code, v.to_vec()));
        let pad = (4 - len % 4) % 4;
        if c.skip(pad.min(c.remaining())).is_err() {
            break;
        }
    }
    Ok(SectionHeader {
        major,
        minor,
        section_length,
        options,
        offset,
    })
}

pub(crate) fn write_section_header(h: &SectionHeader, out: &mut Vec<u8>) {
    use crate::block::{put_u16, put_u32};
    put_u32(out, types::SHB_MAGIC);
    put_u16(out, h.major);
    put_u16(out, h.minor);
    out.extend_from_slice(&h.section_length.to_le_bytes());
    if !h.options.is_empty() {
        for (code, v) in &h.options {
            put_u16(out, *code);
            put_u16(out, v.len() as u16);
            out.extend_from_slice(v);
            out.resize(out.len() + (4 - v.len() % 4) % 4, 0);
        }
        put_u32(out, 0); // opt_endofopt
    }
}

// ---------------------------------------------------------------------------
// Machine info

/// The machine-info block (`scap_machine_info`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineInfo {
    pub num_cpus: u32,
    pub memory_bytes: u64,
    pub max_pid: u64,
    pub hostname: String,
    /// Boot time in ns since the epoch (`reserved1` in old files).
    pub boot_ts_epoch: u64,
    /// Machine flags (`reserved2` in old files).
    pub flags: u64,
    pub reserved3: u64,
    pub reserved4: u64,
}

pub(crate) fn parse_machine_info(body: &[u8]) -> PResult<MachineInfo> {
    if body.len() < MACHINE_INFO_SIZE {
        return Err(format!(
            "machine info block body is {} bytes, expected {MACHINE_INFO_SIZE}",
            body.len()
        ));
    }
    let mut c = Cursor::new(body);
    let s = short("machine info");
    Ok(MachineInfo {
        num_cpus: c.u32().map_err(&s)?,
        memory_bytes: c.u64().map_err(&s)?,
        max_pid: c.u64().map_err(&s)?,
        hostname: c_string(c.bytes(128).map_err(&s)?),
        boot_ts_epoch: c.u64().map_err(&s)?,
        flags: c.u64().map_err(&s)?,
        reserved3: c.u64().map_err(&s)?,
        reserved4: c.u64().map_err(&s)?,
    })
}

pub(crate) fn write_machine_info(m: &MachineInfo, out: &mut Vec<u8>) {
    use crate::block::{put_u32, put_u64};
    put_u32(out, m.num_cpus);
    put_u64(out, m.memory_bytes);
    put_u64(out, m.max_pid);
    let mut host = [0u8; 128];
    let h = m.hostname.as_bytes();
    let n = h.len().min(127);
    host[..n].copy_from_slice(&h[..n]);
    out.extend_from_slice(&host);
    put_u64(out, m.boot_ts_epoch);
    put_u64(out, m.flags);
    put_u64(out, m.reserved3);
    put_u64(out, m.reserved4);
}

// ---------------------------------------------------------------------------
// Process list

/// One process-list entry (`scap_threadinfo`), with libscap's defaults for
/// the fields an older generation does not carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadInfo {
    /// The process-list generation the entry was read from (1–9), or the
    /// one it will be written as (the writer always writes 9).
    pub version: u8,
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    /// Session id (V6+; -1 before).
    pub sid: i64,
    /// Process group id in the pid namespace (V8+; -1 before).
    pub vpgid: i64,
    /// Process group id (optional tail; -1 when absent).
    pub pgid: i64,
    pub comm: String,
    /// argv\[0\] as shown.
    pub exe: String,
    /// The executable's path (V7+; empty before).
    pub exepath: String,
    /// argv\[1..\].
    pub args: Vec<String>,
    pub cwd: String,
    pub fdlimit: u64,
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    /// Environment (V3+), `NAME=value` strings.
    pub env: Vec<String>,
    /// Thread/process id inside the pid namespace (V4+; -1 before).
    pub vtid: i64,
    pub vpid: i64,
    /// `subsystem=path` strings (V4+).
    pub cgroups: Vec<String>,
    /// Root directory (V5+).
    pub root: String,
    pub pidns_init_start_ts: u64,
    pub tty: u32,
    /// `u32::MAX` when absent.
    pub loginuid: u32,
    pub exe_writable: bool,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_upper_layer: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub exe_from_memfd: bool,
    pub exe_lower_layer: bool,
}

impl Default for ThreadInfo {
    fn default() -> ThreadInfo {
        ThreadInfo {
            version: 9,
            tid: 0,
            pid: 0,
            ptid: 0,
            sid: -1,
            vpgid: -1,
            pgid: -1,
            comm: String::new(),
            exe: String::new(),
            exepath: String::new(),
            args: Vec::new(),
            cwd: String::new(),
            fdlimit: 0,
            flags: 0,
            uid: 0,
            gid: 0,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            env: Vec::new(),
            vtid: -1,
            vpid: -1,
            cgroups: Vec::new(),
            root: String::new(),
            pidns_init_start_ts: 0,
            tty: 0,
            loginuid: u32::MAX,
            exe_writable: false,
            cap_inheritable: 0,
            cap_permitted: 0,
            cap_effective: 0,
            exe_upper_layer: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            exe_from_memfd: false,
            exe_lower_layer: false,
        }
    }
}

impl ThreadInfo {
    /// The container id libsinsp derives from the cgroups, if a cgroup path
    /// names a docker/containerd/cri-o container (the 12-character short
    /// id). A convenience for tools; the engine has its own logic.
    pub fn container_id(&self) -> Option<String> {
        self.cgroups.iter().find_map(|cg| {
            let path = cg.split_once('=').map(|(_, p)| p).unwrap_or(cg);
            path.split('/').find_map(|seg| {
                let seg = seg
                    .strip_prefix("docker-")
                    .or_else(|| seg.strip_prefix("crio-"))
                    .or_else(|| seg.strip_prefix("cri-containerd-"))
                    .unwrap_or(seg);
                let seg = seg.strip_suffix(".scope").unwrap_or(seg);
                (seg.len() == 64 && seg.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| seg[..12].to_string())
            })
        })
    }
}

/// Parses a process-list block body (any generation).
pub(crate) fn parse_proclist(block_type: u32, body: &[u8]) -> PResult<Vec<ThreadInfo>> {
    let version = crate::block::proclist_version(block_type)
        .ok_or_else(|| format!("not a process list block type {block_type:#x}"))?;
    let mut c = Cursor::new(body);
    let mut out = Vec::new();
    while c.remaining() >= 4 {
        let idx = out.len();
        let start = c.pos();
        let t = parse_thread(&mut c, version)
            .map_err(|e| format!("process entry {idx} (body offset {start}): {e}"))?;
        out.push(t);
    }
    Ok(out)
}

fn parse_thread(c: &mut Cursor<'_>, version: u8) -> PResult<ThreadInfo> {
    let s = short("process entry");
    let start = c.pos();
    let mut t = ThreadInfo {
        version,
        ..ThreadInfo::default()
    };
    let sub_len = if version >= 9 {
        c.u32().map_err(&s)? as usize
    } else {
        0
    };
    t.tid = c.i64().map_err(&s)?;
    t.pid = c.i64().map_err(&s)?;
    t.ptid = c.i64().map_err(&s)?;
    if version >= 6 {
        t.sid = c.i64().map_err(&s)?;
    }
    if version >= 8 {
        t.vpgid = c.i64().map_err(&s)?;
    }
    t.comm = c_string(lbytes(c, MAX_PATH_SIZE, "comm")?);
    t.exe = c_string(lbytes(c, MAX_PATH_SIZE, "exe")?);
    if version >= 7 {
        t.exepath = c_string(lbytes(c, MAX_PATH_SIZE, "exepath")?);
    }
    t.args = nul_list(lbytes(c, MAX_ARGS_SIZE, "args")?);
    t.cwd = c_string(lbytes(c, MAX_PATH_SIZE, "cwd")?);
    t.fdlimit = c.u64().map_err(&s)?;
    t.flags = c.u32().map_err(&s)?;
    t.uid = c.u32().map_err(&s)?;
    t.gid = c.u32().map_err(&s)?;
    if version >= 2 {
        t.vmsize_kb = c.u32().map_err(&s)?;
        t.vmrss_kb = c.u32().map_err(&s)?;
        t.vmswap_kb = c.u32().map_err(&s)?;
        t.pfmajor = c.u64().map_err(&s)?;
        t.pfminor = c.u64().map_err(&s)?;
    }
    if version >= 3 {
        t.env = nul_list(lbytes(c, MAX_ARGS_SIZE, "env")?);
    }
    if version >= 4 {
        t.vtid = c.i64().map_err(&s)?;
        t.vpid = c.i64().map_err(&s)?;
        t.cgroups = nul_list(lbytes(c, MAX_ARGS_SIZE, "cgroups")?);
    }
    if version >= 5 {
        t.root = c_string(lbytes(c, MAX_PATH_SIZE, "root")?);
    }
    if sub_len == 0 {
        // V1–V8 (no entry length), or a V9 entry of unknown length: no tail.
        return Ok(t);
    }
    let end = start
        .checked_add(sub_len)
        .ok_or_else(|| "entry length overflow".to_string())?;
    let read = c.pos() - start;
    if read > sub_len {
        return Err(format!(
            "read {read} bytes but the entry length is {sub_len}"
        ));
    }
    // The optional tail, each field read only while the entry length
    // allows. libs 0.10 inserted pidns_init_start_ts and tty before
    // loginuid; files from older writers are recognised by libscap's
    // heuristic: at most 29 bytes left (loginuid, exe_writable and the
    // three capability sets).
    let fits = |c: &Cursor<'_>, n: usize| c.pos() + n <= end;
    let pre_0_10 = sub_len - read <= 29;
    if !pre_0_10 {
        if fits(c, 8) {
            t.pidns_init_start_ts = c.u64().map_err(&s)?;
        }
        if fits(c, 4) {
            t.tty = c.u32().map_err(&s)?;
        }
    }
    if fits(c, 4) {
        t.loginuid = c.u32().map_err(&s)?;
    }
    if fits(c, 1) {
        t.exe_writable = c.u8().map_err(&s)? != 0;
    }
    if fits(c, 8) {
        t.cap_inheritable = c.u64().map_err(&s)?;
    }
    if fits(c, 8) {
        t.cap_permitted = c.u64().map_err(&s)?;
    }
    if fits(c, 8) {
        t.cap_effective = c.u64().map_err(&s)?;
    }
    if fits(c, 1) {
        t.exe_upper_layer = c.u8().map_err(&s)? != 0;
    }
    if fits(c, 8) {
        t.exe_ino = c.u64().map_err(&s)?;
    }
    if fits(c, 8) {
        t.exe_ino_ctime = c.u64().map_err(&s)?;
    }
    if fits(c, 8) {
        t.exe_ino_mtime = c.u64().map_err(&s)?;
    }
    if fits(c, 1) {
        t.exe_from_memfd = c.u8().map_err(&s)? != 0;
    }
    if fits(c, 1) {
        t.exe_lower_layer = c.u8().map_err(&s)? != 0;
    }
    if fits(c, 8) {
        t.pgid = c.i64().map_err(&s)?;
    }
    // Fields from newer writers: skip to the end of the entry.
    let rest = end - c.pos();
    c.skip(rest).map_err(&s)?;
    Ok(t)
}

fn put_lbytes(out: &mut Vec<u8>, b: &[u8]) {
    crate::block::put_u16(out, b.len() as u16);
    out.extend_from_slice(b);
}

fn join_nul(list: &[String]) -> Vec<u8> {
    let mut v = Vec::new();
    for s in list {
        v.extend_from_slice(s.as_bytes());
        v.push(0);
    }
    v
}

fn clip(b: &[u8], max: usize) -> &[u8] {
    &b[..b.len().min(max)]
}

/// Writes one PL_V9 entry in the layout both libs 2022 and current libs
/// read: the fixed V9 fields up to `root`, then `loginuid`,
/// `exe_writable` and the three capability sets (29 bytes: current libs
/// recognise this as the pre-0.10 tail; libs 2022 reads `loginuid` and
/// `exe_writable` and skips the rest by the entry length). Strings longer
/// than libscap's limits are cut.
pub(crate) fn write_thread(t: &ThreadInfo, out: &mut Vec<u8>) {
    use crate::block::{put_i64, put_u32, put_u64};
    let start = out.len();
    put_u32(out, 0); // entry length, patched below
    put_i64(out, t.tid);
    put_i64(out, t.pid);
    put_i64(out, t.ptid);
    put_i64(out, t.sid);
    put_i64(out, t.vpgid);
    put_lbytes(out, clip(t.comm.as_bytes(), MAX_PATH_SIZE));
    put_lbytes(out, clip(t.exe.as_bytes(), MAX_PATH_SIZE));
    put_lbytes(out, clip(t.exepath.as_bytes(), MAX_PATH_SIZE));
    put_lbytes(out, clip(&join_nul(&t.args), MAX_ARGS_SIZE));
    put_lbytes(out, clip(t.cwd.as_bytes(), MAX_PATH_SIZE));
    put_u64(out, t.fdlimit);
    put_u32(out, t.flags);
    put_u32(out, t.uid);
    put_u32(out, t.gid);
    put_u32(out, t.vmsize_kb);
    put_u32(out, t.vmrss_kb);
    put_u32(out, t.vmswap_kb);
    put_u64(out, t.pfmajor);
    put_u64(out, t.pfminor);
    put_lbytes(out, clip(&join_nul(&t.env), MAX_ARGS_SIZE));
    put_i64(out, t.vtid);
    put_i64(out, t.vpid);
    put_lbytes(out, clip(&join_nul(&t.cgroups), MAX_ARGS_SIZE));
    put_lbytes(out, clip(t.root.as_bytes(), MAX_PATH_SIZE));
    put_u32(out, t.loginuid);
    out.push(t.exe_writable as u8);
    put_u64(out, t.cap_inheritable);
    put_u64(out, t.cap_permitted);
    put_u64(out, t.cap_effective);
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

// ---------------------------------------------------------------------------
// FD list

/// `scap_fd_type` values.
pub mod fd_types {
    pub const UNKNOWN: u8 = 0;
    pub const FILE: u8 = 1;
    pub const DIRECTORY: u8 = 2;
    pub const IPV4_SOCK: u8 = 3;
    pub const IPV6_SOCK: u8 = 4;
    pub const IPV4_SERVSOCK: u8 = 5;
    pub const IPV6_SERVSOCK: u8 = 6;
    pub const FIFO: u8 = 7;
    pub const UNIX_SOCK: u8 = 8;
    pub const EVENT: u8 = 9;
    pub const UNSUPPORTED: u8 = 10;
    pub const SIGNALFD: u8 = 11;
    pub const EVENTPOLL: u8 = 12;
    pub const INOTIFY: u8 = 13;
    pub const TIMERFD: u8 = 14;
    pub const NETLINK: u8 = 15;
    pub const FILE_V2: u8 = 16;
    pub const BPF: u8 = 17;
    pub const USERFAULTFD: u8 = 18;
    pub const IOURING: u8 = 19;
    pub const MEMFD: u8 = 20;
    pub const PIDFD: u8 = 21;
}

/// What an fd-list entry describes, by `scap_fd_type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdKind {
    Ipv4Socket {
        sip: Ipv4Addr,
        dip: Ipv4Addr,
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv4Server {
        ip: Ipv4Addr,
        port: u16,
        l4proto: u8,
    },
    Ipv6Socket {
        sip: Ipv6Addr,
        dip: Ipv6Addr,
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv6Server {
        ip: Ipv6Addr,
        port: u16,
        l4proto: u8,
    },
    Unix {
        source: u64,
        dest: u64,
        path: String,
    },
    /// `SCAP_FD_FILE_V2`: a regular file with its open flags (and device,
    /// when the writer stored it).
    File {
        open_flags: u32,
        path: String,
        dev: Option<u32>,
    },
    /// Every other known type (`FILE`, `DIRECTORY`, `FIFO`, `EVENT`,
    /// `SIGNALFD`, `EVENTPOLL`, `INOTIFY`, `TIMERFD`, `NETLINK`, `BPF`,
    /// `USERFAULTFD`, `IOURING`, `MEMFD`, `PIDFD`, `UNSUPPORTED`): a name.
    Named { fd_type: u8, name: String },
    /// `SCAP_FD_UNKNOWN` or a type this reader does not know: nothing more
    /// is stored (libscap reads nothing either).
    Unknown { fd_type: u8 },
}

/// One fd-list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdInfo {
    pub fd: i64,
    pub ino: u64,
    pub kind: FdKind,
}

impl FdInfo {
    /// The `scap_fd_type` of the entry.
    pub fn fd_type(&self) -> u8 {
        use fd_types::*;
        match &self.kind {
            FdKind::Ipv4Socket { .. } => IPV4_SOCK,
            FdKind::Ipv4Server { .. } => IPV4_SERVSOCK,
            FdKind::Ipv6Socket { .. } => IPV6_SOCK,
            FdKind::Ipv6Server { .. } => IPV6_SERVSOCK,
            FdKind::Unix { .. } => UNIX_SOCK,
            FdKind::File { .. } => FILE_V2,
            FdKind::Named { fd_type, .. } | FdKind::Unknown { fd_type } => *fd_type,
        }
    }

    /// The name (path) of a file, directory, unix socket or other named fd.
    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            FdKind::Unix { path, .. } => Some(path),
            FdKind::File { path, .. } => Some(path),
            FdKind::Named { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// The fds of one thread (one fd-list block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdList {
    pub tid: u64,
    pub fds: Vec<FdInfo>,
}

fn fd_name(c: &mut Cursor<'_>) -> PResult<String> {
    let len = c.u16().map_err(short("fd name"))? as usize;
    if len >= MAX_PATH_SIZE {
        return Err(format!(
            "invalid fd name length {len} (max {})",
            MAX_PATH_SIZE - 1
        ));
    }
    Ok(c_string(c.bytes(len).map_err(short("fd name"))?))
}

fn ipv4(c: &mut Cursor<'_>) -> Result<Ipv4Addr, Short> {
    Ok(Ipv4Addr::from(c.array::<4>()?))
}

fn ipv6(c: &mut Cursor<'_>) -> Result<Ipv6Addr, Short> {
    Ok(Ipv6Addr::from(c.array::<16>()?))
}

pub(crate) fn parse_fdlist(block_type: u32, body: &[u8]) -> PResult<FdList> {
    let v2 = block_type == types::FDL_V2;
    let mut c = Cursor::new(body);
    let tid = c.u64().map_err(short("fd list tid"))?;
    let mut fds = Vec::new();
    while c.remaining() >= 4 {
        let idx = fds.len();
        let start = c.pos();
        let fd = parse_fd(&mut c, v2)
            .map_err(|e| format!("fd entry {idx} (body offset {start}): {e}"))?;
        fds.push(fd);
    }
    Ok(FdList { tid, fds })
}

fn parse_fd(c: &mut Cursor<'_>, v2: bool) -> PResult<FdInfo> {
    use fd_types::*;
    let s = short("fd entry");
    let start = c.pos();
    let sub_len = if v2 { c.u32().map_err(&s)? as usize } else { 0 };
    let fd = c.i64().map_err(&s)?;
    let ino = c.u64().map_err(&s)?;
    let ty = c.u8().map_err(&s)?;
    let kind = match ty {
        IPV4_SOCK => FdKind::Ipv4Socket {
            sip: ipv4(c).map_err(&s)?,
            dip: ipv4(c).map_err(&s)?,
            sport: c.u16().map_err(&s)?,
            dport: c.u16().map_err(&s)?,
            l4proto: c.u8().map_err(&s)?,
        },
        IPV4_SERVSOCK => FdKind::Ipv4Server {
            ip: ipv4(c).map_err(&s)?,
            port: c.u16().map_err(&s)?,
            l4proto: c.u8().map_err(&s)?,
        },
        IPV6_SOCK => FdKind::Ipv6Socket {
            sip: ipv6(c).map_err(&s)?,
            dip: ipv6(c).map_err(&s)?,
            sport: c.u16().map_err(&s)?,
            dport: c.u16().map_err(&s)?,
            l4proto: c.u8().map_err(&s)?,
        },
        IPV6_SERVSOCK => FdKind::Ipv6Server {
            ip: ipv6(c).map_err(&s)?,
            port: c.u16().map_err(&s)?,
            l4proto: c.u8().map_err(&s)?,
        },
        UNIX_SOCK => FdKind::Unix {
            source: c.u64().map_err(&s)?,
            dest: c.u64().map_err(&s)?,
            path: fd_name(c)?,
        },
        FILE_V2 => {
            let open_flags = c.u32().map_err(&s)?;
            let path = fd_name(c)?;
            let dev = if sub_len != 0 && c.pos() - start + 4 <= sub_len {
                Some(c.u32().map_err(&s)?)
            } else {
                None
            };
            FdKind::File {
                open_flags,
                path,
                dev,
            }
        }
        FIFO | FILE | DIRECTORY | UNSUPPORTED | EVENT | SIGNALFD | EVENTPOLL | INOTIFY
        | TIMERFD | NETLINK | BPF | USERFAULTFD | IOURING | MEMFD | PIDFD => FdKind::Named {
            fd_type: ty,
            name: fd_name(c)?,
        },
        _ => FdKind::Unknown { fd_type: ty },
    };
    if sub_len != 0 {
        let read = c.pos() - start;
        if read > sub_len {
            return Err(format!(
                "read {read} bytes but the entry length is {sub_len}"
            ));
        }
        c.skip(sub_len - read).map_err(&s)?;
    }
    Ok(FdInfo { fd, ino, kind })
}

/// Writes the body of an FDL_V2 block.
pub(crate) fn write_fdlist(l: &FdList, out: &mut Vec<u8>) {
    use crate::block::{put_i64, put_u16, put_u32, put_u64};
    put_u64(out, l.tid);
    for f in &l.fds {
        let start = out.len();
        put_u32(out, 0);
        put_i64(out, f.fd);
        put_u64(out, f.ino);
        out.push(f.fd_type());
        let name = |out: &mut Vec<u8>, s: &str| {
            let b = clip(s.as_bytes(), MAX_PATH_SIZE - 1);
            put_u16(out, b.len() as u16);
            out.extend_from_slice(b);
        };
        match &f.kind {
            FdKind::Ipv4Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                out.extend_from_slice(&sip.octets());
                out.extend_from_slice(&dip.octets());
                put_u16(out, *sport);
                put_u16(out, *dport);
                out.push(*l4proto);
            }
            FdKind::Ipv4Server { ip, port, l4proto } => {
                out.extend_from_slice(&ip.octets());
                put_u16(out, *port);
                out.push(*l4proto);
            }
            FdKind::Ipv6Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                out.extend_from_slice(&sip.octets());
                out.extend_from_slice(&dip.octets());
                put_u16(out, *sport);
                put_u16(out, *dport);
                out.push(*l4proto);
            }
            FdKind::Ipv6Server { ip, port, l4proto } => {
                out.extend_from_slice(&ip.octets());
                put_u16(out, *port);
                out.push(*l4proto);
            }
            FdKind::Unix { source, dest, path } => {
                put_u64(out, *source);
                put_u64(out, *dest);
                name(out, path);
            }
            FdKind::File {
                open_flags,
                path,
                dev,
            } => {
                put_u32(out, *open_flags);
                name(out, path);
                if let Some(d) = dev {
                    put_u32(out, *d);
                }
            }
            FdKind::Named { name: n, .. } => name(out, n),
            FdKind::Unknown { .. } => {}
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

// ---------------------------------------------------------------------------
// Interface list

/// `scap_ifinfo_type` values.
pub mod if_types {
    pub const IPV4: u16 = 1;
    pub const IPV6: u16 = 2;
    pub const IPV4_NOLINKSPEED: u16 = 3;
    pub const IPV6_NOLINKSPEED: u16 = 4;
}

/// One interface address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    /// IPv4 or IPv6, with the netmask and broadcast address of the same
    /// family.
    pub addr: IpAddr,
    pub netmask: IpAddr,
    pub bcast: IpAddr,
    /// 0 for the `*_NOLINKSPEED` entries.
    pub linkspeed: u64,
}

pub(crate) fn parse_iflist(block_type: u32, body: &[u8]) -> PResult<Vec<Interface>> {
    use if_types::*;
    let v2 = block_type == types::IL_V2;
    let mut c = Cursor::new(body);
    let mut out = Vec::new();
    while c.remaining() >= 4 {
        let idx = out.len();
        let start = c.pos();
        let ctx = |e: String| format!("interface entry {idx} (body offset {start}): {e}");
        let s = short("interface entry");
        // V2: the entry length excludes the length field itself.
        let entry_len = if v2 {
            Some(c.u32().map_err(&s).map_err(ctx)? as usize)
        } else {
            None
        };
        let fixed = c.pos();
        let ty = c.u16().map_err(&s).map_err(ctx)?;
        let namelen = c.u16().map_err(&s).map_err(ctx)? as usize;
        if namelen >= MAX_PATH_SIZE {
            return Err(ctx(format!("invalid interface name length {namelen}")));
        }
        let (addr, netmask, bcast, linkspeed) = match ty {
            IPV4 | IPV4_NOLINKSPEED => {
                let a = ipv4(&mut c).map_err(&s).map_err(ctx)?;
                let m = ipv4(&mut c).map_err(&s).map_err(ctx)?;
                let b = ipv4(&mut c).map_err(&s).map_err(ctx)?;
                let l = if ty == IPV4 {
                    c.u64().map_err(&s).map_err(ctx)?
                } else {
                    0
                };
                (IpAddr::V4(a), IpAddr::V4(m), IpAddr::V4(b), l)
            }
            IPV6 | IPV6_NOLINKSPEED => {
                let a = ipv6(&mut c).map_err(&s).map_err(ctx)?;
                let m = ipv6(&mut c).map_err(&s).map_err(ctx)?;
                let b = ipv6(&mut c).map_err(&s).map_err(ctx)?;
                let l = if ty == IPV6 {
                    c.u64().map_err(&s).map_err(ctx)?
                } else {
                    0
                };
                (IpAddr::V6(a), IpAddr::V6(m), IpAddr::V6(b), l)
            }
            t => return Err(ctx(format!("unknown interface type {t}"))),
        };
        let name = c_string(c.bytes(namelen).map_err(&s).map_err(ctx)?);
        if let Some(n) = entry_len.filter(|n| *n != 0) {
            let read = c.pos() - fixed;
            if read > n {
                return Err(ctx(format!(
                    "read {read} bytes but the entry length is {n}"
                )));
            }
            c.skip(n - read).map_err(&s).map_err(ctx)?;
        }
        out.push(Interface {
            name,
            addr,
            netmask,
            bcast,
            linkspeed,
        });
    }
    Ok(out)
}

/// Writes the body of an IL_V2 block.
pub(crate) fn write_iflist(list: &[Interface], out: &mut Vec<u8>) {
    use crate::block::{put_u16, put_u32, put_u64};
    for i in list {
        let start = out.len();
        put_u32(out, 0);
        let name = clip(i.name.as_bytes(), MAX_PATH_SIZE - 1);
        let v4 = |a: &IpAddr| match a {
            IpAddr::V4(a) => a.octets(),
            IpAddr::V6(a) => a.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED).octets(),
        };
        let v6 = |a: &IpAddr| match a {
            IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            IpAddr::V6(a) => a.octets(),
        };
        if i.addr.is_ipv4() {
            put_u16(out, if_types::IPV4);
            put_u16(out, name.len() as u16);
            out.extend_from_slice(&v4(&i.addr));
            out.extend_from_slice(&v4(&i.netmask));
            out.extend_from_slice(&v4(&i.bcast));
        } else {
            put_u16(out, if_types::IPV6);
            put_u16(out, name.len() as u16);
            out.extend_from_slice(&v6(&i.addr));
            out.extend_from_slice(&v6(&i.netmask));
            out.extend_from_slice(&v6(&i.bcast));
        }
        put_u64(out, i.linkspeed);
        out.extend_from_slice(name);
        let len = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

// ---------------------------------------------------------------------------
// User list

/// A user of the capturing machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub homedir: String,
    pub shell: String,
}

/// A group of the capturing machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupInfo {
    pub gid: u32,
    pub name: String,
}

/// The users and groups of a user-list block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserList {
    pub users: Vec<UserInfo>,
    pub groups: Vec<GroupInfo>,
}

impl UserList {
    pub fn user(&self, uid: u32) -> Option<&UserInfo> {
        self.users.iter().find(|u| u.uid == uid)
    }

    pub fn group(&self, gid: u32) -> Option<&GroupInfo> {
        self.groups.iter().find(|g| g.gid == gid)
    }
}

fn cred(c: &mut Cursor<'_>, what: &str) -> PResult<String> {
    let len = c.u16().map_err(short(what))? as usize;
    if len >= MAX_CREDENTIALS_STR_LEN {
        return Err(format!("invalid {what} length {len}"));
    }
    Ok(c_string(c.bytes(len).map_err(short(what))?))
}

pub(crate) fn parse_userlist(block_type: u32, body: &[u8]) -> PResult<UserList> {
    let v2 = block_type == types::UL_V2;
    let mut c = Cursor::new(body);
    let mut out = UserList::default();
    let mut idx = 0usize;
    while c.remaining() >= 4 {
        let start = c.pos();
        let ctx = |e: String| format!("user entry {idx} (body offset {start}): {e}");
        let s = short("user entry");
        let sub_len = if v2 {
            c.u32().map_err(&s).map_err(ctx)? as usize
        } else {
            0
        };
        let kind = c.u8().map_err(&s).map_err(ctx)?;
        if kind == 0 {
            let uid = c.u32().map_err(&s).map_err(ctx)?;
            let gid = c.u32().map_err(&s).map_err(ctx)?;
            let name = cred(&mut c, "user name").map_err(ctx)?;
            let homedir = cred(&mut c, "user homedir").map_err(ctx)?;
            let shell = cred(&mut c, "user shell").map_err(ctx)?;
            out.users.push(UserInfo {
                uid,
                gid,
                name,
                homedir,
                shell,
            });
        } else {
            let gid = c.u32().map_err(&s).map_err(ctx)?;
            let name = cred(&mut c, "group name").map_err(ctx)?;
            out.groups.push(GroupInfo { gid, name });
        }
        if sub_len != 0 {
            let read = c.pos() - start;
            if read > sub_len {
                return Err(ctx(format!(
                    "read {read} bytes but the entry length is {sub_len}"
                )));
            }
            c.skip(sub_len - read).map_err(&s).map_err(ctx)?;
        }
        idx += 1;
    }
    Ok(out)
}

/// Writes the body of a UL_V2 block.
pub(crate) fn write_userlist(l: &UserList, out: &mut Vec<u8>) {
    use crate::block::{put_u16, put_u32};
    let s = |out: &mut Vec<u8>, v: &str| {
        let b = clip(v.as_bytes(), MAX_CREDENTIALS_STR_LEN - 1);
        put_u16(out, b.len() as u16);
        out.extend_from_slice(b);
    };
    for u in &l.users {
        let start = out.len();
        put_u32(out, 0);
        out.push(0);
        put_u32(out, u.uid);
        put_u32(out, u.gid);
        s(out, &u.name);
        s(out, &u.homedir);
        s(out, &u.shell);
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
    for g in &l.groups {
        let start = out.len();
        put_u32(out, 0);
        out.push(1);
        put_u32(out, g.gid);
        s(out, &g.name);
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}
