//! The writer: a capture built from scratch and every reference capture
//! rewritten read back identical; where Debian's sysdig is installed,
//! `sysdig -r` reads what we write.

mod common;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{captures_or_skip, CAPTURES};
use falconer_scap::{
    Event, GroupInfo, MachineInfo, ParamValue as V, ScapReader, ScapWriter, SockAddr, SockTuple,
    ThreadInfo, UserInfo, UserList,
};

fn sysdig_available(test: &str) -> bool {
    let ok = Command::new("sysdig").arg("--version").output().is_ok();
    if !ok {
        eprintln!(
            "{test}: sysdig part skipped: sysdig is not installed \
             (apt-get install -y --no-install-recommends sysdig)"
        );
    }
    ok
}

fn sysdig(file: &Path, format: &str, filter: Option<&str>) -> Vec<String> {
    let mut cmd = Command::new("sysdig");
    cmd.arg("-r").arg(file).args(["-p", format]);
    if let Some(f) = filter {
        cmd.arg(f);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "sysdig failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        TempFile(
            std::env::temp_dir().join(format!("falconer-scap-{}-{name}.scap", std::process::id())),
        )
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const CONTAINER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn bash() -> ThreadInfo {
    ThreadInfo {
        tid: 100,
        pid: 100,
        ptid: 1,
        sid: 100,
        vpgid: 100,
        comm: "bash".into(),
        exe: "bash".into(),
        exepath: "/usr/bin/bash".into(),
        cwd: "/root".into(),
        fdlimit: 1024,
        vtid: 100,
        vpid: 100,
        root: "/".into(),
        loginuid: 0,
        ..ThreadInfo::default()
    }
}

/// A small scenario with the libs-2022 parameter counts: bash (tid 100)
/// clones tid 200, which execs curl, connects to 93.184.216.34:443, opens
/// /etc/hosts and exits.
fn scenario() -> Vec<Event> {
    let cg = format!("cpu=/docker/{CONTAINER}\0");
    let ts = 1_700_000_000_000_000_000u64;
    let ev = |i: u64, code: u16, vals: &[V<'_>]| {
        Event::from_values(code, ts + i * 1000, 200, 0, vals).unwrap()
    };
    let proc_common = |exe: &'static str| {
        vec![
            V::Pid(0),
            V::Str(exe.as_bytes()),
            V::Bytes(b""),
            V::Pid(200),
            V::Pid(200),
            V::Pid(100),
            V::Str(b"/root"),
            V::Int(1024),
            V::Uint(0),
            V::Uint(0),
            V::Uint(0),
            V::Uint(0),
            V::Uint(0),
            V::Str(exe.as_bytes()),
        ]
    };
    let mut clone = proc_common("bash");
    clone.extend([
        V::Bytes(cg.as_bytes()),
        V::Flags(0),
        V::Uint(0),
        V::Uint(0),
        V::Pid(200),
        V::Pid(200),
    ]);
    let mut execve = proc_common("curl");
    execve[0] = V::Errno(0);
    execve[2] = V::Bytes(b"-s\0https://example.com\0");
    execve[7] = V::Uint(1024);
    execve.extend([
        V::Bytes(cg.as_bytes()),
        V::Bytes(b"HOME=/root\0"),
        V::Uint(0),
        V::Pid(200),
        V::Uid(0),
        V::Flags(0),
    ]);
    let server = Ipv4Addr::new(93, 184, 216, 34);
    vec![
        ev(1, 223, &clone),
        ev(2, 292, &[V::Str(b"/usr/bin/curl")]),
        ev(3, 293, &execve),
        ev(4, 18, &[V::Flags(2), V::Uint(1), V::Uint(0)]),
        ev(5, 19, &[V::Fd(3)]),
        ev(
            6,
            22,
            &[
                V::Fd(3),
                V::SockAddr(SockAddr::Inet {
                    ip: server,
                    port: 443,
                }),
            ],
        ),
        ev(
            7,
            23,
            &[
                V::Errno(0),
                V::SockTuple(SockTuple::Inet {
                    sip: Ipv4Addr::new(10, 0, 0, 2),
                    sport: 40000,
                    dip: server,
                    dport: 443,
                }),
            ],
        ),
        ev(
            8,
            306,
            &[V::Fd(-100), V::Str(b"/etc/hosts"), V::Flags(1), V::Uint(0)],
        ),
        ev(
            9,
            307,
            &[
                V::Fd(4),
                V::Fd(-100),
                V::Str(b"/etc/hosts"),
                V::Flags(1),
                V::Uint(0),
                V::Uint(0),
            ],
        ),
        ev(10, 186, &[V::Errno(0), V::Errno(0), V::Uint(0), V::Uint(0)]),
    ]
}

