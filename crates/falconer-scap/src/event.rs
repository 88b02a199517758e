//! Events: decoding of event blocks, the [`Event`] type and its
//! parameters.

use falconer_catalog::{catalog, Direction, EventInfo, FieldType, ParamInfo, EVENT_CODE_UNIVERSE};

use crate::block::{event_block, types, Cursor, EventBlockFormat};
use crate::value::{decode, encode, ParamValue};

/// `SCAP_DF_STATE_ONLY`: the event updates state but is not shown.
pub const DF_STATE_ONLY: u32 = 1;
/// `SCAP_DF_LARGE`: writer-side marker for large-payload events.
pub const DF_LARGE: u32 = 4;

/// Size of the V2 event header (`struct ppm_evt_hdr`).
pub const EVENT_HEADER_SIZE: usize = 26;
/// Size of the V1 event header (no `nparams`).
pub const EVENT_HEADER_SIZE_V1: usize = 22;
/// Largest body (block length minus the 8-byte header) of a non-large
/// event block libscap accepts (`READER_BUF_SIZE`).
pub const MAX_EVENT_BLOCK_READ: usize = 1 << 16;

const PPME_NOTIFICATION_E: u16 = 280;
const PPME_INFRASTRUCTURE_EVENT_E: u16 = 286;

/// One event of a capture.
///
/// Parameter values are stored back to back in one buffer; [`Event::params`]
/// and [`Event::param`] give borrowed [`Param`] views with their typed
/// decoding.
#[derive(Debug, PartialEq, Eq)]
pub struct Event {
    /// 1-based position among the events the reader delivered (libsinsp's
    /// `evt.num`, see the crate documentation). 0 for an event built in
    /// memory.
    pub num: u64,
    /// Offset of the event block in the uncompressed stream (0 for an event
    /// built in memory).
    pub offset: u64,
    /// The block type it was read from (0 for an event built in memory).
    pub block_type: u32,
    /// Nanoseconds since the epoch.
    pub ts: u64,
    /// Thread id; container meta-events use `u64::MAX` (-1).
    pub tid: u64,
    pub cpu: u16,
    /// The `ppm_event_code`.
    pub code: u16,
    /// The dump flags of an "event with flags" block (`EVF*`), `None` for
    /// plain event blocks.
    pub flags: Option<u32>,
    data: Vec<u8>,
    spans: Vec<(u32, u32)>,
}

impl Clone for Event {
    fn clone(&self) -> Event {
        Event {
            num: self.num,
            offset: self.offset,
            block_type: self.block_type,
            ts: self.ts,
            tid: self.tid,
            cpu: self.cpu,
            code: self.code,
            flags: self.flags,
            data: self.data.clone(),
            spans: self.spans.clone(),
        }
    }

    /// A copy into `self`'s buffers (no allocation when they are large
    /// enough).
    fn clone_from(&mut self, src: &Event) {
        self.num = src.num;
        self.offset = src.offset;
        self.block_type = src.block_type;
        self.ts = src.ts;
        self.tid = src.tid;
        self.cpu = src.cpu;
        self.code = src.code;
        self.flags = src.flags;
        self.data.clone_from(&src.data);
        self.spans.clone_from(&src.spans);
    }
}

/// A parameter of an [`Event`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    /// Position in the event (0-based).
    pub index: usize,
    /// The event table's description of this position, if the table has
    /// that many parameters for the event code.
    pub info: Option<&'static ParamInfo>,
    /// The stored bytes (strings include their terminating NUL).
    pub raw: &'a [u8],
}

impl<'a> Param<'a> {
    /// The table name (`fd`, `name`, `res`...), or `None` for a parameter
    /// beyond the table's layout.
    pub fn name(&self) -> Option<&'static str> {
        self.info.map(|i| i.name)
    }

    pub fn ty(&self) -> Option<FieldType> {
        self.info.map(|i| i.ty)
    }

    /// The typed value. A parameter without table information decodes as
    /// [`ParamValue::Bytes`].
    pub fn value(&self) -> ParamValue<'a> {
        match self.info {
            Some(i) => decode(i.ty, self.raw),
            None if self.raw.is_empty() => ParamValue::Empty,
            None => ParamValue::Bytes(self.raw),
        }
    }

    /// Whether the value is a NUL-separated list by convention (the
    /// `BYTEBUF` parameters `args`, `env`, `cgroups`).
    pub fn is_nul_list(&self) -> bool {
        matches!(self.info, Some(i) if i.ty == FieldType::Bytebuf
            && matches!(i.name, "args" | "env" | "cgroups"))
    }
}

