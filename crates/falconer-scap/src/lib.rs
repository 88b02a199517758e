//! Reader and writer of scap capture files (the libscap "savefile"
//! format written by `sysdig -w` and Falco's capture mode), as described
//! in the project's `scap-format.md`.
//!
//! # Reading
//!
//! [`ScapReader::open`] / [`ScapReader::new`] accept plain and
//! gzip-compressed captures (recognised by their magic, concatenated gzip
//! members included). Construction reads the section header and the
//! metadata blocks that precede the first event:
//! [`header`](ScapReader::header), [`machine_info`](ScapReader::machine_info),
//! [`processes`](ScapReader::processes), [`fds`](ScapReader::fds),
//! [`interfaces`](ScapReader::interfaces), [`users`](ScapReader::users).
//! The reader is then an `Iterator<Item = Result<Event, ScapError>>`; it
//! streams: memory holds the state tables and one block, never the file.
//! [`ScapReader::next_block`] gives every block instead (metadata blocks
//! met later, a new section, unknown or skipped blocks).
//!
//! Supported: every block type and generation libscap reads — section
//! header with or without pcapng options (options are decoded, and skipped
//! as current libs do), machine info, process lists V1–V9 (with the libs
//! 0.10 tail heuristic), fd lists V1/V2, interface lists V1/V2, user lists
//! V1/V2, event blocks V1 (nparams inferred from the length, as libscap
//! does), V2 and V2 large, with and without flags, and the pre-release
//! `*_INT` block ids. Unknown block types are skipped.
//!
//! Event parameters are split with the event table of `falconer-catalog`
//! (16-bit lengths, 32-bit for large-payload event types). Each
//! [`Param`] has its raw bytes and a typed [`ParamValue`] (integers, errno,
//! fd, pid, flags, uid/gid, mode, times, strings and paths, byte buffers,
//! socket addresses and tuples for IPv4/IPv6/unix, fd lists, string
//! arrays, IP addresses, dynamic values). Older layouts simply have fewer
//! parameters than the table (missing = absent); a value whose size does
//! not match its type is [`ParamValue::Malformed`], not an error.
//! Legacy event codes (`legacy_versions` in the event table) have their
//! own table entries, so they decode with their old layout.
//!
//! [`Event::name`] is the event table's name; [`Event::type_name`] is what
//! libsinsp shows as `evt.type`: for the generic `syscall` events (codes 0
//! and 1) the name of the system call in their `ID` parameter
//! ([`syscall_name`], current libs' `ppm_sc` names).
//!
//! # Errors
//!
//! A truncated or corrupted capture gives a [`ScapError`] with the offset
//! (in the uncompressed stream) of the block at fault, an [`ErrorKind`]
//! and a message; the events before it have been delivered. After an
//! error the iterator ends. Lengths are checked against the block before
//! anything is allocated, blocks are read incrementally (a corrupt length
//! in a short file allocates no more than the file holds) and capped at
//! [`MAX_BLOCK_SIZE`]; non-large event blocks at 64 KiB like libscap.
//!
//! Where this reader is more lenient than libscap: a file with no event
//! block is a valid, empty capture (libscap: "no events in file"), and
//! metadata blocks after the first event are read and applied (libscap
//! only accepts a new section header there). It is stricter in one point:
//! event block trailers are checked too (libscap checks only metadata
//! block trailers).
//!
//! # Event numbers (`evt.num`)
//!
//! [`Event::num`] is 1 for the first event delivered and increases by one
//! for each delivered event, like libsinsp's `evt.num` (`m_nevts` is
//! incremented for every event `sinsp::next` receives from libscap):
//!
//! * events with the `SCAP_DF_STATE_ONLY` flag are delivered and numbered
//!   (libsinsp numbers them, then hides them from output);
//! * events whose code is beyond the event table are skipped and not
//!   numbered (libscap drops codes ≥ `PPM_EVENT_MAX` before libsinsp sees
//!   them); see [`ScapReader::skipped_events`];
//! * events of unused codes inside the table are delivered (named `NA`).
//!
//! This matches libs up to its scap converter (Debian's sysdig 0.29.3,
//! libs 2022): on the 13 reference captures it reads, every event
//! `sysdig -D -r F` prints has our number, type, thread and cpu, and its
//! last number is our count (`tests/captures.rs`). Current libs (with the
//! scap converter of `engine/savefile/converter`) additionally *convert* old events on read and drop most enter events
//! (`CONVERSION_DROP`), so their numbers differ for captures with enter
//! events; this crate is a reader, not a converter, and numbers what is in
//! the file.
//!
//! # Writing
//!
//! [`ScapWriter`] writes a section header, machine info, a process list in
//! the layout both libs 2022 and current libs read, fd, user and interface
//! lists, and V2 events. [`Event::from_values`] builds events from typed
//! values with the event table's types.
//!
//! # Dump
//!
//! [`dump::event_json`] renders one event as a JSON line; [`dump::dump`]
//! writes a whole capture (`examples/scap_dump.rs`).
//!
//! # Limitations
//!
//! * No event conversion: old layouts are exposed as stored (fewer
//!   parameters, legacy codes, enter events), not upgraded as current
//!   libs' converter does; that is the engine's business.
//! * Strings of metadata blocks (process, fd, user, interface names) are
//!   decoded lossily to UTF-8; event parameters keep their bytes.
//! * Big-endian captures (byte-swapped section magic) are rejected, as
//!   libscap does.
//! * Offsets in errors are positions in the uncompressed stream.

mod block;
pub mod dump;
mod error;
mod event;
mod meta;
mod ppm_sc;
mod reader;
pub mod state;
mod value;
mod writer;

pub use block::{block_name, types as block_types, EventBlockFormat};
pub use error::{ErrorKind, ScapError};
pub use event::{
    Event, Param, DF_LARGE, DF_STATE_ONLY, EVENT_HEADER_SIZE, EVENT_HEADER_SIZE_V1,
    MAX_EVENT_BLOCK_READ,
};
pub use meta::{
    fd_types, if_types, FdInfo, FdKind, FdList, GroupInfo, Interface, MachineInfo, SectionHeader,
    ThreadInfo, UserInfo, UserList, MAX_ARGS_SIZE, MAX_CREDENTIALS_STR_LEN, MAX_PATH_SIZE,
};
pub use ppm_sc::syscall_name;
pub use reader::{Block, ScapReader, MAX_BLOCK_SIZE};
pub use value::{af, decode, encode, escape_bytes, ParamValue, SockAddr, SockTuple};
pub use writer::ScapWriter;

/// Re-exported from `falconer-catalog`: the types an [`Event`] refers to.
pub use falconer_catalog::{Direction, EventInfo, FieldType, ParamInfo};

#[cfg(test)]
mod tests;
