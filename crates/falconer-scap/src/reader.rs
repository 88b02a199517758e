//! The streaming reader.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::block::{block_name, event_block, proclist_version, types, EventBlockFormat};
use crate::error::{ErrorKind, ScapError};
use crate::event::{decode_event_block_into, Event, MAX_EVENT_BLOCK_READ};
use crate::meta::{self, FdList, Interface, MachineInfo, SectionHeader, ThreadInfo, UserList};

/// The largest block the reader accepts (metadata or large event). Blocks
/// are read incrementally, so a corrupted length in a short file allocates
/// no more than the bytes actually present; this cap bounds memory on long
/// files.
pub const MAX_BLOCK_SIZE: u32 = 256 << 20;

type Prefixed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

enum Input<R: Read> {
    Plain(BufReader<Prefixed<R>>),
    Gzip(BufReader<MultiGzDecoder<Prefixed<R>>>),
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Plain(r) => r.read(buf),
            Input::Gzip(r) => r.read(buf),
        }
    }
}

impl<R: Read> Input<R> {
    /// The buffered bytes, without reading more.
    fn buffered(&self) -> &[u8] {
        match self {
            Input::Plain(r) => r.buffer(),
            Input::Gzip(r) => r.buffer(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            Input::Plain(r) => r.consume(n),
            Input::Gzip(r) => r.consume(n),
        }
    }
}

/// One block of a capture, as returned by [`ScapReader::next_block`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Block {
    /// A new section (a file made by concatenating captures). The reader's
    /// tables are reset, as libsinsp restarts its capture.
    SectionHeader(SectionHeader),
    MachineInfo(MachineInfo),
    Processes(Vec<ThreadInfo>),
    Fds(FdList),
    Interfaces(Vec<Interface>),
    Users(UserList),
    Event(Event),
    /// An event whose code is beyond the event table: skipped, not
    /// numbered (libscap does the same with codes ≥ `PPM_EVENT_MAX`).
    SkippedEvent {
        offset: u64,
        code: u16,
    },
    /// A block of an unknown type: skipped.
    Unknown {
        offset: u64,
        block_type: u32,
        len: u32,
    },
}

/// A streaming reader of scap captures, plain or gzip-compressed.
///
/// Construction reads the section header and the metadata blocks up to the
/// first event block; the reader is then an iterator of events. Memory is
/// bounded by the state tables (processes, fds, users, interfaces) and one
/// block, never by the file size.
///
/// ```no_run
/// # fn main() -> Result<(), falconer_scap::ScapError> {
/// let mut r = falconer_scap::ScapReader::open("trace.scap")?;
/// println!("{} processes", r.processes().len());
/// for ev in &mut r {
///     let ev = ev?;
///     println!("{} {} {}", ev.num, ev.name(), ev.tid);
/// }
/// # Ok(()) }
/// ```
pub struct ScapReader<R: Read = File> {
    input: Input<R>,
    gzip: bool,
    pos: u64,
    buf: Vec<u8>,
    pending: Option<(u64, u32, u32)>,
    header: SectionHeader,
    sections: u32,
    machine_info: Option<MachineInfo>,
    processes: Vec<ThreadInfo>,
    fds: Vec<FdList>,
    interfaces: Vec<Interface>,
    users: Option<UserList>,
    unknown_blocks: u64,
    num: u64,
    skipped_events: u64,
    done: bool,
    /// The event [`ScapReader::next_event_ref`] decodes into (its buffers
    /// are reused from one event to the next).
    event: Event,
}

impl ScapReader<File> {
    /// Opens a capture file (plain or gzip).
    pub fn open(path: impl AsRef<Path>) -> Result<ScapReader<File>, ScapError> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| {
            ScapError::new(
                0,
                ErrorKind::Io,
                format!("cannot open {}: {e}", path.display()),
            )
        })?;
        ScapReader::new(f)
    }
}

