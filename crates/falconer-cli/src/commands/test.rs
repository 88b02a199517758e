//! `falconer test [PATHS...]`: runs rule unit tests (test files found in
//! the paths; default: the current directory).
//!
//! Exit status: 0 every case passed (and coverage is at least
//! `--fail-under`); 1 a case failed or coverage is under the threshold;
//! 2 the run could not happen (a bad test file, missing fixture, rules
//! with load errors: each printed with its position; a bad flag).

use std::io::Write;
use std::path::PathBuf;

use falconer_test::report::{self, HumanOptions};
use falconer_test::run::{run as run_suite, RunOptions};
use falconer_test::suite::{self, Filter};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Junit,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Test files, or directories searched for them (YAML files with
    /// `cases:`). Default: the current directory.
    pub paths: Vec<PathBuf>,
    /// Run only the cases whose name (or FILE::NAME) matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub run: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Measure which rules, macros and exception entries the cases
    /// evaluate true and false.
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 1) when coverage is under PCT percent (implies
    /// --coverage).
    #[arg(long, value_name = "PCT")]
    pub fail_under: Option<f64>,
    /// Threads (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

pub fn run(args: &Args) -> Result<i32, String> {
    let filter = Filter {
        run: match &args.run {
            Some(r) => Some(regex::Regex::new(r).map_err(|e| format!("--run: {e}"))?),
            None => None,
        },
        rule: None,
    };
    if let Some(p) = args.fail_under {
        if !(0.0..=100.0).contains(&p) {
            return Err(format!("--fail-under must be between 0 and 100, not {p}"));
        }
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let suite = suite::load(&paths, &filter, &[]);
    if suite.has_errors() {
        eprint!("{}", report::render_diagnostics(&suite.diagnostics));
        eprintln!(
            "falconer: error: the tests cannot run ({} problem{} above)",
            suite.diagnostics.len(),
            if suite.diagnostics.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        return Ok(2);
    }
    if suite.cases.is_empty() {
        eprintln!("falconer: error: no test cases found (test files are YAML files with cases:)");
        return Ok(2);
    }
    let coverage = args.coverage || args.fail_under.is_some();
    let opts = RunOptions {
        jobs: args
            .jobs
            .unwrap_or_else(|| RunOptions::default().jobs)
            .max(1),
        coverage,
    };
    let rep = run_suite(&suite, &opts);
    let text = match args.format {
        Format::Human => report::human(&suite, &rep, HumanOptions { timings: true }),
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(&report::json(&suite, &rep)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Junit => report::junit(&suite, &rep, &timestamp(), &hostname()),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    let mut code = if rep.failed() > 0 || !rep.internal.is_empty() {
        1
    } else {
        0
    };
    if let (Some(min), Some(c)) = (args.fail_under, &rep.coverage) {
        if c.percent() + 1e-9 < min {
            eprintln!(
                "falconer: coverage {:.1}% is under --fail-under {min}%",
                c.percent()
            );
            code = 1;
        }
    }
    Ok(code)
}

/// Now, as `YYYY-MM-DDTHH:MM:SS` (UTC).
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
