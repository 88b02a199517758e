//! `falconer test`: rule unit tests on captures, offline.
//!
//! A *test file* (YAML, `docs/testing.md`) names the rules to load and a
//! list of cases; each case has a fixture (a `.scap` capture, a scenario
//! file, or a scenario written inline) and expectations about the alerts
//! (rule X fires N times / at least once / never, with an output that
//! contains or equals a text, with output fields equal to values; strict
//! mode: no other rule fires).
//!
//! - [`schema`]: the test file schema, read with `falconer-yaml` so every
//!   problem has a position ([`diag`]);
//! - [`scenario`]: readable scenarios (processes, users, containers,
//!   system calls) compiled to scap captures with our writer;
//! - [`suite`]: finding and loading test files, resolving rules, building
//!   fixtures, checking cases against the rules (unknown rules, missing
//!   fixtures);
//! - [`run`]: the parallel runner (the engine's replay path), the checks,
//!   and explanations of failures with the engine's tracer
//!   (`falconer_engine::explain`); coverage;
//! - [`report`]: human, JSON and JUnit output;
//! - [`ide`]: the API for editors (discovery of rule tests, running the
//!   tests of one rule, diagnostics of a test file).
//!
//! Semantics come from the analysis and the engine only: rules, macros,
//! lists and exceptions from `falconer-analysis`, evaluation and outputs
//! from `falconer-engine`.

pub mod config;
pub mod diag;
pub mod ide;
pub mod report;
pub mod run;
pub mod scenario;
pub mod schema;
pub mod suite;
pub mod yamlread;

pub use diag::{Diagnostic, Severity};
pub use ide::{
    diagnostics, diagnostics_with, discover, discover_file, discover_with, run_case_with, run_rule,
    run_rule_in, run_rule_with, CaseOutcome, RuleRun, RuleTest,
};
