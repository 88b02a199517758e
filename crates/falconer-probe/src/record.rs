//! The records the kernel side writes into the ring buffer
//! (`bpf/probe.bpf.c`): a fixed header, then length-prefixed parameters.
//! Parsing never panics: a short or inconsistent record is an error.

/// Record kinds.
pub mod kind {
    pub const SYSCALL: u16 = 1;
    pub const EXEC: u16 = 2;
    pub const FORK: u16 = 3;
    pub const EXIT: u16 = 4;
}

/// Bits of a system call's entry in the kernel's `syscall_spec` map: which
/// parameters the kernel captures at the exit of that call.
pub mod spec {
    pub const CAPTURE: u32 = 1 << 0;
    pub const PATH_A_SHIFT: u32 = 1;
    pub const PATH_B_SHIFT: u32 = 4;
    pub const SOCKADDR_SHIFT: u32 = 7;
    pub const TUPLE_ARG0: u32 = 1 << 10;
    pub const TUPLE_RET: u32 = 1 << 11;
    pub const FILE_RET: u32 = 1 << 12;
    pub const PIPE_ARG0: u32 = 1 << 13;
    pub const OPEN_HOW: u32 = 1 << 14;
    pub const SKIP_SUCCESS: u32 = 1 << 15;
    // Bit 16 (keep the enter data at `sys_enter`) is retired: there is no
    // enter hook; every call takes its arguments from the registers at the
    // exit, which a system call leaves as they were.

    /// A user string (path) read from argument `arg` (0-based).
    pub const fn path_a(arg: u32) -> u32 {
        (arg + 1) << PATH_A_SHIFT
    }
    pub const fn path_b(arg: u32) -> u32 {
        (arg + 1) << PATH_B_SHIFT
    }
    /// A socket address at argument `arg`, its length in `arg + 1`.
    pub const fn sockaddr(arg: u32) -> u32 {
        (arg + 1) << SOCKADDR_SHIFT
    }

    /// The parameters a record with this spec carries, in order.
    pub fn params(spec: u32) -> Params {
        let mut v = Params::default();
        if (spec >> PATH_A_SHIFT) & 7 != 0 {
            v.push(Param::PathA);
        }
        if (spec >> PATH_B_SHIFT) & 7 != 0 {
            v.push(Param::PathB);
        }
        if (spec >> SOCKADDR_SHIFT) & 7 != 0 {
            v.push(Param::SockAddr);
        }
        if spec & TUPLE_ARG0 != 0 || spec & TUPLE_RET != 0 {
            v.push(Param::Tuple);
        }
        if spec & FILE_RET != 0 {
            v.push(Param::FileInfo);
        }
        if spec & PIPE_ARG0 != 0 {
            v.push(Param::PipeFds);
            v.push(Param::FileInfo);
        }
        if spec & OPEN_HOW != 0 {
            v.push(Param::OpenHow);
        }
        v
    }

    /// At most 8 parameters, without allocating.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Params {
        items: [Option<Param>; 8],
        len: usize,
    }

    impl Params {
        fn push(&mut self, p: Param) {
            if self.len < self.items.len() {
                self.items[self.len] = Some(p);
                self.len += 1;
            }
        }

        pub fn iter(&self) -> impl Iterator<Item = Param> + '_ {
            self.items[..self.len].iter().flatten().copied()
        }

        pub fn to_vec(&self) -> Vec<Param> {
            self.iter().collect()
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Param {
        PathA,
        PathB,
        SockAddr,
        Tuple,
        FileInfo,
        PipeFds,
        OpenHow,
    }
}

/// `FORK_*` bits of a fork record's `proc_info.flags`.
pub mod fork_flags {
    pub const THREAD: u32 = 1 << 0;
    pub const VM: u32 = 1 << 1;
    pub const FS: u32 = 1 << 2;
    pub const FILES: u32 = 1 << 3;
    pub const VFORK: u32 = 1 << 4;
    pub const IN_PIDNS: u32 = 1 << 5;
}

pub const HDR_SIZE: usize = 96;
pub const PROC_INFO_SIZE: usize = 144;
pub const TUPLE_SIZE: usize = 56;
pub const FILE_INFO_SIZE: usize = 24;

/// A parsed record, borrowing the ring buffer's bytes; its header's
/// fields read through it (`rec.ts`).
#[derive(Clone, Debug)]
pub struct Record<'a> {
    pub header: Header,
    params: [&'a [u8]; MAX_PARAMS],
    nparams: usize,
}

impl std::ops::Deref for Record<'_> {
    type Target = Header;
    fn deref(&self) -> &Header {
        &self.header
    }
}

/// The most parameters a record has (exec and fork records: 8).
pub const MAX_PARAMS: usize = 12;

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"))
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}

