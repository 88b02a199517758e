//! File descriptors: the fd table entries (`sinsp_fdinfo`) and their
//! names.

use std::net::{Ipv4Addr, Ipv6Addr};

use rustc_hash::FxHashMap;

use crate::meta::{fd_types, FdInfo, FdKind};

/// `scap_l4_proto` values.
pub mod l4 {
    pub const UNKNOWN: u8 = 0;
    pub const NA: u8 = 1;
    pub const TCP: u8 = 2;
    pub const UDP: u8 = 3;
    pub const ICMP: u8 = 4;
    pub const RAW: u8 = 5;
}

/// Flag bits of an fd entry (`sinsp_fdinfo` flags that matter for fields).
pub mod fd_flags {
    pub const FROM_PROC: u32 = 1 << 0;
    pub const ROLE_CLIENT: u32 = 1 << 3;
    pub const ROLE_SERVER: u32 = 1 << 4;
    pub const CLONED: u32 = 1 << 7;
    pub const SOCKET_CONNECTED: u32 = 1 << 8;
    pub const CONNECTION_PENDING: u32 = 1 << 9;
    pub const CONNECTION_FAILED: u32 = 1 << 10;
    pub const OVERLAY_UPPER: u32 = 1 << 11;
    pub const OVERLAY_LOWER: u32 = 1 << 12;
}

/// The socket part of an fd entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sock {
    /// Not a socket, or a socket with no address yet.
    #[default]
    None,
    /// `SCAP_FD_IPV4_SOCK`: source and destination (client → server once
    /// the role is known).
    V4 {
        sip: Ipv4Addr,
        sport: u16,
        dip: Ipv4Addr,
        dport: u16,
    },
    /// `SCAP_FD_IPV4_SERVSOCK`: the bound address.
    V4Server {
        ip: Ipv4Addr,
        port: u16,
    },
    V6 {
        sip: Ipv6Addr,
        sport: u16,
        dip: Ipv6Addr,
        dport: u16,
    },
    V6Server {
        ip: Ipv6Addr,
        port: u16,
    },
    /// `SCAP_FD_UNIX_SOCK`: kernel addresses of the two ends.
    Unix {
        source: u64,
        dest: u64,
    },
}

/// One fd table entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fd {
    /// `scap_fd_type` (see [`crate::fd_types`]).
    pub fd_type: u8,
    /// The name libsinsp shows as `fd.name` (a path, an address tuple...).
    pub name: Vec<u8>,
    /// The path as passed to the system call (`fd.nameraw`), for files.
    pub name_raw: Vec<u8>,
    /// `PPM_O_*` open flags.
    pub open_flags: u32,
    pub ino: u64,
    pub dev: u32,
    pub mount_id: u64,
    pub sock: Sock,
    /// `scap_l4_proto` of a socket.
    pub l4proto: u8,
    /// [`fd_flags`] bits.
    pub flags: u32,
    /// For pidfds, the pid they refer to.
    pub pid: i64,
}

impl Fd {
    pub(crate) fn new(fd_type: u8) -> Fd {
        Fd {
            fd_type,
            ..Fd::default()
        }
    }

