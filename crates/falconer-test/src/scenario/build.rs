//! Compiling a scenario to a scap capture.
//!
//! What a capture made here holds, as captures recorded by Falco's and
//! sysdig's drivers hold it:
//! - machine info, network interfaces (`lo`, `eth0` with `host_ip`,
//!   `docker0`), the user and group lists;
//! - the process list (pid 1 is added when the scenario has none), with
//!   cgroups (`/docker/<64-hex id>` for processes in a container, so
//!   `container.id` works), environment, tty, login uid, and each
//!   process's open fds (0-2 on `/dev/null` or the terminal, plus `fds:`);
//! - one container metadata event per container (the JSON libsinsp's
//!   container engine, and Falco's container plugin, read);
//! - each scenario event as the system calls a program makes, enter and
//!   exit events with the parameter layouts of libs 2022 (which Debian's
//!   sysdig 0.29 and current libs both read): `spawn` is `clone` in the
//!   parent and the child (plus `chdir`/`setuid` in the child when the
//!   child's directory or user differs) then `execve`; `connect` is
//!   `socket` then `connect` (when the fd is not a socket already);
//!   `listen` is `socket`, `bind`, `listen`.
//!
//! Events are 1 ms apart, their exit 2 µs after their enter; the cpu is
//! the pid modulo 2.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use falconer_scap::{
    Event, FdInfo, FdKind, FdList, GroupInfo, Interface, MachineInfo, ParamValue as V, ScapWriter,
    SockAddr, SockTuple, ThreadInfo, UserInfo, UserList,
};
use falconer_text::Span;

use super::{
    EventKind, FdKindSpec, FdRef, OpenCall, Peer, Program, RenameCall, Scenario, UserRef, UserSpec,
};
use crate::diag::Diagnostic;
use crate::yamlread::Spanned;

const AT_FDCWD: i64 = -100;
/// `CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID` in the driver's encoding:
/// what glibc's `fork` passes.
const FORK_FLAGS: u32 = (1 << 23) | (1 << 24);
const O_CLOEXEC: u32 = 4096;
const TTY_PTS0: u32 = 34816;
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const EPHEMERAL_START: u16 = 40_000;
/// Where the first event starts after the metadata (container events
/// are before it).
const STEP_NS: u64 = 1_000_000;
const EXIT_NS: u64 = 2_000;

#[derive(Clone, Debug)]
enum FdModel {
    File {
        path: String,
        flags: u32,
    },
    Inet {
        udp: bool,
        local: Option<SocketAddr>,
        remote: Option<SocketAddr>,
        listening: bool,
    },
    Unix {
        path: String,
    },
}

#[derive(Clone, Debug)]
struct Proc {
    pid: i64,
    ppid: i64,
    program: Program,
    cwd: String,
    uid: u32,
    gid: u32,
    env: Vec<String>,
    container: Option<usize>,
    vpid: i64,
    tty: u32,
    loginuid: u32,
    sid: i64,
    vpgid: i64,
    fds: BTreeMap<i64, FdModel>,
}

struct B<'a> {
    s: &'a Scenario,
    w: ScapWriter<Vec<u8>>,
    ts: u64,
    procs: BTreeMap<i64, Proc>,
    exited: Vec<i64>,
    users: Vec<UserSpec>,
    errs: Vec<Diagnostic>,
    next_port: u16,
    next_vpid: Vec<i64>,
}

/// Compiles a scenario to a capture (the bytes of a `.scap` file).
pub fn build(s: &Scenario) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let mut b = B {
        s,
        w: ScapWriter::new(Vec::new()).map_err(|e| vec![internal(s, e.to_string())])?,
        ts: s.start_ns,
        procs: BTreeMap::new(),
        exited: Vec::new(),
        users: Vec::new(),
        errs: Vec::new(),
        next_port: EPHEMERAL_START,
        next_vpid: vec![1; s.containers.len()],
    };
    b.users();
    b.processes();
    if !b.errs.is_empty() {
        return Err(b.errs);
    }
    if let Err(e) = b.metadata() {
        return Err(vec![internal(s, e)]);
    }
    b.container_events();
    for ev in &s.events {
        b.event(&ev.kind, ev.span);
        if !b.errs.is_empty() {
            return Err(b.errs);
        }
    }
    let bytes = b.w.finish().map_err(|e| vec![internal(s, e.to_string())])?;
    Ok(bytes)
}

fn internal(s: &Scenario, msg: String) -> Diagnostic {
    s.src.error(
        "scenario",
        s.span,
        format!("cannot write the capture: {msg}"),
    )
}

fn nul_list<S: AsRef<str>>(items: &[S]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(i.as_ref().as_bytes());
        out.push(0);
    }
    out
}

/// Joins a path to a directory as the kernel resolves it (no `..`
/// resolution beyond what the scenario writes).
fn absolute(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let mut p = cwd.trim_end_matches('/').to_string();
    p.push('/');
    p.push_str(path.trim_start_matches("./"));
    p
}

