//! Event parameters as text, as libsinsp renders them
//! (`sinsp_evt::get_param_as_str`): the plain text and the "resolved" text
//! (`<f>/etc/passwd` for an fd, `ENOENT` for an errno, `O_RDONLY|O_CLOEXEC`
//! for flags, the user name for a uid...). `evt.arg.*` shows the resolved
//! text when there is one.

use falconer_catalog::{FieldType, PrintFormat};
use falconer_scap::state::{fd::inet6_ntop, Fd, State, Thread};
use falconer_scap::{Event, Param, ParamValue, SockAddr, SockTuple};

use super::tables::{ERRNO_NAMES, FLAG_TABLES, SIGNAL_NAMES};

/// The name of an errno (`-2` → `ENOENT`), empty when unknown.
pub fn errno_name(code: i64) -> &'static str {
    let c = code.checked_neg().unwrap_or(0);
    ERRNO_NAMES
        .binary_search_by_key(&(c as i32), |(v, _)| *v)
        .ok()
        .filter(|_| c >= i32::MIN as i64 && c <= i32::MAX as i64)
        .map_or("", |i| ERRNO_NAMES[i].1)
}

pub fn signal_name(sig: u8) -> Option<&'static str> {
    SIGNAL_NAMES
        .binary_search_by_key(&sig, |(v, _)| *v)
        .ok()
        .map(|i| SIGNAL_NAMES[i].1)
}

fn flag_table(name: &str) -> Option<&'static [(&'static str, u32)]> {
    FLAG_TABLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

/// The `|`-joined names of flag bits (`FLAGS*`), or the name of an enum
/// value (`ENUMFLAGS*`), as libsinsp resolves them.
pub fn flags_text(table: &str, val: u32, exact: bool) -> Vec<u8> {
    let Some(t) = flag_table(table) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let initial = val;
    let mut rest = val;
    for (name, v) in t {
        let matched = if exact {
            *v == initial
        } else if (*v == 0 && initial == 0) || (*v != 0 && (rest & v) == *v && rest != 0) {
            rest &= !v;
            true
        } else {
            false
        };
        if matched {
            if !out.is_empty() {
                out.push(b'|');
            }
            out.extend_from_slice(name.as_bytes());
            if !exact && *v == initial {
                break;
            }
        }
    }
    out
}

/// The mode names of a `MODE` value (`chmod_mode`...).
fn mode_text(table: &str, val: u32) -> Vec<u8> {
    let Some(t) = flag_table(table) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let initial = val;
    let mut rest = val;
    let mut i = 0;
    while i < t.len() && t[i].1 != initial {
        let (name, v) = t[i];
        if (v == 0 && initial == 0) || (v != 0 && (rest & v) == v && rest != 0) {
            if !out.is_empty() {
                out.push(b'|');
            }
            out.extend_from_slice(name.as_bytes());
            rest &= !v;
        }
        i += 1;
    }
    if i < t.len() {
        if !out.is_empty() {
            out.push(b'|');
        }
        out.extend_from_slice(t[i].0.as_bytes());
    }
    out
}

/// A number as libsinsp prints a parameter (`SET_NUMERIC_FORMAT`): octal
/// with a leading 0 (`%#o`), hexadecimal (`%X`), zero-padded (`%09d`) or
/// decimal, the decimal forms reading the value as signed of its width.
fn num(fmt: PrintFormat, bits: u32, raw: u64) -> Vec<u8> {
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let u = raw & mask;
    let signed = if bits >= 64 {
        u as i64
    } else {
        let shift = 64 - bits;
        ((u << shift) as i64) >> shift
    };
    match fmt {
        PrintFormat::Oct => {
            if u == 0 {
                b"0".to_vec()
            } else {
                format!("0{u:o}").into_bytes()
            }
        }
        PrintFormat::Hex => format!("{u:X}").into_bytes(),
        PrintFormat::PaddedDec10 => format!("{signed:09}").into_bytes(),
        _ => signed.to_string().into_bytes(),
    }
}

fn width(ty: FieldType) -> u32 {
    match ty {
        FieldType::Int8 | FieldType::Uint8 | FieldType::L4proto => 8,
        FieldType::Int16 | FieldType::Uint16 | FieldType::Port => 16,
        FieldType::Int32 | FieldType::Uint32 => 32,
        _ => 64,
    }
}

/// libsinsp `render_fd`: the number, resolved `<tc>name` for a known fd,
/// `AT_FDCWD`, or the errno name of a negative value.
fn render_fd(fd: i64, state: &State, thread: Option<&Thread>) -> (Vec<u8>, Vec<u8>) {
    let raw = fd.to_string().into_bytes();
    let Some(t) = thread else {
        return (raw, Vec::new());
    };
    if fd >= 0 {
        if let Some(f) = state.fd_of(t, fd) {
            return (raw, fd_resolved(f));
        }
        (raw, Vec::new())
    } else if fd == -100 {
        (raw, b"AT_FDCWD".to_vec())
    } else {
        (raw, errno_name(fd).as_bytes().to_vec())
    }
}

fn fd_resolved(f: &Fd) -> Vec<u8> {
    let mut out = vec![b'<', f.type_char()];
    if f.is_ip_socket() || f.is_ip_server_socket() {
        use falconer_scap::state::fd::l4;
        match f.l4proto_effective() {
            l4::TCP => out.push(b't'),
            l4::UDP => out.push(b'u'),
            l4::ICMP => out.push(b'i'),
            l4::RAW => out.push(b'r'),
            _ => {}
        }
    }
    out.push(b'>');
    out.extend_from_slice(&f.name);
    out
}

fn port(p: u16) -> String {
    p.to_string()
}

/// Text of a sockaddr value.
pub fn sockaddr_text(a: &SockAddr<'_>) -> Vec<u8> {
    match a {
        SockAddr::Inet { ip, port: p } => format!("{ip}:{}", port(*p)).into_bytes(),
        SockAddr::Inet6 { ip, port: p } => format!("{}:{}", inet6_ntop(ip), port(*p)).into_bytes(),
        SockAddr::Unix { path } => path.to_vec(),
        SockAddr::Other { family, .. } => format!("family {family}").into_bytes(),
    }
}

/// Text of a socktuple value.
pub fn socktuple_text(t: &SockTuple<'_>) -> Vec<u8> {
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
        } => match (
            falconer_scap::state::fd::ipv4_mapped(sip),
            falconer_scap::state::fd::ipv4_mapped(dip),
        ) {
            (Some(s), Some(d)) => format!("{s}:{sport}->{d}:{dport}").into_bytes(),
            _ => format!("{}:{sport}->{}:{dport}", inet6_ntop(sip), inet6_ntop(dip)).into_bytes(),
        },
        SockTuple::Unix { source, dest, path } => {
            let mut v = format!("{source:x}->{dest:x} ").into_bytes();
            v.extend_from_slice(path);
            v
        }
        SockTuple::Other { family, .. } => format!("family {family}").into_bytes(),
    }
}

