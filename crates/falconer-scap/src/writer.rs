//! The writer: captures that Debian's sysdig 0.29.3 (libs 2022) and
//! current libs both read.

use std::io::{self, Write};

use crate::block::{frame_block, types};
use crate::event::Event;
use crate::meta::{self, FdList, Interface, MachineInfo, SectionHeader, ThreadInfo, UserList};

/// Writes a scap capture: a section header (version 1.2, no options unless
/// given), then metadata blocks, then events.
///
/// Layouts written:
/// * machine info: `MI` (0x201);
/// * processes: one `PL_V9` (0x215) block whose entries end after `root`
///   with `loginuid`, `exe_writable` and the three capability sets (see
///   [`ThreadInfo`]; `pidns_init_start_ts`, `tty`, `pgid` and the `exe_*`
///   inode fields are not written, libs 2022 cannot read them);
/// * fds: `FDL_V2` (0x218), users: `UL_V2` (0x220), interfaces: `IL_V2`
///   (0x219);
/// * events: `EV_V2` (0x216), `EVF_V2` (0x217) when the event has flags,
///   `*_V2_LARGE` (0x221/0x222) for large-payload event types or blocks
///   over 64 KiB.
///
/// Metadata must come before the first event (libscap rejects metadata
/// blocks after events): writing one later is an `InvalidInput` error.
/// Wrap `out` in a `flate2::write::GzEncoder` for a compressed capture.
pub struct ScapWriter<W: Write> {
    out: W,
    events_started: bool,
    written: u64,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

impl<W: Write> ScapWriter<W> {
    /// Starts a capture with a default (1.2) section header.
    pub fn new(out: W) -> io::Result<ScapWriter<W>> {
        ScapWriter::with_header(out, &SectionHeader::default())
    }

    /// Starts a capture with the given section header (its `offset` is
    /// ignored).
    pub fn with_header(out: W, header: &SectionHeader) -> io::Result<ScapWriter<W>> {
        let mut w = ScapWriter {
            out,
            events_started: false,
            written: 0,
        };
        let mut body = Vec::new();
        meta::write_section_header(header, &mut body);
        w.block(types::SHB, &body)?;
        Ok(w)
    }

    fn block(&mut self, ty: u32, body: &[u8]) -> io::Result<()> {
        if body.len() > u32::MAX as usize - 16 {
            return Err(invalid("block too large"));
        }
        let b = frame_block(ty, body);
        self.out.write_all(&b)?;
        self.written += b.len() as u64;
        Ok(())
    }

    fn metadata(&mut self, ty: u32, body: &[u8]) -> io::Result<()> {
        if self.events_started {
            return Err(invalid(
                "metadata blocks must be written before the first event",
            ));
        }
        self.block(ty, body)
    }

    pub fn write_machine_info(&mut self, mi: &MachineInfo) -> io::Result<()> {
        let mut body = Vec::with_capacity(meta::MACHINE_INFO_SIZE);
        meta::write_machine_info(mi, &mut body);
        self.metadata(types::MI, &body)
    }

    /// Writes one `PL_V9` block with every thread.
    pub fn write_processes(&mut self, threads: &[ThreadInfo]) -> io::Result<()> {
        let mut body = Vec::new();
        for t in threads {
            meta::write_thread(t, &mut body);
        }
        self.metadata(types::PL_V9, &body)
    }

    /// Writes one `FDL_V2` block (the fds of one thread).
    pub fn write_fds(&mut self, list: &FdList) -> io::Result<()> {
        let mut body = Vec::new();
        meta::write_fdlist(list, &mut body);
        self.metadata(types::FDL_V2, &body)
    }

    /// Writes one `IL_V2` block.
    pub fn write_interfaces(&mut self, list: &[Interface]) -> io::Result<()> {
        let mut body = Vec::new();
        meta::write_iflist(list, &mut body);
        self.metadata(types::IL_V2, &body)
    }

    /// Writes one `UL_V2` block.
    pub fn write_users(&mut self, list: &UserList) -> io::Result<()> {
        let mut body = Vec::new();
        meta::write_userlist(list, &mut body);
        self.metadata(types::UL_V2, &body)
    }

    /// Writes one event block.
    pub fn write_event(&mut self, ev: &Event) -> io::Result<()> {
        let (ty, body) = ev.encode_block().map_err(invalid)?;
        self.events_started = true;
        self.block(ty, &body)
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
