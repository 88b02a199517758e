//! Field extraction: the value(s) a field has for one event.
//!
//! Contract shared with the evaluator:
//! - [`FieldExtractor::new`] is called once per field occurrence when a
//!   rule is compiled (resolution done by the catalog: `Resolved`); a field
//!   this engine cannot extract (fields of plugins other than `container`,
//!   table-only fields...) gives [`Unsupported`] with the reason;
//! - the driver calls [`State::apply`](falconer_scap::state::State::apply)
//!   for an event, then builds one [`EventCtx`] for it (cheap: two
//!   lookups) and evaluates every extractor against it;
//! - [`FieldExtractor::extract`] clears `out` and pushes zero values (the
//!   field has no value: Falco's "missing" semantics, every comparison is
//!   false), one value, or several; [`FieldExtractor::multi`] says how
//!   several values compare (list field, any ancestor, either socket
//!   endpoint).
//!
//! Values use the catalog's [`ParsedValue`], the same type constants are
//! parsed into, so comparisons need no conversion: CHARBUF/FSPATH give
//! `Str`, signed integer types (`INT*`, `PID`, `FD`) `Int`, unsigned types
//! and `PORT`, `RELTIME`, `ABSTIME` `Uint`, `BOOL` `Bool`, `DOUBLE`
//! `Double`, `IPADDR` `Ip` (also for the `IPNET` fields `fd.net`,
//! `fd.cnet`...: the address to test against the network), `BYTEBUF`
//! `Bytes`.
//!
//! Semantics follow current libsinsp and Falco's `container` plugin (the
//! standard); where Debian's sysdig 0.29 (libs 2022) differs, the
//! differential test (`extract/sysdig_diff.rs`) documents it.

mod container;
mod evt;
mod fd;
mod process;
pub mod render;
mod tables;

use std::fmt;
use std::sync::Arc;

pub use falconer_catalog::ParsedValue;
use falconer_catalog::{CheckClass, FieldType, Resolved};
use falconer_scap::state::{Fd, State, Thread};
use falconer_scap::Event;

/// One event and the state after it was applied.
pub struct EventCtx<'a> {
    pub event: &'a Event,
    pub state: &'a State,
    thread: Option<&'a Thread>,
    fd: Option<(i64, &'a Fd)>,
}

impl<'a> EventCtx<'a> {
    /// The context of `event`; `state` must have had `event` applied last.
    pub fn new(event: &'a Event, state: &'a State) -> EventCtx<'a> {
        let (thread, fd) = state.event_thread_and_fd();
        EventCtx {
            event,
            state,
            thread,
            fd,
        }
    }

    /// The event's thread, if the state knows it.
    pub fn thread(&self) -> Option<&'a Thread> {
        self.thread
    }

    /// The event's fd (number and entry), if it has one the state knows.
    pub fn fd(&self) -> Option<(i64, &'a Fd)> {
        self.fd
    }

    /// The container id of the event's thread (empty: host).
    pub fn container_id(&self) -> &'a [u8] {
        self.thread.map_or(&[][..], |t| t.container_id.as_slice())
    }
}

/// A field this engine cannot extract, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    pub field: String,
    pub message: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Unsupported {}

pub(crate) fn unsupported(r: &Resolved, why: &str) -> Unsupported {
    Unsupported {
        field: r.field.name.to_string(),
        message: why.to_string(),
    }
}

/// How the values of a field compare when there are several.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Multi {
    /// At most one value.
    Single,
    /// A list field (`in`/`intersects` compare sets, LANGUAGE.md B.4).
    List,
    /// The ancestor fields without an index (`proc.aname`, `proc.apid`,
    /// `proc.aexe`, `proc.aexepath`, `proc.acmdline`, `proc.aargs`): the
    /// comparison is true if it is true for any value (each ancestor, parent
    /// first), for every operator including `!=` (LANGUAGE.md F).
    AnyAncestor,
    /// `fd.ip`, `fd.net`, `fd.port`, `fd.proto`: the values are the socket's
    /// endpoints (two for a connected socket, one for a server socket);
    /// `=`, `in` and the ordering operators are true if one endpoint
    /// matches, `!=` only if every endpoint differs.
    EitherEndpoint,
}

type ExtractFn = dyn Fn(&EventCtx<'_>, &mut Vec<ParsedValue>) + Send + Sync;

/// The extractor of one field occurrence (field, argument and type).
#[derive(Clone)]
pub struct FieldExtractor {
    name: &'static str,
    /// The resolved field (for [`FieldExtractor::code_values`]).
    resolved: Resolved,
    ty: FieldType,
    multi: Multi,
    f: Arc<ExtractFn>,
}

impl fmt::Debug for FieldExtractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldExtractor")
            .field("field", &self.name)
            .field("ty", &self.ty)
            .field("multi", &self.multi)
            .finish()
    }
}

