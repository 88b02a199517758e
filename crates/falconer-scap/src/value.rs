//! Typed decoding of event parameter values.
//!
//! [`decode`] turns a parameter's raw bytes into a [`ParamValue`] according
//! to its [`FieldType`]; [`encode`] does the reverse (used by the writer
//! and by tests). A value whose size does not fit its type decodes as
//! [`ParamValue::Malformed`], never as an error: the event itself is fine.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use falconer_catalog::FieldType;

/// `PPM_AF_*` socket families found in sockaddr and socktuple values.
pub mod af {
    pub const UNSPEC: u8 = 0;
    pub const UNIX: u8 = 1;
    pub const INET: u8 = 2;
    pub const INET6: u8 = 10;
}

/// A decoded `SOCKADDR` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockAddr<'a> {
    /// `AF_INET`: the port is stored in host (little-endian) order.
    Inet {
        ip: Ipv4Addr,
        port: u16,
    },
    Inet6 {
        ip: Ipv6Addr,
        port: u16,
    },
    /// `AF_UNIX`: the path, up to the first NUL.
    Unix {
        path: &'a [u8],
    },
    /// Any other family: the bytes after the family byte.
    Other {
        family: u8,
        data: &'a [u8],
    },
}

/// A decoded `SOCKTUPLE` value (source → destination).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockTuple<'a> {
    Inet {
        sip: Ipv4Addr,
        sport: u16,
        dip: Ipv4Addr,
        dport: u16,
    },
    Inet6 {
        sip: Ipv6Addr,
        sport: u16,
        dip: Ipv6Addr,
        dport: u16,
    },
    /// `AF_UNIX`: the kernel addresses of the two socket ends and the path.
    Unix {
        source: u64,
        dest: u64,
        path: &'a [u8],
    },
    Other {
        family: u8,
        data: &'a [u8],
    },
}

