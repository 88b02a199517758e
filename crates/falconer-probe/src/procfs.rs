//! The state at start, read from /proc (what libscap's /proc scan reads):
//! processes and threads, their open files and sockets, users and groups,
//! network interfaces and machine information. Processes that exit while
//! being read are skipped; nothing here panics on odd /proc contents.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use falconer_scap::state::fd::l4;
use falconer_scap::{
    fd_types, FdInfo, FdKind, FdList, GroupInfo, Interface, MachineInfo, ThreadInfo, UserInfo,
    UserList,
};

use crate::convert::{open_flags_to_ppm, ppm_cl};

/// The cgroup subsystems recorded, as the kernel side records them.
const CGROUP_SUBSYSTEMS: &[&str] = &["cpuset", "cpu", "cpuacct", "blkio", "io", "memory"];

fn read(path: &str) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn readlink(path: &str) -> Option<String> {
    std::fs::read_link(path)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

fn nul_list(b: &[u8]) -> Vec<String> {
    b.split(|&c| c == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// Fields of /proc/<pid>/stat after the command name.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let close = stat.rfind(')')?;
    Some(stat[close + 1..].split_whitespace().collect())
}

fn status_value<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
        .map(|l| l[key.len() + 1..].trim())
}

/// The last number of an `NSpid:`-style line (the innermost namespace).
fn last_number(v: Option<&str>) -> Option<i64> {
    v?.split_whitespace().last()?.parse().ok()
}

/// `subsys=path` entries of /proc/<pid>/cgroup for the recorded subsystems.
pub fn parse_cgroups(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        for c in ctrls.split(',') {
            if CGROUP_SUBSYSTEMS.contains(&c) {
                out.push(format!("{c}={path}"));
            }
        }
    }
    out
}

/// Encodes a tty device number as the drivers do (`new_encode_dev`).
fn tty_of(stat_tty_nr: i64) -> u32 {
    // /proc gives the userspace encoding already.
    stat_tty_nr as u32
}