impl Event {
    /// An event built in memory from raw parameter bytes.
    pub fn new(code: u16, ts: u64, tid: u64, cpu: u16, params: &[&[u8]]) -> Event {
        let mut data = Vec::new();
        let mut spans = Vec::with_capacity(params.len());
        for p in params {
            spans.push((data.len() as u32, p.len() as u32));
            data.extend_from_slice(p);
        }
        Event {
            num: 0,
            offset: 0,
            block_type: 0,
            ts,
            tid,
            cpu,
            code,
            flags: None,
            data,
            spans,
        }
    }

    /// An event built from typed values, encoded with the event table's
    /// parameter types (a value past the table's layout must be
    /// [`ParamValue::Bytes`] or [`ParamValue::Empty`]). Fewer values than
    /// the table has give an older, shorter layout.
    pub fn from_values(
        code: u16,
        ts: u64,
        tid: u64,
        cpu: u16,
        values: &[ParamValue<'_>],
    ) -> Result<Event, String> {
        let info = catalog().event(code);
        let mut raws = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let pinfo = info.and_then(|e| e.params.get(i));
            let raw = match (pinfo, v) {
                (Some(p), v) => encode(p.ty, v).ok_or_else(|| {
                    format!(
                        "event {code} parameter {i} ({}): value {v:?} does not fit type {}",
                        p.name, p.ty
                    )
                })?,
                (None, ParamValue::Bytes(b)) => b.to_vec(),
                (None, ParamValue::Empty) => Vec::new(),
                (None, v) => {
                    return Err(format!(
                        "event {code} parameter {i}: no type in the event table for {v:?}"
                    ))
                }
            };
            raws.push(raw);
        }
        let refs: Vec<&[u8]> = raws.iter().map(|r| r.as_slice()).collect();
        Ok(Event::new(code, ts, tid, cpu, &refs))
    }

    /// Starts rebuilding this event in place, keeping its buffers: the
    /// header given, no parameters, no flags, not read from a file. Add
    /// the parameters with [`Event::push_param`].
    pub fn reset(&mut self, code: u16, ts: u64, tid: u64, cpu: u16) {
        self.num = 0;
        self.offset = 0;
        self.block_type = 0;
        self.ts = ts;
        self.tid = tid;
        self.cpu = cpu;
        self.code = code;
        self.flags = None;
        self.data.clear();
        self.spans.clear();
    }

    /// Appends a parameter: `write` appends its bytes to the buffer it is
    /// given and says whether it could. On `false` nothing is added.
    pub fn push_param(&mut self, write: impl FnOnce(&mut Vec<u8>) -> bool) -> bool {
        let start = self.data.len();
        if !write(&mut self.data) {
            self.data.truncate(start);
            return false;
        }
        self.spans
            .push((start as u32, (self.data.len() - start) as u32));
        true
    }

    /// Sets the dump flags (written as an "event with flags" block).
    pub fn with_flags(mut self, flags: u32) -> Event {
        self.flags = Some(flags);
        self
    }

