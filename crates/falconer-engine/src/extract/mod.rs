//! Field extraction: the value(s) a field has for one event.
//!
//! Contract shared with the evaluator:
//! - [`FieldExtractor::new`] is called once per field occurrence when a
//!   rule is compiled (resolution done by the catalog: `Resolved`);
//! - [`FieldExtractor::extract`] is called per event; it clears `out` and
//!   pushes zero values (the field has no value: Falco's "missing"
//!   semantics), one value, or several (list fields).
//!
//! Values use the catalog's [`ParsedValue`], the same type constants are
//! parsed into, so comparisons need no conversion.

pub use falconer_catalog::ParsedValue;