fn write_scenario(path: &Path, gzip: bool) -> Vec<Event> {
    let events = scenario();
    let file = std::fs::File::create(path).unwrap();
    let out: Box<dyn std::io::Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::default(),
        ))
    } else {
        Box::new(file)
    };
    let mut w = ScapWriter::new(out).unwrap();
    w.write_machine_info(&MachineInfo {
        num_cpus: 2,
        memory_bytes: 1 << 30,
        max_pid: 32768,
        hostname: "falconer-test".into(),
        ..MachineInfo::default()
    })
    .unwrap();
    w.write_users(&UserList {
        users: vec![UserInfo {
            uid: 0,
            gid: 0,
            name: "root".into(),
            homedir: "/root".into(),
            shell: "/bin/bash".into(),
        }],
        groups: vec![GroupInfo {
            gid: 0,
            name: "root".into(),
        }],
    })
    .unwrap();
    let init = ThreadInfo {
        tid: 1,
        pid: 1,
        ptid: 0,
        comm: "init".into(),
        exe: "/sbin/init".into(),
        cwd: "/".into(),
        ..ThreadInfo::default()
    };
    w.write_processes(&[init, bash()]).unwrap();
    for e in &events {
        w.write_event(e).unwrap();
    }
    // Dropping the boxed GzEncoder finishes the stream.
    drop(w.finish().unwrap());
    events
}

#[test]
fn scenario_roundtrip_and_sysdig() {
    for gzip in [false, true] {
        let tmp = TempFile::new(if gzip { "scenario-gz" } else { "scenario" });
        let events = write_scenario(&tmp.0, gzip);
        let r = ScapReader::open(&tmp.0).unwrap();
        assert_eq!(r.is_gzip(), gzip);
        assert_eq!(r.processes()[1], bash());
        assert_eq!(r.users().unwrap().users[0].name, "root");
        let back: Vec<Event> = r.map(|e| e.unwrap()).collect();
        assert_eq!(back.len(), events.len());
        for (a, b) in back.iter().zip(&events) {
            assert!(a.same_content(b), "{a:?}\n{b:?}");
        }
        if !sysdig_available("scenario_roundtrip_and_sysdig") {
            continue;
        }
        let lines = sysdig(&tmp.0, "%evt.num %evt.type %evt.dir %thread.tid", None);
        let want: Vec<String> = back
            .iter()
            .map(|e| format!("{} {} {} {}", e.num, e.name(), e.dir_char(), e.tid))
            .collect();
        assert_eq!(lines, want);
        assert_eq!(
            sysdig(
                &tmp.0,
                "%evt.num %proc.name %proc.pname %proc.cmdline %user.name %container.id",
                Some("evt.type=execve and evt.dir=< and proc.name=curl")
            ),
            ["3 curl bash curl -s https://example.com root 0123456789ab"]
        );
        assert_eq!(
            sysdig(
                &tmp.0,
                "%evt.num %fd.sip %fd.sport %fd.name",
                Some("evt.type=connect and evt.dir=<")
            ),
            ["7 93.184.216.34 443 10.0.0.2:40000->93.184.216.34:443"]
        );
        assert_eq!(
            sysdig(
                &tmp.0,
                "%evt.num %fd.name %fd.num",
                Some("evt.type=openat and evt.dir=<")
            ),
            ["9 /etc/hosts 4"]
        );
    }
}