    /// The event table entry for the code (current or legacy layout);
    /// `None` for an unused code.
    pub fn info(&self) -> Option<&'static EventInfo> {
        catalog().event(self.code)
    }

    /// The `evt.type` name; `NA` for an unused code.
    pub fn name(&self) -> &'static str {
        Event::name_of_code(self.code)
    }

    /// [`Event::name`] of any event with this code.
    pub fn name_of_code(code: u16) -> &'static str {
        catalog().event_name(code).unwrap_or("NA")
    }

    /// The `evt.type` value libsinsp shows: [`Event::name`], except for
    /// the generic `syscall` events (codes 0 and 1), which show the name
    /// of the system call in their `ID` parameter (a `ppm_sc_code`).
    pub fn type_name(&self) -> &'static str {
        if let Some(n) = Event::type_name_of_code(self.code) {
            return n;
        }
        if let Some(ParamValue::Uint(id)) = self.param(0).map(|p| p.value()) {
            if let Some(n) = u16::try_from(id).ok().and_then(crate::ppm_sc::syscall_name) {
                return n;
            }
        }
        self.name()
    }

    /// The direction from the event table, or from the code's parity (even
    /// codes are enter events) for an unused code.
    pub fn direction(&self) -> Direction {
        Event::direction_of_code(self.code)
    }

    /// [`Event::direction`] of any event with this code.
    pub fn direction_of_code(code: u16) -> Direction {
        match catalog().event(code) {
            Some(i) => i.direction,
            None if code.is_multiple_of(2) => Direction::Enter,
            None => Direction::Exit,
        }
    }

    /// `>` for enter, `<` for exit (`evt.dir`).
    pub fn dir_char(&self) -> char {
        Event::dir_char_of_code(self.code)
    }

    /// [`Event::dir_char`] of any event with this code.
    pub fn dir_char_of_code(code: u16) -> char {
        match Event::direction_of_code(code) {
            Direction::Enter => '>',
            Direction::Exit => '<',
        }
    }

    /// [`Event::type_name`] when it depends on the code alone: every code
    /// but the generic `syscall` events (0 and 1), whose name is in a
    /// parameter.
    pub fn type_name_of_code(code: u16) -> Option<&'static str> {
        (code > 1).then(|| Event::name_of_code(code))
    }

    /// The thread id as libsinsp shows it (signed).
    pub fn tid_i64(&self) -> i64 {
        self.tid as i64
    }

    /// Whether the event only updates state (`SCAP_DF_STATE_ONLY`):
    /// libsinsp numbers it but does not show it.
    pub fn is_state_only(&self) -> bool {
        self.flags.is_some_and(|f| f & DF_STATE_ONLY != 0)
    }

    /// Number of stored parameters (may be fewer than the table's layout
    /// for an older capture, or more for a newer one).
    pub fn nparams(&self) -> usize {
        self.spans.len()
    }

    /// The parameter at `index`.
    pub fn param(&self, index: usize) -> Option<Param<'_>> {
        let (off, len) = *self.spans.get(index)?;
        let raw = &self.data[off as usize..off as usize + len as usize];
        let info = self.info().and_then(|i| i.params.get(index));
        Some(Param { index, info, raw })
    }

    /// The stored bytes of the parameter at `index`.
    pub(crate) fn raw_param(&self, index: usize) -> Option<&[u8]> {
        let (off, len) = *self.spans.get(index)?;
        Some(&self.data[off as usize..off as usize + len as usize])
    }

    /// The first parameter with this table name.
    pub fn param_by_name(&self, name: &str) -> Option<Param<'_>> {
        let info = self.info()?;
        // Length and first byte first: most names differ there, without a
        // call to memcmp.
        let nb = name.as_bytes();
        let index = info.params.iter().position(|p| {
            let pb = p.name.as_bytes();
            pb.len() == nb.len() && pb.first() == nb.first() && pb == nb
        })?;
        let (off, len) = *self.spans.get(index)?;
        let raw = &self.data[off as usize..off as usize + len as usize];
        Some(Param {
            index,
            info: info.params.get(index),
            raw,
        })
    }

    /// The typed value of the first parameter with this table name.
    pub fn value(&self, name: &str) -> Option<ParamValue<'_>> {
        self.param_by_name(name).map(|p| p.value())
    }

    /// Every stored parameter, in order.
    pub fn params(&self) -> impl ExactSizeIterator<Item = Param<'_>> + '_ {
        (0..self.spans.len()).map(move |i| self.param(i).expect("index in range"))
    }

    /// Whether two events have the same content (time, thread, cpu, code,
    /// flags and parameter bytes), ignoring where they were read from.
    pub fn same_content(&self, other: &Event) -> bool {
        self.ts == other.ts
            && self.tid == other.tid
            && self.cpu == other.cpu
            && self.code == other.code
            && self.flags == other.flags
            && self
                .params()
                .map(|p| p.raw)
                .eq(other.params().map(|p| p.raw))
    }

    /// Whether the parameter lengths are 32-bit (`EF_LARGE_PAYLOAD`).
    fn large_payload(&self) -> bool {
        self.info().is_some_and(|i| i.large_payload)
    }

    /// Encodes the event as a V2 block: `(block type, body)`. Non-large
    /// events use `EV_V2`/`EVF_V2` unless the block would exceed libscap's
    /// 64 KiB buffer, then `*_V2_LARGE`.
    pub(crate) fn encode_block(&self) -> Result<(u32, Vec<u8>), String> {
        let large = self.large_payload();
        let lsize = if large { 4 } else { 2 };
        let mut body = Vec::with_capacity(32 + self.spans.len() * lsize + self.data.len());
        body.extend_from_slice(&self.cpu.to_le_bytes());
        if let Some(f) = self.flags {
            body.extend_from_slice(&f.to_le_bytes());
        }
        let len = EVENT_HEADER_SIZE + self.spans.len() * lsize + self.data.len();
        let len32 = u32::try_from(len).map_err(|_| format!("event too large ({len} bytes)"))?;
        body.extend_from_slice(&self.ts.to_le_bytes());
        body.extend_from_slice(&self.tid.to_le_bytes());
        body.extend_from_slice(&len32.to_le_bytes());
        body.extend_from_slice(&self.code.to_le_bytes());
        body.extend_from_slice(&(self.spans.len() as u32).to_le_bytes());
        for (i, (_, l)) in self.spans.iter().enumerate() {
            if large {
                body.extend_from_slice(&l.to_le_bytes());
            } else {
                let l16 = u16::try_from(*l).map_err(|_| {
                    format!(
                        "parameter {i} of event {} is {l} bytes; its lengths are 16-bit",
                        self.code
                    )
                })?;
                body.extend_from_slice(&l16.to_le_bytes());
            }
        }
        body.extend_from_slice(&self.data);
        let total_read = crate::block::block_total_len(body.len()) - 8;
        let big = large || total_read > MAX_EVENT_BLOCK_READ;
        let ty = match (self.flags.is_some(), big) {
            (false, false) => types::EV_V2,
            (true, false) => types::EVF_V2,
            (false, true) => types::EV_V2_LARGE,
            (true, true) => types::EVF_V2_LARGE,
        };
        Ok((ty, body))
    }
}

