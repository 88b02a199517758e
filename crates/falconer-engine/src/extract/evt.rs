//! `evt.*` and `syscall.type` (libsinsp's gen_event and event classes).

use falconer_catalog::{
    catalog, Direction, EventFlags, EventKind, FieldType, Resolved, ResolvedArg,
};
use falconer_scap::{fd_types, Event, ParamValue};

use super::render::render_param;
use super::{s, single, unsupported, Compiled, EventCtx, ParsedValue, Unsupported};

const NS: u64 = 1_000_000_000;
const PROCINFO_E: u16 = 234;
const ASYNCEVENT_E: u16 = 402;

/// `HH:MM:SS[.nnnnnnnnn]`, with the date first if `date` (UTC; libsinsp
/// uses the local time zone: run Falco with `TZ=UTC` to compare).
pub(crate) fn datetime_text(ts: u64, date: bool, ns: bool) -> String {
    let sec = ts / NS;
    let mut out = String::with_capacity(30);
    if date {
        let (y, m, d) = civil_from_days((sec / 86_400) as i64);
        out.push_str(&format!("{y:04}-{m:02}-{d:02} "));
    }
    crate::time::push_clock(ts, ns, &mut out);
    out
}

/// ISO 8601 with nanoseconds and the UTC offset (`evt.time.iso8601`).
fn iso8601(ts: u64) -> String {
    let sec = ts / NS;
    let (y, m, d) = civil_from_days((sec / 86_400) as i64);
    let s = sec % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}+0000",
        s / 3600,
        (s % 3600) / 60,
        s % 60,
        ts % NS
    )
}

/// Days since 1970-01-01 → (year, month, day) (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The codes `evt.type.is` tests for.
fn type_is_codes(r: &Resolved) -> Option<Vec<u16>> {
    Some(match &r.arg {
        ResolvedArg::EventTypeCode(n) => vec![*n as u16],
        ResolvedArg::EventTypeName { name, .. } => catalog()
            .events()
            .iter()
            .filter(|e| e.name == *name)
            .map(|e| e.code)
            .collect(),
        _ => return None,
    })
}

fn is_syscall_code(code: u16) -> bool {
    catalog()
        .event(code)
        .is_some_and(|i| i.kind == EventKind::Syscall)
}

/// The values field `r` has for every event of `code`, when they depend
/// on the code alone (`evt.type` but for the generic syscall events,
/// `evt.dir`, `evt.type.is`, `syscall.type`); `None` for every other
/// field. The same helpers as the extractors compute them (a test checks
/// every code against extraction).
pub(crate) fn code_values(r: &Resolved, code: u16) -> Option<Vec<ParsedValue>> {
    match r.field.name {
        "evt.dir" => Some(vec![s(vec![Event::dir_char_of_code(code) as u8])]),
        "evt.type" => Event::type_name_of_code(code).map(|n| vec![s(n)]),
        "evt.type.is" => {
            let codes = type_is_codes(r)?;
            Some(vec![ParsedValue::Uint(codes.contains(&code) as u64)])
        }
        "syscall.type" => {
            let name = Event::type_name_of_code(code)?;
            Some(if is_syscall_code(code) {
                vec![s(name)]
            } else {
                Vec::new()
            })
        }
        _ => None,
    }
}

fn flags_of(ev: &Event) -> EventFlags {
    ev.info().map(|i| i.flags).unwrap_or_default()
}

fn is_exit(ev: &Event) -> bool {
    ev.direction() == Direction::Exit
}

/// The system call's return value: the first parameter of a syscall exit
/// event (libsinsp `has_return_value` / `get_syscall_return_value`).
pub(crate) fn return_value(ev: &Event) -> Option<i64> {
    let info = ev.info()?;
    if info.kind != EventKind::Syscall || !is_exit(ev) || ev.code == 1 || ev.nparams() == 0 {
        return None;
    }
    let p = ev.param(0)?;
    if p.raw.is_empty() {
        return None;
    }
    p.value().as_i64()
}

