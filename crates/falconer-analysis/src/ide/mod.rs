//! IDE queries over the analysis (symbols, navigation, hover, completion
//! context): what the language server asks, computed from the same
//! collected and compiled items that `check` reports on.
