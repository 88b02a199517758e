//! A hand-built, realistic capture used by the unit tests and by the
//! differential test against sysdig: a login shell forks and execs `curl`
//! (open, read, socket, connect, write, chdir, relative open, dup, close,
//! pipe, a second thread sharing the fd table, thread exit), an nginx
//! worker in a docker container accepts a connection and serves it, a
//! vfork+execve of a writable script that becomes root, opens a directory
//! and `fchdir`s into it, talks to the docker socket and starts a new
//! session, and a thread the capture knows nothing about opens a file.
//!
//! Every event uses the parameter layout of libs 2022 (what sysdig 0.29
//! reads and current libs still accept).

use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr};

use falconer_scap::{
    Event, FdInfo, FdKind, FdList, GroupInfo, Interface, MachineInfo, ParamValue as V, ScapReader,
    ScapWriter, SockAddr, SockTuple, ThreadInfo, UserInfo, UserList,
};

pub(crate) const START_TS: u64 = 1_700_000_000_000_000_000;

pub(crate) const NGINX_CONTAINER: &str =
    "7e1b1c2d3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344";

// Flag bits of the driver (PPM_*).
const O_RDONLY: u32 = 1;
const O_WRONLY: u32 = 2;
const O_RDWR: u32 = 3;
const O_CREAT: u32 = 1 << 2;
const O_TRUNC: u32 = 1 << 8;
const O_DIRECTORY: u32 = 1 << 10;
const O_CLOEXEC: u32 = 1 << 12;
const CL_FILES: u32 = 1 << 0;
const CL_FS: u32 = 1 << 1;
const CL_SIGHAND: u32 = 1 << 11;
const CL_THREAD: u32 = 1 << 13;
const CL_VM: u32 = 1 << 15;
const CL_CHILD_CLEARTID: u32 = 1 << 23;
const CL_CHILD_SETTID: u32 = 1 << 24;
const CL_VFORK: u32 = 1 << 27;
const EXE_WRITABLE: u32 = 1;
const AT_FDCWD: i64 = -100;

struct B {
    w: ScapWriter<Vec<u8>>,
    ts: u64,
}

