//! `fd.*`, `fs.path.*`, `fdlist.*` (libsinsp's fd, fs.path and fdlist
//! classes, current libs).

use std::net::IpAddr;

use falconer_catalog::{EventFlags, Resolved, ResolvedArg};
use falconer_scap::state::{fd::l4, Fd, Sock, State, Thread};
use falconer_scap::{Event, ParamValue};

use super::render::render_param;
use super::{
    s, single, unsupported, with_multi, Compiled, EventCtx, Multi, ParsedValue, Unsupported,
};

fn fd_event(ev: &Event) -> bool {
    ev.info().is_some_and(|i| {
        let f = i.flags;
        f.contains(EventFlags::CREATES_FD)
            || f.contains(EventFlags::USES_FD)
            || f.contains(EventFlags::DESTROYS_FD)
    })
}

/// `extract_fd`: the event must create, use or destroy fds and have a
/// thread; the fd entry may still be missing.
fn fd_ctx<'a>(c: &EventCtx<'a>) -> Option<(&'a Thread, Option<&'a Fd>)> {
    if !fd_event(c.event) {
        return None;
    }
    let t = c.thread()?;
    Some((t, c.fd().map(|(_, f)| f)))
}

/// The name of the fd an exit event tried to create (`fd.name` when the
/// fd has no entry: the call failed, or the fd is unknown).
fn fdname_from_event(c: &EventCtx<'_>, raw: bool) -> Option<Vec<u8>> {
    let ev = c.event;
    if ev.direction() == falconer_catalog::Direction::Enter {
        return None;
    }
    let name = ev.name();
    let render1 = || {
        let p = ev.param(1)?;
        let (r, res) = render_param(ev, &p, c.state, c.thread(), c.container_id());
        Some(if res.is_empty() { r } else { res })
    };
    match name {
        "open" | "creat" | "accept" | "accept4" | "connect" => Some(render1().unwrap_or_default()),
        "openat" | "openat2" => {
            let enter = c.state.event_enter();
            let pick = |n: &str| {
                ev.value(n)
                    .filter(|v| !matches!(v, ParamValue::Empty))
                    .or_else(|| enter.and_then(|e| e.value(n)))
            };
            let nm = pick("name")?.as_bytes()?.to_vec();
            if raw {
                return Some(nm);
            }
            let dirfd = pick("dirfd")?.as_i64()?;
            let t = c.thread()?;
            let sdir = dirfd_base(c.state, t, &nm, dirfd);
            Some(falconer_scap::state::path::concatenate_paths(&sdir, &nm))
        }
        "open_by_handle_at" => Some(ev.value("path")?.as_bytes()?.to_vec()),
        _ => Some(Vec::new()),
    }
}

fn dirfd_base(st: &State, t: &Thread, name: &[u8], dirfd: i64) -> Vec<u8> {
    if name.first() == Some(&b'/') {
        return b".".to_vec();
    }
    if dirfd == -100 {
        return st.cwd(t).to_vec();
    }
    match st.fd_of(t, dirfd) {
        None => b"<UNKNOWN>".to_vec(),
        Some(f) => {
            let mut n = f.name.clone();
            if !n.is_empty() && n.last() != Some(&b'/') {
                n.push(b'/');
            }
            n
        }
    }
}

fn typechar_from_event(ev: &Event) -> u8 {
    match ev.name() {
        "open" | "openat" | "openat2" | "creat" => b'f',
        "socket" | "accept" | "accept4" => b'4',
        "pipe" | "pipe2" => b'p',
        "eventfd" | "eventfd2" => b'e',
        "signalfd" | "signalfd4" => b's',
        "timerfd_create" => b't',
        "inotify_init" | "inotify_init1" => b'i',
        _ => b'o',
    }
}

fn dir_of(name: &[u8]) -> Vec<u8> {
    match name.iter().rposition(|&b| b == b'/') {
        Some(p) if p != 0 => {
            if p < name.len() - 1 {
                name[..p].to_vec()
            } else {
                name.to_vec()
            }
        }
        _ => b"/".to_vec(),
    }
}