/// A decoded parameter value. Borrowed from the event's bytes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ParamValue<'a> {
    /// A zero-length value: present but empty (libsinsp shows `<NA>` or
    /// `NULL`).
    Empty,
    /// `INT8`…`INT64`, `FD32`, `PID32` are reported as [`ParamValue::Fd`] /
    /// [`ParamValue::Pid`].
    Int(i64),
    /// `UINT8`…`UINT64`, `PORT`, `L4PROTO`, `SOCKFAMILY`, `SYSCALLID`,
    /// `SIGTYPE`, `SIGSET`.
    Uint(u64),
    Bool(bool),
    Double(f64),
    /// A return value: negative means `-errno`.
    Errno(i64),
    Fd(i64),
    Pid(i64),
    /// `FLAGS*` and `ENUMFLAGS*`: the raw bits.
    Flags(u32),
    Uid(u32),
    Gid(u32),
    Mode(u32),
    /// Nanoseconds (`RELTIME`).
    RelTime(u64),
    /// Nanoseconds since the epoch (`ABSTIME`).
    AbsTime(u64),
    /// `CHARBUF`, `FSPATH`, `FSRELPATH`: the bytes before the terminating
    /// NUL (not necessarily UTF-8).
    Str(&'a [u8]),
    /// `BYTEBUF`: raw bytes (for execve `args`, `env`, `cgroups`: a
    /// NUL-separated list, see [`ParamValue::nul_list`]).
    Bytes(&'a [u8]),
    /// `CHARBUFARRAY`: NUL-terminated strings.
    StrArray(Vec<&'a [u8]>),
    /// `CHARBUF_PAIR_ARRAY`: alternating NUL-terminated keys and values.
    StrPairArray(Vec<(&'a [u8], &'a [u8])>),
    SockAddr(SockAddr<'a>),
    SockTuple(SockTuple<'a>),
    /// `FDLIST`: `(fd, flags)` pairs (poll).
    FdList(Vec<(i64, u16)>),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// `DYNAMIC`: an index into the parameter's type table, then the value
    /// (decoded as an integer when it has an integer's size).
    Dynamic {
        index: u8,
        data: &'a [u8],
    },
    /// The bytes do not have the size or shape the type requires (an older
    /// layout, or corruption).
    Malformed(&'a [u8]),
}

fn le<const N: usize>(raw: &[u8]) -> Option<[u8; N]> {
    raw.try_into().ok()
}

fn until_nul(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

fn nul_terminated_list(raw: &[u8]) -> Vec<&[u8]> {
    if raw.is_empty() {
        return Vec::new();
    }
    let body = raw.strip_suffix(&[0]).unwrap_or(raw);
    body.split(|&c| c == 0).collect()
}

/// Decodes a parameter's raw bytes by type.
pub fn decode(ty: FieldType, raw: &[u8]) -> ParamValue<'_> {
    use FieldType as T;
    use ParamValue as V;
    if raw.is_empty() {
        return V::Empty;
    }
    let bad = V::Malformed(raw);
    macro_rules! fixed {
        ($t:ty, $f:expr) => {
            match le::<{ std::mem::size_of::<$t>() }>(raw) {
                Some(b) => $f(<$t>::from_le_bytes(b)),
                None => bad,
            }
        };
    }
    match ty {
        T::Int8 => fixed!(i8, |v| V::Int(v as i64)),
        T::Int16 => fixed!(i16, |v| V::Int(v as i64)),
        T::Int32 => fixed!(i32, |v| V::Int(v as i64)),
        T::Int64 => fixed!(i64, V::Int),
        T::Uint8 | T::L4proto | T::Sockfamily | T::Sigtype => fixed!(u8, |v| V::Uint(v as u64)),
        T::Uint16 | T::Port | T::Syscallid => fixed!(u16, |v| V::Uint(v as u64)),
        T::Uint32 | T::Sigset => fixed!(u32, |v| V::Uint(v as u64)),
        T::Uint64 => fixed!(u64, V::Uint),
        T::Bool => match raw.len() {
            1 => V::Bool(raw[0] != 0),
            4 => fixed!(u32, |v| V::Bool(v != 0)),
            _ => bad,
        },
        T::Double => fixed!(f64, V::Double),
        T::Errno => fixed!(i64, V::Errno),
        T::Fd => fixed!(i64, V::Fd),
        T::Pid => fixed!(i64, V::Pid),
        T::Fd32 => fixed!(i32, |v| V::Fd(v as i64)),
        T::Pid32 => fixed!(i32, |v| V::Pid(v as i64)),
        T::Flags8 | T::Enumflags8 => fixed!(u8, |v| V::Flags(v as u32)),
        T::Flags16 | T::Enumflags16 => fixed!(u16, |v| V::Flags(v as u32)),
        T::Flags32 | T::Enumflags32 => fixed!(u32, V::Flags),
        T::Uid => fixed!(u32, V::Uid),
        T::Gid => fixed!(u32, V::Gid),
        T::Mode => fixed!(u32, V::Mode),
        T::Reltime => fixed!(u64, V::RelTime),
        T::Abstime => fixed!(u64, V::AbsTime),
        T::Charbuf | T::Fspath | T::Fsrelpath => V::Str(until_nul(raw)),
        T::Bytebuf => V::Bytes(raw),
        T::Charbufarray => V::StrArray(nul_terminated_list(raw)),
        T::CharbufPairArray => {
            let items = nul_terminated_list(raw);
            if !items.len().is_multiple_of(2) {
                return bad;
            }
            V::StrPairArray(items.chunks(2).map(|p| (p[0], p[1])).collect())
        }
        T::Sockaddr => decode_sockaddr(raw).map(V::SockAddr).unwrap_or(bad),
        T::Socktuple => decode_socktuple(raw).map(V::SockTuple).unwrap_or(bad),
        T::Fdlist => decode_fdlist(raw).map(V::FdList).unwrap_or(bad),
        T::Ipv4addr => le::<4>(raw)
            .map(|b| V::Ipv4(Ipv4Addr::from(b)))
            .unwrap_or(bad),
        T::Ipv6addr => le::<16>(raw)
            .map(|b| V::Ipv6(Ipv6Addr::from(b)))
            .unwrap_or(bad),
        T::Ipaddr => match raw.len() {
            4 => V::Ipv4(Ipv4Addr::from(le::<4>(raw).unwrap_or_default())),
            16 => V::Ipv6(Ipv6Addr::from(le::<16>(raw).unwrap_or_default())),
            _ => bad,
        },
        T::Dynamic => V::Dynamic {
            index: raw[0],
            data: &raw[1..],
        },
        // Network types only used by filter fields, never stored in events.
        T::Ipv4net | T::Ipv6net | T::Ipnet => V::Bytes(raw),
    }
}

/// `decode(ty, raw).as_i64()` without building the value: the integer
/// of an integer-like type of the right size, else `None` (state parsers
/// read most parameters this way, once per event).
#[inline]
pub fn decode_i64(ty: FieldType, raw: &[u8]) -> Option<i64> {
    use FieldType as T;
    macro_rules! fixed {
        ($t:ty) => {
            le::<{ std::mem::size_of::<$t>() }>(raw).map(|b| <$t>::from_le_bytes(b) as i64)
        };
    }
    match ty {
        T::Int8 => fixed!(i8),
        T::Int16 => fixed!(i16),
        T::Int32 | T::Fd32 | T::Pid32 => fixed!(i32),
        T::Int64 | T::Errno | T::Fd | T::Pid => fixed!(i64),
        T::Uint8 | T::L4proto | T::Sockfamily | T::Sigtype | T::Flags8 | T::Enumflags8 => {
            fixed!(u8)
        }
        T::Uint16 | T::Port | T::Syscallid | T::Flags16 | T::Enumflags16 => fixed!(u16),
        T::Uint32 | T::Sigset | T::Flags32 | T::Enumflags32 | T::Uid | T::Gid | T::Mode => {
            fixed!(u32)
        }
        T::Uint64 | T::Reltime | T::Abstime => fixed!(u64),
        T::Bool => match raw.len() {
            1 => Some((raw[0] != 0) as i64),
            4 => fixed!(u32).map(|v| (v != 0) as i64),
            _ => None,
        },
        _ => None,
    }
}

/// `decode(ty, raw).as_bytes()` without building the value: the text of
/// a string type (up to its NUL), the bytes of a byte-buffer type, else
/// `None` (also for an empty value).
#[inline]
pub fn decode_bytes(ty: FieldType, raw: &[u8]) -> Option<&[u8]> {
    use FieldType as T;
    if raw.is_empty() {
        return None;
    }
    match ty {
        T::Charbuf | T::Fspath | T::Fsrelpath => Some(until_nul(raw)),
        T::Bytebuf | T::Ipv4net | T::Ipv6net | T::Ipnet => Some(raw),
        _ => None,
    }
}

fn decode_sockaddr(raw: &[u8]) -> Option<SockAddr<'_>> {
    let (&family, rest) = raw.split_first()?;
    Some(match family {
        af::INET => SockAddr::Inet {
            ip: Ipv4Addr::from(le::<4>(rest.get(0..4)?)?),
            port: u16::from_le_bytes(le(rest.get(4..6)?)?),
        },
        af::INET6 => SockAddr::Inet6 {
            ip: Ipv6Addr::from(le::<16>(rest.get(0..16)?)?),
            port: u16::from_le_bytes(le(rest.get(16..18)?)?),
        },
        af::UNIX => SockAddr::Unix {
            path: until_nul(rest),
        },
        _ => SockAddr::Other { family, data: rest },
    })
}

fn decode_socktuple(raw: &[u8]) -> Option<SockTuple<'_>> {
    let (&family, rest) = raw.split_first()?;
    Some(match family {
        af::INET => SockTuple::Inet {
            sip: Ipv4Addr::from(le::<4>(rest.get(0..4)?)?),
            sport: u16::from_le_bytes(le(rest.get(4..6)?)?),
            dip: Ipv4Addr::from(le::<4>(rest.get(6..10)?)?),
            dport: u16::from_le_bytes(le(rest.get(10..12)?)?),
        },
        af::INET6 => SockTuple::Inet6 {
            sip: Ipv6Addr::from(le::<16>(rest.get(0..16)?)?),
            sport: u16::from_le_bytes(le(rest.get(16..18)?)?),
            dip: Ipv6Addr::from(le::<16>(rest.get(18..34)?)?),
            dport: u16::from_le_bytes(le(rest.get(34..36)?)?),
        },
        af::UNIX => SockTuple::Unix {
            source: u64::from_le_bytes(le(rest.get(0..8)?)?),
            dest: u64::from_le_bytes(le(rest.get(8..16)?)?),
            path: until_nul(rest.get(16..)?),
        },
        _ => SockTuple::Other { family, data: rest },
    })
}

fn decode_fdlist(raw: &[u8]) -> Option<Vec<(i64, u16)>> {
    let n = u16::from_le_bytes(le(raw.get(0..2)?)?) as usize;
    let body = raw.get(2..2 + n * 10)?;
    Some(
        body.chunks_exact(10)
            .map(|e| {
                let fd = i64::from_le_bytes(le(&e[0..8]).unwrap_or_default());
                let fl = u16::from_le_bytes(le(&e[8..10]).unwrap_or_default());
                (fd, fl)
            })
            .collect(),
    )
}

impl<'a> ParamValue<'a> {
    /// The value as a signed integer, for the integer-like variants.
    pub fn as_i64(&self) -> Option<i64> {
        use ParamValue as V;
        Some(match *self {
            V::Int(v) | V::Errno(v) | V::Fd(v) | V::Pid(v) => v,
            V::Uint(v) | V::RelTime(v) | V::AbsTime(v) => v as i64,
            V::Flags(v) | V::Uid(v) | V::Gid(v) | V::Mode(v) => v as i64,
            V::Bool(b) => b as i64,
            _ => return None,
        })
    }

    /// The value as an unsigned integer, for the integer-like variants
    /// (negative values wrap, as libsinsp's unsigned reads do).
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().map(|v| v as u64)
    }

    /// The bytes of a string or byte-buffer value.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            ParamValue::Str(b) | ParamValue::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// A string value as text (invalid UTF-8 replaced).
    pub fn as_str_lossy(&self) -> Option<std::borrow::Cow<'a, str>> {
        self.as_bytes().map(String::from_utf8_lossy)
    }

    /// A byte buffer split on NUL, without the empty piece after a final
    /// NUL: execve `args`/`env`/`cgroups`.
    pub fn nul_list(&self) -> Option<Vec<&'a [u8]>> {
        match *self {
            ParamValue::Bytes(b) | ParamValue::Str(b) => Some(nul_terminated_list(b)),
            ParamValue::StrArray(ref v) => Some(v.clone()),
            ParamValue::Empty => Some(Vec::new()),
            _ => None,
        }
    }

    /// A JSON rendering: numbers for integers, strings for text, socket
    /// addresses and IPs, arrays for lists, `null` for empty values.
    /// `list_hint` renders a byte buffer as an array of strings (for the
    /// NUL-separated execve `args`, `env`, `cgroups`).
    pub fn to_json(&self, list_hint: bool) -> serde_json::Value {
        use serde_json::Value as J;
        use ParamValue as V;
        let s = |b: &[u8]| J::String(escape_bytes(b));
        match self {
            V::Empty => J::Null,
            V::Int(v) | V::Errno(v) | V::Fd(v) | V::Pid(v) => J::from(*v),
            V::Uint(v) | V::RelTime(v) | V::AbsTime(v) => J::from(*v),
            V::Flags(v) | V::Uid(v) | V::Gid(v) | V::Mode(v) => J::from(*v),
            V::Bool(b) => J::Bool(*b),
            V::Double(d) => serde_json::Number::from_f64(*d)
                .map(J::Number)
                .unwrap_or_else(|| J::String(d.to_string())),
            V::Str(b) => s(b),
            V::Bytes(b) if list_hint => {
                J::Array(nul_terminated_list(b).into_iter().map(s).collect())
            }
            V::Bytes(b) => s(b),
            V::StrArray(v) => J::Array(v.iter().map(|b| s(b)).collect()),
            V::StrPairArray(v) => J::Array(
                v.iter()
                    .map(|(k, val)| J::Array(vec![s(k), s(val)]))
                    .collect(),
            ),
            V::FdList(v) => J::Array(
                v.iter()
                    .map(|(fd, fl)| serde_json::json!({"fd": fd, "flags": fl}))
                    .collect(),
            ),
            V::Dynamic { index, data } => {
                let value = match data.len() {
                    1 => J::from(data[0]),
                    2 => J::from(u16::from_le_bytes([data[0], data[1]])),
                    4 => J::from(u32::from_le_bytes(le(data).unwrap_or_default())),
                    8 => J::from(i64::from_le_bytes(le(data).unwrap_or_default())),
                    _ => s(data),
                };
                serde_json::json!({"index": index, "value": value})
            }
            V::Malformed(b) => serde_json::json!({"malformed": hex(b)}),
            other => J::String(other.to_string()),
        }
    }
}

