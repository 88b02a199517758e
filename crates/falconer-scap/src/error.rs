//! The error type of the reader.

use std::fmt;
use std::io;

/// What went wrong, broadly. The [`ScapError::message`] says exactly what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The underlying reader failed (including a corrupted gzip stream).
    Io,
    /// The file ends inside a block (or is empty).
    Truncated,
    /// Not a scap file: the first block is not a section header, or the
    /// byte-order magic is wrong.
    NotScap,
    /// The section header announces a major version this reader does not
    /// know (> 1), as libscap's `SCAP_VERSION_MISMATCH`.
    UnsupportedVersion,
    /// A block's framing is wrong: length too small or too large, or the
    /// trailer differs from the header's length.
    BadBlock,
    /// A metadata block (machine info, process, fd, interface or user
    /// list) has a malformed entry.
    BadMetadata,
    /// An event block holds a malformed event (lengths that do not add up).
    BadEvent,
}

impl ErrorKind {
    /// A short lower-case name (`truncated`, `bad-event`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Truncated => "truncated",
            ErrorKind::NotScap => "not-scap",
            ErrorKind::UnsupportedVersion => "unsupported-version",
            ErrorKind::BadBlock => "bad-block",
            ErrorKind::BadMetadata => "bad-metadata",
            ErrorKind::BadEvent => "bad-event",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error while reading a capture.
///
/// `offset` is the offset, in the *uncompressed* stream, of the start of
/// the block in which the problem was found (for a gzip file that is the
/// offset libscap's `gzseek`/`gztell` would use, not a position in the
/// compressed file). For a failure to read a block header it is the offset
/// where the header should have started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScapError {
    pub offset: u64,
    pub kind: ErrorKind,
    pub message: String,
}

impl ScapError {
    pub fn new(offset: u64, kind: ErrorKind, message: impl Into<String>) -> ScapError {
        ScapError {
            offset,
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn io(offset: u64, err: &io::Error) -> ScapError {
        let kind = if err.kind() == io::ErrorKind::UnexpectedEof {
            ErrorKind::Truncated
        } else {
            ErrorKind::Io
        };
        ScapError::new(offset, kind, format!("read error: {err}"))
    }
}

impl fmt::Display for ScapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at offset {}: {}",
            self.kind, self.offset, self.message
        )
    }
}

impl std::error::Error for ScapError {}

impl From<ScapError> for io::Error {
    fn from(e: ScapError) -> io::Error {
        let kind = match e.kind {
            ErrorKind::Truncated => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}