impl<'a> Record<'a> {
    pub fn parse(b: &'a [u8]) -> Result<Record<'a>, String> {
        if b.len() < HDR_SIZE {
            return Err(format!(
                "record of {} bytes is shorter than its header",
                b.len()
            ));
        }
        let size = u32_at(b, 80) as usize;
        if size < HDR_SIZE || size > b.len() {
            return Err(format!("record size {size} does not fit {} bytes", b.len()));
        }
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = u64_at(b, 24 + 8 * i);
        }
        let nparams = u16_at(b, 88) as usize;
        if nparams > MAX_PARAMS {
            return Err(format!(
                "record with {nparams} parameters (at most {MAX_PARAMS})"
            ));
        }
        let mut params: [&'a [u8]; MAX_PARAMS] = [&[]; MAX_PARAMS];
        let mut count = 0;
        let mut o = HDR_SIZE;
        for i in 0..nparams {
            if o == size {
                // A record truncated in the kernel: the remaining
                // parameters are absent.
                break;
            }
            if o + 2 > size {
                return Err(format!("parameter {i} header beyond the record"));
            }
            let l = u16_at(b, o) as usize;
            o += 2;
            if o + l > size {
                return Err(format!("parameter {i} ({l} bytes) beyond the record"));
            }
            params[count] = &b[o..o + l];
            count += 1;
            o += l;
        }
        Ok(Record {
            header: Header {
                ts: u64_at(b, 0),
                enter_ts: u64_at(b, 8),
                ret: u64_at(b, 16) as i64,
                args,
                tid: u32_at(b, 72),
                tgid: u32_at(b, 76),
                kind: u16_at(b, 84),
                nr: u16_at(b, 86),
                cpu: u16_at(b, 90),
            },
            params,
            nparams: count,
        })
    }

    /// Parameter `i`, empty when absent.
    pub fn param(&self, i: usize) -> &'a [u8] {
        if i < self.nparams {
            self.params[i]
        } else {
            &[]
        }
    }

    /// The parameters present.
    pub fn params(&self) -> &[&'a [u8]] {
        &self.params[..self.nparams]
    }
}

/// `struct proc_info` of exec and fork records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcInfo {
    pub tid: u32,
    pub pid: u32,
    pub ptid: u32,
    pub vtid: u32,
    pub vpid: u32,
    pub vpgid: u32,
    pub sid: u32,
    pub loginuid: u32,
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub egid: u32,
    pub tty: u32,
    pub flags: u32,
    pub fdlimit: u64,
    pub vm_size_kb: u64,
    pub pgft_maj: u64,
    pub pgft_min: u64,
    pub start_time: u64,
    pub pidns_init_start: u64,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_ino: u64,
    pub exe_dev: u32,
}

impl ProcInfo {
    pub fn parse(b: &[u8]) -> Option<ProcInfo> {
        if b.len() < PROC_INFO_SIZE {
            return None;
        }
        let u = |i: usize| u32_at(b, 4 * i);
        let q = |o: usize| u64_at(b, o);
        Some(ProcInfo {
            tid: u(0),
            pid: u(1),
            ptid: u(2),
            vtid: u(3),
            vpid: u(4),
            vpgid: u(5),
            sid: u(6),
            loginuid: u(7),
            uid: u(8),
            gid: u(9),
            euid: u(10),
            egid: u(11),
            tty: u(12),
            flags: u(13),
            fdlimit: q(56),
            vm_size_kb: q(64),
            pgft_maj: q(72),
            pgft_min: q(80),
            start_time: q(88),
            pidns_init_start: q(96),
            cap_inheritable: q(104),
            cap_permitted: q(112),
            cap_effective: q(120),
            exe_ino: q(128),
            exe_dev: u32_at(b, 136),
        })
    }
}

/// `struct sock_tuple_raw` plus the unix path that may follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTuple<'a> {
    pub family: u16,
    pub sport: u16,
    pub dport: u16,
    pub saddr: [u8; 16],
    pub daddr: [u8; 16],
    pub source: u64,
    pub dest: u64,
    pub path: &'a [u8],
}

impl<'a> RawTuple<'a> {
    pub fn parse(b: &'a [u8]) -> Option<RawTuple<'a>> {
        if b.len() < TUPLE_SIZE {
            return None;
        }
        let path = &b[TUPLE_SIZE..];
        let path = match path.iter().position(|&c| c == 0) {
            Some(i) => &path[..i],
            None => path,
        };
        Some(RawTuple {
            family: u16_at(b, 0),
            sport: u16_at(b, 2),
            dport: u16_at(b, 4),
            saddr: b[8..24].try_into().expect("16 bytes"),
            daddr: b[24..40].try_into().expect("16 bytes"),
            source: u64_at(b, 40),
            dest: u64_at(b, 48),
            path,
        })
    }
}

/// `struct file_info_raw`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileInfo {
    pub dev: u32,
    pub f_mode: u32,
    pub ino: u64,
    pub f_flags: u32,
}