    /// An entry of a capture's fd list (libsinsp `add_fd_from_scap`).
    pub(crate) fn from_info(f: &FdInfo) -> Option<Fd> {
        let mut e = Fd::new(f.fd_type());
        e.flags = fd_flags::FROM_PROC;
        e.ino = f.ino;
        match &f.kind {
            FdKind::Ipv4Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                e.sock = Sock::V4 {
                    sip: *sip,
                    sport: *sport,
                    dip: *dip,
                    dport: *dport,
                };
                e.l4proto = *l4proto;
                if *l4proto == l4::TCP {
                    e.flags |= fd_flags::SOCKET_CONNECTED;
                }
                e.name = e.socket_name();
            }
            FdKind::Ipv4Server { ip, port, l4proto } => {
                e.sock = Sock::V4Server {
                    ip: *ip,
                    port: *port,
                };
                e.l4proto = *l4proto;
                e.name = e.socket_name();
            }
            FdKind::Ipv6Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                e.l4proto = *l4proto;
                if *l4proto == l4::TCP {
                    e.flags |= fd_flags::SOCKET_CONNECTED;
                }
                match (ipv4_mapped(sip), ipv4_mapped(dip)) {
                    (Some(s), Some(d)) => {
                        e.fd_type = fd_types::IPV4_SOCK;
                        e.sock = Sock::V4 {
                            sip: s,
                            sport: *sport,
                            dip: d,
                            dport: *dport,
                        };
                    }
                    _ => {
                        e.sock = Sock::V6 {
                            sip: *sip,
                            sport: *sport,
                            dip: *dip,
                            dport: *dport,
                        };
                    }
                }
                e.name = e.socket_name();
            }
            FdKind::Ipv6Server { ip, port, l4proto } => {
                e.sock = Sock::V6Server {
                    ip: *ip,
                    port: *port,
                };
                e.l4proto = *l4proto;
                e.name = e.socket_name();
            }
            FdKind::Unix { source, dest, path } => {
                e.sock = Sock::Unix {
                    source: *source,
                    dest: *dest,
                };
                e.name = path.as_bytes().to_vec();
                e.flags |= if path.is_empty() {
                    fd_flags::ROLE_CLIENT
                } else {
                    fd_flags::ROLE_SERVER
                };
            }
            FdKind::File {
                open_flags,
                path,
                dev,
            } => {
                e.open_flags = *open_flags;
                e.name = path.as_bytes().to_vec();
                e.dev = dev.unwrap_or(0);
            }
            FdKind::Named { name, .. } => {
                e.name = name.as_bytes().to_vec();
            }
            // libsinsp does not add entries of unknown types.
            FdKind::Unknown { .. } => return None,
        }
        Some(e)
    }

    pub fn is_file(&self) -> bool {
        matches!(self.fd_type, fd_types::FILE | fd_types::FILE_V2)
    }

    pub fn is_directory(&self) -> bool {
        self.fd_type == fd_types::DIRECTORY
    }

    pub fn is_unix_socket(&self) -> bool {
        self.fd_type == fd_types::UNIX_SOCK
    }

    pub fn is_ip_socket(&self) -> bool {
        matches!(self.fd_type, fd_types::IPV4_SOCK | fd_types::IPV6_SOCK)
    }

    pub fn is_ip_server_socket(&self) -> bool {
        matches!(
            self.fd_type,
            fd_types::IPV4_SERVSOCK | fd_types::IPV6_SERVSOCK
        )
    }

    pub fn is_role_server(&self) -> bool {
        self.flags & fd_flags::ROLE_SERVER != 0
    }

    pub fn is_role_client(&self) -> bool {
        self.flags & fd_flags::ROLE_CLIENT != 0
    }

    pub fn is_role_none(&self) -> bool {
        self.flags & (fd_flags::ROLE_CLIENT | fd_flags::ROLE_SERVER) == 0
    }

    pub fn is_socket_connected(&self) -> bool {
        self.flags & fd_flags::SOCKET_CONNECTED != 0
    }

    pub fn is_tcp_socket(&self) -> bool {
        self.is_ip_socket() && self.l4proto == l4::TCP
    }

    pub fn is_udp_socket(&self) -> bool {
        self.is_ip_socket() && self.l4proto == l4::UDP
    }

    pub(crate) fn set_role_server(&mut self) {
        self.flags = (self.flags & !fd_flags::ROLE_CLIENT) | fd_flags::ROLE_SERVER;
    }

    pub(crate) fn set_role_client(&mut self) {
        self.flags = (self.flags & !fd_flags::ROLE_SERVER) | fd_flags::ROLE_CLIENT;
    }

    pub(crate) fn set_connected(&mut self) {
        self.flags = (self.flags & !(fd_flags::CONNECTION_PENDING | fd_flags::CONNECTION_FAILED))
            | fd_flags::SOCKET_CONNECTED;
    }

    /// The `fd.typechar` character (`sinsp_fdinfo::get_typechar`).
    pub fn type_char(&self) -> u8 {
        use fd_types::*;
        match self.fd_type {
            FILE | FILE_V2 => b'f',
            IPV4_SOCK | IPV4_SERVSOCK => b'4',
            IPV6_SOCK | IPV6_SERVSOCK => b'6',
            DIRECTORY => b'd',
            FIFO => b'p',
            UNIX_SOCK => b'u',
            EVENT => b'e',
            UNKNOWN => b'o',
            UNSUPPORTED => b'X',
            SIGNALFD => b's',
            EVENTPOLL => b'l',
            INOTIFY => b'i',
            TIMERFD => b't',
            NETLINK => b'n',
            BPF => b'b',
            USERFAULTFD => b'u',
            IOURING => b'r',
            MEMFD => b'm',
            PIDFD => b'P',
            _ => b'?',
        }
    }

    /// The `fd.type` string (`sinsp_fdinfo::get_typestring`), `None` where
    /// libsinsp has `<NA>`.
    pub fn type_str(&self) -> Option<&'static str> {
        use fd_types::*;
        Some(match self.fd_type {
            FILE | FILE_V2 => "file",
            DIRECTORY => "directory",
            IPV4_SOCK | IPV4_SERVSOCK => "ipv4",
            IPV6_SOCK | IPV6_SERVSOCK => "ipv6",
            UNIX_SOCK => "unix",
            FIFO => "pipe",
            EVENT => "event",
            SIGNALFD => "signalfd",
            EVENTPOLL => "eventpoll",
            INOTIFY => "inotify",
            TIMERFD => "timerfd",
            NETLINK => "netlink",
            BPF => "bpf",
            USERFAULTFD => "userfaultfd",
            IOURING => "io_uring",
            MEMFD => "memfd",
            PIDFD => "pidfd",
            _ => return None,
        })
    }

    /// The layer-4 protocol as libsinsp reports it (`get_l4proto`): an IP
    /// socket with no role yet has none, except raw sockets.
    pub fn l4proto_effective(&self) -> u8 {
        match self.fd_type {
            fd_types::IPV4_SOCK | fd_types::IPV6_SOCK => {
                if self.l4proto == l4::RAW {
                    l4::RAW
                } else if self.is_role_none() {
                    l4::NA
                } else {
                    self.l4proto
                }
            }
            fd_types::IPV4_SERVSOCK | fd_types::IPV6_SERVSOCK => self.l4proto,
            _ => l4::NA,
        }
    }

    /// The name libsinsp gives an IP socket from its addresses
    /// (`sockinfo_to_str` / `ip*tuple_to_string`, no name resolution).
    pub(crate) fn socket_name(&self) -> Vec<u8> {
        match self.sock {
            Sock::V4 {
                sip,
                sport,
                dip,
                dport,
            } => match self.l4proto {
                l4::TCP | l4::UDP => {
                    let mut out = Vec::with_capacity(48);
                    push_ipv4_port(&mut out, sip, sport);
                    out.extend_from_slice(b"->");
                    push_ipv4_port(&mut out, dip, dport);
                    out
                }
                l4::ICMP | l4::RAW => {
                    let mut out = Vec::with_capacity(32);
                    push_ipv4(&mut out, sip);
                    out.extend_from_slice(b"->");
                    push_ipv4(&mut out, dip);
                    out
                }
                _ => b"<unknown>".to_vec(),
            },
            Sock::V6 {
                sip,
                sport,
                dip,
                dport,
            } => match self.l4proto {
                l4::TCP | l4::UDP => {
                    format!("{}:{sport}->{}:{dport}", inet6_ntop(&sip), inet6_ntop(&dip))
                        .into_bytes()
                }
                l4::ICMP | l4::RAW => {
                    format!("{}->{}", inet6_ntop(&sip), inet6_ntop(&dip)).into_bytes()
                }
                _ => b"<unknown>".to_vec(),
            },
            Sock::V4Server { ip, port } => {
                let mut out = Vec::with_capacity(24);
                push_ipv4_port(&mut out, ip, port);
                out
            }
            Sock::V6Server { ip, port } => format!("{}:{port}", inet6_ntop(&ip)).into_bytes(),
            Sock::Unix { .. } | Sock::None => self.name.clone(),
        }
    }

    /// Swaps source and destination of a connected IP socket.
    pub(crate) fn swap_addresses(&mut self) {
        match &mut self.sock {
            Sock::V4 {
                sip,
                sport,
                dip,
                dport,
            } => {
                std::mem::swap(sip, dip);
                std::mem::swap(sport, dport);
            }
            Sock::V6 {
                sip,
                sport,
                dip,
                dport,
            } => {
                std::mem::swap(sip, dip);
                std::mem::swap(sport, dport);
            }
            _ => {}
        }
    }

    /// `fd.dev.major`, `fd.dev.minor`: the driver stores the device in the
    /// user-space encoding (`new_encode_dev`): major in bits 8–19, minor
    /// in bits 0–7 and 20–31.
    pub fn dev_major(&self) -> u32 {
        (self.dev & 0xfff00) >> 8
    }

    pub fn dev_minor(&self) -> u32 {
        (self.dev & 0xff) | ((self.dev >> 12) & 0xfff00)
    }
}