/// libsinsp's `get_category` category name, with the I/O subcategory from
/// the fd.
fn category(ctx: &EventCtx<'_>) -> &'static str {
    let Some(info) = ctx.event.info() else {
        return "unknown";
    };
    match info.category {
        "io_read" | "io_write" | "io_other" => match ctx.fd() {
            None => "unknown",
            Some((_, f)) => match f.fd_type {
                fd_types::FILE | fd_types::FILE_V2 | fd_types::DIRECTORY => "file",
                fd_types::IPV4_SOCK
                | fd_types::IPV6_SOCK
                | fd_types::IPV4_SERVSOCK
                | fd_types::IPV6_SERVSOCK => "net",
                fd_types::FIFO
                | fd_types::UNIX_SOCK
                | fd_types::EVENT
                | fd_types::SIGNALFD
                | fd_types::INOTIFY
                | fd_types::USERFAULTFD => "ipc",
                _ => "unknown",
            },
        },
        "ipc" => "IPC",
        "file" => "file",
        "net" => "net",
        "memory" => "memory",
        "process" => "process",
        "sleep" => "sleep",
        "system" => "system",
        "signal" => "signal",
        "user" => "user",
        "time" => "time",
        "wait" => "wait",
        "scheduler" => "scheduler",
        "internal" => "internal",
        "other" => "other",
        "plugin" => "plugin",
        _ => "unknown",
    }
}

fn is_io_category(ev: &Event) -> Option<&'static str> {
    let c = ev.info()?.category;
    matches!(c, "io_read" | "io_write" | "io_other").then_some(c)
}

/// `evt.buflen`: the return value of a successful exit of an I/O event on a
/// known fd.
fn buflen(ctx: &EventCtx<'_>, cat: Option<&str>, fdtypes: &[u8], out: &mut Vec<ParsedValue>) {
    let ev = ctx.event;
    let Some(c) = is_io_category(ev) else { return };
    if cat.is_some_and(|want| want != c) {
        return;
    }
    let Some((_, f)) = ctx.fd() else { return };
    if !fdtypes.is_empty() && !fdtypes.contains(&f.fd_type) {
        return;
    }
    if !is_exit(ev) {
        return;
    }
    if let Some(r) = ev.param(0).and_then(|p| p.value().as_i64()) {
        if r >= 0 {
            out.push(ParsedValue::Uint(r as u64));
        }
    }
}

/// `evt.arg.NAME` / `evt.arg[N]` / `evt.args` rendering of one parameter:
/// the resolved text when there is one.
fn arg_text(ctx: &EventCtx<'_>, ev: &Event, idx: usize) -> Option<Vec<u8>> {
    let p = ev.param(idx)?;
    let (raw, resolved) = render_param(ev, &p, ctx.state, ctx.thread(), ctx.container_id());
    Some(if resolved.is_empty() { raw } else { resolved })
}

fn args_text(ctx: &EventCtx<'_>) -> Vec<u8> {
    let ev = ctx.event;
    if ev.code <= 1 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in ev.params() {
        let (raw, resolved) = render_param(ev, &p, ctx.state, ctx.thread(), ctx.container_id());
        out.extend_from_slice(p.name().unwrap_or("?").as_bytes());
        out.push(b'=');
        out.extend_from_slice(&raw);
        if !resolved.is_empty() {
            out.push(b'(');
            out.extend_from_slice(&resolved);
            out.push(b')');
        }
        out.push(b' ');
    }
    out
}

/// A named parameter of the event, or of the enter event current libs
/// would have merged into an old exit layout: `None` when neither has it.
fn named_param<'a>(ctx: &EventCtx<'a>, name: &str) -> Option<(&'a Event, usize)> {
    let find = |ev: &'a Event| {
        let info = ev.info()?;
        let i = info.params.iter().position(|p| p.name == name)?;
        (i < ev.nparams()).then_some((ev, i))
    };
    find(ctx.event).or_else(|| ctx.state.event_enter().and_then(find))
}