/// Lowercase hex of bytes.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// Text for display: valid UTF-8 as is, each invalid byte as `\xNN`.
pub fn escape_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        for x in chunk.invalid() {
            out.push_str(&format!("\\x{x:02x}"));
        }
    }
    out
}

fn fmt_v6(ip: &Ipv6Addr) -> String {
    ip.to_string()
}

impl fmt::Display for SockAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::Inet { ip, port } => write!(f, "{ip}:{port}"),
            SockAddr::Inet6 { ip, port } => write!(f, "{}:{port}", fmt_v6(ip)),
            SockAddr::Unix { path } => f.write_str(&escape_bytes(path)),
            SockAddr::Other { family, .. } => write!(f, "family {family}"),
        }
    }
}

impl fmt::Display for SockTuple<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockTuple::Inet {
                sip,
                sport,
                dip,
                dport,
            } => write!(f, "{sip}:{sport}->{dip}:{dport}"),
            SockTuple::Inet6 {
                sip,
                sport,
                dip,
                dport,
            } => match (sip.to_ipv4_mapped(), dip.to_ipv4_mapped()) {
                // libsinsp shows a tuple of two IPv4-mapped addresses as IPv4.
                (Some(s), Some(d)) => write!(f, "{s}:{sport}->{d}:{dport}"),
                _ => write!(f, "{}:{sport}->{}:{dport}", fmt_v6(sip), fmt_v6(dip)),
            },
            SockTuple::Unix { source, dest, path } => {
                write!(f, "{source:x}->{dest:x} {}", escape_bytes(path))
            }
            SockTuple::Other { family, .. } => write!(f, "family {family}"),
        }
    }
}