/// A byte buffer as libsinsp prints it by default (`PF_NORMAL`):
/// printable ASCII kept, other bytes as `.`.
pub fn buffer_text(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c
            } else {
                b'.'
            }
        })
        .collect()
}

/// Renders one parameter: `(text, resolved text)`; the resolved text is
/// empty when libsinsp has none.
pub fn render_param(
    ev: &Event,
    p: &Param<'_>,
    state: &State,
    thread: Option<&Thread>,
    container: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let Some(info) = p.info else {
        return (buffer_text(p.raw), Vec::new());
    };
    let ty = info.ty;
    let fmt = info.print_format;
    if p.raw.is_empty() {
        let na = match ty {
            FieldType::Bytebuf
            | FieldType::Socktuple
            | FieldType::Fdlist
            | FieldType::Charbufarray
            | FieldType::CharbufPairArray
            | FieldType::Dynamic => b"NULL".to_vec(),
            _ => b"<NA>".to_vec(),
        };
        return (na, Vec::new());
    }
    let v = p.value();
    let none = Vec::new;
    match (ty, &v) {
        (_, ParamValue::Malformed(_)) => (b"(n.a.)".to_vec(), none()),
        (FieldType::Fd | FieldType::Fd32, ParamValue::Fd(fd)) => render_fd(*fd, state, thread),
        (FieldType::Pid | FieldType::Pid32, ParamValue::Pid(pid)) => {
            let res = state
                .thread(*pid)
                .map(|t| t.comm.clone())
                .unwrap_or_default();
            (pid.to_string().into_bytes(), res)
        }
        (FieldType::Errno, ParamValue::Errno(e)) => {
            let res = if *e < 0 {
                errno_name(*e).as_bytes().to_vec()
            } else {
                Vec::new()
            };
            (e.to_string().into_bytes(), res)
        }
        (
            FieldType::Int8 | FieldType::Int16 | FieldType::Int32 | FieldType::Int64,
            ParamValue::Int(i),
        ) => (num(fmt, width(ty), *i as u64), none()),
        (
            FieldType::Uint8
            | FieldType::Uint16
            | FieldType::Uint32
            | FieldType::Uint64
            | FieldType::Port
            | FieldType::L4proto,
            ParamValue::Uint(u),
        ) => (num(fmt, width(ty), *u), none()),
        (FieldType::Sockfamily, ParamValue::Uint(u)) => (u.to_string().into_bytes(), none()),
        (FieldType::Charbuf, _) => (v.as_bytes().unwrap_or_default().to_vec(), none()),
        (FieldType::Fspath | FieldType::Fsrelpath, _) => {
            let path = v.as_bytes().unwrap_or_default();
            let Some(t) = thread else {
                return (path.to_vec(), path.to_vec());
            };
            if path == b"<NA>" || path.is_empty() || path[0] == b'/' {
                return (path.to_vec(), Vec::new());
            }
            let base = base_dir(ev, p, state, t);
            (
                path.to_vec(),
                falconer_scap::state::path::concatenate_paths(&base, path),
            )
        }
        (FieldType::Bytebuf, _) => (buffer_text(p.raw), none()),
        (FieldType::Sockaddr, ParamValue::SockAddr(a)) => (sockaddr_text(a), none()),
        (FieldType::Socktuple, ParamValue::SockTuple(t)) => (socktuple_text(t), none()),
        (FieldType::Fdlist, ParamValue::FdList(list)) => {
            let Some(t) = thread else {
                return (Vec::new(), none());
            };
            let mut out = Vec::new();
            for (i, (fd, fl)) in list.iter().enumerate() {
                let tc = state.fd_of(t, *fd).map_or(b'?', |f| f.type_char());
                out.extend_from_slice(
                    format!(
                        "{}:{}{:x}",
                        *fd as u64, tc as char, *fl as i16 as i32 as u32
                    )
                    .as_bytes(),
                );
                if i + 1 < list.len() {
                    out.push(b' ');
                }
            }
            (out, none())
        }
        (FieldType::Syscallid, ParamValue::Uint(id)) => (
            id.to_string().into_bytes(),
            u16::try_from(*id)
                .ok()
                .and_then(falconer_scap::syscall_name)
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
        ),
        (FieldType::Sigtype, ParamValue::Uint(sig)) => (
            sig.to_string().into_bytes(),
            signal_name(*sig as u8)
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
        ),
        (FieldType::Reltime, ParamValue::RelTime(t)) => {
            if *t == u64::MAX {
                (b"none".to_vec(), none())
            } else {
                (
                    t.to_string().into_bytes(),
                    format!("{}s", fmt_g(*t as f64 / 1e9)).into_bytes(),
                )
            }
        }
        (
            FieldType::Flags8
            | FieldType::Flags16
            | FieldType::Flags32
            | FieldType::Enumflags8
            | FieldType::Enumflags16
            | FieldType::Enumflags32,
            ParamValue::Flags(f),
        ) => {
            let exact = matches!(
                ty,
                FieldType::Enumflags8 | FieldType::Enumflags16 | FieldType::Enumflags32
            );
            let res = info
                .info
                .map(|t| flags_text(t, *f, exact))
                .unwrap_or_default();
            (f.to_string().into_bytes(), res)
        }
        (FieldType::Mode, ParamValue::Mode(m)) => {
            let res = info.info.map(|t| mode_text(t, *m)).unwrap_or_default();
            (num(fmt, 32, *m as u64), res)
        }
        (FieldType::Abstime, ParamValue::AbsTime(t)) => (
            super::evt::datetime_text(*t, true, true).into_bytes(),
            none(),
        ),
        (FieldType::Uid, ParamValue::Uid(u)) => {
            if *u == u32::MAX {
                (b"-1".to_vec(), b"<NONE>".to_vec())
            } else {
                let name = state
                    .user(container, *u)
                    .map(|x| x.name.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| b"<NA>".to_vec());
                ((*u as i32).to_string().into_bytes(), name)
            }
        }
        (FieldType::Gid, ParamValue::Gid(g)) => {
            if *g == u32::MAX {
                (b"-1".to_vec(), b"<NONE>".to_vec())
            } else {
                let name = state
                    .group(container, *g)
                    .map(|x| x.name.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| b"<NA>".to_vec());
                ((*g as i32).to_string().into_bytes(), name)
            }
        }
        (FieldType::Charbufarray, ParamValue::StrArray(items)) => (items.join(&b'.'), none()),
        (FieldType::CharbufPairArray, ParamValue::StrPairArray(items)) => {
            let mut out = Vec::new();
            for (i, (k, v)) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(k);
                out.push(b':');
                out.extend_from_slice(v);
            }
            (out, none())
        }
        (FieldType::Sigset, ParamValue::Uint(set)) => {
            let mut names = Vec::new();
            for sig in 0..32u8 {
                if set & (1u64 << sig) != 0 {
                    if let Some(n) = signal_name(sig + 1) {
                        names.push(n);
                    }
                }
            }
            (names.join(" ").into_bytes(), none())
        }
        (FieldType::Bool, ParamValue::Bool(b)) => ((*b as u8).to_string().into_bytes(), none()),
        (FieldType::Double, ParamValue::Double(d)) => (d.to_string().into_bytes(), none()),
        (FieldType::Ipv4addr | FieldType::Ipaddr, ParamValue::Ipv4(ip)) => {
            (ip.to_string().into_bytes(), none())
        }
        (FieldType::Ipv6addr | FieldType::Ipaddr, ParamValue::Ipv6(ip)) => {
            (inet6_ntop(ip).into_bytes(), none())
        }
        (FieldType::Dynamic, ParamValue::Dynamic { data, .. }) => {
            // Without the per-parameter type table the value is shown by size.
            let t = match data.len() {
                1 => data[0].to_string(),
                2 => u16::from_le_bytes([data[0], data[1]]).to_string(),
                4 => u32::from_le_bytes([data[0], data[1], data[2], data[3]]).to_string(),
                8 => i64::from_le_bytes(data[..8].try_into().unwrap_or_default()).to_string(),
                _ => String::from_utf8_lossy(&buffer_text(data)).into_owned(),
            };
            (t.into_bytes(), none())
        }
        _ => (b"(n.a.)".to_vec(), none()),
    }
}