/// A parameter value as the typed value `evt.rawarg.NAME` gives (the type
/// of the first parameter of that name).
fn raw_value(ty: FieldType, v: &ParamValue<'_>, raw: &[u8]) -> Option<ParsedValue> {
    use FieldType as T;
    Some(match ty {
        T::Int8
        | T::Int16
        | T::Int32
        | T::Int64
        | T::Errno
        | T::Fd
        | T::Pid
        | T::Fd32
        | T::Pid32 => ParsedValue::Int(v.as_i64()?),
        T::Uint8
        | T::Uint16
        | T::Uint32
        | T::Uint64
        | T::Port
        | T::L4proto
        | T::Sockfamily
        | T::Syscallid
        | T::Sigtype
        | T::Sigset
        | T::Flags8
        | T::Flags16
        | T::Flags32
        | T::Enumflags8
        | T::Enumflags16
        | T::Enumflags32
        | T::Uid
        | T::Gid
        | T::Mode
        | T::Reltime
        | T::Abstime => ParsedValue::Uint(v.as_u64()?),
        T::Bool => ParsedValue::Bool(v.as_i64()? != 0),
        T::Double => match v {
            ParamValue::Double(d) => ParsedValue::Double(*d),
            _ => return None,
        },
        T::Charbuf | T::Fspath | T::Fsrelpath => ParsedValue::Str(v.as_bytes()?.to_vec()),
        T::Ipv4addr | T::Ipv6addr | T::Ipaddr => match v {
            ParamValue::Ipv4(ip) => ParsedValue::Ip((*ip).into()),
            ParamValue::Ipv6(ip) => ParsedValue::Ip((*ip).into()),
            _ => return None,
        },
        _ => ParsedValue::Bytes(raw.to_vec()),
    })
}

/// `evt.abspath`: the absolute path of the `*at` system calls.
fn abspath(ctx: &EventCtx<'_>, which: u8, out: &mut Vec<ParsedValue>) {
    let ev = ctx.event;
    let Some(t) = ctx.thread() else { return };
    // The exit events current libs resolve (by code: older layouts of the
    // same system calls have no value).
    let (dirfd, path) = match ev.code {
        // renameat, renameat2, linkat: `.dst` the new path, else the old.
        177 | 319 if which == 2 => ("newdirfd", "newpath"),
        177 | 319 => ("olddirfd", "oldpath"),
        311 if which == 2 => ("newdir", "newpath"),
        311 => ("olddir", "oldpath"),
        181 => ("linkdirfd", "linkpath"),
        307 | 327 => ("dirfd", "name"),
        303 => ("dirfd", "name"),
        305 => ("dirfd", "path"),
        313 => ("dirfd", "filename"),
        385 => ("dirfd", "pathname"),
        // open_by_handle_at: the path the driver read, when the open
        // succeeded.
        337 => {
            if return_value(ev).is_some_and(|fd| fd > 0) {
                if let Some(p) = ev.value("path").as_ref().and_then(|v| v.as_bytes()) {
                    out.push(s(falconer_scap::state::path::concatenate_paths(b"", p)));
                }
            }
            return;
        }
        _ => return,
    };
    let (Some(d), Some(p)) = (ev.param_by_name(dirfd), ev.param_by_name(path)) else {
        return;
    };
    if d.raw.is_empty() || p.raw.is_empty() {
        return;
    }
    let Some(dirfd) = d.value().as_i64() else {
        return;
    };
    let pv = p.value();
    let path = pv.as_bytes().unwrap_or_default();
    let st = ctx.state;
    let sdir: Vec<u8> = if path.first() == Some(&b'/') {
        b".".to_vec()
    } else if dirfd == -100 {
        st.cwd(t).to_vec()
    } else {
        match st.fd_of(t, dirfd) {
            None => b"<UNKNOWN>/".to_vec(),
            Some(f) => {
                let mut n = f.name.clone();
                n.push(b'/');
                n
            }
        }
    };
    out.push(s(falconer_scap::state::path::concatenate_paths(
        &sdir, path,
    )));
}

