//! `falconer replay CAPTURE`: runs rules (or one condition) over a scap
//! capture as Falco would, and prints the alerts.
//!
//! Exit status: 0 after a complete replay (alerts or not); 1 when the
//! rules have load errors (Falco refuses to start then; the errors are
//! printed as `falconer check` prints them) or the condition does not
//! compile; 2 when the capture cannot be opened or is corrupted (after
//! the alerts of the events read before the corruption, with the offset
//! of the bad block).

use falconer_analysis::model::Priority;
use falconer_analysis::{AnalysisHost, Config};
use falconer_engine::engine::{falco_escape, Alert, Engine, Options, RuleMatching};
use falconer_engine::replay::replay;
use falconer_engine::time;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Matching {
    /// Stop at the first matching rule (Falco's default).
    #[default]
    First,
    /// Report every matching rule.
    All,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A scap capture (plain or gzip).
    pub capture: PathBuf,
    /// Rules files or directories, loaded in the order given (repeatable).
    /// Defaults to falconer.toml's rules_files.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Config file (default: falconer.toml in this or a parent directory).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Evaluate this condition instead of the rules (their lists and
    /// macros are available) and print every matching event.
    #[arg(long, value_name = "EXPR")]
    pub condition: Option<String>,
    /// Load only rules at least this severe (emergency ... debug).
    #[arg(long, value_name = "P", value_parser = parse_priority, default_value = "debug")]
    pub min_priority: Priority,
    /// Falco's rule_matching: the first matching rule per event, or all.
    #[arg(long, value_enum, default_value_t = Matching::First)]
    pub rule_matching: Matching,
    /// Output format: Falco's text lines, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Do not append the fields plugins suggest for outputs
    /// (container_id=... container_name=...), which Falco's default
    /// configuration appends.
    #[arg(long)]
    pub no_suggested_output: bool,
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s).ok_or_else(|| {
        format!("unknown priority '{s}' (emergency, alert, critical, error, warning, notice, informational, debug)")
    })
}

/// The default event line of `--condition` (sysdig's columns).
const EVENT_FORMAT: &str =
    "*%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args";

pub fn run(args: &Args) -> Result<i32, String> {
    let host = match load_rules(args)? {
        Ok(h) => h,
        Err(code) => return Ok(code),
    };
    let mut engine = match &args.condition {
        Some(c) => match Engine::from_condition(&host, c, EVENT_FORMAT) {
            Ok(e) => e,
            Err(msg) => {
                eprintln!("falconer: error: --condition: {msg}");
                return Ok(1);
            }
        },
        None => {
            let opts = Options {
                min_priority: args.min_priority,
                rule_matching: match args.rule_matching {
                    Matching::First => RuleMatching::First,
                    Matching::All => RuleMatching::All,
                },
                suggested_output: !args.no_suggested_output,
            };
            Engine::from_analysis(&host, &opts)
        }
    };
    for n in engine.notes() {
        eprintln!("falconer: note: {n}");
    }
    let mut reader = falconer_scap::ScapReader::open(&args.capture)
        .map_err(|e| format!("{}: {e}", args.capture.display()))
        .map_err(|m| {
            eprintln!("falconer: error: {m}");
        });
    let Ok(reader) = reader.as_mut() else {
        return Ok(2);
    };
    let condition_mode = args.condition.is_some();
    let format = args.format;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut closed = false;
    let result = replay(reader, &mut engine, |a: &Alert| {
        if closed {
            return;
        }
        let line = match (format, condition_mode) {
            (Format::Human, false) => a.line(),
            (Format::Human, true) => falco_escape(&a.output),
            (Format::Json, false) => a.json().to_string(),
            (Format::Json, true) => serde_json::json!({
                "evt_num": a.evt_num,
                "time": time::iso8601(a.ts),
                "output": a.output,
                "output_fields": a.output_fields(),
            })
            .to_string(),
        };
        if writeln!(out, "{line}").is_err() {
            // A closed pipe (`| head`): stop writing, quietly.
            closed = true;
        }
    });
    let _ = out.flush();
    match result {
        Ok(_) => Ok(0),
        Err((stats, e)) => {
            eprintln!(
                "falconer: error: {}: {e} (after {} events; their alerts were printed)",
                args.capture.display(),
                stats.events
            );
            Ok(2)
        }
    }
}

/// Loads the rules (or an empty workspace for a bare `--condition`).
/// `Ok(Err(1))` when they have load errors, after printing them.
fn load_rules(args: &Args) -> Result<Result<AnalysisHost, i32>, String> {
    if !super::rules_given(&args.rules, &args.config) {
        if args.condition.is_some() {
            let mut host = AnalysisHost::new(Config::default());
            host.set_files(Vec::new());
            return Ok(Ok(host));
        }
        return Err("no rules given (pass --rules PATH, list rules_files in falconer.toml, or use --condition)".into());
    }
    super::load_for_engine(&args.rules, &args.config)
}