/// One thread's entry.
fn thread_info(pid: i64, tid: i64) -> Option<ThreadInfo> {
    let base = format!("/proc/{pid}/task/{tid}");
    let stat = read(&format!("{base}/stat"))?;
    let status = read(&format!("{base}/status"))?;
    let f = stat_fields(&stat)?;
    // f[0] = state, f[1] = ppid, f[2] = pgrp, f[3] = session, f[4] = tty_nr,
    // f[7] = minflt, f[9] = majflt.
    let num = |i: usize| f.get(i).and_then(|s| s.parse::<i64>().ok());
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut args = nul_list(&cmdline);
    let comm = read(&format!("{base}/comm"))
        .map(|s| s.trim_end_matches('\n').to_string())
        .unwrap_or_default();
    let exe = if args.is_empty() {
        comm.clone()
    } else {
        args.remove(0)
    };
    let env = std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| nul_list(&b))
        .unwrap_or_default();
    let mut cwd = readlink(&format!("/proc/{pid}/cwd")).unwrap_or_default();
    if !cwd.ends_with('/') {
        cwd.push('/');
    }
    let ids = |key: &str| -> (u32, u32) {
        let v: Vec<u32> = status_value(&status, key)
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        (
            v.first().copied().unwrap_or(0),
            v.get(1).copied().unwrap_or(0),
        )
    };
    let (_, euid) = ids("Uid");
    let (_, egid) = ids("Gid");
    let caps = |key: &str| {
        status_value(&status, key)
            .and_then(|v| u64::from_str_radix(v, 16).ok())
            .unwrap_or(0)
    };
    let kb = |key: &str| -> u32 {
        status_value(&status, key)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let fdlimit = read(&format!("/proc/{pid}/limits"))
        .and_then(|l| {
            l.lines()
                .find(|x| x.starts_with("Max open files"))
                .and_then(|x| x["Max open files".len()..].split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0);
    let loginuid = read(&format!("/proc/{pid}/loginuid"))
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(u32::MAX);
    let cgroups = read(&format!("/proc/{pid}/cgroup"))
        .map(|c| parse_cgroups(&c))
        .unwrap_or_default();
    let root = readlink(&format!("/proc/{pid}/root")).unwrap_or_else(|| "/".into());
    let ppid = num(1).unwrap_or(0);
    let mut flags = 0;
    if tid != pid {
        flags |= ppm_cl::CLONE_THREAD | ppm_cl::CLONE_FILES;
    }
    Some(ThreadInfo {
        tid,
        pid,
        ptid: ppid,
        sid: num(3).unwrap_or(-1),
        vpgid: num(2).unwrap_or(-1),
        pgid: num(2).unwrap_or(-1),
        comm,
        exe,
        exepath: readlink(&format!("/proc/{pid}/exe")).unwrap_or_default(),
        args,
        cwd,
        fdlimit,
        flags,
        uid: euid,
        gid: egid,
        vmsize_kb: kb("VmSize"),
        vmrss_kb: kb("VmRSS"),
        vmswap_kb: kb("VmSwap"),
        pfmajor: num(9).unwrap_or(0) as u64,
        pfminor: num(7).unwrap_or(0) as u64,
        env,
        vtid: last_number(status_value(&status, "NSpid")).unwrap_or(tid),
        vpid: last_number(status_value(&status, "NStgid")).unwrap_or(pid),
        cgroups,
        root,
        tty: tty_of(num(4).unwrap_or(0)),
        loginuid,
        cap_inheritable: caps("CapInh"),
        cap_permitted: caps("CapPrm"),
        cap_effective: caps("CapEff"),
        ..ThreadInfo::default()
    })
}

/// Sockets of one network namespace, by inode.
type SockTable = HashMap<u64, FdKind>;

fn hex_v4(s: &str) -> Option<(Ipv4Addr, u16)> {
    let (a, p) = s.split_once(':')?;
    let ip = u32::from_str_radix(a, 16).ok()?;
    let port = u16::from_str_radix(p, 16).ok()?;
    // The kernel prints the address as the host-order value of the
    // network-order bytes.
    Some((Ipv4Addr::from(ip.to_le_bytes()), port))
}

fn hex_v6(s: &str) -> Option<(Ipv6Addr, u16)> {
    let (a, p) = s.split_once(':')?;
    if a.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for w in 0..4 {
        let word = u32::from_str_radix(&a[w * 8..w * 8 + 8], 16).ok()?;
        bytes[w * 4..w * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    let port = u16::from_str_radix(p, 16).ok()?;
    Some((Ipv6Addr::from(bytes), port))
}

fn read_inet(table: &mut SockTable, path: &str, v6: bool, proto: u8) {
    let Some(text) = read(path) else { return };
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 {
            continue;
        }
        let Ok(ino) = f[9].parse::<u64>() else {
            continue;
        };
        if ino == 0 {
            continue;
        }
        let listen = f[3] == "0A";
        let kind = if v6 {
            let (Some((sip, sport)), Some((dip, dport))) = (hex_v6(f[1]), hex_v6(f[2])) else {
                continue;
            };
            if listen || (proto == l4::UDP && dport == 0) {
                FdKind::Ipv6Server {
                    ip: sip,
                    port: sport,
                    l4proto: proto,
                }
            } else {
                FdKind::Ipv6Socket {
                    sip,
                    dip,
                    sport,
                    dport,
                    l4proto: proto,
                }
            }
        } else {
            let (Some((sip, sport)), Some((dip, dport))) = (hex_v4(f[1]), hex_v4(f[2])) else {
                continue;
            };
            if listen || (proto == l4::UDP && dport == 0) {
                FdKind::Ipv4Server {
                    ip: sip,
                    port: sport,
                    l4proto: proto,
                }
            } else {
                FdKind::Ipv4Socket {
                    sip,
                    dip,
                    sport,
                    dport,
                    l4proto: proto,
                }
            }
        };
        table.insert(ino, kind);
    }
}

fn read_unix(table: &mut SockTable, path: &str) {
    let Some(text) = read(path) else { return };
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 7 {
            continue;
        }
        let Ok(ino) = f[6].parse::<u64>() else {
            continue;
        };
        let source = u64::from_str_radix(f[0].trim_end_matches(':'), 16).unwrap_or(0);
        table.insert(
            ino,
            FdKind::Unix {
                source,
                dest: 0,
                path: f.get(7).map(|s| s.to_string()).unwrap_or_default(),
            },
        );
    }
}

fn socket_table(pid: i64) -> SockTable {
    let mut t = SockTable::new();
    let net = format!("/proc/{pid}/net");
    read_inet(&mut t, &format!("{net}/tcp"), false, l4::TCP);
    read_inet(&mut t, &format!("{net}/udp"), false, l4::UDP);
    read_inet(&mut t, &format!("{net}/tcp6"), true, l4::TCP);
    read_inet(&mut t, &format!("{net}/udp6"), true, l4::UDP);
    read_unix(&mut t, &format!("{net}/unix"));
    t
}

/// The open fds of a process.
fn fd_list(pid: i64, sockets: &mut HashMap<u64, SockTable>) -> FdList {
    let mut fds = Vec::new();
    let dir = format!("/proc/{pid}/fd");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return FdList {
            tid: pid as u64,
            fds,
        };
    };
    for e in entries.flatten() {
        let Some(fd) = e.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let Some(target) = readlink(&format!("{dir}/{fd}")) else {
            continue;
        };
        let fdinfo = read(&format!("/proc/{pid}/fdinfo/{fd}")).unwrap_or_default();
        let flags = status_value(&fdinfo, "flags")
            .and_then(|v| u64::from_str_radix(v, 8).ok())
            .unwrap_or(0);
        let ino_of = |s: &str| -> u64 {
            s.rsplit_once('[')
                .and_then(|(_, r)| r.trim_end_matches(']').parse().ok())
                .unwrap_or(0)
        };
        let (kind, ino) = if let Some(rest) = target.strip_prefix("socket:") {
            let ino = ino_of(rest);
            let net_ino = std::fs::metadata(format!("/proc/{pid}/ns/net"))
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
                .unwrap_or(0);
            let table = sockets.entry(net_ino).or_insert_with(|| socket_table(pid));
            match table.get(&ino) {
                Some(k) => (k.clone(), ino),
                None => (
                    FdKind::Unknown {
                        fd_type: fd_types::UNKNOWN,
                    },
                    ino,
                ),
            }
        } else if let Some(rest) = target.strip_prefix("pipe:") {
            (
                FdKind::Named {
                    fd_type: fd_types::FIFO,
                    name: String::new(),
                },
                ino_of(rest),
            )
        } else if let Some(rest) = target.strip_prefix("anon_inode:") {
            // Types libs 2022 knows; the newer ones (bpf, userfaultfd,
            // io_uring, pidfd) are written as unsupported so that every
            // reader accepts the fd list.
            let t = match rest.trim_matches(|c| c == '[' || c == ']') {
                "eventfd" => fd_types::EVENT,
                "signalfd" => fd_types::SIGNALFD,
                "eventpoll" => fd_types::EVENTPOLL,
                "inotify" => fd_types::INOTIFY,
                "timerfd" => fd_types::TIMERFD,
                _ => fd_types::UNSUPPORTED,
            };
            (
                FdKind::Named {
                    fd_type: t,
                    name: String::new(),
                },
                0,
            )
        } else if target.starts_with('/') {
            let meta = std::fs::metadata(format!("{dir}/{fd}")).ok();
            let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
            let ino = meta
                .as_ref()
                .map(std::os::unix::fs::MetadataExt::ino)
                .unwrap_or(0);
            if is_dir {
                (
                    FdKind::Named {
                        fd_type: fd_types::DIRECTORY,
                        name: target,
                    },
                    ino,
                )
            } else {
                let dev = meta
                    .as_ref()
                    .map(|m| std::os::unix::fs::MetadataExt::dev(m) as u32);
                (
                    FdKind::File {
                        open_flags: open_flags_to_ppm(flags),
                        path: target,
                        dev,
                    },
                    ino,
                )
            }
        } else {
            continue;
        };
        fds.push(FdInfo { fd, ino, kind });
    }
    fds.sort_by_key(|f| f.fd);
    FdList {
        tid: pid as u64,
        fds,
    }
}

/// Processes and threads to seed: every one, or only the listed
/// processes (all their threads).
pub fn scan(only: Option<&[i64]>) -> (Vec<ThreadInfo>, Vec<FdList>) {
    let mut pids: Vec<i64> = match only {
        Some(p) => p.to_vec(),
        None => std::fs::read_dir("/proc")
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                    .collect()
            })
            .unwrap_or_default(),
    };
    pids.sort_unstable();
    pids.dedup();
    let mut threads = Vec::new();
    let mut fds = Vec::new();
    let mut sockets = HashMap::new();
    for pid in pids {
        let tids: Vec<i64> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                    .collect()
            })
            .unwrap_or_default();
        let mut any = false;
        for tid in tids {
            if let Some(t) = thread_info(pid, tid) {
                threads.push(t);
                any = true;
            }
        }
        if any {
            fds.push(fd_list(pid, &mut sockets));
        }
    }
    threads.sort_by_key(|t| (t.pid, t.tid));
    (threads, fds)
}