impl B<'_> {
    fn error(&mut self, span: Span, msg: impl Into<String>) {
        let d = self.s.src.error("scenario", span, msg);
        self.errs.push(d);
    }

    // ---- users, containers, processes ------------------------------

    fn users(&mut self) {
        self.users.push(UserSpec {
            name: "root".into(),
            uid: 0,
            gid: 0,
            home: "/root".into(),
            shell: "/bin/bash".into(),
            span: Span::empty(0),
        });
        for u in &self.s.users {
            if let Some(o) = self
                .users
                .iter()
                .find(|o| o.uid == u.uid || o.name == u.name)
            {
                let what = if o.uid == u.uid {
                    format!("uid {}", u.uid)
                } else {
                    format!("user '{}'", u.name)
                };
                if o.span.is_empty() {
                    // Redeclaring root as root is harmless.
                    if o.uid == u.uid && o.name == u.name {
                        continue;
                    }
                }
                let span = u.span;
                self.error(span, format!("{what} is declared twice"));
                continue;
            }
            self.users.push(u.clone());
        }
        // Users named by processes and events but not declared get the
        // next free uid from 1000.
        let mut names: Vec<String> = Vec::new();
        let mut add = |r: &Option<UserRef>| {
            if let Some(UserRef::Name(n)) = r {
                names.push(n.value.clone());
            }
        };
        for p in &self.s.processes {
            add(&p.user);
        }
        for e in &self.s.events {
            match &e.kind {
                EventKind::Spawn { user, .. } => add(user),
                EventKind::Setuid { user, .. } => add(&Some(user.clone())),
                _ => {}
            }
        }
        for n in names {
            if self.users.iter().any(|u| u.name == n) {
                continue;
            }
            let mut uid = 1000;
            while self.users.iter().any(|u| u.uid == uid) {
                uid += 1;
            }
            self.users.push(UserSpec {
                home: format!("/home/{n}"),
                name: n,
                uid,
                gid: uid,
                shell: "/bin/bash".into(),
                span: Span::empty(0),
            });
        }
    }

    fn uid_of(&self, r: &UserRef) -> (u32, u32) {
        match r {
            UserRef::Name(n) => self
                .users
                .iter()
                .find(|u| u.name == n.value)
                .map_or((0, 0), |u| (u.uid, u.gid)),
            UserRef::Uid(u) => {
                let gid = self
                    .users
                    .iter()
                    .find(|x| x.uid == u.value)
                    .map_or(u.value, |x| x.gid);
                (u.value, gid)
            }
        }
    }

    fn home_of(&self, uid: u32) -> String {
        self.users
            .iter()
            .find(|u| u.uid == uid)
            .map_or_else(|| "/".to_string(), |u| u.home.clone())
    }

    fn container_of(&mut self, c: &Spanned<String>) -> Option<usize> {
        let t = c.value.to_ascii_lowercase();
        let i = self.s.containers.iter().position(|k| {
            k.name == c.value || k.full_id == t || (t.len() >= 12 && k.full_id.starts_with(&t))
        });
        if i.is_none() {
            let names: Vec<&str> = self.s.containers.iter().map(|k| k.name.as_str()).collect();
            let hint = match falconer_text::suggest(&c.value, names.iter().copied()) {
                Some(s) => format!(" (did you mean '{s}'?)"),
                None if names.is_empty() => " (declare it under containers:)".into(),
                None => format!(" (declared: {})", names.join(", ")),
            };
            self.error(c.span, format!("unknown container '{}'{hint}", c.value));
        }
        i
    }

    fn vpid_for(&mut self, pid: i64, container: Option<usize>) -> i64 {
        match container {
            Some(c) => {
                let v = self.next_vpid[c];
                self.next_vpid[c] += 1;
                v
            }
            None => pid,
        }
    }

    fn local_ip(&self, p: &Proc) -> Ipv4Addr {
        match p.container {
            Some(c) => self.s.containers[c].ip,
            None => self.s.host_ip,
        }
    }

    fn cgroups(&self, container: Option<usize>) -> Vec<String> {
        match container {
            Some(c) => {
                let id = &self.s.containers[c].full_id;
                ["cpuset", "cpu", "cpuacct", "memory", "pids"]
                    .iter()
                    .map(|s| format!("{s}=/docker/{id}"))
                    .collect()
            }
            None => [
                "cpuset=/",
                "cpu=/system.slice",
                "memory=/system.slice",
                "pids=/system.slice",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }

    fn processes(&mut self) {
        let declared: Vec<i64> = self.s.processes.iter().map(|p| p.pid.value).collect();
        if !declared.contains(&1) {
            let program = Program {
                exe: "/usr/lib/systemd/systemd".into(),
                argv0: "/sbin/init".into(),
                args: Vec::new(),
                comm: "systemd".into(),
            };
            self.procs.insert(
                1,
                Proc {
                    pid: 1,
                    ppid: 0,
                    program,
                    cwd: "/".into(),
                    uid: 0,
                    gid: 0,
                    env: vec![DEFAULT_PATH.into()],
                    container: None,
                    vpid: 1,
                    tty: 0,
                    loginuid: u32::MAX,
                    sid: 1,
                    vpgid: 1,
                    fds: default_fds(false),
                },
            );
        }
        for ps in &self.s.processes {
            let pid = ps.pid.value;
            let ppid = match &ps.ppid {
                Some(p) => {
                    if p.value != 0 && !declared.contains(&p.value) && p.value != 1 {
                        let span = p.span;
                        self.error(
                            span,
                            format!("ppid {} is not a process of the scenario (declare it under processes:)", p.value),
                        );
                    }
                    if p.value == pid {
                        let span = p.span;
                        self.error(span, "a process cannot be its own parent");
                    }
                    p.value
                }
                None if pid == 1 => 0,
                None => 1,
            };
            let container = match &ps.container {
                Some(c) => self.container_of(c),
                None => None,
            };
            let (uid, gid0) = match &ps.user {
                Some(u) => self.uid_of(u),
                None => (0, 0),
            };
            let gid = ps.gid.unwrap_or(gid0);
            let env = match &ps.env {
                Some(e) => e.clone(),
                None => vec![DEFAULT_PATH.into(), format!("HOME={}", self.home_of(uid))],
            };
            let vpid = self.vpid_for(pid, container);
            let mut fds = default_fds(ps.tty);
            for f in &ps.fds {
                if f.fd.value <= 2 {
                    // Replaces a standard stream.
                }
                let m = match &f.kind {
                    FdKindSpec::File { path, flags } => FdModel::File {
                        path: absolute(ps.cwd.as_deref().unwrap_or("/"), path),
                        flags: *flags,
                    },
                    FdKindSpec::Listen { addr, udp } => FdModel::Inet {
                        udp: *udp,
                        local: Some(*addr),
                        remote: None,
                        listening: true,
                    },
                };
                if fds.insert(f.fd.value, m).is_some() && f.fd.value > 2 {
                    let span = f.fd.span;
                    self.error(span, format!("fd {} is given twice", f.fd.value));
                }
            }
            self.procs.insert(
                pid,
                Proc {
                    pid,
                    ppid,
                    program: ps.program.clone(),
                    cwd: ps.cwd.clone().unwrap_or_else(|| "/".into()),
                    uid,
                    gid,
                    env,
                    container,
                    vpid,
                    tty: if ps.tty { TTY_PTS0 } else { 0 },
                    loginuid: if ps.tty { uid } else { u32::MAX },
                    sid: pid,
                    vpgid: pid,
                    fds,
                },
            );
        }
        // Processes inherit their parent's session when the parent runs
        // on the same terminal.
        let pids: Vec<i64> = self.procs.keys().copied().collect();
        for pid in pids {
            let (ppid, tty) = (self.procs[&pid].ppid, self.procs[&pid].tty);
            if let Some(parent) = self.procs.get(&ppid) {
                if tty != 0 && parent.tty == tty {
                    let (sid, loginuid) = (parent.sid, parent.loginuid);
                    let Some(p) = self.procs.get_mut(&pid) else {
                        continue;
                    };
                    p.sid = sid;
                    p.loginuid = loginuid;
                }
            }
        }
    }

    fn thread_info(&self, p: &Proc) -> ThreadInfo {
        ThreadInfo {
            tid: p.pid,
            pid: p.pid,
            ptid: p.ppid,
            sid: p.sid,
            vpgid: p.vpgid,
            comm: p.program.comm.clone(),
            exe: p.program.argv0.clone(),
            exepath: p.program.exe.clone(),
            args: p.program.args.clone(),
            cwd: dir_text(&p.cwd),
            fdlimit: 1024,
            uid: p.uid,
            gid: p.gid,
            vmsize_kb: 10_240,
            vmrss_kb: 4_096,
            env: p.env.clone(),
            vtid: p.vpid,
            vpid: p.vpid,
            cgroups: self.cgroups(p.container),
            root: "/".into(),
            tty: p.tty,
            loginuid: p.loginuid,
            ..ThreadInfo::default()
        }
    }

    fn metadata(&mut self) -> Result<(), String> {
        let e = |x: std::io::Error| x.to_string();
        self.w
            .write_machine_info(&MachineInfo {
                num_cpus: 2,
                memory_bytes: 8 << 30,
                max_pid: 4_194_304,
                hostname: self.s.hostname.clone(),
                boot_ts_epoch: self.s.start_ns.saturating_sub(86_400_000_000_000),
                ..MachineInfo::default()
            })
            .map_err(e)?;
        let v4 = |a: [u8; 4]| IpAddr::V4(Ipv4Addr::from(a));
        let host = self.s.host_ip.octets();
        self.w
            .write_interfaces(&[
                Interface {
                    name: "lo".into(),
                    addr: v4([127, 0, 0, 1]),
                    netmask: v4([255, 0, 0, 0]),
                    bcast: v4([127, 0, 0, 1]),
                    linkspeed: 0,
                },
                Interface {
                    name: "eth0".into(),
                    addr: IpAddr::V4(self.s.host_ip),
                    netmask: v4([255, 255, 255, 0]),
                    bcast: v4([host[0], host[1], host[2], 255]),
                    linkspeed: 0,
                },
                Interface {
                    name: "docker0".into(),
                    addr: v4([172, 17, 0, 1]),
                    netmask: v4([255, 255, 0, 0]),
                    bcast: v4([172, 17, 255, 255]),
                    linkspeed: 0,
                },
            ])
            .map_err(e)?;
        let mut groups: Vec<GroupInfo> = Vec::new();
        for u in &self.users {
            if !groups.iter().any(|g| g.gid == u.gid) {
                groups.push(GroupInfo {
                    gid: u.gid,
                    name: u.name.clone(),
                });
            }
        }
        self.w
            .write_users(&UserList {
                users: self
                    .users
                    .iter()
                    .map(|u| UserInfo {
                        uid: u.uid,
                        gid: u.gid,
                        name: u.name.clone(),
                        homedir: u.home.clone(),
                        shell: u.shell.clone(),
                    })
                    .collect(),
                groups,
            })
            .map_err(e)?;
        let threads: Vec<ThreadInfo> = self.procs.values().map(|p| self.thread_info(p)).collect();
        self.w.write_processes(&threads).map_err(e)?;
        let lists: Vec<FdList> = self
            .procs
            .values()
            .map(|p| FdList {
                tid: p.pid as u64,
                fds: p
                    .fds
                    .iter()
                    .map(|(fd, m)| fd_info(*fd, m, self.local_ip(p)))
                    .collect(),
            })
            .collect();
        for l in &lists {
            self.w.write_fds(l).map_err(e)?;
        }
        Ok(())
    }

    fn container_events(&mut self) {
        for c in &self.s.containers {
            let (repo, tag, digest) = split_image(&c.image);
            let json = serde_json::json!({
                "container": {
                    "id": &c.full_id[..12],
                    "full_id": c.full_id,
                    "type": 0,
                    "name": c.name,
                    "image": c.image,
                    "imagerepo": repo,
                    "imagetag": tag,
                    "imagedigest": digest,
                    "imageid": format!("sha256:{}", &super::hex_id(&c.image)),
                    "privileged": c.privileged,
                    "ip": c.ip.to_string(),
                    "lookup_state": 1,
                }
            });
            let mut raw = json.to_string().into_bytes();
            raw.push(0);
            self.ts += 1_000;
            // Code 272 (CONTAINER_JSON_E): both libs generations read it.
            let ev = Event::new(272, self.ts, u64::MAX, 0, &[&raw]);
            let _ = self.w.write_event(&ev);
        }
    }

    // ---- events ----------------------------------------------------

    fn emit(&mut self, tid: i64, code: u16, vals: &[V<'_>]) {
        let cpu = (tid.rem_euclid(2)) as u16;
        match Event::from_values(code, self.ts, tid as u64, cpu, vals) {
            Ok(ev) => {
                if let Err(e) = self.w.write_event(&ev) {
                    let span = self.s.span;
                    self.error(span, format!("cannot write event {code}: {e}"));
                }
            }
            Err(e) => {
                let span = self.s.span;
                self.error(span, format!("cannot encode event {code}: {e}"));
            }
        }
    }

    /// An enter/exit pair.
    fn pair(&mut self, tid: i64, code: u16, enter: &[V<'_>], exit: &[V<'_>]) {
        self.emit(tid, code, enter);
        self.ts += EXIT_NS;
        self.emit(tid, code + 1, exit);
    }

    fn live(&mut self, pid: &Spanned<i64>) -> Option<Proc> {
        match self.procs.get(&pid.value) {
            Some(p) => Some(p.clone()),
            None => {
                let msg = if self.exited.contains(&pid.value) {
                    format!("process {} has exited by now", pid.value)
                } else {
                    format!(
                        "no process {} at this point (declare it under processes:, or spawn it first)",
                        pid.value
                    )
                };
                self.error(pid.span, msg);
                None
            }
        }
    }

    fn new_pid(&mut self, pid: &Spanned<i64>) -> bool {
        if self.procs.contains_key(&pid.value) {
            self.error(pid.span, format!("process {} already exists", pid.value));
            return false;
        }
        true
    }

    fn lowest_fd(p: &Proc) -> i64 {
        let mut fd = 0;
        while p.fds.contains_key(&fd) {
            fd += 1;
        }
        fd
    }

    fn resolve_fd(&mut self, p: &Proc, r: &FdRef) -> Option<i64> {
        match r {
            FdRef::Num(n) => {
                if p.fds.contains_key(&n.value) {
                    Some(n.value)
                } else {
                    self.error(
                        n.span,
                        format!("process {} has no fd {} open", p.pid, n.value),
                    );
                    None
                }
            }
            FdRef::Path(path) => {
                let want = absolute(&p.cwd, &path.value);
                let found = p.fds.iter().rev().find_map(|(fd, m)| match m {
                    FdModel::File { path, .. } | FdModel::Unix { path } if *path == want => {
                        Some(*fd)
                    }
                    _ => None,
                });
                if found.is_none() {
                    self.error(
                        path.span,
                        format!("process {} has no fd open on {want}", p.pid),
                    );
                }
                found
            }
        }
    }

    fn proc_values<'v>(p: &'v Proc, res: V<'v>, args: &'v [u8], cwd: &'v str) -> Vec<V<'v>> {
        vec![
            res,
            V::Str(p.program.argv0.as_bytes()),
            V::Bytes(args),
            V::Pid(p.pid),
            V::Pid(p.pid),
            V::Pid(p.ppid),
            V::Str(cwd.as_bytes()),
        ]
    }

    /// `clone` in the parent and in the child (libs-2022 layout, 20
    /// parameters); the child is added.
    fn clone(&mut self, parent: &Proc, child: Proc) {
        let pargs = nul_list(&parent.program.args);
        let pcwd = dir_text(&parent.cwd);
        let pcg = nul_list(&self.cgroups(parent.container));
        let ccg = nul_list(&self.cgroups(child.container));
        self.ts += STEP_NS;
        self.emit(parent.pid, 222, &[]);
        self.ts += EXIT_NS;
        let mut v = Self::proc_values(parent, V::Pid(child.pid), &pargs, &pcwd);
        v.extend(tail_clone(parent, &pcg, parent.vpid, parent.vpid));
        self.emit(parent.pid, 223, &v);
        self.ts += EXIT_NS;
        // In the child: its own ids, the parent's program.
        let shown = Proc {
            pid: child.pid,
            ppid: parent.pid,
            ..parent.clone()
        };
        let mut v = Self::proc_values(&shown, V::Pid(0), &pargs, &pcwd);
        v.extend(tail_clone(&shown, &ccg, child.vpid, child.vpid));
        self.emit(child.pid, 223, &v);
        self.procs.insert(child.pid, child);
    }

    fn execve(
        &mut self,
        pid: i64,
        program: &Program,
        env: Option<&Vec<String>>,
        error: Option<i64>,
    ) {
        let Some(mut p) = self.procs.get(&pid).cloned() else {
            return;
        };
        self.ts += STEP_NS;
        self.emit(pid, 292, &[V::Str(program.exe.as_bytes())]);
        self.ts += EXIT_NS;
        let ok = error.is_none();
        if ok {
            p.program = program.clone();
            if let Some(e) = env {
                p.env = e.clone();
            }
            p.fds.retain(
                |_, m| !matches!(m, FdModel::File { flags, .. } if *flags & O_CLOEXEC != 0),
            );
        }
        let args = nul_list(&p.program.args);
        let cwd = dir_text(&p.cwd);
        let cg = nul_list(&self.cgroups(p.container));
        let envb = nul_list(&p.env);
        let res = V::Errno(error.map_or(0, |e| -e));
        let mut v = Self::proc_values(&p, res, &args, &cwd);
        v.extend([
            V::Uint(1024),
            V::Uint(0),
            V::Uint(120),
            V::Uint(10_240),
            V::Uint(4_096),
            V::Uint(0),
            V::Str(p.program.comm.as_bytes()),
            V::Bytes(&cg),
            V::Bytes(&envb),
            V::Uint(p.tty as u64),
            V::Pid(p.vpgid),
            V::Uid(p.loginuid),
            V::Flags(0),
        ]);
        self.emit(pid, 293, &v);
        self.procs.insert(pid, p);
    }

    fn setuid_in(&mut self, pid: i64, uid: u32, gid: u32, error: Option<i64>) {
        self.ts += STEP_NS;
        self.pair(
            pid,
            198,
            &[V::Uid(uid)],
            &[V::Errno(error.map_or(0, |e| -e))],
        );
        if error.is_none() {
            if let Some(p) = self.procs.get_mut(&pid) {
                p.uid = uid;
                p.gid = gid;
            }
        }
    }

    fn chdir_in(&mut self, pid: i64, path: &str, error: Option<i64>) {
        self.ts += STEP_NS;
        self.pair(
            pid,
            94,
            &[],
            &[V::Errno(error.map_or(0, |e| -e)), V::Str(path.as_bytes())],
        );
        if error.is_none() {
            if let Some(p) = self.procs.get_mut(&pid) {
                p.cwd = absolute(&p.cwd, path);
            }
        }
    }

    fn socket(&mut self, p: &mut Proc, fd: i64, v6: bool, udp: bool) {
        self.ts += STEP_NS;
        let domain = if v6 { 10 } else { 2 };
        self.pair(
            p.pid,
            18,
            &[
                V::Flags(domain),
                V::Uint(if udp { 2 } else { 1 }),
                V::Uint(0),
            ],
            &[V::Fd(fd)],
        );
        p.fds.insert(
            fd,
            FdModel::Inet {
                udp,
                local: None,
                remote: None,
                listening: false,
            },
        );
    }

    fn event(&mut self, k: &EventKind, span: Span) {
        let err = |e: &Option<i64>| e.map_or(0, |e| -e);
        match k {
            EventKind::Spawn {
                pid,
                ppid,
                program,
                cwd,
                user,
                env,
                container,
            } => {
                let Some(parent) = self.live(ppid) else {
                    return;
                };
                if !self.new_pid(pid) {
                    return;
                }
                let container = match container {
                    Some(c) => match self.container_of(c) {
                        Some(i) => Some(i),
                        None => return,
                    },
                    None => parent.container,
                };
                let vpid = self.vpid_for(pid.value, container);
                let mut fds = parent.fds.clone();
                fds.retain(|_, m| {
                    !matches!(
                        m,
                        FdModel::Inet {
                            listening: true,
                            ..
                        }
                    )
                });
                let child = Proc {
                    pid: pid.value,
                    ppid: parent.pid,
                    container,
                    vpid,
                    vpgid: parent.vpgid,
                    fds,
                    ..parent.clone()
                };
                self.clone(&parent, child);
                if let Some(u) = user {
                    let (uid, gid) = self.uid_of(u);
                    if uid != parent.uid {
                        self.setuid_in(pid.value, uid, gid, None);
                    }
                }
                if let Some(c) = cwd {
                    if absolute(&parent.cwd, c) != parent.cwd {
                        self.chdir_in(pid.value, c, None);
                    }
                }
                self.execve(pid.value, program, env.as_ref(), None);
            }
            EventKind::Fork { pid, ppid } => {
                let Some(parent) = self.live(ppid) else {
                    return;
                };
                if !self.new_pid(pid) {
                    return;
                }
                let vpid = self.vpid_for(pid.value, parent.container);
                let child = Proc {
                    pid: pid.value,
                    ppid: parent.pid,
                    vpid,
                    ..parent.clone()
                };
                self.clone(&parent, child);
            }
            EventKind::Exec {
                pid,
                program,
                env,
                error,
            } => {
                if self.live(pid).is_none() {
                    return;
                }
                self.execve(pid.value, program, env.as_ref(), *error);
            }
            EventKind::Exit { pid, status } => {
                if self.live(pid).is_none() {
                    return;
                }
                self.ts += STEP_NS;
                self.emit(
                    pid.value,
                    186,
                    &[
                        V::Errno((*status & 0xff) << 8),
                        V::Errno(*status & 0xff),
                        V::Uint(0),
                        V::Uint(0),
                    ],
                );
                self.procs.remove(&pid.value);
                self.exited.push(pid.value);
            }
            EventKind::Open {
                pid,
                path,
                flags,
                mode,
                fd,
                error,
                call,
            } => {
                let Some(mut p) = self.live(pid) else { return };
                let n = match fd {
                    Some(f) => {
                        if p.fds.contains_key(&f.value) && error.is_none() {
                            self.error(
                                f.span,
                                format!("fd {} is already open in process {}", f.value, p.pid),
                            );
                            return;
                        }
                        f.value
                    }
                    None => Self::lowest_fd(&p),
                };
                let res = match error {
                    Some(e) => -e,
                    None => n,
                };
                let name = path.as_bytes();
                let (fl, md) = (V::Flags(*flags), V::Uint(*mode as u64));
                self.ts += STEP_NS;
                match call {
                    OpenCall::Openat => self.pair(
                        p.pid,
                        306,
                        &[V::Fd(AT_FDCWD), V::Str(name), fl.clone(), md.clone()],
                        &[
                            V::Fd(res),
                            V::Fd(AT_FDCWD),
                            V::Str(name),
                            fl,
                            md,
                            V::Uint(0x803),
                        ],
                    ),
                    OpenCall::Open => self.pair(
                        p.pid,
                        2,
                        &[V::Str(name), fl.clone(), md.clone()],
                        &[V::Fd(res), V::Str(name), fl, md, V::Uint(0x803)],
                    ),
                    OpenCall::Openat2 => self.pair(
                        p.pid,
                        326,
                        &[
                            V::Fd(AT_FDCWD),
                            V::Str(name),
                            fl.clone(),
                            md.clone(),
                            V::Flags(0),
                        ],
                        &[
                            V::Fd(res),
                            V::Fd(AT_FDCWD),
                            V::Str(name),
                            fl,
                            md,
                            V::Flags(0),
                        ],
                    ),
                    OpenCall::Creat => self.pair(
                        p.pid,
                        58,
                        &[V::Str(name), md.clone()],
                        &[V::Fd(res), V::Str(name), md, V::Uint(0x803)],
                    ),
                }
                if error.is_none() {
                    let flags = if *call == OpenCall::Creat {
                        2 | 4 | 256
                    } else {
                        *flags
                    };
                    p.fds.insert(
                        n,
                        FdModel::File {
                            path: absolute(&p.cwd, path),
                            flags,
                        },
                    );
                    self.procs.insert(p.pid, p);
                }
            }
            EventKind::Close { pid, fd } => {
                let Some(mut p) = self.live(pid) else { return };
                let Some(n) = self.resolve_fd(&p, fd) else {
                    return;
                };
                self.ts += STEP_NS;
                self.pair(p.pid, 4, &[V::Fd(n)], &[V::Errno(0)]);
                p.fds.remove(&n);
                self.procs.insert(p.pid, p);
            }
            EventKind::Read {
                pid,
                fd,
                data,
                error,
            }
            | EventKind::Write {
                pid,
                fd,
                data,
                error,
            } => {
                let Some(p) = self.live(pid) else { return };
                let Some(n) = self.resolve_fd(&p, fd) else {
                    return;
                };
                let code = if matches!(k, EventKind::Read { .. }) {
                    6
                } else {
                    8
                };
                let res = match error {
                    Some(e) => -e,
                    None => data.len() as i64,
                };
                let shown: &[u8] = if error.is_some() { b"" } else { data };
                self.ts += STEP_NS;
                self.pair(
                    p.pid,
                    code,
                    &[V::Fd(n), V::Uint(data.len() as u64)],
                    &[V::Errno(res), V::Bytes(shown)],
                );
            }
            EventKind::Connect {
                pid,
                to,
                from,
                udp,
                fd,
                error,
            } => {
                let Some(mut p) = self.live(pid) else { return };
                let v6 = matches!(to, Peer::Inet(SocketAddr::V6(_)));
                let n = match fd {
                    Some(f) if p.fds.contains_key(&f.value) => {
                        match p.fds.get(&f.value) {
                            Some(FdModel::Inet { .. }) | Some(FdModel::Unix { .. }) => {}
                            _ => {
                                self.error(
                                    f.span,
                                    format!("fd {} of process {} is not a socket", f.value, p.pid),
                                );
                                return;
                            }
                        }
                        f.value
                    }
                    Some(f) => {
                        self.socket_for(&mut p, f.value, to, v6, *udp);
                        f.value
                    }
                    None => {
                        let n = Self::lowest_fd(&p);
                        self.socket_for(&mut p, n, to, v6, *udp);
                        n
                    }
                };
                let res = err(error);
                self.ts += STEP_NS;
                match to {
                    Peer::Unix(path) => {
                        let tuple = if error.is_some() {
                            V::Empty
                        } else {
                            V::SockTuple(SockTuple::Unix {
                                source: 0xffff_9a00_0000_1000 + n as u64 * 0x100,
                                dest: 0xffff_9a00_0000_2000 + n as u64 * 0x100,
                                path: path.as_bytes(),
                            })
                        };
                        self.pair(
                            p.pid,
                            22,
                            &[
                                V::Fd(n),
                                V::SockAddr(SockAddr::Unix {
                                    path: path.as_bytes(),
                                }),
                            ],
                            &[V::Errno(res), tuple],
                        );
                        p.fds.insert(n, FdModel::Unix { path: path.clone() });
                    }
                    Peer::Inet(dst) => {
                        let local = match from {
                            Some(a) => *a,
                            None => {
                                let port = self.next_port;
                                self.next_port =
                                    self.next_port.wrapping_add(1).max(EPHEMERAL_START);
                                match dst {
                                    SocketAddr::V4(_) => {
                                        SocketAddr::new(IpAddr::V4(self.local_ip(&p)), port)
                                    }
                                    SocketAddr::V6(_) => SocketAddr::new(
                                        "fd00::5".parse().expect("an IPv6 address"),
                                        port,
                                    ),
                                }
                            }
                        };
                        let addr = match dst {
                            SocketAddr::V4(a) => SockAddr::Inet {
                                ip: *a.ip(),
                                port: a.port(),
                            },
                            SocketAddr::V6(a) => SockAddr::Inet6 {
                                ip: *a.ip(),
                                port: a.port(),
                            },
                        };
                        let tuple = match (error, inet_tuple(local, *dst)) {
                            (Some(e), _) if *e != 115 => V::Empty,
                            (_, Some(t)) => V::SockTuple(t),
                            (_, None) => {
                                self.error(
                                    span,
                                    "'from' and 'to' must be of the same address family",
                                );
                                return;
                            }
                        };
                        self.pair(
                            p.pid,
                            22,
                            &[V::Fd(n), V::SockAddr(addr)],
                            &[V::Errno(res), tuple],
                        );
                        if error.is_none() || *error == Some(115) {
                            p.fds.insert(
                                n,
                                FdModel::Inet {
                                    udp: *udp,
                                    local: Some(local),
                                    remote: Some(*dst),
                                    listening: false,
                                },
                            );
                        }
                    }
                }
                self.procs.insert(p.pid, p);
            }
            EventKind::Listen { pid, on, udp, fd } => {
                let Some(mut p) = self.live(pid) else { return };
                let n = match fd {
                    Some(f) => {
                        if p.fds.contains_key(&f.value) {
                            self.error(
                                f.span,
                                format!("fd {} is already open in process {}", f.value, p.pid),
                            );
                            return;
                        }
                        f.value
                    }
                    None => Self::lowest_fd(&p),
                };
                self.socket(&mut p, n, on.is_ipv6(), *udp);
                let addr = match on {
                    SocketAddr::V4(a) => SockAddr::Inet {
                        ip: *a.ip(),
                        port: a.port(),
                    },
                    SocketAddr::V6(a) => SockAddr::Inet6 {
                        ip: *a.ip(),
                        port: a.port(),
                    },
                };
                self.ts += STEP_NS;
                self.pair(p.pid, 20, &[V::Fd(n)], &[V::Errno(0), V::SockAddr(addr)]);
                if !*udp {
                    self.ts += STEP_NS;
                    self.pair(p.pid, 24, &[V::Fd(n), V::Int(511)], &[V::Errno(0)]);
                }
                p.fds.insert(
                    n,
                    FdModel::Inet {
                        udp: *udp,
                        local: Some(*on),
                        remote: None,
                        listening: true,
                    },
                );
                self.procs.insert(p.pid, p);
            }
            EventKind::Accept {
                pid,
                fd,
                from,
                newfd,
                error,
            } => {
                let Some(mut p) = self.live(pid) else { return };
                let listening: Vec<(i64, SocketAddr)> = p
                    .fds
                    .iter()
                    .filter_map(|(n, m)| match m {
                        FdModel::Inet {
                            listening: true,
                            local: Some(l),
                            udp: false,
                            ..
                        } => Some((*n, *l)),
                        _ => None,
                    })
                    .collect();
                let server = match fd {
                    Some(f) => match listening.iter().find(|(n, _)| *n == f.value) {
                        Some(x) => *x,
                        None => {
                            self.error(
                                f.span,
                                format!(
                                    "fd {} of process {} is not a listening TCP socket",
                                    f.value, p.pid
                                ),
                            );
                            return;
                        }
                    },
                    None => match listening.as_slice() {
                        [one] => *one,
                        [] => {
                            self.error(span, format!("process {} has no listening socket (add a listen event, or fds: with listen:)", p.pid));
                            return;
                        }
                        _ => {
                            self.error(
                                span,
                                format!(
                                    "process {} listens on several sockets: say which with fd:",
                                    p.pid
                                ),
                            );
                            return;
                        }
                    },
                };
                let n = match newfd {
                    Some(f) => {
                        if p.fds.contains_key(&f.value) {
                            self.error(
                                f.span,
                                format!("fd {} is already open in process {}", f.value, p.pid),
                            );
                            return;
                        }
                        f.value
                    }
                    None => Self::lowest_fd(&p),
                };
                let local_ip = match server.1.ip() {
                    IpAddr::V4(v) if v.is_unspecified() => IpAddr::V4(self.local_ip(&p)),
                    ip => ip,
                };
                let local = SocketAddr::new(local_ip, server.1.port());
                let tuple = match (error, inet_tuple(*from, local)) {
                    (Some(_), _) => V::Empty,
                    (None, Some(t)) => V::SockTuple(t),
                    (None, None) => {
                        self.error(
                            span,
                            "'from' must be of the listening socket's address family",
                        );
                        return;
                    }
                };
                let res = match error {
                    Some(e) => -e,
                    None => n,
                };
                self.ts += STEP_NS;
                self.emit(p.pid, 248, &[V::Int(0)]);
                self.ts += EXIT_NS;
                let accept_x = [V::Fd(res), tuple, V::Uint(0), V::Uint(0), V::Uint(511)];
                self.emit(p.pid, 249, &accept_x);
                if error.is_none() {
                    p.fds.insert(
                        n,
                        FdModel::Inet {
                            udp: false,
                            local: Some(local),
                            remote: Some(*from),
                            listening: false,
                        },
                    );
                }
                self.procs.insert(p.pid, p);
            }
            EventKind::Chmod {
                pid,
                path,
                mode,
                error,
                at,
            } => {
                let Some(p) = self.live(pid) else { return };
                self.ts += STEP_NS;
                let res = V::Errno(err(error));
                if *at {
                    self.pair(
                        p.pid,
                        312,
                        &[],
                        &[
                            res,
                            V::Fd(AT_FDCWD),
                            V::Str(path.as_bytes()),
                            V::Mode(*mode),
                        ],
                    );
                } else {
                    self.pair(
                        p.pid,
                        314,
                        &[],
                        &[res, V::Str(path.as_bytes()), V::Mode(*mode)],
                    );
                }
            }
            EventKind::Rename {
                pid,
                from,
                to,
                error,
                call,
            } => {
                let Some(p) = self.live(pid) else { return };
                self.ts += STEP_NS;
                let res = V::Errno(err(error));
                let (a, b) = (V::Str(from.as_bytes()), V::Str(to.as_bytes()));
                match call {
                    RenameCall::Rename => self.pair(p.pid, 174, &[], &[res, a, b]),
                    RenameCall::Renameat => self.pair(
                        p.pid,
                        176,
                        &[],
                        &[res, V::Fd(AT_FDCWD), a, V::Fd(AT_FDCWD), b],
                    ),
                    RenameCall::Renameat2 => self.pair(
                        p.pid,
                        318,
                        &[],
                        &[res, V::Fd(AT_FDCWD), a, V::Fd(AT_FDCWD), b, V::Flags(0)],
                    ),
                }
            }
            EventKind::Unlink {
                pid,
                path,
                error,
                at,
            } => {
                let Some(p) = self.live(pid) else { return };
                self.ts += STEP_NS;
                let res = V::Errno(err(error));
                if *at {
                    self.pair(
                        p.pid,
                        302,
                        &[],
                        &[res, V::Fd(AT_FDCWD), V::Str(path.as_bytes()), V::Flags(0)],
                    );
                } else {
                    self.pair(p.pid, 300, &[], &[res, V::Str(path.as_bytes())]);
                }
            }
            EventKind::Mkdir {
                pid,
                path,
                mode,
                error,
            } => {
                let Some(p) = self.live(pid) else { return };
                self.ts += STEP_NS;
                self.pair(
                    p.pid,
                    304,
                    &[],
                    &[
                        V::Errno(err(error)),
                        V::Fd(AT_FDCWD),
                        V::Str(path.as_bytes()),
                        V::Uint(*mode as u64),
                    ],
                );
            }
            EventKind::Setuid { pid, user, error } => {
                if self.live(pid).is_none() {
                    return;
                }
                let (uid, gid) = self.uid_of(user);
                self.setuid_in(pid.value, uid, gid, *error);
            }
            EventKind::Setgid { pid, gid, error } => {
                let Some(mut p) = self.live(pid) else { return };
                self.ts += STEP_NS;
                self.pair(p.pid, 200, &[V::Gid(*gid)], &[V::Errno(err(error))]);
                if error.is_none() {
                    p.gid = *gid;
                    self.procs.insert(p.pid, p);
                }
            }
            EventKind::Chdir { pid, path, error } => {
                if self.live(pid).is_none() {
                    return;
                }
                self.chdir_in(pid.value, path, *error);
            }
        }
    }

    fn socket_for(&mut self, p: &mut Proc, fd: i64, to: &Peer, v6: bool, udp: bool) {
        match to {
            Peer::Unix(_) => {
                self.ts += STEP_NS;
                self.pair(
                    p.pid,
                    18,
                    &[V::Flags(1), V::Uint(1), V::Uint(0)],
                    &[V::Fd(fd)],
                );
                p.fds.insert(
                    fd,
                    FdModel::Unix {
                        path: String::new(),
                    },
                );
            }
            Peer::Inet(_) => self.socket(p, fd, v6, udp),
        }
    }
}

/// The tail of a clone exit: comm, cgroups, flags, uid, gid, vtid, vpid.
fn tail_clone<'v>(p: &'v Proc, cg: &'v [u8], vtid: i64, vpid: i64) -> Vec<V<'v>> {
    vec![
        V::Int(1024),
        V::Uint(0),
        V::Uint(120),
        V::Uint(10_240),
        V::Uint(4_096),
        V::Uint(0),
        V::Str(p.program.comm.as_bytes()),
        V::Bytes(cg),
        V::Flags(FORK_FLAGS),
        V::Uint(p.uid as u64),
        V::Uint(p.gid as u64),
        V::Pid(vtid),
        V::Pid(vpid),
    ]
}

/// A directory as the driver reports a cwd: with a trailing slash.
fn dir_text(d: &str) -> String {
    if d.ends_with('/') {
        d.to_string()
    } else {
        format!("{d}/")
    }
}

fn default_fds(tty: bool) -> BTreeMap<i64, FdModel> {
    let dev = if tty { "/dev/pts/0" } else { "/dev/null" };
    (0..3)
        .map(|fd| {
            (
                fd,
                FdModel::File {
                    path: dev.into(),
                    flags: if fd == 0 { 1 } else { 2 },
                },
            )
        })
        .collect()
}

fn fd_info(fd: i64, m: &FdModel, own_ip: Ipv4Addr) -> FdInfo {
    let proto = |udp: bool| if udp { 3 } else { 2 };
    let kind = match m {
        FdModel::File { path, flags } => FdKind::File {
            open_flags: *flags,
            path: path.clone(),
            dev: None,
        },
        FdModel::Inet {
            local: Some(l),
            listening: true,
            udp,
            ..
        } => match l {
            SocketAddr::V4(a) => FdKind::Ipv4Server {
                ip: *a.ip(),
                port: a.port(),
                l4proto: proto(*udp),
            },
            SocketAddr::V6(a) => FdKind::Ipv6Server {
                ip: *a.ip(),
                port: a.port(),
                l4proto: proto(*udp),
            },
        },
        FdModel::Inet {
            local, remote, udp, ..
        } => match (local, remote) {
            (Some(SocketAddr::V6(l)), Some(SocketAddr::V6(r))) => FdKind::Ipv6Socket {
                sip: *l.ip(),
                sport: l.port(),
                dip: *r.ip(),
                dport: r.port(),
                l4proto: proto(*udp),
            },
            _ => {
                let (sip, sport) = match local {
                    Some(SocketAddr::V4(l)) => (*l.ip(), l.port()),
                    _ => (own_ip, 0),
                };
                let (dip, dport) = match remote {
                    Some(SocketAddr::V4(r)) => (*r.ip(), r.port()),
                    _ => (Ipv4Addr::UNSPECIFIED, 0),
                };
                FdKind::Ipv4Socket {
                    sip,
                    sport,
                    dip,
                    dport,
                    l4proto: proto(*udp),
                }
            }
        },
        FdModel::Unix { path } => FdKind::Unix {
            source: 0,
            dest: 0,
            path: path.clone(),
        },
    };
    FdInfo {
        fd,
        ino: 1000 + fd as u64,
        kind,
    }
}

/// The image reference split into repository, tag and digest.
pub fn split_image(image: &str) -> (String, String, String) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, d.to_string()),
        None => (image, String::new()),
    };
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(i) => (
            name[..slash + i].to_string(),
            name[slash + i + 1..].to_string(),
            digest,
        ),
        None => (
            name.to_string(),
            if digest.is_empty() {
                "latest".into()
            } else {
                String::new()
            },
            digest,
        ),
    }
}

/// The tuple of a connection from `src` to `dst` (`None` when their
/// address families differ).
fn inet_tuple(src: SocketAddr, dst: SocketAddr) -> Option<SockTuple<'static>> {
    match (src, dst) {
        (SocketAddr::V4(s), SocketAddr::V4(d)) => Some(SockTuple::Inet {
            sip: *s.ip(),
            sport: s.port(),
            dip: *d.ip(),
            dport: d.port(),
        }),
        (SocketAddr::V6(s), SocketAddr::V6(d)) => Some(SockTuple::Inet6 {
            sip: *s.ip(),
            sport: s.port(),
            dip: *d.ip(),
            dport: d.port(),
        }),
        _ => None,
    }
}