impl B {
    fn ev(&mut self, tid: i64, code: u16, vals: &[V<'_>]) {
        self.ts += 7_919 + (self.ts % 3) * 1_000;
        let cpu = (tid % 2) as u16;
        let ev = Event::from_values(code, self.ts, tid as u64, cpu, vals)
            .unwrap_or_else(|e| panic!("scenario event {code}: {e}"));
        self.w.write_event(&ev).unwrap();
    }

    fn raw(&mut self, tid: i64, code: u16, params: &[&[u8]]) {
        self.ts += 5_003;
        let ev = Event::new(code, self.ts, tid as u64, 0, params);
        self.w.write_event(&ev).unwrap();
    }

    /// `clone`/`fork`/`vfork` exit (20 parameters).
    #[allow(clippy::too_many_arguments)]
    fn clone_x(
        &mut self,
        code: u16,
        on: i64,
        res: i64,
        (tid, pid, ptid): (i64, i64, i64),
        comm: &str,
        exe: &str,
        args: &[u8],
        cwd: &str,
        cgroups: &[u8],
        flags: u32,
        uid: u32,
    ) {
        self.ev(
            on,
            code,
            &[
                V::Pid(res),
                V::Str(exe.as_bytes()),
                V::Bytes(args),
                V::Pid(tid),
                V::Pid(pid),
                V::Pid(ptid),
                V::Str(cwd.as_bytes()),
                V::Int(1024),
                V::Uint(0),
                V::Uint(120),
                V::Uint(8_200),
                V::Uint(3_100),
                V::Uint(0),
                V::Str(comm.as_bytes()),
                V::Bytes(cgroups),
                V::Flags(flags),
                V::Uint(uid as u64),
                V::Uint(uid as u64),
                V::Pid(tid),
                V::Pid(pid),
            ],
        );
    }

    /// `execve` exit (20 parameters).
    #[allow(clippy::too_many_arguments)]
    fn execve_x(
        &mut self,
        (tid, pid, ptid): (i64, i64, i64),
        comm: &str,
        exe: &str,
        args: &[u8],
        cwd: &str,
        cgroups: &[u8],
        env: &[u8],
        tty: u64,
        vpgid: i64,
        loginuid: u32,
        flags: u32,
    ) {
        self.ev(
            tid,
            293,
            &[
                V::Errno(0),
                V::Str(exe.as_bytes()),
                V::Bytes(args),
                V::Pid(tid),
                V::Pid(pid),
                V::Pid(ptid),
                V::Str(cwd.as_bytes()),
                V::Uint(1024),
                V::Uint(0),
                V::Uint(45),
                V::Uint(10_240),
                V::Uint(4_096),
                V::Uint(0),
                V::Str(comm.as_bytes()),
                V::Bytes(cgroups),
                V::Bytes(env),
                V::Uint(tty),
                V::Pid(vpgid),
                V::Uid(loginuid),
                V::Flags(flags),
            ],
        );
    }

    fn openat(&mut self, tid: i64, fd: i64, dirfd: i64, name: &str, flags: u32) {
        let n = name.as_bytes();
        self.ev(
            tid,
            306,
            &[V::Fd(dirfd), V::Str(n), V::Flags(flags), V::Uint(0o644)],
        );
        self.ev(
            tid,
            307,
            &[
                V::Fd(fd),
                V::Fd(dirfd),
                V::Str(n),
                V::Flags(flags),
                V::Uint(0o644),
                V::Uint(0x803),
            ],
        );
    }

    fn rw(&mut self, tid: i64, write: bool, fd: i64, data: &[u8]) {
        let (e, x) = if write { (8, 9) } else { (6, 7) };
        self.ev(tid, e, &[V::Fd(fd), V::Uint(data.len() as u64)]);
        self.ev(tid, x, &[V::Errno(data.len() as i64), V::Bytes(data)]);
    }

    fn close(&mut self, tid: i64, fd: i64, res: i64) {
        self.ev(tid, 4, &[V::Fd(fd)]);
        self.ev(tid, 5, &[V::Errno(res)]);
    }

    fn socket(&mut self, tid: i64, domain: u32, ty: u64, fd: i64) {
        self.ev(tid, 18, &[V::Flags(domain), V::Uint(ty), V::Uint(0)]);
        self.ev(tid, 19, &[V::Fd(fd)]);
    }

    fn procexit(&mut self, tid: i64) {
        self.ev(
            tid,
            186,
            &[V::Errno(0), V::Errno(0), V::Uint(0), V::Uint(0)],
        );
    }
}

fn nul_list(items: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(i.as_bytes());
        out.push(0);
    }
    out
}

fn host_cgroups() -> Vec<u8> {
    nul_list(&[
        "cpuset=/",
        "cpu=/user.slice/user-1000.slice/session-3.scope",
        "memory=/user.slice/user-1000.slice/session-3.scope",
    ])
}

fn docker_cgroups() -> Vec<String> {
    ["cpuset", "cpu", "memory"]
        .iter()
        .map(|s| format!("{s}=/docker/{NGINX_CONTAINER}"))
        .collect()
}

fn proc_entry(tid: i64, pid: i64, ptid: i64, comm: &str, exepath: &str) -> ThreadInfo {
    ThreadInfo {
        tid,
        pid,
        ptid,
        sid: pid,
        vpgid: pid,
        comm: comm.into(),
        exe: comm.into(),
        exepath: exepath.into(),
        cwd: "/".into(),
        fdlimit: 1024,
        vtid: tid,
        vpid: pid,
        cgroups: vec!["cpuset=/".into(), "cpu=/system.slice".into()],
        root: "/".into(),
        loginuid: u32::MAX,
        ..ThreadInfo::default()
    }
}

fn file(fd: i64, path: &str, flags: u32) -> FdInfo {
    FdInfo {
        fd,
        ino: 1000 + fd as u64,
        kind: FdKind::File {
            open_flags: flags,
            path: path.into(),
            dev: None,
        },
    }
}