impl fmt::Display for ParamValue<'_> {
    /// A compact rendering close to libsinsp's raw parameter text
    /// (`evt.rawarg`): numbers in decimal, strings as text, addresses as
    /// `ip:port`, `NULL` for an empty value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParamValue as V;
        let join = |v: &[&[u8]], sep: &str| {
            v.iter()
                .map(|b| escape_bytes(b))
                .collect::<Vec<_>>()
                .join(sep)
        };
        match self {
            V::Empty => f.write_str("NULL"),
            V::Int(v) | V::Errno(v) | V::Fd(v) | V::Pid(v) => write!(f, "{v}"),
            V::Uint(v) | V::RelTime(v) | V::AbsTime(v) => write!(f, "{v}"),
            V::Flags(v) | V::Uid(v) | V::Gid(v) => write!(f, "{v}"),
            V::Mode(v) => write!(f, "0{v:o}"),
            V::Bool(b) => write!(f, "{b}"),
            V::Double(d) => write!(f, "{d}"),
            V::Str(b) | V::Bytes(b) => f.write_str(&escape_bytes(b)),
            V::StrArray(v) => f.write_str(&join(v, ", ")),
            V::StrPairArray(v) => {
                let parts: Vec<String> = v
                    .iter()
                    .map(|(k, val)| format!("{}={}", escape_bytes(k), escape_bytes(val)))
                    .collect();
                f.write_str(&parts.join(", "))
            }
            V::SockAddr(a) => write!(f, "{a}"),
            V::SockTuple(t) => write!(f, "{t}"),
            V::FdList(v) => {
                let parts: Vec<String> = v.iter().map(|(fd, fl)| format!("{fd}:{fl:x}")).collect();
                f.write_str(&parts.join(" "))
            }
            V::Ipv4(ip) => write!(f, "{ip}"),
            V::Ipv6(ip) => write!(f, "{ip}"),
            V::Dynamic { index, data } => write!(f, "[{index}]{}", hex(data)),
            V::Malformed(b) => write!(f, "<malformed {}>", hex(b)),
        }
    }
}