/// Strips what the writer does not store (see `ScapWriter`).
fn writable(t: &ThreadInfo) -> ThreadInfo {
    ThreadInfo {
        version: 9,
        pidns_init_start_ts: 0,
        tty: 0,
        pgid: -1,
        exe_upper_layer: false,
        exe_ino: 0,
        exe_ino_ctime: 0,
        exe_ino_mtime: 0,
        exe_from_memfd: false,
        exe_lower_layer: false,
        ..t.clone()
    }
}

#[test]
fn reference_captures_rewrite_identically() {
    let Some(dir) = captures_or_skip("reference_captures_rewrite_identically") else {
        return;
    };
    let with_sysdig = sysdig_available("reference_captures_rewrite_identically");
    for cap in &CAPTURES {
        let mut r = ScapReader::open(dir.join(cap.path)).unwrap();
        let tmp = TempFile::new("rewrite");
        let mut w = ScapWriter::new(std::fs::File::create(&tmp.0).unwrap()).unwrap();
        if let Some(mi) = r.machine_info() {
            w.write_machine_info(mi).unwrap();
        }
        w.write_interfaces(r.interfaces()).unwrap();
        if let Some(u) = r.users() {
            w.write_users(u).unwrap();
        }
        w.write_processes(r.processes()).unwrap();
        for l in r.fds() {
            w.write_fds(l).unwrap();
        }
        let meta = (
            r.machine_info().cloned(),
            r.interfaces().to_vec(),
            r.users().cloned(),
            r.processes().iter().map(writable).collect::<Vec<_>>(),
            r.fds().to_vec(),
        );
        let mut events = Vec::new();
        for e in &mut r {
            let e = e.unwrap();
            w.write_event(&e).unwrap();
            events.push(e);
        }
        w.finish().unwrap();

        let back = ScapReader::open(&tmp.0).unwrap();
        assert_eq!(back.machine_info().cloned(), meta.0, "{}", cap.path);
        assert_eq!(back.interfaces(), &meta.1[..], "{}", cap.path);
        assert_eq!(back.users().cloned(), meta.2, "{}", cap.path);
        assert_eq!(back.processes(), &meta.3[..], "{}", cap.path);
        assert_eq!(back.fds(), &meta.4[..], "{}", cap.path);
        let again: Vec<Event> = back.map(|e| e.unwrap()).collect();
        assert_eq!(again.len(), events.len(), "{}", cap.path);
        for (a, b) in again.iter().zip(&events) {
            assert!(a.same_content(b), "{} #{}", cap.path, b.num);
            assert_eq!(a.num, b.num);
        }
        if with_sysdig {
            // sysdig reads the rewritten capture (libs 2022 reader: PL_V9
            // with the compatible tail, FDL/IL/UL V2, EV_V2 blocks) and
            // sees the same events as in ours.
            // Same view of the events, with the state sysdig derives from
            // the process and fd lists (proc.name, user, fd.name).
            let fmt = "*#%evt.num #%evt.type #%thread.tid #%proc.name #%proc.pname \
                       #%user.uid #%fd.name #%evt.rawres";
            let view = |p: &Path| {
                let out = Command::new("sysdig")
                    .args(["-D", "-r"])
                    .arg(p)
                    .args(["-p", fmt])
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            let rewritten = view(&tmp.0);
            let max = rewritten
                .iter()
                .filter_map(|l| l[1..].split(' ').next()?.parse::<u64>().ok())
                .max()
                .unwrap_or(0);
            assert_eq!(max, events.len() as u64, "{}: sysdig -D", cap.path);
            if cap.sysdig_reads {
                let original = view(&dir.join(cap.path));
                assert_eq!(original.len(), rewritten.len(), "{}", cap.path);
                for (a, b) in original.iter().zip(&rewritten) {
                    assert_eq!(a, b, "{}", cap.path);
                }
            }
            eprintln!("{}: rewritten, sysdig reads {max} events", cap.path);
        }
    }
}
