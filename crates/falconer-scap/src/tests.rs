//! Unit tests with hand-built bytes, one group per block type.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::block::types::*;
use crate::*;

// ---------------------------------------------------------------------------
// Byte builders, written independently of the writer.

#[derive(Default)]
struct B(Vec<u8>);

impl B {
    fn new() -> B {
        B(Vec::new())
    }
    fn u8(mut self, v: u8) -> B {
        self.0.push(v);
        self
    }
    fn u16(mut self, v: u16) -> B {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u32(mut self, v: u32) -> B {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(mut self, v: u64) -> B {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn i64(mut self, v: i64) -> B {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn raw(mut self, b: &[u8]) -> B {
        self.0.extend_from_slice(b);
        self
    }
    /// `u16 len + bytes`.
    fn s(self, b: &str) -> B {
        self.u16(b.len() as u16).raw(b.as_bytes())
    }
    fn done(self) -> Vec<u8> {
        self.0
    }
}

/// A block: header, body, padding, trailer.
fn block(ty: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    let mut v = B::new().u32(ty).u32(total).raw(body).done();
    v.resize(8 + padded, 0);
    v.extend_from_slice(&total.to_le_bytes());
    v
}

fn shb_body(major: u16, minor: u16) -> Vec<u8> {
    B::new()
        .u32(0x1A2B_3C4D)
        .u16(major)
        .u16(minor)
        .i64(-1)
        .done()
}

fn shb() -> Vec<u8> {
    block(SHB, &shb_body(1, 2))
}

/// A V2 event body (cpu, [flags], header, u16 lengths, values).
fn ev2_body(
    cpu: u16,
    flags: Option<u32>,
    ts: u64,
    tid: u64,
    code: u16,
    params: &[&[u8]],
) -> Vec<u8> {
    let large = falconer_catalog::catalog()
        .event(code)
        .is_some_and(|e| e.large_payload);
    let lsize = if large { 4 } else { 2 };
    let vals: usize = params.iter().map(|p| p.len()).sum();
    let len = 26 + params.len() * lsize + vals;
    let mut b = B::new().u16(cpu);
    if let Some(f) = flags {
        b = b.u32(f);
    }
    b = b
        .u64(ts)
        .u64(tid)
        .u32(len as u32)
        .u16(code)
        .u32(params.len() as u32);
    for p in params {
        b = if large {
            b.u32(p.len() as u32)
        } else {
            b.u16(p.len() as u16)
        };
    }
    for p in params {
        b = b.raw(p);
    }
    b.done()
}

/// A V1 event body (no nparams in the header).
fn ev1_body(cpu: u16, ts: u64, tid: u64, code: u16, params: &[&[u8]], len_adjust: i32) -> Vec<u8> {
    let vals: usize = params.iter().map(|p| p.len()).sum();
    let len = (22 + params.len() * 2 + vals) as i32 + len_adjust;
    let mut b = B::new().u16(cpu).u64(ts).u64(tid).u32(len as u32).u16(code);
    for p in params {
        b = b.u16(p.len() as u16);
    }
    for p in params {
        b = b.raw(p);
    }
    b.done()
}

fn file(blocks: &[Vec<u8>]) -> Vec<u8> {
    blocks.concat()
}

fn read_all(bytes: &[u8]) -> (ScapReader<&[u8]>, Vec<Event>, Option<ScapError>) {
    let mut r = ScapReader::new(bytes).expect("header and metadata");
    let mut evs = Vec::new();
    let mut err = None;
    for e in &mut r {
        match e {
            Ok(e) => evs.push(e),
            Err(e) => err = Some(e),
        }
    }
    (r, evs, err)
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

// ---------------------------------------------------------------------------
// Section header

#[test]
fn section_header_plain() {
    let f = shb();
    let r = ScapReader::new(&f[..]).unwrap();
    assert_eq!(r.header().major, 1);
    assert_eq!(r.header().minor, 2);
    assert_eq!(r.header().section_length, -1);
    assert!(r.header().options.is_empty());
    assert!(!r.is_gzip());
    let (_, evs, err) = read_all(&f);
    assert!(evs.is_empty());
    assert!(err.is_none());
}

#[test]
fn section_header_with_pcapng_options() {
    let comment = b"hello capture";
    let mut body = shb_body(1, 0);
    body.extend(
        B::new()
            .u16(1)
            .u16(comment.len() as u16)
            .raw(comment)
            .raw(&[0, 0, 0]) // pad 13 -> 16
            .u16(2)
            .u16(4)
            .raw(b"abcd")
            .u32(0) // opt_endofopt
            .done(),
    );
    let ev = ev2_body(0, None, 1, 1, 186, &[]);
    let f = file(&[block(SHB, &body), block(EV_V2, &ev)]);
    let (r, evs, err) = read_all(&f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(r.header().options.len(), 2);
    assert_eq!(r.header().comments().collect::<Vec<_>>(), ["hello capture"]);
    assert_eq!(r.header().options[1], (2, b"abcd".to_vec()));
    assert_eq!(evs.len(), 1);
}

#[test]
fn section_header_errors() {
    // Wrong magic.
    let mut body = shb_body(1, 2);
    body[0] ^= 0xff;
    let e = ScapReader::new(&block(SHB, &body)[..]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotScap);
    assert_eq!(e.offset, 0);
    // Major version 2.
    let e = ScapReader::new(&block(SHB, &shb_body(2, 0))[..]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnsupportedVersion);
    // First block not an SHB.
    let e = ScapReader::new(&block(MI, &[0; 180])[..]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotScap);
    // Empty input.
    let e = ScapReader::new(&b""[..]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Truncated);
    // SHB block shorter than its fixed fields.
    let e = ScapReader::new(&block(SHB, &[0; 8])[..]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadBlock);
    // Text file.
    let e = ScapReader::new(&b"hello world, not a capture\n"[..]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotScap);
}

// ---------------------------------------------------------------------------
// Machine info

#[test]
fn machine_info_block() {
    let mut host = [0u8; 128];
    host[..4].copy_from_slice(b"box1");
    let body = B::new()
        .u32(8)
        .u64(16 << 30)
        .u64(4_194_304)
        .raw(&host)
        .u64(1_700_000_000_000_000_000)
        .u64(3)
        .u64(0)
        .u64(0)
        .done();
    assert_eq!(body.len(), 180);
    for ty in [MI, MI_INT] {
        let f = file(&[shb(), block(ty, &body)]);
        let r = ScapReader::new(&f[..]).unwrap();
        let mi = r.machine_info().unwrap();
        assert_eq!(mi.num_cpus, 8);
        assert_eq!(mi.memory_bytes, 16 << 30);
        assert_eq!(mi.max_pid, 4_194_304);
        assert_eq!(mi.hostname, "box1");
        assert_eq!(mi.boot_ts_epoch, 1_700_000_000_000_000_000);
        assert_eq!(mi.flags, 3);
    }
    let f = file(&[shb(), block(MI, &body[..100])]);
    let e = ScapReader::new(&f[..]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadMetadata);
    assert_eq!(e.offset, 28);
}

// ---------------------------------------------------------------------------
// Process lists

/// One process entry of generation `v`, hand-written field by field.
fn pl_entry(v: u8, tid: i64, tail: &[u8]) -> Vec<u8> {
    let mut b = B::new().i64(tid).i64(tid).i64(1);
    if v >= 6 {
        b = b.i64(77); // sid
    }
    if v >= 8 {
        b = b.i64(78); // vpgid
    }
    b = b.s("bash").s("/bin/bash");
    if v >= 7 {
        b = b.s("/usr/bin/bash");
    }
    b = b
        .s("-c\0echo hi\0")
        .s("/root")
        .u64(1024)
        .u32(0x10)
        .u32(1000)
        .u32(1001);
    if v >= 2 {
        b = b.u32(100).u32(50).u32(0).u64(7).u64(8);
    }
    if v >= 3 {
        b = b.s("HOME=/root\0TERM=xterm\0");
    }
    if v >= 4 {
        b = b
            .i64(5)
            .i64(6)
            .s(&format!("cpuset=/docker/{}\0cpu=/\0", "ab".repeat(32)));
    }
    if v >= 5 {
        b = b.s("/");
    }
    let body = b.raw(tail).done();
    if v >= 9 {
        B::new().u32(body.len() as u32 + 4).raw(&body).done()
    } else {
        body
    }
}

#[test]
fn process_lists_all_generations() {
    let cases: [(u32, u8); 12] = [
        (PL_V1, 1),
        (PL_V1_INT, 1),
        (PL_V2, 2),
        (PL_V2_INT, 2),
        (PL_V3, 3),
        (PL_V3_INT, 3),
        (PL_V4, 4),
        (PL_V5, 5),
        (PL_V6, 6),
        (PL_V7, 7),
        (PL_V8, 8),
        (PL_V9, 9),
    ];
    for (ty, v) in cases {
        let body = [pl_entry(v, 100, &[]), pl_entry(v, 101, &[])].concat();
        let f = file(&[shb(), block(ty, &body)]);
        let r = ScapReader::new(&f[..]).unwrap_or_else(|e| panic!("V{v}: {e}"));
        let p = r.processes();
        assert_eq!(p.len(), 2, "V{v}");
        let t = &p[0];
        assert_eq!(t.version, v);
        assert_eq!((t.tid, t.pid, t.ptid), (100, 100, 1));
        assert_eq!(p[1].tid, 101);
        assert_eq!(t.comm, "bash");
        assert_eq!(t.exe, "/bin/bash");
        assert_eq!(t.args, ["-c", "echo hi"]);
        assert_eq!(t.cwd, "/root");
        assert_eq!((t.fdlimit, t.flags, t.uid, t.gid), (1024, 0x10, 1000, 1001));
        assert_eq!(t.sid, if v >= 6 { 77 } else { -1 });
        assert_eq!(t.vpgid, if v >= 8 { 78 } else { -1 });
        assert_eq!(t.exepath, if v >= 7 { "/usr/bin/bash" } else { "" });
        if v >= 2 {
            assert_eq!(
                (t.vmsize_kb, t.vmrss_kb, t.pfmajor, t.pfminor),
                (100, 50, 7, 8)
            );
        } else {
            assert_eq!(t.vmsize_kb, 0);
        }
        assert_eq!(t.env.len(), if v >= 3 { 2 } else { 0 });
        if v >= 4 {
            assert_eq!((t.vtid, t.vpid), (5, 6));
            assert_eq!(t.cgroups.len(), 2);
            assert_eq!(t.container_id().as_deref(), Some("abababababab"));
        } else {
            assert_eq!((t.vtid, t.vpid), (-1, -1));
            assert_eq!(t.container_id(), None);
        }
        assert_eq!(t.root, if v >= 5 { "/" } else { "" });
        assert_eq!(t.loginuid, u32::MAX);
        assert_eq!(r.process(101).map(|t| t.tid), Some(101));
    }
}

#[test]
fn process_list_v9_tails() {
    // libs 2022 tail: loginuid + exe_writable (5 bytes ≤ 29: pre-0.10).
    let old = B::new().u32(1000).u8(1).done();
    // pre-0.10 with capabilities (29 bytes).
    let caps = B::new().u32(1000).u8(0).u64(1).u64(2).u64(3).done();
    // 0.10+ full tail, plus 6 bytes of some future field.
    let full = B::new()
        .u64(999) // pidns_init_start_ts
        .u32(34816) // tty
        .u32(1000) // loginuid
        .u8(1) // exe_writable
        .u64(1)
        .u64(2)
        .u64(3)
        .u8(1) // exe_upper_layer
        .u64(42) // exe_ino
        .u64(43)
        .u64(44)
        .u8(1) // exe_from_memfd
        .u8(1) // exe_lower_layer
        .i64(4242) // pgid
        .raw(&[9; 6])
        .done();
    let body = [
        pl_entry(9, 1, &old),
        pl_entry(9, 2, &caps),
        pl_entry(9, 3, &full),
    ]
    .concat();
    let f = file(&[shb(), block(PL_V9, &body)]);
    let r = ScapReader::new(&f[..]).unwrap();
    let p = r.processes();
    assert_eq!(p.len(), 3);
    assert_eq!(
        (p[0].loginuid, p[0].exe_writable, p[0].tty),
        (1000, true, 0)
    );
    assert_eq!(p[0].cap_permitted, 0);
    assert_eq!(
        (
            p[1].loginuid,
            p[1].cap_inheritable,
            p[1].cap_permitted,
            p[1].cap_effective
        ),
        (1000, 1, 2, 3)
    );
    let t = &p[2];
    assert_eq!(
        (t.pidns_init_start_ts, t.tty, t.loginuid),
        (999, 34816, 1000)
    );
    assert!(t.exe_writable && t.exe_upper_layer && t.exe_from_memfd && t.exe_lower_layer);
    assert_eq!(
        (t.exe_ino, t.exe_ino_ctime, t.exe_ino_mtime, t.pgid),
        (42, 43, 44, 4242)
    );
}

#[test]
fn process_list_errors() {
    // Entry length smaller than what the fixed fields need.
    let mut e = pl_entry(9, 1, &[]);
    e[0..4].copy_from_slice(&20u32.to_le_bytes());
    let f = file(&[shb(), block(PL_V9, &e)]);
    let err = ScapReader::new(&f[..]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadMetadata);
    assert_eq!(err.offset, 28);
    assert!(err.message.contains("process entry 0"), "{}", err.message);
    // Entry length beyond the block.
    let mut e = pl_entry(9, 1, &[]);
    e[0..4].copy_from_slice(&5000u32.to_le_bytes());
    let f = file(&[shb(), block(PL_V9, &e)]);
    assert_eq!(
        ScapReader::new(&f[..]).unwrap_err().kind,
        ErrorKind::BadMetadata
    );
    // comm longer than SCAP_MAX_PATH_SIZE.
    let long = "x".repeat(1025);
    let body = B::new().i64(1).i64(1).i64(0).s(&long).done();
    let f = file(&[shb(), block(PL_V1, &body)]);
    let err = ScapReader::new(&f[..]).unwrap_err();
    assert!(
        err.message.contains("invalid comm length 1025"),
        "{}",
        err.message
    );
    // Truncated entry.
    let e = pl_entry(5, 1, &[]);
    let f = file(&[shb(), block(PL_V5, &e[..e.len() - 10])]);
    assert_eq!(
        ScapReader::new(&f[..]).unwrap_err().kind,
        ErrorKind::BadMetadata
    );
}

// ---------------------------------------------------------------------------
// FD lists

fn fd_entries(v2: bool) -> Vec<u8> {
    let entries: Vec<Vec<u8>> = vec![
        // IPv4 socket
        B::new()
            .i64(3)
            .u64(11)
            .u8(3)
            .raw(&[10, 0, 0, 1])
            .raw(&[93, 184, 216, 34])
            .u16(40000)
            .u16(443)
            .u8(2)
            .done(),
        // IPv4 server
        B::new()
            .i64(4)
            .u64(12)
            .u8(5)
            .raw(&[0, 0, 0, 0])
            .u16(80)
            .u8(2)
            .done(),
        // IPv6 socket
        B::new()
            .i64(5)
            .u64(13)
            .u8(4)
            .raw(&Ipv6Addr::LOCALHOST.octets())
            .raw(&Ipv6Addr::LOCALHOST.octets())
            .u16(1)
            .u16(2)
            .u8(3)
            .done(),
        // IPv6 server
        B::new()
            .i64(6)
            .u64(14)
            .u8(6)
            .raw(&Ipv6Addr::UNSPECIFIED.octets())
            .u16(22)
            .u8(2)
            .done(),
        // Unix
        B::new()
            .i64(7)
            .u64(15)
            .u8(8)
            .u64(0xffff_0001)
            .u64(0xffff_0002)
            .s("/run/x.sock")
            .done(),
        // FILE_V2 (dev only in V2 entries)
        {
            let b = B::new().i64(8).u64(16).u8(16).u32(0o101).s("/etc/passwd");
            if v2 {
                b.u32(0x803).done()
            } else {
                b.done()
            }
        },
        // FILE, DIRECTORY, pipe
        B::new().i64(9).u64(17).u8(1).s("/tmp/a").done(),
        B::new().i64(10).u64(18).u8(2).s("/tmp").done(),
        B::new().i64(11).u64(19).u8(7).s("pipe:[1]").done(),
    ];
    let mut body = B::new().u64(4242).done();
    for e in entries {
        if v2 {
            body.extend((e.len() as u32 + 4).to_le_bytes());
        }
        body.extend(e);
    }
    body
}

#[test]
fn fd_lists_v1_and_v2() {
    for (ty, v2) in [(FDL, false), (FDL_INT, false), (FDL_V2, true)] {
        let f = file(&[shb(), block(ty, &fd_entries(v2))]);
        let r = ScapReader::new(&f[..]).unwrap_or_else(|e| panic!("{ty:#x}: {e}"));
        assert_eq!(r.fds().len(), 1);
        let l = &r.fds()[0];
        assert_eq!(l.tid, 4242);
        assert_eq!(l.fds.len(), 9);
        assert_eq!(
            l.fds[0].kind,
            FdKind::Ipv4Socket {
                sip: Ipv4Addr::new(10, 0, 0, 1),
                dip: Ipv4Addr::new(93, 184, 216, 34),
                sport: 40000,
                dport: 443,
                l4proto: 2
            }
        );
        assert_eq!(
            l.fds[1].kind,
            FdKind::Ipv4Server {
                ip: Ipv4Addr::UNSPECIFIED,
                port: 80,
                l4proto: 2
            }
        );
        assert!(matches!(
            l.fds[2].kind,
            FdKind::Ipv6Socket {
                sport: 1,
                dport: 2,
                ..
            }
        ));
        assert!(matches!(l.fds[3].kind, FdKind::Ipv6Server { port: 22, .. }));
        assert_eq!(l.fds[4].name(), Some("/run/x.sock"));
        assert_eq!(
            l.fds[5].kind,
            FdKind::File {
                open_flags: 0o101,
                path: "/etc/passwd".into(),
                dev: v2.then_some(0x803)
            }
        );
        assert_eq!(l.fds[6].fd_type(), fd_types::FILE);
        assert_eq!(l.fds[7].name(), Some("/tmp"));
        assert_eq!(l.fds[8].fd_type(), fd_types::FIFO);
        assert_eq!(l.fds[8].fd, 11);
        assert_eq!(l.fds[8].ino, 19);
        assert_eq!(r.fds_of(4242).count(), 9);
    }
}

#[test]
fn fd_list_v2_skips_unknown_types_and_extra_bytes() {
    let unknown = B::new()
        .u32(4 + 17 + 5)
        .i64(1)
        .u64(2)
        .u8(99)
        .raw(&[1, 2, 3, 4, 5])
        .done();
    let file_extra = {
        let e = B::new().i64(3).u64(4).u8(1).s("/a").raw(&[7; 3]).done();
        B::new().u32(e.len() as u32 + 4).raw(&e).done()
    };
    let body = [B::new().u64(1).done(), unknown, file_extra].concat();
    let f = file(&[shb(), block(FDL_V2, &body)]);
    let r = ScapReader::new(&f[..]).unwrap();
    let fds = &r.fds()[0].fds;
    assert_eq!(fds[0].kind, FdKind::Unknown { fd_type: 99 });
    assert_eq!(fds[1].name(), Some("/a"));
    // A name of 1024 bytes is rejected (libscap: len >= SCAP_MAX_PATH_SIZE).
    let body = B::new()
        .u64(1)
        .i64(3)
        .u64(4)
        .u8(1)
        .s(&"n".repeat(1024))
        .done();
    let f = file(&[shb(), block(FDL, &body)]);
    assert_eq!(
        ScapReader::new(&f[..]).unwrap_err().kind,
        ErrorKind::BadMetadata
    );
}

// ---------------------------------------------------------------------------
// Interface lists

#[test]
fn interface_lists_v1_and_v2() {
    let v4 = B::new()
        .u16(1)
        .u16(2)
        .raw(&[127, 0, 0, 1])
        .raw(&[255, 0, 0, 0])
        .raw(&[127, 255, 255, 255])
        .u64(1000)
        .raw(b"lo")
        .done();
    let v4n = B::new()
        .u16(3)
        .u16(4)
        .raw(&[10, 0, 0, 2])
        .raw(&[255, 255, 255, 0])
        .raw(&[10, 0, 0, 255])
        .raw(b"eth0")
        .done();
    let v6 = B::new()
        .u16(2)
        .u16(2)
        .raw(&Ipv6Addr::LOCALHOST.octets())
        .raw(&[0xff; 16])
        .raw(&[0; 16])
        .u64(5)
        .raw(b"lo")
        .done();
    let v6n = B::new()
        .u16(4)
        .u16(4)
        .raw(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets())
        .raw(&[0xff; 16])
        .raw(&[0; 16])
        .raw(b"eth0")
        .done();
    let entries = [v4, v4n, v6, v6n];
    let check = |r: &ScapReader<&[u8]>| {
        let l = r.interfaces();
        assert_eq!(l.len(), 4);
        assert_eq!(l[0].name, "lo");
        assert_eq!(l[0].addr, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(l[0].linkspeed, 1000);
        assert_eq!(l[1].name, "eth0");
        assert_eq!(l[1].bcast, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 255)));
        assert_eq!(l[1].linkspeed, 0);
        assert_eq!(l[2].addr, IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(l[2].linkspeed, 5);
        assert_eq!(l[3].addr.to_string(), "fe80::1");
    };
    let body = entries.concat();
    for ty in [IL, IL_INT] {
        let f = file(&[shb(), block(ty, &body)]);
        check(&ScapReader::new(&f[..]).unwrap());
    }
    // V2: u32 length (excluding itself) before each entry; extra bytes skipped.
    let mut body = Vec::new();
    for e in &entries {
        let mut e = e.clone();
        e.extend([0xaa; 2]);
        body.extend((e.len() as u32).to_le_bytes());
        body.extend(e);
    }
    let f = file(&[shb(), block(IL_V2, &body)]);
    check(&ScapReader::new(&f[..]).unwrap());
    // Unknown interface type.
    let bad = B::new().u16(9).u16(0).raw(&[0; 20]).done();
    let f = file(&[shb(), block(IL, &bad)]);
    let e = ScapReader::new(&f[..]).unwrap_err();
    assert!(
        e.message.contains("unknown interface type 9"),
        "{}",
        e.message
    );
}

// ---------------------------------------------------------------------------
// User lists

#[test]
fn user_lists_v1_and_v2() {
    let user = B::new()
        .u8(0)
        .u32(1000)
        .u32(100)
        .s("alice")
        .s("/home/alice")
        .s("/bin/zsh")
        .done();
    let group = B::new().u8(1).u32(100).s("users").done();
    let check = |r: &ScapReader<&[u8]>| {
        let u = r.users().unwrap();
        assert_eq!(
            u.users,
            [UserInfo {
                uid: 1000,
                gid: 100,
                name: "alice".into(),
                homedir: "/home/alice".into(),
                shell: "/bin/zsh".into()
            }]
        );
        assert_eq!(u.group(100).map(|g| g.name.as_str()), Some("users"));
        assert_eq!(u.user(1000).map(|u| u.shell.as_str()), Some("/bin/zsh"));
    };
    let body = [user.clone(), group.clone()].concat();
    for ty in [UL, UL_INT] {
        let f = file(&[shb(), block(ty, &body)]);
        check(&ScapReader::new(&f[..]).unwrap());
    }
    let mut body = Vec::new();
    for e in [&user, &group] {
        let mut e = e.clone();
        e.extend([1, 2, 3]); // future fields
        body.extend((e.len() as u32 + 4).to_le_bytes());
        body.extend(e);
    }
    let f = file(&[shb(), block(UL_V2, &body)]);
    check(&ScapReader::new(&f[..]).unwrap());
    // A later user list replaces the earlier one (libscap frees it).
    let only_group = block(UL, &group);
    let f = file(&[shb(), block(UL, &user), only_group]);
    let r = ScapReader::new(&f[..]).unwrap();
    assert!(r.users().unwrap().users.is_empty());
    // Name of 256 bytes: rejected.
    let bad = B::new().u8(1).u32(1).s(&"g".repeat(256)).done();
    let f = file(&[shb(), block(UL, &bad)]);
    assert_eq!(
        ScapReader::new(&f[..]).unwrap_err().kind,
        ErrorKind::BadMetadata
    );
}

// ---------------------------------------------------------------------------
// Events

#[test]
fn event_v2_with_typed_params() {
    // openat exit (307): fd, dirfd, name, flags, mode, dev, ino.
    let params: Vec<Vec<u8>> = vec![
        3i64.to_le_bytes().to_vec(),
        (-100i64).to_le_bytes().to_vec(),
        cstr("/etc/passwd"),
        1u32.to_le_bytes().to_vec(),
        0o644u32.to_le_bytes().to_vec(),
        0x803u32.to_le_bytes().to_vec(),
        1234u64.to_le_bytes().to_vec(),
    ];
    let refs: Vec<&[u8]> = params.iter().map(|p| p.as_slice()).collect();
    let f = file(&[
        shb(),
        block(EV_V2, &ev2_body(3, None, 1000, 42, 307, &refs)),
    ]);
    let (_, evs, err) = read_all(&f);
    assert!(err.is_none(), "{err:?}");
    let e = &evs[0];
    assert_eq!(
        (e.num, e.ts, e.tid, e.cpu, e.code, e.flags),
        (1, 1000, 42, 3, 307, None)
    );
    assert_eq!(e.name(), "openat");
    assert_eq!(e.direction(), Direction::Exit);
    assert_eq!(e.dir_char(), '<');
    assert_eq!(e.offset, 28);
    assert_eq!(e.nparams(), 7);
    assert_eq!(e.value("fd"), Some(ParamValue::Fd(3)));
    assert_eq!(e.value("dirfd"), Some(ParamValue::Fd(-100)));
    assert_eq!(e.value("name"), Some(ParamValue::Str(b"/etc/passwd")));
    assert_eq!(e.param(2).unwrap().raw, b"/etc/passwd\0");
    assert_eq!(e.value("flags"), Some(ParamValue::Flags(1)));
    assert_eq!(e.value("mode"), Some(ParamValue::Uint(0o644)));
    assert_eq!(e.value("ino"), Some(ParamValue::Uint(1234)));
    assert_eq!(e.param(0).unwrap().name(), Some("fd"));
    assert!(e.param(7).is_none());
    assert_eq!(
        dump::event_json(e),
        r#"{"num":1,"ts":1000,"type":"openat","dir":"<","tid":42,"cpu":3,"params":{"fd":3,"dirfd":-100,"name":"/etc/passwd","flags":1,"mode":420,"dev":2051,"ino":1234}}"#
    );
}

#[test]
fn event_with_flags_and_fewer_params() {
    // execve exit with the 2022 count (20) of the current 31 params,
    // flagged state-only.
    let mut params: Vec<Vec<u8>> = vec![0i64.to_le_bytes().to_vec(), cstr("curl")];
    params.push(b"-s\0http://x\0".to_vec());
    while params.len() < 20 {
        params.push(Vec::new());
    }
    let refs: Vec<&[u8]> = params.iter().map(|p| p.as_slice()).collect();
    let f = file(&[
        shb(),
        block(EVF_V2, &ev2_body(0, Some(DF_STATE_ONLY), 5, 7, 293, &refs)),
    ]);
    let (_, evs, err) = read_all(&f);
    assert!(err.is_none(), "{err:?}");
    let e = &evs[0];
    assert_eq!(e.flags, Some(1));
    assert!(e.is_state_only());
    assert_eq!(e.nparams(), 20);
    assert!(e.info().unwrap().params.len() > 20);
    assert_eq!(e.value("exe"), Some(ParamValue::Str(b"curl")));
    let args = e.param_by_name("args").unwrap();
    assert!(args.is_nul_list());
    assert_eq!(
        args.value().nul_list().unwrap(),
        [b"-s".as_slice(), b"http://x".as_slice()]
    );
    assert_eq!(e.value("tid"), Some(ParamValue::Empty));
    // Parameters the file does not have are absent.
    assert_eq!(e.value("trusted_exepath"), None);
    let j = dump::event_json(e);
    assert!(j.contains(r#""flags":1,"params""#), "{j}");
    assert!(j.contains(r#""args":["-s","http://x"]"#), "{j}");
}

#[test]
fn event_v1_infers_nparams() {
    // open exit (3) has 6 params in the current table; an old driver wrote 4.
    let p: Vec<Vec<u8>> = vec![
        5i64.to_le_bytes().to_vec(),
        cstr("/etc/hosts"),
        0u32.to_le_bytes().to_vec(),
        0u32.to_le_bytes().to_vec(),
    ];
    let refs: Vec<&[u8]> = p.iter().map(|p| p.as_slice()).collect();
    for ty in [EV, EV_INT] {
        let f = file(&[shb(), block(ty, &ev1_body(1, 9, 10, 3, &refs, 0))]);
        let (_, evs, err) = read_all(&f);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(evs[0].nparams(), 4);
        assert_eq!(evs[0].value("name"), Some(ParamValue::Str(b"/etc/hosts")));
        assert_eq!(evs[0].block_type, ty);
    }
    // EVF (v1 with flags).
    let mut body = B::new().u16(2).u32(DF_STATE_ONLY).done();
    body.extend(&ev1_body(0, 9, 10, 3, &refs, 0)[2..]);
    let f = file(&[shb(), block(EVF, &body)]);
    let (_, evs, _) = read_all(&f);
    assert_eq!((evs[0].cpu, evs[0].flags), (2, Some(1)));
    // Lengths that cannot add up: error with the block offset.
    let f = file(&[
        shb(),
        block(EV, &ev1_body(0, 9, 10, 3, &refs, 0)),
        block(EV, &ev1_body(0, 9, 10, 3, &refs, 5)),
    ]);
    let (_, evs, err) = read_all(&f);
    assert_eq!(evs.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.kind, ErrorKind::BadEvent);
    assert_eq!(
        err.offset,
        28 + block(EV, &ev1_body(0, 9, 10, 3, &refs, 0)).len() as u64
    );
}

#[test]
fn event_v1_notification_length_quirk() {
    // PPME_NOTIFICATION_E (280): old captures store len 3 bytes too large.
    let p: Vec<Vec<u8>> = vec![1u64.to_le_bytes().to_vec(), cstr("note")];
    let refs: Vec<&[u8]> = p.iter().map(|p| p.as_slice()).collect();
    let mut body = ev1_body(0, 1, 2, 280, &refs, 3);
    body.extend([0, 0, 0]);
    let f = file(&[shb(), block(EV, &body)]);
    let (_, evs, err) = read_all(&f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(evs[0].nparams(), 2);
    assert_eq!(evs[0].value("desc"), Some(ParamValue::Str(b"note")));
}

#[test]
fn large_payload_events() {
    // container JSON 2 (324) and plugin event (322): 32-bit lengths.
    let json = format!("{{\"container\":{{\"id\":\"{}\"}}}}", "a".repeat(70_000));
    let j = cstr(&json);
    let f = file(&[
        shb(),
        block(EV_V2_LARGE, &ev2_body(0, None, 1, u64::MAX, 324, &[&j])),
        block(
            EVF_V2_LARGE,
            &ev2_body(
                0,
                Some(DF_LARGE),
                2,
                0,
                322,
                &[&7u32.to_le_bytes(), b"payload"],
            ),
        ),
    ]);
    let (_, evs, err) = read_all(&f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[0].param(0).unwrap().raw.len(), json.len() + 1);
    assert_eq!(evs[0].tid_i64(), -1);
    assert_eq!(evs[1].value("plugin_id"), Some(ParamValue::Uint(7)));
    assert_eq!(
        evs[1].value("event_data"),
        Some(ParamValue::Bytes(b"payload"))
    );
    // A non-large block over 64 KiB is rejected, as libscap does.
    let f = file(&[shb(), block(EV_V2, &ev2_body(0, None, 1, 1, 324, &[&j]))]);
    let (_, _, err) = read_all(&f);
    assert_eq!(err.unwrap().kind, ErrorKind::BadBlock);
}

#[test]
fn event_v2_validation_errors() {
    let good = ev2_body(0, None, 1, 1, 186, &[&0i64.to_le_bytes()]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // len larger than the block
        (
            {
                let mut b = good.clone();
                b[18..22].copy_from_slice(&500u32.to_le_bytes());
                b
            },
            "larger than",
        ),
        // len smaller than the header
        (
            {
                let mut b = good.clone();
                b[18..22].copy_from_slice(&10u32.to_le_bytes());
                b
            },
            "smaller than",
        ),
        // nparams that does not fit
        (
            {
                let mut b = good.clone();
                b[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
                b
            },
            "does not fit",
        ),
        // a parameter longer than the event
        (
            {
                let mut b = good.clone();
                b[28..30].copy_from_slice(&100u16.to_le_bytes());
                b
            },
            "exceeds",
        ),
        // block too short for the header
        (good[..10].to_vec(), "exceeds the block payload"),
    ];
    for (body, msg) in cases {
        let f = file(&[shb(), block(EV_V2, &good), block(EV_V2, &body)]);
        let (_, evs, err) = read_all(&f);
        assert_eq!(evs.len(), 1);
        let err = err.unwrap();
        assert_eq!(err.kind, ErrorKind::BadEvent, "{err}");
        assert!(err.message.contains(msg), "{msg}: {err}");
        assert_eq!(err.offset, 28 + block(EV_V2, &good).len() as u64);
    }
}

#[test]
fn unknown_codes_and_blocks_are_skipped() {
    let ev = |code| block(EV_V2, &ev2_body(0, None, 1, 1, code, &[]));
    let f = file(&[
        shb(),
        block(0x7777, b"whatever"),
        ev(186),
        ev(60000), // beyond the table: skipped, not numbered
        ev(187),
    ]);
    let (r, evs, err) = read_all(&f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        evs.iter().map(|e| (e.num, e.code)).collect::<Vec<_>>(),
        [(1, 186), (2, 187)]
    );
    assert_eq!(r.skipped_events(), 1);
    assert_eq!(r.unknown_blocks(), 1);
    // An unused code inside the table is delivered, named NA.
    let unused = (0..falconer_catalog::EVENT_CODE_UNIVERSE as u16)
        .find(|c| falconer_catalog::catalog().event(*c).is_none());
    if let Some(c) = unused {
        let f = file(&[shb(), ev(c)]);
        let (_, evs, _) = read_all(&f);
        assert_eq!(evs[0].name(), "NA");
        assert!(evs[0].info().is_none());
    }
}

#[test]
fn generic_events_show_the_syscall_name() {
    // PPME_GENERIC_X: ID (ppm_sc 75 = mprotect), nativeID 10.
    let f = file(&[
        shb(),
        block(
            EV_V2,
            &ev2_body(
                0,
                None,
                1,
                1,
                1,
                &[&75u16.to_le_bytes(), &10u16.to_le_bytes()],
            ),
        ),
    ]);
    let (_, evs, _) = read_all(&f);
    assert_eq!(evs[0].name(), "syscall");
    assert_eq!(evs[0].type_name(), "mprotect");
    assert!(dump::event_json(&evs[0]).contains(r#""type":"mprotect""#));
    assert_eq!(syscall_name(5), Some("open"));
}

#[test]
fn ppm_sc_table_matches_catalog() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../falconer-catalog/data/evt_type_names.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} not found");
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut n = 0;
    for t in v.as_array().unwrap() {
        if let Some(code) = t["ppm_sc_code"].as_u64() {
            assert_eq!(syscall_name(code as u16), t["name"].as_str(), "code {code}");
            n += 1;
        }
    }
    assert_eq!(
        n,
        crate::ppm_sc::PPM_SC_NAMES
            .iter()
            .filter(|s| !s.is_empty())
            .count()
    );
}

// ---------------------------------------------------------------------------
// Framing, streams, sections

#[test]
fn trailer_mismatch_and_short_blocks() {
    let ev = block(EV_V2, &ev2_body(0, None, 1, 1, 186, &[]));
    let mut bad = ev.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    let f = file(&[shb(), ev.clone(), bad]);
    let (_, evs, err) = read_all(&f);
    assert_eq!(evs.len(), 1);
    let err = err.unwrap();
    assert_eq!(
        (err.kind, err.offset),
        (ErrorKind::BadBlock, 28 + ev.len() as u64)
    );
    assert!(err.message.contains("trailer"), "{err}");
    // total length < 12
    let f = file(&[shb(), B::new().u32(EV_V2).u32(4).done()]);
    let (_, _, err) = read_all(&f);
    assert_eq!(err.unwrap().kind, ErrorKind::BadBlock);
    // Header cut in the middle.
    let f = file(&[shb(), ev[..5].to_vec()]);
    let err = ScapReader::new(&f[..]).unwrap_err();
    assert_eq!((err.kind, err.offset), (ErrorKind::Truncated, 28));
    let f = file(&[shb(), ev.clone(), ev[..5].to_vec()]);
    let (_, evs, err) = read_all(&f);
    assert_eq!(evs.len(), 1);
    let err = err.unwrap();
    assert_eq!(
        (err.kind, err.offset),
        (ErrorKind::Truncated, 28 + ev.len() as u64)
    );
}

#[test]
fn truncation_at_every_offset_of_a_small_capture() {
    let f = file(&[
        shb(),
        block(MI, &[0; 180]),
        block(PL_V9, &pl_entry(9, 1, &[])),
        block(FDL_V2, &fd_entries(true)),
        block(EV_V2, &ev2_body(0, None, 1, 1, 186, &[&0i64.to_le_bytes()])),
        block(EV_V2, &ev2_body(0, None, 2, 1, 187, &[])),
    ]);
    let boundaries: Vec<usize> = {
        let mut v = vec![0];
        let mut off = 0;
        while off < f.len() {
            let total = u32::from_le_bytes(f[off + 4..off + 8].try_into().unwrap()) as usize;
            off += total;
            v.push(off);
        }
        v
    };
    for cut in 0..f.len() {
        let data = &f[..cut];
        match ScapReader::new(data) {
            Err(e) => {
                assert!(e.offset as usize <= cut, "cut {cut}: {e}");
                assert_eq!(e.kind, ErrorKind::Truncated, "cut {cut}: {e}");
            }
            Ok(mut r) => {
                let mut n = 0;
                let mut err = None;
                for e in &mut r {
                    match e {
                        Ok(_) => n += 1,
                        Err(e) => err = Some(e),
                    }
                }
                if boundaries.contains(&cut) {
                    assert!(err.is_none(), "cut {cut} at a block boundary");
                } else {
                    let e = err.unwrap_or_else(|| panic!("cut {cut}: no error"));
                    assert_eq!(e.kind, ErrorKind::Truncated);
                    assert!(boundaries.contains(&(e.offset as usize)), "cut {cut}: {e}");
                }
                assert!(n <= 2);
            }
        }
    }
}

#[test]
fn gzip_and_multi_member_gzip() {
    let part1 = file(&[shb(), block(EV_V2, &ev2_body(0, None, 1, 1, 186, &[]))]);
    let part2 = block(EV_V2, &ev2_body(0, None, 2, 1, 187, &[]));
    let gz = |b: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    let data = [gz(&part1), gz(&part2)].concat();
    let (r, evs, err) = read_all(&data);
    assert!(err.is_none(), "{err:?}");
    assert!(r.is_gzip());
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1].offset, part1.len() as u64);
    // A truncated gzip stream: the first event is delivered, then an error.
    let whole = gz(&[part1.clone(), part2.clone(), part2.clone()].concat());
    let (_, evs, err) = read_all(&whole[..whole.len() - 12]);
    assert!(!evs.is_empty());
    let err = err.expect("truncated gzip must fail");
    assert!(
        matches!(err.kind, ErrorKind::Truncated | ErrorKind::Io),
        "{err}"
    );
}

#[test]
fn sections_and_late_metadata() {
    let ev = |code| block(EV_V2, &ev2_body(0, None, 1, 1, code, &[]));
    let f = file(&[
        shb(),
        block(PL_V9, &pl_entry(9, 1, &[])),
        ev(186),
        block(PL_V9, &pl_entry(9, 2, &[])), // metadata after events: applied
        ev(187),
        shb(), // a second section: tables reset
        block(PL_V9, &pl_entry(9, 3, &[])),
        ev(186),
    ]);
    let mut r = ScapReader::new(&f[..]).unwrap();
    assert_eq!(r.processes().len(), 1);
    let mut kinds = Vec::new();
    while let Some(b) = r.next_block() {
        kinds.push(match b.unwrap() {
            Block::Event(e) => format!("ev{}", e.num),
            Block::Processes(p) => format!("pl{}", p.len()),
            Block::SectionHeader(_) => "shb".into(),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(kinds, ["ev1", "pl1", "ev2", "shb", "pl1", "ev3"]);
    assert_eq!(r.sections(), 2);
    assert_eq!(r.processes().iter().map(|t| t.tid).collect::<Vec<_>>(), [3]);
    assert_eq!(r.events_read(), 3);
    assert!(r.next_block().is_none());
}

// ---------------------------------------------------------------------------
// Values

/// The typed readers give what the generic decoder gives, for every type
/// and random bytes of every small length (sizes that fit and that do
/// not, NULs inside strings).
#[test]
fn typed_decoders_match_decode() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for ty in FieldType::ALL {
        for len in 0..=40usize {
            for round in 0..20 {
                let raw: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = next();
                        // Now and then a NUL or a 0/1 byte.
                        match (round, r % 5) {
                            (0, _) => 0,
                            (_, 0) => 0,
                            (_, 1) => 1,
                            _ => (r >> 8) as u8,
                        }
                    })
                    .collect();
                let v = decode(ty, &raw);
                assert_eq!(value::decode_i64(ty, &raw), v.as_i64(), "{ty:?} {raw:?}");
                let b = match v {
                    ParamValue::Empty => None,
                    ref v => v.as_bytes(),
                };
                assert_eq!(value::decode_bytes(ty, &raw), b, "{ty:?} {raw:?}");
            }
        }
    }
}

#[test]
fn value_decoding() {
    use FieldType as T;
    use ParamValue as V;
    assert_eq!(decode(T::Int8, &[0xff]), V::Int(-1));
    assert_eq!(decode(T::Int16, &(-2i16).to_le_bytes()), V::Int(-2));
    assert_eq!(decode(T::Int32, &(-3i32).to_le_bytes()), V::Int(-3));
    assert_eq!(decode(T::Uint16, &[1, 1]), V::Uint(257));
    assert_eq!(decode(T::Errno, &(-2i64).to_le_bytes()), V::Errno(-2));
    assert_eq!(decode(T::Pid, &9i64.to_le_bytes()), V::Pid(9));
    assert_eq!(decode(T::Fd32, &(-1i32).to_le_bytes()), V::Fd(-1));
    assert_eq!(decode(T::Bool, &1u32.to_le_bytes()), V::Bool(true));
    assert_eq!(decode(T::Double, &1.5f64.to_le_bytes()), V::Double(1.5));
    assert_eq!(decode(T::Flags8, &[5]), V::Flags(5));
    assert_eq!(decode(T::Uid, &0u32.to_le_bytes()), V::Uid(0));
    assert_eq!(decode(T::Mode, &0o755u32.to_le_bytes()), V::Mode(0o755));
    assert_eq!(decode(T::Reltime, &7u64.to_le_bytes()), V::RelTime(7));
    assert_eq!(decode(T::Charbuf, b"abc\0"), V::Str(b"abc"));
    assert_eq!(decode(T::Fspath, b"/x"), V::Str(b"/x"));
    assert_eq!(decode(T::Bytebuf, b"\x00\x01"), V::Bytes(b"\x00\x01"));
    assert_eq!(
        decode(T::Charbufarray, b"a\0bc\0"),
        V::StrArray(vec![b"a", b"bc"])
    );
    assert_eq!(
        decode(T::CharbufPairArray, b"k\0v\0"),
        V::StrPairArray(vec![(b"k".as_slice(), b"v".as_slice())])
    );
    assert_eq!(
        decode(T::Ipv4addr, &[1, 2, 3, 4]),
        V::Ipv4(Ipv4Addr::new(1, 2, 3, 4))
    );
    assert_eq!(
        decode(T::Ipv6addr, &[0; 16]),
        V::Ipv6(Ipv6Addr::UNSPECIFIED)
    );
    assert_eq!(decode(T::Uint32, &[]), V::Empty);
    assert_eq!(decode(T::Uint32, &[1, 2]), V::Malformed(&[1, 2]));
    assert_eq!(
        decode(T::Dynamic, &[1, 9]),
        V::Dynamic {
            index: 1,
            data: &[9]
        }
    );
    // sockaddr: IPv4 with the port in host order, IPv6, unix, other.
    let sa = decode(T::Sockaddr, &[2, 93, 184, 216, 34, 0xbb, 0x01]);
    assert_eq!(sa.to_string(), "93.184.216.34:443");
    let mut v6 = vec![10];
    v6.extend(Ipv6Addr::LOCALHOST.octets());
    v6.extend(8080u16.to_le_bytes());
    assert_eq!(decode(T::Sockaddr, &v6).to_string(), "::1:8080");
    assert_eq!(
        decode(T::Sockaddr, b"\x01/tmp/s\0"),
        V::SockAddr(SockAddr::Unix { path: b"/tmp/s" })
    );
    assert_eq!(decode(T::Sockaddr, &[16, 1, 2]).to_string(), "family 16");
    assert!(matches!(decode(T::Sockaddr, &[2, 1, 2]), V::Malformed(_)));
    // socktuple
    let mut t4 = vec![2, 127, 0, 0, 1];
    t4.extend(5555u16.to_le_bytes());
    t4.extend([127, 0, 0, 1]);
    t4.extend(9u16.to_le_bytes());
    assert_eq!(
        decode(T::Socktuple, &t4).to_string(),
        "127.0.0.1:5555->127.0.0.1:9"
    );
    let mut t6 = vec![10];
    t6.extend(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped().octets());
    t6.extend(1u16.to_le_bytes());
    t6.extend(Ipv4Addr::new(10, 0, 0, 2).to_ipv6_mapped().octets());
    t6.extend(2u16.to_le_bytes());
    assert_eq!(
        decode(T::Socktuple, &t6).to_string(),
        "10.0.0.1:1->10.0.0.2:2"
    );
    let mut tu = vec![1];
    tu.extend(0xabu64.to_le_bytes());
    tu.extend(0xcdu64.to_le_bytes());
    tu.extend(b"/run/s\0");
    assert_eq!(decode(T::Socktuple, &tu).to_string(), "ab->cd /run/s");
    assert!(matches!(decode(T::Socktuple, &t4[..8]), V::Malformed(_)));
    // fdlist
    let mut fl = 2u16.to_le_bytes().to_vec();
    fl.extend(3i64.to_le_bytes());
    fl.extend(1u16.to_le_bytes());
    fl.extend(4i64.to_le_bytes());
    fl.extend(4u16.to_le_bytes());
    assert_eq!(decode(T::Fdlist, &fl), V::FdList(vec![(3, 1), (4, 4)]));
    assert!(matches!(decode(T::Fdlist, &fl[..12]), V::Malformed(_)));
    // JSON renderings
    assert_eq!(sa.to_json(false), serde_json::json!("93.184.216.34:443"));
    assert_eq!(
        V::Str(b"a\xffb").to_json(false),
        serde_json::json!("a\\xffb")
    );
    assert_eq!(V::Empty.to_json(false), serde_json::Value::Null);
    assert_eq!(
        V::Bytes(b"a\0b\0").to_json(true),
        serde_json::json!(["a", "b"])
    );
}

#[test]
fn encode_rejects_values_that_do_not_fit() {
    use FieldType as T;
    use ParamValue as V;
    assert_eq!(encode(T::Int8, &V::Int(300)), None);
    assert_eq!(encode(T::Uint16, &V::Uint(70000)), None);
    assert_eq!(encode(T::Sockaddr, &V::Uint(1)), None);
    assert_eq!(encode(T::Charbuf, &V::Str(b"x")), Some(b"x\0".to_vec()));
    assert_eq!(encode(T::Uint32, &V::Empty), Some(Vec::new()));
    assert!(Event::from_values(2, 0, 0, 0, &[V::Uint(1)]).is_err());
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn value_for(ty: FieldType) -> BoxedStrategy<Vec<u8>> {
        use FieldType as T;
        match ty {
            T::Charbuf | T::Fspath | T::Fsrelpath => "[a-z/._-]{0,20}"
                .prop_map(|s| {
                    let mut v = s.into_bytes();
                    v.push(0);
                    v
                })
                .boxed(),
            T::Bytebuf => proptest::collection::vec(any::<u8>(), 0..40).boxed(),
            _ => proptest::collection::vec(any::<u8>(), 0..24).boxed(),
        }
    }

    fn typed_raw() -> impl Strategy<Value = (FieldType, Vec<u8>)> {
        (0usize..FieldType::ALL.len()).prop_flat_map(|i| {
            let ty = FieldType::ALL[i];
            (Just(ty), value_for(ty))
        })
    }

    proptest! {
        /// Whatever the bytes, decoding never panics, and re-encoding a
        /// decoded value decodes to the same value (and gives the same
        /// bytes back for the exact-size types).
        #[test]
        fn decode_encode_roundtrip((ty, raw) in typed_raw()) {
            let v = decode(ty, &raw);
            let _ = v.to_string();
            let _ = v.to_json(true);
            if matches!(v, ParamValue::Double(d) if d.is_nan()) {
                return Ok(());
            }
            if let Some(back) = encode(ty, &v) {
                let again = decode(ty, &back);
                prop_assert_eq!(&again, &v, "type {} raw {:?}", ty, raw);
                let lossy = matches!(v, ParamValue::StrArray(_) | ParamValue::StrPairArray(_)
                    | ParamValue::SockAddr(_) | ParamValue::SockTuple(_) | ParamValue::FdList(_)
                    | ParamValue::Str(_) | ParamValue::Bool(_));
                if !lossy {
                    prop_assert_eq!(back, raw.clone(), "type {}", ty);
                }
            }
        }

        /// Random bytes after a valid header never panic the reader.
        #[test]
        fn random_blocks_never_panic(blocks in proptest::collection::vec(
            (prop_oneof![
                Just(EV), Just(EV_V2), Just(EVF_V2), Just(EV_V2_LARGE), Just(PL_V9),
                Just(PL_V1), Just(FDL), Just(FDL_V2), Just(IL), Just(IL_V2), Just(UL),
                Just(UL_V2), Just(MI), Just(SHB), any::<u32>()],
             proptest::collection::vec(any::<u8>(), 0..200)), 0..6)) {
            let mut f = shb();
            for (ty, body) in &blocks {
                f.extend(block(*ty, body));
            }
            if let Ok(mut r) = ScapReader::new(&f[..]) {
                while let Some(b) = r.next_block() {
                    if let Err(e) = b {
                        prop_assert!(e.offset < f.len() as u64);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Writer

fn sample_threads() -> Vec<ThreadInfo> {
    vec![
        ThreadInfo {
            tid: 1,
            pid: 1,
            ptid: 0,
            sid: 1,
            vpgid: 1,
            comm: "init".into(),
            exe: "/sbin/init".into(),
            exepath: "/sbin/init".into(),
            cwd: "/".into(),
            fdlimit: 1024,
            loginuid: u32::MAX,
            ..ThreadInfo::default()
        },
        ThreadInfo {
            tid: 100,
            pid: 100,
            ptid: 1,
            sid: 100,
            vpgid: 100,
            comm: "bash".into(),
            exe: "bash".into(),
            exepath: "/usr/bin/bash".into(),
            args: vec!["-i".into()],
            cwd: "/root".into(),
            fdlimit: 1024,
            uid: 0,
            gid: 0,
            vmsize_kb: 1000,
            env: vec!["HOME=/root".into(), "PATH=/usr/bin".into()],
            vtid: 100,
            vpid: 100,
            cgroups: vec![format!("cpu=/docker/{}", "c".repeat(64))],
            root: "/".into(),
            loginuid: 1000,
            exe_writable: true,
            cap_effective: 0x1ff,
            cap_permitted: 0x1ff,
            ..ThreadInfo::default()
        },
    ]
}

#[test]
fn writer_roundtrip() {
    let mi = MachineInfo {
        num_cpus: 4,
        memory_bytes: 1 << 33,
        max_pid: 32768,
        hostname: "falconer".into(),
        boot_ts_epoch: 5,
        flags: 0,
        reserved3: 0,
        reserved4: 0,
    };
    let users = UserList {
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
    };
    let ifs = vec![
        Interface {
            name: "lo".into(),
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            netmask: IpAddr::V4(Ipv4Addr::new(255, 0, 0, 0)),
            bcast: IpAddr::V4(Ipv4Addr::new(127, 255, 255, 255)),
            linkspeed: 0,
        },
        Interface {
            name: "lo".into(),
            addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
            netmask: IpAddr::V6(Ipv6Addr::from([0xff; 16])),
            bcast: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            linkspeed: 10,
        },
    ];
    let fd_body = fd_entries(true);
    let fds = crate::meta::parse_fdlist(FDL_V2, &fd_body).unwrap();
    let events = vec![
        Event::from_values(
            307,
            10,
            100,
            1,
            &[
                ParamValue::Fd(3),
                ParamValue::Fd(-100),
                ParamValue::Str(b"/etc/shadow"),
                ParamValue::Flags(1),
                ParamValue::Uint(0),
                ParamValue::Uint(0),
                ParamValue::Uint(0),
            ],
        )
        .unwrap(),
        Event::from_values(186, 11, 100, 0, &[ParamValue::Errno(0)])
            .unwrap()
            .with_flags(DF_STATE_ONLY),
        Event::from_values(
            324,
            12,
            u64::MAX,
            0,
            &[ParamValue::Str(b"{\"container\":{}}")],
        )
        .unwrap(),
        Event::new(1000, 13, 1, 0, &[b"unknown code, raw params"]),
    ];
    let mut w = ScapWriter::new(Vec::new()).unwrap();
    w.write_machine_info(&mi).unwrap();
    w.write_users(&users).unwrap();
    w.write_interfaces(&ifs).unwrap();
    w.write_processes(&sample_threads()).unwrap();
    w.write_fds(&fds).unwrap();
    for e in &events {
        w.write_event(e).unwrap();
    }
    assert_eq!(
        w.write_machine_info(&mi).unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
    let bytes = w.finish().unwrap();
    assert_eq!(bytes.len() % 4, 0);

    let (r, evs, err) = read_all(&bytes);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(r.machine_info(), Some(&mi));
    assert_eq!(r.users(), Some(&users));
    assert_eq!(r.interfaces(), &ifs[..]);
    assert_eq!(r.processes(), &sample_threads()[..]);
    assert_eq!(r.fds(), &[fds]);
    // Event 1000 is beyond the table: skipped.
    assert_eq!(
        r.skipped_events(),
        if 1000 >= falconer_catalog::EVENT_CODE_UNIVERSE {
            1
        } else {
            0
        }
    );
    assert_eq!(evs.len(), 3);
    for (a, b) in evs.iter().zip(&events) {
        assert!(a.same_content(b), "{a:?} != {b:?}");
    }
    assert_eq!(evs[0].block_type, EV_V2);
    assert_eq!(evs[1].block_type, EVF_V2);
    assert_eq!(evs[2].block_type, EV_V2_LARGE);
    assert_eq!(
        evs[2].value("json").unwrap().to_string(),
        "{\"container\":{}}"
    );
}

#[test]
fn writer_rejects_oversized_params() {
    let big = vec![b'a'; 70_000];
    let e = Event::new(3, 0, 0, 0, &[&big]);
    let mut w = ScapWriter::new(Vec::new()).unwrap();
    assert_eq!(
        w.write_event(&e).unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
}