/// `pid` and its ancestors up to init, parent first after `pid`.
pub fn ancestry(pid: i64) -> Vec<i64> {
    let mut out = vec![pid];
    let mut cur = pid;
    for _ in 0..4096 {
        let Some(stat) = read(&format!("/proc/{cur}/stat")) else {
            break;
        };
        let Some(ppid) =
            stat_fields(&stat).and_then(|f| f.get(1).and_then(|s| s.parse::<i64>().ok()))
        else {
            break;
        };
        if ppid <= 0 || out.contains(&ppid) {
            break;
        }
        out.push(ppid);
        cur = ppid;
    }
    out
}

/// Users and groups of the machine (/etc/passwd, /etc/group).
pub fn users() -> UserList {
    let mut list = UserList::default();
    if let Some(p) = read("/etc/passwd") {
        for line in p.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 7 {
                continue;
            }
            let (Ok(uid), Ok(gid)) = (f[2].parse(), f[3].parse()) else {
                continue;
            };
            list.users.push(UserInfo {
                uid,
                gid,
                name: f[0].into(),
                homedir: f[5].into(),
                shell: f[6].into(),
            });
        }
    }
    if let Some(g) = read("/etc/group") {
        for line in g.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 3 {
                continue;
            }
            if let Ok(gid) = f[2].parse() {
                list.groups.push(GroupInfo {
                    gid,
                    name: f[0].into(),
                });
            }
        }
    }
    list
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write into.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Realtime minus boot time (ns): added to the kernel's boot-clock times.
pub fn boot_offset() -> u64 {
    // Read both clocks close together, keep the narrowest bracket.
    let mut best = (u64::MAX, 0u64);
    for _ in 0..5 {
        let b1 = clock_ns(libc::CLOCK_BOOTTIME);
        let r = clock_ns(libc::CLOCK_REALTIME);
        let b2 = clock_ns(libc::CLOCK_BOOTTIME);
        let width = b2 - b1;
        if width < best.0 {
            best = (width, r.wrapping_sub(b1 + width / 2));
        }
    }
    best.1
}