fn file_of(name: &[u8]) -> Vec<u8> {
    match name.iter().rposition(|&b| b == b'/') {
        Some(p) => {
            if p < name.len() - 1 {
                name[p + 1..].to_vec()
            } else {
                name.to_vec()
            }
        }
        None => b"/".to_vec(),
    }
}

fn ip(a: impl Into<IpAddr>) -> ParsedValue {
    ParsedValue::Ip(a.into())
}

/// Client and server addresses/ports of a connected socket.
fn endpoints(f: &Fd) -> Option<(IpAddr, u16, IpAddr, u16)> {
    match f.sock {
        Sock::V4 {
            sip,
            sport,
            dip,
            dport,
        } if f.fd_type == falconer_scap::fd_types::IPV4_SOCK => {
            Some((sip.into(), sport, dip.into(), dport))
        }
        Sock::V6 {
            sip,
            sport,
            dip,
            dport,
        } if f.fd_type == falconer_scap::fd_types::IPV6_SOCK => {
            Some((sip.into(), sport, dip.into(), dport))
        }
        // A socket without addresses yet: libsinsp's zeroed tuple.
        _ if f.fd_type == falconer_scap::fd_types::IPV4_SOCK => Some((
            std::net::Ipv4Addr::UNSPECIFIED.into(),
            0,
            std::net::Ipv4Addr::UNSPECIFIED.into(),
            0,
        )),
        _ if f.fd_type == falconer_scap::fd_types::IPV6_SOCK => Some((
            std::net::Ipv6Addr::UNSPECIFIED.into(),
            0,
            std::net::Ipv6Addr::UNSPECIFIED.into(),
            0,
        )),
        _ => None,
    }
}

fn server(f: &Fd) -> Option<(IpAddr, u16)> {
    match f.sock {
        Sock::V4Server { ip, port } if f.fd_type == falconer_scap::fd_types::IPV4_SERVSOCK => {
            Some((ip.into(), port))
        }
        Sock::V6Server { ip, port } if f.fd_type == falconer_scap::fd_types::IPV6_SERVSOCK => {
            Some((ip.into(), port))
        }
        _ => None,
    }
}

/// Whether the client address is one of the machine's (`lip`/`rip`...).
fn client_is_local(st: &State, t: &Thread, a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => st.is_local_ipv4(t, v),
        IpAddr::V6(v) => st.is_local_ipv6(t, v),
    }
}

fn l4_name(p: u8) -> &'static str {
    match p {
        l4::TCP => "tcp",
        l4::UDP => "udp",
        l4::ICMP => "icmp",
        l4::RAW => "raw",
        _ => "<NA>",
    }
}

