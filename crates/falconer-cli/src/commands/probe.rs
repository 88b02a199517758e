//! `falconer probe --rules PATH... [--duration SECS] [--record FILE.scap]
//! [--format human|json] [--stats] [-- COMMAND ARGS...]`: live capture with
//! the eBPF probe, rules evaluated as `falconer replay` evaluates them.
//!
//! With a command, the command is started and only its process tree is
//! captured; the capture ends when it exits. Without one, the whole
//! machine is captured until SIGINT/SIGTERM or the end of `--duration`.
//!
//! Exit status: 0 after a capture (alerts or not); 1 when the rules have
//! load errors; 2 when the probe cannot run here (the message says which
//! requirement is missing: permission, BTF or eBPF), the command cannot be
//! started or the recording cannot be written.

use super::replay::{Format, Matching};
use falconer_analysis::model::Priority;
use falconer_engine::engine::{Alert, Engine, Options, RuleMatching};
use falconer_probe::session::{self, Error};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rules files or directories, loaded in the order given (repeatable).
    /// Defaults to falconer.toml's rules_files.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Config file (default: falconer.toml in this or a parent directory).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Stop after this many seconds (fractions allowed).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub duration: Option<Duration>,
    /// Also write the captured events, after the state at start (processes,
    /// fds, users, interfaces), as a scap capture that `falconer replay`,
    /// Falco and sysdig read.
    #[arg(long, value_name = "FILE.scap")]
    pub record: Option<PathBuf>,
    /// Output format: Falco's text lines, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print capture figures (events/s, drops) every second on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Load only rules at least this severe (emergency ... debug).
    #[arg(long, value_name = "P", value_parser = parse_priority, default_value = "debug")]
    pub min_priority: Priority,
    /// Falco's rule_matching: the first matching rule per event, or all.
    #[arg(long, value_enum, default_value_t = Matching::First)]
    pub rule_matching: Matching,
    /// Do not append the fields plugins suggest for outputs.
    #[arg(long)]
    pub no_suggested_output: bool,
    /// Ring buffer size in MiB (a power of two).
    #[arg(long, value_name = "MIB", default_value_t = 16)]
    pub ring_mib: u32,
    /// The command to run (after `--`): only its process tree is captured.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(v.is_finite() && v > 0.0 && v < 1e9) {
        return Err(format!("'{s}': the duration must be positive"));
    }
    Ok(Duration::from_secs_f64(v))
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s).ok_or_else(|| {
        format!("unknown priority '{s}' (emergency, alert, critical, error, warning, notice, informational, debug)")
    })
}

pub fn run(args: &Args) -> Result<i32, String> {
    if !super::rules_given(&args.rules, &args.config) {
        return Err(
            "no rules given (pass --rules PATH or list rules_files in falconer.toml)".into(),
        );
    }
    let host = match super::load_for_engine(&args.rules, &args.config)? {
        Ok(host) => host,
        Err(code) => return Ok(code),
    };
    let mut engine = Engine::from_analysis(
        &host,
        &Options {
            min_priority: args.min_priority,
            rule_matching: match args.rule_matching {
                Matching::First => RuleMatching::First,
                Matching::All => RuleMatching::All,
            },
            suggested_output: !args.no_suggested_output,
        },
    );
    for n in engine.notes() {
        eprintln!("falconer: note: {n}");
    }
    if !args.ring_mib.is_power_of_two() || args.ring_mib > 1024 {
        return Err(format!(
            "--ring-mib {}: a power of two up to 1024",
            args.ring_mib
        ));
    }
    let opts = session::Options {
        command: (!args.command.is_empty()).then(|| args.command.clone()),
        duration: args.duration,
        record: args.record.clone(),
        stats: args.stats,
        ring_bytes: args.ring_mib << 20,
        ..session::Options::default()
    };
    session::install_signal_handlers();
    struct Printer<W: Write> {
        out: W,
        format: Format,
        closed: bool,
    }
    impl<W: Write> session::Observer for Printer<W> {
        fn alert(&mut self, a: &Alert) {
            if self.closed {
                return;
            }
            let line = match self.format {
                Format::Human => a.line(),
                Format::Json => a.json().to_string(),
            };
            if writeln!(self.out, "{line}").is_err() {
                // A closed pipe (`| head`): stop writing, keep capturing.
                self.closed = true;
            }
        }
        fn stats(&mut self, s: &session::Stats) {
            let secs = s.interval.as_secs_f64().max(1e-9);
            eprintln!(
                "falconer: probe: {:.1} s: {:.0} events/s ({:.0} records/s), {} events, {} drops, {} alerts",
                s.elapsed.as_secs_f64(),
                s.interval_events as f64 / secs,
                s.interval_records as f64 / secs,
                s.events,
                s.kernel.drops,
                s.alerts
            );
        }
        fn started(&mut self, info: &session::Started) {
            let mut names: Vec<&str> = info.selection.for_rules.clone();
            names.extend(info.selection.for_state.iter().copied());
            eprintln!(
                "falconer: probe: attached; capturing {} ({} system calls: {}), {} threads seeded from /proc",
                match info.command_pid {
                    Some(p) => format!("the process tree of the command (pid {p})"),
                    None => "the whole machine".to_string(),
                },
                names.len(),
                names.join(", "),
                info.seeded_threads
            );
        }
    }
    let mut printer = Printer {
        out: std::io::LineWriter::new(std::io::stdout().lock()),
        format: args.format,
        closed: false,
    };
    let result = session::run(&mut engine, &opts, &mut printer);
    let _ = printer.out.flush();
    match result {
        Ok(r) => {
            if !r.not_captured.is_empty() {
                eprintln!(
                    "falconer: note: the rules use event types the probe does not capture: {}",
                    r.not_captured.join(", ")
                );
            }
            let mut line = format!(
                "falconer: probe: {:.2} s, {} events ({:.0} events/s, {} kernel records), {} drops, {} alerts",
                r.elapsed.as_secs_f64(),
                r.events,
                r.events_per_sec(),
                r.records,
                r.drops(),
                r.alerts
            );
            if r.malformed > 0 {
                line.push_str(&format!(", {} records not converted", r.malformed));
                if let Some(e) = &r.convert_error {
                    line.push_str(&format!(" (last: {e})"));
                }
            }
            if let Some(c) = r.command_status {
                line.push_str(&format!(", command exited with {c}"));
            }
            if let Some(p) = &args.record {
                line.push_str(&format!(", recorded to {}", p.display()));
            }
            eprintln!("{line}");
            Ok(0)
        }
        Err(Error::Unavailable(u)) => {
            eprintln!("falconer: error: cannot run the probe here: {u}");
            Ok(2)
        }
        Err(e) => {
            eprintln!("falconer: error: {e}");
            Ok(2)
        }
    }
}