fn trailer_error(off: u64, ty: u32, trailer: u32, total: u32) -> ScapError {
    ScapError::new(
        off,
        ErrorKind::BadBlock,
        format!(
            "{} block: trailer length {trailer} differs from header length {total}",
            block_name(ty)
        ),
    )
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl<R: Read> ScapReader<R> {
    /// Reads a capture from any reader; gzip is recognised by its magic.
    /// Reads the section header and the metadata blocks.
    pub fn new(mut inner: R) -> Result<ScapReader<R>, ScapError> {
        let mut magic = [0u8; 2];
        let n = read_full(&mut inner, &mut magic).map_err(|e| ScapError::io(0, &e))?;
        let gzip = n == 2 && magic == [0x1f, 0x8b];
        let prefixed = io::Cursor::new(magic[..n].to_vec()).chain(inner);
        let input = if gzip {
            Input::Gzip(BufReader::with_capacity(
                64 << 10,
                MultiGzDecoder::new(prefixed),
            ))
        } else {
            Input::Plain(BufReader::with_capacity(64 << 10, prefixed))
        };
        let mut r = ScapReader {
            input,
            gzip,
            pos: 0,
            buf: Vec::new(),
            pending: None,
            header: SectionHeader::default(),
            sections: 0,
            machine_info: None,
            processes: Vec::new(),
            fds: Vec::new(),
            interfaces: Vec::new(),
            users: None,
            unknown_blocks: 0,
            num: 0,
            skipped_events: 0,
            done: false,
            event: Event::new(0, 0, 0, 0, &[]),
        };
        let Some((off, ty, total)) = r.read_block_header()? else {
            return Err(ScapError::new(0, ErrorKind::Truncated, "empty file"));
        };
        if ty != types::SHB {
            return Err(ScapError::new(
                off,
                ErrorKind::NotScap,
                format!("not a scap file: the first block has type {ty:#x}, not a section header"),
            ));
        }
        let h = r.read_section_header(off, total)?;
        r.header = h;
        r.sections = 1;
        r.read_metadata()?;
        Ok(r)
    }

    /// Whether the input was gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The section header (of the current section).
    pub fn header(&self) -> &SectionHeader {
        &self.header
    }

    /// Number of sections seen so far (1 unless the file concatenates
    /// captures).
    pub fn sections(&self) -> u32 {
        self.sections
    }

    /// The machine-info block, if the capture has one.
    pub fn machine_info(&self) -> Option<&MachineInfo> {
        self.machine_info.as_ref()
    }

    /// Every process-list entry, in file order (all process-list blocks).
    pub fn processes(&self) -> &[ThreadInfo] {
        &self.processes
    }

    /// The process-list entry of a thread (the last one if several).
    pub fn process(&self, tid: i64) -> Option<&ThreadInfo> {
        self.processes.iter().rev().find(|t| t.tid == tid)
    }

    /// Every fd-list block, in file order (one per thread).
    pub fn fds(&self) -> &[FdList] {
        &self.fds
    }

    /// The fds of a thread, from every fd-list block for it.
    pub fn fds_of(&self, tid: u64) -> impl Iterator<Item = &meta::FdInfo> + '_ {
        self.fds
            .iter()
            .filter(move |l| l.tid == tid)
            .flat_map(|l| l.fds.iter())
    }

    /// The interface addresses (the last interface-list block; libscap
    /// replaces the list when it reads another).
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// The users and groups (the last user-list block), if any.
    pub fn users(&self) -> Option<&UserList> {
        self.users.as_ref()
    }

    /// Number of unknown blocks skipped so far.
    pub fn unknown_blocks(&self) -> u64 {
        self.unknown_blocks
    }

    /// Number of events skipped so far because their code is beyond the
    /// event table (not numbered).
    pub fn skipped_events(&self) -> u64 {
        self.skipped_events
    }

    /// Number of events delivered so far (the `num` of the last one).
    pub fn events_read(&self) -> u64 {
        self.num
    }

    /// The offset in the uncompressed stream of the next block.
    pub fn position(&self) -> u64 {
        self.pending.map_or(self.pos, |(off, _, _)| off)
    }

    fn read_block_header(&mut self) -> Result<Option<(u64, u32, u32)>, ScapError> {
        let off = self.pos;
        // Most headers are already buffered: taken from the buffer.
        if let Some(h) = self.input.buffered().get(..8) {
            let ty = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let total = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            self.input.consume(8);
            self.pos += 8;
            return Ok(Some((off, ty, total)));
        }
        let mut h = [0u8; 8];
        let n = read_full(&mut self.input, &mut h).map_err(|e| ScapError::io(off, &e))?;
        self.pos += n as u64;
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            return Err(ScapError::new(
                off,
                ErrorKind::Truncated,
                format!("file ends inside a block header ({n} of 8 bytes)"),
            ));
        }
        let ty = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let total = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        Ok(Some((off, ty, total)))
    }

    /// Reads the body (padding included) into `self.buf` and checks the
    /// trailer.
    fn read_block_body(&mut self, off: u64, ty: u32, total: u32) -> Result<(), ScapError> {
        let name = || block_name(ty);
        if total < 12 {
            return Err(ScapError::new(
                off,
                ErrorKind::BadBlock,
                format!("{} block length {total} is less than 12", name()),
            ));
        }
        if total > MAX_BLOCK_SIZE {
            return Err(ScapError::new(
                off,
                ErrorKind::BadBlock,
                format!(
                    "{} block length {total} exceeds the reader's limit of {MAX_BLOCK_SIZE} bytes",
                    name()
                ),
            ));
        }
        let body_len = (total - 12) as usize;
        if self.buf.capacity() > (4 << 20) && body_len + 4 <= (64 << 10) {
            self.buf = Vec::with_capacity(64 << 10);
        }
        let got = if body_len <= (1 << 20) {
            // Body and trailer in one read (the buffer is only zero-filled
            // where it grows).
            self.buf.resize(body_len + 4, 0);
            read_full(&mut self.input, &mut self.buf)
        } else {
            // A large block: memory as the file gives it (a corrupted
            // length does not allocate up front).
            self.buf.clear();
            (&mut self.input)
                .take(body_len as u64 + 4)
                .read_to_end(&mut self.buf)
        }
        .map_err(|e| ScapError::io(off, &e))?;
        self.pos += got as u64;
        if got < body_len {
            self.buf.truncate(got);
            return Err(ScapError::new(
                off,
                ErrorKind::Truncated,
                format!(
                    "file ends inside a {} block: {body_len} body bytes declared, {got} present",
                    name()
                ),
            ));
        }
        if got < body_len + 4 {
            self.buf.truncate(body_len);
            return Err(ScapError::new(
                off,
                ErrorKind::Truncated,
                format!("file ends inside the trailer of a {} block", name()),
            ));
        }
        let t = [
            self.buf[body_len],
            self.buf[body_len + 1],
            self.buf[body_len + 2],
            self.buf[body_len + 3],
        ];
        self.buf.truncate(body_len);
        let trailer = u32::from_le_bytes(t);
        if trailer != total {
            return Err(trailer_error(off, ty, trailer, total));
        }
        Ok(())
    }

    fn read_section_header(&mut self, off: u64, total: u32) -> Result<SectionHeader, ScapError> {
        if total < 12 + meta::SHB_FIXED as u32 {
            return Err(ScapError::new(
                off,
                ErrorKind::BadBlock,
                format!("section header block length {total} is less than 28"),
            ));
        }
        self.read_block_body(off, types::SHB, total)?;
        meta::parse_section_header(&self.buf, off).map_err(|(version, msg)| {
            let kind = if version {
                ErrorKind::UnsupportedVersion
            } else {
                ErrorKind::NotScap
            };
            ScapError::new(off, kind, msg)
        })
    }

    /// Reads metadata blocks until the first event block (kept pending) or
    /// the end of the file.
    fn read_metadata(&mut self) -> Result<(), ScapError> {
        loop {
            let Some((off, ty, total)) = self.read_block_header()? else {
                return Ok(());
            };
            if event_block(ty).is_some() || ty == types::SHB {
                self.pending = Some((off, ty, total));
                return Ok(());
            }
            self.read_block(off, ty, total)?;
        }
    }

    /// Reads and decodes an event block into `self.event` (numbered);
    /// `Some(code)` for a skipped event code.
    fn read_event(&mut self, off: u64, ty: u32, total: u32) -> Result<Option<u16>, ScapError> {
        let Some((format, _)) = event_block(ty) else {
            return Err(ScapError::new(
                off,
                ErrorKind::BadEvent,
                format!("block type {ty:#x} is not an event block"),
            ));
        };
        if format != EventBlockFormat::V2Large
            && (total as usize).saturating_sub(8) > MAX_EVENT_BLOCK_READ
        {
            return Err(ScapError::new(
                off,
                ErrorKind::BadBlock,
                format!(
                    "{} block length {total} exceeds the 64 KiB limit of non-large event blocks",
                    block_name(ty)
                ),
            ));
        }
        // A block already buffered whole (body and trailer) is decoded
        // from the input's buffer, without a copy; others are read into
        // `buf` first.
        let whole = (total as usize)
            .checked_sub(8)
            .filter(|&n| total >= 12 && self.input.buffered().len() >= n);
        let decoded = match whole {
            Some(n) => {
                let block = &self.input.buffered()[..n];
                let (body, t) = block.split_at(n - 4);
                let trailer = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
                if trailer != total {
                    self.input.consume(n);
                    self.pos += n as u64;
                    return Err(trailer_error(off, ty, trailer, total));
                }
                let r = decode_event_block_into(ty, body, off, &mut self.event);
                self.input.consume(n);
                self.pos += n as u64;
                r
            }
            None => {
                self.read_block_body(off, ty, total)?;
                decode_event_block_into(ty, &self.buf, off, &mut self.event)
            }
        };
        match decoded {
            Ok(None) => {
                self.num += 1;
                self.event.num = self.num;
                Ok(None)
            }
            Ok(Some(code)) => {
                self.skipped_events += 1;
                Ok(Some(code))
            }
            Err(msg) => Err(ScapError::new(off, ErrorKind::BadEvent, msg)),
        }
    }

    fn read_block(&mut self, off: u64, ty: u32, total: u32) -> Result<Block, ScapError> {
        if ty == types::SHB {
            let h = self.read_section_header(off, total)?;
            // A new section: libsinsp restarts the capture and rebuilds its
            // tables from the new section's metadata.
            self.header = h.clone();
            self.sections += 1;
            self.machine_info = None;
            self.processes.clear();
            self.fds.clear();
            self.interfaces.clear();
            self.users = None;
            return Ok(Block::SectionHeader(h));
        }
        if event_block(ty).is_some() {
            return Ok(match self.read_event(off, ty, total)? {
                None => Block::Event(std::mem::replace(
                    &mut self.event,
                    Event::new(0, 0, 0, 0, &[]),
                )),
                Some(code) => Block::SkippedEvent { offset: off, code },
            });
        }
        self.read_block_body(off, ty, total)?;
        let bad = |msg: String| {
            ScapError::new(
                off,
                ErrorKind::BadMetadata,
                format!("{} block: {msg}", block_name(ty)),
            )
        };
        let body = &self.buf[..];
        Ok(match ty {
            types::MI | types::MI_INT => {
                let mi = meta::parse_machine_info(body).map_err(bad)?;
                self.machine_info = Some(mi.clone());
                Block::MachineInfo(mi)
            }
            types::FDL | types::FDL_INT | types::FDL_V2 => {
                let l = meta::parse_fdlist(ty, body).map_err(bad)?;
                self.fds.push(l.clone());
                Block::Fds(l)
            }
            types::IL | types::IL_INT | types::IL_V2 => {
                let l = meta::parse_iflist(ty, body).map_err(bad)?;
                self.interfaces = l.clone();
                Block::Interfaces(l)
            }
            types::UL | types::UL_INT | types::UL_V2 => {
                let l = meta::parse_userlist(ty, body).map_err(bad)?;
                self.users = Some(l.clone());
                Block::Users(l)
            }
            t if proclist_version(t).is_some() => {
                let l = meta::parse_proclist(ty, body).map_err(bad)?;
                self.processes.extend(l.iter().cloned());
                Block::Processes(l)
            }
            _ => {
                self.unknown_blocks += 1;
                Block::Unknown {
                    offset: off,
                    block_type: ty,
                    len: total,
                }
            }
        })
    }

    /// The header of the next block: the pending one, or read.
    fn next_header(&mut self) -> Result<Option<(u64, u32, u32)>, ScapError> {
        match self.pending.take() {
            Some(h) => Ok(Some(h)),
            None => self.read_block_header(),
        }
    }

    /// The next block of any kind, `None` at the end of the file. Metadata
    /// blocks are also applied to the reader's tables. After an error the
    /// reader is finished (every later call returns `None`).
    pub fn next_block(&mut self) -> Option<Result<Block, ScapError>> {
        if self.done {
            return None;
        }
        let res = match self.next_header() {
            Ok(Some((off, ty, total))) => self.read_block(off, ty, total).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match res {
            Ok(Some(b)) => Some(Ok(b)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// The next event, skipping (and applying) metadata blocks.
    pub fn next_event(&mut self) -> Option<Result<Event, ScapError>> {
        loop {
            match self.next_block()? {
                Ok(Block::Event(ev)) => return Some(Ok(ev)),
                Ok(_) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<R: Read> ScapReader<R> {
    /// The next event, as [`ScapReader::next_event`], decoded into a buffer
    /// the reader keeps and reuses: no allocation per event. The event is
    /// valid until the next call (clone it to keep it).
    pub fn next_event_ref(&mut self) -> Option<Result<&Event, ScapError>> {
        loop {
            if self.done {
                return None;
            }
            let err = match self.next_header() {
                Ok(Some((off, ty, total))) if event_block(ty).is_some() => {
                    match self.read_event(off, ty, total) {
                        Ok(None) => return Some(Ok(&self.event)),
                        Ok(Some(_)) => continue,
                        Err(e) => e,
                    }
                }
                Ok(Some((off, ty, total))) => match self.read_block(off, ty, total) {
                    Ok(_) => continue,
                    Err(e) => e,
                },
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => e,
            };
            self.done = true;
            return Some(Err(err));
        }
    }
}

impl<R: Read> Iterator for ScapReader<R> {
    type Item = Result<Event, ScapError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

impl<R: Read> std::iter::FusedIterator for ScapReader<R> {}

impl<R: Read> std::fmt::Debug for ScapReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScapReader")
            .field("gzip", &self.gzip)
            .field("position", &self.position())
            .field("header", &self.header)
            .field("processes", &self.processes.len())
            .field("fds", &self.fds.len())
            .field("events_read", &self.num)
            .finish_non_exhaustive()
    }
}
