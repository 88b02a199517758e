//! JSON-lines rendering of events (`falconer scap dump`).

use std::fmt::Write as _;
use std::io::{self, Read, Write};

use crate::error::ScapError;
use crate::event::Event;
use crate::reader::ScapReader;

/// One event as a single-line JSON object:
///
/// ```json
/// {"num":1,"ts":1700000000000000000,"type":"openat","dir":"<","tid":42,"cpu":0,"params":{"fd":3,"dirfd":-100,"name":"/etc/passwd",...}}
/// ```
///
/// * `num` is the reader's 1-based event number, `ts` nanoseconds since the
///   epoch, `tid` signed (container meta-events have -1);
/// * `type` is the `evt.type` name ([`Event::type_name`]: the system
///   call's name for generic events, `NA` for an unused code), `dir` is
///   `>` or `<`;
/// * `flags` is added after `cpu` for events read from "event with flags"
///   blocks;
/// * `params` maps parameter names to values in event order (see
///   [`crate::ParamValue::to_json`]): integers as numbers, strings as text
///   (invalid UTF-8 bytes as `\xNN`), addresses as `ip:port` strings, the
///   NUL-separated `args`/`env`/`cgroups` as arrays, empty values as
///   `null`. A parameter beyond the event table's layout is named
///   `param<N>`; a repeated name gets `#<N>` appended.
pub fn event_json(ev: &Event) -> String {
    let mut s = String::with_capacity(128);
    let _ = write!(
        s,
        "{{\"num\":{},\"ts\":{},\"type\":{},\"dir\":\"{}\",\"tid\":{},\"cpu\":{}",
        ev.num,
        ev.ts,
        serde_json::Value::from(ev.type_name()),
        ev.dir_char(),
        ev.tid_i64(),
        ev.cpu
    );
    if let Some(f) = ev.flags {
        let _ = write!(s, ",\"flags\":{f}");
    }
    s.push_str(",\"params\":{");
    let mut seen: Vec<String> = Vec::with_capacity(ev.nparams());
    for (i, p) in ev.params().enumerate() {
        let mut key = match p.name() {
            Some(n) => n.to_string(),
            None => format!("param{i}"),
        };
        if seen.contains(&key) {
            key = format!("{key}#{i}");
        }
        if i > 0 {
            s.push(',');
        }
        s.push_str(&serde_json::Value::from(key.as_str()).to_string());
        s.push(':');
        s.push_str(&p.value().to_json(p.is_nul_list()).to_string());
        seen.push(key);
    }
    s.push_str("}}");
    s
}

/// An error of [`dump`]: reading the capture or writing the output.
#[derive(Debug)]
pub enum DumpError {
    Scap(ScapError),
    Io(io::Error),
}

impl std::fmt::Display for DumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DumpError::Scap(e) => write!(f, "{e}"),
            DumpError::Io(e) => write!(f, "write error: {e}"),
        }
    }
}

impl std::error::Error for DumpError {}

impl From<ScapError> for DumpError {
    fn from(e: ScapError) -> DumpError {
        DumpError::Scap(e)
    }
}

impl From<io::Error> for DumpError {
    fn from(e: io::Error) -> DumpError {
        DumpError::Io(e)
    }
}

/// Writes every remaining event of `reader` as a JSON line to `out`.
/// Returns the number of lines written. On a read error the lines of the
/// events before it have been written.
pub fn dump<R: Read, W: Write>(reader: &mut ScapReader<R>, out: W) -> Result<u64, DumpError> {
    let mut out = io::BufWriter::new(out);
    let mut n = 0u64;
    for ev in reader {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                out.flush()?;
                return Err(e.into());
            }
        };
        out.write_all(event_json(&ev).as_bytes())?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}