/// The directory a relative path parameter is relative to
/// (`get_base_dir`): the cwd, or the path of the `FSRELPATH`'s dirfd.
fn base_dir(ev: &Event, p: &Param<'_>, state: &State, t: &Thread) -> Vec<u8> {
    let cwd = state.cwd(t).to_vec();
    let Some(info) = p.info else { return cwd };
    if info.ty != FieldType::Fsrelpath {
        return cwd;
    }
    let Some(idx) = info.dirfd_param else {
        return cwd;
    };
    let Some(dp) = ev.param(idx as usize) else {
        return cwd;
    };
    if dp.ty() != Some(FieldType::Fd) {
        return cwd;
    }
    match dp.value() {
        ParamValue::Fd(-100) => cwd,
        // The dirfd's path as stored (libsinsp's `get_path_for_dir_fd`;
        // a capture has no /proc to ask for an unknown one).
        ParamValue::Fd(fd) => state
            .fd_of(t, fd)
            .map(|f| f.name.clone())
            .unwrap_or_default(),
        _ => cwd,
    }
}

/// `%lg`: shortest of `%e`/`%f` with 6 significant digits, no trailing
/// zeros.
fn fmt_g(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-5..6).contains(&exp) {
        let s = format!("{:.5e}", x);
        // Rust: 1.23450e-7 → C: 1.2345e-07
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (5 - exp).max(0) as usize;
    let s = format!("{:.*}", decimals, x);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_like_libsinsp() {
        assert_eq!(flags_text("file_flags", 1, false), b"O_RDONLY");
        assert_eq!(flags_text("file_flags", 3, false), b"O_RDWR");
        assert_eq!(
            flags_text("file_flags", 1 | (1 << 12), false),
            b"O_RDONLY|O_CLOEXEC"
        );
        assert_eq!(
            flags_text("file_flags", 2 | 4 | 256, false),
            b"O_TRUNC|O_CREAT|O_WRONLY"
        );
        assert_eq!(flags_text("file_flags", 0, false), b"O_NONE");
        assert_eq!(flags_text("socket_families", 2, true), b"AF_INET");
        assert_eq!(errno_name(-2), "ENOENT");
        assert_eq!(errno_name(-13), "EACCES");
        assert_eq!(errno_name(-99999), "");
        assert_eq!(fmt_g(0.0001234), "0.0001234");
        assert_eq!(fmt_g(1.5), "1.5");
        assert_eq!(fmt_g(0.000001), "1e-06");
    }
}
