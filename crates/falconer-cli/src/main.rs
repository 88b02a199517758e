//! `falconer`: a fast, Falco-faithful toolchain for Falco rules.

mod commands;
mod config;
mod inputs;
mod render;

/// Writes to standard output; a closed pipe (`| head`) ends the output
/// quietly instead of panicking.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

use clap::{Parser, Subcommand};

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (Falco engine ", "0.63.0", ")");

#[derive(Parser, Debug)]
#[command(name = "falconer", version = VERSION, about = "Lint, explain and expand Falco rules files", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check rules files and report what Falco would report (and more).
    Check(commands::check::Args),
    /// Print the documentation of a diagnostic code.
    Explain(commands::explain::Args),
    /// List fields with type and argument form.
    Fields(commands::fields::Args),
    /// Parse a condition with the condition parser alone.
    Parse(commands::parse::Args),
    /// Print a rule's or macro's fully expanded condition.
    Expand(commands::expand::Args),
    /// Format the conditions of rules files (`--check` for CI).
    Fmt(commands::fmt::Args),
    /// Run the language server (LSP over stdio) for editors.
    Lsp(commands::lsp::Args),
    /// Work with scap captures (`falconer scap dump CAPTURE`).
    Scap(commands::scap::Args),
    /// Run rules (or one condition) over a scap capture and print the
    /// alerts, as Falco would.
    Replay(commands::replay::Args),
    /// Capture live with the eBPF probe (the whole machine, or one
    /// command's process tree) and print the rules' alerts.
    Probe(commands::probe::Args),
    /// Run rule unit tests: test files with cases of captures or
    /// scenarios and the alerts they must (not) raise.
    Test(commands::test::Args),
    /// Work with readable scenarios (`falconer scenario build S -o OUT.scap`).
    Scenario(commands::scenario::Args),
}

/// mimalloc: the analysis allocates many small strings and trees; glibc's
/// allocator spent a third of a `check` run in malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Deeply nested input is bounded by the parsers' depth limits; a large
    // stack keeps even the worst accepted nesting far from overflow.
    // If such a thread cannot be had, run on this one: the depth limits
    // still hold.
    let code = match std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(real_main)
    {
        Ok(child) => child.join().unwrap_or(101),
        Err(_) => real_main(),
    };
    std::process::exit(code);
}

fn real_main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match &cli.command {
        Command::Check(a) => commands::check::run(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Fields(a) => commands::fields::run(a),
        Command::Parse(a) => commands::parse::run(a),
        Command::Expand(a) => commands::expand::run(a),
        Command::Fmt(a) => commands::fmt::run(a),
        Command::Lsp(a) => commands::lsp::run(a),
        Command::Scap(a) => commands::scap::run(a),
        Command::Replay(a) => commands::replay::run(a),
        Command::Probe(a) => commands::probe::run(a),
        Command::Test(a) => commands::test::run(a),
        Command::Scenario(a) => commands::scenario::run(a),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("falconer: error: {msg}");
            2
        }
    }
}
