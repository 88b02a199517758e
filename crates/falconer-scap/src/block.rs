//! Block type ids and a bounds-checked little-endian cursor over a block
//! body.

/// Block type ids (`scap_savefile.h`). The `*_INT` ids are the
/// "unofficial" numbers used before the library release; readers still
/// accept them.
pub mod types {
    pub const SHB: u32 = 0x0A0D_0D0A;
    pub const SHB_MAGIC: u32 = 0x1A2B_3C4D;

    pub const MI: u32 = 0x201;
    pub const MI_INT: u32 = 0x8002_ABCD;

    pub const PL_V1: u32 = 0x202;
    pub const PL_V1_INT: u32 = 0x8000_ABCD;
    pub const PL_V2: u32 = 0x207;
    pub const PL_V2_INT: u32 = 0x8013_ABCD;
    pub const PL_V3: u32 = 0x209;
    pub const PL_V3_INT: u32 = 0x8014_ABCD;
    pub const PL_V4: u32 = 0x210;
    pub const PL_V5: u32 = 0x211;
    pub const PL_V6: u32 = 0x212;
    pub const PL_V7: u32 = 0x213;
    pub const PL_V8: u32 = 0x214;
    pub const PL_V9: u32 = 0x215;

    pub const FDL: u32 = 0x203;
    pub const FDL_INT: u32 = 0x8001_ABCD;
    pub const FDL_V2: u32 = 0x218;

    pub const EV: u32 = 0x204;
    pub const EV_INT: u32 = 0x8010_ABCD;
    pub const EV_V2: u32 = 0x216;
    pub const EV_V2_LARGE: u32 = 0x221;

    pub const IL: u32 = 0x205;
    pub const IL_INT: u32 = 0x8011_ABCD;
    pub const IL_V2: u32 = 0x219;

    pub const UL: u32 = 0x206;
    pub const UL_INT: u32 = 0x8012_ABCD;
    pub const UL_V2: u32 = 0x220;

    pub const EVF: u32 = 0x208;
    pub const EVF_V2: u32 = 0x217;
    pub const EVF_V2_LARGE: u32 = 0x222;
}

/// The process-list generation (1–9) of a block type, if it is one.
pub fn proclist_version(block_type: u32) -> Option<u8> {
    use types::*;
    Some(match block_type {
        PL_V1 | PL_V1_INT => 1,
        PL_V2 | PL_V2_INT => 2,
        PL_V3 | PL_V3_INT => 3,
        PL_V4 => 4,
        PL_V5 => 5,
        PL_V6 => 6,
        PL_V7 => 7,
        PL_V8 => 8,
        PL_V9 => 9,
        _ => return None,
    })
}

/// The layout of an event block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventBlockFormat {
    /// `EV`/`EVF` (and the pre-release `EV_INT`): the event header has no
    /// `nparams`; it is inferred from `len`.
    V1,
    /// `EV_V2`/`EVF_V2`: the event header carries `nparams`.
    V2,
    /// `EV_V2_LARGE`/`EVF_V2_LARGE`: as V2, for events over 64 KiB.
    V2Large,
}

/// `(format, has_flags)` for an event block type.
pub fn event_block(block_type: u32) -> Option<(EventBlockFormat, bool)> {
    use types::*;
    Some(match block_type {
        EV | EV_INT => (EventBlockFormat::V1, false),
        EVF => (EventBlockFormat::V1, true),
        EV_V2 => (EventBlockFormat::V2, false),
        EVF_V2 => (EventBlockFormat::V2, true),
        EV_V2_LARGE => (EventBlockFormat::V2Large, false),
        EVF_V2_LARGE => (EventBlockFormat::V2Large, true),
        _ => return None,
    })
}

/// A short name for a block type, for messages.
pub fn block_name(block_type: u32) -> String {
    use types::*;
    let s = match block_type {
        SHB => "section header",
        MI | MI_INT => "machine info",
        FDL | FDL_INT => "fd list",
        FDL_V2 => "fd list V2",
        IL | IL_INT => "interface list",
        IL_V2 => "interface list V2",
        UL | UL_INT => "user list",
        UL_V2 => "user list V2",
        EV | EV_INT => "event",
        EVF => "event with flags",
        EV_V2 => "event V2",
        EVF_V2 => "event with flags V2",
        EV_V2_LARGE => "event V2 large",
        EVF_V2_LARGE => "event with flags V2 large",
        t => {
            return match proclist_version(t) {
                Some(v) => format!("process list V{v}"),
                None => format!("block type {t:#x}"),
            }
        }
    };
    s.to_string()
}

/// Bounds-checked little-endian reads over a byte slice. Every read either
/// returns the value and advances, or fails without advancing.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

/// A read past the end: how many bytes were wanted and how many were left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Short {
    pub wanted: usize,
    pub left: usize,
    pub at: usize,
}

impl std::fmt::Display for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "needs {} bytes at body offset {} but only {} remain",
            self.wanted, self.at, self.left
        )
    }
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Cursor<'a> {
        Cursor { data, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if n > self.remaining() {
            return Err(Short {
                wanted: n,
                left: self.remaining(),
                at: self.pos,
            });
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), Short> {
        self.bytes(n).map(|_| ())
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u16(&mut self) -> Result<u16, Short> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, Short> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, Short> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub fn i64(&mut self) -> Result<i64, Short> {
        Ok(i64::from_le_bytes(self.array()?))
    }
}

/// Little-endian helpers for writers.
pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The length of a block whose body is `body_len` bytes: header, body,
/// padding to a multiple of 4, trailer.
pub(crate) fn block_total_len(body_len: usize) -> usize {
    8 + body_len.div_ceil(4) * 4 + 4
}

/// Frames a body as a block: header, body, zero padding, trailer.
pub(crate) fn frame_block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let total = block_total_len(body.len());
    let mut out = Vec::with_capacity(total);
    put_u32(&mut out, block_type);
    put_u32(&mut out, total as u32);
    out.extend_from_slice(body);
    out.resize(total - 4, 0);
    put_u32(&mut out, total as u32);
    out
}
