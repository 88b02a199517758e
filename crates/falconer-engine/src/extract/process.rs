//! `proc.*`, `thread.*`, `user.*`, `group.*` (libsinsp's thread, user and
//! group classes, current libs).

use falconer_catalog::{FieldType, Resolved, ResolvedArg};
use falconer_scap::state::{State, Thread};

use super::{
    s, single, unsupported, with_multi, Compiled, EventCtx, Multi, ParsedValue, Unsupported,
};

const CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

fn caps_text(caps: u64) -> Vec<u8> {
    let names: Vec<&str> = (0..CAPABILITIES.len())
        .filter(|i| caps & (1u64 << i) != 0)
        .map(|i| CAPABILITIES[i])
        .collect();
    names.join(" ").into_bytes()
}

fn join(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.join(&b' ')
}

/// `proc.cmdline`: comm and args.
fn cmdline(t: &Thread) -> Vec<u8> {
    let mut v = t.comm.clone();
    for a in &t.args {
        v.push(b' ');
        v.extend_from_slice(a);
    }
    v
}

fn exeline(t: &Thread) -> Vec<u8> {
    let mut v = t.exe.clone();
    v.push(b' ');
    v.extend_from_slice(&join(&t.args));
    v
}

/// pids are shown only when they are real (libsinsp `should_extract_xid`).
fn xid(v: i64) -> Option<ParsedValue> {
    (v >= -1 && v <= u32::MAX as i64).then_some(ParsedValue::Int(v))
}

/// The oldest ancestor (the thread itself included) whose `id` equals the
/// thread's (libsinsp `get_oldest_matching_ancestor`, used by
/// `proc.sname`, `proc.vpgid.name`, `proc.pgid.name`...).
fn oldest_matching<'a>(
    st: &'a State,
    t: &'a Thread,
    id: fn(&Thread) -> i64,
    is_virtual: bool,
) -> Option<&'a Thread> {
    let want = id(t);
    if want == -1 {
        return None;
    }
    // A pid outside a pid namespace names the leader directly.
    if !is_virtual || !t.is_in_pid_namespace() {
        if let Some(leader) = st.thread(want) {
            return Some(leader);
        }
    }
    let mut leader = None;
    for a in st.parent_chain(t) {
        if id(a) != want {
            break;
        }
        leader = Some(a);
    }
    leader
}

