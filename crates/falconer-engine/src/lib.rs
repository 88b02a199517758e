//! The rule engine: compiles analysed rules (macros and lists expanded,
//! exceptions folded in) into evaluators, indexes them by event type and
//! evaluates them over events read from captures, with libsinsp's
//! semantics (LANGUAGE.md part F).
//!
//! Layout:
//! - `extract/`: field extraction, one module per field class, over an
//!   event and the process/fd state (`falconer_scap::state`).
//! - the evaluator, the evttype index, output formatting and the replay
//!   driver live beside it.

pub mod extract;