/// Decodes the body of an event block (the bytes between the block header
/// and the trailer, padding included) into `ev`, reusing its buffers (no
/// allocation once they are large enough). `Ok(Some(code))` for an event
/// code at or beyond the event table's size, which libscap skips
/// (captures from newer drivers); `ev` is then left unspecified. `num` is
/// left as is.
pub(crate) fn decode_event_block_into(
    block_type: u32,
    body: &[u8],
    offset: u64,
    ev: &mut Event,
) -> Result<Option<u16>, String> {
    let (format, has_flags) = event_block(block_type)
        .ok_or_else(|| format!("not an event block type {block_type:#x}"))?;
    let mut c = Cursor::new(body);
    let cpu = c
        .u16()
        .map_err(|s| format!("event block too short ({s})"))?;
    let flags = if has_flags {
        Some(
            c.u32()
                .map_err(|s| format!("event block too short ({s})"))?,
        )
    } else {
        None
    };
    let evt_start = c.pos();
    let avail = c.remaining();
    let hdr_len = match format {
        EventBlockFormat::V1 => EVENT_HEADER_SIZE_V1,
        _ => EVENT_HEADER_SIZE,
    };
    if avail < hdr_len {
        return Err(format!(
            "event header ({hdr_len} bytes) exceeds the block payload ({avail} bytes)"
        ));
    }
    // The header's fields at their fixed offsets (`avail` covers them).
    let event = &body[evt_start..];
    let le64 = |o: usize| u64::from_le_bytes(event[o..o + 8].try_into().expect("8 bytes"));
    let le32 = |o: usize| u32::from_le_bytes(event[o..o + 4].try_into().expect("4 bytes"));
    let ts = le64(0);
    let tid = le64(8);
    let len = le32(16) as usize;
    let code = u16::from_le_bytes([event[20], event[21]]);
    if code as usize >= EVENT_CODE_UNIVERSE {
        return Ok(Some(code));
    }
    let info = catalog().event(code);
    // The parameter spans are built in place, offsets relative to the
    // start of the values.
    ev.spans.clear();
    let (values_start, end) = match format {
        EventBlockFormat::V1 => {
            let mut len = len;
            // Old captures store a length 3 bytes too large for these two
            // events (libscap corrects it the same way).
            if code == PPME_NOTIFICATION_E || code == PPME_INFRASTRUCTURE_EVENT_E {
                len = len.saturating_sub(3);
            }
            if len < hdr_len {
                return Err(format!(
                    "invalid event: len {len} is smaller than the header"
                ));
            }
            if len > avail {
                return Err(format!(
                    "invalid event: len {len} is larger than the {avail} bytes available in the block"
                ));
            }
            let n = infer_v1_nparams(event, len, info.map_or(0, |i| i.params.len())).ok_or_else(
                || {
                    format!(
                        "cannot infer the parameter count of v1 event {code} (len {len}): \
                         the parameter lengths do not add up"
                    )
                },
            )?;
            let mut off = 0u32;
            for i in 0..n {
                let o = hdr_len + 2 * i;
                let l = u16::from_le_bytes([event[o], event[o + 1]]) as u32;
                ev.spans.push((off, l));
                off += l;
            }
            (hdr_len + 2 * n, len)
        }
        EventBlockFormat::V2 | EventBlockFormat::V2Large => {
            let nparams = le32(22) as u64;
            if len < EVENT_HEADER_SIZE {
                return Err(format!(
                    "invalid event: len {len} is smaller than the event header size {EVENT_HEADER_SIZE}"
                ));
            }
            if len > avail {
                return Err(format!(
                    "invalid event: len {len} is larger than the {avail} bytes available in the block"
                ));
            }
            let lsize: u64 = if info.is_some_and(|i| i.large_payload) {
                4
            } else {
                2
            };
            let values_start = EVENT_HEADER_SIZE as u64 + nparams * lsize;
            if values_start > len as u64 {
                return Err(format!(
                    "invalid event: nparams {nparams} does not fit in event len {len}"
                ));
            }
            let n = nparams as usize;
            let mut off = values_start as usize;
            for i in 0..n {
                let o = EVENT_HEADER_SIZE + i * lsize as usize;
                let l = if lsize == 4 {
                    u32::from_le_bytes([event[o], event[o + 1], event[o + 2], event[o + 3]])
                } else {
                    u16::from_le_bytes([event[o], event[o + 1]]) as u32
                };
                if l as usize > len - off {
                    return Err(format!(
                        "invalid event: param {i} len {l} exceeds event len {len}"
                    ));
                }
                ev.spans.push(((off - values_start as usize) as u32, l));
                off += l as usize;
            }
            (values_start as usize, len)
        }
    };
    // The values actually used (a V2 event may leave slack before `len`).
    let used = ev.spans.last().map_or(0, |&(o, l)| (o + l) as usize);
    ev.data.clear();
    ev.data
        .extend_from_slice(&event[values_start..(values_start + used).min(end)]);
    ev.offset = offset;
    ev.block_type = block_type;
    ev.ts = ts;
    ev.tid = tid;
    ev.cpu = cpu;
    ev.code = code;
    ev.flags = flags;
    Ok(None)
}

/// libscap's inference of `nparams` for v1 events: from the table's count
/// downwards, the first count whose lengths array fits and whose lengths
/// add up exactly to `len`. A count whose lengths add up to less than `len`
/// ends the search with a failure, as in libscap.
fn infer_v1_nparams(event: &[u8], len: usize, table_count: usize) -> Option<usize> {
    for n in (0..=table_count).rev() {
        let values = EVENT_HEADER_SIZE_V1 + 2 * n;
        if values > len {
            continue;
        }
        let sum: usize = (0..n)
            .map(|i| {
                let o = EVENT_HEADER_SIZE_V1 + 2 * i;
                u16::from_le_bytes([event[o], event[o + 1]]) as usize
            })
            .sum();
        match (values + sum).cmp(&len) {
            std::cmp::Ordering::Less => return None,
            std::cmp::Ordering::Equal => return Some(n),
            std::cmp::Ordering::Greater => {}
        }
    }
    None
}
