//! Field extraction: the value(s) a field has for one event.
//!
//! Contract shared with the evaluator:
//! - [`FieldExtractor::new`] is called once per field occurrence when a
//!   rule is compiled (resolution done by the catalog: `Resolved`); a field
//!   this engine cannot extract (plugin fields of other sources...) gives
//!   [`Unsupported`];
//! - the driver calls [`State::apply`](falconer_scap::state::State::apply)
//!   for an event, then builds one [`EventCtx`] for it and evaluates;
//! - [`FieldExtractor::extract`] is called per event; it clears `out` and
//!   pushes zero values (the field has no value: Falco's "missing"
//!   semantics), one value, or several (list fields).
//!
//! Values use the catalog's [`ParsedValue`], the same type constants are
//! parsed into, so comparisons need no conversion: CHARBUF/FSPATH fields
//! give `Str`, signed integers `Int`, unsigned and PORT `Uint`, BOOL
//! `Bool`, IP addresses `Ip`, BYTEBUF `Bytes`, RELTIME/ABSTIME `Uint`.

use std::fmt;

pub use falconer_catalog::ParsedValue;
use falconer_catalog::{FieldType, Resolved};
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
        EventCtx {
            event,
            state,
            thread: state.event_thread(),
            fd: state.event_fd(),
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

#[derive(Clone, Debug)]
enum Kind {
    EvtNum,
    EvtType,
    EvtDir,
    ProcName,
    ProcPid,
    FdName,
}

/// The extractor of one field occurrence (field, argument and type).
#[derive(Clone, Debug)]
pub struct FieldExtractor {
    kind: Kind,
    ty: FieldType,
}

impl FieldExtractor {
    pub fn new(r: &Resolved) -> Result<FieldExtractor, Unsupported> {
        let kind = match r.field.name {
            "evt.num" => Kind::EvtNum,
            "evt.type" => Kind::EvtType,
            "evt.dir" => Kind::EvtDir,
            "proc.name" => Kind::ProcName,
            "proc.pid" => Kind::ProcPid,
            "fd.name" => Kind::FdName,
            other => {
                return Err(Unsupported {
                    field: other.to_string(),
                    message: "field not extracted yet".to_string(),
                })
            }
        };
        Ok(FieldExtractor { kind, ty: r.ty })
    }

    /// The type of the values pushed by [`FieldExtractor::extract`].
    pub fn field_type(&self) -> FieldType {
        self.ty
    }

    pub fn extract(&self, ctx: &EventCtx<'_>, out: &mut Vec<ParsedValue>) {
        out.clear();
        let ev = ctx.event;
        let v = match self.kind {
            Kind::EvtNum => Some(ParsedValue::Uint(ev.num)),
            Kind::EvtType => Some(ParsedValue::Str(ev.type_name().as_bytes().to_vec())),
            Kind::EvtDir => Some(ParsedValue::Str(vec![ev.dir_char() as u8])),
            Kind::ProcName => ctx.thread().map(|t| ParsedValue::Str(t.comm.clone())),
            Kind::ProcPid => ctx.thread().map(|t| ParsedValue::Int(t.pid)),
            Kind::FdName => ctx.fd().map(|(_, f)| ParsedValue::Str(f.name.clone())),
        };
        out.extend(v);
    }
}