/// `evt.count.error*`: 1 for a failed system call, 0 for a successful one,
/// no value without a return value.
fn error_count(ev: &Event, out: &mut Vec<ParsedValue>) {
    if let Some(r) = return_value(ev) {
        out.push(ParsedValue::Uint((r < 0) as u64));
    }
}

fn is_open_exit(ev: &Event) -> bool {
    is_exit(ev)
        && matches!(
            ev.name(),
            "open" | "openat" | "openat2" | "open_by_handle_at"
        )
}

fn open_flags(ctx: &EventCtx<'_>) -> Option<u32> {
    let ev = ctx.event;
    if let Some(v) = ev.value("flags").and_then(|v| v.as_u64()) {
        return Some(v as u32);
    }
    // An old openat exit keeps its flags in the enter event; the parser
    // stored them in the fd it opened.
    ctx.fd().map(|(_, f)| f.open_flags)
}

pub(super) fn compile(r: &Resolved) -> Result<Compiled, Unsupported> {
    let name = r.field.name;
    let ty = r.ty;
    Ok(match name {
        "evt.num" => single(|c, o| o.push(ParsedValue::Uint(c.event.num))),
        "evt.time" | "evt.outputtime" => {
            single(|c, o| o.push(s(datetime_text(c.event.ts, false, true))))
        }
        "evt.time.s" => single(|c, o| o.push(s(datetime_text(c.event.ts, false, false)))),
        "evt.time.iso8601" => single(|c, o| o.push(s(iso8601(c.event.ts)))),
        "evt.datetime" => single(|c, o| o.push(s(datetime_text(c.event.ts, true, true)))),
        "evt.datetime.s" => single(|c, o| o.push(s(datetime_text(c.event.ts, true, false)))),
        "evt.rawtime" => single(|c, o| o.push(ParsedValue::Uint(c.event.ts))),
        "evt.rawtime.s" => single(|c, o| o.push(ParsedValue::Uint(c.event.ts / NS))),
        "evt.rawtime.ns" => single(|c, o| o.push(ParsedValue::Uint(c.event.ts % NS))),
        "evt.reltime" | "evt.reltime.s" | "evt.reltime.ns" => {
            let div = match name {
                "evt.reltime.s" => 1,
                "evt.reltime.ns" => 2,
                _ => 0,
            };
            single(move |c, o| {
                let d = c.event.ts.wrapping_sub(c.state.first_ts());
                o.push(ParsedValue::Uint(match div {
                    1 => d / NS,
                    2 => d % NS,
                    _ => d,
                }))
            })
        }
        // Plugin events only: no value for syscall events.
        "evt.pluginname" | "evt.plugininfo" => single(|_, _| {}),
        "evt.source" => single(|_, o| o.push(s("syscall"))),
        "evt.is_async" => single(|c, o| {
            let meta = c
                .event
                .info()
                .is_some_and(|i| i.kind == EventKind::Metaevent);
            o.push(ParsedValue::Bool(meta))
        }),
        "evt.asynctype" => single(|c, o| {
            let ev = c.event;
            if !ev.info().is_some_and(|i| i.kind == EventKind::Metaevent) {
                return;
            }
            if ev.code != ASYNCEVENT_E {
                o.push(s(ev.name()));
            } else if let Some(n) = ev
                .value("name")
                .and_then(|v| v.as_bytes().map(<[u8]>::to_vec))
            {
                o.push(s(n));
            }
        }),
        "evt.hostname" => single(|c, o| {
            if let Some(m) = c.state.machine_info() {
                o.push(s(m.hostname.clone()));
            }
        }),
        // Deprecated: current libs report 0 for every event ("0ns").
        "evt.latency" | "evt.latency.s" | "evt.latency.ns" | "evt.latency.quantized" => {
            single(|_, o| o.push(ParsedValue::Uint(0)))
        }
        "evt.latency.human" => single(|_, o| o.push(s("0ns"))),
        // The time since the previous event this extractor was evaluated
        // on (libsinsp keeps it in the filter check instance): 0 the first
        // time.
        "evt.deltatime" | "evt.deltatime.s" | "evt.deltatime.ns" => {
            let which = name;
            let last = std::sync::atomic::AtomicU64::new(0);
            single(move |c, o| {
                use std::sync::atomic::Ordering::Relaxed;
                let ts = c.event.ts;
                let prev = last.swap(ts, Relaxed);
                let d = if prev == 0 { 0 } else { ts.wrapping_sub(prev) };
                o.push(ParsedValue::Uint(match which {
                    "evt.deltatime.s" => d / NS,
                    "evt.deltatime.ns" => d % NS,
                    _ => d,
                }))
            })
        }
        "evt.dir" => single(|c, o| o.push(s(vec![c.event.dir_char() as u8]))),
        "evt.type" => single(|c, o| o.push(s(c.event.type_name()))),
        "evt.type.is" => {
            let codes = type_is_codes(r)
                .ok_or_else(|| unsupported(r, "evt.type.is needs an event type"))?;
            single(move |c, o| o.push(ParsedValue::Uint(codes.contains(&c.event.code) as u64)))
        }
        "syscall.type" => single(|c, o| {
            let ev = c.event;
            if is_syscall_code(ev.code) {
                o.push(s(ev.type_name()));
            }
        }),
        "evt.category" => single(|c, o| o.push(s(category(c)))),
        "evt.cpu" => single(|c, o| o.push(ParsedValue::Int(c.event.cpu as i16 as i64))),
        "evt.args" | "evt.info" => single(|c, o| o.push(s(args_text(c)))),
        "evt.arg" => match &r.arg {
            ResolvedArg::Index(i) => {
                let i = *i;
                single(move |c, o| {
                    if i >= 0 {
                        if let Some(t) = arg_text(c, c.event, i as usize) {
                            o.push(s(t));
                        }
                    }
                })
            }
            ResolvedArg::Key(k) => {
                let k = k.clone();
                single(move |c, o| {
                    if let Some((ev, i)) = named_param(c, &k) {
                        if let Some(t) = arg_text(c, ev, i) {
                            o.push(s(t));
                        }
                    }
                })
            }
            ResolvedArg::EventParam(p) => {
                let k = p.name;
                single(move |c, o| {
                    if let Some((ev, i)) = named_param(c, k) {
                        if let Some(t) = arg_text(c, ev, i) {
                            o.push(s(t));
                        }
                    }
                })
            }
            _ => return Err(unsupported(r, "evt.arg needs an argument")),
        },
        "evt.rawarg" => {
            let ResolvedArg::EventParam(p) = &r.arg else {
                return Err(unsupported(r, "evt.rawarg needs an event parameter name"));
            };
            let k = p.name;
            single(move |c, o| {
                if let Some((ev, i)) = named_param(c, k) {
                    if let Some(p) = ev.param(i) {
                        if p.raw.is_empty() {
                            return;
                        }
                        if let Some(v) = raw_value(ty, &p.value(), p.raw) {
                            o.push(v);
                        }
                    }
                }
            })
        }
        "evt.buffer" => single(|c, o| {
            if let Some(p) = c.event.param_by_name("data") {
                o.push(ParsedValue::Bytes(p.raw.to_vec()));
            }
        }),
        "evt.buflen" => single(|c, o| buflen(c, None, &[], o)),
        "evt.buflen.in" => single(|c, o| buflen(c, Some("io_read"), &[], o)),
        "evt.buflen.out" => single(|c, o| buflen(c, Some("io_write"), &[], o)),
        "evt.buflen.file" => {
            single(|c, o| buflen(c, None, &[fd_types::FILE, fd_types::FILE_V2], o))
        }
        "evt.buflen.file.in" => {
            single(|c, o| buflen(c, Some("io_read"), &[fd_types::FILE, fd_types::FILE_V2], o))
        }
        "evt.buflen.file.out" => {
            single(|c, o| buflen(c, Some("io_write"), &[fd_types::FILE, fd_types::FILE_V2], o))
        }
        "evt.buflen.net" | "evt.buflen.net.in" | "evt.buflen.net.out" => {
            let cat = match name {
                "evt.buflen.net.in" => Some("io_read"),
                "evt.buflen.net.out" => Some("io_write"),
                _ => None,
            };
            single(move |c, o| {
                buflen(
                    c,
                    cat,
                    &[
                        fd_types::IPV4_SOCK,
                        fd_types::IPV6_SOCK,
                        fd_types::IPV4_SERVSOCK,
                        fd_types::IPV6_SERVSOCK,
                    ],
                    o,
                )
            })
        }
        "evt.res" => single(|c, o| {
            let Some(r) = return_value(c.event) else {
                return;
            };
            if r >= 0 {
                o.push(s("SUCCESS"));
            } else if let Some(t) = arg_text(c, c.event, 0) {
                // The first parameter rendered and resolved: the errno name.
                o.push(s(t));
            }
        }),
        "evt.rawres" => single(|c, o| {
            if let Some(r) = return_value(c.event) {
                o.push(ParsedValue::Int(r));
            }
        }),
        "evt.failed" => single(|c, o| {
            if let Some(r) = return_value(c.event) {
                o.push(ParsedValue::Bool(r < 0));
            }
        }),
        "evt.is_io" => single(|c, o| {
            let f = flags_of(c.event);
            o.push(ParsedValue::Bool(
                f.contains(EventFlags::READS_FROM_FD) || f.contains(EventFlags::WRITES_TO_FD),
            ))
        }),
        "evt.is_io_read" => single(|c, o| {
            o.push(ParsedValue::Bool(
                flags_of(c.event).contains(EventFlags::READS_FROM_FD),
            ))
        }),
        "evt.is_io_write" => single(|c, o| {
            o.push(ParsedValue::Bool(
                flags_of(c.event).contains(EventFlags::WRITES_TO_FD),
            ))
        }),
        "evt.io_dir" => single(|c, o| {
            let f = flags_of(c.event);
            if f.contains(EventFlags::WRITES_TO_FD) {
                o.push(s("write"));
            } else if f.contains(EventFlags::READS_FROM_FD) {
                o.push(s("read"));
            }
        }),
        "evt.is_wait" => single(|c, o| {
            o.push(ParsedValue::Bool(
                flags_of(c.event).contains(EventFlags::WAITS),
            ))
        }),
        // Deprecated: 0 for every event in current libs.
        "evt.wait_latency" => single(|_, o| o.push(ParsedValue::Uint(0))),
        "evt.is_syslog" => single(|c, o| {
            let mut yes = false;
            if flags_of(c.event).contains(EventFlags::WRITES_TO_FD) {
                if let Some((_, f)) = c.fd() {
                    yes = f.name.windows(8).any(|w| w == b"/dev/log");
                }
            }
            o.push(ParsedValue::Bool(yes))
        }),
        "evt.count" => single(|_, o| o.push(ParsedValue::Uint(1))),
        "evt.count.error" => single(|c, o| error_count(c.event, o)),
        "evt.count.error.file" => single(|c, o| {
            let file = match c.fd() {
                Some((_, f)) => f.is_file() || f.is_directory(),
                None => {
                    is_exit(c.event)
                        && matches!(c.event.name(), "open" | "creat" | "openat" | "openat2")
                }
            };
            if file {
                error_count(c.event, o);
            }
        }),
        "evt.count.error.net" => single(|c, o| {
            let net = match c.fd() {
                Some((_, f)) => f.is_ip_socket() || f.is_ip_server_socket() || f.is_unix_socket(),
                None => {
                    is_exit(c.event) && matches!(c.event.name(), "accept" | "accept4" | "connect")
                }
            };
            if net {
                error_count(c.event, o);
            }
        }),
        "evt.count.error.memory" => single(|c, o| {
            if c.event.info().is_some_and(|i| i.category == "memory") {
                error_count(c.event, o);
            }
        }),
        "evt.count.error.other" => single(|c, o| {
            let other = match c.fd() {
                Some((_, f)) => {
                    !(f.is_file()
                        || f.is_directory()
                        || f.is_ip_socket()
                        || f.is_ip_server_socket()
                        || f.is_unix_socket())
                }
                None => {
                    let ev = c.event;
                    !((is_exit(ev)
                        && matches!(
                            ev.name(),
                            "open"
                                | "creat"
                                | "openat"
                                | "openat2"
                                | "accept"
                                | "accept4"
                                | "connect"
                        ))
                        || ev.info().is_some_and(|i| i.category == "memory"))
                }
            };
            if other {
                error_count(c.event, o);
            }
        }),
        "evt.count.exit" => single(|c, o| {
            if is_exit(c.event) {
                o.push(ParsedValue::Uint(1));
            }
        }),
        "evt.count.procinfo" => single(|c, o| {
            if c.event.code == PROCINFO_E && c.thread().is_some_and(|t| t.is_main_thread()) {
                o.push(ParsedValue::Uint(1));
            }
        }),
        "evt.count.threadinfo" => single(|c, o| {
            if c.event.code == PROCINFO_E {
                o.push(ParsedValue::Uint(1));
            }
        }),
        "evt.around" => {
            return Err(unsupported(
                r,
                "evt.around compares against a time window; not supported by this engine",
            ))
        }
        "evt.abspath" => {
            let which = match &r.arg {
                ResolvedArg::Key(k) if k == "src" => 1,
                ResolvedArg::Key(k) if k == "dst" => 2,
                _ => 0,
            };
            single(move |c, o| abspath(c, which, o))
        }
        "evt.is_open_read" | "evt.is_open_write" | "evt.is_open_exec" | "evt.is_open_create" => {
            let which = name;
            single(move |c, o| {
                let ev = c.event;
                let mut yes = false;
                if is_open_exit(ev) {
                    let flags = open_flags(c).unwrap_or(0);
                    match which {
                        "evt.is_open_read" => yes = flags & 1 != 0,
                        "evt.is_open_write" => yes = flags & 2 != 0,
                        "evt.is_open_create" => {
                            yes = flags & (1 << 14) != 0
                                || (flags & (1 << 13) != 0
                                    && return_value(ev).is_some_and(|r| r >= 0))
                        }
                        _ => {
                            if flags & ((1 << 13) | (1 << 2)) != 0
                                && ev.name() != "open_by_handle_at"
                            {
                                if let Some(m) = ev.value("mode").and_then(|v| v.as_u64()) {
                                    yes = m & 0o111 != 0;
                                }
                            }
                        }
                    }
                } else if which == "evt.is_open_exec" && is_exit(ev) && ev.name() == "creat" {
                    if let Some(m) = ev.value("mode").and_then(|v| v.as_u64()) {
                        yes = m & 0o111 != 0;
                    }
                }
                o.push(ParsedValue::Bool(yes))
            })
        }
        "evt.infra.docker.name"
        | "evt.infra.docker.container.id"
        | "evt.infra.docker.container.name"
        | "evt.infra.docker.container.image" => single(|_, _| {}),
        other => {
            return Err(Unsupported {
                field: other.to_string(),
                message: "event field not known to this engine".into(),
            })
        }
    })
}