type ThreadField = fn(&EventCtx<'_>, &Thread, &mut Vec<ParsedValue>);

fn tf(f: ThreadField) -> Compiled {
    single(move |c, o| {
        if let Some(t) = c.thread() {
            f(c, t, o)
        }
    })
}

fn ancestor_field(
    r: &Resolved,
    get: fn(&State, &Thread) -> ParsedValue,
) -> Result<Compiled, Unsupported> {
    match r.arg {
        ResolvedArg::None => Ok(with_multi(Multi::AnyAncestor, move |c, o| {
            let Some(t) = c.thread() else { return };
            let st = c.state;
            let Some(mt) = st.main_thread(t) else { return };
            for a in st.ancestors(mt) {
                o.push(get(st, a));
            }
        })),
        ResolvedArg::Index(n) => {
            if n < 0 {
                return Err(unsupported(r, "negative ancestor index"));
            }
            let n = n as u32;
            Ok(single(move |c, o| {
                let Some(t) = c.thread() else { return };
                if let Some(a) = c.state.ancestor(t, n) {
                    o.push(get(c.state, a));
                }
            }))
        }
        _ => Err(unsupported(r, "ancestor fields take an index")),
    }
}

fn num(ty: FieldType, v: i64) -> ParsedValue {
    if ty.is_numeric()
        && matches!(
            ty,
            FieldType::Uint8 | FieldType::Uint16 | FieldType::Uint32 | FieldType::Uint64
        )
    {
        ParsedValue::Uint(v as u64)
    } else {
        ParsedValue::Int(v)
    }
}

pub(super) fn compile(r: &Resolved) -> Result<Compiled, Unsupported> {
    let name = r.field.name;
    let ty = r.ty;
    Ok(match name {
        "thread.tid" => single(|c, o| o.extend(xid(c.event.tid as i64))),
        "proc.pid" => tf(|_, t, o| o.extend(xid(t.pid))),
        "proc.sid" => tf(|_, t, o| o.push(ParsedValue::Int(t.sid))),
        "proc.vpgid" => tf(|_, t, o| o.push(ParsedValue::Int(t.vpgid))),
        "proc.pgid" => tf(|_, t, o| o.push(ParsedValue::Int(t.pgid))),
        "proc.sname" | "proc.sid.exe" | "proc.sid.exepath" | "proc.vpgid.name"
        | "proc.vpgid.exe" | "proc.vpgid.exepath" | "proc.pgid.name" | "proc.pgid.exe"
        | "proc.pgid.exepath" => {
            let (id, virt): (fn(&Thread) -> i64, bool) = match name {
                "proc.sname" | "proc.sid.exe" | "proc.sid.exepath" => (|t| t.sid, true),
                "proc.vpgid.name" | "proc.vpgid.exe" | "proc.vpgid.exepath" => (|t| t.vpgid, true),
                _ => (|t| t.pgid, false),
            };
            let what = if name.ends_with("exepath") {
                2
            } else if name.ends_with("exe") {
                1
            } else {
                0
            };
            single(move |c, o| {
                let Some(t) = c.thread() else { return };
                let v = match oldest_matching(c.state, t, id, virt) {
                    Some(a) => match what {
                        1 => a.exe.clone(),
                        2 => a.exepath.clone(),
                        _ => a.comm.clone(),
                    },
                    None => Vec::new(),
                };
                o.push(s(v));
            })
        }
        "proc.tty" => tf(move |_, t, o| o.push(num(FieldType::Uint32, t.tty as i64))),
        "proc.name" => tf(|_, t, o| o.push(s(t.comm.clone()))),
        "proc.exe" => tf(|_, t, o| o.push(s(t.exe.clone()))),
        "proc.exepath" => tf(|_, t, o| o.push(s(t.exepath.clone()))),
        "proc.args" => match r.arg {
            ResolvedArg::Index(i) => single(move |c, o| {
                let Some(t) = c.thread() else { return };
                let v = usize::try_from(i)
                    .ok()
                    .and_then(|i| t.args.get(i))
                    .cloned()
                    .unwrap_or_default();
                o.push(s(v));
            }),
            _ => tf(|_, t, o| o.push(s(join(&t.args)))),
        },
        "proc.aargs" => ancestor_field(r, |_, a| s(join(&a.args)))?,
        "proc.env" => match &r.arg {
            ResolvedArg::Key(k) => {
                let k = k.as_bytes().to_vec();
                single(move |c, o| {
                    let Some(t) = c.thread() else { return };
                    let v = Thread::env_value(c.state.env(t), &k).unwrap_or_default();
                    o.push(s(v.to_vec()));
                })
            }
            _ => tf(|c, t, o| o.push(s(join(c.state.env(t))))),
        },
        "proc.aenv" => match &r.arg {
            ResolvedArg::Key(k) => {
                let k = k.as_bytes().to_vec();
                single(move |c, o| {
                    let Some(t) = c.thread() else { return };
                    let st = c.state;
                    let mut v: &[u8] = &[];
                    if let Some(mt) = st.main_thread(t) {
                        let mut cur = mt;
                        for _ in 0..20 {
                            let Some(p) = st.thread(cur.ptid) else { break };
                            cur = p;
                            v = Thread::env_value(st.env(p), &k).unwrap_or_default();
                            if !v.is_empty() {
                                break;
                            }
                        }
                    }
                    o.push(s(v.to_vec()));
                })
            }
            ResolvedArg::Index(n) if *n >= 1 => {
                let n = *n;
                single(move |c, o| {
                    let Some(t) = c.thread() else { return };
                    let st = c.state;
                    let Some(mut cur) = st.main_thread(t) else {
                        o.push(s(Vec::new()));
                        return;
                    };
                    for _ in 0..n {
                        match st.thread(cur.ptid) {
                            Some(p) => cur = p,
                            None => return,
                        }
                    }
                    o.push(s(join(st.env(cur))));
                })
            }
            _ => tf(|c, t, o| o.push(s(join(c.state.env(t))))),
        },
        "proc.cmdline" => tf(|_, t, o| o.push(s(cmdline(t)))),
        "proc.exeline" => tf(|_, t, o| o.push(s(exeline(t)))),
        "proc.cwd" => tf(|c, t, o| o.push(s(c.state.cwd(t).to_vec()))),
        "proc.nthreads" => tf(|c, t, o| {
            let n = c.state.main_thread(t).map_or(1, |m| m.nchilds + 1);
            o.push(ParsedValue::Uint(n))
        }),
        "proc.nchilds" => tf(|c, t, o| {
            let n = c.state.main_thread(t).map_or(0, |m| m.nchilds);
            o.push(ParsedValue::Uint(n))
        }),
        "thread.ismain" => tf(|_, t, o| o.push(ParsedValue::Bool(t.is_main_thread()))),
        // CPU time between scheduler switch events on the same CPU (the
        // previous switch time is kept by the extractor, as libsinsp keeps
        // it in the filter check); 0 on other events. `totexectime` adds it
        // up per thread.
        "thread.exectime" | "thread.totexectime" => {
            let total = name == "thread.totexectime";
            let st = std::sync::Mutex::new(ExecTimes::default());
            single(move |c, o| {
                let Ok(mut st) = st.lock() else { return };
                let v = st.exectime(c);
                if !total {
                    o.push(ParsedValue::Uint(v));
                    return;
                }
                let Some(t) = c.thread() else { return };
                if st.totals.len() >= falconer_scap::state::MAX_THREADS {
                    st.totals.clear();
                }
                let e = st.totals.entry((t.tid, t.clone_ts)).or_default();
                *e = e.wrapping_add(v);
                o.push(ParsedValue::Uint(*e));
            })
        }
        "proc.ppid" => tf(|c, t, o| {
            if let Some(p) = c.state.parent(t) {
                o.extend(xid(p.pid));
            }
        }),
        "proc.pname" => tf(|c, t, o| {
            if let Some(p) = c.state.parent(t) {
                o.push(s(p.comm.clone()));
            }
        }),
        "proc.pcmdline" => tf(|c, t, o| {
            if let Some(p) = c.state.parent(t) {
                o.push(s(cmdline(p)));
            }
        }),
        "proc.pexe" => tf(|c, t, o| {
            if let Some(p) = c.state.parent(t) {
                o.push(s(p.exe.clone()));
            }
        }),
        "proc.pexepath" => tf(|c, t, o| {
            if let Some(p) = c.state.parent(t) {
                o.push(s(p.exepath.clone()));
            }
        }),
        "proc.acmdline" => ancestor_field(r, |_, a| s(cmdline(a)))?,
        "proc.aname" => ancestor_field(r, |_, a| s(a.comm.clone()))?,
        "proc.aexe" => ancestor_field(r, |_, a| s(a.exe.clone()))?,
        "proc.aexepath" => ancestor_field(r, |_, a| s(a.exepath.clone()))?,
        "proc.apid" => match r.arg {
            ResolvedArg::None => with_multi(Multi::AnyAncestor, |c, o| {
                let Some(t) = c.thread() else { return };
                let st = c.state;
                let Some(mt) = st.main_thread(t) else { return };
                for a in st.ancestors(mt) {
                    o.push(ParsedValue::Int(a.pid));
                }
            }),
            ResolvedArg::Index(n) if n >= 0 => {
                let n = n as u32;
                single(move |c, o| {
                    let Some(t) = c.thread() else { return };
                    if let Some(a) = c.state.ancestor(t, n) {
                        o.extend(xid(a.pid));
                    }
                })
            }
            _ => return Err(unsupported(r, "proc.apid takes an index")),
        },
        "proc.loginshellid" => tf(|c, t, o| {
            let st = c.state;
            let Some(mt) = st.main_thread(t) else { return };
            let is_shell = |x: &Thread| x.comm.len() >= 2 && x.comm.ends_with(b"sh");
            let mut res = is_shell(mt).then_some(mt.pid);
            for a in st.ancestors(mt) {
                if is_shell(a) {
                    res = Some(a.pid);
                }
            }
            if let Some(p) = res {
                o.push(ParsedValue::Int(p));
            }
        }),
        "proc.duration" => single(|c, o| {
            if let Some(t) = c.thread() {
                if t.clone_ts != 0 {
                    o.push(ParsedValue::Uint(c.event.ts.wrapping_sub(t.clone_ts)));
                }
            }
        }),
        "proc.ppid.duration" => tf(|c, t, o| {
            if let Some(p) = c.state.parent(t) {
                if p.clone_ts != 0 {
                    o.push(ParsedValue::Uint(c.event.ts.wrapping_sub(p.clone_ts)));
                }
            }
        }),
        "proc.pid.ts" => tf(|_, t, o| {
            if t.clone_ts != 0 {
                o.push(ParsedValue::Uint(t.clone_ts));
            }
        }),
        "proc.ppid.ts" => tf(|c, t, o| {
            if let Some(p) = c.state.thread(t.ptid) {
                o.push(ParsedValue::Uint(p.clone_ts));
            }
        }),
        "proc.fdopencount" => tf(|c, t, o| {
            let n = c.state.main_thread(t).map_or(0, |m| m_fd_count(c.state, m));
            o.push(ParsedValue::Uint(n as u64))
        }),
        "proc.fdlimit" => tf(|c, t, o| {
            let n = c.state.main_thread(t).map_or(0, |m| m.fdlimit);
            o.push(ParsedValue::Int(n))
        }),
        "proc.fdusage" => tf(|c, t, o| {
            let (open, limit) = c
                .state
                .main_thread(t)
                .map_or((0.0, 0), |m| (m_fd_count(c.state, m) as f64, m.fdlimit));
            let v = if limit > 0 {
                (open * 100.0 / limit as f64).min(100.0)
            } else {
                0.0
            };
            o.push(ParsedValue::Double(v))
        }),
        "proc.vmsize" => tf(|_, t, o| o.push(ParsedValue::Uint(t.vmsize_kb as u64))),
        "proc.vmrss" => tf(|_, t, o| o.push(ParsedValue::Uint(t.vmrss_kb as u64))),
        "proc.vmswap" => tf(|_, t, o| o.push(ParsedValue::Uint(t.vmswap_kb as u64))),
        "thread.vmsize" => tf(|_, t, o| {
            o.push(ParsedValue::Uint(if t.is_main_thread() {
                t.vmsize_kb as u64
            } else {
                0
            }))
        }),
        "thread.vmrss" => tf(|_, t, o| {
            o.push(ParsedValue::Uint(if t.is_main_thread() {
                t.vmrss_kb as u64
            } else {
                0
            }))
        }),
        "thread.pfmajor" => tf(|_, t, o| o.push(ParsedValue::Uint(t.pfmajor))),
        "thread.pfminor" => tf(|_, t, o| o.push(ParsedValue::Uint(t.pfminor))),
        "thread.cgroups" => tf(|_, t, o| {
            if t.cgroups.is_empty() {
                return;
            }
            let mut v = Vec::new();
            for (i, (sub, path)) in t.cgroups.iter().enumerate() {
                if i > 0 {
                    v.push(b' ');
                }
                v.extend_from_slice(sub);
                v.push(b'=');
                v.extend_from_slice(path);
            }
            o.push(s(v))
        }),
        "thread.cgroup" => {
            let key = match &r.arg {
                ResolvedArg::Key(k) => k.as_bytes().to_vec(),
                _ => return Err(unsupported(r, "thread.cgroup needs a subsystem")),
            };
            single(move |c, o| {
                if let Some(t) = c.thread() {
                    if let Some(p) = t.cgroup(&key) {
                        o.push(s(p.to_vec()));
                    }
                }
            })
        }
        "thread.vtid" => tf(|_, t, o| {
            if t.vtid != -1 {
                o.push(ParsedValue::Int(t.vtid));
            }
        }),
        "proc.vpid" => tf(|_, t, o| {
            if t.vpid != -1 {
                o.push(ParsedValue::Int(t.vpid));
            }
        }),
        "proc.pvpid" => tf(|c, t, o| {
            if let Some(p) = c.state.thread(t.ptid) {
                o.push(ParsedValue::Int(p.vpid));
            }
        }),
        // procinfo events (CPU times of a thread): the change since the
        // thread's previous procinfo, capped at 100 (libsinsp keeps the
        // previous total per thread).
        "thread.cpu" | "thread.cpu.user" | "thread.cpu.system" => {
            let (user, system) = match name {
                "thread.cpu.user" => (true, false),
                "thread.cpu.system" => (false, true),
                _ => (true, true),
            };
            let last = std::sync::Mutex::new(rustc_hash::FxHashMap::<(i64, u64), u64>::default());
            single(move |c, o| {
                let Some(t) = c.thread() else { return };
                let ev = c.event;
                if ev.code != PROCINFO_E {
                    return;
                }
                let p = |i: usize| ev.param(i).and_then(|p| p.value().as_u64()).unwrap_or(0);
                let tcpu = if user { p(0) } else { 0 }.wrapping_add(if system { p(1) } else { 0 });
                let Ok(mut last) = last.lock() else { return };
                if last.len() >= falconer_scap::state::MAX_THREADS {
                    last.clear();
                }
                let prev = last.insert((t.tid, t.clone_ts), tcpu).unwrap_or(0);
                let d = if prev != 0 {
                    (tcpu.wrapping_sub(prev) as f64).min(100.0)
                } else {
                    0.0
                };
                o.push(ParsedValue::Double(d));
            })
        }
        "thread.nametid" => tf(|c, t, o| {
            let mut v = t.comm.clone();
            v.extend_from_slice(c.event.tid_i64().to_string().as_bytes());
            o.push(s(v))
        }),
        "proc.is_exe_writable" => tf(|_, t, o| o.push(ParsedValue::Bool(t.exe_writable))),
        "proc.is_exe_upper_layer" => tf(|_, t, o| o.push(ParsedValue::Bool(t.exe_upper_layer))),
        "proc.is_exe_lower_layer" => tf(|_, t, o| o.push(ParsedValue::Bool(t.exe_lower_layer))),
        "proc.is_exe_from_memfd" => tf(|_, t, o| o.push(ParsedValue::Bool(t.exe_from_memfd))),
        "proc.is_sid_leader" => tf(|_, t, o| o.push(ParsedValue::Bool(t.sid == t.vpid))),
        "proc.is_vpgid_leader" => tf(|_, t, o| o.push(ParsedValue::Bool(t.vpgid == t.vpid))),
        "proc.is_pgid_leader" => tf(|_, t, o| o.push(ParsedValue::Bool(t.pgid == t.pid))),
        "thread.cap_permitted" => tf(|_, t, o| o.push(s(caps_text(t.cap_permitted)))),
        "thread.cap_inheritable" => tf(|_, t, o| o.push(s(caps_text(t.cap_inheritable)))),
        "thread.cap_effective" => tf(|_, t, o| o.push(s(caps_text(t.cap_effective)))),
        "proc.cmdnargs" => tf(|_, t, o| o.push(ParsedValue::Uint(t.args.len() as u64))),
        "proc.cmdlenargs" => tf(|_, t, o| {
            o.push(ParsedValue::Uint(
                t.args.iter().map(|a| a.len() as u64).sum(),
            ))
        }),
        "proc.exe_ino" => tf(|_, t, o| {
            if t.exe_ino != 0 {
                o.push(ParsedValue::Int(t.exe_ino as i64));
            }
        }),
        "proc.exe_ino.ctime" => tf(|_, t, o| {
            if t.exe_ino_ctime != 0 {
                o.push(ParsedValue::Uint(t.exe_ino_ctime));
            }
        }),
        "proc.exe_ino.mtime" => tf(|_, t, o| {
            if t.exe_ino_mtime != 0 {
                o.push(ParsedValue::Uint(t.exe_ino_mtime));
            }
        }),
        "proc.exe_ino.ctime_duration_proc_start" => tf(|_, t, o| {
            if t.exe_ino_ctime_duration_clone_ts != 0 {
                o.push(ParsedValue::Uint(t.exe_ino_ctime_duration_clone_ts));
            }
        }),
        "proc.exe_ino.ctime_duration_pidns_start" => tf(|_, t, o| {
            if t.exe_ino_ctime_duration_pidns_start != 0 {
                o.push(ParsedValue::Uint(t.exe_ino_ctime_duration_pidns_start));
            }
        }),
        "proc.pidns_init_start_ts" => tf(|_, t, o| {
            if t.pidns_init_start_ts != 0 {
                o.push(ParsedValue::Uint(t.pidns_init_start_ts));
            }
        }),
        "proc.stdin.type" | "proc.stdout.type" | "proc.stderr.type" | "proc.stdin.name"
        | "proc.stdout.name" | "proc.stderr.name" => {
            let fd = if name.starts_with("proc.stdin") {
                0
            } else if name.starts_with("proc.stdout") {
                1
            } else {
                2
            };
            let want_type = name.ends_with(".type");
            single(move |c, o| {
                let Some(t) = c.thread() else { return };
                let Some(f) = c.state.fd_of(t, fd) else {
                    return;
                };
                if want_type {
                    o.push(s(f.type_str().unwrap_or("<NA>")));
                } else {
                    o.push(s(f.name.clone()));
                }
            })
        }
        // user.* / group.* (with the container's user table)
        "user.uid" => tf(|_, t, o| o.push(ParsedValue::Uint(t.uid as u64))),
        "user.name" | "user.homedir" | "user.shell" => {
            let which = name;
            single(move |c, o| {
                let Some(t) = c.thread() else { return };
                let u = c.state.user(&t.container_id, t.uid);
                let v: Vec<u8> = match (which, u) {
                    ("user.name", Some(u)) => u.name.clone(),
                    ("user.homedir", Some(u)) => u.homedir.clone(),
                    ("user.shell", Some(u)) => u.shell.clone(),
                    ("user.name", None) if t.uid == 0 => b"root".to_vec(),
                    ("user.homedir", None) if t.uid == 0 => b"/root".to_vec(),
                    _ => b"<NA>".to_vec(),
                };
                o.push(s(v));
            })
        }
        "user.loginuid" => tf(|_, t, o| {
            let v = if t.loginuid < u32::MAX {
                t.loginuid as i64
            } else {
                -1
            };
            o.push(ParsedValue::Int(v))
        }),
        "user.loginname" => tf(|c, t, o| {
            let v = match c.state.user(&t.container_id, t.loginuid) {
                Some(u) => u.name.clone(),
                None if t.loginuid == 0 => b"root".to_vec(),
                None => b"<NA>".to_vec(),
            };
            o.push(s(v))
        }),
        "group.gid" => tf(|_, t, o| o.push(ParsedValue::Uint(t.gid as u64))),
        "group.name" => tf(|c, t, o| {
            let v = match c.state.group(&t.container_id, t.gid) {
                Some(g) => g.name.clone(),
                None if t.gid == 0 => b"root".to_vec(),
                None => b"<NA>".to_vec(),
            };
            o.push(s(v))
        }),
        _ => {
            let _ = ty;
            return Err(unsupported(r, "process field not known to this engine"));
        }
    })
}

fn m_fd_count(st: &State, m: &Thread) -> usize {
    st.fd_table(m).map_or(0, |t| t.len())
}

/// `PPME_PROCINFO_E`.
const PROCINFO_E: u16 = 234;
/// `PPME_SCHEDSWITCH_6_E`.
const SCHEDSWITCH_6_E: u16 = 152;

/// The switch times of `thread.exectime` / `thread.totexectime`.
#[derive(Default)]
struct ExecTimes {
    /// Last switch time per CPU.
    last: Vec<u64>,
    /// Accumulated time per thread (tid, clone time).
    totals: rustc_hash::FxHashMap<(i64, u64), u64>,
}

impl ExecTimes {
    fn exectime(&mut self, c: &EventCtx<'_>) -> u64 {
        if c.event.code != SCHEDSWITCH_6_E {
            return 0;
        }
        if self.last.is_empty() {
            let cpus = c.state.machine_info().map_or(0, |m| m.num_cpus) as usize;
            if cpus == 0 {
                return 0;
            }
            self.last = vec![0; cpus.min(65_536)];
        }
        let ts = c.event.ts;
        let Some(slot) = self.last.get_mut(c.event.cpu as usize) else {
            return 0;
        };
        let prev = std::mem::replace(slot, ts);
        if prev != 0 {
            ts.wrapping_sub(prev)
        } else {
            0
        }
    }
}