/// The IPv4 address of an IPv4-mapped (or all-zero) IPv6 address, as
/// libsinsp's `is_ipv4_mapped_ipv6` accepts them.
pub fn ipv4_mapped(a: &Ipv6Addr) -> Option<Ipv4Addr> {
    let o = a.octets();
    if o[..10].iter().any(|&b| b != 0) {
        return None;
    }
    if (o[10] == 0xff && o[11] == 0xff) || o[10..].iter().all(|&b| b == 0) {
        Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
    } else {
        None
    }
}

/// IPv6 text as glibc's `inet_ntop` writes it (RFC 5952 compression;
/// `::a.b.c.d` and `::ffff:a.b.c.d` for IPv4-compatible and -mapped
/// addresses).
pub fn inet6_ntop(a: &Ipv6Addr) -> String {
    let w = a.segments();
    // The longest run (>= 2) of zero words, first one on ties.
    let (mut best_base, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best_base = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_base = usize::MAX;
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if i == best_base {
            out.push(':');
            i += best_len;
            if i == 8 {
                out.push(':');
            }
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        // Embedded IPv4 (glibc: `::a.b.c.d` or `::ffff:a.b.c.d`).
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            let o = a.octets();
            out.push_str(&format!("{}.{}.{}.{}", o[12], o[13], o[14], o[15]));
            return out;
        }
        out.push_str(&format!("{:x}", w[i]));
        i += 1;
    }
    out
}