/// Encodes a value as the raw bytes of a parameter of type `ty`, or `None`
/// when the value does not fit the type (wrong variant, integer out of
/// range). `decode(ty, &encode(ty, v)?)` gives `v` back for the values
/// `decode` produces (strings gain their terminating NUL).
pub fn encode(ty: FieldType, v: &ParamValue<'_>) -> Option<Vec<u8>> {
    use FieldType as T;
    use ParamValue as V;
    if let V::Empty = v {
        return Some(Vec::new());
    }
    if let V::Malformed(b) = v {
        return Some(b.to_vec());
    }
    let int = v.as_i64();
    let out = match ty {
        T::Int8 => i8::try_from(int?).ok()?.to_le_bytes().to_vec(),
        T::Int16 => i16::try_from(int?).ok()?.to_le_bytes().to_vec(),
        T::Int32 => i32::try_from(int?).ok()?.to_le_bytes().to_vec(),
        T::Int64 | T::Errno | T::Fd | T::Pid => int?.to_le_bytes().to_vec(),
        T::Fd32 | T::Pid32 => i32::try_from(int?).ok()?.to_le_bytes().to_vec(),
        T::Uint8 | T::L4proto | T::Sockfamily | T::Sigtype | T::Flags8 | T::Enumflags8 => {
            vec![u8::try_from(int?).ok()?]
        }
        T::Uint16 | T::Port | T::Syscallid | T::Flags16 | T::Enumflags16 => {
            u16::try_from(int?).ok()?.to_le_bytes().to_vec()
        }
        T::Uint32 | T::Sigset | T::Flags32 | T::Enumflags32 | T::Uid | T::Gid | T::Mode => {
            u32::try_from(v.as_u64()?).ok()?.to_le_bytes().to_vec()
        }
        T::Uint64 | T::Reltime | T::Abstime => v.as_u64()?.to_le_bytes().to_vec(),
        T::Bool => u32::from(int? != 0).to_le_bytes().to_vec(),
        T::Double => match v {
            V::Double(d) => d.to_le_bytes().to_vec(),
            _ => (int? as f64).to_le_bytes().to_vec(),
        },
        T::Charbuf | T::Fspath | T::Fsrelpath => {
            let mut b = v.as_bytes()?.to_vec();
            b.push(0);
            b
        }
        T::Bytebuf | T::Ipv4net | T::Ipv6net | T::Ipnet => v.as_bytes()?.to_vec(),
        T::Charbufarray => {
            let V::StrArray(items) = v else { return None };
            let mut b = Vec::new();
            for i in items {
                b.extend_from_slice(i);
                b.push(0);
            }
            b
        }
        T::CharbufPairArray => {
            let V::StrPairArray(items) = v else {
                return None;
            };
            let mut b = Vec::new();
            for (k, val) in items {
                b.extend_from_slice(k);
                b.push(0);
                b.extend_from_slice(val);
                b.push(0);
            }
            b
        }
        T::Sockaddr => {
            let V::SockAddr(a) = v else { return None };
            encode_sockaddr(a)
        }
        T::Socktuple => {
            let V::SockTuple(t) = v else { return None };
            encode_socktuple(t)
        }
        T::Fdlist => {
            let V::FdList(items) = v else { return None };
            let mut b = u16::try_from(items.len()).ok()?.to_le_bytes().to_vec();
            for (fd, fl) in items {
                b.extend_from_slice(&fd.to_le_bytes());
                b.extend_from_slice(&fl.to_le_bytes());
            }
            b
        }
        T::Ipv4addr => match v {
            V::Ipv4(ip) => ip.octets().to_vec(),
            _ => return None,
        },
        T::Ipv6addr => match v {
            V::Ipv6(ip) => ip.octets().to_vec(),
            _ => return None,
        },
        T::Ipaddr => match v {
            V::Ipv4(ip) => ip.octets().to_vec(),
            V::Ipv6(ip) => ip.octets().to_vec(),
            _ => return None,
        },
        T::Dynamic => {
            let V::Dynamic { index, data } = v else {
                return None;
            };
            let mut b = vec![*index];
            b.extend_from_slice(data);
            b
        }
    };
    Some(out)
}