impl FileInfo {
    pub fn parse(b: &[u8]) -> Option<FileInfo> {
        if b.len() < FILE_INFO_SIZE {
            return None;
        }
        Some(FileInfo {
            dev: u32_at(b, 0),
            f_mode: u32_at(b, 4),
            ino: u64_at(b, 8),
            f_flags: u32_at(b, 16),
        })
    }
}

/// A record's fixed header (what [`Record::parse`] reads and [`encode`]
/// writes; the size and parameter count follow from the parameters).
#[derive(Clone, Copy, Debug, Default)]
pub struct Header {
    pub ts: u64,
    /// Time of the system call's entry (0: the kernel has no enter hook).
    pub enter_ts: u64,
    pub ret: i64,
    pub args: [u64; 6],
    pub tid: u32,
    pub tgid: u32,
    pub kind: u16,
    pub nr: u16,
    pub cpu: u16,
}

/// A record in the kernel's layout (what `bpf/probe.bpf.c` writes), for
/// tests and benchmarks of the user side.
pub fn encode(h: &Header, params: &[&[u8]]) -> Vec<u8> {
    let mut b = vec![0u8; HDR_SIZE];
    b[0..8].copy_from_slice(&h.ts.to_le_bytes());
    b[8..16].copy_from_slice(&h.enter_ts.to_le_bytes());
    b[16..24].copy_from_slice(&h.ret.to_le_bytes());
    for (i, a) in h.args.iter().enumerate() {
        b[24 + 8 * i..32 + 8 * i].copy_from_slice(&a.to_le_bytes());
    }
    b[72..76].copy_from_slice(&h.tid.to_le_bytes());
    b[76..80].copy_from_slice(&h.tgid.to_le_bytes());
    b[84..86].copy_from_slice(&h.kind.to_le_bytes());
    b[86..88].copy_from_slice(&h.nr.to_le_bytes());
    b[88..90].copy_from_slice(&(params.len() as u16).to_le_bytes());
    b[90..92].copy_from_slice(&h.cpu.to_le_bytes());
    for p in params {
        b.extend_from_slice(&(p.len() as u16).to_le_bytes());
        b.extend_from_slice(p);
    }
    let size = b.len() as u32;
    b[80..84].copy_from_slice(&size.to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, nr: u16, params: &[&[u8]]) -> Vec<u8> {
        let mut args = [0u64; 6];
        args[0] = 7;
        encode(
            &Header {
                ts: 5,
                enter_ts: 0,
                ret: -2,
                args,
                tid: 11,
                tgid: 10,
                kind,
                nr,
                cpu: 1,
            },
            params,
        )
    }

    #[test]
    fn parses_header_and_params() {
        let b = record(kind::SYSCALL, 257, &[b"/etc/x\0", b""]);
        let r = Record::parse(&b).unwrap();
        assert_eq!((r.ts, r.ret, r.args[0], r.tid, r.tgid), (5, -2, 7, 11, 10));
        assert_eq!((r.kind, r.nr, r.cpu), (kind::SYSCALL, 257, 1));
        assert_eq!(r.params(), &[&b"/etc/x\0"[..], &b""[..]]);
        assert_eq!(r.param(5), b"");
    }

    #[test]
    fn rejects_inconsistent_records() {
        assert!(Record::parse(&[0u8; 10]).is_err());
        let mut b = record(kind::SYSCALL, 2, &[b"abc"]);
        // A parameter length beyond the record.
        b[HDR_SIZE] = 200;
        assert!(Record::parse(&b).is_err());
        // A size beyond the buffer.
        let mut b = record(kind::SYSCALL, 2, &[]);
        b[80..84].copy_from_slice(&1000u32.to_le_bytes());
        assert!(Record::parse(&b).is_err());
    }

    #[test]
    fn truncated_records_have_fewer_params() {
        let mut b = record(kind::EXEC, 59, &[b"x"]);
        b[88..90].copy_from_slice(&8u16.to_le_bytes());
        let r = Record::parse(&b).unwrap();
        assert_eq!(r.params().len(), 1);
    }

    #[test]
    fn spec_params_follow_the_kernel_order() {
        use spec::*;
        let s = CAPTURE | path_a(1) | FILE_RET;
        assert_eq!(params(s).to_vec(), vec![Param::PathA, Param::FileInfo]);
        let s = CAPTURE | sockaddr(1) | TUPLE_ARG0;
        assert_eq!(params(s).to_vec(), vec![Param::SockAddr, Param::Tuple]);
        let s = CAPTURE | PIPE_ARG0;
        assert_eq!(params(s).to_vec(), vec![Param::PipeFds, Param::FileInfo]);
    }
}
