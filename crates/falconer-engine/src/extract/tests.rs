//! Unit tests of the extractors on hand-built event sequences.