fn encode_sockaddr(a: &SockAddr<'_>) -> Vec<u8> {
    let mut b = Vec::new();
    match a {
        SockAddr::Inet { ip, port } => {
            b.push(af::INET);
            b.extend_from_slice(&ip.octets());
            b.extend_from_slice(&port.to_le_bytes());
        }
        SockAddr::Inet6 { ip, port } => {
            b.push(af::INET6);
            b.extend_from_slice(&ip.octets());
            b.extend_from_slice(&port.to_le_bytes());
        }
        SockAddr::Unix { path } => {
            b.push(af::UNIX);
            b.extend_from_slice(path);
            b.push(0);
        }
        SockAddr::Other { family, data } => {
            b.push(*family);
            b.extend_from_slice(data);
        }
    }
    b
}

fn encode_socktuple(t: &SockTuple<'_>) -> Vec<u8> {
    let mut b = Vec::new();
    match t {
        SockTuple::Inet {
            sip,
            sport,
            dip,
            dport,
        } => {
            b.push(af::INET);
            b.extend_from_slice(&sip.octets());
            b.extend_from_slice(&sport.to_le_bytes());
            b.extend_from_slice(&dip.octets());
            b.extend_from_slice(&dport.to_le_bytes());
        }
        SockTuple::Inet6 {
            sip,
            sport,
            dip,
            dport,
        } => {
            b.push(af::INET6);
            b.extend_from_slice(&sip.octets());
            b.extend_from_slice(&sport.to_le_bytes());
            b.extend_from_slice(&dip.octets());
            b.extend_from_slice(&dport.to_le_bytes());
        }
        SockTuple::Unix { source, dest, path } => {
            b.push(af::UNIX);
            b.extend_from_slice(&source.to_le_bytes());
            b.extend_from_slice(&dest.to_le_bytes());
            b.extend_from_slice(path);
            b.push(0);
        }
        SockTuple::Other { family, data } => {
            b.push(*family);
            b.extend_from_slice(data);
        }
    }
    b
}