/// An fd table (`sinsp_fdtable`), bounded like libsinsp's
/// (`MAX_FD_TABLE_SIZE`): a new fd beyond the bound is not added.
///
/// The entries are in a vector; small fds (the usual ones) find theirs
/// through a vector indexed by fd, others through a map, so that the
/// lookups each event does cost no hashing.
#[derive(Clone, Debug, Default)]
pub struct FdTable {
    /// The entries, in no particular order.
    entries: Vec<(i64, Fd)>,
    /// Per fd below [`DENSE_FDS`]: its position in `entries` plus one,
    /// 0 for none (as long as the largest such fd added).
    dense: Vec<u32>,
    /// The positions of the other fds.
    sparse: FxHashMap<i64, u32>,
}

/// libsinsp's `MAX_FD_TABLE_SIZE`.
pub const MAX_FD_TABLE_SIZE: usize = 4096;

/// Fds below this are found through [`FdTable::dense`].
const DENSE_FDS: i64 = 4096;

impl FdTable {
    #[inline]
    fn pos(&self, fd: i64) -> Option<usize> {
        if (0..DENSE_FDS).contains(&fd) {
            match self.dense.get(fd as usize) {
                Some(&p) if p != 0 => Some(p as usize - 1),
                _ => None,
            }
        } else {
            self.sparse.get(&fd).map(|&p| p as usize)
        }
    }

    fn set_pos(&mut self, fd: i64, p: usize) {
        if (0..DENSE_FDS).contains(&fd) {
            let i = fd as usize;
            if self.dense.len() <= i {
                self.dense.resize(i + 1, 0);
            }
            self.dense[i] = p as u32 + 1;
        } else {
            self.sparse.insert(fd, p as u32);
        }
    }

    /// Removes the entry at position `p` (of fd `fd`).
    fn remove_at(&mut self, p: usize, fd: i64) -> Fd {
        if (0..DENSE_FDS).contains(&fd) {
            self.dense[fd as usize] = 0;
        } else {
            self.sparse.remove(&fd);
        }
        let (_, removed) = self.entries.swap_remove(p);
        if let Some(&(moved, _)) = self.entries.get(p) {
            self.set_pos(moved, p);
        }
        removed
    }

    #[inline]
    pub fn get(&self, fd: i64) -> Option<&Fd> {
        let p = self.pos(fd)?;
        Some(&self.entries[p].1)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, fd: i64) -> Option<&mut Fd> {
        let p = self.pos(fd)?;
        Some(&mut self.entries[p].1)
    }

    /// Adds or replaces; returns whether the fd is in the table afterwards.
    pub(crate) fn add(&mut self, fd: i64, e: Fd) -> bool {
        if let Some(p) = self.pos(fd) {
            self.entries[p].1 = e;
            return true;
        }
        if self.entries.len() >= MAX_FD_TABLE_SIZE {
            return false;
        }
        self.entries.push((fd, e));
        self.set_pos(fd, self.entries.len() - 1);
        true
    }