/// The capture, as bytes.
pub(crate) fn realistic_capture() -> Vec<u8> {
    let mut w = ScapWriter::new(Vec::new()).unwrap();
    w.write_machine_info(&MachineInfo {
        num_cpus: 2,
        memory_bytes: 4 << 30,
        max_pid: 4_194_304,
        hostname: "scenario".into(),
        ..MachineInfo::default()
    })
    .unwrap();
    w.write_interfaces(&[
        Interface {
            name: "lo".into(),
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            netmask: IpAddr::V4(Ipv4Addr::new(255, 0, 0, 0)),
            bcast: IpAddr::V4(Ipv4Addr::LOCALHOST),
            linkspeed: 0,
        },
        Interface {
            name: "eth0".into(),
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            netmask: IpAddr::V4(Ipv4Addr::new(255, 255, 255, 0)),
            bcast: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 255)),
            linkspeed: 0,
        },
    ])
    .unwrap();
    w.write_users(&UserList {
        users: vec![
            UserInfo {
                uid: 0,
                gid: 0,
                name: "root".into(),
                homedir: "/root".into(),
                shell: "/bin/bash".into(),
            },
            UserInfo {
                uid: 1000,
                gid: 1000,
                name: "alice".into(),
                homedir: "/home/alice".into(),
                shell: "/bin/zsh".into(),
            },
            UserInfo {
                uid: 33,
                gid: 33,
                name: "www-data".into(),
                homedir: "/var/www".into(),
                shell: "/usr/sbin/nologin".into(),
            },
        ],
        groups: vec![
            GroupInfo {
                gid: 0,
                name: "root".into(),
            },
            GroupInfo {
                gid: 33,
                name: "www-data".into(),
            },
            GroupInfo {
                gid: 1000,
                name: "alice".into(),
            },
        ],
    })
    .unwrap();
    let systemd = proc_entry(1, 1, 0, "systemd", "/usr/lib/systemd/systemd");
    let sshd = ThreadInfo {
        sid: 700,
        ..proc_entry(700, 700, 1, "sshd", "/usr/sbin/sshd")
    };
    let bash = ThreadInfo {
        args: vec!["--login".into()],
        cwd: "/home/alice/".into(),
        uid: 1000,
        gid: 1000,
        tty: 34816,
        loginuid: 1000,
        env: vec!["HOME=/home/alice".into(), "TERM=xterm".into()],
        cgroups: host_cgroups()
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
        ..proc_entry(1000, 1000, 700, "bash", "/usr/bin/bash")
    };
    let nginx = ThreadInfo {
        args: vec!["-g".into(), "daemon off;".into()],
        uid: 33,
        gid: 33,
        vtid: 7,
        vpid: 7,
        cgroups: docker_cgroups(),
        ..proc_entry(2000, 2000, 1, "nginx", "/usr/sbin/nginx")
    };
    let nginx_thread = ThreadInfo {
        vtid: 8,
        ..nginx.clone()
    };
    // scap's process scan marks threads as sharing the fd table.
    let nginx_thread = ThreadInfo {
        tid: 2001,
        flags: CL_THREAD | CL_FILES,
        ..nginx_thread
    };
    w.write_processes(&[systemd, sshd, bash, nginx, nginx_thread])
        .unwrap();
    w.write_fds(&FdList {
        tid: 1000,
        fds: vec![
            file(0, "/dev/pts/0", O_RDWR),
            file(1, "/dev/pts/0", O_RDWR),
            file(2, "/dev/pts/0", O_RDWR),
        ],
    })
    .unwrap();
    w.write_fds(&FdList {
        tid: 2000,
        fds: vec![
            file(3, "/var/log/nginx/access.log", O_WRONLY),
            FdInfo {
                fd: 6,
                ino: 0,
                kind: FdKind::Ipv4Server {
                    ip: Ipv4Addr::UNSPECIFIED,
                    port: 80,
                    l4proto: 2,
                },
            },
        ],
    })
    .unwrap();
    let mut b = B { w, ts: START_TS };

    // Container metadata (code 272: one NUL-terminated JSON CHARBUF).
    let json = format!(
        concat!(
            "{{\"container\":{{\"id\":\"{}\",\"full_id\":\"{}\",\"type\":0,\"name\":\"frontend\",",
            "\"image\":\"docker.io/library/nginx:1.25\",\"imagerepo\":\"docker.io/library/nginx\",",
            "\"imagetag\":\"1.25\",\"imageid\":\"sha256:abc\",\"privileged\":false,\"ip\":\"172.17.0.2\",",
            "\"lookup_state\":1}}}}\u{0}"
        ),
        &NGINX_CONTAINER[..12],
        NGINX_CONTAINER
    );
    b.raw(-1, 272, &[json.as_bytes()]);

    // bash forks (the parent's clone exit comes first) and the child execs curl.
    let hc = host_cgroups();
    let fork_flags = CL_CHILD_CLEARTID | CL_CHILD_SETTID;
    b.ev(1000, 222, &[]);
    b.clone_x(
        223,
        1000,
        1001,
        (1000, 1000, 700),
        "bash",
        "bash",
        b"--login\0",
        "/home/alice/",
        &hc,
        fork_flags,
        1000,
    );
    b.clone_x(
        223,
        1001,
        0,
        (1001, 1001, 1000),
        "bash",
        "bash",
        b"--login\0",
        "/home/alice/",
        &hc,
        fork_flags,
        1000,
    );
    b.ev(1001, 292, &[V::Str(b"/usr/bin/curl")]);
    b.execve_x(
        (1001, 1001, 1000),
        "curl",
        "curl",
        &nul_list(&["-s", "-o", "out.html", "http://example.com/"]),
        "/home/alice/",
        &hc,
        &nul_list(&["HOME=/home/alice", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]),
        34816,
        1001,
        1000,
        0,
    );
    b.openat(1001, 3, AT_FDCWD, "/etc/hosts", O_RDONLY | O_CLOEXEC);
    b.rw(1001, false, 3, b"127.0.0.1 localhost\n");
    b.openat(1001, -2, AT_FDCWD, "/etc/curlrc", O_RDONLY);
    b.socket(1001, 2, 1, 4);
    let remote = Ipv4Addr::new(93, 184, 216, 34);
    b.ev(
        1001,
        22,
        &[
            V::Fd(4),
            V::SockAddr(SockAddr::Inet {
                ip: remote,
                port: 80,
            }),
        ],
    );
    b.ev(
        1001,
        23,
        &[
            V::Errno(0),
            V::SockTuple(SockTuple::Inet {
                sip: Ipv4Addr::new(10, 0, 0, 5),
                sport: 45_678,
                dip: remote,
                dport: 80,
            }),
        ],
    );
    b.rw(
        1001,
        true,
        4,
        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
    b.rw(1001, false, 4, b"HTTP/1.1 200 OK\r\n");
    b.ev(1001, 94, &[]);
    b.ev(1001, 95, &[V::Errno(0), V::Str(b"/tmp")]);
    b.openat(1001, 5, AT_FDCWD, "out.html", O_WRONLY | O_CREAT | O_TRUNC);
    // dup (codes 124/125 in libs 2022: fd in, new fd out).
    b.raw(1001, 124, &[&5i64.to_le_bytes()]);
    b.raw(1001, 125, &[&6i64.to_le_bytes()]);
    b.close(1001, 5, 0);
    b.rw(1001, true, 6, b"<html></html>");
    b.ev(1001, 60, &[]);
    b.ev(
        1001,
        61,
        &[V::Errno(0), V::Fd(7), V::Fd(8), V::Uint(987_654)],
    );
    b.close(1001, 3, 0);
    b.ev(1001, 6, &[V::Fd(3), V::Uint(16)]);
    b.ev(1001, 7, &[V::Errno(-9), V::Bytes(b"")]);
    // A second thread of curl: shares the fd table and the cwd.
    let thread_flags = CL_VM | CL_FS | CL_FILES | CL_SIGHAND | CL_THREAD;
    b.ev(1001, 222, &[]);
    b.clone_x(
        223,
        1001,
        1002,
        (1001, 1001, 1000),
        "curl",
        "curl",
        b"-s\0-o\0out.html\0http://example.com/\0",
        "/tmp",
        &hc,
        thread_flags,
        1000,
    );
    b.clone_x(
        223,
        1002,
        0,
        (1002, 1001, 1000),
        "curl",
        "curl",
        b"-s\0-o\0out.html\0http://example.com/\0",
        "/tmp",
        &hc,
        thread_flags,
        1000,
    );
    b.openat(1002, 9, AT_FDCWD, "cache.db", O_RDWR | O_CREAT);
    b.rw(1002, true, 6, b"more");
    b.rw(1001, false, 9, b"x");
    b.procexit(1002);
    b.rw(1001, true, 4, b"bye");
    b.close(1001, 4, 0);

    // nginx (in a container) accepts a connection on its listening socket.
    b.ev(2000, 248, &[V::Int(0)]);
    b.raw(
        2000,
        249,
        &[
            &10i64.to_le_bytes(),
            &inet_tuple([203, 0, 113, 7], 51_000, [172, 17, 0, 2], 80),
            &[3u8],
            &1u32.to_le_bytes(),
            &511u32.to_le_bytes(),
        ],
    );
    b.ev(2000, 34, &[V::Fd(10), V::Uint(1024)]);
    b.ev(
        2000,
        35,
        &[
            V::Errno(78),
            V::Bytes(b"GET /index.html HTTP/1.1\r\n"),
            V::Empty,
        ],
    );
    b.rw(2001, true, 3, b"203.0.113.7 - - GET /index.html 200\n");
    b.openat(
        2001,
        11,
        AT_FDCWD,
        "/usr/share/nginx/html/index.html",
        O_RDONLY,
    );
    b.rw(2000, true, 10, b"HTTP/1.1 200 OK\r\n\r\n");
    b.close(2000, 11, 0);
    b.close(2000, 10, 0);

    // bash vforks a writable script that becomes root. The parent is
    // suspended until the child execs: the child's events come first.
    b.ev(1000, 226, &[]);
    let vfork_flags = CL_VM | CL_VFORK;
    b.clone_x(
        227,
        1003,
        0,
        (1003, 1003, 1000),
        "bash",
        "bash",
        b"--login\0",
        "/home/alice/",
        &hc,
        vfork_flags,
        1000,
    );
    b.ev(1003, 292, &[V::Str(b"/home/alice/run.sh")]);
    b.execve_x(
        (1003, 1003, 1000),
        "run.sh",
        "/home/alice/run.sh",
        &nul_list(&["--fast"]),
        "/home/alice/",
        &hc,
        &nul_list(&["HOME=/home/alice"]),
        34816,
        1003,
        1000,
        EXE_WRITABLE,
    );
    b.clone_x(
        227,
        1000,
        1003,
        (1000, 1000, 700),
        "bash",
        "bash",
        b"--login\0",
        "/home/alice/",
        &hc,
        vfork_flags,
        1000,
    );
    b.ev(1003, 198, &[V::Uid(0)]);
    b.ev(1003, 199, &[V::Errno(0)]);
    b.openat(1003, 3, AT_FDCWD, "/var", O_RDONLY | O_DIRECTORY);
    b.ev(1003, 96, &[V::Fd(3)]);
    b.ev(1003, 97, &[V::Errno(0)]);
    b.openat(1003, 4, AT_FDCWD, "log/syslog", O_RDONLY);
    b.socket(1003, 1, 1, 5);
    b.ev(
        1003,
        22,
        &[
            V::Fd(5),
            V::SockAddr(SockAddr::Unix {
                path: b"/var/run/docker.sock",
            }),
        ],
    );
    b.ev(
        1003,
        23,
        &[
            V::Errno(0),
            V::SockTuple(SockTuple::Unix {
                source: 0xffff_9a00_0000_1000,
                dest: 0xffff_9a00_0000_2000,
                path: b"/var/run/docker.sock",
            }),
        ],
    );
    b.rw(1003, true, 5, b"GET /containers/json HTTP/1.1\r\n\r\n");
    b.ev(1003, 274, &[]);
    b.ev(1003, 275, &[V::Pid(1003)]);
    b.ev(1003, 62, &[V::Uint(0), V::Flags(0)]);
    b.ev(1003, 63, &[V::Fd(6)]);
    b.procexit(1003);
    b.procexit(1001);

    // A thread the capture has no entry for.
    b.openat(4242, 3, AT_FDCWD, "/etc/passwd", O_RDONLY);
    b.close(4242, 3, 0);
    b.w.finish().unwrap()
}

fn inet_tuple(sip: [u8; 4], sport: u16, dip: [u8; 4], dport: u16) -> Vec<u8> {
    let mut v = vec![2u8];
    v.extend_from_slice(&sip);
    v.extend_from_slice(&sport.to_le_bytes());
    v.extend_from_slice(&dip);
    v.extend_from_slice(&dport.to_le_bytes());
    v
}

/// The capture read back: its reader (metadata) and its events, numbered.
pub(crate) fn realistic_events() -> (ScapReader<Cursor<Vec<u8>>>, Vec<Event>) {
    let mut r = ScapReader::new(Cursor::new(realistic_capture())).unwrap();
    let mut evs = Vec::new();
    while let Some(e) = r.next_event() {
        evs.push(e.unwrap());
    }
    (r, evs)
}