/// What a class module returns for a field it knows.
pub(crate) struct Compiled {
    pub multi: Multi,
    pub f: Arc<ExtractFn>,
}

pub(crate) fn single(
    f: impl Fn(&EventCtx<'_>, &mut Vec<ParsedValue>) + Send + Sync + 'static,
) -> Compiled {
    Compiled {
        multi: Multi::Single,
        f: Arc::new(f),
    }
}

pub(crate) fn with_multi(
    multi: Multi,
    f: impl Fn(&EventCtx<'_>, &mut Vec<ParsedValue>) + Send + Sync + 'static,
) -> Compiled {
    Compiled {
        multi,
        f: Arc::new(f),
    }
}

impl FieldExtractor {
    pub fn new(r: &Resolved) -> Result<FieldExtractor, Unsupported> {
        if r.field.table_only {
            return Err(unsupported(
                r,
                "table-only field (sysdig views), not available to rules",
            ));
        }
        let c = match r.field.check_class {
            CheckClass::GenEvent | CheckClass::Event => evt::compile(r)?,
            CheckClass::Thread | CheckClass::User | CheckClass::Group => process::compile(r)?,
            CheckClass::Fd | CheckClass::FsPath | CheckClass::FdList => fd::compile(r)?,
            CheckClass::Utils => {
                // util.cnt: a counter of the events it is evaluated on.
                let n = std::sync::atomic::AtomicU64::new(0);
                single(move |_, out| {
                    let v = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    out.push(ParsedValue::Uint(v));
                })
            }
            CheckClass::Plugin => {
                if r.field.plugin == Some("container") {
                    container::compile(r)?
                } else {
                    return Err(unsupported(
                        r,
                        &format!(
                            "field of the {} plugin; this engine extracts syscall fields and those of the container plugin",
                            r.field.plugin.unwrap_or("?")
                        ),
                    ));
                }
            }
        };
        Ok(FieldExtractor {
            name: r.field.name,
            resolved: r.clone(),
            ty: r.ty,
            multi: c.multi,
            f: c.f,
        })
    }

    /// The field name (without argument).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The type of the values pushed by [`FieldExtractor::extract`].
    pub fn field_type(&self) -> FieldType {
        self.ty
    }

    /// How several values compare (see [`Multi`]).
    pub fn multi(&self) -> Multi {
        self.multi
    }

    /// The values the field has for every event of `code`, when they
    /// depend on the event code alone (`evt.type`, `evt.dir`...): the
    /// engine decides such checks once per code instead of per event.
    pub fn code_values(&self, code: u16) -> Option<Vec<ParsedValue>> {
        match self.resolved.field.check_class {
            CheckClass::GenEvent | CheckClass::Event => evt::code_values(&self.resolved, code),
            _ => None,
        }
    }

    /// Clears `out` and pushes the field's values for the event.
    pub fn extract(&self, ctx: &EventCtx<'_>, out: &mut Vec<ParsedValue>) {
        out.clear();
        (self.f)(ctx, out);
    }

    /// The values as an output (`%field`) shows them: the values of an
    /// index-less ancestor field joined with spaces (libsinsp's output of
    /// `proc.aname`), other fields as [`FieldExtractor::extract`].
    pub fn extract_for_output(&self, ctx: &EventCtx<'_>, out: &mut Vec<ParsedValue>) {
        self.extract(ctx, out);
        if self.multi == Multi::AnyAncestor && !out.is_empty() {
            let mut joined = Vec::new();
            for (i, v) in out.iter().enumerate() {
                if i > 0 {
                    joined.push(b' ');
                }
                match v {
                    ParsedValue::Str(s) => joined.extend_from_slice(s),
                    ParsedValue::Int(n) => joined.extend_from_slice(n.to_string().as_bytes()),
                    other => joined.extend_from_slice(format!("{other:?}").as_bytes()),
                }
            }
            out.clear();
            out.push(ParsedValue::Str(joined));
        }
    }
}

/// A string value.
pub(crate) fn s(v: impl Into<Vec<u8>>) -> ParsedValue {
    ParsedValue::Str(v.into())
}

#[cfg(test)]
mod prop;
#[cfg(test)]
mod scenario;
#[cfg(test)]
mod sysdig_diff;
#[cfg(test)]
mod tests;