    /// Removes the entry and hands it back.
    pub(crate) fn remove(&mut self, fd: i64) -> Option<Fd> {
        let p = self.pos(fd)?;
        Some(self.remove_at(p, fd))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every `(fd, entry)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &Fd)> + '_ {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&i64, &mut Fd)> + '_ {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keeps the entries `f` accepts (each is asked once).
    pub(crate) fn retain(&mut self, mut f: impl FnMut(&i64, &mut Fd) -> bool) {
        let mut i = 0;
        while i < self.entries.len() {
            let (fd, e) = &mut self.entries[i];
            let fd = *fd;
            if f(&fd, e) {
                i += 1;
            } else {
                // The last entry moves to `i`: asked next.
                self.remove_at(i, fd);
            }
        }
    }
}

/// Appends `n` in decimal (as `Display` writes it).
fn push_decimal(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends an IPv4 address in dotted decimal (as `Display` writes it).
fn push_ipv4(out: &mut Vec<u8>, ip: Ipv4Addr) {
    for (i, o) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        push_decimal(out, o.into());
    }
}

/// Appends `ip:port`.
fn push_ipv4_port(out: &mut Vec<u8>, ip: Ipv4Addr, port: u16) {
    push_ipv4(out, ip);
    out.push(b':');
    push_decimal(out, port.into());
}

#[cfg(test)]
mod tests {
    /// The table against a map doing the same operations: small, large
    /// and negative fds, replacements, removals, retains, the size bound.
    #[test]
    fn fd_table_matches_a_map() {
        use std::collections::BTreeMap;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..40 {
            let mut t = FdTable::default();
            let mut m: BTreeMap<i64, u32> = BTreeMap::new();
            // Every fourth round fills the table past its bound.
            let fill = round % 4 == 0;
            for _ in 0..if fill { 9000 } else { 3000 } {
                let r = next();
                let fd = match if fill { 2 } else { r % 7 } {
                    0 => -(((r >> 8) % 5) as i64) - 1,
                    1 => 4090 + ((r >> 8) % 12) as i64,
                    2 => ((r >> 8) % 100_000) as i64,
                    _ => ((r >> 8) % 40) as i64,
                };
                let tag = (r >> 32) as u32;
                let op = match (fill, r % 10) {
                    (true, 0) => 5,
                    (true, _) => 0,
                    _ => (r >> 20) % 10,
                };
                match op {
                    0..=4 => {
                        let mut e = Fd::new(1);
                        e.flags = tag;
                        let room = m.len() < MAX_FD_TABLE_SIZE || m.contains_key(&fd);
                        assert_eq!(t.add(fd, e), room);
                        if room {
                            m.insert(fd, tag);
                        }
                    }
                    5..=7 => {
                        t.remove(fd);
                        m.remove(&fd);
                    }
                    8 => {
                        let k = tag % 3;
                        t.retain(|&f, e| (f + e.flags as i64) % 3 != k as i64);
                        m.retain(|&f, v| (f + *v as i64) % 3 != k as i64);
                    }
                    _ => {
                        if let Some(e) = t.get_mut(fd) {
                            e.flags = tag;
                            m.insert(fd, tag);
                        }
                    }
                }
                assert_eq!(t.len(), m.len());
                assert_eq!(t.get(fd).map(|e| e.flags), m.get(&fd).copied());
            }
            let mut got: Vec<(i64, u32)> = t.iter().map(|(f, e)| (f, e.flags)).collect();
            got.sort();
            let want: Vec<(i64, u32)> = m.iter().map(|(&f, &v)| (f, v)).collect();
            assert_eq!(got, want);
            for (&f, &v) in &m {
                assert_eq!(t.get(f).map(|e| e.flags), Some(v));
            }
            for f in -6..4200 {
                assert_eq!(t.get(f).is_some(), m.contains_key(&f), "fd {f}");
            }
            if fill {
                assert_eq!(t.len(), MAX_FD_TABLE_SIZE);
            }
        }
    }

    use super::*;

    #[test]
    fn ipv4_text_as_display() {
        for (ip, port) in [
            (Ipv4Addr::new(0, 0, 0, 0), 0u16),
            (Ipv4Addr::new(10, 0, 2, 15), 9),
            (Ipv4Addr::new(192, 168, 100, 255), 65535),
            (Ipv4Addr::new(203, 0, 113, 9), 443),
            (Ipv4Addr::new(1, 22, 255, 7), 10),
        ] {
            let mut out = Vec::new();
            push_ipv4_port(&mut out, ip, port);
            assert_eq!(String::from_utf8(out).unwrap(), format!("{ip}:{port}"));
        }
        for n in [0u32, 1, 9, 10, 99, 100, 65535, u32::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn ntop_like_glibc() {
        let p = |s: &str| inet6_ntop(&s.parse().unwrap());
        assert_eq!(p("::"), "::");
        assert_eq!(p("::1"), "::1");
        assert_eq!(p("2001:db8::1"), "2001:db8::1");
        assert_eq!(p("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(p("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(p("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(p("fe80::1:2"), "fe80::1:2");
        assert_eq!(p("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");
        assert_eq!(p("2a00:1450:4001:81a::2004"), "2a00:1450:4001:81a::2004");
    }
}
