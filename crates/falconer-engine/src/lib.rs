//! The rule engine: compiles analysed rules (macros and lists expanded,
//! exceptions folded in) into evaluators, indexes them by event type and
//! evaluates them over events read from captures, with libsinsp's
//! semantics (LANGUAGE.md part F).
//!
//! Layout:
//! - `extract/`: field extraction, one module per field class, over an
//!   event and the process/fd state (`falconer_scap::state`).
//! - [`program`]: conditions compiled to checks over shared, per-event
//!   cached value slots; [`value`] the operators and value rendering;
//!   [`glob`], [`pmatch`], [`transform`] the operator and transformer
//!   details.
//! - [`explain`]: the tracer: each rule's condition with its macros and
//!   exception entries labelled, evaluated node by node to say why a rule
//!   matched or did not, and to measure coverage (`falconer test`).
//! - [`sysdig_compat`]: conditions printed for libsinsp's 2022 parser
//!   (sysdig 0.29, the oracle of the differential tests).

pub mod capgen;
pub mod engine;
pub mod explain;
pub mod extract;
pub mod glob;
pub mod pmatch;
pub mod program;
pub mod replay;
pub mod sysdig_compat;
pub mod time;
pub mod transform;
pub mod value;