type FdFn = fn(&EventCtx<'_>, &Thread, &Fd, &mut Vec<ParsedValue>);

/// A field that needs the fd entry.
fn with_fd(f: FdFn) -> Compiled {
    single(move |c, o| {
        if let Some((t, Some(fd))) = fd_ctx(c) {
            f(c, t, fd, o)
        }
    })
}

fn local_remote(which: &'static str) -> Compiled {
    single(move |c, o| {
        let Some((t, Some(f))) = fd_ctx(c) else {
            return;
        };
        if f.is_role_none() {
            return;
        }
        let Some((cip, cport, sip, sport)) = endpoints(f) else {
            return;
        };
        let local = client_is_local(c.state, t, cip);
        // `local` means the client end is this machine.
        let (lip, lport, rip, rport) = if local {
            (cip, cport, sip, sport)
        } else {
            (sip, sport, cip, cport)
        };
        match which {
            "fd.lip" | "fd.lnet" => o.push(ip(lip)),
            "fd.rip" | "fd.rnet" => o.push(ip(rip)),
            "fd.lport" => o.push(ParsedValue::Uint(lport as u64)),
            "fd.rport" => o.push(ParsedValue::Uint(rport as u64)),
            "fd.lproto" => o.push(s(lport.to_string())),
            "fd.rproto" => o.push(s(rport.to_string())),
            _ => {}
        }
    })
}

pub(super) fn compile(r: &Resolved) -> Result<Compiled, Unsupported> {
    let name = r.field.name;
    Ok(match name {
        "fd.num" => single(|c, o| {
            if fd_ctx(c).is_some() {
                if let Some(n) = c.state.event_fd_num() {
                    o.push(ParsedValue::Int(n));
                }
            }
        }),
        "fd.name" | "fd.containername" => {
            let cont = name == "fd.containername";
            single(move |c, o| {
                let Some((t, f)) = fd_ctx(c) else { return };
                let n = match f {
                    Some(f) => f.name.clone(),
                    None => match fdname_from_event(c, false) {
                        Some(n) => n,
                        None => return,
                    },
                };
                if cont {
                    let mut v = t.container_id.clone();
                    v.push(b':');
                    v.extend_from_slice(&n);
                    o.push(s(v));
                } else {
                    o.push(s(n));
                }
            })
        }
        "fd.nameraw" => single(|c, o| {
            let Some((_, f)) = fd_ctx(c) else { return };
            let mut n = match f {
                Some(f) => f.name_raw.clone(),
                None => match fdname_from_event(c, true) {
                    Some(n) => n,
                    None => return,
                },
            };
            n.dedup_by(|a, b| *a == b'/' && *b == b'/');
            o.push(s(n));
        }),
        "fd.type" => with_fd(|_, _, f, o| o.push(s(f.type_str().unwrap_or("<NA>")))),
        "fd.types" => match r.arg {
            ResolvedArg::Index(n) => single(move |c, o| {
                let Some((t, _)) = fd_ctx(c) else { return };
                if let Some(f) = c.state.fd_of(t, n) {
                    o.push(s(f.type_str().unwrap_or("<NA>")));
                }
            }),
            _ => with_multi(Multi::List, |c, o| {
                let Some((t, _)) = fd_ctx(c) else { return };
                let Some(table) = c.state.fd_table(t) else {
                    return;
                };
                let mut seen: Vec<&'static str> = Vec::new();
                for (_, f) in table.iter() {
                    let ty = f.type_str().unwrap_or("<NA>");
                    if !seen.contains(&ty) {
                        seen.push(ty);
                        o.push(s(ty));
                    }
                }
            }),
        },
        "fd.directory" | "fd.containerdirectory" => {
            let cont = name == "fd.containerdirectory";
            single(move |c, o| {
                let Some((t, f)) = fd_ctx(c) else { return };
                let n = match f {
                    None => match fdname_from_event(c, false) {
                        Some(n) => dir_of(&n),
                        None => return,
                    },
                    Some(f) if f.is_file() => dir_of(&f.name),
                    Some(f) if f.is_directory() => f.name.clone(),
                    Some(_) => return,
                };
                if cont {
                    let mut v = t.container_id.clone();
                    v.push(b':');
                    v.extend_from_slice(&n);
                    o.push(s(v));
                } else {
                    o.push(s(n));
                }
            })
        }
        "fd.filename" => with_fd(|_, _, f, o| {
            if f.is_file() {
                o.push(s(file_of(&f.name)));
            }
        }),
        "fd.typechar" => single(|c, o| {
            let Some((_, f)) = fd_ctx(c) else { return };
            let ch = match f {
                Some(f) => f.type_char(),
                None => typechar_from_event(c.event),
            };
            o.push(s(vec![ch]));
        }),
        "fd.cip" | "fd.cnet" => with_fd(|_, _, f, o| {
            if f.is_role_none() {
                return;
            }
            if let Some((cip, ..)) = endpoints(f) {
                o.push(ip(cip));
            }
        }),
        "fd.sip" | "fd.snet" => with_fd(|_, _, f, o| {
            if f.is_role_none() {
                return;
            }
            if let Some((_, _, sip, _)) = endpoints(f) {
                o.push(ip(sip));
            } else if let Some((a, _)) = server(f) {
                o.push(ip(a));
            }
        }),
        "fd.lip" | "fd.rip" | "fd.lnet" | "fd.rnet" | "fd.lport" | "fd.rport" | "fd.lproto"
        | "fd.rproto" => local_remote(name),
        "fd.cport" => with_fd(|_, _, f, o| {
            if f.is_role_none() {
                return;
            }
            if let Some((_, cport, ..)) = endpoints(f) {
                o.push(ParsedValue::Uint(cport as u64));
            }
        }),
        "fd.sport" => with_fd(|_, _, f, o| {
            if let Some((_, _, _, sport)) = endpoints(f) {
                if !f.is_role_none() {
                    o.push(ParsedValue::Uint(sport as u64));
                }
            } else if let Some((_, p)) = server(f) {
                o.push(ParsedValue::Uint(p as u64));
            }
        }),
        "fd.cproto" => with_fd(|_, _, f, o| {
            if f.is_role_none() {
                return;
            }
            match endpoints(f) {
                Some((_, cport, ..)) => o.push(s(cport.to_string())),
                None => o.push(s("")),
            }
        }),
        "fd.sproto" => with_fd(|_, _, f, o| {
            if let Some((_, _, _, sport)) = endpoints(f) {
                if !f.is_role_none() {
                    o.push(s(sport.to_string()));
                }
            } else if server(f).is_some() {
                o.push(s(""));
            }
        }),
        "fd.ip" | "fd.net" => with_multi(Multi::EitherEndpoint, |c, o| {
            let Some((_, Some(f))) = fd_ctx(c) else {
                return;
            };
            if let Some((cip, _, sip, _)) = endpoints(f) {
                o.push(ip(cip));
                o.push(ip(sip));
            } else if let Some((a, _)) = server(f) {
                o.push(ip(a));
            }
        }),
        "fd.port" | "fd.proto" => with_multi(Multi::EitherEndpoint, |c, o| {
            let Some((_, Some(f))) = fd_ctx(c) else {
                return;
            };
            if let Some((_, cport, _, sport)) = endpoints(f) {
                o.push(ParsedValue::Uint(cport as u64));
                o.push(ParsedValue::Uint(sport as u64));
            } else if let Some((_, p)) = server(f) {
                o.push(ParsedValue::Uint(p as u64));
            }
        }),
        "fd.l4proto" => with_fd(|_, _, f, o| o.push(s(l4_name(f.l4proto_effective())))),
        "fd.sockfamily" => with_fd(|_, _, f, o| {
            if f.is_ip_socket() || f.is_ip_server_socket() {
                o.push(s("ip"));
            } else if f.is_unix_socket() {
                o.push(s("unix"));
            }
        }),
        "fd.is_server" => with_fd(|c, t, f, o| {
            let v = if f.is_ip_server_socket() {
                true
            } else if let Some((_, _, sip, _)) = endpoints(f) {
                client_is_local(c.state, t, sip)
            } else {
                false
            };
            o.push(ParsedValue::Bool(v));
        }),
        "fd.uid" => single(|c, o| {
            let Some((t, _)) = fd_ctx(c) else { return };
            let n = c.state.event_fd_num().unwrap_or(-1);
            o.push(s(format!("{}{}", t.tid, n)));
        }),
        "fd.connected" => with_fd(|_, _, f, o| o.push(ParsedValue::Bool(f.is_socket_connected()))),
        "fd.name_changed" => {
            with_fd(|c, _, _, o| o.push(ParsedValue::Bool(c.state.event_fd_name_changed())))
        }
        "fd.cip.name" | "fd.sip.name" | "fd.lip.name" | "fd.rip.name" => {
            // DNS names come from a live resolver; a capture has none.
            single(|_, _| {})
        }
        "fd.dev" => with_fd(|_, _, f, o| o.push(ParsedValue::Int(f.dev as i32 as i64))),
        "fd.dev.major" => with_fd(|_, _, f, o| o.push(ParsedValue::Int(f.dev_major() as i64))),
        "fd.dev.minor" => with_fd(|_, _, f, o| o.push(ParsedValue::Int(f.dev_minor() as i64))),
        "fd.ino" => with_fd(|_, _, f, o| o.push(ParsedValue::Int(f.ino as i64))),
        "fd.is_upper_layer" => with_fd(|_, _, f, o| {
            o.push(ParsedValue::Bool(
                f.flags & falconer_scap::state::fd::fd_flags::OVERLAY_UPPER != 0,
            ))
        }),
        "fd.is_lower_layer" => with_fd(|_, _, f, o| {
            o.push(ParsedValue::Bool(
                f.flags & falconer_scap::state::fd::fd_flags::OVERLAY_LOWER != 0,
            ))
        }),
        "fs.path.name" | "fs.path.nameraw" | "fs.path.source" | "fs.path.sourceraw"
        | "fs.path.target" | "fs.path.targetraw" => fs_path(name),
        "fdlist.nums" | "fdlist.names" | "fdlist.cips" | "fdlist.sips" | "fdlist.cports"
        | "fdlist.sports" => fdlist(name),
        _ => return Err(unsupported(r, "fd field not known to this engine")),
    })
}

/// Where `fs.path.*` finds a path in an event.
#[derive(Clone, Copy)]
enum PathArg {
    /// An event parameter (`evt.rawarg.NAME`).
    Param(&'static str),
    /// The event's fd name (`fchmod`, `fchown`).
    FdName,
}

/// Success test (`true`: `fd != -1`, else `res == 0`), then where the
/// path, the source and the target are.
type FsPathSpec = (bool, Option<PathArg>, Option<PathArg>, Option<PathArg>);

/// The `fs.path` table of current libs (`sinsp_filter_check_fspath`), per
/// exit event code.
fn fs_path_spec(code: u16) -> Option<FsPathSpec> {
    use PathArg::*;
    let name = |p| Some(Param(p));
    Some(match code {
        277 | 305 | 279 | 301 | 379 | 381 => (false, name("path"), None, None),
        303 => (false, name("name"), None, None),
        3 | 307 | 327 => (true, name("name"), None, None),
        313 | 315 => (false, name("filename"), None, None),
        317 | 383 => (false, Some(FdName), None, None),
        385 => (false, name("pathname"), None, None),
        191 => (false, name("special"), None, None),
        387 | 391 => (false, name("name"), None, None),
        175 | 177 | 319 => (false, None, name("oldpath"), name("newpath")),
        309 | 311 => (false, None, name("newpath"), name("oldpath")),
        179 | 181 => (false, None, name("linkpath"), name("target")),
        257 => (false, None, name("dev"), name("dir")),
        _ => return None,
    })
}

/// `fs.path.*`: the path(s) of a successful file system event, made
/// absolute (against the cwd, the dirfd or the event's fd, as current
/// libs do) unless `raw`.
fn fs_path(name: &'static str) -> Compiled {
    let role = match name {
        "fs.path.name" | "fs.path.nameraw" => 0,
        "fs.path.source" | "fs.path.sourceraw" => 1,
        _ => 2,
    };
    let raw = name.ends_with("raw");
    single(move |c, o| {
        let ev = c.event;
        let Some((fd_success, path, source, target)) = fs_path_spec(ev.code) else {
            return;
        };
        let ok = if fd_success {
            ev.value("fd")
                .and_then(|v| v.as_i64())
                .is_some_and(|fd| fd != -1)
        } else {
            ev.value("res").and_then(|v| v.as_i64()) == Some(0)
        };
        if !ok {
            return;
        }
        let Some(arg) = [path, source, target][role] else {
            return;
        };
        let mut p: Vec<u8> = match arg {
            PathArg::Param(pn) => match ev.value(pn).as_ref().and_then(|v| v.as_bytes()) {
                Some(b) => b.to_vec(),
                None => return,
            },
            PathArg::FdName => c.fd().map(|(_, f)| f.name.clone()).unwrap_or_default(),
        };
        if let Some(i) = p.iter().position(|&b| b == 0) {
            p.truncate(i);
        }
        if raw {
            o.push(s(p));
            return;
        }
        let Some(t) = c.thread() else { return };
        let concat = falconer_scap::state::path::concatenate_paths;
        if p.first() == Some(&b'/') {
            o.push(s(concat(b"", &p)));
            return;
        }
        // The directory of a relative path.
        let dirfd_dir = || match c.fd() {
            Some((_, f)) if f.fd_type == falconer_scap::fd_types::DIRECTORY => {
                let mut n = f.name.clone();
                if !n.is_empty() && n.last() != Some(&b'/') {
                    n.push(b'/');
                }
                n
            }
            _ => b"<UNKNOWN>".to_vec(),
        };
        let sdir: Vec<u8> = match ev.code {
            // openat: the fd name the parser already made absolute.
            307 | 327 => {
                p = c
                    .fd()
                    .map_or(b"<UNKNOWN>".to_vec(), |(_, f)| f.name.clone());
                Vec::new()
            }
            // The event's fd is the dirfd.
            419 | 385 | 313 | 305 | 303 | 417 => dirfd_dir(),
            181 if role == 1 => dirfd_dir(),
            181 => b"<UNKNOWN>".to_vec(),
            319 if role != 0 => {
                let dp = if role == 2 { "newdirfd" } else { "olddirfd" };
                match ev.value(dp).and_then(|v| v.as_i64()) {
                    Some(d) => dirfd_base(c.state, t, &p, d),
                    None => return,
                }
            }
            319 => b"<UNKNOWN>".to_vec(),
            _ => c.state.cwd(t).to_vec(),
        };
        o.push(s(concat(&sdir, &p)));
    })
}

/// `fdlist.*`: the fds of a `poll`/`ppoll` exit (`fds` parameter), one
/// entry per fd joined with commas as current libs do: names `<NA>` when
/// unknown; addresses and ports only for connected IP sockets (server
/// addresses also for listening sockets; an IPv6 one printed from its
/// first four bytes, as libsinsp's `inet_ntop(AF_INET, ...)` does); no
/// value when nothing was written.
fn fdlist(name: &'static str) -> Compiled {
    single(move |c, o| {
        let ev = c.event;
        if !matches!(ev.code, 81 | 255) {
            return;
        }
        let Some(ParamValue::FdList(list)) = ev.param(1).map(|p| p.value()) else {
            return;
        };
        let Some(t) = c.thread() else { return };
        let mut out = String::new();
        for (fd, _) in list {
            let f = c.state.fd_of(t, fd);
            let item: Option<String> = match name {
                "fdlist.nums" => Some(fd.to_string()),
                "fdlist.names" => Some(match f {
                    Some(f) if !f.name.is_empty() => String::from_utf8_lossy(&f.name).into_owned(),
                    _ => "<NA>".to_string(),
                }),
                _ => f.and_then(|f| {
                    let conn = match f.sock {
                        Sock::V4 {
                            sip,
                            sport,
                            dip,
                            dport,
                        } if f.fd_type == falconer_scap::fd_types::IPV4_SOCK => {
                            Some((IpAddr::from(sip), sport, IpAddr::from(dip), dport))
                        }
                        Sock::V6 {
                            sip,
                            sport,
                            dip,
                            dport,
                        } if f.fd_type == falconer_scap::fd_types::IPV6_SOCK => {
                            Some((IpAddr::from(sip), sport, IpAddr::from(dip), dport))
                        }
                        _ => None,
                    };
                    let text = |a: IpAddr| match a {
                        IpAddr::V4(v) => v.to_string(),
                        IpAddr::V6(v) => falconer_scap::state::fd::inet6_ntop(&v),
                    };
                    match (name, conn) {
                        ("fdlist.cips", Some((sip, ..))) => Some(text(sip)),
                        ("fdlist.sips", Some((_, _, dip, _))) => Some(text(dip)),
                        ("fdlist.cports", Some((_, sp, ..))) => Some(sp.to_string()),
                        ("fdlist.sports", Some((.., dp))) => Some(dp.to_string()),
                        ("fdlist.sips", None) => match f.sock {
                            Sock::V4Server { ip, .. }
                                if f.fd_type == falconer_scap::fd_types::IPV4_SERVSOCK =>
                            {
                                Some(ip.to_string())
                            }
                            Sock::V6Server { ip, .. }
                                if f.fd_type == falconer_scap::fd_types::IPV6_SERVSOCK =>
                            {
                                let b = ip.octets();
                                Some(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string())
                            }
                            _ => None,
                        },
                        _ => None,
                    }
                }),
            };
            if let Some(i) = item {
                out.push_str(&i);
                out.push(',');
            }
        }
        if out.ends_with(',') {
            out.pop();
        }
        if !out.is_empty() {
            o.push(s(out));
        }
    })
}
