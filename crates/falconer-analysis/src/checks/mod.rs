//! One module per diagnostic family.

pub mod evttype;
pub mod exceptions;
pub mod output;
pub mod read;
pub mod typeck;