pub fn machine_info() -> MachineInfo {
    // SAFETY: sysconf has no preconditions.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as u32;
    let mem = read("/proc/meminfo")
        .and_then(|m| {
            status_value(&m, "MemTotal")
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024;
    let max_pid = read("/proc/sys/kernel/pid_max")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(32768);
    let hostname = read("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    MachineInfo {
        num_cpus: cpus,
        memory_bytes: mem,
        max_pid,
        hostname,
        boot_ts_epoch: boot_offset(),
        ..MachineInfo::default()
    }
}

/// The machine's IPv4 and IPv6 interface addresses.
pub fn interfaces() -> Vec<Interface> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list freed below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string.
        let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: the address pointers are valid sockaddrs of their family.
        let addr = unsafe { sockaddr_ip(ifa.ifa_addr) };
        let mask = unsafe { sockaddr_ip(ifa.ifa_netmask) };
        let bcast = unsafe { sockaddr_ip(ifa.ifa_ifu) };
        if let Some(a) = addr {
            let zero = match a {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            };
            out.push(Interface {
                name,
                addr: a,
                netmask: mask.unwrap_or(zero),
                bcast: bcast.filter(|b| b.is_ipv4() == a.is_ipv4()).unwrap_or(zero),
                linkspeed: 0,
            });
        }
    }
    // SAFETY: frees the list getifaddrs allocated.
    unsafe { libc::freeifaddrs(head) };
    out
}

/// # Safety
/// `sa` is null or points to a sockaddr of its family's size.
unsafe fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: per the function's contract.
    unsafe {
        match (*sa).sa_family as i32 {
            libc::AF_INET => {
                let s = &*(sa as *const libc::sockaddr_in);
                Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(s.sin_addr.s_addr))))
            }
            libc::AF_INET6 => {
                let s = &*(sa as *const libc::sockaddr_in6);
                Some(IpAddr::V6(Ipv6Addr::from(s.sin6_addr.s6_addr)))
            }
            _ => None,
        }
    }
}

/// Whether `path` names an existing /proc entry (for tests).
pub fn proc_exists(pid: i64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_lines() {
        let t = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/docker/x\n0::/\n";
        assert_eq!(
            parse_cgroups(t),
            vec![
                "memory=/process_api/abc",
                "cpu=/docker/x",
                "cpuacct=/docker/x"
            ]
        );
    }

    #[test]
    fn hex_addresses() {
        assert_eq!(
            hex_v4("0100007F:1F90"),
            Some((Ipv4Addr::new(127, 0, 0, 1), 8080))
        );
        assert_eq!(
            hex_v6("00000000000000000000000001000000:0050"),
            Some((Ipv6Addr::LOCALHOST, 80))
        );
        assert_eq!(hex_v4("zz"), None);
    }

    #[test]
    fn own_process_is_read() {
        let me = std::process::id() as i64;
        let (threads, fds) = scan(Some(&[me]));
        let t = threads.iter().find(|t| t.tid == me).expect("own thread");
        assert_eq!(t.pid, me);
        assert!(!t.comm.is_empty());
        assert!(t.cwd.ends_with('/'));
        assert!(fds.iter().any(|l| l.tid as i64 == me));
        let anc = ancestry(me);
        assert_eq!(anc[0], me);
        assert!(anc.len() >= 2, "{anc:?}");
    }

    #[test]
    fn stat_with_odd_command_names() {
        let f = stat_fields("12 (a) b (c)) S 1 12 12 0 -1").unwrap();
        assert_eq!(f[0], "S");
        assert_eq!(f[1], "1");
    }
}
